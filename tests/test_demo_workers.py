"""The worker processes of ``ecservice demo --workers K``: they end with their parent, Ctrl-C
stops them, a failure is reported in a sentence, and one run at a time uses a database."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ecservice._demo import MAX_WORKERS, run_demo
from ecservice._demo_lock import WORKER_SLOTS, DatabaseInUse, hold_run, hold_worker
from ecservice._demo_workers import DemoWorkerFailed, run_workers
from ecservice.cli import main
from tests.demo_worker_targets import dies, one_fails
from tests.test_cli import _stored

on_linux = pytest.mark.skipif(
    not Path("/proc/self/stat").exists(), reason="lists the processes of a group through /proc"
)


def _alive_in_group(group: int) -> list[int]:
    """The processes of process group ``group`` that have not ended (zombies excluded)."""
    alive = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # it ended meanwhile
            continue
        # pid (comm) state ppid pgrp ...: comm may hold spaces and brackets.
        state, _ppid, pgrp = stat.rpartition(")")[2].split()[:3]
        if int(pgrp) == group and state not in ("Z", "X"):
            alive.append(int(entry.name))
    return alive


@contextlib.contextmanager
def _demo_in_a_group(argv: list[str], *, stderr: Any = None) -> Iterator[subprocess.Popen[str]]:
    """``ecservice`` run with ``argv`` in a process group of its own (its workers with it);
    whatever is left of the group is killed at the end."""
    code = f"from ecservice.cli import main; raise SystemExit(main({argv!r}))"
    process = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.DEVNULL,
        stderr=stderr,
        text=True,
        start_new_session=True,
    )
    try:
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _wait_until_stored(process: subprocess.Popen[str], path: Path, orders: int) -> None:
    deadline = time.monotonic() + 120
    while _stored(path) < orders:
        assert process.poll() is None, "the run ended before it could be stopped"
        assert time.monotonic() < deadline
        time.sleep(0.01)


def _assert_group_ends(group: int, within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while left := _alive_in_group(group):
        assert time.monotonic() < deadline, f"still running: {left}"
        time.sleep(0.01)


@on_linux
def test_workers_end_when_their_parent_is_killed_and_the_next_run_continues(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """kill -9 of the parent alone (not its group): its three workers end within moments
    instead of storing orders on their own, and the next run continues the database with the
    money conserved."""
    path = tmp_path / "shop.db"
    url = f"sqlite:///{path}"
    with _demo_in_a_group(["demo", "--orders", "300", "--db", url, "--workers", "3"]) as process:
        _wait_until_stored(process, path, 60)
        workers = [pid for pid in _alive_in_group(process.pid) if pid != process.pid]
        assert len(workers) >= 3  # the workers, and multiprocessing's resource tracker
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        _assert_group_ends(process.pid)
    killed = _stored(path)
    assert main(["demo", "--orders", "50", "--seed", "9", "--db", url]) == 0
    out = capsys.readouterr().out
    assert "money conserved:        yes" in out
    assert f"({killed} from earlier runs" in out


@on_linux
def test_ctrl_c_stops_the_workers_with_status_130_and_a_message(tmp_path: Path) -> None:
    """Ctrl-C (SIGINT to the whole group, as a terminal sends it): the run stops its workers,
    says so in a sentence on standard error, no traceback, and exits with status 130."""
    path = tmp_path / "shop.db"
    url = f"sqlite:///{path}"
    argv = ["demo", "--orders", "300", "--db", url, "--workers", "2"]
    with _demo_in_a_group(argv, stderr=subprocess.PIPE) as process:
        _wait_until_stored(process, path, 30)
        os.killpg(process.pid, signal.SIGINT)
        _, err = process.communicate(timeout=60)
        assert process.returncode == 130, err
        _assert_group_ends(process.pid)
    assert "Traceback" not in err
    assert err.startswith("ecservice: the demo was interrupted; what it stored is kept"), err
    assert len(err.strip().splitlines()) == 1
    again = run_demo(20, seed=9, db=url)
    assert again.money_conserved, again.gateway_problems


def test_a_failed_worker_is_named_with_its_own_error_not_a_broken_barrier() -> None:
    """The error of the worker that failed comes first, not the BrokenBarrierError the others
    saw; its summary is one paragraph without the traceback."""
    with pytest.raises(DemoWorkerFailed) as caught:
        run_workers(3, one_fails, ("x",), days=1, progress=None)
    error = caught.value
    assert (error.worker, error.workers, error.error) == (1, 3, "ValidationError")
    assert error.summary == (
        "demo worker 1 of 3 failed: ValidationError: tracking events must arrive in order, "
        "not after 12:00"
    )
    assert "raise ValidationError" in error.where
    assert str(error).startswith("demo worker 1 failed: ValidationError: tracking events")


def test_a_worker_that_dies_without_reporting_stops_the_run() -> None:
    with pytest.raises(DemoWorkerFailed) as caught:
        run_workers(2, dies, ("x",), days=1, progress=None)
    assert caught.value.summary == "demo worker 0 of 2 ended without reporting (exit code 7)"


def test_the_cli_reports_a_failed_worker_in_a_sentence(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Exit status 1 and one line on standard error: which worker, the error's type and
    text; no traceback."""

    def fails(*_args: object, **_kwargs: object) -> None:
        raise DemoWorkerFailed(
            0, 3, "TrackingOutOfOrder", "event at 08:00 is before 09:00", "File ...\n  raise"
        )

    monkeypatch.setattr("ecservice.cli.run_demo", fails)
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    assert main(["demo", "--orders", "10", "--workers", "3", "--db", url]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        "ecservice: demo worker 0 of 3 failed: TrackingOutOfOrder: event at 08:00 is before "
        "09:00; the run stopped its other workers; what it stored is kept, and the next run "
        "on the database continues it\n"
    )


def _holder(what: str) -> subprocess.Popen[str]:
    """Another process holding ``what`` (a call of the lock module), until its input closes."""
    code = (
        "import sys\nfrom ecservice._demo_lock import hold_run, hold_worker\n"
        f"lock = {what}\nprint('held', flush=True)\nsys.stdin.read()\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None
    assert holder.stdout.readline() == "held\n"
    return holder


def _release(holder: subprocess.Popen[str]) -> None:
    assert holder.stdin is not None
    holder.stdin.close()
    assert holder.wait(timeout=30) == 0


@contextlib.contextmanager
def _database(kind: str, tmp_path: Path) -> Iterator[tuple[str, Path | None]]:
    if kind == "sqlite":
        path = tmp_path / "shop.db"
        yield f"sqlite:///{path}", path
        return
    from tests.storage.pgdb import fresh_pg_database

    with fresh_pg_database() as url:
        yield url, None


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_run_refuses_a_database_another_run_uses(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """While another process holds the run's lock on the database, a run stores nothing and
    says why (exit status 1); once it ends, the run goes ahead."""
    with _database(kind, tmp_path) as (url, path):
        holder = _holder(f"hold_run({url!r})")
        try:
            assert main(["demo", "--orders", "5", "--db", url]) == 1
            err = capsys.readouterr().err
            assert "ecservice: another ecservice demo run is using" in err
            assert "so this run stored nothing" in err
            if path is not None:
                assert _stored(path) == 0
                assert path.with_name("shop.db.lock").exists()
        finally:
            _release(holder)
        assert run_demo(5, db=url).stored_orders == 5


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_run_waits_a_little_for_workers_of_another_then_refuses(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Worker processes of an ended run still holding their locks: a run waits (they end
    within moments), then refuses rather than racing them."""
    monkeypatch.setattr("ecservice._demo_lock._WORKERS_GRACE", 0.3)
    with _database(kind, tmp_path) as (url, _):
        holder = _holder(f"hold_worker({url!r}, {MAX_WORKERS - 1})")
        try:
            started = time.monotonic()
            with pytest.raises(DatabaseInUse, match="worker processes of another ecservice"):
                hold_run(url)
            assert time.monotonic() - started >= 0.3
        finally:
            _release(holder)
        hold_run(url).release()
        worker = hold_worker(url, 0)
        worker.release()


def test_every_worker_has_a_lock_of_its_own() -> None:
    assert WORKER_SLOTS >= MAX_WORKERS
