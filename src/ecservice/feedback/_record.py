"""The feedback record: its fields, its views (answer and revisit deadlines, the next instant it
needs attention) and its typed trigger methods."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable
from typing import Self

import attrs
from pendulum import DateTime

from ecservice._shown import shown
from ecservice.calendar import WorkingCalendar
from ecservice.clock import SYSTEM_CLOCK, Clock, ensure_utc
from ecservice.errors import ValidationError
from ecservice.feedback import _prepare
from ecservice.feedback._checks import check_record
from ecservice.feedback._events import FeedbackStatus
from ecservice.feedback._policy import FeedbackPolicy
from ecservice.feedback._values import (
    FeedbackChannel,
    FeedbackKind,
    RevisitOutcome,
    ScheduledRevisit,
    Sentiment,
)
from ecservice.feedback._workflow import FEEDBACK_TIMER_ID, FEEDBACK_WORKFLOW, UNANSWERED_STATES
from ecservice.text import LONG_TEXT_MAX, text
from ecservice.workflow import Actor, Aggregate, TransitionRecord, bind_workflow

__all__ = ["FeedbackRecord"]

S = FeedbackStatus
_TIMER = Actor.system(FEEDBACK_TIMER_ID)


def _received(value: _dt.datetime) -> DateTime:
    return ensure_utc(value, what="received_at")


def _due(value: _dt.datetime) -> DateTime:
    return ensure_utc(value, what="answer_due_at")


def _overdue(value: _dt.datetime | None) -> DateTime | None:
    return None if value is None else ensure_utc(value, what="overdue_at")


def _items(value: object, what: str) -> tuple[object, ...]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise ValidationError(f"a feedback's {what} must be a sequence, not {shown(value)}")
    return tuple(value)


def _schedule(value: Iterable[ScheduledRevisit]) -> tuple[ScheduledRevisit, ...]:
    return _items(value, "schedule")  # type: ignore[return-value]  # checked by check_record


def _revisits(value: Iterable[RevisitOutcome]) -> tuple[RevisitOutcome, ...]:
    return _items(value, "revisits")  # type: ignore[return-value]  # checked by check_record


@attrs.define(slots=True, kw_only=True, on_setattr=attrs.setters.NO_OP)
class FeedbackRecord(Aggregate[FeedbackStatus]):
    """A customer's feedback (反馈) and its loop: read it carefully (认真阅读), record it
    accurately (准确记录), answer in time (及时反馈), revisit regularly (定期回访); its workflow
    is :data:`FEEDBACK_WORKFLOW`.

    A record is received with the instant its answer is due (``answer_due_at``, from a
    :class:`FeedbackPolicy` on the shop's working calendar: :meth:`receive` computes it). It is
    :meth:`read`, :meth:`record`-ed (kind, sentiment, summary; recording again corrects it) and
    :meth:`answer`-ed. An answer after ``answer_due_at`` makes the record late from that
    instant (``overdue_at``); a timer may mark an unanswered record late at or after the instant
    with :meth:`mark_overdue`. An answered record is closed, or its revisits are scheduled
    (:meth:`schedule_revisits`: offsets of the policy after the delivery, the after-sales
    case's close or the answer); each :meth:`revisit` records the outcome of the next one, and
    the last takes the record to ``REVISITED``, from which it is closed. A record may be closed
    with revisits still scheduled, with a note saying why.

    **Who acts.** Every transition is guarded by who may fire it (:data:`FEEDBACK_WORKFLOW`'s
    guards; anyone else gets :class:`~ecservice.errors.GuardRejected` and nothing changes): the
    shop's service staff (``Actor.staff(...)``) read, record, answer, revisit and close a
    record; the system's timers (``Actor.system(...)``), or staff, mark it late and schedule
    its revisits. The customer gives the feedback; they fire no transition.

    **Timers.** :meth:`next_due` gives the next instant the record needs attention (its answer
    due, the lateness to record, the next revisit or its deadline), for storage to keep as the
    record's timer.

    **Loading.** The constructor checks what storage hands it: every field's type, the links as
    short text, ``answer_due_at`` not before ``received_at``, and that the data of each step is
    there exactly when the history took that step: ``summary`` (with ``kind`` and
    ``sentiment``) once recorded, ``answer_text`` once answered, ``overdue_at`` (equal to
    ``answer_due_at``) exactly when the history marks the record late or answers it after the
    due instant, a ``schedule`` (in the order revisits fall due) once scheduled, one outcome in
    ``revisits`` per ``revisit`` record, all of them in ``REVISITED``.

    Args:
        id: the record's identifier (short text).
        version: how many transitions succeeded; 0 for a new record.
        history: every transition, oldest first (``version`` records).
        clock: where the record reads the time; the system clock by default.
        status: the record's state; ``FeedbackStatus.RECEIVED`` for a new record.
        customer_id: the customer who gave the feedback (short text).
        text: the feedback in the customer's words (long text).
        channel: where it came from.
        received_at: when it came in; an aware datetime, converted to UTC.
        answer_due_at: when it must be answered (not before ``received_at``); an aware
            datetime, converted to UTC. :meth:`FeedbackPolicy.answer_due` computes it.
        order_id: the order it is about (short text), if any.
        case_id: the after-sales case it is about (short text), if any.
        complaint_id: the complaint it is linked to (short text), if any.
        kind: what it is, if known (a questionnaire may say); :meth:`record` sets it.
        sentiment: the customer's sentiment, if known; :meth:`record` sets it.
        summary: the feedback as recorded (long text), set by :meth:`record`.
        answer_text: the answer given (long text), set by :meth:`answer`.
        overdue_at: the instant the record became late (its ``answer_due_at``), once it is.
        schedule: the scheduled revisits, in the order they fall due; set by
            :meth:`schedule_revisits`.
        revisits: the outcomes of the revisits done, in the schedule's order; set by
            :meth:`revisit`.

    Raises:
        ValidationError: a field of the wrong type, unacceptable text, or fields that disagree
            with the state or the history.
        NaiveDatetime: an instant without a time zone.
    """

    status: FeedbackStatus = FeedbackStatus.RECEIVED
    customer_id: str = attrs.field(validator=text("a feedback's customer_id"))
    text: str = attrs.field(
        validator=text("a feedback's text", limit=LONG_TEXT_MAX, multiline=True)
    )
    channel: FeedbackChannel
    received_at: DateTime = attrs.field(converter=_received)
    answer_due_at: DateTime = attrs.field(converter=_due)
    order_id: str | None = None
    case_id: str | None = None
    complaint_id: str | None = None
    kind: FeedbackKind | None = None
    sentiment: Sentiment | None = None
    summary: str | None = None
    answer_text: str | None = None
    overdue_at: DateTime | None = attrs.field(default=None, converter=_overdue)
    schedule: tuple[ScheduledRevisit, ...] = attrs.field(default=(), converter=_schedule)
    revisits: tuple[RevisitOutcome, ...] = attrs.field(default=(), converter=_revisits)

    def __attrs_post_init__(self) -> None:
        check_record(self)

    @classmethod
    def receive(
        cls,
        *,
        id: str,
        customer_id: str,
        text: str,
        channel: FeedbackChannel,
        policy: FeedbackPolicy,
        calendar: WorkingCalendar,
        clock: Clock = SYSTEM_CLOCK,
        received_at: _dt.datetime | None = None,
        order_id: str | None = None,
        case_id: str | None = None,
        complaint_id: str | None = None,
        kind: FeedbackKind | None = None,
        sentiment: Sentiment | None = None,
    ) -> Self:
        """A new record received at ``received_at`` (the clock's ``now`` by default), its
        answer due by ``policy`` on ``calendar`` (:meth:`FeedbackPolicy.answer_due`); the
        other arguments are the constructor's. A subclass's ``receive`` builds the subclass.

        Raises:
            ValidationError: a bad field, a ``policy`` that is not a :class:`FeedbackPolicy`
                or a ``calendar`` that is not a :class:`~ecservice.calendar.WorkingCalendar`.
            NaiveDatetime: ``received_at`` has no time zone.
            CalendarNotConfirmed: the due date needs a day whose holidays are not confirmed.
        """
        if not isinstance(policy, FeedbackPolicy):
            raise ValidationError(f"policy must be a FeedbackPolicy, not {shown(policy)}")
        at = ensure_utc(clock.now() if received_at is None else received_at, what="received_at")
        return cls(
            id=id,
            customer_id=customer_id,
            text=text,
            channel=channel,
            received_at=at,
            answer_due_at=policy.answer_due(at, calendar),
            order_id=order_id,
            case_id=case_id,
            complaint_id=complaint_id,
            kind=kind,
            sentiment=sentiment,
            clock=clock,
        )

    # --- views ---------------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        """Whether the record is still in the loop (not closed)."""
        return not self.is_final

    @property
    def is_answered(self) -> bool:
        """Whether the customer got an answer."""
        return self.answer_text is not None

    @property
    def answered_at(self) -> DateTime | None:
        """When the customer got the answer, or ``None`` before it."""
        for entry in self.history:
            if entry.trigger == "answer":
                return entry.at
        return None

    @property
    def answered_in_time(self) -> bool | None:
        """Whether the answer came by ``answer_due_at``: ``True`` or ``False`` once answered,
        ``False`` for an unanswered record marked late, ``None`` while it is neither."""
        answered = self.answered_at
        if answered is not None:
            return answered <= self.answer_due_at
        return False if self.overdue_at is not None else None

    @property
    def read_at(self) -> DateTime | None:
        """When the feedback was read, or ``None`` before it."""
        for entry in self.history:
            if entry.trigger == "read":
                return entry.at
        return None

    @property
    def revisit_times(self) -> tuple[DateTime, ...]:
        """When each revisit done took place, in the schedule's order."""
        return tuple(entry.at for entry in self.history if entry.trigger == "revisit")

    @property
    def pending_revisits(self) -> tuple[ScheduledRevisit, ...]:
        """The scheduled revisits not done yet, in the order they fall due (none once the
        record is closed)."""
        if not self.is_open:
            return ()
        return self.schedule[len(self.revisits) :]

    def next_due(self, now: _dt.datetime | None = None) -> DateTime | None:
        """The next instant the record needs attention, at ``now`` (its clock's ``now`` by
        default), for storage to keep as its timer:

        * unanswered and not marked late: ``answer_due_at`` (in the past once it passed, so
          that a timer fires at once and calls :meth:`mark_overdue`);
        * revisits scheduled: the next one's ``due_at`` before it, then its ``deadline``
          until that instant; ``None`` once the deadline passed (it is late; nothing more to
          time);
        * otherwise (late and unanswered, answered, revisited, closed): ``None``.

        Raises:
            NaiveDatetime: ``now`` has no time zone.
        """
        at = ensure_utc(self.clock.now() if now is None else now, what="now")
        status = self.status
        if status in UNANSWERED_STATES:
            return self.answer_due_at if self.overdue_at is None else None
        if status is S.REVISIT_SCHEDULED:
            nxt = self.schedule[len(self.revisits)]
            if at < nxt.due_at:
                return nxt.due_at
            if at < nxt.deadline:
                return nxt.deadline
        return None

    # --- triggers: a pure _prepare_<trigger> (checks, payload; can() calls it too) and a thin
    # typed method that fires it.

    _prepare_read = _prepare.prepare_read

    def read(self, *, actor: Actor, note: str = "") -> TransitionRecord:
        """Read the feedback (认真阅读).

        Raises:
            InvalidTransition: the record was already read.
            ValidationError: a bad note, or the clock is before the receipt.
        """
        payload = self._prepare_read(actor=actor, note=note)
        return self._fire_prepared("read", actor, payload)

    _prepare_record = _prepare.prepare_record

    def record(
        self,
        *,
        kind: FeedbackKind,
        sentiment: Sentiment,
        summary: str,
        actor: Actor,
        order_id: str | None = None,
        case_id: str | None = None,
        complaint_id: str | None = None,
        note: str = "",
    ) -> TransitionRecord:
        """Record the feedback (准确记录): what it is, the customer's sentiment, a summary (long
        text), and any link found (an order, an after-sales case, a complaint: short text; a
        link left ``None`` keeps its value). Recording again corrects the record.

        Raises:
            InvalidTransition: the record is not read, or is past recording.
            ValidationError: a kind or sentiment of the wrong type, a bad summary or link.
        """
        payload = self._prepare_record(
            kind=kind,
            sentiment=sentiment,
            summary=summary,
            actor=actor,
            order_id=order_id,
            case_id=case_id,
            complaint_id=complaint_id,
            note=note,
        )
        return self._fire_prepared("record", actor, payload)

    _prepare_answer = _prepare.prepare_answer

    def answer(self, *, message: str, actor: Actor) -> TransitionRecord:
        """Answer the customer (及时反馈); the message (long text) is the history note. An
        answer after ``answer_due_at`` sets ``overdue_at`` to that instant (unless the record
        was marked late already) and emits
        :class:`~ecservice.feedback.FeedbackAnswerOverdue`.

        Raises:
            InvalidTransition: the record is not recorded, or already answered.
            ValidationError: a blank or unacceptable message.
        """
        payload = self._prepare_answer(message=message, actor=actor)
        return self._fire_prepared("answer", actor, payload)

    _prepare_mark_overdue = _prepare.prepare_mark_overdue

    def mark_overdue(self, *, actor: Actor = _TIMER) -> TransitionRecord:
        """Record that the answer is late (an internal transition): ``overdue_at`` becomes
        ``answer_due_at``, the instant the record became late, whenever the timer runs. The
        actor is the feedback timer (``Actor.system("feedback-timer")``) by default.

        Raises:
            InvalidTransition: the record is answered or closed.
            PolicyViolation: the answer is not due yet at the clock's ``now``, or the record
                is already marked late.
        """
        payload = self._prepare_mark_overdue(actor=actor)
        return self._fire_prepared("mark_overdue", actor, payload)

    _prepare_schedule_revisits = _prepare.prepare_schedule_revisits

    def schedule_revisits(
        self,
        *,
        policy: FeedbackPolicy,
        calendar: WorkingCalendar,
        actor: Actor,
        delivered_at: _dt.datetime | None = None,
        case_closed_at: _dt.datetime | None = None,
        note: str = "",
    ) -> TransitionRecord:
        """Schedule the revisits (定期回访) of ``policy`` on ``calendar``
        (:meth:`FeedbackPolicy.schedule`): those anchored on the answer, on the delivery of
        the linked order (``delivered_at``) and on the close of the linked after-sales case
        (``case_closed_at``) when given; offsets due before now are left out.

        Raises:
            InvalidTransition: the record is not answered.
            ValidationError: a policy or calendar of the wrong type; an anchor instant that is
                not a datetime, is after now, or names a link the record does not have
                (``delivered_at`` needs ``order_id``, ``case_closed_at`` needs ``case_id``).
            NaiveDatetime: an anchor instant without a time zone.
            PolicyViolation: no revisit of the policy falls due at or after now (close the
                record instead).
            CalendarNotConfirmed: a due date needs a day whose holidays are not confirmed.
        """
        payload = self._prepare_schedule_revisits(
            policy=policy,
            calendar=calendar,
            actor=actor,
            delivered_at=delivered_at,
            case_closed_at=case_closed_at,
            note=note,
        )
        return self._fire_prepared("schedule_revisits", actor, payload)

    _prepare_revisit = _prepare.prepare_revisit

    def revisit(
        self, *, reached: bool, actor: Actor, satisfied: bool | None = None, note: str = ""
    ) -> TransitionRecord:
        """Record the outcome of the next scheduled revisit (回访): whether the customer was
        reached, whether they were satisfied (``None``: they did not say; always ``None``
        when not reached), and what was said (the history note). It is on time when done by
        the revisit's ``deadline`` (early is on time); the last one takes the record to
        ``REVISITED``.

        Raises:
            InvalidTransition: no revisit is scheduled.
            ValidationError: ``reached`` or ``satisfied`` of the wrong type, a satisfaction
                for an unreached customer, or a bad note.
        """
        payload = self._prepare_revisit(
            reached=reached, actor=actor, satisfied=satisfied, note=note
        )
        return self._fire_prepared("revisit", actor, payload)

    _prepare_close = _prepare.prepare_close

    def close(self, *, actor: Actor, note: str = "") -> TransitionRecord:
        """Close the record: answered and needing no revisit, revisited, or with revisits
        still scheduled that will not take place (then ``note`` says why).

        Raises:
            InvalidTransition: the record is not answered yet, or already closed.
            ValidationError: revisits left and no note, or a bad note.
        """
        payload = self._prepare_close(actor=actor, note=note)
        return self._fire_prepared("close", actor, payload)


bind_workflow(FeedbackRecord, FEEDBACK_WORKFLOW)
