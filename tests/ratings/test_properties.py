"""Properties of the credit, good-rate and detailed-rating computations over random ratings."""

from __future__ import annotations

import datetime as _dt
import itertools
import random
from collections import defaultdict

import pendulum
from hypothesis import given, settings
from hypothesis import strategies as st

from ecservice.ratings import (
    CreditPolicy,
    CreditReason,
    DetailedRatingPolicy,
    DetailedReason,
    DetailedScores,
    Grade,
    Rating,
    detailed_ratings,
    good_review_rate,
    seller_credit,
)
from tests.ratings.rig import ZONE, made

START = pendulum.datetime(2026, 1, 25, tz=ZONE)
NOW = pendulum.datetime(2026, 6, 1, tz=ZONE)
POLICY = CreditPolicy()

one = st.tuples(
    st.sampled_from(["b-1", "b-2"]),
    st.sampled_from(["I-1", "I-2", "I-3"]),
    st.integers(0, 90 * 24),  # hours after START
    st.sampled_from([Grade.GOOD, Grade.GOOD, Grade.NEUTRAL, Grade.BAD, None]),
    st.sampled_from(["0.50", "1.00", "1.01", "10.00"]),
    st.booleans(),
    st.integers(1, 5),
)


def build(specs: list[tuple[str, str, int, Grade | None, str, bool, int]]) -> list[Rating]:
    return [
        made(
            f"r{i}",
            buyer=buyer,
            item=item,
            ordered_at=START.add(hours=hours),
            grade=grade,
            amount=amount,
            by_default=by_default and grade is not None,
            scores=DetailedScores(described=score, service=6 - score, logistics=score),
        )
        for i, (buyer, item, hours, grade, amount, by_default, score) in enumerate(specs)
    ]


ratings_st = st.lists(one, max_size=25).map(build)


@settings(max_examples=60, deadline=None)
@given(ratings_st, st.randoms(use_true_random=False))
def test_credit_is_a_pure_function_of_the_set_of_ratings(
    ratings: list[Rating], rnd: random.Random
) -> None:
    report = seller_credit(ratings, POLICY, now=NOW)
    shuffled = list(ratings)
    rnd.shuffle(shuffled)
    assert seller_credit(shuffled, POLICY, now=NOW) == report
    assert report.score == sum(e.points for e in report.entries)
    assert len(report.entries) == len(ratings)


@settings(max_examples=60, deadline=None)
@given(ratings_st)
def test_every_counting_rule_holds(ratings: list[Rating]) -> None:
    report = seller_credit(ratings, POLICY, now=NOW)
    by_id = {r.id: r for r in ratings}
    month_points: dict[tuple[str, int, int, bool], int] = defaultdict(int)
    counted: dict[tuple[str, str, bool], list[pendulum.DateTime]] = defaultdict(list)
    for e in report.entries:
        r = by_id[e.rating_id]
        if e.reason is not CreditReason.COUNTED:
            assert e.points == 0
            continue
        assert e.grade is not None
        assert e.points == POLICY.points(e.grade)
        assert r.amount.amount > 1
        if e.points:
            local = r.ordered_at.in_timezone(ZONE)
            month_points[(r.buyer_id, local.year, local.month, e.points > 0)] += abs(e.points)
            counted[(r.buyer_id, r.item_id, e.points > 0)].append(r.ordered_at)
    assert all(v <= 6 for v in month_points.values())
    for instants in counted.values():
        instants.sort()
        assert all(b - a >= _dt.timedelta(days=14) for a, b in itertools.pairwise(instants))


@settings(max_examples=40, deadline=None)
@given(ratings_st)
def test_good_rate_counts_what_credit_counted_in_the_window(ratings: list[Rating]) -> None:
    report = good_review_rate(ratings, POLICY, now=NOW, days=180)
    counted = [e for e in report.entries if e.reason is CreditReason.COUNTED]
    assert report.good + report.neutral + report.bad == len(counted)
    if report.rate is not None:
        assert report.rate.numerator == report.good


@settings(max_examples=40, deadline=None)
@given(ratings_st)
def test_detailed_averages_stay_in_range_and_respect_the_monthly_limit(
    ratings: list[Rating],
) -> None:
    report = detailed_ratings(ratings, DetailedRatingPolicy(), now=NOW)
    by_id = {r.id: r for r in ratings}
    per_month: dict[tuple[str, int, int], int] = defaultdict(int)
    for e in report.entries:
        if e.reason is DetailedReason.COUNTED:
            r = by_id[e.rating_id]
            local = r.ordered_at.in_timezone(ZONE)
            per_month[(r.buyer_id, local.year, local.month)] += 1
            assert e.scores is not None
    assert all(v <= 3 for v in per_month.values())
    for avg in (report.described, report.service, report.logistics):
        assert avg.count == sum(per_month.values())
        if avg.value is not None:
            assert 1 <= avg.value <= 5
