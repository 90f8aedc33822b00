"""The states of a complaint and its domain events."""

from __future__ import annotations

from typing import final

import attrs
from pendulum import DateTime

from ecservice.aftersales import CaseStatus, Liability, ProblemKind
from ecservice.complaints._sla_rules import SlaTargetKind
from ecservice.complaints._values import (
    ComplaintCause,
    ComplaintPriority,
    ComplaintSolution,
    ComplaintValidity,
    FollowUpVisit,
    ThirdParty,
)
from ecservice.workflow import DomainEvent, LabelledState

__all__ = [
    "ComplaintAnalysed",
    "ComplaintCaseResolved",
    "ComplaintClosed",
    "ComplaintEscalated",
    "ComplaintFeedbackGiven",
    "ComplaintFollowedUp",
    "ComplaintJudged",
    "ComplaintPaused",
    "ComplaintRecorded",
    "ComplaintReopened",
    "ComplaintReplied",
    "ComplaintResumed",
    "ComplaintStatus",
    "ComplaintWithdrawn",
    "SlaBreached",
]


class ComplaintStatus(LabelledState):
    """The states of a complaint, with the Chinese names customer service uses."""

    RECEIVED = ("received", "Received, awaiting a reply", "待回复")
    REPLIED = ("replied", "Replied", "已回复")
    RECORDED = ("recorded", "Recorded", "已记录")
    JUDGED = ("judged", "Judged", "已判断")
    ANALYSED = ("analysed", "Cause analysed", "已分析")
    AWAITING_CASE = ("awaiting_case", "Awaiting the after-sales case", "等待售后处理")
    FOLLOW_UP = ("follow_up", "Awaiting the follow-up visit", "待回访")
    AWAITING_CUSTOMER = ("awaiting_customer", "Awaiting the customer's reply", "等待客户回复")
    AWAITING_THIRD_PARTY = ("awaiting_third_party", "Awaiting a third party", "等待第三方")
    CLOSED = ("closed", "Closed", "已关闭")


@final
@attrs.frozen(slots=True, kw_only=True)
class ComplaintReplied(DomainEvent):
    """Customer service replied to the customer (回复投诉): the first reply, or a later one
    (an answer, a progress update).

    Args:
        aggregate_id: the complaint's id.
        occurred_at: when, in UTC.
        actor: who replied.
        message: what was said (long text).
        first: ``True`` for the complaint's first reply.
    """

    message: str
    first: bool


@final
@attrs.frozen(slots=True, kw_only=True)
class ComplaintRecorded(DomainEvent):
    """The complaint was recorded (记录投诉): classified and summarised.

    Args:
        aggregate_id: the complaint's id.
        occurred_at: when, in UTC.
        actor: who recorded it.
        problem: the problem (its category is ``problem.category``).
        priority: the priority set.
        summary: the facts as recorded (long text).
    """

    problem: ProblemKind
    priority: ComplaintPriority
    summary: str


@final
@attrs.frozen(slots=True, kw_only=True)
class ComplaintJudged(DomainEvent):
    """The complaint was judged (判断投诉).

    Args:
        aggregate_id: the complaint's id.
        occurred_at: when, in UTC.
        actor: who judged.
        validity: valid or invalid.
        liability: who is responsible (``None`` for an invalid complaint).
    """

    validity: ComplaintValidity
    liability: Liability | None


@final
@attrs.frozen(slots=True, kw_only=True)
class ComplaintAnalysed(DomainEvent):
    """The cause of the complaint was found (分析投诉).

    Args:
        aggregate_id: the complaint's id.
        occurred_at: when, in UTC.
        actor: who analysed it.
        cause: the cause.
    """

    cause: ComplaintCause


@final
@attrs.frozen(slots=True, kw_only=True)
class ComplaintFeedbackGiven(DomainEvent):
    """The solution was told to the customer (反馈投诉).

    Args:
        aggregate_id: the complaint's id.
        occurred_at: when, in UTC.
        actor: who told it.
        solution: the solution, with the after-sales case carrying it out if any.
    """

    solution: ComplaintSolution


@final
@attrs.frozen(slots=True, kw_only=True)
class ComplaintCaseResolved(DomainEvent):
    """The after-sales case the complaint waited on reached an end.

    Args:
        aggregate_id: the complaint's id.
        occurred_at: when, in UTC.
        actor: who reported it.
        case_id: the case's id.
        outcome: the state the case reached.
    """

    case_id: str
    outcome: CaseStatus


@final
@attrs.frozen(slots=True, kw_only=True)
class ComplaintFollowedUp(DomainEvent):
    """The follow-up visit was made (投诉回访).

    Args:
        aggregate_id: the complaint's id.
        occurred_at: when, in UTC.
        actor: who called.
        visit: the satisfaction captured, or that the customer could not be reached.
    """

    visit: FollowUpVisit


@final
@attrs.frozen(slots=True, kw_only=True)
class ComplaintEscalated(DomainEvent):
    """The complaint was escalated (升级) one level.

    Args:
        aggregate_id: the complaint's id.
        occurred_at: when, in UTC.
        actor: who escalated it.
        level: the new level (1 supervisor, 2 manager, 3 head of customer service).
        reason: why (long text).
    """

    level: int
    reason: str


@final
@attrs.frozen(slots=True, kw_only=True)
class ComplaintPaused(DomainEvent):
    """The complaint started waiting for the customer or a third party.

    Args:
        aggregate_id: the complaint's id.
        occurred_at: when, in UTC.
        actor: who paused it.
        paused_from: the step it waits in, and returns to.
        waiting_for: the third party, or ``None`` when it waits for the customer.
        reason: what is awaited (long text).
    """

    paused_from: ComplaintStatus
    waiting_for: ThirdParty | None
    reason: str


@final
@attrs.frozen(slots=True, kw_only=True)
class ComplaintResumed(DomainEvent):
    """The wait ended; the complaint is back at the step it waited in.

    Args:
        aggregate_id: the complaint's id.
        occurred_at: when, in UTC.
        actor: who resumed it.
        resumed_at_step: the step it went back to.
    """

    resumed_at_step: ComplaintStatus


@final
@attrs.frozen(slots=True, kw_only=True)
class ComplaintWithdrawn(DomainEvent):
    """The customer withdrew the complaint (撤诉).

    Args:
        aggregate_id: the complaint's id.
        occurred_at: when, in UTC.
        actor: who withdrew it.
    """


@final
@attrs.frozen(slots=True, kw_only=True)
class ComplaintClosed(DomainEvent):
    """The complaint closed (after its follow-up visit, or withdrawn).

    Args:
        aggregate_id: the complaint's id.
        occurred_at: when, in UTC.
        actor: who closed it.
    """


@final
@attrs.frozen(slots=True, kw_only=True)
class ComplaintReopened(DomainEvent):
    """A closed complaint was reopened within its window.

    Args:
        aggregate_id: the complaint's id.
        occurred_at: when, in UTC.
        actor: who reopened it.
    """


@final
@attrs.frozen(slots=True, kw_only=True)
class SlaBreached(DomainEvent):
    """A service level was breached and the complaint recorded it
    (:meth:`Complaint.record_breach <ecservice.complaints.Complaint.record_breach>`). The event
    occurs when the breach is recorded; the breach itself happened at ``breached_at``.

    Args:
        aggregate_id: the complaint's id.
        occurred_at: when the breach was recorded, in UTC.
        actor: who recorded it (the SLA timer by default).
        kind: the target kind breached.
        index: the cycle's index among the cycles of its kind (from 0).
        started_at: when the cycle's clock started, in UTC.
        due_at: when the cycle was due, in UTC.
        breached_at: when it was breached: the due date, in UTC.
    """

    kind: SlaTargetKind
    index: int
    started_at: DateTime
    due_at: DateTime
    breached_at: DateTime
