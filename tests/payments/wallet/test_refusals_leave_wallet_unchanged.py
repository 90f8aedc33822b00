"""A refused e-wallet operation leaves the wallet exactly as it was; a PIN that is not text is
refused without being counted.

The one change a refusal may make is the wallet's lock-out rule: a wrong PIN adds a failure
(and the failure that reaches the limit locks the wallet and closes its sessions), and that call
counts in ``version`` so that storage saves it. Everything else (balances, ledger, holds, cards,
holdings, sessions, the PIN record, ``version``) is compared as a full snapshot before and after
every refused call, over random sequences of valid and invalid calls.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pendulum
import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecservice.clock import FixedClock
from ecservice.errors import EcServiceError, InsufficientFunds, InvalidAmount, ValidationError
from ecservice.money import Currency, Money, currency
from ecservice.payments.wallet import (
    CardExpired,
    CardReference,
    EWallet,
    Holding,
    HoldingKind,
    InvalidSession,
    KdfParams,
    PinPolicy,
    WalletLocked,
    WalletSession,
    WrongPin,
)

PIN, OTHER_PIN, NEW_PIN = "2468", "1357", "8642"
FAST = KdfParams(n=2**4)
T0 = pendulum.datetime(2026, 11, 11, 9, 0, tz="Asia/Shanghai")
CURRENCIES: tuple[Currency, ...] = (currency("CNY"), currency("JPY"))
GATEWAY_KEY = X25519PrivateKey.generate().public_key()
CARDS = (
    CardReference("tok_1", "visa", "4242", exp_month=12, exp_year=2030),
    CardReference("tok_2", "unionpay", "0005", exp_month=1, exp_year=2027),
    CardReference("tok_old", "visa", "1111", exp_month=1, exp_year=2026),  # expired at T0
)
NOT_TEXT: tuple[object, ...] = (None, 2468, b"2468", ["2", "4", "6", "8"], 24.68, True)


def cny(amount: str) -> Money:
    return Money(amount, "CNY")


def new_wallet(clock: FixedClock, **kwargs: Any) -> EWallet:
    return EWallet("alice", PIN, clock=clock, kdf=FAST, wallet_id="w-alice", **kwargs)


def snapshot(w: EWallet) -> dict[str, Any]:
    """Everything a wallet is: what storage keeps, its open sessions and what it shows."""
    return {
        "version": w.version,
        "pin_record": w.pin_record,
        "failed_attempts": w.failed_attempts,
        "locked_until": w.locked_until,
        # Sessions live only in memory, but a refusal must not open or close one either.
        "sessions": dict(w._sessions),
        "currencies": w.currencies,
        "balances": [(w.available(c), w.held(c)) for c in CURRENCIES],
        "ledger": w.ledger,
        "holds": w.holds(None),
        "cards": w.cards(),
        "holdings": w.holdings(),
    }


_PIN_STATE = ("version", "pin_record", "failed_attempts", "locked_until", "sessions")


# --- random calls -------------------------------------------------------------------------------


def money_st() -> st.SearchStrategy[object]:
    """Mostly valid amounts, sometimes zero, negative, a float or a plain Decimal."""
    valid = st.builds(
        Money,
        st.integers(min_value=1, max_value=20_000).map(lambda n: Decimal(n) / 100),
        st.sampled_from(("CNY",)),
    ) | st.builds(Money, st.integers(min_value=1, max_value=20_000).map(Decimal), st.just("JPY"))
    invalid = st.sampled_from(
        (Money("0.00", "CNY"), Money("-1.00", "CNY"), 1.0, Decimal("1.00"), None)
    )
    return st.one_of(valid, valid, valid, invalid)


class Driver:
    """A wallet, its clock, and what the test knows: the PIN and the sessions it opened."""

    def __init__(self) -> None:
        self.clock = FixedClock(T0)
        self.wallet = new_wallet(self.clock, policy=PinPolicy(max_failures=3))
        self.pin = PIN
        self.sessions: list[WalletSession] = []

    def auth(self, pick: int) -> object:
        """The PIN, a wrong one, a session (maybe closed or expired), or something not text."""
        choice = pick % 6
        if choice in (0, 1):
            return self.pin
        if choice == 2:
            return OTHER_PIN
        if choice == 3 and self.sessions:
            return self.sessions[pick % len(self.sessions)]
        if choice == 4:
            return "12"  # text, but not a PIN's shape: the owner's typo, counted as wrong
        return NOT_TEXT[pick % len(NOT_TEXT)]

    def hold_id(self, pick: int) -> object:
        holds = self.wallet.holds(None)
        if holds and pick % 5:
            return holds[pick % len(holds)].hold_id
        return ("H999999", 7, None)[pick % 3]

    def call(self, data: st.DataObject) -> tuple[str, Callable[[], object], object]:
        """Draw one call: its name, a thunk and the PIN or ``auth`` it passes, if any."""
        w, draw = self.wallet, data.draw
        amount = draw(money_st())
        pick = draw(st.integers(min_value=0, max_value=1_000))
        ref = draw(st.sampled_from(("order 1", "top-up", "", "card 4111111111111111")))
        auth: Any = self.auth(pick)
        kind = draw(st.sampled_from(HoldingKind))
        calls: dict[str, Callable[[], object]] = {
            "credit": lambda: w.credit(amount, ref),  # type: ignore[arg-type]
            "pay": lambda: w.pay(amount, ref, auth=auth),  # type: ignore[arg-type]
            "authorize": lambda: w.authorize(amount, ref, auth=auth),  # type: ignore[arg-type]
            "capture": lambda: w.capture(
                self.hold_id(pick),  # type: ignore[arg-type]
                None if pick % 3 == 0 else amount,  # type: ignore[arg-type]
            ),
            "release": lambda: w.release(self.hold_id(pick)),  # type: ignore[arg-type]
            "add_card": lambda: w.add_card(CARDS[pick % len(CARDS)], auth=auth),
            "remove_card": lambda: w.remove_card(("tok_1", "tok_2", "tok_x")[pick % 3]),
            "add_holding": lambda: w.add_holding(
                Holding(kind, f"ref-{pick % 3}", Money(pick % 50, "CNY"))
            ),
            "update_holding": lambda: w.update_holding(
                kind,
                f"ref-{pick % 3}",
                amount,  # type: ignore[arg-type]
            ),
            "remove_holding": lambda: w.remove_holding(kind, f"ref-{pick % 3}"),
            "verify_pin": lambda: w.verify_pin(auth),
            "open_session": lambda: self.sessions.append(w.open_session(auth)),
            "close_session": lambda: w.close_session(
                self.sessions[pick % len(self.sessions)] if self.sessions else auth
            ),
            "change_pin": lambda: self.changed_pin(auth, ("8642", "86", None)[pick % 3]),
            "instruct": lambda: w.instruct(
                "teahouse",
                amount,  # type: ignore[arg-type]
                ref,
                auth=auth,
                card=(None, None, "tok_1", "tok_x")[pick % 4],
            ),
            "instruct_dual": lambda: w.instruct_dual(
                "teahouse",
                amount,  # type: ignore[arg-type]
                ref,
                auth=auth,
                gateway_key=GATEWAY_KEY if pick % 4 else b"short",
                card=(None, "tok_1", "tok_x")[pick % 3],
            ),
        }
        name = draw(st.sampled_from(sorted(calls)))
        return name, calls[name], auth

    def changed_pin(self, old: Any, new: Any) -> None:
        self.wallet.change_pin(old, new)
        self.pin = new
        self.sessions.clear()


def check_refusal(
    before: dict[str, Any], after: dict[str, Any], exc: Exception, auth: object
) -> None:
    """Nothing changed, or only what a wrong PIN changes."""
    assert isinstance(exc, EcServiceError), f"a non-library error escaped: {exc!r}"
    if after == before:
        return
    assert isinstance(auth, str), f"{exc!r} counted an auth that is not a PIN: {auth!r}"
    assert isinstance(exc, (WrongPin, WalletLocked)), f"{exc!r} changed the wallet"
    assert {k: v for k, v in after.items() if k not in _PIN_STATE} == {
        k: v for k, v in before.items() if k not in _PIN_STATE
    }, "a wrong PIN changed more than the attempt count and the lock"
    old_hash, _, _ = before["pin_record"]
    new_hash, failures, locked_until = after["pin_record"]
    assert new_hash == old_hash
    assert after["version"] == before["version"] + 1
    if isinstance(exc, WrongPin):
        assert locked_until is None
        assert failures == after["failed_attempts"] >= 1
        assert after["sessions"] == before["sessions"]
    else:
        assert locked_until == after["locked_until"] is not None
        assert after["sessions"] == {}  # a lock-out closes every session


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), steps=st.integers(min_value=1, max_value=40))
def test_every_refused_call_leaves_the_wallet_as_it_was(data: st.DataObject, steps: int) -> None:
    """Random valid and invalid calls: a call that raises changes nothing (compared as a full
    snapshot) except a wrong PIN's failure count and lock, which then count one version; a
    call that returns counts exactly one version (closing a session counts none)."""
    driver = Driver()
    driver.wallet.credit(cny("100.00"), "top-up")
    for _ in range(steps):
        if data.draw(st.integers(min_value=0, max_value=9)) == 0:
            driver.clock.advance(minutes=data.draw(st.sampled_from((1, 6, 16))))
        name, call, auth = driver.call(data)
        before = snapshot(driver.wallet)
        try:
            call()
        except Exception as exc:
            check_refusal(before, snapshot(driver.wallet), exc, auth)
        else:
            grown = 0 if name == "close_session" else 1
            assert driver.wallet.version == before["version"] + grown


# --- the cases found in use ---------------------------------------------------------------------


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


def test_an_invalid_credit_and_an_unaffordable_authorisation_keep_the_version(
    clock: FixedClock,
) -> None:
    """A float credit and an authorisation beyond what is available leave version alone."""
    w = new_wallet(clock)
    w.credit(cny("200.00"), "top-up")
    w.authorize(cny("100.00"), "order 1", auth=PIN)
    before = snapshot(w)
    with pytest.raises(InvalidAmount):
        w.credit(1.0, "x")  # type: ignore[arg-type]
    with pytest.raises(InsufficientFunds):
        w.authorize(cny("500.00"), "order 2", auth=PIN)
    assert snapshot(w) == before
    assert w.version == 2  # the credit and the first authorisation


def test_a_right_pin_then_a_refusal_keeps_the_failure_count(clock: FixedClock) -> None:
    """The right PIN resets the count only when the operation succeeds."""
    w = new_wallet(clock)
    for _ in range(2):
        with pytest.raises(WrongPin):
            w.verify_pin(OTHER_PIN)
    before = snapshot(w)
    with pytest.raises(InsufficientFunds):
        w.pay(cny("1.00"), "tea", auth=PIN)
    with pytest.raises(CardExpired):
        w.add_card(CARDS[2], auth=PIN)
    assert snapshot(w) == before
    assert w.failed_attempts == 2
    w.credit(cny("5.00"), "top-up")
    w.pay(cny("1.00"), "tea", auth=PIN)
    assert w.failed_attempts == 0


def test_a_wrong_pin_still_counts_and_is_versioned(clock: FixedClock) -> None:
    """The lock-out rule is kept: each wrong PIN is one failure and one version."""
    w = new_wallet(clock)
    w.credit(cny("5.00"), "top-up")
    for n in (1, 2, 3, 4):
        with pytest.raises(WrongPin):
            w.pay(cny("1.00"), "tea", auth=OTHER_PIN)
        assert (w.failed_attempts, w.version) == (n, 1 + n)
    with pytest.raises(WalletLocked):
        w.pay(cny("1.00"), "tea", auth=OTHER_PIN)
    assert (w.is_locked, w.version) == (True, 6)
    with pytest.raises(WalletLocked):  # already locked: nothing more is counted
        w.pay(cny("1.00"), "tea", auth=PIN)
    assert w.version == 6
    assert w.available("CNY") == cny("5.00")


def test_an_attempt_interrupted_during_the_hash_stays_counted(
    clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An error while the PIN is hashed does not undo the attempt (it may have been a guess)."""
    w = new_wallet(clock)

    class Boom(EcServiceError):
        pass

    def explode(self: object, pin: str) -> bool:
        raise Boom("the hash was interrupted")

    monkeypatch.setattr(type(w.pin_record[0]), "matches", explode)
    with pytest.raises(Boom):
        w.pay(cny("1.00"), "tea", auth=PIN)
    assert (w.failed_attempts, w.version) == (1, 1)


# --- a PIN that is not text ---------------------------------------------------------------------


def pin_entry_points(bad: object) -> list[tuple[str, Callable[[EWallet], object]]]:
    """Every public way a PIN or ``auth`` reaches the wallet, given ``bad``."""
    b: Any = bad
    return [
        ("verify_pin", lambda w: w.verify_pin(b)),
        ("open_session", lambda w: w.open_session(b)),
        ("change_pin", lambda w: w.change_pin(b, NEW_PIN)),
        ("pay", lambda w: w.pay(cny("1.00"), "tea", auth=b)),
        ("authorize", lambda w: w.authorize(cny("1.00"), "order 1", auth=b)),
        ("add_card", lambda w: w.add_card(CARDS[0], auth=b)),
        ("instruct", lambda w: w.instruct("teahouse", cny("1.00"), "order 1", auth=b)),
        (
            "instruct_dual",
            lambda w: w.instruct_dual(
                "teahouse", cny("1.00"), "order 1", auth=b, gateway_key=GATEWAY_KEY
            ),
        ),
    ]


@pytest.mark.parametrize("bad", NOT_TEXT, ids=lambda v: type(v).__name__)
@pytest.mark.parametrize("entry", range(len(pin_entry_points(None))))
def test_a_pin_that_is_not_text_is_refused_and_not_counted(
    clock: FixedClock, bad: object, entry: int
) -> None:
    """None, a number, bytes, a list...: ValidationError (not WrongPin) saying what is allowed;
    ten such calls neither count nor lock, and change nothing."""
    name, call = pin_entry_points(bad)[entry]
    w = new_wallet(clock)
    w.credit(cny("10.00"), "top-up")
    before = snapshot(w)
    for _ in range(10):
        with pytest.raises(ValidationError) as refused:
            call(w)
        assert not isinstance(refused.value, WrongPin), name
        assert "str" in str(refused.value)
        assert type(bad).__name__ in str(refused.value)
    assert snapshot(w) == before
    w.verify_pin(PIN)


def test_a_session_is_still_accepted_and_a_closed_one_changes_nothing(clock: FixedClock) -> None:
    """Sessions are the other accepted ``auth``; a refused one counts no PIN attempt."""
    w = new_wallet(clock)
    w.credit(cny("10.00"), "top-up")
    session = w.open_session(PIN)
    w.pay(cny("1.00"), "tea", auth=session)
    w.close_session(session)
    before = snapshot(w)
    with pytest.raises(InvalidSession):
        w.pay(cny("1.00"), "tea", auth=session)
    assert snapshot(w) == before
