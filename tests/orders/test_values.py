"""Tests of the order value objects: Address, OrderLine, quantities(), Shipment, TrackingEvent,
Presale and Cancellation."""

from __future__ import annotations

import datetime as _dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pendulum
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecservice.errors import InvalidAddress, InvalidQuantity, NaiveDatetime, ValidationError
from ecservice.money import Money
from ecservice.orders import Address, Cancellation, OrderLine, Presale, Shipment, TrackingEvent
from ecservice.orders._values import quantities
from ecservice.workflow import Actor
from tests.strategies import (
    addresses,
    aware_datetimes,
    invalid_quantities,
    order_lines,
    phones,
    positive_quantities,
    skus,
)

SHANGHAI_NOON = pendulum.datetime(2026, 11, 11, 12, 0, tz="Asia/Shanghai")


def address(**changes: Any) -> Address:
    fields: dict[str, Any] = {
        "recipient": "王小明",
        "phone": "138 0013 8000",
        "province": "浙江省",
        "city": "杭州市",
        "district": "西湖区",
        "street": "龙井路 1 号",
    }
    fields.update(changes)
    return Address(**fields)


def line(**changes: Any) -> OrderLine:
    fields: dict[str, Any] = {
        "sku": "TEA-250",
        "name": "Longjing tea 250 g",
        "unit_price": Money("88.00", "CNY"),
        "quantity": 2,
        "weight_kg": Decimal("0.3"),
    }
    fields.update(changes)
    return OrderLine(**fields)


def shipment(**changes: Any) -> Shipment:
    fields: dict[str, Any] = {
        "id": "O-1-S1",
        "warehouse": "Hangzhou",
        "carrier": "SF Express",
        "tracking_no": "SF1001",
        "items": {"TEA-250": 2},
        "shipped_at": SHANGHAI_NOON,
    }
    fields.update(changes)
    return Shipment(**fields)


# --- Address -------------------------------------------------------------------------------------


def test_address_defaults_and_one_line() -> None:
    """Optional parts default to empty and the country to CN; one_line reads in Chinese order."""
    a = address(district="")
    assert (a.district, a.postal_code, a.country) == ("", "", "CN")
    assert a.one_line() == "浙江省 杭州市 龙井路 1 号 (王小明, 138 0013 8000)"
    assert address().one_line() == "浙江省 杭州市 西湖区 龙井路 1 号 (王小明, 138 0013 8000)"


def test_address_is_frozen() -> None:
    """An address is a value: it cannot be changed in place."""
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        address().city = "上海市"  # type: ignore[misc]


@pytest.mark.parametrize("part", ["recipient", "province", "city", "street"])
@pytest.mark.parametrize("value", ["", "   ", None, 42])
def test_address_requires_its_parts(part: str, value: object) -> None:
    """Empty, blank or non-string required parts raise InvalidAddress naming the part."""
    with pytest.raises(InvalidAddress, match=part):
        address(**{part: value})


@pytest.mark.parametrize(
    "phone",
    ["138 0013 8000", "+86 138-0013-8000", "12345", "010-12345678", "1" * 20],
)
def test_address_accepts_phone_numbers(phone: str) -> None:
    """Digits, spaces and dashes, optionally after a +, 5 to 20 characters, are phone numbers."""
    assert address(phone=phone).phone == phone


@pytest.mark.parametrize(
    "phone",
    [
        "",
        "1234",
        "abc-defg",
        "138 0013 800O",
        "1" * 21,
        "-12345",
        "++8613800138000",
        "(010) 1234",
        None,
        13800138000,
        " 13800138000 ",
        "13800138000\n",
        "13800138000 \r",
    ],
)
def test_address_rejects_malformed_phones(phone: object) -> None:
    """Too short, too long, letters, a leading dash, brackets, white space around it (a line
    break after it too), or a non-string: InvalidAddress."""
    with pytest.raises(InvalidAddress, match="phone"):
        address(phone=phone)


def test_invalid_address_is_a_validation_error() -> None:
    """InvalidAddress is part of the ValidationError family."""
    assert issubclass(InvalidAddress, ValidationError)


@settings(max_examples=30, deadline=None)
@given(a=addresses(), phone=phones())
def test_generated_addresses_are_valid_and_evolve_validates(a: Address, phone: str) -> None:
    """Any generated address is accepted; attrs.evolve re-runs validation."""
    assert attrs.evolve(a, phone=phone).phone == phone
    with pytest.raises(InvalidAddress):
        attrs.evolve(a, street="")


# --- OrderLine -----------------------------------------------------------------------------------


def test_order_line_views() -> None:
    """Subtotal is price times quantity; weight is unit weight times quantity."""
    ln = line(quantity=3, weight_kg=Decimal("0.25"))
    assert ln.subtotal == Money("264.00", "CNY")
    assert ln.weight == Decimal("0.75")


def test_order_line_weight_defaults_to_zero_and_accepts_ints() -> None:
    """Weight is optional (0 kg) and an int number of kg becomes a Decimal."""
    ln = OrderLine(sku="A", name="a", unit_price=Money("1.00", "CNY"), quantity=1)
    assert ln.weight_kg == Decimal(0)
    assert isinstance(line(weight_kg=2).weight_kg, Decimal)


@pytest.mark.parametrize("zero", [Decimal("-0"), Decimal("-0.000"), Decimal("0E-5")])
def test_order_line_weight_is_never_negative_zero(zero: Decimal) -> None:
    """A zero weight written with a sign is stored as plain zero, so it prints and compares as 0."""
    weight = line(weight_kg=zero).weight_kg
    assert weight == 0
    assert not weight.is_signed()


@pytest.mark.parametrize("field", ["sku", "name"])
@pytest.mark.parametrize("value", ["", "  ", None])
def test_order_line_requires_sku_and_name(field: str, value: object) -> None:
    """SKU and name must be non-empty strings."""
    with pytest.raises(ValidationError, match=field):
        line(**{field: value})


@pytest.mark.parametrize("price", [Decimal("88.00"), 88, "88.00", None])
def test_order_line_price_must_be_money(price: object) -> None:
    """A bare number is not a price."""
    with pytest.raises(ValidationError, match="Money"):
        line(unit_price=price)


def test_order_line_price_must_not_be_negative() -> None:
    """A negative unit price is refused; a free item (0.00) is fine."""
    with pytest.raises(ValidationError, match="negative"):
        line(unit_price=Money("-0.01", "CNY"))
    assert line(unit_price=Money.zero("CNY")).subtotal.is_zero()


@settings(max_examples=40, deadline=None)
@given(quantity=invalid_quantities())
def test_order_line_quantity_must_be_a_positive_whole_number(quantity: object) -> None:
    """Zero, negatives, bools, floats, Decimals and strings raise InvalidQuantity."""
    with pytest.raises(InvalidQuantity):
        line(quantity=quantity)


@pytest.mark.parametrize("weight", [0.3, Decimal("-0.1"), -1, Decimal("NaN"), "0.3", True])
def test_order_line_weight_must_be_a_non_negative_decimal(weight: object) -> None:
    """Floats, negatives, NaN, strings and bools are not weights."""
    with pytest.raises(ValidationError, match="weight_kg"):
        line(weight_kg=weight)


@settings(max_examples=30, deadline=None)
@given(ln=order_lines("USD"))
def test_generated_order_lines_subtotal(ln: OrderLine) -> None:
    """subtotal == unit_price * quantity for any generated line."""
    assert ln.subtotal.minor_units == ln.unit_price.minor_units * ln.quantity
    assert ln.weight == ln.weight_kg * ln.quantity


# --- quantities() --------------------------------------------------------------------------------


def test_quantities_sorts_a_mapping() -> None:
    """A mapping becomes sorted (sku, quantity) pairs."""
    assert quantities({"B": 1, "A": 2}) == (("A", 2), ("B", 1))


def test_quantities_merges_repeated_skus_from_pairs() -> None:
    """Pairs naming the same SKU twice are added together."""
    assert quantities([("B", 1), ("A", 2), ("B", 3)]) == (("A", 2), ("B", 4))


@pytest.mark.parametrize("items", [{}, []])
def test_quantities_needs_at_least_one_line(items: object) -> None:
    """Nothing named is an InvalidQuantity."""
    with pytest.raises(InvalidQuantity, match="at least one"):
        quantities(items)  # type: ignore[arg-type]


@pytest.mark.parametrize("qty", [0, -1, 1.0, True, "1"])
def test_quantities_rejects_bad_quantities_naming_the_sku(qty: object) -> None:
    """A bad quantity is reported with its SKU."""
    with pytest.raises(InvalidQuantity, match="'A'"):
        quantities({"A": qty})  # type: ignore[dict-item]


@pytest.mark.parametrize("sku", ["", "   ", None])
def test_quantities_rejects_empty_skus(sku: object) -> None:
    """A SKU must be a non-empty string."""
    with pytest.raises(ValidationError, match="sku"):
        quantities([(sku, 1)])  # type: ignore[list-item]


@settings(max_examples=40, deadline=None)
@given(pairs=st.lists(st.tuples(skus(), positive_quantities()), min_size=1, max_size=8))
def test_quantities_totals_are_preserved(pairs: list[tuple[str, int]]) -> None:
    """Merging keeps every unit: each SKU once, sorted, with the sum of its quantities."""
    result = quantities(pairs)
    assert [sku for sku, _ in result] == sorted({sku for sku, _ in pairs})
    for sku, qty in result:
        assert qty == sum(q for s, q in pairs if s == sku)


# --- Shipment ------------------------------------------------------------------------------------


def test_shipment_normalises_items_and_converts_shipped_at_to_utc() -> None:
    """Items become sorted pairs; shipped_at becomes the same instant in UTC."""
    s = shipment(items={"B": 1, "A": 2}, shipped_at=SHANGHAI_NOON)
    assert s.items == (("A", 2), ("B", 1))
    assert s.shipped_at == SHANGHAI_NOON
    assert s.shipped_at.utcoffset() == _dt.timedelta(0)
    assert s.shipped_at.hour == 4
    assert s.quantity_of("A") == 2
    assert s.quantity_of("missing") == 0


def test_shipment_accepts_stdlib_aware_datetimes() -> None:
    """A stdlib datetime with a ZoneInfo is converted to a pendulum UTC DateTime."""
    s = shipment(shipped_at=_dt.datetime(2026, 7, 1, 9, 0, tzinfo=ZoneInfo("Europe/Berlin")))
    assert isinstance(s.shipped_at, pendulum.DateTime)
    assert s.shipped_at.utcoffset() == _dt.timedelta(0)
    assert s.shipped_at.hour == 7


def test_shipment_rejects_naive_shipped_at() -> None:
    """A naive dispatch time raises NaiveDatetime."""
    with pytest.raises(NaiveDatetime):
        shipment(shipped_at=_dt.datetime(2026, 1, 1, 12, 0))


@pytest.mark.parametrize("field", ["id", "warehouse", "carrier", "tracking_no"])
def test_shipment_requires_its_texts(field: str) -> None:
    """Id, warehouse, carrier and tracking number must be non-empty."""
    with pytest.raises(ValidationError):
        shipment(**{field: " "})


def test_shipment_requires_valid_items() -> None:
    """Items go through quantities(): empty or zero quantities are refused."""
    with pytest.raises(InvalidQuantity):
        shipment(items={})
    with pytest.raises(InvalidQuantity):
        shipment(items={"A": 0})


def test_shipment_travels_until_received_and_knows_its_last_event() -> None:
    """A new shipment travels with no events; a received one does not travel."""
    s = shipment()
    assert s.travelling
    assert s.last_event is None
    first = TrackingEvent(at=SHANGHAI_NOON.add(hours=1), description="picked up")
    second = TrackingEvent(at=SHANGHAI_NOON.add(hours=5), description="at hub", location="Shanghai")
    s = attrs.evolve(s, events=(first, second))
    assert s.last_event == second
    received = attrs.evolve(s, received_at=SHANGHAI_NOON.add(days=1), received_by=Actor.buyer("b"))
    assert not received.travelling


def test_shipment_rejects_naive_received_at() -> None:
    """received_at is a datetime field like shipped_at: a naive value must be rejected."""
    with pytest.raises(NaiveDatetime):
        shipment(received_at=_dt.datetime(2026, 11, 12, 12, 0))


def test_shipment_converts_received_at_to_utc() -> None:
    """received_at, like every datetime field, is stored in UTC."""
    s = shipment(received_at=SHANGHAI_NOON.add(days=1), received_by=Actor.buyer("u-1"))
    assert s.received_at is not None
    assert s.received_at.utcoffset() == _dt.timedelta(0)


# --- TrackingEvent and Presale -------------------------------------------------------------------


def test_tracking_event_converts_to_utc_and_rejects_naive() -> None:
    """``at`` is stored in UTC; a naive time raises NaiveDatetime; a description is required."""
    e = TrackingEvent(at=SHANGHAI_NOON, description="arrived at hub", location="Shanghai")
    assert e.at == SHANGHAI_NOON
    assert e.at.utcoffset() == _dt.timedelta(0)
    with pytest.raises(NaiveDatetime):
        TrackingEvent(at=_dt.datetime(2026, 1, 1), description="x")
    with pytest.raises(ValidationError, match="description"):
        TrackingEvent(at=SHANGHAI_NOON, description="")


@settings(max_examples=30, deadline=None)
@given(at=aware_datetimes())
def test_tracking_event_keeps_the_instant_in_any_zone(at: pendulum.DateTime) -> None:
    """Whatever zone the carrier reports in, the event denotes the same instant, in UTC."""
    e = TrackingEvent(at=at, description="scan")
    # Compare instants by timestamp: an ambiguous local time (a DST fold) never compares equal
    # to any time in another zone under Python's datetime rules (PEP 495).
    assert e.at.timestamp() == at.timestamp()
    assert e.at.utcoffset() == _dt.timedelta(0)


def test_presale_converts_ship_by_and_rejects_naive() -> None:
    """A presale's ship-by time is stored in UTC; naive values raise NaiveDatetime."""
    p = Presale(ship_by=SHANGHAI_NOON, deposit=Money("50.00", "CNY"))
    assert p.ship_by == SHANGHAI_NOON
    assert p.ship_by.utcoffset() == _dt.timedelta(0)
    with pytest.raises(NaiveDatetime):
        Presale(ship_by=_dt.datetime(2026, 12, 1))


# --- Cancellation --------------------------------------------------------------------------------


def test_cancellation_checks_quantity_and_describes_itself() -> None:
    """Quantities must be positive whole numbers; describe() gives the fields as a dict."""
    actor = Actor.staff("s-1")
    c = Cancellation(sku="A", quantity=2, reason="no stock", at=SHANGHAI_NOON, actor=actor)
    assert c.describe() == {
        "sku": "A",
        "quantity": 2,
        "reason": "no stock",
        "at": SHANGHAI_NOON,
        "actor": actor,
    }
    with pytest.raises(InvalidQuantity):
        Cancellation(sku="A", quantity=0, reason="x", at=SHANGHAI_NOON, actor=actor)


def test_cancellation_rejects_naive_at() -> None:
    """A cancellation's time is a datetime field: naive values must be rejected."""
    with pytest.raises(NaiveDatetime):
        Cancellation(
            sku="A", quantity=1, reason="x", at=_dt.datetime(2026, 1, 1), actor=Actor.staff("s-1")
        )


def test_the_fast_shipment_copy_equals_a_checked_one() -> None:
    """The order's private copy of a shipment (no validators re-run) builds exactly what
    ``attrs.evolve`` builds, and the copy is a new object."""
    from ecservice.orders._values import _shipment_copy

    s = shipment()
    event = TrackingEvent(at=SHANGHAI_NOON.add(hours=1), description="hub")
    actor = Actor.buyer("u-1")
    at = SHANGHAI_NOON.add(days=1)
    tracked = _shipment_copy(s, (event,), None, None)
    assert tracked == attrs.evolve(s, events=(event,))
    assert tracked is not s
    received = _shipment_copy(tracked, tracked.events, at, actor)
    assert received == attrs.evolve(tracked, received_at=at, received_by=actor)
