"""Declaring workflows as data, validating them when they are defined, deriving custom ones."""

from __future__ import annotations

import enum
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast, final

import attrs

from ecservice.errors import InvalidWorkflow

if TYPE_CHECKING:
    from ecservice.workflow._engine import CompiledWorkflow, Context

__all__ = ["Guard", "Hook", "Transition", "Workflow", "transition"]

A = TypeVar("A")
B = TypeVar("B")

#: A guard: a pure predicate over the aggregate and the trigger's context.
Guard = Callable[[A, "Context"], bool]
#: A hook: a callable that may change the aggregate (by assigning its fields) or emit events.
Hook = Callable[[A, "Context"], None]

_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")


def _callable_name(fn: object) -> str:
    return str(getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or repr(fn))


@final
@attrs.frozen(slots=True)
class Transition(Generic[A]):
    """One declared transition: ``trigger`` moves from any of ``sources`` to ``dest``.

    ``dest=None`` declares an *internal* transition: hooks run and the history records it, but
    the state does not change and no exit/enter hooks run. Build transitions with
    :func:`transition`, which takes the same arguments (with iterables for the tuples).

    Args:
        trigger: the trigger's name (a lower-case identifier); also the name of the aggregate's
            typed method.
        sources: the states the trigger may fire from.
        dest: the state it leads to, or ``None`` for an internal transition.
        conditions: guards that must all return true, checked in order.
        unless: guards that must all return false, checked after ``conditions``.
        prepare: hooks run before the guards are checked (also when they then reject).
        before: hooks run after the guards passed, before the state changes.
        after: hooks run after the state changed.
    """

    trigger: str
    sources: tuple[enum.Enum, ...]
    dest: enum.Enum | None
    conditions: tuple[Callable[[A, Context], bool], ...] = ()
    unless: tuple[Callable[[A, Context], bool], ...] = ()
    prepare: tuple[Callable[[A, Context], None], ...] = ()
    before: tuple[Callable[[A, Context], None], ...] = ()
    after: tuple[Callable[[A, Context], None], ...] = ()

    def describe(self) -> str:
        """``trigger: SOURCE|SOURCE -> DEST`` for messages."""
        src = "|".join(s.name for s in self.sources)
        dest = self.dest.name if self.dest is not None else "(internal)"
        return f"{self.trigger}: {src} -> {dest}"

    def with_hooks(
        self,
        *,
        conditions: Iterable[Callable[[A, Context], bool]] = (),
        unless: Iterable[Callable[[A, Context], bool]] = (),
        prepare: Iterable[Callable[[A, Context], None]] = (),
        before: Iterable[Callable[[A, Context], None]] = (),
        after: Iterable[Callable[[A, Context], None]] = (),
    ) -> Transition[A]:
        """A copy with extra guards and hooks appended after the existing ones."""
        return attrs.evolve(
            self,
            conditions=(*self.conditions, *conditions),
            unless=(*self.unless, *unless),
            prepare=(*self.prepare, *prepare),
            before=(*self.before, *before),
            after=(*self.after, *after),
        )


def transition(
    trigger: str,
    source: enum.Enum | Iterable[enum.Enum],
    dest: enum.Enum | None,
    *,
    conditions: Iterable[Callable[[A, Context], bool]] = (),
    unless: Iterable[Callable[[A, Context], bool]] = (),
    prepare: Iterable[Callable[[A, Context], None]] = (),
    before: Iterable[Callable[[A, Context], None]] = (),
    after: Iterable[Callable[[A, Context], None]] = (),
) -> Transition[A]:
    """Declare a transition.

    Args:
        trigger: the trigger's name; also the name of the aggregate's typed method.
        source: the state or states the trigger may fire from.
        dest: the state it leads to, or ``None`` for an internal transition.
        conditions: guards that must all return true, checked in order.
        unless: guards that must all return false, checked after ``conditions``.
        prepare: hooks run before the guards are checked (also when they then reject).
        before: hooks run after the guards passed, before the state changes.
        after: hooks run after the state changed.
    """
    sources = (source,) if isinstance(source, enum.Enum) else tuple(source)
    return Transition(
        trigger,
        sources,
        dest,
        tuple(conditions),
        tuple(unless),
        tuple(prepare),
        tuple(before),
        tuple(after),
    )


def _as_states(states: type[enum.Enum] | Iterable[enum.Enum]) -> tuple[enum.Enum, ...]:
    if isinstance(states, type) and issubclass(states, enum.Enum):
        return tuple(states)
    return tuple(states)


class Workflow(Generic[A]):
    """A workflow declared as data, validated and compiled once when it is defined.

    Args:
        name: a short identifier (``"order"``), used in messages and diagrams.
        states: an ``Enum`` class, or an iterable of members (possibly of several enums, which is
            how a derived workflow adds states to a default one).
        initial: the state new aggregates start in.
        final: states with no way out; leaving one is a definition error.
        transitions: the transitions, in priority order: when several share a trigger and a
            source, the first whose guards pass is taken (as in ``transitions``).
        on_enter: hooks run on entering a state, after the state field is set.
        on_exit: hooks run on leaving a state, before the state field is set.

    Attributes:
        name (str): the identifier given.
        states (tuple[enum.Enum, ...]): every state, in declaration order.
        initial (enum.Enum): the state new aggregates start in.
        final (frozenset[enum.Enum]): the states with no way out.
        transitions (tuple[Transition, ...]): the declared transitions, in priority order.
        triggers (tuple[str, ...]): each trigger's name once, in order of first declaration.
        on_enter (dict[enum.Enum, tuple[Callable, ...]]): the hooks run on entering each state.
        on_exit (dict[enum.Enum, tuple[Callable, ...]]): the hooks run on leaving each state.

    Raises:
        InvalidWorkflow: the definition is inconsistent (see :meth:`problems`).
    """

    __slots__ = (
        "__weakref__",
        "_compiled",
        "_machine",
        "final",
        "initial",
        "name",
        "on_enter",
        "on_exit",
        "states",
        "transitions",
        "triggers",
    )

    def __init__(
        self,
        name: str,
        *,
        states: type[enum.Enum] | Iterable[enum.Enum],
        initial: enum.Enum,
        final: Iterable[enum.Enum] = (),
        transitions: Iterable[Transition[A]],
        on_enter: Mapping[enum.Enum, Sequence[Callable[[A, Context], None]]] | None = None,
        on_exit: Mapping[enum.Enum, Sequence[Callable[[A, Context], None]]] | None = None,
    ) -> None:
        self.name = name
        self.states: tuple[enum.Enum, ...] = _as_states(states)
        self.initial = initial
        self.final: frozenset[enum.Enum] = frozenset(final)
        self.transitions: tuple[Transition[A], ...] = tuple(transitions)
        self.on_enter: dict[enum.Enum, tuple[Callable[[A, Context], None], ...]] = {
            s: tuple(h) for s, h in (on_enter or {}).items()
        }
        self.on_exit: dict[enum.Enum, tuple[Callable[[A, Context], None], ...]] = {
            s: tuple(h) for s, h in (on_exit or {}).items()
        }
        problems = self.problems()
        if problems:
            raise InvalidWorkflow(name, problems)
        self.triggers: tuple[str, ...] = tuple(dict.fromkeys(t.trigger for t in self.transitions))
        self._machine = self._build_machine()

        from ecservice.workflow._engine import CompiledWorkflow

        self._compiled: CompiledWorkflow[A] = CompiledWorkflow(self)

    # --- validation --------------------------------------------------------------------------

    def problems(self) -> list[str]:
        """Everything wrong with the definition (empty when it is valid)."""
        problems: list[str] = []
        known = set(self.states)
        names: dict[str, enum.Enum] = {}
        if not self.states:
            problems.append("it declares no states")
        for s in self.states:
            if not isinstance(cast(object, s), enum.Enum):
                problems.append(f"state {s!r} is not an Enum member")
                continue
            if s.name in names and names[s.name] is not s:
                problems.append(f"two states share the name {s.name!r}")
            names[s.name] = s
        if len(known) != len(self.states):
            problems.append("a state is declared twice")
        if self.initial not in known:
            problems.append(f"initial state {self.initial!r} is not one of its states")
        for s in sorted(self.final - known, key=str):
            problems.append(f"final state {s!r} is not one of its states")
        for where, hooks in (("on_enter", self.on_enter), ("on_exit", self.on_exit)):
            for s in hooks:
                if s not in known:
                    problems.append(f"{where} hooks name unknown state {s!r}")
        seen: set[tuple[Any, ...]] = set()
        for t in self.transitions:
            desc = t.describe()
            if not t.trigger or not set(t.trigger) <= _NAME_CHARS or t.trigger[0].isdigit():
                problems.append(
                    f"trigger {t.trigger!r} is not a lower-case identifier (a-z, 0-9, _)"
                )
            if t.trigger.startswith("_"):
                problems.append(f"trigger {t.trigger!r} must not start with an underscore")
            if not t.sources:
                problems.append(f"transition {desc} has no source state")
            for s in t.sources:
                if s not in known:
                    problems.append(f"transition {desc} starts from unknown state {s!r}")
                if s in self.final:
                    problems.append(f"transition {desc} leaves final state {s.name}")
            if t.dest is not None and t.dest not in known:
                problems.append(f"transition {desc} leads to unknown state {t.dest!r}")
            for s in t.sources:
                key = (t.trigger, s, t.dest, t.conditions, t.unless)
                if key in seen:
                    problems.append(f"transition {t.trigger}: {s.name} is declared twice")
                seen.add(key)
        if problems:
            return problems
        # Reachability from the initial state, and a way out of every non-final state.
        edges: dict[enum.Enum, set[enum.Enum]] = defaultdict(set)
        exits: set[enum.Enum] = set()
        for t in self.transitions:
            for s in t.sources:
                if t.dest is not None and t.dest is not s:
                    edges[s].add(t.dest)
                    exits.add(s)
        reached = {self.initial}
        queue = deque([self.initial])
        while queue:
            for nxt in edges[queue.popleft()]:
                if nxt not in reached:
                    reached.add(nxt)
                    queue.append(nxt)
        for s in self.states:
            if s not in reached:
                problems.append(f"state {s.name} cannot be reached from {self.initial.name}")
            elif s not in self.final and s not in exits:
                problems.append(
                    f"state {s.name} is not final but no transition leaves it; "
                    "declare it final or add a way out"
                )
        return problems

    def machine_spec(self) -> dict[str, Any]:
        """The definition as keyword arguments for a ``transitions`` machine (names as strings)."""
        return {
            "states": [{"name": s.name, "final": s in self.final} for s in self.states],
            "initial": self.initial.name,
            "transitions": [
                {
                    "trigger": t.trigger,
                    "source": [s.name for s in t.sources],
                    "dest": None if t.dest is None else t.dest.name,
                    "conditions": [_callable_name(c).rsplit(".", 1)[-1] for c in t.conditions],
                    "unless": [_callable_name(c).rsplit(".", 1)[-1] for c in t.unless],
                }
                for t in self.transitions
            ],
            "auto_transitions": False,
        }

    def _build_machine(self) -> Any:
        """The ``transitions`` machine of this definition, built once as a second validation."""
        from transitions import Machine

        try:
            return Machine(model=None, **self.machine_spec())
        except (ValueError, KeyError) as exc:  # transitions' own validation
            raise InvalidWorkflow(self.name, [str(exc)]) from exc

    # --- queries -----------------------------------------------------------------------------

    def transitions_for(self, trigger: str) -> tuple[Transition[A], ...]:
        """The declared transitions of ``trigger``, in priority order."""
        return tuple(t for t in self.transitions if t.trigger == trigger)

    def state_named(self, name: str) -> enum.Enum:
        """The state member called ``name``."""
        for s in self.states:
            if s.name == name:
                return s
        raise KeyError(f"workflow {self.name!r} has no state {name!r}")

    def __repr__(self) -> str:
        return (
            f"Workflow({self.name!r}, states={len(self.states)}, "
            f"transitions={len(self.transitions)})"
        )

    # --- deriving ----------------------------------------------------------------------------

    def derive(
        self,
        name: str,
        *,
        add_states: Iterable[enum.Enum] = (),
        remove_states: Iterable[enum.Enum] = (),
        add_transitions: Iterable[Transition[B]] = (),
        add_sources: Mapping[str, Iterable[enum.Enum] | Mapping[enum.Enum, enum.Enum]]
        | None = None,
        remove_transitions: Iterable[str | tuple[str, enum.Enum]] = (),
        add_guards: Mapping[str, Iterable[Callable[[B, Context], bool]]] | None = None,
        add_before: Mapping[str, Iterable[Callable[[B, Context], None]]] | None = None,
        add_after: Mapping[str, Iterable[Callable[[B, Context], None]]] | None = None,
        add_on_enter: Mapping[enum.Enum, Iterable[Callable[[B, Context], None]]] | None = None,
        add_on_exit: Mapping[enum.Enum, Iterable[Callable[[B, Context], None]]] | None = None,
        initial: enum.Enum | None = None,
        final: Iterable[enum.Enum] | None = None,
    ) -> Workflow[B]:
        """A new workflow built from this one; it is validated like any other.

        Args:
            name: the new workflow's name.
            add_states: states to add (members of another ``Enum``).
            remove_states: states to remove, with every transition from or to them.
            add_transitions: transitions appended after the existing ones.
            add_sources: more source states for existing triggers. ``{"ship": [QC]}`` lets every
                transition of ``ship`` also leave ``QC`` (each keeps its guards, hooks and place
                in the priority order); ``{"ship": {QC: PROCESSING}}`` does so only for the
                transitions of ``ship`` that leave ``PROCESSING``: ``QC`` gets ``ship`` as
                ``PROCESSING`` has it. Sources are added before ``remove_transitions`` is
                applied, so ``(trigger, state)`` removals never remove an added source.
            remove_transitions: a trigger name removes all its transitions; ``(trigger, state)``
                removes that trigger from that source state only. Removals apply to this
                workflow's transitions, never to ``add_transitions``, so a transition can be
                replaced by removing it and adding a new one.
            add_guards: extra ``conditions`` per trigger (on every transition of the trigger).
            add_before: extra ``before`` hooks per trigger.
            add_after: extra ``after`` hooks per trigger.
            add_on_enter: extra ``on_enter`` hooks per state.
            add_on_exit: extra ``on_exit`` hooks per state.
            initial: a new initial state.
            final: a new set of final states.

        Hooks of the base workflow keep working on subclasses of its aggregate.
        """
        added: tuple[Transition[Any], ...] = tuple(add_transitions)
        removed = set(remove_states)
        drop_trigger = {r for r in remove_transitions if isinstance(r, str)}
        drop_pair = {r for r in remove_transitions if isinstance(r, tuple)}
        guards = {k: tuple(v) for k, v in (add_guards or {}).items()}
        before = {k: tuple(v) for k, v in (add_before or {}).items()}
        after = {k: tuple(v) for k, v in (add_after or {}).items()}
        declared = {t.trigger for t in self.transitions} | {t.trigger for t in added}
        extra: dict[str, list[tuple[enum.Enum, enum.Enum | None]]] = {}
        for trig, spec in (add_sources or {}).items():
            pairs_of = spec.items() if isinstance(spec, Mapping) else ((s, None) for s in spec)
            extra[trig] = [(new, like) for new, like in pairs_of]
        unknown = (set(guards) | set(before) | set(after) | drop_trigger | set(extra)) - declared
        unknown |= {trig for trig, _ in drop_pair if trig not in declared}
        problems = [f"cannot change unknown trigger {u!r}" for u in sorted(unknown)]
        pairs = {(t.trigger, s) for t in self.transitions for s in t.sources}
        problems += [
            f"cannot remove {trig!r} from {state!r}: it does not leave that state"
            for trig, state in sorted(drop_pair, key=str)
            if trig in declared and (trig, state) not in pairs
        ]
        problems += [
            f"cannot add source {new!r} to {trig!r} like {like!r}: {trig!r} does not leave it"
            for trig, wanted in extra.items()
            for new, like in wanted
            if like is not None and trig in declared and (trig, like) not in pairs
        ]
        problems += [
            f"cannot add source {trig!r}: it is a trigger of add_transitions, not of {self.name!r}"
            for trig in extra
            if trig in declared and not any(t.trigger == trig for t in self.transitions)
        ]
        problems += [
            f"cannot remove state {s!r}: it is not one of the workflow's states"
            for s in sorted(removed, key=str)
            if s not in self.states
        ]
        if problems:
            raise InvalidWorkflow(name, problems)
        kept: list[Transition[Any]] = []
        every: tuple[Transition[Any], ...] = (*self.transitions, *added)
        base = len(self.transitions)
        for i, t in enumerate(every):
            # Removals apply to the base workflow's transitions, not to the ones added here.
            if i < base and t.trigger in drop_trigger:
                continue
            more: tuple[enum.Enum, ...] = ()
            if i < base and t.trigger in extra:
                more = tuple(
                    new
                    for new, like in extra[t.trigger]
                    if (like is None or like in t.sources) and new not in t.sources
                )
            sources = tuple(
                s
                for s in t.sources
                if s not in removed and (i >= base or (t.trigger, s) not in drop_pair)
            ) + tuple(dict.fromkeys(s for s in more if s not in removed))
            if not sources or t.dest in removed:
                continue
            t2: Transition[Any] = attrs.evolve(t, sources=sources)
            if t.trigger in guards or t.trigger in before or t.trigger in after:
                t2 = t2.with_hooks(
                    conditions=guards.get(t.trigger, ()),
                    before=before.get(t.trigger, ()),
                    after=after.get(t.trigger, ()),
                )
            kept.append(t2)
        states = [s for s in self.states if s not in removed] + [
            s for s in add_states if s not in self.states
        ]
        on_enter: dict[enum.Enum, list[Any]] = {
            s: list(h) for s, h in self.on_enter.items() if s not in removed
        }
        on_exit: dict[enum.Enum, list[Any]] = {
            s: list(h) for s, h in self.on_exit.items() if s not in removed
        }
        for target, state_hooks in ((on_enter, add_on_enter), (on_exit, add_on_exit)):
            for s, hooks in (state_hooks or {}).items():
                target.setdefault(s, []).extend(hooks)
        return Workflow(
            name,
            states=states,
            initial=self.initial if initial is None else initial,
            final=(self.final - removed) if final is None else final,
            transitions=kept,
            on_enter=on_enter,
            on_exit=on_exit,
        )

    # --- diagrams ----------------------------------------------------------------------------

    def mermaid(self, *, internal: bool = True) -> str:
        """The workflow as Mermaid ``stateDiagram-v2`` text; needs nothing installed.

        States are labelled ``"English / 中文"`` (:class:`~ecservice.workflow.LabelledState`) or
        by name; ``[*]`` marks the initial state and the final ones. Each arrow is one trigger
        from one state to another, labelled with the trigger and its guards as UML guard text
        (``confirm_receipt [nothing_travels, all_settled]``; ``not g`` for an ``unless`` guard).
        Labels are escaped with Mermaid's entity codes (``#34;`` for ``"``) and states whose
        names are not plain ASCII identifiers, or are Mermaid keywords, get ids ``s1``,
        ``s2``..., so any workflow gives text Mermaid parses.

        Args:
            internal: draw internal transitions (``dest=None``) as arrows from a state to
                itself labelled ``trigger (internal)``; ``False`` leaves them out.

        Returns:
            The diagram text, ending with a newline.
        """
        from ecservice.workflow._diagram import mermaid

        return mermaid(self, internal=internal)

    def dot(self, *, internal: bool = True) -> str:
        """The workflow as Graphviz DOT source (top to bottom, bilingual state labels).

        Arrows between the same two states are merged into one, with a line per trigger and its
        guards; internal transitions are dashed loops. Nodes and edges carry ``id`` and ``class``
        attributes (``state``, ``initial``, ``final``, ``transition``, ``internal``) that SVG
        output keeps, for style sheets.

        Args:
            internal: draw internal transitions (``dest=None``); ``False`` leaves them out.

        Returns:
            The DOT source.

        Raises:
            DiagramUnavailable: the ``graphviz`` Python package is not installed.
        """
        from ecservice.workflow._diagram import dot

        return dot(self, internal=internal)

    def svg(self, *, internal: bool = True) -> str:
        """The workflow as SVG, drawn by Graphviz from :meth:`dot`.

        The text starts at ``<svg``, without XML declaration or doctype, so it can be put
        straight into an HTML page.

        Args:
            internal: draw internal transitions (``dest=None``); ``False`` leaves them out.

        Returns:
            The SVG text.

        Raises:
            DiagramUnavailable: the ``graphviz`` Python package or Graphviz's ``dot`` program is
                missing.
        """
        from ecservice.workflow._diagram import svg

        return svg(self, internal=internal)


def compiled(workflow: Workflow[A]) -> CompiledWorkflow[A]:
    """The compiled table of ``workflow`` (internal)."""
    return workflow._compiled
