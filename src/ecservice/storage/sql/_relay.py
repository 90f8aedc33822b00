"""The outbox relay: delivers the outbox's events to a message bus (or any callable), at least once.

A relay claims a batch of undelivered rows in ``seq`` order for a lease, commits the claim, then
delivers each row and marks it delivered in a transaction of its own. Several relays (threads,
processes, machines) share one outbox: a claimed row is invisible to the others until its lease
runs out. A row whose delivery raised, or whose relay died, is delivered again once the lease
has run out: consumers de-duplicate on :attr:`~ecservice.storage.OutboxRecord.event_id`.
"""

from __future__ import annotations

import datetime as _dt
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Final, final

import sqlalchemy as sa

from ecservice._shown import shown
from ecservice.clock import SYSTEM_CLOCK, Clock
from ecservice.errors import ValidationError
from ecservice.storage._repository import OutboxRecord
from ecservice.storage.sql._retry import masked_url, translated
from ecservice.storage.sql._schema import OUTBOX, outbox_record
from ecservice.storage.sql._store import SqlStore

__all__ = ["OutboxRelay"]

_log: Final = logging.getLogger("ecservice.storage.sql")


@final
class OutboxRelay:
    """Delivers outbox rows with ``deliver``, in ``seq`` order, each at least once.

    >>> from ecservice.storage.sql import OutboxRelay, SqlStore
    >>> store = SqlStore("sqlite://")
    >>> store.create_schema()
    >>> delivered = []
    >>> relay = OutboxRelay(store, delivered.append)
    >>> relay.run_once()  # nothing to deliver yet
    0

    :meth:`run_once` claims up to ``batch`` undelivered rows whose lease is free (never claimed,
    or claimed and expired): on PostgreSQL with ``FOR UPDATE SKIP LOCKED``, so concurrent relays
    claim disjoint rows without waiting for each other; on SQLite in a ``BEGIN IMMEDIATE``
    transaction (one writer at a time). The claim sets ``claimed_until`` to now plus ``lease``
    and is committed before any delivery. Then each row is passed to ``deliver`` and, if that
    returns, marked delivered (``dispatched_at``) in its own short transaction. If ``deliver``
    raises, the error is logged (logger ``ecservice.storage.sql``) and the row stays claimed
    until the lease runs out, when a relay claims it again; the other rows of the batch are
    still delivered.

    Choose ``lease`` longer than a batch takes to deliver: a row whose lease runs out while it
    is being delivered may be claimed and delivered by another relay too. A retried row arrives
    after rows written after it; a consumer that needs each aggregate's events in order reads
    the aggregate's version in the event id (``"{type}:{id}:{version}:{n}"``).

    Args:
        engine_or_store: a :class:`~ecservice.storage.sql.SqlStore` (its engine is used) or an
            engine on a database with the ``ecs_outbox`` table.
        deliver: called with each :class:`~ecservice.storage.OutboxRecord`; raising means "not
            delivered".
        batch: how many rows one :meth:`run_once` claims at most, 1 or more.
        lease: how long a claim keeps other relays away, more than zero.
        clock: the time of claims, leases and deliveries (a
            :class:`~ecservice.clock.FixedClock` in tests).

    Raises:
        ValidationError: ``engine_or_store`` is neither a ``SqlStore`` nor an engine, a bad
            ``batch`` or ``lease``, ``deliver`` is not callable, or ``clock`` is not a
            :class:`~ecservice.clock.Clock`.
    """

    def __init__(
        self,
        engine_or_store: sa.Engine | SqlStore,
        deliver: Callable[[OutboxRecord], object],
        *,
        batch: int = 100,
        lease: _dt.timedelta = _dt.timedelta(seconds=30),
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
            raise ValidationError(f"batch must be an int of at least 1, not {batch!r}")
        if not isinstance(lease, _dt.timedelta) or lease <= _dt.timedelta(0):
            raise ValidationError(f"lease must be a timedelta longer than zero, not {lease!r}")
        if isinstance(engine_or_store, sa.Engine):
            self._engine = engine_or_store
        elif isinstance(engine_or_store, SqlStore):
            self._engine = engine_or_store.engine
        else:
            raise ValidationError(
                "engine_or_store must be a SqlStore or a SQLAlchemy Engine on a database with "
                f"the ecs_outbox table, not {shown(engine_or_store)}"
            )
        self._sqlite = self._engine.dialect.name == "sqlite"
        if not callable(deliver):
            raise ValidationError(
                f"deliver must be a callable taking an OutboxRecord, not {type(deliver).__name__}"
            )
        if not isinstance(clock, Clock) or not callable(getattr(clock, "now", None)):
            raise ValidationError(
                f"clock must be a Clock (an object with a now() method: SystemClock, "
                f"FixedClock), not {shown(clock)}"
            )
        self._deliver = deliver
        self._batch = batch
        self._lease = lease
        self._clock = clock

    @contextmanager
    def _transaction(self) -> Iterator[sa.Connection]:
        """A write transaction; on SQLite it holds the write lock from its start."""
        with self._engine.connect() as connection, connection.begin():
            if self._sqlite:
                driver = connection.connection.dbapi_connection
                # A store's engine begins with BEGIN IMMEDIATE itself; Python's sqlite3 left to
                # its defaults begins nothing before the first write.
                if not getattr(driver, "in_transaction", False):
                    connection.exec_driver_sql("BEGIN IMMEDIATE")
            yield connection

    def claim(self) -> list[OutboxRecord]:
        """Claim up to ``batch`` deliverable rows for the lease and commit; returns them in
        ``seq`` order. :meth:`run_once` calls it; call it yourself to deliver in your own way
        (then :meth:`mark_delivered` each row delivered).

        Raises:
            StorageUnavailable: the database failed (``TransientStorageError`` when trying
                again may succeed).
        """
        now = self._clock.now()
        free = sa.or_(OUTBOX.c.claimed_until.is_(None), OUTBOX.c.claimed_until < now)
        pending = (
            sa.select(OUTBOX.c.seq)
            .where(OUTBOX.c.dispatched_at.is_(None), free)
            .order_by(OUTBOX.c.seq)
            .limit(self._batch)
            .with_for_update(skip_locked=True)
        )
        claim = (
            OUTBOX.update()
            .where(OUTBOX.c.seq.in_(pending))
            .values(claimed_until=now + self._lease)
            .returning(
                OUTBOX.c.seq,
                OUTBOX.c.event_id,
                OUTBOX.c.aggregate_type,
                OUTBOX.c.aggregate_id,
                OUTBOX.c.event_type,
                OUTBOX.c.payload,
                OUTBOX.c.occurred_at,
            )
        )
        with translated("claim outbox rows"), self._transaction() as connection:
            rows = sorted(connection.execute(claim).all(), key=lambda row: int(row.seq))
        return [outbox_record(r) for r in rows]

    def mark_delivered(self, event_id: str) -> bool:
        """Record the row of ``event_id`` as delivered now; ``False`` if it already was.

        Raises:
            StorageUnavailable: the database failed.
        """
        mark = (
            OUTBOX.update()
            .where(OUTBOX.c.event_id == event_id, OUTBOX.c.dispatched_at.is_(None))
            .values(dispatched_at=self._clock.now())
        )
        with translated("mark an outbox row delivered"), self._transaction() as connection:
            return connection.execute(mark).rowcount == 1

    def run_once(self) -> int:
        """Claim a batch, deliver it, mark what was delivered; returns how many were delivered.

        ``0`` means nothing was deliverable (or every delivery failed): a polling loop sleeps
        then.

        Raises:
            StorageUnavailable: the database failed (rows already delivered stay delivered;
                the others are delivered again after their lease).
        """
        delivered = 0
        for record in self.claim():
            try:
                self._deliver(record)
            except Exception:
                _log.exception(
                    "delivering outbox event %s failed; it is retried after the lease (%s)",
                    record.event_id,
                    self._lease,
                )
                continue
            self.mark_delivered(record.event_id)
            delivered += 1
        return delivered

    def __repr__(self) -> str:
        url = masked_url(self._engine.url)
        return f"OutboxRelay({url!r}, batch={self._batch}, lease={self._lease})"
