"""Dual signatures (SET's 双重数字签名): one signature that links an order part and a payment part.

Construction (version 1), for an :class:`OrderPart` ``OI`` and a :class:`PaymentPart` ``PI`` of
one purchase::

    OID = SHA-256(OI.canonical_bytes())          32 bytes
    PID = SHA-256(PI.canonical_bytes())          32 bytes
    POD = SHA-256(OID || PID)                    32 bytes  (dual_digest)
    signature = Ed25519-Sign(wallet key, POD)    64 bytes  (RFC 8032, pure Ed25519)

The merchant receives ``OI`` in clear, ``PID``, the signature and the sealed ``PI``
(:class:`DualSignedOrder`); it recomputes ``OID`` and checks the signature over
``SHA-256(OID || PID)`` without ever seeing ``PI`` (:func:`verify_order_part`). The payment
gateway receives the sealed ``PI``, ``OID`` and the signature (:class:`DualSignedPayment`); it
opens ``PI``, recomputes ``PID`` and checks the same signature without ever seeing ``OI``
(:func:`verify_payment_part`). Each side checks the part it sees against the signature and takes
the other part's digest on trust of that signature; both parts name the same ``purchase_id``.

SET (1997, Book 1 section 3.2) used SHA-1 and RSA. SHA-1 has practical collisions (SHAttered,
2017; chosen-prefix collisions, 2020), and a collision in a dual signature would let one
signature cover two different orders, so SHA-256 replaces it. Ed25519 (RFC 8032) is the key the
wallet already signs its instructions with: 32-byte keys, 64-byte deterministic signatures, no
padding choices. Both parts carry their own ``type`` (their format version) and the signer's
public key, so a dual signature cannot be moved to another key or mistaken for another message.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from typing import Any, Final, final

import attrs
from cryptography.exceptions import InvalidSignature as _CryptoInvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from pendulum import DateTime

from ecservice.errors import InvalidSignature, ValidationError
from ecservice.money import Money
from ecservice.payments.wallet._envelope import SealedPayment, seal_payment
from ecservice.payments.wallet._instruction import raw_public_key
from ecservice.payments.wallet._parts import OrderPart, PaymentPart

__all__ = [
    "DUAL_ORDER_TYPE",
    "DualSignedOrder",
    "DualSignedPayment",
    "PurchaseMismatch",
    "dual_digest",
    "verify_order_part",
    "verify_payment_part",
]

#: The ``type`` field of :meth:`DualSignedOrder.to_json`'s document.
DUAL_ORDER_TYPE: Final = "ecservice.wallet.dual-signed-order/1"

_REFUSED = (
    "the dual signature does not verify for this {part}: a field of either part was altered, "
    "a part was swapped for another purchase's, or it was signed by another key"
)


class PurchaseMismatch(ValidationError):
    """A payment part does not match what the gateway is asked to authorise: another amount or
    another payee than the one the buyer signed."""


def _short(data: bytes) -> str:
    return data.hex()[:16] + ("..." if len(data) > 8 else "")


def _sized(length: int, what: str) -> Any:
    def check(_: object, __: object, value: object) -> None:
        if not isinstance(value, bytes) or len(value) != length:
            raise ValidationError(f"{what} must be {length} bytes")

    return check


def dual_digest(order_digest: bytes, payment_digest: bytes) -> bytes:
    """``SHA-256(order_digest || payment_digest)``: the 32 bytes a dual signature signs.

    Raises:
        ValidationError: a digest is not 32 bytes.
    """
    for digest in (order_digest, payment_digest):
        if not isinstance(digest, bytes) or len(digest) != 32:
            raise ValidationError("a part digest must be 32 bytes (SHA-256)")
    return hashlib.sha256(order_digest + payment_digest).digest()


def sign_dual(key: Ed25519PrivateKey, order: OrderPart, payment: PaymentPart) -> bytes:
    """The dual signature of ``order`` and ``payment`` with ``key`` (used by the wallet).

    Raises:
        ValidationError: the parts name different purchases, amounts or payees, or another key.
    """
    public = raw_public_key(key)
    if order.public_key != public or payment.public_key != public:
        raise ValidationError("both parts must name the signing key")
    if (order.purchase_id, order.amount, order.merchant) != (
        payment.purchase_id,
        payment.amount,
        payment.payee,
    ):
        raise ValidationError("the two parts must name the same purchase, amount and payee")
    return key.sign(dual_digest(order.digest(), payment.digest()))


def dual_sign(
    key: Ed25519PrivateKey,
    gateway_key: bytes | X25519PublicKey,
    *,
    merchant: str,
    reference: str,
    wallet_id: str,
    payer: str,
    amount: Money,
    funding: str,
    hold_id: str | None,
    issued_at: DateTime,
) -> DualSignedOrder:
    """Build both parts of a purchase, dual-sign them with ``key`` and seal the payment part to
    ``gateway_key`` (used by the wallet, which checks the texts; exposed for tests and tools).

    Raises:
        ValidationError: a field is malformed or ``gateway_key`` is not an X25519 public key.
    """
    public = raw_public_key(key)
    purchase_id = secrets.token_hex(16)
    order = OrderPart(
        purchase_id=purchase_id,
        reference=reference,
        merchant=merchant,
        amount=amount,
        issued_at=issued_at,
        nonce=secrets.token_hex(16),
        public_key=public,
    )
    payment = PaymentPart(
        purchase_id=purchase_id,
        wallet_id=wallet_id,
        payer=payer,
        payee=merchant,
        amount=amount,
        funding=funding,
        hold_id=hold_id,
        issued_at=issued_at,
        nonce=secrets.token_hex(16),
        public_key=public,
    )
    order_digest = order.digest()
    return DualSignedOrder(
        order=order,
        payment_digest=payment.digest(),
        signature=sign_dual(key, order, payment),
        sealed_payment=seal_payment(payment, gateway_key, order_digest),
    )


def _check(public_key: bytes, signature: bytes, digest: bytes, part: str) -> None:
    try:
        Ed25519PublicKey.from_public_bytes(bytes(public_key)).verify(bytes(signature), digest)
    except (_CryptoInvalidSignature, ValueError, TypeError):
        raise InvalidSignature(_REFUSED.format(part=part)) from None


def _expect(public_key: bytes, expected_key: bytes | Ed25519PublicKey | None) -> None:
    if expected_key is None:
        return
    expected = expected_key if isinstance(expected_key, bytes) else raw_public_key(expected_key)
    if public_key != expected:
        raise InvalidSignature("the purchase is signed with a different key than the one expected")


@final
@attrs.frozen(slots=True)
class DualSignedPayment:
    """What the payment gateway receives: the sealed payment part, the order part's digest and
    the dual signature; never the order part itself.

    Build one with :meth:`DualSignedOrder.for_gateway`. The gateway opens the envelope with its
    private key (:func:`open_payment`) and checks the result with :func:`verify_payment_part`
    (:meth:`WalletGateway.authorize_dual <ecservice.payments.WalletGateway.authorize_dual>`
    does both).

    Args:
        sealed_payment: the payment part sealed for the gateway.
        order_digest: SHA-256 of the order part's canonical bytes (32 bytes).
        signature: the dual signature (64 bytes).

    Raises:
        ValidationError: a field has the wrong type or size.
    """

    sealed_payment: SealedPayment = attrs.field(
        validator=attrs.validators.instance_of(SealedPayment)
    )
    order_digest: bytes = attrs.field(validator=_sized(32, "an order digest"), repr=_short)
    signature: bytes = attrs.field(validator=_sized(64, "a dual signature"), repr=_short)


@final
@attrs.frozen(slots=True)
class DualSignedOrder:
    """What the merchant receives: the order part in clear, the payment part's digest, the dual
    signature and the sealed payment part, which it cannot open.

    Build one with :meth:`EWallet.instruct_dual <ecservice.payments.wallet.EWallet.instruct_dual>`;
    check it with :func:`verify_order_part`; forward :meth:`for_gateway` to the payment gateway.
    Nothing in it holds the payment data in clear: no wallet id, funding, card token or hold.

    Args:
        order: the order part.
        payment_digest: SHA-256 of the payment part's canonical bytes (32 bytes).
        signature: the dual signature (64 bytes).
        sealed_payment: the payment part sealed for the gateway.

    Raises:
        ValidationError: a field has the wrong type or size.
    """

    order: OrderPart = attrs.field(validator=attrs.validators.instance_of(OrderPart))
    payment_digest: bytes = attrs.field(validator=_sized(32, "a payment digest"), repr=_short)
    signature: bytes = attrs.field(validator=_sized(64, "a dual signature"), repr=_short)
    sealed_payment: SealedPayment = attrs.field(
        validator=attrs.validators.instance_of(SealedPayment)
    )

    @property
    def public_key(self) -> bytes:
        """The signer's raw Ed25519 public key, as the order part names it."""
        return self.order.public_key

    def for_gateway(self) -> DualSignedPayment:
        """What the merchant forwards to the payment gateway (no order part in it)."""
        return DualSignedPayment(self.sealed_payment, self.order.digest(), self.signature)

    def to_json(self) -> str:
        """A JSON document of everything the merchant received, to send or keep.

        The keys are ``type`` (:data:`DUAL_ORDER_TYPE`), ``order`` (the order part's canonical
        object), ``payment_digest``, ``signature``, ``enc`` and ``ciphertext`` (lowercase hex),
        sorted, ASCII only.
        """
        document = {
            "ciphertext": self.sealed_payment.ciphertext.hex(),
            "enc": self.sealed_payment.enc.hex(),
            "order": json.loads(self.order.canonical_bytes()),
            "payment_digest": self.payment_digest.hex(),
            "signature": self.signature.hex(),
            "type": DUAL_ORDER_TYPE,
        }
        return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True)

    @classmethod
    def from_json(cls, text: str) -> DualSignedOrder:
        """Read back :meth:`to_json`; the signature is *not* checked (use
        :func:`verify_order_part`).

        Raises:
            ValidationError: not such a document, or a field is malformed.
        """
        keys = {"ciphertext", "enc", "order", "payment_digest", "signature", "type"}
        try:
            doc = json.loads(text) if isinstance(text, str) else None
        except (ValueError, RecursionError):
            doc = None
        if not isinstance(doc, dict) or set(doc) != keys or doc["type"] != DUAL_ORDER_TYPE:
            raise ValidationError(f"not a dual-signed order document ({DUAL_ORDER_TYPE})")
        order = doc["order"]
        if not isinstance(order, dict):
            raise ValidationError("a dual-signed order document's order must be an object")
        canonical = json.dumps(order, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        try:
            raw = {k: bytes.fromhex(doc[k]) for k in keys - {"order", "type"}}
        except (TypeError, ValueError):
            raise ValidationError("a dual-signed order's binary fields must be hex") from None
        return cls(
            order=OrderPart.from_canonical_bytes(canonical.encode("ascii")),
            payment_digest=raw["payment_digest"],
            signature=raw["signature"],
            sealed_payment=SealedPayment(enc=raw["enc"], ciphertext=raw["ciphertext"]),
        )


def verify_order_part(
    signed: DualSignedOrder, expected_key: bytes | Ed25519PublicKey | None = None
) -> None:
    """The merchant's check: the dual signature covers this order part and the payment part
    whose digest it was given, without seeing that payment part.

    Without ``expected_key`` this proves that the holder of ``signed.public_key`` signed; pass
    the buyer's wallet key to prove *which* wallet signed.

    Raises:
        InvalidSignature: a field of the order part, the payment digest or the signature was
            altered, the order part belongs to another purchase, or the key is not
            ``expected_key``.
        ValidationError: ``signed`` is not a :class:`DualSignedOrder`.
    """
    if not isinstance(signed, DualSignedOrder):
        raise ValidationError(f"expected a DualSignedOrder, not {type(signed).__name__}")
    _expect(signed.order.public_key, expected_key)
    digest = dual_digest(signed.order.digest(), signed.payment_digest)
    _check(signed.order.public_key, signed.signature, digest, "order part")


def verify_payment_part(
    payment: PaymentPart,
    order_digest: bytes,
    signature: bytes,
    expected_key: bytes | Ed25519PublicKey | None = None,
) -> None:
    """The gateway's check: the dual signature covers this payment part and the order part whose
    digest it was given, without seeing that order part.

    Raises:
        InvalidSignature: a field of the payment part, the order digest or the signature was
            altered, the payment part belongs to another purchase, or the key is not
            ``expected_key``.
        ValidationError: ``payment`` is not a :class:`PaymentPart` or the digest is not 32
            bytes.
    """
    if not isinstance(payment, PaymentPart):
        raise ValidationError(f"expected a PaymentPart, not {type(payment).__name__}")
    _expect(payment.public_key, expected_key)
    digest = dual_digest(order_digest, payment.digest())
    _check(payment.public_key, signature, digest, "payment part")
