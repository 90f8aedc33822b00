"""The repository of complaints: a :class:`~ecservice.storage.Repository` that also writes each
complaint's facts (what the complaint report counts) in the transaction that stores it."""

from __future__ import annotations

from typing import Final

import attrs

from ecservice.calendar import CalendarNotConfirmed
from ecservice.complaints import Complaint
from ecservice.storage._complaint_facts import UNCONFIRMED, complaint_facts
from ecservice.storage._complaints import ComplaintSlaTimer
from ecservice.storage._repository import TrackedRepository

__all__ = ["COMPLAINT_TYPE", "TrackedComplaintRepository"]

#: The document type of complaints, whose repository also writes their facts.
COMPLAINT_TYPE: Final = "complaint"


class TrackedComplaintRepository(TrackedRepository[Complaint]):
    """The complaints' repository of every store (internal): every add and save also writes
    the complaint's facts, under the policy and calendar of the store's ``"complaint"`` timer
    when it is a :class:`~ecservice.storage.ComplaintSlaTimer`."""

    __slots__ = ()

    def _write_facts(self, complaint: Complaint) -> None:
        timer = self._uow._timers.get(self._type)
        if isinstance(timer, ComplaintSlaTimer):
            try:
                facts = complaint_facts(
                    complaint, timer.policy, timer.calendar, timer.evaluate(complaint)
                )
            except CalendarNotConfirmed:
                # Stored all the same; the report refuses these facts until a refresh, once
                # the calendar knows the year.
                facts = attrs.evolve(complaint_facts(complaint), policy=UNCONFIRMED)
        else:
            facts = complaint_facts(complaint)
        self._uow._tx().write_complaint_facts(facts)

    def add(self, aggregate: Complaint) -> None:
        super().add(aggregate)
        self._write_facts(aggregate)

    def save(self, aggregate: Complaint) -> None:
        super().save(aggregate)
        self._write_facts(aggregate)
