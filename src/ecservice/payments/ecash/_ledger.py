"""The mint's internal bookkeeping: issued denominations, per-coin ledgers, deposit entries.

Private to :mod:`ecservice.payments.ecash`; the mint exposes only frozen records.
"""

from __future__ import annotations

import attrs

from ecservice.errors import InvalidSignature
from ecservice.money import Money
from ecservice.payments.ecash._denomination import Denomination
from ecservice.payments.ecash._records import DepositReceipt
from ecservice.payments.ecash.blind_rsa import BlindSigner, PurePythonBlindSigner

__all__ = [
    "CoinLedger",
    "DepositEntry",
    "DepositKey",
    "Issued",
    "OrderKey",
    "blind_sign_checked",
]


@attrs.define
class Issued:
    """A denomination the mint issues, with the signer holding its private key."""

    denomination: Denomination
    signer: BlindSigner


@attrs.define
class CoinLedger:
    """What the mint knows of one coin: its value and what was deposited, refunded, melted."""

    denomination_id: bytes
    value: Money
    deposited: Money
    refunded: Money
    melted: Money

    @property
    def remaining(self) -> Money:
        """The value the coin still has."""
        return self.value - self.deposited + self.refunded - self.melted


@attrs.define
class DepositEntry:
    """A deposit with its mutable state: how much was refunded, whether it was paid out."""

    receipt: DepositReceipt
    refunded: Money
    paid: bool = False

    @property
    def net(self) -> Money:
        """The deposited amount less refunds."""
        return self.receipt.amount - self.refunded


#: (coin public key, merchant, contract hash, amount): identifies an identical deposit.
DepositKey = tuple[bytes, str, bytes, Money]
#: (coin public key, merchant, contract hash): the deposits a refund may draw on.
OrderKey = tuple[bytes, str, bytes]


def blind_sign_checked(issued: Issued, blinded_message: bytes) -> bytes:
    """Have the denomination's signer sign, and check its output before anything is recorded.

    A faulty or hostile :class:`BlindSigner` must not make the mint debit a reserve (or melt a
    coin) for a signature the wallet cannot use.
    """
    blind_signature = issued.signer.blind_sign(blinded_message)
    numbers = issued.denomination.public_key.public_numbers()
    # The library's own signer checks s^e == m itself before returning (RFC 9474, 4.3); any
    # other signer (a subclass, an HSM adapter) is checked here as well.
    self_checked = type(issued.signer) is PurePythonBlindSigner
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
