"""Writing a document again after a change (``AggregateSerializer.dump_row`` with
``reuse_values``): the same document and text as a full write, whatever was reused."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecservice.clock import FixedClock
from ecservice.errors import EcServiceError
from ecservice.money import Money
from ecservice.orders import Order
from ecservice.storage import AggregateSerializer, DocumentError
from ecservice.storage._aggregate import MEMO_SIZE
from ecservice.storage._json_text import encode
from ecservice.workflow import Actor
from tests.storage.aggregates import an_order, orders
from tests.storage.conftest import START

STAFF = Actor.staff("kefu-01")


def _standard(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _check(serializer: AggregateSerializer[Any], order: Order[Any]) -> str:
    document, text = serializer.dump_row(order)
    full = serializer.dump(order)
    assert document == full
    assert text == _standard(full)
    assert json.loads(text) == full
    return text


@given(st.data())
@settings(max_examples=80, deadline=None)
def test_every_write_of_a_changing_order_is_the_full_write(data: st.DataObject) -> None:
    """After every step of a generated order's life (one serializer for all examples, so that
    ids repeat with other orders behind them), the rewritten document and text are exactly the
    full ones."""
    serializer = _SHARED
    data.draw(orders(on_step=lambda order: _check(serializer, order)))


_SHARED: AggregateSerializer[Any] = AggregateSerializer(Order, "order", reuse_values=True)


@given(st.data())
@settings(max_examples=40, deadline=None)
def test_an_order_loaded_from_a_remembered_text_and_changed_writes_in_full(
    data: st.DataObject,
) -> None:
    """An order built from the values of the text last written (so its field values and records
    are the very objects written), then changed: the write is still exactly the full one."""
    serializer: AggregateSerializer[Any] = AggregateSerializer(Order, "order", reuse_values=True)
    order = data.draw(orders(max_steps=8))
    document, text = serializer.dump_row(order)
    serializer.remember(order, text, document)
    loaded = serializer.load_text(text, clock=order.clock)
    assert _check(serializer, loaded) == text
    with contextlib.suppress(EcServiceError):  # the order may be in a state that refuses it
        loaded.cancel(reason="buyer asked", actor=STAFF)
    _check(serializer, loaded)


def test_a_field_that_cannot_be_written_raises_and_keeps_nothing() -> None:
    serializer: AggregateSerializer[Any] = AggregateSerializer(Order, "order", reuse_values=True)
    order = an_order(FixedClock(START))
    first = _check(serializer, order)
    object.__setattr__(order, "remarks", object())  # a value no converter writes
    with pytest.raises(DocumentError):
        serializer.dump_row(order)
    object.__setattr__(order, "remarks", "")
    assert _check(serializer, order) == first


def test_without_reuse_values_nothing_is_kept() -> None:
    serializer: AggregateSerializer[Any] = AggregateSerializer(Order, "order")
    order = an_order(FixedClock(START))
    document, text = serializer.dump_row(order)
    assert document == serializer.dump(order)
    assert text == _standard(document)


def test_the_pieces_of_at_most_memo_size_ids_are_kept() -> None:
    serializer: AggregateSerializer[Any] = AggregateSerializer(Order, "order", reuse_values=True)
    order = an_order(FixedClock(START))
    rewriter = serializer._rewriter
    assert rewriter is not None
    for n in range(MEMO_SIZE + 5):
        object.__setattr__(order, "id", f"O-{n}")
        _check(serializer, order)
    assert len(rewriter) == MEMO_SIZE


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
        max_leaves=20,
    )
)
def test_the_store_encoder_writes_what_json_dumps_writes(value: object) -> None:
    assert encode(value) == _standard(value)


def test_the_store_encoder_refuses_what_is_not_json() -> None:
    with pytest.raises(TypeError):
        encode({"amount": Money("1.00", "CNY")})
