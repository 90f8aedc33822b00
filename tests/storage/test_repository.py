"""The behaviour every store shares, in memory, on an SQLite file and on PostgreSQL.

Round trips through a unit of work, conflicts that change nothing, rollbacks, outbox rows with
deterministic ids written with their aggregate, timers (``due``), and the retry helper.
"""

from __future__ import annotations

from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecservice.clock import FixedClock
from ecservice.errors import (
    AggregateNotFound,
    ConcurrencyConflict,
    EcServiceError,
    TransientStorageError,
    ValidationError,
)
from ecservice.orders import Cart, Order, OrderStatus, TrackingEvent
from ecservice.storage import (
    CART_SERIALIZER,
    MemoryStore,
    UnitOfWork,
    default_registry,
    default_timers,
    order_next_due,
    run_in_transaction,
)
from ecservice.workflow import Actor
from tests.storage.aggregates import (
    BUYER,
    STAFF,
    an_order,
    carts,
    orders,
    payments,
    same_aggregate,
)
from tests.storage.conftest import POLICY, InspectableStore


def new_order(clock: FixedClock, id: str = "O-1") -> Order[Any]:
    """A plain order awaiting confirmation."""
    return attrs.evolve(an_order(clock), id=id)


def shipped_order(clock: FixedClock, id: str) -> Order[Any]:
    """An order confirmed and shipped now (in transit), its events pulled."""
    order = new_order(clock, id)
    order.confirm(actor=STAFF)
    order.ship(carrier="顺丰", tracking_no="SF1", actor=STAFF)
    order.pull_events()
    return order


def add(store: InspectableStore, *aggregates: Any) -> None:
    """Add and commit ``aggregates`` in one unit of work."""
    registry = default_registry()
    with store.unit_of_work() as uow:
        for aggregate in aggregates:
            uow.repository(registry.for_object(aggregate)).add(aggregate)
        uow.commit()


# --- loading and saving ------------------------------------------------------------------------


def test_an_added_order_loads_back_equal(store: InspectableStore, clock: FixedClock) -> None:
    """What is added and committed loads back field for field, in a later unit of work."""
    order = shipped_order(clock, "O-1")
    add(store, order)
    with store.unit_of_work() as uow:
        loaded = uow.orders.get("O-1")
        same_aggregate(loaded, order)
        assert loaded.clock is clock
        assert uow.orders.get("O-1") is loaded  # one object per id in a unit of work
    assert store.stored_version("order", "O-1") == order.version == 2


def test_find_answers_none_and_get_raises_for_a_missing_id(store: InspectableStore) -> None:
    """A missing aggregate: ``find`` gives ``None``, ``get`` a library error naming it."""
    with store.unit_of_work() as uow:
        assert uow.orders.find("O-404") is None
        with pytest.raises(AggregateNotFound, match="no order 'O-404' is stored") as info:
            uow.orders.get("O-404")
    assert info.value.aggregate_type == "order"
    assert isinstance(info.value, LookupError)


def test_carts_and_custom_repositories_share_the_rules(
    store: InspectableStore, clock: FixedClock
) -> None:
    """``repository(serializer)`` and the typed shortcuts read the same rows."""
    cart = Cart.open("C-1", buyer_id="u-1", currency="CNY", clock=clock)
    add(store, cart)
    with store.unit_of_work() as uow:
        loaded = uow.repository(CART_SERIALIZER).get("C-1")
        assert uow.carts.get("C-1") is loaded
        assert loaded == cart


def test_a_saved_change_is_kept_with_its_version(
    store: InspectableStore, clock: FixedClock
) -> None:
    """Load, fire a trigger, save, commit: the stored version is the aggregate's."""
    add(store, new_order(clock))
    with store.unit_of_work() as uow:
        order = uow.orders.get("O-1")
        order.confirm(actor=STAFF)
        uow.orders.save(order)
        order.ship(carrier="SF", tracking_no="1", actor=STAFF)
        uow.orders.save(order)  # saved twice in one unit of work
        uow.commit()
    assert store.stored_version("order", "O-1") == 2
    with store.unit_of_work() as uow:
        assert uow.orders.get("O-1").status is OrderStatus.IN_TRANSIT


def test_adding_a_stored_id_is_a_conflict(store: InspectableStore, clock: FixedClock) -> None:
    """A second ``add`` of the same id raises ConcurrencyConflict; the first one stays."""
    add(store, shipped_order(clock, "O-1"))
    with store.unit_of_work() as uow:
        with pytest.raises(ConcurrencyConflict, match="already stored") as info:
            uow.orders.add(new_order(clock))
        uow.commit()
    assert (info.value.expected, info.value.found) == (None, 2)
    assert store.stored_version("order", "O-1") == 2


def test_a_stale_save_is_a_conflict_and_changes_nothing(
    store: InspectableStore, clock: FixedClock
) -> None:
    """A unit of work loads version 0 (and commits, ending its transaction: on SQLite a
    transaction holds the write lock); another one changes and commits it; the first one's save
    raises ConcurrencyConflict naming the type, id and both versions, its events stay queued,
    and the stored row and the outbox keep the other one's change."""
    add(store, new_order(clock))
    with store.unit_of_work() as first:
        mine = first.orders.get("O-1")
        first.commit()
        with store.unit_of_work() as second:
            theirs = second.orders.get("O-1")
            theirs.cancel(reason="buyer asked", actor=BUYER)
            second.orders.save(theirs)
            second.commit()
        mine.confirm(actor=STAFF)
        with pytest.raises(ConcurrencyConflict) as info:
            first.orders.save(mine)
        first.commit()
        assert mine.pending_events  # not taken: nothing was written
    error = info.value
    assert (error.aggregate_type, error.aggregate_id, error.expected, error.found) == (
        "order",
        "O-1",
        0,
        1,
    )
    assert "loaded at version 0 but version 1 is stored" in str(error)
    assert store.stored_version("order", "O-1") == 1
    assert {r.event_id.rsplit(":", 2)[1] for r in store.outbox()} == {"1"}  # cancel's only
    with store.unit_of_work() as uow:
        assert uow.orders.get("O-1").status is OrderStatus.CANCELLED


def test_saving_what_this_unit_of_work_did_not_load_is_refused(
    store: InspectableStore, clock: FixedClock
) -> None:
    """``save`` needs the version the aggregate was loaded at: elsewhere it is refused."""
    add(store, new_order(clock))
    with (
        store.unit_of_work() as uow,
        pytest.raises(ValidationError, match="not loaded or added through this unit"),
    ):
        uow.orders.save(new_order(clock))


def test_leaving_without_commit_or_by_an_exception_keeps_nothing(
    store: InspectableStore, clock: FixedClock
) -> None:
    """A unit of work left without commit, or through an exception, rolls everything back."""
    with store.unit_of_work() as uow:
        uow.orders.add(shipped_order(clock, "O-1"))
    order = new_order(clock, "O-2")
    order.confirm(actor=STAFF)

    def fail_after_adding() -> None:
        with store.unit_of_work() as uow:
            uow.orders.add(order)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        fail_after_adding()
    assert store.stored_version("order", "O-1") is None
    assert store.stored_version("order", "O-2") is None
    assert store.outbox() == []


def test_a_unit_of_work_goes_on_after_commit_and_ends_with_its_block(
    store: InspectableStore, clock: FixedClock
) -> None:
    """After ``commit`` the next writes form a new transaction; after the block, none."""
    with store.unit_of_work() as uow:
        uow.orders.add(new_order(clock, "O-1"))
        uow.commit()
        uow.orders.add(new_order(clock, "O-2"))
        uow.rollback()
        assert uow.orders.find("O-2") is None
    assert store.stored_version("order", "O-1") == 0
    with pytest.raises(ValidationError, match="has ended"):
        uow.orders.find("O-1")


def wipe(store: InspectableStore) -> None:
    """Delete everything the store holds (between hypothesis examples)."""
    engine = getattr(store, "engine", None)
    if engine is None:
        assert isinstance(store, MemoryStore)
        store.clear()
        return
    with engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM ecs_outbox")
        connection.exec_driver_sql("DELETE FROM ecs_aggregates")


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_generated_aggregates_survive_the_store(
    store: InspectableStore, data: st.DataObject
) -> None:
    """Orders, carts and payments driven through generated triggers load back equal, each with
    its stored version."""
    wipe(store)
    aggregates = [data.draw(orders()), data.draw(carts()), data.draw(payments())]
    add(store, *aggregates)
    registry = default_registry()
    with store.unit_of_work() as uow:
        for aggregate in aggregates:
            serializer = registry.for_object(aggregate)
            loaded = uow.repository(serializer).get(aggregate.id)
            same_aggregate(loaded, aggregate)
    for aggregate in aggregates:
        type_name = registry.for_object(aggregate).type_name
        assert store.stored_version(type_name, aggregate.id) == aggregate.version


# --- outbox --------------------------------------------------------------------------------


def test_events_become_outbox_rows_with_deterministic_ids(
    store: InspectableStore, clock: FixedClock
) -> None:
    """Saving takes the aggregate's pending events into outbox rows of the same transaction:
    ids ``type:id:version:n``, class names, converted fields, UTC times."""
    order = new_order(clock)
    order.confirm(actor=STAFF)  # version 1, one event, written by add
    add(store, order)
    assert order.pending_events == ()
    with store.unit_of_work() as uow:
        loaded = uow.orders.get("O-1")
        loaded.ship(carrier="SF", tracking_no="1", actor=STAFF)
        event = TrackingEvent(at=clock.now(), description="到达杭州", location="杭州")
        loaded.add_tracking_event(loaded.shipments[0].id, event, actor=Actor.carrier("SF"))
        events = loaded.pending_events
        uow.orders.save(loaded)
        uow.commit()
    rows = store.outbox()
    assert [r.event_id for r in rows] == [
        "order:O-1:1:0",
        *(f"order:O-1:3:{n}" for n in range(len(events))),
    ]
    assert [r.event_type for r in rows[1:]] == [type(e).__name__ for e in events]
    first = rows[0]
    assert (first.aggregate_type, first.aggregate_id, first.event_type) == (
        "order",
        "O-1",
        "OrderConfirmed",
    )
    assert first.payload["actor"] == {"kind": "STAFF", "id": "kefu-07"}
    assert first.payload["occurred_at"] == "2026-11-11T02:00:00.000000+00:00"
    assert first.occurred_at == clock.now()
    assert first.occurred_at.utcoffset() is not None
    assert first.occurred_at.utcoffset().total_seconds() == 0  # type: ignore[union-attr]


# --- timers --------------------------------------------------------------------------------


def test_due_returns_overdue_orders_oldest_first_up_to_the_limit(
    store: InspectableStore, clock: FixedClock
) -> None:
    """``next_due_at`` follows the timer on every save; ``due`` returns what is due at ``now``,
    the longest overdue first, at most ``limit``; a received order is due no more."""
    for n in (3, 1, 2):  # shipped an hour apart, in the order O-3, O-1, O-2
        add(store, shipped_order(clock, f"O-{n}"))
        clock.advance(hours=1)
    add(store, new_order(clock, "O-9"))  # not shipped: never due
    assert store.next_due_at("order", "O-9") is None
    first_due = store.next_due_at("order", "O-3")
    assert first_due == POLICY.due_at(clock.now().subtract(hours=3))
    with store.unit_of_work() as uow:
        assert uow.orders.due(first_due.subtract(seconds=1)) == []
        assert [o.id for o in uow.orders.due(first_due)] == ["O-3"]
        assert [o.id for o in uow.orders.due(first_due.add(days=1))] == ["O-3", "O-1", "O-2"]
        two = uow.orders.due(first_due.add(days=1), limit=2)
        assert [o.id for o in two] == ["O-3", "O-1"]
        two[0].confirm_receipt(actor=BUYER)
        uow.orders.save(two[0])
        uow.commit()
    assert store.next_due_at("order", "O-3") is None
    with store.unit_of_work() as uow:
        assert [o.id for o in uow.orders.due(first_due.add(days=1))] == ["O-1", "O-2"]
        with pytest.raises(ValidationError, match="limit"):
            uow.orders.due(first_due, limit=0)


def test_order_timer_is_the_earliest_auto_confirmation_in_transit(clock: FixedClock) -> None:
    """The order timer: ``None`` unless in transit, else the first parcel's due instant."""
    timer = order_next_due(POLICY)
    order = new_order(clock)
    assert timer(order) is None
    order.confirm(actor=STAFF)
    order.ship(carrier="SF", tracking_no="1", items={"TEA-250": 2}, actor=STAFF)
    assert timer(order) == POLICY.due_at(clock.now())
    assert default_timers().keys() == {
        "order",
        "aftersales_case",
        "rating",
        "feedback",
        "survey",
        "electronic_draft",
    }
    with pytest.raises(ValidationError, match="AutoConfirmPolicy"):
        order_next_due(7)  # type: ignore[arg-type]


# --- retrying --------------------------------------------------------------------------------


class Flaky:
    """Work that fails with ``error`` the first ``failures`` times, then adds an order."""

    def __init__(self, clock: FixedClock, error: Exception, failures: int) -> None:
        self.clock = clock
        self.error = error
        self.failures = failures
        self.calls = 0

    def __call__(self, uow: UnitOfWork) -> str:
        self.calls += 1
        uow.orders.add(new_order(self.clock, f"O-{self.calls}"))
        if self.calls <= self.failures:
            raise self.error
        return "done"


def test_run_in_transaction_retries_transient_failures_then_commits(
    store: InspectableStore, clock: FixedClock
) -> None:
    """Two transient failures, then success: three fresh units of work, the failed ones rolled
    back, two backoff sleeps through the injected function."""
    slept: list[float] = []
    work = Flaky(clock, TransientStorageError("locked"), failures=2)
    assert run_in_transaction(store, work, sleep=slept.append) == "done"
    assert work.calls == 3
    assert len(slept) == 2
    assert all(0 < s <= 0.5 for s in slept)
    assert [store.stored_version("order", f"O-{n}") for n in (1, 2, 3)] == [None, None, 0]


def test_run_in_transaction_gives_up_with_the_cause_chained(
    store: InspectableStore, clock: FixedClock
) -> None:
    """Failing every time: TransientStorageError after ``attempts`` runs, chained to the last
    failure; nothing kept."""
    cause = TransientStorageError("deadlock detected")
    work = Flaky(clock, cause, failures=99)
    with pytest.raises(TransientStorageError, match="gave up after 3 attempts") as info:
        run_in_transaction(store, work, attempts=3, sleep=lambda _: None)
    assert info.value.__cause__ is cause
    assert work.calls == 3
    assert store.stored_version("order", "O-3") is None


def test_run_in_transaction_retries_conflicts_only_when_asked(
    store: InspectableStore, clock: FixedClock
) -> None:
    """A ConcurrencyConflict is raised at once unless ``retry_conflicts=True``; other errors
    are never retried."""
    conflict = ConcurrencyConflict("order", "O-1", expected=1, found=2)
    once = Flaky(clock, conflict, failures=1)
    with pytest.raises(ConcurrencyConflict):
        run_in_transaction(store, once, sleep=lambda _: None)
    assert once.calls == 1
    again = Flaky(clock, conflict, failures=1)
    assert run_in_transaction(store, again, retry_conflicts=True, sleep=lambda _: None) == "done"
    assert again.calls == 2
    broken = Flaky(clock, ValidationError("bad"), failures=5)
    with pytest.raises(ValidationError):
        run_in_transaction(store, broken, retry_conflicts=True, sleep=lambda _: None)
    assert broken.calls == 1
    with pytest.raises(ValidationError, match="attempts"):
        run_in_transaction(store, broken, attempts=0)


def test_a_real_conflict_is_retried_to_success(store: InspectableStore, clock: FixedClock) -> None:
    """Someone else saves between our load and our save, once: the retry reloads and wins."""
    add(store, new_order(clock))
    interfered: list[bool] = []

    def work(uow: UnitOfWork) -> int:
        order = uow.orders.get("O-1")
        if not interfered:
            interfered.append(True)
            with store.unit_of_work() as other:
                theirs = other.orders.get("O-1")
                theirs.confirm(actor=STAFF)
                other.orders.save(theirs)
                other.commit()
        order.cancel(reason="buyer asked", actor=BUYER)
        uow.orders.save(order)
        return order.version

    if _sqlite(store):
        # Units of work on SQLite take the write lock when they begin (BEGIN IMMEDIATE): the
        # nested one would wait for the outer one. Processes conflict there in test_concurrency.
        pytest.skip("SQLite runs one unit of work at a time")
    assert run_in_transaction(store, work, retry_conflicts=True, sleep=lambda _: None) == 2
    assert store.stored_version("order", "O-1") == 2


def _sqlite(store: object) -> bool:
    engine = getattr(store, "engine", None)
    return engine is not None and engine.dialect.name == "sqlite"


def test_library_errors_only(store: InspectableStore) -> None:
    """Wrong arguments raise library errors, never TypeError from inside a driver."""
    with store.unit_of_work() as uow:
        with pytest.raises(EcServiceError):
            uow.orders.find(42)  # type: ignore[arg-type]
        with pytest.raises(EcServiceError):
            uow.orders.due("tomorrow")  # type: ignore[arg-type]
