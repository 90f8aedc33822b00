"""The after-sales view of one order: what a shop shows on the order's page (its cases, the
parcels they sent, the units per line under after-sales and refunded)."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable
from typing import Any, Final, final

import attrs
from pendulum import DateTime

from ecservice._shown import shown
from ecservice.aftersales import (
    AfterSalesCase,
    CaseLine,
    CaseStatus,
    ProblemKind,
    RefundSort,
    RemedyKind,
    ReturnParcel,
    ShipmentReference,
)
from ecservice.application._claims import claims_units
from ecservice.clock import ensure_utc
from ecservice.errors import InvalidQuantity, ValidationError
from ecservice.money import Currency, Money
from ecservice.orders import Order

__all__ = ["CaseShipment", "CaseSummary", "LineAfterSales", "OrderAfterSales", "order_view"]


def _of(kind: type | tuple[type, ...], what: str) -> Any:
    def validate(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, kind) or (kind is int and type(value) is bool):
            names = (
                kind.__name__
                if isinstance(kind, type)
                else " or ".join("None" if k is type(None) else k.__name__ for k in kind)
            )
            raise ValidationError(f"{what}'s {attribute.name} must be {names}, not {shown(value)}")

    return validate


def _utc(value: _dt.datetime) -> DateTime:
    return ensure_utc(value, what="an instant of an order's after-sales view")


def _utc_or_none(value: _dt.datetime | None) -> DateTime | None:
    return None if value is None else _utc(value)


def _units(what: str) -> Any:
    def validate(_: object, __: object, value: object) -> None:
        if type(value) is not int or value < 0:
            raise InvalidQuantity(
                f"{what} must be a whole number of at least 0, not {shown(value)}"
            )

    return validate


#: What sent a case's parcel: the trigger that recorded it.
_SENDING_TRIGGERS: Final = ("exchange", "reship", "repair")
_SUMMARY: Final = "a case summary"
_VIEW: Final = "an order's after-sales view"


@final
@attrs.frozen(slots=True, kw_only=True)
class CaseShipment:
    """A parcel the seller sent in an after-sales case, with its tracking.

    Args:
        case_id: the case that sent it.
        purpose: what it carried: ``"exchange"`` (replacement goods, 换货), ``"reship"`` (the
            goods sent again, 补发) or ``"repair"`` (repaired goods sent back, 维修).
        shipment: the shop's shipment id, the carrier and the tracking number.
        sent_at: when the case recorded it (UTC).

    Raises:
        ValidationError: a field of the wrong type, or another purpose.
        NaiveDatetime: ``sent_at`` has no time zone.
    """

    case_id: str = attrs.field(validator=_of(str, "a case shipment"))
    purpose: str = attrs.field()
    shipment: ShipmentReference = attrs.field(validator=_of(ShipmentReference, "a case shipment"))
    sent_at: DateTime = attrs.field(converter=_utc)

    @purpose.validator
    def _check_purpose(self, _: object, value: object) -> None:
        if value not in _SENDING_TRIGGERS or type(value) is not str:
            raise ValidationError(
                f"a case shipment's purpose is one of {', '.join(_SENDING_TRIGGERS)}, "
                f"not {shown(value)}"
            )


@final
@attrs.frozen(slots=True, kw_only=True)
class CaseSummary:
    """One after-sales case of the order, as the order's page lists it.

    Args:
        case_id: the case's id.
        remedy: the remedy asked for.
        problem: the problem claimed.
        status: where the case stands (its ``label_zh``
            is what Chinese shops show).
        lines: the units the case is about, per SKU.
        asked: the amount the buyer asked.
        agreed: the amount agreed, once approved (or ruled for the buyer).
        refunded: all money the case decided to pay back (refunds, compensations, freight).
        opened_at: when the buyer asked (UTC).
        resolved_at: when it reached an end, while it is there (UTC).
        claims_units: whether its units are claimed now (:func:`claims_units`): another case
            of the order cannot ask for them.
        return_parcel: the parcel the buyer sent back in the current round, with its
            tracking, if any.

    Raises:
        ValidationError: a field of the wrong type.
        NaiveDatetime: an instant without a time zone.
    """

    case_id: str = attrs.field(validator=_of(str, _SUMMARY))
    remedy: RemedyKind = attrs.field(validator=_of(RemedyKind, _SUMMARY))
    problem: ProblemKind = attrs.field(validator=_of(ProblemKind, _SUMMARY))
    status: CaseStatus = attrs.field(validator=_of(CaseStatus, _SUMMARY))
    lines: tuple[CaseLine, ...] = attrs.field(validator=_of(tuple, _SUMMARY))
    asked: Money = attrs.field(validator=_of(Money, _SUMMARY))
    agreed: Money | None = attrs.field(validator=_of((Money, type(None)), _SUMMARY))
    refunded: Money = attrs.field(validator=_of(Money, _SUMMARY))
    opened_at: DateTime = attrs.field(converter=_utc)
    resolved_at: DateTime | None = attrs.field(converter=_utc_or_none)
    claims_units: bool = attrs.field(validator=_of(bool, _SUMMARY))
    return_parcel: ReturnParcel | None = attrs.field(
        validator=_of((ReturnParcel, type(None)), _SUMMARY)
    )


@final
@attrs.frozen(slots=True, kw_only=True)
class LineAfterSales:
    """One order line under after-sales: how many of its units the cases hold.

    Args:
        sku: the line's SKU.
        ordered: the units ordered.
        claimed: units the order's cases claim now (:func:`claimed_units`): no new case may
            ask for more than the line has for its remedy less these.
        in_progress: units of cases still being handled (售后中: no end reached).
        refunded: units of cases that paid money back for the goods (a refund; compensations
            and freight reimbursements leave the goods with the buyer and are not counted).

    Raises:
        ValidationError: a SKU that is not a ``str``.
        InvalidQuantity: a count that is not a whole number of at least 0.
    """

    sku: str = attrs.field(validator=_of(str, "a line's after-sales"))
    ordered: int = attrs.field(validator=_units("ordered"))
    claimed: int = attrs.field(validator=_units("claimed"))
    in_progress: int = attrs.field(validator=_units("in_progress"))
    refunded: int = attrs.field(validator=_units("refunded"))


@final
@attrs.frozen(slots=True, kw_only=True)
class OrderAfterSales:
    """The after-sales view of one order at one instant: what the order's page shows.

    Built by :meth:`~ecservice.application.AfterSalesService.order_view` from the stored order
    and its cases (``uow.cases.for_order``).

    Args:
        order_id: the order's id.
        at: when the view was taken (UTC); claims depend on it.
        cases: the order's cases, oldest opened first.
        shipments: every parcel the cases sent (exchanges, reships, repaired goods), in the
            order they were sent.
        lines: every line of the order, in the order's order, with its units under
            after-sales.
        refunded: all the cases decided to pay back, in the order's currency.

    Raises:
        ValidationError: a field of the wrong type.
        NaiveDatetime: ``at`` has no time zone.
    """

    order_id: str = attrs.field(validator=_of(str, _VIEW))
    at: DateTime = attrs.field(converter=_utc)
    cases: tuple[CaseSummary, ...] = attrs.field(validator=_of(tuple, _VIEW))
    shipments: tuple[CaseShipment, ...] = attrs.field(validator=_of(tuple, _VIEW))
    lines: tuple[LineAfterSales, ...] = attrs.field(validator=_of(tuple, _VIEW))
    refunded: Money = attrs.field(validator=_of(Money, _VIEW))

    @property
    def currency(self) -> Currency:
        """The order's currency."""
        return self.refunded.currency

    def line(self, sku: str) -> LineAfterSales | None:
        """The line ``sku``, or ``None`` if the order has no such line."""
        return next((line for line in self.lines if line.sku == sku), None)

    def case(self, case_id: str) -> CaseSummary | None:
        """The case ``case_id``, or ``None`` if it is not one of the order's."""
        return next((case for case in self.cases if case.case_id == case_id), None)


def _shipments(case: AfterSalesCase) -> list[CaseShipment]:
    """The case's parcels, each with the transition that sent it (the history records the
    sending transitions in the order the parcels were added)."""
    sending = [
        r
        for r in case.history
        if r.trigger in _SENDING_TRIGGERS and (r.trigger != "repair" or r.dest is not r.source)
    ]
    if len(sending) != len(case.new_shipments):
        # A history that does not say which transition sent which parcel (a custom workflow):
        # the remedy names the purpose, the last transition the instant.
        purpose = {RemedyKind.RESHIP: "reship", RemedyKind.REPAIR: "repair"}.get(
            case.remedy, "exchange"
        )
        at = case.history[-1].at if case.history else case.opened_at
        return [
            CaseShipment(case_id=case.id, purpose=purpose, shipment=s, sent_at=at)
            for s in case.new_shipments
        ]
    return [
        CaseShipment(case_id=case.id, purpose=r.trigger, shipment=s, sent_at=r.at)
        for r, s in zip(sending, case.new_shipments, strict=True)
    ]


def order_view(
    order: Order[Any], cases: Iterable[AfterSalesCase], *, at: _dt.datetime
) -> OrderAfterSales:
    """The after-sales view of ``order`` with its ``cases`` at ``at`` (internal: the service's
    :meth:`~ecservice.application.AfterSalesService.order_view` loads them)."""
    when = ensure_utc(at, what="at")
    ordered = list(cases)
    summaries = []
    shipments: list[CaseShipment] = []
    claimed: dict[str, int] = {}
    in_progress: dict[str, int] = {}
    refunded_units: dict[str, int] = {}
    total = Money.zero(order.currency)
    for case in ordered:
        claims = claims_units(case, at=when)
        summaries.append(
            CaseSummary(
                case_id=case.id,
                remedy=case.remedy,
                problem=case.problem,
                status=case.status,
                lines=case.lines,
                asked=case.asked,
                agreed=case.agreed,
                refunded=case.refund_total + case.freight_total,
                opened_at=case.opened_at,
                resolved_at=case.resolved_at,
                claims_units=claims,
                return_parcel=case.return_parcel,
            )
        )
        shipments.extend(_shipments(case))
        total = total + case.refund_total + case.freight_total
        refunds_goods = any(r.sort is RefundSort.REFUND for r in case.refunds)
        for line in case.lines:
            if claims:
                claimed[line.sku] = claimed.get(line.sku, 0) + line.quantity
            if case.resolved_at is None:
                in_progress[line.sku] = in_progress.get(line.sku, 0) + line.quantity
            if refunds_goods:
                refunded_units[line.sku] = refunded_units.get(line.sku, 0) + line.quantity
    shipments.sort(key=lambda s: s.sent_at)
    return OrderAfterSales(
        order_id=order.id,
        at=when,
        cases=tuple(summaries),
        shipments=tuple(shipments),
        lines=tuple(
            LineAfterSales(
                sku=line.sku,
                ordered=line.quantity,
                claimed=claimed.get(line.sku, 0),
                in_progress=in_progress.get(line.sku, 0),
                refunded=refunded_units.get(line.sku, 0),
            )
            for line in order.lines
        ),
        refunded=total,
    )
