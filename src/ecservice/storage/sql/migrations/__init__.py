"""The SQL schema's migrations (Alembic), shipped in the package, run without ``alembic.ini``.

:func:`upgrade` brings a database to the newest schema (or to a given revision) and
:func:`current` tells which revision a database is at; the command line's ``ecservice db
upgrade`` and ``ecservice db current`` call them. Alembic's own ``alembic_version`` table
records the revision. The revisions live in this package's ``versions`` folder
(``0001_initial.py``: the tables ``ecs_aggregates`` and ``ecs_outbox``;
``0002_gateway_ledger.py``: the SQL gateway's ``ecs_gw_*`` tables; ``0003_mint_book.py``: an
e-cash mint's ``ecs_mint_*`` tables); :func:`alembic_config`
gives an Alembic ``Config`` for every other Alembic command (``history``, ``downgrade``,
``revision --autogenerate`` against :data:`ecservice.storage.sql.METADATA`).

Upgrading is safe to repeat (a database at the head is left alone) and to run from several
processes at once: on PostgreSQL the whole upgrade is one transaction holding an advisory lock,
so a second upgrader waits, then finds the work done; on SQLite it is one ``BEGIN IMMEDIATE``
transaction. Within one process, upgrades run one at a time (Alembic keeps its state in module
globals).

Failures raise :class:`MigrationError`, whose message never shows the URL's password.
"""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError

from ecservice._shown import shown
from ecservice.errors import EcServiceError, ValidationError
from ecservice.storage.sql._retry import is_transient, masked_url
from ecservice.storage.sql.migrations._environment import migration_engine

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "MigrationError",
    "alembic_config",
    "current",
    "head",
    "shown_url",
    "upgrade",
]

#: Alembic keeps the running command's context in module globals: one command at a time per
#: process (processes are kept apart by the database itself).
_ALEMBIC_LOCK: Final = threading.Lock()

#: How many times an upgrade whose lock wait ran out is tried before it fails.
_UPGRADE_ATTEMPTS: Final = 5

#: The folder holding ``env.py``, ``script.py.mako`` and ``versions/``.
SCRIPT_LOCATION: Final = Path(__file__).resolve().parent


class MigrationError(EcServiceError):
    """The database could not be reached, read or migrated (the message says why)."""


def _url(url: str | sa.URL) -> sa.URL:
    try:
        return sa.make_url(url)
    except (sa.exc.ArgumentError, ValueError):
        # SQLAlchemy's own message repeats the whole string, password included.
        raise MigrationError(
            "not a database URL: expected dialect[+driver]://user@host/database, for example "
            "sqlite:///ecservice.db or postgresql+psycopg://user@localhost/shop"
        ) from None


def shown_url(url: str | sa.URL | sa.Engine) -> str:
    """``url`` as text with its password (and any secret in its query, such as
    ``?password=...``) replaced by ``***``, for messages.

    >>> shown_url("postgresql+psycopg://shop:secret@db.internal/shop")
    'postgresql+psycopg://shop:***@db.internal/shop'

    Args:
        url: a database URL, or an engine (its URL is shown).
    """
    if isinstance(url, sa.Engine):
        url = url.url
    try:
        return masked_url(sa.make_url(url))
    except (sa.exc.ArgumentError, ValueError):
        return "(not a database URL)"


def alembic_config(url: str | sa.URL | None = None) -> Config:
    """An Alembic ``Config`` for this package's migrations, with ``url`` as ``sqlalchemy.url``.

    For Alembic's other commands, for example ``alembic.command.history(alembic_config())`` or
    ``alembic.command.downgrade(alembic_config(url), "base")``. New revisions are written as
    ``versions/NNNN_message.py``: pass ``rev_id="0006"`` (the next number) to
    ``alembic.command.revision``.

    Args:
        url: the database the commands work on (``None`` for those that need none:
            ``history``, ``heads``, ``revision`` without autogenerate).

    Raises:
        MigrationError: ``url`` is not a database URL.
    """
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    config.set_main_option("path_separator", "os")
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    if url is not None:
        text = _url(url).render_as_string(hide_password=False)
        config.set_main_option("sqlalchemy.url", text.replace("%", "%%"))
    return config


def head() -> str:
    """The newest revision this package ships (``"0001"``, ``"0002"``, ... : the highest)."""
    found = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert found is not None, "the migrations folder has no revision"
    return found


def _revisions() -> tuple[str, ...]:
    """The revisions this package ships, oldest first (``"0001"``, ``"0002"``, ...)."""
    script = ScriptDirectory.from_config(alembic_config())
    return tuple(reversed([r.revision for r in script.walk_revisions()]))


def _target(revision: object, url: str | sa.URL | sa.Engine) -> str:
    """``revision`` checked: ``"head"`` or a revision this package ships."""
    known = _revisions()
    if revision == "head" or (type(revision) is str and revision in known):
        assert isinstance(revision, str)
        return revision
    allowed = (
        f"revision must be 'head' or one of the revisions this package ships "
        f"({known[0]} to {known[-1]}), not {shown(revision, 40)}"
    )
    if type(revision) is not str:
        raise ValidationError(allowed)
    raise MigrationError(f"cannot upgrade {shown_url(url)}: {allowed}")


def _not_behind(found: str | None, target: str, url: sa.URL) -> None:
    """Refuse to 'upgrade' a database that is already past ``target`` (nothing would be
    done, and the caller would believe it at ``target``)."""
    if found is None or target == "head":
        return
    known = _revisions()
    if found in known and known.index(found) > known.index(target):
        raise MigrationError(
            f"the database at {shown_url(url)} is at revision {found}, newer than {target}: "
            "upgrade never goes back. Use the newest revision (upgrade(url) or "
            f"'ecservice db upgrade'), or downgrade on purpose with "
            f"alembic.command.downgrade(alembic_config(url), {target!r}), which drops what the "
            "later revisions added"
        )


class _Connect:
    """Engine handling shared by :func:`upgrade` and :func:`current`: an engine made from a URL
    is disposed of afterwards; one passed in is the caller's."""

    def __init__(self, url: str | sa.URL | sa.Engine) -> None:
        if isinstance(url, sa.Engine):
            self.engine, self.owned = url, False
        else:
            parsed = _url(url)
            try:
                self.engine, self.owned = migration_engine(parsed), True
            except (sa.exc.SQLAlchemyError, ImportError) as exc:
                raise _error("cannot open", parsed, exc) from exc

    def close(self) -> None:
        if self.owned:
            self.engine.dispose()


def _message(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    text = str(orig if isinstance(orig, BaseException) else exc).strip()
    text = re.sub(r"\s*\(Background on this error at: [^)]*\)", "", text)
    return " ".join(text.split()) or type(exc).__name__


def _error(doing: str, url: sa.URL, exc: BaseException) -> MigrationError:
    message = _message(exc)
    if url.password:
        message = message.replace(str(url.password), "***")
    if isinstance(exc, ImportError):
        message = (
            f"the database driver is not installed ({message}); "
            "pip install 'ecservice[sql]' brings psycopg, the PostgreSQL driver"
        )
    return MigrationError(f"{doing} {shown_url(url)}: {message}")


def _guarded(doing: str, connect: _Connect, work: Callable[[sa.Engine], Any]) -> Any:
    try:
        return work(connect.engine)
    except (sa.exc.SQLAlchemyError, CommandError, ImportError, OSError) as exc:
        raise _error(doing, connect.engine.url, exc) from exc
    finally:
        connect.close()


def _missing_sqlite_file(url: sa.URL) -> bool:
    """Whether ``url`` names an SQLite file that does not exist (reading must not create it)."""
    if url.get_backend_name() != "sqlite" or url.query.get("uri"):
        return False
    database = url.database or ""
    return database not in ("", ":memory:") and not Path(database).exists()


def current(url: str | sa.URL | sa.Engine) -> str | None:
    """The revision the database at ``url`` is at; ``None`` when it has no ecservice schema.

    An SQLite file that does not exist is not created: its revision is ``None``.

    Args:
        url: a SQLAlchemy database URL, or an engine, used as it is.

    Raises:
        MigrationError: the database cannot be reached or read.
    """
    if not isinstance(url, sa.Engine) and _missing_sqlite_file(_url(url)):
        return None

    def read(engine: sa.Engine) -> str | None:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    found: str | None = _guarded("cannot read the schema revision of", _Connect(url), read)
    return found


def upgrade(url: str | sa.URL | sa.Engine, revision: str = "head") -> str | None:
    """Migrate the database at ``url`` to ``revision`` (the newest by default); returns the
    revision it is then at.

    A database at ``revision`` already is left unchanged. An upgrade is one transaction; one
    that waited too long for another upgrader's lock (SQLite busy, a PostgreSQL deadlock) is
    run again, up to 5 times.

    >>> upgrade("sqlite://") == head()  # an in-memory database, gone with its connection
    True

    Args:
        url: a SQLAlchemy database URL (``sqlite:///ecservice.db``,
            ``postgresql+psycopg://user@host/shop``), or an engine, used as it is.
        revision: the revision to reach: ``"head"`` (the newest), or a revision id this
            package ships (``"0001"``, ``"0002"``, ...).

    Raises:
        ValidationError: ``revision`` is not a str (nothing is done).
        MigrationError: ``revision`` is neither ``"head"`` nor a revision this package ships
            (nothing is done), the database cannot be reached, it is at a revision newer than
            ``revision`` (an upgrade never goes back: nothing is done), it is at a revision
            this package does not know (written by a newer version), or a migration step
            fails (the transaction is rolled back).
    """
    target = _target(revision, url)

    def once(engine: sa.Engine) -> str | None:
        config = alembic_config()
        with _ALEMBIC_LOCK, engine.connect() as connection:
            _not_behind(
                MigrationContext.configure(connection).get_current_revision(),
                target,
                engine.url,
            )
            config.attributes["connection"] = connection
            command.upgrade(config, target)
            connection.commit()
            return MigrationContext.configure(connection).get_current_revision()

    def run(engine: sa.Engine) -> str | None:
        # An upgrade is one transaction: when another upgrader's lock outlasts the wait (SQLite
        # busy, a PostgreSQL deadlock), nothing was changed and running it again is safe.
        for attempt in range(_UPGRADE_ATTEMPTS):
            try:
                return once(engine)
            except sa.exc.DBAPIError as exc:
                if not is_transient(exc) or attempt == _UPGRADE_ATTEMPTS - 1:
                    raise
                time.sleep(0.05 * 2**attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    found: str | None = _guarded("cannot upgrade", _Connect(url), run)
    return found
