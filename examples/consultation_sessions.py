"""Pre-sale consultations (售前咨询) at a small dress shop, run through the reception flow, and
the week's service KPIs.

1. A buyer asks about sizes, objects to the price, orders a dress in a colour that does not
   exist (the confirmation is refused, naming the failed check), then in red; the order is
   handed over for shipping with a gift-wrap remark, followed up before the session completes.
2. A buyer asks about stock at night and leaves without buying; in business time the night's
   wait does not count.
3. A buyer asks about a parcel already received: the session goes to after-sales.

Run: ``python examples/consultation_sessions.py``
"""

from __future__ import annotations

import datetime as _dt

import pendulum
from pendulum import DateTime

from ecservice.calendar import ShopCalendar
from ecservice.clock import FixedClock
from ecservice.consultation import (
    ENQUIRY_FREIGHT,
    ENQUIRY_SIZE,
    ENQUIRY_STOCK,
    ConsultationSession,
    ItemChoice,
    ObjectionKind,
    OrderDetails,
    OrderNotConfirmed,
    ResponseBasis,
    ResponsePolicy,
    Sender,
    consultation_report,
)
from ecservice.orders import Address
from ecservice.workflow import Actor

AGENT = Actor.staff("kefu-7")
CHAT = Actor.system("chat-log")
ZONE = "Asia/Shanghai"
HANGZHOU = Address(
    recipient="Li Na", phone="13800138000", province="浙江", city="杭州", street="文三路 1 号"
)


class DressShopChecker:
    """The shop's order-confirmation checks: red and blue dresses exist, SF reaches every
    province but 西藏, presale goods ship from 1 June."""

    def address_problem(self, address: Address) -> str | None:
        return None if len(address.street) > 3 else "the street address is incomplete"

    def reach_problem(self, address: Address, carrier: str) -> str | None:
        return (
            f"{carrier} does not deliver to {address.province}"
            if address.province == "西藏"
            else None
        )

    def option_problem(self, item: ItemChoice) -> str | None:
        return None if item.colour in ("red", "blue") else f"{item.sku} comes in red or blue only"

    def presale_problem(self, ship_by: DateTime, address: Address, carrier: str) -> str | None:
        first = pendulum.datetime(2026, 6, 1, tz=ZONE)
        return None if ship_by >= first else "presale goods ship from 1 June"


def chat(session: ConsultationSession, clock: FixedClock, sender: Sender, seconds: int) -> None:
    """``seconds`` later, a message from ``sender``."""
    clock.set(clock.now().add(seconds=seconds))
    session.message(sender=sender, length=20, actor=CHAT)


def sold(clock: FixedClock) -> ConsultationSession:
    session = ConsultationSession(id="ZX-1", buyer_id="b-21", opened_at=clock.now(), clock=clock)
    chat(session, clock, Sender.BUYER, 0)
    chat(session, clock, Sender.AGENT, 25)
    session.greet(actor=AGENT)
    session.take_enquiry(type=ENQUIRY_SIZE, note="170 cm, 60 kg", actor=AGENT)
    session.recommend(sku="DRESS-1", note="M", actor=AGENT)
    chat(session, clock, Sender.BUYER, 30)
    chat(session, clock, Sender.AGENT, 50)
    session.handle_objection(kind=ObjectionKind.PRICE, note="a 10 CNY coupon", actor=AGENT)
    session.close_deal(actor=AGENT)
    purple = OrderDetails(
        order_id="O-8801",
        address=HANGZHOU,
        carrier="SF",
        items=[ItemChoice(sku="DRESS-1", colour="purple", size="M")],
    )
    try:
        session.confirm_order(details=purple, checker=DressShopChecker(), actor=AGENT)
    except OrderNotConfirmed as refused:
        print(f"refused: {refused}")
    red = OrderDetails(
        order_id="O-8801",
        address=HANGZHOU,
        carrier="SF",
        items=[ItemChoice(sku="DRESS-1", colour="red", size="M")],
    )
    session.confirm_order(details=red, checker=DressShopChecker(), actor=AGENT)
    session.say_goodbye(actor=AGENT)
    session.hand_over(remarks=["gift wrap, no price tag"], actor=AGENT)
    print(f"{session.id}: {session.status.label_en} / {session.status.label_zh}")
    print(f"  open remarks: {[r.text for _, r in session.open_remarks]}")
    session.follow_up_remark(index=0, note="wrapped by the warehouse", actor=AGENT)
    session.complete(actor=AGENT)
    return session


def left_at_night(clock: FixedClock) -> ConsultationSession:
    clock.set(pendulum.datetime(2026, 5, 6, 23, 0, tz=ZONE))
    session = ConsultationSession(id="ZX-2", buyer_id="b-22", opened_at=clock.now(), clock=clock)
    chat(session, clock, Sender.BUYER, 0)
    chat(session, clock, Sender.AGENT, 10 * 3600 + 120)  # 09:02 the next morning
    session.greet(actor=AGENT)
    session.take_enquiry(type=ENQUIRY_STOCK, actor=AGENT)
    session.end(reason="the buyer left without answering", actor=AGENT)
    return session


def for_after_sales(clock: FixedClock) -> ConsultationSession:
    session = ConsultationSession(id="ZX-3", buyer_id="b-23", opened_at=clock.now(), clock=clock)
    chat(session, clock, Sender.BUYER, 0)
    chat(session, clock, Sender.AGENT, 40)
    session.greet(actor=AGENT)
    session.take_enquiry(type=ENQUIRY_FREIGHT, note="parcel received damaged", actor=AGENT)
    session.transfer_to_aftersales(reason="a received parcel", case_id="AS-3301", actor=AGENT)
    return session


def shown(value: _dt.timedelta | None) -> str:
    return "-" if value is None else str(value)


def main() -> None:
    clock = FixedClock(pendulum.datetime(2026, 5, 6, 10, 0, tz=ZONE))
    found = [sold(clock), left_at_night(clock), for_after_sales(clock)]
    for session in found:
        path = " -> ".join(r.dest.name for r in session.history if not r.internal)
        print(f"{session.id}: {path}")
    now = pendulum.datetime(2026, 5, 8, 12, 0, tz=ZONE)
    for policy in (ResponsePolicy(), ResponsePolicy(basis=ResponseBasis.BUSINESS)):
        report = consultation_report(
            found, now=now, zone=ZONE, policy=policy, calendar=ShopCalendar(), days=7
        )
        median, p90 = shown(report.first_response_median), shown(report.first_response_p90)
        print(f"{policy.basis.label_en}: first response median {median}, p90 {p90}")
        print(f"  within {policy.first_response_target}: {report.first_response_on_target}")
    assert report.conversion is not None
    print(f"conversion {report.converted}/{report.enquired} = {report.conversion.value}")
    for conversion in report.by_enquiry_type:
        print(f"  {conversion.type.label_zh}: {conversion.ordered}/{conversion.sessions}")
    print(
        f"to after-sales: {report.transferred}, ended without order: {report.ended_without_order}"
    )


if __name__ == "__main__":
    main()
