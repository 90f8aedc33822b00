"""The ratings area's static types, checked by ``mypy --strict tests/typing``."""

from __future__ import annotations

from decimal import Decimal
from typing import assert_type

import pendulum
from pendulum import DateTime

from ecservice.aftersales import Rate
from ecservice.clock import FixedClock
from ecservice.money import Money
from ecservice.ratings import (
    CreditLevel,
    CreditPolicy,
    CreditReport,
    DetailedRatingPolicy,
    DetailedRatingReport,
    DetailedScores,
    Dimension,
    GoodReviewRate,
    Grade,
    Rating,
    RatingStatus,
    ScoreAverage,
    credit_level,
    detailed_ratings,
    good_review_rate,
    seller_credit,
)
from ecservice.workflow import Actor, TransitionRecord


def test_ratings_types() -> None:
    delivered = pendulum.datetime(2026, 3, 5, 10, tz="Asia/Shanghai")
    rating = Rating(
        id="R-1",
        order_id="O-1",
        line_id="1",
        item_id="I-1",
        buyer_id="b-1",
        seller_id="s-1",
        amount=Money("10.00", "CNY"),
        ordered_at=delivered.subtract(days=2),
        delivered_at=delivered,
        clock=FixedClock(delivered),
    )
    scores = DetailedScores(described=5, service=4, logistics=5)
    record = rating.rate(grade=Grade.GOOD, text="ok", scores=scores, actor=Actor.buyer("b-1"))
    assert_type(record, TransitionRecord)
    assert_type(rating.status, RatingStatus)
    assert_type(rating.grade, Grade | None)
    assert_type(rating.rated_at, DateTime | None)
    assert_type(rating.rating_deadline, DateTime)
    assert_type(rating.due_at, DateTime | None)
    assert_type(rating.grade_at(delivered), Grade | None)
    assert_type(scores.score(Dimension.SERVICE), int)
    credit = seller_credit([rating], CreditPolicy(), now=delivered.add(days=1))
    assert_type(credit, CreditReport)
    assert_type(credit.score, int)
    assert_type(credit.level, CreditLevel | None)
    assert_type(credit_level(300), CreditLevel | None)
    rate = good_review_rate([rating], CreditPolicy(), now=delivered.add(days=2), days=30)
    assert_type(rate, GoodReviewRate)
    assert_type(rate.rate, Rate | None)
    dsr = detailed_ratings([rating], DetailedRatingPolicy(), now=delivered.add(days=2))
    assert_type(dsr, DetailedRatingReport)
    assert_type(dsr.average(Dimension.DESCRIBED), ScoreAverage)
    assert_type(dsr.described.value, Decimal | None)
