"""Web pages of the ledger: chart of accounts, journal entries, trial balance, general ledger,
journals, exchange rates and the books' settings (lock date, imports)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any, Literal
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import Depends, Form, Query, Request, Response
from pydantic import BaseModel
from starlette.datastructures import FormData, UploadFile

from comptoir.kit import clock
from comptoir.kit.csvtext import decode_upload
from comptoir.kit.errors import Conflict, DomainError, FieldError, ValidationFailed
from comptoir.kit.money import currency_codes, format_minor, parse_amount, plain_decimal
from comptoir.ledger.service import (
    accounts,
    entries,
    exports,
    imports,
    journals,
    matching,
    organization,
    periods,
    rates,
    reports,
)
from comptoir.ledger.service.vocabulary import ACCOUNT_SUBTYPES, ACCOUNT_TYPES
from comptoir.web.formatting import page_formats
from comptoir.web.websession import (
    CurrentVisitor,
    Db,
    FormState,
    PostedForm,
    Visitor,
    attachment,
    discard,
    failed_form,
    notice,
    parse_id,
    redirect,
    render,
    web_router,
)

if TYPE_CHECKING:
    from comptoir.ledger.models import Account, Journal, JournalEntry

router = web_router()

PAGE_SIZE = 50
LEDGER_PAGE_SIZE = 200
# Enough for any entry typed by hand; imports go through CSV files.
MAX_FORM_LINES = 100
NEW_ENTRY_LINES = 2
OPENING_ROWS = 6
LINE_FIELDS = ("account", "label", "debit", "credit", "currency")
OPENING_FIELDS = ("account", "debit", "credit")

ACCOUNT_NOTICES = {
    "created": "The account is added to the chart.",
    "saved": "The account is saved.",
    "archived": "The account is archived: it keeps its history and takes no new postings.",
    "restored": "The account is back in use.",
    "deleted": "The account is deleted.",
}
ENTRY_NOTICES = {
    "saved": "The draft is saved. It counts in no report until it is posted.",
    "posted": "The entry is posted and numbered.",
    "reversed": "The reversal is posted; the two entries are linked.",
    "deleted": "The draft is deleted.",
    "opening": "The opening balances are posted as this entry.",
}
JOURNAL_NOTICES = {
    "created": "The journal is added.",
    "saved": "The journal is saved.",
    "archived": "The journal is archived: no new entries can be written in it.",
    "restored": "The journal is back in use.",
}
RATE_NOTICES = {
    "added": "The rate is saved.",
    "deleted": "The rate is deleted.",
    "imported": "The rates are imported.",
}
BOOKS_NOTICES = {
    "lock_saved": "The lock date is saved.",
    "lock_lifted": "The lock date is lifted: every open fiscal year takes postings again.",
    "entries_imported": "The entries are imported and posted.",
}
# The services name the valid values; beside a drop-down, "choose one" says it better.
CHOICE_MESSAGES = {"type": "Choose a type.", "journal": "Choose a journal."}

ACCOUNT_TYPE_LABELS = {
    "asset": "Asset",
    "liability": "Liability",
    "equity": "Equity",
    "income": "Income",
    "expense": "Expense",
}
JOURNAL_TYPE_LABELS = {
    "sales": "Sales",
    "purchases": "Purchases",
    "bank": "Bank",
    "cash": "Cash",
    "general": "General",
    "opening": "Opening",
}


# -- shared helpers ----------------------------------------------------------------------


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip()) if text.strip() else None
    except ValueError:
        return None


def _today(visitor: Visitor) -> date:
    """Today where the company is: a late entry in Lusaka is not booked on tomorrow's date."""
    try:
        zone = ZoneInfo(visitor.organization.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return clock.now().astimezone(zone).date()


def _fiscal_year(visitor: Visitor) -> tuple[date, date]:
    return periods.fiscal_year_bounds(_today(visitor), visitor.organization.fiscal_year_start_month)


def _formats(visitor: Visitor) -> dict[str, Callable[..., str]]:
    return page_formats(visitor.organization)


def _page(
    request: Request,
    visitor: Visitor,
    template: str,
    context: Mapping[str, Any],
    *,
    nav: str,
    status_code: int = 200,
) -> Response:
    values = {
        "section": "accounting",
        "subsection": nav,
        "base_currency": visitor.organization.base_currency,
        "account_type_labels": ACCOUNT_TYPE_LABELS,
        "journal_type_labels": JOURNAL_TYPE_LABELS,
        **_formats(visitor),
        **context,
    }
    return render(request, template, values, status_code=status_code)


def _explain_choices(state: FormState) -> FormState:
    for name, message in CHOICE_MESSAGES.items():
        if name in state.errors and not state.values.get(name):
            state.errors[name] = message
    return state


def _amount_text(text: str) -> str:
    """An amount as typed, made readable for ``parse_amount``: spaces between thousands
    dropped, and a lone decimal comma (``12,50``, as French users type it) made a point."""
    compact = "".join(text.split())
    if "," in compact and "." not in compact and compact.count(",") == 1:
        compact = compact.replace(",", ".")
    return compact


def _account_reference(text: str) -> str:
    """``512 · Banque`` as picked from a list, or ``512`` as typed: codes hold no spaces."""
    parts = text.split()
    return parts[0] if parts else ""


def _text_of(value: str | UploadFile | None) -> str:
    return value if isinstance(value, str) else ""


def _uploaded_text(value: str | UploadFile | None) -> str | None:
    """The text of an uploaded file, or None when no file was chosen."""
    if not isinstance(value, UploadFile) or not value.filename:
        return None
    return decode_upload(value.file.read())


def _download(table: exports.Table, fmt: Literal["csv", "xlsx"]) -> Response:
    # Built whole before answering: the request's session closes when the route returns,
    # and the general ledger's rows are read from it page by page.
    body, media_type = exports.encoded(table, fmt)
    return attachment(body, media_type, f"{table.filename}.{fmt}")


@dataclass(frozen=True)
class RowError:
    """One line of an import's error report."""

    row: int | None
    column: str
    message: str


def _row_errors(exc: DomainError) -> list[RowError]:
    if not isinstance(exc, ValidationFailed):
        return [RowError(None, "", exc.detail)]
    return sorted(
        (RowError(e.row, e.field, e.message) for e in exc.errors),
        key=lambda e: (e.row is None, e.row or 0),
    )


def _import_failed(
    session: Db, exc: DomainError, values: dict[str, str]
) -> tuple[FormState, list[RowError]]:
    """The form again, with the file's per-row report under it and one sentence above."""
    state = failed_form(session, exc, values)
    report = [error for error in _row_errors(exc) if error.row is not None]
    if report:
        state.alert = exc.detail
    return state, report


def _account_options(session: Db, *, postable: bool) -> list[Account]:
    return accounts.list_accounts(session, accounts.AccountFilter(postable_only=postable))


# -- chart of accounts -------------------------------------------------------------------


class AccountForm(BaseModel):
    code: str = ""
    name: str = ""
    type: str = ""
    subtype: str = ""
    parent: str = ""
    is_group: str = ""
    reconcilable: str = ""
    currency: str = ""


def _account_values(form: AccountForm) -> dict[str, Any]:
    return {
        "code": form.code,
        "name": form.name,
        "type": form.type,
        "subtype": form.subtype or None,
        "parent": form.parent or None,
        "is_group": bool(form.is_group),
        "reconcilable": bool(form.reconcilable),
        "currency": form.currency or None,
    }


def _depths(chart: list[Account]) -> dict[uuid.UUID, int]:
    """How deep each account sits under its headings, for the tree's indentation."""
    parents = {a.id: a.parent_id for a in chart}
    depths: dict[uuid.UUID, int] = {}

    def depth(account_id: uuid.UUID, seen: int = 0) -> int:
        if account_id not in depths:
            parent = parents.get(account_id)
            # The service refuses cycles; the bound keeps a corrupted chart displayable.
            depths[account_id] = 0 if parent is None or seen > 20 else depth(parent, seen + 1) + 1
        return depths[account_id]

    for account in chart:
        depth(account.id)
    return depths


@router.get("/accounting/accounts")
def chart_of_accounts(
    request: Request,
    visitor: CurrentVisitor,
    session: Db,
    q: Annotated[str, Query(max_length=100)] = "",
    type: Annotated[str, Query(max_length=20)] = "",
    archived: bool = False,
) -> Response:
    visitor.require("accounts:read")
    chart = accounts.list_accounts(session, accounts.AccountFilter(include_archived=True))
    depths = _depths(chart)
    kind = type if type in ACCOUNT_TYPES else ""
    found = accounts.list_accounts(
        session,
        accounts.AccountFilter(
            search=q.strip() or None, type=kind or None, include_archived=archived
        ),
    )
    return _page(
        request,
        visitor,
        "ledger/accounts.html",
        {
            "rows": [(account, min(depths.get(account.id, 0), 5)) for account in found],
            "q": q.strip(),
            "type": kind,
            "archived": archived,
            "filtered": bool(q.strip() or kind),
            "total": sum(1 for a in chart if a.archived_at is None),
            "notice": notice(request, ACCOUNT_NOTICES),
        },
        nav="accounts",
    )


def _account_form_page(
    request: Request,
    visitor: Visitor,
    session: Db,
    form: FormState,
    account: Account | None = None,
    *,
    alert: str | None = None,
    status_code: int | None = None,
) -> Response:
    chart = accounts.list_accounts(session, accounts.AccountFilter(include_archived=True))
    headings = [
        (a.code, f"{a.code} · {a.name}")
        for a in chart
        if (a.is_group or a.code == form.value("parent"))
        and (account is None or a.id != account.id)
    ]
    return _page(
        request,
        visitor,
        "ledger/account_form.html",
        {
            "form": form,
            "account": account,
            "alert": alert,
            "headings": headings,
            "type_options": list(ACCOUNT_TYPE_LABELS.items()),
            "subtype_options": [(s, s.replace("_", " ").capitalize()) for s in ACCOUNT_SUBTYPES],
            "currency_options": [(code, code) for code in sorted(currency_codes())],
        },
        nav="accounts",
        status_code=status_code or form.status,
    )


@router.get("/accounting/accounts/new")
def new_account_page(request: Request, visitor: CurrentVisitor, session: Db) -> Response:
    visitor.require("accounts:write")
    return _account_form_page(request, visitor, session, FormState(AccountForm().model_dump()))


@router.post("/accounting/accounts/new")
def create_account(
    request: Request, visitor: CurrentVisitor, session: Db, form: Annotated[AccountForm, Form()]
) -> Response:
    visitor.require("accounts:write")
    try:
        account = accounts.create(session, _account_values(form))
    except DomainError as exc:
        state = _explain_choices(failed_form(session, exc, form.model_dump()))
        return _account_form_page(request, visitor, session, state)
    return redirect(f"/accounting/accounts?{urlencode({'q': account.code, 'notice': 'created'})}")


def _stored_account(session: Db, account: Account) -> FormState:
    parent = accounts.get(session, account.parent_id).code if account.parent_id else None
    return FormState(
        {
            "code": account.code,
            "name": account.name,
            "type": account.type,
            "subtype": account.subtype or "",
            "parent": parent or "",
            "is_group": "on" if account.is_group else "",
            "reconcilable": "on" if account.reconcilable else "",
            "currency": account.currency or "",
        }
    )


@router.get("/accounting/accounts/{account_id}/edit")
def edit_account_page(
    request: Request, account_id: str, visitor: CurrentVisitor, session: Db
) -> Response:
    visitor.require("accounts:write")
    account = accounts.get(session, parse_id(account_id))
    return _account_form_page(request, visitor, session, _stored_account(session, account), account)


@router.post("/accounting/accounts/{account_id}/edit")
def save_account(
    request: Request,
    account_id: str,
    visitor: CurrentVisitor,
    session: Db,
    form: Annotated[AccountForm, Form()],
) -> Response:
    visitor.require("accounts:write")
    account = accounts.get(session, parse_id(account_id))
    try:
        accounts.update(session, account.id, _account_values(form))
    except DomainError as exc:
        state = _explain_choices(failed_form(session, exc, form.model_dump()))
        return _account_form_page(
            request, visitor, session, state, accounts.get(session, account.id)
        )
    return redirect(f"/accounting/accounts?{urlencode({'q': form.code, 'notice': 'saved'})}")


@router.post("/accounting/accounts/{account_id}/archive")
def archive_account(account_id: str, visitor: CurrentVisitor, session: Db) -> Response:
    visitor.require("accounts:write")
    accounts.archive(session, parse_id(account_id), True)
    return redirect("/accounting/accounts?notice=archived")


@router.post("/accounting/accounts/{account_id}/restore")
def restore_account(account_id: str, visitor: CurrentVisitor, session: Db) -> Response:
    visitor.require("accounts:write")
    accounts.archive(session, parse_id(account_id), False)
    return redirect("/accounting/accounts?archived=true&notice=restored")


@router.post("/accounting/accounts/{account_id}/delete")
def delete_account(
    request: Request, account_id: str, visitor: CurrentVisitor, session: Db
) -> Response:
    visitor.require("accounts:write")
    account = accounts.get(session, parse_id(account_id))
    try:
        accounts.delete(session, account.id)
    except DomainError as exc:
        discard(session, exc)
        account = accounts.get(session, account.id)
        return _account_form_page(
            request,
            visitor,
            session,
            _stored_account(session, account),
            account,
            alert=exc.detail,
            status_code=exc.status,
        )
    return redirect("/accounting/accounts?notice=deleted")


# -- journal entries ---------------------------------------------------------------------


def _blank_line() -> dict[str, str]:
    return dict.fromkeys(LINE_FIELDS, "")


@dataclass
class TypedEntry:
    """The entry form as typed, every value kept as text so that it can be shown again."""

    journal: str = ""
    date: str = ""
    reference: str = ""
    description: str = ""
    lines: list[dict[str, str]] = field(default_factory=list)
    action: str = "save"

    def values(self) -> dict[str, str]:
        """Values by field name, with a key for every place the service may point an error at
        (``lines``, ``lines.2``, ``lines.2.debit``...), so that each lands beside its cell."""
        values = {
            "journal": self.journal,
            "date": self.date,
            "reference": self.reference,
            "description": self.description,
            "lines": "",
        }
        for index, line in enumerate(self.lines):
            values[f"lines.{index}"] = ""
            values[f"lines.{index}.exchange_rate"] = ""
            for name in LINE_FIELDS:
                values[f"lines.{index}.{name}"] = line[name]
        return values

    def filled_rows(self) -> list[int]:
        """Rows with something typed in; blank ones are spare rows, not lines."""
        return [
            index
            for index, line in enumerate(self.lines)
            if any(line[name] for name in ("account", "label", "debit", "credit"))
        ]


def _typed_entry(source: Mapping[str, Any]) -> TypedEntry:
    indexes = set()
    for key in source:
        parts = key.split(".")
        if len(parts) == 3 and parts[0] == "lines" and parts[1].isdigit():
            indexes.add(int(parts[1]))
    lines = [
        {name: _text_of(source.get(f"lines.{index}.{name}")).strip() for name in LINE_FIELDS}
        for index in sorted(indexes)[:MAX_FORM_LINES]
    ]
    return TypedEntry(
        journal=_text_of(source.get("journal")).strip(),
        date=_text_of(source.get("date")).strip(),
        reference=_text_of(source.get("reference")).strip(),
        description=_text_of(source.get("description")).strip(),
        lines=lines,
        action=_text_of(source.get("action")) or "save",
    )


async def _entry_from_request(request: Request) -> TypedEntry:
    source = await request.form() if request.method == "POST" else request.query_params
    return _typed_entry(source)


TypedEntryForm = Annotated[TypedEntry, Depends(_entry_from_request)]


def _entry_input(typed: TypedEntry, rows: list[int]) -> entries.EntryInput:
    on = _day(typed.date)
    if on is None:
        raise ValidationFailed.single("date", "Choose the date of the entry.")
    return entries.EntryInput(
        journal=typed.journal,
        date=on,
        reference=typed.reference or None,
        description=typed.description or None,
        lines=[
            entries.LineInput(
                account=_account_reference(line["account"]),
                debit=_amount_text(line["debit"]) or None,
                credit=_amount_text(line["credit"]) or None,
                currency=line["currency"] or None,
                label=line["label"] or None,
            )
            for line in (typed.lines[index] for index in rows)
        ],
    )


def _on_form_rows(exc: ValidationFailed, typed: TypedEntry, rows: list[int]) -> ValidationFailed:
    """The service counts the lines it was given; the form also has blank rows in between."""

    def moved(error: FieldError) -> FieldError:
        parts = error.field.split(".")
        if parts[0] != "lines" or len(parts) < 2 or not parts[1].isdigit():
            return error
        position = int(parts[1])
        if position >= len(rows):
            return error
        row = rows[position]
        message = error.message
        if parts[2:] == ["account"] and not typed.lines[row]["account"]:
            message = "Choose an account."
        return FieldError(".".join(["lines", str(row), *parts[2:]]), message, error.code)

    return ValidationFailed([moved(error) for error in exc.errors], exc.detail)


@dataclass(frozen=True)
class LiveBalance:
    debit: int
    credit: int
    # Amounts that could not be read, and whether lines in other currencies are left out.
    unreadable: int = 0
    unconverted: bool = False

    @property
    def difference(self) -> int:
        return self.debit - self.credit

    @property
    def balanced(self) -> bool:
        return self.debit == self.credit and self.debit > 0


def _balance(session: Db, typed: TypedEntry) -> LiveBalance:
    """Totals of the amounts typed so far. Lines in another currency count once the whole
    entry converts (``entries.prepare``), since their value depends on the rate of the day."""
    base = organization.current(session).base_currency
    totals = {"debit": 0, "credit": 0}
    unreadable = 0
    foreign = False
    for line in typed.lines:
        currency = line["currency"].upper() or base
        for side in totals:
            text = _amount_text(line[side])
            if not text:
                continue
            if currency != base:
                foreign = True
                continue
            try:
                totals[side] += parse_amount(text, base, side)
            except ValidationFailed:
                unreadable += 1
    if foreign:
        try:
            prepared = entries.prepare(session, _entry_input(typed, typed.filled_rows()))
        except ValidationFailed:
            return LiveBalance(totals["debit"], totals["credit"], unreadable, True)
        return LiveBalance(
            sum(line.debit for line in prepared.lines),
            sum(line.credit for line in prepared.lines),
        )
    return LiveBalance(totals["debit"], totals["credit"], unreadable)


def _edit_lines(typed: TypedEntry, *, add: bool, remove: int | None) -> int | None:
    """Add or remove a row; answers the row to focus (the new one)."""
    if remove is not None and 0 <= remove < len(typed.lines):
        del typed.lines[remove]
    while len(typed.lines) < NEW_ENTRY_LINES:
        typed.lines.append(_blank_line())
    if add and len(typed.lines) < MAX_FORM_LINES:
        typed.lines.append(_blank_line())
        return len(typed.lines) - 1
    return None


def _lines_context(
    session: Db, typed: TypedEntry, form: FormState, focus: int | None = None
) -> dict[str, Any]:
    return {
        "form": form,
        "line_count": len(typed.lines),
        "max_lines": MAX_FORM_LINES,
        "balance": _balance(session, typed),
        "focus": focus,
    }


def _entry_form_page(
    request: Request,
    visitor: Visitor,
    session: Db,
    typed: TypedEntry,
    form: FormState,
    entry: JournalEntry | None = None,
    focus: int | None = None,
) -> Response:
    current = typed.journal
    journal_options = [
        (str(j.id), f"{j.code} · {j.name}")
        for j in journals.list_journals(session, include_archived=True)
        if j.archived_at is None or str(j.id) == current
    ]
    return _page(
        request,
        visitor,
        "ledger/entry_form.html",
        {
            **_lines_context(session, typed, form, focus),
            "entry": entry,
            "journal_options": journal_options,
            "postable": _account_options(session, postable=True),
            "currency_options": sorted(currency_codes()),
        },
        nav="entries",
        status_code=form.status,
    )


def _save_entry(
    request: Request,
    visitor: Visitor,
    session: Db,
    typed: TypedEntry,
    entry: JournalEntry | None,
) -> Response:
    """Save the form as a draft, or post it; rows added or removed without HTMX land here."""
    if typed.action == "add_line" or typed.action.startswith("remove-"):
        remove = typed.action.removeprefix("remove-")
        focus = _edit_lines(
            typed,
            add=typed.action == "add_line",
            remove=int(remove) if remove.isdigit() else None,
        )
        return _entry_form_page(
            request, visitor, session, typed, FormState(typed.values()), entry, focus
        )
    post = typed.action == "post"
    rows = typed.filled_rows()
    try:
        data = _entry_input(typed, rows)
        if entry is None:
            write = entries.record if post else entries.create_draft
            saved = write(session, data, actor_id=visitor.user.id)
        else:
            saved = entries.update_draft(session, entry.id, data)
            if post:
                saved = entries.post(session, saved.id, actor_id=visitor.user.id)
    except ValidationFailed as exc:
        state = failed_form(session, _on_form_rows(exc, typed, rows), typed.values())
        return _entry_form_page(request, visitor, session, typed, _explain_choices(state), entry)
    except DomainError as exc:
        state = failed_form(session, exc, typed.values())
        return _entry_form_page(request, visitor, session, typed, state, entry)
    return redirect(f"/accounting/entries/{saved.id}?notice={'posted' if post else 'saved'}")


@dataclass(frozen=True)
class EntryRow:
    entry: JournalEntry
    number: str | None
    journal: Journal
    total: int


@router.get("/accounting/entries")
def entries_page(
    request: Request,
    visitor: CurrentVisitor,
    session: Db,
    journal: Annotated[str, Query(max_length=40)] = "",
    status: Annotated[str, Query(max_length=10)] = "",
    date_from: Annotated[str, Query(max_length=10)] = "",
    date_to: Annotated[str, Query(max_length=10)] = "",
    reference: Annotated[str, Query(max_length=100)] = "",
    cursor: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    visitor.require("entries:read")
    every_journal = {str(j.id): j for j in journals.list_journals(session, include_archived=True)}
    chosen = every_journal.get(journal)
    filters = {
        "journal": journal if chosen else "",
        "status": status if status in ("draft", "posted") else "",
        "date_from": date_from,
        "date_to": date_to,
        "reference": reference.strip(),
    }
    form = FormState(filters)
    for name in ("date_from", "date_to"):
        if filters[name] and _day(filters[name]) is None:
            form.errors[name] = "Use a date like 2026-01-31."
    page = entries.list_entries(
        session,
        entries.EntryFilter(
            journal_id=chosen.id if chosen else None,
            status=filters["status"] or None,
            date_from=_day(date_from),
            date_to=_day(date_to),
            reference=filters["reference"] or None,
        ),
        limit=PAGE_SIZE,
        cursor=cursor,
    )
    rows = [
        EntryRow(
            entry,
            entries.display_number_of(session, entry),
            every_journal[str(entry.journal_id)],
            entries.totals(session, entry.id)[0],
        )
        for entry in page.items
    ]
    kept = {name: value for name, value in filters.items() if value}
    return _page(
        request,
        visitor,
        "ledger/entries.html",
        {
            "rows": rows,
            "form": form,
            "filtered": bool(kept),
            "journal_options": [(key, f"{j.code} · {j.name}") for key, j in every_journal.items()],
            "first_page": cursor is None,
            "newest_url": "/accounting/entries" + (f"?{urlencode(kept)}" if kept else ""),
            "older_url": "/accounting/entries?" + urlencode({**kept, "cursor": page.next_cursor})
            if page.next_cursor
            else None,
            "notice": notice(request, ENTRY_NOTICES),
        },
        nav="entries",
    )


@router.get("/accounting/entries/new")
def new_entry_page(request: Request, visitor: CurrentVisitor, session: Db) -> Response:
    visitor.require("entries:write")
    general = journals.by_type(session, "general")
    typed = TypedEntry(
        journal=str(general.id) if general else "",
        date=_today(visitor).isoformat(),
        lines=[_blank_line() for _ in range(NEW_ENTRY_LINES)],
    )
    return _entry_form_page(request, visitor, session, typed, FormState(typed.values()))


@router.post("/accounting/entries/new")
def create_entry(
    request: Request, visitor: CurrentVisitor, session: Db, typed: TypedEntryForm
) -> Response:
    visitor.require("entries:write")
    return _save_entry(request, visitor, session, typed, None)


@router.get("/accounting/entries/balance")
def entry_balance(
    request: Request, visitor: CurrentVisitor, session: Db, typed: TypedEntryForm
) -> Response:
    """The live totals under the lines, asked for by HTMX as amounts are typed."""
    visitor.require("entries:read")
    return _page(
        request,
        visitor,
        "ledger/_entry_balance.html",
        {"balance": _balance(session, typed)},
        nav="entries",
    )


@router.get("/accounting/entries/lines")
def entry_lines(
    request: Request,
    visitor: CurrentVisitor,
    session: Db,
    typed: TypedEntryForm,
    add: bool = False,
    remove: Annotated[int | None, Query(ge=0, lt=MAX_FORM_LINES)] = None,
) -> Response:
    """The lines again with a row more or less, as typed: HTMX's "add line" and "remove"."""
    visitor.require("entries:write")
    focus = _edit_lines(typed, add=add, remove=remove)
    context = _lines_context(session, typed, FormState(typed.values()), focus)
    return _page(request, visitor, "ledger/_entry_lines.html", context, nav="entries")


@dataclass(frozen=True)
class LineView:
    line_no: int
    account: Account
    label: str | None
    debit: int
    credit: int
    currency: str
    amount_currency: int
    exchange_rate: str
    matching_code: str | None


def _entry_page(
    request: Request,
    visitor: Visitor,
    session: Db,
    entry: JournalEntry,
    *,
    alert: str | None = None,
    reverse_form: FormState | None = None,
    status_code: int = 200,
) -> Response:
    chart = {
        a.id: a
        for a in accounts.list_accounts(session, accounts.AccountFilter(include_archived=True))
    }
    lines = entries.lines_of(session, entry.id)
    codes = matching.codes_of_lines(session, [line.id for line in lines])
    original = entries.get(session, entry.reversal_of_id) if entry.reversal_of_id else None
    reversal = entries.reversed_by(session, entry.id)
    return _page(
        request,
        visitor,
        "ledger/entry.html",
        {
            "entry": entry,
            "number": entries.display_number_of(session, entry),
            "journal": journals.get(session, entry.journal_id),
            "lines": [
                LineView(
                    line.line_no,
                    chart[line.account_id],
                    line.label,
                    line.debit,
                    line.credit,
                    line.currency,
                    line.amount_currency,
                    plain_decimal(line.exchange_rate),
                    codes.get(line.id),
                )
                for line in lines
            ],
            "debit": sum(line.debit for line in lines),
            "credit": sum(line.credit for line in lines),
            "original": original,
            "original_number": entries.display_number_of(session, original) if original else None,
            "reversal": reversal,
            "reversal_number": entries.display_number_of(session, reversal) if reversal else None,
            "reverse_form": reverse_form or FormState({"date": _today(visitor).isoformat()}),
            "alert": alert,
            "notice": notice(request, ENTRY_NOTICES),
        },
        nav="entries",
        status_code=status_code,
    )


def _stored_entry(session: Db, visitor: Visitor, entry: JournalEntry) -> TypedEntry:
    """A draft as the form shows it: amounts in each line's own currency."""
    base = visitor.organization.base_currency
    lines = []
    for line in entries.lines_of(session, entry.id):
        amount = format_minor(abs(line.amount_currency), line.currency)
        lines.append(
            {
                "account": accounts.get(session, line.account_id).code,
                "label": line.label or "",
                "debit": amount if line.amount_currency > 0 else "",
                "credit": amount if line.amount_currency < 0 else "",
                "currency": "" if line.currency == base else line.currency,
            }
        )
    typed = TypedEntry(
        journal=str(entry.journal_id),
        date=entry.date.isoformat(),
        reference=entry.reference or "",
        description=entry.description or "",
        lines=lines,
    )
    _edit_lines(typed, add=False, remove=None)
    return typed


@router.get("/accounting/entries/{entry_id}")
def entry_detail(request: Request, entry_id: str, visitor: CurrentVisitor, session: Db) -> Response:
    visitor.require("entries:read")
    return _entry_page(request, visitor, session, entries.get(session, parse_id(entry_id)))


def _editable(session: Db, entry_id: str) -> JournalEntry:
    entry = entries.get(session, parse_id(entry_id))
    if entry.status != "draft":
        raise Conflict("This entry is posted; reverse it instead.", code="entry_posted")
    return entry


@router.get("/accounting/entries/{entry_id}/edit")
def edit_entry_page(
    request: Request, entry_id: str, visitor: CurrentVisitor, session: Db
) -> Response:
    visitor.require("entries:write")
    entry = _editable(session, entry_id)
    typed = _stored_entry(session, visitor, entry)
    return _entry_form_page(request, visitor, session, typed, FormState(typed.values()), entry)


@router.post("/accounting/entries/{entry_id}/edit")
def save_entry(
    request: Request,
    entry_id: str,
    visitor: CurrentVisitor,
    session: Db,
    typed: TypedEntryForm,
) -> Response:
    visitor.require("entries:write")
    return _save_entry(request, visitor, session, typed, entries.get(session, parse_id(entry_id)))


@router.post("/accounting/entries/{entry_id}/post")
def post_entry(request: Request, entry_id: str, visitor: CurrentVisitor, session: Db) -> Response:
    visitor.require("entries:write")
    entry = entries.get(session, parse_id(entry_id))
    try:
        entries.post(session, entry.id, actor_id=visitor.user.id)
    except DomainError as exc:
        state = failed_form(session, exc, {})
        return _entry_page(
            request, visitor, session, entry, alert=state.alert, status_code=state.status
        )
    return redirect(f"/accounting/entries/{entry.id}?notice=posted")


@router.post("/accounting/entries/{entry_id}/delete")
def delete_entry(request: Request, entry_id: str, visitor: CurrentVisitor, session: Db) -> Response:
    visitor.require("entries:write")
    entry = entries.get(session, parse_id(entry_id))
    try:
        entries.delete_draft(session, entry.id)
    except DomainError as exc:
        discard(session, exc)
        return _entry_page(
            request, visitor, session, entry, alert=exc.detail, status_code=exc.status
        )
    return redirect("/accounting/entries?notice=deleted")


class ReverseForm(BaseModel):
    date: str = ""


@router.post("/accounting/entries/{entry_id}/reverse")
def reverse_entry(
    request: Request,
    entry_id: str,
    visitor: CurrentVisitor,
    session: Db,
    form: Annotated[ReverseForm, Form()],
) -> Response:
    visitor.require("entries:write")
    entry = entries.get(session, parse_id(entry_id))
    on = _day(form.date)
    try:
        if on is None:
            raise ValidationFailed.single("date", "Choose the date of the reversal.")
        reversal = entries.reverse(session, entry.id, on, actor_id=visitor.user.id)
    except DomainError as exc:
        state = failed_form(session, exc, form.model_dump())
        return _entry_page(
            request,
            visitor,
            session,
            entry,
            alert=state.alert,
            reverse_form=state,
            status_code=state.status,
        )
    return redirect(f"/accounting/entries/{reversal.id}?notice=reversed")


# -- reports -----------------------------------------------------------------------------


@dataclass
class Period:
    """The dates of a report: the current fiscal year to today unless the visitor chose;
    a start date cleared on purpose means "since the first entry"."""

    date_from: date | None
    date_to: date
    form: FormState


def _period(
    request: Request, visitor: Visitor, date_from: str, date_to: str, extra: dict[str, str]
) -> Period:
    start: date | None = _fiscal_year(visitor)[0]
    end = _today(visitor)
    errors: dict[str, str] = {}
    if "date_from" in request.query_params:
        start = _day(date_from)
        if date_from.strip() and start is None:
            errors["date_from"] = "Use a date like 2026-01-31."
    if date_to.strip():
        parsed = _day(date_to)
        if parsed is None:
            errors["date_to"] = "Use a date like 2026-12-31."
        else:
            end = parsed
    values = {
        "date_from": date_from if "date_from" in errors else (start.isoformat() if start else ""),
        "date_to": date_to if "date_to" in errors else end.isoformat(),
        **extra,
    }
    return Period(start, end, FormState(values, errors, status=422 if errors else 200))


def _report_failed(period: Period, exc: ValidationFailed) -> None:
    for error in exc.errors:
        period.form.errors.setdefault(error.field, error.message)
    period.form.status = 422


def _trial_balance(
    request: Request,
    visitor: Visitor,
    session: Db,
    date_from: str,
    date_to: str,
    account_from: str,
    account_to: str,
    hide_zero: bool,
) -> tuple[Period, reports.TrialBalance | None]:
    extra = {
        "account_from": account_from.strip(),
        "account_to": account_to.strip(),
        "hide_zero": "on" if hide_zero else "",
    }
    period = _period(request, visitor, date_from, date_to, extra)
    if period.form.errors:
        return period, None
    try:
        balance = reports.trial_balance(
            session,
            date_from=period.date_from,
            date_to=period.date_to,
            code_from=extra["account_from"] or None,
            code_to=extra["account_to"] or None,
            hide_zero=hide_zero,
        )
    except ValidationFailed as exc:
        _report_failed(period, exc)
        return period, None
    return period, balance


def _query(values: Mapping[str, str], **more: str) -> str:
    return urlencode({key: value for key, value in {**values, **more}.items() if value})


@router.get("/accounting/trial-balance")
def trial_balance_page(
    request: Request,
    visitor: CurrentVisitor,
    session: Db,
    date_from: Annotated[str, Query(max_length=10)] = "",
    date_to: Annotated[str, Query(max_length=10)] = "",
    account_from: Annotated[str, Query(max_length=20)] = "",
    account_to: Annotated[str, Query(max_length=20)] = "",
    hide_zero: bool = False,
) -> Response:
    visitor.require("reports:read")
    period, balance = _trial_balance(
        request, visitor, session, date_from, date_to, account_from, account_to, hide_zero
    )
    dates = {
        "date_from": period.form.value("date_from"),
        "date_to": period.form.value("date_to"),
    }
    return _page(
        request,
        visitor,
        "ledger/trial_balance.html",
        {
            "form": period.form,
            "balance": balance,
            "split": reports.split,
            # Cleared on purpose, the start date travels empty: "since the first entry".
            "ledger_query": urlencode(dates),
            "download_query": _query(period.form.values)
            + ("&date_from=" if not dates["date_from"] else ""),
        },
        nav="trial_balance",
        status_code=period.form.status,
    )


@router.get("/accounting/trial-balance/download")
def trial_balance_download(
    request: Request,
    visitor: CurrentVisitor,
    session: Db,
    fmt: Annotated[Literal["csv", "xlsx"], Query(alias="format")] = "csv",
    date_from: Annotated[str, Query(max_length=10)] = "",
    date_to: Annotated[str, Query(max_length=10)] = "",
    account_from: Annotated[str, Query(max_length=20)] = "",
    account_to: Annotated[str, Query(max_length=20)] = "",
    hide_zero: bool = False,
) -> Response:
    visitor.require("reports:read")
    period, balance = _trial_balance(
        request, visitor, session, date_from, date_to, account_from, account_to, hide_zero
    )
    if balance is None:
        raise ValidationFailed([FieldError(k, v) for k, v in period.form.errors.items()])
    return _download(exports.trial_balance_table(balance), fmt)


MATCHED_CHOICES = {"matched": True, "open": False}


@dataclass(frozen=True)
class LedgerRequest:
    period: Period
    account: Account | None
    filters: reports.LedgerFilter


def _ledger_request(
    request: Request,
    visitor: Visitor,
    session: Db,
    account: str,
    date_from: str,
    date_to: str,
    journal: str,
    matched: str,
) -> LedgerRequest:
    every_journal = {str(j.id): j for j in journals.list_journals(session, include_archived=True)}
    chosen = every_journal.get(journal)
    extra = {
        "account": account.strip(),
        "journal": journal if chosen else "",
        "matched": matched if matched in MATCHED_CHOICES else "",
    }
    period = _period(request, visitor, date_from, date_to, extra)
    found = None
    if extra["account"]:
        try:
            found = accounts.resolve(session, _account_reference(account))
        except ValidationFailed as exc:
            _report_failed(period, exc)
    return LedgerRequest(
        period,
        found,
        reports.LedgerFilter(
            journal_id=chosen.id if chosen else None, matched=MATCHED_CHOICES.get(matched)
        ),
    )


@dataclass(frozen=True)
class LedgerRow:
    line: reports.LedgerLine
    number: str | None


@router.get("/accounting/general-ledger")
def general_ledger_page(
    request: Request,
    visitor: CurrentVisitor,
    session: Db,
    account: Annotated[str, Query(max_length=250)] = "",
    date_from: Annotated[str, Query(max_length=10)] = "",
    date_to: Annotated[str, Query(max_length=10)] = "",
    journal: Annotated[str, Query(max_length=40)] = "",
    matched: Annotated[str, Query(max_length=10)] = "",
    cursor: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    visitor.require("reports:read")
    asked = _ledger_request(
        request, visitor, session, account, date_from, date_to, journal, matched
    )
    period = asked.period
    ledger = None
    rows: list[LedgerRow] = []
    if asked.account is not None and not period.form.errors:
        try:
            ledger = reports.general_ledger(
                session,
                asked.account.id,
                date_from=period.date_from,
                date_to=period.date_to,
                filters=asked.filters,
                limit=LEDGER_PAGE_SIZE,
                cursor=cursor,
            )
        except ValidationFailed as exc:
            _report_failed(period, exc)
    if ledger is not None:
        rows.extend(LedgerRow(line, line.display_number) for line in ledger.lines)
    values = dict(period.form.values)
    if asked.account is not None:
        values["account"] = asked.account.code
    # Cleared on purpose, the start date travels empty: "since the first entry".
    since_start = "" if values["date_from"] else "&date_from="
    first = rows[0].line if rows else None
    return _page(
        request,
        visitor,
        "ledger/general_ledger.html",
        {
            "form": period.form,
            "account": asked.account,
            "report": ledger,
            "rows": rows,
            "first_page": cursor is None,
            "carried": first.balance - first.debit + first.credit if first else 0,
            "journal_options": [
                (str(j.id), f"{j.code} · {j.name}")
                for j in journals.list_journals(session, include_archived=True)
            ],
            "postable": _account_options(session, postable=True),
            "first_url": "/accounting/general-ledger?" + _query(values) + since_start,
            "next_url": "/accounting/general-ledger?"
            + _query(values, cursor=ledger.next_cursor)
            + since_start
            if ledger is not None and ledger.next_cursor
            else None,
            "download_query": _query(values) + since_start,
        },
        nav="general_ledger",
        status_code=period.form.status,
    )


@router.get("/accounting/general-ledger/download")
def general_ledger_download(
    request: Request,
    visitor: CurrentVisitor,
    session: Db,
    fmt: Annotated[Literal["csv", "xlsx"], Query(alias="format")] = "csv",
    account: Annotated[str, Query(max_length=250)] = "",
    date_from: Annotated[str, Query(max_length=10)] = "",
    date_to: Annotated[str, Query(max_length=10)] = "",
    journal: Annotated[str, Query(max_length=40)] = "",
    matched: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    visitor.require("reports:read")
    asked = _ledger_request(
        request, visitor, session, account, date_from, date_to, journal, matched
    )
    if asked.period.form.errors or asked.account is None:
        errors = asked.period.form.errors or {"account": "Choose an account."}
        raise ValidationFailed([FieldError(k, v) for k, v in errors.items()])
    table = exports.general_ledger_table(
        session,
        asked.account.id,
        date_from=asked.period.date_from,
        date_to=asked.period.date_to,
        filters=asked.filters,
    )
    return _download(table, fmt)


# -- journals ----------------------------------------------------------------------------


class JournalForm(BaseModel):
    code: str = ""
    name: str = ""
    type: str = ""
    default_debit_account: str = ""
    default_credit_account: str = ""


def _journal_values(form: JournalForm) -> dict[str, Any]:
    return {
        "code": form.code,
        "name": form.name,
        "type": form.type,
        "default_debit_account": _account_reference(form.default_debit_account) or None,
        "default_credit_account": _account_reference(form.default_credit_account) or None,
    }


@router.get("/accounting/journals")
def journals_page(
    request: Request, visitor: CurrentVisitor, session: Db, archived: bool = False
) -> Response:
    visitor.require("journals:read")
    chart = {
        a.id: a
        for a in accounts.list_accounts(session, accounts.AccountFilter(include_archived=True))
    }
    return _page(
        request,
        visitor,
        "ledger/journals.html",
        {
            "journals": journals.list_journals(session, include_archived=archived),
            "chart": chart,
            "archived": archived,
            "notice": notice(request, JOURNAL_NOTICES),
        },
        nav="journals",
    )


def _journal_form_page(
    request: Request,
    visitor: Visitor,
    session: Db,
    form: FormState,
    journal: Journal | None = None,
) -> Response:
    return _page(
        request,
        visitor,
        "ledger/journal_form.html",
        {
            "form": form,
            "journal": journal,
            "type_options": list(JOURNAL_TYPE_LABELS.items()),
            "postable": _account_options(session, postable=True),
        },
        nav="journals",
        status_code=form.status,
    )


@router.get("/accounting/journals/new")
def new_journal_page(request: Request, visitor: CurrentVisitor, session: Db) -> Response:
    visitor.require("journals:write")
    form = FormState({**JournalForm().model_dump(), "type": "general"})
    return _journal_form_page(request, visitor, session, form)


@router.post("/accounting/journals/new")
def create_journal(
    request: Request, visitor: CurrentVisitor, session: Db, form: Annotated[JournalForm, Form()]
) -> Response:
    visitor.require("journals:write")
    try:
        journals.create(session, _journal_values(form))
    except DomainError as exc:
        state = _explain_choices(failed_form(session, exc, form.model_dump()))
        return _journal_form_page(request, visitor, session, state)
    return redirect("/accounting/journals?notice=created")


@router.get("/accounting/journals/{journal_id}/edit")
def edit_journal_page(
    request: Request, journal_id: str, visitor: CurrentVisitor, session: Db
) -> Response:
    visitor.require("journals:write")
    journal = journals.get(session, parse_id(journal_id))

    def code_of(account_id: uuid.UUID | None) -> str:
        return accounts.get(session, account_id).code if account_id else ""

    form = FormState(
        {
            "code": journal.code,
            "name": journal.name,
            "type": journal.type,
            "default_debit_account": code_of(journal.default_debit_account_id),
            "default_credit_account": code_of(journal.default_credit_account_id),
        }
    )
    return _journal_form_page(request, visitor, session, form, journal)


@router.post("/accounting/journals/{journal_id}/edit")
def save_journal(
    request: Request,
    journal_id: str,
    visitor: CurrentVisitor,
    session: Db,
    form: Annotated[JournalForm, Form()],
) -> Response:
    visitor.require("journals:write")
    journal = journals.get(session, parse_id(journal_id))
    try:
        journals.update(session, journal.id, _journal_values(form))
    except DomainError as exc:
        state = _explain_choices(failed_form(session, exc, form.model_dump()))
        return _journal_form_page(request, visitor, session, state, journal)
    return redirect("/accounting/journals?notice=saved")


@router.post("/accounting/journals/{journal_id}/archive")
def archive_journal(journal_id: str, visitor: CurrentVisitor, session: Db) -> Response:
    visitor.require("journals:write")
    journals.archive(session, parse_id(journal_id), True)
    return redirect("/accounting/journals?notice=archived")


@router.post("/accounting/journals/{journal_id}/restore")
def restore_journal(journal_id: str, visitor: CurrentVisitor, session: Db) -> Response:
    visitor.require("journals:write")
    journals.archive(session, parse_id(journal_id), False)
    return redirect("/accounting/journals?archived=true&notice=restored")


# -- exchange rates ----------------------------------------------------------------------


class RateForm(BaseModel):
    base: str = ""
    quote: str = ""
    date: str = ""
    rate: str = ""


def _rates_page(
    request: Request,
    visitor: Visitor,
    session: Db,
    *,
    add_form: FormState | None = None,
    import_form: FormState | None = None,
    import_errors: list[RowError] | None = None,
    status_code: int = 200,
) -> Response:
    params = request.query_params if request.method == "GET" else {}
    filters = FormState(
        {name: params.get(name, "").strip() for name in ("base", "quote", "date_from", "date_to")}
    )
    for name in ("date_from", "date_to"):
        if filters.value(name) and _day(filters.value(name)) is None:
            filters.errors[name] = "Use a date like 2026-01-31."
    found = rates.list_rates(
        session,
        rates.RateFilter(
            base=filters.value("base").upper() or None,
            quote=filters.value("quote").upper() or None,
            date_from=_day(filters.value("date_from")),
            date_to=_day(filters.value("date_to")),
        ),
        limit=200,
    ).items
    return _page(
        request,
        visitor,
        "ledger/exchange_rates.html",
        {
            "rates": found,
            "filters": filters,
            "filtered": any(filters.values.values()),
            "add_form": add_form
            or FormState(
                {
                    "base": visitor.organization.base_currency,
                    "quote": "",
                    "date": _today(visitor).isoformat(),
                    "rate": "",
                }
            ),
            "import_form": import_form or FormState({"format": "csv", "file": ""}),
            "import_errors": import_errors or [],
            "currency_options": [(code, code) for code in sorted(currency_codes())],
            "notice": notice(request, RATE_NOTICES),
        },
        nav="exchange_rates",
        status_code=status_code,
    )


@router.get("/accounting/exchange-rates")
def exchange_rates_page(request: Request, visitor: CurrentVisitor, session: Db) -> Response:
    visitor.require("currencies:read")
    return _rates_page(request, visitor, session)


@router.post("/accounting/exchange-rates")
def add_rate(
    request: Request, visitor: CurrentVisitor, session: Db, form: Annotated[RateForm, Form()]
) -> Response:
    visitor.require("currencies:write")
    on = _day(form.date)
    try:
        if on is None:
            raise ValidationFailed.single("date", "Choose the day of the rate.")
        rates.set_rate(session, form.base, form.quote, on, _amount_text(form.rate))
    except DomainError as exc:
        state = failed_form(session, exc, form.model_dump())
        return _rates_page(request, visitor, session, add_form=state, status_code=state.status)
    return redirect("/accounting/exchange-rates?notice=added")


@router.post("/accounting/exchange-rates/import")
def import_rates(
    request: Request, visitor: CurrentVisitor, session: Db, form: PostedForm
) -> Response:
    visitor.require("currencies:write")
    kind = _text_of(form.get("format"))
    values = {"format": kind if kind in ("csv", "ecb") else "csv", "file": ""}
    try:
        text = _uploaded_text(form.get("file"))
        if text is None:
            raise ValidationFailed.single("file", "Choose a file to upload.")
        if values["format"] == "ecb":
            rates.import_ecb(session, text)
        else:
            rates.import_csv(session, text)
    except DomainError as exc:
        state, report = _import_failed(session, exc, values)
        return _rates_page(
            request,
            visitor,
            session,
            import_form=state,
            import_errors=report,
            status_code=state.status,
        )
    return redirect("/accounting/exchange-rates?notice=imported")


@router.post("/accounting/exchange-rates/{rate_id}/delete")
def delete_rate(rate_id: str, visitor: CurrentVisitor, session: Db) -> Response:
    visitor.require("currencies:write")
    rates.delete_rate(session, parse_id(rate_id))
    return redirect("/accounting/exchange-rates?notice=deleted")


# -- settings: the books -----------------------------------------------------------------


def _opening_rows(form: FormData | None, count: int) -> list[dict[str, str]]:
    rows = []
    for index in range(count):
        rows.append(
            {
                name: _text_of(form.get(f"rows.{index}.{name}")).strip() if form else ""
                for name in OPENING_FIELDS
            }
        )
    return rows


def _books_page(
    request: Request,
    visitor: Visitor,
    session: Db,
    *,
    lock_form: FormState | None = None,
    opening_form: FormState | None = None,
    opening_rows: int = OPENING_ROWS,
    opening_errors: list[RowError] | None = None,
    import_form: FormState | None = None,
    import_errors: list[RowError] | None = None,
    import_checked: imports.ImportSummary | None = None,
    status_code: int = 200,
) -> Response:
    books = periods.settings(session)
    year_start, year_end = _fiscal_year(visitor)
    lock = books.lock_date.isoformat() if books.lock_date else ""
    return _page(
        request,
        visitor,
        "ledger/settings_books.html",
        {
            "books": books,
            "facts": organization.current(session),
            "year_start": year_start,
            "year_end": year_end,
            "lock_form": lock_form or FormState({"lock_date": lock}),
            "opening_form": opening_form
            or FormState({"date": year_start.isoformat(), "offset_to_equity": ""}),
            "opening_rows": opening_rows,
            "opening_errors": opening_errors or [],
            "import_form": import_form or FormState({"file": "", "check_only": ""}),
            "import_errors": import_errors or [],
            "import_checked": import_checked,
            "postable": _account_options(session, postable=True),
            "notice": notice(request, BOOKS_NOTICES),
            "section": "settings",
            "tab": "books",
        },
        nav="",
        status_code=status_code,
    )


@router.get("/settings/books")
def books_settings(request: Request, visitor: CurrentVisitor, session: Db) -> Response:
    visitor.require("entries:read")
    return _books_page(request, visitor, session)


@router.post("/settings/books/lock-date")
def save_lock_date(
    request: Request,
    visitor: CurrentVisitor,
    session: Db,
    lock_date: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    visitor.require("entries:write")
    on = _day(lock_date)
    if lock_date.strip() and on is None:
        state = FormState({"lock_date": lock_date}, {"lock_date": "Use a date like 2025-12-31."})
        state.status = 422
        return _books_page(request, visitor, session, lock_form=state, status_code=422)
    periods.set_lock_date(session, on)
    return redirect(f"/settings/books?notice={'lock_saved' if on else 'lock_lifted'}")


@router.post("/settings/books/opening-balances")
def import_opening_balances(
    request: Request, visitor: CurrentVisitor, session: Db, form: PostedForm
) -> Response:
    visitor.require("entries:write")
    count = min(
        max(OPENING_ROWS, sum(1 for key in form if key.endswith(".account"))), MAX_FORM_LINES
    )
    rows = _opening_rows(form, count)
    values = {
        "date": _text_of(form.get("date")).strip(),
        "offset_to_equity": "on" if form.get("offset_to_equity") else "",
    }
    for index, row in enumerate(rows):
        for name, value in row.items():
            values[f"rows.{index}.{name}"] = value
    if _text_of(form.get("action")) == "add_rows":
        more = min(count + 4, MAX_FORM_LINES)
        values.update({f"rows.{i}.{n}": "" for i in range(count, more) for n in OPENING_FIELDS})
        return _books_page(
            request, visitor, session, opening_form=FormState(values), opening_rows=more
        )
    on = _day(values["date"])
    text: str | None = None
    try:
        if on is None:
            raise ValidationFailed.single("date", "Choose the date of the opening balances.")
        text = _uploaded_text(form.get("file"))
        offset = bool(values["offset_to_equity"])
        if text is not None:
            summary = imports.opening_balances_csv(
                session, text, on, offset_to_equity=offset, actor_id=visitor.user.id
            )
        else:
            filled = [i for i, row in enumerate(rows) if row["debit"] or row["credit"]]
            summary = imports.opening_balances(
                session,
                [
                    imports.OpeningBalance(
                        _account_reference(rows[i]["account"]),
                        _amount_text(rows[i]["debit"]) or None,
                        _amount_text(rows[i]["credit"]) or None,
                    )
                    for i in filled
                ],
                on,
                offset_to_equity=offset,
                actor_id=visitor.user.id,
                rows=[i + 1 for i in filled],
            )
    except DomainError as exc:
        state, report = _import_failed(session, exc, values)
        if text is None:
            # Rows typed in the form: mark the cells the report points at.
            for error in report:
                key = f"rows.{(error.row or 0) - 1}.{error.column}"
                if key in values:
                    state.errors.setdefault(key, error.message)
        return _books_page(
            request,
            visitor,
            session,
            opening_form=state,
            opening_rows=count,
            opening_errors=report,
            status_code=state.status,
        )
    return redirect(f"/accounting/entries/{summary.entry_ids[0]}?notice=opening")


@router.post("/settings/books/journal-entries")
def import_journal_entries(
    request: Request, visitor: CurrentVisitor, session: Db, form: PostedForm
) -> Response:
    visitor.require("entries:write")
    check_only = bool(form.get("check_only"))
    values = {"file": "", "check_only": "on" if check_only else ""}
    try:
        text = _uploaded_text(form.get("file"))
        if text is None:
            raise ValidationFailed.single("file", "Choose a CSV file to import.")
        summary = imports.journal_entries_csv(
            session, text, dry_run=check_only, actor_id=visitor.user.id
        )
    except DomainError as exc:
        state, report = _import_failed(session, exc, values)
        return _books_page(
            request,
            visitor,
            session,
            import_form=state,
            import_errors=report,
            status_code=state.status,
        )
    if check_only:
        return _books_page(
            request, visitor, session, import_form=FormState(values), import_checked=summary
        )
    return redirect("/settings/books?notice=entries_imported")


# -- the dashboard's card ----------------------------------------------------------------


@dataclass(frozen=True)
class BooksCard:
    """What the dashboard shows of the books: bank and cash balances today."""

    balances: list[tuple[Account, str]]
    as_of: str


def books_card(session: Db, visitor: Visitor) -> BooksCard | None:
    if not visitor.can("accounts:read"):
        return None
    formats = _formats(visitor)
    today = _today(visitor)
    balances: list[tuple[Account, str]] = []
    if visitor.can("reports:read"):
        balances = [
            (account, formats["money"](reports.account_balance(session, account.id, today)))
            for account in _account_options(session, postable=True)
            if account.subtype in ("bank", "cash")
        ]
    return BooksCard(balances, formats["day"](today))
