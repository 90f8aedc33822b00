"""Stores for the behavioural suite: in memory, an SQLite file, and PostgreSQL.

The PostgreSQL store lives in one fresh database per test session (see
:mod:`tests.storage.pgdb`: skipped without ``ECSERVICE_TEST_PG_URL``, failing under ``CI=true``),
emptied before each test.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import pendulum
import pytest

from ecservice.clock import FixedClock
from ecservice.orders import AutoConfirmPolicy
from ecservice.storage import MemoryStore, OutboxRecord, Store, order_next_due
from tests.storage.pgdb import fresh_pg_database

#: The automatic-confirmation policy of the stores under test.
POLICY = AutoConfirmPolicy(days=7, zone="Asia/Shanghai")
START = pendulum.datetime(2026, 11, 11, 10, tz="Asia/Shanghai")


class InspectableStore(Store, Protocol):
    """A store whose committed state the tests can read."""

    def outbox(self) -> list[OutboxRecord]: ...

    def stored_version(self, type_name: str, id: str) -> int | None: ...

    def next_due_at(self, type_name: str, id: str) -> pendulum.DateTime | None: ...


@pytest.fixture
def clock() -> FixedClock:
    """The clock of the store and of the aggregates it loads."""
    return FixedClock(START)


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A PostgreSQL database with the store's tables, for the whole session."""
    from ecservice.storage.sql import SqlStore

    with fresh_pg_database() as url:
        store = SqlStore(url)
        store.create_schema()
        store.dispose()
        yield url


def empty_pg(url: str) -> None:
    """Delete every row of the store's tables."""
    import sqlalchemy as sa

    from ecservice.storage.sql import METADATA

    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as connection:
        present = set(sa.inspect(connection).get_table_names())
        names = ", ".join(t.name for t in METADATA.sorted_tables if t.name in present)
        connection.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY")
    engine.dispose()


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def store_kind(request: pytest.FixtureRequest) -> str:
    """Which store a test runs against."""
    kind: str = request.param
    return kind


@pytest.fixture
def store_url(store_kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> str | None:
    """The database URL of the store under test (``None`` in memory); empty tables."""
    if store_kind == "memory":
        return None
    if store_kind == "sqlite":
        from ecservice.storage.sql import SqlStore

        url = f"sqlite:///{tmp_path / 'shop.db'}"
        store = SqlStore(url)
        store.create_schema()
        store.dispose()
        return url
    url = request.getfixturevalue("pg_url")
    assert isinstance(url, str)
    empty_pg(url)
    return url


@pytest.fixture
def store(store_url: str | None, clock: FixedClock) -> Iterator[InspectableStore]:
    """A store with empty tables, the ``clock`` fixture and orders timed by :data:`POLICY`."""
    timers = {"order": order_next_due(POLICY)}
    if store_url is None:
        yield MemoryStore(clock=clock, timers=timers)
        return
    from ecservice.storage.sql import SqlStore

    sql = SqlStore(store_url, clock=clock, timers=timers)
    yield sql
    sql.dispose()
