"""The payment workflow: its guards, its hooks and :data:`PAYMENT_WORKFLOW`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from ecservice.errors import ValidationError
from ecservice.money import Money
from ecservice.payments._gateway import GatewayResponse
from ecservice.payments._payment_events import (
    PaymentAuthorized,
    PaymentCaptured,
    PaymentFailed,
    PaymentRefunded,
    PaymentStatus,
    PaymentVoided,
    RefundRecord,
)
from ecservice.text import check_optional_text
from ecservice.workflow import Context, Workflow, transition

if TYPE_CHECKING:
    from ecservice.payments._payment import Payment

__all__ = ["PAYMENT_WORKFLOW", "approved", "failure_text", "fully_refunded"]


def approved(payment: Payment, ctx: Context) -> bool:
    """The gateway approved."""
    return ctx.arg("response", GatewayResponse).approved


def fully_refunded(payment: Payment, ctx: Context) -> bool:
    """Everything captured is refunded."""
    refund = ctx.arg("refund", RefundRecord)
    return payment.refunded + refund.amount == payment.captured


def failure_text(message: str) -> str:
    """A gateway's decline message as the payment stores it: acceptable text, or a fixed one."""
    try:
        return check_optional_text(message, "a decline message") or "declined"
    except ValidationError:
        return "declined (the gateway's message is not acceptable text)"


def _apply_authorization(payment: Payment, ctx: Context) -> None:
    response = ctx.arg("response", GatewayResponse)
    pid, at, actor = payment.id, ctx.at, ctx.actor
    if response.approved:
        amount = ctx.arg("amount", Money)
        payment.authorization = response.reference
        payment.authorized = amount
        ctx.emit(PaymentAuthorized(aggregate_id=pid, occurred_at=at, actor=actor, amount=amount))
    else:
        payment.failure = failure_text(response.message)
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
