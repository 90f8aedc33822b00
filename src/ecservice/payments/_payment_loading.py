"""What a payment loaded from storage must satisfy (checked by its constructor)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from ecservice._shown import shown
from ecservice.errors import CurrencyMismatch, InvalidAmount, ValidationError
from ecservice.money import Money, positive
from ecservice.payments._payment_events import PaymentStatus, RefundKind, RefundRecord
from ecservice.text import LONG_TEXT_MAX, text

if TYPE_CHECKING:
    from ecservice.payments._payment import Payment

__all__ = [
    "as_idempotency",
    "as_refunds",
    "as_tuple",
    "check_history",
    "check_idempotency",
    "check_money",
    "check_references",
]


def as_tuple(value: object) -> object:
    """Lists (as JSON gives them) become tuples; anything else is left for the checks."""
    if isinstance(value, list):
        return tuple(tuple(v) if isinstance(v, list) else v for v in value)
    return value


def as_refunds(value: tuple[RefundRecord, ...] | list[RefundRecord]) -> object:
    """The converter of ``Payment.refunds``: a list becomes a tuple (see :func:`as_tuple`)."""
    return as_tuple(value)


def as_idempotency(
    value: tuple[tuple[str, str, int], ...] | list[tuple[str, str, int]],
) -> object:
    """The converter of ``Payment.idempotency``: lists become tuples (see :func:`as_tuple`)."""
    return as_tuple(value)


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


def check_references(payment: Payment, status: PaymentStatus) -> None:
    for name, value, wanted in (
        ("authorization", payment.authorization, status in _AUTHORIZED),
        ("capture_reference", payment.capture_reference, status in _CAPTURED),
    ):
        if wanted:
            if value is None:
                raise ValidationError(f"{payment._subject()} in {status.name} needs its {name}")
            text(name)(payment, None, value)
        elif value is not None:
            raise ValidationError(
                f"{payment._subject()} in {status.name} cannot have a {name}, got {shown(value)}"
            )
    if (payment.failure is None) is (status is PaymentStatus.FAILED):
        raise ValidationError(
            f"{payment._subject()}: failure must be set exactly when FAILED "
            f"(status {status.name}, failure {shown(payment.failure)})"
        )
    if payment.failure is not None:
        text("failure", limit=LONG_TEXT_MAX, multiline=True)(payment, None, payment.failure)


def check_money(payment: Payment, status: PaymentStatus) -> None:
    cur = payment.amount.currency
    authorized = payment.authorized
    if status in _AUTHORIZED:
        positive(authorized, f"{payment._subject()}'s authorised amount", cur)
        assert authorized is not None
        if authorized > payment.amount:
            raise InvalidAmount(
                f"{payment._subject()} authorised {authorized}, more than its amount "
                f"{payment.amount}"
            )
    elif authorized is not None:
        raise ValidationError(
            f"{payment._subject()} in {status.name} cannot have authorised {shown(authorized)}"
        )
    captured = payment.captured
    if status in _CAPTURED:
        positive(captured, f"{payment._subject()}'s captured amount", cur)
        assert captured is not None
        assert authorized is not None
        if captured > authorized:
            raise InvalidAmount(
                f"{payment._subject()} captured {captured}, more than it authorised {authorized}"
            )
    elif captured is not None:
        raise ValidationError(
            f"{payment._subject()} in {status.name} cannot have captured {shown(captured)}"
        )
    if not isinstance(payment.refunds, tuple):
        raise ValidationError(
            f"{payment._subject()}: refunds must be a tuple of RefundRecord, "
            f"not {type(payment.refunds).__name__}"
        )
    total = Money.zero(cur)
    for refund in payment.refunds:
        if not isinstance(refund, RefundRecord):
            raise ValidationError(
                f"{payment._subject()}: refunds must be RefundRecord, not {type(refund).__name__}"
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
        ok = not payment.refunds
    elif status is PaymentStatus.PARTIALLY_REFUNDED:
        ok = bool(payment.refunds) and total < captured
    else:
        ok = total == captured
    if not ok:
        raise ValidationError(
            f"{payment._subject()} in {status.name} must have {expected}; it has "
            f"{len(payment.refunds)} refund(s) of {total} against {captured or 'nothing'} captured"
        )


def check_idempotency(payment: Payment) -> None:
    if not isinstance(payment.idempotency, tuple):
        raise ValidationError(
            f"{payment._subject()}: idempotency must be a tuple of (key, fingerprint, version)"
        )
    seen: set[str] = set()
    for entry in payment.idempotency:
        if not (isinstance(entry, tuple) and len(entry) == 3):
            raise ValidationError(
                f"{payment._subject()}: an idempotency record is (key, fingerprint, version), "
                f"not {shown(entry)}"
            )
        key, fingerprint, version = entry
        text("an idempotency key")(payment, None, key)
        text("a request fingerprint", limit=LONG_TEXT_MAX, multiline=True)(
            payment, None, fingerprint
        )
        if type(version) is not int or not 1 <= version <= payment.version:
            raise ValidationError(
                f"{payment._subject()}: idempotency key {key!r} names version {shown(version)}; "
                f"versions run from 1 to {payment.version}"
            )
        if key in seen:
            raise ValidationError(f"{payment._subject()}: idempotency key {key!r} appears twice")
        seen.add(key)
        if len(payment.history) >= version:
            trigger = payment.history[version - 1].trigger
            if fingerprint.split(":", 1)[0] != trigger:
                raise ValidationError(
                    f"{payment._subject()}: idempotency key {key!r} records {fingerprint!r} "
                    f"at version {version}, which was a {trigger!r}"
                )


def check_history(payment: Payment) -> None:
    """The history's triggers agree with the data: one approved authorisation when
    ``authorization`` is set, one capture when ``captured`` is, one refund per refund record;
    every history record has its idempotency record (every trigger of the payment workflow
    takes a key), and each refund agrees with the request its key recorded."""
    authorized = captured = refunded = 0
    for record in payment.history:
        if record.trigger == "authorize" and record.dest is not PaymentStatus.FAILED:
            authorized += 1
        elif record.trigger == "capture":
            captured += 1
        elif record.trigger == "refund":
            refunded += 1
    for what, found, wanted in (
        ("approved 'authorize'", authorized, int(payment.authorization is not None)),
        ("'capture'", captured, int(payment.captured is not None)),
        ("'refund'", refunded, len(payment.refunds)),
    ):
        if found != wanted:
            raise ValidationError(
                f"{payment._subject()}: its history has {found} {what} record(s), its data "
                f"{wanted} (authorization {shown(payment.authorization)}, captured "
                f"{shown(payment.captured)}, {len(payment.refunds)} refund(s))"
            )
    check_keys_cover_history(payment)


def check_keys_cover_history(payment: Payment) -> None:
    """Every record of the history has the idempotency record of its request, and the N-th
    refund record agrees with the N-th ``refund`` record's request.

    Every trigger of the payment workflow takes an idempotency key and records it with the
    version it produced, so a history record without one means the keys were lost: a retry
    would then run the request a second time. A refund's amount, reason and kind are what its
    key's fingerprint recorded; a ``SETTLEMENT`` refund's key is :class:`OrderPayments`'
    ``{payment.id}:refund:N`` for the N-th such refund, and a ``MANUAL`` refund's key is outside
    the ``{payment.id}:`` namespace (:meth:`Payment.refund` refuses such keys).

    Raises:
        ValidationError: a record without its idempotency record, or a refund that contradicts
            its key or fingerprint.
    """
    by_version = {version: (key, fingerprint) for key, fingerprint, version in payment.idempotency}
    refunds = iter(payment.refunds)
    settlements = 0
    own = f"{payment.id}:"
    for record in payment.history:
        entry = by_version.get(record.version)
        if entry is None:
            raise ValidationError(
                f"{payment._subject()}: history record {record.version} ({record.trigger!r}) "
                "has no idempotency record; every trigger of a payment records its key"
            )
        if record.trigger != "refund":
            continue
        refund = next(refunds)
        key, fingerprint = entry
        wanted = payment._refund_fingerprint(refund.amount, refund.reason, refund.kind)
        if fingerprint != wanted:
            raise ValidationError(
                f"{payment._subject()}: refund of {refund.amount} ({refund.kind.name}, reason "
                f"{shown(refund.reason)}) contradicts its idempotency record {key!r} at "
                f"version {record.version}, which requested {fingerprint!r}"
            )
        if refund.kind is RefundKind.SETTLEMENT:
            settlements += 1
            expected = f"{own}refund:{settlements}"
            if key != expected:
                raise ValidationError(
                    f"{payment._subject()}: SETTLEMENT refund {settlements} (history record "
                    f"{record.version}) has key {key!r}; settlement refunds are keyed "
                    f"{expected!r} in turn"
                )
        elif key.startswith(own):
            raise ValidationError(
                f"{payment._subject()}: {refund.kind.name} refund (history record "
                f"{record.version}) has key "
                f"{key!r}, in the namespace {own!r} kept for settlement requests"
            )
