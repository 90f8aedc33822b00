"""The library's public callables, for tests that check every public signature: the classes,
their public methods (class and static methods included) and the functions that the ``__all__``
of ``ecservice`` and of each public module (no part of its name starting with ``_``) lists,
each once, by the first public path that lists it."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterator

import ecservice

__all__ = ["PUBLIC_MODULES", "public_callables"]

PUBLIC_MODULES = [
    "ecservice",
    *sorted(
        m.name
        for m in pkgutil.walk_packages(ecservice.__path__, "ecservice.")
        if not any(part.startswith("_") for part in m.name.split("."))
    ),
]


def public_callables() -> Iterator[tuple[str, Callable[..., object]]]:
    """``(public path, object)`` for each public class, public method and function."""
    seen: set[int] = set()
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if id(obj) in seen or not getattr(obj, "__module__", "").startswith("ecservice"):
                continue
            seen.add(id(obj))
            if isinstance(obj, type):
                yield f"{module_name}.{name}", obj
                for attr, value in vars(obj).items():
                    raw = value.__func__ if isinstance(value, classmethod | staticmethod) else value
                    if not attr.startswith("_") and inspect.isfunction(raw):
                        yield f"{module_name}.{name}.{attr}", raw
            elif inspect.isfunction(obj):
                yield f"{module_name}.{name}", obj
