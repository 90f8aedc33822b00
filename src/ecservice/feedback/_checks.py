"""What a feedback record must satisfy when it is built, in particular when it is loaded from
storage (checked by its constructor)."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

from ecservice._shown import shown
from ecservice.errors import ValidationError
from ecservice.feedback._events import FeedbackStatus
from ecservice.feedback._values import (
    FeedbackChannel,
    FeedbackKind,
    RevisitOutcome,
    ScheduledRevisit,
    Sentiment,
)
from ecservice.text import LONG_TEXT_MAX, check_text

if TYPE_CHECKING:
    from ecservice.feedback._record import FeedbackRecord

__all__ = ["check_record"]

S = FeedbackStatus


def _kind(record: FeedbackRecord, name: str, kind: type, *, optional: bool) -> None:
    value = getattr(record, name)
    if (value is None and optional) or isinstance(value, kind):
        return
    also = " or None" if optional else ""
    raise ValidationError(
        f"{record._subject()}: {name} must be a {kind.__name__}{also}, not {shown(value)}"
    )


def _check_fields(record: FeedbackRecord) -> None:
    subject = record._subject()
    check_text(record.customer_id, "a feedback's customer_id")
    check_text(record.text, "a feedback's text", limit=LONG_TEXT_MAX, multiline=True)
    _kind(record, "channel", FeedbackChannel, optional=False)
    _kind(record, "kind", FeedbackKind, optional=True)
    _kind(record, "sentiment", Sentiment, optional=True)
    for link in ("order_id", "case_id", "complaint_id"):
        value = getattr(record, link)
        if value is not None and check_text(value, f"a feedback's {link}") != value:
            raise ValidationError(f"{subject}: {link} must not start or end with white space")
    for name in ("summary", "answer_text"):
        value = getattr(record, name)
        if value is not None:
            check_text(value, f"a feedback's {name}", limit=LONG_TEXT_MAX, multiline=True)
    if record.answer_due_at < record.received_at:
        raise ValidationError(
            f"{subject}: its answer is due at {record.answer_due_at.isoformat()}, before it was "
            f"received ({record.received_at.isoformat()})"
        )
    schedule, revisits = record.schedule, record.revisits
    if not isinstance(schedule, tuple) or not all(
        isinstance(r, ScheduledRevisit) for r in schedule
    ):
        raise ValidationError(f"{subject}: schedule must be ScheduledRevisit values")
    if any(a.due_at > b.due_at for a, b in itertools.pairwise(schedule)):
        raise ValidationError(f"{subject}: its schedule must be in the order revisits fall due")
    if not isinstance(revisits, tuple) or not all(isinstance(r, RevisitOutcome) for r in revisits):
        raise ValidationError(f"{subject}: revisits must be RevisitOutcome values")
    if record.overdue_at is not None and record.overdue_at != record.answer_due_at:
        raise ValidationError(
            f"{subject}: overdue_at is the answer's due instant "
            f"({record.answer_due_at.isoformat()}) or None, not {shown(record.overdue_at)}"
        )


def check_record(record: FeedbackRecord) -> None:
    """Check every field of ``record`` and that they agree with its state and history.

    Raises:
        ValidationError: (or a subclass) the first problem found.
    """
    _check_fields(record)
    subject = record._subject()
    history = record.history
    if history and history[0].at < record.received_at:
        raise ValidationError(
            f"{subject}: its first transition ({history[0].at}) is before it was received "
            f"({record.received_at})"
        )
    recorded = scheduled = marked = False
    answered_at = None
    revisits = 0
    for entry in history:
        trigger = entry.trigger
        if trigger == "record":
            recorded = True
        elif trigger == "answer":
            answered_at = entry.at
        elif trigger == "mark_overdue":
            marked = True
            if entry.at < record.answer_due_at:
                raise ValidationError(
                    f"{subject}: version {entry.version} marks it late at {entry.at.isoformat()}, "
                    f"before its answer was due ({record.answer_due_at.isoformat()})"
                )
        elif trigger == "schedule_revisits":
            scheduled = True
            early = [r for r in record.schedule if r.due_at < entry.at]
            if early:
                raise ValidationError(
                    f"{subject}: version {entry.version} scheduled at {entry.at.isoformat()} a "
                    f"revisit due before it ({early[0].due_at.isoformat()})"
                )
        elif trigger == "revisit":
            revisits += 1
    for name, present, wanted in (
        ("summary", record.summary is not None, recorded),
        ("answer_text", record.answer_text is not None, answered_at is not None),
        ("a schedule", bool(record.schedule), scheduled),
    ):
        if present is not wanted:
            verb = "needs" if wanted else "cannot have"
            raise ValidationError(f"{subject}: its history {verb} {name}")
    if recorded and (record.kind is None or record.sentiment is None):
        raise ValidationError(f"{subject}: a recorded feedback needs its kind and sentiment")
    late = marked or (answered_at is not None and answered_at > record.answer_due_at)
    if (record.overdue_at is not None) is not late:
        verb = "needs" if late else "cannot have"
        raise ValidationError(f"{subject}: its history {verb} overdue_at")
    if len(record.revisits) != revisits:
        raise ValidationError(
            f"{subject}: {len(record.revisits)} revisit outcome(s), but its history records "
            f"{revisits}"
        )
    if revisits > len(record.schedule):
        raise ValidationError(f"{subject}: more revisits than it scheduled")
    status = record.status
    done = bool(record.schedule) and revisits == len(record.schedule)
    if status is S.REVISIT_SCHEDULED and done:
        raise ValidationError(f"{subject} in REVISIT_SCHEDULED has no revisit left")
    if status is S.REVISITED and not done:
        raise ValidationError(f"{subject} in REVISITED has revisits left")
