"""What the facts migrations share (internal): reading the stored aggregates of one type
through the library's serializer, and inserting computed facts rows in batches."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

__all__ = ["backfill"]

_BATCH: Final = 500


def _stored(connection: sa.Connection, loader: Any) -> Iterator[Any]:
    """Every stored aggregate of ``loader.type_name``, by id, loaded through ``loader``."""
    from ecservice.clock import SystemClock

    aggregates = sa.table(
        "ecs_aggregates",
        sa.column("type", sa.String()),
        sa.column("id", sa.String()),
        sa.column("document", sa.JSON().with_variant(JSONB(), "postgresql")),
    )
    rows = connection.execute(
        sa.select(aggregates.c.document)
        .where(aggregates.c.type == loader.type_name)
        .order_by(aggregates.c.id)
    )
    clock = SystemClock()
    for (document,) in rows:
        stored = json.loads(document) if isinstance(document, str) else document
        yield loader.load(stored, clock=clock)


def backfill(
    connection: sa.Connection,
    facts: sa.Table,
    loader: Any,
    values_of: Callable[[Any], Mapping[str, Any]],
) -> None:
    """Insert ``values_of(aggregate)`` into ``facts`` for every stored aggregate ``loader``
    reads (a serializer), ``_BATCH`` rows at a time; instants naive UTC on SQLite, as the
    store writes them."""
    sqlite = connection.dialect.name == "sqlite"
    batch: list[dict[str, Any]] = []
    for aggregate in _stored(connection, loader):
        values = dict(values_of(aggregate))
        if sqlite:
            values = {
                k: v.replace(tzinfo=None) if hasattr(v, "tzinfo") else v for k, v in values.items()
            }
        batch.append(values)
        if len(batch) == _BATCH:
            connection.execute(facts.insert(), batch)
            batch = []
    if batch:
        connection.execute(facts.insert(), batch)
