"""Shared hypothesis strategies for ecservice's tests.

Every strategy is a function returning a ``SearchStrategy`` so that it can take parameters
(a currency, bounds) and so that importing this module builds nothing. Values are always *valid*
for the library unless the name says otherwise (``invalid_quantities``, ``naive_datetimes``).

Money is built from whole minor units (``Money.from_minor``), never from floats, so every generated
amount is exact in its currency: 2 decimals for CNY/USD/EUR, 0 for JPY, 3 for KWD.
"""

from __future__ import annotations

import datetime as _dt
import enum
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from typing import Final

import attrs
import pendulum
from hypothesis import strategies as st

from ecservice.money import Currency, Money, currency
from ecservice.orders import Address, OrderLine

__all__ = [
    "CURRENCY_CODES",
    "HOSTILE",
    "HUGE_TEXT",
    "MINOR_UNITS",
    "ZONES",
    "Hostile",
    "addresses",
    "allocation_ratios",
    "aware_datetimes",
    "currencies",
    "hostile",
    "hostile_values",
    "invalid_quantities",
    "minor_amounts",
    "money",
    "money_lists",
    "naive_datetimes",
    "order_line_lists",
    "order_lines",
    "phones",
    "positive_quantities",
    "prices",
    "skus",
    "weights",
    "zones",
]

#: Currencies with different minor units: code -> number of decimals.
MINOR_UNITS: dict[str, int] = {"CNY": 2, "USD": 2, "EUR": 2, "JPY": 0, "KWD": 3}
#: The currency codes the strategies draw from.
CURRENCY_CODES: tuple[str, ...] = tuple(MINOR_UNITS)
#: IANA zones with and without DST, on both sides of UTC.
ZONES: tuple[str, ...] = (
    "Asia/Shanghai",
    "UTC",
    "America/New_York",
    "Europe/Berlin",
    "Australia/Sydney",
    "Asia/Kolkata",
)

#: Default bound on generated amounts, in minor units (10**12 fen is 10 billion yuan): far inside
#: the 28 significant digits of the default decimal context.
_MAX_UNITS = 10**12


def currencies() -> st.SearchStrategy[Currency]:
    """A :class:`Currency` from :data:`CURRENCY_CODES` (2, 0 and 3 decimals)."""
    return st.sampled_from(CURRENCY_CODES).map(currency)


def minor_amounts(
    min_value: int = -_MAX_UNITS, max_value: int = _MAX_UNITS
) -> st.SearchStrategy[int]:
    """A whole number of minor units (fen, cents, fils), negative by default too."""
    return st.integers(min_value=min_value, max_value=max_value)


def money(
    cur: str | Currency | None = None,
    *,
    min_units: int = -_MAX_UNITS,
    max_units: int = _MAX_UNITS,
) -> st.SearchStrategy[Money]:
    """A :class:`Money` in ``cur`` (or in any of :func:`currencies`), built from minor units."""
    curs = st.just(currency(cur)) if cur is not None else currencies()
    return st.builds(Money.from_minor, minor_amounts(min_units, max_units), curs)


def prices(cur: str | Currency = "CNY", *, max_units: int = 10**7) -> st.SearchStrategy[Money]:
    """A non-negative unit price in ``cur`` (up to 100,000.00 CNY by default)."""
    return money(cur, min_units=0, max_units=max_units)


def money_lists(
    cur: str | Currency, *, min_size: int = 0, max_size: int = 10
) -> st.SearchStrategy[list[Money]]:
    """A list of amounts, all in ``cur``."""
    return st.lists(money(cur), min_size=min_size, max_size=max_size)


def allocation_ratios(*, max_size: int = 8) -> st.SearchStrategy[list[int | Decimal]]:
    """Valid ratios for :meth:`Money.allocate`: non-negative ints or Decimals, not all zero."""
    ratio = st.one_of(
        st.integers(min_value=0, max_value=1000),
        st.decimals(min_value=0, max_value=100, places=3, allow_nan=False, allow_infinity=False),
    )
    return st.lists(ratio, min_size=1, max_size=max_size).filter(lambda rs: any(r > 0 for r in rs))


def positive_quantities(max_value: int = 50) -> st.SearchStrategy[int]:
    """A valid quantity: a whole number from 1 to ``max_value``."""
    return st.integers(min_value=1, max_value=max_value)


def invalid_quantities() -> st.SearchStrategy[object]:
    """Not a positive whole number: zero, negatives, bools, floats, a Decimal, a str."""
    return st.one_of(
        st.integers(max_value=0),
        st.booleans(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.just(Decimal(2)),
        st.just("2"),
    )


def skus() -> st.SearchStrategy[str]:
    """A stock-keeping unit code such as ``"TEA-250"``."""
    return st.from_regex(r"[A-Z]{2,5}-[0-9]{1,4}", fullmatch=True)


def weights(*, max_kg: int = 50) -> st.SearchStrategy[Decimal]:
    """A weight in kg as a Decimal with up to 3 decimals (grams), from 0 to ``max_kg``."""
    return st.integers(min_value=0, max_value=max_kg * 1000).map(lambda g: Decimal(g) / 1000)


def phones() -> st.SearchStrategy[str]:
    """A phone number the address validator accepts: ``138 0013 8000``, ``+86-10-12345678``..."""
    return st.one_of(
        st.from_regex(r"1[3-9][0-9] [0-9]{4} [0-9]{4}", fullmatch=True),
        st.from_regex(r"\+86-[0-9]{2,3}-[0-9]{7,8}", fullmatch=True),
        st.from_regex(r"[0-9]{5,20}", fullmatch=True),
    )


_TEXT = st.text(alphabet=st.characters(categories=["L", "N"]), min_size=1, max_size=12)


def addresses() -> st.SearchStrategy[Address]:
    """A valid :class:`Address` (required parts non-empty, optional ones sometimes empty)."""
    return st.builds(
        Address,
        recipient=_TEXT,
        phone=phones(),
        province=_TEXT,
        city=_TEXT,
        district=st.one_of(st.just(""), _TEXT),
        street=_TEXT,
        postal_code=st.one_of(st.just(""), st.from_regex(r"[0-9]{6}", fullmatch=True)),
    )


def order_lines(
    cur: str | Currency = "CNY", *, sku: st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[OrderLine]:
    """A valid :class:`OrderLine` priced in ``cur``."""
    return st.builds(
        OrderLine,
        sku=sku if sku is not None else skus(),
        name=_TEXT,
        unit_price=prices(cur),
        quantity=positive_quantities(20),
        weight_kg=weights(max_kg=5),
    )


def order_line_lists(
    cur: str | Currency = "CNY", *, min_size: int = 1, max_size: int = 4
) -> st.SearchStrategy[list[OrderLine]]:
    """Order lines in one currency with distinct SKUs, as an :class:`Order` requires."""
    return st.lists(
        order_lines(cur), min_size=min_size, max_size=max_size, unique_by=lambda line: line.sku
    )


def zones() -> st.SearchStrategy[str]:
    """An IANA zone name from :data:`ZONES`."""
    return st.sampled_from(ZONES)


def aware_datetimes(
    min_value: _dt.datetime = _dt.datetime(2000, 1, 1),
    max_value: _dt.datetime = _dt.datetime(2100, 1, 1),
) -> st.SearchStrategy[pendulum.DateTime]:
    """An aware pendulum datetime in one of :data:`ZONES` (any instant between the bounds)."""
    return st.builds(
        lambda naive, tz: pendulum.instance(naive, tz="UTC").in_tz(tz),
        st.datetimes(min_value=min_value, max_value=max_value),
        zones(),
    )


def naive_datetimes() -> st.SearchStrategy[_dt.datetime]:
    """A datetime without a time zone (the library must reject these)."""
    return st.datetimes(min_value=_dt.datetime(2000, 1, 1), max_value=_dt.datetime(2100, 1, 1))


# --- hostile values ------------------------------------------------------------------------------


class _HugeText(str):
    """A str whose repr is short, so that a failing example prints readably."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"<text of {len(self):,} characters>"


#: A 10 MB string (ten million characters), built once.
HUGE_TEXT: Final[str] = _HugeText("x" * 10_000_000)


@attrs.frozen(repr=False)
class Hostile:
    """A named hostile value. ``make()`` builds a fresh copy (so that a callee mutating a list or
    dict it was given cannot change later examples); the short ``label`` is what a failing
    example prints (``repr(10**5000)`` itself raises ValueError)."""

    label: str
    make: Callable[[], object]

    def __repr__(self) -> str:
        return f"Hostile({self.label})"


class _Other(enum.Enum):
    """An enum foreign to the library, for ``status`` and ``kind`` slots."""

    PROCESSING = "processing"


def _money(amount: str, code: str) -> Callable[[], object]:
    return lambda: Money(amount, code)


def _const(value: object) -> Callable[[], object]:
    return lambda: value


_AWARE_MIN = _dt.datetime(1, 1, 1, tzinfo=_dt.timezone(_dt.timedelta(hours=8)))
_AWARE_MAX = _dt.datetime(9999, 12, 31, 23, 59, tzinfo=_dt.timezone(-_dt.timedelta(hours=8)))

#: Values that no public constructor, method or trigger of the library may crash on with
#: anything but an :class:`~ecservice.errors.EcServiceError`: wrong types, None, huge ints, huge
#: or exotic Decimals, NaN, strings with exponents, non-ASCII digits, control and bidirectional
#: characters, a 10 MB string, out-of-range datetimes, mappings and iterables with bad entries.
HOSTILE: Final[tuple[Hostile, ...]] = (
    # missing and wrong types
    Hostile("None", _const(None)),
    Hostile("True", _const(True)),
    Hostile("False", _const(False)),
    Hostile("object()", object),
    Hostile("b'A'", _const(b"A")),
    Hostile("bytearray", lambda: bytearray(b"CNY")),
    Hostile("[]", list),
    Hostile("{}", dict),
    Hostile("set()", set),
    Hostile("()", tuple),
    Hostile("type int", _const(int)),
    Hostile("complex", _const(1 + 2j)),
    Hostile("Fraction(1,3)", _const(Fraction(1, 3))),
    Hostile("foreign enum", _const(_Other.PROCESSING)),
    Hostile("lambda", lambda: lambda *a, **k: None),
    # ints
    Hostile("0", _const(0)),
    Hostile("-1", _const(-1)),
    Hostile("2**63", _const(2**63)),
    Hostile("-(2**63)-1", _const(-(2**63) - 1)),
    Hostile("10**7", _const(10**7)),
    Hostile("10**5000", lambda: 10**5000),
    Hostile("-(10**5000)", lambda: -(10**5000)),
    # floats
    Hostile("nan", _const(float("nan"))),
    Hostile("inf", _const(float("inf"))),
    Hostile("-inf", _const(float("-inf"))),
    Hostile("0.1", _const(0.1)),
    Hostile("-0.0", _const(-0.0)),
    Hostile("1e308", _const(1e308)),
    # Decimals
    Hostile("Decimal NaN", _const(Decimal("NaN"))),
    Hostile("Decimal sNaN", _const(Decimal("sNaN"))),
    Hostile("Decimal Infinity", _const(Decimal("Infinity"))),
    Hostile("Decimal -Infinity", _const(Decimal("-Infinity"))),
    Hostile("Decimal 1E+999999999999999999", _const(Decimal("1E+999999999999999999"))),
    Hostile("Decimal 1E-999999999999999999", _const(Decimal("1E-999999999999999999"))),
    Hostile("Decimal -0", _const(Decimal("-0"))),
    Hostile("Decimal -1", _const(Decimal(-1))),
    Hostile("Decimal 1.5", _const(Decimal("1.5"))),
    Hostile("Decimal 1000 digits", _const(Decimal("1" * 1000))),
    Hostile("Decimal 0.1 x 1000 places", _const(Decimal("0." + "0" * 999 + "1"))),
    # numbers as text
    Hostile("'1e999999'", _const("1e999999")),
    Hostile("'-1E+9999'", _const("-1E+9999")),
    Hostile("'1e-999999'", _const("1e-999999")),
    Hostile("'NaN'", _const("NaN")),
    Hostile("'Infinity'", _const("Infinity")),
    Hostile("'1_0'", _const("1_0")),
    Hostile("Arabic-Indic digits", _const("\u0661\u0662")),
    Hostile("full-width digits", _const("\uff11\uff12")),
    Hostile("no-break space 12", _const("\u00a012")),
    Hostile("'1' * 130 + '.001'", _const("1" * 130 + ".001")),
    # text
    Hostile("''", _const("")),
    Hostile("'   '", _const("   ")),
    Hostile("NUL", _const("a\x00b")),
    Hostile("escape", _const("\x1b[31mred")),
    Hostile("newline", _const("a\nb")),
    Hostile("RLO bidi override", _const("abc\u202edef")),
    Hostile("bidi isolate", _const("\u2066x\u2069")),
    Hostile("lone surrogate", _const("a\ud800b")),
    Hostile("201 characters", _const("x" * 201)),
    Hostile("2001 characters", _const("y" * 2001)),
    Hostile("10 MB text", _const(HUGE_TEXT)),
    Hostile("emoji", _const("\U0001f004" * 3)),
    Hostile("'A' (a SKU)", _const("A")),
    Hostile("'ZZZ'", _const("ZZZ")),
    Hostile("'cny'", _const("cny")),
    Hostile("'XAU'", _const("XAU")),
    Hostile("'processing'", _const("processing")),
    Hostile("'+08:00'", _const("+08:00")),
    Hostile("'Mars/Base'", _const("Mars/Base")),
    # time
    Hostile("naive datetime", _const(_dt.datetime(2026, 11, 11, 9, 30))),
    Hostile("aware year 1", _const(_AWARE_MIN)),
    Hostile("aware year 9999", _const(_AWARE_MAX)),
    Hostile("date", _const(_dt.date(2026, 11, 11))),
    Hostile("time", _const(_dt.time(9, 30))),
    Hostile("timedelta max", _const(_dt.timedelta.max)),
    Hostile("far future", _const(pendulum.datetime(9999, 12, 31, tz="UTC"))),
    Hostile("far past", _const(pendulum.datetime(1, 1, 1, tz="UTC"))),
    # money
    Hostile("Money -1.00 CNY", _money("-1.00", "CNY")),
    Hostile("Money 0.00 CNY", _money("0", "CNY")),
    Hostile("Money 1 USD", _money("1", "USD")),
    Hostile("Money 1 JPY", _money("1", "JPY")),
    Hostile("Money max CNY", _money("9" * 58 + ".99", "CNY")),
    # mappings and iterables
    Hostile("{'A': 10**5000}", lambda: {"A": 10**5000}),
    Hostile("{'A': -1}", lambda: {"A": -1}),
    Hostile("{'A': 0}", lambda: {"A": 0}),
    Hostile("{'A': True}", lambda: {"A": True}),
    Hostile("{'A': 1.5}", lambda: {"A": 1.5}),
    Hostile("{'A': '1'}", lambda: {"A": "1"}),
    Hostile("{'A': Decimal NaN}", lambda: {"A": Decimal("NaN")}),
    Hostile("{'A': 99}", lambda: {"A": 99}),
    Hostile("{None: 1}", lambda: {None: 1}),
    Hostile("{'': 1}", lambda: {"": 1}),
    Hostile("{'ZZZ': 1}", lambda: {"ZZZ": 1}),
    Hostile("{10 MB: 1}", lambda: {HUGE_TEXT: 1}),
    Hostile("['A', None]", lambda: ["A", None]),
    Hostile("[None]", lambda: [None]),
    Hostile("['ZZZ']", lambda: ["ZZZ"]),
    Hostile("[10 MB]", lambda: [HUGE_TEXT]),
    Hostile("[object()]", lambda: [object()]),
    Hostile("iterator", lambda: iter(["A"])),
    Hostile("[1, 2]", lambda: [1, 2]),
    Hostile("(None, None)", lambda: (None, None)),
)


def hostile() -> st.SearchStrategy[Hostile]:
    """A :class:`Hostile` value: one of :data:`HOSTILE`, or arbitrary ints, text, Decimals and
    floats (NaN and infinities included), each with a short label."""
    drawn: st.SearchStrategy[object] = st.one_of(
        st.integers(),
        st.text(max_size=40),
        st.decimals(allow_nan=True, allow_infinity=True),
        st.floats(),
    )
    return st.one_of(
        st.sampled_from(HOSTILE),
        drawn.map(lambda v: Hostile(f"{type(v).__name__} {str(v)[:40]!r}", _const(v))),
    )


def hostile_values() -> st.SearchStrategy[object]:
    """Values from :func:`hostile` themselves (fresh copies)."""
    return hostile().map(lambda h: h.make())
