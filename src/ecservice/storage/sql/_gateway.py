"""A payment gateway whose accounts, movements and idempotency records are rows in a database."""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Final, TypeVar, final

import attrs
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as sa_postgresql
from sqlalchemy.dialects import sqlite as sa_sqlite

from ecservice._shown import shown
from ecservice.clock import SYSTEM_CLOCK, Clock
from ecservice.errors import (
    GatewayUnavailable,
    IdempotencyConflict,
    InvalidAmount,
    StorageUnavailable,
    TransientStorageError,
    ValidationError,
)
from ecservice.money import Currency, Money, positive
from ecservice.money import currency as _currency
from ecservice.payments import GatewayResponse, Instrument
from ecservice.storage._retrying import utc_now
from ecservice.storage.sql._coins import MAX_MINOR_UNITS
from ecservice.storage.sql._engine import READ_ONLY_OPTION, make_engine
from ecservice.storage.sql._gateway_schema import (
    EXTERNAL,
    GW_ACCOUNTS,
    GW_AUTHORIZATIONS,
    GW_CAPTURES,
    GW_DECLINES,
    GW_ENTRIES,
    GW_REFUNDS,
    GW_REQUESTS,
    HELD,
    MERCHANT,
)
from ecservice.storage.sql._retry import masked_url, translated
from ecservice.text import LONG_TEXT_MAX, check_key, check_text

__all__ = ["LedgerAudit", "SqlGateway"]

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

R = TypeVar("R")

#: How many times one request's transaction runs when the database refuses it for now.
ATTEMPTS: Final = 8


def _instrument(value: object) -> Instrument:
    if not isinstance(value, Instrument):
        raise ValidationError(f"expected an Instrument, not {type(value).__name__}")
    return value


def _minor(amount: Money) -> int:
    units = amount.minor_units
    if abs(units) > MAX_MINOR_UNITS:
        raise InvalidAmount(
            f"{amount} is too large for the gateway's ledger: at most {MAX_MINOR_UNITS} minor units"
        )
    return units


def _ref(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise ValidationError(f"unknown {what} {shown(value)}")
    return value


class _Replay(Exception):
    """Another transaction holds or has answered the key: run the request again to read it."""


@final
@attrs.frozen(kw_only=True)
class LedgerAudit:
    """The gateway's books for one currency, as the database sums them.

    Args:
        currency: the currency audited.
        funded: everything ever put in with :meth:`SqlGateway.fund`.
        instruments: what the instruments' accounts hold together.
        held: what open authorisations hold.
        merchant: captured for the merchant minus refunded.
        problems: every check that failed, in words (empty when the books balance).
    """

    currency: Currency
    funded: Money
    instruments: Money
    held: Money
    merchant: Money
    problems: tuple[str, ...]

    @property
    def balanced(self) -> bool:
        """Whether every check passed (no money was created or lost)."""
        return not self.problems


@final
class SqlGateway:
    """A payment gateway (:class:`~ecservice.payments.PaymentGateway` and
    :class:`~ecservice.payments.OutcomeLookup`) that keeps its books in a SQL database, so
    that many processes on many machines share it: the provider's side of a payment, for
    simulations, tests and a shop's own stored-value accounts.

    It behaves like :class:`~ecservice.payments.InMemoryGateway` (same answers, same
    idempotency rules), but each request is one database transaction:

    1. the request's idempotency record is inserted first (``ecs_gw_requests``, primary key
       ``(gateway, idempotency_key)``): a second request with the same key waits for the first
       and then reads its answer (or raises :class:`~ecservice.errors.IdempotencyConflict` when
       the request differs);
    2. the movement is made with conditional updates: an account is debited only while its
       balance covers it, an authorisation leaves ``open`` once (captured or voided), a
       capture's ``refunded`` never passes its amount (also ``CHECK`` constraints);
    3. the movement is journalled as entries summing to zero (``ecs_gw_entries``) and the
       answer stored with the key; a decline rolls everything back (nothing moved, the key
       stays free, as :class:`~ecservice.payments.PaymentGateway` requires).

    So no retry, no concurrent duplicate and no crash moves money twice, across processes and
    machines; :meth:`audit` checks the books in SQL. The tables (``ecs_gw_*``, see the storage
    guide) are created by the migrations and by ``SqlStore.create_schema``; on a database
    without them every method raises
    :class:`~ecservice.storage.sql.migrations.MigrationError` (which says to run ``ecservice
    db upgrade``), not :class:`~ecservice.errors.GatewayUnavailable`: calling again would not
    help.

    On SQLite give the gateway its own database file: a unit of work holds its file's write
    lock while :class:`~ecservice.application.OrderService` calls the gateway, so a gateway on
    the same file would wait for it. On PostgreSQL the same database is fine.

    >>> from ecservice.money import Money
    >>> from ecservice.payments import Instrument, InstrumentKind
    >>> from ecservice.storage.sql import SqlGateway, SqlStore
    >>> store = SqlStore("sqlite://")
    >>> store.create_schema()
    >>> gw = SqlGateway(store.engine, name="demo")
    >>> card = Instrument(InstrumentKind.CARD, "tok_1")
    >>> gw.fund(card, Money("100.00", "CNY"))
    >>> auth = gw.authorize(card, Money("30.00", "CNY"), reference="P-1", idempotency_key="k1")
    >>> cap = gw.capture(auth.reference, Money("30.00", "CNY"), idempotency_key="k2")
    >>> gw.refund(cap.reference, Money("40.00", "CNY"), idempotency_key="k3").message
    'refund 40.00 CNY exceeds what is left of capture 30.00 CNY'
    >>> str(gw.merchant_balance("CNY")), gw.audit("CNY").balanced
    ('30.00 CNY', True)

    Args:
        url_or_engine: a database URL (made into an engine by
            :func:`~ecservice.storage.sql.make_engine`) or an engine (for example a
            :class:`~ecservice.storage.sql.SqlStore`'s ``engine`` on PostgreSQL).
        name: the gateway's name (1 to 64 characters): its rows are kept apart from other
            gateways' in the same tables, and its references start with it.
        clock: when entries are posted (``posted_at``) and answers recorded.
        sleep: how to wait between attempts when the database refuses a transaction for now.

    Raises:
        ValidationError: a bad URL or name.
        StorageUnavailable: the database's driver is not installed.
    """

    def __init__(
        self,
        url_or_engine: str | sa.URL | sa.Engine,
        *,
        name: str = "sql",
        clock: Clock = SYSTEM_CLOCK,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        checked = check_text(name, "a gateway name")
        if len(checked) > 64:
            raise ValidationError(f"a gateway name has at most 64 characters, not {len(checked)}")
        self.name = checked
        if isinstance(url_or_engine, sa.Engine):
            self.engine = url_or_engine
        else:
            self.engine = make_engine(url_or_engine)
        self._clock = clock
        self._sleep = sleep
        dialect = self.engine.dialect.name
        insert: Any = sa_postgresql.insert if dialect == "postgresql" else sa_sqlite.insert
        if dialect not in ("postgresql", "sqlite"):
            raise ValidationError(
                f"SqlGateway runs on SQLite or PostgreSQL, not {dialect!r} databases"
            )
        self._claim = (
            insert(GW_REQUESTS).on_conflict_do_nothing().execution_options(preserve_rowcount=True)
        )
        credit = insert(GW_ACCOUNTS)
        self._credit_stmt = credit.on_conflict_do_update(
            index_elements=[GW_ACCOUNTS.c.gateway, GW_ACCOUNTS.c.account, GW_ACCOUNTS.c.currency],
            set_={"balance": GW_ACCOUNTS.c.balance + credit.excluded.balance},
        )

    def __repr__(self) -> str:
        return f"SqlGateway({self.name!r}, {masked_url(self.engine.url)!r})"

    def dispose(self) -> None:
        """Close the engine's pooled connections."""
        self.engine.dispose()

    # --- transactions ---------------------------------------------------------------------------

    @contextmanager
    def _reading(self, doing: str) -> Iterator[sa.Connection]:
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

    def _transaction(self, doing: str, work: Callable[[sa.Connection], R]) -> R:
        """Run ``work`` in one transaction; again (a bounded number of times) when the database
        refuses it for now or another transaction holds the same key."""
        for attempt in range(1, ATTEMPTS + 1):
            try:
                with translated(doing), self.engine.begin() as connection:
                    return work(connection)
            except (TransientStorageError, _Replay) as exc:
                if attempt == ATTEMPTS:
                    raise GatewayUnavailable(
                        f"gateway {self.name!r} could not {doing}: {exc}; nothing moved, call "
                        "again with the same idempotency key"
                    ) from exc
                self._sleep(random.uniform(0, 0.005 * attempt))
            except StorageUnavailable as exc:
                self._check_tables(exc)
                raise GatewayUnavailable(
                    f"gateway {self.name!r} could not {doing}: {exc}; nothing moved, call "
                    "again with the same idempotency key once the database answers"
                ) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def _request(
        self,
        key: str,
        fingerprint: str,
        doing: str,
        perform: Callable[[sa.Connection, str], GatewayResponse],
    ) -> GatewayResponse:
        """The answer for ``key``: the stored one, or ``perform``'s, stored with the key in the
        same transaction. ``perform`` gets the connection and the reference to hand out."""
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
                    amount=None if answer.amount is None else _minor(answer.amount),
                    answered_at=utc_now(self._clock),
                )
            )
            return answer

        try:
            return self._transaction(doing, work)
        except _DeclinedAnswer as declined:
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
            raise _Replay("another request with the same key is under way")
        if row.fingerprint != fingerprint:
            raise IdempotencyConflict(
                f"idempotency key {key!r} was used at {self.name} for {row.fingerprint!r}; this "
                f"request is {fingerprint!r}: a retry must repeat its request exactly (if the "
                "amount changed after a lost answer, see OrderPayments.recover); only a new "
                "request gets a new key"
            )
        return _answer(row)

    def _post(
        self, connection: sa.Connection, operation: str, cur: Currency, entries: dict[str, int]
    ) -> None:
        """Journal ``entries`` (account -> signed minor units, summing to zero) and add them to
        the accounts' balances, in account order (so concurrent transactions lock rows in one
        order). Debits must have been made already with :meth:`_debit` when checked."""
        assert sum(entries.values()) == 0, entries
        now = utc_now(self._clock)
        rows = [
            {
                "gateway": self.name,
                "operation": operation,
                "account": account,
                "currency": cur.code,
                "amount": amount,
                "posted_at": now,
            }
            for account, amount in sorted(entries.items())
            if amount
        ]
        connection.execute(GW_ENTRIES.insert(), rows)

    def _credit(self, connection: sa.Connection, account: str, cur: Currency, units: int) -> None:
        connection.execute(
            self._credit_stmt,
            {"gateway": self.name, "account": account, "currency": cur.code, "balance": units},
        )

    def _debit(self, connection: sa.Connection, account: str, cur: Currency, units: int) -> bool:
        """Take ``units`` from ``account`` if its balance covers them."""
        done = connection.execute(
            GW_ACCOUNTS.update()
            .where(
                GW_ACCOUNTS.c.gateway == self.name,
                GW_ACCOUNTS.c.account == account,
                GW_ACCOUNTS.c.currency == cur.code,
                GW_ACCOUNTS.c.balance >= units,
            )
            .values(balance=GW_ACCOUNTS.c.balance - units)
        ).rowcount
        return bool(done == 1)

    def _debit_covered(
        self, connection: sa.Connection, account: str, cur: Currency, units: int
    ) -> None:
        """Take ``units`` from one of the gateway's own accounts, which the books say covers
        them (what an open authorisation holds, what a capture left the merchant); a failure
        means the books were changed behind the gateway's back, and rolls the request back."""
        if not self._debit(connection, account, cur, units):
            raise AssertionError(
                f"gateway {self.name!r}: {account} does not cover {units} minor units of "
                f"{cur.code}; the books were changed outside the gateway"
            )

    def _balance(self, connection: sa.Connection, account: str, cur: Currency) -> Money:
        found = connection.execute(
            sa.select(GW_ACCOUNTS.c.balance).where(
                GW_ACCOUNTS.c.gateway == self.name,
                GW_ACCOUNTS.c.account == account,
                GW_ACCOUNTS.c.currency == cur.code,
            )
        ).scalar_one_or_none()
        return Money.from_minor(int(found or 0), cur)

    # --- setting up -----------------------------------------------------------------------------

    def fund(
        self, instrument: Instrument, amount: Money, *, idempotency_key: str | None = None
    ) -> None:
        """Put ``amount`` on the account of ``instrument`` (a top-up from outside).

        With an ``idempotency_key`` the top-up happens once for that key (a retry after a crash
        does not fund twice); without one, every call funds.

        Raises:
            InvalidAmount: ``amount`` is not a positive :class:`~ecservice.money.Money`, or
                too large for a 64-bit ledger.
            ValidationError: not an instrument, or an unacceptable key.
            IdempotencyConflict: the key was used for another request.
            GatewayUnavailable: the database failed (nothing was funded).
        """
        account = str(_instrument(instrument))
        positive(amount, "a top-up")
        units = _minor(amount)
        cur = amount.currency

        def perform(connection: sa.Connection, seed: str) -> GatewayResponse:
            self._credit(connection, account, cur, units)
            self._credit(connection, EXTERNAL, cur, -units)
            self._post(connection, f"fund:{seed}", cur, {account: units, EXTERNAL: -units})
            return GatewayResponse(
                approved=True, reference=f"{self.name}-fund-{seed}", amount=amount
            )

        fingerprint = f"fund {amount} on {instrument}"
        if idempotency_key is None:
            seed = hashlib.sha256(f"{time.time_ns()}{random.random()}".encode()).hexdigest()[:24]
            self._transaction("fund an account", lambda c: perform(c, seed))
        else:
            self._request(idempotency_key, fingerprint, "fund an account", perform)

    def decline(self, instrument: Instrument, reason: str = "declined by issuer") -> None:
        """Make every later authorisation on ``instrument`` decline with ``reason``.

        Raises:
            ValidationError: not an instrument, or ``reason`` is not acceptable text.
            GatewayUnavailable: the database failed.
        """
        account = str(_instrument(instrument))
        why = check_text(reason, "a decline reason", limit=LONG_TEXT_MAX)

        def work(connection: sa.Connection) -> None:
            connection.execute(
                GW_DECLINES.delete().where(
                    GW_DECLINES.c.gateway == self.name, GW_DECLINES.c.account == account
                )
            )
            connection.execute(
                GW_DECLINES.insert().values(gateway=self.name, account=account, reason=why)
            )

        self._transaction("make an instrument decline", work)

    # --- views ----------------------------------------------------------------------------------

    def balance(self, instrument: Instrument, currency: str | Currency) -> Money:
        """What the instrument's account holds, not counting authorisations."""
        account = str(_instrument(instrument))
        cur = _currency(currency)
        with self._reading("read a balance") as connection:
            return self._balance(connection, account, cur)

    def held(self, currency: str | Currency) -> Money:
        """Value held by open authorisations."""
        cur = _currency(currency)
        with self._reading("read the held value") as connection:
            return self._balance(connection, HELD, cur)

    def merchant_balance(self, currency: str | Currency) -> Money:
        """What was captured for the merchant minus what was refunded."""
        cur = _currency(currency)
        with self._reading("read the merchant's balance") as connection:
            return self._balance(connection, MERCHANT, cur)

    def total_funded(self, currency: str | Currency) -> Money:
        """Everything ever put in with :meth:`fund`."""
        cur = _currency(currency)
        with self._reading("read the funded total") as connection:
            return -self._balance(connection, EXTERNAL, cur)

    def total_balance(self, currency: str | Currency) -> Money:
        """All instrument accounts together."""
        cur = _currency(currency)
        query = sa.select(sa.func.coalesce(sa.func.sum(GW_ACCOUNTS.c.balance), 0)).where(
            GW_ACCOUNTS.c.gateway == self.name,
            GW_ACCOUNTS.c.currency == cur.code,
            GW_ACCOUNTS.c.account.not_like("~%"),
        )
        with self._reading("read the instruments' balances") as connection:
            return Money.from_minor(int(connection.execute(query).scalar_one()), cur)

    def outcome(self, idempotency_key: str) -> GatewayResponse | None:
        """The approved answer stored for ``idempotency_key`` (its ``amount`` says what moved),
        or ``None`` if nothing moved under that key.

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
            with self._reading("read an outcome") as connection:
                row = connection.execute(query).first()
        except StorageUnavailable as exc:
            raise GatewayUnavailable(f"gateway {self.name!r} could not say: {exc}") from exc
        return None if row is None else _answer(row)

    def audit(self, currency: str | Currency) -> LedgerAudit:
        """Check the books of one currency in SQL: the journal sums to zero, every account's
        balance is the sum of its entries, no account but ``~external`` is negative, ``~held``
        is what the open authorisations hold, ``~merchant`` is what the captures kept after
        their refunds, and each capture's ``refunded`` is the sum of its refunds.

        Raises:
            StorageUnavailable: the database failed.
        """
        cur = _currency(currency)
        g, code = self.name, cur.code
        problems: list[str] = []

        def money(units: object) -> Money:
            return Money.from_minor(int(units or 0), cur)  # type: ignore[call-overload]

        with self._reading("audit the gateway's books") as connection:
            journal = connection.execute(
                sa.select(sa.func.coalesce(sa.func.sum(GW_ENTRIES.c.amount), 0)).where(
                    GW_ENTRIES.c.gateway == g, GW_ENTRIES.c.currency == code
                )
            ).scalar_one()
            if journal != 0:
                problems.append(f"the journal sums to {money(journal)}, not zero")
            sums = (
                sa.select(GW_ENTRIES.c.account, sa.func.sum(GW_ENTRIES.c.amount).label("total"))
                .where(GW_ENTRIES.c.gateway == g, GW_ENTRIES.c.currency == code)
                .group_by(GW_ENTRIES.c.account)
                .subquery()
            )
            mismatched = connection.execute(
                sa.select(GW_ACCOUNTS.c.account, GW_ACCOUNTS.c.balance, sums.c.total)
                .select_from(GW_ACCOUNTS.outerjoin(sums, sums.c.account == GW_ACCOUNTS.c.account))
                .where(
                    GW_ACCOUNTS.c.gateway == g,
                    GW_ACCOUNTS.c.currency == code,
                    GW_ACCOUNTS.c.balance != sa.func.coalesce(sums.c.total, 0),
                )
            ).all()
            problems.extend(
                f"account {r.account} holds {money(r.balance)} but its entries sum to "
                f"{money(r.total)}"
                for r in mismatched
            )
            orphans = (
                connection.execute(
                    sa.select(sums.c.account).where(
                        ~sa.exists().where(
                            GW_ACCOUNTS.c.gateway == g,
                            GW_ACCOUNTS.c.currency == code,
                            GW_ACCOUNTS.c.account == sums.c.account,
                        )
                    )
                )
                .scalars()
                .all()
            )
            problems.extend(f"entries of account {a} have no account row" for a in orphans)
            negative = connection.execute(
                sa.select(GW_ACCOUNTS.c.account, GW_ACCOUNTS.c.balance).where(
                    GW_ACCOUNTS.c.gateway == g,
                    GW_ACCOUNTS.c.currency == code,
                    GW_ACCOUNTS.c.account != EXTERNAL,
                    GW_ACCOUNTS.c.balance < 0,
                )
            ).all()
            problems.extend(
                f"account {r.account} is negative: {money(r.balance)}" for r in negative
            )
            held_open = connection.execute(
                sa.select(sa.func.coalesce(sa.func.sum(GW_AUTHORIZATIONS.c.amount), 0)).where(
                    GW_AUTHORIZATIONS.c.gateway == g,
                    GW_AUTHORIZATIONS.c.currency == code,
                    GW_AUTHORIZATIONS.c.state == "open",
                )
            ).scalar_one()
            kept = connection.execute(
                sa.select(
                    sa.func.coalesce(sa.func.sum(GW_CAPTURES.c.amount - GW_CAPTURES.c.refunded), 0)
                ).where(GW_CAPTURES.c.gateway == g, GW_CAPTURES.c.currency == code)
            ).scalar_one()
            refund_sums = (
                sa.select(GW_REFUNDS.c.capture_id, sa.func.sum(GW_REFUNDS.c.amount).label("total"))
                .where(GW_REFUNDS.c.gateway == g)
                .group_by(GW_REFUNDS.c.capture_id)
                .subquery()
            )
            unmatched = connection.execute(
                sa.select(GW_CAPTURES.c.id, GW_CAPTURES.c.refunded, refund_sums.c.total)
                .select_from(
                    GW_CAPTURES.outerjoin(refund_sums, refund_sums.c.capture_id == GW_CAPTURES.c.id)
                )
                .where(
                    GW_CAPTURES.c.gateway == g,
                    GW_CAPTURES.c.currency == code,
                    GW_CAPTURES.c.refunded != sa.func.coalesce(refund_sums.c.total, 0),
                )
            ).all()
            balances = {
                r.account: r.balance
                for r in connection.execute(
                    sa.select(GW_ACCOUNTS.c.account, GW_ACCOUNTS.c.balance).where(
                        GW_ACCOUNTS.c.gateway == g,
                        GW_ACCOUNTS.c.currency == code,
                        GW_ACCOUNTS.c.account.like("~%"),
                    )
                )
            }
            instruments = connection.execute(
                sa.select(sa.func.coalesce(sa.func.sum(GW_ACCOUNTS.c.balance), 0)).where(
                    GW_ACCOUNTS.c.gateway == g,
                    GW_ACCOUNTS.c.currency == code,
                    GW_ACCOUNTS.c.account.not_like("~%"),
                )
            ).scalar_one()
        problems.extend(
            f"capture {r.id} records {money(r.refunded)} refunded but its refunds sum to "
            f"{money(r.total)}"
            for r in unmatched
        )
        held = money(balances.get(HELD))
        merchant = money(balances.get(MERCHANT))
        if held != money(held_open):
            problems.append(f"{HELD} holds {held} but open authorisations hold {money(held_open)}")
        if merchant != money(kept):
            problems.append(f"{MERCHANT} holds {merchant} but captures kept {money(kept)}")
        return LedgerAudit(
            currency=cur,
            funded=-money(balances.get(EXTERNAL)),
            instruments=money(instruments),
            held=held,
            merchant=merchant,
            problems=tuple(problems),
        )

    # --- PaymentGateway -------------------------------------------------------------------------

    def authorize(
        self, instrument: Instrument, amount: Money, *, reference: str, idempotency_key: str
    ) -> GatewayResponse:
        """Hold ``amount`` on the instrument's account, or decline.

        Raises:
            InvalidAmount: ``amount`` is not a positive :class:`~ecservice.money.Money`.
            ValidationError: not an instrument, or ``reference`` or the key is not acceptable.
            IdempotencyConflict: the key was used for another request.
            GatewayUnavailable: the database failed (nothing moved; call again).
        """
        account = str(_instrument(instrument))
        positive(amount, "an authorisation")
        units = _minor(amount)
        ref = check_text(reference, "a payment reference")
        cur = amount.currency

        def perform(connection: sa.Connection, seed: str) -> GatewayResponse:
            reason = connection.execute(
                sa.select(GW_DECLINES.c.reason).where(
                    GW_DECLINES.c.gateway == self.name, GW_DECLINES.c.account == account
                )
            ).scalar_one_or_none()
            if reason is not None:
                raise _DeclinedAnswer(reason)
            if not self._debit(connection, account, cur, units):
                available = self._balance(connection, account, cur)
                raise _DeclinedAnswer(f"insufficient funds: {available} available")
            self._credit(connection, HELD, cur, units)
            auth_id = f"{self.name}-auth-{seed}"
            connection.execute(
                GW_AUTHORIZATIONS.insert().values(
                    gateway=self.name,
                    id=auth_id,
                    payment_reference=ref,
                    account=account,
                    currency=cur.code,
                    amount=units,
                    state="open",
                )
            )
            self._post(connection, f"authorize:{auth_id}", cur, {account: -units, HELD: units})
            return GatewayResponse(approved=True, reference=auth_id, amount=amount)

        fingerprint = f"authorize {amount} on {instrument} for {ref}"
        return self._request(idempotency_key, fingerprint, "authorise a payment", perform)

    def _authorization(self, connection: sa.Connection, auth_id: str) -> Any:
        row = connection.execute(
            sa.select(GW_AUTHORIZATIONS).where(
                GW_AUTHORIZATIONS.c.gateway == self.name, GW_AUTHORIZATIONS.c.id == auth_id
            )
        ).first()
        if row is None:
            raise ValidationError(f"unknown authorisation {shown(auth_id)}")
        return row

    def _settle(self, connection: sa.Connection, auth_id: str, state: str) -> bool:
        """Move the authorisation from ``open`` to ``state``, once."""
        done = connection.execute(
            GW_AUTHORIZATIONS.update()
            .where(
                GW_AUTHORIZATIONS.c.gateway == self.name,
                GW_AUTHORIZATIONS.c.id == auth_id,
                GW_AUTHORIZATIONS.c.state == "open",
            )
            .values(state=state)
        ).rowcount
        return bool(done == 1)

    def capture(
        self, authorization: str, amount: Money, *, idempotency_key: str
    ) -> GatewayResponse:
        """Take ``amount`` of the authorisation for the merchant; release the rest.

        A settled authorisation, or an amount that does not fit it, is declined.

        Raises:
            InvalidAmount: ``amount`` is not a positive :class:`~ecservice.money.Money`.
            ValidationError: unknown authorisation, or the key is not acceptable text.
            IdempotencyConflict: the key was used for another request.
            GatewayUnavailable: the database failed (nothing moved; call again).
        """
        auth_id = _ref(authorization, "authorisation")
        positive(amount, "a capture")
        units = _minor(amount)
        cur = amount.currency

        def perform(connection: sa.Connection, seed: str) -> GatewayResponse:
            auth = self._authorization(connection, auth_id)
            held = Money.from_minor(auth.amount, auth.currency)
            if auth.state != "open":
                raise _DeclinedAnswer("the authorisation is already settled")
            if auth.currency != cur.code or units > auth.amount:
                raise _DeclinedAnswer(f"capture {amount} does not fit authorisation {held}")
            if not self._settle(connection, auth_id, "captured"):
                raise _DeclinedAnswer("the authorisation is already settled")
            capture_id = f"{self.name}-cap-{seed}"
            connection.execute(
                GW_CAPTURES.insert().values(
                    gateway=self.name,
                    id=capture_id,
                    authorization_id=auth_id,
                    account=auth.account,
                    currency=cur.code,
                    amount=units,
                    refunded=0,
                )
            )
            moves = {HELD: -auth.amount, MERCHANT: units, auth.account: auth.amount - units}
            self._debit_covered(connection, HELD, cur, auth.amount)
            self._credit(connection, MERCHANT, cur, units)
            if auth.amount != units:
                self._credit(connection, auth.account, cur, auth.amount - units)
            self._post(connection, f"capture:{capture_id}", cur, moves)
            return GatewayResponse(approved=True, reference=capture_id, amount=amount)

        fingerprint = f"capture {amount} of {auth_id}"
        return self._request(idempotency_key, fingerprint, "capture a payment", perform)

    def void(self, authorization: str, *, idempotency_key: str) -> GatewayResponse:
        """Release the whole authorisation (declined when it is already settled).

        Raises:
            ValidationError: unknown authorisation, or the key is not acceptable text.
            IdempotencyConflict: the key was used for another request.
            GatewayUnavailable: the database failed (nothing moved; call again).
        """
        auth_id = _ref(authorization, "authorisation")

        def perform(connection: sa.Connection, _seed: str) -> GatewayResponse:
            auth = self._authorization(connection, auth_id)
            if not self._settle(connection, auth_id, "voided"):
                raise _DeclinedAnswer("the authorisation is already settled")
            cur = _currency(auth.currency)
            self._debit_covered(connection, HELD, cur, auth.amount)
            self._credit(connection, auth.account, cur, auth.amount)
            self._post(
                connection, f"void:{auth_id}", cur, {HELD: -auth.amount, auth.account: auth.amount}
            )
            return GatewayResponse(
                approved=True, reference=auth_id, amount=Money.from_minor(auth.amount, cur)
            )

        return self._request(idempotency_key, f"void {auth_id}", "void a payment", perform)

    def refund(self, capture: str, amount: Money, *, idempotency_key: str) -> GatewayResponse:
        """Give ``amount`` of a capture back to the account that paid it; never more than is
        left of the capture (more is declined).

        Raises:
            InvalidAmount: ``amount`` is not a positive :class:`~ecservice.money.Money`.
            ValidationError: unknown capture, or the key is not acceptable text.
            IdempotencyConflict: the key was used for another request.
            GatewayUnavailable: the database failed (nothing moved; call again).
        """
        capture_id = _ref(capture, "capture")
        positive(amount, "a refund")
        units = _minor(amount)
        cur = amount.currency

        def perform(connection: sa.Connection, seed: str) -> GatewayResponse:
            row = connection.execute(
                sa.select(GW_CAPTURES).where(
                    GW_CAPTURES.c.gateway == self.name, GW_CAPTURES.c.id == capture_id
                )
            ).first()
            if row is None:
                raise ValidationError(f"unknown capture {shown(capture_id)}")
            taken = Money.from_minor(row.amount, row.currency)
            exceeds = f"refund {amount} exceeds what is left of capture {taken}"
            if row.currency != cur.code:
                raise _DeclinedAnswer(exceeds)
            done = connection.execute(
                GW_CAPTURES.update()
                .where(
                    GW_CAPTURES.c.gateway == self.name,
                    GW_CAPTURES.c.id == capture_id,
                    GW_CAPTURES.c.refunded + units <= GW_CAPTURES.c.amount,
                )
                .values(refunded=GW_CAPTURES.c.refunded + units)
            ).rowcount
            if done != 1:
                raise _DeclinedAnswer(exceeds)
            refund_id = f"{self.name}-ref-{seed}"
            connection.execute(
                GW_REFUNDS.insert().values(
                    gateway=self.name,
                    id=refund_id,
                    capture_id=capture_id,
                    currency=cur.code,
                    amount=units,
                )
            )
            self._debit_covered(connection, MERCHANT, cur, units)
            self._credit(connection, row.account, cur, units)
            self._post(
                connection, f"refund:{refund_id}", cur, {MERCHANT: -units, row.account: units}
            )
            return GatewayResponse(approved=True, reference=refund_id, amount=amount)

        fingerprint = f"refund {amount} of {capture_id}"
        return self._request(idempotency_key, fingerprint, "refund a payment", perform)


class _DeclinedAnswer(Exception):
    """Raised inside a request's transaction to roll it back and answer with a decline."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _answer(row: Any) -> GatewayResponse:
    amount = None if row.amount is None else Money.from_minor(int(row.amount), row.currency)
    return GatewayResponse(approved=True, reference=row.reference or "", amount=amount)
