"""Complaints (投诉): a customer's complaint and its handling.

A complaint (:class:`Complaint`, its workflow :data:`COMPLAINT_WORKFLOW` and states
:class:`ComplaintStatus`) is replied to, recorded, judged, analysed, answered with a solution
(possibly an after-sales case it then waits on) and followed up with a visit that captures the
customer's satisfaction. It reuses the after-sales taxonomy
(:class:`~ecservice.aftersales.ProblemCategory`, :class:`~ecservice.aftersales.ProblemKind`,
:class:`~ecservice.aftersales.Liability`); its own values are :class:`ComplaintPriority`,
:class:`ComplaintChannel`, :class:`ComplaintValidity`, :class:`ComplaintCause` with its
:class:`RootCause`, :class:`ComplaintSolution`, :class:`FollowUpVisit` and :class:`ThirdParty`.
"""

from ecservice.complaints._breaches import SlaBreach
from ecservice.complaints._complaint import Complaint
from ecservice.complaints._events import (
    ComplaintAnalysed,
    ComplaintCaseResolved,
    ComplaintClosed,
    ComplaintEscalated,
    ComplaintFeedbackGiven,
    ComplaintFollowedUp,
    ComplaintJudged,
    ComplaintPaused,
    ComplaintRecorded,
    ComplaintReopened,
    ComplaintReplied,
    ComplaintResumed,
    ComplaintStatus,
    ComplaintWithdrawn,
    SlaBreached,
)
from ecservice.complaints._sla_clock import (
    CycleEnd,
    SlaCycle,
    SlaEscalation,
    SlaEvaluation,
    SlaSnapshot,
    evaluate_sla,
)
from ecservice.complaints._sla_errors import InvalidSlaPolicy, InvalidTimeline
from ecservice.complaints._sla_policy import (
    SAMR_CLOCK_RULES,
    EscalationStep,
    SlaOverride,
    SlaPolicy,
)
from ecservice.complaints._sla_rules import (
    CUSTOMER_CONTACT,
    DEFAULT_CLOCK_RULES,
    MAX_SLA_DURATION,
    ClockEvent,
    ClockRule,
    PauseState,
    SlaTarget,
    SlaTargetKind,
    TimeBasis,
    state_name,
)
from ecservice.complaints._sla_time import add_time
from ecservice.complaints._stats import ComplaintReport, TargetAttainment, complaint_report
from ecservice.complaints._values import (
    DEFAULT_REOPEN_WINDOW,
    ESCALATION_LEVELS,
    INSPECTIONS,
    MAX_ESCALATION_LEVEL,
    MAX_REOPEN_WINDOW,
    MAX_SATISFACTION,
    MIN_SATISFACTION,
    ComplaintCause,
    ComplaintChannel,
    ComplaintPriority,
    ComplaintSolution,
    ComplaintValidity,
    FollowUpVisit,
    RootCause,
    ThirdParty,
)
from ecservice.complaints._workflow import (
    CASE_ENDS,
    COMPLAINT_WORKFLOW,
    OPEN_STATES,
    WAITING_STATES,
    WORKING_STEPS,
)

__all__ = [
    "CASE_ENDS",
    "COMPLAINT_WORKFLOW",
    "CUSTOMER_CONTACT",
    "DEFAULT_CLOCK_RULES",
    "DEFAULT_REOPEN_WINDOW",
    "ESCALATION_LEVELS",
    "INSPECTIONS",
    "MAX_ESCALATION_LEVEL",
    "MAX_REOPEN_WINDOW",
    "MAX_SATISFACTION",
    "MAX_SLA_DURATION",
    "MIN_SATISFACTION",
    "OPEN_STATES",
    "SAMR_CLOCK_RULES",
    "WAITING_STATES",
    "WORKING_STEPS",
    "ClockEvent",
    "ClockRule",
    "Complaint",
    "ComplaintAnalysed",
    "ComplaintCaseResolved",
    "ComplaintCause",
    "ComplaintChannel",
    "ComplaintClosed",
    "ComplaintEscalated",
    "ComplaintFeedbackGiven",
    "ComplaintFollowedUp",
    "ComplaintJudged",
    "ComplaintPaused",
    "ComplaintPriority",
    "ComplaintRecorded",
    "ComplaintReopened",
    "ComplaintReplied",
    "ComplaintReport",
    "ComplaintResumed",
    "ComplaintSolution",
    "ComplaintStatus",
    "ComplaintValidity",
    "ComplaintWithdrawn",
    "CycleEnd",
    "EscalationStep",
    "FollowUpVisit",
    "InvalidSlaPolicy",
    "InvalidTimeline",
    "PauseState",
    "RootCause",
    "SlaBreach",
    "SlaBreached",
    "SlaCycle",
    "SlaEscalation",
    "SlaEvaluation",
    "SlaOverride",
    "SlaPolicy",
    "SlaSnapshot",
    "SlaTarget",
    "SlaTargetKind",
    "TargetAttainment",
    "ThirdParty",
    "TimeBasis",
    "add_time",
    "complaint_report",
    "evaluate_sla",
    "state_name",
]
