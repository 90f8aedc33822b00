"""The e-wallet aggregate: one owner's cards, stored value, holds, holdings and signing key."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import final

import attrs
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from pendulum import DateTime

from ecservice.clock import DEFAULT_ZONE, Clock
from ecservice.money import Currency, Money
from ecservice.payments.wallet import _access, _build, _holdings, _spending, _wallet_cards
from ecservice.payments.wallet._access import Auth, WalletSession, locked
from ecservice.payments.wallet._atomic import changes
from ecservice.payments.wallet._cards import CardReference
from ecservice.payments.wallet._dual_signature import DualSignedOrder
from ecservice.payments.wallet._instruction import SignedInstruction, raw_public_key
from ecservice.payments.wallet._ledger import Hold, Holding, HoldingKind, HoldStatus, LedgerEntry
from ecservice.payments.wallet._pin import DEFAULT_KDF, KdfParams, PinGuard, PinHash, PinPolicy
from ecservice.payments.wallet._stored_value import StoredValue

__all__ = ["EWallet"]


@final
@attrs.define(slots=True, eq=False, repr=False, init=False)
class EWallet:
    """One owner's e-wallet.

    It holds card references (:class:`CardReference`: tokens and last four digits, never card
    numbers), stored value per currency with holds (authorisations) and a ledger, references to
    e-cash and purse :class:`Holding` values kept elsewhere, and an Ed25519 key that signs payment
    instructions.

    Spending (:meth:`pay`, :meth:`authorize`, :meth:`instruct`) and adding a card need ``auth``:
    the owner's PIN or a :class:`WalletSession` opened with it. Topping up (:meth:`credit`),
    settling holds (:meth:`capture`, :meth:`release`) and recording holdings do not.

    Every operation is atomic: if it raises, the wallet is exactly as it was (balances, ledger,
    holds, cards, holdings, sessions, PIN record and :attr:`version`), with one deliberate
    exception, the lock-out rule: a wrong PIN adds a failure (and the failure that reaches the
    limit locks the wallet and closes its sessions), which stays and counts in :attr:`version`.
    A right PIN resets the failure count only when the operation succeeds. A PIN or ``auth``
    that is not a ``str`` (nor a :class:`WalletSession`) is a mistake of the calling program,
    not a guess: it raises :class:`~ecservice.errors.ValidationError` and counts nothing.

    **Threads.** Each wallet has its own re-entrant lock and every method runs under it, PIN
    check included: the operations of one wallet happen one at a time (8 threads paying 60.00
    from 100.00 at once: exactly one succeeds), while different wallets do not wait for each
    other. A PIN attempt is counted before the slow hash (see :class:`PinPolicy`), so parallel
    guesses never check more wrong PINs than the policy allows. The wallet's state is kept in
    private mutable records that only its methods change, under the lock, after every check has
    passed; what it hands out is immutable (tuples, frozen :class:`Hold`, :class:`LedgerEntry`,
    :class:`CardReference`, :class:`Holding`). Across processes, one writer per wallet must be
    enforced by storage (its ``version``).

    Args:
        owner: the owner's id (short text, never a card number).
        pin: the owner's PIN, 4 to 12 ASCII digits (the PIN lengths of ISO 9564-1); only its
            scrypt hash is kept.
        clock: the time source for lock-outs, sessions, card expiry and ledger times.
        kdf: scrypt parameters for the PIN hash (default :data:`DEFAULT_KDF`; lower only in tests).
        policy: lock-out and session settings (default ``PinPolicy()``: 5 failures, 15 minutes
            locked, 5-minute sessions).
        signing_key: the Ed25519 key that signs instructions (default: a new random key).
        wallet_id: the wallet's id (short text, never a card number; default: ``w-`` and 16
            random letters).
        zone: the shop's IANA time zone name, in which card expiry months are read (default
            ``"Asia/Shanghai"``), read back as ``wallet.zone``.

    Raises:
        InvalidPin: the PIN is not 4 to 12 digits.
        ValidationError: the owner or wallet id is not acceptable text
            (:func:`ecservice.text.check_text`), ``zone`` is not an IANA time zone name
            (:func:`~ecservice.clock.check_zone`), or an argument has the wrong type.
        FullCardNumberRefused: the owner or wallet id contains something shaped like a card
            number.

    To load a wallet from storage, use :meth:`restore`, which checks every part.
    """

    owner: str
    clock: Clock
    wallet_id: str
    kdf: KdfParams
    zone: str
    _guard: PinGuard
    _signing_key: Ed25519PrivateKey
    _sessions: dict[bytes, DateTime]
    _cards: dict[str, CardReference]
    _books: StoredValue
    _holdings: dict[tuple[HoldingKind, str], Holding]
    _lock: threading.RLock
    _version: int

    def __init__(
        self,
        owner: str,
        pin: str,
        *,
        clock: Clock,
        kdf: KdfParams = DEFAULT_KDF,
        policy: PinPolicy | None = None,
        signing_key: Ed25519PrivateKey | None = None,
        wallet_id: str | None = None,
        zone: str = DEFAULT_ZONE,
    ) -> None:
        _build.build_new(
            self,
            owner,
            pin,
            clock=clock,
            kdf=kdf,
            policy=policy,
            signing_key=signing_key,
            wallet_id=wallet_id,
            zone=zone,
        )

    @classmethod
    def restore(
        cls,
        *,
        owner: str,
        wallet_id: str,
        pin_hash: PinHash,
        clock: Clock,
        signing_key: Ed25519PrivateKey,
        kdf: KdfParams,
        policy: PinPolicy,
        failures: int = 0,
        locked_until: DateTime | None = None,
        cards: Iterable[CardReference] = (),
        ledger: Iterable[LedgerEntry] = (),
        holds: Iterable[Hold] = (),
        holdings: Iterable[Holding] = (),
        zone: str = DEFAULT_ZONE,
        version: int = 0,
    ) -> EWallet:
        """Rebuild a wallet from what storage keeps, checking every part.

        Sessions are not restored: they live only in the process that opened them. The PIN
        record (:class:`PinHash`, failure count, lock), the books
        (:meth:`StoredValue.restore`), the cards and the holdings are checked as when they were
        made, so a wallet that loads is one the library could have produced.

        ``kdf`` and ``policy`` have no defaults: they are part of the wallet (the PIN is
        re-hashed with ``kdf`` on a change; ``policy`` sets the failure limit and lock-out the
        stored count and lock are checked against), so storage must keep and pass them.
        ``version`` is the stored :attr:`version`, a whole number >= 0.

        Raises:
            ValidationError: a part has the wrong type or breaks its rules: the failure count
                is outside 0 to the policy's limit, a lock comes without exactly
                ``policy.max_failures`` failures or that many failures without a lock, the lock
                ends later than ``policy.lockout`` after ``clock.now()``, ledger entries are out
                of time order, the ledger does not match the holds...
            DuplicateWalletItem: two cards share a token, or two holdings a kind and reference.
            FullCardNumberRefused: a stored text holds something shaped like a card number.
        """
        wallet = cls.__new__(cls)
        _build.build_restored(
            wallet,
            owner=owner,
            wallet_id=wallet_id,
            pin_hash=pin_hash,
            clock=clock,
            signing_key=signing_key,
            kdf=kdf,
            policy=policy,
            failures=failures,
            locked_until=locked_until,
            cards=cards,
            ledger=ledger,
            holds=holds,
            holdings=holdings,
            zone=zone,
            version=version,
        )
        return wallet

    @property
    def version(self) -> int:
        """How many changing calls the wallet went through (0 when made; storage compares it).

        Every call of a method that may change what storage keeps counts one when it returns:
        ``verify_pin``, ``change_pin``, ``open_session``, the card, stored-value, hold and
        holding methods that change them, ``instruct`` and ``instruct_dual``. A call that
        raises counts nothing (it changed nothing), except one whose wrong PIN was counted
        (a failure, perhaps a lock): that changed the PIN record, so it counts one and storage
        saves it. Reading never counts.
        """
        return self._version

    @locked
    def export_signing_key(self) -> bytes:
        """The wallet's Ed25519 signing key as 32 raw bytes, for storage.

        Whoever holds these bytes can sign payment instructions as this wallet: keep them
        only where the wallet itself is kept, encrypted at rest, or apart from its document
        (pass them back to :meth:`restore` as ``signing_key``).
        """
        return self._signing_key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )

    @property
    @locked
    def pin_record(self) -> tuple[PinHash, int, DateTime | None]:
        """The PIN hash, the failure count and the lock's end (or ``None``), for storage.

        Pass them back to :meth:`restore` as ``pin_hash``, ``failures`` and ``locked_until``.
        """
        return self._guard.pin_hash, self._guard.failures, self._guard.locked_until

    def __repr__(self) -> str:
        codes = [c.code for c in self.currencies]
        return (
            f"EWallet(owner={self.owner!r}, wallet_id={self.wallet_id!r}, "
            f"cards={len(self._cards)}, currencies={codes}, open_holds={len(self.holds())}, "
            f"locked={self.is_locked})"
        )

    # --- owner verification ----------------------------------------------------------------

    @property
    def policy(self) -> PinPolicy:
        """The lock-out and session policy."""
        return self._guard.policy

    @property
    def failed_attempts(self) -> int:
        """Consecutive wrong PINs since the last right one (or the end of the last lock)."""
        with self._lock:
            lock = self._guard.locked_until
            if lock is not None and self.clock.now() >= lock:
                return 0  # the lock has run out: the count starts again
            return self._guard.failures

    @property
    def locked_until(self) -> DateTime | None:
        """The end of the lock in force now, or ``None`` when the wallet is not locked."""
        with self._lock:
            return self._guard.current_lock(self.clock.now())

    @property
    def is_locked(self) -> bool:
        """``True`` while a lock-out is in force."""
        return self.locked_until is not None

    @locked
    @changes
    def verify_pin(self, pin: str) -> None:
        """Check the owner's PIN; a right one resets the failure count.

        Raises:
            ValidationError: ``pin`` is not a ``str`` (nothing is counted).
            WrongPin: the PIN is wrong (counted; the message says how many attempts are left).
            WalletLocked: the wallet is locked, or this failure locked it (which also closes
                every session).
        """
        _access.verify_pin(self, pin)

    @locked
    @changes
    def change_pin(self, old_pin: str, new_pin: str) -> None:
        """Replace the PIN; needs the old one. Closes every open session.

        The new PIN is hashed with the wallet's current ``kdf`` parameters and a new salt.

        Raises:
            ValidationError: ``old_pin`` is not a ``str`` (nothing is counted).
            InvalidPin: the new PIN is not 4 to 12 digits (checked first; nothing is counted).
            WrongPin: the old PIN is wrong.
            WalletLocked: the wallet is locked.
        """
        _access.change_pin(self, old_pin, new_pin)

    @locked
    @changes
    def open_session(self, pin: str) -> WalletSession:
        """Verify the PIN and open a session valid for ``policy.session_ttl``.

        Raises:
            ValidationError: ``pin`` is not a ``str`` (nothing is counted).
            WrongPin: the PIN is wrong.
            WalletLocked: the wallet is locked.
        """
        return _access.open_session(self, pin)

    @locked
    def close_session(self, session: WalletSession) -> None:
        """End a session; closing one already closed or expired does nothing.

        Raises:
            ValidationError: ``session`` is not a :class:`WalletSession`.
        """
        _access.close_session(self, session)

    # --- cards -------------------------------------------------------------------------------

    @locked
    @changes
    def add_card(self, card: CardReference, *, auth: Auth) -> CardReference:
        """Add a card reference.

        Raises:
            DuplicateWalletItem: a card with this token is already in the wallet.
            CardExpired: the card is already expired (by the wallet's clock, its expiry month
                read in the wallet's ``zone``: :meth:`CardReference.expires_at`).
            WrongPin, WalletLocked, InvalidSession: ``auth`` is not accepted.
            ValidationError: ``auth`` is neither a ``str`` nor a :class:`WalletSession`
                (nothing is counted).
        """
        return _wallet_cards.add_card(self, card, auth)

    @locked
    @changes
    def remove_card(self, token: str) -> CardReference:
        """Remove and return the card with ``token``.

        Raises:
            UnknownCard: no such card.
        """
        return _wallet_cards.remove_card(self, token)

    @locked
    def card(self, token: str) -> CardReference:
        """The card with ``token``.

        Raises:
            UnknownCard: no such card.
        """
        return _wallet_cards.find_card(self, token)

    @locked
    def cards(self, *, usable_only: bool = False) -> tuple[CardReference, ...]:
        """The cards in the order they were added; with ``usable_only``, the unexpired ones."""
        return _wallet_cards.list_cards(self, usable_only=usable_only)

    # --- stored value and holds ----------------------------------------------------------------

    def available(self, cur: str | Currency) -> Money:
        """Stored value that can be spent now (not held)."""
        return self._books.available(cur)

    def held(self, cur: str | Currency) -> Money:
        """Stored value set aside by open holds."""
        return self._books.held(cur)

    def balance(self, cur: str | Currency) -> Money:
        """``available + held``: all stored value of the currency still in the wallet."""
        return self._books.balance(cur)

    @property
    def currencies(self) -> tuple[Currency, ...]:
        """Currencies that have ever had stored value, by code."""
        return self._books.currencies

    @property
    def ledger(self) -> tuple[LedgerEntry, ...]:
        """Every ledger entry, oldest first."""
        return self._books.ledger

    @locked
    @changes
    def credit(self, amount: Money, reference: str) -> LedgerEntry:
        """Add stored value (a top-up, a refund). Needs no PIN.

        Raises:
            InvalidAmount: ``amount`` is not a positive Money.
            ValidationError: ``reference`` is not acceptable text.
            FullCardNumberRefused: ``reference`` contains something shaped like a card number.
        """
        return self._books.credit(amount, reference)

    @locked
    @changes
    def pay(self, amount: Money, reference: str, *, auth: Auth) -> LedgerEntry:
        """Spend stored value at once.

        Raises:
            InvalidAmount: ``amount`` is not a positive Money.
            InsufficientFunds: more than is available (the message says how much is).
            WrongPin, WalletLocked, InvalidSession: ``auth`` is not accepted.
            ValidationError: ``auth`` is neither a ``str`` nor a :class:`WalletSession`
                (nothing is counted).
            ValidationError, FullCardNumberRefused: ``reference`` is refused (checked before
                the PIN, so a refused reference costs no attempt).
        """
        return _spending.pay(self, amount, reference, auth=auth)

    @locked
    @changes
    def authorize(self, amount: Money, reference: str, *, auth: Auth) -> Hold:
        """Set ``amount`` of available stored value aside for a later capture.

        Raises:
            InvalidAmount: ``amount`` is not a positive Money.
            InsufficientFunds: more than is available.
            WrongPin, WalletLocked, InvalidSession: ``auth`` is not accepted.
            ValidationError: ``auth`` is neither a ``str`` nor a :class:`WalletSession`
                (nothing is counted).
            ValidationError, FullCardNumberRefused: ``reference`` is refused (checked before
                the PIN, so a refused reference costs no attempt).
        """
        return _spending.authorize(self, amount, reference, auth=auth)

    def hold(self, hold_id: str) -> Hold:
        """The hold with ``hold_id``, in its current state.

        Raises:
            UnknownHold: no such hold.
        """
        return self._books.hold(hold_id)

    def holds(self, status: HoldStatus | None = HoldStatus.OPEN) -> tuple[Hold, ...]:
        """Holds with ``status`` (open ones by default; ``None`` for all), oldest first."""
        return self._books.holds(status)

    @locked
    @changes
    def capture(self, hold_id: str, amount: Money | None = None) -> Hold:
        """Spend ``amount`` (default: all) of a hold; the rest goes back to available.

        Needs no PIN: the owner consented when the hold was placed. Idempotent by hold id:
        capturing a captured hold again with the same amount returns it unchanged; a capture
        that conflicts with how the hold was settled raises :class:`HoldSettled`.

        Raises:
            UnknownHold: no such hold.
            InvalidAmount: ``amount`` is not positive or exceeds the hold.
            CurrencyMismatch: ``amount`` is in another currency than the hold.
            HoldSettled: the hold was released, or captured for a different amount.
        """
        return self._books.capture(hold_id, amount)

    @locked
    @changes
    def release(self, hold_id: str) -> Hold:
        """Give all of an open hold back to available; releasing again returns it unchanged.

        Raises:
            UnknownHold: no such hold.
            HoldSettled: the hold was captured.
        """
        return self._books.release(hold_id)

    # --- external holdings -------------------------------------------------------------------

    @locked
    @changes
    def add_holding(self, holding: Holding) -> Holding:
        """Record e-cash or a purse the owner carries.

        Raises:
            DuplicateWalletItem: a holding of this kind and reference is already recorded.
        """
        return _holdings.add_holding(self, holding)

    @locked
    def holding(self, kind: HoldingKind, reference: str) -> Holding:
        """The holding of ``kind`` with ``reference``.

        Raises:
            UnknownHolding: no such holding.
        """
        return _holdings.find_holding(self, kind, reference)

    @locked
    @changes
    def update_holding(self, kind: HoldingKind, reference: str, value: Money) -> Holding:
        """Record the latest value reported for a holding.

        Raises:
            UnknownHolding: no such holding.
            InvalidAmount: ``value`` is negative or not a Money.
            CurrencyMismatch: ``value`` is in another currency than the holding.
        """
        return _holdings.update_holding(self, kind, reference, value)

    @locked
    @changes
    def remove_holding(self, kind: HoldingKind, reference: str) -> Holding:
        """Forget a holding and return it.

        Raises:
            UnknownHolding: no such holding.
        """
        return _holdings.remove_holding(self, kind, reference)

    @locked
    def holdings(self, kind: HoldingKind | None = None) -> tuple[Holding, ...]:
        """Holdings of ``kind`` (all by default), in the order they were added."""
        return tuple(h for h in self._holdings.values() if kind is None or h.kind is kind)

    @locked
    def holdings_value(self, cur: str | Currency) -> Money:
        """The last reported value of every holding in ``cur``."""
        return _holdings.holdings_value(self, cur)

    @locked
    def total_value(self, cur: str | Currency) -> Money:
        """Stored value (available and held) plus holdings, in ``cur``."""
        return self.balance(cur) + self.holdings_value(cur)

    # --- signed instructions -----------------------------------------------------------------

    @property
    def public_key(self) -> bytes:
        """The wallet's raw 32-byte Ed25519 public key, to verify its instructions with."""
        return raw_public_key(self._signing_key)

    @locked
    @changes
    def instruct(
        self,
        payee: str,
        amount: Money,
        reference: str,
        *,
        auth: Auth,
        card: str | None = None,
    ) -> SignedInstruction:
        """Sign an instruction to pay ``payee``.

        With ``card`` (a card token in the wallet) the instruction is funded by that card, which
        must not be expired. Without it the instruction is funded by stored value: the wallet
        places a hold for ``amount`` and signs its id into the instruction, so the payee settles
        it with :meth:`capture` (or the hold is released).

        Raises:
            InvalidAmount: ``amount`` is not a positive Money.
            UnknownCard: ``card`` is not in the wallet.
            CardExpired: ``card`` is expired (by the wallet's clock, in its ``zone``).
            InsufficientFunds: stored-value funding exceeds what is available.
            WrongPin, WalletLocked, InvalidSession: ``auth`` is not accepted.
            ValidationError: ``auth`` is neither a ``str`` nor a :class:`WalletSession`
                (nothing is counted).
            ValidationError: ``payee`` or ``reference`` is not acceptable text
                (:func:`ecservice.text.check_text`; surrounding spaces are stripped).
            FullCardNumberRefused: ``payee`` or ``reference`` contains something shaped like a
                card number (nothing is signed; the message names the field only).
        """
        return _spending.instruct(self, payee, amount, reference, auth=auth, card=card)

    @locked
    @changes
    def instruct_dual(
        self,
        merchant: str,
        amount: Money,
        reference: str,
        *,
        auth: Auth,
        gateway_key: bytes | X25519PublicKey,
        card: str | None = None,
    ) -> DualSignedOrder:
        """Dual-sign a purchase from ``merchant`` and seal its payment part for the gateway.

        The order part (reference, merchant, amount) goes to the merchant in clear; the payment
        part (wallet id, owner, funding with the card token, hold) is sealed with HPKE (RFC 9180)
        to ``gateway_key``, the payment gateway's X25519 public key (for example
        :attr:`WalletGateway.sealing_public_key
        <ecservice.payments.WalletGateway.sealing_public_key>`). One Ed25519 signature covers
        both (:mod:`SET's dual signature <ecservice.payments.wallet>`). Funding works as in
        :meth:`instruct`: a card token, or stored value with a hold placed now and named in the
        payment part.

        Raises:
            InvalidAmount: ``amount`` is not a positive Money.
            UnknownCard: ``card`` is not in the wallet.
            CardExpired: ``card`` is expired (by the wallet's clock, in its ``zone``).
            InsufficientFunds: stored-value funding exceeds what is available.
            WrongPin, WalletLocked, InvalidSession: ``auth`` is not accepted.
            ValidationError: ``auth`` is neither a ``str`` nor a :class:`WalletSession`
                (nothing is counted).
            ValidationError: ``merchant`` or ``reference`` is not acceptable text, or
                ``gateway_key`` is not an X25519 public key (nothing is counted against the PIN).
            FullCardNumberRefused: ``merchant`` or ``reference`` contains something shaped like
                a card number.
        """
        return _spending.instruct_dual(
            self, merchant, amount, reference, auth=auth, gateway_key=gateway_key, card=card
        )
