"""How every use case of the application layer runs: one unit of work, retried.

Private to :mod:`ecservice.application`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar, final

import attrs

from ecservice._shown import shown
from ecservice.clock import Clock
from ecservice.errors import ValidationError
from ecservice.storage import Store, UnitOfWork, run_in_transaction

__all__ = ["UseCaseRunner", "check_clock", "check_store"]

R = TypeVar("R")


def check_store(store: object, service: str) -> None:
    """Refuse a ``store`` without a callable ``unit_of_work`` (a
    :class:`~ecservice.storage.Store`: :class:`~ecservice.storage.MemoryStore`,
    :class:`~ecservice.storage.sql.SqlStore`) with :class:`~ecservice.errors.ValidationError`,
    before a use case fails on it."""
    if not callable(getattr(store, "unit_of_work", None)):
        raise ValidationError(
            f"{service} needs a store with a unit_of_work() method (a Store: MemoryStore, "
            f"SqlStore), not {shown(store)}"
        )


def check_clock(clock: object, service: str) -> None:
    """Refuse a ``clock`` that is not a :class:`~ecservice.clock.Clock` (an object with a
    ``now()`` method) with :class:`~ecservice.errors.ValidationError`."""
    if not isinstance(clock, Clock) or not callable(getattr(clock, "now", None)):
        raise ValidationError(
            f"{service} needs a Clock (an object with a now() method: SystemClock, FixedClock), "
            f"not {shown(clock)}"
        )


@final
@attrs.frozen
class UseCaseRunner:
    """Runs a use case's work in one unit of work of ``store`` through
    :func:`~ecservice.storage.run_in_transaction`, again on transient failures and on
    concurrency conflicts (the work is done again from the stored state), ``attempts`` times
    at most."""

    store: Store
    attempts: int
    backoff: Callable[[int], float]
    sleep: Callable[[float], None]

    def __attrs_post_init__(self) -> None:
        check_store(self.store, "a use case")
        attempts: object = self.attempts
        if type(attempts) is not int or not 1 <= attempts <= 100:
            raise ValidationError(f"attempts must be an int from 1 to 100, not {shown(attempts)}")
        for name in ("backoff", "sleep"):
            if not callable(getattr(self, name)):
                raise ValidationError(
                    f"{name} must be callable (seconds to wait, and how to wait), not "
                    f"{shown(getattr(self, name))}"
                )

    def batches(self, work: Callable[[UnitOfWork], tuple[int, int]], limit: int) -> int:
        """Run ``work`` (which handles a batch of at most ``limit`` due aggregates and answers
        ``(changed, seen)``) one transaction per batch, until a batch changes nothing or sees
        fewer than ``limit``; the number changed in all."""
        total = 0
        while True:
            changed, seen = self(work)
            total += changed
            if changed == 0 or seen < limit:
                return total

    def __call__(self, work: Callable[[UnitOfWork], R]) -> R:
        return run_in_transaction(
            self.store,
            work,
            attempts=self.attempts,
            retry_conflicts=True,
            backoff=self.backoff,
            sleep=self.sleep,
        )
