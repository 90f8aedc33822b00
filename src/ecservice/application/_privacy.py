"""Erasing a buyer's personal data from storage (PIPL art. 47, GDPR art. 17).

:class:`PrivacyService` erases, for each order, the order's personal data
(:meth:`Order.erase_personal_data <ecservice.orders.Order.erase_personal_data>`), the copies of
the erased texts in its payments' free text (refund reasons and history notes that repeat a
cancellation reason, for instance), and the copies in the outbox rows of the order and of its
payments, whether delivered or not; it records the erasure as a
:class:`~ecservice.orders.PersonalDataErased` outbox row. All of it in one unit of work per
order, so that an order is never stored erased while its outbox rows still hold its address.
The buyer's pre-sale consultation sessions are erased the same way, one unit of work per session
(:meth:`ConsultationSession.erase_personal_data
<ecservice.consultation.ConsultationSession.erase_personal_data>`, the session's outbox rows,
and a :class:`~ecservice.orders.PersonalDataErased` row).

What stays: everything that accounts for the money and the goods (see
:class:`~ecservice.orders.ErasurePolicy`). Carts hold no personal data to erase: their lines are
goods, their history notes are written by the library (``"TEA-250 x2"``), the address and remarks
given at checkout go to the order, and ``buyer_id`` is the shop's pseudonymous account key.
Payments hold the instrument's *reference* (a gateway token and at most the last four digits of
a card, never a card number): the shop cannot read a person's data from it, and refunds and
reconciliation need it, so it is kept.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Final, TypeVar, final, overload

import attrs

from ecservice.application._order_payments import payments_of
from ecservice.application._runner import UseCaseRunner, check_clock, check_store
from ecservice.clock import SYSTEM_CLOCK, Clock, ensure_utc
from ecservice.consultation import ConsultationErasure
from ecservice.consultation._privacy import check_erasable
from ecservice.errors import ValidationError
from ecservice.orders import ERASED, ErasurePolicy, PersonalValues
from ecservice.orders._privacy import DEFAULT_BASIS, redact_history
from ecservice.storage import Store, UnitOfWork
from ecservice.storage._repository import event_record
from ecservice.storage._retrying import default_backoff
from ecservice.text import check_text
from ecservice.workflow import Actor

if TYPE_CHECKING:
    from ecservice.payments import Payment

__all__ = ["OrderErasure", "PrivacyService", "scrub_payload"]

#: Payload keys whose values are identifiers, amounts or times, never scrubbed (a SKU or a
#: tracking number that happens to contain an erased text stays what it is).
KEPT_KEYS: Final = frozenset(
    {
        "aggregate_id",
        "amount",
        "at",
        "carrier",
        "currency",
        "id",
        "kind",
        "occurred_at",
        "order_id",
        "order_version",
        "reference",
        "shipment_id",
        "sku",
        "tracking_no",
    }
)


R = TypeVar("R")


def scrub_payload(payload: Any, values: PersonalValues) -> Any:
    """A copy of the JSON value ``payload`` with every string that ``values`` matches replaced
    by :data:`~ecservice.orders.ERASED`; the values of identifiers, amounts and times (keys
    ``aggregate_id``, ``amount``, ``at``, ``carrier``, ``currency``, ``id``, ``kind``,
    ``occurred_at``, ``order_id``, ``order_version``, ``reference``, ``shipment_id``, ``sku``,
    ``tracking_no``) are kept as they are.
    A mapping holding ``recipient`` and ``phone`` (an address) has every part replaced but
    ``country``."""
    if isinstance(payload, str):
        return values.scrub(payload)
    if isinstance(payload, list):
        return [scrub_payload(item, values) for item in payload]
    if isinstance(payload, dict):
        if "recipient" in payload and "phone" in payload:
            return {
                k: (v if k == "country" else ("00000" if k == "phone" else ERASED if v else v))
                for k, v in payload.items()
            }
        return {k: (v if k in KEPT_KEYS else scrub_payload(v, values)) for k, v in payload.items()}
    return payload


@final
@attrs.frozen(slots=True, kw_only=True)
class OrderErasure:
    """What :class:`PrivacyService` did to one order.

    Args:
        order_id: the order's id.
        erased: ``False`` when the order had been erased before (nothing was written).
        parts: which parts of the order were erased (see
            :class:`~ecservice.orders.ErasureResult`).
        payments: the ids of the payments whose free text repeated erased data and was erased.
        outbox_rows: how many outbox rows (of the order and of its payments) were rewritten.
    """

    order_id: str
    erased: bool
    parts: tuple[str, ...] = ()
    payments: tuple[str, ...] = ()
    outbox_rows: int = 0


def _redaction(values: PersonalValues) -> Callable[[str, dict[str, Any]], dict[str, Any]]:
    def redact(_event_type: str, payload: dict[str, Any]) -> dict[str, Any]:
        scrubbed: dict[str, Any] = scrub_payload(payload, values)
        return scrubbed

    return redact


def _ids(given: object, what: str) -> list[str]:
    if isinstance(given, (str, bytes)) or not isinstance(given, Iterable):
        raise ValidationError(f"{what}s must be a list of {what}s, not {type(given).__name__}")
    ids = [check_text(i, what) for i in given]
    if len(set(ids)) != len(ids):
        raise ValidationError(f"{what}s names one twice")
    return ids


def _scrub_payment(payment: Payment, values: PersonalValues) -> bool:
    """Erase the texts ``values`` matches from a payment's refund reasons, failure and history
    notes; amounts, references and states stay. Whether anything changed."""
    changed = bool(redact_history(payment, values))
    reasons = {r.reason for r in payment.refunds if r.reason != ERASED and values.matches(r.reason)}
    if reasons:
        payment.refunds = tuple(
            attrs.evolve(r, reason=ERASED) if r.reason in reasons else r for r in payment.refunds
        )
        # A refund's idempotency fingerprint ends with its reason: erased the same way, a retry
        # that repeats the refund (its reason now read from the erased order) still matches it.
        payment.idempotency = tuple(
            (key, _erased_tail(fingerprint, reasons), version)
            for key, fingerprint, version in payment.idempotency
        )
        changed = True
    if (
        payment.failure is not None
        and payment.failure != ERASED
        and values.matches(payment.failure)
    ):
        payment.failure = ERASED
        changed = True
    return changed


def _erased_tail(fingerprint: str, reasons: set[str]) -> str:
    """``fingerprint`` with a final ``":<reason>"`` of one of ``reasons`` made ``":[erased]"``."""
    for reason in reasons:
        if fingerprint.endswith(":" + reason):
            return fingerprint[: len(fingerprint) - len(reason)] + ERASED
    return fingerprint


@final
class PrivacyService:
    """Erase buyers' personal data from a store, order by order.

    Each order is erased in one unit of work, through
    :func:`~ecservice.storage.run_in_transaction` (retried on transient failures and conflicts):
    the order, the copies of its erased texts in its payments, its outbox rows and its payments'
    ones, and an outbox row recording the erasure (event id ``"order:{id}:{version}:erased"``).
    Erasing is idempotent: an order erased before is left alone and reported with
    ``erased=False``.

    Args:
        store: where the orders are.
        policy: when erasing is allowed (:class:`~ecservice.orders.ErasurePolicy`; the default
            one: once an order is done or cancelled).
        clock: when erasures happen.
        attempts: how many times a unit of work is tried (see
            :func:`~ecservice.storage.run_in_transaction`).
        backoff: seconds to wait before attempt ``n + 1``.
        sleep: how to wait (tests pass a fake).

    Raises:
        ValidationError: a ``store`` without a callable ``unit_of_work`` (a
            :class:`~ecservice.storage.Store` is needed), or a ``clock`` that is not a
            :class:`~ecservice.clock.Clock` (with ``now()``).
        ValidationError: a ``policy`` that is not an :class:`~ecservice.orders.ErasurePolicy`.
    """

    def __init__(
        self,
        store: Store,
        *,
        policy: ErasurePolicy | None = None,
        clock: Clock = SYSTEM_CLOCK,
        attempts: int = 5,
        backoff: Callable[[int], float] = default_backoff,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        check_store(store, "PrivacyService")
        check_clock(clock, "PrivacyService")
        if policy is not None and not isinstance(policy, ErasurePolicy):
            raise ValidationError(f"policy must be an ErasurePolicy, not {type(policy).__name__}")
        self.store = store
        self.policy = ErasurePolicy() if policy is None else policy
        self.clock = clock
        self._run = UseCaseRunner(store, attempts, backoff, sleep)

    @overload
    def erase_buyer(
        self,
        buyer_id: str,
        order_ids: Iterable[str],
        *,
        actor: Actor,
        reason: str,
        basis: str = ...,
        consultation_ids: None = ...,
    ) -> tuple[OrderErasure, ...]: ...

    @overload
    def erase_buyer(
        self,
        buyer_id: str,
        order_ids: Iterable[str],
        *,
        actor: Actor,
        reason: str,
        basis: str = ...,
        consultation_ids: Iterable[str],
    ) -> tuple[OrderErasure | ConsultationErasure, ...]: ...

    def erase_buyer(
        self,
        buyer_id: str,
        order_ids: Iterable[str],
        *,
        actor: Actor,
        reason: str,
        basis: str = DEFAULT_BASIS,
        consultation_ids: Iterable[str] | None = None,
    ) -> tuple[OrderErasure | ConsultationErasure, ...]:
        """Erase the personal data of buyer ``buyer_id`` from the orders ``order_ids`` and the
        consultation sessions ``consultation_ids``.

        The caller names the buyer's orders and sessions (from its own index of the buyer's
        records): a store keeps no index of documents by buyer, and scanning every stored
        session would not scale; a session confirms an order (its ``order.order_id``), so the
        sessions to erase are usually those that confirmed ``order_ids`` plus those that ended
        without an order.

        First every order and session is read and checked (it exists, belongs to ``buyer_id``,
        the policy allows erasing it), so that a refusal normally erases nothing; then each
        order, then each session, is erased in a unit of work of its own (a refusal caused by a
        change in between leaves the ones before it erased; run the call again: erasing is
        idempotent).

        Args:
            buyer_id: whose data (the orders' and sessions' ``buyer_id``).
            order_ids: the buyer's orders (each id once).
            actor: who erases.
            reason: why, e.g. the request's reference (long text; must not repeat erased data).
            basis: the legal basis recorded.
            consultation_ids: the buyer's consultation sessions (each id once); ``None`` (the
                default) for none, and then only :class:`OrderErasure` values are returned.

        Returns:
            One :class:`OrderErasure` per order, in the order given, then one
            :class:`~ecservice.consultation.ConsultationErasure` per session, in the order given.

        Raises:
            AggregateNotFound: an order or a session is not stored.
            ValidationError: an order or a session belongs to another buyer, an id given twice,
                a bad actor, reason or basis.
            PolicyViolation: the policy refuses an order (open, or still to be kept) or a session
                (open, or still to be kept).
        """
        buyer = check_text(buyer_id, "buyer_id")
        if isinstance(order_ids, (str, bytes)) or not isinstance(order_ids, Iterable):
            raise ValidationError(
                f"order_ids must be a list of order ids, not {type(order_ids).__name__}"
            )
        ids = [check_text(i, "order id") for i in order_ids]
        if len(set(ids)) != len(ids):
            raise ValidationError("order_ids names an order twice")
        sessions = [] if consultation_ids is None else _ids(consultation_ids, "consultation id")
        now = ensure_utc(self.clock.now(), what="clock.now()")

        def check(uow: UnitOfWork) -> None:
            for order_id in ids:
                order = uow.orders.get(order_id)
                self._check_buyer(order.buyer_id, buyer, order_id)
                self.policy.check(order, now)
            for session_id in sessions:
                session = uow.consultations.get(session_id)
                self._check_buyer(session.buyer_id, buyer, session_id, "consultation")
                check_erasable(session, self.policy, now)

        self._run(check)
        done: list[OrderErasure | ConsultationErasure] = [
            self.erase_order(order_id, actor=actor, reason=reason, basis=basis, buyer_id=buyer)
            for order_id in ids
        ]
        done.extend(
            self.erase_consultation(
                session_id, actor=actor, reason=reason, basis=basis, buyer_id=buyer
            )
            for session_id in sessions
        )
        return tuple(done)

    @staticmethod
    def _check_buyer(found: str, wanted: str | None, id: str, kind: str = "order") -> None:
        if wanted is not None and found != wanted:
            raise ValidationError(
                f"{kind} {id!r} belongs to another buyer than {wanted!r}: its data is not "
                "erased on this request"
            )

    def erase_consultation(
        self,
        session_id: str,
        *,
        actor: Actor,
        reason: str,
        basis: str = DEFAULT_BASIS,
        buyer_id: str | None = None,
    ) -> ConsultationErasure:
        """Erase the buyer's personal data from one consultation session and its outbox rows
        (the confirmed order's address in ``ConsultationOrderConfirmed`` rows, remarks in
        ``HandedOver`` rows...), in one unit of work, and record the erasure as a
        :class:`~ecservice.orders.PersonalDataErased` outbox row (event id
        ``"consultation:{id}:{version}:erased"``). Idempotent: a session erased before is left
        alone and reported with ``erased=False``.

        Args:
            session_id: the session.
            actor: who erases.
            reason: why (long text; must not repeat erased data).
            basis: the legal basis recorded.
            buyer_id: when given, the session must belong to this buyer.

        Raises:
            AggregateNotFound: no such session.
            ValidationError: the session belongs to another buyer; a bad actor, reason or
                basis.
            PolicyViolation: the policy refuses (the session is open, or must still be kept).
        """
        policy = self.policy

        def work(uow: UnitOfWork) -> ConsultationErasure:
            session = uow.consultations.get(session_id)
            self._check_buyer(session.buyer_id, buyer_id, session_id, "consultation")
            result = session.erase_personal_data(
                actor=actor, reason=reason, basis=basis, policy=policy, at=self.clock.now()
            )
            if not result.erased or result.event is None:
                return ConsultationErasure(session_id=session_id, erased=False)
            # At the same version: an ended session never changes again (see
            # ConsultationSession.erase_personal_data).
            uow.consultations.save(session)
            rows = uow.redact_outbox("consultation", session_id, _redaction(result.values))
            event = result.event
            uow.append_outbox(
                [
                    event_record(
                        event,
                        event_id=f"consultation:{session_id}:{session.version}:erased",
                        aggregate_type="consultation",
                    )
                ]
            )
            return ConsultationErasure(
                session_id=session_id, erased=True, parts=result.parts, outbox_rows=rows
            )

        return self._run(work)

    def erase_order(
        self,
        order_id: str,
        *,
        actor: Actor,
        reason: str,
        basis: str = DEFAULT_BASIS,
        buyer_id: str | None = None,
    ) -> OrderErasure:
        """Erase the buyer's personal data from one order, its payments and their outbox rows,
        in one unit of work.

        Args:
            order_id: the order.
            actor: who erases.
            reason: why (long text; must not repeat erased data).
            basis: the legal basis recorded.
            buyer_id: when given, the order must belong to this buyer.

        Raises:
            AggregateNotFound: no such order.
            ValidationError: the order belongs to another buyer; a bad actor, reason or basis.
            PolicyViolation: the policy refuses (the order is open, or must still be kept).
        """
        policy = self.policy

        def work(uow: UnitOfWork) -> OrderErasure:
            order = uow.orders.get(order_id)
            self._check_buyer(order.buyer_id, buyer_id, order_id)
            result = order.erase_personal_data(
                actor=actor, reason=reason, basis=basis, policy=policy, at=self.clock.now()
            )
            if not result.erased or result.event is None:
                return OrderErasure(order_id=order_id, erased=False)
            values = result.values
            uow.orders.save(order)  # at the same version: see Order.erase_personal_data
            redact = _redaction(values)
            rows = uow.redact_outbox("order", order_id, redact)
            scrubbed_payments: list[str] = []
            for payment in payments_of(uow, order_id):
                if _scrub_payment(payment, values):
                    uow.payments.save(payment)
                    scrubbed_payments.append(payment.id)
                rows += uow.redact_outbox("payment", payment.id, redact)
            event = result.event
            uow.append_outbox(
                [
                    event_record(
                        event,
                        event_id=f"order:{order_id}:{order.version}:erased",
                        aggregate_type="order",
                    )
                ]
            )
            return OrderErasure(
                order_id=order_id,
                erased=True,
                parts=result.parts,
                payments=tuple(scrubbed_payments),
                outbox_rows=rows,
            )

        return self._run(work)
