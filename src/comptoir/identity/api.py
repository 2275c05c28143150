"""Identity API: authentication, the organization profile, members and invitations."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Request, Response, status

from comptoir.identity import schemas
from comptoir.identity.models import Invitation, Organization, User
from comptoir.identity.roles import Role
from comptoir.identity.service import accounts, members, organizations, sessions
from comptoir.identity.service.sessions import Principal
from comptoir.kit import clock
from comptoir.kit.context import current_origin
from comptoir.kit.errors import Unauthorized
from comptoir.server.deps import (
    Config,
    DbSession,
    bearer_token,
    public,
    require_login,
    require_scope,
)
from comptoir.server.openapi import problem_responses

auth = APIRouter(prefix="/api/v1/auth", tags=["auth"])
orgs = APIRouter(prefix="/api/v1", tags=["organizations"])
team = APIRouter(prefix="/api/v1", tags=["members"])

SignedInUser = Annotated[Principal, require_login()]
# Also a personal access token: it sees only its own organization.
SignedInOrToken = Annotated[Principal, require_login(tokens=True)]


def user_out(user: User) -> schemas.UserOut:
    return schemas.UserOut(
        id=user.id,
        email=user.email,
        name=user.name,
        email_verified=user.email_verified_at is not None,
        created_at=user.created_at,
    )


def org_out(organization: Organization) -> schemas.OrganizationOut:
    return schemas.OrganizationOut.model_validate(organization)


def token_response(signed: accounts.SignedIn) -> schemas.TokenResponse:
    assert signed.tokens is not None
    return _tokens(signed.tokens, signed.user, signed.organization, signed.role)


def _tokens(
    pair: sessions.TokenPair, user: User, organization: Organization, role: Role
) -> schemas.TokenResponse:
    return schemas.TokenResponse(
        access_token=pair.access_token,
        refresh_token=pair.refresh_token,
        expires_in=max(0, int((pair.access_expires_at - clock.now()).total_seconds())),
        user=user_out(user),
        organization=org_out(organization),
        role=role,
    )


@auth.post("/register", status_code=status.HTTP_201_CREATED, summary="Sign up")
@public
def register(
    body: schemas.RegisterRequest, session: DbSession, config: Config
) -> schemas.TokenResponse:
    """Create an account and its organization; the caller becomes its owner.

    A confirmation link is e-mailed to the address. 409 `email_taken` if the address
    already has an account; 422 with one entry per field for invalid input.
    """
    signed = accounts.register(
        session,
        config,
        accounts.Registration(
            email=body.email,
            password=body.password,
            organization_name=body.organization_name,
            country=body.country,
            base_currency=body.base_currency,
            name=body.name,
        ),
        kind="api",
    )
    return token_response(signed)


@auth.post("/login", summary="Log in", responses=problem_responses(401))
@public
def login(body: schemas.LoginRequest, session: DbSession, config: Config) -> schemas.TokenResponse:
    """Exchange an e-mail and password for an access token (15 minutes) and a refresh token.

    After 10 failed attempts for one address or one IP within 15 minutes, answers 429
    with `Retry-After`.
    """
    signed = accounts.login(
        session, config, body.email, body.password, ip=current_origin().ip, kind="api"
    )
    return token_response(signed)


@auth.post("/refresh", summary="Rotate the refresh token", responses=problem_responses(401))
@public
def refresh(
    body: schemas.RefreshRequest, session: DbSession, config: Config
) -> schemas.TokenResponse:
    """Trade a refresh token for a new access token and a new refresh token.

    Each refresh token works once. Presenting one that was already rotated revokes the
    whole session (every token descending from the same log-in): 401 `refresh_token_reused`.
    """
    pair = sessions.refresh(session, config, body.refresh_token)
    principal = sessions.authenticate_access_token(session, config, pair.access_token)
    user = accounts.user_by_id(session, principal.user_id)
    assert user is not None
    return _tokens(pair, user, organizations.get_current(session), principal.role)


@auth.post("/logout", status_code=status.HTTP_204_NO_CONTENT, summary="Log out")
def logout(principal: SignedInUser, session: DbSession) -> Response:
    """End the session of the access token: its refresh tokens stop working at once.

    A personal access token has no session: 403 `token_not_allowed` (revoke it instead).
    """
    sessions.end_session(session, sessions.session_of(principal))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@auth.get("/me", summary="Who am I")
def me(principal: SignedInOrToken, session: DbSession) -> schemas.MeResponse:
    """The signed-in user, the current organization, your role and scopes in it, and the
    other organizations you belong to (switch with `POST /api/v1/auth/switch-organization`).
    With a personal access token, `organizations` names the token's organization only."""
    user = accounts.user_by_id(session, principal.user_id)
    assert user is not None
    # A token acts in one organization: the member's others are none of its business.
    memberships = [
        (o, r)
        for o, r in organizations.organizations_of(session, principal.user_id)
        if principal.token_id is None or o.id == principal.organization_id
    ]
    return schemas.MeResponse(
        user=user_out(user),
        organization=org_out(organizations.get_current(session)),
        role=principal.role,
        scopes=sorted(principal.scopes),
        organizations=[
            schemas.OrganizationSummary(id=o.id, legal_name=o.legal_name, role=Role(r))
            for o, r in memberships
        ],
    )


@auth.patch("/me", summary="Change your name")
def update_me(
    body: schemas.ProfileUpdate, principal: SignedInUser, session: DbSession
) -> schemas.UserOut:
    """Your display name, shown to the other members and in the audit log. A personal
    access token gets 403 `token_not_allowed`."""
    return user_out(accounts.rename(session, principal.user_id, body.name))


@auth.post("/switch-organization", summary="Switch organization", responses=problem_responses(404))
def switch_organization(
    body: schemas.SwitchOrganizationRequest,
    principal: SignedInUser,
    session: DbSession,
    config: Config,
) -> schemas.TokenResponse:
    """Get an access token bound to another organization you belong to (404 otherwise).

    The session's refresh token stays valid and now refreshes into that organization.
    A personal access token belongs to one organization: 403 `token_not_allowed`.
    """
    pair, organization = sessions.switch_organization(
        session, config, principal, body.organization_id
    )
    new_principal = sessions.authenticate_access_token(session, config, pair.access_token)
    user = accounts.user_by_id(session, principal.user_id)
    assert user is not None
    return _tokens(pair, user, organization, new_principal.role)


@auth.post("/verify-email", summary="Confirm an e-mail address")
@public
def verify_email(body: schemas.TokenRequest, session: DbSession) -> schemas.UserOut:
    """Use the token from the confirmation e-mail. 410 if it was used or has expired."""
    return user_out(accounts.verify_email(session, body.token))


@auth.post(
    "/verify-email/resend",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Send the confirmation e-mail again",
    response_class=Response,
)
def resend_verification(principal: SignedInUser, session: DbSession, config: Config) -> Response:
    """Always 202 with an empty body: nothing is sent once the address is confirmed, nor
    after five links within the hour. A personal access token gets 403 `token_not_allowed`."""
    user = accounts.user_by_id(session, principal.user_id)
    assert user is not None
    accounts.send_verification(session, config, user)
    return Response(status_code=status.HTTP_202_ACCEPTED)


@auth.post(
    "/password-reset/request",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Ask for a password-reset link",
)
@public
def request_password_reset(
    body: schemas.PasswordResetRequest, session: DbSession, config: Config
) -> schemas.AcceptedOut:
    """Always answers 202, whether or not the address has an account; the link works once,
    for one hour."""
    accounts.request_password_reset(session, config, body.email)
    return schemas.AcceptedOut(
        detail="If an account exists for this address, a reset link is on its way."
    )


@auth.post(
    "/password-reset/confirm",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Choose a new password",
)
@public
def confirm_password_reset(body: schemas.PasswordResetConfirm, session: DbSession) -> Response:
    """Set the new password; every session of the account is logged out."""
    accounts.confirm_password_reset(session, body.token, body.password)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@auth.post(
    "/change-password", status_code=status.HTTP_204_NO_CONTENT, summary="Change your password"
)
def change_password(
    body: schemas.ChangePasswordRequest, principal: SignedInUser, session: DbSession
) -> Response:
    """Other sessions of the account end; this one stays signed in.

    Needs a signed-in session: with a personal access token, 403 `token_not_allowed`.
    """
    accounts.change_password(session, principal, body.current_password, body.new_password)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@orgs.get("/organization", summary="The current organization")
def get_organization(
    principal: Annotated[Principal, require_scope("organization:read")], session: DbSession
) -> schemas.OrganizationOut:
    """The organization of your access token: legal name, country, base currency, fiscal
    year and locale."""
    return org_out(organizations.get_current(session))


@orgs.patch("/organization", summary="Update the organization profile")
def update_organization(
    body: schemas.OrganizationUpdate,
    principal: Annotated[Principal, require_scope("organization:write")],
    session: DbSession,
) -> schemas.OrganizationOut:
    """Identifiers are checked: SIREN and VAT numbers by checksum, TPIN by shape."""
    values = body.model_dump(exclude_unset=True)
    return org_out(organizations.update_profile(session, values))


@orgs.get("/organizations", summary="Organizations you belong to")
def list_my_organizations(
    principal: SignedInUser, session: DbSession
) -> list[schemas.OrganizationSummary]:
    """Every organization where you have a membership, with your role in each. A personal
    access token gets 403 `token_not_allowed` (`GET /api/v1/auth/me` names its own)."""
    return [
        schemas.OrganizationSummary(id=o.id, legal_name=o.legal_name, role=Role(r))
        for o, r in organizations.organizations_of(session, principal.user_id)
    ]


@orgs.post(
    "/organizations", status_code=status.HTTP_201_CREATED, summary="Create another organization"
)
def create_organization(
    body: schemas.OrganizationCreate, principal: SignedInUser, session: DbSession
) -> schemas.OrganizationOut:
    """You become its owner; switch to it with `/auth/switch-organization`. A personal
    access token gets 403 `token_not_allowed`."""
    return org_out(
        organizations.create_for_user(
            session,
            principal.user_id,
            legal_name=body.legal_name,
            country=body.country,
            base_currency=body.base_currency,
        )
    )


def member_out(member: members.Member) -> schemas.MemberOut:
    return schemas.MemberOut(
        id=member.membership.id,
        user_id=member.user.id,
        email=member.user.email,
        name=member.user.name,
        role=Role(member.membership.role),
        party_id=member.membership.party_id,
        joined_at=member.membership.created_at,
    )


@team.get("/members", summary="List members")
def list_members(
    principal: Annotated[Principal, require_scope("members:read")], session: DbSession
) -> list[schemas.MemberOut]:
    """Every member of the organization with their role, oldest first."""
    return [member_out(m) for m in members.list_members(session)]


@team.get("/members/{member_id}", summary="Get a member")
def get_member(
    member_id: uuid.UUID,
    principal: Annotated[Principal, require_scope("members:read")],
    session: DbSession,
) -> schemas.MemberOut:
    """One membership: the user, their role and, for portal users, their party. 404 for
    an unknown id or another organization's."""
    return member_out(members.get_member(session, member_id))


@team.patch("/members/{member_id}", summary="Change a member's role or portal party")
def update_member(
    member_id: uuid.UUID,
    body: schemas.MemberUpdate,
    principal: Annotated[Principal, require_scope("members:write")],
    session: DbSession,
) -> schemas.MemberOut:
    """Only owners grant or take away the owner role; the last owner cannot be demoted (409).

    `party` links a client to one of the organization's customers, a supplier to one of
    its suppliers: the portal shows them that party's documents only. 422 on `party` for
    an unknown party, one of the wrong kind, or a role that is not a portal role.
    """
    values = body.model_dump(exclude_unset=True)
    return member_out(members.update_member(session, principal, member_id, values))


@team.delete(
    "/members/{member_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Remove a member"
)
def remove_member(
    member_id: uuid.UUID,
    principal: Annotated[Principal, require_scope("members:write")],
    session: DbSession,
) -> Response:
    """Their sessions in this organization end at once. The last owner cannot be removed."""
    members.remove_member(session, principal, member_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def invitation_out(invitation: Invitation) -> schemas.InvitationOut:
    return schemas.InvitationOut(
        id=invitation.id,
        email=invitation.email,
        role=Role(invitation.role),
        party_id=invitation.party_id,
        created_at=invitation.created_at,
        expires_at=invitation.expires_at,
    )


@team.get("/invitations", summary="Pending invitations")
def list_invitations(
    principal: Annotated[Principal, require_scope("members:read")], session: DbSession
) -> list[schemas.InvitationOut]:
    """Invitations not yet accepted, withdrawn or expired, newest first."""
    return [invitation_out(i) for i in members.list_invitations(session)]


@team.post("/invitations", status_code=status.HTTP_201_CREATED, summary="Invite someone")
def create_invitation(
    body: schemas.InvitationCreate,
    principal: Annotated[Principal, require_scope("members:write")],
    session: DbSession,
    config: Config,
) -> schemas.InvitationCreated:
    """E-mails a link valid 7 days. Inviting the same address again replaces the earlier link."""
    sent = members.invite(session, config, principal, body.email, body.role, body.party)
    return schemas.InvitationCreated(
        **invitation_out(sent.invitation).model_dump(),
        accept_url=f"{config.base_url}/invitations/{sent.token}",
    )


@team.delete(
    "/invitations/{invitation_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Withdraw an invitation",
)
def revoke_invitation(
    invitation_id: uuid.UUID,
    principal: Annotated[Principal, require_scope("members:write")],
    session: DbSession,
) -> Response:
    """Its link stops working at once. 404 when it was accepted already or does not
    exist."""
    members.revoke_invitation(session, invitation_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@team.get("/invitations/{token}/preview", summary="Look at an invitation")
@public
def preview_invitation(token: str, session: DbSession) -> schemas.InvitationPreviewOut:
    """What the link offers, before accepting. 404 unknown or withdrawn, 410 used or expired."""
    preview = members.preview_invitation(session, token)
    return schemas.InvitationPreviewOut(
        email=preview.invitation.email,
        role=Role(preview.invitation.role),
        organization_name=preview.organization.legal_name,
        expires_at=preview.invitation.expires_at,
        account_exists=preview.account_exists,
    )


@team.post("/invitations/{token}/accept", summary="Accept an invitation")
@public
def accept_invitation(
    token: str,
    body: schemas.InvitationAccept,
    request: Request,
    session: DbSession,
    config: Config,
) -> schemas.TokenResponse:
    """Without an account: send `password` (and `name`) to create it. With one: send its
    `password`, or call with that account's bearer token. Answers tokens for the
    organization joined."""
    signed_in_user: uuid.UUID | None = None
    if request.headers.get("authorization"):
        try:
            claims = sessions.authenticate_access_token(session, config, bearer_token(request))
            signed_in_user = claims.user_id
        except Unauthorized:
            signed_in_user = None
    signed = members.accept_invitation(
        session,
        config,
        token,
        kind="api",
        password=body.password,
        name=body.name,
        signed_in_user_id=signed_in_user,
    )
    return token_response(signed)
