"""Exception orders (异常订单): the shop's rules hold suspicious orders as they are placed; staff
release or cancel them; a held order's payment waits; the figures of held orders, in memory and
from the database.

Run: ``python examples/order_exceptions.py``
"""

from __future__ import annotations

import pendulum
from pendulum import DateTime

from ecservice.application import OrderService
from ecservice.clock import FixedClock
from ecservice.money import Money
from ecservice.orders import (
    Address,
    AddressVolumeRule,
    Cart,
    ChangeRequestRule,
    ExceptionContext,
    ExceptionPolicy,
    LowPriceRule,
    Order,
    ShippingRate,
    held_orders_report,
)
from ecservice.payments import InMemoryGateway, Instrument, InstrumentKind
from ecservice.storage.sql import SqlOrderReports, SqlStore
from ecservice.workflow import Actor

ZONE = "Asia/Shanghai"
RATE = ShippingRate.per_kg(first_fee=Money("10.00", "CNY"), additional_fee=Money("6.00", "CNY"))
CATALOGUE = {"TEA-250": Money("88.00", "CNY")}


class Checker:
    """The shop's address and carrier checks (the order confirmation's checker would do)."""

    def address_problem(self, address: Address) -> str | None:
        return None if any(ch.isdigit() for ch in address.street) else "no house number"

    def reach_problem(self, address: Address, carrier: str) -> str | None:
        return None

    def presale_problem(self, ship_by: DateTime, address: Address, carrier: str) -> str | None:
        return None


def address(street: str) -> Address:
    return Address(
        recipient="王小明",
        phone="138 0013 8000",
        province="浙江省",
        city="杭州市",
        district="西湖区",
        street=street,
    )


def main() -> None:
    clock = FixedClock(pendulum.datetime(2026, 11, 11, 9, 30, tz=ZONE))
    buyer, staff = Actor.buyer("u-1001"), Actor.staff("kefu-07")
    store = SqlStore("sqlite://", clock=clock)
    store.create_schema()
    gateway = InMemoryGateway()
    card = Instrument(InstrumentKind.CARD, "tok_1")
    gateway.fund(card, Money("1000.00", "CNY"))
    policy = ExceptionPolicy(
        rules=[
            ChangeRequestRule(),
            LowPriceRule(min_ratio="0.5"),
            AddressVolumeRule(max_orders=2, days=1),
        ],
        zone=ZONE,
    )
    service = OrderService(store, gateway, clock=clock, exceptions=policy)

    orders = [
        ("O-1", "88.00", "龙井路 1 号", ""),  # clean
        ("O-2", "8.80", "龙井路 1 号", ""),  # a tenth of the catalogue price
        ("O-3", "88.00", "龙井路 1 号", "麻烦改地址到公司"),  # third to one address, and a remark
    ]
    placed: list[Order] = []
    for order_id, price, street, remarks in orders:
        cart = Cart.open(f"C-{order_id}", buyer_id="u-1001", currency="CNY", clock=clock)
        cart.add_line("TEA-250", "Longjing tea 250 g", Money(price, "CNY"), 1, actor=buyer)
        with store.unit_of_work() as uow:
            uow.carts.add(cart)
            uow.commit()
        context = ExceptionContext(
            catalogue=CATALOGUE, other_orders=placed, checker=Checker(), carrier="SF"
        )
        order = service.place_order(
            cart.id,
            order_id,
            address=address(street),
            shipping=RATE,
            actor=buyer,
            remarks=remarks,
            context=context,
        )
        placed.append(order)
        held = f" ({order.holds[-1].reason.name}): {order.holds[-1].detail}" if order.holds else ""
        print(f"{order_id}: {order.status.label_en} / {order.status.label_zh}{held}")

    # The buyer pays the held O-2: the money is taken, the order waits.
    outcome = service.pay("O-2", card)
    print(f"O-2 paid: {outcome.payment_status.name}, order {outcome.order_status.name}")

    # Staff look at the held orders: O-2 was a mispriced listing, O-3 gets its new address.
    clock.advance(hours=2)
    service.cancel("O-2", reason="listing mispriced; refunded", actor=staff)
    clock.advance(hours=1)
    service.release("O-3", actor=staff, note="address changed by phone")
    with store.unit_of_work() as uow:
        stored = [uow.orders.get(order_id) for order_id, *_ in orders]
    for order in stored:
        ended = [f"{h.reason.name} {h.outcome.name}" for h in order.holds if h.outcome]
        print(f"{order.id}: {order.status.name}, holds ended: {ended}")
    print(f"merchant holds {gateway.merchant_balance('CNY')}")

    now = pendulum.datetime(2026, 11, 12, 9, tz=ZONE)
    report = held_orders_report(stored, now=now, zone=ZONE, days=1)
    share = report.share.value if report.share is not None else None
    print(f"held {report.held} of {report.orders} ({share}); by reason:")
    for reason, count in report.by_reason.items():
        print(f"  {reason.label_en} / {reason.label_zh}: {count}")
    print(
        f"released {report.released}, cancelled {report.cancelled}, median {report.handling_median}"
    )
    print(
        "same in SQL:",
        SqlOrderReports(store).held_orders(now=now, zone=ZONE, days=1) == report,
    )
    store.dispose()


if __name__ == "__main__":
    main()
