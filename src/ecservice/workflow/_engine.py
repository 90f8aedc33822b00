"""Executing workflows: a table compiled once per workflow, with ``transitions``' semantics.

For each ``(trigger, state)`` the table holds the candidate transitions in declaration order.
Firing a trigger tries them in that order, exactly as ``transitions`` does:

1. the candidate's ``prepare`` hooks run;
2. its ``conditions`` are checked in order, then its ``unless`` guards; the first failure rejects
   the candidate and the next one is tried;
3. for the first candidate that passes: ``before`` hooks, then (unless the transition is internal)
   the source state's ``on_exit`` hooks, the state change, the destination's ``on_enter`` hooks,
   and finally the ``after`` hooks.

Unlike ``transitions``, firing is atomic: if every candidate is rejected, or any hook raises,
every field of the aggregate is restored to what it was before the trigger, and the error is
raised (:class:`~ecservice.errors.GuardRejected` or the hook's own exception). Only when the whole
transition succeeded are the history record appended, the version bumped and the domain events
queued.

Re-entry is refused: while a trigger of an aggregate runs its guards and hooks, firing any trigger
of the same aggregate raises :class:`~ecservice.errors.ReentrantTrigger`, and the running trigger
then fails too (even if the hook caught the error), leaving the aggregate as it was before it.
"""

from __future__ import annotations

import copy
import enum
import re
from collections.abc import Callable, Mapping
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Generic, TypeVar, final

import attrs
from pendulum import DateTime

from ecservice.errors import (
    EcServiceError,
    GuardRejected,
    InvalidTransition,
    ReentrantTrigger,
    ValidationError,
)
from ecservice.workflow._aggregate import RAW_FIELDS, _Reentered
from ecservice.workflow._history import append_record
from ecservice.workflow._records import Actor, DomainEvent, TransitionRecord

if TYPE_CHECKING:
    from ecservice.workflow._aggregate import Aggregate
    from ecservice.workflow._definition import Workflow

__all__ = ["CompiledWorkflow", "Context"]

A = TypeVar("A")
T = TypeVar("T")

# The kernel-managed fields refuse assignment (see Aggregate); the kernel assigns them through
# their slot descriptors. Other fields are assigned through the slot directly too.
_set = object.__setattr__
_set_status = RAW_FIELDS["status"].__set__
_set_version = RAW_FIELDS["version"].__set__
_set_history = RAW_FIELDS["history"].__set__
#: Histories shorter than this grow as tuples (copying a short tuple is cheaper than a History
#: view); longer ones become a History, whose appends cost O(1) however long it is.
_SHORT = 32


@final
class Context:
    """What a guard or hook knows about the trigger being fired.

    Attributes:
        trigger: the trigger's name.
        source: the state the aggregate was in.
        dest: the state the candidate transition leads to (``source`` for internal ones).
        at: when the trigger was fired (from the aggregate's clock), in UTC.
        actor: who fired it.
        note: why (free text).
        payload: the keyword arguments the trigger method was called with.

    The kernel builds one per trigger call and passes it to every guard and hook; ``dest`` starts
    as ``source`` and is set to each candidate transition's destination as it is tried.

    Args:
        trigger: the trigger's name.
        source: the aggregate's current state.
        at: the time of the call, in UTC (from the aggregate's clock).
        actor: who fired the trigger.
        note: why (free text of at most :data:`~ecservice.text.LONG_TEXT_MAX` characters).
        payload: the trigger method's keyword arguments (besides ``actor`` and ``note``).
    """

    __slots__ = ("actor", "at", "dest", "events", "note", "payload", "source", "trigger")

    def __init__(
        self,
        trigger: str,
        source: enum.Enum,
        at: DateTime,
        actor: Actor,
        note: str,
        payload: Mapping[str, object],
    ) -> None:
        self.trigger = trigger
        self.source = source
        self.dest = source
        self.at = at
        self.actor = actor
        self.note = note
        self.payload = payload
        self.events: list[DomainEvent] = []

    def arg(self, name: str, kind: type[T]) -> T:
        """The payload value ``name``, checked to be an instance of ``kind``.

        Raises:
            ValidationError: the trigger was called without ``name`` or with a wrong type.
        """
        try:
            value = self.payload[name]
        except KeyError:
            raise ValidationError(
                f"trigger {self.trigger!r} needs the keyword argument {name!r}"
            ) from None
        if not isinstance(value, kind):
            raise ValidationError(
                f"trigger {self.trigger!r}: {name!r} must be {kind.__name__}, "
                f"not {type(value).__name__}"
            )
        return value

    def emit(self, event: DomainEvent) -> None:
        """Queue a domain event; it reaches the aggregate only if the transition succeeds."""
        self.events.append(event)


def _guard_name(fn: Callable[..., object]) -> str:
    doc = (getattr(fn, "__doc__", None) or "").strip().splitlines()
    name = str(getattr(fn, "__name__", repr(fn)))
    return f"{name} ({doc[0].rstrip('.')})" if doc else name


@final
class _Candidate:
    __slots__ = ("after", "before", "checks", "dest", "enter", "exit", "internal", "prepare")

    def __init__(
        self,
        dest: enum.Enum | None,
        prepare: tuple[Callable[[Any, Context], None], ...],
        checks: tuple[tuple[Callable[[Any, Context], bool], bool], ...],
        before: tuple[Callable[[Any, Context], None], ...],
        exit_hooks: tuple[Callable[[Any, Context], None], ...],
        enter_hooks: tuple[Callable[[Any, Context], None], ...],
        after: tuple[Callable[[Any, Context], None], ...],
    ) -> None:
        self.dest = dest
        self.internal = dest is None
        self.prepare = prepare
        self.checks = checks
        self.before = before
        self.exit = exit_hooks
        self.enter = enter_hooks
        self.after = after

    @property
    def hooked(self) -> bool:
        return bool(self.prepare or self.before or self.exit or self.enter or self.after)


@final
class _Entry:
    """The compiled candidates of one ``(trigger, state)``."""

    __slots__ = ("candidates", "hooked", "simple_dest", "unguarded")

    def __init__(self, candidates: tuple[_Candidate, ...]) -> None:
        self.candidates = candidates
        self.hooked = any(c.hooked for c in candidates)
        only = candidates[0]
        # One candidate without prepare hooks or guards: chosen without trying it.
        self.unguarded = (
            only if len(candidates) == 1 and not only.prepare and not only.checks else None
        )
        # One unguarded, hook-free, external candidate: the common case, fired without a Context.
        self.simple_dest = (
            only.dest
            if len(candidates) == 1 and not only.checks and not only.hooked and not only.internal
            else None
        )


class CompiledWorkflow(Generic[A]):
    """The execution table of a validated :class:`Workflow`.

    A :class:`Workflow` builds its own once, when it is defined; there is no need to build one.

    Args:
        workflow: the validated workflow to compile.
    """

    __slots__ = ("allowed", "initial", "name", "steps", "table", "workflow")

    def __init__(self, workflow: Workflow[A]) -> None:
        self.workflow = workflow
        self.name = workflow.name
        table: dict[str, dict[enum.Enum, list[_Candidate]]] = {}
        for t in workflow.transitions:
            cands = table.setdefault(t.trigger, {})
            checks = tuple((c, True) for c in t.conditions) + tuple((c, False) for c in t.unless)
            for source in t.sources:
                internal = t.dest is None
                cands.setdefault(source, []).append(
                    _Candidate(
                        t.dest,
                        t.prepare,
                        checks,
                        t.before,
                        () if internal else workflow.on_exit.get(source, ()),
                        () if internal or t.dest is None else workflow.on_enter.get(t.dest, ()),
                        t.after,
                    )
                )
        self.table: dict[str, dict[enum.Enum, _Entry]] = {
            trig: {s: _Entry(tuple(c)) for s, c in per_state.items()}
            for trig, per_state in table.items()
        }
        allowed: dict[enum.Enum, list[str]] = {s: [] for s in workflow.states}
        for trig, by_state in self.table.items():
            for s in by_state:
                allowed[s].append(trig)
        self.allowed: dict[enum.Enum, tuple[str, ...]] = {
            s: tuple(sorted(v)) for s, v in allowed.items()
        }
        #: The state a new aggregate (version 0, empty history) is in.
        self.initial: enum.Enum = workflow.initial
        #: Every ``(trigger, source, dest)`` a history record may hold (``dest`` is ``source``
        #: for an internal transition): what loading an aggregate checks its history against.
        self.steps: frozenset[tuple[str, enum.Enum, enum.Enum]] = frozenset(
            (trig, s, s if c.dest is None else c.dest)
            for trig, per_state in self.table.items()
            for s, entry in per_state.items()
            for c in entry.candidates
        )

    def can(
        self, aggregate: Aggregate[Any], trigger: str, actor: Actor, payload: Mapping[str, object]
    ) -> bool:
        """Whether ``trigger`` is allowed now and some candidate's guards pass (no hooks run).

        A guard raising an :class:`~ecservice.errors.EcServiceError` (a missing or mistyped
        payload value, for instance) counts as a rejection.
        """
        state = aggregate.status
        entry = self.table.get(trigger, {}).get(state)
        if entry is None:
            return False
        ctx = Context(trigger, state, aggregate.clock.now(), actor, "", payload)
        try:
            for cand in entry.candidates:
                ctx.dest = state if cand.dest is None else cand.dest
                if all(bool(fn(aggregate, ctx)) is want for fn, want in cand.checks):
                    return True
        except EcServiceError:
            return False
        return False

    def fire(
        self,
        aggregate: Aggregate[Any],
        trigger: str,
        actor: Actor,
        note: str,
        payload: Mapping[str, object],
    ) -> TransitionRecord:
        """Fire ``trigger`` on ``aggregate``; see the module documentation for the semantics."""
        running = aggregate._firing
        if running is not None:
            raise _reentry(aggregate, trigger, running)
        state = aggregate.status
        by_state = self.table.get(trigger)
        entry = by_state.get(state) if by_state is not None else None
        if entry is None:
            raise InvalidTransition(
                trigger,
                state.name,
                self.allowed.get(state, ()),
                subject=aggregate._subject(),
            )
        at = aggregate.clock.now()
        history = aggregate.history
        if history and at < history[-1].at:
            # A clock that went back, or a machine whose clock is behind the one that fired the
            # last transition: the history stays in time order (its construction check) and
            # the record takes the previous instant.
            at = history[-1].at
        dest = entry.simple_dest
        if dest is not None:
            # No guard and no hook: nothing can fail or re-enter between here and the return.
            version = aggregate.version + 1
            record = TransitionRecord(trigger, state, dest, at, actor, note, version)
            _set_status(aggregate, dest)
            _set_version(aggregate, version)
            _set_history(
                aggregate,
                history + (record,)  # noqa: RUF005 - faster than (*history, record)
                if type(history) is tuple and len(history) < _SHORT
                else append_record(history, record),
            )
            return record
        ctx = Context(trigger, state, at, actor, note, payload)
        saved: tuple[_FieldPlan, tuple[Any, ...]] | None = None
        if entry.hooked:
            plan = _PLANS.get(type(aggregate)) or _plan(type(aggregate))
            saved = (plan, plan.get(aggregate))
            if plan.deep:
                _copy_on_write(aggregate, plan, saved[1])
        aggregate._firing = trigger
        try:
            chosen = entry.unguarded
            if chosen is None:
                chosen = _choose(aggregate, ctx, entry)
            elif chosen.dest is not None:
                ctx.dest = chosen.dest
            if chosen.before:
                for hook in chosen.before:
                    hook(aggregate, ctx)
            if not chosen.internal:
                for hook in chosen.exit:
                    hook(aggregate, ctx)
                _set_status(aggregate, ctx.dest)
                for hook in chosen.enter:
                    hook(aggregate, ctx)
            if chosen.after:
                for hook in chosen.after:
                    hook(aggregate, ctx)
            if aggregate._firing is not trigger:
                # A hook or guard fired a trigger of this aggregate and swallowed the error.
                raise _swallowed(aggregate, trigger)
        except BaseException:
            if saved is not None:
                _restore(aggregate, saved)
            _set_status(aggregate, state)
            raise
        finally:
            aggregate._firing = None
        version = aggregate.version + 1
        record = TransitionRecord(trigger, state, ctx.dest, at, actor, note, version)
        _set_version(aggregate, version)
        history = aggregate.history
        _set_history(
            aggregate,
            history + (record,)  # noqa: RUF005 - faster than (*history, record)
            if type(history) is tuple and len(history) < _SHORT
            else append_record(history, record),
        )
        if ctx.events:
            _set(aggregate, "_events", (*aggregate._events, *ctx.events))
        return record


def _choose(aggregate: Aggregate[Any], ctx: Context, entry: _Entry) -> _Candidate:
    """The first candidate whose prepare hooks run and whose guards pass, with ``ctx.dest`` set
    to its destination.

    Raises:
        GuardRejected: every candidate was rejected (the message names each failed guard).
    """
    state = ctx.source
    candidates = entry.candidates
    failed: list[str] = []
    for cand in candidates:
        ctx.dest = state if cand.dest is None else cand.dest
        for hook in cand.prepare:
            hook(aggregate, ctx)
        for fn, want in cand.checks:
            if bool(fn(aggregate, ctx)) is not want:
                failed.append(
                    ("" if want else "unless ")
                    + _guard_name(fn)
                    + ("" if len(candidates) == 1 else f" (to {ctx.dest.name})")
                )
                break
        else:
            return cand
    raise GuardRejected(ctx.trigger, state.name, failed, subject=aggregate._subject())


def _swallowed(aggregate: Aggregate[Any], trigger: str) -> ReentrantTrigger:
    """The error for a re-entry that a hook or guard of ``trigger`` caught."""
    marked: object = aggregate._firing
    inner = marked.inner if isinstance(marked, _Reentered) else "?"
    return ReentrantTrigger(inner, trigger, subject=aggregate._subject())


def _reentry(aggregate: Aggregate[Any], trigger: str, running: object) -> ReentrantTrigger:
    """The error for firing ``trigger`` while ``running``; marks the running trigger as failed."""
    if isinstance(running, str):
        _set(aggregate, "_firing", _Reentered(running, trigger))
        name = running
    elif isinstance(running, _Reentered):
        name = running.running
    else:  # still being built: only __attrs_post_init__ code can get here
        name = "__init__"
    return ReentrantTrigger(trigger, name, subject=aggregate._subject())


#: Annotations of fields whose values can change in place: copied before hooks run (copy-on-write).
_MUTABLE = re.compile(
    r"^(?:typing\.|collections\.)?(?:list|dict|set|bytearray|List|Dict|Set|DefaultDict|"
    r"defaultdict|OrderedDict|Counter|deque|MutableMapping|MutableSequence|MutableSet)\b"
)


@final
class _FieldPlan:
    """How to snapshot and restore the fields of one aggregate class."""

    __slots__ = ("deep", "get", "setters")

    def __init__(self, cls: type) -> None:
        # The kernel-managed fields are left out: hooks cannot assign version and history (they
        # are read-only), and the kernel restores the status it read before running them.
        fields = [f for f in attrs.fields(cls) if f.name != "_firing" and f.name not in RAW_FIELDS]
        names = tuple(f.name for f in fields)
        getter = attrgetter(*names)
        self.get: Callable[[Any], tuple[Any, ...]] = (
            getter if len(names) > 1 else (lambda obj: (getter(obj),))
        )
        self.setters: tuple[Callable[[Any, Any], None], ...] = tuple(_slot_setter(n) for n in names)
        self.deep = tuple(i for i, f in enumerate(fields) if _is_mutable(f.type))


def _slot_setter(name: str) -> Callable[[Any, Any], None]:
    def put(obj: Any, value: Any) -> None:
        _set(obj, name, value)

    return put


def _is_mutable(annotation: object) -> bool:
    if annotation is None:
        return False
    if isinstance(annotation, str):
        text = annotation
    else:
        text = str(getattr(annotation, "__name__", None) or repr(annotation))
    return any(_MUTABLE.match(part.strip()) for part in text.split("|"))


_PLANS: dict[type, _FieldPlan] = {}


def _plan(cls: type) -> _FieldPlan:
    plan = _PLANS.get(cls)
    if plan is None:
        plan = _PLANS[cls] = _FieldPlan(cls)
    return plan


def _copy_on_write(aggregate: object, plan: _FieldPlan, values: tuple[Any, ...]) -> None:
    """Give ``aggregate`` deep copies of its mutable fields before hooks run.

    A field annotated with a mutable container is copied on write: the aggregate gets a deep copy
    for the hooks to change, and ``values`` (the snapshot to restore if the trigger fails) keeps
    the original object, which copies of the aggregate (``attrs.evolve``, ``copy.copy``) may share
    and which the hooks therefore never see.
    """
    setters = plan.setters
    for i in plan.deep:
        setters[i](aggregate, copy.deepcopy(values[i]))


def _restore(aggregate: object, saved: tuple[_FieldPlan, tuple[Any, ...]]) -> None:
    plan, values = saved
    for put, value in zip(plan.setters, values, strict=True):
        put(aggregate, value)
