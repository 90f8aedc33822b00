"""The outbox relay delivers every event at least once, in order, and never twice while a lease
holds: with a failing deliverer, with crashed relays (lease expiry on an injected clock, no
sleeping), and with relays racing each other in separate processes on PostgreSQL and SQLite.
"""

from __future__ import annotations

import concurrent.futures
import datetime as _dt
import logging
import multiprocessing
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs
import pendulum
import pytest
import sqlalchemy as sa

from ecservice.clock import FixedClock
from ecservice.errors import ValidationError
from ecservice.storage import OutboxRecord
from ecservice.storage.sql import OUTBOX, OutboxRelay, SqlStore, make_engine
from ecservice.storage.sql.migrations import upgrade
from tests.storage.aggregates import STAFF, an_order
from tests.storage.pgdb import fresh_pg_database

T0 = pendulum.datetime(2026, 11, 11, 20, 0, tz="Asia/Shanghai")
LEASE = _dt.timedelta(seconds=30)


@contextmanager
def migrated(backend: str, tmp_path: Path) -> Iterator[str]:
    """A migrated database: an SQLite file, or a new PostgreSQL database; yields its URL."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'shop.db'}"
        upgrade(url)
        yield url
    else:
        with fresh_pg_database() as url:
            upgrade(url)
            yield url


@pytest.fixture(params=["sqlite", "sqlite-plain-engine", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    """The store's engine (``make_engine``) on a migrated database, or for SQLite also
    SQLAlchemy's default engine, whose transactions begin lazily (the relay then begins them
    itself, with ``BEGIN IMMEDIATE``)."""
    backend = str(request.param)
    with migrated(backend.split("-")[0], tmp_path) as url:
        made = sa.create_engine(url) if "plain" in backend else make_engine(url)
        yield made
        made.dispose()


def add_events(engine: sa.Engine, count: int, *, first: int = 0) -> list[str]:
    """Write ``count`` outbox rows as a store would; returns their event ids in order."""
    rows = [
        {
            "event_id": f"order:O-{n}:1:0",
            "aggregate_type": "order",
            "aggregate_id": f"O-{n}",
            "event_type": "OrderConfirmed",
            "payload": {"order_id": f"O-{n}", "lines": [n, n + 1]},
            "occurred_at": T0.add(seconds=n),
            "created_at": T0.add(seconds=n),
        }
        for n in range(first, first + count)
    ]
    with engine.begin() as connection:
        connection.execute(OUTBOX.insert(), rows)
    return [str(row["event_id"]) for row in rows]


def undelivered(engine: sa.Engine) -> list[str]:
    query = sa.select(OUTBOX.c.event_id).where(OUTBOX.c.dispatched_at.is_(None))
    with engine.connect() as connection:
        return [str(e) for e in connection.execute(query.order_by(OUTBOX.c.seq)).scalars()]


def test_delivers_in_seq_order_and_marks_each_row(engine: sa.Engine) -> None:
    """Every row is delivered once, in seq order, with its fields; then nothing is left."""
    ids = add_events(engine, 5)
    clock = FixedClock(T0)
    seen: list[OutboxRecord] = []
    relay = OutboxRelay(engine, seen.append, clock=clock)
    assert relay.run_once() == 5
    assert [r.event_id for r in seen] == ids
    first = seen[0]
    assert first.aggregate_type == "order"
    assert first.aggregate_id == "O-0"
    assert first.event_type == "OrderConfirmed"
    assert first.payload == {"order_id": "O-0", "lines": [0, 1]}
    assert first.occurred_at == T0
    assert first.occurred_at.tzinfo is not None
    assert undelivered(engine) == []
    assert relay.run_once() == 0
    with engine.connect() as connection:
        stamps = connection.execute(sa.select(OUTBOX.c.dispatched_at)).scalars().all()
    assert stamps == [T0] * 5


def test_batches_follow_each_other(engine: sa.Engine) -> None:
    """``batch`` caps each run; successive runs continue where the last stopped."""
    ids = add_events(engine, 5)
    seen: list[str] = []
    relay = OutboxRelay(engine, lambda r: seen.append(r.event_id), batch=2, clock=FixedClock(T0))
    assert [relay.run_once() for _ in range(4)] == [2, 2, 1, 0]
    assert seen == ids


def test_a_failed_delivery_is_retried_after_the_lease(
    engine: sa.Engine, caplog: pytest.LogCaptureFixture
) -> None:
    """At least once: a deliverer that raises leaves its row claimed until the lease runs out,
    the batch's other rows are delivered, and the failed one is delivered on a later run."""
    ids = add_events(engine, 4)
    clock = FixedClock(T0)
    attempts: list[str] = []
    failing = {ids[1]}

    def deliver(record: OutboxRecord) -> None:
        attempts.append(record.event_id)
        if record.event_id in failing:
            failing.discard(record.event_id)
            raise ConnectionError("the bus is down")

    relay = OutboxRelay(engine, deliver, lease=LEASE, clock=clock)
    with caplog.at_level(logging.ERROR, logger="ecservice.storage.sql"):
        assert relay.run_once() == 3
    assert ids[1] in caplog.text
    assert "the bus is down" in caplog.text
    assert undelivered(engine) == [ids[1]]
    clock.advance(seconds=29)
    assert relay.run_once() == 0  # still leased
    clock.advance(seconds=2)
    assert relay.run_once() == 1
    assert attempts == [*ids, ids[1]]
    assert undelivered(engine) == []


def test_a_crashed_relays_rows_wait_for_its_lease(engine: sa.Engine) -> None:
    """A relay that claimed and died: nobody else takes its rows until the lease expires
    (injected clock), then they are delivered; rows written meanwhile go first to whoever asks."""
    clock = FixedClock(T0)
    ids = add_events(engine, 3)
    crashed = OutboxRelay(engine, lambda r: None, batch=2, lease=LEASE, clock=clock)
    assert [r.event_id for r in crashed.claim()] == ids[:2]  # then it dies
    seen: list[str] = []
    survivor = OutboxRelay(engine, lambda r: seen.append(r.event_id), lease=LEASE, clock=clock)
    assert survivor.run_once() == 1
    assert seen == [ids[2]]
    clock.advance(seconds=30)
    assert survivor.run_once() == 0  # a lease ending now still holds: it expires after
    clock.advance(microseconds=1)
    assert survivor.run_once() == 2
    assert seen == [ids[2], *ids[:2]]


def test_marking_twice_is_harmless(engine: sa.Engine) -> None:
    """Two relays that both delivered a row after a lease expiry: the second mark is a no-op."""
    (event_id,) = add_events(engine, 1)
    relay = OutboxRelay(engine, lambda r: None, clock=FixedClock(T0))
    assert relay.mark_delivered(event_id) is True
    assert relay.mark_delivered(event_id) is False
    assert relay.run_once() == 0


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_store_is_accepted_in_place_of_an_engine(backend: str, tmp_path: Path) -> None:
    """``OutboxRelay(store, ...)`` uses the store's engine."""
    with migrated(backend, tmp_path) as url:
        store = SqlStore(url)
        try:
            ids = add_events(store.engine, 2)
            seen: list[str] = []
            assert OutboxRelay(store, lambda r: seen.append(r.event_id)).run_once() == 2
            assert seen == ids
        finally:
            store.engine.dispose()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"batch": 0}, "batch must be an int of at least 1"),
        ({"batch": True}, "batch must be an int"),
        ({"lease": _dt.timedelta(0)}, "lease must be a timedelta longer than zero"),
        ({"lease": 30}, "lease must be a timedelta"),
    ],
)
def test_bad_options_are_refused(options: dict[str, object], message: str) -> None:
    """A relay with a non-positive batch or lease is a ValidationError."""
    engine = sa.create_engine("sqlite://")
    with pytest.raises(ValidationError, match=message):
        OutboxRelay(engine, lambda r: None, **options)  # type: ignore[arg-type]


# --- relays racing each other in separate processes -------------------------------------------


def _relay_until_empty(url: str, batch: int, start: Any = None) -> list[str]:
    """A relay process: delivers until nothing is claimable; returns what it delivered. With
    ``start`` (a barrier) it waits until every relay is ready."""
    engine = make_engine(url)
    if start is not None:
        start.wait(60)
    seen: list[str] = []
    relay = OutboxRelay(engine, lambda r: seen.append(r.event_id), batch=batch)
    try:
        while relay.run_once():
            pass
    finally:
        engine.dispose()
    return seen


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
def test_concurrent_relays_deliver_every_event_once(backend: str, tmp_path: Path) -> None:
    """Relay processes (8 on PostgreSQL, 3 on one SQLite file) share one outbox of 600 events:
    every event is delivered, none twice (no lease expires during the run), each relay in seq
    order."""
    with migrated(backend, tmp_path) as url:
        engine = make_engine(url)
        ids = add_events(engine, 600)
        engine.dispose()
        spawn = multiprocessing.get_context("spawn")
        relays = 8 if backend == "postgresql" else 3
        with (
            spawn.Manager() as manager,
            concurrent.futures.ProcessPoolExecutor(relays, mp_context=spawn) as pool,
        ):
            start = manager.Barrier(relays)
            results = list(
                pool.map(_relay_until_empty, [url] * relays, [7] * relays, [start] * relays)
            )
        counts = Counter(e for result in results for e in result)
        assert sorted(counts) == sorted(ids)
        assert set(counts.values()) == {1}
        order = {e: n for n, e in enumerate(ids)}
        for result in results:
            assert [order[e] for e in result] == sorted(order[e] for e in result)
        if backend == "postgresql":
            # Started together, relays claim rows side by side (how many get some depends on
            # the scheduler; with a table lock only one would).
            assert sum(1 for r in results if r) >= 2, "SKIP LOCKED lets relays claim rows"
        engine = make_engine(url)
        assert undelivered(engine) == []
        engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_events_a_store_writes_reach_the_deliverer(backend: str, tmp_path: Path) -> None:
    """End to end on a migrated database: the store saves an order's transitions with their
    outbox rows; the relay delivers exactly those records, in order."""
    clock = FixedClock(T0)
    with migrated(backend, tmp_path) as url:
        store = SqlStore(url, clock=clock)
        try:
            with store.unit_of_work() as uow:
                uow.orders.add(attrs.evolve(an_order(clock), id="O-1"))
                uow.commit()
            with store.unit_of_work() as uow:
                order = uow.orders.get("O-1")
                order.confirm(actor=STAFF)
                order.ship(carrier="顺丰", tracking_no="SF1", actor=STAFF)
                uow.orders.save(order)
                uow.commit()
            written = store.outbox()
            seen: list[OutboxRecord] = []
            assert OutboxRelay(store, seen.append, clock=clock).run_once() == len(written)
            assert seen == written
            kinds = [r.event_type for r in seen]
            assert kinds[-2:] == ["OrderConfirmed", "ShipmentDispatched"]
        finally:
            store.engine.dispose()
