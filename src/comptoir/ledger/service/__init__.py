"""Ledger services. Every other module posts through :mod:`entries` and reads through
:mod:`reports`."""
