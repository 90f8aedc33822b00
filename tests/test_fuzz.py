"""Only library errors escape: every public constructor, method and trigger fed hostile values.

Each row of :data:`TABLE` names a call and builds, fresh for every example, the object it acts on
(``None`` for a constructor or function), the callable, the *slots* (keyword arguments) the fuzzer
may replace, and fixed keyword arguments it leaves alone. An example replaces one to three slots
with values from :func:`tests.strategies.hostile` (wrong types, None, huge ints, exotic Decimals,
NaN, exponents, non-ASCII digits, control and bidirectional characters, a 10 MB string...) and
requires that:

* anything raised is an :class:`~ecservice.errors.EcServiceError`;
* when something is raised, the object is exactly as before: every attrs field (history and
  version included, deep-copied so that in-place changes show) and its pending events.

Adding an area is one row: ``Row("Thing.method", lambda: on(thing(), "method", slot=valid))``.
"""

from __future__ import annotations

import copy
import decimal
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import attrs
import pendulum
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecservice import text
from ecservice.clock import FixedClock, ensure_utc, zone
from ecservice.errors import EcServiceError
from ecservice.money import (
    Currency,
    Money,
    allocate,
    currency,
    positive,
    sum_money,
    to_decimal,
)
from ecservice.orders import (
    Address,
    AutoConfirmPolicy,
    Cancellation,
    Cart,
    CartLine,
    HoldReason,
    Order,
    OrderLine,
    OrderStatus,
    Presale,
    Shipment,
    ShippingRate,
    TrackingEvent,
)
from ecservice.payments import InMemoryGateway, Instrument, InstrumentKind, Payment, PaymentStatus
from ecservice.workflow import Actor, ActorKind
from tests.strategies import HOSTILE, Hostile, hostile

START = pendulum.datetime(2026, 11, 11, 9, 30, tz="Asia/Shanghai")
BUYER = Actor.buyer("u-1001")
STAFF = Actor.staff("kefu-07")
SYSTEM = Actor.system("jobs")
CARRIER = Actor.carrier("sf")
CARD = Instrument(InstrumentKind.CARD, "tok_visa_0001")
ADDRESS = Address(
    recipient="王小明",
    phone="138 0013 8000",
    province="浙江省",
    city="杭州市",
    district="西湖区",
    street="龙井路 1 号",
)
POLICY = AutoConfirmPolicy(days=10, zone="Asia/Shanghai")
RATE = ShippingRate(
    first_weight_kg=Decimal(1),
    first_fee=Money("8.00", "CNY"),
    additional_weight_kg=Decimal(1),
    additional_fee=Money("2.00", "CNY"),
)


def cny(amount: str) -> Money:
    return Money(amount, "CNY")


# --- the table -----------------------------------------------------------------------------------

Built = tuple[object | None, Callable[..., object], dict[str, object], dict[str, object]]


@attrs.frozen
class Row:
    """One call to fuzz: ``build()`` returns (subject, callable, slots, fixed keyword arguments)."""

    name: str
    build: Callable[[], Built]


def new(
    fn: Callable[..., object], fixed: dict[str, object] | None = None, /, **slots: object
) -> Built:
    """A constructor or function call: no subject."""
    return None, fn, slots, fixed or {}


def on(
    subject: object, method: str, fixed: dict[str, object] | None = None, /, **slots: object
) -> Built:
    """A method call on ``subject`` (checked unchanged when the call raises)."""
    return subject, getattr(subject, method), slots, fixed or {}


def can(subject: Order | Cart, trigger: str, **slots: object) -> Built:
    """``subject.can(trigger, ...)``, its trigger name a slot too."""

    def ask(trigger: object, **kwargs: Any) -> bool:
        return subject.can(trigger, **kwargs)  # type: ignore[arg-type]

    return subject, ask, {"trigger": trigger, **slots}, {}


def lines() -> list[OrderLine]:
    return [
        OrderLine(sku="A", name="tea", unit_price=cny("10.00"), quantity=2, weight_kg=Decimal(1)),
        OrderLine(sku="B", name="cup", unit_price=cny("25.50"), quantity=1),
    ]


def order(state: str = "pending") -> Order:
    """Order O-1 in ``state``: pending, processing, out_of_stock, in_transit or due (in transit
    for longer than the auto-confirmation policy allows)."""
    clock = FixedClock(START)
    o = Order(
        id="O-1",
        buyer_id="u-1001",
        lines=lines(),
        address=ADDRESS,
        shipping_fee=cny("8.00"),
        created_at=clock.now(),
        clock=clock,
    )
    if state == "pending":
        return o
    if state == "held":
        o.hold(reason=HoldReason.MANUAL, detail="地址待核实", actor=STAFF)
        return o
    o.confirm(actor=STAFF)
    if state == "processing":
        return o
    if state == "out_of_stock":
        o.mark_out_of_stock(["A"], actor=STAFF)
        return o
    clock.advance(hours=1)
    o.ship(carrier="SF", tracking_no="SF1001", actor=STAFF, shipment_id="S-1")
    clock.advance(hours=1)
    if state == "due":
        clock.advance(days=11)
    return o


def cart(*, with_line: bool = True, checked_out: bool = False) -> Cart:
    c = Cart(id="C-1", buyer_id="u-1001", currency="CNY", clock=FixedClock(START))
    if with_line:
        c.add_line("A", "tea", cny("10.00"), 2, actor=BUYER)
    if checked_out:
        c.checkout(actor=BUYER)
    return c


def gateway() -> InMemoryGateway:
    gw = InMemoryGateway()
    gw.fund(CARD, cny("500.00"))
    return gw


def authorized_gateway() -> InMemoryGateway:
    """A funded gateway holding one authorization of 10.00 CNY (``memory-auth-1``)."""
    gw = gateway()
    gw.authorize(CARD, cny("10.00"), reference="O-1", idempotency_key="a")
    return gw


def payment(state: str = "pending") -> tuple[Payment, InMemoryGateway]:
    gw = gateway()
    p = Payment(
        id="P-1", order_id="O-1", amount=cny("120.00"), instrument=CARD, clock=FixedClock(START)
    )
    if state in ("authorized", "captured"):
        p.authorize(gw, idempotency_key="k-auth", actor=SYSTEM)
    if state == "captured":
        p.capture(gw, idempotency_key="k-cap", actor=SYSTEM)
    return p, gw


def on_payment(state: str, method: str, **slots: object) -> Built:
    p, gw = payment(state)
    return on(p, method, gateway=gw, **slots)


def fields_of(aggregate: object) -> dict[str, object]:
    """The constructor arguments that rebuild ``aggregate`` (what storage keeps)."""
    cls: Any = type(aggregate)
    return {a.alias: getattr(aggregate, a.name) for a in attrs.fields(cls) if a.init and a.alias}


def shipment() -> Shipment:
    return order("in_transit").shipment("S-1")


def tracking_event() -> TrackingEvent:
    return TrackingEvent(at=START.add(hours=1, minutes=30), description="到达杭州", location="杭州")


_EXAMPLE = cny("19.90")

TABLE: tuple[Row, ...] = (
    # money
    Row("Money", lambda: new(Money, amount="1.00", currency="CNY")),
    Row(
        "Money.of", lambda: new(Money.of, amount="1.005", currency="CNY", rounding="ROUND_HALF_UP")
    ),
    Row("Money.from_minor", lambda: new(Money.from_minor, units=100, currency="CNY")),
    Row("Money.zero", lambda: new(Money.zero, currency="CNY")),
    Row("Money.multiply", lambda: on(_EXAMPLE, "multiply", factor="1.5", rounding="ROUND_DOWN")),
    Row("Money.allocate", lambda: on(_EXAMPLE, "allocate", ratios=[1, 2])),
    Row("Money.format", lambda: on(_EXAMPLE, "format", locale="zh_CN")),
    Row("currency", lambda: new(currency, code="CNY")),
    Row("Currency", lambda: new(Currency, code="CNY")),
    Row("to_decimal", lambda: new(to_decimal, {"what": "a rate"}, value="1.5")),
    Row("positive", lambda: new(positive, {"what": "a refund"}, amount=_EXAMPLE, currency="CNY")),
    Row("sum_money", lambda: new(sum_money, amounts=[_EXAMPLE], currency="CNY")),
    Row("allocate", lambda: new(allocate, total=_EXAMPLE, ratios=[1, 1])),
    # time
    Row("ensure_utc", lambda: new(ensure_utc, {"what": "a time"}, value=START)),
    Row("zone", lambda: new(zone, name="Asia/Shanghai")),
    Row("FixedClock", lambda: new(FixedClock, at=START)),
    Row("FixedClock.set", lambda: on(FixedClock(START), "set", at=START.add(days=1))),
    Row(
        "FixedClock.advance",
        lambda: on(FixedClock(START), "advance", days=1, hours=1, minutes=1, seconds=1),
    ),
    # text
    Row("check_text", lambda: new(text.check_text, {"what": "a note"}, value="ok")),
    Row("check_optional_text", lambda: new(text.check_optional_text, {"what": "a note"}, value="")),
    # actors
    Row("Actor", lambda: new(Actor, kind=ActorKind.STAFF, id="kefu-07")),
    Row("Actor.buyer", lambda: new(Actor.buyer, id="u-1001")),
    # order values
    Row(
        "Address",
        lambda: new(
            Address,
            recipient="王小明",
            phone="138 0013 8000",
            province="浙江省",
            city="杭州市",
            district="西湖区",
            street="龙井路 1 号",
            postal_code="310000",
            country="CN",
        ),
    ),
    Row(
        "OrderLine",
        lambda: new(
            OrderLine, sku="A", name="tea", unit_price=cny("10.00"), quantity=2, weight_kg="0.5"
        ),
    ),
    Row(
        "CartLine",
        lambda: new(
            CartLine, sku="A", name="tea", unit_price=cny("10.00"), quantity=2, weight_kg="0.5"
        ),
    ),
    Row("Presale", lambda: new(Presale, ship_by=START.add(days=7), deposit=cny("5.00"))),
    Row(
        "TrackingEvent",
        lambda: new(TrackingEvent, at=START, description="揽收", location="杭州"),
    ),
    Row(
        "Shipment",
        lambda: new(
            Shipment,
            id="S-1",
            warehouse="main",
            carrier="SF",
            tracking_no="SF1001",
            items={"A": 1},
            shipped_at=START,
            events=(),
            received_at=None,
            received_by=None,
        ),
    ),
    Row("Shipment.quantity_of", lambda: on(shipment(), "quantity_of", sku="A")),
    Row(
        "Cancellation",
        lambda: new(Cancellation, sku="A", quantity=1, reason="缺货", at=START, actor=STAFF),
    ),
    Row(
        "ShippingRate",
        lambda: new(
            ShippingRate,
            name="standard",
            first_weight_kg="1",
            first_fee=cny("8.00"),
            additional_weight_kg="0.5",
            additional_fee=cny("2.00"),
            free_over=cny("99.00"),
        ),
    ),
    Row(
        "ShippingRate.per_kg",
        lambda: new(ShippingRate.per_kg, first_fee=cny("8.00"), additional_fee=cny("2.00")),
    ),
    Row("ShippingRate.fee", lambda: on(RATE, "fee", weight_kg=Decimal(3), subtotal=cny("50.00"))),
    Row("AutoConfirmPolicy", lambda: new(AutoConfirmPolicy, days=10, zone="Asia/Shanghai")),
    Row("AutoConfirmPolicy.due_at", lambda: on(POLICY, "due_at", shipped_at=START)),
    Row(
        "AutoConfirmPolicy.is_due",
        lambda: on(POLICY, "is_due", shipped_at=START, now=START.add(days=3)),
    ),
    # cart
    Row(
        "Cart",
        lambda: new(
            Cart,
            id="C-1",
            buyer_id="u-1001",
            currency="CNY",
            lines=(),
            status=Cart(id="C-0", buyer_id="u", currency="CNY").status,
            version=0,
            history=(),
            order_id=None,
            clock=FixedClock(START),
        ),
    ),
    Row(
        "Cart.add_line",
        lambda: on(
            cart(),
            "add_line",
            sku="B",
            name="cup",
            unit_price=cny("25.50"),
            quantity=1,
            weight_kg=Decimal("0.3"),
            actor=BUYER,
        ),
    ),
    Row(
        "Cart.open",
        lambda: new(
            Cart.open, id="C-2", buyer_id="u-1001", currency="CNY", clock=FixedClock(START)
        ),
    ),
    Row("Cart.set_quantity", lambda: on(cart(), "set_quantity", sku="A", quantity=3, actor=BUYER)),
    Row("Cart.remove_line", lambda: on(cart(), "remove_line", sku="A", actor=BUYER)),
    Row("Cart.line", lambda: on(cart(), "line", sku="A")),
    Row("Cart.checkout", lambda: on(cart(), "checkout", actor=BUYER)),
    Row(
        "Cart.continue_shopping",
        lambda: on(cart(checked_out=True), "continue_shopping", actor=BUYER),
    ),
    Row(
        "Cart.place_order",
        lambda: on(
            cart(checked_out=True),
            "place_order",
            order_id="O-9",
            address=ADDRESS,
            shipping=RATE,
            actor=BUYER,
            remarks="",
            presale=None,
        ),
    ),
    # order
    Row(
        "Order",
        lambda: new(
            Order,
            id="O-1",
            buyer_id="u-1001",
            lines=lines(),
            address=ADDRESS,
            shipping_fee=cny("8.00"),
            created_at=START,
            remarks="",
            presale=None,
            status=OrderStatus.PENDING_CONFIRMATION,
            version=0,
            history=(),
            shipments=(),
            cancellations=(),
            out_of_stock=(),
            clock=FixedClock(START),
        ),
    ),
    Row(
        "Order (rehydrated in transit)",
        lambda: new(Order, **fields_of(order("in_transit"))),
    ),
    Row("Order.confirm", lambda: on(order(), "confirm", actor=STAFF, address=ADDRESS, note="ok")),
    Row(
        "Order.mark_out_of_stock",
        lambda: on(order("processing"), "mark_out_of_stock", skus=["A"], actor=STAFF, note="n"),
    ),
    Row(
        "Order.restock",
        lambda: on(order("out_of_stock"), "restock", skus=["A"], actor=STAFF, note="n"),
    ),
    Row(
        "Order.ship",
        lambda: on(
            order("processing"),
            "ship",
            carrier="SF",
            tracking_no="SF1001",
            actor=STAFF,
            items={"A": 1},
            warehouse="main",
            shipment_id="S-9",
            note="n",
        ),
    ),
    Row(
        "Order.add_tracking_event",
        lambda: on(
            order("in_transit"),
            "add_tracking_event",
            shipment_id="S-1",
            event=tracking_event(),
            actor=CARRIER,
            note="n",
        ),
    ),
    Row(
        "Order.confirm_receipt",
        lambda: on(
            order("in_transit"), "confirm_receipt", shipment_id="S-1", actor=BUYER, note="n"
        ),
    ),
    Row(
        "Order.auto_confirm",
        lambda: on(order("due"), "auto_confirm", policy=POLICY, actor=SYSTEM, note="n"),
    ),
    Row("Order.cancel", lambda: on(order(), "cancel", reason="不想要了", actor=BUYER)),
    Row(
        "Order.hold",
        lambda: on(order(), "hold", reason=HoldReason.LOW_PRICE, detail="价格异常", actor=STAFF),
    ),
    Row("Order.release", lambda: on(order("held"), "release", actor=STAFF, note="n")),
    Row(
        "Order.cancel_lines",
        lambda: on(order("processing"), "cancel_lines", items={"A": 1}, reason="缺货", actor=STAFF),
    ),
    Row(
        "Order.can",
        lambda: can(
            order("processing"),
            "ship",
            actor=STAFF,
            items={"A": 1},
            carrier="SF",
            tracking_no="SF1001",
        ),
    ),
    Row("Cart.can", lambda: can(cart(), "set_quantity", actor=BUYER, sku="A", quantity=3)),
    Row("Order.line", lambda: on(order(), "line", sku="A")),
    Row("Order.cancelled_quantity", lambda: on(order("processing"), "cancelled_quantity", sku="A")),
    Row("Order.open_quantity", lambda: on(order(), "open_quantity", sku="A")),
    Row("Order.shipped_quantity", lambda: on(order("in_transit"), "shipped_quantity", sku="A")),
    Row("Order.shipment", lambda: on(order("in_transit"), "shipment", shipment_id="S-1")),
    Row("Order.ship_overdue", lambda: on(order(), "ship_overdue", at=START)),
    Row(
        "Order.auto_confirm_due_at",
        lambda: on(order("in_transit"), "auto_confirm_due_at", policy=POLICY),
    ),
    # payments
    Row("Instrument", lambda: new(Instrument, kind=InstrumentKind.CARD, reference="tok_1")),
    Row(
        "Payment",
        lambda: new(
            Payment,
            id="P-1",
            order_id="O-1",
            amount=cny("120.00"),
            instrument=CARD,
            status=PaymentStatus.PENDING,
            version=0,
            history=(),
            authorization=None,
            capture_reference=None,
            captured=None,
            refunds=(),
            failure=None,
            clock=FixedClock(START),
        ),
    ),
    Row(
        "Payment (rehydrated captured)",
        lambda: new(Payment, **fields_of(payment("captured")[0])),
    ),
    Row(
        "Payment.authorize",
        lambda: on_payment("pending", "authorize", idempotency_key="k-1", actor=SYSTEM, note="n"),
    ),
    Row(
        "Payment.capture",
        lambda: on_payment(
            "authorized",
            "capture",
            amount=cny("100.00"),
            idempotency_key="k-2",
            actor=SYSTEM,
            note="n",
        ),
    ),
    Row(
        "Payment.void",
        lambda: on_payment("authorized", "void", idempotency_key="k-3", actor=SYSTEM, note="n"),
    ),
    Row(
        "Payment.refund",
        lambda: on_payment(
            "captured",
            "refund",
            amount=cny("20.00"),
            reason="退货",
            idempotency_key="k-4",
            actor=SYSTEM,
        ),
    ),
    Row("InMemoryGateway", lambda: new(InMemoryGateway, name="memory")),
    Row("InMemoryGateway.fund", lambda: on(gateway(), "fund", instrument=CARD, amount=cny("1"))),
    Row(
        "InMemoryGateway.authorize",
        lambda: on(
            gateway(),
            "authorize",
            instrument=CARD,
            amount=cny("10.00"),
            reference="O-1",
            idempotency_key="k-9",
        ),
    ),
    Row(
        "InMemoryGateway.decline",
        lambda: on(gateway(), "decline", instrument=CARD, reason="card blocked"),
    ),
    Row(
        "InMemoryGateway.capture",
        lambda: on(
            authorized_gateway(),
            "capture",
            authorization="memory-auth-1",
            amount=cny("10.00"),
            idempotency_key="c",
        ),
    ),
    Row(
        "InMemoryGateway.void",
        lambda: on(
            authorized_gateway(), "void", authorization="memory-auth-1", idempotency_key="v"
        ),
    ),
    Row("InMemoryGateway.outcome", lambda: on(gateway(), "outcome", idempotency_key="k")),
    Row(
        "InMemoryGateway.balance", lambda: on(gateway(), "balance", instrument=CARD, currency="CNY")
    ),
)


# --- unchanged-state check -----------------------------------------------------------------------


def _same(a: object, b: object) -> bool:
    try:
        return bool(a == b)
    except Exception:
        return False


def _freeze(value: object) -> tuple[str, object]:
    """A deep copy when the value compares by value, else the object itself (compared by
    identity); a clock by its time."""
    if isinstance(value, FixedClock):
        return ("clock", value.now())
    try:
        dup = copy.deepcopy(value)
    except Exception:
        return ("identity", value)
    return ("value", dup) if _same(dup, value) else ("identity", value)


def snapshot(subject: object) -> dict[str, tuple[str, object]]:
    """Every attrs field (or instance attribute) of ``subject``, and its pending events."""
    if subject is None:
        return {}
    cls: Any = type(subject)
    if attrs.has(cls):
        fields = {a.name: getattr(subject, a.name) for a in attrs.fields(cls)}
    elif hasattr(subject, "__dict__"):
        fields = dict(vars(subject))
    else:
        fields = {
            name: getattr(subject, name)
            for name in getattr(type(subject), "__slots__", ())
            if hasattr(subject, name)
        }
    if hasattr(subject, "pending_events"):
        fields["pending events"] = subject.pending_events
    return {name: _freeze(value) for name, value in fields.items()}


def _equal(before: tuple[str, object], after: tuple[str, object]) -> bool:
    (kind, kept), (kind_after, now) = before, after
    if kind != kind_after:
        return False
    return kept is now if kind == "identity" else _same(kept, now)


def changed(subject: object, before: dict[str, tuple[str, object]]) -> list[str]:
    """Names of the parts of ``subject`` that differ from the ``before`` snapshot."""
    after = snapshot(subject)
    return [name for name in before if name not in after or not _equal(before[name], after[name])]


# --- the tests -----------------------------------------------------------------------------------


def run(row: Row, replace: dict[str, Hostile]) -> None:
    """Call ``row`` with the slots in ``replace`` given hostile values; fail on any escape."""
    subject, fn, slots, fixed = row.build()
    kwargs = {**slots, **{name: h.make() for name, h in replace.items()}, **fixed}
    before = snapshot(subject)
    try:
        with decimal.localcontext():  # a library must not depend on (or leak into) the context
            fn(**kwargs)
    except EcServiceError:
        moved = changed(subject, before)
        assert not moved, f"{row.name} raised but changed {moved} (inputs {replace})"


_ROWS = {row.name: row for row in TABLE}


def _slot_names(row: Row) -> list[str]:
    return sorted(row.build()[2])


@pytest.mark.parametrize("name", sorted(_ROWS))
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
)
@given(data=st.data())
def test_only_library_errors_escape_and_failures_change_nothing(
    name: str, data: st.DataObject
) -> None:
    """One to three slots of the call get hostile values (listed or random): the call succeeds
    or raises an EcServiceError, and a failing call leaves its object exactly as it was."""
    row = _ROWS[name]
    slots = _slot_names(row)
    chosen = data.draw(
        st.lists(st.sampled_from(slots), min_size=1, max_size=min(3, len(slots)), unique=True),
        label="slots",
    )
    replace = {slot: data.draw(hostile(), label=slot) for slot in chosen}
    run(row, replace)


@pytest.mark.parametrize("name", sorted(_ROWS))
def test_every_listed_hostile_value_in_every_slot(name: str) -> None:
    """Exhaustively, one slot at a time: every value of HOSTILE in every slot of the call."""
    row = _ROWS[name]
    escapes: list[str] = []
    for slot in _slot_names(row):
        for value in HOSTILE:
            try:
                run(row, {slot: value})
            except AssertionError as exc:
                escapes.append(f"{slot}={value.label}: {exc}")
            except Exception as exc:
                escapes.append(f"{slot}={value.label}: {type(exc).__name__}: {_short(exc)}")
    assert not escapes, f"{name}: {len(escapes)} escapes:\n" + "\n".join(escapes[:25])


def _short(exc: BaseException) -> str:
    try:
        message = str(exc)
    except Exception:
        message = "<unprintable>"
    return message[:160]


_TRIGGER_ROWS = sorted(
    name
    for name in _ROWS
    if name.startswith(("Order.", "Cart."))
    and name.split(".", 1)[1] in (*Order.workflow.triggers, *Cart.workflow.triggers)
)


@pytest.mark.parametrize("name", _TRIGGER_ROWS)
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
)
@given(data=st.data())
def test_can_agrees_with_the_trigger_on_hostile_arguments(name: str, data: st.DataObject) -> None:
    """``can(trigger, **arguments)`` answers without raising, and says True exactly when the
    trigger method then succeeds with the same arguments (``actor=None`` is not hostile for
    ``can``: it asks about any actor)."""
    row = _ROWS[name]
    trigger = name.split(".", 1)[1]
    subject, method, slots, fixed = row.build()
    assert isinstance(subject, (Order, Cart))
    slot = data.draw(st.sampled_from(sorted(slots)), label="slot")
    value = data.draw(hostile(), label=slot)
    kwargs: dict[str, Any] = {**slots, slot: value.make(), **fixed}
    allowed = subject.can(trigger, **kwargs)
    assert isinstance(allowed, bool)
    error: EcServiceError | None = None
    try:
        method(**kwargs)
    except EcServiceError as exc:
        error = exc
    if allowed:
        assert error is None, f"can({trigger!r}) said True but the call raised {error!r}"[:300]
    else:
        assert error is not None, f"can({trigger!r}) said False but the call succeeded"


def test_the_table_covers_every_trigger_of_the_order_cart_and_payment_workflows() -> None:
    """Adding a trigger to a default workflow without a fuzz row fails here."""
    covered = {name.split(".", 1)[1] for name in _ROWS if "." in name}
    for cls in (Order, Cart, Payment):
        missing = sorted(set(cls.workflow.triggers) - covered)
        assert not missing, f"{cls.__name__} triggers without a fuzz row: {missing}"
