"""Tests of after-sales: the policy as data, eligibility, and cases.

:func:`delivered_order` builds an order whose parcels were signed for at given instants, the
starting point of every window.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence

from ecservice.clock import FixedClock
from ecservice.money import Money
from ecservice.orders import Address, Order, OrderLine
from ecservice.workflow import Actor

__all__ = ["ADDRESS", "delivered_order"]

ADDRESS = Address(
    recipient="王小明",
    phone="138 0013 8000",
    province="浙江省",
    city="杭州市",
    street="龙井路 1 号",
)

#: The default lines: ``{sku: (price in CNY, quantity)}``.
LINES: Mapping[str, tuple[str, int]] = {"JACKET": ("399.00", 1), "FISH": ("88.00", 2)}


def delivered_order(
    parcels: Sequence[tuple[Mapping[str, int], _dt.datetime | None]],
    *,
    lines: Mapping[str, tuple[str, int]] = LINES,
    shipped_before: _dt.timedelta = _dt.timedelta(days=2),
) -> Order:
    """An order of ``lines`` whose parcels ``(items, signed_at)`` were dispatched
    ``shipped_before`` the first sign-for time and signed for at ``signed_at`` (``None``: still
    travelling). Parcels are signed for in the order given, so their times must not decrease."""
    known = [at for _, at in parcels if at is not None]
    start = (min(known) if known else _dt.datetime(2026, 11, 1, tzinfo=_dt.UTC)) - shipped_before
    clock = FixedClock(start)
    order = Order(
        id="O-1",
        buyer_id="u-1",
        lines=[
            OrderLine(sku=sku, name=sku.lower(), unit_price=Money(price, "CNY"), quantity=qty)
            for sku, (price, qty) in lines.items()
        ],
        address=ADDRESS,
        shipping_fee=Money("10.00", "CNY"),
        created_at=clock.now(),
        clock=clock,
    )
    staff = Actor.staff("s-1")
    order.confirm(actor=staff)
    for i, (items, _) in enumerate(parcels):
        order.ship(
            carrier="SF", tracking_no=f"SF{i}", items=dict(items), shipment_id=f"P{i}", actor=staff
        )
    for i, (_, signed_at) in enumerate(parcels):
        if signed_at is not None:
            clock.set(signed_at)
            order.confirm_receipt(f"P{i}", actor=Actor.buyer("u-1"))
    order.pull_events()
    return order
