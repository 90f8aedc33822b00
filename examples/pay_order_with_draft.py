"""A business order paid with an electronic commercial draft (电子商业汇票), dishonoured at
maturity and settled by recourse (追索).

A stationery wholesaler owes a tea shop 47,500.00 CNY for a B2B order. It pays with a draft it
holds: a paper mill drew the draft on its bank, which accepted it, to the order of a supplier;
the supplier endorsed it to the wholesaler, and the wholesaler endorses it to the shop (two
endorsements), every act signed with its maker's Ed25519 key. The shop stores the draft, pays
the order with it (the order is confirmed), and presents it when its maturity date comes. The
acceptor refuses to pay (拒付); the shop claims recourse from the wholesaler, its immediate
earlier party, for the face amount plus its expenses, and the wholesaler settles. The
wholesaler then holds the draft and may claim from the parties before it in turn.

Everything is stored in SQLite (a file in a temporary folder); each step is one unit of work
of :class:`~ecservice.application.EbillService`.

Run: ``python examples/pay_order_with_draft.py`` (needs the ``crypto`` and ``sql`` extras).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pendulum
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ecservice.application import EbillService
from ecservice.clock import FixedClock
from ecservice.money import Money
from ecservice.orders import Address, Order, OrderLine
from ecservice.payments.ebills import (
    GENESIS,
    ActKind,
    DishonourReason,
    DraftParty,
    DraftTerms,
    ElectronicDraft,
    sign_act,
)
from ecservice.storage import default_timers, draft_next_due
from ecservice.storage.sql import SqlStore
from ecservice.workflow import Actor

SHANGHAI = "Asia/Shanghai"
BANK_DESK = Actor.system("draft-system")


def party(name: str, account: str, bank: str) -> tuple[DraftParty, Ed25519PrivateKey]:
    key = Ed25519PrivateKey.generate()
    return DraftParty.of(name, account, bank, key), key


def main() -> None:
    clock = FixedClock(pendulum.datetime(2026, 3, 2, 9, 30, tz=SHANGHAI))
    drawer, drawer_key = party("Ningbo Paper Mill", "3301 0001", "ICBC 102332000011")
    bank, bank_key = party("Bank of Ningbo", "3301 9999", "NBCB 313332082914")
    supplier, supplier_key = party("Yiwu Supplies Co.", "3301 0004", "BOC 104338000011")
    wholesaler, wholesaler_key = party("Hangzhou Stationery Ltd.", "3301 0002", "CMB 308331012")
    shop, shop_key = party("West Lake Tea Shop", "3301 0003", "ABC 103331000017")

    # The draft system: issue, acceptance, delivery to the payee, two endorsements.
    terms = DraftTerms(
        number="531033200001120260302000000017",
        drawer=drawer,
        acceptor=bank,
        payee=supplier,
        amount=Money("47500.00", "CNY"),
        issued_on=dt.date(2026, 3, 2),
        matures_on=dt.date(2026, 6, 2),
    )
    issue = sign_act(
        drawer_key,
        draft_no=terms.number,
        kind=ActKind.ISSUE,
        at=clock.now(),
        by=drawer,
        previous=GENESIS,
        terms=terms,
    )
    draft = ElectronicDraft.issue(issue, actor=BANK_DESK, clock=clock)
    draft.accept(draft.sign(bank_key, ActKind.ACCEPT, by=bank), actor=BANK_DESK)
    draft.deliver(
        draft.sign(drawer_key, ActKind.DELIVER, by=drawer, party=supplier), actor=BANK_DESK
    )
    draft.endorse(
        draft.sign(supplier_key, ActKind.ENDORSE, by=supplier, party=wholesaler),
        actor=BANK_DESK,
    )
    draft.endorse(
        draft.sign(wholesaler_key, ActKind.ENDORSE, by=wholesaler, party=shop), actor=BANK_DESK
    )
    print(f"draft {draft.id}: {draft.status.label()} ({draft.status.label('zh')}),")
    print(f"  held by {draft.holder.name}")
    print("  endorsed:", " -> ".join(e.by.name for e in draft.endorsements), "->", shop.name)

    with tempfile.TemporaryDirectory() as folder:
        timers = {**default_timers(), "electronic_draft": draft_next_due(holder=shop)}
        store = SqlStore(f"sqlite:///{Path(folder) / 'shop.db'}", clock=clock, timers=timers)
        store.create_schema()
        with store.unit_of_work() as uow:
            uow.orders.add(
                Order(
                    id="B2B-20260302-001",
                    buyer_id="hangzhou-stationery",
                    lines=[
                        OrderLine(
                            sku="LJ-500",
                            name="Longjing tea, 500 g",
                            unit_price=Money("950.00", "CNY"),
                            quantity=50,
                        )
                    ],
                    address=Address(
                        recipient="Receiving desk",
                        phone="13800138000",
                        province="Zhejiang",
                        city="Hangzhou",
                        street="1 Wensan Road",
                    ),
                    shipping_fee=Money("0.00", "CNY"),
                    created_at=clock.now(),
                    clock=clock,
                )
            )
            uow.commit()

        service = EbillService(store, shop, shop_key, clock=clock)
        service.receive(draft)
        outcome = service.pay("B2B-20260302-001", draft.id)
        print(f"order paid: {outcome.paid}, order {outcome.order_status.name}")

        clock.set(pendulum.datetime(2026, 6, 2, 9, 0, tz=SHANGHAI))
        print("drafts presented at maturity:", service.run_due())
        with store.unit_of_work() as uow:
            presented = uow.drafts.get(draft.id)
        refusal = presented.sign(
            bank_key, ActKind.DISHONOUR, by=bank, reason=DishonourReason.INSUFFICIENT_FUNDS
        )
        service.record(draft.id, refusal)
        with store.unit_of_work() as uow:
            refused = uow.drafts.get(draft.id)
        reason = refused.dishonour_reason
        assert reason is not None
        print(f"acceptor's answer: {refused.status.label()} ({refused.status.label('zh')}),")
        print(f"  reason: {reason.label()} ({reason.label('zh')})")
        print("the shop may claim from:")
        print("  " + ", ".join(p.name for p in refused.earlier_parties()))

        service.claim_recourse(draft.id, wholesaler, expenses=Money("25.00", "CNY"))
        with store.unit_of_work() as uow:
            claimed = uow.drafts.get(draft.id)
        settlement = claimed.sign(
            wholesaler_key,
            ActKind.SETTLE_RECOURSE,
            by=wholesaler,
            amount=Money("47525.00", "CNY"),
        )
        service.record(draft.id, settlement)
        with store.unit_of_work() as uow:
            settled = uow.drafts.get(draft.id)
        for paid in settled.payments:
            print(f"paid: {paid.payer.name} -> {paid.payee.name} {paid.amount}")
        print(f"now held by {settled.holder.name}, who may claim from:")
        print("  " + ", ".join(p.name for p in settled.earlier_parties()))
        print(f"{len(settled.acts)} signed acts, chain verified on every load")
        store.dispose()


if __name__ == "__main__":
    main()
