"""E-wallet captures racing on PostgreSQL in lockstep: every process hears "approved".

Under READ COMMITTED a call may read the authorisation before another process's capture commits
and the buyer's wallet after it; the wallet then refuses to settle its hold a second time. Such
a decline writes nothing, so no conflict would tell; the service checks that what it read is
unchanged before answering a decline (``UnitOfWork.check_unchanged``), and runs the call again
from the stored state when it is not, which replays the capture. Three processes capture the
same thirty payments in the same order at once, each under keys of its own: every answer is an
approval of the one capture, and the money moved once.
"""

from __future__ import annotations

import multiprocessing
from typing import Any

from ecservice.clock import FixedClock
from tests.application.conftest import START
from tests.application.wallet_rig import SHOP, balances, cny, seed, service, wallet_of

PAYMENTS = 30
PROCESSES = 3


def _capture_all(url: str, auths: list[str], worker: int, barrier: Any, results: Any) -> None:
    """Capture every payment under this worker's keys; put the declines' messages."""
    from ecservice.storage.sql import SqlStore

    store = SqlStore(url, clock=FixedClock(START))
    payments = service(store, waits=True, attempts=60)
    declined = []
    try:
        barrier.wait(60)  # start together, so that the captures overlap
        for n, auth in enumerate(auths):
            answer = payments.capture(auth, cny("1.00"), idempotency_key=f"C-{n}-{worker}")
            if not answer.approved:
                declined.append(answer.message)
    finally:
        store.dispose()
        results.put(declined)


def test_processes_capturing_the_same_payments_together_all_hear_approved() -> None:
    from ecservice.storage.sql import SqlStore
    from tests.storage.pgdb import fresh_pg_database

    with fresh_pg_database() as url:
        store = SqlStore(url, clock=FixedClock(START))
        store.create_schema()
        try:
            seed(store, FixedClock(START))
            payments = service(store)
            auths = [
                payments.authorize(
                    wallet_of("w-li"), cny("1.00"), reference=f"P-{n}", idempotency_key=f"A-{n}"
                ).reference
                for n in range(PAYMENTS)
            ]
            context = multiprocessing.get_context("spawn")
            barrier, results = context.Barrier(PROCESSES), context.Queue()
            workers = [
                context.Process(target=_capture_all, args=(url, auths, w, barrier, results))
                for w in range(PROCESSES)
            ]
            for worker in workers:
                worker.start()
            declined = [results.get(timeout=120) for _ in workers]
            for worker in workers:
                worker.join()
                assert worker.exitcode == 0
            assert declined == [[]] * PROCESSES
            found = balances(store)
            assert found[SHOP] == (cny(f"{PAYMENTS}.00"), cny("0.00"))
            assert found["w-li"] == (cny(f"{100 - PAYMENTS}.00"), cny("0.00"))
        finally:
            store.dispose()
