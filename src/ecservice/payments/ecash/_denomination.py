"""Denominations: the coin values a mint issues, each with its own RSA key and validity windows.

A :class:`Denomination` is public information: wallets and merchants hold it to blind coins and
to check them. Its id is the SHA-256 hash of its RSA public key (DER) and its value, so a coin
names its denomination without any registry, and a key cannot be reused for another value
unnoticed. The private key stays with the mint, behind a
:class:`~ecservice.payments.ecash.blind_rsa.BlindSigner`.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from collections.abc import Callable
from typing import Any, Final, TypeVar, final

import attrs
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pendulum import DateTime

from ecservice._shown import shown
from ecservice.clock import ensure_utc
from ecservice.errors import InvalidAmount, ValidationError
from ecservice.money import Currency, Money, currency
from ecservice.payments.ecash._errors import DenominationExpired
from ecservice.payments.ecash.blind_rsa import DEFAULT_VARIANT, Variant

__all__ = ["Denomination", "denomination_id"]

_T = TypeVar("_T")

_ID_TAG: Final = b"ecservice/ecash/denomination/v1"
ID_LEN: Final = 32  # SHA-256


def encode_fields(tag: bytes, *fields: bytes) -> bytes:
    """Concatenate ``fields`` after ``tag``, each with a 4-byte length prefix.

    The encoding is unambiguous: two different field lists never give the same bytes, so a
    signature over it binds every field.
    """
    out = bytearray(tag)
    for field in fields:
        out += len(field).to_bytes(4, "big")
        out += field
    return bytes(out)


def encode_money(amount: Money) -> bytes:
    """A canonical encoding of an amount: whole minor units and the currency code."""
    return f"{amount.minor_units}:{amount.currency.code}".encode("ascii")


def public_key_der(public_key: rsa.RSAPublicKey) -> bytes:
    """The SubjectPublicKeyInfo DER encoding of an RSA public key."""
    return public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def denomination_id(public_key: rsa.RSAPublicKey, value: Money) -> bytes:
    """The id of the denomination of ``value`` signed with ``public_key``: a SHA-256 digest.

    Args:
        public_key: The denomination's RSA public key.
        value: The face value of its coins.

    Returns:
        32 bytes.

    Raises:
        ValidationError: a key that is not an RSA public key, or a value that is not Money.
    """
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise ValidationError(
            f"a denomination key must be an RSA public key, not {type(public_key).__name__}"
        )
    require(value, Money, "a denomination value")
    data = encode_fields(_ID_TAG, public_key_der(public_key), encode_money(value))
    return hashlib.sha256(data).digest()


def require(value: object, cls: type[_T], what: str) -> _T:
    """Return ``value`` if it is a ``cls``, else raise :class:`ValidationError` naming ``what``."""
    if not isinstance(value, cls):
        raise ValidationError(f"{what} must be a {cls.__name__}, not {type(value).__name__}")
    return value


def as_currency(code: object) -> Currency:
    """The currency of an ISO 4217 code (or a :class:`Currency`), refusing other types.

    Raises:
        ValidationError: not a string.
        UnknownCurrency: an unknown code.
    """
    if not isinstance(code, (str, Currency)):
        raise ValidationError(
            f"a currency must be an ISO 4217 code such as 'CNY', not {type(code).__name__}"
        )
    return currency(code)


def instance_of(cls: type, what: str) -> Callable[[object, object, Any], None]:
    """An attrs validator raising :class:`ValidationError` (not ``TypeError``) for a wrong type."""

    def check(_instance: object, _attribute: object, value: Any) -> None:
        if not isinstance(value, cls):
            raise ValidationError(f"{what} must be a {cls.__name__}, not {type(value).__name__}")

    return check


def short_hex(data: bytes) -> str:
    """The first 8 bytes of ``data`` in hex, for messages and ``repr`` (never a secret)."""
    return data[:8].hex()


def _utc(value: _dt.datetime) -> DateTime:
    require(value, _dt.datetime, "a denomination window instant")
    return ensure_utc(value, what="denomination window instant")


def _check_value(_instance: object, _attribute: object, value: Money) -> None:
    if not isinstance(value, Money):
        raise ValidationError(f"a denomination value must be Money, not {shown(value)}")
    if value.amount <= 0:
        raise InvalidAmount(f"a denomination value must be positive, not {value}")


def _check_key(_instance: object, _attribute: object, value: Any) -> None:
    if not isinstance(value, rsa.RSAPublicKey):
        raise ValidationError(
            f"a denomination key must be an RSA public key, not {type(value).__name__}"
        )


@final
@attrs.frozen(repr=False, kw_only=True)
class Denomination:
    """A coin value a mint issues, with its RSA public key and validity windows.

    Coins of this denomination can be withdrawn while ``valid_from <= now < withdraw_until`` and
    deposited (or refreshed) while ``valid_from <= now < deposit_until``.

    Args:
        value: The face value of each coin; positive.
        public_key: The RSA public key the mint signs coins of this denomination with.
        valid_from: The first instant coins can be withdrawn and deposited.
        withdraw_until: The end (exclusive) of the withdraw window.
        deposit_until: The end (exclusive) of the deposit window; not before ``withdraw_until``.
        variant: The RFC 9474 variant used with the key (the RFC's default unless told).

    Raises:
        InvalidAmount: ``value`` is not positive.
        ValidationError: the windows are out of order, or the key is not an RSA public key.
        NaiveDatetime: an instant has no time zone.
    """

    value: Money = attrs.field(validator=_check_value)
    public_key: rsa.RSAPublicKey = attrs.field(eq=False, validator=_check_key)
    valid_from: DateTime = attrs.field(converter=_utc)
    withdraw_until: DateTime = attrs.field(converter=_utc)
    deposit_until: DateTime = attrs.field(converter=_utc)
    variant: Variant = attrs.field(default=DEFAULT_VARIANT)
    id: bytes = attrs.field(init=False)
    """The denomination id, the SHA-256 hash of the public key (DER) and the value."""

    def __attrs_post_init__(self) -> None:
        if not self.valid_from < self.withdraw_until <= self.deposit_until:
            raise ValidationError(
                "denomination windows must satisfy valid_from < withdraw_until <= deposit_until, "
                f"got {self.valid_from.isoformat()}, {self.withdraw_until.isoformat()}, "
                f"{self.deposit_until.isoformat()}"
            )
        if not isinstance(self.variant, Variant):
            raise ValidationError(f"variant must be a blind_rsa.Variant, not {shown(self.variant)}")
        object.__setattr__(self, "id", denomination_id(self.public_key, self.value))

    @property
    def modulus_len(self) -> int:
        """The length in bytes of the RSA modulus (and of blinded messages and signatures)."""
        return (self.public_key.key_size + 7) // 8

    def withdrawable_at(self, at: _dt.datetime) -> bool:
        """Whether coins of this denomination may be withdrawn at ``at``."""
        instant = ensure_utc(at, what="instant")
        return self.valid_from <= instant < self.withdraw_until

    def depositable_at(self, at: _dt.datetime) -> bool:
        """Whether coins of this denomination may be deposited or refreshed at ``at``."""
        instant = ensure_utc(at, what="instant")
        return self.valid_from <= instant < self.deposit_until

    def check_withdraw(self, at: _dt.datetime) -> None:
        """Raise unless coins may be withdrawn at ``at``.

        Raises:
            DenominationExpired: the withdraw window is closed or not yet open.
        """
        if not self.withdrawable_at(at):
            raise DenominationExpired(
                f"denomination {self} cannot be withdrawn at {ensure_utc(at).isoformat()}: "
                f"its withdraw window is [{self.valid_from.isoformat()}, "
                f"{self.withdraw_until.isoformat()})"
            )

    def check_deposit(self, at: _dt.datetime) -> None:
        """Raise unless coins may be deposited or refreshed at ``at``.

        Raises:
            DenominationExpired: the deposit window is closed or not yet open.
        """
        if not self.depositable_at(at):
            raise DenominationExpired(
                f"coins of denomination {self} cannot be deposited at "
                f"{ensure_utc(at).isoformat()}: its deposit window is "
                f"[{self.valid_from.isoformat()}, {self.deposit_until.isoformat()})"
            )

    def __str__(self) -> str:
        return f"{self.value} #{short_hex(self.id)}"

    def __repr__(self) -> str:
        return (
            f"Denomination({self.value!r}, id={short_hex(self.id)!r}, "
            f"withdraw_until={self.withdraw_until.isoformat()!r}, "
            f"deposit_until={self.deposit_until.isoformat()!r})"
        )
