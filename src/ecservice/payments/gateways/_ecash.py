"""The e-cash gateway: coins of one mint pay the merchant's account at that mint."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar, final

import attrs

from ecservice._shown import shown
from ecservice.errors import InsufficientFunds, ValidationError
from ecservice.money import Currency, Money, currency, sum_money
from ecservice.payments._gateway import InstrumentKind
from ecservice.payments.gateways._base import (
    Authorization,
    Capture,
    Declined,
    InstrumentGatewayBase,
)

if TYPE_CHECKING:
    from ecservice.payments.ecash import CoinSpend, CoinWallet, DepositReceipt, Mint

__all__ = ["EcashGateway"]


def _short(data: bytes) -> str:
    return data[:8].hex()


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
      mint. For an unchanged wallet and a full capture they spend the prepared coins for the
      prepared amounts (each spend with a fresh nonce). Less than authorised spends only what is
      needed; the rest never leaves the wallet.
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
        # Imported here: the module itself must import without the crypto extra.
        from ecservice.payments.ecash._coin import check_merchant_id

        check_merchant_id(merchant)
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
        wallet = self.wallets.get(wallet_id) if isinstance(wallet_id, str) else None
        if wallet is None:
            raise ValidationError(f"{self.name} knows no coin wallet {shown(wallet_id)}")
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
        plan: list[tuple[_EcashDeposit, Money]] = []
        left = amount
        for deposit in reversed(unpaid):
            take = min(left, deposit.net)
            if take.is_zero():
                continue
            plan.append((deposit, take))
            left = left - take
            if left.is_zero():
                break
        # The mint refuses a refund to a coin whose deposit window has closed (the value would
        # be unspendable): check every coin of the plan first, so that nothing moves unless all
        # of it can.
        now = self.mint.clock.now()
        for deposit, _ in plan:
            until = self.mint.denomination(deposit.receipt.denomination_id).deposit_until
            if not now < until:
                raise Declined(
                    f"a coin that paid can no longer be refunded: its denomination could be "
                    f"deposited or refreshed only until {until.isoformat()}; repay the buyer "
                    "another way"
                )
        for deposit, take in plan:
            receipt = self.mint.refund(
                merchant=self.merchant,
                coin_public_key=deposit.receipt.coin_public_key,
                contract_hash=deposit.receipt.contract_hash,
                amount=take,
            )
            wallet.apply_refund(receipt)
            deposit.refunded = deposit.refunded + take
