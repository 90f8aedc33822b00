"""The service overview holds reports of one window, and renders them as text."""

from __future__ import annotations

import attrs
import pendulum
import pytest

from ecservice.aftersales import aftersales_report
from ecservice.calendar import ShopCalendar
from ecservice.complaints import SlaPolicy, complaint_report
from ecservice.consultation import consultation_report
from ecservice.errors import ValidationError
from ecservice.ratings import CreditPolicy, good_review_rate, seller_credit
from ecservice.satisfaction import ServiceOverview, SubjectKind, satisfaction_report
from tests.satisfaction.rig import sent_survey

ZONE = "Asia/Shanghai"
NOW = pendulum.datetime(2026, 5, 8, 10, tz=ZONE)


def reports(now: pendulum.DateTime = NOW, days: int = 7) -> dict[str, object]:
    surveys = [
        sent_survey(SubjectKind.ORDER, 1, NOW.subtract(days=2), csat=5, nps=10),
        sent_survey(SubjectKind.COMPLAINT, 2, NOW.subtract(days=3), csat=2, nps=3),
        sent_survey(SubjectKind.ORDER, 3, NOW.subtract(days=1), csat=None, nps=None),
    ]
    return {
        "aftersales": aftersales_report([], [], now=now, zone=ZONE, days=days),
        "complaints": complaint_report(
            [], SlaPolicy.shop_default(), ShopCalendar(), now=now, zone=ZONE, days=days
        ),
        "satisfaction": satisfaction_report(surveys, now=now, zone=ZONE, days=days),
        "consultation": consultation_report([], now=now, zone=ZONE, days=days),
    }


def test_the_overview_renders_each_area() -> None:
    """One heading, then after-sales, complaints, satisfaction, consultation; rating lines only
    when given; percentages exact to a tenth, with their counts."""
    overview = ServiceOverview.of(**reports())  # type: ignore[arg-type]
    lines = overview.lines()
    assert lines[0] == "Service overview, 7 days 2026-05-01 to 2026-05-07 (Asia/Shanghai)"
    assert [line.split(":")[0] for line in lines[1:]] == [
        "After-sales",
        "Complaints",
        "Satisfaction",
        "Consultation",
    ]
    assert lines[3] == (
        "Satisfaction: 3 surveys sent, 2 answered (response rate 66.7% (2/3)); CSAT 50.0% "
        "(1/2); NPS 0 (1 promoters, 0 passives, 1 detractors)"
    )
    assert str(overview) == "\n".join(lines)
    credit = CreditPolicy()
    rated = attrs.evolve(
        overview,
        credit=seller_credit([], credit, now=NOW).summary(),
        good_reviews=good_review_rate([], credit, now=NOW, days=7).summary(),
    )
    assert rated.lines()[5:] == (
        "Credit: 0 points; 0 good, 0 neutral, 0 bad ratings counted",
        "Good reviews: n/a (0 good, 0 neutral, 0 bad)",
    )


def test_reports_of_another_window_are_refused() -> None:
    """Each report must cover the overview's window; the rating figures too."""
    same = reports()
    other = reports(days=3)
    for name in ("complaints", "satisfaction", "consultation"):
        with pytest.raises(ValidationError, match=name):
            ServiceOverview.of(**{**same, name: other[name]})  # type: ignore[arg-type]
    later = reports(now=NOW.add(hours=1))
    with pytest.raises(ValidationError, match="satisfaction"):
        ServiceOverview.of(**{**same, "satisfaction": later["satisfaction"]})  # type: ignore[arg-type]
    credit = CreditPolicy()
    with pytest.raises(ValidationError, match="good_reviews"):
        ServiceOverview.of(
            **same,  # type: ignore[arg-type]
            good_reviews=good_review_rate([], credit, now=NOW, days=180).summary(),
        )
    with pytest.raises(ValidationError, match="credit"):
        ServiceOverview.of(
            **same,  # type: ignore[arg-type]
            credit=seller_credit([], credit, now=NOW.add(hours=1)).summary(),
        )


def test_reports_of_the_wrong_type_are_refused() -> None:
    same = reports()
    with pytest.raises(ValidationError, match="aftersales"):
        ServiceOverview.of(**{**same, "aftersales": "report"})  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="consultation"):
        ServiceOverview.of(**{**same, "consultation": same["satisfaction"]})  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="good_reviews"):
        ServiceOverview.of(**same, good_reviews=3)  # type: ignore[arg-type]
