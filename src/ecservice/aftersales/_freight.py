"""Who pays the freight of a return, and how much compensation a shop offers by tier.

Freight follows liability. For a 7-day no-reason return the buyer pays the return freight
unless the shop agreed otherwise (Consumer Rights Protection Law, 消费者权益保护法, art. 25
para. 3: "退回商品的运费由消费者承担；经营者和消费者另有约定的，按照约定"); return-freight
insurance (运费险), bought by the buyer or offered by the shop, then reimburses it. For goods that
fail the quality required, the seller bears the transport and other necessary costs of the
return, exchange or repair (CPL art. 24 para. 2). Toward the buyer, the seller also bears the
risks of transport (E-Commerce Law, 电子商务法, art. 20), so a carrier's fault is paid by the
seller, who recovers it from the carrier.

A keep-the-item partial refund (补偿, the buyer keeps the goods and receives part of the price)
is bounded by what a return would have cost in freight. The defaults are the common practice of
Chinese online shops' customer service: up to 10 CNY for a buyer in the same city, 10 to 15 CNY
in another province, 20 to 50 CNY for high-value goods.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

import attrs

from ecservice._shown import shown
from ecservice.aftersales._categories import Liability
from ecservice.aftersales._checks import flag, instance_of
from ecservice.errors import CurrencyMismatch, ValidationError
from ecservice.money import Money
from ecservice.workflow import LabelledState

__all__ = [
    "DEFAULT_COMPENSATION_BOUNDS",
    "CompensationBound",
    "CompensationTier",
    "ReturnFreight",
]


class CompensationTier(LabelledState):
    """The tiers of a keep-the-item partial refund, by what a return would cost."""

    #: The buyer lives in the shop's city (同城).
    SAME_CITY = ("same_city", "Same city", "同城")
    #: The buyer lives in another province (外省).
    OTHER_PROVINCE = ("other_province", "Another province", "外省")
    #: High-value goods, whose return needs insured, careful shipping (贵重商品).
    HIGH_VALUE = ("high_value", "High-value goods", "贵重商品")


def _amount(what: str) -> Any:
    def check(_instance: object, _attribute: object, value: object) -> None:
        if not isinstance(value, Money):
            raise ValidationError(f"{what} must be a Money, not {shown(value)}")
        if value.is_negative():
            raise ValidationError(f"{what} must not be negative, not {value}")

    return check


@attrs.frozen(kw_only=True)
class CompensationBound:
    """The range of a keep-the-item partial refund in one tier.

    ``maximum`` is a hard bound: a compensation above it is refused. ``minimum`` is what the
    shop offers first; a lower amount agreed with the buyer is not refused.

    Args:
        minimum: the amount offered first, a non-negative :class:`~ecservice.money.Money`.
        maximum: the most the shop pays in this tier, in the same currency, at least
            ``minimum``.

    Raises:
        ValidationError: an amount that is not a ``Money`` or is negative, ``maximum`` below
            ``minimum``.
        CurrencyMismatch: the two amounts are in different currencies.
    """

    minimum: Money = attrs.field(validator=_amount("minimum"))
    maximum: Money = attrs.field(validator=_amount("maximum"))

    def __attrs_post_init__(self) -> None:
        if self.minimum.currency != self.maximum.currency:
            raise CurrencyMismatch(
                self.minimum.currency.code, self.maximum.currency.code, "bound a range with"
            )
        if self.maximum < self.minimum:
            raise ValidationError(
                f"a compensation bound's maximum {self.maximum} is below its minimum {self.minimum}"
            )

    def admits(self, amount: Money) -> bool:
        """Whether ``amount`` is at most ``maximum`` (and not negative).

        Raises:
            CurrencyMismatch: ``amount`` is in another currency.
        """
        return not amount.is_negative() and amount <= self.maximum


def _cny(minimum: str, maximum: str) -> CompensationBound:
    return CompensationBound(minimum=Money(minimum, "CNY"), maximum=Money(maximum, "CNY"))


#: The default bounds (common practice of Chinese online shops): same city up to 10 CNY,
#: another province 10 to 15 CNY, high-value goods 20 to 50 CNY.
DEFAULT_COMPENSATION_BOUNDS: Final[Mapping[CompensationTier, CompensationBound]] = MappingProxyType(
    {
        CompensationTier.SAME_CITY: _cny("0.00", "10.00"),
        CompensationTier.OTHER_PROVINCE: _cny("10.00", "15.00"),
        CompensationTier.HIGH_VALUE: _cny("20.00", "50.00"),
    }
)


@attrs.frozen(kw_only=True)
class ReturnFreight:
    """Who pays the freight of sending goods back, and why.

    Args:
        payer: who bears the freight (:class:`~ecservice.aftersales.Liability`): the buyer, or
            the seller (also for a carrier's or the platform's fault, which the seller recovers
            from them).
        insured: whether return-freight insurance (运费险) reimburses the buyer, so that the
            buyer pays nothing in the end.
        reason: the rule that decided it, with its source.

    Raises:
        ValidationError: ``payer`` is not a ``Liability``, ``insured`` not a bool, ``reason``
            not a str.
    """

    payer: Liability = attrs.field(validator=instance_of(Liability, "payer"))
    insured: bool = attrs.field(default=False, validator=flag("insured"))
    reason: str = attrs.field(default="", validator=instance_of(str, "reason"))

    @property
    def buyer_pays(self) -> bool:
        """Whether the buyer is out of pocket for the freight (pays it and is not insured)."""
        return self.payer is Liability.BUYER and not self.insured
