"""Refund keys and exclusive deposits behave the same whether the mint's book is in memory,
in SQLite or in PostgreSQL (skipped without ``ECSERVICE_TEST_PG_URL``).

A refund given a key is recorded once: the same key and request replay the first receipt and
refund nothing more; the same key with another request raises IdempotencyConflict and changes
nothing. An exclusive deposit of a coin for a merchant's contract is refused when the mint
holds a different deposit of the coin for that contract, and replayed when identical. The
contract lookups list what a contract deposited and what was refunded of it, with the keys.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ecservice.clock import FixedClock
from ecservice.errors import IdempotencyConflict, ValidationError
from ecservice.payments.ecash import (
    CoinWallet,
    ConflictingDeposit,
    Mint,
    MintBook,
    contract_hash,
)
from ecservice.storage.sql._coins import SqlMintBook
from tests.storage.mint_rig import T0, cny, make_mint, memory_book, sql_book

ORDER = contract_hash("teahouse order 7")


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def book_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], MintBook]:
    if request.param == "memory":
        return memory_book
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'mint.db'}"
        return lambda: sql_book(url)
    pg: str = request.getfixturevalue("pg_url")
    return lambda: sql_book(pg)


@pytest.fixture
def minted(book_factory: Callable[[], MintBook]) -> Iterator[tuple[Mint, CoinWallet]]:
    clock = FixedClock(T0)
    book = book_factory()
    mint, denominations = make_mint(clock, book)
    wallet = CoinWallet(clock, currency="CNY")
    for _ in range(2):
        wallet.withdraw(mint, "alice", denominations["1.00"])
    yield mint, wallet
    if isinstance(book, SqlMintBook):
        book.engine.dispose()


def test_a_refund_key_replays_the_same_request_and_refuses_another(
    minted: tuple[Mint, CoinWallet],
) -> None:
    mint, wallet = minted
    coin = wallet.coins[0]
    spend = wallet.wallet_coin(coin.public_key).spend(
        cny("0.80"), merchant="teahouse", contract=ORDER
    )
    mint.deposit(spend)

    def refund(amount: str, key: str | None) -> object:
        return mint.refund(
            merchant="teahouse",
            coin_public_key=coin.public_key,
            contract_hash=ORDER,
            amount=cny(amount),
            key=key,
        )

    first = refund("0.30", "R-1/a")
    version = mint.version
    assert refund("0.30", "R-1/a") == first
    assert mint.version == version  # a replay counts no change
    assert len(mint.refunds) == 1
    with pytest.raises(IdempotencyConflict, match="R-1/a"):
        refund("0.20", "R-1/a")
    assert mint.remaining_value(coin) == cny("0.50")
    assert refund("0.20", "R-2/a") != first
    assert refund("0.10", None) is not None  # keys stay optional for callers by hand
    assert mint.remaining_value(coin) == cny("0.80")
    assert [key for _, key in mint.contract_refunds("teahouse", ORDER)] == [
        "R-1/a",
        "R-2/a",
        None,
    ]
    assert mint.contract_refunds("teahouse", contract_hash("another")) == ()
    with pytest.raises(ValidationError):
        refund("0.10", " padded ")


def test_an_exclusive_deposit_pays_a_contract_once_per_coin(
    minted: tuple[Mint, CoinWallet],
) -> None:
    mint, wallet = minted
    coin = wallet.coins[0]
    signer = wallet.wallet_coin(coin.public_key)
    first = signer.spend(cny("0.40"), merchant="teahouse", contract=ORDER)
    receipt = mint.deposit(first, exclusive=True)
    assert mint.deposit(first, exclusive=True) == receipt  # the identical deposit replays
    other = signer.spend(cny("0.40"), merchant="teahouse", contract=ORDER)
    with pytest.raises(ConflictingDeposit):
        mint.deposit(other, exclusive=True)
    assert mint.remaining_value(coin) == cny("0.60")
    # Not exclusive: the same contract paid again is a new payment, as before.
    assert mint.deposit(other) != receipt
    assert mint.remaining_value(coin) == cny("0.20")
    # Another contract, or another coin, is not in conflict.
    elsewhere = signer.spend(cny("0.10"), merchant="teahouse", contract=contract_hash("x"))
    mint.deposit(elsewhere, exclusive=True)
    second = wallet.coins[1]
    mint.deposit(
        wallet.wallet_coin(second.public_key).spend(
            cny("1.00"), merchant="teahouse", contract=ORDER
        ),
        exclusive=True,
    )
    found = mint.contract_deposits("teahouse", ORDER)
    assert [(d[0].coin_public_key, d[0].amount) for d in found] == [
        (coin.public_key, cny("0.40")),
        (coin.public_key, cny("0.40")),
        (second.public_key, cny("1.00")),
    ]
    assert all(nonce and not refunded.amount and not paid for _, nonce, refunded, paid in found)
    assert mint.contract_deposits("bookshop", ORDER) == ()


def test_a_spend_signed_again_with_the_same_nonce_is_the_same_spend(
    minted: tuple[Mint, CoinWallet],
) -> None:
    """Ed25519 signatures are deterministic (RFC 8032): the same nonce gives the same spend,
    which the mint replays."""
    mint, wallet = minted
    signer = wallet.wallet_coin(wallet.coins[0].public_key)
    nonce = bytes(range(16))
    one = signer.spend(cny("0.25"), merchant="teahouse", contract=ORDER, nonce=nonce)
    two = signer.spend(cny("0.25"), merchant="teahouse", contract=ORDER, nonce=nonce)
    assert one == two
    assert mint.deposit(one, exclusive=True) == mint.deposit(two, exclusive=True)
    with pytest.raises(ValidationError, match="16 bytes"):
        signer.spend(cny("0.25"), merchant="teahouse", contract=ORDER, nonce=b"short")


def test_record_spends_deducts_all_or_nothing(minted: tuple[Mint, CoinWallet]) -> None:
    from ecservice.errors import InsufficientFunds

    mint, wallet = minted
    a, b = (wallet.wallet_coin(c.public_key) for c in wallet.coins)
    spends = (
        a.spend(cny("0.70"), merchant="teahouse", contract=ORDER),
        b.spend(cny("0.20"), merchant="teahouse", contract=ORDER),
    )
    version = wallet.version
    assert wallet.record_spends(spends) == cny("0.90")
    assert (wallet.balance, wallet.version) == (cny("1.10"), version + 1)
    too_much = (b.spend(cny("0.50"), merchant="teahouse", contract=ORDER),) * 2
    with pytest.raises(InsufficientFunds):
        wallet.record_spends(too_much)
    assert (wallet.balance, wallet.version) == (cny("1.10"), version + 1)
    with pytest.raises(ValidationError):
        wallet.record_spends(())
    assert mint.deposits == ()
