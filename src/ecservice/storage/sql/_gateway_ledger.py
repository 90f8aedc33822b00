"""The SQL gateway's double-entry ledger: its accounts' balances and the journal of movements.

An account's balance is a row of ``ecs_gw_accounts``; every movement is journalled in
``ecs_gw_entries`` as signed entries summing to zero (see
:mod:`ecservice.storage.sql._gateway_schema`). A debit is a conditional update that takes
only what the balance covers, so two transactions never spend one balance twice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, final

import sqlalchemy as sa

from ecservice.clock import Clock
from ecservice.errors import InvalidAmount
from ecservice.money import Currency, Money
from ecservice.storage._retrying import utc_now
from ecservice.storage.sql._books import MAX_MINOR_UNITS
from ecservice.storage.sql._gateway_schema import GW_ACCOUNTS, GW_ENTRIES

__all__ = ["GatewayLedger", "ledger_units"]


def ledger_units(amount: Money) -> int:
    """``amount`` in minor units, as the ledger's ``BIGINT`` columns hold it.

    Raises:
        InvalidAmount: more than :data:`~ecservice.storage.sql._books.MAX_MINOR_UNITS` minor
            units either way.
    """
    units = amount.minor_units
    if abs(units) > MAX_MINOR_UNITS:
        raise InvalidAmount(
            f"{amount} is too large for the gateway's ledger: at most {MAX_MINOR_UNITS} minor units"
        )
    return units


@final
class GatewayLedger:
    """The accounts and journal of the gateway ``name``, written in the caller's transaction;
    entries are posted at ``clock``'s time; ``insert`` is the dialect's (see
    :func:`~ecservice.storage.sql._books.conflict_insert`)."""

    __slots__ = ("_clock", "_credit_stmt", "name")

    def __init__(self, name: str, clock: Clock, insert: Callable[[sa.Table], Any]) -> None:
        self.name = name
        self._clock = clock
        credit = insert(GW_ACCOUNTS)
        self._credit_stmt = credit.on_conflict_do_update(
            index_elements=[GW_ACCOUNTS.c.gateway, GW_ACCOUNTS.c.account, GW_ACCOUNTS.c.currency],
            set_={"balance": GW_ACCOUNTS.c.balance + credit.excluded.balance},
        )

    def post(
        self, connection: sa.Connection, operation: str, cur: Currency, entries: dict[str, int]
    ) -> None:
        """Journal ``entries`` (account -> signed minor units, summing to zero) and add them to
        the accounts' balances, in account order (so concurrent transactions lock rows in one
        order). Debits must have been made already with :meth:`debit` when checked."""
        assert sum(entries.values()) == 0, entries
        now = utc_now(self._clock)
        rows = [
            {
                "gateway": self.name,
                "operation": operation,
                "account": account,
                "currency": cur.code,
                "amount": amount,
                "posted_at": now,
            }
            for account, amount in sorted(entries.items())
            if amount
        ]
        connection.execute(GW_ENTRIES.insert(), rows)

    def credit(self, connection: sa.Connection, account: str, cur: Currency, units: int) -> None:
        """Add ``units`` to ``account`` (made if it has no row yet)."""
        connection.execute(
            self._credit_stmt,
            {"gateway": self.name, "account": account, "currency": cur.code, "balance": units},
        )

    def debit(self, connection: sa.Connection, account: str, cur: Currency, units: int) -> bool:
        """Take ``units`` from ``account`` if its balance covers them."""
        done = connection.execute(
            GW_ACCOUNTS.update()
            .where(
                GW_ACCOUNTS.c.gateway == self.name,
                GW_ACCOUNTS.c.account == account,
                GW_ACCOUNTS.c.currency == cur.code,
                GW_ACCOUNTS.c.balance >= units,
            )
            .values(balance=GW_ACCOUNTS.c.balance - units)
        ).rowcount
        return bool(done == 1)

    def debit_covered(
        self, connection: sa.Connection, account: str, cur: Currency, units: int
    ) -> None:
        """Take ``units`` from one of the gateway's own accounts, which the books say covers
        them (what an open authorisation holds, what a capture left the merchant); a failure
        means the books were changed behind the gateway's back, and rolls the request back."""
        if not self.debit(connection, account, cur, units):
            raise AssertionError(
                f"gateway {self.name!r}: {account} does not cover {units} minor units of "
                f"{cur.code}; the books were changed outside the gateway"
            )

    def balance(self, connection: sa.Connection, account: str, cur: Currency) -> Money:
        """What ``account`` holds in ``cur`` (nothing when it has no row)."""
        found = connection.execute(
            sa.select(GW_ACCOUNTS.c.balance).where(
                GW_ACCOUNTS.c.gateway == self.name,
                GW_ACCOUNTS.c.account == account,
                GW_ACCOUNTS.c.currency == cur.code,
            )
        ).scalar_one_or_none()
        return Money.from_minor(int(found or 0), cur)

    def instruments(self, connection: sa.Connection, cur: Currency) -> Money:
        """What the instruments' accounts hold together in ``cur`` (the gateway's own
        accounts, named ``~...``, left out)."""
        query = sa.select(sa.func.coalesce(sa.func.sum(GW_ACCOUNTS.c.balance), 0)).where(
            GW_ACCOUNTS.c.gateway == self.name,
            GW_ACCOUNTS.c.currency == cur.code,
            GW_ACCOUNTS.c.account.not_like("~%"),
        )
        return Money.from_minor(int(connection.execute(query).scalar_one()), cur)
