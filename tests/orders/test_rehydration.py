"""Loading orders and carts: the constructors storage calls check every invariant and type.

Each case is a document a corrupted or hostile store could hold; each must raise a specific
:class:`~ecservice.errors.EcServiceError` instead of producing an object that fails later.
"""

from __future__ import annotations

import datetime as _dt
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecservice.errors import (
    CurrencyMismatch,
    EcServiceError,
    EmptyCart,
    InvalidAddress,
    InvalidQuantity,
    NaiveDatetime,
    UnknownLine,
    ValidationError,
)
from ecservice.money import Money
from ecservice.orders import (
    ORDER_WORKFLOW,
    Address,
    Cancellation,
    Cart,
    CartLine,
    CartStatus,
    Order,
    OrderLine,
    OrderStatus,
    Presale,
    Shipment,
    TrackingEvent,
    apply_change,
)
from ecservice.text import LONG_TEXT_MAX, SHORT_TEXT_MAX
from ecservice.workflow import Actor, TransitionRecord, bind_workflow, transition
from tests.orders.test_order import ADDRESS, FEE, STAFF, START

TEA = OrderLine(sku="TEA", name="tea", unit_price=Money("10.00", "CNY"), quantity=3)
CUP = OrderLine(sku="CUP", name="cup", unit_price=Money("5.00", "CNY"), quantity=1)


def parcel(sid: str = "P1", **items: int) -> Shipment:
    return Shipment(
        id=sid,
        warehouse="main",
        carrier="SF",
        tracking_no="SF1",
        items=items or {"TEA": 1},
        shipped_at=START,
    )


def cancelled(sku: str = "CUP", quantity: int = 1) -> Cancellation:
    return Cancellation(sku=sku, quantity=quantity, reason="gone", at=START, actor=STAFF)


def steps(*path: tuple[str, Any, Any]) -> tuple[TransitionRecord, ...]:
    """A stored history: one record per ``(trigger, source, dest)``, all at START."""
    return tuple(
        TransitionRecord(trigger, source, dest, START.in_tz("UTC"), STAFF, "", version)
        for version, (trigger, source, dest) in enumerate(path, 1)
    )


#: How the stored order got in transit: an aggregate in a state other than the initial one is
#: loaded with the history that led there.
IN_TRANSIT_HISTORY = steps(
    ("confirm", OrderStatus.PENDING_CONFIRMATION, OrderStatus.PROCESSING),
    ("cancel_lines", OrderStatus.PROCESSING, OrderStatus.PROCESSING),
    ("ship", OrderStatus.PROCESSING, OrderStatus.IN_TRANSIT),
)


def in_transit_history(shipments: int, cancellations: int) -> tuple[TransitionRecord, ...]:
    """The history of an order in transit with that many shipments and cancellations."""
    p, t = OrderStatus.PROCESSING, OrderStatus.IN_TRANSIT
    return steps(
        ("confirm", OrderStatus.PENDING_CONFIRMATION, p),
        *(("cancel_lines", p, p) for _ in range(cancellations)),
        ("ship", p, t),
        *(("ship", t, t) for _ in range(shipments - 1)),
    )


def document(**changes: Any) -> dict[str, Any]:
    """The fields of a valid order in transit, with ``changes``."""
    fields: dict[str, Any] = {
        "id": "O-1",
        "status": OrderStatus.IN_TRANSIT,
        "version": len(IN_TRANSIT_HISTORY),
        "history": IN_TRANSIT_HISTORY,
        "buyer_id": "u-1",
        "lines": (TEA, CUP),
        "address": ADDRESS,
        "shipping_fee": FEE,
        "created_at": START,
        "shipments": (parcel(TEA=2),),
        "cancellations": (cancelled(),),
    }
    fields.update(changes)
    return fields


def test_a_valid_document_loads() -> None:
    order = Order(**document())
    assert order.open_items() == {"TEA": 1}


@pytest.mark.parametrize(
    ("changes", "error", "match"),
    [
        # a parcel of 5 on a line of 3
        ({"shipments": (parcel(TEA=5),)}, InvalidQuantity, "only 3 ordered"),
        # shipped + cancelled above ordered, across two parcels and a cancellation
        (
            {"shipments": (parcel("P1", TEA=2), parcel("P2", TEA=1, CUP=1))},
            InvalidQuantity,
            "'CUP'",
        ),
        ({"shipments": (parcel(MUG=1),)}, UnknownLine, "MUG"),
        ({"cancellations": (cancelled("MUG"),)}, UnknownLine, "MUG"),
        ({"shipments": (parcel("P1"), parcel("P1"))}, ValidationError, "two shipments"),
        ({"shipping_fee": Money("-1.00", "CNY")}, ValidationError, "negative"),
        ({"shipping_fee": Money("1.00", "USD")}, CurrencyMismatch, "USD"),
        ({"shipping_fee": Decimal("1.00")}, ValidationError, "Money"),
        ({"shipping_fee": None}, ValidationError, "Money"),
        ({"out_of_stock": ("MUG",)}, UnknownLine, "MUG"),
        ({"out_of_stock": ("CUP",)}, InvalidQuantity, "no open units"),
        ({"out_of_stock": ("TEA", "TEA")}, ValidationError, "distinct"),
        ({"out_of_stock": "TEA"}, ValidationError, "tuple of SKUs"),
        ({"shipments": parcel()}, ValidationError, "tuple of Shipment"),
        ({"shipments": ({"id": "P1"},)}, ValidationError, "Shipment values"),
        ({"cancellations": ("CUP",)}, ValidationError, "Cancellation values"),
        ({"lines": "TEA"}, ValidationError, "tuple of OrderLine"),
        ({"lines": (TEA, "CUP")}, ValidationError, "OrderLine"),
        ({"address": "Hangzhou"}, ValidationError, "Address"),
        ({"presale": "soon"}, ValidationError, "Presale"),
        (
            {"presale": Presale(ship_by=START, deposit=Money("1", "USD"))},
            CurrencyMismatch,
            "USD",
        ),
        ({"created_at": _dt.datetime(2026, 1, 1)}, NaiveDatetime, "time zone"),
        ({"created_at": "2026-01-01"}, ValidationError, "datetime"),
        ({"buyer_id": "u\u202e1"}, ValidationError, "U\\+202E"),
        ({"buyer_id": "u\x001"}, ValidationError, "U\\+0000"),
        ({"buyer_id": "u" * (SHORT_TEXT_MAX + 1)}, ValidationError, "at most 200"),
        ({"buyer_id": 42}, ValidationError, "string"),
        ({"remarks": "r" * (LONG_TEXT_MAX + 1)}, ValidationError, "at most 2000"),
        ({"remarks": "ok\u2066"}, ValidationError, "U\\+2066"),
        ({"remarks": 123}, ValidationError, "string"),
    ],
)
def test_an_inconsistent_document_is_refused(
    changes: dict[str, Any], error: type[EcServiceError], match: str
) -> None:
    with pytest.raises(error, match=match):
        Order(**document(**changes))


@pytest.mark.parametrize("status", ["processing", "IN_TRANSIT", None, 3])
def test_a_status_that_is_not_an_order_state_is_refused(status: object) -> None:
    """A stored status string is not a state: ``OrderStatus("processing")`` is (the kernel's base
    class checks it for every aggregate)."""
    with pytest.raises(ValidationError):
        Order(**document(status=status))
    assert Order(**document(status=OrderStatus("in_transit"))).status is OrderStatus.IN_TRANSIT


def test_remarks_may_span_lines() -> None:
    assert Order(**document(remarks="leave at the door\nring twice")).remarks.count("\n") == 1


@pytest.mark.parametrize(
    ("build", "error"),
    [
        (lambda: Cancellation(sku="TEA", quantity=1, reason="x", at=START, actor="kefu"), None),
        (lambda: Cancellation(sku="TEA", quantity=1, reason=" x", at=START, actor=STAFF), None),
        (lambda: Cancellation(sku="TEA", quantity=10**5000, reason="x", at=START, actor=STAFF), 1),
        (lambda: OrderLine(sku="A", name="a", unit_price=Money("1", "CNY"), quantity=10**6 + 1), 1),
        (lambda: OrderLine(sku="A", name="a", unit_price=Decimal(1), quantity=1), None),
        (
            lambda: OrderLine(
                sku="A",
                name="a",
                unit_price=Money("1", "CNY"),
                quantity=1,
                weight_kg=Decimal("1e999999"),
            ),
            None,
        ),
        (
            lambda: OrderLine(
                sku="A",
                name="a",
                unit_price=Money("1", "CNY"),
                quantity=1,
                weight_kg=Decimal("NaN"),
            ),
            None,
        ),
        (lambda: OrderLine(sku="A\tB", name="a", unit_price=Money("1", "CNY"), quantity=1), None),
        (lambda: TrackingEvent(at=START, description="scan", location="x\u202ay"), None),
        (lambda: parcel(TEA=10**5000), 1),
        (
            lambda: Shipment(
                id="P", warehouse="w", carrier="c", tracking_no="t", items="TEA", shipped_at=START
            ),
            1,
        ),
        (
            lambda: Shipment(
                id="P",
                warehouse="w",
                carrier="c",
                tracking_no="t",
                items={"A": 1},
                shipped_at=START,
                received_at=START,
            ),
            None,
        ),
        (
            lambda: Shipment(
                id="P",
                warehouse="w",
                carrier="c",
                tracking_no="t",
                items={"A": 1},
                shipped_at=START,
                received_at=START.subtract(days=1),
                received_by=STAFF,
            ),
            None,
        ),
        (
            lambda: Shipment(
                id="P",
                warehouse="w",
                carrier="c",
                tracking_no="t",
                items={"A": 1},
                shipped_at=START,
                received_at=START,
                received_by="buyer",
            ),
            None,
        ),
        (
            lambda: Shipment(
                id="P",
                warehouse="w",
                carrier="c",
                tracking_no="t",
                items={"A": 1},
                shipped_at=START,
                events=(TrackingEvent(at=START.subtract(hours=1), description="x"),),
            ),
            None,
        ),
        (
            lambda: Shipment(
                id="P",
                warehouse="w",
                carrier="c",
                tracking_no="t",
                items={"A": 1},
                shipped_at=START,
                events=["scan"],
            ),
            None,
        ),
        (lambda: Presale(ship_by=START, deposit=Money("-1", "CNY")), None),
    ],
)
def test_value_objects_check_their_fields(build: Any, error: int | None) -> None:
    """Actors are Actors, quantities bounded, prices Money, weights finite and bounded, text
    acceptable, receipts complete and not before dispatch, events in order."""
    with pytest.raises(InvalidQuantity if error else ValidationError):
        build()


def test_address_parts_are_checked_text() -> None:
    with pytest.raises(InvalidAddress, match="U\\+202E"):
        Address(recipient="r\u202e", phone="12345", province="p", city="c", street="s")
    with pytest.raises(InvalidAddress, match="district"):
        Address(recipient="r", phone="12345", province="p", city="c", street="s", district="\x07")
    with pytest.raises(InvalidAddress, match="phone"):
        Address(recipient="r", phone="1" * 10_000, province="p", city="c", street="s")


def cart_document(**changes: Any) -> dict[str, Any]:
    line = CartLine(sku="TEA", name="tea", unit_price=Money("10.00", "CNY"), quantity=1)
    fields: dict[str, Any] = {"id": "C-1", "buyer_id": "u-1", "currency": "CNY", "lines": (line,)}
    if changes.get("status") is CartStatus.ORDERED:
        fields["history"] = steps(
            ("checkout", CartStatus.SHOPPING, CartStatus.CHECKING_OUT),
            ("place_order", CartStatus.CHECKING_OUT, CartStatus.ORDERED),
        )
        fields["version"] = 2
    fields.update(changes)
    return fields


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"lines": "TEA"}, ValidationError),
        ({"lines": ({"sku": "TEA"},)}, ValidationError),
        (
            {
                "lines": (
                    CartLine(sku="T", name="t", unit_price=Money("1", "CNY"), quantity=1),
                    CartLine(sku="T", name="t", unit_price=Money("1", "CNY"), quantity=2),
                )
            },
            ValidationError,
        ),
        (
            {"lines": (CartLine(sku="T", name="t", unit_price=Money("1", "USD"), quantity=1),)},
            CurrencyMismatch,
        ),
        ({"status": CartStatus.ORDERED}, ValidationError),
        ({"order_id": "O-1"}, ValidationError),
        ({"status": CartStatus.ORDERED, "order_id": "O\x00"}, ValidationError),
        ({"buyer_id": "b" * 201}, ValidationError),
    ],
)
def test_an_inconsistent_cart_is_refused(changes: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        Cart(**cart_document(**changes))


def test_an_ordered_cart_loads_with_its_order_id() -> None:
    cart = Cart(**cart_document(status=CartStatus.ORDERED, order_id="O-1"))
    assert cart.order_id == "O-1"


def test_an_ordered_cart_without_lines_is_refused() -> None:
    """Checkout refuses an empty cart, so a stored ordered cart without lines is damaged."""
    with pytest.raises(EmptyCart, match="only a cart with lines"):
        Cart(**cart_document(status=CartStatus.ORDERED, order_id="O-1", lines=()))


def test_cart_line_price_must_be_money() -> None:
    with pytest.raises(ValidationError, match="Money"):
        CartLine(sku="T", name="t", unit_price=Decimal(1), quantity=1)  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None)
@given(
    ordered=st.lists(st.integers(1, 5), min_size=1, max_size=3),
    shipped=st.lists(st.integers(0, 6), min_size=3, max_size=3),
    cancelled_units=st.lists(st.integers(0, 6), min_size=3, max_size=3),
)
def test_a_loaded_order_never_has_negative_open_units(
    ordered: list[int], shipped: list[int], cancelled_units: list[int]
) -> None:
    """Whatever the document says, either the order is refused or ``open_items()`` and
    ``open_quantity()`` are never negative."""
    lines = tuple(
        OrderLine(sku=f"L{i}", name="x", unit_price=Money("1", "CNY"), quantity=q)
        for i, q in enumerate(ordered)
    )
    items = {f"L{i}": q for i, q in enumerate(shipped) if q}
    shipments = (parcel("P1", **items),) if items else ()
    cancellations = tuple(cancelled(f"L{i}", q) for i, q in enumerate(cancelled_units) if q)
    history = in_transit_history(len(shipments), len(cancellations))
    status = OrderStatus.IN_TRANSIT if shipments else OrderStatus.PROCESSING
    try:
        order = Order(
            **document(
                lines=lines,
                shipments=shipments,
                cancellations=cancellations,
                history=history if shipments else history[:-1],
                version=len(history) - (not shipments),
                status=status,
            )
        )
    except EcServiceError:
        return
    assert all(q > 0 for q in order.open_items().values())
    assert all(order.open_quantity(line.sku) >= 0 for line in order.lines)


def test_actor_in_a_received_shipment_is_kept() -> None:
    s = Shipment(
        id="P",
        warehouse="w",
        carrier="c",
        tracking_no="t",
        items=[["A", 1]],
        shipped_at=START,
        received_at=START,
        received_by=Actor.buyer("u"),
    )
    assert s.items == (("A", 1),)


P, T = OrderStatus.PROCESSING, OrderStatus.IN_TRANSIT


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        # a 'ship' record but no shipment: ship() would send the goods again
        ({"shipments": ()}, "0 shipment\\(s\\), but its history has 1 'ship'"),
        # two shipments, one 'ship' record
        (
            {"shipments": (parcel("P1"), parcel("P2"))},
            "2 shipment\\(s\\), but its history has 1 'ship'",
        ),
        # a 'cancel_lines' record but no cancellation: the amount due would go back up
        ({"cancellations": ()}, "0 cancellation\\(s\\), but its history has 1 'cancel'"),
        # a cancellation without any 'cancel'/'cancel_lines' record
        (
            {"history": steps(("confirm", OrderStatus.PENDING_CONFIRMATION, P), ("ship", P, T))},
            "no 'cancel' or 'cancel_lines' record",
        ),
        # a received parcel without 'confirm_receipt'/'auto_confirm'
        (
            {"shipments": (attrs.evolve(parcel(TEA=2), received_at=START, received_by=STAFF),)},
            "shipment 'P1' is received, but its history has no 'confirm_receipt'",
        ),
    ],
)
def test_fields_that_contradict_the_history_are_refused(
    changes: dict[str, Any], match: str
) -> None:
    if "history" in changes:
        changes["version"] = len(changes["history"])
    with pytest.raises(ValidationError, match=match):
        Order(**document(**changes))


def test_a_received_parcel_loads_with_its_confirm_receipt_record() -> None:
    history = steps(
        ("confirm", OrderStatus.PENDING_CONFIRMATION, P),
        ("cancel_lines", P, P),
        ("ship", P, T),
        ("confirm_receipt", T, P),
    )
    received = attrs.evolve(parcel(TEA=2), received_at=START, received_by=STAFF)
    order = Order(**document(status=P, history=history, version=4, shipments=(received,)))
    assert order.status is P
    assert not order.shipments[0].travelling


@attrs.define(slots=True, kw_only=True, on_setattr=attrs.setters.NO_OP)
class RushOrder(Order[OrderStatus]):
    """An order whose custom ``rush_ship`` trigger sends a parcel on its own."""

    def rush_ship(self, *, actor: Actor) -> TransitionRecord:
        return self._fire("rush_ship", actor=actor)


bind_workflow(
    RushOrder,
    ORDER_WORKFLOW.derive(
        "order-rush", add_transitions=[transition("rush_ship", P, T, before=[apply_change])]
    ),
)


def test_a_custom_trigger_may_ship_cancel_and_confirm() -> None:
    """Only the default triggers' records are counted: a custom trigger of a derived workflow
    may add shipments, cancellations or receipts of its own."""
    history = steps(("confirm", OrderStatus.PENDING_CONFIRMATION, P), ("rush_ship", P, T))
    received = attrs.evolve(parcel(TEA=2), received_at=START, received_by=STAFF)
    order = RushOrder(**document(history=history, version=2, shipments=(received,)))
    assert order.shipments == (received,)
    assert order.cancellations
    # the default triggers' records still count as lower bounds
    with pytest.raises(ValidationError, match="1 'cancel'"):
        RushOrder(**document(cancellations=()))
