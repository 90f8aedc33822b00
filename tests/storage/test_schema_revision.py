"""The schema revision is checked: check_revision refuses a database at an older, unknown or
no revision (accepting one made by create_schema); upgrade refuses a revision it cannot reach;
a gateway on a database without its tables says so instead of asking to call again; a relay
refuses what is not a store or an engine."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from ecservice.errors import ValidationError
from ecservice.money import Money
from ecservice.payments import Instrument, InstrumentKind
from ecservice.storage.sql import METADATA, OutboxRelay, SqlGateway, SqlStore
from ecservice.storage.sql._revision import check_revision, known_revisions
from ecservice.storage.sql.migrations import MigrationError, current, head, upgrade
from tests.storage.pgdb import fresh_pg_database


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each kind (a fresh one on PostgreSQL)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'shop.db'}"
        return
    with fresh_pg_database() as fresh:
        yield fresh


def checked(url: str) -> None:
    engine = SqlStore(url).engine
    try:
        check_revision(engine)
    finally:
        engine.dispose()


def set_revision(url: str, revision: str) -> None:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
    engine.dispose()


# --- check_revision ------------------------------------------------------------------------------


def test_the_known_revisions_are_the_migrations_own() -> None:
    assert known_revisions()[-1] == head()
    assert known_revisions() == tuple(f"{n:04d}" for n in range(1, len(known_revisions()) + 1))


def test_a_database_at_the_head_is_accepted(url: str) -> None:
    upgrade(url)
    checked(url)


def test_a_database_made_by_create_schema_is_accepted(url: str) -> None:
    store = SqlStore(url)
    store.create_schema()
    try:
        check_revision(store.engine)
    finally:
        store.dispose()


def test_an_older_revision_is_refused_with_the_command_to_run(url: str) -> None:
    upgrade(url, "0005")
    with pytest.raises(MigrationError) as raised:
        checked(url)
    message = str(raised.value)
    assert f"is at schema revision 0005, older than revision {head()}" in message
    assert "ecservice db upgrade --db URL" in message


def test_an_unknown_revision_is_refused_as_written_by_a_newer_version(url: str) -> None:
    upgrade(url)
    set_revision(url, "0042")
    with pytest.raises(MigrationError, match="0042, which this version of ecservice does not"):
        checked(url)


def test_an_empty_database_is_refused_with_both_ways_to_make_the_schema(url: str) -> None:
    with pytest.raises(MigrationError, match="has no ecservice schema") as raised:
        checked(url)
    assert "ecservice db upgrade" in str(raised.value)
    assert "create_schema()" in str(raised.value)


def test_tables_of_an_older_create_schema_are_refused_naming_the_missing_ones(url: str) -> None:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    METADATA.create_all(engine, tables=[METADATA.tables["ecs_aggregates"]])
    engine.dispose()
    with pytest.raises(MigrationError, match="lacks the table") as raised:
        checked(url)
    assert "ecs_outbox" in str(raised.value)
    assert "ecs_aggregates" not in str(raised.value).split("lacks")[1]


def test_the_message_never_shows_the_password() -> None:
    engine = sa.create_engine("sqlite://")
    engine.url = engine.url.set(password="s3cret")  # as a URL with a password would show
    with pytest.raises(MigrationError) as raised:
        check_revision(engine)
    assert "s3cret" not in str(raised.value)


# --- upgrade's revision --------------------------------------------------------------------------


@pytest.mark.parametrize("revision", [None, 5, b"0001"])
def test_upgrade_refuses_a_revision_that_is_not_text(revision: object, tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'shop.db'}"
    with pytest.raises(ValidationError, match="revision must be 'head' or one of the revisions"):
        upgrade(database, revision)  # type: ignore[arg-type]
    assert not (tmp_path / "shop.db").exists()


@pytest.mark.parametrize("revision", ["heads", "+1", "0042", ""])
def test_upgrade_refuses_a_revision_it_does_not_ship(revision: str, tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'shop.db'}"
    with pytest.raises(
        MigrationError, match=f"one of the revisions this package ships \\(0001 to {head()}\\)"
    ):
        upgrade(database, revision)
    assert not (tmp_path / "shop.db").exists()


def test_upgrade_to_an_older_revision_than_the_database_is_refused(url: str) -> None:
    upgrade(url)
    with pytest.raises(MigrationError, match=f"is at revision {head()}, newer than 0001"):
        upgrade(url, "0001")
    assert current(url) == head()


def test_upgrade_to_the_revision_the_database_is_at_or_later_still_works(url: str) -> None:
    assert upgrade(url, "0003") == "0003"
    assert upgrade(url, "0003") == "0003"
    assert upgrade(url, "0005") == "0005"
    assert upgrade(url) == head()


# --- the gateway and the relay -------------------------------------------------------------------


def test_a_gateway_on_a_database_without_its_tables_says_to_upgrade(tmp_path: Path) -> None:
    gateway = SqlGateway(f"sqlite:///{tmp_path / 'gw.db'}", name="demo")
    card = Instrument(InstrumentKind.CARD, "tok_1")
    try:
        with pytest.raises(MigrationError, match="lacks the gateway's table") as raised:
            gateway.fund(card, Money("100.00", "CNY"))
        assert "ecservice db upgrade" in str(raised.value)
        with pytest.raises(MigrationError, match="ecs_gw_accounts"):
            gateway.merchant_balance("CNY")
        with pytest.raises(MigrationError, match="ecs_gw_entries"):
            gateway.audit("CNY")
    finally:
        gateway.dispose()


@pytest.mark.parametrize("target", [None, "sqlite://", 42])
def test_a_relay_refuses_what_is_not_a_store_or_an_engine(target: object) -> None:
    with pytest.raises(ValidationError, match="engine_or_store must be a SqlStore or"):
        OutboxRelay(target, print)  # type: ignore[arg-type]


def test_a_relay_refuses_a_clock_that_is_not_one() -> None:
    store = SqlStore("sqlite://")
    try:
        with pytest.raises(ValidationError, match="clock must be a Clock"):
            OutboxRelay(store, print, clock="now")  # type: ignore[arg-type]
    finally:
        store.dispose()
