"""Rating reports computed by the database: seller credit, the good-review rate and the
detailed-rating averages of :mod:`ecservice.ratings`, from SQL over the stored ratings' facts,
without loading the ratings."""

from __future__ import annotations

import contextlib
import datetime as _dt
from collections.abc import Iterator
from typing import Any, Final, final

import sqlalchemy as sa
from pendulum import DateTime

from ecservice._shown import shown
from ecservice.aftersales import Rate, report_window
from ecservice.clock import ensure_utc
from ecservice.errors import ValidationError
from ecservice.ratings import (
    CreditPolicy,
    CreditReason,
    CreditSummary,
    DetailedRatingPolicy,
    DetailedReason,
    DetailedSummary,
    GoodReviewSummary,
    Grade,
    ScoreAverage,
)
from ecservice.ratings._credit import reason_pairs
from ecservice.storage._errors import DocumentError
from ecservice.storage.sql._engine import READ_ONLY_OPTION
from ecservice.storage.sql._rating_counting import OUTSIDE, Counts, credit_counts, ordering
from ecservice.storage.sql._rating_schema import RATING_FACTS, RATING_FACTS_ZONE
from ecservice.storage.sql._retry import translated
from ecservice.storage.sql._store import SqlStore
from ecservice.text import check_text

__all__ = ["RatingZoneUnsupported", "SqlRatingReports"]

F = RATING_FACTS

#: The grades by stored name.
_GRADES: Final = {g.name: g for g in Grade}


class RatingZoneUnsupported(ValidationError):
    """A rating report in SQL was asked under a policy whose zone is not the zone of the rating
    facts (:data:`~ecservice.storage.sql.RATING_FACTS_ZONE`, Asia/Shanghai): the facts record
    each order's local day and month in that zone only, because SQLite knows no time zones.
    Compute the report in memory (:func:`~ecservice.ratings.seller_credit`, ...) over the
    loaded ratings instead."""


RatingZoneUnsupported.__module__ = "ecservice.storage.sql"


def _check_zone(zone: str) -> None:
    if zone != RATING_FACTS_ZONE:
        raise RatingZoneUnsupported(
            f"the rating facts count days and months in {RATING_FACTS_ZONE}, the policy in "
            f"{zone}: give a policy of zone {RATING_FACTS_ZONE!r}, or compute the report "
            "in memory from the loaded ratings"
        )


@final
class SqlRatingReports:
    """Rating reports of the ratings stored in a :class:`SqlStore`, computed by the database
    (SQLite or PostgreSQL) from the ``ecs_rating_facts`` rows the store writes with every
    rating (:data:`~ecservice.storage.sql.RATING_FACTS`).

    Each method answers what its in-memory counterpart answers over every stored rating of the
    seller, without the per-rating entries: :meth:`credit` the
    :meth:`~ecservice.ratings.CreditReport.summary` of
    :func:`~ecservice.ratings.seller_credit`, :meth:`good_review_rate` the
    :meth:`~ecservice.ratings.GoodReviewRate.summary` of
    :func:`~ecservice.ratings.good_review_rate`, :meth:`detailed_ratings` the
    :meth:`~ecservice.ratings.DetailedRatingReport.summary` of
    :func:`~ecservice.ratings.detailed_ratings`, each rating read as it was last saved.
    The counting rules (the monthly cap, the duplicate window, the amount threshold, the pair
    limit of the detailed ratings) run as ``CASE`` expressions, window functions and
    aggregates. Only the months holding a buyer's ratings of one item within
    ``duplicate_days`` of each other (whose duplicates depend on which rating opened the
    window) are counted in Python, rating by rating, with the zone-exact window ends; under a
    policy whose neutral points differ in magnitude from the good or bad ones, so are the
    months where the cap was passed.

    The facts record each order's local day and month in
    :data:`~ecservice.storage.sql.RATING_FACTS_ZONE` (Asia/Shanghai): a policy of another zone
    is refused (:exc:`RatingZoneUnsupported`). All of a report's queries run in one read
    transaction (``REPEATABLE READ`` on PostgreSQL), so its figures agree with each other.

    >>> import pendulum
    >>> from ecservice.ratings import CreditPolicy
    >>> from ecservice.storage.sql import SqlRatingReports, SqlStore
    >>> store = SqlStore("sqlite://")
    >>> store.create_schema()
    >>> now = pendulum.datetime(2026, 12, 1, 9, tz="Asia/Shanghai")
    >>> SqlRatingReports(store).credit("s-1", CreditPolicy(), now=now).score
    0

    Args:
        store: the store whose database is read.

    Raises:
        ValidationError: ``store`` is not a :class:`SqlStore`.
    """

    def __init__(self, store: SqlStore) -> None:
        if not isinstance(store, SqlStore):
            raise ValidationError(f"SqlRatingReports needs a SqlStore, not {shown(store)}")
        self.store = store
        self._postgresql = store.engine.dialect.name == "postgresql"

    @contextlib.contextmanager
    def _reading(self, doing: str) -> Iterator[sa.Connection]:
        engine = self.store.engine
        with translated(doing):
            connection = (
                engine.connect().execution_options(isolation_level="REPEATABLE READ")
                if self._postgresql
                else engine.connect().execution_options(**{READ_ONLY_OPTION: True})
            )
            with connection, connection.begin():
                yield connection

    def credit(self, seller_id: str, policy: CreditPolicy, *, now: _dt.datetime) -> CreditSummary:
        """The seller's credit at ``now`` under ``policy``: the
        :meth:`~ecservice.ratings.CreditReport.summary` of
        :func:`~ecservice.ratings.seller_credit` over the seller's stored ratings (the rules
        are those of :class:`~ecservice.ratings.CreditPolicy`).

        Args:
            seller_id: the seller (short text).
            policy: the counting rules; its zone must be
                :data:`~ecservice.storage.sql.RATING_FACTS_ZONE`.
            now: the instant of the figure; an aware datetime.

        Raises:
            NaiveDatetime: ``now`` has no time zone.
            ValidationError: a bad ``seller_id`` or ``policy``, or a rating rated at ``now``
                in another currency than the policy's threshold.
            RatingZoneUnsupported: a policy of another zone.
            DocumentError: a stored fact names a grade this version does not know.
            StorageUnavailable, TransientStorageError: the database failed.
        """
        seller, at = self._credit_args(seller_id, policy, now)
        with self._reading("compute the seller credit") as connection:
            counts = credit_counts(connection, seller, policy, at, postgresql=self._postgresql)
        return _credit_summary(counts, policy, at)

    def good_review_rate(
        self, seller_id: str, policy: CreditPolicy, *, now: _dt.datetime, days: int = 180
    ) -> GoodReviewSummary:
        """The seller's good-review rate over the ``days`` whole local days before the day of
        ``now``: the :meth:`~ecservice.ratings.GoodReviewRate.summary` of
        :func:`~ecservice.ratings.good_review_rate` over the seller's stored ratings.

        Args:
            seller_id: the seller (short text).
            policy: the counting rules (and the zone of the days; it must be
                :data:`~ecservice.storage.sql.RATING_FACTS_ZONE`).
            now: the instant of the report; an aware datetime.
            days: the window's length, 1 to :data:`~ecservice.aftersales.MAX_REPORT_DAYS`
                (180 by default; see :data:`~ecservice.ratings.GOOD_RATE_WINDOWS`).

        Raises:
            NaiveDatetime: ``now`` has no time zone.
            ValidationError: a bad ``seller_id``, ``policy`` or ``days``, or a rating rated
                at ``now`` in another currency than the policy's threshold.
            RatingZoneUnsupported: a policy of another zone.
            DocumentError: a stored fact names a grade this version does not know.
            StorageUnavailable, TransientStorageError: the database failed.
        """
        seller, at = self._credit_args(seller_id, policy, now)
        _, _, start, end = report_window(at, policy.zone, days)
        with self._reading("compute the good-review rate") as connection:
            counts = credit_counts(
                connection,
                seller,
                policy,
                at,
                starts=(start,),
                end=end,
                postgresql=self._postgresql,
            )
        return _rate_summary(counts, days, start, end)

    def detailed_ratings(
        self, seller_id: str, policy: DetailedRatingPolicy, *, now: _dt.datetime
    ) -> DetailedSummary:
        """The seller's detailed-rating averages at ``now`` under ``policy``: the
        :meth:`~ecservice.ratings.DetailedRatingReport.summary` of
        :func:`~ecservice.ratings.detailed_ratings` over the seller's stored ratings.

        Args:
            seller_id: the seller (short text).
            policy: the window and the pair limit; its zone must be
                :data:`~ecservice.storage.sql.RATING_FACTS_ZONE`.
            now: the instant of the report; an aware datetime.

        Raises:
            NaiveDatetime: ``now`` has no time zone.
            ValidationError: a bad ``seller_id`` or ``policy``.
            RatingZoneUnsupported: a policy of another zone.
            StorageUnavailable, TransientStorageError: the database failed.
        """
        if not isinstance(policy, DetailedRatingPolicy):
            raise ValidationError(f"policy must be a DetailedRatingPolicy, not {shown(policy)}")
        seller = check_text(seller_id, "seller_id")
        at = ensure_utc(now, what="now")
        _check_zone(policy.zone)
        _, _, start, end = report_window(at, policy.zone, policy.days)
        with self._reading("compute the detailed ratings") as connection:
            rows = _detailed(connection, seller, policy, at, start, end, self._postgresql)
        counts: dict[DetailedReason, int] = {}
        sums = [0, 0, 0]
        counted = 0
        for reason, n, described, service, logistics in rows:
            kind = DetailedReason[reason]
            counts[kind] = counts.get(kind, 0) + n
            if kind is DetailedReason.COUNTED:
                counted += n
                sums[0] += int(described)
                sums[1] += int(service)
                sums[2] += int(logistics)
        return DetailedSummary(
            days=policy.days,
            start=start,
            end=end,
            described=ScoreAverage(sums[0], counted),
            service=ScoreAverage(sums[1], counted),
            logistics=ScoreAverage(sums[2], counted),
            reasons=reason_pairs(counts, DetailedReason),
        )

    def _credit_args(
        self, seller_id: str, policy: CreditPolicy, now: _dt.datetime
    ) -> tuple[str, DateTime]:
        if not isinstance(policy, CreditPolicy):
            raise ValidationError(f"policy must be a CreditPolicy, not {shown(policy)}")
        seller = check_text(seller_id, "seller_id")
        at = ensure_utc(now, what="now")
        _check_zone(policy.zone)
        return seller, at


def _grade(name: str) -> Grade:
    """The grade a facts row names.

    Raises:
        DocumentError: a name that is no :class:`~ecservice.ratings.Grade` of this version.
    """
    found = _GRADES.get(name)
    if found is None:
        raise DocumentError(
            "the rating facts", [f"{name!r:.60} is not a grade of this version (Grade)"]
        )
    return found


def _credit_summary(counts: Counts, policy: CreditPolicy, at: DateTime) -> CreditSummary:
    reasons: dict[CreditReason, int] = {}
    counted = dict.fromkeys(Grade, 0)
    score = 0
    for (grade, reason, _), (n, points) in counts.items():
        reasons[reason] = reasons.get(reason, 0) + n
        score += points
        if reason is CreditReason.COUNTED and grade is not None:
            counted[_grade(grade)] += n
    level = next((lv for lv in policy.levels if lv.contains(score)), None)
    return CreditSummary(
        at=at,
        score=score,
        level=level,
        good=counted[Grade.GOOD],
        neutral=counted[Grade.NEUTRAL],
        bad=counted[Grade.BAD],
        reasons=reason_pairs(reasons, CreditReason),
    )


def _rate_summary(counts: Counts, days: int, start: DateTime, end: DateTime) -> GoodReviewSummary:
    reasons: dict[CreditReason, int] = {}
    inside = dict.fromkeys(Grade, 0)
    for (grade, reason, klass), (n, _) in counts.items():
        if reason is CreditReason.COUNTED and klass == OUTSIDE:
            reason = CreditReason.OUTSIDE_WINDOW
        elif reason is CreditReason.COUNTED and grade is not None:
            inside[_grade(grade)] += n
        reasons[reason] = reasons.get(reason, 0) + n
    total = sum(inside.values())
    return GoodReviewSummary(
        days=days,
        start=start,
        end=end,
        good=inside[Grade.GOOD],
        neutral=inside[Grade.NEUTRAL],
        bad=inside[Grade.BAD],
        rate=Rate(inside[Grade.GOOD], total) if total else None,
        reasons=reason_pairs(reasons, CreditReason),
    )


def _detailed(
    connection: sa.Connection,
    seller_id: str,
    policy: DetailedRatingPolicy,
    now: DateTime,
    start: DateTime,
    end: DateTime,
    postgresql: bool,
) -> list[Any]:
    """``(reason, count, described, service, logistics)`` sums by reason."""
    rated = sa.and_(F.c.rated_at.is_not(None), F.c.rated_at <= now)
    plain = (
        sa.select(
            sa.case(
                (sa.not_(rated), DetailedReason.NOT_RATED.name),
                else_=DetailedReason.NO_SCORES.name,
            ).label("reason")
        )
        .where(F.c.seller_id == seller_id, sa.not_(sa.and_(rated, F.c.described.is_not(None))))
        .subquery("plain")
    )
    rows = list(
        connection.execute(
            sa.select(
                plain.c.reason, sa.func.count(), sa.literal(0), sa.literal(0), sa.literal(0)
            ).group_by(plain.c.reason)
        )
    )
    seen = sa.func.row_number().over(
        partition_by=[F.c.buyer_id, F.c.ordered_month], order_by=ordering(F.c, postgresql)
    )
    scored = (
        sa.select(F.c.rated_at, F.c.described, F.c.service, F.c.logistics, seen.label("seen"))
        .where(F.c.seller_id == seller_id, rated, F.c.described.is_not(None))
        .subquery("scored")
    )
    s = scored.c
    limit = policy.pair_monthly_limit
    whens: list[tuple[Any, str]] = [
        (sa.or_(s.rated_at < start, s.rated_at >= end), DetailedReason.OUTSIDE_WINDOW.name)
    ]
    if limit is not None:
        whens.append((s.seen > limit, DetailedReason.PAIR_LIMIT.name))
    reasoned = sa.select(
        sa.case(*whens, else_=DetailedReason.COUNTED.name).label("reason"),
        s.described,
        s.service,
        s.logistics,
    ).subquery("reasoned")
    r = reasoned.c
    rows += connection.execute(
        sa.select(
            r.reason,
            sa.func.count(),
            sa.func.sum(r.described),
            sa.func.sum(r.service),
            sa.func.sum(r.logistics),
        ).group_by(r.reason)
    )
    return rows
