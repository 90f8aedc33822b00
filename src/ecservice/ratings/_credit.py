"""Seller credit (信用积分) computed from ratings under a published :class:`CreditPolicy`.

Credit is never stored: :func:`seller_credit` recomputes it from the ratings, the policy and an
instant, and explains each rating's part (:class:`CreditEntry`).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final, final

import attrs
from pendulum import DateTime

from ecservice._shown import shown
from ecservice.clock import DEFAULT_ZONE, UTC, check_zone, ensure_utc
from ecservice.clock import zone as _zone
from ecservice.errors import ValidationError
from ecservice.money import Money
from ecservice.ratings._errors import AlreadyRated
from ecservice.ratings._levels import TAOBAO_CREDIT_LEVELS, CreditLevel, check_levels
from ecservice.ratings._rating import Rating
from ecservice.ratings._values import Grade
from ecservice.workflow import LabelledState

__all__ = [
    "MAX_POINTS_PER_RATING",
    "CreditEntry",
    "CreditPolicy",
    "CreditReason",
    "CreditReport",
    "CreditSummary",
    "check_ratings",
    "seller_credit",
]

#: The largest number of points (either sign) a policy may give one rating.
MAX_POINTS_PER_RATING: Final = 100


class CreditReason(LabelledState):
    """Why a rating counted, or did not, in a credit figure."""

    COUNTED = ("counted", "Counted", "计分")
    NOT_RATED = ("not_rated", "Not rated at that instant", "尚未评价")
    AMOUNT_TOO_SMALL = ("amount_too_small", "Order amount too small", "订单金额过低不计分")
    DUPLICATE_ITEM = (
        "duplicate_item",
        "Same item within the duplicate window, counted once",
        "14天内同一商品只计一次",
    )
    CAPPED = ("capped", "Over the monthly limit of the buyer and seller", "超出每月计分上限")
    OUTSIDE_WINDOW = ("outside_window", "Outside the window", "不在统计期内")


def _points(what: str, sign: int) -> Callable[[Any, Any, Any], None]:
    def check(_: object, __: object, value: object) -> None:
        if type(value) is not int or abs(value) > MAX_POINTS_PER_RATING or value * sign < 0:
            kind = {1: "at least 0", 0: "any", -1: "at most 0"}[sign]
            raise ValidationError(
                f"a credit policy's {what} must be an int ({kind}, magnitude at most "
                f"{MAX_POINTS_PER_RATING}), not {shown(value)}"
            )

    return check


def _optional_count(what: str, high: int) -> Callable[[Any, Any, Any], None]:
    def check(_: object, __: object, value: object) -> None:
        if value is not None and (type(value) is not int or not 1 <= value <= high):
            raise ValidationError(
                f"a credit policy's {what} must be None (no such rule) or an int from 1 to "
                f"{high}, not {shown(value)}"
            )

    return check


def _threshold(_: object, __: object, value: object) -> None:
    if value is not None and (not isinstance(value, Money) or value.amount < 0):
        raise ValidationError(
            f"a credit policy's max_uncounted_amount must be None or a Money of at least 0, "
            f"not {shown(value)}"
        )


def _check_zone(_: object, __: object, value: str) -> None:
    check_zone(value)


def _levels(value: Iterable[CreditLevel]) -> tuple[CreditLevel, ...]:
    return check_levels(value)


@final
@attrs.frozen(slots=True, kw_only=True)
class CreditPolicy:
    """The published rules that turn ratings into credit points (信用评价计分规则), each a
    field, each switchable. The defaults are Taobao's (淘宝网评价规范; the text quoted by shop
    guides and in the Taobao open platform's ``UserCredit``: "好评加一分，中评不加分，差评扣
    一分"):

    * ``good_points`` +1, ``neutral_points`` 0, ``bad_points`` -1.
    * ``monthly_pair_cap`` 6: "每个自然月中，相同买家和卖家之间的评价计分不得超过6分（以支付宝
      系统显示的交易创建的时间计算）。超出计分规则范围的评价将不计分". Read as: within one
      calendar month of order creation in ``zone``, a buyer's good ratings of a seller earn at
      most +6 and their bad ratings at most -6, each limit counted separately (six good
      ratings then three bad ones give +6 - 3 = +3); a rating that would pass its limit earns
      nothing (``CAPPED``), whole. Neutral ratings earn 0 and never reach it.
    * ``duplicate_days`` 14: "若14天内（以支付宝系统显示的交易创建的时间计算）相同买卖家之间
      就同一商品进行评价，多个好评只计一分，多个差评只记-1分". The first good (or bad) rating
      of an item by a buyer opens a window of 14 calendar days in ``zone`` from its order's
      creation, to the second (the end excluded); later ones of the same sign whose orders were
      created in it are ``DUPLICATE_ITEM`` and do not extend it. The first one after it
      opens a new window: orders of one item on days 0, 10 and 20 count, are a duplicate, and
      count again. The rating that opens a window is the first that gets this far (counted,
      or capped by ``monthly_pair_cap``).
    * ``max_uncounted_amount`` 1.00 CNY: "低于1元和1元的订单不计分" (orders below 1 yuan **and
      of 1 yuan** earn nothing): a line paid 1.00 CNY does not count, 1.01 CNY does. Amounts
      in another currency raise: set a threshold in the shop's currency, or ``None``.
    * ``levels``: :data:`TAOBAO_CREDIT_LEVELS`.

    Months and days are those of ``zone`` (the shop's zone; Asia/Shanghai by default), exact to
    the instant: an order created at 23:59:59.999999 on the last day of a month belongs to that
    month, one created a microsecond later to the next.

    Args:
        good_points: the points of a good rating (at least 0).
        neutral_points: the points of a neutral rating.
        bad_points: the points of a bad rating (at most 0).
        monthly_pair_cap: the most points either way a buyer's ratings of a seller earn in a
            calendar month, good and bad points each counted against it separately, or
            ``None`` for no limit.
        duplicate_days: the window, in days from the order of the rating that opened it,
            within which a buyer's ratings of one item of one sign count once, or ``None`` for
            no such rule.
        max_uncounted_amount: lines paid this amount or less earn nothing, or ``None``.
        zone: the IANA zone in which months and days are counted.
        levels: the level table (:func:`check_levels`).

    Raises:
        ValidationError: a value of the wrong type or out of range, a zone
            :func:`~ecservice.clock.check_zone` refuses, or a level table that is not one.
    """

    good_points: int = attrs.field(default=1, validator=_points("good_points", 1))
    neutral_points: int = attrs.field(default=0, validator=_points("neutral_points", 0))
    bad_points: int = attrs.field(default=-1, validator=_points("bad_points", -1))
    monthly_pair_cap: int | None = attrs.field(
        default=6,
        validator=_optional_count("monthly_pair_cap", 10_000),
    )
    duplicate_days: int | None = attrs.field(
        default=14,
        validator=_optional_count("duplicate_days", 366),
    )
    max_uncounted_amount: Money | None = attrs.field(
        factory=lambda: Money("1.00", "CNY"), validator=_threshold
    )
    zone: str = attrs.field(default=DEFAULT_ZONE, validator=_check_zone)
    levels: tuple[CreditLevel, ...] = attrs.field(default=TAOBAO_CREDIT_LEVELS, converter=_levels)

    def points(self, grade: Grade) -> int:
        """The points of a rating of ``grade`` before the counting rules.

        Raises:
            ValidationError: ``grade`` is not a :class:`Grade`.
        """
        if grade is Grade.GOOD:
            return self.good_points
        if grade is Grade.NEUTRAL:
            return self.neutral_points
        if grade is Grade.BAD:
            return self.bad_points
        raise ValidationError(f"grade must be a Grade, not {shown(grade)}")


@final
@attrs.frozen(slots=True, kw_only=True)
class CreditEntry:
    """One rating's part in a credit figure.

    Args:
        rating_id: the rating.
        order_id: its order.
        line_id: its order line.
        grade: its grade at the instant of the figure (``None``: not rated then).
        points: the points it earned (0 unless counted).
        reason: why it counted or did not.
    """

    rating_id: str
    order_id: str
    line_id: str
    grade: Grade | None
    points: int
    reason: CreditReason


def _reasons(value: Iterable[tuple[Any, int]]) -> tuple[tuple[Any, int], ...]:
    return tuple(value)


@final
@attrs.frozen(slots=True, kw_only=True)
class CreditSummary:
    """A seller's credit at an instant without the entries: what a report in SQL
    (:class:`~ecservice.storage.sql.SqlRatingReports`) and :meth:`CreditReport.summary` both
    give, so that the two can be compared.

    Args:
        at: the instant, in UTC.
        score: the credit points.
        level: the level of ``score`` in the policy's table, or ``None`` below the first.
        good: how many good ratings counted.
        neutral: how many neutral ratings counted.
        bad: how many bad ratings counted.
        reasons: how many ratings each reason explains, as ``(reason, count)`` pairs in the
            order of :class:`CreditReason`, reasons of no rating left out.
    """

    at: DateTime
    score: int
    level: CreditLevel | None
    good: int
    neutral: int
    bad: int
    reasons: tuple[tuple[CreditReason, int], ...] = attrs.field(converter=_reasons)

    def count(self, grade: Grade) -> int:
        """How many ratings of ``grade`` counted.

        Raises:
            ValidationError: ``grade`` is not a :class:`Grade`.
        """
        if not isinstance(grade, Grade):
            raise ValidationError(f"grade must be a Grade, not {shown(grade)}")
        return {Grade.GOOD: self.good, Grade.NEUTRAL: self.neutral, Grade.BAD: self.bad}[grade]

    def by_reason(self) -> dict[CreditReason, int]:
        """How many ratings each reason explains (reasons of no rating left out)."""
        return dict(self.reasons)


def reason_pairs(counts: Mapping[Any, int], kind: type[Any]) -> tuple[tuple[Any, int], ...]:
    """``counts`` as ``(reason, count)`` pairs in the order of the enum ``kind``, zeros left out
    (internal: the shape of the summaries' ``reasons``)."""
    return tuple((reason, counts[reason]) for reason in kind if counts.get(reason))


@final
@attrs.frozen(slots=True, kw_only=True)
class CreditReport:
    """A seller's credit at an instant (:func:`seller_credit`), with every rating explained.

    Args:
        seller_id: the seller (``None`` when no rating was given).
        at: the instant, in UTC.
        score: the credit points: the sum of the entries' points.
        level: the level of ``score`` in the policy's table, or ``None`` below the first.
        entries: one per rating, in counting order (order creation, then rating instant, then
            id).
    """

    seller_id: str | None
    at: DateTime
    score: int
    level: CreditLevel | None
    entries: tuple[CreditEntry, ...]

    def count(self, grade: Grade) -> int:
        """How many ratings of ``grade`` counted."""
        return sum(1 for e in self.entries if e.reason is CreditReason.COUNTED and e.grade is grade)

    def entry(self, rating_id: str) -> CreditEntry:
        """The entry of the rating ``rating_id``.

        Raises:
            ValidationError: no such rating in the report.
        """
        for e in self.entries:
            if e.rating_id == rating_id:
                return e
        raise ValidationError(f"the credit report has no rating {rating_id!r}")

    def by_reason(self) -> dict[CreditReason, int]:
        """How many ratings each reason explains (reasons of no rating left out)."""
        out: dict[CreditReason, int] = {}
        for e in self.entries:
            out[e.reason] = out.get(e.reason, 0) + 1
        return out

    def summary(self) -> CreditSummary:
        """The figures of the report without the entries (:class:`CreditSummary`)."""
        return CreditSummary(
            at=self.at,
            score=self.score,
            level=self.level,
            good=self.count(Grade.GOOD),
            neutral=self.count(Grade.NEUTRAL),
            bad=self.count(Grade.BAD),
            reasons=reason_pairs(self.by_reason(), CreditReason),
        )


def check_ratings(ratings: Iterable[Rating]) -> list[Rating]:
    """``ratings`` as a list, sorted in counting order (order creation, rating instant, id),
    if they are one seller's ratings, each line rated once.

    Raises:
        ValidationError: not an iterable of :class:`Rating`, ratings of several sellers, or one
            rating (id) twice.
        AlreadyRated: two ratings of one order line.
    """
    if isinstance(ratings, (str, bytes, Mapping)) or not isinstance(ratings, Iterable):
        raise ValidationError(f"ratings must be an iterable of Rating, not {shown(ratings)}")
    out: list[Rating] = []
    ids: set[str] = set()
    lines: dict[tuple[str, str], str] = {}
    for r in ratings:
        if not isinstance(r, Rating):
            raise ValidationError(f"ratings must hold Rating values, not {shown(r)}")
        if out and r.seller_id != out[0].seller_id:
            raise ValidationError(
                f"ratings must be one seller's: {out[0].seller_id!r} and {r.seller_id!r} given"
            )
        if r.id in ids:
            raise ValidationError(f"ratings must name each rating once; {r.id!r} comes twice")
        ids.add(r.id)
        key = (r.order_id, r.line_id)
        if key in lines:
            raise AlreadyRated(
                f"order line {r.line_id!r} of order {r.order_id!r} has two ratings "
                f"({lines[key]!r} and {r.id!r}); a line is rated once"
            )
        lines[key] = r.id
        out.append(r)
    out.sort(key=lambda r: (r.ordered_at, r.rated_at is None, r.rated_at or r.ordered_at, r.id))
    return out


def _window_end(start: DateTime, days: int, zone: str) -> DateTime:
    local = start.in_timezone(_zone(zone))
    try:
        end = local.add(days=days)
    except (OverflowError, ValueError):  # past the year 9999: the window never ends
        return _LAST
    return ensure_utc(end, what="the end of the duplicate window")


_LAST: Final = DateTime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)


def _month(at: DateTime, zone: str) -> tuple[int, int]:
    local = at.in_timezone(_zone(zone))
    return local.year, local.month


def seller_credit(
    ratings: Iterable[Rating], policy: CreditPolicy, *, now: _dt.datetime
) -> CreditReport:
    """A seller's credit at ``now`` (信用积分): the points of their ratings under ``policy``,
    a pure function (nothing is stored; the same input gives the same answer).

    Each rating, in counting order (order creation, then rating instant, then id), gets one
    :class:`CreditEntry`:

    1. ``NOT_RATED``: the line was not rated at ``now`` (pending, lapsed, or rated later). A
       rating revised after ``now`` counts with its grade before.
    2. ``AMOUNT_TOO_SMALL``: the line was paid ``max_uncounted_amount`` or less.
    3. A neutral rating (0 points) is ``COUNTED``.
    4. ``DUPLICATE_ITEM``: its order was created within ``duplicate_days`` of the order of the
       rating that opened the window of the buyer's ratings of the same item and sign (the
       first one that got this far, counted or capped; the next one after the window opens a
       new one).
    5. ``CAPPED``: its points would take the buyer's points of that sign with the seller, in the
       calendar month of its order's creation, past ``monthly_pair_cap``.
    6. Otherwise ``COUNTED``, with the policy's points.

    Args:
        ratings: one seller's ratings (:class:`Rating`), any order, each line once.
        policy: the counting rules.
        now: the instant of the figure; an aware datetime.

    Raises:
        ValidationError: a policy that is not a :class:`CreditPolicy`, bad ratings (see
            :func:`check_ratings`), or an amount in a currency other than the threshold's.
        AlreadyRated: two ratings of one order line.
        NaiveDatetime: ``now`` has no time zone.
    """
    if not isinstance(policy, CreditPolicy):
        raise ValidationError(f"policy must be a CreditPolicy, not {shown(policy)}")
    at = ensure_utc(now, what="now")
    ordered = check_ratings(ratings)
    threshold = policy.max_uncounted_amount
    entries: list[CreditEntry] = []
    windows: dict[tuple[str, str, bool], DateTime] = {}
    used: dict[tuple[str, tuple[int, int], bool], int] = {}
    for r in ordered:
        grade = r.grade_at(at)
        reason = CreditReason.COUNTED
        points = 0
        if grade is None:
            reason = CreditReason.NOT_RATED
        elif threshold is not None and _small(r, threshold):
            reason = CreditReason.AMOUNT_TOO_SMALL
        else:
            points = policy.points(grade)
        if points:
            up = points > 0
            if policy.duplicate_days is not None:
                key = (r.buyer_id, r.item_id, up)
                end = windows.get(key)
                if end is not None and r.ordered_at < end:
                    reason, points = CreditReason.DUPLICATE_ITEM, 0
                else:
                    windows[key] = _window_end(r.ordered_at, policy.duplicate_days, policy.zone)
            if points and policy.monthly_pair_cap is not None:
                month_key = (r.buyer_id, _month(r.ordered_at, policy.zone), up)
                total = used.get(month_key, 0) + abs(points)
                if total > policy.monthly_pair_cap:
                    reason, points = CreditReason.CAPPED, 0
                else:
                    used[month_key] = total
        entries.append(
            CreditEntry(
                rating_id=r.id,
                order_id=r.order_id,
                line_id=r.line_id,
                grade=grade,
                points=points,
                reason=reason,
            )
        )
    score = sum(e.points for e in entries)
    level = None
    for lv in policy.levels:
        if lv.contains(score):
            level = lv
            break
    return CreditReport(
        seller_id=ordered[0].seller_id if ordered else None,
        at=at,
        score=score,
        level=level,
        entries=tuple(entries),
    )


def _small(rating: Rating, threshold: Money) -> bool:
    if rating.amount.currency != threshold.currency:
        raise ValidationError(
            f"rating {rating.id!r} was paid in {rating.amount.currency}, the policy's "
            f"max_uncounted_amount is in {threshold.currency}: give a threshold in the shop's "
            "currency, or None"
        )
    return rating.amount <= threshold
