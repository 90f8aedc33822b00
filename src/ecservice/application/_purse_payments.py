"""Payments from stored purses, with the purse gateway's books in the same store."""

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
from ecservice.errors import AggregateNotFound, ValidationError
from ecservice.money import Money
from ecservice.payments import GatewayResponse, Instrument
from ecservice.payments.gateways import PURSE_HOLDS, PurseGateway
from ecservice.payments.mondex import PaymentDetails, Purse
from ecservice.storage import (
    PURSE_SERIALIZER,
    PurseSerializer,
    Store,
    StoredGatewayBook,
    UnitOfWork,
    default_backoff,
)
from ecservice.text import check_key, check_text

__all__ = ["PursePaymentService"]

R = TypeVar("R")


class PursePaymentService:
    """Payments from the buyers' stored purses to the merchant's, each call one unit of work.

    It implements :class:`~ecservice.payments.PaymentGateway` and
    :class:`~ecservice.payments.OutcomeLookup`. Each call reads the merchant's purse and the
    buyer's (``"purse"`` documents written by ``serializer``) from ``store``, builds a
    :class:`~ecservice.payments.PurseGateway` over them whose books are a
    :class:`~ecservice.storage.StoredGatewayBook` in the same unit of work, performs the
    operation, saves the purses that changed, the authorisation, the purse's list of open
    authorisations and the approved answer together, and commits once. A concurrent change
    (:class:`~ecservice.errors.ConcurrencyConflict`) or a transient failure runs the whole
    call again from the stored state (:func:`~ecservice.storage.run_in_transaction`).

    So money moves once across processes and machines: the same key and request answer the
    stored approval and move nothing (a retry after a lost answer, in any process); a capture
    or void of an authorisation made by another process replays or is declined as the stored
    authorisation says; refunds never exceed the capture; two processes using one key at once
    conflict, and the second finds the first's answer. What is reserved on a purse is the
    stored list of its open authorisations (written with each authorisation, capture and
    void), read before the purse: two processes authorising on one purse at once cannot both
    reserve the same value (their writes of the list conflict; the retry counts the other's).

    A decline is not stored (nothing moved): the same request asks the purse again. A decline
    rests on current state: before it is answered, the unit of work checks that nothing it read
    changed meanwhile (:meth:`~ecservice.storage.UnitOfWork.check_unchanged`) and runs again if
    it did. A transfer that stopped part-way is declined, and the purses' exception logs that
    record it are saved; :meth:`in_limbo` lists such transfers.

    On SQLite, a shop that pays its orders through this service
    (:class:`~ecservice.application.OrderService` calls its gateway inside a unit of work) gives
    it a store on another database file than the orders': SQLite has one writer at a time, and a
    unit of work of the same store opened inside another one raises
    :class:`~ecservice.errors.NestedUnitOfWork`. On PostgreSQL one database serves both.

    Args:
        store: where the purses and the gateway's books are stored.
        merchant_purse: the id of the merchant's stored purse.
        serializer: reads and writes the purses (default:
            :data:`~ecservice.storage.PURSE_SERIALIZER`).
        name: the gateway's name: the prefix of its references and the owner of its books.
        attempts: how many times a call runs before a conflict or transient failure is raised.
        backoff: seconds to wait before the next attempt.
        sleep: how to wait.

    Raises:
        ValidationError: a bad store, purse id, serializer or name, or ``attempts`` not an int
            from 1 to 100.
    """

    def __init__(
        self,
        store: Store,
        *,
        merchant_purse: str,
        serializer: PurseSerializer | None = None,
        name: str = "purse",
        attempts: int = 10,
        backoff: Callable[[int], float] = default_backoff,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        check_store(store, "PursePaymentService")
        if serializer is not None and not isinstance(serializer, PurseSerializer):
            raise ValidationError(f"serializer must be a PurseSerializer, not {shown(serializer)}")
        self.store = store
        self.merchant_purse = check_key(merchant_purse, "merchant_purse")
        self.serializer = serializer if serializer is not None else PURSE_SERIALIZER
        self.name = check_text(name, "a gateway name", limit=40)
        self._run = UseCaseRunner(store, attempts, backoff, sleep)

    def __repr__(self) -> str:
        return f"PursePaymentService({self.name!r}, merchant_purse={self.merchant_purse!r})"

    def _gateway(self, uow: UnitOfWork) -> tuple[PurseGateway, StoredInstruments[Purse]]:
        purses = StoredInstruments(uow.repository(self.serializer))
        merchant = purses.get(self.merchant_purse)
        if merchant is None:
            raise AggregateNotFound("purse", self.merchant_purse)
        gateway = PurseGateway(
            purses,
            merchant,
            name=self.name,
            book=StoredGatewayBook(uow, self.name, PURSE_HOLDS),
        )
        return gateway, purses

    def _perform(self, act: Callable[[PurseGateway], R]) -> R:
        return perform_stored(self._run, self._gateway, act)

    def authorize(
        self, instrument: Instrument, amount: Money, *, reference: str, idempotency_key: str
    ) -> GatewayResponse:
        """Reserve ``amount`` on the buyer's purse ``instrument.reference`` for the payment
        ``reference`` (see :class:`~ecservice.payments.PurseGateway`), or decline: a purse
        that does not hold ``amount`` beyond its open authorisations, an unknown purse, the
        merchant's own.

        Raises:
            AggregateNotFound: the merchant's purse is not stored.
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
        """Transfer ``amount`` of the stored authorisation ``authorization`` from the buyer's
        purse to the merchant's (capturing it again with the same amount replays the first
        capture); declined if the purse no longer holds it.

        Raises:
            AggregateNotFound: the merchant's purse is not stored.
            ValidationError: no such authorisation, or a bad key.
            InvalidAmount: ``amount`` is not a Money.
            IdempotencyConflict: ``idempotency_key`` was used for another request.
            TransientStorageError: every attempt failed.
        """
        return self._perform(
            lambda gw: gw.capture(authorization, amount, idempotency_key=idempotency_key)
        )

    def void(self, authorization: str, *, idempotency_key: str) -> GatewayResponse:
        """Forget the stored authorisation ``authorization`` (again: a replay); what it
        reserved on the purse is free again.

        Raises:
            AggregateNotFound: the merchant's purse is not stored.
            ValidationError: no such authorisation, or a bad key.
            IdempotencyConflict: ``idempotency_key`` was used for another request.
            TransientStorageError: every attempt failed.
        """
        return self._perform(lambda gw: gw.void(authorization, idempotency_key=idempotency_key))

    def refund(self, capture: str, amount: Money, *, idempotency_key: str) -> GatewayResponse:
        """Transfer ``amount`` of the stored capture ``capture`` back from the merchant's purse
        to the buyer's; declined beyond what is left of the capture or what the merchant's
        purse holds.

        Raises:
            AggregateNotFound: the merchant's purse is not stored.
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
        return stored_outcome(self._run, self.name, PURSE_HOLDS, idempotency_key)

    def reserved(self, purse_id: str) -> dict[str, Money]:
        """The open authorisations on the stored purse ``purse_id``, by reference, with their
        amounts (what :meth:`authorize` keeps back on it).

        Raises:
            ValidationError: ``purse_id`` is not acceptable text.
            DocumentError: the stored list is malformed.
            TransientStorageError: every attempt failed.
        """
        return stored_reservations(self._run, self.name, PURSE_HOLDS, purse_id, "purse_id")

    def in_limbo(self) -> tuple[PaymentDetails, ...]:
        """The transfers between the merchant's stored purse and a buyer's that stopped with
        the value debited and not credited, as both purses' stored exception logs record them
        (:attr:`PurseGateway.in_limbo <ecservice.payments.PurseGateway.in_limbo>`); recover
        them through the :class:`~ecservice.payments.mondex.Archive`.

        Raises:
            AggregateNotFound: the merchant's purse is not stored.
            TransientStorageError: every attempt failed.
        """
        return self._run(lambda uow: self._gateway(uow)[0].in_limbo)
