"""The value objects of an after-sales case: lines, evidence, parcels, inspections, repairs,
rulings and the refunds a case decides."""

from __future__ import annotations

import enum
import itertools
import re
from collections.abc import Iterable, Mapping
from typing import Any, Final, final

import attrs

from ecservice._shown import shown
from ecservice.errors import InvalidQuantity, ValidationError
from ecservice.money import Money, positive
from ecservice.text import LONG_TEXT_MAX, SHORT_TEXT_MAX, check_text

__all__ = [
    "MAX_CASE_QUANTITY",
    "MAX_PHOTOS",
    "CaseLine",
    "CaseRefund",
    "Evidence",
    "Inspection",
    "PhotoReference",
    "RefundSort",
    "RepairAttempt",
    "ReturnParcel",
    "Ruling",
    "ShipmentReference",
    "as_lines",
    "lines_of",
]

#: The largest quantity one case line may name.
MAX_CASE_QUANTITY: Final = 1_000_000
#: The most photos one piece of evidence may reference.
MAX_PHOTOS: Final = 20

_SHA256: Final = re.compile(r"[0-9a-f]{64}")
#: ``scheme:`` then something: RFC 3986 URIs (https://..., s3://..., oss://...).
_URI: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:\S+")


def _short(what: str) -> Any:
    def validate(_: object, __: object, value: object) -> None:
        if check_text(value, what) != value:
            raise ValidationError(f"{what} must not start or end with white space, got {value!r}")

    return validate


def _long(what: str, *, required: bool) -> Any:
    def validate(_: object, __: object, value: object) -> None:
        if not required and value == "" and type(value) is str:
            return
        checked = check_text(value, what, limit=LONG_TEXT_MAX, multiline=True)
        if checked != value:
            raise ValidationError(f"{what} must not start or end with white space")

    return validate


def _flag(what: str) -> Any:
    def validate(_: object, __: object, value: object) -> None:
        if type(value) is not bool:
            raise ValidationError(f"{what} must be True or False, not {shown(value)}")

    return validate


def _count(what: str, low: int, high: int) -> Any:
    def validate(_: object, __: object, value: object) -> None:
        if type(value) is not int or not low <= value <= high:
            raise InvalidQuantity(
                f"{what} must be a whole number from {low} to {high}, not {shown(value)}"
            )

    return validate


@final
@attrs.frozen(slots=True, kw_only=True)
class CaseLine:
    """One order line named by a case, and how many of its units the case is about.

    Args:
        sku: the order line's SKU (short text, :data:`~ecservice.text.SHORT_TEXT_MAX`
            characters at most).
        quantity: units, a whole number from 1 to :data:`MAX_CASE_QUANTITY`.

    Raises:
        ValidationError: a bad SKU.
        InvalidQuantity: a quantity that is not an ``int`` from 1 to :data:`MAX_CASE_QUANTITY`.
    """

    sku: str = attrs.field(validator=_short("a case line's sku"))
    quantity: int = attrs.field(validator=_count("a case line's quantity", 1, MAX_CASE_QUANTITY))


def as_lines(value: Mapping[str, int] | Iterable[CaseLine]) -> tuple[CaseLine, ...]:
    """The converter of ``AfterSalesCase.lines``: :func:`lines_of`."""
    return lines_of(value)


def lines_of(value: object) -> tuple[CaseLine, ...]:
    """Case lines from a mapping ``{sku: quantity}`` or an iterable of :class:`CaseLine`,
    sorted by SKU.

    Raises:
        InvalidQuantity: no line, a quantity that is not a whole number above 0, or a SKU named
            twice.
        ValidationError: a bad SKU, or a value that is neither a mapping nor lines.
    """
    if isinstance(value, Mapping):
        lines = [CaseLine(sku=sku, quantity=qty) for sku, qty in value.items()]
    elif isinstance(value, Iterable) and not isinstance(value, str | bytes):
        lines = list(value)
        for line in lines:
            if not isinstance(line, CaseLine):
                raise ValidationError(
                    f"a case's lines are a mapping {{sku: quantity}} or CaseLine values, "
                    f"not {shown(line)}"
                )
    else:
        raise ValidationError(
            f"a case's lines are a mapping {{sku: quantity}}, not {type(value).__name__}"
        )
    if not lines:
        raise InvalidQuantity("a case names at least one order line with a quantity above 0")
    lines.sort(key=lambda line: line.sku)
    for before, after in itertools.pairwise(lines):
        if before.sku == after.sku:
            raise InvalidQuantity(f"a case names line {before.sku!r} twice")
    return tuple(lines)


@final
@attrs.frozen(slots=True, kw_only=True)
class PhotoReference:
    """A photo kept elsewhere (an object store): its SHA-256 and where it is; never its bytes.

    The hash lets anyone check that the photo fetched later is the one given as evidence.

    Args:
        sha256: the SHA-256 of the photo's bytes, 64 lower-case hexadecimal digits.
        uri: where the photo is, an absolute URI (``https://...``, ``oss://bucket/key``...) of
            at most :data:`~ecservice.text.SHORT_TEXT_MAX` characters, without white space.

    Raises:
        ValidationError: a hash that is not 64 lower-case hex digits, or a URI that is not
            ``scheme:rest`` without white space.
    """

    sha256: str = attrs.field()
    uri: str = attrs.field()

    @sha256.validator
    def _check_hash(self, _: object, value: object) -> None:
        if type(value) is not str or not _SHA256.fullmatch(value):
            raise ValidationError(
                "a photo's sha256 must be 64 lower-case hexadecimal digits (hashlib's "
                f"hexdigest()), not {shown(value)}"
            )

    @uri.validator
    def _check_uri(self, _: object, value: object) -> None:
        if type(value) is not str or len(value) > SHORT_TEXT_MAX or not _URI.fullmatch(value):
            raise ValidationError(
                "a photo's uri must be an absolute URI such as 'https://...' or "
                f"'oss://bucket/key' of at most {SHORT_TEXT_MAX} characters without white "
                f"space, not {shown(value)}"
            )
        check_text(value, "a photo's uri")


def _as_photos(value: tuple[PhotoReference, ...] | list[PhotoReference]) -> object:
    return tuple(value) if isinstance(value, list) else value


@final
@attrs.frozen(slots=True, kw_only=True)
class Evidence:
    """Evidence given in a case (举证): photo references and a note; at least one of them.

    Args:
        photos: up to :data:`MAX_PHOTOS` :class:`PhotoReference` values, with distinct hashes
            (a list becomes a tuple).
        note: what the evidence shows (long text, possibly empty when there are photos).

    Raises:
        ValidationError: no photo and no note, too many photos, a photo twice, or a bad note.
    """

    photos: tuple[PhotoReference, ...] = attrs.field(default=(), converter=_as_photos)
    note: str = attrs.field(default="", validator=_long("an evidence note", required=False))

    @photos.validator
    def _check_photos(self, _: object, value: object) -> None:
        if not isinstance(value, tuple) or not all(isinstance(p, PhotoReference) for p in value):
            raise ValidationError(
                f"evidence photos must be a tuple of PhotoReference, not {shown(value)}"
            )
        if len(value) > MAX_PHOTOS:
            raise ValidationError(
                f"evidence holds at most {MAX_PHOTOS} photos, got {len(value)}; "
                "give the rest as further evidence"
            )
        if len({p.sha256 for p in value}) != len(value):
            raise ValidationError("evidence references the same photo (same sha256) twice")

    def __attrs_post_init__(self) -> None:
        if not self.photos and not self.note:
            raise ValidationError("evidence needs at least one photo or a note")


@final
@attrs.frozen(slots=True, kw_only=True)
class ReturnParcel:
    """The parcel the buyer sends back (退货物流).

    Args:
        carrier: the carrier's name (short text).
        tracking_no: the carrier's tracking number (short text).
        freight: what the buyer paid the carrier for the return (the receipt's amount), above
            zero, in the case's currency; ``None`` when not stated. The seller reimburses it
            when it pays the freight (:meth:`AfterSalesCase.receive_return`).

    Raises:
        ValidationError: unacceptable text.
        InvalidAmount: ``freight`` not :class:`~ecservice.money.Money` above zero.
    """

    carrier: str = attrs.field(validator=_short("a return parcel's carrier"))
    tracking_no: str = attrs.field(validator=_short("a return parcel's tracking number"))
    freight: Money | None = attrs.field(default=None)

    @freight.validator
    def _check_freight(self, _: object, value: object) -> None:
        if value is not None:
            positive(value, "a return parcel's freight")


@final
@attrs.frozen(slots=True, kw_only=True)
class ShipmentReference:
    """A parcel the seller sends in a case: an exchange, a reship, or repaired goods sent back.

    Args:
        shipment_id: the shop's id of the shipment (short text), so the order can show it.
        carrier: the carrier's name (short text).
        tracking_no: the carrier's tracking number (short text).

    Raises:
        ValidationError: unacceptable text.
    """

    shipment_id: str = attrs.field(validator=_short("a shipment id"))
    carrier: str = attrs.field(validator=_short("a shipment's carrier"))
    tracking_no: str = attrs.field(validator=_short("a shipment's tracking number"))


@final
@attrs.frozen(slots=True, kw_only=True)
class Inspection:
    """The seller's inspection of the returned goods (验货).

    Args:
        passed: ``True`` when the goods qualify for the remedy asked (intact for a return,
            the fault confirmed for an exchange or a repair).
        note: what was found (long text; required when the inspection failed).

    Raises:
        ValidationError: ``passed`` not a ``bool``, a failed inspection without a note, or a
            bad note.
    """

    passed: bool = attrs.field(validator=_flag("an inspection's passed"))
    note: str = attrs.field(default="", validator=_long("an inspection note", required=False))

    def __attrs_post_init__(self) -> None:
        if not self.passed and not self.note:
            raise ValidationError("a failed inspection needs a note saying what was found")


@final
@attrs.frozen(slots=True, kw_only=True)
class RepairAttempt:
    """One repair of one unit of a line under warranty.

    Args:
        sku: the line's SKU (short text).
        unit: which unit of the line, from 1 to the case line's quantity.
        succeeded: whether the repair made the unit work.
        note: what was done (long text, possibly empty).

    Raises:
        ValidationError: bad text or a ``succeeded`` that is not a ``bool``.
        InvalidQuantity: ``unit`` not a whole number from 1 to :data:`MAX_CASE_QUANTITY`.
    """

    sku: str = attrs.field(validator=_short("a repair's sku"))
    unit: int = attrs.field(validator=_count("a repaired unit's number", 1, MAX_CASE_QUANTITY))
    succeeded: bool = attrs.field(validator=_flag("a repair's succeeded"))
    note: str = attrs.field(default="", validator=_long("a repair note", required=False))


@final
@attrs.frozen(slots=True, kw_only=True)
class Ruling:
    """The platform's ruling after it stepped in (客服介入).

    Args:
        for_buyer: ``True`` when the platform ruled for the buyer (against the seller).
        note: the grounds (long text, required).
        amount: for the buyer: the amount the seller must give, or ``None`` for what the buyer
            asked; for the seller: ``None``.

    Raises:
        ValidationError: bad text, a ``for_buyer`` that is not a ``bool``, or an amount in a
            ruling for the seller.
        InvalidAmount: an amount that is not :class:`~ecservice.money.Money` or not above 0.
    """

    for_buyer: bool = attrs.field(validator=_flag("a ruling's for_buyer"))
    note: str = attrs.field(validator=_long("a ruling's grounds", required=True))
    amount: Money | None = attrs.field(default=None)

    @amount.validator
    def _check_amount(self, _: object, value: object) -> None:
        if value is None:
            return
        if not self.for_buyer:
            raise ValidationError("a ruling for the seller awards no amount; give amount=None")
        positive(value, "a ruling's amount")


class RefundSort(enum.Enum):
    """What a money decision of a case is: a refund of the goods, a compensation, or the
    return freight reimbursed."""

    REFUND = "refund"
    COMPENSATION = "compensation"
    #: The return freight the seller reimburses (退货运费), its own amount beside the goods':
    #: the seller bears it for goods that fail the quality required (CPL art. 24 para. 2) or
    #: when it agreed to (CPL art. 25 para. 3).
    FREIGHT = "freight"


@final
@attrs.frozen(slots=True, kw_only=True)
class CaseRefund:
    """Money a case decided to pay back to the buyer; the payment moves it.

    Args:
        amount: above zero, in the case's currency.
        sort: a refund of the goods or a compensation (:class:`RefundSort`).
        version: the case's version after the transition that decided it (from 1).

    Raises:
        InvalidAmount: not :class:`~ecservice.money.Money` above zero.
        ValidationError: a bad sort or version.
    """

    amount: Money = attrs.field(validator=lambda _, __, v: positive(v, "a case refund"))
    sort: RefundSort = attrs.field()
    version: int = attrs.field()

    @sort.validator
    def _check_sort(self, _: object, value: object) -> None:
        if not isinstance(value, RefundSort):
            raise ValidationError(f"a case refund's sort must be a RefundSort, not {shown(value)}")

    @version.validator
    def _check_version(self, _: object, value: object) -> None:
        if type(value) is not int or value < 1:
            raise ValidationError(
                f"a case refund's version must be an int of at least 1, not {shown(value)}"
            )
