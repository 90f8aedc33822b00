"""``due()`` loads each due aggregate under its row's id: a row holding another aggregate's
document, a JSON value that is no document, or text that is not JSON is a DocumentError naming
the row, on every store; ties of ``next_due_at`` are taken in code point order of the ids, also
on a PostgreSQL database whose collation orders them otherwise."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import attrs
import pytest
import sqlalchemy as sa

from ecservice.clock import FixedClock
from ecservice.orders import Order
from ecservice.storage import DocumentError, MemoryStore, Store, default_timers, order_next_due
from ecservice.storage.sql import SqlStore
from tests.storage.aggregates import STAFF, an_order
from tests.storage.conftest import POLICY, START, empty_pg
from tests.storage.pgdb import fresh_pg_database, skip_or_fail

TIMERS = {**default_timers(), "order": order_next_due(POLICY)}
LATER = START.add(days=POLICY.days + 1)


def in_transit(id: str, clock: FixedClock) -> Order[Any]:
    """An order ``id`` confirmed and shipped now, its events pulled."""
    order = attrs.evolve(an_order(clock), id=id)
    order.confirm(actor=STAFF)
    order.ship(carrier="SF", tracking_no=f"SF-{id}", actor=STAFF)
    order.pull_events()
    return order


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Any, clock: FixedClock) -> Iterator[Store]:
    """An empty store of each kind, its orders timed by :data:`POLICY`."""
    if request.param == "memory":
        yield MemoryStore(clock=clock, timers=TIMERS)
        return
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'shop.db'}"
    else:
        url = request.getfixturevalue("pg_url")
        empty_pg(url)
    sql = SqlStore(url, clock=clock, timers=TIMERS)
    sql.create_schema()
    yield sql
    sql.dispose()


def add_in_transit(store: Store, clock: FixedClock, *ids: str) -> None:
    with store.unit_of_work() as uow:
        for id in ids:
            uow.orders.add(in_transit(id, clock))
        uow.commit()


def stored_text(store: Store, id: str) -> str:
    """The JSON text stored for order ``id``."""
    if isinstance(store, MemoryStore):
        return store._rows["order", id].document
    with store.engine.connect() as connection:
        found = connection.execute(
            sa.text("SELECT document FROM ecs_aggregates WHERE type = 'order' AND id = :id"),
            {"id": id},
        ).scalar_one()
    return found if isinstance(found, str) else json.dumps(found)


def overwrite(store: Store, id: str, text: str) -> None:
    """Store ``text`` as the document of order ``id``, behind the library's back."""
    if isinstance(store, MemoryStore):
        key = ("order", id)
        store._rows[key] = attrs.evolve(store._rows[key], document=text)
        return
    assert isinstance(store, SqlStore)
    cast = "CAST(:d AS JSONB)" if store.engine.dialect.name == "postgresql" else ":d"
    with store.engine.begin() as connection:
        connection.execute(
            sa.text(
                f"UPDATE ecs_aggregates SET document = {cast} WHERE type = 'order' AND id = :id"
            ),
            {"d": text, "id": id},
        )


def test_a_row_holding_another_orders_document_is_named(store: Store, clock: FixedClock) -> None:
    add_in_transit(store, clock, "O-0", "O-1", "O-2")
    overwrite(store, "O-1", stored_text(store, "O-2"))
    with store.unit_of_work() as uow:
        assert uow.orders.due_ids(LATER) == ["O-0", "O-1", "O-2"]
        with pytest.raises(DocumentError, match=r"'O-1'.*'O-2'"):
            uow.orders.due(LATER)
    with store.unit_of_work() as uow:  # the others still load, each under its own id
        assert [o.id for o in uow.orders.due(LATER, limit=1)] == ["O-0"]


@pytest.mark.parametrize("text", ["null", "[1, 2]", "5", '"O-1"', "{}"])
def test_a_json_value_that_is_no_document_is_named(
    store: Store, clock: FixedClock, text: str
) -> None:
    add_in_transit(store, clock, "O-0", "O-1")
    overwrite(store, "O-1", text)
    with store.unit_of_work() as uow:
        with pytest.raises(DocumentError) as raised:
            uow.orders.due(LATER)
        assert "'O-1'" in str(raised.value)
        with pytest.raises(DocumentError, match="'O-1'"):
            uow.orders.get("O-1")


@pytest.mark.parametrize("text", ["not json", '{"type": "order"', "\ufeff{}"])
def test_text_that_is_not_json_is_named(tmp_path: Any, clock: FixedClock, text: str) -> None:
    store = SqlStore(f"sqlite:///{tmp_path / 'shop.db'}", clock=clock, timers=TIMERS)
    store.create_schema()
    add_in_transit(store, clock, "O-0", "O-1")
    overwrite(store, "O-1", text)
    with store.unit_of_work() as uow:
        assert uow.orders.due_ids(LATER) == ["O-0", "O-1"]
        with pytest.raises(DocumentError, match=r"(?s)order row 'O-1'.*cannot be decoded"):
            uow.orders.due(LATER)
        with pytest.raises(DocumentError, match=r"(?s)order row 'O-1'.*cannot be decoded"):
            uow.orders.get("O-1")
    store.dispose()


TIED = ["O-b", "O-B", "o-a", "O-10", "O-9", "O_1", "O-1", "O 2", "O-é", "订单-1"]


def test_ties_are_taken_in_code_point_order(store: Store, clock: FixedClock) -> None:
    add_in_transit(store, clock, *TIED)
    with store.unit_of_work() as uow:
        assert uow.orders.due_ids(LATER) == sorted(TIED)
        assert [o.id for o in uow.orders.due(LATER)] == sorted(TIED)
        assert uow.orders.due_ids(LATER, limit=3) == sorted(TIED)[:3]


def test_ties_in_code_point_order_under_an_icu_collation(clock: FixedClock) -> None:
    """A database whose default collation is ICU's en-US orders ``"O 2"``, ``"O_1"`` and
    ``"O-1"`` by other rules than code points; the claim order is the same as elsewhere."""
    with fresh_pg_database() as url:
        name = sa.make_url(url).database
        server = sa.make_url(url).set(database="postgres")
        admin = sa.create_engine(server, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        icu = f"{name}_icu"
        try:
            with admin.connect() as connection:
                try:
                    connection.exec_driver_sql(
                        f'CREATE DATABASE "{icu}" TEMPLATE template0 LOCALE_PROVIDER icu '
                        "ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'"
                    )
                except sa.exc.DBAPIError as exc:
                    skip_or_fail(f"this server makes no ICU database: {exc.orig}")
            store = SqlStore(
                sa.make_url(url).set(database=icu).render_as_string(hide_password=False),
                clock=clock,
                timers=TIMERS,
            )
            store.create_schema()
            with store.engine.connect() as connection:
                collated = connection.exec_driver_sql(
                    "SELECT id FROM (VALUES ('O 2'), ('O_1'), ('O-1')) AS t(id) ORDER BY id"
                ).scalars()
                assert list(collated) != sorted(["O 2", "O_1", "O-1"])  # the test means it
            add_in_transit(store, clock, *TIED)
            with store.unit_of_work() as uow:
                assert uow.orders.due_ids(LATER) == sorted(TIED)
                assert [o.id for o in uow.orders.due(LATER)] == sorted(TIED)
            store.dispose()
        finally:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{icu}" WITH (FORCE)')
            admin.dispose()
