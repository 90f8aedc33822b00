"""The default feedback workflow: guards, hooks and the transition table."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, TypeVar

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
from ecservice.workflow import Context, DomainEvent, Workflow, transition

if TYPE_CHECKING:
    from ecservice.feedback._record import FeedbackRecord

__all__ = ["FEEDBACK_TIMER_ID", "FEEDBACK_WORKFLOW", "UNANSWERED_STATES"]

S = FeedbackStatus

#: The states in which a record still owes the customer its answer.
UNANSWERED_STATES: Final[tuple[FeedbackStatus, ...]] = (S.RECEIVED, S.READ, S.RECORDED)
#: The id of the system actor that records late answers by default.
FEEDBACK_TIMER_ID: Final = "feedback-timer"


# --- guards ------------------------------------------------------------------------------------


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
    transitions=[
        transition("read", S.RECEIVED, S.READ, before=[apply_read]),
        transition("record", [S.READ, S.RECORDED], S.RECORDED, before=[apply_record]),
        transition("answer", S.RECORDED, S.ANSWERED, before=[apply_answer]),
        # Internal: the timer marks an unanswered record late; no state changes.
        transition("mark_overdue", UNANSWERED_STATES, None, before=[apply_overdue]),
        transition("schedule_revisits", S.ANSWERED, S.REVISIT_SCHEDULED, before=[apply_schedule]),
        transition(
            "revisit",
            S.REVISIT_SCHEDULED,
            S.REVISITED,
            conditions=[last_revisit],
            before=[apply_revisit],
        ),
        transition("revisit", S.REVISIT_SCHEDULED, None, before=[apply_revisit]),
        transition("close", [S.ANSWERED, S.REVISIT_SCHEDULED, S.REVISITED], S.CLOSED),
    ],
    on_enter={S.CLOSED: [emit_closed]},
)
