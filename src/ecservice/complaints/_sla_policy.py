"""Service-level policies: targets per priority, overrides per problem, escalation chains.

>>> from ecservice.aftersales import ProblemKind
>>> policy = SlaPolicy.shop_default()
>>> [t.kind.value for t in policy.targets_for(ComplaintPriority.NORMAL)]
['first_reply', 'next_reply', 'periodic_update', 'resolution', 'follow_up']
>>> lost = policy.target(
...     ComplaintPriority.NORMAL, SlaTargetKind.RESOLUTION, ProblemKind.LOST_PARCEL)
>>> lost.duration.days, lost.basis.value
(5, 'working_days')
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Mapping
from typing import Any, Final

import attrs

from ecservice._shown import shown
from ecservice.aftersales import ProblemCategory, ProblemKind
from ecservice.complaints._sla_errors import InvalidSlaPolicy
from ecservice.complaints._sla_rules import (
    DEFAULT_CLOCK_RULES,
    MAX_SLA_DURATION,
    ClockEvent,
    ClockRule,
    PauseState,
    SlaTarget,
    SlaTargetKind,
    TimeBasis,
)
from ecservice.complaints._values import MAX_ESCALATION_LEVEL, ComplaintPriority
from ecservice.text import check_text
from ecservice.workflow import Workflow

__all__ = ["SAMR_CLOCK_RULES", "EscalationStep", "SlaOverride", "SlaPolicy"]

_H = _dt.timedelta(hours=1)
_D = _dt.timedelta(days=1)
K = SlaTargetKind
P = ComplaintPriority
B = TimeBasis


def _targets(value: Iterable[SlaTarget]) -> tuple[SlaTarget, ...]:
    if isinstance(value, SlaTarget) or not isinstance(value, Iterable):
        raise InvalidSlaPolicy(f"targets are an iterable of SlaTarget, not {shown(value)}")
    items = tuple(value)
    seen: set[SlaTargetKind] = set()
    for item in items:
        if not isinstance(item, SlaTarget):
            raise InvalidSlaPolicy(f"each target is an SlaTarget, not {shown(item)}")
        if item.kind in seen:
            raise InvalidSlaPolicy(f"a {item.kind.value} target is given twice; give one")
        seen.add(item.kind)
    return items


@attrs.frozen
class SlaOverride:
    """Targets that replace a policy's own for complaints about one problem or one group of
    problems, at one priority or at all.

    Only the target kinds it lists are replaced; the others stay the priority's. When several
    overrides apply, the most specific wins, kind by kind: a problem (subcategory) at the
    complaint's priority, then a problem at any priority, then a category at the priority, then
    a category at any priority, then the priority's own targets.

    Args:
        problem: a :class:`~ecservice.aftersales.ProblemKind` (subcategory) or a
            :class:`~ecservice.aftersales.ProblemCategory`.
        targets: the replacing targets, at most one per kind.
        priority: the priority it applies to, or ``None`` for every priority.

    Raises:
        InvalidSlaPolicy: a field of the wrong type, no target, or a kind given twice.
    """

    problem: ProblemKind | ProblemCategory = attrs.field()
    targets: tuple[SlaTarget, ...] = attrs.field(converter=_targets)
    priority: ComplaintPriority | None = attrs.field(default=None)

    @problem.validator
    def _check_problem(self, _: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, (ProblemKind, ProblemCategory)):
            raise InvalidSlaPolicy(
                f"an override's problem is a ProblemKind or a ProblemCategory, not {shown(value)}"
            )

    @priority.validator
    def _check_priority(self, _: attrs.Attribute[Any], value: object) -> None:
        if value is not None and not isinstance(value, ComplaintPriority):
            raise InvalidSlaPolicy(
                f"an override's priority is a ComplaintPriority or None, not {shown(value)}"
            )

    def __attrs_post_init__(self) -> None:
        if not self.targets:
            raise InvalidSlaPolicy("an override replaces at least one target")

    def rank(self, priority: ComplaintPriority, problem: ProblemKind | None) -> int | None:
        """How specific the override is for a complaint (higher wins), or ``None`` when it does
        not apply."""
        if self.priority is not None and self.priority is not priority:
            return None
        if problem is None:
            return None
        if isinstance(self.problem, ProblemKind):
            if self.problem is not problem:
                return None
            return 4 if self.priority is not None else 3
        if self.problem is not problem.category:
            return None
        return 2 if self.priority is not None else 1


@attrs.frozen
class EscalationStep:
    """One step of an escalation chain: when a cycle of ``target`` is breached and still not
    met ``delay`` later, the complaint goes up to ``level``.

    Args:
        target: the target kind whose breach starts the step.
        level: the escalation level reached, 1 to
            :data:`~ecservice.complaints.MAX_ESCALATION_LEVEL` (1 supervisor, 2 manager,
            3 head of customer service).
        delay: how long after the breach, zero for at once; not above
            :data:`MAX_SLA_DURATION`.
        basis: how ``delay`` is counted (business time by default).

    Raises:
        InvalidSlaPolicy: a field of the wrong type or out of range.
    """

    target: SlaTargetKind = attrs.field()
    level: int = attrs.field()
    delay: _dt.timedelta = attrs.field(default=_dt.timedelta(0))
    basis: TimeBasis = attrs.field(default=TimeBasis.BUSINESS)

    @target.validator
    def _check_target(self, _: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, SlaTargetKind):
            raise InvalidSlaPolicy(f"a step's target is an SlaTargetKind, not {shown(value)}")

    @level.validator
    def _check_level(self, _: attrs.Attribute[Any], value: object) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidSlaPolicy(f"an escalation level is an int, not {shown(value)}")
        if not 1 <= value <= MAX_ESCALATION_LEVEL:
            raise InvalidSlaPolicy(
                f"an escalation level is from 1 to {MAX_ESCALATION_LEVEL}, not {value}"
            )

    @delay.validator
    def _check_delay(self, _: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, _dt.timedelta):
            raise InvalidSlaPolicy(f"a step's delay is a datetime.timedelta, not {shown(value)}")
        if not _dt.timedelta(0) <= value <= MAX_SLA_DURATION:
            raise InvalidSlaPolicy(f"a step's delay is from 0 to 366 days, not {value}")

    @basis.validator
    def _check_basis(self, _: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, TimeBasis):
            raise InvalidSlaPolicy(f"a step's basis is a TimeBasis, not {shown(value)}")
        if value is TimeBasis.WORKING_DAYS and (self.delay.seconds or self.delay.microseconds):
            raise InvalidSlaPolicy(
                f"a delay counted in working days has a whole number of days, not {self.delay}"
            )


def _by_priority(
    value: Mapping[ComplaintPriority, Iterable[SlaTarget]]
    | tuple[tuple[ComplaintPriority, tuple[SlaTarget, ...]], ...],
) -> tuple[tuple[ComplaintPriority, tuple[SlaTarget, ...]], ...]:
    if isinstance(value, tuple):  # the stored form, as attrs.evolve passes it back
        value = dict(value)
    if not isinstance(value, Mapping):
        raise InvalidSlaPolicy(
            f"targets are a mapping of ComplaintPriority to targets, not {shown(value)}"
        )
    missing = [p.value for p in ComplaintPriority if p not in value]
    if missing:
        raise InvalidSlaPolicy(
            f"targets name every priority (an empty list for none); missing: {', '.join(missing)}"
        )
    items = []
    for priority, targets in value.items():
        if not isinstance(priority, ComplaintPriority):
            raise InvalidSlaPolicy(f"a priority is a ComplaintPriority, not {shown(priority)}")
        items.append((priority, _targets(targets)))
    order = list(ComplaintPriority)
    return tuple(sorted(items, key=lambda item: order.index(item[0])))


def _tuple_of(value: object, kind: type, what: str) -> tuple[Any, ...]:
    if isinstance(value, (str, kind)) or not isinstance(value, Iterable):
        raise InvalidSlaPolicy(f"{what} are an iterable of {kind.__name__}, not {shown(value)}")
    items = tuple(value)
    for item in items:
        if not isinstance(item, kind):
            raise InvalidSlaPolicy(f"each of the {what} is a {kind.__name__}, not {shown(item)}")
    return items


def _overrides(value: Iterable[SlaOverride]) -> tuple[SlaOverride, ...]:
    return _tuple_of(value, SlaOverride, "overrides")


def _steps(value: Iterable[EscalationStep]) -> tuple[EscalationStep, ...]:
    return _tuple_of(value, EscalationStep, "escalation steps")


def _rules(value: Iterable[ClockRule]) -> tuple[ClockRule, ...]:
    return _tuple_of(value, ClockRule, "clock rules")


def _text(what: str) -> Any:
    def validate(_: object, __: object, value: object) -> None:
        if check_text(value, what) != value:
            raise InvalidSlaPolicy(f"{what} must not start or end with white space")

    return validate


@attrs.frozen
class SlaPolicy:
    """A service-level policy: the targets a complaint must meet and what happens when it
    does not. A frozen value: keep it with the complaint to keep its deadlines (see
    :class:`~ecservice.complaints.SlaSnapshot` for a change of policy).

    Args:
        name: a short name (``"shop-default"``).
        source: where the numbers come from (a law's article, a platform rule, the shop's own
            setting).
        targets: for every :class:`~ecservice.complaints.ComplaintPriority`, its targets (at most
            one per kind; an empty list when the priority has none).
        overrides: targets that replace the priority's for a problem or category (the most
            specific wins, see :class:`SlaOverride`).
        escalations: the escalation chain.
        rules: the clock rules, one per target kind used (:data:`DEFAULT_CLOCK_RULES` by
            default).

    Raises:
        InvalidSlaPolicy: a field of the wrong type, a priority missing, a kind given twice, a
            target or escalation step whose kind has no clock rule, or two rules for one kind.
    """

    name: str = attrs.field(validator=_text("a policy's name"))
    source: str = attrs.field(validator=_text("a policy's source"))
    targets: tuple[tuple[ComplaintPriority, tuple[SlaTarget, ...]], ...] = attrs.field(
        converter=_by_priority
    )
    overrides: tuple[SlaOverride, ...] = attrs.field(default=(), converter=_overrides)
    escalations: tuple[EscalationStep, ...] = attrs.field(default=(), converter=_steps)
    rules: tuple[ClockRule, ...] = attrs.field(default=DEFAULT_CLOCK_RULES, converter=_rules)

    def __attrs_post_init__(self) -> None:
        kinds = [r.kind for r in self.rules]
        twice = sorted({k.value for k in kinds if kinds.count(k) > 1})
        if twice:
            raise InvalidSlaPolicy(f"one clock rule per target kind; twice: {', '.join(twice)}")
        used = {t.kind for _, ts in self.targets for t in ts}
        used.update(t.kind for o in self.overrides for t in o.targets)
        used.update(s.target for s in self.escalations)
        unruled = sorted(k.value for k in used - set(kinds))
        if unruled:
            raise InvalidSlaPolicy(f"targets without a clock rule: {', '.join(unruled)}")

    def rule(self, kind: SlaTargetKind) -> ClockRule | None:
        """The clock rule of ``kind``, or ``None``."""
        return next((r for r in self.rules if r.kind is kind), None)

    def targets_for(
        self, priority: ComplaintPriority, problem: ProblemKind | None = None
    ) -> tuple[SlaTarget, ...]:
        """The targets of a complaint of ``priority`` about ``problem`` (``None`` when not
        recorded yet), after the overrides, in the order of :class:`SlaTargetKind`.

        Raises:
            InvalidSlaPolicy: ``priority`` or ``problem`` of the wrong type.
        """
        if not isinstance(priority, ComplaintPriority):
            raise InvalidSlaPolicy(f"a priority is a ComplaintPriority, not {shown(priority)}")
        if problem is not None and not isinstance(problem, ProblemKind):
            raise InvalidSlaPolicy(f"a problem is a ProblemKind or None, not {shown(problem)}")
        chosen: dict[SlaTargetKind, tuple[int, SlaTarget]] = {
            t.kind: (0, t) for t in dict(self.targets)[priority]
        }
        for override in self.overrides:
            rank = override.rank(priority, problem)
            if rank is None:
                continue
            for target in override.targets:
                if target.kind not in chosen or chosen[target.kind][0] < rank:
                    chosen[target.kind] = (rank, target)
        return tuple(chosen[k][1] for k in SlaTargetKind if k in chosen)

    def target(
        self,
        priority: ComplaintPriority,
        kind: SlaTargetKind,
        problem: ProblemKind | None = None,
    ) -> SlaTarget | None:
        """The target of ``kind`` for a complaint, or ``None`` when the policy sets none."""
        return next((t for t in self.targets_for(priority, problem) if t.kind is kind), None)

    def check_workflow(self, workflow: Workflow[Any]) -> None:
        """Check that ``workflow`` has every trigger and state the clock rules name.

        Raises:
            InvalidSlaPolicy: naming each trigger and state the workflow lacks.
        """
        triggers: set[str] = set(workflow.triggers)
        states = {str(s.value) for s in workflow.states}
        missing: list[str] = []
        for rule in self.rules:
            named_triggers, named_states = rule.names()
            missing += [
                f"{rule.kind.value}: trigger {t!r}" for t in sorted(named_triggers - triggers)
            ]
            missing += [f"{rule.kind.value}: state {s!r}" for s in sorted(named_states - states)]
        if missing:
            lines = "\n".join(f"  - {m}" for m in missing)
            raise InvalidSlaPolicy(
                f"policy {self.name!r} names what workflow {workflow.name!r} lacks:\n{lines}"
            )

    @classmethod
    def shop_default(cls) -> SlaPolicy:
        """The default service levels of a shop: the common practice of Chinese online shops'
        customer service, and a shop setting (no platform rule fixes complaint deadlines).

        * urgent (紧急): first reply 30 minutes, next reply 1 hour, periodic update every 4
          hours, resolution and follow-up visit within 1 working day;
        * high (高): 1 hour, 2 hours, every 8 hours, 2 working days;
        * normal (普通): 2 hours, 4 hours, every 24 hours of real time, 3 working days;
        * low (低): 4 hours, 8 hours, every 48 hours of real time, 5 working days.

        Hours are working hours on the shop's calendar unless marked real time. Overrides: a
        lost parcel (包裹丢失) is resolved within 5 working days at any priority (the carrier's
        search takes days); service complaints (服务问题: attitude, misleading sales) get a
        first reply within 1 hour. Escalations: a breached first reply goes to the supervisor
        (level 1) at once; a breached resolution goes to the supervisor at once, to the manager
        (2) a working day (9 working hours) later, and to the head of customer service (3) two
        more working days later, unless met by then. Clock rules: :data:`DEFAULT_CLOCK_RULES`.
        """
        wd = B.WORKING_DAYS

        def row(
            first: _dt.timedelta,
            nxt: _dt.timedelta,
            update: SlaTarget,
            days: int,
        ) -> tuple[SlaTarget, ...]:
            return (
                SlaTarget(K.FIRST_REPLY, first),
                SlaTarget(K.NEXT_REPLY, nxt),
                update,
                SlaTarget(K.RESOLUTION, days * _D, wd),
                SlaTarget(K.FOLLOW_UP, days * _D, wd),
            )

        return cls(
            name="shop-default",
            source="common practice of Chinese online shops' customer service; a shop setting",
            targets={
                P.URGENT: row(_H / 2, _H, SlaTarget(K.PERIODIC_UPDATE, 4 * _H), 1),
                P.HIGH: row(_H, 2 * _H, SlaTarget(K.PERIODIC_UPDATE, 8 * _H), 2),
                P.NORMAL: row(2 * _H, 4 * _H, SlaTarget(K.PERIODIC_UPDATE, 24 * _H, B.CALENDAR), 3),
                P.LOW: row(4 * _H, 8 * _H, SlaTarget(K.PERIODIC_UPDATE, 48 * _H, B.CALENDAR), 5),
            },
            overrides=[
                SlaOverride(ProblemKind.LOST_PARCEL, [SlaTarget(K.RESOLUTION, 5 * _D, wd)]),
                SlaOverride(ProblemCategory.SERVICE, [SlaTarget(K.FIRST_REPLY, _H)]),
            ],
            escalations=[
                EscalationStep(K.FIRST_REPLY, 1),
                EscalationStep(K.RESOLUTION, 1),
                EscalationStep(K.RESOLUTION, 2, _D, wd),
                EscalationStep(K.RESOLUTION, 3, 3 * _D, wd),
            ],
        )

    @classmethod
    def samr_interim_measures(cls) -> SlaPolicy:
        """The regulator's timeline for a complaint handled through a market-regulation
        department (12315): 市场监督管理投诉举报处理暂行办法 (SAMR Order No. 20 of 2019, amended
        2022), mapped onto a shop's complaint.

        * First reply: 7 working days. Art. 14: the department decides whether to accept the
          complaint within seven working days of receiving it (自收到投诉之日起七个工作日内作出
          受理或者不予受理的决定). A shop answering a referred complaint keeps to the same limit.
        * Resolution: 45 working days from acceptance, taken as the first reply. Art. 21: the
          mediation ends when no agreement is reached within forty-five working days of the
          acceptance (自投诉受理之日起四十五个工作日内……未能达成调解协议的). The time spent on
          verification, inspection, testing or appraisal (检定、检验、检测、鉴定) does not count
          toward the mediation period (the same measures), so the clock stands still while the
          complaint waits for an inspection (a wait entered by the ``await_inspection``
          trigger); waiting for the customer is not excluded and does not pause it.

        Every priority has the same targets; there is no escalation chain (the regulator's
        deadlines are met or breached, the department decides what follows). Working days follow
        :attr:`TimeBasis.WORKING_DAYS <ecservice.complaints.TimeBasis.WORKING_DAYS>`. Clock
        rules: :data:`SAMR_CLOCK_RULES`.
        """
        row = (
            SlaTarget(K.FIRST_REPLY, 7 * _D, B.WORKING_DAYS),
            SlaTarget(K.RESOLUTION, 45 * _D, B.WORKING_DAYS),
        )
        return cls(
            name="samr-interim-measures",
            source="市场监督管理投诉举报处理暂行办法 (SAMR Order No. 20, 2019, amended 2022), "
            "art. 14 and 21",
            targets=dict.fromkeys(ComplaintPriority, row),
            rules=SAMR_CLOCK_RULES,
        )


#: The clock rules of :meth:`SlaPolicy.samr_interim_measures`: the first reply as in
#: :data:`DEFAULT_CLOCK_RULES`; the resolution from the first reply (the acceptance) to the
#: solution carried out, paused only while an inspection, test or appraisal runs.
SAMR_CLOCK_RULES: Final = (
    DEFAULT_CLOCK_RULES[0],
    ClockRule(
        SlaTargetKind.RESOLUTION,
        starts=[ClockEvent("reply")],
        stops=[ClockEvent(entering="follow_up")],
        cancels=[ClockEvent("withdraw")],
        pauses=[PauseState("awaiting_third_party", via={"await_inspection"})],
    ),
)
