"""Tests of :mod:`ecservice.money`: amounts, currencies, arithmetic, formatting, allocation."""

from __future__ import annotations

import copy
import decimal
import pickle
import re
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecservice.errors import CurrencyMismatch, InvalidAmount, UnknownCurrency, ValidationError
from ecservice.money import (
    ISO_4217_PUBLISHED,
    PRECISION,
    Currency,
    Money,
    allocate,
    currency,
    sum_money,
    to_decimal,
)
from tests.strategies import (
    CURRENCY_CODES,
    MINOR_UNITS,
    allocation_ratios,
    currencies,
    minor_amounts,
    money,
    money_lists,
)

PROPERTY = settings(max_examples=60, deadline=None)


# --- currencies ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "digits"), sorted(MINOR_UNITS.items()))
def test_currency_knows_its_minor_units(code: str, digits: int) -> None:
    """Each currency carries the ISO 4217 number of decimals and the matching quantum."""
    cur = currency(code)
    assert cur.code == code
    assert cur.minor_units == digits
    assert cur.quantum == Decimal(1).scaleb(-digits)


def test_currency_accepts_a_currency_and_compares_by_code() -> None:
    """``currency()`` passes a Currency through; two lookups of a code are equal."""
    cny = currency("CNY")
    assert currency(cny) is cny
    assert currency("CNY") == cny
    assert currency("USD") != cny
    assert str(cny) == "CNY"
    assert repr(cny) == "Currency('CNY')"


@pytest.mark.parametrize("code", ["XYZ", "cny", "Cny", "", "CNYY", 156, None])
def test_unknown_or_lower_case_codes_raise_unknown_currency(code: object) -> None:
    """Codes that are unknown, not upper case or not strings raise UnknownCurrency."""
    with pytest.raises(UnknownCurrency):
        currency(code)  # type: ignore[arg-type]
    with pytest.raises(UnknownCurrency):
        Money(1, code)  # type: ignore[arg-type]


def test_unknown_currency_is_a_validation_error() -> None:
    """UnknownCurrency belongs to the ValidationError/ValueError family."""
    assert issubclass(UnknownCurrency, ValidationError)
    assert issubclass(UnknownCurrency, ValueError)


# --- construction --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "code", "expected"),
    [
        (Decimal("12.3"), "CNY", "12.30"),
        (12, "CNY", "12.00"),
        ("12.30", "CNY", "12.30"),
        (" 12.30 ", "CNY", "12.30"),
        ("-0.01", "USD", "-0.01"),
        ("1000", "JPY", "1000"),
        ("1E+3", "JPY", "1000"),
        ("2.5", "KWD", "2.500"),
        ("1.000", "CNY", "1.00"),
        ("1.0000", "KWD", "1.000"),
        ("7.00", "JPY", "7"),
        (Decimal("0E-10"), "CNY", "0.00"),
    ],
)
def test_construction_quantises_to_the_minor_unit(
    amount: Decimal | int | str, code: str, expected: str
) -> None:
    """Decimal, int and str amounts are accepted and stored with exactly the currency's decimals;
    trailing zeros beyond the minor unit are harmless."""
    m = Money(amount, code)
    assert isinstance(m.amount, Decimal)
    assert str(m.amount) == expected
    assert m.currency == currency(code)


@pytest.mark.parametrize("amount", [1.5, 0.1, 1.0, float("nan"), True, False])
def test_floats_and_bools_are_rejected(amount: object) -> None:
    """Floats (even whole ones) and bools are refused with InvalidAmount."""
    with pytest.raises(InvalidAmount):
        Money(amount, "CNY")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "amount",
    [
        Decimal("NaN"),
        Decimal("sNaN"),
        Decimal("Infinity"),
        Decimal("-Infinity"),
        "nan",
        "inf",
        "-Infinity",
    ],
)
def test_non_finite_amounts_are_rejected(amount: Decimal | str) -> None:
    """NaN and infinities, as Decimal or text, raise InvalidAmount."""
    with pytest.raises(InvalidAmount):
        Money(amount, "USD")


@pytest.mark.parametrize("amount", ["", "abc", "1,00", "12.3.4", [1], None, Fraction(1, 2)])
def test_non_numbers_are_rejected(amount: object) -> None:
    """Text that is not a decimal number and other types raise InvalidAmount."""
    with pytest.raises(InvalidAmount):
        Money(amount, "CNY")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        ("1.005", "CNY"),
        ("-1.005", "CNY"),
        (Decimal("0.001"), "USD"),
        ("1.5", "JPY"),
        ("0.1", "JPY"),
        ("1.0005", "KWD"),
        ("1.0010", "CNY"),
    ],
)
def test_more_decimals_than_the_currency_allows_are_rejected(
    amount: str | Decimal, code: str
) -> None:
    """An amount is never rounded silently: extra significant decimals raise InvalidAmount."""
    with pytest.raises(InvalidAmount, match=f"{code} allows at most {MINOR_UNITS[code]}"):
        Money(amount, code)


def test_zero() -> None:
    """``Money.zero`` is zero with the currency's decimals."""
    z = Money.zero("KWD")
    assert str(z.amount) == "0.000"
    assert z.is_zero()
    assert not z
    assert not z.is_negative()


def test_money_is_frozen_and_hashable() -> None:
    """Money is an immutable value: equal amounts hash equally, fields cannot be assigned."""
    a = Money("1.5", "CNY")
    assert a == Money("1.50", "CNY")
    assert hash(a) == hash(Money(Decimal("1.500"), "CNY"))
    assert a != Money("1.50", "USD")
    with pytest.raises(AttributeError):
        a.amount = Decimal(2)  # type: ignore[misc]


def test_repr_and_str() -> None:
    """repr round-trips through the constructor; str shows amount and code."""
    m = Money("12.3", "CNY")
    assert repr(m) == "Money('12.30', 'CNY')"
    assert str(m) == "12.30 CNY"
    assert eval(repr(m)) == m


# --- arithmetic ----------------------------------------------------------------------------------


def test_add_subtract_negate_abs() -> None:
    """Arithmetic in one currency is exact and keeps the currency."""
    a, b = Money("19.90", "CNY"), Money("0.15", "CNY")
    assert a + b == Money("20.05", "CNY")
    assert a - b == Money("19.75", "CNY")
    assert b - a == Money("-19.75", "CNY")
    assert -a == Money("-19.90", "CNY")
    assert abs(Money("-3.10", "CNY")) == Money("3.10", "CNY")
    assert (a + b).currency == currency("CNY")


@pytest.mark.parametrize(
    "operation",
    [
        lambda a, b: a + b,
        lambda a, b: a - b,
        lambda a, b: a < b,
        lambda a, b: a <= b,
        lambda a, b: a > b,
        lambda a, b: a >= b,
    ],
    ids=["add", "sub", "lt", "le", "gt", "ge"],
)
def test_different_currencies_never_mix(operation: object) -> None:
    """+, - and ordering between two currencies raise CurrencyMismatch naming both."""
    with pytest.raises(CurrencyMismatch) as info:
        operation(Money("1.00", "CNY"), Money("1.00", "USD"))  # type: ignore[operator]
    assert (info.value.left, info.value.right) == ("CNY", "USD")
    assert "CNY" in str(info.value)
    assert "USD" in str(info.value)


def test_equality_across_currencies_is_false_not_an_error() -> None:
    """== is safe across currencies: same number, other currency, not equal."""
    assert Money("1", "JPY") != Money("1", "CNY")


def test_arithmetic_with_plain_numbers_is_refused() -> None:
    """Money does not add to or compare with bare numbers."""
    m = Money("1.00", "CNY")
    with pytest.raises(TypeError):
        m + 1  # type: ignore[operator]
    with pytest.raises(TypeError):
        m - Decimal(1)  # type: ignore[operator]
    with pytest.raises(TypeError):
        m < 2  # type: ignore[operator]  # noqa: B015


def test_ordering_in_one_currency() -> None:
    """Comparison operators order amounts of one currency."""
    small, big = Money("1.99", "USD"), Money("2.00", "USD")
    assert small < big
    assert small <= big
    assert big > small
    assert big >= small
    assert small <= Money("1.99", "USD")
    assert not big < small


def test_multiply_by_int_is_exact_from_both_sides() -> None:
    """``*`` by an int multiplies exactly, whichever side the int is on."""
    assert Money("19.90", "CNY") * 3 == Money("59.70", "CNY")
    assert 3 * Money("19.90", "CNY") == Money("59.70", "CNY")
    assert Money("0.001", "KWD") * -2 == Money("-0.002", "KWD")


@pytest.mark.parametrize("factor", [1.5, 2.0, Decimal("1.5"), True, "2", Fraction(1, 2)])
def test_multiply_operator_takes_ints_only(factor: object) -> None:
    """``*`` refuses floats, Decimals, bools and other factors with TypeError."""
    with pytest.raises(TypeError):
        Money("1.00", "CNY") * factor  # type: ignore[operator]
    with pytest.raises(TypeError):
        factor * Money("1.00", "CNY")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("factor", "rounding", "expected"),
    [
        (Decimal("0.5"), decimal.ROUND_HALF_UP, "0.03"),
        (Decimal("0.5"), decimal.ROUND_HALF_EVEN, "0.02"),
        (Decimal("0.5"), decimal.ROUND_DOWN, "0.02"),
        (Decimal("0.5"), decimal.ROUND_CEILING, "0.03"),
        (3, decimal.ROUND_HALF_UP, "0.15"),
    ],
)
def test_multiply_rounds_with_the_given_mode(
    factor: Decimal | int, rounding: str, expected: str
) -> None:
    """``multiply`` rounds to the minor unit with exactly the rounding mode asked for."""
    result = Money("0.05", "CNY").multiply(factor, rounding=rounding)
    assert result == Money(expected, "CNY")
    assert str(result.amount) == expected


def test_multiply_needs_an_explicit_rounding_and_refuses_floats() -> None:
    """Rounding is keyword-only and mandatory; a float factor is InvalidAmount."""
    m = Money("10.00", "CNY")
    with pytest.raises(TypeError):
        m.multiply(Decimal("0.3"))  # type: ignore[call-arg]
    with pytest.raises(InvalidAmount):
        m.multiply(0.3, rounding=decimal.ROUND_HALF_UP)  # type: ignore[arg-type]


def test_of_rounds_explicitly() -> None:
    """``Money.of`` accepts extra decimals and rounds them with the given mode."""
    half_even = Money.of(Decimal("2.345"), "CNY", rounding=decimal.ROUND_HALF_EVEN)
    assert half_even == Money("2.34", "CNY")
    assert Money.of("2.345", "CNY", rounding=decimal.ROUND_HALF_UP) == Money("2.35", "CNY")
    assert Money.of("1.5", "JPY", rounding=decimal.ROUND_HALF_UP) == Money("2", "JPY")
    with pytest.raises(InvalidAmount):
        Money.of(2.5, "CNY", rounding=decimal.ROUND_HALF_UP)  # type: ignore[arg-type]


@PROPERTY
@given(a=money("CNY"), b=money("CNY"), c=money("CNY"))
def test_addition_is_exact_associative_and_undone_by_subtraction(
    a: Money, b: Money, c: Money
) -> None:
    """Sums are exact: no rounding ever happens in + and -."""
    assert (a + b) + c == a + (b + c)
    assert (a + b) - b == a
    assert (a + b).minor_units == a.minor_units + b.minor_units


# --- minor units ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("units", "code", "expected"),
    [(1230, "CNY", "12.30"), (-5, "USD", "-0.05"), (1230, "JPY", "1230"), (1, "KWD", "0.001")],
)
def test_from_minor(units: int, code: str, expected: str) -> None:
    """``from_minor`` reads minor units of the right size for each currency."""
    m = Money.from_minor(units, code)
    assert str(m.amount) == expected
    assert m.minor_units == units


@pytest.mark.parametrize("units", [1.0, True, Decimal(1), "1"])
def test_from_minor_needs_an_int(units: object) -> None:
    """Minor units must be a real int."""
    with pytest.raises(InvalidAmount):
        Money.from_minor(units, "CNY")  # type: ignore[arg-type]


@PROPERTY
@given(units=minor_amounts(), cur=currencies())
def test_from_minor_and_minor_units_round_trip(units: int, cur: Currency) -> None:
    """from_minor -> minor_units gives back the same int, and the amount matches the constructor."""
    m = Money.from_minor(units, cur)
    assert m.minor_units == units
    assert m == Money(Decimal(units).scaleb(-cur.minor_units), cur)
    assert Money.from_minor(m.minor_units, cur) == m


@PROPERTY
@given(m=money())
def test_minor_units_round_trip_through_str(m: Money) -> None:
    """str(amount) re-parses to the same Money (no decimals lost or added)."""
    assert Money(str(m.amount), m.currency) == m
    assert m.amount.as_tuple().exponent == -m.currency.minor_units


# --- formatting ----------------------------------------------------------------------------------


def test_format_by_locale() -> None:
    """Babel formats CNY as ¥ in Chinese and CN¥ in English, with two decimals."""
    m = Money("12.3", "CNY")
    assert m.format() == "¥12.30"
    assert m.format("zh_CN") == "¥12.30"
    assert m.format("en") == "CN¥12.30"
    assert Money("1234.5", "USD").format("en") == "$1,234.50"
    assert Money("1500", "JPY").format("en") == "¥1,500"


# --- allocation ----------------------------------------------------------------------------------


def test_allocate_largest_remainder_examples() -> None:
    """The leftover cent goes to the earliest of equal remainders; zero ratios get nothing."""
    parts = Money("100.00", "CNY").allocate([1, 1, 1])
    assert [str(p.amount) for p in parts] == ["33.34", "33.33", "33.33"]
    parts = Money("0.05", "CNY").allocate([3, 7])
    assert [str(p.amount) for p in parts] == ["0.02", "0.03"]  # 1.5/3.5: 0.5 vs 0.5 -> first
    parts = Money("10.00", "CNY").allocate([0, 1, 0])
    assert [str(p.amount) for p in parts] == ["0.00", "10.00", "0.00"]
    parts = Money("-100.00", "CNY").allocate([1, 1, 1])
    assert [str(p.amount) for p in parts] == ["-33.34", "-33.33", "-33.33"]
    parts = Money("5", "JPY").allocate([Decimal("0.5"), Decimal("0.25"), Decimal("0.25")])
    assert [str(p.amount) for p in parts] == ["3", "1", "1"]


def test_allocate_function_and_method_agree() -> None:
    """The module function is the method."""
    m = Money("1.000", "KWD")
    assert allocate(m, [1, 2]) == m.allocate([1, 2])


@pytest.mark.parametrize(
    ("ratios", "match"),
    [
        ([], "at least one ratio"),
        ([1, -1], "must not be negative"),
        ([0, 0], "must not all be zero"),
        ([Decimal(0)], "must not all be zero"),
        ([1.5, 1], "not float"),
        ([True, 1], "not bool"),
    ],
)
def test_allocate_rejects_bad_ratios(ratios: list[object], match: str) -> None:
    """Empty, negative, all-zero, float and bool ratios raise InvalidAmount."""
    with pytest.raises(InvalidAmount, match=match):
        Money("1.00", "CNY").allocate(ratios)  # type: ignore[arg-type]


@settings(max_examples=150, deadline=None)
@given(total=money(), ratios=allocation_ratios())
def test_allocate_parts_sum_exactly_and_stay_within_one_unit_of_their_share(
    total: Money, ratios: list[int | Decimal]
) -> None:
    """Whatever the total (negative too) and ratios: one part per ratio, in the total's currency,
    adding up exactly to the total, each part within one minor unit of its exact share."""
    parts = total.allocate(ratios)
    assert len(parts) == len(ratios)
    assert all(p.currency == total.currency for p in parts)
    assert sum_money(parts, total.currency) == total
    weight = sum(Fraction(r) for r in ratios)
    for part, ratio in zip(parts, ratios, strict=True):
        share = Fraction(total.minor_units) * Fraction(ratio) / weight
        assert abs(Fraction(part.minor_units) - share) < 1
        if ratio == 0:
            assert part.is_zero()


@PROPERTY
@given(total=money(), ratios=allocation_ratios())
def test_allocating_a_negative_total_mirrors_the_positive_one(
    total: Money, ratios: list[int | Decimal]
) -> None:
    """Signs do not change who gets the leftover units: allocate(-x) == -allocate(x)."""
    assert (-total).allocate(ratios) == [-p for p in total.allocate(ratios)]


@PROPERTY
@given(units=minor_amounts(0, 10**6), n=st.integers(1, 12))
def test_equal_ratios_give_the_leftover_units_to_the_first_parts(units: int, n: int) -> None:
    """Order is stable: with equal ratios, earlier parts never get less than later ones, and
    parts differ by at most one unit."""
    parts = [p.minor_units for p in Money.from_minor(units, "CNY").allocate([1] * n)]
    assert parts == sorted(parts, reverse=True)
    assert max(parts) - min(parts) <= 1


@PROPERTY
@given(total=money("USD"), ratios=allocation_ratios(), k=st.integers(2, 50))
def test_allocation_depends_only_on_proportions(
    total: Money, ratios: list[int | Decimal], k: int
) -> None:
    """Scaling every ratio by the same factor gives the same parts."""
    assert total.allocate([r * k for r in ratios]) == total.allocate(ratios)


# --- sum_money -----------------------------------------------------------------------------------


def test_sum_money_of_nothing_is_zero_in_the_currency() -> None:
    """An empty sum is zero with the currency's decimals."""
    assert sum_money([], "KWD") == Money.zero("KWD")
    assert str(sum_money([], "KWD").amount) == "0.000"


def test_sum_money_rejects_other_currencies() -> None:
    """An amount in another currency than the one named raises CurrencyMismatch."""
    with pytest.raises(CurrencyMismatch):
        sum_money([Money("1.00", "USD")], "CNY")
    with pytest.raises(CurrencyMismatch):
        sum_money([Money("1.00", "CNY"), Money("1", "JPY")], "CNY")
    with pytest.raises(UnknownCurrency):
        sum_money([], "cny")


@PROPERTY
@given(cur=st.sampled_from(CURRENCY_CODES), data=st.data())
def test_sum_money_adds_minor_units(cur: str, data: st.DataObject) -> None:
    """sum_money equals the sum of the minor units, in any generator of amounts."""
    amounts = data.draw(money_lists(cur))
    total = sum_money(iter(amounts), cur)
    assert total.currency == currency(cur)
    assert total.minor_units == sum(m.minor_units for m in amounts)


# --- precision limits ----------------------------------------------------------------------------


def test_addition_stays_exact_beyond_28_significant_digits() -> None:
    """+ must be exact whatever the size: the minor units of a sum are the sum of minor units."""
    a = Money.from_minor(10**28 - 1, "CNY")
    total = a + a
    assert total.minor_units == 2 * (10**28 - 1)
    assert total.amount.as_tuple().exponent == -2


def test_an_amount_too_large_for_the_decimal_context_raises_invalid_amount() -> None:
    """Too many digits to quantise is a bad amount, reported as InvalidAmount."""
    assert Money("1" * 29, "CNY").minor_units == int("1" * 29) * 100
    with pytest.raises(InvalidAmount, match="significant digits"):
        Money("1" * PRECISION, "CNY")
    with pytest.raises(InvalidAmount, match="significant digits"):
        Money.from_minor(10**PRECISION, "CNY")
    big = Money.from_minor(10**PRECISION // 2, "CNY")
    with pytest.raises(InvalidAmount, match="significant digits"):
        big + big


def _short_id(value: object) -> str:
    """A short test id for huge or odd parameters (``str(10**5000)`` itself raises)."""
    if isinstance(value, int) and value.bit_length() > 64:
        return f"int{value.bit_length()}bits"
    try:
        text = ascii(value)
    except ValueError:  # an int beyond the int-to-str limit inside a container
        return type(value).__name__
    return text if len(text) <= 24 else f"{text[:16]}...{len(text)}chars"


# --- ISO 4217 minor units ------------------------------------------------------------------------

# Where ISO 4217 and CLDR's display digits differ, ISO wins (it is what providers exchange).
_ISO_NOT_CLDR = {
    "IQD": 3,
    **dict.fromkeys(
        [
            "HUF",
            "IDR",
            "COP",
            "AFN",
            "ALL",
            "IRR",
            "KPW",
            "LAK",
            "LBP",
            "MGA",
            "MMK",
            "SOS",
            "SYP",
            "YER",
        ],
        2,
    ),
}


@pytest.mark.parametrize(("code", "digits"), sorted(_ISO_NOT_CLDR.items()))
def test_minor_units_come_from_iso_4217_not_cldr(code: str, digits: int) -> None:
    """IQD has 3 decimals and HUF, IDR, COP... 2 (CLDR shows them with 0): amounts keep them."""
    cur = currency(code)
    assert cur.minor_units == digits
    assert str(Money.from_minor(1, code).amount) == "0." + "0" * (digits - 1) + "1"
    assert Money("1.5", code).minor_units == 15 * 10 ** (digits - 1)


def test_other_iso_minor_units() -> None:
    """A 4-decimal unit of account (CLF) and the usual 0, 2 and 3."""
    assert [currency(c).minor_units for c in ("CLF", "JPY", "CNY", "KWD")] == [4, 0, 2, 3]


def test_format_uses_iso_decimals_with_the_locales_pattern() -> None:
    """Babel gives symbol and grouping, ISO the decimals: IQD shows its 3 decimals."""
    assert Money("1234.567", "IQD").format("en") == "IQD1,234.567"
    assert Money("12", "HUF").format("en") == "HUF12.00"
    assert Money("1500", "JPY").format("zh_CN") == "JP¥1,500"


def test_format_keeps_every_digit_of_a_large_amount() -> None:
    """Babel normalises in the current decimal context (28 digits): formatting must not round."""
    amount = "12345678901234567890123456789012345.67"
    assert Money(amount, "USD").format("en") == "$12,345,678,901,234,567,890,123,456,789,012,345.67"


@pytest.mark.parametrize("locale", ["xx_YY", "", "zh_CN\x00", 5, None])
def test_format_refuses_unknown_locales(locale: object) -> None:
    """An unknown locale is a ValidationError, not Babel's own error."""
    with pytest.raises(ValidationError, match="locale"):
        Money("1", "CNY").format(locale)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("code", "match"),
    [
        ("XAU", "no minor unit"),
        ("XXX", "no minor unit"),
        ("XDR", "no minor unit"),
        ("XTS", "no minor unit"),
        ("DEM", "historic"),
        ("HRK", "historic"),
        ("SLL", "historic"),
        ("usd", "upper case"),
        ("Q" * 1000, "unknown currency"),
    ],
)
def test_codes_without_an_iso_minor_unit_are_refused_saying_why(code: str, match: str) -> None:
    """Metals and testing codes have no minor unit; codes CLDR keeps but ISO withdrew are
    historic: both are UnknownCurrency with the reason (and a short message)."""
    with pytest.raises(UnknownCurrency, match=match) as info:
        currency(code)
    assert len(str(info.value)) < 300


def test_the_iso_table_date_is_published() -> None:
    """The date of the ISO table in use is public, for the docs and for audits."""
    assert isinstance(ISO_4217_PUBLISHED, date)
    assert ISO_4217_PUBLISHED.year >= 2025


# --- Currency identity and code equality ---------------------------------------------------------


def test_a_currency_is_one_object_per_code_and_equals_its_code() -> None:
    """``Currency("CNY")`` and ``currency("CNY")`` are the same object; it equals and hashes as
    ``"CNY"``, so a mapping keyed by currencies is readable with a code."""
    cny = currency("CNY")
    assert Currency("CNY") is cny
    assert currency(cny) is cny
    assert cny == "CNY"
    assert "CNY" == cny  # noqa: SIM300 (both orders on purpose)
    assert cny != "USD"
    assert cny != currency("USD")
    assert hash(cny) == hash("CNY")
    balances: dict[str, Money] = {cny: Money("1.00", "CNY")}
    assert balances["CNY"] == Money("1.00", "CNY")
    assert isinstance(cny, str)
    assert cny.code == "CNY"
    assert type(cny.code) is str
    assert type(str(cny)) is str


def test_a_currency_is_immutable_and_copies_to_itself() -> None:
    """No attribute can be set; copy, deepcopy and pickle give back the one object."""
    cny = currency("CNY")
    with pytest.raises(AttributeError):
        cny.minor_units = 3
    with pytest.raises(AttributeError):
        cny.other = 1
    assert copy.copy(cny) is cny
    assert copy.deepcopy(cny) is cny
    assert pickle.loads(pickle.dumps(cny)) is cny
    m = Money("1.00", "CNY")
    assert pickle.loads(pickle.dumps(m)).currency is cny


def test_building_a_currency_directly_checks_the_code() -> None:
    """``Currency("XYZ")`` is refused like ``currency("XYZ")``."""
    with pytest.raises(UnknownCurrency):
        Currency("XYZ")


# --- no negative zero ----------------------------------------------------------------------------


def _no_negative_zero(m: Money) -> bool:
    return not (m.is_zero() and m.amount.is_signed())


@pytest.mark.parametrize(
    "make",
    [
        lambda: Money("-0.00", "CNY"),
        lambda: Money("-0", "JPY"),
        lambda: Money(Decimal("-0E-7"), "KWD"),
        lambda: Money("-0.000", "CNY"),
        lambda: -Money("0.00", "CNY"),
        lambda: Money("0.00", "CNY") * -3,
        lambda: -3 * Money("0.00", "CNY"),
        lambda: Money("-1.00", "CNY") * 0,
        lambda: Money("0.01", "CNY").multiply(Decimal("-0.1"), rounding=decimal.ROUND_HALF_EVEN),
        lambda: Money("0.00", "CNY").multiply(-2, rounding=decimal.ROUND_HALF_EVEN),
        lambda: Money("-5.00", "CNY").multiply(0, rounding=decimal.ROUND_HALF_EVEN),
        lambda: Money.of("-0.001", "CNY", rounding=decimal.ROUND_HALF_EVEN),
        lambda: Money.of("-0.004", "CNY", rounding=decimal.ROUND_CEILING),
        lambda: Money.of(Decimal("-0"), "CNY", rounding=decimal.ROUND_FLOOR),
        lambda: Money("1.00", "CNY") - Money("1.00", "CNY"),
        lambda: Money("-1.00", "CNY") + Money("1.00", "CNY"),
        lambda: abs(Money("-0.00", "CNY")),
        lambda: Money("-0.01", "CNY").allocate([0, 1])[0],
        lambda: Money.zero("CNY"),
    ],
)
def test_no_operation_makes_a_negative_zero(make: object) -> None:
    """Every way to a zero amount gives ``0.00``, never ``-0.00``."""
    m = make()  # type: ignore[operator]
    assert m.is_zero()
    assert _no_negative_zero(m)
    assert not str(m).startswith("-")


def test_negating_zero_prints_without_a_sign() -> None:
    """``str(-Money("0.00", "CNY"))`` is ``0.00 CNY``."""
    assert str(-Money("0.00", "CNY")) == "0.00 CNY"
    assert repr(-Money("0", "JPY")) == "Money('0', 'JPY')"


@PROPERTY
@given(
    m=money("CNY"),
    k=st.integers(-5, 5),
    f=st.decimals(-10, 10, places=3, allow_nan=False, allow_infinity=False),
)
def test_no_negative_zero_from_any_arithmetic(m: Money, k: int, f: Decimal) -> None:
    """Negation, products and rounding never leave a signed zero."""
    for result in (-m, m * k, m - m, m.multiply(f, rounding=decimal.ROUND_HALF_UP)):
        assert _no_negative_zero(result)


# --- accepted forms of amounts -------------------------------------------------------------------


@pytest.mark.parametrize(
    "amount",
    [
        "1_0",
        "1_000.00",
        "\u0661\u0662",  # Arabic-Indic digits
        "\uff11\uff12",  # full-width digits
        "\u0967",  # Devanagari one
        "\u00a012",  # no-break space
        "12\u2003",  # em space
        "\t12",
        "12\n",
        "1 000",
        "+-1",
        "0x10",
        "1e",
        "e5",
        ".",
        "",
        " ",
        "1.2.3",
        "Infinity",
        "-inf",
        "NaN",
        "sNaN",
        "1e" + "9" * 150,
        "x" * 10_000_000,
        "1" * 10_000_000,
    ],
    ids=_short_id,
)
def test_only_plain_ascii_decimal_text_is_an_amount(amount: str) -> None:
    """Digit separators, non-ASCII digits and spaces, bare exponents, NaN and infinity are
    refused with InvalidAmount, with a short message."""
    with pytest.raises(InvalidAmount) as info:
        Money(amount, "CNY")
    assert len(str(info.value)) < 400


@pytest.mark.parametrize(
    ("amount", "expected"),
    [(" 12.30 ", "12.30"), ("+12.3", "12.30"), (".5", "0.50"), ("5.", "5.00"), ("1e1", "10.00")],
)
def test_accepted_text_forms(amount: str, expected: str) -> None:
    """Sign, leading or trailing point, exponent and surrounding ASCII spaces are fine."""
    assert str(Money(amount, "CNY").amount) == expected


@pytest.mark.parametrize(
    "amount",
    [
        "1" * 130 + ".001",
        "1e999999",
        "-1e999999",
        "1E+58",
        Decimal("1E+999999999999999999"),
        Decimal("-1E+58"),
        10**5000,
        -(10**5000),
        10**60,
        "9" * 59,
    ],
    ids=_short_id,
)
def test_amounts_too_large_are_invalid_amounts(amount: object) -> None:
    """Amounts beyond 60 digits of minor units raise InvalidAmount (never a decimal signal,
    OverflowError or the int-to-str ValueError), with a short message."""
    with pytest.raises(InvalidAmount) as info:
        Money(amount, "CNY")  # type: ignore[arg-type]
    assert len(str(info.value)) < 400


def test_the_largest_amount() -> None:
    """58 digits before the point and 2 after: 60 digits of minor units is the maximum."""
    biggest = Money("9" * 58 + ".99", "CNY")
    assert biggest.minor_units == 10**60 - 1
    assert Money("-" + "9" * 58 + ".99", "CNY") == -biggest
    with pytest.raises(InvalidAmount):
        biggest + Money("0.01", "CNY")
    with pytest.raises(InvalidAmount):
        biggest * 2
    with pytest.raises(InvalidAmount, match="too large"):
        Money.from_minor(-(10**60), "CNY")


def test_tiny_decimals_are_refused_without_working_through_them() -> None:
    """A Decimal with an enormous negative exponent is too many decimal places, quickly."""
    with pytest.raises(InvalidAmount, match="decimal places"):
        Money(Decimal("1E-999999999999999999"), "CNY")
    assert Money(Decimal("0E-999999999999999999"), "CNY") == Money.zero("CNY")
    assert Money(Decimal("1." + "0" * 100_000), "CNY") == Money("1", "CNY")


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("1E+59", True),
        ("1E+60", False),
        ("1E-60", True),
        ("1E-61", False),
        ("1" * 60, True),
        ("1" * 61, False),
        ("1" * 60 + "0" * 5 + "E-5", True),  # trailing zeros are not significant
        ("0E+999", True),
        (10**59, True),
        (10**60, False),
    ],
    ids=_short_id,
)
def test_to_decimal_range_of_factors_and_ratios(value: object, ok: bool) -> None:
    """Factors and ratios: at most 60 significant digits, magnitude 1E-60 to below 1E+60."""
    if ok:
        assert to_decimal(value) == Decimal(value)  # type: ignore[arg-type]
    else:
        with pytest.raises(InvalidAmount):
            to_decimal(value)


@pytest.mark.parametrize("rounding", ["ROUND_SIDEWAYS", None, 5, "round_half_up"])
def test_an_unknown_rounding_mode_is_a_validation_error(rounding: object) -> None:
    """``of`` and ``multiply`` take only the decimal module's rounding modes."""
    with pytest.raises(ValidationError, match="rounding"):
        Money.of("1", "CNY", rounding=rounding)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="rounding"):
        Money("1", "CNY").multiply(2, rounding=rounding)  # type: ignore[arg-type]


def test_sum_money_refuses_what_is_not_money() -> None:
    """A non-Money item or a non-iterable is an InvalidAmount, not a TypeError."""
    with pytest.raises(InvalidAmount):
        sum_money([Money("1", "CNY"), 1], "CNY")  # type: ignore[list-item]
    with pytest.raises(InvalidAmount):
        sum_money(5, "CNY")  # type: ignore[arg-type]


# --- multiply rounds once ------------------------------------------------------------------------


def test_multiply_rounds_the_exact_product_once() -> None:
    """0.01 x 0.49999...9 (31 digits) is 0.004999...9: half-up gives 0.00. Rounding the product
    to 28 digits first (Python's default context) would make it 0.005000 and then 0.01."""
    factor = Decimal("0." + "4" + "9" * 30)
    assert Money("0.01", "CNY").multiply(factor, rounding=decimal.ROUND_HALF_UP) == Money(
        "0.00", "CNY"
    )
    with decimal.localcontext() as ctx:  # the double rounding this test guards against
        ctx.prec = 28
        twice = (Decimal("0.01") * factor).quantize(Decimal("0.01"), decimal.ROUND_HALF_UP)
    assert twice == Decimal("0.01")


def test_multiply_is_exact_at_full_precision() -> None:
    """A 60-digit amount times a 60-digit factor is rounded from the exact 120-digit product."""
    amount = Money("9" * 58 + ".99", "CNY")
    factor = Decimal("0." + "4" + "9" * 59)  # 60 significant digits, just below one half
    result = amount.multiply(factor, rounding=decimal.ROUND_HALF_UP)
    exact = Fraction(10**60 - 1) * Fraction(factor)  # in fen
    assert result.minor_units == _round_half_up(exact)


def _round_half_up(x: Fraction) -> int:
    sign = -1 if x < 0 else 1
    x = abs(x)
    whole = x.numerator // x.denominator
    return sign * (whole + (1 if x - whole >= Fraction(1, 2) else 0))


_BIG_DECIMALS = st.builds(
    lambda n, e: Decimal(n).scaleb(e),
    st.integers(-(10**45), 10**45),
    st.integers(-60, 10),
)


@settings(max_examples=150, deadline=None)
@given(m=money("CNY", min_units=-(10**40), max_units=10**40), factor=_BIG_DECIMALS)
def test_multiply_half_up_matches_exact_rational_arithmetic(m: Money, factor: Decimal) -> None:
    """With factors of up to 46 digits and exponents down to -60, ``multiply`` equals the exact
    rational product rounded once (half away from zero), or refuses a product too large."""
    exact = Fraction(m.minor_units) * Fraction(factor)
    if abs(_round_half_up(exact)) >= 10**PRECISION:
        with pytest.raises(InvalidAmount, match="too large"):
            m.multiply(factor, rounding=decimal.ROUND_HALF_UP)
        return
    assert m.multiply(factor, rounding=decimal.ROUND_HALF_UP).minor_units == _round_half_up(exact)


# --- allocate is exact for any accepted ratios ---------------------------------------------------


def _largest_remainder(units: int, ratios: list[Fraction]) -> list[int]:
    """A reference allocation in exact rationals."""
    sign = -1 if units < 0 else 1
    units = abs(units)
    total = sum(ratios)
    shares = [units * r / total for r in ratios]
    floors = [s.numerator // s.denominator for s in shares]
    order = sorted(range(len(ratios)), key=lambda i: (-(shares[i] - floors[i]), i))
    for i in order[: units - sum(floors)]:
        floors[i] += 1
    return [sign * f for f in floors]


_WIDE_RATIOS = st.lists(
    st.one_of(
        st.builds(
            lambda n, e: Decimal(n).scaleb(e),
            st.integers(0, 10**59),  # up to 60 digits: more than the 28 of the default context
            st.integers(-60, 0),
        ),
        st.sampled_from([Decimal("1E+59"), Decimal("1E-60"), Decimal("3E-60"), Decimal(0)]),
        st.integers(0, 10**59),
    ),
    min_size=1,
    max_size=8,
).filter(lambda rs: any(r > 0 for r in rs))


@settings(max_examples=200, deadline=None)
@given(total=money(min_units=-(10**50), max_units=10**50), ratios=_WIDE_RATIOS)
def test_allocate_is_exact_with_ratios_beyond_28_digits_huge_and_tiny(
    total: Money, ratios: list[int | Decimal]
) -> None:
    """Ratios of up to 60 digits, from 1E-60 to 1E+59: the parts add up exactly and equal an
    exact-rational largest-remainder allocation."""
    parts = total.allocate(ratios)
    assert sum_money(parts, total.currency) == total
    expected = _largest_remainder(total.minor_units, [Fraction(r) for r in ratios])
    assert [p.minor_units for p in parts] == expected


def test_allocate_between_a_huge_and_a_tiny_ratio() -> None:
    """1E+59 against 1E-60: the tiny ratio's share is far below a fen and gets nothing."""
    parts = Money("100.00", "CNY").allocate([Decimal("1E+59"), Decimal("1E-60")])
    assert parts == [Money("100.00", "CNY"), Money("0.00", "CNY")]
    parts = Money("0.01", "CNY").allocate([Decimal("1E-60"), Decimal("3E-60")])
    assert parts == [Money("0.00", "CNY"), Money("0.01", "CNY")]


@pytest.mark.parametrize(
    "ratios",
    [[Decimal("1E+60")], [Decimal("1E-61"), 1], ["1" * 61], [10**5000], "123", 5, None, [None]],
    ids=_short_id,
)
def test_allocate_refuses_ratios_out_of_range_or_of_the_wrong_kind(ratios: object) -> None:
    """Ratios beyond the exact range or not a sequence of numbers raise InvalidAmount."""
    with pytest.raises(InvalidAmount):
        Money("1.00", "CNY").allocate(ratios)  # type: ignore[arg-type]


# --- independence from the caller's decimal context ----------------------------------------------


def _everything() -> list[object]:
    a, b = Money("19.99", "CNY"), Money("0.01", "CNY")
    return [
        Money("12345678901234567890123456789012345.67", "CNY"),
        a + b,
        a - b,
        a * 3,
        -a,
        a.multiply(Decimal("0.333333333333333333333333333333333"), rounding=decimal.ROUND_HALF_UP),
        Money.of("2.345", "CNY", rounding=decimal.ROUND_HALF_EVEN),
        a.allocate([1, 1, 1]),
        Money.from_minor(10**40, "CNY").minor_units,
        Money.zero("KWD"),
        sum_money([a, b], "CNY"),
        Money("1234567890123456789012345678901.50", "USD").format("en"),
    ]


@pytest.mark.parametrize(
    "configure",
    [
        lambda ctx: setattr(ctx, "prec", 3),
        lambda ctx: ctx.traps.update(dict.fromkeys(ctx.traps, True)),
        lambda ctx: ctx.traps.update(dict.fromkeys(ctx.traps, False)),
        lambda ctx: setattr(ctx, "rounding", decimal.ROUND_FLOOR),
    ],
    ids=["prec-3", "all-traps", "no-traps", "round-floor"],
)
def test_results_do_not_depend_on_the_callers_decimal_context(configure: object) -> None:
    """Money uses its own contexts: a caller's low precision, traps or rounding change nothing
    (ROUND_FLOOR, for instance, would make x - x a negative zero)."""
    expected = _everything()
    with decimal.localcontext() as ctx:
        configure(ctx)  # type: ignore[operator]
        assert _everything() == expected
        assert str(Money("1.00", "CNY") - Money("1.00", "CNY")) == "0.00 CNY"


def test_an_out_of_range_exponent_is_refused_even_without_traps() -> None:
    """With InvalidOperation not trapped, Decimal would turn the text into NaN: still refused."""
    with decimal.localcontext() as ctx:
        ctx.traps[decimal.InvalidOperation] = False
        with pytest.raises(InvalidAmount):
            Money("1e" + "9" * 30, "CNY")


# --- fast paths against whole-number arithmetic -------------------------------------------------

_LIMIT = 10**PRECISION
_UNITS = st.one_of(
    st.integers(-(10**6), 10**6),
    st.integers(-_LIMIT + 1, _LIMIT - 1),
    st.sampled_from([0, 1, -1, _LIMIT - 1, -_LIMIT + 1, _LIMIT // 2, -(_LIMIT // 2)]),
)


def _reference(units: int, cur: Currency) -> Money | type[InvalidAmount]:
    """The exact answer: the Money of ``units`` minor units, or InvalidAmount when too large."""
    if not -_LIMIT < units < _LIMIT:
        return InvalidAmount
    return Money(Decimal(f"{units}E-{cur.minor_units}"), cur)  # str to Decimal is exact


def _outcome(compute: object) -> Money | type[InvalidAmount]:
    assert callable(compute)
    try:
        result = compute()
    except InvalidAmount:
        return InvalidAmount
    assert isinstance(result, Money)
    return result


def _same_money(got: Money | type[InvalidAmount], expected: Money | type[InvalidAmount]) -> None:
    assert got == expected
    if isinstance(got, Money) and isinstance(expected, Money):
        # same digits, same sign: exactly the currency's decimals and never a negative zero
        assert str(got) == str(expected)
        assert not got.amount.is_signed() or got.amount < 0


@PROPERTY
@given(a=_UNITS, b=_UNITS, k=_UNITS, cur=currencies())
def test_fast_arithmetic_agrees_with_whole_numbers(a: int, b: int, k: int, cur: Currency) -> None:
    x, y = Money.from_minor(a, cur), Money.from_minor(b, cur)
    _same_money(_outcome(lambda: x + y), _reference(a + b, cur))
    _same_money(_outcome(lambda: x - y), _reference(a - b, cur))
    _same_money(_outcome(lambda: x * k), _reference(a * k, cur))
    _same_money(_outcome(lambda: k * x), _reference(a * k, cur))
    _same_money(_outcome(lambda: sum_money([x, y], cur)), _reference(a + b, cur))
    # each partial sum is checked, as when adding one by one
    partial = _reference(a + b, cur)
    expected = InvalidAmount if partial is InvalidAmount else _reference(a, cur)
    _same_money(_outcome(lambda: sum_money([x, y, -y], cur.code)), expected)
    _same_money(_outcome(lambda: Money.from_minor(a + b, cur.code)), _reference(a + b, cur))


@PROPERTY
@given(a=_UNITS, k=st.sampled_from([0, -1, -7]), cur=currencies())
def test_fast_arithmetic_in_a_hostile_decimal_context(a: int, k: int, cur: Currency) -> None:
    x = Money.from_minor(a, cur)
    zero, product, double = _reference(0, cur), _reference(a * k, cur), _reference(2 * a, cur)
    with decimal.localcontext() as context:
        context.prec = 3
        context.rounding = decimal.ROUND_FLOOR
        context.traps[decimal.Inexact] = True
        got = [
            _outcome(lambda: x - x),
            _outcome(lambda: x * k),
            _outcome(lambda: sum_money([x, -x], cur)),
            _outcome(lambda: x + x),
        ]
    for result, expected in zip(got, [zero, product, zero, double], strict=True):
        _same_money(result, expected)


def test_money_with_a_non_money_operand_names_what_to_use_instead() -> None:
    """A library error that is also a TypeError, with the operation to use instead."""
    from ecservice.errors import EcServiceError, UnsupportedOperand

    m = Money("1.00", "CNY")
    cases = [
        (lambda: m * Decimal("1.5"), "Money.multiply(factor, rounding=...)"),
        (lambda: 0.5 * m, "Money.multiply(factor, rounding=...)"),
        (lambda: sum([m, m]), "sum_money(amounts, currency)"),
        (lambda: m + 1, "both sides must be Money"),
        (lambda: 1 - m, "both sides must be Money"),
        (lambda: m < 1, "Money.zero(currency)"),
    ]
    for operation, hint in cases:
        with pytest.raises(UnsupportedOperand, match=re.escape(hint)) as caught:
            operation()
        assert isinstance(caught.value, TypeError)
        assert isinstance(caught.value, EcServiceError)
