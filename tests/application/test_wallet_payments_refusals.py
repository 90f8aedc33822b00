"""Stored e-wallet payments: a declined authorisation leaves the stored wallets as they were
(same version, so nothing is saved again), unless a wrong PIN was counted; a fault of the
shop's ``auth_for`` declines without counting an attempt; on memory, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ecservice.application import WalletPaymentService
from ecservice.clock import FixedClock
from ecservice.storage import Store
from tests.application.conftest import StoreFactory
from tests.application.wallet_rig import (
    BUYERS,
    PIN,
    SERIALIZER,
    SHOP,
    SHOP_PIN,
    cny,
    seed,
    wallet_of,
)

LI = wallet_of("w-li")


@pytest.fixture
def store(make_store: StoreFactory, clock: FixedClock) -> Store:
    made = make_store(clock)
    seed(made, clock)
    return made


def stored(store: Store) -> dict[str, tuple[int, int, object]]:
    """Each stored wallet's ``(version, failed attempts, ledger)``."""
    with store.unit_of_work() as uow:
        repo = uow.repository(SERIALIZER)
        found = {w: repo.get(w) for w in (*BUYERS, SHOP)}
    return {w: (x.version, x.failed_attempts, x.ledger) for w, x in found.items()}


def payments(store: Store, auth_for: Callable[[str], object]) -> WalletPaymentService:
    return WalletPaymentService(
        store,
        merchant_wallet=SHOP,
        auth_for=auth_for,  # type: ignore[arg-type]
        merchant_auth=lambda: SHOP_PIN,
        serializer=SERIALIZER,
        backoff=lambda _: 0.0,
        sleep=lambda _: None,
    )


def test_an_unaffordable_authorisation_with_the_right_pin_saves_nothing(store: Store) -> None:
    """Too little stored value: declined, and the stored wallets keep their versions."""
    before = stored(store)
    answer = payments(store, lambda _: PIN).authorize(
        LI, cny("500.00"), reference="P-1", idempotency_key="A-1"
    )
    assert not answer.approved
    assert "insufficient funds" in answer.message
    assert stored(store) == before


@pytest.mark.parametrize(
    ("auth_for", "message"),
    [
        (lambda _: None, "the shop's auth_for returned NoneType"),
        (lambda _: 2468, "the shop's auth_for returned int"),
        (lambda w: {}[w], "the shop's auth_for failed (KeyError)"),
    ],
)
def test_a_fault_of_auth_for_declines_and_counts_nothing(
    store: Store, auth_for: Callable[[str], object], message: str
) -> None:
    """Six faulty calls (more than the lock-out allows): each declined naming the callback, no
    error escapes, the stored wallets are unchanged and the buyer can still pay."""
    before = stored(store)
    service = payments(store, auth_for)
    for n in range(6):
        answer = service.authorize(LI, cny("30.00"), reference="P-1", idempotency_key=f"A-{n}")
        assert not answer.approved
        assert message in answer.message
    assert stored(store) == before
    answer = payments(store, lambda _: PIN).authorize(
        LI, cny("30.00"), reference="P-1", idempotency_key="A-0"
    )
    assert answer.approved, answer.message
