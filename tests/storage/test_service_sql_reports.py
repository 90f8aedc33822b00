"""Satisfaction, RFM and consultation reports from the database equal the reports in memory.

Random surveys (scheduled, cancelled, sent, reminded, answered with or without scores, expired)
sent on and around a window's bounds, random orders of a few buyers (done, cancelled, open,
some goods cancelled) and random consultation sessions (after random valid paths: messages,
enquiries of the library's and a shop's types, orders, remarks) are stored in SQLite and
PostgreSQL; :class:`~ecservice.storage.sql.SqlSatisfactionReports` and
:class:`~ecservice.storage.sql.SqlConsultationReports` must answer exactly what
:func:`~ecservice.satisfaction.satisfaction_report`,
``rfm_analysis(purchases_of(orders))`` and :func:`~ecservice.consultation.consultation_report`
answer over the same aggregates, in real and in business time. Waits measured on another
calendar, or on none, are refused until a refresh; migration 0008 fills the facts of what was
stored before it.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pendulum
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecservice.calendar import ShopCalendar
from ecservice.clock import FixedClock
from ecservice.consultation import (
    ConsultationSession,
    ResponseBasis,
    ResponsePolicy,
    consultation_report,
)
from ecservice.errors import CurrencyMismatch, ValidationError
from ecservice.money import Money
from ecservice.orders import Address, Order, OrderLine
from ecservice.satisfaction import (
    RfmPolicy,
    SubjectKind,
    Survey,
    SurveySubject,
    purchases_of,
    rfm_analysis,
    satisfaction_report,
)
from ecservice.storage.sql import (
    ConsultationFactsOutdated,
    ConsultationTimer,
    SqlConsultationReports,
    SqlSatisfactionReports,
    SqlStore,
)
from ecservice.workflow import Actor
from tests.consultation.rig import START as SESSIONS_START
from tests.consultation.rig import sessions
from tests.satisfaction.rig import AGENT, BUYER, new_survey, sent_survey
from tests.storage.pgdb import fresh_pg_database

ZONE = "Asia/Shanghai"
CALENDAR = ShopCalendar()
#: The end of the surveys' windows: the start of 2026-03-10 in Shanghai.
DAY = pendulum.datetime(2026, 3, 10, tz=ZONE)
STAFF = AGENT
EXAMPLES = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
TABLES = (
    "ecs_aggregates",
    "ecs_outbox",
    "ecs_order_facts",
    "ecs_survey_facts",
    "ecs_consultation_facts",
    "ecs_consultation_responses",
    "ecs_consultation_enquiries",
    "ecs_consultation_remarks",
)


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database with the store's tables."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/service.db"
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
    """Delete the rows of every table these tests write."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as connection:
        for table in TABLES:
            connection.exec_driver_sql(f"DELETE FROM {table}")
    engine.dispose()


def sql_store(url: str, *, calendar: bool = True, clock: FixedClock | None = None) -> SqlStore:
    """A store of ``url`` whose consultation timer names :data:`CALENDAR` (unless not
    ``calendar``), loading aggregates with ``clock`` (at :data:`DAY` by default)."""
    timers: dict[str, Any] = {"consultation": ConsultationTimer(CALENDAR)} if calendar else {}
    return SqlStore(url, timers=timers or None, clock=clock or FixedClock(DAY))


def store_all(store: SqlStore, kind: str, aggregates: list[Any]) -> None:
    with store.unit_of_work() as uow:
        repository = getattr(uow, kind)
        for aggregate in aggregates:
            repository.add(aggregate)
        uow.commit()


# --- surveys -------------------------------------------------------------------------------


@st.composite
def survey_at(draw: st.DrawFn, n: int, at: pendulum.DateTime) -> Survey:
    """Survey ``n`` scheduled at ``at``, then left, cancelled, or sent and maybe reminded,
    answered or expired."""
    clock = FixedClock(at)
    kind = draw(st.sampled_from(list(SubjectKind)))
    survey = new_survey(
        id=f"SV-{n}",
        customer_id=f"b-{n % 3}",
        subject=SurveySubject(kind=kind, id=f"X-{n}"),
        scheduled_at=at,
        clock=clock,
    )
    path = draw(st.sampled_from(["scheduled", "cancelled", "sent", "answered", "expired"]))
    if path == "scheduled":
        return survey
    if path == "cancelled":
        survey.cancel(actor=STAFF, note="the customer refused messages")
        return survey
    survey.send(actor=STAFF)
    if draw(st.booleans()):
        clock.set(clock.now() + draw(st.timedeltas(_dt.timedelta(0), _dt.timedelta(days=2))))
        survey.remind(actor=STAFF)
    if path == "answered":
        clock.set(
            clock.now()
            + draw(st.timedeltas(_dt.timedelta(0), _dt.timedelta(days=4, microseconds=7)))
        )
        csat = draw(st.one_of(st.none(), st.integers(1, 5)))
        nps = draw(st.one_of(st.none(), st.integers(0, 10)))
        answers: dict[str, int | str] = {
            k: v for k, v in (("csat", csat), ("nps", nps)) if v is not None
        }
        survey.answer(answers=answers or {"comment": "很好"}, actor=STAFF)
    elif path == "expired":
        clock.set(at + survey.response_window + _dt.timedelta(days=1))
        survey.expire()
    survey.pull_events()
    return survey


@st.composite
def survey_shops(draw: st.DrawFn) -> dict[str, Any]:
    """Surveys scheduled around a window of 1 to 7 days ending at :data:`DAY`."""
    days = draw(st.sampled_from([1, 3, 7]))
    start = DAY.subtract(days=days)
    instants = [
        start,
        start.subtract(microseconds=1),
        DAY.subtract(microseconds=1),
        DAY,
        start.add(hours=draw(st.integers(0, days * 24 - 1)), minutes=draw(st.integers(0, 59))),
    ]
    count = draw(st.integers(0, 12))
    found = [
        draw(survey_at(n, draw(st.sampled_from(instants)).in_timezone("UTC"))) for n in range(count)
    ]
    return {
        "surveys": found,
        "days": days,
        "satisfied_from": draw(st.integers(1, 5)),
        "now": DAY.add(hours=draw(st.integers(0, 23))),
    }


@EXAMPLES
@given(shop=survey_shops())
def test_the_sql_satisfaction_report_equals_the_report_in_memory(
    database: str, shop: dict[str, Any]
) -> None:
    empty(database)
    store = sql_store(database)
    try:
        store_all(store, "surveys", shop["surveys"])
        kwargs = {"now": shop["now"], "zone": ZONE, "days": shop["days"]}
        expected = satisfaction_report(
            shop["surveys"], satisfied_from=shop["satisfied_from"], **kwargs
        )
        found = SqlSatisfactionReports(store).report(
            satisfied_from=shop["satisfied_from"], **kwargs
        )
        assert found == expected
    finally:
        store.dispose()


def test_a_survey_answered_later_is_counted_when_saved(database: str) -> None:
    """The facts follow the survey's saves: sent, then answered in a later unit of work."""
    empty(database)
    store = sql_store(database)
    try:
        at = DAY.subtract(days=1).in_timezone("UTC")
        survey = new_survey(id="SV-9", scheduled_at=at, clock=FixedClock(at))
        survey.send(actor=STAFF)
        store_all(store, "surveys", [survey])
        reports = SqlSatisfactionReports(store)
        before = reports.report(now=DAY, zone=ZONE, days=1).overall
        assert (before.sent, before.answered, before.csat) == (1, 0, None)
        with store.unit_of_work() as uow:
            loaded = uow.surveys.get("SV-9")
            loaded.answer(answers={"csat": 5, "nps": 9}, actor=BUYER)
            uow.surveys.save(loaded)
            uow.commit()
        after = reports.report(now=DAY, zone=ZONE, days=1)
        assert after.overall.answered == 1
        assert after.overall.csat is not None
        assert after.overall.csat.counts == (0, 0, 0, 0, 1)
        assert after.for_kind(SubjectKind.ORDER).nps is not None
    finally:
        store.dispose()


# --- RFM -------------------------------------------------------------------------------------


def an_order(n: int, buyer: str, created: pendulum.DateTime, cents: int) -> Order:
    clock = FixedClock(created)
    return Order(
        id=f"O-{n}",
        buyer_id=buyer,
        lines=[
            OrderLine(sku="TEA-250", name="龙井", unit_price=Money.from_minor(cents, "CNY"),
                      quantity=2),
            OrderLine(sku="CUP-1", name="cup", unit_price=Money("9.90", "CNY"), quantity=1),
        ],
        address=Address(
            recipient="王小明", phone="138 0013 8000", province="浙江省", city="杭州市",
            street="龙井路 1 号",
        ),
        shipping_fee=Money("10.00", "CNY"),
        created_at=created,
        clock=clock,
    )  # fmt: skip


@st.composite
def order_sets(draw: st.DrawFn) -> list[Order]:
    """Orders of up to five buyers over the 400 days before :data:`DAY`: done (some with goods
    cancelled), cancelled, or open."""
    out = []
    for n in range(draw(st.integers(0, 14))):
        created = DAY.subtract(minutes=draw(st.integers(1, 400 * 24 * 60))).in_timezone("UTC")
        order = an_order(n, f"c-{draw(st.integers(0, 4))}", created, draw(st.integers(0, 10**5)))
        path = draw(st.sampled_from(["done", "done", "done_less", "cancelled", "open"]))
        if path == "cancelled":
            order.cancel(reason="the buyer asked", actor=buyer_of(order))
        elif path != "open":
            order.confirm(actor=STAFF)
            if path == "done_less":
                order.cancel_lines({"CUP-1": 1}, reason="no stock", actor=STAFF)
            order.ship(carrier="SF", tracking_no=f"SF{n}", actor=STAFF)
            order.confirm_receipt(actor=buyer_of(order))
        order.pull_events()
        out.append(order)
    return out


def buyer_of(order: Order) -> Actor:
    return Actor.buyer(order.buyer_id)


POLICIES = (
    RfmPolicy(),
    RfmPolicy.quantiles(),
    RfmPolicy(recency_days=(1, 10, 100, 200), frequency_orders=None, monetary=None),
)


@EXAMPLES
@given(found=order_sets(), policy=st.sampled_from(POLICIES), hours=st.integers(0, 30))
def test_the_sql_rfm_equals_rfm_in_memory(
    database: str, found: list[Order], policy: RfmPolicy, hours: int
) -> None:
    empty(database)
    store = sql_store(database)
    try:
        store_all(store, "orders", found)
        now = DAY.add(hours=hours)
        expected = rfm_analysis(purchases_of(found), now=now, zone=ZONE, policy=policy)
        assert SqlSatisfactionReports(store).rfm(policy, now=now, zone=ZONE) == expected
    finally:
        store.dispose()


def test_rfm_refuses_what_memory_refuses(database: str) -> None:
    """A purchase after ``now`` and purchases in two currencies are refused, as in memory."""
    empty(database)
    store = sql_store(database)
    try:
        order = an_order(1, "c-1", DAY.in_timezone("UTC"), 100)
        order.confirm(actor=STAFF)
        order.ship(carrier="SF", tracking_no="SF1", actor=STAFF)
        order.confirm_receipt(actor=buyer_of(order))
        store_all(store, "orders", [order])
        reports = SqlSatisfactionReports(store)
        with pytest.raises(ValidationError, match="after the analysis's now"):
            reports.rfm(now=DAY.subtract(hours=1), zone=ZONE)
        with pytest.raises(ValidationError, match="after the analysis's now"):
            rfm_analysis(purchases_of([order]), now=DAY.subtract(hours=1), zone=ZONE)
        usd = Order(
            id="O-USD",
            buyer_id="c-2",
            lines=[OrderLine(sku="CUP-1", name="cup", unit_price=Money("1.00", "USD"), quantity=1)],
            address=order.address,
            shipping_fee=Money("0.00", "USD"),
            created_at=DAY.in_timezone("UTC"),
            clock=FixedClock(DAY),
        )
        usd.confirm(actor=STAFF)
        usd.ship(carrier="SF", tracking_no="SF2", actor=STAFF)
        usd.confirm_receipt(actor=buyer_of(usd))
        store_all(store, "orders", [usd])
        with pytest.raises(CurrencyMismatch):
            reports.rfm(now=DAY.add(days=1), zone=ZONE)
        with pytest.raises(ValidationError):
            reports.rfm("policy", now=DAY, zone=ZONE)  # type: ignore[arg-type]
    finally:
        store.dispose()


# --- consultation ----------------------------------------------------------------------------


@st.composite
def consultation_shops(draw: st.DrawFn) -> dict[str, Any]:
    """Sessions opened over three days, a report on a window around them, a policy."""
    count = draw(st.integers(0, 6))
    found = [draw(sessions(session_id=f"C-{n}", max_steps=16)) for n in range(count)]
    basis = draw(st.sampled_from(list(ResponseBasis)))
    policy = ResponsePolicy(
        first_response_target=_dt.timedelta(minutes=draw(st.integers(1, 20))),
        basis=basis,
    )
    return {
        "sessions": found,
        "policy": policy,
        "days": draw(st.sampled_from([1, 2, 7])),
        "now": SESSIONS_START.add(days=draw(st.integers(1, 4)), hours=draw(st.integers(0, 23))),
    }


@EXAMPLES
@given(shop=consultation_shops())
def test_the_sql_consultation_report_equals_the_report_in_memory(
    database: str, shop: dict[str, Any]
) -> None:
    empty(database)
    store = sql_store(database)
    try:
        store_all(store, "consultations", shop["sessions"])
        kwargs = {
            "now": shop["now"],
            "zone": ZONE,
            "policy": shop["policy"],
            "calendar": CALENDAR,
            "days": shop["days"],
        }
        expected = consultation_report(shop["sessions"], **kwargs)
        assert SqlConsultationReports(store).report(**kwargs) == expected
    finally:
        store.dispose()


def _some_sessions() -> list[ConsultationSession]:
    from tests.consultation.rig import AGENT as KEFU
    from tests.consultation.rig import CHAT, handed_over, new_session

    found = []
    for n in range(3):
        clock = FixedClock(SESSIONS_START.add(hours=n))
        session = new_session(id=f"C-{n}", opened_at=clock.now(), clock=clock)
        from ecservice.consultation import Sender

        session.message(sender=Sender.BUYER, length=5, actor=CHAT)
        clock.set(clock.now().add(minutes=n + 1))
        session.message(sender=Sender.AGENT, length=9, actor=CHAT)
        if n == 0:
            handed_over(session)
        else:
            session.greet(actor=KEFU)
        session.pull_events()
        found.append(session)
    return found


def test_business_time_needs_waits_measured_on_that_calendar(database: str) -> None:
    """Without a consultation timer the store measures real time only: a business-time report
    is refused, a real-time one is not; after a refresh on the calendar both equal memory. A
    refresh on another calendar is refused again."""
    empty(database)
    found = _some_sessions()
    plain = sql_store(database, calendar=False)
    try:
        store_all(plain, "consultations", found)
        reports = SqlConsultationReports(plain)
        now = SESSIONS_START.add(days=1)
        business = ResponsePolicy(basis=ResponseBasis.BUSINESS)
        kwargs: dict[str, Any] = {"now": now, "zone": ZONE, "calendar": CALENDAR}
        assert reports.report(**kwargs) == consultation_report(found, **kwargs)
        with pytest.raises(ConsultationFactsOutdated, match="3 sessions measured in real time"):
            reports.report(policy=business, **kwargs)
        assert reports.refresh(CALENDAR, batch=2) == 3
        assert reports.report(policy=business, **kwargs) == consultation_report(
            found, policy=business, **kwargs
        )
        other = attrs.evolve(CALENDAR, zone="Asia/Tokyo")
        reports.refresh(other)
        with pytest.raises(ConsultationFactsOutdated, match="another ShopCalendar"):
            reports.report(policy=business, **kwargs)
        with pytest.raises(ValidationError):
            reports.refresh("calendar")  # type: ignore[arg-type]
        with pytest.raises(ValidationError):
            reports.refresh(CALENDAR, batch=0)
    finally:
        plain.dispose()


def test_the_facts_follow_saves_and_bad_arguments_are_refused(database: str) -> None:
    """A session saved after more messages and a remark followed up is counted as saved; the
    reports need a SqlStore; the arguments are checked as in memory."""
    from ecservice.consultation import Sender
    from tests.consultation.rig import CHAT

    empty(database)
    store = sql_store(database, clock=FixedClock(SESSIONS_START.add(hours=5)))
    try:
        found = _some_sessions()
        store_all(store, "consultations", found)
        with store.unit_of_work() as uow:
            session = uow.consultations.get("C-0")
            session.message(sender=Sender.BUYER, length=3, actor=CHAT)
            session.follow_up_remark(index=0, note="wrapped", actor=STAFF)
            uow.consultations.save(session)
            uow.commit()
            found[0] = session
        reports = SqlConsultationReports(store)
        now = SESSIONS_START.add(days=1)
        assert reports.report(now=now, zone=ZONE) == consultation_report(found, now=now, zone=ZONE)
        assert reports.report(now=now, zone=ZONE).open_remarks == ()
        with pytest.raises(ValidationError):
            reports.report(now=now, zone=ZONE, policy="fast")  # type: ignore[arg-type]
        with pytest.raises(ValidationError, match="WorkingCalendar"):
            reports.report(now=now, zone=ZONE, policy=ResponsePolicy(basis=ResponseBasis.BUSINESS))
        with pytest.raises(ValidationError):
            SqlConsultationReports("store")  # type: ignore[arg-type]
        with pytest.raises(ValidationError):
            SqlSatisfactionReports("store")  # type: ignore[arg-type]
        with pytest.raises(ValidationError):
            ConsultationTimer("calendar")  # type: ignore[arg-type]
        assert ConsultationTimer(CALENDAR)(session) is None
    finally:
        store.dispose()


# --- migration 0008 --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_upgrading_to_0008_fills_the_facts_of_the_stored_surveys_and_sessions(
    kind: str, tmp_path: Path
) -> None:
    """Surveys and sessions stored before 0008 get their facts from the upgrade (waits in real
    time only): the reports then equal the reports in memory, and a business-time report asks
    for a refresh."""
    if kind == "sqlite":
        check_backfill(f"sqlite:///{tmp_path / 'shop.db'}")
    else:
        with fresh_pg_database() as url:
            check_backfill(url)


def check_backfill(url: str) -> None:
    from ecservice.storage import CONSULTATION_SERIALIZER, SURVEY_SERIALIZER
    from ecservice.storage.sql.migrations import upgrade

    kinds = list(SubjectKind)
    surveys = [
        sent_survey(
            kinds[n % 3],
            n,
            DAY.subtract(hours=9 * n).in_timezone("UTC"),
            csat=None if n == 4 else 1 + n % 5,
            nps=None if n % 2 else 2 * n,
        )
        for n in range(6)
    ]
    found = _some_sessions()
    assert upgrade(url, "0007") == "0007"
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    documents = sa.table(
        "ecs_aggregates",
        sa.column("type"),
        sa.column("id"),
        sa.column("version"),
        sa.column("schema_version"),
        sa.column("document", sa.JSON()),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    try:
        with engine.begin() as connection:
            for serializer, aggregates in (
                (SURVEY_SERIALIZER, surveys),
                (CONSULTATION_SERIALIZER, found),
            ):
                for aggregate in aggregates:
                    document = serializer.dump(aggregate)  # type: ignore[arg-type]
                    connection.execute(
                        documents.insert().values(
                            type=serializer.type_name,
                            id=aggregate.id,
                            version=aggregate.version,
                            schema_version=document["schema_version"],
                            document=document,
                            updated_at=DAY,
                        )
                    )
    finally:
        engine.dispose()
    assert upgrade(url, "0008") == "0008"
    store = sql_store(url)
    try:
        kwargs: dict[str, Any] = {"now": DAY.add(hours=2), "zone": ZONE, "days": 3}
        assert SqlSatisfactionReports(store).report(**kwargs) == satisfaction_report(
            surveys, **kwargs
        )
        reports = SqlConsultationReports(store)
        now = SESSIONS_START.add(days=1)
        assert reports.report(now=now, zone=ZONE) == consultation_report(found, now=now, zone=ZONE)
        business = ResponsePolicy(basis=ResponseBasis.BUSINESS)
        with pytest.raises(ConsultationFactsOutdated, match="refresh"):
            reports.report(now=now, zone=ZONE, policy=business, calendar=CALENDAR)
    finally:
        store.dispose()


def test_a_session_the_calendar_cannot_count_is_stored_and_refused_in_business_time(
    database: str,
) -> None:
    """A session in a year the calendar has not confirmed is stored with real-time waits; a
    business-time report over it says why it refuses, a real-time one answers."""
    from ecservice.consultation import Sender
    from tests.consultation.rig import CHAT, new_session

    empty(database)
    opened = pendulum.datetime(2031, 5, 6, 2, tz="UTC")
    clock = FixedClock(opened)
    session = new_session(id="C-31", opened_at=opened, clock=clock)
    session.message(sender=Sender.BUYER, length=5, actor=CHAT)
    clock.set(opened.add(minutes=2))
    session.message(sender=Sender.AGENT, length=9, actor=CHAT)
    session.pull_events()
    store = sql_store(database, clock=clock)
    try:
        store_all(store, "consultations", [session])
        reports = SqlConsultationReports(store)
        now = opened.add(days=1)
        plain = reports.report(now=now, zone=ZONE)
        assert plain == consultation_report([session], now=now, zone=ZONE)
        assert plain.first_response_median == _dt.timedelta(minutes=2)
        with pytest.raises(ConsultationFactsOutdated, match="could not count"):
            reports.report(
                now=now,
                zone=ZONE,
                policy=ResponsePolicy(basis=ResponseBasis.BUSINESS),
                calendar=CALENDAR,
            )
    finally:
        store.dispose()
