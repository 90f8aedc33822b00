"""The pure half of each order trigger: check the arguments, propose an order change.

Each ``prepare_<trigger>`` function is bound on :class:`~ecservice.orders.Order` as its
``_prepare_<trigger>`` method (hence the ``self`` parameter): the typed trigger method fires the
payload it returns, and :meth:`~ecservice.workflow.Aggregate.can` calls it to answer ``True``
exactly when the typed call succeeds.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ecservice.errors import (
    InvalidQuantity,
    PolicyViolation,
    TrackingOutOfOrder,
    UnknownLine,
    ValidationError,
)
from ecservice.orders._events import (
    LinesCancelled,
    OrderConfirmed,
    OrderMarkedOutOfStock,
    OrderRestocked,
    _dispatched,
    _plain_event,
    _received,
    _tracking_added,
)
from ecservice.orders._order_checks import _check_policy
from ecservice.orders._order_workflow import _open_after, new_change
from ecservice.orders._policy import AutoConfirmPolicy
from ecservice.orders._values import (
    Address,
    Cancellation,
    TrackingEvent,
    _new_cancellation,
    _new_shipment,
    _shipment_copy,
    check_note,
    check_short,
    quantities,
)
from ecservice.text import LONG_TEXT_MAX, check_text
from ecservice.workflow import Actor
from ecservice.workflow._arguments import REQUIRED, require

if TYPE_CHECKING:
    from ecservice.orders._order import Order

__all__ = [
    "prepare_add_tracking_event",
    "prepare_auto_confirm",
    "prepare_cancel",
    "prepare_cancel_lines",
    "prepare_confirm",
    "prepare_confirm_receipt",
    "prepare_mark_out_of_stock",
    "prepare_restock",
    "prepare_ship",
]


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


def prepare_confirm(
    self: Order[Any], *, actor: Actor, address: Address | None = None, note: str = ""
) -> dict[str, Any]:
    self._ensure_allowed("confirm")
    why = check_note(note)
    if address is None:
        address = self.address
    elif not isinstance(address, Address):
        raise ValidationError(f"address must be an Address, not {type(address).__name__}")
    who = _actor(actor)
    event = _plain_event(OrderConfirmed, self.id, self.clock.now(), who)
    change = new_change(self.shipments, self.cancellations, self.out_of_stock, address, (event,))
    return {"note": why, "change": change}


def prepare_mark_out_of_stock(
    self: Order[Any], skus: Iterable[str] | str = REQUIRED, *, actor: Actor, note: str = ""
) -> dict[str, Any]:
    self._ensure_allowed("mark_out_of_stock")
    if skus is REQUIRED:
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


def prepare_restock(
    self: Order[Any], skus: Iterable[str] | str | None = None, *, actor: Actor, note: str = ""
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


def prepare_ship(
    self: Order[Any],
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
    if carrier is REQUIRED or tracking_no is REQUIRED:
        require("ship", carrier=carrier, tracking_no=tracking_no)
    why = check_note(note)
    carrier = check_short(carrier, "carrier")
    tracking_no = check_short(tracking_no, "tracking number")
    warehouse = check_short(warehouse, "warehouse")
    shipments = self.shipments
    open_now = _open_after(self, shipments, self.cancellations)
    if items is None:
        wanted = tuple(sorted([(sku, qty) for sku, qty in open_now.items() if qty]))
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
    ids = {s.id for s in shipments}
    if shipment_id is None:
        n = len(shipments) + 1
        sid = f"{self.id}-S{n}"
        while sid in ids:
            n += 1
            sid = f"{self.id}-S{n}"
    else:
        sid = check_text(shipment_id, "shipment id")
        if sid in ids:
            raise ValidationError(f"order {self.id!r} already has a shipment {sid!r}")
    now = self.clock.now()
    shipment = _new_shipment(sid, warehouse, carrier, tracking_no, wanted, now, (), None, None)
    event = _dispatched(self.id, now, _actor(actor), shipment)
    change = new_change(
        (*shipments, shipment), self.cancellations, self.out_of_stock, self.address, (event,)
    )
    return {"note": why, "change": change}


def prepare_add_tracking_event(
    self: Order[Any],
    shipment_id: str = REQUIRED,
    event: TrackingEvent = REQUIRED,
    *,
    actor: Actor,
    note: str = "",
) -> dict[str, Any]:
    self._ensure_allowed("add_tracking_event")
    if shipment_id is REQUIRED or event is REQUIRED:
        require("add_tracking_event", shipment_id=shipment_id, event=event)
    why = check_note(note)
    if not isinstance(event, TrackingEvent):
        raise ValidationError(f"event must be a TrackingEvent, not {type(event).__name__}")
    shipments = self.shipments
    i = self._shipment_index(shipment_id)
    shipment = shipments[i]
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
    added = _tracking_added(self.id, now, _actor(actor), shipment.id, event)
    change = new_change(
        (*shipments[:i], updated, *shipments[i + 1 :]),
        self.cancellations,
        self.out_of_stock,
        self.address,
        (added,),
    )
    return {"note": why, "change": change}


def _receipt(
    self: Order[Any], ids: Iterable[str], actor: Actor, note: str, *, automatic: bool
) -> dict[str, Any]:
    why = check_note(note)
    actor = _actor(actor)
    now = self.clock.now()
    wanted = set(ids)
    shipments = tuple(
        [_shipment_copy(s, s.events, now, actor) if s.id in wanted else s for s in self.shipments]
    )
    order_id = self.id
    events = tuple([_received(order_id, now, actor, sid, automatic) for sid in sorted(wanted)])
    change = new_change(shipments, self.cancellations, self.out_of_stock, self.address, events)
    return {"note": why, "change": change}


def prepare_confirm_receipt(
    self: Order[Any], shipment_id: str | None = None, *, actor: Actor, note: str = ""
) -> dict[str, Any]:
    self._ensure_allowed("confirm_receipt")
    if shipment_id is None:
        ids = [s.id for s in self.shipments if s.received_at is None]
    else:
        if not self.shipment(shipment_id).travelling:
            raise ValidationError(f"shipment {shipment_id!r} was already received")
        ids = [shipment_id]
    return _receipt(self, ids, actor, note, automatic=False)


def prepare_auto_confirm(
    self: Order[Any],
    policy: AutoConfirmPolicy = REQUIRED,
    *,
    actor: Actor | None = None,
    note: str = "",
) -> dict[str, Any]:
    self._ensure_allowed("auto_confirm")
    if policy is REQUIRED:
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
    return _receipt(self, due, who, note, automatic=True)


def _cancellations(
    self: Order[Any], wanted: Iterable[tuple[str, int]], why: str, actor: Actor
) -> tuple[Cancellation, ...]:
    now = self.clock.now()
    return tuple([_new_cancellation(sku, qty, why, now, actor) for sku, qty in wanted])


def prepare_cancel(self: Order[Any], *, reason: str = REQUIRED, actor: Actor) -> dict[str, Any]:
    self._ensure_allowed("cancel")
    if reason is REQUIRED:
        require("cancel", reason=reason)
    why = check_text(reason, "reason", limit=LONG_TEXT_MAX, multiline=True)
    open_now = _open_after(self, self.shipments, self.cancellations)
    new = _cancellations(
        self, sorted((sku, qty) for sku, qty in open_now.items() if qty), why, _actor(actor)
    )
    # Nothing is left open, so nothing is waiting for stock any more.
    change = self._current(cancellations=self.cancellations + new, out_of_stock=())
    return {"note": why, "change": change, "reason": why}


def prepare_cancel_lines(
    self: Order[Any], items: Mapping[str, int] = REQUIRED, *, reason: str = REQUIRED, actor: Actor
) -> dict[str, Any]:
    self._ensure_allowed("cancel_lines")
    if items is REQUIRED or reason is REQUIRED:
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
    new = _cancellations(self, wanted, why, _actor(actor))
    event = LinesCancelled(**self._event_base(actor), cancellations=new)
    change = self._current(
        cancellations=self.cancellations + new,
        out_of_stock=tuple(sku for sku in self.out_of_stock if left[sku]),
        events=(event,),
    )
    return {"note": why, "change": change, "reason": why}
