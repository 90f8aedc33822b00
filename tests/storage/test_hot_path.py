"""The SQL store's hot path (loads and saves on the DB-API cursor) writes what SQLAlchemy's own
execution writes, translates errors the same way, and steps aside for statement listeners; the
serializer's quick reading of a well-formed history agrees with its full reading."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pendulum
import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from ecservice.clock import FixedClock, ensure_utc
from ecservice.errors import EcServiceError, StorageUnavailable
from ecservice.storage import ORDER_SERIALIZER, datetime_text, parse_datetime
from ecservice.storage.sql import SqlStore
from ecservice.storage.sql._engine import _STATEMENT_EVENTS
from ecservice.workflow import Actor
from tests.storage.aggregates import orders
from tests.storage.conftest import POLICY, empty_pg
from tests.storage.test_repository import add, new_order, shipped_order

START = pendulum.datetime(2026, 11, 11, 10, tz="Asia/Shanghai")
STAFF = Actor.staff("kefu-07")


def _rows(engine: sa.Engine) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The stored rows as the database holds them (JSON and times as text on SQLite)."""
    with engine.connect() as connection:
        aggregates = connection.exec_driver_sql(
            "SELECT type, id, version, schema_version, CAST(document AS TEXT), "
            "CAST(next_due_at AS TEXT), CAST(updated_at AS TEXT) FROM ecs_aggregates "
            "ORDER BY type, id"
        ).all()
        outbox = connection.exec_driver_sql(
            "SELECT seq, event_id, aggregate_type, aggregate_id, event_type, "
            "CAST(payload AS TEXT), CAST(occurred_at AS TEXT), CAST(created_at AS TEXT) "
            "FROM ecs_outbox ORDER BY seq"
        ).all()
    return [tuple(r) for r in aggregates], [tuple(r) for r in outbox]


def _work(store: SqlStore, clock: FixedClock) -> None:
    """Adds confirmed orders, then ships them (the timer is set) and has one received (the
    timer is cleared), a unit of work per save."""
    for n in range(2):
        order = new_order(clock, f"O-{n}")
        order.confirm(actor=STAFF)
        add(store, order)
    for n, change in enumerate(("ship", "ship", "receive")):
        with store.unit_of_work() as uow:
            order = uow.orders.get(f"O-{n % 2}")
            if change == "ship":
                order.ship(carrier="顺丰", tracking_no=f"SF{n}", actor=STAFF)
            else:
                order.confirm_receipt(actor=STAFF, note="签收")
            uow.orders.save(order)
            uow.commit()


def _listened(engine: sa.Engine) -> list[str]:
    """Statements seen by a listener (the store then runs everything through SQLAlchemy)."""
    seen: list[str] = []

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _seen(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    return seen


@pytest.fixture(params=["sqlite", "postgresql"])
def urls(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Two empty databases of one kind: the hot path writes one, SQLAlchemy the other."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'hot.db'}", f"sqlite:///{tmp_path / 'plain.db'}"
        return
    url: str = request.getfixturevalue("pg_url")
    empty_pg(url)
    with sa.create_engine(url).begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA IF EXISTS plain CASCADE")
        connection.exec_driver_sql("CREATE SCHEMA plain")
    plain = sa.make_url(url).update_query_dict({"options": "-csearch_path=plain"})
    yield url, plain.render_as_string(hide_password=False)
    with sa.create_engine(url).begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA IF EXISTS plain CASCADE")


def test_the_hot_path_writes_what_sqlalchemy_writes(urls: tuple[str, str]) -> None:
    """The same units of work, once on the DB-API cursor and once through SQLAlchemy's execution
    (a listener is attached): byte-identical rows, documents, times and outbox rows."""
    clock = FixedClock(START)
    hot = SqlStore(urls[0], clock=clock, timers={"order": _timer()})
    plain = SqlStore(urls[1], clock=FixedClock(START), timers={"order": _timer()})
    seen = _listened(plain.engine)
    for store in (hot, plain):
        store.create_schema()
    _work(hot, clock)
    _work(plain, plain._clock)  # type: ignore[arg-type]
    assert any(s.lstrip().startswith("UPDATE ecs_aggregates") for s in seen)
    aggregates, outbox = _rows(hot.engine)
    assert (aggregates, outbox) == _rows(plain.engine)
    assert [a[5] is None for a in aggregates] == [True, False]  # O-1's timer is set
    assert len(outbox) == 6  # two confirmations, two shipments, a receipt and its completion
    with hot.unit_of_work() as a, plain.unit_of_work() as b:
        for n in range(2):
            assert ORDER_SERIALIZER.dump(a.orders.get(f"O-{n}")) == ORDER_SERIALIZER.dump(
                b.orders.get(f"O-{n}")
            )
    hot.dispose()
    plain.dispose()


def _timer() -> Any:
    from ecservice.storage import order_next_due

    return order_next_due(POLICY)


@pytest.mark.parametrize("event", _STATEMENT_EVENTS)
def test_a_listener_sees_every_statement_of_a_save(tmp_path: Path, event: str) -> None:
    """With a statement listener on the engine, loads and saves go through SQLAlchemy's
    execution, so the listener (logging, tracing) misses none of them."""
    clock = FixedClock(START)
    store = SqlStore(f"sqlite:///{tmp_path / 'shop.db'}", clock=clock)
    store.create_schema()
    add(store, shipped_order(clock, "O-1"))
    seen: list[tuple[Any, ...]] = []
    sa.event.listen(store.engine, event, lambda *args: seen.append(args))
    with store.unit_of_work() as uow:
        order = uow.orders.get("O-1")
        order.confirm_receipt(actor=STAFF)
        uow.orders.save(order)
        uow.commit()
    statements = [
        str(args[1] if event.endswith("_execute") and "cursor" not in event else args[2])
        for args in seen
    ]
    words = [s.split()[0] for s in statements]
    # SQLAlchemy tells the *_execute listeners of its own statements, not of the BEGIN that the
    # store's begin hook sends (as it always did); the cursor listeners see that one too.
    begin = ["BEGIN"] if "cursor" in event else []
    # Confirming receipt closes the order: its facts row is replaced (DELETE, INSERT) before the
    # outbox row is written.
    assert words == [*begin, "SELECT", "UPDATE", "DELETE", "INSERT", "INSERT"]
    store.dispose()


def test_echo_sends_every_statement_through_sqlalchemy(tmp_path: Path) -> None:
    """An engine that logs its statements (``echo``) logs those of loads and saves too."""
    clock = FixedClock(START)
    store = SqlStore(f"sqlite:///{tmp_path / 'shop.db'}", clock=clock)
    store.create_schema()
    add(store, shipped_order(clock, "O-1"))
    store.engine.echo = True
    with store.unit_of_work() as uow:
        uow.orders.get("O-1")
        assert uow._current._hot is None  # type: ignore[union-attr]
    store.engine.echo = False
    with store.unit_of_work() as uow:
        uow.orders.get("O-1")
        assert uow._current._hot is not None  # type: ignore[union-attr]
    store.dispose()


def test_driver_errors_on_the_hot_path_become_library_errors(tmp_path: Path) -> None:
    """A statement of the hot path that fails in the driver raises StorageUnavailable naming
    what failed, chained to SQLAlchemy's error (as SQLAlchemy's execution raises it)."""
    clock = FixedClock(START)
    store = SqlStore(f"sqlite:///{tmp_path / 'shop.db'}", clock=clock)
    store.create_schema()
    add(store, shipped_order(clock, "O-1"))
    with store.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE ecs_aggregates")
    with (
        store.unit_of_work() as uow,
        pytest.raises(
            StorageUnavailable, match="failed to read order 'O-1': no such table"
        ) as info,
    ):
        uow.orders.get("O-1")
    assert isinstance(info.value.__cause__, sa.exc.OperationalError)
    store.dispose()


# --- reading a history ------------------------------------------------------------------------


def _both(document: dict[str, Any]) -> tuple[object, object]:
    """What the quick reading returns, and the full reading's records or problems."""
    body = document["body"]
    quick = ORDER_SERIALIZER._well_formed_history(copy.deepcopy(body["history"]))
    problems: list[str] = []
    causes: list[EcServiceError] = []
    full = ORDER_SERIALIZER._history(copy.deepcopy(body["history"]), problems, causes)
    return quick, (problems if problems else full)


_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.sampled_from(
        [
            "",
            " ",
            "x",
            "a\u202enote",
            "STAFF",
            "BUYER",
            "PROCESSING",
            "IN_TRANSIT",
            "2026-11-11T02:00:00.000000+00:00",
            "2026-11-11T02:00:00Z",
            "2026-11-11T10:00:00+08:00",
            "2026-11-11T02:00:00",
            "2026-02-30T02:00:00Z",
        ]
    ),
    st.just({"kind": "STAFF", "id": "kefu-07"}),
    st.just({"kind": "STAFF", "id": " kefu"}),
    st.just({"kind": "ROBOT", "id": "r"}),
    st.just({"kind": "STAFF", "id": "k", "x": 1}),
    st.just({"kind": "STAFF"}),
    st.just([]),
)


@settings(max_examples=150, deadline=None)
@given(
    order=orders(max_steps=8),
    where=st.integers(0, 50),
    key=st.sampled_from(["trigger", "source", "dest", "at", "actor", "note", "extra", "drop"]),
    value=_VALUES,
)
def test_the_quick_history_reading_agrees_with_the_full_one(
    order: Any, where: int, key: str, value: object
) -> None:
    """Whatever one record is changed to, the quick reading either gives up (the full reading
    then reports the problems) or returns exactly the records the full reading returns, and it
    never accepts a history in which the full reading finds a problem."""
    document: dict[str, Any] = dict(ORDER_SERIALIZER.dump(order))
    history = document["body"]["history"]
    quick, full = _both(document)
    if history:
        assert quick == full  # an intact history is read quickly
        record = history[where % len(history)]
        if key == "drop":
            del record["note"]
        else:
            record[key] = value
        quick, full = _both(document)
    if quick is not None:
        assert quick == full
        assert isinstance(full, tuple)


@settings(max_examples=200, deadline=None)
@given(
    st.datetimes(
        min_value=dt.datetime(1, 1, 2),
        max_value=dt.datetime(9999, 12, 30),
        timezones=st.just(dt.UTC),
    ),
    st.sampled_from(["+00:00", "Z"]),
)
def test_utc_text_is_read_as_the_general_reading_reads_it(value: dt.datetime, suffix: str) -> None:
    """Text in UTC (what the store writes, or with Z) is read to the same pendulum instant,
    type and time zone as converting the parsed datetime to UTC."""
    text = value.replace(tzinfo=None).isoformat(timespec="microseconds") + suffix
    read = parse_datetime(text)
    expected = ensure_utc(dt.datetime.fromisoformat(text))
    assert (read, type(read), read.tzinfo, read.fold) == (
        expected,
        type(expected),
        expected.tzinfo,
        expected.fold,
    )


@settings(max_examples=200, deadline=None)
@given(
    st.datetimes(
        min_value=dt.datetime(1, 1, 2),
        max_value=dt.datetime(9999, 12, 30),
        timezones=st.sampled_from([dt.UTC, pendulum.UTC, pendulum.timezone("Asia/Shanghai")]),
    )
)
def test_instants_are_written_as_isoformat_writes_them(value: dt.datetime) -> None:
    """An instant is written as ISO text in UTC with microseconds, whether it is a pendulum
    instant in UTC (written without asking its time zone) or any other aware datetime."""
    try:
        utc = ensure_utc(value)
    except EcServiceError:  # outside the years 1 to 9999 once in UTC
        return
    expected = utc.isoformat(timespec="microseconds")
    assert datetime_text(value) == expected == datetime_text(utc)
    assert expected.endswith("+00:00")
