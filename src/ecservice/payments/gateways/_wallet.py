"""The e-wallet gateway: stored value of buyers' e-wallets, with real holds, pays the merchant's."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Final, final

import attrs

from ecservice._shown import shown
from ecservice.errors import EcServiceError, InsufficientFunds, InvalidAmount, ValidationError
from ecservice.money import Currency, Money, sum_money
from ecservice.payments._card_numbers import looks_like_card_number
from ecservice.payments._gateway import GatewayResponse, InstrumentKind
from ecservice.payments.gateways._base import (
    Authorization,
    Capture,
    Declined,
    InstrumentGatewayBase,
)
from ecservice.payments.gateways._book import GatewayBook, HoldCodec
from ecservice.text import check_key, check_text

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    from ecservice.payments.wallet import DualSignedPayment, EWallet, PaymentPart, WalletSession

__all__ = ["WALLET_HOLDS", "WalletGateway"]

_log = logging.getLogger("ecservice.payments.gateways")


def _asked_auth(ask: Callable[[], object], what: str) -> str | WalletSession:
    """The PIN or session the shop's callback ``what`` gives, or :class:`Declined`.

    The callback is the shop's code: it may decline by raising an
    :class:`~ecservice.errors.EcServiceError` (its message is the decline's). Any other error it
    raises, or an answer that is neither a PIN (``str``) nor a
    :class:`~ecservice.payments.wallet.WalletSession`, is a fault of the shop, not of the buyer:
    the operation is declined with a message naming the callback, the fault is logged with its
    traceback for the shop to fix, nothing moves and no PIN attempt is counted.
    """
    from ecservice.payments.wallet import WalletSession

    try:
        auth = ask()
    except EcServiceError as exc:
        raise Declined(str(exc)) from None
    except Exception as exc:
        _log.exception("the shop's %s failed", what)
        raise Declined(f"the shop's {what} failed ({type(exc).__name__})") from None
    if not isinstance(auth, (str, WalletSession)):
        _log.error("the shop's %s returned a %s", what, type(auth).__name__)
        raise Declined(
            f"the shop's {what} returned {type(auth).__name__}, not a PIN (str) or a WalletSession"
        )
    return auth


def _ledger_reference(payment: str, operation: str) -> str:
    """The reference written in the wallets' ledgers: the payment and the gateway's operation id.

    A wallet refuses any reference holding something shaped like a card number, and a long
    all-digit payment id (an 18-digit order number, say) passes the Luhn check one time in ten;
    such an id is left out (the gateway's operation id still leads back to it).
    """
    if looks_like_card_number(payment) or len(payment) > 120:
        return operation
    return f"{payment} {operation}"


@final
@attrs.frozen
class _WalletHold:
    """The hold behind an e-wallet authorisation: the buyer's wallet (by id, found in the
    gateway's ``wallets``) and the hold's id in that wallet."""

    wallet_id: str
    hold_id: str


@final
class _WalletHolds(HoldCodec[_WalletHold]):
    """Writes the e-wallet gateway's holds as ``{"wallet_id", "hold_id"}``."""

    __slots__ = ()

    @property
    def fields(self) -> tuple[str, ...]:
        return ("wallet_id", "hold_id")

    def dump(self, hold: _WalletHold) -> dict[str, str]:
        if type(hold) is not _WalletHold:
            raise ValidationError(f"expected an e-wallet hold, not {type(hold).__name__}")
        return {"wallet_id": hold.wallet_id, "hold_id": hold.hold_id}

    def load(self, data: Mapping[str, str]) -> _WalletHold:
        return _WalletHold(
            check_key(data["wallet_id"], "a hold's wallet_id"),
            check_key(data["hold_id"], "a hold's hold_id"),
        )

    def __repr__(self) -> str:
        return "WALLET_HOLDS"


#: The :class:`~ecservice.payments.gateways.HoldCodec` of :class:`WalletGateway`: a hold is
#: written as ``{"wallet_id": ..., "hold_id": ...}`` (the buyer's wallet, found in the
#: gateway's ``wallets`` when the hold is used, and the hold's id in it).
WALLET_HOLDS: Final[HoldCodec[_WalletHold]] = _WalletHolds()


@final
class WalletGateway(InstrumentGatewayBase[_WalletHold]):
    """Payments from e-wallet stored value, with real holds, to the merchant's e-wallet.

    The instrument reference is the buyer's wallet id in ``wallets``. The merchant's side is an
    :class:`~ecservice.payments.wallet.EWallet` too, so both sides have a ledger.

    * **authorize** places a hold on the buyer's wallet
      (:meth:`EWallet.authorize <ecservice.payments.wallet.EWallet.authorize>`) with the owner's
      confirmation from ``auth_for``; a wrong PIN, a locked wallet, an expired session or too
      little stored value declines (a wrong PIN still counts towards the lock-out: the wallet's
      rule), and so does a fault of ``auth_for`` (counting nothing).
    * **capture** captures the hold (the rest goes back to available) and credits the merchant's
      wallet.
    * **void** releases the hold.
    * **refund** pays the amount out of the merchant's wallet (with ``merchant_auth``) and credits
      it to the buyer's; declined if the merchant's wallet cannot pay.
    * **authorize_dual** takes a dual-signed purchase instead of the buyer's PIN
      (:meth:`authorize_dual`): it opens the payment part sealed to :attr:`sealing_public_key`,
      checks the buyer's dual signature with the order part's digest only, and adopts the hold
      the buyer's wallet placed when it signed.

    Args:
        wallets: The buyers' e-wallets by wallet id: any mapping.
        merchant_wallet: The merchant's e-wallet.
        auth_for: The shop's way to get the buyer's confirmation: given a wallet id, the owner's
            PIN (a ``str``) or an open :class:`~ecservice.payments.wallet.WalletSession` (for
            example the session the buyer opened at checkout). It may raise an
            :class:`~ecservice.errors.EcServiceError` to decline (its message is the
            decline's). If it raises any other error or returns anything else, the
            authorisation is declined with a message saying that the shop's ``auth_for``
            failed (the error is logged with its traceback on the
            ``ecservice.payments.gateways`` logger); nothing moves and no PIN attempt is
            counted.
        merchant_auth: The merchant's PIN or session, asked for each refund; handled as
            ``auth_for`` (a fault declines the refund, saying the shop's ``merchant_auth``
            failed).
        name: Prefix of the gateway's references.
        sealing_key: The gateway's X25519 private key, which opens the payment parts that
            wallets seal to its public key (:attr:`sealing_public_key`); default: a new random
            key. Keep it as secret as a signing key.
        merchant_id: The payee a dual-signed payment part must name to be authorised here
            (default: the merchant wallet's owner).
        book: Where the gateway keeps its answers, authorisations and captures (default: a new
            :class:`~ecservice.payments.gateways.MemoryBook`); a
            :class:`~ecservice.storage.StoredGatewayBook` over
            :data:`~ecservice.payments.gateways.WALLET_HOLDS` keeps them
            in a unit of work (see :class:`~ecservice.application.WalletPaymentService`, which
            builds a gateway per unit of work over the stored wallets).

    Raises:
        ValidationError: ``sealing_key`` is not an X25519 private key, ``merchant_id`` is
            not acceptable text, or ``book`` is not a book.
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
        sealing_key: X25519PrivateKey | None = None,
        merchant_id: str | None = None,
        book: GatewayBook[Any] | None = None,
    ) -> None:
        from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

        if sealing_key is not None and not isinstance(sealing_key, X25519PrivateKey):
            raise ValidationError(
                f"sealing_key must be an X25519PrivateKey, not {type(sealing_key).__name__}"
            )
        from ecservice.payments.wallet import EWallet

        if not isinstance(merchant_wallet, EWallet):
            raise ValidationError(
                "merchant_wallet must be the merchant's EWallet, not "
                f"{type(merchant_wallet).__name__}"
            )
        payee = merchant_wallet.owner if merchant_id is None else merchant_id
        super().__init__(name, book=book)
        self.wallets = wallets
        self.merchant_wallet = merchant_wallet
        self.auth_for = auth_for
        self.merchant_auth = merchant_auth
        self.merchant_id = check_text(payee, "a merchant id", limit=120)
        self._sealing_key = sealing_key or X25519PrivateKey.generate()
        self._purchases: dict[str, str] = {}

    @property
    def sealing_public_key(self) -> bytes:
        """The raw 32-byte X25519 public key wallets seal payment parts to
        (:meth:`EWallet.instruct_dual <ecservice.payments.wallet.EWallet.instruct_dual>`)."""
        return self._sealing_key.public_key().public_bytes_raw()

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
        with self._lock:
            return self._auth(authorization).hold.hold_id

    def _wallet_of(self, hold: _WalletHold) -> EWallet:
        """The buyer's wallet behind ``hold``, found in ``wallets``."""
        wallet = self.wallets.get(hold.wallet_id)
        if wallet is None:
            raise Declined(f"{self.name} knows no e-wallet {shown(hold.wallet_id)}")
        return wallet

    # --- dual-signed purchases ---------------------------------------------------------------

    def authorize_dual(
        self,
        request: DualSignedPayment,
        amount: Money,
        *,
        reference: str,
        idempotency_key: str,
    ) -> GatewayResponse:
        """Authorise a dual-signed purchase: the buyer's signature stands for their PIN.

        The gateway opens the sealed payment part with its private key and the order part's
        digest (:func:`~ecservice.payments.wallet.open_payment`), checks the dual signature
        against the key of the wallet the payment part names
        (:func:`~ecservice.payments.wallet.verify_payment_part`; it never sees the order part),
        checks that the payment part's amount is ``amount`` and its payee ``merchant_id``,
        then records an authorisation over the hold the wallet placed when it signed: capture,
        void and refund work on it as on any other. Refusals raised here change nothing.

        As with ``authorize``, ``idempotency_key`` makes a retry safe (the same key and
        request answer the stored approval and move nothing; another request under the key
        raises :class:`~ecservice.errors.IdempotencyConflict`). A purchase authorised once is
        declined under any other key. Declined (``approved=False``): a wallet the gateway does
        not know, the merchant's own wallet, card funding (this gateway moves stored value
        only), a hold that is no longer open or does not match.

        Raises:
            InvalidEnvelope: the payment part was not sealed to this gateway's key or for this
                order part, or was altered.
            InvalidSignature: the dual signature does not verify, or it was made by another key
                than the wallet's.
            PurchaseMismatch: the payment part names another amount or another payee.
            InvalidAmount: ``amount`` is not a positive Money.
            ValidationError: ``request`` is not a
                :class:`~ecservice.payments.wallet.DualSignedPayment`, or ``reference`` or
                ``idempotency_key`` is not acceptable text.
            IdempotencyConflict: ``idempotency_key`` was used for another request.
        """
        from ecservice.payments.wallet import (
            DualSignedPayment,
            PurchaseMismatch,
            open_payment,
            verify_payment_part,
        )

        if not isinstance(request, DualSignedPayment):
            raise ValidationError(
                f"a dual authorisation needs a DualSignedPayment, not {type(request).__name__}"
            )
        if not isinstance(amount, Money) or amount.is_negative() or amount.is_zero():
            raise InvalidAmount(f"an authorisation must be a positive Money, not {shown(amount)}")
        check_text(reference, "a payment reference")
        payment = open_payment(request.sealed_payment, self._sealing_key, request.order_digest)
        wallet = self.wallets.get(payment.wallet_id)
        expected = wallet.public_key if wallet is not None else None
        verify_payment_part(payment, request.order_digest, request.signature, expected)
        if payment.amount != amount:
            raise PurchaseMismatch(
                f"the buyer signed a payment of {payment.amount}, not of {amount}"
            )
        if payment.payee != self.merchant_id:
            raise PurchaseMismatch(
                f"the buyer signed a payment to {shown(payment.payee)}, "
                f"not to this gateway's merchant {shown(self.merchant_id)}"
            )
        fingerprint = (
            f"authorize-dual {payment.wallet_id} {amount.amount} {amount.currency.code} "
            f"for {reference} purchase {payment.purchase_id}"
        )
        with self._lock:
            self.calls.append(("authorize", reference))
            return self._once(
                idempotency_key, fingerprint, lambda: self._adopt(payment, wallet, reference)
            )

    def _adopt(
        self, payment: PaymentPart, wallet: EWallet | None, reference: str
    ) -> GatewayResponse:
        """Record an authorisation over the hold a dual-signed payment part names, or decline."""
        from ecservice.payments.wallet import STORED_VALUE, HoldStatus

        def declined(why: str) -> GatewayResponse:
            return GatewayResponse(approved=False, message=why)

        if wallet is None:
            return declined(f"unknown e-wallet {shown(payment.wallet_id)}")
        if wallet is self.merchant_wallet:
            return declined(f"e-wallet {shown(payment.wallet_id)} is the merchant's own wallet")
        if payment.funding != STORED_VALUE or payment.hold_id is None:
            return declined("the purchase is funded by a card: authorise it at the card's gateway")
        earlier = self._purchases.get(payment.purchase_id)
        if earlier is not None:
            return declined(f"the purchase is already authorised as {earlier}")
        try:
            hold = wallet.hold(payment.hold_id)
        except EcServiceError as exc:
            return declined(str(exc))
        if hold.status is not HoldStatus.OPEN or hold.amount != payment.amount:
            return declined(
                f"hold {hold.hold_id} is {hold.status.value} for {hold.amount}; "
                f"the purchase needs an open hold for {payment.amount}"
            )
        # A stored book derives the reference from the purchase: every process makes the same.
        auth_id = self._next("auth", of=f"purchase {payment.purchase_id}")
        if self._book.authorization(auth_id) is not None:
            return declined(f"the purchase is already authorised as {auth_id}")
        self._book.put(
            Authorization(
                auth_id,
                reference,
                payment.wallet_id,
                payment.amount,
                _WalletHold(payment.wallet_id, hold.hold_id),
            )
        )
        self._purchases[payment.purchase_id] = auth_id
        return GatewayResponse(approved=True, reference=auth_id, amount=payment.amount)

    # --- hooks ---------------------------------------------------------------------------------

    def _open_hold(self, instrument: str, amount: Money, payment: str, auth_id: str) -> _WalletHold:
        wallet = self.wallets.get(instrument)
        if wallet is None:
            raise Declined(f"unknown e-wallet {instrument!r}")
        if wallet is self.merchant_wallet:
            raise Declined(f"e-wallet {instrument!r} is the merchant's own wallet")
        auth = _asked_auth(lambda: self.auth_for(instrument), "auth_for")
        try:
            hold = wallet.authorize(amount, _ledger_reference(payment, auth_id), auth=auth)
        except InsufficientFunds as exc:
            raise Declined(f"insufficient funds: {exc}") from None
        except EcServiceError as exc:
            raise Declined(str(exc)) from None
        return _WalletHold(instrument, hold.hold_id)

    def _capture_hold(
        self, auth: Authorization[_WalletHold], amount: Money, capture_id: str
    ) -> None:
        from ecservice.payments.wallet import HoldStatus

        wallet, hold_id = self._wallet_of(auth.hold), auth.hold.hold_id
        try:
            # Only an open hold pays the merchant: a hold another gateway (another process of
            # the shop with the same sealing key) captured already is not paid again.
            if wallet.hold(hold_id).status is not HoldStatus.OPEN:
                raise Declined(f"hold {hold_id} is already settled: it pays the merchant once")
            wallet.capture(hold_id, amount)
        except EcServiceError as exc:
            raise Declined(str(exc)) from None
        self.merchant_wallet.credit(amount, _ledger_reference(auth.payment, capture_id))

    def _release_hold(self, auth: Authorization[_WalletHold]) -> None:
        wallet = self._wallet_of(auth.hold)
        try:
            wallet.release(auth.hold.hold_id)
        except EcServiceError as exc:
            raise Declined(str(exc)) from None

    def _give_back(self, capture: Capture[_WalletHold], amount: Money, refund_id: str) -> None:
        reference = _ledger_reference(capture.authorization.payment, refund_id)
        buyer = self._wallet_of(capture.authorization.hold)
        auth = _asked_auth(self.merchant_auth, "merchant_auth")
        try:
            self.merchant_wallet.pay(amount, reference, auth=auth)
        except EcServiceError as exc:
            raise Declined(f"the merchant's wallet cannot pay the refund: {exc}") from None
        buyer.credit(amount, reference)
