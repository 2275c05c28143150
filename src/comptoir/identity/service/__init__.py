"""Identity services: accounts, sessions, organizations, members and invitations."""
