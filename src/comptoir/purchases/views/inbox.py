"""The approvals inbox: every bill and expense waiting for the visitor's approval, approved
one by one or several at once, or rejected with a reason."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jinja2
from fastapi import Request, Response

from comptoir.identity.roles import Role
from comptoir.identity.service import accounts as users
from comptoir.kit.errors import DomainError, ValidationFailed
from comptoir.parties.service import parties
from comptoir.purchases.service import approval_rules, decisions, inbox, receipts
from comptoir.purchases.views import common
from comptoir.server.deps import Config
from comptoir.web.templating import templates
from comptoir.web.websession import (
    CurrentVisitor,
    Db,
    FormState,
    PostedForm,
    Visitor,
    failed_form,
    notice,
    redirect,
    web_router,
)

router = web_router()

BASE = "/purchases/approvals"
NOTICES = {"rejected": "Rejected: whoever submitted it is told why."}


@dataclass(frozen=True)
class Row:
    """One line of the inbox."""

    key: str
    kind: str
    link: str
    supplier: str
    what: str
    gross: int
    currency: str
    submitter: str | None
    step: int
    steps: int
    role: str
    self_approval: bool
    thumbnail_url: str | None
    submitted_at: Any


def may_approve(visitor: Visitor) -> bool:
    return approval_rules.may_approve(visitor.principal.role, Role.ACCOUNTANT)


@jinja2.pass_context
def pending_approvals(context: Any) -> int:
    """The sidebar's count of items waiting for the visitor; nothing to count for members
    who approve nothing."""
    request = context.get("request")
    visitor: Visitor | None = context.get("visitor")
    session = getattr(request.state, "web_db", None) if request is not None else None
    if visitor is None or session is None or not may_approve(visitor):
        return 0
    return len(inbox.pending_for(session, visitor.principal.user_id))


templates.env.globals["pending_approvals"] = pending_approvals


def _rows(session: Db, visitor: Visitor, config: Config) -> list[Row]:
    items = inbox.pending_for(session, visitor.principal.user_id)
    names = users.display_names(session, {item.subject.submitted_by_id for item in items})
    links = receipts.Links(config.secret_key, "")
    rows = []
    for item in items:
        subject = item.subject
        party = parties.get(session, subject.party_id) if subject.party_id else None
        if item.subject_type == "expense":
            supplier = party.name if party else (getattr(subject, "supplier_name", None) or "—")
            what = getattr(subject, "description", None) or "Expense"
            link = f"/purchases/expenses/{subject.id}"
        else:
            supplier = party.name if party else "—"
            what = f"Bill {getattr(subject, 'supplier_number', None) or ''}".strip()
            link = f"/purchases/bills/{subject.id}"
        thumbnail = next(
            (
                r.thumbnail_url
                for r in receipts.list_receipts(session, subject, links)
                if r.thumbnail_url
            ),
            None,
        )
        rows.append(
            Row(
                f"{item.subject_type}:{subject.id}",
                item.subject_type,
                link,
                supplier,
                what,
                subject.gross,
                subject.currency,
                names.get(subject.submitted_by_id) if subject.submitted_by_id else None,
                item.step,
                item.steps,
                common.role_text(item.role.value),
                item.self_approval,
                thumbnail,
                subject.submitted_at,
            )
        )
    return rows


def _page(
    request: Request,
    visitor: Visitor,
    session: Db,
    config: Config,
    *,
    outcomes: list[tuple[str, decisions.Outcome]] | None = None,
    reject_form: FormState | None = None,
    reject_key: str = "",
    status_code: int = 200,
) -> Response:
    return common.page(
        request,
        visitor,
        "purchases/approvals.html",
        {
            "rows": _rows(session, visitor, config),
            "approver": may_approve(visitor),
            "outcomes": outcomes or [],
            "approved_count": sum(1 for _, outcome in outcomes or [] if outcome.done),
            "reject_form": reject_form or FormState(),
            "reject_key": reject_key,
            "notice": notice(request, NOTICES),
        },
        nav="approvals",
        status_code=status_code,
    )


@router.get(BASE)
def approvals_page(
    request: Request, visitor: CurrentVisitor, session: Db, config: Config
) -> Response:
    if not (visitor.can("expenses:read") or visitor.can("bills:read")):
        visitor.require("expenses:read")
    return _page(request, visitor, session, config)


@router.post(f"{BASE}/approve")
def approve_selected(
    request: Request, visitor: CurrentVisitor, session: Db, config: Config, form: PostedForm
) -> Response:
    """Approve the ticked items (or the one whose own button was pressed), each on its own:
    the report says which were approved and why the others were not."""
    only = form.get("only")
    chosen = [only] if isinstance(only, str) and only else form.getlist("items")
    items = [
        item
        for item in (decisions.parse_item(str(text)) for text in chosen[: inbox.MAX_ITEMS])
        if item is not None
    ]
    if not items:
        return _page(
            request,
            visitor,
            session,
            config,
            reject_form=FormState(alert="Tick the items to approve first."),
            status_code=422,
        )
    for item in items:
        visitor.require(f"{item.subject_type}s:write")
    labels = _labels(session, visitor, config)
    outcomes = decisions.approve_each(session, items, common.viewer(visitor))
    return _page(
        request,
        visitor,
        session,
        config,
        outcomes=[
            (labels.get(f"{o.item.subject_type}:{o.item.id}", o.item.subject_type.capitalize()), o)
            for o in outcomes
        ],
    )


def _labels(session: Db, visitor: Visitor, config: Config) -> dict[str, str]:
    """How the report names each waiting item: read before approving moves them out."""
    return {row.key: f"{row.what} ({row.supplier})" for row in _rows(session, visitor, config)}


@router.post(f"{BASE}/reject")
def reject_item(
    request: Request, visitor: CurrentVisitor, session: Db, config: Config, form: PostedForm
) -> Response:
    key = str(form.get("item") or "")
    reason = str(form.get("reason") or "")
    item = decisions.parse_item(key)
    try:
        if item is None:
            raise ValidationFailed.single("item", "Choose an item to reject.", "required")
        visitor.require(f"{item.subject_type}s:write")
        decisions.reject(session, item, reason, common.viewer(visitor))
    except DomainError as exc:
        state = failed_form(session, exc, {"reason": reason})
        return _page(
            request,
            visitor,
            session,
            config,
            reject_form=state,
            reject_key=key,
            status_code=state.status,
        )
    return redirect(f"{BASE}?notice=rejected")
