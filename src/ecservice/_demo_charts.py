"""The demo's chart report (``ecservice demo --report PATH``): the service figures drawn as
charts, in one self-contained HTML page or one PNG image.

Private to the demo. :class:`ChartFigures` holds the typed reports to draw (each optional: a
run without consultations still renders); :func:`render_report` draws them with matplotlib
(the ``report`` extra: ``pip install 'ecservice[report]'``) on its Agg canvas, never opening a
window, and writes the file. The same figures give the same bytes: nothing in the file depends
on the clock, only on the report's ``now``.
"""

from __future__ import annotations

import datetime as _dt
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Final, Protocol, final, runtime_checkable

import attrs
from pendulum import DateTime

from ecservice._demo_figures import AfterSalesFigures, ComplaintFigures
from ecservice._shown import shown
from ecservice.aftersales import DEFAULT_REPORT_DAYS, MAX_REPORT_DAYS, AfterSalesReport, Rate
from ecservice.clock import DEFAULT_ZONE, check_zone, ensure_utc
from ecservice.complaints import ComplaintReport
from ecservice.consultation import ConsultationReport
from ecservice.errors import EcServiceError, ValidationError
from ecservice.ratings import (
    TAOBAO_CREDIT_LEVELS,
    CreditLevel,
    Grade,
    ScoreAverage,
    check_levels,
)
from ecservice.satisfaction import CustomerRfm, SatisfactionFigures, SatisfactionReport
from ecservice.text import text

__all__ = [
    "REPORT_SUFFIXES",
    "ChartFigures",
    "ChartsUnavailable",
    "CreditFigure",
    "CreditScore",
    "DetailedFigure",
    "GoodReviewFigure",
    "GradeCounts",
    "check_report",
    "render_report",
]

#: The file suffixes :func:`render_report` writes: a web page, or one image.
REPORT_SUFFIXES: Final = (".html", ".htm", ".png")


class ChartsUnavailable(EcServiceError):
    """The charts need software that is not installed (matplotlib: the ``report`` extra), or a
    Chinese font that the machine lacks when Chinese labels are required."""


@runtime_checkable
class CreditFigure(Protocol):
    """A seller's credit as a report gives it: the points and their level (``None`` below the
    first level). :class:`~ecservice.ratings.CreditReport` is one, and so is a summary counted
    elsewhere without every rating (in a database; :class:`CreditScore` for points alone). One
    that also counts the ratings by grade (a ``count(grade)`` method) has them in the caption."""

    @property
    def score(self) -> int:
        """The credit points."""
        ...

    @property
    def level(self) -> CreditLevel | None:
        """Their level, or ``None`` below the first."""
        ...


@runtime_checkable
class GradeCounts(Protocol):
    """A credit figure that counts its ratings by grade."""

    def count(self, grade: Grade) -> int:
        """How many ratings of ``grade`` counted."""
        ...


@runtime_checkable
class GoodReviewFigure(Protocol):
    """The good-review rate of a window, as :class:`~ecservice.ratings.GoodReviewRate` gives it
    or a summary of it without the entries."""

    @property
    def days(self) -> int:
        """The window's length in whole local days."""
        ...

    @property
    def start(self) -> DateTime:
        """The window's first instant, in UTC."""
        ...

    @property
    def end(self) -> DateTime:
        """The window's end (excluded), in UTC."""
        ...

    @property
    def good(self) -> int:
        """The good ratings counted."""
        ...

    @property
    def neutral(self) -> int:
        """The neutral ratings counted."""
        ...

    @property
    def bad(self) -> int:
        """The bad ratings counted."""
        ...

    @property
    def rate(self) -> Rate | None:
        """Good out of all three, or ``None`` when none counted."""
        ...


@runtime_checkable
class DetailedFigure(Protocol):
    """The detailed seller ratings of a window, as
    :class:`~ecservice.ratings.DetailedRatingReport` gives them or a summary of them without the
    entries."""

    @property
    def days(self) -> int:
        """The window's length in whole local days."""
        ...

    @property
    def start(self) -> DateTime:
        """The window's first instant, in UTC."""
        ...

    @property
    def end(self) -> DateTime:
        """The window's end (excluded), in UTC."""
        ...

    @property
    def described(self) -> ScoreAverage:
        """The average for item as described."""
        ...

    @property
    def service(self) -> ScoreAverage:
        """The average for the seller's service attitude."""
        ...

    @property
    def logistics(self) -> ScoreAverage:
        """The average for the logistics service."""
        ...


def _score(_: object, __: object, value: Any) -> None:
    if type(value) is not int:
        raise ValidationError(f"a credit score must be an int, not {shown(value)}")


def _level(instance: CreditScore, _: object, value: Any) -> None:
    if value is not None and not isinstance(value, CreditLevel):
        raise ValidationError(f"a credit level must be a CreditLevel or None, not {shown(value)}")
    if value is not None and not value.contains(instance.score):
        raise ValidationError(
            f"a credit score of {instance.score} is not of level {value.level} "
            f"({value.min_points} to {value.max_points or 'no limit'} points)"
        )


@final
@attrs.frozen(slots=True, kw_only=True)
class CreditScore:
    """A seller's credit without its entries: ``score`` points of ``level``.

    Args:
        score: the credit points (:attr:`~ecservice.ratings.CreditReport.score`).
        level: their level (:func:`~ecservice.ratings.credit_level`), or ``None`` below the
            first.

    Raises:
        ValidationError: a score that is not an ``int``, a level that is not a
            :class:`~ecservice.ratings.CreditLevel`, or one that does not hold the score.
    """

    score: int = attrs.field(validator=_score)
    level: CreditLevel | None = attrs.field(default=None, validator=_level)


def _credit(_: object, __: object, value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, CreditFigure):
        raise ValidationError(
            f"credit must be a CreditReport, a summary of one (score and level) or None, not "
            f"{shown(value)}"
        )
    score: object = value.score
    level: object = value.level
    if type(score) is not int or (level is not None and not isinstance(level, CreditLevel)):
        raise ValidationError(
            f"credit must give an int score and a CreditLevel or None, not {shown(score)} and "
            f"{shown(level)}"
        )
    if level is not None and not level.contains(score):
        raise ValidationError(f"a credit score of {score} is not of level {level.level}")


_WINDOW: Final[dict[str, tuple[type, ...]]] = {
    "days": (int,),
    "start": (DateTime,),
    "end": (DateTime,),
}
_GOOD_FIELDS: Final = {
    **_WINDOW,
    "good": (int,),
    "neutral": (int,),
    "bad": (int,),
    "rate": (Rate, type(None)),
}
_DETAILED_FIELDS: Final = {
    **_WINDOW,
    "described": (ScoreAverage,),
    "service": (ScoreAverage,),
    "logistics": (ScoreAverage,),
}


def _shaped(kind: type, what: str, fields: dict[str, tuple[type, ...]]) -> Validator:
    def check(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value is None:
            return
        found = {name: getattr(value, name, None) for name in fields}
        wrong = [
            name
            for name, kinds in fields.items()
            if not isinstance(found[name], kinds) or type(found[name]) is bool
        ]
        if not isinstance(value, kind) or wrong:
            raise ValidationError(
                f"{attribute.name} must be {what} (its {', '.join(fields)}) or None, not "
                f"{shown(value)}"
            )

    return check


Validator = Callable[[Any, Any, Any], None]


def _one_of(*kinds: type) -> Validator:
    names = " or ".join(k.__name__ for k in kinds)

    def check(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value is not None and not isinstance(value, kinds):
            raise ValidationError(f"{attribute.name} must be {names} or None, not {shown(value)}")

    return check


def _rfm(value: Iterable[CustomerRfm] | None) -> tuple[CustomerRfm, ...] | None:
    given: object = value
    if given is None:
        return None
    if isinstance(given, (str, bytes)) or not isinstance(given, Iterable):
        raise ValidationError(f"rfm must be an iterable of CustomerRfm or None, not {shown(value)}")
    rows = tuple(given)
    for row in rows:
        if not isinstance(row, CustomerRfm):
            raise ValidationError(f"rfm must hold CustomerRfm values, not {shown(row)}")
    return rows


def _now(value: _dt.datetime) -> DateTime:
    return ensure_utc(value, what="now")


def _zone(_: object, __: object, value: str) -> None:
    check_zone(value)


def _days(_: object, __: object, value: object) -> None:
    if type(value) is not int or not 1 <= value <= MAX_REPORT_DAYS:
        raise ValidationError(
            f"days must be an int from 1 to {MAX_REPORT_DAYS}, not {shown(value)}"
        )


def _levels(value: Iterable[CreditLevel]) -> tuple[CreditLevel, ...]:
    return check_levels(value)


@final
@attrs.frozen(slots=True, kw_only=True)
class ChartFigures:
    """What the chart report draws: the shop's reports, each optional (``None``: not drawn).

    Args:
        now: the instant of the report (an aware datetime, kept in UTC): the only time the
            report shows, in ``zone``.
        shop: the shop's name, in the title.
        zone: the shop's IANA time zone, in which the report's days and ``now`` are shown.
        days: the length of the run's window in days (the title says it; each chart's caption
            gives its own report's window).
        credit: the seller's credit (:func:`~ecservice.ratings.seller_credit`, or a summary
            counted elsewhere: a :class:`CreditFigure`).
        credit_levels: the level table the credit is shown against (Taobao's by default).
        good_reviews: the good-review rate (:func:`~ecservice.ratings.good_review_rate`, or a
            summary of it: a :class:`GoodReviewFigure`).
        detailed: the detailed seller ratings (:func:`~ecservice.ratings.detailed_ratings`, or
            a summary of them: a :class:`DetailedFigure`).
        satisfaction: the survey figures (:func:`~ecservice.satisfaction.satisfaction_report`,
            or one :class:`~ecservice.satisfaction.SatisfactionFigures`).
        rfm: the customers' RFM scores (:func:`~ecservice.satisfaction.rfm_analysis`).
        consultation: the consultation KPIs
            (:func:`~ecservice.consultation.consultation_report`).
        complaints: the complaint figures (:func:`~ecservice.complaints.complaint_report`, or
            the demo's summary of it).
        aftersales: the after-sales figures (:func:`~ecservice.aftersales.aftersales_report`,
            or the demo's summary of it).

    Raises:
        ValidationError: a value of the wrong type, a zone :func:`~ecservice.clock.check_zone`
            refuses, ``days`` out of range, a credit level that does not hold the score, or a level
            table that is not one.
        NaiveDatetime: ``now`` has no time zone.
    """

    now: DateTime = attrs.field(converter=_now)
    shop: str = attrs.field(default="ecservice demo shop", validator=text("the shop's name"))
    zone: str = attrs.field(default=DEFAULT_ZONE, validator=_zone)
    days: int = attrs.field(default=DEFAULT_REPORT_DAYS, validator=_days)
    credit: CreditFigure | None = attrs.field(default=None, validator=_credit)
    credit_levels: tuple[CreditLevel, ...] = attrs.field(
        default=TAOBAO_CREDIT_LEVELS, converter=_levels
    )
    good_reviews: GoodReviewFigure | None = attrs.field(
        default=None,
        validator=_shaped(GoodReviewFigure, "a GoodReviewRate or a summary", _GOOD_FIELDS),
    )
    detailed: DetailedFigure | None = attrs.field(
        default=None,
        validator=_shaped(DetailedFigure, "a DetailedRatingReport or a summary", _DETAILED_FIELDS),
    )
    satisfaction: SatisfactionReport | SatisfactionFigures | None = attrs.field(
        default=None, validator=_one_of(SatisfactionReport, SatisfactionFigures)
    )
    rfm: tuple[CustomerRfm, ...] | None = attrs.field(default=None, converter=_rfm)
    consultation: ConsultationReport | None = attrs.field(
        default=None, validator=_one_of(ConsultationReport)
    )
    complaints: ComplaintReport | ComplaintFigures | None = attrs.field(
        default=None, validator=_one_of(ComplaintReport, ComplaintFigures)
    )
    aftersales: AfterSalesReport | AfterSalesFigures | None = attrs.field(
        default=None, validator=_one_of(AfterSalesReport, AfterSalesFigures)
    )

    @property
    def is_empty(self) -> bool:
        """Whether there is nothing to draw (no report given, or no customer to segment)."""
        reports = (
            self.credit,
            self.good_reviews,
            self.detailed,
            self.satisfaction,
            self.consultation,
            self.complaints,
            self.aftersales,
        )
        return all(r is None for r in reports) and not self.rfm


def _target(path: Path) -> tuple[Path, str]:
    if not isinstance(path, Path):
        raise ValidationError(f"the report's path must be a pathlib.Path, not {shown(path)}")
    suffix = path.suffix.lower()
    if suffix not in REPORT_SUFFIXES:
        found = repr(path.suffix) if path.suffix else "a name without a suffix"
        raise ValidationError(
            f"cannot write a report to {str(path)!r}: its name must end in .html (a web page "
            f"with the charts in it) or .png (one image), not {found}"
        )
    if path.is_dir():
        raise ValidationError(f"cannot write the report to {str(path)!r}: it is a directory")
    if not path.parent.is_dir():
        what = "is not a directory" if path.parent.exists() else "does not exist"
        raise ValidationError(
            f"cannot write the report to {str(path)!r}: the directory {str(path.parent)!r} {what}"
        )
    return path, suffix


def _require_matplotlib() -> None:
    try:
        import matplotlib  # noqa: F401  (the extra's package)
    except ImportError:
        raise ChartsUnavailable(
            "the chart report needs matplotlib, the report extra: pip install 'ecservice[report]'"
        ) from None


def check_report(path: Path) -> None:
    """Whether a report can be written to ``path``, said before the figures exist (the demo
    asks before it runs, so that a wrong name does not cost a run): the suffix, the directory,
    that a file can be written in it, and matplotlib.

    Raises:
        ValidationError: ``path`` does not end in ``.html``, ``.htm`` or ``.png``, names a
            directory, its directory does not exist or is not one, or no file can be written
            there (permissions, a read-only or virtual file system).
        ChartsUnavailable: matplotlib is not installed (``pip install 'ecservice[report]'``).
    """
    _target(path)
    try:
        # A file made and removed where the report goes: the only reliable test of writing.
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".ecservice-report-"):
            pass
    except OSError as exc:
        raise ValidationError(
            f"cannot write the report to {str(path)!r}: no file can be written in "
            f"{str(path.parent)!r} ({exc.strerror or type(exc).__name__})"
        ) from None
    _require_matplotlib()


def render_report(path: Path, figures: ChartFigures, *, chinese: bool | None = None) -> Path:
    """Draw ``figures`` and write them to ``path``: an HTML page (``.html``, ``.htm``) with
    each chart embedded as a PNG data URI and captioned with its number and source, or one
    PNG image (``.png``) with every chart in a grid. Returns ``path``.

    Labels are English with the Chinese term beside (``Detailed seller ratings (店铺动态评分)``)
    when the machine has a font with every Chinese character drawn; otherwise English only
    (never boxes for missing glyphs). ``chinese`` forces the choice: ``False`` English only,
    ``True`` Chinese required.

    Raises:
        ValidationError: ``figures`` is not :class:`ChartFigures`, ``path`` does not end in
            ``.html``, ``.htm`` or ``.png``, or cannot be written (no such directory, a
            directory, no permission).
        ChartsUnavailable: matplotlib is not installed (``pip install 'ecservice[report]'``),
            or ``chinese`` is ``True`` and no installed font draws the Chinese labels.
    """
    if not isinstance(figures, ChartFigures):
        raise ValidationError(f"figures must be ChartFigures, not {shown(figures)}")
    if chinese is not None and type(chinese) is not bool:
        raise ValidationError(f"chinese must be True, False or None, not {shown(chinese)}")
    target, suffix = _target(path)
    _require_matplotlib()
    from ecservice._demo_chart_pages import html_page, png_grid

    data = png_grid(figures, chinese) if suffix == ".png" else html_page(figures, chinese)
    try:
        target.write_bytes(data)
    except OSError as exc:
        raise ValidationError(
            f"cannot write the report to {str(target)!r}: {exc.strerror or exc}"
        ) from None
    return target
