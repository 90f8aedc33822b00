"""A breach of a service level, as a complaint records it."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable
from typing import Final, final

import attrs
from pendulum import DateTime

from ecservice._shown import shown
from ecservice.clock import ensure_utc
from ecservice.complaints._sla_clock import SlaCycle
from ecservice.complaints._sla_rules import SlaTargetKind
from ecservice.errors import ValidationError
from ecservice.workflow import Actor

__all__ = ["SLA_TIMER", "SlaBreach", "breach_tuple"]

#: Who records breaches and the escalations they call for by default: the SLA timer.
SLA_TIMER: Final = Actor.system("sla-timer")


def _instant(value: _dt.datetime) -> DateTime:
    return ensure_utc(value, what="an SLA breach's instant")


@final
@attrs.frozen(slots=True, kw_only=True)
class SlaBreach:
    """One breached cycle of a service-level clock, as the complaint recorded it
    (:meth:`Complaint.record_breach <ecservice.complaints.Complaint.record_breach>`).

    A breach happens at the cycle's due date, not when someone notices it: ``breached_at`` is
    the due date, exact to the microsecond (see :class:`SlaCycle`).

    Args:
        kind: the target kind breached.
        index: the cycle's index among the cycles of its kind (from 0).
        started_at: when the cycle's clock started; aware, converted to UTC.
        due_at: when the cycle was due; aware, converted to UTC.
        breached_at: when it was breached: ``due_at``.

    Raises:
        NaiveDatetime: an instant without a time zone.
        ValidationError: a kind that is not an :class:`SlaTargetKind`, an index that is not a
            whole number from 0, a due date before the start, or a breach at another instant
            than the due date.
    """

    kind: SlaTargetKind
    index: int
    started_at: DateTime = attrs.field(converter=_instant)
    due_at: DateTime = attrs.field(converter=_instant)
    breached_at: DateTime = attrs.field(converter=_instant)

    def __attrs_post_init__(self) -> None:
        problems = []
        kind: object = self.kind
        if not isinstance(kind, SlaTargetKind):
            problems.append(f"kind is an SlaTargetKind, not {shown(kind)}")
        if isinstance(self.index, bool) or not isinstance(self.index, int) or self.index < 0:
            problems.append(f"index is an int from 0, not {shown(self.index)}")
        if self.due_at < self.started_at:
            problems.append("due_at is not before started_at")
        if self.breached_at != self.due_at:
            problems.append("breached_at is the due date")
        if problems:
            raise ValidationError("an SLA breach is inconsistent: " + "; ".join(problems))

    @classmethod
    def of(cls, cycle: SlaCycle) -> SlaBreach:
        """The breach of a breached ``cycle``.

        Raises:
            ValidationError: ``cycle`` is not an :class:`SlaCycle`, or was not breached.
        """
        given: object = cycle
        if not isinstance(given, SlaCycle):
            raise ValidationError(f"a breach is taken from an SlaCycle, not {shown(given)}")
        if cycle.breached_at is None:
            raise ValidationError(
                f"the {cycle.kind.value} cycle #{cycle.index} due {cycle.due_at.isoformat()} "
                "was not breached"
            )
        return cls(
            kind=cycle.kind,
            index=cycle.index,
            started_at=cycle.started_at,
            due_at=cycle.due_at,
            breached_at=cycle.breached_at,
        )

    @property
    def key(self) -> tuple[SlaTargetKind, int]:
        """``(kind, index)``: what names the breached cycle (a complaint records it once)."""
        return (self.kind, self.index)

    def describe(self) -> str:
        """The breach as one line of text, the note of its history record:
        ``"first_reply #0 due 2026-02-14T01:30:00+00:00 breached"``."""
        return f"{self.kind.value} #{self.index} due {self.due_at.isoformat()} breached"


def breach_tuple(value: Iterable[SlaBreach]) -> tuple[SlaBreach, ...]:
    """``value`` as a tuple of :class:`SlaBreach`.

    Raises:
        ValidationError: ``value`` is not an iterable of :class:`SlaBreach`.
    """
    given: object = value
    if isinstance(given, str | bytes) or not isinstance(given, Iterable):
        raise ValidationError(f"a complaint's breaches are SlaBreach values, not {shown(value)}")
    items = tuple(value)
    for item in items:
        if not isinstance(item, SlaBreach):
            raise ValidationError(f"a complaint's breaches are SlaBreach values, not {shown(item)}")
    return items
