"""The base of :class:`~ecservice.payments.ebills.ElectronicDraft`: fields, loading, views, timers
(private)."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from typing import Any, Final, Self

import attrs
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pendulum import DateTime

from ecservice._shown import shown
from ecservice.clock import SYSTEM_CLOCK, Clock
from ecservice.errors import ValidationError
from ecservice.money import Money
from ecservice.payments.ebills import _draft_checks as _checks
from ecservice.payments.ebills._acts import ActKind, DishonourReason, DraftAct, a_kind, sign_act
from ecservice.payments.ebills._errors import (
    ActChainBroken,
    DeadlinePassed,
    MalformedAct,
)
from ecservice.payments.ebills._events import DraftIssued, DraftStatus
from ecservice.payments.ebills._ledger import ACT_TRIGGERS, TIMED_TRIGGERS, DraftPayment, Ledger
from ecservice.payments.ebills._parties import DraftParty, DraftTerms
from ecservice.payments.ebills._policy import DEFAULT_DRAFT_POLICY, DraftPolicy
from ecservice.workflow import Actor, Aggregate, TransitionRecord

__all__ = ["TIMER_ACTOR", "DraftCore", "act_actor", "check_policy"]

#: Who the history names for a transition a timer fired.
TIMER_ACTOR: Final = Actor.system("ebills-timer")
S = DraftStatus


def _as_acts(value: Sequence[DraftAct]) -> tuple[DraftAct, ...]:
    given: object = value
    if isinstance(given, (str, bytes)) or not isinstance(given, (tuple, list)):
        raise MalformedAct(f"acts must be a tuple of DraftAct, not {shown(value)}")
    for act in value:
        if type(act) is not DraftAct:
            raise MalformedAct(f"acts must hold DraftAct values, not {shown(act)}")
    return tuple(value)


def check_policy(value: object) -> DraftPolicy:
    if type(value) is not DraftPolicy:
        raise ValidationError(f"policy must be a DraftPolicy, not {shown(value)}")
    return value


def act_actor(value: object) -> Actor:
    if type(value) is not Actor:
        raise ValidationError(f"actor must be an Actor, not {shown(value)}")
    return value


@attrs.define(slots=True, kw_only=True, on_setattr=attrs.setters.NO_OP)
class DraftCore(Aggregate[DraftStatus]):
    """The fields, loading checks, views and timers of :class:`ElectronicDraft` (private base)."""

    status: DraftStatus = DraftStatus.ISSUED
    acts: tuple[DraftAct, ...] = attrs.field(converter=_as_acts)

    def __attrs_post_init__(self) -> None:
        status: object = self.status
        if not isinstance(status, DraftStatus):
            raise ValidationError(
                f"{self._subject()}: status must be a DraftStatus, not {shown(status)}"
            )
        if not self.acts:
            raise MalformedAct(f"{self._subject()} needs its issue act")
        if self.acts[0].draft_no != self.id:
            raise ActChainBroken(
                f"{self._subject()}: its issue act is for draft {self.acts[0].draft_no!r}"
            )
        ledger = self._replay(verify=True)
        if ledger.status is not status:
            raise ValidationError(
                f"{self._subject()}: its acts lead to {ledger.status.name}, not {status.name}"
            )

    def _replay(self, *, verify: bool) -> Ledger:
        acts = self.acts
        ledger = Ledger(acts[0], verify=verify)
        i = 1
        for record in self.history:
            kind = ACT_TRIGGERS.get(record.trigger)
            if kind is None:
                ledger.timer(record.trigger, record.at)
            else:
                if i >= len(acts) or acts[i].kind is not kind:
                    found = acts[i].kind.value if i < len(acts) else "no act"
                    raise ActChainBroken(
                        f"{self._subject()}: history record {record.version} "
                        f"({record.trigger}) needs {a_kind(kind)} act, found {found}"
                    )
                ledger.apply(acts[i], verify=verify)
                i += 1
            if ledger.status is not record.dest:
                raise ValidationError(
                    f"{self._subject()}: history record {record.version} ends in "
                    f"{record.dest.name}, but its act leads to {ledger.status.name}"
                )
        if i != len(acts):
            raise ActChainBroken(
                f"{self._subject()}: {len(acts) - i} act(s) have no history record"
            )
        return ledger

    def _ledger(self) -> Ledger:
        """The meaning of the acts (already verified when the draft was built)."""
        return self._replay(verify=False)

    # --- issuing ---------------------------------------------------------------------------------

    @classmethod
    def issue(
        cls,
        act: DraftAct,
        *,
        actor: Actor,
        policy: DraftPolicy = DEFAULT_DRAFT_POLICY,
        clock: Clock = SYSTEM_CLOCK,
    ) -> Self:
        """A new draft from the drawer's signed issue act (出票), with :class:`DraftIssued`
        queued.

        The policy's rules of issue: the amount is in the policy's currency and a whole
        multiple of its standard sub-ticket amount (新一代票据业务系统, 等分化); the maturity
        date is after the issue date and at most ``max_tenor_months`` later
        (《商业汇票承兑、贴现与再贴现管理办法》 art. 25); the issue date is the day the
        drawer signed, in the policy's zone; the act is not dated after the clock's time.

        Raises:
            MalformedAct: ``act`` is not an issue act, or its issue date is not the day it
                was signed.
            NonStandardAmount: the amount breaks the standard-amount rule.
            TenorTooLong: the maturity date is too late (or not after the issue date).
            ForgedAct: the signature does not verify.
            WrongSigner: not signed by the drawer.
            ActChainBroken: ``previous`` is not :data:`GENESIS`, or the act is dated in the
                future.
            ValidationError: a bad actor, policy or clock.
        """
        pol = check_policy(policy)
        who = act_actor(actor)
        if type(act) is not DraftAct or act.kind is not ActKind.ISSUE:
            raise MalformedAct(f"a draft is issued with an issue act, not {shown(act)}")
        terms = act.terms
        assert terms is not None
        pol.sub_tickets(terms.amount)
        pol.check_tenor(terms.issued_on, terms.matures_on)
        if pol.local_date(act.at) != terms.issued_on:
            raise MalformedAct(
                f"the issue date {terms.issued_on} must be the day the drawer signed "
                f"({pol.local_date(act.at)} in {pol.zone})"
            )
        draft = cls(id=terms.number, acts=(act,), clock=clock)
        now = draft.clock.now()
        if act.at > now:
            raise ActChainBroken(f"the issue act is dated {act.at}, after the time now ({now})")
        draft._events = (
            DraftIssued(aggregate_id=draft.id, occurred_at=now, actor=who, terms=terms),
        )
        return draft

    def sign(
        self,
        key: Ed25519PrivateKey,
        kind: ActKind,
        *,
        by: DraftParty,
        at: _dt.datetime | None = None,
        party: DraftParty | None = None,
        amount: Money | None = None,
        interest: Money | None = None,
        expenses: Money | None = None,
        not_transferable: bool = False,
        reason: DishonourReason | None = None,
    ) -> DraftAct:
        """The next act on this draft, signed with ``key`` (the private key of ``by``): its
        ``draft_no`` is the draft's, ``previous`` the digest of the last act, ``at`` the
        draft's clock time unless given. A helper for parties and tests; the act is not applied.

        Raises:
            WrongSigner: ``key`` is not ``by``'s.
            MalformedAct: as :class:`DraftAct`'s constructor.
        """
        return sign_act(
            key,
            draft_no=self.id,
            kind=kind,
            at=self.clock.now() if at is None else at,
            by=by,
            previous=self.last_digest,
            party=party,
            amount=amount,
            interest=interest,
            expenses=expenses,
            not_transferable=not_transferable,
            reason=reason,
        )

    # --- views -----------------------------------------------------------------------------------

    @property
    def terms(self) -> DraftTerms:
        """The terms the drawer signed at issue."""
        terms = self.acts[0].terms
        assert terms is not None
        return terms

    @property
    def last_digest(self) -> bytes:
        """The digest of the last act, which the next act names as its ``previous``."""
        return self.acts[-1].digest

    @property
    def holder(self) -> DraftParty:
        """The party holding the draft (the drawer until delivery, then the payee, each
        endorsee, and after a recourse settlement the party who paid)."""
        return self._ledger().holder

    @property
    def holders(self) -> tuple[DraftParty, ...]:
        """The chain of transfers (the drawer, the payee, then each endorsee in order)."""
        return tuple(self._ledger().chain)

    @property
    def endorsements(self) -> tuple[DraftAct, ...]:
        """The endorsement acts, oldest first (the endorsement chain, 背书链)."""
        return tuple(self._ledger().endorsements)

    @property
    def guarantees(self) -> tuple[DraftAct, ...]:
        """The guarantee acts, oldest first."""
        return tuple(self._ledger().guarantees)

    @property
    def open_claims(self) -> tuple[DraftAct, ...]:
        """The recourse claims not settled yet (the holder may claim from several parties at
        once, 票据法 art. 68; the first settlement ends them all)."""
        return tuple(self._ledger().claims)

    @property
    def payments(self) -> tuple[DraftPayment, ...]:
        """Every payment made on the draft (the acceptor's payment, or the recourse
        settlements), oldest first."""
        return tuple(self._ledger().payments)

    @property
    def dishonour_reason(self) -> DishonourReason | None:
        """Why payment was refused, once dishonoured."""
        return self._ledger().reason

    @property
    def presented_at(self) -> DateTime | None:
        """When the holder presented the draft for payment (the act's instant)."""
        return self._ledger().presented_at

    @property
    def overdue_presentment(self) -> bool:
        """Whether the draft was presented after its presentment period (逾期提示付款)."""
        return self._ledger().overdue

    def earlier_parties(self, party: DraftParty | None = None) -> tuple[DraftParty, ...]:
        """Whom ``party`` (default: the holder) may claim recourse from: the drawer and the
        endorsers before it, the acceptor, and their guarantors; never itself or a later party
        (票据法 arts. 61, 68, 69); only the drawer, the acceptor and their guarantors after an
        overdue presentment."""
        ledger = self._ledger()
        return tuple(ledger.earlier_parties(ledger.holder if party is None else party))

    @property
    def amount_owed(self) -> Money:
        """What the holder is owed now (the face amount until paid or dishonoured; after a
        dishonour the principal of recourse (the face amount, or what the holder paid to settle
        a claim); the largest open claim while in recourse; zero once paid, settled, cancelled
        or closed)."""
        ledger = self._ledger()
        status = self.status
        if status in (S.PAID, S.SETTLED, S.CANCELLED, S.CLOSED):
            return Money.zero(self.terms.amount.currency)
        if status is S.IN_RECOURSE:
            return max(c.claimed for c in ledger.claims if c.claimed is not None)
        return ledger.principal

    @property
    def recourse_principal(self) -> Money:
        """The principal a recourse claim must ask for now (票据法 art. 70 (1), art. 71 (1)):
        the face amount, or after a settlement what the holder paid to settle it."""
        return self._ledger().principal

    def sub_tickets(self, policy: DraftPolicy = DEFAULT_DRAFT_POLICY) -> int:
        """How many standard sub-tickets the draft package holds: its sub-ticket range
        (子票区间) is ``1`` to this number.

        Raises:
            NonStandardAmount: the amount is not a whole multiple of the policy's standard
                amount (a draft issued under another policy).
        """
        return check_policy(policy).sub_tickets(self.terms.amount)

    # --- timers ----------------------------------------------------------------------------------

    def due_trigger(self, policy: DraftPolicy = DEFAULT_DRAFT_POLICY) -> str | None:
        """The trigger the draft's next timer fires (``"cancel"``, ``"expire"``,
        ``"deem_dishonoured"``, ``"close"``), or ``None`` in a final state."""
        check_policy(policy)
        return _checks.due_trigger(self)

    def next_due_at(self, policy: DraftPolicy = DEFAULT_DRAFT_POLICY) -> DateTime | None:
        """When the draft's next timer is due, in UTC, or ``None`` in a final state.

        It depends on the draft and the policy only (not on the clock):

        * ``ISSUED``: the acceptor's answer time (:meth:`DraftPolicy.acceptance_due`);
        * ``ACCEPTED``: the end of the presentment period (undelivered drafts are cancelled);
        * ``HELD``: the end of the presentment period (the draft expires); the maturity date,
          when presentment opens, is :meth:`presentment_opens_at` (for reminders);
        * ``PRESENTED``: the acceptor's answer time (:meth:`DraftPolicy.payment_answer_due`);
        * ``DISHONOURED``, ``IN_RECOURSE``: the end of the recourse period (6 months after the
          dishonour, 3 after a settlement, 票据法 art. 17);
        * ``EXPIRED``: the end of the holder's rights (2 years after maturity, art. 17).

        A timer is due at its instant exactly; one microsecond before, it is not.
        """
        return _checks.next_due_at(self, check_policy(policy))

    def presentment_opens_at(self, policy: DraftPolicy = DEFAULT_DRAFT_POLICY) -> DateTime:
        """When presentment for payment opens: the start of the maturity date."""
        return check_policy(policy).presentment_opens(self.terms.matures_on)

    def run_timeouts(
        self, *, policy: DraftPolicy = DEFAULT_DRAFT_POLICY, actor: Actor | None = None
    ) -> tuple[TransitionRecord, ...]:
        """Fire every timer due at the draft's clock, as ``actor`` (:data:`TIMER_ACTOR` by
        default); returns the records appended (none if nothing is due)."""
        done: list[TransitionRecord] = []
        for _ in range(len(TIMED_TRIGGERS)):
            due = self.next_due_at(policy)
            name = self.due_trigger(policy)
            if due is None or name is None or self.clock.now() < due:
                break
            done.append(getattr(self, name)(policy=policy, actor=actor))
        return tuple(done)

    # --- what can() checks -----------------------------------------------------------------------

    def _take_act(
        self, trigger: str, act: object, actor: object, policy: object, note: object
    ) -> TransitionRecord:
        """Fire ``trigger`` with ``act``: the trigger allowed now, the actor checked, the act
        checked in full (:meth:`_prepare_act`) before anything changes."""
        self._ensure_allowed(trigger)
        who = act_actor(actor)
        payload = self._prepare_act(trigger, act, policy, note, {})
        return self._fire_prepared(trigger, who, payload)

    def _take_timer(
        self, trigger: str, actor: Actor | None, policy: object, note: object
    ) -> TransitionRecord:
        """Fire the timer ``trigger`` as ``actor`` (:data:`TIMER_ACTOR` by default), once it is
        allowed now and due (:meth:`_prepare_timer`)."""
        self._ensure_allowed(trigger)
        payload = self._prepare_timer(trigger, actor, policy, note, {})
        return self._fire_prepared(trigger, TIMER_ACTOR if actor is None else actor, payload)

    def _prepare_act(
        self, trigger: str, act: object, policy: object, note: object, extra: dict[str, object]
    ) -> dict[str, Any]:
        if extra:
            raise ValidationError(f"unexpected argument(s): {', '.join(sorted(extra))}")
        pol = check_policy(policy)
        kind = ACT_TRIGGERS[trigger]
        if type(act) is not DraftAct or act.kind is not kind:
            raise MalformedAct(f"{trigger} takes {a_kind(kind)} act, not {shown(act)}")
        now = self.clock.now()
        if act.at > now:
            raise ActChainBroken(f"the {kind.value} act is dated {act.at}, after now ({now})")
        oldest = now.subtract(seconds=pol.act_delay_seconds)
        last = self.history[-1].at if self.history else self.acts[0].at
        if act.at < oldest or act.at < last:
            raise ActChainBroken(
                f"the {kind.value} act is dated {act.at}: an act is dated when it is made, at "
                f"most {pol.act_delay_seconds} s before it reaches the draft (now {now}) and not "
                f"before the draft's last change ({last})"
            )
        before = self._ledger()
        after = before.copy()
        after.apply(act)
        _checks.check_periods(self, trigger, act, before, pol, now)
        return {"act": act, "ledger": after, "note": note}

    def _prepare_timer(
        self, trigger: str, actor: object, policy: object, note: object, extra: dict[str, object]
    ) -> dict[str, Any]:
        if extra:
            raise ValidationError(f"unexpected argument(s): {', '.join(sorted(extra))}")
        pol = check_policy(policy)
        if actor is not None:
            act_actor(actor)
        due = self.next_due_at(pol)
        now = self.clock.now()
        if self.due_trigger(pol) != trigger or due is None or now < due:
            raise DeadlinePassed(
                f"{self._subject()}: {trigger!r} is not due (the next timer is "
                f"{self.due_trigger(pol)!r} at {due}; it is now {now})"
            )
        ledger = self._ledger()
        ledger.timer(trigger, now)
        return {"ledger": ledger, "note": note}
