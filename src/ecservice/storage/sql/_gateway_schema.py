"""The tables of :class:`~ecservice.storage.sql.SqlGateway`: a double-entry ledger, the
authorisations, captures and refunds it made, and the answer kept per idempotency key.

Every row carries the ``gateway`` name, so several gateways share the tables. Amounts are whole
numbers of the currency's minor units (``BIGINT``), never floating point.

``ecs_gw_accounts``
    The balance of each account per currency: ``(gateway, account, currency)`` primary key. An
    instrument's account is named ``"{kind}:{reference}"`` (``card:tok_1``); the gateway's own
    are ``~held`` (open authorisations), ``~merchant`` (captured minus refunded) and
    ``~external`` (the world outside: minus everything funded). Only ``~external`` may be
    negative (a ``CHECK`` constraint).
``ecs_gw_entries``
    The journal: every movement as signed entries whose sum per operation is zero, so the sum of
    every entry of a currency is zero and each account's balance is the sum of its entries.
``ecs_gw_requests``
    The idempotency records: ``(gateway, idempotency_key)`` primary key, the request's
    fingerprint and the approved answer. The row is inserted first in a request's transaction:
    two requests with one key are serialised by the key, and the second sees the first's answer.
``ecs_gw_authorizations``, ``ecs_gw_captures``, ``ecs_gw_refunds``
    What was held, taken and given back; an authorisation is ``open`` until it is ``captured``
    or ``voided`` (a conditional update, so only one of them happens), and a capture's
    ``refunded`` grows by conditional updates that keep it at most the captured ``amount``
    (also a ``CHECK`` constraint).
``ecs_gw_declines``
    Instruments made to decline (for simulations and tests).
"""

from __future__ import annotations

from typing import Final

import sqlalchemy as sa

from ecservice.storage.sql._schema import (
    METADATA,
    UtcDateTime,
    minor_units_column,
    sequence_column,
)

__all__ = [
    "GW_ACCOUNTS",
    "GW_AUTHORIZATIONS",
    "GW_CAPTURES",
    "GW_DECLINES",
    "GW_ENTRIES",
    "GW_REFUNDS",
    "GW_REQUESTS",
]

#: The account that every top-up comes from (minus what was ever funded).
EXTERNAL: Final = "~external"
#: Value held by open authorisations.
HELD: Final = "~held"
#: Captured for the merchant minus refunded.
MERCHANT: Final = "~merchant"


def _name() -> sa.String:
    return sa.String(64)


def _ref() -> sa.String:
    return sa.String(200)


GW_ACCOUNTS: Final = sa.Table(
    "ecs_gw_accounts",
    METADATA,
    sa.Column("gateway", _name(), primary_key=True),
    sa.Column("account", sa.String(260), primary_key=True),
    sa.Column("currency", sa.String(3), primary_key=True),
    minor_units_column("balance"),
    sa.CheckConstraint(
        f"balance >= 0 OR account = '{EXTERNAL}'", name="ck_ecs_gw_accounts_not_negative"
    ),
)

GW_ENTRIES: Final = sa.Table(
    "ecs_gw_entries",
    METADATA,
    sequence_column("seq"),
    sa.Column("gateway", _name(), nullable=False),
    sa.Column("operation", sa.String(300), nullable=False),
    sa.Column("account", sa.String(260), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    minor_units_column("amount"),
    sa.Column("posted_at", UtcDateTime(), nullable=False),
    sa.Index("ix_ecs_gw_entries_account", "gateway", "account", "currency"),
)

GW_REQUESTS: Final = sa.Table(
    "ecs_gw_requests",
    METADATA,
    sa.Column("gateway", _name(), primary_key=True),
    sa.Column("idempotency_key", sa.String(300), primary_key=True),
    sa.Column("fingerprint", sa.String(1000), nullable=False),
    sa.Column("reference", _ref(), nullable=True),
    sa.Column("currency", sa.String(3), nullable=True),
    minor_units_column("amount", nullable=True),
    sa.Column("answered_at", UtcDateTime(), nullable=True),
)

GW_AUTHORIZATIONS: Final = sa.Table(
    "ecs_gw_authorizations",
    METADATA,
    sa.Column("gateway", _name(), primary_key=True),
    sa.Column("id", _ref(), primary_key=True),
    sa.Column("payment_reference", _ref(), nullable=False),
    sa.Column("account", sa.String(260), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    minor_units_column("amount"),
    sa.Column("state", sa.String(16), nullable=False),
    sa.CheckConstraint("amount > 0", name="ck_ecs_gw_authorizations_positive"),
    sa.CheckConstraint(
        "state IN ('open', 'captured', 'voided')", name="ck_ecs_gw_authorizations_state"
    ),
)

GW_CAPTURES: Final = sa.Table(
    "ecs_gw_captures",
    METADATA,
    sa.Column("gateway", _name(), primary_key=True),
    sa.Column("id", _ref(), primary_key=True),
    sa.Column("authorization_id", _ref(), nullable=False),
    sa.Column("account", sa.String(260), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    minor_units_column("amount"),
    minor_units_column("refunded"),
    sa.UniqueConstraint("gateway", "authorization_id", name="uq_ecs_gw_captures_authorization"),
    sa.CheckConstraint("refunded >= 0 AND refunded <= amount", name="ck_ecs_gw_captures_refunded"),
)

GW_REFUNDS: Final = sa.Table(
    "ecs_gw_refunds",
    METADATA,
    sa.Column("gateway", _name(), primary_key=True),
    sa.Column("id", _ref(), primary_key=True),
    sa.Column("capture_id", _ref(), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    minor_units_column("amount"),
    sa.CheckConstraint("amount > 0", name="ck_ecs_gw_refunds_positive"),
    sa.Index("ix_ecs_gw_refunds_capture", "gateway", "capture_id"),
)

GW_DECLINES: Final = sa.Table(
    "ecs_gw_declines",
    METADATA,
    sa.Column("gateway", _name(), primary_key=True),
    sa.Column("account", sa.String(260), primary_key=True),
    sa.Column("reason", sa.String(2000), nullable=False),
)
