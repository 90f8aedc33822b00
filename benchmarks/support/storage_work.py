"""What ``benchmarks/storage.py`` measures with: the orders, the prepared documents, the floor
(the statements a save needs, on the DB-API connection) and the repository path (the public API).

Not a benchmark itself: nothing here runs on import. Functions whose names start with ``worker_``
run in a child process (the PostgreSQL runs with several clients).
"""

from __future__ import annotations

import datetime as _dt
import json
import sqlite3
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

import attrs
import pendulum

from ecservice.clock import FixedClock
from ecservice.money import Money
from ecservice.orders import Address, Order, OrderLine
from ecservice.storage import AggregateSerializer, default_registry, default_timers, make_converter
from ecservice.storage.sql import SqlStore
from ecservice.workflow import Actor

STAFF: Final = Actor.staff("kefu-07")
CLOCK: Final = FixedClock(pendulum.datetime(2026, 11, 11, 10, tz="Asia/Shanghai"))


def _order_serializer() -> AggregateSerializer[Order[Any]]:
    found = default_registry().for_type("order")
    if not isinstance(found, AggregateSerializer):
        raise TypeError(f"the order serializer is a {type(found).__name__}")
    return found


ORDERS: Final = _order_serializer()
#: The domain floor's own order serializer, made as the store's is (``reuse_values``): its
#: memory of the texts and values it wrote is its own, as another process's would be, so that
#: the repository's and the domain floor's orders do not evict each other's.
DOMAIN_ORDERS: Final = AggregateSerializer(Order, "order", reuse_values=True)
ORDER_TIMER: Final = default_timers()["order"]
_CONVERTER: Final = make_converter()  # the one the repositories write event payloads with
#: The instant both sides write as ``updated_at`` / ``created_at`` (the store's clock is fixed).
NOW: Final = CLOCK.now().in_timezone(pendulum.UTC)


def make_order(id: str) -> Order[Any]:
    """A confirmed order of two lines (processing), as a shop holds many."""
    order = Order(
        id=id,
        buyer_id="u-1001",
        lines=[
            OrderLine(sku="TEA-250", name="龙井", unit_price=Money("88.00", "CNY"), quantity=2),
            OrderLine(sku="CUP-1", name="cup", unit_price=Money("9.90", "CNY"), quantity=1),
        ],
        address=Address(
            recipient="王小明",
            phone="138 0013 8000",
            province="浙江省",
            city="杭州市",
            street="龙井路 1 号",
        ),
        shipping_fee=Money("10.00", "CNY"),
        created_at=CLOCK.now(),
        clock=CLOCK,
    )
    order.confirm(actor=STAFF)
    order.pull_events()
    return order


def change(order: Order[Any], round_no: int) -> None:
    """The change of one save: out of stock on even rounds, restocked on odd ones."""
    if round_no % 2 == 0:
        order.mark_out_of_stock("TEA-250", actor=STAFF)
    else:
        order.restock(actor=STAFF)


@attrs.frozen
class PreparedSave:
    """One save as the floor writes it: the JSON text is made beforehand."""

    id: str
    expected: int
    version: int
    schema_version: int
    document: str
    next_due_at: _dt.datetime | None
    outbox: tuple[tuple[str, str, str, str, _dt.datetime], ...]
    """(event_id, aggregate_id, event_type, payload JSON, occurred_at) per event."""


def dumps(value: object) -> str:
    """JSON text as the store writes it."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def prepare(ids: Sequence[str], rounds: int) -> list[list[PreparedSave]]:
    """Per round, the saves of ``ids`` the repository path makes in that round (same documents,
    same events), computed in memory beforehand."""
    orders = [make_order(i) for i in ids]
    out: list[list[PreparedSave]] = []
    for r in range(rounds):
        saves = []
        for order in orders:
            expected = order.version
            change(order, r)
            events = order.pull_events()
            doc = ORDERS.dump(order)
            due = ORDER_TIMER(order)
            saves.append(
                PreparedSave(
                    id=order.id,
                    expected=expected,
                    version=order.version,
                    schema_version=doc["schema_version"],
                    document=dumps(doc),
                    next_due_at=due,
                    outbox=tuple(
                        (
                            f"order:{order.id}:{order.version}:{n}",
                            order.id,
                            type(e).__name__,
                            dumps(_CONVERTER.unstructure(e)),
                            e.occurred_at.in_timezone(pendulum.UTC),
                        )
                        for n, e in enumerate(events)
                    ),
                )
            )
        out.append(saves)
    return out


def seed(store: SqlStore, ids: Sequence[str]) -> None:
    """Add the orders ``ids`` (confirmed) through the store, 500 a transaction."""
    for start in range(0, len(ids), 500):
        with store.unit_of_work() as uow:
            for id in ids[start : start + 500]:
                uow.orders.add(make_order(id))
            uow.commit()


# --- the repository path ----------------------------------------------------------------------


def forget() -> None:
    """Drop what the order serializer remembers of the documents it wrote and read
    (``reuse_values``): the next load of each reads its JSON in full, as a process does with a
    document another process wrote."""
    memo, documents = ORDERS._memo, ORDERS._memo_documents
    if memo:
        memo.clear()
    if documents:
        documents.clear()


def repo_saves(store: SqlStore, ids: Sequence[str], round_no: int, *, cold: bool = False) -> float:
    """Seconds for one load + change + save + commit per id, through the public API; with
    ``cold``, every load reads the stored JSON in full (see :func:`forget`)."""
    start = time.perf_counter()
    for id in ids:
        if cold:
            forget()
        with store.unit_of_work() as uow:
            order = uow.orders.get(id)
            change(order, round_no)
            uow.orders.save(order)
            uow.commit()
    return time.perf_counter() - start


def repo_loads(store: SqlStore, ids: Sequence[str]) -> float:
    """Seconds for one unit of work per id that loads the order and ends (each read in full:
    nothing of the round's documents was read before it)."""
    forget()
    start = time.perf_counter()
    for id in ids:
        with store.unit_of_work() as uow:
            uow.orders.get(id)
    return time.perf_counter() - start


def repo_rehydrate(store: SqlStore, ids: Sequence[str], chunk: int) -> float:
    """Seconds to load every order of ``ids``, ``chunk`` per unit of work (each read in full)."""
    forget()
    start = time.perf_counter()
    for at in range(0, len(ids), chunk):
        with store.unit_of_work() as uow:
            for id in ids[at : at + chunk]:
                uow.orders.get(id)
    return time.perf_counter() - start


# --- the floor on SQLite ------------------------------------------------------------------------


def sqlite_text(value: _dt.datetime | None) -> str | None:
    """A datetime as the store writes it on SQLite: naive UTC ISO text."""
    if value is None:
        return None
    return value.astimezone(_dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def sqlite_connect(path: str, synchronous: str, busy_timeout: float) -> sqlite3.Connection:
    """A connection with the store's settings (WAL, ``synchronous``, foreign keys, autocommit
    mode so that transactions begin explicitly)."""
    connection = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute(f"PRAGMA synchronous={synchronous}")
    connection.execute("PRAGMA foreign_keys=ON")
    return connection


_READ_VERSION: Final = "SELECT version FROM ecs_aggregates WHERE type = ? AND id = ?"
_READ_DOC: Final = "SELECT version, document FROM ecs_aggregates WHERE type = ? AND id = ?"
_UPDATE: Final = (
    "UPDATE ecs_aggregates SET version = ?, schema_version = ?, document = ?, next_due_at = ?, "
    "updated_at = ? WHERE type = ? AND id = ? AND version = ?"
)
_OUTBOX: Final = (
    "INSERT INTO ecs_outbox (event_id, aggregate_type, aggregate_id, event_type, payload, "
    "occurred_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
)


def sqlite_floor_saves(connection: sqlite3.Connection, saves: Sequence[PreparedSave]) -> float:
    """Seconds for the statements of each save: read the version, conditional UPDATE, outbox
    INSERT, commit (``BEGIN IMMEDIATE`` as the store)."""
    now = sqlite_text(NOW)
    execute = connection.execute
    start = time.perf_counter()
    for s in saves:
        execute("BEGIN IMMEDIATE")
        execute(_READ_VERSION, ("order", s.id)).fetchone()
        count = execute(
            _UPDATE,
            (
                s.version,
                s.schema_version,
                s.document,
                sqlite_text(s.next_due_at),
                now,
                "order",
                s.id,
                s.expected,
            ),
        ).rowcount
        if count != 1:
            raise AssertionError(f"floor: {s.id} not at version {s.expected}")
        connection.executemany(
            _OUTBOX,
            [(e, "order", a, t, p, sqlite_text(o), now) for e, a, t, p, o in s.outbox],
        )
        execute("COMMIT")
    return time.perf_counter() - start


def sqlite_domain_saves(connection: sqlite3.Connection, ids: Sequence[str], round_no: int) -> float:
    """Seconds for the floor's statements plus the work on the order that no store can skip (the
    *domain floor*): read the version and the document, build the order through its constructor
    (:meth:`~ecservice.storage.AggregateSerializer.load_text`, reusing the values of text it
    wrote before as the repository does), the change, the document and the event payloads
    serialised (``dump_row``, ``remember``), the timer, then the floor's ``UPDATE``, outbox
    ``INSERT`` and commit. What it leaves out is the store's own machinery: the unit of work,
    the identity map, the checks of ids and versions, the connection pool."""
    now = sqlite_text(NOW)
    execute = connection.execute
    start = time.perf_counter()
    for id in ids:
        execute("BEGIN IMMEDIATE")
        expected, text = execute(_READ_DOC, ("order", id)).fetchone()
        order = DOMAIN_ORDERS.load_text(text, clock=CLOCK)
        change(order, round_no)
        version, document, text, due, outbox = _domain_write(order)
        count = execute(
            _UPDATE,
            (
                version,
                document["schema_version"],
                text,
                sqlite_text(due),
                now,
                "order",
                id,
                expected,
            ),
        ).rowcount
        if count != 1:
            raise AssertionError(f"domain floor: {id} not at version {expected}")
        connection.executemany(
            _OUTBOX, [(e, "order", a, t, p, sqlite_text(o), now) for e, a, t, p, o in outbox]
        )
        execute("COMMIT")
    return time.perf_counter() - start


def _domain_write(
    order: Order[Any],
) -> tuple[int, Mapping[str, Any], str, _dt.datetime | None, list[tuple[str, str, str, str, Any]]]:
    """What a save of ``order`` writes, made as the repository makes it: its version, document,
    JSON text, timer and outbox rows (event id, aggregate id, type, payload text, occurred at)."""
    events = order.pull_events()
    document, text = DOMAIN_ORDERS.dump_row(order)
    DOMAIN_ORDERS.remember(order, text, document)
    version = order.version
    outbox = [
        (
            f"order:{order.id}:{version}:{n}",
            order.id,
            type(e).__name__,
            dumps(_CONVERTER.unstructure(e)),
            e.occurred_at,
        )
        for n, e in enumerate(events)
    ]
    return version, document, text, ORDER_TIMER(order), outbox


def sqlite_floor_loads(connection: sqlite3.Connection, ids: Sequence[str], chunk: int = 1) -> float:
    """Seconds to read and parse each document, ``chunk`` per read transaction."""
    execute = connection.execute
    loads = json.loads
    start = time.perf_counter()
    for at in range(0, len(ids), chunk):
        execute("BEGIN")
        for id in ids[at : at + chunk]:
            row = execute(_READ_DOC, ("order", id)).fetchone()
            loads(row[1])
        execute("ROLLBACK")
    return time.perf_counter() - start


# --- the floor on PostgreSQL --------------------------------------------------------------------

_PG_READ_VERSION: Final = "SELECT version FROM ecs_aggregates WHERE type = %s AND id = %s"
_PG_READ_DOC: Final = "SELECT version, document FROM ecs_aggregates WHERE type = %s AND id = %s"
_PG_UPDATE: Final = (
    "UPDATE ecs_aggregates SET version = %s, schema_version = %s, document = %s::jsonb, "
    "next_due_at = %s, updated_at = %s WHERE type = %s AND id = %s AND version = %s"
)
_PG_OUTBOX: Final = (
    "INSERT INTO ecs_outbox (event_id, aggregate_type, aggregate_id, event_type, payload, "
    "occurred_at, created_at) VALUES (%s, %s, %s, %s, %s::jsonb, %s, %s)"
)


def pg_connect(url: str) -> Any:
    """A psycopg connection (READ COMMITTED, transactions begun by the first statement)."""
    import psycopg
    import sqlalchemy as sa

    parsed = sa.make_url(url).set(drivername="postgresql")
    dsn = parsed.render_as_string(hide_password=False)
    return psycopg.connect(dsn, autocommit=False)


def pg_floor_saves(connection: Any, saves: Sequence[PreparedSave]) -> float:
    """Seconds for the statements of each save on PostgreSQL (server-prepared after the first
    few executions, as psycopg does by default)."""
    cursor = connection.cursor()
    execute = cursor.execute
    start = time.perf_counter()
    for s in saves:
        execute(_PG_READ_VERSION, ("order", s.id))
        cursor.fetchone()
        execute(
            _PG_UPDATE,
            (
                s.version,
                s.schema_version,
                s.document,
                s.next_due_at,
                NOW,
                "order",
                s.id,
                s.expected,
            ),
        )
        if cursor.rowcount != 1:
            raise AssertionError(f"floor: {s.id} not at version {s.expected}")
        cursor.executemany(
            _PG_OUTBOX, [(e, "order", a, t, p, o, NOW) for e, a, t, p, o in s.outbox]
        )
        connection.commit()
    return time.perf_counter() - start


def pg_domain_saves(connection: Any, ids: Sequence[str], round_no: int) -> float:
    """:func:`sqlite_domain_saves` on PostgreSQL: the floor's statements plus the work on the
    order no store can skip (psycopg parses the JSONB document; the order is built from it
    through :meth:`~ecservice.storage.AggregateSerializer.load`)."""
    cursor = connection.cursor()
    execute = cursor.execute
    start = time.perf_counter()
    for id in ids:
        execute(_PG_READ_DOC, ("order", id))
        expected, stored = cursor.fetchone()
        order = DOMAIN_ORDERS.load(stored, clock=CLOCK)
        change(order, round_no)
        version, document, text, due, outbox = _domain_write(order)
        execute(
            _PG_UPDATE,
            (version, document["schema_version"], text, due, NOW, "order", id, expected),
        )
        if cursor.rowcount != 1:
            raise AssertionError(f"domain floor: {id} not at version {expected}")
        cursor.executemany(_PG_OUTBOX, [(e, "order", a, t, p, o, NOW) for e, a, t, p, o in outbox])
        connection.commit()
    return time.perf_counter() - start


def pg_floor_loads(connection: Any, ids: Sequence[str]) -> float:
    """Seconds to read each document (psycopg parses the JSONB) in its own transaction."""
    cursor = connection.cursor()
    start = time.perf_counter()
    for id in ids:
        cursor.execute(_PG_READ_DOC, ("order", id))
        cursor.fetchone()
        connection.commit()
    return time.perf_counter() - start


# --- several clients -----------------------------------------------------------------------------


def worker_pg(
    side: str,
    url: str,
    ids: Sequence[str],
    round_no: int,
    barrier: Any,
    results: Any,
) -> None:
    """One client of a multi-process run: prepare, wait at ``barrier``, save each id once, report
    (start, end) in :func:`time.perf_counter` seconds (one clock for every process)."""
    run: Callable[[], float]
    if side == "floor":
        saves = prepare(ids, round_no + 1)[round_no]
        connection = pg_connect(url)
        connection.execute("SELECT 1")
        connection.commit()

        def run() -> float:
            return pg_floor_saves(connection, saves)

    else:
        store = SqlStore(url, clock=CLOCK)
        with store.unit_of_work() as uow:  # open the pooled connection before timing
            uow.orders.find("none")

        def run() -> float:
            return repo_saves(store, ids, round_no)

    barrier.wait()
    start = time.perf_counter()
    run()
    results.put((start, time.perf_counter()))
