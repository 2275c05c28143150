"""The demo company a newcomer logs into: one user per role, created once."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from comptoir.audit import service as audit
from comptoir.identity.models import Membership, Organization, User
from comptoir.identity.roles import Role
from comptoir.identity.service import organizations, passwords
from comptoir.kit import clock
from comptoir.kit.tenancy import all_tenants, as_organization

DEMO_PASSWORD = "comptoir-demo"  # noqa: S105 - published on purpose: it is the demo's password
DEMO_DOMAIN = "example.com"
DEMO_ORGANIZATION = "Boulangerie Demo SARL"


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: Role
    password: str


def demo_email(role: Role) -> str:
    return f"{role.value}@{DEMO_DOMAIN}"


def ensure_demo(session: Session) -> tuple[Organization, list[DemoLogin]]:
    """Create the demo organization and its users if missing; safe to run again."""
    owner = session.scalar(select(User).where(User.email == demo_email(Role.OWNER)))
    organization = None
    if owner is not None and owner.default_organization_id is not None:
        organization = session.get(Organization, owner.default_organization_id)
    if organization is None:
        organization = organizations.create_organization(
            session, legal_name=DEMO_ORGANIZATION, country="FR", base_currency="EUR"
        )
        organizations_profile = {
            "siren": "732829320",
            "vat_number": "FR44732829320",
            "address_line1": "12 rue du Four",
            "postal_code": "75006",
            "city": "Paris",
            "email": "contact@example.com",
            "phone": "+33 1 23 45 67 89",
        }
        for key, value in organizations_profile.items():
            setattr(organization, key, value)
        session.flush()
    logins: list[DemoLogin] = []
    password_hash = passwords.hash_password(DEMO_PASSWORD)
    with as_organization(session, organization.id):
        for role in Role:
            email = demo_email(role)
            user = session.scalar(select(User).where(User.email == email))
            if user is None:
                user = User(
                    email=email,
                    name=f"Demo {role.value}",
                    password_hash=password_hash,
                    password_changed_at=clock.now(),
                    email_verified_at=clock.now(),
                    default_organization_id=organization.id,
                )
                session.add(user)
                session.flush()
            with all_tenants(session):
                member = session.scalar(
                    select(Membership).where(
                        Membership.user_id == user.id, Membership.organization_id == organization.id
                    )
                )
            if member is None:
                session.add(Membership(user_id=user.id, role=role.value))
                session.flush()
                audit.record(
                    session,
                    "member.joined",
                    target_type="user",
                    target_id=user.id,
                    after={"email": email, "role": role.value, "demo": True},
                )
            logins.append(DemoLogin(email, role, DEMO_PASSWORD))
    return organization, logins


def link_portal_client(session: Session, party_id: uuid.UUID) -> None:
    """Show the demo's client member the portal of ``party_id`` (once; a link changed by
    hand stays)."""
    member = session.scalar(
        select(Membership)
        .join(User, User.id == Membership.user_id)
        .where(User.email == demo_email(Role.CLIENT))
    )
    if member is not None and member.party_id is None:
        member.party_id = party_id
        session.flush()
