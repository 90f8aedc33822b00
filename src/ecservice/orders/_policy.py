"""Time policies of orders, evaluated in the shop's time zone."""

from __future__ import annotations

import datetime as _dt
from typing import Final, final

import attrs
from pendulum import DateTime

from ecservice._shown import shown
from ecservice.clock import DEFAULT_ZONE, UTC, check_zone, ensure_utc, zone
from ecservice.errors import ValidationError

__all__ = ["MAX_AUTO_CONFIRM_DAYS", "AutoConfirmPolicy"]

#: The longest automatic-confirmation period accepted, in days. Platforms confirm after 7 to
#: 30 days (Taobao's rules: 10 days for express parcels, 30 for surface mail), and buyers may
#: extend it a few times; a year is far beyond any of them and keeps due dates well inside the
#: calendar's range.
MAX_AUTO_CONFIRM_DAYS: Final = 365


def _check_zone(value: str) -> str:
    return check_zone(value)


def _check_days(value: int) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not 1 <= value <= MAX_AUTO_CONFIRM_DAYS
    ):
        raise ValidationError(
            f"days must be a whole number from 1 to {MAX_AUTO_CONFIRM_DAYS}, not {shown(value)}"
        )
    return int(value)


@final
@attrs.frozen(slots=True, kw_only=True)
class AutoConfirmPolicy:
    """Automatic confirmation of receipt (自动确认收货).

    A parcel that the buyer has not confirmed is confirmed by the system ``days`` calendar days
    after it shipped, at the same wall-clock time in the shop's ``zone``. ``days`` is a whole
    number from 1 to :data:`MAX_AUTO_CONFIRM_DAYS` (365). Days are counted in the
    shop's zone, so a day that is 23 or 25 hours long because of a DST change still counts as one
    day; a wall-clock time that does not exist on the due day (in a DST gap) moves forward.

    Args:
        days: calendar days from dispatch to automatic confirmation, a whole number from 1 to
            :data:`MAX_AUTO_CONFIRM_DAYS`. The default, 10, is Taobao's period for express
            parcels (淘宝规则: 快递 10 天, 平邮 30 天).
        zone: the shop's IANA time zone name, in which days are counted; ``"Asia/Shanghai"``
            (:data:`~ecservice.clock.DEFAULT_ZONE`) by default.

    >>> import pendulum
    >>> policy = AutoConfirmPolicy(days=10, zone="America/New_York")
    >>> shipped = pendulum.datetime(2026, 3, 1, 15, 0, tz="America/New_York")  # EST, UTC-5
    >>> policy.due_at(shipped).isoformat()  # 10 days later at 15:00 EDT, UTC-4
    '2026-03-11T19:00:00+00:00'
    """

    days: int = attrs.field(default=10, converter=_check_days)
    zone: str = attrs.field(default=DEFAULT_ZONE, converter=_check_zone)

    def due_at(self, shipped_at: _dt.datetime) -> DateTime:
        """When a parcel shipped at ``shipped_at`` is confirmed automatically, in UTC.

        Raises:
            NaiveDatetime: ``shipped_at`` has no time zone.
            ValidationError: ``shipped_at`` is not a datetime, or the due time would be past
                the end of the calendar (year 9999).
        """
        local = ensure_utc(shipped_at, what="shipped_at").in_tz(zone(self.zone))
        try:
            return local.add(days=self.days).in_tz(UTC)
        except OverflowError:
            raise ValidationError(
                f"shipped_at {local.isoformat()} plus {self.days} days is past the end of the "
                "calendar (year 9999)"
            ) from None

    def is_due(self, shipped_at: _dt.datetime, now: _dt.datetime) -> bool:
        """Whether the parcel is due for automatic confirmation at ``now``.

        Raises:
            NaiveDatetime: a datetime without a time zone.
            ValidationError: not a datetime, or a due time past the end of the calendar.
        """
        return ensure_utc(now, what="now") >= self.due_at(shipped_at)
