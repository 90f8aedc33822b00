"""Purse payments racing in separate processes: money moves once, reservations hold.

The races of :mod:`tests.application.payment_races` (8 processes on PostgreSQL, 4 on one SQLite
file) over stored purses: afterwards the purses' total is what it was and nothing is reserved.
Then every worker authorises 20.00 on the purse holding 48.00 under a key of its own, all at
once: exactly two are approved, and the purse's stored list of open authorisations names those
two.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from multiprocessing.pool import Pool
from pathlib import Path

import pytest

from ecservice.clock import FixedClock
from tests.application.conftest import START
from tests.application.payment_races import empty_database, races
from tests.application.purse_rig import SHOP, balances, cny, purse_of, service, total


def reserver(url: str, seed_: int) -> str | None:
    """Authorise 20.00 on p-han under a key of its own; the authorisation, if approved."""
    from ecservice.storage.sql import SqlStore

    store = SqlStore(url, clock=FixedClock(START))
    try:
        answer = service(store, waits=True, attempts=60).authorize(
            purse_of("p-han"), cny("20.00"), reference=f"Q-{seed_}", idempotency_key=f"Q-{seed_}"
        )
        return answer.reference if answer.approved else None
    finally:
        store.dispose()


@pytest.fixture(scope="module")
def pool() -> Iterator[Pool]:
    with multiprocessing.get_context("spawn").Pool(8) as workers:
        yield workers


def check(pool: Pool, url: str, processes: int) -> None:
    from ecservice.storage.sql import SqlStore

    races(pool, "purse_rig", url, processes)
    store = SqlStore(url, clock=FixedClock(START))
    try:
        payments = service(store)
        assert total(store) == cny("150.00")
        assert balances(store) == {
            "p-li": cny("100.00") - 4 * cny("1.00"),
            "p-han": cny("50.00") - 2 * cny("1.00"),
            SHOP: cny("6.00"),  # 6 x (10.00 - 9.00)
        }
        assert payments.reserved("p-li") == payments.reserved("p-han") == {}
        # 48.00 in p-han: of the workers' 20.00 authorisations, exactly two fit.
        made = pool.starmap(reserver, [(url, s) for s in range(processes)], chunksize=1)
        approved = sorted(ref for ref in made if ref is not None)
        assert len(approved) == 2, made
        assert sorted(payments.reserved("p-han")) == approved
        assert balances(store)["p-han"] == cny("48.00")
    finally:
        store.dispose()


def test_eight_processes_on_postgresql_move_money_once(pool: Pool) -> None:
    from tests.storage.pgdb import fresh_pg_database

    with fresh_pg_database() as url:
        empty_database(url)
        check(pool, url, processes=8)


def test_four_processes_on_one_sqlite_file_move_money_once(pool: Pool, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'purses.db'}"
    empty_database(url)
    check(pool, url, processes=4)
