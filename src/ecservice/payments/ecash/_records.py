"""What the mint records and returns: withdrawals, deposit and refund receipts, refreshes, payouts.

All are frozen values. A :class:`WithdrawalRecord` deliberately holds nothing about the coin
(no public key, no prepared message, no signature), only a hash of the blinded message, so the
mint cannot link a withdrawal to the coin deposited later.
"""

from __future__ import annotations

from typing import final

import attrs
from pendulum import DateTime

from ecservice.money import Money

__all__ = [
    "DepositReceipt",
    "PayoutRecord",
    "RefreshRecord",
    "RefundReceipt",
    "WithdrawalRecord",
]


@final
@attrs.frozen
class WithdrawalRecord:
    """All the mint keeps of a withdrawal: no coin key, no prepared message, no signature."""

    reserve: str
    denomination_id: bytes
    blinded_message_hash: bytes
    withdrawn_at: DateTime


@final
@attrs.frozen
class DepositReceipt:
    """The mint's record of an accepted deposit, returned to the merchant.

    ``spend_signature`` is the coin's signature over the spend: the mint's evidence that the coin
    owner authorised it.
    """

    deposit_id: int
    coin_public_key: bytes
    denomination_id: bytes
    merchant: str
    contract_hash: bytes
    amount: Money
    spend_signature: bytes
    deposited_at: DateTime


@final
@attrs.frozen
class RefundReceipt:
    """The mint's record of a refund: ``amount`` went back to the coin."""

    refund_id: int
    coin_public_key: bytes
    merchant: str
    contract_hash: bytes
    amount: Money
    refunded_at: DateTime


@final
@attrs.frozen
class RefreshRecord:
    """The mint's record of a refresh: ``amount`` melted from an old coin into new blind coins."""

    coin_public_key: bytes
    denomination_id: bytes
    amount: Money
    new_denomination_ids: tuple[bytes, ...]
    blinded_message_hashes: tuple[bytes, ...]
    issued: Money
    refreshed_at: DateTime


@final
@attrs.frozen
class PayoutRecord:
    """A payout of all of a merchant's outstanding deposits (net of refunds)."""

    merchant: str
    amount: Money
    deposit_ids: tuple[int, ...]
    paid_at: DateTime
