"""The feedback policy: answer targets on the working calendar, revisit schedules, and the
checks that refuse a malformed policy."""

from __future__ import annotations

import datetime as _dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecservice.complaints import TimeBasis
from ecservice.errors import NaiveDatetime, ValidationError
from ecservice.feedback import (
    MAX_FEEDBACK_DURATION,
    MAX_REVISITS,
    FeedbackPolicy,
    InvalidFeedbackPolicy,
    RevisitAnchor,
    RevisitOffset,
    ScheduledRevisit,
)
from tests.feedback.rig import CALENDAR, POLICY, sh

DAY = _dt.timedelta(days=1)
HOUR = _dt.timedelta(hours=1)


def test_the_shop_default_states_its_numbers_and_source() -> None:
    """One working day to answer; 3 and 30 days after delivery and after a case closes."""
    assert POLICY.answer_within == DAY
    assert POLICY.answer_basis is TimeBasis.WORKING_DAYS
    assert [(r.anchor, r.after) for r in POLICY.revisits] == [
        (RevisitAnchor.DELIVERY, 3 * DAY),
        (RevisitAnchor.DELIVERY, 30 * DAY),
        (RevisitAnchor.CASE_CLOSED, 3 * DAY),
        (RevisitAnchor.CASE_CLOSED, 30 * DAY),
    ]
    assert "no law or platform rule" in POLICY.source


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (sh(2026, 3, 2, 10), sh(2026, 3, 3, 18)),  # Monday: the close of Tuesday
        (sh(2026, 3, 6, 17), sh(2026, 3, 9, 18)),  # Friday: the close of Monday
        (sh(2026, 3, 7, 11), sh(2026, 3, 9, 18)),  # Saturday: the close of Monday
        (sh(2026, 4, 30, 12), sh(2026, 5, 6, 18)),  # before Labour Day: after the holiday
    ],
)
def test_the_answer_is_due_by_the_close_of_the_next_working_day(
    received: _dt.datetime, due: _dt.datetime
) -> None:
    """1 working day counted as Chinese law counts working days (Civil Code art. 201, 203)."""
    assert POLICY.answer_due(received, CALENDAR) == due


def test_business_hours_answer_target() -> None:
    """A 4-working-hour target set at 16:00 on Monday is due at 11:00 on Tuesday."""
    policy = FeedbackPolicy("fast", "test", answer_within=4 * HOUR, answer_basis=TimeBasis.BUSINESS)
    assert policy.answer_due(sh(2026, 3, 2, 16), CALENDAR) == sh(2026, 3, 3, 11)


def test_answer_due_refuses_bad_input() -> None:
    """Naive instants and calendars of the wrong type raise library errors."""
    with pytest.raises(NaiveDatetime):
        POLICY.answer_due(_dt.datetime(2026, 3, 2, 10), CALENDAR)
    with pytest.raises(ValidationError, match="WorkingCalendar"):
        POLICY.answer_due(sh(2026, 3, 2, 10), "calendar")  # type: ignore[arg-type]


def test_schedule_orders_by_due_instant_and_skips_the_past() -> None:
    """Revisits anchored on the delivery and on the case's close interleave by due instant;
    those due before the floor are left out; each deadline is after its due instant."""
    anchors = {
        RevisitAnchor.DELIVERY: sh(2026, 3, 1, 12),
        RevisitAnchor.CASE_CLOSED: sh(2026, 3, 10, 12),
    }
    found = POLICY.schedule(anchors, CALENDAR, not_before=sh(2026, 3, 5))
    assert [(r.anchor, r.after) for r in found] == [
        (RevisitAnchor.CASE_CLOSED, 3 * DAY),
        (RevisitAnchor.DELIVERY, 30 * DAY),
        (RevisitAnchor.CASE_CLOSED, 30 * DAY),
    ]
    assert found[0].due_at == sh(2026, 3, 13, 12)
    assert found[0].deadline == sh(2026, 3, 16, 18)  # the close of the next working day
    assert all(r.deadline >= r.due_at for r in found)
    with pytest.raises(ValidationError, match="RevisitAnchor"):
        POLICY.schedule({"delivery": sh(2026, 3, 1)}, CALENDAR, not_before=sh(2026, 3, 1))  # type: ignore[dict-item]
    with pytest.raises(ValidationError, match="mapping"):
        POLICY.schedule([], CALENDAR, not_before=sh(2026, 3, 1))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"answer_within": _dt.timedelta(0)}, "above zero"),
        ({"answer_within": MAX_FEEDBACK_DURATION + DAY}, "at most"),
        ({"answer_within": 1}, "timedelta"),
        ({"answer_within": 36 * HOUR}, "whole number of days"),
        ({"answer_basis": "working_days"}, "TimeBasis"),
        ({"revisit_grace": -DAY}, "above zero"),
        ({"revisit_basis": None}, "TimeBasis"),
        ({"revisits": [RevisitOffset(RevisitAnchor.ANSWERED, DAY)] * 2}, "twice"),
        ({"revisits": ["3 days"]}, "RevisitOffset"),
        ({"revisits": "3 days"}, "RevisitOffset"),
        (
            {
                "revisits": [
                    RevisitOffset(RevisitAnchor.ANSWERED, (i + 1) * DAY)
                    for i in range(MAX_REVISITS + 1)
                ]
            },
            "at most",
        ),
        ({"name": " padded"}, "white space"),
        ({"source": ""}, "source"),
    ],
)
def test_a_malformed_policy_is_refused(kwargs: dict[str, Any], words: str) -> None:
    """Each malformed field raises InvalidFeedbackPolicy naming the rule."""
    fields: dict[str, Any] = {"name": "p", "source": "test", **kwargs}
    with pytest.raises(InvalidFeedbackPolicy, match=words):
        FeedbackPolicy(**fields)


def test_a_malformed_offset_is_refused() -> None:
    """Anchors, bases and durations of offsets are checked."""
    with pytest.raises(InvalidFeedbackPolicy, match="RevisitAnchor"):
        RevisitOffset("delivery", DAY)  # type: ignore[arg-type]
    with pytest.raises(InvalidFeedbackPolicy, match="TimeBasis"):
        RevisitOffset(RevisitAnchor.DELIVERY, DAY, "calendar")  # type: ignore[arg-type]
    with pytest.raises(InvalidFeedbackPolicy, match="whole number"):
        RevisitOffset(RevisitAnchor.DELIVERY, 30 * HOUR, TimeBasis.WORKING_DAYS)
    assert issubclass(InvalidFeedbackPolicy, ValidationError)


def test_a_scheduled_revisit_checks_its_instants() -> None:
    """A deadline before the due instant, a bad anchor or offset is refused."""
    at = sh(2026, 3, 2, 10)
    with pytest.raises(ValidationError, match="deadline"):
        ScheduledRevisit(anchor=RevisitAnchor.DELIVERY, after=DAY, due_at=at, deadline=at - HOUR)
    with pytest.raises(ValidationError, match="anchor"):
        ScheduledRevisit(anchor="x", after=DAY, due_at=at, deadline=at)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="above zero"):
        ScheduledRevisit(anchor=RevisitAnchor.DELIVERY, after=-DAY, due_at=at, deadline=at)
    with pytest.raises(NaiveDatetime):
        ScheduledRevisit(
            anchor=RevisitAnchor.DELIVERY,
            after=DAY,
            due_at=_dt.datetime(2026, 3, 2),
            deadline=at,
        )


@settings(max_examples=60, deadline=None)
@given(
    received=st.datetimes(min_value=_dt.datetime(2026, 1, 1), max_value=_dt.datetime(2026, 12, 20)),
    days=st.integers(1, 5),
)
def test_the_answer_due_is_a_close_of_business_after_the_receipt(
    received: _dt.datetime, days: int
) -> None:
    """Whatever the receipt, the due instant is after it, on a working day, at the end of a
    working interval, and the due day is ``days`` working days after the receipt's day."""
    at = received.replace(tzinfo=_dt.UTC)
    policy = FeedbackPolicy("p", "test", answer_within=days * DAY)
    due = policy.answer_due(at, CALENDAR)
    assert due > at
    local = due.in_tz("Asia/Shanghai").date()
    assert CALENDAR.is_working_day(local)
    assert due == CALENDAR.working_intervals(local)[-1][1]
    start = _dt.datetime.fromtimestamp(at.timestamp(), tz=_dt.UTC)
    day = start.astimezone(_dt.timezone(_dt.timedelta(hours=8))).date()
    between = 0
    while day < local:
        day += DAY
        between += CALENDAR.is_working_day(day)
    assert between == days
