"""Purse payments over a store: money moves once and reservations hold, whichever service asks.

Each test makes new :class:`~ecservice.application.PursePaymentService` objects over one store
(as new processes, or a process restarted after a crash, would), on memory, SQLite and
PostgreSQL; a hypothesis test runs random sequences of operations and keys through the stored
books and through a gateway with books in memory and demands the same answers and balances.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from ecservice.application import PursePaymentService
from ecservice.clock import FixedClock
from ecservice.errors import (
    AggregateNotFound,
    IdempotencyConflict,
    ValidationError,
)
from ecservice.money import Money
from ecservice.payments import OutcomeLookup, PaymentGateway
from ecservice.payments.gateways import PURSE_HOLDS, PurseGateway
from ecservice.payments.gateways import _purse as purse_module
from ecservice.payments.mondex import Network, Purse, TransferResult, transfer
from ecservice.storage import PURSE_SERIALIZER, MemoryStore, Store, StoredGatewayBook
from tests.application.conftest import START, StoreFactory
from tests.application.gateway_sides import Side, operations
from tests.application.purse_rig import (
    SHOP,
    balances,
    cny,
    new_purses,
    purse_of,
    seed,
    service,
    stored_purses,
    total,
)

LI = purse_of("p-li")


@pytest.fixture
def store(make_store: StoreFactory, clock: FixedClock) -> Store:
    made = make_store(clock)
    seed(made, clock)
    return made


def test_the_service_is_a_gateway_that_tells_outcomes(store: Store) -> None:
    payments = service(store)
    assert isinstance(payments, PaymentGateway)
    assert isinstance(payments, OutcomeLookup)
    assert "merchant_purse='p-shop'" in repr(payments)


def test_authorise_capture_refund_across_new_services(store: Store) -> None:
    """Each step in a new service: the stored books and purses carry what earlier ones did."""
    start = total(store)
    auth = service(store).authorize(LI, cny("30.00"), reference="P-1", idempotency_key="A-1")
    assert auth.approved
    assert service(store).reserved("p-li") == {auth.reference: cny("30.00")}
    assert balances(store)["p-li"] == cny("100.00")  # a purse holds nothing back
    cap = service(store).capture(auth.reference, cny("25.00"), idempotency_key="C-1")
    assert cap.approved
    assert cap.amount == cny("25.00")
    assert service(store).reserved("p-li") == {}
    assert balances(store) == {"p-li": cny("75.00"), "p-han": cny("50.00"), SHOP: cny("25.00")}
    first = service(store).refund(cap.reference, cny("20.00"), idempotency_key="R-1")
    assert first.approved
    too_much = service(store).refund(cap.reference, cny("10.00"), idempotency_key="R-2")
    assert not too_much.approved
    assert "exceeds the 5.00 CNY left" in too_much.message
    assert service(store).refund(cap.reference, cny("5.00"), idempotency_key="R-2").approved
    assert balances(store)["p-li"] == cny("100.00")
    assert balances(store)[SHOP] == cny("0.00")
    assert total(store) == start


def test_what_is_reserved_counts_authorisations_made_by_other_services(store: Store) -> None:
    """The stored list of open authorisations keeps a purse from being reserved twice over."""
    first = service(store).authorize(LI, cny("70.00"), reference="P-1", idempotency_key="A-1")
    assert first.approved
    over = service(store).authorize(LI, cny("30.01"), reference="P-2", idempotency_key="A-2")
    assert not over.approved
    assert "70.00 CNY more is held by open authorisations" in over.message
    fits = service(store).authorize(LI, cny("30.00"), reference="P-2", idempotency_key="A-2")
    assert fits.approved
    assert service(store).reserved("p-li") == {
        first.reference: cny("70.00"),
        fits.reference: cny("30.00"),
    }
    assert service(store).void(first.reference, idempotency_key="V-1").approved
    assert service(store).reserved("p-li") == {fits.reference: cny("30.00")}
    again = service(store).authorize(LI, cny("70.00"), reference="P-3", idempotency_key="A-3")
    assert again.approved
    assert service(store).reserved("p-han") == {}


def test_a_retry_after_a_lost_answer_moves_nothing(store: Store) -> None:
    auth = service(store).authorize(LI, cny("30.00"), reference="P-1", idempotency_key="A-1")
    again = service(store).authorize(LI, cny("30.00"), reference="P-1", idempotency_key="A-1")
    assert again == auth
    assert list(service(store).reserved("p-li")) == [auth.reference]
    cap = service(store).capture(auth.reference, cny("30.00"), idempotency_key="C-1")
    assert service(store).capture(auth.reference, cny("30.00"), idempotency_key="C-1") == cap
    ref = service(store).refund(cap.reference, cny("10.00"), idempotency_key="R-1")
    assert service(store).refund(cap.reference, cny("10.00"), idempotency_key="R-1") == ref
    assert service(store).outcome("R-1") == ref
    assert service(store).outcome("R-404") is None
    assert balances(store)[SHOP] == cny("20.00")


def test_a_capture_retried_in_a_new_process_under_a_new_key_replays(store: Store) -> None:
    auth = service(store).authorize(LI, cny("30.00"), reference="P-1", idempotency_key="A-1")
    cap = service(store).capture(auth.reference, cny("30.00"), idempotency_key="C-1")
    replay = service(store).capture(auth.reference, cny("30.00"), idempotency_key="C-2")
    assert replay.approved
    assert replay.reference == cap.reference
    assert replay.message == "already captured"
    assert not service(store).capture(auth.reference, cny("10.00"), idempotency_key="C-3").approved
    assert not service(store).void(auth.reference, idempotency_key="V-1").approved
    assert balances(store)[SHOP] == cny("30.00")


def test_a_crash_before_the_commit_leaves_nothing_and_the_retry_moves_money_once(
    store: Store,
) -> None:
    """A process captures but dies before its commit; the retry in a new one captures once."""
    auth = service(store).authorize(LI, cny("30.00"), reference="P-1", idempotency_key="A-1")
    with store.unit_of_work() as uow:
        purses = uow.repository(PURSE_SERIALIZER)
        gateway = PurseGateway(
            {"p-li": purses.get("p-li")},
            purses.get(SHOP),
            book=StoredGatewayBook(uow, "purse", PURSE_HOLDS),
        )
        assert gateway.capture(auth.reference, cny("30.00"), idempotency_key="C-1").approved
        assert gateway.merchant_balance("CNY") == cny("30.00")
        # no commit: the process is gone
    assert balances(store)[SHOP] == cny("0.00")
    assert list(service(store).reserved("p-li")) == [auth.reference]
    cap = service(store).capture(auth.reference, cny("30.00"), idempotency_key="C-1")
    assert cap.approved
    assert cap.message == ""
    assert balances(store) == {"p-li": cny("70.00"), "p-han": cny("50.00"), SHOP: cny("30.00")}


def test_a_purse_spent_elsewhere_declines_the_capture(store: Store) -> None:
    """A purse is a bearer instrument: value spent outside the gateway is not there to take."""
    auth = service(store).authorize(LI, cny("80.00"), reference="P-1", idempotency_key="A-1")
    with store.unit_of_work() as uow:
        purses = uow.repository(PURSE_SERIALIZER)
        li, han = purses.get("p-li"), purses.get("p-han")
        assert transfer(li, han, cny("30.00")).completed
        purses.save(li)
        purses.save(han)
        uow.commit()
    cap = service(store).capture(auth.reference, cny("80.00"), idempotency_key="C-1")
    assert not cap.approved
    assert "refused" in cap.message
    assert service(store).outcome("C-1") is None
    assert total(store) == cny("150.00")


def test_a_transfer_stopped_part_way_is_in_limbo_for_every_new_service(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both purses log the lost value; the logs are stored, so any service lists it."""

    def lossy(payer: Purse, payee: Purse, value: Money) -> TransferResult:
        net = Network([payer, payee])
        details = net.start_transfer(payer.id, payee.id, value)
        outcomes = (net.deliver(),)  # the payer debits and sends Val ...
        net.drop()  # ... which is lost
        return TransferResult(details, outcomes)

    auth = service(store).authorize(LI, cny("30.00"), reference="P-1", idempotency_key="A-1")
    monkeypatch.setattr(purse_module, "transfer", lossy)
    cap = service(store).capture(auth.reference, cny("30.00"), idempotency_key="C-1")
    monkeypatch.undo()
    assert not cap.approved
    assert "in limbo" in cap.message
    purses = stored_purses(store)
    (lost,) = purses["p-li"].exception_log
    assert purses[SHOP].exception_log == (lost,)
    assert service(store).in_limbo() == (lost,)
    assert total(store) == cny("120.00")  # 30.00 is logged as lost, for the archive
    assert service(store).reserved("p-li") == {auth.reference: cny("30.00")}


def test_another_request_under_a_used_key_conflicts_in_any_service(store: Store) -> None:
    auth = service(store).authorize(LI, cny("30.00"), reference="P-1", idempotency_key="A-1")
    with pytest.raises(IdempotencyConflict, match="'A-1' was used at purse"):
        service(store).authorize(LI, cny("31.00"), reference="P-1", idempotency_key="A-1")
    with pytest.raises(IdempotencyConflict):
        service(store).void(auth.reference, idempotency_key="A-1")
    assert list(service(store).reserved("p-li")) == [auth.reference]


def test_declines_and_unknown_references(store: Store) -> None:
    payments = service(store)
    for who, why in (("p-nobody", "unknown purse"), (SHOP, "merchant's own purse")):
        answer = payments.authorize(
            purse_of(who), cny("1.00"), reference="P-1", idempotency_key=f"A-{who}"
        )
        assert not answer.approved
        assert why in answer.message
    poor = payments.authorize(LI, cny("100.01"), reference="P-2", idempotency_key="A-2")
    assert not poor.approved
    assert "insufficient funds" in poor.message
    assert payments.reserved("p-li") == {}
    with pytest.raises(ValidationError, match="has no authorisation"):
        payments.capture("purse-auth-404", cny("1.00"), idempotency_key="C-1")
    with pytest.raises(ValidationError, match="has no capture"):
        payments.refund("purse-cap-404", cny("1.00"), idempotency_key="R-1")
    with pytest.raises(ValidationError):
        payments.outcome(" K")
    with pytest.raises(ValidationError):
        payments.reserved("")


def test_a_missing_merchant_purse_is_reported() -> None:
    payments = PursePaymentService(MemoryStore(), merchant_purse=SHOP)
    with pytest.raises(AggregateNotFound, match="p-shop"):
        payments.authorize(LI, cny("1.00"), reference="P-1", idempotency_key="A-1")
    with pytest.raises(AggregateNotFound, match="p-shop"):
        payments.in_limbo()


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"store": object()}, "needs a store with a unit_of_work"),
        ({"merchant_purse": " p"}, "merchant_purse must not start"),
        ({"serializer": object()}, "serializer must be a PurseSerializer"),
        ({"name": ""}, "a gateway name"),
        ({"attempts": 0}, "attempts must be an int from 1 to 100"),
    ],
)
def test_the_service_checks_its_arguments(change: dict[str, Any], problem: str) -> None:
    arguments: dict[str, Any] = {"store": MemoryStore(), "merchant_purse": SHOP, **change}
    store = arguments.pop("store")
    with pytest.raises(ValidationError, match=problem):
        PursePaymentService(store, **arguments)


def test_a_purse_gateway_needs_a_book_with_reservations() -> None:
    class Bookish:
        def authorization(self) -> None: ...
        def capture(self) -> None: ...
        def put(self) -> None: ...
        def answer(self) -> None: ...
        def keep(self) -> None: ...
        def reference(self) -> None: ...

    purses = new_purses(FixedClock(START))
    with pytest.raises(ValidationError, match="GatewayBook with reservations"):
        PurseGateway(purses, purses[SHOP], book=Bookish())  # type: ignore[arg-type]


# --- the stored books answer as the books in memory ------------------------------------------

OPERATIONS = operations(["p-li", "p-han", SHOP, "p-x"])


def reserved(side: Side, purse_id: str) -> dict[str, Money]:
    """The open authorisations on ``purse_id`` as ``side``'s gateway lists them, named."""
    gateway = side.gateway
    if isinstance(gateway, PursePaymentService):
        return side.named(gateway.reserved(purse_id))
    return side.named(gateway.book.reservations(purse_id))


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(operations=OPERATIONS)
def test_the_stored_books_answer_as_the_books_in_memory(
    operations: list[tuple[Any, ...]],
) -> None:
    clock = FixedClock(START)
    purses = new_purses(clock)
    memory = Side(PurseGateway(purses, purses[SHOP]), purse_of)
    store = MemoryStore(clock=clock)
    seed(store, clock)
    stored = Side(service(store), purse_of)
    for op in operations:
        assert stored.run(op) == memory.run(op), op
    assert balances(store) == {p: x.balance("CNY") for p, x in purses.items()}
    for purse_id in ("p-li", "p-han"):
        assert reserved(stored, purse_id) == reserved(memory, purse_id)
