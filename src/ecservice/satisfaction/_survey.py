"""The survey aggregate: its fields, the figures it gives, and its typed trigger methods."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs
from pendulum import DateTime

from ecservice._shown import shown
from ecservice.clock import ensure_utc
from ecservice.errors import ValidationError
from ecservice.satisfaction import _prepare
from ecservice.satisfaction._checks import (
    DEFAULT_MAX_REMINDERS,
    DEFAULT_RESPONSE_WINDOW,
    check_max_reminders,
    check_response_window,
    check_survey,
)
from ecservice.satisfaction._events import SurveyStatus
from ecservice.satisfaction._values import (
    DEFAULT_QUESTIONS,
    Answer,
    Question,
    QuestionKind,
    SurveyChannel,
    SurveySubject,
    question_tuple,
)
from ecservice.satisfaction._workflow import AWAITING_STATES, SURVEY_WORKFLOW
from ecservice.text import text
from ecservice.workflow import Actor, Aggregate, TransitionRecord, bind_workflow

__all__ = ["SURVEY_TIMER", "Survey"]

S = SurveyStatus

#: The actor that expires surveys whose response window ended (a timer job).
SURVEY_TIMER = Actor.system("survey-timer")


def _utc(value: _dt.datetime) -> DateTime:
    return ensure_utc(value, what="scheduled_at")


def _questions(value: Iterable[Question]) -> tuple[Question, ...]:
    return question_tuple(value)


def _window(value: _dt.timedelta) -> _dt.timedelta:
    return check_response_window(value)


def _reminders(value: int) -> int:
    return check_max_reminders(value)


def _answers(value: Iterable[Answer]) -> tuple[Answer, ...]:
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise ValidationError(f"a survey's answers must be a tuple of Answer, not {shown(value)}")
    return tuple(value)


def _member(kind: type) -> Callable[[object, attrs.Attribute[Any], object], None]:
    def check(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, kind):
            raise ValidationError(
                f"a survey's {attribute.name} must be a {kind.__name__}, not {shown(value)}"
            )

    return check


@attrs.define(slots=True, kw_only=True, on_setattr=attrs.setters.NO_OP)
class Survey(Aggregate[SurveyStatus]):
    """A satisfaction survey (满意度调查, 回访问卷) about one order, complaint or after-sales
    case; its workflow is :data:`SURVEY_WORKFLOW`.

    A survey is scheduled, then sent (:meth:`send`) through its channel; the customer may
    answer (:meth:`answer`) until its response window ends, ``response_window`` after it was
    sent (:attr:`expires_at`, exclusive); customer service may remind them (:meth:`remind`,
    at most ``max_reminders`` times) in the meantime. A survey left unanswered expires
    (:meth:`expire`, the timer's job, once the window ended: :attr:`due_at` says when). A
    survey not yet sent may be cancelled (:meth:`cancel`: the customer refused further
    messages, the subject was withdrawn). It is answered at most once: a survey is final once
    answered, expired or cancelled.

    The questions are data (:class:`Question`): by default :data:`DEFAULT_QUESTIONS`, a CSAT
    question (1-5), an NPS question (0-10) and a free comment. :attr:`csat_score` and
    :attr:`nps_score` read the scores of the answer; :func:`satisfaction_report` turns many
    surveys into CSAT, NPS and response rates.

    **Loading.** The constructor checks what storage hands it: every field's type, ``answers``
    present exactly when the history records an answer (and fitting the questions, in their
    order), no more reminders than ``max_reminders``, answers and reminders inside the
    response window and an expiry after it.

    Args:
        id: the survey's identifier (short text).
        version: how many transitions succeeded; 0 for a new survey.
        history: every transition, oldest first (``version`` records).
        clock: where the survey reads the time; the system clock by default.
        status: the survey's state; ``SurveyStatus.SCHEDULED`` for a new survey.
        customer_id: the customer asked (short text).
        subject: the order, complaint or after-sales case it is about.
        channel: how it reaches the customer.
        scheduled_at: when the survey was scheduled (put in ``SCHEDULED``, to be sent
            later); an aware datetime, converted to UTC. No transition is recorded before it,
            so it is not sent earlier. A scheduled survey has no timer: its response window, and
            :attr:`due_at`, start only when it is sent (:meth:`send`).
        questions: the questions asked, at least one, keys unique, at most one CSAT and one
            NPS question; :data:`DEFAULT_QUESTIONS` by default.
        response_window: how long after sending an answer is accepted, a ``timedelta`` above
            zero and at most :data:`MAX_RESPONSE_WINDOW`; :data:`DEFAULT_RESPONSE_WINDOW` (7
            days) by default (a shop setting).
        max_reminders: how many reminders are allowed, 0 to :data:`MAX_REMINDERS`;
            :data:`DEFAULT_MAX_REMINDERS` (1) by default.
        answers: the customer's answers (:class:`Answer` values in the questions' order), set
            by :meth:`answer`; none by default.

    Raises:
        ValidationError: a field of the wrong type, unacceptable text, or fields that disagree
            with the history.
        NaiveDatetime: ``scheduled_at`` has no time zone.
    """

    status: SurveyStatus = SurveyStatus.SCHEDULED
    customer_id: str = attrs.field(validator=text("a survey's customer_id"))
    subject: SurveySubject = attrs.field(validator=_member(SurveySubject))
    channel: SurveyChannel = attrs.field(validator=_member(SurveyChannel))
    scheduled_at: DateTime = attrs.field(converter=_utc)
    questions: tuple[Question, ...] = attrs.field(default=DEFAULT_QUESTIONS, converter=_questions)
    response_window: _dt.timedelta = attrs.field(default=DEFAULT_RESPONSE_WINDOW, converter=_window)
    max_reminders: int = attrs.field(default=DEFAULT_MAX_REMINDERS, converter=_reminders)
    answers: tuple[Answer, ...] = attrs.field(default=(), converter=_answers)

    def __attrs_post_init__(self) -> None:
        check_survey(self)

    # --- views --------------------------------------------------------------------------------

    def _first(self, trigger: str) -> DateTime | None:
        for record in self.history:
            if record.trigger == trigger:
                return record.at
        return None

    @property
    def sent_at(self) -> DateTime | None:
        """When the survey was sent, once it was."""
        return self._first("send")

    @property
    def answered_at(self) -> DateTime | None:
        """When the customer answered, once they did."""
        return self._first("answer")

    @property
    def expires_at(self) -> DateTime | None:
        """When the response window ends (exclusive), ``response_window`` after sending, or
        ``None`` before the survey is sent."""
        sent = self.sent_at
        return None if sent is None else sent + self.response_window

    @property
    def due_at(self) -> DateTime | None:
        """When a timer should :meth:`expire` the survey: :attr:`expires_at` while it awaits
        its answer, else ``None``."""
        return self.expires_at if self.status in AWAITING_STATES else None

    @property
    def reminders(self) -> int:
        """How many reminders were sent."""
        return sum(1 for r in self.history if r.trigger == "remind")

    def _score(self, kind: QuestionKind) -> int | None:
        keys = {q.key for q in self.questions if q.kind is kind}
        for a in self.answers:
            if a.key in keys:
                return a.score
        return None

    @property
    def csat_score(self) -> int | None:
        """The answer to the CSAT question (1-5), if the survey has one and it was answered."""
        return self._score(QuestionKind.CSAT)

    @property
    def nps_score(self) -> int | None:
        """The answer to the NPS question (0-10), if the survey has one and it was answered."""
        return self._score(QuestionKind.NPS)

    # --- triggers: a pure _prepare_<trigger> (checks, payload; can() calls it too) and a thin
    # typed method that fires it.

    _prepare_send = _prepare.prepare_send

    def send(self, *, actor: Actor, note: str = "") -> TransitionRecord:
        """Send the survey (发送问卷) through its channel; the response window starts.

        Raises:
            InvalidTransition: the survey is not scheduled.
            ValidationError: a bad note, or the clock before ``scheduled_at``.
        """
        payload = self._prepare_send(actor=actor, note=note)
        return self._fire_prepared("send", actor, payload)

    _prepare_remind = _prepare.prepare_remind

    def remind(self, *, actor: Actor, note: str = "") -> TransitionRecord:
        """Remind the customer (提醒) of the survey, inside its response window.

        Raises:
            InvalidTransition: the survey does not await an answer.
            PolicyViolation: the window ended, or ``max_reminders`` reminders were sent.
        """
        payload = self._prepare_remind(actor=actor, note=note)
        return self._fire_prepared("remind", actor, payload)

    _prepare_answer = _prepare.prepare_answer

    def answer(
        self, *, answers: Mapping[str, int | str] | Iterable[Answer], actor: Actor
    ) -> TransitionRecord:
        """Record the customer's answers (回复问卷), once, inside the response window.

        ``answers`` maps question keys to a score (an ``int`` on the question's scale) or a
        text; any question may be skipped, but not all. A refused answer changes nothing.

        The actor is the customer surveyed (``Actor.buyer(customer_id)``), or the shop's staff
        (an actor of :class:`~ecservice.workflow.ActorKind` ``STAFF``): a survey by phone is
        answered through an agent, who records the customer's answers on their behalf. Anyone
        else (another buyer, a carrier, a system job) is refused, as the answer is final.

        Raises:
            InvalidTransition: the survey does not await an answer (already answered, expired,
                cancelled, not sent).
            InvalidScore: a score off its scale or not an ``int`` (an NPS score of 11).
            ValidationError: an unknown question key, a text for a scored question or a score
                for a free one, bad text, or no answer.
            NotTheCustomer: the actor is neither the customer surveyed nor staff.
            PolicyViolation: the response window ended.
        """
        payload = self._prepare_answer(answers=answers, actor=actor)
        return self._fire_prepared("answer", actor, payload)

    _prepare_expire = _prepare.prepare_expire

    def expire(self, *, actor: Actor = SURVEY_TIMER, note: str = "") -> TransitionRecord:
        """Record that the response window ended unanswered (过期); the timer's job
        (:data:`SURVEY_TIMER` by default).

        Raises:
            InvalidTransition: the survey does not await an answer.
            PolicyViolation: the window has not ended.
        """
        payload = self._prepare_expire(actor=actor, note=note)
        return self._fire_prepared("expire", actor, payload)

    _prepare_cancel = _prepare.prepare_cancel

    def cancel(self, *, actor: Actor, note: str = "") -> TransitionRecord:
        """Cancel a survey not yet sent (the customer refused further messages, the subject
        was withdrawn); say why in ``note``.

        Raises:
            InvalidTransition: the survey was sent.
        """
        payload = self._prepare_cancel(actor=actor, note=note)
        return self._fire_prepared("cancel", actor, payload)


bind_workflow(Survey, SURVEY_WORKFLOW)
