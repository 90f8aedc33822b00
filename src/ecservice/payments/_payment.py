"""The payment of an order: a workflow over a gateway, with idempotency keys."""

from __future__ import annotations

import attrs

from ecservice._shown import shown
from ecservice.errors import (
    IdempotencyConflict,
    InsufficientFunds,
    InvalidAmount,
    ValidationError,
)
from ecservice.money import Money, positive
from ecservice.payments._gateway import GatewayResponse, Instrument, PaymentGateway
from ecservice.payments._payment_events import (
    GatewayAnswerMismatch,
    PaymentDeclined,
    PaymentStatus,
    RefundKind,
    RefundRecord,
)
from ecservice.payments._payment_loading import (
    as_idempotency,
    as_refunds,
    check_history,
    check_idempotency,
    check_money,
    check_references,
)
from ecservice.payments._payment_workflow import PAYMENT_WORKFLOW, failure_text
from ecservice.text import LONG_TEXT_MAX, check_key, check_optional_text, check_text, text
from ecservice.workflow import Actor, Aggregate, TransitionRecord, bind_workflow

__all__ = ["Payment"]


@attrs.define(slots=True, kw_only=True, on_setattr=attrs.setters.NO_OP)
class Payment(Aggregate[PaymentStatus]):
    """The payment of one order with one instrument, through a :class:`PaymentGateway`.

    Each trigger method takes the gateway and an ``idempotency_key``, which it passes on to the
    gateway. Calling again with a key this payment already recorded, for the same request,
    returns the first call's history record without touching the gateway; the same key with a
    different request raises :class:`IdempotencyConflict`. When the gateway acted but its answer
    was lost (it raised, e.g. :class:`~ecservice.errors.GatewayUnavailable` or
    :class:`TimeoutError`), the payment records nothing; the retry with the same key gets the
    gateway's stored answer and records it, so money moves once. Two copies of one payment (two
    request handlers that loaded the same data) calling with the same key likewise move money
    once and record the same outcome. The key is sent to the gateway as it is, so it must be
    unique per gateway: the library's own keys start with the payment id.

    The gateway's answer is checked: an approved answer that names an ``amount`` (or currency)
    other than the request's raises :class:`GatewayAnswerMismatch` and records nothing.

    Refunds never exceed what was captured, and go back through the capture, so to the
    instrument that paid. Each refund has a :class:`RefundKind`: ``SETTLEMENT`` for the ones
    :meth:`OrderPayments.settle` makes, ``MANUAL`` (the default) for any other.

    **Loading.** The constructor checks what storage hands it (raising
    :class:`~ecservice.errors.ValidationError` or a subclass, e.g.
    :class:`~ecservice.errors.InvalidAmount`, :class:`~ecservice.errors.CurrencyMismatch`): the
    types of every field; ``authorization`` and ``authorized`` set exactly from ``AUTHORIZED``
    on, with ``authorized`` at most ``amount``; ``captured`` and ``capture_reference`` set
    exactly in the captured states, with ``captured`` at most ``authorized``; refunds in the
    payment's currency, none before capture, adding up to less than ``captured`` when
    ``PARTIALLY_REFUNDED`` and to exactly ``captured`` when ``REFUNDED``;
    ``failure`` set exactly when ``FAILED``; idempotency records ``(key, fingerprint, version)``
    with distinct keys and versions of the history; and the history agrees with the data: one
    approved ``authorize`` record exactly when ``authorization`` is set, one ``capture`` record
    exactly when ``captured`` is set, one ``refund`` record per refund. Text fields follow
    :mod:`ecservice.text`.

    **Concurrency.** One writer per payment object; the gateway's keys make copies safe.

    Args:
        id: the payment's identifier (short text).
        version: how many transitions succeeded; 0 for a new one.
        history: every transition, oldest first (``version`` records).
        clock: where the payment reads the time; the system clock by default.
        status: the payment's state; ``PaymentStatus.PENDING`` for a new payment.
        order_id: the id of the order it pays (short text).
        amount: what the order owes, a positive :class:`~ecservice.money.Money`; its currency
            is the payment's.
        instrument: what pays.
        authorization: the gateway's reference for the authorisation; set from ``AUTHORIZED``
            on (short text).
        authorized: what the gateway reserved (at most ``amount``); set from ``AUTHORIZED`` on.
        capture_reference: the gateway's reference for the capture; set in the captured states
            (``CAPTURED``, ``PARTIALLY_REFUNDED``, ``REFUNDED``).
        captured: what was captured (at most ``authorized``); set in the captured states.
        refunds: the refunds so far, oldest first (a list, as JSON gives it, becomes a tuple).
        failure: the gateway's decline message; set exactly when ``FAILED`` (long text).
        idempotency: the idempotency records ``(key, fingerprint, version)``: the key a trigger
            was called with, the request it stands for, and the payment's version after the
            call (lists become tuples).
    """

    status: PaymentStatus = PaymentStatus.PENDING
    order_id: str = attrs.field(validator=text("order_id"))
    amount: Money
    instrument: Instrument
    authorization: str | None = None
    #: What the gateway reserved (at most ``amount``); set from ``AUTHORIZED`` on.
    authorized: Money | None = None
    capture_reference: str | None = None
    captured: Money | None = None
    refunds: tuple[RefundRecord, ...] = attrs.field(default=(), converter=as_refunds)
    failure: str | None = None
    idempotency: tuple[tuple[str, str, int], ...] = attrs.field(
        default=(), converter=as_idempotency
    )

    def __attrs_post_init__(self) -> None:
        status = self.status
        if not isinstance(status, PaymentStatus):
            raise ValidationError(
                f"{self._subject()}: status must be a PaymentStatus, not {shown(status)}"
            )
        positive(self.amount, "a payment's amount")
        if not isinstance(self.instrument, Instrument):
            raise ValidationError(
                f"{self._subject()}: instrument must be an Instrument, "
                f"not {type(self.instrument).__name__}"
            )
        check_references(self, status)
        check_money(self, status)
        check_idempotency(self)
        check_history(self)

    # --- views ---------------------------------------------------------------------------------

    @property
    def refunded(self) -> Money:
        """Everything refunded so far."""
        total = Money.zero(self.amount.currency)
        for r in self.refunds:
            total = total + r.amount
        return total

    @property
    def refundable(self) -> Money:
        """What can still be refunded (captured minus refunded)."""
        if self.captured is None:
            return Money.zero(self.amount.currency)
        return self.captured - self.refunded

    def refunded_of(self, kind: RefundKind) -> Money:
        """Everything refunded so far with refunds of ``kind``."""
        total = Money.zero(self.amount.currency)
        for r in self.refunds:
            if r.kind is kind:
                total = total + r.amount
        return total

    @property
    def net(self) -> Money:
        """What the merchant keeps (captured minus refunded)."""
        return self.refundable

    # --- idempotency ---------------------------------------------------------------------------

    def _replay(self, key: str, fingerprint: str) -> TransitionRecord | None:
        check_key(key)
        for k, f, version in self.idempotency:
            if k == key:
                if f != fingerprint:
                    raise IdempotencyConflict(
                        f"idempotency key {key!r} of payment {self.id!r} was used for "
                        f"{f!r} (recorded at version {version}); this request is "
                        f"{fingerprint!r}: a retry must repeat that request, and only a new "
                        "request may take a new key"
                    )
                return self.history[version - 1]
        return None

    def _call_checks(self, gateway: object, actor: object, note: object) -> str:
        """Check what every trigger takes before anything is asked of the gateway."""
        if not isinstance(gateway, PaymentGateway):
            raise ValidationError(
                f"a payment needs a PaymentGateway (authorize, capture, void, refund), "
                f"not {type(gateway).__name__}"
            )
        if not isinstance(actor, Actor):
            raise ValidationError(f"actor must be an Actor, not {type(actor).__name__}")
        return check_optional_text(note, "note")

    def _capture_amount(self, amount: object) -> Money:
        limit = self.authorized or self.amount
        take = limit if amount is None else positive(amount, "a capture")
        if take.currency != limit.currency or take > limit:
            raise InvalidAmount(f"cannot capture {take}: the authorisation is for {limit}")
        return take

    def _authorize_amount(self, amount: object) -> Money:
        take = self.amount if amount is None else positive(amount, "an authorisation")
        if take.currency != self.amount.currency or take > self.amount:
            raise InvalidAmount(
                f"cannot authorise {take} for payment {self.id!r}: at most its amount {self.amount}"
            )
        return take

    @staticmethod
    def _refund_fingerprint(take: Money, why: str, kind: RefundKind) -> str:
        if kind is RefundKind.MANUAL:
            return f"refund:{take}:{why}"
        return f"refund:{kind.value}:{take}:{why}"

    @staticmethod
    def _check_kind(kind: object) -> RefundKind:
        if not isinstance(kind, RefundKind):
            raise ValidationError(
                "a refund's kind must be a RefundKind (SETTLEMENT, MANUAL, AFTERSALES), not "
                f"{shown(kind)}"
            )
        return kind

    def _check_unreserved(self, key: str) -> None:
        """Refuse a caller's refund key in the namespace :class:`OrderPayments` keeps for its own
        (``{payment.id}:``), where it would take the place of a settlement refund."""
        if key.startswith(f"{self.id}:"):
            raise ValidationError(
                f"idempotency key {key!r} is in the namespace {self.id + ':'!r} that "
                f"OrderPayments reserves for its own requests of payment {self.id!r}; give a "
                "refund by hand a key of its own, outside that prefix (e.g. the refund ticket "
                "number)"
            )

    def _check_refundable(self, take: Money) -> None:
        if take.currency != self.amount.currency or take > self.refundable:
            raise InsufficientFunds(
                f"cannot refund {take} of payment {self.id!r}: only {self.refundable} of the "
                f"{self.captured} captured is left to refund"
            )

    # --- what can() checks (the trigger methods' argument checks, without the gateway) -------

    def _prepare_checks(
        self, actor: object, gateway: object, key: object, note: object, extra: dict[str, object]
    ) -> None:
        if extra:
            raise ValidationError(f"unexpected argument(s): {', '.join(sorted(extra))}")
        if gateway is not None:
            self._call_checks(gateway, actor, note)
        elif not isinstance(actor, Actor):
            raise ValidationError(f"actor must be an Actor, not {type(actor).__name__}")
        check_optional_text(note, "note")
        if key is not None:
            check_key(key)

    def _prepare_authorize(
        self,
        *,
        actor: Actor,
        gateway: object = None,
        amount: object = None,
        idempotency_key: object = None,
        note: object = "",
        **extra: object,
    ) -> dict[str, object]:
        self._prepare_checks(actor, gateway, idempotency_key, note, extra)
        take = self._authorize_amount(amount)
        if isinstance(idempotency_key, str):
            self._replay(idempotency_key, f"authorize:{take}:{self.instrument}")
        # The gateway decides between AUTHORIZED and FAILED; either way the call succeeds.
        return {
            "response": GatewayResponse(approved=True, reference="to be authorised"),
            "amount": take,
        }

    def _prepare_capture(
        self,
        *,
        actor: Actor,
        gateway: object = None,
        amount: object = None,
        idempotency_key: object = None,
        note: object = "",
        **extra: object,
    ) -> dict[str, object]:
        self._prepare_checks(actor, gateway, idempotency_key, note, extra)
        take = self._capture_amount(amount)
        if isinstance(idempotency_key, str):
            self._replay(idempotency_key, f"capture:{take}")
        return {"amount": take}

    def _prepare_void(
        self,
        *,
        actor: Actor,
        gateway: object = None,
        idempotency_key: object = None,
        note: object = "",
        **extra: object,
    ) -> dict[str, object]:
        self._prepare_checks(actor, gateway, idempotency_key, note, extra)
        if isinstance(idempotency_key, str):
            self._replay(idempotency_key, "void")
        return {}

    def _prepare_refund(
        self,
        *,
        actor: Actor,
        gateway: object = None,
        amount: object = None,
        reason: object = None,
        idempotency_key: object = None,
        kind: object = RefundKind.MANUAL,
        **extra: object,
    ) -> dict[str, object]:
        self._prepare_checks(actor, gateway, idempotency_key, "", extra)
        if isinstance(idempotency_key, str):
            self._check_unreserved(idempotency_key)
        take = positive(amount, "a refund")
        why = check_text(reason, "reason", limit=LONG_TEXT_MAX, multiline=True)
        sort = self._check_kind(kind)
        if isinstance(idempotency_key, str):
            self._replay(idempotency_key, self._refund_fingerprint(take, why, sort))
        self._check_refundable(take)
        return {
            "refund": RefundRecord(amount=take, reason=why, reference="to be refunded", kind=sort)
        }

    def _answer(
        self, response: object, operation: str, asked: Money | None, key: str
    ) -> GatewayResponse:
        """The gateway's answer, checked: a GatewayResponse, and when approved a reference and
        (if it names one) the amount that was asked."""
        if not isinstance(response, GatewayResponse):
            raise ValidationError(
                f"the gateway answered {operation} of payment {self.id!r} with "
                f"{type(response).__name__}, not a GatewayResponse"
            )
        if response.approved:
            check_text(response.reference, f"the gateway's reference for {operation}")
            said = response.amount
            if (
                asked is not None
                and said is not None
                and (said.currency != asked.currency or said.amount != asked.amount)
            ):
                raise GatewayAnswerMismatch(
                    f"the gateway approved {operation} of payment {self.id!r} under key {key!r} "
                    f"for {said}, but {asked} was asked (reference {response.reference!r}): "
                    "nothing was recorded; settle the difference with the provider by hand"
                )
        return response

    def _fire_once(
        self, trigger: str, key: str, fingerprint: str, actor: Actor, note: str, **payload: object
    ) -> TransitionRecord:
        return self._fire(
            trigger,
            actor=actor,
            note=note,
            idempotency_key=key,
            fingerprint=fingerprint,
            **payload,
        )

    # --- triggers ------------------------------------------------------------------------------

    def authorize(
        self,
        gateway: PaymentGateway,
        amount: Money | None = None,
        *,
        idempotency_key: str,
        actor: Actor,
        note: str = "",
    ) -> TransitionRecord:
        """Ask the gateway to reserve ``amount`` (default: the payment's whole amount; at most
        that): AUTHORIZED if approved, FAILED if declined. :attr:`authorized` records it.

        Raises:
            InvalidTransition: not PENDING (and the key is not one this payment recorded).
            InvalidAmount: ``amount`` is not positive or is more than the payment's amount.
            IdempotencyConflict: the key was used for another request.
            GatewayAnswerMismatch: the gateway approved another amount; nothing is recorded.
            ValidationError: a bad gateway, actor, note or key.
        """
        why = self._call_checks(gateway, actor, note)
        take = self._authorize_amount(amount)
        fingerprint = f"authorize:{take}:{self.instrument}"
        done = self._replay(idempotency_key, fingerprint)
        if done is not None:
            return done
        self._ensure_allowed("authorize")
        response = self._answer(
            gateway.authorize(
                self.instrument, take, reference=self.id, idempotency_key=idempotency_key
            ),
            "authorize",
            take,
            idempotency_key,
        )
        message = failure_text(response.message) if not response.approved else ""
        return self._fire_once(
            "authorize",
            idempotency_key,
            fingerprint,
            actor,
            why or message,
            response=response,
            amount=take,
        )

    def capture(
        self,
        gateway: PaymentGateway,
        amount: Money | None = None,
        *,
        idempotency_key: str,
        actor: Actor,
        note: str = "",
    ) -> TransitionRecord:
        """Take the authorised amount (or less; the rest is released).

        Raises:
            InvalidAmount: more than authorised, or not positive.
            PaymentDeclined: the gateway refused; nothing changed.
            IdempotencyConflict: the key was used for another request.
            GatewayAnswerMismatch: the gateway approved another amount; nothing is recorded.
        """
        why = self._call_checks(gateway, actor, note)
        take = (self.authorized or self.amount) if amount is None else positive(amount, "a capture")
        fingerprint = f"capture:{take}"
        done = self._replay(idempotency_key, fingerprint)
        if done is not None:
            return done
        self._ensure_allowed("capture")
        self._capture_amount(take)
        assert self.authorization is not None
        response = self._answer(
            gateway.capture(self.authorization, take, idempotency_key=idempotency_key),
            "capture",
            take,
            idempotency_key,
        )
        if not response.approved:
            raise PaymentDeclined(f"capture of payment {self.id!r} declined: {response.message}")
        return self._fire_once(
            "capture", idempotency_key, fingerprint, actor, why, response=response, amount=take
        )

    def void(
        self, gateway: PaymentGateway, *, idempotency_key: str, actor: Actor, note: str = ""
    ) -> TransitionRecord:
        """Release the authorisation (the order will not be charged).

        Raises:
            PaymentDeclined: the gateway refused; nothing changed.
            IdempotencyConflict: the key was used for another request.
        """
        why = self._call_checks(gateway, actor, note)
        fingerprint = "void"
        done = self._replay(idempotency_key, fingerprint)
        if done is not None:
            return done
        self._ensure_allowed("void")
        assert self.authorization is not None
        response = self._answer(
            gateway.void(self.authorization, idempotency_key=idempotency_key),
            "void",
            None,
            idempotency_key,
        )
        if not response.approved:
            raise PaymentDeclined(f"void of payment {self.id!r} declined: {response.message}")
        return self._fire_once("void", idempotency_key, fingerprint, actor, why)

    def refund(
        self,
        gateway: PaymentGateway,
        amount: Money,
        *,
        reason: str,
        idempotency_key: str,
        actor: Actor,
        kind: RefundKind = RefundKind.MANUAL,
    ) -> TransitionRecord:
        """Give ``amount`` back to the instrument that paid.

        ``reason`` is at most :data:`~ecservice.text.LONG_TEXT_MAX` characters. ``kind`` is
        ``MANUAL`` for a refund decided by hand (goodwill, compensation): reconciliation
        (:meth:`OrderPayments.settle`) does not count it against what the order owes;
        ``SETTLEMENT`` is for the refunds reconciliation makes.

        ``idempotency_key`` must not start with ``{payment.id}:``: that namespace is reserved for
        the keys :class:`OrderPayments` derives (``{payment.id}:refund:N`` names its N-th
        settlement refund, so a refund by hand under such a key would stand in its place).

        Raises:
            InsufficientFunds: more than is left to refund (captured minus refunded).
            PaymentDeclined: the gateway refused; nothing changed.
            IdempotencyConflict: the key was used for another request.
            GatewayAnswerMismatch: the gateway approved another amount; nothing is recorded.
            ValidationError: the key is in the reserved ``{payment.id}:`` namespace (nothing is
                sent), or a bad gateway, actor, reason or kind.
        """
        self._check_unreserved(check_key(idempotency_key))
        return self._refund_as(
            gateway, amount, reason=reason, idempotency_key=idempotency_key, actor=actor, kind=kind
        )

    def _refund_as(
        self,
        gateway: PaymentGateway,
        amount: Money,
        *,
        reason: str,
        idempotency_key: str,
        actor: Actor,
        kind: RefundKind,
    ) -> TransitionRecord:
        """:meth:`refund` with any key, the reserved ones included (for :class:`OrderPayments`)."""
        self._call_checks(gateway, actor, "")
        take = positive(amount, "a refund")
        why = check_text(reason, "reason", limit=LONG_TEXT_MAX, multiline=True)
        sort = self._check_kind(kind)
        fingerprint = self._refund_fingerprint(take, why, sort)
        done = self._replay(idempotency_key, fingerprint)
        if done is not None:
            return done
        self._ensure_allowed("refund")
        self._check_refundable(take)
        assert self.capture_reference is not None
        response = self._answer(
            gateway.refund(self.capture_reference, take, idempotency_key=idempotency_key),
            "refund",
            take,
            idempotency_key,
        )
        if not response.approved:
            raise PaymentDeclined(f"refund of payment {self.id!r} declined: {response.message}")
        record = RefundRecord(amount=take, reason=why, reference=response.reference, kind=sort)
        return self._fire_once("refund", idempotency_key, fingerprint, actor, why, refund=record)


bind_workflow(Payment, PAYMENT_WORKFLOW)
