"""Erasing a buyer's personal data from an order keeps its accounts and history consistent."""

from __future__ import annotations

import datetime as _dt
from typing import Any

import attrs
import pendulum
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecservice.clock import FixedClock
from ecservice.errors import PolicyViolation, ValidationError
from ecservice.orders import (
    ERASED,
    ErasurePolicy,
    Order,
    PersonalDataErased,
    PersonalValues,
    TrackingEvent,
    erased_address,
    is_erased_address,
)
from ecservice.storage import dump_order, load_order
from ecservice.workflow import Actor
from tests.storage.aggregates import STAFF, an_order, fields_of, orders, same_aggregate

DPO = Actor.staff("privacy-office")


def _done_order() -> tuple[Order, FixedClock]:
    """An order with personal data everywhere it can be: address, remarks, notes, a cancellation
    reason, a carrier's report naming the recipient; delivered (done)."""
    clock = FixedClock(pendulum.datetime(2026, 11, 11, 10, tz="Asia/Shanghai"))
    order = an_order(clock)
    order.remarks = "请放门卫 王小明 138 0013 8000"
    order.confirm(actor=STAFF, note="电话确认 138 0013 8000")
    order.cancel_lines({"CUP-1": 1}, reason="王小明 说不要杯子", actor=STAFF)
    order.ship(carrier="顺丰", tracking_no="SF100", actor=STAFF)
    clock.advance(hours=5)
    order.add_tracking_event(
        "O-1-S1",
        TrackingEvent(at=clock.now(), description="已签收，签收人：王小明", location="杭州市"),
        actor=Actor.carrier("SF"),
    )
    order.confirm_receipt(actor=Actor.buyer("u-1001"), note="收到了")
    order.pull_events()
    return order, clock


def _texts(value: Any) -> str:
    return repr(value)


def test_erasure_replaces_personal_data_and_keeps_the_accounts() -> None:
    order, clock = _done_order()
    before = {
        "total": order.total,
        "amount_due": order.amount_due,
        "cancelled_value": order.cancelled_value,
        "lines": order.lines,
        "status": order.status,
        "version": order.version,
        "steps": [(r.trigger, r.source, r.dest, r.at, r.actor, r.version) for r in order.history],
        "carriers": [(s.carrier, s.tracking_no, s.shipped_at) for s in order.shipments],
    }
    clock.advance(days=1)
    result = order.erase_personal_data(actor=DPO, reason="request PR-1")

    assert result.erased
    assert result.parts == (
        "address",
        "remarks",
        "cancellation reasons",
        "history notes",
        "tracking reports",
    )
    assert order.address == erased_address("CN")
    assert is_erased_address(order.address)
    assert order.remarks == ERASED
    assert [c.reason for c in order.cancellations] == [ERASED]
    assert {r.note for r in order.history} <= {"", ERASED}
    event = order.shipments[0].events[0]
    assert (event.description, event.location) == (ERASED, ERASED)
    after = {
        "total": order.total,
        "amount_due": order.amount_due,
        "cancelled_value": order.cancelled_value,
        "lines": order.lines,
        "status": order.status,
        "version": order.version,
        "steps": [(r.trigger, r.source, r.dest, r.at, r.actor, r.version) for r in order.history],
        "carriers": [(s.carrier, s.tracking_no, s.shipped_at) for s in order.shipments],
    }
    assert after == before
    text = _texts(fields_of(order))
    for personal in ("王小明", "138 0013 8000", "龙井路", "杭州市", "门卫"):
        assert personal not in text


def test_the_erasure_is_recorded_without_the_erased_data() -> None:
    order, clock = _done_order()
    result = order.erase_personal_data(actor=DPO, reason="request PR-1", basis="PIPL art. 47")
    event = result.event
    assert isinstance(event, PersonalDataErased)
    assert (event.aggregate_id, event.actor, event.basis, event.reason) == (
        "O-1",
        DPO,
        "PIPL art. 47",
        "request PR-1",
    )
    assert event.occurred_at == clock.now()
    assert event.erased == result.parts
    assert "王小明" not in repr(event)
    assert "王小明" not in repr(result)  # the values are kept but never shown
    assert result.values.matches("call 138 0013 8000 please")
    assert not result.values.matches("龙井")


def test_erasing_again_changes_nothing_and_says_so() -> None:
    order, _ = _done_order()
    order.erase_personal_data(actor=DPO, reason="request PR-1")
    snapshot = fields_of(order)
    again = order.erase_personal_data(actor=DPO, reason="request PR-1")
    assert not again.erased
    assert again.parts == ()
    assert again.event is None
    assert not again.values
    assert fields_of(order) == snapshot


def test_an_open_order_is_not_erased() -> None:
    order = an_order()
    order.confirm(actor=STAFF, note="138 0013 8000")
    snapshot = fields_of(order)
    with pytest.raises(PolicyViolation, match="still needed to deliver"):
        order.erase_personal_data(actor=DPO, reason="request PR-1")
    assert fields_of(order) == snapshot


def test_a_cancelled_order_is_erased() -> None:
    order = an_order()
    order.cancel(reason="王小明 changed his mind", actor=STAFF)
    assert order.erase_personal_data(actor=DPO, reason="request PR-2").erased
    assert order.cancellations[0].reason == ERASED


def test_a_platform_keeps_transaction_records_three_years() -> None:
    order, _ = _done_order()
    policy = ErasurePolicy.platform()
    ended = order.history[-1].at
    assert policy.earliest(order) == ended.add(years=3)
    with pytest.raises(PolicyViolation, match=r"E-Commerce Law art\. 31"):
        order.erase_personal_data(actor=DPO, reason="r", policy=policy, at=ended.add(years=2))
    assert order.address.recipient == "王小明"
    at = ended.add(years=3)
    assert order.erase_personal_data(actor=DPO, reason="r", policy=policy, at=at).erased


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"actor": "dpo"}, "actor must be an Actor"),
        ({"reason": ""}, "reason"),
        ({"basis": " "}, "basis"),
        ({"policy": "platform"}, "policy must be an ErasurePolicy"),
        ({"at": _dt.datetime(2030, 1, 1)}, "at"),
    ],
)
def test_bad_arguments_are_refused_and_change_nothing(
    kwargs: dict[str, object], match: str
) -> None:
    order, _ = _done_order()
    snapshot = fields_of(order)
    arguments: dict[str, Any] = {"actor": DPO, "reason": "request PR-1", **kwargs}
    with pytest.raises(ValidationError, match=match):
        order.erase_personal_data(**arguments)
    assert fields_of(order) == snapshot


def test_retention_years_are_checked() -> None:
    with pytest.raises(ValidationError, match="retention_years"):
        ErasurePolicy(retention_years=-1)
    with pytest.raises(ValidationError, match="retention_years"):
        ErasurePolicy(retention_years=True)


def test_erased_values_are_never_shown() -> None:
    values = PersonalValues(frozenset({"王小明"}), frozenset({"138"}))
    assert "王小明" not in repr(values)
    assert values.scrub("x 138 y") == ERASED
    assert values.scrub("tea") == "tea"


def _finish(order: Order) -> None:
    """Drive ``order`` to a final state: cancel what is open, receive what travels."""
    if order.can("cancel", reason="buyer 王 asked", actor=STAFF):
        order.cancel(reason="buyer 王 asked", actor=STAFF)
        return
    open_items = order.open_items()
    if open_items and order.can("cancel_lines", items=open_items, reason="no stock", actor=STAFF):
        order.cancel_lines(open_items, reason="no stock", actor=STAFF)
    if order.can("confirm_receipt", actor=STAFF, note="received"):
        order.confirm_receipt(actor=STAFF, note="received")
    order.pull_events()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(order=orders(), finish=st.booleans(), later=st.integers(0, 10**6))
def test_erasure_keeps_money_items_status_and_history(
    order: Order, finish: bool, later: int
) -> None:
    """For any order the domain can produce: a final one is erased keeping every amount, line,
    status, shipment and history step; an open one is refused and unchanged; erasing twice is
    erasing once; the erased order is stored and loaded back equal."""
    if finish:
        _finish(order)
        assert order.is_final
    snapshot = fields_of(order)
    steps = [(r.trigger, r.source, r.dest, r.at, r.actor, r.version) for r in order.history]
    money = (order.total, order.amount_due, order.cancelled_value)
    at = order.clock.now().add(seconds=later)
    if not order.is_final:
        with pytest.raises(PolicyViolation):
            order.erase_personal_data(actor=DPO, reason="r", at=at)
        assert fields_of(order) == snapshot
        return
    personal = order.address
    result = order.erase_personal_data(actor=DPO, reason="r", at=at)
    assert result.erased
    assert (order.total, order.amount_due, order.cancelled_value) == money
    assert [(r.trigger, r.source, r.dest, r.at, r.actor, r.version) for r in order.history] == steps
    assert order.lines == snapshot["lines"]
    assert order.status is snapshot["status"]
    assert order.version == snapshot["version"]
    assert order.out_of_stock == snapshot["out_of_stock"]
    old_shipments: Any = snapshot["shipments"]
    assert [(s.id, s.carrier, s.tracking_no, s.items, s.shipped_at) for s in order.shipments] == [
        (s.id, s.carrier, s.tracking_no, s.items, s.shipped_at) for s in old_shipments
    ]
    assert [(c.sku, c.quantity, c.at) for c in order.cancellations] == [
        (c.sku, c.quantity, c.at)
        for c in snapshot["cancellations"]  # type: ignore[attr-defined]
    ]
    assert order.address == erased_address(personal.country)
    assert {r.note for r in order.history} <= {"", ERASED}
    assert order.remarks in ("", ERASED)
    document = dump_order(order)
    stored = document["body"]["address"]
    assert (stored["recipient"], stored["phone"], stored["street"]) == (ERASED, "00000", ERASED)
    same_aggregate(load_order(document, clock=order.clock), order)
    erased = fields_of(order)
    assert not order.erase_personal_data(actor=DPO, reason="r", at=at).erased
    assert fields_of(order) == erased


def test_a_one_letter_name_only_matches_itself() -> None:
    """A recipient of one character is erased, but texts that merely contain that character
    (a tracking report, a note) are not taken for personal data."""
    order, _ = _done_order()
    order.address = attrs.evolve(order.address, recipient="王")
    values = order.erase_personal_data(actor=DPO, reason="request PR-3").values
    assert values.matches("王")
    assert not values.matches("王府井 hub")
    assert values.matches("call 138 0013 8000")


def test_tracking_reports_are_erased_whatever_they_say() -> None:
    """A carrier's report may name a neighbour who signed for the parcel: every report is
    erased whole, not only those repeating the buyer's address."""
    order, clock = _done_order()
    shipment = order.shipments[0]
    report = TrackingEvent(
        at=clock.now(), description="signed for by neighbour Li Na, 13912345678", location="302"
    )
    events = (*shipment.events, report)
    order.shipments = (attrs.evolve(shipment, events=events),)
    result = order.erase_personal_data(actor=DPO, reason="request PR-4")
    assert "tracking reports" in result.parts
    assert {(e.description, e.location) for e in order.shipments[0].events} == {(ERASED, ERASED)}
    assert "Li Na" not in repr(fields_of(order))
