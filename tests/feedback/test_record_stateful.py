"""Stateful test of the feedback record: random calls, valid or not, and clock moves.

The allowed moves are modelled here independently of ``FEEDBACK_WORKFLOW``'s table (from the
documented loop). After every call the test checks:

* ``can(trigger, ...)`` answered, before the call, whether the call succeeded;
* only the actors the source practice names fire each trigger (staff; timers for lateness and
  scheduling): a customer, a carrier or a job elsewhere is refused;
* a failing call raised an error of the library's hierarchy and changed nothing;
* a successful call took the record where the model says, appending one history record;
* ``version == len(history)``; the record rebuilt from its fields (the storage path) equals it;
  lateness is the due instant exactly when an answer came late or the timer marked it;
  ``next_due`` agrees with the model.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from ecservice.clock import FixedClock
from ecservice.errors import EcServiceError
from ecservice.feedback import (
    FeedbackKind,
    FeedbackPolicy,
    FeedbackStatus,
    RevisitAnchor,
    RevisitOffset,
    Sentiment,
)
from ecservice.workflow import Actor, ActorKind
from tests.feedback.rig import AGENT, CALENDAR, DUE, START, new_record, rebuilt, snapshot

S = FeedbackStatus
MICRO = _dt.timedelta(microseconds=1)
DAY = _dt.timedelta(days=1)
#: Revisits 1 and 2 days after the answer and 3 days after the delivery.
POLICY = FeedbackPolicy(
    "stateful",
    "test",
    revisits=[
        RevisitOffset(RevisitAnchor.ANSWERED, DAY),
        RevisitOffset(RevisitAnchor.ANSWERED, 2 * DAY),
        RevisitOffset(RevisitAnchor.DELIVERY, 3 * DAY),
    ],
)

texts = st.sampled_from(["ok", "ok", "ok", "多行\n文字", "", "  ", "bad\x00", 7])
actors = st.sampled_from(
    [AGENT, AGENT, AGENT, Actor.system("job"), Actor.buyer("c-1"), Actor.carrier("sf"), "agent"]
)
#: Who may fire each trigger (the source practice: staff read, record, answer, revisit and
#: close; the system's timers, or staff, mark lateness and schedule revisits).
STAFF_ONLY = frozenset({"read", "record", "answer", "revisit", "close"})


def ok_text(value: object) -> bool:
    return isinstance(value, str) and value.strip() != "" and "\x00" not in value


def note_ok(value: object) -> bool:
    return isinstance(value, str) and "\x00" not in value


class FeedbackMachine(RuleBasedStateMachine):
    @initialize(linked=st.booleans())
    def start(self, linked: bool) -> None:
        self.clock = FixedClock(START)
        self.record = new_record(clock=self.clock, order_id="O-1" if linked else None)
        self.linked = linked
        self.state = S.RECEIVED
        self.late = False
        self.scheduled = 0
        self.done = 0

    # --- the model's answer ----------------------------------------------------------------

    def expected(self, trigger: str, kw: dict[str, Any]) -> FeedbackStatus | None:
        """Where the call takes the record, or ``None`` when it must fail."""
        s = self.state
        now = self.clock.now()
        actor = kw.get("actor")
        if not isinstance(actor, Actor):
            return None
        allowed = (
            {ActorKind.STAFF} if trigger in STAFF_ONLY else {ActorKind.STAFF, ActorKind.SYSTEM}
        )
        if actor.kind not in allowed:
            return None
        if trigger == "read":
            return S.READ if s is S.RECEIVED and note_ok(kw["note"]) else None
        if trigger == "record":
            ok = s in (S.READ, S.RECORDED) and ok_text(kw["summary"])
            ok = ok and isinstance(kw["kind"], FeedbackKind)
            return S.RECORDED if ok and isinstance(kw["sentiment"], Sentiment) else None
        if trigger == "answer":
            return S.ANSWERED if s is S.RECORDED and ok_text(kw["message"]) else None
        if trigger == "mark_overdue":
            unanswered = s in (S.RECEIVED, S.READ, S.RECORDED)
            return s if unanswered and not self.late and now >= DUE else None
        if trigger == "schedule_revisits":
            if s is not S.ANSWERED:
                return None
            if kw["delivered"] and not self.linked:
                return None
            return S.REVISIT_SCHEDULED if self.planned(kw["delivered"]) else None
        if trigger == "revisit":
            if s is not S.REVISIT_SCHEDULED or not note_ok(kw["note"]):
                return None
            if not kw["reached"] and kw["satisfied"] is not None:
                return None
            return S.REVISITED if self.done + 1 == self.scheduled else s
        if trigger == "close":
            if s is S.REVISIT_SCHEDULED:
                return S.CLOSED if ok_text(kw["note"]) else None
            return S.CLOSED if s in (S.ANSWERED, S.REVISITED) and note_ok(kw["note"]) else None
        raise AssertionError(trigger)

    def planned(self, delivered: bool) -> int:
        """How many revisits the policy schedules now (the delivery anchored at now)."""
        now = self.clock.now()
        answered = self.record.answered_at
        assert answered is not None
        dues = [answered + DAY, answered + 2 * DAY]
        if delivered:
            dues.append(now + 3 * DAY)
        return sum(1 for due in dues if due >= now)

    def call(self, trigger: str, **kw: Any) -> None:
        record = self.record
        dest = self.expected(trigger, kw)
        args = dict(kw)
        if trigger == "schedule_revisits":
            delivered = args.pop("delivered")
            args.update(policy=POLICY, calendar=CALENDAR)
            if delivered:
                args["delivered_at"] = self.clock.now()
            planned = self.planned(delivered) if dest is not None else 0
        before = snapshot(record)
        answer = record.can(trigger, **args)
        try:
            getattr(record, trigger)(**args)
        except EcServiceError:
            assert dest is None, (trigger, kw, self.state)
            assert not answer
            assert snapshot(record) == before
            return
        assert dest is not None, (trigger, kw, self.state)
        assert answer, (trigger, kw)
        assert record.status is dest
        assert record.version == before["version"] + 1
        if (trigger == "answer" and self.clock.now() > DUE) or trigger == "mark_overdue":
            self.late = True
        elif trigger == "schedule_revisits":
            self.scheduled = planned
            assert len(record.schedule) == planned
        elif trigger == "revisit":
            self.done += 1
        self.state = dest

    # --- rules -------------------------------------------------------------------------------

    @rule(satisfied=st.sampled_from([True, False, None]))
    def forward(self, satisfied: bool | None) -> None:
        """The next step of the documented loop, with valid arguments (so that paths get far)."""
        s = self.state
        if s is S.RECEIVED:
            self.call("read", note="", actor=AGENT)
        elif s is S.READ:
            kind, sentiment = FeedbackKind.PROBLEM, Sentiment.NEGATIVE
            self.call("record", kind=kind, sentiment=sentiment, summary="Loud.", actor=AGENT)
        elif s is S.RECORDED:
            self.call("answer", message="Thanks.", actor=AGENT)
        elif s is S.ANSWERED:
            self.call("schedule_revisits", delivered=self.linked, actor=AGENT)
        elif s is S.REVISIT_SCHEDULED:
            self.call("revisit", reached=True, satisfied=satisfied, note="", actor=AGENT)
        elif s is S.REVISITED:
            self.call("close", note="", actor=AGENT)

    @rule(delta=st.sampled_from([MICRO, _dt.timedelta(hours=5), _dt.timedelta(hours=13), DAY]))
    def tick(self, delta: _dt.timedelta) -> None:
        self.clock.set(self.clock.now() + delta)

    @rule(note=st.sampled_from(["", "opened", "bad\x00"]), actor=actors)
    def read(self, note: str, actor: object) -> None:
        self.call("read", note=note, actor=actor)

    @rule(
        kind=st.sampled_from([*FeedbackKind, "praise"]),
        sentiment=st.sampled_from([*Sentiment, None]),
        summary=texts,
    )
    def record_it(self, kind: object, sentiment: object, summary: object) -> None:
        self.call("record", kind=kind, sentiment=sentiment, summary=summary, actor=AGENT)

    @rule(message=texts, actor=actors)
    def answer(self, message: object, actor: object) -> None:
        self.call("answer", message=message, actor=actor)

    @rule()
    def mark_overdue(self) -> None:
        self.call("mark_overdue", actor=Actor.system("feedback-timer"))

    @rule(delivered=st.booleans())
    def schedule(self, delivered: bool) -> None:
        self.call("schedule_revisits", delivered=delivered, actor=AGENT)

    @rule(
        reached=st.booleans(),
        satisfied=st.sampled_from([None, True, False]),
        note=st.sampled_from(["", "ok", "bad\x00"]),
    )
    def revisit(self, reached: bool, satisfied: bool | None, note: str) -> None:
        self.call("revisit", reached=reached, satisfied=satisfied, note=note, actor=AGENT)

    @rule(note=st.sampled_from(["", "", "the customer asked us not to call"]))
    def close(self, note: str) -> None:
        self.call("close", note=note, actor=AGENT)

    # --- invariants --------------------------------------------------------------------------

    @invariant()
    def consistent(self) -> None:
        record = self.record
        assert record.version == len(record.history)
        assert record.status is self.state
        assert (record.overdue_at == DUE) is self.late
        assert (record.overdue_at is None) is not self.late
        assert len(record.revisits) == self.done
        assert rebuilt(record) == record
        now = self.clock.now()
        due = record.next_due(now)
        if self.state in (S.RECEIVED, S.READ, S.RECORDED):
            assert due == (None if self.late else DUE)
        elif self.state is S.REVISIT_SCHEDULED:
            nxt = record.schedule[self.done]
            assert due in (nxt.due_at, nxt.deadline, None)
            assert (due is None) is (now >= nxt.deadline)
        else:
            assert due is None
        event(f"reached {self.state.name}")


TestFeedbackStateful = FeedbackMachine.TestCase
TestFeedbackStateful.settings = settings(
    max_examples=150,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
