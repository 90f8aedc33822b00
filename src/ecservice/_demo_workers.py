"""The worker processes of ``ecservice demo --workers K``: started, watched, stopped.

Private to the demo (:mod:`ecservice._demo` runs its plan in them). A worker ends as soon as the
process that started it ends, however it ends (:func:`exit_with_parent`); Ctrl-C is the
parent's, which stops the workers itself; a worker's failure reaches the parent as a
:class:`DemoWorkerFailed`.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import signal
import threading
import traceback
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Final, Generic, TypeVar

import attrs

if TYPE_CHECKING:
    from multiprocessing.synchronize import Barrier

__all__ = [
    "ORPHANED",
    "DemoWorkerFailed",
    "Outcome",
    "exit_with_parent",
    "failed",
    "run_workers",
    "sigint_ignored",
]

T = TypeVar("T")

#: The exit status of a worker process that stopped because its parent had ended.
ORPHANED: Final = 3


@attrs.frozen
class Outcome(Generic[T]):
    """What a worker process reports when it ends: what it counted, or the error that ended it
    (its type's name, its text, and the last lines of its traceback)."""

    worker: int
    tally: T | None = None
    error: str = ""
    text: str = ""
    where: str = ""


def failed(worker: int, exc: BaseException) -> Outcome[Any]:
    """The outcome of ``worker`` ended by ``exc``."""
    where = "".join(traceback.format_exception(exc)[-3:]).strip()
    return Outcome(worker, error=type(exc).__name__, text=str(exc), where=where)


class DemoWorkerFailed(RuntimeError):
    """A worker process of ``ecservice demo --workers K`` failed.

    Attributes:
        worker: which worker (0 to ``workers - 1``).
        workers: how many workers the run had.
        error: the name of the error's type (``"StorageUnavailable"``), or ``"exit code N"``
            for a worker that ended without reporting (killed, out of memory).
        text: the error's message (empty for an exit code).
        where: the last lines of the worker's traceback (empty for an exit code).
    """

    def __init__(self, worker: int, workers: int, error: str, text: str, where: str = "") -> None:
        self.worker = worker
        self.workers = workers
        self.error = error
        self.text = text
        self.where = where
        detail = f"{error}: {text}" if text else error
        super().__init__(f"demo worker {worker} failed: {detail}" + (f"\n{where}" if where else ""))

    @property
    def summary(self) -> str:
        """One paragraph: which worker failed, the error's type and its text (on one line),
        without the traceback."""
        text = " ".join(self.text.split())
        if not text:
            return (
                f"demo worker {self.worker} of {self.workers} ended without reporting "
                f"({self.error})"
            )
        return f"demo worker {self.worker} of {self.workers} failed: {self.error}: {text}"


def exit_with_parent() -> None:
    """End this process as soon as its parent process ends, however it ends.

    A parent killed with ``SIGKILL`` (``kill -9``) cannot stop its children, and
    ``daemon=True`` only stops them when the parent exits normally: without this, the workers
    would go on storing orders alone, racing the next run on the same database. A thread waits
    on the parent's sentinel (:func:`multiprocessing.parent_process`: a pipe whose other end
    only the parent holds, on POSIX; the parent's process handle on Windows) and ends the
    process with :func:`os._exit` (status :data:`ORPHANED`) when it fires. That is as safe as
    ``kill -9`` of the worker, which the demo survives at any point: every unit of work commits
    whole or not at all, and every call to the gateway carries an idempotency key derived from
    what is stored. Nothing happens in a process that :mod:`multiprocessing` did not start.
    """
    parent = multiprocessing.parent_process()
    if parent is None:
        return
    if not parent.is_alive():  # ended while this process started
        os._exit(ORPHANED)

    def watch() -> None:
        parent.join()
        os._exit(ORPHANED)

    threading.Thread(target=watch, name="ecservice-demo-parent", daemon=True).start()


@contextlib.contextmanager
def sigint_ignored() -> Iterator[None]:
    """Ignore Ctrl-C (``SIGINT``) within the block, when in the main thread (elsewhere signals
    cannot be set, and nothing changes). Processes started meanwhile inherit the setting, so
    that a Ctrl-C while a worker imports its modules reaches only the parent."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)


def run_workers(
    workers: int,
    target: Callable[..., None],
    args: tuple[Any, ...],
    *,
    days: int,
    progress: Callable[[int, int], None] | None,
) -> list[T]:
    """Run ``target(*args, worker, barrier, days_done, results)`` in ``workers`` processes
    (``spawn``); return what they counted, by worker.

    Each worker puts one :class:`Outcome` in ``results`` when it ends; worker 0 puts the days
    it has done in ``days_done``, passed on to ``progress`` with ``days``. The target calls
    :func:`exit_with_parent` and ignores ``SIGINT`` first.

    Raises:
        DemoWorkerFailed: a worker failed (the first error raised by a worker itself, not one
            that only saw another's failure break the barrier) or ended without reporting;
            the other workers are stopped.
        KeyboardInterrupt: Ctrl-C, once the workers are stopped.
    """
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(workers)
    days_done: multiprocessing.Queue[int] = context.Queue()
    results: multiprocessing.Queue[Outcome[T]] = context.Queue()
    processes = [
        context.Process(target=target, args=(*args, w, barrier, days_done, results), daemon=True)
        for w in range(workers)
    ]
    reported = 0
    finished: list[Outcome[T]] = []
    try:
        with sigint_ignored():
            for process in processes:
                process.start()
        while len(finished) < workers:
            try:
                done = days_done.get(timeout=0.2)
            except queue.Empty:
                pass
            else:
                reported = done
                if progress is not None:
                    progress(done, days)
                continue
            try:
                finished.append(results.get_nowait())
            except queue.Empty:
                dead = [p for p in processes if p.exitcode not in (None, 0)]
                if dead and results.empty():
                    worker = processes.index(dead[0])
                    raise DemoWorkerFailed(
                        worker, workers, f"exit code {dead[0].exitcode}", ""
                    ) from None
    except BaseException:
        # Ctrl-C, or a worker died: stop the others now. A worker stopped at any point leaves
        # the database whole (units of work are atomic) for the next run to continue.
        _stop(processes, barrier)
        raise
    finally:
        for process in processes:
            if process.pid is not None:
                process.join(timeout=5)
                if process.is_alive():
                    process.kill()
                    process.join()
    # The worker whose own error broke the barrier comes first: the others only saw it break.
    errors = sorted((o.error == "BrokenBarrierError", o.worker, o) for o in finished if o.error)
    if errors:
        first = errors[0][2]
        raise DemoWorkerFailed(first.worker, workers, first.error, first.text, first.where)
    if progress is not None and reported < days:
        progress(days, days)
    return [o.tally for o in sorted(finished, key=lambda o: o.worker) if o.tally is not None]


def _stop(processes: Sequence[multiprocessing.process.BaseProcess], barrier: Barrier) -> None:
    barrier.abort()
    for process in processes:
        if process.pid is not None and process.exitcode is None:
            process.kill()
