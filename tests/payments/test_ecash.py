"""Tests of the e-cash mint, coins and wallet in :mod:`ecservice.payments.ecash`.

RSA keys are generated once for the module (1024-bit test keys) so the tests stay fast.
"""

from __future__ import annotations

import hashlib
import runpy
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pendulum
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

import ecservice.payments.ecash as ecash
from ecservice.clock import FixedClock
from ecservice.errors import (
    CurrencyMismatch,
    DoubleSpend,
    InsufficientFunds,
    InvalidAmount,
    InvalidSignature,
    NaiveDatetime,
    PolicyViolation,
    ValidationError,
)
from ecservice.money import Money
from ecservice.payments.ecash import (
    AlreadyPaidOut,
    BlindSigner,
    Coin,
    CoinSpend,
    CoinWallet,
    Denomination,
    DenominationExpired,
    DepositReceipt,
    Mint,
    PayoutRecord,
    Planchet,
    PurePythonBlindSigner,
    RefreshRecord,
    RefundExceedsDeposit,
    RefundWindowClosed,
    UnknownDenomination,
    UnknownDeposit,
    UnknownReserve,
    WalletCoin,
    blind_rsa,
    coin_message,
    contract_hash,
    denomination_id,
    generate_key,
    make_change,
)

KEYS: list[rsa.RSAPrivateKey] = [
    generate_key(1024, allow_weak_key_for_tests=True) for _ in range(9)
]
SIGNERS: list[PurePythonBlindSigner] = [PurePythonBlindSigner(k) for k in KEYS]
VALUES = ("10.00", "5.00", "1.00", "0.50", "0.10", "0.05", "0.01")
T0 = pendulum.datetime(2026, 11, 11, 9, 0, tz="Asia/Shanghai")
EXAMPLE = Path(__file__).parent.parent.parent / "examples" / "ecash_payment.py"


def cny(amount: str) -> Money:
    return Money(amount, "CNY")


class RecordingSigner:
    """A :class:`BlindSigner` fake that records every message it is asked to sign."""

    def __init__(self, inner: BlindSigner) -> None:
        self.inner = inner
        self.seen: list[bytes] = []

    @property
    def public_key(self) -> rsa.RSAPublicKey:
        return self.inner.public_key

    def blind_sign(self, blinded_msg: bytes) -> bytes:
        self.seen.append(blinded_msg)
        return self.inner.blind_sign(blinded_msg)


class FaultySigner:
    """A :class:`BlindSigner` fake returning garbage of the right length."""

    def __init__(self, inner: BlindSigner) -> None:
        self.inner = inner

    @property
    def public_key(self) -> rsa.RSAPublicKey:
        return self.inner.public_key

    def blind_sign(self, blinded_msg: bytes) -> bytes:
        good = self.inner.blind_sign(blinded_msg)
        return bytes([good[0] ^ 1]) + good[1:]


@attrs.define
class World:
    """One mint with the seven denominations, a funded reserve and an empty wallet."""

    clock: FixedClock
    mint: Mint
    wallet: CoinWallet
    denoms: dict[str, Denomination]

    def withdraw(self, value: str) -> Coin:
        return self.wallet.withdraw(self.mint, "alice", self.denoms[value])

    def secret(self, coin: Coin) -> WalletCoin:
        return self.wallet.wallet_coin(coin.public_key)


def build_world(
    signers: list[BlindSigner] | None = None,
    reserve: str = "100.00",
    values: tuple[str, ...] = VALUES,
) -> World:
    clock = FixedClock(T0)
    mint = Mint(clock, currency="CNY", name="mint-a")
    chosen = list(signers) if signers is not None else list(SIGNERS[: len(values)])
    denoms = {
        value: mint.add_denomination(
            cny(value),
            signer=signer,
            withdraw_until=T0.add(days=30),
            deposit_until=T0.add(days=60),
        )
        for value, signer in zip(values, chosen, strict=True)
    }
    mint.credit_reserve("alice", cny(reserve))
    return World(clock, mint, CoinWallet(clock, currency="CNY"), denoms)


@pytest.fixture
def world() -> World:
    return build_world()


def snapshot(w: World, *coins: Coin) -> tuple[Any, ...]:
    """Everything observable about the mint (and the given coins) to prove nothing changed."""
    m = w.mint
    return (
        m.withdrawals,
        m.deposits,
        m.refunds,
        m.refreshes,
        m.payouts,
        m.reserve_balance("alice"),
        tuple(m.remaining_value(c) for c in coins),
        m.pending_total("teahouse"),
    )


ORDER = contract_hash("teahouse order 42")


# --- denominations -------------------------------------------------------------------------------


def test_denomination_id_hashes_public_key_and_value() -> None:
    key = KEYS[0].public_key()
    assert denomination_id(key, cny("1.00")) != denomination_id(key, cny("2.00"))
    assert denomination_id(key, cny("1.00")) != denomination_id(KEYS[1].public_key(), cny("1.00"))
    d = Denomination(
        value=cny("1.00"),
        public_key=key,
        valid_from=T0,
        withdraw_until=T0.add(days=1),
        deposit_until=T0.add(days=2),
    )
    assert d.id == denomination_id(key, cny("1.00"))
    assert len(d.id) == 32


@pytest.mark.parametrize(
    ("withdraw_days", "deposit_days"), [(0, 1), (2, 1), (-1, 3)], ids=["empty", "deposit<wd", "neg"]
)
def test_denomination_windows_must_be_ordered(withdraw_days: int, deposit_days: int) -> None:
    with pytest.raises(ValidationError, match="valid_from < withdraw_until <= deposit_until"):
        Denomination(
            value=cny("1.00"),
            public_key=KEYS[0].public_key(),
            valid_from=T0,
            withdraw_until=T0.add(days=withdraw_days),
            deposit_until=T0.add(days=deposit_days),
        )


def test_denomination_rejects_naive_times_and_nonpositive_values() -> None:
    with pytest.raises(NaiveDatetime):
        Denomination(
            value=cny("1.00"),
            public_key=KEYS[0].public_key(),
            valid_from=T0.naive(),
            withdraw_until=T0.add(days=1),
            deposit_until=T0.add(days=2),
        )
    with pytest.raises(InvalidAmount):
        Denomination(
            value=cny("0.00"),
            public_key=KEYS[0].public_key(),
            valid_from=T0,
            withdraw_until=T0.add(days=1),
            deposit_until=T0.add(days=2),
        )


def test_mint_refuses_a_reused_key_and_a_foreign_currency(world: World) -> None:
    with pytest.raises(ValidationError, match="own key"):
        world.mint.add_denomination(
            cny("2.00"),
            signer=SIGNERS[0],
            withdraw_until=T0.add(days=1),
            deposit_until=T0.add(days=2),
        )
    with pytest.raises(CurrencyMismatch):
        world.mint.add_denomination(
            Money("1.00", "USD"),
            signer=SIGNERS[8],
            withdraw_until=T0.add(days=1),
            deposit_until=T0.add(days=2),
        )
    assert len(world.mint.denominations) == 7


# --- withdraw ------------------------------------------------------------------------------------


def test_withdraw_debits_the_reserve_and_gives_a_verified_coin(world: World) -> None:
    coin = world.withdraw("5.00")
    coin.verify(world.denoms["5.00"])
    assert world.mint.reserve_balance("alice") == cny("95.00")
    assert world.wallet.balance == cny("5.00")
    assert world.mint.remaining_value(coin) == cny("5.00")
    (record,) = world.mint.withdrawals
    assert [f.name for f in attrs.fields(type(record))] == [
        "reserve",
        "denomination_id",
        "blinded_message_hash",
        "withdrawn_at",
    ]
    assert record.reserve == "alice"
    assert record.denomination_id == world.denoms["5.00"].id
    assert record.withdrawn_at == T0


def test_the_mint_never_sees_the_coin_key_or_prepared_message_at_withdrawal() -> None:
    """The signer gets only the blinded message, and the records hold nothing of the coin."""
    spy = RecordingSigner(SIGNERS[0])
    w = build_world([spy, *SIGNERS[1:7]])
    planchet = Planchet.create(w.denoms["10.00"])
    blind_signature = w.mint.withdraw("alice", w.denoms["10.00"].id, planchet.blinded_message)
    coin = planchet.finalize(blind_signature).coin

    assert spy.seen == [planchet.blinded_message]
    secrets_ = [coin.public_key, coin.prepared_message, coin.signature]
    for secret in secrets_:
        assert secret not in planchet.blinded_message
        for record in w.mint.withdrawals:
            for value in attrs.astuple(record):
                assert value != secret
                assert not (isinstance(value, bytes) and secret in value)
    assert planchet.public_key == coin.public_key
    assert coin.prepared_message.endswith(coin_message(coin.public_key, coin.denomination_id))
    # The blinded message is fresh randomness each time: the same coin blinded twice differs.
    again = blind_rsa.blind(w.denoms["10.00"].public_key, coin.prepared_message)
    assert again.blinded_msg != planchet.blinded_message


def test_withdrawal_records_cannot_be_linked_to_deposits(world: World) -> None:
    """No value in a withdrawal record equals (or hides inside) a value in a deposit record.

    The only field both share is the denomination id: every coin of a denomination looks alike
    (that is the anonymity set), so it links nothing; it is left out of the comparison.
    """
    coins = [world.withdraw("1.00") for _ in range(3)]
    world.clock.advance(hours=1)
    for i, coin in enumerate(coins):
        spend = world.secret(coin).spend(
            cny("1.00"), merchant="teahouse", contract=contract_hash(f"order {i}")
        )
        world.mint.deposit(spend)

    def values(records: tuple[Any, ...]) -> list[Any]:
        found = []
        for record in records:
            for field in attrs.fields(type(record)):
                if field.name != "denomination_id":
                    found.append(getattr(record, field.name))
        return found

    withdrawn = values(world.mint.withdrawals)
    deposited = values(world.mint.deposits)
    deposited_bytes = [v for v in deposited if isinstance(v, bytes)]
    deposited_bytes += [c.prepared_message for c in coins] + [c.signature for c in coins]
    for w_value in withdrawn:
        assert all(w_value != d_value for d_value in deposited)
        if isinstance(w_value, bytes):
            assert not any(w_value in d for d in deposited_bytes)
            assert all(hashlib.sha256(d).digest() != w_value for d in deposited_bytes)


def test_withdraw_is_refused_without_funds_or_outside_the_window(world: World) -> None:
    w = build_world(reserve="0.50")
    before = snapshot(w)
    with pytest.raises(InsufficientFunds, match=r"holds 0\.50 CNY"):
        w.withdraw("1.00")
    with pytest.raises(UnknownReserve):
        w.wallet.withdraw(w.mint, "bob", w.denoms["0.10"])
    w.clock.advance(days=30)
    with pytest.raises(DenominationExpired, match="withdraw window"):
        w.withdraw("0.10")
    assert snapshot(w) == before
    assert w.wallet.balance == cny("0.00")


def test_withdraw_before_the_window_opens_is_refused(world: World) -> None:
    later = world.mint.add_denomination(
        cny("2.00"),
        signer=SIGNERS[7],
        valid_from=T0.add(days=1),
        withdraw_until=T0.add(days=2),
        deposit_until=T0.add(days=3),
    )
    with pytest.raises(DenominationExpired):
        world.wallet.withdraw(world.mint, "alice", later)
    assert world.mint.reserve_balance("alice") == cny("100.00")


def test_retried_withdrawal_returns_the_same_signature_without_a_second_debit(world: World) -> None:
    planchet = Planchet.create(world.denoms["1.00"])
    first = world.mint.withdraw("alice", planchet.denomination.id, planchet.blinded_message)
    second = world.mint.withdraw("alice", planchet.denomination.id, planchet.blinded_message)
    assert first == second
    assert world.mint.reserve_balance("alice") == cny("99.00")
    assert len(world.mint.withdrawals) == 1
    world.mint.credit_reserve("bob", cny("5.00"))
    with pytest.raises(ValidationError, match="another reserve"):
        world.mint.withdraw("bob", planchet.denomination.id, planchet.blinded_message)
    assert world.mint.reserve_balance("bob") == cny("5.00")


def test_a_faulty_signer_is_caught_before_the_reserve_is_debited() -> None:
    w = build_world([FaultySigner(SIGNERS[0]), *SIGNERS[1:7]])
    with pytest.raises(InvalidSignature, match="fails its check"):
        w.withdraw("10.00")
    assert w.mint.reserve_balance("alice") == cny("100.00")
    assert w.mint.withdrawals == ()


def test_malformed_blinded_message_is_refused(world: World) -> None:
    with pytest.raises(ValidationError, match="128 bytes"):
        world.mint.withdraw("alice", world.denoms["1.00"].id, b"\x01" * 10)
    with pytest.raises(UnknownDenomination):
        world.mint.withdraw("alice", b"\x00" * 32, b"\x01" * 128)
    assert world.mint.reserve_balance("alice") == cny("100.00")


# --- spend and deposit ---------------------------------------------------------------------------


def test_spend_and_deposit(world: World) -> None:
    coin = world.withdraw("10.00")
    (spend,) = world.wallet.pay(cny("7.30"), merchant="teahouse", contract=ORDER)
    assert spend.coin == coin
    spend.verify(world.denoms["10.00"])  # what the merchant checks before accepting
    receipt = world.mint.deposit(spend)
    assert (receipt.amount, receipt.merchant, receipt.contract_hash) == (
        cny("7.30"),
        "teahouse",
        ORDER,
    )
    assert receipt.coin_public_key == coin.public_key
    assert (
        world.mint.remaining_value(coin) == cny("2.70") == world.wallet.remaining(coin.public_key)
    )
    assert world.mint.pending_total("teahouse") == cny("7.30")


def test_replayed_deposit_is_idempotent(world: World) -> None:
    coin = world.withdraw("10.00")
    (spend,) = world.wallet.pay(cny("4.00"), merchant="teahouse", contract=ORDER)
    receipt = world.mint.deposit(spend)
    before = snapshot(world, coin)
    world.clock.advance(hours=1)
    assert world.mint.deposit(spend) == receipt
    assert world.mint.deposit(attrs.evolve(spend)) == receipt
    assert snapshot(world, coin) == before


def test_conflicting_deposit_is_a_double_spend_and_changes_nothing(world: World) -> None:
    coin = world.withdraw("10.00")
    secret = world.secret(coin)
    world.mint.deposit(secret.spend(cny("8.00"), merchant="teahouse", contract=ORDER))
    before = snapshot(world, coin)
    other = secret.spend(cny("5.00"), merchant="bookshop", contract=contract_hash("book"))
    with pytest.raises(DoubleSpend, match=r"has 2\.00 CNY left"):
        world.mint.deposit(other)
    # Same merchant and contract but another amount is a different deposit: also refused.
    with pytest.raises(DoubleSpend):
        world.mint.deposit(secret.spend(cny("8.01"), merchant="teahouse", contract=ORDER))
    assert snapshot(world, coin) == before


def test_partial_spends_for_different_contracts_until_the_coin_is_empty(world: World) -> None:
    coin = world.withdraw("1.00")
    secret = world.secret(coin)
    for i, amount in enumerate(("0.30", "0.30", "0.40")):
        world.mint.deposit(
            secret.spend(cny(amount), merchant="teahouse", contract=contract_hash(f"o{i}"))
        )
    assert world.mint.remaining_value(coin) == cny("0.00")
    with pytest.raises(DoubleSpend):
        world.mint.deposit(secret.spend(cny("0.01"), merchant="teahouse", contract=b"x"))
    assert world.mint.pending_total("teahouse") == cny("1.00")


def test_deposit_outside_the_deposit_window_is_refused(world: World) -> None:
    coin = world.withdraw("1.00")
    spend = world.secret(coin).spend(cny("1.00"), merchant="teahouse", contract=ORDER)
    world.clock.advance(days=60)
    before = snapshot(world, coin)
    with pytest.raises(DenominationExpired, match="deposit window"):
        world.mint.deposit(spend)
    assert snapshot(world, coin) == before


def test_deposits_racing_from_threads_spend_the_coin_once(world: World) -> None:
    coin = world.withdraw("1.00")
    secret = world.secret(coin)
    spends = [
        secret.spend(cny("0.60"), merchant=f"m{i}", contract=contract_hash(str(i)))
        for i in range(8)
    ]
    outcomes: list[str] = []

    def run(spend: CoinSpend) -> None:
        try:
            world.mint.deposit(spend)
            outcomes.append("ok")
        except DoubleSpend:
            outcomes.append("double")

    threads = [threading.Thread(target=run, args=(s,)) for s in spends]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["double"] * 7 + ["ok"]
    assert world.mint.remaining_value(coin) == cny("0.40")


# --- forged and altered input --------------------------------------------------------------------


def _forged_coins(w: World, coin: Coin, forger_key: bytes) -> Iterator[tuple[str, Coin]]:
    sig = coin.signature
    prefix = coin.prepared_message[:32]
    bigger = w.denoms["10.00"].id
    yield "flipped signature byte", attrs.evolve(coin, signature=bytes([sig[0] ^ 1]) + sig[1:])
    yield "truncated signature", attrs.evolve(coin, signature=sig[:-1])
    yield "swapped coin key", attrs.evolve(coin, public_key=forger_key)
    yield (
        "swapped key with matching message",
        attrs.evolve(
            coin,
            public_key=forger_key,
            prepared_message=prefix + coin_message(forger_key, coin.denomination_id),
        ),
    )
    yield "swapped denomination", attrs.evolve(coin, denomination_id=bigger)
    yield (
        "swapped denomination with matching message",
        attrs.evolve(
            coin,
            denomination_id=bigger,
            prepared_message=prefix + coin_message(coin.public_key, bigger),
        ),
    )
    yield (
        "altered prefix",
        attrs.evolve(coin, prepared_message=bytes(32) + coin.prepared_message[32:]),
    )


def test_forged_or_altered_coins_are_refused_and_change_nothing(world: World) -> None:
    """Each forged coin comes with a valid spend signature: only the coin check can catch it."""
    genuine = world.withdraw("1.00")
    forger = Ed25519PrivateKey.generate()
    forger_pub = forger.public_key().public_bytes_raw()
    owner = world.secret(genuine)
    for label, forged in _forged_coins(world, genuine, forger_pub):
        key = forger if forged.public_key == forger_pub else owner._key
        denomination = world.mint.denomination(forged.denomination_id)
        wallet_coin = WalletCoin(forged, denomination, key)
        spend = wallet_coin.spend(cny("1.00"), merchant="teahouse", contract=ORDER)
        spend.verify_signature()  # the spend itself is well signed
        before = snapshot(world, genuine)
        with pytest.raises(InvalidSignature):
            forged.verify(denomination)
        with pytest.raises(InvalidSignature):
            world.mint.deposit(spend)
        assert snapshot(world, genuine) == before, label
        planchet = Planchet.create(world.denoms["0.50"])
        with pytest.raises(InvalidSignature):
            world.mint.refresh(wallet_coin.refresh(cny("1.00"), [planchet]))
        assert snapshot(world, genuine) == before, label


def test_coin_of_another_mint_is_refused() -> None:
    ours = build_world()
    theirs = build_world([*SIGNERS[7:9], *SIGNERS[2:7]])
    foreign = theirs.withdraw("10.00")
    spend = theirs.secret(foreign).spend(cny("1.00"), merchant="teahouse", contract=ORDER)
    with pytest.raises(UnknownDenomination, match="another mint"):
        ours.mint.deposit(spend)
    # The same coin claiming our 10.00 denomination: the other mint's signature does not verify.
    key = Ed25519PrivateKey.generate()
    pub = key.public_key().public_bytes_raw()
    our_ten = ours.denoms["10.00"]
    prepared = blind_rsa.prepare(coin_message(pub, our_ten.id))
    blinded, inv = blind_rsa.blind(SIGNERS[7].public_key, prepared)
    other_sig = blind_rsa.finalize(
        SIGNERS[7].public_key, prepared, SIGNERS[7].blind_sign(blinded), inv
    )
    claimed = Coin(pub, our_ten.id, other_sig, prepared)
    nonce = bytes(16)
    data = CoinSpend.signed_bytes_for(claimed, cny("1.00"), "teahouse", ORDER, nonce)
    with pytest.raises(InvalidSignature, match="not signed by denomination"):
        ours.mint.deposit(
            CoinSpend(claimed, cny("1.00"), "teahouse", ORDER, key.sign(data), nonce=nonce)
        )
    assert ours.mint.deposits == ()


@pytest.mark.parametrize(
    "change",
    [
        {"amount": Money("0.01", "CNY")},
        {"amount": Money("0.99", "CNY")},
        {"merchant": "evil-shop"},
        {"contract_hash": contract_hash("another order")},
    ],
    ids=["amount-down", "amount-up", "merchant", "contract"],
)
def test_spend_altered_after_signing_is_refused(world: World, change: dict[str, Any]) -> None:
    coin = world.withdraw("1.00")
    spend = world.secret(coin).spend(cny("0.50"), merchant="teahouse", contract=ORDER)
    altered = attrs.evolve(spend, **change)
    before = snapshot(world, coin)
    with pytest.raises(InvalidSignature, match="altered after signing"):
        world.mint.deposit(altered)
    assert snapshot(world, coin) == before


def test_spend_signed_by_another_key_is_refused(world: World) -> None:
    coin = world.withdraw("1.00")
    with pytest.raises(ValidationError, match="not the key of coin"):
        WalletCoin(coin, world.denoms["1.00"], Ed25519PrivateKey.generate())
    nonce = bytes(range(16))
    data = CoinSpend.signed_bytes_for(coin, cny("1.00"), "teahouse", ORDER, nonce)
    forged = CoinSpend(
        coin, cny("1.00"), "teahouse", ORDER, Ed25519PrivateKey.generate().sign(data), nonce=nonce
    )
    with pytest.raises(InvalidSignature):
        world.mint.deposit(forged)
    assert world.mint.remaining_value(coin) == cny("1.00")


def test_bad_amounts_are_refused(world: World) -> None:
    coin = world.withdraw("1.00")
    secret = world.secret(coin)
    spend = secret.spend(cny("0.50"), merchant="teahouse", contract=ORDER)
    before = snapshot(world, coin)
    with pytest.raises(CurrencyMismatch):
        world.mint.deposit(attrs.evolve(spend, amount=Money("0.50", "USD")))
    with pytest.raises(CurrencyMismatch):
        secret.spend(Money("0.50", "USD"), merchant="teahouse", contract=ORDER)
    with pytest.raises(InvalidAmount, match="3 decimal places"):
        cny("0.505")
    for bad in (cny("0.00"), cny("-0.10")):
        with pytest.raises(InvalidAmount, match="positive"):
            secret.spend(bad, merchant="teahouse", contract=ORDER)
        with pytest.raises(InvalidAmount):
            attrs.evolve(spend, amount=bad)
        with pytest.raises(InvalidAmount):
            world.wallet.pay(bad, merchant="teahouse", contract=ORDER)
        with pytest.raises(InvalidAmount):
            world.mint.credit_reserve("alice", bad)
    with pytest.raises(InsufficientFunds, match="cannot pay"):
        world.mint.deposit(secret.spend(cny("1.01"), merchant="teahouse", contract=ORDER))
    with pytest.raises(ValidationError):
        secret.spend(cny("0.10"), merchant="  ", contract=ORDER)
    with pytest.raises(ValidationError):
        secret.spend(cny("0.10"), merchant="teahouse", contract=b"")
    assert snapshot(world, coin) == before
    assert world.wallet.remaining(coin.public_key) == cny("1.00")


# --- refunds and payouts -------------------------------------------------------------------------


def test_refund_returns_value_to_the_coin_before_payout(world: World) -> None:
    coin = world.withdraw("10.00")
    (spend,) = world.wallet.pay(cny("6.00"), merchant="teahouse", contract=ORDER)
    world.mint.deposit(spend)
    refund = world.mint.refund(
        merchant="teahouse",
        coin_public_key=coin.public_key,
        contract_hash=ORDER,
        amount=cny("2.50"),
    )
    assert world.mint.remaining_value(coin) == cny("6.50")
    assert world.wallet.apply_refund(refund) == cny("6.50")
    assert world.wallet.apply_refund(refund) == cny("6.50")  # applying twice is a no-op
    assert world.mint.pending_total("teahouse") == cny("3.50")
    before = snapshot(world, coin)
    with pytest.raises(RefundExceedsDeposit, match=r"only 3\.50 CNY"):
        world.mint.refund(
            merchant="teahouse",
            coin_public_key=coin.public_key,
            contract_hash=ORDER,
            amount=cny("3.51"),
        )
    with pytest.raises(UnknownDeposit):
        world.mint.refund(
            merchant="bookshop",
            coin_public_key=coin.public_key,
            contract_hash=ORDER,
            amount=cny("1.00"),
        )
    with pytest.raises(InvalidAmount):
        world.mint.refund(
            merchant="teahouse",
            coin_public_key=coin.public_key,
            contract_hash=ORDER,
            amount=cny("0"),
        )
    assert snapshot(world, coin) == before
    assert world.mint.payout("teahouse") == cny("3.50")
    assert world.mint.payout("teahouse") == cny("0.00")
    with pytest.raises(AlreadyPaidOut) as excinfo:
        world.mint.refund(
            merchant="teahouse",
            coin_public_key=coin.public_key,
            contract_hash=ORDER,
            amount=cny("0.01"),
        )
    assert isinstance(excinfo.value, PolicyViolation)
    assert world.mint.remaining_value(coin) == cny("6.50")


def test_payout_covers_only_deposits_made_before_it(world: World) -> None:
    coin = world.withdraw("10.00")
    secret = world.secret(coin)
    world.mint.deposit(secret.spend(cny("1.00"), merchant="teahouse", contract=ORDER))
    assert world.mint.payout("teahouse") == cny("1.00")
    second = contract_hash("order 43")
    world.mint.deposit(secret.spend(cny("2.00"), merchant="teahouse", contract=second))
    world.mint.refund(
        merchant="teahouse",
        coin_public_key=coin.public_key,
        contract_hash=second,
        amount=cny("2.00"),
    )
    assert world.mint.payout("teahouse") == cny("0.00")
    assert [p.amount for p in world.mint.payouts] == [cny("1.00"), cny("0.00")]
    assert [p.deposit_ids for p in world.mint.payouts] == [(1,), (2,)]


# --- refresh (change) ----------------------------------------------------------------------------


def test_refresh_gives_change_for_a_partly_spent_coin(world: World) -> None:
    coin = world.withdraw("10.00")
    (spend,) = world.wallet.pay(cny("3.35"), merchant="teahouse", contract=ORDER)
    world.mint.deposit(spend)
    fresh = world.wallet.refresh(world.mint, coin.public_key)
    values = [world.mint.denomination(c.denomination_id).value for c in fresh]
    assert values == [cny(v) for v in ("5.00", "1.00", "0.50", "0.10", "0.05")]
    assert world.mint.remaining_value(coin) == cny("0.00")
    assert world.wallet.remaining(coin.public_key) == cny("0.00")
    assert world.wallet.balance == cny("6.65")
    (record,) = world.mint.refreshes
    assert record.amount == record.issued == cny("6.65")
    # The old coin is now fully spent; the new ones spend normally.
    with pytest.raises(DoubleSpend):
        world.mint.deposit(
            world.secret(coin).spend(cny("0.01"), merchant="teahouse", contract=b"x")
        )
    for spend in world.wallet.pay(cny("6.65"), merchant="teahouse", contract=b"y"):
        world.mint.deposit(spend)
    assert world.wallet.balance == cny("0.00")


def test_refresh_replay_is_idempotent_and_overmelting_is_refused(world: World) -> None:
    coin = world.withdraw("1.00")
    secret = world.secret(coin)
    world.mint.deposit(secret.spend(cny("0.40"), merchant="teahouse", contract=ORDER))
    planchets = [Planchet.create(world.denoms["0.50"]), Planchet.create(world.denoms["0.10"])]
    request = secret.refresh(cny("0.60"), planchets)
    first = world.mint.refresh(request)
    before = snapshot(world, coin)
    assert world.mint.refresh(request) == first
    assert snapshot(world, coin) == before
    coins = [p.finalize(s).coin for p, s in zip(planchets, first, strict=True)]
    assert [world.mint.remaining_value(c) for c in coins] == [cny("0.50"), cny("0.10")]
    with pytest.raises(DoubleSpend):
        world.mint.refresh(secret.refresh(cny("0.10"), [Planchet.create(world.denoms["0.10"])]))
    assert snapshot(world, coin) == before


def test_bad_refresh_requests_change_nothing(world: World) -> None:
    coin = world.withdraw("1.00")
    secret = world.secret(coin)
    world.mint.deposit(secret.spend(cny("0.50"), merchant="teahouse", contract=ORDER))
    before = snapshot(world, coin)
    too_much = secret.refresh(cny("0.50"), [Planchet.create(world.denoms["1.00"])])
    with pytest.raises(InsufficientFunds, match="more than"):
        world.mint.refresh(too_much)
    over = secret.refresh(cny("0.60"), [Planchet.create(world.denoms["0.50"])])
    with pytest.raises(DoubleSpend):
        world.mint.refresh(over)
    ok = secret.refresh(cny("0.50"), [Planchet.create(world.denoms["0.50"])])
    with pytest.raises(InvalidSignature):
        world.mint.refresh(attrs.evolve(ok, amount=cny("0.40")))
    with pytest.raises(InvalidSignature):
        world.mint.refresh(
            attrs.evolve(ok, planchets=[Planchet.create(world.denoms["0.10"]).blinded()])
        )
    with pytest.raises(ValidationError, match="at least one"):
        secret.refresh(cny("0.50"), [])
    world.clock.advance(days=30)  # new coins can no longer be withdrawn
    with pytest.raises(DenominationExpired):
        world.mint.refresh(ok)
    assert snapshot(world, coin) == before


def test_wallet_refresh_refuses_inexact_change_unless_allowed() -> None:
    w = build_world(values=VALUES[:-1])  # no 0.01 denomination
    coin = w.withdraw("1.00")
    (spend,) = w.wallet.pay(cny("0.03"), merchant="teahouse", contract=ORDER)
    w.mint.deposit(spend)
    before = snapshot(w, coin)
    with pytest.raises(ValidationError, match=r"cannot make 0\.97 CNY exactly"):
        w.wallet.refresh(w.mint, coin.public_key)
    assert snapshot(w, coin) == before
    fresh = w.wallet.refresh(w.mint, coin.public_key, allow_loss=True)
    values = [w.mint.denomination(c.denomination_id).value for c in fresh]
    assert values == [cny("0.50"), *[cny("0.10")] * 4, cny("0.05")]
    (record,) = w.mint.refreshes
    assert (record.amount, record.issued) == (cny("0.97"), cny("0.95"))
    assert w.mint.remaining_value(coin) == cny("0.00")


def test_wallet_refresh_names_the_real_cause_once_nothing_can_be_withdrawn() -> None:
    """After every withdrawal window closed, refreshing says so (not "pass allow_loss=True",
    which could not help), and nothing changes."""
    w = build_world()
    coin = w.withdraw("1.00")
    (spend,) = w.wallet.pay(cny("0.30"), merchant="teahouse", contract=ORDER)
    w.mint.deposit(spend)
    w.clock.advance(days=30)  # new coins can no longer be withdrawn
    before = snapshot(w, coin)
    for allow_loss in (False, True):
        with pytest.raises(ValidationError, match="no denomination that can be withdrawn now"):
            w.wallet.refresh(w.mint, coin.public_key, allow_loss=allow_loss)
    assert snapshot(w, coin) == before


def test_refresh_of_an_empty_coin_is_refused(world: World) -> None:
    coin = world.withdraw("0.10")
    (spend,) = world.wallet.pay(cny("0.10"), merchant="teahouse", contract=ORDER)
    world.mint.deposit(spend)
    with pytest.raises(ValidationError, match="no value left"):
        world.wallet.refresh(world.mint, coin.public_key)


# --- wallet --------------------------------------------------------------------------------------


def test_wallet_picks_the_smallest_covering_coin_else_the_fullest(world: World) -> None:
    big, small, tiny = world.withdraw("10.00"), world.withdraw("1.00"), world.withdraw("0.50")
    (one,) = world.wallet.pay(cny("0.80"), merchant="teahouse", contract=ORDER)
    assert one.coin == small
    several = world.wallet.pay(cny("10.40"), merchant="teahouse", contract=b"two")
    assert [s.coin for s in several] == [big, tiny]
    assert [s.amount for s in several] == [cny("10.00"), cny("0.40")]
    assert world.wallet.balance == cny("0.30")
    for spend in (one, *several):
        world.mint.deposit(spend)
    for coin in (big, small, tiny):
        assert world.wallet.remaining(coin.public_key) == world.mint.remaining_value(coin)


def test_wallet_refuses_to_overpay_and_skips_expired_coins(world: World) -> None:
    world.withdraw("1.00")
    with pytest.raises(InsufficientFunds, match=r"1\.00 CNY spendable"):
        world.wallet.pay(cny("1.01"), merchant="teahouse", contract=ORDER)
    assert world.wallet.balance == cny("1.00")
    world.clock.advance(days=60)
    with pytest.raises(InsufficientFunds, match=r"0\.00 CNY spendable"):
        world.wallet.pay(cny("0.10"), merchant="teahouse", contract=ORDER)
    with pytest.raises(CurrencyMismatch):
        world.wallet.pay(Money("1", "JPY"), merchant="teahouse", contract=ORDER)


def test_withdraw_amount_makes_exact_change(world: World) -> None:
    coins = world.wallet.withdraw_amount(world.mint, "alice", cny("16.66"))
    values = [world.mint.denomination(c.denomination_id).value.amount for c in coins]
    assert sum(values) == cny("16.66").amount
    assert world.mint.reserve_balance("alice") == cny("83.34")
    with pytest.raises(InsufficientFunds):
        world.wallet.withdraw_amount(world.mint, "alice", cny("83.35"))
    assert world.mint.reserve_balance("alice") == cny("83.34")


def test_make_change_is_greedy_and_never_exceeds_the_amount(world: World) -> None:
    no_cents = [d for d in world.denoms.values() if d.value >= cny("0.05")]
    assert [d.value for d in make_change(cny("0.98"), no_cents)] == [
        cny("0.50"),
        *[cny("0.10")] * 4,
        cny("0.05"),
    ]
    assert make_change(cny("0.04"), no_cents) == []
    everything = make_change(cny("16.66"), world.denoms.values())
    assert sum(d.value.amount for d in everything) == cny("16.66").amount


def test_make_change_of_a_huge_amount_is_refused_at_once(world: World) -> None:
    """Change is counted, not looped coin by coin: a fuzzed amount of 10**13 yuan in cents
    once hung; more than 10,000 coins are refused."""
    cents = [world.denoms["0.01"]]
    assert len(make_change(cny("100.00"), cents)) == 10_000
    with pytest.raises(ValidationError, match="more than 10,000 coins"):
        make_change(cny("100.01"), cents)
    with pytest.raises(ValidationError, match="more than 10,000 coins"):
        make_change(cny("9999999999999.99"), cents)
    rich = world.wallet
    with pytest.raises(InsufficientFunds):  # the reserve is looked at before any change is made
        rich.withdraw_amount(world.mint, "alice", cny("9999999999999.99"))


WORLD_FOR_CHANGE = build_world()


@given(st.integers(min_value=1, max_value=5_000))
def test_make_change_picks_as_the_largest_first_loop_does(cents: int) -> None:
    world = WORLD_FOR_CHANGE
    amount = Money.from_minor(cents, "CNY")
    expected: list[Money] = []
    left = amount
    for value in sorted({d.value for d in world.denoms.values()}, key=lambda v: v.amount)[::-1]:
        while left >= value:
            expected.append(value)
            left = left - value
    assert [d.value for d in make_change(amount, world.denoms.values())] == expected


def test_nothing_secret_in_repr(world: World) -> None:
    coin = world.withdraw("1.00")
    secret = world.secret(coin)
    planchet = Planchet.create(world.denoms["1.00"])
    key_bytes = secret._key.private_bytes_raw()
    texts = [repr(world.wallet), repr(secret), repr(planchet), repr(coin), repr(world.mint)]
    for text in texts:
        assert key_bytes.hex() not in text
        assert key_bytes.hex()[:16] not in text
        assert "Ed25519PrivateKey" not in text
    assert planchet.prepared_message.hex()[:16] not in repr(planchet)
    assert repr(world.wallet) == "CoinWallet(coins=1, balance=Money('1.00', 'CNY'))"


# --- the public namespace and the example --------------------------------------------------------


def test_public_namespace_is_sorted_and_complete() -> None:
    assert len(ecash.__all__) == len(set(ecash.__all__))

    # isort-style order, as ruff's RUF022 and blind_rsa use: CONSTANTS, Classes, functions.
    def kind(name: str) -> int:
        return 0 if name.isupper() else 1 if name[0].isupper() else 2

    assert ecash.__all__ == sorted(ecash.__all__, key=lambda n: (kind(n), n))
    for name in ecash.__all__:
        assert getattr(ecash, name) is not None
    assert set(blind_rsa.__all__) <= set(ecash.__all__)


def test_example_runs_and_prints_the_trace(capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(EXAMPLE), run_name="__main__")
    out = capsys.readouterr().out
    for start in (
        "withdraw:",
        "spend:",
        "deposit:",
        "replayed deposit: same receipt",
        "double spend refused:",
        "refund:",
        "change:",
        "pay again: first payment of order 43 is deposit #2",
        "pay again: second payment of order 43 is deposit #3",
        "late refund refused:",
        "expired:",
    ):
        assert any(line.startswith(start) for line in out.splitlines()), start


# --- refunds never leave value unspendable; a second payment is not a replay --------------------


def test_refund_after_the_deposit_window_is_refused_and_changes_nothing(world: World) -> None:
    """A refund then would sit on a coin nobody can spend or refresh: refused."""
    coin = world.withdraw("10.00")
    (spend,) = world.wallet.pay(cny("6.00"), merchant="teahouse", contract=ORDER)
    world.mint.deposit(spend)
    world.clock.set(T0.add(days=60))  # deposit_until: the window is closed (exclusive end)
    before = snapshot(world, coin)
    with pytest.raises(RefundWindowClosed, match="could be deposited or refreshed only until"):
        world.mint.refund(
            merchant="teahouse",
            coin_public_key=coin.public_key,
            contract_hash=ORDER,
            amount=cny("6.00"),
        )
    assert snapshot(world, coin) == before
    assert issubclass(RefundWindowClosed, DenominationExpired)


def test_refund_just_before_the_window_closes_can_still_be_refreshed(world: World) -> None:
    coin = world.withdraw("10.00")
    (spend,) = world.wallet.pay(cny("10.00"), merchant="teahouse", contract=ORDER)
    world.mint.deposit(spend)
    world.clock.set(T0.add(days=30))  # no denomination can be withdrawn any more...
    world.mint.add_denomination(
        cny("1.00"),
        signer=SIGNERS[7],
        withdraw_until=T0.add(days=90),
        deposit_until=T0.add(days=120),
    )
    world.clock.set(T0.add(days=60).subtract(seconds=1))
    receipt = world.mint.refund(
        merchant="teahouse",
        coin_public_key=coin.public_key,
        contract_hash=ORDER,
        amount=cny("3.00"),
    )
    world.wallet.apply_refund(receipt)
    fresh = world.wallet.refresh(world.mint, coin.public_key)
    assert len(fresh) == 3
    world.clock.set(T0.add(days=61))
    assert world.wallet.balance == cny("3.00")  # ...and the change outlives the old coin


def test_paying_the_same_order_again_after_a_full_refund_is_a_new_payment(world: World) -> None:
    """Identical spends were taken for a replay: the wallet paid, the mint credited nothing."""
    coin = world.withdraw("5.00")
    for round_ in range(3):
        (spend,) = world.wallet.pay(cny("5.00"), merchant="teahouse", contract=ORDER)
        receipt = world.mint.deposit(spend)
        assert receipt.deposit_id == round_ + 1
        assert world.mint.deposit(spend) == receipt  # the same spend again: a replay
        assert world.mint.remaining_value(coin) == cny("0.00")
        assert world.mint.pending_total("teahouse") == cny("5.00")
        refund = world.mint.refund(
            merchant="teahouse",
            coin_public_key=coin.public_key,
            contract_hash=ORDER,
            amount=cny("5.00"),
        )
        world.wallet.apply_refund(refund)
        assert world.mint.pending_total("teahouse") == cny("0.00")
    assert len(world.mint.deposits) == 3


def test_two_spends_of_one_coin_for_the_same_order_differ_by_their_nonce(world: World) -> None:
    coin = world.withdraw("1.00")
    secret = world.secret(coin)
    first = secret.spend(cny("0.40"), merchant="teahouse", contract=ORDER)
    second = secret.spend(cny("0.40"), merchant="teahouse", contract=ORDER)
    assert first.nonce != second.nonce
    assert first.signature != second.signature
    world.mint.deposit(first)
    world.mint.deposit(second)
    assert world.mint.remaining_value(coin) == cny("0.20")
    with pytest.raises(InvalidSignature, match="altered after signing"):
        world.mint.deposit(attrs.evolve(first, nonce=second.nonce))


def test_wallet_balance_counts_only_coins_still_spendable(world: World) -> None:
    world.withdraw("5.00")
    world.wallet.pay(cny("1.50"), merchant="teahouse", contract=ORDER)
    assert (world.wallet.balance, world.wallet.expired_balance) == (cny("3.50"), cny("0.00"))
    world.clock.set(T0.add(days=60))
    assert (world.wallet.balance, world.wallet.expired_balance) == (cny("0.00"), cny("3.50"))
    with pytest.raises(InsufficientFunds, match=r"holds\ 0\.00\ CNY\ spendable"):
        world.wallet.pay(cny("0.01"), merchant="teahouse", contract=ORDER)


# --- rehydration and hostile input ---------------------------------------------------------------


def test_receipts_and_records_check_what_they_are_built_from(world: World) -> None:
    coin = world.withdraw("1.00")
    (spend,) = world.wallet.pay(cny("1.00"), merchant="teahouse", contract=ORDER)
    receipt = world.mint.deposit(spend)
    assert attrs.evolve(receipt) == receipt  # a genuine receipt rebuilds
    cases: list[tuple[dict[str, Any], type[Exception], str]] = [
        ({"deposit_id": 0}, ValidationError, "at least 1"),
        ({"deposit_id": True}, ValidationError, "int"),
        ({"coin_public_key": b"short"}, ValidationError, "32 bytes"),
        ({"merchant": "tea\u202ehouse"}, ValidationError, "bidirectional"),
        ({"merchant": " teahouse"}, ValidationError, "whitespace"),
        ({"amount": cny("-1.00")}, InvalidAmount, "positive"),
        ({"amount": "1.00"}, ValidationError, "Money"),
        ({"deposited_at": T0.naive()}, NaiveDatetime, "time zone"),
        ({"deposited_at": "2026-11-11"}, ValidationError, "datetime"),
    ]
    for change, error, message in cases:
        with pytest.raises(error, match=message):
            attrs.evolve(receipt, **change)
    record = world.mint.withdrawals[0]
    with pytest.raises(ValidationError, match="32 bytes"):
        attrs.evolve(record, blinded_message_hash=b"")
    with pytest.raises(ValidationError, match="each of its deposits once"):
        PayoutRecord("teahouse", cny("1.00"), (1, 1), T0)
    with pytest.raises(ValidationError, match="cannot issue"):
        RefreshRecord(coin.public_key, coin.denomination_id, cny("1.00"), (bytes(32),),
                      (bytes(32),), cny("2.00"), T0)  # fmt: skip
    with pytest.raises(ValidationError, match="one new denomination id per"):
        RefreshRecord(coin.public_key, coin.denomination_id, cny("1.00"), (), (), cny("0"), T0)


def test_mint_ledgers_check_their_invariants() -> None:
    from ecservice.payments.ecash._ledger import CoinLedger, DepositEntry

    zero, one = cny("0.00"), cny("1.00")
    with pytest.raises(ValidationError, match=r"cannot\ have\ \-1\.00\ CNY\ left"):
        CoinLedger(bytes(32), one, cny("2.00"), zero, zero)
    with pytest.raises(ValidationError, match="cannot refund"):
        CoinLedger(bytes(32), one, zero, one, zero)
    with pytest.raises(InvalidAmount, match="cannot be negative"):
        CoinLedger(bytes(32), one, zero, zero, cny("-0.01"))
    with pytest.raises(ValidationError, match="32 bytes"):
        CoinLedger(b"x", one, zero, zero, zero)
    receipt = DepositReceipt(1, bytes(32), bytes(32), "teahouse", ORDER, one, bytes(64), T0)
    with pytest.raises(ValidationError, match=r"cannot\ have\ 2\.00\ CNY\ refunded"):
        DepositEntry(receipt, cny("2.00"))
    with pytest.raises(ValidationError, match="paid must be a bool"):
        DepositEntry(receipt, zero, paid="yes")  # type: ignore[arg-type]


def test_wallet_coin_and_spend_check_their_fields(world: World) -> None:
    coin = world.withdraw("1.00")
    secret = world.secret(coin)
    with pytest.raises(ValidationError, match=r"not\ 5\.00\ CNY"):
        WalletCoin(coin, world.denoms["5.00"], Ed25519PrivateKey.generate())
    with pytest.raises(ValidationError, match="bidirectional"):
        secret.spend(cny("0.10"), merchant="tea\u202ehouse", contract=ORDER)
    with pytest.raises(ValidationError, match="at most 200"):
        secret.spend(cny("0.10"), merchant="m" * 201, contract=ORDER)
    spend = secret.spend(cny("0.10"), merchant="teahouse", contract=ORDER)
    with pytest.raises(ValidationError, match="16 bytes"):
        attrs.evolve(spend, nonce=b"1")
    with pytest.raises(ValidationError, match="a coin must be a Coin, not str"):
        attrs.evolve(spend, coin="coin")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "reserve", [None, "", "  ", "al\x00ice", "al\u202eice", " alice", "a" * 201, 7]
)
def test_bad_reserve_ids_are_refused(world: World, reserve: Any) -> None:
    with pytest.raises(ValidationError):
        world.mint.credit_reserve(reserve, cny("1.00"))


def test_mint_and_wallet_need_a_clock() -> None:
    with pytest.raises(ValidationError, match="clock must be a Clock"):
        Mint("now", currency="CNY")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="clock must be a Clock"):
        CoinWallet(None, currency="CNY")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="mint name"):
        Mint(FixedClock(T0), currency="CNY", name="\x1b[31m")


def test_refund_with_hostile_keys_raises_a_library_error(world: World) -> None:
    with pytest.raises(UnknownDeposit):
        world.mint.refund(
            merchant=["x"],  # type: ignore[arg-type]
            coin_public_key=bytearray(32),  # type: ignore[arg-type]
            contract_hash=ORDER,
            amount=cny("1.00"),
        )
