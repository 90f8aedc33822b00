"""The after-sales API's static types, checked by ``mypy --strict tests/typing`` (and run by
pytest): typed trigger methods and results, the policy's answers, the reports, and a shop's own
case workflow bound to a subclass."""

from __future__ import annotations

import datetime as _dt
from typing import assert_type

import attrs
import pendulum
from pendulum import DateTime

from ecservice.aftersales import (
    CASE_WORKFLOW,
    AfterSalesCase,
    AfterSalesPolicy,
    AfterSalesReport,
    CaseRefund,
    CaseStatus,
    Eligibility,
    Liability,
    ProblemKind,
    RefundSort,
    RemedyKind,
    ReturnParcel,
    aftersales_report,
)
from ecservice.clock import FixedClock
from ecservice.money import Money
from ecservice.workflow import Actor, Context, TransitionRecord, bind_workflow

START = pendulum.datetime(2026, 3, 1, 8, tz="UTC")
BUYER, SELLER = Actor.buyer("b-1"), Actor.staff("s-1")


def new_case(cls: type[AfterSalesCase] = AfterSalesCase) -> AfterSalesCase:
    return cls(
        id="AS-1",
        order_id="O-1",
        buyer_id="b-1",
        remedy=RemedyKind.EXCHANGE,
        problem=ProblemKind.QUALITY,
        liability=Liability.SELLER,
        lines={"SKU": 1},
        goods_value=Money("88.00", "CNY"),
        asked=Money("88.00", "CNY"),
        opened_at=START,
        order_shipped=True,
        clock=FixedClock(START),
    )


def test_case_types() -> None:
    case = new_case()
    assert_type(case.status, CaseStatus)
    assert_type(case.approve(expected_version=case.version, actor=SELLER), TransitionRecord)
    assert_type(
        case.ship_return(
            carrier="SF", tracking_no="SF1", actor=BUYER, freight=Money("9.00", "CNY")
        ),
        TransitionRecord,
    )
    assert_type(case.return_parcel, ReturnParcel | None)
    assert_type(case.receive_return(actor=SELLER), TransitionRecord)
    assert_type(case.refunds, tuple[CaseRefund, ...])
    assert_type(case.refunds[0].sort, RefundSort)
    assert_type(case.refund_total, Money)
    assert_type(case.freight_total, Money)
    assert_type(case.refund_requests(), tuple[tuple[str, Money], ...])
    assert_type(case.next_due_at(), DateTime | None)
    assert_type(case.run_timeouts(), tuple[TransitionRecord, ...])


def test_policy_and_report_types() -> None:
    policy = AfterSalesPolicy()
    assert_type(policy.allows(ProblemKind.QUALITY, RemedyKind.EXCHANGE), bool)
    assert_type(policy.return_freight_payer(ProblemKind.QUALITY).payer, Liability)
    report = aftersales_report([new_case()], [], now=START, zone="Asia/Shanghai")
    assert_type(report, AfterSalesReport)
    assert_type(report.average_handling, _dt.timedelta | None)
    assert isinstance(policy, AfterSalesPolicy)
    assert Eligibility is not None


def note_inspection(case: AfterSalesCase, ctx: Context) -> None:
    """A shop's hook: nothing but a check that hooks type-check on the case."""
    assert ctx.trigger == "inspect"
    assert case.return_parcel is not None


# A shop's own case workflow: a hook on inspection, bound to a subclass.
CHECKED = CASE_WORKFLOW.derive("aftersales-checked", add_before={"inspect": [note_inspection]})


@attrs.define(slots=True, kw_only=True, on_setattr=attrs.setters.NO_OP)
class CheckedCase(AfterSalesCase):
    """A case of the shop's workflow."""


bind_workflow(CheckedCase, CHECKED)


def test_a_custom_case_workflow_keeps_the_typed_methods() -> None:
    case = new_case(CheckedCase)
    assert_type(case, AfterSalesCase)
    assert isinstance(case, CheckedCase)
    case.approve(expected_version=case.version, actor=SELLER)
    case.ship_return(carrier="SF", tracking_no="SF1", actor=BUYER)
    case.receive_return(actor=SELLER)
    assert_type(case.inspect(passed=True, actor=SELLER), TransitionRecord)
    assert case.status is CaseStatus.INSPECTION_PASSED
