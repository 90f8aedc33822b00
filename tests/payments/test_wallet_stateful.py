"""Property-based tests: the wallet's books stay consistent under any sequence of operations.

A hypothesis ``RuleBasedStateMachine`` credits, pays, authorises, captures (whole, partial,
replayed, conflicting) and releases in three currencies with different minor units (CNY 2,
JPY 0, KWD 3), using the PIN or a session, and mixes in operations that must fail (too much,
zero, wrong currency, unknown or settled holds, wrong PIN). Next to the wallet it keeps a model
(available per currency, each hold's amount and state). After every step it checks:

* no available or held amount is ever negative;
* per currency, ``available`` is the sum of the ledger's available deltas, ``held`` the sum of
  its held deltas, and ``available + held`` the sum of its net amounts;
* each hold's share of the held column in the ledger is its amount while open, zero once settled;
* the wallet agrees with the model;
* its ledger and holds load back through :meth:`StoredValue.restore` with the same balances;

and every failed operation leaves the wallet exactly as it was.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from functools import partial

import pendulum
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from ecservice.clock import FixedClock
from ecservice.errors import (
    CurrencyMismatch,
    EcServiceError,
    InsufficientFunds,
    InvalidAmount,
)
from ecservice.money import Currency, Money, currency, sum_money
from ecservice.payments.wallet import (
    EWallet,
    HoldSettled,
    HoldStatus,
    KdfParams,
    PinPolicy,
    StoredValue,
    UnknownHold,
    WalletSession,
    WrongPin,
)

PIN = "2468"
CODES = ("CNY", "JPY", "KWD")
CURRENCIES: tuple[Currency, ...] = tuple(currency(c) for c in CODES)

cur_st = st.sampled_from(CURRENCIES)
units_st = st.integers(min_value=1, max_value=50_000)
picks = st.integers(min_value=0, max_value=10_000)


class WalletBooks(RuleBasedStateMachine):
    """An e-wallet against a model of available value and holds."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = FixedClock(pendulum.datetime(2026, 11, 11, tz="Asia/Shanghai"))
        self.wallet = EWallet(
            "alice",
            PIN,
            clock=self.clock,
            kdf=KdfParams(n=2**4),
            policy=PinPolicy(session_ttl=_dt.timedelta(days=365)),
            wallet_id="w-prop",
        )
        self.session = self.wallet.open_session(PIN)
        self.available: dict[Currency, int] = dict.fromkeys(CURRENCIES, 0)  # minor units
        # hold id -> (currency, amount in minor units, status, captured minor units)
        self.holds: dict[str, tuple[Currency, int, HoldStatus, int]] = {}

    # --- helpers -----------------------------------------------------------------------------

    def auth(self, use_pin: bool) -> str | WalletSession:
        return PIN if use_pin else self.session

    def snapshot(self) -> object:
        w = self.wallet
        return (
            [(w.available(c), w.held(c)) for c in CURRENCIES],
            w.ledger,
            w.holds(None),
            w.failed_attempts,
        )

    def expect_failure(
        self,
        error: type[EcServiceError] | tuple[type[EcServiceError], ...],
        call: Callable[[], object],
    ) -> None:
        before = self.snapshot()
        try:
            call()
        except error:
            pass
        else:
            raise AssertionError(f"expected {error}")
        assert self.snapshot() == before, "a failed operation changed the wallet"

    def pick_hold(self, pick: int, status: HoldStatus | None = None) -> str | None:
        ids = [h for h, v in self.holds.items() if status is None or v[2] is status]
        return ids[pick % len(ids)] if ids else None

    # --- rules -------------------------------------------------------------------------------

    @rule(cur=cur_st, units=units_st)
    def credit(self, cur: Currency, units: int) -> None:
        self.wallet.credit(Money.from_minor(units, cur), "top-up")
        self.available[cur] += units

    @rule(cur=cur_st, units=units_st, use_pin=st.booleans())
    def pay(self, cur: Currency, units: int, use_pin: bool) -> None:
        amount = Money.from_minor(units, cur)
        if units > self.available[cur]:
            self.expect_failure(
                InsufficientFunds, lambda: self.wallet.pay(amount, "order", auth=self.auth(use_pin))
            )
            return
        entry = self.wallet.pay(amount, "order", auth=self.auth(use_pin))
        assert entry.amount == amount
        self.available[cur] -= units

    @rule(cur=cur_st, units=units_st, use_pin=st.booleans())
    def authorize(self, cur: Currency, units: int, use_pin: bool) -> None:
        amount = Money.from_minor(units, cur)
        if units > self.available[cur]:
            self.expect_failure(
                InsufficientFunds,
                lambda: self.wallet.authorize(amount, "order", auth=self.auth(use_pin)),
            )
            return
        hold = self.wallet.authorize(amount, "order", auth=self.auth(use_pin))
        assert hold.hold_id not in self.holds
        assert hold.is_open
        self.holds[hold.hold_id] = (cur, units, HoldStatus.OPEN, 0)
        self.available[cur] -= units

    @precondition(lambda self: any(v[2] is HoldStatus.OPEN for v in self.holds.values()))
    @rule(pick=picks, numerator=st.integers(min_value=1, max_value=8))
    def capture(self, pick: int, numerator: int) -> None:
        hold_id = self.pick_hold(pick, HoldStatus.OPEN)
        assert hold_id is not None
        cur, units, _, _ = self.holds[hold_id]
        take = max(1, units * numerator // 8)
        amount = Money.from_minor(take, cur) if numerator < 8 or pick % 2 else None
        hold = self.wallet.capture(hold_id, amount)
        assert hold.captured == Money.from_minor(take, cur)
        assert hold.released == Money.from_minor(units - take, cur)
        self.holds[hold_id] = (cur, units, HoldStatus.CAPTURED, take)
        self.available[cur] += units - take

    @precondition(lambda self: any(v[2] is HoldStatus.OPEN for v in self.holds.values()))
    @rule(pick=picks)
    def release(self, pick: int) -> None:
        hold_id = self.pick_hold(pick, HoldStatus.OPEN)
        assert hold_id is not None
        cur, units, _, _ = self.holds[hold_id]
        assert self.wallet.release(hold_id).status is HoldStatus.RELEASED
        self.holds[hold_id] = (cur, units, HoldStatus.RELEASED, 0)
        self.available[cur] += units

    @precondition(lambda self: any(v[2] is not HoldStatus.OPEN for v in self.holds.values()))
    @rule(pick=picks)
    def replay_settlement(self, pick: int) -> None:
        """Replaying the same capture or release returns the same hold and changes nothing."""
        hold_id = self.pick_hold(pick, HoldStatus.CAPTURED) or self.pick_hold(
            pick, HoldStatus.RELEASED
        )
        assert hold_id is not None
        cur, _, status, captured = self.holds[hold_id]
        before = self.snapshot()
        if status is HoldStatus.CAPTURED:
            again = self.wallet.capture(hold_id, Money.from_minor(captured, cur))
        else:
            again = self.wallet.release(hold_id)
        assert again == self.wallet.hold(hold_id)
        assert again.status is status
        assert self.snapshot() == before

    # --- operations that must fail and change nothing ----------------------------------------

    @precondition(lambda self: any(v[2] is not HoldStatus.OPEN for v in self.holds.values()))
    @rule(pick=picks)
    def conflicting_settlement(self, pick: int) -> None:
        hold_id = self.pick_hold(pick)
        assert hold_id is not None
        _cur, units, status, captured = self.holds[hold_id]
        if status is HoldStatus.CAPTURED:
            self.expect_failure(HoldSettled, lambda: self.wallet.release(hold_id))
            if captured != units:
                self.expect_failure(HoldSettled, lambda: self.wallet.capture(hold_id))
        elif status is HoldStatus.RELEASED:
            self.expect_failure(HoldSettled, lambda: self.wallet.capture(hold_id))

    @precondition(lambda self: any(v[2] is HoldStatus.OPEN for v in self.holds.values()))
    @rule(pick=picks, extra=st.integers(min_value=1, max_value=1_000))
    def bad_capture(self, pick: int, extra: int) -> None:
        hold_id = self.pick_hold(pick, HoldStatus.OPEN)
        assert hold_id is not None
        cur, units, _, _ = self.holds[hold_id]
        other = CURRENCIES[(CURRENCIES.index(cur) + 1) % len(CURRENCIES)]
        self.expect_failure(
            InvalidAmount,
            lambda: self.wallet.capture(hold_id, Money.from_minor(units + extra, cur)),
        )
        self.expect_failure(
            CurrencyMismatch, lambda: self.wallet.capture(hold_id, Money.from_minor(1, other))
        )
        self.expect_failure(InvalidAmount, lambda: self.wallet.capture(hold_id, Money.zero(cur)))

    @rule(pick=picks)
    def unknown_hold(self, pick: int) -> None:
        missing = f"H{len(self.holds) + 1 + pick:06d}"
        self.expect_failure(UnknownHold, lambda: self.wallet.capture(missing))
        self.expect_failure(UnknownHold, lambda: self.wallet.release(missing))

    @rule(cur=cur_st, use_pin=st.booleans())
    def zero_or_negative(self, cur: Currency, use_pin: bool) -> None:
        auth = self.auth(use_pin)
        for amount in (Money.zero(cur), Money.from_minor(-1, cur)):
            calls: list[Callable[[], object]] = [
                partial(self.wallet.credit, amount, "x"),
                partial(self.wallet.pay, amount, "x", auth=auth),
                partial(self.wallet.authorize, amount, "x", auth=auth),
            ]
            for call in calls:
                self.expect_failure(InvalidAmount, call)

    @rule(cur=cur_st, units=units_st)
    def wrong_pin(self, cur: Currency, units: int) -> None:
        """A wrong PIN fails the payment and changes only the failure count."""
        before = self.snapshot()
        try:
            self.wallet.pay(Money.from_minor(units, cur), "x", auth="0000")
        except WrongPin:
            pass
        else:
            raise AssertionError("a wrong PIN was accepted")
        after = self.snapshot()
        assert isinstance(before, tuple)
        assert isinstance(after, tuple)
        assert after[:3] == before[:3]
        assert after[3] == before[3] + 1
        self.wallet.verify_pin(PIN)  # reset, so the machine never locks itself out

    # --- invariants --------------------------------------------------------------------------

    @invariant()
    def books_balance(self) -> None:
        ledger = self.wallet.ledger
        assert [e.seq for e in ledger] == list(range(1, len(ledger) + 1))
        for cur in CURRENCIES:
            entries = [e for e in ledger if e.amount.currency == cur]
            available, held = self.wallet.available(cur), self.wallet.held(cur)
            assert not available.is_negative()
            assert not held.is_negative()
            assert available == sum_money((e.available_delta for e in entries), cur)
            assert held == sum_money((e.held_delta for e in entries), cur)
            assert available + held == sum_money((e.net for e in entries), cur)
            assert available == Money.from_minor(self.available[cur], cur)
            open_units = sum(
                v[1] for v in self.holds.values() if v[0] == cur and v[2] is HoldStatus.OPEN
            )
            assert held == Money.from_minor(open_units, cur)

    @invariant()
    def holds_match_ledger(self) -> None:
        ledger = self.wallet.ledger
        for hold in self.wallet.holds(None):
            share = sum_money(
                (e.held_delta for e in ledger if e.hold_id == hold.hold_id), hold.amount.currency
            )
            expected = hold.amount if hold.is_open else Money.zero(hold.amount.currency)
            assert share == expected
            cur, units, status, _captured = self.holds[hold.hold_id]
            assert hold.status is status
            assert hold.amount == Money.from_minor(units, cur)
        assert len(self.wallet.holds(None)) == len(self.holds)

    @invariant()
    def books_reload(self) -> None:
        """What the wallet would store loads back (the checks of ``restore`` accept every state
        the wallet can reach) and gives the same balances."""
        books = StoredValue.restore(self.clock, self.wallet.ledger, self.wallet.holds(None))
        for cur in CURRENCIES:
            assert books.available(cur) == self.wallet.available(cur)
            assert books.held(cur) == self.wallet.held(cur)
        assert books.next_hold_id() == f"H{len(self.holds) + 1:06d}"


WalletBooks.TestCase.settings = settings(max_examples=60, stateful_step_count=40, deadline=None)
TestWalletBooks = WalletBooks.TestCase
