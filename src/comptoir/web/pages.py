"""The dashboard: a signed-in user's home page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapi import Request, Response

from comptoir.identity.roles import PORTAL_ROLES
from comptoir.identity.service import members
from comptoir.ledger import views as ledger_views
from comptoir.web.websession import Db, MaybeVisitor, Visitor, notice, redirect, render, web_router

if TYPE_CHECKING:
    from comptoir.identity.models import Organization

router = web_router()

DASHBOARD_NOTICES = {
    "welcome": "Welcome to Comptoir! We sent a link to confirm your e-mail address.",
    "joined": "Welcome aboard: you have joined the company.",
}


@dataclass(frozen=True)
class Step:
    """One item of the getting-started checklist."""

    title: str
    text: str
    done: bool
    link: str
    action: str


def _profile_complete(organization: Organization) -> bool:
    """Enough to print a proper invoice: a postal address and one official identifier."""
    address = organization.address_line1 and organization.postal_code and organization.city
    identifier = (
        organization.siren
        or organization.vat_number
        or organization.tpin
        or organization.company_registration
    )
    return bool(address and identifier)


def _checklist(visitor: Visitor, people: int) -> list[Step]:
    steps = [
        Step(
            "Confirm your e-mail address",
            f"Open the link we sent to {visitor.user.email}.",
            visitor.user.email_verified_at is not None,
            "/settings/account",
            "Resend the link",
        )
    ]
    if visitor.can("organization:write"):
        steps.append(
            Step(
                "Complete the company profile",
                "Add the address and the registration or VAT number printed on invoices.",
                _profile_complete(visitor.organization),
                "/settings/organization",
                "Open the profile",
            )
        )
    if visitor.can("members:write"):
        steps.append(
            Step(
                "Invite your team",
                "Bring in your accountant, sales or warehouse staff with the right role.",
                people > 1,
                "/settings/members",
                "Invite people",
            )
        )
    return steps


@router.get("/")
def dashboard(request: Request, visitor: MaybeVisitor, session: Db) -> Response:
    if visitor is None:
        return redirect("/login")
    if visitor.principal.role in PORTAL_ROLES:
        # Customers and suppliers land on their portal, this notice included.
        query = "?notice=joined" if request.query_params.get("notice") == "joined" else ""
        return redirect(f"/portal{query}")
    member_count = pending = 0
    if visitor.can("members:read"):
        member_count = len(members.list_members(session))
        pending = len(members.list_invitations(session))
    steps = _checklist(visitor, member_count + pending)
    return render(
        request,
        "web/dashboard.html",
        {
            "steps": steps,
            "done": sum(step.done for step in steps),
            "member_count": member_count,
            "pending_invitations": pending,
            "books": ledger_views.books_card(session, visitor),
            "notice": notice(request, DASHBOARD_NOTICES),
            "section": "dashboard",
        },
    )
