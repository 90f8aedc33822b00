"""The consultation KPIs: window, response figures, conversion, hand-overs to after-sales, open
remarks."""

from __future__ import annotations

import datetime as _dt
import decimal

import pendulum
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecservice.aftersales import Rate
from ecservice.calendar import ShopCalendar
from ecservice.clock import FixedClock
from ecservice.consultation import (
    ENQUIRY_STOCK,
    ConsultationSession,
    ResponseBasis,
    ResponsePolicy,
    Sender,
    consultation_report,
)
from ecservice.errors import NaiveDatetime, ValidationError
from tests.consultation.rig import (
    AGENT,
    CHAT,
    START,
    WARRANTY,
    handed_over,
    new_session,
    sessions,
)

ZONE = "Asia/Shanghai"
NOW = START.add(days=1)  # the window is the 30 local days before 2026-05-07


def _answered(
    session_id: str, wait: int, *, clock: FixedClock | None = None
) -> ConsultationSession:
    """A session whose buyer waited ``wait`` seconds for the first answer."""
    clock = clock or FixedClock(START)
    session = new_session(clock=clock, id=session_id, opened_at=clock.now())
    session.message(sender=Sender.BUYER, length=4, actor=CHAT)
    clock.advance(seconds=wait)
    session.message(sender=Sender.AGENT, length=4, actor=CHAT)
    return session


def test_response_figures() -> None:
    """Median and p90 by nearest rank, exact average, first responses on target, and the average
    of every response."""
    waits = [10, 20, 30, 40, 400]
    found = [_answered(f"C-{i}", w) for i, w in enumerate(waits)]
    clock = FixedClock(START)
    extra = _answered("C-X", 60, clock=clock)
    extra.message(sender=Sender.BUYER, length=2, actor=CHAT)
    clock.advance(seconds=5)
    extra.message(sender=Sender.AGENT, length=2, actor=CHAT)
    report = consultation_report([*found, extra], now=NOW, zone=ZONE)
    assert report.sessions == report.responded == 6
    assert report.first_response_median == _dt.timedelta(seconds=30)
    assert report.first_response_p90 == _dt.timedelta(seconds=400)
    assert report.first_response_average == _dt.timedelta(seconds=560 / 6)
    assert report.first_response_on_target == Rate(5, 6)
    assert report.responses == 7
    assert report.average_response == _dt.timedelta(seconds=565) / 7
    assert report.basis is ResponseBasis.CALENDAR


def test_conversion_by_enquiry_type() -> None:
    """Sessions with an order over sessions with an enquiry, overall and per type; the
    library's types first."""
    ordered = handed_over(new_session(id="C-1"))
    asked = new_session(id="C-2")
    asked.greet(actor=AGENT)
    asked.take_enquiry(type=WARRANTY, actor=AGENT)
    asked.take_enquiry(type=ENQUIRY_STOCK, actor=AGENT)
    asked.end(reason="left", actor=AGENT)
    silent = new_session(id="C-3")
    silent.transfer_to_aftersales(reason="a parcel question", actor=AGENT)
    report = consultation_report([asked, ordered, silent], now=NOW, zone=ZONE)
    assert (report.enquired, report.ordered, report.converted) == (2, 1, 1)
    assert report.conversion == Rate(1, 2)
    assert report.conversion.value == decimal.Decimal("0.5")
    assert (report.transferred, report.ended_without_order) == (1, 1)
    assert [(c.type.code, c.sessions, c.ordered) for c in report.by_enquiry_type] == [
        ("stock", 1, 0),
        ("size", 1, 1),
        ("warranty", 1, 0),
    ]
    size = report.for_type("size")
    assert size is not None
    assert size.conversion == Rate(1, 1)
    assert report.for_type("presale") is None
    assert [(r.session_id, r.index, r.text) for r in report.open_remarks] == [
        ("C-1", 0, "gift wrap")
    ]


def test_the_window_is_whole_local_days_before_today() -> None:
    """A session opened at the window's start counts; one opened today or before the window
    does not (but its open remarks are still listed)."""
    start = pendulum.datetime(2026, 4, 7, 0, 0, tz=ZONE)
    inside = new_session(id="C-in", opened_at=start, clock=FixedClock(start))
    before = handed_over(
        new_session(id="C-old", opened_at=start.subtract(microseconds=1), clock=FixedClock(start))
    )
    today = pendulum.datetime(2026, 5, 7, 0, 0, tz=ZONE)
    late = new_session(id="C-today", opened_at=today, clock=FixedClock(today))
    report = consultation_report([inside, before, late], now=NOW, zone=ZONE)
    assert report.window_start == start
    assert report.window_end == today
    assert report.sessions == 1
    assert [r.session_id for r in report.open_remarks] == ["C-old"]


def test_business_time_needs_a_calendar() -> None:
    """With business time, a night wait counts only working time."""
    asked = pendulum.datetime(2026, 5, 6, 23, tz=ZONE)
    clock = FixedClock(asked)
    session = _answered("C-1", 10 * 3600 + 300, clock=clock)
    policy = ResponsePolicy(basis=ResponseBasis.BUSINESS)
    with pytest.raises(ValidationError, match="WorkingCalendar"):
        consultation_report([session], now=asked.add(days=2), zone=ZONE, policy=policy)
    report = consultation_report(
        [session], now=asked.add(days=2), zone=ZONE, policy=policy, calendar=ShopCalendar()
    )
    assert report.first_response_median == _dt.timedelta(minutes=5)


def test_a_reply_after_now_is_not_counted() -> None:
    """A session opened just before midnight and answered after the report's instant counts,
    its buyer still waiting: no response yet."""
    clock = FixedClock(pendulum.datetime(2026, 5, 6, 23, 59, tz=ZONE))
    session = _answered("C-1", 600, clock=clock)
    asked_for = pendulum.datetime(2026, 5, 7, 0, 5, tz=ZONE)
    report = consultation_report([session], now=asked_for, zone=ZONE, days=1)
    assert (report.sessions, report.responded, report.responses) == (1, 0, 0)
    later = consultation_report([session], now=asked_for.add(hours=1), zone=ZONE, days=1)
    assert (later.sessions, later.responded) == (1, 1)


def test_an_empty_report_has_no_figures() -> None:
    """Without sessions every figure that needs one is None."""
    report = consultation_report([], now=NOW, zone=ZONE)
    assert report.sessions == 0
    assert report.first_response_median is None
    assert report.average_response is None
    assert report.conversion is None
    assert report.first_response_on_target is None
    assert report.by_enquiry_type == ()
    assert report.open_remarks == ()


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ({"now": NOW.naive()}, NaiveDatetime),
        ({"now": "2026-05-07"}, ValidationError),
        ({"zone": "Mars/Base"}, ValidationError),
        ({"days": 0}, ValidationError),
        ({"days": 367}, ValidationError),
        ({"policy": "fast"}, ValidationError),
    ],
)
def test_bad_arguments_are_refused(args: dict[str, object], error: type[Exception]) -> None:
    """A naive now, an unknown zone, days out of range, a policy that is not one."""
    kwargs: dict[str, object] = {"now": NOW, "zone": ZONE, **args}
    with pytest.raises(error):
        consultation_report([], **kwargs)  # type: ignore[arg-type]


def test_sessions_must_be_sessions_named_once() -> None:
    """Another value, or a session twice, is refused."""
    session = new_session()
    with pytest.raises(ValidationError, match="twice"):
        consultation_report([session, session], now=NOW, zone=ZONE)
    with pytest.raises(ValidationError):
        consultation_report(["C-1"], now=NOW, zone=ZONE)  # type: ignore[list-item]
    with pytest.raises(ValidationError):
        consultation_report("C-1", now=NOW, zone=ZONE)  # type: ignore[arg-type]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(0, 10**6), max_size=6).flatmap(
        lambda ids: st.tuples(
            *[sessions(session_id=f"C-{i}", max_steps=14) for i in range(len(ids))]
        )
    )
)
def test_report_invariants(found: tuple[ConsultationSession, ...]) -> None:
    """Counts add up: converted <= enquired and ordered; responded <= sessions; per-type
    sessions <= enquired; median <= p90; every open remark is a session's open remark."""
    report = consultation_report(found, now=START.add(days=5), zone=ZONE)
    assert report.sessions == len(found)
    assert report.converted <= min(report.enquired, report.ordered)
    assert report.responded <= report.sessions
    assert report.transferred + report.ended_without_order <= report.sessions
    assert all(c.sessions <= report.enquired for c in report.by_enquiry_type)
    assert sum(c.ordered for c in report.by_enquiry_type) >= (report.converted > 0)
    if report.first_response_median is not None:
        assert report.first_response_p90 is not None
        assert report.first_response_median <= report.first_response_p90
    assert len(report.open_remarks) == sum(len(s.open_remarks) for s in found)
    if report.conversion is not None:
        assert report.conversion == Rate(report.converted, report.enquired)
