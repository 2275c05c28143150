"""/api/v1/approval-rules: who approves expenses and bills, by amount."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from comptoir.identity.service import organizations
from comptoir.identity.service.sessions import Principal
from comptoir.kit.money import format_minor, parse_amount
from comptoir.purchases import schemas
from comptoir.purchases.service import approval_rules
from comptoir.server.deps import DbSession, require_scope

router = APIRouter(prefix="/api/v1", tags=["approval rules"])

# Whoever records expenses may know who will approve them; changing them is an admin's.
Reader = Annotated[Principal, require_scope("expenses:read")]
Writer = Annotated[Principal, require_scope("organization:write")]
KindPath = Annotated[str, Path(max_length=20, description="expense or bill")]


def _band(band: approval_rules.Band, currency: str) -> schemas.BandOut:
    return schemas.BandOut(
        up_to=None if band.up_to is None else format_minor(band.up_to, currency),
        steps=[step.value for step in band.steps],
    )


def _out(rules: approval_rules.Rules, currency: str) -> schemas.RulesOut:
    return schemas.RulesOut(
        applies_to=rules.applies_to,
        is_default=rules.is_default,
        currency=currency,
        rules=[_band(band, currency) for band in rules.bands],
    )


@router.get("/approval-rules", summary="Approval rules")
def list_rules(
    principal: Reader,
    session: DbSession,
    applies_to: Annotated[Literal["expense", "bill"] | None, Query()] = None,
) -> schemas.RulesList:
    """The bands of amounts of expenses and of bills (or only `applies_to`) and the roles
    that approve each band. Until an organization sets its own, one admin (or an owner)
    approves any amount: `is_default` says so."""
    currency = organizations.get_current(session).base_currency
    kinds = [applies_to] if applies_to else list(approval_rules.KINDS)
    return schemas.RulesList(
        items=[_out(approval_rules.rules_of(session, kind), currency) for kind in kinds]
    )


@router.put("/approval-rules/{applies_to}", summary="Replace the approval rules of one kind")
def replace_rules(
    applies_to: KindPath, body: schemas.RulesIn, principal: Writer, session: DbSession
) -> schemas.RulesOut:
    """The whole set of bands is replaced at once, or nothing changes: each mistake answers
    beside its field (`rules[1].up_to`, `rules[0].steps`). Limits are inclusive and
    strictly increasing; the last band has no limit. The submitter of an expense never
    approves it unless nobody else could (then it is recorded as self-approved)."""
    currency = organizations.get_current(session).base_currency
    rules = approval_rules.replace(session, applies_to, body.rules, principal.user_id)
    return _out(rules, currency)


@router.get("/approval-rules/{applies_to}/preview", summary="Approvals an amount needs")
def preview(
    applies_to: KindPath,
    principal: Reader,
    session: DbSession,
    amount: Annotated[str, Query(max_length=40, description='In the base currency, "250.00"')],
) -> schemas.PreviewOut:
    """The band an amount (tax included, base currency) falls in and the roles that would
    approve it in turn; a limit belongs to its own band (exactly 100.00 is "up to 100")."""
    approval_rules.check_kind(applies_to)
    currency = organizations.get_current(session).base_currency
    minor = parse_amount(amount, currency, "amount")
    band = approval_rules.band_of(session, applies_to, minor)
    return schemas.PreviewOut(
        applies_to=applies_to,
        amount=format_minor(minor, currency),
        currency=currency,
        band=_band(band, currency),
        steps=[step.value for step in band.steps],
        auto_approved=not band.steps,
    )
