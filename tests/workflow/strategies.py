"""Hypothesis strategies for the workflow kernel: random *valid* workflow definitions.

A :class:`WorkflowSpec` is a workflow described with plain names (states ``S0..Sn``, triggers
``t0..t4``, guards and hooks named after their transition), so that the same definition can be
built both as a ``transitions.Machine`` and as an ecservice :class:`~ecservice.workflow.Workflow`.

Generated specs are valid for the kernel by construction, without filtering:

* states are split into non-final ones (``S0`` is the initial state) followed by final ones;
* a spanning tree is built first: every state ``S1..Sn`` gets an edge from an earlier non-final
  state, so every state is reachable from ``S0``;
* every non-final state that is not yet left by an edge to another state gets one;
* random extra transitions follow (several candidates per ``(trigger, source)``, guarded or not,
  internal ones with ``dest=None``, reflexive ones with ``dest == source``), only from non-final
  states;
* unguarded transitions that would repeat an earlier ``(trigger, source, dest)`` are dropped,
  since the kernel rejects a transition declared twice.
"""

from __future__ import annotations

import attrs
from hypothesis import strategies as st

#: The pool of trigger names; a workflow uses some of them.
TRIGGERS: tuple[str, ...] = ("t0", "t1", "t2", "t3", "t4")
#: A trigger name no generated workflow declares.
UNKNOWN_TRIGGER = "bogus"


@attrs.frozen
class TransitionSpec:
    """One transition of a :class:`WorkflowSpec`; guards and hooks are given by name."""

    trigger: str
    sources: tuple[str, ...]
    dest: str | None
    conditions: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()
    prepare: tuple[str, ...] = ()
    before: tuple[str, ...] = ()
    after: tuple[str, ...] = ()

    @property
    def guarded(self) -> bool:
        """Whether the transition has any guard."""
        return bool(self.conditions or self.unless)


@attrs.frozen
class WorkflowSpec:
    """A workflow described with names only."""

    states: tuple[str, ...]
    initial: str
    final: frozenset[str]
    transitions: tuple[TransitionSpec, ...]
    on_enter: dict[str, tuple[str, ...]] = attrs.field(factory=dict)
    on_exit: dict[str, tuple[str, ...]] = attrs.field(factory=dict)

    @property
    def triggers(self) -> tuple[str, ...]:
        """The declared triggers, in order of first declaration."""
        return tuple(dict.fromkeys(t.trigger for t in self.transitions))

    @property
    def guards(self) -> tuple[str, ...]:
        """Every guard name (conditions and unless) of every transition."""
        return tuple(g for t in self.transitions for g in (*t.conditions, *t.unless))

    def allowed(self, state: str) -> set[str]:
        """The triggers declared from ``state``."""
        return {t.trigger for t in self.transitions if state in t.sources}


@st.composite
def _transition(
    draw: st.DrawFn, index: int, trigger: str, sources: tuple[str, ...], dest: str | None
) -> TransitionSpec:
    """Decorate one transition with random guards and hooks, named after ``index``."""
    n_cond = draw(st.integers(0, 2))
    n_unless = draw(st.integers(0, 1))
    n_prepare = draw(st.integers(0, 1))
    n_before = draw(st.integers(0, 1))
    n_after = draw(st.integers(0, 1))
    return TransitionSpec(
        trigger,
        sources,
        dest,
        conditions=tuple(f"cond{index}_{j}" for j in range(n_cond)),
        unless=tuple(f"unless{index}_{j}" for j in range(n_unless)),
        prepare=tuple(f"prepare{index}" for _ in range(n_prepare)),
        before=tuple(f"before{index}" for _ in range(n_before)),
        after=tuple(f"after{index}" for _ in range(n_after)),
    )


def _drop_duplicates(transitions: list[TransitionSpec]) -> tuple[TransitionSpec, ...]:
    """Remove sources of unguarded transitions that repeat an unguarded ``(trigger, src, dest)``.

    Guarded transitions never collide: each has guards of its own.
    """
    seen: set[tuple[str, str, str | None]] = set()
    kept: list[TransitionSpec] = []
    for t in transitions:
        if t.guarded:
            kept.append(t)
            continue
        sources = tuple(s for s in t.sources if (t.trigger, s, t.dest) not in seen)
        seen.update((t.trigger, s, t.dest) for s in sources)
        if sources:
            kept.append(attrs.evolve(t, sources=sources))
    return tuple(kept)


def _still_valid(spec: WorkflowSpec) -> bool:
    """Reachability and ways out, computed independently of the kernel (used as a sanity check)."""
    edges: dict[str, set[str]] = {s: set() for s in spec.states}
    for t in spec.transitions:
        for s in t.sources:
            if t.dest is not None and t.dest != s:
                edges[s].add(t.dest)
    reached = {spec.initial}
    todo = [spec.initial]
    while todo:
        for nxt in edges[todo.pop()]:
            if nxt not in reached:
                reached.add(nxt)
                todo.append(nxt)
    return reached == set(spec.states) and all(
        bool(edges[s]) for s in spec.states if s not in spec.final
    )


@st.composite
def workflow_specs(draw: st.DrawFn, min_states: int = 3, max_states: int = 7) -> WorkflowSpec:
    """A random valid workflow of ``min_states..max_states`` states (see the module docstring)."""
    n = draw(st.integers(min_states, max_states))
    states = tuple(f"S{i}" for i in range(n))
    n_final = draw(st.integers(0, min(2, n - 1)))
    nonfinal = states[: n - n_final]
    final = frozenset(states[n - n_final :])

    # Skeleton: a spanning tree from S0, then a way out of every non-final state.
    skeleton: list[tuple[str, str]] = []
    for i in range(1, n):
        parent = draw(st.sampled_from(nonfinal[: min(i, len(nonfinal))]))
        skeleton.append((parent, states[i]))
    for s in nonfinal:
        if not any(src == s for src, _ in skeleton):
            skeleton.append((s, draw(st.sampled_from([d for d in states if d != s]))))

    # Extra transitions: several candidates per (trigger, source), internal, reflexive.
    extras: list[tuple[tuple[str, ...], str | None]] = []
    for _ in range(draw(st.integers(0, 8))):
        sources = tuple(
            draw(st.lists(st.sampled_from(nonfinal), min_size=1, max_size=3, unique=True))
        )
        dest = draw(st.one_of(st.none(), st.sampled_from(states), st.sampled_from(sources)))
        extras.append((sources, dest))

    shapes: list[tuple[tuple[str, ...], str | None]] = [((s,), d) for s, d in skeleton] + extras
    order = draw(st.permutations(range(len(shapes))))
    transitions: list[TransitionSpec] = []
    for index, k in enumerate(order):
        sources, dest = shapes[k]
        trig = draw(st.sampled_from(TRIGGERS))
        transitions.append(draw(_transition(index, trig, sources, dest)))

    on_enter: dict[str, tuple[str, ...]] = {}
    on_exit: dict[str, tuple[str, ...]] = {}
    for s in states:
        n_enter = draw(st.integers(0, 2))
        n_exit = draw(st.integers(0, 2))
        if n_enter:
            on_enter[s] = tuple(f"enter{s}_{j}" for j in range(n_enter))
        if n_exit:
            on_exit[s] = tuple(f"exit{s}_{j}" for j in range(n_exit))

    spec = WorkflowSpec(
        states, "S0", final, _drop_duplicates(transitions), on_enter=on_enter, on_exit=on_exit
    )
    assert _still_valid(spec), spec  # the construction guarantees it
    return spec


def guard_outcomes(spec: WorkflowSpec) -> st.SearchStrategy[dict[str, bool]]:
    """The outcome of every guard of ``spec`` for one step.

    Biased so that candidates pass often enough: ``conditions`` are true and ``unless`` guards
    false three times out of four.
    """
    mostly_true = st.sampled_from((True, True, True, False))
    mostly_false = st.sampled_from((False, False, False, True))
    return st.fixed_dictionaries(
        {g: (mostly_true if g.startswith("cond") else mostly_false) for g in spec.guards}
    )


def trigger_names(spec: WorkflowSpec, state: str) -> st.SearchStrategy[str]:
    """A trigger to fire in ``state``: usually an allowed one, sometimes any name at all.

    The names include triggers the workflow declares but not from ``state``, triggers of the pool
    it does not declare, and :data:`UNKNOWN_TRIGGER`.
    """
    anything = st.sampled_from((*TRIGGERS, UNKNOWN_TRIGGER))
    allowed = sorted(spec.allowed(state))
    if not allowed:
        return anything
    return st.one_of(st.sampled_from(allowed), st.sampled_from(allowed), anything)
