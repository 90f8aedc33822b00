"""RatingService, SurveyService, FeedbackService and ConsultationService on every store: each use
case run again converges to what one run reached (nothing stored twice, no transition taken
twice), and each timer run twice does nothing the second time."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ecservice.application import (
    ConsultationService,
    FeedbackService,
    FeedbackTimerRun,
    OrderService,
    RatingService,
    SurveyService,
    rating_id,
    survey_id,
)
from ecservice.calendar import ShopCalendar
from ecservice.clock import FixedClock
from ecservice.consultation import (
    ENQUIRY_STOCK,
    ConsultationStatus,
    ItemChoice,
    OrderDetails,
    OrderNotConfirmed,
    Sender,
)
from ecservice.errors import AggregateNotFound, PolicyViolation, ValidationError
from ecservice.feedback import (
    FeedbackChannel,
    FeedbackKind,
    FeedbackPolicy,
    FeedbackStatus,
    RevisitAnchor,
    RevisitOffset,
    Sentiment,
)
from ecservice.orders import Address
from ecservice.ratings import AlreadyRated, DetailedScores, Grade, RatingStatus, ReviewPolicy
from ecservice.satisfaction import SubjectKind, SurveyChannel, SurveyStatus, SurveySubject
from ecservice.storage import (
    MemoryStore,
    Store,
    UnitOfWork,
    default_timers,
    order_next_due,
    run_in_transaction,
)
from ecservice.workflow import Actor
from tests.application.conftest import POLICY, START
from tests.application.test_aftersales_orders import SIGNED, delivered_order
from tests.application.test_orders import ADDRESS, BUYER, RATE, add_cart, new_provider
from tests.storage.conftest import empty_pg

STAFF = Actor.staff("kefu-7")
GOOD = DetailedScores(described=5, service=5, logistics=4)
CALENDAR = ShopCalendar()

StoreFactory = Callable[[FixedClock], Store]


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreFactory]:
    """Makes empty stores of one kind with the default timers (ratings, surveys, feedback)."""
    kind: str = request.param
    made: list[Any] = []

    def make(clock: FixedClock) -> Store:
        timers = {**default_timers(), "order": order_next_due(POLICY)}
        if kind == "memory":
            return MemoryStore(clock=clock, timers=timers)
        from ecservice.storage.sql import SqlStore

        if kind == "sqlite":
            url = f"sqlite:///{tmp_path / f'shop-{len(made)}.db'}"
            sql = SqlStore(url, clock=clock, timers=timers, sqlite_synchronous="NORMAL")
            sql.create_schema()
        else:
            url = request.getfixturevalue("app_pg_url")
            empty_pg(url)
            sql = SqlStore(url, clock=clock, timers=timers)
        made.append(sql)
        return sql

    yield make
    for store in made:
        store.dispose()


def count(store: Store, kind: str) -> int:
    """How many documents of ``kind`` the store's due index and finds see, by id prefix."""

    def work(uow: UnitOfWork) -> int:
        repository = getattr(uow, kind)
        return sum(
            repository.find(i) is not None
            for i in ("O-1/TEA", "O-1/CUP", "SV-order-O-1", "F-1", "F-2", "S-1")
        )

    return run_in_transaction(store, work)


# --- ratings ---------------------------------------------------------------------------------


def ratings(store: Store, clock: FixedClock) -> RatingService:
    return RatingService(store, seller_id="shop-1", clock=clock, sleep=lambda _s: None)


def test_ratings_open_once_per_line_and_only_for_a_done_order(make_store: StoreFactory) -> None:
    """A done order's two lines get two ratings with ids from order and line, their windows
    opening at the receipt; opening again stores none twice. An order not done is refused."""
    clock = FixedClock(START)
    store = make_store(clock)
    add_cart(store, clock, "C-2")
    orders = OrderService(store, new_provider(), clock=clock, sleep=lambda _s: None)
    orders.place_order("C-2", "O-2", address=ADDRESS, shipping=RATE, actor=BUYER)
    with pytest.raises(PolicyViolation, match="once it is done"):
        ratings(store, clock).open_ratings("O-2")
    delivered_order(store, clock)
    service = ratings(store, clock)
    first = service.open_ratings("O-1")
    assert [r.id for r in first] == [rating_id("O-1", "TEA"), rating_id("O-1", "CUP")]
    assert {r.delivered_at for r in first} == {SIGNED}
    assert all(r.status is RatingStatus.PENDING and r.seller_id == "shop-1" for r in first)
    again = service.open_ratings("O-1")
    assert [(r.id, r.version) for r in again] == [(r.id, r.version) for r in first]
    assert count(store, "ratings") == 2
    assert service.ratings_of("O-1") == again
    with pytest.raises(AggregateNotFound):
        service.open_ratings("O-9")


def test_a_rating_run_again_converges_and_a_different_one_is_refused(
    make_store: StoreFactory,
) -> None:
    """Rating, revising, answering and following up, each run twice, take one transition each;
    a different rating of a rated line is refused and changes nothing."""
    clock = FixedClock(START)
    store = make_store(clock)
    delivered_order(store, clock)
    service = ratings(store, clock)
    service.open_ratings("O-1")
    rid = rating_id("O-1", "TEA")
    clock.set(SIGNED.add(days=1))
    buyer = Actor.buyer(BUYER.id)
    bad = DetailedScores(described=2, service=3, logistics=4)
    one = service.rate(rid, grade=Grade.BAD, text="Stale tea.", scores=bad, actor=buyer)
    two = service.rate(rid, grade=Grade.BAD, text="Stale tea.", scores=bad, actor=buyer)
    assert one.version == two.version == 1
    with pytest.raises(AlreadyRated):
        service.rate(rid, grade=Grade.GOOD, text="Fine.", scores=GOOD, actor=buyer)
    for _ in range(2):
        service.explain(rid, text="Sorry: a fresh tin is on its way.", actor=STAFF)
        service.revise(rid, actor=buyer, note="The fresh tin is good.")
        service.follow_up(rid, text="The new tin was fresh.", actor=buyer)
        service.explain_follow_up(rid, text="Thank you!", actor=STAFF)
        service.rate(rid, grade=Grade.BAD, text="Stale tea.", scores=bad, actor=buyer)
    (stored,) = (r for r in service.ratings_of("O-1") if r.id == rid)
    assert stored.version == 5
    assert (stored.grade, stored.revised_from, stored.status) == (
        Grade.GOOD,
        Grade.BAD,
        RatingStatus.FOLLOWED_UP,
    )


def test_rating_timers_rate_by_default_or_lapse_once(make_store: StoreFactory) -> None:
    """At the end of the 15-day window the unrated line is rated good by default; the rated
    one is untouched; a second run does nothing. Under a policy without default rating the
    line lapses instead."""
    clock = FixedClock(START)
    store = make_store(clock)
    delivered_order(store, clock)
    service = ratings(store, clock)
    service.open_ratings("O-1")
    buyer = Actor.buyer(BUYER.id)
    service.rate(rating_id("O-1", "CUP"), grade=Grade.GOOD, text="Nice.", scores=GOOD, actor=buyer)
    clock.set(SIGNED.add(days=15) - _dt.timedelta(microseconds=1))
    assert service.run_due_timers() == 0
    clock.set(SIGNED.add(days=15))
    assert service.run_due_timers(limit=1) == 1
    assert service.run_due_timers() == 0
    by_id = {r.id: r for r in service.ratings_of("O-1")}
    assert by_id[rating_id("O-1", "TEA")].by_default
    assert by_id[rating_id("O-1", "CUP")].version == 1
    with pytest.raises(ValidationError, match="limit"):
        service.run_due_timers(limit=0)


def test_rating_timer_lapses_under_a_policy_without_default() -> None:
    clock = FixedClock(START)
    store = MemoryStore(clock=clock, timers=default_timers())
    delivered_order(store, clock)
    service = RatingService(
        store, seller_id="shop-1", clock=clock, policy=ReviewPolicy(default_good=False)
    )
    service.open_ratings("O-1")
    clock.set(SIGNED.add(days=16))
    assert service.run_due_timers() == 2
    assert service.run_due_timers() == 0
    assert {r.status for r in service.ratings_of("O-1")} == {RatingStatus.UNRATED}


def test_rating_service_refuses_bad_arguments() -> None:
    store = MemoryStore()
    with pytest.raises(ValidationError, match="ReviewPolicy"):
        RatingService(store, seller_id="s", policy="taobao")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="Actor"):
        RatingService(store, seller_id="s", actor="timer")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        RatingService(store, seller_id="")
    with pytest.raises(ValidationError, match="callable"):
        RatingService(store, seller_id="s").change("R-1", "rate")  # type: ignore[arg-type]


# --- surveys ---------------------------------------------------------------------------------


def test_a_survey_after_a_done_order_is_sent_once_answered_once_and_expires_on_time(
    make_store: StoreFactory,
) -> None:
    """The survey of a done order is sent to its buyer once (sending it through another channel
    is refused); the same answers recorded twice take one transition; another order's
    unanswered survey expires at the window's end, once."""
    clock = FixedClock(START)
    store = make_store(clock)
    service = SurveyService(store, clock=clock, sleep=lambda _s: None)
    add_cart(store, clock, "C-2")
    orders = OrderService(store, new_provider(), clock=clock, sleep=lambda _s: None)
    orders.place_order("C-2", "O-2", address=ADDRESS, shipping=RATE, actor=BUYER)
    with pytest.raises(PolicyViolation, match="once done"):
        service.after_order("O-2", channel=SurveyChannel.APP)
    delivered_order(store, clock)
    sent = service.after_order("O-1", channel=SurveyChannel.APP)
    assert sent.id == survey_id(SurveySubject(kind=SubjectKind.ORDER, id="O-1"))
    assert service.after_order("O-1", channel=SurveyChannel.APP).version == sent.version == 1
    with pytest.raises(PolicyViolation, match="through app, not sms"):
        service.after_order("O-1", channel=SurveyChannel.SMS)
    buyer = Actor.buyer(BUYER.id)
    for _ in range(2):
        answered = service.answer(sent.id, {"csat": 5, "nps": 9}, actor=buyer)
    assert (answered.status, answered.version, answered.csat_score) == (SurveyStatus.ANSWERED, 2, 5)
    other = service.send(
        SurveySubject(kind=SubjectKind.ORDER, id="O-7"),
        customer_id="b-7",
        channel=SurveyChannel.SMS,
    )
    with pytest.raises(PolicyViolation, match="sent to customer"):
        service.send(other.subject, customer_id="b-8", channel=SurveyChannel.SMS)
    clock.set(clock.now().add(days=7))
    assert service.run_due_timers() == 1
    assert service.run_due_timers() == 0
    assert service.change(other.id, lambda s: s.status) is SurveyStatus.EXPIRED


# --- feedback --------------------------------------------------------------------------------


def feedback(store: Store, clock: FixedClock) -> FeedbackService:
    policy = FeedbackPolicy(
        "test",
        "a policy of the tests",
        revisits=(RevisitOffset(RevisitAnchor.ANSWERED, _dt.timedelta(days=10)),),
    )
    return FeedbackService(store, policy, CALENDAR, clock=clock, sleep=lambda _s: None)


def test_feedback_answered_once_and_its_timers_fire_once(make_store: StoreFactory) -> None:
    """Feedback received twice is stored once; answered twice, one answer; an unanswered
    record is marked late once; closed twice, closed once."""
    clock = FixedClock(START)
    store = make_store(clock)
    service = feedback(store, clock)
    for _ in range(2):
        service.receive("F-1", customer_id="b-1", text="Pack better.", channel=FeedbackChannel.CHAT)
        service.receive("F-2", customer_id="b-2", text="Love it.", channel=FeedbackChannel.EMAIL)
    with pytest.raises(PolicyViolation, match="already used"):
        service.receive("F-1", customer_id="b-9", text="x", channel=FeedbackChannel.CHAT)
    for _ in range(2):
        answered = service.answer(
            "F-1",
            kind=FeedbackKind.SUGGESTION,
            sentiment=Sentiment.NEUTRAL,
            summary="Asks for better packing.",
            message="Thank you: we now pack in double boxes.",
            actor=STAFF,
        )
    assert answered.status is FeedbackStatus.ANSWERED
    assert answered.version == 3
    clock.set(clock.now().add(days=5))
    assert service.run_due_timers() == FeedbackTimerRun(marked_late=("F-2",))
    assert len(service.run_due_timers()) == 0
    for _ in range(2):
        closed = service.close("F-1", actor=STAFF)
    assert not closed.is_open


def test_feedback_revisits_are_listed_when_due_then_late_once() -> None:
    """A scheduled revisit is listed when due, then when late, once each; the revisit recorded
    twice counts once. (In memory: the event of scheduling holds durations, which the SQL
    outbox does not write yet.)"""
    clock = FixedClock(START)
    store = MemoryStore(clock=clock, timers=default_timers())
    service = feedback(store, clock)
    service.receive("F-1", customer_id="b-1", text="Pack better.", channel=FeedbackChannel.CHAT)
    service.answer(
        "F-1",
        kind=FeedbackKind.SUGGESTION,
        sentiment=Sentiment.NEUTRAL,
        summary="Asks for better packing.",
        message="Thank you: we now pack in double boxes.",
        actor=STAFF,
    )
    for _ in range(2):
        scheduled = service.schedule_revisits("F-1", actor=STAFF)
    assert len(scheduled.schedule) == 1
    due = scheduled.schedule[0]
    clock.set(due.due_at)
    assert service.run_due_timers() == FeedbackTimerRun(revisits_due=("F-1",))
    assert len(service.run_due_timers()) == 0
    clock.set(due.deadline)
    assert service.run_due_timers() == FeedbackTimerRun(revisits_late=("F-1",))
    assert len(service.run_due_timers()) == 0
    for _ in range(2):
        done = service.revisit("F-1", number=1, reached=True, satisfied=True, actor=STAFF)
    assert done.status is FeedbackStatus.REVISITED
    assert len(done.revisits) == 1
    with pytest.raises(ValidationError, match="next is number 2"):
        service.revisit("F-1", number=3, reached=True, actor=STAFF)
    for _ in range(2):
        closed = service.close("F-1", actor=STAFF)
    assert not closed.is_open


# --- consultations ---------------------------------------------------------------------------


class Checker:
    """Every check passes, except that carrier "none" reaches nobody."""

    def address_problem(self, address: Address) -> str | None:
        return None

    def reach_problem(self, address: Address, carrier: str) -> str | None:
        return "the carrier does not deliver there" if carrier == "none" else None

    def option_problem(self, item: ItemChoice) -> str | None:
        return None

    def presale_problem(self, ship_by: Any, address: Address, carrier: str) -> str | None:
        return None


def test_a_consultation_taken_through_every_step_twice_takes_each_once(
    make_store: StoreFactory,
) -> None:
    """Opening, messages, the confirmation, the goodbye, the hand-over, the follow-up and the
    completion, each run twice, are recorded once; the checker refuses a bad carrier."""
    clock = FixedClock(START)
    store = make_store(clock)
    service = ConsultationService(store, Checker(), clock=clock, sleep=lambda _s: None)
    buyer = Actor.buyer("b-1")
    for _ in range(2):
        service.open_session("S-1", buyer_id="b-1")
        service.message("S-1", sender=Sender.BUYER, length=20, actor=buyer, at=START)
    clock.set(START.add(seconds=30))
    for _ in range(2):
        service.message("S-1", sender=Sender.AGENT, length=40, actor=STAFF, at=clock.now())
    with pytest.raises(PolicyViolation, match="already used"):
        service.open_session("S-1", buyer_id="b-2")

    def sell(session: Any) -> None:
        session.greet(actor=STAFF)
        session.take_enquiry(type=ENQUIRY_STOCK, actor=STAFF, note="Is the tea in stock?")

    service.change("S-1", sell)
    items = (ItemChoice(sku="TEA", quantity=2),)
    wrong = OrderDetails(order_id="O-1", address=ADDRESS, carrier="none", items=items)
    with pytest.raises(OrderNotConfirmed, match="does not deliver"):
        service.confirm_order("S-1", wrong, actor=STAFF)
    details = OrderDetails(order_id="O-1", address=ADDRESS, carrier="SF", items=items)
    for _ in range(2):
        service.confirm_order("S-1", details, actor=STAFF)
        service.say_goodbye("S-1", actor=STAFF)
        service.hand_over("S-1", actor=STAFF, remarks=("Gift wrap, please.",))
        service.follow_up_remark("S-1", index=0, note="Wrapped.", actor=STAFF)
        done = service.complete("S-1", actor=STAFF)
    assert done.status is ConsultationStatus.COMPLETED
    assert len(done.messages) == 2
    assert [r.trigger for r in done.history].count("confirm_order") == 1
    assert done.version == 9
    first = done.first_response()
    assert first is not None
    assert first.waited == _dt.timedelta(seconds=30)


def test_a_consultation_without_an_order_ends_once() -> None:
    clock = FixedClock(START)
    store = MemoryStore(clock=clock)
    service = ConsultationService(store, Checker(), clock=clock)
    service.open_session("S-2", buyer_id="b-2")
    service.change("S-2", lambda s: s.greet(actor=STAFF))
    for _ in range(2):
        ended = service.end("S-2", reason="The buyer left.", actor=STAFF)
    assert ended.status is ConsultationStatus.ENDED
    assert ended.version == 2
    with pytest.raises(ValidationError, match="OrderChecker"):
        ConsultationService(store, object())  # type: ignore[arg-type]
