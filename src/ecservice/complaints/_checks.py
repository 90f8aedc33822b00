"""What a complaint must satisfy when it is built, in particular when it is loaded from storage
(checked by its constructor)."""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING

from ecservice._shown import shown
from ecservice.aftersales import CaseLine, CaseStatus, Liability, ProblemKind
from ecservice.complaints._breaches import SlaBreach
from ecservice.complaints._events import ComplaintStatus
from ecservice.complaints._values import (
    MAX_ESCALATION_LEVEL,
    MAX_REOPEN_WINDOW,
    ComplaintCause,
    ComplaintChannel,
    ComplaintPriority,
    ComplaintSolution,
    ComplaintValidity,
    FollowUpVisit,
    ThirdParty,
)
from ecservice.complaints._workflow import CASE_ENDS, WAITING_STATES, WORKING_STEPS
from ecservice.errors import ValidationError
from ecservice.text import LONG_TEXT_MAX, check_text

if TYPE_CHECKING:
    from ecservice.complaints._complaint import Complaint

__all__ = ["check_complaint", "check_reopen_window"]

S = ComplaintStatus
_PAUSES = frozenset({"await_customer", "await_third_party", "await_inspection"})
_VISITS = frozenset({"follow_up", "customer_unreachable"})


def check_reopen_window(value: object) -> _dt.timedelta:
    """``value`` if it is a ``datetime.timedelta`` above zero and at most
    :data:`MAX_REOPEN_WINDOW`.

    Raises:
        ValidationError: anything else.
    """
    if type(value) is not _dt.timedelta or not _dt.timedelta(0) < value <= MAX_REOPEN_WINDOW:
        raise ValidationError(
            "a complaint's reopen_window must be a datetime.timedelta above zero and at most "
            f"{MAX_REOPEN_WINDOW.days} days, not {shown(value)}"
        )
    return value


def _kind(complaint: Complaint, name: str, kind: type, *, optional: bool) -> None:
    value = getattr(complaint, name)
    if (value is None and optional) or isinstance(value, kind):
        return
    also = " or None" if optional else ""
    raise ValidationError(
        f"{complaint._subject()}: {name} must be a {kind.__name__}{also}, not {shown(value)}"
    )


def _check_fields(complaint: Complaint) -> None:
    check_text(complaint.buyer_id, "a complaint's buyer_id")
    check_text(complaint.text, "a complaint's text", limit=LONG_TEXT_MAX, multiline=True)
    required: tuple[tuple[str, type], ...] = (
        ("channel", ComplaintChannel),
        ("priority", ComplaintPriority),
    )
    for name, kind in required:
        _kind(complaint, name, kind, optional=False)
    optional: tuple[tuple[str, type], ...] = (
        ("problem", ProblemKind),
        ("validity", ComplaintValidity),
        ("liability", Liability),
        ("cause", ComplaintCause),
        ("solution", ComplaintSolution),
        ("case_outcome", CaseStatus),
        ("visit", FollowUpVisit),
        ("paused_from", ComplaintStatus),
        ("waiting_for", ThirdParty),
    )
    for name, kind in optional:
        _kind(complaint, name, kind, optional=True)
    if complaint.order_id is not None:
        check_text(complaint.order_id, "a complaint's order_id")
    if complaint.summary is not None:
        check_text(complaint.summary, "a complaint's summary", limit=LONG_TEXT_MAX, multiline=True)
    lines = complaint.lines
    if not isinstance(lines, tuple) or not all(isinstance(line, CaseLine) for line in lines):
        raise ValidationError(f"{complaint._subject()}: lines must be CaseLine values")
    if lines and complaint.order_id is None:
        raise ValidationError(f"{complaint._subject()}: order lines need the order's order_id")
    level = complaint.level
    if type(level) is not int or not 0 <= level <= MAX_ESCALATION_LEVEL:
        raise ValidationError(
            f"{complaint._subject()}: level must be a whole number from 0 to "
            f"{MAX_ESCALATION_LEVEL}, not {shown(level)}"
        )
    check_reopen_window(complaint.reopen_window)
    if complaint.case_outcome is not None and complaint.case_outcome not in CASE_ENDS:
        raise ValidationError(
            f"{complaint._subject()}: case_outcome {complaint.case_outcome.name} is not an end "
            "of an after-sales case"
        )
    if complaint.paused_from is not None and complaint.paused_from not in WORKING_STEPS:
        raise ValidationError(
            f"{complaint._subject()}: paused_from {complaint.paused_from.name} is not a step a "
            "complaint waits in"
        )


def check_complaint(complaint: Complaint) -> None:
    """Check every field of ``complaint`` and that they agree with its state and history.

    Raises:
        ValidationError: (or a subclass) the first problem found.
    """
    _check_fields(complaint)
    history = complaint.history
    if history and history[0].at < complaint.opened_at:
        raise ValidationError(
            f"{complaint._subject()}: its first transition ({history[0].at}) is before it was "
            f"opened ({complaint.opened_at})"
        )
    recorded = judged = analysed = fed = resolved = visited = False
    escalations = 0
    pause_source: object = None
    for record in history:
        trigger = record.trigger
        if trigger == "record":
            recorded = True
        elif trigger == "judge":
            judged = True
        elif trigger == "analyse":
            analysed = True
        elif trigger == "feedback":
            fed = True
        elif trigger == "case_resolved":
            resolved = True
        elif trigger in _VISITS:
            visited = True
        elif trigger == "escalate":
            escalations += 1
        elif trigger in _PAUSES:
            pause_source = record.source
        elif trigger == "resume":
            if record.dest is not pause_source:
                raise ValidationError(
                    f"{complaint._subject()}: version {record.version} resumes at "
                    f"{record.dest.name}, not at the step it waited in ({shown(pause_source)})"
                )
            pause_source = None
        elif trigger == "withdraw":
            pause_source = None
        elif trigger == "reopen":
            judged = analysed = fed = resolved = visited = False
    _agree(complaint, recorded, judged, analysed, fed, resolved, visited)
    _check_breaches(complaint)
    status = complaint.status
    if complaint.level != escalations:
        raise ValidationError(
            f"{complaint._subject()}: level {complaint.level}, but its history escalates it "
            f"{escalations} time(s)"
        )
    waiting = status in WAITING_STATES
    if waiting and complaint.paused_from is not pause_source:
        raise ValidationError(
            f"{complaint._subject()} in {status.name}: paused_from must be the step it left, "
            f"{shown(pause_source)}, not {shown(complaint.paused_from)}"
        )
    if not waiting and complaint.paused_from is not None:
        raise ValidationError(f"{complaint._subject()} in {status.name} has a paused_from")
    if (complaint.waiting_for is not None) is not (status is S.AWAITING_THIRD_PARTY):
        verb = "needs" if status is S.AWAITING_THIRD_PARTY else "cannot have"
        raise ValidationError(f"{complaint._subject()} in {status.name} {verb} waiting_for")


def _check_breaches(complaint: Complaint) -> None:
    """One breach per ``record_breach`` record, in its order, described by its note, recorded
    at or after its instant, of a cycle started at or after the opening, no cycle twice."""
    breaches = complaint.breaches
    subject = complaint._subject()
    if not isinstance(breaches, tuple) or not all(isinstance(b, SlaBreach) for b in breaches):
        raise ValidationError(f"{subject}: breaches must be SlaBreach values")
    records = [r for r in complaint.history if r.trigger == "record_breach"]
    if len(records) != len(breaches):
        raise ValidationError(
            f"{subject}: {len(breaches)} breach(es), but its history records {len(records)}"
        )
    seen: set[object] = set()
    for record, breach in zip(records, breaches, strict=True):
        if record.note != breach.describe():
            raise ValidationError(
                f"{subject}: version {record.version} records {record.note!r}, not the breach "
                f"{breach.describe()!r}"
            )
        if breach.breached_at > record.at:
            raise ValidationError(
                f"{subject}: version {record.version} at {record.at.isoformat()} records a "
                f"breach of {breach.breached_at.isoformat()}, before it happened"
            )
        if breach.started_at < complaint.opened_at:
            raise ValidationError(
                f"{subject}: the breached {breach.kind.value} cycle #{breach.index} started "
                "before the complaint was opened"
            )
        if breach.key in seen:
            raise ValidationError(
                f"{subject}: the breach of {breach.kind.value} cycle #{breach.index} is "
                "recorded twice"
            )
        seen.add(breach.key)


def _agree(
    complaint: Complaint,
    recorded: bool,
    judged: bool,
    analysed: bool,
    fed: bool,
    resolved: bool,
    visited: bool,
) -> None:
    """The data of each step is there exactly when the history (since the last reopening)
    took that step."""
    subject = complaint._subject()
    for name, present, wanted in (
        ("summary", complaint.summary is not None, recorded),
        ("validity", complaint.validity is not None, judged),
        ("cause", complaint.cause is not None, analysed),
        ("solution", complaint.solution is not None, fed),
        ("case_outcome", complaint.case_outcome is not None, resolved),
        ("visit", complaint.visit is not None, visited),
    ):
        if present is not wanted:
            verb = "needs" if wanted else "cannot have"
            raise ValidationError(f"{subject}: its history {verb} {name}")
    if recorded and complaint.problem is None:
        raise ValidationError(f"{subject}: a recorded complaint needs its problem")
    valid = complaint.validity is ComplaintValidity.VALID
    if (complaint.liability is not None) is not valid:
        raise ValidationError(
            f"{subject}: a valid complaint names who is liable, an invalid or unjudged one nobody"
        )
    if analysed and not valid:
        raise ValidationError(f"{subject}: only a valid complaint is analysed")
    solution = complaint.solution
    case_named = solution is not None and solution.case_id is not None
    if fed and not analysed and (valid or case_named):
        raise ValidationError(
            f"{subject}: feedback without analysis is for an invalid complaint, without a case"
        )
    if resolved and not case_named:
        raise ValidationError(f"{subject}: an after-sales outcome needs a solution naming a case")
    status = complaint.status
    if status is S.AWAITING_CASE and not case_named:
        raise ValidationError(f"{subject} in AWAITING_CASE needs a solution naming a case")
    if status is S.FOLLOW_UP and case_named and not resolved:
        raise ValidationError(
            f"{subject} in FOLLOW_UP names an after-sales case that has not reached its end"
        )
