"""The satisfaction report: the after-sales report's window of local days, response rate,
CSAT and NPS overall and per subject kind."""

from __future__ import annotations

import datetime as _dt

import pendulum
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecservice.aftersales import Rate
from ecservice.clock import FixedClock
from ecservice.errors import NaiveDatetime, ValidationError
from ecservice.satisfaction import (
    InvalidScore,
    SatisfactionFigures,
    SatisfactionReport,
    SubjectKind,
    satisfaction_report,
)
from tests.satisfaction.rig import AGENT, BUYER, MICRO, ZONE, new_survey, sent_survey

# Local midnight of 2026-05-06 in Shanghai; the report is asked on that day.
TODAY = pendulum.datetime(2026, 5, 6, tz=ZONE)
NOW = TODAY.add(hours=15)


def test_figures_overall_and_per_kind() -> None:
    in_window = TODAY.subtract(days=3)
    surveys = [
        sent_survey(SubjectKind.ORDER, 1, in_window, csat=5, nps=10),
        sent_survey(SubjectKind.ORDER, 2, in_window, csat=4, nps=6),
        sent_survey(SubjectKind.ORDER, 3, in_window, csat=None, nps=None),
        sent_survey(SubjectKind.COMPLAINT, 4, in_window, csat=2, nps=None),
        sent_survey(SubjectKind.AFTERSALES_CASE, 5, in_window, csat=None, nps=9),
    ]
    report = satisfaction_report(surveys, now=NOW, zone=ZONE, days=7)
    overall = report.overall
    assert (overall.sent, overall.answered, overall.expired) == (5, 4, 0)
    assert overall.median_time_to_answer == _dt.timedelta(0)  # the rig answers at once
    assert overall.p90_time_to_answer == _dt.timedelta(0)
    assert overall.response_rate == Rate(4, 5)
    assert overall.csat is not None
    assert overall.csat.rate == Rate(2, 3)
    assert overall.nps is not None
    assert (overall.nps.promoters, overall.nps.passives, overall.nps.detractors) == (2, 0, 1)
    orders = report.for_kind(SubjectKind.ORDER)
    assert (orders.sent, orders.answered) == (3, 2)
    assert orders.response_rate == Rate(2, 3)
    complaints = report.for_kind(SubjectKind.COMPLAINT)
    assert complaints.nps is None
    assert complaints.csat is not None
    assert complaints.csat.rate == Rate(0, 1)
    assert [k for k, _ in report.by_kind] == list(SubjectKind)


def test_the_window_is_whole_local_days_before_today() -> None:
    first = TODAY.subtract(days=7)
    edge = [
        sent_survey(SubjectKind.ORDER, 1, first, csat=5, nps=None),  # first instant: in
        sent_survey(SubjectKind.ORDER, 2, first - MICRO, csat=5, nps=None),  # before: out
        sent_survey(SubjectKind.ORDER, 3, TODAY - MICRO, csat=5, nps=None),  # last: in
        sent_survey(SubjectKind.ORDER, 4, TODAY, csat=5, nps=None),  # today: out
    ]
    report = satisfaction_report(edge, now=NOW, zone=ZONE, days=7)
    assert report.overall.sent == 2
    assert report.window_start == first
    assert report.window_end == TODAY
    assert satisfaction_report(edge, now=TODAY, zone=ZONE, days=7) == report.__class__(
        **{**_fields(report), "now": TODAY}
    )


def _fields(report: SatisfactionReport) -> dict[str, object]:
    import attrs

    return attrs.asdict(report, recurse=False)


def test_unsent_and_expired_surveys() -> None:
    scheduled = new_survey(id="SV-9", scheduled_at=TODAY.subtract(days=2))
    clock = FixedClock(TODAY.subtract(days=20))
    expired = new_survey(id="SV-8", scheduled_at=clock.now(), clock=clock)
    expired.send(actor=AGENT)
    clock.set(clock.now() + _dt.timedelta(days=7))
    expired.expire()
    report = satisfaction_report([scheduled, expired], now=NOW, zone=ZONE)
    assert (report.overall.sent, report.overall.expired, report.overall.answered) == (1, 1, 0)
    assert report.overall.response_rate == Rate(0, 1)
    assert report.overall.csat is None
    assert report.overall.nps is None
    empty = satisfaction_report([], now=NOW, zone=ZONE)
    assert empty.overall.response_rate is None
    assert empty.overall.sent == 0


def test_times_to_answer_are_nearest_rank() -> None:
    surveys = []
    for n, hours in enumerate([1, 2, 3, 30, 50]):
        clock = FixedClock(TODAY.subtract(days=5))
        survey = new_survey(id=f"SV-{n}", scheduled_at=clock.now(), clock=clock)
        survey.send(actor=AGENT)
        clock.set(clock.now() + _dt.timedelta(hours=hours))
        survey.answer(answers={"csat": 5}, actor=BUYER)
        surveys.append(survey)
    figures = satisfaction_report(surveys, now=NOW, zone=ZONE).overall
    assert figures.median_time_to_answer == _dt.timedelta(hours=3)
    assert figures.p90_time_to_answer == _dt.timedelta(hours=50)
    assert type(figures.median_time_to_answer) is _dt.timedelta


def test_satisfied_from_moves_the_csat() -> None:
    surveys = [
        sent_survey(SubjectKind.ORDER, n, TODAY.subtract(days=1), csat=c, nps=None)
        for n, c in enumerate([3, 4, 5])
    ]
    strict = satisfaction_report(surveys, now=NOW, zone=ZONE, satisfied_from=5).overall.csat
    assert strict is not None
    assert strict.rate == Rate(1, 3)


@given(
    st.lists(
        st.tuples(
            st.sampled_from(list(SubjectKind)),
            st.integers(0, 40 * 24),
            st.one_of(st.none(), st.integers(1, 5)),
            st.one_of(st.none(), st.integers(0, 10)),
        ),
        max_size=15,
    )
)
@settings(max_examples=40)
def test_the_figures_add_up_across_kinds(
    rows: list[tuple[SubjectKind, int, int | None, int | None]],
) -> None:
    surveys = [
        sent_survey(kind, n, TODAY.subtract(hours=hours), csat=c, nps=p)
        for n, (kind, hours, c, p) in enumerate(rows)
    ]
    report = satisfaction_report(surveys, now=NOW, zone=ZONE)
    parts = [f for _, f in report.by_kind]
    assert report.overall.sent == sum(f.sent for f in parts)
    assert report.overall.answered == sum(f.answered for f in parts)
    rate = report.overall.response_rate
    assert rate is None or 0 <= rate.value <= 1
    nps = report.overall.nps
    assert nps is None or -100 <= nps.value <= 100
    assert nps is None or nps.responses == sum(f.nps.responses for f in parts if f.nps)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"now": _dt.datetime(2026, 5, 6)}, NaiveDatetime),
        ({"now": "2026-05-06"}, ValidationError),
        ({"zone": "Mars/Base"}, ValidationError),
        ({"days": 0}, ValidationError),
        ({"days": 367}, ValidationError),
        ({"satisfied_from": 6}, InvalidScore),
    ],
)
def test_bad_arguments(kwargs: dict[str, object], error: type[Exception]) -> None:
    arguments: dict[str, object] = {"now": NOW, "zone": ZONE, **kwargs}
    with pytest.raises(error):
        satisfaction_report([], **arguments)  # type: ignore[arg-type]


def test_bad_surveys_are_refused() -> None:
    survey = new_survey()
    with pytest.raises(ValidationError, match="twice"):
        satisfaction_report([survey, survey], now=NOW, zone=ZONE)
    with pytest.raises(ValidationError):
        satisfaction_report(["SV-1"], now=NOW, zone=ZONE)  # type: ignore[list-item]
    with pytest.raises(ValidationError):
        SatisfactionFigures(
            sent=1, answered=1, expired=0, response_rate=Rate(0, 1), csat=None, nps=None
        )
    with pytest.raises(ValidationError):
        SatisfactionFigures(sent=1, answered=1, expired=1, response_rate=None, csat=None, nps=None)
    with pytest.raises(ValidationError, match="times to answer"):
        SatisfactionFigures(
            sent=1, answered=1, expired=0, response_rate=Rate(1, 1), csat=None, nps=None
        )
    report = satisfaction_report([], now=NOW, zone=ZONE)
    with pytest.raises(ValidationError):
        report.for_kind("order")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        SatisfactionReport(**{**_fields(report), "by_kind": report.by_kind[:2]})  # type: ignore[arg-type]
