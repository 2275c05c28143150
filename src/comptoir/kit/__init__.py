"""Shared building blocks with no knowledge of any business domain."""
