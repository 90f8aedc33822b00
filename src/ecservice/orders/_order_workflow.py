"""The default order workflow: the proposed change, its guards and hooks, and the table."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, final

import attrs

from ecservice.money import Money
from ecservice.orders import _holds
from ecservice.orders._events import (
    OrderCancelled,
    OrderCompleted,
    OrderStatus,
    RefundDue,
    _plain_event,
)
from ecservice.orders._values import Address, Cancellation, Shipment
from ecservice.workflow import Context, DomainEvent, Workflow, transition

if TYPE_CHECKING:
    from ecservice.orders._order import Order

__all__ = [
    "ORDER_WORKFLOW",
    "OrderChange",
    "all_cancelled",
    "all_settled",
    "apply_change",
    "nothing_shipped",
    "nothing_travels",
    "stock_restored",
]


@final
@attrs.frozen(slots=True, kw_only=True)
class OrderChange:
    """The data a trigger proposes for an order, checked by guards, applied by a ``before`` hook.

    Typed trigger methods validate their arguments and compute an ``OrderChange``; the workflow's
    guards pick the destination state from it, and the ``apply_change`` hook assigns it. Custom
    workflows reuse both through the default transitions. It has no validators: whoever builds
    one passes values already checked.

    Args:
        shipments: the order's shipments after the trigger (all of them, not only new ones).
        cancellations: the order's cancellations after the trigger.
        out_of_stock: the SKUs out of stock after the trigger.
        address: the shipping address after the trigger.
        events: the domain events the transition emits if it succeeds.
    """

    shipments: tuple[Shipment, ...]
    cancellations: tuple[Cancellation, ...]
    out_of_stock: tuple[str, ...]
    address: Address
    events: tuple[DomainEvent, ...] = ()


_o_shipments, _o_cancellations, _o_out_of_stock, _o_address, _o_events = (
    OrderChange.__dict__[name].__set__
    for name in ("shipments", "cancellations", "out_of_stock", "address", "events")
)


def new_change(
    shipments: tuple[Shipment, ...],
    cancellations: tuple[Cancellation, ...],
    out_of_stock: tuple[str, ...],
    address: Address,
    events: tuple[DomainEvent, ...],
) -> OrderChange:
    """An :class:`OrderChange` of values the order area took from a valid order or checked
    itself (``OrderChange`` has no validators: this only skips the keyword handling)."""
    change: OrderChange = object.__new__(OrderChange)
    _o_shipments(change, shipments)
    _o_cancellations(change, cancellations)
    _o_out_of_stock(change, out_of_stock)
    _o_address(change, address)
    _o_events(change, events)
    return change


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


# --- guards (pure; their docstrings explain rejections and label diagrams) ----------------------


def nothing_travels(order: Order[Any], ctx: Context) -> bool:
    """No parcel is still travelling."""
    for s in _change(order, ctx).shipments:  # noqa: SIM110 - faster than all() of a generator
        if s.travelling:
            return False
    return True


def all_settled(order: Order[Any], ctx: Context) -> bool:
    """Every unit is shipped or cancelled."""
    change = _change(order, ctx)
    done = _settled(change.shipments, change.cancellations)
    get = done.get
    for line in order.lines:  # noqa: SIM110 - faster than all() of a generator
        if line.quantity - get(line.sku, 0):
            return False
    return True


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
    emit = ctx.emit
    for event in change.events:
        # Events were built before the kernel read the clock: stamp them with the transition's
        # time so that they agree with its history record.
        same = event.occurred_at is at or event.occurred_at == at
        emit(event if same else attrs.evolve(event, occurred_at=at))
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
    ctx.emit(_plain_event(OrderCompleted, order.id, ctx.at, ctx.actor))


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
        # Exceptions (异常订单): staff or the exception rules hold an order before anything
        # travels; only staff release it (back where it was held from) or cancel it.
        transition(
            "hold",
            list(_holds.HOLDABLE),
            S.ON_HOLD,
            conditions=[_holds.by_staff_or_system],
            before=[apply_change],
        ),
        *(
            transition(
                "release",
                S.ON_HOLD,
                state,
                conditions=[_holds.by_staff, _holds.returns_to(state)],
                before=[apply_change],
            )
            for state in _holds.HOLDABLE
        ),
        transition(
            "cancel",
            S.ON_HOLD,
            S.CANCELLED,
            conditions=[_holds.by_staff, nothing_shipped],
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
