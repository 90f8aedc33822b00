"""Complaints (投诉) at a small appliance shop, handled in six steps: reply, record, judge,
analyse, feedback and the follow-up visit.

1. A kettle that leaks: a valid quality complaint, the seller liable. The feedback opens an
   exchange (an after-sales case); the complaint waits for the case, follows it when it ends,
   and closes after a follow-up visit with satisfaction 5.
2. A complaint judged invalid: the feedback explains why, the customer cannot be reached on the
   follow-up visit.
3. A complaint reopened within its 15-day window, after the customer rated the visit 2.

Run: ``python examples/complaints.py``
"""

from __future__ import annotations

import datetime as _dt

import pendulum

from ecservice.aftersales import (
    AfterSalesCase,
    Liability,
    ProblemKind,
    RemedyKind,
    ShipmentReference,
)
from ecservice.clock import FixedClock
from ecservice.complaints import (
    Complaint,
    ComplaintChannel,
    ComplaintPriority,
    RootCause,
    ThirdParty,
)
from ecservice.money import Money
from ecservice.workflow import Actor

AGENT = Actor.staff("kefu-12")
WAREHOUSE = Actor.staff("warehouse-2")
OPENED = pendulum.datetime(2026, 5, 6, 9, 30, tz="Asia/Shanghai")


def later(clock: FixedClock, **delta: float) -> None:
    clock.set(clock.now() + _dt.timedelta(**delta))


def path(complaint: Complaint) -> str:
    """The states the complaint went through (transitions that kept the state left out)."""
    moves = [r.dest.name for r in complaint.history if r.dest is not r.source]
    return " -> ".join([complaint.history[0].source.name, *moves])


def minutes(start: pendulum.DateTime, end: pendulum.DateTime) -> int:
    return int((end - start).total_seconds()) // 60


def leaking_kettle() -> None:
    clock = FixedClock(OPENED)
    complaint = Complaint(
        id="TS-2026-0001",
        buyer_id="b-88",
        text="The kettle I bought leaks from the base after a week.",
        channel=ComplaintChannel.CHAT,
        opened_at=clock.now(),
        order_id="O-5521",
        lines={"KETTLE-17": 1},
        clock=clock,
    )
    later(clock, minutes=3)
    complaint.reply(message="We are sorry! Could you send a photo of the base?", actor=AGENT)
    complaint.record(
        problem=ProblemKind.QUALITY,
        summary="Leaks from the base after 7 days of normal use.",
        priority=ComplaintPriority.HIGH,
        actor=AGENT,
    )
    complaint.await_customer(reason="a photo of the leaking base", actor=AGENT)
    later(clock, hours=2)
    complaint.resume(actor=AGENT, note="photo received")
    complaint.judge(valid=True, liability=Liability.SELLER, actor=AGENT)
    complaint.analyse(
        cause="A batch of seals shrank in the cold.", root_cause=RootCause.SUPPLIER, actor=AGENT
    )
    case = AfterSalesCase(
        id="AS-7001",
        order_id="O-5521",
        buyer_id="b-88",
        remedy=RemedyKind.EXCHANGE,
        problem=ProblemKind.QUALITY,
        liability=Liability.SELLER,
        lines={"KETTLE-17": 1},
        goods_value=Money("199.00", "CNY"),
        asked=Money("199.00", "CNY"),
        opened_at=clock.now(),
        order_shipped=True,
        clock=clock,
    )
    complaint.feedback(
        solution="We exchange the kettle; the courier collects it tomorrow.",
        case_id=case.id,
        remedy=case.remedy,
        actor=AGENT,
    )
    print(f"{complaint.id}: {complaint.status.label_en} / {complaint.status.label_zh}")
    case.approve(expected_version=case.version, actor=AGENT)
    later(clock, days=1)
    case.ship_return(carrier="SF Express", tracking_no="SF1001", actor=Actor.buyer("b-88"))
    later(clock, days=1)
    case.receive_return(actor=WAREHOUSE)
    case.inspect(passed=True, actor=WAREHOUSE, note="seal shrunk, as described")
    case.exchange(
        shipment=ShipmentReference(
            shipment_id="AS-7001-1", carrier="SF Express", tracking_no="SF2002"
        ),
        actor=WAREHOUSE,
    )
    complaint.case_resolved(case_id=case.id, outcome=case.status, actor=AGENT)
    later(clock, days=3)
    complaint.follow_up(satisfaction=5, comment="The new kettle works well.", actor=AGENT)
    print(f"{complaint.id}: {path(complaint)}")
    print(f"  category {complaint.category}, liable {complaint.liability}, case {case.status}")
    assert complaint.first_replied_at is not None
    print(f"  first reply after {minutes(complaint.opened_at, complaint.first_replied_at)} min")
    for state, start, end in complaint.waits():
        assert end is not None
        print(f"  waited {minutes(start, end)} min in {state.name}")
    assert complaint.visit is not None
    print(f"  satisfaction {complaint.visit.satisfaction}, closed {complaint.closed_at}")


def invalid_complaint() -> None:
    clock = FixedClock(OPENED)
    complaint = Complaint(
        id="TS-2026-0002",
        buyer_id="b-91",
        text="The parcel is late, I want compensation.",
        channel=ComplaintChannel.PHONE,
        opened_at=clock.now(),
        order_id="O-5600",
        clock=clock,
    )
    complaint.reply(message="We are checking with the carrier.", actor=AGENT)
    complaint.record(
        problem=ProblemKind.LATE_DELIVERY, summary="Expects delivery today.", actor=AGENT
    )
    complaint.await_third_party(party=ThirdParty.CARRIER, reason="where is the parcel", actor=AGENT)
    later(clock, hours=4)
    complaint.resume(actor=AGENT, note="the carrier says: on time, due tomorrow")
    complaint.judge(valid=False, actor=AGENT, note="the promised delivery date has not passed")
    complaint.feedback(
        solution="Your parcel arrives tomorrow, within the promised time.", actor=AGENT
    )
    later(clock, days=2)
    complaint.customer_unreachable(actor=AGENT, note="two calls, no answer")
    print(f"{complaint.id}: {path(complaint)}")
    assert complaint.visit is not None
    print(f"  {complaint.validity}, reached on the visit: {complaint.visit.reached}")


def reopened_complaint() -> None:
    clock = FixedClock(OPENED)
    complaint = Complaint(
        id="TS-2026-0003",
        buyer_id="b-17",
        text="客服态度很差",
        channel=ComplaintChannel.PLATFORM,
        opened_at=clock.now(),
        clock=clock,
    )
    complaint.reply(message="非常抱歉，我们会核实。", actor=AGENT)
    complaint.record(
        problem=ProblemKind.AFTERSALES_ATTITUDE, summary="Rude answer in chat.", actor=AGENT
    )
    complaint.escalate(reason="the customer asks for a supervisor", actor=AGENT)
    complaint.judge(valid=True, liability=Liability.SELLER, actor=AGENT)
    complaint.analyse(cause="An agent answered curtly.", root_cause=RootCause.STAFF, actor=AGENT)
    complaint.feedback(solution="An apology and a 10 CNY coupon.", actor=AGENT)
    complaint.follow_up(satisfaction=2, comment="A coupon is not enough.", actor=AGENT)
    later(clock, days=10)
    complaint.reopen(actor=Actor.buyer("b-17"), note="still unhappy")
    print(f"{complaint.id}: {path(complaint)}")
    reopened = complaint.reopen_count
    print(f"  level {complaint.level}, reopened {reopened} time(s), now {complaint.status}")


def main() -> None:
    leaking_kettle()
    invalid_complaint()
    reopened_complaint()


if __name__ == "__main__":
    main()
