"""Making the SQL store's engine: SQLite in WAL mode with its own transaction control, PostgreSQL
at READ COMMITTED; the connection settings every store and migration shares."""

from __future__ import annotations

import json
from typing import Any, Final, Literal

import sqlalchemy as sa
import sqlalchemy.exc as sa_exc

from ecservice.errors import StorageUnavailable, ValidationError
from ecservice.storage._document import JsonText
from ecservice.storage._json_text import encode
from ecservice.storage.sql._hot_path import BEGUN_OPTION, own_begin_hook
from ecservice.storage.sql._hot_path import INTERNALS as _INTERNALS

__all__ = [
    "DEFAULT_BUSY_TIMEOUT",
    "READ_ONLY_OPTION",
    "SqliteSynchronous",
    "make_engine",
    "watched",
]

#: The values of SQLite's ``synchronous`` setting a store accepts.
SqliteSynchronous = Literal["FULL", "NORMAL"]

#: The execution option that starts a SQLite transaction with a plain ``BEGIN`` (it takes no
#: write lock): the store's own read-only queries use it.
READ_ONLY_OPTION: Final = "ecservice_read_only"

#: How long a SQLite connection waits for another one's write lock, by default.
DEFAULT_BUSY_TIMEOUT: Final = 5.0


_ENCODE: Final = encode


def _dumps(value: object) -> str:
    # json.dumps(value, ensure_ascii=False, separators=(",", ":")), without building an encoder
    # per call; a document's JSON text made by the repository goes through as it is.
    if type(value) is JsonText:
        return value
    return _ENCODE(value)


def own_json(dialect: sa.Dialect) -> bool:
    """Whether ``dialect`` writes JSON with the store's serializer (which passes a
    :class:`~ecservice.storage._document.JsonText` through) and reads it with ``json.loads``:
    an engine made by :func:`make_engine` without other ``json_serializer`` or
    ``json_deserializer`` options."""
    serializer = getattr(dialect, "_json_serializer", None)
    deserializer = getattr(dialect, "_json_deserializer", None)
    return serializer is _dumps and deserializer in (None, json.loads)


def make_engine(
    url: str | sa.URL,
    *,
    sqlite_synchronous: SqliteSynchronous = "FULL",
    busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
    **engine_options: Any,
) -> sa.Engine:
    """An engine set up for the store.

    SQLite: every connection uses write-ahead logging (``journal_mode=WAL``; readers do not block
    the writer), ``synchronous=FULL`` by default (a committed transaction survives a power loss;
    ``"NORMAL"`` is about three times faster and survives a crash of the application, but the
    last transactions before a power loss may be rolled back), waits up to ``busy_timeout``
    seconds for another connection's lock, enforces foreign keys, and starts every transaction
    with ``BEGIN IMMEDIATE``: it takes the write lock at the start, so that two transactions
    never both read and then fail to upgrade to writing. An in-memory database
    (``sqlite://``) is one connection shared by the store (for tests).

    PostgreSQL (``postgresql+psycopg://...``): ``READ COMMITTED``, which the conditional
    updates make safe.

    Args:
        url: a SQLAlchemy database URL.
        sqlite_synchronous: ``"FULL"`` (durable, the default) or ``"NORMAL"`` (faster).
        busy_timeout: seconds a SQLite connection waits for a lock, more than 0.
        engine_options: passed on to :func:`sqlalchemy.create_engine`.

    Raises:
        ValidationError: a bad option or URL.
        StorageUnavailable: the database's driver is not installed.
    """
    if sqlite_synchronous not in ("FULL", "NORMAL"):
        raise ValidationError(
            f"sqlite_synchronous must be 'FULL' or 'NORMAL', not {sqlite_synchronous!r}"
        )
    if type(busy_timeout) not in (int, float) or not 0 < busy_timeout <= 3600:
        raise ValidationError(f"busy_timeout must be seconds from 0 to 3600, not {busy_timeout!r}")
    try:
        parsed = sa.make_url(url)
    except (sa_exc.ArgumentError, TypeError, ValueError) as exc:
        raise ValidationError(f"not a database URL: {exc}") from None
    options: dict[str, Any] = {"json_serializer": _dumps, **engine_options}
    if parsed.get_backend_name() == "sqlite":
        memory = parsed.database in (None, "", ":memory:")
        if memory:
            options.setdefault("poolclass", sa.StaticPool)
        options.setdefault("connect_args", {}).update(
            {"timeout": busy_timeout, "check_same_thread": False}
        )
        engine = _create(parsed, options)
        _configure_sqlite(engine, synchronous=sqlite_synchronous, memory=memory)
        return engine
    if parsed.get_backend_name() == "postgresql":
        options.setdefault("isolation_level", "READ COMMITTED")
    return _create(parsed, options)


def _create(url: sa.URL, options: dict[str, Any]) -> sa.Engine:
    try:
        return sa.create_engine(url, **options)
    except ImportError as exc:
        raise StorageUnavailable(
            f"cannot use {url.drivername} databases: {exc}; install the driver "
            "(pip install 'ecservice[sql]' brings psycopg for PostgreSQL)"
        ) from exc
    except (sa_exc.ArgumentError, TypeError) as exc:
        raise ValidationError(f"cannot create an engine for that URL: {exc}") from None


def _configure_sqlite(engine: sa.Engine, *, synchronous: str, memory: bool) -> None:
    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: object) -> None:
        # Take transaction control from sqlite3: SQLAlchemy's begin event emits BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            # Switching to WAL needs the database to itself, and SQLite does not wait for that:
            # switch only a file not in WAL mode yet (the migrations already switch it).
            if not memory and cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA synchronous={synchronous}")
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()

    @sa.event.listens_for(engine, "begin")
    @own_begin_hook
    def _begin(connection: sa.Connection) -> None:
        options = connection.get_execution_options()
        if options.get(BEGUN_OPTION):  # the unit of work began it on the DB-API connection
            return
        read_only = options.get(READ_ONLY_OPTION)
        statement = "BEGIN" if read_only else "BEGIN IMMEDIATE"
        if watched(engine) or not _INTERNALS:
            connection.exec_driver_sql(statement)
            return
        # Every unit of work begins here: on the DB-API connection, with SQLAlchemy's handling
        # of a driver error (a locked database: OperationalError, then TransientStorageError).
        try:
            connection.connection.driver_connection.execute(statement)  # type: ignore[union-attr]
        except Exception as exc:
            connection._handle_dbapi_exception(exc, statement, (), None, None)


_STATEMENT_EVENTS: Final = (
    "before_execute",
    "after_execute",
    "before_cursor_execute",
    "after_cursor_execute",
)


def watched(engine: sa.Engine) -> bool:
    """Whether the engine logs or has listeners that must see every statement (one of
    :data:`_STATEMENT_EVENTS`); asked per transaction, as listeners may come at any time."""
    events = engine.dispatch
    return bool(
        engine.echo
        or events.before_execute
        or events.after_execute
        or events.before_cursor_execute
        or events.after_cursor_execute
    )
