"""The order aggregate and its default workflow."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Mapping
from typing import Any, Final, TypeVar, final

import attrs
from pendulum import DateTime

from ecservice.clock import ensure_utc
from ecservice.errors import (
    CurrencyMismatch,
    InvalidQuantity,
    PolicyViolation,
    TrackingOutOfOrder,
    UnknownLine,
    ValidationError,
)
from ecservice.money import Currency, Money, sum_money
from ecservice.orders._events import (
    LinesCancelled,
    OrderCancelled,
    OrderCompleted,
    OrderConfirmed,
    OrderMarkedOutOfStock,
    OrderRestocked,
    OrderStatus,
    RefundDue,
    ShipmentDispatched,
    ShipmentReceived,
    TrackingEventAdded,
)
from ecservice.orders._policy import AutoConfirmPolicy
from ecservice.orders._values import (
    Address,
    Cancellation,
    OrderLine,
    Presale,
    Shipment,
    TrackingEvent,
    check_text,
    quantities,
    text,
)
from ecservice.workflow import (
    Actor,
    Aggregate,
    Context,
    DomainEvent,
    TransitionRecord,
    Workflow,
    bind_workflow,
    transition,
)

__all__ = ["ORDER_WORKFLOW", "Order", "OrderChange", "auto_confirm_due"]

OrderT = TypeVar("OrderT", bound="Order")


@final
@attrs.frozen(slots=True, kw_only=True)
class OrderChange:
    """The data a trigger proposes for an order, checked by guards, applied by a ``before`` hook.

    Typed trigger methods validate their arguments and compute an ``OrderChange``; the workflow's
    guards pick the destination state from it, and the ``apply_change`` hook assigns it. Custom
    workflows reuse both through the default transitions.
    """

    shipments: tuple[Shipment, ...]
    cancellations: tuple[Cancellation, ...]
    out_of_stock: tuple[str, ...]
    address: Address
    events: tuple[DomainEvent, ...] = ()


def _change(order: Order, ctx: Context) -> OrderChange:
    change = ctx.payload.get("change")
    if isinstance(change, OrderChange):
        return change
    return order._current()


def _open_after(order: Order, change: OrderChange) -> dict[str, int]:
    left = {line.sku: line.quantity for line in order.lines}
    for shipment in change.shipments:
        for sku, qty in shipment.items:
            left[sku] -= qty
    for c in change.cancellations:
        left[c.sku] -= c.quantity
    return left


def _as_lines(lines: Iterable[OrderLine]) -> tuple[OrderLine, ...]:
    return tuple(lines)


# --- guards (pure; their docstrings explain rejections and label diagrams) ----------------------


def nothing_travels(order: Order, ctx: Context) -> bool:
    """No parcel is still travelling."""
    return not any(s.travelling for s in _change(order, ctx).shipments)


def all_settled(order: Order, ctx: Context) -> bool:
    """Every unit is shipped or cancelled."""
    return not any(_open_after(order, _change(order, ctx)).values())


def all_cancelled(order: Order, ctx: Context) -> bool:
    """Every unit is cancelled."""
    change = _change(order, ctx)
    cancelled = sum(c.quantity for c in change.cancellations)
    return cancelled == sum(line.quantity for line in order.lines)


def nothing_shipped(order: Order, ctx: Context) -> bool:
    """No unit has been shipped yet."""
    return not _change(order, ctx).shipments


def stock_restored(order: Order, ctx: Context) -> bool:
    """No line is missing from stock any more."""
    return not _change(order, ctx).out_of_stock


# --- hooks ------------------------------------------------------------------------------------


def apply_change(order: Order, ctx: Context) -> None:
    """Assign the proposed :class:`OrderChange` and queue its events."""
    change = ctx.payload.get("change")
    if not isinstance(change, OrderChange):
        return
    refund: Money | None = None
    if change.cancellations != order.cancellations:
        before = order.cancelled_value
        order.cancellations = change.cancellations
        refund = order.cancelled_value - before
    order.shipments = change.shipments
    order.out_of_stock = change.out_of_stock
    order.address = change.address
    at = ctx.at
    for event in change.events:
        # Events were built before the kernel read the clock: stamp them with the transition's
        # time so that they agree with its history record.
        same = event.occurred_at is at or event.occurred_at == at
        ctx.emit(event if same else attrs.evolve(event, occurred_at=at))
    if refund is not None and refund:
        reason = ctx.payload.get("reason")
        ctx.emit(
            RefundDue(
                aggregate_id=order.id,
                occurred_at=ctx.at,
                actor=ctx.actor,
                amount=refund,
                reason=reason if isinstance(reason, str) else ctx.note,
                order_version=order.version + 1,
            )
        )


def emit_completed(order: Order, ctx: Context) -> None:
    """Emit :class:`OrderCompleted`."""
    ctx.emit(OrderCompleted(aggregate_id=order.id, occurred_at=ctx.at, actor=ctx.actor))


def emit_cancelled(order: Order, ctx: Context) -> None:
    """Emit :class:`OrderCancelled`."""
    reason = ctx.payload.get("reason")
    ctx.emit(
        OrderCancelled(
            aggregate_id=order.id,
            occurred_at=ctx.at,
            actor=ctx.actor,
            reason=reason if isinstance(reason, str) else ctx.note,
        )
    )


@attrs.define(slots=True, kw_only=True, on_setattr=attrs.setters.NO_OP)
class Order(Aggregate[OrderStatus]):
    """An order: lines, buyer, shipping address, remarks, shipments and cancellations.

    Create orders with :meth:`Cart.place_order <ecservice.orders.Cart.place_order>`, or rehydrate
    them from storage with the constructor. Every state change goes through a typed trigger
    method; each returns the :class:`~ecservice.workflow.TransitionRecord` it appended.

    Invariant: for every line, shipped + cancelled units never exceed the ordered quantity.
    """

    status: OrderStatus = OrderStatus.PENDING_CONFIRMATION
    buyer_id: str = attrs.field(validator=text("buyer_id"))
    lines: tuple[OrderLine, ...] = attrs.field(converter=_as_lines)
    address: Address
    shipping_fee: Money
    created_at: DateTime = attrs.field(converter=ensure_utc)
    remarks: str = ""
    presale: Presale | None = None
    shipments: tuple[Shipment, ...] = ()
    cancellations: tuple[Cancellation, ...] = ()
    out_of_stock: tuple[str, ...] = ()

    @lines.validator
    def _check_lines(self, _: attrs.Attribute[Any], lines: tuple[OrderLine, ...]) -> None:
        if not lines:
            raise InvalidQuantity("an order needs at least one line")
        first = lines[0].unit_price.currency
        seen: set[str] = set()
        for line in lines:
            if not isinstance(line, OrderLine):
                raise ValidationError(f"order lines must be OrderLine, not {type(line).__name__}")
            if line.sku in seen:
                raise ValidationError(f"SKU {line.sku!r} appears on two lines; merge them")
            seen.add(line.sku)
            if line.unit_price.currency != first:
                raise CurrencyMismatch(first.code, line.unit_price.currency.code, "mix")

    def __attrs_post_init__(self) -> None:
        if self.shipping_fee.currency != self.currency:
            raise CurrencyMismatch(self.currency.code, self.shipping_fee.currency.code, "mix")

    # --- derived views -------------------------------------------------------------------------

    @property
    def currency(self) -> Currency:
        """The order's currency."""
        return self.lines[0].unit_price.currency

    @property
    def subtotal(self) -> Money:
        """Goods total, before shipping."""
        return sum_money((line.subtotal for line in self.lines), self.currency)

    @property
    def total(self) -> Money:
        """Goods plus shipping."""
        return self.subtotal + self.shipping_fee

    @property
    def cancelled_value(self) -> Money:
        """Value of cancelled units; includes the shipping fee once every unit is cancelled."""
        value = sum_money(
            (self.line(c.sku).unit_price * c.quantity for c in self.cancellations), self.currency
        )
        if self.cancelled_quantity() == sum(line.quantity for line in self.lines):
            value = value + self.shipping_fee
        return value

    @property
    def amount_due(self) -> Money:
        """What the buyer owes for what is not cancelled (the payment seam)."""
        return self.total - self.cancelled_value

    def line(self, sku: str) -> OrderLine:
        """The line of ``sku``.

        Raises:
            UnknownLine: the order has no such line.
        """
        for line in self.lines:
            if line.sku == sku:
                return line
        raise UnknownLine(
            f"order {self.id!r} has no line {sku!r}; its lines are "
            + ", ".join(repr(x.sku) for x in self.lines)
        )

    def shipped_quantity(self, sku: str | None = None) -> int:
        """Units shipped (of one SKU, or in all)."""
        return sum(q for s in self.shipments for k, q in s.items if sku is None or k == sku)

    def cancelled_quantity(self, sku: str | None = None) -> int:
        """Units cancelled (of one SKU, or in all)."""
        return sum(c.quantity for c in self.cancellations if sku is None or c.sku == sku)

    def open_quantity(self, sku: str) -> int:
        """Units of ``sku`` neither shipped nor cancelled."""
        return self.line(sku).quantity - self.shipped_quantity(sku) - self.cancelled_quantity(sku)

    def open_items(self) -> dict[str, int]:
        """``{sku: open units}`` for every line with units left to ship."""
        left = _open_after(self, self._current())
        return {sku: qty for sku, qty in left.items() if qty}

    @property
    def travelling(self) -> tuple[Shipment, ...]:
        """The shipments not yet received."""
        return tuple(s for s in self.shipments if s.travelling)

    def shipment(self, shipment_id: str) -> Shipment:
        """The shipment ``shipment_id``.

        Raises:
            ValidationError: there is no such shipment.
        """
        for s in self.shipments:
            if s.id == shipment_id:
                return s
        known = ", ".join(repr(s.id) for s in self.shipments) or "none"
        raise ValidationError(
            f"order {self.id!r} has no shipment {shipment_id!r}; its shipments: {known}"
        )

    def ship_overdue(self, at: _dt.datetime) -> bool:
        """For a presale order: whether ``at`` is past the promised ship-by time with units open."""
        if self.presale is None or self.is_final:
            return False
        return ensure_utc(at) > self.presale.ship_by and bool(self.open_items())

    def auto_confirm_due_at(self, policy: AutoConfirmPolicy) -> DateTime | None:
        """When the next travelling parcel becomes due for automatic confirmation."""
        due = [policy.due_at(s.shipped_at) for s in self.travelling]
        return min(due) if due else None

    def _current(self, **changes: Any) -> OrderChange:
        """The order's data as an :class:`OrderChange`, with ``changes`` applied."""
        fields: dict[str, Any] = {
            "shipments": self.shipments,
            "cancellations": self.cancellations,
            "out_of_stock": self.out_of_stock,
            "address": self.address,
        }
        fields.update(changes)
        return OrderChange(**fields)

    def _event_base(self, actor: Actor) -> dict[str, Any]:
        return {"aggregate_id": self.id, "occurred_at": self.clock.now(), "actor": actor}

    def _propose(self, trigger: str, actor: Actor, note: str, **changes: Any) -> TransitionRecord:
        return self._fire(trigger, actor=actor, note=note, change=self._current(**changes))

    # --- triggers ------------------------------------------------------------------------------

    def confirm(
        self, *, actor: Actor, address: Address | None = None, note: str = ""
    ) -> TransitionRecord:
        """Confirm the order (确认订单): address and items checked, processing starts.

        Args:
            address: a corrected shipping address agreed with the buyer, if any.
        """
        self._ensure_allowed("confirm")
        if address is not None and not isinstance(address, Address):
            raise ValidationError(f"address must be an Address, not {type(address).__name__}")
        event = OrderConfirmed(**self._event_base(actor))
        return self._propose(
            "confirm", actor, note, address=address or self.address, events=(event,)
        )

    def mark_out_of_stock(
        self, skus: Iterable[str], *, actor: Actor, note: str = ""
    ) -> TransitionRecord:
        """Report that lines cannot be fulfilled from stock now (缺货)."""
        self._ensure_allowed("mark_out_of_stock")
        names = tuple(sorted(set(skus)))
        if not names:
            raise UnknownLine("name the SKUs that are out of stock")
        for sku in names:
            if self.open_quantity(sku) == 0:
                raise InvalidQuantity(f"line {sku!r} has no open units left to be out of stock")
        event = OrderMarkedOutOfStock(**self._event_base(actor), skus=names)
        return self._propose("mark_out_of_stock", actor, note, out_of_stock=names, events=(event,))

    def restock(
        self, skus: Iterable[str] | None = None, *, actor: Actor, note: str = ""
    ) -> TransitionRecord:
        """Mark missing lines as back in stock; processing resumes once none is missing."""
        self._ensure_allowed("restock")
        names = set(self.out_of_stock if skus is None else skus)
        unknown = names - set(self.out_of_stock)
        if unknown or not names:
            raise UnknownLine(
                f"SKUs {sorted(unknown) or '(none)'} are not out of stock; out of stock: "
                f"{list(self.out_of_stock)}"
            )
        left = tuple(s for s in self.out_of_stock if s not in names)
        event = OrderRestocked(**self._event_base(actor), skus=tuple(sorted(names)))
        return self._propose("restock", actor, note, out_of_stock=left, events=(event,))

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
        """Hand a parcel to a carrier (发货): all open units, or ``items`` ``{sku: quantity}``.

        Raises:
            InvalidQuantity: more units than are open, or nothing to ship.
            UnknownLine: a SKU the order does not have.
        """
        self._ensure_allowed("ship")
        wanted = quantities(items if items is not None else self.open_items() or {})
        for sku, qty in wanted:
            open_qty = self.open_quantity(sku)
            if qty > open_qty:
                raise InvalidQuantity(
                    f"cannot ship {qty} of {sku!r}: only {open_qty} unit(s) are open "
                    f"(ordered {self.line(sku).quantity}, shipped {self.shipped_quantity(sku)}, "
                    f"cancelled {self.cancelled_quantity(sku)})"
                )
        sid = shipment_id or f"{self.id}-S{len(self.shipments) + 1}"
        if any(s.id == sid for s in self.shipments):
            raise ValidationError(f"order {self.id!r} already has a shipment {sid!r}")
        shipment = Shipment(
            id=sid,
            warehouse=warehouse,
            carrier=carrier,
            tracking_no=tracking_no,
            items=wanted,
            shipped_at=self.clock.now(),
        )
        event = ShipmentDispatched(**self._event_base(actor), shipment=shipment)
        return self._propose(
            "ship", actor, note, shipments=(*self.shipments, shipment), events=(event,)
        )

    def add_tracking_event(
        self, shipment_id: str, event: TrackingEvent, *, actor: Actor, note: str = ""
    ) -> TransitionRecord:
        """Append a carrier tracking event to a travelling shipment.

        Raises:
            TrackingOutOfOrder: the event is older than the shipment's last event or its dispatch.
            ValidationError: no such shipment, or it was already received.
        """
        self._ensure_allowed("add_tracking_event")
        if not isinstance(event, TrackingEvent):
            raise ValidationError(f"event must be a TrackingEvent, not {type(event).__name__}")
        shipment = self.shipment(shipment_id)
        if not shipment.travelling:
            raise ValidationError(f"shipment {shipment_id!r} was already received")
        last = shipment.last_event.at if shipment.last_event else shipment.shipped_at
        if event.at < last:
            raise TrackingOutOfOrder(
                f"tracking event at {event.at.isoformat()} is older than "
                f"{last.isoformat()}, the last known time of shipment {shipment_id!r}; "
                "events must be added in time order"
            )
        updated = attrs.evolve(shipment, events=(*shipment.events, event))
        added = TrackingEventAdded(**self._event_base(actor), shipment_id=shipment_id, event=event)
        return self._propose(
            "add_tracking_event",
            actor,
            note,
            shipments=tuple(updated if s.id == shipment_id else s for s in self.shipments),
            events=(added,),
        )

    def _receive(
        self, trigger: str, ids: Iterable[str], actor: Actor, note: str, *, automatic: bool
    ) -> TransitionRecord:
        now = self.clock.now()
        wanted = set(ids)
        shipments = tuple(
            attrs.evolve(s, received_at=now, received_by=actor) if s.id in wanted else s
            for s in self.shipments
        )
        events = tuple(
            ShipmentReceived(**self._event_base(actor), shipment_id=sid, automatic=automatic)
            for sid in sorted(wanted)
        )
        return self._propose(trigger, actor, note, shipments=shipments, events=events)

    def confirm_receipt(
        self, shipment_id: str | None = None, *, actor: Actor, note: str = ""
    ) -> TransitionRecord:
        """The buyer confirms receipt (确认收货) of one parcel, or of every travelling one."""
        self._ensure_allowed("confirm_receipt")
        if shipment_id is None:
            ids = [s.id for s in self.travelling]
        else:
            if not self.shipment(shipment_id).travelling:
                raise ValidationError(f"shipment {shipment_id!r} was already received")
            ids = [shipment_id]
        return self._receive("confirm_receipt", ids, actor, note, automatic=False)

    def auto_confirm(
        self,
        policy: AutoConfirmPolicy,
        *,
        actor: Actor | None = None,
        note: str = "",
    ) -> TransitionRecord:
        """Confirm receipt of every travelling parcel whose automatic-confirmation time passed.

        Raises:
            PolicyViolation: no parcel is due yet (the message says when the next one is).
        """
        self._ensure_allowed("auto_confirm")
        now = self.clock.now()
        due = [s.id for s in self.travelling if policy.is_due(s.shipped_at, now)]
        if not due:
            nxt = self.auto_confirm_due_at(policy)
            raise PolicyViolation(
                f"no parcel of order {self.id!r} is due for automatic confirmation at "
                f"{now.isoformat()}; the next is due at {nxt.isoformat() if nxt else 'never'}"
            )
        return self._receive(
            "auto_confirm", due, actor or Actor.system("auto-confirm"), note, automatic=True
        )

    def cancel(self, *, reason: str, actor: Actor) -> TransitionRecord:
        """Cancel the whole order (取消订单) before anything has shipped."""
        self._ensure_allowed("cancel")
        why = check_text(reason, "reason")
        now = self.clock.now()
        cancellations = self.cancellations + tuple(
            Cancellation(sku=sku, quantity=qty, reason=why, at=now, actor=actor)
            for sku, qty in sorted(self.open_items().items())
        )
        change = self._current(cancellations=cancellations)
        return self._fire("cancel", actor=actor, note=why, change=change, reason=why)

    def cancel_lines(
        self, items: Mapping[str, int], *, reason: str, actor: Actor
    ) -> TransitionRecord:
        """Cancel some open units (部分取消), for example a line that cannot be restocked.

        The order moves on by itself: cancelled when nothing is left, done when everything left
        was delivered, back to processing when no missing line is open any more.
        """
        self._ensure_allowed("cancel_lines")
        why = check_text(reason, "reason")
        wanted = quantities(items)
        for sku, qty in wanted:
            open_qty = self.open_quantity(sku)
            if qty > open_qty:
                raise InvalidQuantity(
                    f"cannot cancel {qty} of {sku!r}: only {open_qty} unit(s) are open"
                )
        now = self.clock.now()
        new = tuple(
            Cancellation(sku=sku, quantity=qty, reason=why, at=now, actor=actor)
            for sku, qty in wanted
        )
        event = LinesCancelled(**self._event_base(actor), cancellations=new)
        cancellations = self.cancellations + new
        left = _open_after(self, self._current(cancellations=cancellations))
        change = self._current(
            cancellations=cancellations,
            out_of_stock=tuple(sku for sku in self.out_of_stock if left[sku]),
            events=(event,),
        )
        return self._fire("cancel_lines", actor=actor, note=why, change=change, reason=why)


def auto_confirm_due(
    orders: Iterable[Order], policy: AutoConfirmPolicy, *, actor: Actor | None = None
) -> list[TransitionRecord]:
    """The scheduled job: confirm receipt of every parcel whose automatic-confirmation time has
    passed, on every order in transit. Orders with nothing due are left alone.

    Returns:
        The history records of the orders that changed, in the order given.
    """
    records: list[TransitionRecord] = []
    for order in orders:
        if order.status is not OrderStatus.IN_TRANSIT:
            continue
        now = order.clock.now()
        if any(policy.is_due(s.shipped_at, now) for s in order.travelling):
            records.append(order.auto_confirm(policy, actor=actor))
    return records


S = OrderStatus

#: The default order workflow. Derive custom ones with :meth:`Workflow.derive`.
ORDER_WORKFLOW: Final[Workflow[Order]] = Workflow(
    "order",
    states=OrderStatus,
    initial=S.PENDING_CONFIRMATION,
    final=[S.DONE, S.CANCELLED],
    transitions=[
        transition("confirm", S.PENDING_CONFIRMATION, S.PROCESSING, before=[apply_change]),
        transition("mark_out_of_stock", S.PROCESSING, S.OUT_OF_STOCK, before=[apply_change]),
        transition(
            "restock",
            S.OUT_OF_STOCK,
            S.PROCESSING,
            conditions=[stock_restored],
            before=[apply_change],
        ),
        transition("restock", S.OUT_OF_STOCK, None, before=[apply_change]),
        transition("ship", S.PROCESSING, S.IN_TRANSIT, before=[apply_change]),
        transition("ship", S.IN_TRANSIT, None, before=[apply_change]),
        transition("add_tracking_event", S.IN_TRANSIT, None, before=[apply_change]),
        *(
            t
            for trig in ("confirm_receipt", "auto_confirm")
            for t in (
                transition(
                    trig,
                    S.IN_TRANSIT,
                    S.DONE,
                    conditions=[nothing_travels, all_settled],
                    before=[apply_change],
                ),
                transition(
                    trig,
                    S.IN_TRANSIT,
                    S.PROCESSING,
                    conditions=[nothing_travels],
                    before=[apply_change],
                ),
                transition(trig, S.IN_TRANSIT, None, before=[apply_change]),
            )
        ),
        transition(
            "cancel",
            [S.PENDING_CONFIRMATION, S.PROCESSING, S.OUT_OF_STOCK],
            S.CANCELLED,
            conditions=[nothing_shipped],
            before=[apply_change],
        ),
        transition(
            "cancel_lines",
            [S.PENDING_CONFIRMATION, S.PROCESSING, S.OUT_OF_STOCK],
            S.CANCELLED,
            conditions=[all_cancelled],
            before=[apply_change],
        ),
        transition(
            "cancel_lines",
            [S.PROCESSING, S.OUT_OF_STOCK],
            S.DONE,
            conditions=[nothing_travels, all_settled],
            before=[apply_change],
        ),
        transition(
            "cancel_lines",
            S.OUT_OF_STOCK,
            S.PROCESSING,
            conditions=[stock_restored],
            before=[apply_change],
        ),
        transition(
            "cancel_lines",
            [S.PENDING_CONFIRMATION, S.PROCESSING, S.OUT_OF_STOCK, S.IN_TRANSIT],
            None,
            before=[apply_change],
        ),
    ],
    on_enter={S.DONE: [emit_completed], S.CANCELLED: [emit_cancelled]},
)

bind_workflow(Order, ORDER_WORKFLOW)
