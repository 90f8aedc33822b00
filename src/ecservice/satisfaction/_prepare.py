"""The pure half of each survey trigger: check the arguments, return the payload.

Each ``prepare_<trigger>`` function is bound on :class:`~ecservice.satisfaction.Survey` as its
``_prepare_<trigger>`` method: the typed trigger method fires the payload it returns, and
:meth:`~ecservice.workflow.Aggregate.can` calls it, so ``can`` answers ``True`` exactly when the
typed call succeeds. Every check runs before anything changes: a refused call leaves the survey
as it was.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ecservice.errors import PolicyViolation, ValidationError
from ecservice.satisfaction._checks import times
from ecservice.satisfaction._errors import NotTheCustomer
from ecservice.satisfaction._values import answers_for
from ecservice.text import check_optional_text
from ecservice.workflow import Actor, ActorKind
from ecservice.workflow._arguments import REQUIRED, require

if TYPE_CHECKING:
    from ecservice.satisfaction._survey import Survey

__all__ = [
    "check_answerer",
    "prepare_answer",
    "prepare_cancel",
    "prepare_expire",
    "prepare_remind",
    "prepare_send",
]


def _start(survey: Survey, trigger: str, actor: object, note: object) -> dict[str, Any]:
    survey._ensure_allowed(trigger)
    if not isinstance(actor, Actor):
        raise ValidationError(f"actor must be an Actor, not {type(actor).__name__}")
    now = survey.clock.now()
    if now < survey.scheduled_at:
        raise ValidationError(
            f"cannot {trigger} survey {survey.id!r} at {now.isoformat()}: its clock is before "
            f"the survey was scheduled ({survey.scheduled_at.isoformat()})"
        )
    return {"note": check_optional_text(note, "note")}


def _window_open(survey: Survey, trigger: str) -> None:
    ends = survey.expires_at
    assert ends is not None  # awaiting states are entered by sending
    now = survey.clock.now()
    if now >= ends:
        raise PolicyViolation(
            f"cannot {trigger} {survey._subject()}: its response window ended at "
            f"{ends.isoformat()} (it is {now.isoformat()}); a late answer is not recorded, "
            "expire the survey instead"
        )


def prepare_send(self: Survey, *, actor: Actor, note: object = "") -> dict[str, Any]:
    return _start(self, "send", actor, note)


def prepare_remind(self: Survey, *, actor: Actor, note: object = "") -> dict[str, Any]:
    payload = _start(self, "remind", actor, note)
    _window_open(self, "remind")
    if self.reminders >= self.max_reminders:
        raise PolicyViolation(
            f"{self._subject()} was reminded {times(self.reminders)}; it allows "
            f"{self.max_reminders} (max_reminders)"
        )
    return payload


def check_answerer(survey: Survey, actor: object) -> None:
    """Refuse an ``actor`` who may not answer ``survey``: anyone but the customer surveyed
    (``Actor.buyer(customer_id)``) and the shop's staff (recording a survey by phone).

    Raises:
        ValidationError: ``actor`` is not an :class:`~ecservice.workflow.Actor`.
        NotTheCustomer: another buyer, a carrier, a system job.
    """
    if not isinstance(actor, Actor):
        raise ValidationError(f"actor must be an Actor, not {type(actor).__name__}")
    if actor.kind is not ActorKind.STAFF and (
        actor.kind is not ActorKind.BUYER or actor.id != survey.customer_id
    ):
        raise NotTheCustomer(
            f"only the customer {survey.customer_id!r} may answer {survey._subject()}, not "
            f"{actor.kind.value} {actor.id!r}; answer it as Actor.buyer({survey.customer_id!r}), "
            "or as staff recording a survey by phone (Actor.staff(...))"
        )


def prepare_answer(self: Survey, *, answers: object = REQUIRED, actor: Actor) -> dict[str, Any]:
    payload = _start(self, "answer", actor, "")
    # Who answers is checked before the answers, so that nobody else learns anything of them.
    check_answerer(self, actor)
    require("answer", answers=answers)
    checked = answers_for(self.questions, answers)
    _window_open(self, "answer")
    payload["answers"] = checked
    return payload


def prepare_expire(self: Survey, *, actor: Actor, note: object = "") -> dict[str, Any]:
    payload = _start(self, "expire", actor, note)
    ends = self.expires_at
    assert ends is not None
    now = self.clock.now()
    if now < ends:
        raise PolicyViolation(
            f"{self._subject()} cannot expire before its response window ends at "
            f"{ends.isoformat()} (it is {now.isoformat()})"
        )
    return payload


def prepare_cancel(self: Survey, *, actor: Actor, note: object = "") -> dict[str, Any]:
    return _start(self, "cancel", actor, note)
