"""The e-wallet under threads, against card numbers in free text, and when loaded from storage.

Threads are real and start together at a barrier; time comes from a :class:`FixedClock`.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

import attrs
import pendulum
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ecservice.clock import FixedClock
from ecservice.errors import EcServiceError, InsufficientFunds, InvalidAmount, ValidationError
from ecservice.money import Money
from ecservice.payments.wallet import (
    CardReference,
    DuplicateWalletItem,
    EntryKind,
    EWallet,
    FullCardNumberRefused,
    Hold,
    Holding,
    HoldingKind,
    HoldStatus,
    KdfParams,
    LedgerEntry,
    PinHash,
    PinPolicy,
    StoredValue,
    WalletLocked,
    WrongPin,
    hash_pin,
)
from ecservice.payments.wallet._pin import PinGuard

PIN = "739154"
FAST = KdfParams(n=2**4)
START = pendulum.datetime(2026, 11, 11, 9, 0, tz="Asia/Shanghai")
PAN = "4111 1111 1111 1111"
THREADS = 8


def cny(amount: str) -> Money:
    return Money(amount, "CNY")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


def wallet_with(clock: FixedClock, amount: str = "100.00", **kwargs: Any) -> EWallet:
    kwargs.setdefault("kdf", FAST)
    wallet = EWallet("alice", PIN, clock=clock, wallet_id="w-alice", **kwargs)
    wallet.credit(cny(amount), "top-up 1")
    return wallet


class YieldingClock:
    """A fixed clock that lets other threads run each time it is read (``os.sched_yield``, no
    sleep), so that a check-then-act race inside a wallet operation shows up reliably."""

    def __init__(self, clock: FixedClock) -> None:
        self.clock = clock

    def now(self) -> pendulum.DateTime:
        os.sched_yield()
        return self.clock.now()


def race(count: int, job: Callable[[int], object]) -> list[object]:
    """Run ``job(i)`` in ``count`` threads released together; return results or exceptions."""
    barrier = threading.Barrier(count)
    results: list[object] = [None] * count

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = job(i)
        except BaseException as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.fixture
def derivations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every PIN the scrypt derivation is run on, in order (the slow step being counted)."""
    seen: list[str] = []
    lock = threading.Lock()
    original = KdfParams.derive

    def counting(self: KdfParams, pin: str, salt: bytes) -> bytes:
        with lock:
            seen.append(pin)
        return original(self, pin, salt)

    monkeypatch.setattr(KdfParams, "derive", counting)
    return seen


# --- threads ------------------------------------------------------------------------------------


def test_eight_threads_paying_60_from_100_one_succeeds(clock: FixedClock) -> None:
    """8 threads pay 60.00 each from 100.00 at once with one session: exactly one succeeds,
    40.00 stays (without the wallet's lock, several paid and left -80.00)."""
    wallet = wallet_with(YieldingClock(clock))  # type: ignore[arg-type]
    session = wallet.open_session(PIN)
    results = race(THREADS, lambda i: wallet.pay(cny("60.00"), f"order {i}", auth=session))
    paid = [r for r in results if isinstance(r, LedgerEntry)]
    refused = [r for r in results if isinstance(r, InsufficientFunds)]
    assert (len(paid), len(refused)) == (1, THREADS - 1)
    assert wallet.available("CNY") == cny("40.00")
    assert [e.seq for e in wallet.ledger] == [1, 2]


def test_parallel_holds_never_overdraw(clock: FixedClock) -> None:
    """8 threads authorise 30.00 from 100.00: three holds, 10.00 left, ledger consistent."""
    wallet = wallet_with(YieldingClock(clock))  # type: ignore[arg-type]
    session = wallet.open_session(PIN)
    results = race(THREADS, lambda i: wallet.authorize(cny("30.00"), f"order {i}", auth=session))
    holds = [r for r in results if isinstance(r, Hold)]
    assert len(holds) == 3
    assert len({h.hold_id for h in holds}) == 3
    assert (wallet.available("CNY"), wallet.held("CNY")) == (cny("10.00"), cny("90.00"))
    assert [e.seq for e in wallet.ledger] == list(range(1, 5))


def test_parallel_captures_and_releases_of_one_hold_settle_it_once(clock: FixedClock) -> None:
    """Half the threads capture a hold, half release it: one way wins, the ledger says so once."""
    wallet = wallet_with(YieldingClock(clock))  # type: ignore[arg-type]
    hold = wallet.authorize(cny("30.00"), "order 1", auth=PIN)

    def settle(i: int) -> Hold:
        if i % 2:
            return wallet.capture(hold.hold_id)
        return wallet.release(hold.hold_id)

    race(THREADS, settle)
    settled = wallet.hold(hold.hold_id)
    assert settled.status is not HoldStatus.OPEN
    kinds = [e.kind for e in wallet.ledger if e.hold_id == hold.hold_id]
    assert kinds in ([EntryKind.HOLD, EntryKind.CAPTURE], [EntryKind.HOLD, EntryKind.RELEASE])
    assert wallet.balance("CNY") == (cny("70.00") if settled.captured else cny("100.00"))


def test_32_parallel_wrong_pins_hash_at_most_five(
    clock: FixedClock, derivations: list[str]
) -> None:
    """32 wrong guesses at once with 5 failures allowed: 5 are hashed, then the lock refuses."""
    wallet = wallet_with(clock, kdf=KdfParams(n=2**10))
    derivations.clear()
    results = race(32, lambda i: wallet.verify_pin(f"{100000 + i}"))
    assert len(derivations) == 5
    assert sum(isinstance(r, WrongPin) for r in results) == 4
    assert sum(isinstance(r, WalletLocked) for r in results) == 28
    assert wallet.is_locked


def test_the_right_pin_among_parallel_guesses_never_opens_a_locked_wallet(
    clock: FixedClock, derivations: list[str]
) -> None:
    """31 wrong guesses and the right one race: a session opened before the lock dies with it,
    and no wrong PIN is hashed once the lock is set."""
    wallet = wallet_with(clock, kdf=KdfParams(n=2**10))
    derivations.clear()
    results = race(32, lambda i: wallet.open_session(PIN if i == 16 else f"{100000 + i}"))
    assert wallet.is_locked
    assert len([p for p in derivations if p != PIN]) <= 2 * 5 - 1
    for result in results:
        if not isinstance(result, EcServiceError):
            with pytest.raises(WalletLocked):  # the session it got was closed by the lock
                wallet.pay(cny("1.00"), "after the lock", auth=result)  # type: ignore[arg-type]


def test_an_attempt_is_counted_before_the_hash(clock: FixedClock) -> None:
    """A hash interrupted by an error leaves the attempt counted (and locks at the limit)."""
    pin_hash = hash_pin(PIN, FAST)
    guard = PinGuard(pin_hash, PinPolicy(max_failures=2))

    class Boom(Exception):
        pass

    class Exploding:
        def __init__(self, real: PinHash) -> None:
            self.real = real

        def matches(self, pin: str) -> bool:
            raise Boom

    object.__setattr__(guard, "pin_hash", Exploding(pin_hash))
    with pytest.raises(Boom):
        guard.verify("000000", clock.now())
    assert guard.failures == 1
    with pytest.raises(Boom):
        guard.verify("000000", clock.now())
    assert guard.current_lock(clock.now()) is not None
    guard.pin_hash = pin_hash
    with pytest.raises(WalletLocked):
        guard.verify(PIN, clock.now())


def test_a_right_pin_at_the_last_attempt_does_not_lock(clock: FixedClock) -> None:
    """The fifth attempt is recorded as a lock before hashing; being right undoes it."""
    wallet = wallet_with(clock)
    for _ in range(4):
        with pytest.raises(WrongPin):
            wallet.verify_pin("000000")
    wallet.verify_pin(PIN)
    assert (wallet.is_locked, wallet.failed_attempts) == (False, 0)


# --- card numbers in free text ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operation", "field"),
    [
        (lambda w: w.credit(cny("1.00"), f"top-up {PAN}"), "a credit reference"),
        (lambda w: w.pay(cny("1.00"), f"card {PAN}", auth=PIN), "a payment reference"),
        (
            lambda w: w.authorize(cny("1.00"), f"order {PAN}", auth=PIN),
            "an authorisation reference",
        ),
        (lambda w: w.instruct(PAN, cny("1.00"), "order 1", auth=PIN), "an instruction's payee"),
        (
            lambda w: w.instruct("teahouse", cny("1.00"), f"o {PAN}", auth=PIN),
            "an instruction's reference",
        ),
    ],
)
def test_card_numbers_are_refused_in_every_stored_or_signed_text(
    clock: FixedClock, operation: Callable[[EWallet], object], field: str
) -> None:
    """A PAN in a ledger, hold or instruction text is refused, named by field, never repeated;
    nothing changes and no PIN attempt is spent."""
    wallet = wallet_with(clock)
    before = (wallet.ledger, wallet.holds(None), wallet.failed_attempts)
    with pytest.raises(FullCardNumberRefused) as refused:
        operation(wallet)
    assert refused.value.field == field
    assert "4111" not in str(refused.value)
    assert (wallet.ledger, wallet.holds(None), wallet.failed_attempts) == before


def test_card_numbers_are_refused_in_the_owner_and_wallet_id(clock: FixedClock) -> None:
    """The owner and wallet id are signed into every instruction: no PAN there either."""
    with pytest.raises(FullCardNumberRefused, match="wallet owner"):
        EWallet(PAN, PIN, clock=clock, kdf=FAST)
    with pytest.raises(FullCardNumberRefused, match="wallet id"):
        EWallet("alice", PIN, clock=clock, kdf=FAST, wallet_id=PAN)


@pytest.mark.parametrize("bad", ["", "  ", "a\x00b", "order \u202e1", "x" * 201, 12])
def test_references_go_through_the_text_rules(clock: FixedClock, bad: object) -> None:
    """Blank, control or bidi characters, over 200 characters, not a str: ValidationError."""
    wallet = wallet_with(clock)
    before = wallet.ledger
    with pytest.raises(ValidationError):
        wallet.credit(cny("1.00"), bad)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        wallet.instruct("teahouse", cny("1.00"), bad, auth=PIN)  # type: ignore[arg-type]
    assert wallet.ledger == before
    assert wallet.failed_attempts == 0


def test_references_are_stored_stripped(clock: FixedClock) -> None:
    """Surrounding spaces are not kept (nor signed)."""
    wallet = wallet_with(clock)
    assert wallet.credit(cny("1.00"), "  top-up 2 ").reference == "top-up 2"
    signed = wallet.instruct(" teahouse ", cny("1.00"), " order 3", auth=PIN)
    assert (signed.payee, signed.reference) == ("teahouse", "order 3")


# --- rehydration --------------------------------------------------------------------------------


def parts(clock: FixedClock) -> dict[str, Any]:
    """What storage would keep of a wallet with a top-up, a captured hold and an open one."""
    wallet = wallet_with(clock)
    first = wallet.authorize(cny("30.00"), "order 1", auth=PIN)
    wallet.capture(first.hold_id, cny("25.00"))
    wallet.authorize(cny("10.00"), "order 2", auth=PIN)
    card = CardReference("tok_1", "visa", "4242", exp_month=12, exp_year=2030)
    wallet.add_card(card, auth=PIN)
    holding = Holding(HoldingKind.PURSE, "purse-1", cny("5.00"))
    wallet.add_holding(holding)
    pin_hash, failures, locked_until = wallet.pin_record
    return {
        "owner": wallet.owner,
        "wallet_id": wallet.wallet_id,
        "pin_hash": pin_hash,
        "failures": failures,
        "locked_until": locked_until,
        "clock": clock,
        "signing_key": Ed25519PrivateKey.generate(),
        "kdf": FAST,
        "policy": wallet.policy,
        "cards": wallet.cards(),
        "ledger": wallet.ledger,
        "holds": wallet.holds(None),
        "holdings": wallet.holdings(),
    }


def test_a_stored_wallet_restores_and_works(clock: FixedClock) -> None:
    """Everything comes back: balances, holds, cards, holdings, the PIN; it keeps working."""
    stored = parts(clock)
    wallet = EWallet.restore(**stored)
    assert (wallet.available("CNY"), wallet.held("CNY")) == (cny("65.00"), cny("10.00"))
    assert wallet.ledger == stored["ledger"]
    assert wallet.holds(None) == stored["holds"]
    assert wallet.total_value("CNY") == cny("80.00")
    open_hold = wallet.holds()[0]
    assert wallet.capture(open_hold.hold_id).captured == cny("10.00")
    assert wallet.authorize(cny("1.00"), "order 3", auth=PIN).hold_id == "H000003"
    with pytest.raises(WrongPin):
        wallet.verify_pin("000000")


def test_restore_keeps_the_lock_and_failures(clock: FixedClock) -> None:
    """A wallet stored while locked is still locked when loaded."""
    stored = parts(clock) | {"failures": 5, "locked_until": clock.now().add(minutes=10)}
    wallet = EWallet.restore(**stored)
    assert wallet.is_locked
    with pytest.raises(WalletLocked):
        wallet.verify_pin(PIN)


def _entry(ledger: tuple[LedgerEntry, ...], i: int, **changes: Any) -> tuple[LedgerEntry, ...]:
    changed = list(ledger)
    changed[i] = attrs.evolve(changed[i], **changes)
    return tuple(changed)


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        (lambda p: {"failures": 6}, ValidationError, "failure count"),
        (lambda p: {"failures": True}, ValidationError, "failure count"),
        (lambda p: {"pin_hash": "secret"}, ValidationError, "PinHash"),
        (lambda p: {"signing_key": b"k" * 32}, ValidationError, "Ed25519"),
        (lambda p: {"owner": ""}, ValidationError, "wallet owner"),
        (lambda p: {"kdf": None}, ValidationError, "KdfParams"),
        (lambda p: {"ledger": p["ledger"][1:]}, ValidationError, "numbered"),
        (lambda p: {"ledger": p["ledger"][:-1]}, ValidationError, "hold H000002"),
        (
            lambda p: {"ledger": _entry(p["ledger"], 0, amount=cny("10.00"))},
            ValidationError,
            "below zero",
        ),
        (lambda p: {"holds": p["holds"][1:]}, ValidationError, "numbered"),
        (lambda p: {"holds": ("H000001",)}, ValidationError, "not a Hold"),
        (lambda p: {"ledger": [*p["ledger"], "x"]}, ValidationError, "not a LedgerEntry"),
        (lambda p: {"cards": [*p["cards"], *p["cards"]]}, DuplicateWalletItem, "token"),
        (lambda p: {"holdings": [*p["holdings"], *p["holdings"]]}, DuplicateWalletItem, "purse"),
        (lambda p: {"cards": ["tok_1"]}, ValidationError, "CardReference"),
    ],
)
def test_restore_refuses_what_the_library_could_not_have_made(
    clock: FixedClock,
    change: Callable[[dict[str, Any]], dict[str, Any]],
    error: type[Exception],
    match: str,
) -> None:
    """Inconsistent or mistyped parts raise a specific library error, never a TypeError."""
    stored = parts(clock)
    with pytest.raises(error, match=match):
        EWallet.restore(**(stored | change(stored)))


def test_ledger_entries_check_themselves(clock: FixedClock) -> None:
    """A ledger entry refuses a bad seq, amount, reference, kind or a hold id that does not fit."""
    now = clock.now()
    with pytest.raises(ValidationError, match="seq"):
        LedgerEntry(0, EntryKind.CREDIT, cny("1.00"), "r", now)
    with pytest.raises(InvalidAmount):
        LedgerEntry(1, EntryKind.CREDIT, cny("-1.00"), "r", now)
    with pytest.raises(ValidationError, match="kind"):
        LedgerEntry(1, "credit", cny("1.00"), "r", now)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="hold_id"):
        LedgerEntry(1, EntryKind.HOLD, cny("1.00"), "r", now)
    with pytest.raises(ValidationError, match="hold_id"):
        LedgerEntry(1, EntryKind.CREDIT, cny("1.00"), "r", now, "H000001")
    with pytest.raises(FullCardNumberRefused):
        LedgerEntry(1, EntryKind.CREDIT, cny("1.00"), PAN, now)
    with pytest.raises(ValidationError, match="white space"):
        LedgerEntry(1, EntryKind.CREDIT, cny("1.00"), " r", now)


def test_holds_check_themselves(clock: FixedClock) -> None:
    """A hold's status, capture and settlement time must agree."""
    now = clock.now()
    with pytest.raises(ValidationError, match="open hold"):
        Hold("H000001", cny("5.00"), "r", now, captured=cny("1.00"))
    with pytest.raises(ValidationError, match="settled_at"):
        Hold("H000001", cny("5.00"), "r", now, status=HoldStatus.RELEASED)
    with pytest.raises(InvalidAmount):
        Hold(
            "H000001",
            cny("5.00"),
            "r",
            now,
            status=HoldStatus.CAPTURED,
            captured=cny("6.00"),
            settled_at=now,
        )
    with pytest.raises(ValidationError, match="hold id"):
        Hold("7", cny("5.00"), "r", now)
    with pytest.raises(FullCardNumberRefused):
        Hold("H000001", cny("5.00"), PAN, now)


def test_stored_value_restore_refuses_an_overdrawn_ledger(clock: FixedClock) -> None:
    """Replaying the ledger may never take available below zero."""
    now = clock.now()
    ledger = [
        LedgerEntry(1, EntryKind.CREDIT, cny("5.00"), "top-up", now),
        LedgerEntry(2, EntryKind.DEBIT, cny("6.00"), "order", now),
    ]
    with pytest.raises(ValidationError, match="below zero"):
        StoredValue.restore(clock, ledger, ())
    books = StoredValue.restore(clock, ledger[:1], ())
    assert books.available("CNY") == cny("5.00")


def test_pin_records_check_themselves() -> None:
    """A PIN hash with a salt or digest of the wrong size, or a guard with a bad count."""
    real = hash_pin(PIN, FAST)
    with pytest.raises(ValidationError, match="salt"):
        PinHash(FAST, b"short", real.digest)
    with pytest.raises(ValidationError, match="digest"):
        PinHash(FAST, real.salt, "not bytes")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="failure count"):
        PinGuard(real, PinPolicy(), -1)
    with pytest.raises(ValidationError):
        PinGuard(real, PinPolicy(), 0, pendulum.naive(2026, 1, 1))


def test_new_books_check_their_clock_and_name(clock: FixedClock) -> None:
    """Books need a clock and a presentable name; they always start empty."""
    with pytest.raises(ValidationError, match="Clock"):
        StoredValue(None)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="books name"):
        StoredValue(clock, "a\x00b")
    assert StoredValue(clock).ledger == ()
