"""The rating aggregate: the buyer's rating of one order line, its deadlines and its triggers."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable
from typing import Final

import attrs
from pendulum import DateTime

from ecservice.clock import ensure_utc
from ecservice.errors import ValidationError
from ecservice.money import Money
from ecservice.ratings import _prepare
from ecservice.ratings._checks import check_rating, optional_enum, optional_long_text
from ecservice.ratings._events import RatingStatus
from ecservice.ratings._values import DetailedScores, Grade, ReviewPolicy, photo_refs
from ecservice.ratings._workflow import RATED_STATES, RATING_WORKFLOW
from ecservice.text import LONG_TEXT_MAX, check_text
from ecservice.text import text as _short
from ecservice.workflow import Actor, Aggregate, TransitionRecord, bind_workflow

__all__ = ["RATING_TIMER", "Rating"]

S = RatingStatus

#: The actor of the transitions a timer fires: default ratings, lapses and closings.
RATING_TIMER: Final = Actor.system("rating-timer")


def _ordered_at(value: _dt.datetime) -> DateTime:
    return ensure_utc(value, what="ordered_at")


def _delivered_at(value: _dt.datetime) -> DateTime:
    return ensure_utc(value, what="delivered_at")


def _photos(value: Iterable[str]) -> tuple[str, ...]:
    return photo_refs(value, "photos")


def _follow_up_photos(value: Iterable[str]) -> tuple[str, ...]:
    return photo_refs(value, "follow_up_photos")


def _review_text(_: object, __: object, value: object) -> None:
    if type(value) is str and value == "":
        return
    if check_text(value, "a review's text", limit=LONG_TEXT_MAX, multiline=True) != value:
        raise ValidationError("a review's text must not start or end with white space")


@attrs.define(slots=True, kw_only=True, on_setattr=attrs.setters.NO_OP)
class Rating(Aggregate[RatingStatus]):
    """The buyer's rating of one order line (评价), its review, the seller's answers and the
    follow-up review (追评); its workflow is :data:`RATING_WORKFLOW`.

    Within the rating window after the delivery (``policy.rating_window``, 15 days by default)
    the buyer :meth:`rate`\\ s the line: good, neutral or bad (:class:`Grade`), a review text,
    photo references and the three detailed scores (:class:`DetailedScores`). When the window
    ends unrated, a timer gives the default good rating (:meth:`rate_by_default`, 系统默认好评)
    or, if the policy has none, records that the line went unrated (:meth:`lapse`).

    A rating is never deleted and its text never replaced (电子商务法 art. 39 para. 2: a
    platform may not delete consumers' ratings). What may happen after it, each once and each
    within its window of :class:`ReviewPolicy`, is recorded as a transition:

    * :meth:`revise`: the buyer changes a neutral or bad rating to good (an internal
      transition; ``revised_from`` keeps the grade before, the history when);
    * :meth:`explain`: the seller (its staff, or its own account) answers the review
      (internal);
    * :meth:`append`: the buyer adds a follow-up review (state ``FOLLOWED_UP``), which the
      seller may answer with :meth:`explain_follow_up`.

    When every window has ended (:attr:`closes_at`), :meth:`close` makes the rating final.
    :attr:`due_at` is the instant a timer should look at the rating next.

    **Loading.** The constructor checks the types of the fields and that they agree with the
    history: ``grade`` is set exactly once the line was rated; a buyer's rating has a text and
    scores, a default rating neither (nor photos); ``revised_from`` is set exactly when the
    history has its one revision (then the grade is good and the grade before was not);
    ``explanation``, ``follow_up`` and ``follow_up_explanation`` are set exactly when the
    history has their one ``explain``, ``append`` and ``explain_follow_up``.

    Args:
        id: the rating's identifier (short text).
        version: how many transitions succeeded; 0 for a new rating.
        history: every transition, oldest first (``version`` records).
        clock: where the rating reads the time; the system clock by default.
        status: the rating's state; ``RatingStatus.PENDING`` for a new rating.
        order_id: the order (short text).
        line_id: the order line rated (short text; a sub-order, 子订单).
        item_id: the item (商品) the line sold (short text): the credit rules count ratings of
            one item within 14 days once.
        buyer_id: the buyer who placed the order (short text).
        seller_id: the shop rated (short text).
        amount: what the buyer paid for the line (:class:`~ecservice.money.Money`, at least 0):
            lines of 1 CNY or less earn no credit.
        ordered_at: when the order was created (交易创建时间; an aware datetime, converted to
            UTC): the credit rules count months and the 14 days by it.
        delivered_at: when the trade succeeded (交易成功: the buyer confirmed receipt, or it was
            confirmed automatically); the rating and follow-up windows open then. Not before
            ``ordered_at``.
        policy: the windows and switches (:class:`ReviewPolicy`); Taobao's by default.
        grade: the grade, set by :meth:`rate` or :meth:`rate_by_default` (then good).
        text: the review (long text); empty until rated and for a default rating.
        photos: the photo references of the review (at most ``policy.max_photos``).
        scores: the detailed scores of the buyer's rating; ``None`` for a default rating.
        revised_from: the grade before the revision, once revised.
        explanation: the seller's answer to the review, once given.
        follow_up: the follow-up review (追评), once added.
        follow_up_photos: the photo references of the follow-up.
        follow_up_explanation: the seller's answer to the follow-up, once given.

    Raises:
        ValidationError: a field of the wrong type, unacceptable text, or fields that disagree
            with each other or with the history (:class:`InvalidDetailedScore` for bad scores).
    """

    status: RatingStatus = RatingStatus.PENDING
    order_id: str = attrs.field(validator=_short("a rating's order_id"))
    line_id: str = attrs.field(validator=_short("a rating's line_id"))
    item_id: str = attrs.field(validator=_short("a rating's item_id"))
    buyer_id: str = attrs.field(validator=_short("a rating's buyer_id"))
    seller_id: str = attrs.field(validator=_short("a rating's seller_id"))
    amount: Money
    ordered_at: DateTime = attrs.field(converter=_ordered_at)
    delivered_at: DateTime = attrs.field(converter=_delivered_at)
    policy: ReviewPolicy = attrs.field(factory=ReviewPolicy)
    grade: Grade | None = attrs.field(default=None, validator=optional_enum("grade", Grade))
    text: str = attrs.field(default="", validator=_review_text)
    photos: tuple[str, ...] = attrs.field(default=(), converter=_photos)
    scores: DetailedScores | None = None
    revised_from: Grade | None = attrs.field(
        default=None, validator=optional_enum("revised_from", Grade)
    )
    explanation: str | None = attrs.field(
        default=None, validator=optional_long_text("a rating's explanation")
    )
    follow_up: str | None = attrs.field(
        default=None, validator=optional_long_text("a follow-up review")
    )
    follow_up_photos: tuple[str, ...] = attrs.field(default=(), converter=_follow_up_photos)
    follow_up_explanation: str | None = attrs.field(
        default=None, validator=optional_long_text("the answer to a follow-up")
    )

    def __attrs_post_init__(self) -> None:
        check_rating(self)

    # --- views ---------------------------------------------------------------------------------

    def _at(self, *triggers: str) -> DateTime | None:
        for record in self.history:
            if record.trigger in triggers:
                return record.at
        return None

    @property
    def rated_at(self) -> DateTime | None:
        """When the line was rated (by the buyer or by default), or ``None``."""
        return self._at("rate", "rate_by_default")

    @property
    def by_default(self) -> bool:
        """Whether the line was rated good by default (系统默认好评)."""
        return any(r.trigger == "rate_by_default" for r in self.history)

    @property
    def revised_at(self) -> DateTime | None:
        """When the rating was revised, or ``None``."""
        return self._at("revise")

    @property
    def followed_up_at(self) -> DateTime | None:
        """When the follow-up review was added, or ``None``."""
        return self._at("append")

    def grade_at(self, at: _dt.datetime) -> Grade | None:
        """The grade as it stood at the instant ``at``: ``None`` before the line was rated, the
        grade before the revision until it was revised.

        Raises:
            NaiveDatetime: ``at`` has no time zone.
        """
        when = ensure_utc(at, what="at")
        rated = self.rated_at
        if rated is None or when < rated:
            return None
        revised = self.revised_at
        if revised is not None and when < revised:
            return self.revised_from
        return self.grade

    @property
    def rating_deadline(self) -> DateTime:
        """When the rating window ends (that instant excluded), ``delivered_at +
        policy.rating_window``."""
        return self.delivered_at + self.policy.rating_window

    @property
    def revision_deadline(self) -> DateTime | None:
        """The end (excluded) of the revision window, while a revision is still possible (a
        buyer's neutral or bad rating, not yet revised, revisions allowed), else ``None``."""
        rated = self.rated_at
        if (
            rated is None
            or not self.policy.revisable
            or self.by_default
            or self.revised_from is not None
            or self.grade is Grade.GOOD
        ):
            return None
        return rated + self.policy.revision_window

    @property
    def explanation_deadline(self) -> DateTime | None:
        """The end (excluded) of the window to answer the review, while it is unanswered;
        ``None`` otherwise and for a default rating, which has no review to answer."""
        rated = self.rated_at
        if rated is None or self.by_default or self.explanation is not None:
            return None
        return rated + self.policy.explanation_window

    @property
    def follow_up_deadline(self) -> DateTime | None:
        """The end (excluded) of the follow-up window, ``delivered_at +
        policy.follow_up_window``, while the rated line has no follow-up; else ``None``."""
        if self.rated_at is None or self.follow_up is not None:
            return None
        return self.delivered_at + self.policy.follow_up_window

    @property
    def follow_up_explanation_deadline(self) -> DateTime | None:
        """The end (excluded) of the window to answer the follow-up, while it is unanswered."""
        appended = self.followed_up_at
        if appended is None or self.follow_up_explanation is not None:
            return None
        return appended + self.policy.explanation_window

    @property
    def closes_at(self) -> DateTime | None:
        """When every window of a rated line has ended (the latest open deadline; the rating
        instant when none is open), after which :meth:`close` may run; ``None`` unless the
        line is rated and open (``RATED`` or ``FOLLOWED_UP``)."""
        rated = self.rated_at
        if rated is None or self.status not in RATED_STATES:
            return None
        open_ends = [
            d
            for d in (
                self.revision_deadline,
                self.explanation_deadline,
                self.follow_up_deadline,
                self.follow_up_explanation_deadline,
            )
            if d is not None
        ]
        return max([rated, *open_ends])

    @property
    def due_at(self) -> DateTime | None:
        """When a timer should next look at the rating, which is the end of the rating window
        while pending, :attr:`closes_at` while rated, and ``None`` once final."""
        if self.status is S.PENDING:
            return self.rating_deadline
        return self.closes_at

    # --- triggers --------------------------------------------------------------------------

    _prepare_rate = _prepare.prepare_rate

    def rate(
        self,
        *,
        grade: Grade,
        text: str,
        scores: DetailedScores,
        actor: Actor,
        photos: Iterable[str] = (),
    ) -> TransitionRecord:
        """Rate the line (评价): the grade, the review (long text), the three detailed scores
        and, optionally, photo references (at most ``policy.max_photos``), before the rating
        window ends. The actor is the buyer (``Actor.buyer(buyer_id)``).

        Raises:
            AlreadyRated: the line was already rated (by the buyer or by default).
            RatingWindowClosed: the rating window ended, or has not opened (before the
                delivery).
            InvalidTransition: the rating is not pending.
            NotTheBuyer: the actor is not the order's buyer.
            ValidationError: a grade or scores of the wrong type, a blank or unacceptable text,
                bad photo references or too many.
        """
        payload = self._prepare_rate(
            grade=grade, text=text, scores=scores, actor=actor, photos=photos
        )
        return self._fire_prepared("rate", actor, payload)

    _prepare_rate_by_default = _prepare.prepare_rate_by_default

    def rate_by_default(self, *, actor: Actor = RATING_TIMER) -> TransitionRecord:
        """Rate the line good by default (系统默认好评) once the rating window ended unrated, if
        the policy says so (``policy.default_good``). A default rating has no text, photos or
        detailed scores and cannot be revised or answered; it may be followed up.

        Raises:
            InvalidTransition: the rating is not pending.
            RatingWindowClosed: the rating window has not ended yet.
            PolicyViolation: the policy gives no default rating.
        """
        payload = self._prepare_rate_by_default(actor=actor)
        return self._fire_prepared("rate_by_default", actor, payload)

    _prepare_lapse = _prepare.prepare_lapse

    def lapse(self, *, actor: Actor = RATING_TIMER, note: str = "") -> TransitionRecord:
        """Record that the rating window ended unrated, under a policy without default rating;
        the rating is final (``UNRATED``).

        Raises:
            InvalidTransition: the rating is not pending.
            RatingWindowClosed: the rating window has not ended yet.
            PolicyViolation: the policy gives a default rating (:meth:`rate_by_default`).
        """
        payload = self._prepare_lapse(actor=actor, note=note)
        return self._fire_prepared("lapse", actor, payload)

    _prepare_revise = _prepare.prepare_revise

    def revise(self, *, actor: Actor, note: str = "") -> TransitionRecord:
        """Change a neutral or bad rating to good (修改评价), once, within the revision window
        (``policy.revision_window`` after rating). The grade before is kept in
        ``revised_from``, the instant in the history, the review text as it was; ``note`` says
        why. The actor is the buyer.

        Raises:
            InvalidTransition: the line is not rated, or the rating is closed.
            RevisionRefused: a good or default rating, a second revision, or revisions off.
            NotTheBuyer: the actor is not the order's buyer.
            RatingWindowClosed: the revision window ended.
        """
        payload = self._prepare_revise(actor=actor, note=note)
        return self._fire_prepared("revise", actor, payload)

    _prepare_explain = _prepare.prepare_explain

    def explain(self, *, text: str, actor: Actor) -> TransitionRecord:
        """Answer the review for the seller (解释), once, within ``policy.explanation_window``
        of the rating. The actor is the seller: its customer service (an actor of
        :class:`~ecservice.workflow.ActorKind` ``STAFF``) or the seller's own account
        (``Actor.system(seller_id)``); anyone else (a buyer, a carrier, another system job) is
        refused, as the answer is given once and never replaced.

        Raises:
            InvalidTransition: the line is not rated, or the rating is closed.
            NotTheSeller: the actor is not the seller (not staff, not ``seller_id``'s account).
            AnswerRefused: the review was already answered, or is a default rating.
            RatingWindowClosed: the window to answer ended.
            ValidationError: a blank or unacceptable text.
        """
        payload = self._prepare_explain(text=text, actor=actor)
        return self._fire_prepared("explain", actor, payload)

    _prepare_append = _prepare.prepare_append

    def append(self, *, text: str, actor: Actor, photos: Iterable[str] = ()) -> TransitionRecord:
        """Add the follow-up review (追评), once, within ``policy.follow_up_window`` of the
        delivery; the first review stays as it was. The actor is the buyer.

        Raises:
            InvalidTransition: the line is not rated, already followed up, or closed.
            NotTheBuyer: the actor is not the order's buyer.
            RatingWindowClosed: the follow-up window ended.
            ValidationError: a blank or unacceptable text, bad photo references or too many.
        """
        payload = self._prepare_append(text=text, actor=actor, photos=photos)
        return self._fire_prepared("append", actor, payload)

    _prepare_explain_follow_up = _prepare.prepare_explain_follow_up

    def explain_follow_up(self, *, text: str, actor: Actor) -> TransitionRecord:
        """Answer the follow-up review for the seller, once, within
        ``policy.explanation_window`` of the follow-up. The actor is the seller, as for
        :meth:`explain`: staff, or the seller's own account (``Actor.system(seller_id)``).

        Raises:
            InvalidTransition: the rating has no follow-up, or is closed.
            NotTheSeller: the actor is not the seller (not staff, not ``seller_id``'s account).
            AnswerRefused: the follow-up was already answered.
            RatingWindowClosed: the window to answer ended.
            ValidationError: a blank or unacceptable text.
        """
        payload = self._prepare_explain_follow_up(text=text, actor=actor)
        return self._fire_prepared("explain_follow_up", actor, payload)

    _prepare_close = _prepare.prepare_close

    def close(self, *, actor: Actor = RATING_TIMER) -> TransitionRecord:
        """Close the rating once every window ended (:attr:`closes_at`); nothing changes it
        afterwards.

        Raises:
            InvalidTransition: the line is not rated, or the rating is already closed.
            RatingWindowClosed: a window is still open.
        """
        payload = self._prepare_close(actor=actor)
        return self._fire_prepared("close", actor, payload)


bind_workflow(Rating, RATING_WORKFLOW)
