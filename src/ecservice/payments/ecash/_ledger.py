"""The mint's internal bookkeeping: issued denominations, per-coin ledgers, deposit entries.

Private to :mod:`ecservice.payments.ecash`; the mint exposes only frozen records.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
from cryptography.hazmat.primitives.asymmetric import rsa

from ecservice._shown import shown
from ecservice.errors import InvalidAmount, InvalidSignature, ValidationError
from ecservice.money import Money
from ecservice.payments.ecash._denomination import ID_LEN, Denomination, instance_of
from ecservice.payments.ecash._records import DepositReceipt
from ecservice.payments.ecash.blind_rsa import BlindSigner, PurePythonBlindSigner

__all__ = [
    "SELF_CHECKING_SIGNERS",
    "CoinLedger",
    "DepositEntry",
    "DepositKey",
    "Issued",
    "OrderKey",
    "blind_sign_checked",
]

#: Signer classes of this library that check ``s^e == m`` themselves before returning (RFC 9474,
#: 4.3); the mint checks the output of any other signer. Exact types: a subclass is checked.
SELF_CHECKING_SIGNERS: set[type] = {PurePythonBlindSigner}


def _bytes(length: int, what: str) -> Callable[[object, object, Any], None]:
    def check(_instance: object, _attribute: object, value: Any) -> None:
        if not isinstance(value, bytes) or len(value) != length:
            raise ValidationError(f"{what} must be {length} bytes, not {shown(value)}")

    return check


def _money(_instance: object, attribute: attrs.Attribute[Money], value: object) -> None:
    if not isinstance(value, Money):
        raise ValidationError(f"{attribute.name} must be Money, not {type(value).__name__}")
    if value.is_negative():
        raise InvalidAmount(f"{attribute.name} cannot be negative: {value}")


@attrs.define
class Issued:
    """A denomination the mint issues, with the signer holding its private key.

    Raises:
        ValidationError: not a denomination, a signer that is not a ``BlindSigner``, or a signer
            whose public key is not the denomination's.
    """

    denomination: Denomination = attrs.field(validator=instance_of(Denomination, "a denomination"))
    signer: BlindSigner

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.signer, BlindSigner):
            raise ValidationError(f"signer must be a BlindSigner, not {type(self.signer).__name__}")
        key = self.signer.public_key
        if not isinstance(key, rsa.RSAPublicKey) or (
            key.public_numbers() != self.denomination.public_key.public_numbers()
        ):
            raise ValidationError(
                f"the signer's key is not the key of denomination {self.denomination}"
            )


@attrs.define
class CoinLedger:
    """What the mint knows of one coin: its value and what was deposited, refunded, melted.

    Raises:
        ValidationError: a field of the wrong type, mixed currencies, refunds above deposits,
            or more taken from the coin than its value.
        InvalidAmount: a negative amount.
    """

    denomination_id: bytes = attrs.field(validator=_bytes(ID_LEN, "a denomination id"))
    value: Money = attrs.field(validator=_money)
    deposited: Money = attrs.field(validator=_money)
    refunded: Money = attrs.field(validator=_money)
    melted: Money = attrs.field(validator=_money)

    def __attrs_post_init__(self) -> None:
        amounts = (self.value, self.deposited, self.refunded, self.melted)
        if len({m.currency for m in amounts}) != 1:
            raise ValidationError("a coin ledger keeps every amount in the coin's currency")
        if self.refunded > self.deposited:
            raise ValidationError(
                f"a coin ledger cannot refund {self.refunded} of {self.deposited} deposited"
            )
        if self.remaining.is_negative() or self.remaining > self.value:
            raise ValidationError(
                f"a coin of {self.value} cannot have {self.remaining} left (deposited "
                f"{self.deposited}, refunded {self.refunded}, melted {self.melted})"
            )

    @property
    def remaining(self) -> Money:
        """The value the coin still has."""
        return self.value - self.deposited + self.refunded - self.melted


@attrs.define
class DepositEntry:
    """A deposit with its mutable state: how much was refunded, whether it was paid out.

    Raises:
        ValidationError: a field of the wrong type, or more refunded than deposited.
        InvalidAmount: a negative refund.
    """

    receipt: DepositReceipt = attrs.field(
        validator=instance_of(DepositReceipt, "a deposit receipt")
    )
    refunded: Money = attrs.field(validator=_money)
    paid: bool = attrs.field(default=False, validator=instance_of(bool, "paid"))

    def __attrs_post_init__(self) -> None:
        amount = self.receipt.amount
        if self.refunded.currency != amount.currency or self.refunded > amount:
            raise ValidationError(f"a deposit of {amount} cannot have {self.refunded} refunded")

    @property
    def net(self) -> Money:
        """The deposited amount less refunds."""
        return self.receipt.amount - self.refunded


#: (coin public key, merchant, contract hash, amount, spend nonce): identifies an identical
#: deposit (a replay); two spends with other nonces are two payments.
DepositKey = tuple[bytes, str, bytes, Money, bytes]
#: (coin public key, merchant, contract hash): the deposits a refund may draw on.
OrderKey = tuple[bytes, str, bytes]


def blind_sign_checked(issued: Issued, blinded_message: bytes) -> bytes:
    """Have the denomination's signer sign, and check its output before anything is recorded.

    A faulty or hostile :class:`BlindSigner` must not make the mint debit a reserve (or melt a
    coin) for a signature the wallet cannot use.
    """
    blind_signature = issued.signer.blind_sign(blinded_message)
    numbers = issued.denomination.public_key.public_numbers()
    # The library's own signers check s^e == m themselves before returning (RFC 9474, 4.3);
    # any other signer (a subclass, an HSM adapter) is checked here as well.
    self_checked = type(issued.signer) in SELF_CHECKING_SIGNERS
    if (
        not isinstance(blind_signature, bytes)
        or len(blind_signature) != issued.denomination.modulus_len
        or (
            not self_checked
            and pow(int.from_bytes(blind_signature, "big"), numbers.e, numbers.n)
            != int.from_bytes(blinded_message, "big")
        )
    ):
        raise InvalidSignature(
            f"the signer of denomination {issued.denomination} returned a blind signature that "
            "fails its check; nothing was recorded"
        )
    return blind_signature
