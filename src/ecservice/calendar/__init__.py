"""The working calendar (工作日历): when a shop, a region or a team works, and arithmetic in
working time for service-level deadlines.

A :class:`ShopCalendar` combines weekly opening hours (:class:`WeeklyHours` of
:class:`OpeningHours`) in the shop's IANA zone, the statutory holidays and make-up working days
(调休) of mainland China from the ``holidays`` package (:class:`ChinaHolidays`, any other
:class:`StatutoryDays` source, or none), and the shop's own overrides. It follows the
:class:`WorkingCalendar` protocol: :meth:`~ShopCalendar.add` finds a due date,
:meth:`~ShopCalendar.elapsed` measures working time, both on the instant timeline (exact across
DST changes, to the microsecond) and both skipping :class:`Pause` spans. Years whose holidays
are not confirmed by a State Council notice raise :exc:`CalendarNotConfirmed`; a calendar
without working time raises :exc:`NoWorkingTime` after :data:`HORIZON_DAYS` days.
"""

from ecservice.calendar._calendar import HORIZON_DAYS, ShopCalendar
from ecservice.calendar._errors import CalendarNotConfirmed, NoWorkingTime
from ecservice.calendar._hours import CLOSED, MAX_INTERVALS, OpeningHours
from ecservice.calendar._pause import Pause
from ecservice.calendar._protocol import WorkingCalendar
from ecservice.calendar._statutory import (
    CN_FIRST_CONFIRMED_YEAR,
    CN_LAST_CONFIRMED_YEAR,
    ChinaHolidays,
    DayKind,
    StatutoryDays,
)
from ecservice.calendar._week import DEFAULT_WEEK, WeeklyHours

__all__ = [
    "CLOSED",
    "CN_FIRST_CONFIRMED_YEAR",
    "CN_LAST_CONFIRMED_YEAR",
    "DEFAULT_WEEK",
    "HORIZON_DAYS",
    "MAX_INTERVALS",
    "CalendarNotConfirmed",
    "ChinaHolidays",
    "DayKind",
    "NoWorkingTime",
    "OpeningHours",
    "Pause",
    "ShopCalendar",
    "StatutoryDays",
    "WeeklyHours",
    "WorkingCalendar",
]
