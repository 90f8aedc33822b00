"""One ``ecservice demo`` run at a time on a database: the run's lock and its workers' locks.

Private to the demo (:mod:`ecservice._demo` holds them). A run holds the run lock from start to
end; each of its worker processes holds a lock of its own while it works. A run that finds the
run lock held, or a worker's lock held after a short wait (the workers of a run killed with
``kill -9`` end within moments, :func:`~ecservice._demo_workers.exit_with_parent`), refuses
with :class:`DatabaseInUse` instead of racing them.

The locks die with the processes that hold them, however they end, so nothing is ever left to
clean up by hand:

- on PostgreSQL, session advisory locks (``pg_try_advisory_lock(key, n)``) on a connection
  of their own, released when it closes;
- beside an SQLite file ``shop.db``, byte-range locks on a file ``shop.db.lock`` (``fcntl``
  record locks on POSIX, ``msvcrt.locking`` on Windows), released when the process ends; the
  file itself stays, empty;
- a store in memory needs none (one process sees it).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any, Final

from ecservice.errors import StorageUnavailable

__all__ = ["LOCK_SUFFIX", "WORKER_SLOTS", "DatabaseInUse", "DemoLock", "hold_run", "hold_worker"]

#: The advisory lock's first key on PostgreSQL (``ecsd`` in ASCII); the second is 0 for the
#: run, ``1 + w`` for worker ``w``.
_PG_KEY: Final = 0x65637364
#: The suffix of the lock file beside an SQLite file.
LOCK_SUFFIX: Final = ".lock"
#: How many worker locks a run checks: ``ecservice._demo.MAX_WORKERS``.
WORKER_SLOTS: Final = 32
#: How long a run waits for the workers of an ended run to end, in seconds.
_WORKERS_GRACE: Final = 5.0


class DatabaseInUse(StorageUnavailable):
    """Another ``ecservice demo`` run, or worker processes of one, use the database; this run
    stored nothing (only the schema may have been created or upgraded)."""


class DemoLock:
    """A lock held on a demo's database (or nothing, for a store in memory); :meth:`release`
    lets it go (so does the end of the process)."""

    def __init__(self, db: str | None) -> None:
        self._shown = db or "memory"
        self._pg: Any = None  # the connection holding the advisory locks
        self._fd: int | None = None  # the lock file, beside an SQLite file
        if db is None:
            return
        import sqlalchemy as sa

        url = sa.make_url(db)
        self._shown = url.render_as_string(hide_password=True)
        backend = url.get_backend_name()
        if backend == "postgresql":
            engine = sa.create_engine(url, poolclass=sa.NullPool)
            connection = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            self._pg = (engine, connection)
        elif backend == "sqlite" and url.database not in (None, "", ":memory:"):
            path = Path(url.database or "")
            lock = path.with_name(path.name + LOCK_SUFFIX)
            try:
                self._fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as exc:
                raise StorageUnavailable(
                    f"cannot open the demo's lock file {lock}: {exc.strerror or exc}"
                ) from None

    def take(self, slot: int) -> bool:
        """Take lock ``slot`` (0: the run, ``1 + w``: worker ``w``) without waiting; whether
        it was free."""
        if self._pg is not None:
            import sqlalchemy as sa

            query = sa.text(
                "SELECT pg_try_advisory_lock(CAST(:key AS integer), CAST(:slot AS integer))"
            )
            got: bool = self._pg[1].execute(query, {"key": _PG_KEY, "slot": slot}).scalar_one()
            return got
        if self._fd is not None:
            return _lock_byte(self._fd, slot, take=True)
        return True

    def give_back(self, slot: int) -> None:
        """Release lock ``slot``, taken by :meth:`take`."""
        if self._pg is not None:
            import sqlalchemy as sa

            query = sa.text(
                "SELECT pg_advisory_unlock(CAST(:key AS integer), CAST(:slot AS integer))"
            )
            self._pg[1].execute(query, {"key": _PG_KEY, "slot": slot})
        elif self._fd is not None:
            _lock_byte(self._fd, slot, take=False)

    def release(self) -> None:
        """Let every lock go; closes the connection or file."""
        if self._pg is not None:
            engine, connection = self._pg
            self._pg = None
            connection.close()
            engine.dispose()
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)  # also releases its locks

    def in_use(self, *, workers: bool = False) -> str:
        """Why a run cannot start on this database: another run uses it, or (``workers``)
        worker processes of another run do."""
        who = (
            "worker processes of another ecservice demo run still use"
            if workers
            else "another ecservice demo run is using"
        )
        return (
            f"{who} {self._shown}, so this run stored nothing: wait until they end, or stop "
            "them, and run again"
        )


def _lock_byte(fd: int, offset: int, *, take: bool) -> bool:
    if sys.platform == "win32":  # pragma: no cover
        import msvcrt

        os.lseek(fd, offset, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK if take else msvcrt.LK_UNLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB if take else fcntl.LOCK_UN, 1, offset)
    except OSError:
        return False
    return True


def hold_run(db: str | None) -> DemoLock:
    """The run lock on ``db`` (an SQLAlchemy URL; ``None`` for a store in memory), once no
    worker of another run holds its lock (waiting a few seconds for those of an ended run).

    Raises:
        DatabaseInUse: another run holds the run lock, or workers still hold theirs.
        StorageUnavailable: the lock file cannot be opened, or PostgreSQL cannot be reached.
    """
    lock = DemoLock(db)
    try:
        if not lock.take(0):
            raise DatabaseInUse(lock.in_use())
        deadline = time.monotonic() + _WORKERS_GRACE
        for slot in range(1, WORKER_SLOTS + 1):
            while not lock.take(slot):
                if time.monotonic() > deadline:
                    raise DatabaseInUse(lock.in_use(workers=True))
                time.sleep(0.05)
            lock.give_back(slot)
    except BaseException:
        lock.release()
        raise
    return lock


def hold_worker(db: str | None, worker: int) -> DemoLock:
    """Worker ``worker``'s lock on ``db``, for as long as it works.

    Raises:
        DatabaseInUse: another process holds it (a worker of another run).
    """
    lock = DemoLock(db)
    if not lock.take(1 + worker):
        lock.release()
        raise DatabaseInUse(lock.in_use(workers=True))
    return lock
