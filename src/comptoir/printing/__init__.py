"""PDF rendering of business documents (invoices, quotes, credit notes, statements).

Domain-free: the caller builds a :class:`PrintedDocument` whose every text is already
translated and formatted, and :func:`render` lays it out. Imports nothing from the rest of
Comptoir but the kit.
"""

from comptoir.printing.document import (
    Column,
    PrintedDocument,
    PrintedParty,
    PrintedTable,
)
from comptoir.printing.render import logo_content_type, render

__all__ = [
    "Column",
    "PrintedDocument",
    "PrintedParty",
    "PrintedTable",
    "logo_content_type",
    "render",
]
