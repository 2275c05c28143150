"""Drafting sales documents: their customer, dates, currency and lines, checked and run
through the tax engine so that the document, its PDF, the API and the ledger show the
same cents. Shared by quotes, invoices and credit notes; what happens next (issuing,
sending, accepting) lives in the modules of each kind."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from comptoir.audit import service as audit
from comptoir.catalog.service import products
from comptoir.identity.service import organizations
from comptoir.kit import clock
from comptoir.kit.dates import day_of as day_of  # the sales services read dates through it
from comptoir.kit.errors import Conflict, FieldError, NotFound, ValidationFailed
from comptoir.kit.money import is_currency
from comptoir.kit.pagination import Page, keyset_page, sorted_keyset_page
from comptoir.ledger.service import accounts
from comptoir.outbox import service as outbox
from comptoir.parties.service import parties
from comptoir.parties.service.parties import Party
from comptoir.parties.service.terms import PAYMENT_TERMS
from comptoir.sales.models import SalesDocument, SalesDocumentEvent, SalesDocumentLine
from comptoir.sales.service import numbering
from comptoir.sales.service import settings as sales_settings
from comptoir.tax.service import rules
from comptoir.tax.service.calculation import Calculation
from comptoir.tax.service.documents import DocumentLine, calculate_document

Kind = Literal["quote", "invoice", "credit_note"]
KIND_NAMES: dict[str, str] = {"quote": "quote", "invoice": "invoice", "credit_note": "credit note"}
MAX_LINES = 500
_TEXT_LIMITS = {"reference": 100, "notes": 5000, "description": 2000, "unit": 20}
# Document fields a client may send; anything else in the body is refused by the API.
HEADER_FIELDS = (
    "customer",
    "issue_date",
    "due_date",
    "valid_until",
    "currency",
    "prices_include_tax",
    "payment_terms",
    "reference",
    "notes",
    "language",
)
SORTS = {
    "issue_date": (SalesDocument.issue_date, False),
    "-issue_date": (SalesDocument.issue_date, True),
    "due_date": (SalesDocument.due_date, False),
    "-due_date": (SalesDocument.due_date, True),
    "number": (SalesDocument.number, False),
    "-number": (SalesDocument.number, True),
    "gross": (SalesDocument.gross, False),
    "-gross": (SalesDocument.gross, True),
}
NEWEST_FIRST = "-created"
OPEN_INVOICE = ("issued", "sent", "partially_paid")


@dataclass(frozen=True)
class DocumentFilter:
    kind: Kind
    status: str | None = None
    party_id: uuid.UUID | None = None
    date_from: date | None = None
    date_to: date | None = None
    q: str | None = None
    sort: str = "-created"


@dataclass(frozen=True)
class Draft:
    """A document's values once checked: what create and update write."""

    party: Party
    header: dict[str, Any]
    lines: list[dict[str, Any]]
    calculation: Calculation


def today() -> date:
    return clock.now().date()


def get(session: Session, document_id: uuid.UUID, kind: Kind) -> SalesDocument:
    document = session.get(SalesDocument, document_id)
    if document is None or document.kind != kind:
        raise NotFound(f"No such {KIND_NAMES[kind]}.")
    return document


def locked(session: Session, reference: str, kind: Kind) -> SalesDocument | None:
    """The document by id or number, its row locked until the transaction ends, read
    afresh: what is settled on it is read and changed by one payment at a time (on
    PostgreSQL; SQLite runs one writer at a time anyway)."""
    try:
        condition = SalesDocument.id == uuid.UUID(reference)
    except ValueError:
        condition = SalesDocument.number == reference
    return session.scalar(
        select(SalesDocument)
        .where(SalesDocument.kind == kind, condition)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def lines_of(session: Session, document_id: uuid.UUID) -> list[SalesDocumentLine]:
    return list(
        session.scalars(
            select(SalesDocumentLine)
            .where(SalesDocumentLine.document_id == document_id)
            .order_by(SalesDocumentLine.position)
        )
    )


def events_of(session: Session, document_id: uuid.UUID) -> list[SalesDocumentEvent]:
    return list(
        session.scalars(
            select(SalesDocumentEvent)
            .where(SalesDocumentEvent.document_id == document_id)
            .order_by(SalesDocumentEvent.at, SalesDocumentEvent.id)
        )
    )


def log(
    session: Session,
    document: SalesDocument,
    kind: str,
    *,
    actor_id: uuid.UUID | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """One step of the document's timeline (created, issued, sent, viewed, paid...)."""
    # The document's organization, not the session's: the worker logs across tenants.
    session.add(
        SalesDocumentEvent(
            organization_id=document.organization_id,
            document_id=document.id,
            kind=kind,
            actor_id=actor_id,
            detail=detail,
        )
    )


def public_path(document: SalesDocument) -> str:
    """The document's page for its customer, reachable without an account at an
    unguessable link; the token is made the first time the link is needed."""
    if document.public_token is None:
        document.public_token = secrets.token_urlsafe(32)
    return f"/d/{document.public_token}"


def amount_due(document: SalesDocument) -> int:
    return document.gross - document.settled


def is_overdue(document: SalesDocument, on: date | None = None) -> bool:
    return (
        document.kind == "invoice"
        and document.status in OPEN_INVOICE
        and document.due_date is not None
        and document.due_date < (on or today())
    )


def payload(document: SalesDocument) -> dict[str, Any]:
    """What outbox events carry: enough for a receiver to act without calling back."""
    return {
        "id": str(document.id),
        "kind": document.kind,
        "number": document.number,
        "status": document.status,
        "customer_id": str(document.party_id),
        "currency": document.currency,
        "issue_date": document.issue_date.isoformat(),
        "due_date": document.due_date.isoformat() if document.due_date else None,
        "net": document.net,
        "tax": document.tax,
        "gross": document.gross,
        "amount_due": amount_due(document),
    }


def customer(session: Session, reference: object, field: str = "customer") -> Party:
    """A customer of this organization by id or code, or a field error: another
    organization's id reads as unknown, never as forbidden."""
    text = str(reference or "").strip()
    if not text:
        raise ValidationFailed.single(field, "Choose a customer.", "required")
    party: Party | None
    try:
        party = parties.get(session, uuid.UUID(text), "customer")
    except ValueError:
        party = parties.by_code(session, text)
    except NotFound:
        party = None
    if party is None or not party.is_customer:
        raise ValidationFailed.single(field, "No such customer.", "not_found")
    if party.archived_at is not None:
        raise ValidationFailed.single(
            field, f"{party.name} is archived; restore it to bill it.", "archived"
        )
    return party


def _text(value: object, field: str, errors: list[FieldError]) -> str | None:
    text = str(value or "").strip()
    limit = _TEXT_LIMITS[field.rsplit(".", 1)[-1]]
    if len(text) > limit:
        errors.append(FieldError(field, f"At most {limit} characters.", "too_long"))
    return text or None


def _header(
    session: Session, values: dict[str, Any], current: SalesDocument | None, kind: Kind
) -> tuple[Party | None, dict[str, Any], list[FieldError]]:
    errors: list[FieldError] = []
    header: dict[str, Any] = {}
    party: Party | None = None
    if "customer" in values or current is None:
        try:
            party = customer(session, values.get("customer"))
            header["party_id"] = party.id
        except ValidationFailed as exc:
            errors.extend(exc.errors)
    else:
        party = parties.get(session, current.party_id)
    organization = organizations.get_current(session)
    for field in ("issue_date", "due_date", "valid_until"):
        if field in values:
            header[field] = day_of(values[field], field, errors)
    if current is None and header.get("issue_date") is None:
        header["issue_date"] = today()
    if "currency" in values and values["currency"] not in (None, ""):
        code = str(values["currency"]).strip().upper()
        if is_currency(code):
            header["currency"] = code
        else:
            errors.append(FieldError("currency", "A currency code such as EUR.", "invalid"))
    elif current is None or "customer" in values:
        header["currency"] = (party.currency if party else None) or organization.base_currency
    if "prices_include_tax" in values:
        flag = values["prices_include_tax"]
        if not isinstance(flag, bool):
            errors.append(FieldError("prices_include_tax", "true or false.", "invalid"))
        else:
            header["prices_include_tax"] = flag
    if "payment_terms" in values and values["payment_terms"] not in (None, ""):
        if values["payment_terms"] in PAYMENT_TERMS:
            header["payment_terms"] = values["payment_terms"]
        else:
            errors.append(
                FieldError("payment_terms", f"One of {', '.join(PAYMENT_TERMS)}.", "invalid")
            )
    elif current is None or "customer" in values:
        header["payment_terms"] = party.payment_terms if party else "net_30"
    for field in ("reference", "notes"):
        if field in values:
            header[field] = _text(values[field], field, errors)
    if "language" in values:
        header["language"] = _text(values["language"], "unit", errors)
    elif current is None or "customer" in values:
        header["language"] = (party.language if party else None) or organization.locale
    issue = header.get("issue_date") or (current.issue_date if current else today())
    for field in ("due_date", "valid_until"):
        limit = header.get(field)
        if limit is not None and issue is not None and limit < issue:
            errors.append(FieldError(field, "On or after the issue date.", "before_issue_date"))
    if kind != "quote":
        header.pop("valid_until", None)
    elif current is None and header.get("valid_until") is None:
        validity = sales_settings.get(session).quote_validity_days
        header["valid_until"] = issue + timedelta(days=validity)
    return party, header, errors


class _TaxChooser:
    """The tax a line gets when the client names none: the tax engine's rule for this
    customer and the product's category, resolved once per category and supply."""

    def __init__(self, session: Session, party: Party) -> None:
        self.session = session
        self.party = party
        self.found: dict[tuple[str, str], list[str]] = {}

    def codes(self, category: str, supply: str, field: str) -> list[str]:
        key = (category, supply)
        if key not in self.found:
            try:
                resolution = rules.resolve_sale(
                    self.session,
                    buyer_country=self.party.country,
                    buyer_region=self.party.billing_region,
                    buyer_vat_number=self.party.vat_number,
                    buyer_is_business=self.party.kind == "company",
                    category=category,
                    supply=supply,
                )
            except ValidationFailed as exc:
                raise ValidationFailed.single(field, exc.errors[0].message, "no_tax") from None
            self.found[key] = [resolution.tax.code]
        return self.found[key]


def _product(session: Session, reference: object, field: str) -> Any:
    text = str(reference or "").strip()
    found = None
    try:
        found = products.get(session, uuid.UUID(text))
    except ValueError:
        found = products.by_sku(session, text)
    except NotFound:
        found = None
    if found is None:
        raise ValidationFailed.single(field, "No such product.", "not_found")
    return found


def _line(
    session: Session,
    raw: object,
    index: int,
    currency: str,
    chooser: _TaxChooser | None,
    default_accounts: dict[str, uuid.UUID | None],
    errors: list[FieldError],
) -> dict[str, Any] | None:
    prefix = f"lines[{index}]"
    if not isinstance(raw, dict):
        errors.append(FieldError(prefix, "Each line is an object.", "invalid"))
        return None
    line: dict[str, Any] = {"product_id": None}
    product = None
    if raw.get("product") not in (None, ""):
        try:
            product = _product(session, raw["product"], f"{prefix}.product")
            line["product_id"] = product.id
        except ValidationFailed as exc:
            errors.extend(exc.errors)
    description = _text(raw.get("description"), f"{prefix}.description", errors)
    if description is None and product is not None:
        description = product.name + (f"\n{product.description}" if product.description else "")
        description = description[: _TEXT_LIMITS["description"]]
    if description is None:
        errors.append(FieldError(f"{prefix}.description", "Describe the line.", "required"))
    line["description"] = description or ""
    line["unit"] = _text(raw.get("unit"), f"{prefix}.unit", errors) or (
        product.unit if product is not None else None
    )
    line["quantity"] = raw.get("quantity", "1")
    price = raw.get("unit_price")
    if price in (None, "") and product is not None:
        if product.currency != currency:
            errors.append(
                FieldError(
                    f"{prefix}.unit_price",
                    f"{product.name} is priced in {product.currency}; "
                    f"give its price in {currency}.",
                    "required",
                )
            )
        price = product.unit_price
    if price in (None, ""):
        errors.append(FieldError(f"{prefix}.unit_price", "Give a unit price.", "required"))
        price = "0"
    line["unit_price"] = price
    line["discount_percent"] = raw.get("discount_percent", "0") or "0"
    codes = raw.get("tax_codes")
    if codes is None:
        if chooser is not None:
            category = product.tax_category if product is not None else "standard"
            supply = "goods" if product is not None and product.kind == "goods" else "services"
            try:
                codes = chooser.codes(category, supply, f"{prefix}.tax_codes")
            except ValidationFailed as exc:
                errors.extend(exc.errors)
        codes = codes or []
    if not isinstance(codes, list) or not all(isinstance(code, str) for code in codes):
        errors.append(FieldError(f"{prefix}.tax_codes", "A list of tax codes.", "invalid"))
        codes = []
    line["tax_codes"] = [code.strip() for code in codes]
    supply = "goods" if product is not None and product.kind == "goods" else "services"
    account_id = default_accounts[supply]
    if product is not None and product.income_account_id is not None:
        account_id = product.income_account_id
    if raw.get("account") not in (None, ""):
        try:
            account = accounts.resolve(session, str(raw["account"]), f"{prefix}.account")
            if account.type != "income":
                errors.append(
                    FieldError(
                        f"{prefix}.account", f"{account.code} is not an income account.", "type"
                    )
                )
            account_id = account.id
        except (ValidationFailed, NotFound):
            errors.append(FieldError(f"{prefix}.account", "No such account.", "not_found"))
    line["account_id"] = account_id
    return line


def default_revenue_accounts(session: Session) -> dict[str, uuid.UUID | None]:
    """The revenue account of a line without product or account, by supply."""
    found = {}
    for supply in ("services", "goods"):
        account = accounts.default_sales_account(session, supply)
        found[supply] = account.id if account is not None else None
    return found


def check_lines(
    session: Session,
    raw_lines: object,
    *,
    currency: str,
    prices_include_tax: bool,
    party: Party | None,
) -> tuple[list[dict[str, Any]], Calculation]:
    """The lines as stored, and their calculation; every problem as a ``lines[i].field``
    error."""
    errors: list[FieldError] = []
    if not isinstance(raw_lines, list):
        raise ValidationFailed.single("lines", "A list of lines.", "invalid")
    if len(raw_lines) > MAX_LINES:
        raise ValidationFailed.single("lines", f"At most {MAX_LINES} lines.", "too_many")
    chooser = _TaxChooser(session, party) if party is not None else None
    default_accounts = default_revenue_accounts(session)
    lines = [
        _line(session, raw, index, currency, chooser, default_accounts, errors)
        for index, raw in enumerate(raw_lines)
    ]
    try:
        calculation = calculate_document(
            session,
            currency=currency,
            prices_include_tax=prices_include_tax,
            side="sale",
            lines=[
                DocumentLine(
                    quantity=line["quantity"],
                    unit_price=line["unit_price"],
                    discount_percent=line["discount_percent"],
                    tax_codes=line["tax_codes"],
                )
                for line in lines
                if line is not None
            ],
        )
    except ValidationFailed as exc:
        errors.extend(exc.errors)
    if errors:
        raise ValidationFailed(_unique(errors))
    ready = [line for line in lines if line is not None]
    if any(line["account_id"] is None for line in ready):
        raise ValidationFailed.single(
            "lines", "No revenue account in the chart; give each line an account.", "no_account"
        )
    for line, result in zip(ready, calculation.lines, strict=True):
        line["quantity"] = Decimal(str(line["quantity"]).strip())
        line["unit_price"] = Decimal(str(line["unit_price"]).strip())
        line["discount_percent"] = Decimal(str(line["discount_percent"]).strip())
        line.update(net=result.net, tax=result.tax, gross=result.gross)
    return ready, calculation


def _unique(errors: list[FieldError]) -> list[FieldError]:
    seen: set[tuple[str, str]] = set()
    result = []
    for error in errors:
        if (error.field, error.message) not in seen:
            seen.add((error.field, error.message))
            result.append(error)
    return result


def check(
    session: Session, values: dict[str, Any], kind: Kind, current: SalesDocument | None = None
) -> Draft:
    party, header, errors = _header(session, values, current, kind)
    currency = header.get("currency") or (current.currency if current else "")
    include = header.get("prices_include_tax", current.prices_include_tax if current else False)
    lines: list[dict[str, Any]] = []
    calculation = None
    if "lines" in values or current is None:
        try:
            lines, calculation = check_lines(
                session,
                values.get("lines", []),
                currency=currency,
                prices_include_tax=include,
                party=party,
            )
        except ValidationFailed as exc:
            errors.extend(exc.errors)
    elif current is not None:
        lines = [stored_values(line) for line in lines_of(session, current.id)]
        try:
            lines, calculation = recalculate(session, lines, currency, include)
        except ValidationFailed as exc:
            errors.extend(exc.errors)
    if errors or party is None or calculation is None:
        raise ValidationFailed(_unique(errors))
    return Draft(party, header, lines, calculation)


def stored_values(line: SalesDocumentLine) -> dict[str, Any]:
    return {
        "product_id": line.product_id,
        "description": line.description,
        "unit": line.unit,
        "quantity": line.quantity,
        "unit_price": line.unit_price,
        "discount_percent": line.discount_percent,
        "tax_codes": list(line.tax_codes or []),
        "account_id": line.account_id,
    }


def recalculate(
    session: Session, lines: list[dict[str, Any]], currency: str, prices_include_tax: bool
) -> tuple[list[dict[str, Any]], Calculation]:
    """Stored lines through the tax engine again (a currency, a flag or a tax changed)."""
    calculation = calculate_document(
        session,
        currency=currency,
        prices_include_tax=prices_include_tax,
        side="sale",
        lines=[
            DocumentLine(
                quantity=line["quantity"],
                unit_price=line["unit_price"],
                discount_percent=line["discount_percent"],
                tax_codes=line["tax_codes"],
            )
            for line in lines
        ],
    )
    for line, result in zip(lines, calculation.lines, strict=True):
        line.update(net=result.net, tax=result.tax, gross=result.gross)
    return lines, calculation


def recalculate_stored(
    session: Session, document: SalesDocument, lines: Sequence[SalesDocumentLine]
) -> tuple[list[dict[str, Any]], Calculation]:
    """A document's stored lines through the tax engine again: the breakdown per tax the
    API and the PDF show, or the figures issuing freezes."""
    return recalculate(
        session,
        [stored_values(line) for line in lines],
        document.currency,
        document.prices_include_tax,
    )


def write_lines(
    session: Session,
    document: SalesDocument,
    lines: Sequence[dict[str, Any]],
    calculation: Calculation,
) -> None:
    session.execute(delete(SalesDocumentLine).where(SalesDocumentLine.document_id == document.id))
    session.add_all(
        SalesDocumentLine(
            document_id=document.id,
            position=index,
            product_id=line["product_id"],
            description=line["description"],
            unit=line["unit"],
            quantity=line["quantity"],
            unit_price=line["unit_price"],
            discount_percent=line["discount_percent"],
            tax_codes=line["tax_codes"],
            account_id=line["account_id"],
            net=line["net"],
            tax=line["tax"],
            gross=line["gross"],
        )
        for index, line in enumerate(lines)
    )
    document.net, document.tax, document.gross = (
        calculation.net,
        calculation.tax,
        calculation.gross,
    )


def create_draft(
    session: Session,
    kind: Kind,
    values: dict[str, Any],
    *,
    actor_id: uuid.UUID | None = None,
    source: SalesDocument | None = None,
    number_format: str | None = None,
) -> SalesDocument:
    """A new draft; with ``number_format`` it is numbered at once from its series (quotes,
    which customers cite from the start)."""
    draft = check(session, values, kind)
    number = None
    if number_format is not None:
        number = numbering.next_number(session, kind, number_format, draft.header["issue_date"])[0]
    document = SalesDocument(
        kind=kind,
        status="draft",
        number=number,
        party_id=draft.party.id,
        created_by_id=actor_id,
        source_id=source.id if source is not None else None,
        **{key: value for key, value in draft.header.items() if key != "party_id"},
    )
    session.add(document)
    session.flush()
    write_lines(session, document, draft.lines, draft.calculation)
    session.flush()
    log(session, document, "created", actor_id=actor_id)
    audit.record(
        session,
        f"{kind}.created",
        target_type=kind,
        target_id=document.id,
        after={"customer": draft.party.code, "gross": document.gross},
    )
    outbox.emit(session, f"{kind}.created", payload(document))
    return document


def require_draft(document: SalesDocument) -> None:
    if document.status != "draft":
        raise Conflict(
            f"This {KIND_NAMES[document.kind]} is {document.status.replace('_', ' ')}; "
            "only drafts can be changed.",
            code="not_a_draft",
        )


def update_draft(
    session: Session, document_id: uuid.UUID, kind: Kind, values: dict[str, Any]
) -> SalesDocument:
    document = get(session, document_id, kind)
    require_draft(document)
    draft = check(session, values, kind, document)
    for key, value in draft.header.items():
        setattr(document, key, value)
    write_lines(session, document, draft.lines, draft.calculation)
    session.flush()
    audit.record(
        session,
        f"{kind}.updated",
        target_type=kind,
        target_id=document.id,
        after={"gross": document.gross},
    )
    return document


def delete_draft(session: Session, document_id: uuid.UUID, kind: Kind) -> None:
    document = get(session, document_id, kind)
    require_draft(document)
    session.delete(document)
    session.flush()
    audit.record(session, f"{kind}.deleted", target_type=kind, target_id=document_id)


def list_documents(
    session: Session, filters: DocumentFilter, *, limit: int | None, cursor: str | None
) -> Page[SalesDocument]:
    query = select(SalesDocument).where(SalesDocument.kind == filters.kind)
    if filters.status == "overdue":
        query = query.where(
            SalesDocument.status.in_(OPEN_INVOICE), SalesDocument.due_date < today()
        )
    elif filters.status == "open":
        query = query.where(SalesDocument.status.in_(OPEN_INVOICE))
    elif filters.status:
        query = query.where(SalesDocument.status == filters.status)
    if filters.party_id is not None:
        query = query.where(SalesDocument.party_id == filters.party_id)
    if filters.date_from is not None:
        query = query.where(SalesDocument.issue_date >= filters.date_from)
    if filters.date_to is not None:
        query = query.where(SalesDocument.issue_date <= filters.date_to)
    if filters.q:
        pattern = f"%{filters.q.strip().lower()}%"
        matching_parties = parties.ids_matching(filters.q)
        query = query.where(
            or_(
                func.lower(func.coalesce(SalesDocument.number, "")).like(pattern),
                func.lower(func.coalesce(SalesDocument.reference, "")).like(pattern),
                SalesDocument.party_id.in_(matching_parties),
            )
        )
    if filters.sort == NEWEST_FIRST:
        return keyset_page(session, query, SalesDocument.id, limit=limit, cursor=cursor)
    if filters.sort not in SORTS:
        raise ValidationFailed.single("sort", f"One of {NEWEST_FIRST}, {', '.join(SORTS)}.")
    column, descending = SORTS[filters.sort]
    if column is SalesDocument.number:
        query = query.where(SalesDocument.number.is_not(None))
    elif column is SalesDocument.due_date:
        query = query.where(SalesDocument.due_date.is_not(None))
    return sorted_keyset_page(
        session,
        query,
        column,
        SalesDocument.id,
        descending=descending,
        limit=limit,
        cursor=cursor,
    )


def customers_of(session: Session, documents: Sequence[SalesDocument]) -> dict[uuid.UUID, Party]:
    return parties.by_ids(session, {document.party_id for document in documents})


def document_uses_party(session: Session, party_id: uuid.UUID) -> bool:
    return (
        session.scalar(select(SalesDocument.id).where(SalesDocument.party_id == party_id).limit(1))
        is not None
    )


def document_uses_product(session: Session, product_id: uuid.UUID) -> bool:
    return (
        session.scalar(
            select(SalesDocumentLine.id).where(SalesDocumentLine.product_id == product_id).limit(1)
        )
        is not None
    )
