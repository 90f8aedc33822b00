"""Value objects of the order area: addresses, lines, shipments, tracking events, cancellations.

Every value object checks its fields when it is built, including when storage rehydrates it, so
an object that exists is valid. Text fields follow :mod:`ecservice.text`: identifiers, SKUs,
names, carriers and tracking numbers are short text (at most
:data:`~ecservice.text.SHORT_TEXT_MAX` characters, one line); reasons are long text (at most
:data:`~ecservice.text.LONG_TEXT_MAX` characters, line breaks allowed). Quantities are whole
numbers from 1 to :data:`MAX_QUANTITY`; weights are ``Decimal`` or ``int`` kilograms from 0 to
:data:`MAX_WEIGHT_KG`.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any, Final, TypeVar, final

import attrs
from pendulum import DateTime

from ecservice._shown import shown
from ecservice.clock import ensure_utc
from ecservice.errors import InvalidAddress, InvalidQuantity, ValidationError
from ecservice.money import Currency, Money
from ecservice.orders._masking import mask_name, mask_phone, mask_text
from ecservice.text import LONG_TEXT_MAX, SHORT_TEXT_MAX, check_optional_text, check_text, text
from ecservice.workflow import Actor

__all__ = [
    "MAX_QUANTITY",
    "MAX_WEIGHT_KG",
    "Address",
    "Cancellation",
    "OrderLine",
    "Presale",
    "Shipment",
    "TrackingEvent",
    "check_quantity",
    "check_text",
    "check_weight",
    "quantities",
    "text",
]

#: The largest quantity of one line (of a cart, an order, a parcel or a cancellation), in units.
#: Far above any retail order; it keeps totals, weights and fees within exact arithmetic.
MAX_QUANTITY: Final = 1_000_000
#: The largest weight of one unit, in kg (100 tonnes: more than a loaded 40-foot container).
MAX_WEIGHT_KG: Final = Decimal(100_000)

_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{4,19}$")

_V = TypeVar("_V")


def check_quantity(value: object, *, what: str = "quantity") -> int:
    """Return ``value`` if it is a whole number from 1 to :data:`MAX_QUANTITY`.

    Raises:
        InvalidQuantity: not an ``int`` (a bool, float or string is refused), below 1 or above
            :data:`MAX_QUANTITY`.
    """
    if type(value) is int and 0 < value <= MAX_QUANTITY:
        return value
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidQuantity(
            f"{what} must be a whole number from 1 to {MAX_QUANTITY:,}, not {type(value).__name__}"
        )
    if value > MAX_QUANTITY:
        raise InvalidQuantity(
            f"{what} must be a whole number from 1 to {MAX_QUANTITY:,}: too large"
        )
    if value <= 0:
        value_text = value if value > -(10**9) else "a large negative number"
        raise InvalidQuantity(
            f"{what} must be a whole number from 1 to {MAX_QUANTITY:,}, not {value_text}"
        )
    return int(value)


def check_weight(value: object, what: str = "weight_kg") -> Decimal:
    """Return ``value`` as a ``Decimal`` number of kilograms from 0 to :data:`MAX_WEIGHT_KG`.

    Raises:
        ValidationError: a float, bool or other type, NaN, infinite, negative or too heavy.
    """
    if type(value) is Decimal and value.is_finite() and 0 <= value <= MAX_WEIGHT_KG:
        return value if value or not value.is_signed() else Decimal(0)  # no negative zero
    if isinstance(value, (bool, float)) or not isinstance(value, Decimal | int):
        raise ValidationError(
            f"{what} must be a Decimal or int number of kg, not {type(value).__name__}"
        )
    if isinstance(value, int) and not 0 <= value <= MAX_WEIGHT_KG:
        raise ValidationError(f"{what} must be from 0 to {MAX_WEIGHT_KG:,} kg")
    weight = Decimal(value)
    if not weight.is_finite() or not 0 <= weight <= MAX_WEIGHT_KG:
        raise ValidationError(f"{what} must be from 0 to {MAX_WEIGHT_KG:,} kg, not {weight:.6}")
    return weight if weight else Decimal(0)


def _quantity(value: int) -> int:
    return check_quantity(value)


def _weight(value: Decimal | int) -> Decimal:
    return check_weight(value)


def _items(value: Mapping[str, int] | Iterable[tuple[str, int]]) -> tuple[tuple[str, int], ...]:
    return quantities(value)


def _utc(value: _dt.datetime) -> DateTime:
    return ensure_utc(value)


def _utc_or_none(value: _dt.datetime | None) -> DateTime | None:
    return None if value is None else ensure_utc(value)


def quantities(items: object, *, what: str = "items") -> tuple[tuple[str, int], ...]:
    """Normalise ``{sku: quantity}`` into sorted ``(sku, quantity)`` pairs, checking both.

    ``items`` is a mapping ``{sku: quantity}``, or a list or tuple of ``(sku, quantity)`` pairs
    (as storage writes them); pairs of the same SKU are added up.

    Raises:
        InvalidQuantity: ``items`` is neither (a ``str`` is refused: it is not a mapping of
            quantities), it is empty, or a quantity is not a whole number from 1 to
            :data:`MAX_QUANTITY` (also after adding up).
        ValidationError: a SKU is not acceptable short text.
    """
    pairs: Iterable[object]
    if type(items) is dict or isinstance(items, Mapping):
        pairs = items.items()
    elif isinstance(items, list | tuple):
        pairs = items
    else:
        raise InvalidQuantity(
            f"{what} must be a mapping {{sku: quantity}}, not {type(items).__name__}"
        )
    merged: dict[str, int] = {}
    for pair in pairs:
        if not isinstance(pair, tuple | list) or len(pair) != 2:
            raise InvalidQuantity(f"{what} must hold (sku, quantity) pairs, not {shown(pair)}")
        sku = check_short(pair[0], "sku")
        qty = pair[1]
        if type(qty) is not int or not 0 < qty <= MAX_QUANTITY:  # the messages name the SKU
            qty = check_quantity(qty, what=f"quantity of {sku!r}")
        previous = merged.get(sku)
        if previous is not None:
            qty = check_quantity(previous + qty, what=f"quantity of {sku!r}")
        merged[sku] = qty
    if not merged:
        raise InvalidQuantity(f"{what}: name at least one line and a quantity")
    return tuple(sorted(merged.items()))


def check_short(value: object, what: str) -> str:
    """:func:`ecservice.text.check_text` for short text, with a fast path for a valid value."""
    if (
        type(value) is str
        and 0 < len(value) <= SHORT_TEXT_MAX
        and value.isprintable()
        and value.strip() == value
    ):
        return value
    return check_text(value, what)


def check_note(value: object) -> str:
    """A note: optional long text (:func:`ecservice.text.check_optional_text`)."""
    if value == "" and type(value) is str:
        return ""
    return check_optional_text(value, "note")


def short_text(
    what: str, error: type[ValidationError] = ValidationError
) -> Callable[[Any, Any, str], None]:
    """An attrs validator for a short text field (:func:`ecservice.text.text` with its default
    limit), with a fast path for the common valid value."""
    slow = text(what, error)

    def validate(instance: Any, attribute: Any, value: str) -> None:
        # ``isprintable`` is False for control, format (bidi overrides included) and surrogate
        # characters, so a printable, stripped str within the limit passes every rule.
        if (
            type(value) is str
            and 0 < len(value) <= SHORT_TEXT_MAX
            and value.isprintable()
            and value.strip() == value
        ):
            return
        slow(instance, attribute, value)

    return validate


def goods_total(lines: Iterable[Any], currency: Currency) -> Money:
    """``sum(unit_price * quantity)`` of cart or order lines, added up in whole minor units.

    Exact (integers) and a few times faster than adding :class:`Money` values one by one.

    Raises:
        InvalidAmount: the total has more digits than an amount may hold.
    """
    units = 0
    for line in lines:
        units += line.unit_price.minor_units * line.quantity
    return Money.from_minor(units, currency)


def _optional_short(what: str, error: type[ValidationError] = ValidationError) -> Any:
    def validate(_instance: Any, _attribute: Any, value: str) -> None:
        if type(value) is str and (
            value == ""
            or (len(value) <= SHORT_TEXT_MAX and value.isprintable() and value.strip() == value)
        ):
            return
        if (
            value != ""
            and check_optional_text(value, what, limit=SHORT_TEXT_MAX, multiline=False, error=error)
            != value
        ):
            raise error(f"{what} must not start or end with white space, got {shown(value)}")

    return validate


def _instance_of(kind: type[Any], what: str) -> Any:
    def validate(_instance: Any, _attribute: Any, value: object) -> None:
        if not isinstance(value, kind):
            raise ValidationError(f"{what} must be {kind.__name__}, not {type(value).__name__}")

    return validate


def _money(what: str) -> Any:
    """A validator: a non-negative :class:`Money`."""

    def validate(_instance: Any, _attribute: Any, value: object) -> None:
        if not isinstance(value, Money):
            raise ValidationError(f"{what} must be Money, not {type(value).__name__}")
        if value.is_negative():
            raise ValidationError(f"{what} must not be negative: {value}")

    return validate


def _tuple_of(value: object, kind: type[_V], what: str) -> tuple[_V, ...]:
    """``value`` (a list or tuple of ``kind`` instances) as a tuple."""
    if value == ():
        return ()
    if not isinstance(value, tuple | list):
        raise ValidationError(
            f"{what} must be a tuple of {kind.__name__}, not {type(value).__name__}"
        )
    for item in value:
        if not isinstance(item, kind):
            raise ValidationError(
                f"{what} must hold {kind.__name__} values, not {type(item).__name__}"
            )
    return tuple(value)


@final
@attrs.frozen(slots=True, kw_only=True, repr=False)
class Address:
    """A shipping address (收货地址).

    All parts except ``district``, ``postal_code`` and ``country`` (default ``"CN"``) are required.
    Every part is short text (:mod:`ecservice.text`: at most 200 characters, no control or
    bidirectional-override characters, no surrounding white space).

    Args:
        recipient: the name of the person who receives the parcel (收货人).
        phone: the recipient's phone number: digits, spaces or dashes, optionally starting with
            ``+``, 5 to 20 characters (``"+86 138-0013-8000"``).
        province: the province, autonomous region or municipality (省).
        city: the city (市).
        district: the district or county (区/县); optional.
        street: the street address, building and room.
        postal_code: the postal code (邮编); optional, not checked against a format.
        country: the country, ``"CN"`` by default (short text; not checked against a list).

    Raises:
        InvalidAddress: a required part is empty, a part is not acceptable text, or the phone
            number is malformed.
    """

    recipient: str = attrs.field(validator=short_text("recipient", InvalidAddress))
    phone: str = attrs.field()
    province: str = attrs.field(validator=short_text("province", InvalidAddress))
    city: str = attrs.field(validator=short_text("city", InvalidAddress))
    district: str = attrs.field(default="", validator=_optional_short("district", InvalidAddress))
    street: str = attrs.field(validator=short_text("street", InvalidAddress))
    postal_code: str = attrs.field(
        default="", validator=_optional_short("postal_code", InvalidAddress)
    )
    country: str = attrs.field(default="CN", validator=short_text("country", InvalidAddress))

    @phone.validator
    def _check_phone(self, _: attrs.Attribute[str], value: str) -> None:
        if not isinstance(value, str) or len(value) > 40 or not _PHONE.fullmatch(value):
            # The value is not repeated: a mistyped phone is personal data too.
            given = (
                f"of {len(value)} characters" if isinstance(value, str) else type(value).__name__
            )
            raise InvalidAddress(
                f"the phone ({given}) is not a phone number: use digits, spaces or dashes, "
                "optionally starting with +, 5 to 20 characters"
            )

    def one_line(self) -> str:
        """The address on one line, in Chinese order (province, city, district, street), with
        the recipient and the full phone number: for the parcel's label and the account that
        placed the order, never for logs (see :meth:`masked`)."""
        parts = [self.province, self.city, self.district, self.street]
        return " ".join(p for p in parts if p) + f" ({self.recipient}, {self.phone})"

    def masked(self) -> str:
        """The address on one line with its personal parts masked
        (:func:`~ecservice.orders.mask_phone`, :func:`~ecservice.orders.mask_name`,
        :func:`~ecservice.orders.mask_text`): the region in full, the street's first two
        characters, the recipient's first character, the phone's first three and last four
        digits. ``repr()`` and ``str()`` show only this.

        >>> from ecservice.orders import Address
        >>> Address(recipient="张三", phone="13812345678", province="浙江省", city="杭州市",
        ...         district="余杭区", street="文一西路969号").masked()
        '浙江省 杭州市 余杭区 文一****** (张*, 138****5678)'
        """
        parts = [self.province, self.city, self.district, mask_text(self.street)]
        return " ".join(p for p in parts if p) + (
            f" ({mask_name(self.recipient)}, {mask_phone(self.phone)})"
        )

    def __repr__(self) -> str:
        return f"Address(<{self.masked()}>)"

    __str__ = __repr__


@final
@attrs.frozen(slots=True, kw_only=True)
class OrderLine:
    """One ordered item: a SKU, its name, unit price, quantity and unit weight in kg.

    Args:
        sku: the stock-keeping unit that identifies the item (short text).
        name: the item's name as the buyer saw it (short text).
        unit_price: the price of one unit, a non-negative :class:`~ecservice.money.Money` in the
            order's currency.
        quantity: how many units, a whole number from 1 to :data:`MAX_QUANTITY`.
        weight_kg: the weight of one unit in kilograms, a ``Decimal`` or ``int`` from 0 to
            :data:`MAX_WEIGHT_KG` (not a float); 0 by default. Shipping fees are computed from
            it (see :class:`ShippingRate`).

    Raises:
        ValidationError: a SKU or name that is not short text, a price that is not a
            non-negative :class:`~ecservice.money.Money`, a weight outside 0 to
            :data:`MAX_WEIGHT_KG` kg.
        InvalidQuantity: a quantity that is not a whole number from 1 to :data:`MAX_QUANTITY`.
    """

    sku: str = attrs.field(validator=short_text("sku"))
    name: str = attrs.field(validator=short_text("name"))
    unit_price: Money = attrs.field(validator=_money("unit_price"))
    quantity: int = attrs.field(converter=_quantity)
    weight_kg: Decimal = attrs.field(default=Decimal(0), converter=_weight)

    @property
    def subtotal(self) -> Money:
        """``unit_price * quantity``."""
        return self.unit_price * self.quantity

    @property
    def weight(self) -> Decimal:
        """Total weight of the line in kg."""
        return self.weight_kg * self.quantity


@final
@attrs.frozen(slots=True, kw_only=True)
class Presale:
    """A presale (预售) order: the shop promises to ship by ``ship_by``.

    Args:
        ship_by: the latest promised dispatch time; an aware datetime, converted to UTC.
        deposit: the deposit (定金) the buyer pays up front, in the order's currency, or ``None``
            for a presale without a deposit.

    Raises:
        ValidationError: ``ship_by`` is not an aware datetime, or ``deposit`` is not a
            non-negative :class:`~ecservice.money.Money` (the order checks its currency).
    """

    ship_by: DateTime = attrs.field(converter=_utc)
    deposit: Money | None = attrs.field(default=None)

    @deposit.validator
    def _check_deposit(self, _: attrs.Attribute[Money | None], value: Money | None) -> None:
        if value is not None:
            _money("deposit")(self, None, value)


@final
@attrs.frozen(slots=True, kw_only=True)
class TrackingEvent:
    """One carrier scan or status update of a shipment (物流跟踪).

    Args:
        at: when the carrier scanned or reported; an aware datetime, converted to UTC.
        description: what happened, as the carrier says it (short text, e.g. "已揽收").
        location: where, if the carrier says (optional short text).
    """

    at: DateTime = attrs.field(converter=ensure_utc)
    description: str = attrs.field(validator=short_text("description"))
    location: str = attrs.field(default="", validator=_optional_short("location"))


def _tracking_events(
    value: tuple[TrackingEvent, ...] | list[TrackingEvent],
) -> tuple[TrackingEvent, ...]:
    return _tuple_of(value, TrackingEvent, "events")


@final
@attrs.frozen(slots=True, kw_only=True)
class Shipment:
    """One parcel of an order: which lines left from which warehouse, with which carrier.

    ``items`` holds sorted ``(sku, quantity)`` pairs. A shipment *travels* until it is received.
    Tracking events are in time order, none before ``shipped_at``; ``received_at`` and
    ``received_by`` are both set (received, not before ``shipped_at``) or both ``None``.

    Args:
        id: the shipment's identifier, unique within its order (short text).
        warehouse: the warehouse the parcel left from (short text).
        carrier: the logistics company (short text, e.g. ``"SF Express"``).
        tracking_no: the carrier's tracking number (运单号; short text).
        items: which units the parcel carries: a mapping ``{sku: quantity}`` or ``(sku,
            quantity)`` pairs, each quantity from 1 to :data:`MAX_QUANTITY`; stored as sorted
            pairs, pairs of one SKU added up.
        shipped_at: when the parcel was dispatched; an aware datetime, converted to UTC.
        events: the carrier's tracking events, in time order, none before ``shipped_at``.
        received_at: when the buyer (or the system, by auto-confirmation) received it, in UTC;
            ``None`` while it travels.
        received_by: who confirmed receipt; set exactly when ``received_at`` is.

    Raises:
        ValidationError: a field of the wrong type, text that is not acceptable short text,
            events out of time order, an incomplete or early receipt.
        InvalidQuantity: ``items`` is not a mapping or list of positive quantities.
    """

    id: str = attrs.field(validator=short_text("shipment id"))
    warehouse: str = attrs.field(validator=short_text("warehouse"))
    carrier: str = attrs.field(validator=short_text("carrier"))
    tracking_no: str = attrs.field(validator=short_text("tracking number"))
    items: tuple[tuple[str, int], ...] = attrs.field(converter=_items)
    shipped_at: DateTime = attrs.field(converter=_utc)
    events: tuple[TrackingEvent, ...] = attrs.field(default=(), converter=_tracking_events)
    received_at: DateTime | None = attrs.field(default=None, converter=_utc_or_none)
    received_by: Actor | None = attrs.field(default=None)

    def __attrs_post_init__(self) -> None:
        last = self.shipped_at
        for event in self.events:
            if event.at < last:
                raise ValidationError(
                    f"shipment {self.id!r}: tracking event at {event.at.isoformat()} is older "
                    f"than {last.isoformat()}; events must be in time order, after dispatch"
                )
            last = event.at
        if (self.received_at is None) != (self.received_by is None):
            raise ValidationError(
                f"shipment {self.id!r}: received_at and received_by must both be set or both None"
            )
        if self.received_by is not None and not isinstance(self.received_by, Actor):
            raise ValidationError(
                f"received_by must be an Actor, not {type(self.received_by).__name__}"
            )
        if self.received_at is not None and self.received_at < self.shipped_at:
            raise ValidationError(
                f"shipment {self.id!r} cannot be received ({self.received_at.isoformat()}) "
                f"before it shipped ({self.shipped_at.isoformat()})"
            )

    @property
    def travelling(self) -> bool:
        """``True`` until the shipment is received."""
        return self.received_at is None

    def quantity_of(self, sku: str) -> int:
        """How many units of ``sku`` this shipment carries."""
        return sum(q for s, q in self.items if s == sku)

    @property
    def last_event(self) -> TrackingEvent | None:
        """The newest tracking event, if any."""
        return self.events[-1] if self.events else None


# --- building value objects from values already checked ---------------------------------------
#
# Only for values the order area has checked itself (a copy of a valid object with one field
# changed to a checked value, a cart line's fields for an order line); everything that comes from
# outside goes through the constructor. The builders set every field, through the slots.


def _setters(cls: type, *names: str) -> tuple[Callable[[Any, Any], None], ...]:
    """The slot setters of ``names`` on the slotted class ``cls`` (faster than setattr by name)."""
    return tuple(getattr(cls, name).__set__ for name in names)


(
    _s_id,
    _s_warehouse,
    _s_carrier,
    _s_tracking_no,
    _s_items,
    _s_shipped_at,
    _s_events,
    _s_received_at,
    _s_received_by,
) = _setters(
    Shipment,
    "id",
    "warehouse",
    "carrier",
    "tracking_no",
    "items",
    "shipped_at",
    "events",
    "received_at",
    "received_by",
)


def _new_shipment(
    id: str,
    warehouse: str,
    carrier: str,
    tracking_no: str,
    items: tuple[tuple[str, int], ...],
    shipped_at: DateTime,
    events: tuple[TrackingEvent, ...],
    received_at: DateTime | None,
    received_by: Actor | None,
) -> Shipment:
    """A shipment built from values the order area checked itself, without re-running the
    validators and converters."""
    new: Shipment = object.__new__(Shipment)
    _s_id(new, id)
    _s_warehouse(new, warehouse)
    _s_carrier(new, carrier)
    _s_tracking_no(new, tracking_no)
    _s_items(new, items)
    _s_shipped_at(new, shipped_at)
    _s_events(new, events)
    _s_received_at(new, received_at)
    _s_received_by(new, received_by)
    return new


def _shipment_copy(
    shipment: Shipment,
    events: tuple[TrackingEvent, ...],
    received_at: DateTime | None,
    received_by: Actor | None,
) -> Shipment:
    """A copy of a valid shipment with checked ``events`` and receipt: the fast path of the
    order's own updates (``attrs.evolve`` would re-run every validator and converter)."""
    new: Shipment = object.__new__(Shipment)
    _s_id(new, shipment.id)
    _s_warehouse(new, shipment.warehouse)
    _s_carrier(new, shipment.carrier)
    _s_tracking_no(new, shipment.tracking_no)
    _s_items(new, shipment.items)
    _s_shipped_at(new, shipment.shipped_at)
    _s_events(new, events)
    _s_received_at(new, received_at)
    _s_received_by(new, received_by)
    return new


def _reason(_instance: Any, _attribute: Any, value: str) -> None:
    if check_text(value, "reason", limit=LONG_TEXT_MAX, multiline=True) != value:
        raise ValidationError(f"reason must not start or end with white space, got {shown(value)}")


@final
@attrs.frozen(slots=True, kw_only=True)
class Cancellation:
    """Units of one line that will not be delivered, with why and who decided.

    Args:
        sku: the line whose units are cancelled (short text).
        quantity: how many units, a whole number from 1 to :data:`MAX_QUANTITY`.
        reason: why (long text: at most :data:`~ecservice.text.LONG_TEXT_MAX` characters).
        at: when the cancellation was decided; an aware datetime, converted to UTC.
        actor: who decided it.
    """

    sku: str = attrs.field(validator=short_text("sku"))
    quantity: int = attrs.field(converter=_quantity)
    reason: str = attrs.field(validator=_reason)
    at: DateTime = attrs.field(converter=_utc)
    actor: Actor = attrs.field(validator=_instance_of(Actor, "actor"))

    def describe(self) -> dict[str, Any]:
        """As a plain dict."""
        return attrs.asdict(self, recurse=False)


L = TypeVar("L")


def line_builder(
    cls: type[L],
) -> Callable[[str, str, Money, int, Decimal], L]:
    """A function building a ``cls`` line (sku, name, unit price, quantity, unit weight) from
    values already checked, slot by slot, without re-running its validators."""
    sku, name, price, qty, weight = _setters(
        cls, "sku", "name", "unit_price", "quantity", "weight_kg"
    )
    new_object = object.__new__

    def build(s: str, n: str, p: Money, q: int, w: Decimal) -> L:
        new: L = new_object(cls)
        sku(new, s)
        name(new, n)
        price(new, p)
        qty(new, q)
        weight(new, w)
        return new

    return build


#: An order line from values already checked (a cart line's).
_new_order_line: Final = line_builder(OrderLine)


_c_sku, _c_quantity, _c_reason, _c_at, _c_actor = _setters(
    Cancellation, "sku", "quantity", "reason", "at", "actor"
)


def _new_cancellation(
    sku: str, quantity: int, reason: str, at: DateTime, actor: Actor
) -> Cancellation:
    """A cancellation from values already checked."""
    new: Cancellation = object.__new__(Cancellation)
    _c_sku(new, sku)
    _c_quantity(new, quantity)
    _c_reason(new, reason)
    _c_at(new, at)
    _c_actor(new, actor)
    return new
