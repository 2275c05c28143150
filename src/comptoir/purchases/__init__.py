"""Purchases and expenses: what the business spends, approved before it is booked."""
