"""The shop's working calendar: weekly hours, statutory holidays, make-up days and overrides.

>>> import pendulum
>>> cal = ShopCalendar()  # Monday to Friday 09:00-18:00, Asia/Shanghai, China's holidays
>>> friday = pendulum.datetime(2026, 2, 13, 17, 0, tz="Asia/Shanghai")
>>> due = cal.add(friday, pendulum.duration(hours=2))
>>> due.in_tz("Asia/Shanghai").isoformat()  # Saturday 14 February is a make-up working day
'2026-02-14T10:00:00+08:00'
"""

from __future__ import annotations

import datetime as _dt
import types
from collections.abc import Iterable, Mapping
from typing import Final
from zoneinfo import ZoneInfo

import attrs
from pendulum import DateTime

from ecservice.calendar._errors import CalendarNotConfirmed, NoWorkingTime
from ecservice.calendar._hours import CLOSED, OpeningHours, TimeRange, as_hours
from ecservice.calendar._pause import Pause, merge_pauses
from ecservice.calendar._statutory import ChinaHolidays, DayKind, StatutoryDays
from ecservice.calendar._timeline import day_spans, from_micros, local_day, micros
from ecservice.calendar._week import DEFAULT_WEEK, WeeklyHours
from ecservice.clock import DEFAULT_ZONE, check_zone, ensure_utc
from ecservice.errors import EcServiceError, ValidationError

__all__ = ["HORIZON_DAYS", "ShopCalendar"]

#: How many consecutive local days without any working time a search goes through before it
#: raises :exc:`~ecservice.calendar.NoWorkingTime` (five years of 366 days).
HORIZON_DAYS: Final = 5 * 366

_ONE_DAY: Final = _dt.timedelta(days=1)
_CACHE_LIMIT: Final = 50_000


def _check_zone(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    check_zone(value)


def _check_week(instance: object, attribute: attrs.Attribute[WeeklyHours], value: object) -> None:
    if not isinstance(value, WeeklyHours):
        raise ValidationError(f"week must be a WeeklyHours, not {type(value).__name__}")


def _check_holidays(
    instance: object, attribute: attrs.Attribute[StatutoryDays | None], value: object
) -> None:
    if value is not None and not isinstance(value, StatutoryDays):
        raise ValidationError(
            "holidays must be a StatutoryDays source (such as ChinaHolidays()) or None, "
            f"not {type(value).__name__}"
        )


def _check_flag(instance: object, attribute: attrs.Attribute[bool], value: object) -> None:
    if not isinstance(value, bool):
        raise ValidationError(f"{attribute.name} must be True or False, not {value!r}")


def _freeze_overrides(
    value: Mapping[_dt.date, OpeningHours | Iterable[TimeRange]]
    | tuple[tuple[_dt.date, OpeningHours], ...],
) -> tuple[tuple[_dt.date, OpeningHours], ...]:
    if isinstance(value, tuple):  # the stored form, as attrs.evolve passes it back
        value = dict(_pairs(value))
    if not isinstance(value, Mapping):
        raise ValidationError(
            f"overrides are a mapping of datetime.date to OpeningHours, not {type(value).__name__}"
        )
    items = []
    for day, hours in value.items():
        if not isinstance(day, _dt.date) or isinstance(day, _dt.datetime):
            raise ValidationError(f"an override's day must be a datetime.date, not {day!r}")
        items.append((day, as_hours(hours)))
    return tuple(sorted(items, key=lambda item: item[0]))


def _pairs(
    value: tuple[tuple[_dt.date, OpeningHours], ...],
) -> list[tuple[_dt.date, OpeningHours]]:
    if not all(isinstance(item, tuple) and len(item) == 2 for item in value):
        raise ValidationError("overrides are a mapping of datetime.date to OpeningHours")
    return list(value)


def _optional_hours(value: OpeningHours | Iterable[TimeRange] | None) -> OpeningHours | None:
    return None if value is None else as_hours(value)


def _confirmed_years(source: StatutoryDays) -> tuple[int, int]:
    """The source's confirmed years, checked: a source is the shop's code too."""
    first, last = source.first_confirmed, source.last_confirmed
    if type(first) is not int or type(last) is not int or first > last:
        raise ValidationError(
            f"the statutory days source {type(source).__name__} must give first_confirmed and "
            f"last_confirmed as years (int, first <= last), not {first!r:.20} and {last!r:.20}"
        )
    return first, last


def _kind_of(source: StatutoryDays, day: _dt.date) -> DayKind:
    """What ``source`` makes of ``day``, checked: anything but a :class:`DayKind` (or an error
    of the library) is refused rather than read as an ordinary day."""
    try:
        kind = source.kind(day)
    except EcServiceError:
        raise
    except Exception as exc:
        raise ValidationError(
            f"the statutory days source {type(source).__name__} failed on {day.isoformat()}: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    if not isinstance(kind, DayKind):
        raise ValidationError(
            f"the statutory days source {type(source).__name__} must answer a DayKind for "
            f"{day.isoformat()}, not {kind!r:.40}"
        )
    return kind


def _duration(value: _dt.timedelta) -> int:
    if not isinstance(value, _dt.timedelta):
        raise ValidationError(
            f"a duration of working time is a datetime.timedelta, not {type(value).__name__}"
        )
    if value < _dt.timedelta(0):
        raise ValidationError(f"a duration of working time is zero or more, not {value}")
    # pendulum's Duration is a timedelta whose operators differ: read the fields.
    return (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds


@attrs.frozen
class ShopCalendar:
    """The working calendar of a shop, a region or a team (one object each).

    A local day's hours are decided in this order:

    1. an override for the day (a closure, a short day, an extra working day) wins;
    2. a statutory holiday or weekday made a day off (:attr:`DayKind.HOLIDAY
       <ecservice.calendar.DayKind.HOLIDAY>`) is closed;
    3. a make-up working day (调休上班, a Saturday or Sunday) has ``make_up_hours``: by default
       the hours of the first weekday from Monday to Friday that has any (Monday's for almost
       every shop), since the State Council's notices make it an ordinary working day
       ("……上班"); if no weekday has hours, the day's own weekly hours;
    4. any other day has its weekday's hours from ``week``.

    Working time lives on the instant timeline: each day's intervals become UTC instants in
    ``zone`` (see :meth:`working_intervals` for DST gaps and folds), so a 09:00-18:00 day is
    nine real hours on a DST day too, and a day whose hours cross the change is an hour longer
    or shorter. Results are exact to the microsecond. Days of years the holiday source has not
    confirmed raise :exc:`~ecservice.calendar.CalendarNotConfirmed` unless ``accept_predicted``
    is true or the day has an override.

    Args:
        zone: the IANA time zone of the hours (``"Asia/Shanghai"`` by default).
        week: the weekly opening hours; Monday to Friday 09:00-18:00 by default.
        holidays: the statutory days (:class:`~ecservice.calendar.ChinaHolidays` by default),
            or ``None`` for a calendar of weekly hours and overrides only.
        overrides: the shop's own days: a date mapped to its hours (:data:`CLOSED
            <ecservice.calendar.CLOSED>` or an empty list for a closure); they win over
            everything else.
        make_up_hours: the hours of a make-up working day, or ``None`` for the default above.
        accept_predicted: use the holiday source's predictions for years it has not confirmed
            instead of refusing them.

    Raises:
        ValidationError: a zone :func:`~ecservice.clock.check_zone` refuses, or a parameter of the
            wrong type or with bad hours.
    """

    zone: str = attrs.field(default=DEFAULT_ZONE, validator=_check_zone)
    week: WeeklyHours = attrs.field(default=DEFAULT_WEEK, validator=_check_week)
    holidays: StatutoryDays | None = attrs.field(factory=ChinaHolidays, validator=_check_holidays)
    overrides: tuple[tuple[_dt.date, OpeningHours], ...] = attrs.field(
        factory=dict, converter=_freeze_overrides
    )
    make_up_hours: OpeningHours | None = attrs.field(default=None, converter=_optional_hours)
    accept_predicted: bool = attrs.field(default=False, validator=_check_flag)
    _tz: ZoneInfo = attrs.field(init=False, repr=False, eq=False, hash=False)
    _by_day: Mapping[_dt.date, OpeningHours] = attrs.field(
        init=False, repr=False, eq=False, hash=False
    )
    _cache: dict[_dt.date, tuple[tuple[int, int], ...]] = attrs.field(
        init=False, repr=False, eq=False, hash=False, factory=dict
    )

    @_tz.default
    def _tz_default(self) -> ZoneInfo:
        check_zone(self.zone)  # attrs builds defaults before it validates: refuse a bad name first
        return ZoneInfo(self.zone)

    @_by_day.default
    def _by_day_default(self) -> Mapping[_dt.date, OpeningHours]:
        return types.MappingProxyType(dict(self.overrides))

    # --- days ---------------------------------------------------------------------------------

    def _make_up(self, day: _dt.date) -> OpeningHours:
        if self.make_up_hours is not None:
            return self.make_up_hours
        for hours in self.week.days[:5]:
            if not hours.is_closed:
                return hours
        return self.week.on(day.weekday())

    def hours_on(self, day: _dt.date) -> OpeningHours:
        """The opening hours of the local ``day``, by the rules of the class.

        Raises:
            ValidationError: ``day`` is not a :class:`datetime.date`.
            CalendarNotConfirmed: the day's statutory holidays are not confirmed.
        """
        if not isinstance(day, _dt.date) or isinstance(day, _dt.datetime):
            raise ValidationError(
                f"a day is a datetime.date (a local day in {self.zone}), not {type(day).__name__}"
            )
        found = self._by_day.get(day)
        if found is not None:
            return found
        source = self.holidays
        if source is None:
            return self.week.on(day.weekday())
        if not self.accept_predicted:
            first, last = _confirmed_years(source)
            if not first <= day.year <= last:
                raise CalendarNotConfirmed(day, first, last)
        kind = _kind_of(source, day)
        if kind is DayKind.HOLIDAY:
            return CLOSED
        if kind is DayKind.MAKE_UP_WORKDAY:
            return self._make_up(day)
        return self.week.on(day.weekday())

    def is_working_day(self, day: _dt.date) -> bool:
        """Whether the local ``day`` has any working time (hours that fall entirely in a DST
        gap are none).

        Raises:
            ValidationError: ``day`` is not a :class:`datetime.date`.
            CalendarNotConfirmed: the day's statutory holidays are not confirmed.
        """
        return bool(self._spans(day))

    def _spans(self, day: _dt.date) -> tuple[tuple[int, int], ...]:
        found = self._cache.get(day)
        if found is None:
            found = day_spans(self._tz, day, self.hours_on(day).minutes)
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[day] = found
        return found

    def working_intervals(self, day: _dt.date) -> tuple[tuple[DateTime, DateTime], ...]:
        """The working intervals of the local ``day`` as ``(start, end)`` instants in UTC.

        Start inclusive, end exclusive, sorted and disjoint. A wall time that falls in a DST
        fold (clocks set back) is its first occurrence as a start and its last as an end, so
        the interval holds the repeated hour; one in a gap (clocks set forward) is the instant
        the clocks jump. An end of 24:00 is the next day's first instant. Intervals are clipped
        to the day (from its first midnight to the next) and to one another.

        Raises:
            ValidationError: ``day`` is not a :class:`datetime.date`.
            CalendarNotConfirmed: the day's statutory holidays are not confirmed.
        """
        return tuple((from_micros(a), from_micros(b)) for a, b in self._spans(day))

    def is_working_at(self, at: _dt.datetime) -> bool:
        """Whether the instant ``at`` is inside a working interval (pauses aside).

        Raises:
            NaiveDatetime: ``at`` has no time zone.
            ValidationError: ``at`` is not a datetime.
            CalendarNotConfirmed: its day's statutory holidays are not confirmed.
        """
        t = micros(ensure_utc(at, what="at"))
        return any(a <= t < b for a, b in self._spans(local_day(self._tz, t)))

    # --- arithmetic ---------------------------------------------------------------------------

    def _walk(self, start: int, need: int, pauses: tuple[tuple[int, int], ...]) -> int:
        """The earliest instant after ``need`` µs of unpaused working time from ``start``;
        with ``need`` of -1, the first unpaused working instant at or after ``start``."""
        day = local_day(self._tz, start)
        idle_since, idle = day, 0
        index = 0
        while True:
            worked = False
            for low, high in self._spans(day):
                if high <= start:
                    continue
                worked = True
                cursor = max(low, start)
                while cursor < high:
                    while index < len(pauses) and pauses[index][1] <= cursor:
                        index += 1
                    if index < len(pauses) and pauses[index][0] <= cursor:
                        cursor = min(high, pauses[index][1])
                        continue
                    stop = high if index == len(pauses) else min(high, pauses[index][0])
                    if need < 0:
                        return cursor
                    if need <= stop - cursor:
                        return cursor + need
                    need -= stop - cursor
                    cursor = stop
            if worked:
                idle = 0
            else:
                if idle == 0:
                    idle_since = day
                idle += 1
                if idle >= HORIZON_DAYS:
                    raise NoWorkingTime(idle_since, HORIZON_DAYS)
            if day == _dt.date.max:
                raise ValidationError("the calendar cannot count past 9999-12-31")
            day += _ONE_DAY

    def next_working_instant(self, at: _dt.datetime, *, pauses: Iterable[Pause] = ()) -> DateTime:
        """The first instant at or after ``at`` that is working time and not paused.

        Raises:
            NaiveDatetime: ``at`` has no time zone.
            ValidationError: ``at`` or ``pauses`` has the wrong type.
            CalendarNotConfirmed: the search reaches a day that is not confirmed.
            NoWorkingTime: :data:`HORIZON_DAYS` days pass without working time.
        """
        start = micros(ensure_utc(at, what="at"))
        return from_micros(self._walk(start, -1, _pause_micros(pauses)))

    def add(
        self, start: _dt.datetime, duration: _dt.timedelta, *, pauses: Iterable[Pause] = ()
    ) -> DateTime:
        """The earliest instant by which ``duration`` of working time has passed since
        ``start``, not counting ``pauses``: the due date of a service level counted in working
        time. A zero duration gives ``start`` itself; a duration that ends exactly at the end
        of an interval gives that end (18:00, not the next morning).

        ``elapsed(start, add(start, d)) == d``, and ``add(add(start, d1), d2) ==
        add(start, d1 + d2)``, for the same pauses.

        Args:
            start: an aware instant.
            duration: the working time, zero or more, exact to the microsecond.
            pauses: spans that do not count.

        Raises:
            NaiveDatetime: ``start`` has no time zone.
            ValidationError: a negative duration or a value of the wrong type.
            CalendarNotConfirmed: the search reaches a day that is not confirmed.
            NoWorkingTime: :data:`HORIZON_DAYS` days pass without working time.
        """
        begin = ensure_utc(start, what="start")
        need = _duration(duration)
        spans = _pause_micros(pauses)
        if need == 0:
            return begin
        return from_micros(self._walk(micros(begin), need, spans))

    def elapsed(
        self, start: _dt.datetime, end: _dt.datetime, *, pauses: Iterable[Pause] = ()
    ) -> _dt.timedelta:
        """The working time from ``start`` to ``end``, not counting ``pauses``.

        Args:
            start: an aware instant.
            end: an aware instant, not before ``start``.
            pauses: spans that do not count.

        Raises:
            NaiveDatetime: ``start`` or ``end`` has no time zone.
            ValidationError: ``end`` is before ``start``, or a value of the wrong type.
            CalendarNotConfirmed: a day between them is not confirmed.
        """
        a = micros(ensure_utc(start, what="start"))
        b = micros(ensure_utc(end, what="end"))
        paused = _pause_micros(pauses)
        if b < a:
            raise ValidationError(
                f"elapsed working time runs forward: end {from_micros(b).isoformat()} is "
                f"before start {from_micros(a).isoformat()}"
            )
        total = 0
        if a == b:
            return _dt.timedelta(0)
        day, last = local_day(self._tz, a), local_day(self._tz, b - 1)
        index = 0
        while True:
            for low, high in self._spans(day):
                low, high = max(low, a), min(high, b)
                if high <= low:
                    continue
                total += high - low
                while index < len(paused) and paused[index][1] <= low:
                    index += 1
                probe = index
                while probe < len(paused) and paused[probe][0] < high:
                    total -= max(0, min(high, paused[probe][1]) - max(low, paused[probe][0]))
                    probe += 1
            if day == last:
                break
            day += _ONE_DAY
        return _dt.timedelta(microseconds=total)


def _pause_micros(pauses: Iterable[Pause]) -> tuple[tuple[int, int], ...]:
    return tuple((micros(a), micros(b)) for a, b in merge_pauses(pauses))
