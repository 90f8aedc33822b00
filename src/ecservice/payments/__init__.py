"""Payments: the payment workflow and its gateways; e-wallets, e-cash and stored-value purses.

This package holds what every shop needs (:class:`Payment`, :class:`PaymentGateway`,
:class:`InMemoryGateway`, :class:`OrderPayments`) and the gateways that pay with the library's own
instruments (:class:`EcashGateway`, :class:`PurseGateway`, :class:`WalletGateway`). The
instruments live in subpackages, two of which need the ``crypto`` extra
(``pip install 'ecservice[crypto]'``): :mod:`ecservice.payments.wallet`,
:mod:`ecservice.payments.ecash`; :mod:`ecservice.payments.mondex` needs nothing more.
"""

from ecservice.errors import IdempotencyConflict
from ecservice.payments._gateway import (
    GatewayResponse,
    Instrument,
    InstrumentKind,
    OutcomeLookup,
    PaymentGateway,
)
from ecservice.payments._memory_gateway import InMemoryGateway
from ecservice.payments._orders import OrderPayments
from ecservice.payments._payment import Payment
from ecservice.payments._payment_events import (
    GatewayAnswerMismatch,
    OutcomeUnknown,
    PaymentAuthorized,
    PaymentCaptured,
    PaymentDeclined,
    PaymentFailed,
    PaymentRefunded,
    PaymentStatus,
    PaymentVoided,
    RefundKind,
    RefundRecord,
)
from ecservice.payments._payment_workflow import PAYMENT_WORKFLOW
from ecservice.payments.gateways import (
    AuthorizationState,
    EcashGateway,
    PurseGateway,
    WalletGateway,
)

__all__ = [
    "PAYMENT_WORKFLOW",
    "AuthorizationState",
    "EcashGateway",
    "GatewayAnswerMismatch",
    "GatewayResponse",
    "IdempotencyConflict",
    "InMemoryGateway",
    "Instrument",
    "InstrumentKind",
    "OrderPayments",
    "OutcomeLookup",
    "OutcomeUnknown",
    "Payment",
    "PaymentAuthorized",
    "PaymentCaptured",
    "PaymentDeclined",
    "PaymentFailed",
    "PaymentGateway",
    "PaymentRefunded",
    "PaymentStatus",
    "PaymentVoided",
    "PurseGateway",
    "RefundKind",
    "RefundRecord",
    "WalletGateway",
]
