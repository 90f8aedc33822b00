"""Pauses: spans of time that do not count as working time (a case waiting for the buyer).

>>> import pendulum
>>> p = Pause(pendulum.datetime(2026, 3, 2, 10, tz="Asia/Shanghai"),
...           pendulum.datetime(2026, 3, 2, 11, tz="Asia/Shanghai"))
>>> p.start.isoformat(), p.length
('2026-03-02T02:00:00+00:00', datetime.timedelta(seconds=3600))
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable

import attrs
from pendulum import DateTime

from ecservice.clock import ensure_utc
from ecservice.errors import ValidationError

__all__ = ["Pause", "merge_pauses"]


def _start(value: _dt.datetime) -> DateTime:
    return ensure_utc(value, what="pause start")


def _end(value: _dt.datetime) -> DateTime:
    return ensure_utc(value, what="pause end")


@attrs.frozen
class Pause:
    """A span of instants, ``start`` inclusive to ``end`` exclusive, that is not working time.

    A pause moves a due date: working time inside it does not count. Pauses may overlap each
    other and closed hours; only the working time they cover is removed. A pause still going
    on has no end yet: compute with the pause ending now, or wait until it ends.

    Args:
        start: when the pause begins; aware, converted to UTC.
        end: when it ends; aware, converted to UTC; not before ``start``.

    Raises:
        NaiveDatetime: ``start`` or ``end`` has no time zone.
        ValidationError: one is not a datetime, or ``end`` is before ``start``.
    """

    start: DateTime = attrs.field(converter=_start)
    end: DateTime = attrs.field(converter=_end)

    def __attrs_post_init__(self) -> None:
        if self.end < self.start:
            raise ValidationError(
                f"a pause ends at or after its start: {self.end.isoformat()} is before "
                f"{self.start.isoformat()}"
            )

    @property
    def length(self) -> _dt.timedelta:
        """The real time from ``start`` to ``end`` (a plain :class:`datetime.timedelta`)."""
        span = self.end - self.start
        return _dt.timedelta(days=span.days, seconds=span.seconds, microseconds=span.microseconds)


def merge_pauses(pauses: Iterable[Pause]) -> tuple[tuple[DateTime, DateTime], ...]:
    """The pauses as sorted, disjoint ``(start, end)`` spans; empty pauses are dropped.

    Raises:
        ValidationError: ``pauses`` is not an iterable of :class:`Pause`.
    """
    if isinstance(pauses, Pause) or not isinstance(pauses, Iterable):
        raise ValidationError(f"pauses are an iterable of Pause, not a {type(pauses).__name__}")
    spans: list[tuple[DateTime, DateTime]] = []
    for pause in pauses:
        if not isinstance(pause, Pause):
            raise ValidationError(
                f"each pause is a Pause(start, end), not a {type(pause).__name__}"
            )
        if pause.end > pause.start:
            spans.append((pause.start, pause.end))
    spans.sort()
    merged: list[tuple[DateTime, DateTime]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return tuple(merged)
