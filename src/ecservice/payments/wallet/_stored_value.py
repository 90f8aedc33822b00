"""Stored value: balances per currency, holds (authorisations) and the ledger behind them.

A :class:`StoredValue` is the book-keeping half of an :class:`~ecservice.payments.wallet.EWallet`
and knows nothing of PINs: the wallet checks the owner, then calls it. See
:mod:`ecservice.payments.wallet._ledger` for how each entry moves the available and held
columns. Every method either succeeds or raises with nothing changed.

>>> import pendulum
>>> from ecservice.clock import FixedClock
>>> books = StoredValue(FixedClock(pendulum.datetime(2026, 11, 11, tz="UTC")))
>>> _ = books.credit(Money("10.00", "CNY"), "top-up")
>>> hold = books.authorize(Money("4.00", "CNY"), "order 1")
>>> books.release(hold.hold_id).released, books.available("CNY")
(Money('4.00', 'CNY'), Money('10.00', 'CNY'))
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import final

import attrs
from pendulum import DateTime

from ecservice._shown import shown
from ecservice.clock import Clock
from ecservice.errors import CurrencyMismatch, InsufficientFunds, InvalidAmount, ValidationError
from ecservice.money import Currency, Money, currency
from ecservice.payments.wallet._cards import check_reference
from ecservice.payments.wallet._errors import HoldSettled, UnknownHold
from ecservice.payments.wallet._ledger import EntryKind, Hold, HoldStatus, LedgerEntry

__all__ = ["StoredValue"]


def positive_money(amount: object, what: str) -> Money:
    """Return ``amount`` if it is a positive :class:`Money`; else raise :class:`InvalidAmount`."""
    if not isinstance(amount, Money):
        raise InvalidAmount(f"{what} must be a Money, not {type(amount).__name__}")
    if amount.amount <= 0:
        raise InvalidAmount(f"{what} must be positive, not {amount}")
    return amount


@final
@attrs.define(slots=True, eq=False)
class StoredValue:
    """Stored value in any number of currencies, in two columns: available and held.

    Every method runs under the books' own lock and either succeeds or raises with nothing
    changed (all checks run and all new records are built before the first change). Views
    return immutable values (tuples, frozen :class:`Hold` and :class:`LedgerEntry`).

    Args:
        clock: the time source for ledger entries and holds.
        name: how messages name these books (default ``"stored value"``; a wallet passes
            ``"wallet <id>"``).

    Raises:
        ValidationError: ``clock`` has no ``now()``, or ``name`` is not acceptable text.

    New books start empty; to load books from storage, use :meth:`restore`, which checks them.
    """

    clock: Clock = attrs.field(repr=False)
    name: str = attrs.field(default="stored value")
    _available: dict[Currency, Money] = attrs.field(factory=dict, repr=False, init=False)
    _held: dict[Currency, Money] = attrs.field(factory=dict, repr=False, init=False)
    _holds: dict[str, Hold] = attrs.field(factory=dict, repr=False, init=False)
    _ledger: list[LedgerEntry] = attrs.field(factory=list, repr=False, init=False)
    _lock: threading.RLock = attrs.field(factory=threading.RLock, repr=False, init=False)

    def __attrs_post_init__(self) -> None:
        if not callable(getattr(self.clock, "now", None)):
            raise ValidationError(f"clock must be a Clock, not {type(self.clock).__name__}")
        check_reference(self.name, "books name")

    @classmethod
    def restore(
        cls,
        clock: Clock,
        ledger: Iterable[LedgerEntry],
        holds: Iterable[Hold],
        *,
        name: str = "stored value",
    ) -> StoredValue:
        """Rebuild books from their ledger and holds (as storage keeps them), checking both.

        Checks: every entry is a :class:`LedgerEntry` numbered 1, 2, 3... in order, each dated
        no earlier than the one before (the books stamp entries so); holds are
        :class:`Hold` values numbered ``H000001``, ``H000002``... in order; each hold has
        exactly the entries its status implies (a HOLD entry of its amount and reference; a
        CAPTURE of the captured amount and a RELEASE of the rest once captured; a RELEASE of all
        of it once released), and no entry names an unknown hold; the available column never
        falls below zero in any currency, replaying the ledger in order.

        Raises:
            ValidationError: the ledger or holds break one of these rules (the message says
                which entry or hold, and why).
        """
        entries = tuple(ledger)
        hold_list = tuple(holds)
        books = cls(clock, check_reference(name, "books name"))
        for i, entry in enumerate(entries, 1):
            if not isinstance(entry, LedgerEntry):
                raise ValidationError(
                    f"ledger item {i} is not a LedgerEntry: {type(entry).__name__}"
                )
            if entry.seq != i:
                raise ValidationError(f"ledger entry {i} is numbered {entry.seq}; expected {i}")
            if i > 1 and entry.at < entries[i - 2].at:
                raise ValidationError(
                    f"ledger entry {i} is dated {entry.at.isoformat()}, before entry {i - 1} "
                    f"({entries[i - 2].at.isoformat()}); a ledger's times never fall"
                )
        by_id: dict[str, Hold] = {}
        for i, hold in enumerate(hold_list, 1):
            if not isinstance(hold, Hold):
                raise ValidationError(f"hold {i} is not a Hold: {type(hold).__name__}")
            if hold.hold_id != f"H{i:06d}":
                raise ValidationError(f"hold {i} is numbered {hold.hold_id}; expected H{i:06d}")
            by_id[hold.hold_id] = hold
        found: dict[str, list[LedgerEntry]] = {h: [] for h in by_id}
        available: dict[Currency, Money] = {}
        for entry in entries:
            if entry.hold_id is not None:
                if entry.hold_id not in found:
                    raise ValidationError(
                        f"ledger entry {entry.seq} names hold {entry.hold_id}, which is unknown"
                    )
                found[entry.hold_id].append(entry)
            cur = entry.amount.currency
            now = available.get(cur, Money.zero(cur)) + entry.available_delta
            if now.is_negative():
                raise ValidationError(
                    f"ledger entry {entry.seq} takes the available {cur.code} below zero ({now})"
                )
            available[cur] = now
        for hold_id, hold in by_id.items():
            expected = [(EntryKind.HOLD, hold.amount)]
            if hold.status is HoldStatus.CAPTURED and hold.captured is not None:
                expected.append((EntryKind.CAPTURE, hold.captured))
                if hold.released:
                    expected.append((EntryKind.RELEASE, hold.released))
            elif hold.status is HoldStatus.RELEASED:
                expected.append((EntryKind.RELEASE, hold.amount))
            got = [(e.kind, e.amount) for e in found[hold_id]]
            if got != expected or any(e.reference != hold.reference for e in found[hold_id]):
                raise ValidationError(
                    f"the ledger entries of {hold.status.value} hold {hold_id} do not match it: "
                    f"expected {[(k.value, str(m)) for k, m in expected]} with its reference, "
                    f"found {[(k.value, str(m)) for k, m in got]}"
                )
        books._holds = by_id
        books._apply(*entries)
        return books

    def available(self, cur: str | Currency) -> Money:
        """Stored value that can be spent now (not held)."""
        c = currency(cur)
        with self._lock:
            return self._available.get(c, Money.zero(c))

    def held(self, cur: str | Currency) -> Money:
        """Stored value set aside by open holds."""
        c = currency(cur)
        with self._lock:
            return self._held.get(c, Money.zero(c))

    def balance(self, cur: str | Currency) -> Money:
        """``available + held``: all stored value of the currency."""
        with self._lock:
            return self.available(cur) + self.held(cur)

    @property
    def currencies(self) -> tuple[Currency, ...]:
        """Currencies that have ever had stored value, by code."""
        with self._lock:
            return tuple(sorted(self._available, key=lambda c: c.code))

    @property
    def ledger(self) -> tuple[LedgerEntry, ...]:
        """Every ledger entry, oldest first."""
        with self._lock:
            return tuple(self._ledger)

    def _entry(
        self,
        kind: EntryKind,
        amount: Money,
        reference: str,
        hold_id: str | None = None,
        *,
        offset: int = 0,
        at: DateTime | None = None,
    ) -> LedgerEntry:
        """Build (not record) the next entry; ``offset`` counts entries built before it."""
        return LedgerEntry(
            len(self._ledger) + 1 + offset,
            kind,
            amount,
            reference,
            self._now() if at is None else at,
            hold_id,
        )

    def _now(self) -> DateTime:
        """The clock's time, but never before the last entry: the ledger's times never fall.

        A system clock can be set back; stamping such an entry with the last entry's time keeps
        the ledger in time order, which :meth:`restore` checks.
        """
        now = self.clock.now()
        if self._ledger and now < self._ledger[-1].at:
            return self._ledger[-1].at
        return now

    def _apply(self, *entries: LedgerEntry) -> None:
        """Record entries already built and checked: nothing here can fail."""
        for entry in entries:
            cur = entry.amount.currency
            zero = Money.zero(cur)
            self._available[cur] = self._available.get(cur, zero) + entry.available_delta
            if entry.kind is not EntryKind.CREDIT and entry.kind is not EntryKind.DEBIT:
                self._held[cur] = self._held.get(cur, zero) + entry.held_delta
            self._ledger.append(entry)

    def require(self, amount: Money, action: str) -> None:
        """Raise :class:`~ecservice.errors.InsufficientFunds` unless ``amount`` is available.

        ``action`` names the operation in the message ("pay", "authorise").
        """
        with self._lock:
            have = self.available(amount.currency)
            if amount > have:
                held = self.held(amount.currency)
                more = f" ({held} more is held by open authorisations)" if held else ""
                raise InsufficientFunds(
                    f"cannot {action} {amount}: only {have} is available in {self.name}{more}"
                )

    def credit(self, amount: Money, reference: str) -> LedgerEntry:
        """Add stored value (a top-up, a refund).

        Raises:
            InvalidAmount: ``amount`` is not a positive Money.
            ValidationError: ``reference`` is not acceptable text
                (:func:`ecservice.text.check_text`).
            FullCardNumberRefused: ``reference`` contains something shaped like a card number.
        """
        positive_money(amount, "a credit")
        ref = check_reference(reference, "a credit reference")
        with self._lock:
            entry = self._entry(EntryKind.CREDIT, amount, ref)
            self._apply(entry)
            return entry

    def debit(self, amount: Money, reference: str) -> LedgerEntry:
        """Spend stored value at once.

        Raises:
            InvalidAmount: ``amount`` is not a positive Money.
            InsufficientFunds: more than is available (the message says how much is).
            ValidationError: ``reference`` is not acceptable text.
            FullCardNumberRefused: ``reference`` contains something shaped like a card number.
        """
        positive_money(amount, "a payment")
        ref = check_reference(reference, "a payment reference")
        with self._lock:
            self.require(amount, "pay")
            entry = self._entry(EntryKind.DEBIT, amount, ref)
            self._apply(entry)
            return entry

    # --- holds -------------------------------------------------------------------------------

    def authorize(self, amount: Money, reference: str) -> Hold:
        """Set ``amount`` of available stored value aside for a later capture.

        Raises:
            InvalidAmount: ``amount`` is not a positive Money.
            InsufficientFunds: more than is available.
            ValidationError: ``reference`` is not acceptable text.
            FullCardNumberRefused: ``reference`` contains something shaped like a card number.
        """
        positive_money(amount, "an authorisation")
        ref = check_reference(reference, "an authorisation reference")
        with self._lock:
            self.require(amount, "authorise")
            hold = Hold(self.next_hold_id(), amount, ref, self._now())
            entry = self._entry(EntryKind.HOLD, amount, ref, hold.hold_id)
            self._apply(entry)
            self._holds[hold.hold_id] = hold
            return hold

    def next_hold_id(self) -> str:
        """The id the next hold will get (``H000001``, ``H000002``, ...)."""
        with self._lock:
            return f"H{len(self._holds) + 1:06d}"

    def hold(self, hold_id: str) -> Hold:
        """The hold with ``hold_id``, in its current state.

        Raises:
            UnknownHold: no such hold.
        """
        with self._lock:
            try:
                return self._holds[hold_id]
            except (KeyError, TypeError):
                raise UnknownHold(f"{self.name} has no hold {shown(hold_id)}") from None

    def holds(self, status: HoldStatus | None = HoldStatus.OPEN) -> tuple[Hold, ...]:
        """Holds with ``status`` (open ones by default; ``None`` for all), oldest first."""
        with self._lock:
            return tuple(h for h in self._holds.values() if status is None or h.status is status)

    def capture(self, hold_id: str, amount: Money | None = None) -> Hold:
        """Spend ``amount`` (default: all) of a hold; the rest goes back to available.

        Idempotent by hold id: capturing a captured hold again with the same amount returns it
        unchanged. A capture that conflicts with how the hold was settled raises
        :class:`HoldSettled`.

        Raises:
            UnknownHold: no such hold.
            InvalidAmount: ``amount`` is not positive or exceeds the hold.
            CurrencyMismatch: ``amount`` is in another currency than the hold.
            HoldSettled: the hold was released, or captured for a different amount.
        """
        with self._lock:
            hold = self.hold(hold_id)
            take = hold.amount if amount is None else positive_money(amount, "a capture")
            if take.currency != hold.amount.currency:
                raise CurrencyMismatch(hold.amount.currency.code, take.currency.code, "capture")
            if hold.status is HoldStatus.CAPTURED and hold.captured == take:
                return hold
            if not hold.is_open:
                raise HoldSettled(
                    f"hold {hold_id} was already {hold.status.value}"
                    + (f" for {hold.captured}" if hold.captured is not None else "")
                    + f"; a capture of {take} conflicts with it"
                )
            if take > hold.amount:
                raise InvalidAmount(f"cannot capture {take} from hold {hold_id} of {hold.amount}")
            now = self._now()
            settled = attrs.evolve(hold, status=HoldStatus.CAPTURED, captured=take, settled_at=now)
            entries = [self._entry(EntryKind.CAPTURE, take, hold.reference, hold_id, at=now)]
            if settled.released:
                entries.append(
                    self._entry(
                        EntryKind.RELEASE,
                        settled.released,
                        hold.reference,
                        hold_id,
                        offset=1,
                        at=now,
                    )
                )
            self._apply(*entries)
            self._holds[hold_id] = settled
            return settled

    def release(self, hold_id: str) -> Hold:
        """Give all of an open hold back to available.

        Idempotent: releasing a released hold returns it unchanged.

        Raises:
            UnknownHold: no such hold.
            HoldSettled: the hold was captured.
        """
        with self._lock:
            hold = self.hold(hold_id)
            if hold.status is HoldStatus.RELEASED:
                return hold
            if hold.status is HoldStatus.CAPTURED:
                raise HoldSettled(
                    f"hold {hold_id} was already captured for {hold.captured}; it cannot be "
                    "released"
                )
            settled = attrs.evolve(hold, status=HoldStatus.RELEASED, settled_at=self._now())
            entry = self._entry(EntryKind.RELEASE, hold.amount, hold.reference, hold_id)
            self._apply(entry)
            self._holds[hold_id] = settled
            return settled
