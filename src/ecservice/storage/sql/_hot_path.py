"""The SQL store's hot path: the statements of every load and save, compiled by SQLAlchemy once
per dialect and run on the unit of work's DB-API connection (see :class:`HotPath`)."""

from __future__ import annotations

import operator
import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, final

import sqlalchemy as sa

from ecservice.storage.sql._schema import (
    AGGREGATES,
    OUTBOX,
    UtcDateTime,
    sqlite_utc_processor,
)

__all__ = [
    "BEGUN_OPTION",
    "INTERNALS",
    "OUTBOX_INSERT",
    "OUTBOX_KEYS",
    "READ",
    "READ_VERSION",
    "UPDATE",
    "Compiled",
    "HotPath",
    "lean_begin",
    "own_begin_hook",
]

# The statements of the hot path, built once with bound parameters: SQLAlchemy then finds them
# in its compiled cache without rebuilding or re-keying a statement per call.
READ: Final = sa.select(AGGREGATES.c.version, AGGREGATES.c.document).where(
    AGGREGATES.c.type == sa.bindparam("type_name"), AGGREGATES.c.id == sa.bindparam("id_")
)
READ_VERSION: Final = sa.select(AGGREGATES.c.version).where(
    AGGREGATES.c.type == sa.bindparam("type_name"), AGGREGATES.c.id == sa.bindparam("id_")
)
UPDATE: Final = (
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
OUTBOX_INSERT: Final = OUTBOX.insert()
#: The columns of an outbox row the store writes, in the order of the DB-API parameters.
OUTBOX_KEYS: Final = (
    "event_id",
    "aggregate_type",
    "aggregate_id",
    "event_type",
    "payload",
    "occurred_at",
    "created_at",
)


@final
class Compiled:
    """A hot-path statement compiled once for a dialect, with SQLAlchemy's own bind processors
    (JSON text, UTC datetimes) applied to the values in the driver's parameter style."""

    __slots__ = ("_pick", "_positional", "_processed", "_row_plan", "processors", "sql")

    def __init__(
        self, statement: sa.ClauseElement, dialect: sa.Dialect, keys: Sequence[str] | None = None
    ) -> None:
        compiled: Any = statement.compile(
            dialect=dialect, column_keys=keys, for_executemany=keys is not None
        )
        self.sql: str = compiled.string
        names: Sequence[str] = compiled.positiontup if dialect.positional else list(compiled.binds)
        bind_processors: dict[str, Any] = dict(compiled._bind_processors)
        if dialect.name == "sqlite":
            # UTC instants written as text in one step (the same text as SQLAlchemy's chain).
            for name, bind in compiled.binds.items():
                if isinstance(bind.type, UtcDateTime) and name in bind_processors:
                    bind_processors[name] = sqlite_utc_processor(bind_processors[name])
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
        # With ``keys``: where each of the driver's parameters is among the values that
        # :meth:`row` is given, in the order of ``keys``.
        self._row_plan: tuple[tuple[int, str, Any], ...] = (
            tuple((list(keys).index(name), name, process) for name, process in self.processors)
            if keys is not None
            else ()
        )

    def row(self, values: Sequence[Any]) -> Any:
        """The driver's parameters for ``values`` given in the order of the ``keys`` the
        statement was compiled with (no mapping built per row)."""
        if self._positional:
            return tuple(
                [
                    values[i] if process is None else process(values[i])
                    for i, _, process in self._row_plan
                ]
            )
        return {
            name: values[i] if process is None else process(values[i])
            for i, name, process in self._row_plan
        }

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
class HotPath:
    """The statements of every load and save, run on the DB-API cursor of the unit of work's
    connection: the same SQL text and values as SQLAlchemy's execution, without its
    per-statement machinery (a save pays it three times). A driver error goes through
    SQLAlchemy's error handling (wrapped, disconnects invalidate the connection, ``handle_error``
    hooks run); the transaction is begun and ended as :func:`lean_begin` says."""

    __slots__ = ("document", "outbox", "read", "update")

    def __init__(self, dialect: sa.Dialect) -> None:
        self.read = Compiled(READ, dialect)
        self.update = Compiled(UPDATE, dialect)
        self.outbox = Compiled(OUTBOX_INSERT, dialect, OUTBOX_KEYS)
        document_type: Any = AGGREGATES.c.document.type
        self.document: Any = document_type.dialect_impl(dialect).result_processor(dialect, None)


#: Whether this SQLAlchemy has the internals the hot path relies on (a compiled statement's
#: ``_bind_processors``, ``Connection._handle_dbapi_exception`` and
#: ``Connection._handle_dbapi_exception_noconnection``, all in 2.0 and 2.1). Without them every
#: statement goes through SQLAlchemy's public execution: slower, never wrong.
INTERNALS: Final = (
    hasattr(sa.Connection, "_handle_dbapi_exception")
    and hasattr(sa.Connection, "_handle_dbapi_exception_noconnection")
    and hasattr(sa.sql.compiler.SQLCompiler, "_bind_processors")
)

#: The execution option set on a SQLAlchemy connection made around a DB-API connection whose
#: transaction the store began itself (see :func:`lean_begin`): the store's SQLite begin hook
#: then sends no second ``BEGIN``.
BEGUN_OPTION: Final = "ecservice_begun"

_OWN_BEGIN_HOOKS: Final[weakref.WeakSet[Callable[..., Any]]] = weakref.WeakSet()


def own_begin_hook(hook: Callable[[sa.Connection], None]) -> Callable[[sa.Connection], None]:
    """Mark ``hook`` as the store's own SQLite begin hook (``BEGIN IMMEDIATE`` for a unit of
    work), which :func:`lean_begin` may stand in for."""
    _OWN_BEGIN_HOOKS.add(hook)
    return hook


def lean_begin(engine: sa.Engine) -> str | None:
    """How a unit of work on ``engine`` may run on the pool's DB-API connection without a
    SQLAlchemy ``Connection`` (whose checkout, begin, commit and close cost about 15 µs): the
    statement that begins its transaction (``"BEGIN IMMEDIATE"`` on SQLite, what the store's
    begin hook sends; ``""`` on PostgreSQL through psycopg, which begins a transaction by
    itself), or ``None`` when it must go through a ``Connection``: another dialect or driver,
    engine-wide execution options (an isolation level, a schema map), or a listener on
    connections or transactions other than the store's own hook (it would miss them). Asked per
    unit of work, as listeners may come at any time; the statement listeners are asked
    separately (those send every statement through SQLAlchemy's execution)."""
    if engine.get_execution_options():
        return None
    events = engine.dispatch
    if events.engine_connect or events.commit or events.rollback:
        return None
    hooks = list(events.begin)
    dialect = engine.dialect
    if dialect.name == "postgresql" and dialect.driver == "psycopg" and not hooks:
        return ""
    if dialect.name == "sqlite" and len(hooks) == 1 and hooks[0] in _OWN_BEGIN_HOOKS:
        return "BEGIN IMMEDIATE"
    return None
