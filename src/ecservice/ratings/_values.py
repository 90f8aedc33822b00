"""The value objects of ratings: grades, the three detailed scores, photo references and the
review policy (the windows of rating, revising, explaining and following up)."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterable
from typing import Any, Final, final

import attrs

from ecservice._shown import shown
from ecservice.errors import ValidationError
from ecservice.ratings._errors import InvalidDetailedScore
from ecservice.text import check_text
from ecservice.workflow import LabelledState

__all__ = [
    "MAX_DETAILED_SCORE",
    "MAX_REVIEW_PHOTOS",
    "MAX_REVIEW_WINDOW",
    "MIN_DETAILED_SCORE",
    "DetailedScores",
    "Dimension",
    "Grade",
    "ReviewPolicy",
    "photo_refs",
]

#: The lowest and highest detailed score (店铺动态评分: one to five stars).
MIN_DETAILED_SCORE: Final = 1
MAX_DETAILED_SCORE: Final = 5
#: The most photos a policy may allow on one review or follow-up.
MAX_REVIEW_PHOTOS: Final = 20
#: The longest window a :class:`ReviewPolicy` accepts.
MAX_REVIEW_WINDOW: Final = _dt.timedelta(days=730)


class Grade(LabelledState):
    """The buyer's overall rating of an order line (评价): good, neutral or bad. What each is
    worth in credit points is a part of the :class:`~ecservice.ratings.CreditPolicy`."""

    GOOD = ("good", "Good", "好评")
    NEUTRAL = ("neutral", "Neutral", "中评")
    BAD = ("bad", "Bad", "差评")


class Dimension(LabelledState):
    """The three detailed seller ratings (店铺动态评分, DSR) a buyer gives with a rating."""

    DESCRIBED = ("described", "Item as described", "宝贝与描述相符")
    SERVICE = ("service", "Seller's service attitude", "卖家的服务态度")
    LOGISTICS = ("logistics", "Logistics service", "物流服务的质量")


def _score(what: str) -> Callable[[Any, Any, Any], None]:
    def check(_: object, __: object, value: object) -> None:
        if type(value) is not int or not MIN_DETAILED_SCORE <= value <= MAX_DETAILED_SCORE:
            raise InvalidDetailedScore(
                f"the score for {what} must be a whole number from {MIN_DETAILED_SCORE} to "
                f"{MAX_DETAILED_SCORE} (stars), not {shown(value)}"
            )

    return check


@final
@attrs.frozen(slots=True, kw_only=True)
class DetailedScores:
    """The three detailed scores of one rating (店铺动态评分), each 1 to 5 stars.

    Args:
        described: item as described (宝贝与描述相符).
        service: the seller's service attitude (卖家的服务态度).
        logistics: the quality of the logistics service (物流服务的质量).

    Raises:
        InvalidDetailedScore: a score that is not an ``int`` from :data:`MIN_DETAILED_SCORE` to
            :data:`MAX_DETAILED_SCORE` (``bool`` is refused).
    """

    described: int = attrs.field(validator=_score("item as described"))
    service: int = attrs.field(validator=_score("service attitude"))
    logistics: int = attrs.field(validator=_score("logistics service"))

    def score(self, dimension: Dimension) -> int:
        """The score given for ``dimension``.

        Raises:
            ValidationError: ``dimension`` is not a :class:`Dimension`.
        """
        if not isinstance(dimension, Dimension):
            raise ValidationError(f"dimension must be a Dimension, not {shown(dimension)}")
        return int(getattr(self, dimension.value))


def photo_refs(value: Iterable[str], what: str = "photos") -> tuple[str, ...]:
    """``value`` as a tuple of photo references (short text each: a storage key or URL the shop
    resolves; the library never holds the images).

    Raises:
        ValidationError: not an iterable of acceptable short text, more than
            :data:`MAX_REVIEW_PHOTOS`, or one reference twice.
    """
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise ValidationError(f"{what} must be a sequence of photo references, not {shown(value)}")
    refs = tuple(value)
    if len(refs) > MAX_REVIEW_PHOTOS:
        raise ValidationError(
            f"{what} may hold at most {MAX_REVIEW_PHOTOS} references, got {len(refs)}"
        )
    for ref in refs:
        if check_text(ref, f"a photo reference of {what}") != ref:
            raise ValidationError(
                f"a photo reference must not start or end with white space: {ref!r}"
            )
    if len(set(refs)) != len(refs):
        raise ValidationError(f"{what} names a photo twice")
    return refs


def _window(what: str) -> Callable[[Any, Any, Any], None]:
    def check(_: object, __: object, value: object) -> None:
        if (
            not isinstance(value, _dt.timedelta)
            or value <= _dt.timedelta(0)
            or value > MAX_REVIEW_WINDOW
        ):
            raise ValidationError(
                f"a review policy's {what} must be a timedelta longer than 0 and at most "
                f"{MAX_REVIEW_WINDOW.days} days, not {shown(value)}"
            )

    return check


def _flag(what: str) -> Callable[[Any, Any, Any], None]:
    def check(_: object, __: object, value: object) -> None:
        if type(value) is not bool:
            raise ValidationError(
                f"a review policy's {what} must be True or False, not {shown(value)}"
            )

    return check


def _photos(_: object, __: object, value: object) -> None:
    if type(value) is not int or not 0 <= value <= MAX_REVIEW_PHOTOS:
        raise ValidationError(
            f"a review policy's max_photos must be an int from 0 to {MAX_REVIEW_PHOTOS}, "
            f"not {shown(value)}"
        )


@final
@attrs.frozen(slots=True, kw_only=True)
class ReviewPolicy:
    """The windows and switches of one rating (评价规则), carried by each
    :class:`~ecservice.ratings.Rating` so that it is judged by the rules it was made under.

    Every window is exact instant arithmetic (``n`` days are ``n`` x 24 hours, the end
    excluded: an action at the end itself is late), so a shop's zone never moves a deadline.
    The defaults are Taobao's (淘宝网评价规范, 淘宝规则), as far as they could be confirmed:

    * ``rating_window`` 15 days from the delivery (交易成功): "交易成功后15天内" (confirmed: the
      Taobao open platform's ``taobao.traderate.add`` refuses ratings 15 days after the
      order's end time).
    * ``default_good`` on: when the buyer has not rated within the window, the system rates the
      line good (系统默认好评; "交易成功后15天系统会默认好评", Taobao's service centre as quoted
      by several guides; the older rule gave it only when the other party had rated). A default
      rating carries no text and no detailed scores (the detailed ratings count only scores a
      buyer clicked), and counts in credit like a good rating.
    * ``revision_window`` 30 days and ``revisable`` on: "评价人可在作出中、差评后的三十天内，对
      信用评价进行一次修改或删除" (淘宝规则 art. 40, as quoted); only to good, once. Deletion is
      not offered: a rating, once given, stays (电子商务法 art. 39 para. 2 forbids the platform
      to delete consumers' ratings; the library deletes nothing). Tmall ratings cannot be
      revised: ``revisable=False``.
    * ``explanation_window`` 30 days: "被评价人可在评价人作出评论内容或追评内容之时起的30天内作出
      解释" (淘宝网评价规范 art. 7, as quoted).
    * ``follow_up_window`` 180 days from the delivery for the follow-up review (追评), once.
      Widely reported; the rule's own text could not be confirmed here.
    * ``max_photos`` 9 per review or follow-up: a shop setting (the platform's limit could not be
      confirmed).

    Args:
        rating_window: how long after the delivery the buyer may rate (a ``timedelta``).
        default_good: whether an unrated line is rated good by default at the window's end
            (otherwise it lapses, unrated).
        revision_window: how long after rating a neutral or bad rating may be changed to good.
        revisable: whether ratings may be revised at all.
        explanation_window: how long after the review (or the follow-up) the seller may answer
            it, once.
        follow_up_window: how long after the delivery the buyer may follow the review up, once.
        max_photos: the most photo references a review or a follow-up may carry, 0 to
            :data:`MAX_REVIEW_PHOTOS`.

    Raises:
        ValidationError: a window that is not a positive ``timedelta`` of at most
            :data:`MAX_REVIEW_WINDOW`, a switch that is not a ``bool``, or a bad photo count.
    """

    rating_window: _dt.timedelta = attrs.field(
        default=_dt.timedelta(days=15),
        validator=_window("rating_window"),
    )
    default_good: bool = attrs.field(default=True, validator=_flag("default_good"))
    revision_window: _dt.timedelta = attrs.field(
        default=_dt.timedelta(days=30),
        validator=_window("revision_window"),
    )
    revisable: bool = attrs.field(default=True, validator=_flag("revisable"))
    explanation_window: _dt.timedelta = attrs.field(
        default=_dt.timedelta(days=30),
        validator=_window("explanation_window"),
    )
    follow_up_window: _dt.timedelta = attrs.field(
        default=_dt.timedelta(days=180),
        validator=_window("follow_up_window"),
    )
    max_photos: int = attrs.field(default=9, validator=_photos)
