"""Satisfaction reports computed by the database: the figures of
:func:`~ecservice.satisfaction.satisfaction_report` and the segments of
:func:`~ecservice.satisfaction.rfm_analysis`, from SQL aggregates over the stored surveys' and
orders' facts, without loading the surveys or the orders."""

from __future__ import annotations

import datetime as _dt
from typing import Any, Final, final

import sqlalchemy as sa
from pendulum import DateTime

from ecservice._shown import shown
from ecservice.aftersales import DEFAULT_REPORT_DAYS, Rate, nearest_rank
from ecservice.clock import ensure_utc
from ecservice.clock import zone as _zone
from ecservice.errors import CurrencyMismatch, ValidationError
from ecservice.money import Money
from ecservice.satisfaction import (
    DEFAULT_RFM_POLICY,
    DEFAULT_SATISFIED_FROM,
    CsatScore,
    CustomerRfm,
    NpsScore,
    RfmPolicy,
    SatisfactionFigures,
    SatisfactionReport,
    SubjectKind,
    satisfaction_report,
)
from ecservice.satisfaction._rfm import score_totals
from ecservice.storage._errors import DocumentError
from ecservice.storage.sql._order_schema import ORDER_FACTS
from ecservice.storage.sql._report_reading import member, reading
from ecservice.storage.sql._service_schema import SURVEY_FACTS
from ecservice.storage.sql._store import SqlStore

__all__ = ["SqlSatisfactionReports"]

S = SURVEY_FACTS
O = ORDER_FACTS  # noqa: E741 - the order facts table, as S is the surveys'

#: The order close that makes an order a purchase (:func:`~ecservice.satisfaction.purchases_of`).
_PURCHASE: Final = "DONE"


@final
class SqlSatisfactionReports:
    """Satisfaction figures and RFM segments of what a :class:`SqlStore` holds, computed by the
    database (SQLite or PostgreSQL).

    :meth:`report` returns the :class:`~ecservice.satisfaction.SatisfactionReport` that
    :func:`~ecservice.satisfaction.satisfaction_report` computes from every stored survey,
    figure for figure, each survey read as it was last saved: the counts are SQL aggregates
    (``COUNT``, ``GROUP BY``) over the ``ecs_survey_facts`` rows the store writes with every
    survey, and the medians and 90th percentiles of the times to answer are taken from the
    durations the database selects.

    :meth:`rfm` returns what :func:`~ecservice.satisfaction.rfm_analysis` returns for
    ``purchases_of(orders)`` (:func:`~ecservice.satisfaction.purchases_of`) over every stored
    order: the orders closed as done, each a purchase of its buyer at its creation for its total
    less its cancelled goods. The database adds up each customer's last order, orders and
    amount (``GROUP BY`` over ``ecs_order_facts``); the scores, quantiles included, are then
    computed by the same code as in memory.

    All of a call's queries run in one read-only transaction (``REPEATABLE READ`` on
    PostgreSQL; a read transaction on SQLite), so the figures agree with each other.

    >>> import pendulum
    >>> from ecservice.storage.sql import SqlSatisfactionReports, SqlStore
    >>> store = SqlStore("sqlite://")
    >>> store.create_schema()
    >>> now = pendulum.datetime(2026, 12, 1, 9, tz="Asia/Shanghai")
    >>> reports = SqlSatisfactionReports(store)
    >>> reports.report(now=now, zone="Asia/Shanghai").overall.sent
    0
    >>> reports.rfm(now=now, zone="Asia/Shanghai")
    ()

    Args:
        store: the store whose database is read.

    Raises:
        ValidationError: ``store`` is not a :class:`SqlStore`.
    """

    def __init__(self, store: SqlStore) -> None:
        if not isinstance(store, SqlStore):
            raise ValidationError(f"SqlSatisfactionReports needs a SqlStore, not {shown(store)}")
        self.store = store

    def report(
        self,
        *,
        now: _dt.datetime,
        zone: str,
        days: int = DEFAULT_REPORT_DAYS,
        satisfied_from: int = DEFAULT_SATISFIED_FROM,
    ) -> SatisfactionReport:
        """The satisfaction figures of the surveys sent in the ``days`` whole local days before
        the day of ``now``, as :func:`~ecservice.satisfaction.satisfaction_report` defines
        them, over the committed surveys.

        Args:
            now: when the report is asked for; an aware datetime.
            zone: the shop's IANA time zone, in which days are counted.
            days: the window's length in whole local days, from 1 to 366 (30 by default).
            satisfied_from: the lowest CSAT score counted as satisfied, 1 to 5 (4 by default).

        Raises:
            NaiveDatetime: ``now`` has no time zone.
            InvalidScore: ``satisfied_from`` off the 1-5 scale.
            ValidationError: a bad ``zone`` or ``days``, or a window outside the calendar.
            DocumentError: a stored fact names a subject kind this version does not know.
            StorageUnavailable, TransientStorageError: the database failed.
        """
        # The in-memory report of nothing checks the arguments and gives the window.
        empty = satisfaction_report(
            [], now=now, zone=zone, days=days, satisfied_from=satisfied_from
        )
        with reading(self.store, "compute the satisfaction report") as connection:
            counted = _count_surveys(connection, empty.window_start, empty.window_end)
        by_kind = tuple(
            (kind, _figures([counted.get(kind, _Tally())], satisfied_from)) for kind in SubjectKind
        )
        return SatisfactionReport(
            now=empty.now,
            zone=empty.zone,
            days=empty.days,
            window_start=empty.window_start,
            window_end=empty.window_end,
            overall=_figures(list(counted.values()), satisfied_from),
            by_kind=by_kind,
        )

    def rfm(
        self,
        policy: RfmPolicy = DEFAULT_RFM_POLICY,
        *,
        now: _dt.datetime,
        zone: str,
    ) -> tuple[CustomerRfm, ...]:
        """Every customer of the stored orders scored on recency, frequency and monetary value
        as of ``now``, as :func:`~ecservice.satisfaction.rfm_analysis` scores
        ``purchases_of(orders)``; one :class:`~ecservice.satisfaction.CustomerRfm` per
        customer, by id.

        Args:
            policy: the bins and the segments;
                :data:`~ecservice.satisfaction.DEFAULT_RFM_POLICY` by default.
            now: the instant of the analysis; an aware datetime, not before the creation of a
                stored order closed as done.
            zone: the shop's IANA time zone, in which days are counted.

        Raises:
            NaiveDatetime: ``now`` has no time zone.
            CurrencyMismatch: purchases in more than one currency, or monetary thresholds in
                another currency than the purchases.
            ValidationError: a purchase created after ``now``, a zone
                :func:`~ecservice.clock.check_zone` refuses, or a policy that is not an
                :class:`~ecservice.satisfaction.RfmPolicy`.
            StorageUnavailable, TransientStorageError: the database failed.
        """
        if not isinstance(now, _dt.datetime):
            raise ValidationError(f"now must be a timezone-aware datetime, not {shown(now)}")
        at = ensure_utc(now, what="now")
        tz = _zone(zone)
        if not isinstance(policy, RfmPolicy):
            raise ValidationError(f"policy must be an RfmPolicy, not {shown(policy)}")
        done = O.c.closed_as == _PURCHASE
        with reading(self.store, "compute the RFM segments") as connection:
            currencies = sorted(
                connection.execute(sa.select(O.c.currency).where(done).distinct()).scalars()
            )
            if len(currencies) > 1:
                raise CurrencyMismatch(currencies[0], currencies[1], "add up")
            late = connection.execute(
                sa.select(O.c.order_id, O.c.created_at)
                .where(done, O.c.created_at > at)
                .order_by(O.c.created_at, O.c.order_id)
                .limit(1)
            ).first()
            if late is not None:
                raise ValidationError(
                    f"order {late.order_id!r} was placed at {late.created_at.isoformat()}, "
                    f"after the analysis's now ({at.isoformat()})"
                )
            rows = connection.execute(
                sa.select(
                    O.c.buyer_id,
                    sa.func.max(O.c.created_at),
                    sa.func.count(),
                    sa.func.sum(O.c.kept_minor),
                )
                .where(done)
                .group_by(O.c.buyer_id)
            ).all()
        if not rows:
            return ()
        currency = currencies[0]
        totals: dict[str, tuple[DateTime, int, Money]] = {
            buyer: (last, count, Money.from_minor(int(spent), currency))
            for buyer, last, count, spent in rows
        }
        return score_totals(totals, at=at, tz=tz, policy=policy)


class _Tally:
    """The counts of the surveys of one subject kind sent in the window (internal)."""

    __slots__ = ("answered", "csat", "expired", "nps", "sent", "times")

    def __init__(self) -> None:
        self.sent = 0
        self.answered = 0
        self.expired = 0
        self.csat = [0, 0, 0, 0, 0]
        self.nps = [0, 0, 0]  # promoters, passives, detractors
        self.times: list[_dt.timedelta] = []


def _count_surveys(
    connection: sa.Connection, start: DateTime, end: DateTime
) -> dict[SubjectKind, _Tally]:
    """The tallies of the surveys sent in ``[start, end)``, per subject kind."""
    window = sa.and_(S.c.sent_at >= start, S.c.sent_at < end)
    out: dict[SubjectKind, _Tally] = {}

    def tally(name: object) -> _Tally:
        kind: SubjectKind = member(SubjectKind, name, "the survey facts")
        return out.setdefault(kind, _Tally())

    for name, sent, answered, expired in connection.execute(
        sa.select(
            S.c.subject_kind,
            sa.func.count(),
            sa.func.count(S.c.answered_at),
            sa.func.count(sa.case((S.c.expired.is_(True), 1))),
        )
        .where(window)
        .group_by(S.c.subject_kind)
    ):
        found = tally(name)
        found.sent, found.answered, found.expired = sent, answered, expired
    answered_in = sa.and_(window, S.c.answered_at.is_not(None))
    for name, score, count in connection.execute(
        sa.select(S.c.subject_kind, S.c.csat, sa.func.count())
        .where(answered_in, S.c.csat.is_not(None))
        .group_by(S.c.subject_kind, S.c.csat)
    ):
        tally(name).csat[_scale(score, 1, 5) - 1] += count
    for name, score, count in connection.execute(
        sa.select(S.c.subject_kind, S.c.nps, sa.func.count())
        .where(answered_in, S.c.nps.is_not(None))
        .group_by(S.c.subject_kind, S.c.nps)
    ):
        value = _scale(score, 0, 10)
        tally(name).nps[0 if value >= 9 else 1 if value >= 7 else 2] += count
    for name, us in connection.execute(
        sa.select(S.c.subject_kind, S.c.answer_us).where(answered_in)
    ):
        tally(name).times.append(_dt.timedelta(microseconds=us))
    return out


def _scale(score: Any, low: int, high: int) -> int:
    if type(score) is not int or not low <= score <= high:
        raise DocumentError(
            "the survey facts", [f"a score of {score!r:.30} is off its scale {low}-{high}"]
        )
    return score


def _figures(tallies: list[_Tally], satisfied_from: int) -> SatisfactionFigures:
    """The figures of the surveys counted by ``tallies`` together."""
    sent = sum(t.sent for t in tallies)
    answered = sum(t.answered for t in tallies)
    csat = [sum(t.csat[i] for t in tallies) for i in range(5)]
    nps = [sum(t.nps[i] for t in tallies) for i in range(3)]
    times = [d for t in tallies for d in t.times]
    c1, c2, c3, c4, c5 = csat
    return SatisfactionFigures(
        sent=sent,
        answered=answered,
        expired=sum(t.expired for t in tallies),
        response_rate=Rate(answered, sent) if sent else None,
        csat=(
            CsatScore(counts=(c1, c2, c3, c4, c5), satisfied_from=satisfied_from)
            if sum(csat)
            else None
        ),
        nps=(NpsScore(promoters=nps[0], passives=nps[1], detractors=nps[2]) if sum(nps) else None),
        median_time_to_answer=nearest_rank(times, 50),
        p90_time_to_answer=nearest_rank(times, 90),
    )
