"""Whether a database's schema is the one this version of the library reads and writes.

The schema's revision is what Alembic records in ``alembic_version`` (written by
:func:`~ecservice.storage.sql.migrations.upgrade`, ``ecservice db upgrade``). A store on a
database at an older revision would read orders and then fail on its first write to a table a
later revision added ("no such table"); one on a database at a revision this version does not
know (written by a newer version) would write documents and rows the newer schema does not
expect. :func:`check_revision` refuses both, at once and with what to do.

A database made by :meth:`SqlStore.create_schema <ecservice.storage.sql.SqlStore.create_schema>`
(``METADATA.create_all``: tests, in-memory databases) has no ``alembic_version`` table; it is
accepted when every table of :data:`~ecservice.storage.sql.METADATA` is there.

Private to :mod:`ecservice.storage.sql`.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Final

import sqlalchemy as sa

from ecservice.storage.sql._engine import READ_ONLY_OPTION
from ecservice.storage.sql._retry import masked_url, translated
from ecservice.storage.sql._schema import METADATA

if TYPE_CHECKING:
    from ecservice.storage.sql.migrations import MigrationError

__all__ = ["check_revision", "known_revisions"]

#: Where the migrations' revision files are (``NNNN_slug.py``, the revision id first).
_VERSIONS: Final = Path(__file__).resolve().parent / "migrations" / "versions"
_REVISION_FILE: Final = re.compile(r"([0-9]{4})_[A-Za-z0-9_]+\.py", re.ASCII)
_VERSION_TABLE: Final = "alembic_version"


@cache
def known_revisions() -> tuple[str, ...]:
    """The revisions this package ships, oldest first, read from the names of the revision
    files (without importing Alembic, which a store does not otherwise need)."""
    found = sorted(
        match[1]
        for path in _VERSIONS.iterdir()
        if (match := _REVISION_FILE.fullmatch(path.name)) is not None
    )
    return tuple(found)


def check_revision(engine: sa.Engine) -> None:
    """Refuse a database whose schema this version of the library cannot use.

    Reads ``alembic_version`` once, in a short read-only transaction of its own (a
    connection from the engine's pool); only when that table is not there, the database's
    table names are read too.

    Args:
        engine: the store's engine.

    Raises:
        MigrationError: the database is at a revision older than this version's head (run
            ``ecservice db upgrade --db URL``), at a revision this version does not know (a
            newer version of ecservice wrote it: use that one), at no revision with tables
            missing, or empty.
        StorageUnavailable: the database cannot be reached or read
            (:class:`~ecservice.errors.TransientStorageError` when trying again may succeed).
    """
    with translated("open a connection"):
        reader = engine.connect().execution_options(**{READ_ONLY_OPTION: True})
    with translated("read the schema revision"), reader as connection:
        found = _recorded(connection)
        missing: list[str] = []
        if found is None:
            present = set(sa.inspect(connection).get_table_names())
            missing = [name for name in METADATA.tables if name not in present]
    known = known_revisions()
    head = known[-1]
    if found is not None:
        if found == head:
            return
        raise _error(engine, _wrong_revision(found, known))
    if not missing:
        return  # made by create_schema (METADATA.create_all): the tables of this version
    if len(missing) == len(METADATA.tables):
        raise _error(
            engine,
            f"has no ecservice schema (no {_VERSION_TABLE} table, none of the tables); this "
            f"version needs revision {head}: run `ecservice db upgrade --db URL` (or call "
            "SqlStore.create_schema() on a database made for tests)",
        )
    raise _error(
        engine,
        f"has no schema revision ({_VERSION_TABLE}) and lacks the table(s) "
        f"{', '.join(missing)} of this version (revision {head}): its tables were made by an "
        "older version's create_schema(): recreate it, or record the revision its tables "
        "match (alembic.command.stamp(alembic_config(url), revision)) and run `ecservice db "
        "upgrade --db URL`",
    )


def _recorded(connection: sa.Connection) -> str | None:
    """The revision in ``alembic_version``, ``None`` when there is no such table; ``""``
    when the table is empty and ``"a, b"`` when it holds several (branches). One query when
    the table is there."""
    try:
        rows = connection.execute(sa.text(f"SELECT version_num FROM {_VERSION_TABLE}")).all()
    except sa.exc.DBAPIError:
        # Most likely no such table (PostgreSQL aborts the transaction: roll it back first);
        # any other failure is raised as it is.
        connection.rollback()
        if sa.inspect(connection).has_table(_VERSION_TABLE):
            raise
        return None
    return ", ".join(sorted(str(row[0]) for row in rows))


def _wrong_revision(found: str, known: tuple[str, ...]) -> str:
    head = known[-1]
    if found == "":
        return (
            f"is at no schema revision ({_VERSION_TABLE} is empty: it was downgraded to the "
            f"base); this version needs revision {head}: run `ecservice db upgrade --db URL`"
        )
    if found in known:
        return (
            f"is at schema revision {found}, older than revision {head} this version of "
            "ecservice needs (its tables and columns): run `ecservice db upgrade --db URL` "
            "(or migrations.upgrade(url)) before using it"
        )
    return (
        f"is at schema revision {found}, which this version of ecservice does not know (it "
        f"knows {known[0]} to {head}): a newer version of ecservice wrote it, and this one "
        "must not use it; use that version (or a newer one)"
    )


def _error(engine: sa.Engine, problem: str) -> MigrationError:
    # Imported here: the migrations module imports Alembic, which a store needs only then.
    from ecservice.storage.sql.migrations import MigrationError

    return MigrationError(f"the database at {masked_url(engine.url)} {problem}")
