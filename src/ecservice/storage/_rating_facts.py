"""What the SQL store indexes about a rating besides its document: the facts the credit,
good-review and detailed-rating reports count (internal; the table is
:data:`~ecservice.storage.sql._rating_schema.RATING_FACTS`).

Of a rating's fields only the grade and the grade before a revision change after it is made
(rated by the buyer or by default, then revised at most once); the instants and scores come
with them. :meth:`_RatingFacts.key` digests exactly those two, so that answers, follow-ups and
closings write the document only.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any, Final, final

from ecservice.clock import DEFAULT_ZONE, zone
from ecservice.ratings import AlreadyRated, Rating
from ecservice.storage._facts import FactRows
from ecservice.storage._repository import Timer

__all__ = ["FACTS_ZONE", "RATING_FACTS", "already_rated", "rating_fact_values"]

#: The zone of the local day and month the facts record (``RATING_FACTS_ZONE`` of the schema).
FACTS_ZONE: Final = DEFAULT_ZONE
_TZ: Final = zone(FACTS_ZONE)


def rating_fact_values(rating: Rating) -> dict[str, Any]:
    """The rating's row of ``ecs_rating_facts``, column name to value."""
    local = rating.ordered_at.in_timezone(_TZ)
    scores = rating.scores
    grade = rating.grade
    revised_from = rating.revised_from
    amount = rating.amount
    return {
        "rating_id": rating.id,
        "seller_id": rating.seller_id,
        "buyer_id": rating.buyer_id,
        "item_id": rating.item_id,
        "order_id": rating.order_id,
        "line_id": rating.line_id,
        "ordered_at": rating.ordered_at,
        "ordered_day": local.date().toordinal(),
        "ordered_month": local.year * 100 + local.month,
        "currency": amount.currency.code,
        "amount_minor": amount.minor_units,
        "grade": None if grade is None else grade.name,
        "rated_at": rating.rated_at,
        "revised_at": rating.revised_at,
        "revised_from": None if revised_from is None else revised_from.name,
        "described": None if scores is None else scores.described,
        "service": None if scores is None else scores.service,
        "logistics": None if scores is None else scores.logistics,
    }


def already_rated(facts: FactRows) -> AlreadyRated:
    """The error of a rating whose facts row broke the table's unique constraint on
    ``(order_id, line_id)``: its line already has a stored rating (a line is rated once)."""
    row = facts.rows[0] if facts.rows else {}
    return AlreadyRated(
        f"order line {row.get('line_id')!r} of order {row.get('order_id')!r} already has a "
        f"stored rating; a line is rated once, so rating {facts.id!r} was not stored (the unit of "
        "work was rolled back)"
    )


@final
class _RatingFacts:
    """The facts hook of ratings (see :mod:`ecservice.storage._facts`)."""

    __slots__ = ()

    def key(self, aggregate: Any) -> Hashable:
        rating: Rating = aggregate
        return (rating.grade, rating.revised_from)

    def rows(self, aggregate: Any, timers: Mapping[str, Timer]) -> Sequence[FactRows]:
        values = rating_fact_values(aggregate)
        return (
            FactRows(
                "ecs_rating_facts",
                "rating_id",
                values["rating_id"],
                (values,),
                conflict=already_rated,
                unique=("order_id", "line_id"),
            ),
        )


RATING_FACTS: Final = _RatingFacts()
