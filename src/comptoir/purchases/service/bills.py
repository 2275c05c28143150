"""Supplier bills and supplier credit notes: drafting them (supplier, the supplier's
number and dates, currency, lines through the tax engine), the duplicate flag, and a
bill's way through approval to the ledger.

A bill is entered as a draft, submitted, approved under the organization's rules (see
``approvals``) and posted in the same transaction as its last approval: the purchases
entry dated on the supplier's date. A rejected bill goes back to its submitter, who
corrects and submits it again. Once posted, it changes only through a supplier credit
note (see ``credit_notes``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from sqlalchemy import ColumnElement, delete, func, or_, select
from sqlalchemy.orm import Session

from comptoir.audit import service as audit
from comptoir.identity.service import organizations
from comptoir.kit import clock
from comptoir.kit.dates import day_of
from comptoir.kit.errors import Conflict, FieldError, NotFound, ValidationFailed
from comptoir.kit.money import format_minor, is_currency
from comptoir.kit.pagination import Page, keyset_page
from comptoir.ledger.service import periods, rates
from comptoir.outbox import service as outbox
from comptoir.parties.service import parties
from comptoir.parties.service.parties import Party
from comptoir.parties.service.terms import PAYMENT_TERMS, due_date
from comptoir.purchases.models import ApprovalAction, PurchaseDocument, PurchaseDocumentLine
from comptoir.purchases.service import approvals, bill_lines, posting
from comptoir.tax.service.calculation import Calculation

Kind = Literal["bill", "credit_note"]
KIND_NAMES: dict[str, str] = {"bill": "bill", "credit_note": "supplier credit note"}
MAX_SUPPLIER_NUMBER = 60
MAX_NOTES = 5000
MAX_PROJECT = 60
DEFAULT_TERMS = "net_30"
# Bills a payment or a credit note may still settle.
OPEN_BILL = ("posted", "partially_paid")


@dataclass(frozen=True)
class BillFilter:
    kind: Kind = "bill"
    status: str | None = None
    party_id: uuid.UUID | None = None
    date_from: date | None = None
    date_to: date | None = None
    overdue: bool = False
    q: str | None = None


def today() -> date:
    return clock.now().date()


def get(
    session: Session, document_id: uuid.UUID, kind: Kind = "bill", *, lock: bool = False
) -> PurchaseDocument:
    """With ``lock`` the row is locked until the transaction ends and read afresh, so that
    two approvals, or a post and an apply, never act on the same document at once."""
    document = session.get(
        PurchaseDocument, document_id, with_for_update=lock, populate_existing=lock
    )
    if document is None or document.kind != kind:
        raise NotFound(f"No such {KIND_NAMES[kind]}.")
    return document


def lines_of(session: Session, document_id: uuid.UUID) -> list[PurchaseDocumentLine]:
    return list(
        session.scalars(
            select(PurchaseDocumentLine)
            .where(PurchaseDocumentLine.document_id == document_id)
            .order_by(PurchaseDocumentLine.position)
        )
    )


def normalized_number(text: str) -> str:
    """A supplier number as compared: "FA 2026-001" and "fa2026-001" are the same."""
    return "".join(text.split()).lower()


def number_matches(text: str) -> ColumnElement[bool]:
    return func.lower(func.replace(PurchaseDocument.supplier_number, " ", "")) == (
        normalized_number(text)
    )


def display_name(document: PurchaseDocument) -> str:
    return document.supplier_number or f"of {document.issue_date.isoformat()}"


def amount_due(document: PurchaseDocument) -> int:
    return document.gross - document.settled


def is_overdue(document: PurchaseDocument, on: date | None = None) -> bool:
    return (
        document.kind == "bill"
        and document.status in OPEN_BILL
        and document.due_date is not None
        and document.due_date < (on or today())
    )


def payload(document: PurchaseDocument) -> dict[str, Any]:
    """What outbox events carry: enough for a receiver to act without calling back."""
    return {
        "id": str(document.id),
        "kind": document.kind,
        "status": document.status,
        "supplier_id": str(document.party_id),
        "supplier_number": document.supplier_number,
        "issue_date": document.issue_date.isoformat(),
        "due_date": document.due_date.isoformat() if document.due_date else None,
        "currency": document.currency,
        "net": document.net,
        "tax": document.tax,
        "gross": document.gross,
        "settled": document.settled,
        "amount_due": amount_due(document),
        "project": document.project,
        "rejection_reason": document.rejection_reason,
    }


def supplier(session: Session, reference: object, field: str = "supplier") -> Party:
    """A supplier of this organization by id or code, or a field error: another
    organization's id reads as unknown, never as forbidden."""
    text = str(reference or "").strip() if isinstance(reference, str | uuid.UUID) else ""
    if not text:
        raise ValidationFailed.single(field, "Choose a supplier.", "required")
    party: Party | None
    try:
        party = parties.get(session, uuid.UUID(text), "supplier")
    except ValueError:
        party = parties.by_code(session, text)
    except NotFound:
        party = None
    if party is None or not party.is_supplier:
        raise ValidationFailed.single(field, "No such supplier.", "not_found")
    if party.archived_at is not None:
        raise ValidationFailed.single(
            field, f"{party.name} is archived; restore it first.", "archived"
        )
    return party


def _text(values: dict[str, Any], field: str, limit: int, errors: list[FieldError]) -> str | None:
    value = values[field]
    if value is not None and not isinstance(value, str):
        errors.append(FieldError(field, "A text.", "invalid"))
        return None
    text = (value or "").strip()
    if len(text) > limit:
        errors.append(FieldError(field, f"At most {limit} characters.", "too_long"))
    return text or None


@dataclass(frozen=True)
class Draft:
    """A document's values once checked: what create and update write."""

    party: Party
    header: dict[str, Any]
    lines: list[dict[str, Any]]
    calculation: Calculation


def _header(
    session: Session, values: dict[str, Any], current: PurchaseDocument | None
) -> tuple[Party | None, dict[str, Any], list[FieldError]]:
    errors: list[FieldError] = []
    header: dict[str, Any] = {}
    party: Party | None = None
    if "supplier" in values or current is None:
        try:
            party = supplier(session, values.get("supplier"))
            header["party_id"] = party.id
        except ValidationFailed as exc:
            errors.extend(exc.errors)
    else:
        party = parties.get(session, current.party_id)
    for field in ("issue_date", "due_date"):
        if field in values:
            header[field] = day_of(values[field], field, errors)
    if current is None and header.get("issue_date") is None:
        header["issue_date"] = today()
    if "supplier_number" in values:
        header["supplier_number"] = _text(values, "supplier_number", MAX_SUPPLIER_NUMBER, errors)
    if "notes" in values:
        header["notes"] = _text(values, "notes", MAX_NOTES, errors)
    if "project" in values:
        header["project"] = _text(values, "project", MAX_PROJECT, errors)
    if values.get("currency") not in (None, ""):
        code = str(values["currency"]).strip().upper()
        if is_currency(code):
            header["currency"] = code
        else:
            errors.append(FieldError("currency", "A currency code such as EUR.", "invalid"))
    elif current is None or "supplier" in values:
        base = organizations.get_current(session).base_currency
        header["currency"] = (party.currency if party else None) or base
    if "prices_include_tax" in values:
        flag = values["prices_include_tax"]
        if isinstance(flag, bool):
            header["prices_include_tax"] = flag
        else:
            errors.append(FieldError("prices_include_tax", "true or false.", "invalid"))
    if values.get("payment_terms") not in (None, ""):
        if values["payment_terms"] in PAYMENT_TERMS:
            header["payment_terms"] = values["payment_terms"]
        else:
            errors.append(
                FieldError("payment_terms", f"One of {', '.join(PAYMENT_TERMS)}.", "invalid")
            )
    elif current is None or "supplier" in values:
        header["payment_terms"] = (party.payment_terms if party else None) or DEFAULT_TERMS
    return party, header, errors


def _dates(
    header: dict[str, Any], values: dict[str, Any], current: PurchaseDocument | None
) -> None:
    """The due date given, else the one the payment terms give from the supplier's date,
    kept in step when the date or the terms change unless it was set by hand."""
    issued = header.get("issue_date") or (current.issue_date if current else today())
    terms = header.get("payment_terms") or (current.payment_terms if current else DEFAULT_TERMS)
    if header.get("due_date") is not None:
        if header["due_date"] < issued:
            raise ValidationFailed.single(
                "due_date", "On or after the bill's date.", "before_issue_date"
            )
        return
    if current is not None and "due_date" not in values:
        by_terms = due_date(current.issue_date, current.payment_terms or DEFAULT_TERMS)
        if current.due_date is not None and current.due_date != by_terms:
            if current.due_date < issued:
                raise ValidationFailed.single(
                    "due_date", "On or after the bill's date.", "before_issue_date"
                )
            return
    header["due_date"] = due_date(issued, terms or DEFAULT_TERMS)


def check(
    session: Session, values: dict[str, Any], current: PurchaseDocument | None = None
) -> Draft:
    party, header, errors = _header(session, values, current)
    currency = header.get("currency") or (current.currency if current else "")
    include = header.get("prices_include_tax", current.prices_include_tax if current else False)
    lines: list[dict[str, Any]] = []
    calculation = None
    try:
        if "lines" in values or current is None:
            lines, calculation = bill_lines.check_lines(
                session, values.get("lines", []), currency=currency, prices_include_tax=include
            )
        else:
            lines, calculation = bill_lines.recalculate(
                session, lines_of(session, current.id), currency, include
            )
    except ValidationFailed as exc:
        errors.extend(exc.errors)
    if not errors:
        try:
            _dates(header, values, current)
        except ValidationFailed as exc:
            errors.extend(exc.errors)
    if errors or party is None or calculation is None:
        raise ValidationFailed(errors)
    issued = header.get("issue_date") or (current.issue_date if current else today())
    base = organizations.get_current(session).base_currency
    header["exchange_rate"] = rates.find_rate(session, currency, base, issued, "currency")
    return Draft(party, header, lines, calculation)


def write_lines(
    session: Session,
    document: PurchaseDocument,
    lines: list[dict[str, Any]],
    calculation: Calculation,
) -> None:
    session.execute(
        delete(PurchaseDocumentLine).where(PurchaseDocumentLine.document_id == document.id)
    )
    session.add_all(
        PurchaseDocumentLine(document_id=document.id, position=index, **line)
        for index, line in enumerate(lines)
    )
    document.net, document.tax, document.gross = (
        calculation.net,
        calculation.tax,
        calculation.gross,
    )


def flag_duplicate(session: Session, document: PurchaseDocument) -> None:
    """Point at another document of the same supplier with the same supplier number, for
    a human to look at: suppliers send the same bill twice, and sometimes reuse numbers."""
    document.duplicate_of_id = None
    if not document.supplier_number:
        return
    document.duplicate_of_id = session.scalar(
        select(PurchaseDocument.id)
        .where(
            PurchaseDocument.kind == document.kind,
            PurchaseDocument.party_id == document.party_id,
            PurchaseDocument.id != document.id,
            PurchaseDocument.status != "cancelled",
            number_matches(document.supplier_number),
        )
        .order_by(PurchaseDocument.created_at, PurchaseDocument.id)
        .limit(1)
    )


def create_draft(
    session: Session,
    kind: Kind,
    values: dict[str, Any],
    *,
    actor_id: uuid.UUID | None,
    source: PurchaseDocument | None = None,
) -> PurchaseDocument:
    draft = check(session, values)
    document = PurchaseDocument(
        kind=kind,
        status="draft",
        party_id=draft.party.id,
        created_by_id=actor_id,
        source_id=source.id if source is not None else None,
        **{key: value for key, value in draft.header.items() if key != "party_id"},
    )
    session.add(document)
    session.flush()
    write_lines(session, document, draft.lines, draft.calculation)
    flag_duplicate(session, document)
    session.flush()
    approvals.record(session, "bill", document.id, "created", actor_id=actor_id)
    audit.record(
        session,
        f"{'bill' if kind == 'bill' else 'supplier_credit_note'}.created",
        target_type=kind,
        target_id=document.id,
        after={"supplier": draft.party.code, "gross": document.gross},
    )
    if kind == "bill":
        outbox.emit(session, "bill.created", payload(document))
    return document


def update_draft(
    session: Session, document: PurchaseDocument, values: dict[str, Any]
) -> PurchaseDocument:
    """Change a draft, or a rejected bill, which goes back to draft to be submitted again."""
    if document.kind == "bill":
        approvals.check_editable(document, "bill")
    elif document.status != "draft":
        raise Conflict(
            f"This supplier credit note is {document.status}; it can no longer be changed.",
            code="not_editable",
        )
    draft = check(session, values, document)
    for key, value in draft.header.items():
        setattr(document, key, value)
    write_lines(session, document, draft.lines, draft.calculation)
    flag_duplicate(session, document)
    session.flush()
    audit.record(
        session,
        f"{'bill' if document.kind == 'bill' else 'supplier_credit_note'}.updated",
        target_type=document.kind,
        target_id=document.id,
        after={"gross": document.gross},
    )
    return document


def delete_draft(session: Session, document: PurchaseDocument) -> None:
    if document.status != "draft":
        advice = "; correct it with a supplier credit note." if document.entry_id else "."
        raise Conflict(
            f"This {KIND_NAMES[document.kind]} is {document.status.replace('_', ' ')}; only "
            f"drafts can be deleted{advice}",
            code="not_a_draft",
        )
    document_id = document.id
    for other in session.scalars(
        select(PurchaseDocument).where(PurchaseDocument.duplicate_of_id == document_id)
    ):
        other.duplicate_of_id = None
    session.delete(document)
    session.flush()
    audit.record(
        session,
        f"{'bill' if document.kind == 'bill' else 'supplier_credit_note'}.deleted",
        target_type=document.kind,
        target_id=document_id,
    )


def _check_postable(session: Session, document: PurchaseDocument, field: str) -> Party:
    if not document.supplier_number:
        raise ValidationFailed.single(
            "supplier_number", "Give the supplier's number of this document.", "required"
        )
    if not lines_of(session, document.id):
        raise ValidationFailed.single("lines", "Add at least one line.", "empty")
    party = parties.get(session, document.party_id)
    if party.archived_at is not None:
        raise ValidationFailed.single(
            "supplier", f"{party.name} is archived; restore it first.", "archived"
        )
    if document.gross <= 0:
        raise ValidationFailed.single(
            "lines", f"A {KIND_NAMES[document.kind]} must total more than zero.", "not_positive"
        )
    periods.check_open(session, document.issue_date, field)
    if document.source_id is not None:
        # A credit note correcting a bill reverses it at the bill's rate, so that crediting
        # all of it leaves nothing on the payable in the base currency either.
        document.exchange_rate = get(session, document.source_id).exchange_rate
    else:
        base = organizations.get_current(session).base_currency
        document.exchange_rate = rates.find_rate(
            session, document.currency, base, document.issue_date, "currency"
        )
    return party


def _recalculated(
    session: Session, document: PurchaseDocument, advice: str
) -> tuple[list[dict[str, Any]], Calculation]:
    """The lines and totals with the tax rates of today. A bill is approved for the
    totals it shows: when a rate changed since, they are refused with ``advice`` rather
    than posted different."""
    stored, calculation = bill_lines.recalculate(
        session, lines_of(session, document.id), document.currency, document.prices_include_tax
    )
    if document.kind == "bill" and (calculation.net, calculation.tax, calculation.gross) != (
        document.net,
        document.tax,
        document.gross,
    ):
        money = document.currency
        raise Conflict(
            f"A tax rate changed since this bill was entered: it would now total "
            f"{format_minor(calculation.gross, money)} instead of "
            f"{format_minor(document.gross, money)}. {advice}",
            code="totals_changed",
        )
    return stored, calculation


def post(
    session: Session, document: PurchaseDocument, *, actor_id: uuid.UUID | None
) -> PurchaseDocument:
    """Post an approved bill or a supplier credit note: its entry in the purchases
    journal, figures recalculated and frozen as posted."""
    party = _check_postable(session, document, "issue_date")
    stored, calculation = _recalculated(
        session, document, "Reject it, so that it is corrected and submitted again."
    )
    write_lines(session, document, stored, calculation)
    session.flush()
    document.entry_id = posting.post_document(
        session, document, lines_of(session, document.id), calculation, party, actor_id=actor_id
    )
    document.status = "posted"
    document.posted_at = clock.now()
    approvals.record(
        session, "bill", document.id, "posted", actor_id=actor_id, detail={"gross": document.gross}
    )
    audit.record(
        session,
        f"{'bill' if document.kind == 'bill' else 'supplier_credit_note'}.posted",
        target_type=document.kind,
        target_id=document.id,
        after={"supplier_number": document.supplier_number, "gross": document.gross},
    )
    session.flush()
    return document


def _approved(session: Session, bill: PurchaseDocument, actor_id: uuid.UUID | None) -> None:
    post(session, bill, actor_id=actor_id)
    outbox.emit(session, "bill.approved", payload(bill))


def submit(session: Session, bill: PurchaseDocument, *, actor_id: uuid.UUID) -> PurchaseDocument:
    """Send a draft (or a corrected rejected bill) for approval; a bill the rules let
    through at once is posted now."""
    _check_postable(session, bill, "issue_date")
    _recalculated(session, bill, "Save it again to update its totals, then submit it.")
    base = organizations.get_current(session).base_currency
    amount = rates.convert(bill.gross, bill.currency, base, bill.exchange_rate)
    approved = approvals.submit(session, bill, "bill", amount=amount, actor_id=actor_id)
    outbox.emit(session, "bill.submitted", payload(bill))
    if approved:
        _approved(session, bill, actor_id)
    session.flush()
    return bill


def approve(session: Session, bill: PurchaseDocument, *, actor_id: uuid.UUID) -> PurchaseDocument:
    """Approve the pending step; the last approval posts the bill."""
    if approvals.approve(session, bill, "bill", actor_id=actor_id):
        _approved(session, bill, actor_id)
    session.flush()
    return bill


def reject(
    session: Session, bill: PurchaseDocument, *, actor_id: uuid.UUID, reason: object
) -> PurchaseDocument:
    approvals.reject(session, bill, "bill", actor_id=actor_id, reason=reason)
    outbox.emit(session, "bill.rejected", {**payload(bill), "reason": bill.rejection_reason})
    session.flush()
    return bill


def history(session: Session, document_id: uuid.UUID) -> list[ApprovalAction]:
    return approvals.history(session, document_id)


def list_documents(
    session: Session, filters: BillFilter, *, limit: int | None, cursor: str | None
) -> Page[PurchaseDocument]:
    query = select(PurchaseDocument).where(PurchaseDocument.kind == filters.kind)
    if filters.status:
        query = query.where(PurchaseDocument.status == filters.status)
    if filters.overdue:
        query = query.where(
            PurchaseDocument.status.in_(OPEN_BILL), PurchaseDocument.due_date < today()
        )
    if filters.party_id is not None:
        query = query.where(PurchaseDocument.party_id == filters.party_id)
    if filters.date_from is not None:
        query = query.where(PurchaseDocument.issue_date >= filters.date_from)
    if filters.date_to is not None:
        query = query.where(PurchaseDocument.issue_date <= filters.date_to)
    if filters.q and filters.q.strip():
        pattern = f"%{normalized_number(filters.q)}%"
        query = query.where(
            or_(
                func.lower(
                    func.replace(func.coalesce(PurchaseDocument.supplier_number, ""), " ", "")
                ).like(pattern),
                PurchaseDocument.party_id.in_(parties.ids_matching(filters.q)),
            )
        )
    return keyset_page(session, query, PurchaseDocument.id, limit=limit, cursor=cursor)


def by_ids(session: Session, ids: set[uuid.UUID]) -> dict[uuid.UUID, PurchaseDocument]:
    if not ids:
        return {}
    found = session.scalars(select(PurchaseDocument).where(PurchaseDocument.id.in_(ids)))
    return {document.id: document for document in found}


def bill_uses_party(session: Session, party_id: uuid.UUID) -> bool:
    return (
        session.scalar(
            select(PurchaseDocument.id).where(PurchaseDocument.party_id == party_id).limit(1)
        )
        is not None
    )
