"""A mint book's refunds in the database: value given back from deposits not yet paid out.

A refund takes from the contract's unpaid deposits (``refunded`` grows by conditional updates
that keep it at most each deposit's ``amount``), gives the value back to the coin's row (see
:mod:`ecservice.storage.sql._mint_coins`) and is recorded in ``ecs_mint_refunds``. A refund
with a key is recorded with it under a unique index on ``(mint, refund_key)``, so two
transactions that run one refund at once record it once: the second runs again and replays the
first (or is told the key was used for another refund).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from typing import TYPE_CHECKING

import sqlalchemy as sa

from ecservice._shown import shown
from ecservice.money import Money
from ecservice.storage.sql._books import RunAgain
from ecservice.storage.sql._coins_schema import MINT_DEPOSITS, MINT_REFUNDS
from ecservice.storage.sql._mint_coins import MintCoins
from ecservice.text import check_key

if TYPE_CHECKING:
    from ecservice.payments.ecash import RefundReceipt

__all__ = ["refund_work"]


def refund_work(
    coins: MintCoins,
    *,
    coin_public_key: bytes,
    merchant: str,
    contract_hash: bytes,
    amount: Money,
    refunded_at: _dt.datetime,
    check: Callable[[bytes], None],
    key: str | None,
    lock: bool,
) -> Callable[[sa.Connection], RefundReceipt]:
    """The transaction of :meth:`MintBook.refund <ecservice.payments.ecash.MintBook.refund>`
    (its arguments); with ``lock`` (PostgreSQL) the contract's deposits are locked as they are
    read.

    Raises:
        UnknownDeposit: the coin, merchant or contract is not of the right type.
        ValidationError: an amount the book's columns do not hold, or an unacceptable key.
    """
    from ecservice.payments.ecash import (
        AlreadyPaidOut,
        RefundExceedsDeposit,
        RefundReceipt,
        UnknownDeposit,
    )

    values = coins.values
    if not (
        isinstance(coin_public_key, bytes)
        and isinstance(merchant, str)
        and isinstance(contract_hash, bytes)
    ):
        raise UnknownDeposit(
            f"{values.name} has no deposit of coin {shown(coin_public_key)} to merchant "
            f"{shown(merchant)} for contract {shown(contract_hash)}"
        )
    units = values.units(amount)
    table = MINT_DEPOSITS
    if key is not None:
        check_key(key, "a refund key")

    def replayed(connection: sa.Connection) -> RefundReceipt | None:
        """The refund recorded with ``key``, if this request is the same (else raise)."""
        if key is None:
            return None
        done = connection.execute(
            sa.select(MINT_REFUNDS).where(
                MINT_REFUNDS.c.mint == values.name, MINT_REFUNDS.c.refund_key == key
            )
        ).first()
        if done is None:
            return None
        from ecservice.payments.ecash._book import replayed_refund

        return replayed_refund(
            values.name,
            key,
            values.refund_receipt(done),
            coin_public_key,
            merchant,
            contract_hash,
            amount,
        )

    def work(connection: sa.Connection) -> RefundReceipt:
        first = replayed(connection)
        if first is not None:
            return first
        query = (
            sa.select(
                table.c.deposit_id,
                table.c.denomination_id,
                table.c.amount,
                table.c.refunded,
                table.c.payout_id,
            )
            .where(
                table.c.mint == values.name,
                table.c.coin == coin_public_key,
                table.c.merchant == merchant,
                table.c.contract_hash == contract_hash,
            )
            .order_by(table.c.deposit_id)
        )
        if lock:
            query = query.with_for_update()
        rows = connection.execute(query).all()
        # The deposits' rows are locked now: the same refund committed meanwhile (it held
        # them until then) shows, and is a replay.
        first = replayed(connection) if lock else None
        if first is not None:
            return first
        if not rows:
            raise UnknownDeposit(
                f"{values.name} has no deposit of coin {coin_public_key[:8].hex()} to "
                f"merchant {shown(merchant)} for contract {contract_hash[:8].hex()}"
            )
        net = sum(r.amount - r.refunded for r in rows)
        unpaid = [r for r in rows if r.payout_id is None]
        refundable = sum(r.amount - r.refunded for r in unpaid)
        if units > net:
            raise RefundExceedsDeposit(
                f"cannot refund {amount}: only {values.money(net)} was deposited (net of "
                f"refunds) by coin {coin_public_key[:8].hex()} for this contract"
            )
        if units > refundable:
            raise AlreadyPaidOut(
                f"cannot refund {amount}: merchant {shown(merchant)} was already paid out "
                f"for this contract; only {values.money(refundable)} is still refundable"
            )
        check(rows[0].denomination_id)
        left = units
        for row in unpaid:
            take = min(left, row.amount - row.refunded)
            if take == 0:
                continue
            changed = connection.execute(
                table.update()
                .where(
                    table.c.deposit_id == row.deposit_id,
                    table.c.payout_id.is_(None),
                    table.c.refunded + take <= table.c.amount,
                )
                .values(refunded=table.c.refunded + take)
            ).rowcount
            if changed != 1:
                raise RunAgain
            left -= take
        if not coins.give_back(connection, coin_public_key, units):
            raise RunAgain
        refund_id = connection.execute(
            coins.insert(MINT_REFUNDS)
            .values(
                mint=values.name,
                coin=coin_public_key,
                merchant=merchant,
                contract_hash=contract_hash,
                amount=units,
                refunded_at=refunded_at,
                refund_key=key,
            )
            .on_conflict_do_nothing()
            .returning(MINT_REFUNDS.c.refund_id)
        ).scalar_one_or_none()
        if refund_id is None:
            # The same key was recorded meanwhile: undo this refund and run again, which
            # then finds it (a replay, or a conflict).
            raise RunAgain
        return RefundReceipt(
            refund_id=int(refund_id),
            coin_public_key=coin_public_key,
            merchant=merchant,
            contract_hash=contract_hash,
            amount=amount,
            refunded_at=refunded_at,
        )

    return work
