"""Good-review rates, detailed-rating averages and credit levels: windows, limits and
explanations at their boundaries."""

from __future__ import annotations

import datetime as _dt
from decimal import Decimal
from typing import Any

import pendulum
import pytest

from ecservice.aftersales import Rate
from ecservice.errors import ValidationError
from ecservice.ratings import (
    GOOD_RATE_WINDOWS,
    TAOBAO_CREDIT_LEVELS,
    CreditLevel,
    CreditPolicy,
    CreditReason,
    CreditTier,
    DetailedRatingPolicy,
    DetailedReason,
    DetailedScores,
    DetailedSummary,
    Dimension,
    GoodReviewSummary,
    Grade,
    Rating,
    ScoreAverage,
    check_levels,
    credit_level,
    detailed_ratings,
    good_review_rate,
    seller_credit,
)
from tests.ratings.rig import MICRO, ZONE, made

D = DetailedReason
TODAY = pendulum.datetime(2026, 6, 10, 9, tz=ZONE)
START_30 = pendulum.datetime(2026, 5, 11, tz=ZONE)
END = pendulum.datetime(2026, 6, 10, tz=ZONE)


def rated_at(instant: pendulum.DateTime, rid: str, **kw: Any) -> Rating:
    """A rating rated exactly at ``instant`` (ordered two days before)."""
    ordered = instant - _dt.timedelta(days=2)
    return made(rid, ordered_at=ordered, rated_after=_dt.timedelta(days=1), **kw)


def test_good_rate_counts_counted_ratings_rated_in_the_window() -> None:
    ratings = [
        rated_at(START_30 - MICRO, "before", item="A"),
        rated_at(START_30, "first", item="B"),
        rated_at(END - MICRO, "last", grade=Grade.NEUTRAL, item="C"),
        rated_at(END, "today", grade=Grade.BAD, item="D"),
        rated_at(START_30.add(days=3), "small", amount="1.00", item="E"),
    ]
    report = good_review_rate(ratings, CreditPolicy(), now=TODAY, days=30)
    assert (report.start, report.end) == (START_30, END)
    assert (report.good, report.neutral, report.bad) == (1, 1, 0)
    assert report.rate == Rate(1, 2)
    reasons = {e.rating_id: e.reason for e in report.entries}
    assert reasons == {
        "before": CreditReason.OUTSIDE_WINDOW,
        "first": CreditReason.COUNTED,
        "last": CreditReason.COUNTED,
        "today": CreditReason.OUTSIDE_WINDOW,
        "small": CreditReason.AMOUNT_TOO_SMALL,
    }


def test_good_rate_of_no_rating_is_none() -> None:
    report = good_review_rate([], CreditPolicy(), now=TODAY)
    assert report.rate is None
    assert report.days == 180
    assert GOOD_RATE_WINDOWS == (7, 30, 180)
    with pytest.raises(ValidationError):
        good_review_rate([], CreditPolicy(), now=TODAY, days=0)


def test_good_rate_reads_an_iterator_once() -> None:
    ratings = [rated_at(START_30.add(days=1), "a")]
    report = good_review_rate(iter(ratings), CreditPolicy(), now=TODAY, days=30)
    assert report.rate == Rate(1, 1)


def test_detailed_averages_over_the_window() -> None:
    ratings = [
        rated_at(
            START_30, "a", item="A", scores=DetailedScores(described=5, service=5, logistics=4)
        ),
        rated_at(
            START_30.add(days=1),
            "b",
            buyer="b-2",
            scores=DetailedScores(described=4, service=3, logistics=4),
        ),
        rated_at(START_30 - MICRO, "old", buyer="b-3"),
        made("default", by_default=True, buyer="b-4", ordered_at=START_30.add(days=1)),
    ]
    report = detailed_ratings(ratings, DetailedRatingPolicy(days=30), now=TODAY)
    assert report.described == ScoreAverage(9, 2)
    assert report.described.value == Decimal("4.50000")
    assert report.average(Dimension.SERVICE).value == Decimal("4.00000")
    assert report.logistics == ScoreAverage(8, 2)
    reasons = {e.rating_id: e.reason for e in report.entries}
    assert reasons == {
        "a": D.COUNTED,
        "b": D.COUNTED,
        "old": D.OUTSIDE_WINDOW,
        "default": D.NO_SCORES,
    }


def test_only_the_first_three_of_a_buyer_in_a_month_count() -> None:
    base = pendulum.datetime(2026, 5, 12, 10, tz=ZONE)
    ratings = [made(f"r{i}", item=f"I{i}", ordered_at=base.add(hours=i)) for i in range(4)]
    report = detailed_ratings(ratings, DetailedRatingPolicy(days=30), now=TODAY)
    assert [e.reason for e in report.entries] == [D.COUNTED] * 3 + [D.PAIR_LIMIT]
    assert report.described.count == 3
    unlimited = detailed_ratings(
        ratings, DetailedRatingPolicy(days=30, pair_monthly_limit=None), now=TODAY
    )
    assert unlimited.described.count == 4


def test_detailed_ratings_not_yet_rated_are_explained() -> None:
    rating = made("p", grade=None)
    report = detailed_ratings([rating], DetailedRatingPolicy(), now=TODAY)
    assert report.entries[0].reason is D.NOT_RATED
    assert report.described.value is None


@pytest.mark.parametrize(("total", "count"), [(1, 0), (11, 2), (-1, 0), (1, -1)])
def test_score_average_refuses_impossible_counts(total: int, count: int) -> None:
    with pytest.raises(ValidationError):
        ScoreAverage(total, count)


def test_detailed_policy_validation() -> None:
    bad: dict[str, Any]
    for bad in ({"days": 0}, {"days": 367}, {"pair_monthly_limit": 0}, {"zone": "nowhere"}):
        with pytest.raises(ValidationError):
            DetailedRatingPolicy(**bad)
    with pytest.raises(ValidationError):
        detailed_ratings([], CreditPolicy(), now=TODAY)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("points", "label"),
    [
        (3, None),
        (4, "一心"),
        (10, "一心"),
        (11, "二心"),
        (250, "五心"),
        (251, "一钻"),
        (10000, "五钻"),
        (10001, "一皇冠"),
        (500000, "五皇冠"),
        (500001, "一金冠"),
        (10000000, "四金冠"),
        (10000001, "五金冠"),
        (-5, None),
    ],
)
def test_credit_levels_at_their_boundaries(points: int, label: str | None) -> None:
    level = credit_level(points)
    assert (None if level is None else level.label_zh) == label


def test_the_level_table_has_twenty_contiguous_levels() -> None:
    assert len(TAOBAO_CREDIT_LEVELS) == 20
    assert check_levels(TAOBAO_CREDIT_LEVELS) == TAOBAO_CREDIT_LEVELS
    assert [lv.tier for lv in TAOBAO_CREDIT_LEVELS].count(CreditTier.GOLD_CROWN) == 5
    assert TAOBAO_CREDIT_LEVELS[7].label_en == "3 diamonds"


def test_a_custom_level_table_is_checked() -> None:
    one = CreditLevel(level=1, tier=CreditTier.HEART, symbols=1, min_points=1, max_points=9)
    two = CreditLevel(level=2, tier=CreditTier.HEART, symbols=2, min_points=10)
    assert credit_level(10, [one, two]) == two
    gap = CreditLevel(level=2, tier=CreditTier.HEART, symbols=2, min_points=11)
    for table in ([one, gap], [two], [one], [one, two, two], "x"):
        with pytest.raises(ValidationError):
            check_levels(table)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        credit_level(1.0)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        CreditLevel(level=0, tier=CreditTier.HEART, symbols=1, min_points=1)
    with pytest.raises(ValidationError):
        CreditLevel(level=1, tier=CreditTier.HEART, symbols=1, min_points=5, max_points=4)


def test_an_average_counts_its_ratings_in_words() -> None:
    assert str(ScoreAverage(5, 1)).endswith("(1 rating)")
    assert str(ScoreAverage(9, 2)).endswith("(2 ratings)")
    assert str(ScoreAverage(0, 0)) == "no ratings"


def test_summaries_keep_every_figure_without_the_entries() -> None:
    """A report's summary has its figures and the count of each reason, in the reasons'
    order, reasons of no rating left out."""
    ratings = [
        rated_at(START_30 - MICRO, "before", item="A"),
        rated_at(START_30, "first", item="B"),
        rated_at(END - MICRO, "last", grade=Grade.NEUTRAL, item="C"),
        rated_at(START_30.add(days=3), "small", amount="1.00", item="E"),
        made("pending", grade=None, ordered_at=START_30, item="F"),
    ]
    credit = seller_credit(ratings, CreditPolicy(), now=TODAY)
    summary = credit.summary()
    assert (summary.at, summary.score, summary.level) == (credit.at, credit.score, credit.level)
    assert (summary.good, summary.neutral, summary.bad) == (2, 1, 0)
    assert summary.count(Grade.NEUTRAL) == credit.count(Grade.NEUTRAL) == 1
    assert summary.reasons == (
        (CreditReason.COUNTED, 3),
        (CreditReason.NOT_RATED, 1),
        (CreditReason.AMOUNT_TOO_SMALL, 1),
    )
    assert summary.by_reason() == credit.by_reason()
    with pytest.raises(ValidationError, match="Grade"):
        summary.count("good")  # type: ignore[arg-type]
    rate = good_review_rate(ratings, CreditPolicy(), now=TODAY, days=30)
    assert rate.summary() == GoodReviewSummary(
        days=30,
        start=START_30,
        end=END,
        good=1,
        neutral=1,
        bad=0,
        rate=Rate(1, 2),
        reasons=(
            (CreditReason.COUNTED, 2),
            (CreditReason.NOT_RATED, 1),
            (CreditReason.AMOUNT_TOO_SMALL, 1),
            (CreditReason.OUTSIDE_WINDOW, 1),
        ),
    )
    detailed = detailed_ratings(ratings, DetailedRatingPolicy(days=30), now=TODAY)
    brief = detailed.summary()
    assert (brief.described, brief.service, brief.logistics) == (
        detailed.described,
        detailed.service,
        detailed.logistics,
    )
    assert brief.by_reason() == {D.COUNTED: 3, D.NOT_RATED: 1, D.OUTSIDE_WINDOW: 1}
    assert isinstance(brief, DetailedSummary)
