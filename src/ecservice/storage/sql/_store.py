"""The SQL store: aggregates and outbox rows in SQLite or PostgreSQL, through SQLAlchemy Core."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final, Literal, final

import sqlalchemy as sa
import sqlalchemy.exc as sa_exc
from pendulum import DateTime
from sqlalchemy.dialects import postgresql as sa_postgresql
from sqlalchemy.dialects import sqlite as sa_sqlite

from ecservice.clock import SYSTEM_CLOCK, Clock
from ecservice.errors import ConcurrencyConflict, StorageUnavailable, ValidationError
from ecservice.storage._errors import DocumentError
from ecservice.storage._registry import SerializerRegistry
from ecservice.storage._repository import (
    AggregateRow,
    OutboxRecord,
    Timer,
    TrackedUnitOfWork,
    UnitOfWork,
    default_timers,
    utc_now,
)
from ecservice.storage.sql._retry import masked_url, translated
from ecservice.storage.sql._schema import AGGREGATES, METADATA, OUTBOX, outbox_record

__all__ = ["SqlStore", "make_engine"]

#: The values of SQLite's ``synchronous`` setting a store accepts.
SqliteSynchronous = Literal["FULL", "NORMAL"]

#: The execution option that starts a SQLite transaction with a plain ``BEGIN`` (it takes no
#: write lock): the store's own read-only queries use it.
READ_ONLY_OPTION: Final = "ecservice_read_only"

#: How long a SQLite connection waits for another one's write lock, by default.
DEFAULT_BUSY_TIMEOUT: Final = 5.0


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


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
    def _begin(connection: sa.Connection) -> None:
        if connection.get_execution_options().get(READ_ONLY_OPTION):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


@final
class SqlStore:
    """Aggregates and their outbox rows in a SQL database (SQLite or PostgreSQL).

    >>> from ecservice.storage.sql import SqlStore
    >>> store = SqlStore("sqlite://")  # in memory; a file: "sqlite:///shop.db"
    >>> store.create_schema()
    >>> with store.unit_of_work() as uow:
    ...     uow.orders.find("O-1") is None
    True

    Args:
        url_or_engine: a database URL (the engine is made by :func:`make_engine`, with
            ``sqlite_synchronous`` and ``busy_timeout``), or an engine, used as it is.
        registry: the serializers of the typed repositories (``orders``, ``carts``,
            ``payments``); :func:`~ecservice.storage.default_registry` by default.
        timers: a :data:`~ecservice.storage.Timer` per document type
            (:func:`~ecservice.storage.default_timers` by default).
        clock: the clock given to loaded aggregates and used for ``updated_at``.
        sqlite_synchronous: see :func:`make_engine`.
        busy_timeout: see :func:`make_engine`.

    Raises:
        ValidationError: a bad URL or option.
    """

    def __init__(
        self,
        url_or_engine: str | sa.URL | sa.Engine,
        *,
        registry: SerializerRegistry | None = None,
        timers: Mapping[str, Timer] | None = None,
        clock: Clock = SYSTEM_CLOCK,
        sqlite_synchronous: SqliteSynchronous = "FULL",
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
    ) -> None:
        from ecservice.storage import default_registry

        if isinstance(url_or_engine, sa.Engine):
            self.engine = url_or_engine
        else:
            self.engine = make_engine(
                url_or_engine, sqlite_synchronous=sqlite_synchronous, busy_timeout=busy_timeout
            )
        self._registry = default_registry() if registry is None else registry
        self._timers = dict(default_timers() if timers is None else timers)
        self._clock = clock
        self._postgresql = self.engine.dialect.name == "postgresql"
        self._insert: sa.Insert = self._insert_aggregate()  # built once: see _READ

    def _reader(self) -> sa.Connection:
        """A connection for a read-only query (on SQLite it does not take the write lock)."""
        return self.engine.connect().execution_options(**{READ_ONLY_OPTION: True})

    def _insert_aggregate(self) -> sa.Insert:
        """``INSERT`` that skips (rowcount 0) a row whose key exists, without an error that
        would abort a PostgreSQL transaction."""
        name = self.engine.dialect.name
        if name == "postgresql":
            return (
                sa_postgresql.insert(AGGREGATES)
                .on_conflict_do_nothing()
                .execution_options(preserve_rowcount=True)
            )
        if name == "sqlite":
            return (
                sa_sqlite.insert(AGGREGATES)
                .on_conflict_do_nothing()
                .execution_options(preserve_rowcount=True)
            )
        return AGGREGATES.insert()  # pragma: no cover - other databases raise IntegrityError

    def __repr__(self) -> str:
        return f"SqlStore({masked_url(self.engine.url)!r})"

    def create_schema(self) -> None:
        """Create the tables and indexes that do not exist yet (for tests and embedded use; a
        deployed database is upgraded with the migrations instead)."""
        with translated("create the schema"), self.engine.begin() as connection:
            METADATA.create_all(connection)

    def drop_schema(self) -> None:
        """Drop the store's tables (for tests)."""
        with translated("drop the schema"), self.engine.begin() as connection:
            METADATA.drop_all(connection)

    def dispose(self) -> None:
        """Close the engine's pooled connections."""
        self.engine.dispose()

    def unit_of_work(self) -> UnitOfWork:
        """A new unit of work (use it in a ``with`` block); it takes a connection on first use."""
        return TrackedUnitOfWork(
            lambda: _SqlTransaction(self),
            registry=self._registry,
            timers=self._timers,
            clock=self._clock,
        )

    def outbox(self) -> list[OutboxRecord]:
        """Every outbox row, in ``seq`` order (for tests and inspection)."""
        query = sa.select(
            OUTBOX.c.event_id,
            OUTBOX.c.aggregate_type,
            OUTBOX.c.aggregate_id,
            OUTBOX.c.event_type,
            OUTBOX.c.payload,
            OUTBOX.c.occurred_at,
        ).order_by(OUTBOX.c.seq)
        with translated("read the outbox"), self._reader() as connection:
            rows = connection.execute(query).all()
        return [outbox_record(r) for r in rows]

    def stored_version(self, type_name: str, id: str) -> int | None:
        """The committed version of an aggregate, or ``None``."""
        query = sa.select(AGGREGATES.c.version).where(
            AGGREGATES.c.type == type_name, AGGREGATES.c.id == id
        )
        with translated("read a version"), self._reader() as connection:
            found: int | None = connection.execute(query).scalar_one_or_none()
        return found

    def next_due_at(self, type_name: str, id: str) -> DateTime | None:
        """The committed ``next_due_at`` of an aggregate (``None`` if nothing is due or it is
        not stored)."""
        query = sa.select(AGGREGATES.c.next_due_at).where(
            AGGREGATES.c.type == type_name, AGGREGATES.c.id == id
        )
        with translated("read a due time"), self._reader() as connection:
            found: DateTime | None = connection.execute(query).scalar_one_or_none()
        return found


# The statements of the hot path, built once with bound parameters: SQLAlchemy then finds them
# in its compiled cache without rebuilding or re-keying a statement per call.
_READ: Final = sa.select(AGGREGATES.c.version, AGGREGATES.c.document).where(
    AGGREGATES.c.type == sa.bindparam("type_name"), AGGREGATES.c.id == sa.bindparam("id_")
)
_READ_VERSION: Final = sa.select(AGGREGATES.c.version).where(
    AGGREGATES.c.type == sa.bindparam("type_name"), AGGREGATES.c.id == sa.bindparam("id_")
)
_UPDATE: Final = (
    AGGREGATES.update()
    .where(
        AGGREGATES.c.type == sa.bindparam("type_name"),
        AGGREGATES.c.id == sa.bindparam("id_"),
        AGGREGATES.c.version == sa.bindparam("expected"),
    )
    .values(
        version=sa.bindparam("new_version"),
        schema_version=sa.bindparam("new_schema_version"),
        document=sa.bindparam("new_document", type_=AGGREGATES.c.document.type),
        next_due_at=sa.bindparam("new_next_due_at", type_=AGGREGATES.c.next_due_at.type),
        updated_at=sa.bindparam("new_updated_at", type_=AGGREGATES.c.updated_at.type),
    )
)
_OUTBOX_INSERT: Final = OUTBOX.insert()


@contextlib.contextmanager
def _unreadable(subject: str) -> Iterator[None]:
    """Turn a stored row that cannot even be decoded (truncated JSON, an integer past Python's
    digit limit, nesting past the recursion limit) into a :class:`DocumentError`."""
    try:
        yield
    except (ValueError, RecursionError) as exc:
        raise DocumentError(
            f"stored {subject}", [f"the row cannot be decoded: {type(exc).__name__}"]
        ) from None


@final
class _SqlTransaction:
    """One connection and its transaction (begun on the first statement)."""

    __slots__ = ("_connection", "_store")

    def __init__(self, store: SqlStore) -> None:
        self._store = store
        with translated("open a connection"):
            self._connection = store.engine.connect()

    def read(self, type_name: str, id: str) -> tuple[int, dict[str, Any]] | None:
        with translated(f"read {type_name} {id!r}"), _unreadable(f"{type_name} {id!r}"):
            row = self._connection.execute(_READ, {"type_name": type_name, "id_": id}).first()
        return None if row is None else (row.version, row.document)

    def _found_version(self, type_name: str, id: str) -> int | None:
        with translated(f"read {type_name} {id!r}"):
            found: int | None = self._connection.execute(
                _READ_VERSION, {"type_name": type_name, "id_": id}
            ).scalar_one_or_none()
        return found

    def insert(self, row: AggregateRow) -> None:
        values = {
            "type": row.type_name,
            "id": row.id,
            "version": row.version,
            "schema_version": row.schema_version,
            "document": row.document,
            "next_due_at": row.next_due_at,
            "updated_at": utc_now(self._store._clock),
        }
        with translated(f"add {row.type_name} {row.id!r}"):
            count = self._connection.execute(self._store._insert, values).rowcount
        if count != 1:
            found = self._found_version(row.type_name, row.id)
            raise ConcurrencyConflict(row.type_name, row.id, expected=None, found=found)

    def update(self, row: AggregateRow, expected: int) -> None:
        values = {
            "type_name": row.type_name,
            "id_": row.id,
            "expected": expected,
            "new_version": row.version,
            "new_schema_version": row.schema_version,
            "new_document": row.document,
            "new_next_due_at": row.next_due_at,
            "new_updated_at": utc_now(self._store._clock),
        }
        with translated(f"save {row.type_name} {row.id!r}"):
            count = self._connection.execute(_UPDATE, values).rowcount
        if count != 1:
            found = self._found_version(row.type_name, row.id)
            raise ConcurrencyConflict(row.type_name, row.id, expected=expected, found=found)

    def due(self, type_name: str, now: DateTime, limit: int) -> list[tuple[int, dict[str, Any]]]:
        query = (
            sa.select(AGGREGATES.c.version, AGGREGATES.c.document)
            .where(
                AGGREGATES.c.type == type_name,
                AGGREGATES.c.next_due_at.is_not(None),
                AGGREGATES.c.next_due_at <= now,
            )
            .order_by(AGGREGATES.c.next_due_at, AGGREGATES.c.id)
            .limit(limit)
        )
        if self._store._postgresql:
            query = query.with_for_update(skip_locked=True)
        with translated(f"find due {type_name} documents"), _unreadable(f"a due {type_name}"):
            rows = self._connection.execute(query).all()
        return [(r.version, r.document) for r in rows]

    def append_outbox(self, records: Sequence[OutboxRecord]) -> None:
        now = utc_now(self._store._clock)
        values = [
            {
                "event_id": r.event_id,
                "aggregate_type": r.aggregate_type,
                "aggregate_id": r.aggregate_id,
                "event_type": r.event_type,
                "payload": r.payload,
                "occurred_at": r.occurred_at,
                "created_at": now,
            }
            for r in records
        ]
        first = records[0]
        try:
            with translated(f"record the events of {first.aggregate_type} {first.aggregate_id!r}"):
                try:
                    self._connection.execute(_OUTBOX_INSERT, values)
                except sa_exc.IntegrityError:
                    # Only event_id is unique: these events were recorded already. (On
                    # PostgreSQL the transaction is aborted; the unit of work must roll back.)
                    raise _Duplicate from None
        except _Duplicate:
            raise ConcurrencyConflict(
                first.aggregate_type, first.aggregate_id, expected=None, found=None
            ) from None

    def commit(self) -> None:
        with translated("commit"):
            self._connection.commit()

    def rollback(self) -> None:
        with translated("roll back"):
            self._connection.rollback()

    def close(self) -> None:
        with translated("release a connection"):
            self._connection.close()


class _Duplicate(Exception):
    pass
