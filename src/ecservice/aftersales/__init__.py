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
:class:`Refusal` and the :class:`Deadline` values that apply.
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
from ecservice.aftersales._timeouts import MAX_TIMEOUT, CaseTimeouts
from ecservice.aftersales._windows import WindowCounting, day_start, window_end

__all__ = [
    "CASE_WORKFLOW",
    "CONFIRMABLE_EXCLUSIONS",
    "DEFAULT_COMPENSATION_BOUNDS",
    "DEFAULT_EVIDENCE",
    "DEFAULT_LIABILITY",
    "DEFAULT_REMEDIES",
    "FAILED_REPAIRS_BEFORE_REPLACEMENT",
    "MAX_CASE_QUANTITY",
    "MAX_PHOTOS",
    "MAX_REPAIRS",
    "MAX_TIMEOUT",
    "MAX_WARRANTY_DAYS",
    "MAX_WINDOW_DAYS",
    "MONEY_REMEDIES",
    "OUTRIGHT_EXCLUSIONS",
    "QUALITY_PROBLEMS",
    "RETURN_REMEDIES",
    "TIMER_ACTOR",
    "AfterSalesCase",
    "AfterSalesPolicy",
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
    "PhotoReference",
    "ProblemCategory",
    "ProblemKind",
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
    "day_start",
    "refund_key",
    "window_end",
]
