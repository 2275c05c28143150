"""Chart templates (package data, one file per country) and the books of a new organization."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

from sqlalchemy import select
from sqlalchemy.orm import Session

from comptoir.kit.tenancy import as_organization
from comptoir.ledger.models import Account, Journal, LedgerSettings
from comptoir.ledger.service.organization import OrganizationFacts
from comptoir.ledger.service.vocabulary import ACCOUNT_SUBTYPES, ACCOUNT_TYPES

GENERIC = "generic"


@dataclass(frozen=True)
class TemplateAccount:
    code: str
    name: str
    type: str
    subtype: str | None
    parent: str | None
    is_group: bool
    reconcilable: bool


@dataclass(frozen=True)
class ChartTemplate:
    name: str
    language: str
    accounts: tuple[TemplateAccount, ...]


_JOURNALS = {
    "fr": [
        ("VT", "Ventes", "sales", "sales"),
        ("AC", "Achats", "purchases", "purchases"),
        ("BQ", "Banque", "bank", "bank"),
        ("CA", "Caisse", "cash", "cash"),
        ("OD", "Opérations diverses", "general", None),
        ("AN", "À-nouveaux", "opening", None),
    ],
    "en": [
        ("VT", "Sales", "sales", "sales"),
        ("AC", "Purchases", "purchases", "purchases"),
        ("BQ", "Bank", "bank", "bank"),
        ("CA", "Cash", "cash", "cash"),
        ("OD", "Miscellaneous operations", "general", None),
        ("AN", "Opening entries", "opening", None),
    ],
}


def _read(name: str) -> tuple[dict[str, str], list[dict[str, str]]]:
    text = (files("comptoir.ledger") / "charts" / f"{name}.csv").read_text(encoding="utf-8")
    headers: dict[str, str] = {}
    body: list[str] = []
    for line in text.splitlines():
        if line.startswith("#"):
            key, sep, value = line[1:].partition(":")
            if sep:
                headers[key.strip()] = value.strip()
        elif line.strip():
            body.append(line)
    return headers, list(csv.DictReader(io.StringIO("\n".join(body))))


@lru_cache(maxsize=16)
def load_template(name: str) -> ChartTemplate:
    """A template by name, with ``extends`` resolved and every row checked."""
    headers, rows = _read(name)
    accounts: dict[str, TemplateAccount] = {}
    language = headers.get("language", "en")
    if "extends" in headers:
        base = load_template(headers["extends"])
        accounts = {a.code: a for a in base.accounts}
        language = headers.get("language", base.language)
    for row in rows:
        account = TemplateAccount(
            code=row["code"].strip(),
            name=row["name"].strip(),
            type=row["type"].strip(),
            subtype=row["subtype"].strip() or None,
            parent=row["parent"].strip() or None,
            is_group=row["group"].strip() == "yes",
            reconcilable=row["reconcilable"].strip() == "yes",
        )
        if account.type not in ACCOUNT_TYPES:
            raise ValueError(f"{name}.csv: {account.code} has unknown type {account.type!r}")
        if account.subtype and account.subtype not in ACCOUNT_SUBTYPES:
            raise ValueError(f"{name}.csv: {account.code} has unknown subtype {account.subtype!r}")
        accounts[account.code] = account
    for account in accounts.values():
        if account.parent and account.parent not in accounts:
            raise ValueError(f"{name}.csv: {account.code} has unknown parent {account.parent}")
    return ChartTemplate(name, language, tuple(accounts.values()))


def template_for(country: str) -> ChartTemplate:
    available = {
        p.name.removesuffix(".csv") for p in (files("comptoir.ledger") / "charts").iterdir()
    }
    return load_template(country if country in available else GENERIC)


def set_up_books(session: Session, organization: OrganizationFacts) -> None:
    """Give an organization its chart, journals and ledger settings; does nothing twice."""
    with as_organization(session, organization.id):
        if session.scalar(select(LedgerSettings.id)) is not None:
            return
        template = template_for(organization.country)
        by_code: dict[str, Account] = {}
        for item in template.accounts:
            account = Account(
                code=item.code,
                name=item.name,
                type=item.type,
                subtype=item.subtype,
                is_group=item.is_group,
                reconcilable=item.reconcilable,
            )
            by_code[item.code] = account
            session.add(account)
        session.flush()
        for item in template.accounts:
            if item.parent:
                by_code[item.code].parent_id = by_code[item.parent].id
        first_by_subtype: dict[str, Account] = {}
        for item in template.accounts:
            if item.subtype and not item.is_group:
                first_by_subtype.setdefault(item.subtype, by_code[item.code])
        for code, name, kind, subtype in _JOURNALS[template.language]:
            default = first_by_subtype.get(subtype) if subtype else None
            session.add(
                Journal(
                    code=code,
                    name=name,
                    type=kind,
                    default_debit_account_id=default.id if default else None,
                    default_credit_account_id=default.id if default else None,
                )
            )
        session.add(LedgerSettings(chart_template=template.name))
        session.flush()
