"""Orders and their payments together: pay to start processing, refund what gets cancelled."""

from __future__ import annotations

from typing import final

from ecservice.errors import ValidationError
from ecservice.orders import Order, OrderStatus, RefundDue
from ecservice.payments._gateway import Instrument, PaymentGateway
from ecservice.payments._payment import Payment, PaymentStatus
from ecservice.workflow import Actor, DomainEvent, TransitionRecord

__all__ = ["OrderPayments"]


@final
class OrderPayments:
    """Coordinates an :class:`~ecservice.orders.Order` with its :class:`Payment`.

    * :meth:`pay` authorises and captures the order's amount due; once captured, an order still
      awaiting confirmation is confirmed, so it enters processing (正在处理).
    * :meth:`settle` reacts to the order's :class:`~ecservice.orders.RefundDue` events: each is
      refunded to the instrument that paid (or, before capture, the authorisation is voided when
      the whole order was cancelled). Cancelling an out-of-stock order through :meth:`cancel`
      therefore refunds automatically.

    Every gateway call uses an idempotency key derived from the order, so running a step again
    after a crash never charges or refunds twice.
    """

    def __init__(self, gateway: PaymentGateway, *, actor: Actor | None = None) -> None:
        self.gateway = gateway
        self.actor = actor or Actor.system("payments")

    def open(
        self, order: Order, instrument: Instrument, *, payment_id: str | None = None
    ) -> Payment:
        """A pending payment of the order's amount due with ``instrument``."""
        return Payment(
            id=payment_id or f"{order.id}-PAY",
            order_id=order.id,
            amount=order.amount_due,
            instrument=instrument,
            clock=order.clock,
        )

    def pay(self, order: Order, payment: Payment) -> TransitionRecord:
        """Authorise and capture; confirm the order once the money is captured.

        Returns the payment's last history record: ``capture`` on success, ``authorize`` (to
        FAILED) when the gateway declined.
        """
        if payment.order_id != order.id:
            raise ValidationError(f"payment {payment.id!r} belongs to order {payment.order_id!r}")
        record = payment.authorize(
            self.gateway, idempotency_key=f"{payment.id}:authorize", actor=self.actor
        )
        if payment.status is PaymentStatus.FAILED:
            return record
        record = payment.capture(
            self.gateway, idempotency_key=f"{payment.id}:capture", actor=self.actor
        )
        if order.status is OrderStatus.PENDING_CONFIRMATION:
            order.confirm(actor=self.actor, note=f"payment {payment.id} captured")
        return record

    def settle(self, order: Order, payment: Payment) -> tuple[DomainEvent, ...]:
        """Pull the order's events, refund every ``RefundDue`` and return the events.

        The caller still receives every event (for its outbox); refunds already made for the same
        event are not repeated.
        """
        events = order.pull_events()
        for event in events:
            if not isinstance(event, RefundDue):
                continue
            if payment.status is PaymentStatus.AUTHORIZED and order.status is OrderStatus.CANCELLED:
                payment.void(
                    self.gateway,
                    idempotency_key=f"{payment.id}:void",
                    actor=self.actor,
                    note=event.reason,
                )
                continue
            if payment.status not in (PaymentStatus.CAPTURED, PaymentStatus.PARTIALLY_REFUNDED):
                continue
            amount = min(event.amount, payment.refundable)
            if amount.is_zero():
                continue
            payment.refund(
                self.gateway,
                amount,
                reason=event.reason or "cancelled",
                idempotency_key=f"{order.id}:refund:v{event.order_version}",
                actor=self.actor,
            )
        return events

    def cancel(
        self, order: Order, payment: Payment, *, reason: str, actor: Actor
    ) -> tuple[DomainEvent, ...]:
        """Cancel the order (for example when it is out of stock) and refund what was paid."""
        order.cancel(reason=reason, actor=actor)
        return self.settle(order, payment)
