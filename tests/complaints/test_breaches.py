"""SLA breaches recorded on the complaint: the value, the transition, the constructor's checks
against the history, and that neither recording a breach nor escalating moves an SLA clock."""

from __future__ import annotations

import datetime as _dt
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecservice.calendar import ShopCalendar
from ecservice.clock import FixedClock
from ecservice.complaints import (
    DEFAULT_CLOCK_RULES,
    SAMR_CLOCK_RULES,
    Complaint,
    SlaBreach,
    SlaBreached,
    SlaPolicy,
    SlaTargetKind,
)
from ecservice.errors import InvalidTransition, NaiveDatetime, PolicyViolation, ValidationError
from ecservice.workflow import Actor, TransitionRecord
from tests.complaints.rig import AGENT, MICRO, START, closed, new_complaint, snapshot

SHOP = SlaPolicy.shop_default()
CALENDAR = ShopCalendar()
K = SlaTargetKind


def late_complaint(hours: float = 30) -> tuple[Complaint, FixedClock]:
    """A complaint nobody replied to, ``hours`` after it was opened (Sunday 1 March 2026,
    16:00 in Shanghai): its first reply (2 working hours) was due Monday 2 March at 11:00."""
    clock = FixedClock(START)
    complaint = new_complaint(clock=clock)
    clock.set(START + _dt.timedelta(hours=hours))
    return complaint, clock


def first_reply_cycle(complaint: Complaint) -> Any:
    return complaint.sla(SHOP, CALENDAR).cycles_of(K.FIRST_REPLY)[0]


# --- the value ---------------------------------------------------------------------------------


def test_a_breach_is_taken_from_a_breached_cycle_at_its_due_date() -> None:
    complaint, _ = late_complaint()
    cycle = first_reply_cycle(complaint)
    breach = SlaBreach.of(cycle)
    assert (breach.kind, breach.index) == (K.FIRST_REPLY, 0)
    assert breach.started_at == START
    assert breach.breached_at == breach.due_at == cycle.due_at
    assert breach.due_at.isoformat() == "2026-03-02T03:00:00+00:00"  # Monday 11:00 in Shanghai
    assert breach.key == (K.FIRST_REPLY, 0)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kind": "first_reply"}, "kind is an SlaTargetKind"),
        ({"index": -1}, "index is an int from 0"),
        ({"index": True}, "index is an int from 0"),
        ({"due_at": START - MICRO, "breached_at": START - MICRO}, "due_at is not before"),
        ({"breached_at": START + _dt.timedelta(hours=3)}, "breached_at is the due date"),
    ],
)
def test_an_inconsistent_breach_is_refused(change: dict[str, Any], message: str) -> None:
    fields: dict[str, Any] = {
        "kind": K.FIRST_REPLY,
        "index": 0,
        "started_at": START,
        "due_at": START + _dt.timedelta(hours=2),
        "breached_at": START + _dt.timedelta(hours=2),
        **change,
    }
    with pytest.raises(ValidationError, match=message):
        SlaBreach(**fields)


def test_a_breach_needs_aware_instants() -> None:
    with pytest.raises(NaiveDatetime):
        SlaBreach(
            kind=K.RESOLUTION,
            index=0,
            started_at=_dt.datetime(2026, 3, 1),  # naive: refused
            due_at=START,
            breached_at=START,
        )


def test_a_cycle_that_was_not_breached_gives_no_breach() -> None:
    complaint, _ = late_complaint(hours=1)
    with pytest.raises(ValidationError, match="was not breached"):
        SlaBreach.of(first_reply_cycle(complaint))
    with pytest.raises(ValidationError, match="from an SlaCycle"):
        SlaBreach.of("first_reply")  # type: ignore[arg-type]


# --- the transition ----------------------------------------------------------------------------


def test_recording_a_breach_keeps_the_state_and_emits_its_event() -> None:
    complaint, clock = late_complaint()
    cycle = first_reply_cycle(complaint)
    record = complaint.record_breach(breach=cycle)
    assert complaint.status is complaint.history[0].source  # internal
    assert (record.trigger, record.actor, record.at) == (
        "record_breach",
        Actor.system("sla-timer"),
        clock.now(),
    )
    assert record.note == "first_reply #0 due 2026-03-02T03:00:00+00:00 breached"
    assert complaint.breaches == (SlaBreach.of(cycle),)
    (event,) = complaint.pull_events()
    assert isinstance(event, SlaBreached)
    assert (event.kind, event.index, event.started_at) == (K.FIRST_REPLY, 0, START)
    assert event.breached_at == event.due_at == cycle.due_at
    assert event.occurred_at == clock.now()


def test_a_breach_is_recorded_once() -> None:
    complaint, _ = late_complaint()
    cycle = first_reply_cycle(complaint)
    complaint.record_breach(breach=SlaBreach.of(cycle), actor=AGENT)
    before = snapshot(complaint)
    assert not complaint.can("record_breach", breach=cycle)
    with pytest.raises(PolicyViolation, match="already recorded"):
        complaint.record_breach(breach=cycle)
    assert snapshot(complaint) == before


def test_a_breach_to_come_is_refused() -> None:
    breach = SlaBreach.of(first_reply_cycle(late_complaint()[0]))
    complaint, clock = late_complaint(hours=1)
    clock.set(breach.breached_at - MICRO)
    with pytest.raises(PolicyViolation, match="not breached at"):
        complaint.record_breach(breach=breach)
    clock.set(breach.breached_at)
    complaint.record_breach(breach=breach)
    assert complaint.history[-1].at == breach.breached_at


def test_a_breach_of_a_cycle_before_the_opening_is_refused() -> None:
    complaint, _ = late_complaint()
    breach = attrs.evolve(SlaBreach.of(first_reply_cycle(complaint)), started_at=START - MICRO)
    with pytest.raises(ValidationError, match="is not its own"):
        complaint.record_breach(breach=breach)


def test_a_breach_must_be_given() -> None:
    complaint, _ = late_complaint()
    assert not complaint.can("record_breach")
    with pytest.raises(ValidationError, match="SlaBreach or an SlaCycle"):
        complaint.record_breach(breach="first_reply")  # type: ignore[arg-type]


def test_a_closed_complaint_records_no_breach() -> None:
    complaint = closed(new_complaint())
    breach = SlaBreach(
        kind=K.FIRST_REPLY,
        index=0,
        started_at=START,
        due_at=START + _dt.timedelta(hours=2),
        breached_at=START + _dt.timedelta(hours=2),
    )
    with pytest.raises(InvalidTransition):
        complaint.record_breach(breach=breach)


# --- the constructor ---------------------------------------------------------------------------


def with_breach() -> Complaint:
    complaint, _ = late_complaint()
    complaint.record_breach(breach=first_reply_cycle(complaint))
    complaint.pull_events()
    return complaint


def rebuilt(complaint: Complaint, **changes: Any) -> Complaint:
    fields = {a.name: getattr(complaint, a.name) for a in attrs.fields(Complaint) if a.init}
    return Complaint(**{**fields, **changes})


def edited(record: TransitionRecord, **changes: Any) -> TransitionRecord:
    fields: dict[str, Any] = {
        name: getattr(record, name)
        for name in ("trigger", "source", "dest", "at", "actor", "note", "version")
    }
    return TransitionRecord(**{**fields, **changes})


def test_the_constructor_accepts_breaches_that_match_the_history() -> None:
    complaint = with_breach()
    assert rebuilt(complaint) == complaint
    assert new_complaint().breaches == ()


def test_the_constructor_wants_one_breach_per_record() -> None:
    complaint = with_breach()
    breach = complaint.breaches[0]
    with pytest.raises(ValidationError, match="0 breach"):
        rebuilt(complaint, breaches=())
    with pytest.raises(ValidationError, match="2 breach"):
        rebuilt(complaint, breaches=(breach, breach))
    with pytest.raises(ValidationError, match=r"1 breach.*records 0"):
        rebuilt(new_complaint(), breaches=(breach,))
    with pytest.raises(ValidationError, match="SlaBreach values"):
        rebuilt(complaint, breaches=("first_reply",))


def test_the_constructor_wants_the_breach_its_record_describes() -> None:
    complaint = with_breach()
    breach = complaint.breaches[0]
    other = attrs.evolve(breach, kind=K.RESOLUTION)
    with pytest.raises(ValidationError, match="not the breach"):
        rebuilt(complaint, breaches=(other,))
    later = attrs.evolve(
        breach,
        due_at=complaint.history[-1].at + MICRO,
        breached_at=complaint.history[-1].at + MICRO,
    )
    history = (*complaint.history[:-1], edited(complaint.history[-1], note=later.describe()))
    with pytest.raises(ValidationError, match="before it happened"):
        rebuilt(complaint, breaches=(later,), history=history)


def test_the_constructor_refuses_a_breach_recorded_twice() -> None:
    complaint = with_breach()
    complaint.escalate(reason="late", actor=AGENT)
    breach = complaint.breaches[0]
    record = complaint.history[0]
    history = (*complaint.history, edited(record, version=len(complaint.history) + 1))
    level_ok = {"history": history, "version": len(history), "breaches": (breach, breach)}
    with pytest.raises(ValidationError, match="recorded twice"):
        rebuilt(complaint, **level_ok)


# --- no clock moves ----------------------------------------------------------------------------


@pytest.mark.parametrize("rules", [DEFAULT_CLOCK_RULES, SAMR_CLOCK_RULES])
def test_no_clock_rule_names_a_breach_or_an_escalation(rules: tuple[Any, ...]) -> None:
    for rule in rules:
        triggers, _states = rule.names()
        assert "record_breach" not in triggers
        assert "escalate" not in triggers


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    hours=st.integers(1, 24 * 12),
    later=st.timedeltas(min_value=_dt.timedelta(0), max_value=_dt.timedelta(days=20)),
    replied=st.booleans(),
    policy=st.sampled_from([SHOP, SlaPolicy.samr_interim_measures()]),
)
def test_recording_breaches_and_escalating_move_no_clock(
    hours: int, later: _dt.timedelta, replied: bool, policy: SlaPolicy
) -> None:
    """Evaluated at any later instant, a complaint gives the same cycles and escalations
    whether or not its breaches were recorded and it was escalated in between."""
    clock = FixedClock(START)
    plain = new_complaint(clock=clock)
    if replied:
        clock.set(START + _dt.timedelta(minutes=30))
        plain.reply(message="We are on it.", actor=AGENT)
    clock.set(START + _dt.timedelta(hours=hours))
    marked = rebuilt(plain)
    for cycle in marked.sla(policy, CALENDAR).breaches:
        marked.record_breach(breach=cycle)
    marked.escalate(reason="breached", actor=AGENT)
    at = clock.now() + later
    assert marked.sla(policy, CALENDAR, now=at) == plain.sla(policy, CALENDAR, now=at)
