"""Payment details, the protocol messages between purses, and the outcome of handling one.

Messages are frozen values. :class:`StartFrom` and :class:`StartTo` come from the terminal (the
"world") that holds both purses; :class:`Req`, :class:`Val` and :class:`Ack` travel between the
purses over a channel that may lose, duplicate or reorder them. Messages are assumed authentic:
a real purse protects them cryptographically, and the in-memory
:class:`~ecservice.payments.mondex.Network` only ever re-delivers messages a purse really emitted.
"""

from __future__ import annotations

import enum
from typing import TypeAlias, TypeVar, final

import attrs

from ecservice._shown import shown
from ecservice.errors import InvalidAmount, ValidationError
from ecservice.money import Currency, Money, currency
from ecservice.payments.mondex._errors import SelfTransfer
from ecservice.text import SHORT_TEXT_MAX, check_text

_T = TypeVar("_T")

__all__ = [
    "Ack",
    "IgnoreReason",
    "Message",
    "Outcome",
    "PaymentDetails",
    "ProtocolMessage",
    "Req",
    "StartFrom",
    "StartTo",
    "Val",
]


def require(value: object, cls: type[_T], what: str) -> _T:
    """Return ``value`` if it is a ``cls``, else raise :class:`ValidationError` naming ``what``."""
    if not isinstance(value, cls):
        raise ValidationError(f"{what} must be a {cls.__name__}, not {type(value).__name__}")
    return value


def as_currency(code: object) -> Currency:
    """The currency of an ISO 4217 code (or a :class:`Currency`), refusing other types.

    Raises:
        ValidationError: not a string.
        UnknownCurrency: an unknown code.
    """
    if not isinstance(code, (str, Currency)):
        raise ValidationError(
            f"a currency must be an ISO 4217 code such as 'CNY', not {type(code).__name__}"
        )
    return currency(code)


def check_purse_id(value: object, what: str = "purse id") -> str:
    """Return ``value`` if it is a usable purse id, else raise :class:`ValidationError`.

    A purse id is a non-blank string of at most 200 characters, without surrounding whitespace,
    control or bidirectional-override characters (:func:`ecservice.text.check_text`).
    """
    checked = check_text(value, what, limit=SHORT_TEXT_MAX)
    if checked != value:
        raise ValidationError(f"{what} must not start or end with whitespace")
    return checked


def check_seq(value: object, what: str = "sequence number") -> int:
    """Return ``value`` if it is a valid sequence number (an int >= 0), else raise."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(f"{what} must be a whole number >= 0, not {shown(value)}")
    return value


def check_value(value: object, what: str = "transfer value") -> Money:
    """Return ``value`` if it is a strictly positive :class:`Money`, else raise."""
    if not isinstance(value, Money):
        raise InvalidAmount(
            f"{what} must be a Money such as Money('10.00', 'CNY'), not {type(value).__name__}"
        )
    if value.amount <= 0:
        raise InvalidAmount(f"{what} must be greater than zero, not {value}")
    return value


@final
@attrs.frozen(slots=True)
class PaymentDetails:
    """The identity of one purse-to-purse payment (``pdAuth`` in the Mondex papers).

    The pair of sequence numbers makes every payment unique: each purse hands out a fresh,
    strictly increasing number when it starts a transfer, so a message about an older payment can
    never match a newer one.

    Args:
        from_purse: the paying purse.
        to_purse: the receiving purse; must differ from ``from_purse``.
        value: the amount moved; strictly positive.
        from_seq: the paying purse's sequence number for this payment.
        to_seq: the receiving purse's sequence number for this payment.

    Raises:
        SelfTransfer: both purses are the same.
        InvalidAmount: the value is not a positive :class:`~ecservice.money.Money`.
        ValidationError: a purse id is blank or a sequence number is negative.
    """

    from_purse: str
    to_purse: str
    value: Money
    from_seq: int
    to_seq: int

    def __attrs_post_init__(self) -> None:
        check_purse_id(self.from_purse, "from purse id")
        check_purse_id(self.to_purse, "to purse id")
        if self.from_purse == self.to_purse:
            raise SelfTransfer(
                f"purse {self.from_purse!r} cannot pay itself: the payee must be another purse"
            )
        check_value(self.value)
        check_seq(self.from_seq, "from sequence number")
        check_seq(self.to_seq, "to sequence number")

    @property
    def sort_key(self) -> tuple[str, int, str, int]:
        """A key that orders payments by payer, payer sequence, payee, payee sequence."""
        return (self.from_purse, self.from_seq, self.to_purse, self.to_seq)

    def __str__(self) -> str:
        return f"{self.from_purse}#{self.from_seq} -> {self.to_purse}#{self.to_seq}: {self.value}"


@final
@attrs.frozen(slots=True)
class StartFrom:
    """Terminal to the paying purse: pay ``value`` to ``to_purse``.

    ``to_seq`` is the payee's next sequence number, read by the terminal before either purse
    starts; the payer copies it into the payment details.

    Args:
        to_purse: the id of the receiving purse (short text, no surrounding white space).
        value: the amount to pay, a positive :class:`~ecservice.money.Money`.
        to_seq: the payee's next sequence number (a whole number >= 0).
    """

    to_purse: str = attrs.field(validator=lambda _i, _a, v: check_purse_id(v, "to purse id"))
    value: Money = attrs.field(validator=lambda _i, _a, v: check_value(v))
    to_seq: int = attrs.field(validator=lambda _i, _a, v: check_seq(v, "to sequence number"))


@final
@attrs.frozen(slots=True)
class StartTo:
    """Terminal to the receiving purse: expect ``value`` from ``from_purse``.

    ``from_seq`` is the payer's next sequence number, read by the terminal before either purse
    starts; the payee copies it into the payment details.

    Args:
        from_purse: the id of the paying purse (short text, no surrounding white space).
        value: the amount to expect, a positive :class:`~ecservice.money.Money`.
        from_seq: the payer's next sequence number (a whole number >= 0).
    """

    from_purse: str = attrs.field(validator=lambda _i, _a, v: check_purse_id(v, "from purse id"))
    value: Money = attrs.field(validator=lambda _i, _a, v: check_value(v))
    from_seq: int = attrs.field(validator=lambda _i, _a, v: check_seq(v, "from sequence number"))


@final
@attrs.frozen(slots=True)
class Req:
    """Payee to payer: "please send the value of these payment details".

    Args:
        details: the payment asked for.
    """

    details: PaymentDetails

    @property
    def recipient(self) -> str:
        """The purse this message is for (the payer)."""
        return self.details.from_purse


@final
@attrs.frozen(slots=True)
class Val:
    """Payer to payee: the value itself (the payer has already debited it).

    Args:
        details: the payment whose value this carries.
    """

    details: PaymentDetails

    @property
    def recipient(self) -> str:
        """The purse this message is for (the payee)."""
        return self.details.to_purse


@final
@attrs.frozen(slots=True)
class Ack:
    """Payee to payer: the value has been credited.

    Args:
        details: the payment credited.
    """

    details: PaymentDetails

    @property
    def recipient(self) -> str:
        """The purse this message is for (the payer)."""
        return self.details.from_purse


#: A message between purses, carried by an unreliable channel.
ProtocolMessage: TypeAlias = Req | Val | Ack
#: Any message a purse accepts.
Message: TypeAlias = StartFrom | StartTo | Req | Val | Ack


class IgnoreReason(enum.Enum):
    """Why a purse ignored a protocol message (it changes nothing and emits nothing)."""

    #: the message is addressed to another purse.
    NOT_ADDRESSED = "not addressed to this purse"
    #: the purse is not in the state in which it accepts this kind of message.
    WRONG_STATUS = "not expected in the purse's state"
    #: the message is about another payment than the purse's current one (old, replayed, stale).
    DETAILS_MISMATCH = "not about the purse's current payment"


@final
@attrs.frozen(slots=True)
class Outcome:
    """What a purse did with one trigger: accepted it (and what followed) or ignored it.

    Purses build outcomes; callers read them.

    Args:
        purse: the purse that handled the trigger.
        trigger: ``start_from``, ``start_to``, ``req``, ``val``, ``ack`` or ``abort``.
        message: the message handled (``None`` for ``abort``).
        ignored: why the message was ignored, or ``None`` when it was accepted.
        explanation: a readable sentence saying what happened.
        emitted: the messages the purse sent in reply.
        debited: the value taken from the purse's balance, if any.
        credited: the value added to the purse's balance, if any.
        logged: the payment details written to the exception log, if any.
    """

    purse: str
    trigger: str
    message: Message | None
    ignored: IgnoreReason | None
    explanation: str
    emitted: tuple[ProtocolMessage, ...] = ()
    debited: Money | None = None
    credited: Money | None = None
    logged: PaymentDetails | None = None

    @property
    def accepted(self) -> bool:
        """``True`` when the purse acted on the trigger."""
        return self.ignored is None

    def __str__(self) -> str:
        return self.explanation
