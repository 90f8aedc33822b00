"""Payments as documents."""

from __future__ import annotations

from typing import Final

from ecservice.clock import SYSTEM_CLOCK, Clock
from ecservice.payments import Payment
from ecservice.storage._aggregate import AggregateSerializer
from ecservice.storage._document import Document

__all__ = ["PAYMENT_SERIALIZER", "dump_payment", "load_payment"]

#: Writes and reads :class:`~ecservice.payments.Payment` objects as ``"payment"`` documents.
PAYMENT_SERIALIZER: Final[AggregateSerializer[Payment]] = AggregateSerializer(Payment, "payment")


def dump_payment(payment: Payment) -> Document:
    """A :class:`~ecservice.payments.Payment` as a ``"payment"`` document.

    The body holds ``status``, ``order_id``, ``amount``, ``instrument``, ``authorization``,
    ``authorized``, ``capture_reference``, ``captured``, ``refunds``, ``failure``,
    ``idempotency`` (``[key, fingerprint, version]`` triples: a reloaded payment still answers
    retries with their first outcome) and ``history``.

    Raises:
        DocumentError: ``payment`` is not exactly a ``Payment``.
    """
    return PAYMENT_SERIALIZER.dump(payment)


def load_payment(document: object, *, clock: Clock = SYSTEM_CLOCK) -> Payment:
    """The :class:`~ecservice.payments.Payment` a ``"payment"`` document holds, checked by its
    constructor (see its "Loading" section).

    Raises:
        DocumentError: a malformed document.
        UnsupportedSchemaVersion: a schema version newer than this code's.
        DocumentError: the constructor refused the values (its error is the ``__cause__``).
    """
    return PAYMENT_SERIALIZER.load(document, clock=clock)
