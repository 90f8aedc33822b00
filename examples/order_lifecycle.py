"""An order from cart to done: out of stock, restock, two parcels, tracking, auto-confirmation.

Run: ``python examples/order_lifecycle.py``
"""

from __future__ import annotations

from decimal import Decimal

import pendulum

from ecservice.clock import FixedClock
from ecservice.money import Money
from ecservice.orders import (
    Address,
    AutoConfirmPolicy,
    Cart,
    OrderStatus,
    ShippingRate,
    TrackingEvent,
)
from ecservice.workflow import Actor


def main() -> None:
    clock = FixedClock(pendulum.datetime(2026, 11, 11, 9, 30, tz="Asia/Shanghai"))
    buyer = Actor.buyer("u-1001")
    staff = Actor.staff("kefu-07")

    # Browse and fill the cart, then check out.
    cart = Cart.open("CART-1", buyer_id="u-1001", currency="CNY", clock=clock)
    cart.add_line(
        "TEA-250",
        "Longjing tea 250 g",
        Money("88.00", "CNY"),
        2,
        weight_kg=Decimal("0.3"),
        actor=buyer,
    )
    cart.add_line(
        "CUP-01", "Celadon cup", Money("45.50", "CNY"), 1, weight_kg=Decimal("0.4"), actor=buyer
    )
    cart.checkout(actor=buyer)
    cart.continue_shopping(actor=buyer)  # one more thing...
    cart.add_line("TEA-250", "Longjing tea 250 g", Money("88.00", "CNY"), 1, actor=buyer)
    cart.checkout(actor=buyer)

    rate = ShippingRate.per_kg(first_fee=Money("10.00", "CNY"), additional_fee=Money("6.00", "CNY"))
    order = cart.place_order(
        "O-20261111-0001",
        address=Address(
            recipient="王小明",
            phone="138 0013 8000",
            province="浙江省",
            city="杭州市",
            district="西湖区",
            street="龙井路 1 号",
        ),
        shipping=rate,
        remarks="please ship the cup well padded",
        actor=buyer,
    )
    print(f"placed {order.id}: {order.total} ({order.status.label_zh})")

    order.confirm(actor=staff, note="address and items checked with the buyer")
    order.mark_out_of_stock(["CUP-01"], actor=staff, note="cups arrive Friday")
    print(f"{order.status.label_en} / {order.status.label_zh}: {order.out_of_stock}")
    clock.advance(days=2)
    order.restock(actor=staff)

    # Two parcels from two warehouses.
    order.ship(
        items={"TEA-250": 3},
        carrier="SF Express",
        tracking_no="SF1001",
        warehouse="Hangzhou",
        actor=staff,
    )
    order.ship(carrier="ZTO", tracking_no="ZTO2002", warehouse="Jingdezhen", actor=staff)
    first, _second = order.shipments
    clock.advance(hours=20)
    order.add_tracking_event(
        first.id,
        TrackingEvent(at=clock.now(), description="arrived at hub", location="Shanghai"),
        actor=Actor.carrier("sf"),
    )
    order.confirm_receipt(first.id, actor=buyer)
    print(
        f"after the first parcel: {order.status.label_en}, travelling: "
        f"{[s.id for s in order.travelling]}"
    )

    policy = AutoConfirmPolicy(days=10, zone="Asia/Shanghai")
    due = order.auto_confirm_due_at(policy)
    assert due is not None
    clock.set(due)
    order.auto_confirm(policy)
    assert order.status is OrderStatus.DONE
    print(f"{order.status.label_en} / {order.status.label_zh} at version {order.version}")
    for record in order.history:
        print(
            f"  v{record.version} {record.at.in_tz('Asia/Shanghai'):%m-%d %H:%M} "
            f"{record.trigger:<20} {record.source.name} -> {record.dest.name} by {record.actor}"
        )
    print("events:", ", ".join(type(e).__name__ for e in order.pull_events()))


if __name__ == "__main__":
    main()
