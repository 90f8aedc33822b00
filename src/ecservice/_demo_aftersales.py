"""After-sales (售后) in the simulated shop of ``ecservice demo``: buyers open cases, the shop and
the platform answer them day by day, and the figures of the month.

Private to the demo (:mod:`ecservice._demo` runs it). Every case is opened through
:meth:`~ecservice.application.AfterSalesService.open_case` (the shop's
:class:`~ecservice.aftersales.AfterSalesPolicy` refuses some requests, and the demo counts the
refusals by rule), moved on by one trigger a day at most in a unit of work, its timers run by
:meth:`~ecservice.application.AfterSalesService.run_due_timers`, and every refund it decides
paid by :meth:`~ecservice.application.AfterSalesService.refund` (through the payment that paid,
once per key; a lost answer is retried the next day with the same key).

The shares (of orders, per simulated order) follow what marketplaces publish: a Taobao-like shop
sees after-sales on a few percent of its orders, most of them 7-day no-reason returns.

* Delivered orders: :data:`CASE_SHARE` get a case, of the kinds of :data:`SCENARIOS`.
* Paid orders not yet shipped: :data:`BEFORE_SHIPMENT_SHARE` ask for a refund (仅退款); the
  shop holds the parcel, refunds the goods, then cancels the order (whose settlement refunds the
  shipping fee).
* Shipped orders: :data:`LOST_SHARE` of the parcels are lost; the buyer asks, after a few days
  without news, for a reship (60%) or a refund.

How each case goes is drawn once per case (:class:`Script`, from the case id): some sellers never
answer (the timer approves), some buyers withdraw or never send the return back (the timer
closes the case), some sellers never confirm a returned parcel (the timer refunds or receives
it), some inspections fail, and some refusals go to the platform, which rules.
"""

from __future__ import annotations

import datetime as _dt
import enum
import hashlib
import random
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any, Final

import attrs

from ecservice._demo_shop import STAFF
from ecservice.aftersales import (
    AfterSalesCase,
    AfterSalesPolicy,
    CaseStatus,
    CompensationTier,
    Evidence,
    EvidenceKind,
    GoodsClass,
    ItemTraits,
    NotEligible,
    PhotoReference,
    ProblemKind,
    RemedyKind,
    ShipmentReference,
)
from ecservice.application import AfterSalesService, OrderService
from ecservice.clock import FixedClock
from ecservice.errors import GatewayUnavailable
from ecservice.money import Money
from ecservice.orders import Order, OrderStatus
from ecservice.payments import (
    OrderPayments,
    PaymentDeclined,
    PaymentGateway,
)
from ecservice.storage import Store, UnitOfWork, run_in_transaction
from ecservice.workflow import Actor

__all__ = [
    "BEFORE_SHIPMENT_SHARE",
    "CASE_SHARE",
    "LOST_SHARE",
    "SCENARIOS",
    "ZONE",
    "CaseDesk",
    "Scenario",
    "Script",
    "advance",
    "case_id_of",
]

#: Share of delivered orders whose buyer opens a case.
CASE_SHARE: Final = 0.04
#: Share of paid, unshipped orders whose buyer asks for a refund before shipment.
BEFORE_SHIPMENT_SHARE: Final = 0.01
#: Share of shipped orders whose parcel is lost.
LOST_SHARE: Final = 0.008
#: Who rules when the platform steps in (客服介入).
PLATFORM: Final = Actor.staff("platform-xiaoer")
ZONE: Final = "Asia/Shanghai"
#: What the shop says of its goods for returns: crabs are fresh (excluded from no-reason
#: returns outright, CPL art. 25 para. 1); the rest are ordinary.
TRAITS: Final = {"CRAB-6": ItemTraits(classes={GoodsClass.PERISHABLE})}
_ENDS: Final = frozenset(
    {
        CaseStatus.REFUNDED,
        CaseStatus.EXCHANGED,
        CaseStatus.REPAIRED,
        CaseStatus.RESHIPPED,
        CaseStatus.COMPENSATED,
        CaseStatus.WITHDRAWN,
        CaseStatus.CLOSED,
    }
)
_HOLDING: Final = frozenset({ProblemKind.REFUND_BEFORE_SHIPMENT, ProblemKind.LOST_PARCEL})


class Scenario(enum.Enum):
    """What a buyer asks for, as ``(remedy, problem)``."""

    NO_REASON = (RemedyKind.RETURN_AND_REFUND, ProblemKind.NO_REASON_RETURN)
    QUALITY_EXCHANGE = (RemedyKind.EXCHANGE, ProblemKind.QUALITY)
    MISSING_ITEM = (RemedyKind.REFUND_ONLY, ProblemKind.MISSING_OR_EXTRA)
    COMPENSATION = (RemedyKind.COMPENSATION, ProblemKind.COLOUR_DIFFERENCE)
    REPAIR = (RemedyKind.REPAIR, ProblemKind.DEFECT)
    DISPUTE = (RemedyKind.RETURN_AND_REFUND, ProblemKind.NOT_AS_PICTURED)
    BEFORE_SHIPMENT = (RemedyKind.REFUND_ONLY, ProblemKind.REFUND_BEFORE_SHIPMENT)
    LOST_RESHIP = (RemedyKind.RESHIP, ProblemKind.LOST_PARCEL)
    LOST_REFUND = (RemedyKind.REFUND_ONLY, ProblemKind.LOST_PARCEL)


#: The cases of delivered orders, by kind, with their shares (no-reason returns first, as on
#: marketplaces; a photo for the problems a photo shows, Taobao's dispute rules).
SCENARIOS: Final = (
    (Scenario.NO_REASON, 0.40),
    (Scenario.QUALITY_EXCHANGE, 0.18),
    (Scenario.MISSING_ITEM, 0.10),
    (Scenario.COMPENSATION, 0.14),
    (Scenario.REPAIR, 0.08),
    (Scenario.DISPUTE, 0.10),
)


def case_id_of(order_id: str) -> str:
    """The id of the demo's case of an order (one per order): ``AS-000123``."""
    return "AS-" + order_id.rpartition("-")[2]


@attrs.frozen
class Script:
    """How one case goes, drawn once from its id: who answers, when, and how."""

    silent_seller: bool  # the seller never answers: the timer approves
    answer_days: int
    withdraws: bool  # the buyer withdraws on the day after asking or after the approval
    keeps_goods: bool  # the buyer never ships the return: the timer closes the case
    ship_days: int
    transit_days: int
    slow_seller: bool  # the seller never confirms the return: the timer refunds or receives
    inspection_fails: bool
    escalates: bool  # after a failed inspection the buyer asks the platform (else a partial refund)
    for_buyer: bool  # the platform's ruling
    repair_fails: bool  # the first two repairs fail: the unit is exchanged

    @classmethod
    def of(cls, case_id: str) -> Script:
        digest = hashlib.sha256(case_id.encode()).digest()
        r = random.Random(int.from_bytes(digest[:8], "big"))
        return cls(
            silent_seller=r.random() < 0.12,
            answer_days=r.choice((1, 1, 2)),
            withdraws=r.random() < 0.07,
            keeps_goods=r.random() < 0.05,
            ship_days=r.randint(1, 3),
            transit_days=r.randint(2, 4),
            slow_seller=r.random() < 0.05,
            inspection_fails=r.random() < 0.1,
            escalates=r.random() < 0.5,
            for_buyer=r.random() < 0.6,
            repair_fails=r.random() < 0.25,
        )


def _photo(case_id: str) -> Evidence:
    digest = hashlib.sha256(case_id.encode()).hexdigest()
    photo = PhotoReference(sha256=digest, uri=f"oss://aftersales-evidence/{case_id}/1.jpg")
    return Evidence(photos=(photo,), note="photo of the problem")


def _parcel(case: AfterSalesCase, n: int) -> ShipmentReference:
    return ShipmentReference(
        shipment_id=f"{case.id}-S{n}", carrier="SF Express", tracking_no=f"SF{case.id[3:]}{n}"
    )


def _days_in(case: AfterSalesCase, now: _dt.datetime) -> int:
    since = case.entered_at(case.status) or case.opened_at
    return (now - since).days


def advance(case: AfterSalesCase, script: Script, now: _dt.datetime) -> bool:
    """Move ``case`` on by what its buyer, its seller or the platform does today; whether it
    changed. A pure step on the loaded case (run again on a fresh copy after a conflict)."""
    s, remedy, buyer = case.status, case.remedy, Actor.buyer(case.buyer_id)
    waited = _days_in(case, now)
    dispute = case.problem is ProblemKind.NOT_AS_PICTURED
    version = case.version
    if s is CaseStatus.REQUESTED:
        if script.withdraws and waited >= 1:
            case.withdraw(actor=buyer, note="sorted it out with the seller")
        elif not script.silent_seller and waited >= script.answer_days:
            if dispute and case.ruling is None:
                reason = "the goods match the listing's photos, taken in daylight"
                case.reject(expected_version=version, reason=reason, actor=STAFF)
            else:
                case.approve(expected_version=version, actor=STAFF)
    elif s is CaseStatus.REJECTED and waited >= 1:
        case.escalate(reason="the seller refused; the photos show the difference", actor=buyer)
    elif s is CaseStatus.INTERVENTION and waited >= 2:
        grounds = "the photos show it" if script.for_buyer else "the buyer's photos do not show it"
        case.rule(for_buyer=script.for_buyer, grounds=grounds, actor=PLATFORM)
    elif s is CaseStatus.APPROVED and waited >= 1:
        if remedy is RemedyKind.RESHIP:
            case.reship(shipment=_parcel(case, len(case.new_shipments) + 1), actor=STAFF)
        elif remedy is RemedyKind.COMPENSATION:
            case.compensate(actor=STAFF, note="sorry for the difference")
        else:
            case.refund(actor=STAFF)
    elif s is CaseStatus.AWAITING_RETURN:
        if script.withdraws and not script.keeps_goods and waited >= 1:
            case.withdraw(actor=buyer, note="decided to keep it")
        elif not script.keeps_goods and waited >= script.ship_days:
            case.ship_return(carrier="ZTO", tracking_no=f"ZT{case.id[3:]}", actor=buyer)
    elif s is CaseStatus.RETURN_IN_TRANSIT:
        if not script.slow_seller and waited >= script.transit_days:
            case.receive_return(actor=STAFF)
    elif s is CaseStatus.RECEIVED:
        if script.inspection_fails and case.ruling is None:
            case.inspect(passed=False, actor=STAFF, note="used and without its tags")
        else:
            case.inspect(passed=True, actor=STAFF)
    elif s is CaseStatus.INSPECTION_PASSED and waited >= 1:
        _give_remedy(case, script)
    elif s is CaseStatus.INSPECTION_FAILED and waited >= 1:
        if remedy is not RemedyKind.RETURN_AND_REFUND:
            case.close(actor=STAFF, note="the goods were sent back to the buyer as they came")
        elif script.escalates:
            case.escalate(reason="the goods were sent back unused", actor=buyer)
        else:
            half = case.refundable.allocate([1, 1])[0]
            case.refund(actor=STAFF, amount=half, note="partial refund: the goods were used")
    return case.version != version


def _give_remedy(case: AfterSalesCase, script: Script) -> None:
    remedy = case.remedy
    if remedy is RemedyKind.EXCHANGE or (remedy is RemedyKind.REPAIR and case.repairs_exhausted):
        case.exchange(shipment=_parcel(case, len(case.new_shipments) + 1), actor=STAFF)
    elif remedy is RemedyKind.REPAIR:
        # One repair a day; a failed one keeps the case where it is.
        sku = case.lines[0].sku
        if script.repair_fails:
            case.repair(sku=sku, unit=1, succeeded=False, actor=STAFF, note="still faulty")
        else:
            parcel = _parcel(case, len(case.new_shipments) + 1)
            case.repair(sku=sku, unit=1, succeeded=True, actor=STAFF, shipment=parcel)
    else:
        case.refund(actor=STAFF)


def _finished(case: AfterSalesCase, recorded: set[str], order: Order[Any]) -> bool:
    """Whether the demo is done with a case: it ended, the payment recorded every refund it
    decided, and an order refunded before shipment was cancelled."""
    if case.status not in _ENDS:
        return False
    if any(key not in recorded for key, _ in case.refund_requests()):
        return False
    return not _cancels_order(case) or order.status is OrderStatus.CANCELLED


def _cancels_order(case: AfterSalesCase) -> bool:
    return case.problem is ProblemKind.REFUND_BEFORE_SHIPMENT and bool(case.refunds)


def _recorded(uow: UnitOfWork, order: Order[Any]) -> set[str]:
    paying = OrderPayments.paid_by(order)
    if paying is None:
        return set()
    return {key for key, _f, _v in uow.payments.get(paying).idempotency}


class CaseDesk:
    """One worker's after-sales desk: opens its orders' cases and moves them on each day.

    Args:
        store: the shop's store.
        gateway: the gateway line the refunds go through (the demo's lossy line).
        clock: the simulated clock.
        rng: the random choices of who asks (its own stream, so the orders' stay the same).
        orders: the worker's order service (to cancel an order refunded before shipment).
        mine: whether an order id is this worker's.
    """

    def __init__(
        self,
        store: Store,
        gateway: PaymentGateway,
        clock: FixedClock,
        rng: random.Random,
        orders: OrderService,
        mine: Callable[[str], bool],
    ) -> None:
        self.store = store
        self.clock = clock
        self.rng = rng
        self.orders = orders
        self.mine = mine
        self.service = AfterSalesService(store, gateway, clock=clock, policy=AfterSalesPolicy())
        self.open: list[str] = []  # case ids followed, in opening order
        self.held: set[str] = set()  # orders the shop does not ship or the buyer cannot confirm
        self.planned: dict[str, tuple[int, Scenario]] = {}  # order id -> (day to ask, scenario)
        self.refusals: Counter[str] = Counter()
        self.timers = 0
        self.settle: set[str] = set()  # orders cancelled here, whose settlement is owed

    # --- what the orders' day tells the desk ----------------------------------------------------

    def paid(self, order_id: str, day: int) -> None:
        """An order was paid today: a few buyers ask for a refund before it ships."""
        if self.rng.random() < BEFORE_SHIPMENT_SHARE:
            self.held.add(order_id)
            self.planned[order_id] = (day, Scenario.BEFORE_SHIPMENT)

    def shipped(self, order_id: str, day: int) -> None:
        """An order's parcels left today: a few are lost, and the buyer asks days later."""
        if self.rng.random() < LOST_SHARE:
            self.held.add(order_id)
            kind = Scenario.LOST_RESHIP if self.rng.random() < 0.6 else Scenario.LOST_REFUND
            self.planned[order_id] = (day + self.rng.randint(4, 6), kind)

    def delivered(self, order_id: str, day: int) -> None:
        """An order was delivered (done): a few buyers ask for after-sales within days."""
        if order_id in self.planned or self.rng.random() >= CASE_SHARE:
            return
        roll, scenario = self.rng.random(), SCENARIOS[-1][0]
        for candidate, share in SCENARIOS:
            if roll < share:
                scenario = candidate
                break
            roll -= share
        # Most ask within the week; a few no-reason returns come after the window.
        self.planned[order_id] = (day + self.rng.choice((1, 1, 2, 3, 4, 5, 8)), scenario)

    # --- the desk's day -------------------------------------------------------------------------

    def day(self, day: int) -> None:
        """Today's after-sales: the timers, the requests due, every followed case."""
        self.timers += self.service.run_due_timers(limit=500)
        for order_id in sorted(o for o, (d, _) in self.planned.items() if d <= day):
            _, scenario = self.planned.pop(order_id)
            self._ask(order_id, scenario)
        still: list[str] = []
        for case_id in self.open:
            if not self._step(case_id, final=False):
                still.append(case_id)
        self.open = still

    def finish(self) -> None:
        """The month's last reconciliation (over a healthy line): every refund decided is paid
        and every order refunded before shipment cancelled; cases go on next month."""
        self.open = [c for c in self.open if not self._step(c, final=True)]

    def resume(self, case_ids: Iterable[str]) -> None:
        """Follow the stored cases of this worker's orders that are not done with."""

        def work(uow: UnitOfWork) -> list[tuple[str, bool]]:
            found = []
            for case_id in case_ids:
                case = uow.cases.get(case_id)
                if not self.mine(case.order_id):
                    continue
                order = uow.orders.get(case.order_id)
                if not _finished(case, _recorded(uow, order), order):
                    hold = case.problem in _HOLDING and (
                        case.status not in _ENDS or _cancels_order(case)
                    )
                    found.append((case_id, hold))
            return found

        for case_id, hold in run_in_transaction(self.store, work):
            self.open.append(case_id)
            if hold:
                self.held.add("O-" + case_id.removeprefix("AS-"))

    # --- one request, one case ------------------------------------------------------------------

    def _ask(self, order_id: str, scenario: Scenario) -> None:
        case_id = case_id_of(order_id)

        def load(uow: UnitOfWork) -> tuple[Order[Any], bool]:
            return uow.orders.get(order_id), uow.cases.find(case_id) is not None

        order, taken = run_in_transaction(self.store, load)
        remedy, problem = scenario.value
        if taken or not self._askable(order, scenario):
            if case_id not in self.open:
                self.held.discard(order_id)
            return
        lines = self._lines(order, scenario)
        asked: Money | None = None
        tier: CompensationTier | None = None
        if scenario is Scenario.COMPENSATION:
            tier = CompensationTier.SAME_CITY
            # A few ask above the policy's bound (10 CNY in the same city) and are refused.
            yuan = self.rng.choice((15, 20)) if self.rng.random() < 0.2 else self.rng.randint(3, 10)
            asked = Money(yuan, order.currency)
        photo = problem in (ProblemKind.QUALITY, ProblemKind.DEFECT) or scenario in (
            Scenario.COMPENSATION,
            Scenario.DISPUTE,
        )
        try:
            self.service.open_case(
                case_id,
                order_id,
                lines,
                remedy,
                problem,
                asked=asked,
                evidence=(_photo(case_id),) if photo else (),
                evidence_kinds=(EvidenceKind.PHOTO,) if photo else (),
                traits=TRAITS,
                tier=tier,
            )
        except NotEligible as refused:
            for rule in sorted(r.value for r in refused.rules):
                self.refusals[rule] += 1
            self.held.discard(order_id)
            return
        self.open.append(case_id)

    def _askable(self, order: Order[Any], scenario: Scenario) -> bool:
        if scenario is Scenario.BEFORE_SHIPMENT:
            return order.status is OrderStatus.PROCESSING and not order.shipments
        if scenario in (Scenario.LOST_RESHIP, Scenario.LOST_REFUND):
            return order.status is OrderStatus.IN_TRANSIT
        return order.status is OrderStatus.DONE

    def _lines(self, order: Order[Any], scenario: Scenario) -> dict[str, int]:
        if scenario is Scenario.BEFORE_SHIPMENT:
            return {sku: n for sku, n in order.open_items().items() if n}
        if scenario in (Scenario.LOST_RESHIP, Scenario.LOST_REFUND):
            return dict(order.travelling[0].items)
        skus = [line.sku for line in order.lines if order.open_quantity(line.sku) == 0]
        skus = [s for s in skus if order.cancelled_quantity(s) < order.line(s).quantity]
        if scenario is not Scenario.NO_REASON:
            skus = [s for s in skus if s not in TRAITS] or skus
        return {self.rng.choice(skus): 1}

    def _step(self, case_id: str, *, final: bool) -> bool:
        """Move one case on (not on the last reconciliation), pay what it decided, cancel an
        order it refunded before shipment; whether the desk is done with it."""
        script = Script.of(case_id)
        now = self.clock.now()

        def work(uow: UnitOfWork) -> tuple[AfterSalesCase, Order[Any] | None, bool]:
            case = uow.cases.get(case_id)
            if not final and advance(case, script, now):
                uow.cases.save(case)
            if case.status not in _ENDS:
                return case, None, False
            order = uow.orders.get(case.order_id)
            return case, order, _finished(case, _recorded(uow, order), order)

        case, order, done = run_in_transaction(self.store, work, retry_conflicts=True)
        if done:
            self._release(case)
            return True
        if order is None:
            return False
        try:
            self.service.refund(case_id)
        except (GatewayUnavailable, PaymentDeclined):
            return False  # the answer was lost: tomorrow's run asks again with the same key
        if _cancels_order(case) and order.status is not OrderStatus.CANCELLED:
            self.orders.change(order.id, _cancel_after_refund(case_id))
            self.settle.add(order.id)
        self._release(case)
        return True

    def _release(self, case: AfterSalesCase) -> None:
        if case.problem in _HOLDING:
            self.held.discard(case.order_id)


def _cancel_after_refund(case_id: str) -> Callable[[Order[Any]], None]:
    def cancel(order: Order[Any]) -> None:
        if order.status is not OrderStatus.CANCELLED:
            order.cancel(
                reason=f"refunded before shipment (after-sales case {case_id})", actor=STAFF
            )

    return cancel
