"""Where an order's payments stand: the outcome of paying it, the ids of its attempts and the
stored attempts (used by :class:`~ecservice.application.OrderService` and the privacy and
after-sales use cases)."""

from __future__ import annotations

from typing import Any, Final

import attrs

from ecservice.orders import Order, OrderStatus
from ecservice.payments import Payment, PaymentStatus
from ecservice.storage import UnitOfWork

__all__ = [
    "CAPTURED",
    "ENDED_ATTEMPT",
    "MAX_ATTEMPTS",
    "PaymentOutcome",
    "outcome_of",
    "payment_id",
    "payments_of",
]

#: The statuses of a payment that took the money (captured, then possibly refunded).
CAPTURED: Final = frozenset(
    {PaymentStatus.CAPTURED, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED}
)
#: Most payments (attempts) one order can have: the limit of ``OrderPayments.open``.
MAX_ATTEMPTS: Final = 999


@attrs.frozen(kw_only=True)
class PaymentOutcome:
    """Where an order's payment stands after :meth:`OrderService.pay`.

    Args:
        order_id: the order.
        payment_id: the payment of the attempt that ran (or that had already paid the order).
        payment_status: the payment's status: ``CAPTURED`` when it paid the order, ``FAILED``
            when the gateway declined it (pay again to make the next attempt).
        order_status: the order's status (``PROCESSING`` once paid; ``ON_HOLD`` when the
            order is held: the payment is taken, and the order is confirmed when staff
            release it).
    """

    order_id: str
    payment_id: str
    payment_status: PaymentStatus
    order_status: OrderStatus

    @property
    def paid(self) -> bool:
        """The order was paid (by this payment)."""
        captured = self.payment_status in CAPTURED
        return captured and self.order_status is not OrderStatus.PENDING_CONFIRMATION

    @property
    def attempt(self) -> int:
        """The attempt number of :attr:`payment_id` (1 for ``{order_id}-PAY``)."""
        base = f"{self.order_id}-PAY"
        if self.payment_id == base:
            return 1
        tail = self.payment_id.removeprefix(base + "-")
        return int(tail) if tail.isdigit() else 1

    @property
    def next_attempt(self) -> int:
        """The attempt to make after a decline."""
        return self.attempt + 1


#: The states in which an attempt can take no more money, so that the next may start.
ENDED_ATTEMPT: Final = frozenset({PaymentStatus.FAILED, PaymentStatus.VOIDED})


def payment_id(order_id: str, attempt: int) -> str:
    """The id :meth:`~ecservice.payments.OrderPayments.open` gives attempt ``attempt``."""
    return f"{order_id}-PAY" if attempt == 1 else f"{order_id}-PAY-{attempt}"


def payments_of(uow: UnitOfWork, order_id: str) -> list[Payment]:
    """The stored payments of an order, attempt 1 first.

    Attempts are opened one after another (the next one only once the previous one failed), so
    their ids are ``{order_id}-PAY``, ``{order_id}-PAY-2``, ... without gaps: the list ends at
    the first id that is not stored.
    """
    found: list[Payment] = []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        payment = uow.payments.find(payment_id(order_id, attempt))
        if payment is None:
            break
        found.append(payment)
    return found


def outcome_of(order: Order[Any], payment: Payment) -> PaymentOutcome:
    """Where ``payment`` leaves ``order``, as :meth:`OrderService.pay
    <ecservice.application.OrderService.pay>` answers."""
    return PaymentOutcome(
        order_id=order.id,
        payment_id=payment.id,
        payment_status=payment.status,
        order_status=order.status,
    )
