"""The consultation area's static types, checked by ``mypy --strict tests/typing``."""

from __future__ import annotations

import datetime as _dt
from typing import assert_type

import pendulum
from pendulum import DateTime

from ecservice.aftersales import Rate
from ecservice.calendar import ShopCalendar
from ecservice.clock import FixedClock
from ecservice.consultation import (
    ENQUIRY_SIZE,
    CheckFinding,
    ConsultationReport,
    ConsultationSession,
    ConsultationStatus,
    EnquiryConversion,
    EnquiryType,
    ItemChoice,
    Message,
    OrderChecker,
    OrderDetails,
    Remark,
    Response,
    ResponseBasis,
    ResponsePolicy,
    Sender,
    check_order,
    consultation_report,
    responses,
)
from ecservice.orders import Address
from ecservice.workflow import Actor, TransitionRecord


class Checker:
    def address_problem(self, address: Address) -> str | None:
        return None

    def reach_problem(self, address: Address, carrier: str) -> str | None:
        return None

    def option_problem(self, item: ItemChoice) -> str | None:
        return None

    def presale_problem(self, ship_by: DateTime, address: Address, carrier: str) -> str | None:
        return None


def test_consultation_types() -> None:
    start = pendulum.datetime(2026, 5, 6, 9, 30, tz="Asia/Shanghai")
    clock = FixedClock(start)
    agent = Actor.staff("kefu-1")
    session = ConsultationSession(id="C-1", buyer_id="b-1", opened_at=start, clock=clock)
    assert_type(session.status, ConsultationStatus)
    assert_type(
        session.message(sender=Sender.BUYER, length=4, actor=Actor.buyer("b-1")), TransitionRecord
    )
    assert_type(session.greet(actor=agent), TransitionRecord)
    assert_type(session.take_enquiry(type=ENQUIRY_SIZE, actor=agent), TransitionRecord)
    assert_type(session.enquiry_types, tuple[EnquiryType, ...])
    assert_type(session.messages, tuple[Message, ...])
    assert_type(session.remarks, tuple[Remark, ...])
    assert_type(session.order, OrderDetails | None)
    assert_type(session.responses(), tuple[Response, ...])
    assert_type(session.first_response(ResponsePolicy(), ShopCalendar()), Response | None)
    address = Address(
        recipient="Li", phone="13800138000", province="浙江", city="杭州", street="文三路 1 号"
    )
    details = OrderDetails(
        order_id="O-1", address=address, carrier="SF", items=[ItemChoice(sku="DRESS-1")]
    )
    checker: OrderChecker = Checker()
    assert_type(check_order(details, checker), tuple[CheckFinding, ...])
    assert_type(
        session.confirm_order(details=details, checker=checker, actor=agent), TransitionRecord
    )
    assert_type(responses(session.messages, ResponsePolicy()), tuple[Response, ...])
    policy = ResponsePolicy(
        first_response_target=_dt.timedelta(minutes=1), basis=ResponseBasis.BUSINESS
    )
    report = consultation_report(
        [session],
        now=start.add(days=1),
        zone="Asia/Shanghai",
        policy=policy,
        calendar=ShopCalendar(),
    )
    assert_type(report, ConsultationReport)
    assert_type(report.conversion, Rate | None)
    assert_type(report.first_response_median, _dt.timedelta | None)
    assert_type(report.for_type("size"), EnquiryConversion | None)
