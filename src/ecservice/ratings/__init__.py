"""Ratings and reviews (评价), seller credit (信用) and detailed seller ratings (店铺动态评分).

A :class:`Rating` (its workflow :data:`RATING_WORKFLOW`, states :class:`RatingStatus`) is the
buyer's rating of one order line: good, neutral or bad (:class:`Grade`) with a review, photo
references and the three detailed scores (:class:`DetailedScores`), given within a window after
the delivery or, when the window ends unrated, good by default; it may then be revised once (to
good), answered by the seller and followed up once (追评), never deleted or rewritten.

Seller credit, the good-review rate and the detailed-rating averages are pure functions of
ratings, a published policy and an instant (:func:`seller_credit`, :func:`good_review_rate`,
:func:`detailed_ratings`): nothing is stored, everything can be recomputed, and each answer
explains, rating by rating, what counted and why the rest did not.
"""

from ecservice.ratings._credit import (
    MAX_POINTS_PER_RATING,
    CreditEntry,
    CreditPolicy,
    CreditReason,
    CreditReport,
    CreditSummary,
    check_ratings,
    seller_credit,
)
from ecservice.ratings._detailed import (
    AVERAGE_PLACES,
    DetailedEntry,
    DetailedRatingPolicy,
    DetailedRatingReport,
    DetailedReason,
    DetailedSummary,
    ScoreAverage,
    detailed_ratings,
)
from ecservice.ratings._errors import (
    AlreadyRated,
    AnswerRefused,
    InvalidDetailedScore,
    NotTheBuyer,
    NotTheSeller,
    RatingWindowClosed,
    RevisionRefused,
)
from ecservice.ratings._events import (
    LineRated,
    RatingClosed,
    RatingExplained,
    RatingLapsed,
    RatingRevised,
    RatingStatus,
    ReviewFollowedUp,
)
from ecservice.ratings._levels import (
    TAOBAO_CREDIT_LEVELS,
    CreditLevel,
    CreditTier,
    check_levels,
    credit_level,
)
from ecservice.ratings._rates import GoodReviewRate, GoodReviewSummary, good_review_rate
from ecservice.ratings._rating import RATING_TIMER, Rating
from ecservice.ratings._values import (
    MAX_DETAILED_SCORE,
    MAX_REVIEW_PHOTOS,
    MAX_REVIEW_WINDOW,
    MIN_DETAILED_SCORE,
    DetailedScores,
    Dimension,
    Grade,
    ReviewPolicy,
)
from ecservice.ratings._window import GOOD_RATE_WINDOWS
from ecservice.ratings._workflow import RATED_STATES, RATING_WORKFLOW

__all__ = [
    "AVERAGE_PLACES",
    "GOOD_RATE_WINDOWS",
    "MAX_DETAILED_SCORE",
    "MAX_POINTS_PER_RATING",
    "MAX_REVIEW_PHOTOS",
    "MAX_REVIEW_WINDOW",
    "MIN_DETAILED_SCORE",
    "RATED_STATES",
    "RATING_TIMER",
    "RATING_WORKFLOW",
    "TAOBAO_CREDIT_LEVELS",
    "AlreadyRated",
    "AnswerRefused",
    "CreditEntry",
    "CreditLevel",
    "CreditPolicy",
    "CreditReason",
    "CreditReport",
    "CreditSummary",
    "CreditTier",
    "DetailedEntry",
    "DetailedRatingPolicy",
    "DetailedRatingReport",
    "DetailedReason",
    "DetailedScores",
    "DetailedSummary",
    "Dimension",
    "GoodReviewRate",
    "GoodReviewSummary",
    "Grade",
    "InvalidDetailedScore",
    "LineRated",
    "NotTheBuyer",
    "NotTheSeller",
    "Rating",
    "RatingClosed",
    "RatingExplained",
    "RatingLapsed",
    "RatingRevised",
    "RatingStatus",
    "RatingWindowClosed",
    "ReviewFollowedUp",
    "ReviewPolicy",
    "RevisionRefused",
    "ScoreAverage",
    "check_levels",
    "check_ratings",
    "credit_level",
    "detailed_ratings",
    "good_review_rate",
    "seller_credit",
]
