"""A store in memory, with the same rules as the SQL store: for tests and demonstrations."""

from __future__ import annotations

import copy
import datetime as _dt
import json
import threading
from collections.abc import Mapping, Sequence
from typing import Any, final

import attrs
from pendulum import DateTime

from ecservice.aftersales import (
    DEFAULT_REPORT_DAYS,
    AfterSalesReport,
    aftersales_report,
    paid_orders,
)
from ecservice.clock import SYSTEM_CLOCK, Clock
from ecservice.errors import ConcurrencyConflict, ValidationError
from ecservice.storage._case_facts import CaseFacts
from ecservice.storage._complaint_facts import ComplaintFacts
from ecservice.storage._facts import FactRows
from ecservice.storage._registry import SerializerRegistry
from ecservice.storage._repository import (
    AggregateRow,
    OutboxRecord,
    Redaction,
    Timer,
    TrackedUnitOfWork,
    UnitOfWork,
    check_row_key,
)
from ecservice.storage._retrying import utc_now
from ecservice.storage._timers import default_timers

__all__ = ["MemoryStore"]


@attrs.frozen
class _Stored:
    version: int
    document: str  # JSON text: every load gets a new copy, as from a database
    next_due_at: DateTime | None
    updated_at: DateTime


@final
class MemoryStore:
    """Aggregates and outbox rows in dictionaries, with the rules of the SQL store.

    Writes are kept aside until the unit of work commits, and applied then, all at once, only if
    every aggregate written is still at the version it was loaded at (else
    :class:`~ecservice.errors.ConcurrencyConflict` and nothing changes). A unit of work that
    ends without committing leaves nothing. Safe to share between threads.

    >>> from ecservice.storage import MemoryStore
    >>> store = MemoryStore()
    >>> with store.unit_of_work() as uow:
    ...     uow.orders.find("O-1") is None
    True

    Args:
        registry: the serializers to read the typed repositories (``orders``, ``carts``,
            ``payments``, ``cases``) with; :func:`~ecservice.storage.default_registry` by default.
        timers: a :data:`~ecservice.storage.Timer` per document type;
            :func:`~ecservice.storage.default_timers` by default (orders due when a parcel is to
            be confirmed automatically under the default
            :class:`~ecservice.orders.AutoConfirmPolicy`, after-sales cases when their own
            timers are).
        clock: the clock given to loaded aggregates and used for ``updated_at``.
    """

    def __init__(
        self,
        *,
        registry: SerializerRegistry | None = None,
        timers: Mapping[str, Timer] | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        from ecservice.storage import default_registry

        self._registry = default_registry() if registry is None else registry
        self._timers = dict(default_timers() if timers is None else timers)
        self._clock = clock
        self._lock = threading.Lock()
        self._rows: dict[tuple[str, str], _Stored] = {}
        self._outbox: list[tuple[int, OutboxRecord]] = []
        self._event_ids: set[str] = set()
        self._next_seq = 1
        # How many committed units of work locked each aggregate (CaseRepository.for_order).
        self._locked: dict[tuple[str, str], int] = {}
        # The facts' unique values (FactRows.unique): (table, values) -> the aggregate's id,
        # and (table, id) -> its values, so that a second rating of a line is refused here as
        # the database's unique constraint refuses it.
        self._unique: dict[tuple[str, tuple[Any, ...]], str] = {}
        self._unique_of: dict[tuple[str, str], set[tuple[str, tuple[Any, ...]]]] = {}

    @property
    def timers(self) -> Mapping[str, Timer]:
        """The store's :data:`~ecservice.storage.Timer` per document type, read-only: the
        ``timers`` it was built with, or :func:`~ecservice.storage.default_timers`. A service
        built over the store reads its documents' timer here, to run under the policy the
        timer was made with (see :class:`~ecservice.application.OrderService`)."""
        from types import MappingProxyType

        return MappingProxyType(self._timers)

    def unit_of_work(self) -> UnitOfWork:
        """A new unit of work (use it in a ``with`` block)."""
        return TrackedUnitOfWork(
            lambda: _MemoryTransaction(self),
            registry=self._registry,
            timers=self._timers,
            clock=self._clock,
        )

    def clear(self) -> None:
        """Forget every aggregate and outbox row (between tests)."""
        with self._lock:
            self._rows.clear()
            self._outbox.clear()
            self._event_ids.clear()
            self._locked.clear()
            self._unique.clear()
            self._unique_of.clear()
            self._next_seq = 1

    def outbox(self) -> list[OutboxRecord]:
        """The committed outbox rows, in the order they were written."""
        with self._lock:
            return [record for _, record in self._outbox]

    def stored_version(self, type_name: str, id: str) -> int | None:
        """The committed version of an aggregate, or ``None``.

        Raises:
            ValidationError: ``type_name`` or ``id`` is not a str.
        """
        check_row_key(type_name, id)
        with self._lock:
            found = self._rows.get((type_name, id))
            return None if found is None else found.version

    def next_due_at(self, type_name: str, id: str) -> DateTime | None:
        """The committed ``next_due_at`` of an aggregate (``None`` if nothing is due or it is
        not stored).

        Raises:
            ValidationError: ``type_name`` or ``id`` is not a str.
        """
        check_row_key(type_name, id)
        with self._lock:
            found = self._rows.get((type_name, id))
            return None if found is None else found.next_due_at

    def aftersales_report(
        self, *, now: _dt.datetime, zone: str, days: int = DEFAULT_REPORT_DAYS
    ) -> AfterSalesReport:
        """The after-sales report of the committed cases and payments:
        :func:`~ecservice.aftersales.aftersales_report` over every stored
        ``"aftersales_case"`` and the orders the stored ``"payment"`` documents paid
        (:func:`~ecservice.aftersales.paid_orders`); the same figures as
        :class:`~ecservice.storage.sql.SqlAfterSalesReports` over a database.

        Args:
            now: when the report is asked for; an aware datetime.
            zone: the shop's IANA time zone, in which days are counted.
            days: the window's length in whole local days (1 to 366; 30 by default).

        Raises:
            ValidationError: a bad ``now``, ``zone`` or ``days`` (see
                :func:`~ecservice.aftersales.aftersales_report`).
            NaiveDatetime: ``now`` has no time zone.
            DocumentError: a stored case or payment cannot be read.
        """
        with self._lock:
            rows = dict(self._rows)
        cases = self._registry.for_type("aftersales_case")
        payments = self._registry.for_type("payment")
        loaded: dict[str, list[Any]] = {"aftersales_case": [], "payment": []}
        for (kind, _id), stored in sorted(rows.items()):
            if kind in loaded:
                serializer = cases if kind == "aftersales_case" else payments
                document = json.loads(stored.document)
                loaded[kind].append(serializer.load(document, clock=self._clock))
        return aftersales_report(
            loaded["aftersales_case"],
            paid_orders(loaded["payment"]),
            now=now,
            zone=zone,
            days=days,
        )


def _unique_conflict(facts: FactRows) -> Exception:
    """The error of facts whose unique values another aggregate holds."""
    if facts.conflict is not None:
        return facts.conflict(facts)
    return ValidationError(  # pragma: no cover - every hook with unique values names its error
        f"the {facts.table} of {facts.id!r} repeat another aggregate's "
        f"{', '.join(facts.unique)}, which must be unique"
    )


@final
class _MemoryTransaction:
    """Writes staged until commit; reads see the committed rows and this transaction's own."""

    __slots__ = ("_expected", "_facts", "_locks", "_outbox", "_redacted", "_store", "_writes")

    def __init__(self, store: MemoryStore) -> None:
        self._store = store
        self._writes: dict[tuple[str, str], _Stored] = {}
        # The committed version each write is conditional on (None: must not exist).
        self._expected: dict[tuple[str, str], int | None] = {}
        self._outbox: list[OutboxRecord] = []
        # Committed outbox rows rewritten by redact_outbox, by event id, applied on commit.
        self._redacted: dict[str, OutboxRecord] = {}
        # The lock count of each aggregate this transaction locked, when it locked it.
        self._locks: dict[tuple[str, str], int] = {}
        # Facts with unique values written by this transaction, by (table, aggregate id).
        self._facts: dict[tuple[str, str], tuple[FactRows, set[tuple[str, tuple[Any, ...]]]]] = {}

    def _visible(self, key: tuple[str, str]) -> _Stored | None:
        staged = self._writes.get(key)
        if staged is not None:
            return staged
        with self._store._lock:
            return self._store._rows.get(key)

    def read(self, type_name: str, id: str) -> tuple[int, dict[str, Any] | str] | None:
        found = self._visible((type_name, id))
        if found is None:
            return None
        # The JSON text: the repository reads it (reusing the values of a text it wrote).
        return found.version, found.document

    def _stage(self, row: AggregateRow) -> None:
        key = (row.type_name, row.id)
        self._writes[key] = _Stored(
            version=row.version,
            document=row.text,
            next_due_at=row.next_due_at,
            updated_at=utc_now(self._store._clock),
        )

    def insert(self, row: AggregateRow) -> None:
        key = (row.type_name, row.id)
        found = self._visible(key)
        if found is not None:
            raise ConcurrencyConflict(row.type_name, row.id, expected=None, found=found.version)
        self._expected.setdefault(key, None)
        self._stage(row)

    def update(self, row: AggregateRow, expected: int) -> None:
        key = (row.type_name, row.id)
        found = self._visible(key)
        if found is None or found.version != expected:
            raise ConcurrencyConflict(
                row.type_name,
                row.id,
                expected=expected,
                found=None if found is None else found.version,
            )
        self._expected.setdefault(key, expected)
        self._stage(row)

    def due(self, type_name: str, now: DateTime, limit: int) -> list[tuple[str, int, Any]]:
        rows, ids = self._due(type_name, now, limit)
        return [(id, rows[type_name, id].version, rows[type_name, id].document) for id in ids]

    def due_ids(self, type_name: str, now: DateTime, limit: int) -> list[str]:
        return self._due(type_name, now, limit)[1]

    def _due(
        self, type_name: str, now: DateTime, limit: int
    ) -> tuple[dict[tuple[str, str], _Stored], list[str]]:
        """The rows this transaction sees, and the ids of the ``limit`` due ``type_name`` rows
        among them, the earliest ``next_due_at`` first, ties by id."""
        with self._store._lock:
            rows = dict(self._store._rows)
        rows.update(self._writes)
        due = sorted(
            (
                (stored.next_due_at, id)
                for (kind, id), stored in rows.items()
                if kind == type_name
                and stored.next_due_at is not None
                and stored.next_due_at <= now
            ),
        )[:limit]
        return rows, [id for _, id in due]

    def write_case_facts(self, facts: CaseFacts) -> None:
        # Nothing to index: cases_of_order reads the documents.
        pass

    def write_complaint_facts(self, facts: ComplaintFacts) -> None:
        # Nothing to index: the complaint report in memory reads the complaints.
        pass

    def replace_facts(self, facts: FactRows) -> None:
        # The reports in memory read the aggregates themselves: only the facts' unique values
        # are kept, to refuse what the database's unique constraint refuses.
        if not facts.unique:
            return
        keys = {(facts.table, tuple(row.get(c) for c in facts.unique)) for row in facts.rows}
        for (table, other), (_, staged) in self._facts.items():
            if table == facts.table and other != facts.id and keys & staged:
                raise _unique_conflict(facts)
        with self._store._lock:
            self._check_unique(facts, keys)
        self._facts[facts.table, facts.id] = (facts, keys)

    def _check_unique(self, facts: FactRows, keys: set[tuple[str, tuple[Any, ...]]]) -> None:
        """Refuse ``facts`` if a committed aggregate holds one of ``keys`` (store lock held)."""
        unique = self._store._unique
        for key in keys:
            owner = unique.get(key)
            if owner is not None and owner != facts.id:
                raise _unique_conflict(facts)

    def cases_of_order(self, type_name: str, order_id: str) -> list[tuple[int, dict[str, Any]]]:
        with self._store._lock:
            rows = dict(self._store._rows)
        rows.update(self._writes)
        found = []
        for (kind, _id), stored in rows.items():
            if kind != type_name:
                continue
            document: dict[str, Any] = json.loads(stored.document)
            if document["body"]["order_id"] == order_id:
                found.append((stored.version, document))
        return found

    def lock(self, type_name: str, id: str) -> None:
        key = (type_name, id)
        with self._store._lock:
            self._locks.setdefault(key, self._store._locked.get(key, 0))

    def append_outbox(self, records: Sequence[OutboxRecord]) -> None:
        known = {r.event_id for r in self._outbox}
        with self._store._lock:
            known.update(self._store._event_ids)
        for record in records:
            if record.event_id in known:
                raise ConcurrencyConflict(
                    record.aggregate_type, record.aggregate_id, expected=None, found=None
                )
            known.add(record.event_id)
        self._outbox.extend(copy.deepcopy(list(records)))

    def redact_outbox(self, aggregate_type: str, aggregate_id: str, redact: Redaction) -> int:
        def rewritten(record: OutboxRecord) -> OutboxRecord | None:
            payload = redact(record.event_type, copy.deepcopy(record.payload))
            if payload is None or payload == record.payload:
                return None
            return attrs.evolve(record, payload=copy.deepcopy(payload))

        def mine(record: OutboxRecord) -> bool:
            return record.aggregate_type == aggregate_type and record.aggregate_id == aggregate_id

        count = 0
        for i, record in enumerate(self._outbox):
            new = rewritten(record) if mine(record) else None
            if new is not None:
                self._outbox[i] = new
                count += 1
        with self._store._lock:
            committed = [r for _, r in self._store._outbox if mine(r)]
        for record in committed:
            new = rewritten(self._redacted.get(record.event_id, record))
            if new is not None:
                self._redacted[record.event_id] = new
                count += 1
        return count

    def commit(self) -> None:
        store = self._store
        with store._lock:
            for key, expected in self._expected.items():
                found = store._rows.get(key)
                found_version = None if found is None else found.version
                if found_version != expected:
                    raise ConcurrencyConflict(
                        key[0], key[1], expected=expected, found=found_version
                    )
            for record in self._outbox:
                if record.event_id in store._event_ids:
                    raise ConcurrencyConflict(
                        record.aggregate_type, record.aggregate_id, expected=None, found=None
                    )
            for key, count in self._locks.items():
                if store._locked.get(key, 0) != count:
                    # Another unit of work that locked it committed since: this one decided on
                    # what is no longer true.
                    found = store._rows.get(key)
                    version = None if found is None else found.version
                    raise ConcurrencyConflict(key[0], key[1], expected=version, found=version)
            for facts, keys in self._facts.values():
                self._check_unique(facts, keys)  # another unit of work committed them since
            for key in self._locks:
                store._locked[key] = store._locked.get(key, 0) + 1
            for (table, id), (_, keys) in self._facts.items():
                for old in store._unique_of.pop((table, id), set()):
                    store._unique.pop(old, None)
                for value in keys:
                    store._unique[value] = id
                store._unique_of[table, id] = keys
            store._rows.update(self._writes)
            if self._redacted:
                store._outbox[:] = [
                    (seq, self._redacted.get(record.event_id, record))
                    for seq, record in store._outbox
                ]
            for record in self._outbox:
                store._outbox.append((store._next_seq, record))
                store._event_ids.add(record.event_id)
                store._next_seq += 1
        self.rollback()

    def rollback(self) -> None:
        self._facts.clear()
        self._writes.clear()
        self._expected.clear()
        self._outbox.clear()
        self._redacted.clear()
        self._locks.clear()

    def close(self) -> None:
        self.rollback()
