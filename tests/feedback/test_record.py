"""The feedback record's paths and refusals, one by one.

Each test names what it proves; every refused call is checked to raise a specific library error
and to leave the record exactly as it was.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from typing import Any

import attrs
import pytest

from ecservice.clock import FixedClock
from ecservice.errors import (
    EcServiceError,
    GuardRejected,
    InvalidTransition,
    NaiveDatetime,
    PolicyViolation,
    ValidationError,
)
from ecservice.feedback import (
    FEEDBACK_TIMER_ID,
    FEEDBACK_WORKFLOW,
    FeedbackAnswered,
    FeedbackAnswerOverdue,
    FeedbackChannel,
    FeedbackClosed,
    FeedbackKind,
    FeedbackPolicy,
    FeedbackRead,
    FeedbackRecord,
    FeedbackRecorded,
    FeedbackRevisited,
    FeedbackStatus,
    RevisitAnchor,
    RevisitOffset,
    RevisitOutcome,
    RevisitsScheduled,
    Sentiment,
)
from ecservice.workflow import Actor
from tests.feedback.rig import (
    AGENT,
    CALENDAR,
    DUE,
    POLICY,
    START,
    answered,
    new_record,
    rebuilt,
    recorded,
    sh,
    snapshot,
)

S = FeedbackStatus
DAY = _dt.timedelta(days=1)


def refused(record: FeedbackRecord, error: type[EcServiceError], call: Callable[[], Any]) -> str:
    """Run ``call``, expect ``error``, check nothing changed; return the message."""
    before = snapshot(record)
    with pytest.raises(error) as info:
        call()
    assert snapshot(record) == before
    return str(info.value)


def test_every_trigger_has_a_typed_method() -> None:
    """Each trigger of the default workflow is a method with an actor and annotations."""
    import inspect

    for name in FEEDBACK_WORKFLOW.triggers:
        method = getattr(FeedbackRecord, name)
        assert inspect.isfunction(method), name
        hints = inspect.get_annotations(method)
        assert "return" in hints
        assert "actor" in inspect.signature(method).parameters


def test_labels_are_english_and_chinese() -> None:
    """States, channels and kinds carry both labels."""
    assert [s.label_zh for s in S] == [
        "待阅读",
        "已阅读",
        "已记录",
        "已答复",
        "待回访",
        "已回访",
        "已关闭",
    ]
    assert [c.value for c in FeedbackChannel] == [
        "questionnaire",
        "community",
        "chat",
        "phone",
        "email",
    ]
    assert [k.label_zh for k in FeedbackKind] == ["建议", "表扬", "问题", "疑问"]


def test_the_loop_read_record_answer_revisit_close() -> None:
    """The documented path, its events and a record that rebuilds equal at every step."""
    clock = FixedClock(START)
    record = new_record(clock=clock)
    assert record.status is S.RECEIVED
    assert record.is_open
    assert not record.is_answered
    record.read(actor=AGENT)
    assert record.read_at == START
    record.record(
        kind=FeedbackKind.PROBLEM,
        sentiment=Sentiment.NEGATIVE,
        summary="The lid does not close.",
        actor=AGENT,
        case_id="AS-9",
        complaint_id="TS-3",
    )
    assert (record.kind, record.sentiment, record.case_id, record.complaint_id) == (
        FeedbackKind.PROBLEM,
        Sentiment.NEGATIVE,
        "AS-9",
        "TS-3",
    )
    assert record.order_id == "O-1"  # a link left None keeps its value
    clock.set(sh(2026, 3, 3, 11))
    record.answer(message="We send a new lid.", actor=AGENT)
    assert record.answered_at == sh(2026, 3, 3, 11)
    assert record.answered_in_time is True
    assert record.overdue_at is None
    record.schedule_revisits(
        policy=POLICY, calendar=CALENDAR, actor=AGENT, case_closed_at=sh(2026, 3, 3, 11)
    )
    assert [(r.anchor, r.after) for r in record.schedule] == [
        (RevisitAnchor.CASE_CLOSED, 3 * DAY),
        (RevisitAnchor.CASE_CLOSED, 30 * DAY),
    ]
    assert record.status is S.REVISIT_SCHEDULED
    clock.set(sh(2026, 3, 6, 12))
    record.revisit(reached=True, satisfied=True, note="The lid fits.", actor=AGENT)
    assert record.status is S.REVISIT_SCHEDULED
    assert len(record.pending_revisits) == 1
    clock.set(sh(2026, 4, 2, 12))
    record.revisit(reached=False, note="two calls", actor=AGENT)
    assert record.status is S.REVISITED
    assert record.pending_revisits == ()
    record.close(actor=AGENT)
    assert record.status is S.CLOSED
    assert not record.is_open
    assert record.is_final
    assert record.revisit_times == (sh(2026, 3, 6, 12), sh(2026, 4, 2, 12))
    events = record.pull_events()
    assert [type(e) for e in events] == [
        FeedbackRead,
        FeedbackRecorded,
        FeedbackAnswered,
        RevisitsScheduled,
        FeedbackRevisited,
        FeedbackRevisited,
        FeedbackClosed,
    ]
    assert isinstance(events[-1], FeedbackClosed)
    assert events[-1].revisits_left == 0
    assert rebuilt(record) == record
    assert record.allowed_triggers() == ()


def test_receive_computes_the_answer_due_on_the_working_calendar() -> None:
    """Friday 17:00 feedback is due at the close of the next working day, Monday 18:00."""
    clock = FixedClock(sh(2026, 3, 6, 17))
    record = FeedbackRecord.receive(
        id="FB-9",
        customer_id="c-9",
        text="Where is my invoice?",
        channel=FeedbackChannel.EMAIL,
        policy=POLICY,
        calendar=CALENDAR,
        clock=clock,
        kind=FeedbackKind.QUESTION,
    )
    assert record.received_at == sh(2026, 3, 6, 17)
    assert record.answer_due_at == sh(2026, 3, 9, 18)
    assert record.kind is FeedbackKind.QUESTION
    with pytest.raises(ValidationError, match="FeedbackPolicy"):
        FeedbackRecord.receive(
            id="FB-9",
            customer_id="c-9",
            text="x",
            channel=FeedbackChannel.EMAIL,
            policy="1 day",  # type: ignore[arg-type]
            calendar=CALENDAR,
            clock=clock,
        )


def test_an_answer_after_its_due_instant_is_late_from_that_instant() -> None:
    """Answered two days late: ``overdue_at`` is the due instant, not the answer's."""
    clock = FixedClock(START)
    record = recorded(new_record(clock=clock))
    clock.set(DUE + 2 * DAY)
    record.answer(message="Sorry for the wait.", actor=AGENT)
    assert record.overdue_at == DUE
    assert record.answered_in_time is False
    events = record.pull_events()
    overdue = [e for e in events if isinstance(e, FeedbackAnswerOverdue)]
    assert len(overdue) == 1
    assert overdue[0].due_at == DUE
    answers = [e for e in events if isinstance(e, FeedbackAnswered)]
    assert answers[0].late is True
    assert rebuilt(record) == record


def test_an_answer_at_the_due_instant_is_in_time() -> None:
    """The due instant itself is still in time."""
    clock = FixedClock(START)
    record = recorded(new_record(clock=clock))
    clock.set(DUE)
    record.answer(message="Here is the answer.", actor=AGENT)
    assert record.overdue_at is None
    assert record.answered_in_time is True


def test_the_timer_marks_late_at_or_after_the_due_instant_once() -> None:
    """``mark_overdue`` is refused before the due instant and a second time; it sets the due
    instant; a later answer emits no second lateness."""
    clock = FixedClock(START)
    record = new_record(clock=clock)
    clock.set(DUE - _dt.timedelta(microseconds=1))
    assert not record.can("mark_overdue")
    refused(record, PolicyViolation, record.mark_overdue)
    clock.set(DUE)
    assert record.can("mark_overdue")
    record.mark_overdue()
    assert record.history[-1].actor == Actor.system(FEEDBACK_TIMER_ID)
    assert record.status is S.RECEIVED
    assert record.overdue_at == DUE
    assert record.answered_in_time is False
    msg = refused(record, PolicyViolation, record.mark_overdue)
    assert "once" in msg
    recorded(record)
    record.pull_events()
    clock.set(DUE + DAY)
    record.answer(message="Late, sorry.", actor=AGENT)
    assert not any(isinstance(e, FeedbackAnswerOverdue) for e in record.pull_events())
    refused(record, InvalidTransition, record.mark_overdue)
    assert rebuilt(record) == record


def test_next_due_follows_the_answer_then_the_revisits() -> None:
    """The timer instant: the answer's due instant (also once past, until marked), nothing
    while answered, each revisit's due instant then its deadline, nothing once late or closed."""
    clock = FixedClock(START)
    record = new_record(clock=clock)
    assert record.next_due() == DUE
    assert record.next_due(DUE + DAY) == DUE  # past: fire at once
    clock.set(DUE + DAY)
    record.mark_overdue()
    assert record.next_due() is None
    answered(record)
    assert record.next_due() is None
    record.schedule_revisits(
        policy=POLICY, calendar=CALENDAR, actor=AGENT, delivered_at=clock.now()
    )
    first = record.schedule[0]
    assert record.next_due(first.due_at - DAY) == first.due_at
    assert record.next_due(first.due_at) == first.deadline
    assert record.next_due(first.deadline) is None
    with pytest.raises(NaiveDatetime):
        record.next_due(_dt.datetime(2026, 3, 1))


def test_schedule_revisits_anchors_and_refusals() -> None:
    """Anchors need their link and must have happened; offsets due before now are left out;
    a policy with nothing due is refused."""
    clock = FixedClock(START)
    record = answered(new_record(clock=clock, order_id=None))
    msg = refused(
        record,
        ValidationError,
        lambda: record.schedule_revisits(
            policy=POLICY, calendar=CALENDAR, actor=AGENT, delivered_at=START
        ),
    )
    assert "order_id" in msg
    refused(
        record,
        ValidationError,
        lambda: record.schedule_revisits(
            policy=POLICY, calendar=CALENDAR, actor=AGENT, case_closed_at=START
        ),
    )
    refused(
        record,
        ValidationError,
        lambda: record.schedule_revisits(policy="shop", calendar=CALENDAR, actor=AGENT),  # type: ignore[arg-type]
    )
    refused(
        record,
        ValidationError,
        lambda: record.schedule_revisits(policy=POLICY, calendar=None, actor=AGENT),  # type: ignore[arg-type]
    )
    # the shop default has no revisit anchored on the answer: nothing to schedule
    msg = refused(
        record,
        PolicyViolation,
        lambda: record.schedule_revisits(policy=POLICY, calendar=CALENDAR, actor=AGENT),
    )
    assert "close the record instead" in msg
    linked = answered(new_record(clock=clock, id="FB-2"))
    refused(
        linked,
        ValidationError,
        lambda: linked.schedule_revisits(
            policy=POLICY, calendar=CALENDAR, actor=AGENT, delivered_at=START + DAY
        ),
    )
    refused(
        linked,
        NaiveDatetime,
        lambda: linked.schedule_revisits(
            policy=POLICY,
            calendar=CALENDAR,
            actor=AGENT,
            delivered_at=_dt.datetime(2026, 3, 1),
        ),
    )
    # delivered 10 days ago: the 3-day revisit has passed, the 30-day one is kept
    linked.schedule_revisits(
        policy=POLICY, calendar=CALENDAR, actor=AGENT, delivered_at=START - 10 * DAY
    )
    assert [r.after for r in linked.schedule] == [30 * DAY]


def test_a_revisit_is_on_time_by_its_deadline_and_late_after() -> None:
    """The event says whether each revisit was on time; early counts as on time."""
    clock = FixedClock(START)
    policy = FeedbackPolicy(
        "answer+1",
        "test",
        revisits=[
            RevisitOffset(RevisitAnchor.ANSWERED, DAY),
            RevisitOffset(RevisitAnchor.ANSWERED, 2 * DAY),
        ],
    )
    record = answered(new_record(clock=clock))
    record.schedule_revisits(policy=policy, calendar=CALENDAR, actor=AGENT)
    first, second = record.schedule
    assert first.due_at == START + DAY
    record.pull_events()
    record.revisit(reached=True, actor=AGENT)  # early
    clock.set(second.deadline + _dt.timedelta(microseconds=1))
    record.revisit(reached=True, satisfied=False, actor=AGENT)
    flags = [e.on_time for e in record.pull_events() if isinstance(e, FeedbackRevisited)]
    assert flags == [True, False]


def test_refusals_change_nothing() -> None:
    """Wrong states, bad arguments and actors raise library errors and leave the record."""
    clock = FixedClock(START)
    record = new_record(clock=clock)
    refused(record, InvalidTransition, lambda: record.answer(message="hi", actor=AGENT))
    refused(record, InvalidTransition, lambda: record.close(actor=AGENT))
    refused(record, ValidationError, lambda: record.read(actor="agent"))  # type: ignore[arg-type]
    record.read(actor=AGENT)
    refused(
        record,
        ValidationError,
        lambda: record.record(
            kind="problem",  # type: ignore[arg-type]
            sentiment=Sentiment.NEGATIVE,
            summary="x",
            actor=AGENT,
        ),
    )
    refused(
        record,
        ValidationError,
        lambda: record.record(
            kind=FeedbackKind.PROBLEM, sentiment=Sentiment.NEGATIVE, summary="  ", actor=AGENT
        ),
    )
    refused(
        record,
        ValidationError,
        lambda: record.record(
            kind=FeedbackKind.PROBLEM,
            sentiment=Sentiment.NEGATIVE,
            summary="x",
            order_id="O\u202e1",
            actor=AGENT,
        ),
    )
    assert not record.can("record", kind=FeedbackKind.PROBLEM, sentiment=Sentiment.NEGATIVE)
    record.record(kind=FeedbackKind.PROBLEM, sentiment=Sentiment.NEGATIVE, summary="x", actor=AGENT)
    refused(record, ValidationError, lambda: record.answer(message="", actor=AGENT))
    record.answer(message="ok", actor=AGENT)
    refused(record, InvalidTransition, lambda: record.revisit(reached=True, actor=AGENT))


def test_revisit_outcome_rules() -> None:
    """Satisfaction is for reached customers only; types are strict."""
    with pytest.raises(ValidationError, match="did not reach"):
        RevisitOutcome(reached=False, satisfied=True)
    with pytest.raises(ValidationError):
        RevisitOutcome(reached=1)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        RevisitOutcome(reached=True, satisfied=1)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        RevisitOutcome(reached=True, note=" padded ")
    assert RevisitOutcome(reached=True).satisfied is None
    clock = FixedClock(START)
    policy = FeedbackPolicy("p", "test", revisits=[RevisitOffset(RevisitAnchor.ANSWERED, DAY)])
    record = answered(new_record(clock=clock))
    record.schedule_revisits(policy=policy, calendar=CALENDAR, actor=AGENT)
    refused(
        record, ValidationError, lambda: record.revisit(reached=False, satisfied=True, actor=AGENT)
    )


def test_closing_with_revisits_left_needs_a_note() -> None:
    """A record closed before its revisits says why; the event counts those left."""
    clock = FixedClock(START)
    policy = FeedbackPolicy("p", "test", revisits=[RevisitOffset(RevisitAnchor.ANSWERED, DAY)])
    record = answered(new_record(clock=clock))
    record.schedule_revisits(policy=policy, calendar=CALENDAR, actor=AGENT)
    msg = refused(record, ValidationError, lambda: record.close(actor=AGENT))
    assert "note" in msg
    record.pull_events()
    record.close(actor=AGENT, note="The customer asked not to be called.")
    closed = record.pull_events()[-1]
    assert isinstance(closed, FeedbackClosed)
    assert closed.revisits_left == 1
    assert record.pending_revisits == ()
    assert rebuilt(record) == record


def test_an_answered_record_closes_without_revisits() -> None:
    """Praise answered needs no revisit."""
    record = answered(new_record())
    record.close(actor=AGENT)
    assert record.status is S.CLOSED
    assert record.schedule == ()


def test_a_clock_before_the_receipt_is_refused() -> None:
    """No transition is recorded before the record was received."""
    clock = FixedClock(START - DAY)
    record = new_record(clock=clock)
    refused(record, ValidationError, lambda: record.read(actor=AGENT))


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"answer_due_at": START - DAY}, "before it was"),
        ({"summary": "made up"}, "cannot have summary"),
        ({"answer_text": "made up"}, "cannot have answer_text"),
        ({"overdue_at": DUE}, "cannot have overdue_at"),
        ({"channel": "chat"}, "FeedbackChannel"),
        ({"kind": "praise"}, "FeedbackKind"),
        ({"order_id": " O-1"}, "white space"),
        ({"schedule": "soon"}, "sequence"),
        ({"revisits": [RevisitOutcome(reached=True)]}, "revisit outcome"),
        ({"customer_id": ""}, "customer_id"),
    ],
)
def test_the_constructor_refuses_fields_that_disagree(change: dict[str, Any], words: str) -> None:
    """What storage hands back is checked against the state and the history."""
    with pytest.raises(ValidationError, match=words):
        new_record(**change)


def test_the_constructor_checks_the_steps_against_the_history() -> None:
    """A recorded record needs its summary, an answered one its answer and so on."""
    record = answered(new_record())
    fields = {**snapshot(record)}
    fields.pop("events")
    fields.pop("_firing", None)
    fields.pop("_events", None)
    with pytest.raises(ValidationError, match="needs answer_text"):
        FeedbackRecord(**{**fields, "answer_text": None})
    with pytest.raises(ValidationError, match="needs summary"):
        FeedbackRecord(**{**fields, "summary": None})
    with pytest.raises(ValidationError, match="kind and sentiment"):
        FeedbackRecord(**{**fields, "kind": None})
    with pytest.raises(ValidationError, match="overdue_at is the answer's due instant"):
        FeedbackRecord(**{**fields, "overdue_at": DUE + DAY})


def test_a_schedule_with_a_revisit_due_before_its_scheduling_is_refused() -> None:
    """Storage cannot hand back a revisit due before the moment it was scheduled."""
    clock = FixedClock(START)
    policy = FeedbackPolicy("p", "test", revisits=[RevisitOffset(RevisitAnchor.ANSWERED, DAY)])
    record = answered(new_record(clock=clock))
    record.schedule_revisits(policy=policy, calendar=CALENDAR, actor=AGENT)
    fields = {f: getattr(record, f) for f in snapshot(record) if f not in ("events", "_firing")}
    fields.pop("_events", None)
    early = attrs.evolve(record.schedule[0], due_at=START - DAY)
    with pytest.raises(ValidationError, match="due before it"):
        FeedbackRecord(**{**fields, "schedule": (early,), "clock": clock})


def test_only_service_staff_handle_feedback_and_timers_mark_it_late() -> None:
    """The customer who gave the feedback, another buyer and a carrier cannot read, record,
    answer, revisit or close it (GuardRejected naming who may, nothing changed); a system job
    cannot read or answer it but may mark it late and schedule revisits, as staff may."""
    clock = FixedClock(START)
    record = new_record(clock=clock)
    outsiders = (Actor.buyer("c-1"), Actor.buyer("someone-else"), Actor.carrier("sf"))
    for who in (*outsiders, Actor.system("job")):
        message = refused(record, GuardRejected, lambda who=who: record.read(actor=who))
        assert "service staff" in message
        assert not record.can("read", actor=who)
    record.read(actor=AGENT)
    for who in outsiders:
        refused(
            record,
            GuardRejected,
            lambda who=who: record.record(
                kind=FeedbackKind.SUGGESTION, sentiment=Sentiment.NEUTRAL, summary="x", actor=who
            ),
        )
    record.record(
        kind=FeedbackKind.SUGGESTION, sentiment=Sentiment.NEUTRAL, summary="x", actor=AGENT
    )
    clock.set(DUE)
    for who in outsiders:
        refused(record, GuardRejected, lambda who=who: record.answer(message="hi", actor=who))
        message = refused(record, GuardRejected, lambda who=who: record.mark_overdue(actor=who))
        assert "timers" in message
    record.mark_overdue(actor=Actor.system("job"))
    refused(record, GuardRejected, lambda: record.answer(message="hi", actor=Actor.system("job")))
    record.answer(message="Thank you.", actor=AGENT)
    for who in outsiders:
        refused(
            record,
            GuardRejected,
            lambda who=who: record.schedule_revisits(
                policy=POLICY, calendar=CALENDAR, actor=who, delivered_at=clock.now()
            ),
        )
        refused(record, GuardRejected, lambda who=who: record.close(actor=who))
    record.schedule_revisits(
        policy=POLICY, calendar=CALENDAR, actor=Actor.system("job"), delivered_at=clock.now()
    )
    for who in (*outsiders, Actor.system("job")):
        refused(record, GuardRejected, lambda who=who: record.revisit(reached=True, actor=who))
    assert [r.actor.kind.value for r in record.history] == [
        "staff",
        "staff",
        "system",
        "staff",
        "system",
    ]


def test_the_actor_guards_are_data_of_the_workflow() -> None:
    """Who may act is declared on the default workflow's transitions (as guards a derived
    workflow keeps with the transitions it keeps): staff for the loop's steps."""
    from ecservice.feedback._workflow import by_service_staff

    guarded = [t for t in FEEDBACK_WORKFLOW.transitions if by_service_staff in t.conditions]
    assert {t.trigger for t in guarded} == {"read", "record", "answer", "revisit", "close"}
