"""Cross-domain hooks, connected once by every entry point (app, CLI, worker).

Identity does not know the ledger; the ledger asks to hear of new organizations here.
"""

from __future__ import annotations

from comptoir.identity.service import organizations
from comptoir.ledger.service import charts


def connect() -> None:
    if charts.set_up_books not in organizations.ORGANIZATION_CREATED:
        organizations.ORGANIZATION_CREATED.append(charts.set_up_books)
