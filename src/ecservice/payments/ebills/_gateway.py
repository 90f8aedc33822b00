"""The draft gateway: an order paid with an electronic commercial draft endorsed to the shop."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import ClassVar, final

import attrs
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ecservice._shown import shown
from ecservice.errors import EcServiceError, PolicyViolation, ValidationError
from ecservice.money import Currency, Money, currency, sum_money
from ecservice.payments._gateway import InstrumentKind
from ecservice.payments.ebills._acts import ActKind, DraftAct
from ecservice.payments.ebills._draft import ElectronicDraft
from ecservice.payments.ebills._events import DraftStatus
from ecservice.payments.ebills._ledger import TIMED_TRIGGERS
from ecservice.payments.ebills._parties import DraftParty
from ecservice.payments.ebills._policy import DEFAULT_DRAFT_POLICY, DraftPolicy
from ecservice.payments.gateways._base import (
    Authorization,
    AuthorizationState,
    Capture,
    Declined,
    InstrumentGatewayBase,
)
from ecservice.payments.wallet._instruction import raw_public_key
from ecservice.workflow import Actor, TransitionRecord

__all__ = ["EbillGateway"]

S = DraftStatus


#: The acts the draft system passes on to the shop (:meth:`EbillGateway.record`).
_ANSWERS = frozenset({ActKind.PAY, ActKind.DISHONOUR, ActKind.SETTLE_RECOURSE})


@attrs.define(eq=False)
class _DraftHold:
    """An authorisation's draft and the party it came from (who gets it back on a void or a
    refund)."""

    draft_no: str
    giver: DraftParty


@final
class EbillGateway(InstrumentGatewayBase[_DraftHold]):
    """Payments with electronic commercial drafts (电子商业汇票) endorsed to the shop.

    The instrument's reference (an :class:`~ecservice.payments.Instrument` of kind
    ``InstrumentKind.DRAFT``) is the draft's number in ``drafts``, the
    shop's view of the draft system: the buyer issues (or endorses) the draft to the shop
    before paying, and the acceptor has accepted it.

    * **authorize** checks the draft: accepted and held by the shop (``HELD``, the shop the
      holder), for exactly the amount asked (a draft is taken whole: the buyer issues or
      splits off a draft for the order's amount), not yet at maturity, and not reserved by
      another open authorisation or a live capture of this gateway. Nothing is signed.
    * **capture** takes the whole draft for the payment: the order is paid with an accepted
      claim on the acceptor, which :meth:`present` collects at maturity. A capture of less
      than the draft is declined.
    * **void** and **refund** (of the whole draft, before it is presented) endorse the draft
      back to the party it came from (回头背书, 《中华人民共和国票据法》 art. 69), signed with
      the shop's key; a partial refund, or one after presentment, is declined (refund the
      difference by transfer).

    The shop's side of the draft's life, each a signed act of the shop's applied to the draft
    in ``drafts`` (its events queue on the draft for the caller's outbox):

    * :meth:`present` presents a draft for payment once its maturity date has come
      (提示付款, 《电子商业汇票业务管理办法》 art. 56);
    * :meth:`record` applies the acceptor's answer (payment or dishonour, art. 59) or a
      recourse settlement that the draft system passed on, each signed by its maker;
    * :meth:`claim_recourse` claims from an earlier party after a dishonour (追索, 票据法
      arts. 61 and 68).

    Each of them, run again on a draft that already took the act, returns the first act's
    history record and signs nothing: the draft's state is the idempotency record, so a retry
    after a lost answer moves nothing twice.

    :meth:`collected`, :meth:`receivable` and :meth:`dishonoured` say where the shop's drafts
    are: paid to it (by the acceptor or by recourse), held and awaiting maturity or an
    answer, and refused.

    **One owner.** Which payment holds a draft is this object's record: like the other
    instrument gateways, one gateway object owns its drafts. Two gateway objects over the
    same drafts (two processes) could each take one draft for a different order. Across
    processes use :class:`~ecservice.application.EbillService`, whose payment id comes from
    the draft, so that the store lets one payment take it. A gateway built anew over stored
    drafts still finds its earlier authorisations and captures (their references name the
    draft and its version) to void, capture or refund them.

    Args:
        drafts: the drafts by number (any mutable mapping, for example a dict the shop keeps
            loading drafts into).
        shop: the shop's party (its name, account, bank and public key).
        shop_key: the shop's Ed25519 private key; its public key must be ``shop.public_key``.
        policy: the draft rules the shop applies (:data:`DEFAULT_DRAFT_POLICY` by default).
        actor: who the drafts' history records for the shop's acts (default
            ``Actor.system("ebills")``).
        name: prefix of the gateway's references.

    Raises:
        ValidationError: a bad argument, or ``shop_key`` is not the key of ``shop``.
    """

    kind: ClassVar[InstrumentKind] = InstrumentKind.DRAFT

    def __init__(
        self,
        drafts: MutableMapping[str, ElectronicDraft],
        shop: DraftParty,
        shop_key: Ed25519PrivateKey,
        *,
        policy: DraftPolicy = DEFAULT_DRAFT_POLICY,
        actor: Actor | None = None,
        name: str = "ebill",
    ) -> None:
        super().__init__(name)
        if not isinstance(drafts, MutableMapping):
            raise ValidationError(
                f"an EbillGateway needs a mutable mapping of drafts, not {shown(drafts)}"
            )
        if type(shop) is not DraftParty:
            raise ValidationError(f"the shop must be a DraftParty, not {shown(shop)}")
        if not isinstance(shop_key, Ed25519PrivateKey):
            raise ValidationError(
                f"the shop's key must be an Ed25519PrivateKey, not {type(shop_key).__name__}"
            )
        if raw_public_key(shop_key) != shop.public_key:
            raise ValidationError("the shop's key is not the private key of shop.public_key")
        if not isinstance(policy, DraftPolicy):
            raise ValidationError(f"policy must be a DraftPolicy, not {shown(policy)}")
        if actor is not None and not isinstance(actor, Actor):
            raise ValidationError(f"actor must be an Actor, not {shown(actor)}")
        self.drafts = drafts
        self.shop = shop
        self._key = shop_key
        self.policy = policy
        self.actor = actor or Actor.system("ebills")

    # --- lookups -------------------------------------------------------------------------------

    def draft(self, draft_no: str) -> ElectronicDraft:
        """The draft ``draft_no`` in the gateway's ``drafts``.

        Raises:
            ValidationError: no such draft.
        """
        found = self.drafts.get(draft_no) if isinstance(draft_no, str) else None
        if found is None:
            raise ValidationError(f"{self.name} knows no draft {shown(draft_no)}")
        return found

    def _giver(self, draft: ElectronicDraft) -> DraftParty:
        """The party whose delivery or endorsement made the shop the holder."""
        for act in reversed(draft.acts):
            if act.kind in (ActKind.DELIVER, ActKind.ENDORSE) and act.party == self.shop:
                return act.by
        raise Declined(f"draft {draft.id} was never delivered or endorsed to {self.shop.name}")

    def _reserved(self, draft_no: str) -> str | None:
        """The authorisation that holds ``draft_no`` (open, or captured and not given back)."""
        for auth in self._auths.values():
            if auth.instrument != draft_no:
                continue
            if auth.is_open:
                return auth.id
            cap = auth.capture
            if auth.state is AuthorizationState.CAPTURED and cap and cap.refunded < cap.amount:
                return auth.id
        return None

    # --- references and rebuilt books ---------------------------------------------------------

    def _authorization_id(self, instrument: str) -> str:
        draft = self.drafts.get(instrument)
        if draft is None:
            return self._next("auth")
        return f"{self.name}-auth-{draft.id}-{draft.version}"

    def _capture_id(self, auth: Authorization[_DraftHold]) -> str:
        return auth.id.replace("-auth-", "-cap-", 1)

    def _rebuilt(self, reference: str) -> None:
        """Rebuild an authorisation or capture of this gateway from its draft: the references
        name the draft and the draft's version when it was authorised, and the draft's acts say
        whether the shop gave it back since. So a gateway built anew over stored drafts (one
        per unit of work) voids, captures and refunds what an earlier one authorised."""
        for what in ("auth", "cap"):
            prefix = f"{self.name}-{what}-"
            if not reference.startswith(prefix):
                continue
            draft_no, _, version_text = reference[len(prefix) :].rpartition("-")
            draft = self.drafts.get(draft_no)
            if draft is None or not version_text.isdigit():
                return
            version = int(version_text)
            if not 0 < version <= draft.version or draft.history[version - 1].dest is not S.HELD:
                return
            try:
                giver = self._giver(draft)
            except Declined:
                return
            given_back = any(
                act.kind is ActKind.ENDORSE and act.by == self.shop and record.version > version
                for record, act in self._made(draft)
            )
            face = draft.terms.amount
            auth_id = f"{self.name}-auth-{draft_no}-{version}"
            auth = Authorization(auth_id, "", draft_no, face, _DraftHold(draft_no, giver))
            if what == "cap":
                cap_id = self._capture_id(auth)
                refunded = face if given_back else Money.zero(face.currency)
                cap = Capture(cap_id, auth, face, refunded)
                if given_back:
                    cap.refunds = ((f"{cap_id}-returned", face),)
                auth.state, auth.capture = AuthorizationState.CAPTURED, cap
                self._captures.setdefault(cap_id, cap)
            elif given_back:
                auth.state = AuthorizationState.VOIDED
            self._auths.setdefault(auth_id, auth)
            return

    # --- hooks ---------------------------------------------------------------------------------

    def _open_hold(self, instrument: str, amount: Money, payment: str, auth_id: str) -> _DraftHold:
        draft = self.drafts.get(instrument)
        if draft is None:
            raise Declined(f"{self.name} knows no draft {instrument!r}")
        if draft.status is not S.HELD or draft.holder != self.shop:
            raise Declined(
                f"draft {draft.id} is {draft.status.name} and held by {draft.holder.name}: it "
                f"pays once it is accepted and delivered or endorsed to {self.shop.name}"
            )
        face = draft.terms.amount
        if amount != face:
            raise Declined(
                f"draft {draft.id} is for {face}, not {amount}: a draft is taken whole, so the "
                "buyer issues (or splits off) a draft for the amount the order owes"
            )
        if draft.clock.now() >= draft.presentment_opens_at(self.policy):
            raise Declined(f"draft {draft.id} has matured: present it rather than take it")
        holder = self._reserved(draft.id)
        if holder is not None:
            raise Declined(f"draft {draft.id} already pays through authorisation {holder}")
        return _DraftHold(draft.id, self._giver(draft))

    def _capture_hold(
        self, auth: Authorization[_DraftHold], amount: Money, capture_id: str
    ) -> None:
        draft = self.drafts.get(auth.hold.draft_no)
        if amount != auth.amount:
            raise Declined(f"a draft is captured whole ({auth.amount}), not {amount}")
        if draft is None or draft.status is not S.HELD or draft.holder != self.shop:
            raise Declined(f"draft {auth.hold.draft_no} is no longer held by {self.shop.name}")

    def _release_hold(self, auth: Authorization[_DraftHold]) -> None:
        self._endorse_back(auth.hold, "the authorisation was voided")

    def _give_back(self, capture: Capture[_DraftHold], amount: Money, refund_id: str) -> None:
        if amount != capture.amount:
            raise Declined(
                f"a draft is refunded whole ({capture.amount}) by endorsing it back before it "
                f"is presented, not {amount}: refund the difference by transfer"
            )
        self._endorse_back(capture.authorization.hold, "the payment was refunded")

    def _endorse_back(self, hold: _DraftHold, why: str) -> None:
        draft = self.drafts.get(hold.draft_no)
        if draft is None or draft.status is not S.HELD or draft.holder != self.shop:
            state = "unknown" if draft is None else draft.status.name
            raise Declined(
                f"draft {hold.draft_no} ({state}) is not held by {self.shop.name}, so it cannot "
                "be endorsed back"
            )
        try:
            act = draft.sign(self._key, ActKind.ENDORSE, by=self.shop, party=hold.giver)
            draft.endorse(act, actor=self.actor, policy=self.policy, note=why)
        except EcServiceError as refused:
            raise Declined(f"draft {draft.id} cannot be endorsed back: {refused}") from None

    # --- the shop's acts -----------------------------------------------------------------------

    @staticmethod
    def _made(draft: ElectronicDraft) -> list[tuple[TransitionRecord, DraftAct]]:
        """The draft's history records of acts with their acts, newest first (the issue act
        has no record; timer records have no act)."""
        acts = iter(reversed(draft.acts))
        return [
            (record, next(acts))
            for record in reversed(draft.history)
            if record.trigger not in TIMED_TRIGGERS
        ]

    def _last(
        self, draft: ElectronicDraft, trigger: str, by: DraftParty
    ) -> TransitionRecord | None:
        """The history record of the last ``trigger`` act ``by`` made, if any."""
        for record, act in self._made(draft):
            if record.trigger == trigger and act.by == by:
                return record
        return None

    def present(self, draft_no: str) -> TransitionRecord:
        """Present a draft the shop holds for payment (提示付款): the shop signs the act.

        Run again on a draft the shop already presented, it returns that record.

        Raises:
            ValidationError: no such draft.
            PolicyViolation: the shop does not hold the draft.
            DeadlinePassed: before the maturity date, or the draft's rules refuse it (see
                :meth:`ElectronicDraft.present`).
        """
        with self._lock:
            draft = self.draft(draft_no)
            if draft.status is not S.HELD:
                done = self._last(draft, "present", self.shop)
                if done is not None:
                    return done
            if draft.holder != self.shop:
                raise PolicyViolation(
                    f"draft {draft.id} is held by {draft.holder.name}, not {self.shop.name}"
                )
            act = draft.sign(self._key, ActKind.PRESENT, by=self.shop)
            return draft.present(act, actor=self.actor, policy=self.policy)

    def record(self, draft_no: str, act: DraftAct) -> TransitionRecord:
        """Apply an act the draft system passed on: the acceptor's payment (付款) or dishonour
        (拒付), or a recourse settlement (追索清偿), each signed by its maker.

        The same act again returns its record (a relay delivers at least once).

        Raises:
            ValidationError: no such draft, or ``act`` is not a payment, dishonour or
                settlement act.
            ForgedAct, WrongSigner, ActChainBroken, DeadlinePassed: the draft refused the act
                (see its trigger methods); nothing changed.
        """
        if type(act) is not DraftAct or act.kind not in _ANSWERS:
            raise ValidationError(
                "record takes a pay, dishonour or settle_recourse act, not " + shown(act)
            )
        with self._lock:
            draft = self.draft(draft_no)
            for record, made in self._made(draft):
                if made == act:
                    return record
            return draft.take(act, actor=self.actor, policy=self.policy)

    def claim_recourse(
        self,
        draft_no: str,
        against: DraftParty,
        *,
        interest: Money | None = None,
        expenses: Money | None = None,
    ) -> TransitionRecord:
        """Claim recourse (追索) from ``against``, an earlier party of the shop on a dishonoured
        draft the shop holds: the face amount plus ``interest`` and ``expenses`` (票据法
        art. 70; zero when not given).

        Run again while that claim is open, it returns the claim's record.

        Raises:
            ValidationError: no such draft.
            PolicyViolation: the shop does not hold the draft, or a retry names other
                ``interest`` or ``expenses`` than the open claim.
            RecourseNotAllowed, RecourseAmountExceeded, DeadlinePassed: the draft's rules
                refuse the claim (see :meth:`ElectronicDraft.claim_recourse`).
        """
        with self._lock:
            draft = self.draft(draft_no)
            last = draft.acts[-1]
            if (
                draft.status is S.IN_RECOURSE
                and last.kind is ActKind.CLAIM_RECOURSE
                and last.by == self.shop
                and last.party == against
            ):
                for name, asked in (("interest", interest), ("expenses", expenses)):
                    made = getattr(last, name)
                    if asked is not None and asked != made:
                        raise PolicyViolation(
                            f"the open claim on draft {draft.id} against {against.name} asks "
                            f"{made} of {name}, not {asked}: a retry repeats the claim; a claim "
                            "for other figures waits until this one is settled or lapses"
                        )
                return draft.history[-1]
            if draft.holder != self.shop:
                raise PolicyViolation(
                    f"draft {draft.id} is held by {draft.holder.name}, not {self.shop.name}"
                )
            cur = draft.terms.amount.currency
            act = draft.sign(
                self._key,
                ActKind.CLAIM_RECOURSE,
                by=self.shop,
                party=against,
                amount=draft.amount_owed,
                interest=interest if interest is not None else Money.zero(cur),
                expenses=expenses if expenses is not None else Money.zero(cur),
            )
            return draft.claim_recourse(act, actor=self.actor, policy=self.policy)

    # --- views ---------------------------------------------------------------------------------

    def _shops(self, currency_: str | Currency) -> tuple[Currency, list[ElectronicDraft]]:
        cur = currency(currency_)
        return cur, [d for d in self.drafts.values() if d.terms.amount.currency == cur]

    def collected(self, currency_: str | Currency) -> Money:
        """What the shop was paid on its drafts: acceptors' payments and recourse settlements
        made to it (interest and expenses included)."""
        cur, drafts = self._shops(currency_)
        return sum_money(
            (p.amount for d in drafts for p in d.payments if p.payee == self.shop), cur
        )

    def receivable(self, currency_: str | Currency) -> Money:
        """The face amount of the captured drafts the shop still holds, awaiting maturity or
        the acceptor's answer (not dishonoured, not given back)."""
        cur = currency(currency_)
        live = (S.HELD, S.PRESENTED)
        total = []
        for cap in self._captures.values():
            draft = self.drafts.get(cap.authorization.hold.draft_no)
            if cap.refundable.is_zero() or draft is None or cap.amount.currency != cur:
                continue
            if draft.status in live and draft.holder == self.shop:
                total.append(cap.amount)
        return sum_money(total, cur)

    def dishonoured(self) -> tuple[str, ...]:
        """The numbers of the drafts the shop holds that were refused and await recourse."""
        return tuple(
            d.id
            for d in self.drafts.values()
            if d.status in (S.DISHONOURED, S.EXPIRED) and d.holder == self.shop
        )
