"""The value objects of a feedback record: channels, kinds, sentiment, revisit anchors, the
revisits a record schedules and their outcomes."""

from __future__ import annotations

import datetime as _dt
from typing import final

import attrs
from pendulum import DateTime

from ecservice._shown import shown
from ecservice.clock import ensure_utc
from ecservice.errors import ValidationError
from ecservice.text import LONG_TEXT_MAX, check_text
from ecservice.workflow import LabelledState

__all__ = [
    "FeedbackChannel",
    "FeedbackKind",
    "RevisitAnchor",
    "RevisitOutcome",
    "ScheduledRevisit",
    "Sentiment",
]


class FeedbackChannel(LabelledState):
    """Where the feedback came from (反馈渠道)."""

    QUESTIONNAIRE = ("questionnaire", "Questionnaire", "问卷调查")
    COMMUNITY = ("community", "Community or forum", "社区论坛")
    CHAT = ("chat", "Online chat", "在线客服")
    PHONE = ("phone", "Phone", "电话")
    EMAIL = ("email", "Email", "邮件")


class FeedbackKind(LabelledState):
    """What the feedback is (反馈类型)."""

    SUGGESTION = ("suggestion", "Suggestion", "建议")
    PRAISE = ("praise", "Praise", "表扬")
    PROBLEM = ("problem", "Problem", "问题")
    QUESTION = ("question", "Question", "疑问")


class Sentiment(LabelledState):
    """The customer's sentiment as recorded (情感倾向)."""

    POSITIVE = ("positive", "Positive", "正面")
    NEUTRAL = ("neutral", "Neutral", "中性")
    NEGATIVE = ("negative", "Negative", "负面")


class RevisitAnchor(LabelledState):
    """The instant a revisit is counted from (回访起点)."""

    DELIVERY = ("delivery", "Delivery of the order", "订单签收")
    CASE_CLOSED = ("case_closed", "Close of the after-sales case", "售后结案")
    ANSWERED = ("answered", "The answer to the feedback", "答复反馈")


def _due_at(value: _dt.datetime) -> DateTime:
    return ensure_utc(value, what="a revisit's due_at")


def _deadline(value: _dt.datetime) -> DateTime:
    return ensure_utc(value, what="a revisit's deadline")


@final
@attrs.frozen(slots=True, kw_only=True)
class ScheduledRevisit:
    """A revisit (回访) a record scheduled: from when it is due and by when it is on time.

    Args:
        anchor: the instant it is counted from.
        after: how long after the anchor it is due (a :class:`datetime.timedelta` above zero).
        due_at: when it falls due; an aware datetime, converted to UTC.
        deadline: the last instant at which it is still on time (at or after ``due_at``); an
            aware datetime, converted to UTC.

    Raises:
        ValidationError: an ``anchor`` that is not a :class:`RevisitAnchor`, ``after`` not a
            positive timedelta, or a ``deadline`` before ``due_at``.
        NaiveDatetime: an instant without a time zone.
    """

    anchor: RevisitAnchor = attrs.field()
    after: _dt.timedelta = attrs.field()
    due_at: DateTime = attrs.field(converter=_due_at)
    deadline: DateTime = attrs.field(converter=_deadline)

    @anchor.validator
    def _check_anchor(self, _: object, value: object) -> None:
        if not isinstance(value, RevisitAnchor):
            raise ValidationError(f"a revisit's anchor must be a RevisitAnchor, not {shown(value)}")

    @after.validator
    def _check_after(self, _: object, value: object) -> None:
        if type(value) is not _dt.timedelta or value <= _dt.timedelta(0):
            raise ValidationError(
                f"a revisit's after must be a datetime.timedelta above zero, not {shown(value)}"
            )

    def __attrs_post_init__(self) -> None:
        if self.deadline < self.due_at:
            raise ValidationError(
                f"a revisit's deadline ({self.deadline.isoformat()}) must not be before its "
                f"due_at ({self.due_at.isoformat()})"
            )


@final
@attrs.frozen(slots=True, kw_only=True)
class RevisitOutcome:
    """What one revisit found: whether the customer was reached, whether they were satisfied,
    and what was said.

    Args:
        reached: whether the customer answered.
        satisfied: whether they said they were satisfied; ``None`` when they did not say, and
            always ``None`` for a customer who was not reached.
        note: what was said, or how they were tried (long text, may be empty).

    Raises:
        ValidationError: ``reached`` or ``satisfied`` not a bool (``satisfied`` may be
            ``None``), an answer recorded for an unreached customer, or an unacceptable note.
    """

    reached: bool = attrs.field()
    satisfied: bool | None = attrs.field(default=None)
    note: str = attrs.field(default="")

    @reached.validator
    def _check_reached(self, _: object, value: object) -> None:
        if type(value) is not bool:
            raise ValidationError(f"reached must be True or False, not {shown(value)}")

    @satisfied.validator
    def _check_satisfied(self, _: object, value: object) -> None:
        if value is not None and type(value) is not bool:
            raise ValidationError(f"satisfied must be True, False or None, not {shown(value)}")

    @note.validator
    def _check_note(self, _: object, value: object) -> None:
        if type(value) is str and value == "":
            return
        what = "a revisit's note"
        if check_text(value, what, limit=LONG_TEXT_MAX, multiline=True) != value:
            raise ValidationError(f"{what} must not start or end with white space")

    def __attrs_post_init__(self) -> None:
        if not self.reached and self.satisfied is not None:
            raise ValidationError(
                "a revisit that did not reach the customer records no satisfaction; "
                "give satisfied=None"
            )
