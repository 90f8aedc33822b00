"""The customer-service figures of ``ecservice demo``: seller credit, good-review rate, detailed
ratings, CSAT and NPS, consultation conversion and response times, feedback.

Private to the demo (:mod:`ecservice._demo` runs it). :func:`service_reports_of` is the one
place the demo asks for the typed reports: counted by the database on SQLite and PostgreSQL
(:class:`~ecservice.storage.sql.SqlRatingReports`,
:class:`~ecservice.storage.sql.SqlSatisfactionReports`,
:class:`~ecservice.storage.sql.SqlConsultationReports`, from the facts the store writes with
every rating, survey and session), else by the in-memory report functions over the stored
aggregates (:func:`memory_service_reports`), which give the same values; feedback is counted in
memory on every store. :class:`ServiceFigures` holds the reports, with the counts the reports do
not give, for the summary and the charts.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable

import attrs

from ecservice._demo_aftersales import ZONE
from ecservice._demo_complaint_steps import CALENDAR
from ecservice._demo_service import SELLER
from ecservice.aftersales import MAX_REPORT_DAYS
from ecservice.consultation import ConsultationReport, ConsultationSession, consultation_report
from ecservice.feedback import FeedbackRecord, FeedbackReport, feedback_report
from ecservice.ratings import (
    CreditPolicy,
    CreditSummary,
    DetailedRatingPolicy,
    DetailedSummary,
    GoodReviewSummary,
    Rating,
    RatingStatus,
    detailed_ratings,
    good_review_rate,
    seller_credit,
)
from ecservice.satisfaction import SatisfactionReport, Survey, satisfaction_report
from ecservice.storage import MemoryStore, Store, UnitOfWork, run_in_transaction

__all__ = [
    "GOOD_RATE_DAYS",
    "RatingCounts",
    "ServiceFigures",
    "ServiceReports",
    "load_service",
    "memory_service_reports",
    "service_figures",
    "service_reports_of",
]

#: The good-review rate's window: Taobao's six months.
GOOD_RATE_DAYS = 180


@attrs.frozen(kw_only=True)
class ServiceReports:
    """The typed reports of the customer-service figures: the seller's credit, good-review rate
    and detailed ratings (summaries, as :class:`~ecservice.storage.sql.SqlRatingReports` and
    the reports' ``summary()`` give them), the satisfaction, consultation and feedback
    reports."""

    credit: CreditSummary
    good_rate: GoodReviewSummary
    detailed: DetailedSummary
    satisfaction: SatisfactionReport
    consultation: ConsultationReport
    feedback: FeedbackReport


@attrs.frozen(kw_only=True)
class RatingCounts:
    """What happened to the stored ratings: how many, rated by the buyer, rated good by
    default, still pending, revised, answered by the seller, followed up."""

    ratings: int
    by_buyer: int
    by_default: int
    pending: int
    revised: int
    explained: int
    followed_up: int


@attrs.frozen(kw_only=True)
class ServiceFigures:
    """The customer-service figures of a run (see :func:`service_figures`): the typed reports
    (``reports``) and the rating counts."""

    reports: ServiceReports
    ratings: RatingCounts


def load_service(
    store: Store, ids: dict[str, list[str]]
) -> tuple[list[Rating], list[Survey], list[ConsultationSession], list[FeedbackRecord]]:
    """The stored ratings, surveys, consultations and feedback records named by ``ids`` (per
    document type)."""

    def work(
        uow: UnitOfWork,
    ) -> tuple[list[Rating], list[Survey], list[ConsultationSession], list[FeedbackRecord]]:
        return (
            [uow.ratings.get(i) for i in ids.get("rating", [])],
            [uow.surveys.get(i) for i in ids.get("survey", [])],
            [uow.consultations.get(i) for i in ids.get("consultation", [])],
            [uow.feedback.get(i) for i in ids.get("feedback", [])],
        )

    return run_in_transaction(store, work)


def memory_service_reports(
    ratings: Iterable[Rating],
    surveys: Iterable[Survey],
    sessions: Iterable[ConsultationSession],
    records: Iterable[FeedbackRecord],
    *,
    now: _dt.datetime,
    days: int,
) -> ServiceReports:
    """The typed reports at ``now`` by the in-memory report functions: credit and the detailed
    ratings over every rating, the good-review rate over :data:`GOOD_RATE_DAYS`, and the
    satisfaction, consultation and feedback figures of the ``days`` local days before the day
    of ``now`` (at most :data:`~ecservice.aftersales.MAX_REPORT_DAYS`)."""
    every = list(ratings)
    policy = CreditPolicy()
    window = min(days, MAX_REPORT_DAYS)
    return ServiceReports(
        credit=seller_credit(every, policy, now=now).summary(),
        good_rate=good_review_rate(every, policy, now=now, days=GOOD_RATE_DAYS).summary(),
        detailed=detailed_ratings(every, DetailedRatingPolicy(), now=now).summary(),
        satisfaction=satisfaction_report(surveys, now=now, zone=ZONE, days=window),
        consultation=consultation_report(sessions, now=now, zone=ZONE, days=window),
        feedback=feedback_report(records, CALENDAR, now=now, zone=ZONE, days=window),
    )


def service_reports_of(
    store: Store,
    ratings: Iterable[Rating],
    surveys: Iterable[Survey],
    sessions: Iterable[ConsultationSession],
    records: Iterable[FeedbackRecord],
    *,
    now: _dt.datetime,
    days: int,
) -> ServiceReports:
    """The typed reports at ``now`` (see :func:`memory_service_reports`) of what ``store``
    holds (``ratings``, ``surveys``, ``sessions`` and ``records``: all of them, loaded): counted
    by the database on SQLite and PostgreSQL, by the in-memory functions otherwise."""
    if not isinstance(store, MemoryStore):  # SQLAlchemy is needed only then
        from ecservice.storage.sql import (
            SqlConsultationReports,
            SqlRatingReports,
            SqlSatisfactionReports,
            SqlStore,
        )

        if isinstance(store, SqlStore):
            window = min(days, MAX_REPORT_DAYS)
            policy = CreditPolicy()
            sql = SqlRatingReports(store)
            return ServiceReports(
                credit=sql.credit(SELLER, policy, now=now),
                good_rate=sql.good_review_rate(SELLER, policy, now=now, days=GOOD_RATE_DAYS),
                detailed=sql.detailed_ratings(SELLER, DetailedRatingPolicy(), now=now),
                satisfaction=SqlSatisfactionReports(store).report(now=now, zone=ZONE, days=window),
                consultation=SqlConsultationReports(store).report(now=now, zone=ZONE, days=window),
                feedback=feedback_report(records, CALENDAR, now=now, zone=ZONE, days=window),
            )
    return memory_service_reports(ratings, surveys, sessions, records, now=now, days=days)


def service_figures(
    store: Store, ids: dict[str, list[str]], *, now: _dt.datetime, days: int
) -> ServiceFigures:
    """The customer-service figures of the stored aggregates named by ``ids`` at ``now``. A
    database counts surveys and sessions itself, so only its ratings (for the counts) and
    feedback records are loaded."""
    wanted = (
        ids
        if isinstance(store, MemoryStore)
        else {kind: ids.get(kind, []) for kind in ("rating", "feedback")}
    )
    ratings, surveys, sessions, records = load_service(store, wanted)
    reports = service_reports_of(store, ratings, surveys, sessions, records, now=now, days=days)
    counts = RatingCounts(
        ratings=len(ratings),
        by_buyer=sum(r.rated_at is not None and not r.by_default for r in ratings),
        by_default=sum(r.by_default for r in ratings),
        pending=sum(r.status is RatingStatus.PENDING for r in ratings),
        revised=sum(r.revised_from is not None for r in ratings),
        explained=sum(r.explanation is not None for r in ratings),
        followed_up=sum(r.follow_up is not None for r in ratings),
    )
    return ServiceFigures(reports=reports, ratings=counts)
