"""The checks an order's fields pass when it is built or loaded from storage."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import attrs

from ecservice._shown import shown
from ecservice.errors import CurrencyMismatch, InvalidQuantity, ValidationError
from ecservice.money import Money
from ecservice.orders._order_workflow import ORDER_WORKFLOW, _settled
from ecservice.orders._policy import AutoConfirmPolicy
from ecservice.orders._values import (
    Address,
    Cancellation,
    OrderLine,
    Presale,
    Shipment,
    _tuple_of,
)
from ecservice.text import LONG_TEXT_MAX, check_optional_text

if TYPE_CHECKING:
    from ecservice.orders._order import Order

__all__ = ["check_order"]


def _as_lines(lines: tuple[OrderLine, ...] | list[OrderLine]) -> tuple[OrderLine, ...]:
    if not isinstance(lines, tuple | list):
        raise ValidationError(f"lines must be a tuple of OrderLine, not {type(lines).__name__}")
    return tuple(lines)


def _as_shipments(value: tuple[Shipment, ...] | list[Shipment]) -> tuple[Shipment, ...]:
    return _tuple_of(value, Shipment, "shipments")


def _as_cancellations(
    value: tuple[Cancellation, ...] | list[Cancellation],
) -> tuple[Cancellation, ...]:
    return _tuple_of(value, Cancellation, "cancellations")


def _as_skus(value: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    if not isinstance(value, tuple | list):
        raise ValidationError(f"out_of_stock must be a tuple of SKUs, not {type(value).__name__}")
    return tuple(value)


def _check_policy(policy: object) -> None:
    if not isinstance(policy, AutoConfirmPolicy):
        raise ValidationError(f"policy must be an AutoConfirmPolicy, not {type(policy).__name__}")


def _remarks(_instance: Any, _attribute: Any, value: str) -> None:
    if value == "":
        return
    if check_optional_text(value, "remarks", limit=LONG_TEXT_MAX) != value:
        raise ValidationError("remarks must not start or end with white space")


def _check_presale(_instance: Any, _attribute: Any, value: Presale | None) -> None:
    if value is not None and not isinstance(value, Presale):
        raise ValidationError(f"presale must be a Presale or None, not {type(value).__name__}")


def _check_address(_instance: Any, _attribute: Any, value: Address) -> None:
    if not isinstance(value, Address):
        raise ValidationError(f"address must be an Address, not {type(value).__name__}")


def _check_lines(_instance: Any, _: attrs.Attribute[Any], lines: tuple[OrderLine, ...]) -> None:
    if not lines:
        raise InvalidQuantity("an order needs at least one line")
    first = lines[0]
    if not isinstance(first, OrderLine):
        raise ValidationError(f"order lines must be OrderLine, not {type(first).__name__}")
    currency = first.unit_price.currency
    seen: set[str] = set()
    for line in lines:
        if not isinstance(line, OrderLine):
            raise ValidationError(f"order lines must be OrderLine, not {type(line).__name__}")
        if line.sku in seen:
            raise ValidationError(f"SKU {line.sku!r} appears on two lines; merge them")
        seen.add(line.sku)
        if line.unit_price.currency is not currency and line.unit_price.currency != currency:
            raise CurrencyMismatch(currency.code, line.unit_price.currency.code, "mix")


def check_order(order: Order[Any]) -> None:
    """The checks across fields that run after attrs built ``order`` (see :class:`Order`)."""
    fee = order.shipping_fee
    if not isinstance(fee, Money):
        raise ValidationError(f"shipping_fee must be Money, not {type(fee).__name__}")
    if fee.currency is not order.currency and fee.currency != order.currency:
        raise CurrencyMismatch(order.currency.code, fee.currency.code, "mix")
    if fee.is_negative():
        raise ValidationError(f"shipping_fee must not be negative: {fee}")
    if order.presale is not None and order.presale.deposit is not None:
        deposit = order.presale.deposit
        if deposit.currency != order.currency:
            raise CurrencyMismatch(order.currency.code, deposit.currency.code, "mix")
    if order.shipments or order.cancellations or order.out_of_stock:
        _check_progress(order)
    if order.shipments or order.cancellations or order.history:
        _check_against_history(order)


#: The default workflow's triggers whose records the data must agree with.
_SHIP: Final = "ship"
_CANCELS: Final = frozenset({"cancel", "cancel_lines"})
_RECEIPTS: Final = frozenset({"confirm_receipt", "auto_confirm"})
_DEFAULT_TRIGGERS: Final = frozenset(ORDER_WORKFLOW.triggers)


def _check_against_history(order: Order[Any]) -> None:
    """Shipments, cancellations and receipts agree with the history's records.

    Every default ``ship`` adds one shipment, every ``cancel``/``cancel_lines`` at least one
    cancellation, and only ``confirm_receipt``/``auto_confirm`` mark parcels received. Only the
    default triggers' records are counted: when the history also holds records of a custom
    trigger (which may ship, cancel or confirm on its own), only the lower bounds are checked.
    """
    ships = cancels = receipts = 0
    custom = False
    for record in order.history:
        trigger = record.trigger
        if trigger == _SHIP:
            ships += 1
        elif trigger in _CANCELS:
            cancels += 1
        elif trigger in _RECEIPTS:
            receipts += 1
        elif trigger not in _DEFAULT_TRIGGERS:
            custom = True
    subject = f"order {order.id!r}"
    shipments = len(order.shipments)
    if shipments < ships or (shipments > ships and not custom):
        raise ValidationError(
            f"{subject}: shipments lists {shipments} shipment(s), but its history has "
            f"{ships} 'ship' record(s); each 'ship' adds exactly one shipment"
        )
    cancellations = len(order.cancellations)
    if cancellations < cancels:
        raise ValidationError(
            f"{subject}: cancellations lists {cancellations} cancellation(s), but its history "
            f"has {cancels} 'cancel'/'cancel_lines' record(s); each adds at least one"
        )
    if cancellations and not cancels and not custom:
        raise ValidationError(
            f"{subject}: cancellations lists {cancellations} cancellation(s), but its history "
            f"has no 'cancel' or 'cancel_lines' record"
        )
    if not receipts and not custom:
        for s in order.shipments:
            if s.received_at is not None:
                raise ValidationError(
                    f"{subject}: shipment {s.id!r} is received, but its history has no "
                    f"'confirm_receipt' or 'auto_confirm' record"
                )


def _check_progress(order: Order[Any]) -> None:
    """Shipments, cancellations and out-of-stock SKUs agree with the lines."""
    ids: set[str] = set()
    for s in order.shipments:
        if s.id in ids:
            raise ValidationError(f"order {order.id!r} has two shipments with id {s.id!r}")
        ids.add(s.id)
    done = _settled(order.shipments, order.cancellations)
    for sku, units in done.items():
        ordered = order.line(sku).quantity  # UnknownLine for a SKU the order does not have
        if units > ordered:
            raise InvalidQuantity(
                f"order {order.id!r}: {units} unit(s) of {sku!r} shipped or cancelled, "
                f"but only {ordered} ordered"
            )
    seen: set[str] = set()
    for sku in order.out_of_stock:
        if not isinstance(sku, str) or sku in seen:
            raise ValidationError(f"out_of_stock must list distinct SKUs, got {shown(sku)}")
        seen.add(sku)
        if order.line(sku).quantity - done.get(sku, 0) <= 0:
            raise InvalidQuantity(f"line {sku!r} is out of stock but has no open units")
