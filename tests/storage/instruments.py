"""Real payment instruments for the storage tests: a mint, coin wallets and purses driven through
generated operations, with helpers that compare everything they show.

Operations the library refuses (an :class:`~ecservice.errors.EcServiceError`) are part of a run and
change nothing. Keys are made once per session (1024-bit RSA, for speed): the tests are about
storage, not key strength.
"""

from __future__ import annotations

import contextlib
import functools
import json
from typing import Any

import pendulum

from ecservice.clock import FixedClock
from ecservice.errors import EcServiceError
from ecservice.money import Money
from ecservice.payments.ecash import (
    BlindSigner,
    CoinSpend,
    CoinWallet,
    Mint,
    PurePythonBlindSigner,
    contract_hash,
    generate_key,
)
from ecservice.payments.mondex import Archive, Purse, RateTable, StartFrom, StartTo

__all__ = [
    "CNY",
    "OPS",
    "PURSE_OPS",
    "START",
    "EcashWorld",
    "PurseWorld",
    "cny",
    "mint_view",
    "purse_view",
    "signers",
    "through_json",
    "wallet_view",
]

START = pendulum.datetime(2026, 11, 11, 10, tz="Asia/Shanghai")
CNY = "CNY"
VALUES = ("5.00", "1.00", "0.50")
MERCHANTS = ("teahouse", "bookshop")
RATES = RateTable({("CNY", "USD"): "0.14", ("USD", "CNY"): "7.10"})


def cny(amount: str) -> Money:
    return Money(amount, CNY)


def through_json(document: object) -> Any:
    """``document`` as a store gives it back: written as JSON text and parsed again."""
    return json.loads(json.dumps(document, ensure_ascii=False, allow_nan=False))


@functools.cache
def signers() -> tuple[BlindSigner, ...]:
    """One signer per denomination value, made once."""
    return tuple(
        PurePythonBlindSigner(generate_key(1024, allow_weak_key_for_tests=True)) for _ in VALUES
    )


def a_mint(clock: FixedClock) -> Mint:
    mint = Mint(clock, currency=CNY, name="test-mint")
    for value, signer in zip(VALUES, signers(), strict=True):
        mint.add_denomination(
            cny(value),
            signer=signer,
            withdraw_until=clock.now().add(days=30),
            deposit_until=clock.now().add(days=60),
        )
    return mint


def mint_view(mint: Mint) -> dict[str, Any]:
    """Everything a mint shows."""
    coins = {d.coin_public_key for d in mint.deposits} | {r.coin_public_key for r in mint.refreshes}
    return {
        "name": mint.name,
        "currency": mint.currency,
        "version": mint.version,
        "denominations": [(d.id, d.value, d.withdraw_until) for d in mint.denominations],
        "reserves": mint.reserves,
        "withdrawals": mint.withdrawals,
        "deposits": mint.deposit_states(),
        "refunds": mint.refunds,
        "refreshes": mint.refreshes,
        "payouts": mint.payouts,
        "pending": [mint.pending_total(m) for m in MERCHANTS],
        "coins": sorted(coins),
    }


def wallet_view(wallet: CoinWallet) -> dict[str, Any]:
    """Everything a coin wallet shows, its coin keys included."""
    return {
        "id": wallet.wallet_id,
        "currency": wallet.currency,
        "version": wallet.version,
        "balance": wallet.balance,
        "expired": wallet.expired_balance,
        "coins": [
            (c, wallet.remaining(c.public_key), wallet.export_coin_key(c.public_key))
            for c in wallet.coins
        ],
        "applied": wallet.applied_refunds,
    }


def purse_view(purse: Purse) -> dict[str, Any]:
    """Everything a purse shows."""
    return {
        "id": purse.id,
        "version": purse.version,
        "status": purse.status,
        "next_seq": purse.next_seq,
        "payment": purse.payment,
        "balances": dict(purse.balances),
        "limits": dict(purse.limits),
        "log": purse.exception_log,
        "conversions": purse.conversions,
        "recovered": purse.recovered,
        "allowed": purse.allowed_triggers(),
    }


class EcashWorld:
    """A mint, one buyer's coin wallet and the spends merchants deposited."""

    def __init__(self) -> None:
        self.clock = FixedClock(START)
        self.mint = a_mint(self.clock)
        self.mint.credit_reserve("alice", cny("20.00"))
        self.wallet = CoinWallet(self.clock, currency=CNY, wallet_id="cw-alice")
        self.deposited: list[CoinSpend] = []

    def step(self, op: str, n: int) -> None:
        """Run one operation; a refused one changes nothing."""
        with contextlib.suppress(EcServiceError):
            getattr(self, f"_{op}")(n)

    def _credit(self, n: int) -> None:
        self.mint.credit_reserve("alice", cny(VALUES[n % 3]))

    def _withdraw(self, n: int) -> None:
        denomination = self.mint.denominations[n % 3]
        self.wallet.withdraw(self.mint, "alice", denomination)

    def _pay(self, n: int) -> None:
        amount = cny(("0.50", "1.00", "2.50", "0.20")[n % 4])
        merchant = MERCHANTS[n % 2]
        spends = self.wallet.pay(amount, merchant=merchant, contract=contract_hash(f"order {n}"))
        for spend in spends:
            self.mint.deposit(spend)
            self.deposited.append(spend)

    def _replay(self, n: int) -> None:
        if self.deposited:
            spend = self.deposited[n % len(self.deposited)]
            before = self.mint.deposits
            receipt = self.mint.deposit(spend)
            assert self.mint.deposits == before
            assert receipt in before

    def _refund(self, n: int) -> None:
        if self.deposited:
            spend = self.deposited[n % len(self.deposited)]
            receipt = self.mint.refund(
                merchant=spend.merchant,
                coin_public_key=spend.coin.public_key,
                contract_hash=spend.contract_hash,
                amount=cny("0.10") if n % 2 else spend.amount,
            )
            self.wallet.apply_refund(receipt)

    def _refresh(self, n: int) -> None:
        coins = [c for c in self.wallet.coins if self.wallet.remaining(c.public_key).amount > 0]
        if coins:
            self.wallet.refresh(self.mint, coins[n % len(coins)].public_key, allow_loss=True)

    def _payout(self, n: int) -> None:
        self.mint.payout(MERCHANTS[n % 2])


OPS = ("credit", "withdraw", "pay", "replay", "refund", "refresh", "payout")


class PurseWorld:
    """Three purses, the messages in flight between them and an archive of their logs."""

    def __init__(self, purses: list[Purse]) -> None:
        self.purses = {p.id: p for p in purses}
        self.in_flight: list[Any] = []

    @staticmethod
    def fresh(clock: FixedClock) -> PurseWorld:
        return PurseWorld(
            [
                Purse("alice", [cny("100.00")], clock=clock),
                Purse("bob", [cny("20.00"), Money("5.00", "USD")], clock=clock),
                Purse("carol", clock=clock, limits=[cny("60.00")]),
            ]
        )

    def step(self, op: str, a: int, b: int, n: int, archive: Archive) -> str:
        """Run one operation; return what happened (the same text for twin worlds)."""
        ids = sorted(self.purses)
        try:
            count = len(ids)
            one = self.purses[ids[a % count]]
            other = self.purses[ids[(a + 1 + b % (count - 1)) % count]]
            return self._step(op, one, other, n, archive)
        except EcServiceError as exc:
            return f"{type(exc).__name__}: {exc}"

    def _step(self, op: str, one: Purse, other: Purse, n: int, archive: Archive) -> str:
        if op == "start":
            value = cny(("1.00", "5.00", "30.00", "70.00")[n % 4])
            to_seq, from_seq = other.next_seq, one.next_seq
            one.start_from(StartFrom(other.id, value, to_seq))
            outcome = other.start_to(StartTo(one.id, value, from_seq))
            self.in_flight += outcome.emitted
            return str(outcome)
        if op in ("deliver", "drop", "duplicate") and self.in_flight:
            message = self.in_flight[n % len(self.in_flight)]
            if op == "duplicate":
                self.in_flight.append(message)
                return f"duplicated {message}"
            self.in_flight.remove(message)
            if op == "drop":
                return f"dropped {message}"
            outcome = self.purses[message.recipient].receive(message)
            self.in_flight += outcome.emitted
            return str(outcome)
        if op == "abort":
            return str(one.abort())
        if op == "convert":
            return str(one.convert(cny(("1.00", "3.30")[n % 2]), "USD", RATES))
        if op == "collect":
            return str(archive.collect(one))
        if op == "recover":
            return str(archive.recover_all(list(self.purses.values())))
        return "nothing"


PURSE_OPS: tuple[str, ...] = ("start", "start", "deliver", "deliver", "deliver", "drop")
PURSE_OPS += ("duplicate", "abort", "abort", "convert", "collect", "recover")
