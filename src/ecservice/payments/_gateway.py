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

    Every method is called at most once per idempotent request of a
    :class:`~ecservice.payments.Payment`; a response with ``approved=False`` must mean that no
    money moved.
    """

    def authorize(
        self, instrument: Instrument, amount: Money, *, reference: str
    ) -> GatewayResponse:
        """Reserve ``amount`` on ``instrument`` for the payment ``reference``."""

    def capture(self, authorization: str, amount: Money) -> GatewayResponse:
        """Take ``amount`` (at most what was authorised) of an authorisation; release the rest."""

    def void(self, authorization: str) -> GatewayResponse:
        """Release an authorisation that will not be captured."""

    def refund(self, capture: str, amount: Money) -> GatewayResponse:
        """Give back ``amount`` of a capture to the instrument that paid."""
