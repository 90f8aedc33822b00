"""The mint: issues coins by blind signature, takes deposits, refunds, pays merchants out.

The mint keeps customer *reserves* (money paid in, debited at withdrawal) and, in its
:class:`~ecservice.payments.ecash.MintBook`, a ledger per coin it has seen spent (deposited,
refunded, melted) and the deposits it owes each merchant until :meth:`Mint.payout`. At
withdrawal it records only the reserve, the denomination, a hash of the blinded message and the
time: nothing that links the withdrawal to the coin spent later.

Every operation checks everything first and records afterwards, under a lock (and, for what the
book keeps, in one atomic step of the book), so an operation that raises leaves the mint exactly
as it was. The machinery is written apart, one concept a module: the denominations in
``_mint_denominations``, the reserves in ``_mint_reserves``, the signing side (withdraw, refresh)
in ``_mint_signing``, the deposit side (deposit, refund) in ``_mint_deposits``, what merchants
are owed (contract views, payouts) in ``_mint_payouts`` and the checks of a stored mint in
``_mint_restore``; the :class:`Mint` methods that run them document their behaviour and errors.
"""

from __future__ import annotations

import datetime as _dt
import threading
from collections.abc import Iterable
from typing import final

from ecservice._shown import shown
from ecservice.clock import Clock
from ecservice.errors import ValidationError
from ecservice.money import Currency, Money, positive
from ecservice.payments.ecash import _mint_denominations as _denominations
from ecservice.payments.ecash import _mint_deposits as _deposits
from ecservice.payments.ecash import _mint_payouts as _payouts
from ecservice.payments.ecash import _mint_reserves as _reserves
from ecservice.payments.ecash import _mint_restore as _restore
from ecservice.payments.ecash import _mint_signing as _signing
from ecservice.payments.ecash._book import MemoryMintBook, MintBook
from ecservice.payments.ecash._coin import Coin, CoinSpend, RefreshRequest
from ecservice.payments.ecash._denomination import Denomination, as_currency, require
from ecservice.payments.ecash._ledger import Issued
from ecservice.payments.ecash._records import (
    DepositReceipt,
    PayoutRecord,
    RefreshRecord,
    RefundReceipt,
    WithdrawalRecord,
)
from ecservice.payments.ecash.blind_rsa import DEFAULT_VARIANT, BlindSigner, Variant
from ecservice.text import SHORT_TEXT_MAX, check_text

__all__ = ["Mint"]


@final
class Mint:
    """A GNU-Taler-like mint (exchange) issuing RSA blind-signed coins in one currency.

    **Refunds** go back to the coin that paid, and only while that coin can still be deposited
    or refreshed (before its denomination's ``deposit_until``): a refund later than that would
    leave the value on a coin nobody can ever spend or exchange, so the mint refuses it with
    :class:`~ecservice.payments.ecash.RefundWindowClosed` and the merchant must repay the buyer
    another way. A wallet should refresh a refunded coin promptly
    (:meth:`~ecservice.payments.ecash.CoinWallet.refresh`), before that window closes.

    **Deposits** are identified by the whole spend, including its random nonce: the identical
    spend deposited again is a replay (same receipt, nothing credited), while a new spend of the
    same coin for the same contract and amount is a new payment.

    **The book** (:class:`~ecservice.payments.ecash.MintBook`) keeps what must never happen twice:
    each coin's remaining value, deposits, refunds, refreshes and payouts. By default it is a
    :class:`~ecservice.payments.ecash.MemoryMintBook`, part of the mint's document; a book kept
    in a database (``ecservice.storage.sql.SqlMintBook``) lets several processes or machines run
    the same mint without ever spending a coin twice.

    Thread-safe: every operation takes the mint's lock.

    Args:
        clock: Tells the mint the time (withdraw and deposit windows, record times).
        currency: The currency of every denomination and reserve (an ISO 4217 code or a
            :class:`~ecservice.money.Currency`).
        name: A label for messages and ``repr`` (at most 200 characters, no control characters).
        book: Where the mint keeps its spent coins; a new
            :class:`~ecservice.payments.ecash.MemoryMintBook` unless told. A book given must
            carry the mint's name and currency.

    Raises:
        ValidationError: ``clock`` is not a :class:`~ecservice.clock.Clock`, a bad name, or a
            book that is not a ``MintBook`` of this mint's name and currency.
        UnknownCurrency: an unknown currency code.
    """

    def __init__(
        self,
        clock: Clock,
        *,
        currency: str | Currency,
        name: str = "mint",
        book: MintBook | None = None,
    ) -> None:
        if not isinstance(clock, Clock):
            raise ValidationError(f"clock must be a Clock (such as FixedClock), not {shown(clock)}")
        self._clock = clock
        self._currency = as_currency(currency)
        self._name = check_text(name, "a mint name", limit=SHORT_TEXT_MAX)
        if book is None:
            book = MemoryMintBook(self._currency, name=self._name)
        elif not isinstance(book, MintBook):
            raise ValidationError(f"book must be a MintBook, not {shown(book)}")
        elif book.name != self._name or book.currency != self._currency:
            raise ValidationError(
                f"the book of mint {book.name!r} in {book.currency.code} cannot serve mint "
                f"{self._name!r} in {self._currency.code}: give the mint a book of its own name "
                "and currency"
            )
        self._book: MintBook = book
        self._lock = threading.RLock()
        self._issued: dict[bytes, Issued] = {}
        self._reserves: dict[str, Money] = {}
        self._withdrawals: list[WithdrawalRecord] = []
        self._withdrawal_index: dict[tuple[bytes, bytes], WithdrawalRecord] = {}
        self._version = 0

    @classmethod
    def restore(
        cls,
        clock: Clock,
        *,
        currency: str | Currency,
        name: str,
        version: int,
        denominations: Iterable[Denomination],
        signers: Iterable[BlindSigner],
        reserves: Iterable[tuple[str, Money]] = (),
        withdrawals: Iterable[WithdrawalRecord] = (),
        deposits: Iterable[tuple[DepositReceipt, bytes, Money, bool]] = (),
        refunds: Iterable[RefundReceipt] = (),
        refreshes: Iterable[RefreshRecord] = (),
        payouts: Iterable[PayoutRecord] = (),
        book: MintBook | None = None,
    ) -> Mint:
        """Rebuild a mint from what storage keeps, checking every part against the others.

        The private keys are never part of what is stored: ``signers`` holds the signer of
        every stored denomination (as :meth:`add_denomination` got it), each matched to its
        denomination by public key; a denomination without a signer, or a signer without a
        denomination, is refused. The rest must be what a run of the mint could have left:

        * denominations in the mint's currency, each with its own key;
        * reserves as ``(reserve id, balance)`` pairs, each once, balances zero or more;
        * withdrawals from held reserves, of issued denominations, inside their withdraw
          windows, no blinded message twice;
        * deposits as :meth:`deposit_states` gives them, numbered 1, 2, ... in order, each
          inside its deposit window, at most the coin's face value, no replay recorded twice;
        * refunds numbered 1, 2, ..., each of a recorded deposit, made before its coin's deposit
          window closed, and adding up, per coin, merchant and contract, to what the deposits
          show refunded;
        * refreshes whose new coins are worth what they record, melted and issued inside the
          windows, no refresh twice;
        * per coin, deposits less refunds plus melts never more than its face value;
        * payouts each paying its merchant's deposits once, for their value net of refunds, and
          exactly the deposits marked paid.

        A restored mint goes on where the stored one stopped: a replayed deposit or refresh
        gets its first answer, a coin spent before is refused as a double spend, a withdrawal
        retried from the same reserve is signed again without a second debit.

        Args:
            clock, currency, name: as for the constructor.
            version: the number of changes the mint went through (:attr:`version`).
            denominations: the denominations, in the order they were added.
            signers: the signer of each denomination, in any order.
            reserves, withdrawals, deposits, refunds, refreshes, payouts: as the views
                :attr:`reserves`, :attr:`withdrawals`, :meth:`deposit_states`, :attr:`refunds`,
                :attr:`refreshes` and :attr:`payouts` give them.
            book: the mint's book when it is kept outside its document (a database); the
                deposits, refunds, refreshes and payouts are then in the book, and must not be
                given. The stored parts are then checked without them.

        Raises:
            ValidationError: a part has the wrong type or breaks one of the rules above; the
                message names the rule and the part.
            UnknownCurrency: an unknown currency code.
        """
        mint = cls(clock, currency=currency, name=name, book=book)
        _restore.restore(
            mint,
            denominations=denominations,
            signers=signers,
            reserves=reserves,
            withdrawals=withdrawals,
            deposits=deposits,
            refunds=refunds,
            refreshes=refreshes,
            payouts=payouts,
            version=version,
        )
        return mint

    @property
    def version(self) -> int:
        """How many changes the mint went through (0 when made; storage compares it).

        A denomination added, a reserve credited, a withdrawal, deposit, refund, refresh or
        payout each count one; a replayed request, a refused one and a payout of nothing count
        nothing. With a book kept outside the document (:attr:`MintBook.external
        <ecservice.payments.ecash.MintBook.external>`) deposits, refunds, refreshes and payouts
        count nothing: the document does not hold them.
        """
        return self._version

    @property
    def book(self) -> MintBook:
        """Where the mint keeps its spent coins, deposits, refunds, refreshes and payouts."""
        return self._book

    def _changed(self) -> None:
        """Count a change the book recorded, if the mint's document holds the book."""
        if not self._book.external:
            self._version += 1

    @property
    def reserves(self) -> tuple[tuple[str, Money], ...]:
        """Every reserve and its balance, as ``(reserve id, balance)`` pairs, oldest first."""
        with self._lock:
            return tuple(self._reserves.items())

    def deposit_states(self) -> tuple[tuple[DepositReceipt, bytes, Money, bool], ...]:
        """Every deposit with what storage keeps of it, oldest first.

        Each is ``(receipt, spend nonce, value refunded from it, paid out)``: the nonce lets a
        restored mint recognise a replayed spend (:meth:`restore`).
        """
        with self._lock:
            return self._book.deposit_states()

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
        return _denominations.add_denomination(
            self,
            value,
            withdraw_until=withdraw_until,
            deposit_until=deposit_until,
            valid_from=valid_from,
            signer=signer,
            variant=variant,
        )

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
        return _denominations.withdrawable(self)

    def _lookup(self, denomination_id: bytes) -> Issued:
        return _denominations.lookup(self, denomination_id)

    # --- reserves --------------------------------------------------------------------------------

    def credit_reserve(self, reserve: str, amount: Money) -> Money:
        """Pay ``amount`` into a customer's reserve (opening it if new); return the new balance.

        Raises:
            InvalidAmount: ``amount`` is not positive.
            CurrencyMismatch: ``amount`` is not in the mint's currency.
            ValidationError: the reserve id is blank.
        """
        return _reserves.credit_reserve(self, reserve, amount)

    def reserve_balance(self, reserve: str) -> Money:
        """The money left in a reserve.

        Raises:
            UnknownReserve: the mint holds no such reserve.
            ValidationError: ``reserve`` is not a valid reserve id.
        """
        return _reserves.reserve_balance(self, reserve)

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
        return _signing.withdraw(self, reserve, denomination_id, blinded_message)

    # --- deposit ---------------------------------------------------------------------------------

    def deposit(self, spend: CoinSpend, *, exclusive: bool = False) -> DepositReceipt:
        """Accept a merchant's deposit of a coin spend; the merchant is owed its amount.

        Checks, in order: the denomination is this mint's, the amount is positive and in the
        mint's currency, the coin's RSA signature, the spend's Ed25519 signature, the amount is
        within the coin's face value, then (unless the identical deposit was already made, which
        returns the same receipt and changes nothing) the deposit window and the coin's remaining
        value.

        With ``exclusive=True`` the coin pays the merchant's contract once: a deposit that
        differs (amount or nonce) from one the mint holds of the coin for the same merchant and
        contract is refused, as GNU Taler's exchange refuses it (``exchange_do_deposit``: a
        deposit "exists, but with differences"). A gateway that may capture one authorisation
        from several processes with different amounts deposits this way, so only one capture's
        spends reach the mint. Without it, paying the same contract again is a new payment.

        Raises:
            ConflictingDeposit: ``exclusive``, and the mint holds another deposit of the coin
                for the merchant and contract.
            UnknownDenomination: a coin of another mint, or a made-up denomination.
            CurrencyMismatch: the amount is in another currency.
            InsufficientFunds: the amount is more than the coin's face value.
            InvalidSignature: a forged coin or an altered spend.
            DenominationExpired: the denomination's deposit window is closed.
            DoubleSpend: the coin has less value left than the amount.
            ValidationError: ``spend`` is not a :class:`CoinSpend`.
        """
        return _deposits.deposit(self, spend, exclusive=exclusive)

    # --- refund and payout -----------------------------------------------------------------------

    def refund(
        self,
        *,
        merchant: str,
        coin_public_key: bytes,
        contract_hash: bytes,
        amount: Money,
        key: str | None = None,
    ) -> RefundReceipt:
        """Give (part of) a merchant's deposit for an order back to the coin.

        Only value not yet paid out to the merchant can be refunded, and only while the coin can
        still be deposited or refreshed (``now < deposit_until`` of its denomination): a refund
        after that would leave value on a coin that can never be spent or exchanged, so it is
        refused and the merchant must repay the buyer by other means. The refunded value is
        spendable until the same instant; the wallet should refresh the coin before then.

        ``key`` is the refund's idempotency key, unique at the mint (as GNU Taler's merchant
        numbers its refunds with an ``rtransaction_id``): the same key with the same request
        returns the first :class:`RefundReceipt` and refunds nothing more; with another request
        it raises :class:`~ecservice.errors.IdempotencyConflict`. It is optional so that a
        caller in one process may refund by hand, but a caller that may run a refund again
        after a crash or a lost answer (a gateway whose books commit after the mint) must give
        one, or the retry refunds twice. A mint whose book is in its own document keeps the
        keys only while it lives (:class:`MemoryMintBook`).

        Raises:
            IdempotencyConflict: ``key`` was used for another refund.
            ValidationError: ``key`` is not acceptable text (at most 200 characters).
            InvalidAmount: ``amount`` is not positive.
            CurrencyMismatch: ``amount`` is in another currency.
            UnknownDeposit: no deposit of this coin to this merchant for this contract.
            RefundExceedsDeposit: more than was deposited (net of earlier refunds).
            AlreadyPaidOut: the value was already paid out to the merchant.
            RefundWindowClosed: the coin's deposit window has closed.
        """
        return _deposits.refund(
            self,
            merchant=merchant,
            coin_public_key=coin_public_key,
            contract_hash=contract_hash,
            amount=amount,
            key=key,
        )

    def contract_deposits(
        self, merchant: str, contract_hash: bytes
    ) -> tuple[tuple[DepositReceipt, bytes, Money, bool], ...]:
        """The deposits for ``merchant``'s contract, oldest first, each as ``(receipt, spend
        nonce, value refunded from it, paid out)``: what a payment took and gave back.

        Raises:
            ValidationError: ``merchant`` is not a valid merchant id, or ``contract_hash`` is
                not bytes.
        """
        return _payouts.contract_deposits(self, merchant, contract_hash)

    def contract_refunds(
        self, merchant: str, contract_hash: bytes
    ) -> tuple[tuple[RefundReceipt, str | None], ...]:
        """The refunds of ``merchant``'s deposits for the contract, oldest first, each with
        the key it was made with (``None`` without one).

        Raises:
            ValidationError: ``merchant`` is not a valid merchant id, or ``contract_hash`` is
                not bytes.
        """
        return _payouts.contract_refunds(self, merchant, contract_hash)

    def pending_total(self, merchant: str) -> Money:
        """What the mint owes ``merchant`` now: deposits not paid out, net of refunds.

        Raises:
            ValidationError: ``merchant`` is not a valid merchant id.
        """
        return _payouts.pending_total(self, merchant)

    def payout(self, merchant: str) -> Money:
        """Pay ``merchant`` all outstanding deposits (net of refunds) and return the total.

        Those deposits can no longer be refunded. Paying out a merchant owed nothing returns
        zero and records nothing.

        Raises:
            ValidationError: ``merchant`` is not a valid merchant id.
        """
        return _payouts.payout(self, merchant)

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
            ValidationError: a blinded message is malformed, or ``request`` is not a
                :class:`RefreshRequest`.
        """
        return _signing.refresh(self, request)

    # --- views -----------------------------------------------------------------------------------

    def remaining_value(self, coin: Coin) -> Money:
        """The value the mint still honours for ``coin`` (its face value if never seen spent).

        Raises:
            UnknownDenomination: the coin's denomination is not this mint's.
            ValidationError: ``coin`` is not a :class:`Coin`.
        """
        require(coin, Coin, "a coin")
        with self._lock:
            denomination = self._lookup(coin.denomination_id).denomination
            return self._book.remaining(coin.public_key, denomination)

    @property
    def withdrawals(self) -> tuple[WithdrawalRecord, ...]:
        """Every withdrawal, oldest first."""
        return tuple(self._withdrawals)

    @property
    def deposits(self) -> tuple[DepositReceipt, ...]:
        """Every accepted deposit, oldest first."""
        return tuple(state[0] for state in self._book.deposit_states())

    @property
    def refunds(self) -> tuple[RefundReceipt, ...]:
        """Every refund, oldest first."""
        return self._book.refunds()

    @property
    def refreshes(self) -> tuple[RefreshRecord, ...]:
        """Every refresh, oldest first."""
        return self._book.refreshes()

    @property
    def payouts(self) -> tuple[PayoutRecord, ...]:
        """Every payout, oldest first."""
        return self._book.payouts()

    def __repr__(self) -> str:
        return (
            f"Mint({self._name!r}, currency={self._currency.code!r}, "
            f"denominations={len(self._issued)}, reserves={len(self._reserves)})"
        )

    # --- helpers ---------------------------------------------------------------------------------

    def _check_amount(self, amount: Money, operation: str) -> None:
        positive(amount, f"the amount to {operation}", self._currency)
