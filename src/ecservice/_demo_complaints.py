"""Complaints (投诉) in the simulated shop of ``ecservice demo``: buyers complain, agents take
each complaint through the six steps against the shop's service levels, some through an
after-sales case.

Private to the demo (:mod:`ecservice._demo` runs it). Every complaint is opened and changed
through :class:`~ecservice.application.ComplaintService` under
:meth:`SlaPolicy.shop_default() <ecservice.complaints.SlaPolicy.shop_default>` on the shop's
working calendar (:data:`CALENDAR`: Asia/Shanghai, Monday to Friday 09:00-18:00, statutory
holidays and make-up working days); the store times complaints with
:func:`~ecservice.storage.complaint_next_due` of the same policy and calendar, and
:meth:`~ecservice.application.ComplaintService.run_due_timers` records each breach at its own
instant and escalates. A continued run goes on into months whose holidays the State Council
has not published yet: the calendar accepts the holiday source's predicted days for them.

How often buyers complain, about what, and how agents and buyers behave are simulation
choices of the demo, not published figures: about 2% of the orders get a complaint
(:data:`ON_PAID`, :data:`ON_SHIPPED`, :data:`ON_DELIVERED`), in the product, logistics and
service categories. Unlike the after-sales desk, which moves a case at most once a day, the
complaint desk works in working hours within the day: each step of a complaint happens at an
instant drawn from its script (drawn once from the complaint's id; the steps are in
:mod:`ecservice._demo_complaint_steps`),
so that a continued run, also after a kill, takes every complaint on from its stored state at
the same instants. Some agents are slow, so that some targets are breached; some complaints
wait for the customer or for a carrier or an inspection; a few are escalated at the customer's
request, withdrawn, or reopened after their visit. A valid product complaint on a delivered
order is mostly resolved by an after-sales case: the feedback step opens it through
:meth:`~ecservice.application.AfterSalesService.open_case`, the after-sales desk moves it on
(its refunds go through the payment that paid, once per key), and the complaint follows the
case's outcome (:meth:`~ecservice.complaints.Complaint.case_resolved`) to its follow-up visit,
which records the customer's satisfaction.
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
import random
from collections.abc import Callable, Iterable
from typing import Any, Final

from pendulum import DateTime

from ecservice._demo_aftersales import TRAITS, CaseDesk, case_id_of
from ecservice._demo_complaint_steps import (
    CALENDAR,
    CASE_REMEDIES,
    CHANGES,
    HOUR,
    POLICY,
    SOLUTIONS,
    TEXTS,
    ComplaintScript,
    Step,
    done_with,
    next_step,
    pick,
    problem_of,
    rng_of,
)
from ecservice._demo_shop import STAFF
from ecservice.aftersales import (
    AfterSalesCase,
    CompensationTier,
    Evidence,
    EvidenceKind,
    NotEligible,
    PhotoReference,
    ProblemCategory,
    ProblemKind,
    RemedyKind,
)
from ecservice.application import ComplaintService
from ecservice.clock import FixedClock
from ecservice.complaints import CASE_ENDS, Complaint, ComplaintStatus, ComplaintValidity
from ecservice.money import Money
from ecservice.orders import Order, OrderStatus
from ecservice.storage import Store, UnitOfWork, run_in_transaction

__all__ = [
    "CALENDAR",
    "ON_DELIVERED",
    "ON_PAID",
    "ON_SHIPPED",
    "POLICY",
    "ComplaintDesk",
    "complaint_id_of",
]

S = ComplaintStatus

#: Share of paid orders whose buyer complains before shipment, and about what.
ON_PAID: Final = (0.002, ((ProblemKind.PRESALE_ATTITUDE, 0.6), (ProblemKind.MISLEADING_SALES, 0.4)))
#: Share of shipped orders whose buyer complains while the parcel travels, and about what.
ON_SHIPPED: Final = (
    0.005,
    (
        (ProblemKind.LATE_DELIVERY, 0.55),
        (ProblemKind.LOST_PARCEL, 0.25),
        (ProblemKind.COURIER_ATTITUDE, 0.20),
    ),
)
#: Share of delivered orders whose buyer complains, and about what.
ON_DELIVERED: Final = (
    0.016,
    (
        (ProblemKind.QUALITY, 0.28),
        (ProblemKind.WRONG_ITEM, 0.12),
        (ProblemKind.MISSING_OR_EXTRA, 0.10),
        (ProblemKind.NOT_AS_PICTURED, 0.10),
        (ProblemKind.DEFECT, 0.10),
        (ProblemKind.LATE_DELIVERY, 0.10),
        (ProblemKind.AFTERSALES_ATTITUDE, 0.10),
        (ProblemKind.COURIER_ATTITUDE, 0.10),
    ),
)


def complaint_id_of(order_id: str) -> str:
    """The id of the demo's complaint about an order (one per order): ``TS-000123``."""
    return "TS-" + order_id.rpartition("-")[2]


def _photo(case_id: str) -> Evidence:
    digest = hashlib.sha256(case_id.encode()).hexdigest()
    photo = PhotoReference(sha256=digest, uri=f"oss://aftersales-evidence/{case_id}/1.jpg")
    return Evidence(photos=(photo,), note="photo from the complaint")


def _delivered_sku(order: Order[Any], rng: random.Random) -> str | None:
    skus = [line.sku for line in order.lines if order.open_quantity(line.sku) == 0]
    skus = [s for s in skus if order.cancelled_quantity(s) < order.line(s).quantity]
    skus = [s for s in skus if s not in TRAITS] or skus
    return rng.choice(skus) if skus else None


class ComplaintDesk:
    """One worker's complaint desk: opens its orders' complaints and takes them through the
    day's working hours.

    Args:
        store: the shop's store (timing complaints with ``complaint_next_due(POLICY,
            CALENDAR)``).
        clock: the simulated clock, at the start of a simulated day when :meth:`day` is called;
            :meth:`day` moves it on within that day.
        rng: the random choices of who complains (its own stream).
        cases: the worker's after-sales desk, which moves on the cases complaints open.
        mine: whether an order id is this worker's.
    """

    def __init__(
        self,
        store: Store,
        clock: FixedClock,
        rng: random.Random,
        cases: CaseDesk,
        mine: Callable[[str], bool],
    ) -> None:
        self.store = store
        self.clock = clock
        self.rng = rng
        self.cases = cases
        self.mine = mine
        self.service = ComplaintService(store, POLICY, CALENDAR, clock=clock)
        self.open: list[str] = []  # complaint ids followed, in opening order
        self.known: dict[str, Complaint] = {}  # the followed complaints, as last seen
        self.planned: dict[
            str, tuple[int, ProblemKind, float]
        ] = {}  # order -> (day, problem, hour)
        self.timers = 0
        self._order = itertools.count()  # ties in the day's queue: first come first

    # --- what the orders' day tells the desk ----------------------------------------------------

    def paid(self, order_id: str, day: int) -> None:
        """An order was paid today."""
        self._maybe(order_id, day, ON_PAID)

    def shipped(self, order_id: str, day: int) -> None:
        """An order's parcels left today."""
        self._maybe(order_id, day, ON_SHIPPED, later=(1, 2, 3, 4))

    def delivered(self, order_id: str, day: int) -> None:
        """An order was delivered (done) today."""
        self._maybe(order_id, day, ON_DELIVERED, later=(0, 1, 1, 2, 3))

    def _maybe(
        self,
        order_id: str,
        day: int,
        shares: tuple[float, tuple[tuple[ProblemKind, float], ...]],
        later: tuple[int, ...] = (0,),
    ) -> None:
        if order_id in self.planned or self.rng.random() >= shares[0]:
            return
        problem = pick(self.rng, shares[1])
        self.planned[order_id] = (day + self.rng.choice(later), problem, self.rng.uniform(0, 14))

    # --- the desk's day -------------------------------------------------------------------------

    def day(self, day: int) -> None:
        """Today's complaints: the SLA timers, then every step due before tomorrow, in time
        order (the clock moves on to each)."""
        today = self.clock.now()
        end = today.add(days=1)
        self.timers += self.service.run_due_timers(limit=500)
        queue: list[tuple[DateTime, int, str, Step]] = []
        checked: set[str] = set()
        for order_id in sorted(o for o, (d, _, _) in self.planned.items() if d <= day):
            _, problem, hours = self.planned.pop(order_id)
            key = order_id + "|" + problem.name
            queue.append((today + hours * HOUR, next(self._order), key, Step.OPEN))
        # The complaints as the desk last saw them: what the timers add (breaches, escalations)
        # moves no step of the desk's.
        missing = [c for c in self.open if c not in self.known]
        if missing:
            for complaint in run_in_transaction(self.store, self._load(missing)):
                self.known[complaint.id] = complaint
        for complaint_id in self.open:
            self._schedule(queue, self.known[complaint_id], today, end, checked)
        heapq.heapify(queue)
        done: set[str] = set()
        while queue:
            at, _, key, step = heapq.heappop(queue)
            if at > self.clock.now():
                self.clock.set(at)
            changed = self._perform(key, step)
            if changed is None:
                continue
            if step is Step.CHECK_CASE:
                checked.add(changed.id)
            self.known[changed.id] = changed
            if done_with(changed):
                done.add(changed.id)
                del self.known[changed.id]
            else:
                self._schedule(queue, changed, today, end, checked)
        self.open = [c for c in self.open if c not in done]

    def finish(self) -> None:
        """The run's last timers: breaches due by the end of the run are recorded."""
        self.timers += self.service.run_due_timers(limit=500)

    def resume(self, complaint_ids: Iterable[str]) -> None:
        """Follow the stored complaints of this worker's orders that are not done with."""
        self.open.extend(self._following(complaint_ids))

    # --- one complaint --------------------------------------------------------------------------

    def _load(self, ids: Iterable[str]) -> Callable[[UnitOfWork], list[Complaint]]:
        wanted = list(ids)

        def work(uow: UnitOfWork) -> list[Complaint]:
            return [uow.complaints.get(i) for i in wanted]

        return work

    def _following(self, ids: Iterable[str]) -> list[str]:
        found = run_in_transaction(self.store, self._load(ids))
        mine = [c for c in found if c.order_id and self.mine(c.order_id) and not done_with(c)]
        self.known.update((c.id, c) for c in mine)
        return [c.id for c in mine]

    def _schedule(
        self,
        queue: list[tuple[DateTime, int, str, Step]],
        complaint: Complaint,
        today: DateTime,
        end: DateTime,
        checked: set[str],
    ) -> None:
        script = ComplaintScript.of(complaint.id)
        # A case is looked at once a day, after the after-sales desk is done with it.
        case_id = None if complaint.solution is None else complaint.solution.case_id
        wait = complaint.id in checked or case_id in self.cases.open
        found = next_step(complaint, script, today, checked=wait)
        if found is not None and found[0] < end:
            heapq.heappush(queue, (max(found[0], today), next(self._order), complaint.id, found[1]))

    def _perform(self, key: str, step: Step) -> Complaint | None:
        """Do ``step``; the complaint when it changed (or was checked), else ``None``."""
        if step is Step.OPEN:
            order_id, _, problem = key.partition("|")
            return self._open(order_id, ProblemKind[problem])
        script = ComplaintScript.of(key)
        if step is Step.FEEDBACK:
            return self._feedback(key, script)
        if step is Step.CHECK_CASE:
            return self._check_case(key)
        change = CHANGES[step]

        def apply(complaint: Complaint) -> Complaint | None:
            version = complaint.version
            change(complaint, script)
            return complaint if complaint.version != version else None

        return self.service.change(key, apply)

    def _open(self, order_id: str, problem: ProblemKind) -> Complaint | None:
        complaint_id = complaint_id_of(order_id)
        script = ComplaintScript.of(complaint_id)

        def load(uow: UnitOfWork) -> tuple[Order[Any], bool]:
            return uow.orders.get(order_id), uow.complaints.find(complaint_id) is not None

        order, taken = run_in_transaction(self.store, load)
        if taken:
            return None
        lines: dict[str, int] = {}
        if problem.category is ProblemCategory.PRODUCT and order.status is OrderStatus.DONE:
            sku = _delivered_sku(order, rng_of(complaint_id, "sku"))
            lines = {sku: 1} if sku else {}
        complaint = self.service.open_complaint(
            complaint_id,
            buyer_id=order.buyer_id,
            text=TEXTS[problem],
            channel=script.channel,
            priority=script.priority,
            order_id=order_id,
            lines=lines or None,
        )
        self.open.append(complaint_id)
        return complaint

    def _feedback(self, complaint_id: str, script: ComplaintScript) -> Complaint | None:
        """Tell the solution; a valid product complaint on a delivered order opens an
        after-sales case first (unless the order has one), which the complaint then waits on."""

        def load(uow: UnitOfWork) -> tuple[Complaint, Order[Any] | None, AfterSalesCase | None]:
            complaint = uow.complaints.get(complaint_id)
            order_id = complaint.order_id or ""
            return complaint, uow.orders.find(order_id), uow.cases.find(case_id_of(order_id))

        complaint, order, case = run_in_transaction(self.store, load)
        problem = problem_of(complaint)
        remedy = CASE_REMEDIES.get(problem)
        case_id: str | None = None
        if (
            complaint.status is S.ANALYSED
            and complaint.reopen_count == 0
            and script.with_case
            and remedy is not None
            and order is not None
            and order.status is OrderStatus.DONE
        ):
            if case is not None:
                # The buyer's case about the order (or one a killed run opened for this
                # complaint): the complaint follows it while it runs.
                if case.status not in CASE_ENDS:
                    case_id, remedy = case.id, case.remedy
            elif order.id not in self.cases.planned:
                case_id = self._open_case(complaint, order, problem, remedy)
        solution = SOLUTIONS.get(problem, "We apologise; a coupon of ¥10 is in your account.")
        if complaint.validity is ComplaintValidity.INVALID:
            solution = "We checked the order and the records; the listing and the parcel match."

        def apply(c: Complaint) -> Complaint | None:
            if c.status not in (S.ANALYSED, S.JUDGED):
                return None
            if case_id is not None:
                c.feedback(solution=solution, case_id=case_id, remedy=remedy, actor=STAFF)
            else:
                c.feedback(solution=solution, actor=STAFF)
            return c

        return self.service.change(complaint_id, apply)

    def _open_case(
        self, complaint: Complaint, order: Order[Any], problem: ProblemKind, remedy: RemedyKind
    ) -> str | None:
        case_id = case_id_of(order.id)
        lines = complaint.quantities
        if not lines:
            sku = _delivered_sku(order, rng_of(complaint.id, "sku"))
            if sku is None:
                return None
            lines = {sku: 1}
        photo = problem is not ProblemKind.MISSING_OR_EXTRA
        asked = Money(rng_of(complaint.id, "asked").randint(3, 10), order.currency)
        compensation = remedy is RemedyKind.COMPENSATION
        try:
            self.cases.service.open_case(
                case_id,
                order.id,
                lines,
                remedy,
                problem,
                asked=asked if compensation else None,
                evidence=(_photo(case_id),) if photo else (),
                evidence_kinds=(EvidenceKind.PHOTO,) if photo else (),
                traits=TRAITS,
                tier=CompensationTier.SAME_CITY if compensation else None,
            )
        except NotEligible:
            return None
        if case_id not in self.cases.open:
            self.cases.open.append(case_id)
        return case_id

    def _check_case(self, complaint_id: str) -> Complaint | None:
        """Report the case's end to a complaint that waits on it (else just checked)."""

        def work(uow: UnitOfWork) -> Complaint:
            complaint = uow.complaints.get(complaint_id)
            solution = complaint.solution
            if complaint.status is not S.AWAITING_CASE or solution is None or not solution.case_id:
                return complaint
            case = uow.cases.get(solution.case_id)
            if case.status in CASE_ENDS:
                complaint.case_resolved(
                    case_id=case.id,
                    outcome=case.status,
                    actor=STAFF,
                    note=f"after-sales case {case.id}: {case.status.label_en}",
                )
                uow.complaints.save(complaint)
            return complaint

        return run_in_transaction(self.store, work, retry_conflicts=True)
