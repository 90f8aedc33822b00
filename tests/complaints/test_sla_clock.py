"""SLA clocks: cycles, due dates, pauses, breaches and escalations, to the microsecond."""

from __future__ import annotations

import datetime as dt

import attrs
import pendulum
import pytest

from ecservice.aftersales import ProblemKind
from ecservice.calendar import ShopCalendar, WeeklyHours
from ecservice.clock import FixedClock
from ecservice.complaints import Complaint, ComplaintChannel, ComplaintPriority, ThirdParty
from ecservice.complaints._sla_clock import (
    CycleEnd,
    SlaCycle,
    SlaEvaluation,
    SlaSnapshot,
    evaluate_sla,
)
from ecservice.complaints._sla_errors import InvalidTimeline
from ecservice.complaints._sla_policy import EscalationStep, SlaPolicy
from ecservice.complaints._sla_rules import (
    ClockEvent,
    ClockRule,
    PauseState,
    SlaTarget,
    SlaTargetKind,
    TimeBasis,
)
from ecservice.complaints._sla_time import add_time
from ecservice.errors import NaiveDatetime, ValidationError
from ecservice.workflow import Actor, LabelledState
from tests.complaints.test_sla_support import (
    BERLIN,
    CN,
    MICRO,
    NEW_YORK,
    SH,
    H,
    S,
    Timeline,
    local,
    sh,
    single,
)

K = SlaTargetKind
B = TimeBasis
P = ComplaintPriority
D = dt.timedelta(days=1)
AGENT = Actor.staff("li.na")
BUYER = Actor.buyer("b-1")


def _evaluate(
    opened: pendulum.DateTime,
    line: Timeline,
    policy: SlaPolicy,
    now: pendulum.DateTime,
    calendar: ShopCalendar = CN,
    priority: P = P.NORMAL,
) -> SlaEvaluation:
    return evaluate_sla(opened, line.records, policy, calendar, priority=priority, now=now)


# --- the Spring Festival of 2026, driving the complaint aggregate -------------------------------


def _spring_festival_complaint() -> Complaint:
    """Lodged on Friday 13 February 2026 at 16:30, the last ordinary working day before the
    Spring Festival (Saturday 14 is a make-up working day, 15 to 23 are off)."""
    clock = FixedClock(sh(2026, 2, 13, 16, 30))
    complaint = Complaint(
        id="C-1",
        buyer_id="b-1",
        text="The kettle leaks.",
        channel=ComplaintChannel.CHAT,
        opened_at=clock.now(),
        clock=clock,
    )
    clock.set(sh(2026, 2, 14, 9, 45))
    complaint.reply(message="Sorry, we are looking into it.", actor=AGENT)
    clock.set(sh(2026, 2, 14, 10))
    complaint.record(problem=ProblemKind.QUALITY, summary="Leaks at the base.", actor=AGENT)
    clock.set(sh(2026, 2, 24, 10))
    complaint.await_customer(reason="A photo of the base, please.", actor=AGENT)
    clock.set(sh(2026, 2, 25, 10))
    complaint.resume(actor=BUYER)
    clock.set(sh(2026, 2, 25, 11))
    complaint.reply(message="Thank you; a replacement is on its way.", actor=AGENT)
    return complaint


def _shop(complaint: Complaint, now: pendulum.DateTime) -> SlaEvaluation:
    return evaluate_sla(
        complaint.opened_at,
        complaint.history,
        SlaPolicy.shop_default(),
        CN,
        priority=complaint.priority,
        problem=complaint.problem,
        now=now,
    )


def test_spring_festival_first_reply_runs_into_the_make_up_day() -> None:
    """2 working hours from Friday 16:30: 1.5 h on Friday, 0.5 h on the make-up Saturday, due
    09:30; the reply at 09:45 is late, so it is breached at 09:30 and escalated then."""
    ev = _shop(_spring_festival_complaint(), sh(2026, 2, 25, 12))
    (first,) = ev.cycles_of(K.FIRST_REPLY)
    assert local(first.due_at) == "2026-02-14T09:30:00+08:00"
    assert local(first.stopped_at) == "2026-02-14T09:45:00+08:00"
    assert first.ended is CycleEnd.MET
    assert first.breached_at == first.due_at
    assert [(e.kind, e.level, local(e.at)) for e in ev.escalations] == [
        (K.FIRST_REPLY, 1, "2026-02-14T09:30:00+08:00")
    ]
    assert ev.required_level == 1


def test_spring_festival_resolution_counts_working_days_and_the_customer_pause() -> None:
    """3 working days from Friday 13 February: Saturday 14 (make-up), Tuesday 24, Wednesday 25,
    closing at 18:00; waiting for the customer from 24 Feb 10:00 to 25 Feb 10:00 covers 9
    working hours, so the due date moves to Thursday 26 February 18:00."""
    complaint = _spring_festival_complaint()
    before = _shop(complaint, sh(2026, 2, 25, 12))
    (resolution,) = before.cycles_of(K.RESOLUTION)
    assert local(resolution.due_at) == "2026-02-26T18:00:00+08:00"
    assert resolution.paused == D
    assert resolution.running
    assert not resolution.paused_now
    assert resolution.breached_at is None
    unpaused = add_time(CN, complaint.opened_at, 3 * D, B.WORKING_DAYS)
    assert local(unpaused) == "2026-02-25T18:00:00+08:00"


def test_spring_festival_periodic_update_in_real_time_breaches_on_the_holiday() -> None:
    """Updates every 24 hours of real time: from the reply on Saturday 09:45 the next was due on
    Sunday 15 February 09:45, in the holiday; the cycle that the question of 24 Feb started is
    paused for the customer's 24 hours and met by the reply of 25 Feb 11:00."""
    ev = _shop(_spring_festival_complaint(), sh(2026, 2, 25, 12))
    cycles = ev.cycles_of(K.PERIODIC_UPDATE)
    assert [(local(c.started_at), local(c.due_at), local(c.breached_at)) for c in cycles] == [
        ("2026-02-14T09:45:00+08:00", "2026-02-15T09:45:00+08:00", "2026-02-15T09:45:00+08:00"),
        ("2026-02-24T10:00:00+08:00", "2026-02-26T10:00:00+08:00", None),
        ("2026-02-25T11:00:00+08:00", "2026-02-26T11:00:00+08:00", None),
    ]
    assert [c.index for c in cycles] == [0, 1, 2]
    assert cycles[1].paused == D
    assert ev.next_due == sh(2026, 2, 26, 11)


def test_spring_festival_next_reply_starts_when_the_customer_answers() -> None:
    """The customer's answer (leaving the wait) starts a 4-working-hour next reply, met at 11:00."""
    ev = _shop(_spring_festival_complaint(), sh(2026, 2, 25, 12))
    (nxt,) = ev.cycles_of(K.NEXT_REPLY)
    assert (local(nxt.started_at), local(nxt.due_at), local(nxt.stopped_at)) == (
        "2026-02-25T10:00:00+08:00",
        "2026-02-25T14:00:00+08:00",
        "2026-02-25T11:00:00+08:00",
    )
    assert nxt.met
    assert nxt.breached_at is None


def test_first_reply_to_the_microsecond_across_the_holiday() -> None:
    """Opened one microsecond before Friday's close: 2 working hours end on Saturday 14 at
    10:59:59.999999; opened on the first holiday, they end on Tuesday 24 at 11:00."""
    policy = single(K.FIRST_REPLY, 2 * H)
    opened = sh(2026, 2, 13, 18) - MICRO
    ev = _evaluate(opened, Timeline(), policy, opened)
    assert local(ev.cycles[0].due_at) == "2026-02-14T10:59:59.999999+08:00"
    holiday = sh(2026, 2, 15, 12)
    ev = _evaluate(holiday, Timeline(), policy, holiday)
    assert local(ev.cycles[0].due_at) == "2026-02-24T11:00:00+08:00"


def test_samr_working_days_across_the_spring_festival() -> None:
    """7 working days from Friday 13 Feb: 14, 24, 25, 26, 27, 28 (make-up Saturday), 2 March;
    45 working days from the first reply on Tuesday 24 Feb (day 1 is Wednesday 25)."""
    policy = SlaPolicy.samr_interim_measures()
    opened = sh(2026, 2, 13, 16, 30)
    line = Timeline().add("reply", sh(2026, 2, 24, 10), S.REPLIED)
    ev = _evaluate(opened, line, policy, sh(2026, 2, 24, 11))
    (first,) = ev.cycles_of(K.FIRST_REPLY)
    assert local(first.due_at) == "2026-03-02T18:00:00+08:00"
    assert first.met
    assert first.breached_at is None
    (resolution,) = ev.cycles_of(K.RESOLUTION)
    assert local(resolution.started_at) == "2026-02-24T10:00:00+08:00"
    # March has 22 working days (25-28 Feb give 4, March 22, April to 30 April... counted):
    expected = add_time(CN, sh(2026, 2, 24, 10), 45 * D, B.WORKING_DAYS)
    assert resolution.due_at == expected
    days, day = 0, dt.date(2026, 2, 24)
    while days < 45:
        day += dt.timedelta(days=1)
        days += CN.is_working_day(day)
    assert local(resolution.due_at) == f"{day.isoformat()}T18:00:00+08:00"


# --- DST --------------------------------------------------------------------------------------


def test_business_time_across_new_york_spring_forward() -> None:
    """Friday 6 March 2026 17:00 EST plus 2 working hours: Monday 9 March 10:00 EDT, i.e. 14:00
    UTC (the Friday was 22:00 UTC)."""
    opened = pendulum.datetime(2026, 3, 6, 17, tz="America/New_York")
    ev = _evaluate(opened, Timeline(), single(K.FIRST_REPLY, 2 * H), opened, NEW_YORK)
    due = ev.cycles[0].due_at
    assert local(due, "America/New_York") == "2026-03-09T10:00:00-04:00"
    assert due == pendulum.datetime(2026, 3, 9, 14, tz="UTC")


def test_calendar_time_across_new_york_spring_forward() -> None:
    """24 real hours from Saturday 7 March 12:00 EST end on Sunday at 13:00 EDT."""
    opened = pendulum.datetime(2026, 3, 7, 12, tz="America/New_York")
    policy = single(K.FIRST_REPLY, 24 * H, B.CALENDAR)
    ev = _evaluate(opened, Timeline(), policy, opened, NEW_YORK)
    assert local(ev.cycles[0].due_at, "America/New_York") == "2026-03-08T13:00:00-04:00"


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        ((2026, 3, 28, 12), "2026-03-29T13:00:00+02:00"),  # the day of 23 hours
        ((2026, 10, 24, 12), "2026-10-25T11:00:00+01:00"),  # the day of 25 hours
    ],
)
def test_business_time_across_berlin_dst(start: tuple[int, ...], expected: str) -> None:
    """A shop open around the clock: 24 working hours are 24 real hours across both changes."""
    calendar = ShopCalendar(
        zone="Europe/Berlin", holidays=None, week=WeeklyHours.every_day(["00:00-24:00"])
    )
    opened = pendulum.datetime(*start, tz="Europe/Berlin")
    ev = _evaluate(opened, Timeline(), single(K.FIRST_REPLY, 24 * H), opened, calendar)
    assert local(ev.cycles[0].due_at, "Europe/Berlin") == expected


def test_working_days_across_berlin_autumn_change() -> None:
    """2 working days from Friday 23 October 2026 close at 18:00 CET on Tuesday 27 October."""
    opened = pendulum.datetime(2026, 10, 23, 15, tz="Europe/Berlin")
    policy = single(K.RESOLUTION, 2 * D, B.WORKING_DAYS)
    ev = _evaluate(opened, Timeline(), policy, opened, BERLIN)
    assert local(ev.cycles[0].due_at, "Europe/Berlin") == "2026-10-27T18:00:00+01:00"


# --- pauses ------------------------------------------------------------------------------------


def test_pause_going_on_reports_the_due_date_as_if_it_ended_now() -> None:
    """While the customer is awaited, the resolution's due date is reported as if the wait ended
    now: it moves with now, ``paused_now`` says so, and ``next_due`` leaves it out."""
    opened = sh(2026, 3, 2, 9)
    line = (
        Timeline()
        .add("reply", sh(2026, 3, 2, 9, 10), S.REPLIED)
        .add("await_customer", sh(2026, 3, 2, 10), S.AWAITING_CUSTOMER)
    )
    policy = single(K.RESOLUTION, 3 * H)
    at_noon = _evaluate(opened, line, policy, sh(2026, 3, 2, 12))
    at_one = _evaluate(opened, line, policy, sh(2026, 3, 2, 13))
    (c12,), (c13,) = at_noon.cycles, at_one.cycles
    assert c12.paused_now
    assert c13.paused_now
    assert local(c12.due_at) == "2026-03-02T14:00:00+08:00"
    assert local(c13.due_at) == "2026-03-02T15:00:00+08:00"
    assert c12.paused == 2 * H
    assert at_noon.next_due is None
    line.add("resume", sh(2026, 3, 2, 13), S.REPLIED)
    resumed = _evaluate(opened, line, policy, sh(2026, 3, 2, 13))
    assert resumed.cycles[0].due_at == c13.due_at
    assert not resumed.cycles[0].paused_now
    assert resumed.next_due == c13.due_at


def test_pause_after_the_due_date_does_not_undo_a_breach() -> None:
    """A wait that starts after the due date leaves the due date and the breach alone."""
    opened = sh(2026, 3, 2, 9)
    line = (
        Timeline()
        .add("reply", sh(2026, 3, 2, 9, 5), S.REPLIED)
        .add("await_customer", sh(2026, 3, 2, 15), S.AWAITING_CUSTOMER)
    )
    ev = _evaluate(opened, line, single(K.RESOLUTION, 3 * H), sh(2026, 3, 3, 9))
    (cycle,) = ev.cycles
    assert local(cycle.due_at) == "2026-03-02T12:00:00+08:00"
    assert cycle.breached_at == cycle.due_at


def test_pause_outside_working_hours_moves_nothing_in_business_time() -> None:
    """A wait overnight covers no working time: a business-time due date stays; a calendar-time
    one moves by the wait's length."""
    opened = sh(2026, 3, 2, 17)
    line = (
        Timeline()
        .add("reply", sh(2026, 3, 2, 17, 1), S.REPLIED)
        .add("await_customer", sh(2026, 3, 2, 18, 30), S.AWAITING_CUSTOMER)
        .add("resume", sh(2026, 3, 2, 20, 30), S.REPLIED)
    )
    now = sh(2026, 3, 2, 21)
    business = _evaluate(opened, line, single(K.RESOLUTION, 2 * H), now).cycles[0]
    assert local(business.due_at) == "2026-03-03T10:00:00+08:00"
    real = _evaluate(opened, line, single(K.RESOLUTION, 2 * H, B.CALENDAR), now).cycles[0]
    assert local(real.due_at) == "2026-03-02T21:00:00+08:00"
    assert real.paused == 2 * H


def test_inspection_pauses_resolution_but_a_carrier_does_not() -> None:
    """Waiting entered by ``await_inspection`` pauses the resolution; by ``await_third_party``
    (a carrier) it does not."""
    opened = sh(2026, 3, 2, 9)
    policy = single(K.RESOLUTION, 9 * H)
    now = sh(2026, 3, 2, 15)

    def due(trigger: str) -> str | None:
        line = (
            Timeline()
            .add("reply", sh(2026, 3, 2, 9, 30), S.REPLIED)
            .add(trigger, sh(2026, 3, 2, 10), S.AWAITING_THIRD_PARTY)
            .add("resume", sh(2026, 3, 2, 14), S.REPLIED)
        )
        return local(_evaluate(opened, line, policy, now).cycles[0].due_at)

    assert due("await_inspection") == "2026-03-03T13:00:00+08:00"
    assert due("await_third_party") == "2026-03-02T18:00:00+08:00"


def test_samr_resolution_ignores_the_customer_wait() -> None:
    """The regulator's period excludes inspections only: waiting for the customer counts."""
    opened = sh(2026, 3, 2, 9)
    line = (
        Timeline()
        .add("reply", sh(2026, 3, 2, 10), S.REPLIED)
        .add("await_customer", sh(2026, 3, 3, 10), S.AWAITING_CUSTOMER)
        .add("resume", sh(2026, 3, 10, 10), S.REPLIED)
        .add("await_inspection", sh(2026, 3, 11, 10), S.AWAITING_THIRD_PARTY)
        .add("resume", sh(2026, 3, 12, 10), S.REPLIED)
    )
    ev = _evaluate(opened, line, SlaPolicy.samr_interim_measures(), sh(2026, 3, 12, 11))
    (resolution,) = ev.cycles_of(K.RESOLUTION)
    assert resolution.paused == D  # the inspection only
    unpaused = add_time(CN, sh(2026, 3, 2, 10), 45 * D, B.WORKING_DAYS)
    assert resolution.due_at == CN.add(unpaused, 9 * H)  # one working day (9 h) later


# --- repeated cycles, breaches, cancellations ----------------------------------------------------


def test_breach_instant_is_the_due_date_and_meeting_at_it_is_in_time() -> None:
    """Met exactly at the due date: in time; one microsecond later: breached at the due date;
    still running at the due date: breached, at the due date."""
    opened = sh(2026, 3, 2, 9)
    due = sh(2026, 3, 2, 11)
    policy = single(K.FIRST_REPLY, 2 * H)
    on_time = Timeline().add("reply", due, S.REPLIED)
    assert _evaluate(opened, on_time, policy, due).cycles[0].breached_at is None
    late = Timeline().add("reply", due + MICRO, S.REPLIED)
    assert _evaluate(opened, late, policy, due + MICRO).cycles[0].breached_at == due
    assert _evaluate(opened, Timeline(), policy, due).cycles[0].breached_at == due
    assert _evaluate(opened, Timeline(), policy, due - MICRO).cycles[0].breached_at is None


def test_reopening_starts_a_new_resolution_cycle() -> None:
    """Resolution: met on entering the follow-up, started again by ``reopen``."""
    opened = sh(2026, 3, 2, 9)
    line = (
        Timeline()
        .add("reply", sh(2026, 3, 2, 9, 30), S.REPLIED)
        .add("record", sh(2026, 3, 2, 10), S.RECORDED)
        .add("judge", sh(2026, 3, 2, 11), S.JUDGED)
        .add("feedback", sh(2026, 3, 2, 12), S.FOLLOW_UP)
        .add("follow_up", sh(2026, 3, 3, 12), S.CLOSED)
        .add("reopen", sh(2026, 3, 4, 9), S.REPLIED)
    )
    policy = SlaPolicy.shop_default()
    ev = _evaluate(opened, line, policy, sh(2026, 3, 4, 10))
    resolution = ev.cycles_of(K.RESOLUTION)
    assert [(local(c.started_at), c.ended) for c in resolution] == [
        ("2026-03-02T09:00:00+08:00", CycleEnd.MET),
        ("2026-03-04T09:00:00+08:00", None),
    ]
    assert local(resolution[1].due_at) == "2026-03-09T18:00:00+08:00"
    (visit,) = ev.cycles_of(K.FOLLOW_UP)
    assert visit.met
    assert local(visit.due_at) == "2026-03-05T18:00:00+08:00"
    # the feedback is a contact: it meets the update; entering the follow-up starts none
    assert [c.ended for c in ev.cycles_of(K.PERIODIC_UPDATE)] == [CycleEnd.MET]
    assert len(ev.cycles_of(K.FIRST_REPLY)) == 1


def test_withdrawal_cancels_running_cycles_and_keeps_breaches() -> None:
    """A withdrawn complaint owes nothing more: running cycles end unmet; a breach before the
    withdrawal stays; nothing is due any more."""
    opened = sh(2026, 3, 2, 9)
    line = Timeline().add("withdraw", sh(2026, 3, 2, 12), S.CLOSED)
    ev = _evaluate(opened, line, SlaPolicy.shop_default(), sh(2026, 3, 20))
    first, resolution = ev.cycles_of(K.FIRST_REPLY)[0], ev.cycles_of(K.RESOLUTION)[0]
    assert first.ended is CycleEnd.CANCELLED
    assert not first.met
    assert first.breached_at == sh(2026, 3, 2, 11)
    assert resolution.ended is CycleEnd.CANCELLED
    assert resolution.breached_at is None
    assert ev.next_due is None
    assert ev.breaches == (first,)


def test_non_repeating_rule_starts_once() -> None:
    """The regulator's resolution starts at the first reply only."""
    opened = sh(2026, 3, 2, 9)
    line = (
        Timeline()
        .add("reply", sh(2026, 3, 2, 10), S.REPLIED)
        .add("record", sh(2026, 3, 2, 11), S.RECORDED)
        .add("judge", sh(2026, 3, 2, 12), S.JUDGED)
        .add("feedback", sh(2026, 3, 2, 13), S.FOLLOW_UP)
        .add("follow_up", sh(2026, 3, 2, 14), S.CLOSED)
        .add("reopen", sh(2026, 3, 2, 15), S.REPLIED)
        .add("reply", sh(2026, 3, 2, 16))
    )
    ev = _evaluate(opened, line, SlaPolicy.samr_interim_measures(), sh(2026, 3, 2, 17))
    assert len(ev.cycles_of(K.RESOLUTION)) == 1


# --- escalations ---------------------------------------------------------------------------------


def test_escalation_chain_follows_an_unmet_breach() -> None:
    """Resolution due Wed 4 March 18:00 (3 working days from Sun 1 March): level 1 then, level 2
    one working day later (Thu 5 March 18:00), level 3 three working days after the breach
    (Mon 9 March 18:00); met on Fri 6 March, level 3 never comes."""
    opened = sh(2026, 3, 1, 12)
    line = Timeline().add("reply", sh(2026, 3, 2, 9), S.REPLIED)
    policy = SlaPolicy.shop_default()
    ev = _evaluate(opened, line, policy, sh(2026, 3, 5, 12))
    steps = [(e.level, local(e.at)) for e in ev.escalations if e.kind is K.RESOLUTION]
    assert steps == [
        (1, "2026-03-04T18:00:00+08:00"),
        (2, "2026-03-05T18:00:00+08:00"),
        (3, "2026-03-09T18:00:00+08:00"),
    ]
    assert ev.required_level == 1
    assert ev.next_due == sh(2026, 3, 5, 18)
    line.add("record", sh(2026, 3, 6, 9), S.RECORDED).add("judge", sh(2026, 3, 6, 10), S.JUDGED)
    line.add("feedback", sh(2026, 3, 6, 11), S.FOLLOW_UP)
    later = _evaluate(opened, line, policy, sh(2026, 3, 10))
    levels = [e.level for e in later.escalations if e.kind is K.RESOLUTION]
    assert levels == [1, 2]
    assert later.required_level == 2


def test_next_due_is_the_earliest_future_instant() -> None:
    """next_due picks the earliest running due date or escalation after now."""
    opened = sh(2026, 3, 2, 9)
    ev = _evaluate(opened, Timeline(), SlaPolicy.shop_default(), sh(2026, 3, 2, 10))
    assert ev.next_due == sh(2026, 3, 2, 11)  # the first reply, 2 working hours
    ev = _evaluate(opened, Timeline(), SlaPolicy.shop_default(), sh(2026, 3, 2, 11))
    assert ev.cycles_of(K.FIRST_REPLY)[0].breached_at == sh(2026, 3, 2, 11)
    assert ev.required_level == 1
    assert ev.next_due == sh(2026, 3, 5, 18)  # the resolution, 3 working days


# --- policy changes ------------------------------------------------------------------------------


def test_policy_change_recomputes_unless_a_snapshot_keeps_the_targets() -> None:
    """Without a snapshot the new policy applies to every cycle; with one, cycles started
    before it keep their targets (and still move with later pauses); later cycles use the new
    policy."""
    opened = sh(2026, 3, 2, 9)
    old = single(K.RESOLUTION, 9 * H)
    new = single(K.RESOLUTION, 18 * H)
    line = Timeline().add("reply", sh(2026, 3, 2, 9, 30), S.REPLIED)
    snapshot = _evaluate(opened, line, old, sh(2026, 3, 2, 10)).freeze()
    assert snapshot.policy == "test"
    assert snapshot.taken_at == sh(2026, 3, 2, 10)
    line.add("await_customer", sh(2026, 3, 2, 11), S.AWAITING_CUSTOMER)
    line.add("resume", sh(2026, 3, 2, 12), S.REPLIED)
    now = sh(2026, 3, 2, 13)
    recomputed = _evaluate(opened, line, new, now).cycles[0]
    assert local(recomputed.due_at) == "2026-03-04T10:00:00+08:00"
    kept = evaluate_sla(
        opened, line.records, new, CN, priority=P.NORMAL, now=now, keep=snapshot
    ).cycles[0]
    assert kept.target == SlaTarget(K.RESOLUTION, 9 * H)
    assert local(kept.due_at) == "2026-03-03T10:00:00+08:00"
    # a reopened cycle after the snapshot uses the new policy
    line.add("record", sh(2026, 3, 2, 14), S.RECORDED).add("judge", sh(2026, 3, 2, 15), S.JUDGED)
    line.add("feedback", sh(2026, 3, 2, 16), S.FOLLOW_UP)
    line.add("follow_up", sh(2026, 3, 2, 17), S.CLOSED).add("reopen", sh(2026, 3, 3, 9), S.REPLIED)
    ev = evaluate_sla(
        opened, line.records, new, CN, priority=P.NORMAL, now=sh(2026, 3, 3, 10), keep=snapshot
    )
    assert [c.target.duration for c in ev.cycles] == [9 * H, 18 * H]


def test_snapshot_keeps_a_kind_the_new_policy_drops() -> None:
    """A cycle the snapshot holds is still measured when the new policy has no target of its
    kind (its clock rule is still there)."""
    opened = sh(2026, 3, 2, 9)
    snapshot = _evaluate(opened, Timeline(), single(K.FIRST_REPLY, H), opened).freeze()
    other = single(K.RESOLUTION, 9 * H)
    ev = evaluate_sla(opened, (), other, CN, priority=P.LOW, now=opened, keep=snapshot)
    assert {c.kind for c in ev.cycles} == {K.FIRST_REPLY, K.RESOLUTION}


# --- another workflow -------------------------------------------------------------------------


class _Process(LabelledState):
    """The second complaint process: receive, initial handling, investigate, solution,
    implement, archive."""

    RECEIVED = ("received", "Received", "接收投诉")
    HANDLING = ("handling", "Initial handling", "初步处理")
    INVESTIGATING = ("investigating", "Investigating", "调查")
    LAB = ("lab", "At the laboratory", "送检")
    SOLUTION = ("solution", "Solution", "解决方案")
    ARCHIVED = ("archived", "Archived", "归档")


def test_custom_rules_on_another_workflow() -> None:
    """Rules naming another workflow's triggers and states time it the same way."""
    rules = [
        ClockRule(K.FIRST_REPLY, on_open=True, stops=[ClockEvent(leaving=_Process.RECEIVED)]),
        ClockRule(
            K.RESOLUTION,
            on_open=True,
            stops=[ClockEvent(entering=_Process.SOLUTION)],
            pauses=[PauseState(_Process.LAB)],
        ),
    ]
    policy = SlaPolicy(
        name="second-process",
        source="tests",
        targets=dict.fromkeys(
            P, (SlaTarget(K.FIRST_REPLY, H), SlaTarget(K.RESOLUTION, 2 * D, B.WORKING_DAYS))
        ),
        rules=rules,
    )
    opened = sh(2026, 3, 2, 9)
    line = (
        Timeline(_Process.RECEIVED)
        .add("handle", sh(2026, 3, 2, 9, 30), _Process.HANDLING)
        .add("investigate", sh(2026, 3, 2, 10), _Process.INVESTIGATING)
        .add("send_to_lab", sh(2026, 3, 2, 11), _Process.LAB)
        .add("lab_report", sh(2026, 3, 3, 11), _Process.INVESTIGATING)
    )
    ev = _evaluate(opened, line, policy, sh(2026, 3, 3, 12))
    first, resolution = ev.cycles
    assert first.met
    assert first.breached_at is None
    assert resolution.paused == D
    assert local(resolution.due_at) == "2026-03-05T18:00:00+08:00"


# --- refusals -------------------------------------------------------------------------------


def test_refuses_records_out_of_order_and_now_in_the_past() -> None:
    """A record before the opening or before the previous one, or now before the last record,
    raises InvalidTimeline naming the instants."""
    opened = sh(2026, 3, 2, 9)
    policy = single(K.FIRST_REPLY, H)
    before = Timeline().add("reply", sh(2026, 3, 2, 8), S.REPLIED)
    with pytest.raises(InvalidTimeline, match="is before"):
        _evaluate(opened, before, policy, sh(2026, 3, 3))
    backwards = (
        Timeline().add("reply", sh(2026, 3, 2, 10), S.REPLIED).add("reply", sh(2026, 3, 2, 9, 30))
    )
    with pytest.raises(InvalidTimeline, match="version 2"):
        _evaluate(opened, backwards, policy, sh(2026, 3, 3))
    with pytest.raises(InvalidTimeline, match="now"):
        _evaluate(opened, Timeline().add("reply", sh(2026, 3, 2, 10), S.REPLIED), policy, opened)
    with pytest.raises(InvalidTimeline, match="TransitionRecord"):
        evaluate_sla(opened, [1], policy, CN, priority=P.LOW, now=opened)  # type: ignore[list-item]


def test_refuses_wrong_arguments() -> None:
    """Naive instants, a policy or calendar of the wrong type, a bad snapshot are refused."""
    opened = sh(2026, 3, 2, 9)
    policy = single(K.FIRST_REPLY, H)
    with pytest.raises(NaiveDatetime):
        evaluate_sla(dt.datetime(2026, 3, 2, 9), (), policy, CN, priority=P.LOW, now=opened)
    with pytest.raises(ValidationError, match="SlaPolicy"):
        evaluate_sla(opened, (), "p", CN, priority=P.LOW, now=opened)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="WorkingCalendar"):
        evaluate_sla(opened, (), policy, "cn", priority=P.LOW, now=opened)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="SlaSnapshot"):
        evaluate_sla(opened, (), policy, CN, priority=P.LOW, now=opened, keep=1)  # type: ignore[arg-type]


def test_working_days_need_a_zone() -> None:
    """A calendar without a ``zone`` attribute needs the ``zone`` argument for working days."""

    class Bare:
        def __init__(self) -> None:
            self.inner = CN

        def __getattr__(self, name: str) -> object:
            if name == "zone":
                raise AttributeError(name)
            return getattr(self.inner, name)

    bare = Bare()
    opened = sh(2026, 3, 2, 9)
    with pytest.raises(ValidationError, match="pass zone="):
        add_time(bare, opened, D, B.WORKING_DAYS)  # type: ignore[arg-type]
    assert add_time(bare, opened, D, B.WORKING_DAYS, zone=SH) == sh(2026, 3, 3, 18)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="whole number"):
        add_time(CN, opened, H, B.WORKING_DAYS)


def test_await_third_party_on_the_aggregate_does_not_pause_resolution() -> None:
    """Driving the aggregate: its one third-party trigger cannot tell an inspection from a
    carrier, so the default rules do not pause the resolution for it."""
    clock = FixedClock(sh(2026, 3, 2, 9))
    c = Complaint(
        id="C-2",
        buyer_id="b-1",
        text="Broken screen.",
        channel=ComplaintChannel.PHONE,
        opened_at=clock.now(),
        clock=clock,
    )
    clock.set(sh(2026, 3, 2, 9, 30))
    c.reply(message="We will check.", actor=AGENT)
    clock.set(sh(2026, 3, 2, 10))
    c.await_third_party(party=ThirdParty.CARRIER, reason="Where is the parcel?", actor=AGENT)
    ev = _shop(c, sh(2026, 3, 2, 12))
    assert not ev.cycles_of(K.RESOLUTION)[0].paused_now
    assert ev.cycles_of(K.RESOLUTION)[0].paused == dt.timedelta(0)


def test_escalation_step_in_calendar_time() -> None:
    """A step with a real-time delay escalates that long after the breach."""
    policy = SlaPolicy(
        name="p",
        source="tests",
        targets=dict.fromkeys(P, (SlaTarget(K.FIRST_REPLY, H),)),
        escalations=[EscalationStep(K.FIRST_REPLY, 2, 12 * H, B.CALENDAR)],
    )
    opened = sh(2026, 3, 2, 17)  # due at 18:00, escalated 12 real hours later
    ev = _evaluate(opened, Timeline(), policy, sh(2026, 3, 2, 19))
    assert [local(e.at) for e in ev.escalations] == ["2026-03-03T06:00:00+08:00"]
    assert ev.next_due == sh(2026, 3, 3, 6)
    assert ev.required_level == 0
    assert _evaluate(opened, Timeline(), policy, sh(2026, 3, 3, 6)).required_level == 2


def test_cycles_and_snapshots_rebuild_through_their_constructors() -> None:
    """A stored snapshot rebuilds equal from its fields; inconsistent cycles are refused."""
    opened = sh(2026, 3, 2, 9)
    line = Timeline().add("reply", sh(2026, 3, 2, 12), S.REPLIED)
    ev = _evaluate(opened, line, SlaPolicy.shop_default(), sh(2026, 3, 2, 13))
    snapshot = ev.freeze()
    rebuilt = SlaSnapshot(
        policy=snapshot.policy,
        taken_at=snapshot.taken_at,
        cycles=[SlaCycle(**attrs.asdict(c, recurse=False)) for c in snapshot.cycles],
    )
    assert rebuilt == snapshot
    first = ev.cycles_of(K.FIRST_REPLY)[0]
    for change, message in [
        ({"breached_at": first.started_at}, "breached_at is None or the due date"),
        ({"ended": None}, "both set"),
        ({"due_at": first.started_at - MICRO}, "due_at is not before"),
        ({"index": -1}, "index is an int from 0"),
        ({"target": SlaTarget(K.RESOLUTION, H)}, "of the cycle's kind"),
        ({"paused_now": True}, "not paused now"),
    ]:
        with pytest.raises(ValidationError, match=message):
            attrs.evolve(first, **change)
    with pytest.raises(ValidationError, match="SlaCycle values"):
        SlaSnapshot(policy="p", taken_at=opened, cycles=[1])  # type: ignore[list-item]
