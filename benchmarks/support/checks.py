"""Self-checks: the hand-written baselines behave like ``Order`` on the measured calls."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs

from ecservice.errors import InvalidTransition
from ecservice.orders import (
    Cancellation,
    LinesCancelled,
    Order,
    OrderChange,
    OrderConfirmed,
    OrderStatus,
    Shipment,
    ShipmentDispatched,
    ShipmentReceived,
    TrackingEvent,
)
from ecservice.workflow import Actor

from .baseline import BaselineOrder
from .inputs import (
    NOTE,
    TYPED_STEPS,
    Call,
    Data,
    Typed,
    new_baseline,
    new_order,
    new_pending,
    typed_calls,
)
from .typed_baseline import TypedBaselineOrder

S = OrderStatus


def _state_of(o: Order | BaselineOrder) -> tuple[object, ...]:
    hist = tuple((r.trigger, r.source, r.dest, r.at, r.actor, r.note, r.version) for r in o.history)
    return (
        o.status,
        o.version,
        hist,
        o.shipments,
        o.cancellations,
        o.out_of_stock,
        o.pull_events(),
    )


def self_check(d: Data) -> None:
    """Drive Order and BaselineOrder through the same sequences; demand identical results."""
    buyer = Actor.buyer("u-1001")
    ship_at = d.clock.now()
    parcel = Shipment(
        id="O-1-S1",
        warehouse="main",
        carrier="SF",
        tracking_no="SF1",
        items={"TEA-250": 3, "CUP-01": 1},
        shipped_at=ship_at,
    )
    received = attrs.evolve(parcel, received_at=ship_at, received_by=buyer)
    ev: dict[str, Any] = {"aggregate_id": "O-1", "occurred_at": ship_at, "actor": d.staff}

    def ch(**kw: Any) -> OrderChange:
        base: dict[str, Any] = {
            "shipments": (),
            "cancellations": (),
            "out_of_stock": (),
            "address": d.address,
        }
        return OrderChange(**(base | kw))

    everything = tuple(
        Cancellation(
            sku=line.sku, quantity=line.quantity, reason="changed mind", at=ship_at, actor=buyer
        )
        for line in d.lines
    )
    one = everything[1:]
    sequences: list[tuple[OrderStatus, list[tuple[str, dict[str, object]]]]] = [
        (
            S.PENDING_CONFIRMATION,
            [
                ("confirm", {"change": ch(events=(OrderConfirmed(**ev),))}),
                ("mark_out_of_stock", {"change": d.out}),
                ("restock", {"change": d.out}),  # still missing: internal
                ("restock", {"change": d.back}),
                (
                    "ship",
                    {
                        "change": ch(
                            shipments=(parcel,), events=(ShipmentDispatched(**ev, shipment=parcel),)
                        )
                    },
                ),
                (
                    "confirm_receipt",
                    {
                        "change": ch(
                            shipments=(received,),
                            events=(
                                ShipmentReceived(**ev, shipment_id=parcel.id, automatic=False),
                            ),
                        )
                    },
                ),
            ],
        ),
        (
            S.PROCESSING,
            [
                ("mark_out_of_stock", {"change": d.out}),
                (
                    "cancel_lines",
                    {
                        "change": ch(
                            cancellations=one,
                            events=(LinesCancelled(**ev, cancellations=one),),
                        ),
                        "reason": "no cups",
                    },
                ),
                ("cancel", {"change": ch(cancellations=everything), "reason": "changed mind"}),
            ],
        ),
    ]
    for start, steps in sequences:
        # Rehydrated in the start state with a matching history (the kernel refuses assignments
        # to ``status``).
        if start is S.PROCESSING:
            k, b = new_order(d, "O-1"), new_baseline(d, "O-1")
        else:
            k, b = new_pending(d, "O-1", Order), new_pending(d, "O-1", BaselineOrder)
        for trig, payload in steps:
            k._fire(trig, actor=d.staff, note=NOTE, **payload)
            b.fire(trig, actor=d.staff, note=NOTE, **payload)
            if _state_of(k) != _state_of(b):
                raise AssertionError(f"baseline differs from the kernel after {trig!r}")
        for o in (k, b):
            try:
                (o._fire if isinstance(o, Order) else o.fire)("confirm", actor=d.staff)
            except InvalidTransition:
                pass
            else:
                raise AssertionError("an illegal trigger was accepted")


def _bad_calls(d: Data, t: Typed, calls: Sequence[Call]) -> list[tuple[str, Sequence[Call], Call]]:
    """Refused calls: (what, the calls made first, the refused call).

    Both kinds must raise the same error class and stay unchanged.
    """
    staff = d.staff
    scan = t.scans[0]
    old = TrackingEvent(at=d.created_at.subtract(days=1), description="Collected")
    ahead = TrackingEvent(at=d.created_at.add(hours=2), description="Collected")
    sid = "O-1-S1"
    one_received = [*calls[:6], lambda o: o.confirm_receipt(sid, actor=t.buyer)]
    return [
        ("confirm twice", calls[:1], lambda o: o.confirm(actor=staff)),
        ("confirm, actor a str", calls[:0], lambda o: o.confirm(actor="kefu-07")),
        ("confirm, actor None", calls[:0], lambda o: o.confirm(actor=None)),
        ("confirm, note an int", calls[:0], lambda o: o.confirm(actor=staff, note=123)),
        ("confirm, note with U+202E", calls[:0], lambda o: o.confirm(actor=staff, note="a\u202eb")),
        ("confirm, address a str", calls[:0], lambda o: o.confirm(actor=staff, address="Hangzhou")),
        (
            "ship before confirm",
            calls[:0],
            lambda o: o.ship(carrier="SF", tracking_no="1", actor=staff),
        ),
        (
            "ship, items a str",
            calls[:1],
            lambda o: o.ship(carrier="SF", tracking_no="1", items="TEA-250", actor=staff),
        ),
        (
            "ship, unknown SKU",
            calls[:1],
            lambda o: o.ship(carrier="SF", tracking_no="1", items={"NOPE": 1}, actor=staff),
        ),
        (
            "ship, too many",
            calls[:1],
            lambda o: o.ship(carrier="SF", tracking_no="1", items={"TEA-250": 4}, actor=staff),
        ),
        (
            "ship, quantity 0",
            calls[:1],
            lambda o: o.ship(carrier="SF", tracking_no="1", items={"TEA-250": 0}, actor=staff),
        ),
        (
            "ship, blank carrier",
            calls[:1],
            lambda o: o.ship(carrier=" ", tracking_no="1", actor=staff),
        ),
        (
            "ship, tracking no with NUL",
            calls[:1],
            lambda o: o.ship(carrier="SF", tracking_no="1\x00", actor=staff),
        ),
        (
            "ship, nothing open",
            calls[:3],
            lambda o: o.ship(carrier="SF", tracking_no="1", actor=staff),
        ),
        (
            "ship, repeated shipment id",
            calls[:2],
            lambda o: o.ship(carrier="SF", tracking_no="1", shipment_id=sid, actor=staff),
        ),
        (
            "tracking, unknown parcel",
            calls[:2],
            lambda o: o.add_tracking_event("nope", scan, actor=staff),
        ),
        (
            "tracking, event a str",
            calls[:2],
            lambda o: o.add_tracking_event(sid, "scan", actor=staff),
        ),
        (
            "tracking, older than dispatch",
            calls[:2],
            lambda o: o.add_tracking_event(sid, old, actor=staff),
        ),
        ("tracking, order done", calls[:7], lambda o: o.add_tracking_event(sid, scan, actor=staff)),
        ("receipt, unknown parcel", calls[:3], lambda o: o.confirm_receipt("nope", actor=staff)),
        ("receipt, order done", calls[:7], lambda o: o.confirm_receipt(sid, actor=staff)),
        (
            "tracking, dated 2 h ahead",
            calls[:2],
            lambda o: o.add_tracking_event(sid, ahead, actor=staff),
        ),
        (
            "tracking, parcel received",
            one_received,
            lambda o: o.add_tracking_event(sid, scan, actor=staff),
        ),
        ("receipt, parcel received", one_received, lambda o: o.confirm_receipt(sid, actor=staff)),
    ]


def self_check_typed(d: Data, t: Typed) -> list[str]:
    """Drive Order and TypedBaselineOrder through the typed sequence; demand identical results.

    Returns the refused calls on which the two kinds disagree (one raises and the other does not,
    or they raise different error classes): the measured methods then do not do the same
    validation, and the report says so. A difference in the accepted calls' results raises.
    """
    calls = typed_calls(d, t)
    k = new_pending(d, "O-1", Order)
    b = new_pending(d, "O-1", TypedBaselineOrder)
    for step, call in zip(TYPED_STEPS, calls, strict=True):
        call(k)
        call(b)
        if _state_of(k) != _state_of(b) or k.address != b.address:
            raise AssertionError(f"the typed baseline differs from Order after {step!r}")
    if k.status is not S.DONE:
        raise AssertionError(f"the typed sequence ended in {k.status!r}, not DONE")
    mismatches: list[str] = []
    for what, prefix, bad in _bad_calls(d, t, calls):
        outcome: list[str] = []
        for cls in (Order, TypedBaselineOrder):
            o = new_pending(d, "O-1", cls)
            for call in prefix:
                call(o)
            before = _typed_state(o)
            try:
                bad(o)
            except Exception as exc:  # the class of whatever is raised is the observation
                outcome.append(type(exc).__name__)
                if _typed_state(o) != before:
                    outcome[-1] += " (object changed)"
            else:
                outcome.append("accepted")
        if outcome[0] != outcome[1]:
            mismatches.append(f"{what}: Order {outcome[0]}, baseline {outcome[1]}")
    return mismatches


def _typed_state(o: Order[Any] | TypedBaselineOrder) -> tuple[object, ...]:
    """Everything the typed methods may change, without consuming the queued events."""
    events = o.pending_events if isinstance(o, Order) else o._events
    return (o.status, o.version, o.history, o.shipments, o.address, events)
