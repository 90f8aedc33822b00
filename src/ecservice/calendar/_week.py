"""The weekly opening hours of a shop or team: one :class:`OpeningHours` per weekday.

>>> week = WeeklyHours.weekdays(["09:00-12:00", "13:30-18:00"])
>>> week.on(0).intervals, week.on(5).is_closed
(('09:00-12:00', '13:30-18:00'), True)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

import attrs

from ecservice.calendar._hours import CLOSED, OpeningHours, TimeRange, as_hours
from ecservice.errors import ValidationError

__all__ = ["DEFAULT_WEEK", "WeeklyHours"]


def _hours(value: OpeningHours | Iterable[TimeRange]) -> OpeningHours:
    return as_hours(value)


@attrs.frozen
class WeeklyHours:
    """Opening hours per weekday, in the calendar's zone; a weekday left out is closed.

    Args:
        monday: Monday's hours (an :class:`OpeningHours` or its intervals).
        tuesday: Tuesday's hours.
        wednesday: Wednesday's hours.
        thursday: Thursday's hours.
        friday: Friday's hours.
        saturday: Saturday's hours.
        sunday: Sunday's hours.

    Raises:
        ValidationError: hours that :class:`OpeningHours` refuses.
    """

    monday: OpeningHours = attrs.field(default=CLOSED, converter=_hours)
    tuesday: OpeningHours = attrs.field(default=CLOSED, converter=_hours)
    wednesday: OpeningHours = attrs.field(default=CLOSED, converter=_hours)
    thursday: OpeningHours = attrs.field(default=CLOSED, converter=_hours)
    friday: OpeningHours = attrs.field(default=CLOSED, converter=_hours)
    saturday: OpeningHours = attrs.field(default=CLOSED, converter=_hours)
    sunday: OpeningHours = attrs.field(default=CLOSED, converter=_hours)

    @classmethod
    def weekdays(cls, hours: OpeningHours | Iterable[TimeRange]) -> WeeklyHours:
        """The same hours Monday to Friday, closed at the weekend."""
        day = as_hours(hours)
        return cls(day, day, day, day, day)

    @classmethod
    def every_day(cls, hours: OpeningHours | Iterable[TimeRange]) -> WeeklyHours:
        """The same hours on all seven days."""
        day = as_hours(hours)
        return cls(day, day, day, day, day, day, day)

    @property
    def days(self) -> tuple[OpeningHours, ...]:
        """The seven days' hours, Monday first (indexed like :meth:`datetime.date.weekday`)."""
        return (
            self.monday,
            self.tuesday,
            self.wednesday,
            self.thursday,
            self.friday,
            self.saturday,
            self.sunday,
        )

    def on(self, weekday: int) -> OpeningHours:
        """The hours of ``weekday``, 0 for Monday to 6 for Sunday.

        Raises:
            ValidationError: ``weekday`` is not an int from 0 to 6.
        """
        if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
            raise ValidationError(f"a weekday is an int from 0 (Monday) to 6, not {weekday!r}")
        return self.days[weekday]

    @property
    def is_closed(self) -> bool:
        """Whether every weekday is closed."""
        return all(day.is_closed for day in self.days)


#: The default week: Monday to Friday 09:00-18:00, closed at the weekend.
DEFAULT_WEEK: Final = WeeklyHours.weekdays(["09:00-18:00"])
