"""The outcome of every idempotent request a gateway has answered, kept per key.

Private to :mod:`ecservice.payments`; every gateway the library ships keeps one
:class:`IdempotencyLedger`. A request is identified by the caller's key and described by a
*fingerprint* (the operation and its arguments). :meth:`IdempotencyLedger.run` performs the
request once per key under a lock: a later call with the same key and fingerprint returns the
stored answer without performing it again; the same key with another fingerprint raises
:class:`~ecservice.errors.IdempotencyConflict`. An operation that raises stores nothing, so it
can be retried with the same key.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar, final

from ecservice.errors import IdempotencyConflict
from ecservice.text import check_key

__all__ = ["IdempotencyLedger"]

R = TypeVar("R")


@final
class IdempotencyLedger(Generic[R]):
    """Answers per idempotency key, for one gateway.

    Args:
        owner: who keeps the ledger (for messages), e.g. the gateway's name.

    >>> ledger: IdempotencyLedger[str] = IdempotencyLedger("gw")
    >>> calls = []
    >>> ledger.run("K-1", "refund:5.00 CNY", lambda: calls.append(1) or "ref-1")
    'ref-1'
    >>> ledger.run("K-1", "refund:5.00 CNY", lambda: calls.append(1) or "ref-2"), len(calls)
    ('ref-1', 1)
    """

    __slots__ = ("_answers", "_lock", "owner")

    def __init__(self, owner: str) -> None:
        self.owner = owner
        self._answers: dict[str, tuple[str, R]] = {}
        self._lock = threading.RLock()

    def _conflict(self, key: str, seen: str, fingerprint: str) -> IdempotencyConflict:
        return IdempotencyConflict(
            f"idempotency key {key!r} was used at {self.owner} for {seen!r}; this request is "
            f"{fingerprint!r}: a retry must repeat its request exactly (if the amount changed "
            "after a lost answer, see OrderPayments.recover); only a new request gets a new key"
        )

    def run(
        self,
        key: str,
        fingerprint: str,
        perform: Callable[[], R],
        *,
        keep: Callable[[R], bool] | None = None,
    ) -> R:
        """The answer for ``key``: the stored one, or ``perform()``'s (stored if it returns).

        Args:
            key: the caller's idempotency key (compared exactly, see
                :func:`~ecservice.text.check_key`).
            fingerprint: the request (operation and arguments) the key stands for.
            perform: does the request; called at most once per stored answer.
            keep: which answers to store (default: all). An answer it refuses (a gateway's
                decline: nothing moved) is returned but not stored, and leaves the key free: a
                retry asks again, and the key may then carry another request (a reconciliation
                whose amount changed after the decline must not be stuck on its key).

        Raises:
            IdempotencyConflict: ``key`` was used for a request with another fingerprint.
            ValidationError: ``key`` is not acceptable text.
            Exception: whatever ``perform`` raises (nothing is stored then).
        """
        check_key(key)
        with self._lock:
            found = self._answers.get(key)
            if found is not None:
                seen, answer = found
                if seen != fingerprint:
                    raise self._conflict(key, seen, fingerprint)
                return answer
            answer = perform()
            if keep is not None and not keep(answer):
                return answer
            self._answers[key] = (fingerprint, answer)
            return answer

    def stored(self, key: str) -> R | None:
        """The answer stored for ``key``, or ``None`` if none was (to query an outcome).

        Raises:
            ValidationError: ``key`` is not acceptable as a key.
        """
        check_key(key)
        with self._lock:
            found = self._answers.get(key)
        return None if found is None else found[1]

    def __len__(self) -> int:
        with self._lock:
            return len(self._answers)
