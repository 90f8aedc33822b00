"""A unit of work is used inside its ``with`` block, once; lookups refuse ids no aggregate can
have; a row whose version is not its document's is refused; a second store on the same SQLite
file in the same thread is refused at once, as a second unit of work of one store is."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pendulum
import pytest
import sqlalchemy as sa

from ecservice.clock import FixedClock
from ecservice.errors import NestedUnitOfWork, ValidationError
from ecservice.storage import DocumentError, MemoryStore, Store
from ecservice.storage.sql import SqlStore
from tests.storage.test_repository import new_order

CLOCK = FixedClock(pendulum.datetime(2026, 11, 11, tz="UTC"))


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "memory":
        yield MemoryStore(clock=CLOCK)
        return
    sql = SqlStore(f"sqlite:///{tmp_path / 'shop.db'}", clock=CLOCK)
    sql.create_schema()
    yield sql
    sql.dispose()


def test_a_commit_after_the_block_raises_and_nothing_was_kept(store: Store) -> None:
    with store.unit_of_work() as uow:
        uow.orders.add(new_order(CLOCK))
    with pytest.raises(ValidationError, match="has ended"):
        uow.commit()
    with pytest.raises(ValidationError, match="has ended"):
        uow.rollback()
    with pytest.raises(ValidationError, match="has ended"), uow:
        pass
    with store.unit_of_work() as check:
        assert check.orders.find("O-1") is None


def test_a_unit_of_work_is_used_in_its_block_and_entered_once(store: Store) -> None:
    loose = store.unit_of_work()
    with pytest.raises(ValidationError, match="with block"):
        loose.orders.find("O-1")
    with loose, pytest.raises(ValidationError, match="already in use"), loose:
        pass
    # Nothing was left open: the next unit of work runs at once.
    with store.unit_of_work() as uow:
        uow.orders.add(new_order(CLOCK))
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.orders.get("O-1").id == "O-1"


@pytest.mark.parametrize(
    "bad", ["\ud800", "O\x00-1", "x" * 1_000_000, " O-1", "", "O-1\n"], ids=repr
)
def test_lookups_refuse_ids_no_aggregate_can_have(store: Store, bad: str) -> None:
    with store.unit_of_work() as uow:
        with pytest.raises(ValidationError, match="an aggregate id") as info:
            uow.orders.find(bad)
        assert len(str(info.value)) < 300
        with pytest.raises(ValidationError, match="an aggregate id"):
            uow.orders.get(bad)
    if isinstance(store, SqlStore):
        with pytest.raises(ValidationError, match="an aggregate id"):
            store.stored_version("order", bad)
        with pytest.raises(ValidationError, match="an aggregate id"):
            store.next_due_at("order", bad)


def test_a_row_whose_version_is_not_its_documents_is_refused(tmp_path: Path) -> None:
    store = SqlStore(f"sqlite:///{tmp_path / 'shop.db'}", clock=CLOCK)
    store.create_schema()
    try:
        with store.unit_of_work() as uow:
            uow.orders.add(new_order(CLOCK))
            uow.commit()
        with store.engine.begin() as connection:
            connection.execute(sa.text("UPDATE ecs_aggregates SET version = 7 WHERE id = 'O-1'"))
        with store.unit_of_work() as uow, pytest.raises(DocumentError, match="row is at version 7"):
            uow.orders.get("O-1")
    finally:
        store.dispose()


def test_a_second_store_on_the_same_sqlite_file_is_refused_at_once(tmp_path: Path) -> None:
    """It could only wait for the first store's unit of work until the busy timeout."""
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    first = SqlStore(url, clock=CLOCK, busy_timeout=5.0)
    first.create_schema()
    # The same file by another spelling of its path.
    second = SqlStore(f"sqlite:///{tmp_path / '.' / 'shop.db'}", clock=CLOCK, busy_timeout=5.0)
    other_file = SqlStore(f"sqlite:///{tmp_path / 'other.db'}", clock=CLOCK)
    other_file.create_schema()
    try:
        with first.unit_of_work() as outer:
            outer.orders.add(new_order(CLOCK))
            started = time.monotonic()
            with second.unit_of_work() as inner, pytest.raises(NestedUnitOfWork):
                inner.orders.find("O-1")
            assert time.monotonic() - started < 1.0
            with other_file.unit_of_work() as elsewhere:  # another file: no conflict
                assert elsewhere.orders.find("O-1") is None
            outer.commit()
        with second.unit_of_work() as after:
            assert after.orders.get("O-1").id == "O-1"
    finally:
        first.dispose()
        second.dispose()
        other_file.dispose()


def test_a_store_refuses_a_database_at_another_revision_before_its_first_transaction(
    tmp_path: Path,
) -> None:
    from ecservice.storage.sql.migrations import MigrationError, upgrade

    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0005")
    store = SqlStore(url, clock=CLOCK)
    try:
        with (
            store.unit_of_work() as uow,
            pytest.raises(MigrationError, match="ecservice db upgrade"),
        ):
            uow.orders.find("O-1")
        upgrade(url)
        with store.unit_of_work() as uow:
            assert uow.orders.find("O-1") is None
    finally:
        store.dispose()
