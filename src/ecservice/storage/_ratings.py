"""Ratings and reviews as documents, and their timer."""

from __future__ import annotations

from typing import Final

from pendulum import DateTime

from ecservice.ratings import Rating
from ecservice.storage._aggregate import AggregateSerializer
from ecservice.storage._complaints import complaint_converter

__all__ = ["RATING_SERIALIZER", "rating_next_due"]

#: Writes and reads :class:`~ecservice.ratings.Rating` objects as ``"rating"`` documents
#: (schema version 1). The body holds ``status``, ``order_id``, ``line_id``, ``item_id``,
#: ``buyer_id``, ``seller_id``, ``amount`` (``{"amount", "currency"}``), ``ordered_at``,
#: ``delivered_at``, ``policy`` (its windows as ISO 8601 durations in seconds), ``grade``,
#: ``revised_from``, ``text``, ``photos``, ``scores``, ``explanation``, ``follow_up``,
#: ``follow_up_photos``, ``follow_up_explanation`` and ``history``; loading goes through the
#: rating's validating constructor, which checks every field against the history (a review is
#: never lost or rewritten in storage either).
RATING_SERIALIZER: Final[AggregateSerializer[Rating]] = AggregateSerializer(
    Rating, "rating", converter=complaint_converter()
)


def rating_next_due(rating: Rating) -> DateTime | None:
    """The timer of ``"rating"`` documents: :attr:`Rating.due_at
    <ecservice.ratings.Rating.due_at>` (the end of the rating window while pending, when the
    default rating is given or the line lapses; then when the rating closes). Registered by
    :func:`~ecservice.storage.default_timers`."""
    return rating.due_at
