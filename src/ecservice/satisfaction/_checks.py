"""The checks a survey's constructor runs on its fields (also when loaded from storage)."""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING, Final

from ecservice._shown import shown
from ecservice.errors import ValidationError
from ecservice.satisfaction._values import Answer, answers_for

if TYPE_CHECKING:
    from ecservice.satisfaction._survey import Survey

__all__ = [
    "DEFAULT_MAX_REMINDERS",
    "DEFAULT_RESPONSE_WINDOW",
    "MAX_REMINDERS",
    "MAX_RESPONSE_WINDOW",
    "check_max_reminders",
    "check_response_window",
    "check_survey",
    "times",
]

#: How long a sent survey awaits its answer by default: 7 days (a shop setting). No marketplace
#: rule for service surveys could be confirmed; 7 days is this library's choice, shorter than
#: the 15 days Taobao gives a buyer to review an order after confirming receipt.
DEFAULT_RESPONSE_WINDOW: Final = _dt.timedelta(days=7)
#: The longest response window a survey accepts: 90 days.
MAX_RESPONSE_WINDOW: Final = _dt.timedelta(days=90)
#: How many reminders a survey allows by default: one (a shop setting, this library's choice:
#: regular contact without pestering).
DEFAULT_MAX_REMINDERS: Final = 1
#: The most reminders a survey may allow: 3.
MAX_REMINDERS: Final = 3


def times(count: int) -> str:
    """``count`` times in words for a message: "1 time", "2 times"."""
    return f"{count} time" if count == 1 else f"{count} times"


def check_response_window(value: object) -> _dt.timedelta:
    """``value`` if it is a ``timedelta`` above zero and at most :data:`MAX_RESPONSE_WINDOW`.

    Raises:
        ValidationError: anything else.
    """
    if not isinstance(value, _dt.timedelta) or not (
        _dt.timedelta(0) < value <= MAX_RESPONSE_WINDOW
    ):
        raise ValidationError(
            f"a survey's response_window must be a timedelta above 0 and at most "
            f"{MAX_RESPONSE_WINDOW.days} days, not {shown(value)}"
        )
    return value


def check_max_reminders(value: object) -> int:
    """``value`` if it is an ``int`` from 0 to :data:`MAX_REMINDERS`.

    Raises:
        ValidationError: anything else (``bool`` included).
    """
    if type(value) is not int or not 0 <= value <= MAX_REMINDERS:
        raise ValidationError(
            f"a survey's max_reminders must be an int from 0 to {MAX_REMINDERS}, not {shown(value)}"
        )
    return value


def check_survey(survey: Survey) -> None:
    """The survey's fields agree with its history.

    Raises:
        ValidationError: a transition before ``scheduled_at``; answers without an ``answer``
            record or an ``answer`` record without them; answers that do not fit the questions;
            more reminders than ``max_reminders``; an answer or a reminder at or after the end
            of the response window, or an expiry before it.
    """
    who = survey._subject()
    if survey.history and survey.history[0].at < survey.scheduled_at:
        raise ValidationError(f"{who} has a transition before it was scheduled")
    answered = [r for r in survey.history if r.trigger == "answer"]
    if answered:
        if not survey.answers:
            raise ValidationError(f"{who} was answered but has no answers")
        if not all(isinstance(a, Answer) for a in survey.answers):
            raise ValidationError(f"{who}'s answers must be Answer values")
        if answers_for(survey.questions, survey.answers) != survey.answers:
            raise ValidationError(f"{who}'s answers must follow the order of its questions")
    elif survey.answers:
        raise ValidationError(f"{who} has answers but its history records no answer")
    if survey.reminders > survey.max_reminders:
        raise ValidationError(
            f"{who} was reminded {times(survey.reminders)}, more than its max_reminders "
            f"({survey.max_reminders})"
        )
    ends = survey.expires_at
    for record in survey.history:
        if record.trigger in ("answer", "remind") and (ends is None or record.at >= ends):
            raise ValidationError(f"{who} records {record.trigger!r} after its response window")
        if record.trigger == "expire" and (ends is None or record.at < ends):
            raise ValidationError(f"{who} expired before its response window ended")
