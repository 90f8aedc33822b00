"""Stateful test of the cart: random shopping against a plain model of what the cart must hold.

Rules add lines (valid or not), change quantities, remove lines, go to checkout, continue
shopping and place the order. After every step the cart equals the model (lines, quantities,
subtotal, state), a failed call changed nothing, the history is a consistent chain whose edges all
belong to ``CART_WORKFLOW``, and a placed order carries exactly the cart's lines.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs
import pendulum
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from ecservice.clock import FixedClock
from ecservice.errors import EcServiceError
from ecservice.money import Money
from ecservice.orders import CART_WORKFLOW, Address, Cart, CartStatus, Order, ShippingRate
from ecservice.workflow import Actor

BUYER = Actor.buyer("b-1")
PRICES = {"TEA": Money("88.00", "CNY"), "CUP": Money("45.50", "CNY"), "FAN": Money("0.01", "CNY")}
RATE = ShippingRate.per_kg(first_fee=Money("10.00", "CNY"), additional_fee=Money("5.00", "CNY"))
ADDRESS = Address(recipient="r", phone="13800138000", province="p", city="c", street="s")
EDGES = {
    (t.trigger, s, t.dest if t.dest is not None else s)
    for t in CART_WORKFLOW.transitions
    for s in t.sources
}

quantities = st.one_of(st.integers(-2, 5), st.sampled_from([True, 1.5]))


def _snapshot(cart: Cart) -> dict[str, Any]:
    return attrs.asdict(cart, recurse=False)


class CartMachine(RuleBasedStateMachine):
    """One cart, driven at random, compared with a dict of SKU -> quantity."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = FixedClock(pendulum.datetime(2026, 11, 11, 20, 0, tz="Asia/Shanghai"))
        self.cart = Cart.open("C-1", buyer_id="b-1", currency="CNY", clock=self.clock)
        self.model: dict[str, int] = {}
        self.state = CartStatus.SHOPPING
        self.order: Order | None = None

    def _do(self, call: Any, *, ok: bool) -> None:
        before = _snapshot(self.cart)
        try:
            call()
        except EcServiceError:
            assert not ok, "a valid call was refused"
            assert _snapshot(self.cart) == before, "a failed call changed the cart"
            return
        assert ok, "an invalid call was accepted"
        record = self.cart.history[-1]
        assert (record.trigger, record.source, record.dest) in EDGES

    @rule(sku=st.sampled_from(sorted(PRICES)), qty=quantities)
    def add_line(self, sku: str, qty: object) -> None:
        ok = self.state is CartStatus.SHOPPING and type(qty) is int and qty > 0
        self._do(
            lambda: self.cart.add_line(sku, sku.lower(), PRICES[sku], qty, actor=BUYER),  # type: ignore[arg-type]
            ok=ok,
        )
        if ok:
            assert isinstance(qty, int)
            self.model[sku] = self.model.get(sku, 0) + qty

    @rule(sku=st.sampled_from(sorted(PRICES)), qty=quantities)
    def set_quantity(self, sku: str, qty: object) -> None:
        ok = (
            self.state is CartStatus.SHOPPING and sku in self.model and type(qty) is int and qty > 0
        )
        self._do(lambda: self.cart.set_quantity(sku, qty, actor=BUYER), ok=ok)  # type: ignore[arg-type]
        if ok:
            assert isinstance(qty, int)
            self.model[sku] = qty

    @rule(sku=st.sampled_from(sorted(PRICES)))
    def remove_line(self, sku: str) -> None:
        ok = self.state is CartStatus.SHOPPING and sku in self.model
        self._do(lambda: self.cart.remove_line(sku, actor=BUYER), ok=ok)
        if ok:
            del self.model[sku]

    @rule()
    def checkout(self) -> None:
        ok = self.state is CartStatus.SHOPPING and bool(self.model)
        self._do(lambda: self.cart.checkout(actor=BUYER), ok=ok)
        if ok:
            self.state = CartStatus.CHECKING_OUT

    @rule()
    def continue_shopping(self) -> None:
        ok = self.state is CartStatus.CHECKING_OUT
        self._do(lambda: self.cart.continue_shopping(actor=BUYER), ok=ok)
        if ok:
            self.state = CartStatus.SHOPPING

    @precondition(lambda self: self.order is None)
    @rule()
    def place_order(self) -> None:
        ok = self.state is CartStatus.CHECKING_OUT

        def place() -> None:
            self.order = self.cart.place_order("O-1", address=ADDRESS, shipping=RATE, actor=BUYER)

        self._do(place, ok=ok)
        if ok:
            self.state = CartStatus.ORDERED
            assert self.order is not None
            assert {x.sku: x.quantity for x in self.order.lines} == self.model
            assert self.order.subtotal == self.cart.subtotal
            assert self.cart.order_id == "O-1"

    @invariant()
    def the_cart_matches_the_model(self) -> None:
        assert {x.sku: x.quantity for x in self.cart.lines} == self.model
        expected = sum((PRICES[s].amount * q for s, q in self.model.items()), Decimal(0))
        assert self.cart.subtotal == Money(expected, "CNY")
        assert self.cart.status is self.state

    @invariant()
    def history_is_a_consistent_chain(self) -> None:
        state = CartStatus.SHOPPING
        for i, record in enumerate(self.cart.history, start=1):
            assert record.version == i
            assert record.source is state
            state = record.dest
        assert self.cart.version == len(self.cart.history)
        assert self.cart.status is state


CartMachine.TestCase.settings = settings(max_examples=150, stateful_step_count=30, deadline=None)
TestCartWorkflow = CartMachine.TestCase
