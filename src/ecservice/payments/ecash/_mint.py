"""The mint: issues coins by blind signature, takes deposits, refunds, pays merchants out.

The mint keeps customer *reserves* (money paid in, debited at withdrawal), a ledger per coin it
has seen spent (deposited, refunded, melted), and the deposits it owes each merchant until
:meth:`Mint.payout`. At withdrawal it records only the reserve, the denomination, a hash of the
blinded message and the time: nothing that links the withdrawal to the coin spent later.

Every operation checks everything first and records afterwards, under a lock, so an operation
that raises leaves the mint exactly as it was.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import threading
from collections.abc import Iterable
from typing import final

from ecservice.clock import Clock
from ecservice.errors import (
    CurrencyMismatch,
    DoubleSpend,
    InsufficientFunds,
    ValidationError,
)
from ecservice.money import Currency, Money, currency, positive, sum_money
from ecservice.payments.ecash._coin import Coin, CoinSpend, RefreshRequest
from ecservice.payments.ecash._denomination import Denomination, short_hex
from ecservice.payments.ecash._errors import (
    AlreadyPaidOut,
    RefundExceedsDeposit,
    UnknownDenomination,
    UnknownDeposit,
    UnknownReserve,
)
from ecservice.payments.ecash._ledger import (
    CoinLedger,
    DepositEntry,
    DepositKey,
    Issued,
    OrderKey,
    blind_sign_checked,
)
from ecservice.payments.ecash._records import (
    DepositReceipt,
    PayoutRecord,
    RefreshRecord,
    RefundReceipt,
    WithdrawalRecord,
)
from ecservice.payments.ecash.blind_rsa import (
    DEFAULT_VARIANT,
    BlindSigner,
    PurePythonBlindSigner,
    Variant,
    generate_key,
)

__all__ = ["Mint"]


def _check_reserve_name(reserve: object) -> str:
    if not isinstance(reserve, str) or not reserve.strip():
        raise ValidationError(f"a reserve id must be a non-blank string, not {reserve!r}")
    return reserve


# --- the mint ------------------------------------------------------------------------------------


@final
class Mint:
    """A GNU-Taler-like mint (exchange) issuing RSA blind-signed coins in one currency.

    Args:
        clock: Tells the mint the time (withdraw and deposit windows, record times).
        currency: The currency of every denomination and reserve.
        name: A label for messages and ``repr``.
    """

    def __init__(self, clock: Clock, *, currency: str | Currency, name: str = "mint") -> None:
        self._clock = clock
        self._currency = _as_currency(currency)
        self._name = name
        self._lock = threading.RLock()
        self._issued: dict[bytes, Issued] = {}
        self._reserves: dict[str, Money] = {}
        self._withdrawals: list[WithdrawalRecord] = []
        self._withdrawal_index: dict[tuple[bytes, bytes], WithdrawalRecord] = {}
        self._coins: dict[bytes, CoinLedger] = {}
        self._deposits: list[DepositEntry] = []
        self._deposit_index: dict[DepositKey, DepositEntry] = {}
        self._orders: dict[OrderKey, list[DepositEntry]] = {}
        self._refunds: list[RefundReceipt] = []
        self._refreshes: list[RefreshRecord] = []
        self._refresh_index: set[bytes] = set()
        self._payouts: list[PayoutRecord] = []

    # --- denominations ---------------------------------------------------------------------------

    @property
    def name(self) -> str:
        """The mint's label."""
        return self._name

    @property
    def currency(self) -> Currency:
        """The mint's currency."""
        return self._currency

    @property
    def clock(self) -> Clock:
        """The clock the mint reads."""
        return self._clock

    def add_denomination(
        self,
        value: Money,
        *,
        withdraw_until: _dt.datetime,
        deposit_until: _dt.datetime,
        valid_from: _dt.datetime | None = None,
        signer: BlindSigner | None = None,
        variant: Variant = DEFAULT_VARIANT,
    ) -> Denomination:
        """Start issuing coins of ``value``, signed by ``signer``.

        Args:
            value: The face value.
            withdraw_until: End (exclusive) of the withdraw window.
            deposit_until: End (exclusive) of the deposit window.
            valid_from: Start of both windows; now unless told.
            signer: The blind signer holding the denomination's private key; a fresh 2048-bit
                key with :class:`~ecservice.payments.ecash.blind_rsa.PurePythonBlindSigner` unless
                told. Each denomination needs its own key.
            variant: The RFC 9474 variant of the key.

        Returns:
            The new denomination, to publish to wallets.

        Raises:
            CurrencyMismatch: ``value`` is not in the mint's currency.
            ValidationError: the key is already used by a denomination, or the windows are out of
                order.
        """
        if not isinstance(value, Money):
            raise ValidationError(f"a denomination value must be Money, not {value!r}")
        if value.currency != self._currency:
            raise CurrencyMismatch(self._currency.code, value.currency.code, "issue")
        if signer is None:
            signer = PurePythonBlindSigner(generate_key())
        if not isinstance(signer, BlindSigner):
            raise ValidationError(f"signer must be a BlindSigner, not {type(signer).__name__}")
        denomination = Denomination(
            value=value,
            public_key=signer.public_key,
            valid_from=self._clock.now() if valid_from is None else valid_from,
            withdraw_until=withdraw_until,
            deposit_until=deposit_until,
            variant=variant,
        )
        with self._lock:
            numbers = signer.public_key.public_numbers()
            for issued in self._issued.values():
                if issued.denomination.public_key.public_numbers() == numbers:
                    raise ValidationError(
                        f"this key already signs denomination {issued.denomination}: "
                        "each denomination needs its own key"
                    )
            self._issued[denomination.id] = Issued(denomination, signer)
        return denomination

    @property
    def denominations(self) -> tuple[Denomination, ...]:
        """Every denomination of the mint, in the order they were added."""
        with self._lock:
            return tuple(i.denomination for i in self._issued.values())

    def denomination(self, denomination_id: bytes) -> Denomination:
        """The denomination with this id.

        Raises:
            UnknownDenomination: the id is not one of this mint's (a coin of another mint?).
        """
        return self._lookup(denomination_id).denomination

    def withdrawable_denominations(self) -> tuple[Denomination, ...]:
        """The denominations that can be withdrawn now, largest value first."""
        now = self._clock.now()
        found = [d for d in self.denominations if d.withdrawable_at(now)]
        return tuple(sorted(found, key=lambda d: (d.value.amount, d.withdraw_until), reverse=True))

    def _lookup(self, denomination_id: bytes) -> Issued:
        issued = self._issued.get(denomination_id)
        if issued is None:
            raise UnknownDenomination(
                f"denomination {short_hex(denomination_id)} is not one of {self._name}'s "
                "denominations: the coin belongs to another mint, or its denomination is forged"
            )
        return issued

    # --- reserves --------------------------------------------------------------------------------

    def credit_reserve(self, reserve: str, amount: Money) -> Money:
        """Pay ``amount`` into a customer's reserve (opening it if new); return the new balance.

        Raises:
            InvalidAmount: ``amount`` is not positive.
            CurrencyMismatch: ``amount`` is not in the mint's currency.
            ValidationError: the reserve id is blank.
        """
        _check_reserve_name(reserve)
        self._check_amount(amount, "credit")
        with self._lock:
            balance = self._reserves.get(reserve, Money.zero(self._currency)) + amount
            self._reserves[reserve] = balance
            return balance

    def reserve_balance(self, reserve: str) -> Money:
        """The money left in a reserve.

        Raises:
            UnknownReserve: the mint holds no such reserve.
        """
        balance = self._reserves.get(reserve)
        if balance is None:
            raise UnknownReserve(f"{self._name} holds no reserve {reserve!r}")
        return balance

    # --- withdraw --------------------------------------------------------------------------------

    def withdraw(self, reserve: str, denomination_id: bytes, blinded_message: bytes) -> bytes:
        """Sign a blinded coin of a denomination, debiting the reserve by its value.

        The mint sees only the blinded message. Asking again for the same blinded message from
        the same reserve returns the same blind signature and debits nothing (a safe retry).

        Args:
            reserve: The customer reserve to debit.
            denomination_id: The denomination asked for.
            blinded_message: The RFC 9474 blinded coin message.

        Returns:
            The blind signature, for :meth:`~ecservice.payments.ecash.Planchet.finalize`.

        Raises:
            UnknownDenomination: not one of this mint's denominations.
            UnknownReserve: no such reserve.
            DenominationExpired: the denomination's withdraw window is closed.
            InsufficientFunds: the reserve holds less than the denomination's value.
            ValidationError: the blinded message is malformed, or was withdrawn from another
                reserve.
        """
        with self._lock:
            issued = self._lookup(denomination_id)
            denomination = issued.denomination
            balance = self.reserve_balance(reserve)
            self._check_blinded(blinded_message, denomination)
            digest = hashlib.sha256(blinded_message).digest()
            prior = self._withdrawal_index.get((denomination_id, digest))
            if prior is not None:
                if prior.reserve != reserve:
                    raise ValidationError(
                        "this blinded message was already withdrawn from another reserve"
                    )
                return blind_sign_checked(issued, blinded_message)  # RSA is deterministic
            now = self._clock.now()
            denomination.check_withdraw(now)
            if balance < denomination.value:
                raise InsufficientFunds(
                    f"reserve {reserve!r} holds {balance}, less than the {denomination.value} "
                    "of the coin asked for"
                )
            blind_signature = blind_sign_checked(issued, blinded_message)
            record = WithdrawalRecord(reserve, denomination_id, digest, now)
            self._reserves[reserve] = balance - denomination.value
            self._withdrawals.append(record)
            self._withdrawal_index[(denomination_id, digest)] = record
            return blind_signature

    # --- deposit ---------------------------------------------------------------------------------

    def deposit(self, spend: CoinSpend) -> DepositReceipt:
        """Accept a merchant's deposit of a coin spend; the merchant is owed its amount.

        Checks, in order: the denomination is this mint's, the amount is positive and in the
        mint's currency, the coin's RSA signature, the spend's Ed25519 signature, the amount is
        within the coin's face value, then (unless the identical deposit was already made, which
        returns the same receipt and changes nothing) the deposit window and the coin's remaining
        value.

        Raises:
            UnknownDenomination: a coin of another mint, or a made-up denomination.
            CurrencyMismatch: the amount is in another currency.
            InsufficientFunds: the amount is more than the coin's face value.
            InvalidSignature: a forged coin or an altered spend.
            DenominationExpired: the denomination's deposit window is closed.
            DoubleSpend: the coin has less value left than the amount.
        """
        with self._lock:
            issued = self._lookup(spend.coin.denomination_id)
            denomination = issued.denomination
            self._check_amount(spend.amount, "deposit")
            spend.verify(denomination)
            if spend.amount > denomination.value:
                raise InsufficientFunds(f"a coin of {denomination.value} cannot pay {spend.amount}")
            key: DepositKey = (
                spend.coin.public_key,
                spend.merchant,
                spend.contract_hash,
                spend.amount,
            )
            prior = self._deposit_index.get(key)
            if prior is not None:
                return prior.receipt
            now = self._clock.now()
            denomination.check_deposit(now)
            ledger = self._ledger(spend.coin, denomination)
            if spend.amount > ledger.remaining:
                raise DoubleSpend(
                    f"coin {short_hex(spend.coin.public_key)} has {ledger.remaining} left, "
                    f"not the {spend.amount} this deposit spends: it was already spent elsewhere"
                )
            receipt = DepositReceipt(
                deposit_id=len(self._deposits) + 1,
                coin_public_key=spend.coin.public_key,
                denomination_id=denomination.id,
                merchant=spend.merchant,
                contract_hash=spend.contract_hash,
                amount=spend.amount,
                spend_signature=spend.signature,
                deposited_at=now,
            )
            deposit = DepositEntry(receipt, Money.zero(self._currency))
            ledger.deposited = ledger.deposited + spend.amount
            self._coins[spend.coin.public_key] = ledger
            self._deposits.append(deposit)
            self._deposit_index[key] = deposit
            self._orders.setdefault(key[:3], []).append(deposit)
            return receipt

    # --- refund and payout -----------------------------------------------------------------------

    def refund(
        self,
        *,
        merchant: str,
        coin_public_key: bytes,
        contract_hash: bytes,
        amount: Money,
    ) -> RefundReceipt:
        """Give (part of) a merchant's deposit for an order back to the coin.

        Only value not yet paid out to the merchant can be refunded.

        Raises:
            InvalidAmount: ``amount`` is not positive.
            CurrencyMismatch: ``amount`` is in another currency.
            UnknownDeposit: no deposit of this coin to this merchant for this contract.
            RefundExceedsDeposit: more than was deposited (net of earlier refunds).
            AlreadyPaidOut: the value was already paid out to the merchant.
        """
        with self._lock:
            self._check_amount(amount, "refund")
            deposits = self._orders.get((coin_public_key, merchant, contract_hash))
            if not deposits:
                raise UnknownDeposit(
                    f"{self._name} has no deposit of coin {short_hex(coin_public_key)} to "
                    f"merchant {merchant!r} for contract {short_hex(contract_hash)}"
                )
            net = sum_money((d.net for d in deposits), self._currency)
            unpaid = [d for d in deposits if not d.paid]
            refundable = sum_money((d.net for d in unpaid), self._currency)
            if amount > net:
                raise RefundExceedsDeposit(
                    f"cannot refund {amount}: only {net} was deposited (net of refunds) by coin "
                    f"{short_hex(coin_public_key)} for this contract"
                )
            if amount > refundable:
                raise AlreadyPaidOut(
                    f"cannot refund {amount}: merchant {merchant!r} was already paid out for "
                    f"this contract; only {refundable} is still refundable"
                )
            left = amount
            for deposit in unpaid:
                take = min(left, deposit.net)
                deposit.refunded = deposit.refunded + take
                left = left - take
            ledger = self._coins[coin_public_key]
            ledger.refunded = ledger.refunded + amount
            receipt = RefundReceipt(
                refund_id=len(self._refunds) + 1,
                coin_public_key=coin_public_key,
                merchant=merchant,
                contract_hash=contract_hash,
                amount=amount,
                refunded_at=self._clock.now(),
            )
            self._refunds.append(receipt)
            return receipt

    def pending_total(self, merchant: str) -> Money:
        """What the mint owes ``merchant`` now: deposits not paid out, net of refunds."""
        with self._lock:
            return sum_money(
                (d.net for d in self._deposits if d.receipt.merchant == merchant and not d.paid),
                self._currency,
            )

    def payout(self, merchant: str) -> Money:
        """Pay ``merchant`` all outstanding deposits (net of refunds) and return the total.

        Those deposits can no longer be refunded. Paying out a merchant owed nothing returns
        zero and records nothing.
        """
        with self._lock:
            due = [d for d in self._deposits if d.receipt.merchant == merchant and not d.paid]
            total = sum_money((d.net for d in due), self._currency)
            if not due:
                return total
            for deposit in due:
                deposit.paid = True
            self._payouts.append(
                PayoutRecord(
                    merchant, total, tuple(d.receipt.deposit_id for d in due), self._clock.now()
                )
            )
            return total

    # --- refresh ---------------------------------------------------------------------------------

    def refresh(self, request: RefreshRequest) -> tuple[bytes, ...]:
        """Melt ``request.amount`` of an old coin into new blind-signed coins (making change).

        The new coins' values must not add up to more than the amount melted; any difference is
        lost to the wallet. Replaying the identical request returns the same blind signatures
        and melts nothing more (a safe retry).

        Returns:
            One blind signature per planchet, in order.

        Raises:
            UnknownDenomination: the old coin or a new planchet names an unknown denomination.
            InvalidSignature: the old coin is forged or the request altered.
            InvalidAmount: the amount is not positive.
            CurrencyMismatch: the amount is in another currency.
            DenominationExpired: the old coin can no longer be deposited, or a new denomination
                cannot be withdrawn now.
            InsufficientFunds: the new coins are worth more than the amount melted.
            DoubleSpend: the old coin has less value left than the amount melted.
            ValidationError: a blinded message is malformed.
        """
        with self._lock:
            old = self._lookup(request.coin.denomination_id).denomination
            self._check_amount(request.amount, "refresh")
            request.coin.verify(old)
            request.verify_signature()
            new = [self._lookup(p.denomination_id) for p in request.planchets]
            for planchet, issued in zip(request.planchets, new, strict=True):
                self._check_blinded(planchet.blinded_message, issued.denomination)
            digest = hashlib.sha256(request.signed_bytes()).digest()
            if digest in self._refresh_index:
                return self._sign_all(request, new)
            now = self._clock.now()
            old.check_deposit(now)
            for issued in new:
                issued.denomination.check_withdraw(now)
            issued_total = sum_money((i.denomination.value for i in new), self._currency)
            if issued_total > request.amount:
                raise InsufficientFunds(
                    f"the new coins are worth {issued_total}, more than the {request.amount} melted"
                )
            ledger = self._ledger(request.coin, old)
            if request.amount > ledger.remaining:
                raise DoubleSpend(
                    f"coin {short_hex(request.coin.public_key)} has {ledger.remaining} left, "
                    f"not the {request.amount} this refresh melts"
                )
            signatures = self._sign_all(request, new)
            ledger.melted = ledger.melted + request.amount
            self._coins[request.coin.public_key] = ledger
            self._refresh_index.add(digest)
            self._refreshes.append(
                RefreshRecord(
                    coin_public_key=request.coin.public_key,
                    denomination_id=old.id,
                    amount=request.amount,
                    new_denomination_ids=tuple(p.denomination_id for p in request.planchets),
                    blinded_message_hashes=tuple(p.blinded_message_hash for p in request.planchets),
                    issued=issued_total,
                    refreshed_at=now,
                )
            )
            return signatures

    @staticmethod
    def _sign_all(request: RefreshRequest, new: Iterable[Issued]) -> tuple[bytes, ...]:
        return tuple(
            blind_sign_checked(issued, planchet.blinded_message)
            for planchet, issued in zip(request.planchets, new, strict=True)
        )

    # --- views -----------------------------------------------------------------------------------

    def remaining_value(self, coin: Coin) -> Money:
        """The value the mint still honours for ``coin`` (its face value if never seen spent).

        Raises:
            UnknownDenomination: the coin's denomination is not this mint's.
        """
        with self._lock:
            denomination = self._lookup(coin.denomination_id).denomination
            return self._ledger(coin, denomination).remaining

    @property
    def withdrawals(self) -> tuple[WithdrawalRecord, ...]:
        """Every withdrawal, oldest first."""
        return tuple(self._withdrawals)

    @property
    def deposits(self) -> tuple[DepositReceipt, ...]:
        """Every accepted deposit, oldest first."""
        return tuple(d.receipt for d in self._deposits)

    @property
    def refunds(self) -> tuple[RefundReceipt, ...]:
        """Every refund, oldest first."""
        return tuple(self._refunds)

    @property
    def refreshes(self) -> tuple[RefreshRecord, ...]:
        """Every refresh, oldest first."""
        return tuple(self._refreshes)

    @property
    def payouts(self) -> tuple[PayoutRecord, ...]:
        """Every payout, oldest first."""
        return tuple(self._payouts)

    def __repr__(self) -> str:
        return (
            f"Mint({self._name!r}, currency={self._currency.code!r}, "
            f"denominations={len(self._issued)}, reserves={len(self._reserves)})"
        )

    # --- helpers ---------------------------------------------------------------------------------

    def _check_amount(self, amount: Money, operation: str) -> None:
        positive(amount, f"the amount to {operation}", self._currency)

    @staticmethod
    def _check_blinded(blinded_message: bytes, denomination: Denomination) -> None:
        if not isinstance(blinded_message, bytes) or len(blinded_message) != (
            denomination.modulus_len
        ):
            raise ValidationError(
                f"a blinded message for denomination {denomination} must be "
                f"{denomination.modulus_len} bytes"
            )

    def _ledger(self, coin: Coin, denomination: Denomination) -> CoinLedger:
        """The coin's ledger, or a fresh (unrecorded) one if the coin was never seen.

        Raises:
            DoubleSpend: the coin key was already spent as a coin of another denomination.
        """
        ledger = self._coins.get(coin.public_key)
        if ledger is None:
            zero = Money.zero(self._currency)
            return CoinLedger(denomination.id, denomination.value, zero, zero, zero)
        if ledger.denomination_id != denomination.id:
            raise DoubleSpend(
                f"coin key {short_hex(coin.public_key)} was already spent as a coin of another "
                "denomination"
            )
        return ledger


def _as_currency(code: str | Currency) -> Currency:
    return currency(code)
