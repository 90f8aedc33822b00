"""Service-level targets and the rules of their clocks, as data.

A target (:class:`SlaTarget`) says how long something may take (first reply within two working
hours); a clock rule (:class:`ClockRule`) says, for one kind of target, which moments of a
workflow's history start its clock, which meet it, which end it without meeting it, and in which
states it stands still. Rules name triggers and states by their text (a state's ``value``), so
one rule set serves the default complaint workflow, a shop's custom one and the second complaint
process alike; :meth:`SlaPolicy.check_workflow <ecservice.complaints.SlaPolicy.check_workflow>`
tells whether a workflow has every name a policy uses.

>>> import datetime as dt
>>> SlaTarget(SlaTargetKind.FIRST_REPLY, dt.timedelta(hours=2)).basis
<TimeBasis.BUSINESS: 'business'>
>>> SlaTarget(SlaTargetKind.FIRST_REPLY, dt.timedelta(0))
Traceback (most recent call last):
ecservice.complaints.InvalidSlaPolicy: the duration of a first_reply target is ...
"""

from __future__ import annotations

import datetime as _dt
import enum
from collections.abc import Iterable
from typing import Any, Final

import attrs

from ecservice._shown import shown
from ecservice.complaints._sla_errors import InvalidSlaPolicy
from ecservice.workflow import LabelledState

__all__ = [
    "CUSTOMER_CONTACT",
    "DEFAULT_CLOCK_RULES",
    "MAX_SLA_DURATION",
    "ClockEvent",
    "ClockRule",
    "PauseState",
    "SlaTarget",
    "SlaTargetKind",
    "TimeBasis",
    "state_name",
]

#: The longest duration a target accepts.
MAX_SLA_DURATION: Final = _dt.timedelta(days=366)


class SlaTargetKind(LabelledState):
    """What a service-level target measures (服务时效)."""

    FIRST_REPLY = ("first_reply", "First reply", "首次响应")
    NEXT_REPLY = ("next_reply", "Next reply", "再次响应")
    PERIODIC_UPDATE = ("periodic_update", "Periodic update", "定期更新")
    RESOLUTION = ("resolution", "Resolution", "解决")
    FOLLOW_UP = ("follow_up", "Follow-up visit", "回访")


class TimeBasis(LabelledState):
    """How a target's duration is counted.

    * ``BUSINESS``: working time on the shop's calendar (opening hours, holidays and make-up
      working days); a duration of 2 hours is two working hours.
    * ``CALENDAR``: real elapsed time, nights and holidays included.
    * ``WORKING_DAYS``: whole working days, the way Chinese law counts a period of "N 个工作日":
      the day the clock starts is not counted, the period ends with the close of business of the
      N-th working day after it (Civil Code art. 201 para. 1: 开始的当日不计入，自下一日开始计算;
      art. 203 para. 2: 有业务时间的，停止业务活动的时间为截止时间). The duration is a whole number
      of days (``timedelta(days=7)`` for seven working days).
    """

    BUSINESS = ("business", "Business time", "工作时间")
    CALENDAR = ("calendar", "Calendar time", "自然时间")
    WORKING_DAYS = ("working_days", "Working days", "工作日")


def _kind(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, SlaTargetKind):
        raise InvalidSlaPolicy(f"{attribute.name} must be an SlaTargetKind, not {shown(value)}")


def _basis(_: object, __: object, value: object) -> None:
    if not isinstance(value, TimeBasis):
        raise InvalidSlaPolicy(f"a target's basis must be a TimeBasis, not {shown(value)}")


@attrs.frozen
class SlaTarget:
    """How long one kind of step may take: the target of a service level (时效目标).

    Args:
        kind: what is measured (:class:`SlaTargetKind`).
        duration: the time allowed, a :class:`datetime.timedelta` of more than 0 and at most
            :data:`MAX_SLA_DURATION`; a whole number of days for ``WORKING_DAYS``.
        basis: how the duration is counted (:class:`TimeBasis`, business time by default).

    Raises:
        InvalidSlaPolicy: a wrong type, a duration of zero or less or above the limit, or a
            fractional number of working days.
    """

    kind: SlaTargetKind = attrs.field(validator=_kind)
    duration: _dt.timedelta = attrs.field()
    basis: TimeBasis = attrs.field(default=TimeBasis.BUSINESS, validator=_basis)

    @duration.validator
    def _check_duration(self, _: attrs.Attribute[_dt.timedelta], value: object) -> None:
        if not isinstance(value, _dt.timedelta):
            raise InvalidSlaPolicy(
                f"a target's duration is a datetime.timedelta, not {shown(value)}"
            )
        if not _dt.timedelta(0) < value <= MAX_SLA_DURATION:
            raise InvalidSlaPolicy(
                f"the duration of a {self.kind.value} target is more than 0 and at most "
                f"366 days, not {value}"
            )

    def __attrs_post_init__(self) -> None:
        if self.basis is TimeBasis.WORKING_DAYS and (
            self.duration.seconds or self.duration.microseconds
        ):
            raise InvalidSlaPolicy(
                f"a target counted in working days has a whole number of days, not {self.duration}"
            )


def state_name(state: enum.Enum | str) -> str:
    """The text a clock rule uses for a state: an enum member's ``value`` as text, or the text
    itself.

    Raises:
        InvalidSlaPolicy: ``state`` is neither.
    """
    given: object = state
    if isinstance(given, enum.Enum):
        return str(given.value)
    if isinstance(given, str):
        return given
    raise InvalidSlaPolicy(f"a state is an enum member or its value as text, not {shown(state)}")


def _optional_name(value: enum.Enum | str | None) -> str | None:
    return None if value is None else state_name(value)


def _optional_trigger(value: str | None) -> str | None:
    given: object = value
    if given is not None and (not isinstance(given, str) or not given):
        raise InvalidSlaPolicy(f"a trigger is named by a non-empty str, not {shown(given)}")
    return value


@attrs.frozen
class ClockEvent:
    """A moment of a workflow's history that moves a clock: a record matches when every
    condition given holds.

    Args:
        trigger: the record's trigger (``"reply"``), or ``None`` for any.
        entering: the state the record enters (its ``dest``, different from its ``source``), as
            an enum member or its value; ``None`` for any.
        leaving: the state the record leaves (its ``source``, different from its ``dest``);
            ``None`` for any.

    Raises:
        InvalidSlaPolicy: no condition given, or one of the wrong type.
    """

    trigger: str | None = attrs.field(default=None, converter=_optional_trigger)
    entering: str | None = attrs.field(default=None, converter=_optional_name)
    leaving: str | None = attrs.field(default=None, converter=_optional_name)

    def __attrs_post_init__(self) -> None:
        if self.trigger is None and self.entering is None and self.leaving is None:
            raise InvalidSlaPolicy(
                "a clock event names a trigger, a state entered or a state left (or several)"
            )

    def matches(self, trigger: str, source: str, dest: str) -> bool:
        """Whether a record with this trigger, source and destination (state values) matches."""
        if self.trigger is not None and trigger != self.trigger:
            return False
        moved = source != dest
        if self.entering is not None and not (moved and dest == self.entering):
            return False
        return self.leaving is None or (moved and source == self.leaving)


def _trigger_set(value: Iterable[str]) -> frozenset[str]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise InvalidSlaPolicy(f"via is an iterable of trigger names, not {shown(value)}")
    return frozenset(value)


@attrs.frozen
class PauseState:
    """A state in which a clock stands still.

    Args:
        state: the state, as an enum member or its value.
        via: the triggers that must have entered the state for it to pause (for instance only
            a wait for an inspection, not for a carrier); empty for any way in.

    Raises:
        InvalidSlaPolicy: a state or trigger of the wrong type.
    """

    state: str = attrs.field(converter=state_name)
    via: frozenset[str] = attrs.field(default=frozenset(), converter=_trigger_set)

    @via.validator
    def _check_via(self, _: attrs.Attribute[frozenset[str]], value: frozenset[object]) -> None:
        for item in value:
            if not isinstance(item, str) or not item:
                raise InvalidSlaPolicy(f"a trigger is named by a non-empty str, not {shown(item)}")

    def pauses(self, state: str, entered_by: str | None) -> bool:
        """Whether being in ``state``, entered by the trigger ``entered_by`` (``None`` for the
        initial state), pauses the clock."""
        if state != self.state:
            return False
        return not self.via or entered_by in self.via


def _events(value: Iterable[ClockEvent]) -> tuple[ClockEvent, ...]:
    if isinstance(value, (str, ClockEvent)) or not isinstance(value, Iterable):
        raise InvalidSlaPolicy(f"clock events are an iterable of ClockEvent, not {shown(value)}")
    items = tuple(value)
    for item in items:
        if not isinstance(item, ClockEvent):
            raise InvalidSlaPolicy(f"each clock event is a ClockEvent, not {shown(item)}")
    return items


def _pause_states(value: Iterable[PauseState]) -> tuple[PauseState, ...]:
    if isinstance(value, (str, PauseState)) or not isinstance(value, Iterable):
        raise InvalidSlaPolicy(f"pause states are an iterable of PauseState, not {shown(value)}")
    items = tuple(value)
    for item in items:
        if not isinstance(item, PauseState):
            raise InvalidSlaPolicy(f"each pause state is a PauseState, not {shown(item)}")
    return items


def _flag(_: object, attribute: attrs.Attribute[bool], value: object) -> None:
    if not isinstance(value, bool):
        raise InvalidSlaPolicy(f"{attribute.name} must be True or False, not {shown(value)}")


@attrs.frozen
class ClockRule:
    """When the clock of one kind of target runs: its cycles, met or not.

    A record of the history is applied in this order: if a cycle runs and the record matches
    ``stops``, the cycle is met; otherwise, if it matches ``cancels``, the cycle ends unmet (no
    longer owed, e.g. a withdrawn complaint; a breach before stays a breach). Then, if no cycle
    runs and the record matches ``starts`` but not ``cancels``, a new cycle starts, unless the
    rule does not repeat and a cycle started before. So one record may meet a cycle and start
    the next (each reply meets the periodic update and starts a new one).

    Args:
        kind: the target kind the rule times.
        on_open: whether the opening of the aggregate starts a cycle.
        starts: the events that start a cycle.
        stops: the events that meet the running cycle.
        cancels: the events that end the running cycle without meeting it, and prevent a
            start by the same record.
        repeats: whether a cycle may start after the first one ended.
        pauses: the states in which the clock stands still.

    Raises:
        InvalidSlaPolicy: a field of the wrong type, nothing that starts a cycle, or nothing
            that meets it.
    """

    kind: SlaTargetKind = attrs.field(validator=_kind)
    on_open: bool = attrs.field(default=False, kw_only=True, validator=_flag)
    starts: tuple[ClockEvent, ...] = attrs.field(default=(), kw_only=True, converter=_events)
    stops: tuple[ClockEvent, ...] = attrs.field(default=(), kw_only=True, converter=_events)
    cancels: tuple[ClockEvent, ...] = attrs.field(default=(), kw_only=True, converter=_events)
    repeats: bool = attrs.field(default=False, kw_only=True, validator=_flag)
    pauses: tuple[PauseState, ...] = attrs.field(default=(), kw_only=True, converter=_pause_states)

    def __attrs_post_init__(self) -> None:
        if not self.on_open and not self.starts:
            raise InvalidSlaPolicy(
                f"the clock rule of {self.kind.value} starts on the opening or on some event"
            )
        if not self.stops:
            raise InvalidSlaPolicy(f"the clock rule of {self.kind.value} names what meets it")

    def paused_in(self, state: str, entered_by: str | None) -> bool:
        """Whether the clock stands still in ``state`` entered by ``entered_by``."""
        return any(p.pauses(state, entered_by) for p in self.pauses)

    def names(self) -> tuple[frozenset[str], frozenset[str]]:
        """The triggers and the states the rule names (to check them against a workflow)."""
        events = (*self.starts, *self.stops, *self.cancels)
        triggers: set[str] = {e.trigger for e in events if e.trigger is not None}
        triggers.update(t for p in self.pauses for t in p.via)
        states = {s for e in events for s in (e.entering, e.leaving) if s is not None}
        states.update(p.state for p in self.pauses)
        return frozenset(triggers), frozenset(states)


#: The triggers of the default complaint workflow that tell the customer something: a reply,
#: a question back (waiting for the customer's answer), the solution (反馈).
CUSTOMER_CONTACT: Final = ("reply", "await_customer", "feedback")

_WITHDRAW: Final = ClockEvent("withdraw")
_CONTACT: Final = tuple(ClockEvent(t) for t in CUSTOMER_CONTACT)
_CUSTOMER: Final = PauseState("awaiting_customer")
#: A wait for an inspection, a test or an appraisal (检验、检测、鉴定), entered by its own trigger.
_INSPECTION: Final = PauseState("awaiting_third_party", via={"await_inspection"})

#: The clock rules of the default complaint workflow (see the pause table in the docs):
#: the first reply runs from the opening to the first reply, never paused; the next reply from
#: the customer's answer (leaving ``awaiting_customer``) to the next contact; the periodic
#: update from each contact to the next while the complaint is open, paused while the customer
#: is awaited; the resolution from the opening (and each reopening) to the solution carried out
#: (entering ``follow_up``), paused while the customer is awaited or an inspection, test or
#: appraisal runs; the follow-up visit from entering ``follow_up`` to the visit (made, or the
#: customer unreachable). A withdrawal ends every clock unmet.
DEFAULT_CLOCK_RULES: Final = (
    ClockRule(
        SlaTargetKind.FIRST_REPLY,
        on_open=True,
        stops=[ClockEvent("reply")],
        cancels=[_WITHDRAW],
    ),
    ClockRule(
        SlaTargetKind.NEXT_REPLY,
        starts=[ClockEvent(leaving="awaiting_customer", entering=None)],
        stops=_CONTACT,
        cancels=[_WITHDRAW, ClockEvent(entering="closed")],
        repeats=True,
    ),
    ClockRule(
        SlaTargetKind.PERIODIC_UPDATE,
        starts=_CONTACT,
        stops=_CONTACT,
        cancels=[_WITHDRAW, ClockEvent(entering="follow_up"), ClockEvent(entering="closed")],
        repeats=True,
        pauses=[_CUSTOMER],
    ),
    ClockRule(
        SlaTargetKind.RESOLUTION,
        on_open=True,
        starts=[ClockEvent("reopen")],
        stops=[ClockEvent(entering="follow_up")],
        cancels=[_WITHDRAW],
        repeats=True,
        pauses=[_CUSTOMER, _INSPECTION],
    ),
    ClockRule(
        SlaTargetKind.FOLLOW_UP,
        starts=[ClockEvent(entering="follow_up")],
        stops=[ClockEvent("follow_up"), ClockEvent("customer_unreachable")],
        cancels=[_WITHDRAW],
        repeats=True,
    ),
)
