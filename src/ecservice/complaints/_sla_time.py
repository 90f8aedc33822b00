"""Time on a target's basis: business time on the calendar, real time, or working days.

>>> import datetime as dt, pendulum
>>> from ecservice.calendar import ShopCalendar
>>> friday = pendulum.datetime(2026, 2, 13, 16, 30, tz="Asia/Shanghai")
>>> due = add_time(ShopCalendar(), friday, dt.timedelta(days=3), TimeBasis.WORKING_DAYS)
>>> due.in_tz("Asia/Shanghai").isoformat()  # 14 (make-up day), 24, 25 February
'2026-02-25T18:00:00+08:00'
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Sequence
from typing import Final

from pendulum import DateTime

from ecservice._shown import shown
from ecservice.calendar import HORIZON_DAYS, NoWorkingTime, Pause, WorkingCalendar
from ecservice.clock import check_zone, ensure_utc
from ecservice.clock import zone as _zone
from ecservice.complaints._sla_rules import TimeBasis
from ecservice.errors import ValidationError

__all__ = ["add_time"]

_ZERO: Final = _dt.timedelta(0)
_ONE_DAY: Final = _dt.timedelta(days=1)


def _close_of_working_day(
    calendar: WorkingCalendar, start: DateTime, days: int, zone: str
) -> DateTime:
    """The end of the last working interval of the ``days``-th working day after the local day
    of ``start`` (Civil Code art. 201, 203)."""
    day = start.in_tz(_zone(zone)).date()
    idle = 0
    while True:
        day += _ONE_DAY
        if calendar.is_working_day(day):
            idle = 0
            days -= 1
            if days == 0:
                return ensure_utc(calendar.working_intervals(day)[-1][1])
        else:
            idle += 1
            if idle >= HORIZON_DAYS:
                raise NoWorkingTime(day - (idle - 1) * _ONE_DAY, HORIZON_DAYS)


def check_given_zone(calendar: object, zone: object) -> str | None:
    """``zone`` once checked (``None``: not given, the calendar's own zone applies).

    A given ``zone`` must agree with the calendar's ``zone`` attribute if the calendar has
    one: a calendar's working days are the local days of its own zone, and counting them in
    another zone would move deadlines by a day.

    Raises:
        ValidationError: ``zone`` is not a name :func:`~ecservice.clock.check_zone` accepts,
            or differs from ``calendar.zone``.
    """
    if zone is None:
        return None
    name = check_zone(zone)
    own = getattr(calendar, "zone", None)
    if own is not None and own != name:
        raise ValidationError(
            f"zone {name!r} differs from the calendar's zone {shown(own)}: the calendar's "
            "working days are the local days of its own zone; leave zone out or pass the same"
        )
    return name


def _real_add(start: DateTime, duration: _dt.timedelta, pauses: Sequence[Pause]) -> DateTime:
    cursor, need = start, duration
    for pause in pauses:
        if pause.end <= cursor:
            continue
        if pause.start > cursor:
            gap = pause.start - cursor
            if need <= gap:
                return ensure_utc(cursor + need)
            need -= gap
        cursor = max(cursor, pause.end)
    return ensure_utc(cursor + need)


def add_time(
    calendar: WorkingCalendar,
    start: _dt.datetime,
    duration: _dt.timedelta,
    basis: TimeBasis,
    *,
    pauses: Iterable[Pause] = (),
    zone: str | None = None,
) -> DateTime:
    """The instant ``duration`` after ``start`` counted on ``basis``, not counting ``pauses``.

    * business time: ``calendar.add(start, duration, pauses=pauses)``;
    * calendar time: the instant at which ``duration`` of real time outside the pauses has
      passed (``start + duration`` plus the paused time before it);
    * working days (``duration`` of whole days, N): the close of business of the N-th working
      day after the local day of ``start`` (Civil Code art. 201, 203); pauses move it by the
      working time they cover: the result is ``calendar.add(start, w, pauses=pauses)`` where
      ``w`` is the working time from ``start`` to that close.

    Args:
        calendar: the working calendar.
        start: an aware instant.
        duration: zero or more.
        basis: how ``duration`` is counted.
        pauses: spans that do not count.
        zone: the IANA zone name of the calendar's local days, for working days; by default
            the calendar's ``zone`` attribute. Checked whenever it is given, whatever the
            basis; if the calendar has a ``zone`` attribute, it must be the same name.

    Raises:
        NaiveDatetime: ``start`` has no time zone.
        ValidationError: a value of the wrong type, a negative duration, a ``zone`` that
            :func:`~ecservice.clock.check_zone` refuses or that differs from the calendar's
            ``zone``, or working days on a calendar without a ``zone`` when none is given.
        CalendarNotConfirmed: a day reached is not confirmed.
        NoWorkingTime: the calendar has no working time within its horizon.
    """
    begin = ensure_utc(start, what="start")
    given = check_given_zone(calendar, zone)
    if not isinstance(duration, _dt.timedelta) or duration < _ZERO:
        raise ValidationError(f"a duration is a timedelta of zero or more, not {shown(duration)}")
    spans = sorted(pauses, key=lambda p: (p.start, p.end))
    if basis is TimeBasis.BUSINESS:
        return calendar.add(begin, duration, pauses=spans)
    if basis is TimeBasis.CALENDAR:
        return _real_add(begin, duration, spans)
    if basis is not TimeBasis.WORKING_DAYS:
        raise ValidationError(f"a basis is a TimeBasis, not {shown(basis)}")
    if duration.seconds or duration.microseconds:
        raise ValidationError(f"working days are a whole number of days, not {duration}")
    if duration == _ZERO:
        return begin
    own = getattr(calendar, "zone", None)
    if given is None and own is None:
        raise ValidationError(
            "counting working days needs the calendar's zone, and this calendar has no zone "
            "attribute: pass zone= (an IANA name such as 'Asia/Shanghai')"
        )
    name = given if given is not None else check_zone(own, "calendar.zone")
    close = _close_of_working_day(calendar, begin, duration.days, name)
    return calendar.add(begin, calendar.elapsed(begin, close), pauses=spans)
