"""After-sales reports: rates over paid orders, handling times, the window, and bad input."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pendulum
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecservice.aftersales import (
    TIMER_ACTOR,
    AfterSalesCase,
    AfterSalesReport,
    CaseStatus,
    OutcomeCount,
    PaidOrder,
    Rate,
    RemedyKind,
    aftersales_report,
    nearest_rank,
    paid_orders,
)
from ecservice.clock import FixedClock
from ecservice.errors import NaiveDatetime, ValidationError
from ecservice.money import Money
from ecservice.payments import InMemoryGateway, Instrument, InstrumentKind, Payment
from ecservice.workflow import Actor

from .case_rig import BUYER, PLATFORM, SELLER, cny, new_case

UTC = _dt.UTC
US = _dt.timedelta(microseconds=1)
DAY = _dt.timedelta(days=1)
SHANGHAI = "Asia/Shanghai"
#: Zones for the window tests: no DST, DST with a change at 02:00, DST in the southern
#: hemisphere with days that start at 01:00 (midnight falls in the gap), and UTC itself.
ZONES = ("Asia/Shanghai", "America/New_York", "Europe/London", "America/Santiago", "UTC")
PATHS = (
    "open",
    "refund",
    "compensate",
    "auto_refund",
    "dispute_buyer",
    "dispute_buyer_refund",
    "dispute_seller",
    "withdraw",
)


def build_case(
    case_id: str,
    order_id: str,
    opened_at: _dt.datetime,
    path: str,
    delay: _dt.timedelta = _dt.timedelta(hours=5),
) -> AfterSalesCase:
    """A case opened at ``opened_at`` taken along ``path``; every step happens ``delay`` later
    (after the 48 hours of the seller's answer time, for an automatic approval)."""
    clock = FixedClock(opened_at)
    remedy = RemedyKind.COMPENSATION if path == "compensate" else RemedyKind.REFUND_ONLY
    case = new_case(
        remedy,
        id=case_id,
        order_id=order_id,
        opened_at=opened_at,
        order_shipped=False,
        clock=clock,
    )
    if path == "auto_refund":
        clock.set(pendulum.instance(opened_at) + _dt.timedelta(hours=48) + delay)
        case.run_timeouts()
        case.refund(actor=SELLER)
        return case
    clock.set(pendulum.instance(opened_at) + delay)
    if path == "refund":
        case.approve(expected_version=case.version, actor=SELLER)
        case.refund(actor=SELLER)
    elif path == "compensate":
        case.approve(expected_version=case.version, actor=SELLER, amount=cny("15.00"))
        case.compensate(actor=SELLER)
    elif path.startswith("dispute"):
        case.reject(expected_version=case.version, reason="the parcel was signed for", actor=SELLER)
        case.escalate(reason="it never arrived", actor=BUYER)
        case.rule(for_buyer=path != "dispute_seller", grounds="courier records", actor=PLATFORM)
        if path == "dispute_buyer_refund":
            case.refund(actor=SELLER)
    elif path == "withdraw":
        case.withdraw(actor=BUYER)
    return case


def local(zone: str, y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> Any:
    return pendulum.datetime(y, mo, d, h, mi, s, tz=zone)


def shanghai(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> pendulum.DateTime:
    return pendulum.datetime(y, mo, d, h, mi, s, tz=SHANGHAI)


# --- a worked example --------------------------------------------------------------------------

NOW = shanghai(2026, 12, 1, 9, 30)  # window: 2026-11-01 00:00 to 2026-12-01 00:00, Shanghai


def example() -> tuple[list[AfterSalesCase], list[PaidOrder]]:
    paid = [
        PaidOrder("O-1", shanghai(2026, 11, 2, 10)),
        PaidOrder("O-2", shanghai(2026, 11, 3, 10)),
        PaidOrder("O-3", shanghai(2026, 11, 4, 10)),
        PaidOrder("O-4", shanghai(2026, 11, 5, 10)),
        PaidOrder("O-OLD", shanghai(2026, 10, 20, 10)),  # paid before the window
        PaidOrder("O-TODAY", shanghai(2026, 12, 1, 8)),  # paid today: not a whole day yet
    ]
    cases = [
        # O-1: two cases, one refunded after 6 hours, one still open.
        build_case("AS-1", "O-1", shanghai(2026, 11, 6, 9), "refund", _dt.timedelta(hours=6)),
        build_case("AS-2", "O-1", shanghai(2026, 11, 7, 9), "open"),
        # O-2: ruled against the seller, refunded 2 days later.
        build_case("AS-3", "O-2", shanghai(2026, 11, 8, 9), "dispute_buyer_refund", 2 * DAY),
        # O-3: approved by the timer and refunded 3 hours after the 48 hours.
        build_case("AS-4", "O-3", shanghai(2026, 11, 9, 9), "auto_refund", _dt.timedelta(hours=3)),
        # O-OLD: a case in the window on an order paid before it: in the case figures only.
        build_case("AS-5", "O-OLD", shanghai(2026, 11, 10, 9), "withdraw", _dt.timedelta(hours=1)),
        # O-4: a case opened before the window (not counted), resolved in it (counted).
        build_case("AS-6", "O-4", shanghai(2026, 10, 25, 9), "refund", 10 * DAY),
    ]
    return cases, paid


def test_worked_example_gives_every_figure() -> None:
    cases, paid = example()
    report = aftersales_report(cases, paid, now=NOW, zone=SHANGHAI)
    assert report.window_start == shanghai(2026, 11, 1)
    assert report.window_end == shanghai(2026, 12, 1)
    assert (report.paid_orders, report.cases_opened) == (4, 5)
    assert (report.orders_with_cases, report.orders_refunded, report.orders_disputed) == (3, 3, 1)
    assert report.aftersales_rate == Rate(3, 4)
    assert report.aftersales_rate.value == Decimal("0.750000")
    assert report.refund_rate == Rate(3, 4)
    assert report.dispute_rate == Rate(1, 4)
    assert report.rates_unavailable is None
    assert report.automatic_approvals == 1
    # resolved in the window: AS-1 6 h, AS-3 2 days, AS-4 51 h, AS-5 1 h, AS-6 10 days.
    hours = [1, 6, 48, 51, 240]
    assert report.cases_resolved == 5
    assert report.average_handling == _dt.timedelta(minutes=sum(hours) * 60 // 5)  # 69.2 h
    assert report.p90_handling == _dt.timedelta(hours=240)  # rank ceil(4.5) = 5
    assert report.fastest_handling == _dt.timedelta(hours=1)
    assert report.slowest_handling == _dt.timedelta(hours=240)
    assert report.handling_unavailable is None
    assert report.outcomes == (
        OutcomeCount(RemedyKind.REFUND_ONLY, CaseStatus.REQUESTED, 1),
        OutcomeCount(RemedyKind.REFUND_ONLY, CaseStatus.REFUNDED, 3),
        OutcomeCount(RemedyKind.REFUND_ONLY, CaseStatus.WITHDRAWN, 1),
    )
    assert report.cases_by_remedy() == {RemedyKind.REFUND_ONLY: 5}
    assert report.cases_by_status() == {
        CaseStatus.REQUESTED: 1,
        CaseStatus.REFUNDED: 3,
        CaseStatus.WITHDRAWN: 1,
    }
    text = "\n".join(report.explanation)
    assert "After-sales rate 3/4 (0.750000)" in text
    assert "Dispute rate 1/4 (0.250000)" in text
    assert "1 cases opened in the window were approved by a timer" in text


def test_handling_times_are_plain_timedeltas() -> None:
    cases, paid = example()
    report = aftersales_report(cases, paid, now=NOW, zone=SHANGHAI)
    for figure in ("average_handling", "p90_handling", "fastest_handling", "slowest_handling"):
        assert type(getattr(report, figure)) is _dt.timedelta, figure


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"paid_orders": -0.5}, "paid_orders must be int"),
        ({"days": True}, "days must be int"),
        ({"aftersales_rate": Decimal("0.5")}, "aftersales_rate must be Rate or None"),
        ({"average_handling": 3600}, "average_handling must be timedelta or None"),
        ({"window_end": shanghai(2026, 10, 1)}, "window_start must come before its window_end"),
    ],
)
def test_report_constructor_checks_its_figures(change: dict[str, Any], message: str) -> None:
    report = aftersales_report(*example(), now=NOW, zone=SHANGHAI)
    with pytest.raises(ValidationError, match=message):
        attrs.evolve(report, **change)


@pytest.mark.parametrize(
    ("remedy", "status", "cases", "message"),
    [
        ("refund_only", CaseStatus.REFUNDED, 1, "remedy must be a RemedyKind"),
        (RemedyKind.REFUND_ONLY, "refunded", 1, "status must be a CaseStatus"),
        (RemedyKind.REFUND_ONLY, CaseStatus.REFUNDED, 0, "cases must be an int of at least 1"),
        (RemedyKind.REFUND_ONLY, CaseStatus.REFUNDED, True, "cases must be an int"),
    ],
)
def test_outcome_count_checks_its_fields(
    remedy: Any, status: Any, cases: Any, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        OutcomeCount(remedy, status, cases)


def test_a_report_asked_twice_on_one_day_is_the_same() -> None:
    cases, paid = example()
    morning = aftersales_report(cases, paid, now=shanghai(2026, 12, 1), zone=SHANGHAI)
    night = aftersales_report(cases, paid, now=shanghai(2026, 12, 1, 23, 59, 59), zone=SHANGHAI)
    assert attrs.evolve(morning, now=night.now, explanation=()) == attrs.evolve(
        night, explanation=()
    )


def test_the_timer_approval_is_counted_whoever_the_timer_actor_is() -> None:
    opened = shanghai(2026, 11, 3, 9)
    clock = FixedClock(opened)
    case = new_case(RemedyKind.REFUND_ONLY, opened_at=opened, order_shipped=False, clock=clock)
    clock.set(shanghai(2026, 11, 5, 9))
    case.run_timeouts(actor=Actor.system("night-batch"))
    manual = build_case("AS-2", "O-2", shanghai(2026, 11, 3, 9), "refund")
    report = aftersales_report([case, manual], [], now=NOW, zone=SHANGHAI)
    assert report.automatic_approvals == 1
    assert case.history[-1].actor != TIMER_ACTOR


def test_compensation_counts_as_money_paid_back() -> None:
    case = build_case("AS-1", "O-1", shanghai(2026, 11, 6, 9), "compensate")
    report = aftersales_report(
        [case], [PaidOrder("O-1", shanghai(2026, 11, 2))], now=NOW, zone=SHANGHAI
    )
    assert report.refund_rate == Rate(1, 1)
    assert report.dispute_rate == Rate(0, 1)
    assert report.cases_by_remedy() == {RemedyKind.COMPENSATION: 1}


def test_a_ruling_for_the_seller_is_no_dispute_lost() -> None:
    case = build_case("AS-1", "O-1", shanghai(2026, 11, 6, 9), "dispute_seller")
    report = aftersales_report(
        [case], [PaidOrder("O-1", shanghai(2026, 11, 2))], now=NOW, zone=SHANGHAI
    )
    assert (report.dispute_rate, report.refund_rate) == (Rate(0, 1), Rate(0, 1))
    assert report.cases_by_status() == {CaseStatus.CLOSED: 1}


def test_empty_inputs_give_none_with_the_reason() -> None:
    report = aftersales_report([], [], now=NOW, zone=SHANGHAI)
    assert report.aftersales_rate is report.refund_rate is report.dispute_rate is None
    assert report.rates_unavailable is not None
    assert report.rates_unavailable.startswith("no order was paid in the 30 days from ")
    for figure in ("average_handling", "p90_handling", "fastest_handling", "slowest_handling"):
        assert getattr(report, figure) is None
    assert report.handling_unavailable is not None
    assert report.handling_unavailable.startswith("no case was resolved in the 30 days")
    assert (report.paid_orders, report.cases_opened, report.outcomes) == (0, 0, ())
    assert any(line.startswith("Not available: no order") for line in report.explanation)


def test_generators_are_read_once() -> None:
    cases, paid = example()
    report = aftersales_report(iter(cases), (p for p in paid), now=NOW, zone=SHANGHAI)
    assert report.paid_orders == 4


# --- rates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("numerator", "denominator", "value"),
    [
        (0, 1, "0.000000"),
        (1, 1, "1.000000"),
        (1, 3, "0.333333"),
        (2, 3, "0.666667"),
        (1, 128, "0.007812"),  # 0.0078125: half to even
        (3, 128, "0.023438"),  # 0.0234375: half to even, upwards
    ],
)
def test_rate_value_is_the_ratio_rounded_half_even(
    numerator: int, denominator: int, value: str
) -> None:
    rate = Rate(numerator, denominator)
    assert rate.value == Decimal(value)
    assert str(rate.value) == value
    assert rate.value == round(Decimal(numerator) / Decimal(denominator), 6)


@pytest.mark.parametrize(
    ("numerator", "denominator", "message"),
    [
        (-1, 3, "numerator must be an int of at least 0"),
        (True, 3, "numerator must be an int"),
        (1.0, 3, "numerator must be an int"),
        (1, 0, "denominator must be an int of at least 1"),
        (1, False, "denominator must be an int"),
        (4, 3, "must not exceed its denominator"),
    ],
)
def test_rate_refuses_bad_counts(numerator: Any, denominator: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Rate(numerator, denominator)


# --- nearest rank -----------------------------------------------------------------------------


def hours(*values: int) -> list[_dt.timedelta]:
    return [_dt.timedelta(hours=v) for v in values]


@pytest.mark.parametrize(
    ("values", "percentile", "expected"),
    [
        (hours(*range(1, 11)), 90, 9),
        (hours(*range(10, 0, -1)), 90, 9),
        (hours(*range(1, 12)), 90, 10),  # rank ceil(9.9) = 10
        (hours(7), 90, 7),
        (hours(1, 2), 50, 1),
        (hours(1, 2, 3), 100, 3),
        (hours(1, 2, 3), 1, 1),
    ],
)
def test_nearest_rank(values: list[_dt.timedelta], percentile: int, expected: int) -> None:
    assert nearest_rank(values, percentile) == _dt.timedelta(hours=expected)


def test_nearest_rank_of_nothing_is_none() -> None:
    assert nearest_rank([], 90) is None


@pytest.mark.parametrize("percentile", [0, 101, True, 90.0, "90"])
def test_nearest_rank_refuses_a_bad_percentile(percentile: Any) -> None:
    with pytest.raises(ValidationError, match="percentile must be an int from 1 to 100"):
        nearest_rank(hours(1), percentile)


def test_nearest_rank_refuses_other_values() -> None:
    with pytest.raises(ValidationError, match="values must hold timedelta values"):
        nearest_rank([1, 2], 90)  # type: ignore[list-item]


# --- paid orders from payments ----------------------------------------------------------------

CARD = Instrument(InstrumentKind.CARD, "tok_visa_0001")
SYSTEM = Actor.system("payments")


def payment(pid: str, order_id: str, clock: FixedClock, gateway: InMemoryGateway) -> Payment:
    return Payment(
        id=pid, order_id=order_id, amount=Money("50.00", "CNY"), instrument=CARD, clock=clock
    )


def test_paid_orders_are_the_first_capture_of_each_order() -> None:
    gateway = InMemoryGateway()
    gateway.fund(CARD, Money("500.00", "CNY"))
    clock = FixedClock(shanghai(2026, 11, 2, 10))
    later_capture = payment("P-1", "O-1", clock, gateway)
    first_capture = payment("P-2", "O-1", clock, gateway)
    voided = payment("P-3", "O-2", clock, gateway)
    pending = payment("P-4", "O-3", clock, gateway)
    refunded = payment("P-5", "O-4", clock, gateway)
    for p in (later_capture, first_capture, voided, refunded):
        p.authorize(gateway, idempotency_key=f"{p.id}-a", actor=SYSTEM)
    clock.set(shanghai(2026, 11, 2, 11))
    first_capture.capture(gateway, idempotency_key="P-2-c", actor=SYSTEM)
    refunded.capture(gateway, idempotency_key="P-5-c", actor=SYSTEM)
    voided.void(gateway, idempotency_key="P-3-v", actor=SYSTEM)
    clock.set(shanghai(2026, 11, 2, 12))
    later_capture.capture(gateway, idempotency_key="P-1-c", actor=SYSTEM)
    refunded.refund(
        gateway, Money("50.00", "CNY"), idempotency_key="P-5-r", actor=SYSTEM, reason="returned"
    )
    found = paid_orders([later_capture, voided, pending, refunded, first_capture])
    assert found == (
        PaidOrder("O-1", shanghai(2026, 11, 2, 11)),
        PaidOrder("O-4", shanghai(2026, 11, 2, 11)),
    )


@pytest.mark.parametrize("payments", ["P-1", [object()], 3])
def test_paid_orders_refuses_other_values(payments: Any) -> None:
    with pytest.raises(ValidationError, match="payments must"):
        paid_orders(payments)


# --- bad input --------------------------------------------------------------------------------


def test_paid_order_checks_its_fields() -> None:
    with pytest.raises(NaiveDatetime):
        PaidOrder("O-1", _dt.datetime(2026, 11, 2, 10))
    with pytest.raises(ValidationError, match="order_id"):
        PaidOrder("", shanghai(2026, 11, 2))
    assert PaidOrder("O-1", shanghai(2026, 11, 2, 10)).paid_at.tzinfo is not None


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"now": _dt.datetime(2026, 12, 1)}, NaiveDatetime, "now .* has no time zone"),
        ({"now": "2026-12-01"}, ValidationError, "now must be a timezone-aware datetime"),
        ({"zone": "Mars/Olympus"}, ValidationError, "Mars/Olympus"),
        ({"zone": ""}, ValidationError, "zone"),
        ({"days": 0}, ValidationError, "days must be an int from 1 to 366"),
        ({"days": 367}, ValidationError, "days must be an int from 1 to 366"),
        ({"days": True}, ValidationError, "days must be an int"),
        ({"days": 30.0}, ValidationError, "days must be an int"),
    ],
)
def test_bad_arguments_raise_library_errors(
    kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    cases, paid = example()
    arguments: dict[str, Any] = {"now": NOW, "zone": SHANGHAI, **kwargs}
    with pytest.raises(error, match=message):
        aftersales_report(cases, paid, **arguments)


@pytest.mark.parametrize(
    ("now", "zone", "days"),
    [
        (pendulum.datetime(1, 1, 20, tz="UTC"), "UTC", 30),
        (pendulum.datetime(1, 1, 1, 1, tz="UTC"), "America/New_York", 1),
        (pendulum.datetime(9999, 12, 31, 23, tz="UTC"), SHANGHAI, 1),
    ],
)
def test_a_window_outside_the_calendar_is_a_validation_error(
    now: pendulum.DateTime, zone: str, days: int
) -> None:
    with pytest.raises(ValidationError, match="falls outside the years 1 to 9999"):
        aftersales_report([], [], now=now, zone=zone, days=days)


def test_a_window_at_the_first_days_of_the_calendar() -> None:
    early = pendulum.datetime(1, 1, 20, tz="UTC")
    assert aftersales_report([], [], now=early, zone="UTC", days=19).paid_orders == 0


def test_bad_inputs_raise_library_errors() -> None:
    cases, paid = example()
    with pytest.raises(ValidationError, match="cases must hold AfterSalesCase values"):
        aftersales_report([*cases, "AS-9"], paid, now=NOW, zone=SHANGHAI)  # type: ignore[list-item]
    with pytest.raises(ValidationError, match="'AS-1' comes twice"):
        aftersales_report([*cases, cases[0]], paid, now=NOW, zone=SHANGHAI)
    with pytest.raises(ValidationError, match="paid must hold PaidOrder values"):
        aftersales_report(cases, [*paid, "O-9"], now=NOW, zone=SHANGHAI)  # type: ignore[list-item]
    with pytest.raises(ValidationError, match="'O-1' comes twice"):
        aftersales_report(cases, [*paid, paid[0]], now=NOW, zone=SHANGHAI)
    with pytest.raises(ValidationError, match="cases must be an iterable"):
        aftersales_report("AS-1", paid, now=NOW, zone=SHANGHAI)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="paid must be an iterable"):
        aftersales_report(cases, None, now=NOW, zone=SHANGHAI)  # type: ignore[arg-type]


# --- the window, exact at the boundary -----------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "now", "start", "hours_long"),
    [
        # no DST: 30 x 24 hours from local midnight.
        (SHANGHAI, (2026, 12, 1, 9, 30), (2026, 11, 1), 720),
        # New York springs forward on 2026-03-08: the window is an hour short.
        ("America/New_York", (2026, 3, 20, 12, 0), (2026, 2, 18), 719),
        # London falls back on 2026-10-25: the window is an hour long.
        ("Europe/London", (2026, 11, 10, 0, 0), (2026, 10, 11), 721),
    ],
)
def test_window_is_whole_local_days_exact_at_the_second(
    zone: str, now: tuple[int, int, int, int, int], start: tuple[int, int, int], hours_long: int
) -> None:
    tz_now = local(zone, *now)
    first = local(zone, *start)
    end = first + _dt.timedelta(hours=hours_long)
    assert end.in_tz(zone).time() == _dt.time(0, 0)
    instants = {"first": first, "before": first - US, "last": end - US, "end": end}
    paid = [PaidOrder(name, at) for name, at in instants.items()]
    cases = [
        build_case(f"AS-{name}", name, at, "refund", _dt.timedelta(0))
        for name, at in instants.items()
    ]
    report = aftersales_report(cases, paid, now=tz_now, zone=zone)
    assert (report.window_start, report.window_end) == (first, end)
    assert report.window_end - report.window_start == _dt.timedelta(hours=hours_long)
    assert report.paid_orders == 2
    assert report.cases_opened == 2
    assert report.aftersales_rate == Rate(2, 2)
    # resolved at the opening instant itself: in the window exactly for "first" and "last".
    assert report.cases_resolved == 2
    assert report.average_handling == _dt.timedelta(0)


def test_one_day_window_around_midnight() -> None:
    paid = [PaidOrder("O-1", shanghai(2026, 11, 30, 23, 59, 59))]
    just_after = aftersales_report(
        [], paid, now=shanghai(2026, 12, 1, 0, 0, 0), zone=SHANGHAI, days=1
    )
    just_before = aftersales_report(
        [], paid, now=shanghai(2026, 11, 30, 23, 59, 59), zone=SHANGHAI, days=1
    )
    assert (just_after.paid_orders, just_before.paid_orders) == (1, 0)


# --- properties against a slow reference ------------------------------------------------------


def window_of(now: _dt.datetime, zone: str, days: int) -> tuple[_dt.datetime, _dt.datetime]:
    """The window computed with the standard library's zones (midnight with ``fold=0``)."""
    tz = ZoneInfo(zone)
    today = plain(now).astimezone(tz).date()
    start = _dt.datetime.combine(today - _dt.timedelta(days=days), _dt.time(), tzinfo=tz)
    end = _dt.datetime.combine(today, _dt.time(), tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def plain(at: _dt.datetime) -> _dt.datetime:
    """``at`` as a standard-library datetime in UTC."""
    u = at.astimezone(UTC)
    return _dt.datetime(
        u.year, u.month, u.day, u.hour, u.minute, u.second, u.microsecond, tzinfo=UTC
    )


BASE = pendulum.datetime(2026, 1, 1, tz="UTC")


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    zone = draw(st.sampled_from(ZONES))
    now = BASE + _dt.timedelta(seconds=draw(st.integers(0, 365 * 86400)))
    days = draw(st.sampled_from([1, 7, 30]))
    span = (days + 3) * 86400

    start, end = window_of(now, zone, days)

    def instant() -> _dt.datetime:
        # at or a microsecond off the window's bounds, or any second around the window
        if draw(st.booleans()):
            bound = draw(st.sampled_from([start, end]))
            return bound + draw(st.sampled_from([-US, _dt.timedelta(0), US]))
        back = draw(st.integers(-86400, span))
        micro = draw(st.sampled_from([0, 0, 1, 999999]))
        return now - _dt.timedelta(seconds=back, microseconds=micro)

    orders = [f"O-{i}" for i in range(draw(st.integers(0, 6)))]
    paid = [PaidOrder(o, instant()) for o in orders if draw(st.booleans())]
    specs = []
    for i in range(draw(st.integers(0, 7))):
        order = draw(st.sampled_from([*orders, "O-X"]))
        path = draw(st.sampled_from(PATHS))
        delay = _dt.timedelta(seconds=draw(st.sampled_from([0, draw(st.integers(0, 12 * 86400))])))
        specs.append((f"AS-{i}", order, instant(), path, delay))
    return {"zone": zone, "now": now, "days": days, "paid": paid, "specs": specs}


def cases_of(specs: Sequence[tuple[Any, ...]]) -> list[AfterSalesCase]:
    return [build_case(*spec) for spec in specs]


def reference(
    cases: list[AfterSalesCase],
    paid: list[PaidOrder],
    now: _dt.datetime,
    zone: str,
    days: int,
) -> dict[str, Any]:
    """The figures computed the slow way, with the standard library's zones."""
    start, end = window_of(now, zone, days)

    def inside(at: _dt.datetime | None) -> bool:
        return at is not None and start <= at < end

    window_orders = [p.order_id for p in paid if inside(p.paid_at)]
    opened = [c for c in cases if inside(c.opened_at)]

    def orders_with(test: Any) -> int:
        return sum(1 for o in window_orders if any(c.order_id == o and test(c) for c in opened))

    durations = sorted(
        plain(c.resolved_at) - plain(c.opened_at)
        for c in cases
        if c.resolved_at is not None and inside(c.resolved_at)
    )
    n = len(durations)
    average = p90 = None
    if n:
        total = sum(d // US for d in durations)
        average = _dt.timedelta(microseconds=round(Fraction(total, n)))
        p90 = next(d for d in durations if 10 * sum(1 for x in durations if x <= d) >= 9 * n)
    return {
        "window_start": start,
        "window_end": end,
        "paid_orders": len(window_orders),
        "cases_opened": len(opened),
        "orders_with_cases": orders_with(lambda c: True),
        "orders_refunded": orders_with(lambda c: c.refund_total.amount > 0),
        "orders_disputed": orders_with(
            lambda c: c.ruling is not None and c.ruling.for_buyer is True
        ),
        "automatic_approvals": sum(
            1 for c in opened if "auto_approve" in [r.trigger for r in c.history]
        ),
        "cases_resolved": n,
        "average_handling": average,
        "p90_handling": p90,
        "fastest_handling": durations[0] if n else None,
        "slowest_handling": durations[-1] if n else None,
    }


def report_of(s: dict[str, Any], cases: list[AfterSalesCase]) -> AfterSalesReport:
    return aftersales_report(cases, s["paid"], now=s["now"], zone=s["zone"], days=s["days"])


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_report_agrees_with_a_slow_reference(s: dict[str, Any]) -> None:
    cases = cases_of(s["specs"])
    report = report_of(s, cases)
    expected = reference(cases, s["paid"], s["now"], s["zone"], s["days"])
    assert {k: getattr(report, k) for k in expected} == expected
    n_paid = expected["paid_orders"]
    for rate, count in (
        (report.aftersales_rate, "orders_with_cases"),
        (report.refund_rate, "orders_refunded"),
        (report.dispute_rate, "orders_disputed"),
    ):
        assert rate == (Rate(expected[count], n_paid) if n_paid else None)
    assert sum(o.cases for o in report.outcomes) == report.cases_opened


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_rates_lie_between_0_and_1_and_p90_between_the_extremes(s: dict[str, Any]) -> None:
    report = report_of(s, cases_of(s["specs"]))
    for rate in (report.aftersales_rate, report.refund_rate, report.dispute_rate):
        assert (rate is None) == (report.paid_orders == 0)
        if rate is not None:
            assert 0 <= rate.value <= 1
            assert 0 <= rate.numerator <= rate.denominator
    assert report.dispute_rate is None or report.dispute_rate.numerator <= (
        report.orders_with_cases
    )
    if report.cases_resolved:
        assert report.fastest_handling is not None
        assert report.slowest_handling is not None
        assert report.p90_handling is not None
        assert report.average_handling is not None
        assert report.fastest_handling <= report.p90_handling <= report.slowest_handling
        assert report.fastest_handling <= report.average_handling <= report.slowest_handling
    else:
        assert report.p90_handling is report.average_handling is None
        assert report.handling_unavailable is not None


@settings(max_examples=100, deadline=None)
@given(scenarios(), st.data())
def test_adding_a_case_never_lowers_a_count(s: dict[str, Any], data: st.DataObject) -> None:
    cases = cases_of(s["specs"])
    before = report_of(s, cases)
    order = data.draw(st.sampled_from([*(p.order_id for p in s["paid"]), "O-X"]))
    opened = s["now"] - _dt.timedelta(seconds=data.draw(st.integers(0, (s["days"] + 1) * 86400)))
    path = data.draw(st.sampled_from(PATHS))
    after = report_of(s, [*cases, build_case("AS-NEW", order, opened, path)])
    counts = (
        "paid_orders",
        "cases_opened",
        "orders_with_cases",
        "orders_refunded",
        "orders_disputed",
        "automatic_approvals",
        "cases_resolved",
    )
    for name in counts:
        assert getattr(after, name) >= getattr(before, name), name
    assert after.paid_orders == before.paid_orders
    assert after.cases_opened - before.cases_opened in (0, 1)
    for status, n in before.cases_by_status().items():
        assert after.cases_by_status()[status] >= n


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from(ZONES),
    st.integers(0, 365 * 86400),
    st.integers(1, 60),
)
def test_boundaries_are_exact_in_every_zone(zone: str, seconds: int, days: int) -> None:
    now = BASE + _dt.timedelta(seconds=seconds)
    probe = aftersales_report([], [], now=now, zone=zone, days=days)
    start, end = probe.window_start, probe.window_end
    local = now.in_tz(zone)
    assert start.in_tz(zone).date() == local.date() - _dt.timedelta(days=days)
    assert end.in_tz(zone).date() == local.date()
    assert end <= now
    instants = {"first": start, "before": start - US, "last": end - US, "end": end}
    report = aftersales_report(
        [],
        [PaidOrder(name, at) for name, at in instants.items()],
        now=now,
        zone=zone,
        days=days,
    )
    assert report.paid_orders == 2
