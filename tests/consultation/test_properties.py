"""Properties of sessions after random valid paths, and a custom workflow derived from the
default one."""

from __future__ import annotations

import copy
import pickle

import attrs
from hypothesis import given, settings

from ecservice.consultation import (
    CONSULTATION_WORKFLOW,
    END_STATES,
    SELLING_STATES,
    ConsultationSession,
    ConsultationStatus,
)
from ecservice.workflow import (
    Actor,
    LabelledState,
    TransitionRecord,
    Workflow,
    bind_workflow,
    transition,
    trigger,
)
from tests.consultation.rig import (
    AGENT,
    ShopChecker,
    details,
    new_session,
    rebuilt,
    selling,
    sessions,
)

S = ConsultationStatus


@settings(max_examples=50, deadline=None)
@given(sessions())
def test_a_session_rebuilds_from_its_fields(session: ConsultationSession) -> None:
    """The storage path (the constructor) accepts every reachable session and gives an equal
    one; copies and pickles are equal too."""
    assert rebuilt(session) == session
    assert copy.deepcopy(session) == session
    assert pickle.loads(pickle.dumps(session)) == session


@settings(max_examples=50, deadline=None)
@given(sessions())
def test_session_invariants(session: ConsultationSession) -> None:
    """Messages are in time order, from the opening; an enquiry's instant is its record's;
    an ended session has no order; a completed one has every remark followed up; remarks only
    after the hand-over; allowed triggers are those of the table."""
    instants = [m.at for m in session.messages]
    assert instants == sorted(instants)
    assert all(at >= session.opened_at for at in instants)
    records = [r.at for r in session.history if r.trigger == "take_enquiry"]
    assert [e.at for e in session.enquiries] == records
    if session.status is S.ENDED:
        assert session.order is None
    if session.status is S.COMPLETED:
        assert session.order is not None
        assert not session.open_remarks
    if session.remarks:
        assert any(r.trigger == "hand_over" for r in session.history)
    assert (session.status in END_STATES) is (not session.allowed_triggers())
    first = session.first_response()
    assert first == (session.responses()[0] if session.responses() else None)


class Coupon(LabelledState):
    COUPON_SENT = ("coupon_sent", "Coupon sent", "已发优惠券")


@attrs.define(slots=True, kw_only=True, on_setattr=attrs.setters.NO_OP)
class CouponSession(ConsultationSession):
    """A session whose shop sends a coupon before closing."""

    @trigger
    def send_coupon(self, *, actor: Actor, note: str = "") -> TransitionRecord:
        """Send a coupon (发优惠券)."""
        raise NotImplementedError  # never run: calling it fires the trigger


COUPON_WORKFLOW: Workflow[CouponSession] = CONSULTATION_WORKFLOW.derive(
    "consultation_with_coupon",
    add_states=[Coupon.COUPON_SENT],
    add_transitions=[transition("send_coupon", SELLING_STATES, Coupon.COUPON_SENT)],
    add_sources={
        "confirm_order": {Coupon.COUPON_SENT: S.CLOSING},
        "message": [Coupon.COUPON_SENT],
        "end": [Coupon.COUPON_SENT],
        "transfer_to_aftersales": [Coupon.COUPON_SENT],
    },
)
bind_workflow(CouponSession, COUPON_WORKFLOW)


def test_a_derived_workflow_runs_on_a_subclass() -> None:
    """A shop's step between closing and the confirmation: the session sends a coupon, then
    confirms the order; it rebuilds from its fields."""
    plain = new_session()
    session = CouponSession(id="C-9", buyer_id="b-1", opened_at=plain.opened_at, clock=plain.clock)
    selling(session)
    session.send_coupon(actor=AGENT, note="10 off 200")
    assert session.status.value == "coupon_sent"
    session.confirm_order(details=details(), checker=ShopChecker(), actor=AGENT)
    assert session.status.value == "order_confirmed"
    fields = {f.name: getattr(session, f.name) for f in attrs.fields(CouponSession) if f.init}
    assert CouponSession(**fields) == session
