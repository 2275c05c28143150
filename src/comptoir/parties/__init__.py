"""Customers and suppliers: one party model with roles, contacts, addresses, terms."""
