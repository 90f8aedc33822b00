"""SLA policies: targets, clock rules, overrides and escalation steps are validated values."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import attrs
import pytest

from ecservice.aftersales import ProblemCategory, ProblemKind
from ecservice.complaints import COMPLAINT_WORKFLOW, ComplaintPriority
from ecservice.complaints._sla_errors import InvalidSlaPolicy
from ecservice.complaints._sla_policy import (
    SAMR_CLOCK_RULES,
    EscalationStep,
    SlaOverride,
    SlaPolicy,
)
from ecservice.complaints._sla_rules import (
    DEFAULT_CLOCK_RULES,
    ClockEvent,
    ClockRule,
    PauseState,
    SlaTarget,
    SlaTargetKind,
    TimeBasis,
)
from ecservice.errors import ValidationError
from ecservice.workflow import LabelledState, Workflow, transition

K = SlaTargetKind
P = ComplaintPriority
B = TimeBasis
H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)


def test_target_kinds_and_bases_carry_chinese_labels() -> None:
    """Every kind and basis has an English and a Chinese label."""
    assert [k.label_zh for k in K] == ["首次响应", "再次响应", "定期更新", "解决", "回访"]
    assert [b.label_zh for b in B] == ["工作时间", "自然时间", "工作日"]


@pytest.mark.parametrize(
    "duration", [dt.timedelta(0), -H, dt.timedelta(days=367), dt.timedelta(microseconds=-1)]
)
def test_target_refuses_durations_out_of_range(duration: dt.timedelta) -> None:
    """Zero, negative and over-long durations are refused with the allowed range."""
    with pytest.raises(InvalidSlaPolicy, match="more than 0 and at most 366 days"):
        SlaTarget(K.FIRST_REPLY, duration)


def test_target_accepts_the_limits() -> None:
    """One microsecond and 366 days are both allowed."""
    assert SlaTarget(K.RESOLUTION, dt.timedelta(microseconds=1)).duration.microseconds == 1
    assert SlaTarget(K.RESOLUTION, dt.timedelta(days=366)).duration.days == 366


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "first_reply", "duration": H}, "must be an SlaTargetKind"),
        ({"kind": K.FIRST_REPLY, "duration": 3600}, "datetime.timedelta"),
        ({"kind": K.FIRST_REPLY, "duration": H, "basis": "business"}, "TimeBasis"),
        ({"kind": K.RESOLUTION, "duration": D + H, "basis": B.WORKING_DAYS}, "whole number"),
    ],
)
def test_target_refuses_wrong_values(kwargs: dict[str, Any], message: str) -> None:
    """Wrong types and fractional working days raise InvalidSlaPolicy (a ValidationError)."""
    with pytest.raises(InvalidSlaPolicy, match=message) as caught:
        SlaTarget(**kwargs)
    assert isinstance(caught.value, ValidationError)


def test_clock_event_matching() -> None:
    """A trigger matches by name; entering and leaving need a change of state."""
    assert ClockEvent("reply").matches("reply", "replied", "replied")
    assert not ClockEvent("reply").matches("record", "replied", "recorded")
    entering = ClockEvent(entering="follow_up")
    assert entering.matches("feedback", "analysed", "follow_up")
    assert not entering.matches("reply", "follow_up", "follow_up")
    leaving = ClockEvent(leaving="awaiting_customer")
    assert leaving.matches("resume", "awaiting_customer", "judged")
    assert not leaving.matches("reply", "awaiting_customer", "awaiting_customer")
    both = ClockEvent("resume", leaving="awaiting_customer")
    assert not both.matches("withdraw", "awaiting_customer", "closed")


def test_clock_event_takes_states_as_members_or_values() -> None:
    """An enum member is stored as its value."""

    class Step(LabelledState):
        OPEN = ("open", "Open", "开")

    assert ClockEvent(entering=Step.OPEN) == ClockEvent(entering="open")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "names a trigger"),
        ({"trigger": ""}, "non-empty str"),
        ({"trigger": 3}, "non-empty str"),
        ({"entering": 3}, "enum member or its value"),
    ],
)
def test_clock_event_refuses_bad_conditions(kwargs: dict[str, Any], message: str) -> None:
    """An event without a condition or with a wrong type is refused."""
    with pytest.raises(InvalidSlaPolicy, match=message):
        ClockEvent(**kwargs)


def test_pause_state_via() -> None:
    """A pause restricted to some triggers pauses only a state entered by one of them."""
    inspection = PauseState("awaiting_third_party", via={"await_inspection"})
    assert inspection.pauses("awaiting_third_party", "await_inspection")
    assert not inspection.pauses("awaiting_third_party", "await_third_party")
    assert not inspection.pauses("awaiting_customer", "await_inspection")
    assert PauseState("awaiting_customer").pauses("awaiting_customer", None)
    with pytest.raises(InvalidSlaPolicy, match="iterable of trigger names"):
        PauseState("x", via="await_inspection")  # type: ignore[arg-type]


def test_clock_rule_needs_a_start_and_a_stop() -> None:
    """A rule that never starts or never stops is refused."""
    with pytest.raises(InvalidSlaPolicy, match="starts on the opening or on some event"):
        ClockRule(K.RESOLUTION, stops=[ClockEvent("reply")])
    with pytest.raises(InvalidSlaPolicy, match="names what meets it"):
        ClockRule(K.RESOLUTION, on_open=True)
    with pytest.raises(InvalidSlaPolicy, match="iterable of ClockEvent"):
        ClockRule(K.RESOLUTION, on_open=True, stops=ClockEvent("reply"))  # type: ignore[arg-type]
    with pytest.raises(InvalidSlaPolicy, match="True or False"):
        ClockRule(K.RESOLUTION, on_open=1, stops=[ClockEvent("reply")])  # type: ignore[arg-type]


def test_default_pause_table() -> None:
    """The documented pause table: the customer's wait pauses the periodic update and the
    resolution; an inspection pauses the resolution only; nothing pauses the first reply, the
    next reply or the follow-up visit; a carrier's wait pauses nothing."""
    rules = {r.kind: r for r in DEFAULT_CLOCK_RULES}
    table = {
        kind: (
            rule.paused_in("awaiting_customer", "await_customer"),
            rule.paused_in("awaiting_third_party", "await_inspection"),
            rule.paused_in("awaiting_third_party", "await_third_party"),
            rule.paused_in("awaiting_case", "feedback"),
        )
        for kind, rule in rules.items()
    }
    assert table == {
        K.FIRST_REPLY: (False, False, False, False),
        K.NEXT_REPLY: (False, False, False, False),
        K.PERIODIC_UPDATE: (True, False, False, False),
        K.RESOLUTION: (True, True, False, False),
        K.FOLLOW_UP: (False, False, False, False),
    }
    samr = {r.kind: r for r in SAMR_CLOCK_RULES}[K.RESOLUTION]
    assert not samr.paused_in("awaiting_customer", "await_customer")
    assert samr.paused_in("awaiting_third_party", "await_inspection")


def _policy(**changes: Any) -> SlaPolicy:
    fields: dict[str, Any] = {
        "name": "p",
        "source": "tests",
        "targets": dict.fromkeys(P, (SlaTarget(K.FIRST_REPLY, H),)),
    }
    fields.update(changes)
    return SlaPolicy(**fields)


def test_policy_needs_every_priority() -> None:
    """A priority left out is named; an empty list is allowed."""
    with pytest.raises(InvalidSlaPolicy, match="missing: urgent"):
        _policy(targets={p: [] for p in P if p is not P.URGENT})
    assert _policy(targets=dict.fromkeys(P, ())).targets_for(P.HIGH) == ()


def test_policy_refuses_a_kind_twice() -> None:
    """Two targets of one kind at one priority are refused."""
    twice = [SlaTarget(K.FIRST_REPLY, H), SlaTarget(K.FIRST_REPLY, 2 * H)]
    with pytest.raises(InvalidSlaPolicy, match="given twice"):
        _policy(targets=dict.fromkeys(P, twice))


def test_policy_refuses_targets_without_rules_and_rules_twice() -> None:
    """Every kind used needs exactly one clock rule."""
    with pytest.raises(InvalidSlaPolicy, match="without a clock rule: first_reply"):
        _policy(rules=DEFAULT_CLOCK_RULES[1:])
    with pytest.raises(InvalidSlaPolicy, match="twice: first_reply"):
        _policy(rules=[*DEFAULT_CLOCK_RULES, DEFAULT_CLOCK_RULES[0]])
    with pytest.raises(InvalidSlaPolicy, match="without a clock rule: resolution"):
        _policy(rules=DEFAULT_CLOCK_RULES[:1], escalations=[EscalationStep(K.RESOLUTION, 1)])


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", " p", "white space"),
        ("targets", [], "mapping of ComplaintPriority"),
        ("overrides", SlaOverride(ProblemKind.SIZE, [SlaTarget(K.FIRST_REPLY, H)]), "iterable"),
        ("escalations", [1], "EscalationStep"),
    ],
)
def test_policy_refuses_wrong_fields(field: str, value: object, message: str) -> None:
    """Wrong fields raise InvalidSlaPolicy or ValidationError saying what is allowed."""
    with pytest.raises(ValidationError, match=message):
        _policy(**{field: value})


def test_policy_survives_evolve() -> None:
    """attrs.evolve passes the stored targets back through the converter."""
    policy = SlaPolicy.shop_default()
    assert attrs.evolve(policy, name="copy").targets == policy.targets


def test_override_precedence() -> None:
    """Problem at the priority > problem > category at the priority > category > priority."""

    def first(hours: int) -> list[SlaTarget]:
        return [SlaTarget(K.FIRST_REPLY, hours * H)]

    policy = _policy(
        overrides=[
            SlaOverride(ProblemCategory.PRODUCT, first(2)),
            SlaOverride(ProblemCategory.PRODUCT, first(3), priority=P.HIGH),
            SlaOverride(ProblemKind.QUALITY, first(4)),
            SlaOverride(ProblemKind.QUALITY, first(5), priority=P.HIGH),
        ]
    )

    def hours(priority: P, problem: ProblemKind | None) -> float:
        target = policy.target(priority, K.FIRST_REPLY, problem)
        assert target is not None
        return target.duration / H

    assert hours(P.NORMAL, None) == 1
    assert hours(P.NORMAL, ProblemKind.SIZE) == 2
    assert hours(P.HIGH, ProblemKind.SIZE) == 3
    assert hours(P.NORMAL, ProblemKind.QUALITY) == 4
    assert hours(P.HIGH, ProblemKind.QUALITY) == 5
    assert hours(P.HIGH, ProblemKind.LOST_PARCEL) == 1


def test_override_replaces_only_its_kinds() -> None:
    """The shop default's lost-parcel override changes the resolution, not the first reply."""
    policy = SlaPolicy.shop_default()
    base = {t.kind: t for t in policy.targets_for(P.NORMAL)}
    lost = {t.kind: t for t in policy.targets_for(P.NORMAL, ProblemKind.LOST_PARCEL)}
    assert lost[K.FIRST_REPLY] == base[K.FIRST_REPLY]
    assert lost[K.RESOLUTION] == SlaTarget(K.RESOLUTION, 5 * D, B.WORKING_DAYS)
    assert base[K.RESOLUTION] == SlaTarget(K.RESOLUTION, 3 * D, B.WORKING_DAYS)


def test_override_and_targets_refuse_wrong_types() -> None:
    """Overrides name a problem, at least one target, and a priority or None."""
    with pytest.raises(InvalidSlaPolicy, match="ProblemKind or a ProblemCategory"):
        SlaOverride("quality", [SlaTarget(K.FIRST_REPLY, H)])  # type: ignore[arg-type]
    with pytest.raises(InvalidSlaPolicy, match="at least one target"):
        SlaOverride(ProblemKind.SIZE, [])
    with pytest.raises(InvalidSlaPolicy, match="ComplaintPriority or None"):
        SlaOverride(ProblemKind.SIZE, [SlaTarget(K.FIRST_REPLY, H)], priority="high")  # type: ignore[arg-type]
    with pytest.raises(InvalidSlaPolicy, match="a priority is a ComplaintPriority"):
        SlaPolicy.shop_default().targets_for("normal")  # type: ignore[arg-type]
    with pytest.raises(InvalidSlaPolicy, match="a problem is a ProblemKind"):
        SlaPolicy.shop_default().targets_for(P.LOW, ProblemCategory.PRODUCT)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"target": K.RESOLUTION, "level": 0}, "from 1 to 3"),
        ({"target": K.RESOLUTION, "level": 4}, "from 1 to 3"),
        ({"target": K.RESOLUTION, "level": True}, "is an int"),
        ({"target": K.RESOLUTION, "level": 1, "delay": -H}, "from 0 to 366 days"),
        ({"target": K.RESOLUTION, "level": 1, "delay": H, "basis": B.WORKING_DAYS}, "whole"),
        ({"target": "resolution", "level": 1}, "SlaTargetKind"),
    ],
)
def test_escalation_step_validation(kwargs: dict[str, Any], message: str) -> None:
    """Levels are 1 to 3; delays from 0 to 366 days, whole days when counted in working days."""
    with pytest.raises(InvalidSlaPolicy, match=message):
        EscalationStep(**kwargs)


def test_shop_default_numbers() -> None:
    """The shop default: first reply 2 working hours at normal priority, 30 minutes urgent;
    resolution in 3 working days at normal priority; escalation chain on resolution 1, 2, 3."""
    policy = SlaPolicy.shop_default()
    assert policy.target(P.NORMAL, K.FIRST_REPLY) == SlaTarget(K.FIRST_REPLY, 2 * H)
    assert policy.target(P.URGENT, K.FIRST_REPLY) == SlaTarget(K.FIRST_REPLY, H / 2)
    assert policy.target(P.NORMAL, K.PERIODIC_UPDATE) == SlaTarget(
        K.PERIODIC_UPDATE, 24 * H, B.CALENDAR
    )
    assert [(s.target, s.level) for s in policy.escalations] == [
        (K.FIRST_REPLY, 1),
        (K.RESOLUTION, 1),
        (K.RESOLUTION, 2),
        (K.RESOLUTION, 3),
    ]
    assert "common practice" in policy.source


def test_samr_numbers_and_source() -> None:
    """The regulator's timeline: 7 and 45 working days, at every priority, citing its articles."""
    policy = SlaPolicy.samr_interim_measures()
    for priority in P:
        assert policy.targets_for(priority) == (
            SlaTarget(K.FIRST_REPLY, 7 * D, B.WORKING_DAYS),
            SlaTarget(K.RESOLUTION, 45 * D, B.WORKING_DAYS),
        )
    assert "市场监督管理投诉举报处理暂行办法" in policy.source
    assert "art. 14 and 21" in policy.source
    assert policy.escalations == ()


class _Door(LabelledState):
    RECEIVED = ("received", "Received", "收到")
    REPLIED = ("replied", "Replied", "已回复")
    FOLLOW_UP = ("follow_up", "Follow-up", "回访")
    CLOSED = ("closed", "Closed", "关闭")


def test_check_workflow_names_what_is_missing() -> None:
    """A workflow without the rules' triggers and states is refused, each name listed."""
    small: Workflow[Any] = Workflow(
        "small",
        states=_Door,
        initial=_Door.RECEIVED,
        final=[_Door.CLOSED],
        transitions=[
            transition("reply", _Door.RECEIVED, _Door.REPLIED),
            transition("feedback", _Door.REPLIED, _Door.FOLLOW_UP),
            transition("follow_up", _Door.FOLLOW_UP, _Door.CLOSED),
        ],
    )
    policy = _policy(rules=DEFAULT_CLOCK_RULES[:1])
    with pytest.raises(InvalidSlaPolicy, match="trigger 'withdraw'"):
        policy.check_workflow(small)
    plain = _policy(rules=[ClockRule(K.FIRST_REPLY, on_open=True, stops=[ClockEvent("reply")])])
    plain.check_workflow(small)  # nothing missing


def test_check_workflow_on_the_default_complaint_workflow() -> None:
    """Both ready policies name only the default workflow's triggers and states (the inspection
    wait included: ``await_inspection``)."""
    assert "await_inspection" in COMPLAINT_WORKFLOW.triggers
    SlaPolicy.shop_default().check_workflow(COMPLAINT_WORKFLOW)
    SlaPolicy.samr_interim_measures().check_workflow(COMPLAINT_WORKFLOW)


def test_state_enum_value_is_used_for_matching() -> None:
    """Clock events compare state values, so any enum with the same values matches."""

    class Other(enum.Enum):
        FOLLOW_UP = "follow_up"

    assert ClockEvent(entering=Other.FOLLOW_UP).entering == "follow_up"
