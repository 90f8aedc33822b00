"""The tables of complaint facts: what the complaint report counts, one row per complaint and one
per SLA cycle.

Both are written (the complaint's rows replaced) in the transaction that adds or saves the
complaint, so they always agree with the committed document:

* ``ecs_complaint_facts`` (``complaint_id`` primary key): the complaint's ``order_id`` and
  ``case_id`` (indexed: an order's complaints), ``opened_at`` (UTC, indexed: the report's
  window), ``status``, ``problem`` and ``category`` (enum names), ``replied_at`` and
  ``first_reply_us`` (the working time to the first reply, in microseconds), ``resolved_at``
  and ``resolution_us`` (the working time to the resolution), the flags ``reopened`` and
  ``closed_once``, the follow-up visit's ``satisfaction`` (1-5) and the name of the SLA
  ``policy`` the working times and cycles were computed under (``NULL`` when the store has no
  complaint timer naming one);
* ``ecs_complaint_cycles`` (primary key ``complaint_id``, ``kind``, ``cycle``): each SLA cycle
  as the save evaluated it: ``due_at``, ``stopped_at``, ``ended`` (``MET``, ``CANCELLED`` or
  ``NULL`` while it runs), ``paused_now`` and ``breached_at``.

The working times are measured on the calendar of the store's complaint timer
(:class:`~ecservice.storage.ComplaintSlaTimer`) when the complaint is saved: times, not
instants, because working time cannot be counted in SQL. Migration ``0005`` creates the tables;
:meth:`SqlComplaintReports.refresh <ecservice.storage.sql.SqlComplaintReports.refresh>` fills
them for complaints stored before (or under another policy or calendar).
"""

from __future__ import annotations

from typing import Final

import sqlalchemy as sa

from ecservice.storage.sql._schema import METADATA, UtcDateTime

__all__ = ["COMPLAINT_CYCLES", "COMPLAINT_FACTS"]

COMPLAINT_FACTS: Final = sa.Table(
    "ecs_complaint_facts",
    METADATA,
    sa.Column("complaint_id", sa.String(200), primary_key=True, nullable=False),
    sa.Column("order_id", sa.String(200), nullable=True),
    sa.Column("case_id", sa.String(200), nullable=True),
    sa.Column("opened_at", UtcDateTime(), nullable=False),
    sa.Column("status", sa.String(64), nullable=False),
    sa.Column("problem", sa.String(64), nullable=True),
    sa.Column("category", sa.String(64), nullable=True),
    sa.Column("replied_at", UtcDateTime(), nullable=True),
    sa.Column("first_reply_us", sa.BigInteger(), nullable=True),
    sa.Column("resolved_at", UtcDateTime(), nullable=True),
    sa.Column("resolution_us", sa.BigInteger(), nullable=True),
    sa.Column("reopened", sa.Boolean(), nullable=False),
    sa.Column("closed_once", sa.Boolean(), nullable=False),
    sa.Column("satisfaction", sa.SmallInteger(), nullable=True),
    sa.Column("policy", sa.String(200), nullable=True),
    sa.Index("ix_ecs_complaint_facts_order", "order_id", "opened_at"),
    sa.Index("ix_ecs_complaint_facts_opened", "opened_at"),
)

COMPLAINT_CYCLES: Final = sa.Table(
    "ecs_complaint_cycles",
    METADATA,
    sa.Column("complaint_id", sa.String(200), primary_key=True, nullable=False),
    sa.Column("kind", sa.String(64), primary_key=True, nullable=False),
    sa.Column("cycle", sa.Integer(), primary_key=True, nullable=False, autoincrement=False),
    sa.Column("due_at", UtcDateTime(), nullable=False),
    sa.Column("stopped_at", UtcDateTime(), nullable=True),
    sa.Column("ended", sa.String(64), nullable=True),
    sa.Column("paused_now", sa.Boolean(), nullable=False),
    sa.Column("breached_at", UtcDateTime(), nullable=True),
)
