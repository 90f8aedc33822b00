"""Use cases that span aggregates and storage.

Each use case loads what it needs through a unit of work
(:meth:`~ecservice.storage.Store.unit_of_work`), calls the domain, saves what changed and commits
once, through :func:`~ecservice.storage.run_in_transaction`: a transient failure or a concurrent
change runs it again from the stored state. Gateway calls carry idempotency keys derived from the
stored state, so a use case run again after a crash converges and moves money once.

>>> import pendulum
>>> from ecservice import Actor, Cart, FixedClock, Money
>>> from ecservice.orders import Address, ShippingRate
>>> from ecservice.payments import InMemoryGateway, Instrument, InstrumentKind
>>> from ecservice.storage import MemoryStore
>>> clock = FixedClock(pendulum.datetime(2026, 11, 11, 10, tz="Asia/Shanghai"))
>>> store, gateway = MemoryStore(clock=clock), InMemoryGateway()
>>> buyer = Actor.buyer("u-1")
>>> cart = Cart.open("C-1", buyer_id="u-1", currency="CNY", clock=clock)
>>> _ = cart.add_line("TEA-1", "Longjing tea", Money("88.00", "CNY"), 2, actor=buyer)
>>> with store.unit_of_work() as uow:
...     uow.carts.add(cart)
...     uow.commit()
>>> service = OrderService(store, gateway, clock=clock)
>>> order = service.place_order(
...     "C-1", "O-1", actor=buyer, shipping=ShippingRate.per_kg(
...         first_fee=Money("10.00", "CNY"), additional_fee=Money("6.00", "CNY")),
...     address=Address(recipient="Li Lei", phone="13800138000", province="Zhejiang",
...                     city="Hangzhou", street="1 West Lake Road"))
>>> card = Instrument(InstrumentKind.CARD, "tok_1")
>>> gateway.fund(card, Money("500.00", "CNY"))
>>> outcome = service.pay("O-1", card)
>>> outcome.paid, outcome.payment_id, outcome.order_status.name
(True, 'O-1-PAY', 'PROCESSING')
>>> service.pay("O-1", card) == outcome  # run again: nothing moves
True
>>> gateway.merchant_balance("CNY")
Money('186.00', 'CNY')
"""

from typing import TYPE_CHECKING, Any

from ecservice.application._aftersales import AfterSalesService
from ecservice.application._claims import claimed_units, claims_units, refunded_for_cancelled
from ecservice.application._complaints import ComplaintService
from ecservice.application._consultations import ConsultationService
from ecservice.application._disclosure import DisclosedDetails, DisclosureService
from ecservice.application._feedback import FeedbackService, FeedbackTimerRun
from ecservice.application._order_view import (
    CaseShipment,
    CaseSummary,
    LineAfterSales,
    OrderAfterSales,
)
from ecservice.application._orders import OrderService, PaymentOutcome, payment_id, payments_of
from ecservice.application._privacy import OrderErasure, PrivacyService, scrub_payload
from ecservice.application._ratings import RatingService, rating_id
from ecservice.application._surveys import SurveyService, survey_id

if TYPE_CHECKING:
    from ecservice.application._ebills import EbillService, draft_payment_id
    from ecservice.application._ecash_payments import EcashPaymentService
    from ecservice.application._purse_payments import PursePaymentService
    from ecservice.application._wallet_payments import WalletPaymentService

__all__ = [
    "AfterSalesService",
    "CaseShipment",
    "CaseSummary",
    "ComplaintService",
    "ConsultationService",
    "DisclosedDetails",
    "DisclosureService",
    "EbillService",
    "EcashPaymentService",
    "FeedbackService",
    "FeedbackTimerRun",
    "LineAfterSales",
    "OrderAfterSales",
    "OrderErasure",
    "OrderService",
    "PaymentOutcome",
    "PrivacyService",
    "PursePaymentService",
    "RatingService",
    "SurveyService",
    "WalletPaymentService",
    "claimed_units",
    "claims_units",
    "draft_payment_id",
    "payment_id",
    "payments_of",
    "rating_id",
    "refunded_for_cancelled",
    "scrub_payload",
    "survey_id",
]


#: Names served from ``_ebills``, imported on first use: drafts need the ``crypto`` extra.
_EBILL_NAMES: frozenset[str] = frozenset({"EbillService", "draft_payment_id"})


def __getattr__(name: str) -> Any:
    if name == "WalletPaymentService":
        try:
            from ecservice.application import _wallet_payments
        except ImportError as exc:
            raise ImportError(
                f"ecservice.application.{name} needs the crypto extra: "
                "pip install 'ecservice[crypto]'"
            ) from exc
        return _wallet_payments.WalletPaymentService
    if name == "EcashPaymentService":
        try:
            from ecservice.application import _ecash_payments
        except ImportError as exc:
            raise ImportError(
                f"ecservice.application.{name} needs the crypto extra: "
                "pip install 'ecservice[crypto]'"
            ) from exc
        return _ecash_payments.EcashPaymentService
    if name == "PursePaymentService":
        try:
            from ecservice.application import _purse_payments
        except ImportError as exc:
            raise ImportError(
                f"ecservice.application.{name} needs the crypto extra: "
                "pip install 'ecservice[crypto]'"
            ) from exc
        return _purse_payments.PursePaymentService
    if name in _EBILL_NAMES:
        try:
            from ecservice.application import _ebills
        except ImportError as exc:
            raise ImportError(
                f"ecservice.application.{name} needs the crypto extra: "
                "pip install 'ecservice[crypto]'"
            ) from exc
        return getattr(_ebills, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
