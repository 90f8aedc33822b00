"""Invariants of SLA clocks on random timelines, and agreement with a reference built on the
calendar's ``elapsed``."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st
from pendulum import DateTime

from ecservice.calendar import Pause, ShopCalendar
from ecservice.clock import ensure_utc
from ecservice.complaints._sla_clock import SlaCycle, evaluate_sla
from ecservice.complaints._sla_policy import SlaPolicy
from ecservice.complaints._sla_rules import ClockRule, SlaTarget, SlaTargetKind, TimeBasis
from ecservice.complaints._sla_time import add_time
from ecservice.complaints._values import ComplaintPriority
from tests.complaints.test_sla_support import BERLIN, CN, MICRO, NEW_YORK, S, Timeline

K = SlaTargetKind
B = TimeBasis
US = MICRO
CALENDARS = (CN, NEW_YORK, BERLIN)

#: Starts whose due dates stay in the confirmed years of China's holidays.
starts = st.datetimes(
    dt.datetime(2026, 1, 1), dt.datetime(2026, 9, 30), timezones=st.just(dt.UTC)
).map(ensure_utc)
calendars = st.sampled_from(CALENDARS)
bases = st.sampled_from(list(TimeBasis))


def durations(basis: TimeBasis) -> st.SearchStrategy[dt.timedelta]:
    """Durations a target of ``basis`` accepts: up to 10 working days, or up to 60 hours to
    the microsecond."""
    if basis is B.WORKING_DAYS:
        return st.integers(1, 10).map(lambda n: dt.timedelta(days=n))
    return st.integers(1, 60 * 3600 * 10**6).map(lambda n: n * US)


def pauses_near(start: DateTime) -> st.SearchStrategy[list[Pause]]:
    """Up to three pauses, to the microsecond, within five days of ``start`` (some before)."""
    one = st.tuples(
        st.integers(-86_400 * 10**6, 5 * 86_400 * 10**6), st.integers(0, 2 * 86_400 * 10**6)
    ).map(lambda p: Pause(start + p[0] * US, start + (p[0] + p[1]) * US))
    return st.lists(one, max_size=3)


def _clipped(pauses: list[Pause], start: DateTime) -> list[Pause]:
    return [Pause(max(p.start, start), p.end) for p in pauses if p.end > start]


@settings(max_examples=150, deadline=None)
@given(st.data(), calendars, starts, bases)
def test_due_dates_are_monotone_in_duration(
    data: st.DataObject, calendar: ShopCalendar, start: DateTime, basis: TimeBasis
) -> None:
    """A longer duration never gives an earlier due date, whatever the pauses."""
    d1, d2 = sorted([data.draw(durations(basis)), data.draw(durations(basis))])
    pauses = data.draw(pauses_near(start))
    first = add_time(calendar, start, d1, basis, pauses=pauses)
    second = add_time(calendar, start, d2, basis, pauses=pauses)
    assert first <= second


@settings(max_examples=150, deadline=None)
@given(st.data(), calendars, starts, bases)
def test_a_pause_never_makes_a_due_date_earlier(
    data: st.DataObject, calendar: ShopCalendar, start: DateTime, basis: TimeBasis
) -> None:
    """Adding a pause to any set of pauses never moves the due date earlier."""
    duration = data.draw(durations(basis))
    pauses = data.draw(pauses_near(start))
    extra = data.draw(pauses_near(start).filter(bool))[0]
    without = add_time(calendar, start, duration, basis, pauses=pauses)
    with_more = add_time(calendar, start, duration, basis, pauses=[*pauses, extra])
    assert with_more >= without


@settings(max_examples=150, deadline=None)
@given(st.data(), calendars, starts, st.sampled_from([B.BUSINESS, B.CALENDAR]))
def test_due_dates_agree_with_a_reference_on_elapsed(
    data: st.DataObject, calendar: ShopCalendar, start: DateTime, basis: TimeBasis
) -> None:
    """The due date is the first instant at which the unpaused time counted since the start
    reaches the duration: the calendar's ``elapsed`` for business time, real time minus the
    paused time for calendar time."""
    duration = data.draw(durations(basis))
    pauses = _clipped(data.draw(pauses_near(start)), start)
    due = add_time(calendar, start, duration, basis, pauses=pauses)

    def counted(end: DateTime) -> dt.timedelta:
        if basis is B.BUSINESS:
            return calendar.elapsed(start, end, pauses=pauses)
        return _as_delta(end - start) - _real_covered(pauses, start, end)

    assert counted(due) == duration
    assert counted(due - US) < duration


def _as_delta(span: dt.timedelta) -> dt.timedelta:
    return dt.timedelta(days=span.days, seconds=span.seconds, microseconds=span.microseconds)


def _real_covered(pauses: list[Pause], start: DateTime, end: DateTime) -> dt.timedelta:
    """The real time in [start, end) that some pause covers, overlaps counted once."""
    spans = sorted((max(p.start, start), min(p.end, end)) for p in pauses)
    total, reach = dt.timedelta(0), start
    for low, high in spans:
        low = max(low, reach)
        if high > low:
            total += _as_delta(high - low)
            reach = high
    return total


# --- random timelines ------------------------------------------------------------------------

_MOVES = {
    S.RECEIVED: [("reply", S.REPLIED), ("withdraw", S.CLOSED)],
    S.REPLIED: [
        ("reply", None),
        ("await_customer", S.AWAITING_CUSTOMER),
        ("await_inspection", S.AWAITING_THIRD_PARTY),
        ("await_third_party", S.AWAITING_THIRD_PARTY),
        ("feedback", S.FOLLOW_UP),
        ("feedback", S.AWAITING_CASE),
        ("escalate", None),
        ("withdraw", S.CLOSED),
    ],
    S.AWAITING_CUSTOMER: [("resume", S.REPLIED), ("reply", None), ("withdraw", S.CLOSED)],
    S.AWAITING_THIRD_PARTY: [("resume", S.REPLIED), ("reply", None)],
    S.AWAITING_CASE: [("case_resolved", S.FOLLOW_UP), ("reply", None)],
    S.FOLLOW_UP: [("follow_up", S.CLOSED), ("customer_unreachable", S.CLOSED)],
    S.CLOSED: [("reopen", S.REPLIED)],
}


@st.composite
def timelines(draw: st.DrawFn) -> tuple[DateTime, Timeline, DateTime]:
    """An opening, up to 12 records of the default workflow (and the inspection trigger) at
    random gaps of up to two days to the microsecond, and a ``now`` after the last."""
    opened = draw(starts)
    line, at = Timeline(), opened
    for _ in range(draw(st.integers(0, 12))):
        trigger, dest = draw(st.sampled_from(_MOVES[line.state]))
        at = at + draw(st.integers(0, 2 * 86_400 * 10**6)) * US
        line.add(trigger, at, dest)
    now = at + draw(st.integers(0, 3 * 86_400 * 10**6)) * US
    return opened, line, now


policies = st.sampled_from(
    [SlaPolicy.shop_default(), SlaPolicy.samr_interim_measures()]
) | st.builds(
    lambda basis, n: SlaPolicy(
        name="random",
        source="tests",
        targets=dict.fromkeys(
            ComplaintPriority,
            tuple(
                SlaTarget(k, dt.timedelta(days=1) if basis is B.WORKING_DAYS else n * US, basis)
                for k in K
            ),
        ),
    ),
    bases,
    st.integers(1, 20 * 3600 * 10**6),
)


def _evaluate_random(
    calendar: ShopCalendar, timeline: tuple[DateTime, Timeline, DateTime], policy: SlaPolicy
) -> list[SlaCycle]:
    opened, line, now = timeline
    ev = evaluate_sla(
        opened, line.records, policy, calendar, priority=ComplaintPriority.NORMAL, now=now
    )
    return list(ev.cycles)


@settings(max_examples=200, deadline=None)
@given(calendars, timelines(), policies)
def test_breach_invariants(
    calendar: ShopCalendar, timeline: tuple[DateTime, Timeline, DateTime], policy: SlaPolicy
) -> None:
    """breached_at is the due date whenever set; a cycle that ended is breached exactly when it
    ended after its due date; a running cycle exactly when now has reached it; no cycle is due
    before it starts (nor, with a positive duration, at its start)."""
    now = timeline[2]
    for cycle in _evaluate_random(calendar, timeline, policy):
        assert cycle.due_at > cycle.started_at
        if cycle.breached_at is not None:
            assert cycle.breached_at == cycle.due_at
        if cycle.stopped_at is not None:
            assert (cycle.stopped_at <= cycle.due_at) == (cycle.breached_at is None)
        else:
            assert (now >= cycle.due_at) == (cycle.breached_at is not None)


@settings(max_examples=200, deadline=None)
@given(calendars, timelines())
def test_cycles_agree_with_a_reference_on_elapsed(
    calendar: ShopCalendar, timeline: tuple[DateTime, Timeline, DateTime]
) -> None:
    """For business-time targets, the working time the calendar's ``elapsed`` counts from the
    start to the due date, minus the cycle's pauses (rebuilt here from the records), is the
    target's duration, and one microsecond less falls short."""
    opened, line, now = timeline
    policy = SlaPolicy.shop_default()
    rules = {r.kind: r for r in policy.rules}
    for cycle in _evaluate_random(calendar, timeline, policy):
        if cycle.target.basis is not B.BUSINESS:
            continue
        end = now if cycle.stopped_at is None else cycle.stopped_at
        pauses = _reference_pauses(rules[cycle.kind], opened, line, now, cycle.started_at, end)
        assert sum((p.length for p in pauses), dt.timedelta(0)) == cycle.paused
        worked = calendar.elapsed(cycle.started_at, cycle.due_at, pauses=pauses)
        assert worked == cycle.target.duration
        short = calendar.elapsed(cycle.started_at, cycle.due_at - US, pauses=pauses)
        assert short < cycle.target.duration


def _reference_pauses(
    rule: ClockRule,
    opened: DateTime,
    line: Timeline,
    now: DateTime,
    start: DateTime,
    end: DateTime,
) -> list[Pause]:
    """The spans in [start, end) spent in a state the rule pauses in, walking the records."""
    state, entered_by, since = S.RECEIVED.value, None, opened
    spans: list[tuple[DateTime, DateTime]] = []
    for record in line.records:
        if record.dest is not record.source:
            if rule.paused_in(state, entered_by):
                spans.append((since, record.at))
            state, entered_by, since = str(record.dest.value), record.trigger, record.at
    if rule.paused_in(state, entered_by):
        spans.append((since, now))
    return [Pause(max(a, start), min(b, end)) for a, b in spans if min(b, end) > max(a, start)]
