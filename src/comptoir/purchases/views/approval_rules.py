"""Settings → Approvals: the bands of amounts of expenses and bills and who approves them."""

from __future__ import annotations

import re

from fastapi import Request, Response

from comptoir.identity.roles import ROLE_LABELS
from comptoir.kit.errors import FieldError, ValidationFailed
from comptoir.kit.money import format_minor
from comptoir.purchases.service import approval_rules
from comptoir.web.websession import (
    CurrentVisitor,
    Db,
    FormState,
    PostedForm,
    Visitor,
    failed_form,
    notice,
    redirect,
    render,
    web_router,
)

router = web_router()

KIND_LABELS = {"expense": "Expenses", "bill": "Supplier bills"}
NOTICES = {
    f"saved-{kind}": f"The approval rules for {text.lower()} are saved."
    for kind, text in KIND_LABELS.items()
}
STEPS = range(approval_rules.MAX_STEPS)
_BAND_FIELD = re.compile(r"rules\[(\d+)\]\.(up_to|steps)")


def _form(kind: str, bands: list[tuple[str, list[str]]], top: list[str]) -> FormState:
    """Rows of limits and steps; the top band (no limit) is always the last, fixed row."""
    values = {"rows": str(len(bands))}
    for row, (up_to, steps) in enumerate(bands):
        values[f"{kind}-{row}-up_to"] = up_to
        values[f"{kind}-{row}-steps"] = ",".join(steps)
    values[f"{kind}-top-steps"] = ",".join(top)
    return FormState(values)


def _stored_form(session: Db, visitor: Visitor, kind: str) -> FormState:
    currency = visitor.organization.base_currency
    rules = approval_rules.rules_of(session, kind)
    limited = [
        (format_minor(band.up_to, currency), [step.value for step in band.steps])
        for band in rules.bands
        if band.up_to is not None
    ]
    # A spare empty row: typing a limit into it adds a band.
    return _form(kind, [*limited, ("", [])], [step.value for step in rules.bands[-1].steps])


def _page(
    request: Request, visitor: Visitor, session: Db, failed: dict[str, FormState] | None = None
) -> Response:
    forms = {kind: _stored_form(session, visitor, kind) for kind in KIND_LABELS} | (failed or {})
    return render(
        request,
        "purchases/settings_approvals.html",
        {
            "section": "settings",
            "tab": "approvals",
            "forms": forms,
            "defaults": {
                kind: approval_rules.rules_of(session, kind).is_default for kind in KIND_LABELS
            },
            "kind_labels": KIND_LABELS,
            "roles": [(role.value, ROLE_LABELS[role]) for role in approval_rules.APPROVER_ROLES],
            "steps": STEPS,
            "max_bands": approval_rules.MAX_BANDS,
            "notice": notice(request, NOTICES),
        },
        status_code=max([200, *(form.status for form in forms.values())]),
    )


@router.get("/settings/approvals")
def approvals_page(request: Request, visitor: CurrentVisitor, session: Db) -> Response:
    visitor.require("expenses:read")
    return _page(request, visitor, session)


def _amount_text(text: str) -> str:
    """As typed, made readable: spaces between thousands dropped, a lone decimal comma
    (``1000,50``, as French users type it) made a point."""
    compact = "".join(text.split())
    if compact.count(",") == 1 and "." not in compact:
        return compact.replace(",", ".")
    return compact


def _posted(form: PostedForm, kind: str) -> tuple[list[tuple[str, list[str]]], list[str]]:
    count = form.get("rows")
    # The page sends a small count; anything else (tampered, huge) counts as no rows.
    text = count if isinstance(count, str) else ""
    rows = int(text) if text.isascii() and text.isdigit() and len(text) < 4 else 0
    bands = []
    for row in range(min(rows, approval_rules.MAX_BANDS + 1)):
        up_to = str(form.get(f"{kind}-{row}-up_to") or "").strip()
        steps = [str(step) for step in form.getlist(f"{kind}-{row}-steps") if step]
        bands.append((up_to, steps))
    top = [str(step) for step in form.getlist(f"{kind}-top-steps") if step]
    return bands, top


def _field_of(error: FieldError, kind: str, rows: list[int]) -> str:
    """The form field where a service error on ``rules[i]`` shows."""
    found = _BAND_FIELD.fullmatch(error.field)
    if found is None:
        return error.field
    index, name = int(found[1]), found[2]
    if index >= len(rows):
        return f"{kind}-top-steps"
    return f"{kind}-{rows[index]}-{name}"


@router.post("/settings/approvals/{kind}")
def save_approvals(
    request: Request, kind: str, visitor: CurrentVisitor, session: Db, form: PostedForm
) -> Response:
    visitor.require("organization:write")
    approval_rules.check_kind(kind)
    bands, top = _posted(form, kind)
    if form.get("action") == "add":
        return _page(request, visitor, session, {kind: _form(kind, [*bands, ("", [])], top)})
    if form.get("action") == "default":
        approval_rules.replace(session, kind, [], visitor.principal.user_id)
        return redirect(f"/settings/approvals?notice=saved-{kind}")
    # Empty rows are spare rows; the rows kept remember where they were for the errors.
    kept = [row for row, (up_to, steps) in enumerate(bands) if up_to or steps]
    rules: list[dict[str, object]] = [
        {"up_to": _amount_text(bands[row][0]), "steps": bands[row][1]} for row in kept
    ]
    rules.append({"up_to": None, "steps": top})
    try:
        missing = [
            FieldError(
                f"rules[{index}].up_to", "Enter the amount this band goes up to.", "required"
            )
            for index, rule in enumerate(rules[:-1])
            if not rule["up_to"]
        ]
        if missing:
            raise ValidationFailed(missing)
        approval_rules.replace(session, kind, rules, visitor.principal.user_id)
    except ValidationFailed as exc:
        moved = ValidationFailed(
            [FieldError(_field_of(e, kind, kept), e.message, e.code) for e in exc.errors]
        )
        state = failed_form(session, moved, _form(kind, bands, top).values)
        return _page(request, visitor, session, {kind: state})
    return redirect(f"/settings/approvals?notice=saved-{kind}")
