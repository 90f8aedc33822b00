"""The draft workflow: its hooks, its guard and :data:`DRAFT_WORKFLOW`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Final

from ecservice.payments.ebills._acts import DishonourReason, DraftAct
from ecservice.payments.ebills._events import (
    DraftAccepted,
    DraftCancelled,
    DraftClosed,
    DraftDelivered,
    DraftDishonoured,
    DraftEndorsed,
    DraftExpired,
    DraftGuaranteed,
    DraftPaid,
    DraftPresented,
    DraftStatus,
    RecourseClaimed,
    RecourseSettled,
)
from ecservice.payments.ebills._ledger import Ledger
from ecservice.workflow import Context, DomainEvent, Workflow, transition

if TYPE_CHECKING:
    from ecservice.payments.ebills._draft import ElectronicDraft

__all__ = ["DRAFT_WORKFLOW", "settles_finally"]

_Event = Callable[[str, Context, DraftAct, Ledger], DomainEvent]


def _accepted(i: str, c: Context, act: DraftAct, _: Ledger) -> DomainEvent:
    return DraftAccepted(aggregate_id=i, occurred_at=c.at, actor=c.actor, acceptor=act.by)


def _delivered(i: str, c: Context, act: DraftAct, _: Ledger) -> DomainEvent:
    assert act.party is not None
    return DraftDelivered(aggregate_id=i, occurred_at=c.at, actor=c.actor, payee=act.party)


def _endorsed(i: str, c: Context, act: DraftAct, _: Ledger) -> DomainEvent:
    assert act.party is not None
    return DraftEndorsed(
        aggregate_id=i,
        occurred_at=c.at,
        actor=c.actor,
        endorser=act.by,
        endorsee=act.party,
        not_transferable=act.not_transferable,
    )


def _guaranteed(i: str, c: Context, act: DraftAct, _: Ledger) -> DomainEvent:
    assert act.party is not None
    return DraftGuaranteed(
        aggregate_id=i, occurred_at=c.at, actor=c.actor, guarantor=act.by, guaranteed=act.party
    )


def _presented(i: str, c: Context, act: DraftAct, ledger: Ledger) -> DomainEvent:
    return DraftPresented(
        aggregate_id=i, occurred_at=c.at, actor=c.actor, holder=act.by, overdue=ledger.overdue
    )


def _paid(i: str, c: Context, act: DraftAct, ledger: Ledger) -> DomainEvent:
    assert act.amount is not None
    return DraftPaid(
        aggregate_id=i,
        occurred_at=c.at,
        actor=c.actor,
        payer=act.by,
        payee=ledger.holder,
        amount=act.amount,
    )


def _dishonoured(i: str, c: Context, act: DraftAct, ledger: Ledger) -> DomainEvent:
    assert act.reason is not None
    return DraftDishonoured(
        aggregate_id=i, occurred_at=c.at, actor=c.actor, holder=ledger.holder, reason=act.reason
    )


def _claimed(i: str, c: Context, act: DraftAct, _: Ledger) -> DomainEvent:
    assert act.party is not None
    assert act.claimed is not None
    return RecourseClaimed(
        aggregate_id=i,
        occurred_at=c.at,
        actor=c.actor,
        claimant=act.by,
        against=act.party,
        amount=act.claimed,
    )


def _settled(i: str, c: Context, act: DraftAct, ledger: Ledger) -> DomainEvent:
    assert act.amount is not None
    paid = ledger.payments[-1]
    return RecourseSettled(
        aggregate_id=i,
        occurred_at=c.at,
        actor=c.actor,
        payer=act.by,
        payee=paid.payee,
        amount=act.amount,
        final=ledger.status is DraftStatus.SETTLED,
    )


_EVENTS: Final[dict[str, _Event]] = {
    "accept": _accepted,
    "deliver": _delivered,
    "endorse": _endorsed,
    "guarantee": _guaranteed,
    "present": _presented,
    "pay": _paid,
    "dishonour": _dishonoured,
    "claim_recourse": _claimed,
    "settle_recourse": _settled,
}


def _record_act(draft: ElectronicDraft, ctx: Context) -> None:
    act = ctx.arg("act", DraftAct)
    ledger = ctx.arg("ledger", Ledger)
    draft.acts = (*draft.acts, act)
    ctx.emit(_EVENTS[ctx.trigger](draft.id, ctx, act, ledger))


def _timer_event(draft: ElectronicDraft, ctx: Context) -> None:
    i, at, actor = draft.id, ctx.at, ctx.actor
    if ctx.trigger == "cancel":
        ctx.emit(DraftCancelled(aggregate_id=i, occurred_at=at, actor=actor))
    elif ctx.trigger == "expire":
        ctx.emit(DraftExpired(aggregate_id=i, occurred_at=at, actor=actor))
    elif ctx.trigger == "deem_dishonoured":
        holder = ctx.arg("ledger", Ledger).holder
        ctx.emit(
            DraftDishonoured(
                aggregate_id=i,
                occurred_at=at,
                actor=actor,
                holder=holder,
                reason=DishonourReason.NO_ANSWER,
            )
        )
    else:
        ctx.emit(DraftClosed(aggregate_id=i, occurred_at=at, actor=actor))


def settles_finally(draft: ElectronicDraft, ctx: Context) -> bool:
    """The party settling a recourse claim has no earlier party left: the draft is settled."""
    return ctx.arg("ledger", Ledger).status is DraftStatus.SETTLED


S = DraftStatus
_ACT = [_record_act]
_TIMER = [_timer_event]

#: The default workflow of an electronic commercial draft.
DRAFT_WORKFLOW: Final[Workflow[ElectronicDraft]] = Workflow(
    "electronic_draft",
    states=DraftStatus,
    initial=S.ISSUED,
    final=[S.PAID, S.SETTLED, S.CANCELLED, S.CLOSED],
    transitions=[
        transition("accept", S.ISSUED, S.ACCEPTED, before=_ACT),
        transition("deliver", S.ACCEPTED, S.HELD, before=_ACT),
        transition("endorse", S.HELD, None, before=_ACT),
        transition("guarantee", [S.ISSUED, S.ACCEPTED, S.HELD], None, before=_ACT),
        transition("present", [S.HELD, S.EXPIRED], S.PRESENTED, before=_ACT),
        transition("pay", S.PRESENTED, S.PAID, before=_ACT),
        transition("dishonour", S.PRESENTED, S.DISHONOURED, before=_ACT),
        transition("claim_recourse", S.DISHONOURED, S.IN_RECOURSE, before=_ACT),
        transition("claim_recourse", S.IN_RECOURSE, None, before=_ACT),
        transition(
            "settle_recourse",
            S.IN_RECOURSE,
            S.SETTLED,
            conditions=[settles_finally],
            before=_ACT,
        ),
        transition("settle_recourse", S.IN_RECOURSE, S.DISHONOURED, before=_ACT),
        transition("cancel", [S.ISSUED, S.ACCEPTED], S.CANCELLED, before=_TIMER),
        transition("expire", S.HELD, S.EXPIRED, before=_TIMER),
        transition("deem_dishonoured", S.PRESENTED, S.DISHONOURED, before=_TIMER),
        transition("close", [S.DISHONOURED, S.IN_RECOURSE, S.EXPIRED], S.CLOSED, before=_TIMER),
    ],
)
