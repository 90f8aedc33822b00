"""The pure half of each feedback trigger: check the arguments, return the payload.

Each ``prepare_<trigger>`` function is bound on :class:`~ecservice.feedback.FeedbackRecord` as
its ``_prepare_<trigger>`` method: the typed trigger method fires the payload it returns, and
:meth:`~ecservice.workflow.Aggregate.can` calls it, so ``can`` answers ``True`` exactly when the
typed call succeeds. Every check runs before anything changes: a refused call leaves the record
as it was.
"""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING, Any

from ecservice._shown import shown
from ecservice.calendar import WorkingCalendar
from ecservice.clock import ensure_utc
from ecservice.errors import PolicyViolation, ValidationError
from ecservice.feedback._policy import FeedbackPolicy
from ecservice.feedback._values import FeedbackKind, RevisitAnchor, RevisitOutcome, Sentiment
from ecservice.text import LONG_TEXT_MAX, check_optional_text, check_text
from ecservice.workflow import Actor
from ecservice.workflow._arguments import REQUIRED, require

if TYPE_CHECKING:
    from ecservice.feedback._record import FeedbackRecord

__all__ = [
    "prepare_answer",
    "prepare_close",
    "prepare_mark_overdue",
    "prepare_read",
    "prepare_record",
    "prepare_revisit",
    "prepare_schedule_revisits",
]


def _start(record: FeedbackRecord, trigger: str, actor: object, note: object) -> dict[str, Any]:
    """The checks every trigger starts with: allowed in the state, an :class:`Actor`, a clock
    not before the receipt (a transition is recorded at the clock's instant)."""
    record._ensure_allowed(trigger)
    if not isinstance(actor, Actor):
        raise ValidationError(f"actor must be an Actor, not {type(actor).__name__}")
    now = record.clock.now()
    if now < record.received_at:
        raise ValidationError(
            f"cannot {trigger} feedback {record.id!r} at {now.isoformat()}: its clock is before "
            f"the feedback was received ({record.received_at.isoformat()})"
        )
    return {"note": check_optional_text(note, "note")}


def _member(value: object, kind: type, what: str) -> Any:
    if not isinstance(value, kind):
        names = ", ".join(m.name for m in kind)  # type: ignore[attr-defined]
        raise ValidationError(f"{what} must be a {kind.__name__} ({names}), not {shown(value)}")
    return value


def prepare_read(self: FeedbackRecord, *, actor: Actor, note: object = "") -> dict[str, Any]:
    return _start(self, "read", actor, note)


def prepare_record(
    self: FeedbackRecord,
    *,
    kind: object = REQUIRED,
    sentiment: object = REQUIRED,
    summary: object = REQUIRED,
    actor: Actor,
    order_id: object = None,
    case_id: object = None,
    complaint_id: object = None,
    note: object = "",
) -> dict[str, Any]:
    payload = _start(self, "record", actor, note)
    require("record", kind=kind, sentiment=sentiment, summary=summary)
    payload["kind"] = _member(kind, FeedbackKind, "kind")
    payload["sentiment"] = _member(sentiment, Sentiment, "sentiment")
    payload["summary"] = check_text(
        summary, "a feedback's summary", limit=LONG_TEXT_MAX, multiline=True
    )
    for name, value in (
        ("order_id", order_id),
        ("case_id", case_id),
        ("complaint_id", complaint_id),
    ):
        if value is not None:
            payload[name] = check_text(value, f"a feedback's {name}")
    return payload


def prepare_answer(
    self: FeedbackRecord, *, message: object = REQUIRED, actor: Actor
) -> dict[str, Any]:
    payload = _start(self, "answer", actor, "")
    require("answer", message=message)
    payload["message"] = payload["note"] = check_text(
        message, "an answer's message", limit=LONG_TEXT_MAX, multiline=True
    )
    return payload


def prepare_mark_overdue(self: FeedbackRecord, *, actor: Actor) -> dict[str, Any]:
    payload = _start(self, "mark_overdue", actor, "")
    due = self.answer_due_at
    if self.overdue_at is not None:
        raise PolicyViolation(
            f"{self._subject()} is already late from {due.isoformat()}; lateness is recorded once"
        )
    now = self.clock.now()
    if now < due:
        raise PolicyViolation(
            f"{self._subject()} is due at {due.isoformat()}: it is not late at {now.isoformat()}"
        )
    payload["note"] = f"answer due at {due.isoformat()}"
    return payload


def _anchor(record: FeedbackRecord, value: object, what: str, link: str) -> _dt.datetime | None:
    if value is None:
        return None
    if not isinstance(value, _dt.datetime):
        raise ValidationError(f"{what} must be an aware datetime or None, not {shown(value)}")
    at = ensure_utc(value, what=what)
    if getattr(record, link) is None:
        raise ValidationError(f"{record._subject()} names no {link}: {what} has nothing to anchor")
    now = record.clock.now()
    if at > now:
        raise ValidationError(
            f"{what} ({at.isoformat()}) is after now ({now.isoformat()}): revisits are anchored "
            "on what has happened"
        )
    return at


def prepare_schedule_revisits(
    self: FeedbackRecord,
    *,
    policy: object = REQUIRED,
    calendar: object = REQUIRED,
    actor: Actor,
    delivered_at: object = None,
    case_closed_at: object = None,
    note: object = "",
) -> dict[str, Any]:
    payload = _start(self, "schedule_revisits", actor, note)
    require("schedule_revisits", policy=policy, calendar=calendar)
    if not isinstance(policy, FeedbackPolicy):
        raise ValidationError(f"policy must be a FeedbackPolicy, not {shown(policy)}")
    if not isinstance(calendar, WorkingCalendar):
        raise ValidationError(f"calendar must be a WorkingCalendar, not {shown(calendar)}")
    answered = self.answered_at
    assert answered is not None  # ANSWERED is entered by an answer
    anchors: dict[RevisitAnchor, _dt.datetime] = {RevisitAnchor.ANSWERED: answered}
    delivered = _anchor(self, delivered_at, "delivered_at", "order_id")
    if delivered is not None:
        anchors[RevisitAnchor.DELIVERY] = delivered
    case_closed = _anchor(self, case_closed_at, "case_closed_at", "case_id")
    if case_closed is not None:
        anchors[RevisitAnchor.CASE_CLOSED] = case_closed
    now = self.clock.now()
    schedule = policy.schedule(anchors, calendar, not_before=now)
    if not schedule:
        known = ", ".join(a.value for a in anchors)
        raise PolicyViolation(
            f"policy {policy.name!r} schedules no revisit of {self._subject()} due at or after "
            f"{now.isoformat()} (anchors known: {known}); close the record instead"
        )
    payload["schedule"] = schedule
    return payload


def prepare_revisit(
    self: FeedbackRecord,
    *,
    reached: object = REQUIRED,
    actor: Actor,
    satisfied: object = None,
    note: object = "",
) -> dict[str, Any]:
    payload = _start(self, "revisit", actor, "")
    require("revisit", reached=reached)
    text = check_optional_text(note, "a revisit's note", limit=LONG_TEXT_MAX, multiline=True)
    payload["outcome"] = RevisitOutcome(reached=reached, satisfied=satisfied, note=text)  # type: ignore[arg-type]
    payload["note"] = text
    return payload


def prepare_close(self: FeedbackRecord, *, actor: Actor, note: object = "") -> dict[str, Any]:
    payload = _start(self, "close", actor, note)
    if self.schedule and len(self.revisits) < len(self.schedule) and not payload["note"]:
        left = len(self.schedule) - len(self.revisits)
        raise ValidationError(
            f"{self._subject()} has {left} revisit(s) still scheduled; closing it needs a note "
            "saying why they will not take place"
        )
    return payload
