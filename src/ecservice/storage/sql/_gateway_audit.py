"""The audit of the SQL gateway's books: :class:`LedgerAudit`, summed by the database.

:func:`audit_books` checks one currency's books in SQL: the journal sums to zero, every
account's balance is the sum of its entries, no account but ``~external`` is negative,
``~held`` is what the open authorisations hold, ``~merchant`` is what the captures kept after
their refunds, and each capture's ``refunded`` is the sum of its refunds.
"""

from __future__ import annotations

from typing import final

import attrs
import sqlalchemy as sa

from ecservice.money import Currency, Money
from ecservice.storage.sql._gateway_schema import (
    EXTERNAL,
    GW_ACCOUNTS,
    GW_AUTHORIZATIONS,
    GW_CAPTURES,
    GW_ENTRIES,
    GW_REFUNDS,
    HELD,
    MERCHANT,
)

__all__ = ["LedgerAudit", "audit_books"]


@final
@attrs.frozen(kw_only=True)
class LedgerAudit:
    """The gateway's books for one currency, as the database sums them.

    Args:
        currency: the currency audited.
        funded: everything ever put in with :meth:`SqlGateway.fund`.
        instruments: what the instruments' accounts hold together.
        held: what open authorisations hold.
        merchant: captured for the merchant minus refunded.
        problems: every check that failed, in words (empty when the books balance).
    """

    currency: Currency
    funded: Money
    instruments: Money
    held: Money
    merchant: Money
    problems: tuple[str, ...]

    @property
    def balanced(self) -> bool:
        """Whether every check passed (no money was created or lost)."""
        return not self.problems


def audit_books(connection: sa.Connection, gateway: str, cur: Currency) -> LedgerAudit:
    """The books of the gateway ``gateway`` in ``cur``, checked with the queries the module
    describes, read through ``connection``."""
    g, code = gateway, cur.code
    problems: list[str] = []

    def money(units: object) -> Money:
        return Money.from_minor(int(units or 0), cur)  # type: ignore[call-overload]

    journal = connection.execute(
        sa.select(sa.func.coalesce(sa.func.sum(GW_ENTRIES.c.amount), 0)).where(
            GW_ENTRIES.c.gateway == g, GW_ENTRIES.c.currency == code
        )
    ).scalar_one()
    if journal != 0:
        problems.append(f"the journal sums to {money(journal)}, not zero")
    sums = (
        sa.select(GW_ENTRIES.c.account, sa.func.sum(GW_ENTRIES.c.amount).label("total"))
        .where(GW_ENTRIES.c.gateway == g, GW_ENTRIES.c.currency == code)
        .group_by(GW_ENTRIES.c.account)
        .subquery()
    )
    mismatched = connection.execute(
        sa.select(GW_ACCOUNTS.c.account, GW_ACCOUNTS.c.balance, sums.c.total)
        .select_from(GW_ACCOUNTS.outerjoin(sums, sums.c.account == GW_ACCOUNTS.c.account))
        .where(
            GW_ACCOUNTS.c.gateway == g,
            GW_ACCOUNTS.c.currency == code,
            GW_ACCOUNTS.c.balance != sa.func.coalesce(sums.c.total, 0),
        )
    ).all()
    problems.extend(
        f"account {r.account} holds {money(r.balance)} but its entries sum to {money(r.total)}"
        for r in mismatched
    )
    orphans = (
        connection.execute(
            sa.select(sums.c.account).where(
                ~sa.exists().where(
                    GW_ACCOUNTS.c.gateway == g,
                    GW_ACCOUNTS.c.currency == code,
                    GW_ACCOUNTS.c.account == sums.c.account,
                )
            )
        )
        .scalars()
        .all()
    )
    problems.extend(f"entries of account {a} have no account row" for a in orphans)
    negative = connection.execute(
        sa.select(GW_ACCOUNTS.c.account, GW_ACCOUNTS.c.balance).where(
            GW_ACCOUNTS.c.gateway == g,
            GW_ACCOUNTS.c.currency == code,
            GW_ACCOUNTS.c.account != EXTERNAL,
            GW_ACCOUNTS.c.balance < 0,
        )
    ).all()
    problems.extend(f"account {r.account} is negative: {money(r.balance)}" for r in negative)
    held_open = connection.execute(
        sa.select(sa.func.coalesce(sa.func.sum(GW_AUTHORIZATIONS.c.amount), 0)).where(
            GW_AUTHORIZATIONS.c.gateway == g,
            GW_AUTHORIZATIONS.c.currency == code,
            GW_AUTHORIZATIONS.c.state == "open",
        )
    ).scalar_one()
    kept = connection.execute(
        sa.select(
            sa.func.coalesce(sa.func.sum(GW_CAPTURES.c.amount - GW_CAPTURES.c.refunded), 0)
        ).where(GW_CAPTURES.c.gateway == g, GW_CAPTURES.c.currency == code)
    ).scalar_one()
    refund_sums = (
        sa.select(GW_REFUNDS.c.capture_id, sa.func.sum(GW_REFUNDS.c.amount).label("total"))
        .where(GW_REFUNDS.c.gateway == g)
        .group_by(GW_REFUNDS.c.capture_id)
        .subquery()
    )
    unmatched = connection.execute(
        sa.select(GW_CAPTURES.c.id, GW_CAPTURES.c.refunded, refund_sums.c.total)
        .select_from(
            GW_CAPTURES.outerjoin(refund_sums, refund_sums.c.capture_id == GW_CAPTURES.c.id)
        )
        .where(
            GW_CAPTURES.c.gateway == g,
            GW_CAPTURES.c.currency == code,
            GW_CAPTURES.c.refunded != sa.func.coalesce(refund_sums.c.total, 0),
        )
    ).all()
    balances = {
        r.account: r.balance
        for r in connection.execute(
            sa.select(GW_ACCOUNTS.c.account, GW_ACCOUNTS.c.balance).where(
                GW_ACCOUNTS.c.gateway == g,
                GW_ACCOUNTS.c.currency == code,
                GW_ACCOUNTS.c.account.like("~%"),
            )
        )
    }
    instruments = connection.execute(
        sa.select(sa.func.coalesce(sa.func.sum(GW_ACCOUNTS.c.balance), 0)).where(
            GW_ACCOUNTS.c.gateway == g,
            GW_ACCOUNTS.c.currency == code,
            GW_ACCOUNTS.c.account.not_like("~%"),
        )
    ).scalar_one()
    problems.extend(
        f"capture {r.id} records {money(r.refunded)} refunded but its refunds sum to "
        f"{money(r.total)}"
        for r in unmatched
    )
    held = money(balances.get(HELD))
    merchant = money(balances.get(MERCHANT))
    if held != money(held_open):
        problems.append(f"{HELD} holds {held} but open authorisations hold {money(held_open)}")
    if merchant != money(kept):
        problems.append(f"{MERCHANT} holds {merchant} but captures kept {money(kept)}")
    return LedgerAudit(
        currency=cur,
        funded=-money(balances.get(EXTERNAL)),
        instruments=money(instruments),
        held=held,
        merchant=merchant,
        problems=tuple(problems),
    )
