"""Loads that reuse the values of a document's text written or read before
(``AggregateSerializer(reuse_values=True)``): the same aggregate as a full read, for the exact
same text only, through the constructor, on every store."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecservice.clock import FixedClock
from ecservice.errors import ValidationError
from ecservice.orders import Order
from ecservice.storage import ORDER_SERIALIZER, AggregateSerializer, DocumentError, MemoryStore
from ecservice.storage._aggregate import MEMO_SIZE
from ecservice.storage.sql import SqlStore
from ecservice.workflow import Actor
from tests.storage.aggregates import orders
from tests.storage.conftest import START, empty_pg
from tests.storage.test_repository import new_order

STAFF = Actor.staff("kefu-01")


def _state(order: Order[Any]) -> tuple[object, ...]:
    return (ORDER_SERIALIZER.dump(order), order.status, tuple(order.history), order.version)


def _text(order: Order[Any]) -> str:
    return json.dumps(ORDER_SERIALIZER.dump(order), ensure_ascii=False, separators=(",", ":"))


@given(orders())
@settings(max_examples=60, deadline=None)
def test_a_remembered_text_loads_the_same_order_as_a_full_read(order: Order[Any]) -> None:
    text = _text(order)
    fresh = AggregateSerializer(Order, "order")  # no memo: reads every text in full
    full = fresh.load_text(text, clock=order.clock)
    ORDER_SERIALIZER.remember(order, text, json.loads(text))
    reused = ORDER_SERIALIZER.load_text(text, clock=order.clock)
    again = ORDER_SERIALIZER.load(json.loads(text), clock=order.clock)
    assert reused is not order
    assert again is not order
    assert _state(reused) == _state(full) == _state(order) == _state(again)


def test_the_reused_values_are_not_shared_state() -> None:
    """Changing one order built from a remembered text changes neither the order it was
    remembered from nor another one built from the same text."""
    clock = FixedClock(START)
    order = new_order(clock, "MEMO-1")
    text = _text(order)
    ORDER_SERIALIZER.remember(order, text)
    first = ORDER_SERIALIZER.load_text(text, clock=clock)
    second = ORDER_SERIALIZER.load_text(text, clock=clock)
    first.cancel(reason="buyer asked", actor=STAFF)
    assert first.status.name == "CANCELLED"
    assert second.status is order.status
    assert len(second.history) == len(order.history)
    assert _state(second) == _state(order)


def test_a_changed_text_is_read_in_full() -> None:
    """A text differing from a remembered one by one character is read, not reused: here the
    changed text no longer names a valid state, and the read says so."""
    clock = FixedClock(START)
    order = new_order(clock, "MEMO-2")
    text = _text(order)
    ORDER_SERIALIZER.remember(order, text)
    broken = text.replace(f'"status":"{order.status.name}"', '"status":"NO_SUCH_STATE"', 1)
    assert broken != text
    with pytest.raises(DocumentError, match="NO_SUCH_STATE"):
        ORDER_SERIALIZER.load_text(broken, clock=clock)
    with pytest.raises(DocumentError, match="cannot be decoded"):
        ORDER_SERIALIZER.load_text(text[:-1], clock=clock)


def test_a_remembered_document_is_compared_not_trusted() -> None:
    """``load`` of a document whose id and version were remembered, but with other content
    (another process wrote that version after this one's transaction rolled back), is read in
    full."""
    clock = FixedClock(START)
    order = new_order(clock, "MEMO-3")
    document = ORDER_SERIALIZER.dump(order)
    ORDER_SERIALIZER.remember(order, _text(order), document)
    other = json.loads(json.dumps(document))
    other["body"]["buyer_id"] = "someone-else"
    loaded = ORDER_SERIALIZER.load(other, clock=clock)
    assert loaded.buyer_id == "someone-else"


def test_the_memo_is_bounded() -> None:
    clock = FixedClock(START)
    serializer = AggregateSerializer(Order, "order", reuse_values=True)
    order = new_order(clock, "MEMO-4")
    for n in range(MEMO_SIZE + 10):
        serializer.remember(order, f"{n}")
    assert len(serializer._memo or {}) == MEMO_SIZE


def test_reuse_values_must_be_a_bool() -> None:
    with pytest.raises(ValidationError, match="reuse_values must be a bool"):
        AggregateSerializer(Order, "order", reuse_values=1)  # type: ignore[arg-type]


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def store_of(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    clock = FixedClock(START)
    if request.param == "memory":
        yield MemoryStore(clock=clock), clock
        return
    if request.param == "sqlite":
        store = SqlStore(f"sqlite:///{tmp_path / 'memo.db'}", clock=clock)
        store.create_schema()
        yield store, clock
        store.dispose()
        return
    url = request.getfixturevalue("pg_url")
    store = SqlStore(url, clock=clock)
    store.create_schema()
    empty_pg(url)
    yield store, clock
    store.dispose()


def test_a_store_reads_back_what_it_wrote_and_what_another_wrote(store_of: Any) -> None:
    """Saves go through the memo; a document changed behind the store's back (another process,
    an edit) is read as stored."""
    store, clock = store_of
    with store.unit_of_work() as uow:
        order = new_order(clock, "MEMO-5")
        order.confirm(actor=STAFF)
        uow.orders.add(order)
        uow.commit()
    for _ in range(3):
        with store.unit_of_work() as uow:
            order = uow.orders.get("MEMO-5")
            order.mark_out_of_stock(order.lines[0].sku, actor=STAFF)
            uow.orders.save(order)
            uow.commit()
        with store.unit_of_work() as uow:
            order = uow.orders.get("MEMO-5")
            order.restock(actor=STAFF)
            uow.orders.save(order)
            uow.commit()
    with store.unit_of_work() as uow:
        loaded = uow.orders.get("MEMO-5")
    assert loaded.version == 7
    assert len(loaded.history) == 7
    # Another writer: same id and version, another buyer (a copy of the store's row, edited).
    document = ORDER_SERIALIZER.dump(loaded)
    document["body"]["buyer_id"] = "edited-elsewhere"
    _overwrite(store, document)
    with store.unit_of_work() as uow:
        assert uow.orders.get("MEMO-5").buyer_id == "edited-elsewhere"


def _overwrite(store: Any, document: Mapping[str, Any]) -> None:
    text = json.dumps(document, ensure_ascii=False)
    if isinstance(store, MemoryStore):
        key = ("order", document["id"])
        store._rows[key] = attrs.evolve(store._rows[key], document=text)
        return
    import sqlalchemy as sa

    from ecservice.storage.sql import AGGREGATES

    with store.engine.begin() as connection:
        connection.execute(
            sa.update(AGGREGATES)
            .where(AGGREGATES.c.type == "order", AGGREGATES.c.id == document["id"])
            .values(document=document)
        )


@given(st.integers(min_value=0, max_value=5))
@settings(max_examples=5, deadline=None)
def test_the_text_written_is_the_documents_json(n: int) -> None:
    """The stores write the repository's text: the JSON of the dumped document."""
    clock = FixedClock(START)
    store = MemoryStore(clock=clock)
    order = new_order(clock, f"MEMO-T{n}")
    with store.unit_of_work() as uow:
        uow.orders.add(order)
        uow.commit()
    stored = store._rows["order", f"MEMO-T{n}"].document
    assert json.loads(stored) == ORDER_SERIALIZER.dump(order)
