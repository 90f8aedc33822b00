"""Feedback figures over a window of the shop's days: records by channel, kind and sentiment,
answers in time, working time to answer, revisits done and on time."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable
from typing import Final, TypeVar, final

import attrs
from pendulum import DateTime

from ecservice._shown import shown
from ecservice.aftersales import Rate, nearest_rank, report_window
from ecservice.calendar import WorkingCalendar
from ecservice.clock import check_zone
from ecservice.errors import ValidationError
from ecservice.feedback._record import FeedbackRecord
from ecservice.feedback._values import FeedbackChannel, FeedbackKind, Sentiment

__all__ = ["DEFAULT_FEEDBACK_DAYS", "FeedbackReport", "feedback_report"]

#: The report's default window: the 30 days before today (近30天), as the after-sales report.
DEFAULT_FEEDBACK_DAYS: Final = 30


def _check_zone(_: object, __: object, value: str) -> None:
    check_zone(value)


@final
@attrs.frozen(kw_only=True)
class FeedbackReport:
    """Feedback figures over one window (:func:`feedback_report` builds it). Counts are
    ``int``, rates exact :class:`~ecservice.aftersales.Rate` values, times
    :class:`datetime.timedelta` of working time; no figure is a float.

    Args:
        now: the instant the report was asked for, in UTC.
        zone: the shop's IANA time zone, in which the days are counted.
        days: the window's length in local calendar days.
        window_start: the window's first instant, in UTC (the start of a local day).
        window_end: the window's end, exclusive, in UTC (the start of the local day of ``now``).
        received: the records received in the window.
        by_channel: ``(channel, records)`` in the order of
            :class:`~ecservice.feedback.FeedbackChannel`, channels with none left out.
        by_kind: ``(kind, records)`` of those whose kind is known, in the order of
            :class:`~ecservice.feedback.FeedbackKind`, kinds with none left out.
        unclassified: records whose kind is not known.
        by_sentiment: ``(sentiment, records)`` of those whose sentiment is known, in the order of
            :class:`~ecservice.feedback.Sentiment`, none left out.
        answered: records answered by ``now``.
        answers_decided: records whose answer is decided at ``now``: answered, or unanswered
            past their due instant.
        answered_in_time: of them, answered by their due instant.
        in_time_rate: ``answered_in_time`` over ``answers_decided`` (及时反馈率), ``None``
            without any.
        answer_median: the median working time from receipt to answer (nearest rank), or
            ``None`` without answers.
        answer_p90: its 90th percentile (nearest rank), or ``None``.
        revisits_scheduled: revisits the records scheduled by ``now``.
        revisits_done: of them, done by ``now``.
        revisits_reached: of those done, the ones that reached the customer.
        revisits_decided: scheduled revisits decided at ``now``: done, past their deadline, or
            left when the record closed.
        revisited_on_time: of them, done by their deadline.
        on_time_rate: ``revisited_on_time`` over ``revisits_decided`` (回访及时率), ``None``
            without any.
        satisfied_rate: revisits where the customer said they were satisfied over those that
            reached them and got an answer to the question (满意率), ``None`` without any.

    Raises:
        ValidationError: a figure of the wrong type, or a ``zone``
            :func:`~ecservice.clock.check_zone` refuses.
    """

    now: DateTime
    zone: str = attrs.field(validator=_check_zone)
    days: int
    window_start: DateTime
    window_end: DateTime
    received: int
    by_channel: tuple[tuple[FeedbackChannel, int], ...]
    by_kind: tuple[tuple[FeedbackKind, int], ...]
    unclassified: int
    by_sentiment: tuple[tuple[Sentiment, int], ...]
    answered: int
    answers_decided: int
    answered_in_time: int
    in_time_rate: Rate | None
    answer_median: _dt.timedelta | None
    answer_p90: _dt.timedelta | None
    revisits_scheduled: int
    revisits_done: int
    revisits_reached: int
    revisits_decided: int
    revisited_on_time: int
    on_time_rate: Rate | None
    satisfied_rate: Rate | None

    def channel(self, channel: FeedbackChannel) -> int:
        """The records received through ``channel`` (0 when none)."""
        return dict(self.by_channel).get(channel, 0)

    def kind(self, kind: FeedbackKind) -> int:
        """The records of ``kind`` (0 when none)."""
        return dict(self.by_kind).get(kind, 0)


T = TypeVar("T")


def _rate(part: int, whole: int) -> Rate | None:
    return Rate(part, whole) if whole else None


def _count(values: Iterable[T], order: Iterable[T]) -> tuple[tuple[T, int], ...]:
    counts: dict[T, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return tuple((v, counts[v]) for v in order if v in counts)


def _window(records: object, start: DateTime, end: DateTime) -> list[FeedbackRecord]:
    if isinstance(records, str | bytes) or not isinstance(records, Iterable):
        raise ValidationError(f"records must be FeedbackRecord values, not {shown(records)}")
    seen: set[str] = set()
    found: list[FeedbackRecord] = []
    for record in records:
        if not isinstance(record, FeedbackRecord):
            raise ValidationError(f"records must be FeedbackRecord values, not {shown(record)}")
        if record.id in seen:
            raise ValidationError(f"feedback record {record.id!r} is named twice")
        seen.add(record.id)
        if start <= record.received_at < end:
            found.append(record)
    return found


def feedback_report(
    records: Iterable[FeedbackRecord],
    calendar: WorkingCalendar,
    *,
    now: _dt.datetime,
    zone: str,
    days: int = DEFAULT_FEEDBACK_DAYS,
) -> FeedbackReport:
    """The feedback figures of the ``days`` whole local days before the day of ``now``.

    The window is the after-sales report's (:func:`~ecservice.aftersales.aftersales_report`):
    whole calendar days of the shop's zone, today left out, an instant at the start in, one at
    the end out. A record counts by the instant it was received and is read as it stood at
    ``now``: an answer, a schedule or a revisit recorded after ``now`` does not count. An
    answer is in time when given by the record's ``answer_due_at``; a revisit is on time when
    done by its ``deadline``. Times to answer are working time on ``calendar``
    (:meth:`WorkingCalendar.elapsed <ecservice.calendar.WorkingCalendar.elapsed>`), medians and
    percentiles by nearest rank (:func:`~ecservice.aftersales.nearest_rank`).

    Args:
        records: the shop's feedback records, each once; those received outside the window
            are left out.
        calendar: the shop's working calendar.
        now: when the report is asked for; an aware datetime.
        zone: the shop's IANA time zone, in which days are counted.
        days: the window's length in whole local days, from 1 to
            :data:`~ecservice.aftersales.MAX_REPORT_DAYS`; :data:`DEFAULT_FEEDBACK_DAYS` by
            default.

    Raises:
        NaiveDatetime: ``now`` has no time zone.
        ValidationError: a zone :func:`~ecservice.clock.check_zone` refuses, ``days`` out of range,
            a calendar that is not a :class:`~ecservice.calendar.WorkingCalendar`, an item that is
            not a :class:`FeedbackRecord`, a record named twice.
        CalendarNotConfirmed: the calendar cannot count a day between a receipt and its answer.
    """
    at, name, start, end = report_window(now, zone, days)
    if not isinstance(calendar, WorkingCalendar):
        raise ValidationError(f"calendar must be a WorkingCalendar, not {shown(calendar)}")
    window = _window(records, start, end)

    to_answer: list[_dt.timedelta] = []
    decided = in_time = 0
    scheduled = done = reached = revisits_decided = on_time = 0
    said = satisfied = 0
    for record in window:
        answered = record.answered_at
        if answered is not None and answered <= at:
            to_answer.append(calendar.elapsed(record.received_at, answered))
            decided += 1
            in_time += answered <= record.answer_due_at
        elif record.answer_due_at < at:
            decided += 1
        history = [e for e in record.history if e.at <= at]
        if not any(e.trigger == "schedule_revisits" for e in history):
            continue
        closed = any(e.trigger == "close" for e in history)
        visits = [e.at for e in history if e.trigger == "revisit"]
        scheduled += len(record.schedule)
        for i, planned in enumerate(record.schedule):
            if i < len(visits):
                done += 1
                revisits_decided += 1
                on_time += visits[i] <= planned.deadline
                outcome = record.revisits[i]
                if outcome.reached:
                    reached += 1
                    if outcome.satisfied is not None:
                        said += 1
                        satisfied += outcome.satisfied
            elif closed or planned.deadline < at:
                revisits_decided += 1

    return FeedbackReport(
        now=at,
        zone=name,
        days=days,
        window_start=start,
        window_end=end,
        received=len(window),
        by_channel=_count((r.channel for r in window), FeedbackChannel),
        by_kind=_count((r.kind for r in window if r.kind is not None), FeedbackKind),
        unclassified=sum(1 for r in window if r.kind is None),
        by_sentiment=_count((r.sentiment for r in window if r.sentiment is not None), Sentiment),
        answered=len(to_answer),
        answers_decided=decided,
        answered_in_time=in_time,
        in_time_rate=_rate(in_time, decided),
        answer_median=nearest_rank(to_answer, 50),
        answer_p90=nearest_rank(to_answer, 90),
        revisits_scheduled=scheduled,
        revisits_done=done,
        revisits_reached=reached,
        revisits_decided=revisits_decided,
        revisited_on_time=on_time,
        on_time_rate=_rate(on_time, revisits_decided),
        satisfied_rate=_rate(satisfied, said),
    )
