"""The SQL gateway's payment records: declined instruments, authorisations, captures, refunds.

The rows of ``ecs_gw_declines``, ``ecs_gw_authorizations``, ``ecs_gw_captures`` and
``ecs_gw_refunds`` (see :mod:`ecservice.storage.sql._gateway_schema`), read and written in the
caller's transaction. Two changes are conditional updates, so that of two transactions only one
succeeds: an authorisation leaves ``open`` once (:meth:`GatewayRecords.settle`), and a capture's
``refunded`` grows only while it stays at most the captured amount
(:meth:`GatewayRecords.take_refund`).
"""

from __future__ import annotations

from typing import Any, final

import sqlalchemy as sa

from ecservice._shown import shown
from ecservice.errors import ValidationError
from ecservice.money import Currency
from ecservice.storage.sql._gateway_schema import (
    GW_AUTHORIZATIONS,
    GW_CAPTURES,
    GW_DECLINES,
    GW_REFUNDS,
)

__all__ = ["GatewayRecords"]


@final
class GatewayRecords:
    """The payment records of the gateway ``name``."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    # --- declined instruments ---------------------------------------------------------------

    def decline_reason(self, connection: sa.Connection, account: str) -> str | None:
        """Why every authorisation on ``account`` declines, or ``None`` if it does not."""
        reason: str | None = connection.execute(
            sa.select(GW_DECLINES.c.reason).where(
                GW_DECLINES.c.gateway == self.name, GW_DECLINES.c.account == account
            )
        ).scalar_one_or_none()
        return reason

    def set_decline(self, connection: sa.Connection, account: str, reason: str) -> None:
        """Make every later authorisation on ``account`` decline with ``reason``."""
        connection.execute(
            GW_DECLINES.delete().where(
                GW_DECLINES.c.gateway == self.name, GW_DECLINES.c.account == account
            )
        )
        connection.execute(
            GW_DECLINES.insert().values(gateway=self.name, account=account, reason=reason)
        )

    # --- authorisations ---------------------------------------------------------------------

    def open_authorization(
        self,
        connection: sa.Connection,
        auth_id: str,
        *,
        payment: str,
        account: str,
        cur: Currency,
        units: int,
    ) -> None:
        """Record the open authorisation ``auth_id`` of ``units`` on ``account``."""
        connection.execute(
            GW_AUTHORIZATIONS.insert().values(
                gateway=self.name,
                id=auth_id,
                payment_reference=payment,
                account=account,
                currency=cur.code,
                amount=units,
                state="open",
            )
        )

    def authorization(self, connection: sa.Connection, auth_id: str) -> Any:
        """The row of the authorisation ``auth_id``.

        Raises:
            ValidationError: the gateway has no such authorisation.
        """
        return self._row(connection, GW_AUTHORIZATIONS, auth_id, "authorisation")

    def settle(self, connection: sa.Connection, auth_id: str, state: str) -> bool:
        """Move the authorisation from ``open`` to ``state``, once."""
        done = connection.execute(
            GW_AUTHORIZATIONS.update()
            .where(
                GW_AUTHORIZATIONS.c.gateway == self.name,
                GW_AUTHORIZATIONS.c.id == auth_id,
                GW_AUTHORIZATIONS.c.state == "open",
            )
            .values(state=state)
        ).rowcount
        return bool(done == 1)

    # --- captures and refunds ---------------------------------------------------------------

    def add_capture(
        self,
        connection: sa.Connection,
        capture_id: str,
        *,
        auth_id: str,
        account: str,
        cur: Currency,
        units: int,
    ) -> None:
        """Record the capture ``capture_id`` of ``units`` of the authorisation ``auth_id``,
        paid from ``account``."""
        connection.execute(
            GW_CAPTURES.insert().values(
                gateway=self.name,
                id=capture_id,
                authorization_id=auth_id,
                account=account,
                currency=cur.code,
                amount=units,
                refunded=0,
            )
        )

    def capture(self, connection: sa.Connection, capture_id: str) -> Any:
        """The row of the capture ``capture_id``.

        Raises:
            ValidationError: the gateway has no such capture.
        """
        return self._row(connection, GW_CAPTURES, capture_id, "capture")

    def _row(self, connection: sa.Connection, table: sa.Table, id: str, what: str) -> Any:
        """The gateway's row ``id`` of ``table``; :class:`ValidationError` naming ``what`` if
        there is none."""
        row = connection.execute(
            sa.select(table).where(table.c.gateway == self.name, table.c.id == id)
        ).first()
        if row is None:
            raise ValidationError(f"unknown {what} {shown(id)}")
        return row

    def take_refund(self, connection: sa.Connection, capture_id: str, units: int) -> bool:
        """Add ``units`` to the capture's ``refunded`` if what is left of it covers them."""
        done = connection.execute(
            GW_CAPTURES.update()
            .where(
                GW_CAPTURES.c.gateway == self.name,
                GW_CAPTURES.c.id == capture_id,
                GW_CAPTURES.c.refunded + units <= GW_CAPTURES.c.amount,
            )
            .values(refunded=GW_CAPTURES.c.refunded + units)
        ).rowcount
        return bool(done == 1)

    def add_refund(
        self,
        connection: sa.Connection,
        refund_id: str,
        capture_id: str,
        cur: Currency,
        units: int,
    ) -> None:
        """Record the refund ``refund_id`` of ``units`` of the capture ``capture_id``."""
        connection.execute(
            GW_REFUNDS.insert().values(
                gateway=self.name,
                id=refund_id,
                capture_id=capture_id,
                currency=cur.code,
                amount=units,
            )
        )
