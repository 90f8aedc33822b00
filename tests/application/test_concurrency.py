"""Use cases racing each other in separate processes: refunds and timers happen once.

Orders are placed and paid through :class:`~ecservice.application.OrderService` with a
:class:`~ecservice.storage.sql.SqlGateway`; then worker processes (8 on PostgreSQL, 4 on one
SQLite file, its gateway in a file of its own) all cancel the same paid orders (each
cancellation refunded) and all run the automatic-confirmation timers of the same shipped
orders, at once. Afterwards, with SQL: each cancelled order's capture was refunded once, in
full; each shipped order was confirmed once; the gateway's books balance and the merchant holds
what the stored payments kept.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from multiprocessing.pool import Pool
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from ecservice.application import OrderService, payments_of
from ecservice.clock import FixedClock
from ecservice.money import Money, sum_money
from ecservice.orders import OrderStatus
from ecservice.payments import Instrument, InstrumentKind
from ecservice.storage import order_next_due
from tests.application.conftest import POLICY, START
from tests.application.test_orders import ADDRESS, BUYER, RATE, STAFF, add_cart

CANCELLED = [f"O-C{i}" for i in range(6)]
SHIPPED = [f"O-S{i}" for i in range(6)]
#: When the workers run: after every shipped order's automatic confirmation is due.
LATER = START.add(days=POLICY.days + 1)


def card(order_id: str) -> Instrument:
    return Instrument(InstrumentKind.CARD, f"tok_{order_id}")


def open_service(url: str, gateway_url: str, clock: FixedClock) -> tuple[OrderService, Any]:
    from ecservice.storage.sql import SqlGateway, SqlStore

    store = SqlStore(url, clock=clock, timers={"order": order_next_due(POLICY)})
    gateway = SqlGateway(gateway_url, name="race", clock=clock)
    service = OrderService(store, gateway, clock=clock, auto_confirm=POLICY)
    return service, gateway


def prepare(url: str, gateway_url: str) -> None:
    """Every order placed and paid; the shipped ones shipped."""
    clock = FixedClock(START)
    service, gateway = open_service(url, gateway_url, clock)
    try:
        for order_id in CANCELLED + SHIPPED:
            gateway.fund(card(order_id), Money("1000.00", "CNY"), idempotency_key=f"f-{order_id}")
            add_cart(service.store, clock, f"C-{order_id}")
            service.place_order(
                f"C-{order_id}", order_id, address=ADDRESS, shipping=RATE, actor=BUYER
            )
            assert service.pay(order_id, card(order_id)).paid
        for order_id in SHIPPED:
            service.change(
                order_id,
                lambda o: o.ship(carrier="SF Express", tracking_no=f"SF-{o.id}", actor=STAFF),
            )
    finally:
        service.store.dispose()  # type: ignore[attr-defined]
        gateway.dispose()


def worker(url: str, gateway_url: str, seed: int) -> int:
    """Cancel every order of CANCELLED (rotated by ``seed``, so the workers collide in different
    orders), then run the timers; return how many orders this worker confirmed."""
    clock = FixedClock(LATER)
    service, gateway = open_service(url, gateway_url, clock)
    try:
        n = len(CANCELLED)
        for k in range(n):
            order_id = CANCELLED[(k + seed) % n]
            service.cancel(order_id, reason="buyer changed their mind", actor=BUYER)
        return service.run_due_timers(limit=2)
    finally:
        service.store.dispose()  # type: ignore[attr-defined]
        gateway.dispose()


@pytest.fixture(scope="module")
def pool() -> Iterator[Pool]:
    with multiprocessing.get_context("spawn").Pool(8) as workers:
        yield workers


def check(pool: Pool, url: str, gateway_url: str, processes: int) -> None:
    prepare(url, gateway_url)
    confirmed = pool.starmap(worker, [(url, gateway_url, s) for s in range(processes)], 1)
    assert sum(confirmed) == len(SHIPPED)  # each due order confirmed by exactly one worker
    clock = FixedClock(LATER)
    service, gateway = open_service(url, gateway_url, clock)
    try:
        with service.store.unit_of_work() as uow:
            orders = {o: uow.orders.get(o) for o in CANCELLED + SHIPPED}
            payments = {o: payments_of(uow, o) for o in orders}
        for order_id in CANCELLED:
            assert orders[order_id].status is OrderStatus.CANCELLED
            (payment,) = payments[order_id]
            assert payment.refunded == payment.captured
        for order_id in SHIPPED:
            order = orders[order_id]
            assert order.status is OrderStatus.DONE
            assert sum(r.trigger == "auto_confirm" for r in order.history) == 1
        with gateway.engine.connect() as connection:
            refunds = connection.execute(
                sa.text(
                    "SELECT c.id, COUNT(r.id) AS n, c.refunded, c.amount FROM ecs_gw_captures c "
                    "LEFT JOIN ecs_gw_refunds r ON r.gateway = c.gateway AND r.capture_id = c.id "
                    "WHERE c.gateway = 'race' GROUP BY c.id, c.refunded, c.amount"
                )
            ).all()
        refunded = [r for r in refunds if r.n]
        assert len(refunded) == len(CANCELLED)
        assert all(r.n == 1 and r.refunded == r.amount for r in refunded)
        audit = gateway.audit("CNY")
        assert audit.balanced, audit.problems
        kept = sum_money((p.net for ps in payments.values() for p in ps), "CNY")
        assert audit.merchant == kept
        assert audit.held.is_zero()
    finally:
        service.store.dispose()  # type: ignore[attr-defined]
        gateway.dispose()


def test_eight_processes_on_postgresql_refund_and_confirm_once(pool: Pool) -> None:
    from ecservice.storage.sql import SqlStore
    from tests.storage.pgdb import fresh_pg_database

    with fresh_pg_database() as url:
        SqlStore(url).create_schema()
        check(pool, url, url, processes=8)


def test_four_processes_on_one_sqlite_file_refund_and_confirm_once(
    pool: Pool, tmp_path: Path
) -> None:
    from ecservice.storage.sql import SqlStore

    url, gateway_url = f"sqlite:///{tmp_path / 'shop.db'}", f"sqlite:///{tmp_path / 'gw.db'}"
    SqlStore(url).create_schema()
    SqlStore(gateway_url).create_schema()
    check(pool, url, gateway_url, processes=4)
