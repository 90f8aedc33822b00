"""The states, records, events and errors of a payment."""

from __future__ import annotations

import enum
from typing import Any, final

import attrs

from ecservice._shown import shown
from ecservice.errors import EcServiceError, IdempotencyConflict, ValidationError
from ecservice.money import Money, positive
from ecservice.text import LONG_TEXT_MAX, text
from ecservice.workflow import DomainEvent, LabelledState

__all__ = [
    "GatewayAnswerMismatch",
    "OutcomeUnknown",
    "PaymentAuthorized",
    "PaymentCaptured",
    "PaymentDeclined",
    "PaymentFailed",
    "PaymentRefunded",
    "PaymentStatus",
    "PaymentVoided",
    "RefundKind",
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


class GatewayAnswerMismatch(EcServiceError):
    """The gateway approved an operation for another amount or currency than was asked.

    The payment records nothing (it would record money that did not move as recorded) and stays
    in its state; the gateway did act as its answer says, so the difference has to be settled by
    hand with the provider. A retry with the same key gets the same answer and raises again.
    """


class OutcomeUnknown(IdempotencyConflict):
    """A gateway that cannot say what it did (no :class:`OutcomeLookup`) holds an earlier request
    under the key a step needs, for another amount: that request's answer was lost and the order
    changed since. Sending the request under a new key could move the money twice; the message
    names the key and :meth:`OrderPayments.recover` records what the earlier request did.
    """


class RefundKind(enum.Enum):
    """Why a refund was made, which decides whether reconciliation counts it.

    * ``SETTLEMENT``: made by :meth:`OrderPayments.settle` because the order's amount due fell
      (lines or the whole order cancelled);
    * ``MANUAL``: made by hand (goodwill, compensation), outside what the order owes;
      reconciliation does not count it against the amount due.
    * ``AFTERSALES``: decided by an after-sales case (a return and refund, a compensation) and
      made by :class:`~ecservice.application.AfterSalesService` under the case's key
      (``aftersales:<case id>:v<version>``). Like ``MANUAL`` it is outside what the order owes
      and reconciliation does not count it against the amount due; it is a kind of its own so
      that reports and audits can tell the refunds cases decided from the ones made by hand.
    """

    SETTLEMENT = "settlement"
    MANUAL = "manual"
    AFTERSALES = "aftersales"


def _check_kind(_: object, __: object, value: Any) -> None:
    if not isinstance(value, RefundKind):
        raise ValidationError(
            "a refund's kind must be a RefundKind (SETTLEMENT, MANUAL, AFTERSALES), not "
            f"{shown(value)}"
        )


@final
@attrs.frozen(slots=True, kw_only=True)
class RefundRecord:
    """One refund: how much, why, the gateway's reference and its kind.

    Args:
        amount: a positive amount in the payment's currency.
        reason: why (at most :data:`~ecservice.text.LONG_TEXT_MAX` characters, may span lines).
        reference: the gateway's reference for the refund
            (at most :data:`~ecservice.text.SHORT_TEXT_MAX` characters).
        kind: :class:`RefundKind`; it has no default, so that a record stored without it fails
            to load instead of being counted as the wrong kind by reconciliation.

    Raises:
        InvalidAmount: ``amount`` is not a positive :class:`~ecservice.money.Money`.
        ValidationError: ``reason`` or ``reference`` is not acceptable text
            (:func:`ecservice.text.check_text`), or ``kind`` is not a :class:`RefundKind`.
    """

    amount: Money = attrs.field(validator=lambda _, __, v: positive(v, "a refund"))
    reason: str = attrs.field(
        validator=text("a refund's reason", limit=LONG_TEXT_MAX, multiline=True)
    )
    reference: str = attrs.field(validator=text("a refund's reference"))
    kind: RefundKind = attrs.field(validator=_check_kind)


@final
@attrs.frozen(slots=True, kw_only=True)
class PaymentAuthorized(DomainEvent):
    """The gateway reserved the amount on the instrument.

    Args:
        aggregate_id: the payment's id.
        occurred_at: when, in UTC (the time of the transition).
        actor: who fired the trigger.
        amount: what the gateway reserved, in the payment's currency (at most the payment's
            amount).
    """

    amount: Money


@final
@attrs.frozen(slots=True, kw_only=True)
class PaymentFailed(DomainEvent):
    """The gateway declined the authorisation.

    Args:
        aggregate_id: the payment's id.
        occurred_at: when, in UTC (the time of the transition).
        actor: who fired the trigger.
        reason: the gateway's decline message as the payment stores it (``"declined"`` when the
            gateway gave none or one that is not acceptable text).
    """

    reason: str


@final
@attrs.frozen(slots=True, kw_only=True)
class PaymentCaptured(DomainEvent):
    """Money moved to the merchant.

    Args:
        aggregate_id: the payment's id.
        occurred_at: when, in UTC (the time of the transition).
        actor: who fired the trigger.
        order_id: the id of the order the payment pays.
        amount: what was captured, in the payment's currency (at most what was authorised).
    """

    order_id: str
    amount: Money


@final
@attrs.frozen(slots=True, kw_only=True)
class PaymentVoided(DomainEvent):
    """The authorisation was released.

    Args:
        aggregate_id: the payment's id.
        occurred_at: when, in UTC (the time of the transition).
        actor: who fired the trigger.
    """


@final
@attrs.frozen(slots=True, kw_only=True)
class PaymentRefunded(DomainEvent):
    """Money went back to the instrument that paid.

    Args:
        aggregate_id: the payment's id.
        occurred_at: when, in UTC (the time of the transition).
        actor: who fired the trigger.
        order_id: the id of the order the payment pays.
        refund: the refund, as the payment records it.
    """

    order_id: str
    refund: RefundRecord
