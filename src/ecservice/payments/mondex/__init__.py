"""Mondex-style stored-value purses and their purse-to-purse value transfer protocol.

After the Mondex electronic purse (Stepney, Cooper, Woodcock, *An Electronic Purse:
Specification, Refinement, and Proof*, 2000). A :class:`Purse` is anonymous, like cash, and holds
balances in several currencies. Value moves between two purses in five messages: the terminal
sends :class:`StartFrom` to the payer and :class:`StartTo` to the payee; the payee sends
:class:`Req`; the payer debits and sends :class:`Val`; the payee credits and sends :class:`Ack`.
Either purse may :meth:`~Purse.abort` at any time; if value may be in limbo it logs the payment,
and the :class:`Archive` later finds the payments that are definitely lost (debited, never
credited) and refunds them to the payer, once. :func:`audit` accounts for every unit of value.

>>> from ecservice.money import Money
>>> alice = Purse("alice", balances=[Money("100.00", "CNY")])
>>> bob = Purse("bob")
>>> result = transfer(alice, bob, Money("30.00", "CNY"))
>>> result.completed, alice.balance("CNY"), bob.balance("CNY")
(True, Money('70.00', 'CNY'), Money('30.00', 'CNY'))
>>> str(result.details)
'alice#0 -> bob#0: 30.00 CNY'

A lost message and two aborts: the value is lost, then recovered from the archive.

>>> net = Network([alice, bob])
>>> details = net.start_transfer("alice", "bob", Money("5.00", "CNY"))
>>> net.deliver().debited                  # alice gets Req, debits, sends Val
Money('5.00', 'CNY')
>>> net.drop()                             # ... which is lost
Val(details=PaymentDetails(from_purse='alice', to_purse='bob', ...))
>>> _ = net.abort("alice"), net.abort("bob")
>>> archive = Archive()
>>> _ = archive.collect(alice), archive.collect(bob)
>>> archive.lost_value("CNY")
Money('5.00', 'CNY')
>>> archive.recover(details, alice).refunded, alice.balance("CNY")
(Money('5.00', 'CNY'), Money('70.00', 'CNY'))
"""

from ecservice.payments.mondex._archive import Archive, Recovery, Side
from ecservice.payments.mondex._audit import Audit, audit
from ecservice.payments.mondex._balances import Balances
from ecservice.payments.mondex._errors import (
    BalanceLimitExceeded,
    PaymentNotLost,
    RateUnavailable,
    SelfTransfer,
    UnsafeRates,
)
from ecservice.payments.mondex._messages import (
    Ack,
    IgnoreReason,
    Message,
    Outcome,
    PaymentDetails,
    ProtocolMessage,
    Req,
    StartFrom,
    StartTo,
    Val,
)
from ecservice.payments.mondex._network import Network, TransferResult, transfer
from ecservice.payments.mondex._purse import (
    LOGGED_ON_ABORT,
    PURSE_WORKFLOW,
    TRANSITIONS,
    TRIGGERS,
    LogArchive,
    Purse,
    PurseStatus,
)
from ecservice.payments.mondex._rates import ROUNDING_MODES, Conversion, RateSource, RateTable

__all__ = [
    "LOGGED_ON_ABORT",
    "PURSE_WORKFLOW",
    "ROUNDING_MODES",
    "TRANSITIONS",
    "TRIGGERS",
    "Ack",
    "Archive",
    "Audit",
    "BalanceLimitExceeded",
    "Balances",
    "Conversion",
    "IgnoreReason",
    "LogArchive",
    "Message",
    "Network",
    "Outcome",
    "PaymentDetails",
    "PaymentNotLost",
    "ProtocolMessage",
    "Purse",
    "PurseStatus",
    "RateSource",
    "RateTable",
    "RateUnavailable",
    "Recovery",
    "Req",
    "SelfTransfer",
    "Side",
    "StartFrom",
    "StartTo",
    "TransferResult",
    "UnsafeRates",
    "Val",
    "audit",
    "transfer",
]
