"""What the ``_prepare_<trigger>`` methods of the areas' aggregates share: the marker of required
arguments and the checks every trigger starts with.

Private to the library: the orders, after-sales and complaints areas build their typed trigger
methods on it.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, Final, Protocol, final

from ecservice.errors import ValidationError
from ecservice.text import check_optional_text
from ecservice.workflow._records import Actor

__all__ = ["REQUIRED", "begin", "require"]


@final
class _Required:
    """The default of an argument that the trigger method requires (see :func:`require`)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<required>"


#: Default of the required arguments of ``_prepare_<trigger>`` methods: ``can(trigger)`` called
#: without one answers False (the typed call would fail) instead of raising TypeError.
REQUIRED: Final[Any] = _Required()


def require(trigger: str, **arguments: object) -> None:
    """Raise :class:`ValidationError` naming the ``arguments`` still :data:`REQUIRED`."""
    missing = [name for name, value in arguments.items() if value is REQUIRED]
    if missing:
        raise ValidationError(f"{trigger!r} needs the argument(s) {', '.join(missing)}")


class _Opened(Protocol):
    """An aggregate that was opened at an instant (a case, a complaint)."""

    @property
    def id(self) -> str: ...

    @property
    def opened_at(self) -> _dt.datetime: ...

    @property
    def clock(self) -> Any: ...

    def _ensure_allowed(self, trigger: str) -> None: ...


def begin(
    aggregate: _Opened, trigger: str, actor: object, note: object, *, what: str
) -> dict[str, Any]:
    """The checks every trigger of an opened aggregate starts with: the trigger allowed in its
    state, an :class:`Actor`, no transition before the opening (it would be stored and never
    load again); returns the payload with the checked ``note``.

    Args:
        aggregate: the case or complaint.
        trigger: the trigger being prepared.
        actor: who fires it.
        note: the optional note (short text).
        what: how messages name the aggregate (``"case"``, ``"complaint"``).

    Raises:
        InvalidTransition: the trigger is not allowed in the aggregate's state.
        ValidationError: ``actor`` is not an :class:`Actor`, a bad note, or the clock is before
            the opening.
    """
    aggregate._ensure_allowed(trigger)
    if not isinstance(actor, Actor):
        raise ValidationError(f"actor must be an Actor, not {type(actor).__name__}")
    now = aggregate.clock.now()
    if now < aggregate.opened_at:
        raise ValidationError(
            f"cannot {trigger} {what} {aggregate.id!r} at {now.isoformat()}: its clock is "
            f"before the {what} was opened ({aggregate.opened_at.isoformat()}); a transition "
            "is recorded at the clock's instant, never before the opening"
        )
    return {"note": check_optional_text(note, "note")}
