"""Timed loops: create, fire, typed methods, memory and growth, ecservice against the baseline."""

from __future__ import annotations

import gc
import time
import tracemalloc
from collections.abc import Callable
from typing import Any, Final

from ecservice.orders import Order, OrderStatus

from .baseline import BaselineOrder
from .inputs import (
    NOTE,
    TYPED_STEPS,
    Data,
    Typed,
    ids,
    new_baseline,
    new_order,
    new_pending,
    typed_calls,
)
from .typed_baseline import TypedBaselineOrder

S = OrderStatus

SUB_BATCH: Final = 500

#: Operations per timed chunk in the create and fire measurements.
CHUNK: Final = 50

#: Orders per timed chunk in the typed-method measurement.
TYPED_CHUNK: Final = 25


def bench_create(d: Data, n: int, repeats: int) -> tuple[float, float]:
    """µs per rehydrated order: (ecservice, baseline), fastest chunk of :data:`CHUNK` creates.

    Both kinds run the very same loop (only the class differs), chunk by chunk in turn, the
    first kind alternating from one chunk to the next.
    """
    best = {"k": float("inf"), "b": float("inf")}
    names = ids("C", 0, n)
    clock, history, lines, address, fee, created = (
        d.clock,
        d.history,
        d.lines,
        d.address,
        d.fee,
        d.created_at,
    )
    counter = time.perf_counter_ns
    classes: dict[str, type[Order[Any]] | type[BaselineOrder]] = {"k": Order, "b": BaselineOrder}
    for _ in range(repeats):
        keep: list[object] = []
        append = keep.append
        gc.collect()
        gc.disable()
        try:
            for c, start in enumerate(range(0, n, CHUNK)):
                chunk = names[start : start + CHUNK]
                for kind in ("k", "b") if c % 2 == 0 else ("b", "k"):
                    cls = classes[kind]
                    t0 = counter()
                    for oid in chunk:
                        append(
                            cls(
                                id=oid,
                                status=S.PROCESSING,
                                version=1,
                                history=history,
                                clock=clock,
                                buyer_id="u-1001",
                                lines=lines,
                                address=address,
                                shipping_fee=fee,
                                created_at=created,
                                remarks="",
                                presale=None,
                                shipments=(),
                                cancellations=(),
                                out_of_stock=(),
                            )
                        )
                    best[kind] = min(best[kind], (counter() - t0) / len(chunk))
        finally:
            gc.enable()
        del keep, append
    return best["k"] / 1000.0, best["b"] / 1000.0


def bench_fire(d: Data, n: int, repeats: int) -> dict[str, float]:
    """µs per fire, kernel (``_fire`` with a precomputed payload) vs baseline, and typed methods.

    Orders are fired chunk by chunk (:data:`CHUNK` orders): the chunk's kernel orders, its
    baseline orders and its typed-method orders in turn (rotating which goes first), for
    ``mark_out_of_stock`` then for ``restock``; each figure is the fastest chunk.
    """
    out, back, staff = d.out, d.back, d.staff
    names = ids("F", 0, n)
    best = dict.fromkeys(("k_out", "k_back", "b_out", "b_back", "t_out", "t_back"), float("inf"))
    pair = {"k": float("inf"), "b": float("inf")}
    skus = ["CUP-01"]
    counter = time.perf_counter_ns

    def k_out(o: Any) -> object:
        return o._fire("mark_out_of_stock", actor=staff, note=NOTE, change=out)

    def k_back(o: Any) -> object:
        return o._fire("restock", actor=staff, note=NOTE, change=back)

    def b_out(o: Any) -> object:
        return o.fire("mark_out_of_stock", actor=staff, note=NOTE, change=out)

    def b_back(o: Any) -> object:
        return o.fire("restock", actor=staff, note=NOTE, change=back)

    def t_out(o: Any) -> object:
        return o.mark_out_of_stock(skus, actor=staff, note=NOTE)

    def t_back(o: Any) -> object:
        return o.restock(actor=staff, note=NOTE)

    calls: dict[str, Callable[[Any], object]] = {
        "k_out": k_out,
        "k_back": k_back,
        "b_out": b_out,
        "b_back": b_back,
        "t_out": t_out,
        "t_back": t_back,
    }
    for _ in range(repeats):
        orders: dict[str, list[Any]] = {
            "k": [new_order(d, oid) for oid in names],
            "b": [new_baseline(d, oid) for oid in names],
            "t": [new_order(d, oid) for oid in names],
        }
        gc.collect()
        gc.disable()
        try:
            for c, start in enumerate(range(0, n, CHUNK)):
                kinds = ("k", "b", "t")[c % 3 :] + ("k", "b", "t")[: c % 3]
                took: dict[str, float] = {}
                for step in ("out", "back"):
                    for kind in kinds:
                        chunk = orders[kind][start : start + CHUNK]
                        call = calls[f"{kind}_{step}"]
                        t0 = counter()
                        for o in chunk:
                            call(o)
                        took[f"{kind}_{step}"] = (counter() - t0) / len(chunk)
                for key, ns in took.items():
                    best[key] = min(best[key], ns)
                for kind in ("k", "b"):
                    pair[kind] = min(pair[kind], (took[f"{kind}_out"] + took[f"{kind}_back"]) / 2)
        finally:
            gc.enable()
        if orders["k"][0].status is not S.PROCESSING or orders["b"][0].status is not S.PROCESSING:
            raise AssertionError("the mark_out_of_stock / restock cycle did not come back")
        if orders["k"][-1].version != orders["b"][-1].version:
            raise AssertionError("kernel and baseline fired a different number of transitions")
        del orders
    res = {key: ns / 1000.0 for key, ns in best.items()}
    res["k_fire"] = pair["k"] / 1000.0
    res["b_fire"] = pair["b"] / 1000.0
    return res


def traced_bytes_per_item(n: int, build: Callable[[int], object]) -> tuple[float, list[object]]:
    keep: list[object] = [None] * n
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    for i in range(n):
        keep[i] = build(i)
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    total = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    return total / n, keep


def bench_memory(d: Data, n: int) -> tuple[float, float]:
    """Bytes per live order, (ecservice, baseline), with n orders of each kind alive together."""
    names = ids("M", 0, n)
    k_bytes, k_keep = traced_bytes_per_item(n, lambda i: new_order(d, names[i]))
    b_bytes, b_keep = traced_bytes_per_item(n, lambda i: new_baseline(d, names[i]))
    assert len(k_keep) == len(b_keep) == n  # both populations were alive at the second count
    del k_keep, b_keep
    gc.collect()
    return k_bytes, b_bytes


def bench_growth(
    d: Data, total: int, batch: int, make: Callable[[Data, str], object]
) -> tuple[float, float]:
    """µs per create in the first and the last batch while ``total`` orders stay alive.

    Each of the two batches is timed as sub-batches of :data:`SUB_BATCH` creates, and the fastest
    sub-batch gives the batch's figure, so that another process taking the CPU for a moment does
    not pass for growth; a per-order cost that grows with the number of live orders slows every
    sub-batch of the last batch alike.
    """
    keep: list[object] = []
    warm = [make(d, oid) for oid in ids("W", 0, 1000)]
    del warm
    batches = total // batch
    first = last = 0.0
    gc.collect()
    gc.disable()
    try:
        for b in range(batches):
            names = ids("G", b * batch, batch)
            append = keep.append
            if b not in (0, batches - 1):
                for oid in names:
                    append(make(d, oid))
                continue
            best = float("inf")
            for start in range(0, batch, SUB_BATCH):
                chunk = names[start : start + SUB_BATCH]
                t0 = time.perf_counter_ns()
                for oid in chunk:
                    append(make(d, oid))
                best = min(best, (time.perf_counter_ns() - t0) / len(chunk) / 1000.0)
            if b == 0:
                first = best
            else:
                last = best
    finally:
        gc.enable()
    if len(keep) != batches * batch:
        raise AssertionError("the growth check lost orders")
    del keep
    gc.collect()
    return first, last


def bench_typed(d: Data, t: Typed, n: int, repeats: int) -> dict[str, Any]:
    """µs per typed call, Order vs TypedBaselineOrder, step by step, interleaved chunk by chunk.

    Every repeat builds ``n`` fresh orders of each kind (not timed), then for each step of
    :data:`TYPED_STEPS` fires it on the orders in chunks of :data:`TYPED_CHUNK`: a chunk of Order
    instances, then the same chunk of baseline instances (the other way round every other
    chunk). Each step's figure is its fastest chunk: chunks are short (a fraction of a
    millisecond), so the fastest ones ran undisturbed by other processes.
    """
    calls = typed_calls(d, t)
    names = ids("P", 0, n)
    k_ns: list[list[float]] = [[] for _ in calls]
    b_ns: list[list[float]] = [[] for _ in calls]
    counter = time.perf_counter_ns
    for _ in range(repeats):
        korders = [new_pending(d, oid, Order) for oid in names]
        borders = [new_pending(d, oid, TypedBaselineOrder) for oid in names]
        gc.collect()
        gc.disable()
        try:
            for i, call in enumerate(calls):
                for c, start in enumerate(range(0, n, TYPED_CHUNK)):
                    chunks = (
                        (korders[start : start + TYPED_CHUNK], k_ns[i]),
                        (borders[start : start + TYPED_CHUNK], b_ns[i]),
                    )
                    for orders, samples in chunks if c % 2 == 0 else chunks[::-1]:
                        t0 = counter()
                        for o in orders:
                            call(o)
                        samples.append((counter() - t0) / len(orders))
        finally:
            gc.enable()
        if korders[-1].status is not S.DONE or borders[-1].status is not S.DONE:
            raise AssertionError("the typed sequence did not end in DONE")
        del korders, borders
    k_step = [min(v) / 1000.0 for v in k_ns]
    b_step = [min(v) / 1000.0 for v in b_ns]
    per_method: dict[str, tuple[float, float]] = {}
    for step in dict.fromkeys(TYPED_STEPS):
        idx = [i for i, s in enumerate(TYPED_STEPS) if s == step]
        per_method[step] = (
            sum(k_step[i] for i in idx) / len(idx),
            sum(b_step[i] for i in idx) / len(idx),
        )
    k_total, b_total = sum(k_step), sum(b_step)
    return {
        "k_total": k_total,
        "b_total": b_total,
        "ratio": k_total / b_total,
        "per_method": per_method,
    }
