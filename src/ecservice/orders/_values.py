"""Value objects of the order area: addresses, lines, shipments, tracking events, cancellations."""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any, final

import attrs
from pendulum import DateTime

from ecservice.clock import ensure_utc
from ecservice.errors import InvalidAddress, InvalidQuantity, ValidationError
from ecservice.money import Money
from ecservice.workflow import Actor

__all__ = [
    "Address",
    "Cancellation",
    "OrderLine",
    "Presale",
    "Shipment",
    "TrackingEvent",
    "quantities",
]

_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{4,19}$")


def check_quantity(value: object, *, what: str = "quantity") -> int:
    """Return ``value`` if it is a positive whole number; raise :class:`InvalidQuantity`."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidQuantity(f"{what} must be a positive whole number, not {value!r}")
    if value <= 0:
        raise InvalidQuantity(f"{what} must be a positive whole number, not {value}")
    return value


def check_text(value: object, what: str, *, error: type[ValidationError] = ValidationError) -> str:
    """Return ``value`` stripped if it is a non-empty string."""
    if not isinstance(value, str) or not value.strip():
        raise error(f"{what} must be a non-empty string, not {value!r}")
    return value.strip()


def text(
    what: str, error: type[ValidationError] = ValidationError
) -> Callable[[Any, Any, str], None]:
    """An attrs validator that accepts non-empty strings only (see :func:`check_text`)."""

    def validate(_instance: Any, _attribute: Any, value: str) -> None:
        check_text(value, what, error=error)

    return validate


def check_weight(value: object, what: str = "weight_kg") -> Decimal:
    """Return ``value`` as a non-negative Decimal number of kilograms (no floats)."""
    if isinstance(value, (bool, float)) or not isinstance(value, Decimal | int):
        raise ValidationError(f"{what} must be a Decimal or int number of kg, not {value!r}")
    weight = Decimal(value)
    if not weight.is_finite() or weight < 0:
        raise ValidationError(f"{what} must be zero or more kg, not {value}")
    return weight


def _utc(value: _dt.datetime) -> DateTime:
    return ensure_utc(value)


def _utc_or_none(value: _dt.datetime | None) -> DateTime | None:
    return None if value is None else ensure_utc(value)


def quantities(items: Mapping[str, int] | Iterable[tuple[str, int]]) -> tuple[tuple[str, int], ...]:
    """Normalise ``{sku: quantity}`` into sorted ``(sku, quantity)`` pairs, checking quantities."""
    pairs = items.items() if isinstance(items, Mapping) else items
    merged: dict[str, int] = {}
    for sku, qty in pairs:
        check_text(sku, "sku")
        merged[sku] = merged.get(sku, 0) + check_quantity(qty, what=f"quantity of {sku!r}")
    if not merged:
        raise InvalidQuantity("name at least one line and a quantity")
    return tuple(sorted(merged.items()))


@final
@attrs.frozen(slots=True, kw_only=True)
class Address:
    """A shipping address (收货地址).

    All parts except ``district``, ``postal_code`` and ``country`` (default ``"CN"``) are required.

    Raises:
        InvalidAddress: a required part is empty or the phone number is malformed.
    """

    recipient: str = attrs.field(validator=text("recipient", InvalidAddress))
    phone: str = attrs.field()
    province: str = attrs.field(validator=text("province", InvalidAddress))
    city: str = attrs.field(validator=text("city", InvalidAddress))
    district: str = ""
    street: str = attrs.field(validator=text("street", InvalidAddress))
    postal_code: str = ""
    country: str = "CN"

    @phone.validator
    def _check_phone(self, _: attrs.Attribute[str], value: str) -> None:
        if not isinstance(value, str) or not _PHONE.match(value.strip()):
            raise InvalidAddress(
                f"phone {value!r} is not a phone number: use digits, spaces or dashes, "
                "optionally starting with +, 5 to 20 characters"
            )

    def one_line(self) -> str:
        """The address on one line, in Chinese order (province, city, district, street)."""
        parts = [self.province, self.city, self.district, self.street]
        return " ".join(p for p in parts if p) + f" ({self.recipient}, {self.phone})"


@final
@attrs.frozen(slots=True, kw_only=True)
class OrderLine:
    """One ordered item: a SKU, its name, unit price, quantity and unit weight in kg."""

    sku: str = attrs.field(validator=text("sku"))
    name: str = attrs.field(validator=text("name"))
    unit_price: Money = attrs.field()
    quantity: int = attrs.field(converter=check_quantity)
    weight_kg: Decimal = attrs.field(default=Decimal(0), converter=check_weight)

    @unit_price.validator
    def _check_price(self, _: attrs.Attribute[Money], value: Money) -> None:
        if not isinstance(value, Money):
            raise ValidationError(f"unit_price must be Money, not {type(value).__name__}")
        if value.is_negative():
            raise ValidationError(f"unit_price must not be negative: {value}")

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
    """A presale (预售) order: the shop promises to ship by ``ship_by``."""

    ship_by: DateTime = attrs.field(converter=_utc)
    deposit: Money | None = None


@final
@attrs.frozen(slots=True, kw_only=True)
class TrackingEvent:
    """One carrier scan or status update of a shipment (物流跟踪)."""

    at: DateTime = attrs.field(converter=_utc)
    description: str = attrs.field(validator=text("description"))
    location: str = ""


@final
@attrs.frozen(slots=True, kw_only=True)
class Shipment:
    """One parcel of an order: which lines left from which warehouse, with which carrier.

    ``items`` holds sorted ``(sku, quantity)`` pairs. A shipment *travels* until it is received.
    """

    id: str = attrs.field(validator=text("shipment id"))
    warehouse: str = attrs.field(validator=text("warehouse"))
    carrier: str = attrs.field(validator=text("carrier"))
    tracking_no: str = attrs.field(validator=text("tracking number"))
    items: tuple[tuple[str, int], ...] = attrs.field(converter=quantities)
    shipped_at: DateTime = attrs.field(converter=_utc)
    events: tuple[TrackingEvent, ...] = ()
    received_at: DateTime | None = attrs.field(default=None, converter=_utc_or_none)
    received_by: Actor | None = None

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


@final
@attrs.frozen(slots=True, kw_only=True)
class Cancellation:
    """Units of one line that will not be delivered, with why and who decided."""

    sku: str = attrs.field(validator=text("sku"))
    quantity: int = attrs.field(converter=check_quantity)
    reason: str = attrs.field(validator=text("reason"))
    at: DateTime = attrs.field(converter=_utc)
    actor: Actor = attrs.field(validator=attrs.validators.instance_of(Actor))

    def describe(self) -> dict[str, Any]:
        """As a plain dict."""
        return attrs.asdict(self, recurse=False)
