"""The public protocols of storage: how aggregates are loaded, saved and their events recorded.

A :class:`UnitOfWork` is one database transaction. Its repositories (one per document type)
load aggregates, keep the version each was loaded at, and save them conditionally on that
version: a stale save raises :class:`~ecservice.errors.ConcurrencyConflict` and writes nothing.
Saving (or adding) an aggregate also takes its pending domain events (``pull_events()``) and
writes them as outbox rows in the same transaction, and stores when its timer is next due
(:data:`Timer`). Nothing is kept unless :meth:`UnitOfWork.commit` is called before the block ends.
A :class:`Store` hands out units of work.

The stores (:class:`~ecservice.storage.MemoryStore`, :class:`~ecservice.storage.sql.SqlStore`)
implement these protocols with one shared implementation (``_tracked.py``) over their own
transactions (``_transaction.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, Protocol, Self, TypeVar

from pendulum import DateTime

from ecservice._shown import shown
from ecservice.errors import ValidationError
from ecservice.storage._document import Serializer

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
    from ecservice.storage._case_repository import CaseRepository
    from ecservice.storage._transaction import OutboxRecord

__all__ = [
    "MAX_DUE_LIMIT",
    "Redaction",
    "Repository",
    "Store",
    "Timer",
    "UnitOfWork",
    "check_due_limit",
]

T = TypeVar("T")

#: When an aggregate's timer is next due (UTC), or ``None`` when it has nothing scheduled. A
#: store holds one per document type and stores the answer in ``next_due_at`` on every save.
Timer = Callable[[Any], "DateTime | None"]

#: How :meth:`UnitOfWork.redact_outbox` rewrites an outbox row: ``(event_type, payload)`` to the
#: new payload, or ``None`` to keep the row.
Redaction = Callable[[str, dict[str, Any]], "dict[str, Any] | None"]

#: Most aggregates (or ids) one :meth:`Repository.due` (:meth:`Repository.due_ids`) call returns.
MAX_DUE_LIMIT: Final = 10_000


def check_due_limit(limit: object) -> int:
    """``limit`` when it is an ``int`` from 1 to :data:`MAX_DUE_LIMIT`, else
    :class:`~ecservice.errors.ValidationError`: the check of ``limit`` in the repositories'
    ``due`` and ``due_ids`` and in the services' timer jobs."""
    if type(limit) is not int or not 1 <= limit <= MAX_DUE_LIMIT:
        raise ValidationError(
            f"limit must be a whole number from 1 to {MAX_DUE_LIMIT}, not {shown(limit)}"
        )
    return limit


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

        Raises:
            ValidationError: ``now`` is not an aware datetime, or ``limit`` is not an ``int``
                from 1 to 10,000.
            DocumentError: a due aggregate's document cannot be read; no aggregate is
                returned (:meth:`due_ids` claims them without reading any).
        """

    def due_ids(self, now: _dt.datetime, limit: int = 100) -> list[str]:
        """The ids of up to ``limit`` aggregates of this repository's type whose timer is due at
        ``now`` (stored ``next_due_at <= now``), without reading their documents.

        The same rows, in the same order and with the same locks as :meth:`due`: the longest
        overdue first (the earliest ``next_due_at``), ties by id. The ids are the rows' keys;
        an aggregate loaded later under one of them is checked to be that aggregate (a
        document of another id is a :class:`~ecservice.storage.DocumentError` then).

        A timer job claims ids first and then handles each aggregate (``get``, change, ``save``)
        in a unit of work of its own: one document that cannot be read (edited by hand,
        written by a newer release) is then reported and skipped, while :meth:`due`, which
        builds every aggregate it returns, would raise on it and claim none of the others.

        Locking: on PostgreSQL the rows are claimed with ``SELECT ... FOR UPDATE SKIP LOCKED``
        (PostgreSQL's documentation, *SELECT: The Locking Clause*): they stay locked until this
        unit of work ends, and rows another transaction holds locked are skipped, so workers
        claiming at the same time get disjoint ids without waiting for each other. On SQLite
        the unit of work holds the database's write lock (``BEGIN IMMEDIATE``) from its first
        statement; in a :class:`~ecservice.storage.MemoryStore` nothing is locked.

        Args:
            now: the instant the timers are compared with; an aware ``datetime`` (any zone,
                compared in UTC).
            limit: the most ids returned, an ``int`` from 1 to 10,000.

        Returns:
            The ids, at most ``limit``; empty when nothing is due.

        Raises:
            ValidationError: ``now`` is not an aware datetime (a naive one is a
                :class:`~ecservice.errors.NaiveDatetime`), or ``limit`` is not an ``int`` from 1
                to 10,000; nothing is read or locked.
            StorageUnavailable: the database failed.
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
