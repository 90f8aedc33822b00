"""The default complaint workflow: guards, hooks and the transition table."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final, TypeVar

from ecservice.aftersales import CaseStatus, Liability, ProblemKind
from ecservice.complaints._breaches import SlaBreach
from ecservice.complaints._events import (
    ComplaintAnalysed,
    ComplaintCaseResolved,
    ComplaintClosed,
    ComplaintEscalated,
    ComplaintFeedbackGiven,
    ComplaintFollowedUp,
    ComplaintJudged,
    ComplaintPaused,
    ComplaintRecorded,
    ComplaintReopened,
    ComplaintReplied,
    ComplaintResumed,
    ComplaintStatus,
    ComplaintWithdrawn,
    SlaBreached,
)
from ecservice.complaints._values import (
    ComplaintCause,
    ComplaintPriority,
    ComplaintSolution,
    ComplaintValidity,
    FollowUpVisit,
    ThirdParty,
)
from ecservice.workflow import Context, DomainEvent, Transition, Workflow, transition

if TYPE_CHECKING:
    from ecservice.complaints._complaint import Complaint

__all__ = ["CASE_ENDS", "COMPLAINT_WORKFLOW", "OPEN_STATES", "WAITING_STATES", "WORKING_STEPS"]

S = ComplaintStatus

#: The steps a complaint may wait in (for the customer or a third party) and return to.
WORKING_STEPS: Final[tuple[ComplaintStatus, ...]] = (S.REPLIED, S.RECORDED, S.JUDGED, S.ANALYSED)
#: The states in which a complaint waits on someone else (SLA clocks pause in them).
WAITING_STATES: Final[frozenset[ComplaintStatus]] = frozenset(
    {S.AWAITING_CUSTOMER, S.AWAITING_THIRD_PARTY}
)
#: Every state of the default workflow but ``CLOSED``: replies, escalations, recorded SLA
#: breaches and withdrawal are allowed in each.
OPEN_STATES: Final[tuple[ComplaintStatus, ...]] = tuple(
    s for s in ComplaintStatus if s is not S.CLOSED
)
#: The after-sales case states a complaint waiting on the case accepts as its end: a remedy
#: given, or the case closed or withdrawn.
CASE_ENDS: Final[frozenset[CaseStatus]] = frozenset(
    {
        CaseStatus.REFUNDED,
        CaseStatus.EXCHANGED,
        CaseStatus.REPAIRED,
        CaseStatus.RESHIPPED,
        CaseStatus.COMPENSATED,
        CaseStatus.CLOSED,
        CaseStatus.WITHDRAWN,
    }
)


# --- guards ------------------------------------------------------------------------------------


def judged_valid(complaint: Complaint, ctx: Context) -> bool:
    """The complaint was judged valid."""
    return complaint.validity is ComplaintValidity.VALID


def judged_invalid(complaint: Complaint, ctx: Context) -> bool:
    """The complaint was judged invalid."""
    return complaint.validity is ComplaintValidity.INVALID


def names_case(complaint: Complaint, ctx: Context) -> bool:
    """The solution is carried out by an after-sales case."""
    return ctx.arg("solution", ComplaintSolution).case_id is not None


def within_reopen_window(complaint: Complaint, ctx: Context) -> bool:
    """The complaint's reopening window has not ended."""
    closed = complaint.closed_at
    return closed is not None and ctx.at < closed + complaint.reopen_window


def _paused_in(step: ComplaintStatus) -> Callable[[Complaint, Context], bool]:
    def guard(complaint: Complaint, ctx: Context) -> bool:
        return complaint.paused_from is step

    guard.__name__ = guard.__qualname__ = f"paused_in_{step.value}"
    guard.__doc__ = f"The complaint paused in {step.name}."
    return guard


# --- hooks -------------------------------------------------------------------------------------

E = TypeVar("E", bound=DomainEvent)


def _event(kind: type[E], complaint: Complaint, ctx: Context, **fields: Any) -> E:
    return kind(aggregate_id=complaint.id, occurred_at=ctx.at, actor=ctx.actor, **fields)


def apply_reply(complaint: Complaint, ctx: Context) -> None:
    """Emit :class:`ComplaintReplied` (the message is also the history note)."""
    first = ctx.source is S.RECEIVED
    ctx.emit(_event(ComplaintReplied, complaint, ctx, message=ctx.note, first=first))


def apply_record(complaint: Complaint, ctx: Context) -> None:
    """Record the problem, the priority and the summary."""
    complaint.problem = ctx.arg("problem", ProblemKind)
    complaint.priority = ctx.arg("priority", ComplaintPriority)
    complaint.summary = ctx.arg("summary", str)
    ctx.emit(
        _event(
            ComplaintRecorded,
            complaint,
            ctx,
            problem=complaint.problem,
            priority=complaint.priority,
            summary=complaint.summary,
        )
    )


def apply_judgement(complaint: Complaint, ctx: Context) -> None:
    """Record the validity and the liability."""
    validity = ctx.arg("validity", ComplaintValidity)
    liability = ctx.payload.get("liability")
    complaint.validity = validity
    complaint.liability = liability if isinstance(liability, Liability) else None
    ctx.emit(
        _event(ComplaintJudged, complaint, ctx, validity=validity, liability=complaint.liability)
    )


def apply_cause(complaint: Complaint, ctx: Context) -> None:
    """Record the cause."""
    cause = ctx.arg("cause", ComplaintCause)
    complaint.cause = cause
    ctx.emit(_event(ComplaintAnalysed, complaint, ctx, cause=cause))


def apply_feedback(complaint: Complaint, ctx: Context) -> None:
    """Record the solution told to the customer."""
    solution = ctx.arg("solution", ComplaintSolution)
    complaint.solution = solution
    ctx.emit(_event(ComplaintFeedbackGiven, complaint, ctx, solution=solution))


def apply_case_outcome(complaint: Complaint, ctx: Context) -> None:
    """Record the state the after-sales case reached."""
    outcome = ctx.arg("outcome", CaseStatus)
    complaint.case_outcome = outcome
    case_id = ctx.arg("case_id", str)
    ctx.emit(_event(ComplaintCaseResolved, complaint, ctx, case_id=case_id, outcome=outcome))


def apply_visit(complaint: Complaint, ctx: Context) -> None:
    """Record the follow-up visit."""
    visit = ctx.arg("visit", FollowUpVisit)
    complaint.visit = visit
    ctx.emit(_event(ComplaintFollowedUp, complaint, ctx, visit=visit))


def apply_escalation(complaint: Complaint, ctx: Context) -> None:
    """Raise the level by one."""
    complaint.level = complaint.level + 1
    reason = ctx.arg("reason", str)
    ctx.emit(_event(ComplaintEscalated, complaint, ctx, level=complaint.level, reason=reason))


def apply_breach(complaint: Complaint, ctx: Context) -> None:
    """Add the breach to :attr:`~ecservice.complaints.Complaint.breaches`; emit
    :class:`SlaBreached`."""
    breach = ctx.arg("breach", SlaBreach)
    complaint.breaches = (*complaint.breaches, breach)
    ctx.emit(
        SlaBreached(
            aggregate_id=complaint.id,
            occurred_at=ctx.at,
            actor=ctx.actor,
            kind=breach.kind,
            index=breach.index,
            started_at=breach.started_at,
            due_at=breach.due_at,
            breached_at=breach.breached_at,
        )
    )


def apply_pause(complaint: Complaint, ctx: Context) -> None:
    """Remember the step the complaint waits in, and for whom."""
    source = ctx.source
    assert isinstance(source, ComplaintStatus)
    party = ctx.payload.get("party")
    complaint.paused_from = source
    complaint.waiting_for = party if isinstance(party, ThirdParty) else None
    ctx.emit(
        _event(
            ComplaintPaused,
            complaint,
            ctx,
            paused_from=source,
            waiting_for=complaint.waiting_for,
            reason=ctx.arg("reason", str),
        )
    )


def apply_resume(complaint: Complaint, ctx: Context) -> None:
    """Forget the wait."""
    step = complaint.paused_from
    assert step is not None
    complaint.paused_from = None
    complaint.waiting_for = None
    ctx.emit(_event(ComplaintResumed, complaint, ctx, resumed_at_step=step))


def apply_withdrawal(complaint: Complaint, ctx: Context) -> None:
    """Forget any wait; emit :class:`ComplaintWithdrawn`."""
    complaint.paused_from = None
    complaint.waiting_for = None
    ctx.emit(_event(ComplaintWithdrawn, complaint, ctx))


def emit_closed(complaint: Complaint, ctx: Context) -> None:
    """Emit :class:`ComplaintClosed`."""
    ctx.emit(_event(ComplaintClosed, complaint, ctx))


def apply_reopen(complaint: Complaint, ctx: Context) -> None:
    """Start a new round from the record: the judgement and what followed it go."""
    complaint.validity = None
    complaint.liability = None
    complaint.cause = None
    complaint.solution = None
    complaint.case_outcome = None
    complaint.visit = None
    ctx.emit(_event(ComplaintReopened, complaint, ctx))


def _resume_transitions() -> list[Transition[Complaint]]:
    # The kernel has no history states: one guarded transition back to each working step.
    return [
        transition(
            "resume",
            [S.AWAITING_CUSTOMER, S.AWAITING_THIRD_PARTY],
            step,
            conditions=[_paused_in(step)],
            before=[apply_resume],
        )
        for step in WORKING_STEPS
    ]


#: The default complaint workflow: reply, record, judge, analyse, feedback, follow-up visit.
COMPLAINT_WORKFLOW: Final[Workflow[Complaint]] = Workflow(
    "complaint",
    states=ComplaintStatus,
    initial=S.RECEIVED,
    transitions=[
        transition("reply", S.RECEIVED, S.REPLIED, before=[apply_reply]),
        transition(
            "reply", [s for s in OPEN_STATES if s is not S.RECEIVED], None, before=[apply_reply]
        ),
        transition("record", [S.REPLIED, S.RECORDED], S.RECORDED, before=[apply_record]),
        transition("judge", S.RECORDED, S.JUDGED, before=[apply_judgement]),
        transition(
            "analyse", S.JUDGED, S.ANALYSED, conditions=[judged_valid], before=[apply_cause]
        ),
        transition(
            "feedback",
            S.ANALYSED,
            S.AWAITING_CASE,
            conditions=[names_case],
            before=[apply_feedback],
        ),
        transition("feedback", S.ANALYSED, S.FOLLOW_UP, before=[apply_feedback]),
        transition(
            "feedback",
            S.JUDGED,
            S.FOLLOW_UP,
            conditions=[judged_invalid],
            unless=[names_case],
            before=[apply_feedback],
        ),
        transition("case_resolved", S.AWAITING_CASE, S.FOLLOW_UP, before=[apply_case_outcome]),
        transition("follow_up", S.FOLLOW_UP, S.CLOSED, before=[apply_visit]),
        transition("customer_unreachable", S.FOLLOW_UP, S.CLOSED, before=[apply_visit]),
        transition("escalate", OPEN_STATES, None, before=[apply_escalation]),
        # Internal, named by no clock rule: recording a breach moves no SLA clock.
        transition("record_breach", OPEN_STATES, None, before=[apply_breach]),
        transition("await_customer", WORKING_STEPS, S.AWAITING_CUSTOMER, before=[apply_pause]),
        transition(
            "await_third_party", WORKING_STEPS, S.AWAITING_THIRD_PARTY, before=[apply_pause]
        ),
        # The same wait for an inspection, testing or appraisal (检验、检测、鉴定), a trigger of
        # its own so that the history tells it apart: the regulator does not count its time.
        transition("await_inspection", WORKING_STEPS, S.AWAITING_THIRD_PARTY, before=[apply_pause]),
        *_resume_transitions(),
        transition("withdraw", OPEN_STATES, S.CLOSED, before=[apply_withdrawal]),
        transition(
            "reopen",
            S.CLOSED,
            S.REPLIED,
            conditions=[within_reopen_window],
            before=[apply_reopen],
        ),
    ],
    on_enter={S.CLOSED: [emit_closed]},
)
