"""Everyday expense categories: friendly names for the expense accounts a receipt is booked
to, so that nobody entering a taxi fare needs to know the chart of accounts.

Each category lists the account it books to in each chart Comptoir ships (the French PCG
first, then the generic chart, which Zambia's extends); an organization sees the
categories whose account its chart has, then every other expense account of its chart.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from comptoir.kit.errors import NotFound, ValidationFailed
from comptoir.ledger.service import accounts
from comptoir.ledger.service.accounts import Account


@dataclass(frozen=True)
class Category:
    key: str
    label: str
    # Candidate account codes, one per chart; the first the organization's chart has wins.
    codes: tuple[str, ...]


CATEGORIES = (
    Category("travel", "Travel", ("625", "6600")),
    Category("meals", "Meals & entertainment", ("625", "6600")),
    Category("fuel_vehicle", "Fuel & vehicle", ("606", "6600")),
    Category("office_supplies", "Office supplies", ("606", "6500")),
    Category("software", "Software & subscriptions", ("651", "6990")),
    Category("phone_internet", "Phone & internet", ("626", "6400")),
    Category("postage", "Postage", ("626", "6990")),
    Category("professional_fees", "Professional fees", ("622", "6700")),
    Category("bank_charges", "Bank charges", ("627", "6920")),
    Category("small_equipment", "Small equipment", ("606", "6500")),
    Category("training", "Training", ("618", "6990")),
    Category("other", "Other", ("628", "6990")),
)
BY_KEY = {category.key: category for category in CATEGORIES}


@dataclass(frozen=True)
class Choice:
    """One entry of the category list: a friendly category (``key`` set) or a plain
    expense account of the chart (``key`` None)."""

    key: str | None
    label: str
    account: Account


def is_expense_account(account: Account) -> bool:
    return account.type == "expense" and not account.is_group and account.archived_at is None


def account_of(session: Session, category: Category) -> Account | None:
    for code in category.codes:
        account = accounts.by_code(session, code)
        if account is not None and is_expense_account(account):
            return account
    return None


def categories(session: Session) -> list[Choice]:
    """The friendly categories the chart can book, then its other expense accounts."""
    choices: list[Choice] = []
    used: set[str] = set()
    for category in CATEGORIES:
        account = account_of(session, category)
        if account is not None:
            choices.append(Choice(category.key, category.label, account))
            used.add(account.code)
    for account in accounts.list_accounts(
        session, accounts.AccountFilter(type="expense", postable_only=True)
    ):
        if account.code not in used:
            choices.append(Choice(None, account.name, account))
    return choices


def resolve(session: Session, reference: object, field: str = "category") -> Account:
    """The expense account a category names: a category key, or an account code or id."""
    text = str(reference or "").strip()
    if not text:
        raise ValidationFailed.single(field, "Choose a category.", "required")
    category = BY_KEY.get(text)
    if category is not None:
        found = account_of(session, category)
        if found is None:
            raise ValidationFailed.single(
                field, f"Your chart has no account for {category.label}.", "no_account"
            )
        return found
    try:
        account = accounts.resolve(session, text, field)
    except (ValidationFailed, NotFound):
        raise ValidationFailed.single(field, "No such category or account.", "not_found") from None
    if not is_expense_account(account):
        raise ValidationFailed.single(
            field, f"{account.code} is not an expense account one can post to.", "not_expense"
        )
    return account
