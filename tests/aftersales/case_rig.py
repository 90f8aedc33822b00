"""Builders shared by the after-sales case tests."""

from __future__ import annotations

import datetime as _dt
from typing import Any

import attrs
import pendulum

from ecservice.aftersales._case import AfterSalesCase
from ecservice.aftersales._case_values import ShipmentReference
from ecservice.aftersales._categories import Liability, ProblemKind, RemedyKind
from ecservice.clock import FixedClock
from ecservice.money import Money
from ecservice.workflow import Actor

BUYER = Actor.buyer("b-1")
SELLER = Actor.staff("seller-1")
PLATFORM = Actor.staff("platform-1")
START = pendulum.datetime(2026, 3, 1, 8, 0, 0, tz="UTC")
HASH = "ab" * 32


def cny(amount: str) -> Money:
    return Money(amount, "CNY")


def new_case(
    remedy: RemedyKind = RemedyKind.RETURN_AND_REFUND,
    *,
    clock: FixedClock | None = None,
    **overrides: Any,
) -> AfterSalesCase:
    """A new case of 2 units of SKU-A (worth 200.00 CNY) asking 200.00 CNY."""
    fields: dict[str, Any] = {
        "id": "AS-1",
        "order_id": "O-1",
        "buyer_id": "b-1",
        "remedy": remedy,
        "problem": ProblemKind.QUALITY,
        "liability": Liability.SELLER,
        "lines": {"SKU-A": 2},
        "goods_value": cny("200.00"),
        "asked": cny("200.00"),
        "opened_at": START,
        "order_shipped": True,
        "clock": clock if clock is not None else FixedClock(START),
    }
    fields.update(overrides)
    return AfterSalesCase(**fields)


def shipment(n: int) -> ShipmentReference:
    return ShipmentReference(shipment_id=f"AS-1-S{n}", carrier="SF", tracking_no=f"SF{n:08d}")


def snapshot(case: AfterSalesCase) -> dict[str, Any]:
    """Every field of the case (the clock aside) and its queued events."""
    fields = attrs.asdict(case, recurse=False)
    fields.pop("clock")
    return {**fields, "history": tuple(case.history), "events": case.pending_events}


def approved(case: AfterSalesCase, amount: Money | None = None) -> AfterSalesCase:
    case.approve(expected_version=case.version, actor=SELLER, amount=amount)
    return case


def returned(case: AfterSalesCase, *, passed: bool = True) -> AfterSalesCase:
    """Approve, ship back, receive and inspect."""
    approved(case)
    case.ship_return(carrier="YTO", tracking_no="YT123", actor=BUYER)
    case.receive_return(actor=SELLER)
    case.inspect(passed=passed, actor=SELLER, note="" if passed else "scratched, not as sent")
    return case


def later(clock: FixedClock, delta: _dt.timedelta) -> None:
    clock.set(clock.now() + delta)
