"""After-sales case facts: each stored case's order, and what the after-sales report counts.

Revision ID: 0004
Revises: 0003

``ecs_case_facts`` holds one row per after-sales case (``case_id`` primary key), written with
every save of the case: its ``order_id`` (indexed with ``opened_at``: an order's cases), its
``opened_at`` and ``resolved_at`` (indexed: the report's windows), ``remedy`` and ``status``
(enum names) and the flags ``refunded``, ``disputed`` and ``auto_approved``. The upgrade fills
it from the cases already stored, reading their documents as schema version 1 writes them (a
script written offline, ``--sql``, cannot read them and says so). See
:mod:`ecservice.storage.sql._case_schema`.
"""

from __future__ import annotations

import datetime as _dt
import json
from typing import Any, Final

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

#: The states in which a case has reached an end (its ``resolved_at`` is its last transition).
_ENDS: Final = frozenset(
    {"REFUNDED", "EXCHANGED", "REPAIRED", "RESHIPPED", "COMPENSATED", "WITHDRAWN", "CLOSED"}
)
_BATCH: Final = 500


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    facts = op.create_table(
        "ecs_case_facts",
        sa.Column("case_id", sa.String(200), nullable=False),
        sa.Column("order_id", sa.String(200), nullable=False),
        sa.Column("opened_at", _utc(), nullable=False),
        sa.Column("remedy", sa.String(64), nullable=False),
        sa.Column("status", sa.String(64), nullable=False),
        sa.Column("resolved_at", _utc(), nullable=True),
        sa.Column("refunded", sa.Boolean(), nullable=False),
        sa.Column("disputed", sa.Boolean(), nullable=False),
        sa.Column("auto_approved", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("case_id"),
    )
    op.create_index("ix_ecs_case_facts_order", "ecs_case_facts", ["order_id", "opened_at"])
    op.create_index("ix_ecs_case_facts_opened", "ecs_case_facts", ["opened_at"])
    op.create_index("ix_ecs_case_facts_resolved", "ecs_case_facts", ["resolved_at"])
    if context.is_offline_mode():
        # A script written offline cannot read the stored cases.
        op.execute(
            "-- ecs_case_facts is empty: run 'ecservice db upgrade' online to fill it from the "
            "stored after-sales cases"
        )
        return
    _fill(facts)


def _fill(facts: sa.Table) -> None:
    """A facts row for every stored case."""
    connection = op.get_bind()
    sqlite = connection.dialect.name == "sqlite"
    aggregates = sa.table(
        "ecs_aggregates",
        sa.column("type", sa.String()),
        sa.column("id", sa.String()),
        sa.column("document", sa.JSON().with_variant(JSONB(), "postgresql")),
    )
    rows = connection.execute(
        sa.select(aggregates.c.document)
        .where(aggregates.c.type == "aftersales_case")
        .order_by(aggregates.c.id)
    )
    batch: list[dict[str, Any]] = []
    for (document,) in rows:
        stored = json.loads(document) if isinstance(document, str) else document
        batch.append(_facts(stored["id"], stored["body"], sqlite=sqlite))
        if len(batch) == _BATCH:
            connection.execute(facts.insert(), batch)
            batch = []
    if batch:
        connection.execute(facts.insert(), batch)


def _instant(text: str, *, sqlite: bool) -> _dt.datetime:
    """An instant written by the documents, as the store writes it (naive UTC on SQLite)."""
    value = _dt.datetime.fromisoformat(text).astimezone(_dt.UTC)
    return value.replace(tzinfo=None) if sqlite else value


def _facts(case_id: str, body: dict[str, Any], *, sqlite: bool) -> dict[str, Any]:
    history = body["history"]
    status = body["status"]
    ruling = body.get("ruling")
    resolved = history[-1]["at"] if status in _ENDS and history else None
    return {
        "case_id": case_id,
        "order_id": body["order_id"],
        "opened_at": _instant(body["opened_at"], sqlite=sqlite),
        "remedy": body["remedy"],
        "status": status,
        "resolved_at": None if resolved is None else _instant(resolved, sqlite=sqlite),
        "refunded": any(r["sort"] != "FREIGHT" for r in body["refunds"]),
        "disputed": bool(ruling and ruling["for_buyer"]),
        "auto_approved": any(r["trigger"] == "auto_approve" for r in history),
    }


def downgrade() -> None:
    op.drop_index("ix_ecs_case_facts_resolved", table_name="ecs_case_facts")
    op.drop_index("ix_ecs_case_facts_opened", table_name="ecs_case_facts")
    op.drop_index("ix_ecs_case_facts_order", table_name="ecs_case_facts")
    op.drop_table("ecs_case_facts")
