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
import zoneinfo
from typing import Final, Protocol, final, runtime_checkable

import pendulum
from pendulum import DateTime

from ecservice._shown import shown
from ecservice.errors import NaiveDatetime, ValidationError

__all__ = [
    "DEFAULT_ZONE",
    "SYSTEM_CLOCK",
    "UTC",
    "Clock",
    "FixedClock",
    "SystemClock",
    "check_zone",
    "ensure_utc",
    "zone",
]

#: The time zone shops run in unless they say otherwise (China Standard Time).
DEFAULT_ZONE = "Asia/Shanghai"


UTC: Final = pendulum.UTC


#: Longest time zone name accepted (the longest IANA name has 32 characters).
_MAX_ZONE_NAME: Final = 64

#: Names the zone database holds that are not a zone of their own: ``localtime`` is the host's
#: zone (its meaning depends on the machine's settings), ``posixrules`` a template for POSIX TZ
#: strings.
_NOT_ZONES: Final = frozenset({"localtime", "posixrules"})


def check_zone(value: object, what: str = "zone") -> str:
    """Return ``value`` unchanged if it names a zone of the IANA time zone database.

    The one check of a time zone argument or attribute across the library (a shop's ``zone=``,
    a policy's ``zone``); a policy or report of your own can use it too. A name is accepted when
    it is a ``str`` that is a key of the IANA time zone database as installed
    (``zoneinfo.available_timezones()``, spelled as there: ``"UTC"``, not ``"utc"``), with no
    white space around it, and not ``"localtime"`` (the host's own zone, which depends on the
    machine's settings). Fixed offsets such as ``"+08:00"`` are refused: a zone has the rules of
    its daylight-saving changes, an offset has none (``"Etc/GMT-8"`` is the IANA name of UTC+8).

    >>> check_zone("Asia/Shanghai")
    'Asia/Shanghai'
    >>> check_zone(" Asia/Shanghai", "policy.zone")
    Traceback (most recent call last):
    ecservice.errors.ValidationError: policy.zone must be an IANA time zone name such as \
'Asia/Shanghai' or 'UTC', not ' Asia/Shanghai' (white space around it)

    Args:
        value: what was given as the zone.
        what: names the argument or attribute in the error message (``"zone"``,
            ``"policy.zone"``, ...).

    Returns:
        ``value`` itself.

    Raises:
        ValidationError: ``value`` is not a ``str``, is empty, has white space around it, is
            ``"localtime"``, is a fixed offset, or is not a key of the IANA time zone database;
            the message names ``what``, says which and shows the value (briefly).
    """
    if isinstance(value, str):
        name = value if type(value) is str else str.__str__(value)  # a subclass: its text
        if name in _known_zones():
            return name
    raise ValidationError(
        f"{what} must be an IANA time zone name such as 'Asia/Shanghai' or 'UTC', "
        f"not {shown(value)} ({_why_not_a_zone(value)})"
    )


def _why_not_a_zone(value: object) -> str:
    if not isinstance(value, str):
        key = getattr(value, "key", None) if isinstance(value, _dt.tzinfo) else None
        if isinstance(key, str):
            return f"a {type(value).__name__} object: pass its name, {shown(key)}"
        return f"type {type(value).__name__}, not str"
    if not value:
        return "empty"
    if value.strip() != value:
        return "white space around it"
    if value in _NOT_ZONES:
        return "the host's own zone, which depends on the machine's settings"
    if value.lstrip("+-").replace(":", "").isdigit():
        return "a fixed UTC offset, without daylight-saving rules: use a zone name"
    spelled = _zone_spellings().get(value.casefold()) if len(value) <= _MAX_ZONE_NAME else None
    if spelled is not None:
        return f"spelled {spelled!r} in the database"
    return "not in the IANA time zone database"


@functools.cache
def _known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones() - _NOT_ZONES)


@functools.cache
def _zone_spellings() -> dict[str, str]:
    return {name.casefold(): name for name in _known_zones()}


def zone(name: str) -> pendulum.Timezone:
    """Return the IANA time zone ``name`` (cached: the same object for the same name).

    Args:
        name: a name :func:`check_zone` accepts (``"Asia/Shanghai"``, ``"UTC"``, ...).

    Raises:
        ValidationError: ``name`` is not a name :func:`check_zone` accepts (the message names
            it ``zone``).
    """
    return _zone(check_zone(name))


@functools.cache
def _zone(name: str) -> pendulum.Timezone:
    try:
        tz = pendulum.timezone(name)
    except Exception:  # a database file pendulum cannot read: a bad name all the same
        raise ValidationError(
            f"zone must be an IANA time zone name such as 'Asia/Shanghai' or 'UTC', "
            f"not {shown(name)} (its database entry cannot be read)"
        ) from None
    if not isinstance(tz, pendulum.Timezone):  # pragma: no cover - a checked name is a zone
        raise ValidationError(f"zone {shown(name)} is a fixed offset, not an IANA zone")
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
