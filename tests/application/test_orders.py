"""The order use cases on every store: a shop's day from cart to automatic confirmation, and
the same day with a crash at every gateway call and every commit, run again until it is done.

Whatever the crash point, the stored orders and payments and the gateway's accounts end as in a
run without a crash, and money is conserved: the gateway neither makes nor loses money, the
merchant holds what the stored payments kept, and each paying payment kept its order's amount due.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from types import TracebackType
from typing import Any, Self, TypeVar

import pytest

from ecservice.aftersales import AfterSalesCase
from ecservice.application import OrderService, PaymentOutcome, payments_of
from ecservice.clock import FixedClock
from ecservice.errors import (
    AggregateNotFound,
    GatewayUnavailable,
    PolicyViolation,
    TransientStorageError,
    ValidationError,
)
from ecservice.money import Money, sum_money
from ecservice.orders import Address, Cart, Order, OrderStatus, ShippingRate
from ecservice.payments import (
    GatewayResponse,
    InMemoryGateway,
    Instrument,
    InstrumentKind,
    Payment,
    PaymentStatus,
)
from ecservice.storage import (
    MemoryStore,
    OutboxRecord,
    Repository,
    Store,
    UnitOfWork,
    order_next_due,
    run_in_transaction,
)
from ecservice.storage._document import Serializer
from ecservice.storage._repository import Redaction
from ecservice.workflow import Actor
from tests.application.conftest import POLICY, START, StoreFactory

T = TypeVar("T")

BUYER = Actor.buyer("u-1")
STAFF = Actor.staff("kefu-01")
RATE = ShippingRate.per_kg(first_fee=Money("10.00", "CNY"), additional_fee=Money("6.00", "CNY"))
ADDRESS = Address(
    recipient="Li Lei",
    phone="13800138000",
    province="Zhejiang",
    city="Hangzhou",
    street="1 Lake Rd",
)
FUNDED = Instrument(InstrumentKind.CARD, "tok_funded")
EMPTY = Instrument(InstrumentKind.CARD, "tok_empty")
OTHER = Instrument(InstrumentKind.CARD, "tok_other")


class Crash(Exception):
    """The process dies here (nothing after this point runs)."""


class CrashingGateway:
    """An :class:`InMemoryGateway` (the provider, which survives the crash) behind a line on
    which the process dies right after the provider acted on call number ``crash_at``."""

    def __init__(self, provider: InMemoryGateway, crash_at: int = 0) -> None:
        self.provider = provider
        self.crash_at = crash_at
        self.calls = 0

    def _answer(self, answer: GatewayResponse) -> GatewayResponse:
        self.calls += 1
        if self.calls == self.crash_at:
            raise Crash(f"crash after gateway call {self.calls}")
        return answer

    def authorize(
        self, instrument: Instrument, amount: Money, *, reference: str, idempotency_key: str
    ) -> GatewayResponse:
        return self._answer(
            self.provider.authorize(
                instrument, amount, reference=reference, idempotency_key=idempotency_key
            )
        )

    def capture(
        self, authorization: str, amount: Money, *, idempotency_key: str
    ) -> GatewayResponse:
        return self._answer(
            self.provider.capture(authorization, amount, idempotency_key=idempotency_key)
        )

    def void(self, authorization: str, *, idempotency_key: str) -> GatewayResponse:
        return self._answer(self.provider.void(authorization, idempotency_key=idempotency_key))

    def refund(self, capture: str, amount: Money, *, idempotency_key: str) -> GatewayResponse:
        return self._answer(self.provider.refund(capture, amount, idempotency_key=idempotency_key))


class LookupCrashingGateway(CrashingGateway):
    """The same, for a provider that can say what it did under a key (``OutcomeLookup``)."""

    def outcome(self, idempotency_key: str) -> GatewayResponse | None:
        return self.provider.outcome(idempotency_key)


class CrashingStore:
    """A store on which the process dies at commit number ``crash_at``: just before the commit
    (nothing of that transaction is kept) or, with ``after=True``, just after it."""

    def __init__(
        self,
        inner: Store,
        crash_at: int = 0,
        *,
        after: bool = False,
        error: Callable[[str], Exception] = Crash,
    ) -> None:
        self.inner = inner
        self.crash_at = crash_at
        self.after = after
        self.error = error
        self.commits = 0

    def unit_of_work(self) -> UnitOfWork:
        return _CrashingUnitOfWork(self, self.inner.unit_of_work())


class _CrashingUnitOfWork:
    def __init__(self, store: CrashingStore, inner: UnitOfWork) -> None:
        self._store = store
        self._inner = inner

    def __enter__(self) -> Self:
        self._inner.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._inner.__exit__(exc_type, exc, tb)

    def repository(self, serializer: Serializer[T]) -> Repository[T]:
        return self._inner.repository(serializer)

    @property
    def orders(self) -> Repository[Order[Any]]:
        return self._inner.orders

    @property
    def carts(self) -> Repository[Cart]:
        return self._inner.carts

    @property
    def payments(self) -> Repository[Payment]:
        return self._inner.payments

    @property
    def cases(self) -> Repository[AfterSalesCase]:
        return self._inner.cases

    def append_outbox(self, records: Sequence[OutboxRecord]) -> None:
        self._inner.append_outbox(records)

    def redact_outbox(self, aggregate_type: str, aggregate_id: str, redact: Redaction) -> int:
        return self._inner.redact_outbox(aggregate_type, aggregate_id, redact)

    def commit(self) -> None:
        store = self._store
        store.commits += 1
        crash = store.commits == store.crash_at
        if crash and not store.after:
            raise store.error(f"crash before commit {store.commits}")
        self._inner.commit()
        if crash:
            raise store.error(f"crash after commit {store.commits}")

    def rollback(self) -> None:
        self._inner.rollback()


def add_cart(store: Store, clock: FixedClock, cart_id: str) -> None:
    """Store a cart with two lines (tea 2 x 88.00, cups 3 x 45.50)."""
    cart = Cart.open(cart_id, buyer_id=BUYER.id, currency="CNY", clock=clock)
    cart.add_line(
        "TEA", "Longjing tea", Money("88.00", "CNY"), 2, weight_kg=Decimal("0.3"), actor=BUYER
    )
    cart.add_line(
        "CUP", "Celadon cup", Money("45.50", "CNY"), 3, weight_kg=Decimal("0.4"), actor=BUYER
    )

    def work(uow: UnitOfWork) -> None:
        if uow.carts.find(cart_id) is None:
            uow.carts.add(cart)

    run_in_transaction(store, work)


def _once(
    status: OrderStatus, command: Callable[[Order[Any]], object]
) -> Callable[[Order[Any]], None]:
    """``command`` applied only to an order in ``status``: a change that can be run again."""

    def change(order: Order[Any]) -> None:
        if order.status is status:
            command(order)

    return change


def day_of_a_shop(service: OrderService, clock: FixedClock) -> list[Callable[[], object]]:
    """The steps of the scenario, each one use case.

    O-1 is paid, runs out of cups, has them cancelled (refunded), ships, is confirmed
    automatically. O-2 is declined once, paid by another card on the second attempt, then
    cancelled (refunded in full).
    """
    return [
        lambda: service.place_order("C-1", "O-1", address=ADDRESS, shipping=RATE, actor=BUYER),
        lambda: service.pay("O-1", FUNDED),
        lambda: service.change(
            "O-1",
            _once(OrderStatus.PROCESSING, lambda o: o.mark_out_of_stock(["CUP"], actor=STAFF)),
        ),
        lambda: service.change(
            "O-1",
            _once(
                OrderStatus.OUT_OF_STOCK,
                lambda o: o.cancel_lines({"CUP": 3}, reason="no cups left", actor=STAFF),
            ),
        ),
        lambda: service.settle("O-1"),
        lambda: service.change(
            "O-1",
            _once(
                OrderStatus.PROCESSING,
                lambda o: o.ship(carrier="SF Express", tracking_no="SF1", actor=STAFF),
            ),
        ),
        lambda: service.place_order("C-2", "O-2", address=ADDRESS, shipping=RATE, actor=BUYER),
        lambda: service.pay("O-2", EMPTY),  # declined: attempt 1 fails
        lambda: service.pay("O-2", OTHER, attempt=2),  # attempt 2 pays
        lambda: service.cancel("O-2", reason="buyer changed their mind", actor=BUYER),
        lambda: clock.advance(days=POLICY.days + 1),
        service.run_due_timers,
    ]


def run_scenario(store: Store, gateway: CrashingGateway, clock: FixedClock) -> tuple[int, int]:
    """Run every step; a step that crashed is run again (a restarted process) until it
    finishes. Returns how many crashes happened and how many steps ran."""
    service = OrderService(
        store, gateway, clock=clock, auto_confirm=POLICY, sleep=lambda _seconds: None
    )
    crashes = runs = 0
    steps: list[Callable[[], object]] = [
        lambda: add_cart(store, clock, "C-1"),
        lambda: add_cart(store, clock, "C-2"),
        *day_of_a_shop(service, clock),
    ]
    for step in steps:
        while True:
            runs += 1
            try:
                step()
            except Crash:
                crashes += 1
                continue
            break
    return crashes, runs


def new_provider() -> InMemoryGateway:
    provider = InMemoryGateway("test")
    provider.fund(FUNDED, Money("1000.00", "CNY"))
    provider.fund(OTHER, Money("1000.00", "CNY"))
    return provider


def outcome(store: Store, provider: InMemoryGateway) -> dict[str, object]:
    """What the stores and the provider hold at the end, checking that money is conserved."""
    with store.unit_of_work() as uow:
        orders = {o: uow.orders.get(o) for o in ("O-1", "O-2")}
        payments = {o: payments_of(uow, o) for o in orders}
        carts = {c: uow.carts.get(c) for c in ("C-1", "C-2")}
    zero = Money.zero("CNY")
    every = [p for ps in payments.values() for p in ps]
    captured = sum_money((p.captured or zero for p in every), "CNY")
    refunded = sum_money((p.refunded for p in every), "CNY")
    # Money is conserved: the provider holds what it was given, the merchant what the stored
    # payments kept, and every order's paying payment kept what the order owes.
    assert provider.total_balance("CNY") + provider.held("CNY") + provider.merchant_balance(
        "CNY"
    ) == provider.total_funded("CNY")
    assert provider.merchant_balance("CNY") == captured - refunded
    assert provider.held("CNY") == zero
    for order_id, order in orders.items():
        kept = sum_money((p.net for p in payments[order_id]), "CNY")
        assert kept == order.amount_due, order_id
    return {
        "orders": {i: (o.status, o.version, o.amount_due) for i, o in orders.items()},
        "carts": {i: (c.status, c.version, c.order_id) for i, c in carts.items()},
        "payments": [(p.id, p.status, p.version, p.captured, p.refunded) for p in every],
        "provider": (
            provider.merchant_balance("CNY"),
            provider.balance(FUNDED, "CNY"),
            provider.balance(OTHER, "CNY"),
        ),
    }


def reference(make_store: StoreFactory) -> tuple[dict[str, object], int, int]:
    """The outcome without a crash, the number of gateway calls and of commits it makes."""
    provider = new_provider()
    gateway = LookupCrashingGateway(provider)
    clock = FixedClock(START)
    store = CrashingStore(make_store(clock))
    assert run_scenario(store, gateway, clock) == (0, 14)
    return outcome(store, provider), gateway.calls, store.commits


def test_a_day_of_a_shop_without_a_crash(make_store: StoreFactory) -> None:
    """The scenario's end: O-1 done with its cups refunded, O-2 cancelled and refunded, its
    declined attempt kept as FAILED; every cent accounted for."""
    result, calls, commits = reference(make_store)
    assert result["orders"] == {
        "O-1": (OrderStatus.DONE, 5, Money("192.00", "CNY")),
        "O-2": (OrderStatus.CANCELLED, 2, Money("0.00", "CNY")),
    }
    payments = result["payments"]
    assert isinstance(payments, list)
    assert [(p[0], p[1]) for p in payments] == [
        ("O-1-PAY", PaymentStatus.PARTIALLY_REFUNDED),
        ("O-2-PAY", PaymentStatus.FAILED),
        ("O-2-PAY-2", PaymentStatus.REFUNDED),
    ]
    assert result["provider"] == (
        Money("192.00", "CNY"),
        Money("808.00", "CNY"),
        Money("1000.00", "CNY"),
    )
    assert calls > 5
    assert commits > 10


@pytest.mark.parametrize("lookup", [True, False], ids=["lookup", "no-lookup"])
def test_a_crash_after_any_gateway_call_converges(make_store: StoreFactory, lookup: bool) -> None:
    """The process dies right after the provider acted (its answer lost), at each call in
    turn; running the step again reaches the same end, and no money moves twice."""
    expected, calls, _ = reference(make_store)
    kind = LookupCrashingGateway if lookup else CrashingGateway
    for crash_at in range(1, calls + 1):
        provider = new_provider()
        clock = FixedClock(START)
        store = make_store(clock)
        crashes, _ = run_scenario(store, kind(provider, crash_at), clock)
        assert crashes == 1
        assert outcome(store, provider) == expected, f"crash after gateway call {crash_at}"


@pytest.mark.parametrize("after", [False, True], ids=["before-commit", "after-commit"])
def test_a_crash_at_any_commit_converges(make_store: StoreFactory, after: bool) -> None:
    """The process dies just before (nothing kept) or just after a commit, at each commit in
    turn; running the step again reaches the same end."""
    expected, _, commits = reference(make_store)
    for crash_at in range(1, commits + 1):
        provider = new_provider()
        clock = FixedClock(START)
        store = CrashingStore(make_store(clock), crash_at, after=after)
        crashes, _ = run_scenario(store, LookupCrashingGateway(provider), clock)
        assert crashes == 1
        assert outcome(store, provider) == expected, f"crash at commit {crash_at}"


def test_paying_again_changes_nothing(make_store: StoreFactory, clock: FixedClock) -> None:
    """Paying a paid order answers with its paying payment and calls no gateway; an unknown
    order is not found; a cancelled order cannot be paid; a cart ordered once cannot become
    another order, but placing the same order again returns it."""
    store = make_store(clock)
    provider = new_provider()
    gateway = LookupCrashingGateway(provider)
    service = OrderService(store, gateway, clock=clock)
    add_cart(store, clock, "C-1")
    order = service.place_order("C-1", "O-1", address=ADDRESS, shipping=RATE, actor=BUYER)
    again = service.place_order("C-1", "O-1", address=ADDRESS, shipping=RATE, actor=BUYER)
    assert again.id == order.id
    assert again.version == order.version
    with pytest.raises(PolicyViolation, match="already ordered"):
        service.place_order("C-1", "O-9", address=ADDRESS, shipping=RATE, actor=BUYER)
    paid = service.pay("O-1", FUNDED)
    assert paid == PaymentOutcome(
        order_id="O-1",
        payment_id="O-1-PAY",
        payment_status=PaymentStatus.CAPTURED,
        order_status=OrderStatus.PROCESSING,
    )
    assert paid.paid
    calls = gateway.calls
    assert service.pay("O-1", OTHER) == paid
    assert gateway.calls == calls
    assert service.settle("O-1") == ()
    with pytest.raises(AggregateNotFound):
        service.pay("O-404", FUNDED)
    add_cart(store, clock, "C-2")
    service.place_order("C-2", "O-2", address=ADDRESS, shipping=RATE, actor=BUYER)
    with pytest.raises(ValidationError, match="the next one is attempt 1"):
        service.pay("O-2", FUNDED, attempt=2)
    declined = service.pay("O-2", EMPTY)
    assert declined.payment_status is PaymentStatus.FAILED
    assert not declined.paid
    assert declined.next_attempt == 2
    assert service.pay("O-2", FUNDED) == declined  # attempt 1 again: still declined
    assert service.cancel("O-2", reason="changed my mind", actor=BUYER) == ()
    with pytest.raises(PolicyViolation, match="nothing to pay"):
        service.pay("O-2", FUNDED, attempt=2)


def test_timers_confirm_only_what_the_policy_makes_due(clock: FixedClock) -> None:
    """An order the store's timer (a shop's own function, which carries no policy) finds due
    but the shop's (longer) policy does not is left alone; once the policy's time has come it
    is confirmed, once."""
    ten_days = order_next_due(POLICY.__class__(days=10))
    store = MemoryStore(clock=clock, timers={"order": lambda order: ten_days(order)})
    service = OrderService(
        store, new_provider(), clock=clock, auto_confirm=POLICY.__class__(days=12)
    )
    add_cart(store, clock, "C-1")
    service.place_order("C-1", "O-1", address=ADDRESS, shipping=RATE, actor=BUYER)
    service.pay("O-1", FUNDED)
    service.change("O-1", lambda o: o.ship(carrier="ZTO", tracking_no="Z1", actor=STAFF))
    clock.advance(days=11)
    assert service.run_due_timers() == 0
    clock.advance(days=1)
    assert service.run_due_timers(limit=1) == 1
    assert service.run_due_timers() == 0
    with store.unit_of_work() as uow:
        assert uow.orders.get("O-1").status is OrderStatus.DONE


class LosingGateway(LookupCrashingGateway):
    """The provider acts on call ``crash_at`` but its answer is lost (a timeout)."""

    def _answer(self, answer: GatewayResponse) -> GatewayResponse:
        self.calls += 1
        if self.calls == self.crash_at:
            raise GatewayUnavailable("the answer was lost")
        return answer


@pytest.mark.parametrize("lost_at", [1, 2], ids=["authorize", "capture"])
def test_an_order_cancelled_after_a_lost_answer_gets_its_money_back(
    make_store: StoreFactory, lost_at: int
) -> None:
    """The provider authorised (or captured) but its answer was lost; the buyer cancels
    instead of paying again. The payment was stored before the call, so settling finds it,
    learns from the provider what happened, and voids or refunds: the merchant keeps nothing."""
    clock = FixedClock(START)
    store = make_store(clock)
    provider = new_provider()
    service = OrderService(store, LosingGateway(provider, lost_at), clock=clock)
    add_cart(store, clock, "C-1")
    service.place_order("C-1", "O-1", address=ADDRESS, shipping=RATE, actor=BUYER)
    with pytest.raises(GatewayUnavailable):
        service.pay("O-1", FUNDED)
    records = service.cancel("O-1", reason="changed my mind", actor=BUYER)
    assert [r.trigger for r in records][-1] in ("void", "refund")
    assert service.settle("O-1") == ()
    assert provider.merchant_balance("CNY") == Money.zero("CNY")
    assert provider.held("CNY") == Money.zero("CNY")
    assert provider.balance(FUNDED, "CNY") == Money("1000.00", "CNY")


def test_a_transient_failure_at_any_commit_is_retried_inside_the_use_case(
    make_store: StoreFactory,
) -> None:
    """The database refuses one commit (a serialization failure, a locked file): the use case
    rolls back and runs again from the stored state by itself, and reaches the same end."""
    expected, _, commits = reference(make_store)
    for crash_at in range(1, commits + 1):
        provider = new_provider()
        clock = FixedClock(START)
        store = CrashingStore(make_store(clock), crash_at, error=TransientStorageError)
        assert run_scenario(store, LookupCrashingGateway(provider), clock) == (0, 14)
        assert store.commits == commits + 1
        assert outcome(store, provider) == expected, f"failure at commit {crash_at}"


@pytest.mark.parametrize("lost_at", [1, 2], ids=["authorize", "capture"])
def test_a_second_attempt_waits_until_the_first_can_take_no_money(
    make_store: StoreFactory, lost_at: int
) -> None:
    """After a lost answer the first attempt may have taken the money: a second attempt with
    another card is refused (it could charge the buyer twice) until the first is run again."""
    clock = FixedClock(START)
    store = make_store(clock)
    provider = new_provider()
    service = OrderService(store, LosingGateway(provider, lost_at), clock=clock)
    add_cart(store, clock, "C-1")
    service.place_order("C-1", "O-1", address=ADDRESS, shipping=RATE, actor=BUYER)
    with pytest.raises(GatewayUnavailable):
        service.pay("O-1", FUNDED)
    with pytest.raises(PolicyViolation, match="attempt 1"):
        service.pay("O-1", OTHER, attempt=2)
    outcome = service.pay("O-1", FUNDED)  # the same attempt again: its keys, its outcome
    assert outcome.paid
    with store.unit_of_work() as uow:
        assert [p.id for p in payments_of(uow, "O-1")] == ["O-1-PAY"]
