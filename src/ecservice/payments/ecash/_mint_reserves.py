"""The mint's customer reserves: money paid in, from which withdrawals are debited.

:meth:`Mint.credit_reserve <ecservice.payments.ecash.Mint.credit_reserve>` and
:meth:`Mint.reserve_balance <ecservice.payments.ecash.Mint.reserve_balance>` (which document the
behaviour and the errors) run these functions; a withdrawal debits a reserve in
``_mint_signing``. A reserve is known by its id alone: short text without surrounding
whitespace (:func:`check_reserve_name`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ecservice.errors import ValidationError
from ecservice.money import Money
from ecservice.payments.ecash._errors import UnknownReserve
from ecservice.text import SHORT_TEXT_MAX, check_text

if TYPE_CHECKING:
    from ecservice.payments.ecash._mint import Mint

__all__ = ["check_reserve_name", "credit_reserve", "reserve_balance"]


def check_reserve_name(reserve: object) -> str:
    """Return ``reserve`` if it is a valid reserve id.

    Raises:
        ValidationError: not acceptable text (:func:`ecservice.text.check_text`, at most 200
            characters), or it starts or ends with whitespace.
    """
    checked = check_text(reserve, "a reserve id", limit=SHORT_TEXT_MAX)
    if checked != reserve:
        raise ValidationError("a reserve id must not start or end with whitespace")
    return checked


def credit_reserve(mint: Mint, reserve: str, amount: Money) -> Money:
    """Pay ``amount`` into a reserve; see :meth:`Mint.credit_reserve`."""
    check_reserve_name(reserve)
    mint._check_amount(amount, "credit")
    with mint._lock:
        balance = mint._reserves.get(reserve, Money.zero(mint.currency)) + amount
        mint._reserves[reserve] = balance
        mint._version += 1
        return balance


def reserve_balance(mint: Mint, reserve: str) -> Money:
    """The money left in a reserve; see :meth:`Mint.reserve_balance`."""
    balance = mint._reserves.get(check_reserve_name(reserve))
    if balance is None:
        raise UnknownReserve(f"{mint.name} holds no reserve {reserve!r}")
    return balance
