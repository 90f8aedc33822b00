"""The timers of an after-sales case: when it next needs attention, and what then happens.

Each timed trigger has a pure ``prepare_<trigger>`` bound on
:class:`~ecservice.aftersales.AfterSalesCase` as ``_prepare_<trigger>``, so that
:meth:`~ecservice.workflow.Aggregate.can` answers ``True`` exactly when the timer is due.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from pendulum import DateTime

from ecservice.aftersales._case_events import CaseStatus
from ecservice.aftersales._case_prepare import freight_reimbursed, start
from ecservice.aftersales._categories import RemedyKind
from ecservice.errors import PolicyViolation
from ecservice.workflow import Actor, TransitionRecord

if TYPE_CHECKING:
    from ecservice.aftersales._case import AfterSalesCase

__all__ = [
    "TIMED_TRIGGERS",
    "TIMER_ACTOR",
    "due_trigger",
    "next_due_at",
    "prepare_auto_approve",
    "prepare_auto_close",
    "prepare_auto_receive",
    "prepare_auto_refund",
    "run_timeouts",
    "timer_actor",
]

#: Who the history names for a transition a timer fired.
TIMER_ACTOR: Final = Actor.system("aftersales-timer")
#: The triggers timers fire.
TIMED_TRIGGERS: Final = ("auto_approve", "auto_close", "auto_refund", "auto_receive")
_NOTES: Final = {
    "auto_approve": "the seller did not answer in time",
    "auto_close": "the buyer did not ship the return in time",
    "auto_refund": "the seller did not confirm receiving the return in time",
    "auto_receive": "the seller did not confirm receiving the return in time",
}
S = CaseStatus


def timer_actor(actor: Actor | None) -> Actor:
    """``actor``, or :data:`TIMER_ACTOR` for ``None``."""
    return TIMER_ACTOR if actor is None else actor


def due_trigger(case: AfterSalesCase) -> str | None:
    """The trigger the case's next timer fires, or ``None`` if no timer runs."""
    status = case.status
    if status is S.REQUESTED:
        return "auto_approve"
    if status is S.AWAITING_RETURN:
        return "auto_close"
    if status is S.RETURN_IN_TRANSIT:
        return "auto_refund" if case.remedy is RemedyKind.RETURN_AND_REFUND else "auto_receive"
    return None


def next_due_at(case: AfterSalesCase) -> DateTime | None:
    """When the case's next timer is due (see :meth:`AfterSalesCase.next_due_at`)."""
    t = case.timeouts
    status = case.status
    if status is S.REQUESTED:
        wait = t.seller_answer_shipped if case.order_shipped else t.seller_answer_unshipped
    elif status is S.AWAITING_RETURN:
        wait = t.buyer_ships_return
    elif status is S.RETURN_IN_TRANSIT:
        wait = t.seller_confirms_return
    else:
        return None
    since = case.entered_at(status)
    assert since is not None  # every state but REQUESTED is entered by a transition
    return since + wait


def run_timeouts(case: AfterSalesCase, actor: Actor | None) -> tuple[TransitionRecord, ...]:
    """Fire every timer of ``case`` due at its clock (see :meth:`AfterSalesCase.run_timeouts`)."""
    done: list[TransitionRecord] = []
    for _ in TIMED_TRIGGERS:
        due = next_due_at(case)
        name = due_trigger(case)
        if due is None or name is None or case.clock.now() < due:
            break
        done.append(getattr(case, name)(actor=actor))
    return tuple(done)


def _prepare(case: AfterSalesCase, trigger: str, actor: object) -> dict[str, Any]:
    payload = start(case, trigger, TIMER_ACTOR if actor is None else actor, "")
    due = next_due_at(case)
    name = due_trigger(case)
    if due is None or name != trigger:
        raise PolicyViolation(
            f"case {case.id!r} in {case.status.name} has no {trigger!r} timer"
            + (f"; its next timer is {name!r} at {due.isoformat()}" if due and name else "")
        )
    now = case.clock.now()
    if now < due:
        raise PolicyViolation(
            f"case {case.id!r}: {trigger!r} is due at {due.isoformat()}, not yet at "
            f"{now.isoformat()}"
        )
    payload["note"] = _NOTES[trigger]
    return payload


def prepare_auto_approve(self: AfterSalesCase, *, actor: Actor | None = None) -> dict[str, Any]:
    payload = _prepare(self, "auto_approve", actor)
    payload["agreed"] = self.asked
    return payload


def prepare_auto_close(self: AfterSalesCase, *, actor: Actor | None = None) -> dict[str, Any]:
    return _prepare(self, "auto_close", actor)


def prepare_auto_refund(self: AfterSalesCase, *, actor: Actor | None = None) -> dict[str, Any]:
    payload = _prepare(self, "auto_refund", actor)
    payload["amount"] = self.refundable
    payload["freight"] = freight_reimbursed(self)
    return payload


def prepare_auto_receive(self: AfterSalesCase, *, actor: Actor | None = None) -> dict[str, Any]:
    payload = _prepare(self, "auto_receive", actor)
    payload["freight"] = freight_reimbursed(self)
    return payload
