"""Opening hours of one local day: whole-minute intervals of wall-clock time.

>>> OpeningHours(["13:30-18:00", "09:00-12:00"])
OpeningHours(intervals=('09:00-12:00', '13:30-18:00'))
>>> OpeningHours(["09:00-12:00", "13:30-18:00"]).duration
datetime.timedelta(seconds=27000)
>>> OpeningHours(["22:00-24:00"]).minutes
((1320, 1440),)
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterable
from typing import Final

import attrs

from ecservice.errors import ValidationError

__all__ = ["CLOSED", "MAX_INTERVALS", "OpeningHours", "TimeRange"]

#: Most intervals one day's opening hours may have (one per quarter of an hour).
MAX_INTERVALS: Final = 96

_MINUTES_PER_DAY: Final = 24 * 60
_RANGE = re.compile(r"(\d{2}):(\d{2})-(\d{2}):(\d{2})")
_ALLOWED = (
    "an interval is 'HH:MM-HH:MM' (end after start, whole minutes, '24:00' for midnight at the "
    "end of the day) or a pair of naive datetime.time on whole minutes (an end of 00:00 is "
    "midnight at the end of the day)"
)

#: An interval as the constructor accepts it: ``"09:00-18:00"`` or ``(time(9), time(18))``.
TimeRange = str | tuple[_dt.time, _dt.time]


def _minute_of(value: _dt.time, *, end: bool) -> int:
    if not isinstance(value, _dt.time):
        raise ValidationError(f"{_ALLOWED}; got a {type(value).__name__} in a pair")
    if value.tzinfo is not None:
        raise ValidationError(
            f"{_ALLOWED}; got {value.isoformat()} with a time zone (the calendar's zone applies)"
        )
    if value.second or value.microsecond:
        raise ValidationError(f"{_ALLOWED}; got {value.isoformat()}, not on a whole minute")
    minute = value.hour * 60 + value.minute
    return _MINUTES_PER_DAY if end and minute == 0 else minute


def _parse(item: TimeRange) -> tuple[int, int]:
    if isinstance(item, str):
        match = _RANGE.fullmatch(item.strip()) if len(item) <= 32 else None
        if match is None:
            raise ValidationError(f"{_ALLOWED}; got {item[:32]!r}")
        sh, sm, eh, em = (int(g) for g in match.groups())
        if sh > 23 or sm > 59 or em > 59 or eh > 24 or (eh == 24 and em):
            raise ValidationError(f"{_ALLOWED}; got {item!r}, not a time of day")
        start, stop = sh * 60 + sm, eh * 60 + em
    elif isinstance(item, tuple) and len(item) == 2:
        start, stop = _minute_of(item[0], end=False), _minute_of(item[1], end=True)
    else:
        raise ValidationError(f"{_ALLOWED}; got a {type(item).__name__}")
    if stop <= start:
        raise ValidationError(
            f"{_ALLOWED}; got {_text((start, stop))}, which ends before it starts"
        )
    return start, stop


def _text(span: tuple[int, int]) -> str:
    (sh, sm), (eh, em) = divmod(span[0], 60), divmod(span[1], 60)
    return f"{sh:02d}:{sm:02d}-{eh:02d}:{em:02d}"


def _normalise(value: Iterable[TimeRange]) -> tuple[str, ...]:
    """Check and sort the intervals; touching ones are joined. Raises ValidationError."""
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise ValidationError(
            f"opening hours are a sequence of intervals such as ['09:00-12:00', '13:30-18:00'], "
            f"not a {type(value).__name__}"
        )
    spans: list[tuple[int, int]] = []
    for item in value:
        spans.append(_parse(item))
        if len(spans) > MAX_INTERVALS:
            raise ValidationError(f"a day has at most {MAX_INTERVALS} opening intervals")
    spans.sort()
    joined: list[tuple[int, int]] = []
    for start, stop in spans:
        if joined and start < joined[-1][1]:
            raise ValidationError(
                f"opening intervals must not overlap: {_text(joined[-1])} and "
                f"{_text((start, stop))} do"
            )
        if joined and start == joined[-1][1]:
            joined[-1] = (joined[-1][0], stop)
        else:
            joined.append((start, stop))
    return tuple(_text(span) for span in joined)


@attrs.frozen
class OpeningHours:
    """The opening hours of one local day, in the calendar's zone: wall-clock intervals.

    Intervals are on whole minutes, end after they start and do not overlap; they are kept
    sorted, and touching intervals (``09:00-12:00`` and ``12:00-13:00``) are joined. No
    intervals means closed (:data:`CLOSED`). An interval ends at its end minute, exclusive:
    ``09:00-18:00`` includes 17:59:59.999999 and not 18:00. How wall times in a daylight-saving
    gap or fold become instants is described by :class:`~ecservice.calendar.ShopCalendar`.

    Args:
        intervals: the intervals, each ``"HH:MM-HH:MM"`` (``"24:00"`` ends at midnight) or a
            pair of naive :class:`datetime.time` on whole minutes (an end of ``time(0)`` is
            midnight at the end of the day); at most :data:`MAX_INTERVALS`.

    Raises:
        ValidationError: an interval is malformed, not on whole minutes, ends before it starts
            or overlaps another.
    """

    intervals: tuple[str, ...] = attrs.field(converter=_normalise, default=())
    _minutes: tuple[tuple[int, int], ...] = attrs.field(
        init=False, repr=False, eq=False, hash=False
    )

    @_minutes.default
    def _minutes_default(self) -> tuple[tuple[int, int], ...]:
        return tuple(_span(text) for text in self.intervals)

    @property
    def minutes(self) -> tuple[tuple[int, int], ...]:
        """The intervals as ``(start, end)`` minutes since local midnight (end up to 1440)."""
        return self._minutes

    @property
    def is_closed(self) -> bool:
        """Whether the day has no opening interval."""
        return not self._minutes

    @property
    def duration(self) -> _dt.timedelta:
        """The total length of the intervals by the wall clock (a DST change may alter the
        real time, see :meth:`ShopCalendar.working_intervals
        <ecservice.calendar.ShopCalendar.working_intervals>`)."""
        return _dt.timedelta(minutes=sum(stop - start for start, stop in self._minutes))


def _span(text: str) -> tuple[int, int]:
    sh, sm, eh, em = (int(text[i : i + 2]) for i in (0, 3, 6, 9))
    return sh * 60 + sm, eh * 60 + em


#: A closed day: no opening intervals.
CLOSED: Final = OpeningHours(())


def as_hours(value: OpeningHours | Iterable[TimeRange]) -> OpeningHours:
    """``value`` if it is :class:`OpeningHours`, else the hours its intervals give."""
    return value if isinstance(value, OpeningHours) else OpeningHours(value)
