"""Orders and their payments together: pay to start processing, reconcile what is owed back.

How the keys are made (every gateway call of :class:`OrderPayments` uses one; ``P`` is the
payment id):

* ``P:authorize``, ``P:capture``, ``P:void``: a payment is authorised, captured and voided at
  most once, so one key each.
* ``P:refund:N`` for the payment's N-th refund, where N is one more than the number of refunds
  the payment has recorded. The key names the refund's *position*, not its amount. A retry
  after a lost answer, or a second copy of the payment, computes the same N and so the same key:
  the gateway replays its stored answer and the payment records it, instead of refunding again.
  If the amount owed changed in between (more lines cancelled), the same key now carries
  another amount: a gateway that can tell what it did (:class:`OutcomeLookup`) is asked first
  and the payment records the N-th refund as it happened, then refunds the rest as refund N+1;
  any other gateway raises :class:`~ecservice.errors.IdempotencyConflict` rather than refund
  twice. (A key that also held the amount would let two attempts at the N-th refund with
  different amounts both be paid.)
"""

from __future__ import annotations

from typing import Any, Final, final

from ecservice.errors import PolicyViolation, ValidationError
from ecservice.money import Money
from ecservice.orders import Order, OrderStatus
from ecservice.payments._gateway import (
    GatewayResponse,
    Instrument,
    OutcomeLookup,
    PaymentGateway,
)
from ecservice.payments._payment import Payment
from ecservice.payments._payment_events import PaymentStatus
from ecservice.workflow import Actor, TransitionRecord

__all__ = ["OrderPayments"]

_CAPTURED: Final = frozenset(
    {PaymentStatus.CAPTURED, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED}
)
#: How many refunds one reconciliation may record: one owed, plus ones a lost answer left behind.
_MAX_REFUNDS_PER_SETTLE: Final = 16


@final
class OrderPayments:
    """Coordinates an :class:`~ecservice.orders.Order` with its :class:`Payment`.

    * :meth:`pay` authorises the order's amount due and captures what is due at capture time;
      once captured, an order still awaiting confirmation is confirmed, so it enters processing
      (正在处理). It refuses a cancelled order and any order with nothing due.
    * :meth:`settle` reconciles the payment with the order from their state alone: what the
      payment kept (captured minus refunded) beyond the order's
      :attr:`~ecservice.orders.Order.amount_due` is refunded to the instrument that paid, and an
      uncaptured authorisation of an order with nothing due is voided. It can be run again any
      number of times (after a decline, a timeout, a crash, before or after capture): with a
      healthy gateway it ends with ``captured - refunded == order.amount_due``. It does not take
      the order's events: :class:`~ecservice.orders.RefundDue` and the others stay for the
      caller's outbox, and no money depends on who reads them.

    Every gateway call uses an idempotency key derived from the payment's state (see the module
    documentation), so running a step again, or from a second copy of the payment, never
    charges or refunds twice. When the gateway implements :class:`OutcomeLookup`, the
    coordinator asks it first what it already did under the key, so that a payment whose answer
    was lost catches up with the gateway.

    Args:
        gateway: the gateway that moves the money.
        actor: who the payment's and order's history records (default ``Actor.system("payments")``).
    """

    def __init__(self, gateway: PaymentGateway, *, actor: Actor | None = None) -> None:
        if not isinstance(gateway, PaymentGateway):
            raise ValidationError(
                f"OrderPayments needs a PaymentGateway, not {type(gateway).__name__}"
            )
        if actor is not None and not isinstance(actor, Actor):
            raise ValidationError(f"actor must be an Actor, not {type(actor).__name__}")
        self.gateway = gateway
        self.actor = actor or Actor.system("payments")

    # --- checks --------------------------------------------------------------------------------

    @staticmethod
    def _check_pair(order: object, payment: object) -> tuple[Order[Any], Payment]:
        if not isinstance(order, Order):
            raise ValidationError(f"expected an Order, not {type(order).__name__}")
        if not isinstance(payment, Payment):
            raise ValidationError(f"expected a Payment, not {type(payment).__name__}")
        if payment.order_id != order.id:
            raise ValidationError(f"payment {payment.id!r} belongs to order {payment.order_id!r}")
        if payment.amount.currency != order.currency:
            raise ValidationError(
                f"payment {payment.id!r} is in {payment.amount.currency.code}, "
                f"order {order.id!r} in {order.currency.code}"
            )
        return order, payment

    @staticmethod
    def _something_due(order: Order[Any]) -> None:
        if order.status is OrderStatus.CANCELLED or order.amount_due.is_zero():
            raise PolicyViolation(
                f"order {order.id!r} is {order.status.value} with {order.amount_due} due: there is "
                "nothing to pay; pay an order that still owes something"
            )

    def _known(self, key: str) -> GatewayResponse | None:
        """What the gateway already did under ``key`` (approved), if it can tell."""
        if not isinstance(self.gateway, OutcomeLookup):
            return None
        found = self.gateway.outcome(key)
        return found if found is not None and found.approved else None

    # --- opening and paying --------------------------------------------------------------------

    def open(
        self, order: Order[Any], instrument: Instrument, *, payment_id: str | None = None
    ) -> Payment:
        """A pending payment of the order's amount due with ``instrument``.

        Raises:
            PolicyViolation: the order is cancelled or has nothing due.
            ValidationError: not an order or instrument, or a bad ``payment_id``.
        """
        if not isinstance(order, Order):
            raise ValidationError(f"expected an Order, not {type(order).__name__}")
        self._something_due(order)
        return Payment(
            id=f"{order.id}-PAY" if payment_id is None else payment_id,
            order_id=order.id,
            amount=order.amount_due,
            instrument=instrument,
            clock=order.clock,
        )

    def pay(self, order: Order[Any], payment: Payment) -> TransitionRecord:
        """Authorise, then capture what the order owes now; confirm the order once captured.

        Safe to run again: a payment already captured is not charged again (the order is still
        confirmed if a crash came between the capture and the confirmation), and an answer lost
        at authorisation or capture is recovered with the same key. If lines were cancelled
        between authorisation and capture, only ``order.amount_due`` is captured (the rest of
        the hold is released).

        Returns:
            The payment's ``capture`` record on success, or its ``authorize`` record (to FAILED)
            when the gateway declined.

        Raises:
            PolicyViolation: the order is cancelled or has nothing due, or the payment is voided.
            ValidationError: the payment belongs to another order, or is for less than the
                order owes.
            PaymentDeclined: the gateway refused the capture; nothing changed.
        """
        order, payment = self._check_pair(order, payment)
        if payment.status in _CAPTURED:
            record = next(r for r in reversed(payment.history) if r.trigger == "capture")
            self._confirm(order, payment)
            return record
        if payment.status is PaymentStatus.FAILED:
            return payment.history[-1]
        if payment.status is PaymentStatus.VOIDED:
            raise PolicyViolation(
                f"payment {payment.id!r} was voided; open a new payment for order {order.id!r}"
            )
        self._something_due(order)
        due = order.amount_due
        if due > payment.amount:
            raise ValidationError(
                f"payment {payment.id!r} is for {payment.amount}, less than the {due} order "
                f"{order.id!r} owes; open a payment for the amount due"
            )
        record = payment.authorize(
            self.gateway, idempotency_key=f"{payment.id}:authorize", actor=self.actor
        )
        if payment.is_final:  # FAILED: the gateway declined
            return record
        key = f"{payment.id}:capture"
        known = self._known(key)
        take = known.amount if known is not None and known.amount is not None else due
        record = payment.capture(self.gateway, take, idempotency_key=key, actor=self.actor)
        self._confirm(order, payment)
        return record

    def _confirm(self, order: Order[Any], payment: Payment) -> None:
        if order.status is OrderStatus.PENDING_CONFIRMATION:
            order.confirm(actor=self.actor, note=f"payment {payment.id} captured")

    # --- reconciling ---------------------------------------------------------------------------

    def owed(self, order: Order[Any], payment: Payment) -> Money:
        """What the payment should still give back: what it kept (captured minus refunded)
        beyond the order's amount due, never below zero.

        Raises:
            ValidationError: the payment belongs to another order.
        """
        order, payment = self._check_pair(order, payment)
        extra = payment.net - order.amount_due
        return Money.zero(order.currency) if extra.is_negative() else extra

    def settle(self, order: Order[Any], payment: Payment) -> tuple[TransitionRecord, ...]:
        """Reconcile the payment with the order; return the payment records it appended.

        1. If the gateway can tell (:class:`OutcomeLookup`), an authorisation or capture it made
           whose answer was lost is recorded first.
        2. An authorised, uncaptured payment of an order with nothing due (cancelled) is voided.
        3. A captured payment refunds :meth:`owed`, with the key ``{payment.id}:refund:{N}``
           (see the module documentation); refunds a lost answer left unrecorded are recorded
           first.

        The order is not changed and its events are not taken. Run it after any change of the
        order, and again after a failure: it converges.

        Raises:
            ValidationError: the payment belongs to another order.
            PaymentDeclined: the gateway refused the void or refund; run again later.
            IdempotencyConflict: a key was used for another amount at a gateway that cannot
                tell what it did under it.
        """
        order, payment = self._check_pair(order, payment)
        done: list[TransitionRecord] = []
        reason = self._reason(order)
        if payment.status is PaymentStatus.PENDING and self._known(f"{payment.id}:authorize"):
            done.append(
                payment.authorize(
                    self.gateway, idempotency_key=f"{payment.id}:authorize", actor=self.actor
                )
            )
        if payment.status is PaymentStatus.AUTHORIZED:
            captured = self._known(f"{payment.id}:capture")
            # A gateway that does not say the amount gets the request pay would make now: it
            # replays its answer if that is the same request, or raises IdempotencyConflict.
            take = None
            if captured is not None:
                take = order.amount_due if captured.amount is None else captured.amount
            if take is not None and not take.is_zero():
                done.append(
                    payment.capture(
                        self.gateway,
                        take,
                        idempotency_key=f"{payment.id}:capture",
                        actor=self.actor,
                    )
                )
            elif order.amount_due.is_zero():
                done.append(
                    payment.void(
                        self.gateway,
                        idempotency_key=f"{payment.id}:void",
                        actor=self.actor,
                        note=reason,
                    )
                )
        for _ in range(_MAX_REFUNDS_PER_SETTLE):
            if payment.status not in (PaymentStatus.CAPTURED, PaymentStatus.PARTIALLY_REFUNDED):
                break
            key = f"{payment.id}:refund:{len(payment.refunds) + 1}"
            known = self._known(key)
            if known is not None and known.amount is not None:
                amount = known.amount  # made before, its answer lost: record it as it happened
            else:
                amount = self.owed(order, payment)
                if amount.is_zero():
                    break
            done.append(
                payment.refund(
                    self.gateway, amount, reason=reason, idempotency_key=key, actor=self.actor
                )
            )
        return tuple(done)

    @staticmethod
    def _reason(order: Order[Any]) -> str:
        """The refund reason, from the order's state: its latest cancellation's reason."""
        if order.cancellations:
            return order.cancellations[-1].reason
        return "order amount reduced"

    def cancel(
        self, order: Order[Any], payment: Payment, *, reason: str, actor: Actor
    ) -> tuple[TransitionRecord, ...]:
        """Cancel the order (for example when it is out of stock) and settle: what was paid is
        refunded, or the authorisation voided. Returns the payment records :meth:`settle` made;
        the order's events stay queued for the caller's outbox.
        """
        self._check_pair(order, payment)
        order.cancel(reason=reason, actor=actor)
        return self.settle(order, payment)
