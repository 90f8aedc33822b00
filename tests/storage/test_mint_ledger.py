"""The mint behaves the same whether its book is in memory, in SQLite or in PostgreSQL.

Each scenario runs against a :class:`~ecservice.payments.ecash.Mint` with a
:class:`~ecservice.payments.ecash.MemoryMintBook`, and with a
:class:`~ecservice.storage.sql._coins.SqlMintBook` on an SQLite file and on PostgreSQL (skipped
without ``ECSERVICE_TEST_PG_URL``). A property test runs random sequences of deposits, replays,
refunds, refreshes and payouts through a memory mint and an SQL mint side by side and demands the
same answers and the same records (deposit and refund numbers compared by rank: the database
numbers them in order, possibly with gaps).
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecservice.clock import FixedClock
from ecservice.errors import DoubleSpend, EcServiceError, InsufficientFunds, ValidationError
from ecservice.money import Money
from ecservice.payments.ecash import (
    AlreadyPaidOut,
    CoinWallet,
    DenominationExpired,
    DepositDraft,
    Mint,
    MintBook,
    Planchet,
    PurePythonBlindSigner,
    RefundExceedsDeposit,
    RefundWindowClosed,
    UnknownDeposit,
    contract_hash,
)
from ecservice.storage.sql._books import MAX_MINOR_UNITS
from ecservice.storage.sql._coins import SqlMintBook
from tests.storage.mint_rig import (
    KEY_PEMS,
    MINT,
    T0,
    cny,
    load_key,
    make_mint,
    memory_book,
    sql_book,
    totals,
    withdraw_coins,
)

ORDER = contract_hash("teahouse order 42")


@dataclasses.dataclass
class Rig:
    """A mint with a book of one kind, a wallet of coins and the clock they read."""

    clock: FixedClock
    mint: Mint
    wallet: CoinWallet
    denominations: dict[str, Any]
    engine: sa.Engine | None

    def coin(self, value: str = "1.00") -> Any:
        return self.wallet.withdraw(self.mint, "alice", self.denominations[value])

    def secret(self, coin: Any) -> Any:
        return self.wallet.wallet_coin(coin.public_key)

    def refund(self, coin: Any, amount: str, *, merchant: str = "teahouse") -> Any:
        return self.mint.refund(
            merchant=merchant,
            coin_public_key=coin.public_key,
            contract_hash=ORDER,
            amount=cny(amount),
        )

    def snapshot(self, *coins: Any) -> tuple[Any, ...]:
        m = self.mint
        return (
            m.deposit_states(),
            m.refunds,
            m.refreshes,
            m.payouts,
            tuple(m.remaining_value(c) for c in coins),
            m.pending_total("teahouse"),
        )


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def book_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], MintBook]:
    """Makes the book under test: empty, with its tables created."""
    if request.param == "memory":
        return memory_book
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'mint.db'}"
        return lambda: sql_book(url)
    pg: str = request.getfixturevalue("pg_url")
    return lambda: sql_book(pg)


@pytest.fixture
def rig(book_factory: Callable[[], MintBook]) -> Iterator[Rig]:
    clock = FixedClock(T0)
    book = book_factory()
    mint, denominations = make_mint(clock, book)
    engine = book.engine if isinstance(book, SqlMintBook) else None
    yield Rig(clock, mint, CoinWallet(clock, currency="CNY"), denominations, engine)
    if engine is not None:
        engine.dispose()


def test_deposit_replay_and_double_spend(rig: Rig) -> None:
    """A replay returns the first receipt and changes nothing; a second spend of value the coin
    no longer has is a double spend and changes nothing."""
    coin = rig.coin()
    secret = rig.secret(coin)
    spend = secret.spend(cny("0.60"), merchant="teahouse", contract=ORDER)
    version = rig.mint.version
    receipt = rig.mint.deposit(spend)
    assert (receipt.deposit_id, receipt.amount) == (1, cny("0.60"))
    assert rig.mint.remaining_value(coin) == cny("0.40")
    before = rig.snapshot(coin)
    rig.clock.advance(hours=1)
    assert rig.mint.deposit(spend) == receipt
    assert rig.mint.deposit(attrs.evolve(spend)) == receipt
    with pytest.raises(DoubleSpend, match=r"has 0\.40 CNY left"):
        rig.mint.deposit(secret.spend(cny("0.50"), merchant="bookshop", contract=b"book"))
    assert rig.snapshot(coin) == before
    # A book outside the document leaves the mint's version alone.
    assert rig.mint.version == version + (0 if rig.mint.book.external else 1)
    second = rig.mint.deposit(secret.spend(cny("0.40"), merchant="bookshop", contract=b"book"))
    assert second.deposit_id == 2
    assert rig.mint.remaining_value(coin) == cny("0.00")
    assert rig.mint.deposits == (receipt, second)


def test_window_closed_deposit_is_refused_but_a_replay_still_answers(rig: Rig) -> None:
    coin = rig.coin()
    secret = rig.secret(coin)
    spend = secret.spend(cny("0.30"), merchant="teahouse", contract=ORDER)
    receipt = rig.mint.deposit(spend)
    rig.clock.advance(days=60)
    assert rig.mint.deposit(spend) == receipt
    before = rig.snapshot(coin)
    with pytest.raises(DenominationExpired, match="deposit window"):
        rig.mint.deposit(secret.spend(cny("0.30"), merchant="teahouse", contract=ORDER))
    assert rig.snapshot(coin) == before


def test_refunds_never_exceed_the_deposit_nor_follow_the_payout(rig: Rig) -> None:
    coin = rig.coin("1.00")
    rig.mint.deposit(rig.secret(coin).spend(cny("0.60"), merchant="teahouse", contract=ORDER))
    refund = rig.refund(coin, "0.25")
    assert (refund.refund_id, refund.amount) == (1, cny("0.25"))
    assert rig.mint.remaining_value(coin) == cny("0.65")
    assert rig.mint.pending_total("teahouse") == cny("0.35")
    before = rig.snapshot(coin)
    with pytest.raises(RefundExceedsDeposit, match=r"only 0\.35 CNY"):
        rig.refund(coin, "0.36")
    with pytest.raises(UnknownDeposit):
        rig.refund(coin, "0.01", merchant="bookshop")
    assert rig.snapshot(coin) == before
    assert rig.mint.payout("teahouse") == cny("0.35")
    assert rig.mint.payout("teahouse") == cny("0.00")
    (payout,) = rig.mint.payouts
    assert (payout.merchant, payout.amount, payout.deposit_ids) == ("teahouse", cny("0.35"), (1,))
    with pytest.raises(AlreadyPaidOut, match=r"only 0\.00 CNY is still refundable"):
        rig.refund(coin, "0.01")
    assert rig.mint.remaining_value(coin) == cny("0.65")
    assert rig.mint.deposit_states()[0][2:] == (cny("0.25"), True)


def test_a_refund_is_drawn_on_the_deposits_in_order(rig: Rig) -> None:
    coin = rig.coin("1.00")
    secret = rig.secret(coin)
    rig.mint.deposit(secret.spend(cny("0.30"), merchant="teahouse", contract=ORDER))
    rig.mint.deposit(secret.spend(cny("0.20"), merchant="teahouse", contract=ORDER))
    rig.refund(coin, "0.40")
    refunded = [state[2] for state in rig.mint.deposit_states()]
    assert refunded == [cny("0.30"), cny("0.10")]
    assert rig.mint.pending_total("teahouse") == cny("0.10")
    assert rig.mint.remaining_value(coin) == cny("0.90")


def test_refund_after_the_window_is_refused_and_changes_nothing(rig: Rig) -> None:
    coin = rig.coin("1.00")
    rig.mint.deposit(rig.secret(coin).spend(cny("0.60"), merchant="teahouse", contract=ORDER))
    rig.clock.advance(days=60)
    before = rig.snapshot(coin)
    with pytest.raises(RefundWindowClosed):
        rig.refund(coin, "0.10")
    assert rig.snapshot(coin) == before


def test_refresh_melts_once_and_a_replay_gets_the_same_signatures(rig: Rig) -> None:
    coin = rig.coin("1.00")
    secret = rig.secret(coin)
    rig.mint.deposit(secret.spend(cny("0.40"), merchant="teahouse", contract=ORDER))
    planchets = [
        Planchet.create(rig.denominations["0.50"]),
        Planchet.create(rig.denominations["0.10"]),
    ]
    request = secret.refresh(cny("0.60"), planchets)
    first = rig.mint.refresh(request)
    before = rig.snapshot(coin)
    assert rig.mint.refresh(request) == first
    assert rig.snapshot(coin) == before
    (record,) = rig.mint.refreshes
    assert (record.amount, record.issued) == (cny("0.60"), cny("0.60"))
    assert record.blinded_message_hashes == tuple(
        p.blinded().blinded_message_hash for p in planchets
    )
    assert rig.mint.remaining_value(coin) == cny("0.00")
    with pytest.raises(DoubleSpend):
        rig.mint.refresh(secret.refresh(cny("0.10"), [Planchet.create(rig.denominations["0.10"])]))
    too_much = secret.refresh(cny("0.10"), [Planchet.create(rig.denominations["0.50"])])
    with pytest.raises(InsufficientFunds):
        rig.mint.refresh(too_much)
    assert rig.snapshot(coin) == before
    new = [p.finalize(s).coin for p, s in zip(planchets, first, strict=True)]
    assert [rig.mint.remaining_value(c) for c in new] == [cny("0.50"), cny("0.10")]


def test_payout_pays_each_deposit_once_even_when_fully_refunded(rig: Rig) -> None:
    coin = rig.coin("1.00")
    secret = rig.secret(coin)
    rig.mint.deposit(secret.spend(cny("0.10"), merchant="teahouse", contract=b"first"))
    assert rig.mint.payout("teahouse") == cny("0.10")
    rig.mint.deposit(secret.spend(cny("0.20"), merchant="teahouse", contract=ORDER))
    rig.refund(coin, "0.20")
    assert rig.mint.payout("teahouse") == cny("0.00")
    assert rig.mint.payout("bookshop") == cny("0.00")
    assert [(p.amount, p.deposit_ids) for p in rig.mint.payouts] == [
        (cny("0.10"), (1,)),
        (cny("0.00"), (2,)),
    ]


def test_a_mint_refuses_a_book_of_another_mint() -> None:
    clock = FixedClock(T0)
    with pytest.raises(ValidationError, match="cannot serve mint"):
        Mint(clock, currency="EUR", name=MINT, book=memory_book())
    with pytest.raises(ValidationError, match="cannot serve mint"):
        Mint(clock, currency="CNY", name="mint-b", book=memory_book())
    with pytest.raises(ValidationError, match="must be a MintBook"):
        Mint(clock, currency="CNY", name=MINT, book="ledger")  # type: ignore[arg-type]


def test_a_mint_restored_with_a_database_book_keeps_no_deposit_in_its_document(
    tmp_path: Path,
) -> None:
    """The deposits of a mint whose book is in the database live there, not in its document:
    restoring one with stored deposits is refused; without, the book answers."""
    book = sql_book(f"sqlite:///{tmp_path / 'mint.db'}")
    clock = FixedClock(T0)
    mint, _ = make_mint(clock, book)
    wallet = CoinWallet(clock, currency="CNY")
    coin = wallet.withdraw(mint, "alice", mint.denominations[0])
    (spend,) = wallet.pay(cny("0.70"), merchant="teahouse", contract=ORDER)
    mint.deposit(spend)
    signers = [PurePythonBlindSigner(load_key(pem)) for pem in KEY_PEMS]
    parts: dict[str, Any] = {
        "currency": "CNY",
        "name": MINT,
        "version": mint.version,
        "denominations": mint.denominations,
        "signers": signers,
        "reserves": mint.reserves,
        "withdrawals": mint.withdrawals,
    }
    with pytest.raises(ValidationError, match="deposits were given"):
        Mint.restore(clock, **parts, deposits=mint.deposit_states(), book=book)
    again = Mint.restore(clock, **parts, book=book)
    assert again.deposits == mint.deposits
    assert again.remaining_value(coin) == cny("0.30")
    assert again.version == mint.version
    book.engine.dispose()


def test_the_database_book_refuses_amounts_beyond_a_bigint(tmp_path: Path) -> None:
    book = sql_book(f"sqlite:///{tmp_path / 'mint.db'}")
    huge = Money.from_minor(MAX_MINOR_UNITS + 1, "CNY")
    draft = DepositDraft(
        coin_public_key=bytes(32),
        denomination_id=bytes(32),
        coin_value=huge,
        merchant="teahouse",
        contract_hash=ORDER,
        amount=cny("1.00"),
        nonce=bytes(16),
        spend_signature=bytes(64),
        deposited_at=T0,
    )
    with pytest.raises(ValidationError, match="at most 9223372036854775807 minor units"):
        book.deposit(draft, lambda: None)
    assert book.deposit_states() == ()
    with pytest.raises(ValidationError, match="SqlStore, an engine or a URL"):
        SqlMintBook(42, mint=MINT, currency="CNY")  # type: ignore[arg-type]
    book.engine.dispose()


# --- memory and database side by side ---------------------------------------------------------

COINS = withdraw_coins(3)
MERCHANTS = ("teahouse", "bookshop")
CONTRACTS = (b"order-1", b"order-2")

deposit_ops = st.tuples(
    st.just("deposit"),
    st.integers(0, 2),
    st.integers(1, 100),
    st.sampled_from(MERCHANTS),
    st.sampled_from(CONTRACTS),
)
replay_ops = st.tuples(st.just("replay"), st.integers(0, 50))
refund_ops = st.tuples(
    st.just("refund"),
    st.integers(0, 2),
    st.integers(1, 100),
    st.sampled_from(MERCHANTS),
    st.sampled_from(CONTRACTS),
)
refresh_ops = st.tuples(st.just("refresh"), st.integers(0, 2), st.integers(1, 3))
payout_ops = st.tuples(st.just("payout"), st.sampled_from(MERCHANTS))
OPERATIONS = st.lists(
    st.one_of(deposit_ops, replay_ops, refund_ops, refresh_ops, payout_ops), max_size=14
)


def _normalised(mint: Mint) -> tuple[Any, ...]:
    """The mint's records with deposit numbers replaced by their rank."""
    states = mint.deposit_states()
    rank = {state[0].deposit_id: n for n, state in enumerate(states, start=1)}
    return (
        tuple((attrs.evolve(r, deposit_id=rank[r.deposit_id]), *rest) for r, *rest in states),
        tuple(attrs.evolve(r, refund_id=n) for n, r in enumerate(mint.refunds, start=1)),
        mint.refreshes,
        tuple(
            attrs.evolve(p, deposit_ids=tuple(rank[i] for i in p.deposit_ids)) for p in mint.payouts
        ),
        tuple(mint.remaining_value(c) for c in COINS.coins),
        tuple(mint.pending_total(m) for m in MERCHANTS),
    )


def _requests(operations: list[tuple[Any, ...]], planchets: list[Any]) -> list[tuple[Any, ...]]:
    """The operations with their spends and refresh requests signed once, for both mints."""
    coins = COINS.coins
    spends: list[Any] = []
    found: list[tuple[Any, ...]] = []
    for n, op in enumerate(operations):
        if op[0] == "deposit":
            secret = COINS.wallet_coin(coins[op[1]].public_key)
            spend = secret.spend(Money.from_minor(op[2], "CNY"), merchant=op[3], contract=op[4])
            spends.append(spend)
            found.append(("deposit", spend))
        elif op[0] == "replay":
            found.append(("deposit", spends[op[1] % len(spends)]) if spends else ("payout", "x"))
        elif op[0] == "refund":
            found.append(op)
        elif op[0] == "refresh":
            secret = COINS.wallet_coin(coins[op[1]].public_key)
            chosen = planchets[n % len(planchets) : n % len(planchets) + op[2]]
            found.append(("refresh", secret.refresh(cny("0.10") * op[2], chosen)))
        else:
            found.append(op)
    return found


def _run(mint: Mint, requests: list[tuple[Any, ...]]) -> list[Any]:
    """Apply the requests; return each outcome (an error's type, or what came back)."""
    coins = COINS.coins
    outcomes: list[Any] = []
    for op in requests:
        try:
            if op[0] == "deposit":
                outcome: Any = mint.deposit(op[1]).amount
            elif op[0] == "refund":
                outcome = mint.refund(
                    merchant=op[3],
                    coin_public_key=coins[op[1]].public_key,
                    contract_hash=op[4],
                    amount=Money.from_minor(op[2], "CNY"),
                ).amount
            elif op[0] == "refresh":
                outcome = mint.refresh(op[1])
            else:
                outcome = mint.payout(op[1])
        except EcServiceError as exc:
            outcome = type(exc).__name__
        outcomes.append(outcome)
    return outcomes


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'side.db'}"
    pg: str = request.getfixturevalue("pg_url")
    return pg


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=OPERATIONS)
def test_memory_and_database_books_answer_alike(
    database_url: str, operations: list[tuple[Any, ...]]
) -> None:
    """Random deposits, replays, refunds, refreshes and payouts: the same answers, the same
    records, and sums that balance in SQL."""
    book = sql_book(database_url)
    memory, denominations = make_mint(FixedClock(T0))
    sql, _ = make_mint(FixedClock(T0), book)
    planchets = [Planchet.create(denominations["0.10"]) for _ in range(6)]
    try:
        requests = _requests(operations, planchets)
        assert _run(memory, requests) == _run(sql, requests)
        assert _normalised(memory) == _normalised(sql)
        found = totals(book.engine)
        value, deposited, refunded, melted, remaining = found["coins"]
        assert value == deposited - refunded + melted + remaining
        assert found["coin_mismatches"] == (0,)
        assert found["deposit_mismatches"] == (0,)
        assert found["payout_mismatches"] == (0,)
        assert found["refunds"][0] == refunded == found["deposits"][1]
    finally:
        book.engine.dispose()


def test_the_database_book_imports_without_cryptography() -> None:
    """The SQL adapter may load the book's module without the crypto extra: the e-cash package
    is imported only when a book first records or reads a deposit."""
    code = (
        "import sys; sys.modules['cryptography'] = None\n"
        "from ecservice.storage.sql._coins import SqlMintBook\n"
        "from ecservice.storage.sql._coins_schema import MINT_TABLES\n"
        "assert 'ecservice.payments.ecash' not in sys.modules\n"
        "book = SqlMintBook('sqlite://', mint='m', currency='CNY')\n"
        "book.create_tables()\n"
        "assert book.pending_total('teahouse').is_zero()\n"
        "assert 'ecservice.payments.ecash' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_mint_with_a_database_book_is_stored_without_its_deposits(tmp_path: Path) -> None:
    """The mint serializer writes a mint with an external book without its deposits (they are
    the book's rows) and reads it back with the book it is given by the mint's name."""
    from ecservice.storage import MintSerializer

    book = sql_book(f"sqlite:///{tmp_path / 'mint.db'}")
    clock = FixedClock(T0)
    mint, _ = make_mint(clock, book)
    wallet = CoinWallet(clock, currency="CNY")
    coin = wallet.withdraw(mint, "alice", mint.denominations[0])
    (spend,) = wallet.pay(cny("0.70"), merchant="teahouse", contract=ORDER)
    receipt = mint.deposit(spend)
    signers = [PurePythonBlindSigner(load_key(pem)) for pem in KEY_PEMS]
    serializer = MintSerializer(signers, books={MINT: book})
    document = serializer.dump(mint)
    body = document["body"]
    assert (body["deposits"], body["refunds"], body["refreshes"], body["payouts"]) == (
        [],
        [],
        [],
        [],
    )
    assert body["withdrawals"]
    loaded = serializer.load(document, clock=clock)
    assert loaded.book is book
    assert loaded.deposits == (receipt,)
    assert loaded.remaining_value(coin) == cny("0.30")
    assert loaded.version == mint.version
    with pytest.raises(ValidationError, match="books must be a mapping"):
        MintSerializer(signers, books=[book])  # type: ignore[arg-type]
    book.engine.dispose()
