"""The cost of an order operation is linear in the data it touches.

Timing is left to the benchmarks: here the cost is the number of Python function calls an
operation makes, counted with a profile hook, which does not depend on the machine's load. An
order of 20,000 lines costs about ten times one of 2,000 (quadratic code once cost a hundred
times, 5-8 s on 16,000 lines).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import FrameType

import pendulum

from ecservice.clock import FixedClock
from ecservice.money import Money
from ecservice.orders import Order, OrderLine
from ecservice.workflow import Actor
from tests.orders.test_order import ADDRESS

STAFF = Actor.staff("s")
LINES = 20_000
_PRICE = Money("1.50", "CNY")
_ALL_LINES = tuple(
    OrderLine(sku=f"S{i:05}", name="item", unit_price=_PRICE, quantity=2) for i in range(LINES)
)


def big_order(lines: int = LINES) -> Order:
    clock = FixedClock(pendulum.datetime(2026, 11, 11, tz="UTC"))
    return Order(
        id="O-BIG",
        buyer_id="u-1",
        lines=_ALL_LINES[:lines],
        address=ADDRESS,
        shipping_fee=Money("8.00", "CNY"),
        created_at=clock.now(),
        clock=clock,
    )


def calls(setup: Callable[[], Order], operation: Callable[[Order], object]) -> int:
    """How many Python functions ``operation`` calls on a fresh order from ``setup``."""
    order = setup()
    count = 0

    def hook(_frame: FrameType, event: str, _arg: object) -> None:
        nonlocal count
        if event == "call":
            count += 1

    sys.setprofile(hook)
    try:
        operation(order)
    finally:
        sys.setprofile(None)
    return count


def linear(operation: Callable[[Order], object], prepare: Callable[[Order], object]) -> None:
    def setup(lines: int) -> Callable[[], Order]:
        def make() -> Order:
            order = big_order(lines)
            prepare(order)
            return order

        return make

    big = calls(setup(LINES), operation)
    small = calls(setup(LINES // 10), operation)
    # Linear: about 10 times the calls of a tenth of the lines; quadratic would be 100 times.
    assert big < 15 * small, f"{big} calls for {LINES} lines vs {small} for a tenth"


def test_cancelling_20000_lines_is_linear() -> None:
    linear(lambda o: o.cancel(reason="shop closed", actor=STAFF), lambda o: None)


def test_cancelling_half_the_lines_shipping_and_receiving_are_linear() -> None:
    def half(order: Order) -> None:
        n = len(order.lines)
        order.cancel_lines({f"S{i:05}": 1 for i in range(0, n, 2)}, reason="x", actor=STAFF)

    linear(half, lambda o: o.confirm(actor=STAFF))
    linear(
        lambda o: o.ship(carrier="SF", tracking_no="1", actor=STAFF),
        lambda o: o.confirm(actor=STAFF),
    )

    def shipped(order: Order) -> None:
        order.confirm(actor=STAFF)
        order.ship(carrier="SF", tracking_no="1", actor=STAFF)

    linear(lambda o: o.confirm_receipt(actor=STAFF), shipped)


def test_a_big_order_goes_through_its_life() -> None:
    order = big_order()
    order.confirm(actor=STAFF)
    order.cancel_lines({f"S{i:05}": 1 for i in range(0, LINES, 2)}, reason="x", actor=STAFF)
    assert order.cancelled_value == Money("15000.00", "CNY")
    order.ship(carrier="SF", tracking_no="1", actor=STAFF)
    order.confirm_receipt(actor=STAFF)
    assert order.amount_due == Money("45008.00", "CNY")
    assert order.open_items() == {}
    assert order.status.name == "DONE"
