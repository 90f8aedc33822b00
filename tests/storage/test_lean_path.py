"""The SQL store's lean path: a unit of work runs on the pool's DB-API connection (begin, the
hot path's statements, commit or rollback) and makes a SQLAlchemy connection, in the same
transaction, only for the statements and errors that need one; any listener on connections or
transactions sends it through SQLAlchemy instead. And the hot path's own parameter making (UTC
instants as SQLite text in one step, outbox rows from tuples) gives what SQLAlchemy's does."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pendulum
import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.dialects import postgresql, sqlite

from ecservice.clock import FixedClock, ensure_utc
from ecservice.errors import EcServiceError, TransientStorageError
from ecservice.storage.sql import SqlStore
from ecservice.storage.sql._hot_path import OUTBOX_INSERT, OUTBOX_KEYS, UPDATE, Compiled
from ecservice.workflow import Actor
from tests.storage.conftest import START, empty_pg
from tests.storage.test_repository import add, new_order

STAFF = Actor.staff("kefu-07")


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStore]:
    """An empty store on an SQLite file, or on PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'shop.db'}"
    else:
        url = request.getfixturevalue("pg_url")
        empty_pg(url)
    made = SqlStore(url, clock=FixedClock(START))
    made.create_schema()
    yield made
    made.dispose()


def _confirmed(store: SqlStore, *ids: str) -> None:
    for id in ids:
        order = new_order(FixedClock(START), id)
        order.confirm(actor=STAFF)
        add(store, order)


def test_a_load_and_save_make_no_sqlalchemy_connection(store: SqlStore) -> None:
    """A unit of work that loads, saves and commits stays on the pool's connection, and gives
    it back to the pool when it ends."""
    _confirmed(store, "O-1")
    with store.unit_of_work() as uow:
        order = uow.orders.get("O-1")
        order.ship(carrier="顺丰", tracking_no="SF1", actor=STAFF)
        uow.orders.save(order)
        transaction: Any = uow._current  # type: ignore[attr-defined]
        assert transaction._raw is not None
        assert transaction._sa is None
        uow.commit()
    assert store.stored_version("order", "O-1") == 2
    assert store.engine.pool.checkedout() == 0  # type: ignore[attr-defined]


@pytest.mark.parametrize("first", ["lean", "sqlalchemy"])
def test_statements_of_both_paths_share_one_transaction(store: SqlStore, first: str) -> None:
    """A save on the DB-API connection and an insert through SQLAlchemy's execution, in either
    order, are one transaction: a rollback discards both, a commit keeps both."""
    _confirmed(store, "O-1")

    def work(uow: Any) -> None:
        if first == "sqlalchemy":
            uow.orders.add(new_order(FixedClock(START), "O-2"))
        order = uow.orders.get("O-1")
        order.ship(carrier="顺丰", tracking_no="SF1", actor=STAFF)
        uow.orders.save(order)
        if first == "lean":
            uow.orders.add(new_order(FixedClock(START), "O-2"))
        assert uow._current._sa is not None  # the insert made one around the same connection

    with store.unit_of_work() as uow:
        work(uow)
        uow.rollback()
    assert (store.stored_version("order", "O-1"), store.stored_version("order", "O-2")) == (1, None)
    with store.unit_of_work() as uow:
        work(uow)
        uow.commit()
    assert (store.stored_version("order", "O-1"), store.stored_version("order", "O-2")) == (2, 0)
    events = [r.event_type for r in store.outbox()]
    assert events.count("ShipmentDispatched") == 1
    assert store.engine.pool.checkedout() == 0  # type: ignore[attr-defined]


@pytest.mark.parametrize("event", ["engine_connect", "begin", "commit", "rollback"])
def test_a_transaction_listener_sees_every_unit_of_work(store: SqlStore, event: str) -> None:
    """With a listener on connections or transactions, a unit of work goes through SQLAlchemy's
    ``Connection``, so the listener misses none of them."""
    _confirmed(store, "O-1")
    seen: list[str] = []
    sa.event.listen(store.engine, event, lambda *_: seen.append(event))
    with store.unit_of_work() as uow:
        order = uow.orders.get("O-1")
        assert uow._current._sa is not None  # type: ignore[attr-defined]
        order.ship(carrier="顺丰", tracking_no="SF1", actor=STAFF)
        uow.orders.save(order)
        if event != "rollback":
            uow.commit()
    assert seen == [event]
    assert store.stored_version("order", "O-1") == (1 if event == "rollback" else 2)


def test_a_locked_database_is_a_transient_error_and_the_connection_goes_back(
    tmp_path: Path,
) -> None:
    """While another connection holds SQLite's write lock, the lean path's ``BEGIN IMMEDIATE``
    fails as SQLAlchemy's begin hook fails (TransientStorageError, chained to SQLAlchemy's
    error); the pool gets its connection back, and the next unit of work succeeds."""
    path = tmp_path / "shop.db"
    store = SqlStore(f"sqlite:///{path}", clock=FixedClock(START), busy_timeout=0.05)
    store.create_schema()
    _confirmed(store, "O-1")
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with (
            pytest.raises(TransientStorageError, match="database is locked") as info,
            store.unit_of_work() as uow,
        ):
            uow.orders.get("O-1")
        assert isinstance(info.value.__cause__, sa.exc.OperationalError)
        assert store.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    finally:
        other.execute("ROLLBACK")
        other.close()
    with store.unit_of_work() as uow:
        assert uow.orders.get("O-1").version == 1
    store.dispose()


def test_an_error_in_a_unit_of_work_returns_the_connection(store: SqlStore) -> None:
    """Leaving a unit of work by an exception rolls back on the pool's connection and gives it
    back; what it saved is not kept."""
    _confirmed(store, "O-1")

    def fail() -> None:
        with store.unit_of_work() as uow:
            order = uow.orders.get("O-1")
            order.ship(carrier="顺丰", tracking_no="SF1", actor=STAFF)
            uow.orders.save(order)
            raise KeyError("the caller's own failure")

    with pytest.raises(KeyError):
        fail()
    assert store.stored_version("order", "O-1") == 1
    assert store.outbox()[-1].event_type != "ShipmentDispatched"
    assert store.engine.pool.checkedout() == 0  # type: ignore[attr-defined]


# --- parameters ---------------------------------------------------------------------------------

_INSTANTS = st.datetimes(
    min_value=dt.datetime(1, 1, 2),
    max_value=dt.datetime(9999, 12, 30),
    timezones=st.sampled_from([dt.UTC, pendulum.UTC, pendulum.timezone("Asia/Shanghai")]),
)


@settings(max_examples=200, deadline=None)
@given(_INSTANTS)
def test_sqlite_text_of_an_instant_is_sqlalchemys(value: dt.datetime) -> None:
    """The hot path writes a UTC instant on SQLite as SQLAlchemy's own processing does (naive
    UTC text with microseconds), whether it is a pendulum instant in UTC (one step) or any other
    aware datetime (SQLAlchemy's chain)."""
    dialect = sqlite.dialect()
    compiled: Any = UPDATE.compile(dialect=dialect)
    general = compiled._bind_processors["new_updated_at"]
    hot = Compiled(UPDATE, dialect)
    ours = dict(hot.processors)["new_updated_at"]
    try:
        utc = ensure_utc(value)
    except EcServiceError:  # outside the years 1 to 9999 once in UTC
        return
    assert ours(value) == general(value) == ours(utc) == general(utc)
    assert ours(None) is None


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.psycopg.dialect()])  # type: ignore[no-untyped-call]
def test_outbox_rows_from_tuples_are_the_mapping_parameters(dialect: sa.Dialect) -> None:
    """``Compiled.row`` gives the driver the parameters ``Compiled.parameters`` gives for the
    same outbox row as a mapping (positional on SQLite, named on PostgreSQL)."""
    hot = Compiled(OUTBOX_INSERT, dialect, OUTBOX_KEYS)
    now = pendulum.datetime(2026, 11, 11, 2, tz="UTC")
    values = ("order:O-1:2:0", "order", "O-1", "OrderConfirmed", {"a": "中"}, now, now)
    row, mapping = hot.row(values), hot.parameters(dict(zip(OUTBOX_KEYS, values, strict=True)))
    assert type(row) is type(mapping)
    if isinstance(row, dict):  # PostgreSQL: psycopg's Jsonb wrapper compares by identity
        row = {k: getattr(v, "obj", v) for k, v in row.items()}
        mapping = {k: getattr(v, "obj", v) for k, v in mapping.items()}
    assert row == mapping
