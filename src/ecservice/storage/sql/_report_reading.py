"""One read-only transaction for a report's queries (internal)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from ecservice.storage._errors import DocumentError
from ecservice.storage.sql._engine import READ_ONLY_OPTION
from ecservice.storage.sql._retry import translated
from ecservice.storage.sql._store import SqlStore

__all__ = ["member", "reading"]


@contextmanager
def reading(store: SqlStore, doing: str) -> Iterator[sa.Connection]:
    """A connection in one read-only transaction (``REPEATABLE READ`` on PostgreSQL, a plain
    ``BEGIN`` on SQLite), so that a report's queries agree with each other; database errors
    are raised as the store's errors, saying what was being done."""
    engine = store.engine
    with translated(doing):
        connection = (
            engine.connect().execution_options(isolation_level="REPEATABLE READ")
            if engine.dialect.name == "postgresql"
            else engine.connect().execution_options(**{READ_ONLY_OPTION: True})
        )
        with connection, connection.begin():
            yield connection


def member(kind: Any, name: object, what: str) -> Any:
    """The member of the enum ``kind`` named ``name``, as a stored fact names it.

    Raises:
        DocumentError: no member of that name in this version.
    """
    try:
        return kind[name]
    except (KeyError, TypeError):
        raise DocumentError(
            what, [f"{name!r:.60} is not a {kind.__name__} of this version"]
        ) from None
