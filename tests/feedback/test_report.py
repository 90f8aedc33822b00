"""Feedback figures over a window: counted over the window's records, each figure exact."""

from __future__ import annotations

import datetime as _dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecservice.aftersales import Rate
from ecservice.clock import FixedClock
from ecservice.errors import NaiveDatetime, ValidationError
from ecservice.feedback import (
    FeedbackChannel,
    FeedbackKind,
    FeedbackPolicy,
    FeedbackRecord,
    RevisitAnchor,
    RevisitOffset,
    Sentiment,
    feedback_report,
)
from tests.feedback.rig import AGENT, CALENDAR, POLICY, ZONE, new_record, records, sh

DAY = _dt.timedelta(days=1)
HOUR = _dt.timedelta(hours=1)
REVISIT_NEXT_DAY = FeedbackPolicy(
    "next-day", "test", revisits=[RevisitOffset(RevisitAnchor.ANSWERED, DAY)]
)


def received(rid: str, at: _dt.datetime, clock: FixedClock, **fields: object) -> FeedbackRecord:
    return FeedbackRecord.receive(
        id=rid,
        customer_id="c-1",
        text="Feedback.",
        channel=fields.pop("channel", FeedbackChannel.CHAT),  # type: ignore[arg-type]
        policy=POLICY,
        calendar=CALENDAR,
        clock=clock,
        received_at=at,
    )


def answer(record: FeedbackRecord, kind: FeedbackKind, sentiment: Sentiment) -> None:
    record.read(actor=AGENT)
    record.record(kind=kind, sentiment=sentiment, summary="noted", actor=AGENT)
    record.answer(message="Thanks.", actor=AGENT)


def test_the_report_counts_channels_kinds_answers_and_revisits() -> None:
    """Monday 2 March 2026 10:00: one record answered in 2 working hours and revisited on time,
    one answered the day after its due day (late), one never answered (past due), one
    received the day before the window (left out); the report is asked on 10 March."""
    clock = FixedClock(sh(2026, 3, 2, 10))
    quick = received("Q", sh(2026, 3, 2, 10), clock)
    slow = received("S", sh(2026, 3, 2, 10), clock, channel=FeedbackChannel.PHONE)
    silent = received("N", sh(2026, 3, 2, 10), clock, channel=FeedbackChannel.PHONE)
    early = received("E", sh(2026, 2, 8, 10), FixedClock(sh(2026, 2, 8, 10)))
    clock.set(sh(2026, 3, 2, 12))
    answer(quick, FeedbackKind.PRAISE, Sentiment.POSITIVE)
    quick.schedule_revisits(policy=REVISIT_NEXT_DAY, calendar=CALENDAR, actor=AGENT)
    clock.set(sh(2026, 3, 3, 14))
    quick.revisit(reached=True, satisfied=True, actor=AGENT)
    clock.set(sh(2026, 3, 4, 10))
    answer(slow, FeedbackKind.PROBLEM, Sentiment.NEGATIVE)  # due 3 March 18:00
    slow.schedule_revisits(policy=REVISIT_NEXT_DAY, calendar=CALENDAR, actor=AGENT)
    # slow's revisit, due 5 March 10:00, is never done: its deadline is 6 March 18:00
    report = feedback_report(
        [quick, slow, silent, early], CALENDAR, now=sh(2026, 3, 10, 9), zone=ZONE, days=8
    )
    assert report.window_start == sh(2026, 3, 2)
    assert report.window_end == sh(2026, 3, 10)
    assert report.received == 3
    assert report.by_channel == ((FeedbackChannel.CHAT, 1), (FeedbackChannel.PHONE, 2))
    assert report.channel(FeedbackChannel.EMAIL) == 0
    assert report.by_kind == ((FeedbackKind.PRAISE, 1), (FeedbackKind.PROBLEM, 1))
    assert report.kind(FeedbackKind.PRAISE) == 1
    assert report.unclassified == 1
    assert report.by_sentiment == ((Sentiment.POSITIVE, 1), (Sentiment.NEGATIVE, 1))
    assert (report.answered, report.answers_decided, report.answered_in_time) == (2, 3, 1)
    assert report.in_time_rate == Rate(1, 3)
    # quick: 2 working hours; slow: Monday 10-18 (8h) + Tuesday 9-18 (9h) + Wednesday 9-10 (1h)
    assert report.answer_median == 2 * HOUR
    assert report.answer_p90 == 18 * HOUR
    assert (report.revisits_scheduled, report.revisits_done, report.revisits_reached) == (2, 1, 1)
    assert (report.revisits_decided, report.revisited_on_time) == (2, 1)
    assert report.on_time_rate == Rate(1, 2)
    assert report.satisfied_rate == Rate(1, 1)


def test_what_happens_after_now_is_not_counted() -> None:
    """Asked before the answer and before the due instant: nothing is decided."""
    clock = FixedClock(sh(2026, 3, 2, 10))
    record = received("R", sh(2026, 3, 2, 10), clock)
    clock.set(sh(2026, 3, 2, 11))
    answer(record, FeedbackKind.QUESTION, Sentiment.NEUTRAL)
    report = feedback_report([record], CALENDAR, now=sh(2026, 3, 3, 0, 30), zone=ZONE)
    assert report.answered == 1
    early = feedback_report([record], CALENDAR, now=sh(2026, 3, 3, 0, 0), zone=ZONE, days=1)
    assert early.received == 1
    assert early.answered == 1
    before = feedback_report(
        [new_record(id="X", received_at=sh(2026, 3, 2, 10), answer_due_at=sh(2026, 3, 3, 18))],
        CALENDAR,
        now=sh(2026, 3, 3, 1),
        zone=ZONE,
        days=1,
    )
    assert before.received == 1
    assert before.answers_decided == 0
    assert before.in_time_rate is None
    assert before.answer_median is None
    assert before.on_time_rate is None


def test_an_empty_window_has_no_rates() -> None:
    """No records: counts are zero and rates and times are None."""
    report = feedback_report([], CALENDAR, now=sh(2026, 3, 10), zone=ZONE)
    assert report.received == 0
    assert report.by_channel == ()
    assert report.days == 30
    assert report.in_time_rate is None
    assert report.satisfied_rate is None


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"now": _dt.datetime(2026, 3, 10)}, NaiveDatetime),
        ({"now": "2026-03-10"}, ValidationError),
        ({"days": 0}, ValidationError),
        ({"days": 367}, ValidationError),
        ({"days": True}, ValidationError),
        ({"zone": "Mars/Olympus"}, ValidationError),
        ({"calendar": "shop"}, ValidationError),
        ({"records": ["FB-1"]}, ValidationError),
        ({"records": 3}, ValidationError),
        ({"records": [new_record(), new_record()]}, ValidationError),
    ],
)
def test_bad_arguments_are_refused(kwargs: dict[str, object], error: type[Exception]) -> None:
    """Each bad argument raises a library error."""
    args: dict[str, object] = {
        "records": [],
        "calendar": CALENDAR,
        "now": sh(2026, 3, 10),
        "zone": ZONE,
        **kwargs,
    }
    records_ = args.pop("records")
    calendar = args.pop("calendar")
    with pytest.raises(error):
        feedback_report(records_, calendar, **args)  # type: ignore[arg-type]


@settings(max_examples=40, deadline=None)
@given(
    found=st.lists(records(), max_size=5),
    now_days=st.integers(0, 40),
    days=st.integers(1, 40),
)
def test_the_figures_agree_with_each_other(
    found: list[FeedbackRecord], now_days: int, days: int
) -> None:
    """Whatever the records: the breakdowns add up, parts never exceed wholes, rates are the
    counts' ratios, and the order of the records does not matter."""
    unique = list({r.id: r for r in found}.values())
    now = sh(2026, 3, 2) + now_days * DAY
    report = feedback_report(unique, CALENDAR, now=now, zone=ZONE, days=days)
    assert sum(n for _, n in report.by_channel) == report.received
    assert sum(n for _, n in report.by_kind) + report.unclassified == report.received
    assert sum(n for _, n in report.by_sentiment) <= report.received
    assert report.answered_in_time <= report.answered <= report.answers_decided <= report.received
    assert report.revisits_reached <= report.revisits_done <= report.revisits_decided
    assert report.revisits_decided <= report.revisits_scheduled
    assert report.revisited_on_time <= report.revisits_done
    if report.answers_decided:
        assert report.in_time_rate == Rate(report.answered_in_time, report.answers_decided)
    else:
        assert report.in_time_rate is None
    if report.answer_median is not None:
        assert report.answer_p90 is not None
        assert report.answer_median <= report.answer_p90
    again = feedback_report(list(reversed(unique)), CALENDAR, now=now, zone=ZONE, days=days)
    assert again == report
