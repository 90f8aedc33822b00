"""The feedback API's static types, checked by ``mypy --strict tests/typing`` (and run by
pytest): typed trigger methods and results, the policy's answers, the report, and a shop's own
feedback workflow bound to a subclass."""

from __future__ import annotations

import datetime as _dt
from typing import assert_type

import attrs
import pendulum
from pendulum import DateTime

from ecservice.aftersales import Rate
from ecservice.calendar import ShopCalendar
from ecservice.clock import FixedClock
from ecservice.feedback import (
    FEEDBACK_WORKFLOW,
    FeedbackChannel,
    FeedbackKind,
    FeedbackPolicy,
    FeedbackRecord,
    FeedbackReport,
    FeedbackStatus,
    RevisitAnchor,
    RevisitOffset,
    RevisitOutcome,
    ScheduledRevisit,
    Sentiment,
    feedback_report,
)
from ecservice.workflow import (
    Actor,
    TransitionRecord,
    Workflow,
    bind_workflow,
    transition,
    trigger,
)

START = pendulum.datetime(2026, 3, 2, 2, tz="UTC")
AGENT = Actor.staff("kefu-1")
CALENDAR = ShopCalendar()
POLICY = FeedbackPolicy(
    "typing", "test", revisits=[RevisitOffset(RevisitAnchor.ANSWERED, _dt.timedelta(days=1))]
)


def new_record(cls: type[FeedbackRecord] = FeedbackRecord) -> FeedbackRecord:
    return cls.receive(
        id="FB-1",
        customer_id="c-1",
        text="Loud kettle.",
        channel=FeedbackChannel.CHAT,
        policy=POLICY,
        calendar=CALENDAR,
        clock=FixedClock(START),
    )


def test_record_types() -> None:
    record = new_record()
    assert_type(record.status, FeedbackStatus)
    assert_type(record.answer_due_at, DateTime)
    assert_type(record.next_due(), DateTime | None)
    assert_type(record.read(actor=AGENT), TransitionRecord)
    assert_type(
        record.record(
            kind=FeedbackKind.PRAISE, sentiment=Sentiment.POSITIVE, summary="ok", actor=AGENT
        ),
        TransitionRecord,
    )
    assert_type(record.answer(message="Thanks.", actor=AGENT), TransitionRecord)
    assert_type(record.answered_at, DateTime | None)
    assert_type(record.answered_in_time, bool | None)
    assert_type(
        record.schedule_revisits(policy=POLICY, calendar=CALENDAR, actor=AGENT), TransitionRecord
    )
    assert_type(record.schedule, tuple[ScheduledRevisit, ...])
    assert_type(record.revisit(reached=True, satisfied=True, actor=AGENT), TransitionRecord)
    assert_type(record.revisits, tuple[RevisitOutcome, ...])
    assert_type(record.close(actor=AGENT), TransitionRecord)
    assert record.status is FeedbackStatus.CLOSED


def test_policy_and_report_types() -> None:
    assert_type(POLICY.answer_due(START, CALENDAR), DateTime)
    assert_type(
        POLICY.schedule({RevisitAnchor.ANSWERED: START}, CALENDAR, not_before=START),
        tuple[ScheduledRevisit, ...],
    )
    report = feedback_report([new_record()], CALENDAR, now=START, zone="Asia/Shanghai")
    assert_type(report, FeedbackReport)
    assert_type(report.in_time_rate, Rate | None)
    assert_type(report.answer_median, _dt.timedelta | None)
    assert_type(report.by_kind, tuple[tuple[FeedbackKind, int], ...])


# A shop's own feedback workflow: unread spam is dismissed, bound to a subclass.
DISMISSABLE: Workflow[FeedbackRecord] = FEEDBACK_WORKFLOW.derive(
    "feedback-dismissable",
    add_transitions=[
        transition("dismiss", [FeedbackStatus.RECEIVED, FeedbackStatus.READ], FeedbackStatus.CLOSED)
    ],
)


@attrs.define(slots=True, kw_only=True, on_setattr=attrs.setters.NO_OP)
class DismissableRecord(FeedbackRecord):
    """A record of the shop's workflow."""

    dismiss = trigger("dismiss")


bind_workflow(DismissableRecord, DISMISSABLE)


def test_a_custom_feedback_workflow_keeps_the_typed_methods() -> None:
    record = DismissableRecord.receive(
        id="FB-2",
        customer_id="c-2",
        text="Buy cheap watches!",
        channel=FeedbackChannel.COMMUNITY,
        policy=POLICY,
        calendar=CALENDAR,
        clock=FixedClock(START),
    )
    assert_type(record, DismissableRecord)
    assert_type(record.read(actor=AGENT), TransitionRecord)
    assert_type(record.dismiss(actor=AGENT, note="spam"), TransitionRecord)
    assert record.status is FeedbackStatus.CLOSED
