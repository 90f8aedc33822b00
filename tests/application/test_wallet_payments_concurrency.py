"""E-wallet payments racing in separate processes: money moves once, every key answers once.

The races of :mod:`tests.application.payment_races` (8 processes on PostgreSQL, 4 on one SQLite
file) over stored e-wallets: afterwards the wallets' total is what it was, the merchant holds
what was captured less what was refunded, and nothing is left held.
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
from tests.application.wallet_rig import SHOP, balances, cny, total


@pytest.fixture(scope="module")
def pool() -> Iterator[Pool]:
    with multiprocessing.get_context("spawn").Pool(8) as workers:
        yield workers


def check(pool: Pool, url: str, processes: int) -> None:
    from ecservice.storage.sql import SqlStore

    races(pool, "wallet_rig", url, processes)
    store = SqlStore(url, clock=FixedClock(START))
    try:
        assert total(store) == cny("150.00")
        found = balances(store)
        assert found[SHOP] == (cny("6.00"), cny("0.00"))  # 6 x (10.00 - 9.00)
        assert found["w-li"] == (cny("100.00") - 4 * cny("1.00"), cny("0.00"))
        assert found["w-han"] == (cny("50.00") - 2 * cny("1.00"), cny("0.00"))
    finally:
        store.dispose()


def test_eight_processes_on_postgresql_move_money_once(pool: Pool) -> None:
    from tests.storage.pgdb import fresh_pg_database

    with fresh_pg_database() as url:
        empty_database(url)
        check(pool, url, processes=8)


def test_four_processes_on_one_sqlite_file_move_money_once(pool: Pool, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'wallets.db'}"
    empty_database(url)
    check(pool, url, processes=4)
