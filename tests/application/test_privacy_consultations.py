"""Erasing a buyer's personal data also erases their consultation sessions and outbox rows,
on every store."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ecservice.application import OrderErasure, PrivacyService
from ecservice.clock import FixedClock
from ecservice.consultation import (
    ENQUIRY_SIZE,
    ConsultationErasure,
    ConsultationSession,
    ItemChoice,
    OrderDetails,
)
from ecservice.errors import PolicyViolation, ValidationError
from ecservice.orders import ERASED, Address, erased_address
from ecservice.storage import MemoryStore, Store
from ecservice.workflow import Actor
from tests.application.conftest import StoreFactory
from tests.consultation.rig import ShopChecker
from tests.storage.test_erasure import _place_paid_done_order

AGENT = Actor.staff("kefu-1")
DPO = Actor.staff("privacy-office")
NAME, PHONE, STREET = "王小明", "138 0013 8000", "龙井路 1 号"
PERSONAL = (NAME, PHONE, STREET)


def _raw_rows(store: Store) -> list[str]:
    """Every column of every row of the aggregates and outbox tables, as text."""
    if isinstance(store, MemoryStore):
        with store._lock:
            rows = [repr(row) for row in store._rows.values()]
            rows += [repr(record) for _, record in store._outbox]
        return rows
    import sqlalchemy as sa

    from ecservice.storage.sql import SqlStore

    assert isinstance(store, SqlStore)
    with store.engine.connect() as connection:
        return [
            json.dumps(list(row), ensure_ascii=False, default=str)
            for table in ("ecs_aggregates", "ecs_outbox")
            for row in connection.execute(sa.text(f"SELECT * FROM {table}"))
        ]


def _store_session(
    store: Store, clock: FixedClock, session_id: str = "S-1", *, complete: bool = True
) -> None:
    """Session ``session_id`` of buyer u-1001: an order to 王小明 confirmed, handed over with a
    remark naming her, followed up and completed (or left handed over)."""
    session = ConsultationSession(
        id=session_id, buyer_id="u-1001", opened_at=clock.now(), clock=clock
    )
    session.greet(actor=AGENT)
    session.take_enquiry(type=ENQUIRY_SIZE, note="165 cm", actor=AGENT)
    session.recommend(sku="DRESS-1", actor=AGENT)
    address = Address(recipient=NAME, phone=PHONE, province="浙江省", city="杭州市", street=STREET)
    details = OrderDetails(
        order_id="O-1",
        address=address,
        carrier="SF",
        items=[ItemChoice(sku="DRESS-1", style="A-line", colour="red", size="M")],
    )
    session.confirm_order(details=details, checker=ShopChecker(), actor=AGENT)
    session.say_goodbye(actor=AGENT)
    session.hand_over(remarks=[f"贺卡写 {NAME}"], actor=AGENT)
    if complete:
        session.follow_up_remark(index=0, note=f"已电话 {PHONE}", actor=AGENT)
        session.complete(actor=AGENT)
    with store.unit_of_work() as uow:
        uow.consultations.add(session)
        uow.commit()


def _consultation_rows(store: Store) -> list[Any]:
    return [r for r in store.outbox() if r.aggregate_type == "consultation"]  # type: ignore[attr-defined]


def test_a_stored_session_and_its_outbox_rows_keep_no_personal_data(
    make_store: StoreFactory, clock: FixedClock
) -> None:
    store = make_store(clock)
    _place_paid_done_order(store, clock)  # type: ignore[arg-type]
    _store_session(store, clock)
    assert any(PHONE in row for row in _raw_rows(store))
    assert any(NAME in json.dumps(r.payload, ensure_ascii=False) for r in _consultation_rows(store))
    with store.unit_of_work() as uow:
        before = uow.consultations.get("S-1")
    outbox_before = len(store.outbox())  # type: ignore[attr-defined]

    clock.advance(days=1)
    privacy = PrivacyService(store, clock=clock, sleep=lambda _: None)
    done = privacy.erase_buyer(
        "u-1001", ["O-1"], actor=DPO, reason="request PR-9", consultation_ids=["S-1"]
    )

    order_done, session_done = done
    assert isinstance(order_done, OrderErasure)
    assert order_done.erased
    assert order_done.payments == ("O-1-PAY",)  # the order is erased as before
    assert isinstance(session_done, ConsultationErasure)
    assert session_done.erased
    assert session_done.session_id == "S-1"
    assert session_done.parts == ("address", "remarks", "enquiry notes", "history notes")
    assert session_done.outbox_rows > 0
    for row in _raw_rows(store):
        for personal in PERSONAL:
            assert personal not in row
    with store.unit_of_work() as uow:
        session = uow.consultations.get("S-1")
    assert session.version == before.version
    assert [(r.trigger, r.dest, r.at) for r in session.history] == [
        (r.trigger, r.dest, r.at) for r in before.history
    ]
    assert session.order is not None
    assert before.order is not None
    assert session.order.address == erased_address("CN")
    assert (session.order.order_id, session.order.items) == ("O-1", before.order.items)
    assert [(r.text, r.followed_up) for r in session.remarks] == [(ERASED, True)]
    outbox = store.outbox()  # type: ignore[attr-defined]
    assert len(outbox) == outbox_before + 2
    record = outbox[-1]
    assert record.event_type == "PersonalDataErased"
    assert record.aggregate_type == "consultation"
    assert record.event_id == f"consultation:S-1:{before.version}:erased"
    assert record.payload["reason"] == "request PR-9"
    confirmed = next(
        r for r in _consultation_rows(store) if r.event_type == "ConsultationOrderConfirmed"
    )
    assert confirmed.payload["details"]["address"]["recipient"] == ERASED
    assert confirmed.payload["details"]["items"][0]["sku"] == "DRESS-1"

    rows, outbox = sorted(_raw_rows(store)), store.outbox()  # type: ignore[attr-defined]
    again = privacy.erase_buyer(
        "u-1001", ["O-1"], actor=DPO, reason="request PR-9", consultation_ids=["S-1"]
    )
    assert [e.erased for e in again] == [False, False]
    assert store.outbox() == outbox  # type: ignore[attr-defined]
    assert sorted(_raw_rows(store)) == rows


def test_an_open_session_or_another_buyers_is_refused_and_nothing_changes(
    make_store: StoreFactory, clock: FixedClock
) -> None:
    store = make_store(clock)
    _place_paid_done_order(store, clock)  # type: ignore[arg-type]
    _store_session(store, clock, "S-1")
    _store_session(store, clock, "S-2", complete=False)
    rows = sorted(_raw_rows(store))
    privacy = PrivacyService(store, clock=clock, sleep=lambda _: None)
    with pytest.raises(PolicyViolation, match="consultation 'S-2' is HANDED_OVER"):
        privacy.erase_buyer(
            "u-1001", ["O-1"], actor=DPO, reason="request", consultation_ids=["S-1", "S-2"]
        )
    with pytest.raises(ValidationError, match="consultation 'S-1' belongs to another buyer"):
        privacy.erase_buyer("u-2002", [], actor=DPO, reason="request", consultation_ids=["S-1"])
    with pytest.raises(ValidationError, match="names one twice"):
        privacy.erase_buyer(
            "u-1001", [], actor=DPO, reason="request", consultation_ids=["S-1", "S-1"]
        )
    with pytest.raises(ValidationError, match="consultation ids must be a list"):
        privacy.erase_buyer("u-1001", [], actor=DPO, reason="request", consultation_ids="S-1")
    with pytest.raises(PolicyViolation, match="'S-2'"):
        privacy.erase_consultation("S-2", actor=DPO, reason="request")
    assert sorted(_raw_rows(store)) == rows


def test_erase_consultation_alone(make_store: StoreFactory, clock: FixedClock) -> None:
    store = make_store(clock)
    _store_session(store, clock)
    privacy = PrivacyService(store, clock=clock, sleep=lambda _: None)
    with pytest.raises(ValidationError, match="another buyer"):
        privacy.erase_consultation("S-1", actor=DPO, reason="request", buyer_id="u-2")
    done = privacy.erase_consultation("S-1", actor=DPO, reason="request", buyer_id="u-1001")
    assert done.erased
    for row in _raw_rows(store):
        for personal in PERSONAL:
            assert personal not in row
    assert not privacy.erase_consultation("S-1", actor=DPO, reason="request").erased
