"""A mint book's values and rows: amounts as whole minor units, rows read back as records.

Amounts are written as whole numbers of the mint's currency's minor units (``BIGINT``, at most
:data:`~ecservice.storage.sql._books.MAX_MINOR_UNITS`); the rows of ``ecs_mint_deposits``,
``ecs_mint_refunds``, ``ecs_mint_refreshes`` and ``ecs_mint_payouts`` are read back as the
e-cash package's receipts and records (see :mod:`ecservice.storage.sql._coins_schema`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, final

from ecservice.errors import ValidationError
from ecservice.money import Currency, Money
from ecservice.storage.sql._books import MAX_MINOR_UNITS
from ecservice.storage.sql._coins_schema import HASH_LEN

if TYPE_CHECKING:
    # The e-cash package needs the crypto extra; this module imports without it (so that the
    # SQL adapter does), and the names are imported where a book first needs them.
    from ecservice.payments.ecash import (
        DepositReceipt,
        PayoutRecord,
        RefreshRecord,
        RefundReceipt,
    )

__all__ = ["MintValues"]


def _split(joined: bytes) -> tuple[bytes, ...]:
    return tuple(joined[i : i + HASH_LEN] for i in range(0, len(joined), HASH_LEN))


@final
class MintValues:
    """The values of the book of the mint ``name``, whose currency is ``currency``."""

    __slots__ = ("currency", "name")

    def __init__(self, name: str, currency: Currency) -> None:
        self.name = name
        self.currency = currency

    def units(self, amount: Money) -> int:
        """``amount`` in minor units, as the book's ``BIGINT`` columns hold it.

        Raises:
            ValidationError: more than the columns hold.
        """
        units = amount.minor_units
        if units > MAX_MINOR_UNITS:
            raise ValidationError(
                f"{amount} is more than a mint book in the database keeps: at most "
                f"{MAX_MINOR_UNITS} minor units"
            )
        return units

    def money(self, units: object) -> Money:
        """``units`` minor units of the mint's currency."""
        return Money.from_minor(int(units), self.currency)  # type: ignore[call-overload]

    def receipt(self, row: Any) -> DepositReceipt:
        """The receipt of a row of ``ecs_mint_deposits``."""
        from ecservice.payments.ecash import DepositReceipt

        return DepositReceipt(
            deposit_id=row.deposit_id,
            coin_public_key=row.coin,
            denomination_id=row.denomination_id,
            merchant=row.merchant,
            contract_hash=row.contract_hash,
            amount=self.money(row.amount),
            spend_signature=row.spend_signature,
            deposited_at=row.deposited_at,
        )

    def deposit_state(self, row: Any) -> tuple[DepositReceipt, bytes, Money, bool]:
        """A row of ``ecs_mint_deposits`` as :meth:`MintBook.deposit_states
        <ecservice.payments.ecash.MintBook.deposit_states>` lists it: the receipt, the nonce,
        what was refunded of it, whether it was paid out."""
        return self.receipt(row), row.nonce, self.money(row.refunded), row.payout_id is not None

    def refund_receipt(self, row: Any) -> RefundReceipt:
        """The receipt of a row of ``ecs_mint_refunds``."""
        from ecservice.payments.ecash import RefundReceipt

        return RefundReceipt(
            refund_id=row.refund_id,
            coin_public_key=row.coin,
            merchant=row.merchant,
            contract_hash=row.contract_hash,
            amount=self.money(row.amount),
            refunded_at=row.refunded_at,
        )

    def refresh_record(self, row: Any) -> RefreshRecord:
        """The record of a row of ``ecs_mint_refreshes`` (its hashes, 32 bytes each, split)."""
        from ecservice.payments.ecash import RefreshRecord

        return RefreshRecord(
            coin_public_key=row.coin,
            denomination_id=row.denomination_id,
            amount=self.money(row.amount),
            new_denomination_ids=_split(row.new_denomination_ids),
            blinded_message_hashes=_split(row.blinded_message_hashes),
            issued=self.money(row.issued),
            refreshed_at=row.refreshed_at,
        )

    def payouts(self, rows: Iterable[Any]) -> tuple[PayoutRecord, ...]:
        """The records of ``ecs_mint_payouts`` rows joined with the ``deposit_id`` of each
        deposit they paid, in payout order and deposit order within one."""
        from ecservice.payments.ecash import PayoutRecord

        found: dict[int, tuple[Any, list[int]]] = {}
        for row in rows:
            found.setdefault(row.payout_id, (row, []))[1].append(row.deposit_id)
        return tuple(
            PayoutRecord(row.merchant, self.money(row.amount), tuple(ids), row.paid_at)
            for row, ids in found.values()
        )
