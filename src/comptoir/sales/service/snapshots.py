"""The seller and the buyer as an issued document keeps them: what it says forever, even
after the organization moves or the customer changes its name."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from comptoir.identity.service import organizations
from comptoir.parties.service.parties import Party
from comptoir.sales.service import settings as sales_settings


def seller(session: Session) -> dict[str, Any]:
    organization = organizations.get_current(session)
    settings = sales_settings.get(session)
    return {
        "name": organization.legal_name,
        "country": organization.country,
        "address": [
            line
            for line in (
                organization.address_line1,
                organization.address_line2,
                " ".join(p for p in (organization.postal_code, organization.city) if p),
                organization.region,
            )
            if line
        ],
        "email": organization.email,
        "phone": organization.phone,
        "siren": organization.siren,
        "vat_number": organization.vat_number,
        "tpin": organization.tpin,
        "company_registration": organization.company_registration,
        "base_currency": organization.base_currency,
        "locale": organization.locale,
        "footer": settings.footer,
        "bank_name": settings.bank_name,
        "iban": settings.iban,
        "bic": settings.bic,
        "late_payment_terms": settings.late_payment_terms,
    }


def buyer(party: Party) -> dict[str, Any]:
    return {
        "code": party.code,
        "name": party.name,
        "kind": party.kind,
        "country": party.country,
        "address": [
            line
            for line in (
                party.billing_line1,
                party.billing_line2,
                " ".join(p for p in (party.billing_postal_code, party.billing_city) if p),
                party.billing_region,
            )
            if line
        ],
        "email": party.email,
        "vat_number": party.vat_number,
        "company_number": party.company_number,
    }
