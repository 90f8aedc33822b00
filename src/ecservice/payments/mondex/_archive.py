"""The archive: the bank side that collects exception logs and recovers definitely lost value.

A purse uploads its exception log with :meth:`Archive.upload` and only then clears it with
:meth:`Purse.clear_exception_log`, which removes just the entries the archive holds, so no entry
is ever in neither place. :meth:`Archive.collect` does both.

A payment is **definitely lost** when the archive holds it from both sides: the payer logged it
(it aborted in ``epa``, so it had debited) and the payee logged it (it aborted in ``epv``, so it
never credited and never will). :meth:`Archive.recover` refunds such a payment to its payer,
at most once.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import final

import attrs
from pendulum import DateTime

from ecservice.clock import SYSTEM_CLOCK, Clock
from ecservice.errors import DoubleSpend, ValidationError
from ecservice.money import Currency, Money, sum_money
from ecservice.payments.mondex._errors import PaymentNotLost
from ecservice.payments.mondex._messages import PaymentDetails, as_currency, require
from ecservice.payments.mondex._purse import Purse

__all__ = ["Archive", "Recovery", "Side"]


class Side(enum.Enum):
    """Which party of a payment logged it."""

    FROM = "from"
    TO = "to"


def _is_details(value: object) -> bool:
    return isinstance(value, PaymentDetails)


def side_of(purse_id: str, details: PaymentDetails) -> Side:
    """The side ``purse_id`` plays in ``details``.

    Raises:
        ValidationError: the purse is neither payer nor payee.
    """
    if details.from_purse == purse_id:
        return Side.FROM
    if details.to_purse == purse_id:
        return Side.TO
    raise ValidationError(
        f"purse {purse_id!r} logged payment {details} but is neither its payer "
        f"{details.from_purse!r} nor its payee {details.to_purse!r}"
    )


@final
@attrs.frozen(slots=True)
class Recovery:
    """A refund of one definitely lost payment to its payer.

    Args:
        details: the lost payment.
        refunded: the value credited back to the payer.
        purse: the payer's id.
        recovered_at: when the refund was made (UTC).
    """

    details: PaymentDetails
    refunded: Money
    purse: str
    recovered_at: DateTime


@attrs.define(slots=True, eq=False)
class Archive:
    """The bank's archive of exception-log entries, and the recovery of lost value.

    Args:
        clock: tells the time of recoveries; defaults to the system clock.
    """

    clock: Clock = attrs.field(default=SYSTEM_CLOCK, kw_only=True)
    _sides: dict[PaymentDetails, set[Side]] = attrs.field(factory=dict, init=False)
    _recoveries: dict[PaymentDetails, Recovery] = attrs.field(factory=dict, init=False)

    # --- collecting logs ---------------------------------------------------------------------

    def upload(self, purse: Purse) -> tuple[PaymentDetails, ...]:
        """Copy ``purse``'s exception log into the archive; the purse's log is unchanged.

        Uploading the same entries again is harmless.

        Returns:
            the entries that were new to the archive.

        Raises:
            ValidationError: an entry names neither the purse as payer nor as payee, or
                ``purse`` is not a :class:`Purse`.
        """
        require(purse, Purse, "the purse uploading")
        log = purse.exception_log
        sides = [side_of(purse.id, entry) for entry in log]  # validate all before storing
        new: list[PaymentDetails] = []
        for entry, side in zip(log, sides, strict=True):
            held = self._sides.setdefault(entry, set())
            if side not in held:
                held.add(side)
                new.append(entry)
        return tuple(new)

    def collect(self, purse: Purse) -> tuple[PaymentDetails, ...]:
        """Upload ``purse``'s exception log, then let the purse clear what the archive holds.

        Returns:
            the entries cleared from the purse.
        """
        self.upload(purse)
        return purse.clear_exception_log(self)

    def holds(self, purse_id: str, details: PaymentDetails) -> bool:
        """``True`` when the archive holds ``details`` as logged by ``purse_id``."""
        if not _is_details(details) or not isinstance(purse_id, str):
            return False
        try:
            side = side_of(purse_id, details)
        except ValidationError:
            return False
        return side in self._sides.get(details, ())

    def sides(self, details: PaymentDetails) -> frozenset[Side]:
        """The sides that have logged ``details`` into the archive."""
        if not _is_details(details):
            return frozenset()
        return frozenset(self._sides.get(details, ()))

    @property
    def entries(self) -> Mapping[PaymentDetails, frozenset[Side]]:
        """Every archived payment with the sides that logged it."""
        return MappingProxyType({d: frozenset(s) for d, s in self._sides.items()})

    # --- lost value --------------------------------------------------------------------------

    def is_definitely_lost(self, details: PaymentDetails) -> bool:
        """``True`` when both payer and payee logged ``details``: debited, never credited."""
        if not _is_details(details):
            return False
        return self._sides.get(details, set()) >= {Side.FROM, Side.TO}

    def lost_payments(self, *, include_recovered: bool = False) -> tuple[PaymentDetails, ...]:
        """The definitely lost payments, ordered by payer and sequence number.

        Args:
            include_recovered: also list the lost payments already refunded.
        """
        return tuple(
            sorted(
                (
                    d
                    for d in self._sides
                    if self.is_definitely_lost(d)
                    and (include_recovered or d not in self._recoveries)
                ),
                key=lambda d: d.sort_key,
            )
        )

    def lost_value(self, currency_: str | Currency) -> Money:
        """The value of the definitely lost payments in one currency not yet recovered."""
        cur = as_currency(currency_)
        return sum_money((d.value for d in self.lost_payments() if d.value.currency == cur), cur)

    # --- recovery ----------------------------------------------------------------------------

    @property
    def recoveries(self) -> tuple[Recovery, ...]:
        """Every refund made, in the order made."""
        return tuple(self._recoveries.values())

    def is_recovered(self, details: PaymentDetails) -> bool:
        """``True`` when ``details`` has been refunded."""
        if not _is_details(details):
            return False
        return details in self._recoveries

    def recover(self, details: PaymentDetails, purse: Purse) -> Recovery:
        """Refund the definitely lost payment ``details`` to its payer ``purse``, once.

        Raises:
            PaymentNotLost: the archive does not hold ``details`` from both sides.
            DoubleSpend: ``details`` was already recovered.
            ValidationError: ``purse`` is not the payer of ``details``, or an argument of the
                wrong type.
            BalanceLimitExceeded: the refund would take the payer above its limit (nothing is
                recorded; recover again once the purse has room).
        """
        require(details, PaymentDetails, "the payment to recover")
        require(purse, Purse, "the purse to refund")
        if details in self._recoveries:
            raise DoubleSpend(
                f"payment {details} was already recovered at "
                f"{self._recoveries[details].recovered_at.isoformat()}: "
                "a lost payment is refunded once"
            )
        if not self.is_definitely_lost(details):
            have = ", ".join(sorted(s.value for s in self.sides(details))) or "no side"
            raise PaymentNotLost(
                f"payment {details} is not definitely lost: the archive holds it from {have}; "
                "recovery needs the exception-log entries of both the payer and the payee"
            )
        refunded = purse._credit_recovery(details)
        recovery = Recovery(details, refunded, purse.id, self.clock.now())
        self._recoveries[details] = recovery
        return recovery

    def recover_all(self, purses: Iterable[Purse]) -> tuple[Recovery, ...]:
        """Refund every definitely lost, unrecovered payment whose payer is among ``purses``.

        Raises:
            ValidationError: ``purses`` is not an iterable of :class:`Purse`.
            BalanceLimitExceeded: a payer has no room for its refund (the refunds before it are
                made; recover the rest once that purse has room).
        """
        given: object = purses
        if isinstance(given, (str, bytes, Purse)) or not isinstance(given, Iterable):
            raise ValidationError(f"expected an iterable of Purse, not {type(given).__name__}")
        by_id = {require(p, Purse, "each purse").id: p for p in purses}
        return tuple(
            self.recover(d, by_id[d.from_purse])
            for d in self.lost_payments()
            if d.from_purse in by_id
        )
