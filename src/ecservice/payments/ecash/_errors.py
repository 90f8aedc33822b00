"""Errors specific to e-cash.

Each one derives from the closest class of :mod:`ecservice.errors`, so callers that catch the
general family (``ValidationError``, ``PolicyViolation``, ``EcServiceError``) keep working. The
other e-cash failures use the general classes directly: a forged or altered coin, spend or refresh
request raises :class:`~ecservice.errors.InvalidSignature`, spending more than a coin has left
:class:`~ecservice.errors.DoubleSpend`, a reserve without enough money
:class:`~ecservice.errors.InsufficientFunds`, a non-positive amount
:class:`~ecservice.errors.InvalidAmount` and an amount in the wrong currency
:class:`~ecservice.errors.CurrencyMismatch`.
"""

from __future__ import annotations

from ecservice.errors import DoubleSpend, PolicyViolation, ValidationError

__all__ = [
    "AlreadyPaidOut",
    "ConflictingDeposit",
    "DenominationExpired",
    "RefundExceedsDeposit",
    "RefundWindowClosed",
    "UnknownDenomination",
    "UnknownDeposit",
    "UnknownReserve",
]


class UnknownDenomination(ValidationError):
    """A denomination id is not one of this mint's: a coin of another mint, or a made-up id."""


class UnknownReserve(ValidationError):
    """A reserve (customer account at the mint) was named that the mint does not hold."""


class UnknownDeposit(ValidationError):
    """A refund names a (coin, merchant, contract) for which the mint recorded no deposit."""


class DenominationExpired(PolicyViolation):
    """The denomination's withdraw or deposit window is closed (or not yet open) at this instant."""


class AlreadyPaidOut(PolicyViolation):
    """A refund asks for value the mint has already paid out to the merchant."""


class RefundExceedsDeposit(PolicyViolation):
    """A refund asks for more than was deposited (net of refunds) for that coin and order."""


class RefundWindowClosed(DenominationExpired):
    """A refund comes after the coin's deposit window closed.

    The refunded value would sit on a coin that can never again be deposited or refreshed, so
    the mint refuses: refunds are possible only while the coin is still depositable.
    """


class ConflictingDeposit(DoubleSpend):
    """An exclusive deposit of a coin for a merchant's contract that the mint already holds a
    different deposit of (another amount or nonce).

    A gateway that captures one authorisation from several processes deposits each coin for
    the contract exclusively, so that only one capture's spends can ever reach the mint; GNU
    Taler's exchange refuses such a deposit the same way (``exchange_do_deposit`` in its
    ``src/exchangedb/procedures.sql``: "Deposit exists, but with differences. Not allowed").
    """
