"""The mint's book of spent coins: the port a database implements, and the in-memory default.

A :class:`~ecservice.payments.ecash.Mint` keeps what it must never do twice (take more from a
coin than it is worth, record the same deposit or refresh twice, refund more than a deposit, pay a
merchant out twice) in a :class:`MintBook`. The mint checks everything it can check alone
(signatures, denominations, amounts) and hands the book one *atomic* step per operation: the book
decides, under its own lock or in one database transaction, whether the step is a replay, whether
the coin or the deposit still allows it, and records it.

:class:`MemoryMintBook` (the default) keeps the book in the process, inside the mint's document;
``ecservice.storage.sql.SqlMintBook`` keeps it in database rows guarded by unique constraints and
conditional updates, so that several processes or machines sharing the database cannot both spend
one coin.
"""

from __future__ import annotations

import datetime as _dt
import threading
from collections.abc import Callable
from typing import Any, Protocol, final, runtime_checkable

import attrs
from pendulum import DateTime

from ecservice._shown import shown
from ecservice.clock import ensure_utc
from ecservice.errors import DoubleSpend, IdempotencyConflict, ValidationError
from ecservice.money import Currency, Money, sum_money
from ecservice.payments.ecash._denomination import Denomination, as_currency, short_hex
from ecservice.payments.ecash._errors import (
    AlreadyPaidOut,
    ConflictingDeposit,
    RefundExceedsDeposit,
    UnknownDeposit,
)
from ecservice.payments.ecash._ledger import CoinLedger, DepositEntry, DepositKey, OrderKey
from ecservice.payments.ecash._records import (
    DepositReceipt,
    PayoutRecord,
    RefreshRecord,
    RefundReceipt,
)
from ecservice.text import SHORT_TEXT_MAX, check_key, check_text

__all__ = ["DepositDraft", "MemoryMintBook", "MintBook", "StoredDeposit", "replayed_refund"]

#: A deposit as storage keeps it: the receipt, the spend's nonce, the value refunded from it and
#: whether it was paid out to the merchant.
StoredDeposit = tuple[DepositReceipt, bytes, Money, bool]


def _utc(value: _dt.datetime) -> DateTime:
    if not isinstance(value, _dt.datetime):
        raise ValidationError(f"a deposit time must be a datetime, not {type(value).__name__}")
    return ensure_utc(value, what="deposit time")


def _of(kind: type, what: str) -> Callable[[object, object, Any], None]:
    def check(_instance: object, _attribute: object, value: object) -> None:
        if not isinstance(value, kind):
            raise ValidationError(f"{what} must be {kind.__name__}, not {shown(value)}")

    return check


@final
@attrs.frozen
class DepositDraft:
    """A deposit the mint has checked and asks its book to record: a receipt without its number.

    Args:
        coin_public_key: the coin's raw Ed25519 public key (32 bytes).
        denomination_id: the coin's denomination id (32 bytes).
        coin_value: the coin's face value (the most the book lets it pay in all).
        merchant: the merchant credited.
        contract_hash: the hash of the order's terms the spend carries.
        amount: the value deposited, positive, in the mint's currency.
        nonce: the spend's random nonce: with the coin, merchant, contract and amount it tells a
            replay (the identical spend again) from a new payment.
        spend_signature: the coin's signature over the spend (64 bytes).
        deposited_at: when the mint accepted it; an aware datetime, converted to UTC.
        exclusive: refuse the deposit (:class:`~ecservice.payments.ecash.ConflictingDeposit`)
            when the book holds another deposit of the coin for the same merchant and contract
            (see :meth:`Mint.deposit <ecservice.payments.ecash.Mint.deposit>`).

    Raises:
        ValidationError: a field of the wrong type (the receipt built from the draft checks the
            rest: :class:`~ecservice.payments.ecash.DepositReceipt`).
    """

    coin_public_key: bytes = attrs.field(validator=_of(bytes, "a coin public key"))
    denomination_id: bytes = attrs.field(validator=_of(bytes, "a denomination id"))
    coin_value: Money = attrs.field(validator=_of(Money, "a coin value"))
    merchant: str = attrs.field(validator=_of(str, "a merchant id"))
    contract_hash: bytes = attrs.field(validator=_of(bytes, "a contract hash"))
    amount: Money = attrs.field(validator=_of(Money, "a deposit amount"))
    nonce: bytes = attrs.field(validator=_of(bytes, "a spend nonce"))
    spend_signature: bytes = attrs.field(validator=_of(bytes, "a spend signature"))
    deposited_at: DateTime = attrs.field(converter=_utc)
    exclusive: bool = attrs.field(default=False, validator=_of(bool, "exclusive"))

    @property
    def key(self) -> DepositKey:
        """The coin, merchant, contract, amount and nonce, which identify the identical deposit."""
        return (self.coin_public_key, self.merchant, self.contract_hash, self.amount, self.nonce)

    def receipt(self, deposit_id: int) -> DepositReceipt:
        """The receipt of this deposit recorded as number ``deposit_id``.

        Raises:
            ValidationError: a field a receipt refuses (see
                :class:`~ecservice.payments.ecash.DepositReceipt`).
        """
        return DepositReceipt(
            deposit_id=deposit_id,
            coin_public_key=self.coin_public_key,
            denomination_id=self.denomination_id,
            merchant=self.merchant,
            contract_hash=self.contract_hash,
            amount=self.amount,
            spend_signature=self.spend_signature,
            deposited_at=self.deposited_at,
        )


@runtime_checkable
class MintBook(Protocol):
    """What a mint records of spent coins; every method is one atomic step.

    The rules each implementation keeps, whatever number of threads, processes or machines share
    it: a coin pays at most its face value in all (deposits less refunds plus melts); the
    identical deposit or refresh is recorded once (a replay gets the first answer); a deposit
    is refunded at most its amount, and only before it is paid out; a deposit is paid out once.
    A method that raises records nothing.
    """

    @property
    def name(self) -> str:
        """The name of the mint the book belongs to."""
        ...

    @property
    def currency(self) -> Currency:
        """The mint's currency, the currency of every amount in the book."""
        ...

    @property
    def external(self) -> bool:
        """Whether the book lives outside the mint's document (in a database).

        A mint with an external book counts in its :attr:`~ecservice.payments.ecash.Mint.version`
        only the changes its own document holds (denominations, reserves, withdrawals), and its
        document keeps no deposit, refund, refresh or payout.
        """
        ...

    def remaining(self, coin_public_key: bytes, denomination: Denomination) -> Money:
        """The value the coin still has: the denomination's value if never seen spent.

        Raises:
            DoubleSpend: the coin key was recorded as a coin of another denomination.
        """
        ...

    def deposit(
        self, draft: DepositDraft, check: Callable[[], None]
    ) -> tuple[DepositReceipt, bool]:
        """Record a deposit, unless it is a replay; return its receipt and whether it is new.

        A replay (same :attr:`DepositDraft.key`) returns the first receipt without calling
        ``check``. Otherwise ``check()`` runs (it raises to refuse the deposit: the mint's window
        check), then the coin must have at least ``draft.amount`` left; the deposit gets the next
        number. An ``exclusive`` draft (:class:`DepositDraft`) is refused when the book holds
        another deposit of the coin for the same merchant and contract, decided in the same
        atomic step.

        Raises:
            ConflictingDeposit: an exclusive draft, and another deposit of the coin for the
                merchant and contract.
            DoubleSpend: the coin has less left than the amount, or was recorded as a coin of
                another denomination.
            Exception: whatever ``check`` raises.
        """
        ...

    def refund(
        self,
        *,
        coin_public_key: bytes,
        merchant: str,
        contract_hash: bytes,
        amount: Money,
        refunded_at: DateTime,
        check: Callable[[bytes], None],
        key: str | None = None,
    ) -> RefundReceipt:
        """Give ``amount`` of the coin's deposits to ``merchant`` for ``contract_hash`` back.

        ``check(denomination_id)`` runs once the deposits allow the refund (it raises to refuse
        it: the mint's refund-window check); the refund is drawn on the unpaid deposits in the
        order they came.

        ``key``, when given, is the refund's idempotency key, unique in the book: a refund
        recorded with it for the same coin, merchant, contract and amount is returned again
        (nothing more is refunded, ``check`` is not called); with anything else it raises
        :class:`~ecservice.errors.IdempotencyConflict`. Decided in the same atomic step.

        Raises:
            IdempotencyConflict: ``key`` names a refund of another coin, merchant, contract or
                amount.
            UnknownDeposit: no such deposit.
            RefundExceedsDeposit: more than was deposited, net of earlier refunds.
            AlreadyPaidOut: more than is still unpaid to the merchant.
            Exception: whatever ``check`` raises.
        """
        ...

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
        """Record a melt of ``amount`` from the coin, unless ``digest`` was melted already.

        Returns ``None`` for a replay (neither ``check`` nor ``make`` is called). Otherwise
        ``check()`` runs (it raises to refuse the refresh: the mint's window checks), then the
        coin must have ``amount`` left, then ``make()`` builds the record (it raises to refuse
        the refresh: the mint signs the new coins there).

        Raises:
            DoubleSpend: the coin has less left than ``amount``, or was recorded as a coin of
                another denomination.
            Exception: whatever ``check`` or ``make`` raises.
        """
        ...

    def payout(self, merchant: str, paid_at: DateTime) -> PayoutRecord | None:
        """Pay ``merchant`` every unpaid deposit, net of refunds; ``None`` if none is unpaid."""
        ...

    def pending_total(self, merchant: str) -> Money:
        """The unpaid deposits of ``merchant``, net of refunds."""
        ...

    def contract_deposits(self, merchant: str, contract_hash: bytes) -> tuple[StoredDeposit, ...]:
        """The deposits for ``merchant``'s contract ``contract_hash``, oldest first, as
        ``(receipt, nonce, refunded, paid)``."""
        ...

    def contract_refunds(
        self, merchant: str, contract_hash: bytes
    ) -> tuple[tuple[RefundReceipt, str | None], ...]:
        """The refunds of ``merchant``'s deposits for ``contract_hash``, oldest first, each
        with its idempotency key (``None`` if it was made without one)."""
        ...

    def deposit_states(self) -> tuple[StoredDeposit, ...]:
        """Every deposit, oldest first, as ``(receipt, nonce, refunded, paid)``."""
        ...

    def refunds(self) -> tuple[RefundReceipt, ...]:
        """Every refund, oldest first."""
        ...

    def refreshes(self) -> tuple[RefreshRecord, ...]:
        """Every refresh, oldest first."""
        ...

    def payouts(self) -> tuple[PayoutRecord, ...]:
        """Every payout, oldest first."""
        ...


def replayed_refund(
    mint: str,
    key: str,
    done: RefundReceipt,
    coin_public_key: bytes,
    merchant: str,
    contract_hash: bytes,
    amount: Money,
) -> RefundReceipt:
    """``done``, the refund recorded with ``key``, if this request is the same; else raise
    :class:`~ecservice.errors.IdempotencyConflict`."""
    asked = (coin_public_key, merchant, contract_hash, amount)
    if (done.coin_public_key, done.merchant, done.contract_hash, done.amount) == asked:
        return done
    raise IdempotencyConflict(
        f"refund key {key!r} was used at {mint} for a refund of {done.amount} to coin "
        f"{short_hex(done.coin_public_key)} (merchant {shown(done.merchant)}, contract "
        f"{short_hex(done.contract_hash)}); this request is {_hex(coin_public_key)} for "
        f"{shown(amount)}: a retry must repeat its request exactly"
    )


def _hashable(key: tuple[object, ...]) -> bool:
    try:
        hash(key)
    except TypeError:
        return False
    return True


def _hex(value: object) -> str:
    return short_hex(value) if isinstance(value, bytes) else shown(value)


@final
class MemoryMintBook:
    """The default :class:`MintBook`: kept in the process, part of the mint's document.

    Safe for the threads of one process (it takes its own lock); across processes a mint
    with this book is safe only if every change goes through its stored document (optimistic
    concurrency on its version).

    Args:
        currency: the mint's currency (an ISO 4217 code or a
            :class:`~ecservice.money.Currency`).
        name: the mint's name, for messages (at most 200 characters).

    Raises:
        UnknownCurrency: an unknown currency code.
        ValidationError: a bad name.
    """

    def __init__(self, currency: str | Currency, *, name: str = "mint") -> None:
        self._currency = as_currency(currency)
        self._name = check_text(name, "a mint name", limit=SHORT_TEXT_MAX)
        self._lock = threading.RLock()
        self._coins: dict[bytes, CoinLedger] = {}
        self._deposits: list[DepositEntry] = []
        self._deposit_index: dict[DepositKey, DepositEntry] = {}
        self._orders: dict[OrderKey, list[DepositEntry]] = {}
        self._refunds: list[RefundReceipt] = []
        self._refreshes: list[RefreshRecord] = []
        self._refresh_index: set[bytes] = set()
        self._payouts: list[PayoutRecord] = []
        self._refund_keys: dict[str, RefundReceipt] = {}
        self._key_of: dict[int, str] = {}

    def _install(
        self,
        *,
        coins: dict[bytes, CoinLedger],
        deposits: list[DepositEntry],
        deposit_index: dict[DepositKey, DepositEntry],
        orders: dict[OrderKey, list[DepositEntry]],
        refunds: list[RefundReceipt],
        refreshes: list[RefreshRecord],
        refresh_index: set[bytes],
        payouts: list[PayoutRecord],
    ) -> None:
        """Replace the whole book with parts a restore has checked against each other."""
        with self._lock:
            self._coins = coins
            self._deposits = deposits
            self._deposit_index = deposit_index
            self._orders = orders
            self._refunds = refunds
            self._refreshes = refreshes
            self._refresh_index = refresh_index
            self._payouts = payouts
            self._refund_keys = {}
            self._key_of = {}

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
        """Always ``False``, for the book is part of the mint's document."""
        return False

    def __repr__(self) -> str:
        return f"MemoryMintBook({self._name!r}, deposits={len(self._deposits)})"

    def _ledger(self, coin_public_key: bytes, denomination_id: bytes, value: Money) -> CoinLedger:
        """The coin's ledger, or a fresh (unrecorded) one if the coin was never seen."""
        ledger = self._coins.get(coin_public_key)
        if ledger is None:
            zero = Money.zero(self._currency)
            return CoinLedger(denomination_id, value, zero, zero, zero)
        if ledger.denomination_id != denomination_id:
            raise DoubleSpend(
                f"coin key {short_hex(coin_public_key)} was already spent as a coin of another "
                "denomination"
            )
        return ledger

    def remaining(self, coin_public_key: bytes, denomination: Denomination) -> Money:
        """See :meth:`MintBook.remaining`."""
        with self._lock:
            return self._ledger(coin_public_key, denomination.id, denomination.value).remaining

    def deposit(
        self, draft: DepositDraft, check: Callable[[], None]
    ) -> tuple[DepositReceipt, bool]:
        """See :meth:`MintBook.deposit`."""
        with self._lock:
            key = draft.key
            prior = self._deposit_index.get(key)
            if prior is not None:
                return prior.receipt, False
            if draft.exclusive and self._orders.get(key[:3]):
                raise ConflictingDeposit(
                    f"{self._name} holds another deposit of coin "
                    f"{short_hex(draft.coin_public_key)} for merchant {shown(draft.merchant)} "
                    f"and contract {short_hex(draft.contract_hash)}: this one differs from it "
                    "(amount or nonce)"
                )
            check()
            ledger = self._ledger(draft.coin_public_key, draft.denomination_id, draft.coin_value)
            if draft.amount > ledger.remaining:
                raise DoubleSpend(
                    f"coin {short_hex(draft.coin_public_key)} has {ledger.remaining} left, "
                    f"not the {draft.amount} this deposit spends: it was already spent elsewhere"
                )
            receipt = draft.receipt(len(self._deposits) + 1)
            entry = DepositEntry(receipt, Money.zero(self._currency))
            ledger.deposited = ledger.deposited + draft.amount
            self._coins[draft.coin_public_key] = ledger
            self._deposits.append(entry)
            self._deposit_index[key] = entry
            self._orders.setdefault(key[:3], []).append(entry)
            return receipt, True

    def refund(
        self,
        *,
        coin_public_key: bytes,
        merchant: str,
        contract_hash: bytes,
        amount: Money,
        refunded_at: DateTime,
        check: Callable[[bytes], None],
        key: str | None = None,
    ) -> RefundReceipt:
        """See :meth:`MintBook.refund`.

        The refund keys are kept while the book lives: the mint's document has no place for
        them, so a mint restored from it replays no refund by key (a mint shared by several
        processes keeps its book in a database, which keeps them).
        """
        with self._lock:
            if key is not None:
                check_key(key, "a refund key")
                done = self._refund_keys.get(key)
                if done is not None:
                    return replayed_refund(
                        self._name, key, done, coin_public_key, merchant, contract_hash, amount
                    )
            order = (coin_public_key, merchant, contract_hash)
            deposits = self._orders.get(order) if _hashable(order) else None
            if not deposits:
                raise UnknownDeposit(
                    f"{self._name} has no deposit of coin {_hex(coin_public_key)} to "
                    f"merchant {shown(merchant)} for contract {_hex(contract_hash)}"
                )
            net = sum_money((d.net for d in deposits), self._currency)
            unpaid = [d for d in deposits if not d.paid]
            refundable = sum_money((d.net for d in unpaid), self._currency)
            if amount > net:
                raise RefundExceedsDeposit(
                    f"cannot refund {amount}: only {net} was deposited (net of refunds) by coin "
                    f"{short_hex(coin_public_key)} for this contract"
                )
            if amount > refundable:
                raise AlreadyPaidOut(
                    f"cannot refund {amount}: merchant {shown(merchant)} was already paid out "
                    f"for this contract; only {refundable} is still refundable"
                )
            ledger = self._coins[coin_public_key]
            check(ledger.denomination_id)
            left = amount
            for deposit in unpaid:
                take = min(left, deposit.net)
                deposit.refunded = deposit.refunded + take
                left = left - take
            ledger.refunded = ledger.refunded + amount
            receipt = RefundReceipt(
                refund_id=len(self._refunds) + 1,
                coin_public_key=coin_public_key,
                merchant=merchant,
                contract_hash=contract_hash,
                amount=amount,
                refunded_at=refunded_at,
            )
            self._refunds.append(receipt)
            if key is not None:
                self._refund_keys[key] = receipt
                self._key_of[receipt.refund_id] = key
            return receipt

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
        """See :meth:`MintBook.refresh`."""
        with self._lock:
            if digest in self._refresh_index:
                return None
            check()
            ledger = self._ledger(coin_public_key, denomination_id, coin_value)
            if amount > ledger.remaining:
                raise DoubleSpend(
                    f"coin {short_hex(coin_public_key)} has {ledger.remaining} left, "
                    f"not the {amount} this refresh melts"
                )
            record = make()
            ledger.melted = ledger.melted + amount
            self._coins[coin_public_key] = ledger
            self._refresh_index.add(digest)
            self._refreshes.append(record)
            return record

    def payout(self, merchant: str, paid_at: DateTime) -> PayoutRecord | None:
        """See :meth:`MintBook.payout`."""
        with self._lock:
            due = [d for d in self._deposits if d.receipt.merchant == merchant and not d.paid]
            if not due:
                return None
            total = sum_money((d.net for d in due), self._currency)
            paid = tuple(d.receipt.deposit_id for d in due)
            record = PayoutRecord(merchant, total, paid, paid_at)
            for deposit in due:
                deposit.paid = True
            self._payouts.append(record)
            return record

    def pending_total(self, merchant: str) -> Money:
        """See :meth:`MintBook.pending_total`."""
        with self._lock:
            return sum_money(
                (d.net for d in self._deposits if d.receipt.merchant == merchant and not d.paid),
                self._currency,
            )

    def contract_deposits(self, merchant: str, contract_hash: bytes) -> tuple[StoredDeposit, ...]:
        """See :meth:`MintBook.contract_deposits`."""
        with self._lock:
            return tuple(
                state
                for state in self.deposit_states()
                if state[0].merchant == merchant and state[0].contract_hash == contract_hash
            )

    def contract_refunds(
        self, merchant: str, contract_hash: bytes
    ) -> tuple[tuple[RefundReceipt, str | None], ...]:
        """See :meth:`MintBook.contract_refunds`."""
        with self._lock:
            return tuple(
                (r, self._key_of.get(r.refund_id))
                for r in self._refunds
                if r.merchant == merchant and r.contract_hash == contract_hash
            )

    def deposit_states(self) -> tuple[StoredDeposit, ...]:
        """See :meth:`MintBook.deposit_states`."""
        with self._lock:
            nonces = {id(entry): key[4] for key, entry in self._deposit_index.items()}
            return tuple((d.receipt, nonces[id(d)], d.refunded, d.paid) for d in self._deposits)

    def refunds(self) -> tuple[RefundReceipt, ...]:
        """See :meth:`MintBook.refunds`."""
        with self._lock:
            return tuple(self._refunds)

    def refreshes(self) -> tuple[RefreshRecord, ...]:
        """See :meth:`MintBook.refreshes`."""
        with self._lock:
            return tuple(self._refreshes)

    def payouts(self) -> tuple[PayoutRecord, ...]:
        """See :meth:`MintBook.payouts`."""
        with self._lock:
            return tuple(self._payouts)
