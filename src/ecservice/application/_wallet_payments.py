"""Payments from stored e-wallets, with the e-wallet gateway's books in the same store."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from ecservice._shown import shown
from ecservice.application._runner import UseCaseRunner, check_store
from ecservice.application._stored_instruments import (
    StoredInstruments,
    perform_stored,
    stored_outcome,
)
from ecservice.errors import AggregateNotFound, ValidationError
from ecservice.money import Money
from ecservice.payments import GatewayResponse, Instrument
from ecservice.payments.gateways import WALLET_HOLDS, WalletGateway
from ecservice.payments.wallet import DualSignedPayment, EWallet, WalletSession
from ecservice.storage import (
    EWalletSerializer,
    Store,
    StoredGatewayBook,
    UnitOfWork,
    default_backoff,
)
from ecservice.text import check_key, check_text

__all__ = ["WalletPaymentService"]

R = TypeVar("R")


class WalletPaymentService:
    """Payments from the buyers' stored e-wallets to the merchant's, each call one unit of work.

    It implements :class:`~ecservice.payments.PaymentGateway` and
    :class:`~ecservice.payments.OutcomeLookup`. Each call reads the merchant's e-wallet and the
    buyer's (``"ewallet"`` documents written by ``serializer``) from ``store``, builds a
    :class:`~ecservice.payments.WalletGateway` over them whose books are a
    :class:`~ecservice.storage.StoredGatewayBook` in the same unit of work, performs the
    operation, saves the wallets that changed, the authorisation and the approved answer
    together, and commits once. A concurrent change
    (:class:`~ecservice.errors.ConcurrencyConflict`) or a transient failure runs the whole call
    again from the stored state (:func:`~ecservice.storage.run_in_transaction`).

    So money moves once across processes and machines: the same key and request answer the
    stored approval and move nothing (a retry after a lost answer, in any process); a capture
    or void of an authorisation made by another process replays or is declined as the stored
    authorisation says; refunds never exceed the capture; two processes using one key at once
    conflict, and the second finds the first's answer.

    A decline is not stored (nothing moved): the same request asks the wallet again. A wrong
    PIN still counts towards the wallet's lock-out and is saved with it.

    On SQLite, a shop that pays its orders through this service
    (:class:`~ecservice.application.OrderService` calls its gateway inside a unit of work) gives
    it a store on another database file than the orders': SQLite has one writer at a time, and a
    unit of work of the same store opened inside another one raises
    :class:`~ecservice.errors.NestedUnitOfWork`. On PostgreSQL one database serves both.

    Args:
        store: where the e-wallets and the gateway's books are stored.
        merchant_wallet: the id of the merchant's stored e-wallet.
        auth_for: given a buyer's wallet id, the owner's PIN (a
            :class:`~ecservice.payments.wallet.WalletSession` is not stored, so it serves only
            within one process); it may raise an :class:`~ecservice.errors.EcServiceError` to
            decline; any other error it raises, or an answer that is neither a PIN nor a
            session, declines naming the shop's ``auth_for``, counting no PIN attempt (see
            :class:`~ecservice.payments.WalletGateway`).
        merchant_auth: the merchant's PIN, asked for each refund.
        serializer: reads and writes the e-wallets (default: a new
            :class:`~ecservice.storage.EWalletSerializer`; give one the signing keys of wallets
            stored without them).
        name: the gateway's name: the prefix of its references and the owner of its books.
        sealing_key: the gateway's X25519 private key for dual-signed purchases
            (:meth:`authorize_dual`); every process of the shop must use the same one.
            Default: a new random key, known to this object only.
        merchant_id: the payee a dual-signed payment part must name (default: the merchant
            wallet's owner).
        attempts: how many times a call runs before a conflict or transient failure is raised.
        backoff: seconds to wait before the next attempt.
        sleep: how to wait.

    Raises:
        ValidationError: a bad store, wallet id, callable, serializer, name or sealing key, or
            ``attempts`` not an int from 1 to 100.
    """

    def __init__(
        self,
        store: Store,
        *,
        merchant_wallet: str,
        auth_for: Callable[[str], str | WalletSession],
        merchant_auth: Callable[[], str | WalletSession],
        serializer: EWalletSerializer | None = None,
        name: str = "wallet",
        sealing_key: X25519PrivateKey | None = None,
        merchant_id: str | None = None,
        attempts: int = 10,
        backoff: Callable[[int], float] = default_backoff,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        check_store(store, "WalletPaymentService")
        for what, value in (("auth_for", auth_for), ("merchant_auth", merchant_auth)):
            if not callable(value):
                raise ValidationError(f"{what} must be callable, not {shown(value)}")
        if serializer is not None and not isinstance(serializer, EWalletSerializer):
            raise ValidationError(
                f"serializer must be an EWalletSerializer, not {shown(serializer)}"
            )
        if sealing_key is not None and not isinstance(sealing_key, X25519PrivateKey):
            raise ValidationError(
                f"sealing_key must be an X25519PrivateKey, not {type(sealing_key).__name__}"
            )
        self.store = store
        self.merchant_wallet = check_key(merchant_wallet, "merchant_wallet")
        self.auth_for = auth_for
        self.merchant_auth = merchant_auth
        self.serializer = serializer if serializer is not None else EWalletSerializer()
        self.name = check_text(name, "a gateway name", limit=40)
        self.merchant_id = (
            None if merchant_id is None else check_text(merchant_id, "a merchant id", limit=120)
        )
        self._sealing_key = sealing_key or X25519PrivateKey.generate()
        self._run = UseCaseRunner(store, attempts, backoff, sleep)

    def __repr__(self) -> str:
        return f"WalletPaymentService({self.name!r}, merchant_wallet={self.merchant_wallet!r})"

    @property
    def sealing_public_key(self) -> bytes:
        """The raw 32-byte X25519 public key wallets seal dual-signed payment parts to."""
        return self._sealing_key.public_key().public_bytes_raw()

    def _gateway(self, uow: UnitOfWork) -> tuple[WalletGateway, StoredInstruments[EWallet]]:
        wallets = StoredInstruments(uow.repository(self.serializer))
        merchant = wallets.get(self.merchant_wallet)
        if merchant is None:
            raise AggregateNotFound("ewallet", self.merchant_wallet)
        gateway = WalletGateway(
            wallets,
            merchant,
            self.auth_for,
            merchant_auth=self.merchant_auth,
            name=self.name,
            sealing_key=self._sealing_key,
            merchant_id=self.merchant_id,
            book=StoredGatewayBook(uow, self.name, WALLET_HOLDS),
        )
        return gateway, wallets

    def _perform(self, act: Callable[[WalletGateway], R]) -> R:
        return perform_stored(self._run, self._gateway, act)

    def authorize(
        self, instrument: Instrument, amount: Money, *, reference: str, idempotency_key: str
    ) -> GatewayResponse:
        """Hold ``amount`` on the buyer's wallet ``instrument.reference`` for the payment
        ``reference`` (see :class:`~ecservice.payments.WalletGateway`), or decline.

        Raises:
            AggregateNotFound: the merchant's wallet is not stored.
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

    def authorize_dual(
        self, request: DualSignedPayment, amount: Money, *, reference: str, idempotency_key: str
    ) -> GatewayResponse:
        """Authorise a dual-signed purchase sealed to :attr:`sealing_public_key` (see
        :meth:`WalletGateway.authorize_dual <ecservice.payments.WalletGateway.authorize_dual>`);
        one purchase is authorised once, whichever process asks.

        Raises:
            AggregateNotFound: the merchant's wallet is not stored.
            InvalidEnvelope, InvalidSignature, PurchaseMismatch, InvalidAmount,
                ValidationError, IdempotencyConflict: as ``WalletGateway.authorize_dual``.
            TransientStorageError: every attempt failed.
        """
        return self._perform(
            lambda gw: gw.authorize_dual(
                request, amount, reference=reference, idempotency_key=idempotency_key
            )
        )

    def capture(
        self, authorization: str, amount: Money, *, idempotency_key: str
    ) -> GatewayResponse:
        """Capture ``amount`` of the stored authorisation ``authorization`` for the merchant
        (capturing it again with the same amount replays the first capture).

        Raises:
            AggregateNotFound: the merchant's wallet is not stored.
            ValidationError: no such authorisation, or a bad key.
            InvalidAmount: ``amount`` is not a Money.
            IdempotencyConflict: ``idempotency_key`` was used for another request.
            TransientStorageError: every attempt failed.
        """
        return self._perform(
            lambda gw: gw.capture(authorization, amount, idempotency_key=idempotency_key)
        )

    def void(self, authorization: str, *, idempotency_key: str) -> GatewayResponse:
        """Release the stored authorisation ``authorization`` (again: a replay).

        Raises:
            AggregateNotFound: the merchant's wallet is not stored.
            ValidationError: no such authorisation, or a bad key.
            IdempotencyConflict: ``idempotency_key`` was used for another request.
            TransientStorageError: every attempt failed.
        """
        return self._perform(lambda gw: gw.void(authorization, idempotency_key=idempotency_key))

    def refund(self, capture: str, amount: Money, *, idempotency_key: str) -> GatewayResponse:
        """Pay ``amount`` of the stored capture ``capture`` back from the merchant's wallet to
        the buyer's; declined beyond what is left of the capture.

        Raises:
            AggregateNotFound: the merchant's wallet is not stored.
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
        return stored_outcome(self._run, self.name, WALLET_HOLDS, idempotency_key)
