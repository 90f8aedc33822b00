"""The cards a wallet keeps: adding, finding, listing and removing its card references.

:meth:`EWallet.add_card <ecservice.payments.wallet.EWallet.add_card>`, ``remove_card``, ``card``
and ``cards`` (which document the behaviour and the errors) run these functions under the
wallet's lock. The card reference itself (token, brand, last four digits, expiry) is
:class:`~ecservice.payments.wallet.CardReference`; the checks of cards loaded from storage are in
``_restore``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ecservice.errors import ValidationError
from ecservice.payments.wallet import _access
from ecservice.payments.wallet._access import Auth
from ecservice.payments.wallet._cards import CardReference
from ecservice.payments.wallet._errors import CardExpired, DuplicateWalletItem, UnknownCard

if TYPE_CHECKING:
    from ecservice.payments.wallet._ewallet import EWallet

__all__ = ["add_card", "expiry", "find_card", "list_cards", "remove_card"]

_log = logging.getLogger("ecservice.payments.wallet")


def add_card(wallet: EWallet, card: CardReference, auth: Auth) -> CardReference:
    """What :meth:`EWallet.add_card` does, under the wallet's lock."""
    if not isinstance(card, CardReference):
        raise ValidationError(f"expected a CardReference, not {type(card).__name__}")
    _access.authenticate(wallet, auth)
    if card.token in wallet._cards:
        raise DuplicateWalletItem(f"a card with this token is already in wallet {wallet.wallet_id}")
    if card.is_expired(wallet.clock.now(), wallet.zone):
        raise CardExpired(f"cannot add {card}: {expiry(card, wallet.zone)}")
    wallet._cards[card.token] = card
    _log.info("wallet %s: card %s added", wallet.wallet_id, card)
    return card


def expiry(card: CardReference, zone: str) -> str:
    """When an expired ``card`` expired, for an error message: the instant and how it was read."""
    return (
        f"it expired on {card.expires_at(zone).isoformat()} (the end of "
        f"{card.exp_month:02d}/{card.exp_year} in {zone})"
    )


def remove_card(wallet: EWallet, token: str) -> CardReference:
    """What :meth:`EWallet.remove_card` does, under the wallet's lock."""
    card = find_card(wallet, token)
    del wallet._cards[token]
    return card


def find_card(wallet: EWallet, token: str) -> CardReference:
    """What :meth:`EWallet.card` does, under the wallet's lock."""
    try:
        return wallet._cards[token]
    except (KeyError, TypeError):
        raise UnknownCard(f"wallet {wallet.wallet_id} has no card with this token") from None


def list_cards(wallet: EWallet, *, usable_only: bool) -> tuple[CardReference, ...]:
    """What :meth:`EWallet.cards` does, under the wallet's lock."""
    now = wallet.clock.now()
    return tuple(
        c for c in wallet._cards.values() if not (usable_only and c.is_expired(now, wallet.zone))
    )
