"""The seam between payments and whatever moves the money: instruments and gateways."""

from __future__ import annotations

import enum
from typing import Any, Protocol, final, runtime_checkable

import attrs

from ecservice._shown import shown
from ecservice.errors import ValidationError
from ecservice.money import Money
from ecservice.payments._card_numbers import looks_like_card_number
from ecservice.text import check_text

__all__ = ["GatewayResponse", "Instrument", "InstrumentKind", "OutcomeLookup", "PaymentGateway"]


class InstrumentKind(enum.Enum):
    """What pays: the electronic payment tools the source practice names (bank cards, e-cash,
    stored-value purses, e-wallets and electronic bills, 电子票据)."""

    CARD = "card"  # a bank card, through a provider's token
    ECASH = "ecash"  # e-cash coins of a mint
    PURSE = "purse"  # a stored-value purse (Mondex-style)
    WALLET = "wallet"  # stored value held in an e-wallet
    DRAFT = "draft"  # an electronic commercial draft (电子商业汇票) endorsed to the shop


def _check_reference(_: object, __: object, value: str) -> None:
    check_text(value, "an instrument reference")
    if value != value.strip():
        raise ValidationError("an instrument reference must not start or end with white space")
    if looks_like_card_number(value):
        raise ValidationError("an instrument reference must be a token, never a full card number")


def _check_kind(_: object, __: object, value: Any) -> None:
    if not isinstance(value, InstrumentKind):
        kinds = ", ".join(k.name for k in InstrumentKind)
        raise ValidationError(
            f"an instrument's kind must be an InstrumentKind ({kinds}), not {shown(value)}"
        )


@final
@attrs.frozen(slots=True)
class Instrument:
    """The means of payment: its kind and the gateway's reference for it (a card token, a
    wallet id, a purse id). Never a full card number.

    Args:
        kind: what pays (``CARD``, ``ECASH``, ``PURSE``, ``WALLET`` or ``DRAFT``: a bank card,
            e-cash, a stored-value purse, an e-wallet or an electronic commercial draft).
        reference: the gateway's reference for the instrument (short text without surrounding
            white space). Text holding a run of 13 to 19 digits that passes the Luhn check
            (ISO/IEC 7812-1) is refused as a full card number: only the provider's token is
            kept, so no card number reaches storage (PCI DSS requirement 3, stored account
            data).
    """

    kind: InstrumentKind = attrs.field(validator=_check_kind)
    reference: str = attrs.field(validator=_check_reference)

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.reference}"


def _check_approved(_: object, __: object, value: Any) -> None:
    if not isinstance(value, bool):
        raise ValidationError(f"a gateway answer's approved must be a bool, not {shown(value)}")


def _check_str(_: object, attribute: attrs.Attribute[str], value: Any) -> None:
    if not isinstance(value, str):
        raise ValidationError(
            f"a gateway answer's {attribute.name} must be a str, not {shown(value)}"
        )


def _check_amount(_: object, __: object, value: Any) -> None:
    if value is not None and not isinstance(value, Money):
        raise ValidationError(
            f"a gateway answer's amount must be Money or None, not {shown(value)}"
        )


@final
@attrs.frozen(slots=True, kw_only=True)
class GatewayResponse:
    """What a gateway answered: approved or not, its reference for the operation, and why.

    Args:
        approved: ``True`` when the operation was done; ``False`` means no money moved.
        reference: the gateway's reference for the authorisation, capture or refund (empty
            for a decline).
        message: why it was declined, or a note (empty by default).
        amount: the amount the operation authorised, captured, released or refunded, when the
            gateway says (``None`` otherwise). After a lost answer it tells the caller what the
            first attempt moved (see :class:`OutcomeLookup`).
    """

    approved: bool = attrs.field(validator=_check_approved)
    reference: str = attrs.field(default="", validator=_check_str)
    message: str = attrs.field(default="", validator=_check_str)
    amount: Money | None = attrs.field(default=None, validator=_check_amount)


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

    A decline moved no money and is not stored as an outcome: the same key asks again (the buyer
    may have topped up), and may then carry another request. Reconciliation relies on this: a
    copy of a payment that had not seen a manual refund may have a refund declined under the key
    that the up-to-date copy then uses for the right amount. An adapter to a provider that keeps
    declined request numbers (some do) maps the key to a fresh provider request number after a
    decline (for example the key plus the number of declines seen for it).

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


@runtime_checkable
class OutcomeLookup(Protocol):
    """A gateway that can say what it did under an idempotency key (providers' "query" calls:
    Alipay ``alipay.trade.fastpay.refund.query`` by ``out_request_no``, WeChat Pay's refund query by
    ``out_refund_no``, Stripe's list of a payment's refunds).

    :class:`~ecservice.payments.OrderPayments` asks before each call it makes, so that after a lost
    answer it records what the gateway did even when the amount it would ask for now differs
    (lines were cancelled in between). Every gateway the library ships implements it.
    """

    def outcome(self, idempotency_key: str) -> GatewayResponse | None:
        """The approved answer given for ``idempotency_key`` (with its ``amount``), or ``None``
        if nothing moved under that key."""


def approved_answer(answer: GatewayResponse) -> bool:
    """Whether a gateway keeps ``answer`` for its idempotency key: only an approval moved money
    (a decline is not stored, so asking again is safe)."""
    return answer.approved
