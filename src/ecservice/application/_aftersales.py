"""The after-sales use cases: pay out what cases decided, through the payment that paid the order,
and run the cases' timers.

A case decides money (:meth:`~ecservice.aftersales.AfterSalesCase.refund`,
:meth:`~ecservice.aftersales.AfterSalesCase.compensate`, the automatic refund of its timer) and
lists it as ``(idempotency key, amount)`` pairs
(:meth:`~ecservice.aftersales.AfterSalesCase.refund_requests`, keys
``aftersales:<case id>:v<version>``). :meth:`AfterSalesService.refund` sends each one to the
order's paying payment (:meth:`~ecservice.payments.OrderPayments.paid_by`) as an
``AFTERSALES`` refund (:class:`~ecservice.payments.RefundKind`) under that key, so the money goes
back to the instrument that paid (every refund goes through the payment), and a run again
after a crash or a lost answer asks the gateway the same question and records its stored answer:
each decided refund moves money once.
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final, TypeVar, final

from ecservice.aftersales import (
    AfterSalesCase,
    AfterSalesPolicy,
    CompensationTier,
    Evidence,
    EvidenceKind,
    ItemTraits,
    ProblemKind,
    RemedyKind,
)
from ecservice.application._claims import claimed_units, covered_by_keys
from ecservice.application._order_view import OrderAfterSales, order_view
from ecservice.application._runner import UseCaseRunner, check_clock, check_store
from ecservice.application._stored import check_limit, claim_due
from ecservice.application._timer_policy import require_timer
from ecservice.clock import SYSTEM_CLOCK, Clock, ensure_utc
from ecservice.errors import GatewayUnavailable, PolicyViolation, ValidationError
from ecservice.money import Money
from ecservice.orders import Order
from ecservice.payments import (
    OrderPayments,
    OutcomeLookup,
    Payment,
    PaymentDeclined,
    PaymentGateway,
    RefundKind,
)
from ecservice.storage import Store, UnitOfWork, default_backoff
from ecservice.workflow import Actor, TransitionRecord

__all__ = ["AfterSalesService"]

R = TypeVar("R")


#: How many settlement refunds with lost answers a case refund looks for (one per settle run).
_MAX_UNRECORDED: Final = 16


@final
class AfterSalesService:
    """The after-sales use cases over one store, one gateway and one clock.

    Each method is one unit of work run through :func:`~ecservice.storage.run_in_transaction`
    (retried on transient storage errors and on :class:`~ecservice.errors.ConcurrencyConflict`,
    from the stored state). Running one again after a crash, before or after its commit,
    converges to what one run reaches and never refunds twice.

    Args:
        store: where orders, payments and after-sales cases are stored.
        gateway: the payment gateway that paid the orders.
        clock: the time :meth:`open_case` opens cases at and :meth:`run_due_timers` runs at.
        policy: the shop's after-sales policy (:class:`~ecservice.aftersales.AfterSalesPolicy`,
            the common practice by default): :meth:`open_case` checks requests against it and
            takes the liability and the timeouts of new cases from it.
        actor: who the payment histories record for the refunds (default
            ``Actor.system("aftersales")``).
        attempts: how many times a use case runs before a transient failure is raised.
        backoff: seconds to wait before the next attempt.
        sleep: how to wait (``time.sleep``).

    Raises:
        ValidationError: a ``store`` without a callable ``unit_of_work`` (a
            :class:`~ecservice.storage.Store` is needed), or a ``clock`` that is not a
            :class:`~ecservice.clock.Clock` (with ``now()``).
        ValidationError: a gateway that is not a :class:`~ecservice.payments.PaymentGateway`,
            a policy that is not an :class:`~ecservice.aftersales.AfterSalesPolicy`, or an actor
            that is not an :class:`~ecservice.workflow.Actor`.
    """

    def __init__(
        self,
        store: Store,
        gateway: PaymentGateway,
        *,
        clock: Clock = SYSTEM_CLOCK,
        policy: AfterSalesPolicy | None = None,
        actor: Actor | None = None,
        attempts: int = 5,
        backoff: Callable[[int], float] = default_backoff,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        check_store(store, "AfterSalesService")
        check_clock(clock, "AfterSalesService")
        if not isinstance(gateway, PaymentGateway):
            raise ValidationError(
                f"AfterSalesService needs a PaymentGateway, not {type(gateway).__name__}"
            )
        if policy is not None and not isinstance(policy, AfterSalesPolicy):
            raise ValidationError(
                f"policy must be an AfterSalesPolicy, not {type(policy).__name__}"
            )
        if actor is not None and not isinstance(actor, Actor):
            raise ValidationError(f"actor must be an Actor, not {type(actor).__name__}")
        self.policy = AfterSalesPolicy() if policy is None else policy
        self.store = store
        self.gateway = gateway
        self.clock = clock
        self.actor = actor or Actor.system("aftersales")
        self._run = UseCaseRunner(store, attempts, backoff, sleep)

    # --- opening ---------------------------------------------------------------------------------

    def open_case(
        self,
        case_id: str,
        order_id: str,
        lines: Mapping[str, int],
        remedy: RemedyKind,
        problem: ProblemKind,
        *,
        asked: Money | None = None,
        evidence: Iterable[Evidence] = (),
        evidence_kinds: Iterable[EvidenceKind] = (),
        traits: Mapping[str, ItemTraits] | None = None,
        failed_repairs: int = 0,
        claimed: Mapping[str, int] | None = None,
        tier: CompensationTier | None = None,
    ) -> AfterSalesCase:
        """Open case ``case_id`` for a request about the stored order ``order_id``, at
        ``clock.now()``, if the policy allows it
        (:meth:`~ecservice.aftersales.AfterSalesPolicy.require_eligible`), and store it.

        The case's buyer is the order's, its goods value what the order charged for ``lines``
        (unit price times quantity), its liability the policy's for ``problem``, its timeouts
        the policy's, and ``order_shipped`` whether a parcel of the order had left.

        Run again after the case was stored, it returns the stored case (a case id names one
        request).

        **Units already claimed.** The order's other cases are read
        (``uow.cases.for_order``) with the order's lock, so that
        two requests about the same order, in any processes, are checked one after the other:
        on PostgreSQL the second waits for the first's commit and then sees its case; on SQLite
        the unit of work holds the write lock; in a :class:`~ecservice.storage.MemoryStore` the
        later commit conflicts and the use case runs again. No two cases together ever ask for
        more units of a line than the order has for their remedies.

        Args:
            case_id: the new case's id (short text).
            order_id: the order the request is about.
            lines: ``{sku: quantity}`` of the order's lines the request covers.
            remedy: the remedy asked for.
            problem: the problem claimed.
            asked: the amount asked for a refund or a compensation, in the order's currency;
                the goods value by default.
            evidence: the evidence given (photo references and notes), kept on the case.
            evidence_kinds: the kinds of evidence given, which the policy checks against what
                the problem needs (:class:`~ecservice.aftersales.EvidenceKind`).
            traits: :class:`~ecservice.aftersales.ItemTraits` per SKU (exclusions from the
                7-day no-reason return, warranty).
            failed_repairs: how many repairs of the goods failed within the warranty.
            claimed: ``{sku: units}`` claimed outside this store (requests the shop handles
                elsewhere), added to what the order's stored cases claim at ``clock.now()``
                (:func:`~ecservice.application.claimed_units`: cases being handled or
                rejected, cases that gave a remedy, and closed cases that may still be
                reopened); it never lowers them.
            tier: the compensation tier that bounds ``asked`` for a compensation.

        Returns:
            The stored case.

        Raises:
            AggregateNotFound: no such order.
            NotEligible: the policy refuses the request (every refusal, with its rule, is in
                the error); nothing is stored.
            PolicyViolation: ``case_id`` is taken by a case of another order.
            ValidationError: malformed input (see
                :meth:`~ecservice.aftersales.AfterSalesPolicy.eligible` and
                :class:`~ecservice.aftersales.AfterSalesCase`).
        """
        policy = self.policy
        given = tuple(evidence)
        kinds = tuple(evidence_kinds)
        at = ensure_utc(self.clock.now(), what="clock.now()")

        def work(uow: UnitOfWork) -> AfterSalesCase:
            stored = uow.cases.find(case_id)
            if stored is not None:
                if stored.order_id != order_id:
                    raise PolicyViolation(
                        f"case id {case_id!r} is already used by a case of order "
                        f"{stored.order_id!r}; a case of order {order_id!r} needs an id of its own"
                    )
                return stored
            # The order's lock first: the cases read next stay the order's cases until this
            # unit of work ends (see CaseRepository.for_order).
            others = uow.cases.for_order(order_id, lock=True)
            units = claimed_units(others, at=at)
            for sku, n in _extra_claims(claimed).items():
                units[sku] = units.get(sku, 0) + n
            asked_skus = set(lines) if isinstance(lines, Mapping) else set()
            taken = {sku: n for sku, n in units.items() if sku in asked_skus}
            order = uow.orders.get(order_id)
            policy.require_eligible(
                order,
                lines,
                remedy,
                problem,
                at,
                traits=traits,
                evidence=kinds,
                failed_repairs=failed_repairs,
                claimed=taken,
                amount=asked,
                tier=tier,
            )
            value = Money.zero(order.currency)
            for sku, quantity in lines.items():
                value = value + order.line(sku).unit_price * quantity
            case = AfterSalesCase(
                id=case_id,
                order_id=order.id,
                buyer_id=order.buyer_id,
                remedy=remedy,
                problem=problem,
                liability=policy.liability[problem],
                lines=dict(lines),
                goods_value=value,
                asked=value if asked is None else asked,
                opened_at=at,
                order_shipped=bool(order.shipments),
                timeouts=policy.timeouts,
                evidence=given,
                clock=self.clock,
            )
            uow.cases.add(case)
            return case

        return self._run(work)

    # --- the order's view -------------------------------------------------------------------------

    def order_view(self, order_id: str) -> OrderAfterSales:
        """The after-sales view of the stored order ``order_id`` at ``clock.now()``: its cases
        (oldest opened first) with their status, lines, amounts and return parcel; every
        parcel the cases sent (exchanges, reships, repaired goods) with its tracking; per order
        line, the units the cases claim, the units still being handled and the units refunded;
        and all the cases decided to pay back. What the shop shows on the order's page.

        Read in one unit of work (the order and
        ``uow.cases.for_order``); nothing is written.

        Raises:
            AggregateNotFound: no such order.
            ValidationError: ``order_id`` is not a ``str``.
            DocumentError: a stored case or the order cannot be read.
        """
        at = ensure_utc(self.clock.now(), what="clock.now()")

        def work(uow: UnitOfWork) -> OrderAfterSales:
            order = uow.orders.get(order_id)
            return order_view(order, uow.cases.for_order(order_id), at=at)

        return self._run(work)

    # --- refunding -------------------------------------------------------------------------------

    def refund(self, case_id: str) -> tuple[TransitionRecord, ...]:
        """Refund, through the payment that paid the case's order, every refund the case
        decided that the payment has not recorded yet; the payment is saved in one transaction.

        Each request is matched with the payment by its idempotency key (a key the payment
        recorded is done). The others are refunded oldest first as ``AFTERSALES`` refunds
        (:class:`~ecservice.payments.RefundKind`) under their own keys. When the gateway can
        say what it did (:class:`~ecservice.payments.OutcomeLookup`), a refund it made whose
        answer was lost is recorded as it happened, without asking anything new; at
        any other gateway the same key and amount are sent again and the gateway replays its
        answer. So the use case can be run any number of times: money moves once per decided
        refund.

        Refunds of all cases and of the order's cancellations never exceed what the payment
        captured: the requests still to send must fit in what the payment has left to refund
        less what the order's cancellations are owed and not yet settled
        (:meth:`~ecservice.payments.OrderPayments.owed`); otherwise nothing is sent.

        Returns:
            The payment records appended (empty when everything was already refunded, or the
            case decided no refund).

        Raises:
            AggregateNotFound: no such case, or its order or paying payment is not stored.
            PolicyViolation: the order was not paid by a payment (nothing to refund through),
                or the requests do not fit what is left to refund (the message gives the
                amounts); nothing was sent.
            ValidationError: the case's currency is not the payment's.
            GatewayUnavailable: the gateway's answer was lost; nothing is stored. Run it again
                (the same keys are used).
            PaymentDeclined: the gateway refused a refund; nothing is stored (a refund of the
                same run that went through is recorded by the next run, from its key).
        """

        def work(uow: UnitOfWork) -> tuple[TransitionRecord, ...]:
            case = uow.cases.get(case_id)
            if not case.refund_requests():
                return ()
            order = uow.orders.get(case.order_id)
            payment = self._paying(uow, case, order)
            cases = uow.cases.for_order(order.id)
            made = {key for key, _fingerprint, _version in payment.idempotency}
            # Coverage once this case's refunds are made: units of the case the order has
            # since cancelled are refunded by the case, not by the cancellation's settlement.
            keys = made | {key for key, _amount in case.refund_requests()}
            covered = covered_by_keys(order, cases, keys)
            records = self._refund_case(case, order, payment, covered)
            if records:
                uow.payments.save(payment)
            return records

        return self._run(work)

    @staticmethod
    def _paying(uow: UnitOfWork, case: AfterSalesCase, order: Order[Any]) -> Payment:
        paying = OrderPayments.paid_by(order)
        if paying is None:
            raise PolicyViolation(
                f"order {order.id!r} of after-sales case {case.id!r} was not paid by a payment "
                "(it is not confirmed by a capture), so there is nothing to refund through"
            )
        payment = uow.payments.get(paying)
        currency = case.goods_value.currency
        if payment.amount.currency != currency:
            raise ValidationError(
                f"after-sales case {case.id!r} is in {currency.code}, payment {payment.id!r} in "
                f"{payment.amount.currency.code}: a case refunds in the currency that paid"
            )
        return payment

    def _known(self, key: str) -> Money | None:
        """The amount the gateway already refunded under ``key``, if it can tell."""
        if not isinstance(self.gateway, OutcomeLookup):
            return None
        found = self.gateway.outcome(key)
        if found is None or not found.approved:
            return None
        return found.amount

    def _unrecorded_settlements(self, payment: Payment) -> Money:
        """What settlement refunds the gateway made and the payment has not recorded (their
        answers were lost): the keys ``{payment}:refund:N`` after the recorded ones."""
        total = Money.zero(payment.amount.currency)
        done = sum(1 for r in payment.refunds if r.kind is RefundKind.SETTLEMENT)
        for n in range(done + 1, done + 1 + _MAX_UNRECORDED):
            found = self._known(f"{payment.id}:refund:{n}")
            if found is None:
                break
            total = total + found
        return total

    def _refund_case(
        self, case: AfterSalesCase, order: Order[Any], payment: Payment, covered: Money
    ) -> tuple[TransitionRecord, ...]:
        recorded = {key for key, _fingerprint, _version in payment.idempotency}
        pending = [(key, amount) for key, amount in case.refund_requests() if key not in recorded]
        if not pending:
            return ()
        known = {key: self._known(key) for key, _amount in pending}
        # What the gateway has not done yet must fit, all of it, before anything is sent.
        new = [amount for key, amount in pending if known[key] is None]
        if new and payment.captured is not None:
            settled = payment.refunded_of(RefundKind.SETTLEMENT) + self._unrecorded_settlements(
                payment
            )
            twice = covered - (payment.captured - settled - order.amount_due)
            if not twice.is_negative() and not twice.is_zero():
                raise PolicyViolation(
                    f"after-sales case {case.id!r} would refund {twice} for units order "
                    f"{order.id!r} has cancelled and its settlement already refunded: a unit is "
                    "refunded once; close the case (the cancellation refunded it); nothing was "
                    "refunded"
                )
        if new:
            asked = sum(new[1:], new[0])
            left = payment.refundable
            for key, amount in pending:
                if known[key] is not None:
                    left = left - amount
            owed = OrderPayments(self.gateway).owed(order, payment, covered=covered)
            free = left - owed
            if asked > free:
                raise PolicyViolation(
                    f"after-sales case {case.id!r} asks {asked} more to be refunded, but payment "
                    f"{payment.id!r} has {free} left to refund ({payment.captured} captured, "
                    f"{payment.refunded} refunded, {owed} owed to the order's cancellations): "
                    "refunds of all cases and cancellations never exceed what was captured; "
                    "nothing was refunded"
                )
        reason = f"after-sales case {case.id}"
        done: list[TransitionRecord] = []
        for key, amount in pending:
            done.append(
                payment.refund(
                    self.gateway,
                    amount,
                    reason=reason,
                    idempotency_key=key,
                    actor=self.actor,
                    kind=RefundKind.AFTERSALES,
                )
            )
        return tuple(done)

    # --- timers ----------------------------------------------------------------------------------

    def run_due_timers(self, *, limit: int = 100) -> int:
        """Fire the timers of every after-sales case due at ``clock.now()`` (automatic approval,
        closing, refund, receipt; :meth:`~ecservice.aftersales.AfterSalesCase.run_timeouts`)
        and refund what they decided.

        The ids of the due cases are claimed through the store's timer index (as
        :meth:`~ecservice.storage.Repository.due` finds them; the store needs the
        ``"aftersales_case"`` timer of :func:`~ecservice.storage.default_timers`) ``limit`` at
        a time, and each case's steps are stored in a transaction of its own. A case whose
        refund cannot be made (the gateway did not answer or declined) keeps its timers' steps
        and is refunded by a later :meth:`refund`; the others are refunded right after their
        steps are stored (one :meth:`refund` each).

        A case whose documents (or its order's, or its payment's) cannot be read does not stop
        the others: it is logged at ERROR on the ``"ecservice.application"`` logger with its id
        and the :class:`~ecservice.storage.DocumentError`, and once the other cases were
        handled a :class:`~ecservice.storage.DocumentError` listing the unreadable ones is
        raised. It stays due until its document is repaired.

        Returns:
            How many cases had a timer fire.

        Raises:
            ValidationError: ``limit`` is not a whole number from 1 to 10000, or the store
                shows its timers (``store.timers``) and has none for these documents: nothing
                would ever be due.
            PolicyViolation: a refund a timer decided does not fit what is left to refund, or
                its order was not paid by a payment (see :meth:`refund`); the timers' steps
                are stored.
            DocumentError: due cases could not be read (after every other one was handled).
        """
        check_limit(limit)
        now = ensure_utc(self.clock.now(), what="clock.now()")

        def steps(uow: UnitOfWork, case_id: str) -> bool:
            case = uow.cases.get(case_id)
            at = case.next_due_at()
            if at is None or at > now or not case.run_timeouts():
                return False
            uow.cases.save(case)
            return True

        def fire(case_id: str) -> bool:
            if not self._run(functools.partial(steps, case_id=case_id)):
                return False
            # On a lost answer or a decline the case keeps its decision: refund() pays later.
            with contextlib.suppress(GatewayUnavailable, PaymentDeclined):
                self.refund(case_id)
            return True

        require_timer(self.store, "aftersales_case", "after-sales case", "case_next_due")
        return claim_due(self._run, lambda uow: uow.cases, now, fire, limit, "after-sales case")


def _extra_claims(claimed: object) -> dict[str, int]:
    """``claimed`` checked: ``None`` or a mapping of SKUs to whole numbers of units from 0."""
    if claimed is None:
        return {}
    if not isinstance(claimed, Mapping):
        raise ValidationError(
            f"claimed must be a mapping of SKU to units, not {type(claimed).__name__}"
        )
    extra: dict[str, int] = {}
    for sku, units in claimed.items():
        if not isinstance(sku, str) or type(units) is not int or units < 0:
            raise ValidationError(
                f"claimed maps SKUs (text) to whole numbers of units from 0, not "
                f"{sku!r:.40}: {units!r:.40}"
            )
        extra[sku] = units
    return extra
