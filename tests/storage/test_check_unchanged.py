"""``UnitOfWork.check_unchanged``: a decision that writes nothing can check that what it read is
still what is stored (PostgreSQL's READ COMMITTED lets another transaction commit between two
reads of one unit of work)."""

from __future__ import annotations

import pytest

from ecservice.clock import FixedClock
from ecservice.errors import ConcurrencyConflict
from ecservice.workflow import Actor
from tests.storage.conftest import InspectableStore
from tests.storage.test_repository import new_order

STAFF = Actor.staff("kefu-01")


def test_nothing_changed_passes_on_every_store(store: InspectableStore, clock: FixedClock) -> None:
    with store.unit_of_work() as uow:
        uow.orders.add(new_order(clock, "O-1"))
        uow.commit()
    with store.unit_of_work() as uow:
        order = uow.orders.get("O-1")
        assert uow.orders.find("O-2") is None
        uow.check_unchanged()
        order.confirm(actor=STAFF)
        uow.orders.save(order)
        uow.orders.add(new_order(clock, "O-2"))
        uow.check_unchanged()  # its own writes are what it expects
        uow.commit()


@pytest.mark.parametrize("store_kind", ["postgresql"])
def test_a_change_committed_meanwhile_is_a_conflict(
    store: InspectableStore, store_url: str, clock: FixedClock
) -> None:
    from ecservice.storage.sql import SqlStore

    other = SqlStore(store_url, clock=clock)
    try:
        with store.unit_of_work() as uow:
            uow.orders.add(new_order(clock, "O-1"))
            uow.commit()
        with store.unit_of_work() as uow:
            uow.orders.get("O-1")
            with other.unit_of_work() as theirs:
                order = theirs.orders.get("O-1")
                order.confirm(actor=STAFF)
                theirs.orders.save(order)
                theirs.commit()
            with pytest.raises(ConcurrencyConflict) as info:
                uow.check_unchanged()
            assert "O-1" in str(info.value)
        with store.unit_of_work() as uow:
            assert uow.orders.find("O-2") is None
            with other.unit_of_work() as theirs:
                theirs.orders.add(new_order(clock, "O-2"))
                theirs.commit()
            with pytest.raises(ConcurrencyConflict) as info:
                uow.check_unchanged()
            assert "O-2" in str(info.value)
    finally:
        other.dispose()
