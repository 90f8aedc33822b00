"""Orders paid with an electronic commercial draft through :class:`EbillGateway`.

The buyer (the drawer) issues a draft for the order's amount to the shop (the payee), its bank
accepts it, the buyer delivers it; the order is confirmed when the payment captures the draft.
At maturity the shop presents it: the acceptor pays, or dishonours and the shop claims recourse
from the buyer. A void or a refund before presentment endorses the draft back to the buyer.
"""

from __future__ import annotations

from typing import Any

import pendulum
import pytest

from ecservice.clock import FixedClock
from ecservice.errors import PolicyViolation, ValidationError
from ecservice.money import Money
from ecservice.orders import Order, OrderStatus
from ecservice.payments import (
    Instrument,
    InstrumentKind,
    OrderPayments,
    Payment,
    PaymentGateway,
    PaymentStatus,
)
from ecservice.payments.ebills import (
    ActKind,
    DishonourReason,
    DraftStatus,
    ElectronicDraft,
)
from ecservice.payments.ebills._errors import DeadlinePassed
from ecservice.payments.ebills._gateway import EbillGateway
from tests.payments.ebills.rig import KEYS, STAFF, key
from tests.payments.ebills.shop_rig import (
    BANK,
    BUYER,
    NUMBER,
    SHOP,
    SHOP_KEYS,
    T0,
    b2b_order,
    cny,
    draft_to_shop,
)

SHOP_KEY = SHOP_KEYS[SHOP]
ALL_KEYS = {**KEYS, **SHOP_KEYS}


def make_order(clock: FixedClock) -> Order[Any]:
    return b2b_order("B2B-1", clock)


def draft_for(amount: Money, clock: FixedClock, number: str = NUMBER) -> ElectronicDraft:
    return draft_to_shop(amount, clock, number)


class Rig:
    def __init__(self) -> None:
        self.clock = FixedClock(T0)
        self.order = make_order(self.clock)
        self.draft = draft_for(self.order.amount_due, self.clock)
        self.drafts = {self.draft.id: self.draft}
        self.gateway = EbillGateway(self.drafts, SHOP, SHOP_KEY)
        self.payments = OrderPayments(self.gateway)
        self.payment = self.payments.open(
            self.order, Instrument(InstrumentKind.DRAFT, self.draft.id)
        )


@pytest.fixture
def rig() -> Rig:
    return Rig()


def test_the_gateway_is_a_payment_gateway(rig: Rig) -> None:
    assert isinstance(rig.gateway, PaymentGateway)


def test_capturing_the_draft_confirms_the_order(rig: Rig) -> None:
    rig.payments.pay(rig.order, rig.payment)
    assert rig.payment.status is PaymentStatus.CAPTURED
    assert rig.order.status is OrderStatus.PROCESSING
    assert rig.gateway.receivable("CNY") == cny("47500.00")
    assert rig.gateway.collected("CNY") == cny("0.00")
    assert rig.draft.status is DraftStatus.HELD  # nothing signed yet: the shop holds it


def test_paid_at_maturity(rig: Rig) -> None:
    rig.payments.pay(rig.order, rig.payment)
    rig.clock.set(pendulum.datetime(2026, 6, 1, 9, 0, tz="Asia/Shanghai"))
    first = rig.gateway.present(rig.draft.id)
    assert rig.gateway.present(rig.draft.id) == first  # a retry signs nothing
    pay = rig.draft.sign(ALL_KEYS[BANK], ActKind.PAY, by=BANK, amount=cny("47500.00"))
    record = rig.gateway.record(rig.draft.id, pay)
    assert rig.gateway.record(rig.draft.id, pay) == record  # delivered twice, applied once
    assert rig.draft.status is DraftStatus.PAID
    assert rig.gateway.collected("CNY") == cny("47500.00")
    assert rig.gateway.receivable("CNY") == cny("0.00")


def test_presenting_before_maturity_is_refused(rig: Rig) -> None:
    rig.payments.pay(rig.order, rig.payment)
    before = rig.draft.version
    with pytest.raises(DeadlinePassed):
        rig.gateway.present(rig.draft.id)
    assert rig.draft.version == before


def test_dishonour_then_recourse_from_the_buyer(rig: Rig) -> None:
    rig.payments.pay(rig.order, rig.payment)
    rig.clock.set(pendulum.datetime(2026, 6, 1, 9, 0, tz="Asia/Shanghai"))
    rig.gateway.present(rig.draft.id)
    refuse = rig.draft.sign(
        ALL_KEYS[BANK], ActKind.DISHONOUR, by=BANK, reason=DishonourReason.INSUFFICIENT_FUNDS
    )
    rig.gateway.record(rig.draft.id, refuse)
    assert rig.gateway.dishonoured() == (rig.draft.id,)
    events = [type(e).__name__ for e in rig.draft.pull_events()]
    assert "DraftDishonoured" in events
    claim = rig.gateway.claim_recourse(rig.draft.id, BUYER, expenses=cny("20.00"))
    assert rig.gateway.claim_recourse(rig.draft.id, BUYER, expenses=cny("20.00")) == claim
    settle = rig.draft.sign(
        ALL_KEYS[BUYER], ActKind.SETTLE_RECOURSE, by=BUYER, amount=cny("47520.00")
    )
    rig.gateway.record(rig.draft.id, settle)
    # The buyer, as the drawer, now holds the draft and may claim from the acceptor in turn
    # (票据法 art. 71): the draft is not settled until nobody is left to claim from.
    assert rig.draft.holder == BUYER
    assert rig.draft.status is DraftStatus.DISHONOURED
    assert rig.gateway.collected("CNY") == cny("47520.00")
    assert rig.gateway.dishonoured() == ()


def test_a_void_endorses_the_draft_back(rig: Rig) -> None:
    response = rig.gateway.authorize(
        Instrument(InstrumentKind.DRAFT, rig.draft.id),
        rig.order.amount_due,
        reference="P-1",
        idempotency_key="P-1:authorize",
    )
    assert response.approved
    rig.gateway.void(response.reference, idempotency_key="P-1:void")
    assert rig.draft.holder == BUYER
    assert rig.draft.acts[-1].kind is ActKind.ENDORSE
    again = rig.gateway.void(response.reference, idempotency_key="P-1:void")
    assert again.approved
    assert rig.draft.version == 3


def test_a_cancelled_order_gets_its_draft_back(rig: Rig) -> None:
    rig.payments.pay(rig.order, rig.payment)
    rig.order.cancel(actor=STAFF, reason="buyer changed their mind")
    rig.payments.settle(rig.order, rig.payment)
    rig.payments.settle(rig.order, rig.payment)  # converges: nothing more
    assert rig.payment.status is PaymentStatus.REFUNDED
    assert rig.draft.holder == BUYER
    assert rig.gateway.receivable("CNY") == cny("0.00")


def test_a_partial_refund_is_declined_and_changes_nothing(rig: Rig) -> None:
    rig.payments.pay(rig.order, rig.payment)
    assert rig.payment.capture_reference is not None
    answer = rig.gateway.refund(
        rig.payment.capture_reference, cny("100.00"), idempotency_key="P:partial"
    )
    assert not answer.approved
    assert "refund the difference by transfer" in answer.message
    assert rig.draft.holder == SHOP
    assert rig.draft.version == 2


def test_a_draft_for_another_amount_is_declined(rig: Rig) -> None:
    other = draft_for(cny("1000.00"), rig.clock, number="5" + "0" * 28 + "2")
    rig.drafts[other.id] = other
    payment = Payment(
        id="B2B-1-PAY-2",
        order_id=rig.order.id,
        amount=rig.order.amount_due,
        instrument=Instrument(InstrumentKind.DRAFT, other.id),
        clock=rig.clock,
    )
    rig.payments.pay(rig.order, payment)
    assert payment.status is PaymentStatus.FAILED
    assert payment.failure is not None
    assert "taken whole" in payment.failure
    assert rig.order.status is OrderStatus.PENDING_CONFIRMATION


def test_one_draft_pays_one_payment(rig: Rig) -> None:
    rig.payments.pay(rig.order, rig.payment)
    answer = rig.gateway.authorize(
        Instrument(InstrumentKind.DRAFT, rig.draft.id),
        rig.order.amount_due,
        reference="OTHER",
        idempotency_key="OTHER:authorize",
    )
    assert not answer.approved
    assert "already pays" in answer.message


def test_a_draft_the_shop_does_not_hold_is_declined(rig: Rig) -> None:
    d = rig.draft
    d.endorse(d.sign(SHOP_KEY, ActKind.ENDORSE, by=SHOP, party=BUYER), actor=STAFF)
    rig.payments.pay(rig.order, rig.payment)
    assert rig.payment.status is PaymentStatus.FAILED
    assert rig.payment.failure is not None
    assert "held by" in rig.payment.failure
    assert rig.order.status is OrderStatus.PENDING_CONFIRMATION


def test_bad_arguments() -> None:
    clock = FixedClock(T0)
    with pytest.raises(ValidationError, match="not the private key"):
        EbillGateway({}, SHOP, key(99))
    with pytest.raises(ValidationError, match="DraftParty"):
        EbillGateway({}, "shop", SHOP_KEY)  # type: ignore[arg-type]
    gateway = EbillGateway({}, SHOP, SHOP_KEY)
    with pytest.raises(ValidationError, match="knows no draft"):
        gateway.present("nope")
    draft = draft_for(cny("10.00"), clock)
    with pytest.raises(ValidationError, match="pay, dishonour or settle_recourse"):
        gateway.record(draft.id, draft.acts[0])
    draft.endorse(draft.sign(SHOP_KEY, ActKind.ENDORSE, by=SHOP, party=BUYER), actor=STAFF)
    gateway = EbillGateway({draft.id: draft}, SHOP, SHOP_KEY)
    before = draft.version
    with pytest.raises(PolicyViolation, match="held by"):
        gateway.present(draft.id)
    with pytest.raises(PolicyViolation, match="held by"):
        gateway.claim_recourse(draft.id, BUYER)
    assert draft.version == before


def test_a_gateway_built_anew_refunds_what_another_captured(rig: Rig) -> None:
    """One gateway per unit of work over stored drafts: the references name the draft and its
    version, so a new gateway rebuilds the capture from the draft and endorses it back once."""
    rig.payments.pay(rig.order, rig.payment)
    capture = rig.payment.capture_reference
    assert capture is not None
    fresh = EbillGateway(rig.drafts, SHOP, SHOP_KEY)
    assert fresh.captured_amount(capture) == cny("47500.00")
    assert fresh.refunded_amount(capture) == cny("0.00")
    rig.order.cancel(actor=STAFF, reason="buyer changed their mind")
    OrderPayments(fresh).settle(rig.order, rig.payment)
    assert rig.draft.holder == BUYER
    again = EbillGateway(rig.drafts, SHOP, SHOP_KEY)
    assert again.refunded_amount(capture) == cny("47500.00")
    answer = again.refund(capture, cny("47500.00"), idempotency_key="late retry")
    assert not answer.approved  # nothing left: the draft went back once
    assert rig.draft.version == 3


def test_references_of_unknown_drafts_are_not_rebuilt(rig: Rig) -> None:
    fresh = EbillGateway(rig.drafts, SHOP, SHOP_KEY)
    for reference in ("ebill-cap-nope-2", f"ebill-cap-{rig.draft.id}-9", "ebill-cap-x", "other"):
        with pytest.raises(ValidationError, match="has no capture"):
            fresh.refund(reference, cny("1.00"), idempotency_key="k")


def test_a_retried_claim_with_other_figures_is_refused(rig: Rig) -> None:
    rig.payments.pay(rig.order, rig.payment)
    rig.clock.set(pendulum.datetime(2026, 6, 1, 9, 0, tz="Asia/Shanghai"))
    rig.gateway.present(rig.draft.id)
    refuse = rig.draft.sign(
        ALL_KEYS[BANK], ActKind.DISHONOUR, by=BANK, reason=DishonourReason.OTHER
    )
    rig.gateway.record(rig.draft.id, refuse)
    first = rig.gateway.claim_recourse(rig.draft.id, BUYER, expenses=cny("10.00"))
    assert rig.gateway.claim_recourse(rig.draft.id, BUYER) == first
    with pytest.raises(PolicyViolation, match=r"asks 10\.00 CNY of expenses, not 99\.00 CNY"):
        rig.gateway.claim_recourse(rig.draft.id, BUYER, expenses=cny("99.00"))
    assert rig.draft.history[-1] == first
