"""What the SQL store indexes about a survey and a consultation session besides their documents
(internal)."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any, Final, final

from ecservice.storage._facts import FactRows
from ecservice.storage._repository import Timer

__all__ = ["CONSULTATION_FACTS", "SURVEY_FACTS"]


@final
class _NoFacts:
    def key(self, aggregate: Any) -> Hashable:
        return None

    def rows(self, aggregate: Any, timers: Mapping[str, Timer]) -> Sequence[FactRows]:
        return ()


SURVEY_FACTS: Final = _NoFacts()
CONSULTATION_FACTS: Final = _NoFacts()
