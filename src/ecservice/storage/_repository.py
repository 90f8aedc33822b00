"""Repositories and units of work: how aggregates are loaded, saved and their events recorded.

A :class:`UnitOfWork` is one database transaction. Its repositories (one per document type)
load aggregates, keep the version each was loaded at, and save them conditionally on that
version: a stale save raises :class:`~ecservice.errors.ConcurrencyConflict` and writes nothing.
Saving (or adding) an aggregate also takes its pending domain events (``pull_events()``) and
writes them as outbox rows in the same transaction, and stores when its timer is next due
(:data:`Timer`). Nothing is kept unless :meth:`UnitOfWork.commit` is called before the block ends.

The stores (:class:`~ecservice.storage.MemoryStore`, :class:`~ecservice.storage.sql.SqlStore`)
share the implementation here; they differ only in their :class:`Transaction`.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Hashable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, NamedTuple, Protocol, Self, TypeVar, final

import attrs
from pendulum import DateTime

from ecservice._shown import shown
from ecservice.clock import Clock, ensure_utc
from ecservice.errors import (
    AggregateNotFound,
    ConcurrencyConflict,
    EcServiceError,
    ValidationError,
)
from ecservice.storage._aggregate import AggregateSerializer
from ecservice.storage._converter import make_converter
from ecservice.storage._document import Document, JsonText, Serializer
from ecservice.storage._errors import DocumentError
from ecservice.storage._facts import FactRows, FactsHook, facts_hook
from ecservice.storage._json_text import encode
from ecservice.text import check_key

if TYPE_CHECKING:
    import datetime as _dt

    from ecservice.complaints import Complaint
    from ecservice.consultation import ConsultationSession
    from ecservice.feedback import FeedbackRecord
    from ecservice.orders import Cart, Order
    from ecservice.payments import Payment
    from ecservice.payments.ebills import ElectronicDraft
    from ecservice.ratings import Rating
    from ecservice.satisfaction import Survey
    from ecservice.storage._case_facts import CaseFacts
    from ecservice.storage._case_repository import CaseRepository
    from ecservice.storage._complaint_facts import ComplaintFacts
    from ecservice.storage._registry import SerializerRegistry
    from ecservice.workflow import DomainEvent

__all__ = [
    "OutboxRecord",
    "Redaction",
    "Repository",
    "Store",
    "Timer",
    "TrackedUnitOfWork",
    "Transaction",
    "UnitOfWork",
    "event_record",
]

T = TypeVar("T")
R = TypeVar("R")

#: When an aggregate's timer is next due (UTC), or ``None`` when it has nothing scheduled. A
#: store holds one per document type and stores the answer in ``next_due_at`` on every save.
Timer = Callable[[Any], "DateTime | None"]

#: How :meth:`UnitOfWork.redact_outbox` rewrites an outbox row: ``(event_type, payload)`` to the
#: new payload, or ``None`` to keep the row.
Redaction = Callable[[str, dict[str, Any]], "dict[str, Any] | None"]

#: Most aggregates one :meth:`Repository.due` call returns.
MAX_DUE_LIMIT: Final = 10_000


class Repository(Protocol[T]):
    """The stored aggregates of one document type, seen through one unit of work."""

    def get(self, id: str) -> T:
        """The aggregate ``id``.

        Raises:
            AggregateNotFound: none is stored under that id.
            DocumentError: the stored document cannot be read (see the serializer).
        """

    def find(self, id: str) -> T | None:
        """The aggregate ``id``, or ``None`` if none is stored."""

    def add(self, aggregate: T) -> None:
        """Store a new aggregate at its current version, with its pending events.

        Raises:
            ConcurrencyConflict: one with the same id is already stored.
        """

    def save(self, aggregate: T) -> None:
        """Store ``aggregate``, loaded or added in this unit of work, and its pending events.

        The write is conditional on the version it was loaded (or last saved) at.

        Raises:
            ConcurrencyConflict: someone else saved it since; nothing is written and its
                pending events stay queued.
            ValidationError: it was not loaded or added through this unit of work.
        """

    def due(self, now: _dt.datetime, limit: int = 100) -> list[T]:
        """Up to ``limit`` aggregates whose timer is due at ``now``, the longest overdue first.

        On PostgreSQL the rows are locked (``FOR UPDATE SKIP LOCKED``) until the unit of work
        ends, so concurrent workers get disjoint sets; on SQLite the unit of work holds the
        database's write lock.
        """


class UnitOfWork(Protocol):
    """One transaction: ``with store.unit_of_work() as uow: ...; uow.commit()``.

    Leaving the block without :meth:`commit` (or through an exception) rolls back. A unit of
    work is used inside its ``with`` block only, which it enters once: used before the block
    (a database transaction that nothing would end), entered a second time, or used after the
    block ended (its :meth:`commit` would commit nothing, as the block rolled back), it raises
    :class:`~ecservice.errors.ValidationError`.
    """

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def repository(self, serializer: Serializer[T]) -> Repository[T]:
        """The repository of ``serializer``'s document type.

        Raises:
            ValidationError: ``serializer`` is not a serializer (an object with ``type_name``,
                ``dump`` and ``load``; a serializer class is not one).
        """

    @property
    def orders(self) -> Repository[Order[Any]]:
        """The ``"order"`` documents."""

    @property
    def carts(self) -> Repository[Cart]:
        """The ``"cart"`` documents."""

    @property
    def payments(self) -> Repository[Payment]:
        """The ``"payment"`` documents."""

    @property
    def cases(self) -> CaseRepository:
        """The ``"aftersales_case"`` documents, with ``for_order`` (the cases of one order)."""

    @property
    def complaints(self) -> Repository[Complaint]:
        """The ``"complaint"`` documents."""

    @property
    def ratings(self) -> Repository[Rating]:
        """The ``"rating"`` documents."""

    @property
    def feedback(self) -> Repository[FeedbackRecord]:
        """The ``"feedback"`` documents."""

    @property
    def surveys(self) -> Repository[Survey]:
        """The ``"survey"`` documents."""

    @property
    def consultations(self) -> Repository[ConsultationSession]:
        """The ``"consultation"`` documents."""

    @property
    def drafts(self) -> Repository[ElectronicDraft]:
        """The ``"electronic_draft"`` documents (the ``crypto`` extra): the registry's
        serializer for them if one is registered, else
        :data:`~ecservice.storage.DRAFT_SERIALIZER`."""

    def check_unchanged(self) -> None:
        """Check that nothing this unit of work read has changed in the database since: every
        aggregate it loaded or saved is still at the version it read or wrote, and every id it
        found absent is still absent. For a decision that writes nothing but must rest on the
        current state (a gateway's decline): where another transaction may have committed
        between two reads (PostgreSQL's READ COMMITTED), the decision may mix states; this
        raises instead, and the unit of work runs again from the stored state.

        Raises:
            ConcurrencyConflict: something read was changed, added or removed meanwhile.
            StorageUnavailable: the database failed.
        """

    def commit(self) -> None:
        """Keep everything written so far; the unit of work can go on with a new transaction.

        Raises:
            ConcurrencyConflict: another transaction committed a conflicting change first;
                nothing of this one is kept.
            ValidationError: the unit of work's ``with`` block has ended.
        """

    def rollback(self) -> None:
        """Discard everything written since the last commit.

        Raises:
            ValidationError: the unit of work's ``with`` block has ended.
        """

    def redact_outbox(self, aggregate_type: str, aggregate_id: str, redact: Redaction) -> int:
        """Rewrite the payloads of one aggregate's outbox rows, committed or written in this
        unit of work, delivered or not, in this transaction (for erasing personal data).

        Args:
            aggregate_type: the aggregate's document type (``"order"``).
            aggregate_id: its id.
            redact: called with each row's event type and a copy of its payload; returns the
                new payload, or ``None`` to leave the row as it is.

        Returns:
            How many rows were rewritten.
        """

    def append_outbox(self, records: Sequence[OutboxRecord]) -> None:
        """Write outbox rows that no save writes (a record of an erasure, which changes no
        version), in this transaction.

        Raises:
            ConcurrencyConflict: a row with one of these event ids exists.
        """


class Store(Protocol):
    """Where aggregates are stored: hands out units of work."""

    def unit_of_work(self) -> UnitOfWork:
        """A new unit of work (use it in a ``with`` block)."""


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
    a use case writes itself with :meth:`UnitOfWork.append_outbox` (a record of an erasure or
    a disclosure, which changes no version)."""
    return OutboxRecord(
        event_id=event_id,
        aggregate_type=aggregate_type,
        aggregate_id=event.aggregate_id,
        event_type=type(event).__name__,
        payload=_CONVERTER.unstructure(event),
        occurred_at=ensure_utc(event.occurred_at, what="occurred_at"),
    )


# --- the shared implementation ----------------------------------------------------------------


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

    def due(self, type_name: str, now: DateTime, limit: int) -> list[tuple[int, dict[str, Any]]]:
        """Versions and documents of due rows, oldest due first (locked where supported)."""

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


@final
class _Tracked:
    __slots__ = ("facts", "obj", "version")

    def __init__(self, obj: object, version: int, facts: Hashable = None) -> None:
        self.obj = obj
        self.version = version
        # The facts hook's digest of the aggregate as stored (see _facts.py).
        self.facts = facts


_CONVERTER = make_converter()
#: The documents' JSON text: compact, non-ASCII kept (what the SQL engine's serializer writes).
_ENCODE: Final = encode


class TrackedRepository(Repository[T]):
    """The :class:`Repository` of every store (internal)."""

    __slots__ = ("_facts", "_serializer", "_uow")

    def __init__(self, uow: TrackedUnitOfWork, serializer: Serializer[T]) -> None:
        self._uow = uow
        self._serializer = serializer
        self._facts = facts_hook(serializer.type_name)

    @property
    def _type(self) -> str:
        return self._serializer.type_name

    def _load(self, id: str, version: int, document: dict[str, Any] | str) -> T:
        key = (self._type, id)
        seen = self._uow._seen.get(key)
        if seen is not None:
            return seen.obj  # type: ignore[return-value]
        if isinstance(document, str):
            obj = self._load_text(id, document)
        else:
            obj = self._serializer.load(document, clock=self._uow._clock)
        if getattr(obj, "id", id) != id:
            # A document copied or edited under another row: never hand out an aggregate
            # under an id that is not its own.
            raise DocumentError(
                f"{self._type} document {id!r}",
                [f"id: the row {id!r} holds the document of {getattr(obj, 'id', None)!r}"],
            )
        held = getattr(obj, "version", version)
        if held != version:
            # The row's version is what saves compare: a document of another version under it
            # (edited or copied) would be saved as if loaded at a version it never had.
            raise DocumentError(
                f"{self._type} document {id!r}",
                [f"version: the row is at version {version}, its document at {held!r}"],
            )
        hook = self._facts
        self._uow._seen[key] = _Tracked(obj, version, None if hook is None else hook.key(obj))
        return obj

    def _load_text(self, id: str, text: str) -> T:
        serializer = self._serializer
        if isinstance(serializer, AggregateSerializer):
            loaded: T = serializer.load_text(text, clock=self._uow._clock)
            return loaded
        try:
            document = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise DocumentError(
                f"stored {self._type} {id!r}", [f"the row cannot be decoded: {type(exc).__name__}"]
            ) from None
        return serializer.load(document, clock=self._uow._clock)

    def find(self, id: str) -> T | None:
        _check_id(id)
        seen = self._uow._seen.get((self._type, id))
        if seen is not None:
            return seen.obj  # type: ignore[return-value]
        found = self._uow._tx().read(self._type, id)
        if found is None:
            self._uow._absent.add((self._type, id))
            return None
        return self._load(id, found[0], found[1])

    def get(self, id: str) -> T:
        found = self.find(id)
        if found is None:
            raise AggregateNotFound(self._type, id)
        return found

    def _row(self, aggregate: T) -> AggregateRow:
        serializer = self._serializer
        if isinstance(serializer, AggregateSerializer):
            document, text = serializer.dump_row(aggregate)
        else:
            document = serializer.dump(aggregate)
            text = _ENCODE(document)
        timer = self._uow._timers.get(self._type)
        due = timer(aggregate) if timer is not None else None
        return AggregateRow(
            type_name=self._type,
            id=document["id"],
            version=document["version"],
            schema_version=document["schema_version"],
            document=document,
            next_due_at=None if due is None else ensure_utc(due, what="next_due_at"),
            text=JsonText(text),
        )

    def add(self, aggregate: T) -> None:
        row = self._row(aggregate)
        key = (self._type, row.id)
        tx = self._uow._tx()
        seen = self._uow._seen.get(key)
        if seen is not None:
            raise ConcurrencyConflict(self._type, row.id, expected=None, found=seen.version)
        tx.insert(row)
        self._remember(row, aggregate)
        hook = self._facts
        if hook is None:
            self._uow._seen[key] = _Tracked(aggregate, row.version)
        else:
            self._uow._seen[key] = _Tracked(aggregate, row.version, hook.key(aggregate))
            self._write_fact_rows(hook, aggregate)
        self._write_events(aggregate, row)

    def save(self, aggregate: T) -> None:
        row = self._row(aggregate)
        seen = self._uow._seen.get((self._type, row.id))
        if seen is None or seen.obj is not aggregate:
            raise ValidationError(
                f"cannot save {self._type} {row.id!r}: it was not loaded or added through this "
                "unit of work; load it here (get, find, due), change it, then save it"
            )
        if row.version < seen.version:
            raise ValidationError(
                f"cannot save {self._type} {row.id!r} at version {row.version}: it was loaded "
                f"at version {seen.version}"
            )
        self._uow._tx().update(row, seen.version)
        seen.version = row.version
        self._remember(row, aggregate)
        hook = self._facts
        if hook is not None:
            digest = hook.key(aggregate)
            if digest != seen.facts:
                self._write_fact_rows(hook, aggregate)
                seen.facts = digest
        self._write_events(aggregate, row)

    def _remember(self, row: AggregateRow, aggregate: T) -> None:
        # The text just written: a later load of it (by any unit of work of the process) reuses
        # the aggregate's values (AggregateSerializer.load_text). Kept even if the transaction
        # rolls back: the memo is keyed by the text itself, never by id or version.
        serializer = self._serializer
        if isinstance(serializer, AggregateSerializer):
            serializer.remember(aggregate, row.text, row.document)

    def _write_fact_rows(self, hook: FactsHook, aggregate: T) -> None:
        tx = self._uow._tx()
        try:
            for facts in hook.rows(aggregate, self._uow._timers):
                tx.replace_facts(facts)
        except BaseException:
            # The document is written but its facts are not: nothing of the unit of work may
            # be committed (a commit would keep a document the reports cannot see).
            with contextlib.suppress(EcServiceError):
                self._uow.rollback()
            raise

    def _write_events(self, aggregate: T, row: AggregateRow) -> None:
        pull = getattr(aggregate, "pull_events", None)
        if pull is None:
            return
        events = pull()
        if not events:
            return
        records = [
            OutboxRecord(
                event_id=f"{row.type_name}:{row.id}:{row.version}:{n}",
                aggregate_type=row.type_name,
                aggregate_id=row.id,
                event_type=type(event).__name__,
                payload=_CONVERTER.unstructure(event),
                occurred_at=ensure_utc(event.occurred_at, what="occurred_at"),
            )
            for n, event in enumerate(events)
        ]
        self._uow._tx().append_outbox(records)

    def due(self, now: _dt.datetime, limit: int = 100) -> list[T]:
        instant = ensure_utc(now, what="now")
        if type(limit) is not int or not 1 <= limit <= MAX_DUE_LIMIT:
            raise ValidationError(
                f"limit must be a whole number from 1 to {MAX_DUE_LIMIT}, not {limit!r}"
            )
        rows = self._uow._tx().due(self._type, instant, limit)
        return [self._load(doc["id"], version, doc) for version, doc in rows]


def _check_id(id: object) -> None:
    """Refuse an id no aggregate can have: the ids' rule (:func:`~ecservice.text.check_key`:
    a non-empty str of at most 200 characters, without control characters, lone surrogates or
    white space around it)."""
    if type(id) is not str:
        raise ValidationError(f"an aggregate id is a str, not {type(id).__name__}")
    check_key(id, "an aggregate id")


def check_row_key(type_name: object, id: object) -> None:
    """Refuse a document type that is not a str, or an aggregate id no aggregate can have (the
    stores' lookups by key).

    Raises:
        ValidationError: the type is not a str, or the id is not a non-empty str of at most 200
            characters without control characters, lone surrogates or white space around it.
    """
    if type(type_name) is not str:
        raise ValidationError(f"a document type is a str, not {type(type_name).__name__}")
    _check_id(id)


class TrackedUnitOfWork(UnitOfWork):
    """The :class:`UnitOfWork` of every store (internal): an identity map of what was loaded,
    at which version, over one :class:`Transaction` at a time."""

    def __init__(
        self,
        begin: Callable[[], Transaction],
        *,
        registry: SerializerRegistry,
        timers: Mapping[str, Timer],
        clock: Clock,
    ) -> None:
        self._begin = begin
        self._registry = registry
        self._timers = timers
        self._clock = clock
        self._current: Transaction | None = None
        self._seen: dict[tuple[str, str], _Tracked] = {}
        # (type, id) found absent by this transaction's reads (see check_unchanged).
        self._absent: set[tuple[str, str]] = set()
        self._repositories: dict[str, TrackedRepository[Any]] = {}
        self._entered = False
        self._closed = False

    def __enter__(self) -> Self:
        if self._closed:
            raise ValidationError(
                "this unit of work has ended; start a new one (store.unit_of_work())"
            )
        if self._entered:
            raise ValidationError(
                "this unit of work is already in use in a with block; a unit of work is "
                "entered once: start another one for another transaction"
            )
        self._entered = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc is None:
                self.rollback()
            else:
                # The error that ended the block says more than a failed rollback would.
                with contextlib.suppress(EcServiceError):
                    self.rollback()
        finally:
            self._closed = True

    def _ended(self) -> ValidationError:
        return ValidationError(
            "this unit of work has ended: what it did without a commit inside its with block "
            "was rolled back; start a new one (with store.unit_of_work() as uow: ...; "
            "uow.commit())"
        )

    def _tx(self) -> Transaction:
        if self._closed:
            raise self._ended()
        if not self._entered:
            raise ValidationError(
                "a unit of work is used in a with block, which ends its transaction whatever "
                "happens: with store.unit_of_work() as uow: ...; uow.commit()"
            )
        if self._current is None:
            self._current = self._begin()
        return self._current

    def repository(self, serializer: Serializer[T]) -> Repository[T]:
        name = getattr(serializer, "type_name", None)
        if (
            isinstance(serializer, type)
            or type(name) is not str
            or not callable(getattr(serializer, "dump", None))
            or not callable(getattr(serializer, "load", None))
        ):
            raise ValidationError(
                "repository() takes a serializer (an object with type_name, dump and load, such "
                f"as AggregateSerializer or EWalletSerializer()), not {shown(serializer)}"
            )
        found: TrackedRepository[Any] | None = self._repositories.get(name)
        if found is None or found._serializer is not serializer:
            from ecservice.storage._case_repository import CASE_TYPE, TrackedCaseRepository
            from ecservice.storage._complaint_repository import (
                COMPLAINT_TYPE,
                TrackedComplaintRepository,
            )

            # The cases' and complaints' repositories also write their facts, whichever way
            # they are reached.
            kind: type[TrackedRepository[Any]] = TrackedRepository
            if name == CASE_TYPE:
                kind = TrackedCaseRepository
            elif name == COMPLAINT_TYPE:
                kind = TrackedComplaintRepository
            found = kind(self, serializer)
            self._repositories[name] = found
        repository: Repository[T] = found
        return repository

    @property
    def orders(self) -> Repository[Order[Any]]:
        return self.repository(self._registry.for_type("order"))

    @property
    def carts(self) -> Repository[Cart]:
        return self.repository(self._registry.for_type("cart"))

    @property
    def payments(self) -> Repository[Payment]:
        return self.repository(self._registry.for_type("payment"))

    @property
    def complaints(self) -> Repository[Complaint]:
        return self.repository(self._registry.for_type("complaint"))

    @property
    def ratings(self) -> Repository[Rating]:
        return self.repository(self._registry.for_type("rating"))

    @property
    def feedback(self) -> Repository[FeedbackRecord]:
        return self.repository(self._registry.for_type("feedback"))

    @property
    def surveys(self) -> Repository[Survey]:
        return self.repository(self._registry.for_type("survey"))

    @property
    def consultations(self) -> Repository[ConsultationSession]:
        return self.repository(self._registry.for_type("consultation"))

    @property
    def drafts(self) -> Repository[ElectronicDraft]:
        if "electronic_draft" in self._registry.type_names:
            return self.repository(self._registry.for_type("electronic_draft"))
        try:
            from ecservice.storage._drafts import DRAFT_SERIALIZER
        except ImportError as exc:  # pragma: no cover - the crypto extra is missing
            raise ImportError(
                "storing electronic drafts needs the crypto extra: pip install 'ecservice[crypto]'"
            ) from exc
        return self.repository(DRAFT_SERIALIZER)

    @property
    def cases(self) -> CaseRepository:
        from ecservice.storage._case_repository import CASE_TYPE, TrackedCaseRepository

        serializer = self._registry.for_type(CASE_TYPE)
        found = self._repositories.get(CASE_TYPE)
        if not isinstance(found, TrackedCaseRepository) or found._serializer is not serializer:
            found = TrackedCaseRepository(self, serializer)
            self._repositories[CASE_TYPE] = found
        return found

    def check_unchanged(self) -> None:
        tx = self._tx()
        for (type_name, id), tracked in self._seen.items():
            found = tx.read(type_name, id)
            version = None if found is None else found[0]
            if version != tracked.version:
                raise ConcurrencyConflict(type_name, id, expected=tracked.version, found=version)
        for type_name, id in self._absent:
            if (type_name, id) in self._seen:
                continue  # added here since
            found = tx.read(type_name, id)
            if found is not None:
                raise ConcurrencyConflict(type_name, id, expected=None, found=found[0])

    def commit(self) -> None:
        if self._closed:
            raise self._ended()
        self._absent.clear()
        tx, self._current = self._current, None
        if tx is None:
            return
        try:
            tx.commit()
        except BaseException:
            self._seen.clear()
            raise
        finally:
            tx.close()

    def redact_outbox(self, aggregate_type: str, aggregate_id: str, redact: Redaction) -> int:
        return self._tx().redact_outbox(aggregate_type, aggregate_id, redact)

    def append_outbox(self, records: Sequence[OutboxRecord]) -> None:
        if records:
            self._tx().append_outbox(records)

    def rollback(self) -> None:
        if self._closed:
            raise self._ended()
        tx, self._current = self._current, None
        self._seen.clear()
        self._absent.clear()
        if tx is None:
            return
        try:
            tx.rollback()
        finally:
            tx.close()
