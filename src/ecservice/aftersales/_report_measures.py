"""What every report of the library counts with: its window of whole local days
(:func:`report_window`), exact rates (:class:`Rate`) and nearest-rank percentiles
(:func:`nearest_rank`). The after-sales, complaint, feedback, consultation, satisfaction and
rating reports all use them."""

from __future__ import annotations

import datetime as _dt
import decimal
from collections.abc import Iterable, Mapping
from typing import Final, final

import attrs
from pendulum import DateTime

from ecservice._shown import shown
from ecservice.aftersales._windows import day_start
from ecservice.clock import check_zone, ensure_utc
from ecservice.clock import zone as _zone
from ecservice.errors import ValidationError

__all__ = [
    "DEFAULT_REPORT_DAYS",
    "MAX_REPORT_DAYS",
    "RATE_PLACES",
    "Rate",
    "check_days",
    "checked_durations",
    "items",
    "nearest_rank",
    "report_window",
]

#: The default length of a report's window in days (the "rolling 30 days" of marketplaces).
DEFAULT_REPORT_DAYS: Final = 30
#: The longest window a report accepts, in days.
MAX_REPORT_DAYS: Final = 366
#: The decimal places of :attr:`Rate.value` (rounded half to even).
RATE_PLACES: Final = 6
_QUANTUM: Final = decimal.Decimal(1).scaleb(-RATE_PLACES)


@final
@attrs.frozen(slots=True)
class Rate:
    """An exact ratio of two counts: ``numerator`` orders out of ``denominator`` orders.

    The exact ratio is ``numerator / denominator``; :attr:`value` is it as a
    :class:`~decimal.Decimal` rounded half to even to :data:`RATE_PLACES` (six) decimal places,
    computed in a local decimal context (never through ``float``), so ``Rate(1, 3).value`` is
    ``Decimal("0.333333")``.

    Args:
        numerator: the orders counted, an ``int`` from 0 to ``denominator``.
        denominator: the orders they are counted among, an ``int`` of at least 1.

    Raises:
        ValidationError: a count that is not an ``int`` (``bool`` is refused), a denominator
            below 1, or a numerator below 0 or above the denominator.
    """

    numerator: int = attrs.field()
    denominator: int = attrs.field()

    @numerator.validator
    def _check_numerator(self, _: object, value: object) -> None:
        if type(value) is not int or value < 0:
            raise ValidationError(
                f"a rate's numerator must be an int of at least 0, not {shown(value)}"
            )

    @denominator.validator
    def _check_denominator(self, _: object, value: object) -> None:
        if type(value) is not int or value < 1:
            raise ValidationError(
                f"a rate's denominator must be an int of at least 1, not {shown(value)}"
            )
        if self.numerator > value:
            raise ValidationError(
                f"a rate's numerator ({self.numerator}) must not exceed its denominator ({value})"
            )

    @property
    def value(self) -> decimal.Decimal:
        """The ratio rounded half to even to :data:`RATE_PLACES` decimal places."""
        with decimal.localcontext(decimal.Context(prec=RATE_PLACES + 30)):
            exact = decimal.Decimal(self.numerator) / decimal.Decimal(self.denominator)
            return exact.quantize(_QUANTUM, rounding=decimal.ROUND_HALF_EVEN)

    def __str__(self) -> str:
        return f"{self.numerator}/{self.denominator} ({self.value})"


def nearest_rank(values: Iterable[_dt.timedelta], percentile: int) -> _dt.timedelta | None:
    """The ``percentile``-th percentile of ``values`` by the nearest-rank method, or ``None``
    when there are none.

    Sorted ascending, the answer is the value of rank ``ceil(percentile / 100 x n)`` (from 1):
    the smallest value that at least ``percentile`` percent of the values do not exceed. It is
    always one of the values (no interpolation).

    Raises:
        ValidationError: ``percentile`` is not an ``int`` from 1 to 100, or ``values`` holds
            something else than ``timedelta``.
    """
    if type(percentile) is not int or not 1 <= percentile <= 100:
        raise ValidationError(f"percentile must be an int from 1 to 100, not {shown(percentile)}")
    ordered = sorted(checked_durations(values))
    if not ordered:
        return None
    rank = -(-percentile * len(ordered) // 100)
    return ordered[rank - 1]


def checked_durations(values: Iterable[_dt.timedelta]) -> list[_dt.timedelta]:
    out = []
    for v in items(values, "values"):
        if not isinstance(v, _dt.timedelta):
            raise ValidationError(f"values must hold timedelta values, not {shown(v)}")
        out.append(v)
    return out


def items(value: object, what: str) -> list[object]:
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise ValidationError(f"{what} must be an iterable of values, not {shown(value)}")
    return list(value)


def check_days(days: object) -> int:
    if type(days) is not int or not 1 <= days <= MAX_REPORT_DAYS:
        raise ValidationError(f"days must be an int from 1 to {MAX_REPORT_DAYS}, not {shown(days)}")
    return days


def report_window(
    now: object, zone: object, days: object
) -> tuple[DateTime, str, DateTime, DateTime]:
    """The window every report of the library counts over: the ``days`` whole local days of
    ``zone`` before the day of ``now`` (today left out; the first instant in, the last
    out), as ``(now in UTC, the zone's name, start, end)``, start and end in UTC.

    >>> import pendulum
    >>> from ecservice.aftersales import report_window
    >>> at, name, start, end = report_window(
    ...     pendulum.datetime(2026, 12, 1, 9, tz="Asia/Shanghai"), "Asia/Shanghai", 30)
    >>> start.isoformat(), end.isoformat()
    ('2026-10-31T16:00:00+00:00', '2026-11-30T16:00:00+00:00')

    Args:
        now: when the report is asked for; an aware datetime.
        zone: the shop's IANA time zone name, as :func:`~ecservice.clock.check_zone` accepts
            it; given back unchanged.
        days: the window's length, an ``int`` from 1 to :data:`MAX_REPORT_DAYS`.

    Raises:
        NaiveDatetime: ``now`` has no time zone.
        ValidationError: ``now`` not a datetime, a ``zone`` that
            :func:`~ecservice.clock.check_zone` refuses, ``days`` out of range, or a window
            outside the years 1 to 9999.
    """
    if not isinstance(now, _dt.datetime):
        raise ValidationError(f"now must be a timezone-aware datetime, not {shown(now)}")
    at = ensure_utc(now, what="now")
    name = check_zone(zone)
    count = check_days(days)
    tz = _zone(name)
    try:
        today = at.in_timezone(tz).date()
        first = today - _dt.timedelta(days=count)
        return at, name, day_start(first, name), day_start(today, name)
    except OverflowError:
        raise ValidationError(
            f"a window of {count} days before the day of {at.isoformat()} in {name} "
            "falls outside the years 1 to 9999"
        ) from None
