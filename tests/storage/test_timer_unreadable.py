"""An unreadable due document does not stop a timer job: the other due aggregates are handled
and committed, the unreadable one is logged at ERROR with its id and reported afterwards as a
DocumentError, run after run, until the document is repaired."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import attrs
import pytest
import sqlalchemy as sa

from ecservice.application import OrderService
from ecservice.clock import FixedClock
from ecservice.orders import Order, OrderStatus
from ecservice.payments import InMemoryGateway
from ecservice.storage import DocumentError, default_timers, order_next_due
from ecservice.storage.sql import SqlStore
from tests.storage.aggregates import STAFF, an_order
from tests.storage.conftest import POLICY, START, empty_pg


def placed(id: str, clock: FixedClock) -> Order[Any]:
    """A new order ``id`` awaiting confirmation."""
    return attrs.evolve(an_order(clock), id=id)


def in_transit(id: str, clock: FixedClock) -> Order[Any]:
    """An order confirmed and shipped now, its events pulled."""
    order = placed(id, clock)
    order.confirm(actor=STAFF)
    order.ship(carrier="SF", tracking_no=f"SF-{id}", actor=STAFF)
    order.pull_events()
    return order


@pytest.fixture(params=["sqlite", "postgresql"])
def sql_store(
    request: pytest.FixtureRequest, tmp_path: Any, clock: FixedClock
) -> Iterator[SqlStore]:
    """An empty SQL store whose orders are timed by :data:`POLICY`."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'shop.db'}"
    else:
        url = request.getfixturevalue("pg_url")
        empty_pg(url)
    store = SqlStore(url, clock=clock, timers={**default_timers(), "order": order_next_due(POLICY)})
    store.create_schema()
    yield store
    store.dispose()


def tamper(store: SqlStore, id: str, status: str) -> None:
    """Write ``status`` into the stored document of order ``id``, behind the library's back."""
    with store.engine.begin() as connection:
        found = connection.execute(
            sa.text("SELECT document FROM ecs_aggregates WHERE id = :id"), {"id": id}
        ).scalar_one()
        document = json.loads(found) if isinstance(found, str) else found
        document["body"]["status"] = status
        connection.execute(
            sa.text("UPDATE ecs_aggregates SET document = :d WHERE id = :id"),
            {"d": json.dumps(document), "id": id},
        )


def statuses(store: SqlStore, *ids: str) -> dict[str, OrderStatus]:
    with store.unit_of_work() as uow:
        return {id: uow.orders.get(id).status for id in ids}


def test_one_unreadable_overdue_order_does_not_stop_the_others(
    sql_store: SqlStore, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    with sql_store.unit_of_work() as uow:
        for id in ("D-1", "D-2", "D-3"):
            uow.orders.add(in_transit(id, clock))
        uow.commit()
    tamper(sql_store, "D-2", "NOT_A_STATE")
    clock.advance(days=POLICY.days + 1)
    service = OrderService(sql_store, InMemoryGateway(), clock=clock, auto_confirm=POLICY)

    with (
        caplog.at_level(logging.ERROR, logger="ecservice.application"),
        pytest.raises(DocumentError) as raised,
    ):
        service.run_due_timers()

    assert statuses(sql_store, "D-1", "D-3") == {
        "D-1": OrderStatus.DONE,
        "D-3": OrderStatus.DONE,
    }
    error = raised.value
    assert error.subject.startswith(
        "what the timer job read of 1 of the 3 due orders (the other 2 were handled"
    )
    assert len(error.problems) == 1
    assert error.problems[0].startswith("'D-2': order document 'D-2': body.status")
    assert isinstance(error.__cause__, DocumentError)
    assert [r.levelno for r in caplog.records] == [logging.ERROR]
    assert caplog.records[0].name == "ecservice.application"
    assert "'D-2'" in caplog.records[0].getMessage()
    assert "NOT_A_STATE" in caplog.records[0].getMessage()

    # It stays due and is reported again; nothing else is done twice.
    caplog.clear()
    with pytest.raises(DocumentError, match=r"read of 1 of the 1 due orders \(no other was due"):
        service.run_due_timers()
    assert len(caplog.records) == 1


def test_several_unreadable_orders_are_all_listed(sql_store: SqlStore, clock: FixedClock) -> None:
    with sql_store.unit_of_work() as uow:
        for id in ("D-1", "D-2", "D-3", "D-4"):
            uow.orders.add(in_transit(id, clock))
        uow.commit()
    tamper(sql_store, "D-1", "GONE")
    tamper(sql_store, "D-3", "GONE")
    clock.advance(days=POLICY.days + 1)
    service = OrderService(sql_store, InMemoryGateway(), clock=clock, auto_confirm=POLICY)
    with pytest.raises(DocumentError, match=r"read of 2 of the 4 due orders") as raised:
        service.run_due_timers(limit=1)
    assert [p.split(":")[0] for p in raised.value.problems] == ["'D-1'", "'D-3'"]
    assert statuses(sql_store, "D-2", "D-4") == {
        "D-2": OrderStatus.DONE,
        "D-4": OrderStatus.DONE,
    }


def test_healthy_timers_return_the_count_and_log_nothing(
    sql_store: SqlStore, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    with sql_store.unit_of_work() as uow:
        for id in ("D-1", "D-2", "D-3"):
            uow.orders.add(in_transit(id, clock))
        uow.commit()
    clock.advance(days=POLICY.days + 1)
    service = OrderService(sql_store, InMemoryGateway(), clock=clock, auto_confirm=POLICY)
    with caplog.at_level(logging.DEBUG, logger="ecservice.application"):
        assert service.run_due_timers(limit=2) == 3
        assert service.run_due_timers() == 0
    assert caplog.records == []


def break_json(store: SqlStore, id: str) -> None:
    """Replace the stored document of ``id`` by text that is not JSON at all (cut short) on
    SQLite; by JSON that is no document (an array) on PostgreSQL, whose ``jsonb`` holds JSON
    only."""
    broken = "[1, 2]" if store.engine.dialect.name == "postgresql" else '{"id": "' + id + '", "bo'
    with store.engine.begin() as connection:
        changed = connection.execute(
            sa.text("UPDATE ecs_aggregates SET document = :d WHERE id = :id"),
            {"d": broken, "id": id},
        ).rowcount
    assert changed == 1


def test_due_ids_reads_the_ids_without_loading_the_documents(
    sql_store: SqlStore, clock: FixedClock
) -> None:
    with sql_store.unit_of_work() as uow:
        for id in ("D-1", "D-2", "D-3"):
            uow.orders.add(in_transit(id, clock))
        uow.orders.add(placed("P-1", clock))  # nothing due
        uow.commit()
    tamper(sql_store, "D-1", "GONE")
    break_json(sql_store, "D-2")
    later = START.add(days=POLICY.days + 1)
    with sql_store.unit_of_work() as uow:
        assert uow.orders.due_ids(later, 10) == ["D-1", "D-2", "D-3"]
        assert uow.orders.due_ids(later, 1) == ["D-1"]
        assert uow.orders.due_ids(START, 10) == []
        # due() builds every aggregate it claims: the first unreadable row fails the claim.
        with pytest.raises(DocumentError):
            uow.orders.due(later, 10)


def test_a_document_that_is_not_json_is_reported_after_the_others(
    sql_store: SqlStore, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    with sql_store.unit_of_work() as uow:
        for id in ("D-1", "D-2", "D-3"):
            uow.orders.add(in_transit(id, clock))
        uow.commit()
    break_json(sql_store, "D-2")
    clock.advance(days=POLICY.days + 1)
    service = OrderService(sql_store, InMemoryGateway(), clock=clock, auto_confirm=POLICY)

    with (
        caplog.at_level(logging.ERROR, logger="ecservice.application"),
        pytest.raises(DocumentError) as raised,
    ):
        service.run_due_timers()

    assert statuses(sql_store, "D-1", "D-3") == {
        "D-1": OrderStatus.DONE,
        "D-3": OrderStatus.DONE,
    }
    assert raised.value.subject.startswith(
        "what the timer job read of 1 of the 3 due orders (the other 2 were"
    )
    assert [p.split(":")[0] for p in raised.value.problems] == ["'D-2'"]
    assert [r.levelno for r in caplog.records] == [logging.ERROR]
    assert "'D-2'" in caplog.records[0].getMessage()
