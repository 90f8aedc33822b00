"""Response times of a consultation: which agent message answers which buyer message, and how
long the buyer waited, in calendar or business time."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterable
from typing import Any, Final, final

import attrs
from pendulum import DateTime

from ecservice._shown import shown
from ecservice.calendar import WorkingCalendar
from ecservice.consultation._values import Message, Sender
from ecservice.errors import ValidationError
from ecservice.workflow import LabelledState

__all__ = [
    "DEFAULT_FIRST_RESPONSE_TARGET",
    "DEFAULT_RESPONSE_TARGET",
    "MAX_RESPONSE_TARGET",
    "Response",
    "ResponseBasis",
    "ResponsePolicy",
    "responses",
]

#: The default first-response target: 3 minutes. A shop choice: a response-time figure of a
#: few minutes is the common practice of Chinese marketplace customer service (Taobao/Tmall
#: shops track 客服响应时间 in their service dashboards), but no platform rule that fixes a
#: number for every shop could be confirmed, so set the shop's own.
DEFAULT_FIRST_RESPONSE_TARGET: Final = _dt.timedelta(minutes=3)
#: The default target for every later response: 3 minutes, a shop choice like the first one.
DEFAULT_RESPONSE_TARGET: Final = _dt.timedelta(minutes=3)
#: The longest target a policy accepts.
MAX_RESPONSE_TARGET: Final = _dt.timedelta(days=7)


class ResponseBasis(LabelledState):
    """How response times are counted.

    * ``CALENDAR``: real elapsed time, nights included.
    * ``BUSINESS``: working time on the shop's :class:`~ecservice.calendar.WorkingCalendar`
      (the customer-service hours): a question asked after hours and answered at opening
      counts the working time between them only.
    """

    CALENDAR = ("calendar", "Calendar time", "自然时间")
    BUSINESS = ("business", "Business time", "工作时间")


def _target(what: str) -> Callable[[Any, Any, Any], None]:
    def validate(_: Any, __: Any, value: Any) -> None:
        if type(value) is not _dt.timedelta or not _dt.timedelta(0) < value <= MAX_RESPONSE_TARGET:
            raise ValidationError(
                f"a response policy's {what} must be a datetime.timedelta above zero and at "
                f"most {MAX_RESPONSE_TARGET.days} days, not {shown(value)}"
            )

    return validate


def _basis(_: Any, __: Any, value: Any) -> None:
    if not isinstance(value, ResponseBasis):
        raise ValidationError(
            f"a response policy's basis must be a ResponseBasis (CALENDAR, BUSINESS), not "
            f"{shown(value)}"
        )


@final
@attrs.frozen(slots=True, kw_only=True)
class ResponsePolicy:
    """The shop's response targets and how they are measured.

    No platform rule fixing these figures for every shop could be confirmed; they are the
    shop's choice (the defaults, 3 minutes each in calendar time, follow the common practice of
    answering a buyer within minutes).

    Args:
        first_response_target: how soon the buyer's first message should be answered
            (:data:`DEFAULT_FIRST_RESPONSE_TARGET`); above zero, at most
            :data:`MAX_RESPONSE_TARGET`.
        response_target: how soon every later message should be answered
            (:data:`DEFAULT_RESPONSE_TARGET`).
        basis: calendar time (the default) or business time on a working calendar.

    Raises:
        ValidationError: a target out of range or a basis that is not a :class:`ResponseBasis`.
    """

    first_response_target: _dt.timedelta = attrs.field(
        default=DEFAULT_FIRST_RESPONSE_TARGET,
        validator=_target("first_response_target"),
    )
    response_target: _dt.timedelta = attrs.field(
        default=DEFAULT_RESPONSE_TARGET,
        validator=_target("response_target"),
    )
    basis: ResponseBasis = attrs.field(default=ResponseBasis.CALENDAR, validator=_basis)

    def measure(
        self, start: DateTime, end: DateTime, calendar: WorkingCalendar | None
    ) -> _dt.timedelta:
        """The time from ``start`` to ``end`` on this policy's basis.

        Raises:
            ValidationError: business time without a calendar, or ``end`` before ``start``.
            CalendarNotConfirmed: the calendar cannot count a day between them.
        """
        if end < start:
            raise ValidationError(f"{end.isoformat()} is before {start.isoformat()}")
        if self.basis is ResponseBasis.CALENDAR:
            return _dt.datetime.__sub__(end, start)
        if not isinstance(calendar, WorkingCalendar):
            raise ValidationError(
                f"business-time responses need a WorkingCalendar, not {shown(calendar)}"
            )
        return calendar.elapsed(start, end)


@final
@attrs.frozen(slots=True, kw_only=True)
class Response:
    """One agent reply to the buyer messages since the previous reply.

    Args:
        asked_at: when the first buyer message it answers was sent, in UTC.
        answered_at: when the agent replied, in UTC.
        waited: the time between them on the policy's basis.
        first: whether it is the session's first response.
        within_target: whether ``waited`` is at most the policy's target for it.
    """

    asked_at: DateTime
    answered_at: DateTime
    waited: _dt.timedelta
    first: bool
    within_target: bool


def responses(
    messages: Iterable[Message],
    policy: ResponsePolicy,
    calendar: WorkingCalendar | None = None,
) -> tuple[Response, ...]:
    """The responses in ``messages`` (sorted by time, as a session keeps them): an agent message
    answers every buyer message since the previous agent message; the buyer waited from the
    first of them. An agent message with no buyer message before it (a greeting sent first, a
    second message in a row) answers nothing.

    Args:
        messages: the session's messages, oldest first.
        policy: what to measure against.
        calendar: the shop's working calendar (needed for business time).

    Raises:
        ValidationError: a policy that is not a :class:`ResponsePolicy`, an item that is not a
            :class:`Message`, messages out of time order, business time without a calendar.
        CalendarNotConfirmed: the calendar cannot count a day of the session.
    """
    if not isinstance(policy, ResponsePolicy):
        raise ValidationError(f"policy must be a ResponsePolicy, not {shown(policy)}")
    out: list[Response] = []
    waiting: DateTime | None = None
    last: DateTime | None = None
    for message in messages:
        if not isinstance(message, Message):
            raise ValidationError(f"messages must be Message values, not {shown(message)}")
        if last is not None and message.at < last:
            raise ValidationError("messages must be in time order (non-decreasing instants)")
        last = message.at
        if message.sender is Sender.BUYER:
            if waiting is None:
                waiting = message.at
            continue
        if waiting is None:
            continue
        waited = policy.measure(waiting, message.at, calendar)
        first = not out
        target = policy.first_response_target if first else policy.response_target
        out.append(
            Response(
                asked_at=waiting,
                answered_at=message.at,
                waited=waited,
                first=first,
                within_target=waited <= target,
            )
        )
        waiting = None
    return tuple(out)
