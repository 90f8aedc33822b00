"""Who may act through RatingService, SurveyService, FeedbackService and ConsultationService:
the actor is checked before a replay returns the stored aggregate (a stranger who sends the
stored values learns nothing and gets an error); a replay whose content differs is refused
saying what differs; the services refuse a store or clock they cannot use when built."""

from __future__ import annotations

from typing import Any

import pytest

from ecservice.application import (
    AfterSalesService,
    ComplaintService,
    ConsultationService,
    DisclosureService,
    FeedbackService,
    OrderService,
    PrivacyService,
    RatingService,
    SurveyService,
    rating_id,
)
from ecservice.clock import FixedClock
from ecservice.complaints import SlaPolicy
from ecservice.consultation import ENQUIRY_STOCK, ItemChoice, OrderDetails, Sender
from ecservice.errors import EcServiceError, GuardRejected, PolicyViolation, ValidationError
from ecservice.feedback import FeedbackChannel, FeedbackKind, Sentiment
from ecservice.ratings import DetailedScores, Grade, NotTheBuyer, NotTheSeller
from ecservice.satisfaction import NotTheCustomer, SurveyChannel
from ecservice.storage import MemoryStore, Store, default_timers, order_next_due
from ecservice.workflow import Actor
from tests.application.conftest import POLICY, START
from tests.application.test_aftersales_orders import SIGNED, delivered_order
from tests.application.test_orders import ADDRESS, BUYER, new_provider
from tests.application.test_service_use_cases import (
    CALENDAR,
    STAFF,
    Checker,
    StoreFactory,
    feedback,
    make_store,
    ratings,
)

__all__ = ["make_store"]  # the fixture, used by name

STRANGER = Actor.buyer("u-666")
CARRIER = Actor.carrier("sf")
SCORES = DetailedScores(described=4, service=3, logistics=5)


def done_store(clock: FixedClock) -> Store:
    store = MemoryStore(clock=clock, timers={**default_timers(), "order": order_next_due(POLICY)})
    delivered_order(store, clock)
    return store


# --- surveys ---------------------------------------------------------------------------------


def test_a_stranger_sending_the_stored_answers_is_refused_and_learns_nothing(
    make_store: StoreFactory,
) -> None:
    """The buyer's answers cannot be found by trying: every answer a stranger sends, the stored
    one included, is refused with NotTheCustomer before the answers are compared; the buyer's
    own replay still returns the survey, and staff recording by phone may replay it too."""
    clock = FixedClock(START)
    store = make_store(clock)
    delivered_order(store, clock)
    service = SurveyService(store, clock=clock, sleep=lambda _s: None)
    sent = service.after_order("O-1", channel=SurveyChannel.APP)
    buyer = Actor.buyer(BUYER.id)
    answered = service.answer(sent.id, {"csat": 2, "nps": 3}, actor=buyer)
    accepted = []
    for csat in range(1, 6):
        for nps in (0, 3, 10):
            for who in (STRANGER, CARRIER, Actor.system("job")):
                try:
                    service.answer(sent.id, {"csat": csat, "nps": nps}, actor=who)
                except NotTheCustomer:
                    continue
                accepted.append((who, csat, nps))
    assert accepted == []
    with pytest.raises(NotTheCustomer, match="only the customer"):
        service.answer(sent.id, {"csat": 2, "nps": 3}, actor=STRANGER)
    with pytest.raises(ValidationError, match="Actor"):
        service.answer(sent.id, {"csat": 2, "nps": 3}, actor="u-1")  # type: ignore[arg-type]
    again = service.answer(sent.id, {"csat": 2, "nps": 3}, actor=buyer)
    assert again.version == answered.version == 2
    assert service.answer(sent.id, {"csat": 2, "nps": 3}, actor=STAFF).version == 2


def test_a_survey_sent_again_through_another_channel_is_refused() -> None:
    """Sending the survey of an order again through the same channel returns it; through
    another channel it is refused, naming both channels, and the stored survey is kept."""
    clock = FixedClock(START)
    store = done_store(clock)
    service = SurveyService(store, clock=clock)
    sent = service.after_order("O-1", channel=SurveyChannel.APP)
    with pytest.raises(PolicyViolation, match="through app, not sms"):
        service.after_order("O-1", channel=SurveyChannel.SMS)
    kept = service.after_order("O-1", channel=SurveyChannel.APP)
    assert (kept.channel, kept.version) == (SurveyChannel.APP, sent.version)


# --- ratings ---------------------------------------------------------------------------------


def test_a_rating_replayed_by_another_actor_is_refused() -> None:
    """Another buyer replaying the stored rating, revision or follow-up gets NotTheBuyer; a
    carrier or a buyer replaying the seller's answers gets NotTheSeller; nothing changes and
    the right actors' replays still return the stored rating."""
    clock = FixedClock(START)
    store = done_store(clock)
    service = ratings(store, clock)
    service.open_ratings("O-1")
    rid = rating_id("O-1", "TEA")
    clock.set(SIGNED.add(days=1))
    buyer = Actor.buyer(BUYER.id)
    service.rate(rid, grade=Grade.NEUTRAL, text="A little stale.", scores=SCORES, actor=buyer)
    service.explain(rid, text="Sorry.", actor=STAFF)
    service.revise(rid, actor=buyer, note="Better now.")
    service.follow_up(rid, text="Fresh tin.", actor=buyer)
    stored = service.explain_follow_up(rid, text="Thanks!", actor=STAFF)
    other = Actor.buyer("u-2")
    for who in (other, CARRIER, STAFF):
        with pytest.raises(NotTheBuyer):
            service.rate(rid, grade=Grade.NEUTRAL, text="A little stale.", scores=SCORES, actor=who)
        with pytest.raises(NotTheBuyer):
            service.revise(rid, actor=who, note="Better now.")
        with pytest.raises(NotTheBuyer):
            service.follow_up(rid, text="Fresh tin.", actor=who)
    for who in (other, buyer, CARRIER, Actor.system("job")):
        with pytest.raises(NotTheSeller):
            service.explain(rid, text="Sorry.", actor=who)
        with pytest.raises(NotTheSeller):
            service.explain_follow_up(rid, text="Thanks!", actor=who)
    with pytest.raises(ValidationError, match="Actor"):
        service.explain(rid, text="Sorry.", actor=None)  # type: ignore[arg-type]
    assert (
        service.rate(
            rid, grade=Grade.NEUTRAL, text="A little stale.", scores=SCORES, actor=buyer
        ).version
        == stored.version
    )
    assert service.explain(rid, text="Sorry.", actor=STAFF).version == stored.version


# --- feedback --------------------------------------------------------------------------------


def test_feedback_through_the_service_is_handled_by_staff_only() -> None:
    """A buyer or a carrier cannot answer, revisit or close feedback through the service, nor
    get the stored record back by replaying the answer; staff can; the timer's actor must be
    the system or staff."""
    clock = FixedClock(START)
    store = MemoryStore(clock=clock, timers=default_timers())
    service = feedback(store, clock)
    service.receive("F-1", customer_id="b-1", text="Pack better.", channel=FeedbackChannel.CHAT)
    args: dict[str, Any] = {
        "kind": FeedbackKind.PROBLEM,
        "sentiment": Sentiment.NEGATIVE,
        "summary": "Packing.",
        "message": "We will.",
    }
    customer = Actor.buyer("b-1")
    for who in (customer, STRANGER, CARRIER, Actor.system("job")):
        with pytest.raises(GuardRejected, match="by_service_staff"):
            service.answer("F-1", **args, actor=who)
    assert service.change("F-1", lambda r: r.version) == 0
    answered = service.answer("F-1", **args, actor=STAFF)
    for who in (customer, CARRIER):
        with pytest.raises(GuardRejected, match="by_service_staff"):
            service.answer("F-1", **args, actor=who)
        with pytest.raises(GuardRejected):
            service.schedule_revisits("F-1", actor=who)
        with pytest.raises(GuardRejected, match="by_service_staff"):
            service.close("F-1", actor=who)
    scheduled = service.schedule_revisits("F-1", actor=Actor.system("feedback-timer"))
    with pytest.raises(GuardRejected, match="by_service_staff"):
        service.revisit("F-1", number=1, reached=True, actor=Actor.system("job"))
    assert service.answer("F-1", **args, actor=STAFF).version == answered.version + 1
    assert scheduled.version == answered.version + 1
    with pytest.raises(ValidationError, match="system's timer or staff"):
        FeedbackService(store, POLICY_OF(store), CALENDAR, actor=customer)


def POLICY_OF(store: Store) -> Any:
    """The policy the tests' feedback service uses."""
    return feedback(store, FixedClock(START)).policy


def test_feedback_received_again_with_other_content_is_refused() -> None:
    """Receiving a feedback id again with the same customer, text and channel returns the
    stored record; with another text or channel it is refused, naming what differs."""
    clock = FixedClock(START)
    service = feedback(MemoryStore(clock=clock, timers=default_timers()), clock)
    first = service.receive(
        "F-1", customer_id="b-1", text="Pack better.", channel=FeedbackChannel.CHAT
    )
    same = service.receive(
        "F-1", customer_id="b-1", text="Pack better.", channel=FeedbackChannel.CHAT
    )
    assert same == first
    with pytest.raises(PolicyViolation, match="another text and channel"):
        service.receive("F-1", customer_id="b-1", text="Other.", channel=FeedbackChannel.EMAIL)
    with pytest.raises(PolicyViolation, match="another channel"):
        service.receive(
            "F-1", customer_id="b-1", text="Pack better.", channel=FeedbackChannel.EMAIL
        )
    with pytest.raises(PolicyViolation, match="another text:"):
        service.receive("F-1", customer_id="b-1", text="Other.", channel=FeedbackChannel.CHAT)
    assert service.change("F-1", lambda r: (r.text, r.channel)) == (
        "Pack better.",
        FeedbackChannel.CHAT,
    )


# --- consultations ---------------------------------------------------------------------------


def test_consultation_steps_and_their_replays_check_who_acts() -> None:
    """A buyer cannot record an agent's message nor another buyer's, and cannot take the
    agent's steps, first time or replayed; a hand-over replayed with other remarks and an
    opening replayed at another instant are refused; an opening after the clock is refused."""
    clock = FixedClock(START)
    store = MemoryStore(clock=clock)
    service = ConsultationService(store, Checker(), clock=clock, sleep=lambda _s: None)
    buyer = Actor.buyer("b-1")
    service.open_session("S-1", buyer_id="b-1", opened_at=START)
    with pytest.raises(PolicyViolation, match="opened at"):
        service.open_session("S-1", buyer_id="b-1", opened_at=START.subtract(hours=1))
    assert service.open_session("S-1", buyer_id="b-1").opened_at == START
    with pytest.raises(ValidationError, match="after the session's clock"):
        service.open_session("S-9", buyer_id="b-1", opened_at=START.add(days=30))
    service.message("S-1", sender=Sender.BUYER, length=20, actor=buyer, at=START)
    for who in (STRANGER, STAFF, CARRIER):
        with pytest.raises(GuardRejected, match="by_sender"):
            service.message("S-1", sender=Sender.BUYER, length=20, actor=who, at=START)
    for who in (buyer, CARRIER):
        with pytest.raises(GuardRejected, match="by_sender"):
            service.message("S-1", sender=Sender.AGENT, length=9, actor=who, at=START)
    service.change("S-1", lambda s: s.greet(actor=STAFF))
    with pytest.raises(GuardRejected, match="by_agent"):
        service.change("S-1", lambda s: s.take_enquiry(type=ENQUIRY_STOCK, actor=buyer))
    service.change("S-1", lambda s: s.take_enquiry(type=ENQUIRY_STOCK, actor=STAFF))
    items = (ItemChoice(sku="TEA", quantity=2),)
    details = OrderDetails(order_id="O-1", address=ADDRESS, carrier="SF", items=items)
    with pytest.raises(GuardRejected, match="by_agent"):
        service.confirm_order("S-1", details, actor=buyer)
    service.confirm_order("S-1", details, actor=STAFF)
    service.say_goodbye("S-1", actor=STAFF)
    service.hand_over("S-1", actor=STAFF, remarks=("Gift wrap, please.",))
    for step in (
        lambda who: service.confirm_order("S-1", details, actor=who),
        lambda who: service.say_goodbye("S-1", actor=who),
        lambda who: service.hand_over("S-1", actor=who, remarks=("Gift wrap, please.",)),
        lambda who: service.follow_up_remark("S-1", index=0, note="Wrapped.", actor=who),
    ):
        with pytest.raises(GuardRejected, match="by_agent"):
            step(buyer)
    with pytest.raises(PolicyViolation, match="other remarks"):
        service.hand_over("S-1", actor=STAFF, remarks=("No gift wrap.",))
    service.follow_up_remark("S-1", index=0, note="Wrapped.", actor=STAFF)
    with pytest.raises(GuardRejected, match="by_staff_or_system"):
        service.complete("S-1", actor=buyer)
    done = service.complete("S-1", actor=STAFF)
    with pytest.raises(GuardRejected, match="by_staff_or_system"):
        service.complete("S-1", actor=buyer)
    assert service.complete("S-1", actor=Actor.system("chat")).version == done.version
    assert service.hand_over("S-1", actor=STAFF, remarks=("Gift wrap, please.",)) == done


# --- building the services -------------------------------------------------------------------


@pytest.mark.parametrize("store", [None, "sqlite:///shop.db", object()])
def test_every_service_refuses_a_store_without_a_unit_of_work(store: object) -> None:
    """A store that is not a Store is refused when the service is built, with a library error
    naming what is allowed, not later with an AttributeError."""
    clock = FixedClock(START)
    gateway = new_provider()
    builds = [
        lambda: RatingService(store, seller_id="s", clock=clock),  # type: ignore[arg-type]
        lambda: SurveyService(store, clock=clock),  # type: ignore[arg-type]
        lambda: FeedbackService(store, POLICY_OF(MemoryStore()), CALENDAR, clock=clock),  # type: ignore[arg-type]
        lambda: ConsultationService(store, Checker(), clock=clock),  # type: ignore[arg-type]
        lambda: OrderService(store, gateway, clock=clock),  # type: ignore[arg-type]
        lambda: DisclosureService(store, clock=clock),  # type: ignore[arg-type]
        lambda: AfterSalesService(store, gateway, clock=clock),  # type: ignore[arg-type]
        lambda: ComplaintService(store, SlaPolicy.shop_default(), CALENDAR, clock=clock),  # type: ignore[arg-type]
        lambda: PrivacyService(store, clock=clock),  # type: ignore[arg-type]
    ]
    for build in builds:
        with pytest.raises(ValidationError, match="unit_of_work"):
            build()


@pytest.mark.parametrize("clock", [None, "now", object()])
def test_every_service_refuses_a_clock_that_is_not_a_clock(clock: object) -> None:
    store = MemoryStore()
    gateway = new_provider()
    builds = [
        lambda: RatingService(store, seller_id="s", clock=clock),  # type: ignore[arg-type]
        lambda: SurveyService(store, clock=clock),  # type: ignore[arg-type]
        lambda: FeedbackService(store, POLICY_OF(store), CALENDAR, clock=clock),  # type: ignore[arg-type]
        lambda: ConsultationService(store, Checker(), clock=clock),  # type: ignore[arg-type]
        lambda: OrderService(store, gateway, clock=clock),  # type: ignore[arg-type]
        lambda: DisclosureService(store, clock=clock),  # type: ignore[arg-type]
        lambda: AfterSalesService(store, gateway, clock=clock),  # type: ignore[arg-type]
        lambda: ComplaintService(store, SlaPolicy.shop_default(), CALENDAR, clock=clock),  # type: ignore[arg-type]
        lambda: PrivacyService(store, clock=clock),  # type: ignore[arg-type]
    ]
    for build in builds:
        with pytest.raises(ValidationError, match="Clock") as caught:
            build()
        assert isinstance(caught.value, EcServiceError)
