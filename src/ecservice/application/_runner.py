"""How every use case of the application layer runs: one unit of work, retried.

Private to :mod:`ecservice.application`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar, final

import attrs

from ecservice.storage import Store, UnitOfWork, run_in_transaction

__all__ = ["UseCaseRunner"]

R = TypeVar("R")


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

    def __call__(self, work: Callable[[UnitOfWork], R]) -> R:
        return run_in_transaction(
            self.store,
            work,
            attempts=self.attempts,
            retry_conflicts=True,
            backoff=self.backoff,
            sleep=self.sleep,
        )
