"""Statutory holidays and make-up working days (调休): which local days the law moves.

China's public holidays are set by the National Holidays Regulations (全国年节及纪念日放假办法,
as revised in 2024) and, year by year, by a notice of the General Office of the State Council
(国务院办公厅关于……年部分节假日安排的通知) that joins them with weekends into longer breaks: a
weekday becomes a day off (放假调休) and a Saturday or Sunday becomes a working day (调休上班). The
dates come from the `holidays` package (``holidays.China``: its holidays and its
``weekend_workdays``), which follows the notices from 2001 and predicts later years without any
make-up day.

>>> import datetime as dt
>>> cn = ChinaHolidays()
>>> [cn.kind(dt.date(2026, 2, day)).name for day in (17, 14, 24)]
['HOLIDAY', 'MAKE_UP_WORKDAY', 'REGULAR']
"""

from __future__ import annotations

import datetime as _dt
import enum
import functools
import threading
import types
from collections.abc import Mapping
from typing import Final, Protocol, runtime_checkable

import attrs

from ecservice.errors import ValidationError

__all__ = [
    "CN_FIRST_CONFIRMED_YEAR",
    "CN_LAST_CONFIRMED_YEAR",
    "ChinaHolidays",
    "DayKind",
    "StatutoryDays",
]

#: The first year whose Chinese holidays the ``holidays`` package checked against the State
#: Council's notice (国务院办公厅关于2001年春节、“五一”、“十一”放假安排的通知); earlier years are
#: refused like predicted ones.
CN_FIRST_CONFIRMED_YEAR: Final = 2001

#: The last year whose Chinese holidays and make-up working days are confirmed: the year of
#: the latest notice the ``holidays`` package (0.85 or later) carries, 国务院办公厅关于2026年部分
#: 节假日安排的通知 (国办发明电〔2025〕7号, 4 November 2025). Raise it, with the year's days in
#: :class:`ChinaHolidays`' ``added``, when a newer notice is out and the package lags behind.
CN_LAST_CONFIRMED_YEAR: Final = 2026


class DayKind(enum.Enum):
    """What the law makes of a local day, before the shop's own hours and overrides."""

    #: An ordinary day (工作日 or 休息日), with the shop's weekly hours.
    REGULAR = "regular"
    #: A statutory holiday or a weekday made a day off (法定节假日, 放假调休), closed.
    HOLIDAY = "holiday"
    #: A Saturday or Sunday made a working day (调休上班), open as a working day.
    MAKE_UP_WORKDAY = "make_up_workday"

    @property
    def label_zh(self) -> str:
        """The Chinese name of the kind."""
        return _LABELS_ZH[self]


_LABELS_ZH: Final = {
    DayKind.REGULAR: "平日",
    DayKind.HOLIDAY: "放假",
    DayKind.MAKE_UP_WORKDAY: "调休上班",
}


@runtime_checkable
class StatutoryDays(Protocol):
    """A source of statutory days: which days the law closes or opens, and for which years the
    source is authoritative (the calendar refuses days outside, unless told otherwise)."""

    @property
    def first_confirmed(self) -> int:
        """The first year whose days are confirmed."""

    @property
    def last_confirmed(self) -> int:
        """The last year whose days are confirmed."""

    def kind(self, day: _dt.date) -> DayKind:
        """What the law makes of the local ``day`` (predicted outside the confirmed years)."""


_LOCK = threading.Lock()


@functools.lru_cache(maxsize=256)
def _china_year(year: int) -> tuple[frozenset[_dt.date], frozenset[_dt.date]]:
    """The days off and the weekend working days of ``year`` in the ``holidays`` package.

    The next year is populated too: its notice may make a weekend day at the end of ``year`` a
    working day (the 2002 notice did, for 29 and 30 December 2001).
    """
    import holidays  # a few hundred milliseconds: loaded on first use only

    years = [y for y in (year, year + 1) if y <= _dt.MAXYEAR]
    with _LOCK:  # the package keeps weekend working days in state shared between instances
        china = holidays.country_holidays("CN", years=years)
        off = frozenset(d for d in china if d.year == year)
        work = frozenset(d for d in china.weekend_workdays if d.year == year)
    return off, work


def _freeze_added(
    value: Mapping[_dt.date, DayKind] | tuple[tuple[_dt.date, DayKind], ...],
) -> tuple[tuple[_dt.date, DayKind], ...]:
    if isinstance(value, tuple):  # the stored form, as attrs.evolve passes it back
        if not all(isinstance(item, tuple) and len(item) == 2 for item in value):
            raise ValidationError("added days are a mapping of datetime.date to DayKind")
        value = dict(value)
    if not isinstance(value, Mapping):
        raise ValidationError(
            f"added days are a mapping of datetime.date to DayKind, not {type(value).__name__}"
        )
    items = []
    for day, kind in value.items():
        if not isinstance(day, _dt.date) or isinstance(day, _dt.datetime):
            raise ValidationError(f"an added day must be a datetime.date, not {day!r}")
        if not isinstance(kind, DayKind):
            raise ValidationError(
                f"the kind of {day.isoformat()} must be a DayKind "
                f"({', '.join(k.name for k in DayKind)}), not {kind!r}"
            )
        if kind is DayKind.MAKE_UP_WORKDAY and day.weekday() < 5:
            raise ValidationError(
                f"{day.isoformat()} is a weekday: a make-up working day is a Saturday or Sunday"
            )
        items.append((day, kind))
    return tuple(sorted(items, key=lambda item: item[0]))


def _check_year(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"confirmed_through must be a year (int), not {value!r}")
    if not CN_FIRST_CONFIRMED_YEAR <= value <= _dt.MAXYEAR:
        raise ValidationError(
            f"confirmed_through must be a year from {CN_FIRST_CONFIRMED_YEAR} to "
            f"{_dt.MAXYEAR}, not {value}"
        )


@attrs.frozen
class ChinaHolidays:
    """The statutory holidays and make-up working days of mainland China (``holidays.China``).

    Days of the years :data:`CN_FIRST_CONFIRMED_YEAR` to ``confirmed_through`` come from the
    State Council's notices; later years are the package's predictions (the statutory holidays
    moved to the next weekday when they fall on a weekend, no make-up working day), which a
    :class:`~ecservice.calendar.ShopCalendar` refuses unless told to accept them. Hong Kong,
    Macau and Taiwan have their own holidays and are not covered.

    Args:
        confirmed_through: the last confirmed year; :data:`CN_LAST_CONFIRMED_YEAR` by default.
            Raise it only together with the new year's days in ``added``.
        added: days that replace what the package says, from a notice it does not carry yet:
            :attr:`DayKind.HOLIDAY` for a day off, :attr:`DayKind.MAKE_UP_WORKDAY` for a
            Saturday or Sunday worked, :attr:`DayKind.REGULAR` for a predicted holiday that is
            not one.

    Raises:
        ValidationError: ``confirmed_through`` is not a year from 2001 to 9999, an added day is
            not a date, its kind not a :class:`DayKind`, or a make-up working day is a weekday.
    """

    confirmed_through: int = attrs.field(default=CN_LAST_CONFIRMED_YEAR, validator=_check_year)
    added: tuple[tuple[_dt.date, DayKind], ...] = attrs.field(factory=dict, converter=_freeze_added)
    _added: Mapping[_dt.date, DayKind] = attrs.field(init=False, repr=False, eq=False, hash=False)

    @_added.default
    def _added_default(self) -> Mapping[_dt.date, DayKind]:
        return types.MappingProxyType(dict(self.added))

    @property
    def first_confirmed(self) -> int:
        """:data:`CN_FIRST_CONFIRMED_YEAR`."""
        return CN_FIRST_CONFIRMED_YEAR

    @property
    def last_confirmed(self) -> int:
        """``confirmed_through``."""
        return self.confirmed_through

    def kind(self, day: _dt.date) -> DayKind:
        """What the law makes of the local ``day``: an added day first, then the package's.

        Raises:
            ValidationError: ``day`` is not a :class:`datetime.date`.
        """
        if not isinstance(day, _dt.date) or isinstance(day, _dt.datetime):
            raise ValidationError(f"a day is a datetime.date, not {type(day).__name__}")
        found = self._added.get(day)
        if found is not None:
            return found
        off, work = _china_year(day.year)
        if day in off:
            return DayKind.HOLIDAY
        if day in work:
            return DayKind.MAKE_UP_WORKDAY
        return DayKind.REGULAR
