"""The good-review rate (好评率) over a rolling window, from the ratings that earned credit."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable
from typing import final

import attrs
from pendulum import DateTime

from ecservice.aftersales import Rate, report_window
from ecservice.clock import ensure_utc
from ecservice.ratings._credit import (
    CreditEntry,
    CreditPolicy,
    CreditReason,
    check_ratings,
    reason_pairs,
    seller_credit,
)
from ecservice.ratings._rating import Rating
from ecservice.ratings._values import Grade

__all__ = ["GoodReviewRate", "GoodReviewSummary", "good_review_rate"]


@final
@attrs.frozen(slots=True, kw_only=True)
class GoodReviewSummary:
    """The good-review rate of a window without the entries: what a report in SQL
    (:class:`~ecservice.storage.sql.SqlRatingReports`) and :meth:`GoodReviewRate.summary` both
    give, so that the two can be compared.

    Args:
        days: the window's length in whole local days.
        start: its first instant, in UTC (included).
        end: the first instant of the day of the report, in UTC (excluded).
        good: the good ratings counted in it.
        neutral: the neutral ratings counted in it.
        bad: the bad ratings counted in it.
        rate: ``good`` out of all three, or ``None`` when none counted.
        reasons: how many ratings each reason explains (``OUTSIDE_WINDOW`` for a counted
            rating made outside the window), as ``(reason, count)`` pairs in the order of
            :class:`~ecservice.ratings.CreditReason`, reasons of no rating left out.
    """

    days: int
    start: DateTime
    end: DateTime
    good: int
    neutral: int
    bad: int
    rate: Rate | None
    reasons: tuple[tuple[CreditReason, int], ...]

    def by_reason(self) -> dict[CreditReason, int]:
        """How many ratings each reason explains (reasons of no rating left out)."""
        return dict(self.reasons)


@final
@attrs.frozen(slots=True, kw_only=True)
class GoodReviewRate:
    """The good-review rate of a window (:func:`good_review_rate`), with every rating explained.

    Args:
        days: the window's length in whole local days.
        start: its first instant, in UTC (included).
        end: the first instant of the day of the report, in UTC (excluded).
        good: the good ratings counted in it.
        neutral: the neutral ratings counted in it.
        bad: the bad ratings counted in it.
        rate: ``good`` out of all three, or ``None`` when none counted.
        entries: one per rating, as :func:`seller_credit` explains it, ``OUTSIDE_WINDOW`` for
            a counted rating made outside the window.
    """

    days: int
    start: DateTime
    end: DateTime
    good: int
    neutral: int
    bad: int
    rate: Rate | None
    entries: tuple[CreditEntry, ...]

    def summary(self) -> GoodReviewSummary:
        """The figures of the rate without the entries (:class:`GoodReviewSummary`)."""
        counts: dict[CreditReason, int] = {}
        for e in self.entries:
            counts[e.reason] = counts.get(e.reason, 0) + 1
        return GoodReviewSummary(
            days=self.days,
            start=self.start,
            end=self.end,
            good=self.good,
            neutral=self.neutral,
            bad=self.bad,
            rate=self.rate,
            reasons=reason_pairs(counts, CreditReason),
        )


def good_review_rate(
    ratings: Iterable[Rating],
    policy: CreditPolicy,
    *,
    now: _dt.datetime,
    days: int = 180,
) -> GoodReviewRate:
    """The seller's good-review rate (好评率) over the ``days`` whole days of ``policy.zone``
    before the day of ``now``: the counted good ratings out of all counted ratings (good,
    neutral and bad) rated in the window.

    Taobao's formula: "卖家好评率 = 所有计分的卖家收到的好评数 / 所有计分的卖家收到的评价
    总数" (neutral ratings that count lower the rate), as quoted by shop guides. A rating counts
    as :func:`seller_credit` decides at ``now`` (capped, duplicate and small-amount ratings do
    not), with its grade at ``now``; it is in the window by the instant it was rated. Taobao
    shows the rate over the last week, month and six months (:data:`GOOD_RATE_WINDOWS`).

    Args:
        ratings: one seller's ratings, each line once.
        policy: the counting rules (and the zone of the days).
        now: the instant of the report; an aware datetime.
        days: the window's length, 1 to :data:`~ecservice.aftersales.MAX_REPORT_DAYS`.

    Raises:
        ValidationError: what :func:`seller_credit` raises for, or a bad ``days``.
        AlreadyRated: two ratings of one order line.
        NaiveDatetime: ``now`` has no time zone.
    """
    at = ensure_utc(now, what="now")
    items = check_ratings(ratings)
    credit = seller_credit(items, policy, now=at)
    _, _, start, end = report_window(at, policy.zone, days)
    return _rate(credit.entries, {r.id: r.rated_at for r in items}, days, start, end)


def _rate(
    entries: tuple[CreditEntry, ...],
    rated_at: dict[str, DateTime | None],
    days: int,
    start: DateTime,
    end: DateTime,
) -> GoodReviewRate:
    out: list[CreditEntry] = []
    counts = {Grade.GOOD: 0, Grade.NEUTRAL: 0, Grade.BAD: 0}
    for e in entries:
        when = rated_at[e.rating_id]
        if e.reason is CreditReason.COUNTED:
            assert when is not None
            assert e.grade is not None
            if start <= when < end:
                counts[e.grade] += 1
            else:
                e = attrs.evolve(e, points=0, reason=CreditReason.OUTSIDE_WINDOW)
        out.append(e)
    total = sum(counts.values())
    return GoodReviewRate(
        days=days,
        start=start,
        end=end,
        good=counts[Grade.GOOD],
        neutral=counts[Grade.NEUTRAL],
        bad=counts[Grade.BAD],
        rate=Rate(counts[Grade.GOOD], total) if total else None,
        entries=tuple(out),
    )
