"""Workflows are validated when they are defined, and derived into custom ones.

Every invalid definition raises :class:`InvalidWorkflow` at construction, with one readable
problem per mistake; :meth:`Workflow.derive` builds a new workflow that is validated the same way.
Diagrams are tested in ``test_diagrams.py``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any

import pytest

from ecservice.errors import InvalidWorkflow
from ecservice.workflow import (
    Context,
    LabelledState,
    Transition,
    Workflow,
    transition,
)


class Door(LabelledState):
    OPEN = ("open", "Open", "开着")
    CLOSED = ("closed", "Closed", "关着")
    LOCKED = ("locked", "Locked", "锁着")
    BROKEN = ("broken", "Broken", "坏了")


class Extra(LabelledState):
    JAMMED = ("jammed", "Jammed", "卡住")
    PAINTED = ("painted", "Painted", "上漆")


class Plain(enum.Enum):
    """States without labels (and a member named like one of Door's)."""

    OPEN = 1
    SHUT = 2


def has_key(agg: Any, ctx: Context) -> bool:
    """Someone holds the key."""
    return True


def is_night(agg: Any, ctx: Context) -> bool:
    return False


def noop(agg: Any, ctx: Context) -> None:
    return None


def other_noop(agg: Any, ctx: Context) -> None:
    return None


def door_transitions() -> list[Transition[Any]]:
    return [
        transition("close", Door.OPEN, Door.CLOSED),
        transition("open", Door.CLOSED, Door.OPEN),
        transition("lock", Door.CLOSED, Door.LOCKED, conditions=[has_key], unless=[is_night]),
        transition("kick", [Door.OPEN, Door.CLOSED], Door.BROKEN),
        transition("knock", Door.CLOSED, None),
    ]


def door(**overrides: Any) -> Workflow[Any]:
    """The valid door workflow, with any constructor argument replaced."""
    kwargs: dict[str, Any] = {
        "states": Door,
        "initial": Door.OPEN,
        "final": [Door.LOCKED, Door.BROKEN],
        "transitions": door_transitions(),
        "on_enter": {Door.CLOSED: [noop]},
        "on_exit": {Door.OPEN: [noop]},
    }
    kwargs.update(overrides)
    return Workflow("door", **kwargs)


def problems_of(build: Callable[[], object]) -> tuple[str, ...]:
    """The problems InvalidWorkflow lists when ``build`` runs (fails the test if it builds)."""
    with pytest.raises(InvalidWorkflow) as info:
        build()
    assert str(info.value).startswith("workflow ")
    for p in info.value.problems:
        assert f"  - {p}" in str(info.value)
    return info.value.problems


# --- a valid workflow ----------------------------------------------------------------------------


def test_a_valid_workflow_builds_and_answers_queries() -> None:
    """States, initial/final, triggers in declaration order, per-trigger transitions, hooks."""
    wf: Any = door()
    assert wf.problems() == []
    assert wf.states == tuple(Door)
    assert wf.initial is Door.OPEN
    assert wf.final == frozenset({Door.LOCKED, Door.BROKEN})
    assert wf.triggers == ("close", "open", "lock", "kick", "knock")
    (lock,) = wf.transitions_for("lock")
    assert lock.conditions == (has_key,)
    assert lock.unless == (is_night,)
    assert lock.describe() == "lock: CLOSED -> LOCKED"
    assert wf.transitions_for("kick")[0].describe() == "kick: OPEN|CLOSED -> BROKEN"
    assert wf.transitions_for("knock")[0].describe() == "knock: CLOSED -> (internal)"
    assert wf.transitions_for("fly") == ()
    assert wf.state_named("LOCKED") is Door.LOCKED
    with pytest.raises(KeyError, match="no state 'AJAR'"):
        wf.state_named("AJAR")
    assert wf.on_enter == {Door.CLOSED: (noop,)}
    assert wf.on_exit == {Door.OPEN: (noop,)}
    assert repr(wf) == "Workflow('door', states=4, transitions=5)"


def test_transition_accepts_one_state_or_several() -> None:
    """transition() normalises a single source to a tuple and keeps guards and hooks in order."""
    t = transition(
        "x", Door.OPEN, Door.CLOSED, prepare=[noop], before=[noop, other_noop], after=[other_noop]
    )
    assert t.sources == (Door.OPEN,)
    assert (t.prepare, t.before, t.after) == ((noop,), (noop, other_noop), (other_noop,))
    many: Any = transition("x", iter([Door.OPEN, Door.CLOSED]), None)
    assert many.sources == (Door.OPEN, Door.CLOSED)
    assert many.dest is None


def test_workflow_states_may_be_an_iterable_of_members_of_several_enums() -> None:
    """A list of members of different enums is a valid state set (how derive adds states)."""
    wf: Any = Workflow(
        "mixed",
        states=[Door.OPEN, Extra.JAMMED],
        initial=Door.OPEN,
        final=[Extra.JAMMED],
        transitions=[transition("jam", Door.OPEN, Extra.JAMMED)],
    )
    assert wf.states == (Door.OPEN, Extra.JAMMED)


# --- invalid definitions -------------------------------------------------------------------------


def test_unreachable_state_is_rejected() -> None:
    """A state no transition leads to (from the initial state) is a definition error."""
    transitions = [t for t in door_transitions() if t.trigger != "kick"]
    problems = problems_of(lambda: door(transitions=transitions))
    assert problems == ("state BROKEN cannot be reached from OPEN",)


def test_reachability_follows_paths_not_single_edges() -> None:
    """A state reached only from an unreachable state is unreachable too."""
    problems = problems_of(
        lambda: Workflow(
            "w",
            states=Door,
            initial=Door.OPEN,
            final=[Door.LOCKED],
            transitions=[
                transition("close", Door.OPEN, Door.CLOSED),
                transition("open", Door.CLOSED, Door.OPEN),
                transition("lock", Door.BROKEN, Door.LOCKED),
            ],
        )
    )
    assert problems == (
        "state LOCKED cannot be reached from OPEN",
        "state BROKEN cannot be reached from OPEN",
    )


def test_exit_from_a_final_state_is_rejected() -> None:
    """No transition may leave a final state."""
    extra: Any = transition("unlock", Door.LOCKED, Door.CLOSED)
    problems = problems_of(lambda: door(transitions=[*door_transitions(), extra]))
    assert problems == ("transition unlock: LOCKED -> CLOSED leaves final state LOCKED",)


def test_internal_transition_in_a_final_state_is_rejected_too() -> None:
    """Even an internal transition (dest None) from a final state is an exit."""
    extra: Any = transition("polish", Door.BROKEN, None)
    problems = problems_of(lambda: door(transitions=[*door_transitions(), extra]))
    assert problems == ("transition polish: BROKEN -> (internal) leaves final state BROKEN",)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        pytest.param(
            {"transitions": [*door_transitions(), transition("fix", Extra.JAMMED, Door.OPEN)]},
            "transition fix: JAMMED -> OPEN starts from unknown state <Extra.JAMMED: 'jammed'>",
            id="source",
        ),
        pytest.param(
            {"transitions": [*door_transitions(), transition("jam", Door.OPEN, Extra.JAMMED)]},
            "transition jam: OPEN -> JAMMED leads to unknown state <Extra.JAMMED: 'jammed'>",
            id="dest",
        ),
        pytest.param(
            {"initial": Extra.JAMMED},
            "initial state <Extra.JAMMED: 'jammed'> is not one of its states",
            id="initial",
        ),
        pytest.param(
            {"final": [Door.LOCKED, Door.BROKEN, Extra.PAINTED]},
            "final state <Extra.PAINTED: 'painted'> is not one of its states",
            id="final",
        ),
        pytest.param(
            {"on_enter": {Extra.JAMMED: [noop]}},
            "on_enter hooks name unknown state <Extra.JAMMED: 'jammed'>",
            id="on_enter",
        ),
        pytest.param(
            {"on_exit": {Plain.SHUT: [noop]}},
            "on_exit hooks name unknown state <Plain.SHUT: 2>",
            id="on_exit",
        ),
    ],
)
def test_unknown_states_are_rejected(overrides: dict[str, Any], expected: str) -> None:
    """Every place a state is named must name one of the workflow's states."""
    assert expected in problems_of(lambda: door(**overrides))


def test_the_same_transition_declared_twice_is_rejected() -> None:
    """Same trigger, source, destination and guards twice: the second could never fire."""
    dup: Any = transition("close", Door.OPEN, Door.CLOSED)
    problems = problems_of(lambda: door(transitions=[*door_transitions(), dup]))
    assert problems == ("transition close: OPEN is declared twice",)


def test_same_trigger_and_source_with_different_guards_is_not_a_duplicate() -> None:
    """Several candidates per (trigger, source) are legitimate when their guards differ."""
    wf: Any = door(
        transitions=[
            *door_transitions(),
            transition("close", Door.OPEN, Door.CLOSED, conditions=[has_key]),
        ]
    )
    assert len(wf.transitions_for("close")) == 2


def test_a_state_declared_twice_is_rejected() -> None:
    """The state list must not repeat a member."""
    problems = problems_of(lambda: door(states=[*Door, Door.CLOSED]))
    assert problems == ("a state is declared twice",)


def test_two_states_with_the_same_name_from_different_enums_are_rejected() -> None:
    """Names identify states in diagrams and messages: Door.OPEN and Plain.OPEN collide."""
    problems = problems_of(lambda: door(states=[*Door, Plain.OPEN]))
    assert problems == ("two states share the name 'OPEN'",)


def test_a_workflow_without_states_is_rejected() -> None:
    """An empty state set is reported (along with the initial state it cannot contain)."""
    problems = problems_of(lambda: Workflow("empty", states=[], initial=Door.OPEN, transitions=[]))
    assert "it declares no states" in problems


def test_a_transition_without_source_is_rejected() -> None:
    """transition(..., source=[]) can never fire."""
    extra: Any = transition("slam", [], Door.CLOSED)
    problems = problems_of(lambda: door(transitions=[*door_transitions(), extra]))
    assert problems == ("transition slam:  -> CLOSED has no source state",)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Close", "is not a lower-case identifier"),
        ("close-now", "is not a lower-case identifier"),
        ("close now", "is not a lower-case identifier"),
        ("2close", "is not a lower-case identifier"),
        ("", "is not a lower-case identifier"),
        ("关门", "is not a lower-case identifier"),
        ("_close", "must not start with an underscore"),
    ],
)
def test_bad_trigger_names_are_rejected(name: str, expected: str) -> None:
    """Trigger names become method names: lower-case identifiers, not private."""
    extra: Any = transition(name, Door.OPEN, Door.CLOSED, conditions=[is_night])
    problems = problems_of(lambda: door(transitions=[*door_transitions(), extra]))
    assert any(expected in p and repr(name) in p for p in problems), problems


def test_transitions_own_validation_becomes_invalid_workflow() -> None:
    """A trigger transitions refuses (named like its model attribute) raises InvalidWorkflow."""
    extra: Any = transition("state", Door.OPEN, Door.CLOSED, conditions=[is_night])
    problems = problems_of(lambda: door(transitions=[*door_transitions(), extra]))
    assert problems == ("Trigger name cannot be same as model attribute name.",)


def test_a_non_final_state_without_a_way_out_is_rejected() -> None:
    """A dead end must be declared final."""
    problems = problems_of(lambda: door(final=[Door.LOCKED]))
    assert problems == (
        "state BROKEN is not final but no transition leaves it; declare it final or add a way out",
    )


def test_reflexive_and_internal_transitions_are_not_a_way_out() -> None:
    """A state left only by itself (reflexive or internal transitions) is still a dead end."""
    problems = problems_of(
        lambda: door(
            final=[Door.LOCKED],
            transitions=[
                *door_transitions(),
                transition("rattle", Door.BROKEN, Door.BROKEN),
                transition("creak", Door.BROKEN, None),
            ],
        )
    )
    assert problems == (
        "state BROKEN is not final but no transition leaves it; declare it final or add a way out",
    )


def test_all_problems_are_reported_at_once() -> None:
    """Unrelated mistakes are listed together, each on its own line."""
    problems = problems_of(
        lambda: door(
            initial=Extra.JAMMED,
            transitions=[*door_transitions(), transition("Bad", Door.OPEN, Door.LOCKED)],
            on_exit={Extra.PAINTED: [noop]},
        )
    )
    assert len(problems) == 3


def test_problems_lists_nothing_for_a_valid_workflow_and_errors_are_invalid_workflow() -> None:
    """InvalidWorkflow keeps the workflow's name and the problems as a tuple."""
    with pytest.raises(InvalidWorkflow) as info:
        door(final=[Door.LOCKED])
    assert info.value.workflow == "door"
    assert str(info.value).splitlines()[0] == "workflow 'door' is invalid:"


# --- derive ------------------------------------------------------------------------------------


def test_derive_adds_states_from_another_enum_and_their_transitions() -> None:
    """New states (members of another Enum) and transitions to and from them."""
    base = door()
    wf: Any = base.derive(
        "jamming_door",
        add_states=[Extra.JAMMED],
        add_transitions=[
            transition("jam", Door.CLOSED, Extra.JAMMED),
            transition("unjam", Extra.JAMMED, Door.CLOSED),
        ],
    )
    assert wf.name == "jamming_door"
    assert wf.states == (*Door, Extra.JAMMED)
    assert wf.triggers == (*base.triggers, "jam", "unjam")
    assert wf.final == base.final
    assert wf.initial is Door.OPEN
    # The base is untouched.
    assert base.states == tuple(Door)
    assert "jam" not in base.triggers


def test_derive_removes_states_and_every_transition_from_or_to_them() -> None:
    """Removing BROKEN drops 'kick' entirely (its only destination) and the state's hooks."""
    base = door(on_enter={Door.BROKEN: [noop]})
    wf: Any = base.derive("sturdy_door", remove_states=[Door.BROKEN])
    assert Door.BROKEN not in wf.states
    assert "kick" not in wf.triggers
    assert wf.final == frozenset({Door.LOCKED})
    assert Door.BROKEN not in wf.on_enter


def test_derive_removing_a_source_state_keeps_the_transition_from_the_others() -> None:
    """A multi-source transition loses only the removed source; transitions to or from the
    removed state go, and so do its hooks."""
    base = Workflow(
        "jamming_door",
        states=[*Door, Extra.JAMMED],
        initial=Door.OPEN,
        final=[Door.LOCKED, Door.BROKEN],
        transitions=[
            *door_transitions(),
            transition("jam", Door.OPEN, Extra.JAMMED),
            transition("unjam", Extra.JAMMED, Door.OPEN),
            transition("smash", [Door.OPEN, Extra.JAMMED, Door.CLOSED], Door.BROKEN),
        ],
        on_exit={Extra.JAMMED: [noop]},
    )
    wf: Any = base.derive("door_again", remove_states=[Extra.JAMMED])
    assert wf.states == tuple(Door)
    assert wf.triggers == ("close", "open", "lock", "kick", "knock", "smash")
    (smash,) = wf.transitions_for("smash")
    assert smash.sources == (Door.OPEN, Door.CLOSED)
    assert wf.on_exit == {}


def test_derive_can_replace_a_transition_by_removing_and_adding_it() -> None:
    """Removals apply to the base's transitions only: a re-added trigger survives."""
    wf: Any = door().derive(
        "w",
        remove_transitions=["lock"],
        add_transitions=[transition("lock", Door.OPEN, Door.LOCKED)],
    )
    (lock,) = wf.transitions_for("lock")
    assert lock.sources == (Door.OPEN,)
    assert lock.conditions == ()
    wf2: Any = door().derive(
        "w2",
        remove_transitions=[("kick", Door.OPEN)],
        add_transitions=[transition("kick", Door.OPEN, Door.CLOSED)],
    )
    assert [t.describe() for t in wf2.transitions_for("kick")] == [
        "kick: CLOSED -> BROKEN",
        "kick: OPEN -> CLOSED",
    ]


def test_derive_adds_and_removes_transitions() -> None:
    """A trigger name removes all its transitions; added ones come after the existing ones."""
    wf: Any = door().derive(
        "w",
        remove_transitions=["knock"],
        add_transitions=[transition("bang", Door.CLOSED, Door.BROKEN)],
    )
    assert wf.triggers == ("close", "open", "lock", "kick", "bang")
    assert wf.transitions[-1].trigger == "bang"


def test_derive_removes_a_trigger_from_one_source_only() -> None:
    """(trigger, state) removes that source and keeps the trigger from the others."""
    wf: Any = door().derive("w", remove_transitions=[("kick", Door.OPEN)])
    (kick,) = wf.transitions_for("kick")
    assert kick.sources == (Door.CLOSED,)


def test_derive_appends_guards_and_hooks_to_every_transition_of_a_trigger() -> None:
    """add_guards/add_before/add_after extend the existing ones, in order, and only there."""
    base = door(
        transitions=[
            *door_transitions(),
            transition("close", Door.CLOSED, None, before=[noop]),
        ]
    )
    wf: Any = base.derive(
        "w",
        add_guards={"close": [has_key]},
        add_before={"close": [other_noop]},
        add_after={"open": [noop]},
    )
    first, second = wf.transitions_for("close")
    assert first.conditions == (has_key,)
    assert first.before == (other_noop,)
    assert second.conditions == (has_key,)
    assert second.before == (noop, other_noop)
    assert wf.transitions_for("open")[0].after == (noop,)
    (lock,) = wf.transitions_for("lock")
    assert lock.conditions == (has_key,)  # untouched
    assert base.transitions_for("close")[0].conditions == ()


def test_derive_guards_apply_to_added_transitions_too() -> None:
    """add_guards names a trigger; transitions added in the same derive get the guard."""
    wf: Any = door().derive(
        "w",
        add_transitions=[transition("slam", Door.OPEN, Door.CLOSED)],
        add_guards={"slam": [has_key]},
    )
    assert wf.transitions_for("slam")[0].conditions == (has_key,)


def test_derive_adds_on_enter_and_on_exit_hooks_after_existing_ones() -> None:
    """State hooks are extended, not replaced; hooks for new states are accepted."""
    wf: Any = door().derive(
        "w",
        add_states=[Extra.JAMMED],
        add_transitions=[transition("jam", Door.CLOSED, Extra.JAMMED)],
        final=[Door.LOCKED, Door.BROKEN, Extra.JAMMED],
        add_on_enter={Door.CLOSED: [other_noop], Extra.JAMMED: [noop]},
        add_on_exit={Door.OPEN: [other_noop]},
    )
    assert wf.on_enter == {Door.CLOSED: (noop, other_noop), Extra.JAMMED: (noop,)}
    assert wf.on_exit == {Door.OPEN: (noop, other_noop)}


def test_derive_replaces_initial_and_final() -> None:
    """initial= and final= replace the base's choices (and are validated)."""
    wf: Any = door().derive(
        "w",
        initial=Door.CLOSED,
        final=[Door.LOCKED, Door.BROKEN],
        add_transitions=[transition("close", Door.CLOSED, Door.CLOSED)],
    )
    assert wf.initial is Door.CLOSED
    wf2: Any = door().derive("w2", final=[Door.BROKEN], remove_states=[Door.LOCKED])
    assert wf2.final == frozenset({Door.BROKEN})
    # LOCKED made non-final while nothing leaves it: invalid.
    problems = problems_of(lambda: door().derive("w3", final=[Door.BROKEN]))
    assert problems == (
        "state LOCKED is not final but no transition leaves it; declare it final or add a way out",
    )


def test_derive_removing_the_initial_state_is_rejected() -> None:
    """The initial state cannot be removed without naming a new one."""
    problems = problems_of(lambda: door().derive("w", remove_states=[Door.OPEN]))
    assert any("initial state" in p for p in problems)


@pytest.mark.parametrize(
    "change",
    [
        {"add_guards": {"fly": [has_key]}},
        {"add_before": {"fly": [noop]}},
        {"add_after": {"fly": [noop]}},
        {"remove_transitions": ["fly"]},
        {"remove_transitions": [("fly", Door.OPEN)]},
    ],
    ids=["add_guards", "add_before", "add_after", "remove_trigger", "remove_pair"],
)
def test_derive_with_an_unknown_trigger_name_raises(change: dict[str, Any]) -> None:
    """Naming a trigger the workflow does not declare is a mistake, not a no-op."""
    problems = problems_of(lambda: door().derive("w", **change))
    assert problems == ("cannot change unknown trigger 'fly'",)


def test_derived_workflow_is_validated_removing_the_only_way_into_a_state() -> None:
    """Removing 'lock' leaves LOCKED unreachable: the derived workflow is invalid."""
    problems = problems_of(lambda: door().derive("w", remove_transitions=["lock"]))
    assert problems == ("state LOCKED cannot be reached from OPEN",)


def test_derived_workflow_is_validated_for_exits_from_final_states() -> None:
    """An added transition out of a final state is rejected like in a base definition."""
    problems = problems_of(
        lambda: door().derive("w", add_transitions=[transition("unlock", Door.LOCKED, Door.CLOSED)])
    )
    assert problems == ("transition unlock: LOCKED -> CLOSED leaves final state LOCKED",)


def test_derived_workflow_rejects_a_state_named_like_an_existing_one() -> None:
    """Adding Plain.OPEN to the door collides with Door.OPEN."""
    problems = problems_of(lambda: door().derive("w", add_states=[Plain.OPEN]))
    assert "two states share the name 'OPEN'" in problems
