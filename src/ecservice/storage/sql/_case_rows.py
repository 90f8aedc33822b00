"""The SQL store's statements for after-sales cases: their facts row, an order's cases, the
order's lock (internal; :class:`~ecservice.storage.sql.SqlStore`'s transaction calls them)."""

from __future__ import annotations

from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as sa_postgresql
from sqlalchemy.dialects import sqlite as sa_sqlite

from ecservice.errors import ValidationError
from ecservice.storage._case_facts import CaseFacts
from ecservice.storage.sql._case_schema import CASE_FACTS
from ecservice.storage.sql._schema import AGGREGATES

__all__ = ["cases_of_order", "lock_row", "write_case_facts"]

_FACT_COLUMNS: Final = tuple(c.name for c in CASE_FACTS.columns if c.name != "case_id")

_OF_ORDER: Final = (
    sa.select(AGGREGATES.c.version, AGGREGATES.c.document)
    .select_from(
        CASE_FACTS.join(
            AGGREGATES,
            sa.and_(
                AGGREGATES.c.type == sa.bindparam("type_name"),
                AGGREGATES.c.id == CASE_FACTS.c.case_id,
            ),
        )
    )
    .where(CASE_FACTS.c.order_id == sa.bindparam("order_id"))
    .order_by(CASE_FACTS.c.opened_at, CASE_FACTS.c.case_id)
)

_LOCK: Final = sa.select(AGGREGATES.c.version).where(
    AGGREGATES.c.type == sa.bindparam("type_name"), AGGREGATES.c.id == sa.bindparam("id_")
)


def _upsert(dialect: str) -> Any:
    if dialect == "postgresql":
        insert: Any = sa_postgresql.insert(CASE_FACTS)
    elif dialect == "sqlite":
        insert = sa_sqlite.insert(CASE_FACTS)
    else:  # pragma: no cover - the store is built on SQLite or PostgreSQL only
        raise ValidationError(
            f"after-sales case facts need SQLite or PostgreSQL, not {dialect}: their statement "
            "is INSERT ... ON CONFLICT DO UPDATE"
        )
    return insert.on_conflict_do_update(
        index_elements=[CASE_FACTS.c.case_id],
        set_={name: insert.excluded[name] for name in _FACT_COLUMNS},
    )


_UPSERTS: Final = {name: _upsert(name) for name in ("postgresql", "sqlite")}


def write_case_facts(connection: sa.Connection, facts: CaseFacts) -> None:
    """Insert the case's facts row, or replace the one stored."""
    connection.execute(_UPSERTS[connection.dialect.name], facts.values())


def cases_of_order(
    connection: sa.Connection, type_name: str, order_id: str
) -> list[tuple[int, dict[str, Any]]]:
    """Versions and documents of the order's cases, through the facts' index."""
    rows = connection.execute(_OF_ORDER, {"type_name": type_name, "order_id": order_id}).all()
    return [(row.version, row.document) for row in rows]


def lock_row(connection: sa.Connection, type_name: str, id: str) -> None:
    """Lock an aggregate's row until the transaction ends: ``FOR UPDATE`` on PostgreSQL; on
    SQLite the statement begins the transaction, whose ``BEGIN IMMEDIATE`` holds the database's
    write lock."""
    statement = _LOCK
    if connection.dialect.name == "postgresql":
        statement = statement.with_for_update()
    connection.execute(statement, {"type_name": type_name, "id_": id}).all()
