"""Business time across DST changes in three zones, and wall times in gaps and folds."""

from __future__ import annotations

import datetime as dt

import pendulum
import pytest

from ecservice.calendar import ShopCalendar, WeeklyHours

H = dt.timedelta(hours=1)

# (zone, the day clocks go forward, the day they go back) in 2026.
CHANGES = [
    ("America/New_York", dt.date(2026, 3, 8), dt.date(2026, 11, 1)),
    ("Europe/Berlin", dt.date(2026, 3, 29), dt.date(2026, 10, 25)),
    ("Australia/Sydney", dt.date(2026, 10, 4), dt.date(2026, 4, 5)),
]


def every_day(zone: str, *intervals: str) -> ShopCalendar:
    return ShopCalendar(zone=zone, holidays=None, week=WeeklyHours.every_day(list(intervals)))


def local(zone: str, day: dt.date, hour: int, minute: int = 0) -> pendulum.DateTime:
    return pendulum.datetime(day.year, day.month, day.day, hour, minute, tz=zone).in_tz("UTC")


@pytest.mark.parametrize(("zone", "forward", "back"), CHANGES)
def test_office_hours_are_nine_real_hours_on_change_days(
    zone: str, forward: dt.date, back: dt.date
) -> None:
    """A 09:00-18:00 day is 9 real hours on both change days, at the new offset."""
    cal = every_day(zone, "09:00-18:00")
    for day in (forward, back):
        ((start, end),) = cal.working_intervals(day)
        assert end - start == 9 * H
        assert start == local(zone, day, 9)
        assert cal.elapsed(local(zone, day, 0), local(zone, day, 23)) == 9 * H


@pytest.mark.parametrize(("zone", "forward", "back"), CHANGES)
def test_a_whole_day_is_23_or_25_hours(zone: str, forward: dt.date, back: dt.date) -> None:
    """A 00:00-24:00 day lasts 23 hours when clocks go forward and 25 when they go back."""
    cal = every_day(zone, "00:00-24:00")
    ((start, end),) = cal.working_intervals(forward)
    assert end - start == 23 * H
    ((start, end),) = cal.working_intervals(back)
    assert end - start == 25 * H
    # Counting across the change: the calendar gives real time, the wall clock would not.
    before = local(zone, forward - dt.timedelta(days=1), 12)
    assert cal.elapsed(before, cal.add(before, 47 * H)) == 47 * H
    assert cal.add(before, 47 * H) == before + 47 * H


@pytest.mark.parametrize(("zone", "forward", "back"), CHANGES)
def test_hours_across_the_change_gain_or_lose_the_hour(
    zone: str, forward: dt.date, back: dt.date
) -> None:
    """A night shift 00:00-06:00 is 5 real hours when clocks go forward, 7 when they go back."""
    cal = every_day(zone, "00:00-06:00")
    assert sum((b - a for a, b in cal.working_intervals(forward)), dt.timedelta()) == 5 * H
    assert sum((b - a for a, b in cal.working_intervals(back)), dt.timedelta()) == 7 * H


def test_gap_boundary_is_the_jump() -> None:
    """New York, 8 March 2026, clocks jump from 02:00 to 03:00: a start or end at 02:30 is the
    jump (07:00Z); 01:00-02:00 is an hour; 02:00-03:00 is empty."""
    cal = every_day("America/New_York", "01:00-02:00", "02:30-04:00")
    day = dt.date(2026, 3, 8)
    utc = [(a.isoformat(), b.isoformat()) for a, b in cal.working_intervals(day)]
    assert utc == [
        ("2026-03-08T06:00:00+00:00", "2026-03-08T07:00:00+00:00"),
        ("2026-03-08T07:00:00+00:00", "2026-03-08T08:00:00+00:00"),
    ]
    assert every_day("America/New_York", "02:00-03:00").working_intervals(day) == ()
    assert not every_day("America/New_York", "02:00-03:00").is_working_day(day)


def test_fold_boundaries_cover_the_repeated_hour() -> None:
    """New York, 1 November 2026, 01:00-02:00 happens twice: a start is its first occurrence, an
    end its last, so 01:00-02:00 is two real hours and 01:30-03:00 two and a half."""
    day = dt.date(2026, 11, 1)
    ((a, b),) = every_day("America/New_York", "01:00-02:00").working_intervals(day)
    assert (a.isoformat(), b.isoformat()) == (
        "2026-11-01T05:00:00+00:00",
        "2026-11-01T07:00:00+00:00",
    )
    ((a, b),) = every_day("America/New_York", "01:30-03:00").working_intervals(day)
    assert b - a == 2.5 * H
    # 01:20 (an end: 06:20Z) is after 01:40 (a start: 05:40Z): the earlier interval keeps the
    # time they share, and the two meet without overlapping.
    spans = every_day("America/New_York", "00:00-01:20", "01:40-03:00").working_intervals(day)
    assert spans[0][1] == spans[1][0]
    assert spans[-1][1] - spans[0][0] == 4 * H


def test_midnight_gap_starts_the_day_at_the_jump() -> None:
    """America/Santiago, 6 September 2026: midnight does not exist, the day starts at 01:00."""
    cal = every_day("America/Santiago", "00:00-24:00")
    ((start, end),) = cal.working_intervals(dt.date(2026, 9, 6))
    assert start.in_tz("America/Santiago").isoformat() == "2026-09-06T01:00:00-03:00"
    assert end - start == 23 * H
    previous = cal.working_intervals(dt.date(2026, 9, 5))
    assert previous[-1][1] == start  # days meet without a gap or an overlap


def test_zones_without_dst_are_unaffected() -> None:
    """Shanghai never changes: 9 hours on any day."""
    cal = every_day("Asia/Shanghai", "09:00-18:00")
    ((start, end),) = cal.working_intervals(dt.date(2026, 3, 8))
    assert end - start == 9 * H
