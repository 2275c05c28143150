"""A customer's statement of account over a period, in one currency: the balance brought
forward, every invoice, credit note, payment and refund of the period with the running
balance, the closing balance, then what was still open at the end of the period, aged.

Invoices charge the customer (debit); credit notes and payments received settle
(credit); refunds pay credit back out (debit). The closing balance is what the aged
receivables say the customer owed on the last day, less the credit they held.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from comptoir.identity.service import organizations
from comptoir.kit.ageing import BUCKETS, AgedLine, bucket_of
from comptoir.kit.errors import ValidationFailed
from comptoir.kit.money import is_currency
from comptoir.parties.service import parties
from comptoir.parties.service.parties import Party
from comptoir.printing import Column, PrintedDocument, PrintedParty, PrintedTable, render
from comptoir.sales.models import Allocation, Payment, SalesDocument
from comptoir.sales.service import documents, pdf, receivables, snapshots
from comptoir.sales.service import settings as sales_settings

# The order of a day's movements: what was charged, then what settled it.
_KIND_ORDER = {"invoice": 0, "refund": 1, "credit_note": 2, "payment": 3}


@dataclass(frozen=True)
class Movement:
    on: date
    kind: str  # invoice, credit_note, payment or refund
    id: uuid.UUID
    number: str | None  # the document's number, or the payment's reference
    due_date: date | None
    debit: int
    credit: int
    balance: int


@dataclass(frozen=True)
class OpenItem:
    """An invoice not fully settled on the statement's last day."""

    id: uuid.UUID
    number: str
    issue_date: date
    due_date: date | None
    gross: int
    settled: int
    bucket: str
    days_late: int

    @property
    def due(self) -> int:
        return self.gross - self.settled


@dataclass(frozen=True)
class Statement:
    party: Party
    currency: str
    date_from: date
    date_to: date
    language: str
    opening: int
    movements: list[Movement]
    open_items: list[OpenItem]
    ageing: AgedLine
    debits: int = field(init=False)
    credits: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "debits", sum(m.debit for m in self.movements))
        object.__setattr__(self, "credits", sum(m.credit for m in self.movements))

    @property
    def closing(self) -> int:
        return self.opening + self.debits - self.credits


def _opening(session: Session, party_id: uuid.UUID, currency: str, before: date) -> int:
    """What the customer owed at the start of ``before``: summed, not listed."""
    charged = session.execute(
        select(SalesDocument.kind, func.sum(SalesDocument.gross))
        .where(
            SalesDocument.party_id == party_id,
            SalesDocument.currency == currency,
            SalesDocument.kind.in_(("invoice", "credit_note")),
            SalesDocument.number.is_not(None),
            SalesDocument.issue_date < before,
        )
        .group_by(SalesDocument.kind)
    )
    paid = session.execute(
        select(Payment.direction, func.sum(Payment.amount))
        .where(Payment.party_id == party_id, Payment.currency == currency, Payment.date < before)
        .group_by(Payment.direction)
    )
    sign = {"invoice": 1, "credit_note": -1, "in": -1, "out": 1}
    return sum(sign[key] * int(total) for key, total in [*charged, *paid])


def _movements(
    session: Session, party_id: uuid.UUID, currency: str, start: date, end: date, opening: int
) -> list[Movement]:
    rows: list[tuple[date, str, uuid.UUID, str | None, date | None, int, int]] = []
    for document in session.scalars(
        select(SalesDocument).where(
            SalesDocument.party_id == party_id,
            SalesDocument.currency == currency,
            SalesDocument.kind.in_(("invoice", "credit_note")),
            SalesDocument.number.is_not(None),
            SalesDocument.issue_date >= start,
            SalesDocument.issue_date <= end,
        )
    ):
        invoice = document.kind == "invoice"
        rows.append(
            (
                document.issue_date,
                document.kind,
                document.id,
                document.number,
                document.due_date if invoice else None,
                document.gross if invoice else 0,
                0 if invoice else document.gross,
            )
        )
    for payment in session.scalars(
        select(Payment).where(
            Payment.party_id == party_id,
            Payment.currency == currency,
            Payment.date >= start,
            Payment.date <= end,
        )
    ):
        received = payment.direction == "in"
        rows.append(
            (
                payment.date,
                "payment" if received else "refund",
                payment.id,
                payment.reference,
                None,
                0 if received else payment.amount,
                payment.amount if received else 0,
            )
        )
    rows.sort(key=lambda row: (row[0], _KIND_ORDER[row[1]], row[3] or "", row[2]))
    movements, balance = [], opening
    for on, kind, item_id, number, due, debit, credit in rows:
        balance += debit - credit
        movements.append(Movement(on, kind, item_id, number, due, debit, credit, balance))
    return movements


def _open_items(session: Session, party_id: uuid.UUID, currency: str, on: date) -> list[OpenItem]:
    invoices = list(
        session.scalars(
            select(SalesDocument)
            .where(
                SalesDocument.party_id == party_id,
                SalesDocument.currency == currency,
                SalesDocument.kind == "invoice",
                SalesDocument.number.is_not(None),
                SalesDocument.issue_date <= on,
            )
            .order_by(SalesDocument.issue_date, SalesDocument.number)
        )
    )
    settled = dict(
        session.execute(
            select(Allocation.document_id, func.sum(Allocation.amount))
            .where(Allocation.document_id.in_([i.id for i in invoices]), Allocation.date <= on)
            .group_by(Allocation.document_id)
        ).all()
    )
    items = []
    for invoice in invoices:
        paid = int(settled.get(invoice.id, 0))
        if paid >= invoice.gross:
            continue
        assert invoice.number is not None
        late = (on - invoice.due_date).days if invoice.due_date else 0
        items.append(
            OpenItem(
                invoice.id,
                invoice.number,
                invoice.issue_date,
                invoice.due_date,
                invoice.gross,
                paid,
                bucket_of(invoice.due_date, on),
                max(late, 0),
            )
        )
    return items


def statement(
    session: Session,
    party_id: uuid.UUID,
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    currency: str | None = None,
) -> Statement:
    """The statement of a customer (404 for anyone else) from ``date_from`` (default: the
    first of January of ``date_to``'s year) to ``date_to`` (default: today), in
    ``currency`` (default: the customer's, then the organization's)."""
    party = parties.get(session, party_id, "customer")
    organization = organizations.get_current(session)
    end = date_to or documents.today()
    start = date_from or date(end.year, 1, 1)
    if start > end:
        raise ValidationFailed.single("date_from", "On or before date_to.", "invalid_range")
    money = (currency or party.currency or organization.base_currency).strip().upper()
    if not is_currency(money):
        raise ValidationFailed.single("currency", "A currency code such as EUR.")
    opening = _opening(session, party.id, money, start)
    ageing = next(
        (
            line
            for line in receivables.aged_receivables(session, end, party.id)
            if line.currency == money
        ),
        AgedLine(party.id, money),
    )
    return Statement(
        party=party,
        currency=money,
        date_from=start,
        date_to=end,
        language=party.language or organization.locale,
        opening=opening,
        movements=_movements(session, party.id, money, start, end, opening),
        open_items=_open_items(session, party.id, money, end),
        ageing=ageing,
    )


# -- the PDF --------------------------------------------------------------------------------

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Statement of account",
        "from": "From",
        "to": "Customer",
        "period": "Period",
        "customer": "Customer no.",
        "currency": "Currency",
        "date": "Date",
        "document": "Document",
        "details": "Details",
        "debit": "Debit",
        "credit": "Credit",
        "balance": "Balance",
        "opening": "Opening balance",
        "closing": "Closing balance",
        "invoice": "Invoice",
        "due": "due {date}",
        "credit_note": "Credit note",
        "payment": "Payment received",
        "refund": "Refund",
        "open_items": "Open items on {date}",
        "late": "{days} days late",
        "ageing": "Ageing",
        "amount": "Amount",
        "not_due": "Not due",
        "days_1_30": "1 to 30 days",
        "days_31_60": "31 to 60 days",
        "days_61_90": "61 to 90 days",
        "over_90": "Over 90 days",
        "unapplied_credit": "Unapplied credit",
        "debits": "Invoiced and refunded",
        "credits": "Paid and credited",
        "payment_heading": "Payment",
        "bank": "Bank",
        "page": "Page {page}/{pages}",
    },
    "fr": {
        "title": "Relevé de compte",
        "from": "Émetteur",
        "to": "Client",
        "period": "Période",
        "customer": "N° client",
        "currency": "Devise",
        "date": "Date",
        "document": "Pièce",
        "details": "Libellé",
        "debit": "Débit",
        "credit": "Crédit",
        "balance": "Solde",
        "opening": "Solde d'ouverture",
        "closing": "Solde de clôture",
        "invoice": "Facture",
        "due": "échéance {date}",
        "credit_note": "Avoir",
        "payment": "Règlement reçu",
        "refund": "Remboursement",
        "open_items": "Pièces ouvertes au {date}",
        "late": "{days} jours de retard",
        "ageing": "Balance âgée",
        "amount": "Montant",
        "not_due": "Non échu",
        "days_1_30": "1 à 30 jours",
        "days_31_60": "31 à 60 jours",
        "days_61_90": "61 à 90 jours",
        "over_90": "Plus de 90 jours",
        "unapplied_credit": "Avoirs et acomptes non imputés",
        "debits": "Facturé et remboursé",
        "credits": "Réglé et crédité",
        "payment_heading": "Règlement",
        "bank": "Banque",
        "page": "Page {page}/{pages}",
    },
}


def _details(movement: Movement, formats: pdf.Formats) -> str:
    words = formats.words
    if movement.kind == "invoice" and movement.due_date is not None:
        due = words["due"].format(date=formats.day(movement.due_date, "medium"))
        return f"{words['invoice']}, {due}"
    return words[movement.kind]


def _party(data: dict[str, Any]) -> PrintedParty:
    lines = [str(line) for line in data.get("address") or []]
    for key in ("email", "vat_number"):
        if data.get(key):
            lines.append(str(data[key]))
    return PrintedParty(name=str(data.get("name") or ""), lines=tuple(lines))


def build(session: Session, found: Statement) -> PrintedDocument:
    formats = pdf.Formats(found.language, found.currency, WORDS)
    words, money = formats.words, formats.money
    rows = [
        (formats.day(found.date_from, "medium"), "", words["opening"], "", "", money(found.opening))
    ]
    for movement in found.movements:
        rows.append(
            (
                formats.day(movement.on, "medium"),
                movement.number or "",
                _details(movement, formats),
                money(movement.debit) if movement.debit else "",
                money(movement.credit) if movement.credit else "",
                money(movement.balance),
            )
        )
    rows.append(
        (
            formats.day(found.date_to, "medium"),
            "",
            words["closing"],
            money(found.debits),
            money(found.credits),
            money(found.closing),
        )
    )
    if found.open_items:
        rows.append(
            (
                "",
                "",
                words["open_items"].format(date=formats.day(found.date_to, "medium")),
                "",
                "",
                "",
            )
        )
        for item in found.open_items:
            late = words["late"].format(days=item.days_late) if item.days_late else ""
            due = (
                words["due"].format(date=formats.day(item.due_date, "medium"))
                if item.due_date
                else ""
            )
            rows.append(
                (
                    formats.day(item.issue_date, "medium"),
                    item.number,
                    ", ".join(text for text in (due, late) if text),
                    money(item.gross),
                    money(item.settled) if item.settled else "",
                    money(item.due),
                )
            )
    ageing = [(words[bucket], money(found.ageing.buckets[bucket])) for bucket in BUCKETS]
    if found.ageing.unapplied_credit:
        ageing.append((words["unapplied_credit"], money(-found.ageing.unapplied_credit)))
    seller = snapshots.seller(session)
    payment: list[tuple[str, str]] = []
    if seller.get("bank_name"):
        payment.append((words["bank"], seller["bank_name"]))
    if seller.get("iban"):
        iban = seller["iban"]
        payment.append(("IBAN", " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))))
    if seller.get("bic"):
        payment.append(("BIC", seller["bic"]))
    period = f"{formats.day(found.date_from, 'long')} – {formats.day(found.date_to, 'long')}"  # noqa: RUF001 - a typographic range dash
    return PrintedDocument(
        title=words["title"],
        number=None,
        logo=sales_settings.get(session).logo,
        seller=_party(seller),
        buyer=_party(snapshots.buyer(found.party)),
        seller_heading=words["from"],
        buyer_heading=words["to"],
        facts=(
            (words["period"], period),
            (words["customer"], found.party.code),
            (words["currency"], found.currency),
        ),
        table=PrintedTable(
            columns=(
                Column(words["date"], "left", 1.6),
                Column(words["document"], "left", 1.6),
                Column(words["details"], "left", 2.7),
                Column(words["debit"], "right", 1.4),
                Column(words["credit"], "right", 1.4),
                Column(words["balance"], "right", 1.5),
            ),
            rows=tuple(rows),
        ),
        taxes=PrintedTable(
            columns=(Column(words["ageing"], "left", 2.0), Column(words["amount"], "right", 1.4)),
            rows=tuple(ageing),
        ),
        totals=(
            (words["opening"], money(found.opening)),
            (words["debits"], money(found.debits)),
            (words["credits"], money(found.credits)),
            (words["closing"], money(found.closing)),
        ),
        payment=tuple(payment),
        payment_heading=words["payment_heading"],
        footer=seller.get("footer"),
        language=formats.locale.language,
        created_at=datetime.combine(found.date_to, time(), tzinfo=UTC),
        page_label=words["page"],
    )


def render_pdf(session: Session, found: Statement) -> bytes:
    return render(build(session, found))


def file_name(found: Statement) -> str:
    return f"statement-{found.party.code}-{found.date_to.isoformat()}.pdf"
