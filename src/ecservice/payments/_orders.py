"""Orders and their payments together: pay to start processing, reconcile what is owed back.

How the payment ids and keys are made (every gateway call of :class:`OrderPayments` uses a key;
``P`` is the payment id):

* ``O-PAY`` for the first attempt to pay order ``O``, ``O-PAY-N`` for attempt N (``N >= 2``,
  chosen by the caller: one more than the attempts already made, e.g. after a declined card).
  An id depends only on the order and the attempt, so a run again after a crash opens the same
  payment and reaches the same keys.
* ``P:authorize``, ``P:capture``, ``P:void``: a payment is authorised, captured and voided at
  most once, so one key each.
* ``P:refund:N`` for the payment's N-th ``SETTLEMENT`` refund, where N is one more than the number
  of such refunds the payment has recorded (refunds by hand have keys of their own and are not
  counted, so a copy of the payment that does not know of one reaches the same N). The key names
  the refund's *position*, not its amount. A retry after a lost answer, or a second copy of the
  payment, computes the same N and so the same key: the gateway replays its stored answer and the
  payment records it, instead of refunding again. If the amount owed changed in between (more
  lines cancelled), the same key now carries another amount: a gateway that can tell what it did
  (:class:`OutcomeLookup`) is asked first and the payment records the N-th refund as it happened,
  then refunds the rest as refund N+1; any other gateway raises :class:`OutcomeUnknown` rather
  than refund twice, and :meth:`OrderPayments.recover` records what the earlier request did. (A
  key that also held the amount would let two attempts at the N-th refund with different amounts
  both be paid.)

The ``P:`` namespace is reserved: :meth:`Payment.refund` refuses a caller's key that starts with
the payment id and a colon, since a refund by hand under ``P:refund:N`` would stand in for the
N-th settlement refund and block reconciliation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, TypeVar, final

from ecservice.errors import (
    IdempotencyConflict,
    InsufficientFunds,
    PolicyViolation,
    ValidationError,
)
from ecservice.money import Money
from ecservice.orders import Order, OrderStatus
from ecservice.payments._gateway import (
    GatewayResponse,
    Instrument,
    OutcomeLookup,
    PaymentGateway,
)
from ecservice.payments._payment import Payment
from ecservice.payments._payment_events import (
    OutcomeUnknown,
    PaymentDeclined,
    PaymentStatus,
    RefundKind,
)
from ecservice.workflow import Actor, TransitionRecord

__all__ = ["OrderPayments"]

_T = TypeVar("_T")

_CAPTURED: Final = frozenset(
    {PaymentStatus.CAPTURED, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED}
)
_REFUNDABLE: Final = frozenset({PaymentStatus.CAPTURED, PaymentStatus.PARTIALLY_REFUNDED})
#: How many refunds one reconciliation may record: one owed, plus ones a lost answer left behind.
_MAX_REFUNDS_PER_SETTLE: Final = 16
#: The note :meth:`OrderPayments.pay` confirms an order with: ``payment {id} captured``.
_PAID_PREFIX: Final = "payment "
_PAID_SUFFIX: Final = " captured"
#: The largest attempt number :meth:`OrderPayments.open` accepts.
MAX_ATTEMPTS: Final = 999


@final
class OrderPayments:
    """Coordinates an :class:`~ecservice.orders.Order` with its :class:`Payment`.

    * :meth:`open` makes the payment of one attempt to pay (its id from the order id and the
      attempt number); after a decline the buyer tries again with ``attempt`` one higher.
    * :meth:`pay` authorises and captures what the order owes *now* (its
      :attr:`~ecservice.orders.Order.amount_due`, which may be less than the payment's amount
      when lines were cancelled since it was opened); once that is captured, the order is
      confirmed, so it enters processing (正在处理). It refuses an order that no longer awaits
      payment (not awaiting confirmation, cancelled, nothing due), so one order has one live
      payment; the same ``pay(order, payment)`` run again returns its first record.
    * The payment whose capture confirmed the order is its *paying* payment (:meth:`paid_by`,
      read from the order's ``confirm`` record, ``payment {id} captured``). Every other payment
      of a confirmed order is *superseded* and owes back all it holds: :meth:`settle` voids its
      authorisation and refunds all it captured, :meth:`owed` is everything left to refund, and
      :meth:`pay` refuses it. The rule needs only the order and the payment, so money taken by
      an attempt whose answer was lost while the next attempt paid is given back.
    * :meth:`settle` reconciles the payment with the order from their state alone: what the
      order's cancellations freed (``captured - settled refunds - amount_due``) is refunded to
      the instrument that paid, and an uncaptured authorisation of an order with nothing due is
      voided. Refunds made by hand (``RefundKind.MANUAL``: goodwill, compensation) are not
      counted against the amount due. It can be run again any number of times (after a decline,
      a timeout, a crash, before or after capture). With a healthy gateway, once the payment is
      captured and settled: ``captured - settled == order.amount_due``, where ``settled`` is
      the sum of its ``SETTLEMENT`` refunds; if manual refunds left less than that to refund,
      everything captured is refunded (``refunded == captured``) instead. It does not take the
      order's events: :class:`~ecservice.orders.RefundDue` and the others stay for the
      caller's outbox, and no money depends on who reads them.
    * :meth:`recover` records what an earlier request did at a gateway that cannot tell
      (no :class:`OutcomeLookup`), when its answer was lost and the order changed since.

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
    def _awaiting(order: Order[Any]) -> None:
        """Refuse an order that does not await payment: one awaits it while it awaits
        confirmation, or is on hold (异常挂起) from there, and owes something. A held order is
        paid but not confirmed (:meth:`_confirm`): its release, back to awaiting
        confirmation, lets the captured payment confirm it."""
        status = order.status
        waiting = status is OrderStatus.PENDING_CONFIRMATION or (
            status is OrderStatus.ON_HOLD and order.held_from is OrderStatus.PENDING_CONFIRMATION
        )
        if not waiting or order.amount_due.is_zero():
            raise PolicyViolation(
                f"order {order.id!r} is {order.status.value} with {order.amount_due} due: there "
                "is nothing to pay (an order is paid while it awaits confirmation and owes "
                "something, by one payment)"
            )

    @staticmethod
    def paid_by(order: Order[Any]) -> str | None:
        """The id of the payment whose capture confirmed ``order``, or None.

        Read from the order's ``confirm`` history record, whose note :meth:`pay` writes as
        ``payment {id} captured``; None while the order is unconfirmed, or when it was confirmed
        otherwise (by hand, with another note).

        Raises:
            ValidationError: ``order`` is not an Order.
        """
        if not isinstance(order, Order):
            raise ValidationError(f"expected an Order, not {type(order).__name__}")
        for record in order.history:
            if record.trigger == "confirm":
                note = record.note
                if note.startswith(_PAID_PREFIX) and note.endswith(_PAID_SUFFIX):
                    return note[len(_PAID_PREFIX) : -len(_PAID_SUFFIX)] or None
                return None
        return None

    def _superseded(self, order: Order[Any], payment: Payment) -> bool:
        """Another payment confirmed the order, so this one owes back all it holds."""
        paying = self.paid_by(order)
        return paying is not None and paying != payment.id

    def _known(self, key: str) -> GatewayResponse | None:
        """What the gateway already did under ``key`` (approved), if it can tell."""
        if not isinstance(self.gateway, OutcomeLookup):
            return None
        found = self.gateway.outcome(key)
        return found if found is not None and found.approved else None

    def _unknown(self, payment: Payment, key: str, call: Callable[[], _T]) -> _T:
        """``call()``; a conflict under ``key`` at a gateway that cannot tell what it did
        becomes :class:`OutcomeUnknown`, saying how to recover."""
        try:
            return call()
        except OutcomeUnknown:
            raise
        except IdempotencyConflict as exc:
            if isinstance(self.gateway, OutcomeLookup):
                if not key.endswith(":authorize"):
                    raise
                raise IdempotencyConflict(
                    f"{exc}. Payment id {payment.id!r} was used by an earlier attempt with "
                    "another instrument or amount: open the next attempt instead, "
                    "OrderPayments.open(order, instrument, attempt=N)"
                ) from exc
            raise OutcomeUnknown(
                f"{exc}. The gateway holds an earlier request of payment {payment.id!r} under "
                f"key {key!r}, whose answer was lost, for another amount, and cannot say what "
                "it did. Do not send it under a new key: that could move the money twice. Ask "
                f"the provider what it did under request number {key!r} and call "
                "OrderPayments.recover(order, payment, amount) with that amount (if the "
                "provider has no record of it, with the amount to move now); then run the "
                "step again. If this payment id was used by an earlier attempt with another "
                "instrument or amount, open the next attempt instead: "
                "OrderPayments.open(order, instrument, attempt=N)"
            ) from exc

    # --- opening and paying --------------------------------------------------------------------

    def open(
        self,
        order: Order[Any],
        instrument: Instrument,
        *,
        attempt: int = 1,
        payment_id: str | None = None,
    ) -> Payment:
        """A pending payment of the order's amount due with ``instrument``.

        Args:
            order: an order awaiting confirmation, with something due.
            instrument: what pays.
            attempt: which attempt to pay the order this is, from 1 to 999:
                after a declined payment the buyer tries again (with another card, or the same
                one topped up) as attempt 2, and so on. The payment id is ``{order.id}-PAY``
                for attempt 1 and ``{order.id}-PAY-{attempt}`` after; the caller keeps the
                attempt number with the order, so that running the step again after a crash
                opens the same payment and its gateway keys replay instead of charging again.
            payment_id: an id of the caller's own instead (then ``attempt`` is not used); it
                must be unique at the gateway, since the keys start with it.

        Raises:
            PolicyViolation: the order does not await payment (it is not awaiting
                confirmation, or has nothing due).
            ValidationError: not an order or instrument, a bad ``attempt`` or ``payment_id``.
        """
        if not isinstance(order, Order):
            raise ValidationError(f"expected an Order, not {type(order).__name__}")
        if type(attempt) is not int or not 1 <= attempt <= MAX_ATTEMPTS:
            raise ValidationError(
                f"attempt must be an int from 1 to {MAX_ATTEMPTS}, not {attempt!r:.40}"
            )
        self._awaiting(order)
        if payment_id is None:
            payment_id = f"{order.id}-PAY" if attempt == 1 else f"{order.id}-PAY-{attempt}"
        return Payment(
            id=payment_id,
            order_id=order.id,
            amount=order.amount_due,
            instrument=instrument,
            clock=order.clock,
        )

    def pay(self, order: Order[Any], payment: Payment) -> TransitionRecord:
        """Authorise and capture what the order owes now; confirm the order once captured.

        A pending payment authorises ``order.amount_due`` (less than the payment's amount when
        lines were cancelled since it was opened); an authorised one captures the amount due
        (the rest of the hold is released). The order is confirmed only when the payment
        captured at least what it owes.

        Safe to run again: a payment already captured is not charged again (the order is still
        confirmed if a crash came between the capture and the confirmation), a declined one
        returns its ``authorize`` record again, and an answer lost at authorisation or capture
        is recovered with the same key.

        Returns:
            The payment's ``capture`` record on success, or its ``authorize`` record (to FAILED)
            when the gateway declined: then open the next attempt (``open(..., attempt=N + 1)``).

        Raises:
            PolicyViolation: the payment is superseded (another payment confirmed the order:
                settle it instead), the order does not await payment (it is cancelled or has
                nothing due), the payment is voided, or it captured less than the order owes
                (the order is not confirmed).
            ValidationError: the payment belongs to another order, or is (or was authorised)
                for less than the order owes.
            PaymentDeclined: the gateway refused the capture; nothing changed.
            OutcomeUnknown: an earlier request's answer was lost at a gateway that cannot say
                what it did, and the amount changed since (see :meth:`recover`).
            GatewayAnswerMismatch: the gateway approved another amount than asked.
        """
        order, payment = self._check_pair(order, payment)
        if payment.status is not PaymentStatus.FAILED and self._superseded(order, payment):
            raise PolicyViolation(
                f"order {order.id!r} was paid by payment {self.paid_by(order)!r}, so payment "
                f"{payment.id!r} is superseded: settle it (OrderPayments.settle), which gives "
                "back all it captured and voids its authorisation"
            )
        if payment.status in _CAPTURED:
            record = next(r for r in reversed(payment.history) if r.trigger == "capture")
            self._confirm(order, payment)
            return record
        if payment.status is PaymentStatus.FAILED:
            return payment.history[-1]
        if payment.status is PaymentStatus.VOIDED:
            self._awaiting(order)  # an order that no longer awaits payment says so first
            raise PolicyViolation(
                f"payment {payment.id!r} was voided; open a new payment for order {order.id!r}"
            )
        self._awaiting(order)
        due = order.amount_due
        if payment.status is PaymentStatus.PENDING:
            if due > payment.amount:
                raise ValidationError(
                    f"payment {payment.id!r} is for {payment.amount}, less than the {due} order "
                    f"{order.id!r} owes; open a payment for the amount due"
                )
            key = f"{payment.id}:authorize"
            known = self._known(key)
            ask = known.amount if known is not None and known.amount is not None else due
            record = self._unknown(
                payment,
                key,
                lambda: payment.authorize(self.gateway, ask, idempotency_key=key, actor=self.actor),
            )
            if payment.is_final:  # FAILED: the gateway declined
                return record
        held = payment.authorized
        assert held is not None
        if due > held:
            raise ValidationError(
                f"payment {payment.id!r} authorised {held}, less than the {due} order "
                f"{order.id!r} owes; void it (payment.void) and open the next attempt for the "
                "amount due"
            )
        key = f"{payment.id}:capture"
        known = self._known(key)
        take = known.amount if known is not None and known.amount is not None else due
        record = self._unknown(
            payment,
            key,
            lambda: payment.capture(self.gateway, take, idempotency_key=key, actor=self.actor),
        )
        self._confirm(order, payment)
        return record

    def _confirm(self, order: Order[Any], payment: Payment) -> None:
        captured = payment.captured
        assert captured is not None
        if captured < order.amount_due:
            raise PolicyViolation(
                f"payment {payment.id!r} captured {captured}, less than the {order.amount_due} "
                f"order {order.id!r} owes, so the order is not confirmed; refund the capture "
                "(payment.refund) and open the next attempt for the amount due"
            )
        if order.status is OrderStatus.PENDING_CONFIRMATION:
            order.confirm(actor=self.actor, note=f"{_PAID_PREFIX}{payment.id}{_PAID_SUFFIX}")

    # --- reconciling ---------------------------------------------------------------------------

    def owed(self, order: Order[Any], payment: Payment, *, covered: Money | None = None) -> Money:
        """What the payment should still give back for the order's cancellations.

        ``captured - settled - order.amount_due - covered``, where ``settled`` is what the
        payment's ``SETTLEMENT`` refunds gave back and ``covered`` what other refunds already
        gave back for units the order has since cancelled (an after-sales refund of goods that
        were then cancelled: the application computes it from the order's cases), never below
        zero and never more than is left to refund (refunds by hand may have taken the rest).
        Nothing before capture. A superseded payment (another payment confirmed the order, see
        :meth:`paid_by`) owes everything left to refund.

        Raises:
            ValidationError: the payment belongs to another order, or ``covered`` is not a
                non-negative :class:`~ecservice.money.Money` in the order's currency.
        """
        order, payment = self._check_pair(order, payment)
        zero = Money.zero(order.currency)
        already = _covered(covered, zero)
        if payment.captured is None:
            return zero
        if self._superseded(order, payment):
            return payment.refundable
        extra = (
            payment.captured
            - payment.refunded_of(RefundKind.SETTLEMENT)
            - order.amount_due
            - already
        )
        if extra.is_negative():
            return zero
        return min(extra, payment.refundable)

    def settle(
        self, order: Order[Any], payment: Payment, *, covered: Money | None = None
    ) -> tuple[TransitionRecord, ...]:
        """Reconcile the payment with the order; return the payment records it appended.

        1. If the gateway can tell (:class:`OutcomeLookup`), an authorisation or capture it made
           whose answer was lost is recorded first.
        2. An authorised, uncaptured payment of an order with nothing due (cancelled), or a
           superseded one (another payment confirmed the order, see :meth:`paid_by`), is voided.
           At a gateway without :class:`OutcomeLookup`, a pending payment whose authorisation
           answer was lost is left as it is: :meth:`recover` it, then settle voids it.
        3. A captured payment refunds :meth:`owed` (all it holds, when superseded) as a
           ``SETTLEMENT`` refund, with the key
           ``{payment.id}:refund:{N}`` for its N-th such refund (see the module documentation);
           refunds a lost answer left unrecorded are recorded first.

        The order is not changed and its events are not taken. Run it after any change of the
        order, and again after a failure: it converges.

        Args:
            order: the order.
            payment: one of its payments.
            covered: what other refunds already gave back for units the order has since
                cancelled (see :meth:`owed`); nothing by default.

        Raises:
            ValidationError: the payment belongs to another order, or a bad ``covered``.
            PaymentDeclined: the gateway refused the void or refund; run again later. At a
                gateway without :class:`OutcomeLookup` a declined void may mean that a capture
                whose answer was lost did happen: the message says how to :meth:`recover`.
            OutcomeUnknown: a key was used for another amount at a gateway that cannot tell what
                it did under it (see :meth:`recover`).
        """
        order, payment = self._check_pair(order, payment)
        _covered(covered, Money.zero(order.currency))
        done: list[TransitionRecord] = []
        reason = self._reason(order, payment)
        if payment.status is PaymentStatus.PENDING:
            known = self._known(f"{payment.id}:authorize")
            if known is not None:
                done.append(
                    payment.authorize(
                        self.gateway,
                        known.amount,
                        idempotency_key=f"{payment.id}:authorize",
                        actor=self.actor,
                    )
                )
        if payment.status is PaymentStatus.AUTHORIZED:
            captured = self._known(f"{payment.id}:capture")
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
            elif order.amount_due.is_zero() or self._superseded(order, payment):
                done.append(self._void(payment, reason))
        for _ in range(_MAX_REFUNDS_PER_SETTLE):
            if payment.status not in _REFUNDABLE:
                break
            key = self._refund_key(payment)
            known = self._known(key)
            if known is not None and known.amount is not None:
                amount = known.amount  # made before, its answer lost: record it as it happened
            else:
                amount = self.owed(order, payment, covered=covered)
                if amount.is_zero():
                    break
            done.append(self._refund(payment, amount, reason, key))
        return tuple(done)

    def _refund(self, payment: Payment, amount: Money, reason: str, key: str) -> TransitionRecord:
        return self._unknown(
            payment,
            key,
            lambda: payment._refund_as(
                self.gateway,
                amount,
                reason=reason,
                idempotency_key=key,
                actor=self.actor,
                kind=RefundKind.SETTLEMENT,
            ),
        )

    def _void(self, payment: Payment, reason: str) -> TransitionRecord:
        key = f"{payment.id}:void"
        try:
            return payment.void(self.gateway, idempotency_key=key, actor=self.actor, note=reason)
        except PaymentDeclined as exc:
            if isinstance(self.gateway, OutcomeLookup):
                raise
            raise PaymentDeclined(
                f"{exc}. If an earlier capture of payment {payment.id!r} lost its answer, the "
                f"gateway may have captured it (key {payment.id}:capture) and cannot say so: "
                "ask the provider, and if it captured, call OrderPayments.recover(order, "
                "payment, amount) with the amount it captured, then settle, which refunds it"
            ) from exc

    def recover(self, order: Order[Any], payment: Payment, amount: Money) -> TransitionRecord:
        """Record what the payment's pending request did at a gateway that cannot tell.

        For a gateway without :class:`OutcomeLookup`, after an answer was lost and the order
        changed since (so :meth:`pay` or :meth:`settle` raised :class:`OutcomeUnknown`, or a
        void was declined because the capture had in fact happened). It sends the payment's
        next request again, under the key the lost one used and with ``amount``, the amount that
        request asked for (the provider's records tell): the gateway replays its stored answer
        and the payment records it. The next request is the authorisation of a ``PENDING``
        payment, the capture of an ``AUTHORIZED`` one, or the next ``SETTLEMENT`` refund of a
        captured one. If the provider has no record of the request, ``amount`` is moved now,
        as the step would have.

        Returns:
            The payment's new record; run :meth:`settle` (or :meth:`pay`) after it.

        Raises:
            PolicyViolation: the payment has no request that can be pending (it is final).
            InsufficientFunds: a refund of more than :meth:`owed` (never more than the order's
                cancellations freed).
            InvalidAmount: an authorisation or capture of more than allowed.
            IdempotencyConflict: the gateway's request under that key was for another amount.
        """
        order, payment = self._check_pair(order, payment)
        status = payment.status
        if status is PaymentStatus.PENDING:
            return payment.authorize(
                self.gateway, amount, idempotency_key=f"{payment.id}:authorize", actor=self.actor
            )
        if status is PaymentStatus.AUTHORIZED:
            return payment.capture(
                self.gateway, amount, idempotency_key=f"{payment.id}:capture", actor=self.actor
            )
        if status in _REFUNDABLE:
            owed = self.owed(order, payment)
            if not isinstance(amount, Money) or amount.currency != owed.currency or amount > owed:
                raise InsufficientFunds(
                    f"cannot recover a refund of {amount} for payment {payment.id!r}: the order's "
                    f"cancellations leave {owed} to refund"
                )
            key = self._refund_key(payment)
            return payment._refund_as(
                self.gateway,
                amount,
                reason=self._reason(order, payment),
                idempotency_key=key,
                actor=self.actor,
                kind=RefundKind.SETTLEMENT,
            )
        raise PolicyViolation(
            f"payment {payment.id!r} is {status.value}: it has no request left to recover"
        )

    @staticmethod
    def _refund_key(payment: Payment) -> str:
        """The key of the payment's next ``SETTLEMENT`` refund: its position among them."""
        done = sum(1 for r in payment.refunds if r.kind is RefundKind.SETTLEMENT)
        return f"{payment.id}:refund:{done + 1}"

    def _reason(self, order: Order[Any], payment: Payment) -> str:
        """The refund reason, from the order's state: the payment that paid the order instead
        of this one, or the order's latest cancellation's reason."""
        if self._superseded(order, payment):
            return f"order {order.id} was paid by payment {self.paid_by(order)}"
        if order.cancellations:
            return order.cancellations[-1].reason
        return "order amount reduced"

    def cancel(
        self, order: Order[Any], payment: Payment, *, reason: str, actor: Actor
    ) -> tuple[TransitionRecord, ...]:
        """Cancel the order (for example when it is out of stock) and settle: what was paid is
        refunded, or the authorisation voided. Returns the payment records :meth:`settle` made;
        the order's events stay queued for the caller's outbox. If settling fails, the order
        stays cancelled: run :meth:`settle` again.
        """
        self._check_pair(order, payment)
        order.cancel(reason=reason, actor=actor)
        return self.settle(order, payment)


def _covered(covered: object, zero: Money) -> Money:
    """``covered`` checked: ``None`` (nothing) or a non-negative amount in ``zero``'s currency."""
    if covered is None:
        return zero
    if not isinstance(covered, Money) or covered.currency != zero.currency:
        raise ValidationError(
            f"covered must be a Money in {zero.currency.code}, not {covered!r:.60}"
        )
    if covered.is_negative():
        raise ValidationError(f"covered must not be negative, not {covered}")
    return covered
