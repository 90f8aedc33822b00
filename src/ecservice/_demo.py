"""A simulated shop: a batch of orders through their lifecycle (the ``ecservice demo`` command).

Every step goes through the application layer (:class:`~ecservice.application.OrderService`)
into a store: carts, orders and payments are saved as documents with their events in the
outbox, in memory or in a SQL database.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Final

import attrs
import pendulum

from ecservice.application import OrderService, payments_of
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
)
from ecservice.payments import (
    GatewayResponse,
    InMemoryGateway,
    Instrument,
    InstrumentKind,
    Payment,
    PaymentDeclined,
    PaymentStatus,
)
from ecservice.storage import MemoryStore, Store, UnitOfWork, order_next_due, run_in_transaction
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
_WAREHOUSES = ["Hangzhou", "Guangzhou", "Chengdu"]
#: Share of gateway answers lost on the way back (the gateway acted; the shop retries next day).
_LOST_ANSWERS = 0.02
#: The first day of the first run.
_START = pendulum.datetime(2026, 11, 1, 9, 0, tz="Asia/Shanghai")
_RATE = ShippingRate.per_kg(
    first_fee=Money("10.00", "CNY"),
    additional_fee=Money("6.00", "CNY"),
    free_over=Money("199.00", "CNY"),
)
_STAFF = Actor.staff("kefu-01")
#: What a day's step asks of the payments, after it changed the order.
_PAY: Final = "pay"
_SETTLE: Final = "settle"


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


@attrs.frozen(kw_only=True)
class DemoSummary:
    """What a demo run produced (its own orders; ``stored_orders`` counts every run's)."""

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
    database: str = "memory"
    stored_orders: int = 0
    earlier_orders: int = 0


@attrs.frozen
class _Dice:
    """The random draws of one order's day, drawn before the step so that a step run again
    (after a transient storage failure) makes the same choices."""

    roll: float
    second: float
    carriers: tuple[str, str]
    tracking: tuple[str, str]
    warehouses: tuple[str, str]

    @classmethod
    def draw(cls, rng: random.Random) -> _Dice:
        return cls(
            rng.random(),
            rng.random(),
            (rng.choice(_CARRIERS), rng.choice(_CARRIERS)),
            (f"T{rng.randrange(10**9)}", f"T{rng.randrange(10**9)}"),
            (rng.choice(_WAREHOUSES), rng.choice(_WAREHOUSES)),
        )


def _order_id(i: int) -> str:
    return f"O-{i:06d}"


def _card(order_id: str) -> Instrument:
    return Instrument(InstrumentKind.CARD, f"tok_{order_id}")


def _stored_orders(store: Store) -> int:
    """How many demo orders are stored: their ids are ``O-000000`` onwards without gaps."""

    def work(uow: UnitOfWork) -> int:
        def stored(i: int) -> bool:
            return uow.orders.find(_order_id(i)) is not None

        if not stored(0):
            return 0
        high = 1
        while stored(high):
            high *= 2
        low = high // 2  # stored(low), not stored(high)
        while high - low > 1:
            mid = (low + high) // 2
            if stored(mid):
                low = mid
            else:
                high = mid
        return high

    return run_in_transaction(store, work)


def _new_cart(i: int, rng: random.Random, clock: FixedClock) -> tuple[Cart, Actor]:
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
    return cart, buyer


def _address(i: int) -> Address:
    return Address(
        recipient=f"Buyer {i}",
        phone="13800138000",
        province="Zhejiang",
        city="Hangzhou",
        street=f"{i} West Lake Road",
    )


def _step(
    dice: _Dice, clock: FixedClock, *, declined: bool
) -> Callable[[Order[Any]], tuple[str | None, OrderStatus]]:
    """What a day brings one order: the change (run inside the unit of work), and what it asks
    of the payments afterwards (pay, settle, or nothing)."""

    def step(order: Order[Any]) -> tuple[str | None, OrderStatus]:
        status = order.status
        action: str | None = None
        if status is OrderStatus.PENDING_CONFIRMATION:
            if declined or order.amount_due.is_zero():
                order.cancel(reason="payment declined", actor=Actor.system("payments"))
                action = _SETTLE
            elif dice.roll < 0.04:
                order.cancel(reason="buyer changed their mind", actor=Actor.buyer(order.buyer_id))
                action = _SETTLE
            else:
                action = _PAY  # captured: the order enters processing
        elif status is OrderStatus.PROCESSING:
            open_items = order.open_items()
            if not order.shipments and dice.roll < 0.1:
                order.mark_out_of_stock([next(iter(open_items))], actor=_STAFF, note="stock short")
            else:
                if len(open_items) > 1 and dice.second < 0.3:
                    sku = next(iter(open_items))
                    order.ship(
                        items={sku: open_items[sku]},
                        carrier=dice.carriers[1],
                        tracking_no=dice.tracking[1],
                        warehouse=dice.warehouses[1],
                        actor=_STAFF,
                    )
                order.ship(
                    carrier=dice.carriers[0],
                    tracking_no=dice.tracking[0],
                    warehouse=dice.warehouses[0],
                    actor=_STAFF,
                )
        elif status is OrderStatus.OUT_OF_STOCK:
            if dice.roll < 0.5:
                order.restock(actor=_STAFF)
            elif dice.roll < 0.8:
                sku = order.out_of_stock[0]
                order.cancel_lines(
                    {sku: order.open_quantity(sku)}, reason="cannot restock", actor=_STAFF
                )
                action = _SETTLE
            elif dice.roll < 0.85:
                order.cancel(reason="out of stock for too long", actor=_STAFF)
                action = _SETTLE
        elif status is OrderStatus.IN_TRANSIT:
            for shipment in order.travelling:
                order.add_tracking_event(
                    shipment.id,
                    TrackingEvent(
                        at=clock.now(), description="parcel scanned", location=dice.warehouses[0]
                    ),
                    actor=Actor.carrier(shipment.carrier),
                )
            if dice.second < 0.12:
                order.confirm_receipt(order.travelling[0].id, actor=Actor.buyer(order.buyer_id))
        return action, order.status

    return step


def _open_store(db: str | None, clock: FixedClock, policy: AutoConfirmPolicy) -> Store:
    timers = {"order": order_next_due(policy)}
    if db is None:
        return MemoryStore(clock=clock, timers=timers)
    import sqlalchemy as sa

    from ecservice.storage.sql import SqlStore
    from ecservice.storage.sql.migrations import upgrade

    # The demo's commits need not survive a power loss (they do survive a crash).
    store = SqlStore(db, clock=clock, timers=timers, sqlite_synchronous="NORMAL")
    url = sa.make_url(db)
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        store.create_schema()  # an in-memory database lives only in the store's connection
    else:
        upgrade(db)
    return store


def run_demo(
    n: int = 3000,
    *,
    seed: int = 2026,
    days: int = 30,
    db: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> DemoSummary:
    """Simulate ``n`` orders placed over ``days`` simulated days; summarise where they stand.

    Orders arrive spread over the days. Each day every open order moves on: it is paid by card
    through an in-memory gateway (a few cards are declined and those orders cancelled) and so
    confirmed, or cancelled by the buyer; it may run out of stock (then restocked, the missing
    line cancelled, or the whole order cancelled), ships in one or two parcels, collects tracking
    events, and is received by the buyer or confirmed automatically ten days after shipping
    (the store's timers find the orders due). Every cancellation is refunded to the card that
    paid. A few of the gateway's answers are lost on the way back (the gateway acted); the next
    day's run retries with the same idempotency keys and reconciles.

    Every step is a use case of :class:`~ecservice.application.OrderService`, stored in ``db``
    (a SQLAlchemy URL; its schema is created or upgraded first) or, without it, in memory. A
    database that already holds demo orders is continued: the new orders are numbered after
    the stored ones and the simulated month starts the day after the last of them; the earlier
    orders are left as they are, except that their parcels are confirmed automatically when due.
    The gateway's accounts live in memory, for this run only.

    The summary is taken after a last reconciliation at the end of the last day, over this run's
    orders as stored; ``money_conserved`` checks that the gateway neither created nor lost
    money, that the merchant holds what the stored payments say they kept, and that every paid
    order's stored payments kept exactly the order's amount due. The run is deterministic for a
    given ``seed`` and starting database.

    Args:
        n: how many orders to place.
        seed: the seed of the random choices.
        days: over how many simulated days.
        db: the database's URL, or ``None`` for a store in memory.
        progress: called with (days done, days) at the end of each day.

    Raises:
        MigrationError: the database cannot be reached or migrated.
        StorageUnavailable: the database failed during the run.
    """
    rng = random.Random(seed)
    clock = FixedClock(_START)
    policy = AutoConfirmPolicy(days=10)
    store = _open_store(db, clock, policy)
    try:
        return _run(store, n, rng, clock, policy, days, db, progress)
    finally:
        dispose = getattr(store, "dispose", None)
        if dispose is not None:
            dispose()


def _run(
    store: Store,
    n: int,
    rng: random.Random,
    clock: FixedClock,
    policy: AutoConfirmPolicy,
    days: int,
    db: str | None,
    progress: Callable[[int, int], None] | None,
) -> DemoSummary:
    earlier = _stored_orders(store)
    if earlier:
        last = run_in_transaction(store, lambda uow: uow.orders.get(_order_id(earlier - 1)))
        clock.set(max(clock.now(), last.created_at.add(days=1)))
    gateway = InMemoryGateway("demo")
    line = _LossyLine(gateway, rng)
    service = OrderService(store, line, clock=clock, auto_confirm=policy)
    ids = [_order_id(earlier + i) for i in range(n)]
    open_ids: list[str] = []
    declined: set[str] = set()
    unsettled: set[str] = set()
    per_day = [n // days + (1 if d < n % days else 0) for d in range(days)]
    placed = 0
    auto = 0
    for day in range(days):
        # The scheduled job first: parcels nobody confirmed for ten days are confirmed.
        auto += service.run_due_timers(limit=500)
        still_open: list[str] = []
        for order_id in open_ids:
            dice = _Dice.draw(rng)
            action, status = service.change(
                order_id, _step(dice, clock, declined=order_id in declined)
            )
            try:
                if action == _PAY:
                    paid = service.pay(order_id, _card(order_id))
                    if paid.payment_status is PaymentStatus.FAILED:
                        declined.add(order_id)
                elif action == _SETTLE or order_id in unsettled:
                    service.settle(order_id)  # refunds whatever was cancelled
                    unsettled.discard(order_id)
            except (GatewayUnavailable, PaymentDeclined):
                unsettled.add(order_id)  # an answer was lost: tomorrow's run retries
            if status not in (OrderStatus.DONE, OrderStatus.CANCELLED) or order_id in unsettled:
                still_open.append(order_id)
        open_ids = still_open
        for _ in range(per_day[day]):
            i = earlier + placed
            order_id = ids[placed]
            placed += 1
            cart, buyer = _new_cart(i, rng, clock)
            run_in_transaction(store, _adding(cart))
            service.place_order(cart.id, order_id, address=_address(i), shipping=_RATE, actor=buyer)
            if rng.random() >= 0.02:  # most cards are funded; a few are empty and get declined
                gateway.fund(_card(order_id), Money("2000.00", "CNY"))
            open_ids.append(order_id)
        clock.advance(days=1)
        if progress is not None:
            progress(day + 1, days)
    # The last reconciliation of the month, over a healthy line, of every order a lost answer
    # left unsettled (the others were settled when they changed).
    line.healthy = True
    for order_id in sorted(unsettled):
        service.settle(order_id)
    return _summarise(store, ids, gateway, line, auto, db, earlier)


def _adding(cart: Cart) -> Callable[[UnitOfWork], None]:
    def work(uow: UnitOfWork) -> None:
        # A run killed between storing a cart and placing its order left the cart stored: the
        # order is placed from that one (place_order checks it out if needed).
        if uow.carts.find(cart.id) is None:
            uow.carts.add(cart)

    return work


def _summarise(
    store: Store,
    ids: list[str],
    gateway: InMemoryGateway,
    line: _LossyLine,
    auto: int,
    db: str | None,
    earlier: int,
) -> DemoSummary:
    """The summary, from the stored orders and payments of this run and the gateway."""

    def load(uow: UnitOfWork) -> list[tuple[Order[Any], list[Payment]]]:
        return [(uow.orders.get(i), payments_of(uow, i)) for i in ids]

    stored = run_in_transaction(store, load)
    all_orders = [o for o, _ in stored]
    payments = [p for _, ps in stored for p in ps]
    live = [o for o in all_orders if o.status is not OrderStatus.CANCELLED]
    zero = Money.zero("CNY")
    captured = sum_money((p.captured or zero for p in payments), "CNY")
    refunded = sum_money((p.refunded for p in payments), "CNY")
    # Every order whose money was taken kept exactly what it owes, over all its attempts.
    reconciled = all(
        sum_money((p.net for p in ps), "CNY") == o.amount_due
        for o, ps in stored
        if any(p.captured is not None for p in ps)
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
        database="memory" if db is None else _shown(db),
        stored_orders=earlier + len(all_orders),
        earlier_orders=earlier,
    )


def _shown(db: str) -> str:
    from ecservice.storage.sql.migrations import shown_url

    return shown_url(db)
