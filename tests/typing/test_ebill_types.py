"""The static types of electronic drafts, the draft gateway and service, and dual-signed
purchases, checked by ``mypy --strict tests/typing`` (and run by pytest)."""

from __future__ import annotations

import datetime as dt
from typing import assert_type

import pendulum
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pendulum import DateTime

from ecservice.application import EbillService, PaymentOutcome, draft_payment_id
from ecservice.clock import FixedClock
from ecservice.money import Money
from ecservice.payments import GatewayResponse, Instrument, InstrumentKind
from ecservice.payments.ebills import (
    DEFAULT_DRAFT_POLICY,
    GENESIS,
    ActKind,
    DraftAct,
    DraftParty,
    DraftPayment,
    DraftStatus,
    DraftTerms,
    EbillGateway,
    ElectronicDraft,
    sign_act,
)
from ecservice.payments.gateways import WalletGateway
from ecservice.payments.wallet import (
    DualSignedOrder,
    DualSignedPayment,
    EWallet,
    verify_order_part,
)
from ecservice.storage import Document, MemoryStore, Repository, dump_draft, load_draft
from ecservice.workflow import Actor, TransitionRecord


def _key(n: int) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes([n]) * 32)


def test_draft_types() -> None:
    clock = FixedClock(pendulum.datetime(2026, 3, 2, 9, tz="Asia/Shanghai"))
    drawer = DraftParty.of("Drawer", "1", "B", _key(1))
    bank = DraftParty.of("Bank", "2", "B", _key(2))
    shop = DraftParty.of("Shop", "3", "B", _key(3))
    terms = DraftTerms(
        number="500000000001202603020000000034",
        drawer=drawer,
        acceptor=bank,
        payee=shop,
        amount=Money("100.00", "CNY"),
        issued_on=dt.date(2026, 3, 2),
        matures_on=dt.date(2026, 4, 2),
    )
    issue = sign_act(
        _key(1),
        draft_no=terms.number,
        kind=ActKind.ISSUE,
        at=clock.now(),
        by=drawer,
        previous=GENESIS,
        terms=terms,
    )
    assert_type(issue, DraftAct)
    draft = ElectronicDraft.issue(issue, actor=Actor.staff("desk"), clock=clock)
    assert_type(draft, ElectronicDraft)
    accept = draft.sign(_key(2), ActKind.ACCEPT, by=bank)
    assert_type(draft.accept(accept, actor=Actor.staff("desk")), TransitionRecord)
    assert_type(draft.status, DraftStatus)
    assert_type(draft.holder, DraftParty)
    assert_type(draft.payments, tuple[DraftPayment, ...])
    assert_type(draft.next_due_at(DEFAULT_DRAFT_POLICY), DateTime | None)
    assert_type(dump_draft(draft), Document)
    assert_type(load_draft(dump_draft(draft), clock=clock), ElectronicDraft)

    gateway = EbillGateway({draft.id: draft}, shop, _key(3))
    answer = gateway.authorize(
        Instrument(InstrumentKind.DRAFT, draft.id),
        Money("100.00", "CNY"),
        reference="P",
        idempotency_key="P:authorize",
    )
    assert_type(answer, GatewayResponse)
    assert_type(gateway.receivable("CNY"), Money)

    store = MemoryStore(clock=clock)
    with store.unit_of_work() as uow:
        assert_type(uow.drafts, Repository[ElectronicDraft])
    service = EbillService(store, shop, _key(3), clock=clock)
    assert_type(service.receive(draft), int)
    assert_type(draft_payment_id(draft), str)

    def typed_only() -> None:  # type-checked, not run: no order is stored here
        assert_type(service.pay("O-1", draft.id), PaymentOutcome)
        assert_type(service.run_due(), int)

    assert callable(typed_only)


def test_dual_signature_types() -> None:
    def typed_only(wallet: EWallet, gateway: WalletGateway) -> None:  # type-checked, not run
        signed = wallet.instruct_dual(
            "teahouse",
            Money("36.00", "CNY"),
            "order 19",
            auth="246810",
            gateway_key=gateway.sealing_public_key,
        )
        assert_type(signed, DualSignedOrder)
        verify_order_part(signed, wallet.public_key)
        assert_type(signed.for_gateway(), DualSignedPayment)
        answer = gateway.authorize_dual(
            signed.for_gateway(), Money("36.00", "CNY"), reference="P", idempotency_key="k"
        )
        assert_type(answer, GatewayResponse)

    assert callable(typed_only)
