"""Orders stored in SQLite: units of work, a refused stale save, the outbox relayed, timers.

An order is placed, confirmed and shipped, each step in a unit of work of its own on a SQLite
file in a temporary folder; a save made from a stale copy is refused and changes nothing; the
outbox's events are relayed to a broker (here one that prints); and when the clock has moved
past the automatic-confirmation time, the timer finds the order and confirms its receipt.

Run: ``python examples/store_orders.py`` (needs the ``sql`` extra: ``pip install 'ecservice[sql]'``)
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pendulum

from ecservice.clock import FixedClock
from ecservice.errors import ConcurrencyConflict
from ecservice.money import Money
from ecservice.orders import (
    Address,
    AutoConfirmPolicy,
    Cart,
    Order,
    ShippingRate,
    auto_confirm_due,
)
from ecservice.storage import (
    OutboxRecord,
    UnitOfWork,
    default_timers,
    order_next_due,
    run_in_transaction,
)
from ecservice.storage.sql import OutboxRelay, SqlStore
from ecservice.storage.sql.migrations import upgrade
from ecservice.workflow import Actor

BUYER = Actor.buyer("u-1001")
STAFF = Actor.staff("kefu-07")
POLICY = AutoConfirmPolicy(days=10)  # 自动确认收货: ten days after shipping


class PrintingBroker:
    """Stands in for a message broker: prints each event once, skipping redeliveries.

    A relay delivers at least once, so a consumer de-duplicates on the event id.
    """

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def publish(self, record: OutboxRecord) -> None:
        if record.event_id in self.seen:
            return
        self.seen.add(record.event_id)
        print(f"  broker <- {record.event_id:<14} {record.event_type}")


def place_order(clock: FixedClock) -> Order[Any]:
    """A cart checked out into an order awaiting confirmation (its OrderPlaced event queued)."""
    cart = Cart.open("CART-1", buyer_id="u-1001", currency="CNY", clock=clock)
    cart.add_line("TEA-250", "Longjing tea 250 g", Money("88.00", "CNY"), 2, actor=BUYER)
    cart.checkout(actor=BUYER)
    return cart.place_order(
        "O-1",
        address=Address(
            recipient="王小明",
            phone="138 0013 8000",
            province="浙江省",
            city="杭州市",
            street="龙井路 1 号",
        ),
        shipping=ShippingRate.per_kg(
            first_fee=Money("10.00", "CNY"), additional_fee=Money("6.00", "CNY")
        ),
        actor=BUYER,
    )


def confirm(uow: UnitOfWork) -> int:
    """Load the order, confirm it, save it; the version it reached."""
    order = uow.orders.get("O-1")
    order.confirm(actor=STAFF)
    uow.orders.save(order)
    return order.version


def run_due_timers(uow: UnitOfWork, now: pendulum.DateTime) -> list[str]:
    """Confirm receipt of the orders whose automatic-confirmation time has come."""
    due = uow.orders.due(now, limit=100)
    auto_confirm_due(due, POLICY)
    for order in due:
        uow.orders.save(order)
    return [order.id for order in due]


def main() -> None:
    clock = FixedClock(pendulum.datetime(2026, 11, 11, 9, 30, tz="Asia/Shanghai"))
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'shop.db'}"
        print(f"schema at revision {upgrade(url)}")
        timers = {**default_timers(), "order": order_next_due(POLICY)}
        store = SqlStore(url, clock=clock, timers=timers)
        try:
            # 1. Place, confirm and ship, each in a unit of work of its own.
            with store.unit_of_work() as uow:
                uow.orders.add(place_order(clock))
                uow.commit()
            print(f"placed O-1: version {store.stored_version('order', 'O-1')}")
            version = run_in_transaction(store, confirm)
            print(f"confirmed O-1: version {version}")

            # 2. Two clerks: one loads the order and is slow; the other ships it meanwhile.
            with store.unit_of_work() as slow:
                stale = slow.orders.get("O-1")
                slow.commit()  # ends its transaction (on SQLite it holds the write lock)
                with store.unit_of_work() as quick:
                    order = quick.orders.get("O-1")
                    order.ship(carrier="SF Express", tracking_no="SF1001", actor=STAFF)
                    quick.orders.save(order)
                    quick.commit()
                print(f"shipped O-1: version {store.stored_version('order', 'O-1')}")
                stale.cancel(reason="buyer asked to cancel", actor=BUYER)
                try:
                    slow.orders.save(stale)
                except ConcurrencyConflict as conflict:
                    print(f"stale save refused: {conflict}")
                print(f"its events stay queued: {[type(e).__name__ for e in stale.pending_events]}")
            with store.unit_of_work() as uow:
                order = uow.orders.get("O-1")
                print(f"stored: version {order.version}, {order.status.label_en}")
            print(f"automatic confirmation due at {store.next_due_at('order', 'O-1')}")

            # 3. The outbox, relayed to a broker (a real relay runs this in a loop).
            broker = PrintingBroker()
            relay = OutboxRelay(store, broker.publish, clock=clock)
            print(f"relayed {relay.run_once()} event(s)")
            print(f"relayed {relay.run_once()} more")

            # 4. Timers: nothing is due yet; eleven days later the order is confirmed.
            print(f"due now: {run_in_transaction(store, lambda u: run_due_timers(u, clock.now()))}")
            clock.advance(days=11)
            confirmed = run_in_transaction(store, lambda u: run_due_timers(u, clock.now()))
            print(f"due after 11 days: {confirmed}")
            with store.unit_of_work() as uow:
                order = uow.orders.get("O-1")
                print(
                    f"O-1 is {order.status.label_en} ({order.status.label_zh}), "
                    f"version {order.version}, next due {store.next_due_at('order', 'O-1')}"
                )
            print(f"relayed {relay.run_once()} event(s)")
        finally:
            store.dispose()


if __name__ == "__main__":
    main()
