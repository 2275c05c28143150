"""The demo company: identity's users and roles, a few months of books, customers,
products and invoices, suppliers, bills and expenses."""

from __future__ import annotations

from sqlalchemy.orm import Session

from comptoir.identity.models import Organization
from comptoir.identity.service import demo as identity_demo
from comptoir.kit import clock
from comptoir.kit.tenancy import as_organization
from comptoir.ledger.service import demo as ledger_demo
from comptoir.purchases.service import demo as purchases_demo
from comptoir.sales.service import demo as sales_demo


def ensure(session: Session) -> tuple[Organization, list[identity_demo.DemoLogin]]:
    organization, logins = identity_demo.ensure_demo(session)
    with as_organization(session, organization.id):
        ledger_demo.seed_books(session, clock.now().date())
        sales_demo.seed_sales(session, clock.now().date())
        purchases_demo.seed_purchases(session, clock.now().date())
        portal_customer = sales_demo.portal_customer_id(session)
        if portal_customer is not None:
            identity_demo.link_portal_client(session, portal_customer)
    return organization, logins
