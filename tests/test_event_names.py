"""Every domain event class has a name of its own: the outbox stores an event's type as its class
name, and consumers dispatch on it, so two areas' events must never share one."""

from __future__ import annotations

import importlib
import pkgutil
from collections import defaultdict

import ecservice
from ecservice.workflow import DomainEvent


def _event_classes() -> dict[str, set[str]]:
    found: dict[str, set[str]] = defaultdict(set)
    for info in pkgutil.walk_packages(ecservice.__path__, "ecservice."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, DomainEvent)
                and value is not DomainEvent
                and value.__module__.startswith("ecservice")
            ):
                found[value.__name__].add(f"{value.__module__}.{value.__qualname__}")
    return found


def test_event_type_names_are_unique_across_areas() -> None:
    found = _event_classes()
    assert len(found) > 30
    shared = {name: sorted(where) for name, where in found.items() if len(where) > 1}
    assert not shared, f"event classes that share a name: {shared}"
