"""The exception rules (异常订单): each rule flags what it should and passes the rest, at its
thresholds' boundaries; the policy and the context refuse bad input; a clean order never raises."""

from __future__ import annotations

import datetime as _dt
from decimal import Decimal
from typing import Any

import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pendulum import DateTime

from ecservice.errors import CurrencyMismatch, ValidationError
from ecservice.money import Money
from ecservice.orders import (
    DEFAULT_CHANGE_KEYWORDS,
    Address,
    AddressRule,
    AddressVolumeRule,
    ChangeRequestRule,
    ExceptionContext,
    ExceptionFinding,
    ExceptionPolicy,
    HoldReason,
    LowPriceRule,
    Order,
    OrderLine,
    Presale,
    PresaleDateRule,
    ShippingChecker,
    evaluate_exceptions,
)
from ecservice.workflow import Actor

PLACED = pendulum.datetime(2026, 11, 11, 9, 30, tz="Asia/Shanghai")
HOME = Address(
    recipient="王小明",
    phone="13800138000",
    province="浙江省",
    city="杭州市",
    district="西湖区",
    street="龙井路 1 号",
)


def order(
    id: str = "O-1",
    *,
    price: str = "88.00",
    remarks: str = "",
    presale: Presale | None = None,
    address: Address = HOME,
    placed: DateTime = PLACED,
) -> Order:
    return Order(
        id=id,
        buyer_id="u-1",
        lines=[OrderLine(sku="TEA", name="Tea", unit_price=Money(price, "CNY"), quantity=1)],
        address=address,
        shipping_fee=Money("0.00", "CNY"),
        created_at=placed,
        remarks=remarks,
        presale=presale,
    )


def only(rule: Any) -> ExceptionPolicy:
    return ExceptionPolicy(rules=[rule])


class Checker:
    """A shop's checker that answers what it is told."""

    def __init__(self, address: Any = None, reach: Any = None, presale: Any = None) -> None:
        self.answers = {"address": address, "reach": reach, "presale": presale}

    def address_problem(self, address: Address) -> str | None:
        return self.answers["address"]  # type: ignore[no-any-return]

    def reach_problem(self, address: Address, carrier: str) -> str | None:
        return self.answers["reach"]  # type: ignore[no-any-return]

    def presale_problem(self, ship_by: DateTime, address: Address, carrier: str) -> str | None:
        return self.answers["presale"]  # type: ignore[no-any-return]


def test_a_consultation_checker_serves_the_rules() -> None:
    """The order confirmation's checker protocol has the methods the rules call."""
    from ecservice.consultation import OrderChecker

    for name in ("address_problem", "reach_problem", "presale_problem"):
        assert hasattr(OrderChecker, name)
    assert isinstance(Checker(), ShippingChecker)


def test_the_default_policy_has_every_rule_and_a_clean_order_passes() -> None:
    policy = ExceptionPolicy()
    assert [r.reason for r in policy.rules] == [
        HoldReason.ADDRESS,
        HoldReason.CHANGE_REQUEST,
        HoldReason.PRESALE_DATE,
        HoldReason.LOW_PRICE,
        HoldReason.ADDRESS_VOLUME,
    ]
    context = ExceptionContext(
        catalogue={"TEA": Money("88.00", "CNY")},
        other_orders=[order("O-2")],
        checker=Checker(),
        carrier="SF",
    )
    assert evaluate_exceptions(order(), policy, context) == ()
    assert evaluate_exceptions(order(), ExceptionPolicy(rules=())) == ()


# --- address -------------------------------------------------------------------------------------


def test_the_address_rule_reports_every_failed_check() -> None:
    context = ExceptionContext(
        checker=Checker("no house number", "SF does not reach"), carrier="SF"
    )
    (finding,) = evaluate_exceptions(order(), only(AddressRule()), context)
    assert finding == ExceptionFinding(
        reason=HoldReason.ADDRESS, detail="no house number; SF does not reach"
    )
    no_carrier = ExceptionContext(checker=Checker(None, "SF does not reach"))
    assert evaluate_exceptions(order(), only(AddressRule()), no_carrier) == ()
    assert evaluate_exceptions(order(), only(AddressRule())) == ()


@pytest.mark.parametrize("answer", [42, "", "  ", "bad\x00text"])
def test_a_checker_answering_nonsense_is_refused(answer: object) -> None:
    context = ExceptionContext(checker=Checker(answer))
    with pytest.raises(ValidationError, match="address_problem"):
        evaluate_exceptions(order(), only(AddressRule()), context)


def test_a_long_answer_is_cut_to_a_detail() -> None:
    context = ExceptionContext(checker=Checker("x" * 1500))
    (finding,) = evaluate_exceptions(order(), only(AddressRule()), context)
    assert len(finding.detail) == 1000
    assert finding.detail.endswith("…")


# --- remarks -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("remarks", "flagged"),
    [
        ("麻烦改地址到公司", True),
        ("请 修 改 收件人", True),  # spaces ignored
        ("帮我换地址吧", True),
        ("改收货人电话", True),
        ("please pad the cups", False),
        ("", False),
        ("地址没问题", False),
    ],
)
def test_remarks_asking_for_a_change(remarks: str, flagged: bool) -> None:
    found = evaluate_exceptions(order(remarks=remarks), only(ChangeRequestRule()))
    assert bool(found) is flagged
    if flagged:
        assert found[0].reason is HoldReason.CHANGE_REQUEST


def test_keywords_match_ignoring_case_and_full_width() -> None:
    rule = ChangeRequestRule(keywords=["change address"])
    assert evaluate_exceptions(order(remarks="ＣＨＡＮＧＥ  Address please"), only(rule))
    assert rule.keywords == ("change address",)
    assert ChangeRequestRule().keywords == DEFAULT_CHANGE_KEYWORDS


@pytest.mark.parametrize("keywords", [[], "改地址", ["ok", ""], ["x" * 51], [1]])
def test_bad_keywords_are_refused(keywords: Any) -> None:
    with pytest.raises(ValidationError):
        ChangeRequestRule(keywords=keywords)


# --- presale ------------------------------------------------------------------------------------


def test_a_presale_date_that_has_passed_or_that_the_carrier_cannot_meet() -> None:
    rule = only(PresaleDateRule())
    passed = order(presale=Presale(ship_by=PLACED))
    (finding,) = evaluate_exceptions(passed, rule)
    assert finding.reason is HoldReason.PRESALE_DATE
    later = order(presale=Presale(ship_by=PLACED.add(microseconds=1)))
    assert evaluate_exceptions(later, rule) == ()
    late_carrier = ExceptionContext(checker=Checker(presale="SF needs 5 days"), carrier="SF")
    (finding,) = evaluate_exceptions(later, rule, late_carrier)
    assert finding.detail == "SF needs 5 days"
    assert evaluate_exceptions(order(), rule, late_carrier) == ()  # not a presale order


# --- price ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("price", "flagged"), [("43.99", True), ("44.00", False), ("0.01", True), ("88.00", False)]
)
def test_the_low_price_boundary_is_exact(price: str, flagged: bool) -> None:
    """Half of 88.00 is 44.00: one cent below is held, 44.00 is not."""
    context = ExceptionContext(catalogue={"TEA": Money("88.00", "CNY")})
    found = evaluate_exceptions(order(price=price), only(LowPriceRule()), context)
    assert bool(found) is flagged


def test_the_low_price_rule_skips_unknown_skus_and_refuses_another_currency() -> None:
    other = ExceptionContext(catalogue={"CUP": Money("1.00", "CNY")})
    assert evaluate_exceptions(order(price="0.01"), only(LowPriceRule()), other) == ()
    euros = ExceptionContext(catalogue={"TEA": Money("88.00", "EUR")})
    with pytest.raises(CurrencyMismatch):
        evaluate_exceptions(order(), only(LowPriceRule()), euros)


@pytest.mark.parametrize("ratio", [0, "1.01", -1, "nan", "abc", 0.5, True])
def test_bad_ratios_are_refused(ratio: Any) -> None:
    with pytest.raises(ValidationError, match="min_ratio"):
        LowPriceRule(min_ratio=ratio)


@given(
    catalogue=st.integers(1, 10**8),
    price=st.integers(1, 10**8),
    ratio=st.decimals(min_value=Decimal("0.01"), max_value=1, places=2),
)
def test_the_price_rule_is_exact_arithmetic(catalogue: int, price: int, ratio: Decimal) -> None:
    """Flagged exactly when price < ratio x catalogue, in whole minor units."""
    context = ExceptionContext(catalogue={"TEA": Money.from_minor(catalogue, "CNY")})
    cheap = order(price=str(Money.from_minor(price, "CNY").amount))
    found = evaluate_exceptions(cheap, only(LowPriceRule(min_ratio=ratio)), context)
    assert bool(found) is (price < catalogue * ratio)


# --- many orders to one address -----------------------------------------------------------------


def test_orders_to_one_address_on_one_local_day() -> None:
    """The fourth order of the day to one place is held; the recipient's name does not matter;
    a cancelled order, another address and yesterday in Shanghai do not count."""
    rule = only(AddressVolumeRule(max_orders=3))
    same_place = Address(
        recipient="李雷",
        phone="13900000000",
        province="浙江省",
        city="杭州市",
        district="西湖区",
        street="龙井路1号",
    )
    midnight = PLACED.start_of("day")
    others = [
        order("O-2", placed=midnight),
        order("O-3", address=same_place, placed=PLACED.subtract(minutes=5)),
    ]
    assert evaluate_exceptions(order(), rule, ExceptionContext(other_orders=others)) == ()
    cancelled = order("O-4", placed=PLACED)
    cancelled.cancel(reason="r", actor=Actor.buyer("u-1"))
    yesterday = order("O-5", placed=midnight.subtract(microseconds=1))
    elsewhere = order(
        "O-6",
        address=Address(
            recipient="x",
            phone="13800138000",
            province="浙江省",
            city="宁波市",
            street="龙井路 1 号",
        ),
    )
    context = ExceptionContext(other_orders=[*others, cancelled, yesterday, elsewhere])
    assert evaluate_exceptions(order(), rule, context) == ()
    (finding,) = evaluate_exceptions(
        order(), rule, ExceptionContext(other_orders=[*others, order("O-7")])
    )
    assert finding.detail == "4 orders to this address within the same day (at most 3)"
    two_days = only(AddressVolumeRule(max_orders=3, days=2))
    assert evaluate_exceptions(
        order(), two_days, ExceptionContext(other_orders=[*others, yesterday])
    )


def test_the_day_is_the_shops() -> None:
    """07:00 and 09:30 on the 11th in Shanghai are one shop day, though the first falls on
    the 10th in UTC: the rule counts the policy zone's days."""
    early = order("O-2", placed=pendulum.datetime(2026, 11, 11, 7, tz="Asia/Shanghai"))
    context = ExceptionContext(other_orders=[early])
    shanghai = ExceptionPolicy(rules=[AddressVolumeRule(max_orders=1)], zone="Asia/Shanghai")
    assert evaluate_exceptions(order(), shanghai, context)
    utc = ExceptionPolicy(rules=[AddressVolumeRule(max_orders=1)], zone="UTC")
    assert evaluate_exceptions(order(), utc, context) == ()


@pytest.mark.parametrize(("field", "value"), [("max_orders", 0), ("days", 367), ("days", "1")])
def test_bad_volume_thresholds_are_refused(field: str, value: Any) -> None:
    with pytest.raises(ValidationError, match=field):
        AddressVolumeRule(**{field: value})


# --- policy and context -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"rules": [LowPriceRule(), LowPriceRule(min_ratio="0.3")]},
        {"rules": ["low_price"]},
        {"rules": "low_price"},
        {"zone": "Mars/Base"},
    ],
)
def test_bad_policies_are_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        ExceptionPolicy(**kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"catalogue": {"TEA": Money("0.00", "CNY")}},
        {"catalogue": {"TEA": 88}},
        {"catalogue": [("TEA", Money("1.00", "CNY"))]},
        {"other_orders": ["O-1"]},
        {"other_orders": "O-1"},
        {"checker": object()},
        {"carrier": ""},
    ],
)
def test_bad_contexts_are_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        ExceptionContext(**kwargs)


def test_evaluate_refuses_arguments_of_the_wrong_type() -> None:
    with pytest.raises(ValidationError, match="Order"):
        evaluate_exceptions("O-1", ExceptionPolicy())  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="ExceptionPolicy"):
        evaluate_exceptions(order(), LowPriceRule())  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="ExceptionContext"):
        evaluate_exceptions(order(), ExceptionPolicy(), {})  # type: ignore[arg-type]


@given(
    remarks=st.text(max_size=50).map(str.strip),
    cents=st.integers(1, 10**6),
    minutes=st.integers(-3000, 3000),
)
def test_evaluation_is_pure_and_never_raises_on_valid_input(
    remarks: str, cents: int, minutes: int
) -> None:
    """Whatever the remarks, price and other orders' times: findings (possibly none), and the
    order unchanged."""
    try:
        subject = order(remarks=remarks, price=str(Money.from_minor(cents, "CNY").amount))
    except ValidationError:
        return  # remarks the order itself refuses
    other = order("O-2", placed=PLACED + _dt.timedelta(minutes=minutes))
    context = ExceptionContext(catalogue={"TEA": Money("88.00", "CNY")}, other_orders=[other])
    before = (subject.version, subject.history, subject.status)
    found = evaluate_exceptions(subject, ExceptionPolicy(), context)
    assert all(isinstance(f, ExceptionFinding) for f in found)
    assert len({f.reason for f in found}) == len(found)
    assert (subject.version, subject.history, subject.status) == before
