"""Tests of :mod:`ecservice.money`: amounts, currencies, arithmetic, formatting, allocation."""

from __future__ import annotations

import decimal
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecservice.errors import CurrencyMismatch, InvalidAmount, UnknownCurrency, ValidationError
from ecservice.money import Currency, Money, allocate, currency, sum_money
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
        factor * Money("1.00", "CNY")  # type: ignore[operator]


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
    from ecservice.money import PRECISION

    assert Money("1" * 29, "CNY").minor_units == int("1" * 29) * 100
    with pytest.raises(InvalidAmount, match="significant digits"):
        Money("1" * PRECISION, "CNY")
    with pytest.raises(InvalidAmount, match="significant digits"):
        Money.from_minor(10**PRECISION, "CNY")
    big = Money.from_minor(10**PRECISION // 2, "CNY")
    with pytest.raises(InvalidAmount, match="significant digits"):
        big + big
