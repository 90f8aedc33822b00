"""An order's after-sales cases through the unit of work (``uow.cases.for_order``), on every
store; the facts rows a SQL store keeps with each case; the order's lock; and migration 0004,
which fills the facts of the cases stored before it.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

import pendulum
import pytest
import sqlalchemy as sa

from ecservice.aftersales import AfterSalesCase
from ecservice.errors import ConcurrencyConflict, ValidationError
from ecservice.storage import MemoryStore, dump_case
from ecservice.storage._case_facts import case_facts
from ecservice.storage.sql import CASE_FACTS, SqlStore
from ecservice.storage.sql.migrations import upgrade
from ecservice.workflow import Actor
from tests.aftersales.test_reports import PATHS, build_case
from tests.storage.conftest import InspectableStore
from tests.storage.pgdb import fresh_pg_database

T0 = pendulum.datetime(2026, 11, 2, 9, tz="UTC")
SELLER = Actor.staff("cs-1")


def opened(hours: float) -> _dt.datetime:
    return T0 + _dt.timedelta(hours=hours)


def some_cases() -> list[AfterSalesCase]:
    """Cases of O-1 opened out of id order (two at the same instant) and one of O-2."""
    return [
        build_case("AS-3", "O-1", opened(0), "open"),
        build_case("AS-1", "O-1", opened(2), "refund"),
        build_case("AS-2", "O-2", opened(1), "withdraw"),
        build_case("AS-0", "O-1", opened(2), "dispute_buyer"),
    ]


def ids(cases: list[AfterSalesCase]) -> list[str]:
    return [c.id for c in cases]


def test_an_orders_cases_come_in_opening_order(store: InspectableStore) -> None:
    """Only the order's cases, oldest opened first, ties by id; the ones added in this unit of
    work are seen before the commit, the ones loaded already are the same objects."""
    with store.unit_of_work() as uow:
        for case in some_cases():
            uow.cases.add(case)
        assert ids(uow.cases.for_order("O-1")) == ["AS-3", "AS-0", "AS-1"]
        uow.commit()
    with store.unit_of_work() as uow:
        loaded = uow.cases.get("AS-1")
        found = uow.cases.for_order("O-1")
        assert ids(found) == ["AS-3", "AS-0", "AS-1"]
        assert found[2] is loaded
        assert ids(uow.cases.for_order("O-2", lock=True)) == ["AS-2"]
        assert uow.cases.for_order("O-404") == []
        assert all(c.order_id == "O-1" for c in found)


def test_a_rolled_back_case_is_not_an_orders_case(store: InspectableStore) -> None:
    with store.unit_of_work() as uow:
        uow.cases.add(build_case("AS-9", "O-9", opened(0), "open"))
    with store.unit_of_work() as uow:
        assert uow.cases.for_order("O-9") == []


@pytest.mark.parametrize(
    ("order_id", "lock", "message"),
    [(7, False, "aggregate id is a str"), ("O-1", "yes", "lock must be True or False")],
)
def test_for_order_checks_its_arguments(order_id: Any, lock: Any, message: str) -> None:
    with MemoryStore().unit_of_work() as uow, pytest.raises(ValidationError, match=message):
        uow.cases.for_order(order_id, lock=lock)


def facts_rows(store: SqlStore) -> dict[str, dict[str, Any]]:
    with store.engine.connect() as connection:
        rows = connection.execute(sa.select(CASE_FACTS)).mappings().all()
    return {row["case_id"]: dict(row) for row in rows}


@pytest.mark.parametrize("store_kind", ["sqlite", "postgresql"])
def test_the_facts_row_follows_every_save(store: InspectableStore) -> None:
    """Added, then saved after a refund: the facts row is the case's facts each time, written
    in the case's transaction (a rolled-back save leaves the row as it was)."""
    assert isinstance(store, SqlStore)
    case = build_case("AS-1", "O-1", opened(0), "open")
    with store.unit_of_work() as uow:
        uow.cases.add(case)
        uow.commit()
    assert facts_rows(store)["AS-1"] == case_facts(case).values()
    with store.unit_of_work() as uow:
        stored = uow.cases.get("AS-1")
        stored.approve(expected_version=0, actor=SELLER)
        uow.cases.save(stored)
    assert facts_rows(store)["AS-1"]["status"] == "REQUESTED"  # rolled back
    with store.unit_of_work() as uow:
        stored = uow.cases.get("AS-1")
        stored.approve(expected_version=0, actor=SELLER)
        stored.refund(actor=SELLER)
        uow.cases.save(stored)
        uow.commit()
    row = facts_rows(store)["AS-1"]
    assert row == case_facts(stored).values()
    assert (row["status"], row["refunded"], row["resolved_at"]) == (
        "REFUNDED",
        True,
        stored.history[-1].at,
    )


def test_in_memory_the_later_of_two_locks_of_an_order_conflicts() -> None:
    """Two units of work lock order O-1 and each adds a case: the first commit wins, the second
    raises ConcurrencyConflict and stores nothing; a unit of work that did not lock is not
    concerned."""
    store = MemoryStore()
    first, second, other = store.unit_of_work(), store.unit_of_work(), store.unit_of_work()
    with first, second, other:
        assert first.cases.for_order("O-1", lock=True) == []
        assert second.cases.for_order("O-1", lock=True) == []
        first.cases.add(build_case("AS-1", "O-1", opened(0), "open"))
        second.cases.add(build_case("AS-2", "O-1", opened(1), "open"))
        other.cases.add(build_case("AS-3", "O-2", opened(1), "open"))
        first.commit()
        with pytest.raises(ConcurrencyConflict, match="order 'O-1'"):
            second.commit()
        other.commit()
    with store.unit_of_work() as uow:
        assert ids(uow.cases.for_order("O-1", lock=True)) == ["AS-1"]
        uow.commit()  # locking again after the others committed: no conflict


# --- migration 0004 fills the facts of the cases already stored --------------------------------


def all_paths() -> list[AfterSalesCase]:
    cases = [build_case(f"AS-{i}", f"O-{i % 3}", opened(i), path) for i, path in enumerate(PATHS)]
    # a case closed after a refund: resolved when it closed
    closed = build_case("AS-C", "O-1", opened(30), "refund")
    closed.close(actor=SELLER)
    return [*cases, closed]


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_upgrading_to_0004_fills_the_facts_of_the_stored_cases(kind: str, tmp_path: Any) -> None:
    cases = all_paths()
    if kind == "sqlite":
        check_backfill(f"sqlite:///{tmp_path / 'shop.db'}", cases)
    else:
        with fresh_pg_database() as url:
            check_backfill(url, cases)


def check_backfill(url: str, cases: list[AfterSalesCase]) -> None:
    assert upgrade(url, "0003") == "0003"
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        documents = sa.table(
            "ecs_aggregates",
            sa.column("type"),
            sa.column("id"),
            sa.column("version"),
            sa.column("schema_version"),
            sa.column("document", sa.JSON()),
            sa.column("updated_at", sa.DateTime(timezone=True)),
        )
        with engine.begin() as connection:
            for case in cases:
                document = dump_case(case)
                connection.execute(
                    documents.insert().values(
                        type="aftersales_case",
                        id=case.id,
                        version=case.version,
                        schema_version=document["schema_version"],
                        document=document,
                        updated_at=T0,
                    )
                )
    finally:
        engine.dispose()
    assert upgrade(url, "0004") == "0004"
    store = SqlStore(url)
    try:
        assert facts_rows(store) == {c.id: case_facts(c).values() for c in cases}
        upgrade(url)  # a store works on a database at this version's revision
        with store.unit_of_work() as uow:
            expected = sorted((c for c in cases if c.order_id == "O-1"), key=lambda c: c.opened_at)
            assert ids(uow.cases.for_order("O-1")) == ids(expected)
    finally:
        store.dispose()
