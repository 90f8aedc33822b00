"""The service figures of one window side by side: after-sales, complaints, satisfaction,
consultation and (optionally) ratings."""

from __future__ import annotations

import datetime as _dt
import decimal
from collections.abc import Callable
from typing import Any, final

import attrs
from pendulum import DateTime

from ecservice._shown import shown
from ecservice.aftersales import AfterSalesReport, Rate
from ecservice.clock import check_zone
from ecservice.complaints import ComplaintReport
from ecservice.consultation import ConsultationReport
from ecservice.errors import ValidationError
from ecservice.ratings import CreditSummary, DetailedSummary, GoodReviewSummary
from ecservice.satisfaction._report import SatisfactionReport

__all__ = ["ServiceOverview"]


def _of(kind: type, optional: bool) -> Callable[[object, attrs.Attribute[Any], object], None]:
    def check(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if (value is None and optional) or isinstance(value, kind):
            return
        allowed = f"a {kind.__name__}{' or None' if optional else ''}"
        raise ValidationError(
            f"an overview's {attribute.name} must be {allowed}, not {shown(value)}"
        )

    return check


def _percent(rate: Rate | None) -> str:
    if rate is None:
        return "n/a"
    with decimal.localcontext(decimal.Context(prec=28)):
        value = (rate.value * 100).quantize(
            decimal.Decimal("0.1"), rounding=decimal.ROUND_HALF_EVEN
        )
    return f"{value}% ({rate.numerator}/{rate.denominator})"


def _duration(value: _dt.timedelta | None) -> str:
    """``value`` to the second, ``"2d 3h 04m 05s"``; ``"n/a"`` for ``None``."""
    if value is None:
        return "n/a"
    seconds = value.days * 86_400 + value.seconds
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h {minutes:02d}m {secs:02d}s"
    if hours:
        return f"{hours}h {minutes:02d}m {secs:02d}s"
    return f"{minutes}m {secs:02d}s"


def _check_zone(_: object, __: object, value: str) -> None:
    check_zone(value)


@final
@attrs.frozen(kw_only=True)
class ServiceOverview:
    """The service figures of one window side by side (服务数据总览): the after-sales report,
    the complaint report, satisfaction (CSAT, NPS), the consultation KPIs and, when given, the
    seller's rating figures, each the report of its own area over the same window of the
    shop's days.

    Build it from reports computed in memory with :meth:`of`, or from the database with
    :meth:`SqlServiceReports.overview <ecservice.storage.sql.SqlServiceReports.overview>`
    (each figure then from the SQL report of its area); :meth:`lines` (and ``str()``) render it
    as plain text.

    Args:
        now: the instant the reports were asked for, in UTC.
        zone: the shop's IANA time zone, in which the days are counted.
        days: the window's length in local calendar days.
        window_start: the window's first instant, in UTC.
        window_end: the window's end, exclusive, in UTC.
        aftersales: the after-sales report
            (:func:`~ecservice.aftersales.aftersales_report`).
        complaints: the complaint report (:func:`~ecservice.complaints.complaint_report`).
        satisfaction: the satisfaction report (:func:`satisfaction_report`).
        consultation: the consultation KPIs
            (:func:`~ecservice.consultation.consultation_report`).
        credit: the seller's credit at ``now``
            (:meth:`CreditReport.summary <ecservice.ratings.CreditReport.summary>`), or
            ``None``.
        good_reviews: the good-review rate of the window
            (:meth:`GoodReviewRate.summary <ecservice.ratings.GoodReviewRate.summary>`), or
            ``None``.
        detailed_ratings: the detailed-rating averages of the window
            (:meth:`DetailedRatingReport.summary
            <ecservice.ratings.DetailedRatingReport.summary>`), or ``None``.

    Raises:
        ValidationError: a ``zone`` :func:`~ecservice.clock.check_zone` refuses, a report of the
            wrong type, or one over another window (another ``now``, zone, length or bounds; for the
            rating figures, other bounds or length).
    """

    now: DateTime
    zone: str = attrs.field(validator=_check_zone)
    days: int
    window_start: DateTime
    window_end: DateTime
    aftersales: AfterSalesReport = attrs.field(validator=_of(AfterSalesReport, False))
    complaints: ComplaintReport = attrs.field(validator=_of(ComplaintReport, False))
    satisfaction: SatisfactionReport = attrs.field(validator=_of(SatisfactionReport, False))
    consultation: ConsultationReport = attrs.field(validator=_of(ConsultationReport, False))
    credit: CreditSummary | None = attrs.field(default=None, validator=_of(CreditSummary, True))
    good_reviews: GoodReviewSummary | None = attrs.field(
        default=None, validator=_of(GoodReviewSummary, True)
    )
    detailed_ratings: DetailedSummary | None = attrs.field(
        default=None, validator=_of(DetailedSummary, True)
    )

    def __attrs_post_init__(self) -> None:
        window = (self.now, self.zone, self.days, self.window_start, self.window_end)
        for name in ("aftersales", "complaints", "satisfaction", "consultation"):
            report = getattr(self, name)
            theirs = (report.now, report.zone, report.days, report.window_start, report.window_end)
            if theirs != window:
                raise ValidationError(
                    f"an overview's {name} report must cover its window ({_window(window)}), "
                    f"not {_window(theirs)}"
                )
        for name in ("good_reviews", "detailed_ratings"):
            figures = getattr(self, name)
            if figures is not None and (figures.days, figures.start, figures.end) != window[2:]:
                raise ValidationError(
                    f"an overview's {name} must cover its window ({self.days} days from "
                    f"{self.window_start.isoformat()}), not {figures.days} days from "
                    f"{figures.start.isoformat()}"
                )
        if self.credit is not None and self.credit.at != self.now:
            raise ValidationError(
                f"an overview's credit must be taken at its now ({self.now.isoformat()}), not "
                f"at {self.credit.at.isoformat()}"
            )

    @classmethod
    def of(
        cls,
        *,
        aftersales: AfterSalesReport,
        complaints: ComplaintReport,
        satisfaction: SatisfactionReport,
        consultation: ConsultationReport,
        credit: CreditSummary | None = None,
        good_reviews: GoodReviewSummary | None = None,
        detailed_ratings: DetailedSummary | None = None,
    ) -> ServiceOverview:
        """The overview of reports computed over one window (its instant, zone and bounds are
        the after-sales report's).

        Raises:
            ValidationError: a report of the wrong type, or one over another window.
        """
        if not isinstance(aftersales, AfterSalesReport):
            raise ValidationError(
                f"an overview's aftersales must be an AfterSalesReport, not {shown(aftersales)}"
            )
        return cls(
            now=aftersales.now,
            zone=aftersales.zone,
            days=aftersales.days,
            window_start=aftersales.window_start,
            window_end=aftersales.window_end,
            aftersales=aftersales,
            complaints=complaints,
            satisfaction=satisfaction,
            consultation=consultation,
            credit=credit,
            good_reviews=good_reviews,
            detailed_ratings=detailed_ratings,
        )

    def lines(self) -> tuple[str, ...]:
        """The overview as plain text, a heading and one line per area (the rating lines only
        for the figures given)."""
        a, c, s, k = self.aftersales, self.complaints, self.satisfaction.overall, self.consultation
        first_day = self.window_start.in_timezone(self.zone).to_date_string()
        last_day = self.window_end.in_timezone(self.zone).subtract(days=1).to_date_string()
        out = [
            f"Service overview, {self.days} {'day' if self.days == 1 else 'days'} "
            f"{first_day} to {last_day} ({self.zone})",
            f"After-sales: {a.paid_orders} orders paid, {a.cases_opened} cases opened; "
            f"after-sales rate {_percent(a.aftersales_rate)}, refund rate "
            f"{_percent(a.refund_rate)}, dispute rate {_percent(a.dispute_rate)}; "
            f"{a.cases_resolved} resolved, p90 handling {_duration(a.p90_handling)}",
            f"Complaints: {c.complaints_opened} opened, {c.replied} replied (median first reply "
            f"{_duration(c.first_reply_median)}), {c.resolved} resolved (median "
            f"{_duration(c.resolution_median)}); reopen rate {_percent(c.reopen_rate)}; "
            f"satisfied after follow-up {_percent(c.satisfied_rate)}",
            f"Satisfaction: {s.sent} surveys sent, {s.answered} answered "
            f"(response rate {_percent(s.response_rate)}); CSAT "
            f"{_percent(None if s.csat is None else s.csat.rate)}; "
            + ("NPS n/a" if s.nps is None else str(s.nps)),
            f"Consultation: {k.sessions} sessions, first response median "
            f"{_duration(k.first_response_median)} (on target "
            f"{_percent(k.first_response_on_target)}), average response "
            f"{_duration(k.average_response)}; enquiry-to-order conversion "
            f"{_percent(k.conversion)}; {k.transferred} handed to after-sales; "
            f"{len(k.open_remarks)} open remarks",
        ]
        if self.credit is not None:
            level = self.credit.level
            out.append(
                f"Credit: {self.credit.score} points"
                + ("" if level is None else f" (level {level.level})")
                + f"; {self.credit.good} good, {self.credit.neutral} neutral, "
                f"{self.credit.bad} bad ratings counted"
            )
        if self.good_reviews is not None:
            g = self.good_reviews
            out.append(
                f"Good reviews: {_percent(g.rate)} ({g.good} good, {g.neutral} neutral, "
                f"{g.bad} bad)"
            )
        if self.detailed_ratings is not None:
            d = self.detailed_ratings
            out.append(
                f"Detailed ratings: as described {d.described}, service {d.service}, "
                f"logistics {d.logistics}"
            )
        return tuple(out)

    def __str__(self) -> str:
        return "\n".join(self.lines())


def _window(window: tuple[DateTime, str, int, DateTime, DateTime]) -> str:
    now, zone, days, start, _ = window
    return f"{days} days of {zone} from {start.isoformat()}, as of {now.isoformat()}"
