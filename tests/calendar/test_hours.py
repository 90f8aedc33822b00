"""Opening hours and weekly hours: parsing, canonical form, and refusals of bad hours."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest

from ecservice.calendar import CLOSED, DEFAULT_WEEK, MAX_INTERVALS, OpeningHours, WeeklyHours
from ecservice.errors import ValidationError


def test_intervals_are_sorted_and_touching_ones_joined() -> None:
    """Order does not matter; 09:00-12:00 and 12:00-13:00 become one interval."""
    hours = OpeningHours(["13:30-18:00", "12:00-13:00", "09:00-12:00"])
    assert hours.intervals == ("09:00-13:00", "13:30-18:00")
    assert hours.minutes == ((540, 780), (810, 1080))
    assert hours.duration == dt.timedelta(hours=8, minutes=30)
    assert hours == OpeningHours(["09:00-13:00", "13:30-18:00"])


def test_time_pairs_and_midnight_end() -> None:
    """Pairs of datetime.time work; an end of 00:00 and '24:00' are the end of the day."""
    pair = OpeningHours([(dt.time(22), dt.time(0))])
    assert pair.intervals == ("22:00-24:00",)
    assert pair == OpeningHours(["22:00-24:00"])
    assert OpeningHours(["00:00-24:00"]).duration == dt.timedelta(days=1)


def test_closed_day() -> None:
    """No intervals is a closed day."""
    assert OpeningHours([]) == CLOSED
    assert CLOSED.is_closed
    assert CLOSED.duration == dt.timedelta(0)
    assert not OpeningHours(["09:00-09:01"]).is_closed


@pytest.mark.parametrize(
    ("intervals", "message"),
    [
        (["18:00-09:00"], "ends before it starts"),
        (["09:00-09:00"], "ends before it starts"),
        (["09:00-12:00", "11:00-13:00"], "must not overlap"),
        (["9:00-12:00"], "HH:MM-HH:MM"),
        (["24:00-24:00"], "not a time of day"),
        (["09:60-10:00"], "not a time of day"),
        (["23:00-24:30"], "not a time of day"),
        ([(dt.time(9, 0, 30), dt.time(10))], "not on a whole minute"),
        ([(dt.time(9, tzinfo=dt.UTC), dt.time(10))], "with a time zone"),
        ([(dt.time(9), "10:00")], "got a str in a pair"),
        ([("09:00", "10:00", "x")], "got a tuple"),
        ([900], "got a int"),
        ("09:00-18:00", "sequence of intervals"),
    ],
)
def test_bad_hours_are_refused(intervals: object, message: str) -> None:
    """Each malformed interval raises ValidationError saying what is allowed."""
    with pytest.raises(ValidationError, match=message):
        OpeningHours(intervals)  # type: ignore[arg-type]


def test_too_many_intervals() -> None:
    """A day has at most MAX_INTERVALS intervals."""
    many = [f"{h:02d}:{m:02d}-{h:02d}:{m + 1:02d}" for h in range(24) for m in range(0, 60, 2)]
    assert len(many) > MAX_INTERVALS
    with pytest.raises(ValidationError, match="at most 96"):
        OpeningHours(many)


def test_hours_are_frozen() -> None:
    """Opening hours cannot be changed after they are built."""
    hours = OpeningHours(["09:00-18:00"])
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        hours.intervals = ()  # type: ignore[misc]


def test_weekly_hours() -> None:
    """Weekdays and every_day fill the days; on() reads them by date.weekday()."""
    week = WeeklyHours.weekdays(["09:00-18:00"])
    assert week == DEFAULT_WEEK
    assert [d.is_closed for d in week.days] == [False] * 5 + [True] * 2
    assert week.on(dt.date(2026, 3, 7).weekday()).is_closed  # a Saturday
    every = WeeklyHours.every_day(OpeningHours(["10:00-22:00"]))
    assert all(d.intervals == ("10:00-22:00",) for d in every.days)
    assert WeeklyHours().is_closed
    assert WeeklyHours(saturday=["10:00-12:00"]).saturday.intervals == ("10:00-12:00",)


@pytest.mark.parametrize("weekday", [-1, 7, True, "0", 1.0])
def test_bad_weekday(weekday: object) -> None:
    """A weekday is an int from 0 to 6."""
    with pytest.raises(ValidationError, match="from 0"):
        DEFAULT_WEEK.on(weekday)  # type: ignore[arg-type]
