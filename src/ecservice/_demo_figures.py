"""The after-sales figures of ``ecservice demo`` and the checks of the money its cases moved.

Private to the demo (:mod:`ecservice._demo` runs it). :func:`aftersales_figures` is the one place
the figures are computed (from the stored cases and payments, through
:func:`~ecservice.aftersales.aftersales_report`); :func:`money_problems` says what is wrong with
the money of the stored orders given their cases.
"""

from __future__ import annotations

import datetime as _dt
from collections import Counter
from collections.abc import Iterable
from typing import Any

import attrs

from ecservice._demo_aftersales import ZONE
from ecservice.aftersales import (
    MAX_REPORT_DAYS,
    AfterSalesCase,
    CaseStatus,
    Rate,
    RefundSort,
    RemedyKind,
    aftersales_report,
    paid_orders,
)
from ecservice.application import refunded_for_cancelled
from ecservice.money import Money, sum_money
from ecservice.orders import Order
from ecservice.payments import Payment, RefundKind

__all__ = ["AfterSalesFigures", "aftersales_figures", "money_problems"]


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
