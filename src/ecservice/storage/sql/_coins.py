"""The mint's book of spent coins in the database: :class:`SqlMintBook` and its tables.

Every row carries the ``mint`` name, so several mints share the tables. Amounts are whole numbers
of the currency's minor units (``BIGINT``), never floating point; a coin worth more than
:data:`MAX_MINOR_UNITS` minor units is refused.

Its tables (:mod:`ecservice.storage.sql._coins_schema`) are ``ecs_mint_coins`` (a row per coin
seen spent, with its remaining value), ``ecs_mint_deposits`` (unique per spend, each with what was
refunded from it and the payout that paid it), ``ecs_mint_refunds``, ``ecs_mint_refreshes`` (unique
per refresh request) and ``ecs_mint_payouts``. Every spend of a coin is a conditional update
(``... SET remaining = remaining - :v WHERE mint = :m AND coin = :c AND remaining >= :v``): of two
transactions spending the same value, the second finds the row changed and matches nothing.

Each operation of the book is one transaction (``BEGIN IMMEDIATE`` on SQLite, through the
engine of :func:`~ecservice.storage.sql.make_engine`; ``READ COMMITTED`` with row locks and
conditional updates on PostgreSQL), retried a few times when the database reports a transient
failure (a deadlock, a serialization failure, a busy SQLite file).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final, TypeVar, final

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as sa_postgresql
from sqlalchemy.dialects import sqlite as sa_sqlite

from ecservice._shown import shown
from ecservice.errors import DoubleSpend, TransientStorageError, ValidationError
from ecservice.money import Currency, Money
from ecservice.money import currency as _currency
from ecservice.storage.sql._coins_schema import (
    HASH_LEN,
    MINT_COINS,
    MINT_DEPOSITS,
    MINT_PAYOUTS,
    MINT_REFRESHES,
    MINT_REFUNDS,
    MINT_TABLES,
)
from ecservice.storage.sql._engine import READ_ONLY_OPTION, make_engine
from ecservice.storage.sql._retry import masked_url, translated
from ecservice.storage.sql._schema import METADATA
from ecservice.storage.sql._store import SqlStore
from ecservice.text import SHORT_TEXT_MAX, check_key, check_text

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

__all__ = ["MAX_MINOR_UNITS", "SqlMintBook"]

_T = TypeVar("_T")

#: The largest amount, in minor units, the SQL books hold (a ``BIGINT`` column): a coin of a
#: mint's book, an amount of the SQL gateway.
MAX_MINOR_UNITS: Final = 2**63 - 1

#: How many times an operation runs when the database reports a transient failure.
_ATTEMPTS: Final = 5


class _Raced(Exception):
    """A conditional update matched no row that the transaction had locked: run it again."""


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
        if dialect == "postgresql":
            self._insert: Callable[[sa.Table], Any] = sa_postgresql.insert
        elif dialect == "sqlite":
            self._insert = sa_sqlite.insert
        else:
            raise ValidationError(
                f"a mint book needs SQLite or PostgreSQL, not {dialect}: its statements use "
                "INSERT ... ON CONFLICT DO NOTHING"
            )

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

    # --- conversions ---------------------------------------------------------------------------

    def _units(self, amount: Money) -> int:
        units = amount.minor_units
        if units > MAX_MINOR_UNITS:
            raise ValidationError(
                f"{amount} is more than a mint book in the database keeps: at most "
                f"{MAX_MINOR_UNITS} minor units"
            )
        return units

    def _money(self, units: object) -> Money:
        return Money.from_minor(int(units), self._currency)  # type: ignore[call-overload]

    # --- transactions --------------------------------------------------------------------------

    def _write(self, doing: str, work: Callable[[sa.Connection], _T]) -> _T:
        """Run ``work`` in one write transaction, again after a transient failure."""
        for attempt in range(1, _ATTEMPTS + 1):
            try:
                with translated(doing), self._engine.begin() as connection:
                    return work(connection)
            except (TransientStorageError, _Raced):
                if attempt == _ATTEMPTS:
                    raise TransientStorageError(
                        f"the database refused to {doing} {_ATTEMPTS} times in a row; run the "
                        "operation again"
                    ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _read(self, doing: str, work: Callable[[sa.Connection], _T]) -> _T:
        with (
            translated(doing),
            self._engine.connect().execution_options(**{READ_ONLY_OPTION: True}) as connection,
        ):
            return work(connection)

    def _coin_row(self, connection: sa.Connection, coin: bytes) -> Any:
        query = sa.select(MINT_COINS).where(
            MINT_COINS.c.mint == self._name, MINT_COINS.c.coin == coin
        )
        return connection.execute(query).first()

    def _add_coin(
        self, connection: sa.Connection, coin: bytes, denomination_id: bytes, value: Money
    ) -> None:
        """Insert the coin's row at its face value if it has none yet."""
        units = self._units(value)
        statement = (
            self._insert(MINT_COINS)
            .values(
                mint=self._name,
                coin=coin,
                denomination_id=denomination_id,
                value=units,
                deposited=0,
                refunded=0,
                melted=0,
                remaining=units,
            )
            .on_conflict_do_nothing()
        )
        connection.execute(statement)

    def _take(
        self,
        connection: sa.Connection,
        coin: bytes,
        denomination_id: bytes,
        amount: Money,
        column: str,
        what: str,
    ) -> None:
        """Take ``amount`` from the coin (a deposit or a melt), or raise :class:`DoubleSpend`."""
        units = self._units(amount)
        table = MINT_COINS
        statement = (
            table.update()
            .where(
                table.c.mint == self._name,
                table.c.coin == coin,
                table.c.denomination_id == denomination_id,
                table.c.remaining >= units,
            )
            .values({column: table.c[column] + units, "remaining": table.c.remaining - units})
        )
        if connection.execute(statement).rowcount == 1:
            return
        row = self._coin_row(connection, coin)
        if row is not None and row.denomination_id != denomination_id:
            raise DoubleSpend(
                f"coin key {coin[:8].hex()} was already spent as a coin of another denomination"
            )
        left = self._money(0 if row is None else row.remaining)
        raise DoubleSpend(f"coin {coin[:8].hex()} has {left} left, not the {amount} {what}")

    # --- MintBook ------------------------------------------------------------------------------

    def remaining(self, coin_public_key: bytes, denomination: Denomination) -> Money:
        """See :meth:`MintBook.remaining <ecservice.payments.ecash.MintBook.remaining>`."""
        row = self._read("read a coin", lambda c: self._coin_row(c, coin_public_key))
        if row is None:
            return denomination.value
        if row.denomination_id != denomination.id:
            raise DoubleSpend(
                f"coin key {coin_public_key[:8].hex()} was already spent as a coin of another "
                "denomination"
            )
        return self._money(row.remaining)

    def _receipt(self, row: Any) -> DepositReceipt:
        from ecservice.payments.ecash import DepositReceipt

        return DepositReceipt(
            deposit_id=row.deposit_id,
            coin_public_key=row.coin,
            denomination_id=row.denomination_id,
            merchant=row.merchant,
            contract_hash=row.contract_hash,
            amount=self._money(row.amount),
            spend_signature=row.spend_signature,
            deposited_at=row.deposited_at,
        )

    def deposit(
        self, draft: DepositDraft, check: Callable[[], None]
    ) -> tuple[DepositReceipt, bool]:
        """See :meth:`MintBook.deposit <ecservice.payments.ecash.MintBook.deposit>`."""
        table = MINT_DEPOSITS
        amount = self._units(draft.amount)
        self._units(draft.coin_value)
        spend = (
            table.c.mint == self._name,
            table.c.coin == draft.coin_public_key,
            table.c.merchant == draft.merchant,
            table.c.contract_hash == draft.contract_hash,
            table.c.amount == amount,
            table.c.nonce == draft.nonce,
        )

        order = (
            table.c.mint == self._name,
            table.c.coin == draft.coin_public_key,
            table.c.merchant == draft.merchant,
            table.c.contract_hash == draft.contract_hash,
        )

        def conflicting(connection: sa.Connection) -> Any:
            """For an exclusive draft: the identical deposit if the contract holds it (a
            replay), else raise if the coin paid this merchant's contract otherwise."""
            if not draft.exclusive:
                return None
            rows = connection.execute(
                sa.select(table).where(*order).order_by(table.c.deposit_id)
            ).all()
            for row in rows:
                if row.amount == amount and row.nonce == draft.nonce:
                    return row
            if rows:
                from ecservice.payments.ecash import ConflictingDeposit

                raise ConflictingDeposit(
                    f"{self._name} holds another deposit of coin {draft.coin_public_key[:8].hex()} "
                    f"for merchant {shown(draft.merchant)} and contract "
                    f"{draft.contract_hash[:8].hex()}: this one differs from it (amount or nonce)"
                )
            return None

        def work(connection: sa.Connection) -> tuple[DepositReceipt, bool]:
            prior = connection.execute(sa.select(table).where(*spend)).first()
            if prior is None:
                prior = conflicting(connection)  # committed since the line above: a replay
            if prior is not None:
                return self._receipt(prior), False
            check()
            self._add_coin(
                connection, draft.coin_public_key, draft.denomination_id, draft.coin_value
            )
            try:
                self._take(
                    connection,
                    draft.coin_public_key,
                    draft.denomination_id,
                    draft.amount,
                    "deposited",
                    "this deposit spends: it was already spent elsewhere",
                )
            except DoubleSpend:
                # The identical deposit may have taken the value while this one waited for the
                # coin's row: then this is a replay, not a double spend.
                prior = connection.execute(sa.select(table).where(*spend)).first()
                if prior is None:
                    prior = conflicting(connection)
                if prior is None:
                    raise
                return self._receipt(prior), False
            # The coin's row is locked now: a deposit for the contract committed meanwhile
            # shows. The identical one is a replay: run again, which finds it.
            if conflicting(connection) is not None:
                raise _Raced
            inserted = connection.execute(
                self._insert(table)
                .values(
                    mint=self._name,
                    coin=draft.coin_public_key,
                    denomination_id=draft.denomination_id,
                    merchant=draft.merchant,
                    contract_hash=draft.contract_hash,
                    amount=amount,
                    nonce=draft.nonce,
                    spend_signature=draft.spend_signature,
                    deposited_at=draft.deposited_at,
                    refunded=0,
                )
                .on_conflict_do_nothing()
                .returning(table.c.deposit_id)
            ).scalar_one_or_none()
            if inserted is None:
                # The identical deposit was recorded meanwhile (it held the coin's row until it
                # committed): undo this spend and run again, which then finds it (a replay).
                raise _Raced
            return draft.receipt(int(inserted)), True

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
        from ecservice.payments.ecash import (
            AlreadyPaidOut,
            RefundExceedsDeposit,
            RefundReceipt,
            UnknownDeposit,
        )

        if not (
            isinstance(coin_public_key, bytes)
            and isinstance(merchant, str)
            and isinstance(contract_hash, bytes)
        ):
            raise UnknownDeposit(
                f"{self._name} has no deposit of coin {shown(coin_public_key)} to merchant "
                f"{shown(merchant)} for contract {shown(contract_hash)}"
            )
        units = self._units(amount)
        table = MINT_DEPOSITS
        if key is not None:
            check_key(key, "a refund key")

        def replayed(connection: sa.Connection) -> RefundReceipt | None:
            """The refund recorded with ``key``, if this request is the same (else raise)."""
            if key is None:
                return None
            done = connection.execute(
                sa.select(MINT_REFUNDS).where(
                    MINT_REFUNDS.c.mint == self._name, MINT_REFUNDS.c.refund_key == key
                )
            ).first()
            if done is None:
                return None
            from ecservice.payments.ecash._book import replayed_refund

            return replayed_refund(
                self._name,
                key,
                self._refund_receipt(done),
                coin_public_key,
                merchant,
                contract_hash,
                amount,
            )

        def work(connection: sa.Connection) -> RefundReceipt:
            first = replayed(connection)
            if first is not None:
                return first
            query = (
                sa.select(
                    table.c.deposit_id,
                    table.c.denomination_id,
                    table.c.amount,
                    table.c.refunded,
                    table.c.payout_id,
                )
                .where(
                    table.c.mint == self._name,
                    table.c.coin == coin_public_key,
                    table.c.merchant == merchant,
                    table.c.contract_hash == contract_hash,
                )
                .order_by(table.c.deposit_id)
            )
            if self._postgresql:
                query = query.with_for_update()
            rows = connection.execute(query).all()
            # The deposits' rows are locked now: the same refund committed meanwhile (it held
            # them until then) shows, and is a replay.
            first = replayed(connection) if self._postgresql else None
            if first is not None:
                return first
            if not rows:
                raise UnknownDeposit(
                    f"{self._name} has no deposit of coin {coin_public_key[:8].hex()} to "
                    f"merchant {shown(merchant)} for contract {contract_hash[:8].hex()}"
                )
            net = sum(r.amount - r.refunded for r in rows)
            unpaid = [r for r in rows if r.payout_id is None]
            refundable = sum(r.amount - r.refunded for r in unpaid)
            if units > net:
                raise RefundExceedsDeposit(
                    f"cannot refund {amount}: only {self._money(net)} was deposited (net of "
                    f"refunds) by coin {coin_public_key[:8].hex()} for this contract"
                )
            if units > refundable:
                raise AlreadyPaidOut(
                    f"cannot refund {amount}: merchant {shown(merchant)} was already paid out "
                    f"for this contract; only {self._money(refundable)} is still refundable"
                )
            check(rows[0].denomination_id)
            left = units
            for row in unpaid:
                take = min(left, row.amount - row.refunded)
                if take == 0:
                    continue
                changed = connection.execute(
                    table.update()
                    .where(
                        table.c.deposit_id == row.deposit_id,
                        table.c.payout_id.is_(None),
                        table.c.refunded + take <= table.c.amount,
                    )
                    .values(refunded=table.c.refunded + take)
                ).rowcount
                if changed != 1:
                    raise _Raced
                left -= take
            coins = MINT_COINS
            changed = connection.execute(
                coins.update()
                .where(
                    coins.c.mint == self._name,
                    coins.c.coin == coin_public_key,
                    coins.c.refunded + units <= coins.c.deposited,
                    coins.c.remaining + units <= coins.c.value,
                )
                .values(refunded=coins.c.refunded + units, remaining=coins.c.remaining + units)
            ).rowcount
            if changed != 1:
                raise _Raced
            refund_id = connection.execute(
                self._insert(MINT_REFUNDS)
                .values(
                    mint=self._name,
                    coin=coin_public_key,
                    merchant=merchant,
                    contract_hash=contract_hash,
                    amount=units,
                    refunded_at=refunded_at,
                    refund_key=key,
                )
                .on_conflict_do_nothing()
                .returning(MINT_REFUNDS.c.refund_id)
            ).scalar_one_or_none()
            if refund_id is None:
                # The same key was recorded meanwhile: undo this refund and run again, which
                # then finds it (a replay, or a conflict).
                raise _Raced
            return RefundReceipt(
                refund_id=int(refund_id),
                coin_public_key=coin_public_key,
                merchant=merchant,
                contract_hash=contract_hash,
                amount=amount,
                refunded_at=refunded_at,
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
        self._units(coin_value)
        seen = sa.select(table.c.seq).where(table.c.mint == self._name, table.c.digest == digest)

        def work(connection: sa.Connection) -> RefreshRecord | None:
            if connection.execute(seen).first() is not None:
                return None
            check()
            self._add_coin(connection, coin_public_key, denomination_id, coin_value)
            try:
                self._take(
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
                self._insert(table)
                .values(
                    mint=self._name,
                    digest=digest,
                    coin=coin_public_key,
                    denomination_id=denomination_id,
                    amount=self._units(amount),
                    new_denomination_ids=b"".join(record.new_denomination_ids),
                    blinded_message_hashes=b"".join(record.blinded_message_hashes),
                    issued=self._units(record.issued),
                    refreshed_at=record.refreshed_at,
                )
                .on_conflict_do_nothing()
                .returning(table.c.seq)
            ).scalar_one_or_none()
            if claimed is None:
                # The identical refresh was recorded meanwhile: undo this melt and run again,
                # which then finds it (a replay).
                raise _Raced
            return record

        return self._write("record a refresh", work)

    def payout(self, merchant: str, paid_at: _dt.datetime) -> PayoutRecord | None:
        """See :meth:`MintBook.payout <ecservice.payments.ecash.MintBook.payout>`."""
        from ecservice.payments.ecash import PayoutRecord

        table = MINT_DEPOSITS

        def work(connection: sa.Connection) -> PayoutRecord | None:
            query = (
                sa.select(table.c.deposit_id, table.c.amount, table.c.refunded)
                .where(
                    table.c.mint == self._name,
                    table.c.merchant == merchant,
                    table.c.payout_id.is_(None),
                )
                .order_by(table.c.deposit_id)
            )
            if self._postgresql:
                query = query.with_for_update()
            due = connection.execute(query).all()
            if not due:
                return None
            total = sum(r.amount - r.refunded for r in due)
            payout_id = connection.execute(
                MINT_PAYOUTS.insert()
                .values(mint=self._name, merchant=merchant, amount=total, paid_at=paid_at)
                .returning(MINT_PAYOUTS.c.payout_id)
            ).scalar_one()
            ids = [r.deposit_id for r in due]
            changed = connection.execute(
                table.update()
                .where(table.c.deposit_id.in_(ids), table.c.payout_id.is_(None))
                .values(payout_id=payout_id)
            ).rowcount
            if changed != len(ids):
                raise _Raced
            return PayoutRecord(merchant, self._money(total), tuple(ids), paid_at)

        return self._write("record a payout", work)

    def pending_total(self, merchant: str) -> Money:
        """See :meth:`MintBook.pending_total <ecservice.payments.ecash.MintBook.pending_total>`."""
        table = MINT_DEPOSITS
        query = sa.select(
            sa.func.coalesce(sa.func.sum(table.c.amount - table.c.refunded), 0)
        ).where(
            table.c.mint == self._name, table.c.merchant == merchant, table.c.payout_id.is_(None)
        )
        return self._money(
            self._read("read a merchant's deposits", lambda c: c.execute(query).scalar_one())
        )

    def deposit_states(self) -> tuple[tuple[DepositReceipt, bytes, Money, bool], ...]:
        """See :meth:`MintBook.deposit_states
        <ecservice.payments.ecash.MintBook.deposit_states>`."""
        table = MINT_DEPOSITS
        query = sa.select(table).where(table.c.mint == self._name).order_by(table.c.deposit_id)
        rows = self._read("read the deposits", lambda c: c.execute(query).all())
        return tuple(
            (self._receipt(r), r.nonce, self._money(r.refunded), r.payout_id is not None)
            for r in rows
        )

    def _refund_receipt(self, row: Any) -> RefundReceipt:
        from ecservice.payments.ecash import RefundReceipt

        return RefundReceipt(
            refund_id=row.refund_id,
            coin_public_key=row.coin,
            merchant=row.merchant,
            contract_hash=row.contract_hash,
            amount=self._money(row.amount),
            refunded_at=row.refunded_at,
        )

    def refunds(self) -> tuple[RefundReceipt, ...]:
        """See :meth:`MintBook.refunds <ecservice.payments.ecash.MintBook.refunds>`."""
        table = MINT_REFUNDS
        query = sa.select(table).where(table.c.mint == self._name).order_by(table.c.refund_id)
        rows = self._read("read the refunds", lambda c: c.execute(query).all())
        return tuple(self._refund_receipt(r) for r in rows)

    def contract_deposits(
        self, merchant: str, contract_hash: bytes
    ) -> tuple[tuple[DepositReceipt, bytes, Money, bool], ...]:
        """See :meth:`MintBook.contract_deposits
        <ecservice.payments.ecash.MintBook.contract_deposits>` (one indexed query)."""
        table = MINT_DEPOSITS
        query = (
            sa.select(table)
            .where(
                table.c.mint == self._name,
                table.c.merchant == merchant,
                table.c.contract_hash == contract_hash,
            )
            .order_by(table.c.deposit_id)
        )
        rows = self._read("read a contract's deposits", lambda c: c.execute(query).all())
        return tuple(
            (self._receipt(r), r.nonce, self._money(r.refunded), r.payout_id is not None)
            for r in rows
        )

    def contract_refunds(
        self, merchant: str, contract_hash: bytes
    ) -> tuple[tuple[RefundReceipt, str | None], ...]:
        """See :meth:`MintBook.contract_refunds
        <ecservice.payments.ecash.MintBook.contract_refunds>` (one indexed query)."""
        table = MINT_REFUNDS
        query = (
            sa.select(table)
            .where(
                table.c.mint == self._name,
                table.c.merchant == merchant,
                table.c.contract_hash == contract_hash,
            )
            .order_by(table.c.refund_id)
        )
        rows = self._read("read a contract's refunds", lambda c: c.execute(query).all())
        return tuple((self._refund_receipt(r), r.refund_key) for r in rows)

    def refreshes(self) -> tuple[RefreshRecord, ...]:
        """See :meth:`MintBook.refreshes <ecservice.payments.ecash.MintBook.refreshes>`."""
        from ecservice.payments.ecash import RefreshRecord

        table = MINT_REFRESHES
        query = sa.select(table).where(table.c.mint == self._name).order_by(table.c.seq)
        rows = self._read("read the refreshes", lambda c: c.execute(query).all())
        return tuple(
            RefreshRecord(
                coin_public_key=r.coin,
                denomination_id=r.denomination_id,
                amount=self._money(r.amount),
                new_denomination_ids=_split(r.new_denomination_ids),
                blinded_message_hashes=_split(r.blinded_message_hashes),
                issued=self._money(r.issued),
                refreshed_at=r.refreshed_at,
            )
            for r in rows
        )

    def payouts(self) -> tuple[PayoutRecord, ...]:
        """See :meth:`MintBook.payouts <ecservice.payments.ecash.MintBook.payouts>`."""
        from ecservice.payments.ecash import PayoutRecord

        payouts = MINT_PAYOUTS
        deposits = MINT_DEPOSITS
        query = (
            sa.select(payouts, deposits.c.deposit_id)
            .join(deposits, deposits.c.payout_id == payouts.c.payout_id)
            .where(payouts.c.mint == self._name)
            .order_by(payouts.c.payout_id, deposits.c.deposit_id)
        )
        rows = self._read("read the payouts", lambda c: c.execute(query).all())
        found: dict[int, tuple[Any, list[int]]] = {}
        for row in rows:
            found.setdefault(row.payout_id, (row, []))[1].append(row.deposit_id)
        return tuple(
            PayoutRecord(row.merchant, self._money(row.amount), tuple(ids), row.paid_at)
            for row, ids in found.values()
        )


def _split(joined: bytes) -> tuple[bytes, ...]:
    return tuple(joined[i : i + HASH_LEN] for i in range(0, len(joined), HASH_LEN))
