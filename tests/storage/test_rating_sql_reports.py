"""Rating reports from the database equal the reports in memory, figure for figure.

Random sets of ratings of one seller (and a few of another, which must not count) are stored in
SQLite and PostgreSQL: orders created on the bounds the counting rules turn on (the 14th local
day after another order of the same item, a microsecond before it, the last microsecond of a
month in Asia/Shanghai and the first of the next), lines paid 0.99, 1.00 and 1.01 CNY, lines
unrated, rated by the buyer or by default, rated or revised after the instant of the report,
buyers with enough ratings in one month to reach a small cap. Under random credit and detailed
policies, :class:`~ecservice.storage.sql.SqlRatingReports` must answer the summaries of
:func:`~ecservice.ratings.seller_credit`, :func:`~ecservice.ratings.good_review_rate` and
:func:`~ecservice.ratings.detailed_ratings` over the same ratings.
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

from ecservice.clock import FixedClock
from ecservice.errors import ValidationError
from ecservice.money import Money
from ecservice.ratings import (
    AlreadyRated,
    CreditPolicy,
    CreditReason,
    DetailedRatingPolicy,
    DetailedScores,
    Grade,
    Rating,
    ReviewPolicy,
    detailed_ratings,
    good_review_rate,
    seller_credit,
)
from ecservice.storage import MemoryStore
from ecservice.storage.sql import (
    RATING_FACTS,
    RATING_FACTS_ZONE,
    RatingZoneUnsupported,
    SqlRatingReports,
    SqlStore,
)
from ecservice.workflow import Actor
from tests.storage.pgdb import fresh_pg_database

ZONE = "Asia/Shanghai"
BASE = pendulum.datetime(2026, 3, 18, 12, tz=ZONE)
#: The last microsecond of March 2026 in Shanghai, and the first of April.
MONTH_END = pendulum.datetime(2026, 4, 1, tz=ZONE).subtract(microseconds=1)
#: The instants orders are created at: the 14th day after BASE and the microsecond before,
#: month ends, and a few other days.
ORDERED = (
    BASE,
    BASE.add(days=14),
    BASE.add(days=14).subtract(microseconds=1),
    BASE.add(days=13),
    BASE.add(days=7),
    BASE.add(days=28),
    BASE.add(days=3, hours=5),
    MONTH_END,
    MONTH_END.add(microseconds=1),
    MONTH_END.subtract(days=14),
    BASE.subtract(days=40),
)
AMOUNTS = ("0.99", "1.00", "1.01", "10.00", "10.00")
EXAMPLES = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@st.composite
def rating(draw: st.DrawFn, n: int, seller: str) -> Rating:
    """Rating ``R-n`` of order ``O-n``, after a random path: pending, rated by the buyer
    (perhaps revised), or rated by default."""
    ordered = draw(st.sampled_from(ORDERED)).in_timezone("UTC")
    delivered = ordered.add(hours=draw(st.integers(0, 72)))
    buyer = draw(st.sampled_from(["b-1", "b-1", "b-2"]))
    clock = FixedClock(delivered)
    r = Rating(
        id=f"R-{n}",
        order_id=f"O-{n}",
        line_id="L-1",
        item_id=draw(st.sampled_from(["I-1", "I-1", "I-2"])),
        buyer_id=buyer,
        seller_id=seller,
        amount=Money(draw(st.sampled_from(AMOUNTS)), "CNY"),
        ordered_at=ordered,
        delivered_at=delivered,
        policy=ReviewPolicy(),
        clock=clock,
    )
    how = draw(st.sampled_from(["pending", "rated", "rated", "rated", "default"]))
    if how == "default":
        clock.set(r.rating_deadline.add(hours=draw(st.integers(0, 30))))
        r.rate_by_default()
    elif how == "rated":
        clock.set(delivered.add(minutes=draw(st.integers(0, 14 * 24 * 60))))
        grade = draw(st.sampled_from(list(Grade)))
        scores = DetailedScores(
            described=draw(st.integers(1, 5)),
            service=draw(st.integers(1, 5)),
            logistics=draw(st.integers(1, 5)),
        )
        r.rate(grade=grade, text="ok", scores=scores, actor=Actor.buyer(buyer))
        if grade is not Grade.GOOD and draw(st.booleans()):
            clock.set(clock.now().add(hours=draw(st.integers(1, 29 * 24))))
            r.revise(actor=Actor.buyer(buyer))
    return r


@st.composite
def credit_policies(draw: st.DrawFn) -> CreditPolicy:
    good = draw(st.sampled_from([1, 1, 2]))
    return CreditPolicy(
        good_points=good,
        neutral_points=draw(st.sampled_from([0, 0, 1, 2, -1])),
        bad_points=draw(st.sampled_from([-1, -1, -2])),
        monthly_pair_cap=draw(st.sampled_from([6, 2, 3, 1, None])),
        duplicate_days=draw(st.sampled_from([14, 14, 3, 30, None])),
        max_uncounted_amount=draw(st.sampled_from([Money("1.00", "CNY"), None])),
    )


@st.composite
def shops(draw: st.DrawFn) -> dict[str, Any]:
    count = draw(st.integers(0, 14))
    ratings = [draw(rating(n, "s-1")) for n in range(count)]
    others = [draw(rating(100 + n, "s-2")) for n in range(draw(st.integers(0, 2)))]
    now = draw(
        st.sampled_from(
            [
                BASE.add(days=20),
                BASE.add(days=35),
                BASE.add(days=60),
                MONTH_END.add(days=2, hours=3),
                BASE.add(days=5),
            ]
        )
    ).in_timezone("UTC")
    return {
        "ratings": ratings,
        "others": others,
        "now": now.add(minutes=draw(st.integers(0, 600))),
        "credit": draw(credit_policies()),
        "days": draw(st.sampled_from([7, 30, 180, 1])),
        "detailed": DetailedRatingPolicy(
            days=draw(st.sampled_from([7, 30, 180])),
            pair_monthly_limit=draw(st.sampled_from([3, 1, 2, None])),
        ),
    }


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    """An empty database with the store's tables."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/ratings.db"
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
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as connection:
        for table in ("ecs_aggregates", "ecs_outbox", "ecs_rating_facts"):
            connection.exec_driver_sql(f"DELETE FROM {table}")
    engine.dispose()


def store_all(store: SqlStore, ratings: list[Rating]) -> None:
    with store.unit_of_work() as uow:
        for r in ratings:
            uow.ratings.add(r)
        uow.commit()


@EXAMPLES
@given(shop=shops())
def test_the_sql_reports_equal_the_reports_in_memory(database: str, shop: dict[str, Any]) -> None:
    empty(database)
    store = SqlStore(database)
    ratings: list[Rating] = shop["ratings"]
    now = shop["now"]
    credit: CreditPolicy = shop["credit"]
    detailed: DetailedRatingPolicy = shop["detailed"]
    try:
        store_all(store, ratings + shop["others"])
        reports = SqlRatingReports(store)
        assert reports.credit("s-1", credit, now=now) == (
            seller_credit(ratings, credit, now=now).summary()
        )
        assert reports.good_review_rate("s-1", credit, now=now, days=shop["days"]) == (
            good_review_rate(ratings, credit, now=now, days=shop["days"]).summary()
        )
        assert reports.detailed_ratings("s-1", detailed, now=now) == (
            detailed_ratings(ratings, detailed, now=now).summary()
        )
    finally:
        store.dispose()


def made(
    n: int, ordered: pendulum.DateTime, *, grade: Grade = Grade.GOOD, item: str = "I-1"
) -> Rating:
    """Rating ``R-n`` of order ``O-n`` (10.00 CNY, buyer b-1), rated a day after the order."""
    ordered = ordered.in_timezone("UTC")
    clock = FixedClock(ordered)
    r = Rating(
        id=f"R-{n}",
        order_id=f"O-{n}",
        line_id="L-1",
        item_id=item,
        buyer_id="b-1",
        seller_id="s-1",
        amount=Money("10.00", "CNY"),
        ordered_at=ordered,
        delivered_at=ordered,
        clock=clock,
    )
    clock.set(ordered.add(days=1))
    scores = DetailedScores(described=5, service=5, logistics=4)
    r.rate(grade=grade, text="ok", scores=scores, actor=Actor.buyer("b-1"))
    return r


def test_duplicate_windows_do_not_extend_and_the_cap_counts_per_sign(database: str) -> None:
    """Orders of one item on days 0, 10 and 20 count, are a duplicate, and count again (all in
    May); with seven good ratings of other items that month, the buyer's good ratings earn 6
    points, and the bad ones are counted against their own cap."""
    empty(database)
    store = SqlStore(database)
    start = pendulum.datetime(2026, 5, 1, 9, tz=ZONE)
    ratings = [made(n, start.add(days=10 * n)) for n in range(3)]
    ratings += [made(10 + n, start.add(hours=n), item=f"J-{n}") for n in range(7)]
    ratings += [made(20 + n, start.add(hours=n), item=f"K-{n}", grade=Grade.BAD) for n in range(2)]
    now = start.add(days=40)
    try:
        store_all(store, ratings)
        found = SqlRatingReports(store).credit("s-1", CreditPolicy(), now=now)
        expected = seller_credit(ratings, CreditPolicy(), now=now)
        assert found == expected.summary()
        # May: 9 good ratings that are no duplicates, capped at 6 points; 2 bad ones.
        assert (found.score, found.good, found.bad) == (6 - 2, 6, 2)
        assert found.by_reason() == {
            CreditReason.COUNTED: 8,
            CreditReason.DUPLICATE_ITEM: 1,
            CreditReason.CAPPED: 3,
        }
    finally:
        store.dispose()


def test_a_second_rating_of_a_line_is_refused(database: str) -> None:
    """The facts hold one row per order line: a second rating of a stored line raises
    AlreadyRated, and the store keeps the first."""
    empty(database)
    store = SqlStore(database)
    first = made(1, BASE)
    second = Rating(
        id="R-2",
        order_id=first.order_id,
        line_id=first.line_id,
        item_id="I-1",
        buyer_id="b-1",
        seller_id="s-1",
        amount=Money("10.00", "CNY"),
        ordered_at=BASE,
        delivered_at=BASE,
    )
    try:
        store_all(store, [first])
        with store.unit_of_work() as uow:
            with pytest.raises(AlreadyRated, match="O-1"):
                uow.ratings.add(second)
            uow.commit()  # the unit of work was rolled back: nothing of it is kept
        with store.unit_of_work() as uow:
            assert uow.ratings.find("R-2") is None
            assert uow.ratings.get("R-1").order_id == "O-1"
        with store.engine.connect() as connection:
            count = connection.execute(sa.select(sa.func.count()).select_from(RATING_FACTS))
            assert count.scalar_one() == 1
    finally:
        store.dispose()


def test_a_second_rating_of_a_line_is_refused_in_memory_too() -> None:
    """The memory store refuses what the database's unique constraint refuses: in the same
    unit of work, in another one, and when two units of work race to commit."""
    store = MemoryStore()
    first = made(1, BASE)
    second = attrs.evolve(made(1, BASE), id="R-2")
    third = attrs.evolve(made(1, BASE), id="R-3")
    with store.unit_of_work() as uow:
        uow.ratings.add(first)
        with pytest.raises(AlreadyRated, match="O-1"):
            uow.ratings.add(second)
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.ratings.find("R-1") is None  # the failed add rolled the unit of work back
        uow.ratings.add(first)
        uow.commit()
    with store.unit_of_work() as uow, pytest.raises(AlreadyRated):
        uow.ratings.add(second)
    other = MemoryStore()
    with other.unit_of_work() as racing_a, other.unit_of_work() as racing_b:
        racing_a.ratings.add(second)
        racing_b.ratings.add(third)
        racing_a.commit()
        with pytest.raises(AlreadyRated):
            racing_b.commit()
    with other.unit_of_work() as uow:
        assert uow.ratings.find("R-3") is None
        assert uow.ratings.get("R-2").line_id == first.line_id


def test_policies_of_another_zone_and_other_currencies_are_refused(tmp_path: Any) -> None:
    store = SqlStore(f"sqlite:///{tmp_path}/zone.db")
    store.create_schema()
    reports = SqlRatingReports(store)
    now = BASE.add(days=30)
    try:
        with pytest.raises(RatingZoneUnsupported, match="Asia/Shanghai"):
            reports.credit("s-1", CreditPolicy(zone="Europe/Berlin"), now=now)
        with pytest.raises(RatingZoneUnsupported):
            reports.detailed_ratings("s-1", DetailedRatingPolicy(zone="UTC"), now=now)
        store_all(store, [made(1, BASE)])
        dollars = CreditPolicy(max_uncounted_amount=Money("1.00", "USD"))
        with pytest.raises(ValidationError, match="R-1"):
            reports.credit("s-1", dollars, now=now)
        with pytest.raises(ValidationError):
            seller_credit([made(1, BASE)], dollars, now=now)
        with pytest.raises(ValidationError, match="SqlStore"):
            SqlRatingReports("sqlite://")  # type: ignore[arg-type]
        with pytest.raises(ValidationError, match="CreditPolicy"):
            reports.credit("s-1", "taobao", now=now)  # type: ignore[arg-type]
        with pytest.raises(ValidationError, match="days"):
            reports.good_review_rate("s-1", CreditPolicy(), now=now, days=0)
        assert RATING_FACTS_ZONE == ZONE
    finally:
        store.dispose()


def test_revisions_after_now_count_the_grade_before(tmp_path: Any) -> None:
    store = SqlStore(f"sqlite:///{tmp_path}/revised.db")
    store.create_schema()
    r = made(1, BASE, grade=Grade.BAD)
    r.clock.set(r.clock.now().add(days=2))  # type: ignore[attr-defined]
    r.revise(actor=Actor.buyer("b-1"))
    revised = r.revised_at
    assert revised is not None
    try:
        store_all(store, [r])
        reports = SqlRatingReports(store)
        before = reports.credit("s-1", CreditPolicy(), now=revised - _dt.timedelta(microseconds=1))
        after = reports.credit("s-1", CreditPolicy(), now=revised)
        assert (before.bad, before.good, before.score) == (1, 0, -1)
        assert (after.bad, after.good, after.score) == (0, 1, 1)
    finally:
        store.dispose()


def test_migration_0007_fills_the_facts_of_the_stored_ratings(database: str) -> None:
    """Ratings stored before the table existed (here: the table dropped and the database
    stamped at 0006) get their rows when migration 0007 runs: the rows the store writes
    itself, and the same reports."""
    from alembic import command

    from ecservice.storage._rating_facts import rating_fact_values
    from ecservice.storage.sql.migrations import alembic_config, upgrade

    empty(database)
    ratings = [made(n, BASE.add(days=3 * n), grade=list(Grade)[n % 3]) for n in range(5)]
    ratings.append(
        Rating(
            id="R-pending",
            order_id="O-pending",
            line_id="L-1",
            item_id="I-1",
            buyer_id="b-1",
            seller_id="s-1",
            amount=Money("10.00", "CNY"),
            ordered_at=BASE,
            delivered_at=BASE,
        )
    )
    store = SqlStore(database)
    try:
        store_all(store, ratings)
    finally:
        store.dispose()
    engine = sa.create_engine(database, poolclass=sa.pool.NullPool)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE ecs_rating_facts")
    engine.dispose()
    command.stamp(alembic_config(database), "0006")
    assert upgrade(database, "0007") == "0007"
    store = SqlStore(database)
    now = BASE.add(days=40)
    try:
        with store.engine.connect() as connection:
            stored = {
                row.rating_id: dict(row._mapping)
                for row in connection.execute(sa.select(RATING_FACTS))
            }
        assert stored == {r.id: rating_fact_values(r) for r in ratings}
        assert SqlRatingReports(store).credit("s-1", CreditPolicy(), now=now) == (
            seller_credit(ratings, CreditPolicy(), now=now).summary()
        )
    finally:
        store.dispose()


def test_a_grade_this_version_does_not_know_is_a_document_error(tmp_path: Any) -> None:
    from ecservice.storage import DocumentError

    store = SqlStore(f"sqlite:///{tmp_path}/odd.db")
    store.create_schema()
    try:
        store_all(store, [made(1, BASE)])
        with store.engine.begin() as connection:
            connection.execute(sa.update(RATING_FACTS).values(grade="EXCELLENT"))
        with pytest.raises(DocumentError, match="EXCELLENT"):
            SqlRatingReports(store).credit("s-1", CreditPolicy(), now=BASE.add(days=30))
    finally:
        store.dispose()
