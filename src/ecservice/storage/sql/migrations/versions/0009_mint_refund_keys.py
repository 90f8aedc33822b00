"""The mint's refunds carry their idempotency key; deposits and refunds are found by contract.

Revision ID: 0009
Revises: 0008

``ecs_mint_refunds`` gains ``refund_key`` (``NULL`` for refunds made without one) and a unique
index on ``(mint, refund_key)``: a refund run again with its key finds the first one instead
of refunding twice (PostgreSQL and SQLite both let many rows hold ``NULL``). Both
``ecs_mint_deposits`` and ``ecs_mint_refunds`` are indexed on ``(mint, merchant,
contract_hash)``, which the e-cash gateway reads to learn what a payment deposited and what
was refunded of it. See :mod:`ecservice.storage.sql._coins_schema`.

On PostgreSQL the column is added in place. On SQLite the table is rebuilt (renamed, made
anew, its rows copied, the old one dropped), so that its DDL is the very DDL
``METADATA.create_all`` writes, as for every other table.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None

_TABLE = "ecs_mint_refunds"
_OLD = "_ecs_mint_refunds_before_0009"
_KEPT = "refund_id, mint, coin, merchant, contract_hash, amount, refunded_at"


def _columns(*, with_key: bool) -> list[sa.schema.SchemaItem]:
    columns: list[sa.schema.SchemaItem] = [
        sa.Column(
            "refund_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(),
            nullable=False,
        ),
        sa.Column("mint", sa.String(200), nullable=False),
        sa.Column("coin", sa.LargeBinary(32), nullable=False),
        sa.Column("merchant", sa.String(200), nullable=False),
        sa.Column("contract_hash", sa.LargeBinary(1024), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("refunded_at", sa.DateTime(timezone=True), nullable=False),
    ]
    if with_key:
        columns.append(sa.Column("refund_key", sa.String(200), nullable=True))
    columns += [
        sa.CheckConstraint("amount > 0", name="ck_ecs_mint_refunds_amount"),
        sa.PrimaryKeyConstraint("refund_id"),
    ]
    return columns


def _sqlite() -> bool:
    return bool(op.get_context().dialect.name == "sqlite")


def _rebuild(*, with_key: bool) -> None:
    """Make the SQLite table anew, with or without ``refund_key``, keeping its rows."""
    op.drop_index("ix_ecs_mint_refunds_mint", table_name=_TABLE)
    op.rename_table(_TABLE, _OLD)
    op.create_table(_TABLE, *_columns(with_key=with_key))
    op.execute(f"INSERT INTO {_TABLE} ({_KEPT}) SELECT {_KEPT} FROM {_OLD}")
    op.drop_table(_OLD)
    op.create_index("ix_ecs_mint_refunds_mint", _TABLE, ["mint", "refund_id"])


def upgrade() -> None:
    if _sqlite():
        _rebuild(with_key=True)
    else:
        op.add_column(_TABLE, sa.Column("refund_key", sa.String(200), nullable=True))
    op.create_index("ix_ecs_mint_refunds_contract", _TABLE, ["mint", "merchant", "contract_hash"])
    op.create_index("uq_ecs_mint_refunds_key", _TABLE, ["mint", "refund_key"], unique=True)
    op.create_index(
        "ix_ecs_mint_deposits_contract",
        "ecs_mint_deposits",
        ["mint", "merchant", "contract_hash"],
    )


def downgrade() -> None:
    op.drop_index("ix_ecs_mint_deposits_contract", table_name="ecs_mint_deposits")
    op.drop_index("uq_ecs_mint_refunds_key", table_name=_TABLE)
    op.drop_index("ix_ecs_mint_refunds_contract", table_name=_TABLE)
    if _sqlite():
        _rebuild(with_key=False)
    else:
        op.drop_column(_TABLE, "refund_key")
