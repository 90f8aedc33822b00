"""E-cash payments in ``ecservice demo``: about one order in twenty is paid with coins of the
demo's mint through the e-cash payment service (the coin wallets beside the gateway's books, the
mint's ledger in a database of its own), and the money verdict counts them: the coins withdrawn
are still on the coins or owed to the shop by the mint."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from ecservice._demo import run_demo
from ecservice._demo_ecash import SERIALIZER, mint_url
from ecservice._demo_shop import ecash_wallet_of, order_id_of, pays_by_ecash, pays_by_wallet
from ecservice._demo_store import gateway_url
from ecservice.application._order_payments import payments_of
from ecservice.payments import InstrumentKind, PaymentStatus
from ecservice.storage import UnitOfWork, run_in_transaction

pytest.importorskip("cryptography")


def test_e_cash_and_e_wallet_orders_are_apart() -> None:
    ids = [order_id_of(i) for i in range(2_000)]
    ecash = [i for i in ids if pays_by_ecash(i)]
    assert not any(pays_by_wallet(i) for i in ecash)
    assert 50 < len(ecash) < 150  # about one in twenty of the others


def test_some_orders_are_paid_with_e_cash_and_the_money_is_conserved(tmp_path: Path) -> None:
    from ecservice.storage.sql import SqlStore

    url = f"sqlite:///{tmp_path / 'shop.db'}"
    summary = run_demo(300, seed=4, db=url)
    assert summary.money_conserved, summary.gateway_problems
    assert summary.instruments is not None
    ecash = summary.instruments.ecash
    assert ecash.conserved
    assert ecash.wallets == sum(pays_by_ecash(order_id_of(i)) for i in range(300))
    assert not ecash.shop.is_zero()
    assert Path(mint_url(gateway_url(url)).removeprefix("sqlite:///")).exists()
    shop_store, provider = SqlStore(url), SqlStore(gateway_url(url))
    try:

        def paid(uow: UnitOfWork) -> list[Any]:
            found = []
            for i in range(300):
                if pays_by_ecash(order_id_of(i)):
                    found += payments_of(uow, order_id_of(i))
            return found

        payments = run_in_transaction(shop_store, paid)
        assert all(p.instrument.kind is InstrumentKind.ECASH for p in payments)
        assert any(p.captured is not None for p in payments), "some e-cash payments captured"
        declined = [p for p in payments if p.status is PaymentStatus.FAILED]
        # Only an empty coin wallet is declined.
        wallets = run_in_transaction(
            provider,
            lambda uow: [
                uow.repository(SERIALIZER).get(ecash_wallet_of(p.order_id)) for p in declined
            ],
        )
        assert all(not w.coins for w in wallets)
    finally:
        shop_store.dispose()
        provider.dispose()


def test_value_made_at_the_mint_is_found(tmp_path: Path) -> None:
    """A deposit made larger in the mint's ledger behind the demo's back makes the next run's
    verdict ``money conserved: NO``."""
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    assert run_demo(150, seed=8, db=url).money_conserved
    engine = sa.create_engine(mint_url(gateway_url(url)))
    try:
        with engine.begin() as connection:
            changed = connection.execute(
                sa.text(
                    "UPDATE ecs_mint_deposits SET amount = amount + 100 WHERE deposit_id = "
                    "(SELECT min(deposit_id) FROM ecs_mint_deposits)"
                )
            ).rowcount
        assert changed == 1
    finally:
        engine.dispose()
    again = run_demo(10, seed=9, db=url)
    assert not again.money_conserved
    assert again.instruments is not None
    assert not again.instruments.ecash.conserved
    assert again.instruments.wallets.conserved
