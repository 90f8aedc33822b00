"""The complaint use cases: open a complaint, change it, read its service levels, and run the
SLA timers that record breaches at their instant and escalate.

The store keeps each complaint's next SLA instant in its timer index
(:func:`~ecservice.storage.complaint_next_due`, registered under ``"complaint"``);
:meth:`ComplaintService.run_due_timers` claims the complaints whose instant came and records,
from an evaluation at ``now``, every breach not yet recorded, at the breach's own instant (the
due date, not the time the timer ran), then the escalations the breaches call for.
"""

from __future__ import annotations

import datetime as _dt
import functools
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TypeVar, final

from pendulum import DateTime

from ecservice.aftersales import CaseLine
from ecservice.application._runner import UseCaseRunner, check_clock, check_store
from ecservice.application._stored import check_limit, claim_due
from ecservice.application._timer_policy import agreed, require_timer, store_timer
from ecservice.calendar import CalendarNotConfirmed, WorkingCalendar
from ecservice.clock import SYSTEM_CLOCK, Clock, ensure_utc
from ecservice.complaints import (
    DEFAULT_REOPEN_WINDOW,
    MAX_ESCALATION_LEVEL,
    Complaint,
    ComplaintChannel,
    ComplaintPriority,
    SlaEvaluation,
    SlaPolicy,
)
from ecservice.errors import PolicyViolation, ValidationError
from ecservice.storage import ComplaintSlaTimer, Store, UnitOfWork, default_backoff
from ecservice.workflow import Actor

__all__ = ["ComplaintService"]

R = TypeVar("R")


@final
class ComplaintService:
    """The complaint use cases over one store, under one service-level policy and working
    calendar.

    Each method is one unit of work run through :func:`~ecservice.storage.run_in_transaction`
    (retried on transient storage errors and on :class:`~ecservice.errors.ConcurrencyConflict`,
    from the stored state). The store times complaints with
    :func:`~ecservice.storage.complaint_next_due` of a policy and calendar
    (``timers={**default_timers(), "complaint": complaint_next_due(policy, calendar)}``) and
    loads them with the same clock, so that :meth:`run_due_timers` finds them when they are
    due; the service runs under that timer's policy and calendar. A ``"complaint"`` timer that
    is the shop's own function carries neither: then the shop must keep it in agreement with
    ``policy`` and ``calendar``. Without a ``"complaint"`` timer no complaint is ever due.

    Args:
        store: where complaints are stored.
        policy: the service levels (:class:`~ecservice.complaints.SlaPolicy`) the complaints
            are measured against; ``None`` (the default) takes the policy of the store's
            complaint timer. Given, it must equal that timer's policy.
        calendar: the shop's working calendar (:class:`~ecservice.calendar.WorkingCalendar`),
            on which business time and working days are counted; ``None`` (the default) takes
            the calendar of the store's complaint timer. Given, it must equal that timer's.
        clock: the time complaints are opened at and timers run at.
        actor: who records breaches and escalations (default ``Actor.system("sla-timer")``).
        attempts: how many times a use case runs before a transient failure is raised.
        backoff: seconds to wait before the next attempt.
        sleep: how to wait (``time.sleep``).

    Raises:
        ValidationError: a ``store`` without a callable ``unit_of_work`` (a
            :class:`~ecservice.storage.Store` is needed), or a ``clock`` that is not a
            :class:`~ecservice.clock.Clock` (with ``now()``).
        ValidationError: a policy that is not an :class:`~ecservice.complaints.SlaPolicy`, a
            calendar that is not a :class:`~ecservice.calendar.WorkingCalendar`, or an actor
            that is not an :class:`~ecservice.workflow.Actor`.
        ValidationError: ``policy`` or ``calendar`` differs from that of the store's complaint
            timer (a :class:`~ecservice.storage.ComplaintSlaTimer`; the message names both and
            how to build the store), or either is ``None`` and the store's timer carries none
            to take.
    """

    def __init__(
        self,
        store: Store,
        policy: SlaPolicy | None = None,
        calendar: WorkingCalendar | None = None,
        *,
        clock: Clock = SYSTEM_CLOCK,
        actor: Actor | None = None,
        attempts: int = 5,
        backoff: Callable[[int], float] = default_backoff,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        check_store(store, "ComplaintService")
        check_clock(clock, "ComplaintService")
        if policy is not None and not isinstance(policy, SlaPolicy):
            raise ValidationError(
                f"ComplaintService needs an SlaPolicy, not {type(policy).__name__}"
            )
        if calendar is not None and not isinstance(calendar, WorkingCalendar):
            raise ValidationError(
                f"ComplaintService needs a WorkingCalendar, not {type(calendar).__name__}"
            )
        timer = store_timer(store, "complaint")
        sla = timer if isinstance(timer, ComplaintSlaTimer) else None
        build = "complaint_next_due(policy, calendar)"
        policy = agreed(
            policy,
            None if sla is None else sla.policy,
            service="ComplaintService",
            argument="policy",
            document_type="complaint",
            builder=build,
        )
        calendar = agreed(
            calendar,
            None if sla is None else sla.calendar,
            service="ComplaintService",
            argument="calendar",
            document_type="complaint",
            builder=build,
        )
        if policy is None or calendar is None:
            raise ValidationError(
                "ComplaintService needs an SlaPolicy and a WorkingCalendar: pass policy= and "
                "calendar=, or build the store with timers={**default_timers(), "
                '"complaint": complaint_next_due(policy, calendar)} to take them from'
            )
        if actor is not None and not isinstance(actor, Actor):
            raise ValidationError(f"actor must be an Actor, not {type(actor).__name__}")
        self.store = store
        self.policy = policy
        self.calendar = calendar
        self.clock = clock
        self.actor = actor or Actor.system("sla-timer")
        self._run = UseCaseRunner(store, attempts, backoff, sleep)

    def open_complaint(
        self,
        complaint_id: str,
        *,
        buyer_id: str,
        text: str,
        channel: ComplaintChannel,
        priority: ComplaintPriority = ComplaintPriority.NORMAL,
        order_id: str | None = None,
        lines: Mapping[str, int] | Iterable[CaseLine] | None = None,
        reopen_window: _dt.timedelta = DEFAULT_REOPEN_WINDOW,
    ) -> Complaint:
        """Open complaint ``complaint_id`` at ``clock.now()`` and store it (the arguments are
        :class:`~ecservice.complaints.Complaint`'s). Run again after it was stored, it returns
        the stored complaint (an id names one complaint).

        Returns:
            The stored complaint.

        Raises:
            PolicyViolation: ``complaint_id`` is taken by a complaint of another buyer.
            ValidationError: malformed input (see :class:`~ecservice.complaints.Complaint`).
        """
        at = ensure_utc(self.clock.now(), what="clock.now()")

        def work(uow: UnitOfWork) -> Complaint:
            stored = uow.complaints.find(complaint_id)
            if stored is not None:
                if stored.buyer_id != buyer_id:
                    raise PolicyViolation(
                        f"complaint id {complaint_id!r} is already used by a complaint of buyer "
                        f"{stored.buyer_id!r}; a complaint of {buyer_id!r} needs an id of its own"
                    )
                return stored
            complaint = Complaint(
                id=complaint_id,
                buyer_id=buyer_id,
                text=text,
                channel=channel,
                opened_at=at,
                priority=priority,
                order_id=order_id,
                lines=lines,
                reopen_window=reopen_window,
                clock=self.clock,
            )
            uow.complaints.add(complaint)
            return complaint

        return self._run(work)

    def change(self, complaint_id: str, change: Callable[[Complaint], R]) -> R:
        """Load the complaint, apply ``change`` to it (a trigger:
        ``lambda c: c.reply(message=..., actor=...)``), save it if it changed, commit; returns
        what ``change`` returned. Saving stores the complaint's next SLA instant.

        ``change`` must only change the complaint it is given: it may run more than once (after
        a transient failure or a concurrent change, on the freshly loaded complaint).

        Raises:
            ValidationError: ``change`` is not callable.
            AggregateNotFound: no such complaint.
            EcServiceError: whatever ``change`` raised (nothing is stored).
        """
        if not callable(change):
            raise ValidationError(
                f"change must be a callable taking the complaint, not {type(change).__name__}"
            )

        def work(uow: UnitOfWork) -> R:
            complaint = uow.complaints.get(complaint_id)
            version = complaint.version
            result = change(complaint)
            if complaint.version != version:
                uow.complaints.save(complaint)
            return result

        return self._run(work)

    def sla(self, complaint_id: str) -> SlaEvaluation:
        """The SLA clocks of the stored complaint at ``clock.now()``
        (:meth:`Complaint.sla <ecservice.complaints.Complaint.sla>` under the service's policy
        and calendar); nothing is written.

        Raises:
            AggregateNotFound: no such complaint.
            CalendarNotConfirmed: a due date needs a day whose holidays are not confirmed.
        """
        at = ensure_utc(self.clock.now(), what="clock.now()")

        def work(uow: UnitOfWork) -> SlaEvaluation:
            return uow.complaints.get(complaint_id).sla(self.policy, self.calendar, now=at)

        return self._run(work)

    def run_due_timers(self, *, limit: int = 100) -> int:
        """Record the SLA breaches and escalations of every complaint due at ``clock.now()``.

        The complaints are claimed through the store's timer index
        (``uow.complaints.due(now, limit)``; the store needs the ``"complaint"`` timer of
        :func:`~ecservice.storage.complaint_next_due`), ``limit`` at a time. Each is then
        handled in a unit of work of its own, committed once: evaluated at ``now``, it records
        every breach not yet recorded, oldest first
        (:meth:`~ecservice.complaints.Complaint.record_breach`, each at its exact instant, the
        due date), then escalates (:meth:`~ecservice.complaints.Complaint.escalate`) while its
        level is below the evaluation's
        :attr:`~ecservice.complaints.SlaEvaluation.required_level`; it is saved even when
        nothing was due, so its timer is stored again. Running it again records nothing twice.

        Returns:
            How many complaints had a breach or an escalation recorded.

        Raises:
            ValidationError: ``limit`` is not a whole number from 1 to 10000, or the store
                shows its timers (``store.timers``) and has none for these documents: nothing
                would ever be due.
            DocumentError: due complaints could not be read (raised after every other one was
                handled; each is also logged at ERROR on the ``"ecservice.application"``
                logger, and stays due until its document is repaired).

        A complaint whose due dates need a year the calendar has not confirmed is skipped (and
        due again :data:`~ecservice.storage.UNCONFIRMED_RETRY` later), not an error: the
        others are handled.
        """
        check_limit(limit)
        now = ensure_utc(self.clock.now(), what="clock.now()")

        def fire(complaint_id: str) -> bool:
            return self._run(functools.partial(self._fire, complaint_id=complaint_id, now=now))

        require_timer(self.store, "complaint", "complaint", "complaint_next_due(policy, calendar)")
        return claim_due(self._run, lambda uow: uow.complaints, now, fire, limit, "complaint")

    def _fire(self, uow: UnitOfWork, complaint_id: str, now: DateTime) -> bool:
        complaint = uow.complaints.get(complaint_id)
        version = complaint.version
        if complaint.is_open:
            try:
                sla = complaint.sla(self.policy, self.calendar, now=now)
            except CalendarNotConfirmed:
                # Its due dates need a year the calendar has not confirmed: saved again, its
                # timer tries again later (UNCONFIRMED_RETRY); the other complaints go on.
                uow.complaints.save(complaint)
                return False
            recorded = {breach.key for breach in complaint.breaches}
            at = complaint.clock.now()
            for cycle in sla.breaches:
                breached = cycle.breached_at
                if (cycle.kind, cycle.index) in recorded or breached is None or breached > at:
                    continue
                complaint.record_breach(breach=cycle, actor=self.actor)
            due = [e for e in sla.escalations if e.at <= sla.now]
            required = min(sla.required_level, MAX_ESCALATION_LEVEL)
            while complaint.level < required:
                cause = next(e for e in due if e.level > complaint.level)
                complaint.escalate(
                    reason=(
                        f"the {cause.kind.value} target was breached (cycle #{cause.index}); "
                        f"the escalation chain calls for level {cause.level} from "
                        f"{cause.at.isoformat()}"
                    ),
                    actor=self.actor,
                )
        # Saved even when unchanged: the store computes its timer again.
        uow.complaints.save(complaint)
        return complaint.version != version
