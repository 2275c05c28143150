"""The double-entry ledger: accounts, journals, entries, lettering, rates, periods, reports."""
