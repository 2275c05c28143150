"""The PDF of a quote, an invoice or a credit note: built from the same stored lines and
totals the API returns, in the document's language and number format. An issued
document's PDF is rendered once, when it is issued, and stored: what is sent and
downloaded afterwards is that very file. Drafts are rendered on demand, marked DRAFT."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal
from sqlalchemy.orm import Session

from comptoir.kit.money import from_minor
from comptoir.parties.service import parties
from comptoir.printing import Column, PrintedDocument, PrintedParty, PrintedTable, render
from comptoir.sales.models import SalesDocument, SalesDocumentLine, SalesDocumentPdf
from comptoir.sales.service import documents, snapshots
from comptoir.sales.service import settings as sales_settings
from comptoir.tax.service import taxes

# The words of the documents; any other language falls back to English.
WORDS: dict[str, dict[str, str]] = {
    "en": {
        "quote": "Quote",
        "invoice": "Invoice",
        "credit_note": "Credit note",
        "from": "From",
        "to": "Bill to",
        "issue_date": "Date",
        "due_date": "Due date",
        "valid_until": "Valid until",
        "reference": "Your reference",
        "credits": "Credits invoice",
        "description": "Description",
        "quantity": "Qty",
        "unit_price": "Unit price",
        "discount": "Disc.",
        "tax": "Tax",
        "amount": "Amount",
        "rate": "Rate",
        "base": "Base",
        "net": "Total excl. tax",
        "tax_total": "Tax",
        "gross": "Total incl. tax",
        "paid": "Paid",
        "due": "Amount due",
        "payment": "Payment",
        "bank": "Bank",
        "page": "Page {page}/{pages}",
        "draft": "DRAFT",
        "vat": "VAT",
        "siren": "SIREN",
        "tpin": "TPIN",
        "company_number": "Company no.",
        "exchange": "Exchange rate",
        "payment_reference": "Reference",
    },
    "fr": {
        "quote": "Devis",
        "invoice": "Facture",
        "credit_note": "Avoir",
        "from": "Émetteur",
        "to": "Facturé à",
        "issue_date": "Date",
        "due_date": "Échéance",
        "valid_until": "Valable jusqu'au",
        "reference": "Votre référence",
        "credits": "Avoir sur facture",
        "description": "Désignation",
        "quantity": "Qté",
        "unit_price": "Prix unitaire",
        "discount": "Rem.",
        "tax": "TVA",
        "amount": "Montant HT",
        "rate": "Taux",
        "base": "Base HT",
        "net": "Total HT",
        "tax_total": "TVA",
        "gross": "Total TTC",
        "paid": "Déjà réglé",
        "due": "Net à payer",
        "payment": "Règlement",
        "bank": "Banque",
        "page": "Page {page}/{pages}",
        "draft": "BROUILLON",
        "vat": "N° TVA",
        "siren": "SIREN",
        "tpin": "TPIN",
        "company_number": "N° d'entreprise",
        "exchange": "Taux de change",
        "payment_reference": "Référence",
    },
}


def _locale(language: str | None) -> Locale:
    try:
        return Locale.parse((language or "en").replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return Locale("en")


class Formats:
    """Words, money, numbers and dates in one language: what a document prints and what
    its e-mail says. ``vocabulary`` (words by language) defaults to the documents' one."""

    def __init__(
        self,
        language: str | None,
        currency: str,
        vocabulary: dict[str, dict[str, str]] | None = None,
    ) -> None:
        self.locale = _locale(language)
        self.currency = currency
        vocabulary = vocabulary or WORDS
        self.words = vocabulary.get(self.locale.language, vocabulary["en"])

    def money(self, units: int, currency: str | None = None) -> str:
        code = currency or self.currency
        return str(format_currency(from_minor(units, code), code, locale=self.locale))

    def number(self, value: Decimal) -> str:
        return str(format_decimal(value.normalize(), locale=self.locale))

    def price(self, value: Decimal) -> str:
        """At least the currency's cents (1,10 and 35,00, not 1,1 and 35), more if typed."""
        return str(format_decimal(value, format="#,##0.00####", locale=self.locale))

    def day(self, value: date | None, width: str = "long") -> str:
        return "" if value is None else str(format_date(value, format=width, locale=self.locale))


def _seller(document: SalesDocument, session: Session) -> dict[str, Any]:
    return document.seller or snapshots.seller(session)


def _buyer(document: SalesDocument, session: Session) -> dict[str, Any]:
    return document.buyer or snapshots.buyer(parties.get(session, document.party_id))


def _party_block(data: dict[str, Any], words: dict[str, str], *, seller: bool) -> PrintedParty:
    lines = list(data.get("address") or [])
    if data.get("email"):
        lines.append(data["email"])
    if seller and data.get("phone"):
        lines.append(data["phone"])
    if data.get("siren"):
        lines.append(f"{words['siren']} {data['siren']}")
    if data.get("tpin"):
        lines.append(f"{words['tpin']} {data['tpin']}")
    if data.get("company_number"):
        lines.append(f"{words['company_number']} {data['company_number']}")
    if data.get("vat_number"):
        lines.append(f"{words['vat']} {data['vat_number']}")
    return PrintedParty(name=data.get("name") or "", lines=tuple(lines))


def _rate(value: Decimal, formats: Formats) -> str:
    return f"{formats.number(value)} %"


def build(session: Session, document: SalesDocument) -> PrintedDocument:
    """The printable document, every word and number in the document's language."""
    formats = Formats(document.language, document.currency)
    words = formats.words
    seller = _seller(document, session)
    buyer = _buyer(document, session)
    lines: list[SalesDocumentLine] = documents.lines_of(session, document.id)
    used = taxes.by_codes(session, {code for line in lines for code in line.tax_codes or []})
    has_discount = any(line.discount_percent for line in lines)
    columns = [
        Column(words["description"], "left", 4.6),
        Column(words["quantity"], "right", 0.9),
        Column(words["unit_price"], "right", 1.5),
    ]
    if has_discount:
        columns.append(Column(words["discount"], "right", 0.8))
    columns += [Column(words["tax"], "right", 1.0), Column(words["amount"], "right", 1.6)]
    rows = []
    for line in lines:
        quantity = formats.number(line.quantity) + (f" {line.unit}" if line.unit else "")
        cells = [line.description, quantity, formats.price(line.unit_price)]
        if has_discount:
            cells.append(_rate(line.discount_percent, formats) if line.discount_percent else "")
        rates = [
            _rate(used[code].rate, formats)
            if used.get(code) is not None and used[code].kind == "percent"
            else code
            for code in line.tax_codes or []
        ]
        cells += [", ".join(rates), formats.money(line.net)]
        rows.append(tuple(cells))
    calculation = documents.recalculate_stored(session, document, lines)[1]
    tax_rows = tuple(
        (
            f"{used[total.code].label if total.code in used else total.code}",
            _rate(total.rate, formats) if total.kind == "percent" else "",
            formats.money(total.base),
            formats.money(total.amount),
        )
        for total in calculation.taxes
    )
    totals = [
        (words["net"], formats.money(document.net)),
        (words["tax_total"], formats.money(document.tax)),
        (words["gross"], formats.money(document.gross)),
    ]
    if document.kind == "invoice" and document.settled:
        totals.append((words["paid"], formats.money(document.settled)))
    if document.kind == "invoice":
        totals.append((words["due"], formats.money(documents.amount_due(document))))
    facts = [(words["issue_date"], formats.day(document.issue_date))]
    if document.kind == "invoice" and document.due_date:
        facts.append((words["due_date"], formats.day(document.due_date)))
    if document.kind == "quote" and document.valid_until:
        facts.append((words["valid_until"], formats.day(document.valid_until)))
    if document.kind == "credit_note" and document.source_id:
        source = session.get(SalesDocument, document.source_id)
        if source is not None and source.number:
            facts.append((words["credits"], source.number))
    if document.reference:
        facts.append((words["reference"], document.reference))
    base_currency = seller.get("base_currency")
    if base_currency and base_currency != document.currency and document.number:
        facts.append(
            (
                words["exchange"],
                f"1 {document.currency} = {formats.number(document.exchange_rate)} {base_currency}",
            )
        )
    mentions = [tax.mention for tax in used.values() if tax.mention]
    if document.kind == "invoice" and seller.get("late_payment_terms"):
        mentions.append(seller["late_payment_terms"])
    payment: list[tuple[str, str]] = []
    if document.kind == "invoice":
        if seller.get("bank_name"):
            payment.append((words["bank"], seller["bank_name"]))
        if seller.get("iban"):
            iban = seller["iban"]
            payment.append(("IBAN", " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))))
        if seller.get("bic"):
            payment.append(("BIC", seller["bic"]))
        if payment and document.number:
            payment.append((words["payment_reference"], document.number))
    moment = document.issued_at or datetime.combine(document.issue_date, time(), tzinfo=UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return PrintedDocument(
        title=words[document.kind],
        number=document.number,
        logo=sales_settings.get(session).logo,
        seller=_party_block(seller, words, seller=True),
        buyer=_party_block(buyer, words, seller=False),
        seller_heading=words["from"],
        buyer_heading=words["to"],
        facts=tuple(facts),
        table=PrintedTable(columns=tuple(columns), rows=tuple(rows)),
        taxes=PrintedTable(
            columns=(
                Column(words["tax"], "left", 2.6),
                Column(words["rate"], "right", 1.4),
                Column(words["base"], "right", 1.5),
                Column(words["amount"].split()[0], "right", 1.5),
            ),
            rows=tax_rows,
        )
        if tax_rows
        else None,
        totals=tuple(totals),
        notes=document.notes,
        mentions=tuple(dict.fromkeys(mentions)),
        payment=tuple(payment),
        payment_heading=words["payment"],
        footer=seller.get("footer"),
        watermark=words["draft"] if document.status == "draft" else None,
        language=formats.locale.language,
        created_at=moment,
        page_label=words["page"],
    )


def render_document(session: Session, document: SalesDocument) -> bytes:
    """The stored PDF of an issued document, or a fresh rendering of a draft."""
    stored = session.get(SalesDocumentPdf, document.id)
    if stored is not None:
        return stored.content
    return render(build(session, document))


def store(session: Session, document: SalesDocument) -> SalesDocumentPdf:
    content = render(build(session, document))
    row = SalesDocumentPdf(
        document_id=document.id, content=content, sha256=hashlib.sha256(content).hexdigest()
    )
    session.add(row)
    session.flush()
    return row


def file_name(document: SalesDocument) -> str:
    return f"{document.number or f'draft-{document.kind}'}.pdf".replace("/", "-")
