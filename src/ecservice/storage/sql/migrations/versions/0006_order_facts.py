"""Order facts: what the reports count of each stored order.

Revision ID: 0006
Revises: 0005

``ecs_order_facts`` holds one row per order (``order_id`` primary key; ``buyer_id`` indexed
with ``created_at``, ``created_at`` indexed): its buyer, creation, currency, total and kept value
in minor units, how and when it closed, and its holds for exception handling. The upgrade fills
it from the orders already stored, loading each document through the library's order
serializer (older schema versions are upcast as for any load; a document that does not load
stops the upgrade with the store's error naming it). A script written offline (``--sql``)
cannot read the orders and says so. See :mod:`ecservice.storage.sql._order_schema`.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    facts = op.create_table(
        "ecs_order_facts",
        sa.Column("order_id", sa.String(200), nullable=False),
        sa.Column("buyer_id", sa.String(200), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("total_minor", sa.BigInteger(), nullable=False),
        sa.Column("kept_minor", sa.BigInteger(), nullable=False),
        sa.Column("closed_as", sa.String(64), nullable=True),
        sa.Column("closed_at", _utc(), nullable=True),
        sa.Column("holds", sa.Integer(), nullable=False),
        sa.Column("held_at", _utc(), nullable=True),
        sa.Column("hold_reason", sa.String(64), nullable=True),
        sa.Column("hold_ended_at", _utc(), nullable=True),
        sa.Column("hold_outcome", sa.String(64), nullable=True),
        sa.Column("held_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("order_id"),
    )
    op.create_index("ix_ecs_order_facts_buyer", "ecs_order_facts", ["buyer_id", "created_at"])
    op.create_index("ix_ecs_order_facts_created", "ecs_order_facts", ["created_at"])
    if context.is_offline_mode():
        # A script written offline cannot read the stored orders.
        op.execute(
            "-- ecs_order_facts is empty: run 'ecservice db upgrade' online to fill it from the "
            "stored orders"
        )
        return
    _fill(facts)


def _fill(facts: sa.Table) -> None:
    """A facts row for every stored order."""
    from ecservice.storage import ORDER_SERIALIZER
    from ecservice.storage._order_facts import order_fact_values
    from ecservice.storage.sql.migrations._backfill import backfill

    backfill(op.get_bind(), facts, ORDER_SERIALIZER, order_fact_values)


def downgrade() -> None:
    op.drop_index("ix_ecs_order_facts_created", table_name="ecs_order_facts")
    op.drop_index("ix_ecs_order_facts_buyer", table_name="ecs_order_facts")
    op.drop_table("ecs_order_facts")
