"""The digital envelope that seals a payment part for the payment gateway: HPKE (RFC 9180).

SET put the payment instruction in a *digital envelope* for the gateway (a random symmetric key
encrypted with the gateway's RSA key), so that the merchant can forward it without reading it.
Here the envelope is RFC 9180 Hybrid Public Key Encryption, base mode, single shot
(section 6.1), with the suite

* KEM ``DHKEM(X25519, HKDF-SHA256)`` (``0x0020``),
* KDF ``HKDF-SHA256`` (``0x0001``),
* AEAD ``AES-128-GCM`` (``0x0001``),

as implemented by ``cryptography.hazmat.primitives.hpke`` (cryptography 47 or later). The
gateway owns an X25519 key pair; wallets seal to its public key. The sealed plaintext is the
payment part's canonical bytes (:meth:`PaymentPart.canonical_bytes`). HPKE's ``info`` is

    ``b"ecservice.wallet.sealed-payment/1" + b"\\x00" + SHA-256(order part)``

(:data:`SEALED_PAYMENT_INFO` and the 32-byte order part digest), so an envelope opens only under
the format version it was made for and only together with the order part of its own purchase:
moved to another purchase it does not open. The AEAD's associated data is empty. The
encapsulated key ``enc`` (32 bytes) and the ciphertext (the payment part plus a 16-byte tag) are
kept apart in :class:`SealedPayment`; on the wire HPKE sends ``enc || ciphertext``.

The test suite checks the suite against RFC 9180's published vector (appendix A.1.1).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, final

import attrs
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from ecservice.errors import InvalidSignature, ValidationError
from ecservice.payments.wallet._parts import PaymentPart

__all__ = [
    "SEALED_PAYMENT_INFO",
    "InvalidEnvelope",
    "SealedPayment",
    "open_payment",
    "seal_payment",
    "x25519_public_bytes",
]

#: The prefix of HPKE's ``info`` for a sealed payment part, naming the format's version.
SEALED_PAYMENT_INFO: Final = b"ecservice.wallet.sealed-payment/1"

_SUITE: Final = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_128_GCM)
_ENC_LEN: Final = 32
_TAG_LEN: Final = 16


class InvalidEnvelope(InvalidSignature):
    """A sealed payment part does not open: it was sealed for another gateway key or another
    order part, or its bytes were altered (the AEAD tag does not verify), or what it holds is not
    a payment part."""


def _short(data: bytes) -> str:
    return data.hex()[:16] + ("..." if len(data) > 8 else "")


def _bytes_of(length: int | None, what: str) -> Callable[[Any, Any, Any], None]:
    def check(_: object, __: object, value: object) -> None:
        if not isinstance(value, bytes) or (length is not None and len(value) != length):
            size = f"{length} bytes" if length is not None else "bytes"
            raise ValidationError(f"a sealed payment's {what} must be {size}")
        if length is None and len(value) <= _TAG_LEN:
            raise ValidationError(f"a sealed payment's {what} is shorter than the AEAD tag")

    return check


def x25519_public_bytes(key: X25519PublicKey | X25519PrivateKey) -> bytes:
    """The raw 32-byte encoding of an X25519 public key (of a private key's public half)."""
    public = key.public_key() if isinstance(key, X25519PrivateKey) else key
    return public.public_bytes_raw()


def check_gateway_key(key: object) -> X25519PublicKey:
    """``key`` as an X25519 public key: an ``X25519PublicKey`` or its raw 32 bytes.

    Raises:
        ValidationError: anything else.
    """
    if isinstance(key, X25519PublicKey):
        return key
    if isinstance(key, bytes) and len(key) == _ENC_LEN:
        return X25519PublicKey.from_public_bytes(key)
    raise ValidationError(
        f"a gateway key must be an X25519PublicKey or its raw 32 bytes, not {type(key).__name__}"
    )


def _info(order_digest: object) -> bytes:
    if not isinstance(order_digest, bytes) or len(order_digest) != 32:
        raise ValidationError("an order digest must be 32 bytes (SHA-256)")
    return SEALED_PAYMENT_INFO + b"\x00" + order_digest


@final
@attrs.frozen(slots=True)
class SealedPayment:
    """A payment part sealed for one payment gateway (see the module documentation).

    Only the holder of the gateway's X25519 private key can open it (:func:`open_payment`); the
    merchant forwards it as it is.

    Args:
        enc: HPKE's encapsulated key, the sender's ephemeral X25519 public key (32 bytes).
        ciphertext: the AES-128-GCM ciphertext of the payment part's canonical bytes, with the
            16-byte tag.

    Raises:
        ValidationError: ``enc`` is not 32 bytes, or ``ciphertext`` is not bytes longer than
            the tag.
    """

    enc: bytes = attrs.field(validator=_bytes_of(_ENC_LEN, "enc"), repr=_short)
    ciphertext: bytes = attrs.field(validator=_bytes_of(None, "ciphertext"), repr=_short)


def seal_payment(
    payment: PaymentPart,
    gateway_key: bytes | X25519PublicKey,
    order_digest: bytes,
) -> SealedPayment:
    """Seal ``payment`` for the gateway whose X25519 public key is ``gateway_key``.

    ``order_digest`` is the SHA-256 of the purchase's order part; it goes into HPKE's ``info``.

    Raises:
        ValidationError: ``payment`` is not a :class:`PaymentPart`, the key is not an X25519
            public key (or its raw 32 bytes), or the digest is not 32 bytes.
        InvalidEnvelope: the key is a low-order point, with which no secret can be agreed.
    """
    if not isinstance(payment, PaymentPart):
        raise ValidationError(f"expected a PaymentPart, not {type(payment).__name__}")
    info = _info(order_digest)
    key = check_gateway_key(gateway_key)
    try:
        sealed = _SUITE.encrypt(payment.canonical_bytes(), key, info=info)
    except ValueError:  # a low-order point: no shared secret can be agreed with it
        raise InvalidEnvelope(
            "the gateway's key is not a usable X25519 public key (a low-order point); seal for "
            "the gateway's sealing_public_key"
        ) from None
    return SealedPayment(enc=sealed[:_ENC_LEN], ciphertext=sealed[_ENC_LEN:])


def open_payment(
    sealed: SealedPayment, gateway_key: X25519PrivateKey, order_digest: bytes
) -> PaymentPart:
    """Open ``sealed`` with the gateway's private key and the order part's digest.

    Raises:
        InvalidEnvelope: it was sealed for another key or another order part, its bytes were
            altered, or it does not hold a payment part in canonical form.
        ValidationError: ``sealed`` is not a :class:`SealedPayment`, ``gateway_key`` is not an
            X25519 private key, or the digest is not 32 bytes.
    """
    if not isinstance(sealed, SealedPayment):
        raise ValidationError(f"expected a SealedPayment, not {type(sealed).__name__}")
    if not isinstance(gateway_key, X25519PrivateKey):
        raise ValidationError("opening a sealed payment needs the gateway's X25519PrivateKey")
    info = _info(order_digest)
    try:
        plain = _SUITE.decrypt(sealed.enc + sealed.ciphertext, gateway_key, info=info)
    except (InvalidTag, ValueError):
        raise InvalidEnvelope(
            "the sealed payment part does not open: it was sealed for another gateway key or "
            "another order part, or it was altered"
        ) from None
    try:
        return PaymentPart.from_canonical_bytes(plain)
    except ValidationError:
        raise InvalidEnvelope("the sealed payment part does not hold a payment part") from None
