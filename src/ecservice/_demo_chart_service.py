"""The charts of the service the shop gave, in the demo's report (private to
:mod:`ecservice._demo_charts`): enquiry conversion and response times of consultations,
complaint SLA attainment and categories, after-sales outcomes.
"""

from __future__ import annotations

import datetime as _dt
from typing import Final

from matplotlib.axes import Axes

from ecservice._demo_chart_kit import (
    BLUE,
    GREEN,
    GREY,
    ORANGE,
    RED,
    SKY,
    Chart,
    Words,
    count,
    duration,
    frame,
    integer_locator,
    legend_above,
    locator,
    nothing,
    pct,
    put_note,
    rate_bars,
    window_text,
)
from ecservice._demo_charts import ChartFigures
from ecservice._demo_figures import AfterSalesFigures, ComplaintFigures
from ecservice.aftersales import AfterSalesReport, CaseStatus, Rate, RemedyKind
from ecservice.complaints import ComplaintReport
from ecservice.consultation import ConsultationReport

__all__ = ["service_charts"]

_GIVEN: Final = frozenset(
    {
        CaseStatus.REFUNDED,
        CaseStatus.EXCHANGED,
        CaseStatus.REPAIRED,
        CaseStatus.RESHIPPED,
        CaseStatus.COMPENSATED,
    }
)
_ENDED: Final = frozenset({CaseStatus.WITHDRAWN, CaseStatus.CLOSED})


def _conversion(figures: ChartFigures, report: ConsultationReport, w: Words) -> Chart:
    rows: list[tuple[str, Rate | None, str]] = [
        (
            w("All enquiries", "全部咨询"),
            report.conversion,
            f"({report.converted:,} of {report.enquired:,})" if report.enquired else "no enquiry",
        )
    ]
    for found in report.by_enquiry_type:
        rows.append(
            (
                w(found.type.label_en, found.type.label_zh),
                found.conversion,
                f"({found.ordered:,} of {found.sessions:,})",
            )
        )
    rate = "no enquiry" if report.conversion is None else pct(report.conversion)
    heading = f"{w('Enquiry conversion', '询单转化率')}: {rate}"
    caption = (
        "Sessions with an enquiry that ended with a confirmed order, overall and per enquiry "
        "type (a session asking about several types counts in each), of the "
        f"{count(report.sessions, 'session')} opened in "
        f"{window_text(report.window_start, report.window_end, figures.zone, report.days)}."
    )
    return Chart(
        key="conversion",
        title_en="Enquiry conversion",
        title_zh="询单转化率",
        heading=heading,
        caption=caption,
        source="ecservice.consultation.consultation_report",
        rows=len(rows),
        draw=lambda ax: rate_bars(ax, rows, colour=BLUE),
    )


def _responses(figures: ChartFigures, report: ConsultationReport, w: Words) -> Chart:
    rows = [
        (w("First response, median", "首次响应中位数"), report.first_response_median),
        (w("First response, 90th percentile", "首次响应P90"), report.first_response_p90),
        (w("First response, average", "首次响应平均"), report.first_response_average),
        (w("Every response, average", "平均响应时间"), report.average_response),
    ]
    heading = w("Response times", "响应时间")
    target = report.first_response_on_target
    on_target = (
        ""
        if target is None
        else (f" {pct(target)} of the first responses came within the policy's target.")
    )
    caption = (
        f"Time from a buyer's message to the agent's answer ({report.basis.label_en.lower()}), "
        f"over the {count(report.responses, 'response')} of the sessions opened in "
        f"{window_text(report.window_start, report.window_end, figures.zone, report.days)}; "
        f"median and percentile by nearest rank.{on_target}"
    )
    values = [v for _, v in rows if v is not None]
    longest = max(values, default=_dt.timedelta(0))
    unit, size = _unit(longest)

    def draw(ax: Axes) -> None:
        if not values:
            nothing(ax, "No response in the window")
            return
        top = longest / size
        frame(ax, [label for label, _ in rows], limit=top * 1.45, ticks=[])
        ax.xaxis.set_major_locator(locator())
        ax.set_xlim(0, top * 1.45)
        ax.set_xlabel(unit)
        for y, (_, value) in enumerate(rows):
            if value is None:
                put_note(ax, y, 0, " none", colour=GREY)
                continue
            length = value / size  # the bar's length only
            ax.barh(y, length, height=0.6, color=SKY)
            put_note(ax, y, length + top * 0.02, duration(value))

    return Chart(
        key="response-times",
        title_en="Response times",
        title_zh="响应时间",
        heading=heading,
        caption=caption,
        source="ecservice.consultation.consultation_report (ResponsePolicy)",
        rows=len(rows),
        draw=draw,
    )


def _unit(longest: _dt.timedelta) -> tuple[str, _dt.timedelta]:
    if longest < _dt.timedelta(minutes=2):
        return "seconds", _dt.timedelta(seconds=1)
    if longest < _dt.timedelta(hours=2):
        return "minutes", _dt.timedelta(minutes=1)
    return "hours", _dt.timedelta(hours=1)


def _sla(figures: ChartFigures, report: ComplaintReport | ComplaintFigures, w: Words) -> Chart:
    rows: list[tuple[str, Rate | None, str]] = [
        (w.label(t.kind), t.attainment, f"({t.met:,} of {t.cycles:,})") for t in report.targets
    ]
    heading = w("Complaint SLA attainment", "投诉时效达成率")
    caption = (
        "For each service-level target, the cycles decided by the report's instant that were "
        f"met in time (green) or breached (red), of the complaints opened in "
        f"{_complaint_window(figures, report)}; working time on the shop's calendar."
    )

    def draw(ax: Axes) -> None:
        if not rows:
            nothing(ax, "No SLA cycle decided in the window")
            return
        rate_bars(
            ax, rows, colour=GREEN, rest=RED, legend=(w("Met", "达成"), w("Breached", "超时"))
        )

    return Chart(
        key="complaint-sla",
        title_en="Complaint SLA attainment",
        title_zh="投诉时效达成率",
        heading=heading,
        caption=caption,
        source="ecservice.complaints.complaint_report (SlaPolicy)",
        rows=max(len(rows), 1) + 1,
        draw=draw,
    )


def _complaint_window(figures: ChartFigures, report: ComplaintReport | ComplaintFigures) -> str:
    if isinstance(report, ComplaintReport):
        return window_text(report.window_start, report.window_end, figures.zone, report.days)
    return f"the run's {figures.days} days"


def _categories(
    figures: ChartFigures, report: ComplaintReport | ComplaintFigures, w: Words
) -> Chart:
    opened = report.complaints_opened if isinstance(report, ComplaintReport) else report.opened
    rows = [(w.label(category), n) for category, n in report.by_category]
    if report.unclassified:
        rows.append((w("Not recorded yet", "未记录"), report.unclassified))
    heading = f"{w('Complaints by category', '投诉类别')}: {opened:,} opened"
    caption = (
        f"The complaints opened in {_complaint_window(figures, report)} by the category of "
        "their problem, as recorded (a complaint not recorded yet has none)."
    )

    def draw(ax: Axes) -> None:
        if not rows:
            nothing(ax, "No complaint in the window")
            return
        top = max(n for _, n in rows)
        frame(ax, [label for label, _ in rows], limit=top * 1.2 + 1, ticks=[])
        ax.xaxis.set_major_locator(integer_locator())
        ax.set_xlim(0, top * 1.2 + 1)
        ax.set_xlabel("complaints")
        for y, (_, n) in enumerate(rows):
            ax.barh(y, n, height=0.6, color=ORANGE)
            put_note(ax, y, n + top * 0.02, f"{n:,}")

    return Chart(
        key="complaint-categories",
        title_en="Complaints by category",
        title_zh="投诉类别",
        heading=heading,
        caption=caption,
        source="ecservice.complaints.complaint_report",
        rows=max(len(rows), 1),
        draw=draw,
    )


def _outcomes(
    report: AfterSalesReport | AfterSalesFigures,
) -> list[tuple[RemedyKind, CaseStatus, int]]:
    if isinstance(report, AfterSalesReport):
        return [(o.remedy, o.status, o.cases) for o in report.outcomes]
    return list(report.outcomes)


def _aftersales(
    figures: ChartFigures, report: AfterSalesReport | AfterSalesFigures, w: Words
) -> Chart:
    table: dict[RemedyKind, list[int]] = {}
    for remedy, status, n in _outcomes(report):
        group = 0 if status in _GIVEN else 2 if status in _ENDED else 1
        table.setdefault(remedy, [0, 0, 0])[group] += n
    rows = [(w.label(remedy), table[remedy]) for remedy in RemedyKind if remedy in table]
    groups = [
        (w("Remedy given", "已解决"), GREEN),
        (w("In progress", "处理中"), SKY),
        (w("Withdrawn or closed", "撤销或关闭"), GREY),
    ]
    if isinstance(report, AfterSalesReport):
        opened, paid, window = (
            report.cases_opened,
            report.paid_orders,
            window_text(report.window_start, report.window_end, report.zone, report.days),
        )
    else:
        opened, paid, window = report.opened, report.paid_orders, f"the run's {figures.days} days"
    heading = f"{w('After-sales outcomes', '售后结果')}: {count(opened, 'case')}"
    rates = [
        (name, rate)
        for name, rate in (
            ("after-sales rate", report.aftersales_rate),
            ("refund rate", report.refund_rate),
            ("dispute rate", report.dispute_rate),
        )
        if rate is not None
    ]
    said = "; ".join(f"{name} {pct(rate)}" for name, rate in rates)
    caption = (
        f"The after-sales cases opened in {window} by what they asked for and how they stand: "
        "a remedy given (refunded, exchanged, repaired, reshipped, compensated), still being "
        f"handled, or withdrawn or closed. Of the {count(paid, 'order')} paid in the window: "
        f"{said or 'no rate (no order paid)'}."
    )

    def draw(ax: Axes) -> None:
        if not rows:
            nothing(ax, "No after-sales case in the window")
            return
        top = max(sum(counts) for _, counts in rows)
        frame(ax, [label for label, _ in rows], limit=top * 1.2 + 1, ticks=[])
        ax.xaxis.set_major_locator(integer_locator())
        ax.set_xlim(0, top * 1.2 + 1)
        ax.set_xlabel("cases")
        for y, (_, counts) in enumerate(rows):
            left = 0
            for (label, colour), n in zip(groups, counts, strict=True):
                if n:
                    ax.barh(y, n, left=left, height=0.6, color=colour, label=label)
                left += n
            put_note(ax, y, left + top * 0.02, f"{left:,}")
        legend_above(ax, 3)

    return Chart(
        key="aftersales-outcomes",
        title_en="After-sales outcomes",
        title_zh="售后结果",
        heading=heading,
        caption=caption,
        source="ecservice.aftersales.aftersales_report",
        rows=max(len(rows), 2),
        draw=draw,
    )


def service_charts(figures: ChartFigures, w: Words) -> list[Chart]:
    """The charts of the consultations, complaints and after-sales cases of ``figures`` (none
    for a report not given)."""
    out: list[Chart] = []
    if figures.consultation is not None:
        out.append(_conversion(figures, figures.consultation, w))
        out.append(_responses(figures, figures.consultation, w))
    if figures.complaints is not None:
        out.append(_sla(figures, figures.complaints, w))
        out.append(_categories(figures, figures.complaints, w))
    if figures.aftersales is not None:
        out.append(_aftersales(figures, figures.aftersales, w))
    return out
