"""Feedback records as documents, and their timer."""

from __future__ import annotations

from typing import Final

from pendulum import DateTime

from ecservice.feedback import FeedbackRecord
from ecservice.storage._aggregate import AggregateSerializer
from ecservice.storage._complaints import complaint_converter

__all__ = ["FEEDBACK_SERIALIZER", "feedback_next_due"]

#: Writes and reads :class:`~ecservice.feedback.FeedbackRecord` objects as ``"feedback"``
#: documents (schema version 1). The body holds ``status``, ``customer_id``, ``text``,
#: ``channel``, ``received_at``, ``answer_due_at``, the links ``order_id``, ``case_id`` and
#: ``complaint_id``, ``kind``, ``sentiment``, ``summary``, ``answer_text``, ``overdue_at``,
#: ``schedule`` (``[{"anchor", "after", "due_at", "deadline"}]``, ``after`` an ISO 8601
#: duration in seconds), ``revisits`` (``[{"reached", "satisfied", "note"}]``) and
#: ``history``; loading goes through the record's validating constructor.
FEEDBACK_SERIALIZER: Final[AggregateSerializer[FeedbackRecord]] = AggregateSerializer(
    FeedbackRecord, "feedback", converter=complaint_converter()
)


def feedback_next_due(record: FeedbackRecord) -> DateTime | None:
    """The timer of ``"feedback"`` documents: :meth:`FeedbackRecord.next_due
    <ecservice.feedback.FeedbackRecord.next_due>` at the record's clock (the answer's due
    instant while it is unanswered and not marked late, then the revisits' due instants and
    deadlines). Registered by :func:`~ecservice.storage.default_timers`."""
    return record.next_due()
