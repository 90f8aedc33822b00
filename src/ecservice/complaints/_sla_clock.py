"""SLA clocks: the cycles of every target of a policy, computed from an aggregate's history.

An evaluation is a pure function of the opening instant, the history (the
:class:`~ecservice.workflow.TransitionRecord` values of any workflow), the policy, the working
calendar, the complaint's priority and problem, and ``now``. Every instant is exact to the
microsecond and computed, never "when someone next looks": a breach happens at the due date.

>>> import pendulum
>>> from ecservice.calendar import ShopCalendar
>>> opened = pendulum.datetime(2026, 3, 2, 17, 30, tz="Asia/Shanghai")
>>> ev = evaluate_sla(opened, (), SlaPolicy.shop_default(), ShopCalendar(),
...                   priority=ComplaintPriority.NORMAL, now=opened.add(hours=1))
>>> first = ev.cycles_of(SlaTargetKind.FIRST_REPLY)[0]
>>> first.due_at.in_tz("Asia/Shanghai").isoformat(), first.breached_at
('2026-03-03T10:30:00+08:00', None)
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable
from typing import Final

import attrs
from pendulum import DateTime

from ecservice._shown import shown
from ecservice.aftersales import ProblemKind
from ecservice.calendar import Pause, WorkingCalendar
from ecservice.clock import ensure_utc
from ecservice.complaints._sla_errors import InvalidTimeline
from ecservice.complaints._sla_policy import EscalationStep, SlaPolicy
from ecservice.complaints._sla_rules import (
    ClockRule,
    SlaTarget,
    SlaTargetKind,
    state_name,
)
from ecservice.complaints._sla_time import add_time, check_given_zone
from ecservice.complaints._values import ComplaintPriority
from ecservice.errors import ValidationError
from ecservice.workflow import LabelledState, TransitionRecord

__all__ = [
    "CycleEnd",
    "SlaCycle",
    "SlaEscalation",
    "SlaEvaluation",
    "SlaSnapshot",
    "evaluate_sla",
]

_ZERO: Final = _dt.timedelta(0)
_ONE_DAY: Final = _dt.timedelta(days=1)


class CycleEnd(LabelledState):
    """How a cycle of an SLA clock ended."""

    MET = ("met", "Met", "已达成")
    CANCELLED = ("cancelled", "No longer owed", "已取消")


def _instant(value: _dt.datetime) -> DateTime:
    return ensure_utc(value, what="an SLA instant")


def _optional_instant(value: _dt.datetime | None) -> DateTime | None:
    return None if value is None else ensure_utc(value, what="an SLA instant")


def _cycle_tuple(value: Iterable[SlaCycle]) -> tuple[SlaCycle, ...]:
    items = tuple(value)
    for item in items:
        if not isinstance(item, SlaCycle):
            raise ValidationError(f"cycles are SlaCycle values, not {shown(item)}")
    return items


def _escalation_tuple(value: Iterable[SlaEscalation]) -> tuple[SlaEscalation, ...]:
    items = tuple(value)
    for item in items:
        if not isinstance(item, SlaEscalation):
            raise ValidationError(f"escalations are SlaEscalation values, not {shown(item)}")
    return items


@attrs.frozen(kw_only=True)
class SlaCycle:
    """One run of a target's clock, from a start to its end (met or no longer owed) or to now.

    Args:
        kind: the target kind.
        index: the cycle's number among the cycles of its kind, from 0.
        target: the target it is measured against.
        started_at: when the clock started, in UTC.
        due_at: when it is due, in UTC: the start plus the target's duration, not counting the
            paused time. For a cycle paused at the evaluation's ``now``, the due date as if the
            pause ended at ``now`` (it moves later as long as the pause lasts).
        stopped_at: when the cycle ended, or ``None`` while it runs.
        ended: how it ended (:class:`CycleEnd`), ``None`` while it runs.
        paused: the real time the clock stood still between the start and the end (or now).
        paused_now: whether the cycle runs and stands still at ``now``.
        breached_at: the due date when the cycle was not met by then (also when it was met
            later), ``None`` otherwise.

    Raises:
        NaiveDatetime: an instant without a time zone.
        ValidationError: a field of the wrong type, or fields that disagree (a due date before
            the start, an end without how it ended, a breach at another instant than the due
            date...).
    """

    kind: SlaTargetKind
    index: int
    target: SlaTarget
    started_at: DateTime = attrs.field(converter=_instant)
    due_at: DateTime = attrs.field(converter=_instant)
    stopped_at: DateTime | None = attrs.field(converter=_optional_instant)
    ended: CycleEnd | None
    paused: _dt.timedelta
    paused_now: bool
    breached_at: DateTime | None = attrs.field(converter=_optional_instant)

    def __attrs_post_init__(self) -> None:
        problems = []
        fields: dict[str, object] = attrs.asdict(self, recurse=False)
        if not isinstance(fields["kind"], SlaTargetKind):
            problems.append(f"kind is an SlaTargetKind, not {shown(self.kind)}")
        if not isinstance(self.target, SlaTarget) or self.target.kind is not self.kind:
            problems.append(f"target is an SlaTarget of the cycle's kind, not {shown(self.target)}")
        if isinstance(self.index, bool) or not isinstance(self.index, int) or self.index < 0:
            problems.append(f"index is an int from 0, not {shown(self.index)}")
        if not isinstance(self.paused, _dt.timedelta) or self.paused < _ZERO:
            problems.append(f"paused is a timedelta of zero or more, not {shown(self.paused)}")
        if not isinstance(fields["paused_now"], bool):
            problems.append(f"paused_now is True or False, not {shown(self.paused_now)}")
        if self.due_at < self.started_at:
            problems.append("due_at is not before started_at")
        if (self.stopped_at is None) != (self.ended is None):
            problems.append("stopped_at and ended are both set (an ended cycle) or both None")
        elif fields["ended"] is not None and not isinstance(fields["ended"], CycleEnd):
            problems.append(f"ended is a CycleEnd or None, not {shown(self.ended)}")
        if self.stopped_at is not None and self.stopped_at < self.started_at:
            problems.append("stopped_at is not before started_at")
        if self.breached_at is not None and self.breached_at != self.due_at:
            problems.append("breached_at is None or the due date")
        if self.paused_now and self.stopped_at is not None:
            problems.append("an ended cycle is not paused now")
        if problems:
            raise ValidationError("an SLA cycle is inconsistent: " + "; ".join(problems))

    @property
    def running(self) -> bool:
        """Whether the cycle has not ended."""
        return self.stopped_at is None

    @property
    def met(self) -> bool:
        """Whether the cycle ended met (in time or late)."""
        return self.ended is CycleEnd.MET


@attrs.frozen(kw_only=True)
class SlaEscalation:
    """An escalation the chain calls for: a breached cycle, still not met at ``at``, takes the
    complaint to ``level``.

    Args:
        step: the escalation step of the policy.
        kind: the breached target kind.
        index: the breached cycle's index.
        at: when the escalation is due, in UTC.

    Raises:
        NaiveDatetime: ``at`` has no time zone.
        ValidationError: a step of another kind, or an index below 0.
    """

    step: EscalationStep
    kind: SlaTargetKind
    index: int
    at: DateTime = attrs.field(converter=_instant)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.step, EscalationStep) or self.step.target is not self.kind:
            raise ValidationError(
                f"an escalation's step is an EscalationStep of its kind, not {shown(self.step)}"
            )
        if isinstance(self.index, bool) or not isinstance(self.index, int) or self.index < 0:
            raise ValidationError(
                f"an escalation's index is an int from 0, not {shown(self.index)}"
            )

    @property
    def level(self) -> int:
        """The level reached."""
        return self.step.level


@attrs.frozen(kw_only=True)
class SlaSnapshot:
    """The cycles of an evaluation, kept with the complaint to keep their targets when the
    policy changes (or the priority or the problem does).

    An evaluation given the snapshot as ``keep`` measures every cycle that started at or
    before ``taken_at`` and is in the snapshot (same kind, same start) against the snapshot's
    target; its due date is still computed with the pauses of the history, so a later pause
    still moves it. Cycles that start later use the new policy.

    Args:
        policy: the name of the policy the cycles were measured with.
        taken_at: the evaluation's ``now``, in UTC.
        cycles: the cycles.

    Raises:
        NaiveDatetime: ``taken_at`` has no time zone.
        ValidationError: ``cycles`` holds something other than :class:`SlaCycle`.
    """

    policy: str
    taken_at: DateTime = attrs.field(converter=_instant)
    cycles: tuple[SlaCycle, ...] = attrs.field(converter=_cycle_tuple)

    def target_of(self, kind: SlaTargetKind, started_at: DateTime) -> SlaTarget | None:
        """The target kept for the cycle of ``kind`` started at ``started_at``, or ``None``."""
        if started_at > self.taken_at:
            return None
        return next(
            (c.target for c in self.cycles if c.kind is kind and c.started_at == started_at),
            None,
        )


@attrs.frozen(kw_only=True)
class SlaEvaluation:
    """The SLA clocks of an aggregate at ``now``: every cycle of every target, and the
    escalations the breaches call for.

    Args:
        policy: the policy's name.
        now: the instant of the evaluation, in UTC.
        cycles: the cycles, by kind (in the order of :class:`SlaTargetKind`) then by start.
        escalations: the escalations, past (``at <= now``) and future, by instant.

    Raises:
        NaiveDatetime: ``now`` has no time zone.
        ValidationError: cycles or escalations of the wrong type.
    """

    policy: str
    now: DateTime = attrs.field(converter=_instant)
    cycles: tuple[SlaCycle, ...] = attrs.field(converter=_cycle_tuple)
    escalations: tuple[SlaEscalation, ...] = attrs.field(converter=_escalation_tuple)

    def cycles_of(self, kind: SlaTargetKind) -> tuple[SlaCycle, ...]:
        """The cycles of ``kind``, oldest first."""
        return tuple(c for c in self.cycles if c.kind is kind)

    @property
    def breaches(self) -> tuple[SlaCycle, ...]:
        """The breached cycles, by breach instant."""
        found = [c for c in self.cycles if c.breached_at is not None]
        return tuple(
            sorted(found, key=lambda c: (c.breached_at, list(SlaTargetKind).index(c.kind)))
        )

    @property
    def required_level(self) -> int:
        """The highest escalation level due by ``now`` (0 when none is)."""
        return max((e.level for e in self.escalations if e.at <= self.now), default=0)

    @property
    def next_due(self) -> DateTime | None:
        """The earliest instant after ``now`` at which something happens: the due date of a
        running cycle that is not paused (a breach) or an escalation; ``None`` when nothing is
        scheduled. A paused cycle's due date moves until the pause ends, which is a transition
        of the aggregate: store this value as the aggregate's ``next_due_at`` after every
        transition, and evaluate again when it comes."""
        found = [
            c.due_at for c in self.cycles if c.running and not c.paused_now and c.due_at > self.now
        ]
        found += [e.at for e in self.escalations if e.at > self.now]
        return min(found, default=None)

    def freeze(self) -> SlaSnapshot:
        """The cycles as a :class:`SlaSnapshot` taken at ``now``."""
        return SlaSnapshot(policy=self.policy, taken_at=self.now, cycles=self.cycles)


# --- the timeline ------------------------------------------------------------------------------


@attrs.frozen
class _Segment:
    state: str | None
    entered_by: str | None
    start: DateTime
    end: DateTime


def _check_history(
    opened: DateTime, history: Iterable[TransitionRecord], now: DateTime
) -> tuple[TransitionRecord, ...]:
    given: object = history
    if isinstance(given, TransitionRecord) or not isinstance(given, Iterable):
        raise InvalidTimeline(f"a history is a sequence of TransitionRecord, not {shown(history)}")
    records = tuple(history)
    last = opened
    for record in records:
        if not isinstance(record, TransitionRecord):
            raise InvalidTimeline(f"a history holds TransitionRecord values, not {shown(record)}")
        at = ensure_utc(record.at, what="a record's instant")
        if at < last:
            raise InvalidTimeline(
                f"the record {record.trigger!r} of version {record.version} at {at.isoformat()} "
                f"is before {last.isoformat()} (the opening or the record before it)"
            )
        last = at
    if now < last:
        raise InvalidTimeline(
            f"now ({now.isoformat()}) is before the last event ({last.isoformat()})"
        )
    return records


def _segments(
    opened: DateTime, records: tuple[TransitionRecord, ...], now: DateTime
) -> list[_Segment]:
    state = state_name(records[0].source) if records else None
    entered_by: str | None = None
    since = opened
    out: list[_Segment] = []
    for record in records:
        dest = state_name(record.dest)
        if dest != state_name(record.source):
            out.append(_Segment(state, entered_by, since, ensure_utc(record.at)))
            state, entered_by, since = dest, record.trigger, ensure_utc(record.at)
    out.append(_Segment(state, entered_by, since, now))
    return out


def _raw_cycles(
    rule: ClockRule, opened: DateTime, records: tuple[TransitionRecord, ...]
) -> list[tuple[DateTime, DateTime | None, CycleEnd | None]]:
    cycles: list[tuple[DateTime, DateTime | None, CycleEnd | None]] = []
    running: DateTime | None = opened if rule.on_open else None
    for record in records:
        at = ensure_utc(record.at)
        trigger, source, dest = record.trigger, state_name(record.source), state_name(record.dest)
        cancels = any(e.matches(trigger, source, dest) for e in rule.cancels)
        if running is not None:
            if any(e.matches(trigger, source, dest) for e in rule.stops):
                cycles.append((running, at, CycleEnd.MET))
                running = None
            elif cancels:
                cycles.append((running, at, CycleEnd.CANCELLED))
                running = None
        if (
            running is None
            and not cancels
            and (rule.repeats or not cycles)
            and any(e.matches(trigger, source, dest) for e in rule.starts)
        ):
            running = at
    if running is not None:
        cycles.append((running, None, None))
    return cycles


def _pauses(
    rule: ClockRule, segments: list[_Segment], start: DateTime, end: DateTime
) -> list[Pause]:
    found = []
    for seg in segments:
        if seg.state is None or not rule.paused_in(seg.state, seg.entered_by):
            continue
        low, high = max(seg.start, start), min(seg.end, end)
        if high > low:
            found.append(Pause(low, high))
    return found


def evaluate_sla(
    opened_at: _dt.datetime,
    history: Iterable[TransitionRecord],
    policy: SlaPolicy,
    calendar: WorkingCalendar,
    *,
    priority: ComplaintPriority,
    now: _dt.datetime,
    problem: ProblemKind | None = None,
    keep: SlaSnapshot | None = None,
    zone: str | None = None,
) -> SlaEvaluation:
    """The SLA clocks of an aggregate opened at ``opened_at`` with ``history``, at ``now``.

    The state at the opening is the first record's ``source`` (no state, so no pause, for an
    empty history). For each target the policy sets for ``priority`` and ``problem``, its
    clock rule (:class:`~ecservice.complaints.ClockRule`) cuts the timeline into cycles; each
    cycle's pauses are the spans it spends in a pausing state, up to its end or ``now`` (a
    pause going on at ``now`` counts as ending at ``now``: the due date reported is a lower
    bound that moves while the pause lasts, and the cycle's ``paused_now`` says so). The due
    date is :func:`add_time` of the start, the target's duration and basis and those pauses.
    A cycle is breached when it was still running at its due date: ``breached_at`` is the due
    date; a cycle met exactly at its due date is met in time. Escalation steps follow each
    breach by their delay (counted without pauses) while the cycle is still not met.

    The evaluation uses ``policy`` for every cycle (a change of policy recomputes the
    deadlines from the history), except the cycles kept by ``keep``, which keep the targets
    they had when the snapshot was taken.

    Args:
        opened_at: when the aggregate was opened (its clocks' origin); aware.
        history: its transition records, oldest first.
        policy: the service-level policy.
        calendar: the working calendar (business time and working days are counted on it).
        priority: the complaint's priority.
        now: the instant of the evaluation, not before the last record.
        problem: the problem recorded, for the policy's overrides (``None`` before it is).
        keep: a snapshot whose targets the cycles it holds keep.
        zone: the calendar's IANA zone name for working days (its ``zone`` by default);
            checked whenever it is given, and if the calendar has a ``zone``, the same name.

    Raises:
        NaiveDatetime: an instant has no time zone.
        InvalidTimeline: records out of order, before the opening, or after ``now``.
        InvalidSlaPolicy: ``priority`` or ``problem`` of the wrong type.
        ValidationError: another value of the wrong type, or a ``zone`` that
            :func:`~ecservice.clock.check_zone` refuses or that differs from the calendar's.
        CalendarNotConfirmed: a due date needs a day whose holidays are not confirmed.
        NoWorkingTime: the calendar has no working time within its horizon.
    """
    opened = ensure_utc(opened_at, what="opened_at")
    at_now = ensure_utc(now, what="now")
    if not isinstance(policy, SlaPolicy):
        raise ValidationError(f"a policy is an SlaPolicy, not {shown(policy)}")
    if not isinstance(calendar, WorkingCalendar):
        raise ValidationError(f"a calendar is a WorkingCalendar, not {shown(calendar)}")
    if keep is not None and not isinstance(keep, SlaSnapshot):
        raise ValidationError(f"keep is an SlaSnapshot or None, not {shown(keep)}")
    check_given_zone(calendar, zone)
    if at_now < opened:
        raise InvalidTimeline(f"now ({at_now.isoformat()}) is before the opening")
    records = _check_history(opened, history, at_now)
    targets = {t.kind: t for t in policy.targets_for(priority, problem)}
    kept = {c.kind for c in keep.cycles} if keep is not None else set()
    segments = _segments(opened, records, at_now)
    current = segments[-1]
    cycles: list[SlaCycle] = []
    for rule in policy.rules:
        if rule.kind not in targets and rule.kind not in kept:
            continue
        for start, stop, ended in _raw_cycles(rule, opened, records):
            target = keep.target_of(rule.kind, start) if keep is not None else None
            target = target or targets.get(rule.kind)
            if target is None:
                continue
            end = at_now if stop is None else stop
            pauses = _pauses(rule, segments, start, end)
            due = add_time(calendar, start, target.duration, target.basis, pauses=pauses, zone=zone)
            breached = due <= at_now and (stop is None or stop > due)
            paused_now = (
                stop is None
                and current.state is not None
                and rule.paused_in(current.state, current.entered_by)
            )
            cycles.append(
                SlaCycle(
                    kind=rule.kind,
                    index=0,
                    target=target,
                    started_at=start,
                    due_at=due,
                    stopped_at=stop,
                    ended=ended,
                    paused=sum((p.length for p in pauses), _ZERO),
                    paused_now=paused_now,
                    breached_at=due if breached else None,
                )
            )
    order = list(SlaTargetKind)
    cycles.sort(key=lambda c: (order.index(c.kind), c.started_at))
    numbered = tuple(
        attrs.evolve(c, index=sum(1 for d in cycles[:i] if d.kind is c.kind))
        for i, c in enumerate(cycles)
    )
    escalations = _escalations(numbered, policy, calendar, zone)
    return SlaEvaluation(policy=policy.name, now=at_now, cycles=numbered, escalations=escalations)


def _escalations(
    cycles: tuple[SlaCycle, ...],
    policy: SlaPolicy,
    calendar: WorkingCalendar,
    zone: str | None,
) -> tuple[SlaEscalation, ...]:
    found = []
    for cycle in cycles:
        if cycle.breached_at is None:
            continue
        for step in policy.escalations:
            if step.target is not cycle.kind:
                continue
            at = add_time(calendar, cycle.breached_at, step.delay, step.basis, zone=zone)
            if cycle.stopped_at is None or cycle.stopped_at > at:
                found.append(SlaEscalation(step=step, kind=cycle.kind, index=cycle.index, at=at))
    found.sort(key=lambda e: (e.at, e.level))
    return tuple(found)
