"""Tests of :class:`ShippingRate`: first and continued weight (首重 / 续重), free shipping."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings

from ecservice.errors import CurrencyMismatch, ValidationError
from ecservice.money import Money
from ecservice.orders import ShippingRate
from tests.strategies import weights


def cny(amount: str) -> Money:
    return Money(amount, "CNY")


STANDARD = ShippingRate.per_kg(first_fee=cny("10.00"), additional_fee=cny("5.00"))
EXPRESS = ShippingRate.express(first_fee=cny("12.00"), additional_fee=cny("4.00"))
FREE_OVER_99 = ShippingRate.per_kg(
    first_fee=cny("10.00"), additional_fee=cny("5.00"), free_over=cny("99.00")
)


def test_factories_set_first_and_continued_weights() -> None:
    """per_kg uses 1 kg steps, express 0.5 kg steps."""
    assert (STANDARD.name, STANDARD.first_weight_kg, STANDARD.additional_weight_kg) == (
        "standard",
        Decimal(1),
        Decimal(1),
    )
    assert (EXPRESS.name, EXPRESS.first_weight_kg, EXPRESS.additional_weight_kg) == (
        "express",
        Decimal("0.5"),
        Decimal("0.5"),
    )


@pytest.mark.parametrize(
    ("weight", "expected"),
    [
        (Decimal(0), "10.00"),
        (Decimal("0.8"), "10.00"),
        (Decimal("1.0"), "10.00"),
        (1, "10.00"),
        (Decimal("1.01"), "15.00"),
        (Decimal("2"), "15.00"),
        (Decimal("2.3"), "20.00"),
        (Decimal("3.001"), "25.00"),
    ],
)
def test_per_kg_fee_charges_each_started_kilogram_after_the_first(
    weight: Decimal | int, expected: str
) -> None:
    """The first kg costs the first fee; each *started* further kg costs the additional fee."""
    assert STANDARD.fee(weight) == cny(expected)


@pytest.mark.parametrize(
    ("weight", "expected"),
    [
        (Decimal("0.3"), "12.00"),
        (Decimal("0.5"), "12.00"),
        (Decimal("0.51"), "16.00"),
        (Decimal("1.0"), "16.00"),
        (Decimal("1.2"), "20.00"),
        (Decimal("2.3"), "28.00"),
    ],
)
def test_express_fee_uses_half_kilogram_steps(weight: Decimal, expected: str) -> None:
    """Express: first 0.5 kg, then each started 0.5 kg."""
    assert EXPRESS.fee(weight) == cny(expected)


def test_custom_steps() -> None:
    """A rate with 2 kg first weight and 0.25 kg steps counts started quarter-kilos."""
    rate = ShippingRate(
        name="bulky",
        first_weight_kg=Decimal(2),
        first_fee=cny("20.00"),
        additional_weight_kg=Decimal("0.25"),
        additional_fee=cny("1.50"),
    )
    assert rate.fee(Decimal(2)) == cny("20.00")
    assert rate.fee(Decimal("2.26")) == cny("23.00")  # 0.26 kg extra: two started steps


def test_free_over_makes_shipping_free_from_the_threshold_on() -> None:
    """A subtotal that reaches free_over ships free (包邮); one fen below pays the fee."""
    assert FREE_OVER_99.fee(Decimal("5"), cny("99.00")) == Money.zero("CNY")
    assert FREE_OVER_99.fee(Decimal("5"), cny("250.00")) == Money.zero("CNY")
    assert FREE_OVER_99.fee(Decimal("5"), cny("98.99")) == cny("30.00")
    assert FREE_OVER_99.fee(Decimal("5")) == cny("30.00")  # no subtotal given: no discount
    assert STANDARD.fee(Decimal("5"), cny("10000.00")) == cny("30.00")  # no free_over


@pytest.mark.parametrize("weight", [Decimal("-0.1"), -1, 0.5, 1.0, True, "1", Decimal("NaN")])
def test_fee_rejects_negative_float_and_non_numeric_weights(weight: object) -> None:
    """A weight must be a non-negative Decimal or int."""
    with pytest.raises(ValidationError, match="weight"):
        STANDARD.fee(weight)  # type: ignore[arg-type]


def test_fee_rejects_a_subtotal_in_another_currency_when_free_over_is_set() -> None:
    """Comparing a USD subtotal with a CNY threshold raises CurrencyMismatch."""
    with pytest.raises(CurrencyMismatch):
        FREE_OVER_99.fee(Decimal(1), Money("500.00", "USD"))


def test_fee_rejects_a_subtotal_in_another_currency_without_free_over() -> None:
    """The documented contract: a subtotal in another currency raises CurrencyMismatch."""
    with pytest.raises(CurrencyMismatch):
        STANDARD.fee(Decimal(1), Money("500.00", "USD"))


def test_rate_fees_must_share_one_currency() -> None:
    """First fee, additional fee and free_over must be in the same currency."""
    with pytest.raises(CurrencyMismatch):
        ShippingRate.per_kg(first_fee=cny("10.00"), additional_fee=Money("5.00", "USD"))
    with pytest.raises(CurrencyMismatch):
        ShippingRate.per_kg(
            first_fee=cny("10.00"), additional_fee=cny("5.00"), free_over=Money("99", "JPY")
        )


def test_rate_fees_must_not_be_negative() -> None:
    """Negative fees are refused."""
    with pytest.raises(ValidationError, match="negative"):
        ShippingRate.per_kg(first_fee=cny("-1.00"), additional_fee=cny("5.00"))
    with pytest.raises(ValidationError, match="negative"):
        ShippingRate.express(first_fee=cny("1.00"), additional_fee=cny("-5.00"))


@pytest.mark.parametrize("step", [Decimal(0), Decimal("-0.5"), 0.5])
def test_rate_weight_steps_must_be_positive_decimals(step: object) -> None:
    """First and continued weight steps are positive Decimals (a zero step would divide by 0)."""
    with pytest.raises(ValidationError):
        ShippingRate(
            first_weight_kg=step,
            first_fee=cny("1.00"),  # type: ignore[arg-type]
            additional_weight_kg=Decimal(1),
            additional_fee=cny("1.00"),
        )
    with pytest.raises(ValidationError):
        ShippingRate(
            first_weight_kg=Decimal(1),
            first_fee=cny("1.00"),
            additional_weight_kg=step,  # type: ignore[arg-type]
            additional_fee=cny("1.00"),
        )


@settings(max_examples=80, deadline=None)
@given(a=weights(), b=weights())
def test_fee_is_monotone_in_weight(a: Decimal, b: Decimal) -> None:
    """A heavier parcel never costs less, for both standard and express rates."""
    light, heavy = sorted((a, b))
    for rate in (STANDARD, EXPRESS):
        assert rate.fee(light) <= rate.fee(heavy)


@settings(max_examples=60, deadline=None)
@given(weight=weights())
def test_fee_matches_the_started_step_formula(weight: Decimal) -> None:
    """fee = first + additional * ceil(extra / step), computed independently in grams."""
    grams = int(weight * 1000)
    steps = max(0, -(-(grams - 1000) // 1000))
    assert STANDARD.fee(weight) == cny("10.00") + cny("5.00") * steps
    assert STANDARD.fee(weight).currency == STANDARD.first_fee.currency
