"""After-sales (售后): returns, exchanges, refunds, repairs, reships and compensation.

An after-sales case (:class:`AfterSalesCase`, its workflow :data:`CASE_WORKFLOW` and states
:class:`CaseStatus`) asks for one remedy for some lines of an order. The problem categories and
remedies (:class:`ProblemCategory`, :class:`ProblemKind`,
:class:`RemedyKind`, :class:`Liability`), the case timeouts (:class:`CaseTimeouts`), and the
shop's after-sales policy as data (:class:`AfterSalesPolicy`): windows counted in the shop's
time zone, exclusions from the 7-day no-reason return described by :class:`ItemTraits`, who
pays the return freight (:class:`ReturnFreight`), compensation bounds by
:class:`CompensationTier`, evidence, restocking fees and the remedies each problem allows.
:meth:`AfterSalesPolicy.eligible` answers with an :class:`Eligibility` that names every
:class:`Refusal` and the :class:`Deadline` values that apply. :func:`aftersales_report` gives
the after-sales, refund and dispute rates over the orders paid in a window of days
(:class:`AfterSalesReport`, :class:`Rate`, :class:`PaidOrder`) and the handling times.
"""

from ecservice.aftersales._case import AfterSalesCase
from ecservice.aftersales._case_checks import MONEY_REMEDIES
from ecservice.aftersales._case_events import (
    CaseApproved,
    CaseClosed,
    CaseEscalated,
    CaseRejected,
    CaseReopened,
    CaseRequestAmended,
    CaseRuled,
    CaseStatus,
    CaseWithdrawn,
    EvidenceAdded,
    GoodsExchanged,
    GoodsReshipped,
    RefundDecided,
    ReturnInspected,
    ReturnReceived,
    ReturnShipped,
    StaleCaseVersion,
    UnitRepaired,
)
from ecservice.aftersales._case_timers import TIMER_ACTOR
from ecservice.aftersales._case_values import (
    MAX_CASE_QUANTITY,
    MAX_PHOTOS,
    CaseLine,
    CaseRefund,
    Evidence,
    Inspection,
    PhotoReference,
    RefundSort,
    RepairAttempt,
    ReturnParcel,
    Ruling,
    ShipmentReference,
)
from ecservice.aftersales._case_workflow import (
    CASE_WORKFLOW,
    FAILED_REPAIRS_BEFORE_REPLACEMENT,
    RETURN_REMEDIES,
    refund_key,
)
from ecservice.aftersales._categories import Liability, ProblemCategory, ProblemKind, RemedyKind
from ecservice.aftersales._defaults import (
    DEFAULT_EVIDENCE,
    DEFAULT_LIABILITY,
    DEFAULT_REMEDIES,
    QUALITY_PROBLEMS,
)
from ecservice.aftersales._eligibility import Deadline, Eligibility, Refusal, Rule
from ecservice.aftersales._errors import NotEligible
from ecservice.aftersales._freight import (
    DEFAULT_COMPENSATION_BOUNDS,
    CompensationBound,
    CompensationTier,
    ReturnFreight,
)
from ecservice.aftersales._goods import (
    CONFIRMABLE_EXCLUSIONS,
    MAX_WARRANTY_DAYS,
    OUTRIGHT_EXCLUSIONS,
    EvidenceKind,
    GoodsClass,
    ItemTraits,
)
from ecservice.aftersales._policy import MAX_REPAIRS, MAX_WINDOW_DAYS, AfterSalesPolicy
from ecservice.aftersales._report_measures import (
    DEFAULT_REPORT_DAYS,
    MAX_REPORT_DAYS,
    RATE_PLACES,
    Rate,
    nearest_rank,
    report_window,
)
from ecservice.aftersales._reports import (
    AfterSalesReport,
    OutcomeCount,
    PaidOrder,
    aftersales_report,
    paid_orders,
)
from ecservice.aftersales._timeouts import MAX_TIMEOUT, CaseTimeouts
from ecservice.aftersales._windows import WindowCounting, day_start, window_end

__all__ = [
    "CASE_WORKFLOW",
    "CONFIRMABLE_EXCLUSIONS",
    "DEFAULT_COMPENSATION_BOUNDS",
    "DEFAULT_EVIDENCE",
    "DEFAULT_LIABILITY",
    "DEFAULT_REMEDIES",
    "DEFAULT_REPORT_DAYS",
    "FAILED_REPAIRS_BEFORE_REPLACEMENT",
    "MAX_CASE_QUANTITY",
    "MAX_PHOTOS",
    "MAX_REPAIRS",
    "MAX_REPORT_DAYS",
    "MAX_TIMEOUT",
    "MAX_WARRANTY_DAYS",
    "MAX_WINDOW_DAYS",
    "MONEY_REMEDIES",
    "OUTRIGHT_EXCLUSIONS",
    "QUALITY_PROBLEMS",
    "RATE_PLACES",
    "RETURN_REMEDIES",
    "TIMER_ACTOR",
    "AfterSalesCase",
    "AfterSalesPolicy",
    "AfterSalesReport",
    "CaseApproved",
    "CaseClosed",
    "CaseEscalated",
    "CaseLine",
    "CaseRefund",
    "CaseRejected",
    "CaseReopened",
    "CaseRequestAmended",
    "CaseRuled",
    "CaseStatus",
    "CaseTimeouts",
    "CaseWithdrawn",
    "CompensationBound",
    "CompensationTier",
    "Deadline",
    "Eligibility",
    "Evidence",
    "EvidenceAdded",
    "EvidenceKind",
    "GoodsClass",
    "GoodsExchanged",
    "GoodsReshipped",
    "Inspection",
    "ItemTraits",
    "Liability",
    "NotEligible",
    "OutcomeCount",
    "PaidOrder",
    "PhotoReference",
    "ProblemCategory",
    "ProblemKind",
    "Rate",
    "RefundDecided",
    "RefundSort",
    "Refusal",
    "RemedyKind",
    "RepairAttempt",
    "ReturnFreight",
    "ReturnInspected",
    "ReturnParcel",
    "ReturnReceived",
    "ReturnShipped",
    "Rule",
    "Ruling",
    "ShipmentReference",
    "StaleCaseVersion",
    "UnitRepaired",
    "WindowCounting",
    "aftersales_report",
    "day_start",
    "nearest_rank",
    "paid_orders",
    "refund_key",
    "report_window",
    "window_end",
]
