"""The order use cases: place an order from a cart (screened by the shop's exception rules),
pay it, settle its refunds, change it, hold, release or cancel it, and run the automatic
confirmation of receipt.

Every use case is one unit of work run through :func:`~ecservice.storage.run_in_transaction`:
it loads what it needs, calls the domain, saves what changed and commits once. A transient
storage failure or a concurrent change rolls the unit of work back and runs the use case again
from the stored state; so does a crash, when the caller runs it again. Gateway calls inside a
use case carry idempotency keys derived from the stored state (see
:class:`~ecservice.payments.OrderPayments`), so a use case run again after its transaction was
lost asks the gateway the same questions and gets the same answers: money moves once.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any, Final, TypeVar, final

from ecservice.application._claims import refunded_for_cancelled
from ecservice.application._order_payments import (
    CAPTURED,
    ENDED_ATTEMPT,
    MAX_ATTEMPTS,
    PaymentOutcome,
    outcome_of,
    payment_id,
    payments_of,
)
from ecservice.application._runner import UseCaseRunner, check_clock, check_store
from ecservice.application._stored import check_limit, claim_due
from ecservice.application._timer_policy import agreed, require_timer, store_timer
from ecservice.clock import SYSTEM_CLOCK, Clock, ensure_utc
from ecservice.errors import PolicyViolation, ValidationError
from ecservice.orders import (
    HOLD_DETAIL_MAX,
    Address,
    AutoConfirmPolicy,
    CartStatus,
    ExceptionContext,
    ExceptionFinding,
    ExceptionPolicy,
    HoldReason,
    Order,
    OrderStatus,
    ShippingRate,
    evaluate_exceptions,
)
from ecservice.payments import (
    Instrument,
    OrderPayments,
    PaymentGateway,
)
from ecservice.storage import Store, UnitOfWork, default_backoff
from ecservice.storage._timers import OrderTimer
from ecservice.workflow import Actor, TransitionRecord

__all__ = ["OrderService", "PaymentOutcome", "payment_id", "payments_of"]

R = TypeVar("R")

#: Who holds the orders the shop's exception rules flag.
RULES_ACTOR: Final = Actor.system("exception-rules")


def _timer_policy(timer: object) -> AutoConfirmPolicy | None:
    """The policy an order timer was made with (:func:`~ecservice.storage.order_next_due`),
    or ``None`` for a timer of the shop's own."""
    return timer.policy if isinstance(timer, OrderTimer) else None


def _hold_for(order: Order[Any], findings: tuple[ExceptionFinding, ...]) -> None:
    """Hold ``order`` for the first finding's reason, with every finding in the detail."""
    if len(findings) == 1:
        detail = findings[0].detail
    else:
        detail = "; ".join(str(f) for f in findings)
        if len(detail) > HOLD_DETAIL_MAX:
            detail = detail[: HOLD_DETAIL_MAX - 1] + "…"
    order.hold(reason=findings[0].reason, detail=detail, actor=RULES_ACTOR)


@final
class OrderService:
    """The order use cases over one store, one gateway and one clock.

    >>> from ecservice.payments import InMemoryGateway
    >>> from ecservice.storage import MemoryStore
    >>> service = OrderService(MemoryStore(), InMemoryGateway())
    >>> service.run_due_timers()
    0

    Each method is one transaction (:meth:`pay` and :meth:`cancel` say where they are more),
    retried through :func:`~ecservice.storage.run_in_transaction` on transient storage errors
    and on :class:`~ecservice.errors.ConcurrencyConflict` (the work is done again from the
    stored state). Running any of them again after a crash, before or after its commit,
    converges to the state one run reaches, and never moves money twice.

    Args:
        store: where orders, carts and payments are stored (a
            :class:`~ecservice.storage.MemoryStore` or :class:`~ecservice.storage.sql.SqlStore`).
            Its ``"order"`` timer (the store's ``timers``) decides when an order is due; when
            that timer carries its policy (it was made by
            :func:`~ecservice.storage.order_next_due`, as the default timers' is), the
            service confirms under that policy. A timer that is the shop's own function
            carries none: then the shop must keep it in agreement with ``auto_confirm``, or
            :meth:`run_due_timers` confirms nothing before the later of the two instants.
        gateway: the payment gateway (:class:`~ecservice.payments.OrderPayments` calls it).
        clock: the time :meth:`run_due_timers` runs at.
        auto_confirm: the shop's automatic-confirmation policy
            (:class:`~ecservice.orders.AutoConfirmPolicy`). ``None`` (the default) takes the
            policy of the store's order timer, or, without one to read, the default policy
            (10 days in Asia/Shanghai, Taobao's rule for express parcels). Given, it must equal
            the policy of the store's order timer when that timer carries one.
        exceptions: the shop's exception rules (异常订单), which :meth:`place_order` and
            :meth:`screen` evaluate; ``None`` (the default) for no rules.
        actor: who the payment and order histories record for payment steps (default
            ``Actor.system("payments")``).
        attempts: how many times a use case runs before a transient failure is raised.
        backoff: seconds to wait before the next attempt (see
            :func:`~ecservice.storage.default_backoff`).
        sleep: how to wait (``time.sleep``).

    Raises:
        ValidationError: a ``store`` without a callable ``unit_of_work`` (a
            :class:`~ecservice.storage.Store` is needed), or a ``clock`` that is not a
            :class:`~ecservice.clock.Clock` (with ``now()``).
        ValidationError: a gateway that is not a :class:`~ecservice.payments.PaymentGateway`,
            a policy that is not an :class:`~ecservice.orders.AutoConfirmPolicy`, exception
            rules that are not an :class:`~ecservice.orders.ExceptionPolicy`.
        ValidationError: ``auto_confirm`` differs from the policy of the store's order timer
            (the message names both; build the store with
            ``timers={**default_timers(), "order": order_next_due(auto_confirm)}``).
    """

    def __init__(
        self,
        store: Store,
        gateway: PaymentGateway,
        *,
        clock: Clock = SYSTEM_CLOCK,
        auto_confirm: AutoConfirmPolicy | None = None,
        exceptions: ExceptionPolicy | None = None,
        actor: Actor | None = None,
        attempts: int = 5,
        backoff: Callable[[int], float] = default_backoff,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        check_store(store, "OrderService")
        check_clock(clock, "OrderService")
        if auto_confirm is not None and not isinstance(auto_confirm, AutoConfirmPolicy):
            raise ValidationError(
                f"auto_confirm must be an AutoConfirmPolicy, not {type(auto_confirm).__name__}"
            )
        if exceptions is not None and not isinstance(exceptions, ExceptionPolicy):
            raise ValidationError(
                f"exceptions must be an ExceptionPolicy or None, not {type(exceptions).__name__}"
            )
        policy = agreed(
            auto_confirm,
            _timer_policy(store_timer(store, "order")),
            service="OrderService",
            argument="auto_confirm",
            document_type="order",
            builder="order_next_due(auto_confirm)",
        )
        self.store = store
        self.exceptions = exceptions
        self.payments = OrderPayments(gateway, actor=actor)
        self.clock = clock
        self.auto_confirm = AutoConfirmPolicy() if policy is None else policy
        self._run = UseCaseRunner(store, attempts, backoff, sleep)

    # --- placing ---------------------------------------------------------------------------------

    def place_order(
        self,
        cart_id: str,
        order_id: str,
        *,
        address: Address,
        shipping: ShippingRate,
        actor: Actor,
        remarks: str = "",
        context: ExceptionContext | None = None,
    ) -> Order[Any]:
        """Place order ``order_id`` from the stored cart ``cart_id`` (checking it out first if
        the buyer is still shopping); the cart and the new order are saved together.

        With exception rules (the ``exceptions`` of the service), the new order is screened
        (:func:`~ecservice.orders.evaluate_exceptions`) and, when a rule flags it, held in the
        same transaction (异常订单) by ``Actor.system("exception-rules")``, for the first
        finding's reason with every finding in the detail.

        Run again after the cart was ordered as ``order_id``, it returns the stored order.

        Args:
            cart_id: the stored cart.
            order_id: the new order's id.
            address: where to ship.
            shipping: the shipping rate.
            actor: who places it (usually the buyer).
            remarks: the buyer's remarks (买家留言).
            context: what the exception rules need besides the order (catalogue prices, the
                shop's recent orders, its address and carrier checks); ``None``: the rules
                that need it pass.

        Raises:
            AggregateNotFound: no such cart.
            PolicyViolation: the cart was already ordered as another order, or ``order_id``
                is taken by an order placed from another cart (nothing is changed).
            GuardRejected: the cart is empty (it cannot be checked out).
            ValidationError: an unacceptable argument (see
                :meth:`~ecservice.orders.Cart.place_order`), a ``context`` that is not an
                :class:`~ecservice.orders.ExceptionContext`, or a checker answering something
                else than text or ``None``.
            CurrencyMismatch: a catalogue price in another currency than the order's.
        """
        if context is not None and not isinstance(context, ExceptionContext):
            raise ValidationError(
                f"context must be an ExceptionContext or None, not {type(context).__name__}"
            )
        rules = self.exceptions

        def work(uow: UnitOfWork) -> Order[Any]:
            cart = uow.carts.get(cart_id)
            if cart.status is CartStatus.ORDERED:
                if cart.order_id != order_id:
                    raise PolicyViolation(
                        f"cart {cart_id!r} was already ordered as order {cart.order_id!r}"
                    )
                return uow.orders.get(order_id)
            if uow.orders.find(order_id) is not None:
                # Adding it would conflict on every retry: the id is taken, not contended.
                raise PolicyViolation(
                    f"order id {order_id!r} is already used by another order; cart "
                    f"{cart_id!r} needs an id of its own"
                )
            if cart.status is CartStatus.SHOPPING:
                cart.checkout(actor=actor)
            order = cart.place_order(
                order_id, address=address, shipping=shipping, actor=actor, remarks=remarks
            )
            if rules is not None:
                findings = evaluate_exceptions(order, rules, context)
                if findings:
                    _hold_for(order, findings)
            uow.carts.save(cart)
            uow.orders.add(order)
            return order

        return self._run(work)

    # --- paying ----------------------------------------------------------------------------------

    def pay(self, order_id: str, instrument: Instrument, *, attempt: int = 1) -> PaymentOutcome:
        """Pay the order with ``instrument`` as attempt ``attempt``: authorise and capture its
        amount due, confirm it.

        A held order (:meth:`hold`) that was awaiting confirmation is paid as it would have
        been, but stays held: it is not confirmed (nor shipped) until staff :meth:`release`
        it, which confirms it as the payment would have. Cancelling it instead refunds the
        payment once (:meth:`cancel`).

        Two transactions: the first stores the attempt's payment (pending) before any gateway
        call, so that :meth:`settle` finds it whatever becomes of the gateway's answers; the
        second calls the gateway and saves the order and the payment together.

        The attempt's payment (``{order_id}-PAY`` for attempt 1, ``{order_id}-PAY-{attempt}``
        after) is opened with ``instrument`` if it is not stored yet, or goes on from where it
        stands: the gateway replays what it already did under its keys, and a declined attempt
        answers ``FAILED`` again without calling the gateway. After a decline the buyer pays
        again with ``attempt`` one higher (:attr:`PaymentOutcome.next_attempt`). An order
        already paid is answered with its paying payment, without calling the gateway.

        Args:
            order_id: the order.
            instrument: what pays; used only to open the attempt (a stored attempt keeps its
                own instrument).
            attempt: which attempt this is, from 1 to 999; attempts are made one after
                another, so every earlier one must be stored.

        Returns:
            The outcome: ``paid``, or the payment ``FAILED`` (declined).

        Raises:
            AggregateNotFound: no such order.
            ValidationError: an earlier attempt is not stored, or ``attempt`` is out of range.
            PolicyViolation: the previous attempt has not failed nor been voided (it may still
                take the money), so this one cannot start.
            PolicyViolation: the order does not await payment (cancelled, nothing due), or the
                attempt's payment was voided or superseded (see
                :meth:`~ecservice.payments.OrderPayments.pay`).
            GatewayUnavailable: the gateway's answer was lost; the payment stays as stored.
                Run it again (the same keys are used), or cancel the order and :meth:`settle`.
            PaymentDeclined: the gateway refused the capture; the payment stays as stored.
            OutcomeUnknown: see :meth:`~ecservice.payments.OrderPayments.recover`.
        """
        if type(attempt) is not int or not 1 <= attempt <= MAX_ATTEMPTS:
            raise ValidationError(
                f"attempt must be an int from 1 to {MAX_ATTEMPTS}, not {attempt!r:.40}"
            )
        shop = self.payments
        pid = payment_id(order_id, attempt)

        def open_attempt(uow: UnitOfWork) -> PaymentOutcome | None:
            order = uow.orders.get(order_id)
            paying = shop.paid_by(order)
            if paying is not None:
                return outcome_of(order, uow.payments.get(paying))
            if uow.payments.find(pid) is None:
                made = payments_of(uow, order_id)
                if len(made) < attempt - 1:
                    raise ValidationError(
                        f"order {order_id!r} has {len(made)} payment attempt"
                        f"{'' if len(made) == 1 else 's'}: the next one is attempt "
                        f"{len(made) + 1}, not {attempt}"
                    )
                last = made[-1] if made else None
                if last is not None and last.status not in ENDED_ATTEMPT:
                    # The previous attempt may still take the money (an answer was lost):
                    # a second one could charge the buyer twice.
                    raise PolicyViolation(
                        f"attempt {attempt} of order {order_id!r} cannot start: attempt "
                        f"{len(made)} ({last.id!r}) is {last.status.name}, not failed or "
                        "voided; run pay again for that attempt (the same keys are used), or "
                        "cancel the order and settle"
                    )
                uow.payments.add(shop.open(order, instrument, attempt=attempt))
            return None

        def pay(uow: UnitOfWork) -> PaymentOutcome:
            order = uow.orders.get(order_id)
            paying = shop.paid_by(order)
            if paying is not None:
                return outcome_of(order, uow.payments.get(paying))
            payment = uow.payments.get(pid)
            order_version, payment_version = order.version, payment.version
            # A held order is paid but stays held: its release confirms it.
            shop.pay(order, payment)
            if payment.version != payment_version:
                uow.payments.save(payment)
            if order.version != order_version:
                uow.orders.save(order)
            return outcome_of(order, payment)

        done = self._run(open_attempt)
        return done if done is not None else self._run(pay)

    # --- reconciling -----------------------------------------------------------------------------

    def settle(self, order_id: str) -> tuple[TransitionRecord, ...]:
        """Reconcile every payment of the order with it
        (:meth:`~ecservice.payments.OrderPayments.settle`): refund what its cancellations
        freed, void what is held for nothing, give back what a superseded attempt took. Units
        an after-sales case already refunded and the order then cancelled are not refunded
        again (:func:`~ecservice.application.refunded_for_cancelled`). The
        payments that changed are saved in one transaction; the order is not changed.

        Returns:
            The payment records appended (empty when nothing was owed).

        Raises:
            AggregateNotFound: no such order.
            GatewayUnavailable, PaymentDeclined: the gateway did not answer or refused; nothing
                was stored. Run it again later: the same keys are used.
            OutcomeUnknown: see :meth:`~ecservice.payments.OrderPayments.recover`.
        """
        shop = self.payments

        def work(uow: UnitOfWork) -> tuple[TransitionRecord, ...]:
            order = uow.orders.get(order_id)
            payments = payments_of(uow, order_id)
            covered = refunded_for_cancelled(order, uow.cases.for_order(order_id), payments)
            done: list[TransitionRecord] = []
            for payment in payments:
                records = shop.settle(order, payment, covered=covered)
                if records:
                    uow.payments.save(payment)
                    done.extend(records)
            return tuple(done)

        return self._run(work)

    # --- changing --------------------------------------------------------------------------------

    def change(self, order_id: str, change: Callable[[Order[Any]], R]) -> R:
        """Load the order, apply ``change`` to it (a domain command: ``lambda o: o.ship(...)``),
        save it if it changed, commit; returns what ``change`` returned.

        ``change`` must only change the order it is given: it may run more than once (after a
        transient failure or a concurrent change, on the freshly loaded order).

        Raises:
            ValidationError: ``change`` is not callable.
            AggregateNotFound: no such order.
            EcServiceError: whatever ``change`` raised (nothing is stored).
        """

        if not callable(change):
            raise ValidationError(
                f"change must be a callable taking the order, not {type(change).__name__}"
            )

        def work(uow: UnitOfWork) -> R:
            order = uow.orders.get(order_id)
            version = order.version
            result = change(order)
            if order.version != version:
                uow.orders.save(order)
            return result

        return self._run(work)

    def cancel(self, order_id: str, *, reason: str, actor: Actor) -> tuple[TransitionRecord, ...]:
        """Cancel the order, then :meth:`settle` it (two transactions: the cancellation is stored
        even when the gateway does not answer; settling again finishes the refund).

        Run again on a cancelled order, it only settles. A held order is cancelled by staff
        only; what its payment took is refunded once, by settling.

        Returns:
            The payment records settling appended.

        Raises:
            AggregateNotFound: no such order.
            GuardRejected: a parcel has already shipped (cancel the open lines instead), or
                the order is held and ``actor`` is not staff.
            GatewayUnavailable, PaymentDeclined: the refund or void did not go through; the
                order is cancelled: :meth:`settle` again later.
        """

        def cancel(order: Order[Any]) -> None:
            if order.status is not OrderStatus.CANCELLED:
                order.cancel(reason=reason, actor=actor)

        self.change(order_id, cancel)
        return self.settle(order_id)

    # --- exceptions (异常订单) -------------------------------------------------------------------

    def screen(
        self, order_id: str, *, context: ExceptionContext | None = None
    ) -> tuple[ExceptionFinding, ...]:
        """Screen a stored order with the shop's exception rules later than at placement (its
        remarks or address changed, the catalogue did, more orders came to its address), and
        hold it when a rule flags it and it can be held (awaiting confirmation, processing or
        out of stock, not already held); one transaction.

        Returns:
            The findings (empty for a clean order, and when the service has no rules).

        Raises:
            AggregateNotFound: no such order.
            ValidationError: a ``context`` that is not an
                :class:`~ecservice.orders.ExceptionContext`, or a checker answering something
                else than text or ``None``.
            CurrencyMismatch: a catalogue price in another currency than the order's.
        """
        if context is not None and not isinstance(context, ExceptionContext):
            raise ValidationError(
                f"context must be an ExceptionContext or None, not {type(context).__name__}"
            )
        rules = self.exceptions
        if rules is None:
            return ()

        def screen(order: Order[Any]) -> tuple[ExceptionFinding, ...]:
            findings = evaluate_exceptions(order, rules, context)
            if findings and "hold" in order.allowed_triggers():
                _hold_for(order, findings)
            return findings

        return self.change(order_id, screen)

    def hold(
        self, order_id: str, *, reason: HoldReason, detail: str, actor: Actor
    ) -> TransitionRecord:
        """Hold the order by hand (:meth:`Order.hold <ecservice.orders.Order.hold>`); one
        transaction.

        Raises:
            AggregateNotFound: no such order.
            InvalidTransition: the order cannot be held now (in transit, done, cancelled or
                already held).
            GuardRejected: the actor is not staff (nor the system).
            ValidationError: a bad reason, detail or actor.
        """
        return self.change(
            order_id, lambda order: order.hold(reason=reason, detail=detail, actor=actor)
        )

    def release(self, order_id: str, *, actor: Actor, note: str = "") -> TransitionRecord:
        """Release a held order (:meth:`Order.release <ecservice.orders.Order.release>`): it
        returns to the state it was held from. An order held while awaiting confirmation whose
        payment was captured meanwhile (:meth:`pay`) is then confirmed by that payment, as
        paying would have done, in the same transaction (no gateway call: the money is taken).

        Returns:
            The ``release`` record.

        Raises:
            AggregateNotFound: no such order.
            InvalidTransition: the order is not held.
            GuardRejected: the actor is not staff.
            ValidationError: a bad note or actor.
        """
        shop = self.payments

        def work(uow: UnitOfWork) -> TransitionRecord:
            order = uow.orders.get(order_id)
            record = order.release(actor=actor, note=note)
            if order.status is OrderStatus.PENDING_CONFIRMATION:
                made = payments_of(uow, order_id)
                last = made[-1] if made else None
                if last is not None and last.status in CAPTURED:
                    shop.pay(order, last)  # captured: confirms the order, calls no gateway
            uow.orders.save(order)
            return record

        return self._run(work)

    # --- timers ----------------------------------------------------------------------------------

    def run_due_timers(self, *, limit: int = 100) -> int:
        """Confirm receipt automatically (自动确认收货) of every parcel whose time has come under
        the shop's ``auto_confirm`` policy, at ``clock.now()``.

        The ids of the due orders are claimed through the store's timer index (as
        :meth:`~ecservice.storage.Repository.due` finds them) ``limit`` at a time, and each
        order is then handled in a unit of work of its own. An order the store finds due but
        the policy does not (a shop's own timer that disagrees with the policy) is left alone.

        An order whose stored document cannot be read does not stop the others: it is logged
        at ERROR on the ``"ecservice.application"`` logger (its id and the
        :class:`~ecservice.storage.DocumentError`), the other due orders are confirmed and
        committed, and then a :class:`~ecservice.storage.DocumentError` listing the unreadable
        ones is raised. It stays due: every run reports it until the document is repaired.

        Returns:
            How many orders were confirmed.

        Raises:
            ValidationError: ``limit`` is not a whole number from 1 to 10000, or the store
                shows its timers (``store.timers``) and has none for these documents: nothing
                would ever be due.
            DocumentError: due orders could not be read (after every other one was handled).
        """
        check_limit(limit)
        now = ensure_utc(self.clock.now(), what="clock.now()")
        policy = self.auto_confirm

        def confirm(uow: UnitOfWork, order_id: str) -> bool:
            order = uow.orders.get(order_id)
            at = order.auto_confirm_due_at(policy)
            if at is None or at > now:
                return False
            order.auto_confirm(policy)
            uow.orders.save(order)
            return True

        def fire(order_id: str) -> bool:
            return self._run(functools.partial(confirm, order_id=order_id))

        require_timer(self.store, "order", "order", "order_next_due(auto_confirm)")
        return claim_due(self._run, lambda uow: uow.orders, now, fire, limit, "order")
