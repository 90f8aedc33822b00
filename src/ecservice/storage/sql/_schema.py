"""The tables of the SQL adapter, as SQLAlchemy Core metadata.

The same list is the source of the Alembic migrations; the names are part of the contract:

``ecs_aggregates``
    One row per aggregate: ``(type, id)`` primary key, the ``version`` a save is conditional on,
    the document's ``schema_version``, the ``document`` itself (JSONB on PostgreSQL, JSON text on
    SQLite), the ``next_due_at`` instant its timer fires (indexed with ``type``) and
    ``updated_at``.
``ecs_outbox``
    One row per domain event, written in the transaction that saved its aggregate: ``seq``
    (ascending delivery order), a deterministic ``event_id``
    (``"{type}:{id}:{version}:{n}"``, unique), the aggregate's type and id, the event's class name
    and fields, when it occurred, when the row was written, and the relay's ``claimed_until`` and
    ``dispatched_at``.

Every datetime column holds UTC: on SQLite (which has no time zone type) it is written as naive
UTC text, so text order is time order, and read back as an aware UTC instant.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from typing import Any, Final

import pendulum
import sqlalchemy as sa
from pendulum import DateTime
from sqlalchemy.dialects.postgresql import JSONB

from ecservice.storage._repository import OutboxRecord

__all__ = [
    "AGGREGATES",
    "METADATA",
    "OUTBOX",
    "UtcDateTime",
    "json_type",
]


class UtcDateTime(sa.types.TypeDecorator[_dt.datetime]):
    """``DateTime(timezone=True)`` that writes UTC and reads aware UTC ``pendulum`` instants.

    SQLite stores naive ISO text, so values are converted to naive UTC before they are written
    (text order is then time order) and marked UTC when read; PostgreSQL gets and returns aware
    values (``timestamp with time zone``), converted to UTC when read.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> _dt.datetime | None:
        if value is None:
            return None
        if value.__class__ is DateTime and value.tzinfo is pendulum.UTC:
            # The instants the library makes (pendulum, UTC): no conversion to compute.
            naive = _dt.datetime(
                value.year,
                value.month,
                value.day,
                value.hour,
                value.minute,
                value.second,
                value.microsecond,
            )
            return naive if dialect.name == "sqlite" else naive.replace(tzinfo=_dt.UTC)
        if not isinstance(value, _dt.datetime) or value.utcoffset() is None:
            raise ValueError(f"expected an aware datetime, not {value!r}")
        utc = value.astimezone(_dt.UTC)
        utc = _dt.datetime(
            utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second, utc.microsecond
        )
        return utc if dialect.name == "sqlite" else utc.replace(tzinfo=_dt.UTC)

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> DateTime | None:
        if value is None:
            return None
        assert isinstance(value, _dt.datetime)
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.UTC)
        utc: DateTime = pendulum.instance(value, tz=pendulum.UTC).in_timezone(pendulum.UTC)
        return utc


#: The text SQLAlchemy's SQLite ``DATETIME`` writes (its default storage format), from the fields
#: of a naive UTC instant.
_SQLITE_TEXT: Final = "%04d-%02d-%02d %02d:%02d:%02d.%06d"


def sqlite_utc_processor(general: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A bind processor for :class:`UtcDateTime` on SQLite that writes an instant the library
    makes (pendulum, UTC) as text in one step; any other value goes through ``general``
    (SQLAlchemy's own processor: :meth:`UtcDateTime.process_bind_param`, then SQLite's
    ``DATETIME`` formatting), which writes the same text for the same instant."""

    def process(value: Any) -> Any:
        if value.__class__ is DateTime and value.tzinfo is pendulum.UTC:
            return _SQLITE_TEXT % (
                value.year,
                value.month,
                value.day,
                value.hour,
                value.minute,
                value.second,
                value.microsecond,
            )
        return general(value)

    return process


def sequence_column(name: str) -> sa.Column[int]:
    """An ascending row number the database assigns: ``BIGINT`` identity on PostgreSQL, the
    ``INTEGER PRIMARY KEY`` that numbers the rows on SQLite."""
    return sa.Column(
        name,
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        sa.Identity(),
        primary_key=True,
        autoincrement=True,
    )


def minor_units_column(name: str, *, nullable: bool = False) -> sa.Column[int]:
    """An amount as a whole number of its currency's minor units (``BIGINT``; never a float)."""
    return sa.Column(name, sa.BigInteger(), nullable=nullable)


def json_type() -> sa.types.TypeEngine[Any]:
    """JSON, as JSONB on PostgreSQL."""
    return sa.JSON().with_variant(JSONB(), "postgresql")


METADATA: Final = sa.MetaData()

AGGREGATES: Final = sa.Table(
    "ecs_aggregates",
    METADATA,
    sa.Column("type", sa.String(64), primary_key=True, nullable=False),
    sa.Column("id", sa.String(200), primary_key=True, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("schema_version", sa.Integer, nullable=False),
    sa.Column("document", json_type(), nullable=False),
    sa.Column("next_due_at", UtcDateTime(), nullable=True),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Index("ix_ecs_aggregates_due", "type", "next_due_at"),
)

OUTBOX: Final = sa.Table(
    "ecs_outbox",
    METADATA,
    sequence_column("seq"),
    sa.Column("event_id", sa.String(300), nullable=False, unique=True),
    sa.Column("aggregate_type", sa.String(64), nullable=False),
    sa.Column("aggregate_id", sa.String(200), nullable=False),
    sa.Column("event_type", sa.String(200), nullable=False),
    sa.Column("payload", json_type(), nullable=False),
    sa.Column("occurred_at", UtcDateTime(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("claimed_until", UtcDateTime(), nullable=True),
    sa.Column("dispatched_at", UtcDateTime(), nullable=True),
    sa.Index("ix_ecs_outbox_pending", "dispatched_at", "seq"),
)


def outbox_record(row: Any) -> OutboxRecord:
    """The :class:`~ecservice.storage.OutboxRecord` of a row selected from :data:`OUTBOX`."""
    return OutboxRecord(
        event_id=row.event_id,
        aggregate_type=row.aggregate_type,
        aggregate_id=row.aggregate_id,
        event_type=row.event_type,
        payload=row.payload,
        occurred_at=row.occurred_at,
    )
