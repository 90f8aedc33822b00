"""The rating use cases: open the ratings of a delivered order, one per line; record the
buyer's rating, revision and follow-up and the seller's answers; run the ratings' timers.

A rating's id is drawn from its order and line (:func:`rating_id`), so that opening the
ratings of an order again, after a crash or from another process, finds the stored ones and
never makes a second. The store times ratings with :func:`~ecservice.storage.rating_next_due`
(in :func:`~ecservice.storage.default_timers`): :meth:`RatingService.run_due_timers` gives the
default good rating (or records the lapse) when the rating window ends unrated, and closes a
rating when all its windows ended.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar, final

from pendulum import DateTime

from ecservice.application._runner import UseCaseRunner, check_clock, check_store
from ecservice.application._stored import change_stored, check_callable, check_limit, claim_due
from ecservice.application._timer_policy import require_timer
from ecservice.clock import SYSTEM_CLOCK, Clock, ensure_utc
from ecservice.errors import PolicyViolation, ValidationError
from ecservice.orders import Order, OrderStatus
from ecservice.ratings import (
    RATED_STATES,
    RATING_TIMER,
    DetailedScores,
    Grade,
    Rating,
    RatingStatus,
    ReviewPolicy,
)
from ecservice.ratings._prepare import check_buyer, check_seller
from ecservice.storage import Store, UnitOfWork, default_backoff
from ecservice.text import check_text
from ecservice.workflow import Actor

__all__ = ["RatingService", "rating_id"]

R = TypeVar("R")

#: The triggers after which an order is done (交易成功): the rating windows open then.
_DONE_TRIGGERS = frozenset({"confirm_receipt", "auto_confirm"})


def rating_id(order_id: str, sku: str) -> str:
    """The id of the rating of the line ``sku`` of order ``order_id``: ``"<order>/<sku>"``.

    >>> from ecservice.application import rating_id
    >>> rating_id("O-1", "TEA-1")
    'O-1/TEA-1'

    Raises:
        ValidationError: an order id or SKU that is not acceptable short text.
    """
    return f"{check_text(order_id, 'an order id')}/{check_text(sku, 'a SKU')}"


def _delivered_at(order: Order[Any]) -> DateTime:
    for record in reversed(order.history):
        if record.trigger in _DONE_TRIGGERS:
            return record.at
    # A custom workflow that reaches DONE another way: its last transition.
    return order.history[-1].at


def _check_actor(actor: object) -> None:
    if type(actor) is not Actor:
        raise ValidationError(f"actor must be an Actor, not {type(actor).__name__}")


@final
class RatingService:
    """The rating use cases of one shop (评价) over one store, under one review policy.

    Each method is one unit of work run through :func:`~ecservice.storage.run_in_transaction`
    (retried on transient storage errors and on :class:`~ecservice.errors.ConcurrencyConflict`,
    from the stored state). Run again after a crash, before or after its commit, each converges
    to what one run reaches: the stored rating is returned when it already holds what was asked,
    and only to whom may ask it (the buyer, or the seller for its answers: who acts is checked
    first, on a replay too).
    The store should time ratings with :func:`~ecservice.storage.rating_next_due` (the default
    timers do) and load them with the service's clock.

    Args:
        store: where orders and ratings are stored.
        seller_id: the shop the ratings rate (short text), the ``seller_id`` of every
            :class:`~ecservice.ratings.Rating` opened.
        clock: the time timers run at (the ratings read theirs from the store's clock).
        policy: the windows and switches of new ratings (:class:`~ecservice.ratings.ReviewPolicy`,
            Taobao's by default: rate within 15 days of the delivery, good by default).
        actor: who fires the timers' transitions (default
            :data:`~ecservice.ratings.RATING_TIMER`).
        attempts: how many times a use case runs before a transient failure is raised.
        backoff: seconds to wait before the next attempt.
        sleep: how to wait (``time.sleep``).

    Raises:
        ValidationError: a ``store`` without a callable ``unit_of_work`` (a
            :class:`~ecservice.storage.Store` is needed), or a ``clock`` that is not a
            :class:`~ecservice.clock.Clock` (with ``now()``).
        ValidationError: a bad ``seller_id``, a policy that is not a
            :class:`~ecservice.ratings.ReviewPolicy`, or an actor that is not an
            :class:`~ecservice.workflow.Actor`.
    """

    def __init__(
        self,
        store: Store,
        *,
        seller_id: str,
        clock: Clock = SYSTEM_CLOCK,
        policy: ReviewPolicy | None = None,
        actor: Actor | None = None,
        attempts: int = 5,
        backoff: Callable[[int], float] = default_backoff,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        check_store(store, "RatingService")
        check_clock(clock, "RatingService")
        if policy is not None and not isinstance(policy, ReviewPolicy):
            raise ValidationError(f"policy must be a ReviewPolicy, not {type(policy).__name__}")
        if actor is not None and not isinstance(actor, Actor):
            raise ValidationError(f"actor must be an Actor, not {type(actor).__name__}")
        self.seller_id = check_text(seller_id, "a seller id")
        self.store = store
        self.clock = clock
        self.policy = ReviewPolicy() if policy is None else policy
        self.actor = RATING_TIMER if actor is None else actor
        self._run = UseCaseRunner(store, attempts, backoff, sleep)

    # --- opening ----------------------------------------------------------------------------

    def open_ratings(self, order_id: str) -> tuple[Rating, ...]:
        """Open the ratings of the done order ``order_id`` (交易成功), one per line with units
        delivered (lines cancelled whole have nothing to rate), with ids :func:`rating_id`;
        the rating window opens at the order's completion (the buyer's confirmation of
        receipt, or the automatic one). The line's amount is what the buyer paid for its units
        not cancelled (the credit rules leave out lines of 1 CNY or less).

        Run again, it stores none twice and returns the stored ratings.

        Returns:
            The order's ratings, in the order of its lines.

        Raises:
            AggregateNotFound: no such order.
            PolicyViolation: the order is not done yet, or a rating id is taken by a rating
                of another order or buyer.
        """

        def work(uow: UnitOfWork) -> tuple[Rating, ...]:
            order = uow.orders.get(order_id)
            if order.status is not OrderStatus.DONE:
                raise PolicyViolation(
                    f"order {order_id!r} is {order.status.value}: its lines are rated once it "
                    "is done (交易成功, the receipt confirmed)"
                )
            delivered = _delivered_at(order)
            out: list[Rating] = []
            for line in order.lines:
                units = line.quantity - order.cancelled_quantity(line.sku)
                if units <= 0:
                    continue
                rid = rating_id(order.id, line.sku)
                stored = uow.ratings.find(rid)
                if stored is not None:
                    if stored.order_id != order.id or stored.buyer_id != order.buyer_id:
                        raise PolicyViolation(
                            f"rating id {rid!r} is already used by a rating of order "
                            f"{stored.order_id!r}"
                        )
                    out.append(stored)
                    continue
                rating = Rating(
                    id=rid,
                    order_id=order.id,
                    line_id=line.sku,
                    item_id=line.sku,
                    buyer_id=order.buyer_id,
                    seller_id=self.seller_id,
                    amount=line.unit_price * units,
                    ordered_at=order.created_at,
                    delivered_at=delivered,
                    policy=self.policy,
                    clock=order.clock,
                )
                uow.ratings.add(rating)
                out.append(rating)
            return tuple(out)

        return self._run(work)

    def ratings_of(self, order_id: str) -> tuple[Rating, ...]:
        """The stored ratings of ``order_id``'s lines (those opened), in the order of its
        lines; nothing is written.

        Raises:
            AggregateNotFound: no such order.
        """

        def work(uow: UnitOfWork) -> tuple[Rating, ...]:
            order = uow.orders.get(order_id)
            found = (uow.ratings.find(rating_id(order.id, line.sku)) for line in order.lines)
            return tuple(r for r in found if r is not None)

        return self._run(work)

    # --- the buyer and the seller --------------------------------------------------------------

    def change(self, rating_id: str, change: Callable[[Rating], R]) -> R:
        """Load the rating, apply ``change`` to it (a trigger), save it if it changed, commit;
        what ``change`` returned. ``change`` may run more than once (after a transient failure
        or a concurrent change, on the freshly loaded rating).

        Raises:
            ValidationError: ``change`` is not callable.
            AggregateNotFound: no such rating.
            EcServiceError: whatever ``change`` raised (nothing is stored).
        """
        check_callable(change, "rating")
        return self._run(lambda uow: change_stored(uow.ratings, rating_id, change))

    def rate(
        self,
        rating_id: str,
        *,
        grade: Grade,
        text: str,
        scores: DetailedScores,
        actor: Actor,
        photos: Iterable[str] = (),
    ) -> Rating:
        """The buyer rates the line (:meth:`Rating.rate <ecservice.ratings.Rating.rate>`):
        the grade, the review, the three detailed scores, photo references. Run again with the
        same grade, text and scores, it returns the stored rating.

        Raises:
            AggregateNotFound: no such rating.
            AlreadyRated: the line was rated otherwise (or by default).
            RatingWindowClosed: the rating window ended.
            NotTheBuyer: the actor is not the order's buyer.
            ValidationError: malformed input (see :meth:`Rating.rate
                <ecservice.ratings.Rating.rate>`).
        """
        shots = tuple(photos)

        def apply(rating: Rating) -> Rating:
            # Who rates first, whatever the replay: another actor learns nothing of the rating.
            _check_actor(actor)
            check_buyer(rating, actor, "rate")
            if rating.rated_at is not None and not rating.by_default:
                first = rating.grade if rating.revised_from is None else rating.revised_from
                stored = (first, rating.text, rating.scores, rating.photos)
                if stored == (grade, text, scores, shots):
                    return rating
            rating.rate(grade=grade, text=text, scores=scores, actor=actor, photos=shots)
            return rating

        return self.change(rating_id, apply)

    def revise(self, rating_id: str, *, actor: Actor, note: str = "") -> Rating:
        """The buyer changes a neutral or bad rating to good (:meth:`Rating.revise
        <ecservice.ratings.Rating.revise>`); run again, it returns the stored rating.

        Raises:
            AggregateNotFound: no such rating.
            RevisionRefused: a good or default rating, or revisions off.
            RatingWindowClosed: the revision window ended.
            NotTheBuyer: the actor is not the order's buyer.
        """

        def apply(rating: Rating) -> Rating:
            _check_actor(actor)
            check_buyer(rating, actor, "revise")
            if rating.revised_from is None:
                rating.revise(actor=actor, note=note)
            return rating

        return self.change(rating_id, apply)

    def explain(self, rating_id: str, *, text: str, actor: Actor) -> Rating:
        """The seller answers the review (:meth:`Rating.explain
        <ecservice.ratings.Rating.explain>`); run again with the same text, it returns the
        stored rating.

        Raises:
            AggregateNotFound: no such rating.
            NotTheSeller: the actor is not the seller's staff or account.
            AnswerRefused: the review was answered otherwise, or is a default rating.
            RatingWindowClosed: the window to answer ended.
        """

        def apply(rating: Rating) -> Rating:
            _check_actor(actor)
            check_seller(rating, actor, "the review")
            if rating.explanation != text:
                rating.explain(text=text, actor=actor)
            return rating

        return self.change(rating_id, apply)

    def follow_up(
        self, rating_id: str, *, text: str, actor: Actor, photos: Iterable[str] = ()
    ) -> Rating:
        """The buyer adds the follow-up review (追评, :meth:`Rating.append
        <ecservice.ratings.Rating.append>`); run again with the same text, it returns the stored
        rating.

        Raises:
            AggregateNotFound: no such rating.
            InvalidTransition: the line is not rated, followed up otherwise, or closed.
            RatingWindowClosed: the follow-up window ended.
            NotTheBuyer: the actor is not the order's buyer.
        """
        shots = tuple(photos)

        def apply(rating: Rating) -> Rating:
            _check_actor(actor)
            check_buyer(rating, actor, "follow up")
            if rating.follow_up != text:
                rating.append(text=text, actor=actor, photos=shots)
            return rating

        return self.change(rating_id, apply)

    def explain_follow_up(self, rating_id: str, *, text: str, actor: Actor) -> Rating:
        """The seller answers the follow-up review (:meth:`Rating.explain_follow_up
        <ecservice.ratings.Rating.explain_follow_up>`); run again with the same text, it
        returns the stored rating.

        Raises:
            AggregateNotFound: no such rating.
            InvalidTransition: no follow-up, or closed.
            NotTheSeller: the actor is not the seller's staff or account.
            AnswerRefused: the follow-up was answered otherwise.
            RatingWindowClosed: the window to answer ended.
        """

        def apply(rating: Rating) -> Rating:
            _check_actor(actor)
            check_seller(rating, actor, "the follow-up")
            if rating.follow_up_explanation != text:
                rating.explain_follow_up(text=text, actor=actor)
            return rating

        return self.change(rating_id, apply)

    # --- timers -----------------------------------------------------------------------------

    def run_due_timers(self, *, limit: int = 100) -> int:
        """Fire the ratings due at ``clock.now()``: a pending rating whose window ended is rated
        good by default (系统默认好评, :meth:`~ecservice.ratings.Rating.rate_by_default`) or,
        under a policy without it, lapses (:meth:`~ecservice.ratings.Rating.lapse`); a rated
        rating whose windows all ended is closed (:meth:`~ecservice.ratings.Rating.close`).

        The ratings are claimed through the store's timer index (``uow.ratings.due(now,
        limit)``), ``limit`` at a time, each handled in a unit of work of its own and saved,
        so that its timer is stored again. Run again, it changes nothing.

        Returns:
            How many ratings changed.

        Raises:
            ValidationError: ``limit`` is not a whole number from 1 to 10000, or the store
                shows its timers (``store.timers``) and has none for these documents: nothing
                would ever be due.
            DocumentError: due ratings could not be read (raised after every other one was
                handled; each is also logged at ERROR on the ``"ecservice.application"``
                logger, and stays due until its document is repaired).
        """
        check_limit(limit)
        now = ensure_utc(self.clock.now(), what="clock.now()")

        def fire(rid: str) -> bool:
            return self._run(functools.partial(self._fire, rating_id=rid))

        require_timer(self.store, "rating", "rating", "rating_next_due")
        return claim_due(self._run, lambda uow: uow.ratings, now, fire, limit, "rating")

    def _fire(self, uow: UnitOfWork, rating_id: str) -> bool:
        rating = uow.ratings.get(rating_id)
        version = rating.version
        if rating.status is RatingStatus.PENDING:
            if rating.can("rate_by_default"):
                rating.rate_by_default(actor=self.actor)
            elif rating.can("lapse"):
                rating.lapse(actor=self.actor)
        if rating.status in RATED_STATES and rating.can("close"):
            rating.close(actor=self.actor)
        # Saved even when unchanged: the store computes its timer again.
        uow.ratings.save(rating)
        return rating.version != version
