"""Stateful test of the consultation session: random calls, valid or not, and clock moves.

The allowed moves are modelled here independently of ``CONSULTATION_WORKFLOW``'s table (from
the documented reception flow). After every call the test checks:

* ``can(trigger, ...)`` answered, before the call, whether the call succeeded;
* only the actors the reception flow names fire each trigger (the agent; the sender or the
  chat log for a message; staff or the system for the ends): anyone else is refused;
* a failing call raised an error of the library's hierarchy and changed nothing;
* a successful call took the session where the model says, appending one history record;
* ``version == len(history)``; the session rebuilt from its fields (the storage path) equals
  it; the model's counts of messages, enquiries, recommendations, objections and remarks agree.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from ecservice.clock import FixedClock
from ecservice.consultation import (
    ENQUIRY_PRESALE,
    ENQUIRY_SIZE,
    ConsultationStatus,
    ObjectionKind,
    Sender,
)
from ecservice.errors import EcServiceError
from ecservice.workflow import Actor, ActorKind
from tests.consultation.rig import (
    ADDRESS,
    AGENT,
    CHAT,
    FAR_ADDRESS,
    START,
    WARRANTY,
    ShopChecker,
    details,
    new_session,
    rebuilt,
    snapshot,
)

S = ConsultationStatus
SELLING = {S.ENQUIRING, S.RECOMMENDING, S.HANDLING_OBJECTION, S.CLOSING}
ENDS = {S.COMPLETED, S.ENDED, S.TRANSFERRED}

texts = st.sampled_from(["ok", "ok", "ok", "多行\n文字", "  ", "", "bad\x00", 7])
BUYER = Actor.buyer("b-1")  # the session's buyer (rig.new_session)
actors = st.sampled_from(
    [AGENT, AGENT, AGENT, CHAT, BUYER, Actor.buyer("b-2"), Actor.carrier("sf"), "agent"]
)
#: Who may fire each trigger, from the source practice: the reception flow is the agent's;
#: completing, ending and handing to after-sales are the agent's or the system's.
AGENT_ONLY = frozenset(
    {
        "greet",
        "take_enquiry",
        "recommend",
        "handle_objection",
        "close_deal",
        "confirm_order",
        "say_goodbye",
        "hand_over",
        "follow_up_remark",
    }
)


def may(trigger: str, actor: Actor, sender: object = None) -> bool:
    """Whether ``actor`` may fire ``trigger`` (for a message, of ``sender``)."""
    kind = actor.kind
    if trigger == "message":
        if kind is ActorKind.SYSTEM:
            return True
        if sender is Sender.AGENT:
            return kind is ActorKind.STAFF
        return actor == BUYER
    if trigger in AGENT_ONLY:
        return kind is ActorKind.STAFF
    return kind in (ActorKind.STAFF, ActorKind.SYSTEM)


def ok_text(value: object) -> bool:
    """Whether ``value`` is acceptable required text (of the values the rules draw)."""
    return isinstance(value, str) and value.strip() != "" and "\x00" not in value


def ok_short(value: object) -> bool:
    return ok_text(value) and "\n" not in str(value)


class SessionMachine(RuleBasedStateMachine):
    @initialize()
    def start(self) -> None:
        self.clock = FixedClock(START)
        self.session = new_session(clock=self.clock)
        self.state = S.OPENED
        self.order_id: str | None = None
        self.remarks: list[bool] = []
        self.counts = {"message": 0, "take_enquiry": 0, "recommend": 0, "handle_objection": 0}

    # --- the model's answer ----------------------------------------------------------------

    def expected(self, trigger: str, kw: dict[str, Any]) -> ConsultationStatus | None:
        """Where the call takes the session, or ``None`` when it must fail."""
        s = self.state
        actor = kw.get("actor")
        if not isinstance(actor, Actor) or s in ENDS:
            return None
        if not may(trigger, actor, kw.get("sender")):
            return None
        if trigger == "message":
            ok = isinstance(kw["sender"], Sender) and type(kw["length"]) is int and kw["length"] > 0
            return s if ok else None
        if trigger == "greet":
            return S.GREETED if s is S.OPENED else None
        if trigger == "take_enquiry":
            ok = s in SELLING | {S.GREETED} and kw["type"] in (
                ENQUIRY_SIZE,
                WARRANTY,
                ENQUIRY_PRESALE,
            )
            return S.ENQUIRING if ok else None
        if trigger == "recommend":
            ok = s in SELLING - {S.CLOSING} and ok_short(kw["sku"])
            return S.RECOMMENDING if ok else None
        if trigger == "handle_objection":
            ok = s in SELLING - {S.ENQUIRING} and isinstance(kw["kind"], ObjectionKind)
            return S.HANDLING_OBJECTION if ok else None
        if trigger == "close_deal":
            return S.CLOSING if s in SELLING - {S.CLOSING} else None
        if trigger == "confirm_order":
            order = kw["details"]
            ok = (
                s in SELLING | {S.ORDER_CONFIRMED}
                and order.address is not FAR_ADDRESS
                and order.items[0].colour in ("red", "blue")
                and self.order_id in (None, order.order_id)
            )
            return S.ORDER_CONFIRMED if ok else None
        if trigger == "say_goodbye":
            return S.FAREWELL if s in SELLING | {S.GREETED, S.ORDER_CONFIRMED} else None
        if trigger == "hand_over":
            ok = s is S.FAREWELL and self.order_id is not None and all(map(ok_text, kw["remarks"]))
            return S.HANDED_OVER if ok else None
        if trigger == "follow_up_remark":
            i = kw["index"]
            ok = (
                s is S.HANDED_OVER
                and 0 <= i < len(self.remarks)
                and not self.remarks[i]
                and ok_text(kw["note"])
            )
            return s if ok else None
        if trigger == "complete":
            return S.COMPLETED if s is S.HANDED_OVER and all(self.remarks) else None
        if trigger == "end":
            ok = s in SELLING | {S.OPENED, S.GREETED, S.FAREWELL} and self.order_id is None
            return S.ENDED if ok and ok_text(kw["reason"]) else None
        if trigger == "transfer_to_aftersales":
            return S.TRANSFERRED if ok_text(kw["reason"]) else None
        raise AssertionError(trigger)

    def call(self, trigger: str, **kw: Any) -> None:
        session = self.session
        dest = self.expected(trigger, kw)
        before = snapshot(session)
        answer = session.can(trigger, **kw)
        try:
            getattr(session, trigger)(**kw)
        except EcServiceError:
            assert dest is None, (trigger, kw, self.state)
            assert not answer
            assert snapshot(session) == before
            return
        assert dest is not None, (trigger, kw, self.state)
        assert answer, (trigger, kw)
        assert session.status is dest
        assert session.version == before["version"] + 1
        if trigger in self.counts:
            self.counts[trigger] += 1
        if trigger == "confirm_order":
            self.order_id = kw["details"].order_id
        elif trigger == "hand_over":
            self.remarks = [False] * len(kw["remarks"])
        elif trigger == "follow_up_remark":
            self.remarks[kw["index"]] = True
        self.state = dest

    # --- rules -------------------------------------------------------------------------------

    @rule(step=st.integers(0, 3))
    def forward(self, step: int) -> None:
        """The next step of the documented flow, with valid arguments (so that paths get far)."""
        s = self.state
        if s is S.OPENED:
            self.call("greet", actor=AGENT)
        elif s is S.GREETED:
            self.call("take_enquiry", type=ENQUIRY_SIZE, actor=AGENT)
        elif s is S.ENQUIRING:
            self.call("recommend", sku="DRESS-1", actor=AGENT)
        elif s in (S.RECOMMENDING, S.HANDLING_OBJECTION, S.CLOSING) and step:
            order = details(order_id=self.order_id or "O-1")
            self.call("confirm_order", details=order, checker=ShopChecker(), actor=AGENT)
        elif s in (S.RECOMMENDING, S.HANDLING_OBJECTION):
            self.call("close_deal", actor=AGENT)
        elif s in (S.ORDER_CONFIRMED, S.CLOSING):
            self.call("say_goodbye", actor=AGENT)
        elif s is S.FAREWELL and self.order_id is not None:
            self.call("hand_over", remarks=["gift wrap", "ship with O-0"][:step], actor=AGENT)
        elif s is S.FAREWELL:
            self.call("end", reason="no order", actor=AGENT)
        elif s is S.HANDED_OVER and not all(self.remarks):
            self.call("follow_up_remark", index=self.remarks.index(False), note="done", actor=AGENT)
        elif s is S.HANDED_OVER:
            self.call("complete", actor=AGENT)

    @rule(delta=st.sampled_from([_dt.timedelta(microseconds=1), _dt.timedelta(minutes=2)]))
    def tick(self, delta: _dt.timedelta) -> None:
        self.clock.set(self.clock.now() + delta)

    @rule(
        sender=st.sampled_from([Sender.BUYER, Sender.AGENT, "buyer"]),
        length=st.sampled_from([1, 40, 0]),
    )
    def message(self, sender: object, length: int) -> None:
        self.call("message", sender=sender, length=length, actor=CHAT)

    @rule(
        sender=st.sampled_from([Sender.BUYER, Sender.AGENT]),
        length=st.sampled_from([1, 40]),
        actor=actors,
    )
    def message_by(self, sender: object, length: int, actor: object) -> None:
        """A message recorded by anyone: its sender, the chat log, or someone refused."""
        self.call("message", sender=sender, length=length, actor=actor)

    @rule(actor=actors)
    def greet(self, actor: object) -> None:
        self.call("greet", actor=actor)

    @rule(
        kind=st.sampled_from([ENQUIRY_SIZE, WARRANTY, ENQUIRY_PRESALE, "size"]),
        note=st.sampled_from(["", "170 cm"]),
    )
    def take_enquiry(self, kind: object, note: str) -> None:
        self.call("take_enquiry", type=kind, note=note, actor=AGENT)

    @rule(sku=texts)
    def recommend(self, sku: object) -> None:
        self.call("recommend", sku=sku, actor=AGENT)

    @rule(kind=st.sampled_from([*ObjectionKind, "price"]))
    def handle_objection(self, kind: object) -> None:
        self.call("handle_objection", kind=kind, actor=AGENT)

    @rule()
    def close_deal(self) -> None:
        self.call("close_deal", actor=AGENT)

    @rule(
        order_id=st.sampled_from(["O-1", "O-1", "O-2"]),
        far=st.sampled_from([False, False, True]),
        colour=st.sampled_from(["red", "blue", "purple"]),
    )
    def confirm_order(self, order_id: str, far: bool, colour: str) -> None:
        order = details(order_id=order_id, colour=colour, address=FAR_ADDRESS if far else ADDRESS)
        self.call("confirm_order", details=order, checker=ShopChecker(), actor=AGENT)

    @rule()
    def say_goodbye(self) -> None:
        self.call("say_goodbye", actor=AGENT)

    @rule(remarks=st.lists(st.sampled_from(["gift wrap", "ship with O-0", "  "]), max_size=3))
    def hand_over(self, remarks: list[str]) -> None:
        self.call("hand_over", remarks=remarks, actor=AGENT)

    @rule(index=st.integers(-1, 3), note=texts)
    def follow_up_remark(self, index: int, note: object) -> None:
        self.call("follow_up_remark", index=index, note=note, actor=AGENT)

    @rule()
    def complete(self) -> None:
        self.call("complete", actor=AGENT)

    @rule(reason=texts, rarely=st.integers(0, 5))
    def end(self, reason: object, rarely: int) -> None:
        if rarely == 0:
            self.call("end", reason=reason, actor=AGENT)

    @rule(reason=texts, rarely=st.integers(0, 7))
    def transfer_to_aftersales(self, reason: object, rarely: int) -> None:
        if rarely == 0:
            self.call("transfer_to_aftersales", reason=reason, actor=AGENT)

    # --- invariants --------------------------------------------------------------------------

    @invariant()
    def consistent(self) -> None:
        session = self.session
        assert session.version == len(session.history)
        assert session.status is self.state
        assert len(session.messages) == self.counts["message"]
        assert len(session.enquiries) == self.counts["take_enquiry"]
        assert len(session.recommended) == self.counts["recommend"]
        assert len(session.objections) == self.counts["handle_objection"]
        assert [r.followed_up for r in session.remarks] == self.remarks
        assert (session.order is not None) is (self.order_id is not None)
        assert rebuilt(session) == session
        event(f"reached {self.state.name}")


TestSessionStateful = SessionMachine.TestCase
TestSessionStateful.settings = settings(
    max_examples=100,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
