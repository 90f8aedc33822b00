"""The after-sales and complaint figures of ``ecservice demo`` and the checks of the money its
cases moved.

Private to the demo (:mod:`ecservice._demo` runs it). :func:`aftersales_figures` is the one place
the after-sales figures are computed (from the stored cases and payments, through
:func:`~ecservice.aftersales.aftersales_report`), :func:`complaint_figures` the one place the
complaint figures are (through :func:`complaint_report_of`); :func:`money_problems` says what is
wrong with the money of the stored orders given their cases.
"""

from __future__ import annotations

import datetime as _dt
import decimal
from collections import Counter
from collections.abc import Iterable
from typing import Any

import attrs

from ecservice._demo_aftersales import ZONE
from ecservice._demo_complaints import CALENDAR, POLICY
from ecservice.aftersales import (
    MAX_REPORT_DAYS,
    AfterSalesCase,
    CaseStatus,
    ProblemCategory,
    Rate,
    RefundSort,
    RemedyKind,
    aftersales_report,
    paid_orders,
)
from ecservice.application import refunded_for_cancelled
from ecservice.complaints import Complaint, ComplaintReport, TargetAttainment, complaint_report
from ecservice.money import Money, sum_money
from ecservice.orders import Order
from ecservice.payments import Payment, RefundKind
from ecservice.storage import MemoryStore, Store

__all__ = [
    "AfterSalesFigures",
    "ComplaintFigures",
    "aftersales_figures",
    "complaint_figures",
    "complaint_report_of",
    "money_problems",
]


@attrs.frozen(kw_only=True)
class AfterSalesFigures:
    """The after-sales figures of a run's month (see :func:`aftersales_figures`)."""

    opened: int
    outcomes: tuple[tuple[RemedyKind, CaseStatus, int], ...]
    refusals: tuple[tuple[str, int], ...]
    paid_orders: int
    aftersales_rate: Rate | None
    refund_rate: Rate | None
    dispute_rate: Rate | None
    automatic_approvals: int
    resolved: int
    average_handling: _dt.timedelta | None
    p90_handling: _dt.timedelta | None
    refunded: Money
    compensated: Money

    def by_remedy(self) -> dict[RemedyKind, dict[CaseStatus, int]]:
        """Cases by remedy, then by the status they stand in (their outcome)."""
        table: dict[RemedyKind, dict[CaseStatus, int]] = {}
        for remedy, status, n in self.outcomes:
            table.setdefault(remedy, {})[status] = n
        return table


def aftersales_figures(
    cases: Iterable[AfterSalesCase],
    payments: Iterable[Payment],
    refusals: Counter[str],
    *,
    now: _dt.datetime,
    days: int,
) -> AfterSalesFigures:
    """The after-sales figures of the ``days`` local days before the day of ``now`` (at most
    :data:`~ecservice.aftersales.MAX_REPORT_DAYS`), from every stored case and payment through
    :func:`~ecservice.aftersales.aftersales_report` (the figures a report from the database
    gives alike); the money is what the payments of the orders with a case opened in the window
    gave back as ``AFTERSALES`` refunds, and the compensations those cases decided."""
    case_list, payment_list = list(cases), list(payments)
    report = aftersales_report(
        case_list,
        paid_orders(payment_list),
        now=now,
        zone=ZONE,
        days=min(days, MAX_REPORT_DAYS),
    )
    start, end = report.window_start, report.window_end
    window = [c for c in case_list if start <= c.opened_at < end]
    with_case = {c.order_id for c in window}
    compensated = [r.amount for c in window for r in c.refunds if r.sort is RefundSort.COMPENSATION]
    refunded = (
        p.refunded_of(RefundKind.AFTERSALES) for p in payment_list if p.order_id in with_case
    )
    return AfterSalesFigures(
        opened=report.cases_opened,
        outcomes=tuple((o.remedy, o.status, o.cases) for o in report.outcomes),
        refusals=tuple(sorted(refusals.items())),
        paid_orders=report.paid_orders,
        aftersales_rate=report.aftersales_rate,
        refund_rate=report.refund_rate,
        dispute_rate=report.dispute_rate,
        automatic_approvals=report.automatic_approvals,
        resolved=report.cases_resolved,
        average_handling=report.average_handling,
        p90_handling=report.p90_handling,
        refunded=sum_money(refunded, "CNY"),
        compensated=sum_money(compensated, "CNY"),
    )


@attrs.frozen(kw_only=True)
class ComplaintFigures:
    """The complaint figures of a run's month (see :func:`complaint_figures`): the complaints
    opened in the window, ``orders`` the orders the run handled (placed, or continued from an
    earlier run; ``share``: complaints per order), the rest as
    :class:`~ecservice.complaints.ComplaintReport` gives them (working time on the demo's
    calendar), ``still_open`` those not closed, ``via_cases`` those whose solution an
    after-sales case carried out (the complaint followed the case to its end)."""

    opened: int
    orders: int
    share: Rate | None
    by_category: tuple[tuple[ProblemCategory, int], ...]
    unclassified: int
    targets: tuple[TargetAttainment, ...]
    replied: int
    first_reply_median: _dt.timedelta | None
    first_reply_p90: _dt.timedelta | None
    resolved: int
    resolution_median: _dt.timedelta | None
    resolution_p90: _dt.timedelta | None
    reopened: int
    reopen_rate: Rate | None
    visits: int
    satisfaction_average: decimal.Decimal | None
    satisfied_rate: Rate | None
    via_cases: int
    still_open: int


def complaint_report_of(
    store: Store, complaints: Iterable[Complaint], *, now: _dt.datetime, days: int
) -> ComplaintReport:
    """The complaint report of the ``days`` local days before the day of ``now`` (at most
    :data:`~ecservice.aftersales.MAX_REPORT_DAYS`) under the demo's policy and calendar, of the
    complaints ``store`` holds (``complaints``: all of them, loaded): counted by the database
    (:class:`~ecservice.storage.sql.SqlComplaintReports`, from the facts the store writes with
    every complaint) on SQLite and PostgreSQL, else by
    :func:`~ecservice.complaints.complaint_report` (the one place the demo asks for it)."""
    window = min(days, MAX_REPORT_DAYS)
    if not isinstance(store, MemoryStore):  # SQLAlchemy is needed only then
        from ecservice.storage.sql import SqlComplaintReports, SqlStore

        if isinstance(store, SqlStore):
            return SqlComplaintReports(store).report(
                POLICY, CALENDAR, now=now, zone=ZONE, days=window
            )
    return complaint_report(complaints, POLICY, CALENDAR, now=now, zone=ZONE, days=window)


def complaint_figures(
    store: Store, complaints: Iterable[Complaint], *, orders: int, now: _dt.datetime, days: int
) -> ComplaintFigures:
    """The complaint figures of the ``days`` local days before the day of ``now``, from every
    stored complaint (:func:`complaint_report_of`); ``orders`` is how many orders the run
    handled."""
    every = list(complaints)
    report = complaint_report_of(store, every, now=now, days=days)
    start, end = report.window_start, report.window_end
    window = [c for c in every if start <= c.opened_at < end]
    return ComplaintFigures(
        opened=report.complaints_opened,
        orders=orders,
        share=Rate(report.complaints_opened, orders) if orders else None,
        by_category=report.by_category,
        unclassified=report.unclassified,
        targets=report.targets,
        replied=report.replied,
        first_reply_median=report.first_reply_median,
        first_reply_p90=report.first_reply_p90,
        resolved=report.resolved,
        resolution_median=report.resolution_median,
        resolution_p90=report.resolution_p90,
        reopened=report.reopened,
        reopen_rate=report.reopen_rate,
        visits=report.visits,
        satisfaction_average=report.satisfaction_average,
        satisfied_rate=report.satisfied_rate,
        via_cases=sum(any(r.trigger == "case_resolved" for r in c.history) for c in window),
        still_open=sum(c.is_open for c in window),
    )


def money_problems(
    stored: Iterable[tuple[Order[Any], list[Payment]]], cases: Iterable[AfterSalesCase]
) -> list[str]:
    """What is wrong with the money of the stored orders given their cases (nothing: an empty
    list). For every order whose money was taken: its payments keep exactly its amount due less
    what its cases refunded for units it still charges
    (:func:`~ecservice.application.refunded_for_cancelled` counts the others);
    their ``AFTERSALES`` refunds are exactly the refunds its cases decided, each under its key;
    and its cases never refunded more than was captured."""
    of_order: dict[str, list[AfterSalesCase]] = {}
    for case in cases:
        of_order.setdefault(case.order_id, []).append(case)
    problems: list[str] = []
    for order, payments in stored:
        if not any(p.captured is not None for p in payments):
            continue
        mine = of_order.get(order.id, [])
        decided = sum_money((c.refund_total + c.freight_total for c in mine), order.currency)
        made = sum_money((p.refunded_of(RefundKind.AFTERSALES) for p in payments), order.currency)
        keys = {k for p in payments for k, _f, _v in p.idempotency if k.startswith("aftersales:")}
        wanted = {k for c in mine for k, _a in c.refund_requests()}
        captured = sum_money((p.captured for p in payments if p.captured), order.currency)
        kept = sum_money((p.net for p in payments), order.currency)
        # Units a case refunded and the order then cancelled are not owed twice.
        owed = order.amount_due - (decided - refunded_for_cancelled(order, mine, payments))
        if owed.is_negative():
            owed = Money.zero(order.currency)
        if made != decided or keys != wanted:
            problems.append(
                f"order {order.id}: its cases decided {decided} of refunds "
                f"({len(wanted)} keys), its payments made {made} ({len(keys)} keys)"
            )
        if decided > captured:
            problems.append(f"order {order.id}: its cases refunded {decided} of {captured} paid")
        if kept != owed:
            problems.append(f"order {order.id}: its payments keep {kept}, it owes {owed}")
    return problems
