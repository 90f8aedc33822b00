"""The survey use cases: send a satisfaction survey after an order is done, an after-sales case
has ended or a complaint was closed; record the answers; remind; expire surveys on their timer.

A survey's id is drawn from its subject (:func:`survey_id`): one survey per order, case or
complaint, so that sending again, after a crash or from another process, finds the stored
survey. The store times surveys with :func:`~ecservice.storage.survey_next_due` (in
:func:`~ecservice.storage.default_timers`): :meth:`SurveyService.run_due_timers` expires those
whose response window ended unanswered.
"""

from __future__ import annotations

import datetime as _dt
import functools
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TypeVar, final

from ecservice.application._runner import UseCaseRunner, check_clock, check_store
from ecservice.application._stored import change_stored, check_callable, check_limit, claim_due
from ecservice.application._timer_policy import require_timer
from ecservice.clock import SYSTEM_CLOCK, Clock, ensure_utc
from ecservice.complaints import CASE_ENDS
from ecservice.errors import PolicyViolation, ValidationError
from ecservice.orders import OrderStatus
from ecservice.satisfaction import (
    AWAITING_STATES,
    DEFAULT_MAX_REMINDERS,
    DEFAULT_QUESTIONS,
    DEFAULT_RESPONSE_WINDOW,
    SURVEY_TIMER,
    Answer,
    Question,
    SubjectKind,
    Survey,
    SurveyChannel,
    SurveySubject,
)
from ecservice.satisfaction._prepare import check_answerer
from ecservice.storage import Store, UnitOfWork, default_backoff
from ecservice.workflow import Actor

__all__ = ["SurveyService", "survey_id"]

R = TypeVar("R")


def survey_id(subject: SurveySubject) -> str:
    """The id of the survey about ``subject``: ``"SV-<kind>-<id>"``.

    >>> from ecservice.application import survey_id
    >>> from ecservice.satisfaction import SubjectKind, SurveySubject
    >>> survey_id(SurveySubject(kind=SubjectKind.ORDER, id="O-1"))
    'SV-order-O-1'

    Raises:
        ValidationError: ``subject`` is not a :class:`~ecservice.satisfaction.SurveySubject`.
    """
    if not isinstance(subject, SurveySubject):
        raise ValidationError(f"subject must be a SurveySubject, not {type(subject).__name__}")
    return f"SV-{subject.kind.value}-{subject.id}"


def _same(stored: tuple[Answer, ...], given: Mapping[str, int | str] | Iterable[Answer]) -> bool:
    if isinstance(given, Mapping):
        asked = dict(given)
        found: dict[str, int | str] = {
            a.key: a.score if a.score is not None else a.text for a in stored
        }
        return found == asked
    return stored == tuple(given)


def _channel(channel: object) -> str:
    return channel.value if isinstance(channel, SurveyChannel) else repr(channel)[:40]


@final
class SurveyService:
    """The satisfaction-survey use cases (满意度调查, 回访问卷) over one store.

    Each method is one unit of work run through :func:`~ecservice.storage.run_in_transaction`
    (retried on transient storage errors and on :class:`~ecservice.errors.ConcurrencyConflict`,
    from the stored state); run again after a crash it converges and stores nothing twice. The
    store should time surveys with :func:`~ecservice.storage.survey_next_due` (the default
    timers do).

    Args:
        store: where orders, cases, complaints and surveys are stored.
        clock: the time surveys are scheduled and sent at, and timers run at.
        questions: the questions of the surveys sent
            (:data:`~ecservice.satisfaction.DEFAULT_QUESTIONS` by default: CSAT 1-5, NPS 0-10,
            a comment).
        response_window: how long an answer is accepted after sending (7 days by default).
        max_reminders: how many reminders each survey allows (1 by default).
        actor: who sends the surveys (default ``Actor.system("survey")``); the timer expires
            them as :data:`~ecservice.satisfaction.SURVEY_TIMER`.
        attempts: how many times a use case runs before a transient failure is raised.
        backoff: seconds to wait before the next attempt.
        sleep: how to wait (``time.sleep``).

    Raises:
        ValidationError: a ``store`` without a callable ``unit_of_work`` (a
            :class:`~ecservice.storage.Store` is needed), or a ``clock`` that is not a
            :class:`~ecservice.clock.Clock` (with ``now()``).
        ValidationError: bad questions, window or reminders (as
            :class:`~ecservice.satisfaction.Survey` checks them), or an actor that is not an
            :class:`~ecservice.workflow.Actor`.
    """

    def __init__(
        self,
        store: Store,
        *,
        clock: Clock = SYSTEM_CLOCK,
        questions: Iterable[Question] = DEFAULT_QUESTIONS,
        response_window: _dt.timedelta = DEFAULT_RESPONSE_WINDOW,
        max_reminders: int = DEFAULT_MAX_REMINDERS,
        actor: Actor | None = None,
        attempts: int = 5,
        backoff: Callable[[int], float] = default_backoff,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        check_store(store, "SurveyService")
        check_clock(clock, "SurveyService")
        if actor is not None and not isinstance(actor, Actor):
            raise ValidationError(f"actor must be an Actor, not {type(actor).__name__}")
        # The survey's own checks, once, on a sample.
        sample = Survey(
            id="sample",
            customer_id="sample",
            subject=SurveySubject(kind=SubjectKind.ORDER, id="sample"),
            channel=SurveyChannel.APP,
            scheduled_at=ensure_utc(clock.now(), what="clock.now()"),
            questions=questions,
            response_window=response_window,
            max_reminders=max_reminders,
        )
        self.store = store
        self.clock = clock
        self.questions = sample.questions
        self.response_window = sample.response_window
        self.max_reminders = sample.max_reminders
        self.actor = Actor.system("survey") if actor is None else actor
        self._run = UseCaseRunner(store, attempts, backoff, sleep)

    # --- sending ------------------------------------------------------------------------------

    def send(self, subject: SurveySubject, *, customer_id: str, channel: SurveyChannel) -> Survey:
        """Schedule and send the survey about ``subject`` to ``customer_id`` through
        ``channel`` at ``clock.now()`` (id :func:`survey_id`). Run again with the same customer
        and channel, it returns the stored survey.

        Returns:
            The stored survey.

        Raises:
            PolicyViolation: the subject's survey was sent to another customer, or through
                another channel.
            ValidationError: malformed input (see :class:`~ecservice.satisfaction.Survey`).
        """
        return self._run(lambda uow: self._send(uow, subject, customer_id, channel))

    def after_order(self, order_id: str, *, channel: SurveyChannel) -> Survey:
        """Send the survey about the done order ``order_id`` to its buyer (:meth:`send`).

        Raises:
            AggregateNotFound: no such order.
            PolicyViolation: the order is not done.
        """

        def work(uow: UnitOfWork) -> Survey:
            order = uow.orders.get(order_id)
            if order.status is not OrderStatus.DONE:
                raise PolicyViolation(
                    f"order {order_id!r} is {order.status.value}: an order is surveyed once done"
                )
            subject = SurveySubject(kind=SubjectKind.ORDER, id=order.id)
            return self._send(uow, subject, order.buyer_id, channel)

        return self._run(work)

    def after_case(self, case_id: str, *, channel: SurveyChannel) -> Survey:
        """Send the survey about the ended after-sales case ``case_id`` (a remedy given,
        withdrawn or closed: :data:`~ecservice.complaints.CASE_ENDS`) to its buyer.

        Raises:
            AggregateNotFound: no such case.
            PolicyViolation: the case has not ended.
        """

        def work(uow: UnitOfWork) -> Survey:
            case = uow.cases.get(case_id)
            if case.status not in CASE_ENDS:
                raise PolicyViolation(
                    f"after-sales case {case_id!r} is {case.status.value}: a case is surveyed "
                    "once it has ended"
                )
            subject = SurveySubject(kind=SubjectKind.AFTERSALES_CASE, id=case.id)
            return self._send(uow, subject, case.buyer_id, channel)

        return self._run(work)

    def after_complaint(self, complaint_id: str, *, channel: SurveyChannel) -> Survey:
        """Send the survey about the closed complaint ``complaint_id`` to its customer.

        Raises:
            AggregateNotFound: no such complaint.
            PolicyViolation: the complaint is still open.
        """

        def work(uow: UnitOfWork) -> Survey:
            complaint = uow.complaints.get(complaint_id)
            if complaint.is_open:
                raise PolicyViolation(
                    f"complaint {complaint_id!r} is {complaint.status.value}: a complaint is "
                    "surveyed once closed"
                )
            subject = SurveySubject(kind=SubjectKind.COMPLAINT, id=complaint.id)
            return self._send(uow, subject, complaint.buyer_id, channel)

        return self._run(work)

    def _send(
        self, uow: UnitOfWork, subject: SurveySubject, customer_id: str, channel: SurveyChannel
    ) -> Survey:
        sid = survey_id(subject)
        stored = uow.surveys.find(sid)
        if stored is not None:
            if stored.customer_id != customer_id:
                raise PolicyViolation(
                    f"survey {sid!r} was sent to customer {stored.customer_id!r}, not "
                    f"{customer_id!r}"
                )
            if stored.channel is not channel:
                raise PolicyViolation(
                    f"survey {sid!r} was sent through {stored.channel.value}, not "
                    f"{_channel(channel)}: a survey is sent once, through one channel"
                )
            return stored
        survey = Survey(
            id=sid,
            customer_id=customer_id,
            subject=subject,
            channel=channel,
            scheduled_at=ensure_utc(self.clock.now(), what="clock.now()"),
            questions=self.questions,
            response_window=self.response_window,
            max_reminders=self.max_reminders,
            clock=self.clock,
        )
        survey.send(actor=self.actor)
        uow.surveys.add(survey)
        return survey

    # --- answers ------------------------------------------------------------------------------

    def change(self, survey_id: str, change: Callable[[Survey], R]) -> R:
        """Load the survey, apply ``change`` (a trigger), save it if it changed, commit; what
        ``change`` returned (it may run more than once).

        Raises:
            ValidationError: ``change`` is not callable.
            AggregateNotFound: no such survey.
            EcServiceError: whatever ``change`` raised (nothing is stored).
        """
        check_callable(change, "survey")
        return self._run(lambda uow: change_stored(uow.surveys, survey_id, change))

    def answer(
        self,
        survey_id: str,
        answers: Mapping[str, int | str] | Iterable[Answer],
        *,
        actor: Actor,
    ) -> Survey:
        """Record the customer's answers (:meth:`Survey.answer
        <ecservice.satisfaction.Survey.answer>`); run again with the same answers, it returns
        the stored survey. Who answers is checked first, on a replay too: only the customer
        surveyed or the shop's staff gets the survey back.

        Raises:
            AggregateNotFound: no such survey.
            InvalidTransition: the survey does not await an answer.
            InvalidScore: a score off its scale.
            NotTheCustomer: the actor is neither the customer nor staff.
            PolicyViolation: the response window ended.
            ValidationError: malformed answers.
        """
        given: Mapping[str, int | str] | tuple[Answer, ...] = (
            dict(answers) if isinstance(answers, Mapping) else tuple(answers)
        )

        def apply(survey: Survey) -> Survey:
            # Who answers first, whatever the replay: a stranger must not learn the answers by
            # sending them again.
            check_answerer(survey, actor)
            if survey.answers and _same(survey.answers, given):
                return survey
            survey.answer(answers=given, actor=actor)
            return survey

        return self.change(survey_id, apply)

    def remind(self, survey_id: str, *, actor: Actor, note: str = "") -> Survey:
        """Remind the customer (:meth:`Survey.remind <ecservice.satisfaction.Survey.remind>`).

        Raises:
            AggregateNotFound: no such survey.
            InvalidTransition: the survey does not await an answer.
            PolicyViolation: the window ended, or every reminder allowed was sent.
        """

        def apply(survey: Survey) -> Survey:
            survey.remind(actor=actor, note=note)
            return survey

        return self.change(survey_id, apply)

    # --- timers -----------------------------------------------------------------------------

    def run_due_timers(self, *, limit: int = 100) -> int:
        """Expire the surveys whose response window ended unanswered by ``clock.now()``
        (:meth:`~ecservice.satisfaction.Survey.expire`, by
        :data:`~ecservice.satisfaction.SURVEY_TIMER`), claimed through the store's timer index
        ``limit`` at a time, each in a unit of work of its own. Run again, it changes nothing.

        Returns:
            How many surveys expired.

        Raises:
            ValidationError: ``limit`` is not a whole number from 1 to 10000, or the store
                shows its timers (``store.timers``) and has none for these documents: nothing
                would ever be due.
            DocumentError: due surveys could not be read (raised after every other one was
                handled; each is also logged at ERROR on the ``"ecservice.application"``
                logger, and stays due until its document is repaired).
        """
        check_limit(limit)
        now = ensure_utc(self.clock.now(), what="clock.now()")

        def fire(sid: str) -> bool:
            return self._run(functools.partial(self._fire, survey_id=sid))

        require_timer(self.store, "survey", "survey", "survey_next_due")
        return claim_due(self._run, lambda uow: uow.surveys, now, fire, limit, "survey")

    def _fire(self, uow: UnitOfWork, survey_id: str) -> bool:
        survey = uow.surveys.get(survey_id)
        version = survey.version
        if survey.status in AWAITING_STATES and survey.can("expire"):
            survey.expire(actor=SURVEY_TIMER)
        uow.surveys.save(survey)
        return survey.version != version
