"""The demo's business desk: B2B orders paid with electronic commercial drafts (电子商业汇票).

About one order in eighty is a business order. Its buyer, a company, draws a draft on its bank
to the shop's order, for the order's amount and ten days' tenor; the bank accepts it and the
buyer delivers it; the shop stores it and pays the order with it
(:class:`~ecservice.application.EbillService`), then ships. When the maturity date comes the
shop presents the draft (the store's timer finds it); the bank pays nine drafts in ten and
dishonours the tenth, and the shop then claims recourse from the buyer, who settles the next
day with the shop's expenses. Every step reads the stored drafts' state, so a run killed at
any point is continued by the next one without a step done twice.

The keys are derived from the party's name (SHA-256), so that a continued run, with any
seed, signs with the same keys; a real shop keeps its key in a hardware token or a key service.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any, Final

import attrs
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ecservice.application import EbillService, OrderService, draft_payment_id
from ecservice.clock import FixedClock
from ecservice.money import Money, sum_money
from ecservice.orders import Address, Order, OrderLine, OrderStatus
from ecservice.payments import PaymentStatus
from ecservice.payments.ebills import (
    GENESIS,
    ActKind,
    DishonourReason,
    DraftParty,
    DraftStatus,
    DraftTerms,
    ElectronicDraft,
    sign_act,
)
from ecservice.storage import Store, UnitOfWork, run_in_transaction
from ecservice.workflow import Actor

__all__ = [
    "DraftDesk",
    "DraftFigures",
    "b2b_ids",
    "draft_figures",
    "draft_no_of",
    "order_of_draft",
    "shop_party",
]

#: One order in this many is a business order paid with a draft.
EVERY: Final = 80
#: Days from issue to maturity of the demo's drafts.
TENOR_DAYS: Final = 10
#: The shop's expenses claimed with a recourse (票据法 art. 70: 发出通知书的费用 and the like).
EXPENSES: Final = Money("20.00", "CNY")
#: The draft system's own steps (issue, acceptance, delivery are the parties' acts).
SYSTEM: Final = Actor.system("draft-system")
_BANKS: Final = (
    ("Bank of Hangzhou", "313331000014"),
    ("Bank of Ningbo", "313332082914"),
    ("China Merchants Bank", "308584000013"),
)
_ZONE: Final = "Asia/Shanghai"


def _key(name: str) -> Ed25519PrivateKey:
    # One key per party whatever the seed: a run with another seed continues the stored drafts.
    digest = hashlib.sha256(f"ecservice demo/{name}".encode()).digest()
    return Ed25519PrivateKey.from_private_bytes(digest)


def shop_party() -> tuple[DraftParty, Ed25519PrivateKey]:
    """The demo shop as a draft party, with its key."""
    key = _key("shop")
    return DraftParty.of("ecservice demo tea shop", "6222 0000 0001", "ICBC 102100099996", key), key


def b2b_ids(first: int, count: int) -> list[str]:
    """The business orders of a run whose first new order has index ``first`` and which places
    ``count`` orders: one in :data:`EVERY`, numbered after the run's first order."""
    return [f"B2B-{first + k:07d}" for k in range(max(1, count // EVERY) if count else 0)]


def draft_no_of(order_id: str) -> str:
    """The number of the draft that pays a business order (30 digits)."""
    return f"53103320000{int(order_id.removeprefix('B2B-')):019d}"


def order_of_draft(draft_no: str) -> str:
    """The business order a demo draft pays (the inverse of :func:`draft_no_of`)."""
    return f"B2B-{int(draft_no[11:]):07d}"


def _buyer(order_id: str) -> tuple[DraftParty, Ed25519PrivateKey]:
    n = int(order_id.removeprefix("B2B-"))
    key = _key(f"buyer/{n}")
    return DraftParty.of(f"Buyer company {n}", f"6222 1000 {n:04d}", "ABC 103100000026", key), key


def _bank(order_id: str) -> tuple[DraftParty, Ed25519PrivateKey]:
    name, code = _BANKS[int(order_id.removeprefix("B2B-")) % len(_BANKS)]
    key = _key(f"bank/{name}")
    return DraftParty.of(name, f"9999 {code[-4:]}", f"{name} {code}", key), key


def _dishonoured(seed: int, draft_no: str) -> bool:
    """Whether the acceptor refuses the draft (one in ten, by the draft's number)."""
    return hashlib.sha256(f"{seed}/answer/{draft_no}".encode()).digest()[0] % 10 == 0


class DraftDesk:
    """The business orders of one worker and the drafts that pay them."""

    def __init__(
        self,
        store: Store,
        clock: FixedClock,
        seed: int,
        orders: OrderService,
        mine: Callable[[str], bool],
    ) -> None:
        self.store = store
        self.clock = clock
        self.seed = seed
        self.orders = orders
        self.mine = mine
        self.shop, key = shop_party()
        self.service = EbillService(store, self.shop, key, clock=clock)
        self.ids: list[str] = []

    def resume(self, order_ids: Iterable[str]) -> None:
        """Go on with earlier business orders (their drafts are stored)."""
        self.ids.extend(o for o in order_ids if self.mine(o) and o not in self.ids)

    def place(self, order_id: str, quantity: int) -> None:
        """Place business order ``order_id``, have its buyer draw and deliver the draft, store
        it and pay the order with it; each step is skipped when already stored."""
        if not self.mine(order_id):
            return
        if order_id not in self.ids:
            self.ids.append(order_id)
        now = self.clock.now()
        draft_no = draft_no_of(order_id)

        def place(uow: UnitOfWork) -> tuple[Money, ElectronicDraft | None]:
            order = uow.orders.find(order_id)
            if order is None:
                order = Order(
                    id=order_id,
                    buyer_id=f"company-{order_id.removeprefix('B2B-')}",
                    lines=[
                        OrderLine(
                            sku="LJ-500",
                            name="Longjing tea, 500 g (wholesale)",
                            unit_price=Money("950.00", "CNY"),
                            quantity=quantity,
                        )
                    ],
                    address=Address(
                        recipient="Receiving desk",
                        phone="13800138000",
                        province="Zhejiang",
                        city="Hangzhou",
                        street=f"{quantity} Wensan Road",
                    ),
                    shipping_fee=Money("0.00", "CNY"),
                    created_at=now,
                    clock=self.clock,
                )
                uow.orders.add(order)
            return order.amount_due, uow.drafts.find(draft_no)

        amount, stored = run_in_transaction(self.store, place, retry_conflicts=True)
        if stored is None:
            self.service.receive(self._draw(order_id, draft_no, amount))
        self.service.pay(order_id, draft_no)

    def _draw(self, order_id: str, draft_no: str, amount: Money) -> ElectronicDraft:
        buyer, buyer_key = _buyer(order_id)
        bank, bank_key = _bank(order_id)
        now = self.clock.now()
        issued_on = now.in_tz(_ZONE).date()
        terms = DraftTerms(
            number=draft_no,
            drawer=buyer,
            acceptor=bank,
            payee=self.shop,
            amount=amount,
            issued_on=issued_on,
            matures_on=issued_on + _dt.timedelta(days=TENOR_DAYS),
        )
        issue = sign_act(
            buyer_key,
            draft_no=draft_no,
            kind=ActKind.ISSUE,
            at=now,
            by=buyer,
            previous=GENESIS,
            terms=terms,
        )
        draft = ElectronicDraft.issue(issue, actor=SYSTEM, clock=self.clock)
        draft.accept(draft.sign(bank_key, ActKind.ACCEPT, by=bank), actor=SYSTEM)
        draft.deliver(
            draft.sign(buyer_key, ActKind.DELIVER, by=buyer, party=self.shop), actor=SYSTEM
        )
        return draft

    def day(self) -> None:
        """The day's work: present what matured, the banks' answers, recourse claims and
        settlements, and ship the business orders paid so far."""
        self.service.run_due(limit=200)
        for order_id in self.ids:
            self._step(order_id)

    def _step(self, order_id: str) -> None:
        draft_no = draft_no_of(order_id)
        draft = run_in_transaction(self.store, lambda uow: uow.drafts.find(draft_no))
        if draft is None:
            return
        status = draft.status
        if status is DraftStatus.PRESENTED:
            bank, bank_key = _bank(order_id)
            if _dishonoured(self.seed, draft_no):
                act = draft.sign(
                    bank_key, ActKind.DISHONOUR, by=bank, reason=DishonourReason.INSUFFICIENT_FUNDS
                )
            else:
                act = draft.sign(bank_key, ActKind.PAY, by=bank, amount=draft.terms.amount)
            self.service.record(draft_no, act)
        elif status is DraftStatus.DISHONOURED and draft.holder == self.shop:
            buyer, _ = _buyer(order_id)
            self.service.claim_recourse(draft_no, buyer, expenses=EXPENSES)
        elif status is DraftStatus.IN_RECOURSE and draft.holder == self.shop:
            claim = draft.acts[-1]
            buyer, buyer_key = _buyer(order_id)
            if claim.kind is ActKind.CLAIM_RECOURSE and claim.party == buyer:
                assert claim.amount is not None
                zero = Money.zero(claim.amount.currency)
                total = claim.amount + (claim.interest or zero) + (claim.expenses or zero)
                act = draft.sign(buyer_key, ActKind.SETTLE_RECOURSE, by=buyer, amount=total)
                self.service.record(draft_no, act)
        self._ship(order_id)

    def _ship(self, order_id: str) -> None:
        def ship(order: Order[Any]) -> None:
            if order.status is OrderStatus.PROCESSING:
                order.ship(
                    carrier="Deppon Freight",
                    tracking_no=f"DP{order_id.removeprefix('B2B-')}",
                    actor=Actor.staff("warehouse"),
                )

        self.orders.change(order_id, ship)


@attrs.frozen(kw_only=True)
class DraftFigures:
    """Where the business orders' drafts stand, and whether their money adds up.

    ``conserved``: every draft that pays an order pays exactly that order's amount, once; the
    shop's position on each is exactly one of receivable (held or presented), collected (the
    acceptor paid, or the recourse was settled) or claimed (dishonoured, recourse open); and
    nothing was paid twice on a draft.
    """

    drafts: int
    by_status: dict[DraftStatus, int]
    face: Money
    paid_at_maturity: Money
    dishonoured: int
    recourse_collected: Money
    receivable: Money
    claimed: Money
    problems: tuple[str, ...] = ()

    @property
    def conserved(self) -> bool:
        """No problem found."""
        return not self.problems


def draft_figures(store: Store, order_ids: Iterable[str], shop: DraftParty) -> DraftFigures:
    """The figures of the drafts paying ``order_ids`` as stored (see :class:`DraftFigures`)."""
    ids = list(order_ids)

    def load(uow: UnitOfWork) -> list[tuple[Order[Any], ElectronicDraft, Any]]:
        found = []
        for order_id in ids:
            draft = uow.drafts.find(draft_no_of(order_id))
            order = uow.orders.find(order_id)
            if draft is None or order is None:
                continue
            found.append((order, draft, uow.payments.find(draft_payment_id(draft))))
        return found

    rows = run_in_transaction(store, load)
    zero = Money.zero("CNY")
    problems: list[str] = []
    paid = collected = receivable = claimed = zero
    dishonoured = 0
    for order, draft, payment in rows:
        face = draft.terms.amount
        to_shop = [p for p in draft.payments if p.payee == shop]
        if len(to_shop) > 1:
            problems.append(f"draft {draft.id} paid the shop {len(to_shop)} times")
        if payment is None or payment.status is not PaymentStatus.CAPTURED:
            problems.append(f"order {order.id}: its draft payment is not captured")
            continue
        if payment.captured != face or order.amount_due != face:
            problems.append(f"order {order.id} owes {order.amount_due}; its draft is for {face}")
        if any(a.kind is ActKind.DISHONOUR for a in draft.acts):
            dishonoured += 1
        if draft.status in (DraftStatus.HELD, DraftStatus.PRESENTED) and draft.holder == shop:
            receivable += face
        elif to_shop and to_shop[0].kind is ActKind.PAY:
            paid += to_shop[0].amount
        elif to_shop:
            if to_shop[0].amount < face:
                problems.append(f"draft {draft.id}: recourse settled below its face amount")
            collected += to_shop[0].amount
        elif draft.holder == shop and draft.status in (
            DraftStatus.DISHONOURED,
            DraftStatus.IN_RECOURSE,
        ):
            claimed += face
        else:
            problems.append(f"draft {draft.id} ({draft.status.name}) left the shop unpaid")
    return DraftFigures(
        drafts=len(rows),
        by_status=dict(Counter(d.status for _, d, _ in rows)),
        face=sum_money((d.terms.amount for _, d, _ in rows), "CNY"),
        paid_at_maturity=paid,
        dishonoured=dishonoured,
        recourse_collected=collected,
        receivable=receivable,
        claimed=claimed,
        problems=tuple(problems),
    )
