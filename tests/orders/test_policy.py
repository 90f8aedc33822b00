"""Tests of :class:`AutoConfirmPolicy` (自动确认收货): calendar days in the shop's zone, DST."""

from __future__ import annotations

import datetime as _dt
import re
from decimal import Decimal
from typing import Any

import attrs
import pendulum
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecservice.clock import FixedClock
from ecservice.errors import NaiveDatetime, PolicyViolation, ValidationError
from ecservice.money import Money
from ecservice.orders import (
    Address,
    AutoConfirmPolicy,
    Order,
    OrderLine,
    OrderStatus,
    ShipmentReceived,
)
from ecservice.workflow import Actor, ActorKind
from tests.strategies import aware_datetimes, zones

HOUR = _dt.timedelta(hours=1)
DAY = _dt.timedelta(days=1)


def local(policy: AutoConfirmPolicy, value: pendulum.DateTime) -> pendulum.DateTime:
    return value.in_tz(policy.zone)


# --- construction --------------------------------------------------------------------------------


def test_defaults_are_ten_days_in_shanghai() -> None:
    """Unless told otherwise, parcels confirm themselves after 10 days, Shanghai time."""
    policy = AutoConfirmPolicy()
    assert (policy.days, policy.zone) == (10, "Asia/Shanghai")


@pytest.mark.parametrize("days", [0, -1, True, 1.5, "10", None])
def test_days_must_be_a_whole_number_of_at_least_one(days: object) -> None:
    """Zero, negatives, bools, floats and strings are refused."""
    with pytest.raises(ValidationError, match="days"):
        AutoConfirmPolicy(days=days)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["Mars/Base", "", "+08:00", "CST-8"])
def test_zone_must_be_an_iana_name(name: str) -> None:
    """Unknown zones and offsets are refused when the policy is made."""
    with pytest.raises(ValidationError, match="zone"):
        AutoConfirmPolicy(zone=name)


# --- due_at --------------------------------------------------------------------------------------


def test_due_at_in_shanghai_is_exactly_n_days_later_in_utc() -> None:
    """China has no DST: 10 days later at the same wall-clock time is exactly 240 hours later."""
    policy = AutoConfirmPolicy(days=10, zone="Asia/Shanghai")
    shipped = pendulum.datetime(2026, 11, 11, 23, 30, tz="Asia/Shanghai")  # 15:30 UTC
    due = policy.due_at(shipped)
    assert due.utcoffset() == _dt.timedelta(0)
    assert due == shipped + 10 * DAY
    assert due.isoformat() == "2026-11-21T15:30:00+00:00"


def test_days_are_counted_in_the_shop_zone_not_in_utc() -> None:
    """A parcel shipped at 01:00 Shanghai (the previous day in UTC) is due on the Shanghai date
    plus n days, at 01:00 Shanghai."""
    policy = AutoConfirmPolicy(days=3, zone="Asia/Shanghai")
    shipped = pendulum.datetime(2026, 5, 31, 17, 0, tz="UTC")  # 2026-06-01 01:00 in Shanghai
    due_local = local(policy, policy.due_at(shipped))
    assert (due_local.month, due_local.day, due_local.hour) == (6, 4, 1)


@pytest.mark.parametrize(
    ("zone", "shipped", "due_utc", "offset_hours"),
    [
        # US spring forward (8 March 2026): shipped in EST (UTC-5), due in EDT (UTC-4).
        ("America/New_York", (2026, 3, 1, 15, 0), "2026-03-11T19:00:00+00:00", (-5, -4)),
        # US fall back (1 November 2026): shipped in EDT, due in EST.
        ("America/New_York", (2026, 10, 25, 15, 0), "2026-11-04T20:00:00+00:00", (-4, -5)),
        # EU spring forward (29 March 2026): shipped in CET (UTC+1), due in CEST (UTC+2).
        ("Europe/Berlin", (2026, 3, 25, 10, 0), "2026-04-04T08:00:00+00:00", (1, 2)),
        # EU fall back (25 October 2026): shipped in CEST, due in CET.
        ("Europe/Berlin", (2026, 10, 20, 10, 0), "2026-10-30T09:00:00+00:00", (2, 1)),
    ],
    ids=["us-spring-forward", "us-fall-back", "eu-spring-forward", "eu-fall-back"],
)
def test_due_at_keeps_the_local_wall_clock_time_across_dst(
    zone: str, shipped: tuple[int, ...], due_utc: str, offset_hours: tuple[int, int]
) -> None:
    """Across a DST change, the due time is the same local time n days later, so its UTC offset
    differs from the shipping time's and the elapsed time is n days plus or minus one hour."""
    policy = AutoConfirmPolicy(days=10, zone=zone)
    shipped_at = pendulum.datetime(*shipped, tz=zone)
    due = policy.due_at(shipped_at)
    assert due.isoformat() == due_utc
    due_local = local(policy, due)
    assert (due_local.hour, due_local.minute) == (shipped_at.hour, shipped_at.minute)
    assert due_local.date() == shipped_at.date() + 10 * DAY
    before, after = offset_hours
    assert shipped_at.utcoffset() == before * HOUR
    assert due_local.utcoffset() == after * HOUR
    assert due - shipped_at == 10 * DAY + (before - after) * HOUR


def test_due_at_accepts_a_shipping_time_given_in_any_zone() -> None:
    """The shipping time's own zone does not matter, only the instant and the policy's zone."""
    policy = AutoConfirmPolicy(days=10, zone="America/New_York")
    in_ny = pendulum.datetime(2026, 3, 1, 15, 0, tz="America/New_York")
    assert policy.due_at(in_ny.in_tz("Asia/Tokyo")) == policy.due_at(in_ny)
    assert policy.due_at(in_ny.in_tz("UTC")) == policy.due_at(in_ny)
    stdlib = _dt.datetime(2026, 3, 1, 20, 0, tzinfo=_dt.UTC)
    assert policy.due_at(stdlib) == policy.due_at(in_ny)


@pytest.mark.parametrize(
    ("zone", "shipped", "due_local_hm"),
    [
        # 02:30 on 1 March exists; on 8 March (US spring forward) 02:00-03:00 does not.
        ("America/New_York", (2026, 3, 1, 2, 30), (3, 30)),
        # 02:30 on 22 March exists; on 29 March (EU spring forward) it does not.
        ("Europe/Berlin", (2026, 3, 22, 2, 30), (3, 30)),
    ],
)
def test_due_time_in_the_dst_gap_moves_forward(
    zone: str, shipped: tuple[int, ...], due_local_hm: tuple[int, int]
) -> None:
    """Shipped at a local time that does not exist on the due day: the due time moves forward
    by the gap (02:30 becomes 03:30 summer time), still on the due day, one real hour early."""
    policy = AutoConfirmPolicy(days=7, zone=zone)
    shipped_at = pendulum.datetime(*shipped, tz=zone)
    due_local = local(policy, policy.due_at(shipped_at))
    assert due_local.date() == shipped_at.date() + 7 * DAY
    assert (due_local.hour, due_local.minute) == due_local_hm
    assert policy.due_at(shipped_at) - shipped_at == 7 * DAY


def test_due_at_rejects_naive_shipping_times() -> None:
    """A naive shipping time raises NaiveDatetime."""
    with pytest.raises(NaiveDatetime, match="shipped_at"):
        AutoConfirmPolicy().due_at(_dt.datetime(2026, 1, 1, 12, 0))


@settings(max_examples=80, deadline=None)
@given(shipped=aware_datetimes(), zone=zones(), days=st.integers(1, 60))
def test_due_at_is_n_local_days_later_within_an_hour(
    shipped: pendulum.DateTime, zone: str, days: int
) -> None:
    """In every zone the due date is the local shipping date plus ``days``, and the elapsed time
    differs from ``days`` x 24 hours by at most the DST shift of one hour."""
    policy = AutoConfirmPolicy(days=days, zone=zone)
    due = policy.due_at(shipped)
    assert due.utcoffset() == _dt.timedelta(0)
    assert local(policy, due).date() == local(policy, shipped).date() + days * DAY
    assert abs((due - shipped) - days * DAY) <= HOUR


# --- is_due --------------------------------------------------------------------------------------


def test_is_due_from_exactly_the_due_time_on() -> None:
    """A microsecond before the due time is not due; the due time itself and later are."""
    policy = AutoConfirmPolicy(days=10, zone="America/New_York")
    shipped = pendulum.datetime(2026, 3, 1, 15, 0, tz="America/New_York")
    due = policy.due_at(shipped)
    assert not policy.is_due(shipped, due - _dt.timedelta(microseconds=1))
    assert policy.is_due(shipped, due)
    assert policy.is_due(shipped, due.in_tz("Asia/Shanghai"))
    assert policy.is_due(shipped, due + _dt.timedelta(microseconds=1))
    # 10 x 24 hours after shipping is still an hour early, because of spring forward.
    assert not policy.is_due(shipped, shipped + 10 * DAY - HOUR - _dt.timedelta(microseconds=1))


def test_is_due_rejects_naive_now() -> None:
    """``now`` must be aware too."""
    shipped = pendulum.datetime(2026, 3, 1, tz="UTC")
    with pytest.raises(NaiveDatetime, match="now"):
        AutoConfirmPolicy().is_due(shipped, _dt.datetime(2026, 4, 1))


# --- end to end with an order --------------------------------------------------------------------


def _shipped_order(clock: FixedClock) -> Order:
    order = Order(
        id="O-1",
        buyer_id="u-1",
        lines=[
            OrderLine(
                sku="TEA",
                name="tea",
                unit_price=Money("88.00", "CNY"),
                quantity=2,
                weight_kg=Decimal("0.3"),
            )
        ],
        address=Address(
            recipient="王小明",
            phone="138 0013 8000",
            province="浙江省",
            city="杭州市",
            street="龙井路 1 号",
        ),
        shipping_fee=Money("10.00", "CNY"),
        created_at=clock.now(),
        clock=clock,
    )
    order.confirm(actor=Actor.staff("s-1"))
    order.ship(carrier="SF", tracking_no="SF1", actor=Actor.staff("s-1"))
    order.pull_events()
    return order


def _state(order: Order) -> dict[str, Any]:
    return {**attrs.asdict(order, recurse=False), "pending": order.pending_events}


def test_auto_confirm_refuses_before_due_and_confirms_at_due() -> None:
    """An order shipped 15:00 New York time before spring forward: one microsecond before the due
    time auto_confirm raises PolicyViolation and changes nothing; at the due time the parcel is
    received automatically and the order is DONE."""
    clock = FixedClock(pendulum.datetime(2026, 3, 1, 15, 0, tz="America/New_York"))
    order = _shipped_order(clock)
    policy = AutoConfirmPolicy(days=10, zone="America/New_York")
    due = order.auto_confirm_due_at(policy)
    assert due == pendulum.datetime(2026, 3, 11, 15, 0, tz="America/New_York")

    clock.set(due - _dt.timedelta(microseconds=1))
    before = _state(order)
    with pytest.raises(PolicyViolation, match=re.escape(due.isoformat())):
        order.auto_confirm(policy)
    assert _state(order) == before
    assert order.status is OrderStatus.IN_TRANSIT

    clock.set(due)
    record = order.auto_confirm(policy)
    assert order.status is OrderStatus.DONE
    assert (record.source, record.dest) == (OrderStatus.IN_TRANSIT, OrderStatus.DONE)
    assert record.at == due
    assert record.actor.kind is ActorKind.SYSTEM
    (shipment,) = order.shipments
    assert shipment.received_at == due
    assert not shipment.travelling
    received = [e for e in order.pull_events() if isinstance(e, ShipmentReceived)]
    assert [(e.shipment_id, e.automatic) for e in received] == [(shipment.id, True)]


def test_the_scheduled_job_confirms_only_orders_with_a_due_parcel() -> None:
    """auto_confirm_due skips orders not in transit and orders with nothing due, confirms the
    rest, and returns one record per confirmed order."""
    from ecservice.orders import auto_confirm_due

    clock = FixedClock(pendulum.datetime(2026, 10, 20, 9, 0, tz="Europe/Berlin"))
    early = _shipped_order(clock)
    clock.advance(days=3)
    late = _shipped_order(clock)
    waiting = _shipped_order(clock)
    waiting.confirm_receipt(actor=Actor.buyer("b"))
    policy = AutoConfirmPolicy(days=7, zone="Europe/Berlin")
    clock.set(policy.due_at(early.shipments[0].shipped_at))
    records = auto_confirm_due([early, late, waiting], policy)
    assert [r.trigger for r in records] == ["auto_confirm"]
    assert early.status is OrderStatus.DONE
    assert late.status is OrderStatus.IN_TRANSIT
    assert auto_confirm_due([early, late, waiting], policy) == []
    clock.set(policy.due_at(late.shipments[0].shipped_at))
    assert len(auto_confirm_due([early, late, waiting], policy)) == 1
    assert late.status is OrderStatus.DONE
