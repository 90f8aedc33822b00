"""What the stores index about a complaint besides its document: the facts the complaint report
counts (internal).

A SQL store writes them, in the transaction that adds or saves the complaint, as one row of
``ecs_complaint_facts`` and one row of ``ecs_complaint_cycles`` per SLA cycle, so that the
complaint report's figures are SQL aggregates
(:class:`~ecservice.storage.sql.SqlComplaintReports`). :func:`complaint_facts` computes them
from the complaint exactly as :func:`~ecservice.complaints.complaint_report` reads it: the SLA
evaluated under the store's policy and calendar (those of its ``"complaint"`` timer,
:func:`~ecservice.storage.complaint_next_due`) at the complaint's clock, and the working times
measured on that calendar.
"""

from __future__ import annotations

import datetime as _dt
import enum
import hashlib
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, final

import attrs
from pendulum import DateTime

from ecservice.complaints import CycleEnd, SlaTargetKind
from ecservice.storage._aftersales import microseconds

if TYPE_CHECKING:
    from ecservice.calendar import WorkingCalendar
    from ecservice.complaints import Complaint, SlaEvaluation, SlaPolicy

__all__ = [
    "UNCONFIRMED",
    "ComplaintFacts",
    "CycleFacts",
    "complaint_facts",
    "sla_fingerprint",
]

#: The ``policy`` of facts written while the complaint's due dates needed a year the calendar
#: had not confirmed: no cycles, no working times; the report refuses them until a refresh.
UNCONFIRMED: Final = "!calendar-not-confirmed"


@final
@attrs.frozen(slots=True, kw_only=True)
class CycleFacts:
    """One SLA cycle as the complaint's last save evaluated it (internal).

    Args:
        kind: the target kind's name (``"FIRST_REPLY"``).
        index: the cycle's number among the cycles of its kind, from 0.
        due_at: its due date (a lower bound while ``paused_now``).
        stopped_at: when it ended, or ``None`` while it runs.
        ended: how it ended (``"MET"``, ``"CANCELLED"``), or ``None`` while it runs.
        paused_now: whether it stood paused at the save.
        breached_at: its breach instant, if it was breached by the save.
    """

    kind: str
    index: int
    due_at: DateTime
    stopped_at: DateTime | None
    ended: str | None
    paused_now: bool
    breached_at: DateTime | None

    def values(self, complaint_id: str) -> dict[str, object]:
        """The row's column values."""
        return {
            "complaint_id": complaint_id,
            "kind": self.kind,
            "cycle": self.index,
            "due_at": self.due_at,
            "stopped_at": self.stopped_at,
            "ended": self.ended,
            "paused_now": self.paused_now,
            "breached_at": self.breached_at,
        }


@final
@attrs.frozen(slots=True, kw_only=True)
class ComplaintFacts:
    """One complaint's row of facts and its SLA cycles (internal).

    Args:
        complaint_id: the complaint's id.
        order_id: its order's id, if it names one.
        case_id: the after-sales case that carries out its solution, if any.
        opened_at: when it was opened (UTC).
        status: its status's name.
        problem: its problem's name (``"WRONG_ITEM"``), once recorded.
        category: that problem's category's name (``"PRODUCT"``), once recorded.
        replied_at: its first reply, if any.
        first_reply_us: the working time from the opening to the first reply, in microseconds.
        resolved_at: when its resolution clock was met, if it was.
        resolution_us: the working time from the opening to that instant, in microseconds.
        reopened: whether it was reopened at least once.
        closed_once: whether it was closed at least once.
        satisfaction: the follow-up visit's score (1-5), if the customer gave one.
        policy: the SLA policy and calendar its cycles and times were computed under
            (:func:`sla_fingerprint`: the policy's name and a digest), or ``None`` when the
            store has no complaint timer that names them.
        cycles: its SLA cycles under that policy.
    """

    complaint_id: str
    order_id: str | None
    case_id: str | None
    opened_at: DateTime
    status: str
    problem: str | None
    category: str | None
    replied_at: DateTime | None
    first_reply_us: int | None
    resolved_at: DateTime | None
    resolution_us: int | None
    reopened: bool
    closed_once: bool
    satisfaction: int | None
    policy: str | None
    cycles: tuple[CycleFacts, ...]

    def values(self) -> dict[str, object]:
        """The facts row's column values (the cycles are rows of their own)."""
        return {
            "complaint_id": self.complaint_id,
            "order_id": self.order_id,
            "case_id": self.case_id,
            "opened_at": self.opened_at,
            "status": self.status,
            "problem": self.problem,
            "category": self.category,
            "replied_at": self.replied_at,
            "first_reply_us": self.first_reply_us,
            "resolved_at": self.resolved_at,
            "resolution_us": self.resolution_us,
            "reopened": self.reopened,
            "closed_once": self.closed_once,
            "satisfaction": self.satisfaction,
            "policy": self.policy,
        }

    def cycle_values(self) -> list[dict[str, object]]:
        """The cycle rows' column values."""
        return [cycle.values(self.complaint_id) for cycle in self.cycles]


def _canonical(value: Any) -> Any:
    """``value`` as plain JSON that is the same in every process: attrs fields by name (those
    given to the constructor), enums by name, durations in microseconds, sets sorted."""
    if attrs.has(type(value)):
        return {
            "class": f"{type(value).__module__}.{type(value).__qualname__}",
            **{
                field.name: _canonical(getattr(value, field.name))
                for field in attrs.fields(type(value))
                if field.init
            },
        }
    if isinstance(value, enum.Enum):
        return f"{type(value).__qualname__}.{value.name}"
    if isinstance(value, _dt.datetime):
        return value.isoformat()
    if isinstance(value, _dt.timedelta):
        return microseconds(value)
    if isinstance(value, (_dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return sorted((_canonical(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, Mapping):
        return sorted(
            ([_canonical(k), _canonical(v)] for k, v in value.items()),
            key=lambda kv: json.dumps(kv, sort_keys=True),
        )
    if value is None or isinstance(value, (bool, int, str)):
        return value
    # Something this function cannot look into (a shop's own calendar class): its type.
    return f"{type(value).__module__}.{type(value).__qualname__}"


def sla_fingerprint(policy: SlaPolicy, calendar: WorkingCalendar) -> str:
    """What the facts of a complaint are written under: the policy's name and a digest of the
    policy and the calendar (every target, rule and escalation; the calendar's zone, hours,
    holidays and overrides when it is a :class:`~ecservice.calendar.ShopCalendar` or another
    attrs class, else its class), the same in every process (internal)."""
    text = json.dumps([_canonical(policy), _canonical(calendar)], sort_keys=True)
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    return f"{policy.name[:150]}#{digest}"


def complaint_facts(
    complaint: Complaint,
    policy: SlaPolicy | None = None,
    calendar: WorkingCalendar | None = None,
    evaluation: SlaEvaluation | None = None,
) -> ComplaintFacts:
    """The facts of ``complaint`` as it stands (internal).

    With a ``policy`` and a ``calendar`` the SLA is evaluated at the complaint's clock (as the
    store's timer does) and the working times are measured; without them, only the facts that
    need neither are written, with ``policy`` ``None``. ``evaluation`` is the SLA under
    ``policy`` and ``calendar`` at the complaint's clock, when the caller has it already.
    """
    problem = complaint.problem
    replied = complaint.first_replied_at
    visit = complaint.visit
    first_reply = resolution = None
    resolved_at: DateTime | None = None
    cycles: tuple[CycleFacts, ...] = ()
    if policy is not None and calendar is not None:
        if evaluation is None:
            evaluation = complaint.sla(policy, calendar)
        if replied is not None:
            first_reply = microseconds(calendar.elapsed(complaint.opened_at, replied))
        for cycle in evaluation.cycles:
            if cycle.kind is SlaTargetKind.RESOLUTION:
                if cycle.ended is CycleEnd.MET and cycle.stopped_at is not None:
                    resolved_at = cycle.stopped_at
                    resolution = microseconds(calendar.elapsed(complaint.opened_at, resolved_at))
                break
        cycles = tuple(
            CycleFacts(
                kind=cycle.kind.name,
                index=cycle.index,
                due_at=cycle.due_at,
                stopped_at=cycle.stopped_at,
                ended=None if cycle.ended is None else cycle.ended.name,
                paused_now=cycle.paused_now,
                breached_at=cycle.breached_at,
            )
            for cycle in evaluation.cycles
        )
    return ComplaintFacts(
        complaint_id=complaint.id,
        order_id=complaint.order_id,
        case_id=complaint.solution.case_id if complaint.solution is not None else None,
        opened_at=complaint.opened_at,
        status=complaint.status.name,
        problem=None if problem is None else problem.name,
        category=None if problem is None else problem.category.name,
        replied_at=replied,
        first_reply_us=first_reply,
        resolved_at=resolved_at,
        resolution_us=resolution,
        reopened=complaint.reopen_count > 0,
        closed_once=complaint.reopen_count > 0 or complaint.closed_at is not None,
        satisfaction=None if visit is None else visit.satisfaction,
        policy=None if policy is None or calendar is None else sla_fingerprint(policy, calendar),
        cycles=cycles,
    )
