"""The SQL store: aggregates and outbox rows in SQLite or PostgreSQL, through SQLAlchemy Core."""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final, NoReturn, final

import sqlalchemy as sa
import sqlalchemy.exc as sa_exc
from pendulum import DateTime
from sqlalchemy.dialects import postgresql as sa_postgresql
from sqlalchemy.dialects import sqlite as sa_sqlite

from ecservice.clock import SYSTEM_CLOCK, Clock
from ecservice.errors import ConcurrencyConflict, NestedUnitOfWork
from ecservice.storage._case_facts import CaseFacts
from ecservice.storage._complaint_facts import ComplaintFacts
from ecservice.storage._errors import DocumentError
from ecservice.storage._facts import FactRows
from ecservice.storage._json_text import encode
from ecservice.storage._registry import SerializerRegistry
from ecservice.storage._repository import (
    AggregateRow,
    OutboxRecord,
    Redaction,
    Timer,
    TrackedUnitOfWork,
    UnitOfWork,
    check_row_key,
)
from ecservice.storage._retrying import utc_now
from ecservice.storage._timers import default_timers
from ecservice.storage.sql import _case_rows, _complaint_rows
from ecservice.storage.sql._engine import (
    DEFAULT_BUSY_TIMEOUT,
    READ_ONLY_OPTION,
    SqliteSynchronous,
    make_engine,
    own_json,
    watched,
)
from ecservice.storage.sql._facts_rows import write_facts
from ecservice.storage.sql._hot_path import BEGUN_OPTION, lean_begin
from ecservice.storage.sql._hot_path import INTERNALS as _INTERNALS
from ecservice.storage.sql._hot_path import OUTBOX_INSERT as _OUTBOX_INSERT
from ecservice.storage.sql._hot_path import READ as _READ
from ecservice.storage.sql._hot_path import READ_VERSION as _READ_VERSION
from ecservice.storage.sql._hot_path import UPDATE as _UPDATE
from ecservice.storage.sql._hot_path import Compiled as _Compiled
from ecservice.storage.sql._hot_path import HotPath as _HotPath
from ecservice.storage.sql._retry import masked_url, translated
from ecservice.storage.sql._revision import check_revision
from ecservice.storage.sql._schema import AGGREGATES, METADATA, OUTBOX, outbox_record

__all__ = ["SqlStore"]

_ENCODE: Final = encode


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
    so that logging and tracing see every statement. On SQLite (with the engine
    :func:`make_engine` makes) and on PostgreSQL through psycopg, a unit of work also begins,
    commits and rolls back on the pool's DB-API connection, without a SQLAlchemy ``Connection``
    unless one of its statements needs SQLAlchemy's execution; an engine with execution options
    or a listener on ``engine_connect``, ``begin``, ``commit`` or ``rollback`` gets a
    ``Connection`` for every unit of work, so the listener sees them all.

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
        # Whether the engine reads and writes JSON as the store's engines do: then a document
        # goes to the database as the repository's JSON text, and comes back as text on SQLite.
        self._own_json = own_json(self.engine.dialect)
        # On SQLite: per thread, the database files a unit of work has a transaction open on
        # (a second one in the same thread, of this store or of another store on the same file,
        # could only wait for it: see NestedUnitOfWork).
        self._sqlite = self.engine.dialect.name == "sqlite"
        self._file = _sqlite_file(self.engine) if self._sqlite else ""
        # Whether the database's schema revision was checked (by the first unit of work).
        self._revision_checked = False

    @property
    def timers(self) -> Mapping[str, Timer]:
        """The store's :data:`~ecservice.storage.Timer` per document type, read-only: the
        ``timers`` it was built with, or :func:`~ecservice.storage.default_timers`. A service
        built over the store reads its documents' timer here, to run under the policy the
        timer was made with (see :class:`~ecservice.application.OrderService`)."""
        from types import MappingProxyType

        return MappingProxyType(self._timers)

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
        self._revision_checked = True

    def drop_schema(self) -> None:
        """Drop the store's tables (for tests)."""
        with translated("drop the schema"), self.engine.begin() as connection:
            METADATA.drop_all(connection)
        self._revision_checked = False

    def dispose(self) -> None:
        """Close the engine's pooled connections."""
        self.engine.dispose()

    def unit_of_work(self) -> UnitOfWork:
        """A new unit of work (use it in a ``with`` block); it takes a connection on first use.

        The store's first transaction checks, before it begins, that the database is at the
        schema revision this version of the library uses (one read of ``alembic_version``): a
        unit of work's first read or write raises
        :class:`~ecservice.storage.sql.migrations.MigrationError` if the database is at an
        older revision (run ``ecservice db upgrade --db URL``), at one this version does not
        know (a newer version wrote it), or has none of the store's tables (upgrade it, or
        :meth:`create_schema`).
        """
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
        """The committed version of an aggregate, or ``None``.

        Raises:
            ValidationError: ``type_name`` or ``id`` is not a str.
        """
        check_row_key(type_name, id)
        query = sa.select(AGGREGATES.c.version).where(
            AGGREGATES.c.type == type_name, AGGREGATES.c.id == id
        )
        with translated("read a version"), self._reader() as connection:
            found: int | None = connection.execute(query).scalar_one_or_none()
        return found

    def next_due_at(self, type_name: str, id: str) -> DateTime | None:
        """The committed ``next_due_at`` of an aggregate (``None`` if nothing is due or it is
        not stored).

        Raises:
            ValidationError: ``type_name`` or ``id`` is not a str.
        """
        check_row_key(type_name, id)
        query = sa.select(AGGREGATES.c.next_due_at).where(
            AGGREGATES.c.type == type_name, AGGREGATES.c.id == id
        )
        with translated("read a due time"), self._reader() as connection:
            found: DateTime | None = connection.execute(query).scalar_one_or_none()
        return found


#: Engine events that watch statements: while one has a listener (or ``echo`` is on), every
#: statement goes through SQLAlchemy's execution so that the listener sees it (see _watched).
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
    """One connection and its transaction (begun on the first statement).

    On the lean path (:func:`lean_begin`) the connection is the pool's DB-API connection: the
    hot path's statements, the ``BEGIN`` and the commit or rollback run on it directly, and a
    SQLAlchemy ``Connection`` is made around it, in the transaction already begun, only when a
    statement needs SQLAlchemy's execution or an error its handling."""

    __slots__ = ("_begin", "_begun", "_cursor", "_hot", "_marked", "_raw", "_sa", "_store")

    def __init__(self, store: SqlStore) -> None:
        if not store._revision_checked:
            check_revision(store.engine)
            store._revision_checked = True
        self._store = store
        self._marked = False
        if store._sqlite:
            open_files = _open_files()
            if store._file in open_files:
                raise NestedUnitOfWork(
                    "a unit of work on this SQLite file (of this store, or of another store "
                    "on the same file) is already open in this thread: SQLite has one writer "
                    "at a time, so this one would wait for it until the busy timeout. Finish "
                    "that unit of work first; a gateway keeping its books in a store and "
                    "called inside a unit of work (OrderService.pay) needs a store on another "
                    "database file, or PostgreSQL"
                )
            open_files.add(store._file)
            self._marked = True
        self._cursor: Any = None
        self._hot: _HotPath | None = None
        self._sa: sa.Connection | None = None
        self._raw: Any = None  # the pool's connection, on the lean path
        self._begun = False  # on the lean path: whether its transaction was begun
        self._begin: str | None = None
        engine = store.engine
        if _INTERNALS and not watched(engine):
            if store._hot is None:
                store._hot = _HotPath(engine.dialect)
            self._hot = store._hot
            self._begin = lean_begin(engine)
        try:  # translated() without a context manager per unit of work
            if self._begin is None:
                self._sa = engine.connect()
            else:
                self._raw = _checkout(engine)
        except sa_exc.SQLAlchemyError as exc:
            self._unmark()
            _raise_translated("open a connection", exc)

    def _unmark(self) -> None:
        if self._marked:
            self._marked = False
            _open_files().discard(self._store._file)

    @property
    def _connection(self) -> sa.Connection:
        """The SQLAlchemy connection (on the lean path, made on first need around the pool's
        connection, in the transaction already begun there)."""
        connection = self._sa
        if connection is None:
            connection = self._sa = sa.Connection(self._store.engine, self._raw)
            if self._begun:
                connection.execution_options(**{BEGUN_OPTION: True})
                connection.begin()
        return connection

    def _run(
        self, statement: _Compiled, values: Any, *, many: bool = False, rows: bool = False
    ) -> Any:
        """Run ``statement`` on the DB-API cursor, in the connection's transaction (``values``
        one mapping, or with ``many`` a list of them, or with ``rows`` too a list of tuples in
        the order of the keys the statement was compiled with)."""
        connection = self._sa
        if connection is not None:
            if not connection.in_transaction():
                connection.begin()
            raw = connection.connection
        else:
            raw = self._raw
            if not self._begun:
                self._begin_lean(raw)
        cursor = self._cursor
        parameters: Any = None
        try:
            if rows:
                parameters = [statement.row(v) for v in values]
            elif many:
                parameters = [statement.parameters(v) for v in values]
            else:
                parameters = statement.parameters(values)
            if cursor is None:
                cursor = self._cursor = raw.cursor()
            if many:
                cursor.executemany(statement.sql, parameters)
            else:
                cursor.execute(statement.sql, parameters)
        except Exception as exc:
            # SQLAlchemy's own handling: wraps a driver error (sa_exc.DBAPIError and its
            # subclasses) or a bind processor's (StatementError), invalidates a disconnected
            # connection, runs handle_error hooks. It closes the cursor: the next statement
            # opens another.
            self._cursor = None
            self._connection._handle_dbapi_exception(exc, statement.sql, parameters, cursor, None)
        return cursor

    def _begin_lean(self, raw: Any) -> None:
        """Begin the transaction on the pool's connection, as the store's begin hook would."""
        statement = self._begin
        if statement:
            try:
                raw.driver_connection.execute(statement)
            except Exception as exc:  # a locked database: OperationalError, then transient
                self._connection._handle_dbapi_exception(exc, statement, (), None, None)
        self._begun = True

    def read(self, type_name: str, id: str) -> tuple[int, dict[str, Any]] | None:
        hot = self._hot
        if hot is not None:
            # try/except rather than translated() and _unreadable(): the same errors, without
            # two context managers and their messages built per read.
            try:
                found = self._run(hot.read, {"type_name": type_name, "id_": id}).fetchone()
                if found is None:
                    return None
                document = found[1]
                if type(document) is not str or not self._store._own_json:
                    document = document if hot.document is None else hot.document(document)
            except sa_exc.SQLAlchemyError as exc:
                _raise_translated(f"read {type_name} {id!r}", exc)
            except (ValueError, RecursionError) as exc:
                with _unreadable(f"{type_name} {id!r}"):
                    raise exc from None
            return (found[0], document)
        with translated(f"read {type_name} {id!r}"), _unreadable(f"{type_name} {id!r}"):
            row = self._connection.execute(_READ, {"type_name": type_name, "id_": id}).first()
        return None if row is None else (row.version, row.document)

    def _document(self, row: AggregateRow) -> Any:
        """The document's value for the statement: its JSON text as the repository made it
        when the engine writes JSON with the store's own serializer (which passes that text
        through), else the document for the engine's serializer."""
        return row.text if self._store._own_json else row.document

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
            "document": self._document(row),
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
            "new_document": self._document(row),
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

    def due(self, type_name: str, now: DateTime, limit: int) -> list[tuple[str, int, Any]]:
        document: Any = AGGREGATES.c.document
        if not self._store._postgresql:
            # The JSON text as stored, decoded row by row by the repository, which names the
            # row it cannot read (SQLAlchemy's JSON type would fail the whole query on it).
            document = sa.type_coerce(document, sa.Text)
        query = self._due_query(
            sa.select(AGGREGATES.c.id, AGGREGATES.c.version, document.label("document")),
            type_name,
            now,
            limit,
        )
        with translated(f"find due {type_name} documents"), _unreadable(f"a due {type_name}"):
            rows = self._connection.execute(query).all()
        return [(r.id, r.version, r.document) for r in rows]

    def due_ids(self, type_name: str, now: DateTime, limit: int) -> list[str]:
        query = self._due_query(sa.select(AGGREGATES.c.id), type_name, now, limit)
        with translated(f"find due {type_name} ids"):
            ids: list[str] = list(self._connection.execute(query).scalars())
        return ids

    def _due_query(
        self, select: sa.Select[Any], type_name: str, now: DateTime, limit: int
    ) -> sa.Select[Any]:
        """``select`` restricted to the ``limit`` due ``type_name`` rows, the earliest
        ``next_due_at`` first, ties by id in code point order; on PostgreSQL locked, skipping
        rows another transaction holds (``FOR UPDATE SKIP LOCKED``), so concurrent claims are
        disjoint."""
        query = (
            select.where(
                AGGREGATES.c.type == type_name,
                AGGREGATES.c.next_due_at.is_not(None),
                AGGREGATES.c.next_due_at <= now,
            )
            .order_by(
                AGGREGATES.c.next_due_at,
                # Ties in code point order, as SQLite's and the memory store's: not the
                # database's collation, which may order "O-1" and "O_1" either way.
                AGGREGATES.c.id.collate("C") if self._store._postgresql else AGGREGATES.c.id,
            )
            .limit(limit)
        )
        if self._store._postgresql:
            query = query.with_for_update(skip_locked=True)
        return query

    def write_case_facts(self, facts: CaseFacts) -> None:
        with translated(f"index aftersales_case {facts.case_id!r}"):
            _case_rows.write_case_facts(self._connection, facts)

    def write_complaint_facts(self, facts: ComplaintFacts) -> None:
        with translated(f"index complaint {facts.complaint_id!r}"):
            _complaint_rows.write_complaint_facts(self._connection, facts)

    def replace_facts(self, facts: FactRows) -> None:
        with translated(f"index the {facts.table} of {facts.id!r}"):
            write_facts(self._connection, facts)

    def cases_of_order(self, type_name: str, order_id: str) -> list[tuple[int, dict[str, Any]]]:
        with translated(f"find the cases of order {order_id!r}"), _unreadable("a case"):
            return _case_rows.cases_of_order(self._connection, type_name, order_id)

    def lock(self, type_name: str, id: str) -> None:
        with translated(f"lock {type_name} {id!r}"):
            _case_rows.lock_row(self._connection, type_name, id)

    def append_outbox(self, records: Sequence[OutboxRecord]) -> None:
        now = utc_now(self._store._clock)
        try:
            if self._hot is not None:
                # One tuple per row, in the order of OUTBOX_KEYS (no mapping per row).
                rows = [
                    (
                        r.event_id,
                        r.aggregate_type,
                        r.aggregate_id,
                        r.event_type,
                        r.payload,
                        r.occurred_at,
                        now,
                    )
                    for r in records
                ]
                self._run(self._hot.outbox, rows, many=True, rows=True)
            else:
                self._connection.execute(
                    _OUTBOX_INSERT,
                    [
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
                    ],
                )
        except sa_exc.IntegrityError:
            # Only event_id is unique: these events were recorded already. (On PostgreSQL the
            # transaction is aborted; the unit of work must roll back.)
            first = records[0]
            raise ConcurrencyConflict(
                first.aggregate_type, first.aggregate_id, expected=None, found=None
            ) from None
        except sa_exc.SQLAlchemyError as exc:
            first = records[0]
            _raise_translated(
                f"record the events of {first.aggregate_type} {first.aggregate_id!r}", exc
            )

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
            if self._sa is not None:
                self._sa.commit()
            elif self._begun:
                self._end_lean("commit")
        except sa_exc.SQLAlchemyError as exc:
            _raise_translated("commit", exc)

    def rollback(self) -> None:
        try:
            if self._sa is not None:
                self._sa.rollback()
            elif self._begun:
                self._end_lean("rollback")
        except sa_exc.SQLAlchemyError as exc:
            _raise_translated("roll back", exc)

    def _end_lean(self, how: str) -> None:
        """Commit or roll back on the pool's connection, with SQLAlchemy's error handling."""
        try:
            getattr(self._raw.dbapi_connection, how)()
        except Exception as exc:
            self._connection._handle_dbapi_exception(exc, None, None, None, None)
        self._begun = False

    def close(self) -> None:
        self._unmark()
        try:
            if self._cursor is not None:
                self._cursor, cursor = None, self._cursor
                with contextlib.suppress(Exception):  # a broken connection is closed next
                    cursor.close()
            if self._sa is not None:
                self._sa.close()  # returns the pool's connection too, on the lean path
            elif self._raw is not None:
                self._raw, raw = None, self._raw
                raw.close()  # back to the pool (which rolls back anything left)
        except sa_exc.SQLAlchemyError as exc:
            _raise_translated("release a connection", exc)


#: Per thread, the SQLite database files on which a unit of work has a transaction open.
_WRITING: Final = threading.local()


def _open_files() -> set[str]:
    found: set[str] | None = getattr(_WRITING, "files", None)
    if found is None:
        found = _WRITING.files = set()
    return found


def _sqlite_file(engine: sa.Engine) -> str:
    """What names an SQLite database across engines: the file's real path; an in-memory
    database (one per engine) is named by its engine."""
    database = engine.url.database
    if database in (None, "", ":memory:") or engine.url.query.get("mode") == "memory":
        return f"memory:{id(engine)}"
    if database.startswith("file:"):
        database = database.removeprefix("file:").partition("?")[0]
    return os.path.realpath(database)


def _checkout(engine: sa.Engine) -> Any:
    """The pool's DB-API connection, a driver error wrapped as ``engine.connect()`` wraps it
    (``handle_error`` hooks included)."""
    try:
        return engine.raw_connection()
    except engine.dialect.loaded_dbapi.Error as exc:
        sa.Connection._handle_dbapi_exception_noconnection(exc, engine.dialect, engine)
        raise  # pragma: no cover - the call above raises
