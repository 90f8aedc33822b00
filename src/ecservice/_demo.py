"""A simulated shop: a batch of orders through their lifecycle (the ``ecservice demo`` command).

Every step goes through the application layer (:class:`~ecservice.application.OrderService`)
into a store: carts, orders and payments are saved as documents with their events in the
outbox, in memory or in a SQL database; with a database the gateway keeps its books there too
(:class:`~ecservice.storage.sql.SqlGateway`), so that the money is checked in SQL and a run
killed at any point is continued by the next one.
"""

from __future__ import annotations

import multiprocessing
import random
import signal
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

import attrs

from ecservice._demo_aftersales import CaseDesk
from ecservice._demo_business import (
    business_orders,
    earlier_business_orders,
    open_draft_desk,
)
from ecservice._demo_complaints import ComplaintDesk
from ecservice._demo_lock import hold_run, hold_worker
from ecservice._demo_service import ServiceDesk
from ecservice._demo_shop import (
    PAY,
    RATE,
    SETTLE,
    START,
    Dice,
    Gateway,
    LossyLine,
    adding,
    address_of,
    card_of,
    day_step,
    instrument_of,
    new_cart,
    order_id_of,
    remarks_of,
)
from ecservice._demo_store import (
    dispose,
    gateway_url,
    in_memory,
    open_gateway,
    open_instruments,
    open_store,
    stored_ids,
    stored_orders,
)
from ecservice._demo_summary import DemoSummary, summarise
from ecservice._demo_workers import DemoWorkerFailed, Outcome, exit_with_parent, failed, run_workers
from ecservice.application import OrderService
from ecservice.clock import FixedClock
from ecservice.errors import GatewayUnavailable, ValidationError
from ecservice.money import Money
from ecservice.orders import AutoConfirmPolicy, ExceptionPolicy, OrderStatus
from ecservice.payments import InMemoryGateway, PaymentDeclined, PaymentStatus
from ecservice.storage import Store, UnitOfWork, run_in_transaction

if TYPE_CHECKING:
    from multiprocessing.synchronize import Barrier

    from ecservice._demo_instruments import InstrumentDesks


__all__ = ["MAX_WORKERS", "DemoSummary", "DemoWorkerFailed", "gateway_url", "run_demo"]

#: Most worker processes ``run_demo`` starts.
MAX_WORKERS: Final = 32
#: What each card is funded with when its order is placed (most cards; a few stay empty).
FUNDS: Final = Money("2000.00", "CNY")
#: How long a worker waits for the others at the end of a simulated day, in seconds.
DAY_TIMEOUT: Final = 600.0


@attrs.frozen
class _Plan:
    """What every worker of a run needs to know (sent to worker processes)."""

    db: str | None
    gateway_db: str | None
    seed: int
    days: int
    start: Any  # the first simulated day (a pendulum DateTime)
    ids: tuple[str, ...]  # this run's new orders, in placing order
    first: int  # the index of the first new order
    per_day: tuple[int, ...]
    resume: tuple[str, ...]  # earlier orders not done yet
    unsettled: tuple[str, ...]  # earlier orders that may owe a refund
    workers: int
    cases: tuple[str, ...] = ()  # the stored after-sales cases (continued if not done with)
    complaints: tuple[str, ...] = ()  # the stored complaints (continued if not done with)
    b2b: tuple[str, ...] = ()  # this run's business orders, paid with drafts
    b2b_earlier: tuple[str, ...] = ()  # the stored business orders of earlier runs
    ratings: tuple[str, ...] = ()  # the stored ratings not final yet (their steps planned again)
    surveys: tuple[str, ...] = ()  # the stored surveys not final yet (their answers likewise)
    feedback: tuple[str, ...] = ()  # the stored feedback (those not closed: answered, closed)


@attrs.frozen
class _Tally:
    """What a worker counted: orders confirmed automatically, answers lost, after-sales
    requests the policy refused (by rule)."""

    auto: int = 0
    lost: int = 0
    refusals: tuple[tuple[str, int], ...] = ()
    made: tuple[tuple[str, str], ...] = ()  # (type, id) of the service desk's documents

    def __add__(self, other: _Tally) -> _Tally:
        refusals = Counter(dict(self.refusals)) + Counter(dict(other.refusals))
        return _Tally(
            self.auto + other.auto,
            self.lost + other.lost,
            tuple(sorted(refusals.items())),
            tuple(sorted({*self.made, *other.made})),
        )


def _earlier_work(
    store: Store, earlier: list[int], cases: tuple[str, ...], complaints: tuple[str, ...]
) -> tuple[tuple[str, ...], tuple[str, ...], Any]:
    """The earlier orders a run continues: those not done yet, those that may owe a refund
    (cancelled lines; a run killed between a cancellation and its refund left it owed), and
    the last instant anything happened to them, to their after-sales cases or to their
    complaints (the next run's month starts the simulated day after its day)."""

    def work(uow: UnitOfWork) -> tuple[tuple[str, ...], tuple[str, ...], Any]:
        resume: list[str] = []
        unsettled: list[str] = []
        last = START
        for case_id in cases:
            case = uow.cases.get(case_id)
            last = max(last, case.opened_at, *(r.at for r in case.history[-1:]))
        for complaint_id in complaints:
            complaint = uow.complaints.get(complaint_id)
            last = max(last, complaint.opened_at, *(r.at for r in complaint.history[-1:]))
        for i in earlier:
            order = uow.orders.get(order_id_of(i))
            last = max(last, order.created_at, *(r.at for r in order.history[-1:]))
            if order.status not in (OrderStatus.DONE, OrderStatus.CANCELLED):
                resume.append(order.id)
            if not order.cancelled_value.is_zero():
                unsettled.append(order.id)
        return tuple(resume), tuple(unsettled), last

    return run_in_transaction(store, work)


def run_demo(
    n: int = 3000,
    *,
    seed: int = 2026,
    days: int = 30,
    db: str | None = None,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> DemoSummary:
    """Simulate ``n`` orders placed over ``days`` simulated days; summarise where they stand.

    Orders arrive spread over the days. Each day every open order moves on: it is paid by card
    (a few cards are empty and declined, and those orders cancelled) and so confirmed, or
    cancelled by the buyer; it may run out of stock (then restocked, the missing line
    cancelled, or the whole order cancelled), ships in one or two parcels, collects tracking
    events, and is received by the buyer or confirmed automatically ten days after shipping
    (the store's timers find the orders due). Every cancellation is refunded to the card that
    paid. A few of the gateway's answers are lost on the way back (the gateway acted); the next
    day's run retries with the same idempotency keys and reconciles.

    A few percent of the orders get an after-sales case (:mod:`ecservice._demo_aftersales` says
    which and how often): opened through :class:`~ecservice.application.AfterSalesService`
    (the policy refuses some, and the refusals are counted), moved on day by day, their timers
    run each day, their refunds made through the payment that paid, once per key.

    About 2% of the orders get a complaint (:mod:`ecservice._demo_complaints` says which and
    how): opened and moved on through :class:`~ecservice.application.ComplaintService` within
    each day's working hours, against :meth:`SlaPolicy.shop_default()
    <ecservice.complaints.SlaPolicy.shop_default>` on a working calendar of Asia/Shanghai
    (the store's timers find the breaches due, recorded at their instants); some are resolved
    by an after-sales case that the complaint then follows, which moves its money as every case
    does.

    Every step is a use case of :class:`~ecservice.application.OrderService`, stored in ``db``
    (a SQLAlchemy URL; its schema is created or upgraded first) or, without it, in memory with
    an :class:`~ecservice.payments.InMemoryGateway`. With a database the gateway is a
    :class:`~ecservice.storage.sql.SqlGateway` whose books are in the same PostgreSQL database,
    or in an SQLite file beside the store's (:func:`gateway_url`).

    A database that already holds demo orders is continued: the orders an earlier run left
    open (also one killed at any point) move on with the new ones, cancellations it did not
    refund are refunded, and the new orders are numbered after the stored ones, in a month
    that starts the day after the last of them; the cases it left in progress move on too.

    ``workers`` processes (on a database several processes reach: an SQLite file or
    PostgreSQL) share the orders, each order handled by one of them; they move through the days
    together, and claim the orders due for automatic confirmation through the store's timer
    index (``SKIP LOCKED`` on PostgreSQL), so that each is confirmed once; the cases follow
    their orders, and their timers are claimed the same way. The workers end with the calling
    process, however it ends (:mod:`ecservice._demo_workers`); Ctrl-C in it stops them.

    One run at a time uses a database (:mod:`ecservice._demo_lock`): a run finding another
    one, or the workers of one, on it raises :class:`~ecservice._demo_lock.DatabaseInUse`.

    ``money_conserved`` checks, over every stored order: that the gateway's books balance (in
    memory: nothing created or lost; in SQL: :meth:`~ecservice.storage.sql.SqlGateway.audit`),
    that the merchant holds what the stored payments say they kept, and that every paid order's
    stored payments kept exactly the order's amount due less its cases' refunds, each made once
    (:func:`~ecservice._demo_figures.money_problems`). With one worker the run is
    deterministic for a given ``seed`` and starting database.

    Args:
        n: how many orders to place (at least 1).
        seed: the seed of the random choices.
        days: over how many simulated days (at least 1).
        db: the database's URL, or ``None`` for a store in memory.
        workers: how many processes share the work (1 to :data:`MAX_WORKERS`).
        progress: called with (days done, days) at the end of each day.

    Raises:
        ValidationError: a bad count, or several workers on a store only one process sees.
        MigrationError: the database cannot be reached or migrated.
        StorageUnavailable: the database failed during the run.
        DatabaseInUse: another run, or workers of one, use the database (a
            :class:`~ecservice.errors.StorageUnavailable`); nothing was stored.
        DemoWorkerFailed: a worker process failed (a :class:`RuntimeError`; its error is in
            the message).
    """
    for name, value, high in (("n", n, 10**7), ("days", days, 3650), ("workers", workers, 32)):
        if type(value) is not int or not 1 <= value <= high:
            raise ValidationError(f"{name} must be an int from 1 to {high}, not {value!r:.40}")
    if workers > 1 and in_memory(db):
        raise ValidationError(
            "several workers need a database that several processes reach: an SQLite file or "
            "PostgreSQL, not a store in memory"
        )
    clock = FixedClock(START)
    policy = AutoConfirmPolicy(days=10)
    store = open_store(db, clock, policy)
    try:
        # One run at a time: another one, or the workers of one, would race this one.
        lock = hold_run(None if in_memory(db) else db)
        gateway_db = None if db is None else gateway_url(db)
        gateway = open_gateway(gateway_db, clock, prepare=True)
        wallets = open_instruments(gateway, clock)
    except BaseException:
        dispose(store)
        raise
    try:
        if wallets is not None:
            wallets.prepare()
        stored = stored_orders(store)
        earlier = stored[-1] + 1 if stored else 0
        resume: tuple[str, ...] = ()
        unsettled: tuple[str, ...] = ()
        cases = tuple(stored_ids(store, "aftersales_case") or ())
        complaints = tuple(stored_ids(store, "complaint") or ())
        start = START
        if stored:
            resume, unsettled, last = _earlier_work(store, stored, cases, complaints)
            # Simulated days start at START's hour; complaints move within a day.
            start = START.add(days=int((last - START).total_seconds() // 86_400) + 1)
        plan = _Plan(
            db=db,
            gateway_db=gateway_db,
            seed=seed,
            days=days,
            start=start,
            ids=tuple(order_id_of(earlier + i) for i in range(n)),
            first=earlier,
            per_day=tuple(n // days + (1 if d < n % days else 0) for d in range(days)),
            resume=resume,
            unsettled=unsettled,
            workers=workers,
            cases=cases,
            complaints=complaints,
            b2b=tuple(business_orders(earlier, n)),
            b2b_earlier=tuple(earlier_business_orders(store)),
            ratings=tuple(stored_ids(store, "rating", timed=True) or ()),
            surveys=tuple(stored_ids(store, "survey", timed=True) or ()),
            feedback=tuple(stored_ids(store, "feedback") or ()),
        )
        if workers == 1:
            clock.set(start)
            tally = _simulate(
                plan, 0, store, gateway, clock, random.Random(seed), progress, wallets=wallets
            )
        else:
            tally = _run_workers(plan, progress)
        return summarise(store, gateway, plan, tally, stored, wallets)
    finally:
        dispose(store, gateway, wallets)
        lock.release()


def _mine(plan: _Plan, worker: int, order_id: str) -> bool:
    """Whether ``worker`` handles ``order_id`` (orders are dealt round the workers)."""
    return int(order_id.rpartition("-")[2]) % plan.workers == worker


def _simulate(
    plan: _Plan,
    worker: int,
    store: Store,
    gateway: Gateway,
    clock: FixedClock,
    rng: random.Random,
    progress: Callable[[int, int], None] | None,
    barrier: Barrier | None = None,
    *,
    wallets: InstrumentDesks | None = None,
) -> _Tally:
    """Run the plan's days for the orders of ``worker`` and their after-sales cases; return
    what it counted."""
    policy = AutoConfirmPolicy(days=10)
    # E-wallet and e-cash payments go to their services, the rest to the card gateway.
    routed = gateway if wallets is None else wallets.routed(gateway)
    line = LossyLine(routed, rng)
    # The shop's exception rules (异常订单) screen every new order; flagged ones are held.
    service = OrderService(
        store, line, clock=clock, auto_confirm=policy, exceptions=ExceptionPolicy()
    )
    # After-sales draws from its own stream, so that the orders' own choices stay the same.
    cases_rng = random.Random(f"{plan.seed}/aftersales/{worker}/{plan.workers}")
    cases_line = LossyLine(routed, cases_rng)
    desk = CaseDesk(
        store,
        cases_line,
        clock,
        cases_rng,
        OrderService(store, cases_line, clock=clock, auto_confirm=policy),
        lambda order_id: _mine(plan, worker, order_id),
    )
    desk.resume(plan.cases)
    # Complaints draw from a stream of their own too; they may open cases at the desk.
    complaints = ComplaintDesk(
        store,
        clock,
        random.Random(f"{plan.seed}/complaints/{worker}/{plan.workers}"),
        desk,
        lambda order_id: _mine(plan, worker, order_id),
    )
    complaints.resume(plan.complaints)
    # Consultations, ratings, surveys and feedback draw from the ids they act on.
    service_desk = ServiceDesk(
        store,
        clock,
        plan.seed,
        worker,
        plan.workers,
        lambda order_id: _mine(plan, worker, order_id),
    )
    service_desk.resume(plan.ratings, plan.surveys, plan.feedback)
    # The business desk: B2B orders paid with electronic drafts, spread over the first two
    # thirds of the days so that most drafts mature within the run.
    drafts = open_draft_desk(
        store, clock, plan.seed, service, lambda order_id: _mine(plan, worker, order_id)
    )
    if drafts is not None:
        drafts.resume(plan.b2b_earlier)
    b2b_days = max(1, plan.days * 2 // 3)
    b2b_on = [(k * b2b_days) // max(1, len(plan.b2b)) for k in range(len(plan.b2b))]
    seen: dict[str, OrderStatus] = {}
    unsettled = {o for o in plan.unsettled if _mine(plan, worker, o)}
    # Earlier orders still open, and finished ones that may owe a refund (settled on day one).
    open_ids = [o for o in plan.resume if _mine(plan, worker, o)]
    open_ids += sorted(unsettled.difference(open_ids))
    declined: set[str] = set()
    placed = 0
    auto = 0
    for day in range(plan.days):
        # The scheduled job first: parcels nobody confirmed for ten days are confirmed.
        auto += service.run_due_timers(limit=500)
        still_open: list[str] = []
        for order_id in open_ids:
            dice = Dice.draw(rng)
            held = order_id in desk.held
            action, status = service.change(
                order_id, day_step(dice, clock, declined=order_id in declined, held=held)
            )
            try:
                if action == PAY:
                    paid = service.pay(
                        order_id, instrument_of(order_id, wallets=wallets is not None)
                    )
                    if paid.payment_status is PaymentStatus.FAILED:
                        declined.add(order_id)
                    elif paid.paid:
                        desk.paid(order_id, day)
                        complaints.paid(order_id, day)
                elif action == SETTLE or order_id in unsettled:
                    service.settle(order_id)  # refunds whatever was cancelled
                    unsettled.discard(order_id)
            except (GatewayUnavailable, PaymentDeclined):
                unsettled.add(order_id)  # an answer was lost: tomorrow's run retries
            if seen.get(order_id) is not status:
                seen[order_id] = status
                if status is OrderStatus.IN_TRANSIT:
                    desk.shipped(order_id, day)
                    complaints.shipped(order_id, day)
                elif status is OrderStatus.DONE:
                    desk.delivered(order_id, day)
                    complaints.delivered(order_id, day)
                    service_desk.delivered(order_id)
            if status not in (OrderStatus.DONE, OrderStatus.CANCELLED) or order_id in unsettled:
                still_open.append(order_id)
            else:
                seen.pop(order_id, None)
        open_ids = still_open
        # The after-sales desk: the cases' timers, new requests, every case moved on.
        cases_open = set(desk.open)
        desk.day(day)
        unsettled |= desk.settle
        desk.settle.clear()
        for _ in range(plan.per_day[day]):
            order_id = plan.ids[placed]
            i = plan.first + placed
            placed += 1
            if not _mine(plan, worker, order_id):
                continue
            cart, buyer = new_cart(i, rng, clock)
            # Most cards, e-wallets and coin wallets are funded; a few are empty and declined.
            funded = rng.random() >= 0.02
            stored = wallets is not None and wallets.fund(order_id, FUNDS if funded else None)
            if not stored and funded:
                _fund(gateway, order_id)
            run_in_transaction(store, adding(cart))
            order = service.place_order(
                cart.id,
                order_id,
                address=address_of(i),
                shipping=RATE,
                actor=buyer,
                remarks=remarks_of(plan.seed, order_id),
            )
            service_desk.placed(order)
            open_ids.append(order_id)
        service_desk.walk_ins(plan.per_day[day])
        if drafts is not None:
            for order_id, on in zip(plan.b2b, b2b_on, strict=True):
                if on == day:
                    drafts.place(order_id, 20 + int(order_id[-3:]) % 60)
            drafts.day()
        # The complaint desk works through the day's hours; then the service desk's steps.
        complaints_open = set(complaints.open)
        complaints.day(day)
        service_desk.ended(
            sorted(cases_open.difference(desk.open)),
            sorted(complaints_open.difference(complaints.open)),
        )
        service_desk.day(plan.start.add(days=day + 1))
        clock.set(plan.start.add(days=day + 1))
        if barrier is not None:
            barrier.wait(DAY_TIMEOUT)
        if progress is not None:
            progress(day + 1, plan.days)
    # The last reconciliation of the month, over a healthy line, of every order a lost answer
    # left unsettled (the others were settled when they changed).
    line.healthy = cases_line.healthy = True
    desk.finish()
    complaints.finish()
    service_desk.finish()
    for order_id in sorted(unsettled | desk.settle):
        service.settle(order_id)
    refusals = tuple(sorted(desk.refusals.items()))
    made = tuple(sorted((kind, i) for kind, ids in service_desk.made.items() for i in ids))
    return _Tally(auto, line.lost + cases_line.lost, refusals, made)


def _fund(gateway: Gateway, order_id: str) -> None:
    card = card_of(order_id)
    if isinstance(gateway, InMemoryGateway):
        gateway.fund(card, FUNDS)
        return
    from ecservice.storage.sql import SqlGateway

    assert isinstance(gateway, SqlGateway)
    # Once per order, however often a killed run is continued.
    gateway.fund(card, FUNDS, idempotency_key=f"fund-{order_id}")


def _worker(
    plan: _Plan,
    worker: int,
    barrier: Barrier,
    days_done: multiprocessing.Queue[int],
    results: multiprocessing.Queue[Outcome[_Tally]],
) -> None:
    """One worker process: its share of the plan, on its own connections. It ends as soon as
    its parent ends, and leaves Ctrl-C to the parent, which stops it."""
    exit_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        held = hold_worker(plan.db, worker)  # a later run waits for it, or refuses
        clock = FixedClock(plan.start)
        policy = AutoConfirmPolicy(days=10)
        store = open_store(plan.db, clock, policy)
        gateway = open_gateway(plan.gateway_db, clock, prepare=False)
        wallets = open_instruments(gateway, clock)
        try:
            report = days_done.put if worker == 0 else None
            rng = random.Random(f"{plan.seed}/{worker}/{plan.workers}")
            tally = _simulate(
                plan,
                worker,
                store,
                gateway,
                clock,
                rng,
                None if report is None else lambda done, _total: report(done),
                barrier,
                wallets=wallets,
            )
        finally:
            dispose(store, gateway, wallets)
            held.release()
        results.put(Outcome(worker, tally))
    except BaseException as exc:  # reported to the parent, which raises
        barrier.abort()
        results.put(failed(worker, exc))


def _run_workers(plan: _Plan, progress: Callable[[int, int], None] | None) -> _Tally:
    """Run the plan in ``plan.workers`` processes (:func:`~ecservice._demo_workers.run_workers`:
    they end with their parent, Ctrl-C stops them, a failure raises
    :class:`~ecservice._demo_workers.DemoWorkerFailed`); return what they counted together."""
    tallies: list[_Tally] = run_workers(
        plan.workers, _worker, (plan,), days=plan.days, progress=progress
    )
    return sum(tallies, _Tally())
