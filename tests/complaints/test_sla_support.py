"""Builders shared by the SLA tests (timelines of transition records, calendars, a one-target
policy), and tests of the builders themselves."""

from __future__ import annotations

import datetime as dt
import enum

import pendulum
from pendulum import DateTime

from ecservice.calendar import ShopCalendar
from ecservice.complaints import ComplaintStatus
from ecservice.complaints._sla_policy import SlaPolicy
from ecservice.complaints._sla_rules import SlaTarget, SlaTargetKind, TimeBasis
from ecservice.complaints._values import ComplaintPriority
from ecservice.workflow import Actor, TransitionRecord

S = ComplaintStatus
SH = "Asia/Shanghai"
AGENT = Actor.staff("agent-1")
H = dt.timedelta(hours=1)
MICRO = dt.timedelta(microseconds=1)


def sh(*args: int) -> DateTime:
    """An instant given as a wall time in Shanghai."""
    return pendulum.datetime(*args, tz=SH)


def local(at: DateTime | None, zone: str = SH) -> str | None:
    """``at`` as an ISO wall time in ``zone`` (``None`` stays ``None``)."""
    return None if at is None else at.in_tz(zone).isoformat()


class Timeline:
    """Transition records appended one by one, each from the state the last one reached."""

    def __init__(self, state: enum.Enum = S.RECEIVED) -> None:
        self.state = state
        self.records: list[TransitionRecord] = []

    def add(self, trigger: str, at: DateTime, dest: enum.Enum | None = None) -> Timeline:
        """Fire ``trigger`` at ``at`` into ``dest`` (``None`` for an internal transition)."""
        target = self.state if dest is None else dest
        self.records.append(
            TransitionRecord(
                trigger, self.state, target, at.in_tz("UTC"), AGENT, "", len(self.records) + 1
            )
        )
        self.state = target
        return self


def single(
    kind: SlaTargetKind, duration: dt.timedelta, basis: TimeBasis = TimeBasis.BUSINESS
) -> SlaPolicy:
    """A policy with one target of ``kind`` at every priority and the default clock rules."""
    target = SlaTarget(kind, duration, basis)
    return SlaPolicy(
        name="test",
        source="tests",
        targets=dict.fromkeys(ComplaintPriority, (target,)),
    )


CN = ShopCalendar()
NEW_YORK = ShopCalendar(zone="America/New_York", holidays=None)
BERLIN = ShopCalendar(zone="Europe/Berlin", holidays=None)


def test_timeline_chains_states_and_versions() -> None:
    """Each record leaves the state the previous one reached; versions count from 1."""
    line = Timeline().add("reply", sh(2026, 3, 2, 9), S.REPLIED).add("reply", sh(2026, 3, 2, 10))
    assert [(r.source, r.dest, r.version) for r in line.records] == [
        (S.RECEIVED, S.REPLIED, 1),
        (S.REPLIED, S.REPLIED, 2),
    ]
    assert line.records[0].at == pendulum.datetime(2026, 3, 2, 1, tz="UTC")
