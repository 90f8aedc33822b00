"""The storage benchmark's command line refuses a PostgreSQL server it cannot reach."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout: ``benchmarks``

from benchmarks import storage


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_an_unreachable_server_is_one_line_and_status_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = f"postgresql+psycopg://bench:secret@127.0.0.1:{_closed_port()}/nowhere"
    assert storage.main(["--quick", "--pg-url", url]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "cannot reach the PostgreSQL server" in err
    assert "--no-pg" in err
    assert "secret" not in err  # the password is hidden


def test_a_url_that_is_no_database_url_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert storage.main(["--quick", "--pg-url", "nonsense://"]) == 2
    assert "nonsense://" in capsys.readouterr().err


def test_unreachable_says_none_for_a_server_that_answers() -> None:
    import os

    url = os.environ.get("ECSERVICE_TEST_PG_URL")
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail("ECSERVICE_TEST_PG_URL is not set in CI")
        pytest.skip("no PostgreSQL server named (ECSERVICE_TEST_PG_URL)")
    assert storage.unreachable(url) is None
