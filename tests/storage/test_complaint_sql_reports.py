"""Complaint reports from the database equal the in-memory report, figure for figure.

Random sets of complaints (each after a random valid path: replies, waits that pause the
clocks, escalations, withdrawals, reopenings, breaches recorded or not) opened on and around
the window's bounds are stored in SQLite and PostgreSQL under a store whose complaint timer
names the SLA policy and calendar; :class:`~ecservice.storage.sql.SqlComplaintReports` must
answer exactly what :func:`~ecservice.complaints.complaint_report` answers over the same
complaints, at an instant after their last saves, also when a running cycle's due date passed
after the save (a breach no one recorded yet). Facts that are missing, or written under
another policy, are refused until :meth:`~ecservice.storage.sql.SqlComplaintReports.refresh`
recomputes them; migration 0005 creates the tables.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator
from typing import Any

import attrs
import pendulum
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecservice.aftersales import ProblemKind
from ecservice.calendar import ShopCalendar
from ecservice.clock import FixedClock
from ecservice.complaints import (
    Complaint,
    ComplaintChannel,
    ComplaintPriority,
    SlaPolicy,
    SlaTargetKind,
    complaint_report,
)
from ecservice.errors import ValidationError
from ecservice.storage import complaint_next_due, default_timers
from ecservice.storage.sql import (
    COMPLAINT_CYCLES,
    COMPLAINT_FACTS,
    ComplaintFactsOutdated,
    SqlComplaintReports,
    SqlStore,
)
from tests.complaints.rig import ACTORS, AGENT, MICRO, SIDE_STEPS, candidates, new_complaint
from tests.storage.conftest import empty_pg
from tests.storage.pgdb import fresh_pg_database

ZONE = "Asia/Shanghai"
CALENDAR = ShopCalendar()
POLICIES = (SlaPolicy.shop_default(), SlaPolicy.samr_interim_measures())
#: The window's end: the start of 2026-03-10 in Shanghai.
DAY = pendulum.datetime(2026, 3, 10, tz=ZONE)
#: The calls that move a complaint driven to its end, the furthest first.
ONWARD = ("follow_up", "case_resolved", "feedback", "analyse", "judge", "resume", "record")
EXAMPLES = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@st.composite
def complaint_at(draw: st.DrawFn, id: str, opened: pendulum.DateTime) -> Complaint:
    """A complaint ``id`` opened at ``opened``, after a random valid path."""
    clock = FixedClock(opened)
    with_order = draw(st.booleans())
    complaint = new_complaint(
        clock=clock,
        id=id,
        opened_at=opened,
        channel=draw(st.sampled_from(list(ComplaintChannel))),
        priority=draw(st.sampled_from(list(ComplaintPriority))),
        order_id="O-1" if with_order else None,
        lines={"KETTLE-1": 1} if with_order else None,
        problem=draw(
            st.sampled_from([None, ProblemKind.QUALITY, ProblemKind.LOST_PARCEL, ProblemKind.SIZE])
        ),
    )
    steps = draw(st.integers(0, 14))
    # Half of the complaints are then driven forward to their end (a follow-up visit, mostly).
    finish = draw(st.booleans())
    for step in range(steps + (12 if finish else 0)):
        clock.set(
            clock.now() + draw(st.timedeltas(min_value=MICRO, max_value=_dt.timedelta(hours=20)))
        )
        options = [
            (trigger, {**kwargs, "actor": ACTORS.get(trigger, AGENT)})
            for trigger, kwargs in candidates(complaint)
            if complaint.can(trigger, **{**kwargs, "actor": ACTORS.get(trigger, AGENT)})
        ]
        if not options:
            break
        forward = [o for o in options if o[0] not in SIDE_STEPS]
        side = [o for o in options if o[0] in SIDE_STEPS]
        if step >= steps:
            best = min((ONWARD.index(o[0]) for o in options if o[0] in ONWARD), default=None)
            if best is None:
                break
            pool = [o for o in options if o[0] == ONWARD[best]]
        else:
            pool = side if side and (not forward or draw(st.integers(0, 3)) == 0) else forward
        trigger, kwargs = draw(st.sampled_from(pool))
        getattr(complaint, trigger)(**kwargs)
    return complaint


@st.composite
def shops(draw: st.DrawFn) -> dict[str, Any]:
    """Complaints opened around a window of 1 to 7 days ending at ``DAY``, and the policy."""
    days = draw(st.sampled_from([1, 3, 7]))
    start = DAY.subtract(days=days)
    instants = [
        start,
        start.subtract(microseconds=1),
        DAY.subtract(microseconds=1),
        DAY,
        start.add(hours=draw(st.integers(0, days * 24 - 1)), minutes=draw(st.integers(0, 59))),
    ]
    count = draw(st.integers(0, 6))
    found = [
        draw(complaint_at(f"TS-{n}", draw(st.sampled_from(instants)).in_timezone("UTC")))
        for n in range(count)
    ]
    last = max((c.clock.now() for c in found), default=DAY)
    later = draw(st.sampled_from([_dt.timedelta(0), _dt.timedelta(hours=5), _dt.timedelta(days=9)]))
    return {
        "complaints": found,
        "policy": draw(st.sampled_from(POLICIES)),
        "days": days,
        "now": max(last, DAY) + later,
    }


def sql_store(
    url: str, policy: SlaPolicy, *, timed: bool = True, clock: FixedClock | None = None
) -> SqlStore:
    """A store of ``url`` whose complaint timer names ``policy`` (unless not ``timed``), that
    loads aggregates with ``clock`` (the facts :meth:`SqlComplaintReports.refresh` writes are
    evaluated at its time)."""
    timers = {**default_timers(), "complaint": complaint_next_due(policy, CALENDAR)}
    return SqlStore(url, timers=timers if timed else None, clock=clock or FixedClock(DAY))


def store_all(store: SqlStore, complaints: list[Complaint]) -> None:
    with store.unit_of_work() as uow:
        for complaint in complaints:
            uow.complaints.add(complaint)
        uow.commit()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    """An empty database with the store's tables."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/reports.db"
        store = SqlStore(url)
        store.create_schema()
        store.dispose()
        yield url
        return
    with fresh_pg_database() as url:
        store = SqlStore(url)
        store.create_schema()
        store.dispose()
        yield url


def empty(url: str) -> None:
    if url.startswith("postgresql"):
        empty_pg(url)
        return
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        for table in (
            "ecs_aggregates",
            "ecs_outbox",
            "ecs_complaint_facts",
            "ecs_complaint_cycles",
        ):
            connection.exec_driver_sql(f"DELETE FROM {table}")
    engine.dispose()


@EXAMPLES
@given(shop=shops())
def test_the_sql_report_equals_the_report_in_memory(database: str, shop: dict[str, Any]) -> None:
    empty(database)
    policy: SlaPolicy = shop["policy"]
    store = sql_store(database, policy)
    try:
        store_all(store, shop["complaints"])
        expected = complaint_report(
            shop["complaints"], policy, CALENDAR, now=shop["now"], zone=ZONE, days=shop["days"]
        )
        found = SqlComplaintReports(store).report(
            policy, CALENDAR, now=shop["now"], zone=ZONE, days=shop["days"]
        )
    finally:
        store.dispose()
    assert found == expected


def test_a_breach_after_the_last_save_is_counted(database: str) -> None:
    """A first reply due while no one touched the complaint: breached at ``now``, not before.

    Opened on a Friday evening, the reply is due on Monday (the window leaves today out)."""
    policy = SlaPolicy.shop_default()
    opened = pendulum.datetime(2026, 3, 6, 17, 30, tz=ZONE).in_timezone("UTC")
    complaint = new_complaint(clock=FixedClock(opened), id="TS-late", opened_at=opened)
    store = sql_store(database, policy)
    reports = SqlComplaintReports(store)
    store_all(store, [complaint])
    due = complaint.sla(policy, CALENDAR).cycles[0].due_at
    assert due.in_timezone(ZONE).date() == _dt.date(2026, 3, 9)
    try:
        for now in (due.subtract(microseconds=1), due, due.add(days=3)):
            found = reports.report(policy, CALENDAR, now=now, zone=ZONE, days=7)
            expected = complaint_report([complaint], policy, CALENDAR, now=now, zone=ZONE, days=7)
            assert found == expected
        late = reports.report(policy, CALENDAR, now=due, zone=ZONE, days=7).target(
            SlaTargetKind.FIRST_REPLY
        )
        assert late is not None
        assert (late.met, late.breached) == (0, 1)
    finally:
        store.dispose()


def test_facts_without_a_policy_are_refused_until_refreshed(database: str) -> None:
    policy = SlaPolicy.shop_default()
    opened = pendulum.datetime(2026, 3, 9, 10, tz=ZONE).in_timezone("UTC")
    clock = FixedClock(opened.add(hours=1))
    complaint = new_complaint(clock=clock, id="TS-untimed", opened_at=opened)
    complaint.reply(message="We are on it.", actor=AGENT)
    untimed = sql_store(database, policy, timed=False)
    store_all(untimed, [complaint])
    untimed.dispose()
    store = sql_store(database, policy)
    reports = SqlComplaintReports(store)
    now = DAY.add(hours=1)
    try:
        with pytest.raises(ComplaintFactsOutdated, match="1 without an SLA policy"):
            reports.report(policy, CALENDAR, now=now, zone=ZONE, days=7)
        assert reports.refresh(policy, CALENDAR, batch=1) == 1
        with pytest.raises(ComplaintFactsOutdated, match="1 under 'shop-default'"):
            reports.report(SlaPolicy.samr_interim_measures(), CALENDAR, now=now, zone=ZONE, days=7)
        found = reports.report(policy, CALENDAR, now=now, zone=ZONE, days=7)
        assert found == complaint_report([complaint], policy, CALENDAR, now=now, zone=ZONE, days=7)
        assert found.replied == 1
    finally:
        store.dispose()


def test_complaints_without_facts_are_refused_until_refreshed(database: str) -> None:
    """As after migration 0005 on a database that held complaints: their facts rows are
    missing."""
    policy = SlaPolicy.shop_default()
    opened = pendulum.datetime(2026, 3, 9, 10, tz=ZONE).in_timezone("UTC")
    complaints = [
        new_complaint(clock=FixedClock(opened), id=f"TS-{n}", opened_at=opened) for n in range(3)
    ]
    store = sql_store(database, policy)
    store_all(store, complaints)
    with store.engine.begin() as connection:
        connection.execute(sa.delete(COMPLAINT_CYCLES))
        connection.execute(sa.delete(COMPLAINT_FACTS))
    reports = SqlComplaintReports(store)
    now = DAY.add(hours=1)
    try:
        with pytest.raises(ComplaintFactsOutdated, match="3 of the 3 stored complaints"):
            reports.report(policy, CALENDAR, now=now, zone=ZONE, days=7)
        assert reports.refresh(policy, CALENDAR, batch=2) == 3
        assert reports.report(policy, CALENDAR, now=now, zone=ZONE, days=7).complaints_opened == 3
    finally:
        store.dispose()


def test_bad_arguments_are_refused() -> None:
    store = SqlStore("sqlite://")
    store.create_schema()
    reports = SqlComplaintReports(store)
    now = DAY
    with pytest.raises(ValidationError, match="SqlStore"):
        SqlComplaintReports("sqlite://")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="SlaPolicy"):
        reports.report("shop-default", CALENDAR, now=now, zone=ZONE)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="days"):
        reports.report(SlaPolicy.shop_default(), CALENDAR, now=now, zone=ZONE, days=0)
    with pytest.raises(ValidationError, match="batch"):
        reports.refresh(SlaPolicy.shop_default(), CALENDAR, batch=0)
    with pytest.raises(ValidationError, match="WorkingCalendar"):
        reports.refresh(SlaPolicy.shop_default(), "Mon-Fri")  # type: ignore[arg-type]
    store.dispose()


def test_each_complaint_is_timed_by_its_own_evaluation(tmp_path: Any) -> None:
    """Complaints of different priorities saved one after the other at the same instant and
    version each get their own due dates (an evaluation is never reused for another
    complaint, even one that takes a freed object's place in memory)."""
    policy = SlaPolicy.shop_default()
    opened = pendulum.datetime(2026, 3, 9, 10, tz=ZONE).in_timezone("UTC")
    clock = FixedClock(opened)
    store = sql_store(f"sqlite:///{tmp_path}/timed.db", policy, clock=clock)
    store.create_schema()
    priorities = [ComplaintPriority.URGENT, ComplaintPriority.LOW] * 3
    try:
        for n, priority in enumerate(priorities):
            with store.unit_of_work() as uow:
                uow.complaints.add(
                    new_complaint(clock=clock, id=f"TS-{n}", opened_at=opened, priority=priority)
                )
                uow.commit()
        with store.engine.connect() as connection:
            due = dict(
                connection.execute(
                    sa.select(COMPLAINT_CYCLES.c.complaint_id, COMPLAINT_CYCLES.c.due_at).where(
                        COMPLAINT_CYCLES.c.kind == "FIRST_REPLY"
                    )
                ).all()
            )
        for n, priority in enumerate(priorities):
            expected = new_complaint(clock=clock, id="x", opened_at=opened, priority=priority).sla(
                policy, CALENDAR
            )
            assert pendulum.instance(due[f"TS-{n}"]).in_timezone("UTC") == expected.cycles[0].due_at
            assert store.next_due_at("complaint", f"TS-{n}") == expected.next_due
        assert len(set(due.values())) == 2
    finally:
        store.dispose()


def test_facts_under_a_changed_policy_or_calendar_of_the_same_name_are_refused(
    tmp_path: Any,
) -> None:
    """The facts carry a digest of the policy and the calendar: a policy of the same name with
    other targets, or another calendar, is told apart, and refresh brings them in line."""
    policy = SlaPolicy.shop_default()
    opened = pendulum.datetime(2026, 3, 9, 10, tz=ZONE).in_timezone("UTC")
    store = sql_store(f"sqlite:///{tmp_path}/digest.db", policy)
    store.create_schema()
    store_all(store, [new_complaint(clock=FixedClock(opened), id="TS-1", opened_at=opened)])
    reports = SqlComplaintReports(store)
    now = DAY.add(hours=1)
    stricter = attrs.evolve(policy, escalations=())
    assert stricter.name == policy.name
    other_calendar = ShopCalendar(zone="Asia/Hong_Kong")
    try:
        reports.report(policy, CALENDAR, now=now, zone=ZONE, days=7)
        for asked, calendar in ((stricter, CALENDAR), (policy, other_calendar)):
            with pytest.raises(ComplaintFactsOutdated, match="1 under 'shop-default'"):
                reports.report(asked, calendar, now=now, zone=ZONE, days=7)
        assert reports.refresh(policy, other_calendar) == 1
        reports.report(policy, other_calendar, now=now, zone=ZONE, days=7)
        with pytest.raises(ComplaintFactsOutdated):
            reports.report(policy, CALENDAR, now=now, zone=ZONE, days=7)
    finally:
        store.dispose()
