"""The initial schema: aggregates as documents, and the outbox of their events.

Revision ID: 0001
Revises: (none)

``ecs_aggregates`` holds one row per aggregate, keyed by ``(type, id)``, with the ``version`` a
save is conditional on and the ``next_due_at`` instant its timer fires (indexed with ``type``).
``ecs_outbox`` holds one row per domain event, written in the transaction that saved its
aggregate; relays read it through ``ix_ecs_outbox_pending``. Documents and payloads are JSONB on
PostgreSQL and JSON text on SQLite; every datetime is UTC.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(JSONB(), "postgresql")


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "ecs_aggregates",
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("id", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.Column("document", _json(), nullable=False),
        sa.Column("next_due_at", _utc(), nullable=True),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("type", "id"),
    )
    op.create_index("ix_ecs_aggregates_due", "ecs_aggregates", ["type", "next_due_at"])
    op.create_table(
        "ecs_outbox",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(),
            nullable=False,
        ),
        sa.Column("event_id", sa.String(300), nullable=False),
        sa.Column("aggregate_type", sa.String(64), nullable=False),
        sa.Column("aggregate_id", sa.String(200), nullable=False),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("payload", _json(), nullable=False),
        sa.Column("occurred_at", _utc(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("claimed_until", _utc(), nullable=True),
        sa.Column("dispatched_at", _utc(), nullable=True),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("event_id"),
    )
    op.create_index("ix_ecs_outbox_pending", "ecs_outbox", ["dispatched_at", "seq"])


def downgrade() -> None:
    op.drop_index("ix_ecs_outbox_pending", table_name="ecs_outbox")
    op.drop_table("ecs_outbox")
    op.drop_index("ix_ecs_aggregates_due", table_name="ecs_aggregates")
    op.drop_table("ecs_aggregates")
