"""The mint's deposit side: accepting coin spends from merchants and refunding them.

:meth:`Mint.deposit <ecservice.payments.ecash.Mint.deposit>` and
:meth:`Mint.refund <ecservice.payments.ecash.Mint.refund>` (which document the behaviour and the
errors) run these functions. Each checks what the mint can check alone, then hands the mint's
:class:`~ecservice.payments.ecash.MintBook` one atomic step, which decides against the coin's and
the deposits' recorded state and records (or refuses) as a whole.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ecservice.errors import InsufficientFunds
from ecservice.money import Money
from ecservice.payments.ecash._book import DepositDraft
from ecservice.payments.ecash._coin import CoinSpend
from ecservice.payments.ecash._denomination import require, short_hex
from ecservice.payments.ecash._errors import RefundWindowClosed
from ecservice.payments.ecash._records import DepositReceipt, RefundReceipt
from ecservice.text import check_key

if TYPE_CHECKING:
    from ecservice.payments.ecash._mint import Mint

__all__ = ["deposit", "refund"]


def deposit(mint: Mint, spend: CoinSpend, *, exclusive: bool = False) -> DepositReceipt:
    """Accept a merchant's deposit of a coin spend; see :meth:`Mint.deposit`."""
    require(spend, CoinSpend, "a deposit")
    require(exclusive, bool, "exclusive")
    with mint._lock:
        issued = mint._lookup(spend.coin.denomination_id)
        denomination = issued.denomination
        mint._check_amount(spend.amount, "deposit")
        spend.verify(denomination)
        if spend.amount > denomination.value:
            raise InsufficientFunds(f"a coin of {denomination.value} cannot pay {spend.amount}")
        now = mint._clock.now()
        draft = DepositDraft(
            coin_public_key=spend.coin.public_key,
            denomination_id=denomination.id,
            coin_value=denomination.value,
            merchant=spend.merchant,
            contract_hash=spend.contract_hash,
            amount=spend.amount,
            nonce=spend.nonce,
            spend_signature=spend.signature,
            deposited_at=now,
            exclusive=exclusive,
        )
        receipt, new = mint._book.deposit(draft, lambda: denomination.check_deposit(now))
        if new:
            mint._changed()
        return receipt


def refund(
    mint: Mint,
    *,
    merchant: str,
    coin_public_key: bytes,
    contract_hash: bytes,
    amount: Money,
    key: str | None = None,
) -> RefundReceipt:
    """Give (part of) a merchant's deposit back to the coin; see :meth:`Mint.refund`."""
    if key is not None:
        check_key(key, "a refund key")
    with mint._lock:
        mint._check_amount(amount, "refund")
        now = mint._clock.now()

        def check(denomination_id: bytes) -> None:
            denomination = mint._lookup(denomination_id).denomination
            if not now < denomination.deposit_until:
                raise RefundWindowClosed(
                    f"cannot refund {amount} to coin {short_hex(coin_public_key)}: its "
                    f"denomination {denomination} could be deposited or refreshed only until "
                    f"{denomination.deposit_until.isoformat()}, so the value would be "
                    "unspendable; repay the buyer another way"
                )

        before = 0 if key is None or mint._book.external else len(mint._book.refunds())
        receipt = mint._book.refund(
            coin_public_key=coin_public_key,
            merchant=merchant,
            contract_hash=contract_hash,
            amount=amount,
            refunded_at=now,
            check=check,
            key=key,
        )
        # A refund replayed by its key records nothing, and counts no change.
        if key is None or mint._book.external or len(mint._book.refunds()) > before:
            mint._changed()
        return receipt
