"""Comptoir: accounting and operations software for small businesses."""

__version__ = "0.1.0"
