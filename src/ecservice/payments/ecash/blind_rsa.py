"""RSA blind signatures (RSABSSA) as specified in RFC 9474.

A blind signature lets a client obtain a signature on a message that the signer never sees. In
e-cash the bank signs a coin without learning its serial number, so the coin cannot be linked to
the withdrawal when it is spent. The protocol (RFC 9474, section 4) runs in four steps::

    client                                          signer
    ------                                          ------
    prepared = prepare(msg)                 (4.1)
    blinded_msg, inv = blind(pk, prepared)  (4.2)
                         ---- blinded_msg ---->
                                                    blind_sig = signer.blind_sign(blinded_msg) (4.3)
                         <---- blind_sig ------
    sig = finalize(pk, prepared, blind_sig, inv)  (4.4)

Anyone can then check ``verify(pk, prepared, sig)`` (4.5); ``sig`` is an ordinary RSASSA-PSS
signature over ``prepared``, so the client must keep (or transmit) the *prepared* message, not only
the original one.

Blinding and EMSA-PSS encoding are implemented here in Python (the blinding's public-key
arithmetic, ``r^e mod n`` and ``r^-1 mod n``, runs on GMP when ``gmpy2``, the ``hardened`` extra,
is installed, and on Python's integers otherwise: same results); verification is delegated to the
``cryptography`` package (the ``crypto`` extra of ecservice). The signer's private operation is
behind the :class:`BlindSigner` protocol: :class:`PurePythonBlindSigner` here, or the hardened
:class:`~ecservice.payments.ecash.hardened.HardenedBlindSigner` on GMP. Malformed input raises
:class:`~ecservice.errors.ValidationError`; a signature that does not verify, or a signer whose
output fails its self-check, raises :class:`~ecservice.errors.InvalidSignature`.
"""

from __future__ import annotations

import enum
import hashlib
import importlib
import math
import secrets
from collections.abc import Callable
from types import ModuleType
from typing import NamedTuple, Protocol, runtime_checkable

from cryptography.exceptions import InvalidSignature as _CryptographyInvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from ecservice.errors import InvalidSignature, ValidationError

__all__ = [
    "DEFAULT_VARIANT",
    "BlindSigner",
    "BlindingResult",
    "PurePythonBlindSigner",
    "RandomSource",
    "Variant",
    "blind",
    "blind_sign",
    "emsa_pss_encode",
    "finalize",
    "generate_key",
    "prepare",
    "private_key_from_numbers",
    "public_key_from_numbers",
    "verify",
]

RandomSource = Callable[[int], bytes]
"""A source of randomness, called with a length; returns that many random bytes.

The default everywhere is :func:`secrets.token_bytes`. Tests inject a deterministic source to
replay published test vectors; production code should never do so.
"""

_HASH_LEN = 48  # SHA-384 output length in bytes
_PREFIX_LEN = 32  # length of the random message prefix of the Randomized variants (RFC 9474, 4.1)
_MIN_KEY_BITS = 2048  # RFC 9474, section 6.2 / NIST SP 800-57
_TEST_KEY_BITS = 1024  # smallest size `cryptography` will generate
_MAX_KEY_BITS = 16384  # beyond this, generation takes hours


class Variant(enum.Enum):
    """The four RSABSSA variants of RFC 9474, section 5; all use SHA-384 and MGF1-SHA384.

    The value of each member is the RFC's name for it, so
    ``Variant("RSABSSA-SHA384-PSS-Randomized")`` looks a variant up by name. A key should be used
    with a single variant only (section 6.2).
    """

    PSS_RANDOMIZED = "RSABSSA-SHA384-PSS-Randomized"
    PSSZERO_RANDOMIZED = "RSABSSA-SHA384-PSSZERO-Randomized"
    PSS_DETERMINISTIC = "RSABSSA-SHA384-PSS-Deterministic"
    PSSZERO_DETERMINISTIC = "RSABSSA-SHA384-PSSZERO-Deterministic"

    @property
    def salt_length(self) -> int:
        """The PSS salt length in bytes (48 for the PSS variants, 0 for the PSSZERO variants)."""
        if self in (Variant.PSS_RANDOMIZED, Variant.PSS_DETERMINISTIC):
            return _HASH_LEN
        return 0

    @property
    def randomized(self) -> bool:
        """Whether :func:`prepare` prepends a 32-byte random prefix to the message."""
        return self in (Variant.PSS_RANDOMIZED, Variant.PSSZERO_RANDOMIZED)

    def _padding(self) -> padding.PSS:
        return padding.PSS(mgf=padding.MGF1(hashes.SHA384()), salt_length=self.salt_length)


DEFAULT_VARIANT = Variant.PSS_RANDOMIZED
"""The variant RFC 9474 recommends by default, RSABSSA-SHA384-PSS-Randomized."""


class BlindingResult(NamedTuple):
    """What :func:`blind` returns; unpacks as ``blinded_msg, inv = blind(...)``.

    Args:
        blinded_msg: The blinded message for the signer, ``modulus_len`` bytes.
        inv: The inverse of the blinding factor, ``modulus_len`` bytes (secret).
    """

    blinded_msg: bytes
    """The encoded and blinded message to send to the signer (``modulus_len`` bytes)."""
    inv: bytes
    """The inverse of the blinding factor (``modulus_len`` bytes); keep it secret for finalize."""


# --- helpers -------------------------------------------------------------------------------------


def _random(rng: RandomSource, length: int, what: str) -> bytes:
    data = rng(length)
    if len(data) != length:
        raise ValidationError(
            f"random source returned {len(data)} bytes for the {what}, expected {length}"
        )
    return bytes(data)


def _load_gmpy2() -> ModuleType | None:
    try:
        return importlib.import_module("gmpy2")
    except ImportError:
        return None


_GMP = _load_gmpy2()


def _pow_public(x: int, e: int, n: int) -> int:
    """``x^e mod n`` for a public exponent (GMP when available: about 10x faster)."""
    return int(_GMP.powmod(x, e, n)) if _GMP is not None else pow(x, e, n)


def _inverse(x: int, n: int) -> int:
    """``x^-1 mod n`` for x a unit mod n (GMP when available: about 40x faster)."""
    return int(_GMP.invert(x, n)) if _GMP is not None else pow(x, -1, n)


def _modulus_len(n: int) -> int:
    return (n.bit_length() + 7) // 8


def _random_unit(n: int, rng: RandomSource) -> int:
    """Draw r uniformly from [1, n) with gcd(r, n) == 1, by rejection sampling."""
    length = _modulus_len(n)
    mask = (1 << n.bit_length()) - 1
    while True:
        r = int.from_bytes(_random(rng, length, "blinding factor"), "big") & mask
        if 0 < r < n and math.gcd(r, n) == 1:
            return r


def _bytes(value: object, what: str) -> bytes:
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise ValidationError(f"{what} must be bytes, not {type(value).__name__}")
    return bytes(value)


def _public(value: object) -> rsa.RSAPublicKey:
    if not isinstance(value, rsa.RSAPublicKey):
        raise ValidationError(f"an RSA public key is needed, not {type(value).__name__}")
    return value


def _check_length(value: bytes, expected: int, what: str) -> int:
    value = _bytes(value, what)
    if len(value) != expected:
        raise ValidationError(
            f"{what} must be {expected} bytes (the modulus length), got {len(value)}"
        )
    return int.from_bytes(value, "big")


def _mgf1_sha384(seed: bytes, length: int) -> bytes:
    """MGF1 with SHA-384 (RFC 8017, appendix B.2.1)."""
    out = bytearray()
    counter = 0
    while len(out) < length:
        out += hashlib.sha384(seed + counter.to_bytes(4, "big")).digest()
        counter += 1
    return bytes(out[:length])


# --- protocol steps ------------------------------------------------------------------------------


def prepare(
    msg: bytes, variant: Variant = DEFAULT_VARIANT, rng: RandomSource = secrets.token_bytes
) -> bytes:
    """Prepare a message for blinding (RFC 9474, section 4.1).

    Args:
        msg: The message to be signed.
        variant: The RSABSSA variant.
        rng: Source of the 32-byte random prefix (used by the Randomized variants only).

    Returns:
        ``random(32) || msg`` for the Randomized variants, ``msg`` unchanged for the Deterministic
        ones. This prepared message is what gets signed and verified.
    """
    msg = _bytes(msg, "a message")
    if not variant.randomized:
        return msg
    return _random(rng, _PREFIX_LEN, "message prefix") + msg


def emsa_pss_encode(msg: bytes, em_bits: int, salt: bytes) -> bytes:
    """EMSA-PSS encoding with SHA-384 and MGF1-SHA384 (RFC 8017, section 9.1.1).

    Args:
        msg: The message to encode.
        em_bits: Maximal bit length of the integer form of the encoding; for an RSA modulus n this
            is ``n.bit_length() - 1``.
        salt: The salt; its length is the PSS salt length (may be empty).

    Returns:
        The encoded message of ``ceil(em_bits / 8)`` bytes.

    Raises:
        ValidationError: ``em_bits`` is too small for the hash and salt ("encoding error").
    """
    em_len = (em_bits + 7) // 8
    if em_len < _HASH_LEN + len(salt) + 2:
        raise ValidationError(
            f"encoding error: {em_bits} bits cannot hold a SHA-384 PSS encoding with a "
            f"{len(salt)}-byte salt (need at least {8 * (_HASH_LEN + len(salt) + 2) - 7} bits)"
        )
    m_hash = hashlib.sha384(msg).digest()
    h = hashlib.sha384(bytes(8) + m_hash + salt).digest()
    db = bytes(em_len - len(salt) - _HASH_LEN - 2) + b"\x01" + salt
    masked_db = bytearray(a ^ b for a, b in zip(db, _mgf1_sha384(h, len(db)), strict=True))
    masked_db[0] &= 0xFF >> (8 * em_len - em_bits)
    return bytes(masked_db) + h + b"\xbc"


def blind(
    public_key: rsa.RSAPublicKey,
    prepared_msg: bytes,
    variant: Variant = DEFAULT_VARIANT,
    rng: RandomSource = secrets.token_bytes,
) -> BlindingResult:
    """Encode and blind a prepared message (RFC 9474, section 4.2).

    Randomness is drawn from ``rng`` in this order: first the PSS salt (``variant.salt_length``
    bytes, not drawn for PSSZERO), then ``modulus_len`` bytes per candidate blinding factor r
    until one lies in [1, n) and is invertible mod n. Each blinding must use fresh randomness.

    Args:
        public_key: The signer's public key.
        prepared_msg: The output of :func:`prepare`.
        variant: The RSABSSA variant.
        rng: Source of the salt and of the blinding factor.

    Returns:
        ``(blinded_msg, inv)``: the message to send to the signer, and the inverse of the blinding
        factor needed by :func:`finalize`, both ``modulus_len`` bytes.

    Raises:
        ValidationError: The key is too small for the variant, or the encoded message is not
            invertible modulo n ("invalid input").
    """
    numbers = _public(public_key).public_numbers()
    n, e = numbers.n, numbers.e
    prepared_msg = _bytes(prepared_msg, "a prepared message")
    salt = _random(rng, variant.salt_length, "salt") if variant.salt_length else b""
    encoded_msg = emsa_pss_encode(prepared_msg, n.bit_length() - 1, salt)
    m = int.from_bytes(encoded_msg, "big")
    if math.gcd(m, n) != 1:
        raise ValidationError("invalid input: the encoded message is not invertible modulo n")
    r = _random_unit(n, rng)
    inv = _inverse(r, n)
    z = m * _pow_public(r, e, n) % n
    k = _modulus_len(n)
    return BlindingResult(z.to_bytes(k, "big"), inv.to_bytes(k, "big"))


@runtime_checkable
class BlindSigner(Protocol):
    """Anything that can perform the signer's step (RFC 9474, section 4.3) for one key.

    Implementations must return ``modulus_len`` bytes and should check their own output (``s^e
    mod n == m``) before returning it; :func:`finalize` verifies the unblinded signature anyway.
    """

    @property
    def public_key(self) -> rsa.RSAPublicKey:
        """The public key matching the signing key."""

    def blind_sign(self, blinded_msg: bytes) -> bytes:
        """Sign a blinded message and return the blind signature."""


#: How many signatures reuse one (squared) blinding pair before a fresh one is drawn.
_BLINDING_REFRESH = 32


class PurePythonBlindSigner:
    """A :class:`BlindSigner` doing the RSA private operation in pure Python (RFC 9474, 4.3).

    Warning:
        This signer is **NOT constant-time**. Python's big-integer arithmetic (``pow``, ``%``,
        multiplication) takes time that depends on the secret values, so an attacker who can time
        many signing operations may learn the private key. Each operation is therefore masked with
        RSA blinding (the input is multiplied by ``r^e`` for a random r before the private
        operation and the result by ``r^-1`` after; the pair is squared between uses and drawn
        afresh every 32 signatures), which *reduces but does not remove* the leak. For
        production, use a hardened signer (an HSM, or a constant-time library) through the
        :class:`BlindSigner` protocol instead.

    Every signature is checked before it is returned (``s^e mod n == m``, as section 4.3
    requires), so a fault in the private operation cannot leak the key through a bad signature.

    Args:
        private_key: The signing key.
        rng: Source of the side-channel blinding factors.

    Raises:
        ValidationError: ``private_key`` is not an RSA private key.
    """

    def __init__(
        self, private_key: rsa.RSAPrivateKey, *, rng: RandomSource = secrets.token_bytes
    ) -> None:
        if not isinstance(private_key, rsa.RSAPrivateKey):
            raise ValidationError(
                f"a signing key must be an RSA private key, not {type(private_key).__name__}"
            )
        numbers = private_key.private_numbers()
        self._public_key = private_key.public_key()
        self._n = numbers.public_numbers.n
        self._e = numbers.public_numbers.e
        self._p, self._q = numbers.p, numbers.q
        self._dp, self._dq, self._qinv = numbers.dmp1, numbers.dmq1, numbers.iqmp
        self._rng = rng
        # The side-channel blinding pair (r^e, r^-1): drawn fresh, then squared on each use and
        # drawn fresh again every _BLINDING_REFRESH uses (as OpenSSL's BN_BLINDING does), which
        # saves two modular exponentiations per signature.
        self._blinding: tuple[int, int] | None = None
        self._blinding_uses = 0

    @property
    def public_key(self) -> rsa.RSAPublicKey:
        """The public key matching the signing key."""
        return self._public_key

    def _next_blinding(self) -> tuple[int, int]:
        """The next ``(r^e mod n, r^-1 mod n)`` pair for masking the private operation."""
        n = self._n
        if self._blinding is None or self._blinding_uses >= _BLINDING_REFRESH:
            r = _random_unit(n, self._rng)
            self._blinding = (pow(r, self._e, n), pow(r, -1, n))
            self._blinding_uses = 0
        else:
            mask, unmask = self._blinding
            self._blinding = (mask * mask % n, unmask * unmask % n)
        self._blinding_uses += 1
        return self._blinding

    def _private_op(self, c: int) -> int:
        """RSASP1 via the Chinese remainder theorem (RFC 8017, section 5.2.1, case 2.b)."""
        s1 = pow(c % self._p, self._dp, self._p)
        s2 = pow(c % self._q, self._dq, self._q)
        h = self._qinv * (s1 - s2) % self._p
        return s2 + h * self._q

    def blind_sign(self, blinded_msg: bytes) -> bytes:
        """Sign a blinded message (RFC 9474, section 4.3).

        Args:
            blinded_msg: The ``blinded_msg`` produced by :func:`blind`.

        Returns:
            The blind signature, ``modulus_len`` bytes.

        Raises:
            ValidationError: ``blinded_msg`` has the wrong length ("unexpected input size") or is
                not less than n ("message representative out of range").
            InvalidSignature: The computed signature fails its self-check ("signing failure").
        """
        n, e = self._n, self._e
        k = _modulus_len(n)
        m = _check_length(blinded_msg, k, "blinded message")
        if m >= n:
            raise ValidationError("message representative out of range: blinded message >= n")
        mask, unmask = self._next_blinding()
        s = self._private_op(m * mask % n) * unmask % n
        if pow(s, e, n) != m:
            raise InvalidSignature("signing failure: the blind signature fails its self-check")
        return s.to_bytes(k, "big")


def blind_sign(
    private_key: rsa.RSAPrivateKey,
    blinded_msg: bytes,
    *,
    rng: RandomSource = secrets.token_bytes,
) -> bytes:
    """Sign a blinded message with :class:`PurePythonBlindSigner` (RFC 9474, section 4.3).

    Not constant-time; see :class:`PurePythonBlindSigner`. A long-lived service should build the
    signer once (or use a hardened :class:`BlindSigner`) rather than call this per request.

    Args:
        private_key: The signing key.
        blinded_msg: The ``blinded_msg`` produced by :func:`blind`.
        rng: Source of the side-channel blinding factor.

    Returns:
        The blind signature, ``modulus_len`` bytes.

    Raises:
        ValidationError: ``blinded_msg`` is malformed.
        InvalidSignature: The signature fails its self-check.
    """
    return PurePythonBlindSigner(private_key, rng=rng).blind_sign(blinded_msg)


def finalize(
    public_key: rsa.RSAPublicKey,
    prepared_msg: bytes,
    blind_sig: bytes,
    inv: bytes,
    variant: Variant = DEFAULT_VARIANT,
) -> bytes:
    """Unblind a blind signature and verify the result (RFC 9474, section 4.4).

    Args:
        public_key: The signer's public key.
        prepared_msg: The prepared message given to :func:`blind`.
        blind_sig: The signer's blind signature.
        inv: The ``inv`` returned by :func:`blind`.
        variant: The RSABSSA variant used by :func:`blind`.

    Returns:
        The RSASSA-PSS signature of ``prepared_msg``, ``modulus_len`` bytes.

    Raises:
        ValidationError: ``blind_sig`` or ``inv`` has the wrong length or is out of range.
        InvalidSignature: The unblinded signature does not verify (wrong key, wrong message, or a
            faulty signer).
    """
    n = _public(public_key).public_numbers().n
    k = _modulus_len(n)
    z = _check_length(blind_sig, k, "blind signature")
    inv_int = _check_length(inv, k, "inv")
    if z >= n:
        raise ValidationError("blind signature out of range: it must be less than n")
    if not 0 < inv_int < n:
        raise ValidationError("inv out of range: it must be in [1, n)")
    sig = (z * inv_int % n).to_bytes(k, "big")
    verify(public_key, prepared_msg, sig, variant)
    return sig


def verify(
    public_key: rsa.RSAPublicKey,
    prepared_msg: bytes,
    sig: bytes,
    variant: Variant = DEFAULT_VARIANT,
) -> None:
    """Verify a finalized signature as RSASSA-PSS with SHA-384 (RFC 9474, section 4.5).

    Verification is done by the ``cryptography`` package.

    Args:
        public_key: The signer's public key.
        prepared_msg: The prepared message (for Randomized variants, including the prefix).
        sig: The signature returned by :func:`finalize`.
        variant: The RSABSSA variant the signature was made with.

    Raises:
        ValidationError: ``sig`` is not ``modulus_len`` bytes long.
        InvalidSignature: The signature does not verify.
    """
    k = _modulus_len(_public(public_key).public_numbers().n)
    _check_length(sig, k, "signature")
    prepared_msg = _bytes(prepared_msg, "a prepared message")
    sig = bytes(sig)
    try:
        public_key.verify(sig, prepared_msg, variant._padding(), hashes.SHA384())
    except _CryptographyInvalidSignature:
        raise InvalidSignature(
            f"invalid signature: it does not verify as {variant.value} under this key"
        ) from None


# --- keys ----------------------------------------------------------------------------------------


def public_key_from_numbers(n: int, e: int) -> rsa.RSAPublicKey:
    """Build an RSA public key from its modulus and public exponent.

    Raises:
        ValidationError: The numbers do not form a valid RSA public key.
    """
    try:
        return rsa.RSAPublicNumbers(e, n).public_key()
    except ValueError as exc:
        raise ValidationError(f"invalid RSA public key numbers: {exc}") from None


def private_key_from_numbers(n: int, e: int, d: int, p: int, q: int) -> rsa.RSAPrivateKey:
    """Build an RSA private key from (n, e, d, p, q), as given in the RFC 9474 test vectors.

    The CRT components dp, dq and qinv are derived from d, p and q.

    Raises:
        ValidationError: The numbers are inconsistent (for instance ``n != p * q``).
    """
    if n != p * q:
        raise ValidationError("invalid RSA private key numbers: n != p * q")
    numbers = rsa.RSAPrivateNumbers(
        p=p,
        q=q,
        d=d,
        dmp1=rsa.rsa_crt_dmp1(d, p),
        dmq1=rsa.rsa_crt_dmq1(d, q),
        iqmp=rsa.rsa_crt_iqmp(p, q),
        public_numbers=rsa.RSAPublicNumbers(e, n),
    )
    try:
        return numbers.private_key()
    except ValueError as exc:
        raise ValidationError(f"invalid RSA private key numbers: {exc}") from None


def generate_key(bits: int = 2048, *, allow_weak_key_for_tests: bool = False) -> rsa.RSAPrivateKey:
    """Generate a fresh RSA signing key with public exponent 65537.

    Args:
        bits: The modulus size; at least 2048.
        allow_weak_key_for_tests: Allow sizes down to 1024 bits. Only for fast tests: such keys
            are not secure.

    Raises:
        ValidationError: ``bits`` is below the allowed minimum.
    """
    minimum = _TEST_KEY_BITS if allow_weak_key_for_tests else _MIN_KEY_BITS
    if isinstance(bits, bool) or not isinstance(bits, int):
        raise ValidationError(f"key size must be an int, not {type(bits).__name__}")
    if bits < minimum:
        raise ValidationError(f"key size must be at least {minimum} bits, got {bits}")
    if bits > _MAX_KEY_BITS:
        raise ValidationError(f"key size must be at most {_MAX_KEY_BITS} bits")
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)
