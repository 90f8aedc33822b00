"""Builders shared by the rating tests."""

from __future__ import annotations

import datetime as _dt
from typing import Any

import attrs
import pendulum
from pendulum import DateTime

from ecservice.clock import FixedClock
from ecservice.money import Money
from ecservice.ratings import DetailedScores, Grade, Rating
from ecservice.workflow import Actor

BUYER = Actor.buyer("b-1")
SELLER = Actor.staff("shop-agent")
ZONE = "Asia/Shanghai"
ORDERED = pendulum.datetime(2026, 3, 2, 10, 0, 0, tz=ZONE)
DELIVERED = ORDERED.add(days=3)
MICRO = _dt.timedelta(microseconds=1)
SCORES = DetailedScores(described=5, service=4, logistics=3)


def new_rating(*, clock: FixedClock | None = None, **overrides: Any) -> Rating:
    """A pending rating of line L-1 (item I-1, 10.00 CNY) of order O-1 by buyer b-1."""
    fields: dict[str, Any] = {
        "id": "R-1",
        "order_id": "O-1",
        "line_id": "L-1",
        "item_id": "I-1",
        "buyer_id": "b-1",
        "seller_id": "s-1",
        "amount": Money("10.00", "CNY"),
        "ordered_at": ORDERED,
        "delivered_at": DELIVERED,
        "clock": clock if clock is not None else FixedClock(DELIVERED),
    }
    fields.update(overrides)
    return Rating(**fields)


def made(
    rid: str,
    *,
    grade: Grade | None = Grade.GOOD,
    ordered_at: _dt.datetime = ORDERED,
    buyer: str = "b-1",
    item: str = "I-1",
    amount: str = "10.00",
    rated_after: _dt.timedelta = _dt.timedelta(days=1),
    by_default: bool = False,
    scores: DetailedScores = SCORES,
    seller: str = "s-1",
) -> Rating:
    """A rating of order ``O-<rid>`` delivered a day after ``ordered_at`` and rated
    ``rated_after`` the delivery (by default when ``by_default``; pending when ``grade`` is
    ``None``)."""
    ordered = pendulum.instance(ordered_at)
    delivered = ordered.add(days=1)
    clock = FixedClock(delivered)
    rating = Rating(
        id=rid,
        order_id=f"O-{rid}",
        line_id="L-1",
        item_id=item,
        buyer_id=buyer,
        seller_id=seller,
        amount=Money(amount, "CNY"),
        ordered_at=ordered,
        delivered_at=delivered,
        clock=clock,
    )
    if by_default:
        clock.set(rating.rating_deadline)
        rating.rate_by_default()
    elif grade is not None:
        clock.set(delivered + rated_after)
        rating.rate(grade=grade, text="ok", scores=scores, actor=Actor.buyer(buyer))
    return rating


def at(rating: Rating) -> DateTime:
    """The rating's clock time."""
    return rating.clock.now()


def snapshot(rating: Rating) -> dict[str, Any]:
    """Every field of the rating (the clock aside) and its queued events."""
    fields = attrs.asdict(rating, recurse=False)
    fields.pop("clock")
    return {**fields, "history": tuple(rating.history), "events": rating.pending_events}


def rebuilt(rating: Rating) -> Rating:
    """The rating built again from its fields, as storage does."""
    fields = {f.name: getattr(rating, f.name) for f in attrs.fields(Rating) if f.init}
    fields["history"] = tuple(rating.history)
    return Rating(**fields)
