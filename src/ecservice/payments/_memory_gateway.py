"""An in-memory payment gateway: for tests, examples and simulations.

It keeps an account per instrument reference, the authorisations it holds, what it captured for
the merchant and what it refunded, so a test can check that no money is created or lost:
``total_balance() + total_held() + merchant_balance() == total_funded()`` per currency.
Like a real provider it keeps the outcome of every idempotency key, so a retry after a lost
answer never moves money twice.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from typing import final

import attrs

from ecservice._shown import shown
from ecservice.errors import ValidationError
from ecservice.money import Currency, Money, positive
from ecservice.payments._gateway import GatewayResponse, Instrument, approved_answer
from ecservice.payments._idempotency import IdempotencyLedger
from ecservice.text import check_text

__all__ = ["InMemoryGateway"]


@attrs.define(slots=True)
class _Authorization:
    reference: str
    instrument: str
    amount: Money
    settled: bool = False


@attrs.define(slots=True)
class _Capture:
    instrument: str
    amount: Money
    refunded: Money


def _instrument(value: object) -> Instrument:
    if not isinstance(value, Instrument):
        raise ValidationError(f"expected an Instrument, not {type(value).__name__}")
    return value


@final
class InMemoryGateway:
    """A gateway that keeps its accounts in memory; it implements
    :class:`~ecservice.payments.PaymentGateway` and :class:`~ecservice.payments.OutcomeLookup`.

    **Idempotency.** Each money-moving call is described by a fingerprint (the operation and its
    arguments). An approved answer is stored under the caller's key: the same key with the same
    request returns it again without moving money; the same key with another request raises
    :class:`~ecservice.errors.IdempotencyConflict`. A decline moves nothing and is not stored (the
    same request may be approved later, after a top-up), and the key stays free.

    **Threads.** One lock serialises every operation, view and top-up, so a gateway may be shared
    by the threads of one process.

    >>> from ecservice.payments import Instrument, InstrumentKind
    >>> gw = InMemoryGateway()
    >>> card = Instrument(InstrumentKind.CARD, "tok_visa_4242")
    >>> gw.fund(card, Money("100.00", "CNY"))
    >>> auth = gw.authorize(card, Money("30.00", "CNY"), reference="P-1", idempotency_key="k1")
    >>> auth.approved, str(gw.balance(card, "CNY")), str(gw.held("CNY"))
    (True, '70.00 CNY', '30.00 CNY')
    >>> gw.capture(auth.reference, Money("30.00", "CNY"), idempotency_key="k2").approved
    True
    >>> again = gw.capture(auth.reference, Money("30.00", "CNY"), idempotency_key="k2")
    >>> again.approved, str(gw.merchant_balance("CNY"))
    (True, '30.00 CNY')

    Args:
        name: prefix of the references the gateway hands out.
    """

    def __init__(self, name: str = "memory") -> None:
        self.name = check_text(name, "a gateway name")
        self._accounts: dict[tuple[str, Currency], Money] = {}
        self._funded: dict[Currency, Money] = {}
        self._auths: dict[str, _Authorization] = {}
        self._captures: dict[str, _Capture] = {}
        self._merchant: dict[Currency, Money] = {}
        self._ids = itertools.count(1)
        self._declines: dict[str, str] = {}
        self._lock = threading.RLock()
        self._ledger: IdempotencyLedger[GatewayResponse] = IdempotencyLedger(self.name)
        #: Every operation performed, as ``(operation, reference)`` (replays are not listed).
        self.calls: list[tuple[str, str]] = []

    # --- setting up ----------------------------------------------------------------------------

    def fund(self, instrument: Instrument, amount: Money) -> None:
        """Put ``amount`` on the account of ``instrument`` (a top-up from outside).

        Raises:
            InvalidAmount: ``amount`` is not a positive :class:`~ecservice.money.Money`.
            ValidationError: ``instrument`` is not an :class:`~ecservice.payments.Instrument`.
        """
        _instrument(instrument)
        positive(amount, "a top-up")
        with self._lock:
            key = (instrument.reference, amount.currency)
            self._accounts[key] = self._accounts.get(key, Money.zero(amount.currency)) + amount
            self._funded[amount.currency] = (
                self._funded.get(amount.currency, Money.zero(amount.currency)) + amount
            )

    def decline(self, instrument: Instrument, reason: str = "declined by issuer") -> None:
        """Make every later authorisation on ``instrument`` decline with ``reason``.

        Raises:
            ValidationError: not an instrument, or ``reason`` is not acceptable text.
        """
        _instrument(instrument)
        why = check_text(reason, "a decline reason")
        with self._lock:
            self._declines[instrument.reference] = why

    # --- views ---------------------------------------------------------------------------------

    def balance(self, instrument: Instrument, currency: str | Currency) -> Money:
        """What the instrument's account holds, not counting authorisations."""
        _instrument(instrument)
        cur = Money.zero(currency).currency
        with self._lock:
            return self._accounts.get((instrument.reference, cur), Money.zero(cur))

    def held(self, currency: str | Currency) -> Money:
        """Value held by open authorisations."""
        zero = Money.zero(currency)
        total = zero
        with self._lock:
            for auth in self._auths.values():
                if not auth.settled and auth.amount.currency == zero.currency:
                    total = total + auth.amount
        return total

    def merchant_balance(self, currency: str | Currency) -> Money:
        """What was captured for the merchant minus what was refunded."""
        zero = Money.zero(currency)
        with self._lock:
            return self._merchant.get(zero.currency, zero)

    def total_balance(self, currency: str | Currency) -> Money:
        """All instrument accounts together."""
        zero = Money.zero(currency)
        total = zero
        with self._lock:
            for (_, cur), amount in self._accounts.items():
                if cur == zero.currency:
                    total = total + amount
        return total

    def total_funded(self, currency: str | Currency) -> Money:
        """Everything ever put in with :meth:`fund`."""
        zero = Money.zero(currency)
        with self._lock:
            return self._funded.get(zero.currency, zero)

    def outcome(self, idempotency_key: str) -> GatewayResponse | None:
        """The approved answer stored for ``idempotency_key`` (its ``amount`` says what moved),
        or ``None`` if nothing moved under that key.

        Raises:
            ValidationError: ``idempotency_key`` is not acceptable text.
        """
        return self._ledger.stored(idempotency_key)

    # --- PaymentGateway ------------------------------------------------------------------------

    def _once(
        self, key: str, fingerprint: str, perform: Callable[[], GatewayResponse]
    ) -> GatewayResponse:
        """``perform()`` at most once per key: an approved answer is stored for the key; a
        decline is not (nothing moved, so asking the instrument again is safe) and leaves the key
        free. The caller holds the lock."""
        return self._ledger.run(key, fingerprint, perform, keep=approved_answer)

    def authorize(
        self, instrument: Instrument, amount: Money, *, reference: str, idempotency_key: str
    ) -> GatewayResponse:
        """Hold ``amount`` on the instrument's account, or decline.

        Raises:
            InvalidAmount: ``amount`` is not a positive :class:`~ecservice.money.Money`.
            ValidationError: not an instrument, or ``reference`` or the key is not acceptable.
            IdempotencyConflict: the key was used for another request.
        """
        _instrument(instrument)
        positive(amount, "an authorisation")
        ref = check_text(reference, "a payment reference")
        fingerprint = f"authorize {amount} on {instrument} for {ref}"
        with self._lock:
            return self._once(
                idempotency_key, fingerprint, lambda: self._authorize(instrument, amount, ref)
            )

    def _authorize(self, instrument: Instrument, amount: Money, reference: str) -> GatewayResponse:
        self.calls.append(("authorize", reference))
        reason = self._declines.get(instrument.reference)
        if reason is not None:
            return GatewayResponse(approved=False, message=reason)
        available = self.balance(instrument, amount.currency)
        if available < amount:
            return GatewayResponse(
                approved=False, message=f"insufficient funds: {available} available"
            )
        key = (instrument.reference, amount.currency)
        self._accounts[key] = available - amount
        auth_id = f"{self.name}-auth-{next(self._ids)}"
        self._auths[auth_id] = _Authorization(reference, instrument.reference, amount)
        return GatewayResponse(approved=True, reference=auth_id, amount=amount)

    def _auth(self, authorization: object) -> _Authorization:
        auth = self._auths.get(authorization) if isinstance(authorization, str) else None
        if auth is None:
            raise ValidationError(f"unknown authorisation {shown(authorization)}")
        return auth

    def capture(
        self, authorization: str, amount: Money, *, idempotency_key: str
    ) -> GatewayResponse:
        """Take ``amount`` of the authorisation for the merchant; release the rest.

        A settled authorisation, or an amount that does not fit it, is declined.

        Raises:
            InvalidAmount: ``amount`` is not a positive :class:`~ecservice.money.Money`.
            ValidationError: unknown authorisation, or the key is not acceptable text.
            IdempotencyConflict: the key was used for another request.
        """
        positive(amount, "a capture")
        with self._lock:
            auth = self._auth(authorization)
            fingerprint = f"capture {amount} of {authorization}"
            return self._once(
                idempotency_key, fingerprint, lambda: self._take(auth, authorization, amount)
            )

    def _take(self, auth: _Authorization, authorization: str, amount: Money) -> GatewayResponse:
        self.calls.append(("capture", authorization))
        if auth.settled:
            return GatewayResponse(approved=False, message="the authorisation is already settled")
        if amount.currency != auth.amount.currency or amount > auth.amount:
            return GatewayResponse(
                approved=False, message=f"capture {amount} does not fit authorisation {auth.amount}"
            )
        auth.settled = True
        key = (auth.instrument, amount.currency)
        self._accounts[key] = self._accounts[key] + (auth.amount - amount)
        cur = amount.currency
        self._merchant[cur] = self._merchant.get(cur, Money.zero(cur)) + amount
        capture_id = f"{self.name}-cap-{next(self._ids)}"
        self._captures[capture_id] = _Capture(auth.instrument, amount, Money.zero(cur))
        return GatewayResponse(approved=True, reference=capture_id, amount=amount)

    def void(self, authorization: str, *, idempotency_key: str) -> GatewayResponse:
        """Release the whole authorisation (declined when it is already settled).

        Raises:
            ValidationError: unknown authorisation, or the key is not acceptable text.
            IdempotencyConflict: the key was used for another request.
        """
        with self._lock:
            auth = self._auth(authorization)
            return self._once(
                idempotency_key, f"void {authorization}", lambda: self._release(auth, authorization)
            )

    def _release(self, auth: _Authorization, authorization: str) -> GatewayResponse:
        self.calls.append(("void", authorization))
        if auth.settled:
            return GatewayResponse(approved=False, message="the authorisation is already settled")
        auth.settled = True
        key = (auth.instrument, auth.amount.currency)
        self._accounts[key] = self._accounts[key] + auth.amount
        return GatewayResponse(approved=True, reference=authorization, amount=auth.amount)

    def refund(self, capture: str, amount: Money, *, idempotency_key: str) -> GatewayResponse:
        """Give ``amount`` of a capture back to the account that paid it; never more than is
        left of the capture (more is declined).

        Raises:
            InvalidAmount: ``amount`` is not a positive :class:`~ecservice.money.Money`.
            ValidationError: unknown capture, or the key is not acceptable text.
            IdempotencyConflict: the key was used for another request.
        """
        positive(amount, "a refund")
        with self._lock:
            cap = self._captures.get(capture) if isinstance(capture, str) else None
            if cap is None:
                raise ValidationError(f"unknown capture {shown(capture)}")
            fingerprint = f"refund {amount} of {capture}"
            return self._once(
                idempotency_key, fingerprint, lambda: self._give_back(cap, capture, amount)
            )

    def _give_back(self, cap: _Capture, capture: str, amount: Money) -> GatewayResponse:
        self.calls.append(("refund", capture))
        if amount.currency != cap.amount.currency or cap.refunded + amount > cap.amount:
            return GatewayResponse(
                approved=False,
                message=f"refund {amount} exceeds what is left of capture {cap.amount}",
            )
        cap.refunded = cap.refunded + amount
        cur = amount.currency
        self._merchant[cur] = self._merchant[cur] - amount
        key = (cap.instrument, cur)
        self._accounts[key] = self._accounts.get(key, Money.zero(cur)) + amount
        ref = f"{self.name}-ref-{next(self._ids)}"
        return GatewayResponse(approved=True, reference=ref, amount=amount)
