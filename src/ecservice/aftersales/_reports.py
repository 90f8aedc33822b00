"""After-sales reports: rates over paid orders and handling times, from cases held in memory.

:func:`aftersales_report` reads after-sales cases (:class:`AfterSalesCase`) and the orders paid
(:class:`PaidOrder`, which :func:`paid_orders` derives from payments) and answers with an
:class:`AfterSalesReport`: the after-sales rate (售后率), the refund rate (退款率), the dispute
rate (纠纷率), the average and 90th-percentile handling time, the cases by remedy and outcome,
and the automatic approvals; the function and the report define every figure.
"""

from __future__ import annotations

import datetime as _dt
import enum
from collections.abc import Iterable, Mapping
from typing import Final, final

import attrs
from pendulum import DateTime

from ecservice._shown import shown
from ecservice.aftersales._case import AfterSalesCase
from ecservice.aftersales._case_events import CaseStatus
from ecservice.aftersales._case_values import RefundSort
from ecservice.aftersales._categories import RemedyKind
from ecservice.aftersales._report_measures import (
    DEFAULT_REPORT_DAYS,
    Rate,
    check_days,
    checked_durations,
    items,
    nearest_rank,
    report_window,
)
from ecservice.clock import check_zone, ensure_utc
from ecservice.errors import ValidationError
from ecservice.payments import Payment, PaymentStatus
from ecservice.text import check_text

__all__ = [
    "AfterSalesReport",
    "OutcomeCount",
    "PaidOrder",
    "aftersales_report",
    "paid_orders",
]

#: The percentile of the handling times the report gives besides their average.
_PERCENTILE: Final = 90


def _paid_at(value: _dt.datetime) -> DateTime:
    return ensure_utc(value, what="paid_at")


@final
@attrs.frozen(slots=True)
class PaidOrder:
    """An order that was paid, and when: what the rates count their orders among.

    Args:
        order_id: the order's id (short text).
        paid_at: when its payment was captured; an aware datetime, converted to UTC.

    Raises:
        ValidationError: bad text or a ``paid_at`` that is not a datetime.
        NaiveDatetime: ``paid_at`` has no time zone.
    """

    order_id: str = attrs.field()
    paid_at: DateTime = attrs.field(converter=_paid_at)

    @order_id.validator
    def _check_order_id(self, _: object, value: object) -> None:
        check_text(value, "a paid order's order_id")


def paid_orders(payments: Iterable[Payment]) -> tuple[PaidOrder, ...]:
    """The orders the payments paid, each once, at its earliest capture, sorted by order id.

    A payment paid its order when its history holds a transition into
    ``CAPTURED`` (已支付: the money was taken); its paid
    instant is the first such transition. A payment refunded later still paid; one only
    authorized, voided or failed did not. An order with several captured payments counts once,
    at the earliest.

    Raises:
        ValidationError: ``payments`` is not an iterable of
            :class:`~ecservice.payments.Payment`.
    """
    first: dict[str, DateTime] = {}
    for payment in items(payments, "payments"):
        if not isinstance(payment, Payment):
            raise ValidationError(f"payments must hold Payment values, not {shown(payment)}")
        at = next((r.at for r in payment.history if r.dest is PaymentStatus.CAPTURED), None)
        if at is not None and (payment.order_id not in first or at < first[payment.order_id]):
            first[payment.order_id] = at
    return tuple(PaidOrder(order_id, first[order_id]) for order_id in sorted(first))


@final
@attrs.frozen(slots=True)
class OutcomeCount:
    """How many cases opened in a report's window asked for ``remedy`` and stand in ``status``.

    Args:
        remedy: what the cases asked for.
        status: the outcome for cases that ended (refunded, exchanged, repaired, reshipped,
            compensated, withdrawn, closed), the state they wait in for cases still handled.
        cases: how many, at least 1.

    Raises:
        ValidationError: a remedy, status or count of the wrong type, or a count below 1.
    """

    remedy: RemedyKind
    status: CaseStatus
    cases: int

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.remedy, RemedyKind):
            raise ValidationError(f"remedy must be a RemedyKind, not {shown(self.remedy)}")
        if not isinstance(self.status, CaseStatus):
            raise ValidationError(f"status must be a CaseStatus, not {shown(self.status)}")
        if type(self.cases) is not int or self.cases < 1:
            raise ValidationError(f"cases must be an int of at least 1, not {shown(self.cases)}")


class _Kind(enum.Enum):
    CASE = "a case"
    REFUND = "a case that paid money back"
    DISPUTE = "a case the platform ruled against the seller"


def _check_zone(_: object, __: object, value: str) -> None:
    check_zone(value)


@final
@attrs.frozen(slots=True, kw_only=True)
class AfterSalesReport:
    """After-sales figures over one window (:func:`aftersales_report` defines the window and
    builds the report; the constructor checks the type of each figure).

    The rates count orders: each is a :class:`Rate` over the orders paid in the window, or
    ``None`` (with ``rates_unavailable`` saying why) when no order was paid in it. The handling
    times are ``timedelta`` values over the cases whose ``resolved_at`` (the instant a remedy was
    given, or the case closed or was withdrawn) falls in the window, each from ``opened_at`` to
    ``resolved_at``, or ``None`` (with ``handling_unavailable`` saying why) when no case was
    resolved in it. The 90th percentile is nearest-rank (:func:`nearest_rank`): the smallest
    handling time that at least 90% of them do not exceed; always one of them, between the
    fastest and the slowest, but not necessarily above the average.

    Args:
        now: the instant the report was asked for, in UTC.
        zone: the shop's IANA time zone, in which the days are counted.
        days: the window's length in local calendar days.
        window_start: the window's first instant, in UTC (the start of a local day).
        window_end: the window's end, exclusive, in UTC (the start of the local day of ``now``).
        paid_orders: the orders paid in the window.
        cases_opened: the cases opened in the window (whatever their order).
        orders_with_cases: paid orders of the window with a case opened in the window.
        orders_refunded: those with a case that paid money back (a refund of the goods or a
            compensation: a :class:`CaseRefund` in its ``refunds`` of a sort other than
            ``FREIGHT``; a reimbursed return freight alone does not count).
        orders_disputed: those with a case the platform ruled against the seller (its last
            :class:`Ruling` is ``for_buyer``) after either side asked it to step in (客服介入).
        aftersales_rate: the after-sales rate (售后率), ``orders_with_cases`` over
            ``paid_orders``.
        refund_rate: the refund rate (退款率), ``orders_refunded`` over ``paid_orders``.
        dispute_rate: the dispute rate (纠纷率, as Taobao's 纠纷退款率), ``orders_disputed`` over
            ``paid_orders``.
        rates_unavailable: why the rates are ``None``, or ``None`` when they are given.
        outcomes: the cases opened in the window by remedy and status (no zero counts), in the
            order the enums declare them.
        automatic_approvals: cases opened in the window that a timer approved (the seller did
            not answer in time: an ``auto_approve`` transition in the history, by
            :data:`TIMER_ACTOR` unless the shop names another actor).
        cases_resolved: the cases resolved in the window.
        average_handling: their mean handling time, rounded half to even to the microsecond.
        p90_handling: their 90th-percentile handling time (nearest rank).
        fastest_handling: their shortest handling time.
        slowest_handling: their longest handling time.
        handling_unavailable: why the handling times are ``None``, or ``None`` when given.
        explanation: one sentence per figure, saying what was counted.

    Raises:
        ValidationError: a figure of the wrong type, a ``zone`` :func:`~ecservice.clock.check_zone`
            refuses, or a window that ends before it starts.
    """

    now: DateTime
    zone: str = attrs.field(validator=_check_zone)
    days: int
    window_start: DateTime
    window_end: DateTime
    paid_orders: int
    cases_opened: int
    orders_with_cases: int
    orders_refunded: int
    orders_disputed: int
    aftersales_rate: Rate | None
    refund_rate: Rate | None
    dispute_rate: Rate | None
    rates_unavailable: str | None
    outcomes: tuple[OutcomeCount, ...]
    automatic_approvals: int
    cases_resolved: int
    average_handling: _dt.timedelta | None
    p90_handling: _dt.timedelta | None
    fastest_handling: _dt.timedelta | None
    slowest_handling: _dt.timedelta | None
    handling_unavailable: str | None
    explanation: tuple[str, ...]

    def __attrs_post_init__(self) -> None:
        for field in attrs.fields(AfterSalesReport):
            value = getattr(self, field.name)
            allowed = _REPORT_TYPES[field.name]
            if type(value) is bool or not isinstance(value, allowed):
                names = " or ".join("None" if t is type(None) else t.__name__ for t in allowed)
                raise ValidationError(
                    f"a report's {field.name} must be {names}, not {shown(value)}"
                )
        if self.window_start >= self.window_end:
            raise ValidationError("a report's window_start must come before its window_end")

    def cases_by_remedy(self) -> dict[RemedyKind, int]:
        """Cases opened in the window per remedy (remedies with none left out)."""
        counts: dict[RemedyKind, int] = {}
        for o in self.outcomes:
            counts[o.remedy] = counts.get(o.remedy, 0) + o.cases
        return counts

    def cases_by_status(self) -> dict[CaseStatus, int]:
        """Cases opened in the window per status, their outcome (statuses with none left out)."""
        counts: dict[CaseStatus, int] = {}
        for o in self.outcomes:
            counts[o.status] = counts.get(o.status, 0) + o.cases
        return {s: counts[s] for s in CaseStatus if s in counts}

    @classmethod
    def from_counts(
        cls,
        *,
        now: DateTime,
        zone: str,
        days: int,
        window_start: DateTime,
        window_end: DateTime,
        paid_orders: int,
        cases_opened: int,
        orders_with_cases: int,
        orders_refunded: int,
        orders_disputed: int,
        outcomes: Mapping[tuple[RemedyKind, CaseStatus], int],
        automatic_approvals: int,
        durations: Iterable[_dt.timedelta],
    ) -> AfterSalesReport:
        """The report of counts made elsewhere (in memory by :func:`aftersales_report`, by SQL
        queries over stored cases), with its rates, handling times and explanation: the
        fields are those of the class; ``outcomes`` maps (remedy, status) to cases, and
        ``durations`` are the handling times of the cases resolved in the window.

        Raises:
            ValidationError: a figure of the wrong type, a ``zone``
                :func:`~ecservice.clock.check_zone` refuses, or a window that ends before it starts.
        """
        handled = sorted(checked_durations(durations))
        span = (
            f"the {days} days from {window_start.isoformat()} to {window_end.isoformat()} "
            "(exclusive)"
        )
        counted = {
            _Kind.CASE: (orders_with_cases, "After-sales rate"),
            _Kind.REFUND: (orders_refunded, "Refund rate"),
            _Kind.DISPUTE: (orders_disputed, "Dispute rate"),
        }
        rates = {k: Rate(n, paid_orders) if paid_orders else None for k, (n, _) in counted.items()}
        explanation = [
            f"Window: {span}, UTC, counted in {zone} days.",
            f"{paid_orders} orders were paid in the window (first capture of a payment).",
            f"{cases_opened} cases were opened in the window.",
        ]
        for kind, (_count, label) in counted.items():
            rate = rates[kind]
            if rate is not None:
                explanation.append(
                    f"{label} {rate}: orders paid in the window with {kind.value} opened in the "
                    "window, over the orders paid in the window."
                )
        rates_unavailable = None if paid_orders else f"no order was paid in {span}"
        handling_unavailable = None if handled else f"no case was resolved in {span}"
        average = sum(handled, _dt.timedelta()) / len(handled) if handled else None
        p90 = nearest_rank(handled, _PERCENTILE)
        if handled:
            explanation.append(
                f"{len(handled)} cases were resolved in the window; handling time from opening "
                f"to resolution: average {average}, 90th percentile (nearest rank) {p90}, "
                f"fastest {handled[0]}, slowest {handled[-1]}."
            )
        explanation.append(
            f"{automatic_approvals} cases opened in the window were approved by a timer."
        )
        for reason in (rates_unavailable, handling_unavailable):
            if reason is not None:
                explanation.append(f"Not available: {reason}.")
        return cls(
            now=now,
            zone=zone,
            days=days,
            window_start=window_start,
            window_end=window_end,
            paid_orders=paid_orders,
            cases_opened=cases_opened,
            orders_with_cases=orders_with_cases,
            orders_refunded=orders_refunded,
            orders_disputed=orders_disputed,
            aftersales_rate=rates[_Kind.CASE],
            refund_rate=rates[_Kind.REFUND],
            dispute_rate=rates[_Kind.DISPUTE],
            rates_unavailable=rates_unavailable,
            outcomes=tuple(
                OutcomeCount(r, s, outcomes[(r, s)])
                for r in RemedyKind
                for s in CaseStatus
                if (r, s) in outcomes
            ),
            automatic_approvals=automatic_approvals,
            cases_resolved=len(handled),
            average_handling=average,
            p90_handling=p90,
            fastest_handling=handled[0] if handled else None,
            slowest_handling=handled[-1] if handled else None,
            handling_unavailable=handling_unavailable,
            explanation=tuple(explanation),
        )


_N = type(None)
_REPORT_TYPES: Final[dict[str, tuple[type, ...]]] = {
    "now": (DateTime,),
    "zone": (str,),
    "window_start": (DateTime,),
    "window_end": (DateTime,),
    **dict.fromkeys(
        (
            "days",
            "paid_orders",
            "cases_opened",
            "orders_with_cases",
            "orders_refunded",
            "orders_disputed",
            "automatic_approvals",
            "cases_resolved",
        ),
        (int,),
    ),
    **dict.fromkeys(("aftersales_rate", "refund_rate", "dispute_rate"), (Rate, _N)),
    **dict.fromkeys(("rates_unavailable", "handling_unavailable"), (str, _N)),
    "outcomes": (tuple,),
    **dict.fromkeys(
        ("average_handling", "p90_handling", "fastest_handling", "slowest_handling"),
        (_dt.timedelta, _N),
    ),
    "explanation": (tuple,),
}


def _check_cases(cases: Iterable[AfterSalesCase]) -> list[AfterSalesCase]:
    out: list[AfterSalesCase] = []
    seen: set[str] = set()
    for case in items(cases, "cases"):
        if not isinstance(case, AfterSalesCase):
            raise ValidationError(f"cases must hold AfterSalesCase values, not {shown(case)}")
        if case.id in seen:
            raise ValidationError(f"cases must name each case once; {case.id!r} comes twice")
        seen.add(case.id)
        out.append(case)
    return out


def _check_paid(paid: Iterable[PaidOrder]) -> dict[str, DateTime]:
    out: dict[str, DateTime] = {}
    for item in items(paid, "paid"):
        if not isinstance(item, PaidOrder):
            raise ValidationError(
                f"paid must hold PaidOrder values (paid_orders() derives them from payments), "
                f"not {shown(item)}"
            )
        if item.order_id in out:
            raise ValidationError(
                f"paid must name each order once; {item.order_id!r} comes twice "
                "(paid_orders() keeps an order's earliest capture)"
            )
        out[item.order_id] = item.paid_at
    return out


def _elapsed(start: DateTime, end: DateTime) -> _dt.timedelta:
    # datetime's own subtraction: a plain timedelta (pendulum's gives an Interval, whose
    # arithmetic differs).
    return _dt.datetime.__sub__(end, start)


def _ruled_against_seller(case: AfterSalesCase) -> bool:
    return case.ruling is not None and case.ruling.for_buyer


def aftersales_report(
    cases: Iterable[AfterSalesCase],
    paid: Iterable[PaidOrder],
    *,
    now: _dt.datetime,
    zone: str,
    days: int = DEFAULT_REPORT_DAYS,
) -> AfterSalesReport:
    """The after-sales figures of the ``days`` whole local days before the day of ``now``.

    **The window.** A report covers ``days`` whole calendar days of the shop's time zone (30 by
    default: the "近30天" of marketplace dashboards), the days before the local day of ``now``: it
    starts at the first local instant of the day ``days`` days before that day and ends, exclusive,
    at the first local instant of that day. Today, incomplete, is not counted, so a report asked
    twice on one day gives the same figures. An instant at the start is in the window, one
    microsecond earlier is not; an instant at the end is not, one microsecond earlier is. Days are
    calendar days (民法典 art. 201 and 203, as the after-sales windows are counted): a
    window that spans a daylight-saving change is an hour shorter or longer than ``days`` x 24
    hours, and a day starts where :func:`day_start` says.

    **Which instant counts.** An order is in the window by the instant it was paid
    (``paid_at``); a case by the instant it was opened (``opened_at``) for the rates,
    the counts by remedy and outcome and the automatic approvals, and by the instant it was resolved
    (``resolved_at``) for the handling times. The cases are read as they stand: a case refunded or
    ruled on after the window still counts as refunded or ruled on.

    **Rates.** Each rate is a :class:`Rate` of whole numbers: paid orders of the window that had a
    case of the kind, over the orders paid in the window. Counting orders (not cases) over the same
    orders keeps every rate between 0 and 1 whatever the number of cases per order; a case of an
    order not paid in the window (paid earlier, or never) is counted in the case figures but in no
    rate.

    Every figure is defined in :class:`AfterSalesReport`. No figure is ever computed from a
    ``float``: rates are counts with an exact :class:`~decimal.Decimal` value, durations are
    ``timedelta``. With no order paid in the window the rates are ``None`` and
    ``rates_unavailable`` says why; with no case resolved in it the
    handling times are ``None`` and ``handling_unavailable`` says why.

    Args:
        cases: the shop's after-sales cases (each once), as they stand; cases outside the window
            are allowed and left out.
        paid: the shop's paid orders, each once (:func:`paid_orders` derives them from
            payments); orders outside the window are allowed and left out.
        now: when the report is asked for; an aware datetime (its local day in ``zone`` ends the
            window).
        zone: the shop's IANA time zone (``"Asia/Shanghai"``, ...), in which days are counted.
        days: the window's length in whole local days, from 1 to :data:`MAX_REPORT_DAYS`;
            :data:`DEFAULT_REPORT_DAYS` (30) by default.

    Raises:
        NaiveDatetime: ``now`` has no time zone.
        ValidationError: a zone :func:`~ecservice.clock.check_zone` refuses, ``days`` out of range,
            ``cases`` or ``paid`` not an iterable of :class:`AfterSalesCase` or :class:`PaidOrder`,
            a case or an order named twice, or a window outside the calendar.
    """
    at, name, start, end = report_window(now, zone, days)
    day_count = check_days(days)
    case_list = _check_cases(cases)
    paid_at = _check_paid(paid)

    window_orders = {oid for oid, t in paid_at.items() if start <= t < end}
    opened = [c for c in case_list if start <= c.opened_at < end]
    kinds: dict[_Kind, set[str]] = {k: set() for k in _Kind}
    outcome: dict[tuple[RemedyKind, CaseStatus], int] = {}
    automatic = 0
    for case in opened:
        key = (case.remedy, case.status)
        outcome[key] = outcome.get(key, 0) + 1
        if any(r.trigger == "auto_approve" for r in case.history):
            automatic += 1
        if case.order_id in window_orders:
            kinds[_Kind.CASE].add(case.order_id)
            if any(r.sort is not RefundSort.FREIGHT for r in case.refunds):
                kinds[_Kind.REFUND].add(case.order_id)
            if _ruled_against_seller(case):
                kinds[_Kind.DISPUTE].add(case.order_id)
    durations = []
    for case in case_list:
        resolved = case.resolved_at
        if resolved is not None and start <= resolved < end:
            durations.append(_elapsed(case.opened_at, resolved))
    return AfterSalesReport.from_counts(
        now=at,
        zone=name,
        days=day_count,
        window_start=start,
        window_end=end,
        paid_orders=len(window_orders),
        cases_opened=len(opened),
        orders_with_cases=len(kinds[_Kind.CASE]),
        orders_refunded=len(kinds[_Kind.REFUND]),
        orders_disputed=len(kinds[_Kind.DISPUTE]),
        outcomes=outcome,
        automatic_approvals=automatic,
        durations=durations,
    )
