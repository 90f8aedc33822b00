"""The payment workflow, idempotency keys, the in-memory gateway and order integration."""

from __future__ import annotations

import contextlib
from decimal import Decimal
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
    PolicyViolation,
    ValidationError,
)
from ecservice.money import Money
from ecservice.orders import Address, Order, OrderLine, OrderStatus
from ecservice.payments import (
    PAYMENT_WORKFLOW,
    GatewayResponse,
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
    RefundKind,
    RefundRecord,
)
from ecservice.workflow import Actor

from .gateway_fakes import ScriptedGateway

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


def status_of(payment: Payment) -> PaymentStatus:
    """The status, read afresh (a trigger changed it since the last check)."""
    return payment.status


def fields_of(payment: Payment) -> dict[str, Any]:
    """The constructor's arguments that rebuild ``payment`` (what storage keeps)."""
    return {a.alias: getattr(payment, a.name) for a in attrs.fields(Payment) if a.init and a.alias}


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
    assert status_of(payment) is P.CAPTURED
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
    assert status_of(payment) is P.REFUNDED
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
    gw = ScriptedGateway(gateway).then("capture", "decline")
    payment = make_payment(clock)
    payment.authorize(gw, idempotency_key="a", actor=SYSTEM)
    before = snapshot(payment)
    with pytest.raises(PaymentDeclined, match="declined by the script"):
        payment.capture(gw, idempotency_key="c", actor=SYSTEM)
    assert snapshot(payment) == before
    payment.capture(gw, idempotency_key="c", actor=SYSTEM)  # the retry is approved
    assert payment.status is P.CAPTURED


def test_the_key_reaches_the_gateway(clock: FixedClock, gateway: InMemoryGateway) -> None:
    """Each trigger passes its idempotency key on: the gateway stores the outcome under it."""
    payment = captured(clock, gateway)
    payment.refund(gateway, cny("5.00"), reason="r", idempotency_key="r1", actor=SYSTEM)
    for key, amount in (("a", "120.00"), ("c", "120.00"), ("r1", "5.00")):
        found = gateway.outcome(key)
        assert found is not None
        assert found.approved
        assert found.amount == cny(amount)
    assert gateway.outcome("nothing") is None


def test_trigger_arguments_are_checked_before_the_gateway_is_called(
    clock: FixedClock, gateway: InMemoryGateway
) -> None:
    """A bad gateway, actor or note raises a library error and nothing moves."""
    payment = make_payment(clock)
    bad_calls: list[dict[str, Any]] = [
        {"gateway": object(), "actor": SYSTEM},
        {"gateway": gateway, "actor": "system"},
        {"gateway": gateway, "actor": None},
        {"gateway": gateway, "actor": SYSTEM, "note": 12},
        {"gateway": gateway, "actor": SYSTEM, "note": "a\u202eb"},
    ]
    for kwargs in bad_calls:
        with pytest.raises(ValidationError):
            payment.authorize(idempotency_key="a", **kwargs)
    assert gateway.calls == []
    assert payment.status is P.PENDING
    payment.authorize(gateway, idempotency_key="a", actor=SYSTEM)
    payment.capture(gateway, idempotency_key="c", actor=SYSTEM)
    for reason in ("", None, "x" * 2001, "bad\x00"):
        with pytest.raises(ValidationError):
            payment.refund(gateway, cny("1.00"), reason=reason, idempotency_key="r", actor=SYSTEM)  # type: ignore[arg-type]
    with pytest.raises(InvalidAmount):
        payment.refund(gateway, "1.00", reason="r", idempotency_key="r", actor=SYSTEM)  # type: ignore[arg-type]


# --- the in-memory gateway's own keys ------------------------------------------------------------


def test_the_gateway_replays_a_key_and_refuses_its_reuse(gateway: InMemoryGateway) -> None:
    """Same key, same request: the first answer, no money moves; another request: a conflict."""
    first = gateway.authorize(CARD, cny("50.00"), reference="P-9", idempotency_key="k")
    again = gateway.authorize(CARD, cny("50.00"), reference="P-9", idempotency_key="k")
    assert again == first
    assert first.amount == cny("50.00")
    assert gateway.balance(CARD, "CNY") == cny("450.00")
    with pytest.raises(IdempotencyConflict, match="'k'"):
        gateway.authorize(CARD, cny("60.00"), reference="P-9", idempotency_key="k")
    cap = gateway.capture(first.reference, cny("50.00"), idempotency_key="kc")
    ref = gateway.refund(cap.reference, cny("20.00"), idempotency_key="kr")
    assert gateway.refund(cap.reference, cny("20.00"), idempotency_key="kr") == ref
    with pytest.raises(IdempotencyConflict):
        gateway.refund(cap.reference, cny("10.00"), idempotency_key="kr")
    assert gateway.merchant_balance("CNY") == cny("30.00")


def test_a_decline_is_not_stored_and_leaves_the_key_free(clock: FixedClock) -> None:
    """Declined for lack of funds, the same request with the same key succeeds after a top-up;
    once approved, the key is taken and another request with it is a conflict."""
    gw = InMemoryGateway()
    gw.fund(CARD, cny("10.00"))
    refused = gw.authorize(CARD, cny("30.00"), reference="P-1", idempotency_key="k")
    assert not refused.approved
    assert gw.outcome("k") is None
    gw.fund(CARD, cny("20.00"))
    assert gw.authorize(CARD, cny("30.00"), reference="P-1", idempotency_key="k").approved
    with pytest.raises(IdempotencyConflict):
        gw.authorize(CARD, cny("5.00"), reference="P-1", idempotency_key="k")


def test_the_gateway_refuses_bad_input_with_library_errors(gateway: InMemoryGateway) -> None:
    """Wrong types and unknown references raise library errors, never AttributeError."""
    with pytest.raises(ValidationError):
        gateway.authorize("tok", cny("1.00"), reference="P", idempotency_key="k")  # type: ignore[arg-type]
    with pytest.raises(InvalidAmount):
        gateway.authorize(CARD, 1, reference="P", idempotency_key="k")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        gateway.authorize(CARD, cny("1.00"), reference="P", idempotency_key=None)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        gateway.capture("nope", cny("1.00"), idempotency_key="k")
    with pytest.raises(ValidationError):
        gateway.refund(None, cny("1.00"), idempotency_key="k")  # type: ignore[arg-type]
    with pytest.raises(InvalidAmount):
        gateway.fund(CARD, cny("-1.00"))
    assert gateway.calls == []


# --- loading from storage ------------------------------------------------------------------------


def test_a_payment_round_trips_through_its_constructor(
    clock: FixedClock, gateway: InMemoryGateway
) -> None:
    """Every state the workflow reaches can be rebuilt from the fields (as storage does)."""
    payment = captured(clock, gateway)
    payment.refund(gateway, cny("20.00"), reason="dented", idempotency_key="r1", actor=SYSTEM)
    fields = fields_of(payment)
    fields["refunds"] = list(fields["refunds"])  # JSON gives lists
    fields["idempotency"] = [list(e) for e in fields["idempotency"]]
    copy = Payment(**fields)
    assert copy == payment


@pytest.mark.parametrize(
    ("changes", "error", "match"),
    [
        ({"status": "captured"}, ValidationError, "PaymentStatus"),
        ({"amount": "120.00"}, InvalidAmount, "Money"),
        ({"instrument": "tok_visa_0001"}, ValidationError, "Instrument"),
        ({"authorization": None}, ValidationError, "needs its authorization"),
        ({"captured": None}, InvalidAmount, "captured"),
        ({"captured": Money("120.00", "USD")}, ValidationError, "USD"),
        ({"captured": cny("130.00")}, InvalidAmount, "more than it authorised"),
        ({"authorized": None}, InvalidAmount, "authorised amount"),
        ({"authorized": cny("130.00")}, InvalidAmount, "more than its amount"),
        ({"authorized": cny("90.00")}, InvalidAmount, "more than it authorised"),
        ({"capture_reference": "x\x00"}, ValidationError, "control"),
        ({"failure": "no"}, ValidationError, "exactly when FAILED"),
        ({"refunds": [1]}, ValidationError, "RefundRecord"),
        ({"refunds": "abc"}, ValidationError, "tuple"),
        ({"idempotency": [("k", "capture:1", 99)]}, ValidationError, "versions run"),
        ({"idempotency": [("k", "refund:1", 2)]}, ValidationError, "was a 'capture'"),
        (
            {"idempotency": [("k", "authorize:x", 1), ("k", "capture:y", 2)]},
            ValidationError,
            "twice",
        ),
        ({"idempotency": [("k", "authorize:x")]}, ValidationError, "key, fingerprint"),
        ({"idempotency": [("k", "authorize:x", True)]}, ValidationError, "versions run"),
        ({"order_id": "O\u2066"}, ValidationError, "bidirectional"),
    ],
)
def test_rehydration_refuses_inconsistent_payments(
    clock: FixedClock,
    gateway: InMemoryGateway,
    changes: dict[str, Any],
    error: type[Exception],
    match: str,
) -> None:
    """The constructor checks types and invariants and names what is wrong."""
    fields = fields_of(captured(clock, gateway))
    fields.update(changes)
    with pytest.raises(error, match=match):
        Payment(**fields)


def test_rehydration_checks_refunds_against_the_status(
    clock: FixedClock, gateway: InMemoryGateway
) -> None:
    """Refunds in another currency, beyond the capture, or not matching the status are refused."""
    payment = captured(clock, gateway)
    refund = RefundRecord(
        amount=cny("20.00"), reason="r", reference="ref-1", kind=RefundKind.MANUAL
    )
    with pytest.raises(ValidationError, match="must have no refunds"):
        Payment(**{**fields_of(payment), "refunds": (refund,)})
    payment.refund(gateway, cny("20.00"), reason="r", idempotency_key="r1", actor=SYSTEM)
    partial = fields_of(payment)
    with pytest.raises(ValidationError, match="less than captured"):
        Payment(**{**partial, "refunds": (refund,) * 6})
    usd = RefundRecord(
        amount=Money("1.00", "USD"), reason="r", reference="ref-2", kind=RefundKind.MANUAL
    )
    with pytest.raises(ValidationError, match="USD"):
        Payment(**{**partial, "refunds": (usd,)})
    payment.refund(gateway, cny("100.00"), reason="r", idempotency_key="r2", actor=SYSTEM)
    with pytest.raises(ValidationError, match="what was captured"):
        Payment(**{**fields_of(payment), "refunds": (refund,)})
    with pytest.raises(InvalidAmount):
        RefundRecord(amount=cny("0.00"), reason="r", reference="x", kind=RefundKind.MANUAL)
    with pytest.raises(ValidationError):
        RefundRecord(amount=cny("1.00"), reason="r", reference="", kind=RefundKind.MANUAL)


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


def settled_with_a_manual_refund(clock: FixedClock, gateway: InMemoryGateway) -> Payment:
    """A captured payment with a MANUAL refund, then a SETTLEMENT one for a cancelled line."""
    order = make_order(clock)
    payments = OrderPayments(gateway)
    payment = payments.open(order, CARD)
    payments.pay(order, payment)
    payment.refund(
        gateway, cny("5.00"), reason="goodwill", idempotency_key="GW-1", actor=Actor.staff("s")
    )
    order.cancel_lines({"B": 1}, reason="cracked", actor=Actor.staff("s"))
    payments.settle(order, payment)
    assert [r.kind for r in payment.refunds] == [RefundKind.MANUAL, RefundKind.SETTLEMENT]
    return payment


def test_a_settled_payment_round_trips(clock: FixedClock, gateway: InMemoryGateway) -> None:
    payment = settled_with_a_manual_refund(clock, gateway)
    assert Payment(**fields_of(payment)) == payment


def _tampered(payment: Payment, name: str) -> dict[str, Any]:
    fields = fields_of(payment)
    manual, settlement = fields["refunds"]
    if name == "kind MANUAL -> SETTLEMENT":
        fields["refunds"] = (attrs.evolve(manual, kind=RefundKind.SETTLEMENT), settlement)
    elif name == "kind SETTLEMENT -> MANUAL":
        fields["refunds"] = (manual, attrs.evolve(settlement, kind=RefundKind.MANUAL))
    elif name == "amounts swapped":
        fields["refunds"] = (
            attrs.evolve(manual, amount=settlement.amount),
            attrs.evolve(settlement, amount=manual.amount),
        )
    elif name == "reason changed":
        fields["refunds"] = (attrs.evolve(manual, reason="changed"), settlement)
    elif name == "idempotency dropped":
        fields["idempotency"] = ()
    elif name == "one key dropped":
        fields["idempotency"] = fields["idempotency"][:-1]
    elif name == "settlement key renumbered":
        _, fingerprint, version = fields["idempotency"][-1]
        fields["idempotency"] = (
            *fields["idempotency"][:-1],
            (f"{payment.id}:refund:2", fingerprint, version),
        )
    elif name == "manual key in the settlement namespace":
        fields["idempotency"] = tuple(
            (f"{payment.id}:goodwill" if k == "GW-1" else k, f, v)
            for k, f, v in fields["idempotency"]
        )
    return fields


@pytest.mark.parametrize(
    ("name", "match"),
    [
        ("kind MANUAL -> SETTLEMENT", r"SETTLEMENT, reason 'goodwill'\) contradicts .*'GW-1'"),
        ("kind SETTLEMENT -> MANUAL", r"MANUAL, reason 'cracked'\) contradicts"),
        ("amounts swapped", "refund of 25.00 CNY .* contradicts .*'GW-1'"),
        ("reason changed", r"reason 'changed'\) contradicts"),
        ("idempotency dropped", r"history record 1 \('authorize'\) has no idempotency record"),
        ("one key dropped", r"history record 4 \('refund'\) has no idempotency record"),
        ("settlement key renumbered", "has key 'O-1-PAY:refund:2'; .* keyed 'O-1-PAY:refund:1'"),
        (
            "manual key in the settlement namespace",
            "'O-1-PAY:goodwill', in the namespace 'O-1-PAY:'",
        ),
    ],
)
def test_rehydration_refuses_refunds_that_contradict_their_keys(
    clock: FixedClock, gateway: InMemoryGateway, name: str, match: str
) -> None:
    """A refund's amount, reason and kind are what its idempotency record requested, and every
    history record has its key: otherwise reconciliation would count the refund as the wrong
    kind, or a retry would run a request a second time."""
    payment = settled_with_a_manual_refund(clock, gateway)
    with pytest.raises(ValidationError, match=match):
        Payment(**_tampered(payment, name))


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
    """Settling again (a retry after a crash) never refunds the same cancellation twice, and
    settle leaves the order's events for the caller's outbox."""
    order = make_order(clock)
    payments = OrderPayments(gateway)
    payment = payments.open(order, CARD)
    payments.pay(order, payment)
    order.cancel_lines({"B": 1}, reason="discontinued", actor=Actor.staff("s"))
    events = order.pending_events
    records = payments.settle(order, payment)
    assert [r.trigger for r in records] == ["refund"]
    assert order.pending_events == events
    assert payment.refunded == cny("25.00")
    assert payments.settle(order, payment) == ()
    assert payment.refunded == cny("25.00")
    assert payment.status is P.PARTIALLY_REFUNDED
    assert payment.refunds[0].reason == "discontinued"


def test_a_declined_refund_is_made_by_the_next_settle(
    clock: FixedClock, gateway: InMemoryGateway
) -> None:
    """The refund a declined settle could not make is not lost: it is computed again from state."""
    order = make_order(clock)
    flaky = ScriptedGateway(gateway).then("refund", "decline")
    payments = OrderPayments(flaky)
    payment = payments.open(order, CARD)
    payments.pay(order, payment)
    order.pull_events()  # another consumer took the events: money does not depend on them
    order.cancel_lines({"B": 1}, reason="discontinued", actor=Actor.staff("s"))
    order.pull_events()
    with pytest.raises(PaymentDeclined):
        payments.settle(order, payment)
    assert payment.refunded == cny("0.00")
    payments.settle(order, payment)
    assert payment.refunded == order.cancelled_value == cny("25.00")
    assert payment.net == order.amount_due


def test_settle_before_capture_then_pay_captures_only_what_is_due(
    clock: FixedClock, gateway: InMemoryGateway
) -> None:
    """Lines cancelled between authorisation and capture are never charged."""
    order = make_order(clock)
    payments = OrderPayments(gateway)
    payment = payments.open(order, CARD)
    payment.authorize(gateway, idempotency_key=f"{payment.id}:authorize", actor=SYSTEM)
    order.cancel_lines({"B": 1}, reason="discontinued", actor=Actor.staff("s"))
    assert payments.settle(order, payment) == ()
    payments.pay(order, payment)
    assert payment.captured == order.amount_due == cny("90.00")
    assert payment.net == order.amount_due
    assert gateway.balance(CARD, "CNY") == cny("410.00")
    assert gateway.held("CNY") == cny("0.00")


def test_pay_refuses_an_order_with_nothing_due(clock: FixedClock, gateway: InMemoryGateway) -> None:
    """A cancelled order is not charged; opening a payment for it is refused too."""
    order = make_order(clock)
    payments = OrderPayments(gateway)
    payment = payments.open(order, CARD)
    order.cancel(reason="changed mind", actor=Actor.buyer("b-1"))
    with pytest.raises(PolicyViolation, match="nothing to pay"):
        payments.pay(order, payment)
    with pytest.raises(PolicyViolation, match="nothing to pay"):
        payments.open(order, CARD)
    assert payment.status is P.PENDING
    assert gateway.calls == []


def test_pay_again_after_a_crash_before_confirmation(
    clock: FixedClock, gateway: InMemoryGateway
) -> None:
    """Captured but not yet confirmed: pay again confirms without charging."""
    order = make_order(clock)
    payments = OrderPayments(gateway)
    payment = payments.open(order, CARD)
    payment.authorize(gateway, idempotency_key="P:a", actor=SYSTEM)
    payment.capture(gateway, idempotency_key="P:c", actor=SYSTEM)
    calls = list(gateway.calls)
    assert payments.pay(order, payment).trigger == "capture"
    assert order.status is OrderStatus.PROCESSING
    assert gateway.calls == calls


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


HOSTILE: list[object] = [
    None,
    -1,
    10**5000,
    1.5,
    float("nan"),
    Decimal("NaN"),
    Decimal("1E+999999"),
    "",
    "x" * 1_000_000,
    "a\x00b",
    "\u202e",
    b"tok",
    [1, 2],
    ("k", "authorize:x", 10**5000),
    object(),
    True,
    Money("1.00", "USD"),
    Money("-1.00", "CNY"),
]


@pytest.mark.parametrize("value", HOSTILE, ids=lambda v: type(v).__name__)
def test_only_library_errors_escape(
    clock: FixedClock, gateway: InMemoryGateway, value: object
) -> None:
    """Hostile values anywhere in the payments API raise EcServiceError, and change nothing."""
    payment = make_payment(clock)
    payment.authorize(gateway, idempotency_key="a", actor=SYSTEM)
    before = snapshot(payment)
    money = (gateway.balance(CARD, "CNY"), gateway.held("CNY"), gateway.merchant_balance("CNY"))
    base = fields_of(payment)
    attempts: list[Any] = [
        *(lambda f=f: Payment(**{**base, f: value}) for f in base if f != "clock"),
        lambda: payment.capture(gateway, value or "", idempotency_key="c", actor=SYSTEM),  # type: ignore[arg-type]
        lambda: payment.capture(gateway, idempotency_key=value, actor=SYSTEM),  # type: ignore[arg-type]
        lambda: payment.capture(value, idempotency_key="c", actor=SYSTEM),  # type: ignore[arg-type]
        lambda: payment.capture(gateway, idempotency_key="c", actor=value),  # type: ignore[arg-type]
        lambda: payment.void(gateway, idempotency_key="v", actor=SYSTEM, note=value or 0),  # type: ignore[arg-type]
        lambda: gateway.authorize(CARD, value, reference="P", idempotency_key="k"),  # type: ignore[arg-type]
        lambda: gateway.authorize(CARD, cny("1.00"), reference=value, idempotency_key="k"),  # type: ignore[arg-type]
        lambda: gateway.capture(value, cny("1.00"), idempotency_key="k"),  # type: ignore[arg-type]
        lambda: gateway.refund(value, cny("1.00"), idempotency_key="k"),  # type: ignore[arg-type]
        lambda: gateway.outcome(value),  # type: ignore[arg-type]
        lambda: gateway.fund(CARD, value),  # type: ignore[arg-type]
        lambda: OrderPayments(value),  # type: ignore[arg-type]
        lambda: OrderPayments(gateway).settle(value, payment),  # type: ignore[arg-type]
        lambda: GatewayResponse(approved=value),  # type: ignore[arg-type]
        lambda: GatewayResponse(approved=True, reference=value),  # type: ignore[arg-type]
        lambda: GatewayResponse(approved=True, amount=value),  # type: ignore[arg-type]
        lambda: RefundRecord(amount=value, reason="r", reference="x", kind=RefundKind.MANUAL),  # type: ignore[arg-type]
        lambda: RefundRecord(
            amount=cny("1.00"),
            reason=value,  # type: ignore[arg-type]
            reference="x",
            kind=RefundKind.MANUAL,
        ),
        lambda: RefundRecord(amount=cny("1.00"), reason="r", reference="x", kind=value),  # type: ignore[arg-type]
        lambda: Instrument(value, "tok"),  # type: ignore[arg-type]
        lambda: Instrument(InstrumentKind.CARD, value),  # type: ignore[arg-type]
    ]
    for attempt in attempts:
        with contextlib.suppress(EcServiceError):
            attempt()
    assert snapshot(payment) == before
    assert money == (
        gateway.balance(CARD, "CNY"),
        gateway.held("CNY"),
        gateway.merchant_balance("CNY"),
    )


def test_can_agrees_with_the_trigger_methods(clock: FixedClock, gateway: InMemoryGateway) -> None:
    """can() runs the same argument checks as the trigger methods (without the gateway): when it
    says True, the same call succeeds; when an argument is bad, it says False."""
    payment = make_payment(clock)
    assert payment.can("authorize", gateway=gateway, idempotency_key="a")
    assert not payment.can("authorize", gateway=object(), idempotency_key="a")
    assert not payment.can("authorize", idempotency_key="a", colour="red")
    assert not payment.can("capture")
    payment.authorize(gateway, idempotency_key="a", actor=SYSTEM)
    assert not payment.can("capture", amount=cny("120.01"))
    assert not payment.can("capture", amount=Money("1.00", "USD"))
    assert not payment.can("capture", amount="120.00")
    assert not payment.can("capture", amount=cny("100.00"), idempotency_key="a")  # conflict
    assert payment.can("capture", gateway=gateway, amount=cny("100.00"), idempotency_key="c")
    assert payment.can("void", gateway=gateway, idempotency_key="v")
    payment.capture(gateway, cny("100.00"), idempotency_key="c", actor=SYSTEM)
    assert not payment.can("refund", amount=cny("100.01"), reason="r")
    assert not payment.can("refund", amount=cny("1.00"), reason="")
    assert not payment.can("refund", amount=cny("1.00"), reason="r", actor="someone")  # type: ignore[arg-type]
    assert payment.can("refund", amount=cny("100.00"), reason="r", idempotency_key="r1")
    payment.refund(gateway, cny("100.00"), reason="r", idempotency_key="r1", actor=SYSTEM)
    assert payment.status is P.REFUNDED
    assert not payment.can("refund", amount=cny("0.01"), reason="r")
