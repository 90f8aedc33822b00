"""The scheduled job that confirms receipt of parcels whose confirmation time has passed."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ecservice.orders._events import OrderStatus
from ecservice.orders._order_checks import _check_policy
from ecservice.orders._policy import AutoConfirmPolicy
from ecservice.workflow import Actor, TransitionRecord

if TYPE_CHECKING:
    from ecservice.orders._order import Order

__all__ = ["auto_confirm_due"]


def auto_confirm_due(
    orders: Iterable[Order[Any]], policy: AutoConfirmPolicy, *, actor: Actor | None = None
) -> list[TransitionRecord]:
    """The scheduled job: confirm receipt of every parcel whose automatic-confirmation time has
    passed, on every order in transit. Orders with nothing due are left alone.

    Returns:
        The history records of the orders that changed, in the order given.

    Raises:
        ValidationError: ``policy`` is not an :class:`AutoConfirmPolicy`.
    """
    _check_policy(policy)
    records: list[TransitionRecord] = []
    for order in orders:
        if order.status is not OrderStatus.IN_TRANSIT:
            continue
        now = order.clock.now()
        if any(policy.is_due(s.shipped_at, now) for s in order.travelling):
            records.append(order.auto_confirm(policy, actor=actor))
    return records
