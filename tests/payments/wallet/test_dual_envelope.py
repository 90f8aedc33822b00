"""The digital envelope: HPKE (RFC 9180) base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
AES-128-GCM, binding the format version and the order part's digest."""

from __future__ import annotations

import attrs
import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.bindings._rust import openssl as _rust_openssl
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from ecservice.errors import InvalidSignature, ValidationError
from ecservice.payments.wallet import (
    SEALED_PAYMENT_INFO,
    InvalidEnvelope,
    SealedPayment,
    open_payment,
    seal_payment,
    x25519_public_bytes,
)
from ecservice.payments.wallet._envelope import _SUITE
from tests.payments.wallet.dual_rig import TOKEN, Rig, make_rig

# RFC 9180, appendix A.1.1: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM, base mode.
RFC_SKRM = "4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8"
RFC_PKRM = "3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d"
RFC_ENC = "37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431"
RFC_INFO = "4f6465206f6e2061204772656369616e2055726e"  # "Ode on a Grecian Urn"
RFC_PT = "4265617574792069732074727574682c20747275746820626561757479"  # "Beauty is truth, ..."
RFC_AAD = "436f756e742d30"  # "Count-0"
RFC_CT = (
    "f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a96d8770ac83d07bea87e13c512a"
)


@pytest.fixture
def rig() -> Rig:
    return make_rig()


def test_the_suite_opens_rfc_9180s_published_vector() -> None:
    """The envelope's suite decrypts RFC 9180 A.1.1 (sequence 0) to its plaintext; one bit of the
    ciphertext changed, it refuses."""
    recipient = X25519PrivateKey.from_private_bytes(bytes.fromhex(RFC_SKRM))
    assert x25519_public_bytes(recipient).hex() == RFC_PKRM
    assert x25519_public_bytes(recipient.public_key()).hex() == RFC_PKRM
    sealed = bytes.fromhex(RFC_ENC + RFC_CT)
    # The RFC's vectors all carry associated data, which only this entry point takes.
    decrypt = _rust_openssl.hpke._decrypt_with_aad
    plain = decrypt(
        _SUITE, sealed, recipient, info=bytes.fromhex(RFC_INFO), aad=bytes.fromhex(RFC_AAD)
    )
    assert plain == bytes.fromhex(RFC_PT) == b"Beauty is truth, truth beauty"
    flipped = sealed[:-1] + bytes([sealed[-1] ^ 1])
    with pytest.raises(InvalidTag):
        decrypt(
            _SUITE, flipped, recipient, info=bytes.fromhex(RFC_INFO), aad=bytes.fromhex(RFC_AAD)
        )


def test_the_info_binds_the_format_version_and_the_order_digest(rig: Rig) -> None:
    """The envelope opens with HPKE and info = version || 0x00 || order digest, and only so."""
    signed = rig.purchase(card=TOKEN)
    raw = signed.sealed_payment.enc + signed.sealed_payment.ciphertext
    info = SEALED_PAYMENT_INFO + b"\x00" + signed.order.digest()
    plain = _SUITE.decrypt(raw, rig.gateway_key, info=info)
    assert TOKEN.encode() in plain
    assert SEALED_PAYMENT_INFO == b"ecservice.wallet.sealed-payment/1"
    other_version = b"ecservice.wallet.sealed-payment/2\x00" + info[-32:]
    with pytest.raises(InvalidTag):
        _SUITE.decrypt(raw, rig.gateway_key, info=other_version)


def test_sealed_for_one_gateway_key_cannot_be_opened_by_another(rig: Rig) -> None:
    """Another gateway's private key does not open the envelope."""
    signed = rig.purchase()
    with pytest.raises(InvalidEnvelope, match="another gateway key"):
        open_payment(signed.sealed_payment, X25519PrivateKey.generate(), signed.order.digest())
    assert issubclass(InvalidEnvelope, InvalidSignature)


def test_an_envelope_moved_to_another_order_part_does_not_open(rig: Rig) -> None:
    """Opened with another purchase's order digest, the envelope refuses."""
    first, second = rig.purchase(reference="order A"), rig.purchase(reference="order A")
    with pytest.raises(InvalidEnvelope):
        open_payment(first.sealed_payment, rig.gateway_key, second.order.digest())


@pytest.mark.parametrize("field", ["enc", "ciphertext"])
def test_any_altered_byte_of_the_envelope_refuses(rig: Rig, field: str) -> None:
    """Changing one bit anywhere in enc or the ciphertext makes the envelope refuse."""
    signed = rig.purchase()
    data = getattr(signed.sealed_payment, field)
    for index in (0, len(data) // 2, len(data) - 1):
        changed = data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1 :]
        sealed = attrs.evolve(signed.sealed_payment, **{field: changed})
        with pytest.raises(InvalidEnvelope):
            open_payment(sealed, rig.gateway_key, signed.order.digest())


def test_an_envelope_holding_something_else_is_refused(rig: Rig) -> None:
    """Sealed properly but not holding a canonical payment part: refused, not parsed."""
    digest = rig.purchase().order.digest()
    raw = _SUITE.encrypt(
        b'{"type":"other"}',
        rig.gateway_key.public_key(),
        info=SEALED_PAYMENT_INFO + b"\x00" + digest,
    )
    sealed = SealedPayment(enc=raw[:32], ciphertext=raw[32:])
    with pytest.raises(InvalidEnvelope, match="does not hold a payment part"):
        open_payment(sealed, rig.gateway_key, digest)


def test_envelope_arguments_are_checked(rig: Rig) -> None:
    """Malformed envelopes, keys and digests raise ValidationError."""
    signed = rig.purchase()
    payment = open_payment(signed.sealed_payment, rig.gateway_key, signed.order.digest())
    with pytest.raises(ValidationError, match="enc"):
        SealedPayment(enc=b"\x00" * 31, ciphertext=b"\x00" * 40)
    with pytest.raises(ValidationError, match="tag"):
        SealedPayment(enc=b"\x00" * 32, ciphertext=b"\x00" * 16)
    with pytest.raises(ValidationError, match="X25519"):
        seal_payment(payment, b"\x00" * 33, signed.order.digest())
    with pytest.raises(ValidationError, match="32 bytes"):
        seal_payment(payment, rig.gateway.sealing_public_key, b"short")
    with pytest.raises(ValidationError, match="PaymentPart"):
        seal_payment(signed.order, rig.gateway.sealing_public_key, signed.order.digest())  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="X25519PrivateKey"):
        open_payment(signed.sealed_payment, rig.gateway.sealing_public_key, signed.order.digest())  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="SealedPayment"):
        open_payment(b"", rig.gateway_key, signed.order.digest())  # type: ignore[arg-type]


def test_sealing_twice_gives_different_envelopes_that_open_to_the_same_part(rig: Rig) -> None:
    """Each envelope has a fresh ephemeral key; both open to the same payment part."""
    signed = rig.purchase()
    digest = signed.order.digest()
    payment = open_payment(signed.sealed_payment, rig.gateway_key, digest)
    again = seal_payment(payment, rig.gateway_key.public_key(), digest)
    assert again.enc != signed.sealed_payment.enc
    assert open_payment(again, rig.gateway_key, digest) == payment


def test_a_low_order_gateway_key_is_refused(rig: Rig) -> None:
    signed = rig.purchase()
    payment = open_payment(signed.sealed_payment, rig.gateway_key, signed.order.digest())
    with pytest.raises(InvalidEnvelope, match="low-order"):
        seal_payment(payment, bytes(32), signed.order.digest())
