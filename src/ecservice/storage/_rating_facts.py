"""What the SQL store indexes about a rating besides its document (internal)."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any, Final, final

from ecservice.storage._facts import FactRows
from ecservice.storage._repository import Timer

__all__ = ["RATING_FACTS"]


@final
class _RatingFacts:
    def key(self, aggregate: Any) -> Hashable:
        return None

    def rows(self, aggregate: Any, timers: Mapping[str, Timer]) -> Sequence[FactRows]:
        return ()


RATING_FACTS: Final = _RatingFacts()
