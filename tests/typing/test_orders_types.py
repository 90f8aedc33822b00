"""Static types of orders with custom workflows, checked by ``mypy --strict tests/typing`` (and
run by pytest).

An order bound to a derived workflow with extra states declares its state type as a union, so
that identity checks against the extra states type-check and ``Cart.place_order`` returns the
subclass.
"""

from __future__ import annotations

import enum
from typing import Any, assert_type

import attrs
import pendulum

from ecservice.clock import FixedClock
from ecservice.money import Money
from ecservice.orders import (
    ORDER_WORKFLOW,
    Address,
    Cart,
    Order,
    OrderStatus,
    ShippingRate,
)
from ecservice.workflow import (
    Actor,
    LabelledState,
    TransitionRecord,
    Workflow,
    bind_workflow,
    transition,
)


class QC(LabelledState):
    """The extra state of a shop that inspects orders before shipping them."""

    QUALITY_CHECK = ("quality_check", "Quality check", "质检中")


@attrs.define(slots=True, kw_only=True, on_setattr=attrs.setters.NO_OP)
class QCOrder(Order[OrderStatus | QC]):
    """An order that passes a quality check between processing and shipping."""

    def send_to_check(self, *, actor: Actor, note: str = "") -> TransitionRecord:
        """Processing -> quality check."""
        return self._fire("send_to_check", actor=actor, note=note)

    def pass_check(self, *, actor: Actor, note: str = "") -> TransitionRecord:
        """Quality check -> processing."""
        return self._fire("pass_check", actor=actor, note=note)


QC_WORKFLOW: Workflow[Order[Any]] = ORDER_WORKFLOW.derive(
    "order-qc-typing",
    add_states=[QC.QUALITY_CHECK],
    add_transitions=[
        transition("send_to_check", OrderStatus.PROCESSING, QC.QUALITY_CHECK),
        transition("pass_check", QC.QUALITY_CHECK, OrderStatus.PROCESSING),
    ],
)
bind_workflow(QCOrder, QC_WORKFLOW)

ADDRESS = Address(recipient="r", phone="13800138000", province="p", city="c", street="s")
RATE = ShippingRate.per_kg(first_fee=Money("8", "CNY"), additional_fee=Money("2", "CNY"))
BUYER, STAFF = Actor.buyer("b"), Actor.staff("s")


def _cart() -> Cart:
    cart = Cart.open("C", buyer_id="b", currency="CNY", clock=FixedClock(pendulum.now("UTC")))
    cart.add_line("S", "n", Money("1.00", "CNY"), 1, actor=BUYER)
    cart.checkout(actor=BUYER)
    return cart


def test_default_order_is_typed_with_order_status() -> None:
    order = _cart().place_order("O", address=ADDRESS, shipping=RATE, actor=BUYER)
    assert_type(order, Order)
    assert_type(order, Order[OrderStatus])
    assert_type(order.status, OrderStatus)
    assert order.status is OrderStatus.PENDING_CONFIRMATION
    assert_type(ORDER_WORKFLOW, Workflow[Order[Any]])


def test_place_order_builds_and_types_a_custom_order() -> None:
    order = _cart().place_order(
        "O", address=ADDRESS, shipping=RATE, actor=BUYER, order_type=QCOrder
    )
    assert_type(order, QCOrder)
    assert type(order) is QCOrder
    assert_type(order.status, OrderStatus | QC)
    order.confirm(actor=STAFF)
    order.send_to_check(actor=STAFF)
    in_check = order.status is QC.QUALITY_CHECK
    assert in_check
    order.pass_check(actor=STAFF)
    back = order.status is OrderStatus.PROCESSING
    assert back
    # Code written for any order accepts it: Order is covariant in its state type.
    any_order: Order[enum.Enum] = order
    assert any_order is order
