"""The words of the ledger: account types and subtypes, journal types."""

from __future__ import annotations

ACCOUNT_TYPES = ("asset", "liability", "equity", "income", "expense")

# Subtypes Comptoir's automatic entries look accounts up by.
ACCOUNT_SUBTYPES = (
    "receivable",
    "payable",
    "bank",
    "cash",
    "internal_transfer",
    "tax_collected",
    "tax_deductible",
    "tax_deductible_assets",
    "tax_payable",
    "tax_credit",
    "tax_pending",
    "tax_self_assessed",
    "income_tax",
    "inventory",
    "cost_of_goods_sold",
    "purchases",
    "sales",
    "sales_discount",
    "retained_earnings",
    "current_year_earnings",
    "opening_balance",
    "fx_gain",
    "fx_loss",
    "unrealized_fx_gain",
    "unrealized_fx_loss",
    "suspense",
    "fixed_asset",
    "accumulated_depreciation",
    "depreciation",
    "loan",
    "customer_advance",
    "employee_payable",
    "bank_charges",
    "bad_debt",
    "interest_expense",
    "income_tax_expense",
)

JOURNAL_TYPES = ("sales", "purchases", "bank", "cash", "general", "opening")

# Debit-natured types: a positive balance is a debit balance.
DEBIT_TYPES = frozenset({"asset", "expense"})
