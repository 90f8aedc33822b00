"""Tests of :class:`Cart`: lines while shopping, checkout, and placing the order."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs
import pendulum
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecservice.clock import FixedClock
from ecservice.errors import (
    CurrencyMismatch,
    EmptyCart,
    InvalidQuantity,
    InvalidTransition,
    UnknownLine,
    ValidationError,
)
from ecservice.money import Money, currency
from ecservice.orders import (
    Address,
    Cart,
    CartStatus,
    OrderPlaced,
    OrderStatus,
    Presale,
    ShippingRate,
)
from ecservice.workflow import Actor
from tests.strategies import invalid_quantities, positive_quantities, prices, skus

BUYER = Actor.buyer("u-42")
START = pendulum.datetime(2026, 11, 11, 9, 30, tz="Asia/Shanghai")
TEA = ("TEA-250", "Longjing tea 250 g", Money("88.00", "CNY"))
CUP = ("CUP-01", "Celadon cup", Money("45.50", "CNY"))
RATE = ShippingRate.per_kg(first_fee=Money("10.00", "CNY"), additional_fee=Money("6.00", "CNY"))
ADDRESS = Address(
    recipient="王小明",
    phone="138 0013 8000",
    province="浙江省",
    city="杭州市",
    district="西湖区",
    street="龙井路 1 号",
)


def new_cart(clock: FixedClock | None = None) -> Cart:
    return Cart.open("C-1", buyer_id="u-42", currency="CNY", clock=clock or FixedClock(START))


def filled_cart(clock: FixedClock | None = None) -> Cart:
    cart = new_cart(clock)
    cart.add_line(*TEA, 2, weight_kg=Decimal("0.3"), actor=BUYER)
    cart.add_line(*CUP, 1, weight_kg=Decimal("0.4"), actor=BUYER)
    return cart


def state(cart: Cart) -> dict[str, Any]:
    return attrs.asdict(cart, recurse=False)


# --- opening and lines ---------------------------------------------------------------------------


def test_open_cart_is_empty_and_shopping() -> None:
    """A new cart shops, has no lines, a zero subtotal in its currency and no history."""
    cart = new_cart()
    assert cart.status is CartStatus.SHOPPING
    assert cart.lines == ()
    assert cart.currency == currency("CNY")
    assert cart.subtotal == Money.zero("CNY")
    assert cart.weight_kg == Decimal(0)
    assert (cart.version, cart.history, cart.order_id) == (0, (), None)


def test_open_rejects_unknown_currency_and_empty_buyer() -> None:
    """Currency codes and buyer ids are validated when the cart opens."""
    with pytest.raises(ValidationError):
        Cart.open("C-1", buyer_id="u-1", currency="yuan")
    with pytest.raises(ValidationError, match="buyer_id"):
        Cart.open("C-1", buyer_id=" ", currency="CNY")


def test_add_line_appends_lines_and_records_history() -> None:
    """Each add appends a line in order and an internal history record with actor and note."""
    clock = FixedClock(START)
    cart = new_cart(clock)
    record = cart.add_line(*TEA, 2, weight_kg=Decimal("0.3"), actor=BUYER)
    clock.advance(minutes=1)
    cart.add_line(*CUP, actor=BUYER)  # quantity defaults to 1
    assert [(x.sku, x.quantity) for x in cart.lines] == [("TEA-250", 2), ("CUP-01", 1)]
    assert cart.subtotal == Money("221.50", "CNY")
    assert cart.weight_kg == Decimal("0.6")
    assert cart.status is CartStatus.SHOPPING
    assert (record.trigger, record.internal, record.actor, record.note) == (
        "add_line",
        True,
        BUYER,
        "TEA-250 x2",
    )
    assert record.at == START
    assert [r.version for r in cart.history] == [1, 2]
    assert cart.history[1].at == START.add(minutes=1)


def test_adding_a_sku_again_merges_into_its_line() -> None:
    """The same SKU at the same price adds to the existing line, keeping its position."""
    cart = filled_cart()
    cart.add_line(*TEA, 3, actor=BUYER)
    assert [(x.sku, x.quantity) for x in cart.lines] == [("TEA-250", 5), ("CUP-01", 1)]
    assert cart.line("TEA-250").subtotal == Money("440.00", "CNY")
    assert cart.line("TEA-250").weight_kg == Decimal("0.3")


def test_adding_a_sku_again_at_another_price_is_refused() -> None:
    """A price change is not merged silently; the cart is unchanged."""
    cart = filled_cart()
    before = state(cart)
    with pytest.raises(ValidationError, match="already in the cart"):
        cart.add_line("TEA-250", "tea", Money("80.00", "CNY"), 1, actor=BUYER)
    assert state(cart) == before


def test_set_quantity_changes_only_that_line() -> None:
    """set_quantity replaces the quantity of one line."""
    cart = filled_cart()
    record = cart.set_quantity("CUP-01", 4, actor=BUYER)
    assert [(x.sku, x.quantity) for x in cart.lines] == [("TEA-250", 2), ("CUP-01", 4)]
    assert (record.trigger, record.note) == ("set_quantity", "CUP-01 x4")


def test_remove_line() -> None:
    """remove_line takes exactly that line out."""
    cart = filled_cart()
    cart.remove_line("TEA-250", actor=BUYER)
    assert [x.sku for x in cart.lines] == ["CUP-01"]
    assert cart.history[-1].trigger == "remove_line"


def test_unknown_lines_raise_unknown_line() -> None:
    """Naming a SKU the cart does not hold raises UnknownLine and changes nothing."""
    cart = filled_cart()
    before = state(cart)
    with pytest.raises(UnknownLine, match="NOPE"):
        cart.set_quantity("NOPE", 1, actor=BUYER)
    with pytest.raises(UnknownLine):
        cart.remove_line("NOPE", actor=BUYER)
    with pytest.raises(UnknownLine):
        cart.line("NOPE")
    assert state(cart) == before


@settings(max_examples=30, deadline=None)
@given(quantity=invalid_quantities())
def test_bad_quantities_raise_invalid_quantity_and_change_nothing(quantity: object) -> None:
    """Zero, negative, bool, float, Decimal or str quantities are refused by add_line and
    set_quantity, and the cart stays exactly as it was."""
    cart = filled_cart()
    before = state(cart)
    with pytest.raises(InvalidQuantity):
        cart.add_line(*TEA, quantity, actor=BUYER)  # type: ignore[arg-type]
    with pytest.raises(InvalidQuantity):
        cart.add_line("NEW-1", "new", Money("1.00", "CNY"), quantity, actor=BUYER)  # type: ignore[arg-type]
    with pytest.raises(InvalidQuantity):
        cart.set_quantity("TEA-250", quantity, actor=BUYER)  # type: ignore[arg-type]
    assert state(cart) == before


def test_prices_must_be_money_in_the_cart_currency_and_not_negative() -> None:
    """A USD price in a CNY cart, a negative price, a bare number or a float weight are refused."""
    cart = filled_cart()
    before = state(cart)
    with pytest.raises(CurrencyMismatch):
        cart.add_line("X-1", "x", Money("1.00", "USD"), 1, actor=BUYER)
    with pytest.raises(ValidationError, match="negative"):
        cart.add_line("X-1", "x", Money("-1.00", "CNY"), 1, actor=BUYER)
    with pytest.raises(ValidationError, match="Money"):
        cart.add_line("X-1", "x", Decimal("1.00"), 1, actor=BUYER)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="weight"):
        cart.add_line("X-1", "x", Money("1.00", "CNY"), 1, weight_kg=0.5, actor=BUYER)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="sku"):
        cart.add_line(" ", "x", Money("1.00", "CNY"), 1, actor=BUYER)
    assert state(cart) == before


@settings(max_examples=30, deadline=None)
@given(
    adds=st.lists(
        st.tuples(st.sampled_from(["A-1", "B-2", "C-3"]), positive_quantities(9)), max_size=10
    ),
    price=prices("CNY", max_units=10**5),
)
def test_merged_quantities_and_subtotal_add_up(adds: list[tuple[str, int]], price: Money) -> None:
    """However lines are added, each SKU has one line with the total quantity, in first-added
    order, and the subtotal is price x all units."""
    cart = new_cart()
    for sku, qty in adds:
        cart.add_line(sku, sku.lower(), price, qty, actor=BUYER)
    expected: dict[str, int] = {}
    for sku, qty in adds:
        expected[sku] = expected.get(sku, 0) + qty
    assert [(x.sku, x.quantity) for x in cart.lines] == list(expected.items())
    assert cart.subtotal == price * sum(expected.values())
    assert cart.version == len(adds)


# --- checkout ------------------------------------------------------------------------------------


def test_checkout_of_an_empty_cart_raises_empty_cart() -> None:
    """An empty cart cannot go to checkout, including one emptied by removing its last line."""
    cart = new_cart()
    with pytest.raises(EmptyCart):
        cart.checkout(actor=BUYER)
    cart.add_line(*TEA, actor=BUYER)
    cart.remove_line("TEA-250", actor=BUYER)
    before = state(cart)
    with pytest.raises(EmptyCart):
        cart.checkout(actor=BUYER)
    assert state(cart) == before
    assert cart.status is CartStatus.SHOPPING


def test_checkout_and_continue_shopping_keep_the_lines() -> None:
    """Checkout moves to CHECKING_OUT; continue_shopping goes back with the same lines."""
    cart = filled_cart()
    lines = cart.lines
    record = cart.checkout(actor=BUYER)
    assert cart.status is CartStatus.CHECKING_OUT
    assert (record.source, record.dest) == (CartStatus.SHOPPING, CartStatus.CHECKING_OUT)
    record = cart.continue_shopping(actor=BUYER)
    assert cart.status is CartStatus.SHOPPING
    assert (record.source, record.dest) == (CartStatus.CHECKING_OUT, CartStatus.SHOPPING)
    assert cart.lines == lines
    cart.add_line(*TEA, 1, actor=BUYER)
    assert cart.line("TEA-250").quantity == 3


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.add_line(*TEA, 1, actor=BUYER),
        lambda c: c.set_quantity("TEA-250", 1, actor=BUYER),
        lambda c: c.remove_line("TEA-250", actor=BUYER),
        lambda c: c.checkout(actor=BUYER),
    ],
    ids=["add_line", "set_quantity", "remove_line", "checkout"],
)
def test_lines_cannot_change_during_checkout(call: Any) -> None:
    """While checking out, line triggers (and a second checkout) raise InvalidTransition naming
    the state and the allowed triggers, and nothing changes."""
    cart = filled_cart()
    cart.checkout(actor=BUYER)
    before = state(cart)
    with pytest.raises(InvalidTransition) as info:
        call(cart)
    assert info.value.state == "CHECKING_OUT"
    assert info.value.allowed == ("continue_shopping", "place_order")
    assert state(cart) == before


def test_place_order_and_continue_shopping_need_checkout_first() -> None:
    """place_order and continue_shopping are not allowed while shopping."""
    cart = filled_cart()
    with pytest.raises(InvalidTransition, match="SHOPPING"):
        cart.place_order("O-1", address=ADDRESS, shipping=RATE, actor=BUYER)
    with pytest.raises(InvalidTransition):
        cart.continue_shopping(actor=BUYER)
    assert cart.status is CartStatus.SHOPPING


# --- place_order ---------------------------------------------------------------------------------


def test_place_order_builds_the_order() -> None:
    """The order copies the lines, buyer, address, stripped remarks and presale; its fee comes
    from the rate for the cart's weight (0.6 + 0.4 = 1.0 kg: first kg only); OrderPlaced with the
    total is queued on the order; the cart ends ORDERED with the order id."""
    clock = FixedClock(START)
    cart = filled_cart(clock)
    cart.checkout(actor=BUYER)
    clock.advance(minutes=5)
    presale = Presale(ship_by=START.add(days=30))
    order = cart.place_order(
        "O-1",
        address=ADDRESS,
        shipping=RATE,
        actor=BUYER,
        remarks="  ring the bell  ",
        presale=presale,
    )
    assert order.id == "O-1"
    assert order.status is OrderStatus.PENDING_CONFIRMATION
    assert order.buyer_id == "u-42"
    assert [(x.sku, x.name, x.unit_price, x.quantity, x.weight_kg) for x in order.lines] == [
        ("TEA-250", "Longjing tea 250 g", Money("88.00", "CNY"), 2, Decimal("0.3")),
        ("CUP-01", "Celadon cup", Money("45.50", "CNY"), 1, Decimal("0.4")),
    ]
    assert order.address == ADDRESS
    assert order.shipping_fee == Money("10.00", "CNY")
    assert order.subtotal == Money("221.50", "CNY")
    assert order.total == Money("231.50", "CNY")
    assert order.remarks == "ring the bell"
    assert order.presale == presale
    assert order.created_at == START.add(minutes=5)
    assert order.clock is clock
    assert (order.version, order.history) == (0, ())
    (event,) = order.pending_events
    assert isinstance(event, OrderPlaced)
    assert (event.aggregate_id, event.total, event.actor) == ("O-1", order.total, BUYER)
    assert event.occurred_at == START.add(minutes=5)

    assert cart.status is CartStatus.ORDERED
    assert cart.order_id == "O-1"
    assert [r.trigger for r in cart.history] == ["add_line", "add_line", "checkout", "place_order"]
    last = cart.history[-1]
    assert (last.source, last.dest, last.actor) == (
        CartStatus.CHECKING_OUT,
        CartStatus.ORDERED,
        BUYER,
    )


def test_place_order_fee_uses_continued_weight_and_free_over() -> None:
    """A 2.3 kg cart pays first kg + two started kg; a rate with free_over below the subtotal
    makes shipping free."""
    cart = new_cart()
    cart.add_line(*TEA, 1, weight_kg=Decimal("2.3"), actor=BUYER)
    cart.checkout(actor=BUYER)
    assert cart.place_order("O-1", address=ADDRESS, shipping=RATE, actor=BUYER).shipping_fee == (
        Money("22.00", "CNY")
    )
    cart = new_cart()
    cart.add_line(*TEA, 1, weight_kg=Decimal("2.3"), actor=BUYER)
    cart.checkout(actor=BUYER)
    free = ShippingRate.per_kg(
        first_fee=Money("10.00", "CNY"),
        additional_fee=Money("6.00", "CNY"),
        free_over=Money("88.00", "CNY"),
    )
    order = cart.place_order("O-2", address=ADDRESS, shipping=free, actor=BUYER)
    assert order.shipping_fee == Money.zero("CNY")
    assert order.total == Money("88.00", "CNY")


def test_place_order_refuses_bad_arguments_and_changes_nothing() -> None:
    """A USD rate for a CNY cart, a non-Address or non-string remarks raise; the cart stays in
    checkout and can still place the order."""
    cart = filled_cart()
    cart.checkout(actor=BUYER)
    before = state(cart)
    usd = ShippingRate.per_kg(first_fee=Money("1.00", "USD"), additional_fee=Money("1.00", "USD"))
    with pytest.raises(CurrencyMismatch):
        cart.place_order("O-1", address=ADDRESS, shipping=usd, actor=BUYER)
    with pytest.raises(ValidationError, match="Address"):
        cart.place_order("O-1", address="somewhere", shipping=RATE, actor=BUYER)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="remarks"):
        cart.place_order("O-1", address=ADDRESS, shipping=RATE, actor=BUYER, remarks=None)  # type: ignore[arg-type]
    assert state(cart) == before
    cart.place_order("O-1", address=ADDRESS, shipping=RATE, actor=BUYER)
    assert cart.status is CartStatus.ORDERED


def test_an_ordered_cart_is_final() -> None:
    """After the order is placed nothing is allowed any more."""
    cart = filled_cart()
    cart.checkout(actor=BUYER)
    cart.place_order("O-1", address=ADDRESS, shipping=RATE, actor=BUYER)
    assert cart.is_final
    assert cart.allowed_triggers() == ()
    with pytest.raises(InvalidTransition, match="ORDERED"):
        cart.add_line(*TEA, 1, actor=BUYER)
    with pytest.raises(InvalidTransition):
        cart.place_order("O-2", address=ADDRESS, shipping=RATE, actor=BUYER)
    assert cart.order_id == "O-1"


@settings(max_examples=20, deadline=None)
@given(
    lines=st.lists(
        st.tuples(skus(), prices("CNY", max_units=10**5), positive_quantities(5)),
        min_size=1,
        max_size=5,
        unique_by=lambda t: t[0],
    ),
)
def test_placed_order_totals_match_the_cart(lines: list[tuple[str, Money, int]]) -> None:
    """The order's subtotal is the cart's subtotal and its total adds the rate's fee."""
    cart = new_cart()
    for sku, price, qty in lines:
        cart.add_line(sku, sku, price, qty, weight_kg=Decimal("0.25"), actor=BUYER)
    cart.checkout(actor=BUYER)
    order = cart.place_order("O-1", address=ADDRESS, shipping=RATE, actor=BUYER)
    assert order.subtotal == cart.subtotal
    assert order.total == cart.subtotal + RATE.fee(cart.weight_kg)
    assert [x.sku for x in order.lines] == [sku for sku, _, _ in lines]
