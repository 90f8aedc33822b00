"""The books of the SQL payment gateway: accounts, journal, idempotency records, authorisations,
captures, refunds and declines.

Revision ID: 0002
Revises: 0001

Amounts are whole numbers of minor units (``BIGINT``). ``CHECK`` constraints keep every account
but ``~external`` from going negative, authorisations in ``open``/``captured``/``voided``, and a
capture's ``refunded`` between zero and its amount; one capture per authorisation is a unique
constraint. See :mod:`ecservice.storage.sql._gateway_schema`.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "ecs_gw_accounts",
        sa.Column("gateway", sa.String(64), nullable=False),
        sa.Column("account", sa.String(260), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("balance", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "balance >= 0 OR account = '~external'", name="ck_ecs_gw_accounts_not_negative"
        ),
        sa.PrimaryKeyConstraint("gateway", "account", "currency"),
    )
    op.create_table(
        "ecs_gw_entries",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(),
            nullable=False,
        ),
        sa.Column("gateway", sa.String(64), nullable=False),
        sa.Column("operation", sa.String(300), nullable=False),
        sa.Column("account", sa.String(260), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("posted_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    op.create_index(
        "ix_ecs_gw_entries_account", "ecs_gw_entries", ["gateway", "account", "currency"]
    )
    op.create_table(
        "ecs_gw_requests",
        sa.Column("gateway", sa.String(64), nullable=False),
        sa.Column("idempotency_key", sa.String(300), nullable=False),
        sa.Column("fingerprint", sa.String(1000), nullable=False),
        sa.Column("reference", sa.String(200), nullable=True),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=True),
        sa.Column("answered_at", _utc(), nullable=True),
        sa.PrimaryKeyConstraint("gateway", "idempotency_key"),
    )
    op.create_table(
        "ecs_gw_authorizations",
        sa.Column("gateway", sa.String(64), nullable=False),
        sa.Column("id", sa.String(200), nullable=False),
        sa.Column("payment_reference", sa.String(200), nullable=False),
        sa.Column("account", sa.String(260), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.CheckConstraint("amount > 0", name="ck_ecs_gw_authorizations_positive"),
        sa.CheckConstraint(
            "state IN ('open', 'captured', 'voided')", name="ck_ecs_gw_authorizations_state"
        ),
        sa.PrimaryKeyConstraint("gateway", "id"),
    )
    op.create_table(
        "ecs_gw_captures",
        sa.Column("gateway", sa.String(64), nullable=False),
        sa.Column("id", sa.String(200), nullable=False),
        sa.Column("authorization_id", sa.String(200), nullable=False),
        sa.Column("account", sa.String(260), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("refunded", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("gateway", "id"),
        sa.UniqueConstraint("gateway", "authorization_id", name="uq_ecs_gw_captures_authorization"),
        sa.CheckConstraint(
            "refunded >= 0 AND refunded <= amount", name="ck_ecs_gw_captures_refunded"
        ),
    )
    op.create_table(
        "ecs_gw_refunds",
        sa.Column("gateway", sa.String(64), nullable=False),
        sa.Column("id", sa.String(200), nullable=False),
        sa.Column("capture_id", sa.String(200), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("amount > 0", name="ck_ecs_gw_refunds_positive"),
        sa.PrimaryKeyConstraint("gateway", "id"),
    )
    op.create_index("ix_ecs_gw_refunds_capture", "ecs_gw_refunds", ["gateway", "capture_id"])
    op.create_table(
        "ecs_gw_declines",
        sa.Column("gateway", sa.String(64), nullable=False),
        sa.Column("account", sa.String(260), nullable=False),
        sa.Column("reason", sa.String(2000), nullable=False),
        sa.PrimaryKeyConstraint("gateway", "account"),
    )


def downgrade() -> None:
    op.drop_table("ecs_gw_declines")
    op.drop_index("ix_ecs_gw_refunds_capture", table_name="ecs_gw_refunds")
    op.drop_table("ecs_gw_refunds")
    op.drop_table("ecs_gw_captures")
    op.drop_table("ecs_gw_authorizations")
    op.drop_table("ecs_gw_requests")
    op.drop_index("ix_ecs_gw_entries_account", table_name="ecs_gw_entries")
    op.drop_table("ecs_gw_entries")
    op.drop_table("ecs_gw_accounts")
