"""The values of an order hold (异常挂起): why an order is held, how a hold ended, one hold.

A hold is not stored as a field of its own: it is read from the order's history, where the
``hold`` record's note carries the reason code and the detail (``"low_price: ..."``) and the
record that leaves the held state (``release`` or ``cancel``) says how and when it ended.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, Final, final

import attrs
from pendulum import DateTime

from ecservice._shown import shown
from ecservice.clock import ensure_utc
from ecservice.errors import ValidationError
from ecservice.text import check_text
from ecservice.workflow import LabelledState

__all__ = ["HOLD_DETAIL_MAX", "Hold", "HoldOutcome", "HoldReason"]

#: The longest detail of a hold, in characters (the hold record's note also carries the reason
#: code, and a note holds at most :data:`~ecservice.text.LONG_TEXT_MAX` characters).
HOLD_DETAIL_MAX: Final = 1000

#: Between the reason code and the detail in a ``hold`` record's note.
_SEPARATOR: Final = ": "


class HoldReason(LabelledState):
    """Why an order is held as an exception (异常订单), with the source practice's names.

    The first five are raised by the rules of an :class:`~ecservice.orders.ExceptionPolicy`;
    ``MANUAL`` is a hold staff put on by hand.
    """

    ADDRESS = ("address", "Address fails checks", "地址异常")
    CHANGE_REQUEST = ("change_request", "Remark asks for a change", "备注要求修改")
    PRESALE_DATE = ("presale_date", "Carrier cannot meet the presale date", "预售时间无法满足")
    LOW_PRICE = ("low_price", "Price far below the catalogue", "价格异常")
    ADDRESS_VOLUME = ("address_volume", "Too many orders to one address", "同一地址多单")
    MANUAL = ("manual", "Held by staff", "人工挂起")


class HoldOutcome(LabelledState):
    """How a hold ended: staff released the order, or it was cancelled while held."""

    RELEASED = ("released", "Released", "已放行")
    CANCELLED = ("cancelled", "Cancelled", "已取消")


def check_detail(value: object, what: str = "a hold's detail") -> str:
    """``value`` stripped, if it is one to :data:`HOLD_DETAIL_MAX` characters of long text.

    Raises:
        ValidationError: not a str, blank, too long, or with a forbidden character.
    """
    return check_text(value, what, limit=HOLD_DETAIL_MAX, multiline=True)


def hold_note(reason: HoldReason, detail: str) -> str:
    """The note of a ``hold`` record: ``"<reason code>: <detail>"``."""
    return f"{reason.value}{_SEPARATOR}{detail}"


def parse_hold_note(note: str) -> tuple[HoldReason, str]:
    """The reason and detail a ``hold`` record's note carries.

    A note that does not start with a known reason code (a hold recorded by a custom trigger,
    say) is a ``MANUAL`` hold whose detail is the whole note.
    """
    code, sep, detail = note.partition(_SEPARATOR)
    if sep:
        for reason in HoldReason:
            if reason.value == code:
                return reason, detail
    return HoldReason.MANUAL, note


def _reason(_: Any, __: Any, value: Any) -> None:
    if not isinstance(value, HoldReason):
        raise ValidationError(f"reason must be a HoldReason, not {shown(value)}")


def _outcome(_: Any, __: Any, value: Any) -> None:
    if value is not None and not isinstance(value, HoldOutcome):
        raise ValidationError(f"outcome must be a HoldOutcome or None, not {shown(value)}")


def _detail(_: Any, __: Any, value: Any) -> None:
    if check_detail(value) != value:
        raise ValidationError("a hold's detail must not start or end with white space")


def _held_at(value: _dt.datetime) -> DateTime:
    return ensure_utc(value, what="held_at")


def _ended(value: _dt.datetime | None) -> DateTime | None:
    return None if value is None else ensure_utc(value, what="ended_at")


@final
@attrs.frozen(slots=True, kw_only=True)
class Hold:
    """One hold of an order, as its history records it (:attr:`Order.holds
    <ecservice.orders.Order.holds>`).

    Args:
        reason: why the order was held.
        detail: what the rule or the staff member found (1 to :data:`HOLD_DETAIL_MAX`
            characters of long text).
        held_at: when the hold started; an aware datetime, converted to UTC.
        ended_at: when it ended (released or cancelled), converted to UTC; ``None`` while the
            order is still held.
        outcome: how it ended; ``None`` exactly while ``ended_at`` is ``None``.

    Raises:
        NaiveDatetime: a datetime without a time zone.
        ValidationError: a field of the wrong type, unacceptable text, an end before the start,
            or an outcome without an end (or the reverse).
    """

    reason: HoldReason = attrs.field(validator=_reason)
    detail: str = attrs.field(validator=_detail)
    held_at: DateTime = attrs.field(converter=_held_at)
    ended_at: DateTime | None = attrs.field(default=None, converter=_ended)
    outcome: HoldOutcome | None = attrs.field(default=None, validator=_outcome)

    def __attrs_post_init__(self) -> None:
        if (self.ended_at is None) != (self.outcome is None):
            raise ValidationError(
                "a hold has an end and an outcome together, or neither while it lasts; got "
                f"ended_at={shown(self.ended_at)}, outcome={shown(self.outcome)}"
            )
        if self.ended_at is not None and self.ended_at < self.held_at:
            raise ValidationError(
                f"a hold cannot end ({self.ended_at.isoformat()}) before it started "
                f"({self.held_at.isoformat()})"
            )

    @property
    def open(self) -> bool:
        """Whether the order is still held."""
        return self.ended_at is None

    def duration(self, now: _dt.datetime | None = None) -> _dt.timedelta | None:
        """How long the hold lasted: to its end, or to ``now`` while it lasts (``None`` when
        it lasts and no ``now`` is given).

        Raises:
            NaiveDatetime: ``now`` has no time zone.
        """
        end = self.ended_at
        if end is None:
            if now is None:
                return None
            end = ensure_utc(now, what="now")
        return _dt.datetime.__sub__(end, self.held_at)
