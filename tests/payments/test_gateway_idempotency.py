"""Money moves exactly once through the e-cash, purse and e-wallet gateways.

A gateway keeps the approved answer of every idempotency key. These tests lose the answer on
purpose (a wrapper performs the call, then raises :class:`GatewayUnavailable` as a timed-out
network call would) and retry with the same key: the retry must return what happened and move
nothing more. They also race 8 threads on one key, and check that a key cannot be reused for
another request.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from ecservice.clock import FixedClock
from ecservice.errors import GatewayUnavailable, IdempotencyConflict, ValidationError
from ecservice.money import Money
from ecservice.payments import (
    GatewayResponse,
    Instrument,
    InstrumentKind,
    OutcomeLookup,
    Payment,
    PaymentStatus,
    PurseGateway,
)
from ecservice.payments.mondex import Purse
from ecservice.workflow import Actor
from tests.payments.test_instrument_gateways import BUILDERS, KINDS, T0, Rig, cny

THREADS = 8


class LostAnswer:
    """Performs each call on the real gateway, then loses the answer (raises) while ``lose``."""

    def __init__(self, rig: Rig) -> None:
        self.gateway = rig.gateway
        self.lose = True
        self.performed = 0

    def _lost(self, answer: GatewayResponse) -> GatewayResponse:
        self.performed += 1
        if self.lose:
            raise GatewayUnavailable("the reply timed out after the gateway acted")
        return answer

    def authorize(self, instrument: Instrument, amount: Money, *, key: str) -> GatewayResponse:
        return self._lost(
            self.gateway.authorize(instrument, amount, reference="P-1", idempotency_key=key)
        )

    def capture(self, authorization: str, amount: Money, *, key: str) -> GatewayResponse:
        return self._lost(self.gateway.capture(authorization, amount, idempotency_key=key))

    def void(self, authorization: str, *, key: str) -> GatewayResponse:
        return self._lost(self.gateway.void(authorization, idempotency_key=key))

    def refund(self, capture: str, amount: Money, *, key: str) -> GatewayResponse:
        return self._lost(self.gateway.refund(capture, amount, idempotency_key=key))


@pytest.fixture(params=KINDS)
def rig(request: pytest.FixtureRequest) -> Rig:
    built = BUILDERS[request.param](FixedClock(T0))
    built.conserved()
    return built


def retry_after_loss(wrapper: LostAnswer, call: Callable[[], GatewayResponse]) -> GatewayResponse:
    """Call, lose the answer, then retry the very same call with the answer delivered."""
    with pytest.raises(GatewayUnavailable):
        call()
    wrapper.lose = False
    return call()


def test_a_lost_authorisation_is_retried_without_a_second_hold(rig: Rig) -> None:
    """Authorise 30.00, lose the answer, retry with the key: one hold of 30.00, not 60.00."""
    wrapper = LostAnswer(rig)
    answer = retry_after_loss(wrapper, lambda: wrapper.authorize(rig.rich, cny("30.00"), key="A-1"))
    assert answer.approved
    assert rig.gateway.held("CNY") == cny("30.00")
    assert rig.gateway.outcome("A-1") == answer
    rig.conserved()


def test_a_lost_capture_is_retried_without_taking_twice(rig: Rig) -> None:
    """Capture 30.00, lose the answer, retry: the merchant has 30.00 and the buyer 70.00."""
    auth = rig.gateway.authorize(rig.rich, cny("30.00"), reference="P-1", idempotency_key="A")
    wrapper = LostAnswer(rig)
    answer = retry_after_loss(
        wrapper, lambda: wrapper.capture(auth.reference, cny("30.00"), key="C-1")
    )
    assert answer.approved
    assert (rig.buyer(), rig.merchant()) == (cny("70.00"), cny("30.00"))
    assert rig.gateway.captured_amount(answer.reference) == cny("30.00")
    rig.conserved()


def test_a_lost_void_is_retried_and_answers_the_same(rig: Rig) -> None:
    """Void, lose the answer, retry: approved with the same reference, nothing held."""
    auth = rig.gateway.authorize(rig.rich, cny("30.00"), reference="P-1", idempotency_key="A")
    wrapper = LostAnswer(rig)
    answer = retry_after_loss(wrapper, lambda: wrapper.void(auth.reference, key="V-1"))
    assert (answer.approved, answer.reference, answer.message) == (True, auth.reference, "")
    assert rig.gateway.held("CNY") == cny("0.00")
    assert (rig.buyer(), rig.merchant()) == (cny("100.00"), cny("0.00"))
    rig.conserved()


def test_a_lost_refund_is_retried_without_refunding_twice(rig: Rig) -> None:
    """Refund 10.00 of 30.00, lose the answer, retry: the buyer got 10.00 back, not 20.00."""
    gw = rig.gateway
    auth = gw.authorize(rig.rich, cny("30.00"), reference="P-1", idempotency_key="A")
    cap = gw.capture(auth.reference, cny("30.00"), idempotency_key="C")
    wrapper = LostAnswer(rig)
    answer = retry_after_loss(
        wrapper, lambda: wrapper.refund(cap.reference, cny("10.00"), key="R-1")
    )
    assert answer.approved
    assert (rig.buyer(), rig.merchant()) == (cny("80.00"), cny("20.00"))
    assert gw.refunded_amount(cap.reference) == cny("10.00")
    assert wrapper.performed == 2  # called twice; the money moved once
    rig.conserved()


def test_the_purse_of_the_report_ends_at_230_not_260() -> None:
    """A purse of 300.00 pays 100.00; a refund of 30.00 loses its answer and is retried."""
    clock = FixedClock(T0)
    buyer, shop = Purse("buyer", balances=[cny("300.00")], clock=clock), Purse("shop", clock=clock)
    gw = PurseGateway({"buyer": buyer}, shop)
    auth = gw.authorize(
        Instrument(InstrumentKind.PURSE, "buyer"), cny("100.00"), reference="P", idempotency_key="a"
    )
    cap = gw.capture(auth.reference, cny("100.00"), idempotency_key="c")
    lost = True

    def refund() -> GatewayResponse:
        answer = gw.refund(cap.reference, cny("30.00"), idempotency_key="R-1")
        if lost:
            raise GatewayUnavailable("timeout")
        return answer

    with pytest.raises(GatewayUnavailable):
        refund()
    lost = False
    assert refund().approved
    assert (buyer.balance("CNY"), shop.balance("CNY")) == (cny("230.00"), cny("70.00"))


def test_eight_threads_with_one_key_move_money_once(rig: Rig) -> None:
    """8 threads refund 10.00 with one key at the same moment: one refund, one answer."""
    gw = rig.gateway
    auth = gw.authorize(rig.rich, cny("30.00"), reference="P-1", idempotency_key="A")
    cap = gw.capture(auth.reference, cny("30.00"), idempotency_key="C")
    barrier = threading.Barrier(THREADS)
    answers: list[GatewayResponse] = []
    errors: list[BaseException] = []

    def worker() -> None:
        barrier.wait()
        try:
            answers.append(gw.refund(cap.reference, cny("10.00"), idempotency_key="R-1"))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(answers) == THREADS
    assert len({a.reference for a in answers}) == 1
    assert all(a.approved for a in answers)
    assert (rig.buyer(), rig.merchant()) == (cny("80.00"), cny("20.00"))
    rig.conserved()


def test_eight_threads_authorising_with_one_key_hold_once(rig: Rig) -> None:
    """8 threads authorise 30.00 with one key: one authorisation, 30.00 held."""
    barrier = threading.Barrier(THREADS)
    answers: list[GatewayResponse] = []

    def worker() -> None:
        barrier.wait()
        answers.append(
            rig.gateway.authorize(rig.rich, cny("30.00"), reference="P-1", idempotency_key="A-1")
        )

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({a.reference for a in answers}) == 1
    assert rig.gateway.held("CNY") == cny("30.00")


def test_a_key_cannot_be_reused_for_another_request(rig: Rig) -> None:
    """Same key, other amount or other operation: IdempotencyConflict, nothing moves."""
    gw = rig.gateway
    auth = gw.authorize(rig.rich, cny("30.00"), reference="P-1", idempotency_key="K")
    before = rig.snapshot()
    with pytest.raises(IdempotencyConflict, match=r"'K'.*new key"):
        gw.authorize(rig.rich, cny("31.00"), reference="P-1", idempotency_key="K")
    with pytest.raises(IdempotencyConflict):
        gw.authorize(rig.rich, cny("30.00"), reference="P-2", idempotency_key="K")
    with pytest.raises(IdempotencyConflict):
        gw.capture(auth.reference, cny("30.00"), idempotency_key="K")
    with pytest.raises(IdempotencyConflict):
        gw.void(auth.reference, idempotency_key="K")
    assert rig.snapshot() == before
    assert gw.held("CNY") == cny("30.00")


def test_a_decline_is_not_stored_and_leaves_the_key_free(rig: Rig) -> None:
    """A declined request moved nothing: the same request may be asked again with its key (and
    succeeds once it can), and the key may then carry another request, which is stored."""
    gw = rig.gateway
    assert not gw.authorize(rig.poor, cny("6.00"), reference="P-1", idempotency_key="K").approved
    assert gw.outcome("K") is None
    if rig.kind == "wallet":  # a top-up makes the very same request affordable
        rig.extra["wallets"]["w-poor"].credit(cny("1.00"), "top-up 2")
        answer = gw.authorize(rig.poor, cny("6.00"), reference="P-1", idempotency_key="K")
        assert answer.approved
        assert gw.outcome("K") == answer
        return
    assert not gw.authorize(rig.poor, cny("6.00"), reference="P-1", idempotency_key="K").approved
    answer = gw.authorize(rig.poor, cny("5.00"), reference="P-1", idempotency_key="K")
    assert answer.approved
    assert gw.outcome("K") == answer
    with pytest.raises(IdempotencyConflict):  # now the key is taken by the approved request
        gw.authorize(rig.poor, cny("6.00"), reference="P-1", idempotency_key="K")


@pytest.mark.parametrize("bad", ["", "   ", "k\x00", 7, None])
def test_a_key_must_be_text(rig: Rig, bad: object) -> None:
    """A blank, control-character or non-string key is refused before anything happens."""
    before = rig.snapshot()
    with pytest.raises(ValidationError, match="idempotency_key"):
        rig.gateway.authorize(rig.rich, cny("1.00"), reference="P-1", idempotency_key=bad)  # type: ignore[arg-type]
    assert rig.snapshot() == before


class LosesOnce:
    """A gateway wrapper for :class:`Payment`: the named operation acts, then its answer is lost
    once (as a timed-out call would); every other call goes straight through."""

    def __init__(self, gateway: Any, operation: str) -> None:
        self.gateway = gateway
        self.operation = operation
        self.lost = False

    def _maybe_lose(self, operation: str, answer: GatewayResponse) -> GatewayResponse:
        if operation == self.operation and not self.lost:
            self.lost = True
            raise GatewayUnavailable(f"the reply to {operation} timed out")
        return answer

    def authorize(
        self, instrument: Instrument, amount: Money, *, reference: str, idempotency_key: str
    ) -> GatewayResponse:
        answer = self.gateway.authorize(
            instrument, amount, reference=reference, idempotency_key=idempotency_key
        )
        return self._maybe_lose("authorize", answer)

    def capture(
        self, authorization: str, amount: Money, *, idempotency_key: str
    ) -> GatewayResponse:
        answer = self.gateway.capture(authorization, amount, idempotency_key=idempotency_key)
        return self._maybe_lose("capture", answer)

    def void(self, authorization: str, *, idempotency_key: str) -> GatewayResponse:
        answer = self.gateway.void(authorization, idempotency_key=idempotency_key)
        return self._maybe_lose("void", answer)

    def refund(self, capture: str, amount: Money, *, idempotency_key: str) -> GatewayResponse:
        answer = self.gateway.refund(capture, amount, idempotency_key=idempotency_key)
        return self._maybe_lose("refund", answer)


SYSTEM = Actor.system("payments")


def status_of(payment: Payment) -> PaymentStatus:
    """The payment's status, read afresh (a type checker would keep an earlier narrowing)."""
    return payment.status


@pytest.mark.parametrize("operation", ["authorize", "capture", "void", "refund"])
def test_a_payment_retried_after_a_lost_answer_ends_where_the_gateway_is(
    rig: Rig, operation: str
) -> None:
    """Through :class:`Payment`: the answer of one operation is lost, the same trigger is
    retried with the same key, and the payment reaches the gateway's state with money moved
    once."""
    gw = LosesOnce(rig.gateway, operation)
    payment = rig.payment("30.00")

    def step(trigger: Callable[[], object]) -> None:
        try:
            trigger()
        except GatewayUnavailable:
            trigger()  # the retry, with the same key

    step(lambda: payment.authorize(gw, idempotency_key="P-1/a", actor=SYSTEM))
    assert status_of(payment) is PaymentStatus.AUTHORIZED
    assert rig.gateway.held("CNY") == cny("30.00")
    if operation == "void":
        step(lambda: payment.void(gw, idempotency_key="P-1/v", actor=SYSTEM))
        assert status_of(payment) is PaymentStatus.VOIDED
        assert (rig.buyer(), rig.merchant(), rig.gateway.held("CNY")) == (
            cny("100.00"),
            cny("0.00"),
            cny("0.00"),
        )
        return
    step(lambda: payment.capture(gw, idempotency_key="P-1/c", actor=SYSTEM))
    assert status_of(payment) is PaymentStatus.CAPTURED
    assert (rig.buyer(), rig.merchant()) == (cny("70.00"), cny("30.00"))
    step(
        lambda: payment.refund(
            gw, cny("10.00"), reason="dented", idempotency_key="P-1/r1", actor=SYSTEM
        )
    )
    assert status_of(payment) is PaymentStatus.PARTIALLY_REFUNDED
    assert payment.refunded == cny("10.00")
    assert (rig.buyer(), rig.merchant()) == (cny("80.00"), cny("20.00"))
    assert gw.lost
    rig.conserved()


def test_outcomes_say_what_each_key_moved(rig: Rig) -> None:
    """The gateway is an OutcomeLookup: each approved answer carries its amount, and the answer
    stored under a key is what a caller who lost it can ask for."""
    gw = rig.gateway
    assert isinstance(gw, OutcomeLookup)
    auth = gw.authorize(rig.rich, cny("30.00"), reference="P-1", idempotency_key="A")
    cap = gw.capture(auth.reference, cny("25.00"), idempotency_key="C")
    ref = gw.refund(cap.reference, cny("5.00"), idempotency_key="R")
    other = gw.authorize(rig.rich, cny("7.00"), reference="P-2", idempotency_key="A2")
    void = gw.void(other.reference, idempotency_key="V")
    assert [a.amount for a in (auth, cap, ref, void)] == [
        cny("30.00"),
        cny("25.00"),
        cny("5.00"),
        cny("7.00"),
    ]
    assert [gw.outcome(k) for k in ("A", "C", "R", "V")] == [auth, cap, ref, void]
    assert gw.outcome("never-used") is None
    again = gw.capture(auth.reference, cny("25.00"), idempotency_key="C-again")
    assert (again.reference, again.amount) == (cap.reference, cny("25.00"))
