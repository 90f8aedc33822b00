"""Money: exact decimal amounts in ISO 4217 currencies.

A :class:`Money` holds a :class:`~decimal.Decimal` amount quantised to its currency's minor unit
(CNY and USD 2 decimals, JPY 0, KWD and IQD 3) and never accepts a float. Amounts in different
currencies never mix silently: adding CNY to USD raises :class:`~ecservice.errors.CurrencyMismatch`.
Splitting an amount uses :meth:`Money.allocate`, which never loses or invents a minor unit.

Sources of the rules:

* **Minor units** come from ISO 4217 list one ("current currency and funds"), as shipped by the
  ``iso4217`` package (its table's publication date is :data:`ISO_4217_PUBLISHED`). They are the
  digits a payment provider exchanges (an amount of 1.234 IQD is 1234 fils), and they differ from
  the display digits of CLDR for about fifteen currencies (CLDR shows IQD and HUF without
  decimals; ISO gives IQD 3 and HUF 2).
* **Formatting** comes from Babel (CLDR): symbol, grouping and pattern of the locale, always with
  the ISO number of decimals.
* **Amounts** are exact: every result is either exact or refused with
  :class:`~ecservice.errors.InvalidAmount`; nothing is rounded unless a method takes an explicit
  ``rounding`` mode (:meth:`Money.of`, :meth:`Money.multiply`), and then it rounds once.
* There is **no negative zero**: every zero amount is ``0.00``, never ``-0.00``.

>>> from decimal import Decimal
>>> price = Money("19.90", "CNY")
>>> price * 3
Money('59.70', 'CNY')
>>> [str(m) for m in Money("100.00", "CNY").allocate([1, 1, 1])]
['33.34 CNY', '33.33 CNY', '33.33 CNY']
>>> Money("1.005", "CNY")
Traceback (most recent call last):
ecservice.errors.InvalidAmount: 1.005 has 3 decimal places but CNY allows at most 2
>>> currency("IQD").minor_units
3
>>> currency("CNY") == "CNY"
True
"""

from __future__ import annotations

import copy
import datetime as _dt
import decimal
import functools
import math
import re
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Final, NoReturn, SupportsIndex, final

import attrs
from babel import Locale, UnknownLocaleError
from babel.numbers import parse_pattern

from ecservice import _currency
from ecservice._currency import Currency, _show, currency
from ecservice.errors import CurrencyMismatch, InvalidAmount, UnsupportedOperand, ValidationError

__all__ = [
    "ISO_4217_PUBLISHED",
    "MAX_AMOUNT_TEXT",
    "PRECISION",
    "Currency",
    "Money",
    "allocate",
    "currency",
    "positive",
    "sum_money",
    "to_decimal",
]

#: Amounts are exact up to this many significant digits. A :class:`Money` holds at most this many
#: digits of minor units (``abs(minor_units) < 10**PRECISION``: below 10**58 CNY, 10**60 JPY);
#: factors, ratios and rates have at most this many significant digits and a magnitude between
#: ``10**-PRECISION`` and ``10**PRECISION``. Beyond it operations raise InvalidAmount instead of
#: rounding silently (Python's default decimal context keeps only 28 digits).
PRECISION: Final = 60
#: Longest decimal string accepted as an amount, factor or ratio, in characters.
MAX_AMOUNT_TEXT: Final = 200
#: Publication date of the ISO 4217 table the minor units come from (the ``iso4217`` package).
ISO_4217_PUBLISHED: Final[_dt.date] = _currency.ISO_4217_PUBLISHED


_as_currency = currency

# --- decimal contexts ----------------------------------------------------------------------------

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
# Wide enough for any accepted amount times any accepted factor (60 + 60 digits); Inexact is
# trapped, so a result is exact or an error (dropping trailing zeros is not inexact).
_WIDE = decimal.Context(
    prec=3 * PRECISION,
    rounding=decimal.ROUND_HALF_EVEN,
    traps=[decimal.InvalidOperation, decimal.Inexact, decimal.Overflow, decimal.DivisionByZero],
)
# For quantising to a minor unit: the result has at most PRECISION + 4 digits once the magnitude
# was checked, so this never rounds in the precision sense; rounding modes apply to the quantum.
_QUANTISE = decimal.Context(prec=3 * PRECISION, traps=[decimal.InvalidOperation, decimal.Overflow])
# The same, refusing to drop a non-zero digit (dropping trailing zeros is not inexact).
_QUANTISE_EXACTLY = decimal.Context(
    prec=3 * PRECISION, traps=[decimal.InvalidOperation, decimal.Overflow, decimal.Inexact]
)
_ROUNDING_MODES: Final = frozenset(
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


def _unsupported(operation: str, money: Money, other: object) -> NoReturn:
    """Raise :class:`~ecservice.errors.UnsupportedOperand` for ``money`` combined with a
    non-Money ``other``, naming what to use instead."""
    kind = type(other).__name__
    if operation == "multiply":
        hint = (
            "multiply by an int, or use Money.multiply(factor, rounding=...) for a Decimal or "
            "string factor (rounded once, with the rounding you choose)"
        )
    elif (
        operation == "add" and isinstance(other, int) and not isinstance(other, bool) and not other
    ):
        hint = "to add up amounts use sum_money(amounts, currency), which also sums none"
    elif operation == "compare":
        hint = "compare with an amount of the same currency, e.g. Money.zero(currency)"
    else:
        hint = "both sides must be Money of the same currency"
    raise UnsupportedOperand(f"cannot {operation} {money} and a value of type {kind}: {hint}")


def _too_many_digits(operation: str) -> NoReturn:
    raise InvalidAmount(
        f"cannot {operation}: the result needs more than {PRECISION} significant digits"
    ) from None


def _exactly(operation: str, fn: Callable[[], Decimal]) -> Decimal:
    try:
        return fn()
    except decimal.DecimalException:
        _too_many_digits(operation)


def _unsigned_zero(value: Decimal) -> Decimal:
    """``value``, with a negative zero (``-0.00``) turned into ``0.00``."""
    return value.copy_abs() if not value and value.is_signed() else value


def _check_rounding(rounding: object) -> str:
    if not isinstance(rounding, str) or rounding not in _ROUNDING_MODES:
        raise ValidationError(
            f"rounding must be one of the decimal module's modes (decimal.ROUND_HALF_UP, "
            f"ROUND_HALF_EVEN, ROUND_DOWN, ...), not {_show(rounding)}"
        )
    return rounding


# --- parsing -------------------------------------------------------------------------------------

AmountLike = Decimal | int | str

_NUMBER: Final = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)
_INT_LIMIT: Final = 10**PRECISION
_NON_FINITE: Final = frozenset({"nan", "snan", "inf", "infinity"})


def _parse(value: object, what: str) -> Decimal:
    """Type, grammar and finiteness checks shared by every amount, factor and ratio."""
    # bool is an int subclass; True yuan is almost certainly a bug.
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise InvalidAmount(f"{what} must be finite, not {value}")
        return value
    if isinstance(value, bool):
        raise InvalidAmount(
            f"{what} must be Decimal, int or str, not bool ({value!r}): True and False are not "
            "amounts"
        )
    if isinstance(value, int):
        if not -_INT_LIMIT < value < _INT_LIMIT:
            raise InvalidAmount(
                f"{what}: {_show(value)} is too large: at most {PRECISION} digits are accepted"
            )
        return Decimal(value)
    if isinstance(value, str):
        text = value.strip(" ") if len(value) <= MAX_AMOUNT_TEXT else ""
        if not _NUMBER.fullmatch(text):
            if text.lstrip("+-").lower() in _NON_FINITE:
                raise InvalidAmount(f"{what} must be finite, not {text!r}")
            raise InvalidAmount(
                f"{what}: {_show(value)} is not a decimal number: write ASCII digits with an "
                f"optional sign, decimal point and exponent (such as '12.30', '-5', '1E+3'), at "
                f"most {MAX_AMOUNT_TEXT} characters, no separators, spaces only around"
            )
        try:
            number = Decimal(text)
        except decimal.InvalidOperation:  # an exponent beyond what Decimal can hold
            number = Decimal("NaN")
        if not number.is_finite():  # the same, when the caller's context does not trap it
            raise InvalidAmount(f"{what}: {_show(value)} is out of range")
        return number
    if isinstance(value, float):
        raise InvalidAmount(
            f"{what} must be Decimal, int or str, not float ({value!r}): floats cannot "
            "represent most decimal numbers exactly"
        )
    raise InvalidAmount(f"{what} must be Decimal, int or str, not {type(value).__name__}")


def to_decimal(value: object, what: str = "money amounts") -> Decimal:
    """Convert a factor, ratio or rate to a finite ``Decimal``; never from a float.

    Accepted forms:

    * a finite :class:`~decimal.Decimal`;
    * an ``int`` (not ``bool``);
    * a ``str`` of ASCII digits with an optional sign, decimal point and exponent (``"12.30"``,
      ``"-5"``, ``".5"``, ``"1E+3"``), optionally surrounded by ASCII spaces, at most
      :data:`MAX_AMOUNT_TEXT` characters in all. No digit separators (``"1_000"``, ``"1,000"``), no
      other digits (Arabic-Indic, full-width), no other white space, no ``NaN``/``Infinity``.

    The value must be zero or have a magnitude from ``10**-PRECISION`` to below
    ``10**PRECISION``, with at most :data:`PRECISION` significant digits, so that every product
    with an amount is computed exactly.

    ``what`` names the value in error messages ("money amounts", "rate CNY/USD", ...).

    Raises:
        InvalidAmount: a float or bool, another type, text of another form, a non-finite value, or
            a value out of the range above.
    """
    number = _parse(value, what)
    if not number:
        return number
    adjusted = number.adjusted()
    if not -PRECISION <= adjusted < PRECISION:
        raise InvalidAmount(
            f"{what}: {_show(number)} is out of range: the magnitude must be from "
            f"1E-{PRECISION} to below 1E+{PRECISION}"
        )
    digits = number.as_tuple().digits
    significant = len(digits)
    while significant > 1 and digits[significant - 1] == 0:
        significant -= 1
    if significant > PRECISION:
        raise InvalidAmount(
            f"{what}: {_show(number)} has {significant} significant digits; at most {PRECISION} "
            "are accepted"
        )
    return number


def _too_large(value: Decimal | int, cur: Currency) -> NoReturn:
    raise InvalidAmount(
        f"{_show(value)} {cur.code} is too large: an amount holds at most {PRECISION} "
        f"significant digits of minor units (below 1E+{PRECISION - cur.minor_units} {cur.code})"
    )


def _quantise(value: Decimal, cur: Currency) -> Decimal:
    """``value`` with exactly ``cur``'s decimals; refuses extra significant decimals."""
    if value and value.adjusted() >= PRECISION - cur.minor_units:
        _too_large(value, cur)
    try:
        quantised = value.quantize(cur.quantum, context=_QUANTISE_EXACTLY)
    except decimal.Inexact:  # non-zero digits beyond the minor unit
        exponent = value.as_tuple().exponent
        assert isinstance(exponent, int)  # finite, checked by _parse
        places = f"{-exponent}" if exponent > -1000 else "too many"
        raise InvalidAmount(
            f"{_show(value)} has {places} decimal places but {cur.code} allows at most "
            f"{cur.minor_units}"
        ) from None
    return _unsigned_zero(quantised)


def _round(value: Decimal, cur: Currency, rounding: str) -> Decimal:
    """``value`` rounded once to ``cur``'s minor unit with ``rounding``; range-checked."""
    if value and value.adjusted() > PRECISION - cur.minor_units:
        _too_large(value, cur)
    rounded = value.quantize(cur.quantum, rounding=rounding, context=_QUANTISE)
    if rounded and rounded.adjusted() >= PRECISION - cur.minor_units:
        _too_large(rounded, cur)
    return _unsigned_zero(rounded)


# --- formatting ----------------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def _locale(name: str) -> Locale:
    return Locale.parse(name)


def _format(amount: Decimal, cur: Currency, locale: object) -> str:
    if not isinstance(locale, str):
        raise ValidationError(f"locale must be a str such as 'zh_CN', not {type(locale).__name__}")
    try:
        loc = _locale(locale)
    except (UnknownLocaleError, ValueError, TypeError):
        raise ValidationError(
            f"unknown locale {_show(locale)}: use a CLDR locale such as 'zh_CN' or 'en'"
        ) from None
    pattern = copy.copy(parse_pattern(loc.currency_formats["standard"]))
    pattern.frac_prec = (cur.minor_units, cur.minor_units)
    with decimal.localcontext(_QUANTISE):  # Babel normalises in the current context
        return str(pattern.apply(amount, loc, currency=cur.code, currency_digits=False))


# --- Money ---------------------------------------------------------------------------------------


@final
@attrs.frozen(slots=True, repr=False, order=False, init=False)
class Money:
    """An exact amount of one currency.

    Args:
        amount: a :class:`~decimal.Decimal`, an ``int`` or a decimal string of ASCII digits (the
            forms of :func:`to_decimal`); never a float. It may carry more decimals than the
            currency has only if they are zeros (``"1.500"`` CNY is 1.50).
        currency: an ISO 4217 code or a :class:`Currency`.

    The amount is stored with exactly the currency's decimals and never as a negative zero
    (``Money("-0.00", "CNY")`` is ``0.00 CNY``). Its magnitude is below ``10**PRECISION`` minor
    units (60 digits: below 10**58 CNY).

    Raises:
        InvalidAmount: a float, bool or other type, text that is not a plain decimal number, a
            non-finite value, more (non-zero) decimals than the currency allows, or an amount
            too large.
        UnknownCurrency: the currency is not an ISO 4217 currency with a minor unit.
    """

    amount: Decimal
    currency: Currency

    def __init__(self, amount: AmountLike, currency: str | Currency) -> None:
        cur = currency if type(currency) is Currency else _as_currency(currency)
        _set_currency(self, cur)
        _set_amount(self, _quantise(_parse(amount, "money amounts"), cur))

    @classmethod
    def _exact(cls, amount: Decimal, cur: Currency) -> Money:
        """Build from an amount already quantised to ``cur`` (internal fast path)."""
        return _built(amount, cur)

    @classmethod
    def zero(cls, currency: str | Currency) -> Money:
        """Zero in ``currency``.

        Raises:
            UnknownCurrency: the currency is unknown.
        """
        cur = _as_currency(currency)
        return cls._exact(Decimal(0).scaleb(-cur.minor_units), cur)

    @classmethod
    def from_minor(cls, units: int, currency: str | Currency) -> Money:
        """Build from a whole number of minor units: ``Money.from_minor(1230, "CNY")`` is 12.30.

        Raises:
            InvalidAmount: ``units`` is not an ``int`` (or is a bool), or has more than
                :data:`PRECISION` digits.
            UnknownCurrency: the currency is unknown.
        """
        cur = currency if type(currency) is Currency else _as_currency(currency)
        if type(units) is int and -_INT_LIMIT < units < _INT_LIMIT:
            return _built(_EXACT.scaleb(units, -cur.minor_units), cur)
        if isinstance(units, bool) or not isinstance(units, int):
            raise InvalidAmount(f"minor units must be an int, not {type(units).__name__}")
        if not -_INT_LIMIT < units < _INT_LIMIT:
            raise InvalidAmount(
                f"{_show(units)} minor units of {cur.code} is too large: an amount holds at most "
                f"{PRECISION} significant digits of minor units"
            )
        return cls._exact(Decimal(units).scaleb(-cur.minor_units, _EXACT), cur)

    @classmethod
    def of(cls, amount: AmountLike, currency: str | Currency, *, rounding: str) -> Money:
        """Build from an amount that may need rounding, with an explicit ``decimal`` rounding mode.

        The amount is rounded once, to the currency's minor unit.

        >>> Money.of(Decimal("2.345"), "CNY", rounding=decimal.ROUND_HALF_EVEN)
        Money('2.34', 'CNY')

        Raises:
            InvalidAmount: ``amount`` is not one of the forms of :func:`to_decimal`, or the
                rounded amount is too large.
            ValidationError: ``rounding`` is not one of the ``decimal.ROUND_*`` modes.
            UnknownCurrency: the currency is unknown.
        """
        cur = _as_currency(currency)
        mode = _check_rounding(rounding)
        return cls._exact(_round(_parse(amount, "money amounts"), cur, mode), cur)

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
        """Format for display with Babel: ``¥12.30`` in ``zh_CN``, ``CN¥12.30`` in ``en``.

        The locale gives the symbol, grouping and pattern; the number of decimals is always the
        ISO 4217 minor unit (``IQD1.234`` in ``en``, where CLDR alone would show ``IQD1``).

        Raises:
            ValidationError: ``locale`` is not a known CLDR locale name.
        """
        return _format(self.amount, self.currency, locale)

    def __repr__(self) -> str:
        return f"Money({str(self.amount)!r}, {self.currency.code!r})"

    def __str__(self) -> str:
        return f"{self.amount} {self.currency.code}"

    # --- arithmetic ----------------------------------------------------------------------------

    def _same(self, other: Money, operation: str) -> None:
        if other.currency is not self.currency and other.currency != self.currency:
            raise CurrencyMismatch(self.currency.code, other.currency.code, operation)

    def __add__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            _unsupported("add", self, other)
        cur = self.currency
        if other.currency is not cur:
            self._same(other, "add")
        try:
            total = _EXACT.add(self.amount, other.amount)
        except decimal.DecimalException:
            _too_many_digits("add")
        return _built(total, cur)

    def __sub__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            _unsupported("subtract", self, other)
        cur = self.currency
        if other.currency is not cur:
            self._same(other, "subtract")
        # x - x is +0 under ROUND_HALF_EVEN, so no negative zero can come out here
        try:
            difference = _EXACT.subtract(self.amount, other.amount)
        except decimal.DecimalException:
            _too_many_digits("subtract")
        return _built(difference, cur)

    def __neg__(self) -> Money:
        if not self.amount:
            return self
        return Money._exact(self.amount.copy_negate(), self.currency)

    def __abs__(self) -> Money:
        return Money._exact(self.amount.copy_abs(), self.currency)

    def __mul__(self, factor: SupportsIndex) -> Money:
        """Multiply by a whole number (exact). For other factors use :meth:`multiply`.

        Raises:
            InvalidAmount: the product has more than :data:`PRECISION` digits of minor units.
        """
        if type(factor) is int and -_INT_LIMIT < factor < _INT_LIMIT:
            try:
                product = _EXACT.multiply(self.amount, factor)
            except decimal.DecimalException:
                _too_many_digits("multiply")
            # 0.00 * -3 and -1.00 * 0 are negative zeros in Decimal
            return _built(product if product else product.copy_abs(), self.currency)
        if isinstance(factor, bool) or not isinstance(factor, int):
            _unsupported("multiply", self, factor)
        a = self.amount
        if not -_INT_LIMIT < factor < _INT_LIMIT:
            raise InvalidAmount(
                f"cannot multiply {self} by {_show(factor)}: the factor is too large"
            )
        k = Decimal(int(factor))
        product = _exactly("multiply", lambda: _EXACT.multiply(a, k))
        return Money._exact(_unsigned_zero(product), self.currency)

    __rmul__ = __mul__

    def __radd__(self, other: object) -> Money:
        _unsupported("add", self, other)

    def __rsub__(self, other: object) -> Money:
        _unsupported("subtract", self, other)

    def multiply(self, factor: Decimal | int | str, *, rounding: str) -> Money:
        """Multiply by a factor and round the exact product once to the minor unit.

        Args:
            factor: a Decimal, int or decimal string in the forms and range of
                :func:`to_decimal` (at most :data:`PRECISION` significant digits).
            rounding: a ``decimal.ROUND_*`` mode, always explicit.

        >>> Money("0.05", "CNY").multiply(Decimal("0.5"), rounding=decimal.ROUND_HALF_UP)
        Money('0.03', 'CNY')

        Raises:
            InvalidAmount: a float, bool or badly formed factor, or a result too large.
            ValidationError: ``rounding`` is not a ``decimal.ROUND_*`` mode.
        """
        mode = _check_rounding(rounding)
        f = to_decimal(factor, "a multiplication factor")
        a = self.amount
        product = _exactly(f"multiply {self} by {f}", lambda: _WIDE.multiply(a, f))
        return Money._exact(_round(product, self.currency, mode), self.currency)

    def _compare(self, other: object, operation: str) -> Money:
        if not isinstance(other, Money):
            _unsupported(operation, self, other)
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

        The parts always add up to exactly this amount, whatever the ratios (any number of
        digits up to :data:`PRECISION`, magnitudes from ``1E-60`` to below ``1E+60``): shares are
        computed with whole numbers, never rounded. Each part gets the floor of its exact share
        (in minor units); the minor units left over go one each to the parts with the largest
        remainders, earlier parts first on ties. A negative amount is split like its opposite.

        Raises:
            InvalidAmount: no ratios, a ratio that is negative, a float, a bool, or out of the
                range of :func:`to_decimal`, or all ratios zero.
        """
        return allocate(self, ratios)


_new_money = object.__new__
_set_amount = Money.__dict__["amount"].__set__
_set_currency = Money.__dict__["currency"].__set__


def _built(amount: Decimal, cur: Currency) -> Money:
    """A Money of ``amount``, already quantised to ``cur`` and never a negative zero."""
    m: Money = _new_money(Money)
    _set_amount(m, amount)
    _set_currency(m, cur)
    return m


def allocate(total: Money, ratios: Sequence[int | Decimal]) -> list[Money]:
    """Split ``total`` proportionally to ``ratios``; see :meth:`Money.allocate`.

    Raises:
        InvalidAmount: ``total`` is not Money, or bad ratios (see :meth:`Money.allocate`).
    """
    if not isinstance(total, Money):
        raise InvalidAmount(f"allocate splits a Money, not {type(total).__name__}")
    if isinstance(ratios, (str, bytes)):
        raise InvalidAmount("allocation ratios must be a sequence of numbers, not a string")
    try:
        items = list(ratios)
    except TypeError:
        raise InvalidAmount(
            f"allocation ratios must be a sequence of numbers, not {type(ratios).__name__}"
        ) from None
    if not items:
        raise InvalidAmount("allocate needs at least one ratio")
    weights = [to_decimal(r, "allocation ratios") for r in items]
    if any(w < 0 for w in weights):
        raise InvalidAmount(
            f"allocation ratios must not be negative: {_show([str(w) for w in weights], 200)}"
        )
    # Exact rationals on a common denominator: every share and remainder is a whole number.
    fractions = [w.as_integer_ratio() for w in weights]
    denominator = math.lcm(*(d for _, d in fractions))
    scaled = [n * (denominator // d) for n, d in fractions]
    weight_sum = sum(scaled)
    if not weight_sum:
        raise InvalidAmount("allocation ratios must not all be zero")
    units = total.minor_units
    sign = -1 if units < 0 else 1
    units = abs(units)
    shares = [divmod(units * w, weight_sum) for w in scaled]
    floors = [q for q, _ in shares]
    left = units - sum(floors)
    order = sorted(range(len(shares)), key=lambda i: (-shares[i][1], i))
    for i in order[:left]:
        floors[i] += 1
    cur = total.currency
    return [Money.from_minor(sign * f, cur) for f in floors]


def positive(amount: object, what: str, currency: str | Currency | None = None) -> Money:
    """Return ``amount`` if it is a :class:`Money` above zero (in ``currency``, when given).

    ``what`` names the amount in messages ("a refund", "an e-cash deposit", ...).

    Raises:
        InvalidAmount: not Money, or zero or less.
        CurrencyMismatch: not in ``currency``.
        UnknownCurrency: ``currency`` is not a currency.
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
        InvalidAmount: ``amounts`` is not iterable or holds something other than Money, or the
            sum is too large.
        CurrencyMismatch: an amount is not in ``currency``.
        UnknownCurrency: ``currency`` is not a currency.
    """
    cur = currency if type(currency) is Currency else _as_currency(currency)
    try:
        iterator = iter(amounts)
    except TypeError:
        raise InvalidAmount(
            f"sum_money adds an iterable of Money, not {type(amounts).__name__}"
        ) from None
    # The Decimals are added with the same exact context as Money + Money, so every partial sum
    # is checked as it would be when adding one by one; one Money is built at the end.
    total = _EXACT.scaleb(0, -cur.minor_units)  # zero with the currency's decimals
    add = _EXACT.add
    for amount in iterator:
        if type(amount) is not Money:
            raise InvalidAmount(f"sum_money adds Money, not {type(amount).__name__}")
        if amount.currency is not cur:
            raise CurrencyMismatch(cur.code, amount.currency.code, "add")
        try:
            total = add(total, amount.amount)
        except decimal.DecimalException:
            _too_many_digits("add")
    return _built(total, cur)
