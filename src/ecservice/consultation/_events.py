"""The states of a consultation session and its domain events."""

from __future__ import annotations

from typing import final

import attrs

from ecservice.consultation._confirmation import OrderDetails
from ecservice.consultation._values import Enquiry, ObjectionKind
from ecservice.workflow import DomainEvent, LabelledState

__all__ = [
    "ClosingAttempted",
    "ConsultationCompleted",
    "ConsultationEnded",
    "ConsultationGreeted",
    "ConsultationOrderConfirmed",
    "ConsultationStatus",
    "ConsultationTransferred",
    "EnquiryTaken",
    "FarewellSaid",
    "HandedOver",
    "ObjectionHandled",
    "ProductRecommended",
    "RemarkFollowedUp",
]


class ConsultationStatus(LabelledState):
    """The states of a consultation session: one per step of the reception flow (接待流程), and
    its three ends."""

    OPENED = ("opened", "Opened, awaiting a greeting", "待问好")
    GREETED = ("greeted", "Greeted", "进门问好")
    ENQUIRING = ("enquiring", "Taking the enquiry", "接待咨询")
    RECOMMENDING = ("recommending", "Recommending", "推荐产品")
    HANDLING_OBJECTION = ("handling_objection", "Handling an objection", "处理异议")
    CLOSING = ("closing", "Closing the deal", "促成交易")
    ORDER_CONFIRMED = ("order_confirmed", "Order confirmed", "确认订单")
    FAREWELL = ("farewell", "Said goodbye", "礼貌告别")
    HANDED_OVER = ("handed_over", "Handed over for shipping", "下单发货")
    COMPLETED = ("completed", "Completed", "已完成")
    ENDED = ("ended", "Ended without an order", "未成交")
    TRANSFERRED = ("transferred", "Handed to after-sales", "转售后")


@final
@attrs.frozen(slots=True, kw_only=True)
class ConsultationGreeted(DomainEvent):
    """The agent greeted the buyer (进门问好).

    Args:
        aggregate_id: the session's id.
        occurred_at: when, in UTC.
        actor: the agent.
    """


@final
@attrs.frozen(slots=True, kw_only=True)
class EnquiryTaken(DomainEvent):
    """An enquiry was taken (接待咨询).

    Args:
        aggregate_id: the session's id.
        occurred_at: when, in UTC.
        actor: the agent.
        enquiry: the enquiry recorded.
    """

    enquiry: Enquiry


@final
@attrs.frozen(slots=True, kw_only=True)
class ProductRecommended(DomainEvent):
    """The agent recommended an item (推荐产品).

    Args:
        aggregate_id: the session's id.
        occurred_at: when, in UTC.
        actor: the agent.
        sku: the item recommended.
    """

    sku: str


@final
@attrs.frozen(slots=True, kw_only=True)
class ObjectionHandled(DomainEvent):
    """The agent handled an objection (处理异议).

    Args:
        aggregate_id: the session's id.
        occurred_at: when, in UTC.
        actor: the agent.
        kind: what the buyer objected to.
    """

    kind: ObjectionKind


@final
@attrs.frozen(slots=True, kw_only=True)
class ClosingAttempted(DomainEvent):
    """The agent moved to close the deal (促成交易).

    Args:
        aggregate_id: the session's id.
        occurred_at: when, in UTC.
        actor: the agent.
    """


@final
@attrs.frozen(slots=True, kw_only=True)
class ConsultationOrderConfirmed(DomainEvent):
    """The order was confirmed with the buyer (确认订单), every check passed.

    Args:
        aggregate_id: the session's id.
        occurred_at: when, in UTC.
        actor: the agent.
        details: what was confirmed.
    """

    details: OrderDetails


@final
@attrs.frozen(slots=True, kw_only=True)
class FarewellSaid(DomainEvent):
    """The agent said goodbye (礼貌告别).

    Args:
        aggregate_id: the session's id.
        occurred_at: when, in UTC.
        actor: the agent.
        with_order: whether an order was confirmed.
    """

    with_order: bool


@final
@attrs.frozen(slots=True, kw_only=True)
class HandedOver(DomainEvent):
    """The order was handed over for shipping (下单发货) with its remarks.

    Args:
        aggregate_id: the session's id.
        occurred_at: when, in UTC.
        actor: the agent.
        order_id: the order handed over.
        remarks: the remarks' texts, in order.
    """

    order_id: str
    remarks: tuple[str, ...]


@final
@attrs.frozen(slots=True, kw_only=True)
class RemarkFollowedUp(DomainEvent):
    """A hand-over remark was followed up.

    Args:
        aggregate_id: the session's id.
        occurred_at: when, in UTC.
        actor: who followed it up.
        index: the remark's position (from 0).
        note: how it was followed up.
    """

    index: int
    note: str


@final
@attrs.frozen(slots=True, kw_only=True)
class ConsultationCompleted(DomainEvent):
    """The session completed: order handed over, every remark followed up.

    Args:
        aggregate_id: the session's id.
        occurred_at: when, in UTC.
        actor: who completed it.
    """


@final
@attrs.frozen(slots=True, kw_only=True)
class ConsultationEnded(DomainEvent):
    """The session ended without an order (the buyer left, or did not buy).

    Args:
        aggregate_id: the session's id.
        occurred_at: when, in UTC.
        actor: who ended it.
        reason: why (long text).
    """

    reason: str


@final
@attrs.frozen(slots=True, kw_only=True)
class ConsultationTransferred(DomainEvent):
    """The session was handed to after-sales (转售后).

    Args:
        aggregate_id: the session's id.
        occurred_at: when, in UTC.
        actor: who handed it over.
        reason: why (long text).
        case_id: the after-sales case opened for it, if any.
    """

    reason: str
    case_id: str | None
