"""Running a unit of work again after a transient failure or a conflict."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from pendulum import DateTime

from ecservice.clock import Clock, ensure_utc
from ecservice.errors import (
    ConcurrencyConflict,
    EcServiceError,
    TransientStorageError,
    ValidationError,
)
from ecservice.storage._repository import Store, UnitOfWork

__all__ = ["default_backoff", "run_in_transaction", "utc_now"]

R = TypeVar("R")


def default_backoff(attempt: int) -> float:
    """Seconds to wait before attempt ``attempt + 1``: 10 ms doubling per attempt, at most
    0.5 s, with random jitter (half to all of it) so that workers that collided spread out."""
    base: float = min(0.5, 0.01 * 2 ** (attempt - 1))
    return base * (0.5 + random.random() / 2)


def run_in_transaction(
    store: Store,
    work: Callable[[UnitOfWork], R],
    *,
    attempts: int = 5,
    retry_conflicts: bool = False,
    backoff: Callable[[int], float] = default_backoff,
    sleep: Callable[[float], None] = time.sleep,
) -> R:
    """Run ``work(uow)`` in a new unit of work and commit it; retry transient failures.

    A :class:`~ecservice.errors.TransientStorageError` (a PostgreSQL serialization failure or
    deadlock, a locked SQLite database) and, with ``retry_conflicts=True``, a
    :class:`~ecservice.errors.ConcurrencyConflict` roll back and run ``work`` again in a fresh
    unit of work, after sleeping ``backoff(attempt)`` seconds through ``sleep``, up to
    ``attempts`` times in all. ``work`` must therefore load what it changes through the unit of
    work it is given, and have no other side effects. Any other error is raised at once.

    >>> from ecservice.storage import MemoryStore
    >>> run_in_transaction(MemoryStore(), lambda uow: uow.orders.find("O-404"))

    Returns:
        What ``work`` returned.

    Raises:
        TransientStorageError: every attempt failed; chained (``__cause__``) to the last failure.
        ValidationError: ``attempts`` is not a whole number from 1 to 100, or ``work`` is not
            callable.
    """
    if not callable(work):
        raise ValidationError(
            f"work must be a callable taking the unit of work, not {type(work).__name__}"
        )
    if type(attempts) is not int or not 1 <= attempts <= 100:
        raise ValidationError(f"attempts must be a whole number from 1 to 100, not {attempts!r}")
    retryable: tuple[type[EcServiceError], ...] = (
        (TransientStorageError, ConcurrencyConflict)
        if retry_conflicts
        else (TransientStorageError,)
    )
    for attempt in range(1, attempts + 1):
        try:
            with store.unit_of_work() as uow:
                result = work(uow)
                uow.commit()
                return result
        except retryable as exc:
            if attempt == attempts:
                raise TransientStorageError(
                    f"gave up after {attempts} attempt{'s' if attempts > 1 else ''}: {exc}"
                ) from exc
        sleep(backoff(attempt))
    raise AssertionError("unreachable")  # pragma: no cover


def utc_now(clock: Clock) -> DateTime:
    """``clock.now()`` in UTC (internal)."""
    return ensure_utc(clock.now(), what="clock.now()")
