"""The repositories and units of work of every store: an identity map of what was loaded, at
which version, over one :class:`~ecservice.storage._transaction.Transaction` at a time.

:class:`TrackedUnitOfWork` and :class:`TrackedRepository` implement the public protocols
(:class:`~ecservice.storage.UnitOfWork`, :class:`~ecservice.storage.Repository`) for
:class:`~ecservice.storage.MemoryStore` and :class:`~ecservice.storage.sql.SqlStore`, which
differ only in their transaction; :func:`check_row_key` is the stores' check of a row's key.
Internal to :mod:`ecservice.storage`.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Hashable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, Self, TypeVar, final

from ecservice._shown import shown
from ecservice.clock import Clock, ensure_utc
from ecservice.errors import (
    AggregateNotFound,
    ConcurrencyConflict,
    EcServiceError,
    ValidationError,
)
from ecservice.storage._aggregate import AggregateSerializer
from ecservice.storage._document import JsonText, Serializer
from ecservice.storage._errors import DocumentError
from ecservice.storage._facts import FactsHook, facts_hook
from ecservice.storage._json_text import encode
from ecservice.storage._protocols import (
    Redaction,
    Repository,
    Timer,
    UnitOfWork,
    check_due_limit,
)
from ecservice.storage._transaction import CONVERTER, AggregateRow, OutboxRecord, Transaction
from ecservice.text import check_key

if TYPE_CHECKING:
    import datetime as _dt

    from pendulum import DateTime

    from ecservice.complaints import Complaint
    from ecservice.consultation import ConsultationSession
    from ecservice.feedback import FeedbackRecord
    from ecservice.orders import Cart, Order
    from ecservice.payments import Payment
    from ecservice.payments.ebills import ElectronicDraft
    from ecservice.ratings import Rating
    from ecservice.satisfaction import Survey
    from ecservice.storage._case_repository import CaseRepository
    from ecservice.storage._registry import SerializerRegistry

__all__ = ["TrackedRepository", "TrackedUnitOfWork", "check_row_key"]

T = TypeVar("T")


@final
class _Tracked:
    __slots__ = ("facts", "obj", "version")

    def __init__(self, obj: object, version: int, facts: Hashable = None) -> None:
        self.obj = obj
        self.version = version
        # The facts hook's digest of the aggregate as stored (see _facts.py).
        self.facts = facts


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
        try:
            if isinstance(document, str):
                obj = self._load_text(id, document)
            else:
                obj = self._serializer.load(document, clock=self._uow._clock)
        except DocumentError as exc:
            # Name the row (a text that is not JSON, or a document that is no object, says
            # nothing of its id); a subclass (a newer schema version) stays as it is.
            named = shown(id, 80)
            if type(exc) is not DocumentError or named in exc.subject:
                raise
            raise DocumentError(
                f"the {self._type} row {named} ({exc.subject})", exc.problems
            ) from exc
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
                payload=CONVERTER.unstructure(event),
                occurred_at=ensure_utc(event.occurred_at, what="occurred_at"),
            )
            for n, event in enumerate(events)
        ]
        self._uow._tx().append_outbox(records)

    def due(self, now: _dt.datetime, limit: int = 100) -> list[T]:
        instant = _due_instant(now, limit)
        rows = self._uow._tx().due(self._type, instant, limit)
        # Each aggregate loaded under its row's id: a row holding another aggregate's document,
        # or no document at all, is a DocumentError naming the row.
        return [self._load(id, version, document) for id, version, document in rows]

    def due_ids(self, now: _dt.datetime, limit: int = 100) -> list[str]:
        instant = _due_instant(now, limit)
        return self._uow._tx().due_ids(self._type, instant, limit)


def _due_instant(now: _dt.datetime, limit: int) -> DateTime:
    """``now`` in UTC, once ``now`` and ``limit`` are checked (the arguments of ``due`` and
    ``due_ids``): :class:`ValidationError` unless ``now`` is an aware datetime and ``limit`` an
    ``int`` from 1 to :data:`MAX_DUE_LIMIT`."""
    instant = ensure_utc(now, what="now")
    check_due_limit(limit)
    return instant


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
