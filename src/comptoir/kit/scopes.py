"""The shared scope vocabulary ``<resource>:read|write``, used by roles and access tokens."""

from __future__ import annotations

RESOURCES: dict[str, str] = {
    "organization": "the organization's profile and settings",
    "members": "members of the organization and their roles, invitations",
    "audit": "the audit trail",
    "mail": "e-mail sent by Comptoir on the organization's behalf",
    "accounts": "the chart of accounts",
    "journals": "journals",
    "entries": "journal entries and lettering",
    "taxes": "taxes and tax rules",
    "currencies": "currencies and exchange rates",
    "parties": "customers and suppliers",
    "products": "products and services",
    "quotes": "quotes",
    "invoices": "invoices",
    "credit_notes": "credit notes",
    "payments": "payments received and made",
    "bills": "supplier bills",
    "expenses": "expenses and receipts",
    "banking": "bank accounts, statements and reconciliation",
    "inventory": "stock levels and movements",
    "crm": "leads and opportunities",
    "reports": "financial statements, VAT returns and exports",
    "webhooks": "webhook endpoints and deliveries",
    "api_tokens": "personal access tokens",
}

# Nobody writes the audit trail through the API: it is written by every other action.
READ_ONLY = frozenset({"audit"})

SCOPES: dict[str, str] = {
    f"{resource}:{action}": f"{'Read' if action == 'read' else 'Create and change'} {text}"
    for resource, text in RESOURCES.items()
    for action in ("read", "write")
    if action == "read" or resource not in READ_ONLY
}


def is_scope(value: str) -> bool:
    return value in SCOPES
