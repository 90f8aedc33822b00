"""Time: an injectable clock and helpers that keep every instant timezone-aware and in UTC.

Domain code never reads the system time itself; it asks a :class:`Clock`. Production code passes
:data:`SYSTEM_CLOCK`; tests pass a :class:`FixedClock` and move it forward, so nothing sleeps.

>>> clock = FixedClock(pendulum.datetime(2026, 11, 11, 8, 0, tz="Asia/Shanghai"))
>>> clock.now().isoformat()
'2026-11-11T00:00:00+00:00'
>>> clock.advance(days=1).isoformat()
'2026-11-12T00:00:00+00:00'
"""

from __future__ import annotations

import datetime as _dt
import functools
from typing import Final, Protocol, final, runtime_checkable

import pendulum
from pendulum import DateTime

from ecservice.errors import NaiveDatetime, ValidationError

__all__ = [
    "DEFAULT_ZONE",
    "SYSTEM_CLOCK",
    "UTC",
    "Clock",
    "FixedClock",
    "SystemClock",
    "ensure_utc",
    "zone",
]

#: The time zone shops run in unless they say otherwise (China Standard Time).
DEFAULT_ZONE = "Asia/Shanghai"


UTC: Final = pendulum.UTC


#: Longest time zone name accepted (the longest IANA name has 32 characters).
_MAX_ZONE_NAME: Final = 64


def zone(name: str) -> pendulum.Timezone:
    """Return the IANA time zone ``name`` (cached: the same object for the same name).

    Raises:
        ValidationError: ``name`` is not a str, is a fixed offset such as ``"+08:00"``, or is not
            a zone of the IANA time zone database.
    """
    if not isinstance(name, str):
        raise ValidationError(
            f"a time zone must be an IANA name (str) such as 'Asia/Shanghai', "
            f"not {type(name).__name__}"
        )
    if len(name) > _MAX_ZONE_NAME:
        raise ValidationError(
            f"unknown time zone {name[:_MAX_ZONE_NAME]!r}... ({len(name)} characters): "
            "use an IANA name such as 'Asia/Shanghai' or 'UTC'"
        )
    return _zone(name)


@functools.cache
def _zone(name: str) -> pendulum.Timezone:
    try:
        tz = pendulum.timezone(name)
    except Exception:  # pendulum raises several types for unknown names
        raise ValidationError(
            f"unknown time zone {name!r}: use an IANA name such as 'Asia/Shanghai' or 'UTC'"
        ) from None
    if not isinstance(tz, pendulum.Timezone):  # a fixed offset has no rules for DST
        raise ValidationError(f"time zone {name!r} must be an IANA zone name, not an offset")
    return tz


def ensure_utc(value: _dt.datetime, *, what: str = "datetime") -> DateTime:
    """Convert an aware datetime to a pendulum ``DateTime`` in UTC, keeping the instant.

    A pendulum ``DateTime`` already in UTC is returned as it is, without any further work (the
    common case: every instant the library stores is one). Any other aware datetime, from
    pendulum or the standard library, is converted with its own ``utcoffset()``, which follows
    PEP 495 like ``datetime.astimezone``: a wall time that falls in a daylight-saving gap (which
    never happened) is read with the offset before the change (``fold=0``) or after it
    (``fold=1``), and an ambiguous wall time at a fold is the first (``fold=0``) or second
    (``fold=1``) occurrence. So ``datetime(2026, 3, 8, 2, 30, tzinfo=ZoneInfo("America/New_York"))``
    becomes 07:30 UTC, as ``astimezone(timezone.utc)`` gives. (pendulum's own constructors move a
    time in a gap forward when they build it, so a pendulum ``DateTime`` is already unambiguous.)

    Args:
        value: an aware ``datetime.datetime`` (pendulum ``DateTime`` included).
        what: names the value in error messages ("shipped_at", "clock time", ...).

    Raises:
        NaiveDatetime: ``value`` has no time zone.
        ValidationError: ``value`` is not a datetime, its time zone fails to give an offset, or
            the instant is outside the years 1 to 9999 once in UTC.
    """
    if value.__class__ is DateTime and value.tzinfo is UTC:  # fast path: no utcoffset() call
        return value
    if not isinstance(value, _dt.datetime):
        raise ValidationError(
            f"{what} must be a timezone-aware datetime, not {type(value).__name__}"
        )
    try:
        offset = value.utcoffset()
    except Exception as exc:  # a tzinfo is user code; its failure is a bad value here
        raise ValidationError(
            f"{what}: its time zone {type(value.tzinfo).__name__} gives no valid UTC offset "
            f"({type(exc).__name__})"
        ) from None
    if offset is None:
        raise NaiveDatetime(
            f"{what} {value.isoformat()} has no time zone: give an aware datetime "
            "(for example pendulum.datetime(..., tz='Asia/Shanghai'))"
        )
    try:
        u = (
            _dt.datetime(
                value.year,
                value.month,
                value.day,
                value.hour,
                value.minute,
                value.second,
                value.microsecond,
            )
            - offset
        )
    except OverflowError:
        raise ValidationError(
            f"{what} {value.isoformat()} is outside the years 1 to 9999 once in UTC"
        ) from None
    return DateTime(u.year, u.month, u.day, u.hour, u.minute, u.second, u.microsecond, tzinfo=UTC)


@runtime_checkable
class Clock(Protocol):
    """Anything that tells the current instant as an aware pendulum ``DateTime``."""

    def now(self) -> DateTime:
        """The current instant, in UTC."""


@final
class SystemClock:
    """The real clock of the machine, in UTC."""

    __slots__ = ()

    def now(self) -> DateTime:
        """The current instant, in UTC."""
        return pendulum.now(UTC)

    def __repr__(self) -> str:
        return "SystemClock()"


#: The shared system clock.
SYSTEM_CLOCK: Clock = SystemClock()


@final
class FixedClock:
    """A clock that stands still until told to move: for tests, simulations and replays.

    Args:
        at: the starting instant; aware, converted to UTC.
    """

    __slots__ = ("_now",)

    def __init__(self, at: _dt.datetime) -> None:
        self._now = ensure_utc(at, what="clock time")

    def now(self) -> DateTime:
        """The clock's current instant, in UTC."""
        return self._now

    def set(self, at: _dt.datetime) -> DateTime:
        """Move the clock to ``at``; moving backwards is refused."""
        target = ensure_utc(at, what="clock time")
        if target < self._now:
            raise ValidationError(
                f"a FixedClock never runs backwards: {target.isoformat()} is before "
                f"{self._now.isoformat()}"
            )
        self._now = target
        return target

    def advance(
        self,
        *,
        days: int = 0,
        hours: int = 0,
        minutes: int = 0,
        seconds: int = 0,
        microseconds: int = 0,
    ) -> DateTime:
        """Move the clock forward by an exact duration (days are 24 hours) and return the time.

        Raises:
            ValidationError: a part is not an int, the duration is negative, or the clock would
                pass the year 9999.
        """
        parts = {
            "days": days,
            "hours": hours,
            "minutes": minutes,
            "seconds": seconds,
            "microseconds": microseconds,
        }
        for unit, amount in parts.items():
            if isinstance(amount, bool) or not isinstance(amount, int):
                raise ValidationError(
                    f"a FixedClock advances by whole numbers: {unit} must be an int, "
                    f"not {type(amount).__name__}"
                )
        try:
            delta = _dt.timedelta(**parts)
        except OverflowError:
            raise ValidationError(
                "a FixedClock advances by at most 999999999 days at a time"
            ) from None
        if delta < _dt.timedelta(0):
            raise ValidationError(f"a FixedClock only moves forward, not by {delta}")
        try:
            self._now = self._now + delta
        except OverflowError:
            raise ValidationError(
                f"a FixedClock cannot pass the year 9999: {self._now.isoformat()} + {delta}"
            ) from None
        return self._now

    def __repr__(self) -> str:
        return f"FixedClock({self._now.isoformat()!r})"
