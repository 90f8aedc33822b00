"""The states of a feedback record and its domain events."""

from __future__ import annotations

from typing import final

import attrs
from pendulum import DateTime

from ecservice.feedback._values import (
    FeedbackKind,
    RevisitOutcome,
    ScheduledRevisit,
    Sentiment,
)
from ecservice.workflow import DomainEvent, LabelledState

__all__ = [
    "FeedbackAnswerOverdue",
    "FeedbackAnswered",
    "FeedbackClosed",
    "FeedbackRead",
    "FeedbackRecorded",
    "FeedbackRevisited",
    "FeedbackStatus",
    "RevisitsScheduled",
]


class FeedbackStatus(LabelledState):
    """The states of a feedback record, with the Chinese names customer service uses."""

    RECEIVED = ("received", "Received, not read yet", "待阅读")
    READ = ("read", "Read", "已阅读")
    RECORDED = ("recorded", "Recorded", "已记录")
    ANSWERED = ("answered", "Answered", "已答复")
    REVISIT_SCHEDULED = ("revisit_scheduled", "Revisits scheduled", "待回访")
    REVISITED = ("revisited", "Revisited", "已回访")
    CLOSED = ("closed", "Closed", "已关闭")


@final
@attrs.frozen(slots=True, kw_only=True)
class FeedbackRead(DomainEvent):
    """Customer service read the feedback (认真阅读).

    Args:
        aggregate_id: the record's id.
        occurred_at: when, in UTC.
        actor: who read it.
    """


@final
@attrs.frozen(slots=True, kw_only=True)
class FeedbackRecorded(DomainEvent):
    """The feedback was recorded (准确记录): classified, its sentiment noted, summarised.

    Args:
        aggregate_id: the record's id.
        occurred_at: when, in UTC.
        actor: who recorded it.
        kind: what the feedback is.
        sentiment: the customer's sentiment.
        summary: the feedback as recorded (long text).
    """

    kind: FeedbackKind
    sentiment: Sentiment
    summary: str


@final
@attrs.frozen(slots=True, kw_only=True)
class FeedbackAnswered(DomainEvent):
    """The customer got an answer (及时反馈).

    Args:
        aggregate_id: the record's id.
        occurred_at: when, in UTC (the answer's instant).
        actor: who answered.
        message: what was said (long text).
        due_at: when the answer was due, in UTC.
        late: whether it came after ``due_at``.
    """

    message: str
    due_at: DateTime
    late: bool


@final
@attrs.frozen(slots=True, kw_only=True)
class FeedbackAnswerOverdue(DomainEvent):
    """The answer was not given by its due instant; the record is late from ``due_at``.

    Args:
        aggregate_id: the record's id.
        occurred_at: when the lateness was recorded, in UTC (at or after ``due_at``).
        actor: who recorded it (the feedback timer, or whoever answered late).
        due_at: when the answer was due, in UTC: the instant the record became late.
    """

    due_at: DateTime


@final
@attrs.frozen(slots=True, kw_only=True)
class RevisitsScheduled(DomainEvent):
    """The record's revisits were scheduled (定期回访).

    Args:
        aggregate_id: the record's id.
        occurred_at: when, in UTC.
        actor: who scheduled them.
        schedule: the revisits, in the order they fall due.
    """

    schedule: tuple[ScheduledRevisit, ...]


@final
@attrs.frozen(slots=True, kw_only=True)
class FeedbackRevisited(DomainEvent):
    """One scheduled revisit took place.

    Args:
        aggregate_id: the record's id.
        occurred_at: when, in UTC.
        actor: who revisited.
        index: which revisit of the schedule, from 0.
        outcome: what it found.
        on_time: whether it took place by the revisit's deadline.
    """

    index: int
    outcome: RevisitOutcome
    on_time: bool


@final
@attrs.frozen(slots=True, kw_only=True)
class FeedbackClosed(DomainEvent):
    """The record was closed.

    Args:
        aggregate_id: the record's id.
        occurred_at: when, in UTC.
        actor: who closed it.
        revisits_left: scheduled revisits that did not take place (a record closed while
            revisits were still scheduled).
    """

    revisits_left: int
