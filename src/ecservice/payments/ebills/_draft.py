"""The electronic commercial draft aggregate (电子商业汇票): :class:`ElectronicDraft`."""

from __future__ import annotations

from typing import Any, Final

import attrs

from ecservice._shown import shown
from ecservice.payments.ebills._acts import DraftAct
from ecservice.payments.ebills._draft_core import DraftCore, act_actor
from ecservice.payments.ebills._draft_workflow import DRAFT_WORKFLOW
from ecservice.payments.ebills._errors import MalformedAct
from ecservice.payments.ebills._ledger import ACT_TRIGGERS, TIMED_TRIGGERS
from ecservice.payments.ebills._policy import DEFAULT_DRAFT_POLICY, DraftPolicy
from ecservice.workflow import Actor, TransitionRecord, bind_workflow

__all__ = ["ElectronicDraft"]


@attrs.define(slots=True, kw_only=True, on_setattr=attrs.setters.NO_OP)
class ElectronicDraft(DraftCore):
    """An electronic commercial draft (电子商业汇票) and every signed act on it.

    A draft is issued by its drawer (:meth:`issue`), accepted by its acceptor, delivered to its
    payee, endorsed from holder to holder, possibly guaranteed, presented for payment within the
    presentment period, then paid or dishonoured; after a dishonour the holder claims recourse
    from earlier parties, and a party who settles a claim holds the draft and may claim from its
    own earlier parties, until a party with none left settles. Timers cancel a draft not
    accepted or not delivered in time, expire one not presented in the period, count an
    unanswered presentment as dishonoured, and close a draft whose rights lapsed.

    **Acts.** Every change but a timer's is a :class:`DraftAct` signed by the party entitled
    to it, and each act names the digest of the one before (a hash chain). A trigger method
    takes the act and checks, before anything changes: its kind; that it continues the chain
    (:class:`ActChainBroken` for an act made for another state, replayed or for another
    draft); its signature (:class:`ForgedAct`); its signer (:class:`WrongSigner`): the acceptor
    accepts, pays and dishonours, the drawer delivers, the holder endorses, presents and claims
    recourse, the party claimed from settles; the rules (below); and the policy's periods,
    evaluated at the draft's clock (:class:`DeadlinePassed`). A refused act raises and changes
    nothing. Each accepted act is appended to ``acts`` and queues an event.

    **Rules** (each cited on the method that applies it): amounts are whole multiples of the
    standard sub-ticket amount (:class:`NonStandardAmount`); the tenor is at most six months
    (:class:`TenorTooLong`); a draft marked 不得转让 by its drawer, or received through an
    endorsement so marked, cannot be endorsed (:class:`NotTransferable`); recourse reaches
    only earlier parties of the claimant, for the principal owed plus interest and expenses
    within the policy's limits (:class:`RecourseNotAllowed`, :class:`RecourseAmountExceeded`).
    **Value is paid once**: a paid draft is final; a settlement passes the draft to its payer,
    and the draft is settled (final) when that payer has nobody left to claim from.

    **Loading.** The constructor (which storage loads through) checks every field's type and
    replays the acts as a chain against the history: the first act is the drawer's issue of
    draft ``id``; each history record of an act's trigger consumes the next act, which must
    have that trigger's kind, continue the chain, verify and follow the rules; the timer
    records (``cancel``, ``expire``, ``deem_dishonoured``, ``close``) consume none; every
    record's destination is the state the acts lead to, and all acts are consumed. The policy's
    periods are not re-checked on load (a shop may change its policy). A forged, re-signed or
    out-of-order act raises its specific error (:class:`ForgedAct`, :class:`WrongSigner`,
    :class:`ActChainBroken`...).

    Args:
        id: the draft's number (the issue act's ``draft_no``).
        version: how many transitions succeeded; 0 for a new draft.
        history: every transition, oldest first (``version`` records).
        clock: where the draft reads the time; the system clock by default.
        status: the draft's state; ``DraftStatus.ISSUED`` for a new draft.
        acts: every signed act, oldest first, the issue act first (a list, as JSON gives it,
            becomes a tuple).

    Raises:
        MalformedAct: ``acts`` is not a sequence of :class:`DraftAct`, or is empty.
        ForgedAct: an act's signature does not verify.
        WrongSigner: an act is signed by a party not entitled to it.
        ActChainBroken: an act does not continue the chain, or the acts and the history
            disagree.
        ValidationError: a field of the wrong type, or another rule of a replayed act broken.
    """

    # --- triggers -------------------------------------------------------------------------------

    def take(
        self,
        act: DraftAct,
        *,
        actor: Actor,
        policy: DraftPolicy = DEFAULT_DRAFT_POLICY,
        note: str = "",
    ) -> TransitionRecord:
        """Apply ``act`` through the trigger of its kind (an ``ENDORSE`` act through
        :meth:`endorse`, a ``PAY`` act through :meth:`pay`, ...): for acts that reach the draft
        from the draft system without the caller knowing their kind beforehand.

        Raises:
            MalformedAct: ``act`` is not a :class:`DraftAct`, or is an issue act (which builds a
                draft: :meth:`issue`).
            EcServiceError: as the trigger of its kind.
        """
        trigger = _TRIGGER_OF.get(act.kind) if type(act) is DraftAct else None
        if trigger is None:
            raise MalformedAct(
                f"take applies an act other than an issue to draft {self.id!r}, not {shown(act)}"
            )
        return self._take_act(trigger, act, actor, policy, note)

    def accept(
        self,
        act: DraftAct,
        *,
        actor: Actor,
        policy: DraftPolicy = DEFAULT_DRAFT_POLICY,
        note: str = "",
    ) -> TransitionRecord:
        """Accept the draft (承兑): an ``ACCEPT`` act signed by the acceptor, before the acceptor's
        answer time (:meth:`DraftPolicy.acceptance_due`, 票据法 art. 41). ISSUED -> ACCEPTED; queues
        :class:`DraftAccepted`.

        Raises:
            EcServiceError: as any refused act (see **Acts** on :class:`ElectronicDraft`).
        """
        return self._take_act("accept", act, actor, policy, note)

    def deliver(
        self,
        act: DraftAct,
        *,
        actor: Actor,
        policy: DraftPolicy = DEFAULT_DRAFT_POLICY,
        note: str = "",
    ) -> TransitionRecord:
        """Deliver the accepted draft to the payee (交付, 《电子商业汇票业务管理办法》 art. 20): a
        ``DELIVER`` act signed by the drawer naming the payee, before the end of the presentment
        period. ACCEPTED -> HELD; queues :class:`DraftDelivered`.

        Raises:
            EcServiceError: as any refused act (see **Acts** on :class:`ElectronicDraft`).
        """
        return self._take_act("deliver", act, actor, policy, note)

    def endorse(
        self,
        act: DraftAct,
        *,
        actor: Actor,
        policy: DraftPolicy = DEFAULT_DRAFT_POLICY,
        note: str = "",
    ) -> TransitionRecord:
        """Endorse the draft to ``act.party`` (背书转让): an ``ENDORSE`` act signed by the holder,
        before the end of the presentment period (票据法 art. 36). Refused with
        :class:`NotTransferable` when the drawer marked the draft 不得转让 (art. 27) or the holder
        received it through an endorsement so marked (art. 34; the draft system then refuses further
        endorsement). ``act.not_transferable`` marks this endorsement so. The whole package is
        transferred; a transfer of part of it (分包流转) would create another package whose amount
        is a whole multiple of the standard amount, which this aggregate does not model. HELD,
        internal; queues :class:`DraftEndorsed`.

        Raises:
            EcServiceError: as any refused act (see **Acts** on :class:`ElectronicDraft`).
            NotTransferable: the draft may not be endorsed.
        """
        return self._take_act("endorse", act, actor, policy, note)

    def guarantee(
        self,
        act: DraftAct,
        *,
        actor: Actor,
        policy: DraftPolicy = DEFAULT_DRAFT_POLICY,
        note: str = "",
    ) -> TransitionRecord:
        """Guarantee a debtor's obligation (保证): a ``GUARANTEE`` act signed by the guarantor,
        naming the party guaranteed (the drawer, the acceptor once it accepted, or an endorser). The
        guarantor must be someone other than the draft's debtors and holder (票据法 art. 45); it
        answers with the party guaranteed (art. 50) and, if it pays, may claim from that party and
        its earlier parties (art. 52). ISSUED, ACCEPTED or HELD, internal; queues
        :class:`DraftGuaranteed`.

        Raises:
            EcServiceError: as any refused act (see **Acts** on :class:`ElectronicDraft`).
        """
        return self._take_act("guarantee", act, actor, policy, note)

    def present(
        self,
        act: DraftAct,
        *,
        actor: Actor,
        policy: DraftPolicy = DEFAULT_DRAFT_POLICY,
        note: str = "",
    ) -> TransitionRecord:
        """Present the draft for payment (提示付款): a ``PRESENT`` act signed by the holder, from
        the start of the maturity date to the end of the presentment period
        (:meth:`DraftPolicy.presentment_ends`). The rules let an acceptor pay a draft presented
        before maturity on the maturity date; this draft refuses such a presentment. From EXPIRED, a
        late presentment (逾期提示付款) is accepted until the holder's rights end; recourse after
        its dishonour reaches only the drawer, the acceptor and their guarantors. HELD or EXPIRED ->
        PRESENTED; queues :class:`DraftPresented`.

        Raises:
            EcServiceError: as any refused act (see **Acts** on :class:`ElectronicDraft`).
        """
        return self._take_act("present", act, actor, policy, note)

    def pay(
        self,
        act: DraftAct,
        *,
        actor: Actor,
        policy: DraftPolicy = DEFAULT_DRAFT_POLICY,
        note: str = "",
    ) -> TransitionRecord:
        """Pay the draft (付款): a ``PAY`` act signed by the acceptor for exactly the face amount,
        before the acceptor's answer time (:meth:`DraftPolicy.payment_answer_due`). PRESENTED ->
        PAID,
        final: nothing pays the draft again. Queues :class:`DraftPaid`.

        Raises:
            EcServiceError: as any refused act (see **Acts** on :class:`ElectronicDraft`).
            InvalidAmount: the act's amount is not the face amount.
        """
        return self._take_act("pay", act, actor, policy, note)

    def dishonour(
        self,
        act: DraftAct,
        *,
        actor: Actor,
        policy: DraftPolicy = DEFAULT_DRAFT_POLICY,
        note: str = "",
    ) -> TransitionRecord:
        """Refuse payment (拒付): a ``DISHONOUR`` act signed by the acceptor with a
        :class:`DishonourReason` (not ``NO_ANSWER``), before the acceptor's answer time. PRESENTED
        -> DISHONOURED; the holder may claim recourse (票据法 art. 61). Queues
        :class:`DraftDishonoured`.

        Raises:
            EcServiceError: as any refused act (see **Acts** on :class:`ElectronicDraft`).
        """
        return self._take_act("dishonour", act, actor, policy, note)

    def claim_recourse(
        self,
        act: DraftAct,
        *,
        actor: Actor,
        policy: DraftPolicy = DEFAULT_DRAFT_POLICY,
        note: str = "",
    ) -> TransitionRecord:
        """Claim recourse (追索) from ``act.party``: a ``CLAIM_RECOURSE`` act signed by the holder,
        within the recourse period (:meth:`DraftPolicy.recourse_ends`). The party must be an earlier
        party of the holder (:meth:`earlier_parties`; 票据法 arts. 68-69); the holder may claim from
        several at once, one claim each. ``act.amount`` is the principal owed: the face amount (art.
        70 (1)), or after a settlement what the holder paid (art. 71 (1)); ``act.interest`` at most
        :meth:`DraftPolicy.recourse_interest` on it from the maturity or presentment date (from the
        settlement for a re-recourse) to now (art. 70 (2)); ``act.expenses`` at most
        ``max_recourse_expenses`` (art. 70 (3)). DISHONOURED -> IN_RECOURSE (internal from
        IN_RECOURSE); queues :class:`RecourseClaimed`.

        Raises:
            EcServiceError: as any refused act (see **Acts** on :class:`ElectronicDraft`).
            RecourseNotAllowed: the party is not an earlier party, or is already claimed from.
            RecourseAmountExceeded: a principal other than the one owed, or too much interest
                or expenses.
        """
        return self._take_act("claim_recourse", act, actor, policy, note)

    def settle_recourse(
        self,
        act: DraftAct,
        *,
        actor: Actor,
        policy: DraftPolicy = DEFAULT_DRAFT_POLICY,
        note: str = "",
    ) -> TransitionRecord:
        """Settle a recourse claim (追索清偿): a ``SETTLE_RECOURSE`` act signed by a party claimed
        from, for exactly its claim's total. The payer now holds the draft; the other open claims
        end. If the payer has earlier parties (:meth:`earlier_parties`), IN_RECOURSE -> DISHONOURED
        and it may claim from them (re-recourse, 票据法 art. 71); otherwise (the acceptor, or a
        drawer who is also the acceptor) IN_RECOURSE -> SETTLED, final (结清). Queues
        :class:`RecourseSettled`.

        Raises:
            EcServiceError: as any refused act (see **Acts** on :class:`ElectronicDraft`).
            RecourseAmountExceeded: the amount is not the claim's total.
        """
        return self._take_act("settle_recourse", act, actor, policy, note)

    def cancel(
        self,
        *,
        policy: DraftPolicy = DEFAULT_DRAFT_POLICY,
        actor: Actor | None = None,
        note: str = "",
    ) -> TransitionRecord:
        """Cancel the draft (作废): not accepted within the acceptor's answer time (ISSUED), or not
        delivered before the end of the presentment period (ACCEPTED; the draft system voids an
        undelivered draft then). -> CANCELLED, final; queues :class:`DraftCancelled`.

        A timer's trigger: due at :meth:`next_due_at` exactly, fired as ``actor``
        (:data:`TIMER_ACTOR` by default); :meth:`run_timeouts` fires whatever is due.

        Raises:
            InvalidTransition: not allowed in the current state.
            DeadlinePassed: not due yet.
        """
        return self._take_timer("cancel", actor, policy, note)

    def expire(
        self,
        *,
        policy: DraftPolicy = DEFAULT_DRAFT_POLICY,
        actor: Actor | None = None,
        note: str = "",
    ) -> TransitionRecord:
        """Mark the presentment period over (HELD -> EXPIRED): the holder did not present in time.
        The holder may still present late. Queues :class:`DraftExpired`.

        A timer's trigger: due at :meth:`next_due_at` exactly, fired as ``actor``
        (:data:`TIMER_ACTOR` by default); :meth:`run_timeouts` fires whatever is due.

        Raises:
            InvalidTransition: not allowed in the current state.
            DeadlinePassed: not due yet.
        """
        return self._take_timer("expire", actor, policy, note)

    def deem_dishonoured(
        self,
        *,
        policy: DraftPolicy = DEFAULT_DRAFT_POLICY,
        actor: Actor | None = None,
        note: str = "",
    ) -> TransitionRecord:
        """Count an unanswered presentment as dishonoured (PRESENTED -> DISHONOURED, reason
        ``NO_ANSWER``) at the acceptor's answer time (票交所发〔2022〕2号). Queues
        :class:`DraftDishonoured`.

        A timer's trigger: due at :meth:`next_due_at` exactly, fired as ``actor``
        (:data:`TIMER_ACTOR` by default); :meth:`run_timeouts` fires whatever is due.

        Raises:
            InvalidTransition: not allowed in the current state.
            DeadlinePassed: not due yet.
        """
        return self._take_timer("deem_dishonoured", actor, policy, note)

    def close(
        self,
        *,
        policy: DraftPolicy = DEFAULT_DRAFT_POLICY,
        actor: Actor | None = None,
        note: str = "",
    ) -> TransitionRecord:
        """Close a draft whose rights lapsed (票据法 art. 17): the recourse period ended
        (DISHONOURED, IN_RECOURSE) or the holder's rights against the drawer and the acceptor ended
        (EXPIRED). -> CLOSED, final; queues :class:`DraftClosed`.

        A timer's trigger: due at :meth:`next_due_at` exactly, fired as ``actor``
        (:data:`TIMER_ACTOR` by default); :meth:`run_timeouts` fires whatever is due.

        Raises:
            InvalidTransition: not allowed in the current state.
            DeadlinePassed: not due yet.
        """
        return self._take_timer("close", actor, policy, note)


def _act_preparer(trigger: str) -> Any:
    def prepare(
        self: ElectronicDraft,
        *,
        actor: Actor,
        act: object = None,
        policy: object = DEFAULT_DRAFT_POLICY,
        note: object = "",
        **extra: object,
    ) -> dict[str, Any]:
        act_actor(actor)
        return self._prepare_act(trigger, act, policy, note, extra)

    return prepare


def _timer_preparer(trigger: str) -> Any:
    def prepare(
        self: ElectronicDraft,
        *,
        actor: Actor | None = None,
        policy: object = DEFAULT_DRAFT_POLICY,
        note: object = "",
        **extra: object,
    ) -> dict[str, Any]:
        return self._prepare_timer(trigger, actor, policy, note, extra)

    return prepare


# What can() runs: the trigger methods' checks, without firing.
#: The trigger that applies each kind of act (:meth:`ElectronicDraft.take`).
_TRIGGER_OF: Final = {kind: trigger for trigger, kind in ACT_TRIGGERS.items()}

for _trigger in ACT_TRIGGERS:
    setattr(ElectronicDraft, f"_prepare_{_trigger}", _act_preparer(_trigger))
for _trigger in TIMED_TRIGGERS:
    setattr(ElectronicDraft, f"_prepare_{_trigger}", _timer_preparer(_trigger))
del _trigger

bind_workflow(ElectronicDraft, DRAFT_WORKFLOW)
