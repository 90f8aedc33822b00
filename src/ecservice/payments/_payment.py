"""The payment of an order: a workflow over a gateway, with idempotency keys."""

from __future__ import annotations

import attrs

from ecservice.errors import (
    IdempotencyConflict,
    InsufficientFunds,
    InvalidAmount,
    ValidationError,
)
from ecservice.money import Money, positive
from ecservice.payments._gateway import GatewayResponse, Instrument, PaymentGateway
from ecservice.payments._payment_events import PaymentDeclined, PaymentStatus, RefundRecord
from ecservice.payments._payment_loading import (
    as_tuple,
    check_idempotency,
    check_money,
    check_references,
)
from ecservice.payments._payment_workflow import PAYMENT_WORKFLOW, failure_text
from ecservice.payments._shown import shown
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

    Refunds never exceed what was captured, and go back through the capture, so to the
    instrument that paid.

    **Loading.** The constructor checks what storage hands it (raising
    :class:`~ecservice.errors.ValidationError` or a subclass, e.g.
    :class:`~ecservice.errors.InvalidAmount`, :class:`~ecservice.errors.CurrencyMismatch`): the
    types of every field; ``authorization`` set from ``AUTHORIZED`` on, ``captured`` and
    ``capture_reference`` set exactly in the captured states, with ``captured`` at most
    ``amount``; refunds in the payment's currency, none before capture, adding up to less than
    ``captured`` when ``PARTIALLY_REFUNDED`` and to exactly ``captured`` when ``REFUNDED``;
    ``failure`` set exactly when ``FAILED``; idempotency records ``(key, fingerprint, version)``
    with distinct keys and versions of the history. Text fields follow
    :mod:`ecservice.text`.

    **Concurrency.** One writer per payment object; the gateway's keys make copies safe.
    """

    status: PaymentStatus = PaymentStatus.PENDING
    order_id: str = attrs.field(validator=text("order_id"))
    amount: Money
    instrument: Instrument
    authorization: str | None = None
    capture_reference: str | None = None
    captured: Money | None = None
    refunds: tuple[RefundRecord, ...] = attrs.field(default=(), converter=as_tuple)
    failure: str | None = None
    idempotency: tuple[tuple[str, str, int], ...] = attrs.field(default=(), converter=as_tuple)

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
                        f"{f!r}; this request is {fingerprint!r}: use a new key"
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
        take = self.amount if amount is None else positive(amount, "a capture")
        if take.currency != self.amount.currency or take > self.amount:
            raise InvalidAmount(f"cannot capture {take}: the authorisation is for {self.amount}")
        return take

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
        idempotency_key: object = None,
        note: object = "",
        **extra: object,
    ) -> dict[str, object]:
        self._prepare_checks(actor, gateway, idempotency_key, note, extra)
        if isinstance(idempotency_key, str):
            self._replay(idempotency_key, f"authorize:{self.amount}:{self.instrument}")
        # The gateway decides between AUTHORIZED and FAILED; either way the call succeeds.
        return {"response": GatewayResponse(approved=True, reference="to be authorised")}

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
        **extra: object,
    ) -> dict[str, object]:
        self._prepare_checks(actor, gateway, idempotency_key, "", extra)
        take = positive(amount, "a refund")
        why = check_text(reason, "reason", limit=LONG_TEXT_MAX, multiline=True)
        if isinstance(idempotency_key, str):
            self._replay(idempotency_key, f"refund:{take}:{why}")
        self._check_refundable(take)
        return {"refund": RefundRecord(amount=take, reason=why, reference="to be refunded")}

    def _answer(self, response: object, operation: str) -> GatewayResponse:
        if not isinstance(response, GatewayResponse):
            raise ValidationError(
                f"the gateway answered {operation} of payment {self.id!r} with "
                f"{type(response).__name__}, not a GatewayResponse"
            )
        if response.approved:
            check_text(response.reference, f"the gateway's reference for {operation}")
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
        self, gateway: PaymentGateway, *, idempotency_key: str, actor: Actor, note: str = ""
    ) -> TransitionRecord:
        """Ask the gateway to reserve the amount: AUTHORIZED if approved, FAILED if declined.

        Raises:
            InvalidTransition: not PENDING (and the key is not one this payment recorded).
            IdempotencyConflict: the key was used for another request.
            ValidationError: a bad gateway, actor, note or key.
        """
        why = self._call_checks(gateway, actor, note)
        fingerprint = f"authorize:{self.amount}:{self.instrument}"
        done = self._replay(idempotency_key, fingerprint)
        if done is not None:
            return done
        self._ensure_allowed("authorize")
        response = self._answer(
            gateway.authorize(
                self.instrument, self.amount, reference=self.id, idempotency_key=idempotency_key
            ),
            "authorize",
        )
        message = failure_text(response.message) if not response.approved else ""
        return self._fire_once(
            "authorize",
            idempotency_key,
            fingerprint,
            actor,
            why or message,
            response=response,
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
        """
        why = self._call_checks(gateway, actor, note)
        take = self.amount if amount is None else positive(amount, "a capture")
        fingerprint = f"capture:{take}"
        done = self._replay(idempotency_key, fingerprint)
        if done is not None:
            return done
        self._ensure_allowed("capture")
        self._capture_amount(take)
        assert self.authorization is not None
        response = self._answer(
            gateway.capture(self.authorization, take, idempotency_key=idempotency_key), "capture"
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
            gateway.void(self.authorization, idempotency_key=idempotency_key), "void"
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
    ) -> TransitionRecord:
        """Give ``amount`` back to the instrument that paid.

        ``reason`` is at most :data:`~ecservice.text.LONG_TEXT_MAX` characters.

        Raises:
            InsufficientFunds: more than is left to refund (captured minus refunded).
            PaymentDeclined: the gateway refused; nothing changed.
            IdempotencyConflict: the key was used for another request.
        """
        self._call_checks(gateway, actor, "")
        take = positive(amount, "a refund")
        why = check_text(reason, "reason", limit=LONG_TEXT_MAX, multiline=True)
        fingerprint = f"refund:{take}:{why}"
        done = self._replay(idempotency_key, fingerprint)
        if done is not None:
            return done
        self._ensure_allowed("refund")
        self._check_refundable(take)
        assert self.capture_reference is not None
        response = self._answer(
            gateway.refund(self.capture_reference, take, idempotency_key=idempotency_key),
            "refund",
        )
        if not response.approved:
            raise PaymentDeclined(f"refund of payment {self.id!r} declined: {response.message}")
        record = RefundRecord(amount=take, reason=why, reference=response.reference)
        return self._fire_once("refund", idempotency_key, fingerprint, actor, why, refund=record)


bind_workflow(Payment, PAYMENT_WORKFLOW)
