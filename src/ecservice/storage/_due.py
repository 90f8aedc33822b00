"""The ids of the aggregates whose timer is due, read without loading the aggregates.

A timer job claims the ids first and then handles each aggregate in a unit of work of its own,
so that one document that cannot be loaded is reported and skipped instead of failing the
claim of every other aggregate due with it (:meth:`Repository.due
<ecservice.storage.Repository.due>` loads every aggregate it returns, and raises on the first
it cannot load).

Private to :mod:`ecservice.storage`; the application layer's timer jobs use it.
"""

from __future__ import annotations

import datetime as _dt
import json
from typing import Any

from ecservice.clock import ensure_utc
from ecservice.errors import ValidationError
from ecservice.storage._repository import MAX_DUE_LIMIT, Repository, TrackedRepository

__all__ = ["due_ids"]


def due_ids(repository: Repository[Any], now: _dt.datetime, limit: int) -> list[str]:
    """The ids of up to ``limit`` aggregates of ``repository`` whose timer is due at ``now``,
    the longest overdue first, as :meth:`Repository.due <ecservice.storage.Repository.due>`
    finds them (and locks them, on PostgreSQL), without building the aggregates.

    A row whose document names no id (no text ``"id"``) is left out: nothing could load it by
    its id; it stays due (and :meth:`Repository.due <ecservice.storage.Repository.due>` raises
    :class:`~ecservice.storage.DocumentError` on it). A repository
    of another kind than the stores' (a user's own :class:`~ecservice.storage.Repository`) is
    asked for its due aggregates and their ids are taken.

    Raises:
        ValidationError: ``now`` is naive, or ``limit`` is not an int from 1 to 10,000.
        DocumentError: a due row cannot even be decoded as JSON (on SQLite).
    """
    instant = ensure_utc(now, what="now")
    if type(limit) is not int or not 1 <= limit <= MAX_DUE_LIMIT:
        raise ValidationError(
            f"limit must be a whole number from 1 to {MAX_DUE_LIMIT}, not {limit!r:.40}"
        )
    if not isinstance(repository, TrackedRepository):
        return [aggregate.id for aggregate in repository.due(instant, limit)]
    rows = repository._uow._tx().due(repository._type, instant, limit)
    ids: list[str] = []
    for _, document in rows:
        found = _document_id(document)
        if found is not None:
            ids.append(found)
    return ids


def _document_id(document: object) -> str | None:
    """The ``"id"`` of a stored document (or of its JSON text), or ``None``."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except (ValueError, RecursionError):
            return None
    if isinstance(document, dict):
        found = document.get("id")
        if type(found) is str:
            return found
    return None
