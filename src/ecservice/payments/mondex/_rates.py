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

from ecservice.errors import InvalidAmount, ValidationError
from ecservice.money import Currency, Money, currency, to_decimal
from ecservice.payments.mondex._errors import RateUnavailable

__all__ = ["ROUNDING_MODES", "Conversion", "RateSource", "RateTable", "exact_product"]

#: The rounding modes of :mod:`decimal` that a rate table may use.
ROUNDING_MODES: Final[frozenset[str]] = frozenset(
    {
        decimal.ROUND_CEILING,
        decimal.ROUND_DOWN,
        decimal.ROUND_FLOOR,
        decimal.ROUND_HALF_DOWN,
        decimal.ROUND_HALF_EVEN,
        decimal.ROUND_HALF_UP,
        decimal.ROUND_UP,
        decimal.ROUND_05UP,
    }
)


@runtime_checkable
class RateSource(Protocol):
    """Anything that quotes exchange rates: a :class:`RateTable` or a live feed adapter."""

    @property
    def rounding(self) -> str:
        """The :mod:`decimal` rounding mode applied to converted amounts."""

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
                f"not {key!r}"
            )
        source, target = currency(key[0]), currency(key[1])
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
    if value not in ROUNDING_MODES:
        raise ValidationError(
            f"unknown rounding mode {value!r}: use one of {', '.join(sorted(ROUNDING_MODES))}"
        )


@final
@attrs.frozen(slots=True, eq=False)
class RateTable:
    """A fixed table of exchange rates, injectable wherever a :class:`RateSource` is expected.

    Args:
        rates: ``{(source, target): rate}``; ``rate`` target units per source unit, a
            :class:`~decimal.Decimal` (or ``int``/decimal string; never a float), strictly
            positive. Pairs are directional: give both directions to convert both ways.
        rounding: a :mod:`decimal` rounding mode for the converted amount. The default,
            ``ROUND_DOWN``, never credits more than the exact value; the remainder is recorded.

    Raises:
        InvalidAmount: a rate is a float, not finite, zero or negative.
        ValidationError: a malformed key, a pair from a currency to itself, or an unknown
            rounding mode.
        UnknownCurrency: a currency code is unknown.

    >>> table = RateTable({("USD", "CNY"): Decimal("7.1234")})
    >>> table.rate(currency("USD"), currency("CNY"))
    Decimal('7.1234')
    """

    rates: Mapping[tuple[Currency, Currency], Decimal] = attrs.field(converter=_to_rates)
    rounding: str = attrs.field(default=decimal.ROUND_DOWN, validator=_check_rounding)

    def rate(self, source: Currency, target: Currency) -> Decimal:
        """How many units of ``target`` one unit of ``source`` buys.

        Raises:
            RateUnavailable: the table quotes no rate for ``source -> target``.
        """
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
    ``remainder`` is ``exact - target.amount`` in target-currency units: positive when the holder
    received less than the exact value, negative when more. Nothing vanishes unaccounted.

    Attributes:
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
