"""Across the system: paying orders and refunding what gets cancelled conserves money.

A hypothesis state machine runs a small shop: buyers with funded card tokens place orders, pay
them (some are declined), the shop cancels lines, whole orders or marks them out of stock and
cancels them, and every change is settled through :class:`OrderPayments`. After every step,
to the minor unit:

* the gateway creates and loses nothing: buyers' accounts + holds + merchant = everything funded;
* the merchant holds exactly what the payments say they kept (captured minus refunded);
* a settled, paid order's payment kept exactly the order's amount due; refunds never exceed
  captures and no balance is ever negative.
"""

from __future__ import annotations

import pendulum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

from ecservice.clock import FixedClock
from ecservice.errors import EcServiceError
from ecservice.money import Money, sum_money
from ecservice.orders import Address, Order, OrderLine, OrderStatus
from ecservice.payments import (
    InMemoryGateway,
    Instrument,
    InstrumentKind,
    OrderPayments,
    Payment,
    PaymentStatus,
)
from ecservice.workflow import Actor

STAFF = Actor.staff("s-1")
ADDRESS = Address(recipient="r", phone="13800138000", province="p", city="c", street="s")
PRICES = ("9.90", "19.99", "0.01", "128.00", "45.50")


def cny(amount: str) -> Money:
    return Money(amount, "CNY")


class Shop(RuleBasedStateMachine):
    """Orders and their payments through one in-memory gateway."""

    orders = Bundle("orders")

    def __init__(self) -> None:
        super().__init__()
        self.clock = FixedClock(pendulum.datetime(2026, 11, 11, 8, 0, tz="Asia/Shanghai"))
        self.gateway = InMemoryGateway()
        self.coordinator = OrderPayments(self.gateway)
        self.cards = [Instrument(InstrumentKind.CARD, f"tok_{i}") for i in range(3)]
        for i, card in enumerate(self.cards):
            self.gateway.fund(card, cny(("300.00", "80.00", "5.00")[i]))
        self.payments: dict[str, Payment] = {}
        self.placed: dict[str, Order] = {}
        self.count = 0

    @rule(
        target=orders,
        lines=st.lists(
            st.tuples(st.sampled_from(PRICES), st.integers(1, 3)), min_size=1, max_size=3
        ),
        fee=st.sampled_from(("0.00", "8.00", "12.50")),
    )
    def place(self, lines: list[tuple[str, int]], fee: str) -> Order:
        self.count += 1
        order = Order(
            id=f"O-{self.count}",
            buyer_id="b",
            lines=[
                OrderLine(sku=f"S{i}", name=f"item {i}", unit_price=cny(price), quantity=qty)
                for i, (price, qty) in enumerate(lines)
            ],
            address=ADDRESS,
            shipping_fee=cny(fee),
            created_at=self.clock.now(),
            clock=self.clock,
        )
        self.placed[order.id] = order
        return order

    @rule(order=orders, card=st.integers(0, 2))
    def pay(self, order: Order, card: int) -> None:
        if order.id in self.payments or order.status is not OrderStatus.PENDING_CONFIRMATION:
            return
        payment = self.coordinator.open(order, self.cards[card])
        self.payments[order.id] = payment
        self.coordinator.pay(order, payment)
        paid: PaymentStatus = payment.status
        confirmed: OrderStatus = order.status
        assert (paid is PaymentStatus.CAPTURED) == (confirmed is OrderStatus.PROCESSING)

    @rule(order=orders, data=st.data())
    def cancel_some_lines(self, order: Order, data: st.DataObject) -> None:
        open_items = order.open_items()
        if not open_items or "cancel_lines" not in order.allowed_triggers():
            return
        sku = data.draw(st.sampled_from(sorted(open_items)))
        qty = data.draw(st.integers(1, open_items[sku]))
        order.cancel_lines({sku: qty}, reason="not available", actor=STAFF)
        self._settle(order)

    @rule(order=orders)
    def out_of_stock_then_cancel(self, order: Order) -> None:
        if order.status is not OrderStatus.PROCESSING or order.shipments:
            return
        order.mark_out_of_stock([next(iter(order.open_items()))], actor=STAFF)
        payment = self.payments[order.id]
        self.coordinator.cancel(order, payment, reason="cannot restock", actor=STAFF)

    @rule(order=orders)
    def buyer_cancels(self, order: Order) -> None:
        try:
            order.cancel(reason="changed my mind", actor=Actor.buyer("b"))
        except EcServiceError:
            return
        self._settle(order)

    @rule(order=orders)
    def ship_and_deliver(self, order: Order) -> None:
        if order.status is not OrderStatus.PROCESSING:
            return
        order.ship(carrier="SF", tracking_no="T", actor=STAFF)
        order.confirm_receipt(actor=Actor.buyer("b"))
        self._settle(order)

    def _settle(self, order: Order) -> None:
        payment = self.payments.get(order.id)
        if payment is None:
            order.pull_events()
        else:
            self.coordinator.settle(order, payment)

    # --- invariants ---------------------------------------------------------------------------

    @invariant()
    def the_gateway_creates_and_loses_nothing(self) -> None:
        gw = self.gateway
        assert gw.total_balance("CNY") + gw.held("CNY") + gw.merchant_balance(
            "CNY"
        ) == gw.total_funded("CNY")
        for card in self.cards:
            assert not gw.balance(card, "CNY").is_negative()

    @invariant()
    def the_merchant_holds_what_the_payments_kept(self) -> None:
        kept = sum_money((p.net for p in self.payments.values()), "CNY")
        assert self.gateway.merchant_balance("CNY") == kept

    @invariant()
    def each_paid_order_kept_exactly_its_amount_due(self) -> None:
        for order_id, payment in self.payments.items():
            assert payment.refunded <= (payment.captured or cny("0.00"))
            if payment.status in (
                PaymentStatus.CAPTURED,
                PaymentStatus.PARTIALLY_REFUNDED,
                PaymentStatus.REFUNDED,
            ):
                assert payment.net == self.placed[order_id].amount_due


Shop.TestCase.settings = settings(
    max_examples=120,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestShopConservesMoney = Shop.TestCase
