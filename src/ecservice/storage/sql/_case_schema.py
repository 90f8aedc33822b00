"""The table of after-sales case facts: each case's order, and what the after-sales report counts.

``ecs_case_facts`` holds one row per stored after-sales case, written (inserted or replaced) in
the transaction that adds or saves the case, so it always agrees with the committed document:

* ``case_id`` (primary key) and ``order_id`` (indexed): an order's cases are found through the
  index (``uow.cases.for_order``) instead of reading every case;
* ``opened_at`` and ``resolved_at`` (UTC, indexed): the instants the report's window selects
  cases by;
* ``remedy`` and ``status`` (enum names, as the document writes them), and the flags
  ``refunded`` (money paid back: a refund or a compensation), ``disputed`` (the platform's last
  ruling for the buyer) and ``auto_approved`` (a timer approved the request): what the report
  counts, with SQL aggregates (:class:`~ecservice.storage.sql.SqlAfterSalesReports`).

A side table rather than an index on an expression of the JSON document: the same plain columns
and indexes on SQLite and PostgreSQL (an expression over JSON differs between them and Alembic
cannot compare it), typed instants instead of text taken out of JSON, and no JSON parsing in
the report's queries. Migration ``0004`` creates it and fills it from the stored cases.
"""

from __future__ import annotations

from typing import Final

import sqlalchemy as sa

from ecservice.storage.sql._schema import METADATA, UtcDateTime

__all__ = ["CASE_FACTS"]

CASE_FACTS: Final = sa.Table(
    "ecs_case_facts",
    METADATA,
    sa.Column("case_id", sa.String(200), primary_key=True, nullable=False),
    sa.Column("order_id", sa.String(200), nullable=False),
    sa.Column("opened_at", UtcDateTime(), nullable=False),
    sa.Column("remedy", sa.String(64), nullable=False),
    sa.Column("status", sa.String(64), nullable=False),
    sa.Column("resolved_at", UtcDateTime(), nullable=True),
    sa.Column("refunded", sa.Boolean(), nullable=False),
    sa.Column("disputed", sa.Boolean(), nullable=False),
    sa.Column("auto_approved", sa.Boolean(), nullable=False),
    sa.Index("ix_ecs_case_facts_order", "order_id", "opened_at"),
    sa.Index("ix_ecs_case_facts_opened", "opened_at"),
    sa.Index("ix_ecs_case_facts_resolved", "resolved_at"),
)
