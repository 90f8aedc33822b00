"""The held-orders report from the database equals the in-memory report, figure for figure.

Random sets of orders placed on and around the window's bounds are stored in SQLite and
PostgreSQL as placed, then changed by a random path of holds, releases, confirmations and
cancellations and saved again (so that the facts are rewritten by the saves whose hold digest
changed, and only by them); :class:`~ecservice.storage.sql.SqlOrderReports` must answer exactly
what :func:`~ecservice.orders.held_orders_report` answers over the same orders, at an instant
after their last saves, and also at one between a hold's end and the last save.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator
from typing import Any

import pendulum
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecservice.aftersales import Rate
from ecservice.clock import FixedClock
from ecservice.errors import ValidationError
from ecservice.money import Money
from ecservice.orders import (
    Address,
    HoldReason,
    Order,
    OrderLine,
    OrderStatus,
    held_orders_report,
)
from ecservice.storage.sql import SqlOrderReports, SqlStore
from tests.storage.pgdb import fresh_pg_database

ZONE = "Asia/Shanghai"
#: The window's end: the start of 2026-03-10 in Shanghai.
DAY = pendulum.datetime(2026, 3, 10, tz=ZONE)
STAFF_ID = "kefu-1"
EXAMPLES = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ADDRESS = Address(recipient="A", phone="13800138000", province="P", city="C", street="S 1")


def new_order(id: str, placed: pendulum.DateTime) -> Order:
    return Order(
        id=id,
        buyer_id="u-1",
        lines=[OrderLine(sku="A", name="a", unit_price=Money("9.90", "CNY"), quantity=2)],
        address=ADDRESS,
        shipping_fee=Money("5.00", "CNY"),
        created_at=placed,
        clock=FixedClock(placed),
    )


@st.composite
def path(draw: st.DrawFn, order: Order) -> None:
    """Drive ``order`` along a random path of holds, releases, confirmations, cancellations."""
    from ecservice.workflow import Actor

    staff = Actor.staff(STAFF_ID)
    clock = order.clock
    assert isinstance(clock, FixedClock)
    for _ in range(draw(st.integers(0, 6))):
        clock.advance(seconds=draw(st.integers(1, 3 * 86_400)))
        step = draw(st.sampled_from(["hold", "release", "confirm", "cancel"]))
        if step == "hold" and order.can("hold", actor=staff, reason=HoldReason.MANUAL, detail="d"):
            reason = draw(st.sampled_from(list(HoldReason)))
            order.hold(reason=reason, detail="found", actor=staff)
        elif step == "release" and order.can("release", actor=staff):
            order.release(actor=staff)
        elif step == "confirm" and order.can("confirm", actor=staff):
            order.confirm(actor=staff)
        elif (
            step == "cancel"
            and draw(st.integers(0, 2)) == 0
            and order.can("cancel", actor=staff, reason="r")
        ):
            order.cancel(reason="r", actor=staff)


@st.composite
def shops(draw: st.DrawFn) -> dict[str, Any]:
    days = draw(st.sampled_from([1, 3, 7]))
    start = DAY.subtract(days=days)
    instants = [
        start,
        start.subtract(microseconds=1),
        DAY.subtract(microseconds=1),
        DAY,
        start.add(hours=draw(st.integers(0, days * 24 - 1)), minutes=draw(st.integers(0, 59))),
    ]
    placed = [
        new_order(f"O-{n}", draw(st.sampled_from(instants)).in_timezone("UTC"))
        for n in range(draw(st.integers(0, 6)))
    ]
    return {"orders": placed, "days": days}


def empty(url: str) -> None:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as connection:
        for table in ("ecs_aggregates", "ecs_outbox", "ecs_order_facts"):
            connection.exec_driver_sql(f"DELETE FROM {table}")
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    """An empty database with the store's tables."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/orders.db"
        store = SqlStore(url)
        store.create_schema()
        store.dispose()
        yield url
        return
    with fresh_pg_database() as url:
        store = SqlStore(url)
        store.create_schema()
        store.dispose()
        yield url


@EXAMPLES
@given(
    shop=shops(),
    data=st.data(),
    later=st.sampled_from([_dt.timedelta(0), _dt.timedelta(days=9)]),
)
def test_the_sql_report_equals_the_report_in_memory(
    database: str, shop: dict[str, Any], data: st.DataObject, later: _dt.timedelta
) -> None:
    empty(database)
    orders: list[Order] = shop["orders"]
    store = SqlStore(database, clock=FixedClock(DAY))
    try:
        with store.unit_of_work() as uow:
            for order in orders:
                uow.orders.add(order)
            uow.commit()
        for order in orders:
            with store.unit_of_work() as uow:
                stored = uow.orders.get(order.id)
                stored.clock = order.clock
                data.draw(path(stored))
                if stored.version:
                    uow.orders.save(stored)
                uow.commit()
            orders[orders.index(order)] = stored
        last = max((o.clock.now() for o in orders), default=DAY)
        instants = [max(last, DAY) + later]
        ends = [h.ended_at for o in orders for h in o.holds if h.ended_at is not None]
        instants.extend(e for e in ends if e >= DAY)
        for now in instants:
            expected = held_orders_report(orders, now=now, zone=ZONE, days=shop["days"])
            found = SqlOrderReports(store).held_orders(now=now, zone=ZONE, days=shop["days"])
            assert found == expected
    finally:
        store.dispose()


def test_a_held_order_is_counted_by_reason_outcome_and_time(tmp_path: Any) -> None:
    """One order held for a low price and released two hours later, one held and cancelled,
    one still held, one never held: the figures, in SQL and in memory."""
    from ecservice.workflow import Actor

    staff = Actor.staff(STAFF_ID)
    placed = DAY.subtract(days=1).add(hours=10).in_timezone("UTC")
    orders = [new_order(f"O-{n}", placed) for n in range(4)]
    orders[0].hold(reason=HoldReason.LOW_PRICE, detail="8.00 CNY", actor=staff)
    orders[0].clock.advance(hours=2)  # type: ignore[attr-defined]
    orders[0].release(actor=staff)
    orders[1].hold(reason=HoldReason.ADDRESS, detail="no such street", actor=staff)
    orders[1].clock.advance(hours=5)  # type: ignore[attr-defined]
    orders[1].cancel(reason="address", actor=staff)
    orders[2].hold(reason=HoldReason.LOW_PRICE, detail="1.00 CNY", actor=staff)
    store = SqlStore(f"sqlite:///{tmp_path}/o.db", clock=FixedClock(DAY))
    store.create_schema()
    try:
        with store.unit_of_work() as uow:
            for order in orders:
                uow.orders.add(order)
            uow.commit()
        found = SqlOrderReports(store).held_orders(now=DAY, zone=ZONE, days=1)
    finally:
        store.dispose()
    assert found == held_orders_report(orders, now=DAY, zone=ZONE, days=1)
    assert (found.orders, found.held, found.share) == (4, 3, Rate(3, 4))
    assert found.by_reason == {HoldReason.ADDRESS: 1, HoldReason.LOW_PRICE: 2}
    assert (found.released, found.cancelled, found.still_held) == (1, 1, ("O-2",))
    assert found.handling_median == _dt.timedelta(hours=2)
    assert found.handling_p90 == _dt.timedelta(hours=5)
    assert orders[1].status is OrderStatus.CANCELLED


def test_a_save_that_only_holds_writes_the_facts(tmp_path: Any) -> None:
    """Holding and releasing in one transaction changes the digest (the hold count), so the
    facts are rewritten although the status is the same before and after."""
    from ecservice.workflow import Actor

    staff = Actor.staff(STAFF_ID)
    store = SqlStore(f"sqlite:///{tmp_path}/o.db", clock=FixedClock(DAY))
    store.create_schema()
    order = new_order("O-1", DAY.subtract(hours=3).in_timezone("UTC"))
    try:
        with store.unit_of_work() as uow:
            uow.orders.add(order)
            uow.commit()
        with store.unit_of_work() as uow:
            stored = uow.orders.get("O-1")
            stored.hold(reason=HoldReason.MANUAL, detail="look", actor=staff)
            stored.release(actor=staff)
            uow.orders.save(stored)
            uow.commit()
        report = SqlOrderReports(store).held_orders(now=DAY, zone=ZONE, days=1)
    finally:
        store.dispose()
    assert (report.held, report.released) == (1, 1)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValidationError, match="SqlStore"):
        SqlOrderReports("sqlite://")  # type: ignore[arg-type]
    store = SqlStore("sqlite://")
    store.create_schema()
    try:
        with pytest.raises(ValidationError):
            SqlOrderReports(store).held_orders(now=DAY, zone="Mars/Base", days=1)
        with pytest.raises(ValidationError):
            SqlOrderReports(store).held_orders(now=DAY, zone=ZONE, days=0)
    finally:
        store.dispose()
