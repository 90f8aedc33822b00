"""A simulated shop: a batch of orders through their lifecycle (the ``ecservice demo`` command)."""

from __future__ import annotations

import contextlib
import random
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal

import attrs
import pendulum

from ecservice.clock import FixedClock
from ecservice.errors import GatewayUnavailable
from ecservice.money import Money, sum_money
from ecservice.orders import (
    Address,
    AutoConfirmPolicy,
    Cart,
    Order,
    OrderStatus,
    ShippingRate,
    TrackingEvent,
    auto_confirm_due,
)
from ecservice.payments import (
    GatewayResponse,
    InMemoryGateway,
    Instrument,
    InstrumentKind,
    OrderPayments,
    Payment,
    PaymentDeclined,
    PaymentStatus,
)
from ecservice.workflow import Actor

__all__ = ["DemoSummary", "run_demo"]

_CATALOGUE = [
    ("TEA-250", "Longjing tea 250 g", "88.00", "0.30"),
    ("CUP-01", "Celadon cup", "45.50", "0.40"),
    ("SILK-SC", "Silk scarf", "129.00", "0.10"),
    ("RICE-5", "Wuchang rice 5 kg", "69.90", "5.00"),
    ("PEN-BR", "Calligraphy brush set", "58.00", "0.35"),
    ("FAN-SD", "Sandalwood fan", "35.00", "0.15"),
]
_CARRIERS = ["SF Express", "ZTO", "YTO", "JD Logistics"]
#: Share of gateway answers lost on the way back (the gateway acted; the shop retries next day).
_LOST_ANSWERS = 0.02


class _LossyLine:
    """The network between the shop and its gateway: a few answers are lost after the gateway
    acted, so the shop must retry with the same idempotency key (and reconcile)."""

    def __init__(self, gateway: InMemoryGateway, rng: random.Random) -> None:
        self.gateway = gateway
        self.rng = rng
        self.lost = 0
        self.healthy = False

    def _deliver(self, answer: GatewayResponse) -> GatewayResponse:
        if not self.healthy and self.rng.random() < _LOST_ANSWERS:
            self.lost += 1
            raise GatewayUnavailable("the gateway's answer was lost")
        return answer

    def authorize(
        self, instrument: Instrument, amount: Money, *, reference: str, idempotency_key: str
    ) -> GatewayResponse:
        return self._deliver(
            self.gateway.authorize(
                instrument, amount, reference=reference, idempotency_key=idempotency_key
            )
        )

    def capture(
        self, authorization: str, amount: Money, *, idempotency_key: str
    ) -> GatewayResponse:
        return self._deliver(
            self.gateway.capture(authorization, amount, idempotency_key=idempotency_key)
        )

    def void(self, authorization: str, *, idempotency_key: str) -> GatewayResponse:
        return self._deliver(self.gateway.void(authorization, idempotency_key=idempotency_key))

    def refund(self, capture: str, amount: Money, *, idempotency_key: str) -> GatewayResponse:
        return self._deliver(self.gateway.refund(capture, amount, idempotency_key=idempotency_key))

    def outcome(self, idempotency_key: str) -> GatewayResponse | None:
        return self.gateway.outcome(idempotency_key)


_WAREHOUSES = ["Hangzhou", "Guangzhou", "Chengdu"]


@attrs.frozen(kw_only=True)
class DemoSummary:
    """What a demo run produced."""

    orders: int
    by_status: dict[OrderStatus, int]
    revenue: Money
    refunds_due: Money
    shipments: int
    transitions: int
    auto_confirmed: int
    payments_declined: int
    captured: Money
    refunded: Money
    merchant_balance: Money
    money_conserved: bool
    answers_lost: int = 0


def _orders(n: int, rng: random.Random, clock: FixedClock) -> Iterator[Order]:
    rate = ShippingRate.per_kg(
        first_fee=Money("10.00", "CNY"),
        additional_fee=Money("6.00", "CNY"),
        free_over=Money("199.00", "CNY"),
    )
    for i in range(n):
        buyer = Actor.buyer(f"u-{rng.randrange(10_000):05d}")
        cart = Cart.open(f"CART-{i}", buyer_id=buyer.id, currency="CNY", clock=clock)
        for sku, name, price, weight in rng.sample(_CATALOGUE, rng.randint(1, 3)):
            cart.add_line(
                sku,
                name,
                Money(price, "CNY"),
                rng.randint(1, 3),
                weight_kg=Decimal(weight),
                actor=buyer,
            )
        cart.checkout(actor=buyer)
        yield cart.place_order(
            f"O-{i:06d}",
            address=Address(
                recipient=f"Buyer {i}",
                phone="13800138000",
                province="Zhejiang",
                city="Hangzhou",
                street=f"{i} West Lake Road",
            ),
            shipping=rate,
            actor=buyer,
        )


def _step(
    order: Order,
    payment: Payment,
    shop: OrderPayments,
    rng: random.Random,
    clock: FixedClock,
) -> None:
    """Move one order on by what a day brings."""
    staff = Actor.staff("kefu-01")
    status = order.status
    if status is OrderStatus.PENDING_CONFIRMATION:
        if payment.status is PaymentStatus.FAILED or order.amount_due.is_zero():
            order.cancel(reason="payment declined", actor=Actor.system("payments"))
        elif rng.random() < 0.04:
            order.cancel(reason="buyer changed their mind", actor=Actor.buyer(order.buyer_id))
        else:
            shop.pay(order, payment)  # captured: the order enters processing
    elif status is OrderStatus.PROCESSING:
        open_items = order.open_items()
        if not order.shipments and rng.random() < 0.1:
            order.mark_out_of_stock([next(iter(open_items))], actor=staff, note="stock short")
            return
        if len(open_items) > 1 and rng.random() < 0.3:
            sku = next(iter(open_items))
            order.ship(
                items={sku: open_items[sku]},
                carrier=rng.choice(_CARRIERS),
                tracking_no=f"T{rng.randrange(10**9)}",
                warehouse=rng.choice(_WAREHOUSES),
                actor=staff,
            )
        order.ship(
            carrier=rng.choice(_CARRIERS),
            tracking_no=f"T{rng.randrange(10**9)}",
            warehouse=rng.choice(_WAREHOUSES),
            actor=staff,
        )
    elif status is OrderStatus.OUT_OF_STOCK:
        roll = rng.random()
        if roll < 0.5:
            order.restock(actor=staff)
        elif roll < 0.8:
            sku = order.out_of_stock[0]
            order.cancel_lines(
                {sku: order.open_quantity(sku)}, reason="cannot restock", actor=staff
            )
        elif roll < 0.85:
            order.cancel(reason="out of stock for too long", actor=staff)
    elif status is OrderStatus.IN_TRANSIT:
        for shipment in order.travelling:
            order.add_tracking_event(
                shipment.id,
                TrackingEvent(
                    at=clock.now(), description="parcel scanned", location=rng.choice(_WAREHOUSES)
                ),
                actor=Actor.carrier(shipment.carrier),
            )
        if rng.random() < 0.12:
            order.confirm_receipt(order.travelling[0].id, actor=Actor.buyer(order.buyer_id))


def _held(order: Order, payment: Payment) -> bool:
    """An authorisation still open for an order that owes nothing (to be voided)."""
    return payment.status is PaymentStatus.AUTHORIZED and order.amount_due.is_zero()


def run_demo(n: int = 3000, *, seed: int = 2026, days: int = 30) -> DemoSummary:
    """Simulate ``n`` orders placed over ``days`` simulated days; summarise where they stand.

    Orders arrive spread over the days. Each day every open order moves on: it is paid by card
    through an in-memory gateway (a few cards are declined and those orders cancelled) and so
    confirmed, or cancelled by the buyer; it may run out of stock (then restocked, the missing
    line cancelled, or the whole order cancelled), ships in one or two parcels, collects tracking
    events, and is received by the buyer or confirmed automatically ten days after shipping.
    Every cancellation is refunded to the card that paid. A few of the gateway's answers are lost
    on the way back (the gateway acted); the next day's run retries with the same idempotency
    keys and reconciles. The summary is taken after a last reconciliation at the end of the last
    day, so recent orders are still on their way; ``money_conserved`` checks that the gateway
    neither created nor lost money, that the merchant holds what the payments say they kept, and
    that every paid order's payment kept exactly the order's amount due. The run is
    deterministic for a given ``seed``.
    """
    rng = random.Random(seed)
    clock = FixedClock(pendulum.datetime(2026, 11, 1, 9, 0, tz="Asia/Shanghai"))
    policy = AutoConfirmPolicy(days=10)
    gateway = InMemoryGateway("demo")
    line = _LossyLine(gateway, rng)
    shop = OrderPayments(line)
    orders: list[tuple[Order, Payment]] = []
    new_orders = _orders(n, rng, clock)
    per_day = [n // days + (1 if d < n % days else 0) for d in range(days)]
    auto = 0
    for day in range(days):
        # The scheduled job first: parcels nobody confirmed for ten days are confirmed.
        auto += len(auto_confirm_due((o for o, _ in orders), policy))
        for order, payment in orders:
            if order.is_final and not shop.owed(order, payment) and not _held(order, payment):
                continue
            try:
                if not order.is_final:
                    _step(order, payment, shop, rng, clock)
                shop.settle(order, payment)  # refunds whatever was cancelled
            except (GatewayUnavailable, PaymentDeclined):
                pass  # an answer was lost: tomorrow's run retries with the same keys
            order.pull_events()  # the events go to the outbox
        for _ in range(per_day[day]):
            order = next(new_orders)
            card = Instrument(InstrumentKind.CARD, f"tok_{order.id}")
            if rng.random() >= 0.02:  # most cards are funded; a few are empty and get declined
                gateway.fund(card, Money("2000.00", "CNY"))
            payment = shop.open(order, card)
            with contextlib.suppress(GatewayUnavailable):  # paying asks again with the same key
                payment.authorize(line, idempotency_key=f"{payment.id}:authorize", actor=shop.actor)
            order.pull_events()  # the events go to the outbox
            orders.append((order, payment))
        clock.advance(days=1)
    # The last reconciliation of the month, over a healthy line.
    line.healthy = True
    for order, payment in orders:
        shop.settle(order, payment)
    all_orders = [o for o, _ in orders]
    payments = [p for _, p in orders]
    live = [o for o in all_orders if o.status is not OrderStatus.CANCELLED]
    zero = Money.zero("CNY")
    captured = sum_money((p.captured or zero for p in payments), "CNY")
    refunded = sum_money((p.refunded for p in payments), "CNY")
    reconciled = all(
        p.net == o.amount_due
        for o, p in orders
        if p.status in (PaymentStatus.CAPTURED, PaymentStatus.PARTIALLY_REFUNDED)
        or p.status is PaymentStatus.REFUNDED
    )
    conserved = (
        gateway.total_balance("CNY") + gateway.held("CNY") + gateway.merchant_balance("CNY")
        == gateway.total_funded("CNY")
        and gateway.merchant_balance("CNY") == captured - refunded
        and reconciled
    )
    return DemoSummary(
        orders=len(all_orders),
        by_status=dict(Counter(o.status for o in all_orders)),
        revenue=sum_money((o.amount_due for o in live), "CNY"),
        refunds_due=sum_money((o.cancelled_value for o in all_orders), "CNY"),
        shipments=sum(len(o.shipments) for o in all_orders),
        transitions=sum(o.version for o in all_orders),
        auto_confirmed=auto,
        payments_declined=sum(p.status is PaymentStatus.FAILED for p in payments),
        captured=captured,
        refunded=refunded,
        merchant_balance=gateway.merchant_balance("CNY"),
        money_conserved=conserved,
        answers_lost=line.lost,
    )
