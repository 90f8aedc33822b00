"""``TypedBaselineOrder``: the typed methods of a lifecycle written by hand on ``BaselineOrder``."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from typing import Final

import attrs
from pendulum import DateTime

from ecservice.errors import (
    InvalidQuantity,
    InvalidTransition,
    TrackingOutOfOrder,
    UnknownLine,
    ValidationError,
)
from ecservice.orders import (
    Address,
    OrderCompleted,
    OrderConfirmed,
    OrderStatus,
    Shipment,
    ShipmentDispatched,
    ShipmentReceived,
    TrackingEvent,
    TrackingEventAdded,
)
from ecservice.text import check_optional_text, check_text
from ecservice.workflow import Actor, DomainEvent, TransitionRecord

from .baseline import ALLOWED, ORDER_TABLE, BaselineOrder

S = OrderStatus


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
