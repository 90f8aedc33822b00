"""A hardened RSA blind signer on GMP, through ``gmpy2``.

:class:`HardenedBlindSigner`, a :class:`~ecservice.payments.ecash.blind_rsa.BlindSigner`,
performs the signer's step of RFC 9474 (section 4.3, RSASP1 of
RFC 8017 section 5.2.1) with GMP's side-channel-resistant modular exponentiation,
``gmpy2.powmod_sec`` (GMP's ``mpz_powm_sec``: its running time and memory access pattern do not
depend on the exponent's or the base's bits). The private operation uses the Chinese remainder
theorem (two half-size exponentiations with ``dP`` and ``dQ``, then Garner's recombination with
``qInv``), and every signature is masked with a fresh RSA blinding factor: the input is
multiplied by ``r^e`` and the result by ``r^-1`` for a random ``r``, so the operands of the
recombination and of the exponentiations are unrelated to the message the mint was sent. Each
signature is checked (``s^e mod n == m``) before it is returned, as section 4.3 requires, so a
fault in the computation cannot leak the key through a wrong signature.

Install it with the ``hardened`` extra (``pip install ecservice[hardened]``); without ``gmpy2``
this module imports, :data:`AVAILABLE` is ``False`` and building a signer raises
:class:`~ecservice.errors.ValidationError`.

>>> from ecservice.payments.ecash import blind, finalize, generate_key, prepare
>>> key = generate_key(1024, allow_weak_key_for_tests=True)
>>> signer = HardenedBlindSigner(key)
>>> msg = prepare(b"coin")
>>> blinded, inverse = blind(key.public_key(), msg)
>>> len(finalize(key.public_key(), msg, signer.blind_sign(blinded), inverse))
128

With a :class:`~ecservice.payments.ecash.Mint`, pass it as the denomination's signer:
``mint.add_denomination(value, signer=HardenedBlindSigner(private_key), ...)``.
"""

from __future__ import annotations

import importlib
import secrets
from types import ModuleType
from typing import Any, Final, final

from cryptography.hazmat.primitives.asymmetric import rsa

from ecservice.errors import InvalidSignature, ValidationError
from ecservice.payments.ecash._ledger import SELF_CHECKING_SIGNERS
from ecservice.payments.ecash.blind_rsa import RandomSource

__all__ = ["AVAILABLE", "HardenedBlindSigner"]


def _load() -> ModuleType | None:
    try:
        return importlib.import_module("gmpy2")
    except ImportError:
        return None


_gmpy2: Final = _load()

#: ``True`` when ``gmpy2`` is installed and :class:`HardenedBlindSigner` can be used.
AVAILABLE: Final = _gmpy2 is not None and hasattr(_gmpy2, "powmod_sec")


def _random_below(n: Any, rng: RandomSource) -> Any:
    """A uniform random integer in [1, n) coprime to n, as a GMP integer (rejection sampling)."""
    assert _gmpy2 is not None
    length = (int(n).bit_length() + 7) // 8 + 8  # 64 extra bits: negligible modulo bias
    while True:
        raw = rng(length)
        if not isinstance(raw, bytes) or len(raw) != length:
            raise ValidationError(f"the random source must return {length} bytes")
        r = _gmpy2.mpz(int.from_bytes(raw, "big")) % n
        if r > 1 and _gmpy2.gcd(r, n) == 1:
            return r


@final
class HardenedBlindSigner:
    """A :class:`~ecservice.payments.ecash.blind_rsa.BlindSigner` on GMP's constant-time powmod.

    Per signature: a fresh blinding factor ``r`` (from ``rng``), ``c = m * r^e mod n``, the two
    CRT exponentiations ``c^dP mod p`` and ``c^dQ mod q`` with ``gmpy2.powmod_sec``, Garner's
    recombination, unblinding by ``r^-1 mod n`` and the check ``s^e mod n == m``.

    Args:
        private_key: The signing key (any size ``cryptography`` accepts; 2048 bits or more in
            production).
        rng: Source of the blinding factors; the operating system's CSPRNG unless told.

    Raises:
        ValidationError: ``gmpy2`` is not installed (install ``ecservice[hardened]``), or
            ``private_key`` is not an RSA private key.
    """

    __slots__ = ("_dp", "_dq", "_e", "_k", "_n", "_p", "_public_key", "_q", "_qinv", "_rng")

    def __init__(
        self, private_key: rsa.RSAPrivateKey, *, rng: RandomSource = secrets.token_bytes
    ) -> None:
        if _gmpy2 is None or not AVAILABLE:
            raise ValidationError(
                "HardenedBlindSigner needs gmpy2 (GMP's constant-time powmod_sec): install "
                "ecservice[hardened], or use PurePythonBlindSigner"
            )
        if not isinstance(private_key, rsa.RSAPrivateKey):
            raise ValidationError(
                f"a signing key must be an RSA private key, not {type(private_key).__name__}"
            )
        numbers = private_key.private_numbers()
        mpz = _gmpy2.mpz
        self._public_key = private_key.public_key()
        self._n = mpz(numbers.public_numbers.n)
        self._e = mpz(numbers.public_numbers.e)
        self._p, self._q = mpz(numbers.p), mpz(numbers.q)
        self._dp, self._dq, self._qinv = mpz(numbers.dmp1), mpz(numbers.dmq1), mpz(numbers.iqmp)
        self._k = (numbers.public_numbers.n.bit_length() + 7) // 8
        self._rng = rng

    @property
    def public_key(self) -> rsa.RSAPublicKey:
        """The public key matching the signing key."""
        return self._public_key

    def blind_sign(self, blinded_msg: bytes) -> bytes:
        """Sign a blinded message (RFC 9474, section 4.3).

        Args:
            blinded_msg: The ``blinded_msg`` produced by
                :func:`~ecservice.payments.ecash.blind_rsa.blind`, ``modulus_len`` bytes.

        Returns:
            The blind signature, ``modulus_len`` bytes.

        Raises:
            ValidationError: ``blinded_msg`` is not bytes of the modulus length ("unexpected
                input size") or is not less than n ("message representative out of range").
            InvalidSignature: the computed signature fails its self-check ("signing failure").
        """
        gmp = _gmpy2
        assert gmp is not None  # checked in __init__
        k = self._k
        if not isinstance(blinded_msg, bytes) or len(blinded_msg) != k:
            raise ValidationError(f"unexpected input size: a blinded message must be {k} bytes")
        n, e, p, q = self._n, self._e, self._p, self._q
        m = gmp.mpz(int.from_bytes(blinded_msg, "big"))
        if m >= n:
            raise ValidationError("message representative out of range: blinded message >= n")
        r = _random_below(n, self._rng)
        c = m * gmp.powmod(r, e, n) % n
        s1 = gmp.powmod_sec(c % p, self._dp, p)
        s2 = gmp.powmod_sec(c % q, self._dq, q)
        h = self._qinv * (s1 - s2) % p
        s = (s2 + h * q) * gmp.invert(r, n) % n
        if gmp.powmod(s, e, n) != m:
            raise InvalidSignature("signing failure: the blind signature fails its self-check")
        return int(s).to_bytes(k, "big")

    def __repr__(self) -> str:
        return f"HardenedBlindSigner({int(self._n).bit_length()}-bit key)"


if AVAILABLE:
    SELF_CHECKING_SIGNERS.add(HardenedBlindSigner)
