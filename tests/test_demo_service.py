"""Customer service in ``ecservice demo``: consultations before some orders, ratings of every
delivered line (mostly good, some by default, some revised, answered and followed up), surveys
with CSAT and NPS, feedback; the figures counted by the database equal the in-memory reports
over the stored aggregates; a continued run opens no rating twice; the money is conserved."""

from __future__ import annotations

import decimal
from pathlib import Path
from typing import Any

import pytest

from ecservice._demo import DemoSummary, run_demo
from ecservice._demo_service import ANSWERED, RATED, SELLER, _rng, session_id_of
from ecservice._demo_service_figures import (
    ServiceFigures,
    load_service,
    memory_service_reports,
)
from ecservice._demo_shop import START, order_id_of
from ecservice._demo_store import stored_ids, stored_orders
from ecservice.application import rating_id
from ecservice.consultation import ConsultationStatus
from ecservice.feedback import FeedbackStatus
from ecservice.orders import Order, OrderStatus
from ecservice.ratings import Grade, RatingStatus
from ecservice.satisfaction import SubjectKind
from ecservice.storage import UnitOfWork, run_in_transaction


def _stored(url: str) -> tuple[dict[str, list[str]], Any, list[Order[Any]]]:
    """The service ids, the loaded service documents and the orders of the demo at ``url``."""
    from ecservice.storage.sql import SqlStore

    store = SqlStore(url)
    try:
        ids = {k: stored_ids(store, k) or [] for k in ("rating", "survey", "consultation")}
        ids["feedback"] = stored_ids(store, "feedback") or []
        loaded = load_service(store, ids)

        def orders(uow: UnitOfWork) -> list[Order[Any]]:
            return [uow.orders.get(order_id_of(i)) for i in stored_orders(store)]

        return ids, loaded, run_in_transaction(store, orders)
    finally:
        store.dispose()


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, DemoSummary]:
    """A month of 400 orders stored in SQLite."""
    path = tmp_path_factory.mktemp("service") / "shop.db"
    url = f"sqlite:///{path}"
    return url, run_demo(400, seed=11, db=url)


def _figures(summary: DemoSummary) -> ServiceFigures:
    assert summary.service is not None
    return summary.service


def test_every_delivered_line_has_one_rating_and_most_are_good(
    run: tuple[str, DemoSummary],
) -> None:
    """Each done order's lines with units delivered have exactly one rating each, none for
    other orders; buyers rated most of them, mostly good, and the shop answered the bad ones;
    the good-review rate, credit and detailed averages follow."""
    url, summary = run
    assert summary.money_conserved, summary.gateway_problems
    ids, (ratings, _, _, _), orders = _stored(url)
    expected = {
        rating_id(o.id, line.sku)
        for o in orders
        if o.status is OrderStatus.DONE
        for line in o.lines
        if line.quantity > o.cancelled_quantity(line.sku)
    }
    assert set(ids["rating"]) == expected
    figures = _figures(summary)
    counts = figures.ratings
    assert counts.ratings == len(expected) > 100
    assert counts.by_buyer + counts.by_default + counts.pending == counts.ratings
    assert counts.by_buyer > counts.by_default > 0
    assert counts.explained > 0
    grades = [r.revised_from or r.grade for r in ratings if r.rated_at and not r.by_default]
    good = sum(g is Grade.GOOD for g in grades)
    assert 0.8 < good / len(grades) < 1
    assert any(g is not Grade.GOOD for g in grades)
    assert all(r.seller_id == SELLER for r in ratings)
    reports = figures.reports
    assert reports.credit.score > 0
    assert reports.credit.level is not None
    assert reports.good_rate.rate is not None
    assert reports.good_rate.rate.value > decimal.Decimal("0.85")
    for average in (reports.detailed.described, reports.detailed.service):
        assert average.value is not None
        assert decimal.Decimal(4) < average.value < 5


def test_surveys_consultations_and_feedback_add_up(run: tuple[str, DemoSummary]) -> None:
    """Surveys went out after orders (and cases or complaints), about half answered, CSAT and
    NPS spread over their scales; some consultations led to their orders, others ended without;
    agents answered within seconds to minutes; feedback was answered."""
    url, summary = run
    _, (_, surveys, sessions, records), orders = _stored(url)
    reports = _figures(summary).reports
    overall = reports.satisfaction.overall
    assert overall.sent == len(surveys) > 0
    assert 0 < overall.answered < overall.sent
    assert overall.csat is not None
    assert overall.nps is not None
    assert overall.nps.promoters > 0
    assert overall.nps.detractors > 0
    assert {s.subject.kind for s in surveys} >= {SubjectKind.ORDER}
    consultation = reports.consultation
    assert consultation.sessions == len(sessions) > 0
    assert 0 < consultation.converted < consultation.sessions
    placed = {o.id: o for o in orders}
    for session in sessions:
        if session.status is ConsultationStatus.COMPLETED:
            assert session.order is not None
            assert session.id == session_id_of(session.order.order_id)
            assert placed[session.order.order_id].buyer_id == session.buyer_id
        else:
            assert session.status is ConsultationStatus.ENDED
    assert consultation.first_response_median is not None
    assert consultation.first_response_median.total_seconds() < 600
    assert reports.feedback.received == len(records)


def test_the_service_figures_in_sql_equal_the_in_memory_reports(
    run: tuple[str, DemoSummary],
) -> None:
    """The credit, good-review rate, detailed ratings, satisfaction and consultation figures
    the database counted equal the in-memory reports over the stored aggregates."""
    url, summary = run
    _, (ratings, surveys, sessions, records), _ = _stored(url)
    memory = memory_service_reports(
        ratings, surveys, sessions, records, now=START.add(days=30), days=30
    )
    assert _figures(summary).reports == memory


def test_a_continued_run_opens_no_rating_twice_and_rates_by_default(tmp_path: Path) -> None:
    """A second month on the same database continues: the lines left unrated get the default
    good rating when their window ends, no rating id is used twice, the money is conserved."""
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    first = run_demo(150, seed=5, db=url)
    second = run_demo(150, seed=6, db=url)
    assert first.money_conserved
    assert second.money_conserved, second.gateway_problems
    ids, (ratings, _, _, _), _ = _stored(url)
    assert len(ids["rating"]) == len(set(ids["rating"]))
    assert _figures(second).ratings.ratings == len(ratings) > _figures(first).ratings.ratings
    left = [r for r in ratings if r.delivered_at < START.add(days=30)]
    assert all(r.status is not RatingStatus.PENDING for r in left)
    assert _figures(second).ratings.by_default > _figures(first).ratings.by_default


def test_the_demo_in_memory_gives_the_figures_of_sqlite(tmp_path: Path) -> None:
    """The same seed in memory (the in-memory reports) and on SQLite (the database's) gives the
    same service figures."""
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    assert run_demo(120, seed=2, db=url).service == run_demo(120, seed=2).service


def test_a_continued_run_takes_the_steps_an_earlier_run_left_planned(tmp_path: Path) -> None:
    """What buyers and agents were to do after a run ended (or was killed) is planned again by
    the next run from the stored ratings, surveys and feedback: a line whose buyer was to rate
    it is rated by the buyer, not by default; a survey to be answered is answered; open
    feedback is answered and closed."""
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    run_demo(150, seed=5, db=url)
    _, (ratings, surveys, _, records), _ = _stored(url)
    to_close = [r.id for r in records if r.status is not FeedbackStatus.CLOSED]
    to_rate = [
        r for r in ratings if r.status is RatingStatus.PENDING and _rng(r.id).random() < RATED
    ]
    to_answer = [
        s
        for s in surveys
        if not s.answers and s.sent_at is not None and _rng(s.id).random() < ANSWERED
    ]
    assert to_rate, "the month ends before some buyers rate their lines"
    second = run_demo(150, seed=6, db=url)
    assert second.money_conserved, second.gateway_problems
    _, (after, answered, _, records_now), _ = _stored(url)
    closed = {r.id for r in records_now if r.status is FeedbackStatus.CLOSED}
    assert closed.issuperset(to_close)
    ratings_now = {r.id: r for r in after}
    for rating in to_rate:
        now = ratings_now[rating.id]
        assert now.grade is not None, rating.id
        assert not now.by_default, rating.id
    surveys_now = {s.id: s for s in answered}
    assert all(surveys_now[s.id].answers for s in to_answer)
