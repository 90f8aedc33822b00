"""What a unit of work and a gateway refuse to be given: only library errors escape."""

from __future__ import annotations

import pytest

from ecservice.errors import ValidationError
from ecservice.payments.gateways import MemoryBook
from ecservice.storage import EWalletSerializer, MemoryStore


@pytest.mark.parametrize("given", [None, "order", 5, EWalletSerializer, object()])
def test_a_repository_needs_a_serializer(given: object) -> None:
    with MemoryStore().unit_of_work() as uow, pytest.raises(ValidationError, match="serializer"):
        uow.repository(given)  # type: ignore[arg-type]


def test_a_gateway_needs_a_book_not_the_class() -> None:
    from ecservice.clock import FixedClock
    from ecservice.payments import WalletGateway
    from ecservice.payments.wallet import EWallet, KdfParams
    from tests.storage.conftest import START

    clock = FixedClock(START)
    till = EWallet("teahouse", "482916", clock=clock, kdf=KdfParams(n=2**4), wallet_id="w-till")
    with pytest.raises(ValidationError, match="book must be a GatewayBook"):
        WalletGateway(
            {},
            till,
            lambda _: "000000",
            merchant_auth=lambda: "482916",
            book=MemoryBook,  # type: ignore[arg-type]
        )


@pytest.mark.parametrize(("type_name", "id"), [("order", None), (None, "O-1"), ("order", 5)])
def test_a_stores_lookup_by_key_needs_text(type_name: object, id: object) -> None:
    store = MemoryStore()
    with pytest.raises(ValidationError):
        store.stored_version(type_name, id)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        store.next_due_at(type_name, id)  # type: ignore[arg-type]
