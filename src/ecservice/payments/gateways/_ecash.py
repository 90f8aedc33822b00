"""The e-cash gateway: coins of one mint pay the merchant's account at that mint."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, final

from ecservice._shown import shown
from ecservice.errors import (
    CurrencyMismatch,
    DoubleSpend,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidSignature,
    PolicyViolation,
    ValidationError,
)
from ecservice.money import Currency, Money, currency, sum_money
from ecservice.payments._gateway import GatewayResponse, InstrumentKind
from ecservice.payments.gateways._base import (
    Authorization,
    AuthorizationState,
    Capture,
    Declined,
    InstrumentGatewayBase,
)
from ecservice.payments.gateways._book import GatewayBook, MemoryBook
from ecservice.payments.gateways._ecash_holds import EcashHold

if TYPE_CHECKING:
    from ecservice.payments.ecash import CoinSpend, CoinWallet, DepositReceipt, Mint

__all__ = ["EcashGateway"]

#: What the mint may refuse a deposit or refund for: the gateway declines, nothing more moves.
_REFUSALS = (
    DoubleSpend,
    PolicyViolation,
    ValidationError,
    InvalidSignature,
    InsufficientFunds,
    CurrencyMismatch,
)


def _short(data: bytes) -> str:
    return data[:8].hex()


@final
class EcashGateway(InstrumentGatewayBase[EcashHold]):
    """Payments with e-cash coins of one :class:`~ecservice.payments.ecash.Mint`.

    The instrument reference is the id of the buyer's
    :class:`~ecservice.payments.ecash.CoinWallet` in ``wallets``.

    * **authorize** checks that the wallet holds enough spendable value beyond what the open
      authorisations on it reserve (as the book lists them:
      :meth:`GatewayBook.reservations <ecservice.payments.gateways.GatewayBook.reservations>`,
      with the spends each stored hold prepared), and has the buyer's coins sign
      :class:`~ecservice.payments.ecash.CoinSpend` values for a contract hash derived from the
      payment reference (see :meth:`prepared_spends`). The hold keeps them; nothing moves, not
      at the mint and not in the wallet, whose coins stay spendable (e-cash is a bearer
      instrument: a hold binds this gateway, not the coins).
    * **capture** deposits spends derived from the hold alone, so that every process derives
      the same ones: the prepared spends for a full capture; for less, the prepared spends cut
      down in order, each signed again with a nonce derived from the contract, the coin, its
      part and the amount captured (Ed25519 signatures are deterministic, RFC 8032, 5.1.6).
      Each is deposited *exclusively*
      (:meth:`Mint.deposit <ecservice.payments.ecash.Mint.deposit>`): the mint refuses a second,
      different deposit of a coin for the contract, and every capture amount deposits the first
      prepared coin first with its own nonce, so of two captures of one authorisation with
      different amounts only one reaches the mint. Then the wallet records the spends
      (:meth:`CoinWallet.record_spends <ecservice.payments.ecash.CoinWallet.record_spends>`).
      A capture run again (after a crash, a timeout or a conflict between the mint's commit and
      the book's) deposits the same spends, which the mint replays.
    * **void** marks the authorisation voided; nothing moves. Should a capture attempt have
      reached the mint before the void was recorded, its deposits are given back to the coins
      (:meth:`release`) once the void is recorded: by the next void or capture of that
      authorisation, or by the caller (:class:`~ecservice.application.EcashPaymentService`
      does it after the void commits).
    * **refund** asks the mint to refund the capture's deposits (the last first, never more than
      deposited) under keys derived from the refund's reference (``"{refund}/{coin id}"``), and
      applies the receipts to the buyer's wallet. A refund run again asks again with the same
      keys and amounts, which the mint replays (a refund of the capture's next number that
      differs on a coin from what the stopped run asked is declined until that run is
      repeated). The mint refunds only what it has not paid out to the merchant yet
      (:meth:`payout`); after a payout the refund is declined, and the wallet takes whatever
      a stopped run of it had the mint give back already.

    What a capture deposited and what was refunded of it are read from the mint
    (:meth:`Mint.contract_deposits <ecservice.payments.ecash.Mint.contract_deposits>`), not
    kept by the gateway. Before authorising or capturing, the gateway checks that the wallet is
    in step with the mint (every coin with value is the mint's and the mint honours what the
    wallet believes is left, less what captures of the wallet's open authorisations deposited),
    so a deposit can never fail after the wallet deducted the value. The wallets and the mint
    should read the same clock.

    Args:
        mint: The mint issuing the coins and taking the deposits.
        wallets: The buyers' coin wallets by id: any mapping, for example a dict the shop keeps
            registering wallets in.
        merchant: The merchant id deposits are made for.
        name: Prefix of the gateway's references. Gateways whose books are
            :class:`~ecservice.payments.gateways.MemoryBook` objects and that share a mint
            need different names: refund keys at the mint start with the refund's reference.
        book: Where the gateway keeps its answers, authorisations and captures (default: a new
            :class:`~ecservice.payments.gateways.MemoryBook`); a
            :class:`~ecservice.storage.StoredGatewayBook` over
            :data:`~ecservice.payments.gateways.ECASH_HOLDS` keeps them in a unit of work (see
            :class:`~ecservice.application.EcashPaymentService`).

    Raises:
        ValidationError: a bad merchant id or name, or ``book`` is not a book with
            ``reservations``.
    """

    kind: ClassVar[InstrumentKind] = InstrumentKind.ECASH

    def __init__(
        self,
        mint: Mint,
        wallets: Mapping[str, CoinWallet],
        merchant: str,
        *,
        name: str = "ecash",
        book: GatewayBook[Any] | None = None,
    ) -> None:
        if book is not None and not callable(getattr(book, "reservations", None)):
            raise ValidationError(
                "book must be a GatewayBook with reservations (MemoryBook, StoredGatewayBook), "
                f"not {shown(book)}"
            )
        super().__init__(name, book=book)
        # Imported here: the module itself must import without the crypto extra.
        from ecservice.payments.ecash._coin import check_merchant_id

        check_merchant_id(merchant)
        self.mint = mint
        self.wallets = wallets
        self.merchant = merchant

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
        with self._lock:
            auth = self._auth(authorization)
            return auth.hold.spends if auth.is_open else ()

    def deposits(self, capture: str) -> tuple[DepositReceipt, ...]:
        """The mint's receipts for the deposits of a capture, read from the mint.

        Raises:
            ValidationError: no such capture.
        """
        with self._lock:
            hold = self._capture(capture).authorization.hold
            return tuple(d[0] for d in self.mint.contract_deposits(self.merchant, hold.contract))

    def payout(self) -> Money:
        """Have the mint pay the merchant every outstanding deposit; those can no longer be
        refunded. Returns the amount paid out."""
        with self._lock:
            return self.mint.payout(self.merchant)

    # --- captures and voids that must see the voided state first -------------------------------

    def _state(self, authorization: str) -> AuthorizationState | None:
        auth = self._book.authorization(authorization) if isinstance(authorization, str) else None
        return None if auth is None else auth.state

    def capture(
        self, authorization: str, amount: Money, *, idempotency_key: str
    ) -> GatewayResponse:
        """Take ``amount`` (at most what was authorised) for the merchant: deposit the spends
        derived from the hold and record them in the wallet (see the class's description);
        capturing again with the same amount replays. A capture of an authorisation that was
        already voided also gives back what earlier capture attempts deposited
        (:meth:`release`).

        Raises:
            InvalidAmount: ``amount`` is not a :class:`~ecservice.money.Money`.
            ValidationError: no such authorisation, or the key is not acceptable text.
            IdempotencyConflict: ``idempotency_key`` was used for another request.
        """
        with self._lock:
            was = self._state(authorization)
            answer = super().capture(authorization, amount, idempotency_key=idempotency_key)
            if was is AuthorizationState.VOIDED:
                self.release(authorization)
            return answer

    def void(self, authorization: str, *, idempotency_key: str) -> GatewayResponse:
        """Release the whole authorisation (voiding it again answers approved and moves
        nothing). What capture attempts deposited is given back (:meth:`release`) when the void
        is already recorded: at once with a :class:`~ecservice.payments.gateways.MemoryBook`,
        by a repeated void with a stored book (whose void is recorded only when the unit of
        work commits).

        Raises:
            ValidationError: no such authorisation, or the key is not acceptable text.
            IdempotencyConflict: ``idempotency_key`` was used for another request.
        """
        with self._lock:
            was = self._state(authorization)
            answer = super().void(authorization, idempotency_key=idempotency_key)
            if answer.approved and (
                was is AuthorizationState.VOIDED or isinstance(self._book, MemoryBook)
            ):
                self.release(authorization)
            return answer

    def release(self, authorization: str) -> Money:
        """Give back to the coins whatever capture attempts of the *voided* authorisation
        ``authorization`` deposited at the mint (a capture that crashed or lost to the void
        between the mint's commit and the book's); return the value given back.

        The wallet never recorded those spends (no capture was recorded), so the mint's
        refunds put the wallet and the mint in step again. Each refund's key is
        ``"{authorization}/void/{coin id}"``, so running this again refunds nothing twice.
        Call it only once the void is durably recorded: a capture recorded instead would lose
        its deposits. An authorisation that is not voided gives back nothing; a deposit already
        paid out to the merchant, or of a coin past its deposit window, cannot be given back
        and stays (repay the buyer another way).

        Raises:
            ValidationError: no such authorisation.
        """
        with self._lock:
            auth = self._auth(authorization)
            zero = Money.zero(auth.amount.currency)
            if auth.state is not AuthorizationState.VOIDED:
                return zero
            given = zero
            for receipt, _, refunded, paid in self.mint.contract_deposits(
                self.merchant, auth.hold.contract
            ):
                net = receipt.amount - refunded
                if paid or net.is_zero():
                    continue
                try:
                    self.mint.refund(
                        merchant=self.merchant,
                        coin_public_key=receipt.coin_public_key,
                        contract_hash=receipt.contract_hash,
                        amount=net,
                        key=f"{auth.id}/void/{receipt.coin_public_key.hex()}",
                    )
                except (IdempotencyConflict, *_REFUSALS):
                    continue
                given = given + net
            return given

    # --- helpers -------------------------------------------------------------------------------

    def _wallet(self, wallet_id: str) -> CoinWallet:
        wallet = self.wallets.get(wallet_id)
        if wallet is None:
            raise Declined(f"unknown coin wallet {wallet_id!r}")
        return wallet

    def _open_on(self, wallet_id: str, *, but: str | None = None) -> Iterator[EcashHold]:
        """The holds of the open authorisations on the wallet (as the book lists them)."""
        for ref in self._book.reservations(wallet_id):
            auth = self._book.authorization(ref) if ref != but else None
            if auth is not None and auth.is_open:
                yield auth.hold

    def _reserved(self, wallet_id: str, *, but: str | None = None) -> dict[bytes, Money]:
        """Per coin, what the prepared spends of open authorisations on the wallet reserve."""
        reserved: dict[bytes, Money] = {}
        for hold in self._open_on(wallet_id, but=but):
            for spend in hold.spends:
                key = spend.coin.public_key
                reserved[key] = reserved.get(key, Money.zero(spend.amount.currency)) + (
                    spend.amount
                )
        return reserved

    def _in_flight(self, wallet_id: str) -> dict[bytes, Money]:
        """Per coin, what captures of the wallet's open authorisations deposited at the mint
        (a capture that crashed or conflicted after the mint's commit): the wallet records it
        when that capture runs again."""
        found: dict[bytes, Money] = {}
        for hold in self._open_on(wallet_id):
            for receipt, _, refunded, _ in self.mint.contract_deposits(
                self.merchant, hold.contract
            ):
                key = receipt.coin_public_key
                net = receipt.amount - refunded
                found[key] = found.get(key, Money.zero(net.currency)) + net
        return found

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

    def _check_in_step(
        self, wallet: CoinWallet, wallet_id: str, coins: set[bytes] | None = None
    ) -> None:
        """Decline unless the mint honours what the wallet believes is left on each coin (of
        ``coins``, or all), less what captures of the wallet's open authorisations deposited.
        A capture checks only its own coins: another coin's deposit in flight (a capture that
        lost to a void, until its deposits are given back) must not hold it up."""
        from ecservice.payments.ecash import UnknownDenomination

        if wallet.currency != self.mint.currency:
            raise Declined(
                f"the coin wallet holds {wallet.currency.code}, the mint issues "
                f"{self.mint.currency.code}"
            )
        flight: dict[bytes, Money] | None = None
        for coin in wallet.coins:
            left = wallet.remaining(coin.public_key)
            if left.is_zero() or (coins is not None and coin.public_key not in coins):
                continue
            try:
                honoured = self.mint.remaining_value(coin)
            except UnknownDenomination:
                raise Declined(
                    f"the coin wallet holds coin {_short(coin.public_key)} of another mint than "
                    f"{self.mint.name}: pay with a wallet holding only {self.mint.name}'s coins"
                ) from None
            if honoured >= left:
                continue
            if flight is None:
                flight = self._in_flight(wallet_id)
            zero = Money.zero(left.currency)
            if honoured + flight.get(coin.public_key, zero) < left:
                # Read again, after ``honoured``: a capture in flight may have deposited more
                # of its coins since the first read.
                flight = self._in_flight(wallet_id)
            if honoured + flight.get(coin.public_key, zero) < left:
                raise Declined(
                    f"the coin wallet believes coin {_short(coin.public_key)} has {left} left, "
                    f"but {self.mint.name} honours only {honoured}: it was spent elsewhere"
                )

    def _contract(self, payment: str, auth_id: str) -> bytes:
        from ecservice.payments.ecash import contract_hash

        return contract_hash(f"ecservice/payment/v1\n{self.merchant}\n{payment}\n{auth_id}")

    def _capture_spends(
        self, wallet: CoinWallet, auth: Authorization[EcashHold], amount: Money
    ) -> tuple[CoinSpend, ...]:
        """The spends a capture of ``amount`` deposits, derived from the hold alone."""
        from ecservice.payments.ecash._denomination import encode_fields, encode_money

        hold = auth.hold
        if amount == auth.amount:
            return hold.spends
        spends: list[CoinSpend] = []
        left = amount
        for prepared in hold.spends:
            if left.is_zero():
                break
            part = min(left, prepared.amount)
            coin = prepared.coin.public_key
            seed = encode_fields(
                b"ecservice/ecash/capture-nonce/v1",
                hold.contract,
                coin,
                encode_money(part),
                encode_money(amount),
            )
            try:
                signer = wallet.wallet_coin(coin)
            except ValidationError:
                raise Declined(
                    f"the coin wallet no longer holds coin {_short(coin)} that the "
                    "authorisation prepared"
                ) from None
            nonce = hashlib.sha256(seed).digest()[:16]
            spends.append(
                signer.spend(part, merchant=self.merchant, contract=hold.contract, nonce=nonce)
            )
            left = left - part
        return tuple(spends)

    # --- hooks ---------------------------------------------------------------------------------

    def _open_hold(self, instrument: str, amount: Money, payment: str, auth_id: str) -> EcashHold:
        # The book's list first, then the wallet (as the purse gateway): a capture committed in
        # between shows in both, or the list's write conflicts.
        self._book.reservations(instrument)
        wallet = self._wallet(instrument)
        if amount.currency != self.mint.currency:
            raise Declined(f"{self.mint.name} issues {self.mint.currency.code}, not {amount}")
        self._check_in_step(wallet, instrument)
        reserved = self._reserved(instrument)
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
        return EcashHold(instrument, contract, spends)

    def _capture_hold(self, auth: Authorization[EcashHold], amount: Money, capture_id: str) -> None:
        hold = auth.hold
        self._book.reservations(hold.wallet_id)
        wallet = self._wallet(hold.wallet_id)
        spends = self._capture_spends(wallet, auth, amount)
        ours = {(s.coin.public_key, s.amount, s.nonce) for s in spends}
        at_mint = self.mint.contract_deposits(self.merchant, hold.contract)
        strays = [d for d in at_mint if (d[0].coin_public_key, d[0].amount, d[1]) not in ours]
        if strays:
            there = sum_money((d[0].amount for d in at_mint), amount.currency)
            raise Declined(
                f"an earlier attempt to capture authorisation {auth.id} with another amount "
                f"reached {self.mint.name} ({there} deposited): capture it again with that "
                "amount, or void it to give the coins their value back"
            )
        self._check_in_step(wallet, hold.wallet_id, {s.coin.public_key for s in spends})
        zero = Money.zero(amount.currency)
        taken: dict[bytes, Money] = {}
        for spend in spends:
            key = spend.coin.public_key
            taken[key] = taken.get(key, zero) + spend.amount
        others = self._reserved(hold.wallet_id, but=auth.id)
        spendable = self._spendable(wallet)
        for key, take in taken.items():
            left = spendable.get(key, zero)
            if left - others.get(key, zero) < take:
                raise Declined(
                    f"the coin wallet's coin {_short(key)} now holds {left} spendable, "
                    f"{others.get(key, zero)} of it held for other payments: not enough for "
                    f"the {take} this capture takes from it (its value was spent elsewhere or "
                    "expired)"
                )
        for spend in spends:
            try:
                self.mint.deposit(spend, exclusive=True)
            except _REFUSALS as exc:
                raise Declined(
                    f"{self.mint.name} refused the deposit of coin "
                    f"{_short(spend.coin.public_key)}: {exc}"
                ) from None
        wallet.record_spends(spends)

    def _release_hold(self, auth: Authorization[EcashHold]) -> None:
        return None

    def _give_back(self, capture: Capture[EcashHold], amount: Money, refund_id: str) -> None:
        hold = capture.authorization.hold
        wallet = self._wallet(hold.wallet_id)
        zero = Money.zero(amount.currency)
        deposits = self.mint.contract_deposits(self.merchant, hold.contract)
        # What this refund already took at the mint (a run that stopped after the mint's
        # commit): it counts as refundable again, and its keys replay.
        done: dict[bytes, Money] = {}
        made_before = []
        for made, key in self.mint.contract_refunds(self.merchant, hold.contract):
            if key == f"{refund_id}/{made.coin_public_key.hex()}":
                coin = made.coin_public_key
                done[coin] = done.get(coin, zero) + made.amount
                made_before.append(made)
        plan: list[tuple[DepositReceipt, Money]] = []
        refundable = zero
        left = amount
        for receipt, _, refunded, paid in reversed(deposits):
            coin = receipt.coin_public_key
            can = done.get(coin, zero) + (zero if paid else receipt.amount - refunded)
            refundable = refundable + can
            take = min(left, can)
            if not take.is_zero():
                plan.append((receipt, take))
                left = left - take
        if not left.is_zero():
            # What an earlier run of this refund gave back at the mint before a payout
            # overtook it is the buyer's: the wallet takes those receipts (once each).
            for made in made_before:
                if made.coin_public_key in {c.public_key for c in wallet.coins}:
                    wallet.apply_refund(made)
            raise Declined(
                f"{self.mint.name} already paid merchant {self.merchant!r} out for this "
                f"payment: only {refundable} of it can still be refunded, not {amount}"
            )
        known = {c.public_key for c in wallet.coins}
        if any(receipt.coin_public_key not in known for receipt, _ in plan):
            raise Declined("the buyer's coin wallet no longer holds the coins that paid")
        # The mint refuses a refund to a coin whose deposit window has closed (the value would
        # be unspendable): check every coin of the plan first, so that nothing moves unless all
        # of it can.
        now = self.mint.clock.now()
        for receipt, take in plan:
            if take == done.get(receipt.coin_public_key):
                continue  # refunded already: the mint replays it
            until = self.mint.denomination(receipt.denomination_id).deposit_until
            if not now < until:
                raise Declined(
                    f"a coin that paid can no longer be refunded: its denomination could be "
                    f"deposited or refreshed only until {until.isoformat()}; repay the buyer "
                    "another way"
                )
        for receipt, take in plan:
            coin = receipt.coin_public_key
            try:
                given = self.mint.refund(
                    merchant=self.merchant,
                    coin_public_key=coin,
                    contract_hash=receipt.contract_hash,
                    amount=take,
                    key=f"{refund_id}/{coin.hex()}",
                )
            except IdempotencyConflict:
                raise Declined(
                    f"refund {refund_id} of capture {capture.id} was started at "
                    f"{self.mint.name} with other amounts and is not recorded yet: repeat that "
                    "request to finish it, then refund again"
                ) from None
            except _REFUSALS as exc:
                raise Declined(f"{self.mint.name} refused the refund: {exc}") from None
            wallet.apply_refund(given)
