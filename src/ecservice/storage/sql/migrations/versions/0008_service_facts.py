"""Survey and consultation facts: what the satisfaction and consultation reports count.

Revision ID: 0008
Revises: 0007

``ecs_survey_facts`` holds one row per survey (``survey_id`` primary key; ``sent_at`` indexed,
and the subject's kind with its id); ``ecs_consultation_facts`` one row per consultation session
(``session_id`` primary key, ``opened_at`` indexed), with its responses
(``ecs_consultation_responses``), the enquiry types asked about
(``ecs_consultation_enquiries``) and its open hand-over remarks
(``ecs_consultation_remarks``). The upgrade fills them from the surveys and sessions already
stored, loading each document through the library's serializer (older schema versions are
upcast as for any load; a document that does not load stops the upgrade with the store's error
naming it). The sessions' waits are recorded in real time only: a migration does not know the
store's working calendar, so a business-time report asks for
:meth:`SqlConsultationReports.refresh <ecservice.storage.sql.SqlConsultationReports.refresh>`
first. A script written offline (``--sql``) cannot read the documents and says so. See
:mod:`ecservice.storage.sql._service_schema`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None

_BATCH: Final = 500

_TABLES: Final = (
    "ecs_consultation_remarks",
    "ecs_consultation_enquiries",
    "ecs_consultation_responses",
    "ecs_consultation_facts",
    "ecs_survey_facts",
)


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    surveys = op.create_table(
        "ecs_survey_facts",
        sa.Column("survey_id", sa.String(200), nullable=False),
        sa.Column("customer_id", sa.String(200), nullable=False),
        sa.Column("subject_kind", sa.String(64), nullable=False),
        sa.Column("subject_id", sa.String(200), nullable=False),
        sa.Column("status", sa.String(64), nullable=False),
        sa.Column("sent_at", _utc(), nullable=True),
        sa.Column("answered_at", _utc(), nullable=True),
        sa.Column("answer_us", sa.BigInteger(), nullable=True),
        sa.Column("expired", sa.Boolean(), nullable=False),
        sa.Column("csat", sa.SmallInteger(), nullable=True),
        sa.Column("nps", sa.SmallInteger(), nullable=True),
        sa.PrimaryKeyConstraint("survey_id"),
    )
    op.create_index("ix_ecs_survey_facts_sent", "ecs_survey_facts", ["sent_at"])
    op.create_index(
        "ix_ecs_survey_facts_subject", "ecs_survey_facts", ["subject_kind", "subject_id"]
    )
    sessions = op.create_table(
        "ecs_consultation_facts",
        sa.Column("session_id", sa.String(200), nullable=False),
        sa.Column("buyer_id", sa.String(200), nullable=False),
        sa.Column("opened_at", _utc(), nullable=False),
        sa.Column("status", sa.String(64), nullable=False),
        sa.Column("enquired", sa.Boolean(), nullable=False),
        sa.Column("ordered", sa.Boolean(), nullable=False),
        sa.Column("calendar", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("session_id"),
    )
    op.create_index("ix_ecs_consultation_facts_opened", "ecs_consultation_facts", ["opened_at"])
    responses = op.create_table(
        "ecs_consultation_responses",
        sa.Column("session_id", sa.String(200), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("asked_at", _utc(), nullable=False),
        sa.Column("answered_at", _utc(), nullable=False),
        sa.Column("wall_us", sa.BigInteger(), nullable=False),
        sa.Column("business_us", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("session_id", "n"),
    )
    enquiries = op.create_table(
        "ecs_consultation_enquiries",
        sa.Column("session_id", sa.String(200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("label_en", sa.String(200), nullable=False),
        sa.Column("label_zh", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("session_id", "position"),
    )
    remarks = op.create_table(
        "ecs_consultation_remarks",
        sa.Column("session_id", sa.String(200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("session_id", "position"),
    )
    if context.is_offline_mode():
        # A script written offline cannot read the stored documents.
        op.execute(
            "-- the survey and consultation facts are empty: run 'ecservice db upgrade' online "
            "to fill them from the stored surveys and sessions"
        )
        return
    tables = {
        t.name: t for t in (surveys, sessions, responses, enquiries, remarks) if t is not None
    }
    _fill(tables)


def _naive(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The rows with naive UTC instants (how the store writes them on SQLite)."""
    return [
        {k: v.replace(tzinfo=None) if hasattr(v, "tzinfo") else v for k, v in row.items()}
        for row in rows
    ]


def _fill(tables: Mapping[str, sa.Table]) -> None:
    """Facts rows for every stored survey and consultation session."""
    from ecservice.clock import SystemClock
    from ecservice.storage import CONSULTATION_SERIALIZER, SURVEY_SERIALIZER
    from ecservice.storage._service_facts import consultation_fact_rows, survey_fact_values

    connection = op.get_bind()
    sqlite = connection.dialect.name == "sqlite"
    aggregates = sa.table(
        "ecs_aggregates",
        sa.column("type", sa.String()),
        sa.column("id", sa.String()),
        sa.column("document", sa.JSON().with_variant(JSONB(), "postgresql")),
    )
    clock = SystemClock()
    pending: dict[str, list[dict[str, Any]]] = {name: [] for name in tables}

    def flush(name: str, *, force: bool = False) -> None:
        rows = pending[name]
        if rows and (force or len(rows) >= _BATCH):
            connection.execute(tables[name].insert(), _naive(rows) if sqlite else rows)
            pending[name] = []

    def each(type_name: str, load: Callable[[Any], Any]) -> Iterable[Any]:
        rows = connection.execute(
            sa.select(aggregates.c.document)
            .where(aggregates.c.type == type_name)
            .order_by(aggregates.c.id)
        )
        for (document,) in rows:
            yield load(json.loads(document) if isinstance(document, str) else document)

    for survey in each(
        SURVEY_SERIALIZER.type_name, lambda d: SURVEY_SERIALIZER.load(d, clock=clock)
    ):
        pending["ecs_survey_facts"].append(survey_fact_values(survey))
        flush("ecs_survey_facts")
    for session in each(
        CONSULTATION_SERIALIZER.type_name,
        lambda d: CONSULTATION_SERIALIZER.load(d, clock=clock),
    ):
        for facts in consultation_fact_rows(session, None):
            pending[facts.table].extend(dict(r) for r in facts.rows)
            flush(facts.table)
    for name in tables:
        flush(name, force=True)


def downgrade() -> None:
    op.drop_index("ix_ecs_consultation_facts_opened", table_name="ecs_consultation_facts")
    op.drop_index("ix_ecs_survey_facts_subject", table_name="ecs_survey_facts")
    op.drop_index("ix_ecs_survey_facts_sent", table_name="ecs_survey_facts")
    for name in _TABLES:
        op.drop_table(name)
