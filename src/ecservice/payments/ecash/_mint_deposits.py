"""The mint's deposit side: accepting coin spends from merchants and refunding them.

:meth:`Mint.deposit <ecservice.payments.ecash.Mint.deposit>` and
:meth:`Mint.refund <ecservice.payments.ecash.Mint.refund>` (which document the behaviour and the
errors) run these functions; each checks everything under the mint's lock before it records
anything.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ecservice._shown import shown
from ecservice.errors import DoubleSpend, InsufficientFunds
from ecservice.money import Money, sum_money
from ecservice.payments.ecash._coin import CoinSpend
from ecservice.payments.ecash._denomination import require, short_hex
from ecservice.payments.ecash._errors import (
    AlreadyPaidOut,
    RefundExceedsDeposit,
    RefundWindowClosed,
    UnknownDeposit,
)
from ecservice.payments.ecash._ledger import DepositEntry, DepositKey
from ecservice.payments.ecash._records import DepositReceipt, RefundReceipt

if TYPE_CHECKING:
    from ecservice.payments.ecash._mint import Mint

__all__ = ["deposit", "refund"]


def _hashable(key: tuple[object, ...]) -> bool:
    try:
        hash(key)
    except TypeError:
        return False
    return True


def _hex(value: object) -> str:
    return short_hex(value) if isinstance(value, bytes) else shown(value)


def deposit(mint: Mint, spend: CoinSpend) -> DepositReceipt:
    """Accept a merchant's deposit of a coin spend; see :meth:`Mint.deposit`."""
    require(spend, CoinSpend, "a deposit")
    with mint._lock:
        issued = mint._lookup(spend.coin.denomination_id)
        denomination = issued.denomination
        mint._check_amount(spend.amount, "deposit")
        spend.verify(denomination)
        if spend.amount > denomination.value:
            raise InsufficientFunds(f"a coin of {denomination.value} cannot pay {spend.amount}")
        key: DepositKey = (
            spend.coin.public_key,
            spend.merchant,
            spend.contract_hash,
            spend.amount,
            spend.nonce,
        )
        prior = mint._deposit_index.get(key)
        if prior is not None:
            return prior.receipt
        now = mint._clock.now()
        denomination.check_deposit(now)
        ledger = mint._ledger(spend.coin, denomination)
        if spend.amount > ledger.remaining:
            raise DoubleSpend(
                f"coin {short_hex(spend.coin.public_key)} has {ledger.remaining} left, "
                f"not the {spend.amount} this deposit spends: it was already spent elsewhere"
            )
        receipt = DepositReceipt(
            deposit_id=len(mint._deposits) + 1,
            coin_public_key=spend.coin.public_key,
            denomination_id=denomination.id,
            merchant=spend.merchant,
            contract_hash=spend.contract_hash,
            amount=spend.amount,
            spend_signature=spend.signature,
            deposited_at=now,
        )
        deposit = DepositEntry(receipt, Money.zero(mint._currency))
        ledger.deposited = ledger.deposited + spend.amount
        mint._coins[spend.coin.public_key] = ledger
        mint._deposits.append(deposit)
        mint._deposit_index[key] = deposit
        mint._orders.setdefault(key[:3], []).append(deposit)
        mint._version += 1
        return receipt


def refund(
    mint: Mint,
    *,
    merchant: str,
    coin_public_key: bytes,
    contract_hash: bytes,
    amount: Money,
) -> RefundReceipt:
    """Give (part of) a merchant's deposit back to the coin; see :meth:`Mint.refund`."""
    with mint._lock:
        mint._check_amount(amount, "refund")
        key = (coin_public_key, merchant, contract_hash)
        deposits = mint._orders.get(key) if _hashable(key) else None
        if not deposits:
            raise UnknownDeposit(
                f"{mint._name} has no deposit of coin {_hex(coin_public_key)} to "
                f"merchant {shown(merchant)} for contract {_hex(contract_hash)}"
            )
        net = sum_money((d.net for d in deposits), mint._currency)
        unpaid = [d for d in deposits if not d.paid]
        refundable = sum_money((d.net for d in unpaid), mint._currency)
        if amount > net:
            raise RefundExceedsDeposit(
                f"cannot refund {amount}: only {net} was deposited (net of refunds) by coin "
                f"{short_hex(coin_public_key)} for this contract"
            )
        if amount > refundable:
            raise AlreadyPaidOut(
                f"cannot refund {amount}: merchant {shown(merchant)} was already paid out for "
                f"this contract; only {refundable} is still refundable"
            )
        ledger = mint._coins[coin_public_key]
        denomination = mint._lookup(ledger.denomination_id).denomination
        now = mint._clock.now()
        if not now < denomination.deposit_until:
            raise RefundWindowClosed(
                f"cannot refund {amount} to coin {short_hex(coin_public_key)}: its "
                f"denomination {denomination} could be deposited or refreshed only until "
                f"{denomination.deposit_until.isoformat()}, so the value would be "
                "unspendable; repay the buyer another way"
            )
        left = amount
        for deposit in unpaid:
            take = min(left, deposit.net)
            deposit.refunded = deposit.refunded + take
            left = left - take
        ledger.refunded = ledger.refunded + amount
        receipt = RefundReceipt(
            refund_id=len(mint._refunds) + 1,
            coin_public_key=coin_public_key,
            merchant=merchant,
            contract_hash=contract_hash,
            amount=amount,
            refunded_at=now,
        )
        mint._refunds.append(receipt)
        mint._version += 1
        return receipt
