"""Complaint statistics: counted over the window's complaints, each figure exact."""

from __future__ import annotations

import datetime as _dt
import decimal

import pendulum
import pytest

from ecservice.aftersales import ProblemCategory, ProblemKind, Rate
from ecservice.calendar import ShopCalendar
from ecservice.clock import FixedClock
from ecservice.complaints import (
    Complaint,
    ComplaintChannel,
    SlaPolicy,
    SlaTargetKind,
    complaint_report,
)
from ecservice.errors import NaiveDatetime, ValidationError
from ecservice.workflow import Actor

AGENT = Actor.staff("kefu-1")
SHOP = SlaPolicy.shop_default()
CALENDAR = ShopCalendar()
ZONE = "Asia/Shanghai"


def sh(*args: int) -> pendulum.DateTime:
    return pendulum.datetime(*args, tz=ZONE)


def opened(cid: str, at: pendulum.DateTime, clock: FixedClock) -> Complaint:
    return Complaint(
        id=cid,
        buyer_id="b-1",
        text="The kettle leaks.",
        channel=ComplaintChannel.CHAT,
        opened_at=at,
        clock=clock,
    )


def test_the_report_counts_replies_in_working_time_and_attainment() -> None:
    """Monday 2 March 2026 (a working day, 09:00-18:00): one complaint answered in 1 working
    hour (in time for the 2-hour first reply), one answered after 3 (breached), one opened the
    day before the window (left out), one never answered (still running at the report)."""
    clock = FixedClock(sh(2026, 3, 2, 9))
    quick = opened("Q", sh(2026, 3, 2, 9), clock)
    slow = opened("S", sh(2026, 3, 2, 9), clock)
    silent = opened("N", sh(2026, 3, 2, 9), clock)
    early = opened("E", sh(2026, 1, 1, 10), FixedClock(sh(2026, 1, 1, 10)))
    clock.set(sh(2026, 3, 2, 10))
    quick.reply(message="Sorry, we are on it.", actor=AGENT)
    quick.record(problem=ProblemKind.QUALITY, summary="leaks", actor=AGENT)
    clock.set(sh(2026, 3, 2, 12))
    slow.reply(message="Sorry for the wait.", actor=AGENT)
    slow.record(problem=ProblemKind.LATE_DELIVERY, summary="late", actor=AGENT)
    now = sh(2026, 3, 3, 8)  # the window ends where 3 March begins
    report = complaint_report(
        [quick, slow, silent, early], SHOP, CALENDAR, now=now, zone=ZONE, days=30
    )
    assert report.complaints_opened == 3
    assert report.by_category == ((ProblemCategory.PRODUCT, 1), (ProblemCategory.LOGISTICS, 1))
    assert report.by_problem == ((ProblemKind.QUALITY, 1), (ProblemKind.LATE_DELIVERY, 1))
    assert report.unclassified == 1
    first = report.target(SlaTargetKind.FIRST_REPLY)
    assert first is not None
    # the silent one: due at 11:00, still not answered by the report, so breached too
    assert (first.cycles, first.met, first.breached) == (3, 1, 2)
    assert first.attainment == Rate(1, 3)
    assert report.replied == 2
    assert report.first_reply_median == _dt.timedelta(hours=1)
    assert report.first_reply_p90 == _dt.timedelta(hours=3)
    assert report.resolved == 0
    assert report.resolution_median is None
    assert report.visits == 0
    assert report.satisfaction_average is None
    assert report.reopen_rate is None


def test_satisfaction_and_reopenings() -> None:
    clock = FixedClock(sh(2026, 3, 2, 9))
    scores = {"A": 5, "B": 4, "C": 2}
    done = []
    for cid, score in scores.items():
        complaint = opened(cid, sh(2026, 3, 2, 9), clock)
        complaint.reply(message="On it.", actor=AGENT)
        complaint.record(problem=ProblemKind.SIZE, summary="too small", actor=AGENT)
        complaint.judge(valid=False, note="the size chart was right", actor=AGENT)
        complaint.feedback(solution="Exchange offered as a courtesy.", actor=AGENT)
        complaint.follow_up(satisfaction=score, actor=AGENT)
        done.append(complaint)
    clock.set(sh(2026, 3, 3, 9))
    done[2].reopen(actor=AGENT, note="still unhappy")
    report = complaint_report(done, SHOP, CALENDAR, now=sh(2026, 3, 10, 9), zone=ZONE)
    # The reopened complaint is read as it stands: its visit went with the reopening.
    assert report.visits == 2
    assert report.satisfaction_average == decimal.Decimal("4.5")
    assert report.satisfied_rate == Rate(2, 2)
    assert (report.reopened, report.reopen_rate) == (1, Rate(1, 3))


def test_bad_arguments_are_refused() -> None:
    clock = FixedClock(sh(2026, 3, 2, 9))
    complaint = opened("A", sh(2026, 3, 2, 9), clock)
    now = sh(2026, 3, 3, 9)
    with pytest.raises(NaiveDatetime):
        complaint_report([], SHOP, CALENDAR, now=_dt.datetime(2026, 3, 3), zone=ZONE)
    with pytest.raises(ValidationError, match="days"):
        complaint_report([], SHOP, CALENDAR, now=now, zone=ZONE, days=0)
    with pytest.raises(ValidationError, match="named twice"):
        complaint_report([complaint, complaint], SHOP, CALENDAR, now=now, zone=ZONE)
    with pytest.raises(ValidationError, match="Complaint"):
        complaint_report(["A"], SHOP, CALENDAR, now=now, zone=ZONE)  # type: ignore[list-item]
    with pytest.raises(ValidationError):
        complaint_report([], SHOP, CALENDAR, now=now, zone="Mars/Olympus")
