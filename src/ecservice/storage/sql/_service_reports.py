"""The service figures of one window side by side, each from the SQL report of its area."""

from __future__ import annotations

import datetime as _dt
from typing import final

from ecservice._shown import shown
from ecservice.aftersales import DEFAULT_REPORT_DAYS
from ecservice.calendar import WorkingCalendar
from ecservice.complaints import SlaPolicy
from ecservice.consultation import ResponsePolicy
from ecservice.errors import ValidationError
from ecservice.ratings import CreditPolicy, DetailedRatingPolicy
from ecservice.satisfaction import DEFAULT_SATISFIED_FROM, ServiceOverview
from ecservice.storage.sql._aftersales_reports import SqlAfterSalesReports
from ecservice.storage.sql._complaint_reports import SqlComplaintReports
from ecservice.storage.sql._consultation_reports import SqlConsultationReports
from ecservice.storage.sql._rating_reports import SqlRatingReports
from ecservice.storage.sql._satisfaction_reports import SqlSatisfactionReports
from ecservice.storage.sql._store import SqlStore
from ecservice.text import check_text

__all__ = ["SqlServiceReports"]


@final
class SqlServiceReports:
    """The service overview of what a :class:`SqlStore` holds: every area's SQL report over
    one window, side by side in a :class:`~ecservice.satisfaction.ServiceOverview`.

    :meth:`overview` calls :class:`SqlAfterSalesReports`, :class:`SqlComplaintReports`,
    :class:`SqlSatisfactionReports`, :class:`SqlConsultationReports` and, for a seller when
    asked, :class:`SqlRatingReports`; each gives what its in-memory report gives over the
    stored aggregates, so the overview equals
    :meth:`ServiceOverview.of <ecservice.satisfaction.ServiceOverview.of>` of the in-memory
    reports. Each report reads in a transaction of its own.

    >>> import pendulum
    >>> from ecservice.calendar import ShopCalendar
    >>> from ecservice.complaints import SlaPolicy
    >>> from ecservice.storage.sql import SqlServiceReports, SqlStore
    >>> store = SqlStore("sqlite://")
    >>> store.create_schema()
    >>> now = pendulum.datetime(2026, 12, 1, 9, tz="Asia/Shanghai")
    >>> overview = SqlServiceReports(store).overview(
    ...     now=now, zone="Asia/Shanghai", complaint_policy=SlaPolicy.shop_default(),
    ...     calendar=ShopCalendar(), days=7)
    >>> print(overview.lines()[0])
    Service overview, 7 days 2026-11-24 to 2026-11-30 (Asia/Shanghai)

    Args:
        store: the store whose database is read.

    Raises:
        ValidationError: ``store`` is not a :class:`SqlStore`.
    """

    def __init__(self, store: SqlStore) -> None:
        if not isinstance(store, SqlStore):
            raise ValidationError(f"SqlServiceReports needs a SqlStore, not {shown(store)}")
        self.store = store

    def overview(
        self,
        *,
        now: _dt.datetime,
        zone: str,
        complaint_policy: SlaPolicy,
        calendar: WorkingCalendar,
        days: int = DEFAULT_REPORT_DAYS,
        response_policy: ResponsePolicy | None = None,
        satisfied_from: int = DEFAULT_SATISFIED_FROM,
        seller_id: str | None = None,
        credit_policy: CreditPolicy | None = None,
        detailed_policy: DetailedRatingPolicy | None = None,
    ) -> ServiceOverview:
        """The service overview of the ``days`` whole local days before the day of ``now``.

        Args:
            now: when the reports are asked for; an aware datetime.
            zone: the shop's IANA time zone, in which days are counted.
            complaint_policy: the SLA policy the complaints run under (see
                :meth:`SqlComplaintReports.report`).
            calendar: the shop's working calendar (complaint working times; consultation
                waits when ``response_policy`` counts business time).
            days: the window's length in whole local days, from 1 to 366 (30 by default).
            response_policy: the consultation response policy (the defaults when ``None``).
            satisfied_from: the lowest CSAT score counted as satisfied, 1 to 5 (4).
            seller_id: the seller whose rating figures to add, or ``None`` for none (a shop's
                own seller id, short text).
            credit_policy: with ``seller_id``, the credit rules: the overview then holds the
                seller's credit at ``now`` and the good-review rate of the window.
            detailed_policy: with ``seller_id``, the detailed-rating rules, whose window must
                be the overview's (``days`` and zone alike): the overview then holds the
                detailed-rating averages.

        Raises:
            NaiveDatetime: ``now`` has no time zone.
            ValidationError: what each report raises for its arguments; a rating policy
                without ``seller_id``; rating figures over another window.
            ComplaintFactsOutdated, ConsultationFactsOutdated, RatingZoneUnsupported: the stored
                facts cannot give a report (see each report).
            StorageUnavailable, TransientStorageError: the database failed.
        """
        if seller_id is None and (credit_policy is not None or detailed_policy is not None):
            raise ValidationError("rating figures need the seller_id they are about")
        if seller_id is not None:
            check_text(seller_id, "seller_id")
        store = self.store
        ratings = SqlRatingReports(store)
        credit = good = detailed = None
        if seller_id is not None and credit_policy is not None:
            credit = ratings.credit(seller_id, credit_policy, now=now)
            good = ratings.good_review_rate(seller_id, credit_policy, now=now, days=days)
        if seller_id is not None and detailed_policy is not None:
            detailed = ratings.detailed_ratings(seller_id, detailed_policy, now=now)
        return ServiceOverview.of(
            aftersales=SqlAfterSalesReports(store).report(now=now, zone=zone, days=days),
            complaints=SqlComplaintReports(store).report(
                complaint_policy, calendar, now=now, zone=zone, days=days
            ),
            satisfaction=SqlSatisfactionReports(store).report(
                now=now, zone=zone, days=days, satisfied_from=satisfied_from
            ),
            consultation=SqlConsultationReports(store).report(
                now=now, zone=zone, policy=response_policy, calendar=calendar, days=days
            ),
            credit=credit,
            good_reviews=good,
            detailed_ratings=detailed,
        )
