"""Hypothesis strategies for calendars, and a slow minute-by-minute reference to check them.

The generated hours lie between 04:00 and 24:00, so that no DST change in the zones used
(all at 02:00 or 03:00 local time) falls inside them: there the reference's simple rule (a
minute works when its wall time is inside the day's hours) and the calendar's gap and fold
rules agree, and the tests in ``test_dst.py`` cover the changes themselves.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from zoneinfo import ZoneInfo

import attrs
import holidays
from hypothesis import strategies as st

from ecservice.calendar import ChinaHolidays, OpeningHours, Pause, ShopCalendar, WeeklyHours

__all__ = [
    "ZONES",
    "Reference",
    "calendars",
    "interesting_instants",
    "minute_instants",
    "opening_hours",
    "pauses_near",
]

#: Zones without DST and with it, north and south.
ZONES = ("Asia/Shanghai", "UTC", "America/New_York", "Europe/Berlin", "Australia/Sydney")

MINUTE = dt.timedelta(minutes=1)
FIRST_DAY = dt.date(2026, 1, 1)


@st.composite
def opening_hours(draw: st.DrawFn, *, max_intervals: int = 3) -> OpeningHours:
    """Hours of up to ``max_intervals`` intervals between 04:00 and 24:00."""
    count = draw(st.integers(0, max_intervals))
    points = sorted(draw(st.sets(st.integers(240, 1440), min_size=2 * count, max_size=2 * count)))
    return OpeningHours(
        [
            (f"{a // 60:02d}:{a % 60:02d}-{b // 60:02d}:{b % 60:02d}")
            for a, b in zip(points[::2], points[1::2], strict=True)
        ]
    )


@st.composite
def calendars(draw: st.DrawFn, *, min_weekly_minutes: int = 180) -> ShopCalendar:
    """A calendar of random weekly hours, zone, overrides and make-up hours; China's holidays
    or none (predicted years accepted)."""
    days = draw(st.lists(opening_hours(), min_size=7, max_size=7))
    weekly = sum((d.duration for d in days), dt.timedelta()) // MINUTE
    if weekly < min_weekly_minutes:
        days[draw(st.integers(0, 6))] = OpeningHours(["09:00-18:00"])
    overrides = draw(
        st.dictionaries(st.dates(FIRST_DAY, dt.date(2026, 12, 31)), opening_hours(), max_size=5)
    )
    return ShopCalendar(
        zone=draw(st.sampled_from(ZONES)),
        week=WeeklyHours(*days),
        holidays=draw(st.sampled_from([None, ChinaHolidays()])),
        overrides=overrides,
        make_up_hours=draw(st.none() | opening_hours()),
        accept_predicted=True,
    )


def minute_instants(
    low: dt.datetime = dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    high: dt.datetime = dt.datetime(2026, 12, 1, tzinfo=dt.UTC),
) -> st.SearchStrategy[dt.datetime]:
    """Aware UTC instants on whole minutes in ``[low, high]``."""
    span = (high - low) // MINUTE
    return st.integers(0, span).map(lambda m: low + m * MINUTE)


#: The make-up working days (调休上班) and the first days of the breaks of 2026.
SPECIAL_2026 = tuple(
    dt.date(2026, m, d)
    for m, d in ((1, 4), (2, 14), (2, 28), (5, 9), (9, 20), (10, 10), (2, 13), (9, 30))
)


def interesting_instants() -> st.SearchStrategy[dt.datetime]:
    """Whole-minute instants of 2026, half of them within three days before a make-up working
    day or a break, where the statutory rules decide the answer."""
    near = st.tuples(st.sampled_from(SPECIAL_2026), st.integers(0, 3 * 1440)).map(
        lambda p: dt.datetime.combine(p[0], dt.time(), tzinfo=dt.UTC) - p[1] * MINUTE
    )
    return st.one_of(minute_instants(), near)


def pauses_near(start: dt.datetime) -> st.SearchStrategy[list[Pause]]:
    """Up to three pauses on whole minutes, starting within ten days of ``start`` (some
    before it) and lasting up to three days."""
    one = st.tuples(st.integers(-1440, 14400), st.integers(0, 3 * 1440)).map(
        lambda p: Pause(start + p[0] * MINUTE, start + (p[0] + p[1]) * MINUTE)
    )
    return st.lists(one, max_size=3)


@functools.lru_cache(maxsize=64)
def _china(year: int) -> tuple[frozenset[dt.date], frozenset[dt.date]]:
    days = holidays.country_holidays("CN", years=[year, year + 1])
    return (
        frozenset(d for d in days if d.year == year),
        frozenset(d for d in days.weekend_workdays if d.year == year),
    )


@attrs.frozen
class Reference:
    """The slow, obvious reading of a calendar: a minute works when its local wall time is in
    the day's hours and no pause holds it. Instants are on whole minutes."""

    calendar: ShopCalendar

    def hours(self, day: dt.date) -> tuple[tuple[int, int], ...]:
        cal = self.calendar
        for override_day, hours in cal.overrides:
            if override_day == day:
                return hours.minutes
        if cal.holidays is not None:
            off, worked = _china(day.year)
            if day in off:
                return ()
            if day in worked:
                if cal.make_up_hours is not None:
                    return cal.make_up_hours.minutes
                for weekday in cal.week.days[:5]:
                    if not weekday.is_closed:
                        return weekday.minutes
        return cal.week.days[day.weekday()].minutes

    def works(self, minute: dt.datetime, pauses: Sequence[Pause]) -> bool:
        if any(p.start <= minute < p.end for p in pauses):
            return False
        wall = minute.astimezone(ZoneInfo(self.calendar.zone))
        at = wall.hour * 60 + wall.minute
        return any(a <= at < b for a, b in self.hours(wall.date()))

    def add(self, start: dt.datetime, minutes: int, pauses: Sequence[Pause]) -> dt.datetime:
        if minutes == 0:
            return start
        t, counted = start, 0
        for _ in range(200_000):
            if self.works(t, pauses):
                counted += 1
                if counted == minutes:
                    return t + MINUTE
            t += MINUTE
        raise AssertionError("the reference found no due date in 200,000 minutes")

    def elapsed(self, start: dt.datetime, end: dt.datetime, pauses: Sequence[Pause]) -> int:
        total, t = 0, start
        while t < end:
            total += self.works(t, pauses)
            t += MINUTE
        return total
