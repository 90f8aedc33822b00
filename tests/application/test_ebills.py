"""Orders paid with stored electronic drafts through :class:`EbillService`, on the memory
store, SQLite and PostgreSQL: one draft pays one order, a cancelled order gets its draft back
once, the shop presents at maturity through the timer index, and a dishonour ends in recourse."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pendulum
import pytest

from ecservice.application import EbillService, draft_payment_id
from ecservice.clock import FixedClock
from ecservice.errors import PolicyViolation
from ecservice.orders import Order, OrderStatus
from ecservice.payments import PaymentStatus
from ecservice.payments.ebills import (
    ActKind,
    DishonourReason,
    DraftStatus,
    ElectronicDraft,
)
from ecservice.storage import MemoryStore, Store, default_timers, draft_next_due
from tests.payments.ebills.rig import STAFF
from tests.payments.ebills.shop_rig import (
    BANK,
    BUYER,
    NUMBER,
    SHOP,
    SHOP_KEYS,
    T0,
    b2b_order,
    cny,
    draft_to_shop,
)
from tests.storage.conftest import empty_pg

KEYS = SHOP_KEYS


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Store, FixedClock]]:
    clock = FixedClock(T0)
    timers: dict[str, Any] = {**default_timers(), "electronic_draft": draft_next_due(holder=SHOP)}
    if request.param == "memory":
        yield MemoryStore(clock=clock, timers=timers), clock
        return
    from ecservice.storage.sql import SqlStore

    if request.param == "sqlite":
        sql = SqlStore(f"sqlite:///{tmp_path / 'shop.db'}", clock=clock, timers=timers)
        sql.create_schema()
    else:
        url = request.getfixturevalue("app_pg_url")
        empty_pg(url)
        sql = SqlStore(url, clock=clock, timers=timers)
    yield sql, clock
    sql.dispose()


def order(id: str, clock: FixedClock, quantity: int = 50) -> Order[Any]:
    return b2b_order(id, clock, quantity)


def delivered(clock: FixedClock, number: str = NUMBER) -> ElectronicDraft:
    return draft_to_shop(cny("47500.00"), clock, number)


def setup(store: Store, clock: FixedClock, *orders: str) -> tuple[EbillService, ElectronicDraft]:
    with store.unit_of_work() as uow:
        for id in orders:
            uow.orders.add(order(id, clock))
        uow.commit()
    service = EbillService(store, SHOP, KEYS[SHOP], clock=clock)
    draft = delivered(clock)
    assert service.receive(draft) == 2
    assert service.receive(draft) == 2  # the same draft again: nothing changes
    return service, draft


def stored(store: Store, draft_no: str) -> ElectronicDraft:
    with store.unit_of_work() as uow:
        return uow.drafts.get(draft_no)


def test_paid_at_maturity(store: tuple[Store, FixedClock]) -> None:
    s, clock = store
    service, draft = setup(s, clock, "B2B-1")
    outcome = service.pay("B2B-1", draft.id)
    assert outcome.paid
    assert outcome.payment_id == draft_payment_id(draft) == f"EBILL-{draft.id}-2"
    assert service.pay("B2B-1", draft.id) == outcome  # run again: nothing more
    assert service.run_due() == 0  # not mature yet
    clock.set(pendulum.datetime(2026, 6, 1, 0, 0, tz="Asia/Shanghai").subtract(microseconds=1))
    assert service.run_due() == 0
    clock.set(pendulum.datetime(2026, 6, 1, 0, 0, tz="Asia/Shanghai"))
    assert service.run_due() == 1  # presented the moment presentment opens
    assert service.run_due() == 0
    presented = stored(s, draft.id)
    assert presented.status is DraftStatus.PRESENTED
    pay = presented.sign(KEYS[BANK], ActKind.PAY, by=BANK, amount=cny("47500.00"))
    service.record(draft.id, pay)
    service.record(draft.id, pay)  # delivered twice by a relay: applied once
    paid = stored(s, draft.id)
    assert paid.status is DraftStatus.PAID
    assert [(p.payee, p.amount) for p in paid.payments] == [(SHOP, cny("47500.00"))]


def test_one_draft_pays_one_order(store: tuple[Store, FixedClock]) -> None:
    s, clock = store
    service, draft = setup(s, clock, "B2B-1", "B2B-2")
    service.pay("B2B-1", draft.id)
    with pytest.raises(PolicyViolation, match="one draft pays one order"):
        service.pay("B2B-2", draft.id)
    with s.unit_of_work() as uow:
        assert uow.orders.get("B2B-2").status is OrderStatus.PENDING_CONFIRMATION


def test_a_cancelled_order_gets_its_draft_back_once(store: tuple[Store, FixedClock]) -> None:
    s, clock = store
    service, draft = setup(s, clock, "B2B-1")
    service.pay("B2B-1", draft.id)
    with s.unit_of_work() as uow:
        o = uow.orders.get("B2B-1")
        o.cancel(actor=STAFF, reason="buyer changed their mind")
        uow.orders.save(o)
        uow.commit()
    assert len(service.settle("B2B-1", draft.id)) == 1
    assert service.settle("B2B-1", draft.id) == ()
    back = stored(s, draft.id)
    assert back.holder == BUYER
    assert back.version == 3
    with s.unit_of_work() as uow:
        payment = uow.payments.get(draft_payment_id(draft))
        assert payment.status is PaymentStatus.REFUNDED


def test_dishonour_and_recourse(store: tuple[Store, FixedClock]) -> None:
    s, clock = store
    service, draft = setup(s, clock, "B2B-1")
    service.pay("B2B-1", draft.id)
    clock.set(pendulum.datetime(2026, 6, 1, 9, 0, tz="Asia/Shanghai"))
    service.run_due()
    d = stored(s, draft.id)
    refuse = d.sign(KEYS[BANK], ActKind.DISHONOUR, by=BANK, reason=DishonourReason.COURT_ORDER)
    service.record(draft.id, refuse)
    claim = service.claim_recourse(draft.id, BUYER, expenses=cny("15.00"))
    assert service.claim_recourse(draft.id, BUYER, expenses=cny("15.00")) == claim
    d = stored(s, draft.id)
    settle = d.sign(KEYS[BUYER], ActKind.SETTLE_RECOURSE, by=BUYER, amount=cny("47515.00"))
    service.record(draft.id, settle)
    done = stored(s, draft.id)
    assert done.holder == BUYER
    assert [(p.payer, p.payee, p.amount) for p in done.payments] == [(BUYER, SHOP, cny("47515.00"))]


def test_a_draft_not_presented_in_time_expires(store: tuple[Store, FixedClock]) -> None:
    s, clock = store
    service = EbillService(s, SHOP, KEYS[SHOP], clock=clock)
    d = delivered(clock)
    d.endorse(d.sign(KEYS[SHOP], ActKind.ENDORSE, by=SHOP, party=BUYER), actor=STAFF)
    service.receive(d)  # held by the buyer: the shop does not present it
    end = d.next_due_at()
    assert end is not None
    clock.set(end.subtract(microseconds=1))
    assert service.run_due() == 0
    clock.set(end)
    assert service.run_due() == 1
    assert stored(s, d.id).status is DraftStatus.EXPIRED


def test_a_declined_offer_frees_the_draft(store: tuple[Store, FixedClock]) -> None:
    """Offered by mistake to an order for another amount, the draft is declined (no money
    moved) and then pays the right order."""
    s, clock = store
    service, draft = setup(s, clock, "B2B-1")
    with s.unit_of_work() as uow:
        uow.orders.add(order("SMALL", clock, quantity=40))
        uow.commit()
    declined = service.pay("SMALL", draft.id)
    assert declined.payment_status is PaymentStatus.FAILED
    paid = service.pay("B2B-1", draft.id)
    assert paid.paid
    assert paid.payment_id == draft_payment_id(draft, 2)
    with pytest.raises(PolicyViolation, match="one draft pays one order"):
        service.pay("SMALL", draft.id)


def test_a_draft_given_back_comes_back_for_another_order(store: tuple[Store, FixedClock]) -> None:
    s, clock = store
    service, draft = setup(s, clock, "B2B-1", "B2B-2")
    service.pay("B2B-1", draft.id)
    with s.unit_of_work() as uow:
        o = uow.orders.get("B2B-1")
        o.cancel(actor=STAFF, reason="buyer changed their mind")
        uow.orders.save(o)
        uow.commit()
    service.settle("B2B-1", draft.id)
    back = stored(s, draft.id)
    assert back.holder == BUYER
    back.endorse(back.sign(KEYS[BUYER], ActKind.ENDORSE, by=BUYER, party=SHOP), actor=STAFF)
    assert service.receive(back) == 4
    assert service.receive(back) == 4
    outcome = service.pay("B2B-2", draft.id)
    assert outcome.paid
    assert outcome.payment_id == draft_payment_id(back) == f"EBILL-{draft.id}-4"
    assert stored(s, draft.id).holder == SHOP


def test_a_copy_that_contradicts_the_stored_draft_is_refused(
    store: tuple[Store, FixedClock],
) -> None:
    s, clock = store
    service, draft = setup(s, clock)
    other = delivered(clock)
    other.endorse(other.sign(KEYS[SHOP], ActKind.ENDORSE, by=SHOP, party=BANK), actor=STAFF)
    with s.unit_of_work() as uow:
        stored_draft = uow.drafts.get(draft.id)
        stored_draft.endorse(
            stored_draft.sign(KEYS[SHOP], ActKind.ENDORSE, by=SHOP, party=BUYER), actor=STAFF
        )
        uow.drafts.save(stored_draft)
        uow.commit()
    with pytest.raises(PolicyViolation, match="other acts"):
        service.receive(other)
    assert stored(s, draft.id).holder == BUYER
