"""E-wallet payments over a store: money moves once, whichever service instance asks.

Each test makes new :class:`~ecservice.application.WalletPaymentService` objects over one store
(as new processes, or a process restarted after a crash, would), on memory, SQLite and
PostgreSQL; a hypothesis test runs random sequences of operations and keys through the stored
books and through a gateway with books in memory and demands the same answers and balances.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from ecservice.application import WalletPaymentService
from ecservice.clock import FixedClock
from ecservice.errors import (
    AggregateNotFound,
    IdempotencyConflict,
    ValidationError,
)
from ecservice.payments import OutcomeLookup, PaymentGateway
from ecservice.payments.gateways import WALLET_HOLDS, WalletGateway
from ecservice.storage import MemoryStore, Store, StoredGatewayBook
from tests.application.conftest import START, StoreFactory
from tests.application.gateway_sides import Side, operations
from tests.application.wallet_rig import (
    PIN,
    SERIALIZER,
    SHOP,
    SHOP_PIN,
    balances,
    cny,
    new_wallets,
    seed,
    service,
    total,
    wallet_of,
)

LI = wallet_of("w-li")


@pytest.fixture
def store(make_store: StoreFactory, clock: FixedClock) -> Store:
    made = make_store(clock)
    seed(made, clock)
    return made


def test_the_service_is_a_gateway_that_tells_outcomes(store: Store) -> None:
    payments = service(store)
    assert isinstance(payments, PaymentGateway)
    assert isinstance(payments, OutcomeLookup)
    assert "merchant_wallet='w-shop'" in repr(payments)
    assert len(payments.sealing_public_key) == 32


def test_authorise_capture_refund_across_new_services(store: Store) -> None:
    """Each step in a new service: the stored books carry what the earlier ones did."""
    start = total(store)
    auth = service(store).authorize(LI, cny("30.00"), reference="P-1", idempotency_key="A-1")
    assert auth.approved
    assert balances(store)["w-li"] == (cny("100.00"), cny("30.00"))
    cap = service(store).capture(auth.reference, cny("25.00"), idempotency_key="C-1")
    assert cap.approved
    assert cap.amount == cny("25.00")
    assert balances(store)["w-li"] == (cny("75.00"), cny("0.00"))
    assert balances(store)[SHOP] == (cny("25.00"), cny("0.00"))
    first = service(store).refund(cap.reference, cny("20.00"), idempotency_key="R-1")
    assert first.approved
    too_much = service(store).refund(cap.reference, cny("10.00"), idempotency_key="R-2")
    assert not too_much.approved
    assert "exceeds the 5.00 CNY left" in too_much.message
    assert service(store).refund(cap.reference, cny("5.00"), idempotency_key="R-2").approved
    assert balances(store)["w-li"] == (cny("100.00"), cny("0.00"))
    assert balances(store)[SHOP] == (cny("0.00"), cny("0.00"))
    assert total(store) == start


def test_a_retry_after_a_lost_answer_moves_nothing(store: Store) -> None:
    auth = service(store).authorize(LI, cny("30.00"), reference="P-1", idempotency_key="A-1")
    again = service(store).authorize(LI, cny("30.00"), reference="P-1", idempotency_key="A-1")
    assert again == auth
    assert balances(store)["w-li"] == (cny("100.00"), cny("30.00"))
    cap = service(store).capture(auth.reference, cny("30.00"), idempotency_key="C-1")
    assert service(store).capture(auth.reference, cny("30.00"), idempotency_key="C-1") == cap
    ref = service(store).refund(cap.reference, cny("10.00"), idempotency_key="R-1")
    assert service(store).refund(cap.reference, cny("10.00"), idempotency_key="R-1") == ref
    assert service(store).outcome("R-1") == ref
    assert service(store).outcome("R-404") is None
    assert balances(store)[SHOP] == (cny("20.00"), cny("0.00"))


def test_a_capture_retried_in_a_new_process_under_a_new_key_replays(store: Store) -> None:
    auth = service(store).authorize(LI, cny("30.00"), reference="P-1", idempotency_key="A-1")
    cap = service(store).capture(auth.reference, cny("30.00"), idempotency_key="C-1")
    replay = service(store).capture(auth.reference, cny("30.00"), idempotency_key="C-2")
    assert replay.approved
    assert replay.reference == cap.reference
    assert replay.message == "already captured"
    other = service(store).capture(auth.reference, cny("10.00"), idempotency_key="C-3")
    assert not other.approved
    void = service(store).void(auth.reference, idempotency_key="V-1")
    assert not void.approved
    assert balances(store)[SHOP] == (cny("30.00"), cny("0.00"))


def test_a_void_releases_once_and_replays(store: Store) -> None:
    auth = service(store).authorize(LI, cny("30.00"), reference="P-1", idempotency_key="A-1")
    assert service(store).void(auth.reference, idempotency_key="V-1").approved
    again = service(store).void(auth.reference, idempotency_key="V-2")
    assert again.approved
    assert again.message == "already voided"
    assert not service(store).capture(auth.reference, cny("1.00"), idempotency_key="C-1").approved
    assert balances(store)["w-li"] == (cny("100.00"), cny("0.00"))


def test_a_crash_before_the_commit_leaves_nothing_and_the_retry_moves_money_once(
    store: Store, clock: FixedClock
) -> None:
    """A process captures but dies before its commit; the retry in a new one captures once."""
    auth = service(store).authorize(LI, cny("30.00"), reference="P-1", idempotency_key="A-1")
    with store.unit_of_work() as uow:
        wallets = uow.repository(SERIALIZER)
        gateway = WalletGateway(
            {"w-li": wallets.get("w-li")},
            wallets.get(SHOP),
            lambda _: PIN,
            merchant_auth=lambda: SHOP_PIN,
            book=StoredGatewayBook(uow, "wallet", WALLET_HOLDS),
        )
        assert gateway.capture(auth.reference, cny("30.00"), idempotency_key="C-1").approved
        assert gateway.merchant_balance("CNY") == cny("30.00")
        # no commit: the process is gone
    assert balances(store)[SHOP] == (cny("0.00"), cny("0.00"))
    cap = service(store).capture(auth.reference, cny("30.00"), idempotency_key="C-1")
    assert cap.approved
    assert cap.message == ""
    assert balances(store)[SHOP] == (cny("30.00"), cny("0.00"))
    assert balances(store)["w-li"] == (cny("70.00"), cny("0.00"))


def test_another_request_under_a_used_key_conflicts_in_any_service(store: Store) -> None:
    auth = service(store).authorize(LI, cny("30.00"), reference="P-1", idempotency_key="A-1")
    with pytest.raises(IdempotencyConflict, match="'A-1' was used at wallet"):
        service(store).authorize(LI, cny("31.00"), reference="P-1", idempotency_key="A-1")
    with pytest.raises(IdempotencyConflict):
        service(store).void(auth.reference, idempotency_key="A-1")
    assert balances(store)["w-li"] == (cny("100.00"), cny("30.00"))


def test_a_wrong_pin_declines_and_still_counts(store: Store) -> None:
    payments = WalletPaymentService(
        store,
        merchant_wallet=SHOP,
        auth_for=lambda _: "0000",
        merchant_auth=lambda: SHOP_PIN,
        serializer=SERIALIZER,
    )
    answer = payments.authorize(LI, cny("30.00"), reference="P-1", idempotency_key="A-1")
    assert not answer.approved
    with store.unit_of_work() as uow:
        assert uow.repository(SERIALIZER).get("w-li").failed_attempts == 1
    assert payments.outcome("A-1") is None
    # The same key is free: with the right PIN it authorises.
    assert service(store).authorize(LI, cny("30.00"), reference="P-1", idempotency_key="A-1")


def test_declines_and_unknown_references(store: Store) -> None:
    payments = service(store)
    for who, why in (("w-nobody", "knows no e-wallet"), (SHOP, "merchant's own wallet")):
        answer = payments.authorize(
            wallet_of(who), cny("1.00"), reference="P-1", idempotency_key=f"A-{who}"
        )
        assert not answer.approved
        assert why in answer.message or "unknown e-wallet" in answer.message
    poor = payments.authorize(LI, cny("100.01"), reference="P-2", idempotency_key="A-2")
    assert not poor.approved
    assert "insufficient funds" in poor.message
    with pytest.raises(ValidationError, match="has no authorisation"):
        payments.capture("wallet-auth-404", cny("1.00"), idempotency_key="C-1")
    with pytest.raises(ValidationError, match="has no capture"):
        payments.refund("wallet-cap-404", cny("1.00"), idempotency_key="R-1")
    with pytest.raises(ValidationError):
        payments.outcome(" K")


def test_a_missing_merchant_wallet_is_reported() -> None:
    payments = WalletPaymentService(
        MemoryStore(),
        merchant_wallet=SHOP,
        auth_for=lambda _: PIN,
        merchant_auth=lambda: SHOP_PIN,
    )
    with pytest.raises(AggregateNotFound, match="w-shop"):
        payments.authorize(LI, cny("1.00"), reference="P-1", idempotency_key="A-1")


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"store": object()}, "needs a store with a unit_of_work"),
        ({"merchant_wallet": " w"}, "merchant_wallet must not start"),
        ({"auth_for": "2468"}, "auth_for must be callable"),
        ({"merchant_auth": None}, "merchant_auth must be callable"),
        ({"serializer": object()}, "serializer must be an EWalletSerializer"),
        ({"name": ""}, "a gateway name"),
        ({"sealing_key": b"k" * 32}, "sealing_key must be an X25519PrivateKey"),
        ({"merchant_id": ""}, "a merchant id"),
        ({"attempts": 0}, "attempts must be an int from 1 to 100"),
    ],
)
def test_the_service_checks_its_arguments(change: dict[str, Any], problem: str) -> None:
    arguments: dict[str, Any] = {
        "store": MemoryStore(),
        "merchant_wallet": SHOP,
        "auth_for": lambda _: PIN,
        "merchant_auth": lambda: SHOP_PIN,
        **change,
    }
    store = arguments.pop("store")
    with pytest.raises(ValidationError, match=problem):
        WalletPaymentService(store, **arguments)


# --- the stored books answer as the books in memory ------------------------------------------

OPERATIONS = operations(["w-li", "w-han", SHOP, "w-x"])


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(operations=OPERATIONS)
def test_the_stored_books_answer_as_the_books_in_memory(
    operations: list[tuple[Any, ...]],
) -> None:
    clock = FixedClock(START)
    wallets = new_wallets(clock)
    memory = Side(
        WalletGateway(wallets, wallets[SHOP], lambda _: PIN, merchant_auth=lambda: SHOP_PIN),
        wallet_of,
        caps_named_by_auth=True,
    )
    store = MemoryStore(clock=clock)
    seed(store, clock)
    stored = Side(service(store), wallet_of, caps_named_by_auth=True)
    for op in operations:
        assert stored.run(op) == memory.run(op), op
    in_memory = {w: (x.balance("CNY"), x.held("CNY")) for w, x in wallets.items()}
    assert balances(store) == in_memory


def test_a_dual_signed_purchase_is_authorised_once_whichever_process_asks(store: Store) -> None:
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    key = X25519PrivateKey.generate()

    def process() -> WalletPaymentService:
        return WalletPaymentService(
            store,
            merchant_wallet=SHOP,
            auth_for=lambda _: PIN,
            merchant_auth=lambda: SHOP_PIN,
            serializer=SERIALIZER,
            sealing_key=key,
        )

    with store.unit_of_work() as uow:
        wallets = uow.repository(SERIALIZER)
        buyer = wallets.get("w-li")
        signed = buyer.instruct_dual(
            "teahouse", cny("30.00"), "O-9", auth=PIN, gateway_key=process().sealing_public_key
        )
        wallets.save(buyer)
        uow.commit()
    request = signed.for_gateway()
    first = process().authorize_dual(request, cny("30.00"), reference="P-9", idempotency_key="D-1")
    assert first.approved
    assert (
        process().authorize_dual(request, cny("30.00"), reference="P-9", idempotency_key="D-1")
        == first
    )
    again = process().authorize_dual(request, cny("30.00"), reference="P-9", idempotency_key="D-2")
    assert not again.approved
    assert again.message == f"the purchase is already authorised as {first.reference}"
    cap = process().capture(first.reference, cny("30.00"), idempotency_key="C-1")
    assert cap.approved
    assert balances(store)[SHOP] == (cny("30.00"), cny("0.00"))
    assert balances(store)["w-li"] == (cny("70.00"), cny("0.00"))
