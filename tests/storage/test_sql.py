"""The SQL store's own duties: engine set-up, UTC columns, error translation, row locking."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pendulum
import pytest
import sqlalchemy as sa

from ecservice.clock import FixedClock
from ecservice.errors import (
    NestedUnitOfWork,
    StorageUnavailable,
    TransientStorageError,
    ValidationError,
)
from ecservice.storage import DocumentError, order_next_due
from ecservice.storage.sql import (
    AGGREGATES,
    METADATA,
    OUTBOX,
    SqlStore,
    is_transient,
    make_engine,
)
from ecservice.storage.sql._retry import translated
from tests.storage.conftest import POLICY, empty_pg
from tests.storage.test_repository import add, new_order, shipped_order


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'shop.db'}"


def pragma(connection: sa.Connection, name: str) -> Any:
    return connection.exec_driver_sql(f"PRAGMA {name}").scalar()


@pytest.mark.parametrize(("synchronous", "level"), [("FULL", 2), ("NORMAL", 1)])
def test_sqlite_connections_use_wal_and_the_chosen_durability(
    sqlite_url: str, synchronous: Any, level: int
) -> None:
    """Every SQLite connection: WAL, ``synchronous`` as asked, a busy timeout, foreign keys."""
    engine = make_engine(sqlite_url, sqlite_synchronous=synchronous, busy_timeout=2.5)
    with engine.connect() as connection:
        assert pragma(connection, "journal_mode") == "wal"
        assert pragma(connection, "synchronous") == level
        assert pragma(connection, "busy_timeout") == 2500
        assert pragma(connection, "foreign_keys") == 1
    engine.dispose()


def test_sqlite_transactions_take_the_write_lock_when_they_begin(sqlite_url: str) -> None:
    """``BEGIN IMMEDIATE``: while one unit of work is open (even one that only read), another
    (here of another store on the same file, in another thread, as another process has) cannot
    begin; after the busy timeout it gets TransientStorageError, which says so."""
    store = SqlStore(sqlite_url, busy_timeout=0.05)
    other = SqlStore(sqlite_url, busy_timeout=0.05)
    store.create_schema()
    raised: list[BaseException] = []

    def second_writer() -> None:
        with other.unit_of_work() as second:
            try:
                second.orders.find("O-1")
            except TransientStorageError as exc:
                raised.append(exc)

    with store.unit_of_work() as first:
        assert first.orders.find("O-1") is None
        thread = threading.Thread(target=second_writer)
        thread.start()
        thread.join()
    (error,) = raised
    assert "database is locked" in str(error)
    assert isinstance(error.__cause__, sa.exc.OperationalError)
    store.dispose()
    other.dispose()


def test_a_second_unit_of_work_of_one_sqlite_store_in_one_thread_is_refused_at_once(
    sqlite_url: str,
) -> None:
    """It could only wait for the first until the busy timeout: NestedUnitOfWork, at once,
    and the first goes on; once it ended, the next one runs. Another thread waits its turn."""
    store = SqlStore(sqlite_url, busy_timeout=5.0)
    store.create_schema()
    with store.unit_of_work() as first:
        assert first.orders.find("O-1") is None
        with store.unit_of_work() as second, pytest.raises(NestedUnitOfWork) as info:
            second.orders.find("O-1")
        assert "already open in this thread" in str(info.value)
        first.orders.add(new_order(FixedClock(pendulum.datetime(2026, 11, 11, tz="UTC"))))
        first.commit()
    with store.unit_of_work() as third:
        assert third.orders.get("O-1").id == "O-1"
    # The guard is per thread: another thread's unit of work waits for the lock, then runs.
    found: list[object] = []

    def other_thread() -> None:
        with store.unit_of_work() as uow:
            found.append(uow.orders.get("O-1").id)

    with store.unit_of_work() as outer:
        outer.orders.get("O-1")
        worker = threading.Thread(target=other_thread)
        worker.start()
    worker.join()
    assert found == ["O-1"]
    store.dispose()


def test_the_stores_own_reads_do_not_wait_for_the_write_lock(sqlite_url: str) -> None:
    """``stored_version``, ``next_due_at`` and ``outbox`` read with a plain ``BEGIN``: they see
    the last commit while a unit of work holds the write lock."""
    store = SqlStore(sqlite_url, busy_timeout=0.05)
    store.create_schema()
    with store.unit_of_work() as uow:
        assert uow.orders.find("O-1") is None
        assert store.stored_version("order", "O-1") is None
        assert store.next_due_at("order", "O-1") is None
        assert store.outbox() == []
    store.dispose()


def test_an_in_memory_sqlite_store_works_for_tests() -> None:
    """``sqlite://`` is one shared in-memory database."""
    clock = FixedClock(pendulum.datetime(2026, 11, 11, tz="UTC"))
    store = SqlStore("sqlite://", clock=clock)
    store.create_schema()
    add(store, shipped_order(clock, "O-1"))
    assert store.stored_version("order", "O-1") == 2
    store.dispose()


def test_sqlite_keeps_times_as_naive_utc_text_and_reads_them_as_utc(sqlite_url: str) -> None:
    """A due time given in Shanghai time is stored as UTC text (so text order is time order)
    and read back as the same instant, in UTC."""
    clock = FixedClock(pendulum.datetime(2026, 11, 11, 10, tz="Asia/Shanghai"))
    store = SqlStore(sqlite_url, clock=clock, timers={"order": order_next_due(POLICY)})
    store.create_schema()
    add(store, shipped_order(clock, "O-1"))
    with store.engine.connect() as connection:
        raw = connection.exec_driver_sql("SELECT next_due_at, updated_at FROM ecs_aggregates").one()
    assert raw == ("2026-11-18 02:00:00.000000", "2026-11-11 02:00:00.000000")
    due = store.next_due_at("order", "O-1")
    assert due == POLICY.due_at(clock.now())
    assert due is not None
    assert due.timezone_name == "UTC"
    store.dispose()


def test_naive_times_are_refused_before_reaching_the_database(sqlite_url: str) -> None:
    """The UTC column type refuses a naive datetime."""
    engine = make_engine(sqlite_url)
    METADATA.create_all(engine)
    naive = dt.datetime(2026, 1, 1)
    with engine.begin() as connection, pytest.raises(sa.exc.StatementError, match="aware"):
        connection.execute(
            OUTBOX.insert().values(
                event_id="x",
                aggregate_type="order",
                aggregate_id="O-1",
                event_type="E",
                payload={},
                occurred_at=naive,
                created_at=naive,
            )
        )
    engine.dispose()


def test_the_tables_have_the_documented_columns(sqlite_url: str) -> None:
    """Names and keys as documented (the migrations create the same)."""
    assert [c.name for c in AGGREGATES.primary_key.columns] == ["type", "id"]
    assert {i.name for i in AGGREGATES.indexes} == {"ix_ecs_aggregates_due"}
    assert {i.name for i in OUTBOX.indexes} == {"ix_ecs_outbox_pending"}
    store = SqlStore(sqlite_url)
    store.create_schema()
    names = set(sa.inspect(store.engine).get_table_names())
    assert names == set(METADATA.tables)
    assert {"ecs_aggregates", "ecs_outbox", "ecs_gw_accounts", "ecs_gw_requests"} <= names
    store.dispose()


class FakeDriverError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"failed with {sqlstate}")
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (FakeDriverError("40001"), True),
        (FakeDriverError("40P01"), True),
        (FakeDriverError("23505"), False),
        (sqlite3.OperationalError("database is locked"), True),
        (sqlite3.OperationalError("no such table: x"), False),
        (ValueError("x"), False),
    ],
)
def test_transient_errors_are_the_documented_ones(error: Exception, transient: bool) -> None:
    """Serialization failures, deadlocks and a locked SQLite database are worth retrying."""
    assert is_transient(error) is transient
    wrapped = sa.exc.OperationalError("SELECT 1", {}, error)
    assert is_transient(wrapped) is transient


def test_driver_errors_become_library_errors(sqlite_url: str) -> None:
    """A failing statement raises StorageUnavailable, saying what failed, chained."""
    engine = make_engine(sqlite_url)
    with (
        engine.connect() as connection,
        pytest.raises(StorageUnavailable, match="failed to read: no such table") as info,
        translated("read"),
    ):
        connection.exec_driver_sql("SELECT * FROM missing")
    assert not isinstance(info.value, TransientStorageError)
    engine.dispose()


def test_an_unreachable_server_is_storage_unavailable() -> None:
    """No server listening: StorageUnavailable when the unit of work first needs a connection."""
    store = SqlStore("postgresql+psycopg://nobody@127.0.0.1:1/none")
    with store.unit_of_work() as uow, pytest.raises(StorageUnavailable, match="open a connection"):
        uow.orders.find("O-1")
    assert "nobody" in repr(store)


def test_passwords_stay_out_of_the_repr() -> None:
    store = SqlStore("postgresql+psycopg://shop:s3cret@127.0.0.1:1/none")
    assert "s3cret" not in repr(store)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"sqlite_synchronous": "OFF"}, "sqlite_synchronous"),
        ({"busy_timeout": 0}, "busy_timeout"),
        ({"url_or_engine": "not a url"}, "URL"),
    ],
)
def test_bad_options_are_validation_errors(kwargs: dict[str, Any], match: str) -> None:
    args = {"url_or_engine": "sqlite://", **kwargs}
    with pytest.raises(ValidationError, match=match):
        SqlStore(**args)


# --- PostgreSQL ------------------------------------------------------------------------------


@pytest.fixture
def pg_store(pg_url: str) -> Any:
    empty_pg(pg_url)
    clock = FixedClock(pendulum.datetime(2026, 11, 11, 10, tz="Asia/Shanghai"))
    store = SqlStore(pg_url, clock=clock, timers={"order": order_next_due(POLICY)})
    yield store
    store.dispose()


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("serialization_failure", TransientStorageError),
        ("deadlock_detected", TransientStorageError),
        ("division_by_zero", StorageUnavailable),
    ],
)
def test_postgresql_transient_states_are_recognised(
    pg_store: SqlStore, code: str, error: type
) -> None:
    """PostgreSQL's SQLSTATE 40001 and 40P01 become TransientStorageError; others do not."""
    statement = f"DO $$ BEGIN RAISE EXCEPTION 'x' USING ERRCODE = '{code}'; END $$"
    with pg_store.engine.connect() as connection, pytest.raises(error) as info, translated("run"):
        connection.exec_driver_sql(statement)
    assert type(info.value) is error


def test_postgresql_due_rows_are_locked_for_one_worker(pg_store: SqlStore) -> None:
    """Two units of work asking for due orders at once get disjoint sets (SKIP LOCKED)."""
    clock = FixedClock(pendulum.datetime(2026, 11, 11, 10, tz="Asia/Shanghai"))
    add(pg_store, *(shipped_order(clock, f"O-{n}") for n in range(5)))
    later = clock.now().add(days=30)
    with pg_store.unit_of_work() as first, pg_store.unit_of_work() as second:
        mine = [o.id for o in first.orders.due(later, limit=3)]
        theirs = [o.id for o in second.orders.due(later, limit=3)]
    assert mine == ["O-0", "O-1", "O-2"]
    assert theirs == ["O-3", "O-4"]


@pytest.mark.parametrize(
    "document",
    ['{"type": "order", "body": {', "[" * 3000 + "]" * 3000, '{"version": ' + "9" * 5001 + "}"],
    ids=["truncated", "too-deep", "huge-integer"],
)
def test_a_row_that_cannot_be_decoded_is_a_document_error(document: str) -> None:
    """A stored row damaged outside the library (truncated JSON, nesting or integers past what
    Python decodes) raises DocumentError, not a JSON, value or recursion error."""
    clock = FixedClock(pendulum.datetime(2026, 11, 11, tz="UTC"))
    store = SqlStore("sqlite://", clock=clock)
    store.create_schema()
    add(store, shipped_order(clock, "O-1"))
    with store.engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE ecs_aggregates SET document = :d WHERE id = 'O-1'"), {"d": document}
        )
    with store.unit_of_work() as uow, pytest.raises(DocumentError, match="cannot be decoded"):
        uow.orders.get("O-1")
    store.dispose()
