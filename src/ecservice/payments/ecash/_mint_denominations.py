"""The mint's denominations: adding one with a key of its own, finding one by id.

:meth:`Mint.add_denomination <ecservice.payments.ecash.Mint.add_denomination>`,
:meth:`Mint.denomination <ecservice.payments.ecash.Mint.denomination>` and
:meth:`Mint.withdrawable_denominations
<ecservice.payments.ecash.Mint.withdrawable_denominations>` (which document the behaviour and the
errors) run these functions. The mint keeps each denomination with the signer that holds its
private key (``Issued``); a key may sign one denomination only, so that a signature names the
value of the coin it signs.
"""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING

from ecservice._shown import shown
from ecservice.errors import CurrencyMismatch, ValidationError
from ecservice.money import Money
from ecservice.payments.ecash._denomination import Denomination, require, short_hex
from ecservice.payments.ecash._errors import UnknownDenomination
from ecservice.payments.ecash._ledger import Issued
from ecservice.payments.ecash.blind_rsa import (
    BlindSigner,
    PurePythonBlindSigner,
    Variant,
    generate_key,
)

if TYPE_CHECKING:
    from ecservice.payments.ecash._mint import Mint

__all__ = ["add_denomination", "lookup", "withdrawable"]


def add_denomination(
    mint: Mint,
    value: Money,
    *,
    withdraw_until: _dt.datetime,
    deposit_until: _dt.datetime,
    valid_from: _dt.datetime | None,
    signer: BlindSigner | None,
    variant: Variant,
) -> Denomination:
    """Start issuing coins of ``value``; see :meth:`Mint.add_denomination`."""
    if not isinstance(value, Money):
        raise ValidationError(f"a denomination value must be Money, not {shown(value)}")
    if value.currency != mint.currency:
        raise CurrencyMismatch(mint.currency.code, value.currency.code, "issue")
    if signer is None:
        signer = PurePythonBlindSigner(generate_key())
    if not isinstance(signer, BlindSigner):
        raise ValidationError(f"signer must be a BlindSigner, not {type(signer).__name__}")
    denomination = Denomination(
        value=value,
        public_key=signer.public_key,
        valid_from=mint.clock.now() if valid_from is None else valid_from,
        withdraw_until=withdraw_until,
        deposit_until=deposit_until,
        variant=variant,
    )
    with mint._lock:
        numbers = signer.public_key.public_numbers()
        for issued in mint._issued.values():
            if issued.denomination.public_key.public_numbers() == numbers:
                raise ValidationError(
                    f"this key already signs denomination {issued.denomination}: "
                    "each denomination needs its own key"
                )
        mint._issued[denomination.id] = Issued(denomination, signer)
        mint._version += 1
    return denomination


def lookup(mint: Mint, denomination_id: bytes) -> Issued:
    """The denomination with this id and its signer.

    Raises:
        UnknownDenomination: the id is not one of the mint's.
        ValidationError: ``denomination_id`` is not bytes.
    """
    require(denomination_id, bytes, "a denomination id")
    issued = mint._issued.get(denomination_id)
    if issued is None:
        raise UnknownDenomination(
            f"denomination {short_hex(denomination_id)} is not one of {mint.name}'s "
            "denominations: the coin belongs to another mint, or its denomination is forged"
        )
    return issued


def withdrawable(mint: Mint) -> tuple[Denomination, ...]:
    """The denominations that can be withdrawn now, largest value first."""
    now = mint.clock.now()
    found = [d for d in mint.denominations if d.withdrawable_at(now)]
    return tuple(sorted(found, key=lambda d: (d.value.amount, d.withdraw_until), reverse=True))
