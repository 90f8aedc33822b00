"""The value objects of a consultation session: enquiry types (as data), objections, messages,
enquiries and hand-over remarks."""

from __future__ import annotations

import datetime as _dt
from typing import Any, Final, final

import attrs
from pendulum import DateTime

from ecservice._shown import shown
from ecservice.clock import ensure_utc
from ecservice.errors import ValidationError
from ecservice.text import LONG_TEXT_MAX, check_optional_text, text
from ecservice.workflow import LabelledState

__all__ = [
    "DEFAULT_ENQUIRY_TYPES",
    "ENQUIRY_FREIGHT",
    "ENQUIRY_OTHER",
    "ENQUIRY_PRESALE",
    "ENQUIRY_PRODUCT",
    "ENQUIRY_PROMOTION",
    "ENQUIRY_SIZE",
    "ENQUIRY_STOCK",
    "MAX_MESSAGE_LENGTH",
    "Enquiry",
    "EnquiryType",
    "Message",
    "ObjectionKind",
    "Remark",
    "Sender",
]

#: The longest message a session records, in characters (a chat message is short; the figure is
#: a sanity bound, not a platform rule).
MAX_MESSAGE_LENGTH: Final = 100_000
_CODE_MAX: Final = 40


def _utc(value: _dt.datetime) -> DateTime:
    return ensure_utc(value, what="an instant")


def _code(_: Any, __: Any, value: Any) -> None:
    if (
        type(value) is not str
        or not 0 < len(value) <= _CODE_MAX
        or not all(c.isascii() and (c.islower() or c.isdigit() or c == "_") for c in value)
        or not value[0].isalpha()
    ):
        raise ValidationError(
            "an enquiry type's code must be 1 to 40 lower-case ASCII letters, digits or "
            f"underscores, starting with a letter, not {shown(value)}"
        )


@final
@attrs.frozen(slots=True, kw_only=True)
class EnquiryType:
    """What a buyer asks about (咨询类型), as data: the library ships the seven types of the
    reception flow's enquiry step (:data:`DEFAULT_ENQUIRY_TYPES`); a shop adds its own by
    building more (``EnquiryType(code="warranty", label_en="Warranty", label_zh="保修")``).
    Two types are the same when all three fields are.

    Args:
        code: a stable key (1 to 40 lower-case ASCII letters, digits or ``_``, starting with a
            letter), what reports group by.
        label_en: the English label (short text).
        label_zh: the Chinese label (short text).

    Raises:
        ValidationError: a malformed code or an unacceptable label.
    """

    code: str = attrs.field(validator=_code)
    label_en: str = attrs.field(validator=text("an enquiry type's label_en"))
    label_zh: str = attrs.field(validator=text("an enquiry type's label_zh"))

    def label(self, locale: str = "en") -> str:
        """The label in ``locale``: ``"zh"``/``"zh_CN"`` gives Chinese, anything else English."""
        return self.label_zh if locale.lower().startswith("zh") else self.label_en


#: Stock (库存): is it in stock, when will it be back.
ENQUIRY_STOCK: Final = EnquiryType(code="stock", label_en="Stock", label_zh="库存")
#: Promotion (促销活动): coupons, discounts, campaign prices.
ENQUIRY_PROMOTION: Final = EnquiryType(code="promotion", label_en="Promotion", label_zh="促销活动")
#: Size (尺码): which size fits.
ENQUIRY_SIZE: Final = EnquiryType(code="size", label_en="Size", label_zh="尺码")
#: Product (产品): material, function, use of the goods.
ENQUIRY_PRODUCT: Final = EnquiryType(code="product", label_en="Product", label_zh="产品")
#: Freight and dispatch (运费与发货): shipping fee, carrier, when the parcel leaves.
ENQUIRY_FREIGHT: Final = EnquiryType(
    code="freight", label_en="Freight and dispatch", label_zh="运费与发货"
)
#: Presale (预售): deposit, balance, when presale goods ship.
ENQUIRY_PRESALE: Final = EnquiryType(code="presale", label_en="Presale", label_zh="预售")
#: Anything else (其他).
ENQUIRY_OTHER: Final = EnquiryType(code="other", label_en="Other", label_zh="其他")
#: The enquiry types of the reception flow's enquiry step (接待咨询), in its order.
DEFAULT_ENQUIRY_TYPES: Final[tuple[EnquiryType, ...]] = (
    ENQUIRY_STOCK,
    ENQUIRY_PROMOTION,
    ENQUIRY_SIZE,
    ENQUIRY_PRODUCT,
    ENQUIRY_FREIGHT,
    ENQUIRY_PRESALE,
    ENQUIRY_OTHER,
)


class ObjectionKind(LabelledState):
    """What a buyer objects to (异议) when the agent handles objections (处理异议)."""

    PRICE = ("price", "Price", "价格")
    SIZE = ("size", "Size", "尺码")
    OTHER = ("other", "Other", "其他")


class Sender(LabelledState):
    """Who wrote a chat message."""

    BUYER = ("buyer", "Buyer", "买家")
    AGENT = ("agent", "Agent", "客服")


def _length(_: Any, __: Any, value: Any) -> None:
    if type(value) is not int or not 1 <= value <= MAX_MESSAGE_LENGTH:
        raise ValidationError(
            f"a message's length must be an int from 1 to {MAX_MESSAGE_LENGTH}, not {shown(value)}"
        )


def _sender(_: Any, __: Any, value: Any) -> None:
    if not isinstance(value, Sender):
        raise ValidationError(
            f"a message's sender must be a Sender (BUYER, AGENT), not {shown(value)}"
        )


@final
@attrs.frozen(slots=True, kw_only=True)
class Message:
    """One chat message of a session: who wrote it, when, and how long it was (the text itself
    stays in the shop's chat system; the length is what response figures and audits need).

    Args:
        sender: the buyer or the agent.
        at: when it was sent; an aware datetime, converted to UTC.
        length: its length in characters, 1 to :data:`MAX_MESSAGE_LENGTH`.

    Raises:
        NaiveDatetime: ``at`` has no time zone.
        ValidationError: a sender that is not a :class:`Sender`, or a length out of range.
    """

    sender: Sender = attrs.field(validator=_sender)
    at: DateTime = attrs.field(converter=_utc)
    length: int = attrs.field(validator=_length)


def _enquiry_type(_: Any, __: Any, value: Any) -> None:
    if not isinstance(value, EnquiryType):
        raise ValidationError(f"an enquiry's type must be an EnquiryType, not {shown(value)}")


def _note(_: Any, __: Any, value: Any) -> None:
    checked = check_optional_text(value, "a note")
    if checked != value:
        raise ValidationError(f"a note must not start or end with white space, got {shown(value)}")


@final
@attrs.frozen(slots=True, kw_only=True)
class Enquiry:
    """One enquiry taken (接待咨询).

    Args:
        type: what it was about.
        at: when it was taken; an aware datetime, converted to UTC.
        note: what was asked, in the agent's words (optional long text, stripped).

    Raises:
        NaiveDatetime: ``at`` has no time zone.
        ValidationError: a type that is not an :class:`EnquiryType`, or a bad note.
    """

    type: EnquiryType = attrs.field(validator=_enquiry_type)
    at: DateTime = attrs.field(converter=_utc)
    note: str = attrs.field(default="", validator=_note)


_remark_text = text("a remark's text", limit=LONG_TEXT_MAX, multiline=True)


def _followed(_: Any, __: Any, value: Any) -> None:
    if type(value) is not bool:
        raise ValidationError(f"a remark's followed_up must be True or False, not {shown(value)}")


@final
@attrs.frozen(slots=True, kw_only=True)
class Remark:
    """A hand-over remark (备注) that shipping must act on (a gift note, a colour swap, ship
    with the other order...), and whether it was followed up.

    Args:
        text: what must be done (long text, stripped).
        followed_up: whether someone confirmed it was done; ``False`` for a new remark.
        note: how it was followed up (optional long text), empty until then.

    Raises:
        ValidationError: unacceptable text, ``followed_up`` not a bool, or a note on a remark
            not followed up.
    """

    text: str = attrs.field(validator=_remark_text)
    followed_up: bool = attrs.field(default=False, validator=_followed)
    note: str = attrs.field(default="", validator=_note)

    def __attrs_post_init__(self) -> None:
        if self.note and not self.followed_up:
            raise ValidationError("a remark not followed up has no follow-up note")
