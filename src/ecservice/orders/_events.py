"""Order states and the domain events orders emit."""

from __future__ import annotations

from typing import TypeVar, final

import attrs
from pendulum import DateTime

from ecservice.money import Money
from ecservice.orders._hold_values import HoldReason
from ecservice.orders._values import Cancellation, Shipment, TrackingEvent, _setters
from ecservice.workflow import Actor, DomainEvent, LabelledState

__all__ = [
    "LinesCancelled",
    "OrderCancelled",
    "OrderCompleted",
    "OrderConfirmed",
    "OrderHeld",
    "OrderMarkedOutOfStock",
    "OrderPlaced",
    "OrderReleased",
    "OrderRestocked",
    "OrderStatus",
    "RefundDue",
    "ShipmentDispatched",
    "ShipmentReceived",
    "TrackingEventAdded",
]


class OrderStatus(LabelledState):
    """The states of an order, with the source practice's Chinese names."""

    PENDING_CONFIRMATION = ("pending_confirmation", "Awaiting confirmation", "待确认")
    PROCESSING = ("processing", "Processing", "正在处理")
    OUT_OF_STOCK = ("out_of_stock", "Out of stock", "缺货")
    IN_TRANSIT = ("in_transit", "In transit", "货在途中")
    DONE = ("done", "Done", "处理完毕")
    CANCELLED = ("cancelled", "Cancelled", "已取消")
    ON_HOLD = ("on_hold", "On hold", "异常挂起")


@final
@attrs.frozen(slots=True, kw_only=True)
class OrderPlaced(DomainEvent):
    """An order was created at checkout.

    Args:
        aggregate_id: the order's id.
        occurred_at: when, in UTC (the time of the transition).
        actor: who fired the trigger.
        total: what the buyer owes: the goods subtotal plus the shipping fee, in the order's
            currency.
    """

    total: Money


@final
@attrs.frozen(slots=True, kw_only=True)
class OrderConfirmed(DomainEvent):
    """The shop checked the address and items; processing starts.

    Args:
        aggregate_id: the order's id.
        occurred_at: when, in UTC (the time of the transition).
        actor: who fired the trigger.
    """


@final
@attrs.frozen(slots=True, kw_only=True)
class OrderMarkedOutOfStock(DomainEvent):
    """Some lines cannot be fulfilled from stock now.

    Args:
        aggregate_id: the order's id.
        occurred_at: when, in UTC (the time of the transition).
        actor: who fired the trigger.
        skus: the SKUs marked out of stock.
    """

    skus: tuple[str, ...]


@final
@attrs.frozen(slots=True, kw_only=True)
class OrderRestocked(DomainEvent):
    """Missing lines are back in stock.

    Args:
        aggregate_id: the order's id.
        occurred_at: when, in UTC (the time of the transition).
        actor: who fired the trigger.
        skus: the SKUs back in stock.
    """

    skus: tuple[str, ...]


@final
@attrs.frozen(slots=True, kw_only=True)
class ShipmentDispatched(DomainEvent):
    """A parcel left a warehouse.

    Args:
        aggregate_id: the order's id.
        occurred_at: when, in UTC (the time of the transition).
        actor: who fired the trigger.
        shipment: the parcel, as recorded on the order.
    """

    shipment: Shipment


@final
@attrs.frozen(slots=True, kw_only=True)
class TrackingEventAdded(DomainEvent):
    """A carrier reported progress on a parcel.

    Args:
        aggregate_id: the order's id.
        occurred_at: when, in UTC (the time of the transition).
        actor: who fired the trigger.
        shipment_id: the id of the parcel's :class:`~ecservice.orders.Shipment`.
        event: the carrier's report.
    """

    shipment_id: str
    event: TrackingEvent


@final
@attrs.frozen(slots=True, kw_only=True)
class ShipmentReceived(DomainEvent):
    """A parcel was received, confirmed by the buyer or automatically.

    Args:
        aggregate_id: the order's id.
        occurred_at: when, in UTC (the time of the transition).
        actor: who fired the trigger.
        shipment_id: the id of the parcel's :class:`~ecservice.orders.Shipment`.
        automatic: ``True`` when the system confirmed it under an
            :class:`~ecservice.orders.AutoConfirmPolicy` (自动确认收货), ``False`` when someone
            confirmed it.
    """

    shipment_id: str
    automatic: bool


@final
@attrs.frozen(slots=True, kw_only=True)
class LinesCancelled(DomainEvent):
    """Some units will not be delivered.

    Args:
        aggregate_id: the order's id.
        occurred_at: when, in UTC (the time of the transition).
        actor: who fired the trigger.
        cancellations: the cancellations the transition added to the order.
    """

    cancellations: tuple[Cancellation, ...]


@final
@attrs.frozen(slots=True, kw_only=True)
class RefundDue(DomainEvent):
    """The buyer is owed ``amount`` back because units (and, once nothing is left to deliver,
    the shipping fee) were cancelled.

    Emitted exactly once for each increase of :attr:`Order.cancelled_value
    <ecservice.orders.Order.cancelled_value>`, whichever trigger caused it, so the sum of all
    ``RefundDue`` amounts of an order always equals its ``cancelled_value``. It is information for
    an outbox (a notice to the buyer, a report): no money depends on it.
    :meth:`OrderPayments.settle <ecservice.payments.OrderPayments.settle>` computes what to refund
    from the order's and the payment's state, whoever consumed the event.

    Args:
        aggregate_id: the order's id.
        occurred_at: when, in UTC (the time of the transition).
        actor: who fired the trigger.
        amount: what became due, in the order's currency (positive).
        reason: why (the cancellation's reason or the trigger's note; long text).
        order_version: the order's version after the transition that made the refund due.
    """

    amount: Money
    reason: str
    #: The order's version after the transition that made the refund due. With the order id it
    #: is a unique key for this refund (use it as the refund's idempotency key).
    order_version: int


@final
@attrs.frozen(slots=True, kw_only=True)
class OrderCompleted(DomainEvent):
    """Every line is delivered or cancelled and every parcel received (处理完毕).

    Args:
        aggregate_id: the order's id.
        occurred_at: when, in UTC (the time of the transition).
        actor: who fired the trigger.
    """


@final
@attrs.frozen(slots=True, kw_only=True)
class OrderCancelled(DomainEvent):
    """The whole order was cancelled (the refund is announced by :class:`RefundDue`).

    Args:
        aggregate_id: the order's id.
        occurred_at: when, in UTC (the time of the transition).
        actor: who fired the trigger.
        reason: why (long text of at most :data:`~ecservice.text.LONG_TEXT_MAX` characters).
    """

    reason: str


@final
@attrs.frozen(slots=True, kw_only=True)
class OrderHeld(DomainEvent):
    """The order was put on hold as an exception (异常订单): nothing moves until staff release
    or cancel it.

    Args:
        aggregate_id: the order's id.
        occurred_at: when, in UTC (the time of the transition).
        actor: who held it (staff, or the system's exception rules).
        reason: why the order is held.
        detail: what the rule or the staff member found (long text).
        held_from: the ``value`` of the state the order was held from, where a release
            returns it.
    """

    reason: HoldReason
    detail: str
    held_from: str


@final
@attrs.frozen(slots=True, kw_only=True)
class OrderReleased(DomainEvent):
    """Staff released a held order: it goes back to the state it was held from.

    Args:
        aggregate_id: the order's id.
        occurred_at: when, in UTC (the time of the transition).
        actor: the staff member who released it.
        reason: the reason of the hold that ended.
        resumed: the ``value`` of the state the order returned to.
    """

    reason: HoldReason
    resumed: str


# --- building the events of the order's own transitions --------------------------------------
#
# The order area builds its events from values it read from a valid order or checked itself;
# events have no validators or converters, so these builders only skip the keyword handling of
# the attrs-generated ``__init__``. Each sets every field of its class.

_E = TypeVar("_E", bound=DomainEvent)
_aggregate_id, _occurred_at, _actor = _setters(DomainEvent, "aggregate_id", "occurred_at", "actor")
(_shipment,) = _setters(ShipmentDispatched, "shipment")
_tracked_id, _tracked_event = _setters(TrackingEventAdded, "shipment_id", "event")
_received_id, _automatic = _setters(ShipmentReceived, "shipment_id", "automatic")


def _plain_event(cls: type[_E], aggregate_id: str, at: DateTime, actor: Actor) -> _E:
    """An event of a class without fields of its own (:class:`OrderConfirmed`,
    :class:`OrderCompleted`)."""
    event: _E = object.__new__(cls)
    _aggregate_id(event, aggregate_id)
    _occurred_at(event, at)
    _actor(event, actor)
    return event


def _dispatched(
    aggregate_id: str, at: DateTime, actor: Actor, shipment: Shipment
) -> ShipmentDispatched:
    event: ShipmentDispatched = object.__new__(ShipmentDispatched)
    _aggregate_id(event, aggregate_id)
    _occurred_at(event, at)
    _actor(event, actor)
    _shipment(event, shipment)
    return event


def _tracking_added(
    aggregate_id: str, at: DateTime, actor: Actor, shipment_id: str, tracking: TrackingEvent
) -> TrackingEventAdded:
    event: TrackingEventAdded = object.__new__(TrackingEventAdded)
    _aggregate_id(event, aggregate_id)
    _occurred_at(event, at)
    _actor(event, actor)
    _tracked_id(event, shipment_id)
    _tracked_event(event, tracking)
    return event


def _received(
    aggregate_id: str, at: DateTime, actor: Actor, shipment_id: str, automatic: bool
) -> ShipmentReceived:
    event: ShipmentReceived = object.__new__(ShipmentReceived)
    _aggregate_id(event, aggregate_id)
    _occurred_at(event, at)
    _actor(event, actor)
    _received_id(event, shipment_id)
    _automatic(event, automatic)
    return event
