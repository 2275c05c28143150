"""Users, organizations, memberships, roles and authentication."""
