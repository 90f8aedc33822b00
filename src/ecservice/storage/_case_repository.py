"""The repository of after-sales cases: a :class:`~ecservice.storage.Repository` that also finds
the cases of one order and writes each case's facts (its order, what reports count) in the
transaction that stores it."""

from __future__ import annotations

from typing import Final, Protocol

from ecservice.aftersales import AfterSalesCase
from ecservice.errors import ValidationError
from ecservice.storage._case_facts import case_facts
from ecservice.storage._repository import Repository, TrackedRepository, _check_id

__all__ = ["CASE_TYPE", "ORDER_TYPE", "CaseRepository", "TrackedCaseRepository"]


class CaseRepository(Repository[AfterSalesCase], Protocol):
    """The stored after-sales cases, seen through one unit of work (``uow.cases``): a
    :class:`Repository` that also finds the cases of one order."""

    def for_order(self, order_id: str, *, lock: bool = False) -> list[AfterSalesCase]:
        """The cases of order ``order_id`` (stored, or added in this unit of work), oldest
        opened first (cases opened at the same instant by id); an empty list when it has none.

        A case already loaded in this unit of work is returned as it is (the same object).
        A SQL store finds them through its ``ecs_case_facts`` index (written with every case),
        not by reading every case.

        Args:
            order_id: the order's id.
            lock: take the order's lock first, so that what the list says stays true until the
                unit of work ends for every other unit of work that locks the order too (one
                opening a case of the order): on PostgreSQL the order's row is locked
                (``SELECT ... FOR UPDATE``; the other waits, then reads what this one
                committed); on SQLite the unit of work holds the database's write lock already;
                in a :class:`~ecservice.storage.MemoryStore` the later of two units of work
                that locked the order raises :class:`~ecservice.errors.ConcurrencyConflict` at
                commit (run again, it sees the other's cases).

        Raises:
            ValidationError: ``order_id`` is not a ``str``, or ``lock`` not a ``bool``.
            DocumentError: a stored case cannot be read.
        """


#: The document type of after-sales cases, whose repository also writes their facts.
CASE_TYPE: Final = "aftersales_case"
#: The document type whose row :meth:`CaseRepository.for_order` locks.
ORDER_TYPE: Final = "order"


class TrackedCaseRepository(TrackedRepository[AfterSalesCase], CaseRepository):
    """The :class:`CaseRepository` of every store (internal): every add and save also writes
    the case's facts (its order, what reports count) in the same transaction."""

    __slots__ = ()

    def add(self, aggregate: AfterSalesCase) -> None:
        super().add(aggregate)
        self._uow._tx().write_case_facts(case_facts(aggregate))

    def save(self, aggregate: AfterSalesCase) -> None:
        super().save(aggregate)
        self._uow._tx().write_case_facts(case_facts(aggregate))

    def for_order(self, order_id: str, *, lock: bool = False) -> list[AfterSalesCase]:
        _check_id(order_id)
        if type(lock) is not bool:
            raise ValidationError(f"lock must be True or False, not {type(lock).__name__}")
        tx = self._uow._tx()
        if lock:
            tx.lock(ORDER_TYPE, order_id)
        rows = tx.cases_of_order(self._type, order_id)
        cases = [self._load(doc["id"], version, doc) for version, doc in rows]
        cases.sort(key=lambda case: (case.opened_at, case.id))
        return cases
