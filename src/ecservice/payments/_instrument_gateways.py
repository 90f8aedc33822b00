"""Payment gateways over the shop's own instruments: e-cash, stored-value purses, e-wallets.

Each gateway implements :class:`~ecservice.payments.PaymentGateway`, so a
:class:`~ecservice.payments.Payment` (and :class:`~ecservice.payments.OrderPayments`) is paid with
e-cash, a Mondex-style purse or an e-wallet exactly as with a card through
:class:`~ecservice.payments.InMemoryGateway`:

* :class:`EcashGateway`: the buyer's :class:`~ecservice.payments.ecash.CoinWallet` pays the
  merchant's account at a :class:`~ecservice.payments.ecash.Mint`;
* :class:`PurseGateway`: the buyer's :class:`~ecservice.payments.mondex.Purse` pays the merchant's
  purse with the purse-to-purse protocol;
* :class:`WalletGateway`: the buyer's :class:`~ecservice.payments.wallet.EWallet` stored value,
  with real holds, pays the merchant's e-wallet.

Every gateway exposes the same conservation views, per currency: ``buyer_balance``,
``total_buyer_balance`` (value held by open authorisations is *included*: it is still the
buyer's), ``held``, ``merchant_balance`` and ``total_value`` (buyers plus merchant), which no
operation changes. For the bearer instruments (e-cash, purses) ``held`` is what the gateway
reserves for its own authorisations; the buyer can still spend it elsewhere, and the capture then
declines.

The e-cash and e-wallet modules need the ``crypto`` extra; this module imports them only for type
checking and inside the methods that use them, so importing it needs no ``cryptography``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, ClassVar, final

import attrs

from ecservice.errors import EcServiceError, InsufficientFunds, ValidationError
from ecservice.money import Currency, Money, currency, sum_money
from ecservice.payments._gateway import InstrumentKind
from ecservice.payments._instrument_gateway_base import (
    Authorization,
    AuthorizationState,
    Capture,
    Declined,
    InstrumentGatewayBase,
)
from ecservice.payments.mondex import PaymentDetails, Purse, PurseStatus, transfer

if TYPE_CHECKING:
    from ecservice.payments.ecash import CoinSpend, CoinWallet, DepositReceipt, Mint
    from ecservice.payments.wallet import EWallet, WalletSession

__all__ = ["AuthorizationState", "EcashGateway", "PurseGateway", "WalletGateway"]


def _short(data: bytes) -> str:
    return data[:8].hex()


# === e-cash ======================================================================================


@attrs.define(eq=False)
class _EcashHold:
    wallet: CoinWallet
    contract: bytes
    spends: tuple[CoinSpend, ...]


@attrs.define(eq=False)
class _EcashDeposit:
    receipt: DepositReceipt
    refunded: Money

    @property
    def net(self) -> Money:
        return self.receipt.amount - self.refunded


@final
class EcashGateway(InstrumentGatewayBase[_EcashHold]):
    """Payments with e-cash coins of one :class:`~ecservice.payments.ecash.Mint`.

    The instrument reference is the id of the buyer's
    :class:`~ecservice.payments.ecash.CoinWallet` in ``wallets``.

    * **authorize** checks that the wallet holds enough spendable value beyond what this gateway's
      other open authorisations reserve, and has the buyer's coins sign
      :class:`~ecservice.payments.ecash.CoinSpend` values for a contract hash derived from the
      payment reference (see :meth:`prepared_spends`). The gateway keeps them; nothing moves, not
      at the mint and not in the wallet, whose coins stay spendable (e-cash is a bearer
      instrument: a hold binds this gateway, not the coins).
    * **capture** has the wallet pay exactly the captured amount for that contract
      (:meth:`CoinWallet.pay <ecservice.payments.ecash.CoinWallet.pay>`, which deducts it and picks
      the coins, making a partial spend of a coin where needed) and deposits the spends at the
      mint. For an unchanged wallet and a full capture these are the prepared spends themselves
      (Ed25519 signatures are deterministic). Less than authorised spends only what is needed;
      the rest never leaves the wallet.
    * **void** drops the prepared spends.
    * **refund** asks the mint to refund the capture's deposits (never more than deposited) and
      applies the receipts to the buyer's wallet. The mint refunds only what it has not paid out
      to the merchant yet (:meth:`payout`); after a payout the refund is declined.

    Before authorising or capturing, the gateway checks that the wallet is in step with the mint
    (every coin with value is the mint's and the mint honours at least what the wallet believes
    is left), so a deposit can never fail after the wallet deducted the value. The wallets and
    the mint should read the same clock.

    Args:
        mint: The mint issuing the coins and taking the deposits.
        wallets: The buyers' coin wallets by id: any mapping, for example a dict the shop keeps
            registering wallets in.
        merchant: The merchant id deposits are made for.
        name: Prefix of the gateway's references.
    """

    kind: ClassVar[InstrumentKind] = InstrumentKind.ECASH

    def __init__(
        self,
        mint: Mint,
        wallets: Mapping[str, CoinWallet],
        merchant: str,
        *,
        name: str = "ecash",
    ) -> None:
        super().__init__(name)
        if not isinstance(merchant, str) or not merchant.strip():
            raise ValidationError(f"a merchant id must be a non-blank string, not {merchant!r}")
        self.mint = mint
        self.wallets = wallets
        self.merchant = merchant
        self._deposits: dict[str, list[_EcashDeposit]] = {}

    # --- views ---------------------------------------------------------------------------------

    def _zero(self, currency_: str | Currency) -> tuple[Currency, Money]:
        cur = currency(currency_)
        return cur, Money.zero(cur)

    def buyer_balance(self, wallet_id: str, currency_: str | Currency) -> Money:
        """The value left on the coins of wallet ``wallet_id`` (held value included).

        Raises:
            ValidationError: no such wallet.
        """
        cur, zero = self._zero(currency_)
        wallet = self.wallets.get(wallet_id)
        if wallet is None:
            raise ValidationError(f"{self.name} knows no coin wallet {wallet_id!r}")
        return wallet.balance if wallet.currency == cur else zero

    def total_buyer_balance(self, currency_: str | Currency) -> Money:
        """All the buyers' wallets together."""
        cur = currency(currency_)
        return sum_money((w.balance for w in self.wallets.values() if w.currency == cur), cur)

    def merchant_pending(self, currency_: str | Currency) -> Money:
        """What the mint owes the merchant: deposits not yet paid out, net of refunds."""
        cur, zero = self._zero(currency_)
        return self.mint.pending_total(self.merchant) if cur == self.mint.currency else zero

    def merchant_paid_out(self, currency_: str | Currency) -> Money:
        """What the mint has paid out to the merchant so far."""
        cur, zero = self._zero(currency_)
        if cur != self.mint.currency:
            return zero
        return sum_money((p.amount for p in self.mint.payouts if p.merchant == self.merchant), cur)

    def merchant_balance(self, currency_: str | Currency) -> Money:
        """The merchant's e-cash income: pending at the mint plus paid out."""
        return self.merchant_pending(currency_) + self.merchant_paid_out(currency_)

    def total_value(self, currency_: str | Currency) -> Money:
        """Buyers plus merchant: no payment, capture, void or refund changes it."""
        return self.total_buyer_balance(currency_) + self.merchant_balance(currency_)

    def prepared_spends(self, authorization: str) -> tuple[CoinSpend, ...]:
        """The spends the buyer's coins signed for an open authorisation (none once settled).

        Raises:
            ValidationError: no such authorisation.
        """
        auth = self._auth(authorization)
        return auth.hold.spends if auth.is_open else ()

    def deposits(self, capture: str) -> tuple[DepositReceipt, ...]:
        """The mint's receipts for the deposits of a capture.

        Raises:
            ValidationError: no such capture.
        """
        self._capture(capture)
        return tuple(d.receipt for d in self._deposits[capture])

    def payout(self) -> Money:
        """Have the mint pay the merchant every outstanding deposit; those can no longer be
        refunded. Returns the amount paid out."""
        with self._lock:
            return self.mint.payout(self.merchant)

    # --- helpers -------------------------------------------------------------------------------

    def _spendable(self, wallet: CoinWallet) -> dict[bytes, Money]:
        """What is left on each coin still depositable now, by coin id."""
        now = self.mint.clock.now()
        found: dict[bytes, Money] = {}
        for coin in wallet.coins:
            left = wallet.remaining(coin.public_key)
            if left.is_zero() or left.is_negative():
                continue
            if wallet.wallet_coin(coin.public_key).denomination.depositable_at(now):
                found[coin.public_key] = left
        return found

    def _check_in_step(self, wallet: CoinWallet) -> None:
        from ecservice.payments.ecash import UnknownDenomination

        if wallet.currency != self.mint.currency:
            raise Declined(
                f"the coin wallet holds {wallet.currency.code}, the mint issues "
                f"{self.mint.currency.code}"
            )
        for coin in wallet.coins:
            left = wallet.remaining(coin.public_key)
            if left.is_zero():
                continue
            try:
                honoured = self.mint.remaining_value(coin)
            except UnknownDenomination:
                raise Declined(
                    f"the coin wallet holds coin {_short(coin.public_key)} of another mint than "
                    f"{self.mint.name}: pay with a wallet holding only {self.mint.name}'s coins"
                ) from None
            if honoured < left:
                raise Declined(
                    f"the coin wallet believes coin {_short(coin.public_key)} has {left} left, "
                    f"but {self.mint.name} honours only {honoured}: it was spent elsewhere"
                )

    def _reserved(self, wallet: CoinWallet, *, but: str | None = None) -> dict[bytes, Money]:
        """Per coin, what the prepared spends of open authorisations on ``wallet`` reserve."""
        reserved: dict[bytes, Money] = {}
        for auth in self._auths.values():
            if auth.is_open and auth.hold.wallet is wallet and auth.id != but:
                for spend in auth.hold.spends:
                    key = spend.coin.public_key
                    reserved[key] = reserved.get(key, Money.zero(spend.amount.currency)) + (
                        spend.amount
                    )
        return reserved

    def _contract(self, payment: str, auth_id: str) -> bytes:
        from ecservice.payments.ecash import contract_hash

        return contract_hash(f"ecservice/payment/v1\n{self.merchant}\n{payment}\n{auth_id}")

    # --- hooks ---------------------------------------------------------------------------------

    def _open_hold(self, instrument: str, amount: Money, payment: str, auth_id: str) -> _EcashHold:
        wallet = self.wallets.get(instrument)
        if wallet is None:
            raise Declined(f"unknown coin wallet {instrument!r}")
        if amount.currency != self.mint.currency:
            raise Declined(f"{self.mint.name} issues {self.mint.currency.code}, not {amount}")
        self._check_in_step(wallet)
        reserved = self._reserved(wallet)
        zero = Money.zero(amount.currency)
        free = {
            key: left - min(left, reserved.get(key, zero))
            for key, left in self._spendable(wallet).items()
        }
        free = {key: left for key, left in free.items() if not left.is_zero()}
        available = sum_money(free.values(), amount.currency)
        if available < amount:
            held = sum_money(reserved.values(), amount.currency)
            more = f" ({held} more is held by open authorisations)" if held else ""
            raise Declined(f"insufficient e-cash: {available} spendable{more}, not {amount}")
        covering = [key for key, left in free.items() if left >= amount]
        plan: list[tuple[bytes, Money]] = []
        if covering:
            plan.append((min(covering, key=lambda k: free[k].amount), amount))
        else:
            left = amount
            for key in sorted(free, key=lambda k: free[k].amount, reverse=True):
                part = min(left, free[key])
                plan.append((key, part))
                left = left - part
                if left.is_zero():
                    break
        contract = self._contract(payment, auth_id)
        spends = tuple(
            wallet.wallet_coin(key).spend(part, merchant=self.merchant, contract=contract)
            for key, part in plan
        )
        return _EcashHold(wallet, contract, spends)

    def _capture_hold(
        self, auth: Authorization[_EcashHold], amount: Money, capture_id: str
    ) -> None:
        wallet = auth.hold.wallet
        self._check_in_step(wallet)
        others = (
            sum_money(
                (a.amount for a in self._auths.values() if a.is_open and a.hold.wallet is wallet),
                amount.currency,
            )
            - auth.amount
        )
        spendable = sum_money(self._spendable(wallet).values(), amount.currency)
        if spendable - others < amount:
            raise Declined(
                f"the coin wallet now holds {spendable} spendable, {others} of it held for other "
                f"payments: not enough for {amount} (its coins were spent elsewhere or expired)"
            )
        try:
            spends = wallet.pay(amount, merchant=self.merchant, contract=auth.hold.contract)
        except InsufficientFunds as exc:
            raise Declined(str(exc)) from None
        # The wallet is in step with the mint, so every deposit is accepted.
        zero = Money.zero(amount.currency)
        self._deposits[capture_id] = [_EcashDeposit(self.mint.deposit(s), zero) for s in spends]
        auth.hold.spends = ()

    def _release_hold(self, auth: Authorization[_EcashHold]) -> None:
        auth.hold.spends = ()

    def _give_back(self, capture: Capture[_EcashHold], amount: Money, refund_id: str) -> None:
        wallet = capture.authorization.hold.wallet
        deposits = self._deposits[capture.id]
        paid = {
            deposit_id
            for payout in self.mint.payouts
            if payout.merchant == self.merchant
            for deposit_id in payout.deposit_ids
        }
        unpaid = [d for d in deposits if d.receipt.deposit_id not in paid and not d.net.is_zero()]
        refundable = sum_money((d.net for d in unpaid), amount.currency)
        if amount > refundable:
            raise Declined(
                f"{self.mint.name} already paid merchant {self.merchant!r} out for this "
                f"payment: only {refundable} of it can still be refunded, not {amount}"
            )
        known = {c.public_key for c in wallet.coins}
        if any(d.receipt.coin_public_key not in known for d in unpaid):
            raise Declined("the buyer's coin wallet no longer holds the coins that paid")
        left = amount
        for deposit in reversed(unpaid):
            take = min(left, deposit.net)
            if take.is_zero():
                continue
            receipt = self.mint.refund(
                merchant=self.merchant,
                coin_public_key=deposit.receipt.coin_public_key,
                contract_hash=deposit.receipt.contract_hash,
                amount=take,
            )
            wallet.apply_refund(receipt)
            deposit.refunded = deposit.refunded + take
            left = left - take
            if left.is_zero():
                break


# === Mondex purses ===============================================================================


@attrs.define(eq=False)
class _PurseHold:
    purse: Purse


@final
class PurseGateway(InstrumentGatewayBase[_PurseHold]):
    """Payments from Mondex-style stored-value purses to the merchant's purse.

    The instrument reference is the buyer's purse id in ``purses``. Mondex has no authorisation:

    * **authorize** checks that the purse holds the amount beyond what this gateway's other open
      authorisations on it reserve, and records the authorisation; nothing moves (the purse, like
      cash, can still be spent elsewhere; the capture then declines).
    * **capture** runs the purse-to-purse protocol (:func:`~ecservice.payments.mondex.transfer`)
      from the buyer's purse to the merchant's for the captured amount.
    * **void** forgets the authorisation.
    * **refund** transfers the amount back from the merchant's purse (at most what is left of the
      capture; declined if the merchant's purse no longer holds it).

    A transfer that stops part-way (it cannot on this happy path) is aborted on both purses, so
    each logs what may be in limbo for the :class:`~ecservice.payments.mondex.Archive`, and the
    operation is declined; :attr:`in_limbo` lists such payments.

    Args:
        purses: The buyers' purses by id: any mapping.
        merchant_purse: The merchant's purse.
        name: Prefix of the gateway's references.
    """

    kind: ClassVar[InstrumentKind] = InstrumentKind.PURSE

    def __init__(
        self, purses: Mapping[str, Purse], merchant_purse: Purse, *, name: str = "purse"
    ) -> None:
        super().__init__(name)
        if not isinstance(merchant_purse, Purse):
            raise ValidationError(f"merchant_purse must be a Purse, not {merchant_purse!r}")
        self.purses = purses
        self.merchant_purse = merchant_purse
        self._limbo: list[PaymentDetails] = []

    # --- views ---------------------------------------------------------------------------------

    def buyer_balance(self, purse_id: str, currency_: str | Currency) -> Money:
        """The balance of purse ``purse_id`` (held value included).

        Raises:
            ValidationError: no such purse.
        """
        purse = self.purses.get(purse_id)
        if purse is None:
            raise ValidationError(f"{self.name} knows no purse {purse_id!r}")
        return purse.balance(currency_)

    def total_buyer_balance(self, currency_: str | Currency) -> Money:
        """All the buyers' purses together."""
        return sum_money((p.balance(currency_) for p in self.purses.values()), currency_)

    def merchant_balance(self, currency_: str | Currency) -> Money:
        """The balance of the merchant's purse."""
        return self.merchant_purse.balance(currency_)

    def total_value(self, currency_: str | Currency) -> Money:
        """Buyers plus merchant: no payment, capture, void or refund changes it."""
        return self.total_buyer_balance(currency_) + self.merchant_balance(currency_)

    @property
    def in_limbo(self) -> tuple[PaymentDetails, ...]:
        """Transfers that stopped with value debited and not credited (recover via the Archive)."""
        return tuple(self._limbo)

    # --- helpers -------------------------------------------------------------------------------

    def _move(self, payer: Purse, payee: Purse, value: Money, what: str) -> None:
        """Transfer ``value``; raise :class:`Declined` unless it completed."""
        before = payer.balance(value.currency), payee.balance(value.currency)
        try:
            result = transfer(payer, payee, value)
        except EcServiceError as exc:
            raise Declined(f"{what} refused: {exc}") from None
        if result.completed:
            return
        for purse in (payer, payee):
            if purse.status is not PurseStatus.IDLE:
                purse.abort()
        after = payer.balance(value.currency), payee.balance(value.currency)
        if after == (before[0] - value, before[1] + value):
            return  # the value arrived; only the final acknowledgement went astray
        if after != before:
            self._limbo.append(result.details)
            raise Declined(
                f"{what} stopped part-way with {value} in limbo ({result.details}); both purses "
                "logged it: recover it through the mondex Archive"
            )
        raise Declined(f"{what} aborted before any value moved ({result.details})")

    # --- hooks ---------------------------------------------------------------------------------

    def _open_hold(self, instrument: str, amount: Money, payment: str, auth_id: str) -> _PurseHold:
        purse = self.purses.get(instrument)
        if purse is None:
            raise Declined(f"unknown purse {instrument!r}")
        if purse is self.merchant_purse or purse.id == self.merchant_purse.id:
            raise Declined(f"purse {instrument!r} is the merchant's own purse")
        cur = amount.currency
        held = sum_money(
            (
                a.amount
                for a in self._auths.values()
                if a.is_open and a.hold.purse is purse and a.amount.currency == cur
            ),
            cur,
        )
        available = purse.balance(cur) - held
        if available < amount:
            more = f" ({held} more is held by open authorisations)" if held else ""
            raise Declined(f"insufficient funds: purse holds {available} available{more}")
        return _PurseHold(purse)

    def _capture_hold(
        self, auth: Authorization[_PurseHold], amount: Money, capture_id: str
    ) -> None:
        self._move(auth.hold.purse, self.merchant_purse, amount, "the transfer to the merchant")

    def _release_hold(self, auth: Authorization[_PurseHold]) -> None:
        return None

    def _give_back(self, capture: Capture[_PurseHold], amount: Money, refund_id: str) -> None:
        buyer = capture.authorization.hold.purse
        self._move(self.merchant_purse, buyer, amount, "the refund transfer")


# === e-wallets ===================================================================================


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
        wallet = self.wallets.get(wallet_id)
        if wallet is None:
            raise ValidationError(f"{self.name} knows no e-wallet {wallet_id!r}")
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
            hold = wallet.authorize(amount, f"{payment} {auth_id}", auth=self.auth_for(instrument))
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
        self.merchant_wallet.credit(amount, f"{auth.payment} {capture_id}")

    def _release_hold(self, auth: Authorization[_WalletHold]) -> None:
        try:
            auth.hold.wallet.release(auth.hold.hold_id)
        except EcServiceError as exc:
            raise Declined(str(exc)) from None

    def _give_back(self, capture: Capture[_WalletHold], amount: Money, refund_id: str) -> None:
        reference = f"{capture.authorization.payment} {refund_id}"
        try:
            self.merchant_wallet.pay(amount, reference, auth=self.merchant_auth())
        except EcServiceError as exc:
            raise Declined(f"the merchant's wallet cannot pay the refund: {exc}") from None
        capture.authorization.hold.wallet.credit(amount, reference)
