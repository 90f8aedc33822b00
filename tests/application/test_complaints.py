"""ComplaintService on every store: complaints opened once, their SLA timers claimed when due,
breaches recorded at their own instant (to the microsecond) and escalated, once, across the
2026 Spring Festival's make-up Saturday."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pendulum
import pytest

from ecservice.aftersales import ProblemKind
from ecservice.application import ComplaintService
from ecservice.calendar import ShopCalendar
from ecservice.clock import FixedClock
from ecservice.complaints import (
    Complaint,
    ComplaintChannel,
    SlaBreach,
    SlaPolicy,
    SlaTargetKind,
)
from ecservice.errors import AggregateNotFound, PolicyViolation, ValidationError
from ecservice.storage import (
    COMPLAINT_SERIALIZER,
    MemoryStore,
    Store,
    complaint_next_due,
    default_timers,
    dump_complaint,
)
from ecservice.workflow import Actor
from tests.storage.conftest import empty_pg

SHOP = SlaPolicy.shop_default()
CALENDAR = ShopCalendar()
AGENT = Actor.staff("li.na")
BUYER = Actor.buyer("b-1")
K = SlaTargetKind
MICRO = _dt.timedelta(microseconds=1)


def sh(*args: int) -> pendulum.DateTime:
    return pendulum.datetime(*args, tz="Asia/Shanghai")


#: Friday 13 February 2026, 16:30 in Shanghai: the shop closes at 18:00 for the weekend before
#: the Spring Festival break (15-23 February); Saturday 14 is a make-up working day.
OPENED = sh(2026, 2, 13, 16, 30)
#: Two working hours later: 1.5 hours on Friday, half an hour on the make-up Saturday.
FIRST_REPLY_DUE = sh(2026, 2, 14, 9, 30)

StoreFactory = Callable[[FixedClock], Store]


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreFactory]:
    """Makes empty stores of one kind that time complaints under the shop's default policy."""
    kind: str = request.param
    made: list[Any] = []
    timers = {**default_timers(), "complaint": complaint_next_due(SHOP, CALENDAR)}

    def make(clock: FixedClock) -> Store:
        if kind == "memory":
            return MemoryStore(clock=clock, timers=timers)
        from ecservice.storage.sql import SqlStore

        if kind == "sqlite":
            url = f"sqlite:///{tmp_path / f'complaints-{len(made)}.db'}"
            sql = SqlStore(url, clock=clock, timers=timers, sqlite_synchronous="NORMAL")
            sql.create_schema()
        else:
            url = request.getfixturevalue("app_pg_url")
            empty_pg(url)
            sql = SqlStore(url, clock=clock, timers=timers)
        made.append(sql)
        return sql

    yield make
    for store in made:
        store.dispose()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(OPENED)


@pytest.fixture
def store(make_store: StoreFactory, clock: FixedClock) -> Store:
    return make_store(clock)


@pytest.fixture
def service(store: Store, clock: FixedClock) -> ComplaintService:
    service = ComplaintService(store, SHOP, CALENDAR, clock=clock)
    service.open_complaint(
        "C-1", buyer_id="b-1", text="The kettle leaks.", channel=ComplaintChannel.CHAT
    )
    return service


def stored(store: Store, complaint_id: str = "C-1") -> Complaint:
    with store.unit_of_work() as uow:
        return uow.complaints.get(complaint_id)


def due(store: Store, at: _dt.datetime) -> list[str]:
    with store.unit_of_work() as uow:
        return [c.id for c in uow.complaints.due(at, 100)]


def test_the_timer_is_due_at_the_first_reply_due_on_the_make_up_saturday(
    store: Store, service: ComplaintService
) -> None:
    assert due(store, FIRST_REPLY_DUE - MICRO) == []
    assert due(store, FIRST_REPLY_DUE) == ["C-1"]


def test_a_late_run_records_the_breach_at_its_instant_and_escalates(
    store: Store, service: ComplaintService, clock: FixedClock
) -> None:
    clock.set(sh(2026, 2, 14, 15, 17, 3, 250))
    assert service.run_due_timers() == 1
    complaint = stored(store)
    (breach,) = complaint.breaches
    assert breach == SlaBreach(
        kind=K.FIRST_REPLY,
        index=0,
        started_at=OPENED,
        due_at=FIRST_REPLY_DUE,
        breached_at=FIRST_REPLY_DUE,
    )
    assert breach.breached_at.isoformat() == "2026-02-14T01:30:00+00:00"
    assert complaint.level == 1  # the supervisor, at once
    assert [(r.trigger, r.actor, r.at) for r in complaint.history] == [
        ("record_breach", Actor.system("sla-timer"), clock.now()),
        ("escalate", Actor.system("sla-timer"), clock.now()),
    ]
    # nothing else is due until the resolution (3 working days: 14, 24 and 25 February)
    assert due(store, clock.now()) == []
    assert service.sla("C-1").next_due == sh(2026, 2, 25, 18)


def test_running_the_timers_twice_is_a_no_op(
    store: Store, service: ComplaintService, clock: FixedClock
) -> None:
    clock.set(sh(2026, 2, 14, 11))
    assert service.run_due_timers() == 1
    first = dump_complaint(stored(store))
    assert service.run_due_timers() == 0
    clock.set(sh(2026, 2, 14, 12))
    assert service.run_due_timers() == 0
    assert dump_complaint(stored(store)) == first


def test_a_reply_before_the_due_instant_means_nothing_is_recorded(
    store: Store, service: ComplaintService, clock: FixedClock
) -> None:
    clock.set(FIRST_REPLY_DUE - MICRO)
    service.change("C-1", lambda c: c.reply(message="We are on it.", actor=AGENT))
    clock.set(sh(2026, 2, 14, 11))
    assert due(store, clock.now()) == []
    assert service.run_due_timers() == 0
    complaint = stored(store)
    assert (complaint.breaches, complaint.level, complaint.version) == ((), 0, 1)


def test_a_reply_at_the_due_instant_is_in_time(
    store: Store, service: ComplaintService, clock: FixedClock
) -> None:
    clock.set(FIRST_REPLY_DUE)
    service.change("C-1", lambda c: c.reply(message="We are on it.", actor=AGENT))
    clock.set(sh(2026, 2, 14, 11))
    assert service.run_due_timers() == 0
    assert stored(store).breaches == ()


def test_a_late_reply_still_gets_its_breach_recorded(
    store: Store, service: ComplaintService, clock: FixedClock
) -> None:
    """The reply came after the due instant but before the timers ran: the breach happened."""
    clock.set(FIRST_REPLY_DUE + MICRO)
    service.change("C-1", lambda c: c.reply(message="We are on it.", actor=AGENT))
    assert due(store, clock.now()) == ["C-1"]
    clock.set(sh(2026, 2, 14, 11))
    assert service.run_due_timers() == 1
    complaint = stored(store)
    assert [b.breached_at for b in complaint.breaches] == [FIRST_REPLY_DUE]
    assert complaint.level == 1


def test_a_pause_for_the_customer_moves_the_resolution_due(
    store: Store, service: ComplaintService, clock: FixedClock
) -> None:
    """Resolution, 3 working days from Friday 13: Saturday 14, Tuesday 24, Wednesday 25 at
    18:00; a wait for the customer over 9 working hours moves it to Thursday 26 at 18:00."""
    clock.set(sh(2026, 2, 14, 9))
    service.change("C-1", lambda c: c.reply(message="Sorry, looking into it.", actor=AGENT))

    def resolution_due() -> _dt.datetime:
        return service.sla("C-1").cycles_of(K.RESOLUTION)[0].due_at

    assert resolution_due() == sh(2026, 2, 25, 18)
    clock.set(sh(2026, 2, 24, 10))
    service.change("C-1", lambda c: c.await_customer(reason="A photo, please.", actor=AGENT))
    clock.set(sh(2026, 2, 25, 10))
    service.change("C-1", lambda c: c.resume(actor=BUYER))
    assert resolution_due() == sh(2026, 2, 26, 18)
    service.change(
        "C-1",
        lambda c: c.record(problem=ProblemKind.QUALITY, summary="Leaks.", actor=AGENT),
    )

    def resolution_breaches() -> list[SlaBreach]:
        return [b for b in stored(store).breaches if b.kind is K.RESOLUTION]

    clock.set(sh(2026, 2, 25, 18))  # the due date without the pause: nothing
    service.run_due_timers()
    assert resolution_breaches() == []
    clock.set(sh(2026, 2, 26, 18))
    service.run_due_timers()
    assert [b.breached_at for b in resolution_breaches()] == [sh(2026, 2, 26, 18)]
    assert stored(store).level == 1  # a breached resolution goes to the supervisor at once


def test_the_escalation_chain_is_followed_up_to_its_level(
    store: Store, service: ComplaintService, clock: FixedClock
) -> None:
    """A complaint nobody touches: first reply and resolution breached, the resolution's chain
    reaches the manager a working day later and the head two more working days later."""
    clock.set(sh(2026, 3, 10, 12))
    service.run_due_timers()
    complaint = stored(store)
    kinds = [b.kind for b in complaint.breaches]
    assert kinds == [K.FIRST_REPLY, K.RESOLUTION]
    assert complaint.level == service.sla("C-1").required_level == 3
    assert service.run_due_timers() == 0


def test_a_closed_complaint_has_no_timer(
    store: Store, service: ComplaintService, clock: FixedClock
) -> None:
    clock.set(sh(2026, 2, 14, 9))
    service.change("C-1", lambda c: c.withdraw(actor=BUYER))
    clock.set(sh(2026, 3, 10))
    assert due(store, clock.now()) == []
    assert service.run_due_timers() == 0


def test_opening_again_returns_the_stored_complaint(
    store: Store, service: ComplaintService, clock: FixedClock
) -> None:
    clock.set(sh(2026, 2, 13, 17))
    again = service.open_complaint(
        "C-1", buyer_id="b-1", text="Another text.", channel=ComplaintChannel.PHONE
    )
    assert (again.text, again.opened_at) == ("The kettle leaks.", OPENED)
    with pytest.raises(PolicyViolation, match="needs an id of its own"):
        service.open_complaint("C-1", buyer_id="b-2", text="x", channel=ComplaintChannel.PHONE)


def test_bad_arguments_are_refused(store: Store, service: ComplaintService) -> None:
    with pytest.raises(ValidationError, match="SlaPolicy"):
        ComplaintService(store, "shop", CALENDAR)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="WorkingCalendar"):
        ComplaintService(store, SHOP, "calendar")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="Actor"):
        ComplaintService(store, SHOP, CALENDAR, actor="me")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="limit"):
        service.run_due_timers(limit=0)
    with pytest.raises(ValidationError, match="callable"):
        service.change("C-1", "reply")  # type: ignore[arg-type]
    with pytest.raises(AggregateNotFound):
        service.sla("C-404")


def test_a_document_written_before_breaches_loads_with_none() -> None:
    """Schema version 1 had no ``breaches``: such a document loads with none."""
    document = dump_complaint(_a_complaint())
    body = {k: v for k, v in document["body"].items() if k != "breaches"}
    old = {**document, "schema_version": 1, "body": body}
    loaded = COMPLAINT_SERIALIZER.load(old)
    assert loaded.breaches == ()
    assert dump_complaint(loaded) == document


def _a_complaint() -> Complaint:
    return Complaint(
        id="C-9",
        buyer_id="b-9",
        text="The kettle leaks.",
        channel=ComplaintChannel.PHONE,
        opened_at=OPENED,
    )


def test_many_complaints_are_handled_in_batches(
    store: Store, service: ComplaintService, clock: FixedClock
) -> None:
    for n in range(2, 6):
        service.open_complaint(
            f"C-{n}", buyer_id="b-1", text="The kettle leaks.", channel=ComplaintChannel.CHAT
        )
    clock.set(sh(2026, 2, 14, 11))
    assert service.run_due_timers(limit=2) == 5
    assert all(stored(store, f"C-{n}").level == 1 for n in range(1, 6))
    assert service.run_due_timers(limit=2) == 0
