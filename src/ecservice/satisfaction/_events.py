"""The states of a survey and its domain events."""

from __future__ import annotations

from typing import final

import attrs

from ecservice.satisfaction._values import Answer, SurveyChannel
from ecservice.workflow import DomainEvent, LabelledState

__all__ = [
    "SurveyAnswered",
    "SurveyCancelled",
    "SurveyExpired",
    "SurveyReminded",
    "SurveySent",
    "SurveyStatus",
]


class SurveyStatus(LabelledState):
    """The states of a survey, with the Chinese names customer service uses."""

    SCHEDULED = ("scheduled", "Scheduled", "待发送")
    SENT = ("sent", "Sent, awaiting the answer", "已发送")
    REMINDED = ("reminded", "Reminded", "已提醒")
    ANSWERED = ("answered", "Answered", "已回复")
    EXPIRED = ("expired", "Expired unanswered", "已过期")
    CANCELLED = ("cancelled", "Cancelled", "已取消")


@final
@attrs.frozen(slots=True, kw_only=True)
class SurveySent(DomainEvent):
    """The survey was sent to the customer (发送问卷).

    Args:
        aggregate_id: the survey's id.
        occurred_at: when, in UTC.
        actor: who sent it.
        channel: how it was sent.
    """

    channel: SurveyChannel


@final
@attrs.frozen(slots=True, kw_only=True)
class SurveyReminded(DomainEvent):
    """The customer was reminded of the survey (提醒).

    Args:
        aggregate_id: the survey's id.
        occurred_at: when, in UTC.
        actor: who reminded them.
        reminder: the reminder's number, from 1.
    """

    reminder: int


@final
@attrs.frozen(slots=True, kw_only=True)
class SurveyAnswered(DomainEvent):
    """The customer answered the survey (回复问卷).

    Args:
        aggregate_id: the survey's id.
        occurred_at: when, in UTC.
        actor: who answered (the customer).
        answers: the answers, in the questions' order.
    """

    answers: tuple[Answer, ...]


@final
@attrs.frozen(slots=True, kw_only=True)
class SurveyExpired(DomainEvent):
    """The survey's response window ended without an answer (过期).

    Args:
        aggregate_id: the survey's id.
        occurred_at: when, in UTC.
        actor: who recorded it (a timer).
    """


@final
@attrs.frozen(slots=True, kw_only=True)
class SurveyCancelled(DomainEvent):
    """The survey was cancelled before it was sent (the customer opted out, the subject was
    withdrawn).

    Args:
        aggregate_id: the survey's id.
        occurred_at: when, in UTC.
        actor: who cancelled it.
    """
