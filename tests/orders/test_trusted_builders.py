"""The order area's fast builders give the objects its public constructors give.

The typed trigger methods build value objects, proposed changes and domain events from values
they checked themselves, without the attrs-generated ``__init__``. Each builder must set every
field: an object built either way is equal, field for field, to the other.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs
import pendulum

from ecservice.money import Money
from ecservice.orders import (
    Address,
    Cancellation,
    CartLine,
    OrderCompleted,
    OrderConfirmed,
    OrderLine,
    Shipment,
    ShipmentDispatched,
    ShipmentReceived,
    TrackingEvent,
    TrackingEventAdded,
)
from ecservice.orders._cart import _new_cart_line
from ecservice.orders._events import _dispatched, _plain_event, _received, _tracking_added
from ecservice.orders._order_workflow import OrderChange, new_change
from ecservice.orders._values import (
    _new_cancellation,
    _new_order_line,
    _new_shipment,
    _shipment_copy,
)
from ecservice.workflow import Actor

AT = pendulum.datetime(2026, 11, 11, 1, 30)
LATER = AT.add(hours=5)
STAFF = Actor.staff("kefu-07")
PRICE = Money("88.00", "CNY")
SCAN = TrackingEvent(at=AT.add(hours=1), description="Collected", location="Hangzhou")
ADDRESS = Address(
    recipient="王小明",
    phone="138 0013 8000",
    province="浙江省",
    city="杭州市",
    street="龙井路 1 号",
)


def _same(built: Any, constructed: Any) -> None:
    assert type(built) is type(constructed)
    for field in attrs.fields(type(constructed)):
        assert getattr(built, field.name) == getattr(constructed, field.name), field.name
    assert built == constructed
    assert hash(built) == hash(constructed)


def test_value_objects() -> None:
    shipment = Shipment(
        id="O-1-S1",
        warehouse="main",
        carrier="SF",
        tracking_no="SF1001",
        items=(("TEA-250", 3),),
        shipped_at=AT,
    )
    _same(
        _new_shipment("O-1-S1", "main", "SF", "TRK", (("TEA-250", 3),), AT, (), None, None),
        attrs.evolve(shipment, tracking_no="TRK"),
    )
    _same(
        _shipment_copy(shipment, (SCAN,), LATER, STAFF),
        attrs.evolve(shipment, events=(SCAN,), received_at=LATER, received_by=STAFF),
    )
    _same(
        _new_order_line("TEA-250", "Longjing tea", PRICE, 3, Decimal("0.3")),
        OrderLine(
            sku="TEA-250",
            name="Longjing tea",
            unit_price=PRICE,
            quantity=3,
            weight_kg=Decimal("0.3"),
        ),
    )
    _same(
        _new_cart_line("TEA-250", "Longjing tea", PRICE, 3, Decimal("0.3")),
        CartLine(
            sku="TEA-250",
            name="Longjing tea",
            unit_price=PRICE,
            quantity=3,
            weight_kg=Decimal("0.3"),
        ),
    )
    _same(
        _new_cancellation("TEA-250", 2, "out of stock", AT, STAFF),
        Cancellation(sku="TEA-250", quantity=2, reason="out of stock", at=AT, actor=STAFF),
    )
    _same(
        new_change((shipment,), (), ("TEA-250",), ADDRESS, ()),
        OrderChange(
            shipments=(shipment,), cancellations=(), out_of_stock=("TEA-250",), address=ADDRESS
        ),
    )


def test_events() -> None:
    shipment = _new_shipment("O-1-S1", "main", "SF", "SF1", (("TEA-250", 3),), AT, (), None, None)
    _same(
        _plain_event(OrderConfirmed, "O-1", AT, STAFF),
        OrderConfirmed(aggregate_id="O-1", occurred_at=AT, actor=STAFF),
    )
    _same(
        _plain_event(OrderCompleted, "O-1", AT, STAFF),
        OrderCompleted(aggregate_id="O-1", occurred_at=AT, actor=STAFF),
    )
    _same(
        _dispatched("O-1", AT, STAFF, shipment),
        ShipmentDispatched(aggregate_id="O-1", occurred_at=AT, actor=STAFF, shipment=shipment),
    )
    _same(
        _tracking_added("O-1", AT, STAFF, "O-1-S1", SCAN),
        TrackingEventAdded(
            aggregate_id="O-1", occurred_at=AT, actor=STAFF, shipment_id="O-1-S1", event=SCAN
        ),
    )
    _same(
        _received("O-1", AT, STAFF, "O-1-S1", True),
        ShipmentReceived(
            aggregate_id="O-1", occurred_at=AT, actor=STAFF, shipment_id="O-1-S1", automatic=True
        ),
    )
    assert _received("O-1", AT, STAFF, "O-1-S1", True).describe() == {
        "type": "ShipmentReceived",
        "aggregate_id": "O-1",
        "occurred_at": AT,
        "actor": STAFF,
        "shipment_id": "O-1-S1",
        "automatic": True,
    }
