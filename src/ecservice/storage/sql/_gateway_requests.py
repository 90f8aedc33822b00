"""The SQL gateway's idempotent requests: one transaction per request, its key claimed first.

A request's transaction inserts its idempotency record (``ecs_gw_requests``, primary key
``(gateway, idempotency_key)``) before it moves anything: a second request with the same key
waits for the first and then reads its answer (or raises
:class:`~ecservice.errors.IdempotencyConflict` when the request differs). The approved answer
is stored with the key in the same transaction; a decline (:class:`Declined`) rolls everything
back, so nothing moved and the key stays free. A transaction the database refuses for now is
run again a bounded number of times (:data:`ATTEMPTS`); a database without the gateway's tables
raises :class:`~ecservice.storage.sql.migrations.MigrationError`.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Final, TypeVar, final

import sqlalchemy as sa

from ecservice.clock import Clock
from ecservice.errors import (
    GatewayUnavailable,
    IdempotencyConflict,
    StorageUnavailable,
    TransientStorageError,
)
from ecservice.money import Money
from ecservice.payments import GatewayResponse
from ecservice.storage._retrying import utc_now
from ecservice.storage.sql._books import RunAgain, run_transaction
from ecservice.storage.sql._engine import READ_ONLY_OPTION
from ecservice.storage.sql._gateway_ledger import ledger_units
from ecservice.storage.sql._gateway_schema import (
    GW_ACCOUNTS,
    GW_AUTHORIZATIONS,
    GW_CAPTURES,
    GW_DECLINES,
    GW_ENTRIES,
    GW_REFUNDS,
    GW_REQUESTS,
)
from ecservice.storage.sql._retry import masked_url, translated
from ecservice.text import check_key

__all__ = ["ATTEMPTS", "Declined", "GatewayRequests"]

R = TypeVar("R")

#: The tables the gateway keeps its books in.
_TABLES: Final = (
    GW_ACCOUNTS,
    GW_AUTHORIZATIONS,
    GW_CAPTURES,
    GW_DECLINES,
    GW_ENTRIES,
    GW_REFUNDS,
    GW_REQUESTS,
)

#: How many times one request's transaction runs when the database refuses it for now.
ATTEMPTS: Final = 8


class Declined(Exception):
    """Raised inside a request's transaction to roll it back and answer with a decline."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _answer(row: Any) -> GatewayResponse:
    amount = None if row.amount is None else Money.from_minor(int(row.amount), row.currency)
    return GatewayResponse(approved=True, reference=row.reference or "", amount=amount)


@final
class GatewayRequests:
    """How the gateway ``name`` runs its requests on ``engine``: answers are recorded at
    ``clock``'s time, ``sleep`` waits between attempts, ``insert`` is the dialect's (see
    :func:`~ecservice.storage.sql._books.conflict_insert`)."""

    __slots__ = ("_claim", "_clock", "_sleep", "engine", "name")

    def __init__(
        self,
        engine: sa.Engine,
        name: str,
        clock: Clock,
        sleep: Callable[[float], None],
        insert: Callable[[sa.Table], Any],
    ) -> None:
        self.engine = engine
        self.name = name
        self._clock = clock
        self._sleep = sleep
        self._claim = (
            insert(GW_REQUESTS).on_conflict_do_nothing().execution_options(preserve_rowcount=True)
        )

    @contextmanager
    def reading(self, doing: str) -> Iterator[sa.Connection]:
        """A connection to read with; a failure that is not passing says if tables are missing.

        Raises:
            MigrationError: the database lacks the gateway's tables.
            StorageUnavailable: the database failed.
        """
        try:
            with translated(doing), self.engine.connect() as connection:
                yield connection
        except StorageUnavailable as exc:
            self._check_tables(exc)
            raise

    def _check_tables(self, cause: StorageUnavailable) -> None:
        """After a failure that trying again does not cure, raise
        :class:`~ecservice.storage.sql.migrations.MigrationError` if the database lacks the
        gateway's tables (calling again would fail the same way, forever)."""
        if isinstance(cause, TransientStorageError):
            return
        try:
            reader = self.engine.connect().execution_options(**{READ_ONLY_OPTION: True})
            with reader as connection:
                present = set(sa.inspect(connection).get_table_names())
        except sa.exc.SQLAlchemyError:
            return  # the database cannot even be read: the failure says so
        missing = [table.name for table in _TABLES if table.name not in present]
        if missing:
            # Imported here: the migrations module imports Alembic, needed only then.
            from ecservice.storage.sql.migrations import MigrationError

            raise MigrationError(
                f"gateway {self.name!r}: the database at {masked_url(self.engine.url)} lacks "
                f"the gateway's table(s) {', '.join(missing)}; nothing moved. Create them with "
                "`ecservice db upgrade --db URL` (or SqlStore.create_schema() on a database "
                "made for tests), then call again"
            ) from cause

    def _pause(self, attempt: int) -> None:
        self._sleep(random.uniform(0, 0.005 * attempt))

    def transaction(self, doing: str, work: Callable[[sa.Connection], R]) -> R:
        """Run ``work`` in one transaction; again (a bounded number of times) when the database
        refuses it for now or another transaction holds the same key.

        Raises:
            GatewayUnavailable: the database failed, or refused every attempt.
            MigrationError: the database lacks the gateway's tables.
        """
        try:
            return run_transaction(self.engine, doing, work, attempts=ATTEMPTS, pause=self._pause)
        except (TransientStorageError, RunAgain) as exc:
            raise GatewayUnavailable(
                f"gateway {self.name!r} could not {doing}: {exc}; nothing moved, call "
                "again with the same idempotency key"
            ) from exc
        except StorageUnavailable as exc:
            self._check_tables(exc)
            raise GatewayUnavailable(
                f"gateway {self.name!r} could not {doing}: {exc}; nothing moved, call "
                "again with the same idempotency key once the database answers"
            ) from exc

    def request(
        self,
        key: str,
        fingerprint: str,
        doing: str,
        perform: Callable[[sa.Connection, str], GatewayResponse],
    ) -> GatewayResponse:
        """The answer for ``key``: the stored one, or ``perform``'s, stored with the key in the
        same transaction. ``perform`` gets the connection and the reference to hand out; a
        :class:`Declined` it raises is the declined answer.

        Raises:
            ValidationError: ``key`` is not acceptable text.
            IdempotencyConflict: the key was used for another request.
            GatewayUnavailable: the database failed (nothing moved; call again).
        """
        check_key(key)
        reference_seed = hashlib.sha256(f"{self.name}\x00{key}".encode()).hexdigest()[:24]

        def work(connection: sa.Connection) -> GatewayResponse:
            claimed = connection.execute(
                self._claim,
                {"gateway": self.name, "idempotency_key": key, "fingerprint": fingerprint},
            ).rowcount
            if claimed != 1:
                return self._stored_answer(connection, key, fingerprint)
            answer = perform(connection, reference_seed)
            connection.execute(
                GW_REQUESTS.update()
                .where(GW_REQUESTS.c.gateway == self.name, GW_REQUESTS.c.idempotency_key == key)
                .values(
                    reference=answer.reference,
                    currency=None if answer.amount is None else answer.amount.currency.code,
                    amount=None if answer.amount is None else ledger_units(answer.amount),
                    answered_at=utc_now(self._clock),
                )
            )
            return answer

        try:
            return self.transaction(doing, work)
        except Declined as declined:
            return GatewayResponse(approved=False, message=declined.message)

    def _stored_answer(
        self, connection: sa.Connection, key: str, fingerprint: str
    ) -> GatewayResponse:
        row = connection.execute(
            sa.select(GW_REQUESTS).where(
                GW_REQUESTS.c.gateway == self.name, GW_REQUESTS.c.idempotency_key == key
            )
        ).first()
        if row is None or row.answered_at is None:
            raise RunAgain("another request with the same key is under way")
        if row.fingerprint != fingerprint:
            raise IdempotencyConflict(
                f"idempotency key {key!r} was used at {self.name} for {row.fingerprint!r}; this "
                f"request is {fingerprint!r}: a retry must repeat its request exactly (if the "
                "amount changed after a lost answer, see OrderPayments.recover); only a new "
                "request gets a new key"
            )
        return _answer(row)

    def outcome(self, idempotency_key: str) -> GatewayResponse | None:
        """The approved answer stored for ``idempotency_key``, or ``None``.

        Raises:
            ValidationError: ``idempotency_key`` is not acceptable text.
            GatewayUnavailable: the database failed.
        """
        key = check_key(idempotency_key)
        query = sa.select(GW_REQUESTS).where(
            GW_REQUESTS.c.gateway == self.name,
            GW_REQUESTS.c.idempotency_key == key,
            GW_REQUESTS.c.answered_at.is_not(None),
        )
        try:
            with self.reading("read an outcome") as connection:
                row = connection.execute(query).first()
        except StorageUnavailable as exc:
            raise GatewayUnavailable(f"gateway {self.name!r} could not say: {exc}") from exc
        return None if row is None else _answer(row)
