"""Stores for the use cases: in memory, an SQLite file and PostgreSQL (skipped without
``ECSERVICE_TEST_PG_URL``, failing under ``CI=true``; see :mod:`tests.storage.pgdb`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pendulum
import pytest

from ecservice.clock import FixedClock
from ecservice.orders import AutoConfirmPolicy
from ecservice.storage import MemoryStore, Store, order_next_due
from tests.storage.conftest import empty_pg
from tests.storage.pgdb import fresh_pg_database

#: The shop's automatic-confirmation policy in these tests.
POLICY = AutoConfirmPolicy(days=7, zone="Asia/Shanghai")
START = pendulum.datetime(2026, 11, 11, 10, tz="Asia/Shanghai")

#: Makes an empty store.
StoreFactory = Callable[[FixedClock], Store]


@pytest.fixture
def clock() -> FixedClock:
    """The clock of the store, of the aggregates it loads and of the use cases."""
    return FixedClock(START)


@pytest.fixture(scope="session")
def app_pg_url() -> Iterator[str]:
    """A PostgreSQL database with the store's tables, for the whole session."""
    from ecservice.storage.sql import SqlStore

    with fresh_pg_database() as url:
        store = SqlStore(url)
        store.create_schema()
        store.dispose()
        yield url


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreFactory]:
    """Makes empty stores of one kind, each with its clock (each call starts from empty
    tables)."""
    kind: str = request.param
    made: list[Any] = []
    count = 0

    def make(clock: FixedClock) -> Store:
        nonlocal count
        count += 1
        timers = {"order": order_next_due(POLICY)}
        if kind == "memory":
            return MemoryStore(clock=clock, timers=timers)
        from ecservice.storage.sql import SqlStore

        if kind == "sqlite":
            url = f"sqlite:///{tmp_path / f'shop-{count}.db'}"
            sql = SqlStore(url, clock=clock, timers=timers, sqlite_synchronous="NORMAL")
            sql.create_schema()
        else:
            url = request.getfixturevalue("app_pg_url")
            empty_pg(url)
            sql = SqlStore(url, clock=clock, timers=timers)
        made.append(sql)
        return sql

    yield make
    for store in made:
        store.dispose()
