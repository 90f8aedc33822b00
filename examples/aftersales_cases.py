"""After-sales cases (售后) from a tea-and-home shop in Hangzhou, one remedy each.

1. A cracked kettle shown by a photo, exchanged at the seller's cost.
2. Two lost parcels answered within 24 hours: one reshipped by a faster carrier, one refunded.
3. Misleading sales answered with an apology and compensation within the policy's bound.
4. 7-day no-reason returns: refused for hairy crabs, accepted for a jacket with its seal broken.
5. A robot vacuum repaired twice without success, then replaced.

The shop's policy decides what may be opened (and names the rule that refuses); each case
decides the money, and shows the refund requests (idempotency key, amount) that the order's
payment is to carry out.

Run: ``python examples/aftersales_cases.py``
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from collections.abc import Mapping
from typing import Any

import pendulum

from ecservice.aftersales import (
    AfterSalesCase,
    AfterSalesPolicy,
    CaseTimeouts,
    CompensationTier,
    Evidence,
    EvidenceKind,
    GoodsClass,
    ItemTraits,
    PhotoReference,
    ProblemKind,
    RemedyKind,
    ShipmentReference,
)
from ecservice.clock import FixedClock
from ecservice.money import Money
from ecservice.orders import Address, Order, OrderLine
from ecservice.workflow import Actor

ZONE = "Asia/Shanghai"
SHOP = Actor.staff("kefu-07")  # the shop's customer service (客服)
BUYER_ID = "u-1001"
BUYER = Actor.buyer(BUYER_ID)
ADDRESS = Address(
    recipient="王小明",
    phone="138 0013 8000",
    province="江苏省",
    city="南京市",
    district="玄武区",
    street="中山路 18 号",
)
#: The shop's policy: the defaults, taken from the law and platform practice.
POLICY = AfterSalesPolicy(zone=ZONE)
#: The shop answers a lost parcel within 24 hours (the platform's default is 5 days).
LOST_PARCEL_TIMEOUTS = CaseTimeouts(seller_answer_shipped=_dt.timedelta(hours=24))


def cny(amount: str) -> Money:
    return Money(amount, "CNY")


def local(at: _dt.datetime) -> str:
    """An instant as the shop reads it: ``11-14 10:00``."""
    return f"{pendulum.instance(at).in_tz(ZONE):%m-%d %H:%M}"


def delivered_order(
    order_id: str,
    clock: FixedClock,
    lines: Mapping[str, tuple[str, str, int]],
    *,
    signed_after: _dt.timedelta | None = _dt.timedelta(days=2),
) -> Order[Any]:
    """An order of ``lines`` (``{sku: (name, price in CNY, quantity)}``) placed now, confirmed
    and shipped by YTO; signed for ``signed_after`` later (``None``: the parcel never arrives).
    The clock is left at the sign-for time (or at the dispatch)."""
    order: Order[Any] = Order(
        id=order_id,
        buyer_id=BUYER_ID,
        lines=[
            OrderLine(sku=sku, name=name, unit_price=cny(price), quantity=qty)
            for sku, (name, price, qty) in lines.items()
        ],
        address=ADDRESS,
        shipping_fee=cny("10.00"),
        created_at=clock.now(),
        clock=clock,
    )
    order.confirm(actor=SHOP)
    order.ship(carrier="YTO", tracking_no=f"YT{order_id[-4:]}", actor=SHOP)
    if signed_after is not None:
        clock.set(clock.now() + signed_after)
        order.confirm_receipt(actor=BUYER)
    order.pull_events()
    return order


def goods_value(order: Order[Any], lines: Mapping[str, int]) -> Money:
    """What the buyer paid for ``lines`` of ``order``."""
    total = cny("0.00")
    for sku, qty in lines.items():
        total = total + order.line(sku).unit_price * qty
    return total


def photo(name: str) -> PhotoReference:
    """A photo kept in the shop's object store: its hash and where it is, never its bytes."""
    digest = hashlib.sha256(name.encode()).hexdigest()
    return PhotoReference(sha256=digest, uri=f"oss://aftersales-evidence/{name}")


def open_case(
    case_id: str,
    order: Order[Any],
    lines: Mapping[str, int],
    remedy: RemedyKind,
    problem: ProblemKind,
    clock: FixedClock,
    *,
    asked: Money | None = None,
    evidence: tuple[Evidence, ...] = (),
    timeouts: CaseTimeouts | None = None,
) -> AfterSalesCase:
    """A case for a request the policy allowed: liability from the policy, value from the
    order, the amount asked (the goods' value by default)."""
    value = goods_value(order, lines)
    return AfterSalesCase(
        id=case_id,
        order_id=order.id,
        buyer_id=order.buyer_id,
        remedy=remedy,
        problem=problem,
        liability=POLICY.liability[problem],
        lines=dict(lines),
        goods_value=value,
        asked=asked if asked is not None else value,
        opened_at=clock.now(),
        order_shipped=True,
        timeouts=timeouts if timeouts is not None else POLICY.timeouts,
        evidence=evidence,
        clock=clock,
    )


def show(case: AfterSalesCase) -> None:
    """The case's path, its end, and the refund requests it decided."""
    states = [case.history[0].source.name]
    for record in case.history:
        if record.dest.name != states[-1]:  # internal transitions (a repair) stay in place
            states.append(record.dest.name)
    path = " -> ".join(states)
    print(f"  path: {path}")
    print(f"  {case.id}: {case.status.label_en} / {case.status.label_zh} at v{case.version}")
    requests = case.refund_requests()
    if requests:
        for key, amount in requests:
            print(f"  refund request: {key} {amount}")
    else:
        print("  refund requests: none")


def quality_exchange() -> None:
    print("1. Quality problem shown by photo, exchanged at the seller's cost")
    clock = FixedClock(pendulum.datetime(2026, 11, 11, 10, 0, tz=ZONE))
    order = delivered_order(
        "O-20261111-0001", clock, {"KETTLE-17": ("电热水壶 1.7 L", "129.00", 1)}
    )
    clock.advance(days=3)
    lines = {"KETTLE-17": 1}
    refused = POLICY.eligible(order, lines, RemedyKind.EXCHANGE, ProblemKind.QUALITY, clock.now())
    print(f"  without a photo: {', '.join(str(r) for r in refused.refusals)}")
    allowed = POLICY.eligible(
        order,
        lines,
        RemedyKind.EXCHANGE,
        ProblemKind.QUALITY,
        clock.now(),
        evidence=[EvidenceKind.PHOTO],
    )
    print(f"  with a photo: allowed={allowed.allowed}")
    freight = POLICY.return_freight_payer(ProblemKind.QUALITY)
    print(f"  return freight: {freight.reason}")
    case = open_case(
        "AS-1001",
        order,
        lines,
        RemedyKind.EXCHANGE,
        ProblemKind.QUALITY,
        clock,
        evidence=(Evidence(photos=(photo("AS-1001/crack.jpg"),), note="壶身底部有裂纹，漏水"),),
    )
    case.approve(expected_version=case.version, actor=SHOP, note="抱歉，运费由我们承担")
    case.ship_return(
        carrier="SF Express", tracking_no="SF7001", actor=BUYER, freight=Money("12.00", "CNY")
    )
    clock.advance(days=2)
    case.receive_return(actor=SHOP)
    print(f"  return freight reimbursed on receipt: {case.freight_total}")
    case.inspect(passed=True, actor=SHOP, note="crack confirmed")
    replacement = ShipmentReference(
        shipment_id="AS-1001-S1", carrier="SF Express", tracking_no="SF7002"
    )
    case.exchange(shipment=replacement, actor=SHOP)
    sent = case.new_shipments[0]
    payer = case.freight_payer.value
    print(f"  replacement sent: {sent.carrier} {sent.tracking_no}, freight paid by the {payer}")
    show(case)


def lost_parcels() -> None:
    print("2. Lost parcels, answered within 24 hours")
    clock = FixedClock(pendulum.datetime(2026, 11, 12, 9, 0, tz=ZONE))
    lines = {"TEA-250": 2}
    tea = {"TEA-250": ("西湖龙井 250 g", "88.00", 2)}
    order = delivered_order("O-20261112-0002", clock, tea, signed_after=None)
    clock.advance(days=6)
    allowed = POLICY.eligible(order, lines, RemedyKind.RESHIP, ProblemKind.LOST_PARCEL, clock.now())
    liable = POLICY.liability[ProblemKind.LOST_PARCEL].value
    print(
        f"  reship allowed={allowed.allowed}; liable: the {liable} (the seller pays, then claims)"
    )
    case = open_case(
        "AS-1002",
        order,
        lines,
        RemedyKind.RESHIP,
        ProblemKind.LOST_PARCEL,
        clock,
        timeouts=LOST_PARCEL_TIMEOUTS,
    )
    due = case.next_due_at()
    assert due is not None
    print(f"  asked {local(case.opened_at)}, answer due {local(due)}")
    clock.advance(hours=2)
    case.approve(expected_version=case.version, actor=SHOP, note="包裹丢失，今天顺丰补发")
    faster = ShipmentReference(shipment_id="AS-1002-S1", carrier="SF Express", tracking_no="SF7003")
    case.reship(shipment=faster, actor=SHOP)
    print(f"  answered at {local(case.history[0].at)}; reshipped by {faster.carrier}")
    show(case)

    clock = FixedClock(pendulum.datetime(2026, 11, 12, 9, 30, tz=ZONE))  # another buyer
    order = delivered_order("O-20261112-0003", clock, tea, signed_after=None)
    clock.advance(days=6)
    case = open_case(
        "AS-1003",
        order,
        lines,
        RemedyKind.REFUND_ONLY,
        ProblemKind.LOST_PARCEL,
        clock,
        timeouts=LOST_PARCEL_TIMEOUTS,
    )
    clock.advance(hours=24)  # nobody answered: the timer approves
    fired = case.run_timeouts()
    print(f"  no answer by {local(clock.now())}: {', '.join(r.trigger for r in fired)}")
    case.refund(actor=SHOP, note="已退款，给您添麻烦了")
    show(case)


def misleading_sales() -> None:
    print("3. Misleading sales: an apology and compensation within the bound")
    clock = FixedClock(pendulum.datetime(2026, 11, 13, 14, 0, tz=ZONE))
    order = delivered_order("O-20261113-0004", clock, {"TEA-MQ": ("明前龙井 100 g", "168.00", 1)})
    clock.advance(days=1)
    lines = {"TEA-MQ": 1}
    tier = CompensationTier.OTHER_PROVINCE  # 南京 is in another province than the shop
    bound = POLICY.compensation_bound(tier)
    print(f"  {tier.label_zh} bound: {bound.minimum} to {bound.maximum}")
    for amount in (cny("30.00"), cny("15.00")):
        answer = POLICY.eligible(
            order,
            lines,
            RemedyKind.COMPENSATION,
            ProblemKind.MISLEADING_SALES,
            clock.now(),
            amount=amount,
            tier=tier,
        )
        verdict = "allowed" if answer.allowed else "; ".join(str(r) for r in answer.refusals)
        print(f"  {amount}: {verdict}")
    case = open_case(
        "AS-1004",
        order,
        lines,
        RemedyKind.COMPENSATION,
        ProblemKind.MISLEADING_SALES,
        clock,
        asked=cny("15.00"),
        evidence=(Evidence(note="客服称是明前茶，包装上是雨前茶"),),
    )
    case.approve(
        expected_version=case.version,
        actor=SHOP,
        note="非常抱歉，客服介绍有误，补偿您 15 元",
    )
    print(f"  answer: {case.history[-1].note}")
    case.compensate(actor=SHOP)
    show(case)


def no_reason_returns() -> None:
    print("4. 7-day no-reason returns")
    clock = FixedClock(pendulum.datetime(2026, 11, 14, 20, 0, tz=ZONE))
    order = delivered_order(
        "O-20261114-0005",
        clock,
        {
            "CRAB-8": ("阳澄湖大闸蟹 8 只", "398.00", 1),
            "JACKET-L": ("羽绒服 L 码", "599.00", 1),
        },
    )
    end = POLICY.no_reason_window_end(clock.now())
    print(f"  signed for {local(clock.now())}; window ends {local(end)} (exclusive)")
    clock.advance(days=2)
    traits = {
        "CRAB-8": ItemTraits(classes={GoodsClass.PERISHABLE}),
        "JACKET-L": ItemTraits(seal_broken=True),  # tried on, tags on: still intact
    }
    for sku in ("CRAB-8", "JACKET-L"):
        answer = POLICY.eligible(
            order,
            {sku: 1},
            RemedyKind.RETURN_AND_REFUND,
            ProblemKind.NO_REASON_RETURN,
            clock.now(),
            traits=traits,
        )
        verdict = "allowed" if answer.allowed else "; ".join(str(r) for r in answer.refusals)
        print(f"  {sku}: {verdict}")
    freight = POLICY.return_freight_payer(ProblemKind.NO_REASON_RETURN, insured=True)
    print(f"  return freight: {freight.reason}")
    case = open_case(
        "AS-1005",
        order,
        {"JACKET-L": 1},
        RemedyKind.RETURN_AND_REFUND,
        ProblemKind.NO_REASON_RETURN,
        clock,
    )
    case.approve(expected_version=case.version, actor=SHOP)
    case.ship_return(carrier="ZTO", tracking_no="ZT8004", actor=BUYER)
    clock.advance(days=2)
    case.receive_return(actor=SHOP)
    case.inspect(passed=True, actor=SHOP, note="吊牌完好，未穿着")
    case.refund(actor=SHOP)
    show(case)


def repair_then_replacement() -> None:
    print("5. A repair that fails twice becomes a replacement")
    clock = FixedClock(pendulum.datetime(2026, 8, 1, 10, 0, tz=ZONE))
    order = delivered_order("O-20260801-0006", clock, {"ROBOT-X1": ("扫地机器人 X1", "1999.00", 1)})
    clock.advance(days=90)
    lines = {"ROBOT-X1": 1}
    for remedy, failed in ((RemedyKind.EXCHANGE, 0), (RemedyKind.REPAIR, 0)):
        answer = POLICY.eligible(
            order,
            lines,
            remedy,
            ProblemKind.QUALITY,
            clock.now(),
            evidence=[EvidenceKind.PHOTO],
            failed_repairs=failed,
        )
        verdict = "allowed" if answer.allowed else "; ".join(str(r) for r in answer.refusals)
        print(f"  day 90, {remedy.value}: {verdict}")
    case = open_case(
        "AS-1006",
        order,
        lines,
        RemedyKind.REPAIR,
        ProblemKind.QUALITY,
        clock,
        evidence=(Evidence(photos=(photo("AS-1006/error-code.jpg"),), note="开机报错 E07"),),
    )
    case.approve(expected_version=case.version, actor=SHOP)
    case.ship_return(carrier="SF Express", tracking_no="SF7006", actor=BUYER)
    clock.advance(days=2)
    case.receive_return(actor=SHOP)
    case.inspect(passed=True, actor=SHOP, note="fault E07 reproduced")
    for attempt in (1, 2):
        clock.advance(days=3)
        case.repair(sku="ROBOT-X1", unit=1, succeeded=False, actor=SHOP, note=f"attempt {attempt}")
    print(
        f"  failed repairs of unit 1: {case.failed_repairs('ROBOT-X1', 1)}, "
        f"exhausted: {case.repairs_exhausted}"
    )
    answer = POLICY.eligible(
        order,
        lines,
        RemedyKind.EXCHANGE,
        ProblemKind.QUALITY,
        clock.now(),
        evidence=[EvidenceKind.PHOTO, EvidenceKind.REPAIR_RECORD],
        failed_repairs=2,
    )
    print(f"  exchange after two failed repairs: allowed={answer.allowed}")
    new_unit = ShipmentReference(
        shipment_id="AS-1006-S1", carrier="SF Express", tracking_no="SF7007"
    )
    case.exchange(shipment=new_unit, actor=SHOP, note="两次维修未修好，换新机")
    show(case)


def main() -> None:
    quality_exchange()
    lost_parcels()
    misleading_sales()
    no_reason_returns()
    repair_then_replacement()


if __name__ == "__main__":
    main()
