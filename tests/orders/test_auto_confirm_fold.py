"""Automatic confirmation on an autumn DST day: when the due day's wall-clock time occurs
twice (the clocks go back), the parcel is due at the second occurrence, in standard time."""

from __future__ import annotations

import datetime as _dt

import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecservice.orders import AutoConfirmPolicy

HOUR = _dt.timedelta(hours=1)


@pytest.mark.parametrize(
    ("zone", "shipped", "first", "second"),
    [
        # EU fall back on 25 October 2026: 02:30 is 00:30 UTC (CEST), then 01:30 UTC (CET).
        ("Europe/Berlin", (2026, 10, 15, 2, 30), "2026-10-25T00:30", "2026-10-25T01:30"),
        # US fall back on 1 November 2026: 01:30 is 05:30 UTC (EDT), then 06:30 UTC (EST).
        ("America/New_York", (2026, 10, 22, 1, 30), "2026-11-01T05:30", "2026-11-01T06:30"),
    ],
)
def test_a_wall_clock_time_that_occurs_twice_is_due_at_its_second_occurrence(
    zone: str, shipped: tuple[int, int, int, int, int], first: str, second: str
) -> None:
    policy = AutoConfirmPolicy(days=10, zone=zone)
    year, month, day, hour, minute = shipped
    at = pendulum.datetime(year, month, day, hour, minute, tz=zone)
    due = policy.due_at(at)
    assert due.isoformat() == f"{second}:00+00:00"
    assert not policy.is_due(at, _dt.datetime.fromisoformat(f"{first}:00+00:00"))
    assert not policy.is_due(at, due - _dt.timedelta(microseconds=1))
    assert policy.is_due(at, due)
    local = due.in_tz(zone)
    assert (local.hour, local.minute) == (hour, minute)
    assert local.dst() == _dt.timedelta(0)  # standard time: the later of the two


@given(
    minute=st.integers(0, 59),
    days=st.integers(1, 60),
)
def test_due_instants_in_the_repeated_hour_are_the_later_ones(minute: int, days: int) -> None:
    """Shipped at 02:mm in Berlin ``days`` before 25 October 2026 (in summer time), the parcel
    is due at 02:mm CET on the 25th: an hour after 02:mm CEST, the first occurrence."""
    policy = AutoConfirmPolicy(days=days, zone="Europe/Berlin")
    day = _dt.date(2026, 10, 25) - _dt.timedelta(days=days)
    shipped = pendulum.datetime(day.year, day.month, day.day, 2, minute, tz="Europe/Berlin")
    due = policy.due_at(shipped)
    first = pendulum.datetime(2026, 10, 25, 0, minute, tz="UTC")
    assert due == first + HOUR
