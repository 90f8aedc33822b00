"""The book-keeping every instrument gateway shares: idempotency, authorisations, captures, refunds.

Private to :mod:`ecservice.payments`. :class:`InstrumentGatewayBase` implements the
:class:`~ecservice.payments.PaymentGateway` protocol once, with what all instruments need: the
caller's idempotency keys, the checks and records (amounts, currencies, capture at most the
authorisation, refunds at most the capture, safe replays of a capture or void) kept in a
:class:`~ecservice.payments.gateways.GatewayBook`, and one lock, and leaves the moving of money
to four hooks that each instrument gateway implements. A hook that cannot move the money raises
:class:`Declined` *before* anything changed; the gateway then answers ``approved=False``.
"""

from __future__ import annotations

import abc
import enum
import threading
from collections.abc import Callable
from typing import ClassVar, Generic, TypeVar

import attrs

from ecservice._shown import shown
from ecservice.errors import InvalidAmount, ValidationError
from ecservice.money import Currency, Money, currency, sum_money
from ecservice.payments._gateway import GatewayResponse, Instrument, InstrumentKind, approved_answer
from ecservice.payments.gateways._book import GatewayBook, MemoryBook, conflict
from ecservice.text import check_key, check_text

__all__ = ["Authorization", "AuthorizationState", "Capture", "Declined", "InstrumentGatewayBase"]

H = TypeVar("H")


class Declined(Exception):
    """Raised by a hook: the instrument refused; nothing changed. The message says why."""


def _check_money(amount: object, what: str) -> None:
    if not isinstance(amount, Money):
        raise InvalidAmount(f"{what} must be a Money, not {type(amount).__name__}")


def _money(amount: object) -> str:
    """How a fingerprint spells an amount: ``"12.30 CNY"``, or the ``repr`` of a non-Money."""
    if isinstance(amount, Money):
        return f"{amount.amount} {amount.currency.code}"
    return shown(amount)


class AuthorizationState(enum.Enum):
    """Where an authorisation is."""

    OPEN = "open"
    CAPTURED = "captured"
    VOIDED = "voided"


@attrs.define(eq=False)
class Authorization(Generic[H]):
    """One authorisation of a gateway, with the instrument-specific ``hold`` behind it.

    The gateway makes and changes these; a :class:`~ecservice.payments.gateways.GatewayBook`
    keeps them.

    Args:
        id: the gateway's reference for the authorisation.
        payment: the payment reference the caller gave.
        instrument: the instrument's reference (for the e-wallet gateway, the buyer's
            wallet id).
        amount: what was authorised (positive).
        hold: what the instrument reserved, as the gateway understands it (written by the
            gateway's :class:`~ecservice.payments.gateways.HoldCodec` when stored).
        state: open, captured or voided.
        capture: the capture, once captured.
    """

    id: str
    payment: str
    instrument: str
    amount: Money
    hold: H
    state: AuthorizationState = AuthorizationState.OPEN
    capture: Capture[H] | None = None

    @property
    def is_open(self) -> bool:
        """``True`` until captured or voided."""
        return self.state is AuthorizationState.OPEN


@attrs.define(eq=False)
class Capture(Generic[H]):
    """One capture: how much was taken for the merchant and how much of it was refunded.

    Args:
        id: the gateway's reference for the capture.
        authorization: the authorisation captured.
        amount: what was taken (at most the authorisation's amount).
        refunded: what was given back so far (the sum of ``refunds``).
        refunds: each refund's reference and amount, in order.
    """

    id: str
    authorization: Authorization[H]
    amount: Money
    refunded: Money
    refunds: tuple[tuple[str, Money], ...] = ()

    @property
    def refundable(self) -> Money:
        """Captured minus refunded."""
        return self.amount - self.refunded


class InstrumentGatewayBase(abc.ABC, Generic[H]):
    """A :class:`~ecservice.payments.PaymentGateway` over one kind of payment instrument.

    It implements :class:`~ecservice.payments.PaymentGateway` and
    :class:`~ecservice.payments.OutcomeLookup`; every approved answer carries the ``amount`` the
    operation authorised, captured, released or refunded.

    Subclasses set :attr:`kind` and implement the hooks :meth:`_open_hold`,
    :meth:`_capture_hold`, :meth:`_release_hold` and :meth:`_give_back`. This class keeps the
    records, checks amounts, and makes a repeated capture (same amount) or void of the same
    authorisation a harmless replay that moves nothing.

    **Idempotency keys.** Every money-moving call takes the caller's ``idempotency_key`` and is
    described by a fingerprint: the operation and its arguments (instrument, amount, payment
    reference; authorisation or capture reference). An *approved* answer is stored per key: the
    same key with the same request returns it again without moving money (after a lost answer,
    the retry learns what happened); the same key with another request raises
    :class:`~ecservice.errors.IdempotencyConflict`. A *decline* moved nothing and is not stored:
    the same request with the same key asks the instrument again (it may have been topped up),
    while another request with that key still conflicts. :meth:`outcome` tells what a key did.

    **Threads.** One re-entrant lock per gateway serialises every money-moving operation (and
    the views of this class), so the gateway may be shared by the threads of one process, and
    8 threads sending one key move money once; the instruments it moves (coin wallets,
    purses, e-wallets) must not be changed behind its back by other threads at the same time
    (e-wallets lock themselves). Across processes, one gateway object must own the instruments,
    or storage must enforce a single writer (see the security page): with a
    :class:`~ecservice.storage.StoredGatewayBook` and stored instruments saved on their
    versions, as :class:`~ecservice.application.WalletPaymentService` does for e-wallets and
    :class:`~ecservice.application.PursePaymentService` for purses.

    Operations on unknown authorisation or capture references raise
    :class:`~ecservice.errors.ValidationError` (a programming error, as with
    :class:`~ecservice.payments.InMemoryGateway`); business refusals answer ``approved=False``.

    **Books.** The answers per key, the authorisations and captures and the new references
    are kept in a :class:`~ecservice.payments.gateways.GatewayBook`: by default a
    :class:`~ecservice.payments.gateways.MemoryBook` in this process; a
    :class:`~ecservice.storage.StoredGatewayBook` keeps them in a unit of work, where a gateway
    built anew (another process, after a crash) finds what an earlier one did.

    Args:
        name: Prefix of the references the gateway hands out.
        book: Where the gateway keeps its books (default: a new ``MemoryBook(name)``).

    Raises:
        ValidationError: ``name`` is not acceptable text, or ``book`` is not a book.
    """

    #: The instrument kind the gateway takes; others are declined.
    kind: ClassVar[InstrumentKind]

    def __init__(self, name: str, *, book: GatewayBook[H] | None = None) -> None:
        self.name = check_text(name, "a gateway name", limit=40)
        if book is not None and (
            isinstance(book, type)  # the class, not a book
            or not all(
                callable(getattr(book, m, None))
                for m in ("authorization", "capture", "put", "answer", "keep", "reference")
            )
        ):
            raise ValidationError(
                f"book must be a GatewayBook (MemoryBook, StoredGatewayBook), not {shown(book)}"
            )
        self._book: GatewayBook[H] = MemoryBook(self.name) if book is None else book
        self._lock = threading.RLock()
        #: Every call, as ``(operation, reference)``: to check that retries do not call again.
        self.calls: list[tuple[str, str]] = []

    @property
    def book(self) -> GatewayBook[H]:
        """Where the gateway keeps its answers, authorisations and captures."""
        return self._book

    @property
    def _auths(self) -> dict[str, Authorization[H]]:
        """The authorisations the book holds in memory, by reference."""
        return self._book.authorizations

    @property
    def _captures(self) -> dict[str, Capture[H]]:
        """The captures the book holds in memory, by reference."""
        return self._book.captures

    # --- hooks ---------------------------------------------------------------------------------

    @abc.abstractmethod
    def _open_hold(self, instrument: str, amount: Money, payment: str, auth_id: str) -> H:
        """Reserve ``amount`` on the instrument; return what :meth:`_capture_hold` will need.

        Raises:
            Declined: the instrument cannot pay; nothing changed.
        """

    @abc.abstractmethod
    def _capture_hold(self, auth: Authorization[H], amount: Money, capture_id: str) -> None:
        """Move ``amount`` (at most the authorisation) to the merchant; release the rest.

        Raises:
            Declined: the money cannot move; nothing changed.
        """

    @abc.abstractmethod
    def _release_hold(self, auth: Authorization[H]) -> None:
        """Release the whole reservation.

        Raises:
            Declined: the reservation cannot be released; nothing changed.
        """

    @abc.abstractmethod
    def _give_back(self, capture: Capture[H], amount: Money, refund_id: str) -> None:
        """Move ``amount`` (at most what is left of the capture) back to the instrument.

        Raises:
            Declined: the money cannot move back; nothing changed.
        """

    # --- views ---------------------------------------------------------------------------------

    def held(self, currency_: str | Currency) -> Money:
        """Value reserved by open authorisations (it is still part of the buyers' balances)."""
        cur = currency(currency_)
        with self._lock:
            return sum_money(
                (a.amount for a in self._auths.values() if a.is_open and a.amount.currency == cur),
                cur,
            )

    def authorization_state(self, authorization: str) -> AuthorizationState:
        """Where the authorisation ``authorization`` is.

        Raises:
            ValidationError: no such authorisation.
        """
        with self._lock:
            return self._auth(authorization).state

    def captured_amount(self, capture: str) -> Money:
        """What the capture ``capture`` took.

        Raises:
            ValidationError: no such capture.
        """
        with self._lock:
            return self._capture(capture).amount

    def refunded_amount(self, capture: str) -> Money:
        """What was refunded of the capture ``capture`` so far.

        Raises:
            ValidationError: no such capture.
        """
        with self._lock:
            return self._capture(capture).refunded

    # --- PaymentGateway ------------------------------------------------------------------------

    def _next(self, what: str, *, of: str | None = None) -> str:
        return self._book.reference(what, of=of)

    def _authorization_id(self, instrument: str) -> str:
        """The reference of a new authorisation on ``instrument``; a gateway whose books can
        be rebuilt from the instruments' own state derives it from that state."""
        return self._next("auth")

    def _capture_id(self, auth: Authorization[H]) -> str:
        """The reference of the capture of ``auth``."""
        return self._next("cap", of=auth.id)

    def _rebuilt(self, reference: str) -> None:
        """Rebuild the records behind ``reference`` from the instruments' state, when this
        gateway's books do not hold them (a gateway built anew over stored instruments). The
        default keeps books in memory only and rebuilds nothing."""

    def _once(
        self, key: str, fingerprint: str, perform: Callable[[], GatewayResponse]
    ) -> GatewayResponse:
        """``perform()`` at most once per key: an approved answer is stored for the key; a
        decline is not (nothing moved, so asking the instrument again is safe) and leaves the key
        free. The caller holds the lock."""
        check_key(key)
        found = self._book.answer(key)
        if found is not None:
            seen, answer = found
            if seen != fingerprint:
                raise conflict(self.name, key, seen, fingerprint)
            return answer
        answer = perform()
        if approved_answer(answer):
            self._book.keep(key, fingerprint, answer)
        return answer

    def outcome(self, idempotency_key: str) -> GatewayResponse | None:
        """The approved answer stored for ``idempotency_key`` (its ``amount`` says what was
        authorised, captured, released or refunded), or ``None`` if nothing moved with it.

        This is what a caller that lost an answer may query instead of retrying
        (:class:`~ecservice.payments.OutcomeLookup`).

        Raises:
            ValidationError: ``idempotency_key`` is not acceptable text.
            DocumentError: a stored book found the stored answer malformed.
        """
        check_key(idempotency_key)
        with self._lock:
            found = self._book.answer(idempotency_key)
        return None if found is None else found[1]

    def authorize(
        self, instrument: Instrument, amount: Money, *, reference: str, idempotency_key: str
    ) -> GatewayResponse:
        """Reserve ``amount`` on ``instrument`` for the payment ``reference``, or decline.

        Raises:
            InvalidAmount: ``amount`` is not a positive :class:`~ecservice.money.Money`.
            ValidationError: ``instrument`` is not an :class:`~ecservice.payments.Instrument`,
                or ``reference`` or ``idempotency_key`` is not acceptable text
                (:func:`ecservice.text.check_text`).
            IdempotencyConflict: ``idempotency_key`` was used for another request.
        """
        if not isinstance(instrument, Instrument):
            raise ValidationError(
                f"an authorisation needs an Instrument, not {type(instrument).__name__}"
            )
        if not isinstance(amount, Money) or amount.is_negative() or amount.is_zero():
            raise InvalidAmount(f"an authorisation must be a positive Money, not {shown(amount)}")
        check_text(reference, "a payment reference")
        fingerprint = f"authorize {instrument} {_money(amount)} for {reference}"
        with self._lock:
            self.calls.append(("authorize", reference))
            return self._once(
                idempotency_key, fingerprint, lambda: self._authorize(instrument, amount, reference)
            )

    def _authorize(self, instrument: Instrument, amount: Money, reference: str) -> GatewayResponse:
        if instrument.kind is not self.kind:
            return GatewayResponse(
                approved=False,
                message=f"{type(self).__name__} takes {self.kind.value} instruments, "
                f"not {instrument.kind.value}",
            )
        auth_id = self._authorization_id(instrument.reference)
        try:
            hold = self._open_hold(instrument.reference, amount, reference, auth_id)
        except Declined as refused:
            return GatewayResponse(approved=False, message=str(refused))
        self._book.put(Authorization(auth_id, reference, instrument.reference, amount, hold))
        return GatewayResponse(approved=True, reference=auth_id, amount=amount)

    def _auth(self, authorization: str) -> Authorization[H]:
        auth = self._book.authorization(authorization) if isinstance(authorization, str) else None
        if auth is None and isinstance(authorization, str):
            self._rebuilt(authorization)
            auth = self._book.authorization(authorization)
        if auth is None:
            raise ValidationError(f"{self.name} has no authorisation {shown(authorization)}")
        return auth

    def _capture(self, capture: str) -> Capture[H]:
        cap = self._book.capture(capture) if isinstance(capture, str) else None
        if cap is None and isinstance(capture, str):
            self._rebuilt(capture)
            cap = self._book.capture(capture)
        if cap is None:
            raise ValidationError(f"{self.name} has no capture {shown(capture)}")
        return cap

    def capture(
        self, authorization: str, amount: Money, *, idempotency_key: str
    ) -> GatewayResponse:
        """Take ``amount`` (at most what was authorised) for the merchant; release the rest.

        Capturing a captured authorisation again with the same amount (under any key) answers
        the first capture's reference and moves nothing.

        Raises:
            InvalidAmount: ``amount`` is not a :class:`~ecservice.money.Money` (an amount that
                does not fit the authorisation is declined).
            ValidationError: no such authorisation, or the key is not acceptable text.
            IdempotencyConflict: ``idempotency_key`` was used for another request.
        """
        _check_money(amount, "a capture")
        with self._lock:
            self.calls.append(("capture", authorization))
            auth = self._auth(authorization)
            fingerprint = f"capture {_money(amount)} of {authorization}"
            return self._once(idempotency_key, fingerprint, lambda: self._take(auth, amount))

    def _take(self, auth: Authorization[H], amount: Money) -> GatewayResponse:
        if auth.capture is not None and auth.capture.amount == amount:
            return GatewayResponse(
                approved=True,
                reference=auth.capture.id,
                message="already captured",
                amount=auth.capture.amount,
            )
        if not auth.is_open:
            return GatewayResponse(
                approved=False, message=f"authorisation {auth.id} is already {auth.state.value}"
            )
        if (
            not isinstance(amount, Money)
            or amount.currency != auth.amount.currency
            or amount.is_negative()
            or amount.is_zero()
            or amount > auth.amount
        ):
            return GatewayResponse(
                approved=False, message=f"capture {amount} does not fit authorisation {auth.amount}"
            )
        capture_id = self._capture_id(auth)
        try:
            self._capture_hold(auth, amount, capture_id)
        except Declined as refused:
            return GatewayResponse(approved=False, message=str(refused))
        cap = Capture(capture_id, auth, amount, Money.zero(amount.currency))
        auth.state = AuthorizationState.CAPTURED
        auth.capture = cap
        self._book.put(auth)
        return GatewayResponse(approved=True, reference=capture_id, amount=amount)

    def void(self, authorization: str, *, idempotency_key: str) -> GatewayResponse:
        """Release the whole authorisation; voiding it again answers approved and moves nothing.

        Raises:
            ValidationError: no such authorisation, or the key is not acceptable text.
            IdempotencyConflict: ``idempotency_key`` was used for another request.
        """
        with self._lock:
            self.calls.append(("void", authorization))
            auth = self._auth(authorization)
            return self._once(idempotency_key, f"void {authorization}", lambda: self._drop(auth))

    def _drop(self, auth: Authorization[H]) -> GatewayResponse:
        if auth.state is AuthorizationState.VOIDED:
            return GatewayResponse(
                approved=True, reference=auth.id, message="already voided", amount=auth.amount
            )
        if not auth.is_open:
            return GatewayResponse(
                approved=False, message=f"authorisation {auth.id} is already {auth.state.value}"
            )
        try:
            self._release_hold(auth)
        except Declined as refused:
            return GatewayResponse(approved=False, message=str(refused))
        auth.state = AuthorizationState.VOIDED
        self._book.put(auth)
        return GatewayResponse(approved=True, reference=auth.id, amount=auth.amount)

    def refund(self, capture: str, amount: Money, *, idempotency_key: str) -> GatewayResponse:
        """Give ``amount`` of a capture back to the instrument that paid; never more than is left.

        Raises:
            InvalidAmount: ``amount`` is not a :class:`~ecservice.money.Money` (an amount that
                does not fit the capture is declined).
            ValidationError: no such capture, or the key is not acceptable text.
            IdempotencyConflict: ``idempotency_key`` was used for another request.
        """
        _check_money(amount, "a refund")
        with self._lock:
            self.calls.append(("refund", capture))
            cap = self._capture(capture)
            fingerprint = f"refund {_money(amount)} of {capture}"
            return self._once(idempotency_key, fingerprint, lambda: self._give(cap, amount))

    def _give(self, cap: Capture[H], amount: Money) -> GatewayResponse:
        if (
            not isinstance(amount, Money)
            or amount.currency != cap.amount.currency
            or amount.is_negative()
            or amount.is_zero()
        ):
            return GatewayResponse(
                approved=False, message=f"cannot refund {amount} of capture {cap.amount}"
            )
        if amount > cap.refundable:
            return GatewayResponse(
                approved=False,
                message=f"refund {amount} exceeds the {cap.refundable} left of capture "
                f"{cap.amount}",
            )
        refund_id = self._next("ref", of=f"{cap.id} {len(cap.refunds) + 1}")
        try:
            self._give_back(cap, amount, refund_id)
        except Declined as refused:
            return GatewayResponse(approved=False, message=str(refused))
        cap.refunded = cap.refunded + amount
        cap.refunds = (*cap.refunds, (refund_id, amount))
        self._book.put(cap.authorization)
        return GatewayResponse(approved=True, reference=refund_id, amount=amount)
