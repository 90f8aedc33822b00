"""The after-sales use cases on every store: what a case decided is refunded through the payment
that paid the order, once, however often the use case runs, after a crash, a lost answer or a
decline; refunds of all cases and cancellations never exceed what was captured; money is
conserved to the minor unit.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from ecservice.aftersales import (
    AfterSalesCase,
    AfterSalesPolicy,
    CaseStatus,
    Liability,
    NotEligible,
    ProblemKind,
    RemedyKind,
)
from ecservice.application import AfterSalesService, OrderService, refunded_for_cancelled
from ecservice.clock import FixedClock
from ecservice.errors import (
    AggregateNotFound,
    GatewayUnavailable,
    PolicyViolation,
    ValidationError,
)
from ecservice.money import Money, sum_money
from ecservice.orders import OrderStatus
from ecservice.payments import (
    GatewayResponse,
    InMemoryGateway,
    Instrument,
    Payment,
    PaymentDeclined,
    RefundKind,
)
from ecservice.storage import (
    MemoryStore,
    OutboxRecord,
    Store,
    UnitOfWork,
    default_timers,
    run_in_transaction,
)
from ecservice.storage._case_repository import CaseRepository
from ecservice.storage._repository import Redaction
from tests.application.conftest import START, StoreFactory
from tests.application.test_orders import (
    ADDRESS,
    BUYER,
    FUNDED,
    RATE,
    STAFF,
    Crash,
    CrashingGateway,
    CrashingStore,
    LookupCrashingGateway,
    _CrashingUnitOfWork,
    add_cart,
    new_provider,
)

SELLER = STAFF
#: What order O-1 costs: 2 x 88.00 tea, 3 x 45.50 cups and the freight.
TOTAL = Money("328.50", "CNY")


def cny(amount: str) -> Money:
    return Money(amount, "CNY")


class CaseCrashingStore(CrashingStore):
    """A :class:`CrashingStore` whose units of work also reach the after-sales cases."""

    def unit_of_work(self) -> UnitOfWork:
        return _CaseCrashingUnitOfWork(self, self.inner.unit_of_work())


class _CaseCrashingUnitOfWork(_CrashingUnitOfWork):
    @property
    def cases(self) -> CaseRepository:
        return self._inner.cases

    def redact_outbox(self, aggregate_type: str, aggregate_id: str, redact: Redaction) -> int:
        return self._inner.redact_outbox(aggregate_type, aggregate_id, redact)

    def append_outbox(self, records: Sequence[OutboxRecord]) -> None:
        self._inner.append_outbox(records)


class FlakyGateway:
    """An :class:`InMemoryGateway` (the provider) behind a line that, for refunds and voids,
    answers as told: ``"ok"``, ``"decline"`` (the provider is not asked) or ``"lost"`` (the
    provider acts, the answer never arrives). It counts how often the provider performed a
    refund under each key."""

    def __init__(self, provider: InMemoryGateway) -> None:
        self.provider = provider
        self.mode = "ok"
        self.performed: Counter[str] = Counter()

    def authorize(
        self, instrument: Instrument, amount: Money, *, reference: str, idempotency_key: str
    ) -> GatewayResponse:
        return self.provider.authorize(
            instrument, amount, reference=reference, idempotency_key=idempotency_key
        )

    def capture(
        self, authorization: str, amount: Money, *, idempotency_key: str
    ) -> GatewayResponse:
        return self.provider.capture(authorization, amount, idempotency_key=idempotency_key)

    def void(self, authorization: str, *, idempotency_key: str) -> GatewayResponse:
        if self.mode == "decline":
            return GatewayResponse(approved=False, message="declined by the provider")
        answer = self.provider.void(authorization, idempotency_key=idempotency_key)
        if self.mode == "lost":
            raise GatewayUnavailable("the provider's answer was lost")
        return answer

    def refund(self, capture: str, amount: Money, *, idempotency_key: str) -> GatewayResponse:
        if self.mode == "decline":
            return GatewayResponse(approved=False, message="declined by the provider")
        before = self.provider.outcome(idempotency_key)
        answer = self.provider.refund(capture, amount, idempotency_key=idempotency_key)
        if before is None and self.provider.outcome(idempotency_key) is not None:
            self.performed[idempotency_key] += 1
        if self.mode == "lost":
            raise GatewayUnavailable("the provider's answer was lost")
        return answer

    def outcome(self, idempotency_key: str) -> GatewayResponse | None:
        return self.provider.outcome(idempotency_key)


# --- building the shop -----------------------------------------------------------------------


def paid_order(store: Store, provider: Any, clock: FixedClock) -> None:
    """Order O-1 (from cart C-1) placed and paid by card: 328.50 CNY captured."""
    add_cart(store, clock, "C-1")
    orders = OrderService(store, provider, clock=clock, sleep=lambda _s: None)
    orders.place_order("C-1", "O-1", address=ADDRESS, shipping=RATE, actor=BUYER)
    assert orders.pay("O-1", FUNDED).paid


def decided_case(
    clock: FixedClock,
    case_id: str,
    amount: Money,
    *,
    compensation: bool = False,
    agreed: Money | None = None,
) -> AfterSalesCase:
    """A case of order O-1 approved for ``agreed`` (``amount`` by default) that decided to pay
    ``amount`` back: a refund only of one tea, or a compensation for misleading sales."""
    value = max(agreed or amount, amount)
    case = AfterSalesCase(
        id=case_id,
        order_id="O-1",
        buyer_id=BUYER.id,
        remedy=RemedyKind.COMPENSATION if compensation else RemedyKind.REFUND_ONLY,
        problem=ProblemKind.MISLEADING_SALES if compensation else ProblemKind.QUALITY,
        liability=Liability.SELLER,
        lines={"TEA": 1},
        goods_value=value,
        asked=value,
        opened_at=clock.now(),
        order_shipped=False,
        clock=clock,
    )
    case.approve(expected_version=case.version, actor=SELLER, amount=agreed or amount)
    if compensation:
        case.compensate(actor=SELLER, amount=amount)
    else:
        case.refund(actor=SELLER, amount=amount)
    return case


def store_case(store: Store, case: AfterSalesCase) -> None:
    def work(uow: UnitOfWork) -> None:
        if uow.cases.find(case.id) is None:
            uow.cases.add(case)

    run_in_transaction(store, work)


def stored_payment(store: Store) -> Payment:
    with store.unit_of_work() as uow:
        return uow.payments.get("O-1-PAY")


def assert_conserved(store: Store, provider: InMemoryGateway) -> Payment:
    """The provider neither made nor lost money; the merchant holds what the payment kept."""
    payment = stored_payment(store)
    assert provider.total_balance("CNY") + provider.held("CNY") + provider.merchant_balance(
        "CNY"
    ) == provider.total_funded("CNY")
    assert payment.captured is not None
    assert provider.merchant_balance("CNY") == payment.captured - payment.refunded
    assert payment.refunded <= payment.captured
    return payment


def service(store: Store, gateway: Any, clock: FixedClock) -> AfterSalesService:
    return AfterSalesService(store, gateway, clock=clock, sleep=lambda _s: None)


# --- refunds happen once ---------------------------------------------------------------------


def test_a_case_refund_happens_once_however_often_it_runs(make_store: StoreFactory) -> None:
    clock = FixedClock(START)
    store, provider = make_store(clock), new_provider()
    paid_order(store, provider, clock)
    store_case(store, decided_case(clock, "AS-1", cny("30.00")))
    cases = service(store, provider, clock)

    first = cases.refund("AS-1")
    assert [r.trigger for r in first] == ["refund"]
    for _ in range(3):
        assert cases.refund("AS-1") == ()

    payment = assert_conserved(store, provider)
    assert [(r.amount, r.kind, r.reason) for r in payment.refunds] == [
        (cny("30.00"), RefundKind.AFTERSALES, "after-sales case AS-1")
    ]
    assert payment.refunded_of(RefundKind.AFTERSALES) == cny("30.00")
    assert payment.refunded_of(RefundKind.MANUAL) == cny("0.00")
    assert provider.merchant_balance("CNY") == TOTAL - cny("30.00")
    assert provider.outcome("aftersales:AS-1:v2") is not None


def test_a_case_refund_is_not_counted_against_what_the_order_owes(
    make_store: StoreFactory,
) -> None:
    """Cancelled cups are refunded in full by settling, besides the case's compensation."""
    clock = FixedClock(START)
    store, provider = make_store(clock), new_provider()
    paid_order(store, provider, clock)
    store_case(store, decided_case(clock, "AS-1", cny("20.00"), compensation=True))
    service(store, provider, clock).refund("AS-1")
    orders = OrderService(store, provider, clock=clock, sleep=lambda _s: None)
    orders.change("O-1", lambda o: o.cancel_lines({"CUP": 3}, reason="no cups", actor=STAFF))
    orders.settle("O-1")
    payment = assert_conserved(store, provider)
    assert payment.refunded_of(RefundKind.SETTLEMENT) == cny("136.50")
    assert payment.refunded_of(RefundKind.AFTERSALES) == cny("20.00")


def test_a_case_without_a_refund_moves_nothing(make_store: StoreFactory) -> None:
    clock = FixedClock(START)
    store, provider = make_store(clock), new_provider()
    case = decided_case(clock, "AS-1", cny("30.00"))
    pending = AfterSalesCase(**_fields_of(case))
    store_case(store, pending)
    assert service(store, provider, clock).refund("AS-1") == ()
    with pytest.raises(AggregateNotFound):
        service(store, provider, clock).refund("AS-404")


def _fields_of(case: AfterSalesCase) -> dict[str, Any]:
    """A new, undecided case with the fields of ``case``."""
    return {
        "id": case.id,
        "order_id": case.order_id,
        "buyer_id": case.buyer_id,
        "remedy": case.remedy,
        "problem": case.problem,
        "liability": case.liability,
        "lines": {line.sku: line.quantity for line in case.lines},
        "goods_value": case.goods_value,
        "asked": case.asked,
        "opened_at": case.opened_at,
        "order_shipped": case.order_shipped,
        "clock": case.clock,
    }


def test_an_unpaid_order_has_nothing_to_refund_through(make_store: StoreFactory) -> None:
    clock = FixedClock(START)
    store, provider = make_store(clock), new_provider()
    add_cart(store, clock, "C-1")
    OrderService(store, provider, clock=clock).place_order(
        "C-1", "O-1", address=ADDRESS, shipping=RATE, actor=BUYER
    )
    store_case(store, decided_case(clock, "AS-1", cny("30.00")))
    with pytest.raises(PolicyViolation, match="not paid by a payment"):
        service(store, provider, clock).refund("AS-1")
    assert provider.merchant_balance("CNY") == cny("0.00")


def test_a_refund_that_does_not_fit_is_refused_and_moves_nothing(
    make_store: StoreFactory,
) -> None:
    """Cups cancelled (136.50 owed, not yet settled) leave 192.00 for cases: 150.00 fits,
    another 50.00 does not, and nothing of it is sent."""
    clock = FixedClock(START)
    store, provider = make_store(clock), new_provider()
    paid_order(store, provider, clock)
    orders = OrderService(store, provider, clock=clock, sleep=lambda _s: None)
    orders.change("O-1", lambda o: o.cancel_lines({"CUP": 3}, reason="no cups", actor=STAFF))
    store_case(store, decided_case(clock, "AS-1", cny("150.00")))
    store_case(store, decided_case(clock, "AS-2", cny("50.00")))
    cases = service(store, provider, clock)
    cases.refund("AS-1")
    before = stored_payment(store)
    with pytest.raises(PolicyViolation, match=r"asks 50\.00 CNY more.* has 42\.00 CNY left"):
        cases.refund("AS-2")
    assert stored_payment(store) == before
    assert provider.outcome("aftersales:AS-2:v2") is None
    orders.settle("O-1")
    payment = assert_conserved(store, provider)
    assert payment.refunded == cny("286.50")


def test_a_case_in_another_currency_is_refused(make_store: StoreFactory) -> None:
    clock = FixedClock(START)
    store, provider = make_store(clock), new_provider()
    paid_order(store, provider, clock)
    store_case(store, decided_case(clock, "AS-1", Money("5.00", "USD")))
    with pytest.raises(ValidationError, match="in USD, payment 'O-1-PAY' in CNY"):
        service(store, provider, clock).refund("AS-1")


def test_the_service_checks_its_arguments() -> None:
    with pytest.raises(ValidationError, match="needs a PaymentGateway"):
        AfterSalesService(MemoryStore(), object())  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="actor must be an Actor"):
        AfterSalesService(MemoryStore(), InMemoryGateway(), actor="me")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="limit"):
        AfterSalesService(MemoryStore(), InMemoryGateway()).run_due_timers(limit=0)


# --- opening cases -----------------------------------------------------------------------------


def test_a_case_opened_against_the_stored_order_is_refunded(make_store: StoreFactory) -> None:
    """A refund before shipment: the policy allows it, the case takes its liability and
    timeouts from the policy and its value from the order; approved and refunded, the money
    goes back to the card."""
    clock = FixedClock(START)
    store, provider = make_store(clock), new_provider()
    paid_order(store, provider, clock)
    policy = AfterSalesPolicy()
    cases = AfterSalesService(store, provider, clock=clock, policy=policy)
    case = cases.open_case(
        "AS-1", "O-1", {"TEA": 2}, RemedyKind.REFUND_ONLY, ProblemKind.REFUND_BEFORE_SHIPMENT
    )
    assert (case.goods_value, case.asked, case.buyer_id) == (cny("176.00"), cny("176.00"), "u-1")
    assert case.liability is policy.liability[ProblemKind.REFUND_BEFORE_SHIPMENT]
    assert case.timeouts == policy.timeouts
    assert not case.order_shipped
    again = cases.open_case(
        "AS-1", "O-1", {"TEA": 2}, RemedyKind.REFUND_ONLY, ProblemKind.REFUND_BEFORE_SHIPMENT
    )
    assert again.version == case.version == 0

    def decide(uow: UnitOfWork) -> None:
        stored = uow.cases.get("AS-1")
        stored.approve(expected_version=stored.version, actor=SELLER)
        stored.refund(actor=SELLER)
        uow.cases.save(stored)

    run_in_transaction(store, decide)
    assert len(cases.refund("AS-1")) == 1
    payment = assert_conserved(store, provider)
    assert payment.refunded_of(RefundKind.AFTERSALES) == cny("176.00")


def test_a_request_the_policy_refuses_stores_nothing(make_store: StoreFactory) -> None:
    clock = FixedClock(START)
    store, provider = make_store(clock), new_provider()
    paid_order(store, provider, clock)
    cases = service(store, provider, clock)
    with pytest.raises(NotEligible, match="photo"):
        cases.open_case("AS-1", "O-1", {"TEA": 1}, RemedyKind.EXCHANGE, ProblemKind.QUALITY)
    with store.unit_of_work() as uow:
        assert uow.cases.find("AS-1") is None
    with pytest.raises(AggregateNotFound):
        cases.open_case(
            "AS-1", "O-404", {"TEA": 1}, RemedyKind.REFUND_ONLY, ProblemKind.REFUND_BEFORE_SHIPMENT
        )
    store_case(store, decided_case(clock, "AS-9", cny("1.00")))
    with pytest.raises(PolicyViolation, match="already used by a case of order 'O-1'"):
        cases.open_case(
            "AS-9", "O-2", {"TEA": 1}, RemedyKind.REFUND_ONLY, ProblemKind.REFUND_BEFORE_SHIPMENT
        )


# --- crashes, lost answers, declines -------------------------------------------------------


@pytest.mark.parametrize("lookup", [False, True], ids=["plain", "lookup"])
def test_a_crash_after_the_gateway_refunded_converges(
    make_store: StoreFactory, lookup: bool
) -> None:
    """The process dies right after the provider refunded, before the commit: run again, the
    same key replays (or is looked up) and the refund is recorded once."""
    clock = FixedClock(START)
    store, provider = make_store(clock), new_provider()
    paid_order(store, provider, clock)
    store_case(store, decided_case(clock, "AS-1", cny("30.00")))
    store_case(store, decided_case(clock, "AS-2", cny("12.34"), compensation=True))
    kind = LookupCrashingGateway if lookup else CrashingGateway
    for n in (1, 2):
        gateway = kind(provider, crash_at=1)
        cases = service(store, gateway, clock)
        case_id = f"AS-{n}"
        with pytest.raises(Crash):
            cases.refund(case_id)
        assert stored_payment(store).refunded_of(RefundKind.AFTERSALES) == (
            cny("0.00") if n == 1 else cny("30.00")
        )
        assert [r.trigger for r in cases.refund(case_id)] == ["refund"]
        assert cases.refund(case_id) == ()
    payment = assert_conserved(store, provider)
    assert payment.refunded_of(RefundKind.AFTERSALES) == cny("42.34")
    assert [c for c in provider.calls if c[0] == "refund"] == [
        ("refund", payment.capture_reference)
    ] * 2


@pytest.mark.parametrize("after", [False, True], ids=["before-commit", "after-commit"])
def test_a_crash_at_the_commit_converges(make_store: StoreFactory, after: bool) -> None:
    clock = FixedClock(START)
    inner, provider = make_store(clock), new_provider()
    paid_order(inner, provider, clock)
    store_case(inner, decided_case(clock, "AS-1", cny("30.00")))
    store = CaseCrashingStore(inner, crash_at=1, after=after)
    cases = service(store, provider, clock)
    with pytest.raises(Crash):
        cases.refund("AS-1")
    again = cases.refund("AS-1")
    assert len(again) == (0 if after else 1)
    payment = assert_conserved(inner, provider)
    assert payment.refunded == cny("30.00")


def test_a_lost_answer_leaves_the_payment_as_stored_and_converges(
    make_store: StoreFactory,
) -> None:
    clock = FixedClock(START)
    store, provider = make_store(clock), new_provider()
    paid_order(store, provider, clock)
    store_case(store, decided_case(clock, "AS-1", cny("30.00")))
    gateway = FlakyGateway(provider)
    cases = service(store, gateway, clock)
    gateway.mode = "lost"
    with pytest.raises(GatewayUnavailable):
        cases.refund("AS-1")
    assert stored_payment(store).refunds == ()
    assert provider.merchant_balance("CNY") == TOTAL - cny("30.00")  # it did move
    gateway.mode = "ok"
    assert len(cases.refund("AS-1")) == 1
    assert_conserved(store, provider)
    assert gateway.performed == Counter({"aftersales:AS-1:v2": 1})


def test_a_declined_refund_stores_nothing_and_is_made_later(make_store: StoreFactory) -> None:
    clock = FixedClock(START)
    store, provider = make_store(clock), new_provider()
    paid_order(store, provider, clock)
    store_case(store, decided_case(clock, "AS-1", cny("30.00")))
    gateway = FlakyGateway(provider)
    cases = service(store, gateway, clock)
    gateway.mode = "decline"
    with pytest.raises(PaymentDeclined):
        cases.refund("AS-1")
    assert stored_payment(store).refunds == ()
    assert provider.merchant_balance("CNY") == TOTAL
    gateway.mode = "ok"
    assert len(cases.refund("AS-1")) == 1
    assert_conserved(store, provider)


# --- timers --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_timers_refund_what_they_decide(kind: str, tmp_path: Any) -> None:
    """The seller does not confirm receiving a returned parcel in time: the case refunds
    itself and the refund goes through the payment."""
    clock = FixedClock(START)
    if kind == "memory":
        store: Any = MemoryStore(clock=clock, timers=default_timers())
    else:
        from ecservice.storage.sql import SqlStore

        store = SqlStore(f"sqlite:///{tmp_path / 'shop.db'}", clock=clock)
        store.create_schema()
    try:
        provider = new_provider()
        paid_order(store, provider, clock)
        case = AfterSalesCase(
            **{
                **_fields_of(decided_case(clock, "AS-1", cny("88.00"))),
                "remedy": RemedyKind.RETURN_AND_REFUND,
                "order_shipped": True,
            }
        )
        case.approve(expected_version=case.version, actor=SELLER)
        case.ship_return(carrier="YTO", tracking_no="YT123", actor=BUYER)
        store_case(store, case)
        cases = service(store, provider, clock)
        assert cases.run_due_timers() == 0
        clock.advance(days=30)
        assert cases.run_due_timers() == 1
        assert cases.run_due_timers() == 0
        with store.unit_of_work() as uow:
            assert uow.cases.get("AS-1").status is CaseStatus.REFUNDED
        payment = assert_conserved(store, provider)
        assert payment.refunded_of(RefundKind.AFTERSALES) == cny("88.00")
    finally:
        if kind == "sqlite":
            store.dispose()


# --- a stateful test -----------------------------------------------------------------------

CENTS = st.integers(min_value=1, max_value=20_000)
MODES = st.sampled_from(["ok", "ok", "decline", "lost"])


class AfterSalesMoney(RuleBasedStateMachine):
    """Cases (refunds, partial refunds, compensations), line cancellations settled, declines
    and lost answers, in any order: money is conserved to the minor unit, the payment never
    refunds more than it captured, no case more than it agreed, and every key moves money at
    the provider at most once."""

    @initialize()
    def shop(self) -> None:
        self.clock = FixedClock(START)
        self.store = MemoryStore(clock=self.clock)
        self.provider = new_provider()
        self.gateway = FlakyGateway(self.provider)
        paid_order(self.store, self.provider, self.clock)
        self.orders = OrderService(
            self.store, self.gateway, clock=self.clock, sleep=lambda _s: None
        )
        self.cases = service(self.store, self.gateway, self.clock)
        self.case_ids: list[str] = []
        self.open = {"TEA": 2, "CUP": 3}

    @rule(cents=CENTS, share=st.integers(1, 100), compensation=st.booleans())
    def open_case(self, cents: int, share: int, compensation: bool) -> None:
        """A case agreed for ``cents`` that pays ``share`` percent of it (a partial refund)."""
        amount = Money.from_minor(cents, "CNY")
        paid = Money.from_minor(max(1, cents * share // 100), "CNY")
        case_id = f"AS-{len(self.case_ids) + 1}"
        case = decided_case(self.clock, case_id, paid, compensation=compensation, agreed=amount)
        store_case(self.store, case)
        self.case_ids.append(case_id)

    @precondition(lambda self: bool(self.case_ids))
    @rule(data=st.data(), mode=MODES)
    def refund(self, data: st.DataObject, mode: str) -> None:
        case_id = data.draw(st.sampled_from(self.case_ids))
        self.gateway.mode = mode
        before = (stored_payment(self.store), self.provider.merchant_balance("CNY"))
        try:
            made = self.cases.refund(case_id)
        except PolicyViolation:
            event("case refund refused: it does not fit")
            assert (stored_payment(self.store), self.provider.merchant_balance("CNY")) == before
        except (PaymentDeclined, GatewayUnavailable):
            event(f"case refund failed: {mode}")
            assert stored_payment(self.store) == before[0]
        else:
            event("case refund recorded" if made else "case refund already recorded")

    @precondition(lambda self: any(self.open.values()))
    @rule(data=st.data())
    def cancel_lines(self, data: st.DataObject) -> None:
        sku = data.draw(st.sampled_from([s for s, n in self.open.items() if n]))
        quantity = data.draw(st.integers(1, self.open[sku]))
        self.gateway.mode = "ok"
        self.orders.change(
            "O-1", lambda o: o.cancel_lines({sku: quantity}, reason="out of stock", actor=STAFF)
        )
        self.open[sku] -= quantity

    @rule(mode=MODES)
    def settle(self, mode: str) -> None:
        self.gateway.mode = mode
        with contextlib.suppress(PaymentDeclined, GatewayUnavailable):
            self.orders.settle("O-1")

    @rule()
    def converge(self) -> None:
        """With a healthy gateway everything runs again and the payment catches up with the
        provider: the merchant holds exactly what the payment kept."""
        self.gateway.mode = "ok"
        for case_id in self.case_ids:
            # A refusal (it did not fit) moved nothing.
            with contextlib.suppress(PolicyViolation):
                self.cases.refund(case_id)
        self.orders.settle("O-1")
        payment = assert_conserved(self.store, self.provider)
        with self.store.unit_of_work() as uow:
            order = uow.orders.get("O-1")
        if order.status is OrderStatus.CANCELLED:
            assert payment.refunded == payment.captured
        else:
            settled = payment.refunded_of(RefundKind.SETTLEMENT)
            cases = payment.refunded_of(RefundKind.AFTERSALES)
            assert payment.captured is not None
            # Units a case refunded and the order then cancelled are not settled again.
            with self.store.unit_of_work() as uow:
                covered = refunded_for_cancelled(order, uow.cases.for_order("O-1"), [payment])
            left = payment.captured - settled - order.amount_due - covered
            assert left.is_zero() or (not left.is_negative() and payment.refundable.is_zero())
            assert cases <= payment.captured - settled

    @invariant()
    def money_is_conserved(self) -> None:
        provider = self.provider
        assert provider.total_balance("CNY") + provider.held("CNY") + provider.merchant_balance(
            "CNY"
        ) == provider.total_funded("CNY")
        payment = stored_payment(self.store)
        assert payment.captured is not None
        assert payment.refunded <= payment.captured
        # The payment never records more than the provider gave back.
        assert provider.merchant_balance("CNY") <= payment.captured - payment.refunded

    @invariant()
    def no_case_refunds_more_than_it_agreed(self) -> None:
        payment = stored_payment(self.store)
        with self.store.unit_of_work() as uow:
            cases = [uow.cases.get(i) for i in self.case_ids]
        for case in cases:
            assert case.agreed is not None
            assert case.refund_total <= case.agreed
            paid = sum_money(
                (r.amount for r in payment.refunds if r.reason == f"after-sales case {case.id}"),
                "CNY",
            )
            assert paid <= case.refund_total

    @invariant()
    def each_key_moves_money_once(self) -> None:
        assert all(count == 1 for count in self.gateway.performed.values())


AfterSalesMoney.TestCase.settings = settings(
    max_examples=100,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_after_sales_money = AfterSalesMoney.TestCase
