"""Loading an after-sales case: rebuilt from its stored fields in every state, refused when
the fields disagree with its state or history."""

from __future__ import annotations

import contextlib
import copy
import datetime as _dt
import inspect
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecservice.aftersales._case import AfterSalesCase
from ecservice.aftersales._case_events import (
    CaseStatus,
)
from ecservice.aftersales._case_values import (
    CaseRefund,
    Evidence,
    Inspection,
    RefundSort,
    ReturnParcel,
    ShipmentReference,
)
from ecservice.aftersales._categories import RemedyKind
from ecservice.errors import (
    EcServiceError,
    InvalidAmount,
    ValidationError,
)
from tests.aftersales.case_rig import (
    BUYER,
    SELLER,
    START,
    approved,
    cny,
    new_case,
    returned,
    shipment,
    snapshot,
)
from tests.strategies import hostile_values

S = CaseStatus
R = RemedyKind
MICRO = _dt.timedelta(microseconds=1)


# --- loading ------------------------------------------------------------------------------------


def _fields(case: AfterSalesCase) -> dict[str, Any]:
    fields = {f.name: getattr(case, f.name) for f in attrs.fields(type(case)) if f.init}
    fields["history"] = tuple(case.history)
    return fields


def _through_every_state() -> list[AfterSalesCase]:
    cases = []
    for remedy in R:
        case = new_case(remedy)
        cases.append(copy.deepcopy(case))
        case.add_evidence(Evidence(note="see photos"), actor=BUYER)
        approved(case)
        cases.append(copy.deepcopy(case))
        if remedy in (R.RETURN_AND_REFUND, R.EXCHANGE, R.REPAIR):
            case.ship_return(carrier="SF", tracking_no="1", actor=BUYER)
            cases.append(copy.deepcopy(case))
            case.receive_return(actor=SELLER)
            case.inspect(passed=True, actor=SELLER)
            cases.append(copy.deepcopy(case))
        {
            R.RETURN_AND_REFUND: lambda c: c.refund(actor=SELLER),
            R.REFUND_ONLY: lambda c: c.refund(actor=SELLER),
            R.COMPENSATION: lambda c: c.compensate(actor=SELLER),
            R.EXCHANGE: lambda c: c.exchange(shipment=shipment(1), actor=SELLER),
            R.RESHIP: lambda c: c.reship(shipment=shipment(1), actor=SELLER),
            R.REPAIR: lambda c: c.repair(
                sku="SKU-A", unit=1, succeeded=True, shipment=shipment(1), actor=SELLER
            ),
        }[remedy](case)
        cases.append(copy.deepcopy(case))
        case.close(actor=SELLER)
        cases.append(case)
    return cases


@pytest.mark.parametrize("case", _through_every_state(), ids=lambda c: f"{c.remedy}-{c.status}")
def test_a_case_is_rebuilt_from_its_fields(case: AfterSalesCase) -> None:
    rebuilt = AfterSalesCase(**_fields(case))
    assert rebuilt == case
    assert rebuilt.next_due_at() == case.next_due_at()


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"agreed": None}, "needs agreed"),
        ({"return_parcel": None}, "needs return_parcel"),
        ({"inspection": Inspection(passed=False, note="x")}, "failed inspection"),
        ({"refunds": ()}, None),
        ({"new_shipments": ()}, None),
        ({"agreed": cny("10.00")}, "more than the 10.00 CNY agreed"),
        ({"repairs": ()}, None),
        ({"rejection": "no"}, "cannot have rejection"),
        ({"opened_at": START + _dt.timedelta(days=1)}, "before it was opened"),
    ],
)
def test_loading_refuses_fields_that_disagree_with_the_state(
    change: dict[str, Any], match: str | None
) -> None:
    case = new_case(R.RETURN_AND_REFUND)
    returned(case)
    case.refund(actor=SELLER, amount=cny("50.00"))
    repair = new_case(R.REPAIR)
    returned(repair)
    repair.repair(sku="SKU-A", unit=1, succeeded=True, shipment=shipment(1), actor=SELLER)
    subject = repair if ("new_shipments" in change or "repairs" in change) else case
    fields = {**_fields(subject), **change}
    if "return_parcel" in change or "inspection" in change:
        back = new_case()
        returned(back)
        fields = {**_fields(back), **change}
    with pytest.raises(ValidationError, match=match):
        AfterSalesCase(**fields)


def test_loading_refuses_a_refund_at_a_version_that_decided_none() -> None:
    case = new_case(R.REFUND_ONLY)
    approved(case)
    case.refund(actor=SELLER)
    fields = _fields(case)
    fields["refunds"] = (CaseRefund(amount=cny("200.00"), sort=RefundSort.REFUND, version=1),)
    with pytest.raises(ValidationError, match="not a transition deciding"):
        AfterSalesCase(**fields)
    fields["refunds"] = [CaseRefund(amount=cny("200.00"), sort=RefundSort.COMPENSATION, version=2)]
    with pytest.raises(ValidationError, match="not a transition deciding"):
        AfterSalesCase(**fields)


def test_values_keep_their_rules() -> None:
    assert ReturnParcel(carrier="SF", tracking_no="1").carrier == "SF"
    with pytest.raises(ValidationError):
        ShipmentReference(shipment_id="", carrier="SF", tracking_no="1")
    with pytest.raises(ValidationError, match="needs a note"):
        Inspection(passed=False)
    with pytest.raises(InvalidAmount):
        CaseRefund(amount=cny("0.00"), sort=RefundSort.REFUND, version=1)


FIELDS = (
    "id",
    "order_id",
    "buyer_id",
    "remedy",
    "problem",
    "liability",
    "lines",
    "goods_value",
    "asked",
    "opened_at",
    "order_shipped",
    "timeouts",
    "evidence",
    "agreed",
    "rejection",
    "return_parcel",
    "inspection",
    "repairs",
    "new_shipments",
    "ruling",
    "refunds",
    "status",
    "version",
    "history",
)


@settings(max_examples=300, deadline=None)
@given(name=st.sampled_from(FIELDS), value=hostile_values())
def test_hostile_field_values_raise_library_errors_only(name: str, value: object) -> None:
    """Whatever storage hands the constructor, only a library error escapes."""
    case = new_case()
    returned(case)
    fields = {**_fields(case), name: value}
    with contextlib.suppress(EcServiceError):
        AfterSalesCase(**fields)


@settings(max_examples=200, deadline=None)
@given(
    trigger=st.sampled_from(["amend", "approve", "refund", "rule", "repair", "ship_return"]),
    value=hostile_values(),
    key=st.sampled_from(["lines", "asked", "amount", "expected_version", "carrier", "sku", "unit"]),
)
def test_hostile_arguments_raise_library_errors_and_change_nothing(
    trigger: str, value: object, key: str
) -> None:
    """Arguments of any type raise library errors (or ``TypeError`` when the keywords do not fit
    the method), change nothing, and ``can`` foretells the outcome."""
    case = new_case(R.REPAIR)
    before = snapshot(case)
    foretold = case.can(trigger, actor=SELLER, **{key: value})
    try:
        getattr(case, trigger)(actor=SELLER, **{key: value})
    except EcServiceError:
        assert snapshot(case) == before
        assert not foretold
    except TypeError:  # only when the keywords do not fit the signature
        signature = inspect.signature(getattr(AfterSalesCase, trigger))
        with pytest.raises(TypeError):
            signature.bind(case, actor=SELLER, **{key: value})
        assert not foretold
    else:
        assert foretold
