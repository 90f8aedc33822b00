"""The values of a consultation: enquiry types as data, messages, enquiries, remarks, the order
details and the confirmation checks."""

from __future__ import annotations

import pendulum
import pytest

from ecservice.consultation import (
    DEFAULT_ENQUIRY_TYPES,
    ENQUIRY_FREIGHT,
    MAX_ITEMS,
    CheckFinding,
    ConfirmationCheck,
    Enquiry,
    EnquiryType,
    ItemChoice,
    Message,
    OrderDetails,
    OrderNotConfirmed,
    Remark,
    Sender,
    check_order,
)
from ecservice.errors import NaiveDatetime, ValidationError
from tests.consultation.rig import ADDRESS, FAR_ADDRESS, START, ShopChecker, details


def test_the_default_enquiry_types_are_the_reception_flows() -> None:
    """Stock, promotion, size, product, freight and dispatch, presale, other: distinct codes,
    both labels."""
    assert [t.code for t in DEFAULT_ENQUIRY_TYPES] == [
        "stock",
        "promotion",
        "size",
        "product",
        "freight",
        "presale",
        "other",
    ]
    assert [t.label_zh for t in DEFAULT_ENQUIRY_TYPES] == [
        "库存",
        "促销活动",
        "尺码",
        "产品",
        "运费与发货",
        "预售",
        "其他",
    ]
    assert ENQUIRY_FREIGHT.label("zh_CN") == "运费与发货"
    assert ENQUIRY_FREIGHT.label() == "Freight and dispatch"


@pytest.mark.parametrize("code", ["", "Stock", "1st", "a-b", "库存", "x" * 41, 7])
def test_an_enquiry_type_code_is_a_lower_case_key(code: object) -> None:
    """Codes are 1 to 40 lower-case ASCII letters, digits or underscores, starting with a
    letter."""
    with pytest.raises(ValidationError, match="code"):
        EnquiryType(code=code, label_en="X", label_zh="X")  # type: ignore[arg-type]


def test_values_convert_instants_to_utc_and_refuse_naive_ones() -> None:
    """Messages and enquiries store UTC; a naive instant raises NaiveDatetime."""
    local = pendulum.datetime(2026, 5, 6, 9, 30, tz="Asia/Shanghai")
    assert Message(sender=Sender.BUYER, at=local, length=1).at == START
    assert Enquiry(type=ENQUIRY_FREIGHT, at=local).at.tzinfo == pendulum.UTC
    with pytest.raises(NaiveDatetime):
        Message(sender=Sender.BUYER, at=local.naive(), length=1)


def test_a_remark_note_comes_with_its_follow_up() -> None:
    """An open remark has no note; text is required."""
    with pytest.raises(ValidationError):
        Remark(text="gift wrap", note="done")
    with pytest.raises(ValidationError):
        Remark(text="  ")
    with pytest.raises(ValidationError):
        Remark(text="x", followed_up=1)  # type: ignore[arg-type]
    assert Remark(text="x", followed_up=True, note="done").followed_up


def test_order_details_validate_their_fields() -> None:
    """Items are 1 to MAX_ITEMS ItemChoice values; the address is an Address; presale dates are
    aware."""
    with pytest.raises(ValidationError):
        OrderDetails(order_id="O-1", address=ADDRESS, carrier="SF", items=[])
    with pytest.raises(ValidationError):
        OrderDetails(
            order_id="O-1",
            address=ADDRESS,
            carrier="SF",
            items=[ItemChoice(sku="A")] * (MAX_ITEMS + 1),
        )
    with pytest.raises(ValidationError):
        OrderDetails(order_id="O-1", address="杭州", carrier="SF", items=[ItemChoice(sku="A")])  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        OrderDetails(order_id="O-1", address=ADDRESS, carrier="SF", items="A")  # type: ignore[arg-type]
    with pytest.raises(NaiveDatetime):
        details(presale_ship_by=START.naive())
    with pytest.raises(ValidationError):
        ItemChoice(sku="A", quantity=0)
    with pytest.raises(ValidationError):
        ItemChoice(sku="A", colour=" red")
    assert ItemChoice(sku="A", colour="red", size="M", quantity=2).describe() == "A red/M x 2"
    assert ItemChoice(sku="A").describe() == "A x 1"


def test_check_order_gives_one_finding_per_point() -> None:
    """Address, reach, each item, and the presale date only for presale goods."""
    order = OrderDetails(
        order_id="O-1",
        address=FAR_ADDRESS,
        carrier="SF",
        items=[ItemChoice(sku="A", colour="red"), ItemChoice(sku="B", colour="green")],
    )
    findings = check_order(order, ShopChecker())
    assert [(f.check, f.passed) for f in findings] == [
        (ConfirmationCheck.ADDRESS, True),
        (ConfirmationCheck.CARRIER_REACH, False),
        (ConfirmationCheck.ITEM_OPTION, True),
        (ConfirmationCheck.ITEM_OPTION, False),
    ]
    assert findings[3].detail == "no green B"
    presale = check_order(details(presale_ship_by=START), ShopChecker())
    assert presale[-1].check is ConfirmationCheck.PRESALE_DATE
    assert not presale[-1].passed
    with pytest.raises(ValidationError):
        check_order("O-1", ShopChecker())  # type: ignore[arg-type]


def test_a_failed_finding_says_why() -> None:
    """A failure without a detail is refused; findings read as sentences."""
    with pytest.raises(ValidationError):
        CheckFinding(check=ConfirmationCheck.ADDRESS, passed=False, subject="x")
    finding = CheckFinding(check=ConfirmationCheck.ADDRESS, passed=False, subject="x", detail="no")
    assert str(finding) == "Address is valid (x) failed: no"
    error = OrderNotConfirmed("O-1", [finding])
    assert error.checks == {ConfirmationCheck.ADDRESS}
    assert str(error) == "order 'O-1' cannot be confirmed:\n  - Address is valid (x) failed: no"
