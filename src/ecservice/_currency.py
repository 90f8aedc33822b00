"""Currencies of ISO 4217 list one, one interned object per code (public as ``ecservice.money``).

The minor units come from the ``iso4217`` package's copy of the ISO 4217 table (publication date
:data:`ISO_4217_PUBLISHED`); codes ISO lists without a minor unit and historic codes that only
CLDR (Babel) still knows are refused with the reason.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from decimal import Decimal
from typing import Final, NoReturn, final

import iso4217
from attrs.exceptions import FrozenInstanceError
from babel.numbers import list_currencies

from ecservice.errors import UnknownCurrency

__all__ = ["ISO_4217_PUBLISHED", "Currency", "currency"]

#: Publication date of the ISO 4217 table the minor units come from (the ``iso4217`` package).
ISO_4217_PUBLISHED: Final[_dt.date] = iso4217.__published__


def _show(value: object, limit: int = 40) -> str:
    """``repr`` of ``value`` cut to ``limit`` characters, safe for huge or hostile values."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 128:
        return f"an int of {value.bit_length()} bits"
    if isinstance(value, Decimal):
        digits = len(value.as_tuple().digits)
        return str(value) if digits <= limit else f"a Decimal of {digits} digits"
    if isinstance(value, str) and len(value) > limit:
        return f"{value[:limit]!r}... ({len(value)} characters)"
    try:
        text = repr(value)
    except Exception:  # a hostile __repr__ must not hide the real error
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[:limit] + "..."


def _iso_table() -> tuple[dict[str, int], frozenset[str]]:
    digits: dict[str, int] = {}
    without: set[str] = set()
    for code, entry in iso4217.raw_table.items():
        units = entry.get("CcyMnrUnts")
        if not isinstance(code, str) or not isinstance(units, str):
            continue
        if units.isdigit():
            digits[code] = int(units)
        else:  # "N.A.": precious metals, fund and testing codes
            without.add(code)
    return digits, frozenset(without)


_ISO_DIGITS, _ISO_WITHOUT_MINOR_UNIT = _iso_table()
_BABEL_ONLY: Final = frozenset(list_currencies()) - _ISO_DIGITS.keys() - _ISO_WITHOUT_MINOR_UNIT


@final
class Currency(str):
    """An ISO 4217 currency: its three-letter code, with the number of decimals of its minor unit.

    A ``Currency`` *is* its code: it is a ``str`` subclass equal to, and hashing like, the code,
    so ``currency("CNY") == "CNY"`` is ``True`` and a mapping keyed by currencies can be read with
    a plain code (``balances["CNY"]``). There is exactly one ``Currency`` object per code
    (``Currency("CNY") is currency("CNY")``), so comparing two currencies costs an identity test.
    Currencies are immutable, copy and pickle to the same object.

    Attributes:
        code: the ISO 4217 alphabetic code, as a plain ``str``.
        minor_units: decimals of the minor unit from ISO 4217 (CNY 2, JPY 0, KWD 3).
        quantum: ``Decimal(1).scaleb(-minor_units)``, e.g. ``Decimal("0.01")``.

    Args:
        code: an ISO 4217 alphabetic code in upper case (``"CNY"``); ``Currency(code)`` returns
            the one object for it, as :func:`currency` does.

    Raises:
        UnknownCurrency: see :func:`currency`.
    """

    code: str
    minor_units: int
    quantum: Decimal

    def __new__(cls, code: str) -> Currency:
        return currency(code)

    @classmethod
    def _make(cls, code: str, digits: int) -> Currency:
        self = str.__new__(cls, code)
        object.__setattr__(self, "code", code)
        object.__setattr__(self, "minor_units", digits)
        object.__setattr__(self, "quantum", Decimal(1).scaleb(-digits))
        return self

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise FrozenInstanceError

    def __delattr__(self, name: str) -> NoReturn:
        raise FrozenInstanceError

    def __reduce__(self) -> tuple[Callable[[str], Currency], tuple[str]]:
        return currency, (self.code,)

    def __copy__(self) -> Currency:
        return self

    def __deepcopy__(self, memo: object) -> Currency:
        return self

    def __repr__(self) -> str:
        return f"Currency({self.code!r})"

    def __str__(self) -> str:
        return self.code


_REGISTRY: Final[dict[str, Currency]] = {
    code: Currency._make(code, digits) for code, digits in sorted(_ISO_DIGITS.items())
}


def _unknown_currency(code: object) -> NoReturn:
    shown = _show(code)
    if not isinstance(code, str):
        why = f"a currency must be an ISO 4217 code (str) or a Currency, not {type(code).__name__}"
    elif code.upper() in _REGISTRY and code.upper() != code:
        why = f"unknown currency code {shown}: ISO 4217 codes are upper case ({code.upper()!r})"
    elif code in _ISO_WITHOUT_MINOR_UNIT:
        why = (
            f"currency {shown} has no minor unit in ISO 4217 (precious metals, fund and testing "
            "codes): amounts in it cannot be quantised"
        )
    elif code in _BABEL_ONLY:
        why = (
            f"currency {shown} is not in ISO 4217 list one of {ISO_4217_PUBLISHED.isoformat()}: "
            "a historic or withdrawn code; use the currency that replaced it"
        )
    else:
        why = (
            f"unknown currency code {shown}: expected an upper-case ISO 4217 code such as "
            "'CNY', 'USD', 'EUR' or 'JPY'"
        )
    raise UnknownCurrency(why)


def currency(code: str | Currency) -> Currency:
    """Return the :class:`Currency` for an ISO 4217 code such as ``"CNY"`` (always the same object).

    Only the codes of ISO 4217 list one with a numeric minor unit are currencies here.

    Raises:
        UnknownCurrency: ``code`` is not a ``str``; is not upper case; is unknown; is a code that
            ISO 4217 lists without a minor unit (``XAU`` gold, ``XXX`` no currency, ``XDR``,
            ``XTS``...); or is a historic code that CLDR still knows but the ISO table no longer
            lists (``BGN``, ``HRK``, ``SLL``, ``ZWL``...).
    """
    try:
        return _REGISTRY[code]
    except (KeyError, TypeError):
        _unknown_currency(code)


# Pickles and docs name the public module.
Currency.__module__ = currency.__module__ = "ecservice.money"
