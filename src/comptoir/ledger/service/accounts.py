"""The chart of accounts: look-up by id or code, create, edit, archive, delete."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from comptoir.audit import service as audit
from comptoir.kit.errors import Conflict, FieldError, NotFound, ValidationFailed
from comptoir.kit.money import is_currency
from comptoir.ledger.models import Account as Account
from comptoir.ledger.models import JournalLine
from comptoir.ledger.service import archiving
from comptoir.ledger.service.vocabulary import ACCOUNT_SUBTYPES, ACCOUNT_TYPES

_CODE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._\-]{0,19}$")


def get(session: Session, account_id: uuid.UUID) -> Account:
    account = session.get(Account, account_id)
    if account is None:
        raise NotFound("No such account.")
    return account


def by_code(session: Session, code: str) -> Account | None:
    return session.scalar(select(Account).where(Account.code == code))


def codes_of(session: Session, account_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Account id → code for many accounts in one query, for display."""
    wanted = set(account_ids)
    if not wanted:
        return {}
    # A list of rows: dict() would take the Result itself for a mapping (it has keys()).
    rows = session.execute(select(Account.id, Account.code).where(Account.id.in_(wanted))).all()
    return dict(rows)


def resolve(session: Session, reference: str, field: str = "account") -> Account:
    """An account by id or by code, as a person writing an entry by hand would give it."""
    text = (reference or "").strip()
    account = None
    try:
        account = session.get(Account, uuid.UUID(text))
    except ValueError:
        account = by_code(session, text)
    if account is None:
        raise ValidationFailed.single(
            field, f"No account {text!r} in the chart.", "unknown_account"
        )
    return account


def first_of_subtype(session: Session, subtype: str) -> Account | None:
    return session.scalars(
        select(Account)
        .where(
            Account.subtype == subtype, Account.is_group.is_(False), Account.archived_at.is_(None)
        )
        .order_by(Account.code)
    ).first()


def bank_or_cash(
    session: Session, reference: object, method: str | None = None, field: str = "account"
) -> Account:
    """The bank or cash account money moves through, by code or id; by default the first
    cash account for a cash ``method``, else the first bank account."""
    if reference not in (None, ""):
        try:
            account = resolve(session, str(reference), field)
        except (ValidationFailed, NotFound):
            raise ValidationFailed.single(field, "No such account.", "not_found") from None
        if account.subtype not in ("bank", "cash"):
            raise ValidationFailed.single(
                field, f"{account.code} is not a bank or cash account.", "not_bank"
            )
        return account
    subtypes = ("cash", "bank") if method == "cash" else ("bank", "cash")
    for subtype in subtypes:
        found = first_of_subtype(session, subtype)
        if found is not None:
            return found
    raise ValidationFailed.single(field, "Add a bank account to the chart first.", "no_account")


# The usual revenue account of services and of goods where the chart has one (the French
# PCG's 706 and 707); other charts take their first sales account.
_SALES_ACCOUNTS = {"services": ("706", "7060"), "goods": ("707", "7070")}


def default_sales_account(session: Session, supply: str = "services") -> Account | None:
    """Where a sale of services or goods is credited unless a product or a line says
    otherwise."""
    for code in _SALES_ACCOUNTS.get(supply, ()):
        account = by_code(session, code)
        if (
            account is not None
            and account.subtype == "sales"
            and not account.is_group
            and account.archived_at is None
        ):
            return account
    return first_of_subtype(session, "sales")


@dataclass(frozen=True)
class AccountFilter:
    search: str | None = None
    type: str | None = None
    include_archived: bool = False
    postable_only: bool = False


def list_accounts(session: Session, filters: AccountFilter = AccountFilter()) -> list[Account]:
    """The chart in code order (which is also tree order for numbered charts)."""
    query = select(Account).order_by(Account.code)
    if filters.search:
        needle = f"%{filters.search.strip().lower()}%"
        query = query.where(
            or_(
                func.lower(Account.name).like(needle),
                Account.code.like(f"{filters.search.strip()}%"),
            )
        )
    if filters.type:
        query = query.where(Account.type == filters.type)
    if not filters.include_archived:
        query = query.where(Account.archived_at.is_(None))
    if filters.postable_only:
        query = query.where(Account.is_group.is_(False))
    return list(session.scalars(query))


def has_postings(session: Session, account_id: uuid.UUID) -> bool:
    return (
        session.scalar(select(JournalLine.id).where(JournalLine.account_id == account_id).limit(1))
        is not None
    )


def _validate(session: Session, values: dict[str, Any], current: Account | None) -> dict[str, Any]:
    errors: list[FieldError] = []
    clean: dict[str, Any] = {}
    if "code" in values:
        code = str(values["code"] or "").strip()
        if not _CODE.match(code):
            errors.append(
                FieldError("code", "Use 1 to 20 letters, digits, dots, dashes or underscores.")
            )
        else:
            other = by_code(session, code)
            if other is not None and (current is None or other.id != current.id):
                errors.append(FieldError("code", f"Account {code} already exists.", "duplicate"))
            clean["code"] = code
    if "name" in values:
        name = " ".join(str(values["name"] or "").split())
        if not name or len(name) > 200:
            errors.append(FieldError("name", "Give a name of 1 to 200 characters."))
        clean["name"] = name
    if "type" in values:
        if values["type"] not in ACCOUNT_TYPES:
            errors.append(FieldError("type", f"Use one of {', '.join(ACCOUNT_TYPES)}."))
        clean["type"] = values["type"]
    if "subtype" in values:
        subtype = values["subtype"] or None
        if subtype is not None and subtype not in ACCOUNT_SUBTYPES:
            errors.append(FieldError("subtype", "Unknown subtype."))
        clean["subtype"] = subtype
    if "currency" in values:
        currency = (values["currency"] or "").strip().upper() or None
        if currency is not None and not is_currency(currency):
            errors.append(FieldError("currency", "Use a three-letter ISO 4217 currency code."))
        clean["currency"] = currency
    for flag in ("reconcilable", "is_group"):
        if flag in values:
            clean[flag] = bool(values[flag])
    if "parent" in values:
        clean["parent_id"] = None
        if values["parent"]:
            try:
                parent = resolve(session, str(values["parent"]), field="parent")
            except ValidationFailed as exc:
                errors += exc.errors
            else:
                if current is not None and _is_within(session, parent, current):
                    errors.append(FieldError("parent", "An account cannot sit under itself."))
                clean["parent_id"] = parent.id
    if errors:
        raise ValidationFailed(errors)
    return clean


def _is_within(session: Session, candidate: Account, ancestor: Account) -> bool:
    node: Account | None = candidate
    while node is not None:
        if node.id == ancestor.id:
            return True
        node = session.get(Account, node.parent_id) if node.parent_id else None
    return False


def create(session: Session, values: dict[str, Any]) -> Account:
    for required in ("code", "name", "type"):
        values.setdefault(required, None)
    clean = _validate(session, values, None)
    account = Account(**clean)
    session.add(account)
    session.flush()
    audit.record(
        session,
        "account.created",
        target_type="account",
        target_id=account.id,
        after={"code": account.code, "name": account.name, "type": account.type},
    )
    return account


def update(session: Session, account_id: uuid.UUID, values: dict[str, Any]) -> Account:
    account = get(session, account_id)
    clean = _validate(session, values, account)
    if has_postings(session, account.id):
        locked = {
            k
            for k in ("type", "is_group", "currency")
            if k in clean and clean[k] != getattr(account, k)
        }
        if locked:
            raise Conflict(
                f"This account has postings; its {', '.join(sorted(locked))} cannot change.",
                code="account_in_use",
            )
    audit.apply_changes(session, account, clean, action="account.updated", target_type="account")
    return account


def archive(session: Session, account_id: uuid.UUID, archived: bool = True) -> Account:
    account = get(session, account_id)
    archiving.set_archived(session, account, archived, "account")
    return account


def delete(session: Session, account_id: uuid.UUID) -> None:
    """Only an account nothing refers to; one with postings can be archived instead."""
    account = get(session, account_id)
    if has_postings(session, account.id):
        raise Conflict("This account has postings: archive it instead.", code="account_in_use")
    if session.scalar(select(Account.id).where(Account.parent_id == account.id).limit(1)):
        raise Conflict("Other accounts sit under this one.", code="account_has_children")
    session.delete(account)
    session.flush()
    audit.record(
        session,
        "account.deleted",
        target_type="account",
        target_id=account_id,
        before={"code": account.code, "name": account.name},
    )
