"""The checks of what a wallet is made from: its identity, and the cards storage keeps."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Final, TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ecservice.clock import check_zone
from ecservice.errors import ValidationError
from ecservice.payments.wallet._cards import CardReference, check_reference
from ecservice.payments.wallet._errors import DuplicateWalletItem
from ecservice.payments.wallet._pin import KdfParams

__all__ = ["check_identity", "items", "restored_cards"]

_T = TypeVar("_T")


def items(values: Iterable[_T], what: str) -> tuple[_T, ...]:
    """The items of a list, tuple or other iterable that storage handed over (not a str)."""
    if isinstance(values, (str, bytes)):
        raise ValidationError(f"{what} must be a sequence of items, not a {type(values).__name__}")
    try:
        return tuple(values)
    except TypeError:
        raise ValidationError(
            f"{what} must be a sequence of items, not {type(values).__name__}"
        ) from None


def check_identity(
    owner: object,
    wallet_id: object,
    clock: object,
    kdf: object,
    zone: object,
    signing_key: object,
) -> tuple[str, str, str]:
    """The owner, the wallet id and the zone name a wallet is made with, once all are checked.

    Raises:
        ValidationError: ``zone`` is not an IANA time zone name
            (:func:`~ecservice.clock.check_zone`), ``clock``, ``kdf`` or ``signing_key`` has the
            wrong type, or the owner or wallet id is not acceptable text.
        FullCardNumberRefused: the owner or wallet id holds something shaped like a card number.
    """
    zone_name = check_zone(zone)
    if not callable(getattr(clock, "now", None)):
        raise ValidationError(f"clock must be a Clock, not {type(clock).__name__}")
    if not isinstance(kdf, KdfParams):
        raise ValidationError(f"kdf must be KdfParams, not {type(kdf).__name__}")
    if signing_key is not None and not isinstance(signing_key, Ed25519PrivateKey):
        raise ValidationError(
            f"signing_key must be an Ed25519PrivateKey, not {type(signing_key).__name__}"
        )
    wid = check_reference(new_wallet_id() if wallet_id is None else wallet_id, "wallet id")
    return check_reference(owner, "wallet owner"), wid, zone_name


def new_wallet_id() -> str:
    """A random wallet id: ``w-`` and 16 letters a-p (64 random bits, four per letter).

    Letters only, so that an id can never look like a card number (random digits would, about
    once in 200,000 ids: 16 digits passing the Luhn check) and be refused as one.
    """
    return "w-" + secrets.token_hex(8).translate(_HEX_TO_LETTERS)


_HEX_TO_LETTERS: Final = str.maketrans("0123456789abcdef", "abcdefghijklmnop")


def restored_cards(cards: Iterable[CardReference], wid: str) -> dict[str, CardReference]:
    """The cards storage handed over, by token; each checked, no token twice."""
    card_map: dict[str, CardReference] = {}
    for card in items(cards, "cards"):
        if not isinstance(card, CardReference):
            raise ValidationError(f"expected a CardReference, not {type(card).__name__}")
        if card.token in card_map:
            raise DuplicateWalletItem(f"two cards of wallet {wid} share one token")
        card_map[card.token] = card
    return card_map
