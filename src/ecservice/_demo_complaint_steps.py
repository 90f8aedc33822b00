"""How one complaint of ``ecservice demo`` goes: its script (drawn once from its id), when the
desk, the customer or a third party next acts on it, and what each step does.

Private to the demo (:mod:`ecservice._demo_complaints` runs it). Every instant is a pure function
of the stored complaint and its script, so a continued run takes a complaint on at the same
instants as an uninterrupted one. Agents work in the working hours of :data:`CALENDAR`; the
customer and third parties act at any hour. The shares and delays are simulation choices.
"""

from __future__ import annotations

import datetime as _dt
import enum
import hashlib
import random
from collections.abc import Callable, Iterable
from typing import Any, Final

import attrs
from pendulum import DateTime

from ecservice._demo_aftersales import ZONE
from ecservice._demo_shop import STAFF
from ecservice.aftersales import Liability, ProblemCategory, ProblemKind, RemedyKind
from ecservice.calendar import ShopCalendar
from ecservice.complaints import (
    CUSTOMER_CONTACT,
    INSPECTIONS,
    MAX_ESCALATION_LEVEL,
    Complaint,
    ComplaintChannel,
    ComplaintPriority,
    ComplaintStatus,
    RootCause,
    SlaPolicy,
    SlaTargetKind,
    ThirdParty,
    TimeBasis,
)
from ecservice.workflow import Actor

__all__ = [
    "CALENDAR",
    "CASE_REMEDIES",
    "CHANGES",
    "HOUR",
    "POLICY",
    "SOLUTIONS",
    "TEXTS",
    "ComplaintScript",
    "Step",
    "done_with",
    "next_step",
    "pick",
    "problem_of",
    "rng_of",
]

S = ComplaintStatus
K = SlaTargetKind

#: The demo's service levels.
POLICY: Final = SlaPolicy.shop_default()
#: The shop's working calendar; due dates in years whose holidays are not confirmed yet use
#: the holiday source's predicted days.
CALENDAR: Final = ShopCalendar(zone=ZONE, accept_predicted=True)
#: The buyer's words, one text per problem (the desk reads the problem back from them).
TEXTS: Final = {
    ProblemKind.PRESALE_ATTITUDE: "The agent was rude when I asked about the size.",
    ProblemKind.MISLEADING_SALES: "The agent promised a gift that is not in the order.",
    ProblemKind.LATE_DELIVERY: "The parcel is days late and the tracking does not move.",
    ProblemKind.LOST_PARCEL: "The tracking says delivered but nothing arrived.",
    ProblemKind.COURIER_ATTITUDE: "The courier threw the parcel over the gate.",
    ProblemKind.QUALITY: "It broke after two days of normal use.",
    ProblemKind.WRONG_ITEM: "I received another model than the one I ordered.",
    ProblemKind.MISSING_OR_EXTRA: "One item of the order is missing from the box.",
    ProblemKind.NOT_AS_PICTURED: "The colour is nothing like the listing's photos.",
    ProblemKind.DEFECT: "It does not switch on.",
    ProblemKind.AFTERSALES_ATTITUDE: "My return request was ignored for days.",
}
_PROBLEM_OF: Final = {text: problem for problem, text in TEXTS.items()}
#: The remedy of the after-sales case that resolves a valid complaint about a delivered order.
CASE_REMEDIES: Final = {
    ProblemKind.QUALITY: RemedyKind.EXCHANGE,
    ProblemKind.WRONG_ITEM: RemedyKind.EXCHANGE,
    ProblemKind.MISSING_OR_EXTRA: RemedyKind.REFUND_ONLY,
    ProblemKind.NOT_AS_PICTURED: RemedyKind.RETURN_AND_REFUND,
    ProblemKind.DEFECT: RemedyKind.REPAIR,
    ProblemKind.LATE_DELIVERY: RemedyKind.COMPENSATION,
}
_ROOT_CAUSES: Final = {
    ProblemKind.QUALITY: RootCause.SUPPLIER,
    ProblemKind.DEFECT: RootCause.PRODUCT,
    ProblemKind.WRONG_ITEM: RootCause.WAREHOUSE,
    ProblemKind.MISSING_OR_EXTRA: RootCause.WAREHOUSE,
    ProblemKind.NOT_AS_PICTURED: RootCause.LISTING,
}
_CHANNELS: Final = (
    (ComplaintChannel.CHAT, 0.55),
    (ComplaintChannel.PHONE, 0.15),
    (ComplaintChannel.PLATFORM, 0.15),
    (ComplaintChannel.EMAIL, 0.06),
    (ComplaintChannel.SOCIAL_MEDIA, 0.05),
    (ComplaintChannel.REGULATOR, 0.04),
)
_PRIORITIES: Final = (
    (ComplaintPriority.LOW, 0.10),
    (ComplaintPriority.NORMAL, 0.65),
    (ComplaintPriority.HIGH, 0.20),
    (ComplaintPriority.URGENT, 0.05),
)
_SCORES: Final = ((5, 0.45), (4, 0.30), (3, 0.13), (2, 0.07), (1, 0.05))
_TIMER: Final = Actor.system("sla-timer")
HOUR: Final = _dt.timedelta(hours=1)
_MIN: Final = _dt.timedelta(minutes=1)


def pick(rng: random.Random, shares: Iterable[tuple[Any, float]]) -> Any:
    roll, last = rng.random(), None
    for value, share in shares:
        last = value
        if roll < share:
            return value
        roll -= share
    return last


def rng_of(*parts: object) -> random.Random:
    digest = hashlib.sha256("/".join(map(str, parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


@attrs.frozen
class ComplaintScript:
    """How one complaint goes, drawn once from its id: who complains how, how fast its agent
    is, and what the customer does."""

    channel: ComplaintChannel
    priority: ComplaintPriority
    slow: bool  # the agent is slow: some targets are breached
    asks_customer: bool  # the agent asks the customer for photos or details (a pause)
    valid: bool
    with_case: bool  # a valid product complaint is resolved by an after-sales case
    escalates: bool  # the customer asks for a supervisor after the first reply
    withdraws: bool
    reopens: bool  # the customer reopens the complaint days after the visit
    reopen_days: int
    reached: bool  # the follow-up visit reaches the customer
    score: int  # their satisfaction before anything went wrong
    party_hours: int  # how long a carrier or an inspection takes to report

    @classmethod
    def of(cls, complaint_id: str) -> ComplaintScript:
        r = rng_of(complaint_id)
        channel = pick(r, _CHANNELS)
        priority = pick(r, _PRIORITIES)
        if channel in (ComplaintChannel.REGULATOR, ComplaintChannel.SOCIAL_MEDIA):
            priority = ComplaintPriority.URGENT if r.random() < 0.4 else ComplaintPriority.HIGH
        return cls(
            channel=channel,
            priority=priority,
            slow=r.random() < 0.2,
            asks_customer=r.random() < 0.25,
            valid=r.random() < 0.85,
            with_case=r.random() < 0.8,
            escalates=r.random() < 0.06,
            withdraws=r.random() < 0.05,
            reopens=r.random() < 0.12,
            reopen_days=r.randint(1, 6),
            reached=r.random() < 0.85,
            score=pick(r, _SCORES),
            party_hours=r.randint(20, 72),
        )


class Step(enum.Enum):
    """What the desk does next to a complaint."""

    OPEN = "open"
    REPLY = "reply"
    UPDATE = "update"
    ESCALATE = "escalate"
    WITHDRAW = "withdraw"
    RECORD = "record"
    ASK = "ask"
    AWAIT_PARTY = "await_party"
    RESUME = "resume"
    JUDGE = "judge"
    ANALYSE = "analyse"
    FEEDBACK = "feedback"
    CHECK_CASE = "check_case"
    VISIT = "visit"
    REOPEN = "reopen"


def problem_of(complaint: Complaint) -> ProblemKind:
    """The complaint's problem: recorded, or read from the buyer's words."""
    return complaint.problem or _PROBLEM_OF[complaint.text]


def _party(problem: ProblemKind) -> ThirdParty | None:
    if problem in (ProblemKind.LATE_DELIVERY, ProblemKind.LOST_PARCEL):
        return ThirdParty.CARRIER
    if problem in (ProblemKind.QUALITY, ProblemKind.DEFECT):
        return ThirdParty.INSPECTION
    return None


def _target(complaint: Complaint, kind: SlaTargetKind) -> tuple[_dt.timedelta, bool]:
    """The target's duration and whether it counts working time."""
    found = POLICY.target(complaint.priority, kind, complaint.problem)
    if found is None:  # every priority of the default policy has every target
        return _dt.timedelta(days=1), False
    return found.duration, found.basis is TimeBasis.BUSINESS


def _working(start: DateTime, duration: _dt.timedelta) -> DateTime:
    return CALENDAR.add(start, duration)


def next_step(
    complaint: Complaint, script: ComplaintScript, today: DateTime, *, checked: bool
) -> tuple[DateTime, Step] | None:
    """When the desk, the customer or a third party next acts on ``complaint``, and how; a pure
    function of the stored complaint (``today``: the start of the simulated day, for checks on
    an after-sales case; ``checked``: whether the case was checked today)."""
    desk = [r for r in complaint.history if r.actor != _TIMER]
    r = rng_of(complaint.id, len(desk))
    pace = r.uniform(1.5, 4.0) if script.slow else 1.0
    first = complaint.reopen_count == 0
    s = complaint.status
    candidates: list[tuple[DateTime, Step]] = []

    def work(since: DateTime, low: float, high: float) -> DateTime:
        return _working(since, r.uniform(low, high) * pace * HOUR)

    def after(since: DateTime, low: float, high: float) -> DateTime:
        return since + r.uniform(low, high) * HOUR

    def entered() -> DateTime:
        return complaint.entered_at(s) or complaint.opened_at

    contacts = [x.at for x in complaint.history if x.trigger in CUSTOMER_CONTACT]
    if s is S.RECEIVED:
        duration, business = _target(complaint, K.FIRST_REPLY)
        share = r.uniform(0.6, 2.5) if script.slow else r.uniform(0.05, 0.6)
        at = complaint.opened_at + duration * share
        if business:
            at = _working(complaint.opened_at, duration * share)
        candidates.append((at, Step.REPLY))
    elif s is S.CLOSED:
        visit = complaint.visit
        if first and script.reopens and visit is not None:
            closed = complaint.closed_at or complaint.opened_at
            candidates.append(
                (after(closed, 24 * script.reopen_days, 24 * script.reopen_days + 9), Step.REOPEN)
            )
    elif s is S.AWAITING_CUSTOMER:
        candidates.append((after(complaint.waiting_since or entered(), 1, 30), Step.RESUME))
    elif s is S.FOLLOW_UP:
        candidates.append((work(entered(), 2, 12), Step.VISIT))
    else:
        last = desk[-1] if desk else None
        if last is not None and last.trigger == "resume" and last.source is S.AWAITING_CUSTOMER:
            duration, _ = _target(complaint, K.NEXT_REPLY)
            share = r.uniform(0.5, 1.6) if script.slow else r.uniform(0.05, 0.6)
            candidates.append((_working(last.at, duration * share), Step.REPLY))
        elif s is S.REPLIED:
            asked = any(x.trigger == "escalate" and x.actor != _TIMER for x in desk)
            if first and script.escalates and not asked and complaint.level < MAX_ESCALATION_LEVEL:
                candidates.append((after(entered(), 0.5, 4), Step.ESCALATE))
            candidates.append((work(max(entered(), contacts[-1]), 0.2, 1), Step.RECORD))
        elif s is S.RECORDED:
            waits = {state for state, _, _ in complaint.waits()}
            party = _party(problem_of(complaint))
            if first and script.asks_customer and S.AWAITING_CUSTOMER not in waits:
                candidates.append((work(entered(), 0.1, 0.5), Step.ASK))
            elif (
                first
                and S.AWAITING_THIRD_PARTY not in waits
                and (party is ThirdParty.CARRIER or (party is not None and script.slow))
            ):
                candidates.append((work(entered(), 0.2, 1), Step.AWAIT_PARTY))
            candidates.append((work(max(entered(), contacts[-1]), 0.5, 3), Step.JUDGE))
            candidates = candidates[:1]
        elif s is S.AWAITING_THIRD_PARTY:
            candidates.append(
                (after(entered(), script.party_hours, script.party_hours), Step.RESUME)
            )
        elif s is S.JUDGED:
            step = Step.ANALYSE if script.valid else Step.FEEDBACK
            candidates.append((work(entered(), 0.5, 3), step))
        elif s is S.ANALYSED:
            candidates.append((work(entered(), 1, 5), Step.FEEDBACK))
        elif s is S.AWAITING_CASE and not checked:
            candidates.append((max(entered(), today + 0.5 * HOUR), Step.CHECK_CASE))
        if first and script.withdraws and s in (S.REPLIED, S.RECORDED):
            candidates.append((after(contacts[0], 6, 30), Step.WITHDRAW))
        # A progress update before the periodic-update target runs out (a slow agent is late).
        duration, business = _target(complaint, K.PERIODIC_UPDATE)
        share = r.uniform(0.8, 1.4) if script.slow else r.uniform(0.4, 0.9)
        at = contacts[-1] + duration * share
        at = _working(contacts[-1], duration * share) if business else _working(at, _MIN)
        candidates.append((at, Step.UPDATE))
    if not candidates:
        return None
    at, step = min(candidates, key=lambda c: c[0])
    last_at = complaint.history[-1].at if complaint.history else complaint.opened_at
    return max(at, last_at), step


def done_with(complaint: Complaint) -> bool:
    """Whether the desk is done with a complaint: closed, and not to be reopened."""
    if complaint.is_open:
        return False
    if complaint.reopen_count > 0 or complaint.visit is None:
        return True
    return not ComplaintScript.of(complaint.id).reopens


SOLUTIONS: Final = {
    ProblemKind.QUALITY: "We exchange it for a new one.",
    ProblemKind.WRONG_ITEM: "We exchange it for the model you ordered.",
    ProblemKind.MISSING_OR_EXTRA: "We refund the missing item.",
    ProblemKind.NOT_AS_PICTURED: "Send it back and we refund it.",
    ProblemKind.DEFECT: "We repair it under warranty.",
    ProblemKind.LATE_DELIVERY: "We compensate the delay.",
    ProblemKind.LOST_PARCEL: "The carrier found the parcel; it is on its way.",
}


def _reply(c: Complaint, _: ComplaintScript) -> None:
    c.reply(message="Sorry about this; we are looking into it now.", actor=STAFF)


def _update(c: Complaint, _: ComplaintScript) -> None:
    if c.is_open and c.status not in (S.RECEIVED, S.FOLLOW_UP, S.AWAITING_CUSTOMER):
        c.reply(message="An update: we are still on it.", actor=STAFF)


def _escalate(c: Complaint, _: ComplaintScript) -> None:
    if c.is_open and c.level < MAX_ESCALATION_LEVEL:
        c.escalate(reason="the customer asked for a supervisor", actor=STAFF)


def _withdraw(c: Complaint, _: ComplaintScript) -> None:
    if c.is_open:
        c.withdraw(actor=Actor.buyer(c.buyer_id), note="sorted it out with the shop")


def _record(c: Complaint, _: ComplaintScript) -> None:
    if c.status is S.REPLIED:
        c.record(problem=problem_of(c), summary=f"Buyer says: {c.text}", actor=STAFF)


def _ask(c: Complaint, _: ComplaintScript) -> None:
    if c.status is S.RECORDED:
        c.await_customer(reason="a photo of the problem and of the label", actor=STAFF)


def _await_party(c: Complaint, _: ComplaintScript) -> None:
    party = _party(problem_of(c))
    if c.status is not S.RECORDED or party is None:
        return
    if party in INSPECTIONS:
        c.await_inspection(party=party, reason="sent to the brand's test lab", actor=STAFF)
    else:
        c.await_third_party(party=party, reason="the carrier searches its depots", actor=STAFF)


def _resume(c: Complaint, _: ComplaintScript) -> None:
    if c.status is S.AWAITING_CUSTOMER:
        c.resume(actor=Actor.buyer(c.buyer_id), note="sent the photos")
    elif c.status is S.AWAITING_THIRD_PARTY:
        c.resume(actor=STAFF, note="the report came back")


def _judge(c: Complaint, script: ComplaintScript) -> None:
    if c.status is not S.RECORDED:
        return
    if not script.valid:
        c.judge(valid=False, actor=STAFF, note="the records show the order as described")
        return
    problem = problem_of(c)
    carrier = problem.category is ProblemCategory.LOGISTICS
    c.judge(valid=True, liability=Liability.CARRIER if carrier else Liability.SELLER, actor=STAFF)


def _analyse(c: Complaint, _: ComplaintScript) -> None:
    if c.status is not S.JUDGED:
        return
    problem = problem_of(c)
    root = _ROOT_CAUSES.get(problem)
    if root is None:
        root = (
            RootCause.CARRIER if problem.category is ProblemCategory.LOGISTICS else RootCause.STAFF
        )
    c.analyse(cause=f"Found: {root.label_en.lower()}.", root_cause=root, actor=STAFF)


def _visit(c: Complaint, script: ComplaintScript) -> None:
    if c.status is not S.FOLLOW_UP:
        return
    if not script.reached:
        c.customer_unreachable(actor=STAFF, note="called twice, no answer")
        return
    score = script.score - (1 if c.breaches else 0) - (1 if c.reopen_count else 0)
    c.follow_up(satisfaction=max(1, score), actor=STAFF, comment="thanks for the call")


def _reopen(c: Complaint, _: ComplaintScript) -> None:
    closed = c.closed_at
    if closed is not None and c.clock.now() < closed + c.reopen_window:
        c.reopen(actor=Actor.buyer(c.buyer_id), note="the same problem again")


CHANGES: Final[dict[Step, Callable[[Complaint, ComplaintScript], None]]] = {
    Step.REPLY: _reply,
    Step.UPDATE: _update,
    Step.ESCALATE: _escalate,
    Step.WITHDRAW: _withdraw,
    Step.RECORD: _record,
    Step.ASK: _ask,
    Step.AWAIT_PARTY: _await_party,
    Step.RESUME: _resume,
    Step.JUDGE: _judge,
    Step.ANALYSE: _analyse,
    Step.VISIT: _visit,
    Step.REOPEN: _reopen,
}
