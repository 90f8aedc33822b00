"""The Alembic migrations build exactly the schema of :data:`ecservice.storage.sql.METADATA`.

On SQLite and on PostgreSQL: Alembic's own comparison finds no difference, upgrading again does
nothing, :func:`current` reports the head, and failures are :class:`MigrationError` without the
URL's password.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import io
import multiprocessing
import sqlite3
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from ecservice.errors import EcServiceError
from ecservice.storage.sql import METADATA
from ecservice.storage.sql.migrations import (
    MigrationError,
    alembic_config,
    current,
    head,
    shown_url,
    upgrade,
)
from tests.storage.pgdb import fresh_pg_database

#: The revisions the package ships, oldest first, and the last of them.
REVISIONS = ["0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008", "0009"]
HEAD = REVISIONS[-1]


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: an SQLite file that does not exist yet, or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'shop.db'}"
    else:
        with fresh_pg_database() as url:
            yield url


def _identity_on_sqlite(difference: Any) -> bool:
    """Alembic before 1.18 reports ``seq``'s Identity as a changed default on SQLite, which has
    no identity columns (INTEGER PRIMARY KEY numbers the rows; the DDL test below checks it)."""
    return (
        isinstance(difference, list)
        and len(difference) == 1
        and difference[0][0] == "modify_default"
        and isinstance(difference[0][-1], sa.Identity)
    )


def _differences(url: str) -> list[Any]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            found = compare_metadata(MigrationContext.configure(connection), METADATA)
    finally:
        engine.dispose()
    sqlite = url.startswith("sqlite")
    return [d for d in found if not (sqlite and _identity_on_sqlite(d))]


def _statements_of(engine: sa.Engine) -> list[str]:
    """Every SQL statement ``engine`` runs from now on, recorded in the returned list."""
    seen: list[str] = []

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _record(*args: Any) -> None:
        seen.append(str(args[2]))

    return seen


def test_the_head_is_the_last_revision() -> None:
    """The package's revisions form one chain ending at :data:`HEAD`."""
    assert head() == HEAD
    names = sorted(
        p.name
        for p in resources.files("ecservice.storage.sql.migrations").joinpath("versions").iterdir()
        if p.name.endswith(".py")
    )
    assert [n[:4] for n in names] == REVISIONS


def test_upgrade_builds_the_schema_of_the_metadata(database_url: str) -> None:
    """An upgraded database matches METADATA: tables, columns, types, nullability, keys and
    indexes (Alembic's autogenerate comparison is empty)."""
    assert current(database_url) is None
    assert _differences(database_url)  # an empty database differs: the comparison has teeth
    assert upgrade(database_url) == HEAD
    assert _differences(database_url) == []
    assert current(database_url) == head()


def test_upgrading_twice_changes_nothing(database_url: str) -> None:
    """A second upgrade reads the revision and runs no DDL and no write."""
    upgrade(database_url)
    engine = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
    try:
        statements = _statements_of(engine)
        assert upgrade(engine) == HEAD
    finally:
        engine.dispose()
    writes = [
        s
        for s in statements
        if s.split(None, 1)[0].upper() in {"CREATE", "ALTER", "DROP", "INSERT", "UPDATE"}
    ]
    assert statements
    assert writes == []
    assert current(database_url) == HEAD


def test_the_migration_writes_what_create_all_writes(tmp_path: Path) -> None:
    """On SQLite the migrated tables and indexes have the very DDL ``METADATA.create_all`` gives
    (INTEGER PRIMARY KEY for ``seq``, so SQLite numbers the outbox rows itself)."""
    migrated, created = tmp_path / "migrated.db", tmp_path / "created.db"
    upgrade(f"sqlite:///{migrated}")
    engine = sa.create_engine(f"sqlite:///{created}")
    METADATA.create_all(engine)
    engine.dispose()

    def schema(path: Path) -> list[tuple[str, str]]:
        with sqlite3.connect(path) as db:
            rows = db.execute(
                "SELECT name, sql FROM sqlite_master WHERE name NOT LIKE '%alembic%' ORDER BY name"
            ).fetchall()
        db.close()
        return [(str(name), str(sql)) for name, sql in rows]

    assert schema(migrated) == schema(created)
    assert any("seq INTEGER NOT NULL" in sql for _, sql in schema(migrated))


def test_downgrade_to_base_removes_the_tables(database_url: str) -> None:
    """Alembic's other commands work through :func:`alembic_config`: down to base and up again."""
    upgrade(database_url)
    command.downgrade(alembic_config(database_url), "base")
    assert current(database_url) is None
    engine = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
    try:
        assert not {"ecs_aggregates", "ecs_outbox"} & set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert upgrade(database_url) == HEAD
    assert _differences(database_url) == []


def test_upgrades_racing_each_other_both_succeed(database_url: str) -> None:
    """Two processes upgrade one database at once: one migrates (holding PostgreSQL's advisory
    lock, or SQLite's write lock from BEGIN IMMEDIATE); the others wait, then find the database
    at the head. Threads of one process take turns."""
    spawn = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=spawn) as pool:
        assert list(pool.map(upgrade, [database_url] * 2)) == [HEAD] * 2
    assert _differences(database_url) == []
    with concurrent.futures.ThreadPoolExecutor(3) as threads:
        assert list(threads.map(upgrade, [database_url] * 3)) == [HEAD] * 3


def _locked(times: int, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Make Alembic's upgrade fail ``times`` times with SQLite's busy error, then work."""
    calls: list[int] = []
    real = command.upgrade

    def flaky(config: Any, revision: str, **options: Any) -> None:
        calls.append(1)
        if len(calls) <= times:
            raise sa.exc.OperationalError(
                "BEGIN IMMEDIATE", {}, sqlite3.OperationalError("database is locked")
            )
        real(config, revision, **options)

    monkeypatch.setattr(command, "upgrade", flaky)
    monkeypatch.setattr("ecservice.storage.sql.migrations.time.sleep", lambda _seconds: None)
    return calls


def test_an_upgrade_that_found_the_database_locked_is_run_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lock another upgrader held past the wait rolls nothing forward: the upgrade runs again."""
    calls = _locked(4, monkeypatch)
    assert upgrade(f"sqlite:///{tmp_path / 'shop.db'}") == HEAD
    assert len(calls) == 5


def test_a_lock_that_outlasts_every_attempt_is_a_migration_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After five attempts the busy error is reported, and the database was not migrated."""
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    calls = _locked(5, monkeypatch)
    with pytest.raises(MigrationError, match="database is locked"):
        upgrade(url)
    assert len(calls) == 5
    assert current(url) is None


def test_current_does_not_create_a_missing_sqlite_file(tmp_path: Path) -> None:
    """Asking for the revision of a file that is not there answers None and leaves no file."""
    path = tmp_path / "typo.db"
    assert current(f"sqlite:///{path}") is None
    assert not path.exists()


def test_offline_mode_writes_the_postgresql_ddl() -> None:
    """``alembic upgrade --sql`` (offline) writes PostgreSQL DDL with JSONB and an identity."""
    config = alembic_config("postgresql+psycopg://user@localhost/shop")
    config.output_buffer = io.StringIO()
    command.upgrade(config, "head", sql=True)
    sql = config.output_buffer.getvalue()
    assert "CREATE TABLE ecs_outbox" in sql
    assert "payload JSONB NOT NULL" in sql
    assert "seq BIGINT GENERATED BY DEFAULT AS IDENTITY" in sql
    assert "INSERT INTO alembic_version (version_num) VALUES ('0001')" in sql


def test_the_migration_files_are_package_resources() -> None:
    """env.py, the revision template and the revisions are inside the installed package."""
    folder = resources.files("ecservice.storage.sql.migrations")
    assert folder.joinpath("env.py").is_file()
    assert folder.joinpath("script.py.mako").is_file()
    assert folder.joinpath("versions").joinpath("0001_initial.py").is_file()


def test_an_unknown_revision_is_a_migration_error(tmp_path: Path) -> None:
    """Asking for a revision the package does not have is refused."""
    with pytest.raises(MigrationError, match=r"cannot upgrade sqlite:///.*: .*'0999'"):
        upgrade(f"sqlite:///{tmp_path / 'shop.db'}", "0999")


def test_a_database_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    """A database at a revision this package does not know is reported, not migrated."""
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    upgrade(url)
    with sqlite3.connect(tmp_path / "shop.db") as db:
        db.execute("UPDATE alembic_version SET version_num = '0042'")
    db.close()
    assert current(url) == "0042"
    with pytest.raises(MigrationError, match="0042"):
        upgrade(url)


def test_an_unreachable_server_is_an_error_without_the_password() -> None:
    """Connection failures are library errors; the password is never in the message."""
    url = "postgresql+psycopg://shop:s3cret-pw@127.0.0.1:1/shop?connect_timeout=2"
    for call in (upgrade, current):
        with pytest.raises(MigrationError) as caught:
            call(url)
        message = str(caught.value)
        assert isinstance(caught.value, EcServiceError)
        assert "s3cret-pw" not in message
        assert "postgresql+psycopg://shop:***@127.0.0.1:1/shop" in message


@pytest.mark.parametrize(
    "url", ["not a url", "postgresql+psycopg://shop:s3cret-pw@[::1/shop", "nosuchdb://x/y"]
)
def test_a_malformed_url_is_an_error_without_the_password(url: str) -> None:
    """A URL SQLAlchemy cannot parse, or whose dialect does not exist, is a MigrationError."""
    with pytest.raises(MigrationError) as caught:
        upgrade(url)
    assert "s3cret-pw" not in str(caught.value)


def test_shown_url_hides_the_password() -> None:
    """The URL as messages show it."""
    assert shown_url("postgresql+psycopg://u:p%40ss@h:5/d") == "postgresql+psycopg://u:***@h:5/d"
    assert shown_url("sqlite:///ecservice.db") == "sqlite:///ecservice.db"
    assert shown_url("::") == "(not a database URL)"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql+psycopg://shop:secret@db/shop", "postgresql+psycopg://shop:***@db/shop"),
        (
            "postgresql+psycopg://shop@db/shop?password=secret&sslmode=require",
            "postgresql+psycopg://shop@db/shop?password=***&sslmode=require",
        ),
        (
            "postgresql+psycopg://db/shop?sslpassword=secret",
            "postgresql+psycopg://db/shop?sslpassword=***",
        ),
    ],
)
def test_urls_are_shown_without_their_secrets(url: str, shown: str) -> None:
    """Messages and reprs never show a password, in the URL's user part or in its query."""
    from ecservice.storage.sql import SqlStore

    assert shown_url(url) == shown
    assert "secret" not in repr(SqlStore(url))


def test_upgrading_a_sqlite_file_switches_it_to_wal(tmp_path: Path) -> None:
    """The migrations leave a SQLite file in WAL mode, so the store's first connections need not
    switch it (which SQLite does only with the database to itself, without waiting)."""
    path = tmp_path / "shop.db"
    upgrade(f"sqlite:///{path}")
    with contextlib.closing(sqlite3.connect(path)) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
