"""Complaints as documents."""

from __future__ import annotations

import datetime as _dt
from typing import Any, Final

import cattrs
from pendulum import DateTime

from ecservice._shown import shown
from ecservice.calendar import WorkingCalendar
from ecservice.clock import SYSTEM_CLOCK, Clock
from ecservice.complaints import Complaint, SlaPolicy
from ecservice.errors import ValidationError
from ecservice.storage._aftersales import duration_text, parse_duration
from ecservice.storage._aggregate import AggregateSerializer
from ecservice.storage._converter import make_converter
from ecservice.storage._document import Document
from ecservice.storage._repository import Timer

__all__ = [
    "COMPLAINT_SERIALIZER",
    "complaint_next_due",
    "dump_complaint",
    "load_complaint",
]


def _duration(value: object, _: object) -> _dt.timedelta:
    return parse_duration(value)


def _complaint_converter() -> cattrs.Converter:
    """:func:`~ecservice.storage.make_converter` with durations written as ISO 8601 text."""
    converter = make_converter()
    converter.register_structure_hook(_dt.timedelta, _duration)
    converter.register_unstructure_hook(_dt.timedelta, duration_text)
    return converter


def _no_breaches(body: dict[str, Any]) -> dict[str, Any]:
    """Schema 1 to 2: complaints written before breaches were recorded have none."""
    return {**body, "breaches": []}


#: Writes and reads :class:`~ecservice.complaints.Complaint` objects as ``"complaint"``
#: documents (schema version 2; a version 1 document, written before ``breaches`` existed,
#: loads with no breaches).
COMPLAINT_SERIALIZER: Final[AggregateSerializer[Complaint]] = AggregateSerializer(
    Complaint,
    "complaint",
    schema_version=2,
    upcasters={1: _no_breaches},
    converter=_complaint_converter(),
)


def dump_complaint(complaint: Complaint) -> Document:
    """A :class:`~ecservice.complaints.Complaint` as a ``"complaint"`` document.

    The body holds ``status``, ``buyer_id``, ``text``, ``channel``, ``opened_at``,
    ``priority``, ``order_id``, ``lines`` (``[{"sku", "quantity"}]``, sorted by SKU),
    ``problem``, ``summary``, ``validity``, ``liability``, ``cause`` (``{"text",
    "root_cause"}``), ``solution`` (``{"text", "case_id", "remedy"}``), ``case_outcome``,
    ``visit`` (``{"reached", "satisfaction", "comment"}``), ``level``, ``paused_from``,
    ``waiting_for`` (enums by name), ``reopen_window`` (an ISO 8601 duration in seconds,
    :func:`~ecservice.storage.duration_text`), ``breaches`` (``[{"kind", "index",
    "started_at", "due_at", "breached_at"}]``) and ``history``. Queued events are not written:
    the store's ``save`` pulls them into the outbox.

    >>> import pendulum
    >>> from ecservice.complaints import Complaint, ComplaintChannel
    >>> complaint = Complaint(
    ...     id="TS-1", buyer_id="b-1", text="The kettle leaks.",
    ...     channel=ComplaintChannel.PHONE, opened_at=pendulum.datetime(2026, 3, 1, tz="UTC"))
    >>> doc = dump_complaint(complaint)
    >>> doc["type"], doc["body"]["channel"], doc["body"]["reopen_window"]
    ('complaint', 'PHONE', 'PT1296000S')
    >>> load_complaint(doc) == complaint
    True

    Raises:
        DocumentError: ``complaint`` is not exactly a ``Complaint``.
    """
    return COMPLAINT_SERIALIZER.dump(complaint)


def load_complaint(document: object, *, clock: Clock = SYSTEM_CLOCK) -> Complaint:
    """The :class:`~ecservice.complaints.Complaint` a ``"complaint"`` document holds, checked
    by its constructor (see its "Loading" section).

    Raises:
        DocumentError: a malformed document; every problem is listed with its place
            (``body.visit.satisfaction``).
        UnsupportedSchemaVersion: a schema version newer than this code's.
        ValidationError: the constructor refused the values (fields that disagree with the
            state or the history).
    """
    return COMPLAINT_SERIALIZER.load(document, clock=clock)


def complaint_next_due(policy: SlaPolicy, calendar: WorkingCalendar) -> Timer:
    """The timer of complaints under ``policy`` on ``calendar``: the complaint's next SLA
    instant, from its evaluation at its clock's ``now``
    (:meth:`Complaint.sla <ecservice.complaints.Complaint.sla>`).

    That is the earliest of: a breach the complaint has not recorded
    (the complaint's ``breaches``) and an escalation due by now above its
    level, both in the past (so that the timer fires at once), or else the evaluation's
    :attr:`~ecservice.complaints.SlaEvaluation.next_due` (a running cycle's due date, an
    escalation step); ``None`` for a closed complaint or when nothing is scheduled. A store
    built with ``timers={**default_timers(), "complaint": complaint_next_due(policy,
    calendar)}`` stores it as the complaint's ``next_due_at`` on every save, and
    ``uow.complaints.due(now)`` claims the complaints with something to record
    (:meth:`ComplaintService.run_due_timers
    <ecservice.application.ComplaintService.run_due_timers>`).

    >>> from ecservice.calendar import ShopCalendar
    >>> from ecservice.complaints import SlaPolicy
    >>> from ecservice.storage import complaint_next_due
    >>> timer = complaint_next_due(SlaPolicy.shop_default(), ShopCalendar())

    Raises:
        ValidationError: ``policy`` is not an :class:`~ecservice.complaints.SlaPolicy` or
            ``calendar`` not a :class:`~ecservice.calendar.WorkingCalendar`.
    """
    if not isinstance(policy, SlaPolicy):
        raise ValidationError(f"complaint_next_due needs an SlaPolicy, not {shown(policy)}")
    if not isinstance(calendar, WorkingCalendar):
        raise ValidationError(f"complaint_next_due needs a WorkingCalendar, not {shown(calendar)}")

    def next_due(complaint: Complaint) -> DateTime | None:
        if not complaint.is_open:
            return None
        sla = complaint.sla(policy, calendar)
        recorded = {b.key for b in complaint.breaches}
        late = [c.due_at for c in sla.breaches if (c.kind, c.index) not in recorded]
        late += [e.at for e in sla.escalations if e.at <= sla.now and e.level > complaint.level]
        return min(late, default=None) or sla.next_due

    return next_due
