"""The cost of an aggregate's 10,000th transition against its 10th."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Sequence
from typing import Any, Final

import pendulum

from ecservice.orders import Cart, Order, TrackingEvent
from ecservice.workflow import Actor

from .inputs import Data, new_pending


def _median(values: Sequence[int]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def _grow_and_time(
    agg: Any, fire: Callable[[Any, int], object], early: int, late: int, width: int
) -> tuple[list[int], list[int]]:
    """Fire ``fire(agg, i)`` until the aggregate's transition number ``late + width // 2``,
    timing one by one the ``width`` transitions around number ``early`` and number ``late``."""
    half = width // 2
    windows = (range(early - half, early - half + width), range(late - half, late - half + width))
    early_ns: list[int] = []
    late_ns: list[int] = []
    counter = time.perf_counter_ns
    i = 0
    while (nxt := agg.version + 1) < windows[1].stop:
        if nxt in windows[0] or nxt in windows[1]:
            t0 = counter()
            fire(agg, i)
            (early_ns if nxt in windows[0] else late_ns).append(counter() - t0)
        else:
            fire(agg, i)
        i += 1
    return early_ns, late_ns


_BUYER: Final = Actor.buyer("u-1001")
_CARRIER: Final = Actor.carrier("sf-express")
_SCAN: Final = TrackingEvent(at=pendulum.datetime(2026, 11, 11, 1, 30), description="Collected")


# Each command is followed by pull_events(), as an application saving the aggregate and its
# outbox rows does: otherwise the queue of pending events would grow with every transition.


def _set_quantity(cart: Any, i: int) -> object:
    record = cart.set_quantity("TEA-250", 1 + i % 2, actor=_BUYER)
    cart.pull_events()
    return record


def _add_scan(order: Any, _: int) -> object:
    record = order.add_tracking_event(order.id + "-S1", _SCAN, actor=_CARRIER)
    order.pull_events()
    return record


def bench_history(d: Data, carts: int, orders: int, late: int) -> dict[str, float | None]:
    """µs of the 10th and of the ``late``-th transition of one aggregate, two ways.

    * ``cart``: ``Cart.set_quantity`` on one cart, an internal transition whose data (two lines)
      does not grow: only the history does. This is the line with the target.
      Every command is followed by ``pull_events()``, as an application does.
    * ``tracking``: ``Order.add_tracking_event`` on one parcel of one order: the history and the
      parcel's list of scans both grow (for information: copying the scans is linear in the data
      the call touches). Skipped when ``orders`` is 0 (the figures are then ``None``).

    Each aggregate is grown by firing (garbage collector off), after an untimed warm-up
    aggregate of each kind; the 10 transitions around number 10 and around number ``late`` are
    timed one by one; each figure is the median of those samples over the aggregates.
    """
    early, width = 10, 10
    samples: dict[str, list[int]] = {k: [] for k in ("cart_e", "cart_l", "track_e", "track_l")}
    price = d.lines[0].unit_price

    def new_cart(name: str) -> Cart:
        cart = Cart.open(name, buyer_id="u-1001", currency="CNY", clock=d.clock)
        cart.add_line("TEA-250", "Longjing tea 250 g", price, 1, actor=_BUYER)
        cart.add_line("CUP-01", "Celadon cup", price, 1, actor=_BUYER)
        return cart

    def new_shipped(name: str) -> Order[Any]:
        order: Order[Any] = new_pending(d, name, Order)
        order.confirm(actor=d.staff)
        order.ship(carrier="SF", tracking_no="SF1001", actor=d.staff)
        return order

    gc.collect()
    gc.disable()
    try:
        _grow_and_time(new_cart("C-warm"), _set_quantity, early, 200, width)
        for a in range(carts):
            e, lt = _grow_and_time(new_cart(f"C-{a}"), _set_quantity, early, late, width)
            samples["cart_e"] += e
            samples["cart_l"] += lt
        if orders:
            _grow_and_time(new_shipped("O-warm"), _add_scan, early, 200, width)
        for a in range(orders):
            e, lt = _grow_and_time(new_shipped(f"O-{a}"), _add_scan, early, late, width)
            samples["track_e"] += e
            samples["track_l"] += lt
    finally:
        gc.enable()
        gc.collect()
    us = {k: (_median(v) / 1000.0 if v else None) for k, v in samples.items()}
    return {
        "cart_early_us": us["cart_e"],
        "cart_late_us": us["cart_l"],
        "tracking_early_us": us["track_e"],
        "tracking_late_us": us["track_l"],
    }
