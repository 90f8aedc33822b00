"""How the SQL books write: what :class:`~ecservice.storage.sql.SqlGateway`'s ledger and
:class:`~ecservice.storage.sql.SqlMintBook` share.

Both keep amounts as whole numbers of the currency's minor units in ``BIGINT`` columns (at most
:data:`MAX_MINOR_UNITS`), record each request once with the dialect's ``INSERT ... ON CONFLICT
DO NOTHING`` (:func:`conflict_insert`: SQLite and PostgreSQL have it), and run each operation
as one transaction, run again a bounded number of times (:func:`run_transaction`) when the
database refuses it for now (:class:`~ecservice.errors.TransientStorageError`) or the
operation finds that another transaction got there first (:class:`RunAgain`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as sa_postgresql
from sqlalchemy.dialects import sqlite as sa_sqlite

from ecservice.errors import TransientStorageError
from ecservice.storage.sql._retry import translated

__all__ = ["MAX_MINOR_UNITS", "RunAgain", "conflict_insert", "run_transaction"]

R = TypeVar("R")

#: The largest amount, in minor units, the SQL books hold (a ``BIGINT`` column): a coin of a
#: mint's book, an amount of the SQL gateway.
MAX_MINOR_UNITS: Final = 2**63 - 1


class RunAgain(Exception):
    """Raised inside an operation's transaction to roll it back and run it again: another
    transaction holds or has just recorded what it meant to write (a conditional update matched
    no row, a key is claimed but not yet answered), and the next run reads what that one did."""


def conflict_insert(engine: sa.Engine) -> Callable[[sa.Table], Any] | None:
    """The ``insert`` of ``engine``'s dialect that has ``on_conflict_do_nothing`` and
    ``on_conflict_do_update`` (SQLite's or PostgreSQL's), or ``None`` for another dialect (the
    caller says why it refuses it)."""
    dialect = engine.dialect.name
    if dialect == "postgresql":
        return sa_postgresql.insert
    if dialect == "sqlite":
        return sa_sqlite.insert
    return None


def run_transaction(
    engine: sa.Engine,
    doing: str,
    work: Callable[[sa.Connection], R],
    *,
    attempts: int,
    pause: Callable[[int], None] | None = None,
) -> R:
    """Run ``work`` in one transaction of ``engine`` (database errors translated while
    ``doing``), up to ``attempts`` times in all while it fails with
    :class:`~ecservice.errors.TransientStorageError` or :class:`RunAgain`, calling
    ``pause(attempt)`` between two runs.

    Raises:
        TransientStorageError: the last run's, when every run was refused for now.
        RunAgain: the last run's, when every run had to be run again.
        StorageUnavailable: the database failed otherwise (at once, not run again).
    """
    for attempt in range(1, attempts + 1):
        try:
            with translated(doing), engine.begin() as connection:
                return work(connection)
        except (TransientStorageError, RunAgain):
            if attempt == attempts:
                raise
            if pause is not None:
                pause(attempt)
    raise AssertionError("unreachable")  # pragma: no cover
