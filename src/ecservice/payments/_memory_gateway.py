"""An in-memory payment gateway: for tests, examples and simulations.

It keeps an account per instrument reference, the authorisations it holds, what it captured for
the merchant and what it refunded, so a test can check that no money is created or lost:
``total_balance() + total_held() + merchant_balance() == total_funded()`` per currency.
"""

from __future__ import annotations

import itertools
from typing import final

import attrs

from ecservice.errors import InvalidAmount, ValidationError
from ecservice.money import Currency, Money
from ecservice.payments._gateway import GatewayResponse, Instrument

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


@final
class InMemoryGateway:
    """A gateway that keeps its accounts in memory.

    >>> from ecservice.payments import Instrument, InstrumentKind
    >>> gw = InMemoryGateway()
    >>> card = Instrument(InstrumentKind.CARD, "tok_visa_4242")
    >>> gw.fund(card, Money("100.00", "CNY"))
    >>> auth = gw.authorize(card, Money("30.00", "CNY"), reference="P-1")
    >>> auth.approved, str(gw.balance(card, "CNY")), str(gw.held("CNY"))
    (True, '70.00 CNY', '30.00 CNY')
    >>> gw.capture(auth.reference, Money("30.00", "CNY")).approved
    True
    >>> str(gw.merchant_balance("CNY"))
    '30.00 CNY'
    """

    def __init__(self, name: str = "memory") -> None:
        self.name = name
        self._accounts: dict[tuple[str, Currency], Money] = {}
        self._funded: dict[Currency, Money] = {}
        self._auths: dict[str, _Authorization] = {}
        self._captures: dict[str, _Capture] = {}
        self._merchant: dict[Currency, Money] = {}
        self._ids = itertools.count(1)
        self._declines: dict[str, str] = {}
        self.calls: list[tuple[str, str]] = []

    # --- setting up ----------------------------------------------------------------------------

    def fund(self, instrument: Instrument, amount: Money) -> None:
        """Put ``amount`` on the account of ``instrument`` (a top-up from outside)."""
        if amount.is_negative():
            raise InvalidAmount(f"cannot fund a negative amount: {amount}")
        key = (instrument.reference, amount.currency)
        self._accounts[key] = self._accounts.get(key, Money.zero(amount.currency)) + amount
        self._funded[amount.currency] = (
            self._funded.get(amount.currency, Money.zero(amount.currency)) + amount
        )

    def decline(self, instrument: Instrument, reason: str = "declined by issuer") -> None:
        """Make every later authorisation on ``instrument`` decline with ``reason``."""
        self._declines[instrument.reference] = reason

    # --- views ---------------------------------------------------------------------------------

    def balance(self, instrument: Instrument, currency: str | Currency) -> Money:
        """What the instrument's account holds, not counting authorisations."""
        cur = Money.zero(currency).currency
        return self._accounts.get((instrument.reference, cur), Money.zero(cur))

    def held(self, currency: str | Currency) -> Money:
        """Value held by open authorisations."""
        zero = Money.zero(currency)
        total = zero
        for auth in self._auths.values():
            if not auth.settled and auth.amount.currency == zero.currency:
                total = total + auth.amount
        return total

    def merchant_balance(self, currency: str | Currency) -> Money:
        """What was captured for the merchant minus what was refunded."""
        zero = Money.zero(currency)
        return self._merchant.get(zero.currency, zero)

    def total_balance(self, currency: str | Currency) -> Money:
        """All instrument accounts together."""
        zero = Money.zero(currency)
        total = zero
        for (_, cur), amount in self._accounts.items():
            if cur == zero.currency:
                total = total + amount
        return total

    def total_funded(self, currency: str | Currency) -> Money:
        """Everything ever put in with :meth:`fund`."""
        zero = Money.zero(currency)
        return self._funded.get(zero.currency, zero)

    # --- PaymentGateway ------------------------------------------------------------------------

    def authorize(
        self, instrument: Instrument, amount: Money, *, reference: str
    ) -> GatewayResponse:
        """Hold ``amount`` on the instrument's account, or decline."""
        self.calls.append(("authorize", reference))
        if amount.is_negative() or amount.is_zero():
            raise InvalidAmount(f"an authorisation must be positive, not {amount}")
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
        return GatewayResponse(approved=True, reference=auth_id)

    def _open(self, authorization: str) -> _Authorization:
        auth = self._auths.get(authorization)
        if auth is None:
            raise ValidationError(f"unknown authorisation {authorization!r}")
        if auth.settled:
            raise ValidationError(f"authorisation {authorization!r} is already settled")
        return auth

    def capture(self, authorization: str, amount: Money) -> GatewayResponse:
        """Take ``amount`` of the authorisation for the merchant; release the rest."""
        self.calls.append(("capture", authorization))
        auth = self._open(authorization)
        if amount.currency != auth.amount.currency or amount > auth.amount or amount.is_zero():
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
        return GatewayResponse(approved=True, reference=capture_id)

    def void(self, authorization: str) -> GatewayResponse:
        """Release the whole authorisation."""
        self.calls.append(("void", authorization))
        auth = self._open(authorization)
        auth.settled = True
        key = (auth.instrument, auth.amount.currency)
        self._accounts[key] = self._accounts[key] + auth.amount
        return GatewayResponse(approved=True, reference=authorization)

    def refund(self, capture: str, amount: Money) -> GatewayResponse:
        """Give ``amount`` of a capture back to the account that paid it."""
        self.calls.append(("refund", capture))
        cap = self._captures.get(capture)
        if cap is None:
            raise ValidationError(f"unknown capture {capture!r}")
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
        return GatewayResponse(approved=True, reference=f"{self.name}-ref-{next(self._ids)}")
