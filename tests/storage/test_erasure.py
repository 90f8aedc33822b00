"""Erasing a buyer's personal data leaves no copy in the stored rows, on every store."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ecservice.application import OrderService, PrivacyService, payments_of, scrub_payload
from ecservice.clock import FixedClock
from ecservice.errors import PolicyViolation, ValidationError
from ecservice.money import Money
from ecservice.orders import ERASED, Address, Cart, PersonalValues, ShippingRate, erased_address
from ecservice.payments import InMemoryGateway, Instrument, InstrumentKind
from ecservice.storage import MemoryStore, OutboxRecord
from ecservice.workflow import Actor
from tests.storage.aggregates import STAFF
from tests.storage.conftest import InspectableStore

BUYER = Actor.buyer("u-1001")
RATE = ShippingRate.per_kg(first_fee=Money("10.00", "CNY"), additional_fee=Money("6", "CNY"))
DPO = Actor.staff("privacy-office")
NAME, PHONE, STREET = "王小明", "138 0013 8000", "龙井路 1 号"
#: Texts that must be gone from every stored row once the buyer's data is erased.
PERSONAL = (NAME, PHONE, STREET, "门卫")


def _place_paid_done_order(store: InspectableStore, clock: FixedClock) -> OrderService:
    """Order O-1 of buyer u-1001: placed with remarks, paid, one line cancelled (a refund whose
    reason names the buyer), shipped and received, with notes that repeat the phone."""
    gateway = InMemoryGateway()
    cart = Cart.open("C-1", buyer_id="u-1001", currency="CNY", clock=clock)
    cart.add_line("TEA-250", "龙井", Money("88.00", "CNY"), 2, actor=BUYER)
    cart.add_line("CUP-1", "cup", Money("9.90", "CNY"), 1, actor=BUYER)
    with store.unit_of_work() as uow:
        uow.carts.add(cart)
        uow.commit()
    service = OrderService(store, gateway, clock=clock, sleep=lambda _: None)
    address = Address(recipient=NAME, phone=PHONE, province="浙江省", city="杭州市", street=STREET)
    service.place_order(
        "C-1", "O-1", actor=BUYER, shipping=RATE, address=address, remarks=f"放门卫 {NAME}"
    )
    card = Instrument(InstrumentKind.CARD, "tok_1")
    gateway.fund(card, Money("500.00", "CNY"))
    assert service.pay("O-1", card).paid
    service.change(
        "O-1", lambda o: o.cancel_lines({"CUP-1": 1}, reason=f"{NAME} 不要杯子", actor=STAFF)
    )
    assert service.settle("O-1")  # the cup is refunded, with the cancellation's reason
    service.change(
        "O-1",
        lambda o: o.ship(carrier="顺丰", tracking_no="SF100", actor=STAFF, note=f"电话 {PHONE}"),
    )
    clock.advance(days=1)
    service.change("O-1", lambda o: o.confirm_receipt(actor=BUYER, note=f"{NAME} 收到"))
    return service


def _raw_rows(store: InspectableStore) -> list[str]:
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
            json.dumps([str(v) for v in row], ensure_ascii=False)
            + json.dumps(list(row), ensure_ascii=False, default=str)
            for table in ("ecs_aggregates", "ecs_outbox")
            for row in connection.execute(sa.text(f"SELECT * FROM {table}"))
        ]


def _reconciled(store: InspectableStore) -> tuple[Money, Money]:
    """What the order still owes and what its payments kept (captured - refunded)."""
    with store.unit_of_work() as uow:
        order = uow.orders.get("O-1")
        kept = sum((p.net for p in payments_of(uow, "O-1")), Money("0", "CNY"))
        return order.amount_due, kept


def test_erasure_leaves_no_personal_data_in_any_stored_row(
    store: InspectableStore, clock: FixedClock
) -> None:
    service = _place_paid_done_order(store, clock)
    rows = _raw_rows(store)
    assert any(NAME in row for row in rows)  # the check below can fail
    assert any(PHONE in row for row in rows)
    with store.unit_of_work() as uow:
        before = uow.orders.get("O-1")
        totals = (before.total, before.amount_due, before.cancelled_value, before.status)
        version, steps = before.version, [(r.trigger, r.dest) for r in before.history]
    owed = _reconciled(store)
    outbox_before = len(store.outbox())

    clock.advance(days=1)
    privacy = PrivacyService(store, clock=clock, sleep=lambda _: None)
    done = privacy.erase_buyer("u-1001", ["O-1"], actor=DPO, reason="request PR-7")

    assert len(done) == 1
    assert done[0].erased
    assert done[0].payments == ("O-1-PAY",)  # its refund repeated the cancellation's reason
    assert done[0].outbox_rows > 0
    for row in _raw_rows(store):
        for personal in PERSONAL:
            assert personal not in row
    with store.unit_of_work() as uow:
        order = uow.orders.get("O-1")
        assert (order.total, order.amount_due, order.cancelled_value, order.status) == totals
        assert order.version == version
        assert [(r.trigger, r.dest) for r in order.history] == steps
        assert order.address == erased_address("CN")
        (payment,) = payments_of(uow, "O-1")
        assert payment.refunds[0].reason == ERASED
    assert _reconciled(store) == owed
    assert service.settle("O-1") == ()  # nothing left to refund or void
    outbox = store.outbox()
    assert len(outbox) == outbox_before + 1
    record = outbox[-1]
    assert record.event_type == "PersonalDataErased"
    assert record.event_id == f"order:O-1:{version}:erased"
    assert record.payload["basis"] == "PIPL art. 47; GDPR art. 17"
    assert record.payload["reason"] == "request PR-7"


def test_erasing_again_writes_nothing(store: InspectableStore, clock: FixedClock) -> None:
    _place_paid_done_order(store, clock)
    privacy = PrivacyService(store, clock=clock, sleep=lambda _: None)
    assert privacy.erase_order("O-1", actor=DPO, reason="request PR-7").erased
    rows, outbox = _raw_rows(store), store.outbox()
    again = privacy.erase_buyer("u-1001", ["O-1"], actor=DPO, reason="request PR-7")
    assert [e.erased for e in again] == [False]
    assert store.outbox() == outbox
    assert sorted(_raw_rows(store)) == sorted(rows)


def test_an_open_order_or_another_buyers_is_refused_and_nothing_changes(
    store: InspectableStore, clock: FixedClock
) -> None:
    _place_paid_done_order(store, clock)
    with store.unit_of_work() as uow:
        cart = Cart.open("C-2", buyer_id="u-1001", currency="CNY", clock=clock)
        cart.add_line("TEA-250", "龙井", Money("88.00", "CNY"), 1, actor=BUYER)
        uow.carts.add(cart)
        uow.commit()
    service = OrderService(store, InMemoryGateway(), clock=clock, sleep=lambda _: None)
    service.place_order(
        "C-2",
        "O-2",
        actor=BUYER,
        shipping=RATE,
        address=Address(
            recipient=NAME, phone=PHONE, province="浙江省", city="杭州市", street=STREET
        ),
    )
    rows = sorted(_raw_rows(store))
    privacy = PrivacyService(store, clock=clock, sleep=lambda _: None)
    with pytest.raises(PolicyViolation, match="'O-2'"):
        privacy.erase_buyer("u-1001", ["O-1", "O-2"], actor=DPO, reason="request PR-8")
    with pytest.raises(ValidationError, match="another buyer"):
        privacy.erase_buyer("u-2002", ["O-1"], actor=DPO, reason="request PR-8")
    assert sorted(_raw_rows(store)) == rows


def test_a_redaction_rolled_back_leaves_the_outbox_as_it_was(
    store: InspectableStore, clock: FixedClock
) -> None:
    _place_paid_done_order(store, clock)
    outbox = store.outbox()
    values = PersonalValues(frozenset(), frozenset({NAME}))

    def redact(_type: str, payload: dict[str, Any]) -> dict[str, Any]:
        scrubbed: dict[str, Any] = scrub_payload(payload, values)
        return scrubbed

    with store.unit_of_work() as uow:
        assert uow.redact_outbox("order", "O-1", redact) > 0
        assert uow.redact_outbox("order", "O-404", redact) == 0
        uow.rollback()
    assert store.outbox() == outbox


def test_redacting_rows_written_in_the_same_unit_of_work(
    store: InspectableStore, clock: FixedClock
) -> None:
    record = OutboxRecord(
        event_id="order:O-9:1:0",
        aggregate_type="order",
        aggregate_id="O-9",
        event_type="Noted",
        payload={"note": f"call {PHONE}", "sku": PHONE},
        occurred_at=clock.now(),
    )
    values = PersonalValues(frozenset(), frozenset({PHONE}))
    with store.unit_of_work() as uow:
        uow.append_outbox([record])
        assert uow.redact_outbox("order", "O-9", lambda _, p: scrub_payload(p, values)) == 1
        assert uow.redact_outbox("order", "O-9", lambda _, p: scrub_payload(p, values)) == 0
        uow.commit()
    (stored,) = store.outbox()
    assert stored.payload == {"note": ERASED, "sku": PHONE}  # identifiers are kept


def test_scrub_payload_replaces_addresses_and_matching_texts() -> None:
    values = PersonalValues(frozenset({"浙江省"}), frozenset({NAME}))
    payload = {
        "address": {"recipient": NAME, "phone": PHONE, "district": "", "country": "CN"},
        "reasons": [f"{NAME} 说", "no stock", "浙江省"],
        "amount": NAME,
        "n": 3,
    }
    assert scrub_payload(payload, values) == {
        "address": {"recipient": ERASED, "phone": "00000", "district": "", "country": "CN"},
        "reasons": [ERASED, "no stock", ERASED],
        "amount": NAME,
        "n": 3,
    }
