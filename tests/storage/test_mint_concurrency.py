"""No double spend, no double refund, no double payout across processes sharing a mint's book.

Worker processes (started with ``spawn``: nothing is shared but the database) each run the same
mint with a :class:`~ecservice.storage.sql._coins.SqlMintBook` on one database. First they all
deposit the same coins: one identical spend per coin that every worker deposits (a replay for all
but the first), and for half the coins one spend per worker that the coin cannot pay beside the
others.
Then they all refund the same deposits, part by part, while paying the merchants out. Afterwards
sums computed by the database must balance: each coin paid out at most its value, each deposit
refunded at most its amount, each refund and payout recorded once, and the coins' value
withdrawn equal to what was paid out plus what the coins still hold.
"""

from __future__ import annotations

import multiprocessing
import random
from collections import Counter
from collections.abc import Iterator, Sequence
from multiprocessing.pool import Pool
from typing import Any

import pytest

from ecservice.clock import FixedClock
from ecservice.errors import DoubleSpend
from ecservice.money import Money, sum_money
from ecservice.payments.ecash import (
    AlreadyPaidOut,
    CoinSpend,
    Planchet,
    RefreshRequest,
    RefundExceedsDeposit,
    contract_hash,
)
from tests.storage.mint_rig import (
    KEY_PEMS,
    MINT,
    T0,
    cny,
    make_mint,
    sql_book,
    totals,
    withdraw_coins,
)

COINS = 6  # coins of 1.00 CNY to deposit
MELTED = 2  # coins of 1.00 CNY to refresh
SHARED = "0.30"  # the identical spend every worker deposits, per coin
OWN = "0.50"  # each worker's own spend, per coin
REFUND = "0.20"  # each refund asked for
MERCHANTS = ("m0", "m1")


def _mint(url: str, pems: Sequence[bytes]) -> Any:
    from ecservice.storage.sql._coins import SqlMintBook

    mint, _ = make_mint(FixedClock(T0), SqlMintBook(url, mint=MINT, currency="CNY"), pems)
    return mint


def deposit_worker(
    url: str,
    pems: Sequence[bytes],
    spends: Sequence[CoinSpend],
    refreshes: Sequence[RefreshRequest],
    seed: int,
) -> tuple[list[tuple[int, int]], list[tuple[bytes, ...] | None]]:
    """Deposit every spend, in a random order, then ask for every refresh; return
    ``(spend index, deposit id)`` for each spend (the id 0 for a double spend) and the blind
    signatures of each refresh (``None`` for a double spend)."""
    mint = _mint(url, pems)
    order = list(range(len(spends)))
    random.Random(seed).shuffle(order)
    found: list[tuple[int, int]] = []
    for index in order:
        try:
            found.append((index, mint.deposit(spends[index]).deposit_id))
        except DoubleSpend:
            found.append((index, 0))
    signed: list[tuple[bytes, ...] | None] = []
    for request in refreshes:
        try:
            signed.append(mint.refresh(request))
        except DoubleSpend:
            signed.append(None)
    mint.book.engine.dispose()
    return found, signed


def refund_worker(
    url: str, pems: Sequence[bytes], orders: Sequence[tuple[bytes, str, bytes]], seed: int
) -> tuple[list[tuple[int, int]], Counter[str], list[tuple[int, tuple[int, ...]]]]:
    """Ask for a refund of ``REFUND`` from every order, in a random order, and pay one merchant
    out halfway; return the refunds granted ``(refund id, minor units)``, the refusals by kind
    and the payouts ``(minor units, deposit ids)``."""
    mint = _mint(url, pems)
    order = list(orders)
    random.Random(seed).shuffle(order)
    granted: list[tuple[int, int]] = []
    refused: Counter[str] = Counter()
    payouts: list[tuple[int, tuple[int, ...]]] = []
    for n, (coin, merchant, contract) in enumerate(order):
        if n == len(order) // 2:
            record = mint.book.payout(MERCHANTS[seed % 2], T0)
            if record is not None:
                payouts.append((record.amount.minor_units, record.deposit_ids))
        try:
            receipt = mint.refund(
                merchant=merchant, coin_public_key=coin, contract_hash=contract, amount=cny(REFUND)
            )
            granted.append((receipt.refund_id, receipt.amount.minor_units))
        except (RefundExceedsDeposit, AlreadyPaidOut) as exc:
            refused[type(exc).__name__] += 1
    mint.book.engine.dispose()
    return granted, refused, payouts


@pytest.fixture(scope="module")
def pool() -> Iterator[Pool]:
    """Eight worker processes, started once."""
    with multiprocessing.get_context("spawn").Pool(8) as workers:
        yield workers


def run_mint(pool: Pool, url: str, processes: int) -> None:
    book = sql_book(url)
    engine = book.engine
    wallet = withdraw_coins(COINS + MELTED)
    coins = wallet.coins[:COINS]
    _, denominations = make_mint(FixedClock(T0))
    # Every worker asks for the same refreshes: each coin melted once, the same signatures for all.
    refreshes = [
        wallet.wallet_coin(c.public_key).refresh(
            cny("1.00"), [Planchet.create(denominations["0.50"]) for _ in range(2)]
        )
        for c in wallet.coins[COINS:]
    ]
    # Half the coins pay all their value to the shared spend: every worker must get its receipt.
    # The others pay 0.30 to it and 0.50 to each worker's own spend, as long as value is left.
    shared = [
        wallet.wallet_coin(c.public_key).spend(
            cny("1.00" if n < COINS // 2 else SHARED),
            merchant="shared",
            contract=contract_hash(f"shared {n}"),
        )
        for n, c in enumerate(coins)
    ]
    tasks = []
    for seed in range(processes):
        own = [
            wallet.wallet_coin(c.public_key).spend(
                cny(OWN), merchant=MERCHANTS[seed % 2], contract=contract_hash(f"{n}/{seed}")
            )
            for n, c in enumerate(coins)
            if n >= COINS // 2
        ]
        tasks.append((url, KEY_PEMS, shared + own, refreshes, seed))
    answers = pool.starmap(deposit_worker, tasks, chunksize=1)
    deposited = [found for found, _ in answers]
    for n in range(MELTED):
        signed = {answer[1][n] for answer in answers}
        assert len(signed) == 1
        assert None not in signed

    # Every worker got the same receipt for an identical spend; each coin paid at most 1.00.
    ids_of_shared: dict[int, list[int]] = {}
    accepted: dict[int, int] = {}  # deposit id -> minor units
    per_coin: Counter[bytes] = Counter()
    doubles = 0
    for seed, results in enumerate(deposited):
        spends = tasks[seed][2]
        for index, deposit_id in results:
            if index < COINS:
                ids_of_shared.setdefault(index, []).append(deposit_id)
            if deposit_id == 0:
                doubles += 1
                continue
            spend = spends[index]
            if deposit_id not in accepted:
                accepted[deposit_id] = spend.amount.minor_units
                per_coin[spend.coin.public_key] += spend.amount.minor_units
    # An identical spend gets one answer everywhere: the same receipt, or a double spend.
    assert all(len(set(ids)) == 1 and len(ids) == processes for ids in ids_of_shared.values())
    assert all(ids_of_shared[n][0] != 0 for n in range(COINS // 2))
    # A coin of 1.00 pays at most two spends of 0.50.
    assert doubles >= (COINS - COINS // 2) * (processes - 2)
    assert all(units <= 100 for units in per_coin.values())
    found = totals(engine)
    assert found["deposits"][0] == sum(accepted.values())
    assert found["deposits"][3] == len(accepted)

    # Everyone refunds every deposit, 0.20 at a time, while merchants are paid out.
    mint, _ = make_mint(FixedClock(T0), book)
    orders = [(r.coin_public_key, r.merchant, r.contract_hash) for r in mint.deposits]
    refunded = pool.starmap(
        refund_worker, [(url, KEY_PEMS, orders, seed) for seed in range(processes)], chunksize=1
    )
    granted = [g for worker_granted, _, _ in refunded for g in worker_granted]
    refused = sum((r for _, r, _ in refunded), Counter[str]())
    paid = [p for _, _, worker_paid in refunded for p in worker_paid]
    assert len({refund_id for refund_id, _ in granted}) == len(granted)
    assert refused["RefundExceedsDeposit"] + refused["AlreadyPaidOut"] > 0
    for merchant in (*MERCHANTS, "shared"):
        mint.payout(merchant)
    paid_ids = [i for _, ids in paid for i in ids]
    assert len(set(paid_ids)) == len(paid_ids)  # no deposit paid twice by the workers

    found = totals(engine)
    value, deposited_sum, refunded_sum, melted, remaining = found["coins"]
    assert value == (COINS + MELTED) * 100  # every coin was spent at least once
    assert melted == MELTED * 100
    assert value == deposited_sum - refunded_sum + melted + remaining  # nothing made or lost
    assert found["coin_mismatches"] == (0,)
    assert found["deposit_mismatches"] == (0,)  # no deposit refunded beyond its amount
    assert found["payout_mismatches"] == (0,)
    assert found["refunds"] == (sum(units for _, units in granted), len(granted))
    assert refunded_sum == found["deposits"][1] == found["refunds"][0]
    # Everything is paid out now: what was withdrawn is what merchants got plus what is left.
    assert found["deposits"][2] == found["payouts"][0]
    assert found["payouts"][0] + remaining + melted == value
    assert sum(mint.pending_total(m).minor_units for m in (*MERCHANTS, "shared")) == 0
    assert Money.from_minor(found["payouts"][0], "CNY") == sum_money(
        (p.amount for p in mint.payouts), "CNY"
    )
    engine.dispose()


def test_four_processes_on_one_sqlite_file_spend_each_coin_once(pool: Pool, tmp_path: Any) -> None:
    """4 processes on one SQLite file (writers take turns: BEGIN IMMEDIATE, busy timeout)."""
    run_mint(pool, f"sqlite:///{tmp_path / 'mint.db'}", processes=4)


def test_eight_processes_on_postgresql_spend_each_coin_once(pool: Pool, pg_url: str) -> None:
    """8 processes on PostgreSQL (row locks and conditional updates)."""
    run_mint(pool, pg_url, processes=8)
