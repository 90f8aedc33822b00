"""Orders: the shopping flow from cart to checkout, and the order lifecycle.

States (with the source practice's names): awaiting confirmation (待确认), processing (正在处理),
out of stock (缺货), in transit (货在途中), done (处理完毕), cancelled (已取消).
"""

from ecservice.orders._cart import CART_WORKFLOW, Cart, CartLine, CartStatus
from ecservice.orders._events import (
    LinesCancelled,
    OrderCancelled,
    OrderCompleted,
    OrderConfirmed,
    OrderMarkedOutOfStock,
    OrderPlaced,
    OrderRestocked,
    OrderStatus,
    RefundDue,
    ShipmentDispatched,
    ShipmentReceived,
    TrackingEventAdded,
)
from ecservice.orders._order import (
    ORDER_WORKFLOW,
    Order,
    OrderChange,
    all_cancelled,
    all_settled,
    apply_change,
    auto_confirm_due,
    nothing_shipped,
    nothing_travels,
    stock_restored,
)
from ecservice.orders._policy import AutoConfirmPolicy
from ecservice.orders._shipping import ShippingRate
from ecservice.orders._values import (
    Address,
    Cancellation,
    OrderLine,
    Presale,
    Shipment,
    TrackingEvent,
)

__all__ = [
    "CART_WORKFLOW",
    "ORDER_WORKFLOW",
    "Address",
    "AutoConfirmPolicy",
    "Cancellation",
    "Cart",
    "CartLine",
    "CartStatus",
    "LinesCancelled",
    "Order",
    "OrderCancelled",
    "OrderChange",
    "OrderCompleted",
    "OrderConfirmed",
    "OrderLine",
    "OrderMarkedOutOfStock",
    "OrderPlaced",
    "OrderRestocked",
    "OrderStatus",
    "Presale",
    "RefundDue",
    "Shipment",
    "ShipmentDispatched",
    "ShipmentReceived",
    "ShippingRate",
    "TrackingEvent",
    "TrackingEventAdded",
    "all_cancelled",
    "all_settled",
    "apply_change",
    "auto_confirm_due",
    "nothing_shipped",
    "nothing_travels",
    "stock_restored",
]
