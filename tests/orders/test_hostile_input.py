"""Bad input to orders and carts raises a library error with a useful message and changes
nothing; huge numbers and odd types never escape as Python's own exceptions."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any, ClassVar

import attrs
import pendulum
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecservice.clock import FixedClock
from ecservice.errors import (
    EcServiceError,
    InvalidQuantity,
    TrackingOutOfOrder,
    UnknownLine,
    ValidationError,
)
from ecservice.money import Money
from ecservice.orders import (
    MAX_AUTO_CONFIRM_DAYS,
    MAX_QUANTITY,
    TRACKING_LEAD,
    AutoConfirmPolicy,
    Cart,
    Order,
    OrderStatus,
    ShippingRate,
    TrackingEvent,
    auto_confirm_due,
)
from ecservice.workflow import Actor, bind_workflow
from tests.orders.test_order import (
    ADDRESS,
    BUYER,
    CARRIER,
    STAFF,
    START,
    fails_unchanged,
    in_transit,
    new_order,
    processing,
)

RATE = ShippingRate.per_kg(first_fee=Money("8", "CNY"), additional_fee=Money("2", "CNY"))
HUGE = 10**5000


def at_checkout() -> Cart:
    cart = Cart.open("C-1", buyer_id="u-1", currency="CNY", clock=FixedClock(START))
    cart.add_line("TEA", "tea", Money("10.00", "CNY"), 2, actor=BUYER)
    cart.checkout(actor=BUYER)
    return cart


def test_ship_items_must_be_a_mapping_of_quantities() -> None:
    order = processing()
    with fails_unchanged(order, InvalidQuantity, match="mapping"):
        order.ship(items="SKU", carrier="SF", tracking_no="1", actor=STAFF)  # type: ignore[arg-type]
    with fails_unchanged(order, InvalidQuantity, match="pairs"):
        order.ship(items=["A"], carrier="SF", tracking_no="1", actor=STAFF)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "quantity", [HUGE, MAX_QUANTITY + 1, -HUGE], ids=["huge", "max+1", "-huge"]
)
def test_huge_quantities_are_refused_everywhere(quantity: int) -> None:
    order = processing()
    with fails_unchanged(order, InvalidQuantity, match="1 to 1,000,000"):
        order.ship(items={"A": quantity}, carrier="SF", tracking_no="1", actor=STAFF)
    with fails_unchanged(order, InvalidQuantity, match="1 to 1,000,000"):
        order.cancel_lines({"A": quantity}, reason="x", actor=STAFF)
    cart = Cart.open("C-1", buyer_id="u-1", currency="CNY")
    with pytest.raises(InvalidQuantity, match="1 to 1,000,000"):
        cart.add_line("TEA", "tea", Money("1", "CNY"), quantity, actor=BUYER)
    assert cart.lines == ()


def test_adding_to_a_line_cannot_pass_the_maximum_quantity() -> None:
    cart = Cart.open("C-1", buyer_id="u-1", currency="CNY")
    cart.add_line("TEA", "tea", Money("1", "CNY"), MAX_QUANTITY, actor=BUYER)
    with pytest.raises(InvalidQuantity, match="quantity of 'TEA'"):
        cart.add_line("TEA", "tea", Money("1", "CNY"), 1, actor=BUYER)
    assert cart.line("TEA").quantity == MAX_QUANTITY


@pytest.mark.parametrize(
    "days",
    [10**7, HUGE, MAX_AUTO_CONFIRM_DAYS + 1, 0, True, 1.5, "10"],
    ids=["10**7", "huge", "max+1", "0", "True", "1.5", "str"],
)
def test_auto_confirm_days_are_bounded(days: Any) -> None:
    with pytest.raises(ValidationError, match=f"from 1 to {MAX_AUTO_CONFIRM_DAYS}"):
        AutoConfirmPolicy(days=days)


def test_the_longest_auto_confirm_period_is_accepted() -> None:
    policy = AutoConfirmPolicy(days=MAX_AUTO_CONFIRM_DAYS)
    assert policy.due_at(START) > START


@pytest.mark.parametrize("shipping", [None, "SF", Money("8", "CNY")])
def test_place_order_needs_a_shipping_rate(shipping: Any) -> None:
    cart = at_checkout()
    with pytest.raises(ValidationError, match="ShippingRate"):
        cart.place_order("O-1", address=ADDRESS, shipping=shipping, actor=BUYER)
    assert cart.status.name == "CHECKING_OUT"
    assert cart.order_id is None


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"remarks": 42}, "remarks"),
        ({"remarks": "x\u202e"}, "U\\+202E"),
        ({"presale": "soon"}, "Presale"),
        ({"order_type": dict}, "order_type"),
        ({"actor": "u-1"}, "Actor"),
    ],
)
def test_place_order_refuses_bad_arguments(kwargs: dict[str, Any], match: str) -> None:
    cart = at_checkout()
    args: dict[str, Any] = {"address": ADDRESS, "shipping": RATE, "actor": BUYER, **kwargs}
    with pytest.raises(ValidationError, match=match):
        cart.place_order("O-1", **args)
    assert cart.order_id is None


def test_mark_out_of_stock_takes_one_sku_as_a_str() -> None:
    """A str is one SKU (not a sequence of one-letter SKUs)."""
    order = processing()
    order.mark_out_of_stock("B", actor=STAFF)
    assert order.out_of_stock == ("B",)
    order.restock("B", actor=STAFF)
    assert order.status is OrderStatus.PROCESSING
    with fails_unchanged(order, UnknownLine, match="'CUP-01'"):
        order.mark_out_of_stock("CUP-01", actor=STAFF)


@pytest.mark.parametrize("skus", [42, None, b"B", {"B": 1}])
def test_mark_out_of_stock_refuses_what_is_not_skus(skus: Any) -> None:
    order = processing()
    with fails_unchanged(order, ValidationError):
        order.mark_out_of_stock(skus, actor=STAFF)


@pytest.mark.parametrize("note", [123, b"x", "a\x00b", "x\u202e", "n" * 2001])
def test_notes_must_be_acceptable_text(note: Any) -> None:
    order = new_order()
    with fails_unchanged(order, ValidationError, match="note"):
        order.confirm(actor=STAFF, note=note)
    order.confirm(actor=STAFF, note=" checked by phone\nok ")
    assert order.history[-1].note == "checked by phone\nok"


@pytest.mark.parametrize("actor", ["kefu", None, 7])
def test_actors_must_be_actors(actor: Any) -> None:
    order = new_order()
    with fails_unchanged(order, EcServiceError):
        order.cancel(reason="x", actor=actor)
    with fails_unchanged(order, EcServiceError):
        order.confirm(actor=actor)


@pytest.mark.parametrize(
    "field", [{"carrier": "S\u202eF"}, {"tracking_no": "1" * 201}, {"warehouse": ""}]
)
def test_shipment_text_is_checked(field: dict[str, str]) -> None:
    order = processing()
    kwargs: dict[str, Any] = {"carrier": "SF", "tracking_no": "1", "actor": STAFF, **field}
    with fails_unchanged(order, ValidationError):
        order.ship(**kwargs)


def test_a_cancel_reason_is_long_text() -> None:
    order = new_order()
    with fails_unchanged(order, ValidationError, match="at most 2000"):
        order.cancel(reason="r" * 2001, actor=STAFF)
    order.cancel(reason="buyer asked\nby phone", actor=STAFF)
    assert order.cancellations[0].reason == "buyer asked\nby phone"


def test_adding_a_sku_under_another_name_is_refused() -> None:
    cart = Cart.open("C-1", buyer_id="u-1", currency="CNY")
    cart.add_line("TEA", "Longjing tea", Money("10", "CNY"), 1, actor=BUYER)
    with pytest.raises(ValidationError, match="already in the cart as 'Longjing tea'"):
        cart.add_line("TEA", "Oolong tea", Money("10", "CNY"), 1, actor=BUYER)
    with pytest.raises(ValidationError, match="remove the line first"):
        cart.add_line("TEA", "Longjing tea", Money("10", "CNY"), 1, weight_kg=2, actor=BUYER)
    assert cart.line("TEA").name == "Longjing tea"
    assert cart.line("TEA").quantity == 1
    cart.add_line("TEA", "Longjing tea", Money("10", "CNY"), 2, actor=BUYER)
    assert cart.line("TEA").quantity == 3


def test_a_scan_dated_in_the_future_is_refused_and_blocks_nothing() -> None:
    """A scan dated a year ahead is refused; later genuine scans are still accepted."""
    clock = FixedClock(START)
    order = in_transit(clock)
    clock.advance(hours=2)
    wrong = TrackingEvent(at=clock.now().add(years=1), description="bad clock")
    with fails_unchanged(order, ValidationError, match="after the order's clock"):
        order.add_tracking_event("O-1-S1", wrong, actor=CARRIER)
    genuine = TrackingEvent(at=clock.now(), description="picked up")
    order.add_tracking_event("O-1-S1", genuine, actor=CARRIER)
    assert order.shipment("O-1-S1").events == (genuine,)


def test_a_scan_slightly_ahead_of_the_clock_is_accepted() -> None:
    clock = FixedClock(START)
    order = in_transit(clock)
    ahead = TrackingEvent(at=clock.now() + TRACKING_LEAD, description="clock skew")
    order.add_tracking_event("O-1-S1", ahead, actor=CARRIER)
    too_far = TrackingEvent(
        at=clock.now() + TRACKING_LEAD + _dt.timedelta(seconds=1), description="x"
    )
    with fails_unchanged(order, ValidationError):
        order.add_tracking_event("O-1-S1", too_far, actor=CARRIER)
    with fails_unchanged(order, TrackingOutOfOrder):
        order.add_tracking_event(
            "O-1-S1", TrackingEvent(at=clock.now(), description="older"), actor=CARRIER
        )


@attrs.define(slots=True, kw_only=True, on_setattr=attrs.setters.NO_OP)
class LenientOrder(Order):
    """A shop whose carrier feeds are known to run a day ahead."""

    tracking_lead: ClassVar[_dt.timedelta] = _dt.timedelta(days=1)


bind_workflow(LenientOrder, Order.workflow)


def test_the_tracking_lead_is_configurable_per_order_class() -> None:
    clock = FixedClock(START)
    base = new_order(clock)
    order = LenientOrder(
        id="O-1",
        buyer_id="u-1",
        lines=base.lines,
        address=ADDRESS,
        shipping_fee=base.shipping_fee,
        created_at=START,
        clock=clock,
    )
    order.confirm(actor=STAFF)
    order.ship(carrier="SF", tracking_no="1", actor=STAFF)
    order.add_tracking_event(
        "O-1-S1", TrackingEvent(at=START.add(hours=20), description="x"), actor=CARRIER
    )
    assert len(order.shipment("O-1-S1").events) == 1


def test_weights_and_weight_steps_are_bounded() -> None:
    with pytest.raises(ValidationError, match="one gram"):
        ShippingRate(
            first_weight_kg=Decimal(1),
            first_fee=Money("1", "CNY"),
            additional_weight_kg=Decimal("1e-900000"),
            additional_fee=Money("1", "CNY"),
        )
    with pytest.raises(ValidationError, match="kg"):
        RATE.fee(Decimal("1e999999"))
    with pytest.raises(ValidationError, match="kg"):
        RATE.fee(HUGE)
    with pytest.raises(ValidationError, match="Money"):
        RATE.fee(1, Decimal(100))  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="Money"):
        ShippingRate.per_kg(first_fee=None, additional_fee=Money("1", "CNY"))  # type: ignore[arg-type]


HOSTILE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.just(HUGE),
    st.floats(allow_nan=True),
    st.decimals(allow_nan=True),
    st.text(max_size=30),
    st.just("x" * 1_000_000),
    st.sampled_from(["A", "B", "SKU", "\u202e", "\x00", "１２", "1e5", " A "]),
    st.binary(max_size=5),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.sampled_from(["A", "B", "Z"]), st.integers(-3, 10**7), max_size=3),
    st.builds(object),
)

CALLS: list[tuple[str, Callable[[Order, Any], object]]] = [
    ("ship items", lambda o, v: o.ship(items=v, carrier="SF", tracking_no="1", actor=STAFF)),
    ("ship carrier", lambda o, v: o.ship(carrier=v, tracking_no="1", actor=STAFF)),
    ("ship id", lambda o, v: o.ship(carrier="c", tracking_no="1", actor=STAFF, shipment_id=v)),
    ("ship note", lambda o, v: o.ship(carrier="c", tracking_no="1", actor=STAFF, note=v)),
    ("ship actor", lambda o, v: o.ship(carrier="c", tracking_no="1", actor=v)),
    ("out of stock", lambda o, v: o.mark_out_of_stock(v, actor=STAFF)),
    ("cancel_lines", lambda o, v: o.cancel_lines(v, reason="x", actor=STAFF)),
    ("cancel reason", lambda o, v: o.cancel(reason=v, actor=STAFF)),
    ("confirm address", lambda o, v: o.confirm(actor=STAFF, address=v)),
    (
        "track id",
        lambda o, v: o.add_tracking_event(
            v, TrackingEvent(at=START, description="d"), actor=CARRIER
        ),
    ),
    ("track event", lambda o, v: o.add_tracking_event("O-1-S1", v, actor=CARRIER)),
    ("receipt", lambda o, v: o.confirm_receipt(v, actor=BUYER)),
    ("auto confirm", lambda o, v: o.auto_confirm(v)),
]


@settings(max_examples=150, deadline=None)
@given(
    state=st.sampled_from(["new", "processing", "in transit"]),
    call=st.sampled_from(CALLS),
    value=HOSTILE,
)
def test_only_library_errors_escape_and_failures_change_nothing(
    state: str, call: tuple[str, Callable[[Order, Any], object]], value: Any
) -> None:
    order = {"new": new_order, "processing": processing, "in transit": in_transit}[state]()
    before = (attrs.asdict(order, recurse=False), order.pending_events)
    try:
        call[1](order, value)
    except EcServiceError:
        assert (attrs.asdict(order, recurse=False), order.pending_events) == before
    assert isinstance(order.status, OrderStatus)


def test_actor_none_is_never_written_to_history() -> None:
    order = new_order()
    with pytest.raises(EcServiceError):
        order.confirm(actor=None)  # type: ignore[arg-type]
    assert order.history == ()
    assert all(isinstance(r.actor, Actor) for r in processing().history)


def test_clock_aware_scan_helpers_use_the_order_clock() -> None:
    clock = FixedClock(pendulum.datetime(2026, 1, 1, tz="UTC"))
    order = in_transit(clock)
    assert order.tracking_lead == TRACKING_LEAD


@pytest.mark.parametrize("policy", [None, 10, "10 days"])
def test_auto_confirm_needs_a_policy(policy: Any) -> None:
    order = in_transit()
    with pytest.raises(ValidationError, match="AutoConfirmPolicy"):
        order.auto_confirm_due_at(policy)
    with fails_unchanged(order, ValidationError, match="AutoConfirmPolicy"):
        order.auto_confirm(policy)
    with pytest.raises(ValidationError, match="AutoConfirmPolicy"):
        auto_confirm_due([order], policy)


def test_a_due_time_past_the_calendar_is_a_library_error() -> None:
    far = pendulum.datetime(9999, 12, 30, tz="UTC")
    with pytest.raises(ValidationError, match="end of the calendar"):
        AutoConfirmPolicy(days=10).due_at(far)
    with pytest.raises(ValidationError, match="end of the calendar"):
        AutoConfirmPolicy(days=10).is_due(far, far)
