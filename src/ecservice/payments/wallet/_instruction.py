"""Payment instructions signed with Ed25519.

A :class:`SignedInstruction` orders a payment from a wallet to a payee. The wallet signs its
*canonical serialisation* with the wallet's Ed25519 key; anyone verifies it with
:func:`verify_instruction`.

Canonical serialisation (version ``ecservice.wallet.instruction/1``): a JSON object with exactly
these keys, sorted, every value a string except ``hold_id`` which is ``null`` when absent::

    amount      the amount as a plain decimal quantised to the currency ("12.30", "500")
    currency    the ISO 4217 code ("CNY")
    funding     "stored-value" or "card:<provider token>"
    hold_id     the hold reserving stored value, or null
    issued_at   the instant in UTC, "YYYY-MM-DDTHH:MM:SS.ffffffZ"
    nonce       32 lowercase hex digits, random per instruction
    payee       who is paid
    payer       the wallet's owner
    public_key  the signer's raw 32-byte Ed25519 public key, lowercase hex
    reference   the caller's reference (order number, ...)
    type        "ecservice.wallet.instruction/1"
    wallet_id   the wallet's id

serialised with ``json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True)`` and
encoded as ASCII: no whitespace, non-ASCII text escaped as ``\\uXXXX``. The signature is the
64-byte Ed25519 signature of those bytes. Binding ``public_key`` and ``type`` into the signed
bytes means a signature cannot be moved to another key or reused for another kind of message.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Final, final

import attrs
from cryptography.exceptions import InvalidSignature as _CryptoInvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from pendulum import DateTime

from ecservice.clock import UTC, ensure_utc
from ecservice.errors import InvalidSignature, ValidationError
from ecservice.money import Money

if TYPE_CHECKING:
    import datetime as _dt  # noqa: F401  (attrs copies ensure_utc's annotation into __init__)

__all__ = ["INSTRUCTION_TYPE", "SignedInstruction", "raw_public_key", "verify_instruction"]

#: The ``type`` field of every instruction, naming the canonical format's version.
INSTRUCTION_TYPE: Final = "ecservice.wallet.instruction/1"


def raw_public_key(key: Ed25519PublicKey | Ed25519PrivateKey) -> bytes:
    """The raw 32-byte encoding of an Ed25519 public key (of a private key's public half).

    Raises:
        ValidationError: ``key`` is not an Ed25519 key.
    """
    if not isinstance(key, Ed25519PublicKey | Ed25519PrivateKey):
        raise ValidationError(
            f"expected an Ed25519 key (or its raw 32 bytes where allowed), not {type(key).__name__}"
        )
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(Encoding.Raw, PublicFormat.Raw)


def _short(data: bytes) -> str:
    return data.hex()[:16] + ("..." if len(data) > 8 else "")


@final
@attrs.frozen(slots=True)
class SignedInstruction:
    """A payment instruction and its Ed25519 signature.

    Build one with :meth:`EWallet.instruct <ecservice.payments.wallet.EWallet.instruct>`;
    check one with :func:`verify_instruction`. Every field except ``signature`` is covered by
    the signature (see the module documentation for the exact bytes). The constructor only
    converts ``issued_at`` to UTC; :func:`verify_instruction` checks the signature.

    Args:
        wallet_id: the id of the wallet that signed.
        payer: the wallet's owner.
        payee: who is paid.
        amount: the amount to pay (its ISO 4217 currency is signed too).
        reference: the caller's reference (order number, ...).
        funding: ``"stored-value"``, or ``"card:<provider token>"`` for a card of the wallet.
        hold_id: the hold reserving stored value (``H000001``, ...), or ``None``.
        issued_at: when the wallet signed; an aware datetime, converted to UTC (signed to the
            microsecond).
        nonce: 32 lowercase hex digits, random per instruction.
        public_key: the signer's raw Ed25519 public key (32 bytes).
        signature: the Ed25519 signature of :meth:`canonical_bytes` (64 bytes).
    """

    wallet_id: str
    payer: str
    payee: str
    amount: Money
    reference: str
    funding: str
    hold_id: str | None
    issued_at: DateTime = attrs.field(converter=ensure_utc)
    nonce: str
    public_key: bytes = attrs.field(repr=_short)
    signature: bytes = attrs.field(repr=_short)

    def canonical_bytes(self) -> bytes:
        """The exact bytes that are signed."""
        return canonical_bytes(
            wallet_id=self.wallet_id,
            payer=self.payer,
            payee=self.payee,
            amount=self.amount,
            reference=self.reference,
            funding=self.funding,
            hold_id=self.hold_id,
            issued_at=self.issued_at,
            nonce=self.nonce,
            public_key=self.public_key,
        )


def canonical_bytes(
    *,
    wallet_id: str,
    payer: str,
    payee: str,
    amount: Money,
    reference: str,
    funding: str,
    hold_id: str | None,
    issued_at: DateTime,
    nonce: str,
    public_key: bytes,
) -> bytes:
    """Serialise the fields of an instruction canonically: the bytes that are signed.

    A JSON object with the keys ``amount`` (quantised decimal string), ``currency``,
    ``funding``, ``hold_id`` (``null`` when absent), ``issued_at``
    (``YYYY-MM-DDTHH:MM:SS.ffffffZ`` in UTC), ``nonce``, ``payee``, ``payer``, ``public_key``
    (hex), ``reference``, ``type`` (:data:`INSTRUCTION_TYPE`) and ``wallet_id``, dumped with
    ``sort_keys=True, separators=(",", ":"), ensure_ascii=True`` and encoded as ASCII.
    """
    fields: dict[str, str | None] = {
        "amount": str(amount.amount),
        "currency": amount.currency.code,
        "funding": funding,
        "hold_id": hold_id,
        "issued_at": issued_at.in_tz(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "nonce": nonce,
        "payee": payee,
        "payer": payer,
        "public_key": public_key.hex(),
        "reference": reference,
        "type": INSTRUCTION_TYPE,
        "wallet_id": wallet_id,
    }
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return text.encode("ascii")


def sign_instruction(
    key: Ed25519PrivateKey,
    *,
    wallet_id: str,
    payer: str,
    payee: str,
    amount: Money,
    reference: str,
    funding: str,
    hold_id: str | None,
    issued_at: DateTime,
    nonce: str,
) -> SignedInstruction:
    """Sign an instruction with ``key`` (used by the wallet; exposed for tests and tools)."""
    draft = SignedInstruction(
        wallet_id=wallet_id,
        payer=payer,
        payee=payee,
        amount=amount,
        reference=reference,
        funding=funding,
        hold_id=hold_id,
        issued_at=issued_at,
        nonce=nonce,
        public_key=raw_public_key(key),
        signature=b"",
    )
    return attrs.evolve(draft, signature=key.sign(draft.canonical_bytes()))


def verify_instruction(
    signed: SignedInstruction,
    expected_key: bytes | Ed25519PublicKey | None = None,
) -> None:
    """Check the signature of ``signed``.

    Without ``expected_key`` this proves that the holder of ``signed.public_key`` signed exactly
    these fields. To prove that a *particular wallet* signed, pass that wallet's public key (for
    example :attr:`EWallet.public_key <ecservice.payments.wallet.EWallet.public_key>`): an
    instruction re-signed by someone else under their own key is then refused too.

    Raises:
        InvalidSignature: a field was altered after signing, the signature was made by another
            key, the key or signature is malformed, or the key is not ``expected_key``.
    """
    if expected_key is not None:
        expected = expected_key if isinstance(expected_key, bytes) else raw_public_key(expected_key)
        if signed.public_key != expected:
            raise InvalidSignature(
                "the instruction is signed with a different key than the one expected"
            )
    try:
        public = Ed25519PublicKey.from_public_bytes(bytes(signed.public_key))
        public.verify(bytes(signed.signature), signed.canonical_bytes())
    except (_CryptoInvalidSignature, ValueError, TypeError, AttributeError):
        raise InvalidSignature(
            "the payment instruction's signature does not verify: a field was altered after "
            "signing, or it was signed by another key"
        ) from None
