"""Errors specific to stored-value purses.

Each one derives from the closest class of :mod:`ecservice.errors`, so callers that catch the
general family (``ValidationError``, ``EcServiceError``) keep working.
"""

from __future__ import annotations

from ecservice.errors import ValidationError

__all__ = ["PaymentNotLost", "RateUnavailable", "SelfTransfer"]


class SelfTransfer(ValidationError):
    """A transfer names the same purse as payer and payee."""


class RateUnavailable(ValidationError):
    """A rate table has no rate for the pair of currencies asked for."""


class PaymentNotLost(ValidationError):
    """A recovery was asked for a payment the archive does not know to be definitely lost."""
