"""The mint's book of spent coins: coins, deposits, refunds, refreshes and payouts.

Revision ID: 0003
Revises: 0002

Amounts are whole numbers of minor units (``BIGINT``). ``CHECK`` constraints keep each coin's
``remaining`` equal to ``value - deposited + refunded - melted`` and between zero and its value,
each deposit's ``refunded`` between zero and its amount, and a refresh's ``issued`` at most what
it melted; one deposit per spend and one refresh per request are unique constraints. See
:mod:`ecservice.storage.sql._coins_schema`.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _serial(name: str) -> sa.Column[int]:
    return sa.Column(
        name, sa.BigInteger().with_variant(sa.Integer(), "sqlite"), sa.Identity(), nullable=False
    )


def _minor(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger(), nullable=False)


def _raw(name: str, length: int | None) -> sa.Column[bytes]:
    return sa.Column(name, sa.LargeBinary(length), nullable=False)


def upgrade() -> None:
    op.create_table(
        "ecs_mint_coins",
        sa.Column("mint", sa.String(200), nullable=False),
        _raw("coin", 32),
        _raw("denomination_id", 32),
        _minor("value"),
        _minor("deposited"),
        _minor("refunded"),
        _minor("melted"),
        _minor("remaining"),
        sa.CheckConstraint(
            "remaining = value - deposited + refunded - melted", name="ck_ecs_mint_coins_sum"
        ),
        sa.CheckConstraint("remaining >= 0 AND remaining <= value", name="ck_ecs_mint_coins_left"),
        sa.CheckConstraint(
            "deposited >= 0 AND melted >= 0 AND refunded >= 0 AND refunded <= deposited",
            name="ck_ecs_mint_coins_amounts",
        ),
        sa.PrimaryKeyConstraint("mint", "coin"),
    )
    op.create_table(
        "ecs_mint_deposits",
        _serial("deposit_id"),
        sa.Column("mint", sa.String(200), nullable=False),
        _raw("coin", 32),
        _raw("denomination_id", 32),
        sa.Column("merchant", sa.String(200), nullable=False),
        _raw("contract_hash", 1024),
        _minor("amount"),
        _raw("nonce", 64),
        _raw("spend_signature", 64),
        sa.Column("deposited_at", _utc(), nullable=False),
        _minor("refunded"),
        sa.Column("payout_id", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("deposit_id"),
        sa.UniqueConstraint(
            "mint",
            "coin",
            "merchant",
            "contract_hash",
            "amount",
            "nonce",
            name="uq_ecs_mint_deposits",
        ),
        sa.ForeignKeyConstraint(
            ["mint", "coin"],
            ["ecs_mint_coins.mint", "ecs_mint_coins.coin"],
            name="fk_ecs_mint_deposits_coin",
        ),
        sa.CheckConstraint(
            "amount > 0 AND refunded >= 0 AND refunded <= amount",
            name="ck_ecs_mint_deposits_refunded",
        ),
    )
    op.create_index(
        "ix_ecs_mint_deposits_merchant", "ecs_mint_deposits", ["mint", "merchant", "payout_id"]
    )
    op.create_table(
        "ecs_mint_refunds",
        _serial("refund_id"),
        sa.Column("mint", sa.String(200), nullable=False),
        _raw("coin", 32),
        sa.Column("merchant", sa.String(200), nullable=False),
        _raw("contract_hash", 1024),
        _minor("amount"),
        sa.Column("refunded_at", _utc(), nullable=False),
        sa.CheckConstraint("amount > 0", name="ck_ecs_mint_refunds_amount"),
        sa.PrimaryKeyConstraint("refund_id"),
    )
    op.create_index("ix_ecs_mint_refunds_mint", "ecs_mint_refunds", ["mint", "refund_id"])
    op.create_table(
        "ecs_mint_refreshes",
        _serial("seq"),
        sa.Column("mint", sa.String(200), nullable=False),
        _raw("digest", 32),
        _raw("coin", 32),
        _raw("denomination_id", 32),
        _minor("amount"),
        _raw("new_denomination_ids", None),
        _raw("blinded_message_hashes", None),
        _minor("issued"),
        sa.Column("refreshed_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("mint", "digest", name="uq_ecs_mint_refreshes"),
        sa.CheckConstraint(
            "amount > 0 AND issued >= 0 AND issued <= amount", name="ck_ecs_mint_melt"
        ),
    )
    op.create_table(
        "ecs_mint_payouts",
        _serial("payout_id"),
        sa.Column("mint", sa.String(200), nullable=False),
        sa.Column("merchant", sa.String(200), nullable=False),
        _minor("amount"),
        sa.Column("paid_at", _utc(), nullable=False),
        sa.CheckConstraint("amount >= 0", name="ck_ecs_mint_payouts_amount"),
        sa.PrimaryKeyConstraint("payout_id"),
    )
    op.create_index("ix_ecs_mint_payouts_mint", "ecs_mint_payouts", ["mint", "payout_id"])


def downgrade() -> None:
    op.drop_index("ix_ecs_mint_payouts_mint", table_name="ecs_mint_payouts")
    op.drop_table("ecs_mint_payouts")
    op.drop_table("ecs_mint_refreshes")
    op.drop_index("ix_ecs_mint_refunds_mint", table_name="ecs_mint_refunds")
    op.drop_table("ecs_mint_refunds")
    op.drop_index("ix_ecs_mint_deposits_merchant", table_name="ecs_mint_deposits")
    op.drop_table("ecs_mint_deposits")
    op.drop_table("ecs_mint_coins")
