"""Currency conversion inside a purse.

:meth:`Purse.convert <ecservice.payments.mondex.Purse.convert>` (which documents the rules and the
errors) runs :func:`convert`: it checks everything, then debits, credits and records.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from ecservice.errors import InsufficientFunds, InvalidAmount, ValidationError
from ecservice.money import Currency, Money
from ecservice.payments.mondex._errors import RateUnavailable, UnsafeRates
from ecservice.payments.mondex._messages import as_currency, check_value
from ecservice.payments.mondex._rates import Conversion, RateSource, check_rounding, exact_product

if TYPE_CHECKING:
    from ecservice.payments.mondex._purse import Purse

__all__ = ["convert"]


def convert(purse: Purse, amount: Money, target: str | Currency, rates: RateSource) -> Conversion:
    """Exchange ``amount`` of one balance into ``target`` at ``rates``; see Purse.convert."""
    purse._check_idle("convert")
    check_value(amount, "amount to convert")
    if not isinstance(rates, RateSource):
        raise ValidationError(
            f"rates must be a RateSource such as a RateTable, not {type(rates).__name__}"
        )
    cur = as_currency(target)
    if cur == amount.currency:
        raise ValidationError(
            f"cannot convert {amount} into {cur.code}: the target must be another currency"
        )
    held = purse.balance(amount.currency)
    if held < amount:
        raise InsufficientFunds(
            f"purse {purse.id!r} cannot convert {amount}: it holds {held}; convert at most {held}"
        )
    rounding = check_rounding(rates.rounding)
    rate = rates.rate(amount.currency, cur)
    try:
        back: Decimal | None = rates.rate(cur, amount.currency)
    except RateUnavailable:
        back = None
    if back is not None and exact_product(rate, back) > 1:
        raise UnsafeRates(
            f"rates {amount.currency.code}->{cur.code} {rate} and {cur.code}->"
            f"{amount.currency.code} {back} multiply to more than 1: a round trip would "
            "create value"
        )
    exact = exact_product(amount.amount, rate)
    credited = Money.of(exact, cur, rounding=rounding)
    if credited.amount <= 0:
        raise InvalidAmount(
            f"{amount} at {rate} is {exact} {cur.code}, which rounds to {credited}: "
            f"convert at least one minor unit's worth"
        )
    record = Conversion(
        purse.id,
        amount,
        credited,
        rate,
        exact,
        exact - credited.amount,
        rounding,
        purse.clock.now(),
    )
    after = purse._credited(credited)
    purse._balances[amount.currency] = held - amount
    purse._balances[cur] = after
    purse._conversions.append(record)
    purse._version += 1
    return record
