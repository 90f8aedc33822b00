"""Detailed seller ratings (店铺动态评分, DSR): the averages of the three scores over a rolling
window, under a :class:`DetailedRatingPolicy`, with every rating explained."""

from __future__ import annotations

import datetime as _dt
import decimal
from collections.abc import Callable, Iterable
from typing import Any, Final, final

import attrs
from pendulum import DateTime

from ecservice._shown import shown
from ecservice.aftersales import MAX_REPORT_DAYS, report_window
from ecservice.clock import DEFAULT_ZONE, check_zone, ensure_utc, zone
from ecservice.errors import ValidationError
from ecservice.ratings._credit import check_ratings, reason_pairs
from ecservice.ratings._rating import Rating
from ecservice.ratings._values import DetailedScores, Dimension
from ecservice.workflow import LabelledState

__all__ = [
    "AVERAGE_PLACES",
    "DetailedEntry",
    "DetailedRatingPolicy",
    "DetailedRatingReport",
    "DetailedReason",
    "DetailedSummary",
    "ScoreAverage",
    "detailed_ratings",
]

#: The decimal places of :attr:`ScoreAverage.value` (rounded half to even). Shop pages show one
#: (``4.8``): ``value.quantize(Decimal("0.1"))``.
AVERAGE_PLACES: Final = 5
_QUANTUM: Final = decimal.Decimal(1).scaleb(-AVERAGE_PLACES)


class DetailedReason(LabelledState):
    """Why a rating's detailed scores counted, or did not, in the averages."""

    COUNTED = ("counted", "Counted", "计入")
    NOT_RATED = ("not_rated", "Not rated at that instant", "尚未评价")
    NO_SCORES = ("no_scores", "No detailed scores (default rating)", "无店铺评分（默认评价）")
    PAIR_LIMIT = (
        "pair_limit",
        "Over the monthly limit of the buyer and seller",
        "超出每月同一买卖家计分次数",
    )
    OUTSIDE_WINDOW = ("outside_window", "Outside the window", "不在统计期内")


def _check(what: str, low: int, high: int, optional: bool) -> Callable[[Any, Any, Any], None]:
    def check(_: object, __: object, value: object) -> None:
        if value is None and optional:
            return
        if type(value) is not int or not low <= value <= high:
            none = "None or " if optional else ""
            raise ValidationError(
                f"a detailed rating policy's {what} must be {none}an int from {low} to {high}, "
                f"not {shown(value)}"
            )

    return check


def _zone(_: object, __: object, value: str) -> None:
    check_zone(value)


@final
@attrs.frozen(slots=True, kw_only=True)
class DetailedRatingPolicy:
    """How the detailed seller ratings are averaged (店铺评分规则). Taobao's, by default:

    * ``days`` 180: "每项店铺评分取连续六个月内所有买家给予评分的算术平均值" (淘宝规则 art. 41,
      as quoted by shop guides): six months, taken here as 180 whole days of ``zone`` before
      the day of the report (the window of :func:`ecservice.aftersales.aftersales_report`).
    * ``pair_monthly_limit`` 3: "每个自然月，相同买、卖家之间交易，卖家店铺评分仅计取前三次"
      (the same article): of a buyer's ratings of the seller whose orders were created in one
      calendar month of ``zone``, the first three (in counting order: order creation, rating
      instant, id) count.
    * Default ratings carry no scores and never count ("动态评分只有买家主动评价 ... 才会累积").

    Args:
        days: the window's length in whole local days, 1 to
            :data:`~ecservice.aftersales.MAX_REPORT_DAYS`.
        pair_monthly_limit: how many ratings of a buyer count per calendar month, or ``None``
            for no limit.
        zone: the IANA zone of the days and months.

    Raises:
        ValidationError: a count out of range or of the wrong type, or a zone
            :func:`~ecservice.clock.check_zone` refuses.
    """

    days: int = attrs.field(default=180, validator=_check("days", 1, MAX_REPORT_DAYS, False))
    pair_monthly_limit: int | None = attrs.field(
        default=3, validator=_check("pair_monthly_limit", 1, 10_000, True)
    )
    zone: str = attrs.field(default=DEFAULT_ZONE, validator=_zone)


@final
@attrs.frozen(slots=True)
class ScoreAverage:
    """An exact average of scores: ``total`` stars over ``count`` ratings.

    Args:
        total: the sum of the scores counted.
        count: how many were counted.

    Raises:
        ValidationError: counts that are not ``int`` or that no scores of 1 to 5 can give.
    """

    total: int = attrs.field()
    count: int = attrs.field()

    @count.validator
    def _check_count(self, _: object, value: object) -> None:
        total = self.total
        if type(total) is not int or type(value) is not int or value < 0:
            raise ValidationError(
                f"an average needs an int total and an int count of at least 0, not "
                f"{shown(total)} and {shown(value)}"
            )
        if not value <= total <= 5 * value:
            raise ValidationError(f"{value} scores of 1 to 5 cannot total {total}")

    @property
    def value(self) -> decimal.Decimal | None:
        """``total / count`` rounded half to even to :data:`AVERAGE_PLACES` places, or ``None``
        when nothing was counted."""
        if not self.count:
            return None
        with decimal.localcontext(decimal.Context(prec=AVERAGE_PLACES + 30)):
            exact = decimal.Decimal(self.total) / decimal.Decimal(self.count)
            return exact.quantize(_QUANTUM, rounding=decimal.ROUND_HALF_EVEN)

    def __str__(self) -> str:
        if not self.count:
            return "no ratings"
        return f"{self.value} ({self.count} rating{'' if self.count == 1 else 's'})"


@final
@attrs.frozen(slots=True, kw_only=True)
class DetailedEntry:
    """One rating's part in the detailed-rating averages.

    Args:
        rating_id: the rating.
        order_id: its order.
        line_id: its order line.
        scores: its detailed scores, if any.
        reason: why they counted or did not.
    """

    rating_id: str
    order_id: str
    line_id: str
    scores: DetailedScores | None
    reason: DetailedReason


@final
@attrs.frozen(slots=True, kw_only=True)
class DetailedSummary:
    """The detailed seller ratings of a window without the entries: what a report in SQL
    (:class:`~ecservice.storage.sql.SqlRatingReports`) and
    :meth:`DetailedRatingReport.summary` both give, so that the two can be compared.

    Args:
        days: the window's length in whole local days.
        start: its first instant, in UTC (included).
        end: the first instant of the day of the report, in UTC (excluded).
        described: the average for item as described.
        service: the average for the seller's service attitude.
        logistics: the average for the logistics service.
        reasons: how many ratings each reason explains, as ``(reason, count)`` pairs in the
            order of :class:`DetailedReason`, reasons of no rating left out.
    """

    days: int
    start: DateTime
    end: DateTime
    described: ScoreAverage
    service: ScoreAverage
    logistics: ScoreAverage
    reasons: tuple[tuple[DetailedReason, int], ...]

    def by_reason(self) -> dict[DetailedReason, int]:
        """How many ratings each reason explains (reasons of no rating left out)."""
        return dict(self.reasons)


@final
@attrs.frozen(slots=True, kw_only=True)
class DetailedRatingReport:
    """The detailed seller ratings of a window (:func:`detailed_ratings`).

    Args:
        days: the window's length in whole local days.
        start: its first instant, in UTC (included).
        end: the first instant of the day of the report, in UTC (excluded).
        described: the average for item as described (宝贝与描述相符).
        service: the average for the seller's service attitude (卖家的服务态度).
        logistics: the average for the logistics service (物流服务的质量).
        entries: one per rating, in counting order.
    """

    days: int
    start: DateTime
    end: DateTime
    described: ScoreAverage
    service: ScoreAverage
    logistics: ScoreAverage
    entries: tuple[DetailedEntry, ...]

    def average(self, dimension: Dimension) -> ScoreAverage:
        """The average for ``dimension``.

        Raises:
            ValidationError: ``dimension`` is not a :class:`Dimension`.
        """
        if not isinstance(dimension, Dimension):
            raise ValidationError(f"dimension must be a Dimension, not {shown(dimension)}")
        return {
            Dimension.DESCRIBED: self.described,
            Dimension.SERVICE: self.service,
            Dimension.LOGISTICS: self.logistics,
        }[dimension]

    def summary(self) -> DetailedSummary:
        """The figures of the report without the entries (:class:`DetailedSummary`)."""
        counts: dict[DetailedReason, int] = {}
        for e in self.entries:
            counts[e.reason] = counts.get(e.reason, 0) + 1
        return DetailedSummary(
            days=self.days,
            start=self.start,
            end=self.end,
            described=self.described,
            service=self.service,
            logistics=self.logistics,
            reasons=reason_pairs(counts, DetailedReason),
        )


def detailed_ratings(
    ratings: Iterable[Rating], policy: DetailedRatingPolicy, *, now: _dt.datetime
) -> DetailedRatingReport:
    """The three detailed-rating averages (店铺动态评分) of a seller at ``now`` under
    ``policy``: a pure function of the ratings.

    Each rating, in counting order (order creation, rating instant, id), gets one
    :class:`DetailedEntry`: ``NOT_RATED`` if the line was not rated at ``now``; ``NO_SCORES``
    for a default rating; ``PAIR_LIMIT`` beyond the first ``pair_monthly_limit`` scored ratings
    of its buyer whose orders were created in the same calendar month (counted over all
    ratings, so that the window sliding never changes which ones are first); ``OUTSIDE_WINDOW``
    if it was rated outside the window (that reason first, when both apply); otherwise
    ``COUNTED``.

    Args:
        ratings: one seller's ratings (:class:`~ecservice.ratings.Rating`), each line once.
        policy: the window and the limit.
        now: the instant of the report; an aware datetime.

    Raises:
        ValidationError: a policy that is not a :class:`DetailedRatingPolicy`, or bad ratings
            (see :func:`~ecservice.ratings.check_ratings`).
        AlreadyRated: two ratings of one order line.
        NaiveDatetime: ``now`` has no time zone.
    """
    if not isinstance(policy, DetailedRatingPolicy):
        raise ValidationError(f"policy must be a DetailedRatingPolicy, not {shown(policy)}")
    at = ensure_utc(now, what="now")
    items = check_ratings(ratings)
    _, _, start, end = report_window(at, policy.zone, policy.days)
    tz = zone(policy.zone)
    used: dict[tuple[str, int, int], int] = {}
    entries: list[DetailedEntry] = []
    sums = dict.fromkeys(Dimension, 0)
    count = 0
    for r in items:
        rated = r.rated_at
        scores = r.scores
        if rated is None or rated > at:
            reason = DetailedReason.NOT_RATED
        elif scores is None:
            reason = DetailedReason.NO_SCORES
        else:
            local = r.ordered_at.in_timezone(tz)
            key = (r.buyer_id, local.year, local.month)
            seen = used.get(key, 0) + 1
            used[key] = seen
            limit = policy.pair_monthly_limit
            if not start <= rated < end:
                reason = DetailedReason.OUTSIDE_WINDOW
            elif limit is not None and seen > limit:
                reason = DetailedReason.PAIR_LIMIT
            else:
                reason = DetailedReason.COUNTED
                count += 1
                for d in Dimension:
                    sums[d] += scores.score(d)
        entries.append(
            DetailedEntry(
                rating_id=r.id,
                order_id=r.order_id,
                line_id=r.line_id,
                scores=scores if reason is not DetailedReason.NOT_RATED else None,
                reason=reason,
            )
        )
    return DetailedRatingReport(
        days=policy.days,
        start=start,
        end=end,
        described=ScoreAverage(sums[Dimension.DESCRIBED], count),
        service=ScoreAverage(sums[Dimension.SERVICE], count),
        logistics=ScoreAverage(sums[Dimension.LOGISTICS], count),
        entries=tuple(entries),
    )
