"""Compliance: what the tax office receives from the books (the French FEC for now)."""
