"""The construction checks of an aggregate (also run when storage rehydrates one), and the checks
of the actor and note of a fired trigger."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ecservice.clock import FixedClock, SystemClock
from ecservice.errors import ValidationError
from ecservice.text import LONG_TEXT_MAX
from ecservice.workflow._history import History
from ecservice.workflow._records import Actor, TransitionRecord

if TYPE_CHECKING:
    from ecservice.workflow._aggregate import Aggregate
    from ecservice.workflow._definition import Workflow
    from ecservice.workflow._engine import CompiledWorkflow

_EMPTY: tuple[()] = ()
_CLOCKS = frozenset({SystemClock, FixedClock})


def _check_aggregate(agg: Aggregate[Any]) -> None:
    """The construction checks of :class:`Aggregate` (see its docstring)."""
    cls = type(agg)
    status = agg.status
    try:
        known = status in cls._compiled.allowed
    except AttributeError:  # not bound to a workflow (yet)
        known = isinstance(status, enum.Enum)
    except Exception:  # an unhashable or hostile value
        known = False
    if not known:
        workflow: Workflow[Any] | None = getattr(cls, "workflow", None)
        if workflow is not None:
            kinds = " | ".join(dict.fromkeys(type(s).__name__ for s in workflow.states))
            allowed = ", ".join(s.name for s in workflow.states)
            wanted = f"one of the {kinds} states of workflow {workflow.name!r} ({allowed})"
        else:
            wanted = "an Enum member"
        raise ValidationError(
            f"{cls.__name__} {agg.id!r}: status must be {wanted}, not {_describe(status)}"
        )
    version = agg.version
    if type(version) is not int or version < 0:
        raise ValidationError(
            f"{cls.__name__} {agg.id!r}: version must be an int >= 0, not {_describe(version)}"
        )
    history = agg.history
    compiled: CompiledWorkflow[Any] | None = getattr(cls, "_compiled", None)
    if version == 0 and history is _EMPTY:
        if compiled is not None and status is not compiled.initial:
            raise _not_initial(agg, compiled)
    elif type(history) is not tuple and type(history) is not History:
        raise ValidationError(
            f"{cls.__name__} {agg.id!r}: history must be a tuple of TransitionRecord, "
            f"not {type(history).__name__}"
        )
    elif len(history) != version:
        raise ValidationError(
            f"{cls.__name__} {agg.id!r}: history has {len(history)} records but version is "
            f"{version if version.bit_length() < 64 else 'above 2**64'}; there is one record per "
            "version"
        )
    elif version == 0:
        if compiled is not None and status is not compiled.initial:
            raise _not_initial(agg, compiled)
    else:
        _check_history(agg, history, compiled)
        if history[-1].dest is not status:
            raise ValidationError(
                f"{cls.__name__} {agg.id!r}: status is {status.name} but the last transition "
                f"of its history led to {getattr(history[-1].dest, 'name', '?')}"
            )
    clock = agg.clock
    if type(clock) not in _CLOCKS and not callable(getattr(clock, "now", None)):
        raise ValidationError(
            f"{cls.__name__} {agg.id!r}: clock must be a Clock (with a now() method), "
            f"not {type(clock).__name__}"
        )


def _not_initial(agg: Aggregate[Any], compiled: CompiledWorkflow[Any]) -> ValidationError:
    name = type(agg).__name__
    return ValidationError(
        f"{name} {agg.id!r}: status is {agg.status.name} but version is 0 and the history is "
        f"empty; a new {name} is in {compiled.initial.name}, the initial state of workflow "
        f"{compiled.name!r}, and one in another state is loaded with the history that led there "
        "(version = the number of records)"
    )


def _check_history(
    agg: Aggregate[Any], history: Sequence[TransitionRecord], compiled: CompiledWorkflow[Any] | None
) -> None:
    """Check that ``history`` is a run of the aggregate's workflow, in one pass.

    Each record is a :class:`TransitionRecord` numbered 1..n in order, fired by an
    :class:`Actor`, at an aware datetime no earlier than the previous record's; and, when the
    class is bound to a workflow, its trigger is one of the workflow's, its source and
    destination are a transition the workflow declares for that trigger (destination = source
    for an internal one), and it starts where the previous record ended (the first one in the
    initial state). The loop only decides; :func:`_history_error` explains a refusal.
    """
    if compiled is None:  # not bound to a workflow (yet): the checks that need none
        error = _history_error(agg, history, None)
        if error is not None:
            raise error
        return
    steps = compiled.steps
    state = compiled.initial
    previous: datetime | None = None
    i = 0
    for record in history:
        i += 1
        if (
            type(record) is not TransitionRecord
            or record._version != i
            or record._source is not state
            or type(record._actor) is not Actor
        ):
            break
        at = record._at
        if not isinstance(at, datetime) or at.tzinfo is None:
            break
        if previous is not None and at < previous:
            break
        dest = record._dest
        try:
            if (record._trigger, state, dest) not in steps:
                break
        except TypeError:  # an unhashable trigger or destination
            break
        state = dest
        previous = at
    else:
        return
    raise _history_error(agg, history, compiled) or ValidationError(
        f"{type(agg).__name__} {agg.id!r}: history item {i} is not valid"
    )


def _history_error(
    agg: Aggregate[Any], history: Sequence[TransitionRecord], compiled: CompiledWorkflow[Any] | None
) -> ValidationError | None:
    """The error explaining the first record :func:`_check_history` refuses (slow path)."""
    where = f"{type(agg).__name__} {agg.id!r}: history item"
    steps = compiled.steps if compiled is not None else None
    state: object = compiled.initial if compiled is not None else None
    previous: datetime | None = None
    items: Sequence[object] = history  # as stored: anything
    for i, record in enumerate(items, 1):
        if type(record) is not TransitionRecord:
            return ValidationError(
                f"{where} {i} must be a TransitionRecord, not {type(record).__name__}"
            )
        if record._version != i:
            return ValidationError(
                f"{where} {i} has version {_short(record._version)}; records are numbered "
                f"1..{len(history)} in order"
            )
        at = record._at
        if not isinstance(at, datetime) or at.tzinfo is None:
            return ValidationError(
                f"{where} {i}: at must be an aware datetime, not {_describe(at)}"
                + (" without a time zone" if isinstance(at, datetime) else "")
            )
        if previous is not None and at < previous:
            return ValidationError(
                f"{where} {i} happened at {at.isoformat()}, before item {i - 1} "
                f"({previous.isoformat()}); records are in the order they happened"
            )
        actor: object = record._actor
        if type(actor) is not Actor:
            return ValidationError(f"{where} {i}: actor must be an Actor, not {_describe(actor)}")
        if compiled is not None and steps is not None:
            trigger, source, dest = record._trigger, record._source, record._dest
            if source is not state:
                return ValidationError(
                    f"{where} {i} starts in {_describe(source)} but "
                    + (f"item {i - 1} ended in" if i > 1 else "a new aggregate is in")
                    + f" {_describe(state)}; each record starts where the previous one ended"
                )
            try:
                known = (trigger, source, dest) in steps
            except TypeError:  # an unhashable value
                known = False
            if not known:
                if type(trigger) is not str or trigger not in compiled.table:
                    triggers = ", ".join(sorted(compiled.table))
                    return ValidationError(
                        f"{where} {i}: {_describe(trigger)} is not a trigger of workflow "
                        f"{compiled.name!r} ({triggers})"
                    )
                dests = sorted({_describe(d) for t, s, d in steps if t == trigger and s is source})
                return ValidationError(
                    f"{where} {i}: workflow {compiled.name!r} has no transition "
                    f"{trigger!r}: {_describe(source)} -> {_describe(dest)}"
                    + (
                        f" (from {_describe(source)}, {trigger!r} leads to {', '.join(dests)})"
                        if dests
                        else f" ({trigger!r} is not allowed in {_describe(source)})"
                    )
                )
            state = dest
        previous = at
    return None


def _plain_text(note: str) -> bool:
    """Whether ``note`` passes :func:`~ecservice.text.check_optional_text` unchanged (fast path:
    printable, so no control, format or surrogate character, short, not padded)."""
    # CPython's strip() returns the string itself when there is nothing to strip; where it does
    # not, the full check runs, which gives the same answer.
    return note.isprintable() and len(note) <= LONG_TEXT_MAX and note.strip() is note


def _short(value: object) -> str:
    """``repr`` of a small int, else :func:`_describe` (never a huge or hostile repr)."""
    if type(value) is int and value.bit_length() < 64:
        return repr(value)
    return _describe(value)


def _describe(value: object) -> str:
    """A short description of a refused value (never a huge or hostile repr)."""
    if isinstance(value, str):
        return f"str {value[:60]!r}" + ("..." if len(value) > 60 else "")
    if isinstance(value, enum.Enum):
        return f"{type(value).__name__}.{value.name}"
    if type(value) is int:
        return f"int {value}" if value.bit_length() < 64 else "an int of more than 64 bits"
    return type(value).__name__


def _bad_actor(agg: Aggregate[Any], trigger: str, actor: object) -> ValidationError:
    return ValidationError(
        f"cannot {trigger!r} {agg._subject()}: actor must be an Actor (Actor.buyer(id), "
        f"Actor.staff(id), Actor.system(), Actor.carrier(id)), not {type(actor).__name__}"
    )
