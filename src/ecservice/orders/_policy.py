"""Time policies of orders, evaluated in the shop's time zone."""

from __future__ import annotations

import datetime as _dt
from typing import final

import attrs
from pendulum import DateTime

from ecservice.clock import DEFAULT_ZONE, UTC, ensure_utc, zone
from ecservice.errors import ValidationError

__all__ = ["AutoConfirmPolicy"]


def _check_zone(value: str) -> str:
    zone(value)
    return value


def _check_days(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError(f"days must be a whole number of at least 1, not {value!r}")
    return value


@final
@attrs.frozen(slots=True, kw_only=True)
class AutoConfirmPolicy:
    """Automatic confirmation of receipt (自动确认收货).

    A parcel that the buyer has not confirmed is confirmed by the system ``days`` calendar days
    after it shipped, at the same wall-clock time in the shop's ``zone``. Days are counted in the
    shop's zone, so a day that is 23 or 25 hours long because of a DST change still counts as one
    day; a wall-clock time that does not exist on the due day (in a DST gap) moves forward.

    >>> import pendulum
    >>> policy = AutoConfirmPolicy(days=10, zone="America/New_York")
    >>> shipped = pendulum.datetime(2026, 3, 1, 15, 0, tz="America/New_York")  # EST, UTC-5
    >>> policy.due_at(shipped).isoformat()  # 10 days later at 15:00 EDT, UTC-4
    '2026-03-11T19:00:00+00:00'
    """

    days: int = attrs.field(default=10, converter=_check_days)
    zone: str = attrs.field(default=DEFAULT_ZONE, converter=_check_zone)

    def due_at(self, shipped_at: _dt.datetime) -> DateTime:
        """When a parcel shipped at ``shipped_at`` is confirmed automatically, in UTC."""
        local = ensure_utc(shipped_at, what="shipped_at").in_tz(zone(self.zone))
        return local.add(days=self.days).in_tz(UTC)

    def is_due(self, shipped_at: _dt.datetime, now: _dt.datetime) -> bool:
        """Whether the parcel is due for automatic confirmation at ``now``."""
        return ensure_utc(now, what="now") >= self.due_at(shipped_at)
