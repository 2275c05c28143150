"""Compliance services; they read and write the books only through the ledger's and the
parties' services."""
