"""The public API's static types, checked by ``mypy --strict tests/typing`` (and run by pytest).

Each ``assert_type`` fails the type check if a public signature loses or changes its types, so
users keep typed trigger methods and typed results.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Literal, assert_type

import attrs
import pendulum
from pendulum import DateTime

from ecservice.cli import build_parser
from ecservice.clock import Clock, FixedClock, ensure_utc
from ecservice.money import Currency, Money, allocate, currency
from ecservice.orders import (
    ORDER_WORKFLOW,
    Address,
    AutoConfirmPolicy,
    Cart,
    CartStatus,
    Order,
    OrderStatus,
    Shipment,
    ShippingRate,
)
from ecservice.storage import Document, MemoryStore, dump_order, load_order
from ecservice.workflow import (
    Actor,
    BoundTrigger,
    DomainEvent,
    LabelledState,
    TransitionRecord,
    TypedTrigger,
    Workflow,
    bind_workflow,
    transition,
    trigger,
)


def test_money_types() -> None:
    price = Money("12.30", "CNY")
    assert_type(price, Money)
    assert_type(price.amount, Decimal)
    assert_type(price.currency, Currency)
    assert_type(price + price, Money)
    assert_type(price * 3, Money)
    assert_type(price.allocate([1, 2]), list[Money])
    assert_type(allocate(price, [Decimal(1)]), list[Money])
    assert_type(price.minor_units, int)
    assert_type(currency("JPY"), Currency)
    assert_type(price.format("en"), str)


def test_clock_types() -> None:
    clock = FixedClock(pendulum.datetime(2026, 1, 1))
    assert_type(clock.now(), DateTime)
    assert_type(clock.advance(days=1), DateTime)
    c: Clock = clock
    assert_type(c.now(), DateTime)
    assert_type(ensure_utc(clock.now()), DateTime)


def _order() -> Order:
    clock = FixedClock(pendulum.datetime(2026, 1, 1))
    cart = Cart.open("C", buyer_id="b", currency="CNY", clock=clock)
    assert_type(cart, Cart)
    assert_type(cart.status, CartStatus)
    buyer = Actor.buyer("b")
    assert_type(cart.add_line("S", "n", Money("1.00", "CNY"), 1, actor=buyer), TransitionRecord)
    assert_type(cart.checkout(actor=buyer), TransitionRecord)
    order = cart.place_order(
        "O",
        address=Address(recipient="r", phone="13800138000", province="p", city="c", street="s"),
        shipping=ShippingRate.per_kg(first_fee=Money("8", "CNY"), additional_fee=Money("2", "CNY")),
        actor=buyer,
    )
    assert_type(order, Order)
    return order


def test_order_trigger_methods_are_typed() -> None:
    order = _order()
    staff = Actor.staff("s")
    assert_type(order.status, OrderStatus)
    assert_type(order.confirm(actor=staff), TransitionRecord)
    assert_type(order.ship(carrier="SF", tracking_no="1", actor=staff), TransitionRecord)
    assert_type(order.shipments, tuple[Shipment, ...])
    assert_type(order.travelling, tuple[Shipment, ...])
    assert_type(order.auto_confirm_due_at(AutoConfirmPolicy()), DateTime | None)
    assert_type(order.confirm_receipt(actor=Actor.buyer("b")), TransitionRecord)
    assert_type(order.history, Sequence[TransitionRecord])
    assert_type(order.version, int)
    assert_type(order.total, Money)
    assert_type(order.amount_due, Money)
    assert_type(order.pull_events(), tuple[DomainEvent, ...])
    assert_type(order.can("cancel"), bool)
    assert_type(order.can("cancel", actor=Actor.buyer("b"), reason="r"), bool)
    order.can("cancel", actor=None, reason="r")  # type: ignore[arg-type]
    assert_type(order.allowed_triggers(), tuple[str, ...])
    assert_type(ORDER_WORKFLOW, Workflow[Order[Any]])
    assert_type(ORDER_WORKFLOW.mermaid(), str)
    assert_type(ORDER_WORKFLOW.mermaid(internal=False), str)
    assert_type(ORDER_WORKFLOW.dot(internal=False), str)
    assert order.status is OrderStatus.DONE


class _WithCustomTrigger(Order):
    inspect = trigger("inspect")


def test_custom_trigger_descriptor_is_typed() -> None:
    assert_type(_WithCustomTrigger.inspect, trigger)

    def fire(order: _WithCustomTrigger) -> None:
        assert_type(order.inspect, BoundTrigger)
        assert_type(order.inspect(actor=Actor.staff("qa")), TransitionRecord)

    assert callable(fire)


class QC(LabelledState):
    QUALITY_CHECK = ("quality_check", "Quality check", "质检中")


@attrs.define(slots=True, kw_only=True, on_setattr=attrs.setters.NO_OP)
class _QCOrder(Order[OrderStatus | QC]):
    @trigger
    def inspect(self, *, actor: Actor, passed: bool, note: str = "") -> TransitionRecord:
        """Record the quality check."""
        raise NotImplementedError


bind_workflow(
    _QCOrder,
    ORDER_WORKFLOW.derive(
        "order-qc-typing",
        add_states=[QC.QUALITY_CHECK],
        add_transitions=[transition("inspect", OrderStatus.PROCESSING, QC.QUALITY_CHECK)],
        add_sources={"ship": {QC.QUALITY_CHECK: OrderStatus.PROCESSING}},
        remove_transitions=[("ship", OrderStatus.PROCESSING)],
    ),
)


def test_custom_states_and_declared_trigger_keywords_are_typed() -> None:
    """A derived state type includes the added states; declared keywords are checked."""
    assert_type(_QCOrder.inspect.name, str)

    def fire(order: _QCOrder) -> None:
        assert_type(order.status, OrderStatus | QC)
        assert_type(order.inspect(actor=Actor.staff("qa"), passed=True), TransitionRecord)
        assert_type(order.inspect.can(actor=Actor.staff("qa"), passed=True), bool)
        if order.status is QC.QUALITY_CHECK:
            assert_type(order.status, Literal[QC.QUALITY_CHECK])
        order.inspect(actor=Actor.staff("qa"), pased=True)  # type: ignore[call-arg]
        order.inspect(actor=Actor.staff("qa"), passed="yes")  # type: ignore[arg-type]
        order.inspect.can(actor=Actor.staff("qa"), pased=True)  # type: ignore[call-arg]

    plain: Order = _order()
    widened: Order[OrderStatus | QC] = plain  # covariant: every plain order state is allowed
    assert_type(widened.status, OrderStatus | QC)
    assert callable(fire)
    assert isinstance(_QCOrder.inspect, TypedTrigger)


def test_payment_types() -> None:
    from ecservice.payments import (
        InMemoryGateway,
        Instrument,
        InstrumentKind,
        OrderPayments,
        Payment,
        PaymentGateway,
        PaymentStatus,
    )

    order = _order()
    gateway = InMemoryGateway()
    card = Instrument(InstrumentKind.CARD, "tok_1")
    gateway.fund(card, Money("100.00", "CNY"))
    gw: PaymentGateway = gateway
    payments = OrderPayments(gw)
    payment = payments.open(order, card)
    assert_type(payment, Payment)
    assert_type(payment.status, PaymentStatus)
    assert_type(payments.pay(order, payment), TransitionRecord)
    assert_type(payment.refundable, Money)
    record = payment.refund(
        gw, Money("1.00", "CNY"), reason="r", idempotency_key="k", actor=Actor.system()
    )
    assert_type(record, TransitionRecord)
    assert_type(payments.settle(order, payment), tuple[TransitionRecord, ...])


def test_top_level_names() -> None:
    import ecservice

    assert_type(ecservice.Money("1", "CNY"), Money)
    assert_type(_order().status, ecservice.OrderStatus)
    assert_type(ecservice.__version__, str)


def test_cli_parser_and_storage_are_typed() -> None:
    parser = build_parser()
    assert_type(parser, argparse.ArgumentParser)
    assert parser.parse_args(["diagram", "order", "--hide-internal"]).hide_internal is True
    order = _order()
    assert_type(dump_order(order), Document)
    loaded = load_order(dump_order(order), clock=order.clock)
    assert_type(loaded, Order)
    assert loaded == order
    with MemoryStore(clock=order.clock).unit_of_work() as uow:
        assert_type(uow.orders.due_ids(order.clock.now()), list[str])
