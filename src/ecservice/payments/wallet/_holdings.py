"""The e-cash and purse holdings a wallet records: adding, finding, updating, valuing them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import attrs

from ecservice._shown import shown
from ecservice.errors import CurrencyMismatch, ValidationError
from ecservice.money import Currency, Money, currency
from ecservice.payments.wallet._errors import DuplicateWalletItem, UnknownHolding
from ecservice.payments.wallet._ledger import Holding, HoldingKind
from ecservice.payments.wallet._restore import items

if TYPE_CHECKING:
    from ecservice.payments.wallet._ewallet import EWallet

__all__ = [
    "add_holding",
    "find_holding",
    "holdings_value",
    "remove_holding",
    "restored_holdings",
    "update_holding",
]


def add_holding(wallet: EWallet, holding: Holding) -> Holding:
    """What :meth:`EWallet.add_holding` does, under the wallet's lock."""
    if not isinstance(holding, Holding):
        raise ValidationError(f"expected a Holding, not {type(holding).__name__}")
    key = (holding.kind, holding.reference)
    if key in wallet._holdings:
        raise DuplicateWalletItem(
            f"a {holding.kind.value} holding {holding.reference!r} is already in the wallet"
        )
    wallet._holdings[key] = holding
    return holding


def find_holding(wallet: EWallet, kind: HoldingKind, reference: str) -> Holding:
    """What :meth:`EWallet.holding` does, under the wallet's lock."""
    try:
        return wallet._holdings[(kind, reference)]
    except (KeyError, TypeError):
        raise UnknownHolding(
            f"wallet {wallet.wallet_id} has no "
            f"{kind.value if isinstance(kind, HoldingKind) else shown(kind)} holding "
            f"{shown(reference)}"
        ) from None


def update_holding(wallet: EWallet, kind: HoldingKind, reference: str, value: Money) -> Holding:
    """What :meth:`EWallet.update_holding` does, under the wallet's lock."""
    old = wallet.holding(kind, reference)
    if isinstance(value, Money) and value.currency != old.value.currency:
        raise CurrencyMismatch(old.value.currency.code, value.currency.code, "update")
    new = attrs.evolve(old, value=value)
    wallet._holdings[(kind, reference)] = new
    return new


def remove_holding(wallet: EWallet, kind: HoldingKind, reference: str) -> Holding:
    """What :meth:`EWallet.remove_holding` does, under the wallet's lock."""
    old = wallet.holding(kind, reference)
    del wallet._holdings[(kind, reference)]
    return old


def holdings_value(wallet: EWallet, cur: str | Currency) -> Money:
    """What :meth:`EWallet.holdings_value` does, under the wallet's lock."""
    c = currency(cur)
    total = Money.zero(c)
    for h in wallet._holdings.values():
        if h.value.currency == c:
            total = total + h.value
    return total


def restored_holdings(
    holdings: Iterable[Holding], wid: str
) -> dict[tuple[HoldingKind, str], Holding]:
    """The holdings storage handed over, by kind and reference; each checked, none twice."""
    holding_map: dict[tuple[HoldingKind, str], Holding] = {}
    for holding in items(holdings, "holdings"):
        if not isinstance(holding, Holding):
            raise ValidationError(f"expected a Holding, not {type(holding).__name__}")
        key = (holding.kind, holding.reference)
        if key in holding_map:
            raise DuplicateWalletItem(
                f"two {holding.kind.value} holdings {holding.reference!r} in wallet {wid}"
            )
        holding_map[key] = holding
    return holding_map
