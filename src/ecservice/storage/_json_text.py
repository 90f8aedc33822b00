"""The store's JSON text: compact, non-ASCII kept, made by one encoder built once (internal)."""

from __future__ import annotations

import json
import json.encoder
from collections.abc import Callable
from typing import Any, Final

__all__ = ["encode"]


def _refuse(value: object) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _make() -> Callable[[Any], str]:
    """``json.dumps(value, ensure_ascii=False, separators=(",", ":"))``, the same text.

    ``JSONEncoder.encode`` builds the C encoder anew for every value that is not a string (a
    few microseconds, more than encoding a small object takes); this one is built once, without
    the check for circular references (the values written are trees built for the purpose).
    Without the C encoder (another Python implementation) the standard encoder is used.
    """
    standard = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    make_encoder: Any = getattr(json.encoder, "c_make_encoder", None)
    if make_encoder is None:  # pragma: no cover - CPython has the C encoder
        return standard
    quote = json.encoder.encode_basestring
    once = make_encoder(None, _refuse, quote, None, ":", ",", False, False, True)
    join = "".join

    def encode(value: Any) -> str:
        if type(value) is str:
            return quote(value)
        return join(once(value, 0))

    if encode({"a": [1, "é", None, True, {"b": "c"}]}) != standard(
        {"a": [1, "é", None, True, {"b": "c"}]}
    ):  # pragma: no cover - a C encoder that does not take these arguments
        return standard
    return encode


#: ``json.dumps(value, ensure_ascii=False, separators=(",", ":"))``.
encode: Final = _make()
