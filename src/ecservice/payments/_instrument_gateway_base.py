"""The book-keeping every instrument gateway shares: authorisations, captures, refunds.

Private to :mod:`ecservice.payments`. :class:`InstrumentGatewayBase` implements the
:class:`~ecservice.payments.PaymentGateway` protocol once, with the checks and records all
instruments need (amounts, currencies, capture at most the authorisation, refunds at most the
capture, safe replays of a capture or void), and leaves the moving of money to four hooks that
each instrument gateway implements. A hook that cannot move the money raises :class:`Declined`
*before* anything changed; the gateway then answers ``approved=False``.
"""

from __future__ import annotations

import abc
import enum
import itertools
import threading
from typing import ClassVar, Generic, TypeVar

import attrs

from ecservice.errors import InvalidAmount, ValidationError
from ecservice.money import Currency, Money, currency, sum_money
from ecservice.payments._gateway import GatewayResponse, Instrument, InstrumentKind

__all__ = ["Authorization", "AuthorizationState", "Capture", "Declined", "InstrumentGatewayBase"]

H = TypeVar("H")


class Declined(Exception):
    """Raised by a hook: the instrument refused; nothing changed. The message says why."""


class AuthorizationState(enum.Enum):
    """Where an authorisation is."""

    OPEN = "open"
    CAPTURED = "captured"
    VOIDED = "voided"


@attrs.define(eq=False)
class Authorization(Generic[H]):
    """One authorisation of a gateway, with the instrument-specific ``hold`` behind it."""

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
    """One capture: how much was taken for the merchant and how much of it was refunded."""

    id: str
    authorization: Authorization[H]
    amount: Money
    refunded: Money
    refunds: list[tuple[str, Money]] = attrs.field(factory=list)

    @property
    def refundable(self) -> Money:
        """Captured minus refunded."""
        return self.amount - self.refunded


class InstrumentGatewayBase(abc.ABC, Generic[H]):
    """A :class:`~ecservice.payments.PaymentGateway` over one kind of payment instrument.

    Subclasses set :attr:`kind` and implement the hooks :meth:`_open_hold`,
    :meth:`_capture_hold`, :meth:`_release_hold` and :meth:`_give_back`. This class keeps the
    records, checks amounts, and makes a repeated capture (same amount) or void of the same
    authorisation a harmless replay that moves nothing.

    Operations on unknown authorisation or capture references raise
    :class:`~ecservice.errors.ValidationError` (a programming error, as with
    :class:`~ecservice.payments.InMemoryGateway`); business refusals answer ``approved=False``.

    Args:
        name: Prefix of the references the gateway hands out.
    """

    #: The instrument kind the gateway takes; others are declined.
    kind: ClassVar[InstrumentKind]

    def __init__(self, name: str) -> None:
        if not isinstance(name, str) or not name.strip():
            raise ValidationError(f"a gateway name must be a non-blank string, not {name!r}")
        self.name = name
        self._auths: dict[str, Authorization[H]] = {}
        self._captures: dict[str, Capture[H]] = {}
        self._ids = itertools.count(1)
        self._lock = threading.RLock()
        #: Every call, as ``(operation, reference)``: to check that retries do not call again.
        self.calls: list[tuple[str, str]] = []

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
        return self._auth(authorization).state

    def captured_amount(self, capture: str) -> Money:
        """What the capture ``capture`` took.

        Raises:
            ValidationError: no such capture.
        """
        return self._capture(capture).amount

    def refunded_amount(self, capture: str) -> Money:
        """What was refunded of the capture ``capture`` so far.

        Raises:
            ValidationError: no such capture.
        """
        return self._capture(capture).refunded

    # --- PaymentGateway ------------------------------------------------------------------------

    def _next(self, what: str) -> str:
        return f"{self.name}-{what}-{next(self._ids)}"

    def authorize(
        self, instrument: Instrument, amount: Money, *, reference: str
    ) -> GatewayResponse:
        """Reserve ``amount`` on ``instrument`` for the payment ``reference``, or decline.

        Raises:
            InvalidAmount: ``amount`` is not a positive :class:`~ecservice.money.Money`.
        """
        with self._lock:
            self.calls.append(("authorize", reference))
            if not isinstance(amount, Money) or amount.is_negative() or amount.is_zero():
                raise InvalidAmount(f"an authorisation must be positive, not {amount}")
            if instrument.kind is not self.kind:
                return GatewayResponse(
                    approved=False,
                    message=f"{type(self).__name__} takes {self.kind.value} instruments, "
                    f"not {instrument.kind.value}",
                )
            auth_id = self._next("auth")
            try:
                hold = self._open_hold(instrument.reference, amount, reference, auth_id)
            except Declined as refused:
                return GatewayResponse(approved=False, message=str(refused))
            self._auths[auth_id] = Authorization(
                auth_id, reference, instrument.reference, amount, hold
            )
            return GatewayResponse(approved=True, reference=auth_id)

    def _auth(self, authorization: str) -> Authorization[H]:
        auth = self._auths.get(authorization)
        if auth is None:
            raise ValidationError(f"{self.name} has no authorisation {authorization!r}")
        return auth

    def _capture(self, capture: str) -> Capture[H]:
        cap = self._captures.get(capture)
        if cap is None:
            raise ValidationError(f"{self.name} has no capture {capture!r}")
        return cap

    def capture(self, authorization: str, amount: Money) -> GatewayResponse:
        """Take ``amount`` (at most what was authorised) for the merchant; release the rest.

        Capturing a captured authorisation again with the same amount answers the first
        capture's reference and moves nothing.

        Raises:
            ValidationError: no such authorisation.
        """
        with self._lock:
            self.calls.append(("capture", authorization))
            auth = self._auth(authorization)
            if auth.capture is not None and auth.capture.amount == amount:
                return GatewayResponse(
                    approved=True, reference=auth.capture.id, message="already captured"
                )
            if not auth.is_open:
                return GatewayResponse(
                    approved=False,
                    message=f"authorisation {authorization} is already {auth.state.value}",
                )
            if (
                not isinstance(amount, Money)
                or amount.currency != auth.amount.currency
                or amount.is_negative()
                or amount.is_zero()
                or amount > auth.amount
            ):
                return GatewayResponse(
                    approved=False,
                    message=f"capture {amount} does not fit authorisation {auth.amount}",
                )
            capture_id = self._next("cap")
            try:
                self._capture_hold(auth, amount, capture_id)
            except Declined as refused:
                return GatewayResponse(approved=False, message=str(refused))
            cap = Capture(capture_id, auth, amount, Money.zero(amount.currency))
            auth.state = AuthorizationState.CAPTURED
            auth.capture = cap
            self._captures[capture_id] = cap
            return GatewayResponse(approved=True, reference=capture_id)

    def void(self, authorization: str) -> GatewayResponse:
        """Release the whole authorisation; voiding it again answers approved and moves nothing.

        Raises:
            ValidationError: no such authorisation.
        """
        with self._lock:
            self.calls.append(("void", authorization))
            auth = self._auth(authorization)
            if auth.state is AuthorizationState.VOIDED:
                return GatewayResponse(
                    approved=True, reference=authorization, message="already voided"
                )
            if not auth.is_open:
                return GatewayResponse(
                    approved=False,
                    message=f"authorisation {authorization} is already {auth.state.value}",
                )
            try:
                self._release_hold(auth)
            except Declined as refused:
                return GatewayResponse(approved=False, message=str(refused))
            auth.state = AuthorizationState.VOIDED
            return GatewayResponse(approved=True, reference=authorization)

    def refund(self, capture: str, amount: Money) -> GatewayResponse:
        """Give ``amount`` of a capture back to the instrument that paid; never more than is left.

        Raises:
            ValidationError: no such capture.
        """
        with self._lock:
            self.calls.append(("refund", capture))
            cap = self._capture(capture)
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
            refund_id = self._next("ref")
            try:
                self._give_back(cap, amount, refund_id)
            except Declined as refused:
                return GatewayResponse(approved=False, message=str(refused))
            cap.refunded = cap.refunded + amount
            cap.refunds.append((refund_id, amount))
            return GatewayResponse(approved=True, reference=refund_id)
