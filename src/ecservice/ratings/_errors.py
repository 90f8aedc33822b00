"""Errors of ratings and reviews: a score out of range, a second rating, a closed window."""

from __future__ import annotations

from ecservice.errors import PolicyViolation, ValidationError

__all__ = [
    "AlreadyRated",
    "AnswerRefused",
    "InvalidDetailedScore",
    "NotTheBuyer",
    "NotTheSeller",
    "RatingWindowClosed",
    "RevisionRefused",
]


class InvalidDetailedScore(ValidationError):
    """A detailed rating score (店铺动态评分) is not a whole number from 1 to 5.

    Nothing was built or changed; the message names the score and the range allowed.
    """


class AlreadyRated(PolicyViolation):
    """An order line was rated a second time: :meth:`~ecservice.ratings.Rating.rate` on a
    rating that already has a grade, or two ratings of one line given to a computation.

    A line is rated once (淘宝网评价规范: one rating per order); the rating may then be revised
    (:meth:`~ecservice.ratings.Rating.revise`) or followed up
    (:meth:`~ecservice.ratings.Rating.append`), never replaced. Nothing changed.
    """


class RatingWindowClosed(PolicyViolation):
    """The window for this action ended (or, for a default rating, has not ended yet): rating,
    revising, explaining or following up after its deadline, or closing a rating before every
    window ended.

    The message names the window, its end and the instant of the attempt. Nothing changed.
    """


class RevisionRefused(PolicyViolation):
    """A revision the rules do not allow: a good rating (only a neutral or bad one may be
    changed, to good), a second revision, a default rating, or revisions switched off by the
    policy. Nothing changed.
    """


class AnswerRefused(PolicyViolation):
    """The seller's answer (解释) is refused: the review, or its follow-up, was already
    answered (an answer is given once and never replaced), or there is no review text to answer
    (a default rating). Nothing changed."""


class NotTheBuyer(PolicyViolation):
    """An action reserved to the buyer who placed the order (rating, revising, following up)
    was fired by another actor. Nothing changed."""


class NotTheSeller(PolicyViolation):
    """The seller's answer to a review or to its follow-up (解释,
    :meth:`~ecservice.ratings.Rating.explain`, :meth:`~ecservice.ratings.Rating.explain_follow_up`)
    was given by someone other than the seller: a buyer, a carrier, a system job.

    Only the seller answers (淘宝网评价规范: the seller of the trade may explain a rating): its
    customer service (an actor of :class:`~ecservice.workflow.ActorKind` ``STAFF``) or the
    seller's own account (``Actor.system(seller_id)``, the shop acting through the platform's
    interface). As an answer is given once and never replaced, anyone else answering would lock
    the seller out. The message names who may answer. Nothing changed."""


# Documented and imported under the area's public name.
for _cls in (
    AlreadyRated,
    AnswerRefused,
    InvalidDetailedScore,
    NotTheBuyer,
    NotTheSeller,
    RatingWindowClosed,
    RevisionRefused,
):
    _cls.__module__ = "ecservice.ratings"
del _cls
