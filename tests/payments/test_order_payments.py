"""OrderPayments: attempts after a decline, paying what is owed now, one live payment per order,
manual refunds beside reconciliation, recovery at gateways that cannot say what they did, checked
gateway answers and payments whose history disagrees with their data."""

from __future__ import annotations

from typing import Any

import attrs
import pendulum
import pytest

from ecservice.clock import FixedClock
from ecservice.errors import (
    GatewayUnavailable,
    IdempotencyConflict,
    InsufficientFunds,
    PolicyViolation,
    ValidationError,
)
from ecservice.money import Money
from ecservice.orders import Address, Order, OrderLine, OrderStatus
from ecservice.payments import (
    GatewayAnswerMismatch,
    InMemoryGateway,
    Instrument,
    InstrumentKind,
    OrderPayments,
    OutcomeUnknown,
    Payment,
    PaymentAuthorized,
    PaymentDeclined,
    PaymentStatus,
    RefundKind,
)
from ecservice.workflow import Actor

from .gateway_fakes import BlindGateway, MisreportingGateway, ScriptedGateway

P = PaymentStatus
SYSTEM = Actor.system("payments")
STAFF = Actor.staff("kefu-07")
CARD = Instrument(InstrumentKind.CARD, "tok_visa_0001")
OTHER_CARD = Instrument(InstrumentKind.CARD, "tok_master_0002")


def cny(amount: str) -> Money:
    return Money(amount, "CNY")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(pendulum.datetime(2026, 11, 11, 10, 0, tz="Asia/Shanghai"))


@pytest.fixture
def gateway() -> InMemoryGateway:
    gw = InMemoryGateway()
    gw.fund(CARD, cny("500.00"))
    gw.fund(OTHER_CARD, cny("500.00"))
    return gw


def make_order(clock: FixedClock, order_id: str = "O-1") -> Order:
    """115.00 CNY: two teas at 40.00 (A), one cup at 25.00 (B), 10.00 shipping."""
    return Order(
        id=order_id,
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


def status_of(payment: Payment) -> PaymentStatus:
    """The status, read afresh (a call changed it since the last check)."""
    return payment.status


def fields_of(payment: Payment) -> dict[str, Any]:
    return {a.alias: getattr(payment, a.name) for a in attrs.fields(Payment) if a.init and a.alias}


# --- attempts ------------------------------------------------------------------------------------


def test_after_a_decline_the_next_attempt_pays_with_another_card(
    clock: FixedClock, gateway: InMemoryGateway
) -> None:
    """Each attempt has its own payment id and keys, so a declined card does not block the
    order; the ids depend only on the order and the attempt."""
    gateway.decline(CARD, "card reported stolen")
    order = make_order(clock)
    payments = OrderPayments(gateway)
    first = payments.open(order, CARD)
    assert payments.pay(order, first).dest is P.FAILED
    second = payments.open(order, OTHER_CARD, attempt=2)
    assert (first.id, second.id) == ("O-1-PAY", "O-1-PAY-2")
    assert payments.open(order, OTHER_CARD, attempt=2).id == second.id  # a run again after a crash
    assert payments.pay(order, second).trigger == "capture"
    assert order.status is OrderStatus.PROCESSING
    assert gateway.merchant_balance("CNY") == cny("115.00")
    assert payments.pay(order, first).dest is P.FAILED  # the declined attempt replays its answer


def test_a_declined_attempt_moved_nothing_so_its_keys_stay_free(
    clock: FixedClock, gateway: InMemoryGateway
) -> None:
    """Its keys are not taken by a decline: the same attempt number with another card pays, once
    (the shop should still number attempts, so that each payment has its own id)."""
    gateway.decline(CARD, "declined")
    order = make_order(clock)
    payments = OrderPayments(gateway)
    payments.pay(order, payments.open(order, CARD))
    again = payments.open(order, OTHER_CARD)  # attempt 1 once more, with another card
    payments.pay(order, again)
    payments.pay(order, again)  # a replay
    assert again.captured == cny("115.00")
    assert gateway.merchant_balance("CNY") == cny("115.00")


@pytest.mark.parametrize("attempt", [0, -1, 1000, True, 1.0, "2"])
def test_a_bad_attempt_number_is_refused(clock: FixedClock, attempt: object) -> None:
    with pytest.raises(ValidationError, match="attempt must be an int from 1 to 999"):
        OrderPayments(InMemoryGateway()).open(make_order(clock), CARD, attempt=attempt)  # type: ignore[arg-type]


# --- what is owed now ----------------------------------------------------------------------------


def test_pay_authorises_what_the_order_owes_now(clock: FixedClock) -> None:
    """Lines cancelled after the payment was opened are not asked for at authorisation: a card
    funded for the smaller amount pays."""
    gateway = InMemoryGateway()
    gateway.fund(CARD, cny("100.00"))
    order = make_order(clock)
    payments = OrderPayments(gateway)
    payment = payments.open(order, CARD)
    order.cancel_lines({"B": 1}, reason="cup broke", actor=STAFF)
    assert payments.pay(order, payment).trigger == "capture"
    assert (payment.amount, payment.authorized, payment.captured) == (
        cny("115.00"),
        cny("90.00"),
        cny("90.00"),
    )
    authorized = [e for e in payment.pending_events if isinstance(e, PaymentAuthorized)]
    assert [e.amount for e in authorized] == [cny("90.00")]
    assert order.status is OrderStatus.PROCESSING


def test_an_under_captured_order_is_not_confirmed(
    clock: FixedClock, gateway: InMemoryGateway
) -> None:
    """A capture by hand of less than the amount due does not confirm the order."""
    order = make_order(clock)
    payments = OrderPayments(gateway)
    payment = payments.open(order, CARD)
    payment.authorize(gateway, idempotency_key="O-1-PAY:authorize", actor=SYSTEM)
    payment.capture(gateway, cny("100.00"), idempotency_key="by-hand", actor=SYSTEM)
    with pytest.raises(PolicyViolation, match=r"captured 100.00 CNY, less than the 115.00 CNY"):
        payments.pay(order, payment)
    assert order.status is OrderStatus.PENDING_CONFIRMATION


# --- one live payment ----------------------------------------------------------------------------


def test_a_second_payment_of_a_paid_order_is_refused(
    clock: FixedClock, gateway: InMemoryGateway
) -> None:
    order = make_order(clock)
    payments = OrderPayments(gateway)
    first = payments.open(order, CARD)
    spare = payments.open(order, CARD, payment_id="X")  # opened before the first one paid
    record = payments.pay(order, first)
    with pytest.raises(PolicyViolation, match="nothing to pay"):
        payments.open(order, CARD, payment_id="Y")
    with pytest.raises(PolicyViolation, match=r"paid by payment 'O-1-PAY'.*'X' is superseded"):
        payments.pay(order, spare)
    assert spare.status is P.PENDING
    assert payments.pay(order, first) == record  # the same pay again returns its first record
    assert gateway.merchant_balance("CNY") == cny("115.00")
    assert payments.paid_by(order) == "O-1-PAY"


@pytest.mark.parametrize("blind", [False, True])
def test_a_lost_capture_then_another_attempt_gives_the_first_back(
    clock: FixedClock, gateway: InMemoryGateway, blind: bool
) -> None:
    """Attempt 1 captured but its answer was lost; attempt 2 paid: settling attempt 1 refunds
    all it captured, so the order is paid once."""
    scripted = ScriptedGateway(gateway)
    payments = OrderPayments(BlindGateway(scripted) if blind else scripted)
    order = make_order(clock)
    first = payments.open(order, CARD)
    scripted.then("capture", "lose")
    with pytest.raises(GatewayUnavailable):
        payments.pay(order, first)
    second = payments.open(order, OTHER_CARD, attempt=2)
    assert payments.pay(order, second).trigger == "capture"
    assert gateway.merchant_balance("CNY") == cny("230.00")
    with pytest.raises(PolicyViolation, match="superseded"):
        payments.pay(order, first)
    if blind:  # the void is refused, since the capture happened: recover it as the message says
        with pytest.raises(PaymentDeclined, match=r"OrderPayments\.recover"):
            payments.settle(order, first)
        payments.recover(order, first, cny("115.00"))
        assert [r.trigger for r in payments.settle(order, first)] == ["refund"]
    else:
        assert [r.trigger for r in payments.settle(order, first)] == ["capture", "refund"]
    assert first.status is P.REFUNDED
    assert first.refunds[0].kind is RefundKind.SETTLEMENT
    assert first.refunds[0].reason == "order O-1 was paid by payment O-1-PAY-2"
    assert payments.owed(order, first) == cny("0.00")
    assert payments.settle(order, first) == ()
    assert payments.settle(order, second) == ()
    assert gateway.merchant_balance("CNY") == cny("115.00")
    assert gateway.balance(CARD, "CNY") == cny("500.00")


@pytest.mark.parametrize("blind", [False, True])
def test_an_abandoned_attempts_hold_is_voided(
    clock: FixedClock, gateway: InMemoryGateway, blind: bool
) -> None:
    """Attempt 1's authorisation answer was lost (money held); attempt 2 paid: settling
    attempt 1 releases the hold (after recovering the authorisation at a blind gateway)."""
    scripted = ScriptedGateway(gateway)
    payments = OrderPayments(BlindGateway(scripted) if blind else scripted)
    order = make_order(clock)
    first = payments.open(order, CARD)
    scripted.then("authorize", "lose")
    with pytest.raises(GatewayUnavailable):
        payments.pay(order, first)
    payments.pay(order, payments.open(order, OTHER_CARD, attempt=2))
    assert gateway.held("CNY") == cny("115.00")
    if blind:
        assert payments.settle(order, first) == ()  # it cannot tell the hold exists
        payments.recover(order, first, cny("115.00"))
        assert [r.trigger for r in payments.settle(order, first)] == ["void"]
    else:
        assert [r.trigger for r in payments.settle(order, first)] == ["authorize", "void"]
    assert first.status is P.VOIDED
    assert gateway.held("CNY") == cny("0.00")
    assert gateway.balance(CARD, "CNY") == cny("500.00")
    assert gateway.merchant_balance("CNY") == cny("115.00")


def test_an_authorised_attempt_is_voided_once_another_paid(
    clock: FixedClock, gateway: InMemoryGateway
) -> None:
    order = make_order(clock)
    payments = OrderPayments(gateway)
    first = payments.open(order, CARD)
    first.authorize(gateway, idempotency_key="O-1-PAY:authorize", actor=SYSTEM)
    payments.pay(order, payments.open(order, OTHER_CARD, attempt=2))
    assert [r.trigger for r in payments.settle(order, first)] == ["void"]
    assert gateway.held("CNY") == cny("0.00")


def test_an_order_confirmed_by_hand_supersedes_no_payment(
    clock: FixedClock, gateway: InMemoryGateway
) -> None:
    order = make_order(clock)
    payments = OrderPayments(gateway)
    payment = payments.open(order, CARD)
    order.confirm(actor=STAFF, note="paid by bank transfer")
    assert payments.paid_by(order) is None
    assert payments.settle(order, payment) == ()
    assert payment.status is P.PENDING


# --- manual refunds ------------------------------------------------------------------------------


def test_a_manual_refund_does_not_swallow_a_cancellation(
    clock: FixedClock, gateway: InMemoryGateway
) -> None:
    order = make_order(clock)
    payments = OrderPayments(gateway)
    payment = payments.open(order, CARD)
    payments.pay(order, payment)
    payment.refund(gateway, cny("50.00"), reason="goodwill", idempotency_key="G-1", actor=STAFF)
    order.cancel_lines({"B": 1}, reason="cup broke", actor=STAFF)
    assert payments.owed(order, payment) == cny("25.00")
    records = payments.settle(order, payment)
    assert [r.trigger for r in records] == ["refund"]
    assert [r.kind for r in payment.refunds] == [RefundKind.MANUAL, RefundKind.SETTLEMENT]
    settled = payment.refunded_of(RefundKind.SETTLEMENT)
    assert payment.captured is not None
    assert payment.captured - settled == order.amount_due == cny("90.00")
    assert payments.settle(order, payment) == ()


def test_manual_refunds_cap_what_reconciliation_refunds(
    clock: FixedClock, gateway: InMemoryGateway
) -> None:
    """When the order is cancelled after a goodwill refund, the rest of the capture goes back,
    never more."""
    order = make_order(clock)
    payments = OrderPayments(gateway)
    payment = payments.open(order, CARD)
    payments.pay(order, payment)
    payment.refund(gateway, cny("50.00"), reason="goodwill", idempotency_key="G-1", actor=STAFF)
    payments.cancel(order, payment, reason="buyer cancelled", actor=STAFF)
    assert payment.status is P.REFUNDED
    assert payment.refunded == payment.captured == cny("115.00")
    assert gateway.merchant_balance("CNY") == cny("0.00")


def test_a_manual_refund_cannot_take_a_reserved_key(
    clock: FixedClock, gateway: InMemoryGateway
) -> None:
    """A refund by hand under ``{payment.id}:...`` would stand in for a settlement refund and
    block reconciliation: it is refused before anything is sent."""
    order = make_order(clock)
    payments = OrderPayments(gateway)
    payment = payments.open(order, CARD)
    payments.pay(order, payment)
    before = fields_of(payment)
    key = "O-1-PAY:refund:1"
    assert not payment.can(
        "refund", actor=STAFF, amount=cny("10.00"), reason="goodwill", idempotency_key=key
    )
    with pytest.raises(ValidationError, match=r"namespace 'O-1-PAY:' that OrderPayments reserves"):
        payment.refund(gateway, cny("10.00"), reason="goodwill", idempotency_key=key, actor=STAFF)
    assert fields_of(payment) == before
    assert gateway.merchant_balance("CNY") == cny("115.00")
    payment.refund(gateway, cny("10.00"), reason="goodwill", idempotency_key="G-1", actor=STAFF)
    order.cancel_lines({"B": 1}, reason="cup broke", actor=STAFF)
    assert [r.trigger for r in payments.settle(order, payment)] == ["refund"]
    assert payment.idempotency[-1][0] == key
    assert payment.refunded_of(RefundKind.SETTLEMENT) == cny("25.00")


# --- gateways that cannot say what they did ------------------------------------------------------


def test_a_lost_refund_then_another_cancellation_is_recovered(
    clock: FixedClock, gateway: InMemoryGateway
) -> None:
    scripted = ScriptedGateway(gateway)
    blind = BlindGateway(scripted)
    order = make_order(clock)
    payments = OrderPayments(blind)
    payment = payments.open(order, CARD)
    payments.pay(order, payment)
    order.cancel_lines({"A": 1}, reason="tea gone", actor=STAFF)
    scripted.then("refund", "lose")
    with pytest.raises(GatewayUnavailable):
        payments.settle(order, payment)
    order.cancel_lines({"B": 1}, reason="cup broke", actor=STAFF)
    with pytest.raises(OutcomeUnknown, match=r"O-1-PAY:refund:1.*Do not send it under a new key"):
        payments.settle(order, payment)
    with pytest.raises(OutcomeUnknown, match="recover"):
        payments.settle(order, payment)
    with pytest.raises(InsufficientFunds, match=r"leave 65\.00 CNY"):
        payments.recover(order, payment, cny("65.01"))
    payments.recover(order, payment, cny("40.00"))  # what the provider says refund 1 was
    assert [r.trigger for r in payments.settle(order, payment)] == ["refund"]
    assert [r.amount for r in payment.refunds] == [cny("40.00"), cny("25.00")]
    assert gateway.merchant_balance("CNY") == order.amount_due == cny("50.00")
    assert payments.settle(order, payment) == ()


def test_a_lost_capture_then_a_cancellation_is_recovered(
    clock: FixedClock, gateway: InMemoryGateway
) -> None:
    scripted = ScriptedGateway(gateway)
    blind = BlindGateway(scripted)
    order = make_order(clock)
    payments = OrderPayments(blind)
    payment = payments.open(order, CARD)
    scripted.then("capture", "lose")
    with pytest.raises(GatewayUnavailable):
        payments.pay(order, payment)
    with pytest.raises(PaymentDeclined, match=r"OrderPayments.recover"):
        payments.cancel(order, payment, reason="buyer cancelled", actor=STAFF)
    assert order.status is OrderStatus.CANCELLED
    assert status_of(payment) is P.AUTHORIZED
    payments.recover(order, payment, cny("115.00"))
    assert status_of(payment) is P.CAPTURED
    assert [r.trigger for r in payments.settle(order, payment)] == ["refund"]
    assert status_of(payment) is P.REFUNDED
    assert gateway.merchant_balance("CNY") == cny("0.00")
    assert gateway.balance(CARD, "CNY") == cny("500.00")
    with pytest.raises(PolicyViolation, match="no request left"):
        payments.recover(order, payment, cny("1.00"))


def test_a_lost_capture_then_fewer_lines_says_how_to_recover(
    clock: FixedClock, gateway: InMemoryGateway
) -> None:
    scripted = ScriptedGateway(gateway)
    order = make_order(clock)
    payments = OrderPayments(BlindGateway(scripted))
    payment = payments.open(order, CARD)
    scripted.then("capture", "lose")
    with pytest.raises(GatewayUnavailable):
        payments.pay(order, payment)
    order.cancel_lines({"B": 1}, reason="cup broke", actor=STAFF)
    with pytest.raises(OutcomeUnknown, match=r"O-1-PAY:capture"):
        payments.pay(order, payment)
    payments.recover(order, payment, cny("115.00"))
    assert payments.pay(order, payment).trigger == "capture"
    assert [r.trigger for r in payments.settle(order, payment)] == ["refund"]
    assert [r.amount for r in payment.refunds] == [cny("25.00")]
    assert order.status is OrderStatus.PROCESSING
    assert gateway.merchant_balance("CNY") == cny("90.00")


def test_gateway_conflicts_never_advise_a_new_key_for_a_retry(gateway: InMemoryGateway) -> None:
    gateway.authorize(CARD, cny("10.00"), reference="P", idempotency_key="k")
    with pytest.raises(IdempotencyConflict, match="a retry must repeat its request exactly"):
        gateway.authorize(CARD, cny("20.00"), reference="P", idempotency_key="k")


# --- the gateway's answers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("says", "steps", "status"),
    [
        ({"authorize": cny("1000.00")}, ["authorize"], P.PENDING),
        ({"authorize": Money("100.00", "USD")}, ["authorize"], P.PENDING),
        ({"capture": cny("50.00")}, ["authorize", "capture"], P.AUTHORIZED),
        ({"refund": cny("999.00")}, ["authorize", "capture", "refund"], P.CAPTURED),
    ],
)
def test_an_answer_for_another_amount_is_refused_and_not_recorded(
    clock: FixedClock,
    gateway: InMemoryGateway,
    says: dict[str, Money],
    steps: list[str],
    status: PaymentStatus,
) -> None:
    liar = MisreportingGateway(gateway, says)
    payment = Payment(id="P-1", order_id="O-1", amount=cny("100.00"), instrument=CARD, clock=clock)
    calls = {
        "authorize": lambda: payment.authorize(liar, idempotency_key="a", actor=SYSTEM),
        "capture": lambda: payment.capture(liar, idempotency_key="c", actor=SYSTEM),
        "refund": lambda: payment.refund(
            liar, cny("10.00"), reason="r", idempotency_key="r", actor=SYSTEM
        ),
    }
    for step in steps[:-1]:
        calls[step]()
    before = attrs.asdict(payment, recurse=False)
    with pytest.raises(GatewayAnswerMismatch, match=r"nothing was recorded"):
        calls[steps[-1]]()
    assert attrs.asdict(payment, recurse=False) == before
    assert payment.status is status


# --- loading -------------------------------------------------------------------------------------


def test_a_payment_whose_refunds_disagree_with_its_history_does_not_load(
    clock: FixedClock, gateway: InMemoryGateway
) -> None:
    payment = Payment(id="P-1", order_id="O-1", amount=cny("100.00"), instrument=CARD, clock=clock)
    payment.authorize(gateway, idempotency_key="a", actor=SYSTEM)
    payment.capture(gateway, idempotency_key="c", actor=SYSTEM)
    payment.refund(gateway, cny("20.00"), reason="r", idempotency_key="r", actor=SYSTEM)
    stored = fields_of(payment)
    with pytest.raises(ValidationError, match=r"1 'refund' record\(s\), its data 2"):
        Payment(**{**stored, "refunds": payment.refunds * 2})
    assert Payment(**stored) == payment


def test_a_copy_that_missed_a_manual_refund_settles_under_the_same_key(
    clock: FixedClock, gateway: InMemoryGateway
) -> None:
    """Settlement keys count settlement refunds only, so a stale copy that does not know of a
    refund by hand replays the fresh copy's refund instead of paying it again."""
    order = make_order(clock)
    payments = OrderPayments(gateway)
    fresh = payments.open(order, CARD)
    payments.pay(order, fresh)
    stale = Payment(**fields_of(fresh))
    fresh.refund(gateway, cny("5.00"), reason="goodwill", idempotency_key="G-1", actor=STAFF)
    order.cancel_lines({"B": 1}, reason="cup broke", actor=STAFF)
    payments.settle(order, fresh)
    payments.settle(order, stale)
    assert [r.reference for r in stale.refunds] == [fresh.refunds[-1].reference]
    assert gateway.merchant_balance("CNY") == cny("85.00")  # 115 - 5 by hand - 25 once


def test_can_authorize_checks_the_amount(clock: FixedClock) -> None:
    payment = Payment(id="P-1", order_id="O-1", amount=cny("100.00"), instrument=CARD, clock=clock)
    for amount, allowed in (
        (cny("60.00"), True),
        (cny("100.01"), False),
        (Money("60", "USD"), False),
    ):
        assert payment.can("authorize", amount=amount, idempotency_key="k", actor=SYSTEM) is allowed


def test_an_authorisation_for_less_than_is_due_is_not_captured(
    clock: FixedClock, gateway: InMemoryGateway
) -> None:
    order = make_order(clock)
    payments = OrderPayments(gateway)
    payment = payments.open(order, CARD)
    payment.authorize(gateway, cny("100.00"), idempotency_key="O-1-PAY:authorize", actor=SYSTEM)
    with pytest.raises(ValidationError, match=r"authorised 100\.00 CNY, less than the 115\.00"):
        payments.pay(order, payment)
    assert (payment.status, order.status) == (P.AUTHORIZED, OrderStatus.PENDING_CONFIRMATION)


def test_paying_a_cancelled_order_says_it_is_cancelled(
    clock: FixedClock, gateway: InMemoryGateway
) -> None:
    """An authorisation voided because the order was cancelled: paying again names the
    cancelled order, not the voided payment (a new payment would not help)."""
    payments = OrderPayments(gateway)
    order = make_order(clock)
    payment = payments.open(order, CARD)
    payment.authorize(gateway, idempotency_key=f"{payment.id}:authorize", actor=STAFF)
    payments.cancel(order, payment, reason="buyer cancelled", actor=STAFF)
    assert status_of(payment) is P.VOIDED
    with pytest.raises(PolicyViolation, match="is cancelled"):
        payments.pay(order, payment)
