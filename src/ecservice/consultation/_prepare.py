"""The pure half of each consultation trigger: check the arguments, return the payload.

Each ``prepare_<trigger>`` function is bound on
:class:`~ecservice.consultation.ConsultationSession` as its ``_prepare_<trigger>`` method: the
typed trigger method fires the payload it returns, and
:meth:`~ecservice.workflow.Aggregate.can` calls it, so ``can`` answers ``True`` exactly when the
typed call succeeds. Every check runs before anything changes: a refused call leaves the session
as it was.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Final

from ecservice._shown import shown
from ecservice.clock import ensure_utc
from ecservice.consultation._confirmation import (
    OrderDetails,
    OrderNotConfirmed,
    check_order,
)
from ecservice.consultation._errors import RemarksOpen
from ecservice.consultation._values import (
    Enquiry,
    EnquiryType,
    Message,
    ObjectionKind,
    Remark,
)
from ecservice.errors import PolicyViolation, ValidationError
from ecservice.text import LONG_TEXT_MAX, check_text
from ecservice.workflow import Actor
from ecservice.workflow._arguments import REQUIRED, begin, require

if TYPE_CHECKING:
    from ecservice.consultation._session import ConsultationSession

__all__ = [
    "MAX_REMARKS",
    "describe_message",
    "prepare_close_deal",
    "prepare_complete",
    "prepare_confirm_order",
    "prepare_end",
    "prepare_follow_up_remark",
    "prepare_greet",
    "prepare_hand_over",
    "prepare_handle_objection",
    "prepare_message",
    "prepare_recommend",
    "prepare_say_goodbye",
    "prepare_take_enquiry",
    "prepare_transfer_to_aftersales",
]

#: The most remarks one hand-over carries.
MAX_REMARKS: Final = 20


def describe_message(message: Message) -> str:
    """The history note of a ``message`` record (storage checks the message against it)."""
    return (
        f"{message.sender.value} message of {message.length} characters at {message.at.isoformat()}"
    )


def _start(
    session: ConsultationSession, trigger: str, actor: object, note: object
) -> dict[str, Any]:
    return begin(session, trigger, actor, note, what="consultation")


def _long(value: object, what: str) -> str:
    return check_text(value, what, limit=LONG_TEXT_MAX, multiline=True)


def prepare_message(
    self: ConsultationSession,
    *,
    sender: object = REQUIRED,
    length: object = REQUIRED,
    actor: Actor,
    at: object = None,
) -> dict[str, Any]:
    payload = _start(self, "message", actor, "")
    require("message", sender=sender, length=length)
    now = self.clock.now()
    if at is None:
        when = now
    elif isinstance(at, _dt.datetime):
        when = ensure_utc(at, what="a message's at")
    else:
        raise ValidationError(f"a message's at must be an aware datetime or None, not {shown(at)}")
    message = Message(sender=sender, at=when, length=length)  # type: ignore[arg-type]
    if when < self.opened_at:
        raise ValidationError(
            f"{self._subject()} opened at {self.opened_at.isoformat()}; a message at "
            f"{when.isoformat()} is before it"
        )
    if self.messages and when < self.messages[-1].at:
        raise ValidationError(
            f"{self._subject()}'s last message is at {self.messages[-1].at.isoformat()}; "
            f"messages are recorded in time order, not at {when.isoformat()}"
        )
    if when > now:
        raise ValidationError(
            f"a message at {when.isoformat()} is after the session's clock ({now.isoformat()}); "
            "record a message once it is sent"
        )
    payload["message"] = message
    payload["note"] = describe_message(message)
    return payload


def prepare_greet(self: ConsultationSession, *, actor: Actor, note: object = "") -> dict[str, Any]:
    return _start(self, "greet", actor, note)


def prepare_take_enquiry(
    self: ConsultationSession, *, type: object = REQUIRED, actor: Actor, note: object = ""
) -> dict[str, Any]:
    payload = _start(self, "take_enquiry", actor, note)
    require("take_enquiry", type=type)
    if not isinstance(type, EnquiryType):
        raise ValidationError(
            f"an enquiry's type must be an EnquiryType (DEFAULT_ENQUIRY_TYPES lists the "
            f"library's), not {shown(type)}"
        )
    payload["enquiry"] = Enquiry(type=type, at=self.clock.now(), note=payload["note"])
    return payload


def prepare_recommend(
    self: ConsultationSession, *, sku: object = REQUIRED, actor: Actor, note: object = ""
) -> dict[str, Any]:
    payload = _start(self, "recommend", actor, note)
    require("recommend", sku=sku)
    payload["sku"] = check_text(sku, "a recommended sku")
    return payload


def prepare_handle_objection(
    self: ConsultationSession, *, kind: object = REQUIRED, actor: Actor, note: object = ""
) -> dict[str, Any]:
    payload = _start(self, "handle_objection", actor, note)
    require("handle_objection", kind=kind)
    if not isinstance(kind, ObjectionKind):
        names = ", ".join(k.name for k in ObjectionKind)
        raise ValidationError(f"kind must be an ObjectionKind ({names}), not {shown(kind)}")
    payload["kind"] = kind
    return payload


def prepare_close_deal(
    self: ConsultationSession, *, actor: Actor, note: object = ""
) -> dict[str, Any]:
    return _start(self, "close_deal", actor, note)


def prepare_confirm_order(
    self: ConsultationSession,
    *,
    details: object = REQUIRED,
    checker: object = REQUIRED,
    actor: Actor,
    note: object = "",
) -> dict[str, Any]:
    payload = _start(self, "confirm_order", actor, note)
    require("confirm_order", details=details, checker=checker)
    if not isinstance(details, OrderDetails):
        raise ValidationError(f"details must be an OrderDetails, not {shown(details)}")
    if self.order is not None and self.order.order_id != details.order_id:
        raise PolicyViolation(
            f"{self._subject()} confirmed order {self.order.order_id!r}; a correction confirms "
            f"the same order, not {details.order_id!r}"
        )
    findings = check_order(details, checker)  # type: ignore[arg-type]
    failed = [f for f in findings if not f.passed]
    if failed:
        raise OrderNotConfirmed(details.order_id, failed)
    payload["details"] = details
    return payload


def prepare_say_goodbye(
    self: ConsultationSession, *, actor: Actor, note: object = ""
) -> dict[str, Any]:
    return _start(self, "say_goodbye", actor, note)


def _remarks(value: object) -> tuple[Remark, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise ValidationError(f"remarks must be an iterable of texts, not {shown(value)}")
    items = list(value)
    if len(items) > MAX_REMARKS:
        raise ValidationError(
            f"a hand-over carries at most {MAX_REMARKS} remarks, not {len(items)}"
        )
    return tuple(Remark(text=_long(item, "a remark")) for item in items)


def prepare_hand_over(
    self: ConsultationSession, *, remarks: object = (), actor: Actor, note: object = ""
) -> dict[str, Any]:
    payload = _start(self, "hand_over", actor, note)
    if self.order is None:
        raise PolicyViolation(
            f"{self._subject()} has no confirmed order to hand over for shipping; end it instead"
        )
    payload["remarks"] = _remarks(remarks)
    return payload


def prepare_follow_up_remark(
    self: ConsultationSession,
    *,
    index: object = REQUIRED,
    note: object = REQUIRED,
    actor: Actor,
) -> dict[str, Any]:
    payload = _start(self, "follow_up_remark", actor, "")
    require("follow_up_remark", index=index, note=note)
    count = len(self.remarks)
    if type(index) is not int or not 0 <= index < count:
        raise ValidationError(
            f"{self._subject()} has {count} remark(s): index must be an int from 0 to "
            f"{count - 1}, not {shown(index)}"
            if count
            else f"{self._subject()} has no remark to follow up"
        )
    if self.remarks[index].followed_up:
        raise PolicyViolation(f"remark #{index} of {self._subject()} is already followed up")
    payload["index"] = index
    payload["note"] = _long(note, "a follow-up note")
    return payload


def prepare_complete(
    self: ConsultationSession, *, actor: Actor, note: object = ""
) -> dict[str, Any]:
    payload = _start(self, "complete", actor, note)
    still = [(i, r.text) for i, r in enumerate(self.remarks) if not r.followed_up]
    if still:
        raise RemarksOpen(self.id, still)
    return payload


def prepare_end(
    self: ConsultationSession, *, reason: object = REQUIRED, actor: Actor
) -> dict[str, Any]:
    payload = _start(self, "end", actor, "")
    require("end", reason=reason)
    if self.order is not None:
        raise PolicyViolation(
            f"{self._subject()} confirmed order {self.order.order_id!r}: hand it over for "
            "shipping, or hand the session to after-sales"
        )
    payload["note"] = _long(reason, "why the session ends")
    return payload


def prepare_transfer_to_aftersales(
    self: ConsultationSession,
    *,
    reason: object = REQUIRED,
    actor: Actor,
    case_id: object = None,
) -> dict[str, Any]:
    payload = _start(self, "transfer_to_aftersales", actor, "")
    require("transfer_to_aftersales", reason=reason)
    payload["note"] = _long(reason, "why the session goes to after-sales")
    payload["case_id"] = None if case_id is None else check_text(case_id, "an after-sales case_id")
    return payload
