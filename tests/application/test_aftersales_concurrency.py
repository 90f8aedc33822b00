"""Requests about the same order racing each other in separate processes: the order's cases never
claim more units than were delivered.

Order O-1 (2 teas delivered) is stored in PostgreSQL (8 worker processes) or in one SQLite file
(4 processes); every worker opens, at once, two requests to return one tea each through
:meth:`~ecservice.application.AfterSalesService.open_case`, which computes the units the
order's other cases claim under the order's lock. Exactly two requests succeed, the others are
refused as not eligible, and the stored cases claim exactly the two teas.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from multiprocessing.pool import Pool
from pathlib import Path

import pytest

from ecservice.aftersales import NotEligible, ProblemKind, RemedyKind
from ecservice.application import AfterSalesService, claimed_units
from ecservice.clock import FixedClock
from ecservice.payments import InMemoryGateway
from tests.application.conftest import START
from tests.application.test_aftersales_orders import SIGNED, delivered_order

#: When the workers ask: the day after the teas were signed for.
ASKED = SIGNED.add(days=1)


def prepare(url: str) -> None:
    from ecservice.storage.sql import SqlStore

    clock = FixedClock(START)
    store = SqlStore(url, clock=clock)
    store.create_schema()
    try:
        delivered_order(store, clock)
    finally:
        store.dispose()


def worker(url: str, seed: int) -> list[str]:
    """Ask to return one tea twice; return the ids of the cases opened."""
    from ecservice.storage.sql import SqlStore

    clock = FixedClock(ASKED)
    store = SqlStore(url, clock=clock)
    cases = AfterSalesService(store, InMemoryGateway(), clock=clock, attempts=20)
    opened = []
    try:
        for n in range(2):
            case_id = f"AS-{seed}-{n}"
            try:
                cases.open_case(
                    case_id,
                    "O-1",
                    {"TEA": 1},
                    RemedyKind.RETURN_AND_REFUND,
                    ProblemKind.NO_REASON_RETURN,
                )
            except NotEligible:
                continue
            opened.append(case_id)
    finally:
        store.dispose()
    return opened


@pytest.fixture(scope="module")
def pool() -> Iterator[Pool]:
    with multiprocessing.get_context("spawn").Pool(8) as workers:
        yield workers


def check(pool: Pool, url: str, processes: int) -> None:
    from ecservice.storage.sql import SqlStore

    prepare(url)
    opened = pool.starmap(worker, [(url, seed) for seed in range(processes)], 1)
    succeeded = sorted(case_id for ids in opened for case_id in ids)
    assert len(succeeded) == 2
    store = SqlStore(url)
    try:
        with store.unit_of_work() as uow:
            stored = uow.cases.for_order("O-1")
        assert sorted(c.id for c in stored) == succeeded
        assert claimed_units(stored, at=ASKED) == {"TEA": 2}
    finally:
        store.dispose()


def test_eight_processes_on_postgresql_claim_each_tea_once(pool: Pool) -> None:
    from tests.storage.pgdb import fresh_pg_database

    with fresh_pg_database() as url:
        check(pool, url, processes=8)


def test_four_processes_on_one_sqlite_file_claim_each_tea_once(pool: Pool, tmp_path: Path) -> None:
    check(pool, f"sqlite:///{tmp_path / 'shop.db'}", processes=4)
