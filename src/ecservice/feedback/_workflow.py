"""The default feedback workflow: guards, hooks and the transition table."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, TypeVar

from ecservice.errors import GuardRejected, ValidationError
from ecservice.feedback._events import (
    FeedbackAnswered,
    FeedbackAnswerOverdue,
    FeedbackClosed,
    FeedbackRead,
    FeedbackRecorded,
    FeedbackRevisited,
    FeedbackStatus,
    RevisitsScheduled,
)
from ecservice.feedback._values import FeedbackKind, RevisitOutcome, Sentiment
from ecservice.workflow import Actor, ActorKind, Context, DomainEvent, Workflow, transition
from ecservice.workflow._engine import _guard_name as guard_name

if TYPE_CHECKING:
    from ecservice.feedback._record import FeedbackRecord

__all__ = [
    "ACTOR_GUARDS",
    "FEEDBACK_TIMER_ID",
    "FEEDBACK_WORKFLOW",
    "UNANSWERED_STATES",
    "by_service_staff",
    "by_staff_or_timer",
    "check_actor",
]

S = FeedbackStatus

#: The states in which a record still owes the customer its answer.
UNANSWERED_STATES: Final[tuple[FeedbackStatus, ...]] = (S.RECEIVED, S.READ, S.RECORDED)
#: The id of the system actor that records late answers by default.
FEEDBACK_TIMER_ID: Final = "feedback-timer"


# --- guards ------------------------------------------------------------------------------------


def by_service_staff(record: FeedbackRecord, ctx: Context) -> bool:
    """Fired by the shop's service staff (Actor.staff(...)), not the customer nor anyone else.

    Customer-service practice: the shop's service staff read the feedback, record it, answer
    the customer, revisit them and close the record."""
    return ctx.actor.kind is ActorKind.STAFF


def by_staff_or_timer(record: FeedbackRecord, ctx: Context) -> bool:
    """Fired by the shop's service staff or the system's timers (Actor.staff or Actor.system).

    A timer marks an unanswered record late and may schedule the revisits; so may staff."""
    return ctx.actor.kind is ActorKind.STAFF or ctx.actor.kind is ActorKind.SYSTEM


#: Who may fire each trigger of :data:`FEEDBACK_WORKFLOW`: the guard on its transitions.
ACTOR_GUARDS: Final[dict[str, Any]] = {
    "read": by_service_staff,
    "record": by_service_staff,
    "answer": by_service_staff,
    "mark_overdue": by_staff_or_timer,
    "schedule_revisits": by_staff_or_timer,
    "revisit": by_service_staff,
    "close": by_service_staff,
}


def check_actor(record: FeedbackRecord, trigger: str, actor: object) -> None:
    """Refuse an ``actor`` who may not fire ``trigger`` of the default workflow, whatever the
    record's state (a replay of a step already taken checks who asks).

    Raises:
        ValidationError: ``actor`` is not an :class:`~ecservice.workflow.Actor`.
        GuardRejected: the trigger's actor guard (:data:`ACTOR_GUARDS`) rejects ``actor``.
    """
    if type(actor) is not Actor:
        raise ValidationError(f"actor must be an Actor, not {type(actor).__name__}")
    guard = ACTOR_GUARDS[trigger]
    ctx = Context(trigger, record.status, record.clock.now(), actor, "", {})
    if not guard(record, ctx):
        raise GuardRejected(
            trigger, record.status.name, [guard_name(guard)], subject=record._subject()
        )


def last_revisit(record: FeedbackRecord, ctx: Context) -> bool:
    """The revisit being recorded is the last one scheduled."""
    return len(record.revisits) + 1 >= len(record.schedule)


# --- hooks -------------------------------------------------------------------------------------

E = TypeVar("E", bound=DomainEvent)


def _event(event: type[E], record: FeedbackRecord, ctx: Context, /, **fields: Any) -> E:
    return event(aggregate_id=record.id, occurred_at=ctx.at, actor=ctx.actor, **fields)


def apply_read(record: FeedbackRecord, ctx: Context) -> None:
    """Emit :class:`FeedbackRead`."""
    ctx.emit(_event(FeedbackRead, record, ctx))


def apply_record(record: FeedbackRecord, ctx: Context) -> None:
    """Record the kind, the sentiment, the summary and any links given."""
    record.kind = ctx.arg("kind", FeedbackKind)
    record.sentiment = ctx.arg("sentiment", Sentiment)
    record.summary = ctx.arg("summary", str)
    for link in ("order_id", "case_id", "complaint_id"):
        value = ctx.payload.get(link)
        if isinstance(value, str):
            setattr(record, link, value)
    ctx.emit(
        _event(
            FeedbackRecorded,
            record,
            ctx,
            kind=record.kind,
            sentiment=record.sentiment,
            summary=record.summary,
        )
    )


def _mark_overdue(record: FeedbackRecord, ctx: Context) -> None:
    if record.overdue_at is None:
        record.overdue_at = record.answer_due_at
        ctx.emit(_event(FeedbackAnswerOverdue, record, ctx, due_at=record.answer_due_at))


def apply_answer(record: FeedbackRecord, ctx: Context) -> None:
    """Record the answer; one after its due instant also marks the record late from that
    instant (if the timer has not)."""
    message = ctx.arg("message", str)
    late = ctx.at > record.answer_due_at
    if late:
        _mark_overdue(record, ctx)
    record.answer_text = message
    ctx.emit(
        _event(
            FeedbackAnswered, record, ctx, message=message, due_at=record.answer_due_at, late=late
        )
    )


def apply_overdue(record: FeedbackRecord, ctx: Context) -> None:
    """Mark the record late from its answer's due instant."""
    _mark_overdue(record, ctx)


def apply_schedule(record: FeedbackRecord, ctx: Context) -> None:
    """Keep the schedule."""
    schedule = ctx.arg("schedule", tuple)
    record.schedule = schedule
    ctx.emit(_event(RevisitsScheduled, record, ctx, schedule=schedule))


def apply_revisit(record: FeedbackRecord, ctx: Context) -> None:
    """Add the outcome of the next scheduled revisit."""
    outcome = ctx.arg("outcome", RevisitOutcome)
    index = len(record.revisits)
    on_time = ctx.at <= record.schedule[index].deadline
    record.revisits = (*record.revisits, outcome)
    ctx.emit(_event(FeedbackRevisited, record, ctx, index=index, outcome=outcome, on_time=on_time))


def emit_closed(record: FeedbackRecord, ctx: Context) -> None:
    """Emit :class:`FeedbackClosed`."""
    left = len(record.schedule) - len(record.revisits)
    ctx.emit(_event(FeedbackClosed, record, ctx, revisits_left=left))


#: The default feedback workflow: read, record, answer, schedule revisits, revisit, close.
FEEDBACK_WORKFLOW: Final[Workflow[FeedbackRecord]] = Workflow(
    "feedback",
    states=FeedbackStatus,
    initial=S.RECEIVED,
    final=[S.CLOSED],
    # Each transition is guarded by who may fire it (ACTOR_GUARDS): the shop's service staff,
    # and for lateness and scheduling the system's timers too. A derived workflow keeps the
    # guards of the transitions it keeps, and may drop or replace them.
    transitions=[
        transition("read", S.RECEIVED, S.READ, conditions=[by_service_staff], before=[apply_read]),
        transition(
            "record",
            [S.READ, S.RECORDED],
            S.RECORDED,
            conditions=[by_service_staff],
            before=[apply_record],
        ),
        transition(
            "answer", S.RECORDED, S.ANSWERED, conditions=[by_service_staff], before=[apply_answer]
        ),
        # Internal: the timer marks an unanswered record late; no state changes.
        transition(
            "mark_overdue",
            UNANSWERED_STATES,
            None,
            conditions=[by_staff_or_timer],
            before=[apply_overdue],
        ),
        transition(
            "schedule_revisits",
            S.ANSWERED,
            S.REVISIT_SCHEDULED,
            conditions=[by_staff_or_timer],
            before=[apply_schedule],
        ),
        transition(
            "revisit",
            S.REVISIT_SCHEDULED,
            S.REVISITED,
            conditions=[by_service_staff, last_revisit],
            before=[apply_revisit],
        ),
        transition(
            "revisit",
            S.REVISIT_SCHEDULED,
            None,
            conditions=[by_service_staff],
            before=[apply_revisit],
        ),
        transition(
            "close",
            [S.ANSWERED, S.REVISIT_SCHEDULED, S.REVISITED],
            S.CLOSED,
            conditions=[by_service_staff],
        ),
    ],
    on_enter={S.CLOSED: [emit_closed]},
)
