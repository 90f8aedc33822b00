"""Tests of the :class:`Order` aggregate: every trigger of ``ORDER_WORKFLOW`` through its typed
method, its error cases, money views, presale deadlines, events and history.

Every failing call is checked with :func:`fails_unchanged`, which compares every attrs field of
the order (``attrs.asdict(order, recurse=False)``) and its pending events before and after.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import attrs
import pendulum
import pytest

from ecservice.clock import FixedClock
from ecservice.errors import (
    CurrencyMismatch,
    EcServiceError,
    GuardRejected,
    InvalidQuantity,
    InvalidTransition,
    NaiveDatetime,
    TrackingOutOfOrder,
    UnknownLine,
    ValidationError,
)
from ecservice.money import Money
from ecservice.orders import (
    ORDER_WORKFLOW,
    Address,
    AutoConfirmPolicy,
    HoldReason,
    LinesCancelled,
    Order,
    OrderCancelled,
    OrderCompleted,
    OrderConfirmed,
    OrderLine,
    OrderMarkedOutOfStock,
    OrderRestocked,
    OrderStatus,
    Presale,
    RefundDue,
    ShipmentDispatched,
    ShipmentReceived,
    TrackingEvent,
    TrackingEventAdded,
)
from ecservice.workflow import Actor, ActorKind

S = OrderStatus
STAFF = Actor.staff("kefu-07")
BUYER = Actor.buyer("u-1001")
CARRIER = Actor.carrier("sf")
START = pendulum.datetime(2026, 11, 11, 9, 30, tz="Asia/Shanghai")
POLICY = AutoConfirmPolicy(days=10, zone="Asia/Shanghai")
ADDRESS = Address(
    recipient="王小明",
    phone="138 0013 8000",
    province="浙江省",
    city="杭州市",
    district="西湖区",
    street="龙井路 1 号",
)
A_PRICE, B_PRICE, FEE = Money("10.00", "CNY"), Money("25.50", "CNY"), Money("8.00", "CNY")


def cny(amount: str) -> Money:
    return Money(amount, "CNY")


def new_order(clock: FixedClock | None = None, *, presale: Presale | None = None) -> Order:
    """Order O-1: 2 x A at 10.00 and 1 x B at 25.50, shipping 8.00 (total 53.50)."""
    clock = clock or FixedClock(START)
    return Order(
        id="O-1",
        buyer_id="u-1001",
        lines=[
            OrderLine(
                sku="A", name="tea", unit_price=A_PRICE, quantity=2, weight_kg=Decimal("0.5")
            ),
            OrderLine(sku="B", name="cup", unit_price=B_PRICE, quantity=1),
        ],
        address=ADDRESS,
        shipping_fee=FEE,
        created_at=clock.now(),
        presale=presale,
        clock=clock,
    )


def snapshot(order: Order) -> dict[str, Any]:
    """Every attrs field of the order, plus its queued events."""
    return {**attrs.asdict(order, recurse=False), "pending": order.pending_events}


@contextmanager
def fails_unchanged(
    order: Order, error: type[BaseException], match: str | None = None
) -> Iterator[pytest.ExceptionInfo[BaseException]]:
    """Expect ``error`` from the block and check the order was left exactly as it was."""
    before = snapshot(order)
    with pytest.raises(error, match=match) as info:
        yield info
    assert snapshot(order) == before


def types(events: tuple[Any, ...]) -> list[type]:
    return [type(e) for e in events]


# --- builders for each state ---------------------------------------------------------------------


def processing(clock: FixedClock | None = None, **kw: Any) -> Order:
    order = new_order(clock, **kw)
    order.confirm(actor=STAFF)
    return order


def out_of_stock(skus: tuple[str, ...] = ("B",)) -> Order:
    order = processing()
    order.mark_out_of_stock(skus, actor=STAFF)
    return order


def in_transit(clock: FixedClock | None = None) -> Order:
    order = processing(clock)
    order.ship(carrier="SF", tracking_no="SF1", actor=STAFF)
    return order


def partly_delivered() -> Order:
    """PROCESSING again after a parcel with both A units was received; B is still open."""
    order = processing()
    order.ship(items={"A": 2}, carrier="SF", tracking_no="SF1", actor=STAFF)
    order.confirm_receipt(actor=BUYER)
    assert order.status is S.PROCESSING
    return order


def done() -> Order:
    order = in_transit()
    order.confirm_receipt(actor=BUYER)
    return order


def cancelled() -> Order:
    order = new_order()
    order.cancel(reason="changed my mind", actor=BUYER)
    return order


def held() -> Order:
    order = new_order()
    order.hold(reason=HoldReason.MANUAL, detail="check the address", actor=STAFF)
    return order


BUILDERS: dict[OrderStatus, Callable[[], Order]] = {
    S.PENDING_CONFIRMATION: new_order,
    S.PROCESSING: processing,
    S.OUT_OF_STOCK: out_of_stock,
    S.IN_TRANSIT: in_transit,
    S.DONE: done,
    S.CANCELLED: cancelled,
    S.ON_HOLD: held,
}

#: The triggers the default workflow allows in each state (the documented table).
ALLOWED: dict[OrderStatus, tuple[str, ...]] = {
    S.PENDING_CONFIRMATION: ("cancel", "cancel_lines", "confirm", "hold"),
    S.PROCESSING: ("cancel", "cancel_lines", "hold", "mark_out_of_stock", "ship"),
    S.OUT_OF_STOCK: ("cancel", "cancel_lines", "hold", "restock"),
    S.IN_TRANSIT: ("add_tracking_event", "auto_confirm", "cancel_lines", "confirm_receipt", "ship"),
    S.DONE: (),
    S.CANCELLED: (),
    S.ON_HOLD: ("cancel", "release"),
}

#: One plausible call per trigger, through its typed method.
CALLS: dict[str, Callable[[Order], object]] = {
    "confirm": lambda o: o.confirm(actor=STAFF),
    "mark_out_of_stock": lambda o: o.mark_out_of_stock(["A"], actor=STAFF),
    "restock": lambda o: o.restock(actor=STAFF),
    "ship": lambda o: o.ship(carrier="SF", tracking_no="SF9", actor=STAFF),
    "add_tracking_event": lambda o: o.add_tracking_event(
        "O-1-S1", TrackingEvent(at=o.clock.now(), description="scan"), actor=CARRIER
    ),
    "confirm_receipt": lambda o: o.confirm_receipt(actor=BUYER),
    "auto_confirm": lambda o: o.auto_confirm(POLICY),
    "cancel": lambda o: o.cancel(reason="r", actor=BUYER),
    "cancel_lines": lambda o: o.cancel_lines({"A": 1}, reason="r", actor=BUYER),
    "hold": lambda o: o.hold(reason=HoldReason.LOW_PRICE, detail="d", actor=STAFF),
    "release": lambda o: o.release(actor=STAFF),
}


# --- the workflow and its typed methods ----------------------------------------------------------


def test_every_trigger_of_the_default_workflow_has_a_typed_method() -> None:
    """Each trigger in ORDER_WORKFLOW is a method of Order, and the tests call each one."""
    assert set(ORDER_WORKFLOW.triggers) == set(CALLS)
    for name in ORDER_WORKFLOW.triggers:
        assert callable(getattr(Order, name))


@pytest.mark.parametrize("status", list(S))
def test_allowed_triggers_per_state(status: OrderStatus) -> None:
    """allowed_triggers() matches the documented table; DONE and CANCELLED are final."""
    order = BUILDERS[status]()
    assert order.status is status
    assert order.allowed_triggers() == ALLOWED[status]
    assert order.is_final is (status in (S.DONE, S.CANCELLED))


ILLEGAL = [(s, t) for s in S for t in CALLS if t not in ALLOWED[s]]


@pytest.mark.parametrize(
    ("status", "trigger"), ILLEGAL, ids=[f"{t}-in-{s.name}" for s, t in ILLEGAL]
)
def test_illegal_transitions_raise_invalid_transition(status: OrderStatus, trigger: str) -> None:
    """A trigger the state does not allow raises InvalidTransition naming the trigger, the
    state and the allowed triggers, and leaves the order unchanged."""
    order = BUILDERS[status]()
    with fails_unchanged(order, InvalidTransition) as info:
        CALLS[trigger](order)
    err = info.value
    assert isinstance(err, InvalidTransition)
    assert (err.trigger, err.state, err.allowed) == (trigger, status.name, ALLOWED[status])
    assert status.name in str(err)
    assert "Order 'O-1'" in str(err)
    for allowed in ALLOWED[status]:
        assert allowed in str(err)
    assert not order.can(trigger)


def test_ship_when_pending_confirmation_reports_the_state_first() -> None:
    """The state is checked before the arguments: even nonsense items give InvalidTransition."""
    order = new_order()
    with fails_unchanged(
        order,
        InvalidTransition,
        match="triggers allowed in 'PENDING_CONFIRMATION': cancel, cancel_lines, confirm, hold",
    ):
        order.ship(items={"NOPE": -1}, carrier="", tracking_no="", actor=STAFF)


def test_confirm_when_done_names_no_allowed_trigger() -> None:
    """In a final state the message says no trigger is allowed."""
    order = done()
    with fails_unchanged(order, InvalidTransition, match="allowed in 'DONE': none"):
        order.confirm(actor=STAFF)


# --- construction --------------------------------------------------------------------------------


def test_new_order_defaults() -> None:
    """A rehydrated order starts awaiting confirmation with nothing shipped or cancelled."""
    order = new_order()
    assert order.status is S.PENDING_CONFIRMATION
    assert (order.version, order.history, order.pending_events) == (0, (), ())
    assert (order.shipments, order.cancellations, order.out_of_stock) == ((), (), ())
    assert order.created_at == START
    assert order.created_at.utcoffset() == _dt.timedelta(0)
    assert order.open_items() == {"A": 2, "B": 1}


def test_order_construction_is_validated() -> None:
    """No lines, duplicate SKUs, mixed currencies, a fee in another currency or a naive creation
    time are refused."""
    line = OrderLine(sku="A", name="a", unit_price=A_PRICE, quantity=1)
    base: dict[str, Any] = {
        "id": "O-1",
        "buyer_id": "u",
        "lines": [line],
        "address": ADDRESS,
        "shipping_fee": FEE,
        "created_at": START,
    }
    with pytest.raises(InvalidQuantity):
        Order(**{**base, "lines": []})
    with pytest.raises(ValidationError, match="two lines"):
        Order(**{**base, "lines": [line, line]})
    usd_line = OrderLine(sku="B", name="b", unit_price=Money("1.00", "USD"), quantity=1)
    with pytest.raises(CurrencyMismatch):
        Order(**{**base, "lines": [line, usd_line]})
    with pytest.raises(CurrencyMismatch):
        Order(**{**base, "shipping_fee": Money("8.00", "USD")})
    with pytest.raises(NaiveDatetime):
        Order(**{**base, "created_at": _dt.datetime(2026, 1, 1)})
    with pytest.raises(ValidationError):
        Order(**{**base, "id": ""})


# --- confirm -------------------------------------------------------------------------------------


def test_confirm_starts_processing_and_records_actor_and_note() -> None:
    """confirm moves to PROCESSING, appends a history record with actor, note and time, and
    queues OrderConfirmed."""
    clock = FixedClock(START)
    order = new_order(clock)
    clock.advance(hours=1)
    record = order.confirm(actor=STAFF, note="checked with the buyer")
    assert order.status is S.PROCESSING
    assert order.history == (record,)
    assert (record.trigger, record.source, record.dest) == (
        "confirm",
        S.PENDING_CONFIRMATION,
        S.PROCESSING,
    )
    assert (record.actor, record.note, record.version) == (STAFF, "checked with the buyer", 1)
    assert record.at == START.add(hours=1)
    assert order.version == 1
    (event,) = order.pending_events
    assert isinstance(event, OrderConfirmed)
    assert (event.aggregate_id, event.actor, event.occurred_at) == ("O-1", STAFF, clock.now())
    assert order.address == ADDRESS


def test_confirm_with_a_corrected_address() -> None:
    """An address agreed with the buyer replaces the old one."""
    order = new_order()
    corrected = attrs.evolve(ADDRESS, street="龙井路 2 号")
    order.confirm(actor=STAFF, address=corrected)
    assert order.address == corrected


def test_confirm_rejects_a_non_address() -> None:
    """A string is not an address."""
    order = new_order()
    with fails_unchanged(order, ValidationError, match="Address"):
        order.confirm(actor=STAFF, address="somewhere")  # type: ignore[arg-type]


# --- out of stock and restock --------------------------------------------------------------------


def test_mark_out_of_stock_names_the_missing_lines() -> None:
    """Missing SKUs are recorded sorted and without duplicates; OrderMarkedOutOfStock names them."""
    order = processing()
    order.pull_events()
    record = order.mark_out_of_stock(["B", "A", "B"], actor=STAFF, note="arrives Friday")
    assert order.status is S.OUT_OF_STOCK
    assert order.out_of_stock == ("A", "B")
    assert (record.source, record.dest, record.note) == (
        S.PROCESSING,
        S.OUT_OF_STOCK,
        "arrives Friday",
    )
    (event,) = order.pull_events()
    assert isinstance(event, OrderMarkedOutOfStock)
    assert event.skus == ("A", "B")


def test_mark_out_of_stock_errors() -> None:
    """An unknown SKU or naming none raises UnknownLine; a fully shipped line raises
    InvalidQuantity; the order is unchanged."""
    order = processing()
    with fails_unchanged(order, UnknownLine, match="NOPE"):
        order.mark_out_of_stock(["A", "NOPE"], actor=STAFF)
    with fails_unchanged(order, UnknownLine):
        order.mark_out_of_stock([], actor=STAFF)
    order = partly_delivered()
    with fails_unchanged(order, InvalidQuantity, match="'A'"):
        order.mark_out_of_stock(["A"], actor=STAFF)


def test_partial_restock_stays_out_of_stock() -> None:
    """Restocking one of two missing lines is an internal transition: still OUT_OF_STOCK."""
    order = out_of_stock(("A", "B"))
    order.pull_events()
    record = order.restock(["A"], actor=STAFF)
    assert order.status is S.OUT_OF_STOCK
    assert record.internal
    assert order.out_of_stock == ("B",)
    (event,) = order.pull_events()
    assert isinstance(event, OrderRestocked)
    assert event.skus == ("A",)


def test_full_restock_resumes_processing() -> None:
    """Restocking every missing line (the default) returns to PROCESSING."""
    order = out_of_stock(("A", "B"))
    order.pull_events()
    record = order.restock(actor=STAFF)
    assert order.status is S.PROCESSING
    assert (record.source, record.dest) == (S.OUT_OF_STOCK, S.PROCESSING)
    assert order.out_of_stock == ()
    (event,) = order.pull_events()
    assert isinstance(event, OrderRestocked)
    assert event.skus == ("A", "B")
    order.ship(carrier="SF", tracking_no="SF1", actor=STAFF)
    assert order.status is S.IN_TRANSIT


def test_restock_errors() -> None:
    """Restocking a SKU that is not missing, or none at all, raises UnknownLine."""
    order = out_of_stock(("B",))
    with fails_unchanged(order, UnknownLine, match="'A'"):
        order.restock(["A"], actor=STAFF)
    with fails_unchanged(order, UnknownLine):
        order.restock([], actor=STAFF)


# --- ship ----------------------------------------------------------------------------------------


def test_ship_all_open_units() -> None:
    """Without items, one parcel carries every open unit; the order goes IN_TRANSIT and queues
    ShipmentDispatched with the shipment."""
    clock = FixedClock(START)
    order = processing(clock)
    order.pull_events()
    clock.advance(days=1)
    record = order.ship(
        carrier="SF Express",
        tracking_no="SF1001",
        warehouse="Hangzhou",
        actor=STAFF,
        note="fragile",
    )
    assert order.status is S.IN_TRANSIT
    assert (record.source, record.dest, record.note) == (S.PROCESSING, S.IN_TRANSIT, "fragile")
    (shipment,) = order.shipments
    assert shipment.id == "O-1-S1"
    assert shipment.items == (("A", 2), ("B", 1))
    assert (shipment.carrier, shipment.tracking_no, shipment.warehouse) == (
        "SF Express",
        "SF1001",
        "Hangzhou",
    )
    assert shipment.shipped_at == clock.now()
    assert shipment.travelling
    assert order.open_items() == {}
    assert order.shipped_quantity() == 3
    (event,) = order.pull_events()
    assert isinstance(event, ShipmentDispatched)
    assert event.shipment == shipment


def test_ship_partial_items_then_the_rest() -> None:
    """A partial parcel leaves units open; a second ship while IN_TRANSIT is internal and gets
    the next shipment id; warehouse defaults to main."""
    order = processing()
    order.ship(items={"A": 1}, carrier="SF", tracking_no="SF1", actor=STAFF)
    assert order.status is S.IN_TRANSIT
    assert order.open_items() == {"A": 1, "B": 1}
    assert order.open_quantity("A") == 1
    record = order.ship(carrier="ZTO", tracking_no="ZTO2", actor=STAFF)
    assert record.internal
    assert [s.id for s in order.shipments] == ["O-1-S1", "O-1-S2"]
    assert order.shipments[1].items == (("A", 1), ("B", 1))
    assert order.shipments[1].warehouse == "main"
    assert order.shipment("O-1-S2") == order.shipments[1]
    assert order.open_items() == {}


def test_ship_with_a_chosen_shipment_id() -> None:
    """A given shipment id is used as is."""
    order = processing()
    order.ship(items={"B": 1}, carrier="SF", tracking_no="SF1", actor=STAFF, shipment_id="P-7")
    assert order.shipment("P-7").items == (("B", 1),)


def test_ship_errors() -> None:
    """More units than open, an unknown SKU, a zero quantity, an empty carrier or a duplicate
    shipment id are refused; so is shipping when nothing is open."""
    order = processing()
    with fails_unchanged(order, InvalidQuantity, match="only 2 unit"):
        order.ship(items={"A": 3}, carrier="SF", tracking_no="SF1", actor=STAFF)
    with fails_unchanged(order, UnknownLine):
        order.ship(items={"NOPE": 1}, carrier="SF", tracking_no="SF1", actor=STAFF)
    with fails_unchanged(order, InvalidQuantity):
        order.ship(items={"A": 0}, carrier="SF", tracking_no="SF1", actor=STAFF)
    with fails_unchanged(order, ValidationError, match="carrier"):
        order.ship(carrier=" ", tracking_no="SF1", actor=STAFF)
    order.ship(items={"A": 1}, carrier="SF", tracking_no="SF1", actor=STAFF, shipment_id="P-1")
    with fails_unchanged(order, ValidationError, match="already has a shipment"):
        order.ship(items={"A": 1}, carrier="SF", tracking_no="SF2", actor=STAFF, shipment_id="P-1")
    with fails_unchanged(order, InvalidQuantity, match="only 1 unit"):
        order.ship(items={"A": 2}, carrier="SF", tracking_no="SF2", actor=STAFF)
    order.ship(carrier="SF", tracking_no="SF2", actor=STAFF)
    with fails_unchanged(order, InvalidQuantity):
        order.ship(carrier="SF", tracking_no="SF3", actor=STAFF)


# --- tracking ------------------------------------------------------------------------------------


def test_tracking_events_are_appended_in_time_order() -> None:
    """Events at or after the last one are appended; each queues TrackingEventAdded; the state
    stays IN_TRANSIT."""
    clock = FixedClock(START)
    order = in_transit(clock)
    order.pull_events()
    first = TrackingEvent(at=START.add(hours=2), description="picked up", location="Hangzhou")
    same_time = TrackingEvent(at=START.add(hours=2), description="left depot")
    later = TrackingEvent(at=START.add(hours=20), description="arrived at hub")
    for event in (first, same_time, later):
        clock.set(event.at)
        record = order.add_tracking_event("O-1-S1", event, actor=CARRIER)
        assert record.internal
    assert order.status is S.IN_TRANSIT
    assert order.shipment("O-1-S1").events == (first, same_time, later)
    assert order.shipment("O-1-S1").last_event == later
    added = order.pull_events()
    assert types(added) == [TrackingEventAdded] * 3
    assert [(e.shipment_id, e.event, e.actor) for e in added] == [  # type: ignore[attr-defined]
        ("O-1-S1", first, CARRIER),
        ("O-1-S1", same_time, CARRIER),
        ("O-1-S1", later, CARRIER),
    ]


def test_an_older_tracking_event_is_refused() -> None:
    """An event older than the last one, or than the dispatch, raises TrackingOutOfOrder and
    changes nothing."""
    clock = FixedClock(START)
    order = in_transit(clock)
    clock.advance(hours=5)
    order.add_tracking_event(
        "O-1-S1", TrackingEvent(at=START.add(hours=5), description="hub"), actor=CARRIER
    )
    with fails_unchanged(order, TrackingOutOfOrder):
        order.add_tracking_event(
            "O-1-S1", TrackingEvent(at=START.add(hours=4), description="late scan"), actor=CARRIER
        )
    fresh = in_transit()
    with fails_unchanged(fresh, TrackingOutOfOrder):
        fresh.add_tracking_event(
            "O-1-S1", TrackingEvent(at=START.subtract(seconds=1), description="x"), actor=CARRIER
        )


def test_tracking_a_received_or_unknown_shipment_is_refused() -> None:
    """With one of two parcels received, tracking the received one raises ValidationError; an
    unknown shipment id or a non-event too."""
    order = processing()
    order.ship(items={"A": 2}, carrier="SF", tracking_no="SF1", actor=STAFF)
    order.ship(carrier="ZTO", tracking_no="ZTO2", actor=STAFF)
    order.confirm_receipt("O-1-S1", actor=BUYER)
    assert order.status is S.IN_TRANSIT
    event = TrackingEvent(at=order.clock.now(), description="scan")
    with fails_unchanged(order, ValidationError, match="already received"):
        order.add_tracking_event("O-1-S1", event, actor=CARRIER)
    with fails_unchanged(order, ValidationError, match="no shipment 'NOPE'"):
        order.add_tracking_event("NOPE", event, actor=CARRIER)
    with fails_unchanged(order, ValidationError, match="TrackingEvent"):
        order.add_tracking_event("O-1-S2", "scan", actor=CARRIER)  # type: ignore[arg-type]


# --- receipt -------------------------------------------------------------------------------------


def test_receiving_one_of_two_parcels_stays_in_transit() -> None:
    """The received parcel records when and by whom; the other still travels."""
    clock = FixedClock(START)
    order = processing(clock)
    order.ship(items={"A": 2}, carrier="SF", tracking_no="SF1", actor=STAFF)
    order.ship(carrier="ZTO", tracking_no="ZTO2", actor=STAFF)
    order.pull_events()
    clock.advance(days=2)
    record = order.confirm_receipt("O-1-S1", actor=BUYER)
    assert order.status is S.IN_TRANSIT
    assert record.internal
    first, second = order.shipments
    assert (first.received_at, first.received_by) == (clock.now(), BUYER)
    assert not first.travelling
    assert second.travelling
    assert order.travelling == (second,)
    (event,) = order.pull_events()
    assert isinstance(event, ShipmentReceived)
    assert (event.shipment_id, event.automatic) == ("O-1-S1", False)
    with fails_unchanged(order, ValidationError, match="already received"):
        order.confirm_receipt("O-1-S1", actor=BUYER)
    with fails_unchanged(order, ValidationError):
        order.confirm_receipt("NOPE", actor=BUYER)


def test_receiving_the_last_parcel_with_open_units_returns_to_processing() -> None:
    """A partial shipment received while units are still open: back to PROCESSING, not done."""
    order = processing()
    order.ship(items={"A": 1}, carrier="SF", tracking_no="SF1", actor=STAFF)
    order.pull_events()
    record = order.confirm_receipt(actor=BUYER)
    assert order.status is S.PROCESSING
    assert (record.source, record.dest) == (S.IN_TRANSIT, S.PROCESSING)
    assert types(order.pull_events()) == [ShipmentReceived]
    assert order.open_items() == {"A": 1, "B": 1}


def test_receiving_everything_completes_the_order() -> None:
    """All parcels received and all units shipped: DONE, with ShipmentReceived per parcel (by
    id) and then OrderCompleted."""
    order = processing()
    order.ship(items={"B": 1}, carrier="SF", tracking_no="SF1", actor=STAFF, shipment_id="P-2")
    order.ship(carrier="ZTO", tracking_no="ZTO2", actor=STAFF, shipment_id="P-1")
    order.pull_events()
    record = order.confirm_receipt(actor=BUYER, note="all good")
    assert order.status is S.DONE
    assert (record.dest, record.actor, record.note) == (S.DONE, BUYER, "all good")
    events = order.pull_events()
    assert types(events) == [ShipmentReceived, ShipmentReceived, OrderCompleted]
    assert [e.shipment_id for e in events[:2]] == ["P-1", "P-2"]  # type: ignore[attr-defined]
    assert order.travelling == ()
    assert order.is_final


def test_auto_confirm_receives_only_due_parcels() -> None:
    """Of two parcels shipped a day apart, only the due one is confirmed automatically; the
    default actor is the system."""
    clock = FixedClock(START)
    order = processing(clock)
    order.ship(items={"A": 2}, carrier="SF", tracking_no="SF1", actor=STAFF)
    clock.advance(days=1)
    order.ship(carrier="ZTO", tracking_no="ZTO2", actor=STAFF)
    order.pull_events()
    assert order.auto_confirm_due_at(POLICY) == START.add(days=10)
    clock.set(START.add(days=10))
    record = order.auto_confirm(POLICY)
    assert order.status is S.IN_TRANSIT
    assert record.actor == Actor.system("auto-confirm")
    assert record.actor.kind is ActorKind.SYSTEM
    assert [s.travelling for s in order.shipments] == [False, True]
    (event,) = order.pull_events()
    assert isinstance(event, ShipmentReceived)
    assert (event.shipment_id, event.automatic) == ("O-1-S1", True)
    assert order.auto_confirm_due_at(POLICY) == START.add(days=11)
    clock.advance(days=1)
    order.auto_confirm(POLICY, actor=Actor.system("nightly"), note="batch 7")
    assert order.status is S.DONE
    assert (order.history[-1].actor.id, order.history[-1].note) == ("nightly", "batch 7")


# --- cancel --------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [S.PENDING_CONFIRMATION, S.PROCESSING, S.OUT_OF_STOCK])
def test_cancel_before_shipping(status: OrderStatus) -> None:
    """cancel cancels every open unit with the reason, moves to CANCELLED and queues
    RefundDue for the whole total, then OrderCancelled."""
    order = BUILDERS[status]()
    order.pull_events()
    record = order.cancel(reason="  changed my mind ", actor=BUYER)
    assert order.status is S.CANCELLED
    assert (record.source, record.dest, record.note) == (status, S.CANCELLED, "changed my mind")
    assert [(c.sku, c.quantity, c.reason, c.actor) for c in order.cancellations] == [
        ("A", 2, "changed my mind", BUYER),
        ("B", 1, "changed my mind", BUYER),
    ]
    assert all(c.at == order.clock.now() for c in order.cancellations)
    refund, event = order.pull_events()
    assert isinstance(refund, RefundDue)
    assert (refund.amount, refund.reason, refund.actor) == (order.total, "changed my mind", BUYER)
    assert isinstance(event, OrderCancelled)
    assert (event.reason, event.actor) == ("changed my mind", BUYER)
    assert order.open_items() == {}
    # Nothing is open, so nothing waits for stock; the order rebuilds from its own fields.
    assert order.out_of_stock == ()
    assert attrs.evolve(order) == order


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_cancel_needs_a_reason(reason: object) -> None:
    """An empty or missing reason raises ValidationError and cancels nothing."""
    order = new_order()
    with fails_unchanged(order, ValidationError, match="reason"):
        order.cancel(reason=reason, actor=BUYER)  # type: ignore[arg-type]
    with fails_unchanged(order, ValidationError, match="reason"):
        order.cancel_lines({"A": 1}, reason=reason, actor=BUYER)  # type: ignore[arg-type]


def test_cancel_after_a_shipment_is_rejected_by_its_guard() -> None:
    """Once something shipped, cancel raises GuardRejected (nothing_shipped) and changes
    nothing; cancel_lines is the way to drop what is left."""
    order = partly_delivered()
    with fails_unchanged(order, GuardRejected, match="nothing_shipped") as info:
        order.cancel(reason="too late", actor=BUYER)
    assert info.value.state == "PROCESSING"  # type: ignore[attr-defined]
    assert not order.can("cancel", reason="too late", actor=BUYER)
    order.mark_out_of_stock(["B"], actor=STAFF)
    with fails_unchanged(order, GuardRejected):
        order.cancel(reason="too late", actor=BUYER)


# --- cancel_lines --------------------------------------------------------------------------------


def test_cancel_lines_part_of_a_pending_order_stays_pending() -> None:
    """Cancelling some units is internal while other units are open; LinesCancelled carries the
    cancellations and RefundDue the value of just those units."""
    order = new_order()
    record = order.cancel_lines({"A": 1}, reason="only need one", actor=BUYER)
    assert order.status is S.PENDING_CONFIRMATION
    assert record.internal
    assert record.note == "only need one"
    event, refund = order.pull_events()
    assert isinstance(event, LinesCancelled)
    assert [(c.sku, c.quantity) for c in event.cancellations] == [("A", 1)]
    assert isinstance(refund, RefundDue)
    assert refund.amount == A_PRICE
    assert order.open_quantity("A") == 1
    assert order.cancelled_quantity("A") == 1


@pytest.mark.parametrize("status", [S.PENDING_CONFIRMATION, S.PROCESSING, S.OUT_OF_STOCK])
def test_cancel_lines_of_everything_cancels_the_order(status: OrderStatus) -> None:
    """Cancelling every unit moves to CANCELLED: LinesCancelled, one RefundDue for everything
    including shipping (never counted twice), then OrderCancelled."""
    order = BUILDERS[status]()
    order.pull_events()
    order.cancel_lines({"A": 2, "B": 1}, reason="no longer needed", actor=BUYER)
    assert order.status is S.CANCELLED
    lines_event, refund, cancelled_event = order.pull_events()
    assert isinstance(lines_event, LinesCancelled)
    assert isinstance(refund, RefundDue)
    assert isinstance(cancelled_event, OrderCancelled)
    assert refund.amount == cny("53.50") == order.cancelled_value
    assert cancelled_event.reason == "no longer needed"


def test_cancel_lines_with_the_rest_delivered_completes_the_order() -> None:
    """In PROCESSING after a received parcel, cancelling the remaining units leaves nothing to
    ship or travel: DONE, with LinesCancelled then OrderCompleted."""
    order = partly_delivered()
    order.pull_events()
    record = order.cancel_lines({"B": 1}, reason="discontinued", actor=STAFF)
    assert order.status is S.DONE
    assert (record.source, record.dest) == (S.PROCESSING, S.DONE)
    assert types(order.pull_events()) == [LinesCancelled, RefundDue, OrderCompleted]


def test_cancel_lines_of_part_of_a_processing_order_stays_processing() -> None:
    """Units left open keep the order in PROCESSING."""
    order = processing()
    order.cancel_lines({"B": 1}, reason="r", actor=STAFF)
    assert order.status is S.PROCESSING
    assert order.open_items() == {"A": 2}


def test_cancelling_the_missing_line_resumes_processing() -> None:
    """Out of stock on B: cancelling B clears it from out_of_stock and returns to PROCESSING."""
    order = out_of_stock(("B",))
    record = order.cancel_lines({"B": 1}, reason="cannot restock", actor=STAFF)
    assert order.status is S.PROCESSING
    assert (record.source, record.dest) == (S.OUT_OF_STOCK, S.PROCESSING)
    assert order.out_of_stock == ()


def test_cancelling_another_line_while_out_of_stock_stays_out_of_stock() -> None:
    """Cancelling a line that is not missing, or one of two missing lines, changes no state."""
    order = out_of_stock(("B",))
    order.cancel_lines({"A": 1}, reason="r", actor=STAFF)
    assert order.status is S.OUT_OF_STOCK
    assert order.out_of_stock == ("B",)
    order = out_of_stock(("A", "B"))
    order.cancel_lines({"B": 1}, reason="r", actor=STAFF)
    assert order.status is S.OUT_OF_STOCK
    assert order.out_of_stock == ("A",)
    order.cancel_lines({"A": 1}, reason="r", actor=STAFF)  # one A unit still open
    assert order.status is S.OUT_OF_STOCK
    assert order.out_of_stock == ("A",)


def test_cancelling_the_missing_rest_after_a_delivery_completes_the_order() -> None:
    """A delivered, B missing: cancelling B settles everything from OUT_OF_STOCK: DONE."""
    order = partly_delivered()
    order.mark_out_of_stock(["B"], actor=STAFF)
    order.cancel_lines({"B": 1}, reason="cannot restock", actor=STAFF)
    assert order.status is S.DONE


def test_cancel_lines_while_in_transit_is_internal_until_receipt() -> None:
    """With a parcel travelling, cancelling the open rest stays IN_TRANSIT; receiving the
    parcel then completes the order."""
    order = processing()
    order.ship(items={"A": 2}, carrier="SF", tracking_no="SF1", actor=STAFF)
    record = order.cancel_lines({"B": 1}, reason="discontinued", actor=STAFF)
    assert order.status is S.IN_TRANSIT
    assert record.internal
    order.confirm_receipt(actor=BUYER)
    assert order.status is S.DONE


def test_cancel_lines_errors() -> None:
    """More than open (including shipped units), unknown SKUs and empty requests are refused."""
    order = processing()
    order.ship(items={"A": 1}, carrier="SF", tracking_no="SF1", actor=STAFF)
    with fails_unchanged(order, InvalidQuantity, match="only 1 unit"):
        order.cancel_lines({"A": 2}, reason="r", actor=STAFF)
    with fails_unchanged(order, UnknownLine):
        order.cancel_lines({"NOPE": 1}, reason="r", actor=STAFF)
    with fails_unchanged(order, InvalidQuantity):
        order.cancel_lines({}, reason="r", actor=STAFF)
    with fails_unchanged(order, InvalidQuantity):
        order.cancel_lines({"B": 0}, reason="r", actor=STAFF)


# --- money views ---------------------------------------------------------------------------------


def test_money_views_of_a_new_order() -> None:
    """subtotal = sum of lines, total adds shipping, nothing cancelled, everything due."""
    order = new_order()
    assert order.subtotal == cny("45.50")
    assert order.total == cny("53.50")
    assert order.cancelled_value == Money.zero("CNY")
    assert order.amount_due == cny("53.50")
    assert order.currency == A_PRICE.currency


def test_partial_cancellation_refunds_goods_but_not_shipping() -> None:
    """Cancelling some units counts their value only; the fee is still owed."""
    order = new_order()
    order.cancel_lines({"A": 1, "B": 1}, reason="r", actor=BUYER)
    assert order.cancelled_value == cny("35.50")
    assert order.amount_due == cny("18.00")  # one A plus shipping


def test_cancelling_everything_refunds_shipping_too() -> None:
    """Once every unit is cancelled, in one go or in steps, cancelled_value includes the fee."""
    order = new_order()
    order.cancel_lines({"A": 1}, reason="r", actor=BUYER)
    order.cancel(reason="r", actor=BUYER)
    assert order.cancelled_value == cny("53.50")
    assert order.amount_due == Money.zero("CNY")


def test_delivered_units_stay_due_when_the_rest_is_cancelled() -> None:
    """A delivered, B cancelled: the fee is not refunded because not everything was cancelled."""
    order = partly_delivered()
    order.cancel_lines({"B": 1}, reason="r", actor=STAFF)
    assert order.cancelled_value == B_PRICE
    assert order.amount_due == cny("28.00")


# --- presale -------------------------------------------------------------------------------------


def test_presale_ship_overdue() -> None:
    """A presale order is overdue strictly after ship_by while units are open; not once all is
    shipped; never for a normal order; naive times are refused."""
    ship_by = START.add(days=3)
    clock = FixedClock(START)
    order = processing(clock, presale=Presale(ship_by=ship_by))
    assert not order.ship_overdue(ship_by)
    assert order.ship_overdue(ship_by.add(microseconds=1))
    assert order.ship_overdue(ship_by.add(microseconds=1).in_tz("America/New_York"))
    with pytest.raises(NaiveDatetime):
        order.ship_overdue(_dt.datetime(2026, 12, 1))
    order.ship(items={"A": 2}, carrier="SF", tracking_no="SF1", actor=STAFF)
    assert order.ship_overdue(ship_by.add(days=1))  # B is still open
    order.ship(carrier="SF", tracking_no="SF2", actor=STAFF)
    assert not order.ship_overdue(ship_by.add(days=1))
    assert not processing().ship_overdue(ship_by.add(days=100))
    # The instant is checked whatever the answer: a normal order, a held one.
    with pytest.raises(NaiveDatetime):
        processing().ship_overdue(_dt.datetime(2026, 12, 1))
    with pytest.raises(ValidationError):
        processing().ship_overdue("2026-12-01")  # type: ignore[arg-type]


def test_a_cancelled_presale_is_never_overdue() -> None:
    """Final orders are not overdue."""
    order = new_order(presale=Presale(ship_by=START.add(days=3)))
    order.cancel(reason="r", actor=BUYER)
    assert not order.ship_overdue(START.add(days=30))


# --- events and history over a whole lifecycle ---------------------------------------------------


def test_events_and_history_of_a_full_lifecycle() -> None:
    """Each trigger queues its events in order; pull_events returns them once and clears the
    queue; history records every trigger with its actor, note and increasing version."""
    clock = FixedClock(START)
    order = new_order(clock)
    order.confirm(actor=STAFF, note="checked")
    order.mark_out_of_stock(["B"], actor=STAFF, note="Friday")
    clock.advance(days=2)
    order.restock(actor=STAFF)
    order.ship(items={"A": 2}, carrier="SF", tracking_no="SF1", actor=STAFF)
    order.ship(carrier="ZTO", tracking_no="ZTO2", actor=STAFF)
    clock.advance(hours=20)
    order.add_tracking_event(
        "O-1-S1", TrackingEvent(at=clock.now(), description="hub"), actor=CARRIER
    )
    order.confirm_receipt("O-1-S1", actor=BUYER, note="got the tea")
    clock.set(order.shipments[1].shipped_at.add(days=10))
    order.auto_confirm(POLICY)
    assert order.status is S.DONE

    events = order.pull_events()
    assert types(events) == [
        OrderConfirmed,
        OrderMarkedOutOfStock,
        OrderRestocked,
        ShipmentDispatched,
        ShipmentDispatched,
        TrackingEventAdded,
        ShipmentReceived,
        ShipmentReceived,
        OrderCompleted,
    ]
    assert all(e.aggregate_id == "O-1" for e in events)
    assert [e.occurred_at for e in events] == sorted(e.occurred_at for e in events)
    assert events[-1].occurred_at == clock.now()
    assert order.pull_events() == ()
    assert order.pending_events == ()

    assert [(r.trigger, r.source, r.dest) for r in order.history] == [
        ("confirm", S.PENDING_CONFIRMATION, S.PROCESSING),
        ("mark_out_of_stock", S.PROCESSING, S.OUT_OF_STOCK),
        ("restock", S.OUT_OF_STOCK, S.PROCESSING),
        ("ship", S.PROCESSING, S.IN_TRANSIT),
        ("ship", S.IN_TRANSIT, S.IN_TRANSIT),
        ("add_tracking_event", S.IN_TRANSIT, S.IN_TRANSIT),
        ("confirm_receipt", S.IN_TRANSIT, S.IN_TRANSIT),
        ("auto_confirm", S.IN_TRANSIT, S.DONE),
    ]
    assert [r.actor.kind for r in order.history] == [
        ActorKind.STAFF,
        ActorKind.STAFF,
        ActorKind.STAFF,
        ActorKind.STAFF,
        ActorKind.STAFF,
        ActorKind.CARRIER,
        ActorKind.BUYER,
        ActorKind.SYSTEM,
    ]
    assert [r.note for r in order.history][:2] == ["checked", "Friday"]
    assert order.history[6].note == "got the tea"
    assert [r.version for r in order.history] == list(range(1, 9))
    assert order.version == 8


def test_pending_events_accumulate_across_triggers_until_pulled() -> None:
    """Events are not lost between triggers: they queue up until pull_events."""
    order = new_order()
    order.confirm(actor=STAFF)
    order.ship(carrier="SF", tracking_no="SF1", actor=STAFF)
    assert types(order.pending_events) == [OrderConfirmed, ShipmentDispatched]
    assert types(order.pull_events()) == [OrderConfirmed, ShipmentDispatched]
    order.confirm_receipt(actor=BUYER)
    assert types(order.pull_events()) == [ShipmentReceived, OrderCompleted]


def test_failures_of_the_library_are_ecservice_errors() -> None:
    """Every refusal seen above belongs to the EcServiceError family."""
    for error in (
        InvalidTransition,
        GuardRejected,
        InvalidQuantity,
        UnknownLine,
        TrackingOutOfOrder,
        ValidationError,
        NaiveDatetime,
    ):
        assert issubclass(error, EcServiceError)
