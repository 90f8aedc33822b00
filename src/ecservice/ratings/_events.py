"""The states of a rating and its domain events."""

from __future__ import annotations

from typing import final

import attrs

from ecservice.ratings._values import DetailedScores, Grade
from ecservice.workflow import DomainEvent, LabelledState

__all__ = [
    "LineRated",
    "RatingClosed",
    "RatingExplained",
    "RatingLapsed",
    "RatingRevised",
    "RatingStatus",
    "ReviewFollowedUp",
]


class RatingStatus(LabelledState):
    """The states of the rating of one order line, with the Chinese names shops use."""

    PENDING = ("pending", "Awaiting the buyer's rating", "待评价")
    RATED = ("rated", "Rated", "已评价")
    FOLLOWED_UP = ("followed_up", "Followed up", "已追评")
    UNRATED = ("unrated", "Not rated (window ended)", "未评价")
    CLOSED = ("closed", "Closed (every window ended)", "评价已结束")


@final
@attrs.frozen(slots=True, kw_only=True)
class LineRated(DomainEvent):
    """The order line was rated (评价): by the buyer, or by default when the window ended
    (系统默认好评).

    Args:
        aggregate_id: the rating's id.
        occurred_at: when, in UTC.
        actor: the buyer, or the system for a default rating.
        grade: good, neutral or bad.
        text: the review (long text; empty for a default rating).
        photos: the photo references given with it.
        scores: the three detailed scores (``None`` for a default rating).
        by_default: ``True`` for a default rating.
    """

    grade: Grade
    text: str
    photos: tuple[str, ...]
    scores: DetailedScores | None
    by_default: bool


@final
@attrs.frozen(slots=True, kw_only=True)
class RatingLapsed(DomainEvent):
    """The rating window ended without a rating and the policy gives no default one.

    Args:
        aggregate_id: the rating's id.
        occurred_at: when, in UTC.
        actor: who recorded it (a timer).
    """


@final
@attrs.frozen(slots=True, kw_only=True)
class RatingRevised(DomainEvent):
    """The buyer changed a neutral or bad rating to good within the revision window (修改评价).

    Args:
        aggregate_id: the rating's id.
        occurred_at: when, in UTC.
        actor: the buyer.
        previous: the grade before.
        grade: the grade now (good).
    """

    previous: Grade
    grade: Grade


@final
@attrs.frozen(slots=True, kw_only=True)
class RatingExplained(DomainEvent):
    """The seller answered the review or its follow-up (解释).

    Args:
        aggregate_id: the rating's id.
        occurred_at: when, in UTC.
        actor: who answered for the seller.
        text: the answer (long text).
        of_follow_up: ``True`` when it answers the follow-up review, ``False`` for the review.
    """

    text: str
    of_follow_up: bool


@final
@attrs.frozen(slots=True, kw_only=True)
class ReviewFollowedUp(DomainEvent):
    """The buyer added a follow-up review (追评); the first review stays as it was.

    Args:
        aggregate_id: the rating's id.
        occurred_at: when, in UTC.
        actor: the buyer.
        text: the follow-up (long text).
        photos: the photo references given with it.
    """

    text: str
    photos: tuple[str, ...]


@final
@attrs.frozen(slots=True, kw_only=True)
class RatingClosed(DomainEvent):
    """Every window of the rating ended: nothing can be added or changed any more.

    Args:
        aggregate_id: the rating's id.
        occurred_at: when, in UTC.
        actor: who recorded it (a timer).
    """
