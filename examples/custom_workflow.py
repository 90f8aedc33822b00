"""A custom order workflow: quality inspection (质检) before shipping, payment before confirming.

The shop derives its workflow from the default one: it removes the out-of-stock state, adds a
state from its own enum with two new triggers (one a ``trigger()`` descriptor, one an ordinary
typed method), and adds guards to ``confirm`` and ``ship``. The default hooks (which record
shipments) keep working.

Run: ``python examples/custom_workflow.py``
"""

from __future__ import annotations

from decimal import Decimal

import attrs
import pendulum

from ecservice.clock import FixedClock
from ecservice.errors import GuardRejected, InvalidTransition
from ecservice.money import Money
from ecservice.orders import ORDER_WORKFLOW, Address, Order, OrderLine, OrderStatus
from ecservice.workflow import (
    Actor,
    Context,
    LabelledState,
    TransitionRecord,
    bind_workflow,
    transition,
    trigger,
)


class Inspection(LabelledState):
    """The shop's extra state."""

    AWAITING_INSPECTION = ("awaiting_inspection", "Awaiting inspection", "待质检")


@attrs.define(slots=True, kw_only=True, on_setattr=attrs.setters.NO_OP)
class InspectedOrder(Order):
    """An order that must pass quality inspection before it ships, and be paid before confirming."""

    paid: bool = False
    inspector: str | None = None

    #: A custom trigger with a typed method: ``order.inspect(actor=..., note=...)``.
    inspect = trigger("inspect", "Record that quality inspection passed.")

    def send_to_inspection(self, *, actor: Actor, note: str = "") -> TransitionRecord:
        """A custom trigger written as an ordinary typed method."""
        return self._fire("send_to_inspection", actor=actor, note=note)


def is_paid(order: InspectedOrder, ctx: Context) -> bool:
    """The order is paid."""
    return order.paid


def remember_inspector(order: InspectedOrder, ctx: Context) -> None:
    """Keep the inspector's id on the order."""
    order.inspector = ctx.actor.id


def inspected(order: InspectedOrder, ctx: Context) -> bool:
    """Quality inspection passed."""
    return order.inspector is not None


S = OrderStatus

INSPECTED_WORKFLOW = ORDER_WORKFLOW.derive(
    "order-with-inspection",
    # This shop sells from stock only: dropping the state drops its transitions too.
    remove_states=[S.OUT_OF_STOCK],
    add_states=[Inspection.AWAITING_INSPECTION],
    add_transitions=[
        transition("send_to_inspection", S.PROCESSING, Inspection.AWAITING_INSPECTION),
        transition(
            "inspect", Inspection.AWAITING_INSPECTION, S.PROCESSING, after=[remember_inspector]
        ),
    ],
    add_guards={"confirm": [is_paid], "ship": [inspected]},
)
bind_workflow(InspectedOrder, INSPECTED_WORKFLOW)


def main() -> None:
    clock = FixedClock(pendulum.datetime(2026, 11, 11, 10, 0, tz="Asia/Shanghai"))
    staff = Actor.staff("qa-3")
    order = InspectedOrder(
        id="O-77",
        buyer_id="u-9",
        lines=[
            OrderLine(
                sku="VASE-1",
                name="Porcelain vase",
                unit_price=Money("399.00", "CNY"),
                quantity=1,
                weight_kg=Decimal("1.8"),
            )
        ],
        address=Address(
            recipient="李雷",
            phone="13900000000",
            province="江西省",
            city="景德镇市",
            street="瓷都大道 9 号",
        ),
        shipping_fee=Money("18.00", "CNY"),
        created_at=clock.now(),
        clock=clock,
    )
    try:
        order.confirm(actor=staff)
    except GuardRejected as exc:
        print("refused:", exc)
    order.paid = True
    order.confirm(actor=staff)
    order.send_to_inspection(actor=staff)
    try:
        order.ship(carrier="SF Express", tracking_no="SF9", actor=staff)
    except InvalidTransition as exc:
        print("refused:", exc)
    try:
        order.mark_out_of_stock(["VASE-1"], actor=staff)
    except InvalidTransition as exc:
        print("refused:", exc)
    order.inspect(actor=staff, note="glaze intact, no cracks")
    order.ship(carrier="SF Express", tracking_no="SF9", actor=staff)
    print(
        f"{order.id}: {order.status.label_en} / {order.status.label_zh}, "
        f"inspected by {order.inspector}"
    )
    print(INSPECTED_WORKFLOW.mermaid())


if __name__ == "__main__":
    main()
