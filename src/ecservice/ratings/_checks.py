"""Loading checks of a rating: its fields agree with each other and with its history."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ecservice._shown import shown
from ecservice.errors import ValidationError
from ecservice.money import Money
from ecservice.ratings._values import DetailedScores, Grade, ReviewPolicy
from ecservice.text import LONG_TEXT_MAX, check_text

if TYPE_CHECKING:
    from ecservice.ratings._rating import Rating

__all__ = ["check_rating", "long_text", "optional_enum", "optional_long_text"]


def long_text(value: object, what: str) -> str:
    """``value`` if it is acceptable long text (stripped already), else a ``ValidationError``."""
    checked = check_text(value, what, limit=LONG_TEXT_MAX, multiline=True)
    if checked != value:
        raise ValidationError(f"{what} must not start or end with white space")
    return checked


def optional_long_text(what: str) -> Any:
    """An attrs validator: ``None`` or acceptable long text."""

    def check(_: object, __: object, value: object) -> None:
        if value is not None:
            long_text(value, what)

    return check


def optional_enum(what: str, kind: type) -> Any:
    """An attrs validator: ``None`` or a member of ``kind``."""

    def check(_: object, __: object, value: object) -> None:
        if value is not None and not isinstance(value, kind):
            raise ValidationError(f"{what} must be a {kind.__name__} or None, not {shown(value)}")

    return check


def _fail(rating: Rating, problem: str) -> ValidationError:
    return ValidationError(f"rating {rating.id!r}: {problem}")


def check_rating(rating: Rating) -> None:
    """Check what storage hands the constructor (see :class:`~ecservice.ratings.Rating`).

    Raises:
        ValidationError: a field of the wrong type, or fields that disagree with the history.
    """
    if not isinstance(rating.amount, Money) or rating.amount.amount < 0:
        raise _fail(rating, f"amount must be a Money of at least 0, not {shown(rating.amount)}")
    if not isinstance(rating.policy, ReviewPolicy):
        raise _fail(rating, f"policy must be a ReviewPolicy, not {shown(rating.policy)}")
    if rating.delivered_at < rating.ordered_at:
        raise _fail(rating, "delivered_at must not be before ordered_at")
    if rating.scores is not None and not isinstance(rating.scores, DetailedScores):
        raise _fail(rating, f"scores must be DetailedScores or None, not {shown(rating.scores)}")
    triggers = [r.trigger for r in rating.history]
    rated = "rate" in triggers
    defaulted = "rate_by_default" in triggers
    if rating.history and rating.history[0].at < rating.delivered_at:
        raise _fail(rating, "its history starts before the delivery")
    if (rating.grade is None) is (rated or defaulted):
        raise _fail(rating, "grade is set exactly once the line is rated")
    if rated and (rating.scores is None or not rating.text):
        raise _fail(rating, "a buyer's rating has a review text and detailed scores")
    if not rated and (rating.scores is not None or rating.text or rating.photos):
        raise _fail(rating, "text, photos and scores come with the buyer's rating only")
    for name, n in (
        ("photos", len(rating.photos)),
        ("follow_up_photos", len(rating.follow_up_photos)),
    ):
        if n > rating.policy.max_photos:
            raise _fail(
                rating, f"{name} holds {n} references, the policy allows {rating.policy.max_photos}"
            )
    revised = triggers.count("revise")
    if revised > 1 or (rating.revised_from is None) is (revised == 1):
        raise _fail(rating, "revised_from is set exactly when the history has its one revision")
    if rating.revised_from is not None and (
        rating.revised_from is Grade.GOOD or rating.grade is not Grade.GOOD
    ):
        raise _fail(rating, "a revision changes a neutral or bad rating to good")
    for field, trigger in (
        ("explanation", "explain"),
        ("follow_up", "append"),
        ("follow_up_explanation", "explain_follow_up"),
    ):
        count = triggers.count(trigger)
        if count > 1 or (getattr(rating, field) is None) is (count == 1):
            raise _fail(rating, f"{field} is set exactly when the history has its one {trigger!r}")
    if rating.follow_up is None and rating.follow_up_photos:
        raise _fail(rating, "follow_up_photos come with a follow-up only")
