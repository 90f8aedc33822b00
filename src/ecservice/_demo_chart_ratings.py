"""The charts of what buyers think, in the demo's report (private to
:mod:`ecservice._demo_charts`): seller credit, the good-review rate, the detailed seller
ratings, CSAT and NPS, and the customers' RFM segments.

Every label is computed when a chart is built, so the page can check that a font draws all its
Chinese text before anything is drawn.
"""

from __future__ import annotations

import decimal
from typing import Final

from matplotlib.axes import Axes

from ecservice._demo_chart_kit import (
    BLUE,
    GREEN,
    GREY,
    HUNDREDTH,
    INK,
    ORANGE,
    PALE,
    RED,
    SKY,
    TENTH,
    Chart,
    Words,
    count,
    frame,
    integer_locator,
    legend_above,
    nothing,
    pct,
    put_note,
    rate_bars,
    window_text,
)
from ecservice._demo_charts import (
    ChartFigures,
    CreditFigure,
    DetailedFigure,
    GoodReviewFigure,
    GradeCounts,
)
from ecservice.aftersales import Rate
from ecservice.money import sum_money
from ecservice.ratings import (
    CreditLevel,
    CreditTier,
    Dimension,
    Grade,
)
from ecservice.satisfaction import (
    DEFAULT_SEGMENTS,
    CustomerRfm,
    SatisfactionFigures,
    SatisfactionReport,
)

__all__ = ["customer_charts", "rating_charts"]

_TIER_COLOURS: Final = {
    CreditTier.HEART: RED,
    CreditTier.DIAMOND: BLUE,
    CreditTier.BLUE_CROWN: SKY,
    CreditTier.GOLD_CROWN: ORANGE,
}


def _credit(figures: ChartFigures, credit: CreditFigure, w: Words) -> Chart:
    score, level = credit.score, credit.level
    table = figures.credit_levels
    if level is None:
        band = [lv for lv in table if lv.tier is table[0].tier]
    elif level in table:
        band = [lv for lv in table if lv.tier is level.tier]
    else:
        band = [level]
    cells: list[tuple[str, str, bool]] = []
    if level is None:
        below = table[0].min_points
        cells.append((w.lines("No level", "无等级"), f"below {below:,}", True))
    for lv in band:
        span = (
            f"{lv.min_points:,}+"
            if lv.max_points is None
            else f"{lv.min_points:,}–{lv.max_points:,}"
        )
        cells.append((w.lines(lv.label_en, lv.label_zh), span, lv == level))
    at = next(i for i, (_, _, current) in enumerate(cells) if current)
    x = at + _position(score, level, table[0])
    colour = GREY if level is None else _TIER_COLOURS[level.tier]
    name = w("no level", "无等级") if level is None else w(level.label_en, level.label_zh)
    heading = f"{w('Seller credit', '信用等级')}: {score:,} points, {name}"
    tier = "below the first level" if level is None else f"the {level.tier.label_en.lower()} tier"
    caption = (
        f"The seller's credit points and their place in {tier}, each level an equal cell "
        "whatever its span of points."
    )
    if isinstance(credit, GradeCounts):
        counted = ", ".join(f"{credit.count(g):,} {g.label_en.lower()}" for g in Grade)
        caption += f" Counted ratings: {counted}."

    def draw(ax: Axes) -> None:
        for i, (label, span, current) in enumerate(cells):
            ax.barh(
                0,
                1,
                left=i,
                height=0.7,
                color=colour,
                alpha=1 if current else 0.22,
                edgecolor="white",
                linewidth=2,
            )
            text_colour = "white" if current else INK
            ax.text(
                i + 0.5,
                0.08,
                label,
                ha="center",
                va="center",
                fontsize=8.5,
                color=text_colour,
                weight="bold" if current else "normal",
            )
            ax.text(i + 0.5, -0.24, span, ha="center", va="center", fontsize=7.5, color=text_colour)
        ax.annotate(
            f"{score:,}",
            xy=(x, 0.36),
            xytext=(min(max(x, 0.25), len(cells) - 0.25), 0.78),
            ha="center",
            va="bottom",
            fontsize=10,
            weight="bold",
            arrowprops={"arrowstyle": "-|>", "color": INK},
        )
        ax.set_xlim(0, len(cells))
        ax.set_ylim(-0.5, 1.1)
        ax.set_axis_off()

    return Chart(
        key="credit",
        title_en="Seller credit",
        title_zh="信用等级",
        heading=heading,
        caption=caption,
        source="ecservice.ratings.seller_credit, ecservice.ratings.credit_level",
        rows=2,
        draw=draw,
    )


def _position(score: int, level: CreditLevel | None, first: CreditLevel) -> float:
    """Where ``score`` falls in its cell, from 0 to 1 (a ratio of whole points, for the
    marker)."""
    if level is None:
        return min(max(score, 0) / first.min_points, 1.0) * 0.9 + 0.05
    if level.max_points is None:
        return 0.5
    return (score - level.min_points + 0.5) / (level.max_points - level.min_points + 1)


def _good_reviews(figures: ChartFigures, report: GoodReviewFigure, w: Words) -> Chart:
    counts = [
        (Grade.GOOD, report.good, GREEN),
        (Grade.NEUTRAL, report.neutral, GREY),
        (Grade.BAD, report.bad, RED),
    ]
    total = sum(n for _, n, _ in counts)
    rate = "no counted rating" if report.rate is None else pct(report.rate)
    heading = f"{w('Good-review rate', '好评率')}: {rate}"
    legend = [f"{w.label(g)}: {n:,}" for g, n, _ in counts]
    span = window_text(report.start, report.end, figures.zone, report.days)
    caption = (
        f"Counted ratings rated in {span}: good out of good, neutral and bad (ratings that earn "
        "no credit are left out)."
    )

    def draw(ax: Axes) -> None:
        if not total:
            nothing(ax, "No rating counted in the window")
            return
        left = 0.0
        for (_, n, colour), label in zip(counts, legend, strict=True):
            share = 100 * n / total  # the bar's length only
            ax.barh(0, share, left=left, height=0.5, color=colour, label=label)
            if share >= 8:
                ax.text(
                    left + share / 2,
                    0,
                    f"{n:,}",
                    ha="center",
                    va="center",
                    color="white",
                    fontsize=9,
                    weight="bold",
                )
            left += share
        frame(ax, [""], limit=100, ticks=range(0, 101, 20))
        ax.set_ylim(0.5, -0.9)
        ax.set_xlabel("% of counted ratings")
        legend_above(ax, 3)

    return Chart(
        key="good-reviews",
        title_en="Good-review rate",
        title_zh="好评率",
        heading=heading,
        caption=caption,
        source="ecservice.ratings.good_review_rate",
        rows=2,
        draw=draw,
    )


def _detailed(figures: ChartFigures, report: DetailedFigure, w: Words) -> Chart:
    rows = []
    averages = {
        Dimension.DESCRIBED: report.described,
        Dimension.SERVICE: report.service,
        Dimension.LOGISTICS: report.logistics,
    }
    for dimension, average in averages.items():
        value = average.value
        note = (
            "no ratings"
            if value is None
            else (f"{value.quantize(HUNDREDTH)} ({count(average.count, 'rating')})")
        )
        rows.append((w.label(dimension), value, note))
    heading = w("Detailed seller ratings", "店铺动态评分")
    span = window_text(report.start, report.end, figures.zone, report.days)
    caption = (
        f"The average of each detailed score (1 to 5 stars) given in {span}; default ratings "
        "carry none, and a buyer's ratings beyond the monthly limit do not count."
    )

    def draw(ax: Axes) -> None:
        frame(ax, [label for label, _, _ in rows], limit=6.9, ticks=range(6))
        ax.set_xlabel("average score (stars)")
        for y, (_, value, note) in enumerate(rows):
            length = 0.0 if value is None else float(value)  # the bar's length only
            if value is not None:
                ax.barh(y, length, height=0.6, color=BLUE)
            put_note(ax, y, length + 0.08, note, colour=INK if value is not None else GREY)

    return Chart(
        key="detailed-ratings",
        title_en="Detailed seller ratings",
        title_zh="店铺动态评分",
        heading=heading,
        caption=caption,
        source="ecservice.ratings.detailed_ratings (Taobao rules, art. 41)",
        rows=len(rows),
        draw=draw,
    )


def _survey_rows(
    report: SatisfactionReport | SatisfactionFigures, w: Words
) -> list[tuple[str, SatisfactionFigures]]:
    if isinstance(report, SatisfactionFigures):
        return [(w("All surveys", "全部"), report)]
    rows = [(w("All surveys", "全部"), report.overall)]
    rows += [(w.label(kind), f) for kind, f in report.by_kind if f.sent]
    return rows


def _survey_window(figures: ChartFigures, report: SatisfactionReport | SatisfactionFigures) -> str:
    if isinstance(report, SatisfactionReport):
        return window_text(report.window_start, report.window_end, figures.zone, report.days)
    return "the report's window"


def _csat(
    figures: ChartFigures, report: SatisfactionReport | SatisfactionFigures, w: Words
) -> Chart:
    rows: list[tuple[str, Rate | None, str]] = []
    for label, f in _survey_rows(report, w):
        csat = f.csat
        if csat is None:
            rows.append((label, None, "no answer"))
        else:
            rows.append((label, csat.rate, f"({csat.satisfied:,} of {csat.responses:,})"))
    overall = rows[0][1]
    heading = f"{w('Customer satisfaction, CSAT', '满意度')}: " + (
        "no answer" if overall is None else pct(overall)
    )
    caption = (
        f"Satisfied answers (4 or 5 of 5) among the surveys sent in "
        f"{_survey_window(figures, report)} that were answered, overall and per subject."
    )
    return Chart(
        key="csat",
        title_en="Customer satisfaction (CSAT)",
        title_zh="满意度",
        heading=heading,
        caption=caption,
        source="ecservice.satisfaction.satisfaction_report (CsatScore)",
        rows=len(rows),
        draw=lambda ax: rate_bars(ax, rows, colour=GREEN),
    )


def _nps(
    figures: ChartFigures, report: SatisfactionReport | SatisfactionFigures, w: Words
) -> Chart:
    rows = _survey_rows(report, w)
    kinds = [
        (w("Detractors 0-6", "贬损者"), RED),
        (w("Passives 7-8", "被动者"), PALE),
        (w("Promoters 9-10", "推荐者"), GREEN),
    ]
    overall = rows[0][1].nps
    score = "no answer" if overall is None else _nps_value(overall.value)
    heading = f"{w('Net Promoter Score', '净推荐值')}: {score}"
    caption = (
        "Promoters, passives and detractors among the answers to the recommendation question "
        f"of the surveys sent in {_survey_window(figures, report)}; NPS is the promoters' "
        "share minus the detractors', from -100 to 100 (Reichheld, 2003)."
    )

    def draw(ax: Axes) -> None:
        frame(ax, [label for label, _ in rows], limit=132, ticks=range(0, 101, 20))
        ax.set_xlabel("% of answers")
        for y, (_, f) in enumerate(rows):
            nps = f.nps
            if nps is None:
                put_note(ax, y, 1, "no answer", colour=GREY)
                continue
            left = 0.0
            for (label, colour), n in zip(
                kinds, (nps.detractors, nps.passives, nps.promoters), strict=True
            ):
                share = 100 * n / nps.responses  # the bar's length only
                ax.barh(y, share, left=left, height=0.6, color=colour, label=label)
                left += share
            put_note(ax, y, 101.5, f"NPS {_nps_value(nps.value)} ({nps.responses:,})")
        legend_above(ax, 3)

    return Chart(
        key="nps",
        title_en="Net Promoter Score (NPS)",
        title_zh="净推荐值",
        heading=heading,
        caption=caption,
        source="ecservice.satisfaction.satisfaction_report (NpsScore)",
        rows=len(rows) + 1,
        draw=draw,
    )


def _nps_value(value: decimal.Decimal) -> str:
    shown = value.quantize(TENTH)
    return f"{shown.copy_abs() if shown.is_zero() else shown:+}"


def _rfm(figures: ChartFigures, customers: tuple[CustomerRfm, ...], w: Words) -> Chart:
    order = {s.name: i for i, s in enumerate(DEFAULT_SEGMENTS)}
    groups: dict[str, list[CustomerRfm]] = {}
    for c in customers:
        groups.setdefault(c.segment.name, []).append(c)
    names = sorted(groups, key=lambda n: (order.get(n, len(order)), n))
    locale = "zh_CN" if w.chinese else "en"
    rows = []
    for name in names:
        members = groups[name]
        spent = sum_money((c.monetary for c in members), members[0].monetary.currency)
        label = w(name.replace("_", " ").capitalize(), members[0].segment.label_zh)
        rows.append((label, len(members), f"{len(members):,} ({spent.format(locale)})"))
    heading = f"{w('Customer segments, RFM', 'RFM客户分层')}: {count(len(customers), 'customer')}"
    caption = (
        "Customers by the segment their recency, frequency and monetary scores (1 to 5) fall "
        f"in, as of {figures.now.in_timezone(figures.zone).date().isoformat()}, with what "
        "each segment spent."
    )

    def draw(ax: Axes) -> None:
        top = max(n for _, n, _ in rows)
        frame(ax, [label for label, _, _ in rows], limit=top * 1.55 + 1, ticks=[])
        ax.xaxis.set_major_locator(integer_locator())
        ax.set_xlim(0, top * 1.55 + 1)
        ax.set_xlabel("customers")
        for y, (_, n, note) in enumerate(rows):
            ax.barh(y, n, height=0.6, color=BLUE)
            put_note(ax, y, n + top * 0.02, note)

    return Chart(
        key="rfm",
        title_en="Customer segments (RFM)",
        title_zh="RFM客户分层",
        heading=heading,
        caption=caption,
        source="ecservice.satisfaction.rfm_analysis (RfmPolicy)",
        rows=len(rows),
        draw=draw,
    )


def rating_charts(figures: ChartFigures, w: Words) -> list[Chart]:
    """The charts of the ratings and surveys of ``figures`` (none for a report not given)."""
    out: list[Chart] = []
    if figures.credit is not None:
        out.append(_credit(figures, figures.credit, w))
    if figures.good_reviews is not None:
        out.append(_good_reviews(figures, figures.good_reviews, w))
    if figures.detailed is not None:
        out.append(_detailed(figures, figures.detailed, w))
    if figures.satisfaction is not None:
        out.append(_csat(figures, figures.satisfaction, w))
        out.append(_nps(figures, figures.satisfaction, w))
    return out


def customer_charts(figures: ChartFigures, w: Words) -> list[Chart]:
    """The RFM segments of ``figures`` (none without customers)."""
    return [_rfm(figures, figures.rfm, w)] if figures.rfm else []
