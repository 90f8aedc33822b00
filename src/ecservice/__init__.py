"""ecservice: typed domain objects and state machines for e-commerce service workflows.

The names most programs need are re-exported here; everything else lives in its area
(:mod:`ecservice.orders`, :mod:`ecservice.payments`, :mod:`ecservice.workflow`, ...).

>>> from ecservice import Money, OrderStatus
>>> str(Money("12.30", "CNY")), OrderStatus.IN_TRANSIT.label_zh
('12.30 CNY', '货在途中')
"""

from importlib.metadata import PackageNotFoundError, version

from ecservice.clock import SYSTEM_CLOCK, Clock, FixedClock, SystemClock
from ecservice.errors import (
    EcServiceError,
    GuardRejected,
    InvalidTransition,
    InvalidWorkflow,
    ValidationError,
)
from ecservice.money import Currency, Money
from ecservice.orders import (
    Address,
    AutoConfirmPolicy,
    Cart,
    CartStatus,
    Order,
    OrderLine,
    OrderStatus,
    ShippingRate,
    TrackingEvent,
)
from ecservice.workflow import (
    Actor,
    Aggregate,
    TransitionRecord,
    Workflow,
    bind_workflow,
    transition,
    trigger,
)

try:
    __version__ = version("ecservice")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

__all__ = [
    "SYSTEM_CLOCK",
    "Actor",
    "Address",
    "Aggregate",
    "AutoConfirmPolicy",
    "Cart",
    "CartStatus",
    "Clock",
    "Currency",
    "EcServiceError",
    "FixedClock",
    "GuardRejected",
    "InvalidTransition",
    "InvalidWorkflow",
    "Money",
    "Order",
    "OrderLine",
    "OrderStatus",
    "ShippingRate",
    "SystemClock",
    "TrackingEvent",
    "TransitionRecord",
    "ValidationError",
    "Workflow",
    "__version__",
    "bind_workflow",
    "transition",
    "trigger",
]
