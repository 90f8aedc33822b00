"""A custom order workflow: a quality check (质检) between processing and shipping.

The shop derives its workflow from the default order workflow and inserts a state between two:
``PROCESSING -> QUALITY_CHECK -> IN_TRANSIT``. It adds the state (from its own enum), a custom
trigger ``inspect`` with declared keyword arguments leading to it, lets ``ship`` also leave the
new state (with the default transition's hooks, which record the parcel), and removes ``ship``
from ``PROCESSING``. The order subclass declares its state type, ``OrderStatus | QC``, so that
``order.status is QC.QUALITY_CHECK`` type-checks; this module passes ``mypy --strict``.

Run: ``python examples/custom_workflow.py``
"""

from __future__ import annotations

from decimal import Decimal
from typing import assert_type

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


class QC(LabelledState):
    """The shop's extra state."""

    QUALITY_CHECK = ("quality_check", "Quality check", "质检中")


@attrs.define(slots=True, kw_only=True, on_setattr=attrs.setters.NO_OP)
class QCOrder(Order[OrderStatus | QC]):
    """An order that passes a quality check before it ships."""

    inspector: str | None = None

    @trigger
    def inspect(self, *, actor: Actor, passed: bool, note: str = "") -> TransitionRecord:
        """Record the quality check (质检); only goods that passed move on to it."""
        raise NotImplementedError  # never run: calling order.inspect(...) fires the trigger


def goods_passed(order: QCOrder, ctx: Context) -> bool:
    """The goods passed the quality check."""
    return ctx.arg("passed", bool)


def remember_inspector(order: QCOrder, ctx: Context) -> None:
    """Keep the inspector's id on the order."""
    order.inspector = ctx.actor.id


S = OrderStatus

QC_WORKFLOW = ORDER_WORKFLOW.derive(
    "order-with-quality-check",
    add_states=[QC.QUALITY_CHECK],
    add_transitions=[
        transition(
            "inspect",
            S.PROCESSING,
            QC.QUALITY_CHECK,
            conditions=[goods_passed],
            before=[remember_inspector],
        ),
    ],
    # QUALITY_CHECK gets `ship` exactly as PROCESSING has it (guards and hooks included)...
    add_sources={"ship": {QC.QUALITY_CHECK: S.PROCESSING}},
    # ...and PROCESSING loses it: every parcel now goes through the check.
    remove_transitions=[("ship", S.PROCESSING)],
)
bind_workflow(QCOrder, QC_WORKFLOW)


def new_order(clock: FixedClock) -> QCOrder:
    """An order of one porcelain vase, as storage would rehydrate it."""
    return QCOrder(
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


def main() -> None:
    clock = FixedClock(pendulum.datetime(2026, 11, 11, 10, 0, tz="Asia/Shanghai"))
    staff, qa = Actor.staff("kefu-07"), Actor.staff("qa-3")
    order = new_order(clock)
    order.confirm(actor=staff)
    try:
        order.ship(carrier="SF Express", tracking_no="SF9", actor=staff)
    except InvalidTransition as exc:
        print("refused:", exc)
    print("can inspect a cracked vase:", order.inspect.can(actor=qa, passed=False))
    try:
        order.inspect(actor=qa, passed=False, note="crack in the glaze")
    except GuardRejected as exc:
        print("refused:", exc)
    order.inspect(actor=qa, passed=True, note="glaze intact, no cracks")
    assert_type(order.status, OrderStatus | QC)
    if order.status is QC.QUALITY_CHECK:
        print(f"{order.id}: {order.status.label_en} / {order.status.label_zh} by {order.inspector}")
    order.ship(carrier="SF Express", tracking_no="SF9", actor=staff)
    print(
        f"{order.id}: {order.status.label_en}, " + " -> ".join(r.dest.name for r in order.history)
    )
    print(QC_WORKFLOW.mermaid())


if __name__ == "__main__":
    main()
