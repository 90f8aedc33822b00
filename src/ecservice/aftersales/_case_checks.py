"""What an after-sales case must satisfy when it is built, in particular when it is loaded from
storage (checked by its constructor)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from ecservice._shown import shown
from ecservice.aftersales._case_events import CaseStatus
from ecservice.aftersales._case_values import (
    CaseRefund,
    Evidence,
    Inspection,
    RefundSort,
    RepairAttempt,
    ReturnParcel,
    Ruling,
    ShipmentReference,
)
from ecservice.aftersales._categories import Liability, ProblemKind, RemedyKind
from ecservice.aftersales._timeouts import CaseTimeouts
from ecservice.errors import CurrencyMismatch, InvalidAmount, InvalidQuantity, ValidationError
from ecservice.money import Money, positive
from ecservice.text import LONG_TEXT_MAX, check_text

if TYPE_CHECKING:
    from ecservice.aftersales._case import AfterSalesCase

__all__ = [
    "MONEY_REMEDIES",
    "as_evidence",
    "as_refunds",
    "as_repairs",
    "as_shipments",
    "as_tuple",
    "check_amount_asked",
    "check_case",
]

S = CaseStatus

#: The remedies whose whole point is money: the amount asked and agreed is above zero.
MONEY_REMEDIES: Final = frozenset(
    {RemedyKind.RETURN_AND_REFUND, RemedyKind.REFUND_ONLY, RemedyKind.COMPENSATION}
)
#: States reached only after an approval (or a ruling for the buyer): ``agreed`` is set.
_AGREED: Final = frozenset(
    {
        S.APPROVED,
        S.AWAITING_RETURN,
        S.RETURN_IN_TRANSIT,
        S.RECEIVED,
        S.INSPECTION_PASSED,
        S.INSPECTION_FAILED,
        S.REFUNDED,
        S.EXCHANGED,
        S.REPAIRED,
        S.RESHIPPED,
        S.COMPENSATED,
    }
)
_PARCEL_REQUIRED: Final = frozenset(
    {S.RETURN_IN_TRANSIT, S.RECEIVED, S.INSPECTION_PASSED, S.INSPECTION_FAILED}
)
_NO_PARCEL: Final = frozenset({S.REQUESTED, S.REJECTED, S.APPROVED, S.AWAITING_RETURN})
_INSPECTED: Final = frozenset({S.INSPECTION_PASSED, S.INSPECTION_FAILED})
_NOT_INSPECTED: Final = _NO_PARCEL | {S.RETURN_IN_TRANSIT, S.RECEIVED}
_REJECTION_ALLOWED: Final = frozenset({S.REJECTED, S.INTERVENTION, S.CLOSED, S.WITHDRAWN})
_MONEY_TRIGGERS: Final = {
    "refund": RefundSort.REFUND,
    "auto_refund": RefundSort.REFUND,
    "compensate": RefundSort.COMPENSATION,
}
#: The transitions that may also reimburse the return freight (a refund of sort ``FREIGHT``).
_FREIGHT_TRIGGERS: Final = frozenset({"receive_return", "auto_receive", "auto_refund"})


def as_tuple(value: object) -> object:
    """A list (as JSON gives it) becomes a tuple; anything else is left for the checks."""
    return tuple(value) if isinstance(value, list) else value


def as_evidence(value: tuple[Evidence, ...] | list[Evidence]) -> object:
    """The converter of ``AfterSalesCase.evidence`` (see :func:`as_tuple`)."""
    return as_tuple(value)


def as_repairs(value: tuple[RepairAttempt, ...] | list[RepairAttempt]) -> object:
    """The converter of ``AfterSalesCase.repairs`` (see :func:`as_tuple`)."""
    return as_tuple(value)


def as_shipments(value: tuple[ShipmentReference, ...] | list[ShipmentReference]) -> object:
    """The converter of ``AfterSalesCase.new_shipments`` (see :func:`as_tuple`)."""
    return as_tuple(value)


def as_refunds(value: tuple[CaseRefund, ...] | list[CaseRefund]) -> object:
    """The converter of ``AfterSalesCase.refunds`` (see :func:`as_tuple`)."""
    return as_tuple(value)


def _tuple_of(case: AfterSalesCase, name: str, kind: type) -> tuple[object, ...]:
    value = getattr(case, name)
    if not isinstance(value, tuple) or not all(isinstance(v, kind) for v in value):
        raise ValidationError(
            f"{case._subject()}: {name} must be a tuple of {kind.__name__}, not {shown(value)}"
        )
    return value


def _optional(case: AfterSalesCase, name: str, kind: type) -> None:
    value = getattr(case, name)
    if value is not None and not isinstance(value, kind):
        raise ValidationError(
            f"{case._subject()}: {name} must be a {kind.__name__} or None, not {shown(value)}"
        )


def _enum(case: AfterSalesCase, name: str, kind: type) -> None:
    value = getattr(case, name)
    if not isinstance(value, kind):
        raise ValidationError(
            f"{case._subject()}: {name} must be a {kind.__name__}, not {shown(value)}"
        )


def check_amount_asked(
    asked: object, goods_value: Money, remedy: RemedyKind, what: str = "the amount asked"
) -> Money:
    """``asked`` if it is Money in the goods' currency from 0 to the goods' value (above 0 for
    a refund or a compensation).

    Raises:
        InvalidAmount: not Money, negative, zero for a money remedy, or above the goods' value.
        CurrencyMismatch: another currency.
    """
    if not isinstance(asked, Money):
        raise InvalidAmount(f"{what} must be Money, not {type(asked).__name__}")
    if asked.currency != goods_value.currency:
        raise CurrencyMismatch(goods_value.currency.code, asked.currency.code, f"ask {what} in")
    if asked.is_negative():
        raise InvalidAmount(f"{what} cannot be negative, got {asked}")
    if remedy in MONEY_REMEDIES and asked.is_zero():
        raise InvalidAmount(f"{what} for a {remedy.label_en.lower()} must be more than zero")
    if asked > goods_value:
        raise InvalidAmount(
            f"{what} ({asked}) is more than the goods of the case are worth ({goods_value}); "
            "a case never refunds more than its lines"
        )
    return asked


def check_case(case: AfterSalesCase) -> None:
    """Check every field of ``case`` and that they agree with its state and history.

    Raises:
        ValidationError: (or a subclass) the first problem found.
    """
    status = case.status
    _enum(case, "status", CaseStatus)
    check_text(case.order_id, "a case's order_id")
    check_text(case.buyer_id, "a case's buyer_id")
    _enum(case, "remedy", RemedyKind)
    _enum(case, "problem", ProblemKind)
    _enum(case, "liability", Liability)
    if type(case.order_shipped) is not bool:
        raise ValidationError(f"{case._subject()}: order_shipped must be True or False")
    _enum(case, "timeouts", CaseTimeouts)
    positive(case.goods_value, "the value of a case's goods")
    check_amount_asked(case.asked, case.goods_value, case.remedy)
    _tuple_of(case, "evidence", Evidence)
    for name, kind in (
        ("return_parcel", ReturnParcel),
        ("inspection", Inspection),
        ("ruling", Ruling),
        ("agreed", Money),
    ):
        _optional(case, name, kind)
    if case.rejection is not None:
        check_text(case.rejection, "a case's rejection", limit=LONG_TEXT_MAX, multiline=True)
    history = case.history
    if history and history[0].at < case.opened_at:
        raise ValidationError(
            f"{case._subject()}: its first transition ({history[0].at}) is before it was opened "
            f"({case.opened_at})"
        )
    _check_state_fields(case, status)
    _check_money(case, status)
    _check_repairs(case)
    _check_counts(case)


def _check_state_fields(case: AfterSalesCase, status: CaseStatus) -> None:
    def wrong(name: str, needed: bool) -> ValidationError:
        verb = "needs" if needed else "cannot have"
        return ValidationError(
            f"{case._subject()} in {status.name} {verb} {name} (got {shown(getattr(case, name))})"
        )

    if (status in _AGREED) and case.agreed is None:
        raise wrong("agreed", True)
    if status in _PARCEL_REQUIRED and case.return_parcel is None:
        raise wrong("return_parcel", True)
    if status in _NO_PARCEL and case.return_parcel is not None:
        raise wrong("return_parcel", False)
    if status in _INSPECTED and case.inspection is None:
        raise wrong("inspection", True)
    if status in _NOT_INSPECTED and case.inspection is not None:
        raise wrong("inspection", False)
    if status is S.INSPECTION_FAILED and case.inspection is not None and case.inspection.passed:
        raise ValidationError(f"{case._subject()} in INSPECTION_FAILED has a passed inspection")
    if (
        status is S.INSPECTION_PASSED
        and case.inspection is not None
        and not case.inspection.passed
        and not (case.ruling is not None and case.ruling.for_buyer)
    ):
        raise ValidationError(
            f"{case._subject()} in INSPECTION_PASSED has a failed inspection and no ruling for "
            "the buyer that overrides it"
        )
    if (status is S.REJECTED) is (case.rejection is None) and (
        status is S.REJECTED or status not in _REJECTION_ALLOWED
    ):
        raise wrong("rejection", status is S.REJECTED)


def _check_money(case: AfterSalesCase, status: CaseStatus) -> None:
    cur = case.goods_value.currency
    refunds = _tuple_of(case, "refunds", CaseRefund)
    total = Money.zero(cur)
    for refund in refunds:
        assert isinstance(refund, CaseRefund)
        if refund.amount.currency != cur:
            raise CurrencyMismatch(cur.code, refund.amount.currency.code, "refund")
        if refund.sort is not RefundSort.FREIGHT:
            total = total + refund.amount
    agreed = case.agreed
    if agreed is None:
        if total.amount > 0:
            raise ValidationError(f"{case._subject()} has refunds but nothing was agreed")
        return
    if agreed.currency != cur:
        raise CurrencyMismatch(cur.code, agreed.currency.code, "agree")
    if agreed > case.asked:
        raise InvalidAmount(
            f"{case._subject()}: agreed {agreed} is more than the {case.asked} asked"
        )
    if total > agreed:
        raise InvalidAmount(
            f"{case._subject()}: its refunds add up to {total}, more than the {agreed} agreed"
        )


def _check_repairs(case: AfterSalesCase) -> None:
    quantities = {line.sku: line.quantity for line in case.lines}
    for attempt in _tuple_of(case, "repairs", RepairAttempt):
        assert isinstance(attempt, RepairAttempt)
        limit = quantities.get(attempt.sku)
        if limit is None:
            raise ValidationError(
                f"{case._subject()}: a repair names line {attempt.sku!r}, not one of the case's"
            )
        if attempt.unit > limit:
            raise InvalidQuantity(
                f"{case._subject()}: a repair names unit {attempt.unit} of {attempt.sku!r}, "
                f"which has {limit} unit(s) in the case"
            )


def _check_counts(case: AfterSalesCase) -> None:
    """The data agrees with the history: one repair per ``repair`` record, one new shipment per
    exchange, reship and successful repair, a ruling exactly when the platform ruled, and one
    refund per transition that decides money, at its version and of the matching sort."""
    repairs = shipments = rulings = 0
    money: dict[int, RefundSort] = {}
    freight: set[int] = set()
    for record in case.history:
        trigger = record.trigger
        if trigger == "repair":
            repairs += 1
            shipments += record.dest is S.REPAIRED
        elif trigger in ("exchange", "reship"):
            shipments += 1
        elif trigger == "rule":
            rulings += 1
        if trigger in _MONEY_TRIGGERS:
            money[record.version] = _MONEY_TRIGGERS[trigger]
        if trigger in _FREIGHT_TRIGGERS:
            freight.add(record.version)
    shipped = _tuple_of(case, "new_shipments", ShipmentReference)
    for what, found, wanted in (
        ("repair", len(case.repairs), repairs),
        ("new shipment", len(shipped), shipments),
        ("ruling", int(case.ruling is not None), min(rulings, 1)),
    ):
        if found != wanted:
            raise ValidationError(
                f"{case._subject()}: its history calls for {wanted} {what}(s), its data has {found}"
            )
    ids = [s.shipment_id for s in case.new_shipments]
    if len(set(ids)) != len(ids):
        raise ValidationError(f"{case._subject()}: a new shipment id appears twice")
    versions = [r.version for r in case.refunds if r.sort is not RefundSort.FREIGHT]
    freights = [r.version for r in case.refunds if r.sort is RefundSort.FREIGHT]
    for refund in case.refunds:
        if refund.sort is RefundSort.FREIGHT:
            if refund.version not in freight:
                raise ValidationError(
                    f"{case._subject()}: a freight reimbursement of {refund.amount} names version "
                    f"{refund.version}, which is not a receipt of the return or an automatic refund"
                )
        elif money.get(refund.version) is not refund.sort:
            raise ValidationError(
                f"{case._subject()}: a {refund.sort.value} of {refund.amount} names version "
                f"{refund.version}, which is not a transition deciding a {refund.sort.value}"
            )
    if len(set(versions)) != len(versions) or len(set(freights)) != len(freights):
        raise ValidationError(f"{case._subject()}: two refunds of one sort name the same version")
    missing = sorted(set(money) - set(versions))
    if missing:
        raise ValidationError(
            f"{case._subject()}: the transitions at version(s) {missing} decided money, but it "
            "has no refund of those versions"
        )
