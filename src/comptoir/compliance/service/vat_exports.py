"""CSV and PDF of a VAT return, both from the one computed return.

CSV columns: ``section``, ``box``, ``label``, ``base``, ``amount``; amounts with a decimal
point and no thousands separator, ``base`` empty where the box has none.
"""

from __future__ import annotations

from collections.abc import Iterator

from comptoir.compliance.service.vat_returns import Computed
from comptoir.kit import clock
from comptoir.kit.money import format_minor, from_minor
from comptoir.ledger.service.exports import Cell, Table
from comptoir.printing.document import Column, PrintedDocument, PrintedParty, PrintedTable
from comptoir.printing.render import render

COLUMNS = ["section", "box", "label", "base", "amount"]


def filename(computed: Computed) -> str:
    return f"vat-return-{computed.period.start.isoformat()}-{computed.period.end.isoformat()}"


def table(computed: Computed) -> Table:
    money = computed.currency

    def rows() -> Iterator[list[Cell]]:
        for section in computed.sections:
            for box in section.boxes:
                yield [
                    section.code,
                    box.code,
                    box.label,
                    None if box.base is None else from_minor(box.base, money),
                    from_minor(box.amount, money),
                ]

    return Table(
        title=f"{computed.layout.title} ({money})",
        filename=filename(computed),
        columns=COLUMNS,
        rows=rows(),
    )


def to_pdf(computed: Computed, organization_name: str) -> bytes:
    """The boxes under their sections: code, label, base, amount."""
    money = computed.currency
    rows: list[tuple[str, ...]] = []
    for section in computed.sections:
        rows.append((section.label, "", "", ""))
        for box in section.boxes:
            rows.append(
                (
                    "\u00a0" * 4 + box.code,
                    box.label,
                    "" if box.base is None else format_minor(box.base, money),
                    format_minor(box.amount, money),
                )
            )
    facts = [
        ("Period", f"{computed.period.start.isoformat()} to {computed.period.end.isoformat()}"),
        ("Currency", money),
        (
            "Net VAT due" if computed.net_due >= 0 else "VAT credit",
            format_minor(abs(computed.net_due), money),
        ),
    ]
    if computed.filed is not None:
        facts.append(("Filed", computed.filed.filed_at.date().isoformat()))
    document = PrintedDocument(
        title=computed.layout.title,
        number=None,
        seller=PrintedParty(organization_name),
        buyer=None,
        table=PrintedTable(
            (
                Column("Box", width=0.8),
                Column("Label", width=4.0),
                Column(f"Base ({money})", "right", 1.4),
                Column(f"Amount ({money})", "right", 1.4),
            ),
            tuple(rows),
        ),
        created_at=clock.now(),
        facts=tuple(facts),
    )
    return render(document)
