"""The SQL store's statements for an aggregate's facts rows (internal; see
:mod:`ecservice.storage._facts`)."""

from __future__ import annotations

from typing import Final

import sqlalchemy as sa
import sqlalchemy.exc as sa_exc

from ecservice.errors import ValidationError
from ecservice.storage._facts import FactRows
from ecservice.storage.sql import _order_schema, _rating_schema, _service_schema
from ecservice.storage.sql._schema import METADATA

__all__ = ["write_facts"]

# The schema modules whose tables the facts hooks name (imported for their tables).
_SCHEMAS: Final = (_order_schema, _rating_schema, _service_schema)

_STATEMENTS: dict[tuple[str, str], tuple[sa.Delete, sa.Insert]] = {}


def _statements(table_name: str, key: str) -> tuple[sa.Delete, sa.Insert]:
    found = _STATEMENTS.get((table_name, key))
    if found is None:
        table = METADATA.tables.get(table_name)
        if table is None or key not in table.c:
            raise ValidationError(
                f"no facts table {table_name!r} with a column {key!r} in the store's schema"
            )
        found = (sa.delete(table).where(table.c[key] == sa.bindparam("facts_id_")), table.insert())
        _STATEMENTS[table_name, key] = found
    return found


def write_facts(connection: sa.Connection, facts: FactRows) -> None:
    """Delete the rows of ``facts.table`` stored for the aggregate and insert ``facts.rows``."""
    delete, insert = _statements(facts.table, facts.key)
    connection.execute(delete, {"facts_id_": facts.id})
    if facts.rows:
        try:
            connection.execute(insert, list(facts.rows))
        except sa_exc.IntegrityError as exc:
            if facts.conflict is None:
                raise
            raise facts.conflict(facts) from exc
