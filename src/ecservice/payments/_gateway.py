"""The seam between payments and whatever moves the money: instruments and gateways."""

from __future__ import annotations

import enum
from typing import Protocol, final, runtime_checkable

import attrs

from ecservice.errors import ValidationError
from ecservice.money import Money
from ecservice.payments._wallet_cards import looks_like_card_number

__all__ = ["GatewayResponse", "Instrument", "InstrumentKind", "PaymentGateway"]


class InstrumentKind(enum.Enum):
    """What pays: the electronic payment tools the source practice names."""

    CARD = "card"  # a bank card, through a provider's token
    ECASH = "ecash"  # e-cash coins of a mint
    PURSE = "purse"  # a stored-value purse (Mondex-style)
    WALLET = "wallet"  # stored value held in an e-wallet


def _check_reference(_: object, __: object, value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"an instrument needs a non-empty reference, got {value!r}")
    if looks_like_card_number(value):
        raise ValidationError("an instrument reference must be a token, never a full card number")


@final
@attrs.frozen(slots=True)
class Instrument:
    """The means of payment: its kind and the gateway's reference for it (a card token, a
    wallet id, a purse id). Never a full card number."""

    kind: InstrumentKind
    reference: str = attrs.field(validator=_check_reference)

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.reference}"


@final
@attrs.frozen(slots=True, kw_only=True)
class GatewayResponse:
    """What a gateway answered: approved or not, its reference for the operation, and why."""

    approved: bool
    reference: str = ""
    message: str = ""


@runtime_checkable
class PaymentGateway(Protocol):
    """Moves money for payments. Implementations: :class:`InMemoryGateway` (tests, examples), the
    e-cash, purse and e-wallet gateways, or an adapter to a real provider.

    **Idempotency.** Every method takes the caller's ``idempotency_key``. A gateway keeps the
    outcome of each key: a call with a key it has seen, for the same request, returns the first
    outcome without moving money again; the same key for a different request raises
    :class:`~ecservice.errors.IdempotencyConflict`. This is what makes a retry after a lost answer
    safe: the provider acted, the reply timed out, the caller calls again with the same key and
    gets the first outcome. An adapter to a real provider passes the key as the provider's own
    request number (Alipay ``out_request_no``, WeChat Pay ``out_refund_no`` / ``out_trade_no``,
    Stripe's ``Idempotency-Key`` header) and, when it cannot tell whether the provider acted
    (timeout, connection reset), raises :class:`~ecservice.errors.GatewayUnavailable` so that
    the caller retries with the same key (or queries the provider's outcome for that number).

    **Answers.** A response with ``approved=False`` must mean that no money moved. Unknown
    authorisation or capture references are programming errors and raise
    :class:`~ecservice.errors.ValidationError`.
    """

    def authorize(
        self, instrument: Instrument, amount: Money, *, reference: str, idempotency_key: str
    ) -> GatewayResponse:
        """Reserve ``amount`` on ``instrument`` for the payment ``reference``."""

    def capture(
        self, authorization: str, amount: Money, *, idempotency_key: str
    ) -> GatewayResponse:
        """Take ``amount`` (at most what was authorised) of an authorisation; release the rest."""

    def void(self, authorization: str, *, idempotency_key: str) -> GatewayResponse:
        """Release an authorisation that will not be captured."""

    def refund(self, capture: str, amount: Money, *, idempotency_key: str) -> GatewayResponse:
        """Give back ``amount`` of a capture to the instrument that paid."""
