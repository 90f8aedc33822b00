"""The mint's book of spent coins in the database: :class:`SqlMintBook`.

Every row carries the ``mint`` name, so several mints share the tables
(:mod:`ecservice.storage.sql._coins_schema`); amounts are whole numbers of the currency's minor
units (``BIGINT``), never floating point (:mod:`ecservice.storage.sql._mint_values`). A coin's
row is spent by conditional updates (:mod:`ecservice.storage.sql._mint_coins`); deposits and
payouts are recorded by :mod:`ecservice.storage.sql._mint_deposits`, refunds by
:mod:`ecservice.storage.sql._mint_refunds`, refreshes (melts) here.

Each operation of the book is one transaction (``BEGIN IMMEDIATE`` on SQLite, through the
engine of :func:`~ecservice.storage.sql.make_engine`; ``READ COMMITTED`` with row locks and
conditional updates on PostgreSQL), retried a few times when the database reports a transient
failure (a deadlock, a serialization failure, a busy SQLite file).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Final, TypeVar, final

import sqlalchemy as sa

from ecservice._shown import shown
from ecservice.errors import DoubleSpend, TransientStorageError, ValidationError
from ecservice.money import Currency, Money
from ecservice.money import currency as _currency
from ecservice.storage.sql._books import RunAgain, conflict_insert, run_transaction
from ecservice.storage.sql._coins_schema import (
    MINT_DEPOSITS,
    MINT_PAYOUTS,
    MINT_REFRESHES,
    MINT_REFUNDS,
    MINT_TABLES,
)
from ecservice.storage.sql._engine import READ_ONLY_OPTION, make_engine
from ecservice.storage.sql._mint_coins import MintCoins, other_denomination
from ecservice.storage.sql._mint_deposits import deposit_work, payout_work
from ecservice.storage.sql._mint_refunds import refund_work
from ecservice.storage.sql._mint_values import MintValues
from ecservice.storage.sql._retry import masked_url, translated
from ecservice.storage.sql._schema import METADATA
from ecservice.storage.sql._store import SqlStore
from ecservice.text import SHORT_TEXT_MAX, check_text

if TYPE_CHECKING:
    # The e-cash package needs the crypto extra; this module imports without it (so that the
    # SQL adapter does), and the names are imported where a book first needs them.
    from ecservice.payments.ecash import (
        Denomination,
        DepositDraft,
        DepositReceipt,
        PayoutRecord,
        RefreshRecord,
        RefundReceipt,
    )

__all__ = ["SqlMintBook"]

_T = TypeVar("_T")

#: How many times an operation runs when the database reports a transient failure.
_ATTEMPTS: Final = 5


@final
class SqlMintBook:
    """A :class:`~ecservice.payments.ecash.MintBook` kept in database rows.

    Give it to a :class:`~ecservice.payments.ecash.Mint` (``Mint(clock, currency="CNY",
    name="bank", book=SqlMintBook(store, mint="bank", currency="CNY"))``) in every process that
    runs the mint: all of them then share one book, and the database, not a lock in one process,
    keeps a coin from paying more than its value, a deposit from being refunded beyond its
    amount or after its payout, and a merchant from being paid a deposit twice.

    Args:
        database: an :class:`~ecservice.storage.sql.SqlStore` (its engine is used), an engine
            made by :func:`~ecservice.storage.sql.make_engine`, or a database URL (an engine is
            made for it).
        mint: the mint's name (the book's rows carry it; at most 200 characters).
        currency: the mint's currency (an ISO 4217 code or a :class:`~ecservice.money.Currency`).

    Raises:
        ValidationError: a bad URL, name or database.
        UnknownCurrency: an unknown currency code.
        StorageUnavailable: the database's driver is not installed.
    """

    def __init__(
        self, database: SqlStore | sa.Engine | str, *, mint: str, currency: str | Currency
    ) -> None:
        self._name = check_text(mint, "a mint name", limit=SHORT_TEXT_MAX)
        self._currency = _currency(currency)
        if isinstance(database, SqlStore):
            self._engine = database.engine
        elif isinstance(database, sa.Engine):
            self._engine = database
        elif isinstance(database, str):
            self._engine = make_engine(database)
        else:
            raise ValidationError(
                f"database must be a SqlStore, an engine or a URL, not {shown(database)}"
            )
        dialect = self._engine.dialect.name
        self._postgresql = dialect == "postgresql"
        insert = conflict_insert(self._engine)
        if insert is None:
            raise ValidationError(
                f"a mint book needs SQLite or PostgreSQL, not {dialect}: its statements use "
                "INSERT ... ON CONFLICT DO NOTHING"
            )
        self._values = MintValues(self._name, self._currency)
        self._coins = MintCoins(self._values, insert)

    def __repr__(self) -> str:
        return f"SqlMintBook({self._name!r}, {masked_url(self._engine.url)!r})"

    @property
    def name(self) -> str:
        """The mint's name."""
        return self._name

    @property
    def currency(self) -> Currency:
        """The mint's currency."""
        return self._currency

    @property
    def external(self) -> bool:
        """Always ``True``, for the book lives in the database, not in the mint's document."""
        return True

    @property
    def engine(self) -> sa.Engine:
        """The engine the book writes through."""
        return self._engine

    def create_tables(self) -> None:
        """Create the book's tables that do not exist yet (for tests and embedded use)."""
        with translated("create the mint's tables"), self._engine.begin() as connection:
            METADATA.create_all(connection, tables=list(MINT_TABLES))

    # --- transactions --------------------------------------------------------------------------

    def _write(self, doing: str, work: Callable[[sa.Connection], _T]) -> _T:
        """Run ``work`` in one write transaction, again after a transient failure."""
        try:
            return run_transaction(self._engine, doing, work, attempts=_ATTEMPTS)
        except (TransientStorageError, RunAgain):
            raise TransientStorageError(
                f"the database refused to {doing} {_ATTEMPTS} times in a row; run the "
                "operation again"
            ) from None

    def _read(self, doing: str, work: Callable[[sa.Connection], _T]) -> _T:
        with (
            translated(doing),
            self._engine.connect().execution_options(**{READ_ONLY_OPTION: True}) as connection,
        ):
            return work(connection)

    # --- MintBook ------------------------------------------------------------------------------

    def remaining(self, coin_public_key: bytes, denomination: Denomination) -> Money:
        """See :meth:`MintBook.remaining <ecservice.payments.ecash.MintBook.remaining>`."""
        row = self._read("read a coin", lambda c: self._coins.row(c, coin_public_key))
        if row is None:
            return denomination.value
        if row.denomination_id != denomination.id:
            raise other_denomination(coin_public_key)
        return self._values.money(row.remaining)

    def deposit(
        self, draft: DepositDraft, check: Callable[[], None]
    ) -> tuple[DepositReceipt, bool]:
        """See :meth:`MintBook.deposit <ecservice.payments.ecash.MintBook.deposit>`."""
        work = deposit_work(self._coins, draft, check)
        return self._write("record a deposit", work)

    def refund(
        self,
        *,
        coin_public_key: bytes,
        merchant: str,
        contract_hash: bytes,
        amount: Money,
        refunded_at: _dt.datetime,
        check: Callable[[bytes], None],
        key: str | None = None,
    ) -> RefundReceipt:
        """See :meth:`MintBook.refund <ecservice.payments.ecash.MintBook.refund>`: a refund
        with a ``key`` is recorded with it under a unique index, so two transactions that run
        one refund at once record it once (the second runs again and replays the first)."""
        work = refund_work(
            self._coins,
            coin_public_key=coin_public_key,
            merchant=merchant,
            contract_hash=contract_hash,
            amount=amount,
            refunded_at=refunded_at,
            check=check,
            key=key,
            lock=self._postgresql,
        )
        return self._write("record a refund", work)

    def refresh(
        self,
        *,
        coin_public_key: bytes,
        denomination_id: bytes,
        coin_value: Money,
        amount: Money,
        digest: bytes,
        check: Callable[[], None],
        make: Callable[[], RefreshRecord],
    ) -> RefreshRecord | None:
        """See :meth:`MintBook.refresh <ecservice.payments.ecash.MintBook.refresh>`."""
        table = MINT_REFRESHES
        self._values.units(coin_value)
        seen = sa.select(table.c.seq).where(table.c.mint == self._name, table.c.digest == digest)

        def work(connection: sa.Connection) -> RefreshRecord | None:
            if connection.execute(seen).first() is not None:
                return None
            check()
            self._coins.add(connection, coin_public_key, denomination_id, coin_value)
            try:
                self._coins.take(
                    connection,
                    coin_public_key,
                    denomination_id,
                    amount,
                    "melted",
                    "this refresh melts",
                )
            except DoubleSpend:
                # The identical refresh may have melted the value while this one waited for the
                # coin's row: then this is a replay, not a double spend.
                if connection.execute(seen).first() is None:
                    raise
                return None
            record = make()
            claimed = connection.execute(
                self._coins.insert(table)
                .values(
                    mint=self._name,
                    digest=digest,
                    coin=coin_public_key,
                    denomination_id=denomination_id,
                    amount=self._values.units(amount),
                    new_denomination_ids=b"".join(record.new_denomination_ids),
                    blinded_message_hashes=b"".join(record.blinded_message_hashes),
                    issued=self._values.units(record.issued),
                    refreshed_at=record.refreshed_at,
                )
                .on_conflict_do_nothing()
                .returning(table.c.seq)
            ).scalar_one_or_none()
            if claimed is None:
                # The identical refresh was recorded meanwhile: undo this melt and run again,
                # which then finds it (a replay).
                raise RunAgain
            return record

        return self._write("record a refresh", work)

    def payout(self, merchant: str, paid_at: _dt.datetime) -> PayoutRecord | None:
        """See :meth:`MintBook.payout <ecservice.payments.ecash.MintBook.payout>`."""
        work = payout_work(self._values, merchant, paid_at, lock=self._postgresql)
        return self._write("record a payout", work)

    def pending_total(self, merchant: str) -> Money:
        """See :meth:`MintBook.pending_total <ecservice.payments.ecash.MintBook.pending_total>`."""
        table = MINT_DEPOSITS
        query = sa.select(
            sa.func.coalesce(sa.func.sum(table.c.amount - table.c.refunded), 0)
        ).where(
            table.c.mint == self._name, table.c.merchant == merchant, table.c.payout_id.is_(None)
        )
        return self._values.money(
            self._read("read a merchant's deposits", lambda c: c.execute(query).scalar_one())
        )

    def deposit_states(self) -> tuple[tuple[DepositReceipt, bytes, Money, bool], ...]:
        """See :meth:`MintBook.deposit_states
        <ecservice.payments.ecash.MintBook.deposit_states>`."""
        table = MINT_DEPOSITS
        query = sa.select(table).where(table.c.mint == self._name).order_by(table.c.deposit_id)
        rows = self._read("read the deposits", lambda c: c.execute(query).all())
        return tuple(self._values.deposit_state(r) for r in rows)

    def refunds(self) -> tuple[RefundReceipt, ...]:
        """See :meth:`MintBook.refunds <ecservice.payments.ecash.MintBook.refunds>`."""
        table = MINT_REFUNDS
        query = sa.select(table).where(table.c.mint == self._name).order_by(table.c.refund_id)
        rows = self._read("read the refunds", lambda c: c.execute(query).all())
        return tuple(self._values.refund_receipt(r) for r in rows)

    def contract_deposits(
        self, merchant: str, contract_hash: bytes
    ) -> tuple[tuple[DepositReceipt, bytes, Money, bool], ...]:
        """See :meth:`MintBook.contract_deposits
        <ecservice.payments.ecash.MintBook.contract_deposits>` (one indexed query)."""
        rows = self._contract_rows(
            MINT_DEPOSITS, MINT_DEPOSITS.c.deposit_id, merchant, contract_hash, "deposits"
        )
        return tuple(self._values.deposit_state(r) for r in rows)

    def contract_refunds(
        self, merchant: str, contract_hash: bytes
    ) -> tuple[tuple[RefundReceipt, str | None], ...]:
        """See :meth:`MintBook.contract_refunds
        <ecservice.payments.ecash.MintBook.contract_refunds>` (one indexed query)."""
        rows = self._contract_rows(
            MINT_REFUNDS, MINT_REFUNDS.c.refund_id, merchant, contract_hash, "refunds"
        )
        return tuple((self._values.refund_receipt(r), r.refund_key) for r in rows)

    def _contract_rows(
        self,
        table: sa.Table,
        order: sa.ColumnElement[Any],
        merchant: str,
        contract_hash: bytes,
        what: str,
    ) -> Sequence[Any]:
        """The rows of ``table`` (deposits or refunds) of ``merchant``'s order
        ``contract_hash``, ordered by ``order`` (as recorded; one indexed query)."""
        query = (
            sa.select(table)
            .where(
                table.c.mint == self._name,
                table.c.merchant == merchant,
                table.c.contract_hash == contract_hash,
            )
            .order_by(order)
        )
        return self._read(f"read a contract's {what}", lambda c: c.execute(query).all())

    def refreshes(self) -> tuple[RefreshRecord, ...]:
        """See :meth:`MintBook.refreshes <ecservice.payments.ecash.MintBook.refreshes>`."""
        table = MINT_REFRESHES
        query = sa.select(table).where(table.c.mint == self._name).order_by(table.c.seq)
        rows = self._read("read the refreshes", lambda c: c.execute(query).all())
        return tuple(self._values.refresh_record(r) for r in rows)

    def payouts(self) -> tuple[PayoutRecord, ...]:
        """See :meth:`MintBook.payouts <ecservice.payments.ecash.MintBook.payouts>`."""
        payouts = MINT_PAYOUTS
        deposits = MINT_DEPOSITS
        query = (
            sa.select(payouts, deposits.c.deposit_id)
            .join(deposits, deposits.c.payout_id == payouts.c.payout_id)
            .where(payouts.c.mint == self._name)
            .order_by(payouts.c.payout_id, deposits.c.deposit_id)
        )
        rows = self._read("read the payouts", lambda c: c.execute(query).all())
        return self._values.payouts(rows)
