"""Loading a wallet refuses PIN records and ledgers no run of the library could have made.

The reachable PIN records: fewer failures than the policy's limit and no lock, or exactly the
limit and a lock that ends at most ``policy.lockout`` after the failure that set it (so at most
that long after the current time). A ledger's times never fall, even when the clock is set back.
"""

from __future__ import annotations

import datetime as dt
import inspect
from typing import Any

import attrs
import pendulum
import pytest
from pendulum import DateTime

from ecservice.clock import FixedClock
from ecservice.errors import ValidationError
from ecservice.payments.wallet import EWallet, PinPolicy, StoredValue, WalletLocked, WrongPin
from ecservice.payments.wallet._pin import PinGuard, hash_pin
from tests.payments.test_wallet_safety import FAST, PIN, START, cny, parts

POLICY = PinPolicy(max_failures=3, lockout=dt.timedelta(minutes=30))


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


def stored(clock: FixedClock, **changes: Any) -> dict[str, Any]:
    return parts(clock) | {"policy": POLICY} | changes


def test_kdf_and_policy_are_required() -> None:
    """Left out, a custom policy would silently become the default one: both are required."""
    params = inspect.signature(EWallet.restore).parameters
    for name in ("kdf", "policy"):
        assert params[name].default is inspect.Parameter.empty
        assert params[name].kind is inspect.Parameter.KEYWORD_ONLY


def test_a_custom_policy_and_kdf_come_back(clock: FixedClock) -> None:
    wallet = EWallet.restore(**stored(clock, failures=2))
    assert (wallet.policy, wallet.kdf, wallet.failed_attempts) == (POLICY, FAST, 2)
    with pytest.raises(WalletLocked):
        wallet.verify_pin("000000")  # the third failure locks, as the custom policy says


def test_policy_none_is_refused(clock: FixedClock) -> None:
    with pytest.raises(ValidationError, match="PinPolicy"):
        EWallet.restore(**stored(clock, policy=None))


def test_a_lock_without_the_failures_is_refused(clock: FixedClock) -> None:
    lock = clock.now().add(years=100)
    with pytest.raises(ValidationError, match="lock comes only with the policy's 3 failures"):
        EWallet.restore(**stored(clock, failures=0, locked_until=lock))
    with pytest.raises(ValidationError, match="not 2"):
        EWallet.restore(**stored(clock, failures=2, locked_until=clock.now().add(minutes=1)))


def test_the_limit_without_a_lock_is_refused(clock: FixedClock) -> None:
    with pytest.raises(ValidationError, match="always come with a lock"):
        EWallet.restore(**stored(clock, failures=3, locked_until=None))


def test_a_lock_longer_than_the_lockout_from_now_is_refused(clock: FixedClock) -> None:
    latest = clock.now() + POLICY.lockout
    with pytest.raises(ValidationError, match="longer than the policy's lock-out"):
        EWallet.restore(**stored(clock, failures=3, locked_until=latest.add(seconds=1)))
    wallet = EWallet.restore(**stored(clock, failures=3, locked_until=latest))
    assert wallet.locked_until == latest


def test_a_real_lock_restores_after_the_clock_moved_on(clock: FixedClock) -> None:
    """Stored while locked, loaded later: still locked until the same end, then cleared."""
    wallet = EWallet("alice", PIN, clock=clock, kdf=FAST, policy=POLICY, wallet_id="w-lock")
    for _ in range(2):
        with pytest.raises(WrongPin):
            wallet.verify_pin("000000")
    with pytest.raises(WalletLocked):
        wallet.verify_pin("000000")
    pin_hash, failures, locked_until = wallet.pin_record
    assert (failures, locked_until) == (3, clock.now() + POLICY.lockout)
    record = {"pin_hash": pin_hash, "failures": failures, "locked_until": locked_until}
    clock.advance(minutes=10)
    loaded = EWallet.restore(**stored(clock, **record))
    assert loaded.locked_until == locked_until
    clock.advance(hours=1)  # the lock has run out but the record was not cleared
    loaded = EWallet.restore(**stored(clock, **record))
    assert not loaded.is_locked
    assert loaded.failed_attempts == 0
    loaded.verify_pin(PIN)


def test_the_guard_refuses_unreachable_records_itself() -> None:
    pin_hash = hash_pin(PIN, FAST)
    end = pendulum.datetime(2026, 1, 1, tz="UTC")
    with pytest.raises(ValidationError, match="lock comes only"):
        PinGuard(pin_hash, POLICY, 1, end)
    with pytest.raises(ValidationError, match="always come with a lock"):
        PinGuard(pin_hash, POLICY, 3)
    with pytest.raises(ValidationError, match="longer than"):
        PinGuard.restored(pin_hash, POLICY, 3, end.add(hours=1), end)


def test_ledger_times_out_of_order_are_refused(clock: FixedClock) -> None:
    ledger = list(parts(clock)["ledger"])
    ledger[0] = attrs.evolve(ledger[0], at=clock.now().add(days=9))
    with pytest.raises(ValidationError, match=r"ledger entry 2 is dated .* before entry 1"):
        EWallet.restore(**stored(clock, ledger=ledger))


class BackwardClock:
    """A clock that can be set back, as a system clock can."""

    def __init__(self, at: DateTime) -> None:
        self.at = at

    def now(self) -> DateTime:
        return self.at


def test_books_keep_time_order_when_the_clock_is_set_back() -> None:
    clock = BackwardClock(START)
    books = StoredValue(clock)
    books.credit(cny("10.00"), "top-up 1")
    clock.at = START.subtract(hours=1)
    books.credit(cny("5.00"), "top-up 2")
    hold = books.authorize(cny("6.00"), "order 1")
    books.capture(hold.hold_id, cny("4.00"))
    times = [entry.at for entry in books.ledger]
    assert times == sorted(times)
    assert times[-1] == START
    restored = StoredValue.restore(clock, books.ledger, books.holds(None))
    assert restored.available("CNY") == cny("11.00")


def test_generated_wallet_ids_never_look_like_card_numbers() -> None:
    """A generated id is letters only: random digits would now and then pass the Luhn check and
    be refused as a card number, failing the wallet's creation at random."""
    from ecservice.payments.wallet._cards import looks_like_card_number
    from ecservice.payments.wallet._restore import new_wallet_id

    ids = {new_wallet_id() for _ in range(2000)}
    assert len(ids) == 2000
    for wid in ids:
        assert wid.startswith("w-")
        assert len(wid) == 18
        assert wid[2:].isalpha()
        assert not looks_like_card_number(wid)
