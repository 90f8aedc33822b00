"""The instant timeline: local wall-clock intervals as exact UTC microseconds.

Instants are counted internally as whole microseconds since 1970-01-01T00:00Z (an ``int``), so
every sum and difference is exact. A local wall time becomes an instant by :pep:`495`:

* an ordinary wall time has one instant;
* a wall time in a fold (clocks set back) has two: a start of an interval takes the first, an
  end the last, so the interval holds the repeated time in full;
* a wall time in a gap (clocks set forward) never happened: it becomes the instant the clocks
  jump, for a start and an end alike (the shop opens when its clock passes the time).

A local day covers the instants from its first midnight (the first occurrence, or the end of a
gap) to the next day's; a day's intervals are clipped to it, and to one another, so days and
intervals never overlap.
"""

from __future__ import annotations

import datetime as _dt
from typing import Final
from zoneinfo import ZoneInfo

from pendulum import DateTime

from ecservice.clock import UTC
from ecservice.errors import ValidationError

__all__ = ["day_spans", "day_start", "from_micros", "local_day", "micros"]

_US: Final = 1_000_000
_DAY_US: Final = 86_400 * _US
_EPOCH_ORDINAL: Final = _dt.date(1970, 1, 1).toordinal()
_MIN_US: Final = (1 - _EPOCH_ORDINAL) * _DAY_US
_MAX_US: Final = (_dt.date.max.toordinal() + 1 - _EPOCH_ORDINAL) * _DAY_US


def micros(value: DateTime) -> int:
    """The instant ``value`` (a pendulum DateTime in UTC) in microseconds since the epoch."""
    return (
        (value.toordinal() - _EPOCH_ORDINAL) * 86_400
        + value.hour * 3600
        + value.minute * 60
        + value.second
    ) * _US + value.microsecond


def from_micros(value: int) -> DateTime:
    """The pendulum DateTime in UTC of ``value`` microseconds since the epoch.

    Raises:
        ValidationError: the instant is outside the years 1 to 9999.
    """
    if not _MIN_US <= value < _MAX_US:
        raise ValidationError("the instant is outside the years 1 to 9999 in UTC")
    days, rest = divmod(value, _DAY_US)
    seconds, micro = divmod(rest, _US)
    day = _dt.date.fromordinal(days + _EPOCH_ORDINAL)
    hour, seconds = divmod(seconds, 3600)
    minute, second = divmod(seconds, 60)
    return DateTime(day.year, day.month, day.day, hour, minute, second, micro, tzinfo=UTC)


def _wall(day: _dt.date, minute: int) -> int:
    """The wall time ``minute`` minutes after midnight of ``day``, read as if it were UTC."""
    return (day.toordinal() - _EPOCH_ORDINAL) * _DAY_US + minute * 60 * _US


def _offset(tz: ZoneInfo, instant: int) -> int:
    """The zone's UTC offset at ``instant``, in microseconds."""
    moment = _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC) + _dt.timedelta(microseconds=instant)
    offset = moment.astimezone(tz).utcoffset()
    assert offset is not None  # a ZoneInfo always gives one
    return offset // _dt.timedelta(microseconds=1)


def _instant(tz: ZoneInfo, day: _dt.date, minute: int, *, last: bool) -> int:
    """The instant of a wall time (see the module's rules); ``last`` picks a fold's second."""
    wall = _wall(day, minute)
    naive = _dt.datetime.combine(day, _dt.time()) + _dt.timedelta(minutes=minute)
    before = naive.replace(tzinfo=tz, fold=0).utcoffset()
    after = naive.replace(tzinfo=tz, fold=1).utcoffset()
    assert before is not None  # a ZoneInfo always gives one
    assert after is not None
    first = wall - before // _dt.timedelta(microseconds=1)
    second = wall - after // _dt.timedelta(microseconds=1)
    if first == second:
        return first
    if first < second:  # a fold: the wall time happened twice
        return second if last else first
    # A gap: the jump is in (second, first]; the offset changes there. Binary search.
    old = before // _dt.timedelta(microseconds=1)
    low, high = second, first  # _offset(low) is the old offset, _offset(high) the new one
    while high - low > 1:
        middle = (low + high) // 2
        if _offset(tz, middle) == old:
            low = middle
        else:
            high = middle
    return high


def day_start(tz: ZoneInfo, day: _dt.date) -> int:
    """The first instant of the local ``day``."""
    return _instant(tz, day, 0, last=False)


def day_spans(
    tz: ZoneInfo, day: _dt.date, minutes: tuple[tuple[int, int], ...]
) -> tuple[tuple[int, int], ...]:
    """The intervals ``minutes`` of the local ``day`` as disjoint, sorted instant spans.

    Raises:
        ValidationError: the day is the last one the calendar can count (9999-12-31).
    """
    if not minutes:
        return ()
    if day == _dt.date.max:
        raise ValidationError("the calendar cannot count past 9999-12-31")
    low = day_start(tz, day)
    high = day_start(tz, day + _dt.timedelta(days=1))
    spans: list[tuple[int, int]] = []
    for start_minute, end_minute in minutes:
        start = _instant(tz, day, start_minute, last=False)
        end = high if end_minute == 24 * 60 else _instant(tz, day, end_minute, last=True)
        start = max(start, low, spans[-1][1] if spans else low)
        end = min(end, high)
        if end > start:
            spans.append((start, end))
    return tuple(spans)


def local_day(tz: ZoneInfo, instant: int) -> _dt.date:
    """The local day whose span holds ``instant``.

    Raises:
        ValidationError: the instant is outside the years 1 to 9999.
    """
    moment = from_micros(instant)
    try:
        day = moment.astimezone(tz).date()
    except OverflowError:
        raise ValidationError("the instant is outside the years 1 to 9999 in the zone") from None
    if day < _dt.date.max and day_start(tz, day + _dt.timedelta(days=1)) <= instant:
        day += _dt.timedelta(days=1)  # a fold across midnight: already in the next day's span
    return day
