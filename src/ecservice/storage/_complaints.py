"""Complaints as documents."""

from __future__ import annotations

import datetime as _dt
from typing import Any, Final, final

import attrs
import cattrs
from pendulum import DateTime

from ecservice._shown import shown
from ecservice.calendar import CalendarNotConfirmed, WorkingCalendar
from ecservice.clock import SYSTEM_CLOCK, Clock
from ecservice.complaints import Complaint, SlaEvaluation, SlaPolicy
from ecservice.errors import ValidationError
from ecservice.storage._aftersales import duration_text, parse_duration
from ecservice.storage._aggregate import AggregateSerializer
from ecservice.storage._converter import make_converter
from ecservice.storage._document import Document
from ecservice.storage._repository import Timer

__all__ = [
    "COMPLAINT_SERIALIZER",
    "UNCONFIRMED_RETRY",
    "ComplaintSlaTimer",
    "complaint_next_due",
    "dump_complaint",
    "load_complaint",
]


def _duration(value: object, _: object) -> _dt.timedelta:
    return parse_duration(value)


def complaint_converter() -> cattrs.Converter:
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
    converter=complaint_converter(),
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
        DocumentError: the constructor refused the values (fields that disagree with the
            state or the history; its error is the ``__cause__``).
    """
    return COMPLAINT_SERIALIZER.load(document, clock=clock)


#: How long after a save a complaint whose due dates need a year the calendar has not confirmed
#: is due again (the timer job then tries again; a shop adds the year's holidays meanwhile).
UNCONFIRMED_RETRY: Final = _dt.timedelta(days=1)


@final
@attrs.frozen(slots=True)
class ComplaintSlaTimer:
    """The timer of complaints under one SLA policy on one working calendar: called with a
    complaint, its next SLA instant (see :func:`complaint_next_due`, which builds it).

    A store whose ``"complaint"`` timer is one also writes, with every complaint it adds or
    saves, the facts the complaint report counts under that policy and calendar (a SQL store's
    ``ecs_complaint_facts`` and ``ecs_complaint_cycles`` rows, which
    :class:`~ecservice.storage.sql.SqlComplaintReports` reads).

    Args:
        policy: the SLA policy the complaints run under.
        calendar: the shop's working calendar.

    Raises:
        ValidationError: ``policy`` is not an :class:`~ecservice.complaints.SlaPolicy` or
            ``calendar`` not a :class:`~ecservice.calendar.WorkingCalendar`.
    """

    policy: SlaPolicy
    calendar: WorkingCalendar
    # The last evaluation, with the complaint object it is of (held, so that no other object
    # can take its identity), its version and the instant: a save asks for it twice (the
    # timer, then the facts), of the same complaint at the same time.
    _last: tuple[Complaint, int, DateTime, SlaEvaluation] | None = attrs.field(
        default=None, init=False, eq=False, repr=False
    )

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.policy, SlaPolicy):
            raise ValidationError(
                f"complaint_next_due needs an SlaPolicy, not {shown(self.policy)}"
            )
        if not isinstance(self.calendar, WorkingCalendar):
            raise ValidationError(
                f"complaint_next_due needs a WorkingCalendar, not {shown(self.calendar)}"
            )

    def evaluate(self, complaint: Complaint) -> SlaEvaluation:
        """``complaint.sla(policy, calendar)`` at the complaint's clock (the last evaluation
        is reused while the complaint, its version and its clock's time are the same)."""
        now = complaint.clock.now()
        last = self._last
        if (
            last is not None
            and last[0] is complaint
            and last[1] == complaint.version
            and last[2] == now
        ):
            return last[3]
        evaluation = complaint.sla(self.policy, self.calendar, now=now)
        object.__setattr__(self, "_last", (complaint, complaint.version, now, evaluation))
        return evaluation

    def __call__(self, complaint: Complaint) -> DateTime | None:
        """The next instant ``complaint`` needs attention, or ``None`` (closed, or nothing
        scheduled). While a due date needs a year the calendar has not confirmed (late in
        December, before the next year's holiday notice is in the shop's calendar), the
        complaint is still stored, due again :data:`UNCONFIRMED_RETRY` later, when the timer
        job tries again."""
        if not complaint.is_open:
            return None
        try:
            sla = self.evaluate(complaint)
        except CalendarNotConfirmed:
            return complaint.clock.now().add(seconds=int(UNCONFIRMED_RETRY.total_seconds()))
        recorded = {b.key for b in complaint.breaches}
        late = [c.due_at for c in sla.breaches if (c.kind, c.index) not in recorded]
        late += [e.at for e in sla.escalations if e.at <= sla.now and e.level > complaint.level]
        return min(late, default=None) or sla.next_due


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
    <ecservice.application.ComplaintService.run_due_timers>`). Such a store also writes the
    facts the complaint report counts under that policy and calendar
    (the timer is a :class:`ComplaintSlaTimer`; typed as a :data:`Timer` so that it joins the
    other timers of a mapping).

    >>> from ecservice.calendar import ShopCalendar
    >>> from ecservice.complaints import SlaPolicy
    >>> from ecservice.storage import complaint_next_due
    >>> timer = complaint_next_due(SlaPolicy.shop_default(), ShopCalendar())
    >>> timer.policy.name
    'shop-default'

    Raises:
        ValidationError: ``policy`` is not an :class:`~ecservice.complaints.SlaPolicy` or
            ``calendar`` not a :class:`~ecservice.calendar.WorkingCalendar`.
    """
    return ComplaintSlaTimer(policy, calendar)
