"""Which database errors are worth retrying, and their translation into library errors."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from typing import Final

import sqlalchemy as sa
import sqlalchemy.exc as sa_exc

from ecservice.errors import StorageUnavailable, TransientStorageError

__all__ = ["TRANSIENT_SQLSTATES", "is_transient", "masked_url", "translated"]

#: PostgreSQL SQLSTATEs after which the same transaction, run again, may succeed:
#: ``serialization_failure`` and ``deadlock_detected``.
TRANSIENT_SQLSTATES: Final = frozenset({"40001", "40P01"})

#: SQLite's result codes for a database (or table) locked by another connection.
_SQLITE_BUSY: Final = frozenset({5, 6})  # SQLITE_BUSY, SQLITE_LOCKED
_SQLITE_BUSY_TEXT: Final = ("database is locked", "database table is locked")


def is_transient(error: BaseException) -> bool:
    """Whether ``error`` (a SQLAlchemy error or the driver's own) is worth retrying."""
    orig = error.orig if isinstance(error, sa_exc.DBAPIError) else error
    sqlstate = getattr(orig, "sqlstate", None)
    if isinstance(sqlstate, str):
        return sqlstate in TRANSIENT_SQLSTATES
    if isinstance(orig, sqlite3.Error):
        code = getattr(orig, "sqlite_errorcode", None)
        if isinstance(code, int) and code & 0xFF in _SQLITE_BUSY:
            return True
        return any(text in str(orig) for text in _SQLITE_BUSY_TEXT)
    return False


def _describe(error: sa_exc.SQLAlchemyError) -> str:
    orig = error.orig if isinstance(error, sa_exc.DBAPIError) else None
    text = str(orig if orig is not None else error).strip().splitlines()
    first = text[0] if text else type(error).__name__
    sqlstate = getattr(orig, "sqlstate", None)
    return f"{first} (SQLSTATE {sqlstate})" if isinstance(sqlstate, str) else first


@contextlib.contextmanager
def translated(doing: str) -> Iterator[None]:
    """Raise SQLAlchemy and driver errors met while ``doing`` as library errors:
    :class:`~ecservice.errors.TransientStorageError` when a retry may succeed, else
    :class:`~ecservice.errors.StorageUnavailable`; each chained to the original."""
    try:
        yield
    except sa_exc.SQLAlchemyError as exc:
        if is_transient(exc):
            raise TransientStorageError(
                f"the database refused to {doing} for now: {_describe(exc)}; run the "
                "transaction again"
            ) from exc
        raise StorageUnavailable(f"the database failed to {doing}: {_describe(exc)}") from exc


#: Query parameters of a database URL that hold secrets (libpq's ``password`` and
#: ``sslpassword``, and the names drivers use for tokens and keys).
_SECRET_QUERY: Final = ("password", "passwd", "pwd", "secret", "token", "key")


def masked_url(url: sa.URL) -> str:
    """``url`` as text for messages and reprs: the password and every query parameter that
    may hold a secret (``?password=...``, ``sslpassword``, tokens, keys) shown as ``***``."""
    secret = {
        name: "***" for name in url.query if any(word in name.lower() for word in _SECRET_QUERY)
    }
    shown = url.update_query_dict(secret) if secret else url
    return shown.render_as_string(hide_password=True).replace("%2A%2A%2A", "***")
