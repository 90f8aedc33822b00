"""Invariants of working-time arithmetic, and agreement with a minute-by-minute reference."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecservice.calendar import Pause, ShopCalendar
from tests.calendar.calendars import (
    MINUTE,
    Reference,
    calendars,
    interesting_instants,
    pauses_near,
)

US = dt.timedelta(microseconds=1)
CHINA = ShopCalendar()  # Monday to Friday 09:00-18:00 in Shanghai, China's holidays

#: Instants (to the microsecond) whose due dates stay within the confirmed years.
instants = st.datetimes(
    dt.datetime(2025, 1, 1), dt.datetime(2026, 10, 15), timezones=st.just(dt.UTC)
)
#: Durations up to 150 working hours, to the microsecond.
durations = st.integers(0, 150 * 3600 * 10**6).map(lambda n: n * US)


def micro_pauses(start: dt.datetime) -> st.SearchStrategy[list[Pause]]:
    """Up to three pauses, to the microsecond, within ten days of ``start``."""
    one = st.tuples(
        st.integers(-86_400 * 10**6, 10 * 86_400 * 10**6), st.integers(0, 3 * 86_400 * 10**6)
    ).map(lambda p: Pause(start + p[0] * US, start + (p[0] + p[1]) * US))
    return st.lists(one, max_size=3)


@given(st.data(), instants, durations)
def test_elapsed_undoes_add(data: st.DataObject, start: dt.datetime, d: dt.timedelta) -> None:
    """elapsed(a, add(a, d)) == d, with and without pauses."""
    pauses = data.draw(micro_pauses(start))
    due = CHINA.add(start, d, pauses=pauses)
    assert due >= start
    assert CHINA.elapsed(start, due, pauses=pauses) == d
    assert CHINA.elapsed(start, due) >= d
    if d:  # the earliest such instant: the microsecond before it is still needed
        assert CHINA.elapsed(start, due - US, pauses=pauses) == d - US


@given(st.data(), instants, durations, durations)
def test_add_is_additive(
    data: st.DataObject, start: dt.datetime, d1: dt.timedelta, d2: dt.timedelta
) -> None:
    """add(add(a, d1), d2) == add(a, d1 + d2), with the same pauses."""
    pauses = data.draw(micro_pauses(start))
    middle = CHINA.add(start, d1, pauses=pauses)
    assert CHINA.add(middle, d2, pauses=pauses) == CHINA.add(start, d1 + d2, pauses=pauses)


@given(instants, instants, durations, durations)
def test_add_is_monotonic(
    a1: dt.datetime, a2: dt.datetime, d1: dt.timedelta, d2: dt.timedelta
) -> None:
    """A later start or a longer duration never gives an earlier due date."""
    a1, a2 = min(a1, a2), max(a1, a2)
    d1, d2 = min(d1, d2), max(d1, d2)
    assert CHINA.add(a1, d1) <= CHINA.add(a1, d2)
    assert CHINA.add(a1, d1) <= CHINA.add(a2, d1)


@given(st.lists(instants, min_size=3, max_size=3))
def test_elapsed_adds_up_and_is_bounded(points: list[dt.datetime]) -> None:
    """elapsed(a, b) + elapsed(b, c) == elapsed(a, c), and never more than c - a."""
    a, b, c = sorted(points)
    if c - a > dt.timedelta(days=120):
        c = a + dt.timedelta(days=120)
        b = min(b, c)
    total = CHINA.elapsed(a, c)
    assert CHINA.elapsed(a, b) + CHINA.elapsed(b, c) == total
    assert dt.timedelta(0) <= total <= c - a


@given(st.data(), calendars(), st.integers(0, 100 * 3600 * 10**6))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_random_calendars_keep_the_invariants(
    data: st.DataObject, cal: ShopCalendar, micros: int
) -> None:
    """The same invariants on random weekly hours, zones (with DST), overrides and pauses."""
    start = data.draw(instants.filter(lambda t: t.year == 2026))
    pauses = data.draw(micro_pauses(start))
    d = micros * US
    due = cal.add(start, d, pauses=pauses)
    assert cal.elapsed(start, due, pauses=pauses) == d
    half = cal.add(start, d / 2 // US * US, pauses=pauses)
    assert start <= half <= due
    assert cal.add(half, d - (d / 2 // US * US), pauses=pauses) == due


@given(st.data(), calendars(), interesting_instants(), st.integers(0, 480))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_add_agrees_with_the_reference(
    data: st.DataObject, cal: ShopCalendar, start: dt.datetime, minutes: int
) -> None:
    """add() gives the instant the minute-by-minute reference finds."""
    pauses = data.draw(pauses_near(start))
    expected = Reference(cal).add(start, minutes, pauses)
    assert cal.add(start, minutes * MINUTE, pauses=pauses) == expected


@given(st.data(), calendars(), interesting_instants(), st.integers(0, 10 * 1440))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_elapsed_agrees_with_the_reference(
    data: st.DataObject, cal: ShopCalendar, start: dt.datetime, span: int
) -> None:
    """elapsed() counts the working minutes the reference counts; is_working_at agrees too."""
    pauses = data.draw(pauses_near(start))
    end = start + span * MINUTE
    reference = Reference(cal)
    assert cal.elapsed(start, end, pauses=pauses) == reference.elapsed(start, end, pauses) * MINUTE
    assert cal.is_working_at(start) == reference.works(start, ())


@given(st.data(), calendars(), interesting_instants(), st.integers(0, 20))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_due_dates_land_on_interval_ends(
    data: st.DataObject, cal: ShopCalendar, start: dt.datetime, days_later: int
) -> None:
    """Working time that runs out exactly at the end of an interval is due at that end, not at
    the start of the next interval; and an interval's start is where its time begins."""
    day = start.astimezone(ZoneInfo(cal.zone)).date() + dt.timedelta(days=days_later)
    for low, high in cal.working_intervals(day):
        if high <= start:
            continue
        assert cal.add(start, cal.elapsed(start, high), pauses=[]) == high
        if low > start:
            # Generated intervals never touch: the microsecond before one is not working time.
            assert cal.next_working_instant(low - US) == low
            assert cal.add(start, cal.elapsed(start, low) + US) == low + US
