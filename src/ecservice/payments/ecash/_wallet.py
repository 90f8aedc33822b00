"""The customer's coin wallet: withdraws coins, pays with them, makes change.

A :class:`CoinWallet` holds coins with their secret keys and what is left of each. It talks to a
:class:`~ecservice.payments.ecash.Mint` only to withdraw and to refresh; paying produces signed
:class:`~ecservice.payments.ecash.CoinSpend` values that the merchant deposits.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from typing import Final, TypeVar, final

import attrs

from ecservice._shown import shown
from ecservice.clock import Clock
from ecservice.errors import CurrencyMismatch, InsufficientFunds, ValidationError
from ecservice.money import Currency, Money, positive, sum_money
from ecservice.payments.ecash._coin import Coin, CoinSpend, Planchet, WalletCoin
from ecservice.payments.ecash._denomination import (
    Denomination,
    as_currency,
    require,
    short_hex,
)
from ecservice.payments.ecash._mint import Mint
from ecservice.payments.ecash._records import RefundReceipt
from ecservice.text import SHORT_TEXT_MAX, check_text

__all__ = ["CoinWallet", "make_change"]

_T = TypeVar("_T")
#: The most coins :func:`make_change` picks for one amount (a withdrawal signs each one).
_MAX_CHANGE_COINS: Final = 10_000


@attrs.define
class _Holding:
    coin: WalletCoin
    remaining: Money


def make_change(amount: Money, denominations: Iterable[Denomination]) -> list[Denomination]:
    """Pick denominations, largest first, adding up to as much of ``amount`` as they can.

    With a denomination of the currency's minor unit the result adds up to ``amount`` exactly;
    otherwise it may fall short, never over.

    Args:
        amount: The value to cover.
        denominations: The denominations available (for example
            :meth:`Mint.withdrawable_denominations`).

    Returns:
        The chosen denominations, largest first (one entry per coin).

    Raises:
        ValidationError: the change takes more than 10,000 coins.
        ValidationError: ``amount`` is not Money, or ``denominations`` is not an iterable of
            :class:`Denomination`.
    """
    require(amount, Money, "the amount to make change for")
    given: object = denominations
    if not isinstance(given, Iterable):
        raise ValidationError(
            f"denominations must be an iterable of Denomination, not {type(given).__name__}"
        )
    best: dict[Money, Denomination] = {}
    for denomination in denominations:
        require(denomination, Denomination, "a denomination")
        if denomination.value.currency != amount.currency:
            continue
        known = best.get(denomination.value)
        if known is None or denomination.withdraw_until > known.withdraw_until:
            best[denomination.value] = denomination
    chosen: list[Denomination] = []
    left = amount.minor_units
    for value in sorted(best, key=lambda v: v.amount, reverse=True):
        count, left = divmod(left, value.minor_units)
        if len(chosen) + count > _MAX_CHANGE_COINS:
            raise ValidationError(
                f"making change for {amount} takes more than {_MAX_CHANGE_COINS:,} coins; "
                "withdraw a smaller amount, or add larger denominations"
            )
        chosen.extend([best[value]] * count)
    return chosen


@final
class CoinWallet:
    """A customer's e-cash wallet for one currency.

    One writer per wallet: the wallet is not locked; callers serialise operations on one wallet.

    Args:
        clock: Tells the wallet the time (to skip coins that can no longer be deposited).
        currency: The wallet's currency (an ISO 4217 code or a :class:`~ecservice.money.Currency`).
        wallet_id: The wallet's id, the key it is stored under (short text; default ``cw-`` and
            16 random letters).

    Raises:
        ValidationError: ``clock`` is not a :class:`~ecservice.clock.Clock`, or a bad
            ``wallet_id``.
        UnknownCurrency: an unknown currency code.
    """

    def __init__(
        self, clock: Clock, *, currency: str | Currency, wallet_id: str | None = None
    ) -> None:
        if not isinstance(clock, Clock):
            raise ValidationError(f"clock must be a Clock (such as FixedClock), not {shown(clock)}")
        self._clock = clock
        self._currency = _as_currency(currency)
        self._wallet_id = _check_wallet_id(wallet_id)
        self._holdings: dict[bytes, _Holding] = {}
        self._applied_refunds: set[tuple[bytes, int]] = set()
        self._version = 0

    @classmethod
    def restore(
        cls,
        clock: Clock,
        *,
        currency: str | Currency,
        wallet_id: str,
        version: int,
        coins: Iterable[tuple[WalletCoin, Money]],
        applied_refunds: Iterable[tuple[bytes, int]] = (),
    ) -> CoinWallet:
        """Rebuild a wallet from what storage keeps, checking every part.

        Args:
            clock, currency, wallet_id: as for the constructor (``wallet_id`` is required).
            version: the number of changes the wallet went through (:attr:`version`).
            coins: each coin with its secret key (:class:`WalletCoin`, which checks that the key
                is the coin's) and the value left on it, in the order they were added.
            applied_refunds: the ``(coin id, refund id)`` pairs already credited
                (:attr:`applied_refunds`), so a refund receipt applied again changes nothing.

        Raises:
            ValidationError: a part has the wrong type, a coin is of another currency or held
                twice, the value left on a coin is negative or above its face value, a version
                below 0, or a refund names a coin the wallet does not hold.
            InvalidSignature: a coin does not carry its mint's signature for its denomination.
            UnknownCurrency: an unknown currency code.
        """
        if wallet_id is None:
            raise ValidationError("a restored coin wallet needs its wallet_id")
        wallet = cls(clock, currency=currency, wallet_id=wallet_id)
        if isinstance(version, bool) or not isinstance(version, int) or version < 0:
            raise ValidationError(
                f"a coin wallet's version must be a whole number >= 0, not {shown(version)}"
            )
        holdings: dict[bytes, _Holding] = {}
        for item in _items(coins, "the coins"):
            if not isinstance(item, tuple) or len(item) != 2:
                raise ValidationError(
                    f"a stored coin must be a (WalletCoin, remaining) pair, not {shown(item)}"
                )
            coin, remaining = item
            require(coin, WalletCoin, "a stored coin")
            require(remaining, Money, "the value left on a coin")
            ident = short_hex(coin.coin.public_key)
            if coin.value.currency != wallet.currency:
                raise CurrencyMismatch(wallet.currency.code, coin.value.currency.code, "hold")
            if remaining.currency != wallet.currency:
                raise CurrencyMismatch(wallet.currency.code, remaining.currency.code, "hold")
            if remaining.is_negative() or remaining > coin.value:
                raise ValidationError(
                    f"coin {ident} of {coin.value} cannot have {remaining} left: from zero to "
                    "its face value"
                )
            if coin.coin.public_key in holdings:
                raise ValidationError(f"coin {ident} is stored twice")
            coin.coin.verify(coin.denomination)
            holdings[coin.coin.public_key] = _Holding(coin, remaining)
        applied: set[tuple[bytes, int]] = set()
        for pair in _items(applied_refunds, "the applied refunds"):
            if (
                not isinstance(pair, tuple)
                or len(pair) != 2
                or not isinstance(pair[0], bytes)
                or isinstance(pair[1], bool)
                or not isinstance(pair[1], int)
                or pair[1] < 1
            ):
                raise ValidationError(
                    f"an applied refund is a (coin id, refund id >= 1) pair, not {shown(pair)}"
                )
            if pair[0] not in holdings:
                raise ValidationError(
                    f"refund {pair[1]} was applied to coin {short_hex(pair[0])}, which the "
                    "wallet does not hold"
                )
            if pair in applied:
                raise ValidationError(f"refund {pair[1]} is listed twice")
            applied.add(pair)
        wallet._holdings = holdings
        wallet._applied_refunds = applied
        wallet._version = version
        return wallet

    # --- views -----------------------------------------------------------------------------------

    @property
    def currency(self) -> Currency:
        """The wallet's currency."""
        return self._currency

    @property
    def wallet_id(self) -> str:
        """The wallet's id."""
        return self._wallet_id

    @property
    def version(self) -> int:
        """How many changes the wallet went through (0 when made; storage compares it).

        A withdrawal, a payment, a refresh and a refund applied each count one; a refused
        operation and a refund applied again count nothing.
        """
        return self._version

    @property
    def applied_refunds(self) -> frozenset[tuple[bytes, int]]:
        """The ``(coin id, refund id)`` of every refund receipt credited to a coin."""
        return frozenset(self._applied_refunds)

    def export_coin_key(self, coin_id: bytes) -> bytes:
        """The coin's Ed25519 private key as 32 raw bytes.

        Whoever holds these bytes can spend the coin: keep them only where the wallet itself
        is kept, encrypted at rest. (:meth:`wallet_coin` signs with the key without showing it.)

        Raises:
            ValidationError: the wallet holds no such coin.
        """
        return self._holding(coin_id).coin.secret_key_bytes()

    @property
    def balance(self) -> Money:
        """The value the wallet can spend now, what is left on coins still depositable.

        Coins whose denomination's deposit window has closed count in :attr:`expired_balance`
        instead; they can no longer be spent or refreshed.
        """
        now = self._clock.now()
        return sum_money(
            (
                h.remaining
                for h in self._holdings.values()
                if h.coin.denomination.depositable_at(now)
            ),
            self._currency,
        )

    @property
    def expired_balance(self) -> Money:
        """What is left on coins that can no longer be deposited or refreshed (value lost)."""
        now = self._clock.now()
        return sum_money(
            (
                h.remaining
                for h in self._holdings.values()
                if not h.coin.denomination.depositable_at(now)
            ),
            self._currency,
        )

    @property
    def coins(self) -> tuple[Coin, ...]:
        """Every coin held (including fully spent ones, which a refund may revive)."""
        return tuple(h.coin.coin for h in self._holdings.values())

    def remaining(self, coin_id: bytes) -> Money:
        """The value the wallet believes is left on a coin.

        Raises:
            ValidationError: the wallet holds no such coin.
        """
        return self._holding(coin_id).remaining

    def wallet_coin(self, coin_id: bytes) -> WalletCoin:
        """The coin with its secret key, to sign spends or refreshes by hand.

        Raises:
            ValidationError: the wallet holds no such coin.
        """
        return self._holding(coin_id).coin

    def __repr__(self) -> str:
        return f"CoinWallet(coins={len(self._holdings)}, balance={self.balance!r})"

    # --- withdraw --------------------------------------------------------------------------------

    def withdraw(self, mint: Mint, reserve: str, denomination: Denomination) -> Coin:
        """Withdraw one coin of ``denomination`` from ``reserve`` at ``mint``.

        Only the blinded coin message reaches the mint.

        Raises:
            CurrencyMismatch: the denomination is in another currency.
            UnknownDenomination, UnknownReserve, DenominationExpired, InsufficientFunds: from
                :meth:`Mint.withdraw`.
            InvalidSignature: the mint's signature does not verify.
        """
        require(mint, Mint, "mint")
        require(denomination, Denomination, "a denomination")
        if denomination.value.currency != self._currency:
            raise CurrencyMismatch(
                self._currency.code, denomination.value.currency.code, "withdraw"
            )
        planchet = Planchet.create(denomination)
        blind_signature = mint.withdraw(reserve, denomination.id, planchet.blinded_message)
        coin = planchet.finalize(blind_signature)
        self._add(coin)
        self._version += 1
        return coin.coin

    def withdraw_amount(self, mint: Mint, reserve: str, amount: Money) -> tuple[Coin, ...]:
        """Withdraw coins adding up to exactly ``amount``, largest denominations first.

        Raises:
            InvalidAmount: ``amount`` is not positive.
            CurrencyMismatch: ``amount`` is in another currency.
            InsufficientFunds: the reserve holds less than ``amount``.
            ValidationError: the mint's denominations cannot make ``amount`` exactly, or only
                with more than 10,000 coins.
        """
        self._check_amount(amount, "withdraw")
        require(mint, Mint, "mint")
        balance = mint.reserve_balance(reserve)
        if balance < amount:
            raise InsufficientFunds(f"reserve {shown(reserve)} holds {balance}, not {amount}")
        chosen = make_change(amount, mint.withdrawable_denominations())
        if sum_money((d.value for d in chosen), self._currency) != amount:
            raise ValidationError(f"{mint.name}'s denominations cannot make {amount} exactly")
        return tuple(self.withdraw(mint, reserve, d) for d in chosen)

    # --- pay -------------------------------------------------------------------------------------

    def pay(self, amount: Money, *, merchant: str, contract: bytes) -> tuple[CoinSpend, ...]:
        """Sign spends adding up to ``amount`` for ``merchant``'s order ``contract``.

        Prefers the single coin with the least value left that covers the amount; otherwise
        uses the fullest coins first, the last one partly. The wallet deducts the amounts at
        once; give the spends to the merchant, who deposits them. After the deposit, a partly
        spent coin can be turned into fresh coins with :meth:`refresh`.

        Raises:
            InvalidAmount: ``amount`` is not positive.
            CurrencyMismatch: ``amount`` is in another currency.
            InsufficientFunds: the coins still depositable hold less than ``amount``.
            ValidationError: the merchant id or contract hash is malformed.
        """
        self._check_amount(amount, "pay")
        now = self._clock.now()
        usable = [
            h
            for h in self._holdings.values()
            if h.remaining.amount > 0 and h.coin.denomination.depositable_at(now)
        ]
        available = sum_money((h.remaining for h in usable), self._currency)
        if available < amount:
            raise InsufficientFunds(f"the wallet holds {available} spendable, not {amount}")
        covering = [h for h in usable if h.remaining >= amount]
        plan: list[tuple[_Holding, Money]] = []
        if covering:
            plan.append((min(covering, key=lambda h: h.remaining.amount), amount))
        else:
            left = amount
            for holding in sorted(usable, key=lambda h: h.remaining.amount, reverse=True):
                part = min(left, holding.remaining)
                plan.append((holding, part))
                left = left - part
                if left.is_zero():
                    break
        spends = tuple(h.coin.spend(part, merchant=merchant, contract=contract) for h, part in plan)
        for holding, part in plan:
            holding.remaining = holding.remaining - part
        self._version += 1
        return spends

    def record_spends(self, spends: Iterable[CoinSpend]) -> Money:
        """Deduct spends signed earlier, now that the mint took them; return their total.

        A gateway has the coins sign spends when it authorises a payment (the value stays
        spendable: e-cash is a bearer instrument) and deposits them when it captures; this
        records the deposited spends in the wallet, all or none. It is not idempotent by
        itself: a gateway records a capture's spends in the same unit of work as the capture,
        so a capture that runs again starts from the wallet without them.

        Raises:
            ValidationError: not a sequence of :class:`CoinSpend`, none at all, or a spend of a
                coin the wallet does not hold.
            CurrencyMismatch: a spend in another currency.
            InsufficientFunds: a coin has less left than its spends take.
        """
        given = _items(spends, "the spends")
        if not given:
            raise ValidationError("record_spends needs at least one spend")
        taken: dict[bytes, Money] = {}
        for spend in given:
            require(spend, CoinSpend, "a spend")
            holding = self._holding(spend.coin.public_key)
            if spend.amount.currency != self._currency:
                raise CurrencyMismatch(self._currency.code, spend.amount.currency.code, "pay")
            key = spend.coin.public_key
            taken[key] = taken.get(key, Money.zero(self._currency)) + spend.amount
            if taken[key] > holding.remaining:
                raise InsufficientFunds(
                    f"coin {short_hex(key)} has {holding.remaining} left, not the {taken[key]} "
                    "its spends take"
                )
        for key, amount in taken.items():
            holding = self._holdings[key]
            holding.remaining = holding.remaining - amount
        self._version += 1
        return sum_money(taken.values(), self._currency)

    # --- change ----------------------------------------------------------------------------------

    def refresh(self, mint: Mint, coin_id: bytes, *, allow_loss: bool = False) -> tuple[Coin, ...]:
        """Exchange what is left of a coin for fresh coins (change); the old coin is then spent.

        Call it after the merchant has deposited the coin's earlier spends: the mint melts the
        value this wallet believes is left. The new coins are unlinkable to the old one.

        Args:
            mint: The coin's mint.
            coin_id: The coin to refresh.
            allow_loss: Accept new coins worth less than the remainder when the mint's
                denominations cannot make it exactly (the difference is lost).

        Returns:
            The new coins.

        Raises:
            ValidationError: no such coin, nothing left on it, or no exact change (unless
                ``allow_loss``).
            DoubleSpend, DenominationExpired, InvalidSignature: from :meth:`Mint.refresh`.
        """
        require(mint, Mint, "mint")
        holding = self._holding(coin_id)
        remainder = holding.remaining
        if remainder.amount <= 0:
            raise ValidationError(f"coin {short_hex(coin_id)} has no value left to refresh")
        withdrawable = mint.withdrawable_denominations()
        if not withdrawable:
            raise ValidationError(
                f"{mint.name} has no denomination that can be withdrawn now, so coin "
                f"{short_hex(coin_id)} cannot be refreshed into new coins; its {remainder} can "
                "still be spent until its own deposit window closes"
            )
        chosen = make_change(remainder, withdrawable)
        issued = sum_money((d.value for d in chosen), self._currency)
        if not chosen:
            raise ValidationError(
                f"{mint.name}'s smallest withdrawable denomination is more than the {remainder} "
                f"left on coin {short_hex(coin_id)}: no new coin can hold it"
            )
        if issued != remainder and not allow_loss:
            raise ValidationError(
                f"{mint.name}'s denominations cannot make {remainder} exactly "
                f"(at most {issued}); pass allow_loss=True to accept the difference"
            )
        planchets = [Planchet.create(d) for d in chosen]
        request = holding.coin.refresh(remainder, planchets)
        blind_signatures = mint.refresh(request)
        fresh = self._finalize_all(planchets, blind_signatures)
        holding.remaining = Money.zero(self._currency)
        for coin in fresh:
            self._add(coin)
        self._version += 1
        return tuple(c.coin for c in fresh)

    # --- refunds ---------------------------------------------------------------------------------

    def apply_refund(self, receipt: RefundReceipt) -> Money:
        """Credit a coin with a refund the mint granted; return its new remaining value.

        Applying the same receipt twice changes nothing the second time.

        Raises:
            ValidationError: the wallet holds no such coin, or the refund would take the coin
                above its face value.
            CurrencyMismatch: the refund is in another currency.
        """
        require(receipt, RefundReceipt, "a refund receipt")
        holding = self._holding(receipt.coin_public_key)
        key = (receipt.coin_public_key, receipt.refund_id)
        if key in self._applied_refunds:
            return holding.remaining
        if receipt.amount.currency != self._currency:
            raise CurrencyMismatch(self._currency.code, receipt.amount.currency.code, "refund")
        new_remaining = holding.remaining + receipt.amount
        if new_remaining > holding.coin.value:
            raise ValidationError(
                f"a refund of {receipt.amount} would take coin "
                f"{short_hex(receipt.coin_public_key)} above its face value"
            )
        holding.remaining = new_remaining
        self._applied_refunds.add(key)
        self._version += 1
        return new_remaining

    # --- helpers ---------------------------------------------------------------------------------

    def _add(self, coin: WalletCoin) -> None:
        self._holdings[coin.coin.public_key] = _Holding(coin, coin.value)

    def _holding(self, coin_id: bytes) -> _Holding:
        require(coin_id, bytes, "a coin id")
        holding = self._holdings.get(coin_id)
        if holding is None:
            raise ValidationError(f"the wallet holds no coin {short_hex(coin_id)}")
        return holding

    def _check_amount(self, amount: Money, operation: str) -> None:
        positive(amount, f"the amount to {operation}", self._currency)

    @staticmethod
    def _finalize_all(
        planchets: Sequence[Planchet], blind_signatures: Sequence[bytes]
    ) -> list[WalletCoin]:
        if len(planchets) != len(blind_signatures):
            raise ValidationError(
                f"the mint returned {len(blind_signatures)} signatures for {len(planchets)} coins"
            )
        return [p.finalize(s) for p, s in zip(planchets, blind_signatures, strict=True)]


def _as_currency(code: str | Currency) -> Currency:
    return as_currency(code)


_HEX_TO_LETTERS: Final = str.maketrans("0123456789abcdef", "abcdefghijklmnop")


def _check_wallet_id(wallet_id: object) -> str:
    if wallet_id is None:
        return "cw-" + secrets.token_hex(8).translate(_HEX_TO_LETTERS)
    checked = check_text(wallet_id, "a coin wallet id", limit=SHORT_TEXT_MAX)
    if checked != wallet_id:
        raise ValidationError("a coin wallet id must not start or end with whitespace")
    return checked


def _items(values: Iterable[_T], what: str) -> list[_T]:
    given: object = values  # storage may hand over anything
    if isinstance(given, (str, bytes)) or not isinstance(given, Iterable):
        raise ValidationError(f"{what} must be a sequence, not {type(given).__name__}")
    return list(values)
