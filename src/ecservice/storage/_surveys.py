"""Satisfaction surveys as documents, and their timer."""

from __future__ import annotations

from typing import Final

from pendulum import DateTime

from ecservice.satisfaction import Survey
from ecservice.storage._aggregate import AggregateSerializer
from ecservice.storage._complaints import complaint_converter

__all__ = ["SURVEY_SERIALIZER", "survey_next_due"]

#: Writes and reads :class:`~ecservice.satisfaction.Survey` objects as ``"survey"`` documents
#: (schema version 1). The body holds ``status``, ``customer_id``, ``subject`` (``{"kind",
#: "id"}``), ``channel``, ``scheduled_at``, ``questions`` (``[{"key", "kind", "text"}]``),
#: ``response_window`` (an ISO 8601 duration in seconds), ``max_reminders``, ``answers``
#: (``[{"key", "score", "text"}]``) and ``history``; loading goes through the survey's
#: validating constructor.
SURVEY_SERIALIZER: Final[AggregateSerializer[Survey]] = AggregateSerializer(
    Survey, "survey", converter=complaint_converter()
)


def survey_next_due(survey: Survey) -> DateTime | None:
    """The timer of ``"survey"`` documents: :attr:`Survey.due_at
    <ecservice.satisfaction.Survey.due_at>` (when an unanswered survey's response window
    ends and it expires). Registered by :func:`~ecservice.storage.default_timers`."""
    return survey.due_at
