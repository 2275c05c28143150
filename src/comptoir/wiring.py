"""Cross-domain hooks, connected once by every entry point (app, CLI, worker).

Identity does not know the ledger or taxes; they ask to hear of new organizations here.
"""

from __future__ import annotations

from comptoir.identity.service import organizations
from comptoir.ledger.service import charts
from comptoir.tax.service import taxes

# In this order: taxes point at the accounts of the chart the ledger sets up.
ON_ORGANIZATION_CREATED = (charts.set_up_books, taxes.set_up_taxes)


def connect() -> None:
    for hook in ON_ORGANIZATION_CREATED:
        if hook not in organizations.ORGANIZATION_CREATED:
            organizations.ORGANIZATION_CREATED.append(hook)
