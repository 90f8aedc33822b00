"""Payments from stored coin wallets, with the e-cash gateway's books in the same store."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from ecservice._shown import shown
from ecservice.application._runner import UseCaseRunner, check_store
from ecservice.application._stored_instruments import (
    StoredInstruments,
    perform_stored,
    stored_outcome,
    stored_reservations,
)
from ecservice.errors import ValidationError
from ecservice.money import Currency, Money
from ecservice.payments import GatewayResponse, Instrument
from ecservice.payments.ecash import CoinWallet, DepositReceipt, Mint
from ecservice.payments.gateways import ECASH_HOLDS, EcashGateway
from ecservice.storage import (
    CoinWalletSerializer,
    Store,
    StoredGatewayBook,
    UnitOfWork,
    default_backoff,
)
from ecservice.text import check_text

__all__ = ["EcashPaymentService"]

R = TypeVar("R")


def _same_sqlite_file(store: Store, mint: Mint) -> bool:
    """Whether the mint's book writes to the SQLite file of ``store``: its transactions would
    wait for the unit of work that calls it."""
    engine = getattr(mint.book, "engine", None)
    other = getattr(store, "engine", None)
    if engine is None or other is None:
        return False
    url, store_url = getattr(engine, "url", None), getattr(other, "url", None)
    return (
        getattr(url, "drivername", "").startswith("sqlite")
        and getattr(url, "database", None) == getattr(store_url, "database", None)
        and getattr(store_url, "drivername", "").startswith("sqlite")
    )


class EcashPaymentService:
    """Payments from the buyers' stored coin wallets to a merchant's account at a mint, each
    call one unit of work (plus the mint's own transactions).

    It implements :class:`~ecservice.payments.PaymentGateway` and
    :class:`~ecservice.payments.OutcomeLookup`. Each call builds an
    :class:`~ecservice.payments.EcashGateway` over the stored coin wallets (``"coin-wallet"``
    documents written by ``serializer``, read when the gateway first asks for one) whose books
    are a :class:`~ecservice.storage.StoredGatewayBook` in the same unit of work, performs the
    operation, saves the wallets that changed with the authorisation, the wallet's list of open
    authorisations and the approved answer, and commits once. A concurrent change
    (:class:`~ecservice.errors.ConcurrencyConflict`) or a transient failure runs the whole call
    again from the stored state (:func:`~ecservice.storage.run_in_transaction`).

    **The mint commits on its own.** Its book (an ``ecservice.storage.sql.SqlMintBook`` shared
    by every process) records each deposit and refund in its own transaction, before the unit
    of work commits. A call that stops between the two (a crash, a lost connection, a conflict
    with another process) is made safe by the gateway's design (see
    :class:`~ecservice.payments.EcashGateway`): a capture run again deposits the same spends,
    which the mint replays, and the wallet records them once, with the capture; a refund run
    again asks the mint with the same keys (``"{refund reference}/{coin id}"``), which it
    replays; a capture with another amount is refused by the mint, and a void is followed, once
    committed, by the return of whatever a capture attempt deposited (:meth:`void`). So money
    moves once across processes and machines, provided the caller runs a call that failed
    again (the same key and request answer what happened, and move nothing more).

    A decline is not stored: the same request asks the wallet and the mint again. A decline
    rests on current state: before it is answered, the unit of work checks that nothing it read
    changed meanwhile (:meth:`~ecservice.storage.UnitOfWork.check_unchanged`) and runs again if
    it did.

    On SQLite, the mint's book needs its own database file: every unit of work holds the
    store's write lock (``BEGIN IMMEDIATE``), and the mint's transaction on the same file would
    wait for it until the busy timeout; such a mint is refused. A shop that pays its orders
    through this service (:class:`~ecservice.application.OrderService` calls its gateway inside
    a unit of work) also gives it a store on another file than the orders'. On PostgreSQL one
    database serves all.

    Args:
        store: where the coin wallets and the gateway's books are stored.
        mint: the mint (in every process the same mint: same name, denominations and book,
            an ``ecservice.storage.sql.SqlMintBook`` when several processes pay).
        merchant: the merchant id deposits are made for.
        serializer: reads and writes the coin wallets (default: a new
            :class:`~ecservice.storage.CoinWalletSerializer`; give one the coin keys of wallets
            stored without them, for the coins sign the spends).
        name: the gateway's name: the prefix of its references and the owner of its books.
        attempts: how many times a call runs before a conflict or transient failure is raised.
        backoff: seconds to wait before the next attempt.
        sleep: how to wait.

    Raises:
        ValidationError: a bad store, mint, merchant id, serializer or name, ``attempts`` not
            an int from 1 to 100, or a mint whose book is in the store's SQLite file.
    """

    def __init__(
        self,
        store: Store,
        *,
        mint: Mint,
        merchant: str,
        serializer: CoinWalletSerializer | None = None,
        name: str = "ecash",
        attempts: int = 10,
        backoff: Callable[[int], float] = default_backoff,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        check_store(store, "EcashPaymentService")
        if not isinstance(mint, Mint):
            raise ValidationError(f"mint must be a Mint, not {shown(mint)}")
        if serializer is not None and not isinstance(serializer, CoinWalletSerializer):
            raise ValidationError(
                f"serializer must be a CoinWalletSerializer, not {shown(serializer)}"
            )
        if _same_sqlite_file(store, mint):
            raise ValidationError(
                "the mint's book writes to the store's SQLite file: give the mint's book its "
                "own database file (each unit of work holds the file's write lock)"
            )
        from ecservice.payments.ecash._coin import check_merchant_id

        self.store = store
        self.mint = mint
        self.merchant = check_merchant_id(merchant)
        self.serializer = serializer if serializer is not None else CoinWalletSerializer()
        self.name = check_text(name, "a gateway name", limit=40)
        self._run = UseCaseRunner(store, attempts, backoff, sleep)

    def __repr__(self) -> str:
        return f"EcashPaymentService({self.name!r}, merchant={self.merchant!r})"

    def _gateway(self, uow: UnitOfWork) -> tuple[EcashGateway, StoredInstruments[CoinWallet]]:
        wallets = StoredInstruments(uow.repository(self.serializer))
        gateway = EcashGateway(
            self.mint,
            wallets,
            self.merchant,
            name=self.name,
            book=StoredGatewayBook(uow, self.name, ECASH_HOLDS),
        )
        return gateway, wallets

    def _perform(self, act: Callable[[EcashGateway], R]) -> R:
        return perform_stored(self._run, self._gateway, act)

    def authorize(
        self, instrument: Instrument, amount: Money, *, reference: str, idempotency_key: str
    ) -> GatewayResponse:
        """Have the coins of the stored wallet ``instrument.reference`` sign spends of
        ``amount`` for the payment ``reference`` (nothing moves; see
        :class:`~ecservice.payments.EcashGateway`), or decline: a wallet that does not hold
        ``amount`` spendable beyond its open authorisations, out of step with the mint, or
        unknown.

        Raises:
            InvalidAmount: ``amount`` is not a positive Money.
            ValidationError: a bad instrument, reference or key.
            IdempotencyConflict: ``idempotency_key`` was used for another request.
            TransientStorageError: every attempt failed.
        """
        return self._perform(
            lambda gw: gw.authorize(
                instrument, amount, reference=reference, idempotency_key=idempotency_key
            )
        )

    def capture(
        self, authorization: str, amount: Money, *, idempotency_key: str
    ) -> GatewayResponse:
        """Deposit ``amount`` of the stored authorisation ``authorization`` at the mint and
        record the spends in the buyer's wallet (again with the same amount: a replay; with
        another amount after one reached the mint: declined); declined if the coins were spent
        elsewhere. A capture of a voided authorisation also gives back what capture attempts
        deposited (:meth:`EcashGateway.release <ecservice.payments.EcashGateway.release>`).

        Raises:
            ValidationError: no such authorisation, or a bad key.
            InvalidAmount: ``amount`` is not a Money.
            IdempotencyConflict: ``idempotency_key`` was used for another request.
            TransientStorageError: every attempt failed.
        """
        return self._perform(
            lambda gw: gw.capture(authorization, amount, idempotency_key=idempotency_key)
        )

    def void(self, authorization: str, *, idempotency_key: str) -> GatewayResponse:
        """Void the stored authorisation ``authorization`` (again: a replay); once the void is
        committed, whatever a capture attempt deposited at the mint for it is given back to the
        coins (:meth:`EcashGateway.release <ecservice.payments.EcashGateway.release>`, in
        another unit of work that reads the committed void).

        Raises:
            ValidationError: no such authorisation, or a bad key.
            IdempotencyConflict: ``idempotency_key`` was used for another request.
            TransientStorageError: every attempt failed.
        """
        answer = self._perform(lambda gw: gw.void(authorization, idempotency_key=idempotency_key))
        if answer.approved:
            self.release(authorization)
        return answer

    def release(self, authorization: str) -> Money:
        """Give back to the coins what capture attempts of the stored, voided authorisation
        ``authorization`` deposited at the mint; the value given back (zero if it is not
        voided, or nothing was deposited). :meth:`void` calls it after the void commits; call
        it again if that did not run (a crash right after the void).

        Raises:
            ValidationError: no such authorisation.
            TransientStorageError: every attempt failed.
        """
        return self._run(lambda uow: self._gateway(uow)[0].release(authorization))

    def refund(self, capture: str, amount: Money, *, idempotency_key: str) -> GatewayResponse:
        """Have the mint refund ``amount`` of the stored capture ``capture`` to the coins that
        paid and credit the buyer's wallet; declined beyond what is left of the capture, after
        the merchant was paid out, or past the coins' deposit window.

        Raises:
            ValidationError: no such capture, or a bad key.
            InvalidAmount: ``amount`` is not a Money.
            IdempotencyConflict: ``idempotency_key`` was used for another request.
            TransientStorageError: every attempt failed.
        """
        return self._perform(lambda gw: gw.refund(capture, amount, idempotency_key=idempotency_key))

    def outcome(self, idempotency_key: str) -> GatewayResponse | None:
        """The approved answer stored for ``idempotency_key``, or ``None`` if nothing moved
        with it (:class:`~ecservice.payments.OutcomeLookup`).

        Raises:
            ValidationError: ``idempotency_key`` is not acceptable text.
            DocumentError: the stored answer is malformed.
            TransientStorageError: every attempt failed.
        """
        return stored_outcome(self._run, self.name, ECASH_HOLDS, idempotency_key)

    def reserved(self, wallet_id: str) -> dict[str, Money]:
        """The open authorisations on the stored coin wallet ``wallet_id``, by reference,
        with their amounts (what :meth:`authorize` keeps back on it).

        Raises:
            ValidationError: ``wallet_id`` is not acceptable text.
            DocumentError: the stored list is malformed.
            TransientStorageError: every attempt failed.
        """
        return stored_reservations(self._run, self.name, ECASH_HOLDS, wallet_id, "wallet_id")

    def deposits(self, capture: str) -> tuple[DepositReceipt, ...]:
        """The mint's receipts for the deposits of the stored capture ``capture``.

        Raises:
            ValidationError: no such capture.
            TransientStorageError: every attempt failed.
        """
        return self._run(lambda uow: self._gateway(uow)[0].deposits(capture))

    def buyer_balance(self, wallet_id: str, currency_: str | Currency) -> Money:
        """The value left on the stored coin wallet ``wallet_id`` (held value included).

        Raises:
            ValidationError: no such wallet.
            TransientStorageError: every attempt failed.
        """
        return self._run(lambda uow: self._gateway(uow)[0].buyer_balance(wallet_id, currency_))

    def merchant_balance(self, currency_: str | Currency) -> Money:
        """The merchant's e-cash income at the mint: pending plus paid out."""
        return self._gateway_free().merchant_balance(currency_)

    def payout(self) -> Money:
        """Have the mint pay the merchant every outstanding deposit (see
        :meth:`EcashGateway.payout <ecservice.payments.EcashGateway.payout>`)."""
        return self.mint.payout(self.merchant)

    def _gateway_free(self) -> EcashGateway:
        """A gateway for the mint's views only (no wallets, no stored books)."""
        return EcashGateway(self.mint, {}, self.merchant, name=self.name)
