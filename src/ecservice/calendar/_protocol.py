"""The protocol every working calendar follows; SLA timers and deadlines are written against it."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable
from typing import Protocol, runtime_checkable

from pendulum import DateTime

from ecservice.calendar._pause import Pause

__all__ = ["WorkingCalendar"]


@runtime_checkable
class WorkingCalendar(Protocol):
    """Working time on the instant timeline: which local days work, and arithmetic in working
    time between aware instants.

    Instants given may be any aware :class:`datetime.datetime`; instants returned are pendulum
    ``DateTime`` in UTC. A naive datetime raises :exc:`~ecservice.errors.NaiveDatetime`.
    Durations are real elapsed time (:class:`datetime.timedelta`, exact to the microsecond).
    Pauses (:class:`~ecservice.calendar.Pause`) remove the working time they cover.
    """

    def is_working_day(self, day: _dt.date) -> bool:
        """Whether the local ``day`` has any working time."""

    def working_intervals(self, day: _dt.date) -> tuple[tuple[DateTime, DateTime], ...]:
        """The working intervals of the local ``day`` as ``(start, end)`` instants in UTC,
        start inclusive, end exclusive, sorted and disjoint."""

    def is_working_at(self, at: _dt.datetime) -> bool:
        """Whether the instant ``at`` is inside a working interval."""

    def next_working_instant(self, at: _dt.datetime, *, pauses: Iterable[Pause] = ()) -> DateTime:
        """The first instant at or after ``at`` that is working time and not paused."""

    def add(
        self, start: _dt.datetime, duration: _dt.timedelta, *, pauses: Iterable[Pause] = ()
    ) -> DateTime:
        """The earliest instant by which ``duration`` of working time has passed since
        ``start`` (``start`` itself for a zero duration)."""

    def elapsed(
        self, start: _dt.datetime, end: _dt.datetime, *, pauses: Iterable[Pause] = ()
    ) -> _dt.timedelta:
        """The working time from ``start`` to ``end`` (``end`` not before ``start``)."""
