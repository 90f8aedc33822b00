"""E-wallet payments in ``ecservice demo``: about one order in ten is paid from the buyer's
stored e-wallet through the wallet payment service (its books beside the gateway's), and the
money verdict counts the wallets: value neither made nor lost among them, and the shop's
money in its card account and its wallet together what the stored payments kept."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ecservice._demo import run_demo
from ecservice._demo_shop import order_id_of, pays_by_wallet, wallet_id_of
from ecservice._demo_store import gateway_url
from ecservice._demo_wallets import SERIALIZER
from ecservice.application._order_payments import payments_of
from ecservice.money import Money
from ecservice.payments import InstrumentKind
from ecservice.storage import UnitOfWork, run_in_transaction

pytest.importorskip("cryptography")


def _stores(url: str) -> tuple[Any, Any]:
    from ecservice.storage.sql import SqlStore

    return SqlStore(url), SqlStore(gateway_url(url))


def test_some_orders_are_paid_from_e_wallets_and_the_money_is_conserved(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    summary = run_demo(300, seed=4, db=url)
    assert summary.money_conserved, summary.gateway_problems
    assert summary.instruments is not None
    wallets = summary.instruments.wallets
    assert wallets.conserved
    assert wallets.wallets == sum(pays_by_wallet(order_id_of(i)) for i in range(300))
    assert not wallets.shop.is_zero()
    shop_store, wallet_store = _stores(url)
    try:

        def paid(uow: UnitOfWork) -> list[Any]:
            found = []
            for i in range(300):
                order_id = order_id_of(i)
                if pays_by_wallet(order_id):
                    found += payments_of(uow, order_id)
            return found

        payments = run_in_transaction(shop_store, paid)
        captured = [p for p in payments if p.captured is not None]
        assert captured, "some wallet payments were captured"
        assert all(p.instrument.kind is InstrumentKind.WALLET for p in payments)
    finally:
        shop_store.dispose()
        wallet_store.dispose()


def test_value_made_in_a_wallet_is_found(tmp_path: Path) -> None:
    """A wallet credited behind the demo's back (no top-up, no payment) makes the next run's
    verdict ``money conserved: NO``."""
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    assert run_demo(120, seed=8, db=url).money_conserved
    order_id = next(order_id_of(i) for i in range(120) if pays_by_wallet(order_id_of(i)))
    _, wallet_store = _stores(url)
    try:
        with wallet_store.unit_of_work() as uow:
            repo = uow.repository(SERIALIZER)
            wallet = repo.get(wallet_id_of(order_id))
            wallet.credit(Money("1.00", "CNY"), "gift")
            repo.save(wallet)
            uow.commit()
    finally:
        wallet_store.dispose()
    again = run_demo(10, seed=9, db=url)
    assert not again.money_conserved
    assert again.instruments is not None
    assert not again.instruments.wallets.conserved
    assert again.instruments.ecash.conserved
