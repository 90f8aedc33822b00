"""Shared hypothesis strategies for ecservice's tests.

Every strategy is a function returning a ``SearchStrategy`` so that it can take parameters
(a currency, bounds) and so that importing this module builds nothing. Values are always *valid*
for the library unless the name says otherwise (``invalid_quantities``, ``naive_datetimes``).

Money is built from whole minor units (``Money.from_minor``), never from floats, so every generated
amount is exact in its currency: 2 decimals for CNY/USD/EUR, 0 for JPY, 3 for KWD.
"""

from __future__ import annotations

import datetime as _dt
from decimal import Decimal

import pendulum
from hypothesis import strategies as st

from ecservice.money import Currency, Money, currency
from ecservice.orders import Address, OrderLine

__all__ = [
    "CURRENCY_CODES",
    "MINOR_UNITS",
    "ZONES",
    "addresses",
    "allocation_ratios",
    "aware_datetimes",
    "currencies",
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
