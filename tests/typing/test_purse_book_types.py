"""The static types of the purse gateway's stored books and of purse payments over a store,
checked by ``mypy --strict tests/typing`` (and run by pytest)."""

from __future__ import annotations

from typing import assert_type

from ecservice.application import PursePaymentService
from ecservice.money import Money
from ecservice.payments import GatewayResponse, Instrument, InstrumentKind
from ecservice.payments.gateways import PURSE_HOLDS, HoldCodec, MemoryBook
from ecservice.payments.mondex import PaymentDetails
from ecservice.storage import MemoryStore, StoredGatewayBook


def test_purse_book_types() -> None:
    book: MemoryBook[str] = MemoryBook("gw")
    assert_type(book.reservations("p-li"), dict[str, Money])
    assert book.reservations("p-li") == {}
    assert isinstance(PURSE_HOLDS, HoldCodec)
    with MemoryStore().unit_of_work() as uow:
        stored = StoredGatewayBook(uow, "purse", PURSE_HOLDS)
        assert_type(stored.reservations("p-li"), dict[str, Money])
        assert stored.reservations("p-li") == {}


def test_purse_payment_service_types() -> None:
    service = PursePaymentService(MemoryStore(), merchant_purse="p-shop")
    assert_type(service.outcome("K-1"), GatewayResponse | None)
    assert_type(service.reserved("p-li"), dict[str, Money])

    def typed_only() -> None:  # type-checked, not run: no purse is stored here
        purse = Instrument(InstrumentKind.PURSE, "p-li")
        answer = service.authorize(purse, Money("1.00", "CNY"), reference="P", idempotency_key="k")
        assert_type(answer, GatewayResponse)
        assert_type(
            service.capture("a", Money("1.00", "CNY"), idempotency_key="c"), GatewayResponse
        )
        assert_type(service.void("a", idempotency_key="v"), GatewayResponse)
        assert_type(service.refund("c", Money("1.00", "CNY"), idempotency_key="r"), GatewayResponse)
        assert_type(service.in_limbo(), tuple[PaymentDetails, ...])

    assert callable(typed_only)
