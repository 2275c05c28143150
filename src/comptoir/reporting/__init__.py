"""Financial statements: income statement and balance sheet, laid out per country."""
