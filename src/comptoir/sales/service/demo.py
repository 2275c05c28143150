"""The bakery's customers, products and a few weeks of invoices, so that a newcomer sees
every state of the sales cycle: paid, partly paid, overdue, sent, draft."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from comptoir.catalog.service import products
from comptoir.parties.service import parties
from comptoir.sales.models import SalesDocument
from comptoir.sales.service import documents, issuing, payments


@dataclass(frozen=True)
class DemoProduct:
    sku: str
    name: str
    kind: str
    unit: str
    price: str
    tax_category: str
    tax_code: str


PRODUCTS = (
    DemoProduct(
        "PAIN-CAMP", "Pain de campagne (1 kg)", "goods", "piece", "4.20", "reduced_2", "FR-5.5"
    ),
    DemoProduct(
        "CROIS-50", "Croissants, lot de 50", "goods", "lot", "42.00", "reduced_2", "FR-5.5"
    ),
    DemoProduct(
        "GAT-ANNIV",
        "Gâteau d'anniversaire (12 parts)",
        "goods",
        "piece",
        "38.00",
        "reduced_2",
        "FR-5.5",
    ),
    DemoProduct(
        "TRAITEUR", "Plateau traiteur (10 personnes)", "goods", "piece", "85.00", "reduced", "FR-10"
    ),
    DemoProduct("LIVRAISON", "Livraison", "service", "trip", "15.00", "standard", "FR-20"),
)

CUSTOMERS = (
    {
        "name": "Hôtel du Parc",
        "email": "compta@hotel-du-parc.example",
        "country": "FR",
        "payment_terms": "net_30",
        "billing_line1": "2 allée des Tilleuls",
        "billing_postal_code": "69006",
        "billing_city": "Lyon",
    },
    {
        "name": "Café Lumière",
        "email": "bonjour@cafe-lumiere.example",
        "country": "FR",
        "payment_terms": "net_15",
        "billing_line1": "14 rue de la République",
        "billing_postal_code": "69002",
        "billing_city": "Lyon",
    },
    {
        "name": "Mairie de Villeurbanne",
        "email": "factures@villeurbanne.example",
        "country": "FR",
        "payment_terms": "net_30",
        "billing_line1": "Place Lazare-Goujon",
        "billing_postal_code": "69100",
        "billing_city": "Villeurbanne",
    },
)

# The customer the demo's client member sees in the portal.
PORTAL_CUSTOMER = "C00001"

# (customer, days before today, lines as (sku, quantity), what happens next)
INVOICES = (
    (0, 40, (("PAIN-CAMP", "120"), ("CROIS-50", "8"), ("LIVRAISON", "4")), "paid"),
    (1, 35, (("CROIS-50", "6"), ("GAT-ANNIV", "2")), "overdue"),
    (2, 20, (("TRAITEUR", "6"), ("LIVRAISON", "1")), "partly_paid"),
    (0, 8, (("PAIN-CAMP", "90"), ("CROIS-50", "5"), ("LIVRAISON", "3")), "open"),
    (1, 1, (("GAT-ANNIV", "1"), ("TRAITEUR", "1")), "draft"),
)


def seed_sales(session: Session, today: date) -> int:
    """Create the demo customers, products and invoices once; returns how many invoices."""
    if session.scalar(select(SalesDocument.id).limit(1)) is not None:
        return 0
    customers = [parties.create(session, dict(values), role="customer") for values in CUSTOMERS]
    catalog = {
        item.sku: products.create(
            session,
            {
                "sku": item.sku,
                "name": item.name,
                "kind": item.kind,
                "unit": item.unit,
                "unit_price": item.price,
                "tax_category": item.tax_category,
            },
        )
        for item in PRODUCTS
    }
    codes = {item.sku: item.tax_code for item in PRODUCTS}
    for customer_index, days_ago, lines, fate in INVOICES:
        issued_on = today - timedelta(days=days_ago)
        draft = documents.create_draft(
            session,
            "invoice",
            {
                "customer": str(customers[customer_index].id),
                "issue_date": issued_on.isoformat(),
                "lines": [
                    {
                        "product": str(catalog[sku].id),
                        "quantity": quantity,
                        "tax_codes": [codes[sku]],
                    }
                    for sku, quantity in lines
                ],
            },
        )
        if fate == "draft":
            continue
        invoice = issuing.issue(session, draft)
        amount = {"paid": invoice.gross, "partly_paid": invoice.gross // 2}.get(fate)
        if amount:
            paid_on = min(today, issued_on + timedelta(days=12))
            payments.record(
                session,
                {
                    "customer": str(invoice.party_id),
                    "date": paid_on.isoformat(),
                    "amount": f"{amount // 100}.{amount % 100:02d}",
                    "method": "bank_transfer",
                    "reference": f"VIR {invoice.number}",
                    "allocations": [
                        {
                            "invoice": str(invoice.id),
                            "amount": f"{amount // 100}.{amount % 100:02d}",
                        }
                    ],
                },
            )
    return len(INVOICES)


def portal_customer_id(session: Session) -> uuid.UUID | None:
    customer = parties.by_code(session, PORTAL_CUSTOMER)
    return customer.id if customer is not None else None
