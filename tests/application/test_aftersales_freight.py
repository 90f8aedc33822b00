"""Money a case pays beside the goods, and money it must not pay twice: a reimbursed return
freight is refunded through the payment under its own key; a unit refunded by a case and then
cancelled is refunded once."""

from __future__ import annotations

from ecservice.aftersales import AfterSalesCase, Liability, ProblemKind, RemedyKind
from ecservice.application import OrderService
from ecservice.clock import FixedClock
from ecservice.money import Money
from ecservice.payments import RefundKind
from tests.application.conftest import START, StoreFactory
from tests.application.test_aftersales import (
    BUYER,
    SELLER,
    assert_conserved,
    new_provider,
    paid_order,
    service,
    store_case,
)


def cny(amount: str) -> Money:
    return Money(amount, "CNY")


def received_exchange(clock: FixedClock, freight: Money) -> AfterSalesCase:
    """A quality exchange of one tea of order O-1 whose return, sent with ``freight``, arrived."""
    case = AfterSalesCase(
        id="AS-F",
        order_id="O-1",
        buyer_id=BUYER.id,
        remedy=RemedyKind.EXCHANGE,
        problem=ProblemKind.QUALITY,
        liability=Liability.SELLER,
        lines={"TEA": 1},
        goods_value=cny("88.00"),
        asked=cny("88.00"),
        opened_at=clock.now(),
        order_shipped=True,
        clock=clock,
    )
    case.approve(expected_version=case.version, actor=SELLER)
    case.ship_return(carrier="YTO", tracking_no="YT9", actor=BUYER, freight=freight)
    case.receive_return(actor=SELLER)
    return case


def test_the_freight_is_refunded_once_as_its_own_amount(make_store: StoreFactory) -> None:
    clock = FixedClock(START)
    store, provider = make_store(clock), new_provider()
    paid_order(store, provider, clock)
    case = received_exchange(clock, cny("12.00"))
    store_case(store, case)
    cases = service(store, provider, clock)
    cases.refund("AS-F")
    cases.refund("AS-F")
    payment = assert_conserved(store, provider)
    assert [(r.amount, r.kind) for r in payment.refunds] == [(cny("12.00"), RefundKind.AFTERSALES)]
    ((key, _),) = case.refund_requests()
    assert key.endswith(":freight")
    assert provider.outcome(key) is not None


def test_a_unit_refunded_by_a_case_then_cancelled_is_refunded_once(
    make_store: StoreFactory,
) -> None:
    """A refund before shipment for one tea, then the tea's line cancelled: the settlement of
    the cancellation does not refund the tea a second time."""
    clock = FixedClock(START)
    store, provider = make_store(clock), new_provider()
    paid_order(store, provider, clock)
    case = AfterSalesCase(
        id="AS-T",
        order_id="O-1",
        buyer_id=BUYER.id,
        remedy=RemedyKind.REFUND_ONLY,
        problem=ProblemKind.REFUND_BEFORE_SHIPMENT,
        liability=Liability.BUYER,
        lines={"TEA": 1},
        goods_value=cny("88.00"),
        asked=cny("88.00"),
        opened_at=clock.now(),
        order_shipped=False,
        clock=clock,
    )
    case.approve(expected_version=case.version, actor=SELLER)
    case.refund(actor=SELLER)
    store_case(store, case)
    service(store, provider, clock).refund("AS-T")
    orders = OrderService(store, provider, clock=clock, sleep=lambda _s: None)
    orders.change("O-1", lambda o: o.cancel_lines({"TEA": 1}, reason="refunded", actor=SELLER))
    assert orders.settle("O-1") == ()
    payment = assert_conserved(store, provider)
    assert payment.refunded == cny("88.00")
    # the cups cancelled next are refunded in full: only the tea was covered
    orders.change("O-1", lambda o: o.cancel_lines({"CUP": 1}, reason="broken", actor=SELLER))
    orders.settle("O-1")
    payment = assert_conserved(store, provider)
    assert payment.refunded_of(RefundKind.SETTLEMENT) == cny("45.50")
    assert payment.refunded == cny("133.50")
