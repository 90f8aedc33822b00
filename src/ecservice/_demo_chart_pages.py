"""The pages of the demo's chart report: a self-contained HTML page, or one PNG grid, drawn with
matplotlib's Agg canvas (private to :mod:`ecservice._demo_charts`, which imports it only once
matplotlib is known to be there).

Nothing here reads the clock or draws a window: the figures are rendered off screen into
memory, and PNG files carry no software or time stamp, so the same figures give the same bytes.
"""

from __future__ import annotations

import base64
import functools
import html
import io
import logging
import textwrap
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Final

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure, SubFigure

from ecservice._demo_chart_kit import INK, Chart, Words
from ecservice._demo_chart_ratings import customer_charts, rating_charts
from ecservice._demo_chart_service import service_charts
from ecservice._demo_charts import ChartFigures, ChartsUnavailable

__all__ = ["charts", "cjk_family", "html_page", "png_grid"]

#: Families known to draw Simplified Chinese, tried first, in this order.
_CJK_FAMILIES: Final[tuple[str, ...]] = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Microsoft YaHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "Heiti SC",
    "SimHei",
    "Droid Sans Fallback",
    "AR PL UMing CN",
)
#: Words in the names of other families that may (their glyphs are checked).
_CJK_HINTS: Final = ("CJK", "Hei", "Han Sans", "Han Serif", "Song", "Ming", "Kai", "YaHei")
_LATIN: Final = "DejaVu Sans"
_HTML_DPI: Final = 110
_GRID_DPI: Final = 100
_WIDTH: Final = 8.0  # inches, one chart of the page
_TITLE_ZH: Final = "客服数据报告"


@functools.cache
def _charmaps() -> tuple[tuple[str, frozenset[int]], ...]:
    """The installed families that may draw Chinese, with the code points each draws."""
    from matplotlib import font_manager, ft2font

    files: dict[str, str] = {}
    for entry in font_manager.fontManager.ttflist:
        files.setdefault(entry.name, entry.fname)
    names = [n for n in _CJK_FAMILIES if n in files]
    names += sorted(n for n in files if n not in _CJK_FAMILIES and any(h in n for h in _CJK_HINTS))
    found: list[tuple[str, frozenset[int]]] = []
    for name in names:
        try:
            charmap = ft2font.FT2Font(files[name]).get_charmap()
        except (OSError, RuntimeError, ValueError):  # an unreadable file: not a candidate
            continue
        found.append((name, frozenset(charmap)))
    return tuple(found)


def cjk_family(text: str) -> str | None:
    """The first installed font family that draws every non-ASCII character of ``text``, or
    ``None``."""
    wanted = {ord(c) for c in text if ord(c) > 0x7F and not c.isspace()}
    for name, charmap in _charmaps():
        if wanted <= charmap:
            return name
    return None


def charts(figures: ChartFigures, words: Words) -> list[Chart]:
    """The charts of ``figures``, in the report's order: ratings and surveys, consultations,
    complaints, after-sales cases, customers; none for a report not given."""
    return (
        rating_charts(figures, words)
        + service_charts(figures, words)
        + customer_charts(figures, words)
    )


def _drawn(figures: ChartFigures, chinese: bool | None) -> tuple[list[Chart], str | None]:
    """The charts with their labels, and the Chinese family that draws them (``None``: English
    labels only)."""
    if chinese is not False:
        words = Words(chinese=True)
        found = charts(figures, words)
        family = cjk_family("".join(words.seen) + _TITLE_ZH)
        if family is not None:
            return found, family
        if chinese:
            raise ChartsUnavailable(
                "no installed font draws the report's Chinese labels: install one (Noto Sans "
                "CJK SC: apt-get install fonts-noto-cjk), or draw English labels only"
            )
    return charts(figures, Words(chinese=False)), None


@contextmanager
def _style(family: str | None) -> Iterator[None]:
    fonts = [_LATIN] if family is None else [_LATIN, family]
    # A Chinese family without a bold face is drawn regular in bold text: not worth a warning.
    fonts_log = logging.getLogger("matplotlib.font_manager")
    level = fonts_log.level
    fonts_log.setLevel(logging.ERROR)
    try:
        with _rc(fonts):
            yield
    finally:
        fonts_log.setLevel(level)


def _rc(fonts: list[str]) -> AbstractContextManager[None]:
    context: AbstractContextManager[None] = matplotlib.rc_context(
        {
            "font.family": fonts,
            "font.size": 9.5,
            "axes.titlesize": 11,
            "axes.titleweight": "bold",
            "axes.titlelocation": "left",
            "axes.edgecolor": "#555555",
            "text.color": INK,
            "axes.labelcolor": INK,
            "xtick.color": "#444444",
            "ytick.color": INK,
            "axes.unicode_minus": False,
        }
    )
    return context


def _png(fig: Figure, dpi: int) -> bytes:
    out = io.BytesIO()
    FigureCanvasAgg(fig)
    fig.savefig(out, format="png", dpi=dpi, metadata={"Software": None})
    return out.getvalue()


def _height(chart: Chart) -> float:
    return 1.25 + 0.42 * chart.rows


def _title(figures: ChartFigures, chinese: bool) -> tuple[str, str]:
    local = figures.now.in_timezone(figures.zone)
    title = f"{figures.shop}: customer service figures"
    if chinese:
        title += f" ({_TITLE_ZH})"
    subtitle = (
        f"The run's {figures.days} days before {local.date().isoformat()} ({figures.zone}); "
        f"figures as of {local.format('YYYY-MM-DD HH:mm')} local time"
    )
    return title, subtitle


def _heading(fig: Figure | SubFigure, chart: Chart) -> None:
    fig.suptitle(chart.heading, x=0.01, ha="left", fontsize=11, weight="bold")


def _chart_png(chart: Chart) -> tuple[bytes, int, int]:
    fig = Figure(figsize=(_WIDTH, _height(chart)), layout="constrained")
    ax = fig.add_subplot()
    chart.draw(ax)
    _heading(fig, chart)
    data = _png(fig, _HTML_DPI)
    return data, round(_WIDTH * _HTML_DPI), round(_height(chart) * _HTML_DPI)


_CSS: Final = """
body { font-family: system-ui, "Noto Sans CJK SC", "WenQuanYi Micro Hei", "Microsoft YaHei",
  sans-serif; color: #222; max-width: 56rem; margin: 2rem auto; padding: 0 1rem;
  line-height: 1.45; }
h1 { font-size: 1.5rem; margin-bottom: .25rem; }
.subtitle { color: #555; margin-top: 0; }
figure { margin: 2rem 0; }
figure img { max-width: 100%; height: auto; display: block; }
figcaption { font-size: .9rem; color: #444; margin-top: .4rem; }
figcaption code { font-size: .85rem; }
.empty { padding: 2rem; border: 1px dashed #aaa; color: #555; }
""".strip()


def html_page(figures: ChartFigures, chinese: bool | None) -> bytes:
    """The report as one HTML page (UTF-8), each chart an embedded PNG under its caption."""
    found, family = _drawn(figures, chinese)
    title, subtitle = _title(figures, True)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title>",
        f"<style>\n{_CSS}\n</style>",
        "</head>",
        "<body>",
        f"<h1>{html.escape(title)}</h1>",
        f'<p class="subtitle">{html.escape(subtitle)}.</p>',
    ]
    if not found:
        parts.append(
            '<p class="empty">Nothing to draw: the report was given no figures (no ratings, '
            "surveys, consultations, complaints, after-sales cases or customers).</p>"
        )
    with _style(family):
        for number, chart in enumerate(found, start=1):
            data, width, height = _chart_png(chart)
            uri = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
            name = f"{chart.title_en} ({chart.title_zh})"
            parts += [
                f'<figure id="{chart.key}">',
                f'<img src="{uri}" width="{width}" height="{height}" alt="{html.escape(name)}">',
                f"<figcaption><strong>Figure {number}. {html.escape(name)}.</strong> "
                f"{html.escape(chart.caption)} Source: <code>{html.escape(chart.source)}"
                "</code>.</figcaption>",
                "</figure>",
            ]
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts).encode("utf-8")


def png_grid(figures: ChartFigures, chinese: bool | None) -> bytes:
    """The report as one PNG image: the title, then the charts two by two, each with its
    number and source under it."""
    found, family = _drawn(figures, chinese)
    title, subtitle = _title(figures, family is not None)
    columns = 2 if len(found) > 1 else 1
    rows = [found[i : i + columns] for i in range(0, len(found), columns)]
    header = 0.75 + 0.25 * (len(textwrap.wrap(title, 55 * columns)) - 1)
    heights = [header] + ([max(_height(c) for c in row) + 0.45 for row in rows] or [1.5])
    with _style(family):
        fig = Figure(figsize=(_WIDTH * columns, sum(heights)), layout="constrained")
        grid = fig.add_gridspec(len(heights), columns, height_ratios=heights)
        top = fig.add_subfigure(grid[0, :])
        top.text(
            0.005, 0.98, textwrap.fill(title, 55 * columns), fontsize=14, weight="bold", va="top"
        )
        top.text(
            0.005,
            0.2,
            textwrap.fill(subtitle, 95 * columns),
            fontsize=10,
            color="#444444",
            va="bottom",
        )
        if not found:
            fig.text(
                0.5,
                0.35,
                "Nothing to draw: the report was given no figures.",
                ha="center",
                va="center",
                fontsize=12,
                color="#555555",
            )
            return _png(fig, _GRID_DPI)
        for number, chart in enumerate(found, start=1):
            at = number - 1
            cell = fig.add_subfigure(grid[1 + at // columns, at % columns])
            ax = cell.add_subplot()
            chart.draw(ax)
            _heading(cell, chart)
            note = f"Figure {number}. Source: {chart.source}."
            cell.supxlabel(textwrap.fill(note, 110), fontsize=8, color="#555555", x=0.02, ha="left")
        return _png(fig, _GRID_DPI)
