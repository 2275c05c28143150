"""The bakery's suppliers, bills and expenses, so that a newcomer sees every state of the
spending cycle: a bill paid, one due, one waiting for approval; expenses paid by the
company, waiting for reimbursement, waiting for approval, rejected."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from comptoir.identity.roles import Role
from comptoir.identity.service import members
from comptoir.parties.service import parties
from comptoir.purchases.models import PurchaseDocument
from comptoir.purchases.service import bills, expenses, supplier_payments

SUPPLIERS = (
    {
        "name": "Moulins de Savoie",
        "email": "commandes@moulins-savoie.example",
        "country": "FR",
        "payment_terms": "net_30",
        "billing_line1": "ZA des Granges",
        "billing_postal_code": "73200",
        "billing_city": "Albertville",
    },
    {
        "name": "Électricité de Lyon",
        "email": "factures@elec-lyon.example",
        "country": "FR",
        "payment_terms": "net_15",
        "billing_line1": "40 quai Perrache",
        "billing_postal_code": "69002",
        "billing_city": "Lyon",
    },
)

# (supplier, days before today, supplier's number, lines as (description, quantity,
# unit price, tax, account), what happens next)
BILLS: tuple[tuple[int, int, str, tuple[tuple[str, str, str, str, str], ...], str], ...] = (
    (
        0,
        45,
        "MS-2026-0412",
        (("Farine T65, sacs de 25 kg", "20", "21.50", "FR-5.5", "601"),),
        "paid",
    ),
    (1, 20, "EL-889214", (("Électricité, fournil", "1", "184.00", "FR-20", "606"),), "due"),
    (
        0,
        3,
        "MS-2026-0467",
        (
            ("Farine T65, sacs de 25 kg", "24", "21.50", "FR-5.5", "601"),
            ("Levure fraîche", "10", "6.80", "FR-5.5", "601"),
        ),
        "submitted",
    ),
)

# (who entered it, days before today, receipt name, what for, amount, tax, category,
# paid by, what happens next)
EXPENSES = (
    (Role.SALES, 2, "Taxi Bleu", "Taxi to the Hôtel du Parc tasting", "24.50", "FR-10",
     "travel", "employee", "submitted"),
    (Role.SALES, 12, "Brasserie Georges", "Lunch with Café Lumière", "48.00", "FR-10",
     "meals", "employee", "approved"),
    (Role.ADMIN, 9, "Total Énergies", "Fuel for the delivery van", "62.40", "FR-20",
     "fuel_vehicle", "company", "approved"),
    (Role.WAREHOUSE, 5, "Parking Bellecour", "Parking", "9.00", "FR-20", "travel",
     "employee", "rejected"),
)  # fmt: skip


def _users(session: Session) -> dict[Role, uuid.UUID]:
    return {Role(m.membership.role): m.user.id for m in members.list_members(session)}


def _money(units: int) -> str:
    return f"{units // 100}.{units % 100:02d}"


def seed_purchases(session: Session, today: date) -> int:
    """Create the demo suppliers, bills and expenses once; returns how many bills."""
    if session.scalar(select(PurchaseDocument.id).limit(1)) is not None:
        return 0
    users = _users(session)
    if not {Role.OWNER, Role.ADMIN, Role.ACCOUNTANT, Role.SALES} <= users.keys():
        return 0
    suppliers = [parties.create(session, dict(values), role="supplier") for values in SUPPLIERS]
    for supplier_index, days_ago, number, lines, fate in BILLS:
        bill = bills.create_draft(
            session,
            "bill",
            {
                "supplier": str(suppliers[supplier_index].id),
                "supplier_number": number,
                "issue_date": (today - timedelta(days=days_ago)).isoformat(),
                "lines": [
                    {
                        "description": description,
                        "quantity": quantity,
                        "unit_price": price,
                        "tax_codes": [tax],
                        "account": account,
                    }
                    for description, quantity, price, tax, account in lines
                ],
            },
            actor_id=users[Role.ACCOUNTANT],
        )
        bills.submit(session, bill, actor_id=users[Role.ACCOUNTANT])
        if fate == "submitted":
            continue
        bills.approve(session, bill, actor_id=users[Role.ADMIN])
        if fate == "paid":
            paid_on = min(today, bill.issue_date + timedelta(days=25))
            supplier_payments.record(
                session,
                {
                    "supplier": str(bill.party_id),
                    "date": paid_on.isoformat(),
                    "amount": _money(bill.gross),
                    "method": "bank_transfer",
                    "reference": f"VIR {number}",
                    "allocations": [{"bill": str(bill.id), "amount": _money(bill.gross)}],
                },
                actor_id=users[Role.ACCOUNTANT],
            )
    for role, days_ago, name, description, amount, tax, category, paid_by, fate in EXPENSES:
        author = users.get(role, users[Role.SALES])
        viewer = expenses.Viewer(author, role)
        values: dict[str, Any] = {
            "date": (today - timedelta(days=days_ago)).isoformat(),
            "supplier_name": name,
            "description": description,
            "amount": amount,
            "tax_code": tax,
            "category": category,
            "paid_by": paid_by,
        }
        expense = expenses.create(session, values, viewer)
        expenses.submit(session, expense.id, viewer)
        # The owner decides the administrator's own expenses; the administrator the rest.
        approver = Role.OWNER if role is Role.ADMIN else Role.ADMIN
        decider = expenses.Viewer(users[approver], approver)
        if fate == "approved":
            expenses.approve(session, expense.id, decider)
        elif fate == "rejected":
            expenses.reject(
                session,
                expense.id,
                "No receipt attached: add the ticket and submit again.",
                decider,
            )
    return len(BILLS)
