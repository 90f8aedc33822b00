"""The order aggregate: its fields, derived views and typed trigger methods."""

from __future__ import annotations

import datetime as _dt
import enum
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Final

import attrs
from pendulum import DateTime
from typing_extensions import TypeVar

from ecservice._shown import shown
from ecservice.clock import ensure_utc
from ecservice.errors import UnknownLine, ValidationError
from ecservice.money import Currency, Money
from ecservice.orders import _holds, _privacy
from ecservice.orders import _order_prepare as _prepare
from ecservice.orders._events import OrderStatus
from ecservice.orders._hold_values import Hold, HoldReason
from ecservice.orders._order_checks import (
    _as_cancellations,
    _as_lines,
    _as_shipments,
    _as_skus,
    _check_address,
    _check_lines,
    _check_policy,
    _check_presale,
    _remarks,
    check_order,
)
from ecservice.orders._order_workflow import ORDER_WORKFLOW, OrderChange, _open_after, new_change
from ecservice.orders._policy import AutoConfirmPolicy
from ecservice.orders._privacy import ErasurePolicy, ErasureResult
from ecservice.orders._values import (
    Address,
    Cancellation,
    OrderLine,
    Presale,
    Shipment,
    TrackingEvent,
    goods_total,
    short_text,
)
from ecservice.workflow import Actor, Aggregate, DomainEvent, TransitionRecord, bind_workflow

__all__ = ["TRACKING_LEAD", "OS_co", "Order"]

#: The state type of an order: :class:`OrderStatus`, or a union with a custom workflow's states.
OS_co = TypeVar("OS_co", bound=enum.Enum, default=OrderStatus, covariant=True)
OS_co.__module__ = "ecservice.orders"  # documented there, with Order

#: How far ahead of the order's clock a carrier's tracking event may be dated by default.
TRACKING_LEAD: Final = _dt.timedelta(hours=1)

# The default status, typed for every state type an Order subclass may declare.
_PENDING: Any = OrderStatus.PENDING_CONFIRMATION

# Up to this many lines, scanning them is as fast as an index (and costs no memory).
_SCAN_LINES: Final = 8


def _remarks_shown(remarks: str) -> str:
    """The remarks in a repr: their length only (they often hold a phone number or an
    address)."""
    return f"<{len(remarks)} characters>"


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

    Args:
        id: the order's identifier (short text).
        version: how many transitions succeeded; 0 for a new one.
        history: every transition, oldest first (``version`` records).
        clock: where the order reads the time; the system clock by default.
        status: the order's state; ``OrderStatus.PENDING_CONFIRMATION`` for a new order.
        buyer_id: the buyer's identifier (short text).
        lines: the ordered lines (a tuple or list of :class:`OrderLine`, at least one, distinct
            SKUs, one currency: the order's).
        address: where to ship.
        shipping_fee: the shipping fee charged, a non-negative amount of the order's currency.
        created_at: when the order was placed; an aware datetime, converted to UTC.
        remarks: the buyer's remarks to the shop (买家留言; long text of at most
            :data:`~ecservice.text.LONG_TEXT_MAX` characters, possibly empty).
        presale: the presale terms, or ``None`` for an order of goods in stock.
        shipments: the parcels dispatched so far, with distinct ids.
        cancellations: the units cancelled so far.
        out_of_stock: the SKUs marked out of stock (缺货), each a line with open units.

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
    lines: tuple[OrderLine, ...] = attrs.field(converter=_as_lines, validator=_check_lines)
    address: Address = attrs.field(validator=_check_address)
    shipping_fee: Money
    created_at: DateTime = attrs.field(converter=ensure_utc)
    remarks: str = attrs.field(default="", validator=_remarks, repr=_remarks_shown)
    presale: Presale | None = attrs.field(default=None, validator=_check_presale)
    shipments: tuple[Shipment, ...] = attrs.field(default=(), converter=_as_shipments)
    cancellations: tuple[Cancellation, ...] = attrs.field(default=(), converter=_as_cancellations)
    out_of_stock: tuple[str, ...] = attrs.field(default=(), converter=_as_skus)
    # SKU -> line, built on first lookup of an order of many lines; never changed in place (the
    # lines never change), so the kernel need not copy it when a trigger fires.
    _index: Mapping[str, OrderLine] | None = attrs.field(
        default=None, init=False, eq=False, repr=False
    )

    def __attrs_post_init__(self) -> None:
        # The kernel's base checks (status, version, history, clock) run first on their own.
        check_order(self)

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
        """Goods plus shipping.

        Raises:
            InvalidAmount: the total has more digits than an amount may hold.
        """
        return Money.from_minor(self._total_units(), self.currency)

    def _total_units(self) -> int:
        # Goods and shipping added up once, in whole minor units (exact).
        units = self.shipping_fee.minor_units
        for line in self.lines:
            units += line.unit_price.minor_units * line.quantity
        return units

    @property
    def ordered_quantity(self) -> int:
        """Units ordered, over all lines."""
        return sum(line.quantity for line in self.lines)

    @property
    def cancelled_value(self) -> Money:
        """Value of cancelled units; includes the shipping fee once every unit is cancelled."""
        return Money.from_minor(self._cancelled_units(), self.currency)

    def _cancelled_units(self) -> int:
        if not self.cancellations:
            return 0
        per_sku: dict[str, int] = {}
        for c in self.cancellations:
            per_sku[c.sku] = per_sku.get(c.sku, 0) + c.quantity
        units = sum(self.line(sku).unit_price.minor_units * qty for sku, qty in per_sku.items())
        if sum(per_sku.values()) == self.ordered_quantity:
            units += self.shipping_fee.minor_units
        return units

    @property
    def amount_due(self) -> Money:
        """What the buyer owes for what is not cancelled (the payment seam).

        Raises:
            InvalidAmount: the total has more digits than an amount may hold.
        """
        units, cur = self._total_units(), self.currency
        total = Money.from_minor(units, cur)  # refused when too large, whatever was cancelled
        if not self.cancellations:
            return total
        return Money.from_minor(units - self._cancelled_units(), cur)

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
        """For a presale order: whether ``at`` is past the promised ship-by time with units open.

        ``False`` while the order is held (``OrderStatus.ON_HOLD``): staff stopped it on
        purpose, so its ship-by time does not run out on the shop.

        Raises:
            NaiveDatetime: ``at`` has no time zone.
            ValidationError: ``at`` is not a datetime.
        """
        instant = ensure_utc(at, what="at")  # checked whatever the answer
        if self.presale is None or self.is_final or self.status is OrderStatus.ON_HOLD:
            return False
        return instant > self.presale.ship_by and bool(self.open_items())

    def auto_confirm_due_at(self, policy: AutoConfirmPolicy) -> DateTime | None:
        """When the next travelling parcel becomes due for automatic confirmation; ``None``
        when none travels, and while the order is held (no timer fires on a held order).

        Raises:
            ValidationError: ``policy`` is not an :class:`AutoConfirmPolicy`.
        """
        _check_policy(policy)
        if self.status is OrderStatus.ON_HOLD:
            return None
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
        return new_change(
            self.shipments if shipments is None else shipments,
            self.cancellations if cancellations is None else cancellations,
            self.out_of_stock if out_of_stock is None else out_of_stock,
            self.address if address is None else address,
            events,
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
    # payload for ``_fire``: the note and the proposed OrderChange; written in _order_prepare)
    # and a thin typed method that fires it. ``can(trigger, **kwargs)`` calls the same
    # ``_prepare_<trigger>``, so it answers True exactly when the typed call succeeds.

    _prepare_confirm = _prepare.prepare_confirm

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
        return self._fire_prepared("confirm", actor, payload)

    _prepare_mark_out_of_stock = _prepare.prepare_mark_out_of_stock

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
        return self._fire_prepared("mark_out_of_stock", actor, payload)

    _prepare_restock = _prepare.prepare_restock

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
        return self._fire_prepared("restock", actor, payload)

    _prepare_ship = _prepare.prepare_ship

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
        return self._fire_prepared("ship", actor, payload)

    _prepare_add_tracking_event = _prepare.prepare_add_tracking_event

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
        return self._fire_prepared("add_tracking_event", actor, payload)

    _prepare_confirm_receipt = _prepare.prepare_confirm_receipt

    def confirm_receipt(
        self, shipment_id: str | None = None, *, actor: Actor, note: str = ""
    ) -> TransitionRecord:
        """The buyer confirms receipt (确认收货) of one parcel, or of every travelling one.

        Raises:
            ValidationError: no such shipment, or it was already received.
        """
        payload = self._prepare_confirm_receipt(shipment_id, actor=actor, note=note)
        return self._fire_prepared("confirm_receipt", actor, payload)

    _prepare_auto_confirm = _prepare.prepare_auto_confirm

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
        return self._fire_prepared("auto_confirm", who, payload)

    _prepare_cancel = _prepare.prepare_cancel

    def cancel(self, *, reason: str, actor: Actor) -> TransitionRecord:
        """Cancel the whole order (取消订单) before anything has shipped.

        A held order (:meth:`hold`) is cancelled by staff only.

        Args:
            reason: why (long text, at most 2,000 characters); also the history note.

        Raises:
            GuardRejected: a parcel has already shipped (cancel the open lines instead), or
                the order is held and the actor is not staff.
            ValidationError: a missing or unacceptable reason.
        """
        payload = self._prepare_cancel(reason=reason, actor=actor)
        return self._fire_prepared("cancel", actor, payload)

    _prepare_cancel_lines = _prepare.prepare_cancel_lines

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
        return self._fire_prepared("cancel_lines", actor, payload)

    # --- exceptions (异常订单) -------------------------------------------------------------------

    @property
    def holds(self) -> tuple[Hold, ...]:
        """Every hold of the order, oldest first, read from its history (see
        :class:`~ecservice.orders.Hold`); the last one is open while the order is held."""
        return _holds.holds_of(self)

    @property
    def held_from(self) -> enum.Enum | None:
        """The state the order was held from, where :meth:`release` returns it; ``None`` when
        it is not held."""
        return _holds.held_from(self)

    _prepare_hold = _holds.prepare_hold

    def hold(self, *, reason: HoldReason, detail: str, actor: Actor) -> TransitionRecord:
        """Put the order on hold as an exception (异常挂起): nothing moves on until staff
        :meth:`release` it or :meth:`cancel` it.

        An order is held while it awaits confirmation, is processing or is out of stock, never
        once a parcel travels. The history record's note is ``"<reason code>: <detail>"``;
        :attr:`holds` reads the holds back from it. While held, the order is not confirmed by
        a payment, its automatic confirmation and presale ship-by time do not run.

        Args:
            reason: why (a :class:`~ecservice.orders.HoldReason`).
            detail: what was found (1 to :data:`~ecservice.orders.HOLD_DETAIL_MAX` characters
                of long text).
            actor: staff, or the system running the exception rules
                (:meth:`Actor.system <ecservice.workflow.Actor.system>`).

        Raises:
            InvalidTransition: the order is in transit, done, cancelled or already held.
            GuardRejected: the actor is a buyer or a carrier.
            ValidationError: ``reason`` not a :class:`~ecservice.orders.HoldReason`, a missing,
                blank or too long ``detail``, an ``actor`` that is not an
                :class:`~ecservice.workflow.Actor`.
        """
        payload = self._prepare_hold(reason=reason, detail=detail, actor=actor)
        return self._fire_prepared("hold", actor, payload)

    _prepare_release = _holds.prepare_release

    def release(self, *, actor: Actor, note: str = "") -> TransitionRecord:
        """Release a held order (放行): it returns to the state it was held from.

        Args:
            actor: the staff member who checked the exception.
            note: what was decided (optional long text).

        Raises:
            InvalidTransition: the order is not held.
            GuardRejected: the actor is not staff.
            ValidationError: a bad note or actor.
        """
        payload = self._prepare_release(actor=actor, note=note)
        return self._fire_prepared("release", actor, payload)

    # --- personal data -------------------------------------------------------------------------

    def erase_personal_data(
        self,
        *,
        actor: Actor,
        reason: str,
        basis: str = _privacy.DEFAULT_BASIS,
        policy: ErasurePolicy | None = None,
        at: _dt.datetime | None = None,
    ) -> ErasureResult:
        """Erase the buyer's personal data (PIPL art. 47, GDPR art. 17), keeping the accounts.

        The address becomes :func:`~ecservice.orders.erased_address` (every part
        :data:`~ecservice.orders.ERASED`, the country kept); non-empty remarks, history notes
        and cancellation reasons become :data:`~ecservice.orders.ERASED`; so do the carriers'
        tracking reports (description and location, whatever they say: a report may name
        whoever signed for the parcel). Lines, amounts, statuses,
        shipments (carriers, tracking numbers, times), cancellations' quantities and the history
        records (trigger, states, time, actor, version) stay, so totals, refunds and payments
        reconcile as before.

        The erasure is not a transition: a final order has none left (its workflow may not leave
        a final state), so ``version`` and the length of ``history`` do not change. It is
        recorded by the :class:`~ecservice.orders.PersonalDataErased` event of the result (when,
        who, legal basis, which parts; never an erased value), which
        :class:`~ecservice.application.PrivacyService` writes to the outbox. Storing an erased
        order is safe without a new version because a final order never changes again: no
        other writer can hold a newer copy.

        Idempotent: erasing an erased order changes nothing and returns a result with
        ``erased=False``. Checks run first; if one fails the order is unchanged.

        Args:
            actor: who erases (usually staff acting on the buyer's request).
            reason: why, e.g. the request's reference (long text; must not repeat erased data).
            basis: the legal basis recorded (short text; ``"PIPL art. 47; GDPR art. 17"``).
            policy: when erasing is allowed (:class:`~ecservice.orders.ErasurePolicy`, the
                default one when ``None``: once the order is done or cancelled).
            at: when, an aware datetime; the order's clock by default.

        Returns:
            An :class:`~ecservice.orders.ErasureResult`: whether anything was erased, which
            parts, the event, and the erased values (in memory only) to scrub copies with.

        Raises:
            PolicyViolation: ``policy`` refuses (the order is open, or must still be kept).
            ValidationError: ``actor`` is not an :class:`~ecservice.workflow.Actor`, a missing
                or unacceptable ``reason`` or ``basis``, a naive ``at``, a ``policy`` of the
                wrong type.
        """
        return _privacy.erase_order(
            self, actor=actor, reason=reason, basis=basis, policy=policy, at=at
        )


bind_workflow(Order, ORDER_WORKFLOW)
