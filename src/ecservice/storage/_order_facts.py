"""What the SQL store indexes about an order besides its document: the facts the reports count
(internal; the table is :data:`~ecservice.storage.sql._order_schema.ORDER_FACTS`).

The facts change only when the order is closed, part of it is cancelled, or it is put on hold
or released; :meth:`_OrderFacts.key` digests exactly that, so that the frequent saves that move
an order between processing and out of stock, add tracking or ship write no facts.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Hashable, Mapping, Sequence
from typing import Any, Final, final

from ecservice.orders import Order
from ecservice.storage._aftersales import microseconds
from ecservice.storage._facts import FactRows
from ecservice.storage._repository import Timer

__all__ = ["ORDER_FACTS", "order_fact_values"]

#: The order statuses (by name) the facts record as the order's close.
_CLOSED: Final = frozenset({"DONE", "CANCELLED"})


def _closed_as(order: Order[Any]) -> str | None:
    name: str = getattr(order.status, "name", "")
    return name if name in _CLOSED else None


def _hold_facts(order: Order[Any]) -> dict[str, Any]:
    """The hold columns: how many holds, the first one's start and reason (by name), how the
    last one ended (``NULL`` while it lasts) and the time the ended ones lasted, in
    microseconds."""
    holds = order.holds
    if not holds:
        return _NO_HOLDS
    first, last = holds[0], holds[-1]
    held = _dt.timedelta(0)
    for hold in holds:
        if hold.ended_at is not None:
            held += _dt.datetime.__sub__(hold.ended_at, hold.held_at)
    return {
        "holds": len(holds),
        "held_at": first.held_at,
        "hold_reason": first.reason.name,
        "hold_ended_at": last.ended_at,
        "hold_outcome": None if last.outcome is None else last.outcome.name,
        "held_us": microseconds(held),
    }


_NO_HOLDS: Final = {
    "holds": 0,
    "held_at": None,
    "hold_reason": None,
    "hold_ended_at": None,
    "hold_outcome": None,
    "held_us": 0,
}


def order_fact_values(order: Order[Any]) -> dict[str, Any]:
    """The order's row of ``ecs_order_facts``, column name to value."""
    closed = _closed_as(order)
    closed_at = None
    if closed is not None:
        for record in reversed(order.history):
            if getattr(record.dest, "name", None) == closed:
                closed_at = record.at
                break
    total = order.total
    return {
        "order_id": order.id,
        "buyer_id": order.buyer_id,
        "created_at": order.created_at,
        "currency": total.currency.code,
        "total_minor": total.minor_units,
        "kept_minor": (total - order.cancelled_value).minor_units,
        "closed_as": closed,
        "closed_at": closed_at,
        **_hold_facts(order),
    }


@final
class _OrderFacts:
    """The facts hook of orders (see :mod:`ecservice.storage._facts`)."""

    __slots__ = ()

    def key(self, aggregate: Any) -> Hashable:
        order: Order[Any] = aggregate
        # Inline and with one status read: the key is taken at every load and save of an order.
        name = getattr(order.status, "name", "")
        holds = 0  # the hold records; a hold ends when the order leaves ON_HOLD (the flag)
        for record in order.history:
            if record.trigger == "hold":
                holds += 1
        return (
            name if name in _CLOSED else None,
            len(order.cancellations),
            holds,
            name == "ON_HOLD",
        )

    def rows(self, aggregate: Any, timers: Mapping[str, Timer]) -> Sequence[FactRows]:
        values = order_fact_values(aggregate)
        return (FactRows("ecs_order_facts", "order_id", values["order_id"], (values,)),)


ORDER_FACTS: Final = _OrderFacts()
