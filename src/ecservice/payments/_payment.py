"""The payment of an order: a workflow over a gateway, with idempotency keys."""

from __future__ import annotations

from typing import Final, final

import attrs

from ecservice.errors import (
    CurrencyMismatch,
    EcServiceError,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidAmount,
    ValidationError,
)
from ecservice.money import Money, positive
from ecservice.payments._gateway import GatewayResponse, Instrument, PaymentGateway
from ecservice.payments._shown import shown
from ecservice.text import LONG_TEXT_MAX, check_optional_text, check_text, text
from ecservice.workflow import (
    Actor,
    Aggregate,
    Context,
    DomainEvent,
    LabelledState,
    TransitionRecord,
    Workflow,
    bind_workflow,
    transition,
)

__all__ = [
    "PAYMENT_WORKFLOW",
    "IdempotencyConflict",
    "Payment",
    "PaymentAuthorized",
    "PaymentCaptured",
    "PaymentDeclined",
    "PaymentFailed",
    "PaymentRefunded",
    "PaymentStatus",
    "PaymentVoided",
    "RefundRecord",
]


class PaymentStatus(LabelledState):
    """The states of a payment."""

    PENDING = ("pending", "Pending", "待支付")
    AUTHORIZED = ("authorized", "Authorized", "已授权")
    CAPTURED = ("captured", "Captured", "已支付")
    PARTIALLY_REFUNDED = ("partially_refunded", "Partially refunded", "部分退款")
    REFUNDED = ("refunded", "Refunded", "已退款")
    FAILED = ("failed", "Failed", "支付失败")
    VOIDED = ("voided", "Voided", "已撤销")


class PaymentDeclined(EcServiceError):
    """The gateway declined a capture, void or refund; the payment is unchanged."""


@final
@attrs.frozen(slots=True, kw_only=True)
class RefundRecord:
    """One refund: how much, why, and the gateway's reference.

    Attributes:
        amount: a positive amount in the payment's currency.
        reason: why (at most :data:`~ecservice.text.LONG_TEXT_MAX` characters, may span lines).
        reference: the gateway's reference for the refund
            (at most :data:`~ecservice.text.SHORT_TEXT_MAX` characters).

    Raises:
        InvalidAmount: ``amount`` is not a positive :class:`~ecservice.money.Money`.
        ValidationError: ``reason`` or ``reference`` is not acceptable text
            (:func:`ecservice.text.check_text`).
    """

    amount: Money = attrs.field(validator=lambda _, __, v: positive(v, "a refund"))
    reason: str = attrs.field(
        validator=text("a refund's reason", limit=LONG_TEXT_MAX, multiline=True)
    )
    reference: str = attrs.field(validator=text("a refund's reference"))


@final
@attrs.frozen(slots=True, kw_only=True)
class PaymentAuthorized(DomainEvent):
    """The gateway reserved the amount on the instrument."""

    amount: Money


@final
@attrs.frozen(slots=True, kw_only=True)
class PaymentFailed(DomainEvent):
    """The gateway declined the authorisation."""

    reason: str


@final
@attrs.frozen(slots=True, kw_only=True)
class PaymentCaptured(DomainEvent):
    """Money moved to the merchant."""

    order_id: str
    amount: Money


@final
@attrs.frozen(slots=True, kw_only=True)
class PaymentVoided(DomainEvent):
    """The authorisation was released."""


@final
@attrs.frozen(slots=True, kw_only=True)
class PaymentRefunded(DomainEvent):
    """Money went back to the instrument that paid."""

    order_id: str
    refund: RefundRecord


# --- guards and hooks ----------------------------------------------------------------------------


def approved(payment: Payment, ctx: Context) -> bool:
    """The gateway approved."""
    return ctx.arg("response", GatewayResponse).approved


def fully_refunded(payment: Payment, ctx: Context) -> bool:
    """Everything captured is refunded."""
    refund = ctx.arg("refund", RefundRecord)
    return payment.refunded + refund.amount == payment.captured


def _failure_text(message: str) -> str:
    """A gateway's decline message as the payment stores it: acceptable text, or a fixed one."""
    try:
        return check_optional_text(message, "a decline message") or "declined"
    except ValidationError:
        return "declined (the gateway's message is not acceptable text)"


def _apply_authorization(payment: Payment, ctx: Context) -> None:
    response = ctx.arg("response", GatewayResponse)
    pid, at, actor = payment.id, ctx.at, ctx.actor
    if response.approved:
        payment.authorization = response.reference
        ctx.emit(
            PaymentAuthorized(aggregate_id=pid, occurred_at=at, actor=actor, amount=payment.amount)
        )
    else:
        payment.failure = _failure_text(response.message)
        ctx.emit(
            PaymentFailed(aggregate_id=pid, occurred_at=at, actor=actor, reason=payment.failure)
        )


def _apply_capture(payment: Payment, ctx: Context) -> None:
    response = ctx.arg("response", GatewayResponse)
    amount = ctx.arg("amount", Money)
    payment.capture_reference = response.reference
    payment.captured = amount
    ctx.emit(
        PaymentCaptured(
            aggregate_id=payment.id,
            occurred_at=ctx.at,
            actor=ctx.actor,
            order_id=payment.order_id,
            amount=amount,
        )
    )


def _apply_void(payment: Payment, ctx: Context) -> None:
    ctx.emit(PaymentVoided(aggregate_id=payment.id, occurred_at=ctx.at, actor=ctx.actor))


def _apply_refund(payment: Payment, ctx: Context) -> None:
    refund = ctx.arg("refund", RefundRecord)
    payment.refunds = (*payment.refunds, refund)
    ctx.emit(
        PaymentRefunded(
            aggregate_id=payment.id,
            occurred_at=ctx.at,
            actor=ctx.actor,
            order_id=payment.order_id,
            refund=refund,
        )
    )


def _remember(payment: Payment, ctx: Context) -> None:
    key = ctx.payload.get("idempotency_key")
    fingerprint = ctx.payload.get("fingerprint")
    if isinstance(key, str) and isinstance(fingerprint, str):
        payment.idempotency = (*payment.idempotency, (key, fingerprint, payment.version + 1))


# --- rehydration checks --------------------------------------------------------------------------


def _as_tuple(value: object) -> object:
    """Lists (as JSON gives them) become tuples; anything else is left for the checks."""
    if isinstance(value, list):
        return tuple(tuple(v) if isinstance(v, list) else v for v in value)
    return value


_AUTHORIZED: Final = frozenset(
    {
        PaymentStatus.AUTHORIZED,
        PaymentStatus.CAPTURED,
        PaymentStatus.PARTIALLY_REFUNDED,
        PaymentStatus.REFUNDED,
        PaymentStatus.VOIDED,
    }
)
_CAPTURED: Final = frozenset(
    {PaymentStatus.CAPTURED, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED}
)


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
    refunds: tuple[RefundRecord, ...] = attrs.field(default=(), converter=_as_tuple)
    failure: str | None = None
    idempotency: tuple[tuple[str, str, int], ...] = attrs.field(default=(), converter=_as_tuple)

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
        self._check_references(status)
        self._check_money(status)
        self._check_idempotency()

    def _check_references(self, status: PaymentStatus) -> None:
        for name, value, wanted in (
            ("authorization", self.authorization, status in _AUTHORIZED),
            ("capture_reference", self.capture_reference, status in _CAPTURED),
        ):
            if wanted:
                if value is None:
                    raise ValidationError(f"{self._subject()} in {status.name} needs its {name}")
                text(name)(self, None, value)
            elif value is not None:
                raise ValidationError(
                    f"{self._subject()} in {status.name} cannot have a {name}, got {shown(value)}"
                )
        if (self.failure is None) is (status is PaymentStatus.FAILED):
            raise ValidationError(
                f"{self._subject()}: failure must be set exactly when FAILED "
                f"(status {status.name}, failure {shown(self.failure)})"
            )
        if self.failure is not None:
            text("failure", limit=LONG_TEXT_MAX, multiline=True)(self, None, self.failure)

    def _check_money(self, status: PaymentStatus) -> None:
        cur = self.amount.currency
        captured = self.captured
        if status in _CAPTURED:
            positive(captured, f"{self._subject()}'s captured amount", cur)
            assert captured is not None
            if captured > self.amount:
                raise InvalidAmount(
                    f"{self._subject()} captured {captured}, more than its amount {self.amount}"
                )
        elif captured is not None:
            raise ValidationError(
                f"{self._subject()} in {status.name} cannot have captured {shown(captured)}"
            )
        if not isinstance(self.refunds, tuple):
            raise ValidationError(
                f"{self._subject()}: refunds must be a tuple of RefundRecord, "
                f"not {type(self.refunds).__name__}"
            )
        total = Money.zero(cur)
        for refund in self.refunds:
            if not isinstance(refund, RefundRecord):
                raise ValidationError(
                    f"{self._subject()}: refunds must be RefundRecord, not {type(refund).__name__}"
                )
            if refund.amount.currency != cur:
                raise CurrencyMismatch(cur.code, refund.amount.currency.code, "refund")
            total = total + refund.amount
        expected = {
            PaymentStatus.CAPTURED: "no refunds",
            PaymentStatus.PARTIALLY_REFUNDED: "refunds adding up to less than captured",
            PaymentStatus.REFUNDED: "refunds adding up to what was captured",
        }.get(status, "no refunds")
        if captured is None or status is PaymentStatus.CAPTURED:
            ok = not self.refunds
        elif status is PaymentStatus.PARTIALLY_REFUNDED:
            ok = bool(self.refunds) and total < captured
        else:
            ok = total == captured
        if not ok:
            raise ValidationError(
                f"{self._subject()} in {status.name} must have {expected}; it has "
                f"{len(self.refunds)} refund(s) of {total} against {captured or 'nothing'} captured"
            )

    def _check_idempotency(self) -> None:
        if not isinstance(self.idempotency, tuple):
            raise ValidationError(
                f"{self._subject()}: idempotency must be a tuple of (key, fingerprint, version)"
            )
        seen: set[str] = set()
        for entry in self.idempotency:
            if not (isinstance(entry, tuple) and len(entry) == 3):
                raise ValidationError(
                    f"{self._subject()}: an idempotency record is (key, fingerprint, version), "
                    f"not {shown(entry)}"
                )
            key, fingerprint, version = entry
            text("an idempotency key")(self, None, key)
            text("a request fingerprint", limit=LONG_TEXT_MAX, multiline=True)(
                self, None, fingerprint
            )
            if type(version) is not int or not 1 <= version <= self.version:
                raise ValidationError(
                    f"{self._subject()}: idempotency key {key!r} names version {shown(version)}; "
                    f"versions run from 1 to {self.version}"
                )
            if key in seen:
                raise ValidationError(f"{self._subject()}: idempotency key {key!r} appears twice")
            seen.add(key)
            if len(self.history) >= version:
                trigger = self.history[version - 1].trigger
                if fingerprint.split(":", 1)[0] != trigger:
                    raise ValidationError(
                        f"{self._subject()}: idempotency key {key!r} records {fingerprint!r} "
                        f"at version {version}, which was a {trigger!r}"
                    )

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
        check_text(key, "idempotency_key")
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
            check_text(key, "idempotency_key")

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
        message = _failure_text(response.message) if not response.approved else ""
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


P = PaymentStatus

#: The default payment workflow.
PAYMENT_WORKFLOW: Final[Workflow[Payment]] = Workflow(
    "payment",
    states=PaymentStatus,
    initial=P.PENDING,
    final=[P.REFUNDED, P.FAILED, P.VOIDED],
    transitions=[
        transition(
            "authorize",
            P.PENDING,
            P.AUTHORIZED,
            conditions=[approved],
            before=[_apply_authorization, _remember],
        ),
        transition("authorize", P.PENDING, P.FAILED, before=[_apply_authorization, _remember]),
        transition("capture", P.AUTHORIZED, P.CAPTURED, before=[_apply_capture, _remember]),
        transition("void", P.AUTHORIZED, P.VOIDED, before=[_apply_void, _remember]),
        transition(
            "refund",
            [P.CAPTURED, P.PARTIALLY_REFUNDED],
            P.REFUNDED,
            conditions=[fully_refunded],
            before=[_apply_refund, _remember],
        ),
        transition(
            "refund",
            [P.CAPTURED, P.PARTIALLY_REFUNDED],
            P.PARTIALLY_REFUNDED,
            before=[_apply_refund, _remember],
        ),
    ],
)

bind_workflow(Payment, PAYMENT_WORKFLOW)
