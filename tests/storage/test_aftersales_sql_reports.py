"""After-sales reports from the database equal the in-memory report, figure for figure.

Random sets of cases (opened, refunded, compensated, refunded by a timer, disputed either way,
withdrawn; instants on and a microsecond off the window's bounds, in zones with and without
DST) and payments (captured once or twice, voided, only authorized) are stored in SQLite and in
PostgreSQL; :class:`~ecservice.storage.sql.SqlAfterSalesReports` must answer exactly what
:func:`~ecservice.aftersales.aftersales_report` answers over the same cases and
:func:`~ecservice.aftersales.paid_orders` of the same payments, and so must
:meth:`~ecservice.storage.MemoryStore.aftersales_report`.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecservice.aftersales import AfterSalesCase, aftersales_report, paid_orders
from ecservice.clock import FixedClock
from ecservice.errors import NaiveDatetime, ValidationError
from ecservice.money import Money
from ecservice.payments import InMemoryGateway, Instrument, InstrumentKind, Payment
from ecservice.storage import MemoryStore, Store
from ecservice.storage.sql import SqlAfterSalesReports, SqlStore
from ecservice.workflow import Actor
from tests.aftersales.test_reports import cases_of, scenarios
from tests.storage.pgdb import fresh_pg_database

SYSTEM = Actor.system("test")
CARD = Instrument(InstrumentKind.CARD, "tok_report_0001")
HOUR = _dt.timedelta(hours=1)
EXAMPLES = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def captured(pid: str, order_id: str, at: _dt.datetime, gateway: InMemoryGateway) -> Payment:
    """A payment of ``order_id`` authorized an hour before ``at`` and captured at ``at``."""
    clock = FixedClock(at - HOUR)
    payment = Payment(
        id=pid, order_id=order_id, amount=Money("50.00", "CNY"), instrument=CARD, clock=clock
    )
    payment.authorize(gateway, idempotency_key=f"{pid}-a", actor=SYSTEM)
    clock.set(at)
    payment.capture(gateway, idempotency_key=f"{pid}-c", actor=SYSTEM)
    return payment


@st.composite
def shops(draw: st.DrawFn) -> dict[str, Any]:
    """A report's scenario, with payments: each paid order's first capture at its ``paid_at``,
    sometimes a second capture later, a voided payment, or an order only authorized."""
    s: dict[str, Any] = draw(scenarios())
    gateway = InMemoryGateway()
    gateway.fund(CARD, Money("100000.00", "CNY"))
    payments: list[Payment] = []
    for paid in s["paid"]:
        payments.append(captured(f"P-{paid.order_id}-1", paid.order_id, paid.paid_at, gateway))
        if draw(st.booleans()):
            later = paid.paid_at + _dt.timedelta(seconds=draw(st.integers(0, 40 * 86400)))
            payments.append(captured(f"P-{paid.order_id}-2", paid.order_id, later, gateway))
    if draw(st.booleans()):
        clock = FixedClock(s["now"])
        voided = Payment(
            id="P-V", order_id="O-V", amount=Money("9.00", "CNY"), instrument=CARD, clock=clock
        )
        voided.authorize(gateway, idempotency_key="P-V-a", actor=SYSTEM)
        if draw(st.booleans()):
            voided.void(gateway, idempotency_key="P-V-v", actor=SYSTEM)
        payments.append(voided)
    draw(st.randoms()).shuffle(payments)
    s["payments"] = payments
    return s


def store_all(store: Store, cases: list[AfterSalesCase], payments: list[Payment]) -> None:
    with store.unit_of_work() as uow:
        for case in cases:
            uow.cases.add(case)
        for payment in payments:
            uow.payments.add(payment)
        uow.commit()


def expected(s: dict[str, Any], cases: list[AfterSalesCase]) -> Any:
    return aftersales_report(
        cases, paid_orders(s["payments"]), now=s["now"], zone=s["zone"], days=s["days"]
    )


def asked(s: dict[str, Any]) -> dict[str, Any]:
    return {"now": s["now"], "zone": s["zone"], "days": s["days"]}


@pytest.fixture(scope="module")
def pg_store() -> Iterator[SqlStore]:
    with fresh_pg_database() as url:
        store = SqlStore(url)
        store.create_schema()
        yield store
        store.dispose()


def empty(store: SqlStore) -> None:
    with store.engine.begin() as connection:
        for table in ("ecs_case_facts", "ecs_aggregates", "ecs_outbox"):
            connection.execute(sa.text(f"DELETE FROM {table}"))


@EXAMPLES
@given(s=shops())
def test_the_sqlite_report_is_the_in_memory_report(s: dict[str, Any]) -> None:
    cases = cases_of(s["specs"])
    store = SqlStore("sqlite://")
    store.create_schema()
    try:
        store_all(store, cases, s["payments"])
        assert SqlAfterSalesReports(store).report(**asked(s)) == expected(s, cases)
    finally:
        store.dispose()


@EXAMPLES
@given(s=shops())
def test_the_postgresql_report_is_the_in_memory_report(
    pg_store: SqlStore, s: dict[str, Any]
) -> None:
    cases = cases_of(s["specs"])
    empty(pg_store)
    store_all(pg_store, cases, s["payments"])
    assert SqlAfterSalesReports(pg_store).report(**asked(s)) == expected(s, cases)


@settings(max_examples=25, deadline=None)
@given(s=shops())
def test_the_memory_store_report_is_the_in_memory_report(s: dict[str, Any]) -> None:
    cases = cases_of(s["specs"])
    store = MemoryStore()
    store_all(store, cases, s["payments"])
    assert store.aftersales_report(**asked(s)) == expected(s, cases)


def test_a_saved_case_is_counted_as_it_stands_now() -> None:
    """The facts row follows the case: refunded after it was first stored, the case counts as
    refunded (and resolved) in the report."""
    s: dict[str, Any] = {
        "now": _dt.datetime(2026, 12, 1, 9, tzinfo=_dt.UTC),
        "zone": "Asia/Shanghai",
        "days": 30,
        "specs": [("AS-1", "O-1", _dt.datetime(2026, 11, 20, tzinfo=_dt.UTC), "open")],
    }
    gateway = InMemoryGateway()
    gateway.fund(CARD, Money("100.00", "CNY"))
    s["payments"] = [captured("P-1", "O-1", _dt.datetime(2026, 11, 19, tzinfo=_dt.UTC), gateway)]
    store = SqlStore("sqlite://")
    store.create_schema()
    reports = SqlAfterSalesReports(store)
    (case,) = cases_of(s["specs"])
    store_all(store, [case], s["payments"])
    before = reports.report(**asked(s))
    assert (before.orders_refunded, before.cases_resolved) == (0, 0)
    with store.unit_of_work() as uow:
        stored = uow.cases.get("AS-1")
        stored.approve(expected_version=0, actor=Actor.staff("cs-1"))
        stored.refund(actor=Actor.staff("cs-1"))
        uow.cases.save(stored)
        uow.commit()
        final = stored
    after = reports.report(**asked(s))
    assert (after.orders_refunded, after.cases_resolved) == (1, 1)
    assert after == expected(s, [final])


def test_bad_arguments_are_refused_like_the_in_memory_report() -> None:
    store = SqlStore("sqlite://")
    store.create_schema()
    reports = SqlAfterSalesReports(store)
    with pytest.raises(NaiveDatetime):
        reports.report(now=_dt.datetime(2026, 12, 1), zone="Asia/Shanghai")
    with pytest.raises(ValidationError, match="days must be"):
        reports.report(now=_dt.datetime(2026, 12, 1, tzinfo=_dt.UTC), zone="UTC", days=0)
    with pytest.raises(ValidationError, match="needs a SqlStore"):
        SqlAfterSalesReports(MemoryStore())  # type: ignore[arg-type]
