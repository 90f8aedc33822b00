"""Erasing the buyer's personal data from a consultation session."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from ecservice.consultation import ConsultationSession, ConsultationStatus, Sender
from ecservice.errors import PolicyViolation, ValidationError
from ecservice.orders import ERASED, ErasurePolicy, PersonalDataErased, erased_address
from ecservice.workflow import Actor
from tests.consultation.rig import (
    ADDRESS,
    AGENT,
    CHAT,
    handed_over,
    new_session,
    rebuilt,
    sessions,
    snapshot,
)

DPO = Actor.staff("privacy-office")


def _completed() -> ConsultationSession:
    session = new_session()
    session.message(sender=Sender.BUYER, length=12, actor=CHAT)
    handed_over(session, remarks=(f"gift card for {ADDRESS.recipient}", "ship fast"))
    session.follow_up_remark(index=0, note=f"called {ADDRESS.phone}", actor=AGENT)
    session.follow_up_remark(index=1, note="done", actor=AGENT)
    session.complete(actor=AGENT, note=f"sent to {ADDRESS.street}")
    session.pull_events()
    return session


def test_a_completed_session_loses_the_address_remarks_and_notes() -> None:
    session = _completed()
    before = snapshot(session)
    result = session.erase_personal_data(actor=DPO, reason="request PR-1")

    assert result.erased
    assert result.session_id == "C-1"
    assert result.parts == ("address", "remarks", "enquiry notes", "history notes")
    assert session.order is not None
    assert before["order"] is not None
    assert session.order.address == erased_address("CN")
    assert session.order.items == before["order"].items
    assert session.order.order_id == before["order"].order_id
    assert [(r.text, r.followed_up, r.note) for r in session.remarks] == [
        (ERASED, True, ERASED),
        (ERASED, True, ERASED),
    ]
    assert [e.note for e in session.enquiries] == [ERASED]
    assert [e.type for e in session.enquiries] == [e.type for e in before["enquiries"]]
    assert session.messages == before["messages"]
    assert session.version == before["version"]
    assert [(r.trigger, r.dest, r.at, r.actor, r.version) for r in session.history] == [
        (r.trigger, r.dest, r.at, r.actor, r.version) for r in before["history"]
    ]
    message_note = next(r.note for r in session.history if r.trigger == "message")
    assert message_note.startswith("buyer message of 12 characters")
    text = repr(snapshot(session))
    for personal in (ADDRESS.recipient, ADDRESS.phone, ADDRESS.street, "170 cm"):
        assert personal not in text
    assert session.pending_events == ()  # not a transition: the event is the result's
    assert isinstance(result.event, PersonalDataErased)
    assert result.event.erased == result.parts
    assert result.event.reason == "request PR-1"
    assert result.values.matches(f"to {ADDRESS.phone} please")
    assert "13800138000" not in repr(result)
    assert rebuilt(session) == session  # storage loads it again


def test_erasing_again_changes_nothing() -> None:
    session = _completed()
    session.erase_personal_data(actor=DPO, reason="request PR-1")
    after = snapshot(session)
    again = session.erase_personal_data(actor=DPO, reason="request PR-1")
    assert not again.erased
    assert again.parts == ()
    assert again.event is None
    assert snapshot(session) == after


def test_a_session_ended_without_an_order_loses_the_reason() -> None:
    session = new_session()
    session.greet(actor=AGENT)
    session.end(reason=f"{ADDRESS.recipient} left", actor=AGENT)
    result = session.erase_personal_data(actor=DPO, reason="request PR-2")
    assert result.parts == ("history notes",)
    assert session.order is None
    assert session.history[-1].note == ERASED
    assert session.status is ConsultationStatus.ENDED


def test_an_open_session_is_refused_and_unchanged() -> None:
    session = handed_over(new_session())
    before = snapshot(session)
    with pytest.raises(PolicyViolation, match="'C-1' is HANDED_OVER"):
        session.erase_personal_data(actor=DPO, reason="request PR-3")
    assert snapshot(session) == before


def test_the_retention_period_is_kept() -> None:
    session = _completed()
    before = snapshot(session)
    ended = session.history[-1].at
    with pytest.raises(PolicyViolation, match=r"E-Commerce Law art\. 31"):
        session.erase_personal_data(
            actor=DPO, reason="r", policy=ErasurePolicy.platform(), at=ended.add(years=2)
        )
    assert snapshot(session) == before
    result = session.erase_personal_data(
        actor=DPO, reason="r", policy=ErasurePolicy.platform(), at=ended.add(years=3)
    )
    assert result.erased


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"actor": "dpo", "reason": "r"}, "actor must be an Actor"),
        ({"actor": DPO, "reason": ""}, "reason"),
        ({"actor": DPO, "reason": "r", "basis": ""}, "basis"),
        ({"actor": DPO, "reason": "r", "policy": 3}, "policy must be an ErasurePolicy"),
    ],
)
def test_bad_arguments_are_refused_and_change_nothing(
    kwargs: dict[str, object], match: str
) -> None:
    session = _completed()
    before = snapshot(session)
    with pytest.raises(ValidationError, match=match):
        session.erase_personal_data(**kwargs)  # type: ignore[arg-type]
    assert snapshot(session) == before


@settings(max_examples=60, deadline=None)
@given(sessions(max_steps=25))
def test_erasing_any_session_keeps_its_structure(session: ConsultationSession) -> None:
    before = snapshot(session)
    if session.is_open:
        with pytest.raises(PolicyViolation):
            session.erase_personal_data(actor=DPO, reason="r")
        assert snapshot(session) == before
        return
    session.erase_personal_data(actor=DPO, reason="r")
    assert session.version == len(session.history) == len(before["history"])
    assert [(r.trigger, r.source, r.dest, r.at) for r in session.history] == [
        (r.trigger, r.source, r.dest, r.at) for r in before["history"]
    ]
    assert (session.messages, session.recommended, session.objections) == (
        before["messages"],
        before["recommended"],
        before["objections"],
    )
    assert all(r.note in ("", ERASED) for r in session.history if r.trigger != "message")
    assert rebuilt(session) == session
    after = snapshot(session)
    assert not session.erase_personal_data(actor=DPO, reason="r").erased
    assert snapshot(session) == after
