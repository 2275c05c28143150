"""Cross-domain hooks, connected once by every entry point (app, CLI, worker).

Identity does not know the ledger or taxes; they ask to hear of new organizations here.
Parties and products do not know the documents that use them; sales adds its checks to
their "in use, archive instead of delete" lists here. Identity does not know parties
either; the parties service checks the party a portal member is linked to. Notifications
know no domain: sales and purchases register what their events tell members here, and
so does ``comptoir.webhook_notices`` for disabled webhook endpoints.
"""

from __future__ import annotations

from comptoir import webhook_notices
from comptoir.catalog import events as catalog_events
from comptoir.catalog.service import products
from comptoir.compliance import events as compliance_events
from comptoir.identity import events as identity_events
from comptoir.identity.service import organizations, party_links
from comptoir.ledger import events as ledger_events
from comptoir.ledger.service import charts
from comptoir.notifications import tasks as notification_tasks
from comptoir.notifications.service import registry as notification_registry
from comptoir.outbox import catalog as event_catalog
from comptoir.parties import events as party_events
from comptoir.parties.service import links, parties
from comptoir.purchases import events as purchase_events
from comptoir.purchases.service import bills, expenses, supplier_payments
from comptoir.purchases.service import notices as purchase_notices
from comptoir.sales import events as sales_events
from comptoir.sales.service import documents, notices, payments, recurring
from comptoir.sales.service import settings as sales_settings
from comptoir.tax.service import taxes
from comptoir.webhooks import events as webhook_events

# In this order: taxes point at the accounts of the chart the ledger sets up.
ON_ORGANIZATION_CREATED = (charts.set_up_books, taxes.set_up_taxes, sales_settings.set_up)
PARTY_USED_BY = (
    documents.document_uses_party,
    payments.payment_uses_party,
    recurring.template_uses_party,
    bills.bill_uses_party,
    supplier_payments.payment_uses_party,
    expenses.expense_uses_party,
)
PRODUCT_USED_BY = (documents.document_uses_product, recurring.template_uses_product)
# Every event type the application emits, for webhooks and the events catalogue.
EVENT_TYPES = (
    *identity_events.EVENTS,
    *party_events.EVENTS,
    *catalog_events.EVENTS,
    *sales_events.EVENTS,
    *purchase_events.EVENTS,
    *ledger_events.EVENTS,
    *webhook_events.EVENTS,
    *compliance_events.EVENTS,
)


def connect() -> None:
    for hook in ON_ORGANIZATION_CREATED:
        if hook not in organizations.ORGANIZATION_CREATED:
            organizations.ORGANIZATION_CREATED.append(hook)
    for used_by, checks in ((parties.USED_BY, PARTY_USED_BY), (products.USED_BY, PRODUCT_USED_BY)):
        used_by.extend(check for check in checks if check not in used_by)
    if links.linkable not in party_links.PARTY_CHECKS:
        party_links.PARTY_CHECKS.append(links.linkable)
    if links.choices not in party_links.PARTY_CHOICES:
        party_links.PARTY_CHOICES.append(links.choices)
    for domain in (notices, purchase_notices, webhook_notices):
        for kind in domain.KINDS:
            notification_registry.register_kind(kind)
        for event_type, rule in domain.RULES:
            notification_registry.register(event_type, rule)
    notification_tasks.subscribe_kinds()
    for event_type in EVENT_TYPES:
        event_catalog.register(event_type)
