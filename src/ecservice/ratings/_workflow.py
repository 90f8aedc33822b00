"""The default rating workflow: guards, hooks and the transition table.

A rating waits for the buyer (``PENDING``) until the rating window ends; it is then rated (by the
buyer, or good by default) or lapses. A rated line may be revised (an internal transition), be
answered by the seller (internal), and be followed up once (``FOLLOWED_UP``, whose follow-up may be
answered in turn); once every window has ended it closes. The guards read the rating's deadlines
(:class:`~ecservice.ratings.Rating`), so a custom workflow derived from this one keeps them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, TypeVar

from ecservice.ratings._events import (
    LineRated,
    RatingClosed,
    RatingExplained,
    RatingLapsed,
    RatingRevised,
    RatingStatus,
    ReviewFollowedUp,
)
from ecservice.ratings._values import DetailedScores, Grade
from ecservice.workflow import Context, DomainEvent, Workflow, transition

if TYPE_CHECKING:
    from ecservice.ratings._rating import Rating

__all__ = ["RATED_STATES", "RATING_WORKFLOW"]

S = RatingStatus

#: The states of a line rated and still open to revisions, answers and a follow-up.
RATED_STATES: Final[tuple[RatingStatus, ...]] = (S.RATED, S.FOLLOWED_UP)


# --- guards ------------------------------------------------------------------------------------


def within_rating_window(rating: Rating, ctx: Context) -> bool:
    """The rating window has not ended."""
    return ctx.at < rating.rating_deadline


def rating_window_ended(rating: Rating, ctx: Context) -> bool:
    """The rating window has ended."""
    return ctx.at >= rating.rating_deadline


def default_rating_on(rating: Rating, ctx: Context) -> bool:
    """The policy rates an unrated line good by default."""
    return rating.policy.default_good


def revisable(rating: Rating, ctx: Context) -> bool:
    """The rating may still be revised (neutral or bad, not yet revised, within the window)."""
    deadline = rating.revision_deadline
    return deadline is not None and ctx.at < deadline


def review_answerable(rating: Rating, ctx: Context) -> bool:
    """The review may still be answered (not yet answered, within the window)."""
    deadline = rating.explanation_deadline
    return deadline is not None and ctx.at < deadline


def follow_up_answerable(rating: Rating, ctx: Context) -> bool:
    """The follow-up may still be answered (not yet answered, within the window)."""
    deadline = rating.follow_up_explanation_deadline
    return deadline is not None and ctx.at < deadline


def within_follow_up_window(rating: Rating, ctx: Context) -> bool:
    """The follow-up window has not ended."""
    deadline = rating.follow_up_deadline
    return deadline is not None and ctx.at < deadline


def every_window_ended(rating: Rating, ctx: Context) -> bool:
    """Every window of the rating has ended."""
    closes = rating.closes_at
    return closes is not None and ctx.at >= closes


# --- hooks -------------------------------------------------------------------------------------

E = TypeVar("E", bound=DomainEvent)


def _event(kind: type[E], rating: Rating, ctx: Context, **fields: Any) -> E:
    return kind(aggregate_id=rating.id, occurred_at=ctx.at, actor=ctx.actor, **fields)


def apply_rating(rating: Rating, ctx: Context) -> None:
    """Record the grade, the review, its photos and the detailed scores."""
    rating.grade = ctx.arg("grade", Grade)
    rating.text = ctx.arg("text", str)
    rating.photos = ctx.arg("photos", tuple)
    rating.scores = ctx.arg("scores", DetailedScores)
    ctx.emit(
        _event(
            LineRated,
            rating,
            ctx,
            grade=rating.grade,
            text=rating.text,
            photos=rating.photos,
            scores=rating.scores,
            by_default=False,
        )
    )


def apply_default_rating(rating: Rating, ctx: Context) -> None:
    """Rate the line good, without text, photos or detailed scores (系统默认好评)."""
    rating.grade = Grade.GOOD
    ctx.emit(
        _event(
            LineRated,
            rating,
            ctx,
            grade=Grade.GOOD,
            text="",
            photos=(),
            scores=None,
            by_default=True,
        )
    )


def emit_lapsed(rating: Rating, ctx: Context) -> None:
    """Emit :class:`RatingLapsed`."""
    ctx.emit(_event(RatingLapsed, rating, ctx))


def apply_revision(rating: Rating, ctx: Context) -> None:
    """Change the grade to good, remembering the grade before."""
    previous = rating.grade
    assert previous is not None
    rating.revised_from = previous
    rating.grade = Grade.GOOD
    ctx.emit(_event(RatingRevised, rating, ctx, previous=previous, grade=Grade.GOOD))


def apply_explanation(rating: Rating, ctx: Context) -> None:
    """Record the seller's answer to the review."""
    rating.explanation = ctx.arg("text", str)
    ctx.emit(_event(RatingExplained, rating, ctx, text=rating.explanation, of_follow_up=False))


def apply_follow_up(rating: Rating, ctx: Context) -> None:
    """Add the follow-up review; the first review is kept as it was."""
    rating.follow_up = ctx.arg("text", str)
    rating.follow_up_photos = ctx.arg("photos", tuple)
    ctx.emit(
        _event(ReviewFollowedUp, rating, ctx, text=rating.follow_up, photos=rating.follow_up_photos)
    )


def apply_follow_up_explanation(rating: Rating, ctx: Context) -> None:
    """Record the seller's answer to the follow-up."""
    rating.follow_up_explanation = ctx.arg("text", str)
    ctx.emit(
        _event(RatingExplained, rating, ctx, text=rating.follow_up_explanation, of_follow_up=True)
    )


def emit_closed(rating: Rating, ctx: Context) -> None:
    """Emit :class:`RatingClosed`."""
    ctx.emit(_event(RatingClosed, rating, ctx))


#: The default rating workflow: rate (or default, or lapse), revise, answer, follow up, close.
RATING_WORKFLOW: Final[Workflow[Rating]] = Workflow(
    "rating",
    states=RatingStatus,
    initial=S.PENDING,
    final=[S.UNRATED, S.CLOSED],
    transitions=[
        transition(
            "rate", S.PENDING, S.RATED, conditions=[within_rating_window], before=[apply_rating]
        ),
        transition(
            "rate_by_default",
            S.PENDING,
            S.RATED,
            conditions=[rating_window_ended, default_rating_on],
            before=[apply_default_rating],
        ),
        transition(
            "lapse",
            S.PENDING,
            S.UNRATED,
            conditions=[rating_window_ended],
            unless=[default_rating_on],
            before=[emit_lapsed],
        ),
        transition("revise", RATED_STATES, None, conditions=[revisable], before=[apply_revision]),
        transition(
            "explain",
            RATED_STATES,
            None,
            conditions=[review_answerable],
            before=[apply_explanation],
        ),
        transition(
            "append",
            S.RATED,
            S.FOLLOWED_UP,
            conditions=[within_follow_up_window],
            before=[apply_follow_up],
        ),
        transition(
            "explain_follow_up",
            S.FOLLOWED_UP,
            None,
            conditions=[follow_up_answerable],
            before=[apply_follow_up_explanation],
        ),
        transition(
            "close", RATED_STATES, S.CLOSED, conditions=[every_window_ended], before=[emit_closed]
        ),
    ],
)
