"""What a consultation session must satisfy when it is built, in particular when it is loaded
from storage (checked by its constructor)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ecservice._shown import shown
from ecservice.consultation._confirmation import OrderDetails
from ecservice.consultation._events import ConsultationStatus
from ecservice.consultation._prepare import describe_message
from ecservice.consultation._values import Enquiry, Message, ObjectionKind, Remark
from ecservice.errors import ValidationError
from ecservice.text import check_text

if TYPE_CHECKING:
    from ecservice.consultation._session import ConsultationSession

__all__ = ["check_session"]

S = ConsultationStatus


def _all(session: ConsultationSession, name: str, kind: type) -> tuple[object, ...]:
    value = getattr(session, name)
    if not isinstance(value, tuple) or not all(isinstance(v, kind) for v in value):
        raise ValidationError(
            f"{session._subject()}: {name} must be a tuple of {kind.__name__} values, not "
            f"{shown(value)}"
        )
    return value


def _check_fields(session: ConsultationSession) -> None:
    subject = session._subject()
    check_text(session.buyer_id, "a consultation's buyer_id")
    _all(session, "messages", Message)
    _all(session, "enquiries", Enquiry)
    _all(session, "objections", ObjectionKind)
    _all(session, "remarks", Remark)
    for sku in _all(session, "recommended", str):
        check_text(sku, "a recommended sku")
    if session.order is not None and not isinstance(session.order, OrderDetails):
        raise ValidationError(f"{subject}: order must be an OrderDetails or None")
    if session.aftersales_case_id is not None:
        check_text(session.aftersales_case_id, "an after-sales case_id")


def _count(
    session: ConsultationSession, trigger: str, values: tuple[object, ...], name: str
) -> None:
    records = sum(1 for r in session.history if r.trigger == trigger)
    if records != len(values):
        raise ValidationError(
            f"{session._subject()}: {len(values)} {name}, but its history records {records}"
        )


def check_session(session: ConsultationSession) -> None:
    """Check every field of ``session`` and that they agree with its state and history.

    Raises:
        ValidationError: the first problem found.
    """
    _check_fields(session)
    subject = session._subject()
    history = session.history
    if not history:
        # A session without a transition yet: opened no later than its clock, as a message is
        # recorded no later than it (one with history is opened before its first record).
        now = session.clock.now()
        if session.opened_at > now:
            raise ValidationError(
                f"{subject} opened at {session.opened_at.isoformat()}, after the session's "
                f"clock ({now.isoformat()}); open a session once the buyer has written"
            )
    if history and history[0].at < session.opened_at:
        raise ValidationError(
            f"{subject}: its first transition ({history[0].at}) is before it was opened "
            f"({session.opened_at})"
        )
    records = [r for r in history if r.trigger == "message"]
    _count(session, "message", session.messages, "message(s)")
    previous = session.opened_at
    for record, message in zip(records, session.messages, strict=True):
        if record.note != describe_message(message):
            raise ValidationError(
                f"{subject}: version {record.version} records {record.note!r}, not the message "
                f"{describe_message(message)!r}"
            )
        if not previous <= message.at <= record.at:
            raise ValidationError(
                f"{subject}: the message of version {record.version} is out of time order "
                "(before the opening, an earlier message, or after its record)"
            )
        previous = message.at
    enquiries = [r for r in history if r.trigger == "take_enquiry"]
    _count(session, "take_enquiry", session.enquiries, "enquiry(ies)")
    for record, enquiry in zip(enquiries, session.enquiries, strict=True):
        if enquiry.at != record.at or enquiry.note != record.note:
            raise ValidationError(
                f"{subject}: the enquiry of version {record.version} is not stamped with its "
                "record's instant and note"
            )
    _count(session, "recommend", session.recommended, "recommendation(s)")
    _count(session, "handle_objection", session.objections, "objection(s)")
    confirmed = any(r.trigger == "confirm_order" for r in history)
    if (session.order is not None) is not confirmed:
        verb = "needs" if confirmed else "cannot have"
        raise ValidationError(f"{subject}: its history {verb} an order")
    handed = any(r.trigger == "hand_over" for r in history)
    if session.remarks and not handed:
        raise ValidationError(f"{subject}: remarks come with the hand-over, which it lacks")
    followed = sum(1 for r in history if r.trigger == "follow_up_remark")
    if followed != sum(1 for r in session.remarks if r.followed_up):
        raise ValidationError(
            f"{subject}: {followed} follow-up(s) in its history, but "
            f"{sum(1 for r in session.remarks if r.followed_up)} remark(s) followed up"
        )
    if session.status is S.COMPLETED and not all(r.followed_up for r in session.remarks):
        raise ValidationError(f"{subject} is completed with a remark not followed up")
    if session.aftersales_case_id is not None and session.status is not S.TRANSFERRED:
        raise ValidationError(f"{subject} in {session.status.name} cannot name an after-sales case")
