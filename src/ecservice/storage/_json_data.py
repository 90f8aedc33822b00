"""Whether a value is JSON data, and where it is not (internal)."""

from __future__ import annotations

from typing import Any, Final, cast

__all__ = ["JSON_SCALARS", "is_json", "not_json", "where_not_json"]

#: The types of JSON's scalars as ``json.loads`` makes them.
JSON_SCALARS: Final = frozenset({str, int, bool, type(None)})


def is_json(value: object) -> bool:
    """Whether ``value`` is JSON data (str, int, bool, None, lists and str-keyed dicts of those):
    :func:`not_json`'s answer without building the place of every item on the way."""
    kind = type(value)
    if kind in JSON_SCALARS:
        return True
    if kind is list:
        for item in cast("list[Any]", value):
            if type(item) not in JSON_SCALARS and not is_json(item):
                return False
        return True
    if kind is dict:
        for key, item in cast("dict[Any, Any]", value).items():
            if type(key) is not str or (type(item) not in JSON_SCALARS and not is_json(item)):
                return False
        return True
    return False


def not_json(value: object, where: str) -> str | None:
    """Where ``value`` holds something other than JSON data (str, int, bool, None, lists and
    str-keyed dicts of those), or ``None``."""
    if is_json(value):
        return None
    return where_not_json(value, where)


def where_not_json(value: object, where: str) -> str | None:
    kind = type(value)
    if kind in JSON_SCALARS:
        return None
    if kind is list:
        for i, item in enumerate(cast("list[Any]", value)):
            if type(item) not in JSON_SCALARS:
                found = where_not_json(item, f"{where}[{i}]")
                if found is not None:
                    return found
        return None
    if kind is dict:
        for key, item in cast("dict[Any, Any]", value).items():
            if type(key) is not str:
                return f"{where}: a key of type {type(key).__name__}, not a string"
            if type(item) not in JSON_SCALARS:
                found = where_not_json(item, f"{where}.{key}")
                if found is not None:
                    return found
        return None
    return f"{where}: a {kind.__name__} is not JSON data (str, int, bool, null, array, object)"
