"""Helpers the service use cases share: change one stored aggregate, claim due timers.

Private to :mod:`ecservice.application`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from ecservice.errors import ValidationError
from ecservice.storage import Repository, UnitOfWork
from ecservice.workflow import Aggregate

__all__ = ["change_stored", "check_callable", "check_limit", "claim_due"]

A = TypeVar("A", bound="Aggregate[Any]")
R = TypeVar("R")


def check_callable(change: object, what: str) -> None:
    """Refuse a ``change`` that is not callable (:class:`~ecservice.errors.ValidationError`)."""
    if not callable(change):
        raise ValidationError(
            f"change must be a callable taking the {what}, not {type(change).__name__}"
        )


def check_limit(limit: object) -> int:
    """``limit`` when it is an ``int`` from 1 to 10,000, else
    :class:`~ecservice.errors.ValidationError`."""
    if type(limit) is not int or not 1 <= limit <= 10_000:
        raise ValidationError(f"limit must be an int from 1 to 10,000, not {limit!r:.40}")
    return limit


def change_stored(repository: Repository[A], id: str, change: Callable[[A], R]) -> R:
    """Load ``id``, apply ``change``, save it if its version moved; ``change``'s result."""
    aggregate = repository.get(id)
    version = aggregate.version
    result = change(aggregate)
    if aggregate.version != version:
        repository.save(aggregate)
    return result


def claim_due(
    run: Callable[[Callable[[UnitOfWork], list[str]]], list[str]],
    claim: Callable[[UnitOfWork], list[str]],
    fire: Callable[[str], bool],
    limit: int,
) -> int:
    """Claim due aggregates ``limit`` at a time (``claim`` in a unit of work of ``run``), call
    ``fire`` once on each (its own unit of work), until none is left; how many ``fire``
    reported changed."""
    handled: set[str] = set()
    total = 0
    while True:
        claimed = run(claim)
        fresh = [i for i in claimed if i not in handled]
        for aggregate_id in fresh:
            handled.add(aggregate_id)
            if fire(aggregate_id):
                total += 1
        if not fresh or len(claimed) < limit:
            return total
