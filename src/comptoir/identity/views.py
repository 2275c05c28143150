"""Web pages of identity: sign-up, log-in, passwords, invitations and the settings pages."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Form, Query, Request, Response
from pydantic import BaseModel

from comptoir.identity.roles import PORTAL_ROLES, Role
from comptoir.identity.service import accounts, members, organizations, party_links, sessions
from comptoir.kit.context import current_origin
from comptoir.kit.errors import DomainError, Gone, RateLimited, ValidationFailed
from comptoir.server.deps import Config
from comptoir.web.websession import (
    CommittingDb,
    CurrentVisitor,
    Db,
    FormState,
    MaybeVisitor,
    Visitor,
    clear_session_cookie,
    discard,
    failed_form,
    is_htmx,
    notice,
    parse_id,
    redirect,
    render,
    safe_next,
    set_session_cookie,
    web_router,
)

router = web_router()

LOGIN_NOTICES = {
    "signed_out": "You are logged out.",
    "password_reset": "Your new password is saved. Log in with it.",
}
ORGANIZATION_NOTICES = {
    "saved": "The company profile is saved.",
    "created": "Your new organization is ready; complete its profile below.",
}
MEMBER_NOTICES = {
    "invited": "Invitation sent: the e-mail is queued for delivery.",
    "role_changed": "The role is changed.",
    "party_changed": "The portal link is saved.",
    "removed": "The member is removed; their sessions in this company have ended.",
    "withdrawn": "The invitation is withdrawn; its link no longer works.",
}
ACCOUNT_NOTICES = {
    "renamed": "Your name is saved.",
    "password_changed": "Your password is changed. Your other devices were logged out.",
    "verification_sent": "A new confirmation link is on its way to your inbox.",
}
# The services speak of ISO codes; beside a drop-down, "choose one" says it better.
CHOICE_MESSAGES = {"country": "Choose a country.", "base_currency": "Choose a currency."}


class LoginForm(BaseModel):
    email: str = ""
    password: str = ""
    next: str = ""


class SignupForm(BaseModel):
    name: str = ""
    email: str = ""
    password: str = ""
    organization_name: str = ""
    country: str = ""
    base_currency: str = ""


class EmailForm(BaseModel):
    email: str = ""


class ResetForm(BaseModel):
    token: str = ""
    password: str = ""
    password_confirm: str = ""


class AcceptForm(BaseModel):
    name: str = ""
    password: str = ""


class ProfileForm(BaseModel):
    legal_name: str = ""
    address_line1: str = ""
    address_line2: str = ""
    postal_code: str = ""
    city: str = ""
    region: str = ""
    country: str = ""
    base_currency: str = ""
    fiscal_year_start_month: str = ""
    locale: str = ""
    timezone: str = ""
    siren: str = ""
    vat_number: str = ""
    tpin: str = ""
    company_registration: str = ""
    email: str = ""
    phone: str = ""


class InviteForm(BaseModel):
    email: str = ""
    role: str = "accountant"
    party: str = ""


class PasswordForm(BaseModel):
    current_password: str = ""
    password: str = ""
    password_confirm: str = ""


def _values(form: BaseModel, *secrets: str) -> dict[str, str]:
    """The form's values to show again; secrets keep their key (for errors) but not their text."""
    return {**form.model_dump(), **dict.fromkeys(secrets, "")}


def _message(exc: DomainError) -> str:
    if isinstance(exc, ValidationFailed) and exc.errors:
        return exc.errors[0].message
    return exc.detail


def _explain_choices(state: FormState) -> FormState:
    for name, message in CHOICE_MESSAGES.items():
        if name in state.errors and not state.values.get(name):
            state.errors[name] = message
    return state


def _signed_in(request: Request, signed: accounts.SignedIn, target: str) -> Response:
    response = redirect(target)
    set_session_cookie(request, response, signed.cookie)
    return response


def _mismatch(values: dict[str, str]) -> FormState:
    return FormState(values, {"password_confirm": "The two passwords are different."}, status=422)


# -- signing up and in -------------------------------------------------------------------


@router.get("/signup")
def signup_page(request: Request, visitor: MaybeVisitor) -> Response:
    if visitor is not None:
        return redirect("/")
    return render(
        request, "identity/signup.html", {"form": FormState(_values(SignupForm(), "password"))}
    )


@router.post("/signup")
def signup(
    request: Request, form: Annotated[SignupForm, Form()], session: Db, config: Config
) -> Response:
    try:
        signed = accounts.register(
            session, config, accounts.Registration(**form.model_dump()), kind="web"
        )
    except DomainError as exc:
        state = _explain_choices(failed_form(session, exc, _values(form, "password")))
        return render(request, "identity/signup.html", {"form": state}, status_code=state.status)
    return _signed_in(request, signed, "/?notice=welcome")


@router.get("/login")
def login_page(
    request: Request,
    visitor: MaybeVisitor,
    next_url: Annotated[str, Query(alias="next", max_length=2000)] = "",
) -> Response:
    if visitor is not None:
        return redirect(safe_next(next_url))
    form = FormState({"email": "", "password": "", "next": safe_next(next_url)})
    return render(
        request, "identity/login.html", {"form": form, "notice": notice(request, LOGIN_NOTICES)}
    )


@router.post("/login")
def login(
    request: Request, form: Annotated[LoginForm, Form()], session: Db, config: Config
) -> Response:
    values = _values(form, "password") | {"next": safe_next(form.next)}
    try:
        signed = accounts.login(
            session, config, form.email, form.password, ip=current_origin().ip, kind="web"
        )
    except DomainError as exc:
        # A wrong password is kept (keep_changes) so that the attempt counts.
        state = failed_form(session, exc, values)
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
        return render(
            request,
            "identity/login.html",
            {"form": state},
            status_code=state.status,
            headers=headers,
        )
    return _signed_in(request, signed, values["next"])


@router.get("/logout")
def logout_page(request: Request, visitor: MaybeVisitor) -> Response:
    """Logging out changes state, so a typed-in address asks before doing it."""
    if visitor is None:
        return redirect("/login")
    return render(request, "identity/logout.html")


@router.post("/logout")
def logout(request: Request, session: Db, visitor: MaybeVisitor) -> Response:
    if visitor is not None:
        sessions.end_session(session, sessions.session_of(visitor.principal))
    response = redirect("/login?notice=signed_out")
    clear_session_cookie(request, response)
    return response


@router.post("/switch-organization")
def switch_organization(
    visitor: CurrentVisitor, session: Db, organization_id: Annotated[str, Form()] = ""
) -> Response:
    sessions.switch_web_organization(session, visitor.principal, parse_id(organization_id))
    return redirect("/")


class NewOrganizationForm(BaseModel):
    organization_name: str = ""
    country: str = ""
    base_currency: str = ""


@router.get("/organizations/new")
def new_organization_page(request: Request, visitor: CurrentVisitor) -> Response:
    return render(
        request,
        "identity/new_organization.html",
        {"form": FormState(NewOrganizationForm().model_dump())},
    )


@router.post("/organizations/new")
def create_organization(
    request: Request,
    visitor: CurrentVisitor,
    session: Db,
    form: Annotated[NewOrganizationForm, Form()],
) -> Response:
    try:
        organization = organizations.create_for_user(
            session,
            visitor.user.id,
            legal_name=form.organization_name,
            country=form.country,
            base_currency=form.base_currency,
        )
    except DomainError as exc:
        state = _explain_choices(failed_form(session, exc, form.model_dump()))
        return render(
            request, "identity/new_organization.html", {"form": state}, status_code=state.status
        )
    sessions.switch_web_organization(session, visitor.principal, organization.id)
    return redirect("/settings/organization?notice=created")


# -- passwords and e-mail confirmation ---------------------------------------------------


@router.get("/forgot-password")
def forgot_password_page(request: Request) -> Response:
    context = {"form": FormState({"email": ""}), "sent_to": None}
    return render(request, "identity/forgot_password.html", context)


@router.post("/forgot-password")
def forgot_password(
    request: Request, form: Annotated[EmailForm, Form()], session: Db, config: Config
) -> Response:
    address = form.email.strip()
    if not address:
        state = FormState({"email": ""}, {"email": "Enter the address you log in with."}, None, 422)
        return render(
            request,
            "identity/forgot_password.html",
            {"form": state, "sent_to": None},
            status_code=422,
        )
    # The same answer whether or not the address has an account: nothing to learn here.
    accounts.request_password_reset(session, config, address)
    context = {"form": FormState({"email": address}), "sent_to": address}
    return render(request, "identity/forgot_password.html", context)


def _reset_page(request: Request, form: FormState, link_problem: str | None = None) -> Response:
    return render(
        request,
        "identity/reset_password.html",
        {"form": form, "link_problem": link_problem},
        status_code=form.status,
    )


@router.get("/reset-password")
def reset_password_page(
    request: Request, token: Annotated[str, Query(max_length=200)] = ""
) -> Response:
    if not token:
        return _reset_page(request, FormState(status=400), "This link is incomplete.")
    return _reset_page(request, FormState({"token": token, "password": "", "password_confirm": ""}))


@router.post("/reset-password")
def reset_password(request: Request, form: Annotated[ResetForm, Form()], session: Db) -> Response:
    values = _values(form, "password", "password_confirm")
    if form.password != form.password_confirm:
        return _reset_page(request, _mismatch(values))
    try:
        accounts.confirm_password_reset(session, form.token, form.password)
    except (Gone, ValidationFailed) as exc:
        state = failed_form(session, exc, values)
        link_problem = exc.detail if isinstance(exc, Gone) else state.errors.pop("token", None)
        return _reset_page(request, state, link_problem)
    return redirect("/login?notice=password_reset")


@router.get("/verify-email")
def verify_email(
    request: Request, session: CommittingDb, token: Annotated[str, Query(max_length=200)] = ""
) -> Response:
    try:
        user = accounts.verify_email(session, token)
    except (Gone, ValidationFailed) as exc:
        discard(session, exc)
        return render(
            request,
            "identity/verify_email.html",
            {"problem": _message(exc), "email": None},
            status_code=exc.status,
        )
    return render(request, "identity/verify_email.html", {"problem": None, "email": user.email})


# -- invitations -------------------------------------------------------------------------


def _invitation_page(
    request: Request,
    token: str,
    session: Db,
    visitor: Visitor | None,
    form: FormState,
) -> Response:
    preview = members.preview_invitation(session, token)
    if visitor is not None and visitor.user.email == preview.invitation.email:
        mode = "signed_in"
    else:
        mode = "existing" if preview.account_exists else "new"
    return render(
        request,
        "identity/invitation.html",
        {"form": form, "preview": preview, "mode": mode, "token": token},
        status_code=form.status,
    )


@router.get("/invitations/{token}")
def invitation_page(request: Request, token: str, session: Db, visitor: MaybeVisitor) -> Response:
    return _invitation_page(
        request, token, session, visitor, FormState({"name": "", "password": ""})
    )


@router.post("/invitations/{token}")
def accept_invitation(
    request: Request,
    token: str,
    form: Annotated[AcceptForm, Form()],
    session: Db,
    config: Config,
    visitor: MaybeVisitor,
) -> Response:
    try:
        signed = members.accept_invitation(
            session,
            config,
            token,
            kind="web",
            password=form.password or None,
            name=form.name,
            signed_in_user_id=visitor.user.id if visitor else None,
        )
    except DomainError as exc:
        # An unknown, withdrawn or used invitation fails again below, as an error page.
        state = failed_form(session, exc, _values(form, "password"))
        return _invitation_page(request, token, session, visitor, state)
    if visitor is not None:
        # This browser now belongs to the account that joined; its earlier session ends.
        sessions.end_session(session, sessions.session_of(visitor.principal))
    return _signed_in(request, signed, "/?notice=joined")


# -- settings: the organization ----------------------------------------------------------


def _organization_page(request: Request, visitor: Visitor, form: FormState) -> Response:
    return render(
        request,
        "identity/settings_organization.html",
        {
            "form": form,
            "editable": visitor.can("organization:write"),
            "notice": notice(request, ORGANIZATION_NOTICES),
            "section": "settings",
            "tab": "organization",
        },
        status_code=form.status,
    )


def _as_text(value: Any) -> str:
    return "" if value is None else str(value)


@router.get("/settings/organization")
def organization_settings(request: Request, visitor: CurrentVisitor) -> Response:
    visitor.require("organization:read")
    values = {
        name: _as_text(getattr(visitor.organization, name)) for name in ProfileForm.model_fields
    }
    return _organization_page(request, visitor, FormState(values))


@router.post("/settings/organization")
def save_organization(
    request: Request, visitor: CurrentVisitor, session: Db, form: Annotated[ProfileForm, Form()]
) -> Response:
    visitor.require("organization:write")
    values = form.model_dump()
    try:
        organizations.update_profile(session, values)
    except ValidationFailed as exc:
        state = _explain_choices(failed_form(session, exc, values))
        return _organization_page(request, visitor, state)
    return redirect("/settings/organization?notice=saved")


# -- settings: members and invitations ---------------------------------------------------


def _portal_links(session: Db, people: list[members.Member]) -> dict[str, Any]:
    """What the rows of portal members show: the party each is linked to, and the parties
    of each portal role to choose from."""
    linked = {
        member.membership.id: party_links.find(
            session, Role(member.membership.role), member.membership.party_id
        )
        for member in people
    }
    return {
        "linked_parties": linked,
        "party_choices": {role.value: party_links.choices(session, role) for role in PORTAL_ROLES},
    }


def _members_page(
    request: Request,
    visitor: Visitor,
    session: Db,
    invite_form: FormState,
    alert: str | None = None,
    status_code: int = 200,
) -> Response:
    people = members.list_members(session)
    return render(
        request,
        "identity/settings_members.html",
        {
            "members": people,
            **_portal_links(session, people),
            "invite_party_options": _invite_party_options(session),
            "invitations": members.list_invitations(session),
            "invite_form": invite_form,
            "alert": alert,
            "notice": notice(request, MEMBER_NOTICES),
            "link_sent_mail": request.query_params.get("notice") == "invited"
            and visitor.can("mail:read"),
            "section": "settings",
            "tab": "members",
        },
        status_code=status_code,
    )


@router.get("/settings/members")
def members_settings(request: Request, visitor: CurrentVisitor, session: Db) -> Response:
    visitor.require("members:read")
    return _members_page(request, visitor, session, FormState(InviteForm().model_dump()))


@router.post("/settings/members/invite")
def invite_member(
    request: Request,
    visitor: CurrentVisitor,
    session: Db,
    config: Config,
    form: Annotated[InviteForm, Form()],
) -> Response:
    visitor.require("members:write")
    try:
        role = members.parse_role(form.role)
        members.invite(session, config, visitor.principal, form.email, role, _party_id(form.party))
    except DomainError as exc:
        state = failed_form(session, exc, form.model_dump())
        return _members_page(request, visitor, session, state, status_code=state.status)
    return redirect("/settings/members?notice=invited")


def _member_failed(
    request: Request, visitor: Visitor, session: Db, membership_id: uuid.UUID, exc: DomainError
) -> Response:
    discard(session, exc)
    if is_htmx(request):
        # HTMX swaps only successful answers: the row comes back with the reason inside.
        return _member_row(request, session, membership_id, row_error=_message(exc))
    blank = FormState(InviteForm().model_dump())
    return _members_page(
        request, visitor, session, blank, alert=_message(exc), status_code=exc.status
    )


def _member_row(
    request: Request, session: Db, membership_id: uuid.UUID, **messages: str
) -> Response:
    member = members.get_member(session, membership_id)
    context = {"member": member, **_portal_links(session, [member]), **messages}
    return render(request, "identity/_member_row.html", context)


@router.post("/settings/members/{member_id}/role")
def change_member_role(
    request: Request,
    member_id: str,
    visitor: CurrentVisitor,
    session: Db,
    role: Annotated[str, Form()] = "",
) -> Response:
    visitor.require("members:write")
    membership_id = parse_id(member_id)
    try:
        member = members.update_member(
            session, visitor.principal, membership_id, {"role": members.parse_role(role)}
        )
    except DomainError as exc:
        return _member_failed(request, visitor, session, membership_id, exc)
    if member.user.id == visitor.user.id or not is_htmx(request):
        # Changing one's own role changes what the page may show: load it again.
        return redirect("/settings/members?notice=role_changed", request)
    return _member_row(request, session, membership_id, row_notice="Role changed.")


def _invite_party_options(session: Db) -> list[tuple[str, str]]:
    """Every party a portal invitation may name, customers then suppliers."""
    return [
        (str(party.id), f"{label} · {party.name} ({party.code})")
        for role, label in ((Role.CLIENT, "Customer"), (Role.SUPPLIER, "Supplier"))
        for party in party_links.choices(session, role)
    ]


def _party_id(text: str) -> uuid.UUID | None:
    """The chosen party; none chosen unlinks."""
    if not text:
        return None
    try:
        return uuid.UUID(text)
    except ValueError:
        raise ValidationFailed.single("party", "No such party.", "not_found") from None


@router.post("/settings/members/{member_id}/party")
def change_member_party(
    request: Request,
    member_id: str,
    visitor: CurrentVisitor,
    session: Db,
    party: Annotated[str, Form()] = "",
) -> Response:
    visitor.require("members:write")
    membership_id = parse_id(member_id)
    # Another organization's member is not found, whatever party was chosen.
    members.get_member(session, membership_id)
    try:
        members.update_member(
            session, visitor.principal, membership_id, {"party": _party_id(party)}
        )
    except DomainError as exc:
        return _member_failed(request, visitor, session, membership_id, exc)
    if not is_htmx(request):
        return redirect("/settings/members?notice=party_changed")
    return _member_row(request, session, membership_id, row_notice="Portal link saved.")


@router.post("/settings/members/{member_id}/remove")
def remove_member(
    request: Request, member_id: str, visitor: CurrentVisitor, session: Db
) -> Response:
    visitor.require("members:write")
    membership_id = parse_id(member_id)
    member = members.get_member(session, membership_id)
    try:
        members.remove_member(session, visitor.principal, membership_id)
    except DomainError as exc:
        return _member_failed(request, visitor, session, membership_id, exc)
    if member.user.id == visitor.user.id:
        return redirect("/", request)
    if is_htmx(request):
        return Response(status_code=200)
    return redirect("/settings/members?notice=removed")


@router.post("/settings/members/invitations/{invitation_id}/withdraw")
def withdraw_invitation(
    request: Request, invitation_id: str, visitor: CurrentVisitor, session: Db
) -> Response:
    visitor.require("members:write")
    members.revoke_invitation(session, parse_id(invitation_id))
    if is_htmx(request):
        return Response(status_code=200)
    return redirect("/settings/members?notice=withdrawn")


# -- settings: one's own account ---------------------------------------------------------


def _account_page(
    request: Request, form: FormState, *, name_form: FormState | None = None
) -> Response:
    visitor: Visitor = request.state.visitor
    name_form = name_form or FormState({"name": visitor.user.name})
    return render(
        request,
        "identity/settings_account.html",
        {
            "form": form,
            "name_form": name_form,
            "notice": notice(request, ACCOUNT_NOTICES),
            "section": "settings",
            "tab": "account",
        },
        status_code=max(form.status, name_form.status),
    )


@router.get("/settings/account")
def account_settings(request: Request, visitor: CurrentVisitor) -> Response:
    return _account_page(request, FormState(_values(PasswordForm(), *PasswordForm.model_fields)))


@router.post("/settings/account/password")
def change_password(
    request: Request, visitor: CurrentVisitor, session: Db, form: Annotated[PasswordForm, Form()]
) -> Response:
    values = _values(form, *PasswordForm.model_fields)
    if form.password != form.password_confirm:
        return _account_page(request, _mismatch(values))
    try:
        accounts.change_password(session, visitor.principal, form.current_password, form.password)
    except ValidationFailed as exc:
        return _account_page(request, failed_form(session, exc, values))
    return redirect("/settings/account?notice=password_changed")


class NameForm(BaseModel):
    name: str = ""


@router.post("/settings/account/name")
def rename(
    request: Request, visitor: CurrentVisitor, session: Db, form: Annotated[NameForm, Form()]
) -> Response:
    try:
        accounts.rename(session, visitor.user.id, form.name)
    except ValidationFailed as exc:
        return _account_page(
            request,
            FormState(_values(PasswordForm(), *PasswordForm.model_fields)),
            name_form=failed_form(session, exc, {"name": form.name}),
        )
    return redirect("/settings/account?notice=renamed")


@router.post("/settings/account/verification")
def resend_verification(visitor: CurrentVisitor, session: Db, config: Config) -> Response:
    accounts.send_verification(session, config, visitor.user)
    return redirect("/settings/account?notice=verification_sent")
