"""The order aggregate and its default workflow."""

from __future__ import annotations

import datetime as _dt
import enum
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Final, final

import attrs
from pendulum import DateTime
from typing_extensions import TypeVar

from ecservice.clock import ensure_utc
from ecservice.errors import (
    CurrencyMismatch,
    InvalidQuantity,
    PolicyViolation,
    TrackingOutOfOrder,
    UnknownLine,
    ValidationError,
)
from ecservice.money import Currency, Money
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
    REQUIRED,
    Address,
    Cancellation,
    OrderLine,
    Presale,
    Shipment,
    TrackingEvent,
    _shipment_copy,
    _trusted,
    _tuple_of,
    check_note,
    check_short,
    goods_total,
    quantities,
    require,
    short_text,
    shown,
)
from ecservice.text import LONG_TEXT_MAX, check_optional_text, check_text
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

__all__ = ["ORDER_WORKFLOW", "TRACKING_LEAD", "OS_co", "Order", "OrderChange", "auto_confirm_due"]

#: The state type of an order: :class:`OrderStatus`, or a union with a custom workflow's states.
OS_co = TypeVar("OS_co", bound=enum.Enum, default=OrderStatus, covariant=True)
OS_co.__module__ = "ecservice.orders"  # documented there, with Order

#: How far ahead of the order's clock a carrier's tracking event may be dated by default.
TRACKING_LEAD: Final = _dt.timedelta(hours=1)

# The default status, typed for every state type an Order subclass may declare.
_PENDING: Any = OrderStatus.PENDING_CONFIRMATION

# Up to this many lines, scanning them is as fast as an index (and costs no memory).
_SCAN_LINES: Final = 8


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


def _change(order: Order[Any], ctx: Context) -> OrderChange:
    change = ctx.payload.get("change")
    if isinstance(change, OrderChange):
        return change
    return order._current()


def _settled(
    shipments: tuple[Shipment, ...], cancellations: tuple[Cancellation, ...]
) -> dict[str, int]:
    """Units shipped or cancelled per SKU, in one pass."""
    done: dict[str, int] = {}
    get = done.get
    for shipment in shipments:
        for sku, qty in shipment.items:
            done[sku] = get(sku, 0) + qty
    for c in cancellations:
        done[c.sku] = get(c.sku, 0) + c.quantity
    return done


def _open_after(
    order: Order[Any], shipments: tuple[Shipment, ...], cancellations: tuple[Cancellation, ...]
) -> dict[str, int]:
    """Open units per SKU (every line, zero included) given shipments and cancellations."""
    if not shipments and not cancellations:
        return {line.sku: line.quantity for line in order.lines}
    done = _settled(shipments, cancellations)
    return {line.sku: line.quantity - done.get(line.sku, 0) for line in order.lines}


def _as_lines(lines: Iterable[OrderLine]) -> tuple[OrderLine, ...]:
    if not isinstance(lines, tuple | list):
        raise ValidationError(f"lines must be a tuple of OrderLine, not {type(lines).__name__}")
    return tuple(lines)


def _as_shipments(value: Iterable[Shipment]) -> tuple[Shipment, ...]:
    return _tuple_of(value, Shipment, "shipments")


def _as_cancellations(value: Iterable[Cancellation]) -> tuple[Cancellation, ...]:
    return _tuple_of(value, Cancellation, "cancellations")


def _as_skus(value: Iterable[str]) -> tuple[str, ...]:
    if not isinstance(value, tuple | list):
        raise ValidationError(f"out_of_stock must be a tuple of SKUs, not {type(value).__name__}")
    return tuple(value)


def _check_policy(policy: object) -> None:
    if not isinstance(policy, AutoConfirmPolicy):
        raise ValidationError(f"policy must be an AutoConfirmPolicy, not {type(policy).__name__}")


def _actor(actor: object) -> Actor:
    if not isinstance(actor, Actor):
        raise ValidationError(f"actor must be an Actor, not {type(actor).__name__}")
    return actor


def _sku_names(skus: object, what: str) -> list[str]:
    """SKUs given as one ``str`` or an iterable of them, checked as short text."""
    if isinstance(skus, str):
        return [check_text(skus, "sku")]
    if not isinstance(skus, Iterable) or isinstance(skus, bytes | Mapping):
        raise ValidationError(
            f"{what} must be a SKU or an iterable of SKUs, not {type(skus).__name__}"
        )
    return [check_text(sku, "sku") for sku in skus]


# --- guards (pure; their docstrings explain rejections and label diagrams) ----------------------


def nothing_travels(order: Order[Any], ctx: Context) -> bool:
    """No parcel is still travelling."""
    return not any(s.travelling for s in _change(order, ctx).shipments)


def all_settled(order: Order[Any], ctx: Context) -> bool:
    """Every unit is shipped or cancelled."""
    change = _change(order, ctx)
    return not any(_open_after(order, change.shipments, change.cancellations).values())


def all_cancelled(order: Order[Any], ctx: Context) -> bool:
    """Every unit is cancelled."""
    cancelled = sum(c.quantity for c in _change(order, ctx).cancellations)
    return cancelled == order.ordered_quantity


def nothing_shipped(order: Order[Any], ctx: Context) -> bool:
    """No unit has been shipped yet."""
    return not _change(order, ctx).shipments


def stock_restored(order: Order[Any], ctx: Context) -> bool:
    """No line is missing from stock any more."""
    return not _change(order, ctx).out_of_stock


# --- hooks ------------------------------------------------------------------------------------


def apply_change(order: Order[Any], ctx: Context) -> None:
    """Assign the proposed :class:`OrderChange` and queue its events.

    The ``before`` hook of every default transition; a custom transition that proposes an
    ``OrderChange`` (a typed method passing ``change=...``) reuses it.
    """
    change = ctx.payload.get("change")
    if not isinstance(change, OrderChange):
        return
    refund: Money | None = None
    if change.cancellations is not order.cancellations:
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


def emit_completed(order: Order[Any], ctx: Context) -> None:
    """Emit :class:`OrderCompleted`."""
    ctx.emit(OrderCompleted(aggregate_id=order.id, occurred_at=ctx.at, actor=ctx.actor))


def emit_cancelled(order: Order[Any], ctx: Context) -> None:
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


def _remarks(_instance: Any, _attribute: Any, value: str) -> None:
    if value == "":
        return
    if check_optional_text(value, "remarks", limit=LONG_TEXT_MAX) != value:
        raise ValidationError("remarks must not start or end with white space")


def _check_presale(_instance: Any, _attribute: Any, value: Presale | None) -> None:
    if value is not None and not isinstance(value, Presale):
        raise ValidationError(f"presale must be a Presale or None, not {type(value).__name__}")


def _check_address(_instance: Any, _attribute: Any, value: Address) -> None:
    if not isinstance(value, Address):
        raise ValidationError(f"address must be an Address, not {type(value).__name__}")


@attrs.define(slots=True, kw_only=True, on_setattr=attrs.setters.NO_OP)
class Order(Aggregate[OS_co]):
    """An order: lines, buyer, shipping address, remarks, shipments and cancellations.

    Create orders with :meth:`Cart.place_order <ecservice.orders.Cart.place_order>`, or rehydrate
    them from storage with the constructor, which checks everything it is given (see "Loading an
    order" in the orders guide). Every state change goes through a typed trigger method; each
    returns the :class:`~ecservice.workflow.TransitionRecord` it appended, and
    :meth:`~ecservice.workflow.Aggregate.can` answers ``True`` exactly when the same call would
    succeed.

    ``Order`` is generic in its state type (:class:`OrderStatus` by default): a subclass bound to
    a derived workflow with extra states declares them, e.g. ``class QCOrder(Order[OrderStatus |
    QC])``, so that ``order.status is QC.QUALITY_CHECK`` type-checks.

    Invariants (checked on construction): for every line, shipped + cancelled units never exceed
    the ordered quantity; shipments and cancellations name only the order's lines; shipment ids
    are unique; the shipping fee is a non-negative amount of the order's currency; out-of-stock
    SKUs are lines with open units.

    Raises:
        ValidationError: a field of the wrong type, unacceptable text, or a broken invariant
            (the specific subclasses :class:`~ecservice.errors.InvalidQuantity`,
            :class:`~ecservice.errors.UnknownLine` and :class:`~ecservice.errors.CurrencyMismatch`
            name the problem).
    """

    #: How far ahead of the order's clock a tracking event may be dated (:data:`TRACKING_LEAD`,
    #: one hour: carriers' scanners and the shop's servers keep network time, so anything
    #: further ahead is a wrong date that would make every later genuine scan look out of
    #: order). Override it in a subclass to change it.
    tracking_lead: ClassVar[_dt.timedelta] = TRACKING_LEAD

    status: OS_co = _PENDING
    buyer_id: str = attrs.field(validator=short_text("buyer_id"))
    lines: tuple[OrderLine, ...] = attrs.field(converter=_as_lines)
    address: Address = attrs.field(validator=_check_address)
    shipping_fee: Money
    created_at: DateTime = attrs.field(converter=ensure_utc)
    remarks: str = attrs.field(default="", validator=_remarks)
    presale: Presale | None = attrs.field(default=None, validator=_check_presale)
    shipments: tuple[Shipment, ...] = attrs.field(default=(), converter=_as_shipments)
    cancellations: tuple[Cancellation, ...] = attrs.field(default=(), converter=_as_cancellations)
    out_of_stock: tuple[str, ...] = attrs.field(default=(), converter=_as_skus)
    # SKU -> line, built on first lookup of an order of many lines; never changed in place (the
    # lines never change), so the kernel need not copy it when a trigger fires.
    _index: Mapping[str, OrderLine] | None = attrs.field(
        default=None, init=False, eq=False, repr=False
    )

    @lines.validator
    def _check_lines(self, _: attrs.Attribute[Any], lines: tuple[OrderLine, ...]) -> None:
        if not lines:
            raise InvalidQuantity("an order needs at least one line")
        first = lines[0]
        if not isinstance(first, OrderLine):
            raise ValidationError(f"order lines must be OrderLine, not {type(first).__name__}")
        currency = first.unit_price.currency
        seen: set[str] = set()
        for line in lines:
            if not isinstance(line, OrderLine):
                raise ValidationError(f"order lines must be OrderLine, not {type(line).__name__}")
            if line.sku in seen:
                raise ValidationError(f"SKU {line.sku!r} appears on two lines; merge them")
            seen.add(line.sku)
            if line.unit_price.currency is not currency and line.unit_price.currency != currency:
                raise CurrencyMismatch(currency.code, line.unit_price.currency.code, "mix")

    def __attrs_post_init__(self) -> None:
        # The kernel's base checks (status, version, history, clock) run first on their own.
        fee = self.shipping_fee
        if not isinstance(fee, Money):
            raise ValidationError(f"shipping_fee must be Money, not {type(fee).__name__}")
        if fee.currency is not self.currency and fee.currency != self.currency:
            raise CurrencyMismatch(self.currency.code, fee.currency.code, "mix")
        if fee.is_negative():
            raise ValidationError(f"shipping_fee must not be negative: {fee}")
        if self.presale is not None and self.presale.deposit is not None:
            deposit = self.presale.deposit
            if deposit.currency != self.currency:
                raise CurrencyMismatch(self.currency.code, deposit.currency.code, "mix")
        if self.shipments or self.cancellations or self.out_of_stock:
            self._check_progress()

    def _check_progress(self) -> None:
        """Shipments, cancellations and out-of-stock SKUs agree with the lines."""
        ids: set[str] = set()
        for s in self.shipments:
            if s.id in ids:
                raise ValidationError(f"order {self.id!r} has two shipments with id {s.id!r}")
            ids.add(s.id)
        done = _settled(self.shipments, self.cancellations)
        for sku, units in done.items():
            ordered = self.line(sku).quantity  # UnknownLine for a SKU the order does not have
            if units > ordered:
                raise InvalidQuantity(
                    f"order {self.id!r}: {units} unit(s) of {sku!r} shipped or cancelled, "
                    f"but only {ordered} ordered"
                )
        seen: set[str] = set()
        for sku in self.out_of_stock:
            if not isinstance(sku, str) or sku in seen:
                raise ValidationError(f"out_of_stock must list distinct SKUs, got {shown(sku)}")
            seen.add(sku)
            if self.line(sku).quantity - done.get(sku, 0) <= 0:
                raise InvalidQuantity(f"line {sku!r} is out of stock but has no open units")

    # --- derived views -------------------------------------------------------------------------

    @property
    def currency(self) -> Currency:
        """The order's currency."""
        return self.lines[0].unit_price.currency

    @property
    def subtotal(self) -> Money:
        """Goods total, before shipping.

        Raises:
            InvalidAmount: the total has more digits than an amount may hold.
        """
        return goods_total(self.lines, self.currency)

    @property
    def total(self) -> Money:
        """Goods plus shipping."""
        return self.subtotal + self.shipping_fee

    @property
    def ordered_quantity(self) -> int:
        """Units ordered, over all lines."""
        return sum(line.quantity for line in self.lines)

    @property
    def cancelled_value(self) -> Money:
        """Value of cancelled units; includes the shipping fee once every unit is cancelled."""
        if not self.cancellations:
            return Money.zero(self.currency)
        per_sku: dict[str, int] = {}
        for c in self.cancellations:
            per_sku[c.sku] = per_sku.get(c.sku, 0) + c.quantity
        units = sum(self.line(sku).unit_price.minor_units * qty for sku, qty in per_sku.items())
        value = Money.from_minor(units, self.currency)
        if sum(per_sku.values()) == self.ordered_quantity:
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
        lines = self.lines
        if len(lines) <= _SCAN_LINES:
            for line in lines:
                if line.sku == sku:
                    return line
        else:
            index = self._index
            if index is None:
                index = {line.sku: line for line in lines}
                object.__setattr__(self, "_index", index)
            found = index.get(sku) if isinstance(sku, str) else None
            if found is not None:
                return found
        known = ", ".join(repr(x.sku) for x in lines[:20]) + (", ..." if len(lines) > 20 else "")
        raise UnknownLine(f"order {self.id!r} has no line {shown(sku)}; its lines are {known}")

    def shipped_quantity(self, sku: str | None = None) -> int:
        """Units shipped (of one SKU, or in all)."""
        return sum(q for s in self.shipments for k, q in s.items if sku is None or k == sku)

    def cancelled_quantity(self, sku: str | None = None) -> int:
        """Units cancelled (of one SKU, or in all)."""
        return sum(c.quantity for c in self.cancellations if sku is None or c.sku == sku)

    def open_quantity(self, sku: str) -> int:
        """Units of ``sku`` neither shipped nor cancelled (never negative).

        Raises:
            UnknownLine: the order has no such line.
        """
        return self.line(sku).quantity - self.shipped_quantity(sku) - self.cancelled_quantity(sku)

    def open_items(self) -> dict[str, int]:
        """``{sku: open units}`` for every line with units left to ship (never negative)."""
        left = _open_after(self, self.shipments, self.cancellations)
        return {sku: qty for sku, qty in left.items() if qty}

    @property
    def travelling(self) -> tuple[Shipment, ...]:
        """The shipments not yet received."""
        return tuple(s for s in self.shipments if s.travelling)

    def _shipment_index(self, shipment_id: str) -> int:
        for i, s in enumerate(self.shipments):
            if s.id == shipment_id:
                return i
        known = ", ".join(repr(s.id) for s in self.shipments[:20]) or "none"
        raise ValidationError(
            f"order {self.id!r} has no shipment {shown(shipment_id)}; its shipments: {known}"
        )

    def shipment(self, shipment_id: str) -> Shipment:
        """The shipment ``shipment_id``.

        Raises:
            ValidationError: there is no such shipment.
        """
        return self.shipments[self._shipment_index(shipment_id)]

    def ship_overdue(self, at: _dt.datetime) -> bool:
        """For a presale order: whether ``at`` is past the promised ship-by time with units open."""
        if self.presale is None or self.is_final:
            return False
        return ensure_utc(at) > self.presale.ship_by and bool(self.open_items())

    def auto_confirm_due_at(self, policy: AutoConfirmPolicy) -> DateTime | None:
        """When the next travelling parcel becomes due for automatic confirmation.

        Raises:
            ValidationError: ``policy`` is not an :class:`AutoConfirmPolicy`.
        """
        _check_policy(policy)
        due = [policy.due_at(s.shipped_at) for s in self.travelling]
        return min(due) if due else None

    def _current(
        self,
        *,
        shipments: tuple[Shipment, ...] | None = None,
        cancellations: tuple[Cancellation, ...] | None = None,
        out_of_stock: tuple[str, ...] | None = None,
        address: Address | None = None,
        events: tuple[DomainEvent, ...] = (),
    ) -> OrderChange:
        """The order's data as an :class:`OrderChange`, with the given parts replaced."""
        return OrderChange(
            shipments=self.shipments if shipments is None else shipments,
            cancellations=self.cancellations if cancellations is None else cancellations,
            out_of_stock=self.out_of_stock if out_of_stock is None else out_of_stock,
            address=self.address if address is None else address,
            events=events,
        )

    def _event_base(self, actor: Actor, now: DateTime | None = None) -> dict[str, Any]:
        return {
            "aggregate_id": self.id,
            "occurred_at": self.clock.now() if now is None else now,
            "actor": actor,
        }

    # --- triggers ------------------------------------------------------------------------------
    #
    # Each trigger is a pure ``_prepare_<trigger>`` method (checks the arguments and returns the
    # payload for ``_fire``: the note and the proposed OrderChange) and a thin typed method that
    # fires it. ``can(trigger, **kwargs)`` calls the same ``_prepare_<trigger>``, so it answers
    # True exactly when the typed call succeeds.

    def _prepare_confirm(
        self, *, actor: Actor, address: Address | None = None, note: str = ""
    ) -> dict[str, Any]:
        self._ensure_allowed("confirm")
        why = check_note(note)
        if address is not None and not isinstance(address, Address):
            raise ValidationError(f"address must be an Address, not {type(address).__name__}")
        event = OrderConfirmed(**self._event_base(_actor(actor)))
        change = self._current(address=address, events=(event,))
        return {"note": why, "change": change}

    def confirm(
        self, *, actor: Actor, address: Address | None = None, note: str = ""
    ) -> TransitionRecord:
        """Confirm the order (确认订单): address and items checked, processing starts.

        Args:
            actor: who confirms (usually staff).
            address: a corrected shipping address agreed with the buyer, if any.
            note: optional free text (long text, :mod:`ecservice.text`).

        Raises:
            InvalidTransition: the order is not awaiting confirmation.
            ValidationError: ``address`` is not an :class:`Address`, a bad note or actor.
        """
        payload = self._prepare_confirm(actor=actor, address=address, note=note)
        return self._fire("confirm", actor=actor, **payload)

    def _prepare_mark_out_of_stock(
        self, skus: Iterable[str] | str = REQUIRED, *, actor: Actor, note: str = ""
    ) -> dict[str, Any]:
        self._ensure_allowed("mark_out_of_stock")
        require("mark_out_of_stock", skus=skus)
        why = check_note(note)
        names = tuple(sorted(set(_sku_names(skus, "skus"))))
        if not names:
            raise UnknownLine("name the SKUs that are out of stock")
        open_now = _open_after(self, self.shipments, self.cancellations)
        for sku in names:
            self.line(sku)
            if open_now[sku] == 0:
                raise InvalidQuantity(f"line {sku!r} has no open units left to be out of stock")
        event = OrderMarkedOutOfStock(**self._event_base(_actor(actor)), skus=names)
        return {"note": why, "change": self._current(out_of_stock=names, events=(event,))}

    def mark_out_of_stock(
        self, skus: Iterable[str] | str, *, actor: Actor, note: str = ""
    ) -> TransitionRecord:
        """Report that lines cannot be fulfilled from stock now (缺货).

        Args:
            skus: the missing SKUs: an iterable of SKUs, or one SKU as a ``str`` (a string is
                one SKU, never a sequence of one-letter SKUs).

        Raises:
            UnknownLine: no SKU given, or one the order does not have.
            InvalidQuantity: a line with no open units left.
        """
        payload = self._prepare_mark_out_of_stock(skus, actor=actor, note=note)
        return self._fire("mark_out_of_stock", actor=actor, **payload)

    def _prepare_restock(
        self, skus: Iterable[str] | str | None = None, *, actor: Actor, note: str = ""
    ) -> dict[str, Any]:
        self._ensure_allowed("restock")
        why = check_note(note)
        names = set(self.out_of_stock if skus is None else _sku_names(skus, "skus"))
        unknown = names - set(self.out_of_stock)
        if unknown or not names:
            raise UnknownLine(
                f"SKUs {sorted(unknown)[:20] or '(none)'} are not out of stock; out of stock: "
                f"{list(self.out_of_stock)}"
            )
        left = tuple(s for s in self.out_of_stock if s not in names)
        event = OrderRestocked(**self._event_base(_actor(actor)), skus=tuple(sorted(names)))
        return {"note": why, "change": self._current(out_of_stock=left, events=(event,))}

    def restock(
        self, skus: Iterable[str] | str | None = None, *, actor: Actor, note: str = ""
    ) -> TransitionRecord:
        """Mark missing lines as back in stock; processing resumes once none is missing.

        Args:
            skus: the SKUs back in stock (one ``str`` is one SKU); ``None`` for all of them.

        Raises:
            UnknownLine: a SKU that is not out of stock.
        """
        payload = self._prepare_restock(skus, actor=actor, note=note)
        return self._fire("restock", actor=actor, **payload)

    def _prepare_ship(
        self,
        *,
        carrier: str = REQUIRED,
        tracking_no: str = REQUIRED,
        actor: Actor,
        items: Mapping[str, int] | None = None,
        warehouse: str = "main",
        shipment_id: str | None = None,
        note: str = "",
    ) -> dict[str, Any]:
        self._ensure_allowed("ship")
        require("ship", carrier=carrier, tracking_no=tracking_no)
        why = check_note(note)
        carrier = check_short(carrier, "carrier")
        tracking_no = check_short(tracking_no, "tracking number")
        warehouse = check_short(warehouse, "warehouse")
        open_now = _open_after(self, self.shipments, self.cancellations)
        if items is None:
            wanted = tuple(sorted((sku, qty) for sku, qty in open_now.items() if qty))
            if not wanted:
                raise InvalidQuantity(f"order {self.id!r} has no open units left to ship")
        else:
            wanted = quantities(items)
            for sku, qty in wanted:
                open_qty = open_now.get(sku)
                if open_qty is None:
                    self.line(sku)  # raises UnknownLine
                    open_qty = 0
                if qty > open_qty:
                    line = self.line(sku)
                    raise InvalidQuantity(
                        f"cannot ship {qty} of {sku!r}: only {open_qty} unit(s) are open "
                        f"(ordered {line.quantity}, shipped {self.shipped_quantity(sku)}, "
                        f"cancelled {self.cancelled_quantity(sku)})"
                    )
        ids = {s.id for s in self.shipments}
        if shipment_id is None:
            n = len(self.shipments) + 1
            while f"{self.id}-S{n}" in ids:
                n += 1
            sid = f"{self.id}-S{n}"
        else:
            sid = check_text(shipment_id, "shipment id")
            if sid in ids:
                raise ValidationError(f"order {self.id!r} already has a shipment {sid!r}")
        now = self.clock.now()
        shipment = _trusted(
            Shipment,
            id=sid,
            warehouse=warehouse,
            carrier=carrier,
            tracking_no=tracking_no,
            items=wanted,
            shipped_at=now,
            events=(),
            received_at=None,
            received_by=None,
        )
        event = ShipmentDispatched(**self._event_base(_actor(actor), now), shipment=shipment)
        change = self._current(shipments=(*self.shipments, shipment), events=(event,))
        return {"note": why, "change": change}

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

        Args:
            carrier: the carrier's name (short text).
            tracking_no: the carrier's tracking number (short text).
            items: a mapping ``{sku: quantity}``; ``None`` ships every open unit.
            warehouse: where the parcel leaves from (short text).
            shipment_id: the parcel's id; by default ``"<order id>-S<n>"``.

        Raises:
            InvalidQuantity: more units than are open, nothing to ship, or ``items`` that is not
                a mapping of quantities (a ``str`` is refused).
            UnknownLine: a SKU the order does not have.
            ValidationError: a shipment id already used, unacceptable text.
        """
        payload = self._prepare_ship(
            carrier=carrier,
            tracking_no=tracking_no,
            actor=actor,
            items=items,
            warehouse=warehouse,
            shipment_id=shipment_id,
            note=note,
        )
        return self._fire("ship", actor=actor, **payload)

    def _prepare_add_tracking_event(
        self,
        shipment_id: str = REQUIRED,
        event: TrackingEvent = REQUIRED,
        *,
        actor: Actor,
        note: str = "",
    ) -> dict[str, Any]:
        self._ensure_allowed("add_tracking_event")
        require("add_tracking_event", shipment_id=shipment_id, event=event)
        why = check_note(note)
        if not isinstance(event, TrackingEvent):
            raise ValidationError(f"event must be a TrackingEvent, not {type(event).__name__}")
        i = self._shipment_index(shipment_id)
        shipment = self.shipments[i]
        if not shipment.travelling:
            raise ValidationError(f"shipment {shipment_id!r} was already received")
        last = shipment.events[-1].at if shipment.events else shipment.shipped_at
        if event.at < last:
            raise TrackingOutOfOrder(
                f"tracking event at {event.at.isoformat()} is older than "
                f"{last.isoformat()}, the last known time of shipment {shipment_id!r}; "
                "events must be added in time order"
            )
        now = self.clock.now()
        # datetime's own subtraction: pendulum's builds an Interval, 50 times slower.
        if _dt.datetime.__sub__(event.at, now) > self.tracking_lead:
            raise ValidationError(
                f"tracking event at {event.at.isoformat()} is dated more than "
                f"{self.tracking_lead} after the order's clock ({now.isoformat()}); "
                "a scan cannot come from the future: check the carrier's date"
            )
        updated = _shipment_copy(shipment, (*shipment.events, event), None, None)
        shipments = self.shipments
        added = TrackingEventAdded(
            **self._event_base(_actor(actor), now), shipment_id=shipment.id, event=event
        )
        change = self._current(
            shipments=(*shipments[:i], updated, *shipments[i + 1 :]), events=(added,)
        )
        return {"note": why, "change": change}

    def add_tracking_event(
        self, shipment_id: str, event: TrackingEvent, *, actor: Actor, note: str = ""
    ) -> TransitionRecord:
        """Append a carrier tracking event to a travelling shipment.

        Raises:
            TrackingOutOfOrder: the event is older than the shipment's last event or its dispatch.
            ValidationError: no such shipment, it was already received, or the event is dated
                more than :attr:`tracking_lead` (one hour) ahead of the order's clock.
        """
        payload = self._prepare_add_tracking_event(shipment_id, event, actor=actor, note=note)
        return self._fire("add_tracking_event", actor=actor, **payload)

    def _receipt(
        self, ids: Iterable[str], actor: Actor, note: str, *, automatic: bool
    ) -> dict[str, Any]:
        why = check_note(note)
        actor = _actor(actor)
        now = self.clock.now()
        wanted = set(ids)
        shipments = tuple(
            _shipment_copy(s, s.events, now, actor) if s.id in wanted else s for s in self.shipments
        )
        events = tuple(
            ShipmentReceived(**self._event_base(actor, now), shipment_id=sid, automatic=automatic)
            for sid in sorted(wanted)
        )
        return {"note": why, "change": self._current(shipments=shipments, events=events)}

    def _prepare_confirm_receipt(
        self, shipment_id: str | None = None, *, actor: Actor, note: str = ""
    ) -> dict[str, Any]:
        self._ensure_allowed("confirm_receipt")
        if shipment_id is None:
            ids = [s.id for s in self.shipments if s.received_at is None]
        else:
            if not self.shipment(shipment_id).travelling:
                raise ValidationError(f"shipment {shipment_id!r} was already received")
            ids = [shipment_id]
        return self._receipt(ids, actor, note, automatic=False)

    def confirm_receipt(
        self, shipment_id: str | None = None, *, actor: Actor, note: str = ""
    ) -> TransitionRecord:
        """The buyer confirms receipt (确认收货) of one parcel, or of every travelling one.

        Raises:
            ValidationError: no such shipment, or it was already received.
        """
        payload = self._prepare_confirm_receipt(shipment_id, actor=actor, note=note)
        return self._fire("confirm_receipt", actor=actor, **payload)

    def _prepare_auto_confirm(
        self, policy: AutoConfirmPolicy = REQUIRED, *, actor: Actor | None = None, note: str = ""
    ) -> dict[str, Any]:
        self._ensure_allowed("auto_confirm")
        require("auto_confirm", policy=policy)
        _check_policy(policy)
        now = self.clock.now()
        due = [s.id for s in self.travelling if policy.is_due(s.shipped_at, now)]
        if not due:
            nxt = self.auto_confirm_due_at(policy)
            raise PolicyViolation(
                f"no parcel of order {self.id!r} is due for automatic confirmation at "
                f"{now.isoformat()}; the next is due at {nxt.isoformat() if nxt else 'never'}"
            )
        who = Actor.system("auto-confirm") if actor is None else actor
        return self._receipt(due, who, note, automatic=True)

    def auto_confirm(
        self,
        policy: AutoConfirmPolicy,
        *,
        actor: Actor | None = None,
        note: str = "",
    ) -> TransitionRecord:
        """Confirm receipt of every travelling parcel whose automatic-confirmation time passed.

        Args:
            policy: when parcels become due.
            actor: who runs the job; by default ``Actor.system("auto-confirm")``.

        Raises:
            PolicyViolation: no parcel is due yet (the message says when the next one is).
        """
        payload = self._prepare_auto_confirm(policy, actor=actor, note=note)
        who = Actor.system("auto-confirm") if actor is None else actor
        return self._fire("auto_confirm", actor=who, **payload)

    def _cancellations(
        self, wanted: Iterable[tuple[str, int]], why: str, actor: Actor
    ) -> tuple[Cancellation, ...]:
        now = self.clock.now()
        return tuple(
            _trusted(Cancellation, sku=sku, quantity=qty, reason=why, at=now, actor=actor)
            for sku, qty in wanted
        )

    def _prepare_cancel(self, *, reason: str = REQUIRED, actor: Actor) -> dict[str, Any]:
        self._ensure_allowed("cancel")
        require("cancel", reason=reason)
        why = check_text(reason, "reason", limit=LONG_TEXT_MAX, multiline=True)
        open_now = _open_after(self, self.shipments, self.cancellations)
        new = self._cancellations(
            sorted((sku, qty) for sku, qty in open_now.items() if qty), why, _actor(actor)
        )
        change = self._current(cancellations=self.cancellations + new)
        return {"note": why, "change": change, "reason": why}

    def cancel(self, *, reason: str, actor: Actor) -> TransitionRecord:
        """Cancel the whole order (取消订单) before anything has shipped.

        Args:
            reason: why (long text, at most 2,000 characters); also the history note.

        Raises:
            GuardRejected: a parcel has already shipped (cancel the open lines instead).
            ValidationError: a missing or unacceptable reason.
        """
        payload = self._prepare_cancel(reason=reason, actor=actor)
        return self._fire("cancel", actor=actor, **payload)

    def _prepare_cancel_lines(
        self, items: Mapping[str, int] = REQUIRED, *, reason: str = REQUIRED, actor: Actor
    ) -> dict[str, Any]:
        self._ensure_allowed("cancel_lines")
        require("cancel_lines", items=items, reason=reason)
        why = check_text(reason, "reason", limit=LONG_TEXT_MAX, multiline=True)
        wanted = quantities(items)
        left = _open_after(self, self.shipments, self.cancellations)
        for sku, qty in wanted:
            open_qty = left.get(sku)
            if open_qty is None:
                self.line(sku)  # raises UnknownLine
                open_qty = 0
            if qty > open_qty:
                raise InvalidQuantity(
                    f"cannot cancel {qty} of {sku!r}: only {open_qty} unit(s) are open"
                )
            left[sku] = open_qty - qty
        new = self._cancellations(wanted, why, _actor(actor))
        event = LinesCancelled(**self._event_base(actor), cancellations=new)
        change = self._current(
            cancellations=self.cancellations + new,
            out_of_stock=tuple(sku for sku in self.out_of_stock if left[sku]),
            events=(event,),
        )
        return {"note": why, "change": change, "reason": why}

    def cancel_lines(
        self, items: Mapping[str, int], *, reason: str, actor: Actor
    ) -> TransitionRecord:
        """Cancel some open units (部分取消), for example a line that cannot be restocked.

        The order moves on by itself: cancelled when nothing is left, done when everything left
        was delivered, back to processing when no missing line is open any more.

        Raises:
            InvalidQuantity: more units than are open, or ``items`` not a mapping of quantities.
            UnknownLine: a SKU the order does not have.
        """
        payload = self._prepare_cancel_lines(items, reason=reason, actor=actor)
        return self._fire("cancel_lines", actor=actor, **payload)


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


S = OrderStatus

#: The default order workflow. Derive custom ones with :meth:`Workflow.derive`.
ORDER_WORKFLOW: Final[Workflow[Order[Any]]] = Workflow(
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
