"""The argument and rule checks of each rating trigger: pure, so that ``can()`` runs them too.

Each ``prepare_<trigger>`` checks, in this order, that the trigger is allowed in the current
state, the arguments, who fires it, and the window; it raises the specific error of the first
problem found and otherwise returns the payload the trigger is fired with.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from pendulum import DateTime

from ecservice._shown import shown
from ecservice.errors import PolicyViolation, ValidationError
from ecservice.ratings._checks import long_text
from ecservice.ratings._errors import (
    AlreadyRated,
    AnswerRefused,
    NotTheBuyer,
    NotTheSeller,
    RatingWindowClosed,
    RevisionRefused,
)
from ecservice.ratings._events import RatingStatus
from ecservice.ratings._values import DetailedScores, Grade, photo_refs
from ecservice.workflow import Actor, ActorKind

if TYPE_CHECKING:
    from ecservice.ratings._rating import Rating

__all__ = [
    "check_buyer",
    "check_seller",
    "prepare_append",
    "prepare_close",
    "prepare_explain",
    "prepare_explain_follow_up",
    "prepare_lapse",
    "prepare_rate",
    "prepare_rate_by_default",
    "prepare_revise",
]

S = RatingStatus


def now_of(rating: Rating) -> DateTime:
    """The instant a trigger fired now would record (the clock, never before the last record)."""
    at = rating.clock.now()
    if rating.history and rating.history[-1].at > at:
        return rating.history[-1].at
    return at


def _late(what: str, end: DateTime, at: DateTime) -> RatingWindowClosed:
    return RatingWindowClosed(
        f"{what} ended at {end.isoformat()} (the end excluded); it is {at.isoformat()}"
    )


def check_buyer(rating: Rating, actor: Actor, action: str) -> None:
    """Refuse an ``actor`` other than the rating's buyer (:class:`NotTheBuyer`); a value that
    is not an :class:`~ecservice.workflow.Actor` is left to the caller."""
    if type(actor) is Actor and (actor.kind is not ActorKind.BUYER or actor.id != rating.buyer_id):
        raise NotTheBuyer(
            f"only the buyer {rating.buyer_id!r} may {action} rating {rating.id!r}, "
            f"not {actor.kind.value} {actor.id!r}; fire it with Actor.buyer({rating.buyer_id!r})"
        )


def check_seller(rating: Rating, actor: Actor, what: str) -> None:
    """Refuse an ``actor`` other than the seller's staff or account (:class:`NotTheSeller`); a
    value that is not an :class:`~ecservice.workflow.Actor` is left to the caller."""
    if type(actor) is not Actor or actor.kind is ActorKind.STAFF:
        return  # not an Actor: _fire_prepared reports it, and can() answers False
    if actor.kind is ActorKind.SYSTEM and actor.id == rating.seller_id:
        return
    raise NotTheSeller(
        f"only the seller {rating.seller_id!r} may answer {what} of rating {rating.id!r}, "
        f"not {actor.kind.value} {actor.id!r}; answer it as its customer service "
        f"(Actor.staff(...)) or as the seller's account (Actor.system({rating.seller_id!r}))"
    )


def _photos(rating: Rating, photos: Iterable[str], what: str) -> tuple[str, ...]:
    refs = photo_refs(photos, what)
    if len(refs) > rating.policy.max_photos:
        raise ValidationError(
            f"{what} may hold at most {rating.policy.max_photos} references under the review "
            f"policy, got {len(refs)}"
        )
    return refs


def prepare_rate(
    rating: Rating,
    *,
    grade: Grade,
    text: str,
    scores: DetailedScores,
    actor: Actor,
    photos: Iterable[str] = (),
) -> dict[str, object]:
    """The checks of :meth:`~ecservice.ratings.Rating.rate`."""
    if rating.grade is not None:
        how = "by default" if rating.by_default else "by the buyer"
        raise AlreadyRated(
            f"order line {rating.line_id!r} of order {rating.order_id!r} was already rated "
            f"{rating.grade.value} {how}; a line is rated once: revise() or append() it instead"
        )
    if rating.status is S.UNRATED:
        raise _late("the rating window", rating.rating_deadline, now_of(rating))
    rating._ensure_allowed("rate")
    if not isinstance(grade, Grade):
        raise ValidationError(f"grade must be a Grade (good, neutral, bad), not {shown(grade)}")
    if not isinstance(scores, DetailedScores):
        raise ValidationError(
            f"scores must be DetailedScores (three scores from 1 to 5), not {shown(scores)}"
        )
    checked = long_text(text.strip() if isinstance(text, str) else text, "the text of a review")
    refs = _photos(rating, photos, "a review's photos")
    check_buyer(rating, actor, "rate")
    at = now_of(rating)
    if at < rating.delivered_at:
        raise RatingWindowClosed(
            f"the rating window of rating {rating.id!r} opens at the delivery, "
            f"{rating.delivered_at.isoformat()}; it is {at.isoformat()}"
        )
    if at >= rating.rating_deadline:
        raise _late("the rating window", rating.rating_deadline, at)
    return {"grade": grade, "text": checked, "scores": scores, "photos": refs}


def prepare_rate_by_default(rating: Rating, *, actor: Actor) -> dict[str, object]:
    """The checks of :meth:`~ecservice.ratings.Rating.rate_by_default`."""
    rating._ensure_allowed("rate_by_default")
    if not rating.policy.default_good:
        raise PolicyViolation(
            f"rating {rating.id!r}: the review policy gives no default rating "
            "(default_good=False); lapse() it when the window ends"
        )
    at = now_of(rating)
    if at < rating.rating_deadline:
        raise RatingWindowClosed(
            f"rating {rating.id!r}: a default rating comes when the rating window ends, at "
            f"{rating.rating_deadline.isoformat()}; it is {at.isoformat()}"
        )
    return {}


def prepare_lapse(rating: Rating, *, actor: Actor, note: str = "") -> dict[str, object]:
    """The checks of :meth:`~ecservice.ratings.Rating.lapse`."""
    rating._ensure_allowed("lapse")
    if rating.policy.default_good:
        raise PolicyViolation(
            f"rating {rating.id!r}: the review policy rates an unrated line good by default "
            "(default_good=True); call rate_by_default() when the window ends"
        )
    at = now_of(rating)
    if at < rating.rating_deadline:
        raise RatingWindowClosed(
            f"rating {rating.id!r}: the rating window is open until "
            f"{rating.rating_deadline.isoformat()}; it is {at.isoformat()}"
        )
    return {"note": note}


def prepare_revise(rating: Rating, *, actor: Actor, note: str = "") -> dict[str, object]:
    """The checks of :meth:`~ecservice.ratings.Rating.revise`."""
    rating._ensure_allowed("revise")
    if not rating.policy.revisable:
        raise RevisionRefused(f"rating {rating.id!r}: the review policy allows no revision")
    if rating.by_default:
        raise RevisionRefused(f"rating {rating.id!r} is a default rating; it cannot be revised")
    if rating.revised_from is not None:
        raise RevisionRefused(
            f"rating {rating.id!r} was already revised (from {rating.revised_from.value} to "
            "good); a rating is revised once"
        )
    if rating.grade is Grade.GOOD:
        raise RevisionRefused(
            f"rating {rating.id!r} is good; only a neutral or bad rating may be changed (to good)"
        )
    check_buyer(rating, actor, "revise")
    at = now_of(rating)
    deadline = rating.revision_deadline
    assert deadline is not None
    if at >= deadline:
        raise _late("the revision window", deadline, at)
    return {"note": note}


def _answer(
    rating: Rating, text: str, actor: Actor, deadline: DateTime | None, what: str
) -> dict[str, object]:
    checked = long_text(text.strip() if isinstance(text, str) else text, f"the answer to {what}")
    check_seller(rating, actor, what)
    if deadline is None:
        raise AnswerRefused(
            f"rating {rating.id!r}: {what} has already been answered, or there is none to "
            "answer; an answer is given once and never replaced"
        )
    at = now_of(rating)
    if at >= deadline:
        raise _late(f"the window to answer {what}", deadline, at)
    return {"text": checked}


def prepare_explain(rating: Rating, *, text: str, actor: Actor) -> dict[str, object]:
    """The checks of :meth:`~ecservice.ratings.Rating.explain`."""
    rating._ensure_allowed("explain")
    return _answer(rating, text, actor, rating.explanation_deadline, "the review")


def prepare_explain_follow_up(rating: Rating, *, text: str, actor: Actor) -> dict[str, object]:
    """The checks of :meth:`~ecservice.ratings.Rating.explain_follow_up`."""
    rating._ensure_allowed("explain_follow_up")
    return _answer(rating, text, actor, rating.follow_up_explanation_deadline, "the follow-up")


def prepare_append(
    rating: Rating, *, text: str, actor: Actor, photos: Iterable[str] = ()
) -> dict[str, object]:
    """The checks of :meth:`~ecservice.ratings.Rating.append`."""
    rating._ensure_allowed("append")
    checked = long_text(
        text.strip() if isinstance(text, str) else text, "the text of a follow-up review"
    )
    refs = _photos(rating, photos, "a follow-up's photos")
    check_buyer(rating, actor, "follow up")
    at = now_of(rating)
    deadline = rating.follow_up_deadline
    assert deadline is not None
    if at >= deadline:
        raise _late("the follow-up window", deadline, at)
    return {"text": checked, "photos": refs}


def prepare_close(rating: Rating, *, actor: Actor) -> dict[str, object]:
    """The checks of :meth:`~ecservice.ratings.Rating.close`."""
    rating._ensure_allowed("close")
    at = now_of(rating)
    closes = rating.closes_at
    assert closes is not None
    if at < closes:
        raise RatingWindowClosed(
            f"rating {rating.id!r} may still be changed until {closes.isoformat()} (its last "
            f"window's end); it is {at.isoformat()}"
        )
    return {}
