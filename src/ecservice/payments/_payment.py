"""The payment of an order: a workflow over a gateway, with idempotency keys."""

from __future__ import annotations

from typing import Final, final

import attrs

from ecservice.errors import (
    EcServiceError,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidAmount,
)
from ecservice.money import Money, positive
from ecservice.orders._values import check_text, text
from ecservice.payments._gateway import GatewayResponse, Instrument, PaymentGateway
from ecservice.workflow import (
    Actor,
    Aggregate,
    Context,
    DomainEvent,
    LabelledState,
    TransitionRecord,
    Workflow,
    bind_workflow,
    transition,
)

__all__ = [
    "PAYMENT_WORKFLOW",
    "IdempotencyConflict",
    "Payment",
    "PaymentAuthorized",
    "PaymentCaptured",
    "PaymentDeclined",
    "PaymentFailed",
    "PaymentRefunded",
    "PaymentStatus",
    "PaymentVoided",
    "RefundRecord",
]


class PaymentStatus(LabelledState):
    """The states of a payment."""

    PENDING = ("pending", "Pending", "待支付")
    AUTHORIZED = ("authorized", "Authorized", "已授权")
    CAPTURED = ("captured", "Captured", "已支付")
    PARTIALLY_REFUNDED = ("partially_refunded", "Partially refunded", "部分退款")
    REFUNDED = ("refunded", "Refunded", "已退款")
    FAILED = ("failed", "Failed", "支付失败")
    VOIDED = ("voided", "Voided", "已撤销")


class PaymentDeclined(EcServiceError):
    """The gateway declined a capture, void or refund; the payment is unchanged."""


@final
@attrs.frozen(slots=True, kw_only=True)
class RefundRecord:
    """One refund: how much, why, and the gateway's reference."""

    amount: Money
    reason: str
    reference: str


@final
@attrs.frozen(slots=True, kw_only=True)
class PaymentAuthorized(DomainEvent):
    """The gateway reserved the amount on the instrument."""

    amount: Money


@final
@attrs.frozen(slots=True, kw_only=True)
class PaymentFailed(DomainEvent):
    """The gateway declined the authorisation."""

    reason: str


@final
@attrs.frozen(slots=True, kw_only=True)
class PaymentCaptured(DomainEvent):
    """Money moved to the merchant."""

    order_id: str
    amount: Money


@final
@attrs.frozen(slots=True, kw_only=True)
class PaymentVoided(DomainEvent):
    """The authorisation was released."""


@final
@attrs.frozen(slots=True, kw_only=True)
class PaymentRefunded(DomainEvent):
    """Money went back to the instrument that paid."""

    order_id: str
    refund: RefundRecord


# --- guards and hooks ----------------------------------------------------------------------------


def approved(payment: Payment, ctx: Context) -> bool:
    """The gateway approved."""
    return ctx.arg("response", GatewayResponse).approved


def fully_refunded(payment: Payment, ctx: Context) -> bool:
    """Everything captured is refunded."""
    refund = ctx.arg("refund", RefundRecord)
    return payment.refunded + refund.amount == payment.captured


def _apply_authorization(payment: Payment, ctx: Context) -> None:
    response = ctx.arg("response", GatewayResponse)
    pid, at, actor = payment.id, ctx.at, ctx.actor
    if response.approved:
        payment.authorization = response.reference
        ctx.emit(
            PaymentAuthorized(aggregate_id=pid, occurred_at=at, actor=actor, amount=payment.amount)
        )
    else:
        payment.failure = response.message or "declined"
        ctx.emit(
            PaymentFailed(aggregate_id=pid, occurred_at=at, actor=actor, reason=payment.failure)
        )


def _apply_capture(payment: Payment, ctx: Context) -> None:
    response = ctx.arg("response", GatewayResponse)
    amount = ctx.arg("amount", Money)
    payment.capture_reference = response.reference
    payment.captured = amount
    ctx.emit(
        PaymentCaptured(
            aggregate_id=payment.id,
            occurred_at=ctx.at,
            actor=ctx.actor,
            order_id=payment.order_id,
            amount=amount,
        )
    )


def _apply_void(payment: Payment, ctx: Context) -> None:
    ctx.emit(PaymentVoided(aggregate_id=payment.id, occurred_at=ctx.at, actor=ctx.actor))


def _apply_refund(payment: Payment, ctx: Context) -> None:
    refund = ctx.arg("refund", RefundRecord)
    payment.refunds = (*payment.refunds, refund)
    ctx.emit(
        PaymentRefunded(
            aggregate_id=payment.id,
            occurred_at=ctx.at,
            actor=ctx.actor,
            order_id=payment.order_id,
            refund=refund,
        )
    )


def _remember(payment: Payment, ctx: Context) -> None:
    key = ctx.payload.get("idempotency_key")
    fingerprint = ctx.payload.get("fingerprint")
    if isinstance(key, str) and isinstance(fingerprint, str):
        payment.idempotency = (*payment.idempotency, (key, fingerprint, payment.version + 1))


@attrs.define(slots=True, kw_only=True, on_setattr=attrs.setters.NO_OP)
class Payment(Aggregate[PaymentStatus]):
    """The payment of one order with one instrument, through a :class:`PaymentGateway`.

    Each trigger method takes the gateway and an ``idempotency_key``: calling again with the same
    key and the same request returns the first call's history record without touching the
    gateway; the same key with a different request raises :class:`IdempotencyConflict`.
    Refunds never exceed what was captured, and go back through the capture, so to the
    instrument that paid.
    """

    status: PaymentStatus = PaymentStatus.PENDING
    order_id: str = attrs.field(validator=text("order_id"))
    amount: Money
    instrument: Instrument
    authorization: str | None = None
    capture_reference: str | None = None
    captured: Money | None = None
    refunds: tuple[RefundRecord, ...] = ()
    failure: str | None = None
    idempotency: tuple[tuple[str, str, int], ...] = ()

    def __attrs_post_init__(self) -> None:
        positive(self.amount, "a payment's amount")

    # --- views ---------------------------------------------------------------------------------

    @property
    def refunded(self) -> Money:
        """Everything refunded so far."""
        total = Money.zero(self.amount.currency)
        for r in self.refunds:
            total = total + r.amount
        return total

    @property
    def refundable(self) -> Money:
        """What can still be refunded (captured minus refunded)."""
        if self.captured is None:
            return Money.zero(self.amount.currency)
        return self.captured - self.refunded

    @property
    def net(self) -> Money:
        """What the merchant keeps (captured minus refunded)."""
        return self.refundable

    # --- idempotency ---------------------------------------------------------------------------

    def _replay(self, key: str, fingerprint: str) -> TransitionRecord | None:
        check_text(key, "idempotency_key")
        for k, f, version in self.idempotency:
            if k == key:
                if f != fingerprint:
                    raise IdempotencyConflict(
                        f"idempotency key {key!r} of payment {self.id!r} was used for "
                        f"{f!r}; this request is {fingerprint!r}: use a new key"
                    )
                return self.history[version - 1]
        return None

    def _fire_once(
        self, trigger: str, key: str, fingerprint: str, actor: Actor, note: str, **payload: object
    ) -> TransitionRecord:
        return self._fire(
            trigger,
            actor=actor,
            note=note,
            idempotency_key=key,
            fingerprint=fingerprint,
            **payload,
        )

    # --- triggers ------------------------------------------------------------------------------

    def authorize(
        self, gateway: PaymentGateway, *, idempotency_key: str, actor: Actor, note: str = ""
    ) -> TransitionRecord:
        """Ask the gateway to reserve the amount: AUTHORIZED if approved, FAILED if declined."""
        fingerprint = f"authorize:{self.amount}:{self.instrument}"
        done = self._replay(idempotency_key, fingerprint)
        if done is not None:
            return done
        self._ensure_allowed("authorize")
        response = gateway.authorize(self.instrument, self.amount, reference=self.id)
        return self._fire_once(
            "authorize",
            idempotency_key,
            fingerprint,
            actor,
            note or response.message,
            response=response,
        )

    def capture(
        self,
        gateway: PaymentGateway,
        amount: Money | None = None,
        *,
        idempotency_key: str,
        actor: Actor,
        note: str = "",
    ) -> TransitionRecord:
        """Take the authorised amount (or less; the rest is released).

        Raises:
            InvalidAmount: more than authorised, or not positive.
            PaymentDeclined: the gateway refused; nothing changed.
        """
        take = self.amount if amount is None else positive(amount, "a capture")
        fingerprint = f"capture:{take}"
        done = self._replay(idempotency_key, fingerprint)
        if done is not None:
            return done
        self._ensure_allowed("capture")
        if take.currency != self.amount.currency or take > self.amount:
            raise InvalidAmount(f"cannot capture {take}: the authorisation is for {self.amount}")
        assert self.authorization is not None
        response = gateway.capture(self.authorization, take)
        if not response.approved:
            raise PaymentDeclined(f"capture of payment {self.id!r} declined: {response.message}")
        return self._fire_once(
            "capture", idempotency_key, fingerprint, actor, note, response=response, amount=take
        )

    def void(
        self, gateway: PaymentGateway, *, idempotency_key: str, actor: Actor, note: str = ""
    ) -> TransitionRecord:
        """Release the authorisation (the order will not be charged)."""
        fingerprint = "void"
        done = self._replay(idempotency_key, fingerprint)
        if done is not None:
            return done
        self._ensure_allowed("void")
        assert self.authorization is not None
        response = gateway.void(self.authorization)
        if not response.approved:
            raise PaymentDeclined(f"void of payment {self.id!r} declined: {response.message}")
        return self._fire_once("void", idempotency_key, fingerprint, actor, note)

    def refund(
        self,
        gateway: PaymentGateway,
        amount: Money,
        *,
        reason: str,
        idempotency_key: str,
        actor: Actor,
    ) -> TransitionRecord:
        """Give ``amount`` back to the instrument that paid.

        Raises:
            InsufficientFunds: more than is left to refund (captured minus refunded).
            PaymentDeclined: the gateway refused; nothing changed.
        """
        take = positive(amount, "a refund")
        why = check_text(reason, "reason")
        fingerprint = f"refund:{take}:{why}"
        done = self._replay(idempotency_key, fingerprint)
        if done is not None:
            return done
        self._ensure_allowed("refund")
        if take.currency != self.amount.currency or take > self.refundable:
            raise InsufficientFunds(
                f"cannot refund {take} of payment {self.id!r}: only {self.refundable} of the "
                f"{self.captured} captured is left to refund"
            )
        assert self.capture_reference is not None
        response = gateway.refund(self.capture_reference, take)
        if not response.approved:
            raise PaymentDeclined(f"refund of payment {self.id!r} declined: {response.message}")
        record = RefundRecord(amount=take, reason=why, reference=response.reference)
        return self._fire_once("refund", idempotency_key, fingerprint, actor, why, refund=record)


P = PaymentStatus

#: The default payment workflow.
PAYMENT_WORKFLOW: Final[Workflow[Payment]] = Workflow(
    "payment",
    states=PaymentStatus,
    initial=P.PENDING,
    final=[P.REFUNDED, P.FAILED, P.VOIDED],
    transitions=[
        transition(
            "authorize",
            P.PENDING,
            P.AUTHORIZED,
            conditions=[approved],
            before=[_apply_authorization, _remember],
        ),
        transition("authorize", P.PENDING, P.FAILED, before=[_apply_authorization, _remember]),
        transition("capture", P.AUTHORIZED, P.CAPTURED, before=[_apply_capture, _remember]),
        transition("void", P.AUTHORIZED, P.VOIDED, before=[_apply_void, _remember]),
        transition(
            "refund",
            [P.CAPTURED, P.PARTIALLY_REFUNDED],
            P.REFUNDED,
            conditions=[fully_refunded],
            before=[_apply_refund, _remember],
        ),
        transition(
            "refund",
            [P.CAPTURED, P.PARTIALLY_REFUNDED],
            P.PARTIALLY_REFUNDED,
            before=[_apply_refund, _remember],
        ),
    ],
)

bind_workflow(Payment, PAYMENT_WORKFLOW)
