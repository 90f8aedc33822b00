"""Stored coin wallets, a mint and an :class:`~ecservice.application.EcashPaymentService` over
them, for the e-cash payment tests (in one process and in worker processes).

The mint's denominations use the fixed test keys of :mod:`tests.storage.mint_rig`, so every
process rebuilds the same mint over one book (in memory for a memory store; an SQLite file of
its own next to an SQLite store; the store's own PostgreSQL database).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ecservice.application import EcashPaymentService
from ecservice.clock import FixedClock
from ecservice.money import Money, sum_money
from ecservice.payments import Instrument, InstrumentKind
from ecservice.payments.ecash import CoinWallet, Mint, MintBook
from ecservice.storage import CoinWalletSerializer, Store, UnitOfWork
from tests.storage.mint_rig import KEY_PEMS, MINT, make_mint

SHOP = "e-shop"
#: The buyers' coin wallets and what each withdraws at the start.
BUYERS: Mapping[str, str] = {"cw-li": "30.00", "cw-han": "12.00"}
#: The wallets are stored with their coin keys: the service signs with them.
SERIALIZER = CoinWalletSerializer(secrets="include")


def cny(amount: str) -> Money:
    return Money(amount, "CNY")


def wallet_of(wallet_id: str) -> Instrument:
    return Instrument(InstrumentKind.ECASH, wallet_id)


def mint_book(store: Store, mint_url: str | None) -> MintBook | None:
    """The mint's book: ``None`` (in memory) for a memory store, else an SQL book at
    ``mint_url`` (the store's own database when ``None`` on PostgreSQL)."""
    from ecservice.storage.sql import SqlMintBook, SqlStore

    if mint_url is not None:
        book = SqlMintBook(mint_url, mint=MINT, currency="CNY")
        book.create_tables()
        return book
    if isinstance(store, SqlStore):
        return SqlMintBook(store, mint=MINT, currency="CNY")
    return None


def new_mint(clock: FixedClock, book: MintBook | None, pems: Sequence[bytes] = KEY_PEMS) -> Mint:
    """The mint over ``book``; a worker process gives the parent's denomination keys."""
    return make_mint(clock, book, pems)[0]


def seed(store: Store, mint: Mint, clock: FixedClock) -> None:
    """Withdraw the buyers' coins (1.00, 0.50, 0.10 CNY) and store the wallets."""
    with store.unit_of_work() as uow:
        repo = uow.repository(SERIALIZER)
        for wallet_id, amount in BUYERS.items():
            wallet = CoinWallet(clock, currency="CNY", wallet_id=wallet_id)
            wallet.withdraw_amount(mint, "alice", cny(amount))
            repo.add(wallet)
        uow.commit()


def service(
    store: Store, mint: Mint, *, waits: bool = False, attempts: int = 10
) -> EcashPaymentService:
    """A new service over ``store`` (as a new process would make)."""
    if waits:
        return EcashPaymentService(
            store, mint=mint, merchant=SHOP, serializer=SERIALIZER, attempts=attempts
        )
    return EcashPaymentService(
        store,
        mint=mint,
        merchant=SHOP,
        serializer=SERIALIZER,
        attempts=attempts,
        backoff=lambda _: 0.0,
        sleep=lambda _: None,
    )


def stored_wallets(store: Store) -> dict[str, CoinWallet]:
    with store.unit_of_work() as uow:
        repo = uow.repository(SERIALIZER)
        return {w: repo.get(w) for w in BUYERS}


def balances(store: Store) -> dict[str, Money]:
    return {w: x.balance for w, x in stored_wallets(store).items()}


def merchant_total(mint: Mint) -> Money:
    """What the merchant holds at the mint: pending plus paid out."""
    paid = sum_money((p.amount for p in mint.payouts if p.merchant == SHOP), "CNY")
    return mint.pending_total(SHOP) + paid


def conserved(store: Store, mint: Mint) -> bool:
    """Buyers' coins + merchant pending + paid out == what the buyers withdrew, and the
    wallets are in step with the mint (each coin's value as the mint honours it)."""
    withdrawn = sum_money((cny(a) for a in BUYERS.values()), "CNY")
    wallets = stored_wallets(store)
    held = sum_money((w.balance for w in wallets.values()), "CNY")
    in_step = all(
        mint.remaining_value(c) == w.remaining(c.public_key)
        for w in wallets.values()
        for c in w.coins
    )
    return in_step and held + merchant_total(mint) == withdrawn


class CrashingStore:
    """A store whose next ``crashes`` units of work fail at commit, as if the process stopped
    after the mint's own transactions and before the store's commit."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.crashes = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    def unit_of_work(self) -> _CrashingUnitOfWork:
        return _CrashingUnitOfWork(self.store.unit_of_work(), self)


class _CrashingUnitOfWork:
    def __init__(self, inner: UnitOfWork, owner: CrashingStore) -> None:
        self._inner = inner
        self._owner = owner

    def __enter__(self) -> _CrashingUnitOfWork:
        self._inner.__enter__()
        return self

    def __exit__(self, *exc: Any) -> Any:
        return self._inner.__exit__(*exc)

    def commit(self) -> None:
        if self._owner.crashes:
            self._owner.crashes -= 1
            raise Stopped("the process stopped before the store's commit")
        self._inner.commit()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class Stopped(Exception):
    """The simulated crash."""
