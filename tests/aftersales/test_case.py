"""The after-sales case: one test per path, versioned approvals, bad input that changes
nothing, and the workflow's table and methods."""

from __future__ import annotations

import datetime as _dt
import inspect
from typing import Any

import pytest

from ecservice.aftersales._case import AfterSalesCase
from ecservice.aftersales._case_events import (
    CaseClosed,
    CaseStatus,
    GoodsExchanged,
    RefundDecided,
    StaleCaseVersion,
    UnitRepaired,
)
from ecservice.aftersales._case_values import (
    CaseLine,
    CaseRefund,
    Evidence,
    PhotoReference,
    RefundSort,
    Ruling,
)
from ecservice.aftersales._case_workflow import CASE_WORKFLOW
from ecservice.aftersales._categories import Liability, ProblemCategory, ProblemKind, RemedyKind
from ecservice.clock import FixedClock
from ecservice.errors import (
    CurrencyMismatch,
    EcServiceError,
    GuardRejected,
    InvalidAmount,
    InvalidQuantity,
    InvalidTransition,
    PolicyViolation,
    ValidationError,
)
from ecservice.money import Money
from tests.aftersales.case_rig import (
    BUYER,
    HASH,
    PLATFORM,
    SELLER,
    START,
    approved,
    cny,
    later,
    new_case,
    returned,
    shipment,
    snapshot,
)

S = CaseStatus
R = RemedyKind
MICRO = _dt.timedelta(microseconds=1)


# --- paths ----------------------------------------------------------------------------------


def test_return_and_refund_runs_approve_return_receive_inspect_refund_close() -> None:
    case = new_case()
    returned(case)
    assert case.status is S.INSPECTION_PASSED
    case.refund(actor=SELLER)
    assert case.status is S.REFUNDED
    assert case.refund_total == cny("200.00")
    assert case.refund_requests() == (("aftersales:AS-1:v5", cny("200.00")),)
    case.close(actor=SELLER)
    assert [r.trigger for r in case.history] == [
        "approve",
        "ship_return",
        "receive_return",
        "inspect",
        "refund",
        "close",
    ]
    events = case.pull_events()
    decided = [e for e in events if isinstance(e, RefundDecided)]
    assert decided == [
        RefundDecided(
            aggregate_id="AS-1",
            occurred_at=START,
            actor=SELLER,
            order_id="O-1",
            amount=cny("200.00"),
            sort=RefundSort.REFUND,
            idempotency_key="aftersales:AS-1:v5",
        )
    ]
    assert isinstance(events[-1], CaseClosed)


def test_refund_only_skips_the_return() -> None:
    case = new_case(R.REFUND_ONLY, problem=ProblemKind.REFUND_BEFORE_SHIPMENT, order_shipped=False)
    approved(case, cny("150.00"))
    assert case.status is S.APPROVED
    assert not case.can("ship_return", actor=BUYER, carrier="SF", tracking_no="1")
    case.refund(actor=SELLER)
    assert case.refund_total == cny("150.00")
    assert case.refundable == cny("0.00")


def test_a_lost_parcel_is_reshipped_or_refunded() -> None:
    reshipped = new_case(R.RESHIP, problem=ProblemKind.LOST_PARCEL, liability=Liability.CARRIER)
    approved(reshipped)
    reshipped.reship(shipment=shipment(1), actor=SELLER, note="faster carrier")
    assert reshipped.status is S.RESHIPPED
    assert reshipped.new_shipments == (shipment(1),)
    assert reshipped.freight_payer is Liability.CARRIER

    refunded = new_case(R.RESHIP, problem=ProblemKind.LOST_PARCEL)
    approved(refunded)
    refunded.refund(actor=SELLER)
    assert refunded.status is S.REFUNDED


def test_an_exchange_sends_a_new_parcel_after_inspection() -> None:
    case = new_case(R.EXCHANGE, problem=ProblemKind.SIZE)
    returned(case)
    case.exchange(shipment=shipment(1), actor=SELLER)
    assert case.status is S.EXCHANGED
    assert any(isinstance(e, GoodsExchanged) for e in case.pending_events)
    assert case.refund_total == cny("0.00")


def test_compensation_keeps_the_goods_and_pays_at_most_the_agreement() -> None:
    case = new_case(R.COMPENSATION, problem=ProblemKind.MISLEADING_SALES, asked=cny("15.00"))
    approved(case, cny("10.00"))
    with pytest.raises(InvalidAmount):
        case.compensate(actor=SELLER, amount=cny("10.01"))
    case.compensate(actor=SELLER)
    assert case.status is S.COMPENSATED
    assert case.refunds == (
        CaseRefund(amount=cny("10.00"), sort=RefundSort.COMPENSATION, version=2),
    )


def test_a_repair_that_works_sends_the_unit_back() -> None:
    case = new_case(R.REPAIR, asked=cny("200.00"))
    returned(case)
    case.repair(sku="SKU-A", unit=1, succeeded=True, shipment=shipment(1), actor=SELLER)
    assert case.status is S.REPAIRED
    assert case.repair_count("SKU-A", 1) == 1
    assert case.new_shipments == (shipment(1),)


def test_two_failed_repairs_of_a_unit_allow_a_replacement() -> None:
    case = new_case(R.REPAIR)
    returned(case)
    case.repair(sku="SKU-A", unit=2, succeeded=False, actor=SELLER, note="still no power")
    assert case.status is S.INSPECTION_PASSED
    with pytest.raises(GuardRejected, match="exchange_allowed"):
        case.exchange(shipment=shipment(1), actor=SELLER)
    case.repair(sku="SKU-A", unit=1, succeeded=False, actor=SELLER, note="other unit")
    assert not case.repairs_exhausted  # two failures, but of two units
    case.repair(sku="SKU-A", unit=2, succeeded=False, actor=SELLER, note="again")
    assert case.repairs_exhausted
    assert case.failed_repairs("SKU-A", 2) == 2
    assert case.repair_count("SKU-A", 1) == 1
    assert case.can("refund", actor=SELLER)
    case.exchange(shipment=shipment(1), actor=SELLER)
    assert case.status is S.EXCHANGED
    assert [e.attempt.unit for e in case.pending_events if isinstance(e, UnitRepaired)] == [2, 1, 2]


def test_repair_counts_survive_a_reopened_round() -> None:
    clock = FixedClock(START)
    case = new_case(R.REPAIR, clock=clock)
    returned(case)
    case.repair(sku="SKU-A", unit=1, succeeded=True, shipment=shipment(1), actor=SELLER)
    case.close(actor=SELLER)
    later(clock, _dt.timedelta(days=3))
    case.reopen(actor=BUYER, note="broke again")
    assert (case.return_parcel, case.inspection) == (None, None)
    returned(case)
    case.repair(sku="SKU-A", unit=1, succeeded=False, actor=SELLER)
    assert case.repair_count("SKU-A", 1) == 2


def test_a_refusal_goes_to_the_platform_whose_ruling_moves_the_case() -> None:
    case = new_case()
    case.reject(expected_version=0, reason="used, not a quality problem", actor=SELLER)
    assert (case.status, case.rejection) == (S.REJECTED, "used, not a quality problem")
    case.escalate(reason="it arrived broken", actor=BUYER)
    case.rule(for_buyer=True, grounds="photos show transit damage", actor=PLATFORM)
    assert case.status is S.AWAITING_RETURN
    assert case.agreed == cny("200.00")
    assert case.rejection is None
    assert case.ruling == Ruling(for_buyer=True, note="photos show transit damage")


def test_a_ruling_for_the_seller_closes_the_case() -> None:
    case = new_case(R.REFUND_ONLY)
    case.reject(expected_version=0, reason="not received is false", actor=SELLER)
    case.escalate(reason="never arrived", actor=BUYER)
    case.rule(for_buyer=False, grounds="signed for by the buyer", actor=PLATFORM)
    assert case.status is S.CLOSED
    with pytest.raises(ValidationError, match="awards no amount"):
        Ruling(for_buyer=False, note="x", amount=cny("1.00"))


def test_a_failed_inspection_ruled_for_the_buyer_counts_as_passed() -> None:
    case = new_case()
    returned(case, passed=False)
    assert case.status is S.INSPECTION_FAILED
    case.escalate(reason="the scratch was there on delivery", actor=BUYER)
    case.rule(for_buyer=True, grounds="delivery photo", actor=PLATFORM, amount=cny("120.00"))
    assert case.status is S.INSPECTION_PASSED
    case.refund(actor=SELLER)
    assert case.refund_total == cny("120.00")


def test_a_failed_inspection_allows_a_partial_refund() -> None:
    case = new_case()
    returned(case, passed=False)
    case.refund(actor=SELLER, amount=cny("50.00"), note="restocking")
    assert case.status is S.REFUNDED
    assert case.refundable == cny("150.00")


def test_the_buyer_withdraws_until_the_goods_travel() -> None:
    case = approved(new_case())
    case.withdraw(actor=BUYER)
    assert case.status is S.WITHDRAWN
    assert case.allowed_triggers() == ()

    travelling = approved(new_case())
    travelling.ship_return(carrier="SF", tracking_no="1", actor=BUYER)
    with pytest.raises(InvalidTransition):
        travelling.withdraw(actor=BUYER)


def test_an_amendment_before_approval_changes_lines_and_restarts_the_answer_time() -> None:
    clock = FixedClock(START)
    case = new_case(clock=clock)
    later(clock, _dt.timedelta(days=2))
    case.amend(actor=BUYER, lines={"SKU-A": 1}, asked=cny("100.00"))
    assert case.lines == (CaseLine(sku="SKU-A", quantity=1),)
    assert case.next_due_at() == START + _dt.timedelta(days=7)
    approved(case)
    before = snapshot(case)
    with pytest.raises(InvalidTransition):
        case.amend(actor=BUYER, lines={"SKU-A": 2})
    assert snapshot(case) == before


def test_evidence_holds_photo_references_not_bytes() -> None:
    case = new_case()
    photo = PhotoReference(sha256=HASH, uri="oss://evidence/AS-1/1.jpg")
    case.add_evidence(Evidence(photos=[photo], note="crack on the lid"), actor=BUYER)
    assert case.evidence == (Evidence(photos=(photo,), note="crack on the lid"),)
    assert case.status is S.REQUESTED
    assert case.version == 1


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"sha256": "AB" * 32, "uri": "https://x/y"}, "lower-case"),
        ({"sha256": "ab" * 31, "uri": "https://x/y"}, "64"),
        ({"sha256": HASH, "uri": "no scheme"}, "absolute URI"),
        ({"sha256": HASH, "uri": b"https://x"}, "absolute URI"),
    ],
)
def test_a_photo_reference_refuses_what_is_not_a_hash_and_a_uri(
    kwargs: dict[str, Any], error: str
) -> None:
    with pytest.raises(ValidationError, match=error):
        PhotoReference(**kwargs)


def test_evidence_needs_a_photo_or_a_note_and_no_photo_twice() -> None:
    photo = PhotoReference(sha256=HASH, uri="https://x/1")
    with pytest.raises(ValidationError, match="at least one photo or a note"):
        Evidence()
    with pytest.raises(ValidationError, match="twice"):
        Evidence(photos=(photo, photo))


# --- versions and bad input -------------------------------------------------------------------


def test_a_stale_approval_is_refused_and_changes_nothing() -> None:
    case = new_case()
    seen = case.version
    case.add_evidence(Evidence(note="more photos later"), actor=BUYER)
    before = snapshot(case)
    with pytest.raises(StaleCaseVersion, match="version 1, not 0") as caught:
        case.approve(expected_version=seen, actor=SELLER)
    assert (caught.value.expected, caught.value.found) == (0, 1)
    assert snapshot(case) == before
    assert not case.can("approve", actor=SELLER, expected_version=seen)
    with pytest.raises(StaleCaseVersion):
        case.reject(expected_version=seen, reason="no", actor=SELLER)
    case.approve(expected_version=case.version, actor=SELLER)
    assert case.status is S.AWAITING_RETURN


def _bad_calls() -> list[tuple[str, Any, type[EcServiceError]]]:
    def approve_above_asked(c: AfterSalesCase) -> None:
        c.approve(expected_version=0, actor=SELLER, amount=cny("200.01"))

    def approve_in_usd(c: AfterSalesCase) -> None:
        c.approve(expected_version=0, actor=SELLER, amount=Money("1.00", "USD"))

    def approve_with_a_str_version(c: AfterSalesCase) -> None:
        c.approve(expected_version="0", actor=SELLER)  # type: ignore[arg-type]

    def amend_no_lines(c: AfterSalesCase) -> None:
        c.amend(actor=BUYER, lines={})

    def amend_zero_quantity(c: AfterSalesCase) -> None:
        c.amend(actor=BUYER, lines={"SKU-A": 0})

    def amend_above_value(c: AfterSalesCase) -> None:
        c.amend(actor=BUYER, asked=cny("999.00"))

    def reject_blank(c: AfterSalesCase) -> None:
        c.reject(expected_version=0, reason="  ", actor=SELLER)

    def refund_now(c: AfterSalesCase) -> None:
        c.refund(actor=SELLER)

    def evidence_not_evidence(c: AfterSalesCase) -> None:
        c.add_evidence("a photo", actor=BUYER)  # type: ignore[arg-type]

    def bad_actor(c: AfterSalesCase) -> None:
        c.withdraw(actor="buyer")  # type: ignore[arg-type]

    def early_timer(c: AfterSalesCase) -> None:
        c.auto_approve()

    return [
        ("approve_above_asked", approve_above_asked, InvalidAmount),
        ("approve_in_usd", approve_in_usd, CurrencyMismatch),
        ("approve_with_a_str_version", approve_with_a_str_version, ValidationError),
        ("amend_no_lines", amend_no_lines, InvalidQuantity),
        ("amend_zero_quantity", amend_zero_quantity, InvalidQuantity),
        ("amend_above_value", amend_above_value, InvalidAmount),
        ("reject_blank", reject_blank, ValidationError),
        ("refund_now", refund_now, InvalidTransition),
        ("evidence_not_evidence", evidence_not_evidence, ValidationError),
        ("bad_actor", bad_actor, ValidationError),
        ("early_timer", early_timer, PolicyViolation),
    ]


@pytest.mark.parametrize(("name", "call", "error"), _bad_calls(), ids=[c[0] for c in _bad_calls()])
def test_bad_input_raises_a_specific_error_and_changes_nothing(
    name: str, call: Any, error: type[EcServiceError]
) -> None:
    case = new_case()
    before = snapshot(case)
    with pytest.raises(error):
        call(case)
    assert snapshot(case) == before, name


def test_bad_input_after_the_return_changes_nothing() -> None:
    case = new_case(R.REPAIR)
    returned(case)
    before = snapshot(case)
    for call, error in (
        (lambda: case.repair(sku="SKU-B", unit=1, succeeded=False, actor=SELLER), ValidationError),
        (lambda: case.repair(sku="SKU-A", unit=3, succeeded=False, actor=SELLER), InvalidQuantity),
        (
            lambda: case.repair(sku="SKU-A", unit=1, succeeded=True, actor=SELLER),
            ValidationError,
        ),
        (
            lambda: case.repair(
                sku="SKU-A", unit=1, succeeded=False, shipment=shipment(1), actor=SELLER
            ),
            ValidationError,
        ),
        (lambda: case.refund(actor=SELLER), GuardRejected),
        (lambda: case.exchange(shipment=shipment(1), actor=SELLER), GuardRejected),
    ):
        with pytest.raises(error):
            call()
        assert snapshot(case) == before
    case.repair(sku="SKU-A", unit=1, succeeded=True, shipment=shipment(1), actor=SELLER)


def test_a_shipment_id_is_used_once_per_case() -> None:
    case = new_case(R.REPAIR)
    returned(case)
    case.repair(sku="SKU-A", unit=1, succeeded=True, shipment=shipment(1), actor=SELLER)
    case.close(actor=SELLER)
    case.reopen(actor=BUYER)
    returned(case)
    with pytest.raises(ValidationError, match="already sent shipment"):
        case.repair(sku="SKU-A", unit=1, succeeded=True, shipment=shipment(1), actor=SELLER)


def test_refunds_never_exceed_the_agreement() -> None:
    case = new_case(R.REFUND_ONLY)
    approved(case, cny("80.00"))
    with pytest.raises(InvalidAmount, match=r"at most 80\.00"):
        case.refund(actor=SELLER, amount=cny("80.01"))
    with pytest.raises(InvalidAmount):
        case.refund(actor=SELLER, amount=cny("0.00"))
    case.refund(actor=SELLER, amount=cny("80.00"))


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"lines": {}}, InvalidQuantity),
        ({"lines": {"SKU-A": -1}}, InvalidQuantity),
        ({"lines": {"SKU-A": True}}, InvalidQuantity),
        ({"lines": "SKU-A"}, ValidationError),
        ({"asked": cny("200.01")}, InvalidAmount),
        ({"asked": cny("0.00")}, InvalidAmount),
        ({"asked": Money("1", "JPY")}, CurrencyMismatch),
        ({"goods_value": cny("0.00"), "asked": cny("0.00")}, InvalidAmount),
        ({"opened_at": _dt.datetime(2026, 3, 1)}, ValidationError),
        ({"remedy": "refund_only"}, ValidationError),
        ({"order_shipped": 1}, ValidationError),
        ({"timeouts": None}, ValidationError),
        ({"order_id": " O-1"}, ValidationError),
    ],
)
def test_the_constructor_refuses_bad_fields(
    overrides: dict[str, Any], error: type[Exception]
) -> None:
    with pytest.raises(error):
        new_case(**overrides)


def test_an_exchange_may_ask_nothing_but_a_refund_may_not() -> None:
    assert new_case(R.EXCHANGE, asked=cny("0.00")).asked == cny("0.00")
    with pytest.raises(InvalidAmount, match="more than zero"):
        new_case(R.REFUND_ONLY, asked=cny("0.00"))


# --- the workflow and its methods ----------------------------------------------------------------


def test_every_trigger_has_a_typed_method() -> None:
    for trig in CASE_WORKFLOW.triggers:
        method = getattr(AfterSalesCase, trig)
        assert inspect.isfunction(method), trig
        hints = inspect.get_annotations(method)
        assert "return" in hints, trig
        params = inspect.signature(method).parameters
        assert "actor" in params, trig
        assert all(p in hints for p in params if p != "self"), trig


def test_states_carry_chinese_labels_and_the_diagram_names_them() -> None:
    assert S.REQUESTED.label_zh == "待处理"
    assert S.AWAITING_RETURN.label_zh == "待买家退货"
    assert S.INTERVENTION.label_zh == "客服介入"
    text = CASE_WORKFLOW.mermaid()
    for state in S:
        assert state.label_zh in text
    assert "refund_after_return" in text


def test_the_problem_category_comes_from_the_kind() -> None:
    case = new_case(problem=ProblemKind.COURIER_ATTITUDE)
    assert case.problem.category is ProblemCategory.LOGISTICS


def test_can_agrees_with_the_call() -> None:
    case = new_case(R.REFUND_ONLY)
    assert case.can("approve", actor=SELLER, expected_version=0)
    assert not case.can("approve", actor=SELLER, expected_version=0, amount=cny("500.00"))
    assert not case.can("approve", actor=SELLER)  # the version is required
    assert not case.can("refund", actor=SELLER)
    approved(case)
    assert case.can("refund", actor=SELLER, amount=cny("1.00"))
    assert not case.can("compensate", actor=SELLER)
