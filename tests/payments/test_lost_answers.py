"""Money moves exactly once: lost answers, copies of one payment and threads sharing one key.

Every test runs over each gateway of :data:`RAILS` through :class:`ScriptedGateway`, which only
uses the :class:`~ecservice.payments.PaymentGateway` protocol; add a rail (a gateway, a funded
instrument and views of the buyer's and merchant's value) to run them over another gateway.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, NamedTuple

import attrs
import pendulum
import pytest

from ecservice.clock import FixedClock
from ecservice.errors import GatewayUnavailable, IdempotencyConflict
from ecservice.money import Money
from ecservice.orders import Address, Order, OrderLine
from ecservice.payments import (
    EcashGateway,
    InMemoryGateway,
    Instrument,
    InstrumentKind,
    OrderPayments,
    Payment,
    PaymentGateway,
    PaymentStatus,
    PurseGateway,
    WalletGateway,
)
from ecservice.payments.ecash import CoinWallet, Mint, PurePythonBlindSigner, generate_key
from ecservice.payments.mondex import Purse
from ecservice.payments.wallet import EWallet, KdfParams
from ecservice.workflow import Actor

from .gateway_fakes import Behaviour, ScriptedGateway

P = PaymentStatus
SYSTEM = Actor.system("payments")
FUNDS = "500.00"


def cny(amount: str) -> Money:
    return Money(amount, "CNY")


class Rail(NamedTuple):
    """A gateway with one funded buyer instrument, and views of where the value is."""

    gateway: PaymentGateway
    instrument: Instrument
    buyer: Callable[[], Money]  # the buyer's value, holds included
    merchant: Callable[[], Money]
    held: Callable[[], Money]


def memory_rail() -> Rail:
    gw = InMemoryGateway("mem")
    card = Instrument(InstrumentKind.CARD, "tok_visa_0042")
    gw.fund(card, cny(FUNDS))
    return Rail(
        gw,
        card,
        lambda: gw.balance(card, "CNY") + gw.held("CNY"),
        lambda: gw.merchant_balance("CNY"),
        lambda: gw.held("CNY"),
    )


def purse_rail() -> Rail:
    clock = FixedClock(pendulum.datetime(2026, 11, 11, 10, 0, tz="Asia/Shanghai"))
    gw = PurseGateway(
        {"purse-1": Purse("purse-1", balances=[cny(FUNDS)], clock=clock)},
        Purse("shop", clock=clock),
    )
    return Rail(
        gw,
        Instrument(InstrumentKind.PURSE, "purse-1"),
        lambda: gw.buyer_balance("purse-1", "CNY"),
        lambda: gw.merchant_balance("CNY"),
        lambda: gw.held("CNY"),
    )


def wallet_rail() -> Rail:
    clock = FixedClock(pendulum.datetime(2026, 11, 11, 10, 0, tz="Asia/Shanghai"))
    fast = KdfParams(n=2**4)  # tests only: the default cost is slow on purpose
    buyer = EWallet("buyer", "2468", clock=clock, kdf=fast, wallet_id="w-1")
    buyer.credit(cny(FUNDS), "top-up")
    shop = EWallet("shop", "9753", clock=clock, kdf=fast, wallet_id="w-shop")
    gw = WalletGateway({"w-1": buyer}, shop, lambda _: "2468", merchant_auth=lambda: "9753")
    return Rail(
        gw,
        Instrument(InstrumentKind.WALLET, "w-1"),
        lambda: gw.buyer_balance("w-1", "CNY"),
        lambda: gw.merchant_balance("CNY"),
        lambda: gw.held("CNY"),
    )


_ECASH_KEYS = [generate_key(1024, allow_weak_key_for_tests=True) for _ in range(5)]


def ecash_rail() -> Rail:
    clock = FixedClock(pendulum.datetime(2026, 11, 11, 10, 0, tz="Asia/Shanghai"))
    mint = Mint(clock, currency="CNY", name="mint")
    for value, key in zip(("100.00", "50.00", "10.00", "5.00", "1.00"), _ECASH_KEYS, strict=True):
        mint.add_denomination(
            cny(value),
            signer=PurePythonBlindSigner(key),
            withdraw_until=clock.now().add(days=30),
            deposit_until=clock.now().add(days=365),
        )
    mint.credit_reserve("buyer", cny(FUNDS))
    coins = CoinWallet(clock, currency="CNY")
    coins.withdraw_amount(mint, "buyer", cny(FUNDS))
    gw = EcashGateway(mint, {"coins-1": coins}, "shop")
    return Rail(
        gw,
        Instrument(InstrumentKind.ECASH, "coins-1"),
        lambda: gw.buyer_balance("coins-1", "CNY"),
        lambda: gw.merchant_balance("CNY"),
        lambda: gw.held("CNY"),
    )


#: Gateways the tests run over (each entry builds a fresh rail).
RAILS: list[Callable[[], Rail]] = [memory_rail, purse_rail, wallet_rail, ecash_rail]


@pytest.fixture(params=RAILS, ids=lambda make: make.__name__)
def rail(request: pytest.FixtureRequest) -> Rail:
    made: Rail = request.param()
    return made


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(pendulum.datetime(2026, 11, 11, 10, 0, tz="Asia/Shanghai"))


def new_payment(rail: Rail, clock: FixedClock, amount: str = "120.00") -> Payment:
    return Payment(
        id="P-1", order_id="O-1", amount=cny(amount), instrument=rail.instrument, clock=clock
    )


def copy_of(payment: Payment) -> Payment:
    """Another object loaded from the same data (another request handler's copy)."""
    fields = {str(a.alias): getattr(payment, a.name) for a in attrs.fields(Payment) if a.init}
    return Payment(**fields)


def conserved(rail: Rail) -> bool:
    return rail.buyer() + rail.merchant() == cny(FUNDS)


def advance(payment: Payment, gateway: PaymentGateway, to: str) -> None:
    """Bring a fresh payment to just before ``to``."""
    if to in ("capture", "void", "refund"):
        payment.authorize(gateway, idempotency_key="k-auth", actor=SYSTEM)
    if to == "refund":
        payment.capture(gateway, idempotency_key="k-cap", actor=SYSTEM)


def perform(payment: Payment, gateway: PaymentGateway, operation: str, key: str) -> None:
    if operation == "authorize":
        payment.authorize(gateway, idempotency_key=key, actor=SYSTEM)
    elif operation == "capture":
        payment.capture(gateway, cny("100.00"), idempotency_key=key, actor=SYSTEM)
    elif operation == "void":
        payment.void(gateway, idempotency_key=key, actor=SYSTEM)
    else:
        payment.refund(gateway, cny("30.00"), reason="dented", idempotency_key=key, actor=SYSTEM)


#: Where the value is once ``operation`` was done once: (buyer's own, merchant, held).
EXPECTED = {
    "authorize": (P.AUTHORIZED, "500.00", "0.00", "120.00"),
    "capture": (P.CAPTURED, "400.00", "100.00", "0.00"),
    "void": (P.VOIDED, "500.00", "0.00", "0.00"),
    "refund": (P.PARTIALLY_REFUNDED, "410.00", "90.00", "0.00"),
}


def check_done_once(rail: Rail, payment: Payment, operation: str) -> None:
    status, buyer, merchant, held = EXPECTED[operation]
    assert payment.status is status
    assert rail.buyer() == cny(buyer)
    assert rail.merchant() == cny(merchant)
    assert rail.held() == cny(held)
    assert conserved(rail)
    assert payment.net == rail.merchant()


@pytest.mark.parametrize("operation", ["authorize", "capture", "void", "refund"])
@pytest.mark.parametrize("lost", ["lose", "timeout"])
def test_a_lost_answer_then_a_retry_moves_money_once(
    rail: Rail, clock: FixedClock, operation: str, lost: Behaviour
) -> None:
    """The gateway acts and the answer is lost: the payment records nothing; the retry with the
    same key records what the gateway did, and the money moved once."""
    flaky = ScriptedGateway(rail.gateway)
    payment = new_payment(rail, clock)
    advance(payment, flaky, operation)
    before = (payment.status, payment.version, payment.history, payment.refunds)
    flaky.then(operation, lost)
    with pytest.raises((GatewayUnavailable, TimeoutError)):
        perform(payment, flaky, operation, "k-1")
    assert (payment.status, payment.version, payment.history, payment.refunds) == before
    perform(payment, flaky, operation, "k-1")
    check_done_once(rail, payment, operation)
    perform(payment, flaky, operation, "k-1")  # and again: the payment's own replay
    check_done_once(rail, payment, operation)


def test_a_lost_capture_does_not_leave_the_payment_stuck(rail: Rail, clock: FixedClock) -> None:
    """A capture whose answer was lost is recorded by the retry (it used to fail for ever)."""
    flaky = ScriptedGateway(rail.gateway).then("capture", "lose", "lose")
    payment = new_payment(rail, clock)
    payment.authorize(flaky, idempotency_key="a", actor=SYSTEM)
    for _ in range(2):
        with pytest.raises(GatewayUnavailable):
            payment.capture(flaky, idempotency_key="c", actor=SYSTEM)
        assert payment.status is P.AUTHORIZED
    payment.capture(flaky, idempotency_key="c", actor=SYSTEM)
    assert payment.status is P.CAPTURED
    assert payment.captured == rail.merchant() == cny("120.00")


def test_a_retry_with_another_request_is_a_conflict(rail: Rail, clock: FixedClock) -> None:
    """After a lost refund of 30.00, retrying the key with 40.00 is refused: no second refund."""
    flaky = ScriptedGateway(rail.gateway)
    payment = new_payment(rail, clock)
    advance(payment, flaky, "refund")
    flaky.then("refund", "lose")
    with pytest.raises(GatewayUnavailable):
        payment.refund(flaky, cny("30.00"), reason="r", idempotency_key="R-1", actor=SYSTEM)
    with pytest.raises(IdempotencyConflict):
        payment.refund(flaky, cny("40.00"), reason="r", idempotency_key="R-1", actor=SYSTEM)
    assert payment.refunded == cny("0.00")
    assert rail.merchant() == cny("90.00")


@pytest.mark.parametrize("operation", ["authorize", "capture", "void", "refund"])
def test_two_copies_of_one_payment_move_money_once(
    rail: Rail, clock: FixedClock, operation: str
) -> None:
    """Two request handlers, each with its own copy, send the same request with the same key:
    the second copy records the same outcome, and the money moved once."""
    first = new_payment(rail, clock)
    advance(first, rail.gateway, operation)
    second = copy_of(first)
    perform(first, rail.gateway, operation, "k-1")
    perform(second, rail.gateway, operation, "k-1")
    check_done_once(rail, first, operation)
    check_done_once(rail, second, operation)
    assert second.history[-1].dest == first.history[-1].dest
    assert second.refunds == first.refunds
    assert second.capture_reference == first.capture_reference
    assert second.authorization == first.authorization


@pytest.mark.parametrize("operation", ["authorize", "capture", "void", "refund"])
def test_eight_threads_with_one_key_move_money_once(
    rail: Rail, clock: FixedClock, operation: str
) -> None:
    """Eight threads, each with a copy of the payment, start together with one key: every copy
    records the same outcome and the money moved exactly once."""
    origin = new_payment(rail, clock)
    advance(origin, rail.gateway, operation)
    copies = [copy_of(origin) for _ in range(8)]
    barrier = threading.Barrier(len(copies))
    errors: list[BaseException] = []

    def run(payment: Payment) -> None:
        barrier.wait()
        try:
            perform(payment, rail.gateway, operation, "k-1")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(c,)) for c in copies]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    for payment in copies:
        check_done_once(rail, payment, operation)
    assert len({(c.authorization, c.capture_reference, c.refunds) for c in copies}) == 1


def test_eight_threads_calling_the_gateway_with_one_key(rail: Rail, clock: FixedClock) -> None:
    """The gateway alone: eight concurrent refunds with one key refund once, same answer."""
    payment = new_payment(rail, clock)
    advance(payment, rail.gateway, "refund")
    assert payment.capture_reference is not None
    ref = payment.capture_reference
    barrier = threading.Barrier(8)
    answers: list[Any] = []

    def run() -> None:
        barrier.wait()
        answers.append(rail.gateway.refund(ref, cny("30.00"), idempotency_key="R-1"))

    threads = [threading.Thread(target=run) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(answers) == 8
    assert len(set(answers)) == 1
    assert answers[0].approved
    assert rail.merchant() == cny("90.00")
    assert conserved(rail)


# --- through OrderPayments ---------------------------------------------------------------------


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


def test_a_lost_capture_then_a_cancellation_converges(rail: Rail, clock: FixedClock) -> None:
    """The capture of 115.00 is made but its answer lost; a line is cancelled before the retry.
    pay records the capture as it happened and settle refunds the cancelled line."""
    order = make_order(clock)
    flaky = ScriptedGateway(rail.gateway).then("capture", "lose")
    payments = OrderPayments(flaky)
    payment = payments.open(order, rail.instrument)
    with pytest.raises(GatewayUnavailable):
        payments.pay(order, payment)
    order.cancel_lines({"B": 1}, reason="discontinued", actor=Actor.staff("s"))
    payments.pay(order, payment)
    assert payment.captured == cny("115.00")
    payments.settle(order, payment)
    assert payment.net == order.amount_due == rail.merchant() == cny("90.00")
    assert conserved(rail)


def test_a_lost_refund_then_more_cancelled_refunds_exactly_once(
    rail: Rail, clock: FixedClock
) -> None:
    """Refund 1 (25.00) is made but its answer lost; more is cancelled; settle records refund 1
    as it happened and refunds only the rest."""
    order = make_order(clock)
    flaky = ScriptedGateway(rail.gateway)
    payments = OrderPayments(flaky)
    payment = payments.open(order, rail.instrument)
    payments.pay(order, payment)
    order.cancel_lines({"B": 1}, reason="discontinued", actor=Actor.staff("s"))
    flaky.then("refund", "timeout")
    with pytest.raises(TimeoutError):
        payments.settle(order, payment)
    order.cancel_lines({"A": 1}, reason="one tin short", actor=Actor.staff("s"))
    records = payments.settle(order, payment)
    assert [r.trigger for r in records] == ["refund", "refund"]
    assert [str(r.amount) for r in payment.refunds] == ["25.00 CNY", "40.00 CNY"]
    assert payment.net == order.amount_due == rail.merchant() == cny("50.00")
    assert conserved(rail)


def test_a_lost_authorisation_of_a_cancelled_order_is_released(
    rail: Rail, clock: FixedClock
) -> None:
    """The hold was placed but its answer lost, then the order was cancelled: settle records the
    authorisation and voids it, so no money stays held."""
    order = make_order(clock)
    flaky = ScriptedGateway(rail.gateway).then("authorize", "lose")
    payments = OrderPayments(flaky)
    payment = payments.open(order, rail.instrument)
    with pytest.raises(GatewayUnavailable):
        payments.pay(order, payment)
    assert rail.held() == cny("115.00")
    order.cancel(reason="changed mind", actor=Actor.buyer("b-1"))
    assert [r.trigger for r in payments.settle(order, payment)] == ["authorize", "void"]
    assert payment.status is P.VOIDED
    assert rail.held() == cny("0.00")
    assert conserved(rail)


def test_settle_records_a_capture_whose_answer_was_lost(rail: Rail, clock: FixedClock) -> None:
    """Reconciling alone (no second pay) catches the payment up with a capture the gateway made."""
    order = make_order(clock)
    flaky = ScriptedGateway(rail.gateway).then("capture", "timeout")
    payments = OrderPayments(flaky)
    payment = payments.open(order, rail.instrument)
    with pytest.raises(TimeoutError):
        payments.pay(order, payment)
    assert [r.trigger for r in payments.settle(order, payment)] == ["capture"]
    assert payment.captured == rail.merchant() == cny("115.00")
    assert payment.net == order.amount_due
