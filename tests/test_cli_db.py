"""``ecservice db upgrade`` and ``ecservice db current``: the schema from the command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ecservice.cli import main
from tests.storage.pgdb import fresh_pg_database


def test_upgrade_then_current_on_sqlite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The first upgrade creates the schema, the second finds it done; current names the head."""
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    assert main(["db", "current", "--db", url]) == 0
    assert (
        capsys.readouterr().out == f"{url}: no ecservice schema (ecservice db upgrade creates it)\n"
    )
    assert not (tmp_path / "shop.db").exists()
    assert main(["db", "upgrade", "--db", url]) == 0
    assert capsys.readouterr().out == (
        f"{url}: upgraded from an empty database to revision 0009 (head)\n"
    )
    assert main(["db", "upgrade", "--db", url]) == 0
    assert capsys.readouterr().out == f"{url}: already at revision 0009 (head)\n"
    assert main(["db", "current", "--db", url]) == 0
    assert capsys.readouterr().out == f"{url}: revision 0009 (head)\n"


def test_the_default_database_is_a_file_in_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without --db the commands use ecservice.db in the current directory."""
    monkeypatch.chdir(tmp_path)
    assert main(["db", "upgrade"]) == 0
    assert (tmp_path / "ecservice.db").is_file()
    assert main(["db", "current"]) == 0
    assert capsys.readouterr().out.endswith("sqlite:///ecservice.db: revision 0009 (head)\n")


def test_upgrade_on_postgresql_never_prints_the_password(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """On PostgreSQL too; the URL is shown with its password masked."""
    with fresh_pg_database() as url:
        with_password = url.replace("postgres@", "postgres:pg-s3cret@", 1)
        assert "pg-s3cret" in with_password  # the server trusts loopback: any password works
        assert main(["db", "upgrade", "--db", with_password]) == 0
        assert main(["db", "current", "--db", with_password]) == 0
        out = capsys.readouterr().out
        assert "pg-s3cret" not in out
        assert out.count("postgres:***@") == 2
        assert out.endswith(": revision 0009 (head)\n")


def test_a_database_at_an_older_or_unknown_revision(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """current says when a database is not at this version's head; upgrade refuses a revision
    it does not know (a newer version wrote it)."""
    import sqlite3

    url = f"sqlite:///{tmp_path / 'shop.db'}"
    assert main(["db", "upgrade", "--db", url]) == 0
    with sqlite3.connect(tmp_path / "shop.db") as db:
        db.execute("UPDATE alembic_version SET version_num = '0042'")
    db.close()
    capsys.readouterr()
    assert main(["db", "current", "--db", url]) == 0
    assert capsys.readouterr().out == (
        f"{url}: revision 0042, unknown to this version (head 0009): written by a newer "
        "ecservice, which this one must not use or migrate\n"
    )
    assert main(["db", "upgrade", "--db", url]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"ecservice: cannot upgrade {url}: ")
    assert "0042" in err


@pytest.mark.parametrize("action", ["upgrade", "current"])
def test_an_unreachable_database_is_status_1_without_the_password(
    action: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A failure is one line on stderr, `ecservice: ...`, status 1; the password stays hidden."""
    url = "postgresql+psycopg://shop:s3cret-pw@127.0.0.1:1/shop?connect_timeout=2"
    assert main(["db", action, "--db", url]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("ecservice: cannot ")
    assert "postgresql+psycopg://shop:***@127.0.0.1:1/shop" in captured.err
    assert "s3cret-pw" not in captured.err
    assert captured.err.count("\n") == 1


@pytest.mark.parametrize("url", ["not a url", "mysql+nosuchdriver://u:s3cret-pw@h/d"])
def test_a_bad_url_is_status_1(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    """A URL that cannot be parsed or used is reported, without its password."""
    assert main(["db", "upgrade", "--db", url]) == 1
    err = capsys.readouterr().err
    assert err.startswith("ecservice: ")
    assert "s3cret-pw" not in err


def test_without_the_sql_extra_the_db_commands_say_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """When SQLAlchemy is missing, `ecservice db ...` names the extra to install, status 1."""
    for name in list(sys.modules):
        if name.startswith("ecservice.storage.sql"):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "sqlalchemy", None)  # makes `import sqlalchemy` fail
    for action in ("upgrade", "current"):
        assert main(["db", action]) == 1
        captured = capsys.readouterr()
        assert captured.out == ""
        assert captured.err == (
            "ecservice: the db commands need the sql extra: pip install 'ecservice[sql]'\n"
        )


def test_the_cli_imports_the_sql_modules_only_for_the_db_commands() -> None:
    """`import ecservice.cli` (and the other commands) do not need SQLAlchemy or Alembic."""
    code = (
        "import sys, ecservice.cli; "
        "print(sorted(m for m in ('sqlalchemy', 'alembic') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout == "[]\n"


@pytest.mark.parametrize("argv", [["db"], ["db", "downgrade"], ["db", "upgrade", "--url", "x"]])
def test_db_usage_errors_exit_with_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """A missing or unknown action, an unknown option: argparse reports it, status 2."""
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert "usage: ecservice" in capsys.readouterr().err


def test_current_tells_an_older_database_to_upgrade(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A database at an earlier revision of this package is told to upgrade."""
    from ecservice.storage.sql.migrations import upgrade

    url = f"sqlite:///{tmp_path / 'shop.db'}"
    assert upgrade(url, "0001") == "0001"
    assert main(["db", "current", "--db", url]) == 0
    assert capsys.readouterr().out == (
        f"{url}: revision 0001, older than this version's head 0009 "
        "(ecservice db upgrade migrates it)\n"
    )
