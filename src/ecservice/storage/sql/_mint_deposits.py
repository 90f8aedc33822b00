"""A mint book's deposits in the database: each spend recorded once, each deposit paid out once.

A deposit is a row of ``ecs_mint_deposits`` (``UNIQUE (mint, coin, merchant, contract_hash,
amount, nonce)``), inserted in the transaction that takes its value from the coin's row (see
:mod:`ecservice.storage.sql._mint_coins`): the identical spend is recorded once, and a replay
finds the first receipt. An exclusive draft refuses a second, different deposit of the coin for
the same contract. A payout marks the merchant's unpaid deposits with its ``payout_id`` by a
conditional update, so no deposit is paid twice.

Each function returns the work of one transaction, for the book to run (and run again when it
raises :class:`~ecservice.storage.sql._books.RunAgain`).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ecservice._shown import shown
from ecservice.errors import DoubleSpend
from ecservice.storage.sql._books import RunAgain
from ecservice.storage.sql._coins_schema import MINT_DEPOSITS, MINT_PAYOUTS
from ecservice.storage.sql._mint_coins import MintCoins
from ecservice.storage.sql._mint_values import MintValues

if TYPE_CHECKING:
    from ecservice.payments.ecash import DepositDraft, DepositReceipt, PayoutRecord

__all__ = ["deposit_work", "payout_work"]


def deposit_work(
    coins: MintCoins, draft: DepositDraft, check: Callable[[], None]
) -> Callable[[sa.Connection], tuple[DepositReceipt, bool]]:
    """The transaction of :meth:`MintBook.deposit
    <ecservice.payments.ecash.MintBook.deposit>`: the receipt of ``draft`` and whether it is
    new (``False`` for a replay); ``check`` runs before a new deposit takes any value.

    Raises:
        ValidationError: an amount the book's columns do not hold.
    """
    values = coins.values
    table = MINT_DEPOSITS
    amount = values.units(draft.amount)
    values.units(draft.coin_value)
    spend = (
        table.c.mint == values.name,
        table.c.coin == draft.coin_public_key,
        table.c.merchant == draft.merchant,
        table.c.contract_hash == draft.contract_hash,
        table.c.amount == amount,
        table.c.nonce == draft.nonce,
    )

    order = (
        table.c.mint == values.name,
        table.c.coin == draft.coin_public_key,
        table.c.merchant == draft.merchant,
        table.c.contract_hash == draft.contract_hash,
    )

    def conflicting(connection: sa.Connection) -> Any:
        """For an exclusive draft: the identical deposit if the contract holds it (a
        replay), else raise if the coin paid this merchant's contract otherwise."""
        if not draft.exclusive:
            return None
        rows = connection.execute(sa.select(table).where(*order).order_by(table.c.deposit_id)).all()
        for row in rows:
            if row.amount == amount and row.nonce == draft.nonce:
                return row
        if rows:
            from ecservice.payments.ecash import ConflictingDeposit

            raise ConflictingDeposit(
                f"{values.name} holds another deposit of coin {draft.coin_public_key[:8].hex()} "
                f"for merchant {shown(draft.merchant)} and contract "
                f"{draft.contract_hash[:8].hex()}: this one differs from it (amount or nonce)"
            )
        return None

    def work(connection: sa.Connection) -> tuple[DepositReceipt, bool]:
        prior = connection.execute(sa.select(table).where(*spend)).first()
        if prior is None:
            prior = conflicting(connection)  # committed since the line above: a replay
        if prior is not None:
            return values.receipt(prior), False
        check()
        coins.add(connection, draft.coin_public_key, draft.denomination_id, draft.coin_value)
        try:
            coins.take(
                connection,
                draft.coin_public_key,
                draft.denomination_id,
                draft.amount,
                "deposited",
                "this deposit spends: it was already spent elsewhere",
            )
        except DoubleSpend:
            # The identical deposit may have taken the value while this one waited for the
            # coin's row: then this is a replay, not a double spend.
            prior = connection.execute(sa.select(table).where(*spend)).first()
            if prior is None:
                prior = conflicting(connection)
            if prior is None:
                raise
            return values.receipt(prior), False
        # The coin's row is locked now: a deposit for the contract committed meanwhile
        # shows. The identical one is a replay: run again, which finds it.
        if conflicting(connection) is not None:
            raise RunAgain
        inserted = connection.execute(
            coins.insert(table)
            .values(
                mint=values.name,
                coin=draft.coin_public_key,
                denomination_id=draft.denomination_id,
                merchant=draft.merchant,
                contract_hash=draft.contract_hash,
                amount=amount,
                nonce=draft.nonce,
                spend_signature=draft.spend_signature,
                deposited_at=draft.deposited_at,
                refunded=0,
            )
            .on_conflict_do_nothing()
            .returning(table.c.deposit_id)
        ).scalar_one_or_none()
        if inserted is None:
            # The identical deposit was recorded meanwhile (it held the coin's row until it
            # committed): undo this spend and run again, which then finds it (a replay).
            raise RunAgain
        return draft.receipt(int(inserted)), True

    return work


def payout_work(
    values: MintValues, merchant: str, paid_at: _dt.datetime, *, lock: bool
) -> Callable[[sa.Connection], PayoutRecord | None]:
    """The transaction of :meth:`MintBook.payout <ecservice.payments.ecash.MintBook.payout>`:
    pay ``merchant`` every unpaid deposit (net of refunds) at ``paid_at``, or ``None`` when
    none is due. With ``lock`` (PostgreSQL) the deposits' rows are locked as they are read."""
    from ecservice.payments.ecash import PayoutRecord

    table = MINT_DEPOSITS

    def work(connection: sa.Connection) -> PayoutRecord | None:
        query = (
            sa.select(table.c.deposit_id, table.c.amount, table.c.refunded)
            .where(
                table.c.mint == values.name,
                table.c.merchant == merchant,
                table.c.payout_id.is_(None),
            )
            .order_by(table.c.deposit_id)
        )
        if lock:
            query = query.with_for_update()
        due = connection.execute(query).all()
        if not due:
            return None
        total = sum(r.amount - r.refunded for r in due)
        payout_id = connection.execute(
            MINT_PAYOUTS.insert()
            .values(mint=values.name, merchant=merchant, amount=total, paid_at=paid_at)
            .returning(MINT_PAYOUTS.c.payout_id)
        ).scalar_one()
        ids = [r.deposit_id for r in due]
        changed = connection.execute(
            table.update()
            .where(table.c.deposit_id.in_(ids), table.c.payout_id.is_(None))
            .values(payout_id=payout_id)
        ).rowcount
        if changed != len(ids):
            raise RunAgain
        return PayoutRecord(merchant, values.money(total), tuple(ids), paid_at)

    return work
