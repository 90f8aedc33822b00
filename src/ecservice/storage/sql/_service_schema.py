"""The tables of survey and consultation facts: what the satisfaction and consultation reports
count of the stored surveys and sessions.

All are written (the aggregate's rows replaced) in the transaction that adds or saves the
survey or session, so they always agree with the committed document:

* ``ecs_survey_facts`` (``survey_id`` primary key), one row per survey: the ``customer_id``,
  the subject's ``subject_kind`` (a :class:`~ecservice.satisfaction.SubjectKind` name) and
  ``subject_id``, the ``status`` (a name), ``sent_at`` (UTC, indexed: the report's window),
  ``answered_at`` and ``answer_us`` (from sending to answering, in microseconds), ``expired``
  (whether the survey expired unanswered), the ``csat`` (1-5) and ``nps`` (0-10) scores given;
* ``ecs_consultation_facts`` (``session_id`` primary key), one row per session: ``buyer_id``,
  ``opened_at`` (UTC, indexed: the report's window), ``status`` (a name), ``enquired`` and
  ``ordered`` (whether an enquiry was taken, an order confirmed) and ``calendar``: the working
  calendar the business times were measured on (a name and a digest), ``NULL`` when the store
  measures wall-clock time only;
* ``ecs_consultation_responses`` (primary key ``session_id``, ``n``): each response of the
  session, from 0 (the first): ``asked_at``, ``answered_at``, ``wall_us`` (the wait in real
  time) and ``business_us`` (in working time on that calendar, ``NULL`` without one), in
  microseconds;
* ``ecs_consultation_enquiries`` (primary key ``session_id``, ``position``): the enquiry types
  asked about, each once, in the order first asked (``code``, ``label_en``, ``label_zh``);
* ``ecs_consultation_remarks`` (primary key ``session_id``, ``position``): the hand-over
  remarks not followed up, with their ``text``.

Working time cannot be counted in SQL: it is measured when the session is saved, on the
calendar of the store's ``"consultation"`` timer
(:class:`~ecservice.storage.sql.ConsultationTimer`). Migration ``0008`` creates the tables and
fills them from the surveys and sessions stored before (wall-clock time only).
"""

from __future__ import annotations

from typing import Final

import sqlalchemy as sa

from ecservice.storage.sql._schema import METADATA, UtcDateTime

__all__ = [
    "CONSULTATION_ENQUIRIES",
    "CONSULTATION_FACTS",
    "CONSULTATION_REMARKS",
    "CONSULTATION_RESPONSES",
    "SURVEY_FACTS",
]

SURVEY_FACTS: Final = sa.Table(
    "ecs_survey_facts",
    METADATA,
    sa.Column("survey_id", sa.String(200), primary_key=True, nullable=False),
    sa.Column("customer_id", sa.String(200), nullable=False),
    sa.Column("subject_kind", sa.String(64), nullable=False),
    sa.Column("subject_id", sa.String(200), nullable=False),
    sa.Column("status", sa.String(64), nullable=False),
    sa.Column("sent_at", UtcDateTime(), nullable=True),
    sa.Column("answered_at", UtcDateTime(), nullable=True),
    sa.Column("answer_us", sa.BigInteger(), nullable=True),
    sa.Column("expired", sa.Boolean(), nullable=False),
    sa.Column("csat", sa.SmallInteger(), nullable=True),
    sa.Column("nps", sa.SmallInteger(), nullable=True),
    sa.Index("ix_ecs_survey_facts_sent", "sent_at"),
    sa.Index("ix_ecs_survey_facts_subject", "subject_kind", "subject_id"),
)

CONSULTATION_FACTS: Final = sa.Table(
    "ecs_consultation_facts",
    METADATA,
    sa.Column("session_id", sa.String(200), primary_key=True, nullable=False),
    sa.Column("buyer_id", sa.String(200), nullable=False),
    sa.Column("opened_at", UtcDateTime(), nullable=False),
    sa.Column("status", sa.String(64), nullable=False),
    sa.Column("enquired", sa.Boolean(), nullable=False),
    sa.Column("ordered", sa.Boolean(), nullable=False),
    sa.Column("calendar", sa.String(200), nullable=True),
    sa.Index("ix_ecs_consultation_facts_opened", "opened_at"),
)

CONSULTATION_RESPONSES: Final = sa.Table(
    "ecs_consultation_responses",
    METADATA,
    sa.Column("session_id", sa.String(200), primary_key=True, nullable=False),
    sa.Column("n", sa.Integer(), primary_key=True, nullable=False, autoincrement=False),
    sa.Column("asked_at", UtcDateTime(), nullable=False),
    sa.Column("answered_at", UtcDateTime(), nullable=False),
    sa.Column("wall_us", sa.BigInteger(), nullable=False),
    sa.Column("business_us", sa.BigInteger(), nullable=True),
)

CONSULTATION_ENQUIRIES: Final = sa.Table(
    "ecs_consultation_enquiries",
    METADATA,
    sa.Column("session_id", sa.String(200), primary_key=True, nullable=False),
    sa.Column("position", sa.Integer(), primary_key=True, nullable=False, autoincrement=False),
    sa.Column("code", sa.String(64), nullable=False),
    sa.Column("label_en", sa.String(200), nullable=False),
    sa.Column("label_zh", sa.String(200), nullable=False),
)

CONSULTATION_REMARKS: Final = sa.Table(
    "ecs_consultation_remarks",
    METADATA,
    sa.Column("session_id", sa.String(200), primary_key=True, nullable=False),
    sa.Column("position", sa.Integer(), primary_key=True, nullable=False, autoincrement=False),
    sa.Column("text", sa.Text(), nullable=False),
)
