"""The complaint's paths and refusals, one by one.

Each test names what it proves; every refused call is checked to raise a specific library error
and to leave the complaint exactly as it was.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from typing import Any

import attrs
import pytest

from ecservice.aftersales import CaseStatus, Liability, ProblemCategory, ProblemKind, RemedyKind
from ecservice.clock import FixedClock
from ecservice.complaints import (
    CASE_ENDS,
    COMPLAINT_WORKFLOW,
    ESCALATION_LEVELS,
    MAX_ESCALATION_LEVEL,
    Complaint,
    ComplaintAnalysed,
    ComplaintCaseResolved,
    ComplaintCause,
    ComplaintChannel,
    ComplaintClosed,
    ComplaintEscalated,
    ComplaintFeedbackGiven,
    ComplaintFollowedUp,
    ComplaintJudged,
    ComplaintPaused,
    ComplaintPriority,
    ComplaintRecorded,
    ComplaintReopened,
    ComplaintReplied,
    ComplaintResumed,
    ComplaintSolution,
    ComplaintStatus,
    ComplaintValidity,
    ComplaintWithdrawn,
    FollowUpVisit,
    RootCause,
    ThirdParty,
)
from ecservice.errors import (
    EcServiceError,
    GuardRejected,
    InvalidQuantity,
    InvalidTransition,
    NaiveDatetime,
    PolicyViolation,
    ValidationError,
)
from tests.complaints.rig import (
    AGENT,
    BUYER,
    START,
    analysed,
    awaiting_case,
    closed,
    judged,
    new_complaint,
    recorded,
    replied,
    snapshot,
)

S = ComplaintStatus


def state(complaint: Complaint) -> ComplaintStatus:
    """The complaint's state, read anew (type checkers narrow ``complaint.status`` otherwise)."""
    return complaint.status


def waiting(
    complaint: Complaint,
) -> tuple[ComplaintStatus, ComplaintStatus | None, ThirdParty | None]:
    """The state, the step a wait left, and the third party awaited."""
    return (complaint.status, complaint.paused_from, complaint.waiting_for)


def refused(complaint: Complaint, error: type[EcServiceError], call: Callable[[], Any]) -> None:
    """``call`` raises ``error`` and changes nothing."""
    before = snapshot(complaint)
    with pytest.raises(error):
        call()
    assert snapshot(complaint) == before


# --- the default path --------------------------------------------------------------------------


def test_a_quality_complaint_goes_through_the_six_steps() -> None:
    """reply, record, judge, analyse, feedback naming a case, the case's end, follow-up: closed;
    each step emits its event and the fields keep what it recorded."""
    complaint = closed(new_complaint())
    assert complaint.status is S.CLOSED
    assert [r.trigger for r in complaint.history] == [
        "reply",
        "record",
        "judge",
        "analyse",
        "feedback",
        "case_resolved",
        "follow_up",
    ]
    assert [type(e) for e in complaint.pull_events()] == [
        ComplaintReplied,
        ComplaintRecorded,
        ComplaintJudged,
        ComplaintAnalysed,
        ComplaintFeedbackGiven,
        ComplaintCaseResolved,
        ComplaintFollowedUp,
        ComplaintClosed,
    ]
    assert complaint.problem is ProblemKind.QUALITY
    assert complaint.category is ProblemCategory.PRODUCT
    assert (complaint.validity, complaint.liability) == (ComplaintValidity.VALID, Liability.SELLER)
    assert complaint.cause == ComplaintCause(
        text="A faulty seal batch.", root_cause=RootCause.SUPPLIER
    )
    assert complaint.solution == ComplaintSolution(
        text="We exchange the kettle.", case_id="AS-1", remedy=RemedyKind.EXCHANGE
    )
    assert complaint.case_outcome is CaseStatus.EXCHANGED
    assert complaint.visit == FollowUpVisit(reached=True, satisfaction=5, comment="Works well.")
    assert complaint.closed_at == START
    assert complaint.version == len(complaint.history) == 7
    assert not complaint.is_open


def test_feedback_without_a_case_goes_to_the_follow_up_visit() -> None:
    complaint = analysed(new_complaint())
    complaint.feedback(solution="An apology and a 10 CNY coupon.", actor=AGENT)
    assert complaint.status is S.FOLLOW_UP
    assert complaint.solution == ComplaintSolution(text="An apology and a 10 CNY coupon.")


def test_an_invalid_complaint_skips_the_analysis() -> None:
    """Judged invalid, it cannot be analysed; its feedback explains the judgement."""
    complaint = judged(new_complaint(), valid=False)
    assert (complaint.validity, complaint.liability) == (ComplaintValidity.INVALID, None)
    refused(complaint, GuardRejected, lambda: complaint.analyse(cause="x", actor=AGENT))
    assert not complaint.can("analyse", cause="x")
    refused(
        complaint,
        GuardRejected,
        lambda: complaint.feedback(
            solution="x", case_id="AS-1", remedy=RemedyKind.REFUND_ONLY, actor=AGENT
        ),
    )
    complaint.feedback(solution="The manual warns against it.", actor=AGENT)
    assert complaint.status is S.FOLLOW_UP
    complaint.customer_unreachable(actor=AGENT, note="three calls")
    assert complaint.visit == FollowUpVisit(reached=False, comment="three calls")
    assert state(complaint) is S.CLOSED


def test_a_valid_complaint_needs_its_analysis_before_feedback() -> None:
    complaint = judged(new_complaint())
    refused(complaint, GuardRejected, lambda: complaint.feedback(solution="x", actor=AGENT))


def test_recording_again_corrects_the_record_and_priority() -> None:
    complaint = recorded(new_complaint())
    complaint.record(
        problem=ProblemKind.LOST_PARCEL,
        summary="Never arrived.",
        priority=ComplaintPriority.URGENT,
        actor=AGENT,
    )
    assert (complaint.problem, complaint.priority) == (
        ProblemKind.LOST_PARCEL,
        ComplaintPriority.URGENT,
    )
    assert complaint.category is ProblemCategory.LOGISTICS
    assert complaint.entered_at(S.RECORDED) == complaint.history[1].at


@pytest.mark.parametrize("outcome", [s for s in CaseStatus if s in CASE_ENDS], ids=str)
def test_every_end_of_the_case_moves_the_complaint_to_its_visit(outcome: CaseStatus) -> None:
    complaint = awaiting_case(new_complaint())
    complaint.case_resolved(case_id="AS-1", outcome=outcome, actor=AGENT)
    assert (complaint.status, complaint.case_outcome) == (S.FOLLOW_UP, outcome)


def test_the_case_report_must_name_the_awaited_case_and_an_end() -> None:
    complaint = awaiting_case(new_complaint())
    refused(
        complaint,
        ValidationError,
        lambda: complaint.case_resolved(case_id="AS-2", outcome=CaseStatus.REFUNDED, actor=AGENT),
    )
    refused(
        complaint,
        ValidationError,
        lambda: complaint.case_resolved(case_id="AS-1", outcome=CaseStatus.APPROVED, actor=AGENT),
    )
    assert not complaint.can("case_resolved", case_id="AS-1", outcome=CaseStatus.REQUESTED)
    assert complaint.can("case_resolved", case_id="AS-1", outcome=CaseStatus.REFUNDED)


# --- replies, escalations, waits ---------------------------------------------------------------


def test_replies_after_the_first_are_internal_and_all_are_kept() -> None:
    clock = FixedClock(START)
    complaint = new_complaint(clock=clock)
    clock.set(START.add(minutes=5))
    complaint.reply(message="We are on it.", actor=AGENT)
    clock.set(START.add(hours=2))
    complaint.reply(message="The lab has the kettle.", actor=AGENT)
    assert complaint.status is S.REPLIED
    assert [(r.note, r.at) for r in complaint.replies] == [
        ("We are on it.", START.add(minutes=5)),
        ("The lab has the kettle.", START.add(hours=2)),
    ]
    assert complaint.first_replied_at == START.add(minutes=5)
    firsts = [e.first for e in complaint.pull_events() if isinstance(e, ComplaintReplied)]
    assert firsts == [True, False]
    assert complaint.entered_at(S.REPLIED) == START.add(minutes=5)
    assert complaint.entered_at(S.RECEIVED) == START


def test_a_complaint_is_escalated_level_by_level_to_the_top() -> None:
    complaint = new_complaint()
    for level in range(1, MAX_ESCALATION_LEVEL + 1):
        complaint.escalate(reason=f"round {level}", actor=BUYER)
        assert complaint.level == level
        assert complaint.status is S.RECEIVED
    assert len(ESCALATION_LEVELS) == MAX_ESCALATION_LEVEL + 1
    events = [e for e in complaint.pull_events() if isinstance(e, ComplaintEscalated)]
    assert [e.level for e in events] == [1, 2, 3]
    refused(complaint, PolicyViolation, lambda: complaint.escalate(reason="more", actor=BUYER))
    assert not complaint.can("escalate", reason="more")


@pytest.mark.parametrize("step", [replied, recorded, judged, analysed], ids=lambda f: f.__name__)
def test_a_wait_returns_to_the_step_it_left(step: Callable[[Complaint], Complaint]) -> None:
    clock = FixedClock(START)
    complaint = step(new_complaint(clock=clock))
    where = complaint.status
    clock.set(START.add(hours=1))
    complaint.await_third_party(party=ThirdParty.INSPECTION, reason="检验", actor=AGENT)
    assert waiting(complaint) == (S.AWAITING_THIRD_PARTY, where, ThirdParty.INSPECTION)
    assert complaint.is_waiting
    assert complaint.waiting_since == START.add(hours=1)
    complaint.reply(message="Still at the inspection.", actor=AGENT)
    complaint.escalate(reason="slow", actor=BUYER)
    assert complaint.status is S.AWAITING_THIRD_PARTY
    refused(complaint, InvalidTransition, lambda: complaint.await_customer(reason="x", actor=AGENT))
    clock.set(START.add(hours=3))
    complaint.resume(actor=AGENT, note="report in")
    assert waiting(complaint) == (where, None, None)
    complaint.await_customer(reason="photos", actor=AGENT)
    assert waiting(complaint) == (S.AWAITING_CUSTOMER, where, None)
    events = complaint.pull_events()
    assert [e.resumed_at_step for e in events if isinstance(e, ComplaintResumed)] == [where]
    assert [e.waiting_for for e in events if isinstance(e, ComplaintPaused)] == [
        ThirdParty.INSPECTION,
        None,
    ]
    assert complaint.waits() == (
        (S.AWAITING_THIRD_PARTY, START.add(hours=1), START.add(hours=3)),
        (S.AWAITING_CUSTOMER, START.add(hours=3), None),
    )


@pytest.mark.parametrize("step", [new_complaint, awaiting_case], ids=["received", "awaiting_case"])
def test_no_wait_outside_the_working_steps(step: Callable[..., Complaint]) -> None:
    complaint = step() if step is new_complaint else step(new_complaint())
    refused(complaint, InvalidTransition, lambda: complaint.await_customer(reason="x", actor=AGENT))
    refused(complaint, InvalidTransition, lambda: complaint.resume(actor=AGENT))


def test_a_third_party_must_be_named() -> None:
    complaint = replied(new_complaint())
    refused(
        complaint,
        ValidationError,
        lambda: complaint.await_third_party(party="carrier", reason="x", actor=AGENT),  # type: ignore[arg-type]
    )


# --- withdrawal, closing, reopening ------------------------------------------------------------


def test_withdrawing_a_waiting_complaint_closes_it_and_forgets_the_wait() -> None:
    complaint = recorded(new_complaint())
    complaint.await_customer(reason="photos", actor=AGENT)
    complaint.withdraw(actor=BUYER, note="sorted it out myself")
    assert (complaint.status, complaint.paused_from) == (S.CLOSED, None)
    kinds = [type(e) for e in complaint.pull_events()][-2:]
    assert kinds == [ComplaintWithdrawn, ComplaintClosed]


def test_a_closed_complaint_refuses_everything_but_reopen() -> None:
    complaint = closed(new_complaint())
    assert complaint.allowed_triggers() == ("reopen",)
    for trigger in COMPLAINT_WORKFLOW.triggers:
        if trigger != "reopen":
            assert not complaint.can(trigger)
    refused(complaint, InvalidTransition, lambda: complaint.reply(message="hi", actor=AGENT))
    refused(complaint, InvalidTransition, lambda: complaint.escalate(reason="x", actor=AGENT))
    refused(complaint, InvalidTransition, lambda: complaint.withdraw(actor=BUYER))


def test_reopening_within_the_window_starts_a_new_round() -> None:
    clock = FixedClock(START)
    complaint = closed(new_complaint(clock=clock))
    clock.set(START + _dt.timedelta(days=15) - _dt.timedelta(microseconds=1))
    complaint.reopen(actor=BUYER, note="it leaks again")
    assert complaint.status is S.REPLIED
    assert (complaint.validity, complaint.liability, complaint.cause) == (None, None, None)
    assert (complaint.solution, complaint.case_outcome, complaint.visit) == (None, None, None)
    assert complaint.summary == "Leaks after a week."
    assert complaint.reopen_count == 1
    assert isinstance(complaint.pull_events()[-1], ComplaintReopened)
    complaint.record(problem=ProblemKind.QUALITY, summary="Leaks again.", actor=AGENT)
    complaint.judge(valid=True, liability=Liability.SELLER, actor=AGENT)
    assert state(complaint) is S.JUDGED


def test_the_reopening_window_ends_at_its_last_instant() -> None:
    clock = FixedClock(START)
    complaint = closed(new_complaint(clock=clock, reopen_window=_dt.timedelta(days=3)))
    clock.set(START + _dt.timedelta(days=3))
    refused(complaint, PolicyViolation, lambda: complaint.reopen(actor=BUYER))
    assert not complaint.can("reopen")


# --- argument refusals -------------------------------------------------------------------------

REFUSALS: list[tuple[str, Callable[[], Complaint], str, dict[str, Any], type[EcServiceError]]] = [
    ("blank reply", lambda: new_complaint(), "reply", {"message": "  "}, ValidationError),
    ("reply not text", lambda: new_complaint(), "reply", {"message": 5}, ValidationError),
    (
        "record before a reply",
        lambda: new_complaint(),
        "record",
        {"problem": ProblemKind.QUALITY, "summary": "x"},
        InvalidTransition,
    ),
    (
        "record with a category",
        lambda: replied(new_complaint()),
        "record",
        {"problem": ProblemCategory.PRODUCT, "summary": "x"},
        ValidationError,
    ),
    (
        "record a bad priority",
        lambda: replied(new_complaint()),
        "record",
        {"problem": ProblemKind.QUALITY, "summary": "x", "priority": "high"},
        ValidationError,
    ),
    (
        "record no summary",
        lambda: replied(new_complaint()),
        "record",
        {"problem": ProblemKind.QUALITY, "summary": ""},
        ValidationError,
    ),
    (
        "judge before a record",
        lambda: replied(new_complaint()),
        "judge",
        {"valid": True, "liability": Liability.SELLER},
        InvalidTransition,
    ),
    (
        "valid without liability",
        lambda: recorded(new_complaint()),
        "judge",
        {"valid": True},
        ValidationError,
    ),
    (
        "invalid with liability",
        lambda: recorded(new_complaint()),
        "judge",
        {"valid": False, "liability": Liability.BUYER, "note": "x"},
        ValidationError,
    ),
    (
        "invalid without a note",
        lambda: recorded(new_complaint()),
        "judge",
        {"valid": False},
        ValidationError,
    ),
    (
        "valid not a bool",
        lambda: recorded(new_complaint()),
        "judge",
        {"valid": 1, "liability": Liability.SELLER},
        ValidationError,
    ),
    (
        "bad liability",
        lambda: recorded(new_complaint()),
        "judge",
        {"valid": True, "liability": "seller"},
        ValidationError,
    ),
    ("blank cause", lambda: judged(new_complaint()), "analyse", {"cause": ""}, ValidationError),
    (
        "bad root cause",
        lambda: judged(new_complaint()),
        "analyse",
        {"cause": "x", "root_cause": "staff"},
        ValidationError,
    ),
    (
        "case without remedy",
        lambda: analysed(new_complaint()),
        "feedback",
        {"solution": "x", "case_id": "AS-1"},
        ValidationError,
    ),
    (
        "remedy without case",
        lambda: analysed(new_complaint()),
        "feedback",
        {"solution": "x", "remedy": RemedyKind.EXCHANGE},
        ValidationError,
    ),
    (
        "blank solution",
        lambda: analysed(new_complaint()),
        "feedback",
        {"solution": " "},
        ValidationError,
    ),
    ("satisfaction 0", lambda: _follow_up(), "follow_up", {"satisfaction": 0}, ValidationError),
    ("satisfaction 6", lambda: _follow_up(), "follow_up", {"satisfaction": 6}, ValidationError),
    (
        "satisfaction True",
        lambda: _follow_up(),
        "follow_up",
        {"satisfaction": True},
        ValidationError,
    ),
    ("satisfaction 4.5", lambda: _follow_up(), "follow_up", {"satisfaction": 4.5}, ValidationError),
    (
        "follow-up too early",
        lambda: analysed(new_complaint()),
        "follow_up",
        {"satisfaction": 5},
        InvalidTransition,
    ),
    ("blank escalation", lambda: new_complaint(), "escalate", {"reason": ""}, ValidationError),
    (
        "blank wait",
        lambda: replied(new_complaint()),
        "await_customer",
        {"reason": ""},
        ValidationError,
    ),
    ("reopen an open one", lambda: replied(new_complaint()), "reopen", {}, InvalidTransition),
]


def _follow_up() -> Complaint:
    complaint = analysed(new_complaint())
    complaint.feedback(solution="An apology.", actor=AGENT)
    return complaint


@pytest.mark.parametrize(
    ("make", "trigger", "kwargs", "error"),
    [r[1:] for r in REFUSALS],
    ids=[r[0] for r in REFUSALS],
)
def test_bad_calls_raise_a_specific_error_and_change_nothing(
    make: Callable[[], Complaint], trigger: str, kwargs: dict[str, Any], error: type[EcServiceError]
) -> None:
    complaint = make()
    assert not complaint.can(trigger, actor=AGENT, **kwargs)
    refused(complaint, error, lambda: getattr(complaint, trigger)(actor=AGENT, **kwargs))


def test_an_actor_must_be_an_actor() -> None:
    complaint = new_complaint()
    refused(complaint, ValidationError, lambda: complaint.reply(message="hi", actor="agent"))  # type: ignore[arg-type]


def test_every_trigger_has_a_typed_method() -> None:
    for trigger in COMPLAINT_WORKFLOW.triggers:
        assert callable(getattr(Complaint, trigger))
        assert hasattr(Complaint, f"_prepare_{trigger}")


# --- construction ------------------------------------------------------------------------------

CONSTRUCTION: list[tuple[str, dict[str, Any], type[EcServiceError]]] = [
    ("blank text", {"text": " "}, ValidationError),
    ("text with a control character", {"text": "bad\x00"}, ValidationError),
    ("channel as text", {"channel": "phone"}, ValidationError),
    ("priority as text", {"priority": "high"}, ValidationError),
    ("naive opened_at", {"opened_at": START.naive()}, NaiveDatetime),
    ("zero quantity", {"lines": {"KETTLE-1": 0}}, InvalidQuantity),
    ("lines without an order", {"order_id": None}, ValidationError),
    ("negative level", {"level": -1}, ValidationError),
    ("level without escalations", {"level": 1}, ValidationError),
    ("level as text", {"level": "1"}, ValidationError),
    ("zero window", {"reopen_window": _dt.timedelta(0)}, ValidationError),
    ("window too long", {"reopen_window": _dt.timedelta(days=400)}, ValidationError),
    ("window as days", {"reopen_window": 15}, ValidationError),
    ("summary without a record", {"summary": "x"}, ValidationError),
    ("validity without a judgement", {"validity": ComplaintValidity.INVALID}, ValidationError),
    ("liability without validity", {"liability": Liability.SELLER}, ValidationError),
    ("paused_from while received", {"paused_from": S.REPLIED}, ValidationError),
    ("waiting_for while received", {"waiting_for": ThirdParty.CARRIER}, ValidationError),
    ("a string status", {"status": "received"}, ValidationError),
]


@pytest.mark.parametrize(
    ("changes", "error"), [c[1:] for c in CONSTRUCTION], ids=[c[0] for c in CONSTRUCTION]
)
def test_the_constructor_refuses_bad_fields(
    changes: dict[str, Any], error: type[EcServiceError]
) -> None:
    with pytest.raises(error):
        new_complaint(**changes)


def test_the_constructor_checks_fields_against_the_history() -> None:
    """A complaint rebuilt from another's fields is equal to it; a field out of step with the
    history is refused."""
    complaint = closed(new_complaint())
    fields = {f.name: getattr(complaint, f.name) for f in attrs.fields(Complaint) if f.init}
    assert Complaint(**fields) == complaint
    for name, value in (
        ("visit", None),
        ("case_outcome", None),
        ("cause", None),
        ("liability", None),
        ("solution", ComplaintSolution(text="x")),
        ("validity", ComplaintValidity.INVALID),
    ):
        with pytest.raises(ValidationError):
            Complaint(**{**fields, name: value})


def test_a_history_before_the_opening_is_refused() -> None:
    complaint = replied(new_complaint())
    fields = {f.name: getattr(complaint, f.name) for f in attrs.fields(Complaint) if f.init}
    with pytest.raises(ValidationError):
        Complaint(**{**fields, "opened_at": START.add(seconds=1)})


def test_values_validate_themselves() -> None:
    with pytest.raises(ValidationError):
        ComplaintSolution(text="x", case_id="AS-1")
    with pytest.raises(ValidationError):
        ComplaintSolution(text="x", case_id=" AS-1", remedy=RemedyKind.EXCHANGE)
    with pytest.raises(ValidationError):
        FollowUpVisit(reached=True)
    with pytest.raises(ValidationError):
        FollowUpVisit(reached=False, satisfaction=3)
    with pytest.raises(ValidationError):
        FollowUpVisit(reached="yes", satisfaction=3)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        ComplaintCause(text="x ", root_cause=None)
    with pytest.raises(ValidationError):
        ComplaintCause(text="x", root_cause="staff")  # type: ignore[arg-type]


def test_labels_are_bilingual() -> None:
    assert [p.label_zh for p in ComplaintPriority] == ["低", "普通", "高", "紧急"]
    assert ComplaintChannel.REGULATOR.label_zh == "12315"
    assert ComplaintChannel.PLATFORM.label_zh == "平台投诉"
    assert S.AWAITING_CASE.label_zh == "等待售后处理"
    assert S.AWAITING_CUSTOMER.label_zh == "等待客户回复"
    assert [
        t.label_zh for t in (ThirdParty.INSPECTION, ThirdParty.TESTING, ThirdParty.APPRAISAL)
    ] == [
        "检验",
        "检测",
        "鉴定",
    ]
