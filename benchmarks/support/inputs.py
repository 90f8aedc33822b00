"""The inputs every measurement shares: order data, actors, scans and the typed-method calls."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, Final

import attrs
import pendulum
from pendulum import DateTime

from ecservice.clock import FixedClock
from ecservice.money import Money
from ecservice.orders import (
    Address,
    Order,
    OrderChange,
    OrderLine,
    OrderMarkedOutOfStock,
    OrderRestocked,
    OrderStatus,
    TrackingEvent,
)
from ecservice.workflow import Actor, TransitionRecord

from .baseline import BaselineOrder

S = OrderStatus
NOTE: Final = "benchmark"


@attrs.frozen
class Data:
    """The inputs both kinds of order are built from (shared, as a repository would share them)."""

    clock: FixedClock
    staff: Actor
    lines: tuple[OrderLine, ...]
    address: Address
    fee: Money
    created_at: DateTime
    history: tuple[TransitionRecord, ...]
    out: OrderChange
    back: OrderChange


def make_data() -> Data:
    """Build the shared inputs and the precomputed mark_out_of_stock / restock payloads."""
    clock = FixedClock(pendulum.datetime(2026, 11, 11, 9, 30, tz="Asia/Shanghai"))
    staff = Actor.staff("kefu-07")
    lines = (
        OrderLine(
            sku="TEA-250",
            name="Longjing tea 250 g",
            unit_price=Money("88.00", "CNY"),
            quantity=3,
            weight_kg=Decimal("0.3"),
        ),
        OrderLine(
            sku="CUP-01",
            name="Celadon cup",
            unit_price=Money("45.50", "CNY"),
            quantity=1,
            weight_kg=Decimal("0.4"),
        ),
    )
    address = Address(
        recipient="王小明",
        phone="138 0013 8000",
        province="浙江省",
        city="杭州市",
        district="西湖区",
        street="龙井路 1 号",
    )
    now = clock.now()
    confirmed = TransitionRecord(
        "confirm", S.PENDING_CONFIRMATION, S.PROCESSING, now, staff, "checked", 1
    )
    base: dict[str, Any] = {"shipments": (), "cancellations": (), "address": address}
    event_base: dict[str, Any] = {"aggregate_id": "O-1", "occurred_at": now, "actor": staff}
    out = OrderChange(
        out_of_stock=("CUP-01",),
        events=(OrderMarkedOutOfStock(**event_base, skus=("CUP-01",)),),
        **base,
    )
    back = OrderChange(
        out_of_stock=(), events=(OrderRestocked(**event_base, skus=("CUP-01",)),), **base
    )
    return Data(clock, staff, lines, address, Money("16.00", "CNY"), now, (confirmed,), out, back)


def new_order(d: Data, oid: str) -> Order:
    """Rehydrate a processing Order (every field given, as a repository does)."""
    return Order(
        id=oid,
        status=S.PROCESSING,
        version=1,
        history=d.history,
        clock=d.clock,
        buyer_id="u-1001",
        lines=d.lines,
        address=d.address,
        shipping_fee=d.fee,
        created_at=d.created_at,
        remarks="",
        presale=None,
        shipments=(),
        cancellations=(),
        out_of_stock=(),
    )


def new_baseline(d: Data, oid: str) -> BaselineOrder:
    """The same, as a BaselineOrder."""
    return BaselineOrder(
        id=oid,
        status=S.PROCESSING,
        version=1,
        history=d.history,
        clock=d.clock,
        buyer_id="u-1001",
        lines=d.lines,
        address=d.address,
        shipping_fee=d.fee,
        created_at=d.created_at,
        remarks="",
        presale=None,
        shipments=(),
        cancellations=(),
        out_of_stock=(),
    )


def ids(prefix: str, start: int, count: int) -> list[str]:
    """Distinct order ids (made outside the timed and traced regions)."""
    return [f"{prefix}-{i:08d}" for i in range(start, start + count)]


@attrs.frozen
class Typed:
    """Inputs of the typed-method sequence: actors and the three tracking events."""

    buyer: Actor
    carrier: Actor
    scans: tuple[TrackingEvent, TrackingEvent, TrackingEvent]


def make_typed(d: Data) -> Typed:
    """Actors and tracking events shared by every order of the typed-method measurement."""
    now = d.clock.now()
    return Typed(
        buyer=Actor.buyer("u-1001"),
        carrier=Actor.carrier("sf-express"),
        scans=(
            TrackingEvent(at=now, description="Collected", location="Hangzhou"),
            TrackingEvent(at=now, description="Out for delivery"),
            TrackingEvent(at=now, description="Collected", location="Hangzhou"),
        ),
    )


def new_pending(d: Data, oid: str, cls: type[Order[Any]] | type[BaselineOrder]) -> Any:
    """A new order awaiting confirmation (as ``Cart.place_order`` leaves it), of either kind."""
    return cls(
        id=oid,
        status=S.PENDING_CONFIRMATION,
        version=0,
        history=(),
        clock=d.clock,
        buyer_id="u-1001",
        lines=d.lines,
        address=d.address,
        shipping_fee=d.fee,
        created_at=d.created_at,
    )


#: The methods of the typed-method measurement, in the order they are called.
TYPED_STEPS: Final = (
    "confirm",
    "ship",
    "ship",
    "add_tracking_event",
    "add_tracking_event",
    "add_tracking_event",
    "confirm_receipt",
)


Call = Callable[[Any], object]


def typed_calls(d: Data, t: Typed) -> list[Call]:
    """One callable per step of :data:`TYPED_STEPS`, for an order of either kind."""
    staff, buyer, carrier = d.staff, t.buyer, t.carrier
    s1, s2, s3 = t.scans
    tea = {"TEA-250": 3}
    return [
        lambda o: o.confirm(actor=staff, note=NOTE),
        lambda o: o.ship(carrier="SF", tracking_no="SF1001", items=tea, actor=staff),
        lambda o: o.ship(carrier="YTO", tracking_no="YT2002", actor=staff),
        lambda o: o.add_tracking_event(o.id + "-S1", s1, actor=carrier),
        lambda o: o.add_tracking_event(o.id + "-S1", s2, actor=carrier),
        lambda o: o.add_tracking_event(o.id + "-S2", s3, actor=carrier),
        lambda o: o.confirm_receipt(actor=buyer),
    ]
