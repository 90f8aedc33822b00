"""Purse payments racing in separate processes: money moves once, reservations hold.

The parent stores the purses and authorises six payments; then worker processes (8 on
PostgreSQL, 4 on one SQLite file; started with ``spawn``, so nothing is shared but the
database) each capture every payment under a key all workers share and under one of their own,
and refund every capture 3.00 under a shared key and 3.00 under their own. Afterwards: each
shared key got the same answer in every process (and :meth:`outcome` gives it); each payment was
captured once and refunded exactly three times (10.00 holds three refunds of 3.00); the purses'
total is what it was. Then every worker authorises 20.00 on the purse holding 48.00 under a
key of its own, all at once: exactly two are approved, and the purse's stored list of open
authorisations names those two.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from multiprocessing.pool import Pool
from pathlib import Path

import pytest

from ecservice.clock import FixedClock
from ecservice.money import Money
from ecservice.payments import GatewayResponse
from tests.application.conftest import START
from tests.application.purse_rig import SHOP, balances, cny, purse_of, seed, service, total

PAYMENTS = 6
#: The payments' buyers: four from p-li, two from p-han, 10.00 each.
PAYERS = ("p-li", "p-li", "p-han", "p-li", "p-han", "p-li")
Answer = tuple[bool, str, str, str | None]


def answer_of(response: GatewayResponse) -> Answer:
    amount = None if response.amount is None else str(response.amount)
    return response.approved, response.reference, response.message, amount


def prepare(url: str) -> list[str]:
    """The purses stored and the payments authorised; their authorisations."""
    from ecservice.storage.sql import SqlStore

    store = SqlStore(url, clock=FixedClock(START))
    try:
        seed(store, FixedClock(START))
        payments = service(store)
        auths = []
        for n, payer in enumerate(PAYERS):
            answer = payments.authorize(
                purse_of(payer), cny("10.00"), reference=f"P-{n}", idempotency_key=f"A-{n}"
            )
            assert answer.approved
            auths.append(answer.reference)
        return auths
    finally:
        store.dispose()


def worker(url: str, auths: list[str], seed_: int) -> tuple[dict[str, Answer], int]:
    """Capture and refund every payment, starting at a payment of its own; the answers under
    the shared keys and how many refunds under its own keys were approved."""
    from ecservice.storage.sql import SqlStore

    store = SqlStore(url, clock=FixedClock(START))
    payments = service(store, waits=True, attempts=60)
    shared: dict[str, Answer] = {}
    own = 0
    try:
        for k in range(PAYMENTS):
            n = (k + seed_) % PAYMENTS
            cap = payments.capture(auths[n], cny("10.00"), idempotency_key=f"C-{n}")
            shared[f"C-{n}"] = answer_of(cap)
            mine = payments.capture(auths[n], cny("10.00"), idempotency_key=f"C-{n}-{seed_}")
            assert mine.approved, mine
            assert mine.reference == cap.reference, mine
            ref = payments.refund(cap.reference, cny("3.00"), idempotency_key=f"R-{n}")
            shared[f"R-{n}"] = answer_of(ref)
            extra = payments.refund(cap.reference, cny("3.00"), idempotency_key=f"R-{n}-{seed_}")
            own += extra.approved
        return shared, own
    finally:
        store.dispose()


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

    auths = prepare(url)
    results = pool.starmap(worker, [(url, auths, s) for s in range(processes)], chunksize=1)
    store = SqlStore(url, clock=FixedClock(START))
    try:
        # Every shared key answered the same everywhere, approved, and the store says so too.
        payments = service(store)
        for key in results[0][0]:
            answers = {r[0][key] for r in results}
            assert len(answers) == 1, (key, answers)
            (answer,) = answers
            assert answer[0], (key, answer)
            stored = payments.outcome(key)
            assert stored is not None
            assert answer_of(stored) == answer
        # Each capture of 10.00 took three refunds of 3.00: the shared one and two own ones.
        assert sum(own for _, own in results) == PAYMENTS * 2
        assert total(store) == cny("150.00")
        assert balances(store) == {
            "p-li": cny("100.00") - 4 * cny("1.00"),
            "p-han": cny("50.00") - 2 * cny("1.00"),
            SHOP: cny("6.00"),  # 6 x (10.00 - 9.00)
        }
        for n in range(PAYMENTS):
            cap = payments.capture(auths[n], cny("10.00"), idempotency_key=f"C-{n}-check")
            assert cap.message == "already captured"
            assert not payments.refund(
                cap.reference, Money("1.01", "CNY"), idempotency_key=f"R-{n}-check"
            ).approved
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
    from ecservice.storage.sql import SqlStore
    from tests.storage.pgdb import fresh_pg_database

    with fresh_pg_database() as url:
        made = SqlStore(url)
        made.create_schema()
        made.dispose()
        check(pool, url, processes=8)


def test_four_processes_on_one_sqlite_file_move_money_once(pool: Pool, tmp_path: Path) -> None:
    from ecservice.storage.sql import SqlStore

    url = f"sqlite:///{tmp_path / 'purses.db'}"
    made = SqlStore(url)
    made.create_schema()
    made.dispose()
    check(pool, url, processes=4)
