"""A mint whose book is in memory, in an SQLite file or in PostgreSQL, with coins to spend.

The denominations use fixed 1024-bit test keys, kept as PEM text so that worker processes
rebuild the same denominations (a denomination's id depends only on its key and value).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import pendulum
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from ecservice.clock import FixedClock
from ecservice.money import Money
from ecservice.payments.ecash import (
    CoinWallet,
    Denomination,
    MemoryMintBook,
    Mint,
    MintBook,
    PurePythonBlindSigner,
    generate_key,
)
from ecservice.storage.sql import SqlStore
from ecservice.storage.sql._coins import SqlMintBook
from ecservice.storage.sql._coins_schema import MINT_TABLES

T0: Final = pendulum.datetime(2026, 11, 11, 9, 0, tz="Asia/Shanghai")
MINT: Final = "mint-a"
VALUES: Final = ("1.00", "0.50", "0.10")

_KEYS: list[rsa.RSAPrivateKey] = [generate_key(1024, allow_weak_key_for_tests=True) for _ in VALUES]
#: The private keys of the denominations, as PEM (for worker processes).
KEY_PEMS: Final = tuple(
    k.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    for k in _KEYS
)


def cny(amount: str) -> Money:
    return Money(amount, "CNY")


def load_key(pem: bytes) -> rsa.RSAPrivateKey:
    """The RSA private key of a denomination, from its PEM text."""
    key = serialization.load_pem_private_key(pem, password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


def make_mint(
    clock: FixedClock, book: MintBook | None = None, pems: Sequence[bytes] = KEY_PEMS
) -> tuple[Mint, dict[str, Denomination]]:
    """The mint with its three denominations (1.00, 0.50, 0.10 CNY) and a funded reserve."""
    mint = Mint(clock, currency="CNY", name=MINT, book=book)
    denominations = {}
    for value, pem in zip(VALUES, pems, strict=True):
        denominations[value] = mint.add_denomination(
            cny(value),
            signer=PurePythonBlindSigner(load_key(pem)),
            valid_from=T0,
            withdraw_until=T0.add(days=30),
            deposit_until=T0.add(days=60),
        )
    mint.credit_reserve("alice", cny("1000.00"))
    return mint, denominations


def withdraw_coins(count: int, value: str = "1.00") -> CoinWallet:
    """A wallet holding ``count`` coins of ``value`` from a mint with an in-memory book."""
    clock = FixedClock(T0)
    mint, denominations = make_mint(clock)
    wallet = CoinWallet(clock, currency="CNY")
    for _ in range(count):
        wallet.withdraw(mint, "alice", denominations[value])
    return wallet


def sql_book(url: str) -> SqlMintBook:
    """A book in the database at ``url``, with its tables created and emptied."""
    store = SqlStore(url)
    book = SqlMintBook(store, mint=MINT, currency="CNY")
    book.create_tables()
    empty_tables(store.engine)
    return book


def empty_tables(engine: sa.Engine) -> None:
    """Delete every row of the book's tables (numbering restarts on PostgreSQL)."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            names = ", ".join(t.name for t in MINT_TABLES)
            connection.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY")
        else:
            for table in reversed(MINT_TABLES):
                connection.execute(table.delete())


def memory_book() -> MemoryMintBook:
    return MemoryMintBook("CNY", name=MINT)


def totals(engine: sa.Engine) -> dict[str, Any]:
    """The book's sums, computed by the database: per table and per coin."""
    sums = {
        "coins": "SELECT COALESCE(SUM(value), 0), COALESCE(SUM(deposited), 0), "
        "COALESCE(SUM(refunded), 0), COALESCE(SUM(melted), 0), COALESCE(SUM(remaining), 0) "
        "FROM ecs_mint_coins",
        "deposits": "SELECT COALESCE(SUM(amount), 0), COALESCE(SUM(refunded), 0), "
        "COALESCE(SUM(CASE WHEN payout_id IS NULL THEN 0 ELSE amount - refunded END), 0), "
        "COUNT(*) FROM ecs_mint_deposits",
        "refunds": "SELECT COALESCE(SUM(amount), 0), COUNT(*) FROM ecs_mint_refunds",
        "payouts": "SELECT COALESCE(SUM(amount), 0), COUNT(*) FROM ecs_mint_payouts",
        # Coins whose row disagrees with the deposits and refunds recorded for them.
        "coin_mismatches": "SELECT COUNT(*) FROM ecs_mint_coins c WHERE "
        "c.deposited <> (SELECT COALESCE(SUM(d.amount), 0) FROM ecs_mint_deposits d "
        "WHERE d.mint = c.mint AND d.coin = c.coin) OR "
        "c.refunded <> (SELECT COALESCE(SUM(r.amount), 0) FROM ecs_mint_refunds r "
        "WHERE r.mint = c.mint AND r.coin = c.coin) OR "
        "c.refunded <> (SELECT COALESCE(SUM(d.refunded), 0) FROM ecs_mint_deposits d "
        "WHERE d.mint = c.mint AND d.coin = c.coin) OR "
        "c.remaining <> c.value - c.deposited + c.refunded - c.melted OR "
        "c.remaining < 0 OR c.remaining > c.value",
        # Deposits over-refunded, and payouts that differ from the deposits they paid.
        "deposit_mismatches": "SELECT COUNT(*) FROM ecs_mint_deposits "
        "WHERE refunded < 0 OR refunded > amount",
        "payout_mismatches": "SELECT COUNT(*) FROM ecs_mint_payouts p WHERE p.amount <> "
        "(SELECT COALESCE(SUM(d.amount - d.refunded), 0) FROM ecs_mint_deposits d "
        "WHERE d.payout_id = p.payout_id)",
    }
    found: dict[str, Any] = {}
    with engine.connect() as connection:
        for name, query in sums.items():
            row = connection.exec_driver_sql(query).one()
            found[name] = tuple(int(v) for v in row)
    return found
