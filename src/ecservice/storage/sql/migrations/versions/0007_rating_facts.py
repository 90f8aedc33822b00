"""Rating facts: what the rating and credit reports count of each stored rating.

Revision ID: 0007
Revises: 0006

``ecs_rating_facts`` holds one row per rating (``rating_id`` primary key; ``order_id`` and
``line_id`` unique together; ``seller_id`` indexed with the counting order ``ordered_at``,
``rated_at``, ``rating_id``): its seller, buyer, item, order and line, the order's creation
with its local day and month in Asia/Shanghai, the amount in minor units and its currency, the
grade, when it was rated and revised and the grade before, and the detailed scores. The upgrade
fills it from the ratings already stored, loading each document through the library's rating
serializer (older schema versions are upcast as for any load; a document that does not load
stops the upgrade with the store's error naming it; two stored ratings of one order line stop
it on the unique constraint). A script written offline (``--sql``) cannot read the ratings and
says so. See :mod:`ecservice.storage.sql._rating_schema`.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    facts = op.create_table(
        "ecs_rating_facts",
        sa.Column("rating_id", sa.String(200), nullable=False),
        sa.Column("seller_id", sa.String(200), nullable=False),
        sa.Column("buyer_id", sa.String(200), nullable=False),
        sa.Column("item_id", sa.String(200), nullable=False),
        sa.Column("order_id", sa.String(200), nullable=False),
        sa.Column("line_id", sa.String(200), nullable=False),
        sa.Column("ordered_at", _utc(), nullable=False),
        sa.Column("ordered_day", sa.Integer(), nullable=False),
        sa.Column("ordered_month", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("grade", sa.String(16), nullable=True),
        sa.Column("rated_at", _utc(), nullable=True),
        sa.Column("revised_at", _utc(), nullable=True),
        sa.Column("revised_from", sa.String(16), nullable=True),
        sa.Column("described", sa.SmallInteger(), nullable=True),
        sa.Column("service", sa.SmallInteger(), nullable=True),
        sa.Column("logistics", sa.SmallInteger(), nullable=True),
        sa.PrimaryKeyConstraint("rating_id"),
        sa.UniqueConstraint("order_id", "line_id", name="uq_ecs_rating_facts_line"),
    )
    op.create_index(
        "ix_ecs_rating_facts_seller",
        "ecs_rating_facts",
        ["seller_id", "ordered_at", "rated_at", "rating_id"],
    )
    if context.is_offline_mode():
        # A script written offline cannot read the stored ratings.
        op.execute(
            "-- ecs_rating_facts is empty: run 'ecservice db upgrade' online to fill it from the "
            "stored ratings"
        )
        return
    _fill(facts)


def _fill(facts: sa.Table) -> None:
    """A facts row for every stored rating."""
    from ecservice.storage import RATING_SERIALIZER
    from ecservice.storage._rating_facts import rating_fact_values
    from ecservice.storage.sql.migrations._backfill import backfill

    backfill(op.get_bind(), facts, RATING_SERIALIZER, rating_fact_values)


def downgrade() -> None:
    op.drop_index("ix_ecs_rating_facts_seller", table_name="ecs_rating_facts")
    op.drop_table("ecs_rating_facts")
