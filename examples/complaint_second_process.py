"""The second complaint process as a custom workflow: receive, initial handling, investigate,
solution, implement, archive and feedback (接收投诉, 初步处理, 调查处理, 解决方案, 实施解决方案,
归档与反馈).

It is derived from the default complaint workflow, whose steps it shares: the complaint is
received (``RECEIVED``); initial handling is the first reply and the record; the investigation
is the judgement and the analysis (with waits for a third party, such as a testing lab); the
solution is the feedback. Two steps are the shop's own: a solution carried out by the shop
itself (no after-sales case) is *implemented* (a new state, ``IMPLEMENTING``, and a trigger
``implement``) before the follow-up visit, and a closed complaint is *archived* (``ARCHIVED``,
final: it can no longer be reopened). The feedback transitions are replaced so that they lead to
the new state; the subclass declares the two new triggers with typed signatures.

Run: ``python examples/complaint_second_process.py``
"""

from __future__ import annotations

from collections.abc import Callable
from typing import final

import attrs
import pendulum

from ecservice.aftersales import Liability, ProblemKind
from ecservice.clock import FixedClock
from ecservice.complaints import (
    COMPLAINT_WORKFLOW,
    Complaint,
    ComplaintChannel,
    ComplaintFeedbackGiven,
    ComplaintSolution,
    ComplaintStatus,
    ComplaintValidity,
    RootCause,
    ThirdParty,
)
from ecservice.errors import InvalidTransition
from ecservice.workflow import (
    Actor,
    Context,
    DomainEvent,
    LabelledState,
    TransitionRecord,
    bind_workflow,
    transition,
    trigger,
)

S = ComplaintStatus


class Step(LabelledState):
    """The shop's own states."""

    IMPLEMENTING = ("implementing", "Implementing the solution", "实施解决方案")
    ARCHIVED = ("archived", "Archived", "已归档")


@final
@attrs.frozen(slots=True, kw_only=True)
class SolutionImplemented(DomainEvent):
    """The shop carried out the solution it told the customer."""


@final
@attrs.frozen(slots=True, kw_only=True)
class ComplaintArchived(DomainEvent):
    """The closed complaint was filed for good."""


@attrs.define(slots=True, kw_only=True, on_setattr=attrs.setters.NO_OP)
class SecondProcessComplaint(Complaint):
    """A complaint handled by the second process."""

    @trigger
    def implement(self, *, actor: Actor, note: str = "") -> TransitionRecord:
        """Record that the solution was carried out (实施解决方案)."""
        raise NotImplementedError  # never run: calling it fires the trigger

    @trigger
    def archive(self, *, actor: Actor, note: str = "") -> TransitionRecord:
        """File the closed complaint (归档); it cannot be reopened afterwards."""
        raise NotImplementedError  # never run: calling it fires the trigger


def names_case(complaint: Complaint, ctx: Context) -> bool:
    """The solution is carried out by an after-sales case."""
    return ctx.arg("solution", ComplaintSolution).case_id is not None


def judged_invalid(complaint: Complaint, ctx: Context) -> bool:
    """The complaint was judged invalid."""
    return complaint.validity is ComplaintValidity.INVALID


def tell_solution(complaint: Complaint, ctx: Context) -> None:
    """Record the solution told to the customer."""
    solution = ctx.arg("solution", ComplaintSolution)
    complaint.solution = solution
    ctx.emit(
        ComplaintFeedbackGiven(
            aggregate_id=complaint.id, occurred_at=ctx.at, actor=ctx.actor, solution=solution
        )
    )


def emit(kind: type[DomainEvent]) -> Callable[[Complaint, Context], None]:
    """A hook emitting an event of ``kind``."""

    def hook(complaint: Complaint, ctx: Context) -> None:
        ctx.emit(kind(aggregate_id=complaint.id, occurred_at=ctx.at, actor=ctx.actor))

    hook.__name__ = f"emit_{kind.__name__}"
    return hook


SECOND_PROCESS = COMPLAINT_WORKFLOW.derive(
    "complaint_second_process",
    add_states=[Step.IMPLEMENTING, Step.ARCHIVED],
    remove_transitions=["feedback"],
    add_transitions=[
        transition(
            "feedback", S.ANALYSED, S.AWAITING_CASE, conditions=[names_case], before=[tell_solution]
        ),
        transition("feedback", S.ANALYSED, Step.IMPLEMENTING, before=[tell_solution]),
        transition(
            "feedback",
            S.JUDGED,
            S.FOLLOW_UP,
            conditions=[judged_invalid],
            unless=[names_case],
            before=[tell_solution],
        ),
        transition(
            "implement",
            Step.IMPLEMENTING,
            S.FOLLOW_UP,
            before=[emit(SolutionImplemented)],
        ),
        transition("archive", S.CLOSED, Step.ARCHIVED, before=[emit(ComplaintArchived)]),
    ],
    # While the solution is carried out, the customer still gets replies, may be escalated and
    # may withdraw, as in every open state.
    add_sources={
        "reply": {Step.IMPLEMENTING: S.JUDGED},
        "escalate": [Step.IMPLEMENTING],
        "withdraw": [Step.IMPLEMENTING],
    },
    final=[Step.ARCHIVED],
)
bind_workflow(SecondProcessComplaint, SECOND_PROCESS)

#: The six steps of the second process, and the triggers that carry them out.
STEPS = (
    ("接收投诉", "receive", "the complaint is created (RECEIVED)"),
    ("初步处理", "initial handling", "reply, record"),
    ("调查处理", "investigate", "judge, analyse (await_third_party, resume)"),
    ("解决方案", "solution", "feedback"),
    ("实施解决方案", "implement", "implement, or the after-sales case (case_resolved)"),
    ("归档与反馈", "archive and feedback", "follow_up, archive"),
)


def main() -> None:
    clock = FixedClock(pendulum.datetime(2026, 6, 18, 20, 5, tz="Asia/Shanghai"))
    agent = Actor.staff("kefu-03")
    complaint = SecondProcessComplaint(
        id="TS-618-9",
        buyer_id="b-205",
        text="The rice cooker's coating peels off.",
        channel=ComplaintChannel.EMAIL,
        opened_at=clock.now(),
        order_id="O-618-77",
        lines={"COOKER-3": 1},
        clock=clock,
    )
    for zh, en, how in STEPS:
        print(f"{zh} ({en}): {how}")
    complaint.reply(message="Thank you, we will look into it today.", actor=agent)
    complaint.record(
        problem=ProblemKind.QUALITY, summary="Coating peels after 2 weeks.", actor=agent
    )
    complaint.await_third_party(party=ThirdParty.TESTING, reason="coating test", actor=agent)
    complaint.resume(actor=agent, note="the lab found a thin coating")
    complaint.judge(valid=True, liability=Liability.SELLER, actor=agent)
    complaint.analyse(
        cause="Thin coating in one batch.", root_cause=RootCause.SUPPLIER, actor=agent
    )
    complaint.feedback(solution="We send a new inner pot by courier.", actor=agent)
    print(f"{complaint.id}: {complaint.status.label_en} / {complaint.status.label_zh}")
    complaint.implement(actor=agent, note="new pot sent, SF3003")
    complaint.follow_up(satisfaction=4, comment="Quick, thanks.", actor=agent)
    complaint.archive(actor=agent)
    try:
        complaint.reopen(actor=agent)
    except InvalidTransition as exc:
        print("refused:", exc)
    moves = [r.dest.name for r in complaint.history if r.dest is not r.source]
    print(f"{complaint.id}: " + " -> ".join(["RECEIVED", *moves]))
    print("final:", complaint.is_final)


if __name__ == "__main__":
    main()
