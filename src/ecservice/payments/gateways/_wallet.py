"""The e-wallet gateway: stored value of buyers' e-wallets, with real holds, pays the merchant's."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, ClassVar, final

import attrs

from ecservice._shown import shown
from ecservice.errors import EcServiceError, InsufficientFunds, ValidationError
from ecservice.money import Currency, Money, sum_money
from ecservice.payments._card_numbers import looks_like_card_number
from ecservice.payments._gateway import InstrumentKind
from ecservice.payments.gateways._base import (
    Authorization,
    Capture,
    Declined,
    InstrumentGatewayBase,
)

if TYPE_CHECKING:
    from ecservice.payments.wallet import EWallet, WalletSession

__all__ = ["WalletGateway"]


def _ledger_reference(payment: str, operation: str) -> str:
    """The reference written in the wallets' ledgers: the payment and the gateway's operation id.

    A wallet refuses any reference holding something shaped like a card number, and a long
    all-digit payment id (an 18-digit order number, say) passes the Luhn check one time in ten;
    such an id is left out (the gateway's operation id still leads back to it).
    """
    if looks_like_card_number(payment) or len(payment) > 120:
        return operation
    return f"{payment} {operation}"


@attrs.define(eq=False)
class _WalletHold:
    wallet: EWallet
    hold_id: str


@final
class WalletGateway(InstrumentGatewayBase[_WalletHold]):
    """Payments from e-wallet stored value, with real holds, to the merchant's e-wallet.

    The instrument reference is the buyer's wallet id in ``wallets``. The merchant's side is an
    :class:`~ecservice.payments.wallet.EWallet` too, so both sides have a ledger.

    * **authorize** places a hold on the buyer's wallet
      (:meth:`EWallet.authorize <ecservice.payments.wallet.EWallet.authorize>`) with the owner's
      confirmation from ``auth_for``; a wrong PIN, a locked wallet, an expired session or too
      little stored value declines (a wrong PIN still counts towards the lock-out: the wallet's
      rule).
    * **capture** captures the hold (the rest goes back to available) and credits the merchant's
      wallet.
    * **void** releases the hold.
    * **refund** pays the amount out of the merchant's wallet (with ``merchant_auth``) and credits
      it to the buyer's; declined if the merchant's wallet cannot pay.

    Args:
        wallets: The buyers' e-wallets by wallet id: any mapping.
        merchant_wallet: The merchant's e-wallet.
        auth_for: The shop's way to get the buyer's confirmation: given a wallet id, the owner's
            PIN or an open :class:`~ecservice.payments.wallet.WalletSession` (for example the
            session the buyer opened at checkout). It may raise an
            :class:`~ecservice.errors.EcServiceError` to decline.
        merchant_auth: The merchant's PIN or session, asked for each refund.
        name: Prefix of the gateway's references.
    """

    kind: ClassVar[InstrumentKind] = InstrumentKind.WALLET

    def __init__(
        self,
        wallets: Mapping[str, EWallet],
        merchant_wallet: EWallet,
        auth_for: Callable[[str], str | WalletSession],
        *,
        merchant_auth: Callable[[], str | WalletSession],
        name: str = "wallet",
    ) -> None:
        super().__init__(name)
        self.wallets = wallets
        self.merchant_wallet = merchant_wallet
        self.auth_for = auth_for
        self.merchant_auth = merchant_auth

    # --- views ---------------------------------------------------------------------------------

    def buyer_balance(self, wallet_id: str, currency_: str | Currency) -> Money:
        """The stored value of wallet ``wallet_id``: available plus held.

        Raises:
            ValidationError: no such wallet.
        """
        wallet = self.wallets.get(wallet_id) if isinstance(wallet_id, str) else None
        if wallet is None:
            raise ValidationError(f"{self.name} knows no e-wallet {shown(wallet_id)}")
        return wallet.balance(currency_)

    def total_buyer_balance(self, currency_: str | Currency) -> Money:
        """All the buyers' stored value together, held value included."""
        return sum_money((w.balance(currency_) for w in self.wallets.values()), currency_)

    def merchant_balance(self, currency_: str | Currency) -> Money:
        """The stored value of the merchant's wallet."""
        return self.merchant_wallet.balance(currency_)

    def total_value(self, currency_: str | Currency) -> Money:
        """Buyers plus merchant: no payment, capture, void or refund changes it."""
        return self.total_buyer_balance(currency_) + self.merchant_balance(currency_)

    def hold_of(self, authorization: str) -> str:
        """The id of the buyer wallet's hold behind an authorisation.

        Raises:
            ValidationError: no such authorisation.
        """
        return self._auth(authorization).hold.hold_id

    # --- hooks ---------------------------------------------------------------------------------

    def _open_hold(self, instrument: str, amount: Money, payment: str, auth_id: str) -> _WalletHold:
        wallet = self.wallets.get(instrument)
        if wallet is None:
            raise Declined(f"unknown e-wallet {instrument!r}")
        if wallet is self.merchant_wallet:
            raise Declined(f"e-wallet {instrument!r} is the merchant's own wallet")
        try:
            hold = wallet.authorize(
                amount, _ledger_reference(payment, auth_id), auth=self.auth_for(instrument)
            )
        except InsufficientFunds as exc:
            raise Declined(f"insufficient funds: {exc}") from None
        except EcServiceError as exc:
            raise Declined(str(exc)) from None
        return _WalletHold(wallet, hold.hold_id)

    def _capture_hold(
        self, auth: Authorization[_WalletHold], amount: Money, capture_id: str
    ) -> None:
        try:
            auth.hold.wallet.capture(auth.hold.hold_id, amount)
        except EcServiceError as exc:
            raise Declined(str(exc)) from None
        self.merchant_wallet.credit(amount, _ledger_reference(auth.payment, capture_id))

    def _release_hold(self, auth: Authorization[_WalletHold]) -> None:
        try:
            auth.hold.wallet.release(auth.hold.hold_id)
        except EcServiceError as exc:
            raise Declined(str(exc)) from None

    def _give_back(self, capture: Capture[_WalletHold], amount: Money, refund_id: str) -> None:
        reference = _ledger_reference(capture.authorization.payment, refund_id)
        try:
            self.merchant_wallet.pay(amount, reference, auth=self.merchant_auth())
        except EcServiceError as exc:
            raise Declined(f"the merchant's wallet cannot pay the refund: {exc}") from None
        capture.authorization.hold.wallet.credit(amount, reference)
