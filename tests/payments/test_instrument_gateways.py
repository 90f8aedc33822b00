"""Payments with e-cash, stored-value purses and e-wallets through their gateways.

Each gateway must behave like :class:`InMemoryGateway` for a :class:`Payment`: authorise, capture
(all or part), void, refund (partly, fully, never more than captured), decline without changing
anything, and never move money twice for a retried request. Above all it must conserve value:
buyers plus merchant stay equal to what they started with, to the minor unit.

RSA keys for the e-cash mint are generated once for the module (1024-bit test keys) and PINs are
hashed with a deliberately cheap scrypt, so the file runs in a few seconds.
"""

from __future__ import annotations

import itertools
import runpy
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import pendulum
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ecservice.payments.gateways._purse as purse_module
from ecservice.clock import FixedClock
from ecservice.errors import InsufficientFunds, InvalidAmount, ValidationError
from ecservice.money import Money, sum_money
from ecservice.orders import Address, Order, OrderLine, OrderStatus
from ecservice.payments import (
    GatewayResponse,
    Instrument,
    InstrumentKind,
    OrderPayments,
    Payment,
    PaymentDeclined,
    PaymentGateway,
    PaymentStatus,
)
from ecservice.payments.ecash import (
    CoinWallet,
    Mint,
    PurePythonBlindSigner,
    contract_hash,
    generate_key,
)
from ecservice.payments.gateways import (
    AuthorizationState,
    EcashGateway,
    PurseGateway,
    WalletGateway,
)
from ecservice.payments.mondex import Network, Purse, PurseStatus, TransferResult
from ecservice.payments.wallet import EWallet, KdfParams, WalletLocked, WrongPin
from ecservice.workflow import Actor

P = PaymentStatus
SYSTEM = Actor.system("payments")
STAFF = Actor.staff("s-1")
T0 = pendulum.datetime(2026, 11, 11, 9, 0, tz="Asia/Shanghai")
KEYS: list[rsa.RSAPrivateKey] = [
    generate_key(1024, allow_weak_key_for_tests=True) for _ in range(7)
]
VALUES = ("10.00", "5.00", "1.00", "0.50", "0.10", "0.05", "0.01")
FAST_KDF = KdfParams(n=2**4)
PIN, SHOP_PIN = "2468", "9753"
KINDS = ("ecash", "purse", "wallet")
EXAMPLE = Path(__file__).parent.parent.parent / "examples" / "pay_order_with_instruments.py"
AnyGateway = EcashGateway | PurseGateway | WalletGateway


def cny(amount: str) -> Money:
    return Money(amount, "CNY")


_KEYS = itertools.count(1)


def key() -> str:
    """A fresh idempotency key, for direct gateway calls that are not retries."""
    return f"K-{next(_KEYS)}"


# --- rigs: one gateway with a rich buyer, a poor buyer and a merchant -----------------------------


@attrs.define
class Rig:
    """A gateway, two buyers (``rich`` holds 100.00 CNY, ``poor`` 5.00) and an empty merchant."""

    kind: str
    clock: FixedClock
    gateway: AnyGateway
    rich: Instrument
    poor: Instrument
    snapshot: Callable[[], object]
    extra: dict[str, Any] = attrs.field(factory=dict)

    @property
    def start(self) -> Money:
        return cny("105.00")

    def buyer(self, instrument: Instrument | None = None) -> Money:
        return self.gateway.buyer_balance((instrument or self.rich).reference, "CNY")

    def merchant(self) -> Money:
        return self.gateway.merchant_balance("CNY")

    def payment(
        self, amount: str, pid: str = "P-1", instrument: Instrument | None = None
    ) -> Payment:
        return Payment(
            id=pid,
            order_id=f"O-{pid}",
            amount=cny(amount),
            instrument=instrument or self.rich,
            clock=self.clock,
        )

    def conserved(self) -> None:
        assert self.gateway.total_value("CNY") == self.start
        assert self.buyer(self.rich) + self.buyer(self.poor) + self.merchant() == self.start
        assert self.gateway.held("CNY") <= self.gateway.total_buyer_balance("CNY")


def new_mint(clock: FixedClock) -> Mint:
    mint = Mint(clock, currency="CNY", name="test-mint")
    for value, key in zip(VALUES, KEYS, strict=True):
        mint.add_denomination(
            cny(value),
            signer=PurePythonBlindSigner(key),
            withdraw_until=T0.add(days=30),
            deposit_until=T0.add(days=60),
        )
    return mint


def coin_wallet(mint: Mint, clock: FixedClock, reserve: str, amount: str) -> CoinWallet:
    mint.credit_reserve(reserve, cny(amount))
    wallet = CoinWallet(clock, currency="CNY")
    wallet.withdraw_amount(mint, reserve, cny(amount))
    return wallet


def ecash_rig(clock: FixedClock) -> Rig:
    mint = new_mint(clock)
    wallets = {
        "cw-rich": coin_wallet(mint, clock, "rich", "100.00"),
        "cw-poor": coin_wallet(mint, clock, "poor", "5.00"),
    }
    gateway = EcashGateway(mint, wallets, "teahouse")

    def snapshot() -> object:
        return (
            [(w.balance, [w.remaining(c.public_key) for c in w.coins]) for w in wallets.values()],
            mint.deposits,
            mint.refunds,
            mint.pending_total("teahouse"),
        )

    return Rig(
        "ecash",
        clock,
        gateway,
        Instrument(InstrumentKind.ECASH, "cw-rich"),
        Instrument(InstrumentKind.ECASH, "cw-poor"),
        snapshot,
        {"mint": mint, "wallets": wallets},
    )


def purse_rig(clock: FixedClock) -> Rig:
    purses = {
        "rich": Purse("rich", balances=[cny("100.00")], clock=clock),
        "poor": Purse("poor", balances=[cny("5.00")], clock=clock),
    }
    shop = Purse("teahouse", clock=clock)
    gateway = PurseGateway(purses, shop)

    def snapshot() -> object:
        return [
            (dict(p.balances), p.next_seq, p.status, p.exception_log)
            for p in (*purses.values(), shop)
        ]

    return Rig(
        "purse",
        clock,
        gateway,
        Instrument(InstrumentKind.PURSE, "rich"),
        Instrument(InstrumentKind.PURSE, "poor"),
        snapshot,
        {"purses": purses, "shop": shop},
    )


def ewallet(owner: str, pin: str, clock: FixedClock, amount: str | None = None) -> EWallet:
    wallet = EWallet(owner, pin, clock=clock, kdf=FAST_KDF, wallet_id=f"w-{owner}")
    if amount is not None:
        wallet.credit(cny(amount), "top-up")
    return wallet


def wallet_rig(clock: FixedClock) -> Rig:
    wallets = {
        "w-rich": ewallet("rich", PIN, clock, "100.00"),
        "w-poor": ewallet("poor", PIN, clock, "5.00"),
    }
    shop = ewallet("teahouse", SHOP_PIN, clock)
    pins = {"w-rich": PIN, "w-poor": PIN}
    gateway = WalletGateway(wallets, shop, pins.__getitem__, merchant_auth=lambda: SHOP_PIN)

    def snapshot() -> object:
        return [(w.ledger, w.holds(None), w.available("CNY")) for w in (*wallets.values(), shop)]

    return Rig(
        "wallet",
        clock,
        gateway,
        Instrument(InstrumentKind.WALLET, "w-rich"),
        Instrument(InstrumentKind.WALLET, "w-poor"),
        snapshot,
        {"wallets": wallets, "shop": shop, "pins": pins},
    )


BUILDERS: dict[str, Callable[[FixedClock], Rig]] = {
    "ecash": ecash_rig,
    "purse": purse_rig,
    "wallet": wallet_rig,
}


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture(params=KINDS)
def rig(request: pytest.FixtureRequest, clock: FixedClock) -> Iterator[Rig]:
    built = BUILDERS[request.param](clock)
    built.conserved()
    yield built
    built.conserved()


def captured(rig: Rig, amount: str = "30.00", capture: str | None = None) -> Payment:
    payment = rig.payment(amount)
    payment.authorize(rig.gateway, idempotency_key=f"{payment.id}-a", actor=SYSTEM)
    take = None if capture is None else cny(capture)
    payment.capture(rig.gateway, take, idempotency_key=f"{payment.id}-c", actor=SYSTEM)
    return payment


# --- every gateway --------------------------------------------------------------------------------


def test_each_gateway_is_a_payment_gateway(rig: Rig) -> None:
    """The gateways satisfy the runtime-checkable protocol."""
    assert isinstance(rig.gateway, PaymentGateway)


def test_authorise_capture_refund_partly_then_fully(rig: Rig) -> None:
    """The whole life of a payment: value moves to the merchant and all of it comes back."""
    payment = rig.payment("30.00")
    record = payment.authorize(rig.gateway, idempotency_key=f"{payment.id}-a", actor=SYSTEM)
    assert record.dest is P.AUTHORIZED
    assert rig.gateway.held("CNY") == cny("30.00")
    assert rig.buyer() == cny("100.00")  # a hold is still the buyer's value
    rig.conserved()

    record = payment.capture(rig.gateway, idempotency_key=f"{payment.id}-c", actor=SYSTEM)
    assert record.dest is P.CAPTURED
    assert rig.gateway.held("CNY") == cny("0.00")
    assert (rig.buyer(), rig.merchant()) == (cny("70.00"), cny("30.00"))
    rig.conserved()

    record = payment.refund(
        rig.gateway, cny("12.34"), reason="dented", idempotency_key=f"{payment.id}-r1", actor=SYSTEM
    )
    assert record.dest is P.PARTIALLY_REFUNDED
    assert (rig.buyer(), rig.merchant()) == (cny("82.34"), cny("17.66"))
    rig.conserved()

    record = payment.refund(
        rig.gateway,
        cny("17.66"),
        reason="returned",
        idempotency_key=f"{payment.id}-r2",
        actor=SYSTEM,
    )
    assert record.dest is P.REFUNDED
    assert (rig.buyer(), rig.merchant()) == (cny("100.00"), cny("0.00"))
    assert payment.capture_reference is not None
    assert rig.gateway.refunded_amount(payment.capture_reference) == cny("30.00")


def test_a_partial_capture_takes_only_what_is_needed(rig: Rig) -> None:
    """Capturing less than authorised leaves the rest with the buyer, spendable again."""
    payment = captured(rig, "30.00", capture="21.99")
    assert (rig.buyer(), rig.merchant()) == (cny("78.01"), cny("21.99"))
    assert rig.gateway.held("CNY") == cny("0.00")
    assert payment.refundable == cny("21.99")
    assert payment.capture_reference is not None
    assert rig.gateway.captured_amount(payment.capture_reference) == cny("21.99")
    again = rig.payment("78.01", pid="P-2")
    again.authorize(rig.gateway, idempotency_key=f"{again.id}-a", actor=SYSTEM)
    again.capture(rig.gateway, idempotency_key=f"{again.id}-c", actor=SYSTEM)
    assert (rig.buyer(), rig.merchant()) == (cny("0.00"), cny("100.00"))


def test_a_void_releases_everything(rig: Rig) -> None:
    """Void gives the whole authorisation back; the value can then pay another order."""
    before = rig.snapshot() if rig.kind != "wallet" else None
    payment = rig.payment("60.00")
    payment.authorize(rig.gateway, idempotency_key=f"{payment.id}-a", actor=SYSTEM)
    payment.void(rig.gateway, idempotency_key=f"{payment.id}-v", actor=SYSTEM)
    assert payment.status is P.VOIDED
    assert rig.gateway.held("CNY") == cny("0.00")
    assert (rig.buyer(), rig.merchant()) == (cny("100.00"), cny("0.00"))
    if before is not None:  # e-cash and purses: not a trace left (a wallet's ledger keeps one)
        assert rig.snapshot() == before
    assert payment.authorization is not None
    assert rig.gateway.authorization_state(payment.authorization) is AuthorizationState.VOIDED
    full = rig.payment("100.00", pid="P-2")
    full.authorize(rig.gateway, idempotency_key=f"{full.id}-a", actor=SYSTEM)
    assert full.status is P.AUTHORIZED


def test_a_declined_authorisation_changes_nothing(rig: Rig) -> None:
    """Not enough value: the payment fails with the reason and no instrument changes."""
    before = rig.snapshot()
    payment = rig.payment("5.01", instrument=rig.poor)
    payment.authorize(rig.gateway, idempotency_key=f"{payment.id}-a", actor=SYSTEM)
    assert payment.status is P.FAILED
    assert payment.failure is not None
    assert "insufficient" in payment.failure.lower()
    assert rig.snapshot() == before
    assert rig.gateway.held("CNY") == cny("0.00")
    exact = rig.payment("5.00", pid="P-2", instrument=rig.poor)
    exact.authorize(rig.gateway, idempotency_key=f"{exact.id}-a", actor=SYSTEM)
    assert exact.status is P.AUTHORIZED


def test_open_authorisations_cannot_reserve_more_than_the_buyer_holds(rig: Rig) -> None:
    """Holds add up: a second authorisation sees only what the first left available."""
    first = rig.payment("70.00")
    first.authorize(rig.gateway, idempotency_key=f"{first.id}-a", actor=SYSTEM)
    before = rig.snapshot()
    second = rig.payment("30.01", pid="P-2")
    second.authorize(rig.gateway, idempotency_key=f"{second.id}-a", actor=SYSTEM)
    assert second.status is P.FAILED
    assert rig.snapshot() == before
    third = rig.payment("30.00", pid="P-3")
    third.authorize(rig.gateway, idempotency_key=f"{third.id}-a", actor=SYSTEM)
    assert third.status is P.AUTHORIZED
    assert rig.gateway.held("CNY") == cny("100.00")
    third.capture(rig.gateway, idempotency_key=f"{third.id}-c", actor=SYSTEM)
    first.capture(rig.gateway, cny("69.99"), idempotency_key=f"{first.id}-c", actor=SYSTEM)
    assert (rig.buyer(), rig.merchant()) == (cny("0.01"), cny("99.99"))


def test_refunds_never_exceed_the_capture(rig: Rig) -> None:
    """Payment refuses before calling the gateway; the gateway refuses on its own too."""
    payment = captured(rig, "30.00", capture="25.00")
    payment.refund(
        rig.gateway, cny("20.00"), reason="r", idempotency_key=f"{payment.id}-r1", actor=SYSTEM
    )
    before, calls = rig.snapshot(), list(rig.gateway.calls)
    with pytest.raises(InsufficientFunds, match=r"only 5\.00 CNY"):
        payment.refund(
            rig.gateway, cny("5.01"), reason="r", idempotency_key=f"{payment.id}-r2", actor=SYSTEM
        )
    assert rig.gateway.calls == calls
    assert payment.capture_reference is not None
    response = rig.gateway.refund(payment.capture_reference, cny("5.01"), idempotency_key=key())
    assert not response.approved
    assert "exceeds" in response.message
    for bad in (cny("0.00"), cny("-1.00"), Money("1.00", "USD")):
        assert not rig.gateway.refund(
            payment.capture_reference, bad, idempotency_key=key()
        ).approved
    assert rig.snapshot() == before
    assert (rig.buyer(), rig.merchant()) == (cny("95.00"), cny("5.00"))


def test_retries_with_the_same_key_do_not_move_money_twice(rig: Rig) -> None:
    """Every trigger repeated with its idempotency key returns the first record, calls nothing."""
    payment = rig.payment("30.00")
    first = payment.authorize(rig.gateway, idempotency_key=f"{payment.id}-a", actor=SYSTEM)
    assert payment.authorize(rig.gateway, idempotency_key=f"{payment.id}-a", actor=SYSTEM) == first
    assert rig.gateway.held("CNY") == cny("30.00")
    first = payment.capture(rig.gateway, idempotency_key=f"{payment.id}-c", actor=SYSTEM)
    assert payment.capture(rig.gateway, idempotency_key=f"{payment.id}-c", actor=SYSTEM) == first
    first = payment.refund(
        rig.gateway, cny("10.00"), reason="r", idempotency_key=f"{payment.id}-r", actor=SYSTEM
    )
    calls, snapshot = list(rig.gateway.calls), rig.snapshot()
    again = payment.refund(
        rig.gateway, cny("10.00"), reason="r", idempotency_key=f"{payment.id}-r", actor=SYSTEM
    )
    assert again == first
    assert (
        payment.authorize(rig.gateway, idempotency_key=f"{payment.id}-a", actor=SYSTEM).trigger
        == "authorize"
    )
    assert (
        payment.capture(rig.gateway, idempotency_key=f"{payment.id}-c", actor=SYSTEM).trigger
        == "capture"
    )
    assert rig.gateway.calls == calls
    assert rig.snapshot() == snapshot
    assert (rig.buyer(), rig.merchant()) == (cny("80.00"), cny("20.00"))
    assert [op for op, _ in calls] == ["authorize", "capture", "refund"]


def test_the_gateway_itself_replays_a_capture_or_void(rig: Rig) -> None:
    """A capture or void sent twice (a crash between gateway and payment) moves nothing twice."""
    gw = rig.gateway
    auth = gw.authorize(rig.rich, cny("30.00"), reference="P-1", idempotency_key=key())
    cap = gw.capture(auth.reference, cny("30.00"), idempotency_key=key())
    snapshot = rig.snapshot()
    again = gw.capture(auth.reference, cny("30.00"), idempotency_key=key())
    assert (again.approved, again.reference) == (True, cap.reference)
    conflicting = gw.capture(auth.reference, cny("20.00"), idempotency_key=key())
    assert not conflicting.approved
    assert "already captured" in conflicting.message
    assert not gw.void(auth.reference, idempotency_key=key()).approved
    assert rig.snapshot() == snapshot
    other = gw.authorize(rig.rich, cny("10.00"), reference="P-2", idempotency_key=key())
    assert gw.void(other.reference, idempotency_key=key()).approved
    voided = rig.snapshot()
    assert gw.void(other.reference, idempotency_key=key()).approved
    assert not gw.capture(other.reference, cny("10.00"), idempotency_key=key()).approved
    assert rig.snapshot() == voided
    assert (rig.buyer(), rig.merchant()) == (cny("70.00"), cny("30.00"))


def test_bad_requests(rig: Rig) -> None:
    """Unknown references raise; wrong kinds, unknown instruments and misfit amounts decline."""
    gw = rig.gateway
    with pytest.raises(ValidationError, match="no authorisation"):
        gw.capture("nope", cny("1.00"), idempotency_key=key())
    with pytest.raises(ValidationError, match="no capture"):
        gw.refund("nope", cny("1.00"), idempotency_key=key())
    with pytest.raises(InvalidAmount):
        gw.authorize(rig.rich, cny("0.00"), reference="P-1", idempotency_key=key())
    before = rig.snapshot()
    card = Instrument(InstrumentKind.CARD, "tok_visa")
    assert (
        "takes" in gw.authorize(card, cny("1.00"), reference="P-1", idempotency_key=key()).message
    )
    unknown = Instrument(rig.rich.kind, "nobody")
    assert (
        "unknown"
        in gw.authorize(unknown, cny("1.00"), reference="P-1", idempotency_key=key()).message
    )
    auth = gw.authorize(rig.rich, cny("10.00"), reference="P-1", idempotency_key=key())
    for amount in (cny("10.01"), Money("1.00", "USD"), cny("-1.00")):
        assert not gw.capture(auth.reference, amount, idempotency_key=key()).approved
    assert gw.void(auth.reference, idempotency_key=key()).approved
    if rig.kind != "wallet":
        assert rig.snapshot() == before
    with pytest.raises(ValidationError):
        gw.buyer_balance("nobody", "CNY")


# --- orders ---------------------------------------------------------------------------------------


def make_order(clock: FixedClock, tea: str = "30.00") -> Order:
    return Order(
        id="O-1",
        buyer_id="b-1",
        lines=[
            OrderLine(sku="A", name="tea", unit_price=cny(tea), quantity=2),
            OrderLine(sku="B", name="cup", unit_price=cny("15.00"), quantity=1),
        ],
        address=Address(recipient="r", phone="13800138000", province="p", city="c", street="s"),
        shipping_fee=cny("10.00"),
        created_at=clock.now(),
        clock=clock,
    )


def test_an_out_of_stock_cancellation_refunds_everything(rig: Rig, clock: FixedClock) -> None:
    """Pay an order (it enters processing), mark it out of stock, cancel it: all comes back."""
    order = make_order(clock)
    payments = OrderPayments(rig.gateway)
    payment = payments.open(order, rig.rich)
    assert payments.pay(order, payment).dest is P.CAPTURED
    assert order.history[-1].dest is OrderStatus.PROCESSING
    assert (rig.buyer(), rig.merchant()) == (cny("15.00"), cny("85.00"))
    assert rig.merchant() == order.amount_due
    order.mark_out_of_stock(["B"], actor=STAFF)
    payments.cancel(order, payment, reason="cannot restock", actor=STAFF)
    assert order.status is OrderStatus.CANCELLED
    assert payment.status is P.REFUNDED
    assert payment.refunded == order.cancelled_value
    assert (rig.buyer(), rig.merchant()) == (cny("100.00"), cny("0.00"))


def test_an_order_the_buyer_cannot_afford_waits(rig: Rig, clock: FixedClock) -> None:
    """An order of 115.00 is more than the rich buyer holds: declined, the order waits."""
    order = make_order(clock, tea="45.00")
    payments = OrderPayments(rig.gateway)
    payment = payments.open(order, rig.rich)
    payments.pay(order, payment)
    assert payment.status is P.FAILED
    assert order.status is OrderStatus.PENDING_CONFIRMATION
    assert (rig.buyer(), rig.merchant()) == (cny("100.00"), cny("0.00"))


# --- conservation, property-based -----------------------------------------------------------------

ORDERS = st.lists(
    st.tuples(
        st.integers(1, 6000),  # amount in fen
        st.one_of(st.none(), st.integers(1, 100), st.just(100)),  # void, or capture this %
        st.lists(st.integers(1, 4000), max_size=3),  # refunds asked for, in fen
    ),
    min_size=1,
    max_size=6,
)


def run_orders(rig: Rig, orders: list[tuple[int, int | None, list[int]]]) -> None:
    """Authorise every order, then capture or void each, then refund; check after each step."""

    def check() -> None:
        rig.conserved()
        kept = sum_money((p.net for p in payments), "CNY")
        assert rig.merchant() == kept
        held = sum_money((p.amount for p in payments if p.status is P.AUTHORIZED), "CNY")
        assert rig.gateway.held("CNY") == held

    payments: list[Payment] = []
    for i, (fen, _, _) in enumerate(orders):
        payment = rig.payment(str(Money.from_minor(fen, "CNY").amount), pid=f"P-{i}")
        payment.authorize(rig.gateway, idempotency_key=f"{payment.id}-a", actor=SYSTEM)
        payments.append(payment)
        check()
    for payment, (_, percent, _) in zip(payments, orders, strict=True):
        if payment.status is not P.AUTHORIZED:
            continue
        if percent is None:
            payment.void(rig.gateway, idempotency_key=f"{payment.id}-v", actor=SYSTEM)
        else:
            fen = max(1, payment.amount.minor_units * percent // 100)
            payment.capture(
                rig.gateway,
                Money.from_minor(fen, "CNY"),
                idempotency_key=f"{payment.id}-c",
                actor=SYSTEM,
            )
        check()
    for payment, (_, _, refunds) in zip(payments, orders, strict=True):
        for j, fen in enumerate(refunds):
            if payment.status not in (P.CAPTURED, P.PARTIALLY_REFUNDED):
                break
            amount = min(Money.from_minor(fen, "CNY"), payment.refundable)
            payment.refund(
                rig.gateway, amount, reason="r", idempotency_key=f"{payment.id}-r{j}", actor=SYSTEM
            )
            check()
    total_kept = sum_money((p.net for p in payments), "CNY")
    assert rig.buyer(rig.rich) == cny("100.00") - total_kept


PROPERTY = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(orders=ORDERS)
def test_ecash_conserves_value(orders: list[tuple[int, int | None, list[int]]]) -> None:
    """E-cash: buyers + merchant (at the mint) never change, whatever the orders and refunds."""
    rig = ecash_rig(FixedClock(T0))
    run_orders(rig, orders)
    mint: Mint = rig.extra["mint"]
    for wallet in rig.extra["wallets"].values():  # the wallets stay in step with the mint
        for coin in wallet.coins:
            assert mint.remaining_value(coin) == wallet.remaining(coin.public_key)


@PROPERTY
@given(orders=ORDERS)
def test_purses_conserve_value(orders: list[tuple[int, int | None, list[int]]]) -> None:
    """Purses: buyers + merchant purse never change, whatever the orders and refunds."""
    rig = purse_rig(FixedClock(T0))
    run_orders(rig, orders)
    assert all(p.status is PurseStatus.IDLE for p in rig.extra["purses"].values())


@PROPERTY
@given(orders=ORDERS)
def test_ewallets_conserve_value(orders: list[tuple[int, int | None, list[int]]]) -> None:
    """E-wallets: buyers (available + held) + merchant wallet never change."""
    rig = wallet_rig(FixedClock(T0))
    run_orders(rig, orders)
    rich: EWallet = rig.extra["wallets"]["w-rich"]
    assert rich.held("CNY") == cny("0.00")


# --- e-cash specifics -----------------------------------------------------------------------------


@pytest.fixture
def ecash(clock: FixedClock) -> Rig:
    return ecash_rig(clock)


def test_ecash_authorisation_prepares_spends_and_moves_nothing(ecash: Rig) -> None:
    """The coins sign spends for the payment's contract; the mint sees nothing yet."""
    gw = ecash.gateway
    assert isinstance(gw, EcashGateway)
    mint: Mint = ecash.extra["mint"]
    before = ecash.snapshot()
    payment = ecash.payment("12.34")
    payment.authorize(gw, idempotency_key=f"{payment.id}-a", actor=SYSTEM)
    assert payment.authorization is not None
    spends = gw.prepared_spends(payment.authorization)
    assert sum_money((s.amount for s in spends), "CNY") == cny("12.34")
    assert {s.merchant for s in spends} == {"teahouse"}
    assert len({s.contract_hash for s in spends}) == 1
    for spend in spends:
        spend.verify(mint.denomination(spend.coin.denomination_id))
    assert ecash.snapshot() == before
    payment.void(gw, idempotency_key=f"{payment.id}-v", actor=SYSTEM)
    assert gw.prepared_spends(payment.authorization) == ()
    assert ecash.snapshot() == before


def test_ecash_a_full_capture_deposits_the_prepared_spends(ecash: Rig) -> None:
    """For an unchanged wallet the wallet pays with the prepared coins and amounts (each spend
    with its own nonce, so the signatures differ)."""
    gw = ecash.gateway
    assert isinstance(gw, EcashGateway)
    payment = ecash.payment("12.34")
    payment.authorize(gw, idempotency_key=f"{payment.id}-a", actor=SYSTEM)
    assert payment.authorization is not None
    prepared = gw.prepared_spends(payment.authorization)
    payment.capture(gw, idempotency_key=f"{payment.id}-c", actor=SYSTEM)
    assert payment.capture_reference is not None
    receipts = gw.deposits(payment.capture_reference)
    assert [(r.coin_public_key, r.amount) for r in receipts] == [
        (s.coin.public_key, s.amount) for s in prepared
    ]


def test_ecash_capture_deposits_exactly_the_captured_amount(ecash: Rig) -> None:
    """Deposits add up to the capture; what was not captured stays on the buyer's coins."""
    gw = ecash.gateway
    assert isinstance(gw, EcashGateway)
    mint: Mint = ecash.extra["mint"]
    payment = captured(ecash, "30.00", capture="17.77")
    assert payment.capture_reference is not None
    receipts = gw.deposits(payment.capture_reference)
    assert sum_money((r.amount for r in receipts), "CNY") == cny("17.77")
    assert mint.pending_total("teahouse") == cny("17.77")
    wallet: CoinWallet = ecash.extra["wallets"]["cw-rich"]
    assert wallet.balance == cny("82.23")
    assert sum_money((mint.remaining_value(c) for c in wallet.coins), "CNY") == cny("82.23")


def test_ecash_refunds_go_back_to_the_coins(ecash: Rig) -> None:
    """A refund is a mint refund applied to the buyer's wallet: the coins can pay again."""
    payment = captured(ecash, "30.00")
    payment.refund(
        ecash.gateway, cny("30.00"), reason="r", idempotency_key=f"{payment.id}-r", actor=SYSTEM
    )
    mint: Mint = ecash.extra["mint"]
    assert sum_money((r.amount for r in mint.refunds), "CNY") == cny("30.00")
    again = ecash.payment("100.00", pid="P-2")
    again.authorize(ecash.gateway, idempotency_key=f"{again.id}-a", actor=SYSTEM)
    again.capture(ecash.gateway, idempotency_key=f"{again.id}-c", actor=SYSTEM)
    assert (ecash.buyer(), ecash.merchant()) == (cny("0.00"), cny("100.00"))


def test_ecash_the_same_order_paid_again_after_a_full_refund_is_credited(ecash: Rig) -> None:
    """Pay an order, refund all of it, pay the same order again: the mint credits the merchant
    the second time too (the contract names the authorisation, and every spend has a nonce)."""
    gw = ecash.gateway
    mint = ecash.extra["mint"]
    for attempt in range(1, 4):
        auth = gw.authorize(ecash.rich, cny("30.00"), reference="P-1", idempotency_key=key())
        cap = gw.capture(auth.reference, cny("30.00"), idempotency_key=key())
        assert cap.approved
        assert (ecash.buyer(), ecash.merchant()) == (cny("70.00"), cny("30.00"))
        assert mint.pending_total("teahouse") == cny("30.00")
        assert len(mint.deposits) >= attempt
        if attempt < 3:
            assert gw.refund(cap.reference, cny("30.00"), idempotency_key=key()).approved
            assert (ecash.buyer(), ecash.merchant()) == (cny("100.00"), cny("0.00"))
    ecash.conserved()


def test_ecash_no_refund_after_the_merchant_is_paid_out(ecash: Rig) -> None:
    """Once the mint paid the merchant out, a refund is declined and nothing changes."""
    gw = ecash.gateway
    assert isinstance(gw, EcashGateway)
    payment = captured(ecash, "30.00")
    payment.refund(gw, cny("5.00"), reason="r", idempotency_key=f"{payment.id}-r1", actor=SYSTEM)
    assert gw.payout() == cny("25.00")
    assert gw.merchant_paid_out("CNY") == cny("25.00")
    assert gw.merchant_pending("CNY") == cny("0.00")
    before = ecash.snapshot()
    with pytest.raises(PaymentDeclined, match="already paid merchant 'teahouse' out"):
        payment.refund(
            gw, cny("1.00"), reason="r", idempotency_key=f"{payment.id}-r2", actor=SYSTEM
        )
    assert payment.status is P.PARTIALLY_REFUNDED
    assert ecash.snapshot() == before
    assert (ecash.buyer(), ecash.merchant()) == (cny("75.00"), cny("25.00"))


def test_ecash_no_refund_after_the_coins_deposit_window(ecash: Rig) -> None:
    """Past the coins' deposit window the mint would leave refunded value unspendable: the
    gateway declines the refund before anything moves; a second earlier it refunds."""
    gw = ecash.gateway
    payment = captured(ecash, "30.00")
    ecash.clock.set(T0.add(days=60).subtract(seconds=1))
    payment.refund(gw, cny("10.00"), reason="r", idempotency_key=f"{payment.id}-r1", actor=SYSTEM)
    ecash.clock.set(T0.add(days=60))
    before = ecash.snapshot()
    with pytest.raises(PaymentDeclined, match="can no longer be refunded"):
        payment.refund(
            gw, cny("20.00"), reason="r", idempotency_key=f"{payment.id}-r2", actor=SYSTEM
        )
    assert payment.status is P.PARTIALLY_REFUNDED
    assert payment.refunded == cny("10.00")
    assert ecash.snapshot() == before
    assert ecash.merchant() == cny("20.00")  # the buyer's coins have expired meanwhile


def test_ecash_coins_spent_elsewhere_decline_the_capture(ecash: Rig) -> None:
    """E-cash is a bearer instrument: spent elsewhere after the authorisation, the capture fails."""
    gw = ecash.gateway
    mint: Mint = ecash.extra["mint"]
    wallet: CoinWallet = ecash.extra["wallets"]["cw-rich"]
    payment = ecash.payment("60.00")
    payment.authorize(gw, idempotency_key=f"{payment.id}-a", actor=SYSTEM)
    for spend in wallet.pay(cny("50.00"), merchant="bookshop", contract=contract_hash("elsewhere")):
        mint.deposit(spend)
    before = ecash.snapshot()
    with pytest.raises(PaymentDeclined, match="spent elsewhere"):
        payment.capture(gw, idempotency_key=f"{payment.id}-c", actor=SYSTEM)
    assert payment.status is P.AUTHORIZED
    assert ecash.snapshot() == before
    payment.void(gw, idempotency_key=f"{payment.id}-v", actor=SYSTEM)
    assert wallet.balance == cny("50.00")


def test_ecash_a_wallet_out_of_step_with_the_mint_is_declined(ecash: Rig) -> None:
    """A coin spent behind the wallet's back: the gateway declines rather than risk a failure."""
    mint: Mint = ecash.extra["mint"]
    wallet: CoinWallet = ecash.extra["wallets"]["cw-poor"]
    coin = wallet.coins[0]
    left = wallet.remaining(coin.public_key)
    mint.deposit(
        wallet.wallet_coin(coin.public_key).spend(
            left, merchant="bookshop", contract=contract_hash("behind its back")
        )
    )
    payment = ecash.payment("1.00", instrument=ecash.poor)
    payment.authorize(ecash.gateway, idempotency_key=f"{payment.id}-a", actor=SYSTEM)
    assert payment.status is P.FAILED
    assert payment.failure is not None
    assert "spent elsewhere" in payment.failure


def test_ecash_coins_of_another_mint_or_currency_are_declined(clock: FixedClock) -> None:
    """The wallet must hold only the gateway mint's coins, in its currency."""
    mint = new_mint(clock)
    other = Mint(clock, currency="CNY", name="other-mint")
    other.add_denomination(
        cny("1.00"),
        signer=PurePythonBlindSigner(generate_key(1024, allow_weak_key_for_tests=True)),
        withdraw_until=T0.add(days=30),
        deposit_until=T0.add(days=60),
    )
    foreign = coin_wallet(other, clock, "x", "1.00")
    usd = CoinWallet(clock, currency="USD")
    gw = EcashGateway(mint, {"foreign": foreign, "usd": usd}, "teahouse")
    answer = gw.authorize(
        Instrument(InstrumentKind.ECASH, "foreign"),
        cny("1.00"),
        reference="P",
        idempotency_key=key(),
    )
    assert not answer.approved
    assert "another mint" in answer.message
    answer = gw.authorize(
        Instrument(InstrumentKind.ECASH, "usd"), cny("1.00"), reference="P", idempotency_key=key()
    )
    assert not answer.approved
    answer = gw.authorize(
        Instrument(InstrumentKind.ECASH, "usd"),
        Money("1.00", "USD"),
        reference="P",
        idempotency_key=key(),
    )
    assert not answer.approved
    assert gw.buyer_balance("usd", "CNY") == cny("0.00")
    assert gw.merchant_balance("USD") == Money("0.00", "USD")
    with pytest.raises(ValidationError):
        EcashGateway(mint, {}, " ")


@pytest.mark.parametrize("merchant", ["teahouse ", " teahouse", "tea\nhouse", "x" * 201, 7])
def test_an_ecash_gateway_refuses_a_merchant_id_no_spend_could_name(
    clock: FixedClock, merchant: object
) -> None:
    """The gateway checks its merchant id by the rule spends are signed under, when it is built,
    instead of failing later inside ``authorize``."""
    with pytest.raises(ValidationError, match="merchant id"):
        EcashGateway(new_mint(clock), {}, merchant)  # type: ignore[arg-type]


# --- purse specifics ------------------------------------------------------------------------------


@pytest.fixture
def purses(clock: FixedClock) -> Rig:
    return purse_rig(clock)


def test_purse_capture_declines_when_the_purse_was_spent_elsewhere(purses: Rig) -> None:
    """There is no hold in Mondex: value spent after authorising makes the capture decline."""
    from ecservice.payments.mondex import transfer

    payment = purses.payment("60.00")
    payment.authorize(purses.gateway, idempotency_key=f"{payment.id}-a", actor=SYSTEM)
    transfer(purses.extra["purses"]["rich"], purses.extra["purses"]["poor"], cny("50.00"))
    before = purses.snapshot()
    with pytest.raises(PaymentDeclined, match=r"insufficient|cannot pay"):
        payment.capture(purses.gateway, idempotency_key=f"{payment.id}-c", actor=SYSTEM)
    assert purses.snapshot() == before


def test_purse_refund_declines_when_the_merchant_purse_is_short(purses: Rig) -> None:
    """The refund is a transfer from the merchant's purse: it needs the value."""
    from ecservice.payments.mondex import transfer

    payment = captured(purses, "30.00")
    transfer(purses.extra["shop"], purses.extra["purses"]["poor"], cny("20.00"))
    with pytest.raises(PaymentDeclined, match="refund transfer refused"):
        payment.refund(
            purses.gateway,
            cny("10.01"),
            reason="r",
            idempotency_key=f"{payment.id}-r",
            actor=SYSTEM,
        )
    payment.refund(
        purses.gateway, cny("10.00"), reason="r", idempotency_key=f"{payment.id}-r2", actor=SYSTEM
    )
    assert purses.buyer() == cny("80.00")


def test_purse_a_transfer_that_stops_part_way_is_declined_and_logged(
    purses: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the protocol stopped after the debit, both purses log it for the archive."""
    gw = purses.gateway
    assert isinstance(gw, PurseGateway)

    def lossy(payer: Purse, payee: Purse, value: Money) -> TransferResult:
        net = Network([payer, payee])
        details = net.start_transfer(payer.id, payee.id, value)
        outcomes = (net.deliver(),)  # the payer debits and sends Val ...
        net.drop()  # ... which is lost
        return TransferResult(details, outcomes)

    payment = purses.payment("30.00")
    payment.authorize(gw, idempotency_key=f"{payment.id}-a", actor=SYSTEM)
    monkeypatch.setattr(purse_module, "transfer", lossy)
    with pytest.raises(PaymentDeclined, match="in limbo"):
        payment.capture(gw, idempotency_key=f"{payment.id}-c", actor=SYSTEM)
    rich, shop = purses.extra["purses"]["rich"], purses.extra["shop"]
    assert rich.status is shop.status is PurseStatus.IDLE
    assert len(rich.exception_log) == len(shop.exception_log) == 1
    assert gw.in_limbo == (rich.exception_log[0],)
    assert rich.balance("CNY") + shop.balance("CNY") == cny("70.00")


def test_purse_a_transfer_aborted_before_the_debit_is_declined(
    purses: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing debited: declined, nothing moved, the purses are idle again."""
    gw = purses.gateway

    def stalled(payer: Purse, payee: Purse, value: Money) -> TransferResult:
        net = Network([payer, payee])
        details = net.start_transfer(payer.id, payee.id, value)
        return TransferResult(details, ())

    payment = purses.payment("30.00")
    payment.authorize(gw, idempotency_key=f"{payment.id}-a", actor=SYSTEM)
    monkeypatch.setattr(purse_module, "transfer", stalled)
    with pytest.raises(PaymentDeclined, match="before any value moved"):
        payment.capture(gw, idempotency_key=f"{payment.id}-c", actor=SYSTEM)
    assert purses.buyer() == cny("100.00")
    assert purses.extra["purses"]["rich"].status is PurseStatus.IDLE


def test_purse_the_merchant_cannot_pay_itself(purses: Rig) -> None:
    """The merchant's purse among the buyers is declined."""
    shop = purses.extra["shop"]
    gw = PurseGateway({"teahouse": shop}, shop)
    answer = gw.authorize(
        Instrument(InstrumentKind.PURSE, "teahouse"),
        cny("1.00"),
        reference="P",
        idempotency_key=key(),
    )
    assert not answer.approved
    with pytest.raises(ValidationError):
        PurseGateway({}, "teahouse")  # type: ignore[arg-type]


# --- e-wallet specifics ---------------------------------------------------------------------------


@pytest.fixture
def wallets(clock: FixedClock) -> Rig:
    return wallet_rig(clock)


def test_wallet_authorisation_places_a_real_hold(wallets: Rig) -> None:
    """The hold is in the buyer's wallet: available drops, balance does not."""
    gw = wallets.gateway
    assert isinstance(gw, WalletGateway)
    rich: EWallet = wallets.extra["wallets"]["w-rich"]
    payment = wallets.payment("30.00")
    payment.authorize(gw, idempotency_key=f"{payment.id}-a", actor=SYSTEM)
    assert payment.authorization is not None
    hold = rich.hold(gw.hold_of(payment.authorization))
    assert hold.amount == cny("30.00")
    assert (rich.available("CNY"), rich.held("CNY")) == (cny("70.00"), cny("30.00"))
    payment.capture(gw, cny("25.00"), idempotency_key=f"{payment.id}-c", actor=SYSTEM)
    assert (rich.available("CNY"), rich.held("CNY")) == (cny("75.00"), cny("0.00"))
    assert wallets.extra["shop"].balance("CNY") == cny("25.00")


def test_wallet_a_wrong_pin_declines_and_counts(wallets: Rig) -> None:
    """The buyer's confirmation is required: a wrong PIN declines (and counts to the lock-out)."""
    rich: EWallet = wallets.extra["wallets"]["w-rich"]
    wallets.extra["pins"]["w-rich"] = "0000"
    payment = wallets.payment("10.00")
    payment.authorize(wallets.gateway, idempotency_key=f"{payment.id}-a", actor=SYSTEM)
    assert payment.status is P.FAILED
    assert payment.failure is not None
    assert payment.failure.startswith("wrong PIN")
    assert rich.failed_attempts == 1
    assert rich.balance("CNY") == rich.available("CNY") == cny("100.00")
    for _ in range(4):
        with pytest.raises((WrongPin, WalletLocked)):
            rich.verify_pin("0000")
    wallets.extra["pins"]["w-rich"] = PIN
    locked = wallets.payment("10.00", pid="P-2")
    locked.authorize(wallets.gateway, idempotency_key=f"{locked.id}-a", actor=SYSTEM)
    assert locked.status is P.FAILED
    assert locked.failure is not None
    assert "locked" in locked.failure


def test_wallet_a_session_confirms_and_the_shop_may_refuse(clock: FixedClock) -> None:
    """``auth_for`` may return an open session, or raise to decline."""
    buyer = ewallet("b", PIN, clock, "50.00")
    shop = ewallet("shop", SHOP_PIN, clock)
    session = buyer.open_session(PIN)

    def auth_for(wallet_id: str) -> Any:
        if wallet_id != buyer.wallet_id:
            raise ValidationError("the buyer did not confirm")
        return session

    gw = WalletGateway({"w-b": buyer, "w-x": buyer}, shop, auth_for, merchant_auth=lambda: "x")
    ok = gw.authorize(
        Instrument(InstrumentKind.WALLET, "w-b"),
        cny("20.00"),
        reference="P-1",
        idempotency_key=key(),
    )
    assert ok.approved
    refused = gw.authorize(
        Instrument(InstrumentKind.WALLET, "w-x"),
        cny("1.00"),
        reference="P-2",
        idempotency_key=key(),
    )
    assert (refused.approved, refused.message) == (False, "the buyer did not confirm")
    cap = gw.capture(ok.reference, cny("20.00"), idempotency_key=key())
    before = (buyer.ledger, shop.ledger)
    # the merchant's PIN is wrong
    answer = gw.refund(cap.reference, cny("1.00"), idempotency_key=key())
    assert not answer.approved
    assert "merchant's wallet cannot pay" in answer.message
    assert (buyer.ledger, shop.ledger) == before
    own = WalletGateway({"w-shop": shop}, shop, auth_for, merchant_auth=lambda: SHOP_PIN)
    assert not own.authorize(
        Instrument(InstrumentKind.WALLET, "w-shop"),
        cny("1.00"),
        reference="P",
        idempotency_key=key(),
    ).approved


def test_wallet_a_card_shaped_payment_id_stays_out_of_the_ledgers(wallets: Rig) -> None:
    """An all-digit payment id that passes the Luhn check would be refused by the wallets: the
    gateway writes only its own operation ids then, and the payment goes through."""
    gw = wallets.gateway
    luhn_id = "4111111111111111"
    auth = gw.authorize(wallets.rich, cny("10.00"), reference=luhn_id, idempotency_key=key())
    assert auth.approved
    cap = gw.capture(auth.reference, cny("10.00"), idempotency_key=key())
    assert gw.refund(cap.reference, cny("4.00"), idempotency_key=key()).approved
    shop, buyer = wallets.extra["shop"], wallets.extra["wallets"]["w-rich"]
    references = [e.reference for w in (shop, buyer) for e in w.ledger]
    assert not any(luhn_id in r for r in references)
    assert auth.reference in references
    ordinary = gw.authorize(wallets.rich, cny("1.00"), reference="O-17", idempotency_key=key())
    assert f"O-17 {ordinary.reference}" in [e.reference for e in buyer.ledger]


def test_wallet_a_hold_settled_behind_the_gateway_declines(wallets: Rig) -> None:
    """If someone released the hold directly, the capture declines and nothing moves."""
    gw = wallets.gateway
    assert isinstance(gw, WalletGateway)
    rich: EWallet = wallets.extra["wallets"]["w-rich"]
    payment = wallets.payment("30.00")
    payment.authorize(gw, idempotency_key=f"{payment.id}-a", actor=SYSTEM)
    assert payment.authorization is not None
    rich.release(gw.hold_of(payment.authorization))
    with pytest.raises(PaymentDeclined, match="already settled"):
        payment.capture(gw, idempotency_key=f"{payment.id}-c", actor=SYSTEM)
    assert payment.void(gw, idempotency_key=f"{payment.id}-v", actor=SYSTEM).trigger == "void"
    assert (wallets.buyer(), wallets.merchant()) == (cny("100.00"), cny("0.00"))


# --- packaging and the example --------------------------------------------------------------------


def test_the_module_imports_without_cryptography() -> None:
    """The gateways can be re-exported from ``ecservice.payments`` without the crypto extra."""
    code = (
        "import sys; sys.modules['cryptography'] = None\n"
        "from ecservice.payments import EcashGateway, PurseGateway, WalletGateway\n"
        "assert 'ecservice.payments.ecash' not in sys.modules\n"
        "assert 'ecservice.payments.wallet' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """The example pays four orders, cancels them, and shows nothing was created or lost."""
    with pytest.raises(SystemExit) as exited:
        runpy.run_path(str(EXAMPLE), run_name="__main__")
    assert exited.value.code == 0
    out = capsys.readouterr().out
    for kind in ("card", "e-cash", "purse", "e-wallet"):
        assert kind in out
    assert "nothing created, nothing lost" in out


def test_gateway_response_shape() -> None:
    """Declines carry a message and no reference, like InMemoryGateway's."""
    gw = purse_rig(FixedClock(T0)).gateway
    answer = gw.authorize(
        Instrument(InstrumentKind.PURSE, "poor"), cny("9.00"), reference="P", idempotency_key=key()
    )
    assert isinstance(answer, GatewayResponse)
    assert (answer.approved, answer.reference) == (False, "")
