"""What the charts of the demo's report share (private to :mod:`ecservice._demo_charts`): the
palette, bilingual labels (:class:`Words`), the chart value (:class:`Chart`), exact values
turned into text, and the bars and frames the charts draw.

Counts, rates and averages stay exact (``int``, :class:`~ecservice.aftersales.Rate`,
``Decimal``, :class:`~ecservice.money.Money`) in the text of the labels; they become ``float``
only as the length of a bar.
"""

from __future__ import annotations

import datetime as _dt
import decimal
from collections.abc import Callable, Sequence
from typing import Final

import attrs
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator

from ecservice.aftersales import Rate
from ecservice.clock import zone as tz
from ecservice.workflow import LabelledState

__all__ = [
    "BLUE",
    "GREEN",
    "GREY",
    "HUNDREDTH",
    "INK",
    "ORANGE",
    "PALE",
    "RED",
    "SKY",
    "TENTH",
    "Chart",
    "Words",
    "bar_length",
    "count",
    "duration",
    "frame",
    "integer_locator",
    "legend_above",
    "locator",
    "nothing",
    "pct",
    "put_note",
    "rate_bars",
    "window_text",
]

# Okabe and Ito's palette, told apart with every common colour-vision deficiency.
GREEN: Final = "#009E73"
BLUE: Final = "#0072B2"
SKY: Final = "#56B4E9"
ORANGE: Final = "#E69F00"
RED: Final = "#D55E00"
GREY: Final = "#8C8C8C"
PALE: Final = "#D9D9D9"
INK: Final = "#222222"

TENTH: Final = decimal.Decimal("0.1")
HUNDREDTH: Final = decimal.Decimal("0.01")


@attrs.define
class Words:
    """Bilingual labels: ``"English (中文)"`` when ``chinese``, else the English alone; every
    Chinese term asked for is kept in ``seen`` (to check a font draws them)."""

    chinese: bool
    seen: list[str] = attrs.field(factory=list)

    def __call__(self, en: str, zh: str) -> str:
        self.seen.append(zh)
        return f"{en} ({zh})" if self.chinese else en

    def label(self, state: LabelledState) -> str:
        """A labelled state's two labels."""
        return self(state.label_en, state.label_zh)

    def lines(self, en: str, zh: str) -> str:
        """The two labels on two lines (the English alone without Chinese)."""
        self.seen.append(zh)
        return f"{en}\n{zh}" if self.chinese else en


@attrs.frozen(kw_only=True)
class Chart:
    """One chart: its key (the HTML anchor), its title in both languages, its title as drawn,
    a caption (what is drawn, over which window), the library function it comes from, how
    many rows of bars it has (its height), and the drawing itself."""

    key: str
    title_en: str
    title_zh: str
    heading: str
    caption: str
    source: str
    rows: int
    draw: Callable[[Axes], None]


# --- formatting (exact values to text) --------------------------------------------------------


def pct(rate: Rate) -> str:
    """A rate as a percentage with one decimal, from its exact value."""
    return f"{(rate.value * 100).quantize(TENTH)}%"


def bar_length(rate: Rate | None) -> float:
    """A rate as the length of a bar, 0 to 100: the one place a rate becomes a float."""
    return 0.0 if rate is None else float(rate.value) * 100


def duration(value: _dt.timedelta) -> str:
    """A duration in seconds, minutes or hours, whichever reads best, one decimal."""
    micros = decimal.Decimal(value // _dt.timedelta(microseconds=1))
    if value < _dt.timedelta(minutes=2):
        return f"{(micros / 10**6).quantize(TENTH)} s"
    if value < _dt.timedelta(hours=2):
        return f"{(micros / (60 * 10**6)).quantize(TENTH)} min"
    return f"{(micros / (3600 * 10**6)).quantize(TENTH)} h"


def window_text(start: _dt.datetime, end: _dt.datetime, zone: str, days: int) -> str:
    """A report's window in words: its first and last local days (``end`` is excluded)."""
    first = start.astimezone(tz(zone)).date()
    last = (end.astimezone(tz(zone)) - _dt.timedelta(microseconds=1)).date()
    return f"the {days} days from {first.isoformat()} to {last.isoformat()} ({zone})"


def count(n: int, noun: str) -> str:
    """``n`` of ``noun``, grouped by thousands, plural unless one."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


# --- drawing ---------------------------------------------------------------------------------


def frame(ax: Axes, labels: Sequence[str], *, limit: float, ticks: Sequence[float]) -> None:
    """Rows of horizontal bars, ``labels`` from the top, the value axis from 0 to ``limit``
    (room for the notes after the bars), light vertical grid lines, no top or right edge."""
    ax.set_yticks(range(len(labels)), labels)
    ax.set_ylim(len(labels) - 0.5, -0.5)
    ax.set_xlim(0, limit)
    ax.set_xticks(list(ticks))
    ax.grid(axis="x", color=PALE, linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="y", length=0)


def put_note(ax: Axes, y: int, x: float, text: str, *, colour: str = INK) -> None:
    """``text`` starting at ``x`` on row ``y`` (after a bar)."""
    ax.text(x, y, text, va="center", ha="left", fontsize=9, color=colour)


def legend_above(ax: Axes, columns: int) -> None:
    """The legend in one row above the plot, under the title, where no bar is."""
    handles, labels = ax.get_legend_handles_labels()
    first = dict(zip(labels, handles, strict=True))  # each label once, in the order drawn
    if first:
        ax.legend(
            list(first.values()),
            list(first),
            loc="lower left",
            bbox_to_anchor=(0, 1.0),
            ncols=columns,
            fontsize=8,
            frameon=False,
            borderaxespad=0.3,
            handlelength=1.2,
        )


def nothing(ax: Axes, text: str) -> None:
    """No axes, ``text`` in the middle: a report with nothing in its window."""
    ax.set_axis_off()
    ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=10, color=GREY)


def rate_bars(
    ax: Axes,
    rows: Sequence[tuple[str, Rate | None, str]],
    *,
    colour: str,
    rest: str | None = None,
    legend: tuple[str, str] | None = None,
) -> None:
    """Horizontal bars 0-100% of ``rows`` (label, rate, note), each note after its bar; with
    ``rest``, the remainder to 100% drawn in that colour."""
    labels = [label for label, _, _ in rows]
    frame(ax, labels, limit=135, ticks=range(0, 101, 20))
    ax.set_xlabel("%")
    for y, (_, rate, note) in enumerate(rows):
        if rate is None:
            put_note(ax, y, 1, note, colour=GREY)
            continue
        share = bar_length(rate)
        ax.barh(y, share, height=0.6, color=colour, label=legend[0] if legend else None)
        if rest is not None:
            ax.barh(
                y,
                100 - share,
                left=share,
                height=0.6,
                color=rest,
                label=legend[1] if legend else None,
            )
        put_note(ax, y, 101.5 if rest is not None else share + 1.5, f"{pct(rate)} {note}")
    if legend is not None:
        legend_above(ax, 2)


def locator() -> MaxNLocator:
    """Ticks at about five round values."""
    return MaxNLocator(nbins=5)


def integer_locator() -> MaxNLocator:
    """Ticks at about five whole numbers (counts)."""
    return MaxNLocator(nbins=5, integer=True)
