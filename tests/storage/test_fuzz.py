"""Damaged and hostile documents only ever raise the library's errors.

Documents of real aggregates are mutated by hypothesis: a key or item dropped, a value replaced
by a hostile one (:func:`tests.strategies.hostile_values`: wrong types, huge numbers and texts,
NaN, control characters, naive datetimes...) or by a value of another JSON type, a key added, an
item duplicated. Loading the result either succeeds (the mutation kept it valid: the object is
then written back as a valid document) or raises an :class:`~ecservice.errors.EcServiceError`
whose message stays short; never a ``KeyError``, ``TypeError`` or a cattrs exception.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecservice.errors import EcServiceError
from ecservice.storage import default_registry, dump_cart, dump_order, dump_payment
from tests.storage.aggregates import carts, orders, payments
from tests.strategies import hostile_values

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))

Path = tuple[str | int, ...]


def paths(value: object, here: Path = ()) -> list[Path]:
    """Every place in a JSON document: the keys of objects and the indexes of arrays."""
    found: list[Path] = [here]
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, (*here, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths(item, (*here, index))
    return found


def at(document: Any, path: Path) -> Any:
    for step in path:
        document = document[step]
    return document


def retyped(value: object) -> list[object]:
    """Values of other JSON types than ``value`` (and a float look-alike)."""
    options: list[object] = [None, 1, 1.5, "1", True, [], {}, [value], {"value": value}]
    if isinstance(value, str):
        # (surrogatepass: a drawn text may hold a lone surrogate, which no document keeps)
        options += [
            value.encode("utf-8", "surrogatepass"),
            value.upper(),
            f" {value} ",
            value + "\u202e",
        ]
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() < 53:
        options += [float(value), str(value), -value, value + 1]
    return [o for o in options if type(o) is not type(value)]


@st.composite
def mutated(draw: st.DrawFn, documents: st.SearchStrategy[dict[str, Any]]) -> dict[str, Any]:
    """A document with one to three mutations."""
    document = copy.deepcopy(draw(documents))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(paths(document)))
        kind = draw(st.sampled_from(["drop", "hostile", "retype", "extra", "duplicate"]))
        if not path:
            if kind == "hostile":
                return {"value": draw(hostile_values())}
            continue
        parent, last = at(document, path[:-1]), path[-1]
        if kind == "drop":
            del parent[last]
        elif kind == "hostile":
            parent[last] = draw(hostile_values())
        elif kind == "retype":
            parent[last] = draw(st.sampled_from(retyped(parent[last])))
        elif kind == "extra" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["extra", "", "status", "body"]))] = draw(hostile_values())
        elif kind == "duplicate" and isinstance(parent, list):
            parent.insert(int(last), copy.deepcopy(parent[int(last)]))
    return document


def any_documents() -> st.SearchStrategy[dict[str, Any]]:
    dumps: list[st.SearchStrategy[dict[str, Any]]] = [
        orders(max_steps=12).map(_json(dump_order)),
        carts(max_steps=8).map(_json(dump_cart)),
        payments(max_steps=6).map(_json(dump_payment)),
    ]
    return st.one_of(dumps)


def _json(dump: Callable[[Any], Any]) -> Callable[[Any], dict[str, Any]]:
    return lambda aggregate: json.loads(json.dumps(dump(aggregate)))


def load_or_error(document: object) -> Any:
    """The loaded object, or the library error loading raised (anything else propagates)."""
    try:
        return default_registry().load(document)
    except EcServiceError as exc:
        return exc


@FUZZ
@given(document=mutated(any_documents()))
def test_a_mutated_document_loads_or_raises_a_library_error(document: dict[str, Any]) -> None:
    """Whatever the damage, loading raises only EcServiceError, with a bounded message; what
    loads is written back as a valid document."""
    loaded = load_or_error(document)
    if isinstance(loaded, EcServiceError):
        assert len(str(loaded)) < 6000
    else:
        registry = default_registry()
        assert registry.load(registry.dump(loaded)) == loaded


@FUZZ
@given(document=any_documents(), value=hostile_values())
def test_a_hostile_value_anywhere_raises_a_library_error(
    document: dict[str, Any], value: object
) -> None:
    """Each place of a document, given a hostile value, loads or raises a library error."""
    for path in paths(document)[1:]:
        damaged = copy.deepcopy(document)
        at(damaged, path[:-1])[path[-1]] = value
        outcome = load_or_error(damaged)
        if isinstance(outcome, EcServiceError):
            assert len(str(outcome)) < 6000
