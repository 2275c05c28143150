"""Events about customers and suppliers: one payload shape, the party as it is after the
change (as it was, for ``deleted``)."""

from __future__ import annotations

from typing import Any

from comptoir.outbox.catalog import EventType


def _party(role: str) -> dict[str, Any]:
    customer = role == "customer"
    return {
        "id": "01939d2e-6f1a-7c3b-9a4e-2b8f0c1d5e6a"
        if customer
        else "01939d2e-7a10-7d42-8e11-4c2a9b0f3d77",
        "code": "C00042" if customer else "S00007",
        "name": "Hôtel du Parc" if customer else "Moulins de Savoie",
        "kind": "company",
        "is_customer": customer,
        "is_supplier": not customer,
        "email": "compta@hotel-du-parc.example" if customer else "orders@moulins.example",
        "phone": "+33 4 72 00 00 00",
        "vat_number": "FR40303265045",
        "company_number": "303265045",
        "country": "FR",
        "currency": "EUR",
        "language": "fr",
        "payment_terms": "net_30",
        "archived": False,
    }


_ACTIONS = (
    ("created", "A {role} was created."),
    ("updated", "A {role}'s details changed."),
    ("archived", "A {role} was archived: kept for its documents, hidden from new ones."),
    ("restored", "An archived {role} was restored."),
    ("deleted", "A {role} with no documents was deleted; the payload is its last state."),
)

EVENTS: tuple[EventType, ...] = tuple(
    EventType(
        f"{role}.{action}",
        text.format(role=role),
        {**_party(role), "archived": action == "archived"},
    )
    for role in ("customer", "supplier")
    for action, text in _ACTIONS
)
