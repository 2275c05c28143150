"""Events about products and services: the product as it is after the change."""

from __future__ import annotations

from comptoir.outbox.catalog import EventType

_PRODUCT = {
    "id": "01939d2e-8b20-7e53-9f22-5d3b0a1f4e88",
    "sku": "PAIN-CAMP",
    "name": "Pain de campagne (1 kg)",
    "description": "Sourdough, baked every morning.",
    "kind": "goods",
    "unit": "piece",
    "unit_price": "4.20",
    "currency": "EUR",
    "tax_category": "reduced_2",
    "income_account": "707",
    "expense_account": None,
    "active": True,
}

EVENTS: tuple[EventType, ...] = (
    EventType("product.created", "A product or service was added to the catalogue.", _PRODUCT),
    EventType("product.updated", "A product's details or price changed.", _PRODUCT),
    EventType(
        "product.deleted",
        "A product no document uses was deleted; the payload is its last state.",
        _PRODUCT,
    ),
)
