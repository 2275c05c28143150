"""The books keep themselves right: database triggers, invariants under any sequence of
postings (property tests), and textbook scenarios with every balance checked."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import BindParameter, Uuid, bindparam, column, func, select, text
from sqlalchemy.exc import DatabaseError

from comptoir import wiring
from comptoir.identity.service import organizations
from comptoir.kit.db import Database
from comptoir.kit.errors import ValidationFailed
from comptoir.kit.tenancy import set_organization
from comptoir.ledger.models import Account as AccountModel
from comptoir.ledger.models import JournalEntry, JournalLine
from comptoir.ledger.service import entries, reports
from comptoir.ledger.service.entries import EntryInput, LineInput
from tests.conftest import Account
from tests.ledger.helpers import balances, entry


def _uuid(name: str) -> BindParameter[uuid.UUID]:
    """A UUID parameter for raw SQL, stored the way each database stores it."""
    return bindparam(name, type_=Uuid())


@pytest.fixture
def books(database: Database) -> tuple[Database, uuid.UUID]:
    wiring.connect()
    with database.unit_of_work() as session:
        organization = organizations.create_organization(
            session, legal_name="Books SARL", country="FR", base_currency="EUR"
        )
        return database, organization.id


def _post(
    database: Database,
    organization_id: uuid.UUID,
    lines: list[LineInput],
    on: date = date(2026, 1, 15),
) -> uuid.UUID:
    with database.unit_of_work() as session:
        set_organization(session, organization_id)
        return entries.record(session, EntryInput(journal="OD", date=on, lines=lines)).id


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE journal_lines SET debit = debit + 1 WHERE entry_id IN (SELECT id FROM journal_entries WHERE status = 'posted')",
        "UPDATE journal_lines SET account_id = account_id WHERE entry_id IN (SELECT id FROM journal_entries WHERE status = 'posted')",
        "DELETE FROM journal_lines WHERE entry_id IN (SELECT id FROM journal_entries WHERE status = 'posted')",
        "UPDATE journal_entries SET reference = 'forged' WHERE status = 'posted'",
        "UPDATE journal_entries SET status = 'draft', number = NULL WHERE status = 'posted'",
        "DELETE FROM journal_entries WHERE status = 'posted'",
    ],
)
def test_raw_sql_cannot_change_posted_entries(
    books: tuple[Database, uuid.UUID], statement: str
) -> None:
    database, organization_id = books
    _post(
        database,
        organization_id,
        [LineInput("512", debit="100.00"), LineInput("101", credit="100.00")],
    )
    with pytest.raises(DatabaseError, match="immutable"), database.engine.begin() as conn:
        conn.execute(text(statement))
    with database.engine.connect() as conn:
        assert conn.execute(text("SELECT SUM(debit), SUM(credit) FROM journal_lines")).one() == (
            10000,
            10000,
        )


def test_the_database_refuses_to_post_an_unbalanced_entry(
    books: tuple[Database, uuid.UUID],
) -> None:
    database, organization_id = books
    with database.unit_of_work() as session:
        set_organization(session, organization_id)
        draft = entries.create_draft(
            session,
            EntryInput(
                journal="OD",
                date=date(2026, 1, 15),
                lines=[LineInput("512", debit="100.00"), LineInput("101", credit="90.00")],
            ),
        )
        draft_id = draft.id
    with (
        pytest.raises(DatabaseError, match="debits equal its credits"),
        database.engine.begin() as conn,
    ):
        conn.execute(
            text(
                "UPDATE journal_entries SET status = 'posted', number = 1 WHERE id = :id"
            ).bindparams(_uuid("id")),
            {"id": draft_id},
        )
    with pytest.raises(DatabaseError), database.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO journal_entries (id, organization_id, journal_id, date, status, number, created_at) "
                "SELECT :id, organization_id, journal_id, date, 'posted', 99, created_at FROM journal_entries WHERE id = :draft"
            ).bindparams(_uuid("id"), _uuid("draft")),
            {"id": uuid.uuid4(), "draft": draft_id},
        )


def test_lines_cannot_join_a_posted_entry(books: tuple[Database, uuid.UUID]) -> None:
    database, organization_id = books
    posted = _post(
        database, organization_id, [LineInput("512", debit="1.00"), LineInput("101", credit="1.00")]
    )
    with pytest.raises(DatabaseError, match="immutable"), database.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO journal_lines (id, organization_id, entry_id, line_no, account_id, debit, credit, currency, "
                "amount_currency, exchange_rate, date, journal_id) "
                "SELECT :id, organization_id, entry_id, 9, account_id, 5, 0, currency, 5, exchange_rate, date, journal_id "
                "FROM journal_lines WHERE entry_id = :entry LIMIT 1"
            ).bindparams(_uuid("id"), _uuid("entry")),
            {"id": uuid.uuid4(), "entry": posted},
        )


ACCOUNTS = ["101", "401", "411", "44566", "44571", "512", "530", "607", "641", "706"]
amounts = st.integers(min_value=1, max_value=10**9)
balanced_lines = st.lists(
    st.tuples(st.sampled_from(ACCOUNTS), amounts), min_size=1, max_size=4
).flatmap(
    lambda debits: st.lists(st.sampled_from(ACCOUNTS), min_size=1, max_size=3).map(
        lambda credit_accounts: (debits, credit_accounts)
    )
)


def _split(total: int, parts: int) -> list[int]:
    share, rest = divmod(total, parts)
    return [share + (1 if i < rest else 0) for i in range(parts)]


operations = st.lists(
    st.one_of(
        st.tuples(st.just("post"), balanced_lines),
        st.tuples(st.just("reverse"), st.integers(min_value=0, max_value=50)),
        st.tuples(
            st.just("unbalanced"),
            st.tuples(
                st.sampled_from(ACCOUNTS), amounts, st.integers(min_value=1, max_value=10**6)
            ),
        ),
    ),
    min_size=1,
    max_size=12,
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=operations)
def test_any_sequence_of_postings_keeps_the_books_balanced(
    books: tuple[Database, uuid.UUID], ops: list
) -> None:
    database, organization_id = books
    posted: list[uuid.UUID] = []
    for kind, payload in ops:
        with database.unit_of_work() as session:
            set_organization(session, organization_id)
            if kind == "post":
                debits, credit_accounts = payload
                total = sum(amount for _, amount in debits)
                lines = [
                    LineInput(code, debit=str(Decimal(amount) / 100)) for code, amount in debits
                ]
                lines += [
                    LineInput(code, credit=str(Decimal(share) / 100))
                    for code, share in zip(
                        credit_accounts, _split(total, len(credit_accounts)), strict=True
                    )
                    if share
                ]
                if len(lines) >= 2:
                    posted.append(
                        entries.record(
                            session, EntryInput(journal="OD", date=date(2026, 1, 15), lines=lines)
                        ).id
                    )
            elif kind == "reverse" and posted:
                target = posted[payload % len(posted)]
                if (
                    entries.reversed_by(session, target) is None
                    and session.get(JournalEntry, target).reversal_of_id is None
                ):
                    entries.reverse(session, target, date(2026, 2, 1))
            elif kind == "unbalanced":
                code, amount, gap = payload
                before = session.scalar(select(func.count()).select_from(JournalEntry))
                with pytest.raises(ValidationFailed):
                    entries.record(
                        session,
                        EntryInput(
                            journal="OD",
                            date=date(2026, 1, 15),
                            lines=[
                                LineInput(code, debit=str(Decimal(amount) / 100)),
                                LineInput("101", credit=str(Decimal(amount + gap) / 100)),
                            ],
                        ),
                    )
                assert session.scalar(select(func.count()).select_from(JournalEntry)) == before
        with database.unit_of_work(write=False) as session:
            set_organization(session, organization_id)
            balance = reports.trial_balance(
                session, date_from=date(2026, 1, 1), date_to=date(2026, 12, 31)
            )
            assert balance.balanced
            assert sum(row.closing for row in balance.rows) == 0
            assert session.scalar(
                select(func.sum(JournalLine.debit - JournalLine.credit)).where(
                    reports.posted_lines()
                )
            ) in (0, None)


def test_textbook_year(client: TestClient, owner: Account) -> None:
    """Capital, a sale on credit with VAT, a purchase, both settled, a sale in dollars paid
    when the dollar had risen: every account's balance is what the textbook says."""
    entry(
        client,
        owner,
        [("512", "debit", "10000.00"), ("101", "credit", "10000.00")],
        journal="BQ",
        on="2026-01-02",
    )
    entry(
        client,
        owner,
        [("411", "debit", "1200.00"), ("706", "credit", "1000.00"), ("44571", "credit", "200.00")],
        journal="VT",
        on="2026-01-10",
    )
    entry(
        client,
        owner,
        [("607", "debit", "500.00"), ("44566", "debit", "100.00"), ("401", "credit", "600.00")],
        journal="AC",
        on="2026-01-12",
    )
    entry(
        client,
        owner,
        [("512", "debit", "1200.00"), ("411", "credit", "1200.00")],
        journal="BQ",
        on="2026-02-10",
    )
    entry(
        client,
        owner,
        [("401", "debit", "600.00"), ("512", "credit", "600.00")],
        journal="BQ",
        on="2026-02-12",
    )
    for day, rate in (("2026-03-01", "1.10"), ("2026-04-01", "1.00")):
        client.post(
            "/api/v1/exchange-rates",
            headers=owner.headers,
            json={"base": "EUR", "quote": "USD", "date": day, "rate": rate},
        )
    entry(
        client,
        owner,
        [{"account": "411", "debit": "1100.00", "currency": "USD"}, ("706", "credit", "1000.00")],
        journal="VT",
        on="2026-03-05",
    )
    entry(
        client,
        owner,
        [
            {"account": "512", "debit": "1100.00"},
            {
                "account": "411",
                "credit": "1100.00",
                "currency": "USD",
                "exchange_rate": "0.909090909091",
            },
            ("766", "credit", "100.00"),
        ],
        journal="BQ",
        on="2026-04-03",
    )
    assert balances(client, owner) == {
        "101": Decimal("-10000.00"),
        "401": 0,
        "411": 0,
        "44566": Decimal("100.00"),
        "44571": Decimal("-200.00"),
        "512": Decimal("11700.00"),
        "607": Decimal("500.00"),
        "706": Decimal("-2000.00"),
        "766": Decimal("-100.00"),
    }
    report = client.get(
        "/api/v1/reports/trial-balance?date_to=2026-12-31", headers=owner.headers
    ).json()
    assert report["balanced"] is True
    # 10,000 + 1,200 + 600 + 1,200 + 600 + 1,000 + 1,100 posted to debit sides.
    assert report["totals"]["debit"] == report["totals"]["credit"] == "15700.00"


def test_year_end_revaluation_of_a_dollar_receivable(client: TestClient, owner: Account) -> None:
    client.post(
        "/api/v1/exchange-rates",
        headers=owner.headers,
        json={"base": "EUR", "quote": "USD", "date": "2026-11-01", "rate": "1.25"},
    )
    entry(
        client,
        owner,
        [{"account": "411", "debit": "1000.00", "currency": "USD"}, ("706", "credit", "800.00")],
        journal="VT",
        on="2026-11-15",
    )
    client.post(
        "/api/v1/exchange-rates",
        headers=owner.headers,
        json={"base": "EUR", "quote": "USD", "date": "2026-12-31", "rate": "1.00"},
    )
    response = client.post(
        "/api/v1/revaluations", headers=owner.headers, json={"date": "2026-12-31"}
    )
    assert response.status_code == 201, response.text
    result = response.json()
    assert result["entry"]["date"] == "2026-12-31" and result["reversal"]["date"] == "2027-01-01"
    # 1,000 USD booked at 800 EUR is worth 1,000 EUR at year end: a 200 EUR unrealized gain (PCG 477).
    assert balances(client, owner, date_to="2026-12-31") == {
        "411": Decimal("1000.00"),
        "477": Decimal("-200.00"),
        "706": Decimal("-800.00"),
    }
    assert balances(client, owner, date_to="2027-01-01") == {
        "411": Decimal("800.00"),
        "477": 0,
        "706": Decimal("-800.00"),
    }
    again = client.post("/api/v1/revaluations", headers=owner.headers, json={"date": "2026-12-31"})
    assert again.json()["code"] == "already_revalued"
    nothing = client.post(
        "/api/v1/revaluations", headers=owner.headers, json={"date": "2026-06-30"}
    )
    assert nothing.json() == {"entry": None, "reversal": None}


def test_revaluation_without_a_closing_rate_is_refused(client: TestClient, owner: Account) -> None:
    client.post(
        "/api/v1/exchange-rates",
        headers=owner.headers,
        json={"base": "GBP", "quote": "EUR", "date": "2026-11-01", "rate": "1.15"},
    )
    entry(
        client,
        owner,
        [{"account": "512", "debit": "100.00", "currency": "GBP"}, ("101", "credit", "115.00")],
        on="2026-11-15",
    )
    client.post(
        "/api/v1/exchange-rates",
        headers=owner.headers,
        json={"base": "GBP", "quote": "EUR", "date": "2026-12-31", "rate": "1.20"},
    )
    result = client.post(
        "/api/v1/revaluations", headers=owner.headers, json={"date": "2026-12-31"}
    ).json()
    assert [
        (line["account_code"], line["debit"], line["credit"]) for line in result["entry"]["lines"]
    ] == [("512", "5.00", "0.00"), ("477", "0.00", "5.00")]
    assert (date(2026, 12, 31) + timedelta(days=1)).isoformat() == result["reversal"]["date"]


def _draft(database: Database, organization_id: uuid.UUID) -> uuid.UUID:
    with database.unit_of_work() as session:
        set_organization(session, organization_id)
        return entries.create_draft(
            session,
            EntryInput(
                journal="OD",
                date=date(2026, 1, 15),
                lines=[LineInput("512", debit="3.00"), LineInput("101", credit="3.00")],
            ),
        ).id


_COPY_LINE = (
    "INSERT INTO journal_lines (id, organization_id, entry_id, line_no, account_id, debit, credit, "
    "currency, amount_currency, exchange_rate, date, journal_id) "
    "SELECT :id, organization_id, {entry}, 9, {account}, 5, 0, currency, 5, exchange_rate, date, "
    "journal_id FROM journal_lines WHERE entry_id = :entry LIMIT 1"
)


def test_lines_need_their_entry_and_an_account_of_their_organization(
    books: tuple[Database, uuid.UUID],
) -> None:
    database, organization_id = books
    draft = _draft(database, organization_id)
    with database.unit_of_work() as session:
        other = organizations.create_organization(
            session, legal_name="Other SAS", country="FR", base_currency="EUR"
        )
        set_organization(session, other.id)
        foreign_account = session.scalar(select(AccountModel.id).where(AccountModel.code == "512"))
    for entry_sql, account_sql, params in (
        (":missing", "account_id", {"missing": uuid.uuid4()}),
        (":entry", ":account", {"account": foreign_account}),
        (":entry", ":account", {"account": uuid.uuid4()}),
    ):
        statement = text(_COPY_LINE.format(entry=entry_sql, account=account_sql)).bindparams(
            *(_uuid(name) for name in ("id", "entry", *params))
        )
        with pytest.raises(DatabaseError), database.engine.begin() as conn:
            conn.execute(statement, {"id": uuid.uuid4(), "entry": draft, **params})
    with database.engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM journal_lines")).scalar_one() == 2


def test_deleting_a_draft_deletes_its_lines_and_used_accounts_stay(
    books: tuple[Database, uuid.UUID],
) -> None:
    database, organization_id = books
    draft = _draft(database, organization_id)
    with database.engine.begin() as conn:
        used = conn.execute(
            text("SELECT account_id FROM journal_lines WHERE entry_id = :entry LIMIT 1")
            .bindparams(_uuid("entry"))
            .columns(column("account_id", Uuid())),
            {"entry": draft},
        ).scalar_one()
    with pytest.raises(DatabaseError), database.engine.begin() as conn:
        conn.execute(
            text("DELETE FROM accounts WHERE id = :id").bindparams(_uuid("id")), {"id": used}
        )
    with database.engine.begin() as conn:
        conn.execute(
            text("DELETE FROM journal_entries WHERE id = :id").bindparams(_uuid("id")),
            {"id": draft},
        )
        assert conn.execute(text("SELECT COUNT(*) FROM journal_lines")).scalar_one() == 0


def test_lines_follow_a_draft_to_its_new_date_and_journal(
    books: tuple[Database, uuid.UUID],
) -> None:
    database, organization_id = books
    draft = _draft(database, organization_id)
    with database.engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE journal_entries SET date = :day, journal_id = "
                "(SELECT id FROM journals WHERE code = 'BQ' AND organization_id = :org) "
                "WHERE id = :id"
            ).bindparams(_uuid("id"), _uuid("org")),
            {"id": draft, "org": organization_id, "day": date(2026, 2, 3)},
        )
        rows = conn.execute(
            text(
                "SELECT DISTINCT l.date, j.code FROM journal_lines l "
                "JOIN journals j ON j.id = l.journal_id"
            )
        ).all()
    assert [(str(day), code) for day, code in rows] == [("2026-02-03", "BQ")]
