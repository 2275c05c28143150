"""Kit building blocks: ids, exact decimals, UTC datetimes, the tenancy hook."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Column, MetaData, String, Table, insert, select

from comptoir.identity.models import Membership, Organization, User
from comptoir.kit.db import Database
from comptoir.kit.ids import new_id
from comptoir.kit.tenancy import TenantNotSet, all_tenants, set_organization
from comptoir.kit.types import ExactDecimal, UTCDateTime


def test_ids_are_uuid7_and_strictly_growing() -> None:
    # Thousands in a row share milliseconds: the sequence keeps them in the order made.
    before = time.time_ns() // 1_000_000
    ids = [new_id() for _ in range(20000)]
    after = time.time_ns() // 1_000_000
    assert all(i.version == 7 and i.variant == uuid.RFC_4122 for i in ids)
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    # The timestamp part is the clock's: the sequence moves it ahead of the clock only by
    # a millisecond per 4,096 ids made within one.
    millis = [i.int >> 80 for i in ids]
    assert before <= millis[0] <= millis[-1] <= after + len(ids) // 4096 + 1


def test_ids_made_by_several_threads_are_unique() -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:
        batches = list(pool.map(lambda _: [new_id() for _ in range(2000)], range(8)))
    every = [i for batch in batches for i in batch]
    assert len(set(every)) == len(every)
    assert all(batch == sorted(batch) for batch in batches)


_numbers = Table(
    "numbers",
    MetaData(),
    Column("key", String(40), primary_key=True),
    Column("value", ExactDecimal(28, 10)),
    Column("at", UTCDateTime()),
)


@pytest.fixture
def numbers(database: Database) -> Database:
    _numbers.create(database.engine)
    yield database
    _numbers.drop(database.engine)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    value=st.decimals(
        min_value=Decimal("-1e17"),
        max_value=Decimal("1e17"),
        places=10,
        allow_nan=False,
        allow_infinity=False,
    )
)
def test_exact_decimal_round_trips_every_digit(numbers: Database, value: Decimal) -> None:
    key = uuid.uuid4().hex
    with numbers.engine.begin() as conn:
        conn.execute(insert(_numbers).values(key=key, value=value))
        stored = conn.execute(select(_numbers.c.value).where(_numbers.c.key == key)).scalar_one()
    assert stored == value
    assert isinstance(stored, Decimal)


def test_exact_decimal_refuses_floats(numbers: Database) -> None:
    with pytest.raises(Exception, match="Decimal"), numbers.engine.begin() as conn:
        conn.execute(insert(_numbers).values(key="f", value=0.1))


def test_datetimes_come_back_aware_utc(numbers: Database) -> None:
    moment = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    with numbers.engine.begin() as conn:
        conn.execute(insert(_numbers).values(key="t", at=moment))
        stored = conn.execute(select(_numbers.c.at)).scalar_one()
    assert stored == moment
    assert stored.tzinfo is not None
    with pytest.raises(Exception, match="naive"), numbers.engine.begin() as conn:
        conn.execute(insert(_numbers).values(key="n", at=datetime(2026, 1, 1)))


def _two_orgs(database: Database) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    with database.unit_of_work() as session:
        a = Organization(legal_name="A", country="FR", base_currency="EUR")
        b = Organization(legal_name="B", country="FR", base_currency="EUR")
        user = User(email=f"{uuid.uuid4().hex[:8]}@example.com")
        session.add_all([a, b, user])
        session.flush()
        session.add_all(
            [
                Membership(organization_id=a.id, user_id=user.id, role="owner"),
                Membership(organization_id=b.id, user_id=user.id, role="viewer"),
            ]
        )
        with all_tenants(session):
            session.flush()
        return a.id, b.id, user.id


def test_queries_see_only_the_current_organization(database: Database) -> None:
    a, _b, _ = _two_orgs(database)
    with database.unit_of_work(write=False) as session:
        set_organization(session, a)
        assert [m.role for m in session.scalars(select(Membership))] == ["owner"]
        with all_tenants(session):
            assert len(list(session.scalars(select(Membership)))) == 2


def test_tenant_data_without_an_organization_fails_loudly(database: Database) -> None:
    _two_orgs(database)
    with database.unit_of_work(write=False) as session, pytest.raises(TenantNotSet):
        list(session.scalars(select(Membership)))


def test_rows_are_stamped_and_cross_tenant_writes_refused(database: Database) -> None:
    a, b, user = _two_orgs(database)
    with pytest.raises(TenantNotSet), database.unit_of_work() as session:
        set_organization(session, a)
        session.add(Membership(organization_id=b, user_id=user, role="viewer"))
        session.flush()
    with database.unit_of_work() as session:
        set_organization(session, a)
        other_user = User(email=f"{uuid.uuid4().hex[:8]}@example.com")
        session.add(other_user)
        session.flush()
        stamped = Membership(user_id=other_user.id, role="sales")
        session.add(stamped)
        session.flush()
        assert stamped.organization_id == a
