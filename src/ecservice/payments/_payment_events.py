"""The states, records, events and errors of a payment."""

from __future__ import annotations

from typing import final

import attrs

from ecservice.errors import EcServiceError
from ecservice.money import Money, positive
from ecservice.text import LONG_TEXT_MAX, text
from ecservice.workflow import DomainEvent, LabelledState

__all__ = [
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
    """One refund: how much, why, and the gateway's reference.

    Attributes:
        amount: a positive amount in the payment's currency.
        reason: why (at most :data:`~ecservice.text.LONG_TEXT_MAX` characters, may span lines).
        reference: the gateway's reference for the refund
            (at most :data:`~ecservice.text.SHORT_TEXT_MAX` characters).

    Raises:
        InvalidAmount: ``amount`` is not a positive :class:`~ecservice.money.Money`.
        ValidationError: ``reason`` or ``reference`` is not acceptable text
            (:func:`ecservice.text.check_text`).
    """

    amount: Money = attrs.field(validator=lambda _, __, v: positive(v, "a refund"))
    reason: str = attrs.field(
        validator=text("a refund's reason", limit=LONG_TEXT_MAX, multiline=True)
    )
    reference: str = attrs.field(validator=text("a refund's reference"))


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
