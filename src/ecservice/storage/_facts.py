"""Facts a store writes beside an aggregate's document (internal).

A report in SQL cannot read JSON documents at the speed it needs, nor measure working time:
for the aggregate types that reports count, every add and save also writes the aggregate's
*facts*, plain rows of a table of their own (``ecs_order_facts``, ``ecs_rating_facts``, ...),
in the same transaction as the document. A :class:`FactsHook` computes them; the SQL store
replaces the rows stored for the aggregate with them
(:meth:`~ecservice.storage._repository.Transaction.replace_facts`); the memory store keeps
none, because the reports in memory read the aggregates themselves.

A hook's :meth:`~FactsHook.key` is a cheap digest of what the facts depend on, taken when the
aggregate is loaded and again when it is saved: when the two are equal, the facts stored are
still right and the save writes none (an order whose status moves between processing and out
of stock writes its document only).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, Protocol, final

import attrs

if TYPE_CHECKING:
    from ecservice.storage._repository import Timer

__all__ = ["FactRows", "FactsHook", "facts_hook"]


@final
@attrs.frozen(slots=True)
class FactRows:
    """The rows of one facts table that belong to one aggregate (internal).

    Args:
        table: the table's name in :data:`~ecservice.storage.sql.METADATA`.
        key: the column that names the aggregate (``"order_id"``).
        id: the aggregate's id: the rows stored under it are replaced by ``rows``.
        rows: the new rows, column name to value (possibly none: the old rows are deleted).
        conflict: the library error to raise when the rows break a unique constraint of the
            table (a rule the facts enforce across aggregates, such as one rating per order
            line), given these facts; ``None``: the database's error is raised as it is.
        unique: the columns whose values no two aggregates' rows may share (the table's
            unique constraint, which the memory store enforces by them too).
    """

    table: str
    key: str
    id: str
    rows: tuple[Mapping[str, Any], ...]
    conflict: Callable[[FactRows], Exception] | None = None
    unique: tuple[str, ...] = ()


class FactsHook(Protocol):
    """How one aggregate type's facts are computed (internal)."""

    def key(self, aggregate: Any) -> Hashable:
        """A digest of what the facts depend on; equal digests mean equal facts."""

    def rows(self, aggregate: Any, timers: Mapping[str, Timer]) -> Sequence[FactRows]:
        """The aggregate's facts, given the store's timers (whose policies some facts use)."""


#: The hook of each aggregate type whose facts are written, as ``module:attribute`` (imported
#: on first use, so that storage does not import every area when it starts).
_HOOKS: Final = {
    "order": "ecservice.storage._order_facts:ORDER_FACTS",
    "rating": "ecservice.storage._rating_facts:RATING_FACTS",
    "survey": "ecservice.storage._service_facts:SURVEY_FACTS",
    "consultation": "ecservice.storage._service_facts:CONSULTATION_FACTS",
}

_LOADED: dict[str, FactsHook] = {}


def facts_hook(type_name: str) -> FactsHook | None:
    """The facts hook of the aggregate type ``type_name``, or ``None`` when it has no facts."""
    found = _LOADED.get(type_name)
    if found is not None:
        return found
    path = _HOOKS.get(type_name)
    if path is None:
        return None
    module, _, name = path.partition(":")
    hook: FactsHook = getattr(importlib.import_module(module), name)
    _LOADED[type_name] = hook
    return hook
