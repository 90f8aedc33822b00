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


@functools.cache
def zone(name: str) -> pendulum.Timezone:
    """Return the IANA time zone ``name``.

    Raises:
        ValidationError: the zone is unknown.
    """
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
    """Convert an aware datetime to a pendulum ``DateTime`` in UTC.

    Raises:
        NaiveDatetime: ``value`` has no time zone.
        ValidationError: ``value`` is not a datetime.
    """
    if not isinstance(value, _dt.datetime):
        raise ValidationError(f"{what} must be a timezone-aware datetime, not {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise NaiveDatetime(
            f"{what} {value.isoformat()} has no time zone: give an aware datetime "
            "(for example pendulum.datetime(..., tz='Asia/Shanghai'))"
        )
    if isinstance(value, DateTime):
        if value.tzinfo is UTC:
            return value
        return value.in_tz(UTC)
    return pendulum.instance(value).in_tz(UTC)


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
        """Move the clock forward by an exact duration (days are 24 hours) and return the time."""
        delta = _dt.timedelta(
            days=days, hours=hours, minutes=minutes, seconds=seconds, microseconds=microseconds
        )
        if delta < _dt.timedelta(0):
            raise ValidationError(f"a FixedClock only moves forward, not by {delta}")
        self._now = self._now + delta
        return self._now

    def __repr__(self) -> str:
        return f"FixedClock({self._now.isoformat()!r})"
