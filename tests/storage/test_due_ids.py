"""``Repository.due_ids`` claims the same rows as ``due``, in the same order and with the same
locks, without reading a document: in memory, on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator, Mapping
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pendulum
import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from pendulum import DateTime

from ecservice.clock import FixedClock
from ecservice.errors import NaiveDatetime, ValidationError
from ecservice.orders import Order
from ecservice.storage import AggregateSerializer, MemoryStore, Store, Timer
from ecservice.storage.sql import METADATA, SqlStore
from tests.storage.aggregates import an_order
from tests.storage.conftest import START, empty_pg

#: The instant the timers are read at; every schedule is relative to it.
NOW = pendulum.datetime(2026, 11, 20, 2, 0, 0, 123456, tz="UTC")
#: Orders under a second document type, whose rows ``uow.orders`` never returns.
COPIES = AggregateSerializer(Order, "order_copy")

Schedule = dict[str, DateTime | None]


def timers(schedule: Mapping[str, DateTime | None]) -> dict[str, Timer]:
    """Timers that answer what ``schedule`` says for the aggregate's id (orders and copies)."""

    def timer(aggregate: Any) -> DateTime | None:
        return schedule.get(aggregate.id)

    return {"order": timer, "order_copy": timer}


def order(id: str, clock: FixedClock) -> Order[Any]:
    return attrs.evolve(an_order(clock), id=id)


@pytest.fixture
def schedule() -> Schedule:
    """When each aggregate's timer is due, by id (read at every save)."""
    return {}


@pytest.fixture
def timed(store_url: str | None, clock: FixedClock, schedule: Schedule) -> Iterator[Store]:
    """An empty store (memory, SQLite, PostgreSQL) whose timers read :func:`schedule`."""
    if store_url is None:
        yield MemoryStore(clock=clock, timers=timers(schedule))
        return
    # A short wait for SQLite's lock: a test that finds the database locked fails at once.
    store = SqlStore(store_url, clock=clock, timers=timers(schedule), busy_timeout=0.5)
    yield store
    store.dispose()


def add(store: Store, clock: FixedClock, schedule: Schedule, **due: DateTime | None) -> None:
    """Store an order per keyword (its id, ``_`` for ``-``) due at the value."""
    with store.unit_of_work() as uow:
        for key, at in due.items():
            id = key.replace("_", "-")
            schedule[id] = at
            uow.orders.add(order(id, clock))
        uow.commit()


def test_the_longest_overdue_come_first_ties_by_id(
    timed: Store, clock: FixedClock, schedule: Schedule
) -> None:
    add(
        timed,
        clock,
        schedule,
        A_2=NOW.subtract(hours=1),
        A_3=NOW.subtract(hours=2),
        A_1=NOW.subtract(hours=1),  # the same instant as A-2: ordered by id
        A_4=NOW,
        A_5=NOW.add(microseconds=1),
        A_6=None,
    )
    with timed.unit_of_work() as uow:
        ids = uow.orders.due_ids(NOW)
        assert ids == ["A-3", "A-1", "A-2", "A-4"]
        assert uow.orders.due_ids(NOW, limit=2) == ["A-3", "A-1"]
        assert uow.orders.due_ids(NOW, 1) == ["A-3"]
        assert [o.id for o in uow.orders.due(NOW)] == ids
        # Any zone: the instant is compared.
        assert uow.orders.due_ids(NOW.in_timezone("Asia/Shanghai")) == ids
        assert uow.orders.due_ids(NOW.subtract(hours=3)) == []


def test_a_timer_is_due_at_its_instant_not_a_microsecond_before(
    timed: Store, clock: FixedClock, schedule: Schedule
) -> None:
    add(timed, clock, schedule, B_1=NOW)
    with timed.unit_of_work() as uow:
        assert uow.orders.due_ids(NOW) == ["B-1"]
        assert uow.orders.due_ids(NOW.subtract(microseconds=1)) == []
        # A standard-library datetime in the shop's zone, at the same instant.
        local = _dt.datetime(2026, 11, 20, 10, 0, 0, 123456, ZoneInfo("Asia/Shanghai"))
        assert uow.orders.due_ids(local) == ["B-1"]


def test_rows_of_other_types_are_not_returned(
    timed: Store, clock: FixedClock, schedule: Schedule
) -> None:
    add(timed, clock, schedule, O_1=NOW.subtract(minutes=1))
    schedule["C-1"] = NOW.subtract(days=1)
    with timed.unit_of_work() as uow:
        uow.repository(COPIES).add(order("C-1", clock))
        uow.commit()
    with timed.unit_of_work() as uow:
        assert uow.orders.due_ids(NOW) == ["O-1"]
        assert uow.repository(COPIES).due_ids(NOW) == ["C-1"]
        assert uow.carts.due_ids(NOW) == []


def test_ids_added_in_the_unit_of_work_are_seen_by_it(
    timed: Store, clock: FixedClock, schedule: Schedule
) -> None:
    schedule["N-1"] = NOW
    with timed.unit_of_work() as uow:
        uow.orders.add(order("N-1", clock))
        assert uow.orders.due_ids(NOW) == ["N-1"]
        # not committed: gone with the unit of work
    with timed.unit_of_work() as uow:
        assert uow.orders.due_ids(NOW) == []


BAD_ARGUMENTS = [
    pytest.param({"now": NOW.naive()}, NaiveDatetime, "now", id="naive now"),
    pytest.param({"now": "2026-11-20T02:00:00Z"}, ValidationError, "now", id="text now"),
    pytest.param({"limit": 0}, ValidationError, "not 0", id="limit 0"),
    pytest.param({"limit": 10_001}, ValidationError, "not 10001", id="limit past the most"),
    pytest.param({"limit": True}, ValidationError, "not True", id="limit bool"),
    pytest.param({"limit": 5.0}, ValidationError, r"not 5\.0", id="limit float"),
    pytest.param({"limit": "5"}, ValidationError, "not '5'", id="limit str"),
    pytest.param({"limit": 10**5000}, ValidationError, "about 5001 digits", id="limit huge"),
]


@pytest.mark.parametrize(("arguments", "error", "message"), BAD_ARGUMENTS)
def test_a_bad_argument_is_refused_and_claims_nothing(
    timed: Store,
    clock: FixedClock,
    schedule: Schedule,
    arguments: dict[str, Any],
    error: type[ValidationError],
    message: str,
) -> None:
    add(timed, clock, schedule, E_1=NOW, E_2=NOW)
    call: dict[str, Any] = {"now": NOW, "limit": 10, **arguments}
    with timed.unit_of_work() as uow:
        with pytest.raises(error, match=message):
            uow.orders.due_ids(**call)
        with pytest.raises(error, match=message):
            uow.orders.due(**call)
        # Nothing was read or locked: another unit of work claims every due id meanwhile (on
        # SQLite it would wait for the write lock, and fail, had a transaction begun).
        with timed.unit_of_work() as other:
            assert other.orders.due_ids(NOW) == ["E-1", "E-2"]
            other.commit()
        assert uow.orders.due_ids(NOW) == ["E-1", "E-2"]


@pytest.fixture
def pg_timed(pg_url: str, clock: FixedClock, schedule: Schedule) -> Iterator[SqlStore]:
    """An empty PostgreSQL store whose timers read :func:`schedule`."""
    empty_pg(pg_url)
    store = SqlStore(pg_url, clock=clock, timers=timers(schedule))
    yield store
    store.dispose()


def test_concurrent_claims_on_postgresql_are_disjoint(
    pg_timed: SqlStore, clock: FixedClock, schedule: Schedule
) -> None:
    timed = pg_timed
    add(timed, clock, schedule, **{f"P_{n}": NOW.subtract(minutes=n) for n in range(1, 6)})
    everything = ["P-5", "P-4", "P-3", "P-2", "P-1"]
    with timed.unit_of_work() as first, timed.unit_of_work() as second:
        mine = first.orders.due_ids(NOW, 2)
        theirs = second.orders.due_ids(NOW, 10)
        assert mine == ["P-5", "P-4"]
        assert theirs == ["P-3", "P-2", "P-1"]
        # due() skips the rows due_ids locked, and the other way round.
        with timed.unit_of_work() as third:
            assert third.orders.due(NOW) == []
            assert third.orders.due_ids(NOW) == []
    with timed.unit_of_work() as after:
        assert after.orders.due_ids(NOW) == everything


# --- the same ids as due(), drawn at random (memory and SQLite) ------------------------------

#: Instants a few seconds (and microseconds) around NOW: many ties, many boundaries.
_INSTANTS = st.builds(
    lambda s, us: NOW.add(seconds=s, microseconds=us),
    st.integers(-3, 3),
    st.sampled_from([0, 0, 1, 999_999]),
)


@pytest.fixture(scope="module")
def sqlite_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Schedule, SqlStore]]:
    """An SQLite store (emptied by each example) and the schedule its timers read."""
    schedule: Schedule = {}
    url = f"sqlite:///{tmp_path_factory.mktemp('due') / 'shop.db'}"
    sqlite = SqlStore(url, clock=FixedClock(START), timers=timers(schedule))
    sqlite.create_schema()
    yield schedule, sqlite
    sqlite.dispose()


@settings(max_examples=40, deadline=None)
@given(
    due=st.lists(st.one_of(st.none(), _INSTANTS), max_size=10),
    now=_INSTANTS,
    limit=st.integers(1, 12),
    order_of_ids=st.randoms(use_true_random=False),
)
def test_due_ids_are_the_ids_of_due(
    sqlite_store: tuple[Schedule, SqlStore],
    due: list[DateTime | None],
    now: DateTime,
    limit: int,
    order_of_ids: Any,
) -> None:
    schedule, sqlite = sqlite_store
    ids = [f"R-{n:02d}" for n in range(len(due))]
    order_of_ids.shuffle(ids)  # stored in no particular order
    schedule.clear()
    schedule.update(zip(ids, due, strict=True))
    expected = sorted((at, id) for id, at in schedule.items() if at is not None and at <= now)
    clock = FixedClock(START)
    memory = MemoryStore(clock=clock, timers=timers(schedule))
    with sqlite.engine.begin() as connection:
        for table in reversed(METADATA.sorted_tables):
            connection.execute(sa.delete(table))
    for store in (memory, sqlite):
        with store.unit_of_work() as uow:
            for id in ids:
                uow.orders.add(order(id, clock))
            uow.commit()
        with store.unit_of_work() as uow:
            claimed = uow.orders.due_ids(now, limit)
            assert claimed == [o.id for o in uow.orders.due(now, limit)]
            assert claimed == [id for _, id in expected][:limit]
