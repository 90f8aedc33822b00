"""Customer service in the simulated shop of ``ecservice demo``: pre-sale consultations, ratings
of delivered orders, satisfaction surveys and feedback.

Private to the demo (:mod:`ecservice._demo` runs it). Every step goes through the use cases of
:mod:`ecservice.application` (:class:`~ecservice.application.ConsultationService`,
:class:`~ecservice.application.RatingService`, :class:`~ecservice.application.SurveyService`,
:class:`~ecservice.application.FeedbackService`), whose timers run each simulated day: ratings
left unrated 15 days after the delivery are rated good by default, surveys unanswered for 7
days expire, feedback answered late is marked so.

What buyers and agents do is drawn from the id of what they act on (a rating's plan from the
rating's id, a session's chat from its id), so a run continued after a kill takes the same
steps, and each use case run again converges. The shares are simulation choices of the demo,
not published figures: about one order in ten is preceded by a chat that converts
(:data:`CONSULTED`), a few chats end without an order (:data:`WALK_AWAY`); about half of
delivered lines are rated by the buyer, mostly good (:data:`GRADES`), the rest left to the
default; a quarter of delivered orders (:data:`SURVEYED`) and every ended case and closed
complaint get a survey, answered about 60% of the time.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import functools
import hashlib
import heapq
import itertools
import random
from collections.abc import Callable, Iterable
from typing import Any, Final

from pendulum import DateTime

from ecservice._demo_complaint_steps import CALENDAR
from ecservice.application import (
    ConsultationService,
    FeedbackService,
    RatingService,
    SurveyService,
)
from ecservice.consultation import (
    DEFAULT_ENQUIRY_TYPES,
    ConsultationSession,
    ItemChoice,
    ObjectionKind,
    OrderDetails,
    Sender,
)
from ecservice.errors import PolicyViolation, WorkflowError
from ecservice.feedback import (
    FeedbackChannel,
    FeedbackKind,
    FeedbackPolicy,
    FeedbackRecord,
    FeedbackStatus,
    Sentiment,
)
from ecservice.orders import Address, Order
from ecservice.ratings import DetailedScores, Grade, Rating
from ecservice.satisfaction import QuestionKind, Survey, SurveyChannel
from ecservice.storage import Store, UnitOfWork, run_in_transaction
from ecservice.workflow import Actor

__all__ = [
    "CONSULTED",
    "GRADES",
    "SELLER",
    "SURVEYED",
    "WALK_AWAY",
    "ServiceDesk",
    "session_id_of",
]

SMS: Final = SurveyChannel.SMS
PHONE: Final = SurveyChannel.PHONE
#: The shop the demo's ratings rate.
SELLER: Final = "demo-shop"
#: Share of placed orders preceded by a consultation that led to them.
CONSULTED: Final = 0.1
#: Consultations without an order, per order placed.
WALK_AWAY: Final = 0.04
#: Share of delivered lines the buyer rates (the others get the default good rating).
RATED: Final = 0.5
#: The grades buyers give, with their shares.
GRADES: Final = ((Grade.GOOD, 0.92), (Grade.NEUTRAL, 0.05), (Grade.BAD, 0.03))
#: Share of delivered orders surveyed (ended cases and closed complaints always are).
SURVEYED: Final = 0.25
#: Share of surveys answered.
ANSWERED: Final = 0.6
#: Share of delivered orders whose buyer sends feedback.
FEEDBACK: Final = 0.01

#: The kinds of feedback buyers send, with their shares.
_FEEDBACK_KINDS: Final = (
    (FeedbackKind.SUGGESTION, 0.4),
    (FeedbackKind.PRAISE, 0.3),
    (FeedbackKind.PROBLEM, 0.2),
    (FeedbackKind.QUESTION, 0.1),
)
_AGENTS: Final = tuple(Actor.staff(f"kefu-{n:02d}") for n in range(1, 7))
_HOUR: Final = _dt.timedelta(hours=1)
_TEXTS: Final = {
    Grade.GOOD: ("Fresh and well packed.", "As described, fast delivery.", "Will buy again."),
    Grade.NEUTRAL: ("Acceptable, the box was dented.", "Fine, but slower than promised."),
    Grade.BAD: ("Not as pictured.", "Arrived damaged and late."),
}
#: CSAT (1-5) and NPS (0-10) answers: most customers are satisfied, few are not.
_CSAT: Final = ((5, 0.52), (4, 0.30), (3, 0.10), (2, 0.05), (1, 0.03))
#: CSAT after a case or a complaint: more spread.
_CSAT_AFTER_TROUBLE: Final = ((5, 0.34), (4, 0.30), (3, 0.16), (2, 0.10), (1, 0.10))
_NPS: Final = (
    (10, 0.28),
    (9, 0.24),
    (8, 0.18),
    (7, 0.11),
    (6, 0.06),
    (5, 0.05),
    (4, 0.03),
    (3, 0.02),
    (2, 0.01),
    (1, 0.01),
    (0, 0.01),
)


def _rng(*parts: object) -> random.Random:
    digest = hashlib.sha256("/".join(map(str, parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def _pick(rng: random.Random, shares: Iterable[tuple[Any, float]]) -> Any:
    roll, last = rng.random(), None
    for value, share in shares:
        last = value
        if roll < share:
            return value
        roll -= share
    return last


def session_id_of(order_id: str) -> str:
    """The id of the consultation that led to an order: ``ZX-000123``."""
    return "ZX-" + order_id.rpartition("-")[2]


class DemoChecker:
    """The demo shop's order checks: every address of the demo is complete and reached; a
    presale date is never asked for (no presale goods)."""

    def address_problem(self, address: Address) -> str | None:
        return None if address.street else "the street is missing"

    def reach_problem(self, address: Address, carrier: str) -> str | None:
        return None

    def option_problem(self, item: ItemChoice) -> str | None:
        return None

    def presale_problem(self, ship_by: DateTime, address: Address, carrier: str) -> str | None:
        return None


def _scores(rng: random.Random, grade: Grade) -> DetailedScores:
    if grade is Grade.GOOD:
        table = ((5, 0.72), (4, 0.24), (3, 0.04))
    elif grade is Grade.NEUTRAL:
        table = ((4, 0.3), (3, 0.6), (2, 0.1))
    else:
        table = ((3, 0.2), (2, 0.4), (1, 0.4))
    return DetailedScores(
        described=_pick(rng, table), service=_pick(rng, table), logistics=_pick(rng, table)
    )


class ServiceDesk:
    """One worker's customer-service desk: consultations, ratings, surveys and feedback.

    Args:
        store: the shop's store (with the default timers of ratings, surveys and feedback).
        clock: the simulated clock; :meth:`day` moves it on within the day.
        seed: the run's seed (walk-in chats draw from it).
        worker: this worker's number; ``workers`` how many share the run.
        mine: whether an order id is this worker's.
    """

    def __init__(
        self,
        store: Store,
        clock: Any,
        seed: int,
        worker: int,
        workers: int,
        mine: Callable[[str], bool],
    ) -> None:
        self.clock = clock
        self.seed = seed
        self.worker = worker
        self.workers = workers
        self.mine = mine
        self.ratings = RatingService(store, seller_id=SELLER, clock=clock)
        self.surveys = SurveyService(store, clock=clock)
        self.feedback = FeedbackService(store, FeedbackPolicy.shop_default(), CALENDAR, clock=clock)
        self.consultations = ConsultationService(store, DemoChecker(), clock=clock)
        #: Ids made by this desk, per document type (what a store in memory cannot list).
        self.made: dict[str, set[str]] = {
            k: set() for k in ("rating", "survey", "consultation", "feedback")
        }
        self.timers = 0
        self._todo: list[tuple[DateTime, int, Callable[[], object]]] = []
        self._seq = itertools.count()

    # --- what the shop's day tells the desk ------------------------------------------------------

    def placed(self, order: Order[Any]) -> None:
        """An order was placed now: some were preceded by a chat that led to them."""
        if _rng(order.id, "consulted").random() >= CONSULTED:
            return
        sid = session_id_of(order.id)
        rng = _rng(sid)
        now = self.clock.now()
        opened = now - _dt.timedelta(minutes=rng.uniform(15, 50))
        agent = rng.choice(_AGENTS)
        try:
            self.consultations.open_session(sid, buyer_id=order.buyer_id, opened_at=opened)
        except PolicyViolation:
            return  # an id an interrupted run used otherwise: no chat for this order
        self.made["consultation"].add(sid)
        self.consultations.change(sid, self._chat(rng, agent, opened, now, sells=True))
        items = tuple(ItemChoice(sku=line.sku, quantity=line.quantity) for line in order.lines)
        details = OrderDetails(
            order_id=order.id, address=order.address, carrier="SF Express", items=items
        )
        self.consultations.confirm_order(sid, details, actor=agent)
        remarks = ("Gift wrap, please.",) if rng.random() < 0.3 else ()
        self.consultations.change(sid, self._hand_over(agent, remarks))

    @staticmethod
    def _hand_over(agent: Actor, remarks: tuple[str, ...]) -> Callable[[ConsultationSession], None]:
        """Goodbye, the hand-over with its remarks, their follow-up (the warehouse acted on
        them) and the completion, in one sitting of the agent, once."""

        def finish(session: ConsultationSession) -> None:
            if not session.is_open:
                return  # done already (a use case run again)
            if session.can("say_goodbye", actor=agent):
                session.say_goodbye(actor=agent)
            if session.can("hand_over", actor=agent, remarks=remarks):
                session.hand_over(actor=agent, remarks=remarks)
            for index, _remark in session.open_remarks:
                session.follow_up_remark(index=index, note="Done by the warehouse.", actor=agent)
            session.complete(actor=agent)

        return finish

    def walk_ins(self, placed: int) -> None:
        """Today's chats that end without an order (about :data:`WALK_AWAY` per order placed
        today by all workers, ``placed``), dealt round the workers."""
        rng = _rng(self.seed, "walk-ins", self.clock.now().isoformat())
        count = sum(rng.random() < WALK_AWAY for _ in range(placed))
        for k in range(count):
            if k % self.workers != self.worker:
                continue
            sid = f"ZX-{self.clock.now().format('YYYYMMDD')}-{k:03d}"
            chat = _rng(sid)
            now = self.clock.now()
            opened = now - _dt.timedelta(minutes=chat.uniform(10, 40))
            agent = chat.choice(_AGENTS)
            buyer = f"u-{chat.randrange(10_000):05d}"
            try:
                self.consultations.open_session(sid, buyer_id=buyer, opened_at=opened)
            except PolicyViolation:
                continue
            self.made["consultation"].add(sid)
            self.consultations.change(sid, self._chat(chat, agent, opened, now, sells=False))
            self.consultations.end(sid, reason="The buyer left without ordering.", actor=agent)

    def _chat(
        self, rng: random.Random, agent: Actor, opened: DateTime, now: DateTime, *, sells: bool
    ) -> Callable[[ConsultationSession], None]:
        """The chat of a session, once: messages with the agent's reply times, the greeting,
        an enquiry, a recommendation, maybe an objection, the closing."""
        slow = rng.random() < 0.12  # a busy agent
        plan: list[tuple[Sender, DateTime, int]] = []
        at = opened
        for turn in range(rng.randint(2, 4)):
            plan.append((Sender.BUYER, at, rng.randint(8, 80)))
            wait = rng.uniform(60, 420) if slow and turn == 0 else rng.uniform(8, 75)
            at = min(at + _dt.timedelta(seconds=wait), now)
            plan.append((Sender.AGENT, at, rng.randint(15, 160)))
            at = min(at + _dt.timedelta(seconds=rng.uniform(20, 240)), now)
        enquiry = rng.choice(DEFAULT_ENQUIRY_TYPES)
        objection = rng.random() < 0.3
        buyer_actor: list[Actor] = []

        def chat(session: ConsultationSession) -> None:
            if session.version:
                return  # done already (a use case run again)
            buyer_actor.append(Actor.buyer(session.buyer_id))
            for sender, when, length in plan:
                who = agent if sender is Sender.AGENT else buyer_actor[0]
                session.message(sender=sender, length=length, actor=who, at=when)
            session.greet(actor=agent)
            session.take_enquiry(type=enquiry, actor=agent, note="What the buyer asked.")
            session.recommend(sku="TEA-250", actor=agent)
            if objection:
                session.handle_objection(kind=ObjectionKind.PRICE, actor=agent)
            if sells:
                session.close_deal(actor=agent, note="The promotion ends tonight.")

        return chat

    def delivered(self, order_id: str) -> None:
        """An order was delivered (done) now: its ratings open, and its buyer may be surveyed
        and may send feedback."""
        opened = self.ratings.open_ratings(order_id)
        for rating in opened:
            self.made["rating"].add(rating.id)
            self._plan_rating(rating)
        rng = _rng(order_id, "after-delivery")
        if rng.random() < SURVEYED:
            self._survey(lambda: self.surveys.after_order(order_id, channel=SurveyChannel.APP))
        if rng.random() < FEEDBACK and opened:
            self._feedback(order_id, opened[0].buyer_id, rng)

    def ended(self, case_ids: Iterable[str], complaint_ids: Iterable[str]) -> None:
        """Cases that ended and complaints that were closed today: each is surveyed."""
        for case_id in case_ids:
            self._survey(functools.partial(self.surveys.after_case, case_id, channel=SMS))
        for complaint_id in complaint_ids:
            self._survey(
                functools.partial(self.surveys.after_complaint, complaint_id, channel=PHONE)
            )

    def resume(
        self, ratings: Iterable[str], surveys: Iterable[str], feedback: Iterable[str] = ()
    ) -> None:
        """Plan again what buyers and agents do with the ratings and surveys an earlier run
        left open, and the answers to its open feedback (``ratings``, ``surveys`` and
        ``feedback``: their ids): those plans lived in the earlier
        run's memory, and are drawn from the ids and dated from the documents' own instants, so
        they come out the same. A step an earlier run took already is refused when it comes
        round again, and skipped (see :meth:`day`). Ratings and feedback are this worker's by
        their order, surveys by their id."""
        store = self.ratings.store

        def load(
            uow: UnitOfWork,
        ) -> tuple[list[Rating], list[Survey], list[FeedbackRecord]]:
            open_ratings = [uow.ratings.get(i) for i in ratings]
            open_surveys = [uow.surveys.get(i) for i in surveys if self._mine_by_id(i)]
            records = [uow.feedback.get(i) for i in feedback]
            return (
                [r for r in open_ratings if self.mine(r.order_id)],
                open_surveys,
                [
                    r
                    for r in records
                    if r.status is not FeedbackStatus.CLOSED
                    and r.order_id is not None
                    and self.mine(r.order_id)
                ],
            )

        open_ratings, open_surveys, records = run_in_transaction(store, load)
        for rating in open_ratings:
            self._plan_rating(rating)
        for survey in open_surveys:
            self._plan_answer(survey)
        for record in records:
            assert record.order_id is not None
            rng = _rng(record.order_id, "after-delivery")
            rng.random()  # surveyed or not
            rng.random()  # feedback or not
            kind: FeedbackKind = _pick(rng, _FEEDBACK_KINDS)
            self._plan_feedback_answer(record, kind, rng)

    def _mine_by_id(self, id: str) -> bool:
        return _rng(id, "worker").randrange(self.workers) == self.worker

    # --- the desk's day ---------------------------------------------------------------------

    def day(self, end: DateTime) -> None:
        """The timers, then every planned step due before ``end`` (the next day's start), in
        time order."""
        self.timers += self.ratings.run_due_timers(limit=500)
        self.timers += self.surveys.run_due_timers(limit=500)
        self.timers += len(self.feedback.run_due_timers(limit=500))
        while self._todo and self._todo[0][0] < end:
            at, _, step = heapq.heappop(self._todo)
            if at > self.clock.now():
                self.clock.set(at)
            # A window closed, or an interrupted run took the step another way: skipped.
            with contextlib.suppress(PolicyViolation, WorkflowError):
                step()

    def finish(self) -> None:
        """The run's last timers."""
        self.timers += self.ratings.run_due_timers(limit=500)
        self.timers += self.surveys.run_due_timers(limit=500)

    def _later(self, at: DateTime, step: Callable[[], object]) -> None:
        heapq.heappush(self._todo, (at, next(self._seq), step))

    # --- plans ------------------------------------------------------------------------------

    def _plan_rating(self, rating: Rating) -> None:
        """What the buyer and the seller do with one rating, drawn from its id."""
        rng = _rng(rating.id)
        if rng.random() >= RATED:
            return  # left to the default good rating
        rid, buyer = rating.id, Actor.buyer(rating.buyer_id)
        at = rating.delivered_at + _dt.timedelta(hours=rng.uniform(2, 6 * 24))
        grade: Grade = _pick(rng, GRADES)
        text = rng.choice(_TEXTS[grade])
        scores = _scores(rng, grade)
        agent = rng.choice(_AGENTS)
        self._later(
            at,
            lambda: self.ratings.rate(rid, grade=grade, text=text, scores=scores, actor=buyer),
        )
        if grade is not Grade.GOOD or rng.random() < 0.1:
            answer = (
                "Sorry for the trouble: we sent a coupon."
                if grade is not Grade.GOOD
                else ("Thank you for your kind words!")
            )
            if grade is Grade.GOOD or rng.random() < 0.85:
                self._later(
                    at + _dt.timedelta(hours=rng.uniform(1, 30)),
                    lambda: self.ratings.explain(rid, text=answer, actor=agent),
                )
            if grade is not Grade.GOOD and rng.random() < 0.35:
                self._later(
                    at + _dt.timedelta(days=rng.uniform(2, 5)),
                    lambda: self.ratings.revise(rid, actor=buyer, note="Solved by the shop."),
                )
        if rng.random() < 0.08:
            later = at + _dt.timedelta(days=rng.uniform(4, 12))
            self._later(
                later,
                lambda: self.ratings.follow_up(rid, text="Still good after a week.", actor=buyer),
            )
            if rng.random() < 0.5:
                self._later(
                    later + _dt.timedelta(hours=rng.uniform(2, 20)),
                    lambda: self.ratings.explain_follow_up(rid, text="Thanks!", actor=agent),
                )

    def _survey(self, send: Callable[[], Any]) -> None:
        try:
            survey = send()
        except PolicyViolation:
            return  # not ended after all (reopened), or surveyed by an interrupted run
        self.made["survey"].add(survey.id)
        self._plan_answer(survey)

    def _plan_answer(self, survey: Survey) -> None:
        """Whether and when the customer answers a survey, drawn from its id."""
        rng = _rng(survey.id)
        if survey.answers or survey.sent_at is None or rng.random() >= ANSWERED:
            return
        kind = survey.subject.kind.value
        csat: int = _pick(rng, _CSAT if kind == "order" else _CSAT_AFTER_TROUBLE)
        nps: int = _pick(rng, _NPS)
        keys = {q.kind: q.key for q in survey.questions}
        answers: dict[str, int | str] = {
            keys[QuestionKind.CSAT]: csat,
            keys[QuestionKind.NPS]: nps,
        }
        buyer = Actor.buyer(survey.customer_id)
        at = survey.sent_at + _dt.timedelta(hours=rng.uniform(1, 4 * 24))
        self._later(at, lambda: self.surveys.answer(survey.id, answers, actor=buyer))

    def _feedback(self, order_id: str, buyer_id: str, rng: random.Random) -> None:
        fid = "FB-" + order_id.rpartition("-")[2]
        kind: FeedbackKind = _pick(rng, _FEEDBACK_KINDS)
        record = self.feedback.receive(
            fid,
            customer_id=buyer_id,
            text="About my order: " + kind.label_en.lower() + ".",
            channel=FeedbackChannel.CHAT,
            order_id=order_id,
        )
        self.made["feedback"].add(record.id)
        self._plan_feedback_answer(record, kind, rng)

    def _plan_feedback_answer(
        self, record: FeedbackRecord, kind: FeedbackKind, rng: random.Random
    ) -> None:
        """The answer to a feedback record and its closing, by an agent drawn from ``rng``."""
        fid, order_id = record.id, record.order_id
        sentiment = {
            FeedbackKind.PRAISE: Sentiment.POSITIVE,
            FeedbackKind.PROBLEM: Sentiment.NEGATIVE,
        }.get(kind, Sentiment.NEUTRAL)
        agent = rng.choice(_AGENTS)
        # Most are answered the same working day; a few wait until after the target.
        delay = _HOUR * (rng.uniform(1, 6) if rng.random() < 0.85 else rng.uniform(30, 60))
        at = record.received_at + delay
        self._later(
            at,
            lambda: self.feedback.answer(
                fid,
                kind=kind,
                sentiment=sentiment,
                summary=f"{kind.label_en} about order {order_id}.",
                message="Thank you: we passed it on to the team.",
                actor=agent,
            ),
        )
        self._later(at, lambda: self.feedback.close(fid, actor=agent))
