"""The default after-sales case workflow: its guards, its hooks and :data:`CASE_WORKFLOW`.

Which path a case takes depends on its remedy (:class:`~ecservice.aftersales.RemedyKind`):

* return and refund, exchange, repair: approved -> awaiting the buyer's return -> return in
  transit -> received -> inspected (passed or failed) -> refunded / exchanged / repaired;
* refund only, reship, compensation: approved -> refunded / reshipped (or refunded) /
  compensated, without a return;
* a repair that failed twice on one unit may become an exchange or a refund (the 三包 rules,
  部分商品修理更换退货责任规定: after two repairs a product that still does not work is
  exchanged or returned);
* a rejected request, or a failed inspection, may go to the platform (客服介入), whose ruling
  moves the case on (for the buyer) or closes it (for the seller);
* the buyer may withdraw until the goods travel back; a closed case may be reopened within the
  reopening window of its :class:`~ecservice.aftersales.CaseTimeouts`.

The guards are pure; their docstrings label the diagram and explain rejections.

>>> import pendulum
>>> from ecservice.aftersales import Liability, ProblemKind, RemedyKind
>>> from ecservice.aftersales._case import AfterSalesCase
>>> from ecservice.clock import FixedClock
>>> from ecservice.money import Money
>>> from ecservice.workflow import Actor
>>> clock = FixedClock(pendulum.datetime(2026, 6, 1, 9, tz="Asia/Shanghai"))
>>> case = AfterSalesCase(
...     id="AS-7", order_id="O-7", buyer_id="b-7", remedy=RemedyKind.RESHIP,
...     problem=ProblemKind.LOST_PARCEL, liability=Liability.CARRIER, lines={"TEA-1": 1},
...     goods_value=Money("59.00", "CNY"), asked=Money("59.00", "CNY"),
...     opened_at=clock.now(), order_shipped=True, clock=clock)
>>> case.next_due_at()  # the seller answers within 5 days of a shipped order's request
DateTime(2026, 6, 6, 1, 0, 0, tzinfo=Timezone('UTC'))
>>> _ = case.approve(expected_version=0, actor=Actor.staff("cs-1"), note="sorry, reshipping")
>>> case.status.label_zh
'已同意'
>>> case.can("compensate", actor=Actor.staff("cs-1"))  # the remedy picks the path
False
>>> _ = case.refund(actor=Actor.staff("cs-1"))  # or a refund instead of the reship
>>> case.refund_requests()
(('aftersales:AS-7:v2', Money('59.00', 'CNY')),)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, TypeVar

from ecservice.aftersales._case_events import (
    CaseApproved,
    CaseClosed,
    CaseEscalated,
    CaseRejected,
    CaseReopened,
    CaseRequestAmended,
    CaseRuled,
    CaseStatus,
    CaseWithdrawn,
    EvidenceAdded,
    GoodsExchanged,
    GoodsReshipped,
    RefundDecided,
    ReturnInspected,
    ReturnReceived,
    ReturnShipped,
    UnitRepaired,
)
from ecservice.aftersales._case_values import (
    CaseLine,
    CaseRefund,
    Evidence,
    Inspection,
    RefundSort,
    RepairAttempt,
    ReturnParcel,
    Ruling,
    ShipmentReference,
)
from ecservice.aftersales._categories import RemedyKind
from ecservice.money import Money
from ecservice.workflow import Context, DomainEvent, Workflow, transition

if TYPE_CHECKING:
    from ecservice.aftersales._case import AfterSalesCase

__all__ = [
    "CASE_WORKFLOW",
    "FAILED_REPAIRS_BEFORE_REPLACEMENT",
    "RETURN_REMEDIES",
    "refund_key",
]

#: The remedies that need the goods back before they are given.
RETURN_REMEDIES: Final = frozenset(
    {RemedyKind.RETURN_AND_REFUND, RemedyKind.EXCHANGE, RemedyKind.REPAIR}
)
#: Failed repairs of one unit after which it may be exchanged or refunded (the 三包 rules).
FAILED_REPAIRS_BEFORE_REPLACEMENT: Final = 2

R = RemedyKind
S = CaseStatus


def refund_key(case_id: str, version: int, sort: RefundSort = RefundSort.REFUND) -> str:
    """The idempotency key of the refund of ``sort`` a case decided at ``version``:
    ``"aftersales:<case id>:v<version>"`` for the goods' refund or compensation,
    ``"aftersales:<case id>:v<version>:freight"`` for the return freight reimbursed (stable
    across retries, distinct per decision)."""
    suffix = ":freight" if sort is RefundSort.FREIGHT else ""
    return f"aftersales:{case_id}:v{version}{suffix}"


# --- guards ------------------------------------------------------------------------------------


def needs_return(case: AfterSalesCase, ctx: Context) -> bool:
    """The remedy needs the goods back (return and refund, exchange, repair)."""
    return case.remedy in RETURN_REMEDIES


def goods_back(case: AfterSalesCase, ctx: Context) -> bool:
    """The returned goods were received and inspected."""
    return case.inspection is not None


def ruled_for_buyer(case: AfterSalesCase, ctx: Context) -> bool:
    """The ruling is for the buyer."""
    return ctx.arg("ruling", Ruling).for_buyer


def never_approved(case: AfterSalesCase, ctx: Context) -> bool:
    """Nothing was approved yet (lines and amount are fixed once approved)."""
    return case.agreed is None


def inspection_passed(case: AfterSalesCase, ctx: Context) -> bool:
    """The goods passed the inspection."""
    return ctx.arg("inspection", Inspection).passed


def refund_without_return(case: AfterSalesCase, ctx: Context) -> bool:
    """The remedy is a refund only, or a reship the seller answers with a refund."""
    return case.remedy is R.REFUND_ONLY or case.remedy is R.RESHIP


def refund_after_return(case: AfterSalesCase, ctx: Context) -> bool:
    """A return and refund, an exchange answered with a refund, or a repair after two failed
    repairs of a unit."""
    remedy = case.remedy
    if remedy is R.RETURN_AND_REFUND or remedy is R.EXCHANGE:
        return True
    return remedy is R.REPAIR and case.repairs_exhausted


def partial_refund(case: AfterSalesCase, ctx: Context) -> bool:
    """A return and refund whose goods failed inspection (a partial refund)."""
    return case.remedy is R.RETURN_AND_REFUND


def refund_remedy(case: AfterSalesCase, ctx: Context) -> bool:
    """The remedy is a return and refund."""
    return case.remedy is R.RETURN_AND_REFUND


def exchange_allowed(case: AfterSalesCase, ctx: Context) -> bool:
    """An exchange, or a repair after two failed repairs of a unit."""
    remedy = case.remedy
    return remedy is R.EXCHANGE or (remedy is R.REPAIR and case.repairs_exhausted)


def repair_remedy(case: AfterSalesCase, ctx: Context) -> bool:
    """The remedy is a repair."""
    return case.remedy is R.REPAIR


def repair_succeeded(case: AfterSalesCase, ctx: Context) -> bool:
    """The repair made the unit work."""
    return ctx.arg("attempt", RepairAttempt).succeeded


def reship_remedy(case: AfterSalesCase, ctx: Context) -> bool:
    """The remedy is a reship."""
    return case.remedy is R.RESHIP


def compensation_remedy(case: AfterSalesCase, ctx: Context) -> bool:
    """The remedy is a compensation."""
    return case.remedy is R.COMPENSATION


def within_reopen_window(case: AfterSalesCase, ctx: Context) -> bool:
    """The reopening window of the case has not ended."""
    closed = case.closed_at
    return closed is not None and ctx.at < closed + case.timeouts.reopen_window


# --- hooks -------------------------------------------------------------------------------------


E = TypeVar("E", bound=DomainEvent)


def _event(kind: type[E], case: AfterSalesCase, ctx: Context, **fields: Any) -> E:
    return kind(aggregate_id=case.id, occurred_at=ctx.at, actor=ctx.actor, **fields)


def apply_amend(case: AfterSalesCase, ctx: Context) -> None:
    """Assign the amended lines and amount."""
    lines = ctx.payload["lines"]
    assert isinstance(lines, tuple)
    assert all(isinstance(line, CaseLine) for line in lines)
    case.lines = lines
    case.asked = ctx.arg("asked", Money)
    case.rejection = None
    ctx.emit(_event(CaseRequestAmended, case, ctx, asked=case.asked))


def apply_evidence(case: AfterSalesCase, ctx: Context) -> None:
    """Append the evidence."""
    evidence = ctx.arg("evidence", Evidence)
    case.evidence = (*case.evidence, evidence)
    ctx.emit(_event(EvidenceAdded, case, ctx, evidence=evidence))


def apply_approval(case: AfterSalesCase, ctx: Context) -> None:
    """Record the amount agreed."""
    agreed = ctx.arg("agreed", Money)
    case.agreed = agreed
    case.rejection = None
    ctx.emit(
        _event(
            CaseApproved,
            case,
            ctx,
            agreed=agreed,
            automatic=ctx.trigger == "auto_approve",
        )
    )


def apply_rejection(case: AfterSalesCase, ctx: Context) -> None:
    """Record the reason of the refusal."""
    reason = ctx.arg("reason", str)
    case.rejection = reason
    ctx.emit(_event(CaseRejected, case, ctx, reason=reason))


def apply_return_shipped(case: AfterSalesCase, ctx: Context) -> None:
    """Record the return parcel."""
    parcel = ctx.arg("parcel", ReturnParcel)
    case.return_parcel = parcel
    ctx.emit(_event(ReturnShipped, case, ctx, parcel=parcel))


def _decide(case: AfterSalesCase, ctx: Context, amount: Money, sort: RefundSort) -> None:
    version = case.version + 1
    case.refunds = (*case.refunds, CaseRefund(amount=amount, sort=sort, version=version))
    ctx.emit(
        _event(
            RefundDecided,
            case,
            ctx,
            order_id=case.order_id,
            amount=amount,
            sort=sort,
            idempotency_key=refund_key(case.id, version, sort),
        )
    )


def _reimburse_freight(case: AfterSalesCase, ctx: Context) -> None:
    freight = ctx.payload.get("freight")
    if isinstance(freight, Money):
        _decide(case, ctx, freight, RefundSort.FREIGHT)


def apply_received(case: AfterSalesCase, ctx: Context) -> None:
    """Emit :class:`ReturnReceived`; reimburse the return freight decided, as its own refund."""
    automatic = ctx.trigger == "auto_receive"
    ctx.emit(_event(ReturnReceived, case, ctx, automatic=automatic))
    _reimburse_freight(case, ctx)


def apply_inspection(case: AfterSalesCase, ctx: Context) -> None:
    """Record the inspection."""
    inspection = ctx.arg("inspection", Inspection)
    case.inspection = inspection
    ctx.emit(_event(ReturnInspected, case, ctx, inspection=inspection))


def apply_refund(case: AfterSalesCase, ctx: Context) -> None:
    """Record the money decided (a refund, or a compensation) and emit :class:`RefundDecided`;
    an automatic refund also reimburses the return freight due."""
    amount = ctx.arg("amount", Money)
    sort = RefundSort.COMPENSATION if ctx.trigger == "compensate" else RefundSort.REFUND
    _decide(case, ctx, amount, sort)
    _reimburse_freight(case, ctx)


def apply_new_shipment(case: AfterSalesCase, ctx: Context) -> None:
    """Record the parcel the seller sent (an exchange or a reship)."""
    shipment = ctx.arg("shipment", ShipmentReference)
    case.new_shipments = (*case.new_shipments, shipment)
    event = GoodsExchanged if ctx.trigger == "exchange" else GoodsReshipped
    ctx.emit(_event(event, case, ctx, shipment=shipment))


def apply_repair(case: AfterSalesCase, ctx: Context) -> None:
    """Count the repair; a successful one records the parcel bringing the unit back."""
    attempt = ctx.arg("attempt", RepairAttempt)
    shipment = ctx.payload.get("shipment")
    case.repairs = (*case.repairs, attempt)
    if isinstance(shipment, ShipmentReference):
        case.new_shipments = (*case.new_shipments, shipment)
    else:
        shipment = None
    ctx.emit(_event(UnitRepaired, case, ctx, attempt=attempt, shipment=shipment))


def apply_escalation(case: AfterSalesCase, ctx: Context) -> None:
    """Emit :class:`CaseEscalated`."""
    reason = ctx.arg("reason", str)
    ctx.emit(_event(CaseEscalated, case, ctx, reason=reason))


def apply_ruling(case: AfterSalesCase, ctx: Context) -> None:
    """Record the ruling; one for the buyer sets the amount agreed."""
    ruling = ctx.arg("ruling", Ruling)
    case.ruling = ruling
    if ruling.for_buyer:
        case.rejection = None
        case.agreed = ctx.arg("agreed", Money)
    ctx.emit(_event(CaseRuled, case, ctx, ruling=ruling))


def emit_withdrawn(case: AfterSalesCase, ctx: Context) -> None:
    """Emit :class:`CaseWithdrawn`."""
    ctx.emit(_event(CaseWithdrawn, case, ctx))


def emit_closed(case: AfterSalesCase, ctx: Context) -> None:
    """Emit :class:`CaseClosed`."""
    automatic = ctx.trigger == "auto_close"
    ctx.emit(_event(CaseClosed, case, ctx, automatic=automatic))


def apply_reopen(case: AfterSalesCase, ctx: Context) -> None:
    """Start a new round: the return, the inspection and the refusal of the last one go."""
    case.return_parcel = None
    case.inspection = None
    case.rejection = None
    ctx.emit(_event(CaseReopened, case, ctx))


_OPEN: Final = (
    S.REQUESTED,
    S.APPROVED,
    S.REJECTED,
    S.AWAITING_RETURN,
    S.RETURN_IN_TRANSIT,
    S.RECEIVED,
    S.INSPECTION_PASSED,
    S.INSPECTION_FAILED,
    S.INTERVENTION,
)
_DONE: Final = (S.REFUNDED, S.EXCHANGED, S.REPAIRED, S.RESHIPPED, S.COMPENSATED)

#: The default after-sales case workflow.
CASE_WORKFLOW: Final[Workflow[AfterSalesCase]] = Workflow(
    "aftersales_case",
    states=CaseStatus,
    initial=S.REQUESTED,
    final=[S.WITHDRAWN],
    transitions=[
        transition(
            "amend",
            [S.REQUESTED, S.REJECTED],
            S.REQUESTED,
            conditions=[never_approved],
            before=[apply_amend],
        ),
        transition("add_evidence", _OPEN, None, before=[apply_evidence]),
        *(
            t
            for trig in ("approve", "auto_approve")
            for t in (
                transition(
                    trig,
                    S.REQUESTED,
                    S.AWAITING_RETURN,
                    conditions=[needs_return],
                    before=[apply_approval],
                ),
                transition(trig, S.REQUESTED, S.APPROVED, before=[apply_approval]),
            )
        ),
        transition("reject", S.REQUESTED, S.REJECTED, before=[apply_rejection]),
        transition(
            "ship_return", S.AWAITING_RETURN, S.RETURN_IN_TRANSIT, before=[apply_return_shipped]
        ),
        transition("auto_close", S.AWAITING_RETURN, S.CLOSED),
        transition("receive_return", S.RETURN_IN_TRANSIT, S.RECEIVED, before=[apply_received]),
        transition(
            "auto_receive",
            S.RETURN_IN_TRANSIT,
            S.RECEIVED,
            unless=[refund_remedy],
            before=[apply_received],
        ),
        transition(
            "auto_refund",
            S.RETURN_IN_TRANSIT,
            S.REFUNDED,
            conditions=[refund_remedy],
            before=[apply_refund],
        ),
        transition(
            "inspect",
            S.RECEIVED,
            S.INSPECTION_PASSED,
            conditions=[inspection_passed],
            before=[apply_inspection],
        ),
        transition("inspect", S.RECEIVED, S.INSPECTION_FAILED, before=[apply_inspection]),
        transition(
            "refund",
            S.APPROVED,
            S.REFUNDED,
            conditions=[refund_without_return],
            before=[apply_refund],
        ),
        transition(
            "refund",
            S.INSPECTION_PASSED,
            S.REFUNDED,
            conditions=[refund_after_return],
            before=[apply_refund],
        ),
        transition(
            "refund",
            S.INSPECTION_FAILED,
            S.REFUNDED,
            conditions=[partial_refund],
            before=[apply_refund],
        ),
        transition(
            "compensate",
            S.APPROVED,
            S.COMPENSATED,
            conditions=[compensation_remedy],
            before=[apply_refund],
        ),
        transition(
            "exchange",
            S.INSPECTION_PASSED,
            S.EXCHANGED,
            conditions=[exchange_allowed],
            before=[apply_new_shipment],
        ),
        transition(
            "reship",
            S.APPROVED,
            S.RESHIPPED,
            conditions=[reship_remedy],
            before=[apply_new_shipment],
        ),
        transition(
            "repair",
            S.INSPECTION_PASSED,
            S.REPAIRED,
            conditions=[repair_remedy, repair_succeeded],
            before=[apply_repair],
        ),
        transition(
            "repair",
            S.INSPECTION_PASSED,
            None,
            conditions=[repair_remedy],
            before=[apply_repair],
        ),
        transition(
            "escalate",
            [S.REJECTED, S.INSPECTION_FAILED],
            S.INTERVENTION,
            before=[apply_escalation],
        ),
        transition(
            "rule",
            S.INTERVENTION,
            S.INSPECTION_PASSED,
            conditions=[ruled_for_buyer, goods_back],
            before=[apply_ruling],
        ),
        transition(
            "rule",
            S.INTERVENTION,
            S.AWAITING_RETURN,
            conditions=[ruled_for_buyer, needs_return],
            before=[apply_ruling],
        ),
        transition(
            "rule",
            S.INTERVENTION,
            S.APPROVED,
            conditions=[ruled_for_buyer],
            before=[apply_ruling],
        ),
        transition("rule", S.INTERVENTION, S.CLOSED, before=[apply_ruling]),
        transition(
            "withdraw",
            [S.REQUESTED, S.REJECTED, S.APPROVED, S.AWAITING_RETURN, S.INTERVENTION],
            S.WITHDRAWN,
            before=[emit_withdrawn],
        ),
        transition("close", [S.REJECTED, S.INSPECTION_FAILED, *_DONE], S.CLOSED),
        transition(
            "reopen",
            S.CLOSED,
            S.REQUESTED,
            conditions=[within_reopen_window],
            before=[apply_reopen],
        ),
    ],
    on_enter={S.CLOSED: [emit_closed]},
)
