"""Exchange rates and the record of a currency conversion inside a purse.

A :class:`RateTable` quotes a :class:`~decimal.Decimal` rate for each ordered pair of currencies
it knows (``USD -> CNY`` does not imply ``CNY -> USD``) and names the rounding mode used to bring
a converted amount back to the target currency's minor unit. Every conversion leaves a
:class:`Conversion` record holding the exact product and the rounded amount actually credited, so
the rounding remainder is accounted, never silently dropped.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Final, Protocol, final, runtime_checkable

import attrs
from pendulum import DateTime

from ecservice._shown import shown
from ecservice.errors import InvalidAmount, ValidationError
from ecservice.money import Currency, Money, to_decimal
from ecservice.payments.mondex._errors import RateUnavailable, UnsafeRates
from ecservice.payments.mondex._messages import as_currency

__all__ = [
    "ROUNDING_MODES",
    "Conversion",
    "RateSource",
    "RateTable",
    "check_no_gainful_cycle",
    "check_rounding",
    "exact_product",
]

#: The rounding modes a rate table may use: those that never round a positive amount up, so a
#: conversion never credits more than the exact value of what it debited. (``ROUND_CEILING``,
#: ``ROUND_UP``, the ``ROUND_HALF_*`` modes and ``ROUND_05UP`` all round some amounts up: with
#: them, 200 round trips of 0.03 CNY through JPY at 20 JPY/CNY and 0.05 CNY/JPY would turn 1.00
#: CNY into 5.00 CNY.)
ROUNDING_MODES: Final[frozenset[str]] = frozenset({decimal.ROUND_DOWN, decimal.ROUND_FLOOR})

#: Rounding modes :mod:`decimal` knows but a rate table refuses, because they round some amounts up.
_UNSAFE_MODES: Final[frozenset[str]] = frozenset(
    {
        decimal.ROUND_CEILING,
        decimal.ROUND_HALF_DOWN,
        decimal.ROUND_HALF_EVEN,
        decimal.ROUND_HALF_UP,
        decimal.ROUND_UP,
        decimal.ROUND_05UP,
    }
)


def check_rounding(value: object) -> str:
    """Return ``value`` if it is a rounding mode conversions may use, else raise.

    Raises:
        UnsafeRates: a :mod:`decimal` mode that rounds some amounts up (it would let round trips
            create value).
        ValidationError: not a :mod:`decimal` rounding mode at all.
    """
    if isinstance(value, str) and value in ROUNDING_MODES:
        return value
    allowed = " or ".join(sorted(ROUNDING_MODES))
    if isinstance(value, str) and value in _UNSAFE_MODES:
        raise UnsafeRates(
            f"rounding mode {value} can round a converted amount up, crediting value nobody "
            f"paid (round trips would create money); use {allowed}"
        )
    raise ValidationError(f"unknown rounding mode {shown(value)}: use {allowed}")


@runtime_checkable
class RateSource(Protocol):
    """Anything that quotes exchange rates: a :class:`RateTable` or a live feed adapter."""

    @property
    def rounding(self) -> str:
        """The :mod:`decimal` rounding mode applied to converted amounts.

        One of ``ROUNDING_MODES`` (``ROUND_DOWN``, ``ROUND_FLOOR``); a purse refuses to convert
        with any other.
        """

    def rate(self, source: Currency, target: Currency) -> Decimal:
        """How many units of ``target`` one unit of ``source`` buys.

        Raises:
            RateUnavailable: no rate is quoted for the pair.
        """


def _to_rate(value: object, pair: str) -> Decimal:
    rate = to_decimal(value, f"rate {pair}")
    if not rate.is_finite() or rate <= 0:
        raise InvalidAmount(f"rate {pair} must be a finite number greater than zero, not {rate}")
    return rate


def _to_rates(
    value: Mapping[tuple[str | Currency, str | Currency], Decimal | int | str],
) -> Mapping[tuple[Currency, Currency], Decimal]:
    if not isinstance(value, Mapping):
        raise ValidationError(
            "rates must be a mapping such as {('USD', 'CNY'): Decimal('7.10')}, "
            f"not {type(value).__name__}"
        )
    rates: dict[tuple[Currency, Currency], Decimal] = {}
    for key, raw in value.items():
        if not isinstance(key, tuple) or len(key) != 2:
            raise ValidationError(
                f"rate keys must be (source, target) currency pairs such as ('USD', 'CNY'), "
                f"not {shown(key)}"
            )
        source, target = as_currency(key[0]), as_currency(key[1])
        pair = f"{source.code}->{target.code}"
        if source == target:
            raise ValidationError(
                f"rate {pair} converts a currency to itself: quote only distinct currencies"
            )
        if (source, target) in rates:
            raise ValidationError(f"rate {pair} is given twice: quote each pair once")
        rates[(source, target)] = _to_rate(raw, pair)
    return MappingProxyType(rates)


def _check_rounding(_instance: object, _attribute: object, value: object) -> None:
    check_rounding(value)


def check_no_gainful_cycle(rates: Mapping[tuple[Currency, Currency], Decimal]) -> None:
    """Raise unless every cycle of quoted rates multiplies to at most 1.

    A cycle ``c1 -> c2 -> ... -> c1`` whose rates multiply to more than 1 turns any amount into a
    larger one by converting around it, before any rounding. Checked with the Floyd-Warshall
    algorithm on the best (largest) product between each pair of currencies, in exact decimal
    arithmetic (products rounded up if they ever need more than 200 digits, so the check errs
    towards refusing).

    Raises:
        UnsafeRates: a cycle multiplies to more than 1; the message names it.
    """
    nodes = sorted({c for pair in rates for c in pair}, key=lambda c: c.code)
    best: dict[tuple[Currency, Currency], tuple[Decimal, tuple[Currency, ...]]] = {
        (s, t): (r, (s, t)) for (s, t), r in rates.items()
    }
    with decimal.localcontext() as ctx:
        ctx.prec = 200
        ctx.rounding = decimal.ROUND_CEILING
        ctx.traps[decimal.Overflow] = True
        for k in nodes:
            for i in nodes:
                left = best.get((i, k))
                if left is None:
                    continue
                for j in nodes:
                    right = best.get((k, j))
                    if right is None:
                        continue
                    product = left[0] * right[0]
                    known = best.get((i, j))
                    if known is None or product > known[0]:
                        best[(i, j)] = (product, left[1] + right[1][1:])
                    if i == j and product > 1:
                        path = " -> ".join(c.code for c in left[1] + right[1][1:])
                        raise UnsafeRates(
                            f"the rates of cycle {path} multiply to {product.normalize()}, more "
                            "than 1: converting around it would create value; quote rates whose "
                            "round trips give back at most what was converted"
                        )


@final
@attrs.frozen(slots=True, eq=False)
class RateTable:
    """A fixed table of exchange rates, injectable wherever a :class:`RateSource` is expected.

    Args:
        rates: ``{(source, target): rate}``; ``rate`` target units per source unit, a
            :class:`~decimal.Decimal` (or ``int``/decimal string; never a float), strictly
            positive. Pairs are directional: give both directions to convert both ways.
        rounding: the :mod:`decimal` rounding mode for the converted amount: ``ROUND_DOWN``
            (the default) or ``ROUND_FLOOR``, which never credit more than the exact value (the
            remainder is recorded). Modes that round up are refused.

    Conversions can never create value by round trips: every conversion credits at most the
    exact value, and the table refuses rates whose cycles (``A -> B -> A`` or longer) multiply to
    more than 1. So converting an amount around any cycle of the table gives back at most that
    amount.

    Raises:
        InvalidAmount: a rate is a float, not finite, zero or negative.
        UnsafeRates: a rounding mode that rounds up, or a cycle of rates multiplying to more
            than 1.
        ValidationError: a malformed key, a pair from a currency to itself, or an unknown
            rounding mode.
        UnknownCurrency: a currency code is unknown.

    >>> from ecservice.money import currency
    >>> table = RateTable({("USD", "CNY"): Decimal("7.1234")})
    >>> table.rate(currency("USD"), currency("CNY"))
    Decimal('7.1234')
    """

    rates: Mapping[tuple[Currency, Currency], Decimal] = attrs.field(converter=_to_rates)
    rounding: str = attrs.field(default=decimal.ROUND_DOWN, validator=_check_rounding)

    def __attrs_post_init__(self) -> None:
        check_no_gainful_cycle(self.rates)

    def rate(self, source: Currency, target: Currency) -> Decimal:
        """How many units of ``target`` one unit of ``source`` buys.

        Raises:
            RateUnavailable: the table quotes no rate for ``source -> target``.
            ValidationError, UnknownCurrency: a currency is not a known ISO 4217 code.
        """
        source, target = as_currency(source), as_currency(target)
        try:
            return self.rates[(source, target)]
        except KeyError:
            quoted = ", ".join(sorted(f"{s.code}->{t.code}" for s, t in self.rates)) or "none"
            raise RateUnavailable(
                f"no rate from {source.code} to {target.code} in this table; it quotes: {quoted}"
            ) from None

    def pairs(self) -> Iterable[tuple[Currency, Currency]]:
        """The quoted ``(source, target)`` pairs."""
        return tuple(self.rates)


def exact_product(amount: Decimal, rate: Decimal) -> Decimal:
    """``amount * rate`` computed exactly, whatever the current decimal context precision."""
    digits = len(amount.as_tuple().digits) + len(rate.as_tuple().digits) + 2
    with decimal.localcontext() as ctx:
        ctx.prec = max(ctx.prec, digits)
        ctx.traps[decimal.Inexact] = True
        return amount * rate


@final
@attrs.frozen(slots=True)
class Conversion:
    """The record of one conversion inside a purse: what went out, what came in, and why.

    ``source`` left the purse; ``target`` (``exact`` rounded with ``rounding``) entered it;
    ``remainder`` is ``exact - target.amount`` in target-currency units, never negative: the
    holder never receives more than the exact value. Nothing vanishes unaccounted.

    Args:
        purse: the purse that converted.
        source: the amount debited.
        target: the amount credited.
        rate: target units per source unit.
        exact: ``source.amount * rate``, unrounded.
        remainder: ``exact - target.amount``.
        rounding: the :mod:`decimal` rounding mode used.
        occurred_at: when the conversion happened (UTC).
    """

    purse: str
    source: Money
    target: Money
    rate: Decimal
    exact: Decimal
    remainder: Decimal
    rounding: str
    occurred_at: DateTime
