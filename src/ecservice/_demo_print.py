"""How ``ecservice demo`` prints its summary's blocks and hands its figures to the chart report
(private to the command line, :mod:`ecservice.cli`)."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ecservice._demo_charts import ChartFigures
from ecservice._demo_figures import AfterSalesFigures, ComplaintFigures
from ecservice._demo_service_figures import ServiceFigures
from ecservice.aftersales import CaseStatus, Rate
from ecservice.calendar import CN_LAST_CONFIRMED_YEAR
from ecservice.orders import HeldOrdersReport
from ecservice.satisfaction import CustomerRfm

if TYPE_CHECKING:
    from ecservice._demo_drafts import DraftFigures
    from ecservice._demo_instruments import InstrumentFigures
    from ecservice._demo_summary import DemoSummary

__all__ = [
    "chart_figures",
    "print_aftersales",
    "print_complaints",
    "print_drafts",
    "print_held",
    "print_rfm",
    "print_service",
    "print_wallets",
]

#: The statuses in which an after-sales case has ended (a remedy given, withdrawn, closed).
_CASE_ENDS = frozenset(
    {
        CaseStatus.REFUNDED,
        CaseStatus.EXCHANGED,
        CaseStatus.REPAIRED,
        CaseStatus.RESHIPPED,
        CaseStatus.COMPENSATED,
        CaseStatus.WITHDRAWN,
        CaseStatus.CLOSED,
    }
)


def chart_figures(summary: DemoSummary, *, days: int) -> ChartFigures:
    """The figures the chart report draws, from the summary's typed reports."""
    reports = summary.service.reports if summary.service is not None else None
    assert summary.now is not None  # run_demo sets it
    return ChartFigures(
        now=summary.now,
        shop="ecservice demo shop (示例店铺)",
        days=days,
        credit=None if reports is None else reports.credit,
        good_reviews=None if reports is None else reports.good_rate,
        detailed=None if reports is None else reports.detailed,
        satisfaction=None if reports is None else reports.satisfaction,
        consultation=None if reports is None else reports.consultation,
        complaints=summary.complaints,
        aftersales=summary.aftersales,
        rfm=summary.rfm,
    )


def print_held(report: HeldOrdersReport) -> None:
    """The exception-order block (异常订单): how many orders were held, why, how the holds
    ended and how long they took."""
    print()
    print(
        f"  held orders (异常订单):  {report.held} of {report.orders} orders placed "
        f"({_percent(report.share)}), {report.released} released, {report.cancelled} "
        f"cancelled, {len(report.still_held)} still held"
    )
    reasons = ", ".join(
        f"{reason.label_en} ({reason.label_zh}) {n}" for reason, n in report.by_reason.items() if n
    )
    if reasons:
        print(f"    by reason: {reasons}")
    print(
        f"    handling time: median {_hours(report.handling_median)}, "
        f"p90 {_hours(report.handling_p90)}"
    )


def print_drafts(figures: DraftFigures) -> None:
    """The business orders paid with electronic commercial drafts (电子商业汇票)."""
    print()
    statuses = ", ".join(
        f"{status.label()} {n}" for status, n in sorted(figures.by_status.items(), key=str) if n
    )
    print(
        f"  drafts (电子商业汇票):    {figures.drafts} paying B2B orders, face "
        f"{figures.face.format('zh_CN')} ({statuses})"
    )
    print(
        f"    paid at maturity {figures.paid_at_maturity.format('zh_CN')}; "
        f"dishonoured (拒付) {figures.dishonoured}, settled by recourse (追索) "
        f"{figures.recourse_collected.format('zh_CN')}"
    )
    print(
        f"    recourse claimed, unpaid {figures.claimed.format('zh_CN')}; awaiting maturity "
        f"{figures.receivable.format('zh_CN')}"
    )


def print_wallets(figures: InstrumentFigures) -> None:
    """The orders paid from the buyers' e-wallets (电子钱包) and coin wallets (电子现金), the
    shop's e-wallet and its account at the mint."""
    wallets, ecash = figures.wallets, figures.ecash
    print()
    print(
        f"  e-wallets (电子钱包):     {wallets.wallets} buyers' wallets, topped up "
        f"{wallets.funded.format('zh_CN')}"
    )
    print(
        f"    the buyers' wallets hold {wallets.buyers.format('zh_CN')}, the shop's wallet "
        f"{wallets.shop.format('zh_CN')}"
    )
    print(
        f"  e-cash (电子现金):        {ecash.wallets} buyers' coin wallets, coins withdrawn "
        f"{ecash.withdrawn.format('zh_CN')}"
    )
    print(
        f"    the buyers' coins hold {ecash.buyers.format('zh_CN')}, the mint owes the shop "
        f"{ecash.shop.format('zh_CN')}"
    )


def print_rfm(customers: Sequence[CustomerRfm]) -> None:
    """The buyers by RFM segment (RFM客户分层)."""
    print()
    counts: dict[str, int] = {}
    for customer in customers:
        name = f"{customer.segment.name} ({customer.segment.label_zh})"
        counts[name] = counts.get(name, 0) + 1
    shown = ", ".join(f"{name} {n}" for name, n in sorted(counts.items(), key=lambda i: -i[1]))
    print(f"  buyers by RFM segment:  {len(customers)} buyers: {shown}")


def _percent(rate: Rate | None) -> str:
    return "-" if rate is None else f"{rate.value * 100:.1f}%"


def _days(value: dt.timedelta | None) -> str:
    return "-" if value is None else f"{value / dt.timedelta(days=1):.1f} days"


def print_aftersales(figures: AfterSalesFigures) -> None:
    """The after-sales block of the demo's summary: cases by remedy and outcome, refusals,
    rates, automatic approvals, time to resolution and the money refunded."""
    print()
    still = sum(n for _, status, n in figures.outcomes if status not in _CASE_ENDS)
    print(
        f"  after-sales (售后):     {figures.opened} cases opened this month, "
        f"{figures.opened - still} ended, {still} in progress"
    )
    print(f"    {'remedy':<22}{'售后类型':<6}{'cases':>6}  outcome")
    for remedy, outcomes in figures.by_remedy().items():
        ended = [f"{s.value} {n}" for s, n in outcomes.items() if s in _CASE_ENDS]
        going = sum(n for s, n in outcomes.items() if s not in _CASE_ENDS)
        if going:
            ended.append(f"in progress {going}")
        zh = remedy.label_zh + "\u3000" * (5 - len(remedy.label_zh))
        print(f"    {remedy.label_en:<22}{zh}{sum(outcomes.values()):>6}  {', '.join(ended)}")
    refused = sum(n for _, n in figures.refusals)
    rules = ", ".join(f"{rule} {n}" for rule, n in figures.refusals)
    print(f"  requests refused:       {refused}" + (f" ({rules})" if rules else ""))
    print(
        f"  after-sales rate:       {_percent(figures.aftersales_rate)} of the "
        f"{figures.paid_orders} orders paid this month had a case"
    )
    print(f"  refund rate:            {_percent(figures.refund_rate)} (a case paid money back)")
    print(f"  ruled for the buyer:    {_percent(figures.dispute_rate)} (the platform stepped in)")
    print(f"  approved by timer:      {figures.automatic_approvals} (the seller did not answer)")
    print(
        f"  time to resolution:     average {_days(figures.average_handling)}, "
        f"90th percentile {_days(figures.p90_handling)} ({figures.resolved} cases)"
    )
    print(
        f"  after-sales refunds:    {figures.refunded.format('zh_CN')} "
        f"(compensations {figures.compensated.format('zh_CN')})"
    )


def _hours(value: dt.timedelta | None) -> str:
    return "-" if value is None else f"{value / dt.timedelta(hours=1):.1f} h"


def print_complaints(figures: ComplaintFigures) -> None:
    """The complaint block of the demo's summary: complaints by category, SLA attainment per
    target, working time to first reply and to resolution, reopenings, satisfaction."""
    print()
    print(
        f"  complaints (投诉):      {figures.opened} opened this month "
        f"({_percent(figures.share)} of {figures.orders} orders), "
        f"{figures.opened - figures.still_open} closed, {figures.still_open} open"
    )
    print(f"    {'category':<22}类别\u3000\u3000\u3000\u3000{'complaints':>12}")
    for category, n in figures.by_category:
        zh = category.label_zh + "\u3000" * (6 - len(category.label_zh))
        print(f"    {category.label_en:<22}{zh}{n:>12}")
    if figures.unclassified:
        print(f"    {'not recorded yet':<22}未记录\u3000\u3000\u3000{figures.unclassified:>12}")
    heading = f"{'cycles':>7}{'met':>6}{'breached':>10}{'attained':>10}"
    print(f"    {'SLA target':<22}时效\u3000\u3000\u3000\u3000{heading}")
    for target in figures.targets:
        zh = target.kind.label_zh + "\u3000" * (6 - len(target.kind.label_zh))
        print(
            f"    {target.kind.label_en:<22}{zh}{target.cycles:>7}{target.met:>6}"
            f"{target.breached:>10}{_percent(target.attainment):>10}"
        )
    print(
        f"  first reply:            median {_hours(figures.first_reply_median)}, 90th percentile "
        f"{_hours(figures.first_reply_p90)} of working time ({figures.replied} complaints)"
    )
    print(
        f"  resolution:             median {_hours(figures.resolution_median)}, 90th percentile "
        f"{_hours(figures.resolution_p90)} of working time ({figures.resolved} complaints)"
    )
    print(f"  through after-sales:    {figures.via_cases} resolved by an after-sales case")
    print(
        f"  reopened:               {figures.reopened} ({_percent(figures.reopen_rate)} of "
        "those closed)"
    )
    average = "-" if figures.satisfaction_average is None else f"{figures.satisfaction_average:.2f}"
    print(
        f"  satisfaction:           average {average} of 5, {_percent(figures.satisfied_rate)} "
        f"satisfied (4 or 5), {figures.visits} visits"
    )
    print(
        f"  holidays:               due dates after {CN_LAST_CONFIRMED_YEAR} use predicted ones "
        f"(the {CN_LAST_CONFIRMED_YEAR + 1} notice is not out yet)"
    )


def _seconds(value: dt.timedelta | None) -> str:
    return "-" if value is None else f"{value.total_seconds():.0f} s"


def _score(value: decimal.Decimal | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def print_service(figures: ServiceFigures) -> None:
    """The customer-service block of the demo's summary: ratings, seller credit, good-review
    rate, detailed ratings, CSAT, NPS, consultation conversion and response times, feedback."""
    r, counts = figures.reports, figures.ratings
    print()
    print(
        f"  ratings (评价):         {counts.ratings} lines: {counts.by_buyer} by the buyer, "
        f"{counts.by_default} good by default, {counts.pending} awaiting"
    )
    print(
        f"    {counts.revised} revised to good, {counts.explained} answered by the shop, "
        f"{counts.followed_up} followed up (追评)"
    )
    level = r.credit.level
    shown = (
        "below the first level"
        if level is None
        else f"level {level.level}, {level.symbols} {level.tier.label_en.lower()} "
        f"({level.symbols}{level.tier.label_zh})"
    )
    print(f"  seller credit (信用):   {r.credit.score} points, {shown}")
    rate = r.good_rate
    counted = rate.good + rate.neutral + rate.bad
    print(
        f"  good-review rate:       {_percent(rate.rate)} of {counted} counted ratings "
        f"({rate.good} good, {rate.neutral} neutral, {rate.bad} bad; {rate.days} days)"
    )
    d = r.detailed
    print(
        f"  detailed ratings (DSR): described {_score(d.described.value)}, service "
        f"{_score(d.service.value)}, logistics {_score(d.logistics.value)} of 5 "
        f"({d.described.count} ratings)"
    )
    s = r.satisfaction.overall
    print(
        f"  surveys (满意度):       {s.sent} sent, {s.answered} answered "
        f"({_percent(s.response_rate)}), {s.expired} expired"
    )
    csat = "-" if s.csat is None else f"{_percent(s.csat.rate)} satisfied (4 or 5)"
    print(
        f"  CSAT:                   {csat} of {0 if s.csat is None else s.csat.responses} answers"
    )
    nps = s.nps
    if nps is None:
        print("  NPS:                    -")
    else:
        print(
            f"  NPS:                    {nps.value:.1f} ({nps.promoters} promoters, "
            f"{nps.passives} passives, {nps.detractors} detractors)"
        )
    c = r.consultation
    print(
        f"  consultations (咨询):   {c.sessions} sessions, {c.converted} led to an order "
        f"({_percent(c.conversion)} conversion), {c.ended_without_order} without"
    )
    print(
        f"  response times:         first reply median {_seconds(c.first_response_median)}, "
        f"average {_seconds(c.first_response_average)}; every reply average "
        f"{_seconds(c.average_response)}"
    )
    f = r.feedback
    print(
        f"  feedback (反馈):        {f.received} received, {f.answered} answered, "
        f"{_percent(f.in_time_rate)} in time"
    )
