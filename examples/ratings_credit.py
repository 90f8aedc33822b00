"""Ratings (评价) at a tea shop, and the shop's credit and detailed ratings recomputed from them.

1. A buyer rates a teapot bad, the seller answers, the buyer revises the rating to good within
   30 days and, two months later, adds a follow-up review (追评); the first review stays.
2. Another line is not rated within 15 days: the system rates it good by default (系统默认好评).
3. One buyer's many orders in March: the seventh point of the month, a second rating of the same
   item within 14 days and a 1.00 CNY line earn nothing; the credit explains each rating.

Run: ``python examples/ratings_credit.py``
"""

from __future__ import annotations

import pendulum

from ecservice.clock import FixedClock
from ecservice.money import Money
from ecservice.ratings import (
    CreditPolicy,
    DetailedRatingPolicy,
    DetailedScores,
    Grade,
    Rating,
    detailed_ratings,
    good_review_rate,
    seller_credit,
)
from ecservice.workflow import Actor

ZONE = "Asia/Shanghai"
SHOP = Actor.staff("tea-shop")


def line(
    rid: str, buyer: str, item: str, ordered: pendulum.DateTime, amount: str, clock: FixedClock
) -> Rating:
    """A pending rating of a line delivered two days after its order."""
    return Rating(
        id=rid,
        order_id=f"O-{rid}",
        line_id="1",
        item_id=item,
        buyer_id=buyer,
        seller_id="tea-shop",
        amount=Money(amount, "CNY"),
        ordered_at=ordered,
        delivered_at=ordered.add(days=2),
        clock=clock,
    )


def main() -> None:
    march = pendulum.datetime(2026, 3, 2, 10, tz=ZONE)
    clock = FixedClock(march)
    ratings: list[Rating] = []

    # 1. A bad rating, answered, revised to good, followed up.
    teapot = line("teapot", "wang", "TEAPOT", march, "168.00", clock)
    clock.set(teapot.delivered_at.add(hours=5))
    wang = Actor.buyer("wang")
    teapot.rate(
        grade=Grade.BAD,
        text="The lid does not fit.",
        scores=DetailedScores(described=2, service=4, logistics=5),
        actor=wang,
        photos=["photos/lid.jpg"],
    )
    teapot.explain(text="Sorry! A new lid is on its way.", actor=SHOP)
    clock.set(clock.now().add(days=4))
    teapot.revise(actor=wang, note="The new lid fits.")
    clock.set(clock.now().add(days=60))
    teapot.append(text="Still perfect after two months.", actor=wang)
    assert teapot.grade is not None
    assert teapot.revised_from is not None
    print(f"teapot: {teapot.status.label_en} ({teapot.status.label_zh}), {teapot.grade.label_zh}")
    print(f"  review kept: {teapot.text!r}; follow-up: {teapot.follow_up!r}")
    print(f"  revised from {teapot.revised_from.label_zh}; closes at {teapot.closes_at}")
    ratings.append(teapot)

    # 2. Not rated in 15 days: a default good rating.
    clock2 = FixedClock(march)
    cups = line("cups", "li", "CUPS", march, "39.00", clock2)
    clock2.set(cups.rating_deadline)
    cups.rate_by_default()
    assert cups.grade is not None
    print(f"cups: default rating {cups.grade.label_zh}, by default: {cups.by_default}")
    ratings.append(cups)

    # 3. Nine March orders of buyer zhao.
    zhao = Actor.buyer("zhao")
    orders = [
        ("z1", "LEAF-1", 0, "58.00"),
        ("z2", "LEAF-1", 3, "58.00"),  # same item within 14 days
        ("z3", "LEAF-2", 4, "1.00"),  # 1.00 CNY: not counted
        ("z4", "LEAF-3", 5, "20.00"),
        ("z5", "LEAF-4", 6, "20.00"),
        ("z6", "LEAF-5", 7, "20.00"),
        ("z7", "LEAF-6", 8, "20.00"),
        ("z8", "LEAF-7", 9, "20.00"),  # the sixth point of March
        ("z9", "LEAF-8", 10, "20.00"),  # the seventh: over the monthly limit
    ]
    for rid, item, day, amount in orders:
        c = FixedClock(march.add(days=day))
        rating = line(rid, "zhao", item, march.add(days=day), amount, c)
        c.set(rating.delivered_at.add(hours=1))
        rating.rate(
            grade=Grade.GOOD,
            text="Fragrant.",
            scores=DetailedScores(described=5, service=5, logistics=4),
            actor=zhao,
        )
        ratings.append(rating)

    now = pendulum.datetime(2026, 6, 1, 9, tz=ZONE)
    credit = seller_credit(ratings, CreditPolicy(), now=now)
    level = credit.level
    print(f"credit: {credit.score} points, level {level.label_zh if level else 'none'}")
    for entry in credit.entries:
        print(f"  {entry.rating_id:7} {entry.points:+d}  {entry.reason.label_en}")
    rate = good_review_rate(ratings, CreditPolicy(), now=now, days=180).rate
    print(f"good-review rate, 180 days: {rate}")
    dsr = detailed_ratings(ratings, DetailedRatingPolicy(), now=now)
    print(f"item as described: {dsr.described}")
    print(f"service: {dsr.service}; logistics: {dsr.logistics}")


if __name__ == "__main__":
    main()
