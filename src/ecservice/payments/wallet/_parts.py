"""The two parts of a dual-signed purchase: the order part and the payment part.

SET (Secure Electronic Transaction, 1997, Book 1 section 3.2 "dual signature") splits a purchase
into the *order information* (OI), which the merchant needs, and the *payment instruction* (PI),
which only the payment gateway needs. Each part here has a canonical serialisation in the style of
:func:`~ecservice.payments.wallet.canonical_bytes`: a JSON object with exactly the keys listed
below, sorted, every value a string (``hold_id`` may be ``null``), dumped with
``json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True)`` and encoded as
ASCII. Its SHA-256 is the part's *digest*.

Order part (``"type": "ecservice.wallet.order-part/1"``, :data:`ORDER_PART_TYPE`)::

    amount       the amount as a plain decimal quantised to the currency ("12.30", "500")
    currency     the ISO 4217 code
    issued_at    the instant in UTC, "YYYY-MM-DDTHH:MM:SS.ffffffZ"
    merchant     who sells (and is paid)
    nonce        32 lowercase hex digits, random per part
    public_key   the signer's raw 32-byte Ed25519 public key, lowercase hex
    purchase_id  32 lowercase hex digits, the same in both parts (SET's transaction id)
    reference    the merchant's order reference

Payment part (``"type": "ecservice.wallet.payment-part/1"``, :data:`PAYMENT_PART_TYPE`)::

    amount, currency, issued_at, nonce, public_key, purchase_id   as above
    funding      "stored-value" or "card:<provider token>"
    hold_id      the hold reserving stored value, or null
    payee        who is paid (the order part's merchant)
    payer        the wallet's owner
    wallet_id    the wallet's id

The random ``nonce`` of the payment part matters: the merchant sees the payment part's digest,
and without 128 random bits inside it a merchant could try likely card tokens until a digest
matched.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import re
from collections.abc import Callable
from typing import Any, Final, final

import attrs
import pendulum
from pendulum import DateTime

from ecservice.clock import UTC, ensure_utc
from ecservice.errors import EcServiceError, ValidationError
from ecservice.money import Money

__all__ = ["ORDER_PART_TYPE", "PAYMENT_PART_TYPE", "OrderPart", "PaymentPart"]

#: The ``type`` field of an order part's canonical form.
ORDER_PART_TYPE: Final = "ecservice.wallet.order-part/1"
#: The ``type`` field of a payment part's canonical form.
PAYMENT_PART_TYPE: Final = "ecservice.wallet.payment-part/1"

_Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]
_HEX32 = re.compile(r"[0-9a-f]{32}")
_TIME = "%Y-%m-%dT%H:%M:%S.%fZ"


def _short(data: bytes) -> str:
    return data.hex()[:16] + ("..." if len(data) > 8 else "")


def _text(what: str) -> _Validator:
    def check(_: object, __: attrs.Attribute[str], value: object) -> None:
        if not isinstance(value, str) or not value.strip():
            raise ValidationError(f"{what} must be non-blank text, not {type(value).__name__}")

    return check


def _hex32(what: str) -> _Validator:
    def check(_: object, __: attrs.Attribute[str], value: object) -> None:
        if not isinstance(value, str) or not _HEX32.fullmatch(value):
            raise ValidationError(f"{what} must be 32 lowercase hex digits")

    return check


def _money(_: object, __: attrs.Attribute[Money], value: object) -> None:
    if not isinstance(value, Money) or value.is_negative() or value.is_zero():
        raise ValidationError("a part's amount must be a positive Money")


def _key(_: object, __: attrs.Attribute[bytes], value: object) -> None:
    if not isinstance(value, bytes) or len(value) != 32:
        raise ValidationError("a part's public_key must be 32 bytes (a raw Ed25519 key)")


def _hold(_: object, __: attrs.Attribute[str | None], value: object) -> None:
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise ValidationError("a payment part's hold_id must be non-blank text or None")


def _common(part: OrderPart | PaymentPart, kind: str) -> dict[str, str | None]:
    return {
        "amount": str(part.amount.amount),
        "currency": part.amount.currency.code,
        "issued_at": part.issued_at.in_tz(UTC).strftime(_TIME),
        "nonce": part.nonce,
        "public_key": part.public_key.hex(),
        "purchase_id": part.purchase_id,
        "type": kind,
    }


def _dump(fields: dict[str, str | None]) -> bytes:
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return text.encode("ascii")


def _load(data: object, kind: str, keys: frozenset[str]) -> dict[str, str | None]:
    """The fields of a canonical form of ``kind`` with exactly ``keys``; refuses anything else."""
    what = kind.rsplit("/", 1)[0].rsplit(".", 1)[-1]
    try:
        obj = json.loads(data) if isinstance(data, bytes) else None
    except (UnicodeDecodeError, ValueError):
        obj = None
    if not isinstance(obj, dict) or set(obj) != keys or obj.get("type") != kind:
        raise ValidationError(f"not the canonical form of an {what} ({kind})")
    if not all(isinstance(v, str) or (k == "hold_id" and v is None) for k, v in obj.items()):
        raise ValidationError(f"every field of an {what} must be text (hold_id may be null)")
    return obj


def _shared(obj: dict[str, str | None]) -> tuple[Money, DateTime, bytes]:
    """The amount, the instant and the public key, from canonical fields."""
    try:
        stamp = pendulum.instance(_dt.datetime.strptime(str(obj["issued_at"]), _TIME), tz=UTC)
        amount = Money(str(obj["amount"]), str(obj["currency"]))
        return amount, stamp, bytes.fromhex(str(obj["public_key"]))
    except (ValueError, EcServiceError):
        raise ValidationError("a canonical amount, currency, time or key is malformed") from None


def _same(part: OrderPart | PaymentPart, data: bytes) -> None:
    if part.canonical_bytes() != data:
        raise ValidationError("the bytes are not in canonical form (key order, spacing, format)")


@final
@attrs.frozen(slots=True)
class OrderPart:
    """The order information (SET's OI): what the merchant sees of a purchase.

    It holds no payment data: no wallet id, no card token, no hold. Its :meth:`digest` is what
    the payment gateway gets instead of it.

    Args:
        purchase_id: 32 lowercase hex digits shared with the purchase's :class:`PaymentPart`.
        reference: the merchant's order reference.
        merchant: who sells and is paid.
        amount: the amount to pay, a positive :class:`~ecservice.money.Money`.
        issued_at: when the wallet signed; an aware datetime, converted to UTC.
        nonce: 32 lowercase hex digits, random per part.
        public_key: the signer's raw 32-byte Ed25519 public key.

    Raises:
        ValidationError: a field has the wrong type or format.
    """

    purchase_id: str = attrs.field(validator=_hex32("a part's purchase_id"))
    reference: str = attrs.field(validator=_text("an order part's reference"))
    merchant: str = attrs.field(validator=_text("an order part's merchant"))
    amount: Money = attrs.field(validator=_money)
    issued_at: DateTime = attrs.field(converter=ensure_utc)
    nonce: str = attrs.field(validator=_hex32("a part's nonce"))
    public_key: bytes = attrs.field(validator=_key, repr=_short)

    def canonical_bytes(self) -> bytes:
        """The canonical serialisation (see the module documentation)."""
        fields = _common(self, ORDER_PART_TYPE)
        fields.update(merchant=self.merchant, reference=self.reference)
        return _dump(fields)

    def digest(self) -> bytes:
        """SHA-256 of :meth:`canonical_bytes` (32 bytes)."""
        return hashlib.sha256(self.canonical_bytes()).digest()

    @classmethod
    def from_canonical_bytes(cls, data: bytes) -> OrderPart:
        """Parse :meth:`canonical_bytes` back; anything but exactly that form is refused.

        Raises:
            ValidationError: not the canonical form of an order part.
        """
        obj = _load(data, ORDER_PART_TYPE, _ORDER_KEYS)
        amount, issued_at, key = _shared(obj)
        part = cls(
            purchase_id=str(obj["purchase_id"]),
            reference=str(obj["reference"]),
            merchant=str(obj["merchant"]),
            amount=amount,
            issued_at=issued_at,
            nonce=str(obj["nonce"]),
            public_key=key,
        )
        _same(part, data)
        return part


@final
@attrs.frozen(slots=True)
class PaymentPart:
    """The payment instruction (SET's PI): what the payment gateway sees of a purchase.

    It travels to the gateway sealed (:class:`SealedPayment`); the merchant sees only its
    :meth:`digest`.

    Args:
        purchase_id: 32 lowercase hex digits shared with the purchase's :class:`OrderPart`.
        wallet_id: the id of the wallet that pays.
        payer: the wallet's owner.
        payee: who is paid (the order part's merchant).
        amount: the amount to pay, a positive :class:`~ecservice.money.Money`.
        funding: ``"stored-value"`` or ``"card:<provider token>"``.
        hold_id: the hold reserving stored value, or ``None``.
        issued_at: when the wallet signed; an aware datetime, converted to UTC.
        nonce: 32 lowercase hex digits, random per part.
        public_key: the signer's raw 32-byte Ed25519 public key.

    Raises:
        ValidationError: a field has the wrong type or format.
    """

    purchase_id: str = attrs.field(validator=_hex32("a part's purchase_id"))
    wallet_id: str = attrs.field(validator=_text("a payment part's wallet_id"))
    payer: str = attrs.field(validator=_text("a payment part's payer"))
    payee: str = attrs.field(validator=_text("a payment part's payee"))
    amount: Money = attrs.field(validator=_money)
    funding: str = attrs.field(validator=_text("a payment part's funding"), repr=False)
    hold_id: str | None = attrs.field(validator=_hold)
    issued_at: DateTime = attrs.field(converter=ensure_utc)
    nonce: str = attrs.field(validator=_hex32("a part's nonce"))
    public_key: bytes = attrs.field(validator=_key, repr=_short)

    def canonical_bytes(self) -> bytes:
        """The canonical serialisation (see the module documentation)."""
        fields = _common(self, PAYMENT_PART_TYPE)
        fields.update(
            funding=self.funding,
            hold_id=self.hold_id,
            payee=self.payee,
            payer=self.payer,
            wallet_id=self.wallet_id,
        )
        return _dump(fields)

    def digest(self) -> bytes:
        """SHA-256 of :meth:`canonical_bytes` (32 bytes)."""
        return hashlib.sha256(self.canonical_bytes()).digest()

    @classmethod
    def from_canonical_bytes(cls, data: bytes) -> PaymentPart:
        """Parse :meth:`canonical_bytes` back; anything but exactly that form is refused.

        Raises:
            ValidationError: not the canonical form of a payment part.
        """
        obj = _load(data, PAYMENT_PART_TYPE, _PAYMENT_KEYS)
        amount, issued_at, key = _shared(obj)
        part = cls(
            purchase_id=str(obj["purchase_id"]),
            wallet_id=str(obj["wallet_id"]),
            payer=str(obj["payer"]),
            payee=str(obj["payee"]),
            amount=amount,
            funding=str(obj["funding"]),
            hold_id=obj["hold_id"],
            issued_at=issued_at,
            nonce=str(obj["nonce"]),
            public_key=key,
        )
        _same(part, data)
        return part


_COMMON_KEYS = frozenset(
    {"amount", "currency", "issued_at", "nonce", "public_key", "purchase_id", "type"}
)
_ORDER_KEYS = _COMMON_KEYS | {"merchant", "reference"}
_PAYMENT_KEYS = _COMMON_KEYS | {"funding", "hold_id", "payee", "payer", "wallet_id"}
