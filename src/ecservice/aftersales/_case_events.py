"""The states of an after-sales case, its domain events, and its own error."""

from __future__ import annotations

from typing import final

import attrs

from ecservice._shown import shown
from ecservice.aftersales._case_values import (
    Evidence,
    Inspection,
    RefundSort,
    RepairAttempt,
    ReturnParcel,
    Ruling,
    ShipmentReference,
)
from ecservice.errors import EcServiceError
from ecservice.money import Money
from ecservice.workflow import DomainEvent, LabelledState

__all__ = [
    "CaseApproved",
    "CaseClosed",
    "CaseEscalated",
    "CaseRejected",
    "CaseReopened",
    "CaseRequestAmended",
    "CaseRuled",
    "CaseStatus",
    "CaseWithdrawn",
    "EvidenceAdded",
    "GoodsExchanged",
    "GoodsReshipped",
    "RefundDecided",
    "ReturnInspected",
    "ReturnReceived",
    "ReturnShipped",
    "StaleCaseVersion",
    "UnitRepaired",
]


class CaseStatus(LabelledState):
    """The states of an after-sales case, with the Chinese names marketplaces show."""

    REQUESTED = ("requested", "Requested", "待处理")
    APPROVED = ("approved", "Approved", "已同意")
    REJECTED = ("rejected", "Rejected", "已拒绝")
    AWAITING_RETURN = ("awaiting_return", "Awaiting the buyer's return", "待买家退货")
    RETURN_IN_TRANSIT = ("return_in_transit", "Return in transit", "退货在途")
    RECEIVED = ("received", "Return received", "已收货")
    INSPECTION_PASSED = ("inspection_passed", "Inspection passed", "验货通过")
    INSPECTION_FAILED = ("inspection_failed", "Inspection failed", "验货不通过")
    REFUNDED = ("refunded", "Refunded", "已退款")
    EXCHANGED = ("exchanged", "Exchanged", "已换货")
    REPAIRED = ("repaired", "Repaired", "已维修")
    RESHIPPED = ("reshipped", "Reshipped", "已补发")
    COMPENSATED = ("compensated", "Compensated", "已补偿")
    INTERVENTION = ("intervention", "Platform intervention", "客服介入")
    WITHDRAWN = ("withdrawn", "Withdrawn by the buyer", "已撤销")
    CLOSED = ("closed", "Closed", "已关闭")


class StaleCaseVersion(EcServiceError):
    """An answer to a case (approve, reject) named a version the case is no longer at.

    Like the refund version of Taobao's refund API (``refund_version``): whoever answers saw the
    case at a version; if the buyer changed it since (amended, withdrew, added evidence), the
    answer is refused and the case is unchanged. Read the case again and answer what it is now.

    Args:
        case_id: the case's id.
        expected: the version the answer was given for.
        found: the case's version now.
    """

    def __init__(self, case_id: str, *, expected: int, found: int) -> None:
        self.case_id = case_id
        self.expected = expected
        self.found = found
        super().__init__(
            f"after-sales case {case_id!r} is at version {found}, not {shown(expected)}: it "
            "changed since it was read; read it again and answer what it is now"
        )


@final
@attrs.frozen(slots=True, kw_only=True)
class CaseRequestAmended(DomainEvent):
    """The buyer changed the request before any approval (修改申请).

    Args:
        aggregate_id: the case's id.
        occurred_at: when, in UTC.
        actor: who changed it.
        asked: the amount asked now.
    """

    asked: Money


@final
@attrs.frozen(slots=True, kw_only=True)
class EvidenceAdded(DomainEvent):
    """Evidence was added to a case.

    Args:
        aggregate_id: the case's id.
        occurred_at: when, in UTC.
        actor: who gave it.
        evidence: the evidence.
    """

    evidence: Evidence


@final
@attrs.frozen(slots=True, kw_only=True)
class CaseApproved(DomainEvent):
    """The seller (or, when it did not answer in time, the platform) approved the request.

    Args:
        aggregate_id: the case's id.
        occurred_at: when, in UTC.
        actor: who approved (the system for an automatic approval).
        agreed: the amount agreed.
        automatic: ``True`` when the seller's answer time ran out.
    """

    agreed: Money
    automatic: bool


@final
@attrs.frozen(slots=True, kw_only=True)
class CaseRejected(DomainEvent):
    """The seller refused the request.

    Args:
        aggregate_id: the case's id.
        occurred_at: when, in UTC.
        actor: who refused.
        reason: why (long text).
    """

    reason: str


@final
@attrs.frozen(slots=True, kw_only=True)
class ReturnShipped(DomainEvent):
    """The buyer sent the goods back.

    Args:
        aggregate_id: the case's id.
        occurred_at: when, in UTC.
        actor: who reported it.
        parcel: the return parcel.
    """

    parcel: ReturnParcel


@final
@attrs.frozen(slots=True, kw_only=True)
class ReturnReceived(DomainEvent):
    """The seller received the returned goods (or the confirmation time ran out).

    Args:
        aggregate_id: the case's id.
        occurred_at: when, in UTC.
        actor: who confirmed it.
        automatic: ``True`` when the seller's confirmation time ran out.
    """

    automatic: bool


@final
@attrs.frozen(slots=True, kw_only=True)
class ReturnInspected(DomainEvent):
    """The seller inspected the returned goods.

    Args:
        aggregate_id: the case's id.
        occurred_at: when, in UTC.
        actor: who inspected them.
        inspection: the result.
    """

    inspection: Inspection


@final
@attrs.frozen(slots=True, kw_only=True)
class RefundDecided(DomainEvent):
    """The case decided to pay money back: the payment must now refund it.

    Args:
        aggregate_id: the case's id.
        occurred_at: when, in UTC.
        actor: who decided it (the system for an automatic refund).
        order_id: the order whose payment refunds it.
        amount: how much, in the case's currency.
        sort: a refund of the goods or a compensation.
        idempotency_key: the key to pass to the payment's refund, the same on every retry.
    """

    order_id: str
    amount: Money
    sort: RefundSort
    idempotency_key: str


@final
@attrs.frozen(slots=True, kw_only=True)
class GoodsExchanged(DomainEvent):
    """The seller sent replacement goods (换货).

    Args:
        aggregate_id: the case's id.
        occurred_at: when, in UTC.
        actor: who sent them.
        shipment: the new parcel.
    """

    shipment: ShipmentReference


@final
@attrs.frozen(slots=True, kw_only=True)
class GoodsReshipped(DomainEvent):
    """The seller sent the goods again (补发), for example after a lost parcel.

    Args:
        aggregate_id: the case's id.
        occurred_at: when, in UTC.
        actor: who sent them.
        shipment: the new parcel.
    """

    shipment: ShipmentReference


@final
@attrs.frozen(slots=True, kw_only=True)
class UnitRepaired(DomainEvent):
    """A unit was repaired, successfully or not.

    Args:
        aggregate_id: the case's id.
        occurred_at: when, in UTC.
        actor: who repaired it.
        attempt: the repair.
        shipment: the parcel bringing a repaired unit back, ``None`` after a failed repair.
    """

    attempt: RepairAttempt
    shipment: ShipmentReference | None


@final
@attrs.frozen(slots=True, kw_only=True)
class CaseEscalated(DomainEvent):
    """Someone asked the platform to step in (申请客服介入).

    Args:
        aggregate_id: the case's id.
        occurred_at: when, in UTC.
        actor: who asked.
        reason: why (long text).
    """

    reason: str


@final
@attrs.frozen(slots=True, kw_only=True)
class CaseRuled(DomainEvent):
    """The platform ruled on the case.

    Args:
        aggregate_id: the case's id.
        occurred_at: when, in UTC.
        actor: the platform's agent.
        ruling: the ruling.
    """

    ruling: Ruling


@final
@attrs.frozen(slots=True, kw_only=True)
class CaseWithdrawn(DomainEvent):
    """The buyer withdrew the request (撤销申请).

    Args:
        aggregate_id: the case's id.
        occurred_at: when, in UTC.
        actor: who withdrew it.
    """


@final
@attrs.frozen(slots=True, kw_only=True)
class CaseClosed(DomainEvent):
    """The case was closed.

    Args:
        aggregate_id: the case's id.
        occurred_at: when, in UTC.
        actor: who closed it (the system when the buyer did not ship the return in time).
        automatic: ``True`` when a timeout closed it.
    """

    automatic: bool


@final
@attrs.frozen(slots=True, kw_only=True)
class CaseReopened(DomainEvent):
    """A closed case was reopened within the reopening window.

    Args:
        aggregate_id: the case's id.
        occurred_at: when, in UTC.
        actor: who reopened it.
    """
