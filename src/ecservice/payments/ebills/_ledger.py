"""What a draft's acts mean, replayed: holder, chain, guarantees, claims, payments (private).

:class:`Ledger` applies acts one by one and checks the rules that do not depend on the policy
(who signs what, the hash chain, whom recourse may reach, amounts). The aggregate rebuilds one
from its acts whenever it needs it, applies a new act to that copy, and keeps the act only if
the copy accepted it, so a refused act changes nothing. Loading replays every act the same way.
"""

from __future__ import annotations

import copy
from typing import Final, final

import attrs
from pendulum import DateTime

from ecservice.errors import CurrencyMismatch, InvalidAmount, InvalidTransition
from ecservice.money import Money
from ecservice.payments.ebills._acts import (
    GENESIS,
    ActKind,
    DishonourReason,
    DraftAct,
    a_kind,
    verify_act,
)
from ecservice.payments.ebills._errors import (
    ActChainBroken,
    MalformedAct,
    NotTransferable,
    RecourseAmountExceeded,
    RecourseNotAllowed,
    WrongSigner,
)
from ecservice.payments.ebills._events import DraftStatus
from ecservice.payments.ebills._parties import DraftParty, DraftTerms

__all__ = ["ACT_TRIGGERS", "TIMED_TRIGGERS", "DraftPayment", "Ledger"]

S = DraftStatus
#: The trigger of each kind of act but the issue (which builds the draft).
ACT_TRIGGERS: Final = {
    "accept": ActKind.ACCEPT,
    "deliver": ActKind.DELIVER,
    "endorse": ActKind.ENDORSE,
    "guarantee": ActKind.GUARANTEE,
    "present": ActKind.PRESENT,
    "pay": ActKind.PAY,
    "dishonour": ActKind.DISHONOUR,
    "claim_recourse": ActKind.CLAIM_RECOURSE,
    "settle_recourse": ActKind.SETTLE_RECOURSE,
}
#: The triggers timers fire (no act: the draft system does it), and the states they leave.
TIMED_TRIGGERS: Final = {
    "cancel": (S.ISSUED, S.ACCEPTED),
    "expire": (S.HELD,),
    "deem_dishonoured": (S.PRESENTED,),
    "close": (S.DISHONOURED, S.IN_RECOURSE, S.EXPIRED),
}
_SOURCES: Final = {
    ActKind.ACCEPT: (S.ISSUED,),
    ActKind.DELIVER: (S.ACCEPTED,),
    ActKind.ENDORSE: (S.HELD,),
    ActKind.GUARANTEE: (S.ISSUED, S.ACCEPTED, S.HELD),
    ActKind.PRESENT: (S.HELD, S.EXPIRED),
    ActKind.PAY: (S.PRESENTED,),
    ActKind.DISHONOUR: (S.PRESENTED,),
    ActKind.CLAIM_RECOURSE: (S.DISHONOURED, S.IN_RECOURSE),
    ActKind.SETTLE_RECOURSE: (S.IN_RECOURSE,),
}


@final
@attrs.frozen(slots=True, kw_only=True)
class DraftPayment:
    """Money that moved on a draft: the acceptor's payment or a recourse settlement.

    Args:
        payer: who paid.
        payee: who was paid.
        amount: how much (the face amount for a payment; the whole claim for a settlement).
        at: when the paying party signed, in UTC.
        kind: :attr:`ActKind.PAY` or :attr:`ActKind.SETTLE_RECOURSE`.
    """

    payer: DraftParty
    payee: DraftParty
    amount: Money
    at: DateTime
    kind: ActKind


def _who(party: DraftParty) -> str:
    return repr(party.name)


class Ledger:
    """The meaning of a draft's acts so far (see the module documentation)."""

    def __init__(self, issue: DraftAct, *, verify: bool = True) -> None:
        if type(issue) is not DraftAct or issue.kind is not ActKind.ISSUE:
            raise MalformedAct(f"a draft starts with an issue act, not {issue!r:.80}")
        terms = issue.terms
        assert terms is not None  # DraftAct checks that an issue has terms
        if issue.by != terms.drawer:
            raise WrongSigner(
                f"draft {terms.number!r} must be issued (signed) by its drawer "
                f"{_who(terms.drawer)}, not {_who(issue.by)}"
            )
        if issue.previous != GENESIS:
            raise ActChainBroken("an issue act's previous digest must be GENESIS (32 zero bytes)")
        if verify:
            verify_act(issue)
        self.terms: DraftTerms = terms
        self.status: DraftStatus = S.ISSUED
        self.last: DraftAct = issue
        self.last_digest: bytes = issue.digest
        self.holder: DraftParty = terms.drawer
        self.chain: list[DraftParty] = [terms.drawer]
        self.endorsements: list[DraftAct] = []
        self.guarantees: list[DraftAct] = []
        self.accepted = False
        self.locked = terms.not_transferable
        self.presented_at: DateTime | None = None
        self.overdue = False
        self.reason: DishonourReason | None = None
        self.since: DateTime | None = None
        self.re_recourse = False
        self.principal: Money = terms.amount
        self.claims: list[DraftAct] = []
        self.payments: list[DraftPayment] = []

    def copy(self) -> Ledger:
        """An independent copy (the lists are copied, the values shared: they are immutable)."""
        twin = copy.copy(self)
        for name in ("chain", "endorsements", "guarantees", "claims", "payments"):
            setattr(twin, name, list(getattr(self, name)))
        return twin

    # --- views ---------------------------------------------------------------------------------

    def debtors(self) -> list[DraftParty]:
        """The drawer, the acceptor once it accepted, and every endorser, in that order."""
        found = [self.terms.drawer]
        if self.accepted:
            found.append(self.terms.acceptor)
        found.extend(e.by for e in self.endorsements)
        return found

    def guarantors(self) -> list[DraftParty]:
        return [g.by for g in self.guarantees]

    def _with_guarantors(self, parties: list[DraftParty]) -> list[DraftParty]:
        out: list[DraftParty] = []
        for p in parties:
            for q in (p, *(g.by for g in self.guarantees if g.party == p)):
                if q not in out:
                    out.append(q)
        return out

    def earlier_parties(self, party: DraftParty) -> list[DraftParty]:
        """Whom ``party`` may claim recourse from: the parties before its first place in the
        chain of holders (the drawer and earlier endorsers), the acceptor, and their guarantors
        (票据法 arts. 61, 68; a guarantor who paid takes the rights against the party it
        guaranteed and that party's earlier parties, art. 52). Never ``party`` itself nor a
        later party (art. 69). After an overdue presentment only the drawer, the acceptor and
        their guarantors remain (《电子商业汇票业务管理办法》 on overdue presentment)."""
        acceptor = self.terms.acceptor
        if party == acceptor:
            return []
        base: list[DraftParty]
        if party in self.chain:
            base = [*self.chain[: self.chain.index(party)], acceptor]
        else:
            base = []
            for g in self.guarantees:
                if g.by == party and g.party is not None:
                    base = [g.party, *self.earlier_parties(g.party)]
                    break
        if self.overdue:
            base = [p for p in base if p in (self.terms.drawer, acceptor)]
        return [p for p in self._with_guarantors(base) if p != party]

    # --- applying ------------------------------------------------------------------------------

    def _refuse_state(self, trigger: str, allowed: tuple[DraftStatus, ...]) -> InvalidTransition:
        return InvalidTransition(
            trigger,
            self.status.name,
            (),
            subject=f"ElectronicDraft {self.terms.number!r} (allowed from "
            f"{', '.join(s.name for s in allowed)})",
        )

    def _signer(self, act: DraftAct, expected: DraftParty, role: str) -> None:
        if act.by != expected:
            raise WrongSigner(
                f"{a_kind(act.kind)} act on draft {self.terms.number!r} must be signed by "
                f"the {role} {_who(expected)}, not by {_who(act.by)}"
            )

    def apply(self, act: DraftAct, *, verify: bool = True) -> None:
        """Apply ``act`` (checking the chain, the signer and the rules); on error the ledger may
        be half changed, so callers apply to a :meth:`copy`."""
        if type(act) is not DraftAct:
            raise MalformedAct(f"an act must be a DraftAct, not {type(act).__name__}")
        number = self.terms.number
        if act.draft_no != number:
            raise ActChainBroken(f"the act is for draft {act.draft_no!r}, not {number!r}")
        if act.kind is ActKind.ISSUE:
            raise ActChainBroken(f"draft {number!r} is already issued")
        allowed = _SOURCES[act.kind]
        if self.status not in allowed:
            raise self._refuse_state(act.kind.value, allowed)
        if act.previous != self.last_digest:
            raise ActChainBroken(
                f"the {act.kind.value} act does not continue draft {number!r}: its previous "
                f"digest {act.previous.hex()[:16]}... is not the digest of the draft's last act "
                f"({self.last_digest.hex()[:16]}...); it was made for another state of the "
                "draft or is replayed"
            )
        if act.at < self.last.at:
            raise ActChainBroken(
                f"the {act.kind.value} act is dated {act.at}, before the last act ({self.last.at})"
            )
        if verify:
            verify_act(act)
        getattr(self, f"_apply_{act.kind.value}")(act)
        self.last = act
        self.last_digest = act.digest

    def _apply_accept(self, act: DraftAct) -> None:
        self._signer(act, self.terms.acceptor, "acceptor")
        self.accepted = True
        self.status = S.ACCEPTED

    def _apply_deliver(self, act: DraftAct) -> None:
        self._signer(act, self.terms.drawer, "drawer")
        if act.party != self.terms.payee:
            raise WrongSigner(
                f"draft {self.terms.number!r} is delivered to its payee "
                f"{_who(self.terms.payee)}, not to "
                f"{_who(act.party) if act.party is not None else 'nobody'}"
            )
        self.holder = self.terms.payee
        self.chain.append(self.terms.payee)
        self.status = S.HELD

    def _apply_endorse(self, act: DraftAct) -> None:
        self._signer(act, self.holder, "holder")
        assert act.party is not None
        if self.locked:
            by_whom = (
                "by its drawer (票据法 art. 27)"
                if self.terms.not_transferable
                else "by the endorser who transferred it to the holder (票据法 art. 34; the draft "
                "system refuses a further endorsement)"
            )
            raise NotTransferable(
                f"draft {self.terms.number!r} is marked 不得转让 (not transferable) {by_whom}: "
                f"{_who(self.holder)} cannot endorse it"
            )
        if act.party == self.holder:
            raise RecourseNotAllowed("a holder cannot endorse a draft to itself")
        self.endorsements.append(act)
        self.holder = act.party
        self.chain.append(act.party)
        self.locked = act.not_transferable

    def _apply_guarantee(self, act: DraftAct) -> None:
        debtors = self.debtors()
        if act.by in debtors or act.by in self.guarantors() or act.by == self.holder:
            raise WrongSigner(
                f"{_who(act.by)} cannot guarantee draft {self.terms.number!r}: a guarantor must "
                "be someone other than its debtors and holder (票据法 art. 45)"
            )
        if act.party not in debtors:
            raise WrongSigner(
                f"a guarantee on draft {self.terms.number!r} must be for one of its debtors "
                f"({', '.join(_who(d) for d in debtors)}), not "
                f"{_who(act.party) if act.party is not None else 'nobody'}"
            )
        self.guarantees.append(act)

    def _apply_present(self, act: DraftAct) -> None:
        self._signer(act, self.holder, "holder")
        self.overdue = self.status is S.EXPIRED
        self.presented_at = act.at
        self.status = S.PRESENTED

    def _apply_pay(self, act: DraftAct) -> None:
        self._signer(act, self.terms.acceptor, "acceptor")
        if act.amount != self.terms.amount:
            raise InvalidAmount(
                f"the acceptor pays the face amount {self.terms.amount} of draft "
                f"{self.terms.number!r}, not {act.amount}"
            )
        self.payments.append(
            DraftPayment(
                payer=act.by, payee=self.holder, amount=self.terms.amount, at=act.at, kind=act.kind
            )
        )
        self.status = S.PAID

    def _apply_dishonour(self, act: DraftAct) -> None:
        self._signer(act, self.terms.acceptor, "acceptor")
        if act.reason is DishonourReason.NO_ANSWER:
            raise MalformedAct(
                "NO_ANSWER is recorded when the acceptor did not answer in time; an acceptor "
                "who refuses gives another reason"
            )
        self._dishonoured(act.at, act.reason)

    def _dishonoured(self, at: DateTime, reason: DishonourReason | None) -> None:
        self.reason = reason
        self.since = at
        self.principal = self.terms.amount
        self.status = S.DISHONOURED

    def _apply_claim_recourse(self, act: DraftAct) -> None:
        self._signer(act, self.holder, "holder")
        assert act.party is not None
        assert act.amount is not None
        earlier = self.earlier_parties(self.holder)
        if act.party not in earlier:
            raise RecourseNotAllowed(
                f"{_who(self.holder)} may claim recourse on draft {self.terms.number!r} only "
                f"from its earlier parties ({', '.join(_who(p) for p in earlier) or 'none'}), "
                f"not from {_who(act.party)} (票据法 arts. 68-69)"
            )
        if any(c.party == act.party for c in self.claims):
            raise RecourseNotAllowed(f"{_who(act.party)} is already claimed from")
        currency = self.terms.amount.currency
        for name in ("amount", "interest", "expenses"):
            value = getattr(act, name)
            if value.currency != currency:
                raise CurrencyMismatch(currency.code, value.currency.code, f"claim ({name})")
        if act.amount != self.principal:
            raise RecourseAmountExceeded(
                f"the principal of a recourse claim on draft {self.terms.number!r} is "
                f"{self.principal} (票据法 art. 70 (1), art. 71 (1)), not {act.amount}"
            )
        self.claims.append(act)
        self.status = S.IN_RECOURSE

    def _apply_settle_recourse(self, act: DraftAct) -> None:
        claim = next((c for c in self.claims if c.party == act.by), None)
        if claim is None:
            raise WrongSigner(
                f"{_who(act.by)} has no open recourse claim on draft {self.terms.number!r} to "
                "settle"
            )
        if act.amount != claim.claimed:
            raise RecourseAmountExceeded(
                f"{_who(act.by)} settles the claim of {claim.claimed}, not {act.amount}"
            )
        assert act.amount is not None
        self.payments.append(
            DraftPayment(
                payer=act.by, payee=self.holder, amount=act.amount, at=act.at, kind=act.kind
            )
        )
        self.holder = act.by
        self.principal = act.amount
        self.since = act.at
        self.re_recourse = True
        self.claims = []
        self.status = S.DISHONOURED if self.earlier_parties(act.by) else S.SETTLED

    def timer(self, trigger: str, at: DateTime) -> None:
        """Apply a timer's transition (no act)."""
        sources = TIMED_TRIGGERS[trigger]
        if self.status not in sources:
            raise self._refuse_state(trigger, sources)
        if trigger == "cancel":
            self.status = S.CANCELLED
        elif trigger == "expire":
            self.status = S.EXPIRED
        elif trigger == "deem_dishonoured":
            self._dishonoured(at, DishonourReason.NO_ANSWER)
        else:
            self.claims = []
            self.status = S.CLOSED
