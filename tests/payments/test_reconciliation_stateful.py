"""Reconciliation converges: any interleaving of order changes, payments, declines and lost
answers ends, after one healthy :meth:`OrderPayments.settle`, with the payment keeping exactly
what the order owes.

A hypothesis state machine drives one order and its payment through a flaky gateway
(:class:`ScriptedGateway` over an :class:`InMemoryGateway`): it cancels lines or the whole order,
ships, pays, settles, and makes the next gateway call decline, lose its answer, time out or
fail before anything was sent; a second request handler loads a copy of the payment and
reconciles with it later, from stale data. Always: the gateway creates and loses nothing and
refunds never exceed the capture. After each settle with a healthy gateway:

* the payment agrees with the gateway (what it holds, what the merchant has);
* a captured payment's settlement refunds leave ``captured - settled == order.amount_due``,
  unless refunds by hand (goodwill, made in between) left less than that to refund: then
  everything captured went back; what it keeps is never below zero;
* an order with nothing due holds no authorisation;
* the stale copy, reconciled too, ends with the same capture and settlement refunds (the keys
  made it replay, never pay twice, even when it does not know of a refund by hand).
"""

from __future__ import annotations

import contextlib

import attrs
import pendulum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from ecservice.clock import FixedClock
from ecservice.errors import GatewayUnavailable, IdempotencyConflict, PolicyViolation
from ecservice.money import Money
from ecservice.orders import Address, Order, OrderLine, OrderStatus
from ecservice.payments import (
    InMemoryGateway,
    Instrument,
    InstrumentKind,
    OrderPayments,
    Payment,
    PaymentDeclined,
    PaymentStatus,
    RefundKind,
)
from ecservice.workflow import Actor

from .gateway_fakes import Behaviour, ScriptedGateway

P = PaymentStatus
STAFF = Actor.staff("s-1")
ADDRESS = Address(recipient="r", phone="13800138000", province="p", city="c", street="s")
CARD = Instrument(InstrumentKind.CARD, "tok_0001")
FUNDS = Money("2000.00", "CNY")
CAPTURED = (P.CAPTURED, P.PARTIALLY_REFUNDED, P.REFUNDED)

#: What goes wrong during one pay or settle: for some operations, how their next call misbehaves.
Glitch = tuple[tuple[str, Behaviour], ...]
BEHAVIOURS: tuple[Behaviour, ...] = ("decline", "lose", "timeout", "down")


def glitches(*operations: str) -> st.SearchStrategy[Glitch]:
    """Nothing wrong (a third of the time), or one or two of ``operations`` misbehaving."""
    one = st.tuples(st.sampled_from(operations), st.sampled_from(BEHAVIOURS))
    return st.one_of(st.just(()), st.lists(one, min_size=1, max_size=2).map(tuple))


def cny(amount: str) -> Money:
    return Money(amount, "CNY")


class Reconciliation(RuleBasedStateMachine):
    """One order, its payment and a gateway that misbehaves when told to."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = FixedClock(pendulum.datetime(2026, 11, 11, 8, 0, tz="Asia/Shanghai"))
        self.bank = InMemoryGateway("bank")
        self.bank.fund(CARD, FUNDS)
        self.flaky = ScriptedGateway(self.bank)
        self.coordinator = OrderPayments(self.flaky)
        self.stale: Payment | None = None
        self.by_hand = 0

    @initialize(
        lines=st.lists(
            st.tuples(st.sampled_from(("9.90", "19.99", "0.01", "128.00")), st.integers(1, 3)),
            min_size=1,
            max_size=3,
        ),
        fee=st.sampled_from(("0.00", "8.00")),
    )
    def place(self, lines: list[tuple[str, int]], fee: str) -> None:
        self.order = Order(
            id="O-1",
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
        self.payment: Payment = self.coordinator.open(self.order, CARD)

    # --- what happens -------------------------------------------------------------------------

    @rule(data=st.data())
    def cancel_lines(self, data: st.DataObject) -> None:
        open_items = self.order.open_items()
        if not open_items or "cancel_lines" not in self.order.allowed_triggers():
            return
        sku = data.draw(st.sampled_from(sorted(open_items)))
        qty = data.draw(st.integers(1, open_items[sku]))
        self.order.cancel_lines({sku: qty}, reason="not available", actor=STAFF)

    @rule()
    def cancel(self) -> None:
        if "cancel" in self.order.allowed_triggers():
            self.order.cancel(reason="changed my mind", actor=Actor.buyer("b"))

    @rule()
    def ship_one_line(self) -> None:
        open_items = self.order.open_items()
        if self.order.status is OrderStatus.PROCESSING and len(open_items) > 1:
            sku = sorted(open_items)[0]
            self.order.ship(items={sku: 1}, carrier="SF", tracking_no="T1", actor=STAFF)

    @rule(glitch=glitches("authorize"))
    def authorize_at_checkout(self, glitch: Glitch) -> None:
        """Some shops authorise when the order is placed and capture later."""
        self.script(glitch)
        if self.payment.status is P.PENDING and not self.order.amount_due.is_zero():
            # The payment's own amount under the key OrderPayments uses: after lines were
            # cancelled and an authorisation of the amount due was lost, the gateway refuses
            # the same key for another amount (the payment is left as it was).
            with contextlib.suppress(GatewayUnavailable, TimeoutError, IdempotencyConflict):
                key = f"{self.payment.id}:authorize"
                self.payment.authorize(self.flaky, idempotency_key=key, actor=STAFF)

    @rule(glitch=glitches("authorize", "capture"))
    def pay(self, glitch: Glitch) -> None:
        self.script(glitch)
        with contextlib.suppress(
            PolicyViolation, PaymentDeclined, GatewayUnavailable, TimeoutError
        ):
            self.coordinator.pay(self.order, self.payment)

    @rule(glitch=glitches("authorize", "capture", "void", "refund"))
    def settle(self, glitch: Glitch) -> None:
        self.script(glitch)
        with contextlib.suppress(PaymentDeclined, GatewayUnavailable, TimeoutError):
            self.coordinator.settle(self.order, self.payment)

    @rule(cents=st.sampled_from(("0.01", "5.00", "300.00")))
    def refund_by_hand(self, cents: str) -> None:
        """Customer service refunds something as goodwill, outside what the order owes."""
        payment = self.payment
        if payment.status not in (P.CAPTURED, P.PARTIALLY_REFUNDED):
            return
        amount = min(cny(cents), payment.refundable)
        self.by_hand += 1
        before = self.bank.merchant_balance("CNY")
        try:
            payment.refund(
                self.bank,
                amount,
                reason="goodwill",
                idempotency_key=f"hand-{self.by_hand}",
                actor=STAFF,
            )
        except PaymentDeclined:
            # Only a copy that missed the other handler's refunds is declined: the gateway has
            # less left of the capture than this copy believes, and nothing moved.
            assert payment.captured is not None
            gateway_refunded = payment.captured - before  # one payment: the merchant's balance
            assert gateway_refunded > payment.refunded, "a hand refund within reach was declined"
            assert self.bank.merchant_balance("CNY") == before

    def script(self, glitch: Glitch) -> None:
        """Make the next gateway calls misbehave as ``glitch`` says."""
        self.flaky.script.clear()
        for operation, behaviour in glitch:
            self.flaky.then(operation, behaviour)

    @rule()
    def another_handler_loads_the_payment(self) -> None:
        """A second request handler loads the payment as it is now; it acts later."""
        p = self.payment
        self.stale = Payment(
            **{str(a.alias): getattr(p, a.name) for a in attrs.fields(Payment) if a.init}
        )

    @rule(glitch=glitches("authorize", "capture", "void", "refund"))
    def the_other_handler_settles(self, glitch: Glitch) -> None:
        """The stale copy reconciles too: the keys make it replay, never pay twice."""
        if self.stale is None:
            return
        self.script(glitch)
        with contextlib.suppress(PaymentDeclined, GatewayUnavailable, TimeoutError):
            self.coordinator.settle(self.order, self.stale)

    @rule()
    def settle_with_a_healthy_gateway(self) -> None:
        self.flaky.script.clear()
        try:
            self.coordinator.settle(self.order, self.payment)
            if self.stale is not None:
                # A stale copy that missed a refund by hand may ask for more than is left to
                # refund: the gateway declines it, and nothing moves (it is reloaded in practice).
                declined = (PaymentDeclined,) if self.by_hand else ()
                with contextlib.suppress(*declined):
                    self.coordinator.settle(self.order, self.stale)
                self.coordinator.settle(self.order, self.payment)
        except GatewayUnavailable as exc:  # pragma: no cover - a healthy gateway answers
            raise AssertionError(f"a healthy settle failed: {exc}") from exc
        self.check_reconciled()
        if self.stale is not None:
            old, new = self.stale, self.payment
            assert old.captured == new.captured
            settled = RefundKind.SETTLEMENT
            assert [r.reference for r in old.refunds if r.kind is settled] == [
                r.reference for r in new.refunds if r.kind is settled
            ]

    def teardown(self) -> None:
        """Every run ends with a healthy settle, and its checks."""
        if hasattr(self, "order"):
            self.settle_with_a_healthy_gateway()

    # --- checks -------------------------------------------------------------------------------

    def check_reconciled(self) -> None:
        payment, order, bank = self.payment, self.order, self.bank
        assert bank.merchant_balance("CNY") == payment.net
        held = payment.authorized if payment.status is P.AUTHORIZED else cny("0.00")
        assert bank.held("CNY") == held
        if payment.status in CAPTURED:
            assert payment.captured is not None
            kept = payment.captured - payment.refunded_of(RefundKind.SETTLEMENT)
            assert kept == order.amount_due or (
                kept > order.amount_due and payment.refunded == payment.captured
            )
            assert not payment.net.is_negative()
        if order.amount_due.is_zero():
            assert payment.status is not P.AUTHORIZED

    @invariant()
    def the_gateway_creates_and_loses_nothing(self) -> None:
        bank = self.bank
        total = bank.total_balance("CNY") + bank.held("CNY") + bank.merchant_balance("CNY")
        assert total == bank.total_funded("CNY") == FUNDS
        assert not bank.merchant_balance("CNY").is_negative()

    @invariant()
    def refunds_never_exceed_the_capture(self) -> None:
        payment = self.payment
        assert payment.refunded <= (payment.captured or cny("0.00"))


Reconciliation.TestCase.settings = settings(
    max_examples=200,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestReconciliationConverges = Reconciliation.TestCase
