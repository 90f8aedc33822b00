"""Hypothesis strategies for the storage tests: real aggregates driven through their triggers.

Each strategy builds an aggregate and fires a generated sequence of triggers at it (failures,
which the library raises as :class:`~ecservice.errors.EcServiceError`, are part of the run and
leave the aggregate unchanged), so the histories, shipments, refunds and idempotency records
are the ones the domain produces, not hand-made ones.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import attrs
import pendulum
from hypothesis import strategies as st

from ecservice.clock import FixedClock
from ecservice.errors import EcServiceError
from ecservice.money import Currency, Money, currency
from ecservice.orders import (
    Address,
    AutoConfirmPolicy,
    Cart,
    Order,
    OrderLine,
    Presale,
    ShippingRate,
    TrackingEvent,
)
from ecservice.payments import (
    InMemoryGateway,
    Instrument,
    InstrumentKind,
    OrderPayments,
    Payment,
)
from ecservice.workflow import Actor, Aggregate
from tests.strategies import addresses, aware_datetimes, currencies, weights

__all__ = ["an_order", "carts", "fields_of", "notes", "orders", "payments", "same_aggregate"]

STAFF = Actor.staff("kefu-07")
BUYER = Actor.buyer("u-1001")
POLICY = AutoConfirmPolicy(days=7, zone="Asia/Shanghai")
SKUS = ("TEA-250", "CUP-1", "POT-9")

_NAME = st.text(alphabet=st.characters(categories=["L", "N"]), min_size=1, max_size=10)


def notes() -> st.SearchStrategy[str]:
    """Free text as the kernel keeps it: empty, or printable text (Chinese included) with inner
    spaces and line breaks, no surrounding white space."""
    body = st.text(alphabet=st.sampled_from("abc 西湖龙井茶\n-,.!1"), min_size=1, max_size=30).map(
        str.strip
    )
    return st.one_of(st.just(""), body)


def _clock(draw: st.DrawFn) -> FixedClock:
    return FixedClock(draw(aware_datetimes()))


def _lines(draw: st.DrawFn, cur: Currency) -> list[OrderLine]:
    count = draw(st.integers(1, len(SKUS)))
    return [
        OrderLine(
            sku=SKUS[i],
            name=draw(_NAME),
            unit_price=Money.from_minor(draw(st.integers(0, 10**6)), cur),
            quantity=draw(st.integers(1, 4)),
            weight_kg=draw(weights(max_kg=3)),
        )
        for i in range(count)
    ]


#: Triggers that fail are part of a generated run: they raise and change nothing.
_QUIET = contextlib.suppress(EcServiceError)


def _items(draw: st.DrawFn, order: Order) -> dict[str, int]:
    skus = [line.sku for line in order.lines]
    chosen = draw(st.lists(st.sampled_from(skus), min_size=1, max_size=3, unique=True))
    return {sku: draw(st.integers(1, 3)) for sku in chosen}


# Weighted so that runs reach delivery often: cancelling the whole order ends most runs at once.
_ORDER_STEPS = (
    "confirm",
    "confirm",
    "ship",
    "confirm_receipt",
    "mark_out_of_stock",
    "restock",
    "ship",
    "track",
    "confirm_receipt",
    "auto_confirm",
    "cancel",
    "cancel_lines",
    "wait",
)


@st.composite
def orders(
    draw: st.DrawFn, *, max_steps: int = 25, on_step: Callable[[Order], None] | None = None
) -> Order:
    """An :class:`Order` placed with generated lines, address, remarks and presale terms, then
    driven through up to ``max_steps`` generated triggers (in any state it reaches); ``on_step``
    is called with the order after it is placed and after each step."""
    clock = _clock(draw)
    cur = draw(currencies())
    presale = None
    if draw(st.booleans()):
        deposit = draw(
            st.one_of(st.none(), st.integers(0, 10**5).map(lambda u: Money.from_minor(u, cur)))
        )
        presale = Presale(ship_by=clock.now().add(days=draw(st.integers(0, 30))), deposit=deposit)
    order = Order(
        id=draw(st.from_regex(r"O-[0-9]{1,6}", fullmatch=True)),
        buyer_id="u-1001",
        lines=_lines(draw, cur),
        address=draw(addresses()),
        shipping_fee=Money.from_minor(draw(st.integers(0, 2000)), cur),
        created_at=clock.now(),
        remarks=draw(notes()),
        presale=presale,
        clock=clock,
    )
    for step in draw(st.lists(st.sampled_from(_ORDER_STEPS), max_size=max_steps)):
        if on_step is not None:
            on_step(order)
        note = draw(notes())
        if step == "confirm":
            with _QUIET:
                order.confirm(actor=STAFF, note=note)
        elif step == "mark_out_of_stock":
            skus = list(_items(draw, order))
            with _QUIET:
                order.mark_out_of_stock(skus, actor=STAFF, note=note)
        elif step == "restock":
            skus2 = None if draw(st.booleans()) else list(_items(draw, order))
            with _QUIET:
                order.restock(skus2, actor=STAFF, note=note)
        elif step == "ship":
            items = None if draw(st.booleans()) else _items(draw, order)
            with _QUIET:
                order.ship(carrier="顺丰", tracking_no="SF1", items=items, actor=STAFF)
        elif step == "track" and order.shipments:
            shipment = draw(st.sampled_from(order.shipments))
            minutes = draw(st.integers(0, 600))
            event = TrackingEvent(
                at=clock.now().add(minutes=minutes),
                description="到达杭州",
                location=draw(st.sampled_from(("", "杭州", "Hangzhou hub"))),
            )
            with _QUIET:
                order.add_tracking_event(shipment.id, event, actor=Actor.carrier("SF"))
        elif step == "confirm_receipt":
            with _QUIET:
                order.confirm_receipt(actor=BUYER, note=note)
        elif step == "auto_confirm":
            clock.advance(days=draw(st.integers(0, 9)))
            with _QUIET:
                order.auto_confirm(POLICY)
        elif step == "cancel" and draw(st.integers(0, 3)) == 0:
            with _QUIET:
                order.cancel(reason=note or "buyer asked", actor=BUYER)
        elif step == "cancel_lines":
            items2 = _items(draw, order)
            with _QUIET:
                order.cancel_lines(items2, reason=note or "no stock", actor=STAFF)
        elif step == "wait":
            clock.advance(
                seconds=draw(st.integers(0, 10**6)), microseconds=draw(st.integers(0, 10**6))
            )
    if on_step is not None:
        on_step(order)
    order.pull_events()
    return order


_CART_STEPS = ("add", "add", "set_quantity", "remove", "checkout", "continue", "place")


@st.composite
def carts(draw: st.DrawFn, *, max_steps: int = 12) -> Cart:
    """A :class:`Cart` driven through up to ``max_steps`` generated triggers (shopping, checking
    out, back to shopping, ordered)."""
    clock = _clock(draw)
    cur = draw(currencies())
    cart = Cart.open(
        draw(st.from_regex(r"C-[0-9]{1,6}", fullmatch=True)),
        buyer_id="u-1001",
        currency=cur,
        clock=clock,
    )
    rate = ShippingRate(
        first_weight_kg=1,
        first_fee=Money.from_minor(1000, cur),
        additional_weight_kg=1,
        additional_fee=Money.from_minor(200, cur),
    )
    for step in draw(st.lists(st.sampled_from(_CART_STEPS), max_size=max_steps)):
        sku = draw(st.sampled_from(SKUS))
        if step == "add":
            price = Money.from_minor(SKUS.index(sku) * 1234 + 99, cur)
            qty = draw(st.integers(1, 5))
            with _QUIET:
                cart.add_line(sku, f"item {sku}", price, qty, actor=BUYER)
        elif step == "set_quantity":
            qty2 = draw(st.integers(1, 9))
            with _QUIET:
                cart.set_quantity(sku, qty2, actor=BUYER)
        elif step == "remove":
            with _QUIET:
                cart.remove_line(sku, actor=BUYER)
        elif step == "checkout":
            with _QUIET:
                cart.checkout(actor=BUYER)
        elif step == "continue":
            with _QUIET:
                cart.continue_shopping(actor=BUYER)
        else:
            address = draw(addresses())
            with _QUIET:
                cart.place_order("O-1", address=address, shipping=rate, actor=BUYER)
        clock.advance(seconds=draw(st.integers(0, 3600)))
    return cart


_PAYMENT_STEPS = ("authorize", "capture", "void", "refund", "refund", "wait")


@st.composite
def payments(draw: st.DrawFn, *, max_steps: int = 10) -> Payment:
    """A :class:`Payment` through an :class:`InMemoryGateway`: authorised (or declined for lack of
    funds), captured in part or in full, voided, refunded by hand in parts or in full; or, one
    time in four, paid through :class:`OrderPayments` and settled after lines were cancelled
    (``SETTLEMENT`` refunds)."""
    if draw(st.integers(0, 3)) == 0:
        return draw(_settled_payments())
    clock = _clock(draw)
    cur = draw(currencies())
    amount = Money.from_minor(draw(st.integers(1, 10**6)), cur)
    card = Instrument(draw(st.sampled_from(InstrumentKind)), "tok_0001")
    gateway = InMemoryGateway()
    gateway.fund(card, Money.from_minor(draw(st.integers(1, 2 * 10**6)), cur))
    payment = Payment(
        id=draw(st.from_regex(r"P-[0-9]{1,6}", fullmatch=True)),
        order_id="O-1",
        amount=amount,
        instrument=card,
        clock=clock,
    )
    for n, step in enumerate(draw(st.lists(st.sampled_from(_PAYMENT_STEPS), max_size=max_steps))):
        key = f"key-{n}"
        part = Money.from_minor(draw(st.integers(1, amount.minor_units)), cur)
        whole = draw(st.booleans())
        if step == "authorize":
            with _QUIET:
                payment.authorize(
                    gateway, None if whole else part, idempotency_key=key, actor=STAFF
                )
        elif step == "capture":
            with _QUIET:
                payment.capture(gateway, None if whole else part, idempotency_key=key, actor=STAFF)
        elif step == "void":
            with _QUIET:
                payment.void(gateway, idempotency_key=key, actor=STAFF, note=draw(notes()))
        elif step == "refund":
            take = payment.refundable if whole and payment.refundable else part
            reason = draw(notes()) or "goodwill"
            with _QUIET:
                payment.refund(gateway, take, reason=reason, idempotency_key=key, actor=STAFF)
        else:
            clock.advance(minutes=draw(st.integers(0, 600)))
    payment.pull_events()
    return payment


@st.composite
def _settled_payments(draw: st.DrawFn) -> Payment:
    clock = FixedClock(pendulum.datetime(2026, 11, 11, 10, tz="Asia/Shanghai"))
    cur = currency("CNY")
    lines = [
        OrderLine(sku=sku, name=sku, unit_price=Money.from_minor(1000 + i, cur), quantity=3)
        for i, sku in enumerate(SKUS)
    ]
    order = Order(
        id="O-9",
        buyer_id="u-1001",
        lines=lines,
        address=draw(addresses()),
        shipping_fee=Money.from_minor(800, cur),
        created_at=clock.now(),
        clock=clock,
    )
    gateway = InMemoryGateway()
    card = Instrument(InstrumentKind.WALLET, "wallet-0001")
    gateway.fund(card, Money("1000000.00", "CNY"))
    payments_ = OrderPayments(gateway)
    payment = payments_.open(order, card)
    payments_.pay(order, payment)
    for _ in range(draw(st.integers(0, 3))):
        items = {draw(st.sampled_from(SKUS)): 1}
        with _QUIET:
            order.cancel_lines(items, reason="out of stock", actor=STAFF)
        clock.advance(minutes=5)
        with _QUIET:
            payments_.settle(order, payment)
    payment.pull_events()
    return payment


def an_order(clock: FixedClock | None = None) -> Order:
    """A plain order of two lines, awaiting confirmation."""
    clock = clock or FixedClock(pendulum.datetime(2026, 11, 11, 10, tz="Asia/Shanghai"))
    return Order(
        id="O-1",
        buyer_id="u-1001",
        lines=[
            OrderLine(sku="TEA-250", name="龙井", unit_price=Money("88.00", "CNY"), quantity=2),
            OrderLine(sku="CUP-1", name="cup", unit_price=Money("9.90", "CNY"), quantity=1),
        ],
        address=Address(
            recipient="王小明",
            phone="138 0013 8000",
            province="浙江省",
            city="杭州市",
            street="龙井路 1 号",
        ),
        shipping_fee=Money("10.00", "CNY"),
        created_at=clock.now(),
        clock=clock,
    )


def fields_of(aggregate: Aggregate[Any]) -> dict[str, object]:
    """Every ``__init__`` field of ``aggregate`` but the clock, by name."""
    cls: Any = type(aggregate)
    return {
        a.name: getattr(aggregate, a.name)
        for a in attrs.fields(cls)
        if a.init and a.name != "clock"
    }


def same_aggregate(loaded: Aggregate[Any], original: Aggregate[Any]) -> None:
    """Assert that ``loaded`` equals ``original`` field by field and record by record."""
    assert type(loaded) is type(original)
    assert fields_of(loaded) == fields_of(original)
    assert len(loaded.history) == len(original.history)
    for mine, theirs in zip(loaded.history, original.history, strict=True):
        assert mine == theirs
        assert mine.at.utcoffset() == pendulum.duration(0)
        assert mine.source is theirs.source
        assert mine.dest is theirs.dest
    assert loaded.status is original.status
    assert loaded.version == original.version
    assert loaded == original
