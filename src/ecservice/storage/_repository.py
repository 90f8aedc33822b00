"""The names of the repository layer, gathered for the modules of :mod:`ecservice.storage` that
use them (the stores, the timers, the gateways' books) and for the application layer.

The layer itself lives in one module per concept:

- ``_protocols.py``: the public protocols (:class:`~ecservice.storage.Repository`,
  :class:`~ecservice.storage.UnitOfWork`, :class:`~ecservice.storage.Store`), the
  :data:`~ecservice.storage.Timer` and ``Redaction`` callables and ``MAX_DUE_LIMIT``;
- ``_transaction.py``: what each store implements underneath (``Transaction``, the
  ``AggregateRow`` it writes) and the outbox rows (:class:`~ecservice.storage.OutboxRecord`,
  ``event_record``);
- ``_tracked.py``: the repositories and units of work every store shares
  (``TrackedRepository``, ``TrackedUnitOfWork``) and the checks of ids and row keys.
"""

from __future__ import annotations

from ecservice.storage._protocols import (
    MAX_DUE_LIMIT,
    Redaction,
    Repository,
    Store,
    Timer,
    UnitOfWork,
)
from ecservice.storage._tracked import (
    TrackedRepository,
    TrackedUnitOfWork,
    check_row_key,
)
from ecservice.storage._tracked import _check_id as _check_id
from ecservice.storage._transaction import (
    AggregateRow,
    OutboxRecord,
    Transaction,
    event_record,
)

__all__ = [
    "MAX_DUE_LIMIT",
    "AggregateRow",
    "OutboxRecord",
    "Redaction",
    "Repository",
    "Store",
    "Timer",
    "TrackedRepository",
    "TrackedUnitOfWork",
    "Transaction",
    "UnitOfWork",
    "check_row_key",
    "event_record",
]
