"""Invariants of records after random valid paths and of schedules for random anchors."""

from __future__ import annotations

import datetime as _dt

from hypothesis import given, settings
from hypothesis import strategies as st

from ecservice.feedback import FeedbackRecord, FeedbackStatus, RevisitAnchor
from tests.feedback.rig import CALENDAR, POLICY, rebuilt, records, sh

S = FeedbackStatus


@settings(max_examples=80, deadline=None)
@given(record=records())
def test_a_record_agrees_with_its_history(record: FeedbackRecord) -> None:
    """Whatever the path: it rebuilds equal (the storage path); lateness is the due instant
    exactly when the answer came late or the timer marked it; revisits follow the schedule."""
    assert rebuilt(record) == record
    assert record.version == len(record.history)
    answered = record.answered_at
    marked = any(e.trigger == "mark_overdue" for e in record.history)
    late = marked or (answered is not None and answered > record.answer_due_at)
    assert record.overdue_at == (record.answer_due_at if late else None)
    if answered is not None:
        assert record.answered_in_time is (answered <= record.answer_due_at)
    assert len(record.revisits) == len(record.revisit_times) <= len(record.schedule)
    assert [r.due_at for r in record.schedule] == sorted(r.due_at for r in record.schedule)
    assert (record.status is S.REVISITED) is (
        bool(record.schedule) and len(record.revisits) == len(record.schedule) and record.is_open
    )
    due = record.next_due()
    if due is not None:
        assert record.is_open
        assert due in (record.answer_due_at, *(r.due_at for r in record.schedule)) or due in {
            r.deadline for r in record.schedule
        }


@settings(max_examples=60, deadline=None)
@given(
    delivered=st.integers(0, 60 * 24),
    closed=st.one_of(st.none(), st.integers(0, 60 * 24)),
    floor=st.integers(0, 60 * 24),
)
def test_a_schedule_is_ordered_and_never_in_the_past(
    delivered: int, closed: int | None, floor: int
) -> None:
    """For any anchors: revisits fall due in order, none before the floor, each deadline at or
    after its due instant, only known anchors used."""
    start = sh(2026, 3, 1)
    anchors = {RevisitAnchor.DELIVERY: start + _dt.timedelta(hours=delivered)}
    if closed is not None:
        anchors[RevisitAnchor.CASE_CLOSED] = start + _dt.timedelta(hours=closed)
    not_before = start + _dt.timedelta(hours=floor)
    found = POLICY.schedule(anchors, CALENDAR, not_before=not_before)
    assert [r.due_at for r in found] == sorted(r.due_at for r in found)
    assert all(r.due_at >= not_before for r in found)
    assert all(r.deadline >= r.due_at for r in found)
    assert {r.anchor for r in found} <= set(anchors)
    expected = sum(
        1
        for offset in POLICY.revisits
        if offset.anchor in anchors and anchors[offset.anchor] + offset.after >= not_before
    )
    assert len(found) == expected
