"""Errors specific to stored-value purses.

Each one derives from the closest class of :mod:`ecservice.errors`, so callers that catch the
general family (``ValidationError``, ``EcServiceError``) keep working.
"""

from __future__ import annotations

from ecservice.errors import PolicyViolation, ValidationError

__all__ = [
    "BalanceLimitExceeded",
    "PaymentNotLost",
    "RateUnavailable",
    "SelfTransfer",
    "UnsafeRates",
]


class SelfTransfer(ValidationError):
    """A transfer names the same purse as payer and payee."""


class RateUnavailable(ValidationError):
    """A rate table has no rate for the pair of currencies asked for."""


class PaymentNotLost(ValidationError):
    """A recovery was asked for a payment the archive does not know to be definitely lost."""


class BalanceLimitExceeded(PolicyViolation):
    """A credit would take a purse's balance above its limit in that currency.

    The limit is the purse's own (``Purse(limits=...)``) or, without one, the largest amount
    :class:`~ecservice.money.Money` holds exactly (:data:`ecservice.money.PRECISION` digits).
    """


class UnsafeRates(ValidationError):
    """A rate table would let a round trip of conversions create value.

    Either its rounding mode can round a converted amount up, or a cycle of its quoted rates
    (``USD -> CNY -> USD``, or longer) multiplies to more than 1.
    """
