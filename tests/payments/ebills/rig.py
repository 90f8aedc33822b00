"""Shared fixtures of the electronic draft tests: fixed keys, parties and a draft at each step."""

from __future__ import annotations

import datetime as _dt
from typing import Any, Final

import attrs
import pendulum
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ecservice.clock import FixedClock
from ecservice.money import Money
from ecservice.payments.ebills import (
    GENESIS,
    ActKind,
    DishonourReason,
    DraftAct,
    DraftParty,
    DraftTerms,
    ElectronicDraft,
    sign_act,
)
from ecservice.workflow import Actor

STAFF: Final = Actor.staff("bank-desk")
NUMBER: Final = "500000000001202603010000000018"
ISSUED_AT: Final = pendulum.datetime(2026, 3, 2, 9, 0, tz="Asia/Shanghai")
ISSUED_ON: Final = _dt.date(2026, 3, 2)
MATURES_ON: Final = _dt.date(2026, 8, 31)
#: 10:00 in Shanghai on the maturity date.
AT_MATURITY: Final = pendulum.datetime(2026, 8, 31, 10, 0, tz="Asia/Shanghai")
FACE: Final = Money("120000.00", "CNY")


def key(n: int) -> Ed25519PrivateKey:
    """A fixed private key per party number (tests are reproducible)."""
    return Ed25519PrivateKey.from_private_bytes(bytes([n]) * 32)


def party(n: int, name: str) -> DraftParty:
    return DraftParty.of(name, f"62220000{n:04d}", "ICBC 102100099996", key(n))


DRAWER = party(1, "Hangzhou Tea Co.")
ACCEPTOR = party(2, "Bank of Hangzhou")
PAYEE = party(3, "Yunnan Leaf Farm")
E1 = party(4, "Kunming Packaging")
E2 = party(5, "Guangzhou Logistics")
E3 = party(6, "Shenzhen Printing")
GUARANTOR = party(7, "Zhejiang Guarantee Co.")
OUTSIDER = party(8, "Someone Else")
KEYS: Final = {
    p: key(n) for n, p in enumerate([DRAWER, ACCEPTOR, PAYEE, E1, E2, E3, GUARANTOR, OUTSIDER], 1)
}


def terms(**changes: Any) -> DraftTerms:
    base = DraftTerms(
        number=NUMBER,
        drawer=DRAWER,
        acceptor=ACCEPTOR,
        payee=PAYEE,
        amount=FACE,
        issued_on=ISSUED_ON,
        matures_on=MATURES_ON,
    )
    return attrs.evolve(base, **changes)


def issue_act(t: DraftTerms | None = None, at: _dt.datetime = ISSUED_AT) -> DraftAct:
    t = terms() if t is None else t
    return sign_act(
        KEYS[t.drawer],
        draft_no=t.number,
        kind=ActKind.ISSUE,
        at=at,
        by=t.drawer,
        previous=GENESIS,
        terms=t,
    )


def issued(clock: FixedClock | None = None, t: DraftTerms | None = None) -> ElectronicDraft:
    clock = FixedClock(ISSUED_AT) if clock is None else clock
    return ElectronicDraft.issue(issue_act(t), actor=STAFF, clock=clock)


def act(draft: ElectronicDraft, kind: ActKind, by: DraftParty, **fields: object) -> DraftAct:
    return draft.sign(KEYS[by], kind, by=by, **fields)  # type: ignore[arg-type]


def held() -> ElectronicDraft:
    """Accepted and delivered to the payee, on the issue day."""
    d = issued()
    d.accept(act(d, ActKind.ACCEPT, ACCEPTOR), actor=STAFF)
    d.deliver(act(d, ActKind.DELIVER, DRAWER, party=PAYEE), actor=STAFF)
    return d


def endorsed_twice() -> ElectronicDraft:
    """Held by E2: payee -> E1 -> E2."""
    d = held()
    d.endorse(act(d, ActKind.ENDORSE, PAYEE, party=E1), actor=STAFF)
    d.endorse(act(d, ActKind.ENDORSE, E1, party=E2), actor=STAFF)
    return d


def clock_of(d: ElectronicDraft) -> FixedClock:
    assert isinstance(d.clock, FixedClock)
    return d.clock


def dishonoured() -> ElectronicDraft:
    """Held by E2 and dishonoured at maturity (insufficient funds)."""
    d = endorsed_twice()
    clock_of(d).set(AT_MATURITY)
    d.present(act(d, ActKind.PRESENT, E2), actor=STAFF)
    d.dishonour(
        act(d, ActKind.DISHONOUR, ACCEPTOR, reason=DishonourReason.INSUFFICIENT_FUNDS),
        actor=STAFF,
    )
    return d


def zero() -> Money:
    return Money.zero("CNY")
