"""Holding an order as an exception (异常挂起): who may hold and release it, where a release
returns it, the pure half of the ``hold`` and ``release`` triggers, and the holds read back from
the history."""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from ecservice.errors import ValidationError
from ecservice.orders._events import OrderHeld, OrderReleased, OrderStatus
from ecservice.orders._hold_values import (
    Hold,
    HoldOutcome,
    HoldReason,
    check_detail,
    hold_note,
    parse_hold_note,
)
from ecservice.orders._values import check_note
from ecservice.workflow import Actor, ActorKind, Context, TransitionRecord
from ecservice.workflow._arguments import REQUIRED, require

if TYPE_CHECKING:
    from ecservice.orders._order import Order

__all__ = [
    "HOLDABLE",
    "by_staff",
    "by_staff_or_system",
    "held_from",
    "holds_of",
    "prepare_hold",
    "prepare_release",
    "returns_to",
]

#: The states an order may be held from: before anything travels to the buyer (awaiting
#: confirmation, processing, out of stock). A parcel in transit is the carrier's; a done or
#: cancelled order has nothing left to stop.
HOLDABLE: Final = (
    OrderStatus.PENDING_CONFIRMATION,
    OrderStatus.PROCESSING,
    OrderStatus.OUT_OF_STOCK,
)

_HOLD: Final = "hold"
_RELEASE: Final = "release"


def by_staff(order: Order[Any], ctx: Context) -> bool:
    """Fired by staff."""
    return ctx.actor.kind is ActorKind.STAFF


def by_staff_or_system(order: Order[Any], ctx: Context) -> bool:
    """Fired by staff or by the system's exception rules."""
    kind = ctx.actor.kind
    return kind is ActorKind.STAFF or kind is ActorKind.SYSTEM


def held_from(order: Order[Any]) -> enum.Enum | None:
    """The state the order was held from (where a release returns it), or ``None`` when it is
    not held: the source of the last ``hold`` record, while the order is in the state that
    record entered."""
    history = order.history
    for i in range(len(history) - 1, -1, -1):
        record = history[i]
        if record.trigger == _HOLD:
            return record.source if _still_held(history, i) else None
    return None


def _still_held(history: Any, i: int) -> bool:
    """Whether every record after the ``hold`` record ``i`` stayed in the state it entered."""
    held = history[i].dest
    return all(r.source is held and r.dest is held for r in history[i + 1 :])


def returns_to(state: enum.Enum) -> Callable[[Order[Any], Context], bool]:
    """The guard of a ``release`` transition back to ``state``: the order was held from it.

    A custom workflow that holds orders from a state of its own adds
    ``transition("release", ON_HOLD, state, conditions=[by_staff, returns_to(state)])``.
    """
    label = getattr(state, "label_en", None) or state.name.replace("_", " ").lower()

    def guard(order: Order[Any], ctx: Context) -> bool:
        return held_from(order) is state

    guard.__name__ = guard.__qualname__ = f"held_from_{str(state.name).lower()}"
    guard.__doc__ = f"Held from {label.lower()}."
    return guard


def holds_of(order: Order[Any]) -> tuple[Hold, ...]:
    """The order's holds, oldest first, read from its history.

    A hold starts at a ``hold`` record (whose note carries the reason code and the detail) and
    ends at the first later record that leaves the state it entered: ``CANCELLED`` when that
    record enters a state named ``CANCELLED``, ``RELEASED`` otherwise.
    """
    history = order.history
    found: list[Hold] = []
    start: TransitionRecord | None = None
    for record in history:
        if start is None:
            if record.trigger == _HOLD and record.dest is not record.source:
                start = record
            continue
        if record.source is start.dest and record.dest is not start.dest:
            cancelled = getattr(record.dest, "name", "") == "CANCELLED"
            found.append(
                _hold(
                    start,
                    record.at,
                    HoldOutcome.CANCELLED if cancelled else HoldOutcome.RELEASED,
                )
            )
            start = None
    if start is not None:
        found.append(_hold(start, None, None))
    return tuple(found)


def _hold(start: TransitionRecord, ended: Any, outcome: HoldOutcome | None) -> Hold:
    reason, detail = parse_hold_note(start.note)
    return Hold(
        reason=reason,
        detail=detail.strip() or reason.label_en,
        held_at=start.at,
        ended_at=ended,
        outcome=outcome,
    )


def _actor(actor: object) -> Actor:
    if not isinstance(actor, Actor):
        raise ValidationError(f"actor must be an Actor, not {type(actor).__name__}")
    return actor


def prepare_hold(
    self: Order[Any],
    *,
    reason: HoldReason = REQUIRED,
    detail: str = REQUIRED,
    actor: Actor,
) -> dict[str, Any]:
    self._ensure_allowed(_HOLD)
    if reason is REQUIRED or detail is REQUIRED:
        require(_HOLD, reason=reason, detail=detail)
    if not isinstance(reason, HoldReason):
        raise ValidationError(
            f"reason must be a HoldReason ({', '.join(r.name for r in HoldReason)}), "
            f"not {type(reason).__name__}"
        )
    why = check_detail(detail)
    who = _actor(actor)
    event = OrderHeld(
        **self._event_base(who),
        reason=reason,
        detail=why,
        held_from=str(self.status.value),
    )
    return {"note": hold_note(reason, why), "change": self._current(events=(event,))}


def prepare_release(self: Order[Any], *, actor: Actor, note: str = "") -> dict[str, Any]:
    self._ensure_allowed(_RELEASE)
    why = check_note(note)
    who = _actor(actor)
    holds = holds_of(self)
    reason = holds[-1].reason if holds else HoldReason.MANUAL
    back = held_from(self)
    event = OrderReleased(
        **self._event_base(who),
        reason=reason,
        resumed=str(back.value) if back is not None else "",
    )
    return {"note": why, "change": self._current(events=(event,))}
