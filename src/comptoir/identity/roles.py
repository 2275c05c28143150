"""Roles and the scopes each one grants."""

from __future__ import annotations

from enum import StrEnum

from comptoir.kit.scopes import RESOURCES, SCOPES


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    ACCOUNTANT = "accountant"
    SALES = "sales"
    WAREHOUSE = "warehouse"
    VIEWER = "viewer"
    CLIENT = "client"
    SUPPLIER = "supplier"


ROLE_LABELS: dict[Role, str] = {
    Role.OWNER: "Owner",
    Role.ADMIN: "Administrator",
    Role.ACCOUNTANT: "Accountant",
    Role.SALES: "Sales",
    Role.WAREHOUSE: "Warehouse",
    Role.VIEWER: "Viewer",
    Role.CLIENT: "Client (portal)",
    Role.SUPPLIER: "Supplier (portal)",
}

# Portal roles reach the documents of the one party they are linked to, through the
# portal; that link arrives with parties, so until then they can only see who they
# work with.
PORTAL_ROLES = frozenset({Role.CLIENT, Role.SUPPLIER})
ADMIN_ROLES = frozenset({Role.OWNER, Role.ADMIN})

_ADMIN_ONLY = {"members", "audit", "mail", "webhooks", "organization"}
_BUSINESS = [r for r in RESOURCES if r not in _ADMIN_ONLY]


def _rw(*resources: str) -> set[str]:
    return {f"{r}:{a}" for r in resources for a in ("read", "write")}


def _read(*resources: str) -> set[str]:
    return {f"{r}:read" for r in resources}


_SCOPES_BY_ROLE: dict[Role, frozenset[str]] = {
    Role.OWNER: frozenset(SCOPES),
    Role.ADMIN: frozenset(SCOPES),
    Role.ACCOUNTANT: frozenset(
        _read(*_BUSINESS, "organization", "members")
        | _rw(
            "accounts",
            "journals",
            "entries",
            "taxes",
            "currencies",
            "parties",
            "products",
            "invoices",
            "credit_notes",
            "payments",
            "bills",
            "expenses",
            "banking",
            "reports",
            "api_tokens",
        )
    ),
    Role.SALES: frozenset(
        _read(
            "organization",
            "members",
            "products",
            "credit_notes",
            "payments",
            "inventory",
            "taxes",
            "currencies",
            "reports",
        )
        | _rw("parties", "quotes", "invoices", "crm", "expenses", "api_tokens")
    ),
    Role.WAREHOUSE: frozenset(
        _read("organization", "members", "parties", "bills", "quotes", "invoices")
        | _rw("products", "inventory", "expenses", "api_tokens")
    ),
    Role.VIEWER: frozenset(_read(*_BUSINESS, "organization", "members")),
    Role.CLIENT: frozenset(_read("organization")),
    Role.SUPPLIER: frozenset(_read("organization")),
}


def scopes_for(role: Role) -> frozenset[str]:
    return _SCOPES_BY_ROLE[role]
