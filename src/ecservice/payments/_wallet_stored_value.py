"""Stored value: balances per currency, holds (authorisations) and the ledger behind them.

A :class:`StoredValue` is the book-keeping half of an :class:`~ecservice.payments.wallet.EWallet`
and knows nothing of PINs: the wallet checks the owner, then calls it. See
:mod:`ecservice.payments._wallet_ledger` for how each entry moves the available and held
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

from typing import final

import attrs

from ecservice.clock import Clock
from ecservice.errors import CurrencyMismatch, InsufficientFunds, InvalidAmount, ValidationError
from ecservice.money import Currency, Money, currency
from ecservice.payments._wallet_errors import HoldSettled, UnknownHold
from ecservice.payments._wallet_ledger import EntryKind, Hold, HoldStatus, LedgerEntry

__all__ = ["StoredValue"]


def check_text(value: object, what: str, limit: int = 200) -> str:
    """Return ``value`` if it is a non-blank str of at most ``limit`` characters."""
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise ValidationError(f"{what} must be a non-empty str of at most {limit} characters")
    return value


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

    Args:
        clock: the time source for ledger entries and holds.
        name: how messages name these books (default ``"stored value"``; a wallet passes
            ``"wallet <id>"``).
    """

    clock: Clock = attrs.field(repr=False)
    name: str = "stored value"
    _available: dict[Currency, Money] = attrs.field(factory=dict, repr=False)
    _holds: dict[str, Hold] = attrs.field(factory=dict, repr=False)
    _ledger: list[LedgerEntry] = attrs.field(factory=list, repr=False)

    def available(self, cur: str | Currency) -> Money:
        """Stored value that can be spent now (not held)."""
        c = currency(cur)
        return self._available.get(c, Money.zero(c))

    def held(self, cur: str | Currency) -> Money:
        """Stored value set aside by open holds."""
        c = currency(cur)
        total = Money.zero(c)
        for h in self._holds.values():
            if h.is_open and h.amount.currency == c:
                total = total + h.amount
        return total

    def balance(self, cur: str | Currency) -> Money:
        """``available + held``: all stored value of the currency."""
        return self.available(cur) + self.held(cur)

    @property
    def currencies(self) -> tuple[Currency, ...]:
        """Currencies that have ever had stored value, by code."""
        return tuple(sorted(self._available, key=lambda c: c.code))

    @property
    def ledger(self) -> tuple[LedgerEntry, ...]:
        """Every ledger entry, oldest first."""
        return tuple(self._ledger)

    def _record(
        self, kind: EntryKind, amount: Money, reference: str, hold_id: str | None = None
    ) -> LedgerEntry:
        entry = LedgerEntry(
            len(self._ledger) + 1, kind, amount, reference, self.clock.now(), hold_id
        )
        cur = amount.currency
        self._available[cur] = self.available(cur) + entry.available_delta
        self._ledger.append(entry)
        return entry

    def require(self, amount: Money, action: str) -> None:
        """Raise :class:`~ecservice.errors.InsufficientFunds` unless ``amount`` is available.

        ``action`` names the operation in the message ("pay", "authorise").
        """
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
        """
        positive_money(amount, "a credit")
        check_text(reference, "a credit reference")
        return self._record(EntryKind.CREDIT, amount, reference)

    def debit(self, amount: Money, reference: str) -> LedgerEntry:
        """Spend stored value at once.

        Raises:
            InvalidAmount: ``amount`` is not a positive Money.
            InsufficientFunds: more than is available (the message says how much is).
        """
        positive_money(amount, "a payment")
        check_text(reference, "a payment reference")
        self.require(amount, "pay")
        return self._record(EntryKind.DEBIT, amount, reference)

    # --- holds -------------------------------------------------------------------------------

    def authorize(self, amount: Money, reference: str) -> Hold:
        """Set ``amount`` of available stored value aside for a later capture.

        Raises:
            InvalidAmount: ``amount`` is not a positive Money.
            InsufficientFunds: more than is available.
        """
        positive_money(amount, "an authorisation")
        check_text(reference, "an authorisation reference")
        self.require(amount, "authorise")
        hold = Hold(self.next_hold_id(), amount, reference, self.clock.now())
        self._record(EntryKind.HOLD, amount, reference, hold.hold_id)
        self._holds[hold.hold_id] = hold
        return hold

    def next_hold_id(self) -> str:
        """The id the next hold will get (``H000001``, ``H000002``, ...)."""
        return f"H{len(self._holds) + 1:06d}"

    def hold(self, hold_id: str) -> Hold:
        """The hold with ``hold_id``, in its current state.

        Raises:
            UnknownHold: no such hold.
        """
        try:
            return self._holds[hold_id]
        except (KeyError, TypeError):
            raise UnknownHold(f"{self.name} has no hold {hold_id!r}") from None

    def holds(self, status: HoldStatus | None = HoldStatus.OPEN) -> tuple[Hold, ...]:
        """Holds with ``status`` (open ones by default; ``None`` for all), oldest first."""
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
        now = self.clock.now()
        settled = attrs.evolve(hold, status=HoldStatus.CAPTURED, captured=take, settled_at=now)
        self._record(EntryKind.CAPTURE, take, hold.reference, hold_id)
        if settled.released:
            self._record(EntryKind.RELEASE, settled.released, hold.reference, hold_id)
        self._holds[hold_id] = settled
        return settled

    def release(self, hold_id: str) -> Hold:
        """Give all of an open hold back to available.

        Idempotent: releasing a released hold returns it unchanged.

        Raises:
            UnknownHold: no such hold.
            HoldSettled: the hold was captured.
        """
        hold = self.hold(hold_id)
        if hold.status is HoldStatus.RELEASED:
            return hold
        if hold.status is HoldStatus.CAPTURED:
            raise HoldSettled(
                f"hold {hold_id} was already captured for {hold.captured}; it cannot be released"
            )
        settled = attrs.evolve(hold, status=HoldStatus.RELEASED, settled_at=self.clock.now())
        self._record(EntryKind.RELEASE, hold.amount, hold.reference, hold_id)
        self._holds[hold_id] = settled
        return settled
