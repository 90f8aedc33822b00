"""The e-wallet aggregate: one owner's cards, stored value, holds, holdings and signing key."""

from __future__ import annotations

import functools
import logging
import secrets
import threading
from collections.abc import Callable, Iterable
from typing import Concatenate, ParamSpec, TypeVar, final

import attrs
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from pendulum import DateTime

from ecservice.clock import DEFAULT_ZONE, Clock
from ecservice.errors import ValidationError
from ecservice.money import Currency, Money
from ecservice.payments.wallet import _access, _holdings
from ecservice.payments.wallet._access import Auth, WalletSession, locked
from ecservice.payments.wallet._cards import CardReference, check_reference
from ecservice.payments.wallet._dual_signature import DualSignedOrder, dual_sign
from ecservice.payments.wallet._envelope import check_gateway_key
from ecservice.payments.wallet._errors import (
    CardExpired,
    DuplicateWalletItem,
    UnknownCard,
    WalletLocked,
    WrongPin,
)
from ecservice.payments.wallet._instruction import (
    SignedInstruction,
    raw_public_key,
    sign_instruction,
)
from ecservice.payments.wallet._ledger import (
    Hold,
    Holding,
    HoldingKind,
    HoldStatus,
    LedgerEntry,
)
from ecservice.payments.wallet._pin import (
    DEFAULT_KDF,
    KdfParams,
    PinGuard,
    PinHash,
    PinPolicy,
    hash_pin,
)
from ecservice.payments.wallet._restore import (
    check_identity,
    items,
    restored_cards,
)
from ecservice.payments.wallet._stored_value import StoredValue, positive_money

__all__ = ["STORED_VALUE", "EWallet"]

_P = ParamSpec("_P")
_R = TypeVar("_R")


def _changes(
    method: Callable[Concatenate[EWallet, _P], _R],
) -> Callable[Concatenate[EWallet, _P], _R]:
    """Make a method that may change the wallet all-or-nothing, and count it in ``version``.

    A call that returns counts one. A call that raises leaves the wallet as it was and counts
    nothing, except for a PIN attempt it recorded: a wrong PIN's failure and lock (and the
    sessions a lock-out closed), or an attempt interrupted during the hash, stay and count one
    (the wallet's lock-out rule). A right PIN followed by a refusal (too little value, an
    expired card...) is undone with the rest: the failure count is put back as it was.
    """

    @functools.wraps(method)
    def run(self: EWallet, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        before = self._guard.state()
        try:
            result = method(self, *args, **kwargs)
        except BaseException as exc:
            after = self._guard.state()
            if after != before:
                _, failures, lock = after
                passed = failures == 0 and lock is None
                if passed and not isinstance(exc, (WrongPin, WalletLocked)):
                    self._guard.restore_state(before)  # a right PIN, then a refusal
                else:
                    self._version += 1  # a PIN attempt was counted: it is kept
            raise
        self._version += 1
        return result

    return run


_log = logging.getLogger("ecservice.payments.wallet")

#: The funding of an instruction paid from the wallet's stored value.
STORED_VALUE = "stored-value"


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
        tz: the IANA time zone in which card expiry months are read (default
            ``"Asia/Shanghai"``).

    Raises:
        InvalidPin: the PIN is not 4 to 12 digits.
        ValidationError: the owner or wallet id is not acceptable text
            (:func:`ecservice.text.check_text`), the zone is unknown, or an argument has the
            wrong type.
        FullCardNumberRefused: the owner or wallet id contains something shaped like a card
            number.

    To load a wallet from storage, use :meth:`restore`, which checks every part.
    """

    owner: str
    clock: Clock
    wallet_id: str
    kdf: KdfParams
    tz: str
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
        tz: str = DEFAULT_ZONE,
    ) -> None:
        owner, wid = check_identity(owner, wallet_id, clock, kdf, tz, signing_key)
        if policy is not None and not isinstance(policy, PinPolicy):
            raise ValidationError(f"policy must be a PinPolicy, not {type(policy).__name__}")
        self.__attrs_init__(
            owner=owner,
            clock=clock,
            wallet_id=wid,
            kdf=kdf,
            tz=tz,
            guard=PinGuard(hash_pin(pin, kdf), policy or PinPolicy()),
            signing_key=signing_key or Ed25519PrivateKey.generate(),
            sessions={},
            cards={},
            books=StoredValue(clock, f"wallet {wid}"),
            holdings={},
            lock=threading.RLock(),
            version=0,
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
        tz: str = DEFAULT_ZONE,
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
        owner, wid = check_identity(owner, wallet_id, clock, kdf, tz, signing_key)
        if wallet_id is None:
            raise ValidationError("a restored wallet needs its wallet_id")
        if isinstance(version, bool) or not isinstance(version, int) or version < 0:
            raise ValidationError(
                f"a wallet's version must be a whole number >= 0, not {version!r}"
            )
        if not isinstance(policy, PinPolicy):
            raise ValidationError(f"policy must be a PinPolicy, not {type(policy).__name__}")
        guard = PinGuard.restored(pin_hash, policy, failures, locked_until, clock.now())
        card_map = restored_cards(cards, wid)
        holding_map = _holdings.restored_holdings(holdings, wid)
        wallet = cls.__new__(cls)
        wallet.__attrs_init__(
            owner=owner,
            clock=clock,
            wallet_id=wid,
            kdf=kdf,
            tz=tz,
            guard=guard,
            signing_key=signing_key,
            sessions={},
            cards=card_map,
            books=StoredValue.restore(
                clock, items(ledger, "ledger"), items(holds, "holds"), name=f"wallet {wid}"
            ),
            holdings=holding_map,
            lock=threading.RLock(),
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
    @_changes
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
    @_changes
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
    @_changes
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
    @_changes
    def add_card(self, card: CardReference, *, auth: Auth) -> CardReference:
        """Add a card reference.

        Raises:
            DuplicateWalletItem: a card with this token is already in the wallet.
            CardExpired: the card is already expired.
            WrongPin, WalletLocked, InvalidSession: ``auth`` is not accepted.
            ValidationError: ``auth`` is neither a ``str`` nor a :class:`WalletSession`
                (nothing is counted).
        """
        if not isinstance(card, CardReference):
            raise ValidationError(f"expected a CardReference, not {type(card).__name__}")
        _access.authenticate(self, auth)
        if card.token in self._cards:
            raise DuplicateWalletItem(
                f"a card with this token is already in wallet {self.wallet_id}"
            )
        if card.is_expired(self.clock.now(), self.tz):
            raise CardExpired(f"cannot add {card}: it expired on {card.expires_at(self.tz)}")
        self._cards[card.token] = card
        _log.info("wallet %s: card %s added", self.wallet_id, card)
        return card

    @locked
    @_changes
    def remove_card(self, token: str) -> CardReference:
        """Remove and return the card with ``token``.

        Raises:
            UnknownCard: no such card.
        """
        card = self.card(token)
        del self._cards[token]
        return card

    @locked
    def card(self, token: str) -> CardReference:
        """The card with ``token``.

        Raises:
            UnknownCard: no such card.
        """
        try:
            return self._cards[token]
        except (KeyError, TypeError):
            raise UnknownCard(f"wallet {self.wallet_id} has no card with this token") from None

    @locked
    def cards(self, *, usable_only: bool = False) -> tuple[CardReference, ...]:
        """The cards in the order they were added; with ``usable_only``, the unexpired ones."""
        now = self.clock.now()
        return tuple(
            c for c in self._cards.values() if not (usable_only and c.is_expired(now, self.tz))
        )

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
    @_changes
    def credit(self, amount: Money, reference: str) -> LedgerEntry:
        """Add stored value (a top-up, a refund). Needs no PIN.

        Raises:
            InvalidAmount: ``amount`` is not a positive Money.
            ValidationError: ``reference`` is not acceptable text.
            FullCardNumberRefused: ``reference`` contains something shaped like a card number.
        """
        return self._books.credit(amount, reference)

    @locked
    @_changes
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
        positive_money(amount, "a payment")
        reference = check_reference(reference, "a payment reference")
        _access.authenticate(self, auth)
        return self._books.debit(amount, reference)

    @locked
    @_changes
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
        positive_money(amount, "an authorisation")
        reference = check_reference(reference, "an authorisation reference")
        _access.authenticate(self, auth)
        return self._books.authorize(amount, reference)

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
    @_changes
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
    @_changes
    def release(self, hold_id: str) -> Hold:
        """Give all of an open hold back to available; releasing again returns it unchanged.

        Raises:
            UnknownHold: no such hold.
            HoldSettled: the hold was captured.
        """
        return self._books.release(hold_id)

    # --- external holdings -------------------------------------------------------------------

    @locked
    @_changes
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
    @_changes
    def update_holding(self, kind: HoldingKind, reference: str, value: Money) -> Holding:
        """Record the latest value reported for a holding.

        Raises:
            UnknownHolding: no such holding.
            InvalidAmount: ``value`` is negative or not a Money.
            CurrencyMismatch: ``value`` is in another currency than the holding.
        """
        return _holdings.update_holding(self, kind, reference, value)

    @locked
    @_changes
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
    @_changes
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
            CardExpired: ``card`` is expired (by the wallet's clock).
            InsufficientFunds: stored-value funding exceeds what is available.
            WrongPin, WalletLocked, InvalidSession: ``auth`` is not accepted.
            ValidationError: ``auth`` is neither a ``str`` nor a :class:`WalletSession`
                (nothing is counted).
            ValidationError: ``payee`` or ``reference`` is not acceptable text
                (:func:`ecservice.text.check_text`; surrounding spaces are stripped).
            FullCardNumberRefused: ``payee`` or ``reference`` contains something shaped like a
                card number (nothing is signed; the message names the field only).
        """
        payee = check_reference(payee, "an instruction's payee")
        positive_money(amount, "an instruction amount")
        reference = check_reference(reference, "an instruction's reference")
        _access.authenticate(self, auth)
        now = self.clock.now()
        funding, hold_id = self._funding(card, amount, now)
        signed = sign_instruction(
            self._signing_key,
            wallet_id=self.wallet_id,
            payer=self.owner,
            payee=payee,
            amount=amount,
            reference=reference,
            funding=funding,
            hold_id=hold_id,
            issued_at=now,
            nonce=secrets.token_hex(16),
        )
        if hold_id is not None:
            self._books.authorize(amount, reference)  # cannot fail: checked above
        return signed

    def _funding(self, card: str | None, amount: Money, now: DateTime) -> tuple[str, str | None]:
        """The funding of an instruction and the id of the hold it will place (none for a
        card); checks the card or the available value, changes nothing."""
        if card is not None:
            ref = self.card(card)
            if ref.is_expired(now, self.tz):
                raise CardExpired(
                    f"cannot pay with {ref}: it expired on {ref.expires_at(self.tz).isoformat()}"
                )
            return f"card:{ref.token}", None
        self._books.require(amount, "instruct a payment of")
        return STORED_VALUE, self._books.next_hold_id()

    @locked
    @_changes
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
            CardExpired: ``card`` is expired (by the wallet's clock).
            InsufficientFunds: stored-value funding exceeds what is available.
            WrongPin, WalletLocked, InvalidSession: ``auth`` is not accepted.
            ValidationError: ``auth`` is neither a ``str`` nor a :class:`WalletSession`
                (nothing is counted).
            ValidationError: ``merchant`` or ``reference`` is not acceptable text, or
                ``gateway_key`` is not an X25519 public key (nothing is counted against the PIN).
            FullCardNumberRefused: ``merchant`` or ``reference`` contains something shaped like
                a card number.
        """
        merchant = check_reference(merchant, "an order's merchant")
        positive_money(amount, "an instruction amount")
        reference = check_reference(reference, "an order's reference")
        check_gateway_key(gateway_key)
        _access.authenticate(self, auth)
        now = self.clock.now()
        funding, hold_id = self._funding(card, amount, now)
        signed = dual_sign(
            self._signing_key,
            gateway_key,
            merchant=merchant,
            reference=reference,
            wallet_id=self.wallet_id,
            payer=self.owner,
            amount=amount,
            funding=funding,
            hold_id=hold_id,
            issued_at=now,
        )
        if hold_id is not None:
            self._books.authorize(amount, reference)  # cannot fail: checked above
        return signed
