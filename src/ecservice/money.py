"""Money: exact decimal amounts in ISO 4217 currencies.

A :class:`Money` holds a :class:`~decimal.Decimal` amount quantised to its currency's minor unit
(CNY and USD 2 decimals, JPY 0, KWD 3) and never accepts a float. Amounts in different currencies
never mix silently: adding CNY to USD raises :class:`~ecservice.errors.CurrencyMismatch`.
Splitting an amount uses :meth:`Money.allocate`, which never loses or invents a minor unit.

>>> from decimal import Decimal
>>> price = Money("19.90", "CNY")
>>> price * 3
Money('59.70', 'CNY')
>>> [str(m) for m in Money("100.00", "CNY").allocate([1, 1, 1])]
['33.34 CNY', '33.33 CNY', '33.33 CNY']
>>> Money("1.005", "CNY")
Traceback (most recent call last):
ecservice.errors.InvalidAmount: 1.005 has 3 decimal places but CNY allows at most 2
"""

from __future__ import annotations

import decimal
import functools
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Final, SupportsIndex, final

import attrs
from babel.numbers import format_currency, get_currency_precision, list_currencies

from ecservice.errors import CurrencyMismatch, InvalidAmount, UnknownCurrency

__all__ = [
    "PRECISION",
    "Currency",
    "Money",
    "allocate",
    "currency",
    "positive",
    "sum_money",
    "to_decimal",
]

_KNOWN: Final[frozenset[str]] = frozenset(list_currencies())


@final
@attrs.frozen(slots=True, repr=False)
class Currency:
    """An ISO 4217 currency: its three-letter code and the number of decimals of its minor unit.

    Create currencies with :func:`currency` (cached); ``Currency`` objects compare by code.
    """

    code: str
    minor_units: int = attrs.field(eq=False)
    quantum: Decimal = attrs.field(eq=False)

    def __repr__(self) -> str:
        return f"Currency({self.code!r})"

    def __str__(self) -> str:
        return self.code


@functools.cache
def _currency(code: str) -> Currency:
    digits = get_currency_precision(code)
    return Currency(code, digits, Decimal(1).scaleb(-digits))


def currency(code: str | Currency) -> Currency:
    """Return the :class:`Currency` for an ISO 4217 code such as ``"CNY"``.

    Raises:
        UnknownCurrency: the code is not a known ISO 4217 currency code.
    """
    if isinstance(code, Currency):
        return code
    if not isinstance(code, str) or code.upper() != code or code not in _KNOWN:
        raise UnknownCurrency(
            f"unknown currency code {code!r}: expected an upper-case ISO 4217 code such as "
            "'CNY', 'USD', 'EUR' or 'JPY'"
        )
    return _currency(code)


_as_currency = currency

#: Amounts are exact up to this many significant digits; beyond it operations raise
#: InvalidAmount instead of rounding silently (Python's default context keeps only 28).
PRECISION: Final = 60
_EXACT = decimal.Context(
    prec=PRECISION,
    rounding=decimal.ROUND_HALF_EVEN,
    traps=[
        decimal.InvalidOperation,
        decimal.Inexact,
        decimal.Rounded,
        decimal.Overflow,
        decimal.DivisionByZero,
    ],
)
# Quantising drops only trailing zeros once the decimals were checked; it fails past PRECISION.
_QUANTISE = decimal.Context(prec=PRECISION, traps=[decimal.InvalidOperation])
# For explicitly rounded results (Money.of, Money.multiply): rounding is wanted, not an error.
_ROUNDING = decimal.Context(
    prec=2 * PRECISION,
    traps=[decimal.InvalidOperation, decimal.Overflow, decimal.DivisionByZero],
)


def _exactly(operation: str, fn: Callable[[], Decimal]) -> Decimal:
    try:
        return fn()
    except decimal.DecimalException:
        raise InvalidAmount(
            f"cannot {operation}: the result needs more than {PRECISION} significant digits"
        ) from None


AmountLike = Decimal | int | str


def to_decimal(value: object, what: str = "money amounts") -> Decimal:
    """Convert a ``Decimal``, ``int`` or decimal string to a finite ``Decimal``; never a float.

    ``what`` names the value in error messages ("money amounts", "rate CNY/USD", ...).

    Raises:
        InvalidAmount: a float or bool, a non-numeric string, another type, or a non-finite value.
    """
    # bool is an int subclass; True yuan is almost certainly a bug.
    if isinstance(value, (bool, float)):
        raise InvalidAmount(
            f"{what} must be Decimal, int or str, not {type(value).__name__} "
            f"({value!r}): floats cannot represent most decimal numbers exactly"
        )
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except decimal.InvalidOperation:
            raise InvalidAmount(f"{what}: {value!r} is not a decimal number") from None
    else:
        raise InvalidAmount(f"{what} must be Decimal, int or str, not {type(value).__name__}")
    if not number.is_finite():
        raise InvalidAmount(f"{what} must be finite, not {number}")
    return number


_to_decimal = to_decimal


def _quantise(value: Decimal, cur: Currency) -> Decimal:
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)  # finite, checked by _to_decimal
    if exponent < -cur.minor_units and value != value.quantize(
        cur.quantum, decimal.ROUND_DOWN, context=_ROUNDING
    ):
        raise InvalidAmount(
            f"{value} has {-exponent} decimal places but {cur.code} allows at most "
            f"{cur.minor_units}"
        )
    return _exactly(
        f"represent {value} {cur.code}", lambda: value.quantize(cur.quantum, context=_QUANTISE)
    )


@final
@attrs.frozen(slots=True, repr=False, order=False, init=False)
class Money:
    """An exact amount of one currency.

    Args:
        amount: a :class:`~decimal.Decimal`, ``int`` or decimal string; never a float.
        currency: an ISO 4217 code or a :class:`Currency`.

    Raises:
        InvalidAmount: a float, a non-finite value, or more decimals than the currency allows.
        UnknownCurrency: the currency code is unknown.
    """

    amount: Decimal
    currency: Currency

    def __init__(self, amount: AmountLike, currency: str | Currency) -> None:
        cur = _as_currency(currency)
        object.__setattr__(self, "currency", cur)
        object.__setattr__(self, "amount", _quantise(_to_decimal(amount), cur))

    @classmethod
    def _exact(cls, amount: Decimal, cur: Currency) -> Money:
        """Build from an amount already quantised to ``cur`` (internal fast path)."""
        m = object.__new__(cls)
        object.__setattr__(m, "amount", amount)
        object.__setattr__(m, "currency", cur)
        return m

    @classmethod
    def zero(cls, currency: str | Currency) -> Money:
        """Zero in ``currency``."""
        return cls(0, currency)

    @classmethod
    def from_minor(cls, units: int, currency: str | Currency) -> Money:
        """Build from a whole number of minor units: ``Money.from_minor(1230, "CNY")`` is 12.30."""
        if isinstance(units, bool) or not isinstance(units, int):
            raise InvalidAmount(f"minor units must be an int, not {type(units).__name__}")
        cur = _as_currency(currency)
        return cls._exact(
            _exactly(
                f"represent {units} minor units of {cur.code}",
                lambda: (
                    Decimal(units)
                    .scaleb(-cur.minor_units, _EXACT)
                    .quantize(cur.quantum, context=_QUANTISE)
                ),
            ),
            cur,
        )

    @classmethod
    def of(cls, amount: AmountLike, currency: str | Currency, *, rounding: str) -> Money:
        """Build from an amount that may need rounding, with an explicit ``decimal`` rounding mode.

        >>> Money.of(Decimal("2.345"), "CNY", rounding=decimal.ROUND_HALF_EVEN)
        Money('2.34', 'CNY')
        """
        cur = _as_currency(currency)
        value = _to_decimal(amount)
        rounded = _exactly(
            f"round {value} to {cur.code}",
            lambda: value.quantize(cur.quantum, rounding=rounding, context=_ROUNDING),
        )
        return cls._exact(_quantise(rounded, cur), cur)

    # --- views -------------------------------------------------------------------------------

    @property
    def minor_units(self) -> int:
        """The amount as a whole number of minor units (fen, cents, ...)."""
        return int(self.amount.scaleb(self.currency.minor_units, _EXACT))

    def is_zero(self) -> bool:
        """``True`` when the amount is zero."""
        return not self.amount

    def is_negative(self) -> bool:
        """``True`` when the amount is below zero."""
        return self.amount < 0

    def format(self, locale: str = "zh_CN") -> str:
        """Format for display with Babel: ``¥12.30`` in ``zh_CN``, ``CN¥12.30`` in ``en``."""
        return str(format_currency(self.amount, self.currency.code, locale=locale))

    def __repr__(self) -> str:
        return f"Money({str(self.amount)!r}, {self.currency.code!r})"

    def __str__(self) -> str:
        return f"{self.amount} {self.currency.code}"

    # --- arithmetic ----------------------------------------------------------------------------

    def _same(self, other: Money, operation: str) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatch(self.currency.code, other.currency.code, operation)

    def __add__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other, "add")
        a, b = self.amount, other.amount
        return Money._exact(_exactly("add", lambda: _EXACT.add(a, b)), self.currency)

    def __sub__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other, "subtract")
        a, b = self.amount, other.amount
        return Money._exact(_exactly("subtract", lambda: _EXACT.subtract(a, b)), self.currency)

    def __neg__(self) -> Money:
        return Money._exact(self.amount.copy_negate(), self.currency)

    def __abs__(self) -> Money:
        return Money._exact(self.amount.copy_abs(), self.currency)

    def __mul__(self, factor: SupportsIndex) -> Money:
        """Multiply by a whole number (exact). For other factors use :meth:`multiply`."""
        if isinstance(factor, bool) or not isinstance(factor, int):
            return NotImplemented
        a, k = self.amount, Decimal(int(factor))
        return Money._exact(_exactly("multiply", lambda: _EXACT.multiply(a, k)), self.currency)

    __rmul__ = __mul__

    def multiply(self, factor: Decimal | int, *, rounding: str) -> Money:
        """Multiply by a Decimal factor, rounding to the minor unit with an explicit mode."""
        product = _ROUNDING.multiply(self.amount, _to_decimal(factor))
        return Money.of(product, self.currency, rounding=rounding)

    def _compare(self, other: object, operation: str) -> Money:
        if not isinstance(other, Money):
            raise TypeError(f"cannot compare Money with {type(other).__name__}")
        self._same(other, operation)
        return other

    def __lt__(self, other: Money) -> bool:
        return self.amount < self._compare(other, "compare").amount

    def __le__(self, other: Money) -> bool:
        return self.amount <= self._compare(other, "compare").amount

    def __gt__(self, other: Money) -> bool:
        return self.amount > self._compare(other, "compare").amount

    def __ge__(self, other: Money) -> bool:
        return self.amount >= self._compare(other, "compare").amount

    def __bool__(self) -> bool:
        return bool(self.amount)

    def allocate(self, ratios: Sequence[int | Decimal]) -> list[Money]:
        """Split into parts proportional to ``ratios`` by the largest-remainder method.

        The parts always add up to exactly this amount. Each part gets the floor of its exact share
        (in minor units); the minor units left over go one each to the parts with the largest
        remainders, earlier parts first on ties.

        Raises:
            InvalidAmount: no ratios, a negative or float ratio, or all ratios zero.
        """
        return allocate(self, ratios)


def allocate(total: Money, ratios: Sequence[int | Decimal]) -> list[Money]:
    """Split ``total`` proportionally to ``ratios``; see :meth:`Money.allocate`."""
    if not ratios:
        raise InvalidAmount("allocate needs at least one ratio")
    weights = [_to_decimal(r) for r in ratios]
    if any(w < 0 for w in weights):
        raise InvalidAmount(f"allocation ratios must not be negative: {list(ratios)!r}")
    weight_sum = sum(weights, Decimal(0))
    if not weight_sum:
        raise InvalidAmount("allocation ratios must not all be zero")
    units = total.minor_units
    sign = -1 if units < 0 else 1
    units = abs(units)
    with decimal.localcontext() as ctx:
        ctx.prec = max(50, len(str(units)) + 30)
        exact = [Decimal(units) * w / weight_sum for w in weights]
    floors = [int(e) for e in exact]  # int() truncates toward zero; all shares are >= 0
    left = units - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return [Money.from_minor(sign * f, total.currency) for f in floors]


def positive(amount: object, what: str, currency: str | Currency | None = None) -> Money:
    """Return ``amount`` if it is a :class:`Money` above zero (in ``currency``, when given).

    ``what`` names the amount in messages ("a refund", "an e-cash deposit", ...).

    Raises:
        InvalidAmount: not Money, or zero or less.
        CurrencyMismatch: not in ``currency``.
    """
    if not isinstance(amount, Money):
        raise InvalidAmount(f"{what} must be Money, not {type(amount).__name__}")
    if currency is not None:
        expected = _as_currency(currency)
        if amount.currency != expected:
            raise CurrencyMismatch(expected.code, amount.currency.code, f"use {what} in")
    if amount.amount <= 0:
        raise InvalidAmount(f"{what} must be more than zero, not {amount}")
    return amount


def sum_money(amounts: Iterable[Money], currency: str | Currency) -> Money:
    """Add up ``amounts``; an empty iterable gives zero in ``currency``.

    Raises:
        CurrencyMismatch: an amount is not in ``currency``.
    """
    result = Money.zero(currency)
    for amount in amounts:
        result = result + amount
    return result
