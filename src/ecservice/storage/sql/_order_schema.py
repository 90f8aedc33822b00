"""The table of order facts: what the reports count of the stored orders, one row per order.

``ecs_order_facts`` (``order_id`` primary key) is written (the order's row replaced) in the
transaction that adds an order, and in those that save it with a change the reports see (it is
closed, part of it cancelled, it is put on hold or released): an order moving between processing
and out of stock writes its document only. Columns:

* ``buyer_id`` and ``created_at`` (UTC; indexed together: a buyer's orders, and on their own:
  the reports' windows);
* ``currency`` (ISO 4217), ``total_minor`` (what the buyer owes, goods and shipping) and
  ``kept_minor`` (the total less the value of the cancelled goods), in minor units;
* ``closed_as`` (``"DONE"``, ``"CANCELLED"``, or ``NULL`` while open) and ``closed_at``;
* the order's holds for exception handling (异常订单): ``holds`` (how many), ``held_at`` and
  ``hold_reason`` (the first hold's start and reason code), ``hold_ended_at`` and
  ``hold_outcome`` (how the last hold ended: ``"RELEASED"`` or ``"CANCELLED"``; ``NULL`` while
  it lasts) and ``held_us`` (the time the ended holds lasted, in microseconds).

Migration ``0006`` creates it and fills it for the orders stored before.
"""

from __future__ import annotations

from typing import Final

import sqlalchemy as sa

from ecservice.storage.sql._schema import METADATA, UtcDateTime, minor_units_column

__all__ = ["ORDER_FACTS"]

ORDER_FACTS: Final = sa.Table(
    "ecs_order_facts",
    METADATA,
    sa.Column("order_id", sa.String(200), primary_key=True, nullable=False),
    sa.Column("buyer_id", sa.String(200), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    minor_units_column("total_minor"),
    minor_units_column("kept_minor"),
    sa.Column("closed_as", sa.String(64), nullable=True),
    sa.Column("closed_at", UtcDateTime(), nullable=True),
    sa.Column("holds", sa.Integer(), nullable=False),
    sa.Column("held_at", UtcDateTime(), nullable=True),
    sa.Column("hold_reason", sa.String(64), nullable=True),
    sa.Column("hold_ended_at", UtcDateTime(), nullable=True),
    sa.Column("hold_outcome", sa.String(64), nullable=True),
    sa.Column("held_us", sa.BigInteger(), nullable=False),
    sa.Index("ix_ecs_order_facts_buyer", "buyer_id", "created_at"),
    sa.Index("ix_ecs_order_facts_created", "created_at"),
)
