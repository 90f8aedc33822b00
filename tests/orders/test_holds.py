"""Holding an order (异常挂起): who may hold, release and cancel it, where a release returns it,
the holds read back from the history (also after storage and erasure), timers that do not run
while held, a workflow derived from the default one, and the held-orders figures in memory."""

from __future__ import annotations

import datetime as _dt
import enum
from typing import Any

import attrs
import pendulum
import pytest

from ecservice.clock import FixedClock
from ecservice.errors import GuardRejected, InvalidTransition, NaiveDatetime, ValidationError
from ecservice.money import Money
from ecservice.orders import (
    ORDER_WORKFLOW,
    Address,
    AutoConfirmPolicy,
    Hold,
    HoldOutcome,
    HoldReason,
    Order,
    OrderHeld,
    OrderLine,
    OrderReleased,
    OrderStatus,
    Presale,
    by_staff,
    held_orders_report,
    returns_to,
)
from ecservice.storage import ORDER_SERIALIZER, order_next_due
from ecservice.workflow import Actor, LabelledState, bind_workflow, transition, trigger

S = OrderStatus
STAFF = Actor.staff("kefu-1")
BUYER = Actor.buyer("u-1")
RULES = Actor.system("exception-rules")
START = pendulum.datetime(2026, 11, 11, 9, tz="Asia/Shanghai")
POLICY = AutoConfirmPolicy(days=7)


def new_order(clock: FixedClock | None = None, *, presale: Presale | None = None) -> Order:
    clock = clock or FixedClock(START)
    return Order(
        id="O-1",
        buyer_id="u-1",
        lines=[OrderLine(sku="A", name="a", unit_price=Money("10.00", "CNY"), quantity=2)],
        address=Address(recipient="王", phone="13800138000", province="P", city="C", street="S"),
        shipping_fee=Money("5.00", "CNY"),
        created_at=clock.now(),
        clock=clock,
        presale=presale,
    )


def snapshot(order: Order) -> dict[str, Any]:
    return {**attrs.asdict(order, recurse=False), "events": order.pending_events}


@pytest.mark.parametrize("state", ["pending", "processing", "out_of_stock"])
def test_release_returns_the_order_where_it_was_held_from(state: str) -> None:
    order = new_order()
    if state != "pending":
        order.confirm(actor=STAFF)
    if state == "out_of_stock":
        order.mark_out_of_stock("A", actor=STAFF)
    before = order.status
    order.hold(reason=HoldReason.ADDRESS, detail="no house number", actor=RULES)
    assert order.status is S.ON_HOLD
    assert order.held_from is before
    order.pull_events()
    order.clock.advance(minutes=30)  # type: ignore[attr-defined]
    record = order.release(actor=STAFF, note="buyer confirmed")
    assert (record.source, record.dest, order.status) == (S.ON_HOLD, before, before)
    assert [order.held_from] == [None]  # a property: read again after the release
    (released,) = order.pull_events()
    assert isinstance(released, OrderReleased)
    assert (released.reason, released.resumed) == (HoldReason.ADDRESS, before.value)
    (hold,) = order.holds
    assert hold == Hold(
        reason=HoldReason.ADDRESS,
        detail="no house number",
        held_at=START,
        ended_at=START.add(minutes=30),
        outcome=HoldOutcome.RELEASED,
    )
    assert hold.duration() == _dt.timedelta(minutes=30)


def test_the_hold_event_and_record() -> None:
    order = new_order()
    record = order.hold(reason=HoldReason.LOW_PRICE, detail="  8.00 CNY  ", actor=STAFF)
    assert record.note == "low_price: 8.00 CNY"
    (event,) = order.pull_events()
    assert isinstance(event, OrderHeld)
    assert (event.reason, event.detail, event.held_from) == (
        HoldReason.LOW_PRICE,
        "8.00 CNY",
        "pending_confirmation",
    )


@pytest.mark.parametrize("actor", [BUYER, Actor.carrier("SF")])
def test_only_staff_or_the_rules_hold(actor: Actor) -> None:
    order = new_order()
    before = snapshot(order)
    with pytest.raises(GuardRejected, match="by_staff_or_system"):
        order.hold(reason=HoldReason.MANUAL, detail="d", actor=actor)
    assert snapshot(order) == before
    assert not order.can("hold", actor=actor, reason=HoldReason.MANUAL, detail="d")
    assert order.can("hold", actor=RULES, reason=HoldReason.MANUAL, detail="d")


@pytest.mark.parametrize("actor", [BUYER, RULES])
def test_only_staff_release_or_cancel_a_held_order(actor: Actor) -> None:
    order = new_order()
    order.hold(reason=HoldReason.MANUAL, detail="d", actor=STAFF)
    before = snapshot(order)
    with pytest.raises(GuardRejected, match="by_staff"):
        order.release(actor=actor)
    with pytest.raises(GuardRejected, match="by_staff"):
        order.cancel(reason="r", actor=actor)
    assert snapshot(order) == before
    order.cancel(reason="mispriced", actor=STAFF)
    assert order.status is S.CANCELLED
    assert order.holds[-1].outcome is HoldOutcome.CANCELLED


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"reason": "manual", "detail": "d"}, ValidationError),
        ({"reason": HoldReason.MANUAL, "detail": ""}, ValidationError),
        ({"reason": HoldReason.MANUAL, "detail": "x" * 1001}, ValidationError),
        ({"reason": HoldReason.MANUAL, "detail": "a\x00b"}, ValidationError),
    ],
)
def test_bad_hold_arguments_change_nothing(kwargs: dict[str, Any], error: type) -> None:
    order = new_order()
    before = snapshot(order)
    with pytest.raises(error):
        order.hold(actor=STAFF, **kwargs)
    assert snapshot(order) == before


def test_no_hold_once_a_parcel_travels_or_the_order_ended() -> None:
    order = new_order()
    order.confirm(actor=STAFF)
    order.ship(carrier="SF", tracking_no="1", actor=STAFF)
    with pytest.raises(InvalidTransition, match="IN_TRANSIT"):
        order.hold(reason=HoldReason.MANUAL, detail="d", actor=STAFF)
    with pytest.raises(InvalidTransition, match="release"):
        order.release(actor=STAFF)
    held = new_order()
    held.hold(reason=HoldReason.MANUAL, detail="d", actor=STAFF)
    with pytest.raises(InvalidTransition, match="allowed in 'ON_HOLD': cancel, release"):
        held.hold(reason=HoldReason.MANUAL, detail="again", actor=STAFF)
    with pytest.raises(InvalidTransition):
        held.confirm(actor=STAFF)


def test_no_timer_runs_while_held() -> None:
    """The ship-by time of a held presale order does not run out; a held order is never due
    for automatic confirmation; the store's order timer has nothing for it."""
    clock = FixedClock(START)
    order = new_order(clock, presale=Presale(ship_by=START.add(days=1)))
    order.confirm(actor=STAFF)
    late = START.add(days=3)
    assert order.ship_overdue(late)
    order.hold(reason=HoldReason.PRESALE_DATE, detail="carrier needs 5 days", actor=STAFF)
    assert not order.ship_overdue(late)
    assert order.auto_confirm_due_at(POLICY) is None
    assert order_next_due(POLICY)(order) is None
    order.release(actor=STAFF)
    assert order.ship_overdue(late)


def test_holds_survive_storage_and_erasure_keeps_their_reason() -> None:
    """The holds are read from the history, so a stored order has them back; erasing the
    buyer's data erases the details and keeps the reason codes (the figures count them)."""
    clock = FixedClock(START)
    order = new_order(clock)
    order.hold(reason=HoldReason.ADDRESS, detail="王 at S does not exist", actor=RULES)
    clock.advance(hours=1)
    order.release(actor=STAFF)
    order.hold(reason=HoldReason.MANUAL, detail="phone 13800138000", actor=STAFF)
    order.cancel(reason="buyer asked", actor=STAFF)
    loaded = ORDER_SERIALIZER.load(ORDER_SERIALIZER.dump(order), clock=clock)
    assert loaded.holds == order.holds
    assert loaded.status is S.CANCELLED
    clock.advance(days=1)
    result = loaded.erase_personal_data(actor=STAFF, reason="PIPL request R-1")
    assert result.erased
    assert [(h.reason, h.detail) for h in loaded.holds] == [
        (HoldReason.ADDRESS, "[erased]"),
        (HoldReason.MANUAL, "[erased]"),
    ]
    assert result.values is not None
    assert result.values.matches("phone 13800138000")
    again = loaded.erase_personal_data(actor=STAFF, reason="PIPL request R-1")
    assert not again.erased


def test_a_note_without_a_reason_code_reads_as_a_manual_hold() -> None:
    from ecservice.orders._hold_values import parse_hold_note

    assert parse_hold_note("low_price: 1.00") == (HoldReason.LOW_PRICE, "1.00")
    assert parse_hold_note("odd: note") == (HoldReason.MANUAL, "odd: note")
    assert parse_hold_note("no code") == (HoldReason.MANUAL, "no code")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"reason": "manual"},
        {"detail": " padded "},
        {"held_at": _dt.datetime(2026, 1, 1)},
        {"ended_at": START.subtract(seconds=1), "outcome": HoldOutcome.RELEASED},
        {"ended_at": START},
        {"outcome": HoldOutcome.CANCELLED},
        {"ended_at": START, "outcome": "released"},
    ],
)
def test_bad_holds_are_refused(kwargs: dict[str, Any]) -> None:
    base: dict[str, Any] = {"reason": HoldReason.MANUAL, "detail": "d", "held_at": START}
    with pytest.raises((ValidationError, NaiveDatetime)):
        Hold(**{**base, **kwargs})


# --- a workflow derived from the default one -----------------------------------------------------


class QC(LabelledState):
    QUALITY_CHECK = ("quality_check", "Quality check", "质检中")


QC_WORKFLOW = ORDER_WORKFLOW.derive(
    "order-qc-hold",
    add_states=[QC.QUALITY_CHECK],
    add_transitions=[
        transition("inspect", S.PROCESSING, QC.QUALITY_CHECK),
        transition("hold", QC.QUALITY_CHECK, S.ON_HOLD, conditions=[by_staff]),
        transition(
            "release",
            S.ON_HOLD,
            QC.QUALITY_CHECK,
            conditions=[by_staff, returns_to(QC.QUALITY_CHECK)],
        ),
    ],
    add_sources={"ship": {QC.QUALITY_CHECK: S.PROCESSING}},
)


@attrs.define(slots=True, kw_only=True, on_setattr=attrs.setters.NO_OP)
class QCOrder(Order[OrderStatus | QC]):
    inspect = trigger("inspect")


bind_workflow(QCOrder, QC_WORKFLOW)


def test_a_derived_workflow_holds_from_its_own_state() -> None:
    clock = FixedClock(START)
    base = new_order(clock)
    order = QCOrder(**{f.name: getattr(base, f.name) for f in attrs.fields(Order) if f.init})
    order.confirm(actor=STAFF)
    order.inspect(actor=STAFF)
    order.hold(reason=HoldReason.MANUAL, detail="scratch", actor=STAFF)
    assert order.held_from is QC.QUALITY_CHECK
    order.release(actor=STAFF)
    assert order.status is QC.QUALITY_CHECK
    assert order.holds[0].outcome is HoldOutcome.RELEASED
    assert isinstance(order.status, enum.Enum)


# --- the figures in memory -----------------------------------------------------------------------


def test_the_report_in_memory_refuses_bad_input() -> None:
    now = START.add(days=1)
    with pytest.raises(ValidationError, match="twice"):
        held_orders_report([new_order(), new_order()], now=now, zone="Asia/Shanghai")
    with pytest.raises(ValidationError, match="Order"):
        held_orders_report(["O-1"], now=now, zone="Asia/Shanghai")  # type: ignore[list-item]
    with pytest.raises(ValidationError):
        held_orders_report([], now=now, zone="Asia/Shanghai", days=0)
    with pytest.raises(NaiveDatetime):
        held_orders_report([], now=_dt.datetime(2026, 1, 1), zone="UTC")


def test_a_hold_still_open_at_now_is_still_held() -> None:
    """A hold that ends after ``now`` counts as still held, with no handling time yet."""
    clock = FixedClock(START)
    order = new_order(clock)
    order.hold(reason=HoldReason.MANUAL, detail="d", actor=STAFF)
    clock.advance(days=2)
    order.release(actor=STAFF)
    before_end = START.add(days=1)
    report = held_orders_report([order], now=before_end, zone="Asia/Shanghai", days=1)
    assert (report.held, report.still_held, report.released) == (1, ("O-1",), 0)
    assert report.handling_median is None
    after = held_orders_report([order], now=START.add(days=3), zone="Asia/Shanghai", days=3)
    assert (after.released, after.still_held, after.handling_p90) == (
        1,
        (),
        _dt.timedelta(days=2),
    )
