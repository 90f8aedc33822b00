"""The return freight a seller reimburses is its own amount, decided when the return arrives."""

from __future__ import annotations

import copy
import datetime as _dt
from typing import Any

import pytest

from ecservice.aftersales import Liability, ProblemKind, RefundDecided, RefundSort, RemedyKind
from ecservice.clock import FixedClock
from ecservice.errors import CurrencyMismatch, InvalidAmount, ValidationError
from ecservice.money import Money
from ecservice.storage import dump_case, load_case
from tests.aftersales.case_rig import BUYER, SELLER, START, approved, cny, new_case, snapshot

R = RemedyKind


def test_a_seller_liable_return_reimburses_the_freight_the_buyer_stated() -> None:
    """Quality problem (CPL art. 24): the receipt decides a FREIGHT refund of the stated freight,
    under its own key, outside the amount agreed for the goods."""
    case = approved(new_case(R.EXCHANGE))
    case.ship_return(carrier="YTO", tracking_no="YT1", actor=BUYER, freight=cny("12.00"))
    record = case.receive_return(actor=SELLER)
    assert [(r.sort, r.amount, r.version) for r in case.refunds] == [
        (RefundSort.FREIGHT, cny("12.00"), record.version)
    ]
    assert case.freight_total == cny("12.00")
    assert case.refund_total == cny("0.00")
    assert case.refundable == case.agreed
    assert case.refund_requests() == ((f"aftersales:AS-1:v{record.version}:freight", cny("12.00")),)
    decided = [e for e in case.pending_events if isinstance(e, RefundDecided)]
    assert [(e.sort, e.amount) for e in decided] == [(RefundSort.FREIGHT, cny("12.00"))]


def test_the_seller_may_reimburse_less_than_stated_but_never_more() -> None:
    case = approved(new_case(R.EXCHANGE))
    case.ship_return(carrier="YTO", tracking_no="YT1", actor=BUYER, freight=cny("12.00"))
    before = snapshot(case)
    with pytest.raises(InvalidAmount, match=r"from zero to the 12\.00 CNY"):
        case.receive_return(actor=SELLER, freight=cny("12.01"))
    with pytest.raises(InvalidAmount):
        case.receive_return(actor=SELLER, freight=cny("-1.00"))
    with pytest.raises(CurrencyMismatch):
        case.receive_return(actor=SELLER, freight=Money("1.00", "USD"))
    assert snapshot(case) == before
    case.receive_return(actor=SELLER, freight=cny("10.00"))
    assert case.freight_total == cny("10.00")


def test_zero_reimburses_nothing() -> None:
    case = approved(new_case(R.EXCHANGE))
    case.ship_return(carrier="YTO", tracking_no="YT1", actor=BUYER, freight=cny("12.00"))
    case.receive_return(actor=SELLER, freight=cny("0.00"))
    assert case.refunds == ()


def test_a_no_reason_return_reimburses_nothing_unless_the_shop_agreed() -> None:
    """CPL art. 25 para. 3: the buyer pays the return freight unless agreed otherwise."""
    fields: dict[str, Any] = {"problem": ProblemKind.NO_REASON_RETURN, "liability": Liability.BUYER}
    case = approved(new_case(R.RETURN_AND_REFUND, **fields))
    case.ship_return(carrier="YTO", tracking_no="YT1", actor=BUYER, freight=cny("8.00"))
    case.receive_return(actor=SELLER)
    assert case.refunds == ()
    agreed = approved(new_case(R.RETURN_AND_REFUND, **fields))
    agreed.ship_return(carrier="YTO", tracking_no="YT1", actor=BUYER, freight=cny("8.00"))
    agreed.receive_return(actor=SELLER, freight=cny("8.00"))
    assert agreed.freight_total == cny("8.00")


def test_no_freight_stated_means_none_can_be_reimbursed() -> None:
    case = approved(new_case(R.EXCHANGE))
    case.ship_return(carrier="YTO", tracking_no="YT1", actor=BUYER)
    with pytest.raises(InvalidAmount, match=r"from zero to the 0\.00 CNY"):
        case.receive_return(actor=SELLER, freight=cny("1.00"))
    case.receive_return(actor=SELLER)
    assert case.refunds == ()


@pytest.mark.parametrize("freight", [cny("0.00"), cny("-3.00"), Money("3.00", "USD"), "3.00"])
def test_a_bad_stated_freight_is_refused_and_changes_nothing(freight: object) -> None:
    case = approved(new_case(R.EXCHANGE))
    before = snapshot(case)
    with pytest.raises((InvalidAmount, CurrencyMismatch)):
        case.ship_return(carrier="YTO", tracking_no="YT1", actor=BUYER, freight=freight)  # type: ignore[arg-type]
    assert snapshot(case) == before


def test_an_automatic_refund_reimburses_the_freight_with_the_goods() -> None:
    """The seller did not confirm receiving a seller-liable return: the timer refunds the goods
    and the stated freight, two refunds of one version under two keys."""
    clock = FixedClock(START)
    case = approved(new_case(R.RETURN_AND_REFUND, clock=clock))
    case.ship_return(carrier="YTO", tracking_no="YT1", actor=BUYER, freight=cny("15.00"))
    due = case.next_due_at()
    assert due is not None
    clock.set(due)
    fired = case.run_timeouts()
    assert [r.trigger for r in fired] == ["auto_refund"]
    version = fired[0].version
    assert case.refund_requests() == (
        (f"aftersales:AS-1:v{version}", cny("200.00")),
        (f"aftersales:AS-1:v{version}:freight", cny("15.00")),
    )
    assert case.refund_total == cny("200.00")
    assert case.freight_total == cny("15.00")


def test_an_automatic_receipt_reimburses_what_the_default_would() -> None:
    clock = FixedClock(START)
    case = approved(new_case(R.EXCHANGE, clock=clock))
    case.ship_return(carrier="YTO", tracking_no="YT1", actor=BUYER, freight=cny("9.50"))
    due = case.next_due_at()
    assert due is not None
    clock.set(due + _dt.timedelta(seconds=1))
    assert [r.trigger for r in case.run_timeouts()] == ["auto_receive"]
    assert case.freight_total == cny("9.50")


def test_a_loaded_freight_refund_must_name_a_receipt_of_the_return() -> None:
    """Storage loads through the constructor: a FREIGHT refund at a version that did not receive
    the return is refused, as is a second one at the same version."""
    case = approved(new_case(R.EXCHANGE))
    case.ship_return(carrier="YTO", tracking_no="YT1", actor=BUYER, freight=cny("12.00"))
    case.receive_return(actor=SELLER)
    document = dump_case(case)
    (freight,) = document["body"]["refunds"]
    moved = copy.deepcopy(document)
    moved["body"]["refunds"][0]["version"] = freight["version"] - 1
    with pytest.raises(ValidationError, match="not a receipt of the return"):
        load_case(moved)
    doubled = copy.deepcopy(document)
    doubled["body"]["refunds"].append(dict(freight))
    with pytest.raises(ValidationError, match="same version"):
        load_case(doubled)
    assert load_case(document).freight_total == cny("12.00")


def test_no_transition_is_recorded_before_the_case_was_opened() -> None:
    """A case opened after its clock's instant cannot record a transition before its opening:
    it would be stored and then never load again."""
    clock = FixedClock(START)
    case = new_case(R.EXCHANGE, clock=clock, opened_at=START + _dt.timedelta(days=1))
    before = snapshot(case)
    with pytest.raises(ValidationError, match="before the case was opened"):
        case.approve(expected_version=case.version, actor=SELLER)
    assert snapshot(case) == before
    clock.set(START + _dt.timedelta(days=1))
    case.approve(expected_version=case.version, actor=SELLER)
    assert load_case(dump_case(case)).version == 1
