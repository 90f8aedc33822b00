"""The rolling windows of rating reports: whole days of the shop's zone before today."""

from __future__ import annotations

from typing import Final

__all__ = ["GOOD_RATE_WINDOWS"]

#: The windows, in days, of the good-review rates a shop page shows: the last week, month and
#: six months (淘宝 信用评价展示: 最近1周, 最近1个月, 最近6个月).
GOOD_RATE_WINDOWS: Final[tuple[int, ...]] = (7, 30, 180)
