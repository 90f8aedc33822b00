"""The static types of the gateways' books and of e-wallet payments over a store, checked by
``mypy --strict tests/typing`` (and run by pytest)."""

from __future__ import annotations

from typing import Any, assert_type

from ecservice.application import WalletPaymentService
from ecservice.money import Money
from ecservice.payments import GatewayResponse, Instrument, InstrumentKind
from ecservice.payments.gateways import (
    WALLET_HOLDS,
    Authorization,
    Capture,
    GatewayBook,
    HoldCodec,
    MemoryBook,
)
from ecservice.storage import MemoryStore, StoredGatewayBook


def test_book_types() -> None:
    book: MemoryBook[str] = MemoryBook("gw")
    assert_type(book.reference("auth"), str)
    assert_type(book.answer("K-1"), tuple[str, GatewayResponse] | None)
    assert_type(book.authorization("gw-auth-1"), Authorization[str] | None)
    assert_type(book.capture("gw-cap-1"), Capture[str] | None)
    assert_type(book.authorizations, dict[str, Authorization[str]])
    assert isinstance(WALLET_HOLDS, HoldCodec)
    assert_type(WALLET_HOLDS.fields, tuple[str, ...])
    store = MemoryStore()
    with store.unit_of_work() as uow:
        stored = StoredGatewayBook(uow, "wallet", WALLET_HOLDS)
        general: GatewayBook[Any] = stored
        assert general.answer("K-1") is None


def test_wallet_payment_service_types() -> None:
    service = WalletPaymentService(
        MemoryStore(),
        merchant_wallet="w-shop",
        auth_for=lambda wallet_id: "2468",
        merchant_auth=lambda: "9753",
    )
    assert_type(service.outcome("K-1"), GatewayResponse | None)
    assert_type(service.sealing_public_key, bytes)

    def typed_only() -> None:  # type-checked, not run: no wallet is stored here
        wallet = Instrument(InstrumentKind.WALLET, "w-li")
        answer = service.authorize(wallet, Money("1.00", "CNY"), reference="P", idempotency_key="k")
        assert_type(answer, GatewayResponse)
        assert_type(
            service.capture("a", Money("1.00", "CNY"), idempotency_key="c"), GatewayResponse
        )
        assert_type(service.void("a", idempotency_key="v"), GatewayResponse)
        assert_type(service.refund("c", Money("1.00", "CNY"), idempotency_key="r"), GatewayResponse)

    assert callable(typed_only)
