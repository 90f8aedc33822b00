"""The SQL store's statements for complaints: their facts row and SLA cycle rows (internal;
:class:`~ecservice.storage.sql.SqlStore`'s transaction calls them)."""

from __future__ import annotations

from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as sa_postgresql
from sqlalchemy.dialects import sqlite as sa_sqlite

from ecservice.errors import ValidationError
from ecservice.storage._complaint_facts import ComplaintFacts
from ecservice.storage.sql._complaint_schema import COMPLAINT_CYCLES, COMPLAINT_FACTS

__all__ = ["write_complaint_facts"]

_FACT_COLUMNS: Final = tuple(c.name for c in COMPLAINT_FACTS.columns if c.name != "complaint_id")

_DELETE_CYCLES: Final = sa.delete(COMPLAINT_CYCLES).where(
    COMPLAINT_CYCLES.c.complaint_id == sa.bindparam("complaint_id_")
)


def _upsert(dialect: str) -> Any:
    if dialect == "postgresql":
        insert: Any = sa_postgresql.insert(COMPLAINT_FACTS)
    elif dialect == "sqlite":
        insert = sa_sqlite.insert(COMPLAINT_FACTS)
    else:  # pragma: no cover - the store is built on SQLite or PostgreSQL only
        raise ValidationError(
            f"complaint facts need SQLite or PostgreSQL, not {dialect}: their statement is "
            "INSERT ... ON CONFLICT DO UPDATE"
        )
    return insert.on_conflict_do_update(
        index_elements=[COMPLAINT_FACTS.c.complaint_id],
        set_={name: insert.excluded[name] for name in _FACT_COLUMNS},
    )


_UPSERTS: Final = {name: _upsert(name) for name in ("postgresql", "sqlite")}


def write_complaint_facts(connection: sa.Connection, facts: ComplaintFacts) -> None:
    """Insert the complaint's facts row, or replace the one stored, and replace its cycles."""
    connection.execute(_UPSERTS[connection.dialect.name], facts.values())
    connection.execute(_DELETE_CYCLES, {"complaint_id_": facts.complaint_id})
    cycles = facts.cycle_values()
    if cycles:
        connection.execute(sa.insert(COMPLAINT_CYCLES), cycles)
