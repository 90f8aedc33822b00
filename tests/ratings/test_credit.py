"""Seller credit, rule by rule at its boundaries: the 7th point of a month, the month's last
instant, the 14th day, 1.00 CNY; and the policy's validation."""

from __future__ import annotations

import datetime as _dt
from typing import Any

import attrs
import pendulum
import pytest

from ecservice.clock import FixedClock
from ecservice.errors import NaiveDatetime, ValidationError
from ecservice.money import Money
from ecservice.ratings import (
    AlreadyRated,
    CreditPolicy,
    CreditReason,
    CreditReport,
    Grade,
    Rating,
    seller_credit,
)
from tests.ratings.rig import BUYER, MICRO, ZONE, made

R = CreditReason
NOW = pendulum.datetime(2027, 6, 1, tz="UTC")
POLICY = CreditPolicy()
MAR = pendulum.datetime(2026, 3, 2, 10, tz=ZONE)


def credit(ratings: list[Rating], policy: CreditPolicy = POLICY) -> CreditReport:
    return seller_credit(ratings, policy, now=NOW)


def reasons(report: CreditReport) -> list[CreditReason]:
    return [e.reason for e in report.entries]


def test_points_per_grade() -> None:
    report = credit(
        [
            made("g", grade=Grade.GOOD, item="A"),
            made("n", grade=Grade.NEUTRAL, item="B"),
            made("b", grade=Grade.BAD, item="C"),
        ]
    )
    assert {e.rating_id: e.points for e in report.entries} == {"g": 1, "n": 0, "b": -1}
    assert report.score == 0
    assert reasons(report) == [R.COUNTED] * 3
    assert (report.count(Grade.GOOD), report.count(Grade.NEUTRAL), report.count(Grade.BAD)) == (
        1,
        1,
        1,
    )


def test_the_seventh_good_point_of_a_month_is_capped() -> None:
    ratings = [made(f"r{i}", item=f"I{i}", ordered_at=MAR.add(hours=i)) for i in range(7)]
    report = credit(ratings)
    assert reasons(report) == [R.COUNTED] * 6 + [R.CAPPED]
    assert report.score == 6
    assert report.entry("r6").points == 0


def test_the_seventh_bad_point_of_a_month_is_capped_separately_from_good_ones() -> None:
    bad = [
        made(f"b{i}", grade=Grade.BAD, item=f"B{i}", ordered_at=MAR.add(hours=i)) for i in range(7)
    ]
    good = [made(f"g{i}", item=f"G{i}", ordered_at=MAR.add(hours=10 + i)) for i in range(6)]
    report = credit(bad + good)
    assert report.score == -6 + 6
    assert report.entry("b6").reason is R.CAPPED
    assert all(report.entry(f"g{i}").reason is R.COUNTED for i in range(6))


def test_neutral_ratings_never_reach_the_cap() -> None:
    ratings = [
        made(f"n{i}", grade=Grade.NEUTRAL, item=f"N{i}", ordered_at=MAR.add(hours=i))
        for i in range(3)
    ]
    ratings += [made(f"g{i}", item=f"G{i}", ordered_at=MAR.add(hours=5 + i)) for i in range(6)]
    assert reasons(credit(ratings)).count(R.CAPPED) == 0


def test_the_cap_is_per_buyer() -> None:
    ratings = [made(f"a{i}", item=f"I{i}", ordered_at=MAR.add(hours=i)) for i in range(6)]
    ratings.append(made("other", buyer="b-2", item="I0", ordered_at=MAR.add(hours=7)))
    assert credit(ratings).score == 7


def test_the_month_is_the_shops_calendar_month_of_order_creation_exact_to_the_instant() -> None:
    end_of_march = pendulum.datetime(2026, 4, 1, tz=ZONE)  # 2026-03-31T16:00Z
    six = [made(f"m{i}", item=f"I{i}", ordered_at=MAR.add(days=i)) for i in range(6)]
    last = made("last", item="X", ordered_at=end_of_march - MICRO)
    first = made("first", item="Y", ordered_at=end_of_march)
    report = credit([*six, last, first])
    assert report.entry("last").reason is R.CAPPED  # still March in Shanghai
    assert report.entry("first").reason is R.COUNTED  # April in Shanghai, March in UTC
    assert report.score == 7


def test_the_month_follows_the_policy_zone() -> None:
    boundary = pendulum.datetime(2026, 4, 1, tz="UTC")  # April in UTC, April in Shanghai too
    six = [made(f"m{i}", item=f"I{i}", ordered_at=MAR.add(days=i)) for i in range(6)]
    late = made("late", item="X", ordered_at=boundary - _dt.timedelta(hours=1))  # 07:00 Apr 1 +8
    assert credit([*six, late]).entry("late").reason is R.COUNTED
    utc = CreditPolicy(zone="UTC")
    assert credit([*six, late], utc).entry("late").reason is R.CAPPED


def test_the_same_item_within_14_days_counts_once() -> None:
    first = made("first", ordered_at=MAR)
    in_window = made("in", ordered_at=MAR.add(days=14) - MICRO)
    report = credit([first, in_window])
    assert reasons(report) == [R.COUNTED, R.DUPLICATE_ITEM]
    assert report.score == 1


def test_the_same_item_on_the_14th_day_after_counts_again() -> None:
    report = credit([made("first", ordered_at=MAR), made("next", ordered_at=MAR.add(days=14))])
    assert reasons(report) == [R.COUNTED, R.COUNTED]
    assert report.score == 2


def test_the_duplicate_window_is_per_sign_and_per_item() -> None:
    ratings = [
        made("good", ordered_at=MAR),
        made("bad", grade=Grade.BAD, ordered_at=MAR.add(days=1)),
        made("bad2", grade=Grade.BAD, ordered_at=MAR.add(days=2)),
        made("other-item", item="I-2", ordered_at=MAR.add(days=3)),
    ]
    report = credit(ratings)
    assert reasons(report) == [R.COUNTED, R.COUNTED, R.DUPLICATE_ITEM, R.COUNTED]
    assert report.score == 1


def test_a_duplicate_does_not_use_the_monthly_cap() -> None:
    ratings = [made(f"d{i}", ordered_at=MAR.add(hours=i)) for i in range(3)]
    ratings += [made(f"g{i}", item=f"G{i}", ordered_at=MAR.add(hours=5 + i)) for i in range(5)]
    report = credit(ratings)
    assert report.score == 6
    assert R.CAPPED not in reasons(report)


def test_orders_of_one_yuan_do_not_count() -> None:
    report = credit(
        [
            made("one", amount="1.00", item="A"),
            made("cent", amount="0.01", item="B"),
            made("more", amount="1.01", item="C"),
        ]
    )
    assert {e.rating_id: e.reason for e in report.entries} == {
        "one": R.AMOUNT_TOO_SMALL,
        "cent": R.AMOUNT_TOO_SMALL,
        "more": R.COUNTED,
    }
    assert report.score == 1


def test_rules_switched_off() -> None:
    ratings = [made(f"r{i}", ordered_at=MAR.add(hours=i), amount="1.00") for i in range(8)]
    loose = CreditPolicy(monthly_pair_cap=None, duplicate_days=None, max_uncounted_amount=None)
    assert credit(ratings, loose).score == 8
    assert credit(ratings).score == 0


def test_default_ratings_count_like_good_ones() -> None:
    report = credit([made("d", by_default=True)])
    assert report.entries[0].reason is R.COUNTED
    assert report.score == 1


def test_credit_is_computed_as_of_now() -> None:
    rating = made("late", grade=Grade.BAD, rated_after=_dt.timedelta(days=2))
    rated_at = rating.rated_at
    assert rated_at is not None
    before = seller_credit([rating], POLICY, now=rated_at - MICRO)
    assert before.entries[0].reason is R.NOT_RATED
    assert before.score == 0
    assert seller_credit([rating], POLICY, now=rated_at).score == -1
    assert isinstance(rating.clock, FixedClock)
    rating.clock.set(rated_at.add(days=1))
    rating.revise(actor=BUYER)
    assert seller_credit([rating], POLICY, now=rated_at.add(days=1) - MICRO).score == -1
    assert seller_credit([rating], POLICY, now=rated_at.add(days=1)).score == 1


def test_pending_ratings_are_explained_not_counted() -> None:
    report = credit([made("p", grade=None)])
    assert report.entries[0].reason is R.NOT_RATED
    assert report.entries[0].grade is None


def test_the_order_of_the_input_does_not_matter() -> None:
    ratings = [made(f"r{i}", item=f"I{i % 3}", ordered_at=MAR.add(days=i)) for i in range(10)]
    assert credit(ratings) == credit(list(reversed(ratings)))


def test_bad_input_is_refused() -> None:
    one = made("a")
    with pytest.raises(AlreadyRated, match="two ratings"):
        credit([one, Rating(**{**_fields(made("b")), "order_id": one.order_id})])
    with pytest.raises(ValidationError, match="twice"):
        credit([one, one])
    with pytest.raises(ValidationError, match="one seller"):
        credit([one, made("c", seller="s-2")])
    with pytest.raises(ValidationError):
        credit(["a"])  # type: ignore[list-item]
    with pytest.raises(ValidationError):
        seller_credit([one], "policy", now=NOW)  # type: ignore[arg-type]
    with pytest.raises(NaiveDatetime):
        seller_credit([one], POLICY, now=_dt.datetime(2027, 1, 1))
    usd = CreditPolicy(max_uncounted_amount=Money("1.00", "USD"))
    with pytest.raises(ValidationError, match="USD"):
        credit([one], usd)


def _fields(rating: Rating) -> dict[str, Any]:
    out = {f.name: getattr(rating, f.name) for f in attrs.fields(Rating) if f.init}
    out["history"] = tuple(rating.history)
    return out


def test_an_empty_input_has_no_credit() -> None:
    report = credit([])
    assert (report.score, report.level, report.seller_id, report.entries) == (0, None, None, ())


@pytest.mark.parametrize(
    "change",
    [
        {"good_points": -1},
        {"bad_points": 1},
        {"good_points": True},
        {"good_points": 101},
        {"monthly_pair_cap": 0},
        {"duplicate_days": 367},
        {"max_uncounted_amount": Money("-1.00", "CNY")},
        {"max_uncounted_amount": "1.00"},
        {"zone": "Mars/Olympus"},
        {"levels": ()},
    ],
)
def test_policy_refuses_bad_rules(change: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        CreditPolicy(**change)  # type: ignore[arg-type]


def test_the_report_counts_reasons() -> None:
    report = credit([made("a", amount="1.00"), made("b", item="B")])
    assert report.by_reason() == {R.AMOUNT_TOO_SMALL: 1, R.COUNTED: 1}
    with pytest.raises(ValidationError):
        report.entry("zzz")


def test_six_good_then_three_bad_in_a_month_give_three() -> None:
    """The monthly cap counts good and bad points separately: the bad ones after six good ones
    are not capped, and the good ones do not use up the bad ones' limit."""
    good = [made(f"g{i}", item=f"G{i}", ordered_at=MAR.add(hours=i)) for i in range(6)]
    bad = [
        made(f"b{i}", grade=Grade.BAD, item=f"B{i}", ordered_at=MAR.add(hours=10 + i))
        for i in range(3)
    ]
    report = credit(good + bad)
    assert report.score == 3
    assert reasons(report) == [R.COUNTED] * 9


def test_the_duplicate_window_runs_from_the_first_rating_of_the_item() -> None:
    """Orders of one item on days 0, 10 and 20: the second is a duplicate and does not extend
    the window, so the third, 20 days after the first, counts again."""
    ratings = [made(f"d{day}", item="SAME", ordered_at=MAR.add(days=day)) for day in (0, 10, 20)]
    report = credit(ratings)
    assert reasons(report) == [R.COUNTED, R.DUPLICATE_ITEM, R.COUNTED]
    assert report.score == 2
