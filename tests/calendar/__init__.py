"""Tests of the working calendar: hours, statutory days, DST, arithmetic, and a slow reference.

:func:`sh` builds an instant from a Shanghai wall time, the zone most tests speak in.
"""

from __future__ import annotations

import pendulum
from pendulum import DateTime

__all__ = ["sh"]


def sh(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0
) -> DateTime:
    """The instant of a wall time in Asia/Shanghai, in UTC."""
    return pendulum.datetime(year, month, day, hour, minute, second, us, tz="Asia/Shanghai").in_tz(
        "UTC"
    )
