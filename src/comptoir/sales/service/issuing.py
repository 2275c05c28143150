"""Issuing an invoice or a credit note: in one transaction it takes the next gap-free
number of its series, freezes the document (seller and buyer as they are today, the
exchange rate of the issue date), posts its entry and stores its PDF. Any failure rolls
all of it back, number included."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from comptoir.audit import service as audit
from comptoir.identity.service import organizations
from comptoir.kit import clock
from comptoir.kit.errors import ValidationFailed
from comptoir.ledger.service import periods, rates
from comptoir.outbox import service as outbox
from comptoir.parties.service import parties
from comptoir.parties.service.terms import due_date
from comptoir.sales.models import SalesDocument
from comptoir.sales.service import documents, numbering, pdf, posting, snapshots
from comptoir.sales.service import settings as sales_settings

FORMAT_FIELDS = {"invoice": "invoice_number_format", "credit_note": "credit_note_number_format"}


def _check_chronology(session: Session, document: SalesDocument) -> None:
    """Numbers follow dates: an invoice cannot be dated before the last one issued in its
    series. Checked after the number is reserved, under the series' lock."""
    latest = session.scalar(
        select(func.max(SalesDocument.issue_date)).where(
            SalesDocument.kind == document.kind,
            SalesDocument.number.is_not(None),
            SalesDocument.id != document.id,
        )
    )
    if latest is not None and document.issue_date < latest:
        raise ValidationFailed.single(
            "issue_date",
            f"The last {documents.KIND_NAMES[document.kind]} issued is dated "
            f"{latest.isoformat()}; numbers must follow dates, so date this one on or after it.",
            "before_last_issued",
        )


def issue(
    session: Session,
    document: SalesDocument,
    *,
    actor_id: uuid.UUID | None = None,
    announce: bool = True,
) -> SalesDocument:
    """Issue a draft invoice or credit note (see the module's docstring).

    ``announce=False`` leaves the ``<kind>.issued`` event to the caller, which emits it
    once it has finished (a credit note first settles its invoice)."""
    documents.require_draft(document)
    kind = document.kind
    lines = documents.lines_of(session, document.id)
    if not lines:
        raise ValidationFailed.single("lines", "Add at least one line before issuing.", "empty")
    party = parties.get(session, document.party_id)
    if party.archived_at is not None:
        raise ValidationFailed.single(
            "customer", f"{party.name} is archived; restore it first.", "archived"
        )
    periods.check_open(session, document.issue_date, "issue_date")
    base = organizations.get_current(session).base_currency
    document.exchange_rate = rates.find_rate(
        session, document.currency, base, document.issue_date, "currency"
    )
    stored, calculation = documents.recalculate_stored(session, document, lines)
    documents.write_lines(session, document, stored, calculation)
    session.flush()
    lines = documents.lines_of(session, document.id)
    if kind == "invoice" and document.due_date is None:
        document.due_date = due_date(document.issue_date, document.payment_terms or "net_30")
    template = getattr(sales_settings.get(session), FORMAT_FIELDS[kind])
    document.number, _ = numbering.next_number(session, kind, template, document.issue_date)
    _check_chronology(session, document)
    document.seller = snapshots.seller(session)
    document.buyer = snapshots.buyer(party)
    document.status = "issued"
    document.issued_at = clock.now()
    document.entry_id = posting.post_document(
        session, document, lines, calculation, party, actor_id=actor_id
    )
    session.flush()
    pdf.store(session, document)
    documents.log(
        session, document, "issued", actor_id=actor_id, detail={"number": document.number}
    )
    audit.record(
        session,
        f"{kind}.issued",
        target_type=kind,
        target_id=document.id,
        after={"number": document.number, "gross": document.gross},
    )
    if announce:
        outbox.emit(session, f"{kind}.issued", documents.payload(document))
    return document
