"""Payments: the payment workflow and its gateways; e-wallets, e-cash and stored-value purses.

This package holds what every shop needs (:class:`Payment`, :class:`PaymentGateway`,
:class:`InMemoryGateway`, :class:`OrderPayments`). The instruments live in subpackages that need
the ``crypto`` extra (``pip install 'ecservice[crypto]'``): :mod:`ecservice.payments.wallet`,
:mod:`ecservice.payments.ecash` and :mod:`ecservice.payments.mondex`.
"""

from ecservice.payments._gateway import GatewayResponse, Instrument, InstrumentKind, PaymentGateway
from ecservice.payments._memory_gateway import InMemoryGateway
from ecservice.payments._orders import OrderPayments
from ecservice.payments._payment import (
    PAYMENT_WORKFLOW,
    IdempotencyConflict,
    Payment,
    PaymentAuthorized,
    PaymentCaptured,
    PaymentDeclined,
    PaymentFailed,
    PaymentRefunded,
    PaymentStatus,
    PaymentVoided,
    RefundRecord,
)

__all__ = [
    "PAYMENT_WORKFLOW",
    "GatewayResponse",
    "IdempotencyConflict",
    "InMemoryGateway",
    "Instrument",
    "InstrumentKind",
    "OrderPayments",
    "Payment",
    "PaymentAuthorized",
    "PaymentCaptured",
    "PaymentDeclined",
    "PaymentFailed",
    "PaymentGateway",
    "PaymentRefunded",
    "PaymentStatus",
    "PaymentVoided",
    "RefundRecord",
]
