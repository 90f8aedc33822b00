"""The payment gateway whose accounts, movements and idempotency records are rows in a database:
:class:`SqlGateway`, its requests (setting up, authorise, capture, void, refund) and views.

Each request is one transaction run by :mod:`ecservice.storage.sql._gateway_requests` (its
idempotency key claimed first, the answer stored with it); the money moves in the double-entry
ledger of :mod:`ecservice.storage.sql._gateway_ledger`, what was held, taken and given back is
recorded by :mod:`ecservice.storage.sql._gateway_records`, and :meth:`SqlGateway.audit` sums
the books with :mod:`ecservice.storage.sql._gateway_audit`.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Callable
from typing import final

import sqlalchemy as sa

from ecservice._shown import shown
from ecservice.clock import SYSTEM_CLOCK, Clock
from ecservice.errors import ValidationError
from ecservice.money import Currency, Money, positive
from ecservice.money import currency as _currency
from ecservice.payments import GatewayResponse, Instrument
from ecservice.storage.sql._books import conflict_insert
from ecservice.storage.sql._engine import make_engine
from ecservice.storage.sql._gateway_audit import LedgerAudit, audit_books
from ecservice.storage.sql._gateway_ledger import GatewayLedger, ledger_units
from ecservice.storage.sql._gateway_records import GatewayRecords
from ecservice.storage.sql._gateway_requests import Declined, GatewayRequests
from ecservice.storage.sql._gateway_schema import EXTERNAL, HELD, MERCHANT
from ecservice.storage.sql._retry import masked_url
from ecservice.text import LONG_TEXT_MAX, check_text

__all__ = ["SqlGateway"]


def _instrument(value: object) -> Instrument:
    if not isinstance(value, Instrument):
        raise ValidationError(f"expected an Instrument, not {type(value).__name__}")
    return value


def _ref(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise ValidationError(f"unknown {what} {shown(value)}")
    return value


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
        insert = conflict_insert(self.engine)
        if insert is None:
            raise ValidationError(
                f"SqlGateway runs on SQLite or PostgreSQL, not {self.engine.dialect.name!r} "
                "databases"
            )
        self._ledger = GatewayLedger(checked, clock, insert)
        self._records = GatewayRecords(checked)
        self._requests = GatewayRequests(self.engine, checked, clock, sleep, insert)

    def __repr__(self) -> str:
        return f"SqlGateway({self.name!r}, {masked_url(self.engine.url)!r})"

    def dispose(self) -> None:
        """Close the engine's pooled connections."""
        self.engine.dispose()

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
        units = ledger_units(amount)
        cur = amount.currency

        def perform(connection: sa.Connection, seed: str) -> GatewayResponse:
            self._ledger.credit(connection, account, cur, units)
            self._ledger.credit(connection, EXTERNAL, cur, -units)
            self._ledger.post(connection, f"fund:{seed}", cur, {account: units, EXTERNAL: -units})
            return GatewayResponse(
                approved=True, reference=f"{self.name}-fund-{seed}", amount=amount
            )

        fingerprint = f"fund {amount} on {instrument}"
        if idempotency_key is None:
            seed = hashlib.sha256(f"{time.time_ns()}{random.random()}".encode()).hexdigest()[:24]
            self._requests.transaction("fund an account", lambda c: perform(c, seed))
        else:
            self._requests.request(idempotency_key, fingerprint, "fund an account", perform)

    def decline(self, instrument: Instrument, reason: str = "declined by issuer") -> None:
        """Make every later authorisation on ``instrument`` decline with ``reason``.

        Raises:
            ValidationError: not an instrument, or ``reason`` is not acceptable text.
            GatewayUnavailable: the database failed.
        """
        account = str(_instrument(instrument))
        why = check_text(reason, "a decline reason", limit=LONG_TEXT_MAX)

        self._requests.transaction(
            "make an instrument decline",
            lambda connection: self._records.set_decline(connection, account, why),
        )

    # --- views ----------------------------------------------------------------------------------

    def balance(self, instrument: Instrument, currency: str | Currency) -> Money:
        """What the instrument's account holds, not counting authorisations."""
        account = str(_instrument(instrument))
        cur = _currency(currency)
        with self._requests.reading("read a balance") as connection:
            return self._ledger.balance(connection, account, cur)

    def held(self, currency: str | Currency) -> Money:
        """Value held by open authorisations."""
        cur = _currency(currency)
        with self._requests.reading("read the held value") as connection:
            return self._ledger.balance(connection, HELD, cur)

    def merchant_balance(self, currency: str | Currency) -> Money:
        """What was captured for the merchant minus what was refunded."""
        cur = _currency(currency)
        with self._requests.reading("read the merchant's balance") as connection:
            return self._ledger.balance(connection, MERCHANT, cur)

    def total_funded(self, currency: str | Currency) -> Money:
        """Everything ever put in with :meth:`fund`."""
        cur = _currency(currency)
        with self._requests.reading("read the funded total") as connection:
            return -self._ledger.balance(connection, EXTERNAL, cur)

    def total_balance(self, currency: str | Currency) -> Money:
        """All instrument accounts together."""
        cur = _currency(currency)
        with self._requests.reading("read the instruments' balances") as connection:
            return self._ledger.instruments(connection, cur)

    def outcome(self, idempotency_key: str) -> GatewayResponse | None:
        """The approved answer stored for ``idempotency_key`` (its ``amount`` says what moved),
        or ``None`` if nothing moved under that key.

        Raises:
            ValidationError: ``idempotency_key`` is not acceptable text.
            GatewayUnavailable: the database failed.
        """
        return self._requests.outcome(idempotency_key)

    def audit(self, currency: str | Currency) -> LedgerAudit:
        """Check the books of one currency in SQL: the journal sums to zero, every account's
        balance is the sum of its entries, no account but ``~external`` is negative, ``~held``
        is what the open authorisations hold, ``~merchant`` is what the captures kept after
        their refunds, and each capture's ``refunded`` is the sum of its refunds.

        Raises:
            StorageUnavailable: the database failed.
        """
        cur = _currency(currency)
        with self._requests.reading("audit the gateway's books") as connection:
            return audit_books(connection, self.name, cur)

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
        units = ledger_units(amount)
        ref = check_text(reference, "a payment reference")
        cur = amount.currency

        def perform(connection: sa.Connection, seed: str) -> GatewayResponse:
            reason = self._records.decline_reason(connection, account)
            if reason is not None:
                raise Declined(reason)
            if not self._ledger.debit(connection, account, cur, units):
                available = self._ledger.balance(connection, account, cur)
                raise Declined(f"insufficient funds: {available} available")
            self._ledger.credit(connection, HELD, cur, units)
            auth_id = f"{self.name}-auth-{seed}"
            self._records.open_authorization(
                connection, auth_id, payment=ref, account=account, cur=cur, units=units
            )
            self._ledger.post(
                connection, f"authorize:{auth_id}", cur, {account: -units, HELD: units}
            )
            return GatewayResponse(approved=True, reference=auth_id, amount=amount)

        fingerprint = f"authorize {amount} on {instrument} for {ref}"
        return self._requests.request(idempotency_key, fingerprint, "authorise a payment", perform)

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
        units = ledger_units(amount)
        cur = amount.currency

        def perform(connection: sa.Connection, seed: str) -> GatewayResponse:
            auth = self._records.authorization(connection, auth_id)
            held = Money.from_minor(auth.amount, auth.currency)
            if auth.state != "open":
                raise Declined("the authorisation is already settled")
            if auth.currency != cur.code or units > auth.amount:
                raise Declined(f"capture {amount} does not fit authorisation {held}")
            if not self._records.settle(connection, auth_id, "captured"):
                raise Declined("the authorisation is already settled")
            capture_id = f"{self.name}-cap-{seed}"
            self._records.add_capture(
                connection, capture_id, auth_id=auth_id, account=auth.account, cur=cur, units=units
            )
            moves = {HELD: -auth.amount, MERCHANT: units, auth.account: auth.amount - units}
            self._ledger.debit_covered(connection, HELD, cur, auth.amount)
            self._ledger.credit(connection, MERCHANT, cur, units)
            if auth.amount != units:
                self._ledger.credit(connection, auth.account, cur, auth.amount - units)
            self._ledger.post(connection, f"capture:{capture_id}", cur, moves)
            return GatewayResponse(approved=True, reference=capture_id, amount=amount)

        fingerprint = f"capture {amount} of {auth_id}"
        return self._requests.request(idempotency_key, fingerprint, "capture a payment", perform)

    def void(self, authorization: str, *, idempotency_key: str) -> GatewayResponse:
        """Release the whole authorisation (declined when it is already settled).

        Raises:
            ValidationError: unknown authorisation, or the key is not acceptable text.
            IdempotencyConflict: the key was used for another request.
            GatewayUnavailable: the database failed (nothing moved; call again).
        """
        auth_id = _ref(authorization, "authorisation")

        def perform(connection: sa.Connection, _seed: str) -> GatewayResponse:
            auth = self._records.authorization(connection, auth_id)
            if not self._records.settle(connection, auth_id, "voided"):
                raise Declined("the authorisation is already settled")
            cur = _currency(auth.currency)
            self._ledger.debit_covered(connection, HELD, cur, auth.amount)
            self._ledger.credit(connection, auth.account, cur, auth.amount)
            self._ledger.post(
                connection, f"void:{auth_id}", cur, {HELD: -auth.amount, auth.account: auth.amount}
            )
            return GatewayResponse(
                approved=True, reference=auth_id, amount=Money.from_minor(auth.amount, cur)
            )

        return self._requests.request(idempotency_key, f"void {auth_id}", "void a payment", perform)

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
        units = ledger_units(amount)
        cur = amount.currency

        def perform(connection: sa.Connection, seed: str) -> GatewayResponse:
            row = self._records.capture(connection, capture_id)
            taken = Money.from_minor(row.amount, row.currency)
            exceeds = f"refund {amount} exceeds what is left of capture {taken}"
            if row.currency != cur.code:
                raise Declined(exceeds)
            if not self._records.take_refund(connection, capture_id, units):
                raise Declined(exceeds)
            refund_id = f"{self.name}-ref-{seed}"
            self._records.add_refund(connection, refund_id, capture_id, cur, units)
            self._ledger.debit_covered(connection, MERCHANT, cur, units)
            self._ledger.credit(connection, row.account, cur, units)
            self._ledger.post(
                connection, f"refund:{refund_id}", cur, {MERCHANT: -units, row.account: units}
            )
            return GatewayResponse(approved=True, reference=refund_id, amount=amount)

        fingerprint = f"refund {amount} of {capture_id}"
        return self._requests.request(idempotency_key, fingerprint, "refund a payment", perform)
