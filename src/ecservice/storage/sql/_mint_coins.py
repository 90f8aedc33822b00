"""The coins' rows of a mint book: a coin seen spent, and every change of its remaining value.

``ecs_mint_coins`` holds one row per coin seen spent (see
:mod:`ecservice.storage.sql._coins_schema`), inserted at its face value the first time. Every
spend of a coin is a conditional update (``... SET remaining = remaining - :v WHERE mint = :m
AND coin = :c AND remaining >= :v``): of two transactions spending the same value, the second
finds the row changed and matches nothing. A refund gives value back the same way, never beyond
what was deposited nor beyond the coin's value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, final

import sqlalchemy as sa

from ecservice.errors import DoubleSpend
from ecservice.money import Money
from ecservice.storage.sql._coins_schema import MINT_COINS
from ecservice.storage.sql._mint_values import MintValues

__all__ = ["MintCoins", "other_denomination"]


def other_denomination(coin: bytes) -> DoubleSpend:
    """The error for ``coin`` spent (before) as a coin of another denomination."""
    return DoubleSpend(
        f"coin key {coin[:8].hex()} was already spent as a coin of another denomination"
    )


@final
class MintCoins:
    """The coins' rows of the mint whose values are ``values``, written with the dialect's
    ``insert`` (see :func:`~ecservice.storage.sql._books.conflict_insert`) in the caller's
    transaction."""

    __slots__ = ("insert", "values")

    def __init__(self, values: MintValues, insert: Callable[[sa.Table], Any]) -> None:
        self.values = values
        self.insert = insert

    def row(self, connection: sa.Connection, coin: bytes) -> Any:
        """The coin's row, or ``None`` if it was never spent."""
        query = sa.select(MINT_COINS).where(
            MINT_COINS.c.mint == self.values.name, MINT_COINS.c.coin == coin
        )
        return connection.execute(query).first()

    def add(
        self, connection: sa.Connection, coin: bytes, denomination_id: bytes, value: Money
    ) -> None:
        """Insert the coin's row at its face value if it has none yet."""
        units = self.values.units(value)
        statement = (
            self.insert(MINT_COINS)
            .values(
                mint=self.values.name,
                coin=coin,
                denomination_id=denomination_id,
                value=units,
                deposited=0,
                refunded=0,
                melted=0,
                remaining=units,
            )
            .on_conflict_do_nothing()
        )
        connection.execute(statement)

    def take(
        self,
        connection: sa.Connection,
        coin: bytes,
        denomination_id: bytes,
        amount: Money,
        column: str,
        what: str,
    ) -> None:
        """Take ``amount`` from the coin (a deposit or a melt, counted in ``column``).

        Raises:
            DoubleSpend: the coin has less than ``amount`` left (``what`` says what wanted it),
                or was spent as a coin of another denomination.
        """
        units = self.values.units(amount)
        table = MINT_COINS
        statement = (
            table.update()
            .where(
                table.c.mint == self.values.name,
                table.c.coin == coin,
                table.c.denomination_id == denomination_id,
                table.c.remaining >= units,
            )
            .values({column: table.c[column] + units, "remaining": table.c.remaining - units})
        )
        if connection.execute(statement).rowcount == 1:
            return
        row = self.row(connection, coin)
        if row is not None and row.denomination_id != denomination_id:
            raise other_denomination(coin)
        left = self.values.money(0 if row is None else row.remaining)
        raise DoubleSpend(f"coin {coin[:8].hex()} has {left} left, not the {amount} {what}")

    def give_back(self, connection: sa.Connection, coin: bytes, units: int) -> bool:
        """Give ``units`` back to the coin (a refund) if no more than was deposited is
        refunded and the coin stays within its value; whether it was."""
        coins = MINT_COINS
        changed = connection.execute(
            coins.update()
            .where(
                coins.c.mint == self.values.name,
                coins.c.coin == coin,
                coins.c.refunded + units <= coins.c.deposited,
                coins.c.remaining + units <= coins.c.value,
            )
            .values(refunded=coins.c.refunded + units, remaining=coins.c.remaining + units)
        ).rowcount
        return bool(changed == 1)
