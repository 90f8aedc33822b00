"""What the mint owes merchants: their deposits per contract, what is pending, and payouts.

:meth:`Mint.contract_deposits <ecservice.payments.ecash.Mint.contract_deposits>`,
``contract_refunds``, ``pending_total`` and ``payout`` (which document the behaviour and the
errors) run these functions. Each checks the merchant id (short text without surrounding
whitespace, :func:`check_merchant_name`) and reads or records through the mint's
:class:`~ecservice.payments.ecash.MintBook`; accepting deposits and refunding them is
``_mint_deposits``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ecservice.errors import ValidationError
from ecservice.money import Money
from ecservice.payments.ecash._denomination import require
from ecservice.payments.ecash._records import DepositReceipt, RefundReceipt
from ecservice.text import SHORT_TEXT_MAX, check_text

if TYPE_CHECKING:
    from ecservice.payments.ecash._mint import Mint

__all__ = [
    "check_merchant_name",
    "contract_deposits",
    "contract_refunds",
    "payout",
    "pending_total",
]


def check_merchant_name(merchant: object) -> str:
    """Return ``merchant`` if it is a valid merchant id.

    Raises:
        ValidationError: not acceptable text (:func:`ecservice.text.check_text`, at most 200
            characters), or it starts or ends with whitespace.
    """
    checked = check_text(merchant, "a merchant id", limit=SHORT_TEXT_MAX)
    if checked != merchant:
        raise ValidationError("a merchant id must not start or end with whitespace")
    return checked


def contract_deposits(
    mint: Mint, merchant: str, contract_hash: bytes
) -> tuple[tuple[DepositReceipt, bytes, Money, bool], ...]:
    """The deposits for a merchant's contract; see :meth:`Mint.contract_deposits`."""
    check_merchant_name(merchant)
    require(contract_hash, bytes, "a contract hash")
    return mint._book.contract_deposits(merchant, contract_hash)


def contract_refunds(
    mint: Mint, merchant: str, contract_hash: bytes
) -> tuple[tuple[RefundReceipt, str | None], ...]:
    """The refunds of a merchant's deposits for a contract; see :meth:`Mint.contract_refunds`."""
    check_merchant_name(merchant)
    require(contract_hash, bytes, "a contract hash")
    return mint._book.contract_refunds(merchant, contract_hash)


def pending_total(mint: Mint, merchant: str) -> Money:
    """What the mint owes ``merchant`` now; see :meth:`Mint.pending_total`."""
    check_merchant_name(merchant)
    with mint._lock:
        return mint._book.pending_total(merchant)


def payout(mint: Mint, merchant: str) -> Money:
    """Pay ``merchant`` its outstanding deposits; see :meth:`Mint.payout`."""
    check_merchant_name(merchant)
    with mint._lock:
        record = mint._book.payout(merchant, mint.clock.now())
        if record is None:
            return Money.zero(mint.currency)
        mint._changed()
        return record.amount
