"""Order confirmation (确认订单): what the agent confirms with the buyer before the order is
handed over, and the checks the shop runs on it."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterable
from typing import Any, Final, Protocol, final, runtime_checkable

import attrs
from pendulum import DateTime

from ecservice._shown import shown
from ecservice.clock import ensure_utc
from ecservice.errors import PolicyViolation, ValidationError
from ecservice.orders import Address
from ecservice.text import LONG_TEXT_MAX, check_text, text
from ecservice.workflow import LabelledState

__all__ = [
    "MAX_ITEMS",
    "CheckFinding",
    "ConfirmationCheck",
    "ItemChoice",
    "OrderChecker",
    "OrderDetails",
    "OrderNotConfirmed",
    "check_order",
]

#: The most item lines one confirmation holds.
MAX_ITEMS: Final = 100


def _optional_short(what: str) -> Callable[[Any, Any, Any], None]:
    check = text(what)

    def validate(_: Any, __: Any, value: Any) -> None:
        if value != "":
            check(None, None, value)

    return validate


def _quantity(_: Any, __: Any, value: Any) -> None:
    if type(value) is not int or not 1 <= value <= 9999:
        raise ValidationError(
            f"an item's quantity must be an int from 1 to 9999, not {shown(value)}"
        )


@final
@attrs.frozen(slots=True, kw_only=True)
class ItemChoice:
    """One item the buyer chose, with the options confirmed (款式, 颜色, 尺码).

    Args:
        sku: the shop's item code (short text).
        style: the style or model (款式), empty when the item has none.
        colour: the colour (颜色), empty when the item has none.
        size: the size (尺码), empty when the item has none.
        quantity: how many, 1 to 9999.

    Raises:
        ValidationError: unacceptable text or a quantity out of range.
    """

    sku: str = attrs.field(validator=text("an item's sku"))
    style: str = attrs.field(default="", validator=_optional_short("an item's style"))
    colour: str = attrs.field(default="", validator=_optional_short("an item's colour"))
    size: str = attrs.field(default="", validator=_optional_short("an item's size"))
    quantity: int = attrs.field(default=1, validator=_quantity)

    def describe(self) -> str:
        """``"sku style/colour/size x quantity"``, the options present only."""
        options = "/".join(o for o in (self.style, self.colour, self.size) if o)
        return f"{self.sku}{' ' + options if options else ''} x {self.quantity}"


def _items(value: Iterable[ItemChoice]) -> tuple[ItemChoice, ...]:
    raw: object = value
    if isinstance(raw, (str, bytes)) or not isinstance(raw, Iterable):
        raise ValidationError(f"items must be an iterable of ItemChoice values, not {shown(raw)}")
    items = tuple(raw)
    if not 1 <= len(items) <= MAX_ITEMS or not all(isinstance(i, ItemChoice) for i in items):
        raise ValidationError(
            f"an order confirms 1 to {MAX_ITEMS} ItemChoice values, not {shown(items)}"
        )
    return items


def _ship_by(value: _dt.datetime | None) -> DateTime | None:
    return None if value is None else ensure_utc(value, what="presale_ship_by")


def _address(_: Any, __: Any, value: Any) -> None:
    if not isinstance(value, Address):
        raise ValidationError(f"address must be an ecservice.orders.Address, not {shown(value)}")


@final
@attrs.frozen(slots=True, kw_only=True)
class OrderDetails:
    """What the agent confirms with the buyer (确认订单): the shipping address, the items with
    their style, colour and size, the carrier, and for presale goods when they ship.

    Args:
        order_id: the order placed (short text); the session links to it by id.
        address: the shipping address.
        carrier: the carrier the shop will use (short text, the shop's code for it).
        items: the items and options, 1 to :data:`MAX_ITEMS` :class:`ItemChoice` values.
        presale_ship_by: for presale goods (预售), the promised dispatch date; an aware
            datetime, converted to UTC; ``None`` for goods in stock.

    Raises:
        NaiveDatetime: ``presale_ship_by`` has no time zone.
        ValidationError: a field of the wrong type or unacceptable text.
    """

    order_id: str = attrs.field(validator=text("an order's order_id"))
    address: Address = attrs.field(validator=_address)
    carrier: str = attrs.field(validator=text("an order's carrier"))
    items: tuple[ItemChoice, ...] = attrs.field(converter=_items)
    presale_ship_by: DateTime | None = attrs.field(default=None, converter=_ship_by)


class ConfirmationCheck(LabelledState):
    """The checks an order confirmation runs (one per point the agent confirms)."""

    ADDRESS = ("address", "Address is valid", "地址有效")
    CARRIER_REACH = ("carrier_reach", "Carrier reaches the address", "快递可达")
    ITEM_OPTION = ("item_option", "Item option exists", "款式颜色有货")
    PRESALE_DATE = ("presale_date", "Carrier can meet the presale date", "预售时间可满足")


_check_detail = text("a finding's detail", limit=LONG_TEXT_MAX, multiline=True)


def _detail(_: Any, __: Any, value: Any) -> None:
    if value != "":
        _check_detail(None, None, value)


@final
@attrs.frozen(slots=True, kw_only=True)
class CheckFinding:
    """The result of one confirmation check.

    Args:
        check: which check.
        passed: whether it passed.
        subject: what was checked: the address, the carrier, an item (:meth:`ItemChoice.describe`),
            the presale date (short text).
        detail: why it failed, as the shop's checker says (long text); empty when it passed.

    Raises:
        ValidationError: a field of the wrong type, or a failure without a detail.
    """

    check: ConfirmationCheck
    passed: bool
    subject: str = attrs.field(validator=text("a finding's subject"))
    detail: str = attrs.field(default="", validator=_detail)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.check, ConfirmationCheck) or type(self.passed) is not bool:
            raise ValidationError("a finding needs a ConfirmationCheck and a bool passed")
        if not self.passed and not self.detail:
            raise ValidationError("a failed finding says why (detail)")

    def __str__(self) -> str:
        verdict = "passed" if self.passed else f"failed: {self.detail}"
        return f"{self.check.label_en} ({self.subject}) {verdict}"


@runtime_checkable
class OrderChecker(Protocol):
    """The shop's order-confirmation checks (确认订单). Each method returns ``None`` when the
    point holds, or a short text saying what is wrong (the agent reads it to the buyer). The
    library runs every check and refuses the confirmation with :exc:`OrderNotConfirmed` naming
    each failure; an exception a method raises is the shop's own and propagates unchanged.
    """

    def address_problem(self, address: Address) -> str | None:
        """What is wrong with ``address`` (an incomplete street, a region the shop does not
        serve), or ``None``."""

    def reach_problem(self, address: Address, carrier: str) -> str | None:
        """Why ``carrier`` does not deliver to ``address`` (快递不到), or ``None``."""

    def option_problem(self, item: ItemChoice) -> str | None:
        """Why the item's style, colour or size does not exist or is not available, or
        ``None``."""

    def presale_problem(self, ship_by: DateTime, address: Address, carrier: str) -> str | None:
        """Why the presale goods cannot ship by ``ship_by`` (UTC) to ``address`` with
        ``carrier``, or ``None``."""


def _finding(check: ConfirmationCheck, subject: str, answer: object, method: str) -> CheckFinding:
    if answer is None:
        return CheckFinding(check=check, passed=True, subject=subject)
    if not isinstance(answer, str):
        raise ValidationError(
            f"OrderChecker.{method} must return a str or None, not {shown(answer)}"
        )
    detail = check_text(
        answer, f"what OrderChecker.{method} returned", limit=LONG_TEXT_MAX, multiline=True
    )
    return CheckFinding(check=check, passed=False, subject=subject, detail=detail)


def check_order(details: OrderDetails, checker: OrderChecker) -> tuple[CheckFinding, ...]:
    """Run every confirmation check on ``details``: the address, the carrier's reach, each
    item's options and, for presale goods, the presale date; one finding each, in that order.

    Raises:
        ValidationError: ``details`` not an :class:`OrderDetails`, ``checker`` not an
            :class:`OrderChecker`, or a method of it returned something else than ``None`` or
            non-blank text.
    """
    if not isinstance(details, OrderDetails):
        raise ValidationError(f"details must be an OrderDetails, not {shown(details)}")
    if not isinstance(checker, OrderChecker):
        raise ValidationError(
            "checker must implement OrderChecker (address_problem, reach_problem, "
            f"option_problem, presale_problem), not {shown(checker)}"
        )
    address, carrier = details.address, details.carrier
    where = f"{address.province} {address.city} {address.street}"
    findings = [
        _finding(C.ADDRESS, where, checker.address_problem(address), "address_problem"),
        _finding(
            C.CARRIER_REACH,
            f"{carrier} to {where}",
            checker.reach_problem(address, carrier),
            "reach_problem",
        ),
    ]
    findings.extend(
        _finding(C.ITEM_OPTION, item.describe(), checker.option_problem(item), "option_problem")
        for item in details.items
    )
    ship_by = details.presale_ship_by
    if ship_by is not None:
        findings.append(
            _finding(
                C.PRESALE_DATE,
                f"ship by {ship_by.isoformat()}",
                checker.presale_problem(ship_by, address, carrier),
                "presale_problem",
            )
        )
    return tuple(findings)


C = ConfirmationCheck


class OrderNotConfirmed(PolicyViolation):
    """The order confirmation was refused: at least one check failed. The session is unchanged;
    the message names every failed check and why.

    Args:
        order_id: the order that was being confirmed.
        failed: the failed :class:`CheckFinding` values, at least one.
    """

    def __init__(self, order_id: str, failed: Iterable[CheckFinding]) -> None:
        self.order_id = order_id
        self.failed: tuple[CheckFinding, ...] = tuple(failed)
        lines = "\n".join(f"  - {f}" for f in self.failed)
        super().__init__(f"order {order_id!r} cannot be confirmed:\n{lines}")

    @property
    def checks(self) -> frozenset[ConfirmationCheck]:
        """The checks that failed."""
        return frozenset(f.check for f in self.failed)
