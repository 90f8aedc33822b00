"""The converter's and the serializer's quick paths give the answers of the detailed ones: a
value read or written at once is what the item-by-item reading gives, and a refused value is
still reported with its place."""

from __future__ import annotations

import attrs
import pytest
from cattrs.errors import ClassValidationError, IterableValidationError, IterableValidationNote

from ecservice.money import Money
from ecservice.orders import OrderLine
from ecservice.storage import make_converter
from ecservice.storage._json_data import is_json as _is_json
from ecservice.storage._json_data import not_json as _not_json


@attrs.frozen
class Node:
    """A class that contains itself (its writer is made while its own hook is being made)."""

    name: str
    children: tuple[Node, ...] = ()


def test_a_class_that_contains_itself_round_trips() -> None:
    """Writing a tuple of the class being made falls back to finding the hook per item."""
    converter = make_converter()
    tree = Node("a", (Node("b"), Node("c", (Node("d"),))))
    data = converter.unstructure(tree)
    assert data == {
        "name": "a",
        "children": [
            {"name": "b", "children": []},
            {"name": "c", "children": [{"name": "d", "children": []}]},
        ],
    }
    assert converter.structure(data, Node) == tree


class Leaf(str):
    """A leaf value whose reads are counted."""


@attrs.frozen
class Chain:
    """Objects nested in arrays of themselves."""

    leaf: Leaf
    below: tuple[Chain, ...] = ()


def test_a_deep_refused_value_is_read_again_once_per_level() -> None:
    """A bad leaf at depth 30 of a class that contains itself is reported with its place after
    reading each level again once (about depth squared reads): were the quick reading tried
    again inside the detailed one, every level would multiply the reads (tens of millions at
    depth 12)."""
    reads = 0

    def read_leaf(value: object, _: object) -> Leaf:
        nonlocal reads
        reads += 1
        if type(value) is not str:
            raise ValueError("a leaf must be a string")
        return Leaf(value)

    converter = make_converter()
    converter.register_structure_hook(Leaf, read_leaf)
    data: dict[str, object] = {"leaf": 1, "below": []}
    for _ in range(30):
        data = {"leaf": "ok", "below": [data]}
    with pytest.raises(ClassValidationError) as caught:
        converter.structure(data, Chain)
    assert reads < 2 * 31 * 31
    error: BaseException = caught.value
    depth = 0
    while isinstance(error, ClassValidationError | IterableValidationError):
        error = error.exceptions[0]
        depth += 1
    assert str(error) == "a leaf must be a string"
    assert depth == 61  # 31 objects and the 30 arrays between them


def test_a_hook_registered_after_writing_is_used_for_tuples() -> None:
    """The tuple writer finds its item hook once, but a hook registered later still wins (the
    converter makes the writer again)."""
    converter = make_converter()
    prices = (Money("1.00", "CNY"), Money("2.50", "CNY"))
    assert converter.unstructure(prices, unstructure_as=tuple[Money, ...]) == [
        {"amount": "1.00", "currency": "CNY"},
        {"amount": "2.50", "currency": "CNY"},
    ]
    converter.register_unstructure_hook(Money, lambda m: f"{m.amount} {m.currency.code}")
    assert converter.unstructure(prices, unstructure_as=tuple[Money, ...]) == [
        "1.00 CNY",
        "2.50 CNY",
    ]


def _line(quantity: object) -> dict[str, object]:
    return {
        "sku": "TEA-250",
        "name": "tea",
        "unit_price": {"amount": "88.00", "currency": "CNY"},
        "quantity": quantity,
        "weight_kg": "0",
    }


def test_a_refused_item_is_reported_with_its_index_and_field() -> None:
    """Reading an array stops at the first problem quickly, then reads again to say where each
    problem is: every bad item, by index, with the field and the reason."""
    converter = make_converter()
    good = _line(2)
    assert converter.structure([good, good], tuple[OrderLine, ...])[1].quantity == 2
    with pytest.raises(IterableValidationError) as caught:
        converter.structure([good, _line(2.0), _line("x")], tuple[OrderLine, ...])
    items = caught.value.exceptions
    notes = [note for exc in items for note in exc.__notes__]
    assert [note.index for note in notes if isinstance(note, IterableValidationNote)] == [1, 2]
    reasons = [
        str(inner)
        for exc in items
        if isinstance(exc, ClassValidationError)
        for inner in exc.exceptions
    ]
    assert reasons == [
        "must be an integer, not a float 2.0",
        "must be an integer, not a string 'x'",
    ]


def test_an_object_with_an_extra_key_is_refused_on_both_paths() -> None:
    """The quick reading refuses extra keys as the detailed one does."""
    converter = make_converter()
    with pytest.raises(ClassValidationError):
        converter.structure({**_line(1), "colour": "green"}, OrderLine)


@pytest.mark.parametrize(
    ("value", "where"),
    [
        ({"a": [1, "x", None, True, {"b": frozenset()}]}, "body.a[4].b: a frozenset"),
        ([{"k": 1}, {2: "v"}], "body[1]: a key of type int"),
        ({"a": {"b": [1.5]}}, "body.a.b[0]: a float"),
    ],
)
def test_a_value_that_is_not_json_is_found_with_its_place(value: object, where: str) -> None:
    """The quick check says no exactly when the detailed one names a place."""
    assert not _is_json(value)
    found = _not_json(value, "body")
    assert found is not None
    assert found.startswith(where)


def test_json_data_passes_both_checks() -> None:
    value = {"a": [1, "x", None, True, {"b": []}], "c": {}}
    assert _is_json(value)
    assert _not_json(value, "body") is None
