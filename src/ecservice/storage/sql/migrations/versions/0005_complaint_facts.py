"""Complaint facts: what the complaint report counts, per complaint and per SLA cycle.

Revision ID: 0005
Revises: 0004

``ecs_complaint_facts`` holds one row per complaint (``complaint_id`` primary key; ``order_id``
indexed with ``opened_at``, ``opened_at`` indexed) and ``ecs_complaint_cycles`` one row per SLA
cycle (primary key ``complaint_id``, ``kind``, ``cycle``), both written with every save of the
complaint. The upgrade creates them empty: their working times and cycles are computed under
the shop's SLA policy and working calendar, which a migration does not know;
:meth:`SqlComplaintReports.refresh <ecservice.storage.sql.SqlComplaintReports.refresh>` fills
them for the complaints stored before, and the report refuses to count while any stored
complaint has no facts. See :mod:`ecservice.storage.sql._complaint_schema`.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "ecs_complaint_facts",
        sa.Column("complaint_id", sa.String(200), nullable=False),
        sa.Column("order_id", sa.String(200), nullable=True),
        sa.Column("case_id", sa.String(200), nullable=True),
        sa.Column("opened_at", _utc(), nullable=False),
        sa.Column("status", sa.String(64), nullable=False),
        sa.Column("problem", sa.String(64), nullable=True),
        sa.Column("category", sa.String(64), nullable=True),
        sa.Column("replied_at", _utc(), nullable=True),
        sa.Column("first_reply_us", sa.BigInteger(), nullable=True),
        sa.Column("resolved_at", _utc(), nullable=True),
        sa.Column("resolution_us", sa.BigInteger(), nullable=True),
        sa.Column("reopened", sa.Boolean(), nullable=False),
        sa.Column("closed_once", sa.Boolean(), nullable=False),
        sa.Column("satisfaction", sa.SmallInteger(), nullable=True),
        sa.Column("policy", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("complaint_id"),
    )
    op.create_index(
        "ix_ecs_complaint_facts_order", "ecs_complaint_facts", ["order_id", "opened_at"]
    )
    op.create_index("ix_ecs_complaint_facts_opened", "ecs_complaint_facts", ["opened_at"])
    op.create_table(
        "ecs_complaint_cycles",
        sa.Column("complaint_id", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("cycle", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("due_at", _utc(), nullable=False),
        sa.Column("stopped_at", _utc(), nullable=True),
        sa.Column("ended", sa.String(64), nullable=True),
        sa.Column("paused_now", sa.Boolean(), nullable=False),
        sa.Column("breached_at", _utc(), nullable=True),
        sa.PrimaryKeyConstraint("complaint_id", "kind", "cycle"),
    )


def downgrade() -> None:
    op.drop_table("ecs_complaint_cycles")
    op.drop_index("ix_ecs_complaint_facts_opened", table_name="ecs_complaint_facts")
    op.drop_index("ix_ecs_complaint_facts_order", table_name="ecs_complaint_facts")
    op.drop_table("ecs_complaint_facts")
