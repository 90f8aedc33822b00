"""Targets of worker processes for tests/test_demo_workers.py, in a module that imports little
(each worker process imports it)."""

from __future__ import annotations

import os
from typing import Any

from ecservice._demo_workers import Outcome, failed
from ecservice.errors import ValidationError

__all__ = ["dies", "one_fails"]


def one_fails(
    _label: str,
    worker: int,
    barrier: Any,
    _days_done: Any,
    results: Any,
) -> None:
    """A worker target: worker 1 fails with a library error, the others wait for it at the
    barrier (which it breaks)."""
    try:
        if worker == 1:
            raise ValidationError("tracking events must arrive in order,\nnot after 12:00")
        barrier.wait(60)
    except BaseException as exc:
        barrier.abort()
        results.put(failed(worker, exc))
    else:
        results.put(Outcome(worker, 1))


def dies(_label: str, worker: int, barrier: Any, _days_done: Any, _results: Any) -> None:
    """A worker target: worker 0 ends without reporting; the others wait for it at the
    barrier until the parent stops them."""
    if worker == 0:
        os._exit(7)
    barrier.wait(60)
