"""Exception orders (异常订单) through the use cases, on every store: the shop's rules hold an
order when it is placed, in the same transaction; a held order's payment is taken but does not
confirm it; releasing it confirms it as paying would have; cancelling it refunds exactly once."""

from __future__ import annotations

import pytest

from ecservice.application import OrderService, payments_of
from ecservice.clock import FixedClock
from ecservice.errors import GuardRejected, InvalidTransition, ValidationError
from ecservice.money import Money
from ecservice.orders import (
    Address,
    Cart,
    ExceptionContext,
    ExceptionPolicy,
    HoldOutcome,
    HoldReason,
    LowPriceRule,
    OrderStatus,
    ShippingRate,
)
from ecservice.payments import InMemoryGateway, Instrument, InstrumentKind, PaymentStatus
from ecservice.storage import Store
from ecservice.workflow import Actor, ActorKind
from tests.application.conftest import POLICY, StoreFactory

BUYER = Actor.buyer("u-1")
STAFF = Actor.staff("kefu-01")
RATE = ShippingRate.per_kg(first_fee=Money("10.00", "CNY"), additional_fee=Money("6.00", "CNY"))
ADDRESS = Address(
    recipient="Li Lei", phone="13800138000", province="Zhejiang", city="Hangzhou", street="1 Rd"
)
CARD = Instrument(InstrumentKind.CARD, "tok_funded")
CATALOGUE = ExceptionContext(catalogue={"TEA": Money("88.00", "CNY")})


def _cart(store: Store, clock: FixedClock, cart_id: str, price: str) -> None:
    cart = Cart.open(cart_id, buyer_id="u-1", currency="CNY", clock=clock)
    cart.add_line("TEA", "Longjing tea", Money(price, "CNY"), 2, actor=BUYER)
    with store.unit_of_work() as uow:
        uow.carts.add(cart)
        uow.commit()


def _service(store: Store, clock: FixedClock, gateway: InMemoryGateway) -> OrderService:
    return OrderService(
        store, gateway, clock=clock, auto_confirm=POLICY, exceptions=ExceptionPolicy()
    )


@pytest.fixture
def gateway() -> InMemoryGateway:
    found = InMemoryGateway()
    found.fund(CARD, Money("1000.00", "CNY"))
    return found


def test_a_flagged_order_is_held_when_placed_and_a_clean_one_is_not(
    make_store: StoreFactory, clock: FixedClock, gateway: InMemoryGateway
) -> None:
    """The low price holds O-1 in the transaction that stores it; O-2 at the catalogue price
    is placed as usual; the stored documents say so."""
    store = make_store(clock)
    _cart(store, clock, "C-1", "8.00")
    _cart(store, clock, "C-2", "88.00")
    service = _service(store, clock, gateway)
    held = service.place_order(
        "C-1", "O-1", address=ADDRESS, shipping=RATE, actor=BUYER, context=CATALOGUE
    )
    clean = service.place_order(
        "C-2", "O-2", address=ADDRESS, shipping=RATE, actor=BUYER, context=CATALOGUE
    )
    assert held.status is OrderStatus.ON_HOLD
    assert clean.status is OrderStatus.PENDING_CONFIRMATION
    with store.unit_of_work() as uow:
        stored = uow.orders.get("O-1")
        assert stored.status is OrderStatus.ON_HOLD
        (hold,) = stored.holds
        assert hold.reason is HoldReason.LOW_PRICE
        assert hold.open
        assert stored.history[-1].actor.kind is ActorKind.SYSTEM
        assert uow.orders.get("O-2").holds == ()
    # Run again: the stored order is returned, not held twice.
    again = service.place_order(
        "C-1", "O-1", address=ADDRESS, shipping=RATE, actor=BUYER, context=CATALOGUE
    )
    assert len(again.holds) == 1


def test_a_held_order_is_paid_but_not_confirmed_and_release_confirms_it(
    make_store: StoreFactory, clock: FixedClock, gateway: InMemoryGateway
) -> None:
    """Paying a held order captures the money and leaves it held; releasing it confirms it
    with the payment that paid it; paying again moves nothing."""
    store = make_store(clock)
    _cart(store, clock, "C-1", "8.00")
    service = _service(store, clock, gateway)
    service.place_order(
        "C-1", "O-1", address=ADDRESS, shipping=RATE, actor=BUYER, context=CATALOGUE
    )
    outcome = service.pay("O-1", CARD)
    assert outcome.payment_status is PaymentStatus.CAPTURED
    assert outcome.order_status is OrderStatus.ON_HOLD
    assert service.pay("O-1", CARD) == outcome
    assert gateway.merchant_balance("CNY") == Money("26.00", "CNY")
    with pytest.raises(GuardRejected):
        service.release("O-1", actor=BUYER)
    clock.advance(hours=3)
    service.release("O-1", actor=STAFF, note="price confirmed with the buyer")
    with store.unit_of_work() as uow:
        order = uow.orders.get("O-1")
        assert order.status is OrderStatus.PROCESSING
        assert service.payments.paid_by(order) == "O-1-PAY"
        assert order.holds[-1].outcome is HoldOutcome.RELEASED
        assert order.holds[-1].duration() is not None
    assert gateway.merchant_balance("CNY") == Money("26.00", "CNY")


def test_cancelling_a_held_paid_order_refunds_exactly_once(
    make_store: StoreFactory, clock: FixedClock, gateway: InMemoryGateway
) -> None:
    """Only staff cancel a held order; the refund goes through the cancel path once, however
    often it is run."""
    store = make_store(clock)
    _cart(store, clock, "C-1", "8.00")
    service = _service(store, clock, gateway)
    service.place_order(
        "C-1", "O-1", address=ADDRESS, shipping=RATE, actor=BUYER, context=CATALOGUE
    )
    service.pay("O-1", CARD)
    with pytest.raises(GuardRejected):
        service.cancel("O-1", reason="changed my mind", actor=BUYER)
    service.cancel("O-1", reason="mispriced listing", actor=STAFF)
    service.cancel("O-1", reason="mispriced listing", actor=STAFF)
    service.settle("O-1")
    assert gateway.merchant_balance("CNY") == Money("0.00", "CNY")
    with store.unit_of_work() as uow:
        (payment,) = payments_of(uow, "O-1")
        assert payment.status is PaymentStatus.REFUNDED
        assert payment.refunded == Money("26.00", "CNY")
        order = uow.orders.get("O-1")
        assert order.status is OrderStatus.CANCELLED
        assert order.holds[-1].outcome is HoldOutcome.CANCELLED


def test_hold_screen_and_release_by_hand(
    make_store: StoreFactory, clock: FixedClock, gateway: InMemoryGateway
) -> None:
    """Staff hold a processing order by hand and release it back to processing; screening a
    clean order finds nothing and changes nothing; a second screen of a flagged, held order
    does not hold it twice."""
    store = make_store(clock)
    _cart(store, clock, "C-1", "88.00")
    service = _service(store, clock, gateway)
    service.place_order("C-1", "O-1", address=ADDRESS, shipping=RATE, actor=BUYER)
    service.pay("O-1", CARD)
    assert service.screen("O-1", context=CATALOGUE) == ()
    service.hold("O-1", reason=HoldReason.MANUAL, detail="buyer phoned", actor=STAFF)
    with pytest.raises(InvalidTransition):
        service.hold("O-1", reason=HoldReason.MANUAL, detail="again", actor=STAFF)
    service.release("O-1", actor=STAFF)
    with store.unit_of_work() as uow:
        order = uow.orders.get("O-1")
    assert order.status is OrderStatus.PROCESSING
    cheap = ExceptionContext(catalogue={"TEA": Money("500.00", "CNY")})
    (finding,) = service.screen("O-1", context=cheap)
    assert finding.reason is HoldReason.LOW_PRICE
    assert service.screen("O-1", context=cheap) == (finding,)
    with store.unit_of_work() as uow:
        assert len(uow.orders.get("O-1").holds) == 2


def test_bad_input_is_refused_and_changes_nothing(clock: FixedClock) -> None:
    """A service with rules of the wrong type, or a context of the wrong type, is refused
    before anything is stored."""
    from ecservice.storage import MemoryStore

    store = MemoryStore(clock=clock)
    with pytest.raises(ValidationError, match="ExceptionPolicy"):
        OrderService(store, InMemoryGateway(), exceptions=LowPriceRule())  # type: ignore[arg-type]
    _cart(store, clock, "C-1", "8.00")
    service = OrderService(store, InMemoryGateway(), clock=clock, exceptions=ExceptionPolicy())
    with pytest.raises(ValidationError, match="ExceptionContext"):
        service.place_order(
            "C-1",
            "O-1",
            address=ADDRESS,
            shipping=RATE,
            actor=BUYER,
            context={"TEA": 1},  # type: ignore[arg-type]
        )
    with store.unit_of_work() as uow:
        assert uow.orders.find("O-1") is None
        assert uow.carts.get("C-1").order_id is None
