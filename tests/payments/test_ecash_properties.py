"""Property tests of e-cash: value is conserved, coins are never overspent, forgeries never verify.

The RSA keys are generated once for the module (1024-bit test keys) and example counts are small,
so the whole file runs in a few seconds.
"""

from __future__ import annotations

import decimal
from typing import Any

import attrs
import pendulum
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from ecservice.clock import FixedClock
from ecservice.errors import DoubleSpend, InsufficientFunds, InvalidSignature
from ecservice.money import Money, sum_money
from ecservice.payments.ecash import (
    AlreadyPaidOut,
    Coin,
    CoinSpend,
    CoinWallet,
    Denomination,
    DepositReceipt,
    Mint,
    PurePythonBlindSigner,
    RefundExceedsDeposit,
    RefundReceipt,
    blind_rsa,
    coin_message,
    contract_hash,
    generate_key,
)

KEYS: list[rsa.RSAPrivateKey] = [
    generate_key(1024, allow_weak_key_for_tests=True) for _ in range(7)
]
SIGNERS = [PurePythonBlindSigner(k) for k in KEYS]
OTHER_MINT_SIGNER = SIGNERS[6]
VALUES = ("5.00", "2.00", "1.00", "0.50", "0.10", "0.01")
MERCHANTS = ("teahouse", "bookshop", "noodle-bar")
T0 = pendulum.datetime(2026, 11, 11, 9, 0, tz="Asia/Shanghai")
FAST = settings(max_examples=25, deadline=None)


def cny(amount: str) -> Money:
    return Money(amount, "CNY")


def cents(units: int) -> Money:
    return Money.from_minor(units, "CNY")


def new_mint(clock: FixedClock) -> tuple[Mint, list[Denomination]]:
    mint = Mint(clock, currency="CNY")
    denoms = [
        mint.add_denomination(
            cny(value),
            signer=signer,
            withdraw_until=T0.add(days=30),
            deposit_until=T0.add(days=60),
        )
        for value, signer in zip(VALUES, SIGNERS, strict=False)
    ]
    return mint, denoms


# One mint and one coin shared by the forgery properties: a forgery must never change them.
CLOCK = FixedClock(T0)
MINT, DENOMS = new_mint(CLOCK)
MINT.credit_reserve("alice", cny("5.00"))
WALLET = CoinWallet(CLOCK, currency="CNY")
COIN = WALLET.withdraw(MINT, "alice", DENOMS[0])
SECRET = WALLET.wallet_coin(COIN.public_key)
ORDER = contract_hash("order 1")
SPEND = SECRET.spend(cny("1.00"), merchant="teahouse", contract=ORDER)


def refused(coin: Coin) -> None:
    """Assert that ``coin`` fails verification and cannot be deposited, changing nothing."""
    spend = attrs.evolve(SPEND, coin=coin)
    with pytest.raises(InvalidSignature):
        coin.verify(DENOMS[0])
    with pytest.raises(InvalidSignature):
        MINT.deposit(spend)
    assert MINT.deposits == ()
    assert MINT.remaining_value(COIN) == cny("5.00")


# --- forged and altered coins never verify -------------------------------------------------------


@FAST
@given(index=st.integers(0, 127), mask=st.integers(1, 255))
def test_flipped_signature_bits_never_verify(index: int, mask: int) -> None:
    sig = bytearray(COIN.signature)
    sig[index % len(sig)] ^= mask
    refused(attrs.evolve(COIN, signature=bytes(sig)))


@FAST
@given(index=st.integers(0, 10_000), mask=st.integers(1, 255))
def test_altered_prepared_messages_never_verify(index: int, mask: int) -> None:
    msg = bytearray(COIN.prepared_message)
    msg[index % len(msg)] ^= mask
    refused(attrs.evolve(COIN, prepared_message=bytes(msg)))


@FAST
@given(key=st.binary(min_size=32, max_size=32), rebind=st.booleans())
def test_swapped_coin_keys_never_verify(key: bytes, rebind: bool) -> None:
    if key == COIN.public_key:
        return
    prepared = COIN.prepared_message
    if rebind:  # also rewrite the message so it names the new key
        prepared = prepared[:32] + coin_message(key, COIN.denomination_id)
    refused(attrs.evolve(COIN, public_key=key, prepared_message=prepared))


@FAST
@given(denom=st.sampled_from(DENOMS[1:]), rebind=st.booleans())
def test_swapped_denominations_never_verify(denom: Denomination, rebind: bool) -> None:
    prepared = COIN.prepared_message
    if rebind:
        prepared = prepared[:32] + coin_message(COIN.public_key, denom.id)
    forged = attrs.evolve(COIN, denomination_id=denom.id, prepared_message=prepared)
    with pytest.raises(InvalidSignature):
        forged.verify(denom)
    with pytest.raises(InvalidSignature):
        MINT.deposit(attrs.evolve(SPEND, coin=forged))
    assert MINT.deposits == ()


@FAST
@given(denom=st.sampled_from(DENOMS), key=st.binary(min_size=32, max_size=32))
def test_coins_signed_with_another_mints_key_never_verify(denom: Denomination, key: bytes) -> None:
    """A genuine RSA signature, but by a key that is not the claimed denomination's."""
    prepared = blind_rsa.prepare(coin_message(key, denom.id))
    blinded, inv = blind_rsa.blind(OTHER_MINT_SIGNER.public_key, prepared)
    blind_sig = OTHER_MINT_SIGNER.blind_sign(blinded)
    sig = blind_rsa.finalize(OTHER_MINT_SIGNER.public_key, prepared, blind_sig, inv)
    forged = Coin(key, denom.id, sig, prepared)
    with pytest.raises(InvalidSignature):
        forged.verify(denom)
    with pytest.raises(InvalidSignature):
        MINT.deposit(attrs.evolve(SPEND, coin=forged))
    assert MINT.deposits == ()


@FAST
@given(
    amount=st.integers(1, 500).map(cents),
    merchant=st.text(min_size=1, max_size=20).filter(lambda m: m == m.strip() and m.isprintable()),
    contract=st.binary(min_size=1, max_size=64),
)
def test_spends_altered_after_signing_never_verify(
    amount: Money, merchant: str, contract: bytes
) -> None:
    candidates = [
        attrs.evolve(SPEND, amount=amount),
        attrs.evolve(SPEND, merchant=merchant),
        attrs.evolve(SPEND, contract_hash=contract),
    ]
    for altered in candidates:
        if altered == SPEND:
            continue
        with pytest.raises(InvalidSignature):
            altered.verify_signature()
        with pytest.raises(InvalidSignature):
            MINT.deposit(altered)
    assert MINT.deposits == ()


# --- a coin is never overspent -------------------------------------------------------------------


@FAST
@given(
    ops=st.lists(
        st.tuples(st.sampled_from(["spend", "refund"]), st.integers(1, 600), st.integers(0, 99)),
        max_size=12,
    )
)
def test_spends_minus_refunds_never_exceed_the_coin_value(
    ops: list[tuple[str, int, int]],
) -> None:
    """Deposits are accepted exactly while value remains; refunds give value back."""
    clock = FixedClock(T0)
    mint, denoms = new_mint(clock)
    mint.credit_reserve("alice", cny("5.00"))
    wallet = CoinWallet(clock, currency="CNY")
    coin = wallet.withdraw(mint, "alice", denoms[0])
    secret = wallet.wallet_coin(coin.public_key)
    value = denoms[0].value
    spent, refunded = cny("0"), cny("0")
    receipts: list[DepositReceipt] = []
    for n, (op, units, pick) in enumerate(ops):
        amount = cents(units)
        remaining = value - spent + refunded
        if op == "spend":
            spend = secret.spend(amount, merchant="teahouse", contract=contract_hash(str(n)))
            if amount > value:
                with pytest.raises(InsufficientFunds):
                    mint.deposit(spend)
            elif amount > remaining:
                with pytest.raises(DoubleSpend):
                    mint.deposit(spend)
            else:
                receipts.append(mint.deposit(spend))
                spent = spent + amount
        elif receipts:
            receipt = receipts[pick % len(receipts)]
            already = sum_money(
                (
                    r.amount
                    for r in mint.refunds
                    if (r.coin_public_key, r.contract_hash)
                    == (receipt.coin_public_key, receipt.contract_hash)
                ),
                "CNY",
            )
            if amount > receipt.amount - already:
                with pytest.raises(RefundExceedsDeposit):
                    mint.refund(
                        merchant="teahouse",
                        coin_public_key=coin.public_key,
                        contract_hash=receipt.contract_hash,
                        amount=amount,
                    )
            else:
                mint.refund(
                    merchant="teahouse",
                    coin_public_key=coin.public_key,
                    contract_hash=receipt.contract_hash,
                    amount=amount,
                )
                refunded = refunded + amount
        assert spent - refunded <= value
        assert mint.remaining_value(coin) == value - spent + refunded
        assert cny("0") <= mint.remaining_value(coin) <= value


# --- the ledger as a state machine ---------------------------------------------------------------


@attrs.define
class _Order:
    receipt: DepositReceipt
    refunded: Money
    paid: bool = False

    @property
    def net(self) -> Money:
        return self.receipt.amount - self.refunded


class EcashLedger(RuleBasedStateMachine):
    """A customer withdraws, pays, refreshes; merchants deposit, refund, are paid out.

    After every step: value withdrawn equals the coins' unspent remainders plus deposits less
    refunds, and the wallet and the mint agree on every coin.
    """

    CREDIT = cny("12.00")

    def __init__(self) -> None:
        super().__init__()
        self.clock = FixedClock(T0)
        self.mint, self.denoms = new_mint(self.clock)
        self.mint.credit_reserve("alice", self.CREDIT)
        self.wallet = CoinWallet(self.clock, currency="CNY")
        self.orders: list[tuple[CoinSpend, _Order]] = []
        self.contracts = 0

    def _contract(self) -> bytes:
        self.contracts += 1
        return contract_hash(f"order {self.contracts}")

    def _snapshot(self) -> tuple[Any, ...]:
        m = self.mint
        return (
            m.withdrawals,
            m.deposits,
            m.refunds,
            m.refreshes,
            m.payouts,
            m.reserve_balance("alice"),
            tuple(m.remaining_value(c) for c in self.wallet.coins),
            self.wallet.balance,
        )

    def _partly_spent(self) -> list[Coin]:
        return [
            c
            for c in self.wallet.coins
            if self.mint.remaining_value(c) < self.mint.denomination(c.denomination_id).value
        ]

    def _live(self) -> list[Coin]:
        return [c for c in self.wallet.coins if self.wallet.remaining(c.public_key).amount > 0]

    # --- rules -----------------------------------------------------------------------------------

    @initialize(indexes=st.lists(st.integers(0, len(VALUES) - 1), min_size=1, max_size=2))
    def start_with_coins(self, indexes: list[int]) -> None:
        for index in indexes:
            self.wallet.withdraw(self.mint, "alice", self.denoms[index])

    @rule(index=st.integers(0, len(VALUES) - 1))
    def withdraw(self, index: int) -> None:
        denomination = self.denoms[index]
        if self.mint.reserve_balance("alice") < denomination.value:
            before = self._snapshot()
            with pytest.raises(InsufficientFunds):
                self.wallet.withdraw(self.mint, "alice", denomination)
            assert self._snapshot() == before
        else:
            coin = self.wallet.withdraw(self.mint, "alice", denomination)
            assert self.mint.remaining_value(coin) == denomination.value

    @precondition(lambda self: self.wallet.balance.amount > 0)
    @rule(percent=st.integers(1, 100), merchant=st.sampled_from(MERCHANTS))
    def pay_and_deposit(self, percent: int, merchant: str) -> None:
        amount = Money.of(
            self.wallet.balance.amount * percent / 100, "CNY", rounding=decimal.ROUND_DOWN
        )
        if amount.is_zero():
            amount = cny("0.01")
        spends = self.wallet.pay(amount, merchant=merchant, contract=self._contract())
        assert sum_money((s.amount for s in spends), "CNY") == amount
        for spend in spends:
            receipt = self.mint.deposit(spend)
            self.orders.append((spend, _Order(receipt, cny("0"))))

    @precondition(lambda self: bool(self.orders))
    @rule(pick=st.integers(0, 10**6))
    def replay_deposit(self, pick: int) -> None:
        spend, order = self.orders[pick % len(self.orders)]
        before = self._snapshot()
        assert self.mint.deposit(spend) == order.receipt
        assert self._snapshot() == before

    @rule(
        pick=st.integers(0, 10**6), extra=st.integers(1, 500), merchant=st.sampled_from(MERCHANTS)
    )
    def conflicting_deposit(self, pick: int, extra: int, merchant: str) -> None:
        used = [
            c
            for c in self.wallet.coins
            if self.mint.remaining_value(c) < self.mint.denomination(c.denomination_id).value
        ]
        if not used:
            return
        coin = used[pick % len(used)]
        value = self.mint.denomination(coin.denomination_id).value
        amount = min(self.mint.remaining_value(coin) + cents(extra), value)
        spend = self.wallet.wallet_coin(coin.public_key).spend(
            amount, merchant=merchant, contract=self._contract()
        )
        before = self._snapshot()
        with pytest.raises(DoubleSpend):
            self.mint.deposit(spend)
        assert self._snapshot() == before

    @precondition(lambda self: bool(self.orders))
    @rule(pick=st.integers(0, 10**6), percent=st.integers(1, 120))
    def refund(self, pick: int, percent: int) -> None:
        spend, order = self.orders[pick % len(self.orders)]
        amount = Money.of(
            order.receipt.amount.amount * percent / 100, "CNY", rounding=decimal.ROUND_DOWN
        )
        if amount.is_zero():
            amount = cny("0.01")

        def do_refund() -> RefundReceipt:
            return self.mint.refund(
                merchant=spend.merchant,
                coin_public_key=spend.coin.public_key,
                contract_hash=spend.contract_hash,
                amount=amount,
            )

        # A refund draws on every deposit of this coin for this merchant and contract (the
        # order may have been paid more than once), unpaid ones first, in deposit order.
        key = (spend.coin.public_key, spend.merchant, spend.contract_hash)
        group = [
            o for s, o in self.orders if (s.coin.public_key, s.merchant, s.contract_hash) == key
        ]
        net = sum_money((o.net for o in group), "CNY")
        unpaid = [o for o in group if not o.paid]
        before = self._snapshot()
        if amount > net:
            with pytest.raises(RefundExceedsDeposit):
                do_refund()
            assert self._snapshot() == before
        elif amount > sum_money((o.net for o in unpaid), "CNY"):
            with pytest.raises(AlreadyPaidOut):
                do_refund()
            assert self._snapshot() == before
        else:
            self.wallet.apply_refund(do_refund())
            left = amount
            for member in unpaid:
                take = min(left, member.net)
                member.refunded = member.refunded + take
                left = left - take

    @precondition(lambda self: bool(self.orders))
    @rule(pick=st.integers(0, 10**6))
    def pay_the_same_order_again(self, pick: int) -> None:
        """Paying an order again (after a refund, say) is a new payment the mint credits."""
        spend, _ = self.orders[pick % len(self.orders)]
        if self.wallet.balance < spend.amount:
            return
        owed = self.mint.pending_total(spend.merchant)
        known = {d.deposit_id for d in self.mint.deposits}
        spends = self.wallet.pay(
            spend.amount, merchant=spend.merchant, contract=spend.contract_hash
        )
        for again in spends:
            receipt = self.mint.deposit(again)
            assert receipt.deposit_id not in known
            self.orders.append((again, _Order(receipt, cny("0"))))
        assert self.mint.pending_total(spend.merchant) == owed + spend.amount

    @precondition(lambda self: bool(self.orders))
    @rule(merchant=st.sampled_from(MERCHANTS))
    def payout(self, merchant: str) -> None:
        due = [o for s, o in self.orders if s.merchant == merchant and not o.paid]
        expected = sum_money((o.net for o in due), "CNY")
        assert self.mint.payout(merchant) == expected
        for order in due:
            order.paid = True
        assert self.mint.pending_total(merchant) == cny("0")

    @precondition(lambda self: bool(self._live()))
    @rule(pick=st.integers(0, 10**6))
    def refresh(self, pick: int) -> None:
        live = self._live()
        coin = live[pick % len(live)]
        remainder = self.wallet.remaining(coin.public_key)
        fresh = self.wallet.refresh(self.mint, coin.public_key)
        issued = sum_money((self.mint.remaining_value(c) for c in fresh), "CNY")
        assert issued == remainder
        assert self.mint.remaining_value(coin) == cny("0")

    # --- invariants ------------------------------------------------------------------------------

    @invariant()
    def value_is_conserved(self) -> None:
        m = self.mint
        withdrawn = sum_money(
            (m.denomination(r.denomination_id).value for r in m.withdrawals), "CNY"
        )
        remainders = sum_money((m.remaining_value(c) for c in self.wallet.coins), "CNY")
        deposits = sum_money((d.amount for d in m.deposits), "CNY")
        refunds = sum_money((r.amount for r in m.refunds), "CNY")
        assert withdrawn == remainders + deposits - refunds
        assert m.reserve_balance("alice") + withdrawn == self.CREDIT

    @invariant()
    def wallet_and_mint_agree_on_every_coin(self) -> None:
        for coin in self.wallet.coins:
            value = self.mint.denomination(coin.denomination_id).value
            left = self.mint.remaining_value(coin)
            assert self.wallet.remaining(coin.public_key) == left
            assert cny("0") <= left <= value

    @invariant()
    def no_coin_is_overspent(self) -> None:
        m = self.mint
        for coin in self.wallet.coins:
            key = coin.public_key
            spent = sum_money((d.amount for d in m.deposits if d.coin_public_key == key), "CNY")
            back = sum_money((r.amount for r in m.refunds if r.coin_public_key == key), "CNY")
            melted = sum_money((r.amount for r in m.refreshes if r.coin_public_key == key), "CNY")
            assert spent - back + melted <= m.denomination(coin.denomination_id).value

    @invariant()
    def merchants_are_paid_or_owed_what_they_kept(self) -> None:
        m = self.mint
        paid = sum_money((p.amount for p in m.payouts), "CNY")
        owed = sum_money((m.pending_total(x) for x in MERCHANTS), "CNY")
        deposits = sum_money((d.amount for d in m.deposits), "CNY")
        refunds = sum_money((r.amount for r in m.refunds), "CNY")
        assert paid + owed == deposits - refunds


TestEcashLedger = EcashLedger.TestCase
TestEcashLedger.settings = settings(max_examples=40, stateful_step_count=20, deadline=None)
