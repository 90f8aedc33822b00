"""The service overview from the database equals the overview of the reports in memory.

Surveys, consultation sessions and a complaint stored in SQLite and PostgreSQL (under a store
whose complaint and consultation timers name the shop's policy and calendar) give, through
:class:`~ecservice.storage.sql.SqlServiceReports`, the
:class:`~ecservice.satisfaction.ServiceOverview` that
:meth:`~ecservice.satisfaction.ServiceOverview.of` builds from the in-memory reports; rating
figures are added for a seller when asked for, and refused without one.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pendulum
import pytest

from ecservice.aftersales import aftersales_report
from ecservice.calendar import ShopCalendar
from ecservice.clock import FixedClock
from ecservice.complaints import SlaPolicy, complaint_report
from ecservice.consultation import consultation_report
from ecservice.errors import ValidationError
from ecservice.ratings import (
    CreditPolicy,
    DetailedRatingPolicy,
    detailed_ratings,
    good_review_rate,
    seller_credit,
)
from ecservice.satisfaction import ServiceOverview, SubjectKind, satisfaction_report
from ecservice.storage import Timer, complaint_next_due, default_timers
from ecservice.storage.sql import ConsultationTimer, SqlServiceReports, SqlStore
from tests.complaints.rig import new_complaint
from tests.satisfaction.rig import sent_survey
from tests.storage.pgdb import fresh_pg_database
from tests.storage.test_service_sql_reports import _some_sessions

ZONE = "Asia/Shanghai"
CALENDAR = ShopCalendar()
POLICY = SlaPolicy.shop_default()
NOW = pendulum.datetime(2026, 5, 8, 10, tz=ZONE)


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database with the store's tables."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/overview.db"
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


def test_the_sql_overview_equals_the_overview_in_memory(database: str) -> None:
    kinds = list(SubjectKind)
    surveys = [
        sent_survey(kinds[n % 3], n, NOW.subtract(days=1 + n).in_timezone("UTC"),
                    csat=1 + n % 5, nps=None if n == 2 else 2 * n)
        for n in range(5)
    ]  # fmt: skip
    sessions = _some_sessions()
    opened = NOW.subtract(days=2).in_timezone("UTC")
    complaint = new_complaint(id="TS-9", opened_at=opened, clock=FixedClock(opened))
    timers: dict[str, Timer] = {
        **default_timers(),
        "complaint": complaint_next_due(POLICY, CALENDAR),
        "consultation": ConsultationTimer(CALENDAR),
    }
    store = SqlStore(database, timers=timers, clock=FixedClock(NOW))
    try:
        with store.unit_of_work() as uow:
            for survey in surveys:
                uow.surveys.add(survey)
            for session in sessions:
                uow.consultations.add(session)
            uow.complaints.add(complaint)
            uow.commit()
        credit, detailed = CreditPolicy(), DetailedRatingPolicy(days=7)
        found = SqlServiceReports(store).overview(
            now=NOW, zone=ZONE, complaint_policy=POLICY, calendar=CALENDAR, days=7,
            seller_id="shop-1", credit_policy=credit, detailed_policy=detailed,
        )  # fmt: skip
        expected = ServiceOverview.of(
            aftersales=aftersales_report([], [], now=NOW, zone=ZONE, days=7),
            complaints=complaint_report([complaint], POLICY, CALENDAR, now=NOW, zone=ZONE, days=7),
            satisfaction=satisfaction_report(surveys, now=NOW, zone=ZONE, days=7),
            consultation=consultation_report(
                sessions, now=NOW, zone=ZONE, calendar=CALENDAR, days=7
            ),
            credit=seller_credit([], credit, now=NOW).summary(),
            good_reviews=good_review_rate([], credit, now=NOW, days=7).summary(),
            detailed_ratings=detailed_ratings([], detailed, now=NOW).summary(),
        )
        assert found == expected
        assert found.satisfaction.overall.sent == 5
        assert found.consultation.sessions == 3
        assert found.complaints.complaints_opened == 1
        text = str(found)
        assert text.splitlines()[0] == (
            "Service overview, 7 days 2026-05-01 to 2026-05-07 (Asia/Shanghai)"
        )
        assert "Satisfaction: 5 surveys sent, 5 answered" in text
        assert "Consultation: 3 sessions" in text
        assert "Good reviews: n/a" in text
        with pytest.raises(ValidationError, match="seller_id"):
            SqlServiceReports(store).overview(
                now=NOW, zone=ZONE, complaint_policy=POLICY, calendar=CALENDAR,
                credit_policy=credit,
            )  # fmt: skip
        with pytest.raises(ValidationError):
            SqlServiceReports("store")  # type: ignore[arg-type]
    finally:
        store.dispose()
