"""What the renderer prints: plain, immutable data, every text already translated and formatted.

The caller (the sales service, a statement job...) decides every word and every number:
amounts arrive as "1 234,50 €" or "€1,234.50", dates as the customer reads them. The
renderer only lays the strings out, so one renderer serves every kind of document and
every language.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

Align = Literal["left", "right"]


@dataclass(frozen=True)
class PrintedParty:
    """A seller or a buyer: the name (printed bold), then one line per address line or
    identifier, already labelled ("VAT FR12345678901", "SIRET 123 456 789 00012")."""

    name: str
    lines: tuple[str, ...] = ()


@dataclass(frozen=True)
class Column:
    """A table column: its heading, how its cells align, and its width relative to the
    other columns of the table (the table always spans the width it is given)."""

    label: str
    align: Align = "left"
    width: float = 1.0

    def __post_init__(self) -> None:
        if self.align not in ("left", "right"):
            raise ValueError(f"column {self.label!r}: align must be 'left' or 'right'")
        if not self.width > 0:
            raise ValueError(f"column {self.label!r}: width must be positive")


@dataclass(frozen=True)
class PrintedTable:
    """Columns and rows of strings; a cell may hold several lines (``\\n``) and long texts
    wrap inside their cell."""

    columns: tuple[Column, ...]
    rows: tuple[tuple[str, ...], ...] = ()

    def __post_init__(self) -> None:
        if not self.columns:
            raise ValueError("a table needs at least one column")
        for number, row in enumerate(self.rows, start=1):
            if len(row) != len(self.columns):
                raise ValueError(
                    f"row {number} has {len(row)} cells for {len(self.columns)} columns"
                )


@dataclass(frozen=True, kw_only=True)
class PrintedDocument:
    """An invoice, a quote, a credit note, a customer statement...

    ``facts`` are short label/value pairs printed under the parties (issue date, due date,
    customer reference); ``totals`` are label/amount pairs under the table, the last one
    emphasized ("Amount due"); ``payment`` are label/value pairs (IBAN, BIC, reference)
    under ``payment_heading``. ``page_label`` is formatted with ``page`` and ``pages`` in
    every page's footer. ``created_at`` (timezone-aware) becomes the PDF's creation date,
    so that the same document always renders to the same bytes.

    Fields are keyword-only: the required ``table`` and ``created_at`` sit among optional
    ones, and a document has too many strings to pass by position safely.
    """

    title: str
    number: str | None
    seller: PrintedParty
    buyer: PrintedParty | None
    table: PrintedTable
    created_at: datetime
    seller_heading: str = ""
    buyer_heading: str = ""
    facts: tuple[tuple[str, str], ...] = ()
    taxes: PrintedTable | None = None
    totals: tuple[tuple[str, str], ...] = ()
    notes: str | None = None
    mentions: tuple[str, ...] = ()
    payment: tuple[tuple[str, str], ...] = ()
    payment_heading: str = ""
    footer: str | None = None
    watermark: str | None = None
    logo: bytes | None = None
    language: str = "en"
    page_label: str = "Page {page}/{pages}"

    def __post_init__(self) -> None:
        if self.created_at.tzinfo is None or self.created_at.utcoffset() is None:
            raise ValueError("created_at must be timezone-aware")
        try:
            self.page_label.format(page=1, pages=1)
        except (KeyError, IndexError, ValueError) as error:
            raise ValueError("page_label may only use the fields {page} and {pages}") from error
