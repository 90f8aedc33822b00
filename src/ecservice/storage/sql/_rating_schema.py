"""The table of rating facts: what the credit, good-review and detailed-rating reports count of
the stored ratings, one row per rating.

``ecs_rating_facts`` (``rating_id`` primary key) is written (the rating's row replaced) in the
transaction that adds a rating and in those that save it with a new version, so it always
agrees with the committed document. Columns:

* ``seller_id``, ``buyer_id``, ``item_id``, ``order_id`` and ``line_id``; ``order_id`` and
  ``line_id`` are **unique together**: a line is rated once (淘宝网评价规范), so a second rating
  of one line cannot be stored;
* ``ordered_at`` (UTC: the order's creation, by which months and the duplicate window are
  counted) and, in :data:`RATING_FACTS_ZONE` (the shop's zone, Asia/Shanghai), the local
  ``ordered_day`` (the proleptic Gregorian ordinal of the local date,
  :meth:`datetime.date.toordinal`) and ``ordered_month`` (``year * 100 + month``): SQLite
  knows no time zones, so the local calendar is fixed when the rating is saved;
* ``currency`` (ISO 4217) and ``amount_minor``, what the buyer paid for the line in minor
  units;
* ``grade`` (the :class:`~ecservice.ratings.Grade` name, ``NULL`` until rated) and
  ``rated_at``; ``revised_at`` and ``revised_from`` (the grade before the revision), so that a
  report at an instant before the revision counts the grade before;
* the detailed scores ``described``, ``service`` and ``logistics`` (1 to 5, ``NULL`` for a
  default rating or an unrated line), given with the rating (at ``rated_at``).

Indexed: ``seller_id`` with the counting order (``ordered_at``, ``rated_at``, ``rating_id``),
which every report of one seller reads in. Migration ``0007`` creates the table and fills it for
the ratings stored before.
"""

from __future__ import annotations

from typing import Final

import sqlalchemy as sa

from ecservice.clock import DEFAULT_ZONE
from ecservice.storage.sql._schema import METADATA, UtcDateTime, minor_units_column

__all__ = ["RATING_FACTS", "RATING_FACTS_ZONE"]

#: The zone in which the rating facts record the local day and month of each order:
#: Asia/Shanghai, the zone of the platform rules the reports follow.
RATING_FACTS_ZONE: Final = DEFAULT_ZONE

RATING_FACTS: Final = sa.Table(
    "ecs_rating_facts",
    METADATA,
    sa.Column("rating_id", sa.String(200), primary_key=True, nullable=False),
    sa.Column("seller_id", sa.String(200), nullable=False),
    sa.Column("buyer_id", sa.String(200), nullable=False),
    sa.Column("item_id", sa.String(200), nullable=False),
    sa.Column("order_id", sa.String(200), nullable=False),
    sa.Column("line_id", sa.String(200), nullable=False),
    sa.Column("ordered_at", UtcDateTime(), nullable=False),
    sa.Column("ordered_day", sa.Integer(), nullable=False),
    sa.Column("ordered_month", sa.Integer(), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    minor_units_column("amount_minor"),
    sa.Column("grade", sa.String(16), nullable=True),
    sa.Column("rated_at", UtcDateTime(), nullable=True),
    sa.Column("revised_at", UtcDateTime(), nullable=True),
    sa.Column("revised_from", sa.String(16), nullable=True),
    sa.Column("described", sa.SmallInteger(), nullable=True),
    sa.Column("service", sa.SmallInteger(), nullable=True),
    sa.Column("logistics", sa.SmallInteger(), nullable=True),
    sa.UniqueConstraint("order_id", "line_id", name="uq_ecs_rating_facts_line"),
    sa.Index("ix_ecs_rating_facts_seller", "seller_id", "ordered_at", "rated_at", "rating_id"),
)
