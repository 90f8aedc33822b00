"""Errors specific to the e-wallet.

Each one derives from the closest class of :mod:`ecservice.errors` (``ValidationError`` for bad
input, ``PolicyViolation`` for a rule that refuses an otherwise valid request), so callers that
catch the general family keep working. No message ever contains a PIN, a PIN hash, a key or a card
number: messages name the *field* that was refused, never its value.
"""

from __future__ import annotations

import datetime as _dt

from ecservice.errors import PolicyViolation, ValidationError

__all__ = [
    "CardExpired",
    "DuplicateWalletItem",
    "FullCardNumberRefused",
    "HoldSettled",
    "InvalidPin",
    "InvalidSession",
    "UnknownCard",
    "UnknownHold",
    "UnknownHolding",
    "UnknownWalletItem",
    "WalletLocked",
    "WrongPin",
]


class InvalidPin(ValidationError):
    """A new PIN is not 4 to 12 ASCII digits (raised when a PIN is *set*, never echoing it)."""


class WrongPin(ValidationError):
    """The PIN given does not match; the failure was counted.

    Args:
        attempts_left: consecutive failures still allowed before the wallet locks (kept as the
            attribute of the same name).
    """

    def __init__(self, attempts_left: int) -> None:
        self.attempts_left = attempts_left
        plural = "attempt" if attempts_left == 1 else "attempts"
        super().__init__(f"wrong PIN: {attempts_left} {plural} left before the wallet locks")


class WalletLocked(PolicyViolation):
    """Too many consecutive wrong PINs: the wallet refuses every verification until a time.

    Args:
        locked_until: the instant (UTC) from which the wallet accepts a PIN again.
        failures: the consecutive wrong PINs that locked it.

    Both are kept as attributes of the same names.
    """

    def __init__(self, locked_until: _dt.datetime, failures: int) -> None:
        self.locked_until = locked_until
        self.failures = failures
        super().__init__(
            f"the wallet is locked after {failures} consecutive wrong PINs until "
            f"{locked_until.isoformat()}; try again after that time"
        )


class InvalidSession(PolicyViolation):
    """A wallet session is unknown, closed, expired, or belongs to another wallet."""


class FullCardNumberRefused(ValidationError):
    """A value looks like a full card number (PAN); only provider tokens and last four digits
    may be stored.

    Args:
        field: the name of the field that was refused (its value is never repeated); kept as
            the attribute of the same name.
    """

    def __init__(self, field: str) -> None:
        self.field = field
        super().__init__(
            f"{field} looks like a full card number (13 to 19 digits passing the Luhn check); "
            "a wallet stores only the payment provider's token and the last four digits"
        )


class CardExpired(PolicyViolation):
    """A card reference is past its expiry month and cannot be used or added."""


class UnknownWalletItem(ValidationError):
    """A card, hold or holding was named that the wallet does not contain."""


class UnknownCard(UnknownWalletItem):
    """No card reference with this token is in the wallet."""


class UnknownHold(UnknownWalletItem):
    """No hold (authorisation) with this id was placed by the wallet."""


class UnknownHolding(UnknownWalletItem):
    """No e-cash or purse holding with this kind and reference is in the wallet."""


class DuplicateWalletItem(ValidationError):
    """A card token or holding reference is already in the wallet."""


class HoldSettled(PolicyViolation):
    """A capture or release conflicts with how the hold was already settled.

    Replaying the *same* capture (same amount) or the same release is not an error: it returns
    the settled hold unchanged. Capturing a different amount, capturing a released hold or
    releasing a captured one raises this error and changes nothing.
    """
