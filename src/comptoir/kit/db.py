"""Engine, declarative base and the unit of work.

SQLite runs in WAL mode with a busy timeout; write transactions start with
``BEGIN IMMEDIATE`` so that two writers queue instead of failing on upgrade.
PostgreSQL uses psycopg 3 with the default READ COMMITTED isolation.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Engine, MetaData, Uuid, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from comptoir.kit import clock, tenancy
from comptoir.kit.ids import new_id
from comptoir.kit.types import UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), uuid.UUID: Uuid(), int: BigInteger()}


class IdMixin:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite otherwise defers it).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        writes = connection.get_execution_options().get("comptoir_write", True)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 15})
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


WRITER_WAIT_SECONDS = 60


class Database:
    """An engine and the sessions made from it, with the tenancy filter installed."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._write_engine = self.engine.execution_options(comptoir_write=True)
        self._read_engine = self.engine.execution_options(comptoir_write=False)
        self.sessions = sessionmaker(self._write_engine, expire_on_commit=False)
        tenancy.install(self.sessions)
        # SQLite lets one writer in at a time and makes the others poll: under a burst, a
        # thread can lose every race until its busy timeout. Threads of this process
        # queue here instead, so that only other processes ever meet the busy timeout.
        self._sqlite_writer = threading.Lock() if self.is_sqlite else None

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def session(self, *, write: bool = True) -> Session:
        """A new session; read-only ones start a deferred transaction on SQLite."""
        return self.sessions(bind=self._write_engine if write else self._read_engine)

    @contextmanager
    def unit_of_work(self, *, write: bool = True) -> Iterator[Session]:
        """One transaction: commits when the block succeeds, rolls back when it raises."""
        writer = self._sqlite_writer if write else None
        if writer is not None and not writer.acquire(timeout=WRITER_WAIT_SECONDS):
            raise TimeoutError("Another write to the database took too long; try again.")
        session = self.session(write=write)
        try:
            yield session
            if write:
                session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
            if writer is not None:
                writer.release()

    def stream_for(
        self, organization_id: uuid.UUID, produce: Callable[[Session], Iterator[bytes]]
    ) -> Iterator[bytes]:
        """What ``produce`` writes from a read-only session of its own, scoped to one
        organization: for a download sent after the request's session has closed, the
        session living as long as the download."""
        session = self.session(write=False)
        try:
            tenancy.set_organization(session, organization_id)
            yield from produce(session)
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
