"""Feedback (反馈): a customer's feedback and its loop.

A feedback record (:class:`FeedbackRecord`, its workflow :data:`FEEDBACK_WORKFLOW` and states
:class:`FeedbackStatus`) is read carefully (认真阅读), recorded accurately (准确记录), answered in
time (及时反馈) and revisited regularly (定期回访). Its values are :class:`FeedbackChannel`,
:class:`FeedbackKind`, :class:`Sentiment`, :class:`RevisitAnchor`, :class:`ScheduledRevisit`
and :class:`RevisitOutcome`; the shop's :class:`FeedbackPolicy` sets the answer target on the
working calendar and the revisits (:class:`RevisitOffset`) as data. A record links to an order,
an after-sales case and a complaint by id. :func:`feedback_report` gives the figures of a
window of days (:class:`FeedbackReport`).
"""

from ecservice.feedback._events import (
    FeedbackAnswered,
    FeedbackAnswerOverdue,
    FeedbackClosed,
    FeedbackRead,
    FeedbackRecorded,
    FeedbackRevisited,
    FeedbackStatus,
    RevisitsScheduled,
)
from ecservice.feedback._policy import (
    MAX_FEEDBACK_DURATION,
    MAX_REVISITS,
    FeedbackPolicy,
    InvalidFeedbackPolicy,
    RevisitOffset,
)
from ecservice.feedback._record import FeedbackRecord
from ecservice.feedback._report import DEFAULT_FEEDBACK_DAYS, FeedbackReport, feedback_report
from ecservice.feedback._values import (
    FeedbackChannel,
    FeedbackKind,
    RevisitAnchor,
    RevisitOutcome,
    ScheduledRevisit,
    Sentiment,
)
from ecservice.feedback._workflow import FEEDBACK_TIMER_ID, FEEDBACK_WORKFLOW, UNANSWERED_STATES

__all__ = [
    "DEFAULT_FEEDBACK_DAYS",
    "FEEDBACK_TIMER_ID",
    "FEEDBACK_WORKFLOW",
    "MAX_FEEDBACK_DURATION",
    "MAX_REVISITS",
    "UNANSWERED_STATES",
    "FeedbackAnswerOverdue",
    "FeedbackAnswered",
    "FeedbackChannel",
    "FeedbackClosed",
    "FeedbackKind",
    "FeedbackPolicy",
    "FeedbackRead",
    "FeedbackRecord",
    "FeedbackRecorded",
    "FeedbackReport",
    "FeedbackRevisited",
    "FeedbackStatus",
    "InvalidFeedbackPolicy",
    "RevisitAnchor",
    "RevisitOffset",
    "RevisitOutcome",
    "RevisitsScheduled",
    "ScheduledRevisit",
    "Sentiment",
    "feedback_report",
]
