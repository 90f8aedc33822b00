"""How a service agrees with its store's timer: the policy the store times its documents by
is the one the service runs under.

A store finds an aggregate due when its timer says (``next_due_at``, written on every save); a
service's timer job then acts under its own policy. When the two policies differ, the job finds
aggregates that are not yet due under its policy, or never finds those that are: a silent
no-op. So a service built over a store whose timer carries its policy (the timers
:func:`~ecservice.storage.order_next_due`, :func:`~ecservice.storage.complaint_next_due` and
:func:`~ecservice.storage.draft_next_due` make) takes that policy when given none, and refuses
another one. A timer that is a shop's own function carries no policy: the shop keeps the two in
agreement.

Private to :mod:`ecservice.application`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

import attrs

from ecservice._shown import shown
from ecservice.errors import ValidationError

__all__ = ["agreed", "require_timer", "store_timer"]

P = TypeVar("P")


def store_timer(store: object, document_type: str) -> object | None:
    """The timer ``store`` times ``document_type`` documents with: its ``timers`` mapping's
    entry (:attr:`MemoryStore.timers <ecservice.storage.MemoryStore.timers>`,
    :attr:`SqlStore.timers <ecservice.storage.sql.SqlStore.timers>`), or ``None`` when the
    store has no such mapping or no timer for that type."""
    timers = getattr(store, "timers", None)
    if not isinstance(timers, Mapping):
        return None
    timer: object | None = timers.get(document_type)
    return timer


def agreed(
    given: P | None,
    stored: P | None,
    *,
    service: str,
    argument: str,
    document_type: str,
    builder: str,
) -> P | None:
    """The policy a service runs under: ``given`` (the service's ``argument``), or the store's
    timer's ``stored`` one when none was given; ``None`` when neither is known.

    Raises:
        ValidationError: both are known and differ; the message names both and how to build
            the store (``timers={**default_timers(), document_type: builder}``).
    """
    if stored is None:
        return given
    if given is None or given == stored:
        return stored
    raise ValidationError(
        f"{service} was given {argument}={shown(given, 160)}, but its store's "
        f'"{document_type}" timer was made with {shown(stored, 160)}{_difference(given, stored)}'
        ": the store would find documents due by the one and the service act by the other. "
        f'Build the store with timers={{**default_timers(), "{document_type}": {builder}}}, or '
        f"leave {argument} out to use the timer's"
    )


def _difference(given: object, stored: object) -> str:
    """The fields in which two values of one attrs class differ (`` (differs in days: 3, not
    10)``), or ``""`` when they are not such values."""
    kind = type(given)
    if type(stored) is not kind or not attrs.has(kind):
        return ""
    differing = [
        f"{field.name}: {shown(getattr(given, field.name), 40)}, "
        f"not {shown(getattr(stored, field.name), 40)}"
        for field in attrs.fields(kind)
        if field.eq and getattr(given, field.name) != getattr(stored, field.name)
    ]
    return f" (differs in {'; '.join(differing[:4])})" if differing else ""


def require_timer(store: object, document_type: str, what: str, builder: str) -> None:
    """Refuse a timer job over a store that shows its timers (``store.timers``) and has none
    for ``document_type``: no ``what`` would ever fall due, and the job would do nothing, run
    after run. A store that does not show its timers is trusted.

    Raises:
        ValidationError: the store has no ``document_type`` timer; the message says how to
            build it (``timers={**default_timers(), document_type: builder}``).
    """
    timers = getattr(store, "timers", None)
    if isinstance(timers, Mapping) and document_type not in timers:
        raise ValidationError(
            f"the store has no timer for {document_type!r} documents, so no {what} would ever "
            f"be due and this timer job would do nothing; build the store with "
            f"timers={{**default_timers(), {document_type!r}: {builder}}}"
        )
