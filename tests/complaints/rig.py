"""Builders shared by the complaint tests, and complaints driven through random valid paths."""

from __future__ import annotations

import datetime as _dt
from typing import Any

import attrs
import pendulum
from hypothesis import strategies as st

from ecservice.aftersales import CaseStatus, Liability, ProblemKind, RemedyKind
from ecservice.calendar import ShopCalendar
from ecservice.clock import FixedClock
from ecservice.complaints import (
    Complaint,
    ComplaintChannel,
    ComplaintPriority,
    RootCause,
    SlaPolicy,
    ThirdParty,
)
from ecservice.workflow import Actor

BUYER = Actor.buyer("b-1")
AGENT = Actor.staff("agent-1")
START = pendulum.datetime(2026, 3, 1, 8, 0, 0, tz="UTC")
MICRO = _dt.timedelta(microseconds=1)


def new_complaint(*, clock: FixedClock | None = None, **overrides: Any) -> Complaint:
    """A new complaint by phone about 1 unit of KETTLE-1 of order O-1."""
    fields: dict[str, Any] = {
        "id": "TS-1",
        "buyer_id": "b-1",
        "text": "The kettle leaks from the base.",
        "channel": ComplaintChannel.PHONE,
        "opened_at": START,
        "order_id": "O-1",
        "lines": {"KETTLE-1": 1},
        "clock": clock if clock is not None else FixedClock(START),
    }
    fields.update(overrides)
    return Complaint(**fields)


def snapshot(complaint: Complaint) -> dict[str, Any]:
    """Every field of the complaint (the clock aside) and its queued events."""
    fields = attrs.asdict(complaint, recurse=False)
    fields.pop("clock")
    return {**fields, "history": tuple(complaint.history), "events": complaint.pending_events}


def replied(complaint: Complaint) -> Complaint:
    complaint.reply(message="We are sorry; we are looking into it.", actor=AGENT)
    return complaint


def recorded(complaint: Complaint) -> Complaint:
    replied(complaint)
    complaint.record(problem=ProblemKind.QUALITY, summary="Leaks after a week.", actor=AGENT)
    return complaint


def judged(complaint: Complaint, *, valid: bool = True) -> Complaint:
    recorded(complaint)
    if valid:
        complaint.judge(valid=True, liability=Liability.SELLER, actor=AGENT)
    else:
        complaint.judge(valid=False, actor=AGENT, note="used against the manual")
    return complaint


def analysed(complaint: Complaint) -> Complaint:
    judged(complaint)
    complaint.analyse(cause="A faulty seal batch.", root_cause=RootCause.SUPPLIER, actor=AGENT)
    return complaint


def awaiting_case(complaint: Complaint, case_id: str = "AS-1") -> Complaint:
    analysed(complaint)
    complaint.feedback(
        solution="We exchange the kettle.",
        case_id=case_id,
        remedy=RemedyKind.EXCHANGE,
        actor=AGENT,
    )
    return complaint


def closed(complaint: Complaint) -> Complaint:
    awaiting_case(complaint)
    complaint.case_resolved(case_id="AS-1", outcome=CaseStatus.EXCHANGED, actor=AGENT)
    complaint.follow_up(satisfaction=5, comment="Works well.", actor=AGENT)
    return complaint


def candidates(complaint: Complaint) -> list[tuple[str, dict[str, Any]]]:
    """Calls a complaint may accept (valid arguments; ``can`` decides which apply now)."""
    n = complaint.version + 1
    return [
        ("reply", {"message": f"Update {n}: still on it."}),
        ("record", {"problem": ProblemKind.QUALITY, "summary": "Leaks.", "note": "by phone"}),
        (
            "record",
            {
                "problem": ProblemKind.LATE_DELIVERY,
                "summary": "Late, then broken.",
                "priority": ComplaintPriority.HIGH,
            },
        ),
        ("judge", {"valid": True, "liability": Liability.SELLER}),
        ("judge", {"valid": True, "liability": Liability.CARRIER}),
        ("judge", {"valid": False, "note": "misuse"}),
        ("analyse", {"cause": "bad seal", "root_cause": RootCause.SUPPLIER}),
        ("analyse", {"cause": "rough handling"}),
        (
            "feedback",
            {"solution": "an exchange", "case_id": f"AS-{n}", "remedy": RemedyKind.EXCHANGE},
        ),
        ("feedback", {"solution": "an apology and a coupon"}),
        ("case_resolved", {"case_id": solution_case(complaint), "outcome": CaseStatus.EXCHANGED}),
        ("case_resolved", {"case_id": solution_case(complaint), "outcome": CaseStatus.WITHDRAWN}),
        ("follow_up", {"satisfaction": 1 + n % 5, "comment": "thanks"}),
        ("customer_unreachable", {"note": "three calls, no answer"}),
        ("escalate", {"reason": "the customer asks for a manager"}),
        ("await_customer", {"reason": "photos of the base"}),
        ("await_third_party", {"party": ThirdParty.TESTING, "reason": "leak test"}),
        ("await_third_party", {"party": ThirdParty.CARRIER, "reason": "parcel trace"}),
        ("resume", {"note": "answer in"}),
        ("withdraw", {"note": "the customer withdrew"}),
        ("reopen", {"note": "leaks again"}),
    ]


def solution_case(complaint: Complaint) -> str:
    solution = complaint.solution
    return "AS-0" if solution is None or solution.case_id is None else solution.case_id


ACTORS = {"withdraw": BUYER, "reopen": BUYER}
#: Calls that do not move a complaint towards its end.
SIDE_STEPS = frozenset(
    {"reply", "escalate", "await_customer", "await_third_party", "withdraw", "reopen", "record"}
)


@st.composite
def complaints(draw: st.DrawFn, *, max_steps: int = 14) -> Complaint:
    """A complaint after a random valid path, its events pulled (as a store's save would)."""
    clock = FixedClock(START)
    with_order = draw(st.booleans())
    complaint = new_complaint(
        clock=clock,
        id=draw(st.sampled_from(["TS-1", "TS-2026-000042", "投诉-7"])),
        channel=draw(st.sampled_from(list(ComplaintChannel))),
        priority=draw(st.sampled_from(list(ComplaintPriority))),
        order_id="O-1" if with_order else None,
        lines={"KETTLE-1": draw(st.integers(1, 3))} if with_order else None,
        problem=draw(st.sampled_from([None, ProblemKind.QUALITY, ProblemKind.LOST_PARCEL])),
        reopen_window=draw(
            st.sampled_from([_dt.timedelta(days=15), _dt.timedelta(days=1, microseconds=7)])
        ),
    )
    for _ in range(draw(st.integers(0, max_steps))):
        clock.set(
            clock.now() + draw(st.timedeltas(min_value=MICRO, max_value=_dt.timedelta(hours=30)))
        )
        options = [
            (trigger, {**kwargs, "actor": ACTORS.get(trigger, AGENT)})
            for trigger, kwargs in candidates(complaint)
            if complaint.can(trigger, **{**kwargs, "actor": ACTORS.get(trigger, AGENT)})
        ]
        if not options:
            break
        forward = [o for o in options if o[0] not in SIDE_STEPS]
        side = [o for o in options if o[0] in SIDE_STEPS]
        pool = side if side and (not forward or draw(st.integers(0, 3)) == 0) else forward
        trigger, kwargs = draw(st.sampled_from(pool))
        getattr(complaint, trigger)(**kwargs)
    if complaint.is_open and draw(st.booleans()):
        # what an SLA timer records: every breach so far, at its instant
        for cycle in complaint.sla(SlaPolicy.shop_default(), ShopCalendar()).breaches:
            complaint.record_breach(breach=cycle)
    complaint.pull_events()
    return complaint
