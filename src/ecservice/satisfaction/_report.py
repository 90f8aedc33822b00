"""Satisfaction figures of a window of the shop's days: response rate, CSAT, NPS, per subject."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterable, Mapping
from typing import Any, final

import attrs
from pendulum import DateTime

from ecservice._shown import shown
from ecservice.aftersales import (
    DEFAULT_REPORT_DAYS,
    Rate,
    nearest_rank,
    report_window,
)
from ecservice.clock import check_zone
from ecservice.errors import ValidationError
from ecservice.satisfaction._errors import invalid_score
from ecservice.satisfaction._scores import CsatScore, NpsScore
from ecservice.satisfaction._survey import Survey
from ecservice.satisfaction._values import CSAT_SCALE, DEFAULT_SATISFIED_FROM, SubjectKind

__all__ = ["SatisfactionFigures", "SatisfactionReport", "satisfaction_report"]


def _optional(kind: type) -> Callable[[object, attrs.Attribute[Any], object], None]:
    def check(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value is not None and not isinstance(value, kind):
            raise ValidationError(
                f"{attribute.name} must be a {kind.__name__} or None, not {shown(value)}"
            )

    return check


def _elapsed(survey: Survey) -> _dt.timedelta:
    sent, answered = survey.sent_at, survey.answered_at
    assert sent is not None
    assert answered is not None
    # datetime's own subtraction: a plain timedelta (pendulum's gives an Interval).
    return _dt.datetime.__sub__(answered, sent)


def _count(_: object, attribute: attrs.Attribute[int], value: object) -> None:
    if type(value) is not int or value < 0:
        raise ValidationError(f"{attribute.name} must be an int of at least 0, not {shown(value)}")


@final
@attrs.frozen(slots=True, kw_only=True)
class SatisfactionFigures:
    """The figures of the surveys sent in a window (all of them, or those of one subject kind).

    Surveys are read as they stand: one sent in the window and answered after it counts as
    answered.

    Args:
        sent: surveys sent in the window.
        answered: of those, how many were answered.
        expired: of those, how many expired unanswered.
        response_rate: ``answered`` over ``sent``; ``None`` when none was sent.
        csat: the CSAT of the answers that scored the CSAT question; ``None`` when none did.
        nps: the NPS of the answers that scored the NPS question; ``None`` when none did.
        median_time_to_answer: the median time from sending to answering of the answered
            surveys (nearest rank, :func:`~ecservice.aftersales.nearest_rank` at 50); ``None``
            when none was answered.
        p90_time_to_answer: the 90th percentile of the same times (nearest rank); ``None`` when
            none was answered.

    Raises:
        ValidationError: a figure of the wrong type, counts below 0, more answered plus expired
            than sent, or a response rate that is not ``answered`` over ``sent``.
    """

    sent: int = attrs.field(validator=_count)
    answered: int = attrs.field(validator=_count)
    expired: int = attrs.field(validator=_count)
    response_rate: Rate | None = attrs.field(validator=_optional(Rate))
    csat: CsatScore | None = attrs.field(validator=_optional(CsatScore))
    nps: NpsScore | None = attrs.field(validator=_optional(NpsScore))
    median_time_to_answer: _dt.timedelta | None = attrs.field(
        default=None, validator=_optional(_dt.timedelta)
    )
    p90_time_to_answer: _dt.timedelta | None = attrs.field(
        default=None, validator=_optional(_dt.timedelta)
    )

    def __attrs_post_init__(self) -> None:
        if self.answered + self.expired > self.sent:
            raise ValidationError(
                f"answered ({self.answered}) plus expired ({self.expired}) exceed sent "
                f"({self.sent})"
            )
        expected = Rate(self.answered, self.sent) if self.sent else None
        if self.response_rate != expected:
            raise ValidationError(
                f"response_rate must be answered over sent ({expected}), not "
                f"{shown(self.response_rate)}"
            )
        if (self.median_time_to_answer is None) != (self.answered == 0) or (
            self.p90_time_to_answer is None
        ) != (self.answered == 0):
            raise ValidationError(
                "the times to answer are given exactly when some survey was answered"
            )
        for score in (self.csat, self.nps):
            if score is not None and score.responses > self.answered:
                raise ValidationError("a score counts more answers than surveys were answered")

    @classmethod
    def of(
        cls, surveys: Iterable[Survey], *, satisfied_from: int = DEFAULT_SATISFIED_FROM
    ) -> SatisfactionFigures:
        """The figures of ``surveys`` (taken as the surveys sent in a window).

        Raises:
            InvalidScore: ``satisfied_from`` is not an ``int`` from 1 to 5.
        """
        answered = [s for s in surveys if s.answered_at is not None]
        sent = [s for s in surveys if s.sent_at is not None]
        expired = sum(1 for s in sent if any(r.trigger == "expire" for r in s.history))
        times = [_elapsed(s) for s in answered]
        return cls(
            sent=len(sent),
            answered=len(answered),
            expired=expired,
            response_rate=Rate(len(answered), len(sent)) if sent else None,
            csat=CsatScore.from_scores(
                (c for s in answered if (c := s.csat_score) is not None),
                satisfied_from=satisfied_from,
            ),
            nps=NpsScore.from_scores(n for s in answered if (n := s.nps_score) is not None),
            median_time_to_answer=nearest_rank(times, 50),
            p90_time_to_answer=nearest_rank(times, 90),
        )


def _check_zone(_: object, __: object, value: str) -> None:
    check_zone(value)


@final
@attrs.frozen(slots=True, kw_only=True)
class SatisfactionReport:
    """Satisfaction over one window (:func:`satisfaction_report` defines the window and builds
    the report).

    Args:
        now: the instant the report was asked for, in UTC.
        zone: the shop's IANA time zone, in which the days are counted.
        days: the window's length in local calendar days.
        window_start: the window's first instant, in UTC (the start of a local day).
        window_end: the window's end, exclusive, in UTC (the start of the local day of ``now``).
        overall: the figures of every survey sent in the window.
        by_kind: the figures per subject kind, one pair for each :class:`SubjectKind`, in its
            order.

    Raises:
        ValidationError: a figure of the wrong type, a ``zone`` :func:`~ecservice.clock.check_zone`
            refuses, or ``by_kind`` not one pair per kind.
    """

    now: DateTime
    zone: str = attrs.field(validator=_check_zone)
    days: int
    window_start: DateTime
    window_end: DateTime
    overall: SatisfactionFigures
    by_kind: tuple[tuple[SubjectKind, SatisfactionFigures], ...]

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.overall, SatisfactionFigures):
            raise ValidationError(f"overall must be SatisfactionFigures, not {shown(self.overall)}")
        kinds = tuple(k for k, _ in self.by_kind) if type(self.by_kind) is tuple else ()
        if kinds != tuple(SubjectKind) or not all(
            isinstance(f, SatisfactionFigures) for _, f in self.by_kind
        ):
            raise ValidationError(
                "by_kind must hold one (SubjectKind, SatisfactionFigures) pair per kind, in "
                "the order of SubjectKind"
            )

    def for_kind(self, kind: SubjectKind) -> SatisfactionFigures:
        """The figures of the surveys about ``kind`` (orders, complaints, after-sales cases).

        Raises:
            ValidationError: ``kind`` is not a :class:`SubjectKind`.
        """
        for k, figures in self.by_kind:
            if k is kind:
                return figures
        raise ValidationError(f"kind must be a SubjectKind, not {shown(kind)}")


def _surveys(surveys: Iterable[Survey]) -> list[Survey]:
    if isinstance(surveys, (str, bytes, Mapping)) or not isinstance(surveys, Iterable):
        raise ValidationError(f"surveys must be an iterable of Survey, not {shown(surveys)}")
    out: list[Survey] = []
    seen: set[str] = set()
    for survey in surveys:
        if not isinstance(survey, Survey):
            raise ValidationError(f"surveys must hold Survey values, not {shown(survey)}")
        if survey.id in seen:
            raise ValidationError(f"surveys must name each survey once; {survey.id!r} comes twice")
        seen.add(survey.id)
        out.append(survey)
    return out


def satisfaction_report(
    surveys: Iterable[Survey],
    *,
    now: _dt.datetime,
    zone: str,
    days: int = DEFAULT_REPORT_DAYS,
    satisfied_from: int = DEFAULT_SATISFIED_FROM,
) -> SatisfactionReport:
    """The satisfaction figures of the surveys sent in the ``days`` whole local days before
    the day of ``now``.

    **The window** is the after-sales report's
    (:func:`~ecservice.aftersales.aftersales_report`): ``days`` calendar days of the shop's
    zone before the local day of ``now``, from the first instant of the first day
    (:func:`~ecservice.aftersales.day_start`) to the first instant of the day of ``now``,
    exclusive. Today, incomplete, is left out, so a report asked twice on one day gives the same
    figures. A survey is in the window by the instant it was sent.

    **The figures** (:class:`SatisfactionFigures`), for all surveys and per
    :class:`SubjectKind`: surveys sent, answered and expired; the response rate (answered over
    sent, a :class:`~ecservice.aftersales.Rate`); the median and 90th-percentile time from
    sending to answering; the CSAT (:class:`CsatScore`: answers
    ``satisfied_from`` or above over the answers to the CSAT question) and the NPS
    (:class:`NpsScore`). No figure is computed from a ``float``.

    Args:
        surveys: the shop's surveys (each once), as they stand; surveys not sent in the window
            are allowed and left out.
        now: when the report is asked for; an aware datetime.
        zone: the shop's IANA time zone (``"Asia/Shanghai"``, ...), in which days are counted.
        days: the window's length in whole local days, from 1 to
            :data:`~ecservice.aftersales.MAX_REPORT_DAYS`; 30 by default.
        satisfied_from: the lowest CSAT score counted as satisfied, 1 to 5; 4 by default
            (:data:`DEFAULT_SATISFIED_FROM`).

    Raises:
        NaiveDatetime: ``now`` has no time zone.
        InvalidScore: ``satisfied_from`` off the 1-5 scale.
        ValidationError: a zone :func:`~ecservice.clock.check_zone` refuses, ``days`` out of range,
            ``surveys`` not an iterable of :class:`Survey`, a survey named twice, or a window
            outside the calendar.
    """
    at, name, start, end = report_window(now, zone, days)
    low, high = CSAT_SCALE
    if type(satisfied_from) is not int or not low <= satisfied_from <= high:
        raise invalid_score("satisfied_from", satisfied_from, low, high)
    listed = _surveys(surveys)
    window = [s for s in listed if (t := s.sent_at) is not None and start <= t < end]
    return SatisfactionReport(
        now=at,
        zone=name,
        days=days,
        window_start=start,
        window_end=end,
        overall=SatisfactionFigures.of(window, satisfied_from=satisfied_from),
        by_kind=tuple(
            (
                kind,
                SatisfactionFigures.of(
                    [s for s in window if s.subject.kind is kind], satisfied_from=satisfied_from
                ),
            )
            for kind in SubjectKind
        ),
    )
