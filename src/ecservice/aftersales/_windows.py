"""Windows counted in days from the day after an event, in the shop's time zone.

A window of ``n`` days opened by an event (the buyer signing for a parcel) does not count the
day of the event: it starts at the first instant of the next local day and, counted in
calendar days (:attr:`WindowCounting.CALENDAR_DAYS`), ends at the first instant of the local
day ``n + 1`` days after the event's day. That instant is the end, exclusive: a request at
the end itself is late, one microsecond earlier is in time. This is the Civil Code's rule for
periods counted in days (民法典 art. 201: the starting day is not counted; art. 203: the last
day ends at 24:00), which the Interim Measures for 7-day No-reason Returns of Goods Bought
Online (网络购买商品七日无理由退货暂行办法, 2017) apply to the no-reason return: "七日期间自消费者
签收商品的次日开始起算".

Counted in calendar days, a window that spans a DST change is one hour shorter or longer than
``n`` x 24 hours. Taobao's rules instead count 168 hours for 7 days from 00:00 of the day after
sign-for (淘宝网七天无理由退货规范: "自物流显示签收商品的次日零时开始起算，满168小时为7天"):
:attr:`WindowCounting.ELAPSED_DAYS` counts that way. In zones without DST both give the same
instant.

The first instant of a local day is found with :pep:`495`'s ``fold=0``: where midnight falls in a
DST gap (America/Santiago, for example) the day starts at the end of the gap; where it is
repeated, at its first occurrence.

>>> import pendulum
>>> signed = pendulum.datetime(2026, 11, 11, 15, 20, tz="Asia/Shanghai")
>>> window_end(signed, 7, "Asia/Shanghai").in_tz("Asia/Shanghai").isoformat()
'2026-11-19T00:00:00+08:00'
"""

from __future__ import annotations

import datetime as _dt

from pendulum import DateTime

from ecservice.clock import UTC, ensure_utc
from ecservice.clock import zone as _zone
from ecservice.errors import ValidationError
from ecservice.workflow import LabelledState

__all__ = ["WindowCounting", "day_start", "window_end"]


class WindowCounting(LabelledState):
    """How the days of a window are counted once it has started (the day after the event)."""

    #: Calendar days in the shop's zone; the window ends at local midnight (Civil Code art. 201
    #: and 203). Across a DST change a window is an hour shorter or longer.
    CALENDAR_DAYS = ("calendar_days", "Calendar days", "自然日")
    #: Days of 24 hours from the first local midnight (Taobao's rule, 7 days are 168 hours).
    ELAPSED_DAYS = ("elapsed_days", "Days of 24 hours", "满24小时为一日")


def day_start(day: _dt.date, zone: str) -> DateTime:
    """The first instant of the local ``day`` in ``zone``, in UTC.

    Raises:
        ValidationError: a zone :func:`~ecservice.clock.check_zone` refuses, or a day outside the
            calendar once in UTC.
    """
    tz = _zone(zone)
    local = _dt.datetime(day.year, day.month, day.day, tzinfo=tz, fold=0)
    return ensure_utc(local, what="the start of the day")


def window_end(
    event: _dt.datetime,
    days: int,
    zone: str,
    counting: WindowCounting = WindowCounting.CALENDAR_DAYS,
) -> DateTime:
    """The end (exclusive) of a window of ``days`` days opened by ``event``, in UTC.

    Args:
        event: when the window's event happened (the sign-for time); an aware datetime.
        days: the window's length in days, a whole number of at least 1.
        zone: the shop's IANA time zone, in which days are counted.
        counting: calendar days (the default) or days of 24 hours.

    Raises:
        NaiveDatetime: ``event`` has no time zone.
        ValidationError: a zone :func:`~ecservice.clock.check_zone` refuses, or an end past the year
            9999.
    """
    local_day = ensure_utc(event, what="the event").in_tz(_zone(zone)).date()
    try:
        if counting is WindowCounting.CALENDAR_DAYS:
            return day_start(local_day + _dt.timedelta(days=days + 1), zone)
        first = day_start(local_day + _dt.timedelta(days=1), zone)
        end = first + _dt.timedelta(days=days)
    except OverflowError:
        raise ValidationError(
            f"a window of {days} days from {event.isoformat()} ends past the year 9999"
        ) from None
    return DateTime(
        end.year, end.month, end.day, end.hour, end.minute, end.second, end.microsecond, tzinfo=UTC
    )
