"""The feedback use cases: receive a customer's feedback, read, record and answer it, schedule
and record its revisits, close it; and the feedback timers (answers gone late, revisits due).

The store times feedback records with :func:`~ecservice.storage.feedback_next_due` (in
:func:`~ecservice.storage.default_timers`): :meth:`FeedbackService.run_due_timers` marks the
unanswered records whose answer is late and lists the revisits that fell due or passed their
deadline, for agents to make.
"""

from __future__ import annotations

import datetime as _dt
import functools
import time
from collections.abc import Callable
from typing import TypeVar, final

import attrs

from ecservice.application._runner import UseCaseRunner, check_clock, check_store
from ecservice.application._stored import change_stored, check_callable, check_limit, run_due
from ecservice.application._timer_policy import require_timer
from ecservice.calendar import WorkingCalendar
from ecservice.clock import SYSTEM_CLOCK, Clock, ensure_utc
from ecservice.errors import PolicyViolation, ValidationError
from ecservice.feedback import (
    UNANSWERED_STATES,
    FeedbackChannel,
    FeedbackKind,
    FeedbackPolicy,
    FeedbackRecord,
    FeedbackStatus,
    Sentiment,
)
from ecservice.feedback._workflow import check_actor
from ecservice.storage import Store, UnitOfWork, default_backoff
from ecservice.workflow import Actor, ActorKind

__all__ = ["FeedbackService", "FeedbackTimerRun"]

R = TypeVar("R")


@final
@attrs.frozen(slots=True, kw_only=True)
class FeedbackTimerRun:
    """What one run of :meth:`FeedbackService.run_due_timers` found.

    Args:
        marked_late: the records whose answer became late and were marked so (ids, in the
            order handled).
        revisits_due: the records whose next revisit fell due (agents should make it by its
            deadline).
        revisits_late: the records whose next revisit passed its deadline undone.
    """

    marked_late: tuple[str, ...] = ()
    revisits_due: tuple[str, ...] = ()
    revisits_late: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.marked_late) + len(self.revisits_due) + len(self.revisits_late)


@final
class FeedbackService:
    """The feedback use cases (反馈) over one store, under one feedback policy and working
    calendar.

    Each method is one unit of work run through :func:`~ecservice.storage.run_in_transaction`
    (retried on transient storage errors and on :class:`~ecservice.errors.ConcurrencyConflict`,
    from the stored state); run again after a crash, each converges: a step already taken the
    same way returns the stored record. Who acts is checked first, on a replay too: the shop's
    service staff read, record, answer, revisit and close feedback; the system's timers, or
    staff, mark it late and schedule revisits (the guards of
    :data:`~ecservice.feedback.FEEDBACK_WORKFLOW`); anyone else gets
    :class:`~ecservice.errors.GuardRejected`.

    Args:
        store: where feedback records are stored (timed by
            :func:`~ecservice.storage.feedback_next_due`, a default timer).
        policy: the answer target and revisits (:class:`~ecservice.feedback.FeedbackPolicy`).
        calendar: the shop's working calendar, on which the targets are counted.
        clock: the time feedback is received at and timers run at.
        actor: who marks answers late (default ``Actor.system("feedback-timer")``): a system
            or staff actor, as :data:`~ecservice.feedback.FEEDBACK_WORKFLOW` guards
            ``mark_overdue``.
        attempts: how many times a use case runs before a transient failure is raised.
        backoff: seconds to wait before the next attempt.
        sleep: how to wait (``time.sleep``).

    Raises:
        ValidationError: a ``store`` without a callable ``unit_of_work`` (a
            :class:`~ecservice.storage.Store` is needed), or a ``clock`` that is not a
            :class:`~ecservice.clock.Clock` (with ``now()``).
        ValidationError: a policy that is not a :class:`~ecservice.feedback.FeedbackPolicy`,
            a calendar that is not a :class:`~ecservice.calendar.WorkingCalendar`, or an actor
            that is not an :class:`~ecservice.workflow.Actor`.
    """

    def __init__(
        self,
        store: Store,
        policy: FeedbackPolicy,
        calendar: WorkingCalendar,
        *,
        clock: Clock = SYSTEM_CLOCK,
        actor: Actor | None = None,
        attempts: int = 5,
        backoff: Callable[[int], float] = default_backoff,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        check_store(store, "FeedbackService")
        check_clock(clock, "FeedbackService")
        if not isinstance(policy, FeedbackPolicy):
            raise ValidationError(
                f"FeedbackService needs a FeedbackPolicy, not {type(policy).__name__}"
            )
        if not isinstance(calendar, WorkingCalendar):
            raise ValidationError(
                f"FeedbackService needs a WorkingCalendar, not {type(calendar).__name__}"
            )
        if actor is not None and not isinstance(actor, Actor):
            raise ValidationError(f"actor must be an Actor, not {type(actor).__name__}")
        if actor is not None and actor.kind not in (ActorKind.SYSTEM, ActorKind.STAFF):
            raise ValidationError(
                f"the actor who marks answers late is the system's timer or staff "
                f"(Actor.system(...), Actor.staff(...)), not {actor.kind.value} {actor.id!r}"
            )
        self.store = store
        self.policy = policy
        self.calendar = calendar
        self.clock = clock
        self.actor = Actor.system("feedback-timer") if actor is None else actor
        self._run = UseCaseRunner(store, attempts, backoff, sleep)

    def receive(
        self,
        feedback_id: str,
        *,
        customer_id: str,
        text: str,
        channel: FeedbackChannel,
        order_id: str | None = None,
        case_id: str | None = None,
        complaint_id: str | None = None,
        kind: FeedbackKind | None = None,
        sentiment: Sentiment | None = None,
    ) -> FeedbackRecord:
        """Receive feedback ``feedback_id`` at ``clock.now()``, its answer due by the policy on
        the calendar (:meth:`FeedbackRecord.receive
        <ecservice.feedback.FeedbackRecord.receive>`), and store it. Run again with the same
        customer, text and channel, it returns the stored record.

        Raises:
            PolicyViolation: ``feedback_id`` is taken by feedback of another customer, or was
                received with another text or channel.
            ValidationError: malformed input.
            CalendarNotConfirmed: the due date needs a day whose holidays are not confirmed.
        """

        def work(uow: UnitOfWork) -> FeedbackRecord:
            stored = uow.feedback.find(feedback_id)
            if stored is not None:
                if stored.customer_id != customer_id:
                    raise PolicyViolation(
                        f"feedback id {feedback_id!r} is already used by feedback of customer "
                        f"{stored.customer_id!r}"
                    )
                differs = [
                    what
                    for what, given, kept in (
                        ("text", text, stored.text),
                        ("channel", channel, stored.channel),
                    )
                    if given != kept
                ]
                if differs:
                    raise PolicyViolation(
                        f"feedback {feedback_id!r} was received with another "
                        f"{' and '.join(differs)}: a feedback id is received once, with one "
                        "text and channel; use a new id for new feedback"
                    )
                return stored
            record = FeedbackRecord.receive(
                id=feedback_id,
                customer_id=customer_id,
                text=text,
                channel=channel,
                policy=self.policy,
                calendar=self.calendar,
                clock=self.clock,
                order_id=order_id,
                case_id=case_id,
                complaint_id=complaint_id,
                kind=kind,
                sentiment=sentiment,
            )
            uow.feedback.add(record)
            return record

        return self._run(work)

    def change(self, feedback_id: str, change: Callable[[FeedbackRecord], R]) -> R:
        """Load the record, apply ``change`` (a trigger), save it if it changed, commit; what
        ``change`` returned (it may run more than once).

        Raises:
            ValidationError: ``change`` is not callable.
            AggregateNotFound: no such record.
            EcServiceError: whatever ``change`` raised (nothing is stored).
        """
        check_callable(change, "feedback record")
        return self._run(lambda uow: change_stored(uow.feedback, feedback_id, change))

    def answer(
        self,
        feedback_id: str,
        *,
        kind: FeedbackKind,
        sentiment: Sentiment,
        summary: str,
        message: str,
        actor: Actor,
    ) -> FeedbackRecord:
        """Read the feedback, record it (kind, sentiment, summary) and answer the customer, as
        far as not done yet (:meth:`~ecservice.feedback.FeedbackRecord.read`,
        :meth:`~ecservice.feedback.FeedbackRecord.record`,
        :meth:`~ecservice.feedback.FeedbackRecord.answer`), in one unit of work. Run again with
        the same message, it returns the stored record.

        Raises:
            AggregateNotFound: no such record.
            GuardRejected: the actor is not staff.
            InvalidTransition: the record was answered otherwise, or is closed.
            ValidationError: malformed input.
        """

        def apply(record: FeedbackRecord) -> FeedbackRecord:
            check_actor(record, "answer", actor)  # first, on a replay too
            if record.answer_text == message:
                return record
            if record.status is FeedbackStatus.RECEIVED:
                record.read(actor=actor)
            if record.summary is None:
                record.record(kind=kind, sentiment=sentiment, summary=summary, actor=actor)
            record.answer(message=message, actor=actor)
            return record

        return self.change(feedback_id, apply)

    def schedule_revisits(
        self,
        feedback_id: str,
        *,
        actor: Actor,
        delivered_at: _dt.datetime | None = None,
        case_closed_at: _dt.datetime | None = None,
    ) -> FeedbackRecord:
        """Schedule the policy's revisits of an answered record
        (:meth:`~ecservice.feedback.FeedbackRecord.schedule_revisits`); run again, it returns
        the stored record.

        Raises:
            AggregateNotFound: no such record.
            GuardRejected: the actor is not staff or a system actor.
            InvalidTransition: the record is not answered.
            PolicyViolation: no revisit of the policy falls due from now.
        """

        def apply(record: FeedbackRecord) -> FeedbackRecord:
            check_actor(record, "schedule_revisits", actor)
            if record.schedule:
                return record
            record.schedule_revisits(
                policy=self.policy,
                calendar=self.calendar,
                actor=actor,
                delivered_at=delivered_at,
                case_closed_at=case_closed_at,
            )
            return record

        return self.change(feedback_id, apply)

    def revisit(
        self,
        feedback_id: str,
        *,
        number: int,
        reached: bool,
        actor: Actor,
        satisfied: bool | None = None,
        note: str = "",
    ) -> FeedbackRecord:
        """Record the outcome of revisit ``number`` (from 1, in the schedule's order;
        :meth:`~ecservice.feedback.FeedbackRecord.revisit`). Run again for a revisit already
        recorded, it returns the stored record.

        Raises:
            AggregateNotFound: no such record.
            GuardRejected: the actor is not staff.
            ValidationError: ``number`` is not the next revisit (nor one done), or malformed
                input.
            InvalidTransition: no revisit is scheduled.
        """
        if type(number) is not int or number < 1:
            raise ValidationError(f"number must be an int from 1, not {number!r:.40}")

        def apply(record: FeedbackRecord) -> FeedbackRecord:
            check_actor(record, "revisit", actor)
            done = len(record.revisits)
            if number <= done:
                return record
            if number != done + 1:
                raise ValidationError(
                    f"feedback {feedback_id!r} has {done} revisit(s) recorded: the next is "
                    f"number {done + 1}, not {number}"
                )
            record.revisit(reached=reached, satisfied=satisfied, actor=actor, note=note)
            return record

        return self.change(feedback_id, apply)

    def close(self, feedback_id: str, *, actor: Actor, note: str = "") -> FeedbackRecord:
        """Close the record (:meth:`~ecservice.feedback.FeedbackRecord.close`); run again, it
        returns the stored record.

        Raises:
            AggregateNotFound: no such record.
            GuardRejected: the actor is not staff.
            InvalidTransition: the record is not answered yet.
            ValidationError: revisits left and no note.
        """

        def apply(record: FeedbackRecord) -> FeedbackRecord:
            check_actor(record, "close", actor)
            if record.is_open:
                record.close(actor=actor, note=note)
            return record

        return self.change(feedback_id, apply)

    def run_due_timers(self, *, limit: int = 100) -> FeedbackTimerRun:
        """The records due at ``clock.now()``, claimed through the store's timer index
        (``uow.feedback.due(now, limit)``) ``limit`` at a time, each in a unit of work of its
        own: an unanswered record whose answer is due is marked late
        (:meth:`~ecservice.feedback.FeedbackRecord.mark_overdue`, at its due instant); a record
        whose next revisit fell due, or passed its deadline, is listed. Each is saved, so its
        timer moves on (to the revisit's deadline, or none): run again, it finds nothing.

        Returns:
            What was marked and found (:class:`FeedbackTimerRun`).

        Raises:
            ValidationError: ``limit`` is not a whole number from 1 to 10000, or the store
                shows its timers (``store.timers``) and has none for these documents: nothing
                would ever be due.
            DocumentError: due records could not be read (raised after every other one was
                handled; each is also logged at ERROR on the ``"ecservice.application"``
                logger, and stays due until its document is repaired).
        """
        check_limit(limit)
        now = ensure_utc(self.clock.now(), what="clock.now()")
        late: list[str] = []
        due: list[str] = []
        missed: list[str] = []

        def fire(uow: UnitOfWork, record_id: str) -> str | None:
            record = uow.feedback.get(record_id)
            found: str | None = None
            if record.status in UNANSWERED_STATES:
                if record.overdue_at is None and record.can("mark_overdue", actor=self.actor):
                    record.mark_overdue(actor=self.actor)
                    found = "late"
            elif record.pending_revisits:
                nxt = record.pending_revisits[0]
                found = "missed" if now >= nxt.deadline else "due" if now >= nxt.due_at else None
            uow.feedback.save(record)
            return found

        def handle(record_id: str) -> str | None:
            return self._run(functools.partial(fire, record_id=record_id))

        require_timer(self.store, "feedback", "feedback record", "feedback_next_due")
        for record_id, found in run_due(
            self._run, lambda uow: uow.feedback, now, handle, limit, "feedback record"
        ):
            {"late": late, "due": due, "missed": missed}.get(found or "", []).append(record_id)
        return FeedbackTimerRun(
            marked_late=tuple(late), revisits_due=tuple(due), revisits_late=tuple(missed)
        )
