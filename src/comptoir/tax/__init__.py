"""Taxes: rates by jurisdiction, the rules that pick them, one calculation for every document."""
