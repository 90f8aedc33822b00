"""The working calendar's static types, checked by ``mypy --strict tests/typing``."""

from __future__ import annotations

import datetime as _dt
from typing import assert_type

import pendulum
from pendulum import DateTime

from ecservice.calendar import DayKind, OpeningHours, Pause, ShopCalendar, WorkingCalendar


def test_calendar_types() -> None:
    calendar = ShopCalendar()
    start = pendulum.datetime(2026, 3, 2, 10, tz="Asia/Shanghai")
    pause = Pause(start, start.add(hours=1))
    assert_type(calendar.add(start, _dt.timedelta(hours=1)), DateTime)
    assert_type(calendar.add(start, _dt.timedelta(hours=1), pauses=[pause]), DateTime)
    assert_type(calendar.elapsed(start, start.add(days=1)), _dt.timedelta)
    assert_type(
        calendar.working_intervals(_dt.date(2026, 3, 2)), tuple[tuple[DateTime, DateTime], ...]
    )
    assert_type(calendar.is_working_day(_dt.date(2026, 2, 14)), bool)
    assert_type(calendar.hours_on(_dt.date(2026, 2, 14)), OpeningHours)
    assert calendar.holidays is not None
    assert_type(calendar.holidays.kind(_dt.date(2026, 2, 14)), DayKind)
    protocol: WorkingCalendar = calendar
    assert_type(protocol.next_working_instant(start), DateTime)
