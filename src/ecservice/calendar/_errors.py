"""Errors of the working calendar: a day it cannot vouch for, a calendar without working time."""

from __future__ import annotations

import datetime as _dt

from ecservice.errors import ValidationError

__all__ = ["CalendarNotConfirmed", "NoWorkingTime"]


class CalendarNotConfirmed(ValidationError):
    """A computation needs a day whose statutory holidays are not confirmed yet.

    China's holidays and make-up working days (调休) of a year are set by a notice of the General
    Office of the State Council, published in the autumn of the year before; the dates the
    ``holidays`` package gives for later years are predictions without make-up days. Nothing was
    computed. Accept predicted years explicitly (``accept_predicted=True``), give the day its
    own hours in the calendar's ``overrides``, or supply the year's days (``added`` of
    :class:`~ecservice.calendar.ChinaHolidays`) and raise ``confirmed_through``.

    Args:
        day: the local day that is not confirmed.
        first: the first confirmed year.
        last: the last confirmed year.
    """

    def __init__(self, day: _dt.date, first: int, last: int) -> None:
        self.day = day
        self.first = first
        self.last = last
        super().__init__(
            f"the statutory holidays of {day.isoformat()} are not confirmed: confirmed years "
            f"are {first} to {last}; pass accept_predicted=True to use the predicted days, "
            "give the day its hours in overrides, or supply the year's notice"
        )

    __module__ = "ecservice.calendar"  # shown in tracebacks as the public name


class NoWorkingTime(ValidationError):
    """The calendar has no working time within its horizon: the due date cannot be found.

    Raised when :data:`~ecservice.calendar.HORIZON_DAYS` consecutive local days pass without a
    working minute (a week with no opening hours, or closures only). Nothing was computed.

    Args:
        since: the first local day of the search without working time.
        days: how many consecutive days were searched.
    """

    def __init__(self, since: _dt.date, days: int) -> None:
        self.since = since
        self.days = days
        super().__init__(
            f"the calendar has no working time in the {days} days from {since.isoformat()}: "
            "give it opening hours on some weekday or an override with hours"
        )

    __module__ = "ecservice.calendar"  # shown in tracebacks as the public name
