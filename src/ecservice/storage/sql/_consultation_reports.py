"""Consultation KPIs computed by the database: the figures of
:func:`~ecservice.consultation.consultation_report` from SQL aggregates over the stored
sessions' facts, without loading the sessions."""

from __future__ import annotations

import datetime as _dt
from typing import Final, final

import sqlalchemy as sa

from ecservice._shown import shown
from ecservice.aftersales import Rate, nearest_rank
from ecservice.calendar import WorkingCalendar
from ecservice.consultation import (
    DEFAULT_DAYS,
    ConsultationReport,
    ConsultationSession,
    ConsultationStatus,
    EnquiryConversion,
    EnquiryType,
    OpenRemark,
    ResponseBasis,
    ResponsePolicy,
    consultation_report,
)
from ecservice.consultation._report import type_order
from ecservice.errors import ValidationError
from ecservice.storage._consultation import CONSULTATION_SERIALIZER
from ecservice.storage._service_facts import (
    UNCONFIRMED_CALENDAR,
    calendar_fingerprint,
    consultation_fact_rows,
)
from ecservice.storage.sql._facts_rows import write_facts
from ecservice.storage.sql._report_reading import member, reading
from ecservice.storage.sql._retry import translated
from ecservice.storage.sql._schema import AGGREGATES
from ecservice.storage.sql._service_schema import (
    CONSULTATION_ENQUIRIES,
    CONSULTATION_FACTS,
    CONSULTATION_REMARKS,
    CONSULTATION_RESPONSES,
)
from ecservice.storage.sql._store import SqlStore

__all__ = ["ConsultationFactsOutdated", "SqlConsultationReports"]

F = CONSULTATION_FACTS
R = CONSULTATION_RESPONSES
E = CONSULTATION_ENQUIRIES
K = CONSULTATION_REMARKS

#: How many sessions :meth:`SqlConsultationReports.refresh` rewrites per transaction.
REFRESH_BATCH: Final = 200


class ConsultationFactsOutdated(ValidationError):
    """The stored consultation facts cannot give the business-time report asked for: some
    sessions of the window had their waits measured on another working calendar, or on none
    (a store without a
    :class:`~ecservice.storage.sql.ConsultationTimer`, or sessions stored before migration
    ``0008``), or when the calendar could not count their days.
    :meth:`SqlConsultationReports.refresh` measures them again."""


# Shown as ecservice.storage.sql.ConsultationFactsOutdated, where users import it from.
ConsultationFactsOutdated.__module__ = "ecservice.storage.sql"


@final
class SqlConsultationReports:
    """Consultation KPIs of the sessions stored in a :class:`SqlStore`, computed by the
    database (SQLite or PostgreSQL).

    :meth:`report` returns the :class:`~ecservice.consultation.ConsultationReport` that
    :func:`~ecservice.consultation.consultation_report` computes from every stored session
    under the same policy, figure for figure, each session read as it was last saved. The
    counts are SQL aggregates (``COUNT``, ``SUM``, ``GROUP BY``) over the rows the store writes
    with every session (:data:`~ecservice.storage.sql.CONSULTATION_FACTS` and the tables beside
    it): the session's state, enquiry types, order and open remarks, and each response with its
    wait. The medians and 90th percentiles of the first responses are taken from the waits the
    database selects; the average response is its ``SUM`` over its ``COUNT``.

    **Business time.** A wait in working time (a :class:`~ecservice.consultation.ResponsePolicy`
    of basis ``BUSINESS``) cannot be measured in SQL: the store measures it when it saves the
    session, on the calendar of its ``"consultation"`` timer
    (:class:`~ecservice.storage.sql.ConsultationTimer`), and records which calendar. A
    business-time report on another calendar, or over sessions measured on none, is refused
    (:exc:`ConsultationFactsOutdated`) rather than answered with other figures; :meth:`refresh`
    measures the stored sessions again. Waits in real time are always recorded.

    All of a report's queries run in one read-only transaction (``REPEATABLE READ`` on
    PostgreSQL; a read transaction on SQLite), so the figures agree with each other.

    >>> import pendulum
    >>> from ecservice.storage.sql import SqlConsultationReports, SqlStore
    >>> store = SqlStore("sqlite://")
    >>> store.create_schema()
    >>> now = pendulum.datetime(2026, 12, 1, 9, tz="Asia/Shanghai")
    >>> report = SqlConsultationReports(store).report(now=now, zone="Asia/Shanghai")
    >>> report.sessions, report.conversion
    (0, None)

    Args:
        store: the store whose database is read.

    Raises:
        ValidationError: ``store`` is not a :class:`SqlStore`.
    """

    def __init__(self, store: SqlStore) -> None:
        if not isinstance(store, SqlStore):
            raise ValidationError(f"SqlConsultationReports needs a SqlStore, not {shown(store)}")
        self.store = store

    def report(
        self,
        *,
        now: _dt.datetime,
        zone: str,
        policy: ResponsePolicy | None = None,
        calendar: WorkingCalendar | None = None,
        days: int = DEFAULT_DAYS,
    ) -> ConsultationReport:
        """The consultation KPIs of the ``days`` whole local days before the day of ``now``,
        as :func:`~ecservice.consultation.consultation_report` defines them, over the
        committed sessions.

        Args:
            now: when the report is asked for; an aware datetime.
            zone: the shop's IANA time zone, in which days are counted.
            policy: the response policy (:class:`~ecservice.consultation.ResponsePolicy`
                defaults when ``None``).
            calendar: the shop's working calendar, needed for business time; the waits of
                the window's sessions must have been measured on it (a digest of its zone,
                hours, holidays and overrides is compared).
            days: the window's length in whole local days, from 1 to 366 (30 by default).

        Raises:
            NaiveDatetime: ``now`` has no time zone.
            ValidationError: a bad ``zone`` or ``days``, a policy that is not a
                :class:`~ecservice.consultation.ResponsePolicy`, business time without a
                calendar.
            ConsultationFactsOutdated: business time, and a session of the window whose waits
                were not measured on ``calendar`` (see :meth:`refresh`).
            DocumentError: a stored fact names a state this version does not know.
            StorageUnavailable, TransientStorageError: the database failed.
        """
        # The in-memory report of nothing checks the arguments and gives the window.
        empty = consultation_report(
            [], now=now, zone=zone, policy=policy, calendar=calendar, days=days
        )
        rules = ResponsePolicy() if policy is None else policy
        business = rules.basis is ResponseBasis.BUSINESS
        start, end, at = empty.window_start, empty.window_end, empty.now
        opened = sa.and_(F.c.opened_at >= start, F.c.opened_at < end)
        with reading(self.store, "compute the consultation report") as connection:
            if business:
                assert isinstance(calendar, WorkingCalendar)
                _check_calendar(connection, opened, calendar_fingerprint(calendar))
            wait = R.c.business_us if business else R.c.wall_us
            counts = connection.execute(
                sa.select(
                    sa.func.count(),
                    sa.func.count(sa.case((F.c.enquired.is_(True), 1))),
                    sa.func.count(sa.case((F.c.ordered.is_(True), 1))),
                    sa.func.count(
                        sa.case((sa.and_(F.c.enquired.is_(True), F.c.ordered.is_(True)), 1))
                    ),
                    sa.func.count(sa.case((F.c.status == ConsultationStatus.TRANSFERRED.name, 1))),
                    sa.func.count(sa.case((F.c.status == ConsultationStatus.ENDED.name, 1))),
                ).where(opened)
            ).one()
            answered = sa.and_(opened, R.c.answered_at <= at)
            joined = R.join(F, F.c.session_id == R.c.session_id)
            firsts = [
                _dt.timedelta(microseconds=us)
                for us in connection.execute(
                    sa.select(wait).select_from(joined).where(answered, R.c.n == 0)
                ).scalars()
            ]
            responses, total = connection.execute(
                sa.select(sa.func.count(), sa.func.sum(wait)).select_from(joined).where(answered)
            ).one()
            by_type = connection.execute(
                sa.select(
                    E.c.code,
                    E.c.label_en,
                    E.c.label_zh,
                    sa.func.count(),
                    sa.func.count(sa.case((F.c.ordered.is_(True), 1))),
                )
                .select_from(E.join(F, F.c.session_id == E.c.session_id))
                .where(opened)
                .group_by(E.c.code, E.c.label_en, E.c.label_zh)
            ).all()
            remarks = connection.execute(
                sa.select(K.c.session_id, K.c.position, K.c.text, F.c.status).select_from(
                    K.join(F, F.c.session_id == K.c.session_id)
                )
            ).all()
        sessions, enquired, ordered, converted, transferred, ended = counts
        on_target = sum(1 for d in firsts if d <= rules.first_response_target)
        conversions = sorted(
            (
                EnquiryConversion(
                    type=EnquiryType(code=code, label_en=en, label_zh=zh),
                    sessions=asked,
                    ordered=bought,
                    conversion=Rate(bought, asked),
                )
                for code, en, zh, asked, bought in by_type
            ),
            key=lambda c: type_order(c.type),
        )
        return ConsultationReport(
            now=at,
            zone=empty.zone,
            days=empty.days,
            window_start=start,
            window_end=end,
            basis=rules.basis,
            sessions=sessions,
            responded=len(firsts),
            first_response_median=nearest_rank(firsts, 50),
            first_response_p90=nearest_rank(firsts, 90),
            first_response_average=(
                sum(firsts, _dt.timedelta(0)) / len(firsts) if firsts else None
            ),
            first_response_on_target=Rate(on_target, len(firsts)) if firsts else None,
            responses=responses,
            # timedelta / int divides the microseconds as integers (half to even), as in memory.
            average_response=(
                _dt.timedelta(microseconds=int(total)) / responses if responses else None
            ),
            enquired=enquired,
            ordered=ordered,
            converted=converted,
            conversion=Rate(converted, enquired) if enquired else None,
            transferred=transferred,
            ended_without_order=ended,
            by_enquiry_type=tuple(conversions),
            open_remarks=tuple(
                OpenRemark(
                    session_id=sid,
                    index=n,
                    text=text,
                    status=member(ConsultationStatus, status, "the consultation facts"),
                )
                for sid, n, text, status in sorted(remarks, key=lambda r: (r[0], r[1]))
            ),
        )

    def refresh(
        self, calendar: WorkingCalendar | None = None, *, batch: int = REFRESH_BATCH
    ) -> int:
        """Measure the waits of every stored session again, in real time and (with a
        ``calendar``) in working time on ``calendar``, and rewrite their facts; return how many
        sessions were rewritten.

        Each batch of sessions is one transaction that reads them and replaces their facts
        (their documents are not changed); a session saved meanwhile writes its own facts in
        its save. Build the store's ``"consultation"`` timer with the same calendar
        (:class:`~ecservice.storage.sql.ConsultationTimer`), so that later saves measure alike.
        A session whose days the calendar cannot count is rewritten without business waits,
        and a business-time report still refuses it.

        Args:
            calendar: the shop's working calendar, or ``None`` for real time only.
            batch: how many sessions per transaction (1 to 10,000).

        Raises:
            ValidationError: a bad ``calendar`` or ``batch``.
            DocumentError: a stored session cannot be read, or its constructor refused its
                values.
            StorageUnavailable, TransientStorageError: the database failed.
        """
        if calendar is not None and not isinstance(calendar, WorkingCalendar):
            raise ValidationError(
                f"calendar must be a WorkingCalendar or None, not {shown(calendar)}"
            )
        if type(batch) is not int or not 1 <= batch <= 10_000:
            raise ValidationError(f"batch must be an int from 1 to 10000, not {shown(batch)}")
        store = self.store
        kind = CONSULTATION_SERIALIZER.type_name
        done = 0
        after = ""
        while True:
            with (
                translated("refresh the consultation facts"),
                store.engine.begin() as connection,
            ):
                rows = connection.execute(
                    sa.select(AGGREGATES.c.id, AGGREGATES.c.document)
                    .where(AGGREGATES.c.type == kind, AGGREGATES.c.id > after)
                    .order_by(AGGREGATES.c.id)
                    .limit(batch)
                ).all()
                for row in rows:
                    session: ConsultationSession = CONSULTATION_SERIALIZER.load(
                        row.document, clock=store._clock
                    )
                    for facts in consultation_fact_rows(session, calendar):
                        write_facts(connection, facts)
            done += len(rows)
            if len(rows) < batch:
                return done
            after = rows[-1].id


def _check_calendar(
    connection: sa.Connection, opened: sa.ColumnElement[bool], fingerprint: str
) -> None:
    other = connection.execute(
        sa.select(F.c.calendar, sa.func.count())
        .where(opened, sa.or_(F.c.calendar.is_(None), F.c.calendar != fingerprint))
        .group_by(F.c.calendar)
        .order_by(F.c.calendar)
    ).all()
    if other:
        found = ", ".join(_described(written, count) for written, count in other)
        raise ConsultationFactsOutdated(
            f"a business-time report needs the waits of the window's sessions measured on "
            f"this calendar, but {found}: build the store with timers={{..., 'consultation': "
            "ConsultationTimer(calendar)} and run SqlConsultationReports(store).refresh(calendar)"
        )


def _described(written: str | None, count: int) -> str:
    sessions = "session" if count == 1 else "sessions"
    if written is None:
        return f"{count} {sessions} measured in real time only"
    if written == UNCONFIRMED_CALENDAR:
        return (
            f"{count} {sessions} whose days the calendar could not count when saved (add the "
            "year's holidays to the calendar first)"
        )
    name, _, digest = written.partition("#")
    return f"{count} {sessions} measured on another {name} (its digest is {digest})"
