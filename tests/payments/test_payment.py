"""The payment workflow, idempotency keys, the in-memory gateway and order integration."""

from __future__ import annotations

from typing import Any

import attrs
import pendulum
import pytest

from ecservice.clock import FixedClock
from ecservice.errors import (
    EcServiceError,
    InsufficientFunds,
    InvalidAmount,
    InvalidTransition,
    ValidationError,
)
from ecservice.money import Money
from ecservice.orders import Address, Order, OrderLine, OrderStatus
from ecservice.payments import (
    PAYMENT_WORKFLOW,
    IdempotencyConflict,
    InMemoryGateway,
    Instrument,
    InstrumentKind,
    OrderPayments,
    Payment,
    PaymentAuthorized,
    PaymentCaptured,
    PaymentDeclined,
    PaymentFailed,
    PaymentRefunded,
    PaymentStatus,
    PaymentVoided,
)
from ecservice.workflow import Actor

P = PaymentStatus
SYSTEM = Actor.system("payments")
CARD = Instrument(InstrumentKind.CARD, "tok_visa_0001")


def cny(amount: str) -> Money:
    return Money(amount, "CNY")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(pendulum.datetime(2026, 11, 11, 10, 0, tz="Asia/Shanghai"))


@pytest.fixture
def gateway() -> InMemoryGateway:
    gw = InMemoryGateway()
    gw.fund(CARD, cny("500.00"))
    return gw


def make_payment(clock: FixedClock, amount: str = "120.00") -> Payment:
    return Payment(id="P-1", order_id="O-1", amount=cny(amount), instrument=CARD, clock=clock)


def snapshot(payment: Payment) -> dict[str, Any]:
    return {**attrs.asdict(payment, recurse=False), "events": payment.pending_events}


def captured(clock: FixedClock, gateway: InMemoryGateway) -> Payment:
    payment = make_payment(clock)
    payment.authorize(gateway, idempotency_key="a", actor=SYSTEM)
    payment.capture(gateway, idempotency_key="c", actor=SYSTEM)
    return payment


def test_states_have_english_and_chinese_labels() -> None:
    """Every payment state carries both labels."""
    assert P.CAPTURED.label_zh == "已支付"
    assert P.PARTIALLY_REFUNDED.label_zh == "部分退款"
    assert all(s.label_en and s.label_zh for s in P)
    assert PAYMENT_WORKFLOW.final == {P.REFUNDED, P.FAILED, P.VOIDED}


def test_authorize_and_capture_move_the_money(clock: FixedClock, gateway: InMemoryGateway) -> None:
    """Authorize holds the amount, capture moves it to the merchant; events tell both."""
    payment = make_payment(clock)
    payment.authorize(gateway, idempotency_key="a", actor=SYSTEM)
    assert payment.status is P.AUTHORIZED
    assert gateway.held("CNY") == cny("120.00")
    payment.capture(gateway, idempotency_key="c", actor=SYSTEM)
    assert payment.status is P.CAPTURED
    assert payment.captured == cny("120.00")
    assert gateway.merchant_balance("CNY") == cny("120.00")
    assert gateway.balance(CARD, "CNY") == cny("380.00")
    assert [type(e) for e in payment.pull_events()] == [PaymentAuthorized, PaymentCaptured]


def test_partial_capture_releases_the_rest(clock: FixedClock, gateway: InMemoryGateway) -> None:
    """Capturing less than authorised gives the rest back to the instrument."""
    payment = make_payment(clock)
    payment.authorize(gateway, idempotency_key="a", actor=SYSTEM)
    payment.capture(gateway, cny("100.00"), idempotency_key="c", actor=SYSTEM)
    assert gateway.balance(CARD, "CNY") == cny("400.00")
    assert gateway.held("CNY") == cny("0.00")
    assert payment.refundable == cny("100.00")


def test_a_declined_authorisation_fails_the_payment(clock: FixedClock) -> None:
    """Not enough funds: the payment goes to FAILED with the gateway's reason."""
    gw = InMemoryGateway()
    gw.fund(CARD, cny("10.00"))
    payment = make_payment(clock)
    record = payment.authorize(gw, idempotency_key="a", actor=SYSTEM)
    assert payment.status is P.FAILED
    assert record.dest is P.FAILED
    assert payment.failure is not None
    assert "insufficient funds" in payment.failure
    assert [type(e) for e in payment.pull_events()] == [PaymentFailed]
    assert gw.balance(CARD, "CNY") == cny("10.00")


def test_void_releases_the_authorisation(clock: FixedClock, gateway: InMemoryGateway) -> None:
    """Void returns the held amount and ends the payment."""
    payment = make_payment(clock)
    payment.authorize(gateway, idempotency_key="a", actor=SYSTEM)
    payment.void(gateway, idempotency_key="v", actor=SYSTEM)
    assert payment.status is P.VOIDED
    assert gateway.balance(CARD, "CNY") == cny("500.00")
    assert isinstance(payment.pull_events()[-1], PaymentVoided)


def test_refunds_partial_then_full(clock: FixedClock, gateway: InMemoryGateway) -> None:
    """Refunds go back to the card; the last one that empties the capture ends REFUNDED."""
    payment = captured(clock, gateway)
    payment.refund(gateway, cny("20.00"), reason="damaged box", idempotency_key="r1", actor=SYSTEM)
    assert payment.status is P.PARTIALLY_REFUNDED
    assert payment.refundable == cny("100.00")
    payment.refund(gateway, cny("100.00"), reason="returned", idempotency_key="r2", actor=SYSTEM)
    assert payment.status is P.REFUNDED
    assert payment.refunded == cny("120.00")
    assert gateway.balance(CARD, "CNY") == cny("500.00")
    assert gateway.merchant_balance("CNY") == cny("0.00")
    refunds = [e for e in payment.pull_events() if isinstance(e, PaymentRefunded)]
    assert [e.refund.reason for e in refunds] == ["damaged box", "returned"]


def test_a_refund_never_exceeds_what_was_captured(
    clock: FixedClock, gateway: InMemoryGateway
) -> None:
    """More than is left raises InsufficientFunds and changes nothing anywhere."""
    payment = captured(clock, gateway)
    payment.refund(gateway, cny("100.00"), reason="r", idempotency_key="r1", actor=SYSTEM)
    before = snapshot(payment)
    calls = list(gateway.calls)
    with pytest.raises(InsufficientFunds, match=r"only 20\.00 CNY"):
        payment.refund(gateway, cny("20.01"), reason="r", idempotency_key="r2", actor=SYSTEM)
    assert snapshot(payment) == before
    assert gateway.calls == calls


def test_same_key_same_request_returns_the_first_result(
    clock: FixedClock, gateway: InMemoryGateway
) -> None:
    """Retrying with the same key does not call the gateway again and returns the same record."""
    payment = captured(clock, gateway)
    first = payment.refund(gateway, cny("5.00"), reason="r", idempotency_key="r1", actor=SYSTEM)
    calls = list(gateway.calls)
    again = payment.refund(gateway, cny("5.00"), reason="r", idempotency_key="r1", actor=SYSTEM)
    assert again == first
    assert gateway.calls == calls
    assert payment.refunded == cny("5.00")
    assert payment.capture(gateway, idempotency_key="c", actor=SYSTEM).trigger == "capture"
    assert payment.authorize(gateway, idempotency_key="a", actor=SYSTEM).trigger == "authorize"


def test_same_key_different_request_raises(clock: FixedClock, gateway: InMemoryGateway) -> None:
    """A reused key with another amount, or for another trigger, is a conflict."""
    payment = captured(clock, gateway)
    payment.refund(gateway, cny("5.00"), reason="r", idempotency_key="r1", actor=SYSTEM)
    before = snapshot(payment)
    with pytest.raises(IdempotencyConflict, match="'r1'"):
        payment.refund(gateway, cny("6.00"), reason="r", idempotency_key="r1", actor=SYSTEM)
    with pytest.raises(IdempotencyConflict):
        payment.refund(gateway, cny("5.00"), reason="r", idempotency_key="a", actor=SYSTEM)
    assert snapshot(payment) == before


def test_bad_input_changes_nothing(clock: FixedClock, gateway: InMemoryGateway) -> None:
    """Zero, negative, wrong-currency or oversized amounts and illegal triggers all raise."""
    payment = make_payment(clock)
    before = snapshot(payment)
    with pytest.raises(InvalidTransition, match="allowed in 'PENDING': authorize"):
        payment.capture(gateway, idempotency_key="c", actor=SYSTEM)
    with pytest.raises(InvalidTransition):
        payment.refund(gateway, cny("1.00"), reason="r", idempotency_key="r", actor=SYSTEM)
    assert snapshot(payment) == before
    payment.authorize(gateway, idempotency_key="a", actor=SYSTEM)
    before = snapshot(payment)
    for amount in (cny("0.00"), cny("-1.00"), cny("120.01"), Money("1.00", "USD")):
        with pytest.raises(InvalidAmount):
            payment.capture(gateway, amount, idempotency_key=f"c{amount}", actor=SYSTEM)
    with pytest.raises(ValidationError):
        payment.capture(gateway, idempotency_key="", actor=SYSTEM)
    assert snapshot(payment) == before
    with pytest.raises(InvalidAmount):
        Payment(id="P-2", order_id="O-1", amount=cny("0.00"), instrument=CARD, clock=clock)
    with pytest.raises(ValidationError, match="full card number"):
        Instrument(InstrumentKind.CARD, "4111 1111 1111 1111")


def test_a_declined_capture_raises_and_changes_nothing(
    clock: FixedClock, gateway: InMemoryGateway
) -> None:
    """When the gateway refuses a capture the payment stays authorised."""

    class Refusing(InMemoryGateway):
        def capture(self, authorization: str, amount: Money) -> Any:
            from ecservice.payments import GatewayResponse

            return GatewayResponse(approved=False, message="issuer offline")

    gw = Refusing()
    gw.fund(CARD, cny("500.00"))
    payment = make_payment(clock)
    payment.authorize(gw, idempotency_key="a", actor=SYSTEM)
    before = snapshot(payment)
    with pytest.raises(PaymentDeclined, match="issuer offline"):
        payment.capture(gw, idempotency_key="c", actor=SYSTEM)
    assert snapshot(payment) == before


# --- orders ---------------------------------------------------------------------------------------


def make_order(clock: FixedClock) -> Order:
    return Order(
        id="O-1",
        buyer_id="b-1",
        lines=[
            OrderLine(sku="A", name="tea", unit_price=cny("40.00"), quantity=2),
            OrderLine(sku="B", name="cup", unit_price=cny("25.00"), quantity=1),
        ],
        address=Address(recipient="r", phone="13800138000", province="p", city="c", street="s"),
        shipping_fee=cny("10.00"),
        created_at=clock.now(),
        clock=clock,
    )


def test_paying_confirms_the_order(clock: FixedClock, gateway: InMemoryGateway) -> None:
    """Once captured, an order awaiting confirmation enters processing (正在处理)."""
    order = make_order(clock)
    payments = OrderPayments(gateway)
    payment = payments.open(order, CARD)
    assert payment.amount == order.amount_due == cny("115.00")
    payments.pay(order, payment)
    assert payment.status is P.CAPTURED
    assert order.status is OrderStatus.PROCESSING
    assert order.history[-1].actor == Actor.system("payments")


def test_a_declined_payment_leaves_the_order_waiting(clock: FixedClock) -> None:
    """No money, no processing."""
    gw = InMemoryGateway()
    gw.decline(CARD, "card reported stolen")
    order = make_order(clock)
    payments = OrderPayments(gw)
    payment = payments.open(order, CARD)
    payments.pay(order, payment)
    assert payment.status is P.FAILED
    assert order.status is OrderStatus.PENDING_CONFIRMATION


def test_cancelling_an_out_of_stock_order_refunds_automatically(
    clock: FixedClock, gateway: InMemoryGateway
) -> None:
    """Out of stock, then cancelled: the whole amount, shipping included, goes back to the card."""
    order = make_order(clock)
    payments = OrderPayments(gateway)
    payment = payments.open(order, CARD)
    payments.pay(order, payment)
    order.mark_out_of_stock(["B"], actor=Actor.staff("s"))
    payments.cancel(order, payment, reason="cannot restock", actor=Actor.staff("s"))
    assert order.status is OrderStatus.CANCELLED
    assert payment.status is P.REFUNDED
    assert payment.refunded == order.cancelled_value == cny("115.00")
    assert gateway.balance(CARD, "CNY") == cny("500.00")


def test_cancelled_lines_are_refunded_once(clock: FixedClock, gateway: InMemoryGateway) -> None:
    """Settling twice (a retry after a crash) never refunds the same cancellation twice."""
    order = make_order(clock)
    payments = OrderPayments(gateway)
    payment = payments.open(order, CARD)
    payments.pay(order, payment)
    order.cancel_lines({"B": 1}, reason="discontinued", actor=Actor.staff("s"))
    events = order.pending_events
    payments.settle(order, payment)
    assert payment.refunded == cny("25.00")
    order._events = events  # the same events delivered again
    payments.settle(order, payment)
    assert payment.refunded == cny("25.00")
    assert payment.status is P.PARTIALLY_REFUNDED


def test_cancelling_before_capture_voids(clock: FixedClock, gateway: InMemoryGateway) -> None:
    """An order cancelled while its payment is only authorised releases the hold."""
    order = make_order(clock)
    payments = OrderPayments(gateway)
    payment = payments.open(order, CARD)
    payment.authorize(gateway, idempotency_key="a", actor=SYSTEM)
    payments.cancel(order, payment, reason="changed mind", actor=Actor.buyer("b-1"))
    assert payment.status is P.VOIDED
    assert gateway.balance(CARD, "CNY") == cny("500.00")


def test_a_payment_of_another_order_is_refused(clock: FixedClock, gateway: InMemoryGateway) -> None:
    """pay() checks that the payment belongs to the order."""
    order = make_order(clock)
    other = attrs.evolve(make_payment(clock), order_id="O-9")
    with pytest.raises(EcServiceError, match="belongs to order 'O-9'"):
        OrderPayments(gateway).pay(order, other)


def test_equal_refunds_at_the_same_instant_are_both_made(
    clock: FixedClock, gateway: InMemoryGateway
) -> None:
    """Two cancellations of the same value at the same moment are two refunds, not a replay:
    each RefundDue carries the order version it was made at, which keys its refund."""
    order = Order(
        id="O-2",
        buyer_id="b-1",
        lines=[OrderLine(sku=sku, name=sku, unit_price=cny("9.90"), quantity=1) for sku in "ABC"],
        address=Address(recipient="r", phone="13800138000", province="p", city="c", street="s"),
        shipping_fee=cny("0.00"),
        created_at=clock.now(),
        clock=clock,
    )
    payments = OrderPayments(gateway)
    payment = payments.open(order, CARD)
    payments.pay(order, payment)
    order.cancel_lines({"A": 1}, reason="not available", actor=Actor.staff("s"))
    payments.settle(order, payment)
    order.cancel_lines({"B": 1}, reason="not available", actor=Actor.staff("s"))
    payments.settle(order, payment)
    assert payment.refunded == cny("19.80")
    assert payment.net == order.amount_due == cny("9.90")
