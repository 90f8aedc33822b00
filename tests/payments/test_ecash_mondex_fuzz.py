"""Hostile input through the public API of e-cash and Mondex: only library errors escape.

Every public constructor, method and function of :mod:`ecservice.payments.ecash` and
:mod:`ecservice.payments.mondex` is called with a hostile value in one argument slot (wrong
types, None, huge ints, exotic Decimals, NaN, control and bidi characters, a 10 MB string, ...;
see :data:`tests.strategies.HOSTILE`), the other arguments valid. Whatever it raises must be an
:class:`~ecservice.errors.EcServiceError`, and when it raises, the mint, wallet, purses, network
and archive must be exactly as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
import pendulum
from hypothesis import given, settings
from hypothesis import strategies as st

from ecservice.clock import FixedClock
from ecservice.errors import EcServiceError
from ecservice.money import Money
from ecservice.payments.ecash import (
    Coin,
    CoinSpend,
    CoinWallet,
    Denomination,
    DepositReceipt,
    HardenedBlindSigner,
    Mint,
    Planchet,
    PurePythonBlindSigner,
    RefundReceipt,
    WalletCoin,
    blind,
    contract_hash,
    denomination_id,
    finalize,
    generate_key,
    make_change,
    prepare,
    verify,
)
from ecservice.payments.ecash import hardened as hardened_module
from ecservice.payments.mondex import (
    Archive,
    Network,
    PaymentDetails,
    Purse,
    RateTable,
    StartFrom,
    StartTo,
    audit,
    transfer,
)
from tests.strategies import Hostile, hostile

KEY = generate_key(1024, allow_weak_key_for_tests=True)
SIGNER = PurePythonBlindSigner(KEY)
T0 = pendulum.datetime(2026, 11, 11, 9, 0, tz="Asia/Shanghai")
ORDER = contract_hash("fuzz order")


def cny(amount: str) -> Money:
    return Money(amount, "CNY")


@attrs.define
class World:
    """A mint with one denomination, a wallet holding a partly spent coin, purses, an archive."""

    clock: FixedClock
    mint: Mint
    denomination: Denomination
    wallet: CoinWallet
    coin: Coin
    spend: CoinSpend
    alice: Purse
    bob: Purse
    network: Network
    archive: Archive
    rates: RateTable

    def snapshot(self) -> tuple[Any, ...]:
        m, w = self.mint, self.wallet
        purses = [
            (p.status, p.payment, p.next_seq, dict(p.balances), p.exception_log, p.conversions)
            for p in (self.alice, self.bob)
        ]
        return (
            m.withdrawals,
            m.deposits,
            m.refunds,
            m.refreshes,
            m.payouts,
            m.reserve_balance("alice"),
            m.remaining_value(self.coin),
            m.denominations,
            w.balance,
            w.coins,
            w.remaining(self.coin.public_key),
            purses,
            self.network.in_flight,
            dict(self.archive.entries),
            self.archive.recoveries,
        )


def build() -> World:
    clock = FixedClock(T0)
    mint = Mint(clock, currency="CNY")
    denomination = mint.add_denomination(
        cny("5.00"),
        signer=SIGNER,
        withdraw_until=T0.add(days=30),
        deposit_until=T0.add(days=60),
    )
    mint.credit_reserve("alice", cny("20.00"))
    wallet = CoinWallet(clock, currency="CNY")
    coin = wallet.withdraw(mint, "alice", denomination)
    (spend,) = wallet.pay(cny("2.00"), merchant="teahouse", contract=ORDER)
    mint.deposit(spend)
    alice = Purse("alice", balances=[cny("50.00")], clock=clock, limits=[cny("100.00")])
    bob = Purse("bob", balances=[cny("5.00")], clock=clock)
    network = Network([alice, bob])
    network.start_transfer("alice", "bob", cny("1.00"))
    return World(
        clock,
        mint,
        denomination,
        wallet,
        coin,
        spend,
        alice,
        bob,
        network,
        Archive(clock=clock),
        RateTable({("CNY", "USD"): "0.14", ("USD", "CNY"): "7"}),
    )


Call = Callable[[World, Any], object]

#: One argument slot of one public call each; ``v`` is the hostile value.
CALLS: dict[str, Call] = {
    # mint
    "Mint(clock)": lambda w, v: Mint(v, currency="CNY"),
    "Mint(currency)": lambda w, v: Mint(w.clock, currency=v),
    "Mint(name)": lambda w, v: Mint(w.clock, currency="CNY", name=v),
    "add_denomination(value)": lambda w, v: w.mint.add_denomination(
        v, signer=SIGNER, withdraw_until=T0.add(days=1), deposit_until=T0.add(days=2)
    ),
    "add_denomination(withdraw_until)": lambda w, v: w.mint.add_denomination(
        cny("1.00"), signer=SIGNER, withdraw_until=v, deposit_until=T0.add(days=2)
    ),
    "add_denomination(valid_from)": lambda w, v: w.mint.add_denomination(
        cny("1.00"),
        signer=SIGNER,
        withdraw_until=T0.add(days=1),
        deposit_until=T0.add(days=2),
        valid_from=v,
    ),
    "add_denomination(variant)": lambda w, v: w.mint.add_denomination(
        cny("1.00"),
        signer=SIGNER,
        withdraw_until=T0.add(days=1),
        deposit_until=T0.add(days=2),
        variant=v,
    ),
    "credit_reserve(reserve)": lambda w, v: w.mint.credit_reserve(v, cny("1.00")),
    "credit_reserve(amount)": lambda w, v: w.mint.credit_reserve("alice", v),
    "reserve_balance": lambda w, v: w.mint.reserve_balance(v),
    "withdraw(reserve)": lambda w, v: w.mint.withdraw(v, w.denomination.id, bytes(128)),
    "withdraw(denomination)": lambda w, v: w.mint.withdraw("alice", v, bytes(128)),
    "withdraw(blinded)": lambda w, v: w.mint.withdraw("alice", w.denomination.id, v),
    "deposit": lambda w, v: w.mint.deposit(v),
    "refund(merchant)": lambda w, v: w.mint.refund(
        merchant=v, coin_public_key=w.coin.public_key, contract_hash=ORDER, amount=cny("1.00")
    ),
    "refund(coin)": lambda w, v: w.mint.refund(
        merchant="teahouse", coin_public_key=v, contract_hash=ORDER, amount=cny("1.00")
    ),
    "refund(contract)": lambda w, v: w.mint.refund(
        merchant="teahouse", coin_public_key=w.coin.public_key, contract_hash=v, amount=cny("1")
    ),
    "refund(amount)": lambda w, v: w.mint.refund(
        merchant="teahouse", coin_public_key=w.coin.public_key, contract_hash=ORDER, amount=v
    ),
    "pending_total": lambda w, v: w.mint.pending_total(v),
    "payout": lambda w, v: w.mint.payout(v),
    "refresh": lambda w, v: w.mint.refresh(v),
    "remaining_value": lambda w, v: w.mint.remaining_value(v),
    "denomination": lambda w, v: w.mint.denomination(v),
    # wallet
    "CoinWallet(clock)": lambda w, v: CoinWallet(v, currency="CNY"),
    "CoinWallet(currency)": lambda w, v: CoinWallet(w.clock, currency=v),
    "wallet.withdraw(mint)": lambda w, v: w.wallet.withdraw(v, "alice", w.denomination),
    "wallet.withdraw(reserve)": lambda w, v: w.wallet.withdraw(w.mint, v, w.denomination),
    "wallet.withdraw(denomination)": lambda w, v: w.wallet.withdraw(w.mint, "alice", v),
    "wallet.withdraw_amount": lambda w, v: w.wallet.withdraw_amount(w.mint, "alice", v),
    "wallet.pay(amount)": lambda w, v: w.wallet.pay(v, merchant="teahouse", contract=ORDER),
    "wallet.pay(merchant)": lambda w, v: w.wallet.pay(cny("0.01"), merchant=v, contract=ORDER),
    "wallet.pay(contract)": lambda w, v: w.wallet.pay(cny("0.01"), merchant="tea", contract=v),
    "wallet.refresh(mint)": lambda w, v: w.wallet.refresh(v, w.coin.public_key),
    "wallet.refresh(coin)": lambda w, v: w.wallet.refresh(w.mint, v),
    "wallet.remaining": lambda w, v: w.wallet.remaining(v),
    "wallet.wallet_coin": lambda w, v: w.wallet.wallet_coin(v),
    "wallet.apply_refund": lambda w, v: w.wallet.apply_refund(v),
    # values
    "Coin(public_key)": lambda w, v: Coin(v, w.denomination.id, b"s", b"m"),
    "CoinSpend(amount)": lambda w, v: attrs.evolve(w.spend, amount=v),
    "CoinSpend(merchant)": lambda w, v: attrs.evolve(w.spend, merchant=v),
    "CoinSpend(nonce)": lambda w, v: attrs.evolve(w.spend, nonce=v),
    "WalletCoin(key)": lambda w, v: WalletCoin(w.coin, w.denomination, v),
    "spend(amount)": lambda w, v: w.wallet.wallet_coin(w.coin.public_key).spend(
        v, merchant="teahouse", contract=ORDER
    ),
    "Planchet.create": lambda w, v: Planchet.create(v),
    "DepositReceipt(amount)": lambda w, v: attrs.evolve(w.mint.deposits[0], amount=v),
    "DepositReceipt(time)": lambda w, v: attrs.evolve(w.mint.deposits[0], deposited_at=v),
    "RefundReceipt(id)": lambda w, v: RefundReceipt(
        v, w.coin.public_key, "teahouse", ORDER, cny("1.00"), T0
    ),
    "DepositReceipt(id)": lambda w, v: DepositReceipt(
        v, w.coin.public_key, w.denomination.id, "tea", ORDER, cny("1"), bytes(64), T0
    ),
    "contract_hash": lambda w, v: contract_hash(v),
    "make_change(amount)": lambda w, v: make_change(v, [w.denomination]),
    "make_change(denominations)": lambda w, v: make_change(cny("1.00"), v),
    "denomination_id(key)": lambda w, v: denomination_id(v, cny("1.00")),
    # blind RSA
    "prepare": lambda w, v: prepare(v),
    "blind(key)": lambda w, v: blind(v, b"coin"),
    "blind(message)": lambda w, v: blind(KEY.public_key(), v),
    "finalize(blind_sig)": lambda w, v: finalize(KEY.public_key(), b"m", v, bytes(128)),
    "finalize(inv)": lambda w, v: finalize(KEY.public_key(), b"m", bytes(128), v),
    "verify(sig)": lambda w, v: verify(KEY.public_key(), b"m", v),
    "verify(message)": lambda w, v: verify(KEY.public_key(), v, bytes(128)),
    "PurePythonBlindSigner": lambda w, v: PurePythonBlindSigner(v),
    "PurePythonBlindSigner.blind_sign": lambda w, v: SIGNER.blind_sign(v),
    # Mondex
    "Purse(id)": lambda w, v: Purse(v),
    "Purse(balances)": lambda w, v: Purse("p", balances=v),
    "Purse([balance])": lambda w, v: Purse("p", balances=[v]),
    "Purse(next_seq)": lambda w, v: Purse("p", next_seq=v),
    "Purse(limits)": lambda w, v: Purse("p", limits=v),
    "Purse(clock)": lambda w, v: Purse("p", clock=v),
    "purse.balance": lambda w, v: w.alice.balance(v),
    "purse.can": lambda w, v: w.alice.can(v),
    "purse.receive": lambda w, v: w.bob.receive(v),
    "purse.start_from": lambda w, v: w.bob.start_from(v),
    "purse.req": lambda w, v: w.alice.req(v),
    "purse.val": lambda w, v: w.bob.val(v),
    "purse.ack": lambda w, v: w.alice.ack(v),
    "purse.convert(amount)": lambda w, v: w.bob.convert(v, "USD", w.rates),
    "purse.convert(target)": lambda w, v: w.bob.convert(cny("1.00"), v, w.rates),
    "purse.convert(rates)": lambda w, v: w.bob.convert(cny("1.00"), "USD", v),
    "purse.clear_exception_log": lambda w, v: w.alice.clear_exception_log(v),
    "StartFrom(to)": lambda w, v: StartFrom(v, cny("1.00"), 0),
    "StartTo(value)": lambda w, v: StartTo("alice", v, 0),
    "StartFrom(seq)": lambda w, v: StartFrom("bob", cny("1.00"), v),
    "PaymentDetails(value)": lambda w, v: PaymentDetails("a", "b", v, 0, 0),
    "RateTable(rates)": lambda w, v: RateTable(v),
    "RateTable(rate)": lambda w, v: RateTable({("USD", "CNY"): v}),
    "RateTable(rounding)": lambda w, v: RateTable({("USD", "CNY"): "7"}, rounding=v),
    "RateTable.rate": lambda w, v: w.rates.rate(v, v),
    "transfer(value)": lambda w, v: transfer(Purse("x", balances=[cny("9")]), Purse("y"), v),
    "transfer(purse)": lambda w, v: transfer(Purse("x", balances=[cny("9")]), v, cny("1")),
    "Network(purses)": lambda w, v: Network(v),
    "network.deliver": lambda w, v: w.network.deliver(v),
    "network.drop": lambda w, v: w.network.drop(v),
    "network.duplicate": lambda w, v: w.network.duplicate(v),
    "network.replay": lambda w, v: w.network.replay(v),
    "network.reorder": lambda w, v: w.network.reorder(v),
    "network.purse": lambda w, v: w.network.purse(v),
    "network.abort": lambda w, v: w.network.abort(v),
    "network.start_transfer(from)": lambda w, v: w.network.start_transfer(v, "bob", cny("1")),
    "network.start_transfer(value)": lambda w, v: w.network.start_transfer("bob", "alice", v),
    "network.start": lambda w, v: w.network.start("alice", v),
    "audit(purses)": lambda w, v: audit(v),
    "audit(archive)": lambda w, v: audit([w.alice], v),
    "archive.upload": lambda w, v: w.archive.upload(v),
    "archive.collect": lambda w, v: w.archive.collect(v),
    "archive.holds": lambda w, v: w.archive.holds(v, v),
    "archive.sides": lambda w, v: w.archive.sides(v),
    "archive.recover(details)": lambda w, v: w.archive.recover(v, w.alice),
    "archive.recover(purse)": lambda w, v: w.archive.recover(
        PaymentDetails("alice", "bob", cny("1.00"), 0, 0), v
    ),
    "archive.recover_all": lambda w, v: w.archive.recover_all(v),
    "archive.lost_value": lambda w, v: w.archive.lost_value(v),
    "Archive(clock)": lambda w, v: Archive(clock=v),
}
if hardened_module.AVAILABLE:
    HARDENED = HardenedBlindSigner(KEY)
    CALLS["HardenedBlindSigner"] = lambda w, v: HardenedBlindSigner(v)
    CALLS["HardenedBlindSigner.blind_sign"] = lambda w, v: HARDENED.blind_sign(v)


@settings(max_examples=400, deadline=None)
@given(name=st.sampled_from(sorted(CALLS)), value=hostile())
def test_only_library_errors_escape_and_nothing_changes(name: str, value: Hostile) -> None:
    world = build()
    before = world.snapshot()
    try:
        CALLS[name](world, value.make())
    except EcServiceError:
        assert world.snapshot() == before, f"{name} raised but changed state"
    except Exception as exc:  # pragma: no cover - the failure this test looks for
        raise AssertionError(
            f"{name}({value!r}) raised {type(exc).__name__}: {str(exc)[:200]}"
        ) from exc


def test_every_call_is_reachable_with_a_valid_world() -> None:
    """The fixture world is consistent: its snapshot is stable and the mint honours the coin."""
    world = build()
    assert world.snapshot() == world.snapshot()
    assert world.mint.remaining_value(world.coin) == cny("3.00")
