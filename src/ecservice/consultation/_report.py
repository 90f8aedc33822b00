"""Consultation KPIs over a window of the shop's days: first-response and response times,
enquiry-to-order conversion (overall and by enquiry type), hand-overs to after-sales and the
hand-over remarks still open."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Mapping
from typing import Final, final

import attrs
from pendulum import DateTime

from ecservice._shown import shown
from ecservice.aftersales import Rate, nearest_rank, report_window
from ecservice.calendar import WorkingCalendar
from ecservice.clock import check_zone
from ecservice.consultation._events import ConsultationStatus
from ecservice.consultation._responses import ResponseBasis, ResponsePolicy
from ecservice.consultation._session import ConsultationSession
from ecservice.consultation._values import DEFAULT_ENQUIRY_TYPES, EnquiryType
from ecservice.errors import ValidationError

__all__ = [
    "DEFAULT_DAYS",
    "ConsultationReport",
    "EnquiryConversion",
    "OpenRemark",
    "consultation_report",
]

#: The report's default window: the 30 days before today (近30天), as the after-sales report.
DEFAULT_DAYS: Final = 30


@final
@attrs.frozen(kw_only=True)
class EnquiryConversion:
    """Conversion of the sessions that asked about one enquiry type.

    Args:
        type: the enquiry type.
        sessions: sessions in the window with at least one enquiry of this type.
        ordered: of them, those with a confirmed order.
        conversion: ``ordered`` over ``sessions`` (询单转化率 for this type).
    """

    type: EnquiryType
    sessions: int
    ordered: int
    conversion: Rate


@final
@attrs.frozen(kw_only=True)
class OpenRemark:
    """A hand-over remark not followed up.

    Args:
        session_id: the session that handed it over.
        index: its position among the session's remarks (from 0).
        text: what must be done.
        status: the session's state (``HANDED_OVER``, or ``TRANSFERRED`` when it went to
            after-sales with the remark open).
    """

    session_id: str
    index: int
    text: str
    status: ConsultationStatus


def _check_zone(_: object, __: object, value: str) -> None:
    check_zone(value)


@final
@attrs.frozen(kw_only=True)
class ConsultationReport:
    """Consultation figures over one window (:func:`consultation_report` builds it).

    Args:
        now: the instant the report was asked for, in UTC.
        zone: the shop's IANA time zone, in which the days are counted.
        days: the window's length in local calendar days.
        window_start: the window's first instant, in UTC (the start of a local day).
        window_end: the window's end, exclusive, in UTC (the start of the local day of ``now``).
        basis: how response times are counted (the policy's basis).
        sessions: sessions opened in the window.
        responded: of them, those whose buyer got a first response by ``now``.
        first_response_median: the median first-response time (nearest rank), ``None``
            without responses.
        first_response_p90: its 90th percentile (nearest rank), or ``None``.
        first_response_average: its mean (exact to the microsecond), or ``None``.
        first_response_on_target: first responses within the policy's target over
            ``responded``, or ``None``.
        responses: every response of those sessions (first ones included).
        average_response: the mean of all response times (平均响应时间), or ``None``.
        enquired: sessions with at least one enquiry.
        ordered: sessions with a confirmed order.
        converted: sessions with an enquiry and a confirmed order.
        conversion: ``converted`` over ``enquired`` (询单转化率), ``None`` without enquiries.
        transferred: sessions handed to after-sales (转售后).
        ended_without_order: sessions that ended without an order.
        by_enquiry_type: conversion per enquiry type asked about: the library's types in
            :data:`DEFAULT_ENQUIRY_TYPES` order, then the shop's own by code (then labels), so
            that the order does not depend on the order the sessions are given in.
        open_remarks: hand-over remarks not followed up, of every session given (whatever its
            opening), by session id then index.
    """

    now: DateTime
    zone: str = attrs.field(validator=_check_zone)
    days: int
    window_start: DateTime
    window_end: DateTime
    basis: ResponseBasis
    sessions: int
    responded: int
    first_response_median: _dt.timedelta | None
    first_response_p90: _dt.timedelta | None
    first_response_average: _dt.timedelta | None
    first_response_on_target: Rate | None
    responses: int
    average_response: _dt.timedelta | None
    enquired: int
    ordered: int
    converted: int
    conversion: Rate | None
    transferred: int
    ended_without_order: int
    by_enquiry_type: tuple[EnquiryConversion, ...]
    open_remarks: tuple[OpenRemark, ...]

    def for_type(self, code: str) -> EnquiryConversion | None:
        """The conversion of the enquiry type with ``code``, or ``None`` when no session asked
        about it."""
        for found in self.by_enquiry_type:
            if found.type.code == code:
                return found
        return None


def _mean(values: list[_dt.timedelta]) -> _dt.timedelta | None:
    # timedelta / int divides the microseconds as integers (rounded half to even): no float.
    return sum(values, _dt.timedelta(0)) / len(values) if values else None


def type_order(kind: EnquiryType) -> tuple[int, str, str, str]:
    """Where ``kind`` comes in a report: the library's types in :data:`DEFAULT_ENQUIRY_TYPES`
    order, then the shop's own by code and labels (internal: the SQL report sorts alike)."""
    return (
        DEFAULT_ENQUIRY_TYPES.index(kind)
        if kind in DEFAULT_ENQUIRY_TYPES
        else len(DEFAULT_ENQUIRY_TYPES),
        kind.code,
        kind.label_en,
        kind.label_zh,
    )


def _rate(part: int, whole: int) -> Rate | None:
    return Rate(part, whole) if whole else None


def _sessions(sessions: Iterable[ConsultationSession]) -> list[ConsultationSession]:
    if isinstance(sessions, (str, bytes, Mapping)) or not isinstance(sessions, Iterable):
        raise ValidationError(f"sessions must be an iterable of sessions, not {shown(sessions)}")
    out: list[ConsultationSession] = []
    seen: set[str] = set()
    for session in sessions:
        if not isinstance(session, ConsultationSession):
            raise ValidationError(
                f"sessions must be ConsultationSession values, not {shown(session)}"
            )
        if session.id in seen:
            raise ValidationError(f"consultation {session.id!r} is named twice")
        seen.add(session.id)
        out.append(session)
    return out


def consultation_report(
    sessions: Iterable[ConsultationSession],
    *,
    now: _dt.datetime,
    zone: str,
    policy: ResponsePolicy | None = None,
    calendar: WorkingCalendar | None = None,
    days: int = DEFAULT_DAYS,
) -> ConsultationReport:
    """The consultation KPIs of the ``days`` whole local days before the day of ``now``.

    The window is the after-sales report's (:func:`~ecservice.aftersales.aftersales_report`):
    whole calendar days of the shop's zone, today left out, an instant at the start in, one at
    the end out. A session counts by the instant it opened and is read as it stands; messages
    after ``now`` are not counted. Response times follow ``policy`` (calendar time by default;
    business time on ``calendar``); medians and percentiles by nearest rank
    (:func:`~ecservice.aftersales.nearest_rank`); no figure is a float.

    Args:
        sessions: the shop's sessions, each once; those opened outside the window are left out
            of every figure but ``open_remarks``.
        now: when the report is asked for; an aware datetime.
        zone: the shop's IANA time zone, in which days are counted.
        policy: the response policy (:class:`ResponsePolicy` defaults when ``None``).
        calendar: the shop's working calendar, needed for business time.
        days: the window's length in whole local days, from 1 to
            :data:`~ecservice.aftersales.MAX_REPORT_DAYS`.

    Raises:
        NaiveDatetime: ``now`` has no time zone.
        ValidationError: a zone :func:`~ecservice.clock.check_zone` refuses, ``days`` out of range,
            a policy that is not a :class:`ResponsePolicy`, business time without a calendar, an
            item that is not a :class:`ConsultationSession`, a session named twice.
        CalendarNotConfirmed: the calendar cannot count a day of the window's sessions.
    """
    if not isinstance(now, _dt.datetime):
        raise ValidationError(f"now must be a timezone-aware datetime, not {shown(now)}")
    at, name, start, end = report_window(now, zone, days)
    rules = ResponsePolicy() if policy is None else policy
    if not isinstance(rules, ResponsePolicy):
        raise ValidationError(f"policy must be a ResponsePolicy, not {shown(policy)}")
    if rules.basis is ResponseBasis.BUSINESS and not isinstance(calendar, WorkingCalendar):
        raise ValidationError(
            f"business-time responses need a WorkingCalendar, not {shown(calendar)}"
        )
    every = _sessions(sessions)
    opened = [s for s in every if start <= s.opened_at < end]

    firsts: list[_dt.timedelta] = []
    on_target = 0
    waits: list[_dt.timedelta] = []
    enquired = ordered = converted = transferred = ended = 0
    by_type: dict[EnquiryType, list[int]] = {}
    for session in opened:
        answered = [r for r in session.responses(rules, calendar) if r.answered_at <= at]
        if answered:
            firsts.append(answered[0].waited)
            on_target += answered[0].within_target
        waits.extend(r.waited for r in answered)
        asked = bool(session.enquiries)
        enquired += asked
        ordered += session.ordered
        converted += asked and session.ordered
        transferred += session.status is ConsultationStatus.TRANSFERRED
        ended += session.status is ConsultationStatus.ENDED
        for kind in session.enquiry_types:
            tally = by_type.setdefault(kind, [0, 0])
            tally[0] += 1
            tally[1] += session.ordered
    remarks = tuple(
        OpenRemark(session_id=s.id, index=i, text=r.text, status=s.status)
        for s in sorted(every, key=lambda s: s.id)
        for i, r in s.open_remarks
    )
    return ConsultationReport(
        now=at,
        zone=name,
        days=days,
        window_start=start,
        window_end=end,
        basis=rules.basis,
        sessions=len(opened),
        responded=len(firsts),
        first_response_median=nearest_rank(firsts, 50),
        first_response_p90=nearest_rank(firsts, 90),
        first_response_average=_mean(firsts),
        first_response_on_target=_rate(on_target, len(firsts)),
        responses=len(waits),
        average_response=_mean(waits),
        enquired=enquired,
        ordered=ordered,
        converted=converted,
        conversion=_rate(converted, enquired),
        transferred=transferred,
        ended_without_order=ended,
        by_enquiry_type=tuple(
            EnquiryConversion(type=k, sessions=v[0], ordered=v[1], conversion=Rate(v[1], v[0]))
            for k, v in sorted(by_type.items(), key=lambda item: type_order(item[0]))
        ),
        open_remarks=remarks,
    )
