"""Orders and carts as documents."""

from __future__ import annotations

from typing import Final

from ecservice.clock import SYSTEM_CLOCK, Clock
from ecservice.orders import Cart, Order
from ecservice.storage._aggregate import AggregateSerializer
from ecservice.storage._document import Document

__all__ = [
    "CART_SERIALIZER",
    "ORDER_SERIALIZER",
    "dump_cart",
    "dump_order",
    "load_cart",
    "load_order",
]

#: Writes and reads :class:`~ecservice.orders.Order` objects as ``"order"`` documents.
ORDER_SERIALIZER: Final[AggregateSerializer[Order]] = AggregateSerializer(
    Order, "order", reuse_values=True
)
#: Writes and reads :class:`~ecservice.orders.Cart` objects as ``"cart"`` documents.
CART_SERIALIZER: Final[AggregateSerializer[Cart]] = AggregateSerializer(Cart, "cart")


def dump_order(order: Order) -> Document:
    """An :class:`~ecservice.orders.Order` as an ``"order"`` document.

    The body holds ``status``, ``buyer_id``, ``lines``, ``address``, ``shipping_fee``,
    ``created_at``, ``remarks``, ``presale``, ``shipments``, ``cancellations``, ``out_of_stock``
    and ``history``. An ``Order`` subclass needs a serializer of its own
    (:class:`~ecservice.storage.AggregateSerializer`).

    Raises:
        DocumentError: ``order`` is not exactly an ``Order``.
    """
    return ORDER_SERIALIZER.dump(order)


def load_order(document: object, *, clock: Clock = SYSTEM_CLOCK) -> Order:
    """The :class:`~ecservice.orders.Order` an ``"order"`` document holds, checked by its
    constructor.

    Raises:
        DocumentError: a malformed document.
        UnsupportedSchemaVersion: a schema version newer than this code's.
        ValidationError: the constructor refused the values (see "Loading an order from
            storage" in the orders guide).
    """
    return ORDER_SERIALIZER.load(document, clock=clock)


def dump_cart(cart: Cart) -> Document:
    """A :class:`~ecservice.orders.Cart` as a ``"cart"`` document (body: ``status``,
    ``buyer_id``, ``currency``, ``lines``, ``order_id``, ``history``).

    Raises:
        DocumentError: ``cart`` is not exactly a ``Cart``.
    """
    return CART_SERIALIZER.dump(cart)


def load_cart(document: object, *, clock: Clock = SYSTEM_CLOCK) -> Cart:
    """The :class:`~ecservice.orders.Cart` a ``"cart"`` document holds, checked by its constructor.

    Raises:
        DocumentError: a malformed document.
        UnsupportedSchemaVersion: a schema version newer than this code's.
        ValidationError: the constructor refused the values.
    """
    return CART_SERIALIZER.load(document, clock=clock)
