"""The timers of an after-sales case, exact at the boundary second, and its reopening window."""

from __future__ import annotations

import datetime as _dt

import pytest

from ecservice.aftersales._case import TIMER_ACTOR
from ecservice.aftersales._case_events import (
    CaseApproved,
    CaseStatus,
)
from ecservice.aftersales._categories import RemedyKind
from ecservice.aftersales._timeouts import CaseTimeouts
from ecservice.clock import FixedClock
from ecservice.errors import (
    PolicyViolation,
)
from ecservice.workflow import ActorKind
from tests.aftersales.case_rig import (
    BUYER,
    SELLER,
    START,
    approved,
    cny,
    later,
    new_case,
    snapshot,
)

S = CaseStatus
R = RemedyKind
MICRO = _dt.timedelta(microseconds=1)


# --- timers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shipped", "wait"),
    [(False, _dt.timedelta(hours=48)), (True, _dt.timedelta(days=5))],
)
def test_automatic_approval_is_due_at_the_exact_second(shipped: bool, wait: _dt.timedelta) -> None:
    clock = FixedClock(START)
    case = new_case(R.REFUND_ONLY, clock=clock, order_shipped=shipped)
    assert case.next_due_at() == START + wait
    clock.set(START + wait - MICRO)
    assert case.run_timeouts() == ()
    with pytest.raises(PolicyViolation, match="not yet"):
        case.auto_approve()
    clock.set(START + wait)
    (record,) = case.run_timeouts()
    assert (record.trigger, record.actor, record.at) == ("auto_approve", TIMER_ACTOR, START + wait)
    assert record.actor.kind is ActorKind.SYSTEM
    assert case.status is S.APPROVED
    assert case.agreed == case.asked
    assert next(e for e in case.pending_events if isinstance(e, CaseApproved)).automatic
    assert case.next_due_at() is None


def test_the_case_closes_when_the_return_is_not_shipped_within_seven_days() -> None:
    clock = FixedClock(START)
    case = approved(new_case(clock=clock))
    due = START + _dt.timedelta(days=7)
    assert (case.next_due_at(), case.due_trigger()) == (due, "auto_close")
    clock.set(due - MICRO)
    assert case.run_timeouts() == ()
    clock.set(due)
    case.auto_close()
    assert case.status is S.CLOSED
    assert case.history[-1].actor == TIMER_ACTOR


def test_the_refund_is_automatic_when_the_seller_does_not_confirm_within_ten_days() -> None:
    clock = FixedClock(START)
    case = approved(new_case(clock=clock), cny("180.00"))
    later(clock, _dt.timedelta(days=2))
    case.ship_return(carrier="SF", tracking_no="1", actor=BUYER)
    due = clock.now() + _dt.timedelta(days=10)
    assert (case.next_due_at(), case.due_trigger()) == (due, "auto_refund")
    clock.set(due - MICRO)
    assert case.run_timeouts() == ()
    clock.set(due)
    (record,) = case.run_timeouts()
    assert record.trigger == "auto_refund"
    assert case.status is S.REFUNDED
    assert case.refund_total == cny("180.00")


def test_an_exchange_counts_as_received_when_the_seller_does_not_confirm() -> None:
    clock = FixedClock(START)
    case = approved(new_case(R.EXCHANGE, clock=clock))
    case.ship_return(carrier="SF", tracking_no="1", actor=BUYER)
    assert case.due_trigger() == "auto_receive"
    with pytest.raises(PolicyViolation, match="no 'auto_refund' timer"):
        case.auto_refund()
    clock.set(START + _dt.timedelta(days=10))
    case.run_timeouts()
    assert case.status is S.RECEIVED
    assert case.refund_total == cny("0.00")


def test_can_answers_for_a_timer_exactly_when_it_is_due() -> None:
    clock = FixedClock(START)
    case = new_case(clock=clock)
    due = START + _dt.timedelta(days=5)
    clock.set(due - MICRO)
    assert not case.can("auto_approve")
    assert not case.can("auto_close")
    clock.set(due)
    assert case.can("auto_approve")
    assert case.can("auto_approve", actor=None)
    assert not case.can("auto_approve", actor="job")


def test_custom_timeouts_are_used() -> None:
    clock = FixedClock(START)
    timeouts = CaseTimeouts(seller_answer_shipped=_dt.timedelta(hours=1))
    case = new_case(clock=clock, timeouts=timeouts)
    assert case.next_due_at() == START + _dt.timedelta(hours=1)


def test_no_timer_runs_while_the_platform_decides() -> None:
    case = new_case()
    case.reject(expected_version=0, reason="no", actor=SELLER)
    assert case.next_due_at() is None
    case.escalate(reason="please look", actor=BUYER)
    assert (case.next_due_at(), case.due_trigger()) == (None, None)


def test_reopening_is_allowed_until_the_last_instant_of_the_window() -> None:
    clock = FixedClock(START)
    case = new_case(clock=clock)
    case.reject(expected_version=0, reason="no", actor=SELLER)
    case.close(actor=BUYER)
    ends = START + _dt.timedelta(days=15)
    clock.set(ends)
    before = snapshot(case)
    with pytest.raises(PolicyViolation, match="window ended"):
        case.reopen(actor=BUYER)
    assert snapshot(case) == before

    early = FixedClock(START)
    other = new_case(clock=early)
    other.reject(expected_version=0, reason="no", actor=SELLER)
    other.close(actor=BUYER)
    early.set(ends - MICRO)
    other.reopen(actor=BUYER)
    assert other.status is S.REQUESTED
    assert other.next_due_at() == ends - MICRO + _dt.timedelta(days=5)


def test_a_fully_refunded_case_is_not_reopened() -> None:
    case = new_case(R.REFUND_ONLY)
    approved(case)
    case.refund(actor=SELLER)
    case.close(actor=SELLER)
    with pytest.raises(PolicyViolation, match="nothing left"):
        case.reopen(actor=BUYER)
