"""The construction checks of an aggregate (also run when storage rehydrates one), and the checks
of the actor and note of a fired trigger."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any

from ecservice.clock import FixedClock, SystemClock
from ecservice.errors import ValidationError
from ecservice.text import LONG_TEXT_MAX
from ecservice.workflow._history import History
from ecservice.workflow._records import TransitionRecord

if TYPE_CHECKING:
    from ecservice.workflow._aggregate import Aggregate
    from ecservice.workflow._definition import Workflow

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
    if version == 0 and history is _EMPTY:
        pass
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
    else:
        for i, record in enumerate(history, 1):
            if type(record) is not TransitionRecord:
                raise ValidationError(
                    f"{cls.__name__} {agg.id!r}: history item {i} must be a TransitionRecord, "
                    f"not {type(record).__name__}"
                )
            if record.version != i:
                raise ValidationError(
                    f"{cls.__name__} {agg.id!r}: history item {i} has version "
                    f"{record.version!r}; records are numbered 1..{version} in order"
                )
        if history[-1].dest is not status:
            raise ValidationError(
                f"{cls.__name__} {agg.id!r}: status is {status.name} but the last transition "
                f"of its history led to {history[-1].dest.name}"
            )
    clock = agg.clock
    if type(clock) not in _CLOCKS and not callable(getattr(clock, "now", None)):
        raise ValidationError(
            f"{cls.__name__} {agg.id!r}: clock must be a Clock (with a now() method), "
            f"not {type(clock).__name__}"
        )


def _plain_text(note: str) -> bool:
    """Whether ``note`` passes :func:`~ecservice.text.check_optional_text` unchanged (fast path:
    printable, so no control, format or surrogate character, short, not padded)."""
    # CPython's strip() returns the string itself when there is nothing to strip; where it does
    # not, the full check runs, which gives the same answer.
    return note.isprintable() and len(note) <= LONG_TEXT_MAX and note.strip() is note


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
