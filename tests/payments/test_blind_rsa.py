"""Tests of the RFC 9474 RSA blind signatures in :mod:`ecservice.payments.ecash.blind_rsa`."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import given, settings
from hypothesis import strategies as st

from ecservice.errors import InvalidSignature, ValidationError
from ecservice.payments.ecash.blind_rsa import (
    DEFAULT_VARIANT,
    BlindSigner,
    PurePythonBlindSigner,
    Variant,
    blind,
    blind_sign,
    emsa_pss_encode,
    finalize,
    generate_key,
    prepare,
    private_key_from_numbers,
    public_key_from_numbers,
    verify,
)

VECTORS_PATH = Path(__file__).parent.parent / "data" / "rfc9474-test-vectors.json"
VECTORS: dict[str, dict[str, str]] = {
    v["variant"]: v for v in json.loads(VECTORS_PATH.read_text(encoding="utf-8"))
}
PROPERTY_SETTINGS = settings(max_examples=25, deadline=None)


def scripted_rng(*chunks: bytes) -> Callable[[int], bytes]:
    """An rng returning the given chunks in order, checking that each is requested at its size."""
    queue = list(chunks)

    def rng(size: int) -> bytes:
        assert queue, f"unexpected extra draw of {size} bytes"
        chunk = queue.pop(0)
        assert len(chunk) == size, f"draw of {size} bytes, scripted {len(chunk)}"
        return chunk

    return rng


def _int(vector: dict[str, str], name: str) -> int:
    return int(vector[name], 16)


# --- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return generate_key(1024, allow_weak_key_for_tests=True)


@pytest.fixture(scope="module")
def other_key() -> rsa.RSAPrivateKey:
    return generate_key(1024, allow_weak_key_for_tests=True)


@pytest.fixture(scope="module")
def signer(key: rsa.RSAPrivateKey) -> PurePythonBlindSigner:
    return PurePythonBlindSigner(key)


def run_protocol(
    signer: BlindSigner, msg: bytes, variant: Variant = DEFAULT_VARIANT
) -> tuple[bytes, bytes]:
    """Run prepare/blind/blind_sign/finalize; return (prepared_msg, sig)."""
    prepared = prepare(msg, variant)
    blinded_msg, inv = blind(signer.public_key, prepared, variant)
    sig = finalize(signer.public_key, prepared, signer.blind_sign(blinded_msg), inv, variant)
    return prepared, sig


# --- RFC 9474 test vectors (appendix A) ---------------------------------------------------------


def test_vector_file_covers_every_variant() -> None:
    assert set(VECTORS) == {v.value for v in Variant}


@pytest.mark.parametrize("name", [v.value for v in Variant])
def test_rfc9474_vector(name: str) -> None:
    vec = VECTORS[name]
    variant = Variant(name)
    n, e = _int(vec, "n"), _int(vec, "e")
    private_key = private_key_from_numbers(n, e, _int(vec, "d"), _int(vec, "p"), _int(vec, "q"))
    public_key = private_key.public_key()
    assert public_key.public_numbers() == public_key_from_numbers(n, e).public_numbers()
    msg, msg_prefix, salt = (bytes.fromhex(vec[f]) for f in ("msg", "msg_prefix", "salt"))
    assert len(salt) == variant.salt_length
    assert len(msg_prefix) == (32 if variant.randomized else 0)

    # 4.1 Prepare: the prefix is drawn from the rng only for Randomized variants.
    prepared = prepare(msg, variant, scripted_rng(msg_prefix) if msg_prefix else scripted_rng())
    assert prepared.hex() == vec["prepared_msg"]

    # EMSA-PSS encoding with the vector's salt.
    assert emsa_pss_encode(prepared, n.bit_length() - 1, salt).hex() == vec["encoded_msg"]

    # 4.2 Blind: the rng yields the salt, then the blinding factor r = inv^-1 mod n.
    r = pow(_int(vec, "inv"), -1, n)
    k = (n.bit_length() + 7) // 8
    chunks = ([salt] if salt else []) + [r.to_bytes(k, "big")]
    blinded_msg, inv = blind(public_key, prepared, variant, scripted_rng(*chunks))
    assert inv.hex() == vec["inv"]
    assert blinded_msg.hex() == vec["blinded_msg"]

    # 4.3 BlindSign (deterministic output whatever the side-channel blinding factor).
    blind_sig = blind_sign(private_key, blinded_msg)
    assert blind_sig.hex() == vec["blind_sig"]

    # 4.4 Finalize and 4.5 Verify.
    sig = finalize(public_key, prepared, blind_sig, inv, variant)
    assert sig.hex() == vec["sig"]
    verify(public_key, prepared, sig, variant)


# --- variants and round trips --------------------------------------------------------------------


def test_variant_properties() -> None:
    assert DEFAULT_VARIANT is Variant.PSS_RANDOMIZED
    assert [(v.salt_length, v.randomized) for v in Variant] == [
        (48, True),
        (0, True),
        (48, False),
        (0, False),
    ]


def test_prepare_deterministic_returns_message_unchanged() -> None:
    assert prepare(b"coin", Variant.PSS_DETERMINISTIC) == b"coin"


@pytest.mark.parametrize("variant", list(Variant))
def test_round_trip_with_generated_key(signer: PurePythonBlindSigner, variant: Variant) -> None:
    prepared, sig = run_protocol(signer, b"serial number 42", variant)
    assert len(sig) == 128
    verify(signer.public_key, prepared, sig, variant)


def test_pure_python_signer_satisfies_protocol(signer: PurePythonBlindSigner) -> None:
    assert isinstance(signer, BlindSigner)


@PROPERTY_SETTINGS
@given(msg=st.binary(max_size=200), variant=st.sampled_from(Variant))
def test_any_message_round_trips(
    signer: PurePythonBlindSigner, msg: bytes, variant: Variant
) -> None:
    prepared, sig = run_protocol(signer, msg, variant)
    verify(signer.public_key, prepared, sig, variant)


@PROPERTY_SETTINGS
@given(msg=st.binary(max_size=64), bit=st.integers(min_value=0, max_value=1024 - 1))
def test_flipped_signature_bit_is_rejected(
    signer: PurePythonBlindSigner, msg: bytes, bit: int
) -> None:
    prepared, sig = run_protocol(signer, msg)
    tampered = bytearray(sig)
    tampered[bit // 8] ^= 1 << (bit % 8)
    with pytest.raises(InvalidSignature):
        verify(signer.public_key, prepared, bytes(tampered))


@PROPERTY_SETTINGS
@given(msg=st.binary(max_size=64), variant=st.sampled_from(Variant))
def test_other_key_is_rejected(
    signer: PurePythonBlindSigner, other_key: rsa.RSAPrivateKey, msg: bytes, variant: Variant
) -> None:
    prepared, sig = run_protocol(signer, msg, variant)
    with pytest.raises(InvalidSignature):
        verify(other_key.public_key(), prepared, sig, variant)


@PROPERTY_SETTINGS
@given(msg=st.binary(max_size=64), other=st.binary(max_size=64), variant=st.sampled_from(Variant))
def test_altered_message_is_rejected(
    signer: PurePythonBlindSigner, msg: bytes, other: bytes, variant: Variant
) -> None:
    prepared, sig = run_protocol(signer, msg, variant)
    altered = prepared[: len(prepared) - len(msg)] + other
    if altered == prepared:
        altered += b"\x00"
    with pytest.raises(InvalidSignature):
        verify(signer.public_key, altered, sig, variant)


def test_signature_of_one_variant_fails_under_the_other_salt_length(
    signer: PurePythonBlindSigner,
) -> None:
    prepared, sig = run_protocol(signer, b"coin", Variant.PSS_DETERMINISTIC)
    with pytest.raises(InvalidSignature):
        verify(signer.public_key, prepared, sig, Variant.PSSZERO_DETERMINISTIC)


# --- blindness ----------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", [Variant.PSS_RANDOMIZED, Variant.PSSZERO_RANDOMIZED])
def test_signer_never_sees_the_message(signer: PurePythonBlindSigner, variant: Variant) -> None:
    public_key = signer.public_key
    n = public_key.public_numbers().n
    prepared = prepare(b"coin", variant)
    salt = secrets.token_bytes(variant.salt_length)
    encoded = emsa_pss_encode(prepared, n.bit_length() - 1, salt)
    r = 1 + secrets.randbelow(n - 1)  # a unit mod n except with negligible probability
    rng = scripted_rng(*([salt] if salt else []), r.to_bytes(128, "big"))
    blinded_msg, _ = blind(public_key, prepared, variant, rng)
    assert blinded_msg != encoded
    assert prepared not in blinded_msg
    # Two blindings of the same message, and two preparations of it, are unrelated.
    assert blind(public_key, prepared, variant).blinded_msg != blinded_msg
    assert prepare(b"coin", variant) != prepared


# --- the signer's self-check --------------------------------------------------------------------


class CorruptedSigner(PurePythonBlindSigner):
    """A signer whose private operation is faulty (e.g. a fault-injected CRT half)."""

    def _private_op(self, c: int) -> int:
        return super()._private_op(c) + 1


class LyingSigner:
    """A :class:`BlindSigner` that returns a well-formed but wrong blind signature."""

    def __init__(self, public_key: rsa.RSAPublicKey) -> None:
        self._public_key = public_key

    @property
    def public_key(self) -> rsa.RSAPublicKey:
        return self._public_key

    def blind_sign(self, blinded_msg: bytes) -> bytes:
        return (int.from_bytes(blinded_msg, "big") // 2).to_bytes(len(blinded_msg), "big")


def test_corrupted_private_operation_fails_self_check(key: rsa.RSAPrivateKey) -> None:
    corrupted = CorruptedSigner(key)
    blinded_msg, _ = blind(corrupted.public_key, prepare(b"coin"))
    with pytest.raises(InvalidSignature, match="self-check"):
        corrupted.blind_sign(blinded_msg)


def test_finalize_rejects_a_lying_signer(key: rsa.RSAPrivateKey) -> None:
    liar = LyingSigner(key.public_key())
    assert isinstance(liar, BlindSigner)
    with pytest.raises(InvalidSignature):
        run_protocol(liar, b"coin")


# --- malformed input ------------------------------------------------------------------------------


def test_malformed_input_is_rejected(key: rsa.RSAPrivateKey) -> None:
    public_key = key.public_key()
    n = public_key.public_numbers().n
    prepared = prepare(b"coin")
    blinded_msg, inv = blind(public_key, prepared)
    blind_sig = blind_sign(key, blinded_msg)
    cases: list[tuple[Callable[[], object], str]] = [
        (lambda: blind_sign(key, blinded_msg[1:]), "must be 128 bytes"),
        (lambda: blind_sign(key, n.to_bytes(128, "big")), "out of range"),
        (lambda: blind_sign(key, b"\xff" * 128), "out of range"),
        (lambda: finalize(public_key, prepared, blind_sig + b"\x00", inv), "blind signature"),
        (lambda: finalize(public_key, prepared, blind_sig, inv[:-1]), "inv"),
        (lambda: finalize(public_key, prepared, blind_sig, bytes(128)), "inv out of range"),
        (lambda: finalize(public_key, prepared, b"\xff" * 128, inv), "out of range"),
        (lambda: verify(public_key, prepared, bytes(127)), "signature must be 128 bytes"),
        (lambda: emsa_pss_encode(b"coin", 8 * 98 - 8, bytes(48)), "encoding error"),
        (lambda: prepare(b"coin", rng=lambda size: bytes(size - 1)), "random source"),
        (lambda: generate_key(1024), "at least 2048 bits"),
        (lambda: generate_key(512, allow_weak_key_for_tests=True), "at least 1024 bits"),
        (lambda: private_key_from_numbers(15, 3, 3, 3, 7), "n != p \\* q"),
        (lambda: public_key_from_numbers(n, 2), "invalid RSA public key"),
    ]
    for call, message in cases:
        with pytest.raises(ValidationError, match=message):
            call()


def test_emsa_pss_encode_minimum_size_is_accepted() -> None:
    em_bits = 8 * 98 - 7
    encoded = emsa_pss_encode(b"coin", em_bits, bytes(48))
    assert len(encoded) == 98
    assert encoded[-1] == 0xBC
    assert encoded[0] >> 7 == 0


def test_side_channel_blinding_pair_is_reused_and_refreshed(key: rsa.RSAPrivateKey) -> None:
    """The signer squares its blinding pair between signatures and draws a fresh one every 32:
    over 70 signatures every one is still correct, and exactly 3 fresh pairs are drawn."""
    drawn: list[int] = []

    def counting_rng(size: int) -> bytes:
        # A leading zero byte keeps every draw below n, so rejection sampling never retries and
        # each call is one pair (a draw sharing a factor with n has probability ~2^-1000).
        drawn.append(size)
        return b"\x00" + secrets.token_bytes(size - 1)

    signer = PurePythonBlindSigner(key, rng=counting_rng)
    public = key.public_key()
    for i in range(70):
        prepared = prepare(f"coin {i}".encode(), Variant.PSS_DETERMINISTIC)
        blinded, inv = blind(public, prepared, Variant.PSS_DETERMINISTIC)
        sig = finalize(public, prepared, signer.blind_sign(blinded), inv, Variant.PSS_DETERMINISTIC)
        verify(public, prepared, sig, Variant.PSS_DETERMINISTIC)
    assert len(drawn) == 3  # signatures 1, 33 and 65 draw a fresh pair


def test_blinding_gives_the_same_result_with_and_without_gmp(
    key: rsa.RSAPrivateKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The blinding arithmetic runs on GMP when gmpy2 is installed, on Python ints otherwise."""
    import ecservice.payments.ecash.blind_rsa as module

    draws = [secrets.token_bytes(48), bytes(1) + secrets.token_bytes(127)]  # r < n: one draw
    prepared = prepare(b"coin", Variant.PSS_DETERMINISTIC)
    with_default = blind(key.public_key(), prepared, rng=scripted_rng(*draws))
    monkeypatch.setattr(module, "_GMP", None)
    without_gmp = blind(key.public_key(), prepared, rng=scripted_rng(*draws))
    assert with_default == without_gmp
