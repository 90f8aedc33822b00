"""The tables of :class:`~ecservice.storage.sql.SqlMintBook`, the mint's book of spent coins.

Every row carries the ``mint`` name, so several mints share the tables. Amounts are whole numbers
of the currency's minor units (``BIGINT``), never floating point; a coin worth more than
2**63 - 1 minor units is refused.

``ecs_mint_coins``
    One row per coin seen spent: ``(mint, coin)`` primary key, its denomination and face
    ``value``, what was ``deposited``, ``refunded`` and ``melted``, and the ``remaining`` value.
    ``CHECK`` constraints keep ``remaining = value - deposited + refunded - melted`` between 0
    and ``value``, and refunds at most the deposits. Every spend is a conditional update
    (``... SET remaining = remaining - :v WHERE mint = :m AND coin = :c AND remaining >= :v``):
    of two transactions spending the same value, the second finds the row changed and matches
    nothing.
``ecs_mint_deposits``
    One row per deposit: ``deposit_id`` (increasing, the receipt's number), the spend (coin,
    denomination, merchant, contract hash, amount, nonce, signature), when it was taken, the
    value ``refunded`` from it (``CHECK``: at most ``amount``) and the ``payout_id`` that paid it
    (``NULL`` until paid). ``UNIQUE (mint, coin, merchant, contract_hash, amount, nonce)``: the
    identical spend is recorded once, and a replay finds the first receipt.
``ecs_mint_refunds``
    One row per refund: ``refund_id`` (increasing), coin, merchant, contract hash, amount, when,
    and the caller's ``refund_key`` (``NULL`` without one; a unique index on ``(mint,
    refund_key)`` records each key once, so a refund run again after a crash finds the first).
    Indexed by merchant and contract, as the deposits are: what a payment took and gave back is
    read from them.
``ecs_mint_refreshes``
    One row per refresh (melt): ``UNIQUE (mint, digest)`` (the hash of the signed request), the
    coin, its denomination, the amount melted, the new coins' denominations and blinded-message
    hashes (32 bytes each, concatenated), the value issued, when.
``ecs_mint_payouts``
    One row per payout: ``payout_id`` (increasing), merchant, amount, when; the deposits it paid
    carry its id.
"""

from __future__ import annotations

from typing import Final

import sqlalchemy as sa

from ecservice.storage.sql._schema import (
    METADATA,
    UtcDateTime,
    minor_units_column,
    sequence_column,
)

__all__ = [
    "MINT_COINS",
    "MINT_DEPOSITS",
    "MINT_PAYOUTS",
    "MINT_REFRESHES",
    "MINT_REFUNDS",
    "MINT_TABLES",
]

#: The length of a denomination id, a refresh digest and a blinded-message hash (SHA-256).
HASH_LEN: Final = 32


def _mint() -> sa.Column[str]:
    return sa.Column("mint", sa.String(200), nullable=False)


def _bytes(name: str, length: int) -> sa.Column[bytes]:
    return sa.Column(name, sa.LargeBinary(length), nullable=False)


MINT_COINS: Final = sa.Table(
    "ecs_mint_coins",
    METADATA,
    sa.Column("mint", sa.String(200), primary_key=True, nullable=False),
    sa.Column("coin", sa.LargeBinary(32), primary_key=True, nullable=False),
    _bytes("denomination_id", HASH_LEN),
    minor_units_column("value"),
    minor_units_column("deposited"),
    minor_units_column("refunded"),
    minor_units_column("melted"),
    minor_units_column("remaining"),
    sa.CheckConstraint(
        "remaining = value - deposited + refunded - melted", name="ck_ecs_mint_coins_sum"
    ),
    sa.CheckConstraint("remaining >= 0 AND remaining <= value", name="ck_ecs_mint_coins_left"),
    sa.CheckConstraint(
        "deposited >= 0 AND melted >= 0 AND refunded >= 0 AND refunded <= deposited",
        name="ck_ecs_mint_coins_amounts",
    ),
)

MINT_DEPOSITS: Final = sa.Table(
    "ecs_mint_deposits",
    METADATA,
    sequence_column("deposit_id"),
    _mint(),
    _bytes("coin", 32),
    _bytes("denomination_id", HASH_LEN),
    sa.Column("merchant", sa.String(200), nullable=False),
    _bytes("contract_hash", 1024),
    minor_units_column("amount"),
    _bytes("nonce", 64),
    _bytes("spend_signature", 64),
    sa.Column("deposited_at", UtcDateTime(), nullable=False),
    minor_units_column("refunded"),
    sa.Column("payout_id", sa.BigInteger, nullable=True),
    sa.UniqueConstraint(
        "mint", "coin", "merchant", "contract_hash", "amount", "nonce", name="uq_ecs_mint_deposits"
    ),
    sa.ForeignKeyConstraint(
        ["mint", "coin"],
        ["ecs_mint_coins.mint", "ecs_mint_coins.coin"],
        name="fk_ecs_mint_deposits_coin",
    ),
    sa.CheckConstraint(
        "amount > 0 AND refunded >= 0 AND refunded <= amount", name="ck_ecs_mint_deposits_refunded"
    ),
    sa.Index("ix_ecs_mint_deposits_merchant", "mint", "merchant", "payout_id"),
    sa.Index("ix_ecs_mint_deposits_contract", "mint", "merchant", "contract_hash"),
)

MINT_REFUNDS: Final = sa.Table(
    "ecs_mint_refunds",
    METADATA,
    sequence_column("refund_id"),
    _mint(),
    _bytes("coin", 32),
    sa.Column("merchant", sa.String(200), nullable=False),
    _bytes("contract_hash", 1024),
    minor_units_column("amount"),
    sa.Column("refunded_at", UtcDateTime(), nullable=False),
    sa.Column("refund_key", sa.String(200), nullable=True),
    sa.CheckConstraint("amount > 0", name="ck_ecs_mint_refunds_amount"),
    sa.Index("ix_ecs_mint_refunds_mint", "mint", "refund_id"),
    sa.Index("ix_ecs_mint_refunds_contract", "mint", "merchant", "contract_hash"),
    sa.Index("uq_ecs_mint_refunds_key", "mint", "refund_key", unique=True),
)

MINT_REFRESHES: Final = sa.Table(
    "ecs_mint_refreshes",
    METADATA,
    sequence_column("seq"),
    _mint(),
    _bytes("digest", HASH_LEN),
    _bytes("coin", 32),
    _bytes("denomination_id", HASH_LEN),
    minor_units_column("amount"),
    sa.Column("new_denomination_ids", sa.LargeBinary, nullable=False),
    sa.Column("blinded_message_hashes", sa.LargeBinary, nullable=False),
    minor_units_column("issued"),
    sa.Column("refreshed_at", UtcDateTime(), nullable=False),
    sa.UniqueConstraint("mint", "digest", name="uq_ecs_mint_refreshes"),
    sa.CheckConstraint("amount > 0 AND issued >= 0 AND issued <= amount", name="ck_ecs_mint_melt"),
)

MINT_PAYOUTS: Final = sa.Table(
    "ecs_mint_payouts",
    METADATA,
    sequence_column("payout_id"),
    _mint(),
    sa.Column("merchant", sa.String(200), nullable=False),
    minor_units_column("amount"),
    sa.Column("paid_at", UtcDateTime(), nullable=False),
    sa.CheckConstraint("amount >= 0", name="ck_ecs_mint_payouts_amount"),
    sa.Index("ix_ecs_mint_payouts_mint", "mint", "payout_id"),
)

#: Every table of the book.
MINT_TABLES: Final = (MINT_COINS, MINT_DEPOSITS, MINT_REFUNDS, MINT_REFRESHES, MINT_PAYOUTS)
