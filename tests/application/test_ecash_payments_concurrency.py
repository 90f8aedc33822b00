"""E-cash payments racing in separate processes: money moves once at the mint and in the store.

The parent withdraws the buyers' coins, stores the wallets and authorises the payments; then
worker processes (8 on PostgreSQL, 4 on one SQLite store file with the mint's book in a second
file; started with ``spawn``, so nothing is shared but the databases) each capture every
payment under a key all workers share and under one of their own, and refund every capture
1.00 under a shared key and 1.00 under their own; each captures two contested authorisations
with an amount of its own (only one amount may reach the mint), and captures or voids a third
(even workers capture, odd ones void). Afterwards, summed in SQL: each shared key got the same
answer everywhere; each capture of 4.00 took exactly four refunds of 1.00; each contested
contract holds exactly the deposits of the one approved capture; the contract captured or
voided holds its capture or nothing; no deposit or refund was recorded twice; and the buyers'
coins plus what the merchant is owed equal what was withdrawn, with every wallet in step with
the mint.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator, Sequence
from multiprocessing.pool import Pool
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from ecservice.clock import FixedClock
from ecservice.money import Money
from ecservice.payments import GatewayResponse
from tests.application.conftest import START
from tests.application.ecash_rig import (
    SHOP,
    balances,
    cny,
    conserved,
    merchant_total,
    mint_book,
    new_mint,
    seed,
    service,
    wallet_of,
)
from tests.storage.mint_rig import KEY_PEMS, totals

#: The payments captured by everyone: four from cw-li, two from cw-han, 4.00 each.
PAYERS = ("cw-li", "cw-han", "cw-li", "cw-li", "cw-han", "cw-li")
#: Authorisations of 0.40 on cw-li (on a coin of 1.00, which could pay several amounts)
#: captured by each worker with an amount of its own.
CONTESTED = 2
Answer = tuple[bool, str, str, str | None]


def answer_of(response: GatewayResponse) -> Answer:
    amount = None if response.amount is None else str(response.amount)
    return response.approved, response.reference, response.message, amount


def open_shop(url: str, mint_url: str | None, pems: Sequence[bytes]) -> tuple[Any, Any]:
    from ecservice.storage.sql import SqlStore

    clock = FixedClock(START)
    store = SqlStore(url, clock=clock)
    return store, new_mint(clock, mint_book(store, mint_url), pems)


def prepare(url: str, mint_url: str | None) -> tuple[list[str], list[str], str]:
    """The wallets stored and the payments authorised."""
    store, mint = open_shop(url, mint_url, KEY_PEMS)
    try:
        seed(store, mint, FixedClock(START))
        payments = service(store, mint)

        def authorize(wallet: str, amount: str, ref: str) -> str:
            answer = payments.authorize(
                wallet_of(wallet), cny(amount), reference=ref, idempotency_key=f"A-{ref}"
            )
            assert answer.approved, answer
            return answer.reference

        auths = [authorize(w, "4.00", f"P-{n}") for n, w in enumerate(PAYERS)]
        contested = [authorize("cw-li", "0.40", f"Q-{n}") for n in range(CONTESTED)]
        either = authorize("cw-han", "3.00", "V")
        return auths, contested, either
    finally:
        store.dispose()


def worker(
    url: str,
    mint_url: str | None,
    pems: Sequence[bytes],
    auths: list[str],
    contested: list[str],
    either: str,
    seed_: int,
) -> tuple[dict[str, Answer], int, dict[str, int]]:
    """Capture and refund every payment starting at one of its own, capture the contested
    ones with its own amount, and capture or void the last; the shared keys' answers, how
    many refunds under its own keys were approved, and the contested amounts it captured."""
    store, mint = open_shop(url, mint_url, pems)
    payments = service(store, mint, waits=True, attempts=60)
    shared: dict[str, Answer] = {}
    own = 0
    won: dict[str, int] = {}
    try:
        for n, auth in enumerate(contested):
            amount = cny("0.40") - Money.from_minor(2 * seed_ + n, "CNY")
            answer = payments.capture(auth, amount, idempotency_key=f"K-{n}-{seed_}")
            if answer.approved and answer.message != "already captured":
                won[auth] = amount.minor_units
        if seed_ % 2:
            payments.void(either, idempotency_key=f"V-{seed_}")
        else:
            payments.capture(either, cny("3.00"), idempotency_key=f"E-{seed_}")
        for k in range(len(PAYERS)):
            n = (k + seed_) % len(PAYERS)
            cap = payments.capture(auths[n], cny("4.00"), idempotency_key=f"C-{n}")
            shared[f"C-{n}"] = answer_of(cap)
            assert cap.approved, (n, auths[n], cap)
            mine = payments.capture(auths[n], cny("4.00"), idempotency_key=f"C-{n}-{seed_}")
            assert mine.approved, mine
            assert mine.reference == cap.reference, mine
            ref = payments.refund(cap.reference, cny("1.00"), idempotency_key=f"R-{n}")
            shared[f"R-{n}"] = answer_of(ref)
            for _ in range(3):  # a refund waiting for another process's is asked again
                extra = payments.refund(
                    cap.reference, cny("1.00"), idempotency_key=f"R-{n}-{seed_}"
                )
                if extra.approved or "not recorded yet" not in extra.message:
                    break
            own += extra.approved
        return shared, own, won
    finally:
        store.dispose()


@pytest.fixture(scope="module")
def pool() -> Iterator[Pool]:
    with multiprocessing.get_context("spawn").Pool(8) as workers:
        yield workers


def sums(engine: sa.Engine) -> dict[str, Any]:
    """Per contract, the deposits and refunds, summed by the database."""
    with engine.connect() as connection:
        deposits = connection.exec_driver_sql(
            "SELECT contract_hash, SUM(amount), SUM(refunded), COUNT(*), "
            "COUNT(DISTINCT coin) FROM ecs_mint_deposits GROUP BY contract_hash"
        ).all()
        keys = connection.exec_driver_sql(
            "SELECT COUNT(*), COUNT(DISTINCT refund_key) FROM ecs_mint_refunds "
            "WHERE refund_key IS NOT NULL"
        ).one()
    return {"deposits": deposits, "keys": tuple(keys)}


def check(pool: Pool, url: str, mint_url: str | None, processes: int) -> None:
    auths, contested, either = prepare(url, mint_url)
    args = [(url, mint_url, KEY_PEMS, auths, contested, either, s) for s in range(processes)]
    results = pool.starmap(worker, args, chunksize=1)
    store, mint = open_shop(url, mint_url, KEY_PEMS)
    try:
        payments = service(store, mint)
        for key in results[0][0]:
            answers = {r[0][key] for r in results}
            assert len(answers) == 1, (key, answers)
            (answer,) = answers
            assert answer[0], (key, answer)
            stored = payments.outcome(key)
            assert stored is not None
            assert answer_of(stored) == answer
        # Each capture of 4.00 took four refunds of 1.00: the shared one and three own ones.
        assert sum(own for _, own, _ in results) == len(PAYERS) * 3
        # Of the contested captures, one amount each reached the mint, and only that one.
        won: dict[str, int] = {}
        for _, _, got in results:
            for auth, amount in got.items():
                assert won.setdefault(auth, amount) == amount, (auth, won, got)
        assert sorted(won) == sorted(contested)

        def contract(auth: str) -> bytes:
            return payments._run(lambda uow: payments._gateway(uow)[0]._auth(auth).hold.contract)

        for auth in contested:
            deposited = mint.contract_deposits(SHOP, contract(auth))
            assert sum(d[0].amount.minor_units for d in deposited) == won[auth]
        engine = getattr(mint.book, "engine")  # noqa: B009 - the SQL book's engine
        book = totals(engine)
        assert book["coin_mismatches"] == book["deposit_mismatches"] == (0,)
        found = sums(engine)
        assert all(count == coins for *_, count, coins in found["deposits"])  # once per coin
        assert found["keys"][0] == found["keys"][1]  # every refund key recorded once
        # What moved: 6 x (4.00 - 4.00) + the contested captures + the last one, or nothing.
        captured_either = mint.contract_deposits(SHOP, contract(either))
        either_net = sum(d[0].amount.minor_units - d[2].minor_units for d in captured_either)
        assert either_net in (0, 300)
        expected = sum(won.values()) + either_net
        assert merchant_total(mint).minor_units == expected
        assert conserved(store, mint)
        assert balances(store)["cw-han"] == cny("12.00") - Money.from_minor(either_net, "CNY")
        assert payments.reserved("cw-li") == {}
    finally:
        store.dispose()


def test_eight_processes_on_postgresql_move_money_once(pool: Pool) -> None:
    from ecservice.storage.sql import SqlStore
    from tests.storage.pgdb import fresh_pg_database

    with fresh_pg_database() as url:
        made = SqlStore(url)
        made.create_schema()
        made.dispose()
        check(pool, url, None, processes=8)


def test_four_processes_on_one_sqlite_file_move_money_once(pool: Pool, tmp_path: Path) -> None:
    from ecservice.storage.sql import SqlStore

    url = f"sqlite:///{tmp_path / 'wallets.db'}"
    made = SqlStore(url)
    made.create_schema()
    made.dispose()
    check(pool, url, f"sqlite:///{tmp_path / 'mint.db'}", processes=4)
