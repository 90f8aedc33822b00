"""Complaint reports computed by the database: the figures of
:func:`~ecservice.complaints.complaint_report` from SQL aggregates over the stored complaints'
facts, without loading the complaints."""

from __future__ import annotations

import datetime as _dt
from typing import Any, Final, final

import sqlalchemy as sa
from pendulum import DateTime

from ecservice._shown import shown
from ecservice.aftersales import DEFAULT_REPORT_DAYS, ProblemKind
from ecservice.calendar import WorkingCalendar
from ecservice.complaints import (
    Complaint,
    ComplaintReport,
    SlaPolicy,
    SlaTargetKind,
)
from ecservice.errors import ValidationError
from ecservice.storage._complaint_facts import UNCONFIRMED, complaint_facts, sla_fingerprint
from ecservice.storage._complaint_repository import COMPLAINT_TYPE
from ecservice.storage._complaints import COMPLAINT_SERIALIZER
from ecservice.storage._errors import DocumentError
from ecservice.storage.sql._complaint_rows import write_complaint_facts
from ecservice.storage.sql._complaint_schema import COMPLAINT_CYCLES, COMPLAINT_FACTS
from ecservice.storage.sql._engine import READ_ONLY_OPTION
from ecservice.storage.sql._retry import translated
from ecservice.storage.sql._schema import AGGREGATES
from ecservice.storage.sql._store import SqlStore

__all__ = ["ComplaintFactsOutdated", "SqlComplaintReports"]

F = COMPLAINT_FACTS
C = COMPLAINT_CYCLES

#: How many complaints :meth:`SqlComplaintReports.refresh` rewrites per transaction.
REFRESH_BATCH: Final = 200


class ComplaintFactsOutdated(ValidationError):
    """The stored complaint facts cannot give the report asked for: some stored complaints have
    none (stored before migration ``0005``), or they were computed under another SLA policy or
    calendar (or none). :meth:`SqlComplaintReports.refresh` recomputes them."""


# Shown as ecservice.storage.sql.ComplaintFactsOutdated, where users import it from.
ComplaintFactsOutdated.__module__ = "ecservice.storage.sql"


@final
class SqlComplaintReports:
    """Complaint reports of the complaints stored in a :class:`SqlStore`, computed by the
    database (SQLite or PostgreSQL).

    :meth:`report` returns the :class:`~ecservice.complaints.ComplaintReport` that
    :func:`~ecservice.complaints.complaint_report` computes from every stored complaint under
    the same policy and calendar, figure for figure, each complaint read as it was last saved.
    The counts are SQL aggregates (``COUNT``, ``SUM``, ``GROUP BY``) over the
    ``ecs_complaint_facts`` and ``ecs_complaint_cycles`` rows the store writes with every
    complaint (:data:`~ecservice.storage.sql.COMPLAINT_FACTS`); the working times to the
    first reply and to the resolution were measured on the shop's calendar when the complaint
    was saved, and their medians and 90th percentiles are taken from the durations the database
    selects. A cycle that was still running, not paused, at the last save counts as breached
    when its due date is not after ``now`` (the instant a timer would record the breach); one
    paused at the last save is still open.

    The store writes the SLA facts under the policy and calendar of its ``"complaint"`` timer
    (:func:`~ecservice.storage.complaint_next_due`), with a digest of both; :meth:`report`
    refuses (:exc:`ComplaintFactsOutdated`) while a stored complaint has no facts, or facts
    under another policy or calendar: :meth:`refresh` recomputes them, for example after
    migration ``0005`` or a change of policy or calendar.

    All of a report's queries run in one read-only transaction (``REPEATABLE READ`` on
    PostgreSQL; a read transaction on SQLite), so the figures agree with each other.

    >>> import pendulum
    >>> from ecservice.calendar import ShopCalendar
    >>> from ecservice.complaints import SlaPolicy
    >>> from ecservice.storage.sql import SqlComplaintReports, SqlStore
    >>> store = SqlStore("sqlite://")
    >>> store.create_schema()
    >>> now = pendulum.datetime(2026, 12, 1, 9, tz="Asia/Shanghai")
    >>> report = SqlComplaintReports(store).report(
    ...     SlaPolicy.shop_default(), ShopCalendar(), now=now, zone="Asia/Shanghai")
    >>> report.complaints_opened, report.targets
    (0, ())

    Args:
        store: the store whose database is read.

    Raises:
        ValidationError: ``store`` is not a :class:`SqlStore`.
    """

    def __init__(self, store: SqlStore) -> None:
        if not isinstance(store, SqlStore):
            raise ValidationError(f"SqlComplaintReports needs a SqlStore, not {shown(store)}")
        self.store = store

    def report(
        self,
        policy: SlaPolicy,
        calendar: WorkingCalendar,
        *,
        now: _dt.datetime,
        zone: str,
        days: int = DEFAULT_REPORT_DAYS,
    ) -> ComplaintReport:
        """The complaint report of the ``days`` whole local days before the day of ``now``,
        as :func:`~ecservice.complaints.complaint_report` defines it, over the committed
        complaints, whose facts must have been written under ``policy`` and ``calendar``.

        Args:
            policy: the SLA policy the complaints run under.
            calendar: the shop's working calendar. The facts record a digest of both
                (every target and rule; a :class:`~ecservice.calendar.ShopCalendar`'s zone,
                hours, holidays and overrides), so facts written under another policy or
                calendar, even one of the same name, are refused. Of a calendar class that is
                not an attrs class only the class is compared.
            now: when the report is asked for; an aware datetime, not before the complaints'
                last saves.
            zone: the shop's IANA time zone, in which days are counted.
            days: the window's length in whole local days, from 1 to 366 (30 by default).

        Raises:
            NaiveDatetime: ``now`` has no time zone.
            ValidationError: a bad ``zone`` or ``days``, ``policy`` not an
                :class:`~ecservice.complaints.SlaPolicy` or ``calendar`` not a
                :class:`~ecservice.calendar.WorkingCalendar`.
            ComplaintFactsOutdated: a stored complaint has no facts, or facts under another
                policy or calendar (see :meth:`refresh`).
            DocumentError: a stored fact names a problem or target this code does not know.
            StorageUnavailable, TransientStorageError: the database failed.
        """
        if not isinstance(policy, SlaPolicy):
            raise ValidationError(f"policy must be an SlaPolicy, not {shown(policy)}")
        if not isinstance(calendar, WorkingCalendar):
            raise ValidationError(f"calendar must be a WorkingCalendar, not {shown(calendar)}")
        empty = ComplaintReport.from_counts(
            now=now,
            zone=zone,
            days=days,
            complaints_opened=0,
            problems={},
            unclassified=0,
            cycles={},
            first_replies=(),
            resolutions=(),
            reopened=0,
            closed_once=0,
            scores={},
        )
        store = self.store
        postgresql = store.engine.dialect.name == "postgresql"
        with translated("compute the complaint report"):
            connection = (
                store.engine.connect().execution_options(isolation_level="REPEATABLE READ")
                if postgresql
                else store.engine.connect().execution_options(**{READ_ONLY_OPTION: True})
            )
            with connection, connection.begin():
                _check_facts(connection, policy.name, sla_fingerprint(policy, calendar))
                counted = _count(connection, empty.now, empty.window_start, empty.window_end)
        return ComplaintReport.from_counts(now=now, zone=zone, days=days, **counted)

    def refresh(
        self,
        policy: SlaPolicy,
        calendar: WorkingCalendar,
        *,
        batch: int = REFRESH_BATCH,
    ) -> int:
        """Recompute the facts of every stored complaint under ``policy`` on ``calendar``;
        return how many complaints were rewritten.

        Each batch of complaints is one transaction that reads them and replaces their facts
        (their documents are not changed); a complaint saved meanwhile writes its own facts in
        its save. Build the store's complaint timer with the same policy and calendar, so that
        later saves write the same facts.

        Args:
            policy: the SLA policy the complaints run under.
            calendar: the shop's working calendar.
            batch: how many complaints per transaction (1 to 10,000).

        Raises:
            ValidationError: a bad ``policy``, ``calendar`` or ``batch``; a stored complaint's
                constructor refused its values.
            DocumentError: a stored complaint cannot be read.
            CalendarNotConfirmed: a complaint's SLA needs a day the calendar does not know.
            StorageUnavailable, TransientStorageError: the database failed.
        """
        if not isinstance(policy, SlaPolicy):
            raise ValidationError(f"policy must be an SlaPolicy, not {shown(policy)}")
        if not isinstance(calendar, WorkingCalendar):
            raise ValidationError(f"calendar must be a WorkingCalendar, not {shown(calendar)}")
        if type(batch) is not int or not 1 <= batch <= 10_000:
            raise ValidationError(f"batch must be an int from 1 to 10000, not {shown(batch)}")
        store = self.store
        done = 0
        after = ""
        while True:
            with translated("refresh the complaint facts"), store.engine.begin() as connection:
                rows = connection.execute(
                    sa.select(AGGREGATES.c.id, AGGREGATES.c.document)
                    .where(AGGREGATES.c.type == COMPLAINT_TYPE, AGGREGATES.c.id > after)
                    .order_by(AGGREGATES.c.id)
                    .limit(batch)
                ).all()
                for row in rows:
                    complaint: Complaint = COMPLAINT_SERIALIZER.load(
                        row.document, clock=store._clock
                    )
                    write_complaint_facts(connection, complaint_facts(complaint, policy, calendar))
            done += len(rows)
            if len(rows) < batch:
                return done
            after = rows[-1].id


def _check_facts(connection: sa.Connection, name: str, fingerprint: str) -> None:
    stored = connection.execute(
        sa.select(sa.func.count()).where(AGGREGATES.c.type == COMPLAINT_TYPE)
    ).scalar_one()
    with_facts = connection.execute(
        sa.select(sa.func.count()).select_from(
            F.join(
                AGGREGATES,
                sa.and_(AGGREGATES.c.type == COMPLAINT_TYPE, AGGREGATES.c.id == F.c.complaint_id),
            )
        )
    ).scalar_one()
    if with_facts < stored:
        raise ComplaintFactsOutdated(
            f"{stored - with_facts} of the {stored} stored complaints have no facts (stored "
            "before migration 0005): run SqlComplaintReports(store).refresh(policy, calendar)"
        )
    other = connection.execute(
        sa.select(F.c.policy, sa.func.count())
        .where(sa.or_(F.c.policy.is_(None), F.c.policy != fingerprint))
        .group_by(F.c.policy)
        .order_by(F.c.policy)
    ).all()
    if other:
        found = ", ".join(_described(written, count) for written, count in other)
        raise ComplaintFactsOutdated(
            f"the complaint facts must be written under the policy {name!r} and this "
            f"calendar, but {found}: build the store with timers={{..., 'complaint': "
            "complaint_next_due(policy, calendar)} and run "
            "SqlComplaintReports(store).refresh(policy, calendar)"
        )


def _described(written: str | None, count: int) -> str:
    if written is None:
        return f"{count} without an SLA policy"
    if written == UNCONFIRMED:
        return (
            f"{count} whose due dates needed a year the calendar has not confirmed when they "
            "were saved (add the year's holidays to the calendar first)"
        )
    policy, _, digest = written.partition("#")
    return f"{count} under {policy!r} (as its digest {digest} says)"


def _enum(kind: type[Any], name: object, what: str) -> Any:
    try:
        return kind[name]
    except (KeyError, TypeError):
        raise DocumentError(
            "the complaint facts",
            [f"{name!r:.60} is not a {what} of this version ({kind.__name__})"],
        ) from None


def _count(
    connection: sa.Connection, now: DateTime, start: DateTime, end: DateTime
) -> dict[str, Any]:
    """The report's figures for the complaints opened in ``[start, end)``, as of ``now``."""
    opened = sa.and_(F.c.opened_at >= start, F.c.opened_at < end)
    row = connection.execute(
        sa.select(
            sa.func.count(),
            sa.func.count(sa.case((F.c.problem.is_(None), 1))),
            sa.func.count(sa.case((F.c.reopened.is_(True), 1))),
            sa.func.count(sa.case((F.c.closed_once.is_(True), 1))),
        ).where(opened)
    ).one()
    problems = {
        _enum(ProblemKind, name, "problem"): count
        for name, count in connection.execute(
            sa.select(F.c.problem, sa.func.count())
            .where(opened, F.c.problem.is_not(None))
            .group_by(F.c.problem)
        )
    }
    breached = sa.or_(
        C.c.breached_at.is_not(None),
        sa.and_(C.c.ended.is_(None), C.c.paused_now.is_(False), C.c.due_at <= now),
    )
    met = sa.and_(C.c.breached_at.is_(None), C.c.ended == "MET")
    cycles: dict[SlaTargetKind, tuple[int, int]] = {}
    for name, met_count, breached_count in connection.execute(
        sa.select(
            C.c.kind,
            sa.func.count(sa.case((met, 1))),
            sa.func.count(sa.case((breached, 1))),
        )
        .select_from(C.join(F, F.c.complaint_id == C.c.complaint_id))
        .where(opened)
        .group_by(C.c.kind)
    ):
        cycles[_enum(SlaTargetKind, name, "SLA target")] = (met_count, breached_count)
    first_replies = connection.execute(
        sa.select(F.c.first_reply_us).where(
            opened, F.c.replied_at <= now, F.c.first_reply_us.is_not(None)
        )
    ).scalars()
    resolutions = connection.execute(
        sa.select(F.c.resolution_us).where(
            opened, F.c.resolved_at <= now, F.c.resolution_us.is_not(None)
        )
    ).scalars()
    scores: dict[int, int] = {}
    for score, count in connection.execute(
        sa.select(F.c.satisfaction, sa.func.count())
        .where(opened, F.c.satisfaction.is_not(None))
        .group_by(F.c.satisfaction)
    ):
        scores[score] = count
    return {
        "complaints_opened": row[0],
        "problems": problems,
        "unclassified": row[1],
        "cycles": cycles,
        "first_replies": [_dt.timedelta(microseconds=us) for us in first_replies],
        "resolutions": [_dt.timedelta(microseconds=us) for us in resolutions],
        "reopened": row[2],
        "closed_once": row[3],
        "scores": scores,
    }
