"""The pure half of each complaint trigger: check the arguments, return the payload.

Each ``prepare_<trigger>`` function is bound on :class:`~ecservice.complaints.Complaint` as its
``_prepare_<trigger>`` method: the typed trigger method fires the payload it returns, and
:meth:`~ecservice.workflow.Aggregate.can` calls it, so ``can`` answers ``True`` exactly when the
typed call succeeds. Every check runs before anything changes: a refused call leaves the
complaint as it was.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ecservice._shown import shown
from ecservice.aftersales import CaseStatus, Liability, ProblemKind, RemedyKind
from ecservice.complaints._breaches import SlaBreach
from ecservice.complaints._sla_clock import SlaCycle
from ecservice.complaints._values import (
    ESCALATION_LEVELS,
    INSPECTIONS,
    MAX_ESCALATION_LEVEL,
    ComplaintCause,
    ComplaintPriority,
    ComplaintSolution,
    ComplaintValidity,
    FollowUpVisit,
    RootCause,
    ThirdParty,
)
from ecservice.complaints._workflow import CASE_ENDS
from ecservice.errors import PolicyViolation, ValidationError
from ecservice.text import LONG_TEXT_MAX, check_optional_text, check_text
from ecservice.workflow import Actor
from ecservice.workflow._arguments import REQUIRED, begin, require

if TYPE_CHECKING:
    from ecservice.complaints._complaint import Complaint

__all__ = [
    "REQUIRED",
    "prepare_analyse",
    "prepare_await_customer",
    "prepare_await_inspection",
    "prepare_await_third_party",
    "prepare_case_resolved",
    "prepare_customer_unreachable",
    "prepare_escalate",
    "prepare_feedback",
    "prepare_follow_up",
    "prepare_judge",
    "prepare_record",
    "prepare_record_breach",
    "prepare_reopen",
    "prepare_reply",
    "prepare_resume",
    "prepare_withdraw",
]


def _start(complaint: Complaint, trigger: str, actor: object, note: object) -> dict[str, Any]:
    return begin(complaint, trigger, actor, note, what="complaint")


def _long(value: object, what: str) -> str:
    return check_text(value, what, limit=LONG_TEXT_MAX, multiline=True)


def _member(value: object, kind: type, what: str) -> Any:
    if not isinstance(value, kind):
        names = ", ".join(m.name for m in kind)  # type: ignore[attr-defined]
        raise ValidationError(f"{what} must be a {kind.__name__} ({names}), not {shown(value)}")
    return value


def prepare_reply(self: Complaint, *, message: object = REQUIRED, actor: Actor) -> dict[str, Any]:
    payload = _start(self, "reply", actor, "")
    require("reply", message=message)
    payload["note"] = _long(message, "a reply's message")
    return payload


def prepare_record(
    self: Complaint,
    *,
    problem: object = REQUIRED,
    summary: object = REQUIRED,
    actor: Actor,
    priority: object = None,
    note: object = "",
) -> dict[str, Any]:
    payload = _start(self, "record", actor, note)
    require("record", problem=problem, summary=summary)
    payload["problem"] = _member(problem, ProblemKind, "problem")
    payload["summary"] = _long(summary, "a complaint's summary")
    payload["priority"] = (
        self.priority if priority is None else _member(priority, ComplaintPriority, "priority")
    )
    return payload


def prepare_judge(
    self: Complaint,
    *,
    valid: object = REQUIRED,
    actor: Actor,
    liability: object = None,
    note: object = "",
) -> dict[str, Any]:
    payload = _start(self, "judge", actor, note)
    require("judge", valid=valid)
    if type(valid) is not bool:
        raise ValidationError(f"valid must be True or False, not {shown(valid)}")
    if valid:
        if liability is None:
            names = ", ".join(m.name for m in Liability)
            raise ValidationError(f"a valid complaint names who is liable ({names})")
        payload["liability"] = _member(liability, Liability, "liability")
    else:
        if liability is not None:
            raise ValidationError("an invalid complaint names nobody liable; give no liability")
        if not payload["note"]:
            raise ValidationError("an invalid complaint needs a note saying why it is not founded")
    payload["validity"] = ComplaintValidity.VALID if valid else ComplaintValidity.INVALID
    return payload


def prepare_analyse(
    self: Complaint,
    *,
    cause: object = REQUIRED,
    actor: Actor,
    root_cause: object = None,
    note: object = "",
) -> dict[str, Any]:
    payload = _start(self, "analyse", actor, note)
    require("analyse", cause=cause)
    payload["cause"] = ComplaintCause(
        text=_long(cause, "a complaint's cause"),
        root_cause=None if root_cause is None else _member(root_cause, RootCause, "root_cause"),
    )
    return payload


def prepare_feedback(
    self: Complaint,
    *,
    solution: object = REQUIRED,
    actor: Actor,
    case_id: object = None,
    remedy: object = None,
    note: object = "",
) -> dict[str, Any]:
    payload = _start(self, "feedback", actor, note)
    require("feedback", solution=solution)
    payload["solution"] = ComplaintSolution(
        text=_long(solution, "a complaint's solution"),
        case_id=None if case_id is None else check_text(case_id, "a solution's case_id"),
        remedy=None if remedy is None else _member(remedy, RemedyKind, "remedy"),
    )
    return payload


def prepare_case_resolved(
    self: Complaint,
    *,
    case_id: object = REQUIRED,
    outcome: object = REQUIRED,
    actor: Actor,
    note: object = "",
) -> dict[str, Any]:
    payload = _start(self, "case_resolved", actor, note)
    require("case_resolved", case_id=case_id, outcome=outcome)
    solution = self.solution
    # AWAITING_CASE needs a solution naming a case (checked when the complaint was built)
    assert solution is not None
    assert solution.case_id is not None
    if case_id != solution.case_id:
        raise ValidationError(
            f"{self._subject()} waits on after-sales case {solution.case_id!r}, not "
            f"{shown(case_id)}"
        )
    if not isinstance(outcome, CaseStatus) or outcome not in CASE_ENDS:
        ends = ", ".join(sorted(s.name for s in CASE_ENDS))
        raise ValidationError(f"outcome must be a CaseStatus among {ends}, not {shown(outcome)}")
    payload["case_id"] = solution.case_id
    payload["outcome"] = outcome
    return payload


def prepare_follow_up(
    self: Complaint,
    *,
    satisfaction: object = REQUIRED,
    actor: Actor,
    comment: object = "",
) -> dict[str, Any]:
    payload = _start(self, "follow_up", actor, "")
    require("follow_up", satisfaction=satisfaction)
    text = check_optional_text(comment, "a follow-up comment")
    payload["visit"] = FollowUpVisit(reached=True, satisfaction=satisfaction, comment=text)  # type: ignore[arg-type]
    payload["note"] = text
    return payload


def prepare_customer_unreachable(
    self: Complaint, *, actor: Actor, note: object = ""
) -> dict[str, Any]:
    payload = _start(self, "customer_unreachable", actor, note)
    payload["visit"] = FollowUpVisit(reached=False, comment=payload["note"])
    return payload


def prepare_escalate(self: Complaint, *, reason: object = REQUIRED, actor: Actor) -> dict[str, Any]:
    payload = _start(self, "escalate", actor, "")
    require("escalate", reason=reason)
    if self.level >= MAX_ESCALATION_LEVEL:
        top = ESCALATION_LEVELS[MAX_ESCALATION_LEVEL][0].lower()
        raise PolicyViolation(
            f"{self._subject()} is at level {self.level} ({top}), the highest; it cannot be "
            "escalated further"
        )
    payload["reason"] = payload["note"] = _long(reason, "an escalation's reason")
    return payload


def prepare_record_breach(
    self: Complaint, *, breach: object = REQUIRED, actor: Actor
) -> dict[str, Any]:
    payload = _start(self, "record_breach", actor, "")
    require("record_breach", breach=breach)
    if isinstance(breach, SlaCycle):
        breach = SlaBreach.of(breach)
    if not isinstance(breach, SlaBreach):
        raise ValidationError(f"breach must be an SlaBreach or an SlaCycle, not {shown(breach)}")
    if breach.started_at < self.opened_at:
        raise ValidationError(
            f"{self._subject()} opened at {self.opened_at.isoformat()}: a breach of a cycle "
            f"started at {breach.started_at.isoformat()} is not its own"
        )
    if any(b.key == breach.key for b in self.breaches):
        raise PolicyViolation(
            f"{self._subject()} has already recorded the breach of {breach.kind.value} "
            f"cycle #{breach.index}; a breach is recorded once"
        )
    now = self.clock.now()
    if breach.breached_at > now:
        raise PolicyViolation(
            f"the {breach.kind.value} cycle #{breach.index} of {self._subject()} is due at "
            f"{breach.breached_at.isoformat()}: it is not breached at {now.isoformat()}"
        )
    payload["breach"] = breach
    payload["note"] = breach.describe()
    return payload


def prepare_await_customer(
    self: Complaint, *, reason: object = REQUIRED, actor: Actor
) -> dict[str, Any]:
    payload = _start(self, "await_customer", actor, "")
    require("await_customer", reason=reason)
    payload["reason"] = payload["note"] = _long(reason, "what is awaited")
    return payload


def prepare_await_third_party(
    self: Complaint, *, party: object = REQUIRED, reason: object = REQUIRED, actor: Actor
) -> dict[str, Any]:
    payload = _start(self, "await_third_party", actor, "")
    require("await_third_party", party=party, reason=reason)
    payload["party"] = _member(party, ThirdParty, "party")
    payload["reason"] = payload["note"] = _long(reason, "what is awaited")
    return payload


def prepare_await_inspection(
    self: Complaint,
    *,
    party: object = ThirdParty.INSPECTION,
    reason: object = REQUIRED,
    actor: Actor,
) -> dict[str, Any]:
    payload = _start(self, "await_inspection", actor, "")
    require("await_inspection", reason=reason)
    found = _member(party, ThirdParty, "party")
    if found not in INSPECTIONS:
        raise ValidationError(
            f"await_inspection waits for one of {sorted(p.value for p in INSPECTIONS)}, not "
            f"{found.value!r}; await_third_party waits for the others"
        )
    payload["party"] = found
    payload["reason"] = payload["note"] = _long(reason, "what is awaited")
    return payload


def prepare_resume(self: Complaint, *, actor: Actor, note: object = "") -> dict[str, Any]:
    return _start(self, "resume", actor, note)


def prepare_withdraw(self: Complaint, *, actor: Actor, note: object = "") -> dict[str, Any]:
    return _start(self, "withdraw", actor, note)


def prepare_reopen(self: Complaint, *, actor: Actor, note: object = "") -> dict[str, Any]:
    payload = _start(self, "reopen", actor, note)
    closed = self.closed_at
    assert closed is not None  # CLOSED is entered by a transition
    ends = closed + self.reopen_window
    now = self.clock.now()
    if now >= ends:
        raise PolicyViolation(
            f"{self._subject()} closed at {closed.isoformat()}; its reopening window ended at "
            f"{ends.isoformat()} (it is {now.isoformat()}); open a new complaint"
        )
    return payload
