"""Members of an organization and invitations to join it."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from comptoir.audit import service as audit
from comptoir.identity.models import Invitation, Membership, Organization, User
from comptoir.identity.roles import ROLE_LABELS, Role
from comptoir.identity.service import organizations, party_links, passwords, sessions
from comptoir.identity.service.accounts import (
    SignedIn,
    check_credentials,
    sign_in,
)
from comptoir.identity.service.addresses import normalize_email
from comptoir.identity.service.tokens import AuthConfig, hash_token, new_opaque_token
from comptoir.kit import clock
from comptoir.kit.context import current_origin
from comptoir.kit.errors import Conflict, Gone, NotFound, PermissionDenied, ValidationFailed
from comptoir.kit.tenancy import all_tenants, as_organization, require_organization
from comptoir.mail import service as mail
from comptoir.outbox import service as outbox

INVITATION_TTL = timedelta(days=7)


def parse_role(value: str, field: str = "role") -> Role:
    try:
        return Role(value)
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise ValidationFailed.single(field, f"Unknown role; use one of {allowed}.") from None


@dataclass(frozen=True)
class Member:
    membership: Membership
    user: User


def list_members(session: Session) -> list[Member]:
    rows = session.execute(
        select(Membership, User)
        .join(User, User.id == Membership.user_id)
        .order_by(Membership.created_at, Membership.id)
    ).all()
    return [Member(m, u) for m, u in rows]


def get_member(session: Session, membership_id: uuid.UUID) -> Member:
    row = session.execute(
        select(Membership, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.id == membership_id)
    ).first()
    if row is None:
        raise NotFound("No such member.")
    return Member(*row)


def _owner_count(session: Session) -> int:
    return len(list(session.scalars(select(Membership.id).where(Membership.role == Role.OWNER))))


def _guard_owner_change(actor: sessions.Principal, *roles: Role) -> None:
    if Role.OWNER in roles and actor.role != Role.OWNER:
        raise PermissionDenied(
            "Only an owner can grant, change or remove the owner role.", code="owner_required"
        )


def update_member(
    session: Session,
    actor: sessions.Principal,
    membership_id: uuid.UUID,
    values: Mapping[str, Any],
) -> Member:
    """Change a member's ``role``, the ``party`` a portal member is linked to, or both.

    Without ``party``, a new role keeps the link when the party fits it (a customer for
    client, a supplier for supplier) and drops it otherwise.
    """
    member = get_member(session, membership_id)
    membership = member.membership
    current = Role(membership.role)
    role = Role(values.get("role") or current)
    if role != current:
        _guard_owner_change(actor, current, role)
        if current == Role.OWNER and _owner_count(session) <= 1:
            raise Conflict(
                "The last owner cannot be demoted; make someone else owner first.",
                code="last_owner",
            )
    if "party" in values:
        party_id = party_links.check(session, role, values["party"])
    elif role != current and party_links.find(session, role, membership.party_id) is None:
        party_id = None
    else:
        party_id = membership.party_id
    if role != current:
        _record_role_change(session, member, current, role)
    if party_id != membership.party_id:
        _record_party_change(session, member, party_id)
    return member


def _record_role_change(session: Session, member: Member, current: Role, role: Role) -> None:
    member.membership.role = role.value
    session.flush()
    audit.record(
        session,
        "member.role_changed",
        target_type="membership",
        target_id=member.membership.id,
        before={"role": current.value},
        after={"role": role.value, "user_id": member.user.id},
    )
    outbox.emit(
        session,
        "member.role_changed",
        {
            "id": str(member.membership.id),
            "user_id": str(member.user.id),
            "from": current.value,
            "to": role.value,
        },
    )


def _record_party_change(session: Session, member: Member, party_id: uuid.UUID | None) -> None:
    before = member.membership.party_id
    member.membership.party_id = party_id
    session.flush()
    audit.record(
        session,
        "member.party_changed",
        target_type="membership",
        target_id=member.membership.id,
        before={"party_id": before},
        after={"party_id": party_id, "user_id": member.user.id},
    )
    outbox.emit(
        session,
        "member.party_changed",
        {
            "id": str(member.membership.id),
            "user_id": str(member.user.id),
            "from": str(before) if before else None,
            "to": str(party_id) if party_id else None,
        },
    )


def remove_member(session: Session, actor: sessions.Principal, membership_id: uuid.UUID) -> None:
    member = get_member(session, membership_id)
    role = Role(member.membership.role)
    if member.user.id != actor.user_id:
        _guard_owner_change(actor, role)
    if role == Role.OWNER and _owner_count(session) <= 1:
        raise Conflict("The last owner cannot be removed.", code="last_owner")
    organization_id = require_organization(session)
    session.delete(member.membership)
    sessions.revoke_all_sessions(
        session, member.user.id, "membership_ended", organization_id=organization_id
    )
    session.flush()
    audit.record(
        session,
        "member.removed",
        target_type="membership",
        target_id=member.membership.id,
        before={"user_id": member.user.id, "email": member.user.email, "role": role.value},
    )
    outbox.emit(
        session, "member.removed", {"id": str(member.membership.id), "user_id": str(member.user.id)}
    )


def list_invitations(session: Session) -> list[Invitation]:
    """Invitations still waiting for an answer."""
    return list(
        session.scalars(
            select(Invitation)
            .where(
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > clock.now(),
            )
            .order_by(Invitation.created_at.desc())
        )
    )


@dataclass(frozen=True)
class SentInvitation:
    invitation: Invitation
    token: str


def invite(
    session: Session,
    config: AuthConfig,
    actor: sessions.Principal,
    email: str,
    role: Role,
    party_id: uuid.UUID | None = None,
) -> SentInvitation:
    """Invite ``email`` with ``role``; a portal invitation (client, supplier) may name the
    party the member will see on joining."""
    address = normalize_email(email)
    _guard_owner_change(actor, role)
    party_id = party_links.check(session, role, party_id)
    already = session.scalar(
        select(Membership.id).join(User, User.id == Membership.user_id).where(User.email == address)
    )
    if already is not None:
        raise Conflict("This person is already a member.", code="already_member")
    now = clock.now()
    for pending in session.scalars(
        select(Invitation).where(
            Invitation.email == address,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
    ):
        pending.revoked_at = now
    raw, digest = new_opaque_token()
    invitation = Invitation(
        email=address,
        role=role.value,
        party_id=party_id,
        token_hash=digest,
        invited_by_id=actor.user_id,
        expires_at=now + INVITATION_TTL,
    )
    session.add(invitation)
    session.flush()
    organization = organizations.get_current(session)
    mail.queue(
        session,
        kind="invitation",
        to=address,
        organization_id=organization.id,
        subject=f"Join {organization.legal_name} on Comptoir",
        context={
            "inviter": actor.name or actor.email,
            "organization": organization.legal_name,
            "role": ROLE_LABELS[role],
            "base_url": config.base_url,
            "link": f"{config.base_url}/invitations/{raw}",
        },
    )
    audit.record(
        session,
        "member.invited",
        target_type="invitation",
        target_id=invitation.id,
        after={"email": address, "role": role.value},
    )
    outbox.emit(
        session,
        "member.invited",
        {"invitation_id": str(invitation.id), "email": address, "role": role.value},
    )
    return SentInvitation(invitation, raw)


def revoke_invitation(session: Session, invitation_id: uuid.UUID) -> None:
    invitation = session.get(Invitation, invitation_id)
    if invitation is None or invitation.accepted_at is not None:
        raise NotFound("No such pending invitation.")
    if invitation.revoked_at is None:
        invitation.revoked_at = clock.now()
        audit.record(
            session,
            "member.invitation_revoked",
            target_type="invitation",
            target_id=invitation.id,
            before={"email": invitation.email},
        )
    session.flush()


@dataclass(frozen=True)
class InvitationPreview:
    invitation: Invitation
    organization: Organization
    account_exists: bool


def _open_invitation(session: Session, raw: str) -> InvitationPreview:
    with all_tenants(session):
        invitation = session.scalar(
            select(Invitation)
            .where(Invitation.token_hash == hash_token(raw or ""))
            .with_for_update()
        )
        if invitation is None or invitation.revoked_at is not None:
            raise NotFound("This invitation does not exist or was withdrawn.")
        if invitation.accepted_at is not None:
            raise Gone("This invitation was already accepted.", code="invitation_used")
        if invitation.expires_at <= clock.now():
            raise Gone("This invitation has expired; ask for a new one.", code="invitation_expired")
        organization = session.get(Organization, invitation.organization_id)
    assert organization is not None
    account = session.scalar(select(User.id).where(User.email == invitation.email))
    return InvitationPreview(invitation, organization, account is not None)


def preview_invitation(session: Session, raw: str) -> InvitationPreview:
    return _open_invitation(session, raw)


def accept_invitation(
    session: Session,
    config: AuthConfig,
    raw: str,
    *,
    kind: str,
    password: str | None = None,
    name: str = "",
    signed_in_user_id: uuid.UUID | None = None,
) -> SignedIn:
    """Join the organization: creates the account, or proves it is the caller's."""
    preview = _open_invitation(session, raw)
    invitation, organization = preview.invitation, preview.organization
    user = session.scalar(select(User).where(User.email == invitation.email))
    if user is None:
        passwords.check_policy(password or "", email=invitation.email)
        if len(name) > 200:
            raise ValidationFailed.single("name", "Use at most 200 characters.")
        user = User(
            email=invitation.email,
            name=name.strip(),
            password_hash=passwords.hash_password(password or ""),
            password_changed_at=clock.now(),
            email_verified_at=clock.now(),
        )
        session.add(user)
        session.flush()
    elif signed_in_user_id != user.id:
        # The link proves access to the mailbox, not to the account: same limits as log-in.
        check_credentials(
            session, user.email, password or "", ip=current_origin().ip, field="password"
        )
    with as_organization(session, organization.id):
        if session.scalar(select(Membership.id).where(Membership.user_id == user.id)):
            raise Conflict("You are already a member of this organization.", code="already_member")
        role = Role(invitation.role)
        # The party may have been deleted (or changed role) since the invitation was sent.
        linked = party_links.find(session, role, invitation.party_id)
        membership = Membership(
            user_id=user.id, role=role.value, party_id=linked.id if linked else None
        )
        session.add(membership)
        invitation.accepted_at = clock.now()
        invitation.accepted_user_id = user.id
        user.default_organization_id = organization.id
        user.email_verified_at = user.email_verified_at or clock.now()
        session.flush()
        audit.set_actor(session, user.id, user.email)
        audit.record(
            session,
            "member.joined",
            target_type="membership",
            target_id=membership.id,
            after={"email": user.email, "role": role.value, "invitation_id": invitation.id},
        )
        outbox.emit(
            session,
            "member.joined",
            {
                "id": str(membership.id),
                "user_id": str(user.id),
                "email": user.email,
                "role": role.value,
            },
        )
    return sign_in(session, config, user, organization, role, kind)


def find_organization(session: Session, reference: str) -> Organization:
    """An organization by id or exact legal name, for operators on the command line."""
    with all_tenants(session):
        query = select(Organization)
        try:
            query = query.where(Organization.id == uuid.UUID(reference))
        except ValueError:
            query = query.where(Organization.legal_name == reference)
        found = list(session.scalars(query.limit(2)))
    if len(found) != 1:
        raise NotFound(f"no single organization matches {reference!r}")
    return found[0]


def add_user(
    session: Session,
    organization: Organization,
    email: str,
    role: Role,
    *,
    password: str,
    name: str = "",
) -> User:
    """Make ``email`` a member with ``role``, creating the account (verified) if needed."""
    address = normalize_email(email)
    user = session.scalar(select(User).where(User.email == address))
    if user is None:
        passwords.check_policy(password, email=address)
        user = User(
            email=address,
            name=name.strip(),
            password_hash=passwords.hash_password(password),
            password_changed_at=clock.now(),
            email_verified_at=clock.now(),
            default_organization_id=organization.id,
        )
        session.add(user)
        session.flush()
    with as_organization(session, organization.id):
        if session.scalar(select(Membership.id).where(Membership.user_id == user.id)):
            raise Conflict(
                f"{address} is already a member of {organization.legal_name}", code="already_member"
            )
        membership = Membership(user_id=user.id, role=role.value)
        session.add(membership)
        session.flush()
        audit.record(
            session,
            "member.added",
            target_type="membership",
            target_id=membership.id,
            after={"email": address, "role": role.value, "via": "cli"},
        )
    return user
