"""Web pages of the accounting hub, the fiscal-year closing page and the accounting
settings."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Form, Query, Request, Response

from comptoir.kit.errors import DomainError, NotFound
from comptoir.ledger.service import books_settings, closing, entries
from comptoir.ledger.service.vocabulary import JOURNAL_TYPES
from comptoir.reporting.service import fiscal_year
from comptoir.web.formatting import page_formats
from comptoir.web.websession import (
    CurrentVisitor,
    Db,
    FormState,
    PostedForm,
    Visitor,
    discard,
    failed_form,
    notice,
    redirect,
    render,
    web_router,
)

router = web_router()

YearQuery = Annotated[str, Query(max_length=64)]
NOTICES = {
    "closed": "The year is closed: its closing entry, the next year's opening entry and "
    "the allocation of its result are posted, and the books are locked up to its last day.",
    "saved": "The accounting settings are saved.",
}
JOURNAL_LABELS = {
    "sales": "Sales",
    "purchases": "Purchases",
    "bank": "Bank",
    "cash": "Cash",
    "general": "General (miscellaneous)",
    "opening": "Opening",
}


def _page(
    request: Request,
    visitor: Visitor,
    template: str,
    context: dict[str, Any],
    *,
    nav: str,
    status_code: int = 200,
) -> Response:
    values = {
        "section": "accounting",
        "subsection": nav,
        "base_currency": visitor.organization.base_currency,
        **page_formats(visitor.organization),
        **context,
    }
    return render(request, template, values, status_code=status_code)


def _summary(session: Db, year: str) -> tuple[fiscal_year.YearSummary, str | None]:
    """The year asked for, or the current one with a message when there is no such year."""
    try:
        return fiscal_year.summary(session, year or None), None
    except NotFound:
        return fiscal_year.summary(session), "No such fiscal year: here is the current one."


def _entry_links(session: Db, found: fiscal_year.YearSummary) -> list[dict[str, Any]]:
    if found.entries is None:
        return []
    roles = (
        ("closing", "Closing entry", "income and expenses into the year's result"),
        ("opening", "Opening entry", "the next year's balances brought forward"),
        ("allocation", "Allocation of the result", "the result moved to retained earnings"),
    )
    links = []
    for role, label, text in roles:
        entry = getattr(found.entries, role)
        if entry is not None:
            links.append(
                {
                    "label": label,
                    "text": text,
                    "href": f"/accounting/entries/{entry.id}",
                    "number": entries.display_number_of(session, entry),
                    "date": entry.date,
                }
            )
    return links


@router.get("/accounting")
def accounting_hub(
    request: Request, visitor: CurrentVisitor, session: Db, year: YearQuery = ""
) -> Response:
    visitor.require("reports:read")
    found, problem = _summary(session, year)
    return _page(
        request,
        visitor,
        "reporting/hub.html",
        {
            "found": found,
            "problem": problem,
            "years": fiscal_year.years(session),
            "period": _period_query(found.start_date, found.end_date),
        },
        nav="overview",
        status_code=404 if problem else 200,
    )


def _period_query(start: date, end: date) -> str:
    return f"date_from={start.isoformat()}&date_to={end.isoformat()}"


def _closing_page(
    request: Request,
    visitor: Visitor,
    session: Db,
    year: str,
    *,
    confirm: bool = False,
    alert: str | None = None,
    status_code: int = 200,
) -> Response:
    found, problem = _summary(session, year)
    return _page(
        request,
        visitor,
        "reporting/closing.html",
        {
            "found": found,
            "problem": problem,
            "alert": alert,
            "years": fiscal_year.years(session),
            "confirm": confirm and found.can_close and visitor.can("entries:write"),
            "links": _entry_links(session, found),
            "notice": notice(request, NOTICES),
            "period": _period_query(found.start_date, found.end_date),
        },
        nav="fiscal_year",
        status_code=404 if problem else status_code,
    )


@router.get("/accounting/fiscal-year")
def closing_page(
    request: Request,
    visitor: CurrentVisitor,
    session: Db,
    year: YearQuery = "",
    confirm: bool = False,
) -> Response:
    visitor.require("reports:read")
    return _closing_page(request, visitor, session, year, confirm=confirm)


@router.post("/accounting/fiscal-year/close")
def close_year(
    request: Request,
    visitor: CurrentVisitor,
    session: Db,
    year: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    visitor.require("entries:write")
    try:
        closed = closing.close(session, year, actor_id=visitor.user.id)
    except DomainError as exc:
        discard(session, exc)
        messages = [e.message for e in getattr(exc, "errors", [])] or [exc.detail]
        return _closing_page(
            request, visitor, session, year, alert=" ".join(messages), status_code=exc.status
        )
    return redirect(f"/accounting/fiscal-year?year={closed.year.id}&notice=closed", request)


def _settings_values(found: books_settings.BooksSettings) -> dict[str, str]:
    values = {
        "fiscal_year_start_month": str(found.fiscal_year_start_month),
        "lock_date": found.lock_date.isoformat() if found.lock_date else "",
    }
    for kind in JOURNAL_TYPES:
        values[f"journals.{kind}"] = found.journals.get(kind) or ""
    return values


def _settings_page(
    request: Request, visitor: Visitor, session: Db, form: FormState | None = None
) -> Response:
    current = books_settings.current(session)
    return _page(
        request,
        visitor,
        "reporting/accounting_settings.html",
        {
            "form": form or FormState(_settings_values(current)),
            "current": current,
            "journal_labels": JOURNAL_LABELS,
            "notice": notice(request, NOTICES),
        },
        nav="accounting_settings",
        status_code=form.status if form else 200,
    )


@router.get("/accounting/settings")
def accounting_settings(request: Request, visitor: CurrentVisitor, session: Db) -> Response:
    visitor.require("entries:read")
    return _settings_page(request, visitor, session)


def _text(form: PostedForm, name: str) -> str:
    value = form.get(name)
    return value.strip()[:40] if isinstance(value, str) else ""


@router.post("/accounting/settings")
def save_accounting_settings(
    request: Request, visitor: CurrentVisitor, session: Db, form: PostedForm
) -> Response:
    visitor.require("entries:write")
    typed = {
        name: _text(form, name)
        for name in (
            "fiscal_year_start_month",
            "lock_date",
            *(f"journals.{k}" for k in JOURNAL_TYPES),
        )
    }
    errors: dict[str, str] = {}
    month = typed["fiscal_year_start_month"]
    lock: date | None = None
    if typed["lock_date"]:
        try:
            lock = date.fromisoformat(typed["lock_date"])
        except ValueError:
            errors["lock_date"] = "Use a date like 2025-12-31."
    if not month.isdigit():
        errors["fiscal_year_start_month"] = "Choose a month."
    if errors:
        return _settings_page(request, visitor, session, FormState(typed, errors, status=422))
    codes = {
        kind: typed[f"journals.{kind}"].upper()
        for kind in JOURNAL_TYPES
        if typed[f"journals.{kind}"]
    }
    try:
        books_settings.update(
            session,
            {"fiscal_year_start_month": int(month), "lock_date": lock, "journals": codes},
        )
    except DomainError as exc:
        return _settings_page(request, visitor, session, failed_form(session, exc, typed))
    return redirect("/accounting/settings?notice=saved", request)
