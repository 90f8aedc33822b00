"""Differential property test: the compiled kernel behaves exactly like ``transitions.Machine``.

Hypothesis draws random valid workflows (see :mod:`tests.workflow.strategies`) and random
sequences of triggers with random guard outcomes. The same definition and the same sequence run
through ``transitions``' own engine (a plain model object) and through the kernel (an
:class:`~ecservice.workflow.Aggregate` subclass). After every step both must agree on

* the state;
* the log of every hook and guard call, in order, with the state each one saw (prepare hooks and
  guards of rejected candidates included);
* the outcome: ``MachineError`` <=> :class:`InvalidTransition`, a ``False`` return <=>
  :class:`GuardRejected`, ``True`` <=> a new history record.

The logs live outside both models: the kernel restores the aggregate's fields after a rejection,
which must not erase the evidence of what ran.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from typing import Any

import attrs
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from transitions import Machine, MachineError

from ecservice.errors import GuardRejected, InvalidTransition
from ecservice.workflow import (
    Actor,
    Aggregate,
    Context,
    TransitionRecord,
    Workflow,
    bind_workflow,
    transition,
    trigger,
)
from tests.workflow.strategies import (
    TransitionSpec,
    WorkflowSpec,
    guard_outcomes,
    trigger_names,
    workflow_specs,
)

ACTOR = Actor.system("differential")


class _Model:
    """The plain model ``transitions`` drives; it gets ``state`` and ``trigger`` attributes."""

    state: str
    trigger: Callable[[str], bool]  # set by the machine


@attrs.define(slots=True, kw_only=True)
class _KernelBase(Aggregate[Any]):
    """The kernel side; ``touched`` is bumped by every hook so that rollback can be checked."""

    touched: int = 0


class Harness:
    """Both engines built from one :class:`WorkflowSpec`, sharing a guard-outcome dict."""

    def __init__(self, spec: WorkflowSpec) -> None:
        self.spec = spec
        self.outcomes: dict[str, bool] = {}
        self.reference_log: list[str] = []
        self.kernel_log: list[str] = []
        self.model = _Model()
        self.machine = self._build_reference()
        self.aggregate = self._build_kernel()

    # --- transitions' engine --------------------------------------------------------------------

    def _ref_hook(self, name: str) -> Callable[[], None]:
        def hook() -> None:
            self.reference_log.append(f"{name}@{self.model.state}")

        return hook

    def _ref_guard(self, name: str) -> Callable[[], bool]:
        def guard() -> bool:
            self.reference_log.append(f"{name}?@{self.model.state}")
            return self.outcomes[name]

        return guard

    def _build_reference(self) -> Machine:
        spec = self.spec
        return Machine(
            model=self.model,
            states=[
                {
                    "name": s,
                    "final": s in spec.final,
                    "on_enter": [self._ref_hook(h) for h in spec.on_enter.get(s, ())],
                    "on_exit": [self._ref_hook(h) for h in spec.on_exit.get(s, ())],
                }
                for s in spec.states
            ],
            initial=spec.initial,
            transitions=[
                {
                    "trigger": t.trigger,
                    "source": list(t.sources),
                    "dest": t.dest,
                    "conditions": [self._ref_guard(g) for g in t.conditions],
                    "unless": [self._ref_guard(g) for g in t.unless],
                    "prepare": [self._ref_hook(h) for h in t.prepare],
                    "before": [self._ref_hook(h) for h in t.before],
                    "after": [self._ref_hook(h) for h in t.after],
                }
                for t in spec.transitions
            ],
            auto_transitions=False,
            ignore_invalid_triggers=False,
        )

    # --- the kernel ---------------------------------------------------------------------------

    def _hook(self, name: str) -> Callable[[Any, Context], None]:
        def hook(agg: Any, ctx: Context) -> None:
            self.kernel_log.append(f"{name}@{agg.status.name}")
            agg.touched += 1

        hook.__name__ = name
        return hook

    def _guard(self, name: str) -> Callable[[Any, Context], bool]:
        def guard(agg: Any, ctx: Context) -> bool:
            self.kernel_log.append(f"{name}?@{agg.status.name}")
            return self.outcomes[name]

        guard.__name__ = name
        return guard

    def _build_kernel(self) -> _KernelBase:
        spec = self.spec
        states = enum.Enum("RandomState", list(spec.states))  # type: ignore[misc]
        s = {m.name: m for m in states}
        workflow: Workflow[Any] = Workflow(
            "random",
            states=states,
            initial=s[spec.initial],
            final=[s[n] for n in spec.final],
            transitions=[
                transition(
                    t.trigger,
                    [s[n] for n in t.sources],
                    None if t.dest is None else s[t.dest],
                    conditions=[self._guard(g) for g in t.conditions],
                    unless=[self._guard(g) for g in t.unless],
                    prepare=[self._hook(h) for h in t.prepare],
                    before=[self._hook(h) for h in t.before],
                    after=[self._hook(h) for h in t.after],
                )
                for t in spec.transitions
            ],
            on_enter={s[n]: [self._hook(h) for h in hs] for n, hs in spec.on_enter.items()},
            on_exit={s[n]: [self._hook(h) for h in hs] for n, hs in spec.on_exit.items()},
        )
        namespace: dict[str, Any] = {t: trigger(t) for t in workflow.triggers}
        cls = attrs.define(slots=True, kw_only=True)(
            type("RandomAggregate", (_KernelBase,), namespace)
        )
        bind_workflow(cls, workflow)
        aggregate: _KernelBase = cls(id="agg-1", status=s[spec.initial])
        return aggregate

    def fire_kernel(self, name: str) -> TransitionRecord:
        if name in self.spec.triggers:
            record: TransitionRecord = getattr(self.aggregate, name)(actor=ACTOR)
            return record
        return self.aggregate._fire(name, actor=ACTOR)


def _step(h: Harness, name: str, outcomes: dict[str, bool]) -> object:
    """Fire ``name`` in both engines with the given guard outcomes and demand the same result.

    Returns the common outcome: ``True``, ``False`` (guards rejected) or ``"invalid"``.
    """
    agg = h.aggregate
    h.outcomes.clear()
    h.outcomes.update(outcomes)
    h.reference_log.clear()
    h.kernel_log.clear()
    before_state = h.model.state
    assert agg.status.name == before_state

    ref: object
    try:
        ref = h.model.trigger(name)
    except MachineError:
        ref = "invalid"
    except AttributeError:
        # transitions knows no event that no transition declares; for the kernel that is an
        # invalid transition like any other.
        assert name not in h.spec.triggers
        ref = "invalid"

    snapshot = attrs.asdict(agg, recurse=False)
    error: InvalidTransition | GuardRejected | None = None
    try:
        record = h.fire_kernel(name)
    except (InvalidTransition, GuardRejected) as exc:
        error = exc
    got: object
    if isinstance(error, InvalidTransition):
        got = "invalid"
        assert error.trigger == name
        assert error.state == before_state
        assert set(error.allowed) == h.spec.allowed(before_state)
    elif isinstance(error, GuardRejected):
        got = False
        assert error.trigger == name
        assert error.state == before_state
        # One failing guard named per candidate.
        candidates = [
            t for t in h.spec.transitions if t.trigger == name and before_state in t.sources
        ]
        assert len(error.failed) == len(candidates)
    else:
        got = True
        assert record.trigger == name
        assert record.source.name == before_state
        assert record.dest.name == h.model.state
        assert record.version == snapshot["version"] + 1
        assert agg.history[-1] is record

    where = f"{name!r} from {before_state}"
    assert got == ref, where
    assert h.kernel_log == h.reference_log, where
    assert agg.status.name == h.model.state, where
    assert agg.version == len(agg.history), where
    if got is not True:
        # Atomic: whatever the hooks changed is undone, though they did run.
        assert attrs.asdict(agg, recurse=False) == snapshot, where
    return got


def _run(spec: WorkflowSpec, steps: Iterable[tuple[str, dict[str, bool]]]) -> list[object]:
    h = Harness(spec)
    return [_step(h, name, outcomes) for name, outcomes in steps]


@settings(max_examples=200, deadline=None)
@given(workflow_specs(), st.data())
def test_kernel_matches_transitions_on_random_workflows(
    spec: WorkflowSpec, data: st.DataObject
) -> None:
    """Random workflows and trigger sequences: same states, hook logs and outcomes as transitions.

    Each step draws a trigger (usually one allowed in the current state, sometimes one that is
    not, or one no transition declares) and the outcome of every guard.
    """
    h = Harness(spec)
    for _ in range(data.draw(st.integers(1, 30), label="steps")):
        name = data.draw(trigger_names(spec, h.model.state), label="trigger")
        outcome = _step(h, name, data.draw(guard_outcomes(spec), label="guards"))
        event(f"outcome {outcome}")
    event(f"reached a final state: {h.model.state in spec.final}")


def test_both_engines_log_hooks_with_the_state_they_saw() -> None:
    """A before hook sees the source state in both engines; a later trigger reaches a final one."""
    spec = WorkflowSpec(
        states=("S0", "S1", "S2"),
        initial="S0",
        final=frozenset({"S2"}),
        transitions=(
            _t("t0", ("S0",), "S1", before=("before0",)),
            _t("t1", ("S1",), "S2", after=("after1",)),
        ),
        on_enter={"S1": ("enterS1_0",)},
    )
    assert _run(spec, [("t1", {}), ("t0", {}), ("t0", {}), ("t1", {})]) == [
        "invalid",
        True,
        "invalid",
        True,
    ]
    h = Harness(spec)
    h.model.trigger("t0")
    h.fire_kernel("t0")
    assert h.kernel_log == h.reference_log == ["before0@S0", "enterS1_0@S1"]


def test_prepare_of_rejected_candidates_runs_in_both_engines() -> None:
    """Two guarded candidates, both rejected: both prepare hooks and both guards ran, in order."""
    spec = WorkflowSpec(
        states=("S0", "S1", "S2"),
        initial="S0",
        final=frozenset({"S2"}),
        transitions=(
            _t("t0", ("S0",), "S1", conditions=("c0",), prepare=("prepare0",)),
            _t("t0", ("S0",), "S2", unless=("u1",), prepare=("prepare1",)),
            _t("t1", ("S0",), "S1"),
            _t("t1", ("S1",), "S2"),
        ),
    )
    assert _run(spec, [("t0", {"c0": False, "u1": True})]) == [False]
    h = Harness(spec)
    h.outcomes.update({"c0": False, "u1": True})
    assert h.model.trigger("t0") is False
    with pytest.raises(GuardRejected):
        h.fire_kernel("t0")
    assert h.kernel_log == h.reference_log == ["prepare0@S0", "c0?@S0", "prepare1@S0", "u1?@S0"]


def test_internal_and_reflexive_transitions_agree() -> None:
    """Internal (dest None: no exit/enter) vs reflexive (dest == source: exit and enter run)."""
    spec = WorkflowSpec(
        states=("S0", "S1", "S2"),
        initial="S0",
        final=frozenset({"S2"}),
        transitions=(
            _t("t0", ("S0",), None, after=("after0",)),
            _t("t1", ("S0",), "S0", after=("after1",)),
            _t("t2", ("S0",), "S1"),
            _t("t2", ("S1",), "S2"),
        ),
        on_enter={"S0": ("enterS0",)},
        on_exit={"S0": ("exitS0",)},
    )
    h = Harness(spec)
    h.model.trigger("t0")
    h.fire_kernel("t0")
    assert h.kernel_log == h.reference_log == ["after0@S0"]
    h.kernel_log.clear()
    h.reference_log.clear()
    h.model.trigger("t1")
    h.fire_kernel("t1")
    assert h.kernel_log == h.reference_log == ["exitS0@S0", "enterS0@S0", "after1@S0"]
    assert [r.internal for r in h.aggregate.history] == [True, True]


def _t(trig: str, sources: tuple[str, ...], dest: str | None, **names: Any) -> TransitionSpec:
    return TransitionSpec(trig, sources, dest, **names)
