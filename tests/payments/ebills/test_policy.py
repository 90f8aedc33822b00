"""DraftPolicy: its defaults, its validation, and deadlines exact at the boundary."""

from __future__ import annotations

import datetime as _dt
from decimal import Decimal
from typing import Any

import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecservice.errors import ValidationError
from ecservice.money import Money
from ecservice.payments.ebills import (
    DEFAULT_DRAFT_POLICY,
    MAX_SUB_TICKETS,
    DraftPolicy,
    NonStandardAmount,
    TenorTooLong,
)

P = DEFAULT_DRAFT_POLICY
SH = "Asia/Shanghai"


def test_defaults_follow_the_cited_rules() -> None:
    assert P.currency == "CNY"
    assert P.standard_sub_amount == Money("0.01", "CNY")
    assert (P.max_tenor_months, P.presentment_days, P.acceptance_answer_days) == (6, 10, 3)
    assert (P.recourse_months, P.re_recourse_months, P.holder_rights_years) == (6, 3, 2)
    assert P.payment_answer_days == 4
    assert P.zone == SH
    assert P.max_recourse_expenses is None


@pytest.mark.parametrize(
    "changes",
    [
        {"max_tenor_months": 0},
        {"max_tenor_months": 13},
        {"presentment_days": True},
        {"presentment_days": "10"},
        {"zone": "Mars/Olympus"},
        {"currency": "XYZ"},
        {"standard_sub_amount": Money("0.01", "USD")},
        {"standard_sub_amount": Money("0", "CNY")},
        {"standard_sub_amount": "0.01"},
        {"recourse_interest_rate": 0.04},
        {"recourse_interest_rate": Decimal("-0.01")},
        {"recourse_interest_rate": Decimal("NaN")},
        {"max_recourse_expenses": Money("-1", "CNY")},
        {"max_recourse_expenses": Money("1", "USD")},
    ],
)
def test_bad_fields_raise_validation_errors(changes: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        DraftPolicy(**changes)  # type: ignore[arg-type]


def test_sub_tickets_count_standard_amounts() -> None:
    assert P.sub_tickets(Money("12.30", "CNY")) == 1230
    assert P.sub_tickets(Money("0.01", "CNY")) == 1
    coarse = DraftPolicy(standard_sub_amount=Money("100", "CNY"))
    assert coarse.sub_tickets(Money("1200", "CNY")) == 12
    with pytest.raises(NonStandardAmount):
        coarse.sub_tickets(Money("1250", "CNY"))


@pytest.mark.parametrize(
    "amount",
    [Money("0", "CNY"), Money("-1", "CNY"), Money("1", "USD"), Money("10000000000", "CNY"), "1"],
)
def test_non_standard_amounts_are_refused(amount: object) -> None:
    with pytest.raises(NonStandardAmount):
        P.sub_tickets(amount)  # type: ignore[arg-type]


def test_the_largest_package_is_the_last_twelve_digit_serial() -> None:
    assert P.sub_tickets(Money("9999999999.99", "CNY")) == MAX_SUB_TICKETS


@given(st.integers(min_value=1, max_value=MAX_SUB_TICKETS))
def test_any_whole_number_of_sub_tickets_is_accepted(n: int) -> None:
    assert P.sub_tickets(Money.from_minor(n, "CNY")) == n


def test_tenor_at_most_six_months_from_the_issue_date() -> None:
    P.check_tenor(_dt.date(2026, 3, 2), _dt.date(2026, 9, 2))
    with pytest.raises(TenorTooLong):
        P.check_tenor(_dt.date(2026, 3, 2), _dt.date(2026, 9, 3))
    with pytest.raises(TenorTooLong):
        P.check_tenor(_dt.date(2026, 3, 2), _dt.date(2026, 3, 2))
    # month ends clamp: 31 August + 6 months is 28 February
    P.check_tenor(_dt.date(2025, 8, 31), _dt.date(2026, 2, 28))
    with pytest.raises(TenorTooLong):
        P.check_tenor(_dt.date(2025, 8, 31), _dt.date(2026, 3, 1))


def test_presentment_period_counts_ten_local_days_from_maturity() -> None:
    ends = P.presentment_ends(_dt.date(2026, 8, 31))
    assert ends == pendulum.datetime(2026, 9, 10, tz=SH)
    assert P.presentment_opens(_dt.date(2026, 8, 31)) == pendulum.datetime(2026, 8, 31, tz=SH)


def test_deadlines_are_local_day_starts_in_utc() -> None:
    # 23:30 in Shanghai on 2 March is still 2 March there (15:30 UTC)
    late = pendulum.datetime(2026, 3, 2, 23, 30, tz=SH)
    assert P.acceptance_due(late) == pendulum.datetime(2026, 3, 6, tz=SH)
    assert P.payment_answer_due(late) == pendulum.datetime(2026, 3, 7, tz=SH)
    assert P.acceptance_due(late).timezone_name == "UTC"


def test_recourse_periods_count_calendar_months() -> None:
    at = pendulum.datetime(2026, 8, 31, 10, tz=SH)
    assert P.recourse_ends(at) == pendulum.datetime(2027, 3, 1, tz=SH)
    assert P.recourse_ends(at, re_recourse=True) == pendulum.datetime(2026, 12, 1, tz=SH)
    assert P.holder_rights_end(_dt.date(2026, 8, 31)) == pendulum.datetime(2028, 9, 1, tz=SH)


def test_recourse_interest_is_rounded_down_over_365_days() -> None:
    face = Money("100000.00", "CNY")
    until = pendulum.datetime(2026, 9, 30, 12, tz=SH)
    # 30 days at 4.35 %: 100000 * 0.0435 * 30 / 365 = 357.534...
    assert P.recourse_interest(face, _dt.date(2026, 8, 31), until) == Money("357.53", "CNY")
    assert P.recourse_interest(face, _dt.date(2026, 9, 30), until) == Money("0", "CNY")


def test_a_zone_with_other_days_moves_every_deadline() -> None:
    utc = DraftPolicy(zone="UTC")
    assert utc.presentment_ends(_dt.date(2026, 8, 31)) == pendulum.datetime(2026, 9, 10)


@pytest.mark.parametrize(
    "call",
    [
        lambda p: p.check_tenor("2026-03-02", _dt.date(2026, 4, 2)),
        lambda p: p.check_tenor(_dt.date(2026, 3, 2), None),
        lambda p: p.start_of(pendulum.datetime(2026, 3, 2)),
        lambda p: p.presentment_opens("2026-03-02"),
        lambda p: p.presentment_ends(_dt.date.max),
        lambda p: p.holder_rights_end(None),
        lambda p: p.recourse_interest(1.5, _dt.date(2026, 3, 2), pendulum.now("UTC")),
        lambda p: p.recourse_interest(Money("1.00", "USD"), _dt.date(2026, 3, 2), pendulum.now()),
        lambda p: p.recourse_ends(pendulum.now("UTC"), re_recourse="y"),
        lambda p: p.acceptance_due(pendulum.datetime(9999, 12, 31, tz="UTC")),
    ],
)
def test_the_helpers_refuse_what_is_not_a_date_or_an_amount(call: Any) -> None:
    with pytest.raises(ValidationError):
        call(DEFAULT_DRAFT_POLICY)
