"""Sales documents and payments as the API shows them: amounts as decimal strings in
their currency, from the stored totals the PDF and the ledger were made from."""

from __future__ import annotations

from collections.abc import Sequence

from comptoir.kit.money import format_minor, plain_decimal
from comptoir.ledger.service import accounts
from comptoir.parties.service import parties
from comptoir.parties.service.parties import Party
from comptoir.sales import schemas
from comptoir.sales.models import Allocation, Payment, SalesDocument
from comptoir.sales.service import documents, mailing, payments, quotes, settlements
from comptoir.server.deps import DbSession


def party_ref(party: Party) -> schemas.PartyRef:
    return schemas.PartyRef(id=party.id, code=party.code, name=party.name)


def summary(document: SalesDocument, party: Party) -> schemas.DocumentSummary:
    money = document.currency
    return schemas.DocumentSummary(
        id=document.id,
        kind=document.kind,
        number=document.number,
        status=quotes.status_of(document),
        overdue=documents.is_overdue(document),
        customer=party_ref(party),
        currency=money,
        issue_date=document.issue_date,
        due_date=document.due_date,
        totals=schemas.Totals(
            net=format_minor(document.net, money),
            tax=format_minor(document.tax, money),
            gross=format_minor(document.gross, money),
        ),
        amount_due=format_minor(documents.amount_due(document), money),
        created_at=document.created_at,
    )


def settlement(allocation: Allocation, currency: str) -> schemas.SettlementOut:
    return schemas.SettlementOut(
        id=allocation.id,
        date=allocation.date,
        amount=format_minor(allocation.amount, currency),
        invoice_id=allocation.document_id,
        payment_id=allocation.payment_id,
        credit_note_id=allocation.credit_note_id,
    )


def detail(session: DbSession, document: SalesDocument) -> schemas.DocumentOut:
    party = documents.customers_of(session, [document])[document.party_id]
    lines = documents.lines_of(session, document.id)
    money = document.currency
    codes = accounts.codes_of(session, (line.account_id for line in lines if line.account_id))
    calculation = documents.recalculate_stored(session, document, lines)[1]
    return schemas.DocumentOut(
        **summary(document, party).model_dump(),
        exchange_rate=plain_decimal(document.exchange_rate),
        prices_include_tax=document.prices_include_tax,
        payment_terms=document.payment_terms,
        reference=document.reference,
        notes=document.notes,
        language=document.language,
        valid_until=document.valid_until,
        source_id=document.source_id,
        entry_id=document.entry_id,
        lines=[
            schemas.LineOut(
                id=line.id,
                product_id=line.product_id,
                description=line.description,
                quantity=plain_decimal(line.quantity),
                unit=line.unit,
                unit_price=plain_decimal(line.unit_price),
                discount_percent=plain_decimal(line.discount_percent),
                tax_codes=list(line.tax_codes or []),
                account=codes.get(line.account_id) if line.account_id else None,
                net=format_minor(line.net, money),
                tax=format_minor(line.tax, money),
                gross=format_minor(line.gross, money),
            )
            for line in lines
        ],
        taxes=[
            schemas.TaxOut(
                code=total.code,
                rate=plain_decimal(total.rate),
                base=format_minor(total.base, money),
                amount=format_minor(total.amount, money),
            )
            for total in calculation.taxes
        ],
        settlements=[
            settlement(allocation, money)
            for allocation in settlements.allocations_of(session, document.id)
        ],
        timeline=timeline(session, document),
        issued_at=document.issued_at,
        sent_at=document.sent_at,
        paid_at=document.paid_at,
        cancelled_at=document.cancelled_at,
        updated_at=document.updated_at,
    )


def quote_summary(document: SalesDocument, party: Party) -> schemas.QuoteSummary:
    return schemas.QuoteSummary(
        **summary(document, party).model_dump(), valid_until=document.valid_until
    )


def quote_detail(session: DbSession, document: SalesDocument, base_url: str) -> schemas.QuoteOut:
    """The quote with its approval, the customer's answer, its link and its invoice."""
    invoice = quotes.invoice_of(session, document)
    submitted = document.submitted_at is not None
    return schemas.QuoteOut(
        **detail(session, document).model_dump(),
        approval=schemas.QuoteApprovalOut(
            submitted_at=document.submitted_at,
            approved_at=document.approved_at,
            approved_by_id=document.approved_by_id,
            automatic=document.approved_at is not None and document.approved_by_id is None,
            rejection_reason=document.rejection_reason,
        )
        if submitted
        else None,
        acceptance=schemas.QuoteAcceptanceOut(
            accepted_at=document.accepted_at,
            name=document.accepted_name,
            ip=document.accepted_ip,
            user_agent=document.accepted_user_agent,
        )
        if document.accepted_at is not None
        else None,
        decline=schemas.QuoteDeclineOut(
            declined_at=document.declined_at, reason=document.decline_reason
        )
        if document.declined_at is not None
        else None,
        viewed_at=document.viewed_at,
        public_url=(base_url + documents.public_path(document) if document.public_token else None),
        invoice_id=invoice.id if invoice is not None else None,
    )


def timeline(session: DbSession, document: SalesDocument) -> list[schemas.EventOut]:
    """The document's events; a sending also says where each of its messages stands."""
    events = documents.events_of(session, document.id)
    return [
        schemas.EventOut(kind=event.kind, at=event.at, detail=details)
        for event, details in zip(events, mailing.with_delivery(session, events), strict=True)
    ]


def payments_out(session: DbSession, found: Sequence[Payment]) -> list[schemas.PaymentOut]:
    """Payments with their customer, account and allocations, read in one query each."""
    customers = parties.by_ids(session, {payment.party_id for payment in found})
    codes = accounts.codes_of(session, {payment.account_id for payment in found})
    allocations = payments.allocations_by_payment(session, [payment.id for payment in found])
    return [
        schemas.PaymentOut(
            id=payment.id,
            customer=party_ref(customers[payment.party_id]),
            direction=payment.direction,
            date=payment.date,
            amount=format_minor(payment.amount, payment.currency),
            currency=payment.currency,
            exchange_rate=plain_decimal(payment.exchange_rate),
            method=payment.method,
            account=codes[payment.account_id],
            reference=payment.reference,
            notes=payment.notes,
            allocated=format_minor(payment.allocated, payment.currency),
            unallocated=format_minor(payment.amount - payment.allocated, payment.currency),
            entry_id=payment.entry_id,
            allocations=[
                settlement(allocation, payment.currency)
                for allocation in allocations.get(payment.id, [])
            ],
            created_at=payment.created_at,
        )
        for payment in found
    ]
