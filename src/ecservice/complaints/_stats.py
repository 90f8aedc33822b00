"""Complaint statistics over a window of the shop's days: by category, SLA attainment per target,
times to first reply and to resolution in business time, reopenings and satisfaction."""

from __future__ import annotations

import datetime as _dt
import decimal
from collections.abc import Iterable, Mapping
from typing import Final, final

import attrs
from pendulum import DateTime

from ecservice._shown import shown
from ecservice.aftersales import (
    ProblemCategory,
    ProblemKind,
    Rate,
    nearest_rank,
    report_window,
)
from ecservice.calendar import WorkingCalendar
from ecservice.clock import check_zone
from ecservice.complaints._complaint import Complaint
from ecservice.complaints._sla_clock import CycleEnd, SlaCycle
from ecservice.complaints._sla_policy import SlaPolicy
from ecservice.complaints._sla_rules import SlaTargetKind
from ecservice.errors import ValidationError

__all__ = ["ComplaintReport", "TargetAttainment", "complaint_report"]

#: The report's default window: the 30 days before today (近30天), as the after-sales report.
DEFAULT_DAYS: Final = 30


@final
@attrs.frozen(kw_only=True)
class TargetAttainment:
    """How one SLA target fared over the complaints opened in the window.

    Args:
        kind: the target.
        cycles: the cycles of that target that are decided by the report's instant: met in
            time, or breached (a cycle still running before its due date, or no longer owed in
            time, is not counted).
        met: of them, met by their due date.
        breached: of them, not met by their due date (the cycle's ``breached_at`` set).
        attainment: ``met`` over ``cycles`` (SLA 达成率), ``None`` without cycles.
        breach_rate: ``breached`` over ``cycles``, ``None`` without cycles.
    """

    kind: SlaTargetKind
    cycles: int
    met: int
    breached: int
    attainment: Rate | None
    breach_rate: Rate | None


def _check_zone(_: object, __: object, value: str) -> None:
    check_zone(value)


@final
@attrs.frozen(kw_only=True)
class ComplaintReport:
    """Complaint figures over one window (:func:`complaint_report` builds it).

    Args:
        now: the instant the report was asked for, in UTC.
        zone: the shop's IANA time zone, in which the days are counted.
        days: the window's length in local calendar days.
        window_start: the window's first instant, in UTC (the start of a local day).
        window_end: the window's end, exclusive, in UTC (the start of the local day of ``now``).
        complaints_opened: the complaints opened in the window.
        by_category: ``(category, complaints)`` of those whose problem is known, in the order
            of :class:`~ecservice.aftersales.ProblemCategory`, none left out.
        by_problem: ``(problem, complaints)``, in the order of
            :class:`~ecservice.aftersales.ProblemKind`, problems with none left out.
        unclassified: complaints opened in the window whose problem is not recorded yet.
        targets: the SLA attainment per target kind, in the order of
            :class:`~ecservice.complaints.SlaTargetKind`, kinds with no cycle left out.
        replied: complaints opened in the window that got a first reply by ``now``.
        first_reply_median: the median working time from opening to the first reply
            (nearest rank), or ``None`` without replies.
        first_reply_p90: its 90th percentile (nearest rank), or ``None``.
        resolved: complaints opened in the window whose resolution clock was met by ``now``
            (the solution carried out).
        resolution_median: the median working time from opening to resolution, paused time
            included (the SLA clock stands still, the calendar does not), or ``None``.
        resolution_p90: its 90th percentile, or ``None``.
        reopened: complaints opened in the window that were reopened at least once.
        reopen_rate: ``reopened`` over the complaints closed at least once, ``None`` when none
            was.
        visits: follow-up visits that reached the customer (with a score).
        satisfaction_average: their mean score (1-5), exact, ``None`` without visits.
        satisfied_rate: scores of 4 or 5 over ``visits`` (满意率), ``None`` without visits.

    Raises:
        ValidationError: a figure of the wrong type, or a ``zone``
            :func:`~ecservice.clock.check_zone` refuses.
    """

    now: DateTime
    zone: str = attrs.field(validator=_check_zone)
    days: int
    window_start: DateTime
    window_end: DateTime
    complaints_opened: int
    by_category: tuple[tuple[ProblemCategory, int], ...]
    by_problem: tuple[tuple[ProblemKind, int], ...]
    unclassified: int
    targets: tuple[TargetAttainment, ...]
    replied: int
    first_reply_median: _dt.timedelta | None
    first_reply_p90: _dt.timedelta | None
    resolved: int
    resolution_median: _dt.timedelta | None
    resolution_p90: _dt.timedelta | None
    reopened: int
    reopen_rate: Rate | None
    visits: int
    satisfaction_average: decimal.Decimal | None
    satisfied_rate: Rate | None

    def target(self, kind: SlaTargetKind) -> TargetAttainment | None:
        """The attainment of ``kind``, or ``None`` when no cycle of it was decided."""
        for found in self.targets:
            if found.kind is kind:
                return found
        return None

    @classmethod
    def from_counts(
        cls,
        *,
        now: _dt.datetime,
        zone: str,
        days: int,
        complaints_opened: int,
        problems: Mapping[ProblemKind, int],
        unclassified: int,
        cycles: Mapping[SlaTargetKind, tuple[int, int]],
        first_replies: Iterable[_dt.timedelta],
        resolutions: Iterable[_dt.timedelta],
        reopened: int,
        closed_once: int,
        scores: Mapping[int, int],
    ) -> ComplaintReport:
        """The report of figures counted elsewhere (in memory by :func:`complaint_report`, by
        SQL in :class:`~ecservice.storage.sql.SqlComplaintReports`), over the window of the
        ``days`` whole local days before the day of ``now`` in ``zone``.

        Args:
            now: when the report is asked for; an aware datetime.
            zone: the shop's IANA time zone.
            days: the window's length in whole local days, from 1 to
                :data:`~ecservice.aftersales.MAX_REPORT_DAYS`.
            complaints_opened: the complaints opened in the window.
            problems: complaints per recorded problem (problems with none may be left out).
            unclassified: complaints whose problem is not recorded.
            cycles: per target kind, ``(met, breached)`` cycles decided by ``now``.
            first_replies: the working times from opening to first reply.
            resolutions: the working times from opening to resolution.
            reopened: complaints reopened at least once.
            closed_once: complaints closed at least once (reopened ones included).
            scores: follow-up visits per satisfaction score (1-5).

        Raises:
            NaiveDatetime: ``now`` has no time zone.
            ValidationError: a zone :func:`~ecservice.clock.check_zone` refuses, ``days`` out of
                range, a negative count or duration, a count that exceeds what it is part of, a
                score out of 1-5.
        """
        at, name, start, end = report_window(now, zone, days)
        for what, count in (
            ("complaints_opened", complaints_opened),
            ("unclassified", unclassified),
            ("reopened", reopened),
            ("closed_once", closed_once),
        ):
            _check_count(what, count)
        by_problem: dict[ProblemKind, int] = {}
        for problem, count in dict(problems).items():
            if not isinstance(problem, ProblemKind):
                raise ValidationError(f"problems are keyed by ProblemKind, not {shown(problem)}")
            _check_count(f"the count of {problem.name}", count)
            if count:
                by_problem[problem] = count
        if sum(by_problem.values()) + unclassified != complaints_opened:
            raise ValidationError(
                "the complaints per problem and the unclassified ones must add up to the "
                f"complaints opened ({complaints_opened})"
            )
        if reopened > closed_once or closed_once > complaints_opened:
            raise ValidationError(
                "reopened <= closed_once <= complaints_opened must hold, not "
                f"{reopened}, {closed_once}, {complaints_opened}"
            )
        categories: dict[ProblemCategory, int] = {}
        for problem, count in by_problem.items():
            categories[problem.category] = categories.get(problem.category, 0) + count
        targets = []
        for kind in SlaTargetKind:
            if kind not in cycles:
                continue
            met, breached = cycles[kind]
            _check_count(f"met {kind.value} cycles", met)
            _check_count(f"breached {kind.value} cycles", breached)
            if met + breached:
                targets.append(
                    TargetAttainment(
                        kind=kind,
                        cycles=met + breached,
                        met=met,
                        breached=breached,
                        attainment=_rate(met, met + breached),
                        breach_rate=_rate(breached, met + breached),
                    )
                )
        to_reply = _durations(first_replies, "first_replies")
        to_resolve = _durations(resolutions, "resolutions")
        visits = satisfied = total = 0
        for score, count in dict(scores).items():
            if type(score) is not int or not 1 <= score <= 5:
                raise ValidationError(
                    f"a satisfaction score is an int from 1 to 5, not {shown(score)}"
                )
            _check_count(f"visits scored {score}", count)
            visits += count
            total += score * count
            satisfied += count if score >= 4 else 0
        average = None
        if visits:
            average = decimal.Decimal(total) / decimal.Decimal(visits)
        return cls(
            now=at,
            zone=name,
            days=days,
            window_start=start,
            window_end=end,
            complaints_opened=complaints_opened,
            by_category=tuple((c, categories[c]) for c in ProblemCategory if c in categories),
            by_problem=tuple((p, by_problem[p]) for p in ProblemKind if p in by_problem),
            unclassified=unclassified,
            targets=tuple(targets),
            replied=len(to_reply),
            first_reply_median=nearest_rank(to_reply, 50),
            first_reply_p90=nearest_rank(to_reply, 90),
            resolved=len(to_resolve),
            resolution_median=nearest_rank(to_resolve, 50),
            resolution_p90=nearest_rank(to_resolve, 90),
            reopened=reopened,
            reopen_rate=_rate(reopened, closed_once),
            visits=visits,
            satisfaction_average=average,
            satisfied_rate=_rate(satisfied, visits),
        )


def _check_count(what: str, value: object) -> None:
    if type(value) is not int or value < 0:
        raise ValidationError(f"{what} must be a whole number, 0 or more, not {shown(value)}")


def _durations(values: object, what: str) -> list[_dt.timedelta]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise ValidationError(f"{what} must be an iterable of timedelta, not {shown(values)}")
    out = []
    for value in values:
        if not isinstance(value, _dt.timedelta) or value < _dt.timedelta(0):
            raise ValidationError(f"{what} must hold durations of 0 or more, not {shown(value)}")
        out.append(value)
    return out


def _rate(part: int, whole: int) -> Rate | None:
    return Rate(part, whole) if whole else None


def _decided(cycle: SlaCycle) -> bool | None:
    """``True`` met in time, ``False`` breached, ``None`` not decided yet."""
    if cycle.breached_at is not None:
        return False
    if cycle.ended is CycleEnd.MET:
        return True
    return None


def complaint_report(
    complaints: Iterable[Complaint],
    policy: SlaPolicy,
    calendar: WorkingCalendar,
    *,
    now: _dt.datetime,
    zone: str,
    days: int = DEFAULT_DAYS,
) -> ComplaintReport:
    """The complaint figures of the ``days`` whole local days before the day of ``now``.

    The window is the after-sales report's (:func:`~ecservice.aftersales.aftersales_report`):
    whole calendar days of the shop's zone, today left out, an instant at the start in, one at
    the end out. A complaint counts by the instant it was opened; it is read as it stands at
    ``now`` (its SLA under ``policy`` on ``calendar`` evaluated at ``now``). Times to reply and
    to resolve are working time on ``calendar`` (:meth:`WorkingCalendar.elapsed
    <ecservice.calendar.WorkingCalendar.elapsed>`), medians and percentiles by nearest rank
    (:func:`~ecservice.aftersales.nearest_rank`); no figure is a float.

    Args:
        complaints: the shop's complaints, each once; those opened outside the window are
            left out.
        policy: the SLA policy the complaints run under.
        calendar: the shop's working calendar.
        now: when the report is asked for; an aware datetime.
        zone: the shop's IANA time zone, in which days are counted.
        days: the window's length in whole local days, from 1 to
            :data:`~ecservice.aftersales.MAX_REPORT_DAYS`.

    Raises:
        NaiveDatetime: ``now`` has no time zone.
        ValidationError: a zone :func:`~ecservice.clock.check_zone` refuses, ``days`` out of range,
            an item that is not a :class:`Complaint`, a complaint named twice.
        CalendarNotConfirmed: the calendar cannot count a day the window's complaints span.
    """
    at, name, start, end = report_window(now, zone, days)
    if not isinstance(policy, SlaPolicy):
        raise ValidationError(f"policy must be an SlaPolicy, not {shown(policy)}")
    seen: set[str] = set()
    opened: list[Complaint] = []
    for complaint in complaints:
        if not isinstance(complaint, Complaint):
            raise ValidationError(f"complaints must be Complaint values, not {shown(complaint)}")
        if complaint.id in seen:
            raise ValidationError(f"complaint {complaint.id!r} is named twice")
        seen.add(complaint.id)
        if start <= complaint.opened_at < end:
            opened.append(complaint)

    problems: dict[ProblemKind, int] = {}
    counts: dict[SlaTargetKind, tuple[int, int]] = {}
    to_reply: list[_dt.timedelta] = []
    to_resolve: list[_dt.timedelta] = []
    reopened = closed_once = 0
    scores: dict[int, int] = {}
    for complaint in opened:
        if complaint.problem is not None:
            problems[complaint.problem] = problems.get(complaint.problem, 0) + 1
        evaluation = complaint.sla(policy, calendar, now=max(at, complaint.opened_at))
        for cycle in evaluation.cycles:
            decided = _decided(cycle)
            if decided is None:
                continue
            met, breached = counts.get(cycle.kind, (0, 0))
            counts[cycle.kind] = (met + 1, breached) if decided else (met, breached + 1)
        replied_at = complaint.first_replied_at
        if replied_at is not None and replied_at <= at:
            to_reply.append(calendar.elapsed(complaint.opened_at, replied_at))
        resolution = [c for c in evaluation.cycles if c.kind is SlaTargetKind.RESOLUTION]
        if resolution and resolution[0].ended is CycleEnd.MET and resolution[0].stopped_at:
            to_resolve.append(calendar.elapsed(complaint.opened_at, resolution[0].stopped_at))
        if complaint.reopen_count:
            reopened += 1
        if complaint.reopen_count or complaint.closed_at is not None:
            closed_once += 1
        visit = complaint.visit
        if visit is not None and visit.satisfaction is not None:
            scores[visit.satisfaction] = scores.get(visit.satisfaction, 0) + 1
    return ComplaintReport.from_counts(
        now=at,
        zone=name,
        days=days,
        complaints_opened=len(opened),
        problems=problems,
        unclassified=sum(1 for c in opened if c.problem is None),
        cycles=counts,
        first_replies=to_reply,
        resolutions=to_resolve,
        reopened=reopened,
        closed_once=closed_once,
        scores=scores,
    )
