"""Orders: the shopping flow from cart to checkout, and the order lifecycle.

States (with the source practice's names): awaiting confirmation (待确认), processing (正在处理),
out of stock (缺货), in transit (货在途中), done (处理完毕), cancelled (已取消).
"""

from ecservice.orders._auto_confirm import auto_confirm_due
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
from ecservice.orders._order import TRACKING_LEAD, Order, OS_co
from ecservice.orders._order_workflow import (
    ORDER_WORKFLOW,
    OrderChange,
    all_cancelled,
    all_settled,
    apply_change,
    nothing_shipped,
    nothing_travels,
    stock_restored,
)
from ecservice.orders._policy import MAX_AUTO_CONFIRM_DAYS, AutoConfirmPolicy
from ecservice.orders._privacy import (
    ERASED,
    ERASED_PHONE,
    ErasurePolicy,
    ErasureResult,
    PersonalDataErased,
    PersonalValues,
    erased_address,
    is_erased_address,
)
from ecservice.orders._shipping import MIN_WEIGHT_STEP_KG, ShippingRate
from ecservice.orders._values import (
    MAX_QUANTITY,
    MAX_WEIGHT_KG,
    Address,
    Cancellation,
    OrderLine,
    Presale,
    Shipment,
    TrackingEvent,
)

__all__ = [
    "CART_WORKFLOW",
    "ERASED",
    "ERASED_PHONE",
    "MAX_AUTO_CONFIRM_DAYS",
    "MAX_QUANTITY",
    "MAX_WEIGHT_KG",
    "MIN_WEIGHT_STEP_KG",
    "ORDER_WORKFLOW",
    "TRACKING_LEAD",
    "Address",
    "AutoConfirmPolicy",
    "Cancellation",
    "Cart",
    "CartLine",
    "CartStatus",
    "ErasurePolicy",
    "ErasureResult",
    "LinesCancelled",
    "OS_co",
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
    "PersonalDataErased",
    "PersonalValues",
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
    "erased_address",
    "is_erased_address",
    "nothing_shipped",
    "nothing_travels",
    "stock_restored",
]
