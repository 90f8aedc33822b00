"""Helpers the service use cases share: change one stored aggregate, claim due timers.

Private to :mod:`ecservice.application`.
"""

from __future__ import annotations

import datetime as _dt
import logging
from collections.abc import Callable
from typing import Any, Final, TypeVar

from ecservice._shown import shown
from ecservice.errors import ValidationError
from ecservice.storage import DocumentError, Repository, UnitOfWork
from ecservice.storage._protocols import MAX_DUE_LIMIT
from ecservice.storage._protocols import check_due_limit as check_limit
from ecservice.workflow import Aggregate

__all__ = ["LOGGER", "change_stored", "check_callable", "check_limit", "claim_due", "run_due"]

#: Where the application layer logs what it skipped (an unreadable due document, at ERROR).
LOGGER: Final = logging.getLogger("ecservice.application")

A = TypeVar("A", bound="Aggregate[Any]")
R = TypeVar("R")


def check_callable(change: object, what: str) -> None:
    """Refuse a ``change`` that is not callable (:class:`~ecservice.errors.ValidationError`)."""
    if not callable(change):
        raise ValidationError(
            f"change must be a callable taking the {what}, not {type(change).__name__}"
        )


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
    repository: Callable[[UnitOfWork], Repository[Any]],
    now: _dt.datetime,
    fire: Callable[[str], bool],
    limit: int,
    what: str,
) -> int:
    """:func:`run_due` of ``fire``; how many ``fire`` reported changed."""
    return sum(1 for _, changed in run_due(run, repository, now, fire, limit, what) if changed)


def run_due(
    run: Callable[[Callable[[UnitOfWork], list[str]]], list[str]],
    repository: Callable[[UnitOfWork], Repository[Any]],
    now: _dt.datetime,
    fire: Callable[[str], R],
    limit: int,
    what: str,
) -> list[tuple[str, R]]:
    """Claim the ids of the aggregates due at ``now`` in ``repository(uow)``, ``limit`` at a
    time (in a unit of work of ``run``, without loading them), and call ``fire`` once on each
    (it runs its own unit of work), until no new id is claimed; each id with ``fire``'s result.
    ``what`` names the aggregates in messages (``"order"``).

    An aggregate whose documents cannot be read (``fire`` raises
    :class:`~ecservice.storage.DocumentError`) does not stop the others: it is logged at ERROR
    on the ``"ecservice.application"`` logger with its id and the error, and once every other
    due aggregate was handled a :class:`~ecservice.storage.DocumentError` listing the
    unreadable ones is raised (chained from the first one's error); what the others did is
    committed. It stays due, so every later run reports it again until the document is
    repaired or removed.
    """
    handled: set[str] = set()
    results: list[tuple[str, R]] = []
    unreadable: list[tuple[str, DocumentError]] = []

    def claim(uow: UnitOfWork) -> list[str]:
        # Those handled that are still due (unreadable, or due by another policy) come first
        # again: claim past them, so that they never hide the rest.
        return repository(uow).due_ids(now, wanted)

    while True:
        wanted = min(limit + len(handled), MAX_DUE_LIMIT)
        claimed = run(claim)
        fresh = [i for i in claimed if i not in handled]
        for aggregate_id in fresh:
            handled.add(aggregate_id)
            try:
                results.append((aggregate_id, fire(aggregate_id)))
            except DocumentError as exc:
                LOGGER.error(
                    "the due %s %s was skipped: a document it needs cannot be read: %s",
                    what,
                    shown(aggregate_id, 80),
                    exc,
                )
                unreadable.append((aggregate_id, exc))
        if not fresh or len(claimed) < wanted:
            break
    if unreadable:
        raise _unreadable(unreadable, len(handled), what) from unreadable[0][1]
    return results


def _unreadable(unreadable: list[tuple[str, DocumentError]], seen: int, what: str) -> DocumentError:
    """The error that reports the due aggregates that could not be read, after the others."""
    count = len(unreadable)
    others = seen - count
    handled = f"the other {others} were handled" if others else "no other was due"
    subject = (
        f"what the timer job read of {count} of the {seen} due {what}s ({handled}; repair or "
        "remove the documents named)"
    )
    problems = [
        f"{shown(aggregate_id, 80)}: {exc.subject}: {'; '.join(exc.problems)}"
        for aggregate_id, exc in unreadable
    ]
    return DocumentError(subject, problems)
