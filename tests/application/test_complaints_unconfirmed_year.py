"""A complaint taken in late December, before the next year's holiday notice is in the shop's
calendar, is stored all the same: its timer tries again a day later, the timer job skips it
without failing the others, and the SQL report refuses its facts until a refresh under a
calendar that knows the year."""

from __future__ import annotations

import pendulum
import pytest

from ecservice.application import ComplaintService
from ecservice.calendar import ShopCalendar
from ecservice.clock import FixedClock
from ecservice.complaints import ComplaintChannel, ComplaintPriority, SlaPolicy
from ecservice.storage import UNCONFIRMED_RETRY, complaint_next_due, default_timers
from ecservice.storage.sql import ComplaintFactsOutdated, SqlComplaintReports, SqlStore

ZONE = "Asia/Shanghai"


def test_a_complaint_needing_an_unconfirmed_year_is_taken_in_and_retried() -> None:
    clock = FixedClock(pendulum.datetime(2026, 12, 30, 10, tz=ZONE))
    policy, calendar = SlaPolicy.shop_default(), ShopCalendar()
    timers = {**default_timers(), "complaint": complaint_next_due(policy, calendar)}
    store = SqlStore("sqlite://", timers=timers, clock=clock)
    store.create_schema()
    service = ComplaintService(store, policy, calendar, clock=clock)
    try:
        service.open_complaint(
            "C-1",
            buyer_id="b-1",
            text="The parcel has not come.",
            channel=ComplaintChannel.CHAT,
            priority=ComplaintPriority.LOW,
        )
        assert store.next_due_at("complaint", "C-1") == clock.now().add(
            seconds=int(UNCONFIRMED_RETRY.total_seconds())
        )
        clock.set(clock.now().add(days=2))
        assert service.run_due_timers() == 0
        assert store.next_due_at("complaint", "C-1") == clock.now().add(days=1)
        reports = SqlComplaintReports(store)
        with pytest.raises(ComplaintFactsOutdated, match="not confirmed"):
            reports.report(policy, calendar, now=clock.now(), zone=ZONE)
        knows_2027 = ShopCalendar(accept_predicted=True)
        assert reports.refresh(policy, knows_2027) == 1
        report = reports.report(policy, knows_2027, now=clock.now(), zone=ZONE, days=7)
        assert report.complaints_opened == 1
    finally:
        store.dispose()
