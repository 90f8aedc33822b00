"""Shipping fees by first weight and continued weight (首重 / 续重).

Chinese carriers price a parcel by its *first weight* (the first 1 kg, or 0.5 kg for express) at a
fixed fee, then each *started* step of continued weight at a step fee.

>>> from decimal import Decimal
>>> from ecservice.money import Money
>>> rate = ShippingRate.per_kg(first_fee=Money("10.00", "CNY"), additional_fee=Money("5.00", "CNY"))
>>> str(rate.fee(Decimal("0.8"))), str(rate.fee(Decimal("1.0"))), str(rate.fee(Decimal("2.3")))
('10.00 CNY', '10.00 CNY', '20.00 CNY')
"""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal
from typing import Final, final

import attrs

from ecservice.errors import CurrencyMismatch, ValidationError
from ecservice.money import Money
from ecservice.orders._values import check_weight
from ecservice.text import text

__all__ = ["MIN_WEIGHT_STEP_KG", "ShippingRate"]


#: The smallest weight step of a rate, in kg (one gram).
MIN_WEIGHT_STEP_KG: Final = Decimal("0.001")


def _positive_weight(value: Decimal | int) -> Decimal:
    weight = check_weight(value, "a weight step")
    if weight < MIN_WEIGHT_STEP_KG:
        raise ValidationError(
            f"a weight step must be at least {MIN_WEIGHT_STEP_KG} kg (one gram), not {weight:.6}"
        )
    return weight


def _fee(value: Money) -> Money:
    if not isinstance(value, Money):
        raise ValidationError(f"shipping fees must be Money, not {type(value).__name__}")
    return value


@final
@attrs.frozen(slots=True, kw_only=True)
class ShippingRate:
    """A carrier rate: ``first_fee`` covers ``first_weight_kg``; each started
    ``additional_weight_kg`` beyond it costs ``additional_fee``. Orders whose goods subtotal
    reaches ``free_over`` ship free (包邮).

    Weights are ``Decimal`` or ``int`` kg; each weight step is from :data:`MIN_WEIGHT_STEP_KG`
    (one gram) to :data:`~ecservice.orders.MAX_WEIGHT_KG`.

    Args:
        name: the rate's name (short text), ``"standard"`` by default.
        first_weight_kg: the weight the first fee covers, in kg (``Decimal`` or ``int``, not a
            float).
        first_fee: the fee for a parcel up to ``first_weight_kg``, non-negative
            :class:`~ecservice.money.Money` in the currency of the orders it prices.
        additional_weight_kg: the size of each further weight step, in kg; a started step
            counts in full.
        additional_fee: the fee for each started further step, in the currency of
            ``first_fee``.
        free_over: the goods subtotal from which shipping is free (包邮; free when the subtotal
            is at least this), in the same currency; ``None`` for no free shipping.

    Raises:
        ValidationError: a fee that is not non-negative :class:`~ecservice.money.Money`, a weight
            step out of range, a name that is not short text.
        CurrencyMismatch: fees in different currencies.
    """

    name: str = attrs.field(default="standard", validator=text("name"))
    first_weight_kg: Decimal = attrs.field(converter=_positive_weight)
    first_fee: Money = attrs.field(converter=_fee)
    additional_weight_kg: Decimal = attrs.field(converter=_positive_weight)
    additional_fee: Money = attrs.field(converter=_fee)
    free_over: Money | None = None

    def __attrs_post_init__(self) -> None:
        if self.free_over is not None and not isinstance(self.free_over, Money):
            raise ValidationError(
                f"free_over must be Money or None, not {type(self.free_over).__name__}"
            )
        if self.first_fee.currency != self.additional_fee.currency:
            raise CurrencyMismatch(
                self.first_fee.currency.code, self.additional_fee.currency.code, "price a rate in"
            )
        if self.first_fee.is_negative() or self.additional_fee.is_negative():
            raise ValidationError("shipping fees must not be negative")
        if self.free_over is not None and self.free_over.currency != self.first_fee.currency:
            raise CurrencyMismatch(
                self.first_fee.currency.code, self.free_over.currency.code, "price a rate in"
            )

    @classmethod
    def per_kg(
        cls, *, first_fee: Money, additional_fee: Money, free_over: Money | None = None
    ) -> ShippingRate:
        """The common rate: first 1 kg, then per started kg."""
        return cls(
            name="standard",
            first_weight_kg=Decimal(1),
            first_fee=first_fee,
            additional_weight_kg=Decimal(1),
            additional_fee=additional_fee,
            free_over=free_over,
        )

    @classmethod
    def express(
        cls, *, first_fee: Money, additional_fee: Money, free_over: Money | None = None
    ) -> ShippingRate:
        """An express rate: first 0.5 kg, then per started 0.5 kg."""
        return cls(
            name="express",
            first_weight_kg=Decimal("0.5"),
            first_fee=first_fee,
            additional_weight_kg=Decimal("0.5"),
            additional_fee=additional_fee,
            free_over=free_over,
        )

    def fee(self, weight_kg: Decimal | int, subtotal: Money | None = None) -> Money:
        """The fee for a parcel of ``weight_kg``; free when ``subtotal`` reaches ``free_over``.

        Raises:
            ValidationError: a negative or float weight.
            CurrencyMismatch: ``subtotal`` is in another currency.
        """
        weight = check_weight(weight_kg)
        if subtotal is not None and not isinstance(subtotal, Money):
            raise ValidationError(f"subtotal must be Money or None, not {type(subtotal).__name__}")
        cur = self.first_fee.currency
        if subtotal is not None and subtotal.currency is not cur and subtotal.currency != cur:
            raise CurrencyMismatch(
                self.first_fee.currency.code, subtotal.currency.code, "price a parcel with"
            )
        if subtotal is not None and self.free_over is not None and subtotal >= self.free_over:
            return Money.zero(self.first_fee.currency)
        extra = weight - self.first_weight_kg
        if extra <= 0:
            return self.first_fee
        steps = int((extra / self.additional_weight_kg).to_integral_value(rounding=ROUND_CEILING))
        # In whole minor units: exact, and one Money built instead of two.
        units = self.first_fee.minor_units + self.additional_fee.minor_units * steps
        return Money.from_minor(units, cur)
