"""Orders paid with electronic commercial drafts (电子商业汇票), over stored drafts."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ecservice._shown import shown
from ecservice.application._order_payments import PaymentOutcome, outcome_of
from ecservice.application._runner import UseCaseRunner, check_clock, check_store
from ecservice.application._stored import check_limit, claim_due
from ecservice.application._timer_policy import agreed, require_timer, store_timer
from ecservice.clock import SYSTEM_CLOCK, Clock, ensure_utc
from ecservice.errors import AggregateNotFound, PolicyViolation, ValidationError
from ecservice.money import Money
from ecservice.payments import (
    Instrument,
    InstrumentKind,
    OrderPayments,
    Payment,
    PaymentStatus,
)
from ecservice.payments.ebills import (
    DEFAULT_DRAFT_POLICY,
    DraftAct,
    DraftParty,
    DraftPolicy,
    DraftStatus,
    ElectronicDraft,
)
from ecservice.payments.ebills._gateway import EbillGateway
from ecservice.storage import Store, UnitOfWork, default_backoff
from ecservice.storage._timers import draft_timer_terms
from ecservice.workflow import Actor, TransitionRecord

__all__ = ["EbillService", "draft_payment_id"]

#: How a draft payment's id starts.
_PREFIX: Final = "EBILL-"


#: Most offers of one draft to orders while the shop holds it (each declined one takes one).
MAX_OFFERS: Final = 99


def draft_payment_id(draft: ElectronicDraft, offer: int = 1) -> str:
    """The id of the payment a draft makes while the shop holds it: ``EBILL-{number}-{v}``,
    where ``v`` is the draft's version when the shop became its holder, and
    ``EBILL-{number}-{v}-{offer}`` for the second and later offers after declined ones. One
    draft pays one order: an order offered a draft that another order's live payment holds
    finds that payment stored.

    Raises:
        ValidationError: ``offer`` is not an int from 1 to ``MAX_OFFERS`` (99).
    """
    if type(offer) is not int or not 1 <= offer <= MAX_OFFERS:
        raise ValidationError(f"offer must be an int from 1 to {MAX_OFFERS}, not {shown(offer)}")
    versions = [r.version for r in draft.history if r.trigger in ("deliver", "endorse")]
    base = f"{_PREFIX}{draft.id}-{versions[-1] if versions else 0}"
    return base if offer == 1 else f"{base}-{offer}"


class EbillService:
    """The shop's use cases for orders paid with electronic drafts, over a store.

    The drafts, orders and payments are stored; each use case loads what it needs, acts
    through an :class:`~ecservice.payments.ebills.EbillGateway` built over the loaded draft
    (its references name the draft, so a new gateway per transaction finds what an earlier
    one did), saves and commits once, so the draft's acts and the payment's records are
    stored together or not at all.

    * :meth:`receive` stores a draft the buyer issued or endorsed to the shop, or brings the
      stored one up to a newer copy (endorsed to the shop again after it went back).
    * :meth:`pay` pays an order with a draft the shop holds: the order is confirmed when the
      payment captures the draft. The payment's id is :func:`draft_payment_id`, so one draft
      pays one order, whichever process pays.
    * :meth:`settle` gives a draft back (endorses it back to the buyer) when the order it paid
      was cancelled before presentment.
    * :meth:`run_due` presents the shop's drafts for payment once their maturity date has come
      and runs the drafts' own timers (expiry, unanswered presentment, lapse).
    * :meth:`record` applies the acceptor's answer or a recourse settlement the draft system
      passed on; :meth:`claim_recourse` claims from an earlier party after a dishonour.

    Args:
        store: where drafts, orders and payments are stored. Its draft timer should be
            ``draft_next_due(policy, holder=shop)``
            (:func:`~ecservice.storage.draft_next_due`), so that :meth:`run_due` finds the
            shop's drafts at maturity; with a timer for no holder (the default timers'), a
            draft the shop holds is due only at the draft's own next instant. When the timer
            carries its policy (the default timers' does), the service runs under it; a timer
            that is the shop's own function carries none, and the shop must keep it in
            agreement with ``policy``.
        shop: the shop's party.
        shop_key: the shop's Ed25519 private key (the public key of ``shop``).
        policy: the draft rules (:class:`~ecservice.payments.ebills.DraftPolicy`); ``None``
            (the default) takes the policy of the store's draft timer, or, without one to
            read, :data:`~ecservice.payments.ebills.DEFAULT_DRAFT_POLICY`. Given, it must
            equal the policy of the store's draft timer when that timer carries one.
        clock: the time the use cases run at (given to the drafts they load).
        actor: who the histories record for the shop's steps (default
            ``Actor.system("ebills")``).
        attempts: how many times a use case runs before a transient failure is raised.
        backoff: seconds to wait before the next attempt.
        sleep: how to wait.

    Raises:
        ValidationError: a bad store, clock, shop, key, policy or actor, ``attempts`` not an
            int from 1 to 100, or ``backoff`` or ``sleep`` not callable.
        ValidationError: ``policy`` differs from the policy of the store's draft timer, or that
            timer presents the drafts of another holder than ``shop`` (the message names both
            and how to build the store).
    """

    def __init__(
        self,
        store: Store,
        shop: DraftParty,
        shop_key: Ed25519PrivateKey,
        *,
        policy: DraftPolicy | None = None,
        clock: Clock = SYSTEM_CLOCK,
        actor: Actor | None = None,
        attempts: int = 5,
        backoff: Callable[[int], float] = default_backoff,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        check_store(store, "EbillService")
        check_clock(clock, "EbillService")
        if policy is not None and not isinstance(policy, DraftPolicy):
            raise ValidationError(f"policy must be a DraftPolicy, not {shown(policy)}")
        terms = draft_timer_terms(store_timer(store, "electronic_draft"))
        build = "draft_next_due(policy, holder=shop)"
        agreed_policy = agreed(
            policy,
            None if terms is None else terms[0],
            service="EbillService",
            argument="policy",
            document_type="electronic_draft",
            builder=build,
        )
        policy = DEFAULT_DRAFT_POLICY if agreed_policy is None else agreed_policy
        # The gateway checks the shop, key, policy and actor.
        EbillGateway({}, shop, shop_key, policy=policy, actor=actor)
        holder = None if terms is None else terms[1]
        if holder is not None and holder != shop:
            raise ValidationError(
                f"EbillService is the shop {shown(shop, 160)}, but its store's draft timer "
                f"presents the drafts of {shown(holder, 160)}; build the store with "
                f'timers={{**default_timers(), "electronic_draft": {build}}}'
            )
        self.store = store
        self.shop = shop
        self._key = shop_key
        self.policy = policy
        self.clock = clock
        self.actor = actor or Actor.system("ebills")
        self._run = UseCaseRunner(store, attempts, backoff, sleep)

    def _gateway(self, draft: ElectronicDraft) -> EbillGateway:
        return EbillGateway(
            {draft.id: draft}, self.shop, self._key, policy=self.policy, actor=self.actor
        )

    # --- drafts ----------------------------------------------------------------------------------

    def receive(self, draft: ElectronicDraft) -> int:
        """Store ``draft`` as the shop received it from the draft system (issued or endorsed
        to the shop). A draft already stored is brought up to this copy: the acts this copy
        has beyond the stored ones are applied to the stored draft in order (a draft the shop
        endorsed back and receives again, endorsed anew). Receiving the same draft again
        changes nothing.

        Returns:
            The stored version.

        Raises:
            ValidationError: not a draft.
            PolicyViolation: the stored draft has acts this copy lacks or contradicts.
            ForgedAct, WrongSigner, ActChainBroken, DeadlinePassed: the stored draft refused
                one of the new acts; nothing changed.
        """
        if not isinstance(draft, ElectronicDraft):
            raise ValidationError(f"receive takes an ElectronicDraft, not {shown(draft)}")

        def work(uow: UnitOfWork) -> int:
            stored = uow.drafts.find(draft.id)
            if stored is None:
                uow.drafts.add(
                    ElectronicDraft(
                        id=draft.id,
                        version=draft.version,
                        history=draft.history,
                        status=draft.status,
                        acts=draft.acts,
                        clock=self.clock,
                    )
                )
                return draft.version
            known = len(stored.acts)
            if draft.acts[:known] != stored.acts:
                raise PolicyViolation(
                    f"draft {draft.id} is stored with other acts (version {stored.version}, "
                    f"this one is version {draft.version}): later acts reach it through record"
                )
            if len(draft.acts) == known:
                return stored.version
            for act in draft.acts[known:]:
                stored.take(act, actor=self.actor, policy=self.policy, note="received")
            uow.drafts.save(stored)
            return stored.version

        return self._run(work)

    # --- paying ----------------------------------------------------------------------------------

    def pay(self, order_id: str, draft_no: str) -> PaymentOutcome:
        """Pay order ``order_id`` with the draft ``draft_no`` the shop holds.

        The payment (:func:`draft_payment_id`) authorises and captures the draft's face
        amount, which must be what the order owes; the order is then confirmed. Run again, it
        answers the stored outcome without acting twice. A declined offer moved nothing and
        frees the draft: paying again (this order or another) makes the next offer.

        Returns:
            The outcome: ``paid``, or the payment ``FAILED`` (declined: the draft is not held
            by the shop, not for the amount owed, or matured).

        Raises:
            AggregateNotFound: no such order or draft.
            PolicyViolation: the draft pays another order (its payment is not declined), it
                was declined ``MAX_OFFERS`` (99) times, or the order does not await payment
                (see :meth:`~ecservice.payments.OrderPayments.pay`).
        """

        def work(uow: UnitOfWork) -> PaymentOutcome:
            order = uow.orders.get(order_id)
            draft = uow.drafts.get(draft_no)
            gateway = self._gateway(draft)
            shop = OrderPayments(gateway, actor=self.actor)
            payment = self._offer(uow, draft, order.id)
            if payment is None:
                offers = len(self._offers(uow, draft))
                if offers >= MAX_OFFERS:
                    raise PolicyViolation(
                        f"draft {draft.id} was declined {offers} times while the shop holds it"
                    )
                payment = shop.open(
                    order,
                    Instrument(InstrumentKind.DRAFT, draft.id),
                    payment_id=draft_payment_id(draft, offers + 1),
                )
                uow.payments.add(payment)
            versions = order.version, payment.version, draft.version
            shop.pay(order, payment)
            if payment.version != versions[1]:
                uow.payments.save(payment)
            if order.version != versions[0]:
                uow.orders.save(order)
            if draft.version != versions[2]:
                uow.drafts.save(draft)
            return outcome_of(order, payment)

        return self._run(work)

    def settle(self, order_id: str, draft_no: str) -> tuple[TransitionRecord, ...]:
        """Reconcile the draft payment of the order with it: when the order was cancelled
        before the draft was presented, endorse the draft back to the buyer (the payment is
        refunded whole); a partly cancelled order is refunded by transfer, not here.

        Returns:
            The payment records appended (empty when nothing was owed).

        Raises:
            AggregateNotFound: no such order, draft or draft payment.
            PaymentDeclined: the draft cannot go back (presented, or only part is owed).
        """

        def work(uow: UnitOfWork) -> tuple[TransitionRecord, ...]:
            order = uow.orders.get(order_id)
            draft = uow.drafts.get(draft_no)
            payment = self._payment_of(uow, draft, order_id)
            before = draft.version
            records = OrderPayments(self._gateway(draft), actor=self.actor).settle(order, payment)
            if records:
                uow.payments.save(payment)
            if draft.version != before:
                uow.drafts.save(draft)
            return records

        return self._run(work)

    @staticmethod
    def _offers(uow: UnitOfWork, draft: ElectronicDraft) -> list[Payment]:
        """The payments the draft was offered to while the shop holds it, first offer first."""
        found: list[Payment] = []
        for offer in range(1, MAX_OFFERS + 1):
            payment = uow.payments.find(draft_payment_id(draft, offer))
            if payment is None:
                break
            found.append(payment)
        return found

    def _offer(self, uow: UnitOfWork, draft: ElectronicDraft, order_id: str) -> Payment | None:
        """The live payment of ``order_id`` with the draft (``None`` when every earlier offer
        was declined); another order's live payment refuses the offer."""
        for payment in self._offers(uow, draft):
            if payment.status is PaymentStatus.FAILED:
                continue
            if payment.order_id != order_id:
                raise PolicyViolation(
                    f"draft {draft.id} pays order {payment.order_id!r} (payment "
                    f"{payment.id!r}, {payment.status.name}); one draft pays one order"
                )
            return payment
        return None

    def _payment_of(self, uow: UnitOfWork, draft: ElectronicDraft, order_id: str) -> Payment:
        """The payment with which the draft paid ``order_id`` in any of the shop's holdings."""
        for record in reversed(draft.history):
            if record.trigger not in ("deliver", "endorse"):
                continue
            base = f"{_PREFIX}{draft.id}-{record.version}"
            for offer in range(1, MAX_OFFERS + 1):
                payment = uow.payments.find(base if offer == 1 else f"{base}-{offer}")
                if payment is None:
                    break
                if payment.order_id == order_id and payment.status is not PaymentStatus.FAILED:
                    return payment
        raise AggregateNotFound("payment", f"{_PREFIX}{draft.id}-* of order {order_id}")

    # --- collecting ------------------------------------------------------------------------------

    def run_due(self, *, limit: int = 100) -> int:
        """Present the shop's drafts whose maturity date has come (提示付款) and run the
        drafts' timers that are due, at ``clock.now()``: the ids of the due drafts are claimed
        through the store's timer index ``limit`` at a time, and each draft is handled in a
        transaction of its own.

        Returns:
            How many drafts changed.

        Raises:
            ValidationError: ``limit`` is not a whole number from 1 to 10000, or the store
                shows its timers (``store.timers``) and has none for these documents: nothing
                would ever be due.
            DocumentError: due drafts could not be read (raised after every other one was
                handled; each is also logged at ERROR on the ``"ecservice.application"``
                logger, and stays due until its document is repaired).
        """
        check_limit(limit)
        now = ensure_utc(self.clock.now(), what="clock.now()")

        def work(uow: UnitOfWork, draft_id: str) -> bool:
            draft = uow.drafts.get(draft_id)
            before = draft.version
            gateway = self._gateway(draft)
            opens = draft.presentment_opens_at(self.policy)
            if draft.status is DraftStatus.HELD and draft.holder == self.shop and now >= opens:
                deadline = draft.next_due_at(self.policy)
                if deadline is None or now < deadline:
                    gateway.present(draft.id)
            draft.run_timeouts(policy=self.policy)
            if draft.version == before:
                return False
            uow.drafts.save(draft)
            return True

        def fire(draft_id: str) -> bool:
            return self._run(functools.partial(work, draft_id=draft_id))

        require_timer(
            self.store, "electronic_draft", "draft", "draft_next_due(policy, holder=shop)"
        )
        return claim_due(self._run, lambda uow: uow.drafts, now, fire, limit, "draft")

    def record(self, draft_no: str, act: DraftAct) -> TransitionRecord:
        """Apply the acceptor's payment or dishonour, or a recourse settlement, to the stored
        draft (see :meth:`EbillGateway.record
        <ecservice.payments.ebills.EbillGateway.record>`); the same act again returns its
        record.

        Raises:
            AggregateNotFound: no such draft.
            ValidationError, ForgedAct, WrongSigner, ActChainBroken, DeadlinePassed: the act
                was refused; nothing changed.
        """

        def work(uow: UnitOfWork) -> TransitionRecord:
            draft = uow.drafts.get(draft_no)
            before = draft.version
            done = self._gateway(draft).record(draft.id, act)
            if draft.version != before:
                uow.drafts.save(draft)
            return done

        return self._run(work)

    def claim_recourse(
        self,
        draft_no: str,
        against: DraftParty,
        *,
        interest: Money | None = None,
        expenses: Money | None = None,
    ) -> TransitionRecord:
        """Claim recourse from ``against`` on a dishonoured draft the shop holds (see
        :meth:`EbillGateway.claim_recourse
        <ecservice.payments.ebills.EbillGateway.claim_recourse>`); run again while the claim
        is open, it returns the claim's record.

        Raises:
            AggregateNotFound: no such draft.
            PolicyViolation, RecourseNotAllowed, RecourseAmountExceeded, DeadlinePassed: the
                claim was refused; nothing changed.
        """

        def work(uow: UnitOfWork) -> TransitionRecord:
            draft = uow.drafts.get(draft_no)
            before = draft.version
            done = self._gateway(draft).claim_recourse(
                draft.id, against, interest=interest, expenses=expenses
            )
            if draft.version != before:
                uow.drafts.save(draft)
            return done

        return self._run(work)
