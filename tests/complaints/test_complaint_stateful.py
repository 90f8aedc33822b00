"""Stateful test of the complaint: random calls, valid or not, and clock moves.

The allowed moves are modelled here independently of ``COMPLAINT_WORKFLOW``'s table (from the
documented steps). After every call the test checks:

* ``can(trigger, ...)`` answered, before the call, whether the call succeeded;
* a failing call raised an error of the library's hierarchy and changed nothing;
* a successful call took the complaint where the model says, appending one history record;
* ``version == len(history)``; the complaint rebuilt from its fields (the storage path) equals
  it, so its fields agree with its history; ``level`` counts the escalations; a waiting
  complaint remembers the step it left.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

import attrs
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from ecservice.aftersales import CaseStatus, Liability, ProblemKind, RemedyKind
from ecservice.clock import FixedClock
from ecservice.complaints import (
    MAX_ESCALATION_LEVEL,
    Complaint,
    ComplaintPriority,
    ComplaintStatus,
    RootCause,
    ThirdParty,
)
from ecservice.errors import EcServiceError
from ecservice.workflow import Actor
from tests.complaints.rig import AGENT, BUYER, START, new_complaint, snapshot

S = ComplaintStatus
MICRO = _dt.timedelta(microseconds=1)
WORKING = (S.REPLIED, S.RECORDED, S.JUDGED, S.ANALYSED)
WAITING = (S.AWAITING_CUSTOMER, S.AWAITING_THIRD_PARTY)
ENDS = {
    CaseStatus.REFUNDED,
    CaseStatus.EXCHANGED,
    CaseStatus.REPAIRED,
    CaseStatus.RESHIPPED,
    CaseStatus.COMPENSATED,
    CaseStatus.CLOSED,
    CaseStatus.WITHDRAWN,
}

# Mostly valid, so that complaints get far; sometimes not, so that refusals are exercised.
texts = st.sampled_from(["ok", "ok", "ok", "多行\n文字", "ok", "  ", "", "bad\x00", 7])
actors = st.sampled_from([AGENT, AGENT, AGENT, BUYER, Actor.system("job"), "agent"])


def ok_text(value: object) -> bool:
    """Whether ``value`` is acceptable required text (of the values the rules draw)."""
    return isinstance(value, str) and value.strip() != "" and "\x00" not in value


class ComplaintMachine(RuleBasedStateMachine):
    @initialize(window_days=st.integers(1, 20))
    def start(self, window_days: int) -> None:
        self.clock = FixedClock(START)
        self.complaint = new_complaint(
            clock=self.clock, reopen_window=_dt.timedelta(days=window_days)
        )
        self.window = _dt.timedelta(days=window_days)
        # the model
        self.state = S.RECEIVED
        self.paused_from: ComplaintStatus | None = None
        self.valid: bool | None = None
        self.case_id: str | None = None
        self.level = 0
        self.closed_at: Any = None

    # --- the model's answer ----------------------------------------------------------------

    def expected(self, trigger: str, kw: dict[str, Any]) -> ComplaintStatus | None:
        """Where the call takes the complaint, or ``None`` when it must fail."""
        s = self.state
        if not isinstance(kw.get("actor"), Actor):
            return None
        if trigger == "reply":
            if s is S.CLOSED or not ok_text(kw["message"]):
                return None
            return S.REPLIED if s is S.RECEIVED else s
        if trigger == "record":
            ok = s in (S.REPLIED, S.RECORDED) and ok_text(kw["summary"])
            return S.RECORDED if ok and isinstance(kw["problem"], ProblemKind) else None
        if trigger == "judge":
            if s is not S.RECORDED:
                return None
            if kw["valid"]:
                note_ok = isinstance(kw["note"], str) and "\x00" not in kw["note"]
                return S.JUDGED if kw["liability"] is not None and note_ok else None
            return S.JUDGED if kw["liability"] is None and ok_text(kw["note"]) else None
        if trigger == "analyse":
            return S.ANALYSED if s is S.JUDGED and self.valid and ok_text(kw["cause"]) else None
        if trigger == "feedback":
            if not ok_text(kw["solution"]):
                return None
            with_case = kw["case_id"] is not None
            if s is S.ANALYSED:
                return S.AWAITING_CASE if with_case else S.FOLLOW_UP
            if s is S.JUDGED and self.valid is False and not with_case:
                return S.FOLLOW_UP
            return None
        if trigger == "case_resolved":
            ok = s is S.AWAITING_CASE and kw["case_id"] == self.case_id and kw["outcome"] in ENDS
            return S.FOLLOW_UP if ok else None
        if trigger == "follow_up":
            score = kw["satisfaction"]
            ok = s is S.FOLLOW_UP and type(score) is int and 1 <= score <= 5
            return S.CLOSED if ok else None
        if trigger == "customer_unreachable":
            return S.CLOSED if s is S.FOLLOW_UP else None
        if trigger == "escalate":
            ok = s is not S.CLOSED and self.level < MAX_ESCALATION_LEVEL and ok_text(kw["reason"])
            return s if ok else None
        if trigger in ("await_customer", "await_third_party"):
            if s not in WORKING or not ok_text(kw["reason"]):
                return None
            if trigger == "await_customer":
                return S.AWAITING_CUSTOMER
            return S.AWAITING_THIRD_PARTY if isinstance(kw["party"], ThirdParty) else None
        if trigger == "resume":
            return self.paused_from if s in WAITING else None
        if trigger == "withdraw":
            return S.CLOSED if s is not S.CLOSED else None
        if trigger == "reopen":
            ok = s is S.CLOSED and self.clock.now() < self.closed_at + self.window
            return S.REPLIED if ok else None
        raise AssertionError(trigger)

    def call(self, trigger: str, **kw: Any) -> None:
        complaint = self.complaint
        dest = self.expected(trigger, kw)
        before = snapshot(complaint)
        answer = complaint.can(trigger, **kw)
        try:
            getattr(complaint, trigger)(**kw)
        except EcServiceError:
            assert dest is None, (trigger, kw, self.state)
            assert not answer
            assert snapshot(complaint) == before
            return
        assert dest is not None, (trigger, kw, self.state)
        assert answer, (trigger, kw)
        assert complaint.status is dest
        assert complaint.version == before["version"] + 1
        self.advance(trigger, kw, dest)

    def advance(self, trigger: str, kw: dict[str, Any], dest: ComplaintStatus) -> None:
        if trigger == "judge":
            self.valid = kw["valid"]
        elif trigger == "feedback":
            self.case_id = kw["case_id"]
        elif trigger == "escalate":
            self.level += 1
        elif trigger.startswith("await_"):
            self.paused_from = self.state
        elif trigger in ("resume", "withdraw"):
            self.paused_from = None
        elif trigger == "reopen":
            self.valid = None
            self.case_id = None
        if dest is S.CLOSED:
            self.closed_at = self.clock.now()
        self.state = dest

    # --- rules -------------------------------------------------------------------------------

    @rule(valid=st.sampled_from([True, True, False]), with_case=st.booleans())
    def forward(self, valid: bool, with_case: bool) -> None:
        """The next step of the documented path, with valid arguments (so that paths get far)."""
        s = self.state
        if s is S.RECEIVED:
            self.call("reply", message="We are on it.", actor=AGENT)
        elif s is S.REPLIED:
            self.call("record", problem=ProblemKind.QUALITY, summary="Leaks.", actor=AGENT)
        elif s is S.RECORDED:
            liability = Liability.SELLER if valid else None
            self.call("judge", valid=valid, liability=liability, note="checked", actor=AGENT)
        elif s is S.JUDGED and self.valid:
            self.call("analyse", cause="bad seal", actor=AGENT)
        elif s in (S.JUDGED, S.ANALYSED):
            case = with_case and s is S.ANALYSED
            self.call(
                "feedback",
                solution="an exchange" if case else "an apology",
                case_id=f"AS-{self.complaint.version}" if case else None,
                remedy=RemedyKind.EXCHANGE if case else None,
                actor=AGENT,
            )
        elif s is S.AWAITING_CASE:
            self.call(
                "case_resolved", case_id=self.case_id, outcome=CaseStatus.EXCHANGED, actor=AGENT
            )
        elif s is S.FOLLOW_UP:
            self.call("follow_up", satisfaction=4, actor=AGENT)
        elif s in WAITING:
            self.call("resume", actor=AGENT)
        else:
            self.call("reopen", actor=BUYER)

    @rule(delta=st.sampled_from([MICRO, _dt.timedelta(hours=5), _dt.timedelta(days=4)]))
    def tick(self, delta: _dt.timedelta) -> None:
        self.clock.set(self.clock.now() + delta)

    @rule(message=texts, actor=actors)
    def reply(self, message: object, actor: object) -> None:
        self.call("reply", message=message, actor=actor)

    @rule(
        problem=st.sampled_from([ProblemKind.QUALITY, ProblemKind.LOST_PARCEL, "quality"]),
        summary=texts,
        priority=st.sampled_from([None, ComplaintPriority.URGENT]),
    )
    def record(self, problem: object, summary: object, priority: object) -> None:
        self.call("record", problem=problem, summary=summary, priority=priority, actor=AGENT)

    @rule(
        valid=st.booleans(),
        liability=st.sampled_from([None, Liability.SELLER, Liability.CARRIER]),
        note=texts,
    )
    def judge(self, valid: bool, liability: Liability | None, note: object) -> None:
        self.call("judge", valid=valid, liability=liability, note=note, actor=AGENT)

    @rule(cause=texts, root=st.sampled_from([None, RootCause.STAFF]))
    def analyse(self, cause: object, root: object) -> None:
        self.call("analyse", cause=cause, root_cause=root, actor=AGENT)

    @rule(solution=texts, with_case=st.booleans())
    def feedback(self, solution: object, with_case: bool) -> None:
        case_id = f"AS-{self.complaint.version}" if with_case else None
        remedy = RemedyKind.REFUND_ONLY if with_case else None
        self.call("feedback", solution=solution, case_id=case_id, remedy=remedy, actor=AGENT)

    @rule(right=st.booleans(), outcome=st.sampled_from(list(CaseStatus)))
    def case_resolved(self, right: bool, outcome: CaseStatus) -> None:
        case_id = self.case_id if right and self.case_id is not None else "AS-X"
        self.call("case_resolved", case_id=case_id, outcome=outcome, actor=AGENT)

    @rule(score=st.sampled_from([0, 1, 3, 5, 6, True, 4.0]), comment=st.sampled_from(["", "ok"]))
    def follow_up(self, score: object, comment: str) -> None:
        self.call("follow_up", satisfaction=score, comment=comment, actor=AGENT)

    @rule()
    def customer_unreachable(self) -> None:
        self.call("customer_unreachable", note="no answer", actor=AGENT)

    @rule(reason=texts, actor=actors)
    def escalate(self, reason: object, actor: object) -> None:
        self.call("escalate", reason=reason, actor=actor)

    @rule(reason=texts)
    def await_customer(self, reason: object) -> None:
        self.call("await_customer", reason=reason, actor=AGENT)

    @rule(party=st.sampled_from([*ThirdParty, "carrier"]), reason=texts)
    def await_third_party(self, party: object, reason: object) -> None:
        self.call("await_third_party", party=party, reason=reason, actor=AGENT)

    @rule()
    def resume(self) -> None:
        self.call("resume", actor=AGENT)

    @rule(now=st.integers(0, 7))
    def withdraw(self, now: int) -> None:
        if now == 0:  # rarely: a withdrawal ends the path
            self.call("withdraw", actor=BUYER)

    @rule()
    def reopen(self) -> None:
        self.call("reopen", actor=BUYER)

    # --- invariants --------------------------------------------------------------------------

    @invariant()
    def consistent(self) -> None:
        complaint = self.complaint
        assert complaint.version == len(complaint.history)
        assert complaint.status is self.state
        assert complaint.level == self.level
        assert complaint.paused_from is self.paused_from
        assert complaint.is_waiting is (self.state in WAITING)
        fields = {f.name: getattr(complaint, f.name) for f in attrs.fields(Complaint) if f.init}
        assert Complaint(**fields) == complaint
        if complaint.history:
            assert complaint.history[-1].dest is complaint.status
        event(f"reached {self.state.name}")


TestComplaintStateful = ComplaintMachine.TestCase
TestComplaintStateful.settings = settings(
    max_examples=200,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
