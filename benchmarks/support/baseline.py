"""The hand-written baseline: ``BaselineOrder`` and the order workflow as a dict table.

``BaselineOrder`` has :class:`~ecservice.orders.Order`'s fields and input validation, written
inline; :data:`ORDER_TABLE` is the default order workflow as a hand-written
``{(state, trigger): ((dest, guards, hooks), ...)}`` dict, fired by :meth:`BaselineOrder.fire`
the way the kernel fires ``Order._fire``.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Final

import pendulum
from pendulum import DateTime

from ecservice.clock import SYSTEM_CLOCK, Clock, FixedClock
from ecservice.errors import (
    CurrencyMismatch,
    GuardRejected,
    InvalidQuantity,
    InvalidTransition,
    NaiveDatetime,
    UnknownLine,
    ValidationError,
)
from ecservice.money import Money, sum_money
from ecservice.orders import (
    Address,
    Cancellation,
    OrderCancelled,
    OrderChange,
    OrderCompleted,
    OrderLine,
    OrderStatus,
    Presale,
    RefundDue,
    Shipment,
)
from ecservice.text import check_optional_text, check_text
from ecservice.workflow import Actor, DomainEvent, TransitionRecord

S = OrderStatus
_UTC: Final = pendulum.UTC


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
