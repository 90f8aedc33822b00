"""Benchmark: the workflow kernel against a hand-written dict-table baseline, on the order workflow.

Run ``python benchmarks/kernel.py`` (full, two or three minutes) or ``--quick`` (small counts, a few
seconds, used by CI to keep the benchmark working); ``--json`` prints one JSON object as the last
line of output. The exit status is 0 even when a target is missed; the table then says
``TARGET MISSED`` and the JSON has ``"targets_met": false``.

Method
------
Everything runs in one process, ecservice and baseline interleaved repeat by repeat. Times come
from :func:`time.perf_counter_ns` around loops over many distinct orders, with the garbage
collector disabled during every timed loop (for both sides alike); each figure is the minimum over
the repeats of (loop time / operations): the machine may be shared, and the minimum is the figure
least disturbed by other processes.

The baseline is what a careful engineer would write by hand for the same workflow and the same
data, so that the ratios price the kernel's generality and nothing else:

* ``BaselineOrder`` is a plain slotted class with the same fields as
  :class:`~ecservice.orders.Order` (id, status, version, history, clock, pending events, buyer,
  lines, address, shipping fee, created_at, remarks, presale, shipments, cancellations, out of
  stock). Its constructor performs the same input validation as Order's attrs-generated one,
  written inline: ``Aggregate``'s checks (a non-empty str id; the status a state of the
  workflow; the version the number of history records; the history a run of the workflow,
  numbered, chained, by actors, at aware times in order, ending in the status; a clock), the
  buyer id as short text, lines a tuple or list (at least one, all ``OrderLine``, no repeated
  SKU, one currency), the address type, ``created_at`` aware and converted to a pendulum
  ``DateTime`` in UTC, remarks as long text, the presale type, shipments and cancellations
  tuples of their types, and the
  ``__attrs_post_init__`` checks (fee: Money, same currency, not negative; the deposit's
  currency; for an order with progress: unique shipment ids, known SKUs, shipped + cancelled
  <= ordered, out-of-stock SKUs distinct lines with open units).
* ``ORDER_TABLE`` is a hand-written ``{(state, trigger): ((dest, guards, hooks), ...)}`` dict for
  the whole default order workflow (candidates in the kernel's priority order; ``dest=None`` is an
  internal transition). ``BaselineOrder.fire`` does the kernel's work on the same payload: look up
  the entry (raising :class:`~ecservice.errors.InvalidTransition` if the trigger is not allowed),
  read the clock, evaluate the same guards in the same order, run the equivalent hooks (the same
  field assignments, the same domain events), set the state, create the library's
  :class:`~ecservice.workflow.TransitionRecord`, bump the version, append to the history tuple
  and queue the events. Its guards are evaluated before anything is assigned and its hooks cannot
  fail afterwards, so it is atomic without the kernel's snapshot; that snapshot, the ``Context``
  object and attrs' ``__setattr__`` hooks are part of what the ratio measures.
  A self-check at start-up drives both through the same event sequences and demands the same
  states, versions, history records and events.

What is measured
----------------
1. **create**: rehydrating an order with the constructor and every field (as a repository
   does), the same shared inputs (lines tuple, address, fee, created_at, history, clock) for both;
   only the id differs per order.
2. **fire**: the kernel itself: ``order._fire("mark_out_of_stock", actor=..., note=...,
   change=...)`` then ``order._fire("restock", ...)`` with precomputed :class:`OrderChange`
   payloads (the cycle is repeatable and exercises a ``before`` hook, a guard, two candidates and
   event queuing), against ``BaselineOrder.fire`` with the same arguments. Each order fires the
   pair once per repeat, on fresh orders, so history tuples stay short. The public typed methods
   (``order.mark_out_of_stock([...])``, ``order.restock()``), which also validate their
   arguments and build the change, are reported for information; they are not in the ratio.
3. **memory**: bytes per order with 100,000 live orders of each kind (``tracemalloc`` snapshot
   difference / count), inputs shared as above; the list that holds them is allocated beforehand.
4. **growth**: 1,000,000 orders created and kept alive (200,000 with ``--quick``); the first and
   the last batch of 10,000 are timed (fastest of their sub-batches of 500);
   ``growth_ratio`` = last / first should stay near 1.0.
5. **typed**: the methods users call on an order, ``confirm``, ``ship`` (twice: some items, then
   the rest), ``add_tracking_event`` (three scans) and ``confirm_receipt`` (to ``DONE``), on fresh
   orders, against :class:`TypedBaselineOrder`, the same four methods written by hand on
   ``BaselineOrder``: same checks in the same order with the same errors, same values built with
   the library's classes (domain events, ``TransitionRecord``; a parcel is filled slot by slot
   from checked values), same guards choosing the destination, same record keeping. A
   self-check demands identical states, histories, parcels and events after every call, and
   drives both kinds with about twenty refused calls (wrong state, wrong types, bad text, unknown
   SKU or parcel, too many units, scans out of order or dated ahead of the clock): any call on
   which they disagree is printed as ``TYPED VALIDATION DIFFERS`` and listed in
   ``typed_validation_mismatches``, since the ratio then compares unequal work.
   ``typed_fire_ratio`` = sum over the seven calls of the best µs per call, ecservice / baseline.
6. **lifecycle** (:mod:`lifecycle`, also runnable alone to compare two source trees): a whole
   order through the public API, cart of two lines to ``DONE``, per second.
7. **history**: the 10th and the 10,000th transition of one aggregate (``Cart.set_quantity``,
   whose data does not grow), each timed one by one in a window of 10, median;
   ``history_ratio`` = 10,000th / 10th. In full mode also ``add_tracking_event`` on one parcel
   (history and scans both grow), for information.
8. For scale only, not the baseline: ``transitions`` with one ``Machine`` per order (same states,
   transitions, guards and hooks), create + fire on ~2,000 orders.

Targets: ``fire_ratio <= 3``, ``typed_fire_ratio <= 3``, ``create_ratio <= 2``,
``memory_ratio <= 2`` (ecservice / baseline), ``growth_ratio <= 1.5``, ``history_ratio <= 1.5``
(ideally ~1) and ``lifecycles_per_s >= 3 x`` the reference measured on the tree the work started
from (:data:`lifecycle.REFERENCE_PER_S`; machine-dependent, see ``benchmarks/README.md``).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import gc
import json
import platform
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

import attrs
import pendulum
import transitions
from pendulum import DateTime

from ecservice.clock import SYSTEM_CLOCK, Clock, FixedClock
from ecservice.errors import (
    CurrencyMismatch,
    GuardRejected,
    InvalidQuantity,
    InvalidTransition,
    NaiveDatetime,
    TrackingOutOfOrder,
    UnknownLine,
    ValidationError,
)
from ecservice.money import Money, sum_money
from ecservice.orders import (
    Address,
    Cancellation,
    Cart,
    LinesCancelled,
    Order,
    OrderCancelled,
    OrderChange,
    OrderCompleted,
    OrderConfirmed,
    OrderLine,
    OrderMarkedOutOfStock,
    OrderRestocked,
    OrderStatus,
    Presale,
    RefundDue,
    Shipment,
    ShipmentDispatched,
    ShipmentReceived,
    TrackingEvent,
    TrackingEventAdded,
)
from ecservice.text import check_optional_text, check_text
from ecservice.workflow import Actor, DomainEvent, TransitionRecord

if TYPE_CHECKING or __package__:
    from benchmarks import lifecycle
else:  # run as a script (``python benchmarks/kernel.py``): its directory is sys.path[0]
    import lifecycle

S = OrderStatus
NOTE: Final = "benchmark"
_UTC: Final = pendulum.UTC

SUB_BATCH: Final = 500

TARGETS: Final[dict[str, float]] = {
    "fire_ratio": 3.0,
    "typed_fire_ratio": 3.0,
    "history_ratio": 1.5,
    "create_ratio": 2.0,
    "memory_ratio": 2.0,
    "growth_ratio": 1.5,
}

# --------------------------------------------------------------------------------------------
# The hand-written baseline
# --------------------------------------------------------------------------------------------

Guard = Callable[["BaselineOrder", Mapping[str, object]], bool]
Hook = Callable[
    ["BaselineOrder", Mapping[str, object], DateTime, Actor, str, list[DomainEvent]], None
]
Candidate = tuple[OrderStatus | None, tuple[Guard, ...], tuple[Hook, ...]]


def _b_check_kernel_fields(
    oid: str,
    status: object,
    version: object,
    history: Sequence[TransitionRecord],
    clock: object,
) -> None:
    """Aggregate's construction checks: a state of the workflow, version = number of records,
    the history a run of the workflow (numbered, chained, actors, aware times in order, declared
    steps) ending in ``status``, a clock with ``now()``."""
    if not isinstance(status, OrderStatus):
        raise ValidationError(f"BaselineOrder {oid!r}: status must be an OrderStatus")
    if type(version) is not int or version < 0:
        raise ValidationError(f"BaselineOrder {oid!r}: version must be an int >= 0")
    if type(history) is not tuple and not isinstance(history, Sequence):
        raise ValidationError(f"BaselineOrder {oid!r}: history must be a tuple")
    if len(history) != version:
        raise ValidationError(f"BaselineOrder {oid!r}: {len(history)} records, version {version}")
    state: OrderStatus = S.PENDING_CONFIRMATION
    previous: _dt.datetime | None = None
    for i, record in enumerate(history, 1):
        if (
            type(record) is not TransitionRecord
            or record.version != i
            or record.source is not state
            or type(record.actor) is not Actor
            or not isinstance(record.at, _dt.datetime)
            or record.at.tzinfo is None
            or (previous is not None and record.at < previous)
            or (record.trigger, state, record.dest) not in STEPS
        ):
            raise ValidationError(f"BaselineOrder {oid!r}: history item {i} is not valid")
        state = record.dest  # type: ignore[assignment]  # checked against STEPS just above
        previous = record.at
    if state is not status:
        raise ValidationError(f"BaselineOrder {oid!r}: status {status} after a history to {state}")
    if type(clock) is not FixedClock and not callable(getattr(clock, "now", None)):
        raise ValidationError(f"BaselineOrder {oid!r}: clock must have a now() method")


def _b_check_progress(
    oid: str,
    lines: tuple[OrderLine, ...],
    shipments: tuple[Shipment, ...],
    cancellations: tuple[Cancellation, ...],
    out_of_stock: Sequence[str],
) -> None:
    """Rehydration invariants: unique shipment ids, known SKUs, shipped + cancelled <= ordered,
    out-of-stock SKUs distinct lines with open units."""
    ordered = {line.sku: line.quantity for line in lines}
    ids: set[str] = set()
    done: dict[str, int] = {}
    for s in shipments:
        if s.id in ids:
            raise ValidationError(f"order {oid!r} has two shipments with id {s.id!r}")
        ids.add(s.id)
        for sku, qty in s.items:
            done[sku] = done.get(sku, 0) + qty
    for c in cancellations:
        done[c.sku] = done.get(c.sku, 0) + c.quantity
    for sku, units in done.items():
        if sku not in ordered:
            raise UnknownLine(f"order {oid!r} has no line {sku!r}")
        if units > ordered[sku]:
            raise InvalidQuantity(f"order {oid!r}: {units} unit(s) of {sku!r} shipped or cancelled")
    seen: set[str] = set()
    for sku in out_of_stock:
        if not isinstance(sku, str) or sku in seen:
            raise ValidationError(f"out_of_stock must list distinct SKUs, got {sku!r:.60}")
        seen.add(sku)
        if sku not in ordered:
            raise UnknownLine(f"order {oid!r} has no line {sku!r}")
        if ordered[sku] - done.get(sku, 0) <= 0:
            raise InvalidQuantity(f"line {sku!r} is out of stock but has no open units")


class BaselineOrder:
    """An order as a plain slotted class: Order's fields and input validation, written by hand."""

    __slots__ = (
        "_events",
        "address",
        "buyer_id",
        "cancellations",
        "clock",
        "created_at",
        "history",
        "id",
        "lines",
        "out_of_stock",
        "presale",
        "remarks",
        "shipments",
        "shipping_fee",
        "status",
        "version",
    )

    def __init__(
        self,
        *,
        id: str,
        version: int = 0,
        history: tuple[TransitionRecord, ...] = (),
        clock: Clock = SYSTEM_CLOCK,
        status: OrderStatus = S.PENDING_CONFIRMATION,
        buyer_id: str,
        lines: Iterable[OrderLine],
        address: Address,
        shipping_fee: Money,
        created_at: _dt.datetime,
        remarks: str = "",
        presale: Presale | None = None,
        shipments: tuple[Shipment, ...] = (),
        cancellations: tuple[Cancellation, ...] = (),
        out_of_stock: tuple[str, ...] = (),
    ) -> None:
        # Aggregate's id validator.
        if not isinstance(id, str) or not id:
            raise ValidationError(f"BaselineOrder needs a non-empty str id, got {id!r}")
        _b_check_kernel_fields(id, status, version, history, clock)
        # text("buyer_id"): acceptable short text, already stripped
        if check_text(buyer_id, "buyer_id") != buyer_id:
            raise ValidationError("buyer_id must not start or end with white space")
        # lines: converter (a tuple or list), then the validator
        if not isinstance(lines, tuple | list):
            raise ValidationError(f"lines must be a tuple of OrderLine, not {type(lines).__name__}")
        lines = tuple(lines)
        if not lines:
            raise InvalidQuantity("an order needs at least one line")
        if not isinstance(lines[0], OrderLine):
            raise ValidationError(f"order lines must be OrderLine, not {type(lines[0]).__name__}")
        currency = lines[0].unit_price.currency
        seen: set[str] = set()
        for line in lines:
            if not isinstance(line, OrderLine):
                raise ValidationError(f"order lines must be OrderLine, not {type(line).__name__}")
            if line.sku in seen:
                raise ValidationError(f"SKU {line.sku!r} appears on two lines; merge them")
            seen.add(line.sku)
            if line.unit_price.currency is not currency and line.unit_price.currency != currency:
                raise CurrencyMismatch(currency.code, line.unit_price.currency.code, "mix")
        if not isinstance(address, Address):
            raise ValidationError(f"address must be an Address, not {type(address).__name__}")
        # ensure_utc(created_at)
        if not isinstance(created_at, _dt.datetime):
            raise ValidationError(f"datetime must be a timezone-aware datetime, not {created_at!r}")
        if isinstance(created_at, DateTime) and created_at.tzinfo is _UTC:
            created = created_at
        elif created_at.tzinfo is None or created_at.utcoffset() is None:
            raise NaiveDatetime(f"datetime {created_at.isoformat()} has no time zone")
        else:
            created = pendulum.instance(created_at.astimezone(_dt.UTC)).in_tz(_UTC)
        if remarks and check_optional_text(remarks, "remarks") != remarks:
            raise ValidationError("remarks must not start or end with white space")
        if presale is not None and not isinstance(presale, Presale):
            raise ValidationError(
                f"presale must be a Presale or None, not {type(presale).__name__}"
            )
        for what, values, kind in (
            ("shipments", shipments, Shipment),
            ("cancellations", cancellations, Cancellation),
        ):
            if not isinstance(values, tuple | list):
                raise ValidationError(f"{what} must be a tuple, not {type(values).__name__}")
            for item in values:
                if not isinstance(item, kind):
                    raise ValidationError(f"{what} must hold {kind.__name__} values")
        if not isinstance(out_of_stock, tuple | list):
            raise ValidationError(f"out_of_stock must be a tuple of SKUs, not {out_of_stock!r}")
        # __attrs_post_init__
        if not isinstance(shipping_fee, Money):
            raise ValidationError(f"shipping_fee must be Money, not {type(shipping_fee).__name__}")
        if shipping_fee.currency is not currency and shipping_fee.currency != currency:
            raise CurrencyMismatch(currency.code, shipping_fee.currency.code, "mix")
        if shipping_fee.is_negative():
            raise ValidationError(f"shipping_fee must not be negative: {shipping_fee}")
        deposit = None if presale is None else presale.deposit
        if (
            deposit is not None
            and deposit.currency is not currency
            and deposit.currency != currency
        ):
            raise CurrencyMismatch(currency.code, deposit.currency.code, "mix")
        if shipments or cancellations or out_of_stock:
            _b_check_progress(id, lines, tuple(shipments), tuple(cancellations), out_of_stock)
        self.id = id
        self.version = version
        self.history = history
        self.clock = clock
        self._events: tuple[DomainEvent, ...] = ()
        self.status = status
        self.buyer_id = buyer_id
        self.lines = lines
        self.address = address
        self.shipping_fee = shipping_fee
        self.created_at = created
        self.remarks = remarks
        self.presale = presale
        self.shipments = tuple(shipments)
        self.cancellations = tuple(cancellations)
        self.out_of_stock = tuple(out_of_stock)

    def fire(
        self, trigger: str, /, *, actor: Actor, note: str = "", **payload: object
    ) -> TransitionRecord:
        """Fire ``trigger`` through :data:`ORDER_TABLE` (same call shape as ``Order._fire``)."""
        state = self.status
        candidates = ORDER_TABLE.get((state, trigger))
        if candidates is None:
            raise InvalidTransition(
                trigger, state.name, ALLOWED.get(state, ()), subject=f"BaselineOrder {self.id!r}"
            )
        at = self.clock.now()
        chosen: Candidate | None = None
        for cand in candidates:
            for guard in cand[1]:
                if not guard(self, payload):
                    break
            else:
                chosen = cand
                break
        if chosen is None:
            raise GuardRejected(
                trigger, state.name, ["no guard passed"], subject=f"BaselineOrder {self.id!r}"
            )
        dest, _, hooks = chosen
        events: list[DomainEvent] = []
        # Atomic like the kernel: a hand-written table saves what its hooks may assign and puts
        # it back if a hook raises.
        saved = (self.shipments, self.cancellations, self.out_of_stock, self.address)
        try:
            for hook in hooks:
                hook(self, payload, at, actor, note, events)
        except BaseException:
            self.shipments, self.cancellations, self.out_of_stock, self.address = saved
            raise
        if dest is None:
            dest = state
        else:
            self.status = dest
        version = self.version + 1
        record = TransitionRecord(trigger, state, dest, at, actor, note, version)
        self.version = version
        self.history = (*self.history, record)
        if events:
            self._events = (*self._events, *events)
        return record

    def pull_events(self) -> tuple[DomainEvent, ...]:
        """Return and clear the queued events."""
        events = self._events
        self._events = ()
        return events

    def cancelled_value(self) -> Money:
        """Value of cancelled units, plus shipping once every unit is cancelled."""
        currency = self.lines[0].unit_price.currency
        price = {line.sku: line.unit_price for line in self.lines}
        value = sum_money((price[c.sku] * c.quantity for c in self.cancellations), currency)
        if sum(c.quantity for c in self.cancellations) == sum(x.quantity for x in self.lines):
            value = value + self.shipping_fee
        return value


def _b_change(order: BaselineOrder, payload: Mapping[str, object]) -> OrderChange:
    change = payload.get("change")
    if isinstance(change, OrderChange):
        return change
    return OrderChange(
        shipments=order.shipments,
        cancellations=order.cancellations,
        out_of_stock=order.out_of_stock,
        address=order.address,
    )


def _b_open_after(order: BaselineOrder, change: OrderChange) -> dict[str, int]:
    left = {line.sku: line.quantity for line in order.lines}
    for shipment in change.shipments:
        for sku, qty in shipment.items:
            left[sku] -= qty
    for c in change.cancellations:
        left[c.sku] -= c.quantity
    return left


def b_nothing_travels(order: BaselineOrder, payload: Mapping[str, object]) -> bool:
    """No parcel is still travelling."""
    return not any(s.received_at is None for s in _b_change(order, payload).shipments)


def b_all_settled(order: BaselineOrder, payload: Mapping[str, object]) -> bool:
    """Every unit is shipped or cancelled."""
    return not any(_b_open_after(order, _b_change(order, payload)).values())


def b_all_cancelled(order: BaselineOrder, payload: Mapping[str, object]) -> bool:
    """Every unit is cancelled."""
    cancelled = sum(c.quantity for c in _b_change(order, payload).cancellations)
    return cancelled == sum(line.quantity for line in order.lines)


def b_nothing_shipped(order: BaselineOrder, payload: Mapping[str, object]) -> bool:
    """No unit has been shipped yet."""
    return not _b_change(order, payload).shipments


def b_stock_restored(order: BaselineOrder, payload: Mapping[str, object]) -> bool:
    """No line is missing from stock any more."""
    return not _b_change(order, payload).out_of_stock


def b_apply_change(
    order: BaselineOrder,
    payload: Mapping[str, object],
    at: DateTime,
    actor: Actor,
    note: str,
    events: list[DomainEvent],
) -> None:
    """Assign the proposed change and queue its events."""
    change = payload.get("change")
    if not isinstance(change, OrderChange):
        return
    refund: Money | None = None
    if change.cancellations != order.cancellations:
        before = order.cancelled_value()
        order.cancellations = change.cancellations
        refund = order.cancelled_value() - before
    order.shipments = change.shipments
    order.out_of_stock = change.out_of_stock
    order.address = change.address
    events.extend(change.events)
    if refund is not None and refund:
        reason = payload.get("reason")
        events.append(
            RefundDue(
                aggregate_id=order.id,
                occurred_at=at,
                actor=actor,
                amount=refund,
                reason=reason if isinstance(reason, str) else note,
                order_version=order.version + 1,
            )
        )


def b_emit_completed(
    order: BaselineOrder,
    payload: Mapping[str, object],
    at: DateTime,
    actor: Actor,
    note: str,
    events: list[DomainEvent],
) -> None:
    """Queue OrderCompleted."""
    events.append(OrderCompleted(aggregate_id=order.id, occurred_at=at, actor=actor))


def b_emit_cancelled(
    order: BaselineOrder,
    payload: Mapping[str, object],
    at: DateTime,
    actor: Actor,
    note: str,
    events: list[DomainEvent],
) -> None:
    """Queue OrderCancelled."""
    reason = payload.get("reason")
    events.append(
        OrderCancelled(
            aggregate_id=order.id,
            occurred_at=at,
            actor=actor,
            reason=reason if isinstance(reason, str) else note,
        )
    )


_APPLY: Final[tuple[Hook, ...]] = (b_apply_change,)
_TO_DONE: Final[Candidate] = (
    S.DONE,
    (b_nothing_travels, b_all_settled),
    (b_apply_change, b_emit_completed),
)
_TO_CANCELLED_ALL: Final[Candidate] = (
    S.CANCELLED,
    (b_all_cancelled,),
    (b_apply_change, b_emit_cancelled),
)
_INTERNAL: Final[Candidate] = (None, (), _APPLY)

#: The default order workflow, written out by hand.
ORDER_TABLE: Final[dict[tuple[OrderStatus, str], tuple[Candidate, ...]]] = {
    (S.PENDING_CONFIRMATION, "confirm"): ((S.PROCESSING, (), _APPLY),),
    (S.PENDING_CONFIRMATION, "cancel"): (
        (S.CANCELLED, (b_nothing_shipped,), (b_apply_change, b_emit_cancelled)),
    ),
    (S.PENDING_CONFIRMATION, "cancel_lines"): (_TO_CANCELLED_ALL, _INTERNAL),
    (S.PROCESSING, "mark_out_of_stock"): ((S.OUT_OF_STOCK, (), _APPLY),),
    (S.PROCESSING, "ship"): ((S.IN_TRANSIT, (), _APPLY),),
    (S.PROCESSING, "cancel"): (
        (S.CANCELLED, (b_nothing_shipped,), (b_apply_change, b_emit_cancelled)),
    ),
    (S.PROCESSING, "cancel_lines"): (_TO_CANCELLED_ALL, _TO_DONE, _INTERNAL),
    (S.OUT_OF_STOCK, "restock"): ((S.PROCESSING, (b_stock_restored,), _APPLY), _INTERNAL),
    (S.OUT_OF_STOCK, "cancel"): (
        (S.CANCELLED, (b_nothing_shipped,), (b_apply_change, b_emit_cancelled)),
    ),
    (S.OUT_OF_STOCK, "cancel_lines"): (
        _TO_CANCELLED_ALL,
        _TO_DONE,
        (S.PROCESSING, (b_stock_restored,), _APPLY),
        _INTERNAL,
    ),
    (S.IN_TRANSIT, "ship"): (_INTERNAL,),
    (S.IN_TRANSIT, "add_tracking_event"): (_INTERNAL,),
    (S.IN_TRANSIT, "confirm_receipt"): (
        _TO_DONE,
        (S.PROCESSING, (b_nothing_travels,), _APPLY),
        _INTERNAL,
    ),
    (S.IN_TRANSIT, "auto_confirm"): (
        _TO_DONE,
        (S.PROCESSING, (b_nothing_travels,), _APPLY),
        _INTERNAL,
    ),
    (S.IN_TRANSIT, "cancel_lines"): (_INTERNAL,),
}

#: Every (trigger, source, destination) the workflow declares (internal: destination = source).
STEPS: Final[frozenset[tuple[str, OrderStatus, OrderStatus]]] = frozenset(
    (trigger, state, state if dest is None else dest)
    for (state, trigger), candidates in ORDER_TABLE.items()
    for dest, _, _ in candidates
)

ALLOWED: Final[dict[OrderStatus, tuple[str, ...]]] = {
    state: tuple(sorted(t for (s, t) in ORDER_TABLE if s is state)) for state in S
}

# --------------------------------------------------------------------------------------------
# The hand-written typed methods (what users call: confirm, ship, add_tracking_event,
# confirm_receipt)
# --------------------------------------------------------------------------------------------

_new_shipment = object.__new__
_put = object.__setattr__
_SHIPMENT_SLOTS: Final = tuple(f.name for f in attrs.fields(Shipment))


def _shipment_with(s: Shipment, **changes: object) -> Shipment:
    """A copy of ``s`` with ``changes``, fields copied slot by slot (nothing re-validated).

    This is how a hand-written order would update one field of a parcel whose other fields were
    validated when it was built: the new values are checked by the caller.
    """
    new = _new_shipment(Shipment)
    for name in _SHIPMENT_SLOTS:
        _put(new, name, changes[name] if name in changes else getattr(s, name))
    return new


#: How far ahead of the clock a carrier's scan may be dated (``Order.tracking_lead``).
TRACKING_LEAD: Final = _dt.timedelta(hours=1)


def _b_quantities(items: object) -> dict[str, int]:
    """``{sku: quantity}`` checked: a mapping of SKU text to positive whole numbers."""
    if not isinstance(items, Mapping):
        raise InvalidQuantity(
            f"items must be a mapping {{sku: quantity}}, not {type(items).__name__}"
        )
    merged: dict[str, int] = {}
    for sku, qty in items.items():
        check_text(sku, "sku")
        if isinstance(qty, bool) or not isinstance(qty, int) or qty <= 0:
            raise InvalidQuantity(f"quantity of {sku!r} must be a positive whole number")
        merged[sku] = merged.get(sku, 0) + qty
    if not merged:
        raise InvalidQuantity("name at least one line and a quantity")
    return merged


class TypedBaselineOrder(BaselineOrder):
    """BaselineOrder with the four typed methods of a lifecycle, written by hand.

    Each method does what the corresponding :class:`~ecservice.orders.Order` method does, in
    one pass: the trigger is checked against the state first (``InvalidTransition``), then the
    actor (an ``Actor``), the note (:func:`~ecservice.text.check_optional_text`) and the
    arguments, with the same errors; then it builds the same values with the library's classes
    (the domain events, ``TransitionRecord``; a ``Shipment`` is filled slot by slot from the
    values it has just checked, and a parcel's updated copy does not re-validate the fields it
    keeps, :func:`_shipment_with`), picks the destination with the same guards, assigns the
    fields, appends the record, bumps the version and queues the events. Everything is checked
    before anything is assigned, so a refused call leaves the order as it was. What it skips is
    what a hand-written class need not do: no payload dict, no ``OrderChange``, no ``Context``, no
    snapshot, no re-entry guard.
    """

    __slots__ = ()

    def _start(self, trigger: str, actor: object, note: object) -> str:
        if (self.status, trigger) not in ORDER_TABLE:
            raise InvalidTransition(
                trigger,
                self.status.name,
                ALLOWED.get(self.status, ()),
                subject=f"BaselineOrder {self.id!r}",
            )
        if not isinstance(actor, Actor):
            raise ValidationError(f"actor must be an Actor, not {type(actor).__name__}")
        return check_optional_text(note, "note")

    def _commit(
        self,
        trigger: str,
        dest: OrderStatus,
        at: DateTime,
        actor: Actor,
        note: str,
        events: tuple[DomainEvent, ...],
    ) -> TransitionRecord:
        source = self.status
        version = self.version + 1
        record = TransitionRecord(trigger, source, dest, at, actor, note, version)
        self.status = dest
        self.version = version
        self.history = (*self.history, record)
        self._events = (*self._events, *events)
        return record

    def _open(self) -> dict[str, int]:
        left = {line.sku: line.quantity for line in self.lines}
        for s in self.shipments:
            for sku, qty in s.items:
                left[sku] -= qty
        for c in self.cancellations:
            left[c.sku] -= c.quantity
        return left

    def _find(self, shipment_id: object) -> Shipment:
        for s in self.shipments:
            if s.id == shipment_id:
                return s
        known = ", ".join(repr(s.id) for s in self.shipments) or "none"
        raise ValidationError(
            f"order {self.id!r} has no shipment {shipment_id!r}; its shipments: {known}"
        )

    def confirm(
        self, *, actor: Actor, address: Address | None = None, note: str = ""
    ) -> TransitionRecord:
        """Confirm: PENDING_CONFIRMATION -> PROCESSING, address possibly corrected."""
        note = self._start("confirm", actor, note)
        if address is not None and not isinstance(address, Address):
            raise ValidationError(f"address must be an Address, not {type(address).__name__}")
        at = self.clock.now()
        if address is not None:
            self.address = address
        event = OrderConfirmed(aggregate_id=self.id, occurred_at=at, actor=actor)
        return self._commit("confirm", S.PROCESSING, at, actor, note, (event,))

    def ship(
        self,
        *,
        carrier: str,
        tracking_no: str,
        actor: Actor,
        items: Mapping[str, int] | None = None,
        warehouse: str = "main",
        shipment_id: str | None = None,
        note: str = "",
    ) -> TransitionRecord:
        """Ship all open units or ``items``: PROCESSING -> IN_TRANSIT, or internal in transit."""
        note = self._start("ship", actor, note)
        carrier = check_text(carrier, "carrier")
        tracking_no = check_text(tracking_no, "tracking number")
        warehouse = check_text(warehouse, "warehouse")
        left = self._open()
        if items is None:
            wanted = {sku: qty for sku, qty in left.items() if qty}
            if not wanted:
                raise InvalidQuantity(f"order {self.id!r} has no open units left to ship")
        else:
            wanted = _b_quantities(items)
        for sku, qty in wanted.items():
            if sku not in left:
                raise UnknownLine(f"order {self.id!r} has no line {sku!r}")
            if qty > left[sku]:
                raise InvalidQuantity(
                    f"cannot ship {qty} of {sku!r}: only {left[sku]} unit(s) are open"
                )
        sid = (
            f"{self.id}-S{len(self.shipments) + 1}"
            if shipment_id is None
            else check_text(shipment_id, "shipment id")
        )
        if any(s.id == sid for s in self.shipments):
            raise ValidationError(f"order {self.id!r} already has a shipment {sid!r}")
        at = self.clock.now()
        shipment = _new_shipment(Shipment)  # every field checked above: filled slot by slot
        for name, value in (
            ("id", sid),
            ("warehouse", warehouse),
            ("carrier", carrier),
            ("tracking_no", tracking_no),
            ("items", tuple(sorted(wanted.items()))),
            ("shipped_at", at),
            ("events", ()),
            ("received_at", None),
            ("received_by", None),
        ):
            _put(shipment, name, value)
        event = ShipmentDispatched(
            aggregate_id=self.id, occurred_at=at, actor=actor, shipment=shipment
        )
        self.shipments = (*self.shipments, shipment)
        return self._commit("ship", S.IN_TRANSIT, at, actor, note, (event,))

    def add_tracking_event(
        self, shipment_id: str, event: TrackingEvent, *, actor: Actor, note: str = ""
    ) -> TransitionRecord:
        """Append a carrier scan to a travelling parcel (internal transition)."""
        note = self._start("add_tracking_event", actor, note)
        if not isinstance(event, TrackingEvent):
            raise ValidationError(f"event must be a TrackingEvent, not {type(event).__name__}")
        shipment = self._find(shipment_id)
        if shipment.received_at is not None:
            raise ValidationError(f"shipment {shipment_id!r} was already received")
        last = shipment.events[-1].at if shipment.events else shipment.shipped_at
        if event.at < last:
            raise TrackingOutOfOrder(
                f"tracking event at {event.at.isoformat()} is older than {last.isoformat()}"
            )
        at = self.clock.now()
        if _dt.datetime.__sub__(event.at, at) > TRACKING_LEAD:
            raise ValidationError(f"tracking event at {event.at.isoformat()} is in the future")
        updated = _shipment_with(shipment, events=(*shipment.events, event))
        self.shipments = tuple(updated if s is shipment else s for s in self.shipments)
        added = TrackingEventAdded(
            aggregate_id=self.id, occurred_at=at, actor=actor, shipment_id=shipment.id, event=event
        )
        return self._commit("add_tracking_event", self.status, at, actor, note, (added,))

    def confirm_receipt(
        self, shipment_id: str | None = None, *, actor: Actor, note: str = ""
    ) -> TransitionRecord:
        """The buyer receives one parcel or all travelling ones; DONE when all is delivered."""
        note = self._start("confirm_receipt", actor, note)
        if shipment_id is None:
            wanted = {s.id for s in self.shipments if s.received_at is None}
        else:
            if self._find(shipment_id).received_at is not None:
                raise ValidationError(f"shipment {shipment_id!r} was already received")
            wanted = {shipment_id}
        at = self.clock.now()
        shipments = tuple(
            _shipment_with(s, received_at=at, received_by=actor) if s.id in wanted else s
            for s in self.shipments
        )
        events: tuple[DomainEvent, ...] = tuple(
            ShipmentReceived(
                aggregate_id=self.id, occurred_at=at, actor=actor, shipment_id=sid, automatic=False
            )
            for sid in sorted(wanted)
        )
        self.shipments = shipments
        # The workflow's guards, in its order: nothing travels and all settled -> DONE (with
        # OrderCompleted), nothing travels -> PROCESSING, else internal.
        dest = self.status
        if not any(s.received_at is None for s in shipments):
            dest = S.DONE if not any(self._open().values()) else S.PROCESSING
        if dest is S.DONE:
            events = (*events, OrderCompleted(aggregate_id=self.id, occurred_at=at, actor=actor))
        return self._commit("confirm_receipt", dest, at, actor, note, events)


# --------------------------------------------------------------------------------------------
# Shared data
# --------------------------------------------------------------------------------------------


@attrs.frozen
class Data:
    """The inputs both kinds of order are built from (shared, as a repository would share them)."""

    clock: FixedClock
    staff: Actor
    lines: tuple[OrderLine, ...]
    address: Address
    fee: Money
    created_at: DateTime
    history: tuple[TransitionRecord, ...]
    out: OrderChange
    back: OrderChange


def make_data() -> Data:
    """Build the shared inputs and the precomputed mark_out_of_stock / restock payloads."""
    clock = FixedClock(pendulum.datetime(2026, 11, 11, 9, 30, tz="Asia/Shanghai"))
    staff = Actor.staff("kefu-07")
    lines = (
        OrderLine(
            sku="TEA-250",
            name="Longjing tea 250 g",
            unit_price=Money("88.00", "CNY"),
            quantity=3,
            weight_kg=Decimal("0.3"),
        ),
        OrderLine(
            sku="CUP-01",
            name="Celadon cup",
            unit_price=Money("45.50", "CNY"),
            quantity=1,
            weight_kg=Decimal("0.4"),
        ),
    )
    address = Address(
        recipient="王小明",
        phone="138 0013 8000",
        province="浙江省",
        city="杭州市",
        district="西湖区",
        street="龙井路 1 号",
    )
    now = clock.now()
    confirmed = TransitionRecord(
        "confirm", S.PENDING_CONFIRMATION, S.PROCESSING, now, staff, "checked", 1
    )
    base: dict[str, Any] = {"shipments": (), "cancellations": (), "address": address}
    event_base: dict[str, Any] = {"aggregate_id": "O-1", "occurred_at": now, "actor": staff}
    out = OrderChange(
        out_of_stock=("CUP-01",),
        events=(OrderMarkedOutOfStock(**event_base, skus=("CUP-01",)),),
        **base,
    )
    back = OrderChange(
        out_of_stock=(), events=(OrderRestocked(**event_base, skus=("CUP-01",)),), **base
    )
    return Data(clock, staff, lines, address, Money("16.00", "CNY"), now, (confirmed,), out, back)


def new_order(d: Data, oid: str) -> Order:
    """Rehydrate a processing Order (every field given, as a repository does)."""
    return Order(
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
        remarks="",
        presale=None,
        shipments=(),
        cancellations=(),
        out_of_stock=(),
    )


def new_baseline(d: Data, oid: str) -> BaselineOrder:
    """The same, as a BaselineOrder."""
    return BaselineOrder(
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
        remarks="",
        presale=None,
        shipments=(),
        cancellations=(),
        out_of_stock=(),
    )


def ids(prefix: str, start: int, count: int) -> list[str]:
    """Distinct order ids (made outside the timed and traced regions)."""
    return [f"{prefix}-{i:08d}" for i in range(start, start + count)]


# --------------------------------------------------------------------------------------------
# Self-check: the baseline behaves like the kernel
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Measurements
# --------------------------------------------------------------------------------------------


#: Operations per timed chunk in the create and fire measurements.
CHUNK: Final = 50


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


def _traced_bytes_per_item(n: int, build: Callable[[int], object]) -> tuple[float, list[object]]:
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
    k_bytes, k_keep = _traced_bytes_per_item(n, lambda i: new_order(d, names[i]))
    b_bytes, b_keep = _traced_bytes_per_item(n, lambda i: new_baseline(d, names[i]))
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
    mem, kept = _traced_bytes_per_item(min(n, 500), lambda i: build(names[i]))
    del kept
    gc.collect()
    return {
        "create_us": (t1 - t0) / n / 1000.0,
        "fire_us": (t3 - t1) / (2 * n) / 1000.0,
        "bytes_per_order": mem,
    }


# --------------------------------------------------------------------------------------------
# The typed methods users call, and history length
# --------------------------------------------------------------------------------------------


@attrs.frozen
class Typed:
    """Inputs of the typed-method sequence: actors and the three tracking events."""

    buyer: Actor
    carrier: Actor
    scans: tuple[TrackingEvent, TrackingEvent, TrackingEvent]


def make_typed(d: Data) -> Typed:
    """Actors and tracking events shared by every order of the typed-method measurement."""
    now = d.clock.now()
    return Typed(
        buyer=Actor.buyer("u-1001"),
        carrier=Actor.carrier("sf-express"),
        scans=(
            TrackingEvent(at=now, description="Collected", location="Hangzhou"),
            TrackingEvent(at=now, description="Out for delivery"),
            TrackingEvent(at=now, description="Collected", location="Hangzhou"),
        ),
    )


def new_pending(d: Data, oid: str, cls: type[Order[Any]] | type[BaselineOrder]) -> Any:
    """A new order awaiting confirmation (as ``Cart.place_order`` leaves it), of either kind."""
    return cls(
        id=oid,
        status=S.PENDING_CONFIRMATION,
        version=0,
        history=(),
        clock=d.clock,
        buyer_id="u-1001",
        lines=d.lines,
        address=d.address,
        shipping_fee=d.fee,
        created_at=d.created_at,
    )


#: Orders per timed chunk in the typed-method measurement.
TYPED_CHUNK: Final = 25

#: The methods of the typed-method measurement, in the order they are called.
TYPED_STEPS: Final = (
    "confirm",
    "ship",
    "ship",
    "add_tracking_event",
    "add_tracking_event",
    "add_tracking_event",
    "confirm_receipt",
)


Call = Callable[[Any], object]


def _typed_calls(d: Data, t: Typed) -> list[Call]:
    """One callable per step of :data:`TYPED_STEPS`, for an order of either kind."""
    staff, buyer, carrier = d.staff, t.buyer, t.carrier
    s1, s2, s3 = t.scans
    tea = {"TEA-250": 3}
    return [
        lambda o: o.confirm(actor=staff, note=NOTE),
        lambda o: o.ship(carrier="SF", tracking_no="SF1001", items=tea, actor=staff),
        lambda o: o.ship(carrier="YTO", tracking_no="YT2002", actor=staff),
        lambda o: o.add_tracking_event(o.id + "-S1", s1, actor=carrier),
        lambda o: o.add_tracking_event(o.id + "-S1", s2, actor=carrier),
        lambda o: o.add_tracking_event(o.id + "-S2", s3, actor=carrier),
        lambda o: o.confirm_receipt(actor=buyer),
    ]


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
    calls = _typed_calls(d, t)
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


def bench_typed(d: Data, t: Typed, n: int, repeats: int) -> dict[str, Any]:
    """µs per typed call, Order vs TypedBaselineOrder, step by step, interleaved chunk by chunk.

    Every repeat builds ``n`` fresh orders of each kind (not timed), then for each step of
    :data:`TYPED_STEPS` fires it on the orders in chunks of :data:`TYPED_CHUNK`: a chunk of Order
    instances, then the same chunk of baseline instances (the other way round every other
    chunk). Each step's figure is its fastest chunk: chunks are short (a fraction of a
    millisecond), so the fastest ones ran undisturbed by other processes.
    """
    calls = _typed_calls(d, t)
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


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


def _ratio_line(what: str, k: float, b: float, unit: str, key: str) -> tuple[str, bool]:
    ratio = k / b
    ok = ratio <= TARGETS[key]
    verdict = "ok" if ok else "TARGET MISSED"
    return (
        f"  {what:<58} {k:>10.3f} {b:>10.3f} {unit:<3} {ratio:>6.2f}x  "
        f"<= {TARGETS[key]:g}  {verdict}",
        ok,
    )


def run(quick: bool) -> dict[str, Any]:
    """Run every measurement, print the table and return the JSON-ready results."""
    started = time.perf_counter()
    if quick:
        n_create, n_fire, repeats, n_mem, n_growth, n_trans = 5_000, 5_000, 5, 20_000, 200_000, 200
        n_typed, n_carts, n_orders = 500, 1, 0
    else:
        n_create, n_fire, repeats, n_mem, n_growth, n_trans = (
            20_000,
            20_000,
            15,
            100_000,
            1_000_000,
            2_000,
        )
        n_typed, n_carts, n_orders = 10_000, 5, 3
    batch = 10_000
    late = 10_000
    d = make_data()
    self_check(d)
    t = make_typed(d)
    mismatches = self_check_typed(d, t)
    shop = lifecycle.make_shop()
    lifecycle.check(shop)

    k_create, b_create = bench_create(d, n_create, repeats)
    fire = bench_fire(d, n_fire, repeats)
    typed = bench_typed(d, t, n_typed, repeats)
    n_life, life_repeats = lifecycle.counts(quick)
    life_us = lifecycle.measure(shop, n_life, life_repeats)
    history = bench_history(d, n_carts, n_orders, late)
    k_mem, b_mem = bench_memory(d, n_mem)
    first, last = bench_growth(d, n_growth, batch, new_order)
    b_first, b_last = bench_growth(d, n_growth, batch, new_baseline)
    trans = bench_transitions(d, n_trans)

    growth = last / first
    growth_ok = growth <= TARGETS["growth_ratio"]
    cart_early, cart_late = history["cart_early_us"], history["cart_late_us"]
    if cart_early is None or cart_late is None:
        raise AssertionError("the history measurement timed no cart transition")
    history_ratio = cart_late / cart_early
    track_early, track_late = history["tracking_early_us"], history["tracking_late_us"]
    track_ratio = None if track_early is None or track_late is None else track_late / track_early
    history_ok = history_ratio <= TARGETS["history_ratio"]
    life_per_s = 1e6 / life_us
    life_target = lifecycle.REFERENCE_PER_S * lifecycle.TARGET_FACTOR
    life_ok = life_per_s >= life_target
    mode = "quick" if quick else "full"
    print(
        f"ecservice workflow kernel vs hand-written dict table ({mode} mode; "
        f"{platform.python_implementation()} {platform.python_version()}; "
        f"best of {repeats} repeats, gc off while timing)"
    )
    print(
        f"  {'measure (order workflow)':<58} {'ecservice':>10} {'baseline':>10} "
        f"{'':<3} {'ratio':>7}  target"
    )
    lines = [
        _ratio_line(
            f"create: rehydrate 1 order, all fields + validation (x{n_create:,})",
            k_create,
            b_create,
            "µs",
            "create_ratio",
        ),
        _ratio_line(
            f"fire: kernel _fire/fire, mark_out_of_stock+restock (x{n_fire:,})",
            fire["k_fire"],
            fire["b_fire"],
            "µs",
            "fire_ratio",
        ),
        _ratio_line(
            f"typed: confirm, 2 ship, 3 add_tracking_event, confirm_receipt (x{n_typed:,})",
            typed["k_total"],
            typed["b_total"],
            "µs",
            "typed_fire_ratio",
        ),
        _ratio_line(
            f"memory: bytes per live order ({n_mem:,} of each alive)",
            k_mem,
            b_mem,
            "B",
            "memory_ratio",
        ),
    ]
    for text, _ in lines:
        print(text)
    print("  detail (µs per call, typed methods, Order vs hand-written):")
    for step, (k_us, b_us) in typed["per_method"].items():
        print(f"    {step:<20} ecservice {k_us:7.3f}, baseline {b_us:7.3f} = {k_us / b_us:5.2f}x")
    if mismatches:
        print("  TYPED VALIDATION DIFFERS (the typed ratio compares unequal work):")
        for m in mismatches:
            print(f"    {m}")
    print("  detail (µs per fire, kernel):")
    print(
        f"    mark_out_of_stock (1 candidate, before hook): ecservice {fire['k_out']:.3f}, "
        f"baseline {fire['b_out']:.3f}"
    )
    print(
        f"    restock (2 candidates, 1 guard, before hook): ecservice {fire['k_back']:.3f}, "
        f"baseline {fire['b_back']:.3f}"
    )
    print(
        f"  lifecycle, public API, cart of 2 lines to done, 2 parcels, 3 scans "
        f"(x{n_life:,}): {life_us:.1f} µs = {life_per_s:,.0f}/s "
        f"(>= {life_target:,.0f}/s, {lifecycle.TARGET_FACTOR:g}x the reference "
        f"{lifecycle.REFERENCE_PER_S:,.0f}/s) {'ok' if life_ok else 'TARGET MISSED'}"
    )
    print(
        f"  history: transition no. {late:,} / no. 10 of one cart (set_quantity, "
        f"median of {n_carts} cart(s) x 10): {cart_late:.2f} / {cart_early:.2f} µs = "
        f"{history_ratio:.2f}x (~1, <= {TARGETS['history_ratio']:g}) "
        f"{'ok' if history_ok else 'TARGET MISSED'}"
    )
    if track_ratio is not None:
        print(
            f"    for information, one parcel's scans also grow (add_tracking_event, "
            f"{n_orders} order(s)): {track_late:.2f} / {track_early:.2f} µs = {track_ratio:.2f}x"
        )
    print("  for information, not in any ratio:")
    print(
        f"    typed public methods (argument checks + change + _fire): "
        f"order.mark_out_of_stock([...]) {fire['t_out']:.3f} µs, "
        f"order.restock() {fire['t_back']:.3f} µs"
    )
    print(
        f"    transitions, one Machine per order (NOT the baseline; x{n_trans:,}): create "
        f"{trans['create_us']:,.1f} µs, fire {trans['fire_us']:.2f} µs, "
        f"{trans['bytes_per_order']:,.0f} B per order"
    )
    verdict = "ok" if growth_ok else "TARGET MISSED"
    print(
        f"  growth: {n_growth:,} orders kept alive, µs per create in first / last "
        f"{batch:,}: ecservice {first:.3f} / {last:.3f} = {growth:.2f}x "
        f"(<= {TARGETS['growth_ratio']:g}) {verdict}; baseline {b_first:.3f} / {b_last:.3f} "
        f"= {b_last / b_first:.2f}x"
    )
    met = all(ok for _, ok in lines) and growth_ok and history_ok and life_ok and not mismatches
    print(
        f"  targets: {'all met' if met else 'TARGET MISSED (see lines above)'}; "
        f"{time.perf_counter() - started:.1f} s"
    )
    return {
        "mode": mode,
        "python": platform.python_version(),
        "repeats": repeats,
        "create_ratio": k_create / b_create,
        "fire_ratio": fire["k_fire"] / fire["b_fire"],
        "typed_fire_ratio": typed["ratio"],
        "memory_ratio": k_mem / b_mem,
        "ecservice_create_us": k_create,
        "baseline_create_us": b_create,
        "ecservice_fire_us": fire["k_fire"],
        "baseline_fire_us": fire["b_fire"],
        "ecservice_fire_mark_out_of_stock_us": fire["k_out"],
        "baseline_fire_mark_out_of_stock_us": fire["b_out"],
        "ecservice_fire_restock_us": fire["k_back"],
        "baseline_fire_restock_us": fire["b_back"],
        "ecservice_typed_sequence_us": typed["k_total"],
        "baseline_typed_sequence_us": typed["b_total"],
        **{
            f"{side}_typed_{step}_us": typed["per_method"][step][j]
            for step in typed["per_method"]
            for j, side in enumerate(("ecservice", "baseline"))
        },
        "typed_validation_mismatches": mismatches,
        "lifecycle_us": life_us,
        "lifecycles_per_s": life_per_s,
        "lifecycles_per_s_reference": lifecycle.REFERENCE_PER_S,
        "lifecycles_per_s_target": life_target,
        "history_transitions": late,
        "history_early_us": cart_early,
        "history_late_us": cart_late,
        "history_ratio": history_ratio,
        "tracking_history_early_us": track_early,
        "tracking_history_late_us": track_late,
        "tracking_history_ratio": track_ratio,
        "ecservice_bytes_per_order": k_mem,
        "baseline_bytes_per_order": b_mem,
        "typed_mark_out_of_stock_us": fire["t_out"],
        "typed_restock_us": fire["t_back"],
        "growth_orders": n_growth,
        "first_batch_us_per_create": first,
        "last_batch_us_per_create": last,
        "growth_ratio": growth,
        "baseline_growth_ratio": b_last / b_first,
        "transitions_machine_create_us": trans["create_us"],
        "transitions_machine_fire_us": trans["fire_us"],
        "transitions_machine_bytes_per_order": trans["bytes_per_order"],
        "targets": TARGETS,
        "targets_met": met,
        "seconds": time.perf_counter() - started,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point; always returns 0 (a missed target is reported, not fatal)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small counts (CI smoke run)")
    parser.add_argument("--json", action="store_true", help="print a JSON object as last line")
    args = parser.parse_args(argv)
    results = run(quick=args.quick)
    if args.json:
        print(json.dumps(results, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
