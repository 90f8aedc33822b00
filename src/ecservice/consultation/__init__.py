"""Pre-sale consultation (售前咨询): a buyer's chat with customer service before buying, run
through the reception flow (接待流程), and its service KPIs.

A :class:`ConsultationSession` (its workflow :data:`CONSULTATION_WORKFLOW`, states
:class:`ConsultationStatus`) greets the buyer, takes enquiries (:class:`EnquiryType`, as data:
:data:`DEFAULT_ENQUIRY_TYPES`), recommends items, handles objections (:class:`ObjectionKind`),
closes the deal, confirms the order (:class:`OrderDetails`, checked by the shop's
:class:`OrderChecker`), says goodbye and hands the order over for shipping with remarks
(:class:`Remark`) that must be followed up. Its chat :class:`Message` values give response
times (:func:`responses`, under a :class:`ResponsePolicy`), and :func:`consultation_report`
gives the KPIs over a window of the shop's days.
"""

from ecservice.consultation._confirmation import (
    MAX_ITEMS,
    CheckFinding,
    ConfirmationCheck,
    ItemChoice,
    OrderChecker,
    OrderDetails,
    OrderNotConfirmed,
    check_order,
)
from ecservice.consultation._errors import RemarksOpen
from ecservice.consultation._events import (
    ClosingAttempted,
    ConsultationCompleted,
    ConsultationEnded,
    ConsultationGreeted,
    ConsultationOrderConfirmed,
    ConsultationStatus,
    ConsultationTransferred,
    EnquiryTaken,
    FarewellSaid,
    HandedOver,
    ObjectionHandled,
    ProductRecommended,
    RemarkFollowedUp,
)
from ecservice.consultation._prepare import MAX_REMARKS
from ecservice.consultation._privacy import ConsultationErasure, ConsultationErasureResult
from ecservice.consultation._report import (
    DEFAULT_DAYS,
    ConsultationReport,
    EnquiryConversion,
    OpenRemark,
    consultation_report,
)
from ecservice.consultation._responses import (
    DEFAULT_FIRST_RESPONSE_TARGET,
    DEFAULT_RESPONSE_TARGET,
    MAX_RESPONSE_TARGET,
    Response,
    ResponseBasis,
    ResponsePolicy,
    responses,
)
from ecservice.consultation._session import ConsultationSession
from ecservice.consultation._values import (
    DEFAULT_ENQUIRY_TYPES,
    ENQUIRY_FREIGHT,
    ENQUIRY_OTHER,
    ENQUIRY_PRESALE,
    ENQUIRY_PRODUCT,
    ENQUIRY_PROMOTION,
    ENQUIRY_SIZE,
    ENQUIRY_STOCK,
    MAX_MESSAGE_LENGTH,
    Enquiry,
    EnquiryType,
    Message,
    ObjectionKind,
    Remark,
    Sender,
)
from ecservice.consultation._workflow import (
    CONSULTATION_WORKFLOW,
    END_STATES,
    OPEN_STATES,
    PRE_ORDER_STATES,
    SELLING_STATES,
)

__all__ = [
    "CONSULTATION_WORKFLOW",
    "DEFAULT_DAYS",
    "DEFAULT_ENQUIRY_TYPES",
    "DEFAULT_FIRST_RESPONSE_TARGET",
    "DEFAULT_RESPONSE_TARGET",
    "END_STATES",
    "ENQUIRY_FREIGHT",
    "ENQUIRY_OTHER",
    "ENQUIRY_PRESALE",
    "ENQUIRY_PRODUCT",
    "ENQUIRY_PROMOTION",
    "ENQUIRY_SIZE",
    "ENQUIRY_STOCK",
    "MAX_ITEMS",
    "MAX_MESSAGE_LENGTH",
    "MAX_REMARKS",
    "MAX_RESPONSE_TARGET",
    "OPEN_STATES",
    "PRE_ORDER_STATES",
    "SELLING_STATES",
    "CheckFinding",
    "ClosingAttempted",
    "ConfirmationCheck",
    "ConsultationCompleted",
    "ConsultationEnded",
    "ConsultationErasure",
    "ConsultationErasureResult",
    "ConsultationGreeted",
    "ConsultationOrderConfirmed",
    "ConsultationReport",
    "ConsultationSession",
    "ConsultationStatus",
    "ConsultationTransferred",
    "Enquiry",
    "EnquiryConversion",
    "EnquiryTaken",
    "EnquiryType",
    "FarewellSaid",
    "HandedOver",
    "ItemChoice",
    "Message",
    "ObjectionHandled",
    "ObjectionKind",
    "OpenRemark",
    "OrderChecker",
    "OrderDetails",
    "OrderNotConfirmed",
    "ProductRecommended",
    "Remark",
    "RemarkFollowedUp",
    "RemarksOpen",
    "Response",
    "ResponseBasis",
    "ResponsePolicy",
    "Sender",
    "check_order",
    "consultation_report",
    "responses",
]
