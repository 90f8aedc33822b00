"""The SQL store: aggregates and outbox rows in SQLite or PostgreSQL, through SQLAlchemy Core."""

from __future__ import annotations

import contextlib
import json
import operator
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final, Literal, NoReturn, final

import sqlalchemy as sa
import sqlalchemy.exc as sa_exc
from pendulum import DateTime
from sqlalchemy.dialects import postgresql as sa_postgresql
from sqlalchemy.dialects import sqlite as sa_sqlite

from ecservice.clock import SYSTEM_CLOCK, Clock
from ecservice.errors import ConcurrencyConflict, StorageUnavailable, ValidationError
from ecservice.storage._case_facts import CaseFacts
from ecservice.storage._errors import DocumentError
from ecservice.storage._registry import SerializerRegistry
from ecservice.storage._repository import (
    AggregateRow,
    OutboxRecord,
    Redaction,
    Timer,
    TrackedUnitOfWork,
    UnitOfWork,
    default_timers,
    utc_now,
)
from ecservice.storage.sql import _case_rows
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


_ENCODE: Final = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _dumps(value: object) -> str:
    # json.dumps(value, ensure_ascii=False, separators=(",", ":")), without building an encoder
    # per call.
    return _ENCODE(value)


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
        read_only = connection.get_execution_options().get(READ_ONLY_OPTION)
        statement = "BEGIN" if read_only else "BEGIN IMMEDIATE"
        if _watched(engine) or not _INTERNALS:
            connection.exec_driver_sql(statement)
            return
        # Every unit of work begins here: on the DB-API connection, with SQLAlchemy's handling
        # of a driver error (a locked database: OperationalError, then TransientStorageError).
        try:
            connection.connection.driver_connection.execute(statement)  # type: ignore[union-attr]
        except Exception as exc:
            connection._handle_dbapi_exception(exc, statement, (), None, None)


@final
class SqlStore:
    """Aggregates and their outbox rows in a SQL database (SQLite or PostgreSQL).

    >>> from ecservice.storage.sql import SqlStore
    >>> store = SqlStore("sqlite://")  # in memory; a file: "sqlite:///shop.db"
    >>> store.create_schema()
    >>> with store.unit_of_work() as uow:
    ...     uow.orders.find("O-1") is None
    True

    Loads and saves run their statements (compiled by SQLAlchemy, with its bind processors) on
    the unit of work's DB-API cursor, which costs less than SQLAlchemy's execution; while the
    engine has ``echo`` on or a statement listener (``before_execute``, ``after_execute``,
    ``before_cursor_execute``, ``after_cursor_execute``), they go through SQLAlchemy's execution,
    so that logging and tracing see every statement.

    Args:
        url_or_engine: a database URL (the engine is made by :func:`make_engine`, with
            ``sqlite_synchronous`` and ``busy_timeout``), or an engine, used as it is.
        registry: the serializers of the typed repositories (``orders``, ``carts``,
            ``payments``, ``cases``); :func:`~ecservice.storage.default_registry` by default.
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
        self._hot: _HotPath | None = None  # compiled on the first connection: see _HotPath

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
#: The columns of an outbox row the store writes, in the order of the DB-API parameters.
_OUTBOX_KEYS: Final = (
    "event_id",
    "aggregate_type",
    "aggregate_id",
    "event_type",
    "payload",
    "occurred_at",
    "created_at",
)

#: Engine events that watch statements: while one has a listener (or ``echo`` is on), every
#: statement goes through SQLAlchemy's execution so that the listener sees it (see _watched).
_STATEMENT_EVENTS: Final = (
    "before_execute",
    "after_execute",
    "before_cursor_execute",
    "after_cursor_execute",
)


@final
class _Compiled:
    """A hot-path statement compiled once for a dialect, with SQLAlchemy's own bind processors
    (JSON text, UTC datetimes) applied to the values in the driver's parameter style."""

    __slots__ = ("_pick", "_positional", "_processed", "processors", "sql")

    def __init__(
        self, statement: sa.ClauseElement, dialect: sa.Dialect, keys: Sequence[str] | None = None
    ) -> None:
        compiled: Any = statement.compile(
            dialect=dialect, column_keys=keys, for_executemany=keys is not None
        )
        self.sql: str = compiled.string
        names: Sequence[str] = compiled.positiontup if dialect.positional else list(compiled.binds)
        bind_processors: Mapping[str, Any] = compiled._bind_processors
        self.processors: tuple[tuple[str, Any], ...] = tuple(
            (name, bind_processors.get(name)) for name in names
        )
        self._positional: bool = dialect.positional
        # Positional parameters (SQLite): the values picked at once in parameter order, then only
        # those with a bind processor replaced.
        self._pick: Any = (
            operator.itemgetter(*names) if dialect.positional and len(names) > 1 else None
        )
        self._processed: tuple[tuple[int, str, Any], ...] = tuple(
            (i, name, process)
            for i, (name, process) in enumerate(self.processors)
            if process is not None
        )

    def parameters(self, values: Mapping[str, Any]) -> Any:
        """The driver's parameters for ``values`` (a tuple or a dict, as the dialect wants)."""
        if self._pick is not None:
            row = list(self._pick(values))
            for i, name, process in self._processed:
                row[i] = process(values[name])
            return tuple(row)
        if self._positional:
            return tuple(
                values[name] if process is None else process(values[name])
                for name, process in self.processors
            )
        return {
            name: values[name] if process is None else process(values[name])
            for name, process in self.processors
        }


@final
class _HotPath:
    """The statements of every load and save, run on the DB-API cursor of the unit of work's
    connection: the same SQL text and values as SQLAlchemy's execution, without its
    per-statement machinery (a save pays it three times). The transaction is still begun and
    ended through SQLAlchemy (so SQLite's ``BEGIN IMMEDIATE`` hook runs), and a driver error
    goes through SQLAlchemy's error handling (disconnects invalidate the connection)."""

    __slots__ = ("document", "outbox", "read", "update")

    def __init__(self, dialect: sa.Dialect) -> None:
        self.read = _Compiled(_READ, dialect)
        self.update = _Compiled(_UPDATE, dialect)
        self.outbox = _Compiled(_OUTBOX_INSERT, dialect, _OUTBOX_KEYS)
        document_type: Any = AGGREGATES.c.document.type
        self.document: Any = document_type.dialect_impl(dialect).result_processor(dialect, None)


#: Whether this SQLAlchemy has the two internals the hot path relies on (a compiled statement's
#: ``_bind_processors`` and ``Connection._handle_dbapi_exception``, both in 2.0 and 2.1). Without
#: them every statement goes through SQLAlchemy's public execution: slower, never wrong.
_INTERNALS: Final = hasattr(sa.Connection, "_handle_dbapi_exception") and hasattr(
    sa.sql.compiler.SQLCompiler, "_bind_processors"
)


def _watched(engine: sa.Engine) -> bool:
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


def _raise_translated(doing: str, error: sa_exc.SQLAlchemyError) -> NoReturn:
    """Raise ``error`` as :func:`translated` turns it into a library error (for the hot path,
    which catches errors itself rather than entering a context manager per statement)."""
    with translated(doing):
        raise error
    raise AssertionError("unreachable")  # pragma: no cover - translated() always raises


@final
class _SqlTransaction:
    """One connection and its transaction (begun on the first statement)."""

    __slots__ = ("_connection", "_cursor", "_hot", "_store")

    def __init__(self, store: SqlStore) -> None:
        self._store = store
        try:  # translated() without a context manager per unit of work
            self._connection = store.engine.connect()
        except sa_exc.SQLAlchemyError as exc:
            _raise_translated("open a connection", exc)
        self._cursor: Any = None
        self._hot: _HotPath | None = None
        if _INTERNALS and not _watched(store.engine):
            if store._hot is None:
                store._hot = _HotPath(store.engine.dialect)
            self._hot = store._hot

    def _run(self, statement: _Compiled, values: Any, *, many: bool = False) -> Any:
        """Run ``statement`` on the DB-API cursor, in the connection's transaction."""
        connection = self._connection
        if not connection.in_transaction():
            connection.begin()
        cursor = self._cursor
        parameters: Any = None
        try:
            parameters = (
                [statement.parameters(v) for v in values] if many else statement.parameters(values)
            )
            if cursor is None:
                cursor = self._cursor = connection.connection.cursor()
            if many:
                cursor.executemany(statement.sql, parameters)
            else:
                cursor.execute(statement.sql, parameters)
        except Exception as exc:
            # SQLAlchemy's own handling: wraps a driver error (sa_exc.DBAPIError and its
            # subclasses) or a bind processor's (StatementError), invalidates a disconnected
            # connection, runs handle_error hooks.
            connection._handle_dbapi_exception(exc, statement.sql, parameters, cursor, None)
        return cursor

    def read(self, type_name: str, id: str) -> tuple[int, dict[str, Any]] | None:
        hot = self._hot
        if hot is not None:
            # try/except rather than translated() and _unreadable(): the same errors, without
            # two context managers and their messages built per read.
            try:
                found = self._run(hot.read, {"type_name": type_name, "id_": id}).fetchone()
                if found is None:
                    return None
                document = found[1] if hot.document is None else hot.document(found[1])
            except sa_exc.SQLAlchemyError as exc:
                _raise_translated(f"read {type_name} {id!r}", exc)
            except (ValueError, RecursionError) as exc:
                with _unreadable(f"{type_name} {id!r}"):
                    raise exc from None
            return (found[0], document)
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
        if self._hot is not None:
            try:
                count = self._run(self._hot.update, values).rowcount
            except sa_exc.SQLAlchemyError as exc:
                _raise_translated(f"save {row.type_name} {row.id!r}", exc)
        else:
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

    def write_case_facts(self, facts: CaseFacts) -> None:
        with translated(f"index aftersales_case {facts.case_id!r}"):
            _case_rows.write_case_facts(self._connection, facts)

    def cases_of_order(self, type_name: str, order_id: str) -> list[tuple[int, dict[str, Any]]]:
        with translated(f"find the cases of order {order_id!r}"), _unreadable("a case"):
            return _case_rows.cases_of_order(self._connection, type_name, order_id)

    def lock(self, type_name: str, id: str) -> None:
        with translated(f"lock {type_name} {id!r}"):
            _case_rows.lock_row(self._connection, type_name, id)

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
                    if self._hot is not None:
                        self._run(self._hot.outbox, values, many=True)
                    else:
                        self._connection.execute(_OUTBOX_INSERT, values)
                except sa_exc.IntegrityError:
                    # Only event_id is unique: these events were recorded already. (On
                    # PostgreSQL the transaction is aborted; the unit of work must roll back.)
                    raise _Duplicate from None
        except _Duplicate:
            raise ConcurrencyConflict(
                first.aggregate_type, first.aggregate_id, expected=None, found=None
            ) from None

    def redact_outbox(self, aggregate_type: str, aggregate_id: str, redact: Redaction) -> int:
        query = sa.select(OUTBOX.c.seq, OUTBOX.c.event_type, OUTBOX.c.payload).where(
            OUTBOX.c.aggregate_type == aggregate_type, OUTBOX.c.aggregate_id == aggregate_id
        )
        if self._store._postgresql:
            query = query.with_for_update()  # a relay may be reading them: wait for it
        subject = f"{aggregate_type} {aggregate_id!r}"
        count = 0
        with translated(f"redact the outbox of {subject}"):
            with _unreadable(f"outbox rows of {subject}"):
                rows = self._connection.execute(query.order_by(OUTBOX.c.seq)).all()
            for row in rows:
                payload = redact(row.event_type, json.loads(json.dumps(row.payload)))
                if payload is None or payload == row.payload:
                    continue
                self._connection.execute(
                    OUTBOX.update().where(OUTBOX.c.seq == row.seq).values(payload=payload)
                )
                count += 1
        return count

    def commit(self) -> None:
        try:
            self._connection.commit()
        except sa_exc.SQLAlchemyError as exc:
            _raise_translated("commit", exc)

    def rollback(self) -> None:
        try:
            self._connection.rollback()
        except sa_exc.SQLAlchemyError as exc:
            _raise_translated("roll back", exc)

    def close(self) -> None:
        try:
            if self._cursor is not None:
                self._cursor, cursor = None, self._cursor
                with contextlib.suppress(Exception):  # a broken connection is closed next
                    cursor.close()
            self._connection.close()
        except sa_exc.SQLAlchemyError as exc:
            _raise_translated("release a connection", exc)


class _Duplicate(Exception):
    pass
