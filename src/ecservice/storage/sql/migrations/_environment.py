"""What Alembic's ``env.py`` runs: the migrations, on the connection :func:`upgrade` hands over.

:func:`~ecservice.storage.sql.migrations.upgrade` passes its connection in the ``Config``'s
``attributes["connection"]``; Alembic's command functions used with
:func:`~ecservice.storage.sql.migrations.alembic_config` (``url`` given) make their own engine
from ``sqlalchemy.url``; ``--sql`` (offline) mode writes the SQL for that URL's dialect.
"""

from __future__ import annotations

import zlib
from typing import Any, Final

import sqlalchemy as sa
from alembic import context
from sqlalchemy.pool import NullPool

from ecservice.storage.sql._schema import METADATA

__all__ = ["migration_engine", "run_migrations"]

#: The PostgreSQL advisory lock an upgrade holds for its transaction (one upgrader at a time).
LOCK_KEY: Final = zlib.crc32(b"ecservice.storage.sql.migrations")

#: How long (seconds) an SQLite migration connection waits for a lock another one holds.
SQLITE_BUSY_SECONDS: Final = 30.0


def migration_engine(url: sa.URL) -> sa.Engine:
    """An engine for migrating: no pool; on SQLite, transactions begin with ``BEGIN IMMEDIATE``
    (Python's ``sqlite3`` would otherwise run DDL outside any transaction) and a database file
    is switched to WAL mode, which the store uses. SQLite connections wait up to
    :data:`SQLITE_BUSY_SECONDS` for another upgrader's write lock."""
    sqlite = url.get_backend_name() == "sqlite"
    arguments: dict[str, Any] = {"timeout": SQLITE_BUSY_SECONDS} if sqlite else {}
    engine = sa.create_engine(url, poolclass=NullPool, connect_args=arguments)
    if sqlite:

        @sa.event.listens_for(engine, "connect")
        def _no_implicit_transactions(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None
            if url.database not in (None, "", ":memory:"):
                # The store runs in WAL mode: switch the file now, while nobody else uses it.
                dbapi_connection.execute("PRAGMA journal_mode=WAL")

        @sa.event.listens_for(engine, "begin")
        def _begin_immediate(connection: sa.Connection) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _migrate(connection: sa.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=METADATA,
        transactional_ddl=True,
        compare_type=True,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
        context.run_migrations()


def run_migrations() -> None:
    """Run the migrations Alembic's command asked for, online or offline."""
    config = context.config
    if context.is_offline_mode():
        context.configure(
            url=config.get_main_option("sqlalchemy.url"),
            target_metadata=METADATA,
            literal_binds=True,
            transactional_ddl=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = config.attributes.get("connection")
    if isinstance(connection, sa.Connection):
        _migrate(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("no connection and no sqlalchemy.url to migrate")
    engine = migration_engine(sa.make_url(url))
    try:
        with engine.connect() as connection:
            _migrate(connection)
            connection.commit()
    finally:
        engine.dispose()
