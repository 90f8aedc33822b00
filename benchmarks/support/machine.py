"""For scale only: the order workflow on ``transitions``, one ``Machine`` per order."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Any

import transitions

from ecservice.orders import OrderStatus
from ecservice.workflow import DomainEvent, TransitionRecord

from .baseline import ORDER_TABLE, BaselineOrder, Guard, Hook
from .inputs import NOTE, Data, ids
from .timing import traced_bytes_per_item

S = OrderStatus


class _MachineOrder(BaselineOrder):
    """A BaselineOrder with a ``__dict__`` so that a ``transitions.Machine`` can bind to it."""


def _t_cond(guard: Guard) -> Callable[[transitions.EventData], bool]:
    def check(ev: transitions.EventData) -> bool:
        assert isinstance(ev.model, _MachineOrder)
        return guard(ev.model, ev.kwargs)

    return check


def _t_hook(hook: Hook) -> Callable[[transitions.EventData], None]:
    def run(ev: transitions.EventData) -> None:
        order = ev.model
        assert isinstance(order, _MachineOrder)
        kw = ev.kwargs
        events: list[DomainEvent] = []
        hook(order, kw, order.clock.now(), kw["actor"], kw["note"], events)
        if events:
            order._events = (*order._events, *events)

    return run


def _t_record(ev: transitions.EventData) -> None:
    order = ev.model
    assert isinstance(order, _MachineOrder)
    assert ev.transition is not None
    source = OrderStatus[ev.transition.source]
    dest = source if ev.transition.dest is None else OrderStatus[ev.transition.dest]
    version = order.version + 1
    order.history = (
        *order.history,
        TransitionRecord(
            ev.event.name,
            source,
            dest,
            order.clock.now(),
            ev.kwargs["actor"],
            ev.kwargs["note"],
            version,
        ),
    )
    order.version = version


def _transitions_config() -> list[dict[str, Any]]:
    config: list[dict[str, Any]] = []
    for (state, trig), candidates in ORDER_TABLE.items():
        for dest, guards, hooks in candidates:
            config.append(
                {
                    "trigger": trig,
                    "source": state,
                    "dest": dest,
                    "conditions": [_t_cond(g) for g in guards],
                    "before": [_t_hook(h) for h in hooks],
                    "after": [_t_record],
                }
            )
    return config


def bench_transitions(d: Data, n: int) -> dict[str, float]:
    """For scale: one transitions.Machine per order; create, fire, memory (not the baseline)."""
    config = _transitions_config()
    names = ids("T", 0, n)
    staff, out, back = d.staff, d.out, d.back

    def build(oid: str) -> _MachineOrder:
        o = _MachineOrder(
            id=oid,
            status=S.PROCESSING,
            version=1,
            history=d.history,
            clock=d.clock,
            buyer_id="u-1001",
            lines=d.lines,
            address=d.address,
            shipping_fee=d.fee,
            created_at=d.created_at,
        )
        transitions.Machine(
            model=o,
            states=OrderStatus,
            transitions=config,
            initial=S.PROCESSING,
            auto_transitions=False,
            send_event=True,
        )
        return o

    keep: list[_MachineOrder] = []
    gc.collect()
    gc.disable()
    t0 = time.perf_counter_ns()
    for oid in names:
        keep.append(build(oid))
    t1 = time.perf_counter_ns()
    for o in keep:
        o.trigger("mark_out_of_stock", actor=staff, note=NOTE, change=out)  # type: ignore[attr-defined]
    for o in keep:
        o.trigger("restock", actor=staff, note=NOTE, change=back)  # type: ignore[attr-defined]
    t3 = time.perf_counter_ns()
    gc.enable()
    if keep[0].state is not S.PROCESSING or keep[0].version != 3:  # type: ignore[attr-defined]
        raise AssertionError("transitions did not run the cycle")
    del keep
    mem, kept = traced_bytes_per_item(min(n, 500), lambda i: build(names[i]))
    del kept
    gc.collect()
    return {
        "create_us": (t1 - t0) / n / 1000.0,
        "fire_us": (t3 - t1) / (2 * n) / 1000.0,
        "bytes_per_order": mem,
    }
