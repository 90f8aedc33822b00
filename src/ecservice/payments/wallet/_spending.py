"""Spending from a wallet with the owner's consent: paying, authorising, signing instructions.

:meth:`EWallet.pay <ecservice.payments.wallet.EWallet.pay>`, ``authorize``, ``instruct`` and
``instruct_dual`` (which document the behaviour and the errors) run these functions under the
wallet's lock. Each checks its texts and amount before the PIN (a refused text costs no
attempt), then the owner's ``auth``; an instruction then checks its funding (a card that is in
the wallet and unexpired, or enough available stored value), signs, and only then places the
hold that stored-value funding names, so a refusal changes nothing. What is signed, and how, is
in ``_instruction`` (one signature) and ``_dual_signature`` (SET's dual signature); the books
themselves are :class:`~ecservice.payments.wallet.StoredValue`.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from pendulum import DateTime

from ecservice.money import Money
from ecservice.payments.wallet import _access, _wallet_cards
from ecservice.payments.wallet._access import Auth
from ecservice.payments.wallet._cards import check_reference
from ecservice.payments.wallet._dual_signature import DualSignedOrder, dual_sign
from ecservice.payments.wallet._envelope import check_gateway_key
from ecservice.payments.wallet._errors import CardExpired
from ecservice.payments.wallet._instruction import SignedInstruction, sign_instruction
from ecservice.payments.wallet._ledger import Hold, LedgerEntry
from ecservice.payments.wallet._stored_value import positive_money

if TYPE_CHECKING:
    from ecservice.payments.wallet._ewallet import EWallet

__all__ = ["STORED_VALUE", "authorize", "funding", "instruct", "instruct_dual", "pay"]

#: The funding of an instruction paid from the wallet's stored value.
STORED_VALUE = "stored-value"


def pay(wallet: EWallet, amount: Money, reference: str, *, auth: Auth) -> LedgerEntry:
    """What :meth:`EWallet.pay` does, under the wallet's lock."""
    positive_money(amount, "a payment")
    reference = check_reference(reference, "a payment reference")
    _access.authenticate(wallet, auth)
    return wallet._books.debit(amount, reference)


def authorize(wallet: EWallet, amount: Money, reference: str, *, auth: Auth) -> Hold:
    """What :meth:`EWallet.authorize` does, under the wallet's lock."""
    positive_money(amount, "an authorisation")
    reference = check_reference(reference, "an authorisation reference")
    _access.authenticate(wallet, auth)
    return wallet._books.authorize(amount, reference)


def instruct(
    wallet: EWallet,
    payee: str,
    amount: Money,
    reference: str,
    *,
    auth: Auth,
    card: str | None,
) -> SignedInstruction:
    """What :meth:`EWallet.instruct` does, under the wallet's lock."""
    payee = check_reference(payee, "an instruction's payee")
    positive_money(amount, "an instruction amount")
    reference = check_reference(reference, "an instruction's reference")
    _access.authenticate(wallet, auth)
    now = wallet.clock.now()
    paid_by, hold_id = funding(wallet, card, amount, now)
    signed = sign_instruction(
        wallet._signing_key,
        wallet_id=wallet.wallet_id,
        payer=wallet.owner,
        payee=payee,
        amount=amount,
        reference=reference,
        funding=paid_by,
        hold_id=hold_id,
        issued_at=now,
        nonce=secrets.token_hex(16),
    )
    if hold_id is not None:
        wallet._books.authorize(amount, reference)  # cannot fail: checked above
    return signed


def instruct_dual(
    wallet: EWallet,
    merchant: str,
    amount: Money,
    reference: str,
    *,
    auth: Auth,
    gateway_key: bytes | X25519PublicKey,
    card: str | None,
) -> DualSignedOrder:
    """What :meth:`EWallet.instruct_dual` does, under the wallet's lock."""
    merchant = check_reference(merchant, "an order's merchant")
    positive_money(amount, "an instruction amount")
    reference = check_reference(reference, "an order's reference")
    check_gateway_key(gateway_key)
    _access.authenticate(wallet, auth)
    now = wallet.clock.now()
    paid_by, hold_id = funding(wallet, card, amount, now)
    signed = dual_sign(
        wallet._signing_key,
        gateway_key,
        merchant=merchant,
        reference=reference,
        wallet_id=wallet.wallet_id,
        payer=wallet.owner,
        amount=amount,
        funding=paid_by,
        hold_id=hold_id,
        issued_at=now,
    )
    if hold_id is not None:
        wallet._books.authorize(amount, reference)  # cannot fail: checked above
    return signed


def funding(
    wallet: EWallet, card: str | None, amount: Money, now: DateTime
) -> tuple[str, str | None]:
    """The funding of an instruction and the id of the hold it will place (none for a
    card); checks the card or the available value, changes nothing."""
    if card is not None:
        ref = _wallet_cards.find_card(wallet, card)
        if ref.is_expired(now, wallet.zone):
            raise CardExpired(f"cannot pay with {ref}: {_wallet_cards.expiry(ref, wallet.zone)}")
        return f"card:{ref.token}", None
    wallet._books.require(amount, "instruct a payment of")
    return STORED_VALUE, wallet._books.next_hold_id()
