"""A shop paid with drafts, shared by the gateway and service tests: the buyer (the drawer),
its bank (the acceptor), the shop (the payee), a B2B order and a draft delivered to the shop."""

from __future__ import annotations

import datetime as _dt
from typing import Any, Final

import pendulum

from ecservice.clock import FixedClock
from ecservice.money import Money
from ecservice.orders import Address, Order, OrderLine
from ecservice.payments.ebills import (
    GENESIS,
    ActKind,
    DraftParty,
    DraftTerms,
    ElectronicDraft,
    sign_act,
)
from tests.payments.ebills.rig import STAFF, key

T0: Final = pendulum.datetime(2026, 3, 2, 9, 0, tz="Asia/Shanghai")
MATURES: Final = _dt.date(2026, 6, 1)
NUMBER: Final = "5" + "0" * 28 + "1"
BUYER: Final = DraftParty.of(
    "Hangzhou Office Supplies Ltd.", "622200000101", "ICBC 102100099996", key(11)
)
BANK: Final = DraftParty.of("Bank of Hangzhou", "622200000102", "HZB 313331000014", key(12))
SHOP: Final = DraftParty.of("Tea Shop Co.", "622200000103", "CMB 308584000013", key(13))
SHOP_KEYS: Final = {BUYER: key(11), BANK: key(12), SHOP: key(13)}


def cny(amount: str) -> Money:
    return Money(amount, "CNY")


def b2b_order(id: str, clock: FixedClock, quantity: int = 50) -> Order[Any]:
    """A B2B order of ``quantity`` cases of tea at 950.00 CNY, no shipping fee."""
    return Order(
        id=id,
        buyer_id="b-1",
        lines=[OrderLine(sku="T", name="tea", unit_price=cny("950.00"), quantity=quantity)],
        address=Address(recipient="r", phone="13800138000", province="p", city="c", street="s"),
        shipping_fee=cny("0.00"),
        created_at=clock.now(),
        clock=clock,
    )


def draft_to_shop(amount: Money, clock: FixedClock, number: str = NUMBER) -> ElectronicDraft:
    """A draft the buyer drew on its bank to the shop, accepted and delivered (HELD)."""
    terms = DraftTerms(
        number=number,
        drawer=BUYER,
        acceptor=BANK,
        payee=SHOP,
        amount=amount,
        issued_on=clock.now().in_tz("Asia/Shanghai").date(),
        matures_on=MATURES,
    )
    issue = sign_act(
        SHOP_KEYS[BUYER],
        draft_no=number,
        kind=ActKind.ISSUE,
        at=clock.now(),
        by=BUYER,
        previous=GENESIS,
        terms=terms,
    )
    draft = ElectronicDraft.issue(issue, actor=STAFF, clock=clock)
    draft.accept(draft.sign(SHOP_KEYS[BANK], ActKind.ACCEPT, by=BANK), actor=STAFF)
    deliver = draft.sign(SHOP_KEYS[BUYER], ActKind.DELIVER, by=BUYER, party=SHOP)
    draft.deliver(deliver, actor=STAFF)
    return draft
