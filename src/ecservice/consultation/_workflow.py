"""The default consultation workflow (the reception flow, 接待流程): guards, hooks and the
transition table."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, TypeVar

from ecservice.consultation._confirmation import OrderDetails
from ecservice.consultation._events import (
    ClosingAttempted,
    ConsultationCompleted,
    ConsultationEnded,
    ConsultationGreeted,
    ConsultationOrderConfirmed,
    ConsultationStatus,
    ConsultationTransferred,
    EnquiryTaken,
    FarewellSaid,
    HandedOver,
    ObjectionHandled,
    ProductRecommended,
    RemarkFollowedUp,
)
from ecservice.consultation._values import Enquiry, Message, ObjectionKind, Remark, Sender
from ecservice.errors import GuardRejected, ValidationError
from ecservice.workflow import Actor, ActorKind, Context, DomainEvent, Workflow, transition
from ecservice.workflow._engine import _guard_name as guard_name

if TYPE_CHECKING:
    from ecservice.consultation._session import ConsultationSession

__all__ = [
    "ACTOR_GUARDS",
    "CONSULTATION_WORKFLOW",
    "END_STATES",
    "OPEN_STATES",
    "PRE_ORDER_STATES",
    "SELLING_STATES",
    "by_agent",
    "by_sender",
    "by_staff_or_system",
    "check_actor",
]

S = ConsultationStatus

#: The selling steps: enquiries, recommendations, objections and closing loop among them.
SELLING_STATES: Final[tuple[ConsultationStatus, ...]] = (
    S.ENQUIRING,
    S.RECOMMENDING,
    S.HANDLING_OBJECTION,
    S.CLOSING,
)
#: The states before an order is confirmed, where a session may end without an order.
PRE_ORDER_STATES: Final[tuple[ConsultationStatus, ...]] = (S.OPENED, S.GREETED, *SELLING_STATES)
#: The three ends of a session: completed, ended without an order, handed to after-sales.
END_STATES: Final[frozenset[ConsultationStatus]] = frozenset({S.COMPLETED, S.ENDED, S.TRANSFERRED})
#: Every state but the ends: messages and the hand-over to after-sales are allowed in each.
OPEN_STATES: Final[tuple[ConsultationStatus, ...]] = tuple(
    s for s in ConsultationStatus if s not in END_STATES
)


# --- guards ------------------------------------------------------------------------------------


def by_agent(session: ConsultationSession, ctx: Context) -> bool:
    """Fired by the shop's customer service (Actor.staff(...)), not the buyer nor anyone else.

    The reception flow is the agent's: greeting, enquiries, recommendations, objections,
    closing, the order's confirmation, the goodbye, the hand-over and its follow-ups."""
    return ctx.actor.kind is ActorKind.STAFF


def by_staff_or_system(session: ConsultationSession, ctx: Context) -> bool:
    """Fired by the shop's customer service or the system (Actor.staff or Actor.system).

    Completing a session, ending one the buyer left and handing one to after-sales are done
    by the agent or by the shop's chat system."""
    return ctx.actor.kind is ActorKind.STAFF or ctx.actor.kind is ActorKind.SYSTEM


def by_sender(session: ConsultationSession, ctx: Context) -> bool:
    """Recorded by its sender (agent: Actor.staff; buyer: the session's buyer) or the chat log.

    An agent's message is recorded by staff, a buyer's message by the session's buyer
    (``Actor.buyer(buyer_id)``); the shop's chat log (an ``Actor.system(...)``) records
    either."""
    actor = ctx.actor
    if actor.kind is ActorKind.SYSTEM:
        return True
    message = ctx.payload.get("message")
    sender = message.sender if isinstance(message, Message) else ctx.payload.get("sender")
    if sender is Sender.AGENT:
        return actor.kind is ActorKind.STAFF
    return actor.kind is ActorKind.BUYER and actor.id == session.buyer_id


#: Who may fire each trigger of :data:`CONSULTATION_WORKFLOW`: the guard on its transitions.
ACTOR_GUARDS: Final[dict[str, Any]] = {
    "message": by_sender,
    "greet": by_agent,
    "take_enquiry": by_agent,
    "recommend": by_agent,
    "handle_objection": by_agent,
    "close_deal": by_agent,
    "confirm_order": by_agent,
    "say_goodbye": by_agent,
    "hand_over": by_agent,
    "follow_up_remark": by_agent,
    "complete": by_staff_or_system,
    "end": by_staff_or_system,
    "transfer_to_aftersales": by_staff_or_system,
}


def check_actor(
    session: ConsultationSession, trigger: str, actor: object, **payload: object
) -> None:
    """Refuse an ``actor`` who may not fire ``trigger`` of the default workflow, whatever the
    session's state (a replay of a step already taken checks who asks); ``payload`` holds what
    the guard reads (``sender`` for a message).

    Raises:
        ValidationError: ``actor`` is not an :class:`~ecservice.workflow.Actor`.
        GuardRejected: the trigger's actor guard (:data:`ACTOR_GUARDS`) rejects ``actor``.
    """
    if type(actor) is not Actor:
        raise ValidationError(f"actor must be an Actor, not {type(actor).__name__}")
    guard = ACTOR_GUARDS[trigger]
    ctx = Context(trigger, session.status, session.clock.now(), actor, "", payload)
    if not guard(session, ctx):
        raise GuardRejected(
            trigger, session.status.name, [guard_name(guard)], subject=session._subject()
        )


def has_order(session: ConsultationSession, ctx: Context) -> bool:
    """An order was confirmed."""
    return session.order is not None


def remarks_followed_up(session: ConsultationSession, ctx: Context) -> bool:
    """Every hand-over remark was followed up."""
    return all(r.followed_up for r in session.remarks)


# --- hooks -------------------------------------------------------------------------------------

E = TypeVar("E", bound=DomainEvent)


def _event(event_type: type[E], session: ConsultationSession, ctx: Context, **fields: Any) -> E:
    return event_type(aggregate_id=session.id, occurred_at=ctx.at, actor=ctx.actor, **fields)


def apply_message(session: ConsultationSession, ctx: Context) -> None:
    """Add the message to :attr:`~ecservice.consultation.ConsultationSession.messages` (no
    event: messages are many; the history note describes it)."""
    session.messages = (*session.messages, ctx.arg("message", Message))


def apply_greeting(session: ConsultationSession, ctx: Context) -> None:
    """Emit :class:`ConsultationGreeted`."""
    ctx.emit(_event(ConsultationGreeted, session, ctx))


def apply_enquiry(session: ConsultationSession, ctx: Context) -> None:
    """Add the enquiry, stamped with the transition's instant."""
    taken = ctx.arg("enquiry", Enquiry)
    enquiry = Enquiry(type=taken.type, at=ctx.at, note=taken.note)
    session.enquiries = (*session.enquiries, enquiry)
    ctx.emit(_event(EnquiryTaken, session, ctx, enquiry=enquiry))


def apply_recommendation(session: ConsultationSession, ctx: Context) -> None:
    """Add the item recommended."""
    sku = ctx.arg("sku", str)
    session.recommended = (*session.recommended, sku)
    ctx.emit(_event(ProductRecommended, session, ctx, sku=sku))


def apply_objection(session: ConsultationSession, ctx: Context) -> None:
    """Add the objection handled."""
    kind = ctx.arg("kind", ObjectionKind)
    session.objections = (*session.objections, kind)
    ctx.emit(_event(ObjectionHandled, session, ctx, kind=kind))


def apply_closing(session: ConsultationSession, ctx: Context) -> None:
    """Emit :class:`ClosingAttempted`."""
    ctx.emit(_event(ClosingAttempted, session, ctx))


def apply_confirmation(session: ConsultationSession, ctx: Context) -> None:
    """Record the confirmed order (the checks passed when the call was prepared)."""
    details = ctx.arg("details", OrderDetails)
    session.order = details
    ctx.emit(_event(ConsultationOrderConfirmed, session, ctx, details=details))


def apply_goodbye(session: ConsultationSession, ctx: Context) -> None:
    """Emit :class:`FarewellSaid`."""
    ctx.emit(_event(FarewellSaid, session, ctx, with_order=session.order is not None))


def apply_hand_over(session: ConsultationSession, ctx: Context) -> None:
    """Record the remarks, none followed up yet."""
    remarks: tuple[Remark, ...] = ctx.arg("remarks", tuple)
    session.remarks = remarks
    order = session.order
    assert order is not None  # guarded by has_order
    ctx.emit(
        _event(
            HandedOver,
            session,
            ctx,
            order_id=order.order_id,
            remarks=tuple(r.text for r in remarks),
        )
    )


def apply_follow_up(session: ConsultationSession, ctx: Context) -> None:
    """Mark the remark followed up."""
    index = ctx.arg("index", int)
    note = ctx.note
    remarks = list(session.remarks)
    remarks[index] = Remark(text=remarks[index].text, followed_up=True, note=note)
    session.remarks = tuple(remarks)
    ctx.emit(_event(RemarkFollowedUp, session, ctx, index=index, note=note))


def emit_completed(session: ConsultationSession, ctx: Context) -> None:
    """Emit :class:`ConsultationCompleted`."""
    ctx.emit(_event(ConsultationCompleted, session, ctx))


def emit_ended(session: ConsultationSession, ctx: Context) -> None:
    """Emit :class:`ConsultationEnded` (the reason is the history note)."""
    ctx.emit(_event(ConsultationEnded, session, ctx, reason=ctx.note))


def apply_transfer(session: ConsultationSession, ctx: Context) -> None:
    """Record the after-sales case, if named."""
    case_id = ctx.payload.get("case_id")
    session.aftersales_case_id = case_id if isinstance(case_id, str) else None
    ctx.emit(
        _event(
            ConsultationTransferred,
            session,
            ctx,
            reason=ctx.note,
            case_id=session.aftersales_case_id,
        )
    )


#: The default consultation workflow: greet, enquire, recommend, handle objections, close the
#: deal, confirm the order, say goodbye, hand over for shipping (the reception flow, 接待流程).
CONSULTATION_WORKFLOW: Final[Workflow[ConsultationSession]] = Workflow(
    "consultation",
    states=ConsultationStatus,
    initial=S.OPENED,
    final=[S.COMPLETED, S.ENDED, S.TRANSFERRED],
    # Each transition is guarded by who may fire it (ACTOR_GUARDS): the agent for the reception
    # flow, the sender or the chat log for messages, the agent or the system for the ends. A
    # derived workflow keeps the guards of the transitions it keeps, and may drop or replace
    # them.
    transitions=[
        transition("message", OPEN_STATES, None, conditions=[by_sender], before=[apply_message]),
        transition("greet", S.OPENED, S.GREETED, conditions=[by_agent], before=[apply_greeting]),
        transition(
            "take_enquiry",
            [S.GREETED, *SELLING_STATES],
            S.ENQUIRING,
            conditions=[by_agent],
            before=[apply_enquiry],
        ),
        transition(
            "recommend",
            [S.ENQUIRING, S.RECOMMENDING, S.HANDLING_OBJECTION],
            S.RECOMMENDING,
            conditions=[by_agent],
            before=[apply_recommendation],
        ),
        transition(
            "handle_objection",
            [S.RECOMMENDING, S.HANDLING_OBJECTION, S.CLOSING],
            S.HANDLING_OBJECTION,
            conditions=[by_agent],
            before=[apply_objection],
        ),
        transition(
            "close_deal",
            [S.ENQUIRING, S.RECOMMENDING, S.HANDLING_OBJECTION],
            S.CLOSING,
            conditions=[by_agent],
            before=[apply_closing],
        ),
        transition(
            "confirm_order",
            SELLING_STATES,
            S.ORDER_CONFIRMED,
            conditions=[by_agent],
            before=[apply_confirmation],
        ),
        transition(
            "confirm_order",
            S.ORDER_CONFIRMED,
            None,
            conditions=[by_agent],
            before=[apply_confirmation],
        ),
        transition(
            "say_goodbye",
            [S.GREETED, *SELLING_STATES, S.ORDER_CONFIRMED],
            S.FAREWELL,
            conditions=[by_agent],
            before=[apply_goodbye],
        ),
        transition(
            "hand_over",
            S.FAREWELL,
            S.HANDED_OVER,
            conditions=[by_agent, has_order],
            before=[apply_hand_over],
        ),
        transition(
            "follow_up_remark",
            S.HANDED_OVER,
            None,
            conditions=[by_agent],
            before=[apply_follow_up],
        ),
        transition(
            "complete",
            S.HANDED_OVER,
            S.COMPLETED,
            conditions=[by_staff_or_system, remarks_followed_up],
        ),
        transition(
            "end",
            [*PRE_ORDER_STATES, S.FAREWELL],
            S.ENDED,
            conditions=[by_staff_or_system],
            unless=[has_order],
            before=[emit_ended],
        ),
        transition(
            "transfer_to_aftersales",
            OPEN_STATES,
            S.TRANSFERRED,
            conditions=[by_staff_or_system],
            before=[apply_transfer],
        ),
    ],
    on_enter={S.COMPLETED: [emit_completed]},
)
