"""What a store implements under the units of work: the rows an aggregate is written as, its
events' outbox rows, and the primitive operations of one transaction.

:class:`Transaction` is the contract between the shared implementation of the repositories and
units of work (``_tracked.py``) and each store (:class:`~ecservice.storage.MemoryStore`,
:class:`~ecservice.storage.sql.SqlStore`): the stores differ only in it. :class:`OutboxRecord` is
public (a relay delivers it); the rest is internal to :mod:`ecservice.storage`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

import attrs
from pendulum import DateTime

from ecservice.clock import ensure_utc
from ecservice.storage._converter import make_converter
from ecservice.storage._document import Document

if TYPE_CHECKING:
    from ecservice.storage._case_facts import CaseFacts
    from ecservice.storage._complaint_facts import ComplaintFacts
    from ecservice.storage._facts import FactRows
    from ecservice.storage._protocols import Redaction
    from ecservice.workflow import DomainEvent

__all__ = ["CONVERTER", "AggregateRow", "OutboxRecord", "Transaction", "event_record"]

#: The converter that writes the events' payloads (the storage converter).
CONVERTER = make_converter()


@attrs.frozen
class OutboxRecord:
    """A domain event as written to the outbox, in the transaction that saved its aggregate.

    Args:
        event_id: ``"{type}:{id}:{version}:{n}"``: the aggregate's document type, id, its version
            after the save, and the event's index among that save's events (from 0); unique, so
            consumers de-duplicate on it.
        aggregate_type: the aggregate's document type.
        aggregate_id: the aggregate's id.
        event_type: the event class's name (``"OrderShipped"``).
        payload: the event's fields, JSON-ready (as the storage converter writes them).
        occurred_at: when the event happened (UTC).
    """

    event_id: str
    aggregate_type: str
    aggregate_id: str
    event_type: str
    payload: dict[str, Any]
    occurred_at: DateTime


def event_record(event: DomainEvent, *, event_id: str, aggregate_type: str) -> OutboxRecord:
    """The outbox row of ``event`` (its payload written by the storage converter), for the rows
    a use case writes itself with :meth:`UnitOfWork.append_outbox
    <ecservice.storage.UnitOfWork.append_outbox>` (a record of an erasure or
    a disclosure, which changes no version)."""
    return OutboxRecord(
        event_id=event_id,
        aggregate_type=aggregate_type,
        aggregate_id=event.aggregate_id,
        event_type=type(event).__name__,
        payload=CONVERTER.unstructure(event),
        occurred_at=ensure_utc(event.occurred_at, what="occurred_at"),
    )


class AggregateRow(NamedTuple):
    """What a store writes for one aggregate (internal; a named tuple: made once per save, it
    costs a fifth of a frozen attrs instance)."""

    type_name: str
    id: str
    version: int
    schema_version: int
    document: Document
    next_due_at: DateTime | None
    #: ``document`` as compact JSON text, which the stores write as it is.
    text: str


class Transaction(Protocol):
    """The primitive operations of one store's transaction (internal)."""

    def read(self, type_name: str, id: str) -> tuple[int, dict[str, Any] | str] | None:
        """The stored version and document (or the document's JSON text), or ``None``."""

    def insert(self, row: AggregateRow) -> None:
        """Insert a new row; :class:`ConcurrencyConflict` if the key exists."""

    def update(self, row: AggregateRow, expected: int) -> None:
        """Update the row stored at version ``expected``; :class:`ConcurrencyConflict` if none."""

    def due(self, type_name: str, now: DateTime, limit: int) -> list[tuple[str, int, Any]]:
        """The id, version and document (a JSON-ready dict, or its JSON text) of each due row,
        oldest due first, ties by id in code point order (locked where supported)."""

    def due_ids(self, type_name: str, now: DateTime, limit: int) -> list[str]:
        """The ``id`` column of the rows :meth:`due` returns, in its order and with its locks,
        without reading the documents."""

    def append_outbox(self, records: Sequence[OutboxRecord]) -> None:
        """Insert outbox rows."""

    def write_case_facts(self, facts: CaseFacts) -> None:
        """Store (insert or replace) the indexed facts of an after-sales case just written."""

    def write_complaint_facts(self, facts: ComplaintFacts) -> None:
        """Store (insert or replace) the facts and SLA cycles of a complaint just written."""

    def replace_facts(self, facts: FactRows) -> None:
        """Replace the rows of ``facts.table`` stored for ``facts.id`` by ``facts.rows``."""

    def cases_of_order(self, type_name: str, order_id: str) -> list[tuple[int, dict[str, Any]]]:
        """Versions and documents of the ``type_name`` cases of order ``order_id``."""

    def lock(self, type_name: str, id: str) -> None:
        """Lock the aggregate's row until the transaction ends (see ``for_order``)."""

    def redact_outbox(self, aggregate_type: str, aggregate_id: str, redact: Redaction) -> int:
        """Rewrite the payloads ``redact`` changes among one aggregate's outbox rows; the count."""

    def commit(self) -> None:
        """Commit."""

    def rollback(self) -> None:
        """Roll back."""

    def close(self) -> None:
        """Release the connection (after a rollback or commit)."""
