"""A purse's balances and limits: one amount per currency, and a read-only view by currency.

Private to :mod:`ecservice.payments.mondex`; :class:`Balances` is re-exported.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from ecservice._shown import shown
from ecservice.clock import Clock
from ecservice.errors import InvalidAmount, ValidationError
from ecservice.money import Currency, Money

__all__ = ["Balances", "check_clock", "to_balances", "to_limits"]


def _per_currency(value: Iterable[Money], what: str, one: str) -> dict[Currency, Money]:
    given: object = value  # callers without a type checker may pass a single Money
    if isinstance(given, (Money, str, bytes, Mapping)) or not isinstance(given, Iterable):
        raise ValidationError(
            f"{what} must be an iterable of Money, one per currency, such as "
            "[Money('100.00', 'CNY'), Money('20.00', 'USD')]"
        )
    found: dict[Currency, Money] = {}
    for money in value:
        if not isinstance(money, Money):
            raise ValidationError(f"each of the {what} must be a Money, not {type(money).__name__}")
        if money.is_negative():
            raise InvalidAmount(f"{what} cannot be negative: {money}; the minimum is 0")
        if money.currency in found:
            raise ValidationError(
                f"two {what} in {money.currency.code}: give one {one} per currency"
            )
        found[money.currency] = money
    return found


def to_balances(value: Iterable[Money]) -> dict[Currency, Money]:
    return _per_currency(value, "balances", "balance")


def to_limits(value: Iterable[Money]) -> dict[Currency, Money]:
    return _per_currency(value, "limits", "limit")


def check_clock(_instance: object, _attribute: object, value: object) -> None:
    if not isinstance(value, Clock):
        raise ValidationError(f"clock must be a Clock (such as FixedClock), not {shown(value)}")


class Balances(Mapping[Currency, Money]):
    """A read-only view of a purse's balances, keyed by :class:`~ecservice.money.Currency`.

    A currency code looks a balance up as well: ``balances["CNY"]`` is
    ``balances[currency("CNY")]``.
    A currency the purse does not hold (or an unknown code) is a ``KeyError``, as in any mapping;
    :meth:`Purse.balance` answers zero instead.

    Purses build it (:attr:`Purse.balances`); the view keeps its own copy of ``data``.

    Args:
        data: the balance in each currency, one :class:`~ecservice.money.Money` of that
            currency per :class:`~ecservice.money.Currency`.
    """

    __slots__ = ("_by_code", "_data")

    def __init__(self, data: Mapping[Currency, Money]) -> None:
        self._data = dict(data)
        self._by_code = {c.code: m for c, m in self._data.items()}

    def __getitem__(self, key: Currency | str) -> Money:
        code = key.code if isinstance(key, Currency) else key
        try:
            return self._by_code[code]
        except (KeyError, TypeError):
            raise KeyError(key) from None

    def __contains__(self, key: object) -> bool:
        code = key.code if isinstance(key, Currency) else key
        try:
            return code in self._by_code
        except TypeError:  # an unhashable key is in no mapping
            return False

    def __iter__(self) -> Iterator[Currency]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        held = ", ".join(f"{c.code}: {m}" for c, m in self._data.items())
        return f"Balances({{{held}}})"
