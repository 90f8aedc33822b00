"""The rolling windows of rating reports: whole days of the shop's zone before today."""

from __future__ import annotations

from typing import Final

from pendulum import DateTime

from ecservice.aftersales import report_window as shared_window

__all__ = ["GOOD_RATE_WINDOWS", "report_window"]

#: The windows, in days, of the good-review rates a shop page shows: the last week, month and
#: six months (淘宝 信用评价展示: 最近1周, 最近1个月, 最近6个月).
GOOD_RATE_WINDOWS: Final[tuple[int, ...]] = (7, 30, 180)


def report_window(now: DateTime, zone_name: str, days: object) -> tuple[DateTime, DateTime]:
    """``(start, end)`` in UTC: the ``days`` whole local days before the day of ``now`` in
    ``zone_name`` (the convention of :func:`ecservice.aftersales.aftersales_report`); ``start``
    included, ``end`` (the first instant of today) excluded.

    Raises:
        ValidationError: ``days`` is not an ``int`` from 1 to
            :data:`~ecservice.aftersales.MAX_REPORT_DAYS`, an unknown zone, or a window outside
            the years 1 to 9999.
    """
    _, _, start, end = shared_window(now, zone_name, days)
    return start, end
