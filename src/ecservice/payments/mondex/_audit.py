"""The accounting of a set of purses and their archive: where every unit of value is.

For a payment ``P`` from payer ``F`` to payee ``T`` define, from the state alone:

* ``F`` *holds* ``P``: ``F`` is ``epa`` with current payment ``P`` (debited, awaiting the ack);
* ``F`` *logged* ``P``: ``P`` is in ``F``'s exception log or archived as logged by ``F``;
* ``T`` *holds* ``P``: ``T`` is ``epv`` with current payment ``P`` (not credited yet);
* ``T`` *logged* ``P``: ``P`` is in ``T``'s exception log or archived as logged by ``T``.

``F`` debits only in ``epr -> epa`` and logs only when aborting in ``epa``; ``T`` credits only in
``epv -> idle`` and logs only when aborting in ``epv``; a purse leaves ``epv``/``epa`` only by
finishing or by aborting with a log entry, and sequence numbers never repeat. Hence ``P`` has been
**debited and not credited** exactly when ``(F holds P or F logged P) and (T holds P or T logged
P)``. Such a payment is

* **lost** when ``F logged P and T logged P`` (it can never complete) and it is not recovered;
* **in flight** otherwise (one side is still live, so it may yet complete or be lost).

The accounting equation, per currency ``c``, which holds after every interleaving of starts,
deliveries, losses, replays, reorderings, aborts, uploads, clears and recoveries::

    sum(balances in c) + in_flight(c) + lost(c) + converted_out(c) - converted_in(c)
        == starting total in c

where ``converted_out``/``converted_in`` are the amounts that left/entered ``c`` through
:meth:`Purse.convert` (zero when nothing was converted), and a recovered payment counts nowhere
but in the payer's balance, to which its value was refunded.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import final

import attrs

from ecservice.errors import ValidationError
from ecservice.money import Currency, Money, sum_money
from ecservice.payments.mondex._archive import Archive
from ecservice.payments.mondex._messages import PaymentDetails, as_currency, require
from ecservice.payments.mondex._purse import Purse, PurseStatus

__all__ = ["Audit", "audit"]


def _total(amounts: Iterable[Money], cur: Currency) -> Money:
    return sum_money((m for m in amounts if m.currency == cur), cur)


@final
@attrs.frozen(slots=True)
class Audit:
    """Where the value of a set of purses is; see :func:`audit` for the definitions.

    Args:
        balances: the total balance per currency, one :class:`~ecservice.money.Money` each,
            by currency code.
        in_flight: payments debited, not credited, that may still complete.
        lost: payments debited, never to be credited, not yet recovered.
        recovered: lost payments already refunded to their payer.
        converted_out: per currency, the amounts converted out of it.
        converted_in: per currency, the amounts converted into it.
    """

    balances: tuple[Money, ...]
    in_flight: tuple[PaymentDetails, ...]
    lost: tuple[PaymentDetails, ...]
    recovered: tuple[PaymentDetails, ...]
    converted_out: tuple[Money, ...] = ()
    converted_in: tuple[Money, ...] = ()

    @property
    def currencies(self) -> frozenset[Currency]:
        """Every currency that appears anywhere in the audit."""
        found = [m.currency for m in (*self.balances, *self.converted_out, *self.converted_in)]
        found += [d.value.currency for d in (*self.in_flight, *self.lost, *self.recovered)]
        return frozenset(found)

    def balance(self, currency_: str | Currency) -> Money:
        """Total balance in one currency."""
        return _total(self.balances, as_currency(currency_))

    def in_flight_value(self, currency_: str | Currency) -> Money:
        """Value of the in-flight payments in one currency."""
        cur = as_currency(currency_)
        return _total((d.value for d in self.in_flight), cur)

    def lost_value(self, currency_: str | Currency) -> Money:
        """Value of the lost, unrecovered payments in one currency."""
        cur = as_currency(currency_)
        return _total((d.value for d in self.lost), cur)

    def recovered_value(self, currency_: str | Currency) -> Money:
        """Value refunded by recoveries in one currency."""
        cur = as_currency(currency_)
        return _total((d.value for d in self.recovered), cur)

    def accounted_total(self, currency_: str | Currency) -> Money:
        """``balance + in_flight + lost + converted_out - converted_in``: the starting total."""
        cur = as_currency(currency_)
        return (
            self.balance(cur)
            + self.in_flight_value(cur)
            + self.lost_value(cur)
            + _total(self.converted_out, cur)
            - _total(self.converted_in, cur)
        )


def audit(purses: Iterable[Purse], archive: Archive | None = None) -> Audit:
    """Account for the value of ``purses`` (every purse that ever took part) and ``archive``.

    Raises:
        ValidationError: two purses share an id, ``purses`` is not an iterable of
            :class:`Purse`, or ``archive`` is not an :class:`Archive`.
    """
    given: object = purses
    if isinstance(given, (str, bytes, Purse)) or not isinstance(given, Iterable):
        raise ValidationError(f"audit needs an iterable of Purse, not {type(given).__name__}")
    if archive is not None:
        require(archive, Archive, "archive")
    by_id: dict[str, Purse] = {}
    for purse in purses:
        require(purse, Purse, "each purse audited")
        if purse.id in by_id and by_id[purse.id] is not purse:
            raise ValidationError(f"two purses named {purse.id!r}: purse ids must be unique")
        by_id[purse.id] = purse
    arch = archive if archive is not None else Archive()

    candidates: set[PaymentDetails] = set(arch.entries)
    for purse in by_id.values():
        candidates.update(purse.exception_log)
        candidates.update(purse.recovered)
        if purse.payment is not None:
            candidates.add(purse.payment)

    def holds(purse_id: str, status: PurseStatus, p: PaymentDetails) -> bool:
        purse = by_id.get(purse_id)
        return purse is not None and purse.status is status and purse.payment == p

    def logged(purse_id: str, p: PaymentDetails) -> bool:
        purse = by_id.get(purse_id)
        return arch.holds(purse_id, p) or (purse is not None and p in purse.exception_log)

    in_flight: list[PaymentDetails] = []
    lost: list[PaymentDetails] = []
    recovered: list[PaymentDetails] = []
    for p in candidates:
        payer = by_id.get(p.from_purse)
        if arch.is_recovered(p) or (payer is not None and p in payer.recovered):
            recovered.append(p)
            continue
        payer_logged, payee_logged = logged(p.from_purse, p), logged(p.to_purse, p)
        debited = payer_logged or holds(p.from_purse, PurseStatus.EXPECTING_ACK, p)
        uncredited = payee_logged or holds(p.to_purse, PurseStatus.EXPECTING_VAL, p)
        if debited and uncredited:
            (lost if payer_logged and payee_logged else in_flight).append(p)

    balances: dict[Currency, Money] = {}
    out: dict[Currency, Money] = {}
    into: dict[Currency, Money] = {}

    def add(totals: dict[Currency, Money], money: Money) -> None:
        totals[money.currency] = totals.get(money.currency, Money.zero(money.currency)) + money

    for purse in by_id.values():
        for money in purse.balances.values():
            add(balances, money)
        for conversion in purse.conversions:
            add(out, conversion.source)
            add(into, conversion.target)

    def ordered(items: Iterable[PaymentDetails]) -> tuple[PaymentDetails, ...]:
        return tuple(sorted(items, key=lambda d: d.sort_key))

    def by_code(totals: dict[Currency, Money]) -> tuple[Money, ...]:
        return tuple(m for _, m in sorted(totals.items(), key=lambda i: i[0].code))

    return Audit(
        balances=by_code(balances),
        in_flight=ordered(in_flight),
        lost=ordered(lost),
        recovered=ordered(recovered),
        converted_out=by_code(out),
        converted_in=by_code(into),
    )
