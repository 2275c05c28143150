"""Ledger API: chart of accounts, journals, entries, lettering, rates, periods, reports."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Literal

from babel.numbers import get_currency_name
from fastapi import APIRouter, Body, Query, Response, status
from fastapi.responses import StreamingResponse

from comptoir.identity.service.sessions import Principal
from comptoir.kit.csvtext import decode_upload
from comptoir.kit.errors import ValidationFailed
from comptoir.kit.money import (
    currency_codes,
    format_minor,
    minor_unit_exponent,
    parse_amount,
    plain_decimal,
)
from comptoir.ledger import schemas
from comptoir.ledger.models import Account, ExchangeRate, Journal, JournalEntry, Matching
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
    revaluation,
)
from comptoir.server.deps import DbSession, require_login, require_scope
from comptoir.server.idempotency import IdempotencyGuard
from comptoir.server.openapi import XLSX, file_responses, problem_responses

router = APIRouter(prefix="/api/v1", tags=["ledger"])

AccountsReader = Annotated[Principal, require_scope("accounts:read")]
AccountsWriter = Annotated[Principal, require_scope("accounts:write")]
JournalsReader = Annotated[Principal, require_scope("journals:read")]
JournalsWriter = Annotated[Principal, require_scope("journals:write")]
EntriesReader = Annotated[Principal, require_scope("entries:read")]
EntriesWriter = Annotated[Principal, require_scope("entries:write")]
RatesReader = Annotated[Principal, require_scope("currencies:read")]
RatesWriter = Annotated[Principal, require_scope("currencies:write")]
ReportsReader = Annotated[Principal, require_scope("reports:read")]
Format = Literal["json", "csv", "xlsx"]


def account_out(account: Account) -> schemas.AccountOut:
    return schemas.AccountOut(
        id=account.id,
        code=account.code,
        name=account.name,
        type=account.type,
        subtype=account.subtype,
        parent_id=account.parent_id,
        is_group=account.is_group,
        reconcilable=account.reconcilable,
        currency=account.currency,
        archived=account.archived_at is not None,
        created_at=account.created_at,
    )


@router.get("/accounts", summary="The chart of accounts", tags=["accounts"])
def list_accounts(
    principal: AccountsReader,
    session: DbSession,
    search: Annotated[
        str | None, Query(max_length=100, description="Code prefix or part of the name")
    ] = None,
    type: Annotated[schemas.AccountType | None, Query()] = None,
    include_archived: bool = False,
    postable: Annotated[bool, Query(description="Only accounts lines can post to")] = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 1000,
    cursor: Annotated[
        str | None, Query(max_length=20, description="Code of the last account seen")
    ] = None,
) -> schemas.AccountPage:
    """In code order. Charts rarely exceed a few hundred accounts; page with `cursor`."""
    found = accounts.list_accounts(
        session, accounts.AccountFilter(search, type, include_archived, postable)
    )
    if cursor:
        found = [a for a in found if a.code > cursor]
    page = found[:limit]
    return schemas.AccountPage(
        items=[account_out(a) for a in page],
        next_cursor=page[-1].code if len(found) > limit else None,
    )


@router.post(
    "/accounts", status_code=status.HTTP_201_CREATED, summary="Add an account", tags=["accounts"]
)
def create_account(
    body: schemas.AccountCreate, principal: AccountsWriter, session: DbSession
) -> schemas.AccountOut:
    """A new account of the chart, under a parent group account or at the top. 422 when
    the code is taken (`duplicate`) or malformed, or the type is unknown."""
    return account_out(accounts.create(session, body.model_dump()))


@router.get("/accounts/{account_id}", summary="One account", tags=["accounts"])
def get_account(
    account_id: uuid.UUID, principal: AccountsReader, session: DbSession
) -> schemas.AccountOut:
    """Its code, name, type, parent, currency and whether it is archived. 404 for an
    unknown id or another organization's."""
    return account_out(accounts.get(session, account_id))


@router.patch("/accounts/{account_id}", summary="Edit an account", tags=["accounts"])
def update_account(
    account_id: uuid.UUID,
    body: schemas.AccountUpdate,
    principal: AccountsWriter,
    session: DbSession,
) -> schemas.AccountOut:
    """Type, heading flag and currency are fixed once the account has postings (409)."""
    return account_out(accounts.update(session, account_id, body.model_dump(exclude_unset=True)))


@router.post("/accounts/{account_id}/archive", summary="Archive an account", tags=["accounts"])
def archive_account(
    account_id: uuid.UUID, principal: AccountsWriter, session: DbSession
) -> schemas.AccountOut:
    """Archived accounts keep their history but take no new postings."""
    return account_out(accounts.archive(session, account_id, True))


@router.post(
    "/accounts/{account_id}/restore", summary="Bring an archived account back", tags=["accounts"]
)
def restore_account(
    account_id: uuid.UUID, principal: AccountsWriter, session: DbSession
) -> schemas.AccountOut:
    """Undoes an archive: the account can take postings again."""
    return account_out(accounts.archive(session, account_id, False))


@router.delete(
    "/accounts/{account_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete an account",
    tags=["accounts"],
)
def delete_account(
    account_id: uuid.UUID, principal: AccountsWriter, session: DbSession
) -> Response:
    """Only an unused account; one with postings answers 409 `account_in_use` (archive it)."""
    accounts.delete(session, account_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/accounts/{account_id}/balance", summary="Balance of an account on a date", tags=["accounts"]
)
def account_balance(
    account_id: uuid.UUID, principal: ReportsReader, session: DbSession, as_of: date
) -> schemas.BalanceOut:
    """Debits less credits of the posted lines dated on or before `as_of`, in the base
    currency, as a decimal string."""
    account = accounts.get(session, account_id)
    base = organization.current(session).base_currency
    return schemas.BalanceOut(
        account_id=account.id,
        as_of=as_of,
        currency=base,
        balance=format_minor(reports.account_balance(session, account.id, as_of), base),
    )


def journal_out(journal: Journal) -> schemas.JournalOut:
    return schemas.JournalOut(
        id=journal.id,
        code=journal.code,
        name=journal.name,
        type=journal.type,
        default_debit_account_id=journal.default_debit_account_id,
        default_credit_account_id=journal.default_credit_account_id,
        archived=journal.archived_at is not None,
    )


@router.get("/journals", summary="Journals", tags=["journals"])
def list_journals(
    principal: JournalsReader, session: DbSession, include_archived: bool = False
) -> list[schemas.JournalOut]:
    """Every journal (sales, purchases, bank, general...) by code; archived ones only with
    `include_archived=true`. A short fixed list: no pagination."""
    return [
        journal_out(j) for j in journals.list_journals(session, include_archived=include_archived)
    ]


@router.post(
    "/journals", status_code=status.HTTP_201_CREATED, summary="Add a journal", tags=["journals"]
)
def create_journal(
    body: schemas.JournalCreate, principal: JournalsWriter, session: DbSession
) -> schemas.JournalOut:
    """A new journal with its own gap-free entry numbering per fiscal year. 422 when the
    code is taken or the type unknown."""
    return journal_out(journals.create(session, body.model_dump()))


@router.get("/journals/{journal_id}", summary="One journal", tags=["journals"])
def get_journal(
    journal_id: uuid.UUID, principal: JournalsReader, session: DbSession
) -> schemas.JournalOut:
    """Its code, name, type and default debit and credit accounts. 404 for an unknown id
    or another organization's."""
    return journal_out(journals.get(session, journal_id))


@router.patch("/journals/{journal_id}", summary="Edit a journal", tags=["journals"])
def update_journal(
    journal_id: uuid.UUID,
    body: schemas.JournalUpdate,
    principal: JournalsWriter,
    session: DbSession,
) -> schemas.JournalOut:
    """The code (the FEC JournalCode) is fixed once an entry is numbered in the journal."""
    values = body.model_dump(exclude_unset=True)
    archived = values.pop("archived", None)
    journal = journals.update(session, journal_id, values)
    if archived is not None:
        journal = journals.archive(session, journal_id, archived)
    return journal_out(journal)


def entry_out(session: DbSession, entry: JournalEntry) -> schemas.EntryOut:
    base = organization.current(session).base_currency
    journal = journals.get(session, entry.journal_id)
    lines = entries.lines_of(session, entry.id)
    codes = matching.codes_of_lines(session, [line.id for line in lines])
    debit = sum(line.debit for line in lines)
    credit = sum(line.credit for line in lines)
    reversal = entries.reversed_by(session, entry.id)
    return schemas.EntryOut(
        id=entry.id,
        journal_id=journal.id,
        journal_code=journal.code,
        date=entry.date,
        reference=entry.reference,
        description=entry.description,
        status=entry.status,
        number=entries.display_number_of(session, entry),
        base_currency=base,
        total_debit=format_minor(debit, base),
        total_credit=format_minor(credit, base),
        balanced=debit == credit,
        reversal_of_id=entry.reversal_of_id,
        reversed_by_id=reversal.id if reversal else None,
        source_type=entry.source_type,
        source_id=entry.source_id,
        created_at=entry.created_at,
        posted_at=entry.posted_at,
        lines=[
            schemas.LineOut(
                id=line.id,
                line_no=line.line_no,
                account_id=line.account_id,
                account_code=accounts.get(session, line.account_id).code,
                debit=format_minor(line.debit, base),
                credit=format_minor(line.credit, base),
                currency=line.currency,
                amount_currency=format_minor(line.amount_currency, line.currency),
                exchange_rate=plain_decimal(line.exchange_rate),
                label=line.label,
                party_id=line.party_id,
                analytic_tag=line.analytic_tag,
                matching_code=codes.get(line.id),
                tax_code=line.tax_code,
                tax_base=None if line.tax_base is None else format_minor(line.tax_base, base),
            )
            for line in lines
        ],
    )


def entry_input(body: schemas.EntryIn) -> entries.EntryInput:
    return entries.EntryInput(
        journal=body.journal,
        date=body.date,
        reference=body.reference,
        description=body.description,
        lines=[
            entries.LineInput(
                account=line.account,
                debit=line.debit,
                credit=line.credit,
                currency=line.currency,
                exchange_rate=line.exchange_rate,
                label=line.label,
                party_id=line.party_id,
                analytic_tag=line.analytic_tag,
            )
            for line in body.lines
        ],
    )


@router.get("/journal-entries", summary="Journal entries", tags=["journal entries"])
def list_entries(
    principal: EntriesReader,
    session: DbSession,
    journal: Annotated[str | None, Query(max_length=40, description="Journal code or id")] = None,
    status_filter: Annotated[Literal["draft", "posted"] | None, Query(alias="status")] = None,
    date_from: date | None = None,
    date_to: date | None = None,
    reference: Annotated[str | None, Query(max_length=100)] = None,
    account: Annotated[
        str | None, Query(max_length=40, description="Entries touching this account")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
) -> schemas.EntryPage:
    """Newest first; filter by journal, status, date range, reference and an account the
    entry touches. Paginate with `next_cursor`."""
    page = entries.list_entries(
        session,
        entries.EntryFilter(
            journal_id=journals.resolve(session, journal).id if journal else None,
            status=status_filter,
            date_from=date_from,
            date_to=date_to,
            reference=reference,
            account_id=accounts.resolve(session, account).id if account else None,
        ),
        limit=limit,
        cursor=cursor,
    )
    codes = {j.id: j.code for j in journals.list_journals(session, include_archived=True)}
    return schemas.EntryPage(
        items=[
            schemas.EntrySummary(
                id=e.id,
                journal_code=codes[e.journal_id],
                date=e.date,
                reference=e.reference,
                description=e.description,
                status=e.status,
                number=entries.display_number_of(session, e),
            )
            for e in page.items
        ],
        next_cursor=page.next_cursor,
    )


@router.post(
    "/journal-entries",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.EntryOut,
    summary="Write a journal entry",
    tags=["journal entries"],
)
def create_entry(
    body: schemas.EntryIn, principal: EntriesWriter, session: DbSession, guard: IdempotencyGuard
) -> Response:
    """A draft, or with `"post": true` a posted entry. Accounts and journal may be codes:

        {"journal": "OD", "date": "2026-01-15", "reference": "R1",
         "lines": [{"account": "512", "debit": "100.00"}, {"account": "101", "credit": "100.00"}]}

    Send `Idempotency-Key` to make retries safe.
    """

    def produce() -> schemas.EntryOut:
        data = entry_input(body)
        if body.post:
            entry = entries.record(session, data, actor_id=principal.user_id)
        else:
            entry = entries.create_draft(session, data, actor_id=principal.user_id)
        return entry_out(session, entry)

    return guard.run(principal, body, produce, status_code=status.HTTP_201_CREATED)


@router.get("/journal-entries/{entry_id}", summary="One journal entry", tags=["journal entries"])
def get_entry(
    entry_id: uuid.UUID, principal: EntriesReader, session: DbSession
) -> schemas.EntryOut:
    """With its lines (account, debit, credit, currency, exchange rate), number once
    posted, and status."""
    return entry_out(session, entries.get(session, entry_id))


@router.put("/journal-entries/{entry_id}", summary="Rewrite a draft", tags=["journal entries"])
def update_entry(
    entry_id: uuid.UUID, body: schemas.EntryIn, principal: EntriesWriter, session: DbSession
) -> schemas.EntryOut:
    """Drafts only (409 `entry_posted` otherwise); `post: true` posts it after saving."""
    entry = entries.update_draft(session, entry_id, entry_input(body))
    if body.post:
        entry = entries.post(session, entry.id, actor_id=principal.user_id)
    return entry_out(session, entry)


@router.delete(
    "/journal-entries/{entry_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a draft",
    tags=["journal entries"],
)
def delete_entry(entry_id: uuid.UUID, principal: EntriesWriter, session: DbSession) -> Response:
    """Drafts only: a posted entry is never deleted (409 `entry_posted`); reverse it
    instead."""
    entries.delete_draft(session, entry_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/journal-entries/{entry_id}/post",
    response_model=schemas.EntryOut,
    summary="Post a draft",
    tags=["journal entries"],
)
def post_entry(
    entry_id: uuid.UUID, principal: EntriesWriter, session: DbSession, guard: IdempotencyGuard
) -> Response:
    """Checks balance, accounts, lock date and fiscal year, then assigns the next number of
    the journal and fiscal year. 422 `unbalanced`, `period_locked`...; 409 if already posted."""
    return guard.run(
        principal,
        None,
        lambda: entry_out(session, entries.post(session, entry_id, actor_id=principal.user_id)),
    )


@router.post(
    "/journal-entries/{entry_id}/reverse",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.EntryOut,
    summary="Reverse a posted entry",
    tags=["journal entries"],
)
def reverse_entry(
    entry_id: uuid.UUID,
    body: schemas.ReverseIn,
    principal: EntriesWriter,
    session: DbSession,
    guard: IdempotencyGuard,
) -> Response:
    """Posts the mirror entry on `date` and links both; answers the reversal."""
    return guard.run(
        principal,
        body,
        lambda: entry_out(
            session,
            entries.reverse(
                session, entry_id, body.date, actor_id=principal.user_id, reference=body.reference
            ),
        ),
        status_code=status.HTTP_201_CREATED,
    )


def matching_out(session: DbSession, found: Matching) -> schemas.MatchingOut:
    base = organization.current(session).base_currency
    return schemas.MatchingOut(
        id=found.id,
        code=found.code,
        account_id=found.account_id,
        date=found.date,
        is_full=found.is_full,
        currency=base,
        lines=[
            schemas.MatchingLineOut(line_id=m.line_id, amount=format_minor(m.amount, base))
            for m in matching.lines_of(session, found.id)
        ],
    )


@router.get("/matchings", summary="Matchings (lettering)", tags=["matchings"])
def list_matchings(
    principal: EntriesReader,
    session: DbSession,
    account: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
) -> schemas.MatchingPage:
    """Groups of lines of one account that settle each other (an invoice and its
    payment), newest first, optionally for one account (code or id). Paginate with
    `next_cursor`."""
    account_id = accounts.resolve(session, account).id if account else None
    page = matching.list_matchings(session, account_id=account_id, limit=limit, cursor=cursor)
    return schemas.MatchingPage(
        items=[matching_out(session, m) for m in page.items], next_cursor=page.next_cursor
    )


@router.post(
    "/matchings",
    status_code=status.HTTP_201_CREATED,
    summary="Match lines",
    tags=["matchings"],
    responses=problem_responses(404),
)
def create_matching(
    body: schemas.MatchingIn, principal: EntriesWriter, session: DbSession
) -> schemas.MatchingOut:
    """Posted lines of one reconcilable account; when debits and credits differ, the smaller
    side is matched in full and the larger one partially (`is_full: false`)."""
    return matching_out(
        session, matching.match(session, body.line_ids, on=body.date, actor_id=principal.user_id)
    )


@router.get("/matchings/{matching_id}", summary="One matching", tags=["matchings"])
def get_matching(
    matching_id: uuid.UUID, principal: EntriesReader, session: DbSession
) -> schemas.MatchingOut:
    """Its code, account and the lines it letters. 404 for an unknown id or another
    organization's."""
    return matching_out(session, matching.get(session, matching_id))


@router.delete(
    "/matchings/{matching_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Undo a matching",
    tags=["matchings"],
)
def delete_matching(
    matching_id: uuid.UUID, principal: EntriesWriter, session: DbSession
) -> Response:
    """The lines become open items again; the entries themselves do not change."""
    matching.unmatch(session, matching_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def rate_out(rate: ExchangeRate) -> schemas.RateOut:
    return schemas.RateOut(
        id=rate.id,
        base=rate.base,
        quote=rate.quote,
        date=rate.date,
        rate=plain_decimal(rate.rate),
        source=rate.source,
    )


@router.get("/currencies", summary="ISO 4217 currencies", tags=["currencies"])
def list_currencies(
    principal: Annotated[Principal, require_login(tokens=True)],
) -> list[schemas.CurrencyOut]:
    """Every ISO 4217 currency with its English name and number of decimal digits: a
    fixed catalogue, not paginated."""
    return [
        schemas.CurrencyOut(
            code=code, name=get_currency_name(code, locale="en"), digits=minor_unit_exponent(code)
        )
        for code in sorted(currency_codes())
    ]


@router.get("/exchange-rates", summary="Exchange rates", tags=["currencies"])
def list_rates(
    principal: RatesReader,
    session: DbSession,
    base: Annotated[str | None, Query(max_length=3)] = None,
    quote: Annotated[str | None, Query(max_length=3)] = None,
    date_from: date | None = None,
    date_to: date | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> schemas.RatePage:
    """Rates stored or imported, newest first; filter by currency pair and date range.
    Paginate with `next_cursor`."""
    page = rates.list_rates(
        session, rates.RateFilter(base, quote, date_from, date_to), limit=limit, cursor=cursor
    )
    return schemas.RatePage(items=[rate_out(r) for r in page.items], next_cursor=page.next_cursor)


@router.post(
    "/exchange-rates",
    status_code=status.HTTP_201_CREATED,
    summary="Set a rate",
    tags=["currencies"],
)
def set_rate(body: schemas.RateIn, principal: RatesWriter, session: DbSession) -> schemas.RateOut:
    """Replaces the rate of the same pair and day if there is one."""
    return rate_out(rates.set_rate(session, body.base, body.quote, body.date, body.rate))


@router.delete(
    "/exchange-rates/{rate_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a rate",
    tags=["currencies"],
)
def delete_rate(rate_id: uuid.UUID, principal: RatesWriter, session: DbSession) -> Response:
    """Documents already issued keep the rate they used. 404 for an unknown id or
    another organization's."""
    rates.delete_rate(session, rate_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/exchange-rates/import", summary="Import rates from CSV", tags=["currencies"])
def import_rates(
    principal: RatesWriter,
    session: DbSession,
    file: bytes = Body(..., media_type="text/csv"),
    format: Annotated[
        Literal["csv", "ecb"], Query(description="`csv`: date,base,quote,rate; `ecb`: eurofxref")
    ] = "csv",
) -> schemas.ImportOut:
    """Send the file as the request body (`Content-Type: text/csv`). With `format=csv`, every
    row is checked first and nothing is written unless all are valid (422 lists rows)."""
    text = decode_upload(file)
    result = rates.import_csv(session, text) if format == "csv" else rates.import_ecb(session, text)
    return schemas.ImportOut(imported=result.imported)


@router.get("/exchange-rates/convert", summary="Convert an amount", tags=["currencies"])
def convert_amount(
    principal: RatesReader,
    session: DbSession,
    source: Annotated[str, Query(alias="from", max_length=3)],
    target: Annotated[str, Query(alias="to", max_length=3)],
    on: Annotated[date, Query(alias="date")],
    amount: Annotated[str, Query(max_length=40)] = "1",
) -> schemas.ConversionOut:
    """At the latest rate on or before `date`; 422 `missing_exchange_rate` when there is none."""
    source_code, target_code = source.upper(), target.upper()
    for field, code in (("from", source_code), ("to", target_code)):
        if code not in currency_codes():
            raise ValidationFailed.single(field, "Use a three-letter ISO 4217 currency code.")
    units = parse_amount(amount, source_code, "amount")
    rate = rates.find_rate(session, source_code, target_code, on, field="date")
    return schemas.ConversionOut(
        source=source_code,
        target=target_code,
        date=on,
        rate=plain_decimal(rate),
        amount=format_minor(units, source_code),
        converted=format_minor(rates.convert(units, source_code, target_code, rate), target_code),
    )


@router.get("/ledger/settings", summary="Ledger settings", tags=["periods"])
def get_settings(principal: EntriesReader, session: DbSession) -> schemas.SettingsOut:
    """The lock date (nothing posts on or before it), the chart template, the base
    currency and the month the fiscal year starts."""
    row = periods.settings(session)
    org = organization.current(session)
    return schemas.SettingsOut(
        lock_date=row.lock_date,
        chart_template=row.chart_template,
        base_currency=org.base_currency,
        fiscal_year_start_month=org.fiscal_year_start_month,
    )


@router.patch("/ledger/settings", summary="Set the lock date", tags=["periods"])
def update_settings(
    body: schemas.SettingsUpdate, principal: EntriesWriter, session: DbSession
) -> schemas.SettingsOut:
    """No entry can be posted on or before the lock date; `null` lifts it. Audited."""
    periods.set_lock_date(session, body.lock_date)
    return get_settings(principal, session)


@router.get("/fiscal-years", summary="Fiscal years", tags=["periods"])
def list_fiscal_years(principal: EntriesReader, session: DbSession) -> list[schemas.FiscalYearOut]:
    """Years appear when something is first posted in them."""
    return [
        schemas.FiscalYearOut(
            id=y.id, start_date=y.start_date, end_date=y.end_date, closed=y.closed_at is not None
        )
        for y in periods.list_fiscal_years(session)
    ]


@router.post(
    "/revaluations",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.RevaluationOut,
    summary="Revalue foreign-currency balances",
    tags=["currencies"],
)
def revalue(
    body: schemas.RevaluationIn,
    principal: EntriesWriter,
    session: DbSession,
    guard: IdempotencyGuard,
) -> Response:
    """Restates open foreign-currency balances of asset and liability accounts at the rate of
    `date`, posts the unrealized gain or loss that day and its reversal the next day."""

    def produce() -> schemas.RevaluationOut:
        entry, reversal = revaluation.revalue(session, body.date, actor_id=principal.user_id)
        return schemas.RevaluationOut(
            entry=entry_out(session, entry) if entry else None,
            reversal=entry_out(session, reversal) if reversal else None,
        )

    return guard.run(principal, body, produce, status_code=status.HTTP_201_CREATED)


def _download(table: exports.Table, fmt: Format) -> Response:
    if fmt == "csv":
        return StreamingResponse(
            exports.to_csv(table),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{table.filename}.csv"'},
        )
    return Response(
        exports.to_xlsx(table),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{table.filename}.xlsx"'},
    )


def trial_balance_out(balance: reports.TrialBalance) -> schemas.TrialBalanceOut:
    money = balance.currency
    rows = []
    for row in balance.rows:
        opening_debit, opening_credit = reports.split(row.opening)
        closing_debit, closing_credit = reports.split(row.closing)
        rows.append(
            schemas.TrialBalanceRowOut(
                account_id=row.account_id,
                code=row.code,
                name=row.name,
                type=row.type,
                opening_debit=format_minor(opening_debit, money),
                opening_credit=format_minor(opening_credit, money),
                debit=format_minor(row.debit, money),
                credit=format_minor(row.credit, money),
                closing_debit=format_minor(closing_debit, money),
                closing_credit=format_minor(closing_credit, money),
            )
        )
    return schemas.TrialBalanceOut(
        currency=money,
        date_from=balance.date_from,
        date_to=balance.date_to,
        rows=rows,
        totals={k: format_minor(v, money) for k, v in balance.totals.items()},
        balanced=balance.balanced,
    )


@router.get(
    "/reports/trial-balance",
    response_model=schemas.TrialBalanceOut,
    summary="Trial balance",
    tags=["reports"],
    responses=file_responses("text/csv", XLSX),
)
def trial_balance(
    principal: ReportsReader,
    session: DbSession,
    date_to: date,
    date_from: date | None = None,
    account_from: Annotated[
        str | None, Query(max_length=20, description="First account code")
    ] = None,
    account_to: Annotated[
        str | None, Query(max_length=20, description="Last account code (prefix)")
    ] = None,
    hide_zero: bool = False,
    format: Format = "json",
) -> Response:
    """Per account: opening balance before `date_from`, debits and credits of the period,
    closing balance, each split into debit and credit columns; totals balance.
    `format=csv|xlsx` downloads the same figures."""
    balance = reports.trial_balance(
        session,
        date_from=date_from,
        date_to=date_to,
        code_from=account_from,
        code_to=account_to,
        hide_zero=hide_zero,
    )
    if format != "json":
        return _download(exports.trial_balance_table(balance), format)
    return Response(trial_balance_out(balance).model_dump_json(), media_type="application/json")


@router.get(
    "/reports/general-ledger",
    response_model=schemas.GeneralLedgerOut,
    summary="General ledger of an account",
    tags=["reports"],
    responses=file_responses("text/csv", XLSX),
)
def general_ledger(
    principal: ReportsReader,
    session: DbSession,
    account: Annotated[str, Query(max_length=40, description="Account code or id")],
    date_to: date,
    date_from: date | None = None,
    journal: Annotated[str | None, Query(max_length=40)] = None,
    party_id: uuid.UUID | None = None,
    matched: Annotated[
        bool | None, Query(description="Only fully matched (true) or open (false) lines")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 200,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
    format: Format = "json",
) -> Response:
    """Lines in date order with a running balance, a page at a time (`next_cursor`);
    downloads (`format=csv|xlsx`) contain every line."""
    found = accounts.resolve(session, account)
    filters = reports.LedgerFilter(
        journal_id=journals.resolve(session, journal).id if journal else None,
        party_id=party_id,
        matched=matched,
    )
    if format != "json":
        return _download(
            exports.general_ledger_table(
                session, found.id, date_from=date_from, date_to=date_to, filters=filters
            ),
            format,
        )
    ledger = reports.general_ledger(
        session,
        found.id,
        date_from=date_from,
        date_to=date_to,
        filters=filters,
        limit=limit,
        cursor=cursor,
    )
    money = ledger.currency
    body = schemas.GeneralLedgerOut(
        account_id=found.id,
        account_code=found.code,
        account_name=found.name,
        currency=money,
        date_from=date_from,
        date_to=date_to,
        opening=format_minor(ledger.opening, money),
        debit=format_minor(ledger.debit, money),
        credit=format_minor(ledger.credit, money),
        closing=format_minor(ledger.closing, money),
        next_cursor=ledger.next_cursor,
        lines=[
            schemas.LedgerLineOut(
                line_id=line.line_id,
                entry_id=line.entry_id,
                date=line.date,
                journal=line.journal_code,
                number=line.number,
                entry_number=line.display_number,
                reference=line.reference,
                label=line.label,
                debit=format_minor(line.debit, money),
                credit=format_minor(line.credit, money),
                balance=format_minor(line.balance, money),
                currency=line.currency,
                amount_currency=format_minor(line.amount_currency, line.currency),
                matching_code=line.matching_code,
                party_id=line.party_id,
            )
            for line in ledger.lines
        ],
    )
    return Response(body.model_dump_json(), media_type="application/json")


@router.get("/reports/journal", summary="Journal report", tags=["reports"])
def journal_report(
    principal: ReportsReader,
    session: DbSession,
    journal: Annotated[str, Query(max_length=40)],
    date_to: date,
    date_from: date | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 200,
) -> schemas.JournalReportOut:
    """A journal's posted entries in date and number order, with their lines and totals."""
    found = journals.resolve(session, journal)
    report = reports.journal_report(
        session, found.id, date_from=date_from, date_to=date_to, limit=limit
    )
    money = organization.current(session).base_currency
    return schemas.JournalReportOut(
        journal=found.code,
        currency=money,
        date_from=date_from,
        date_to=date_to,
        debit=format_minor(report.debit, money),
        credit=format_minor(report.credit, money),
        entries=[entry_out(session, e) for e in report.entries],
    )


@router.post(
    "/imports/opening-balances",
    summary="Import opening balances",
    tags=["imports"],
    response_model=schemas.ImportSummaryOut,
)
def import_opening_balances(
    principal: EntriesWriter,
    session: DbSession,
    guard: IdempotencyGuard,
    on: Annotated[
        date, Query(alias="date", description="Usually the first day of the fiscal year")
    ],
    file: bytes = Body(..., media_type="text/csv"),
    offset_to_equity: Annotated[
        bool, Query(description="Post any difference to opening-balance equity")
    ] = False,
    dry_run: bool = False,
) -> Response:
    """CSV body with columns `account,debit,credit`. Errors carry their `row`."""
    text = decode_upload(file)

    def produce() -> schemas.ImportSummaryOut:
        summary = imports.opening_balances_csv(
            session,
            text,
            on,
            offset_to_equity=offset_to_equity,
            dry_run=dry_run,
            actor_id=principal.user_id,
        )
        return schemas.ImportSummaryOut(
            entries=summary.entries,
            lines=summary.lines,
            entry_ids=summary.entry_ids,
            dry_run=summary.dry_run,
        )

    return guard.run(
        principal,
        schemas.FileFingerprint(text=text, options=f"{on}:{offset_to_equity}:{dry_run}"),
        produce,
    )


@router.post(
    "/imports/journal-entries",
    summary="Import journal entries from CSV",
    tags=["imports"],
    response_model=schemas.ImportSummaryOut,
)
def import_journal_entries(
    principal: EntriesWriter,
    session: DbSession,
    guard: IdempotencyGuard,
    file: bytes = Body(..., media_type="text/csv"),
    dry_run: Annotated[bool, Query(description="Check only; write nothing")] = False,
) -> Response:
    """One row per line, grouped by `reference`.

    Columns `reference,date,journal,account,debit,credit`, optionally
    `label,currency,exchange_rate,description`. All entries are posted, or none (422 lists
    every problem with its `row`)."""
    text = decode_upload(file)

    def produce() -> schemas.ImportSummaryOut:
        summary = imports.journal_entries_csv(
            session, text, dry_run=dry_run, actor_id=principal.user_id
        )
        return schemas.ImportSummaryOut(
            entries=summary.entries,
            lines=summary.lines,
            entry_ids=summary.entry_ids,
            dry_run=summary.dry_run,
        )

    return guard.run(principal, schemas.FileFingerprint(text=text, options=str(dry_run)), produce)
