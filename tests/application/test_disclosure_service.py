"""The disclosure service returns only what the rule allows and records every disclosure in the
outbox, in the same unit of work; a refusal records nothing."""

from __future__ import annotations

from pathlib import Path

import pendulum
import pytest

from ecservice.application import DisclosureService
from ecservice.clock import FixedClock
from ecservice.errors import AggregateNotFound
from ecservice.orders import DisclosureRefused, OrderDetail, VerifiedRequest
from ecservice.storage import MemoryStore, Store
from ecservice.storage.sql import SqlStore
from ecservice.workflow import Actor
from tests.orders.test_order import new_order

AT = pendulum.datetime(2026, 11, 12, 10, tz="Asia/Shanghai")


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    clock = FixedClock(AT)
    if request.param == "memory":
        found: Store = MemoryStore(clock=clock)
    else:
        sql = SqlStore(f"sqlite:///{tmp_path}/shop.db", clock=clock)
        sql.create_schema()
        found = sql
    order = new_order(FixedClock(AT.subtract(days=1)))
    order.pull_events()
    with found.unit_of_work() as uow:
        uow.orders.add(order)
        uow.commit()
    return found


def disclosures(store: Store) -> list[dict[str, object]]:
    rows = store.outbox()  # type: ignore[attr-defined]
    return [r.payload for r in rows if r.event_type == "OrderDetailsDisclosed"]


def test_the_account_reads_its_details_and_the_read_is_recorded(store: Store) -> None:
    service = DisclosureService(store, clock=FixedClock(AT))
    found = service.read_details(
        "O-1", Actor.buyer("u-1001"), {OrderDetail.PHONE, OrderDetail.REMARKS}, purpose="check"
    )
    assert found.phone == "138 0013 8000"
    assert found.address is None
    assert found.recipient is None
    assert "0013" not in repr(found)
    (record,) = disclosures(store)
    assert record["details"] == ["phone", "remarks"]
    assert record["basis"] == "account_holder"
    assert record["actor"] == {"kind": "BUYER", "id": "u-1001"}
    assert "138" not in str(record)


def test_staff_on_a_verified_request_reads_the_address(store: Store) -> None:
    service = DisclosureService(store, clock=FixedClock(AT))
    request = VerifiedRequest(
        account_id="u-1001",
        staff_id="kefu-07",
        method="logged-in chat",
        verified_at=AT,
        reference="chat-9",
    )
    found = service.read_details(
        "O-1", Actor.staff("kefu-07"), [OrderDetail.ADDRESS], purpose="confirm", request=request
    )
    assert found.address is not None
    assert found.address.street == "龙井路 1 号"
    (record,) = disclosures(store)
    assert (record["basis"], record["reference"]) == ("verified_request", "chat-9")


def test_a_disclosure_to_another_account_is_refused_and_not_recorded(store: Store) -> None:
    service = DisclosureService(store, clock=FixedClock(AT))
    with pytest.raises(DisclosureRefused, match="not the account"):
        service.read_details("O-1", Actor.buyer("u-2002"), [OrderDetail.ADDRESS], purpose="?")
    with pytest.raises(DisclosureRefused, match="no verified request"):
        service.read_details("O-1", Actor.staff("kefu-07"), [OrderDetail.PHONE], purpose="?")
    with pytest.raises(AggregateNotFound):
        service.read_details("O-404", Actor.buyer("u-1001"), [OrderDetail.PHONE], purpose="?")
    assert disclosures(store) == []
