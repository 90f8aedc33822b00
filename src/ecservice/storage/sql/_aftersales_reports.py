"""After-sales reports computed by the database: the figures of
:func:`~ecservice.aftersales.aftersales_report` from SQL aggregates over the stored cases and
payments, without loading them."""

from __future__ import annotations

import datetime as _dt
from typing import Any, Final, final

import sqlalchemy as sa
from pendulum import DateTime

from ecservice.aftersales import (
    DEFAULT_REPORT_DAYS,
    AfterSalesReport,
    CaseStatus,
    RemedyKind,
    aftersales_report,
)
from ecservice.errors import ValidationError
from ecservice.storage._case_repository import CASE_TYPE
from ecservice.storage._converter import datetime_text
from ecservice.storage._errors import DocumentError
from ecservice.storage.sql._case_schema import CASE_FACTS
from ecservice.storage.sql._engine import READ_ONLY_OPTION
from ecservice.storage.sql._retry import translated
from ecservice.storage.sql._schema import AGGREGATES
from ecservice.storage.sql._store import SqlStore

__all__ = ["SqlAfterSalesReports"]

#: The document type of payments, whose captures say when an order was paid.
_PAYMENT: Final = "payment"
#: The payment state a capture enters (the document writes enum names).
_CAPTURED: Final = "CAPTURED"
#: The percentile of handling times the report gives (as the in-memory report).
_PERCENTILE: Final = 90

F = CASE_FACTS


@final
class SqlAfterSalesReports:
    """After-sales reports of the cases and payments stored in a :class:`SqlStore`, computed by
    the database (SQLite or PostgreSQL).

    :meth:`report` returns the :class:`~ecservice.aftersales.AfterSalesReport` that
    :func:`~ecservice.aftersales.aftersales_report` computes from every stored case and the
    orders the stored payments paid (:func:`~ecservice.aftersales.paid_orders`), figure for
    figure, explanation included. The counts and the rates' numerators and denominators are SQL
    aggregates (``COUNT``, ``COUNT(DISTINCT ...)``, ``GROUP BY``): the cases through the
    ``ecs_case_facts`` table (:data:`~ecservice.storage.sql.CASE_FACTS`, written with every
    case), the instant each order was paid from the payments' documents (the earliest
    transition into ``CAPTURED`` in their history, read with the database's JSON functions:
    ``json_each`` on SQLite, ``jsonb_array_elements`` on PostgreSQL). The handling times
    (average, 90th percentile, fastest, slowest) are computed from the opening and resolution
    instants the database selects, because the two databases subtract and average instants
    differently and the report's figures are exact to the microsecond.

    All queries run in one read-only transaction (``REPEATABLE READ`` on PostgreSQL; a read
    transaction on SQLite, which does not take the write lock), so the figures agree with each
    other.

    >>> import pendulum
    >>> from ecservice.storage.sql import SqlAfterSalesReports, SqlStore
    >>> store = SqlStore("sqlite://")
    >>> store.create_schema()
    >>> now = pendulum.datetime(2026, 12, 1, 9, tz="Asia/Shanghai")
    >>> report = SqlAfterSalesReports(store).report(now=now, zone="Asia/Shanghai")
    >>> report.cases_opened, report.paid_orders, report.rates_unavailable is not None
    (0, 0, True)

    Args:
        store: the store whose database is read.

    Raises:
        ValidationError: ``store`` is not a :class:`SqlStore`.
    """

    def __init__(self, store: SqlStore) -> None:
        if not isinstance(store, SqlStore):
            raise ValidationError(
                f"SqlAfterSalesReports needs a SqlStore, not {type(store).__name__}"
            )
        self.store = store

    def report(
        self, *, now: _dt.datetime, zone: str, days: int = DEFAULT_REPORT_DAYS
    ) -> AfterSalesReport:
        """The after-sales report of the ``days`` whole local days before the day of ``now``,
        as :func:`~ecservice.aftersales.aftersales_report` defines it (window, figures,
        explanation), over the committed cases and payments.

        Args:
            now: when the report is asked for; an aware datetime.
            zone: the shop's IANA time zone, in which days are counted.
            days: the window's length in whole local days, from 1 to 366 (30 by default).

        Raises:
            NaiveDatetime: ``now`` has no time zone.
            ValidationError: a bad ``zone`` or ``days``, or a window outside the calendar (as
                :func:`~ecservice.aftersales.aftersales_report`).
            DocumentError: a stored fact names a remedy or status this code does not know.
            StorageUnavailable, TransientStorageError: the database failed (see
                :class:`SqlStore`).
        """
        # The in-memory report of nothing checks the arguments and gives the window.
        empty = aftersales_report([], [], now=now, zone=zone, days=days)
        start, end = empty.window_start, empty.window_end
        store = self.store
        postgresql = store.engine.dialect.name == "postgresql"
        with translated("compute the after-sales report"):
            connection = (
                store.engine.connect().execution_options(isolation_level="REPEATABLE READ")
                if postgresql
                else store.engine.connect().execution_options(**{READ_ONLY_OPTION: True})
            )
            with connection, connection.begin():
                figures = _Figures(connection, start, end, postgresql=postgresql)
        return _assemble(empty, figures)


class _Figures:
    """The report's figures, each from one query."""

    def __init__(
        self, connection: sa.Connection, start: DateTime, end: DateTime, *, postgresql: bool
    ) -> None:
        paid = _paid_in(start, end, postgresql=postgresql)
        self.paid_orders: int = connection.execute(
            sa.select(sa.func.count()).select_from(paid)
        ).scalar_one()

        opened = sa.and_(F.c.opened_at >= start, F.c.opened_at < end)
        paid_order = paid.c.order_id
        counts = connection.execute(
            sa.select(
                sa.func.count(),
                sa.func.count(sa.case((F.c.auto_approved.is_(True), 1))),
                sa.func.count(sa.distinct(paid_order)),
                sa.func.count(sa.distinct(sa.case((F.c.refunded.is_(True), paid_order)))),
                sa.func.count(sa.distinct(sa.case((F.c.disputed.is_(True), paid_order)))),
            )
            .select_from(_stored_facts().outerjoin(paid, paid_order == F.c.order_id))
            .where(opened)
        ).one()
        self.cases_opened: int = counts[0]
        self.automatic: int = counts[1]
        self.with_cases: int = counts[2]
        self.refunded: int = counts[3]
        self.disputed: int = counts[4]

        grouped = connection.execute(
            sa.select(F.c.remedy, F.c.status, sa.func.count())
            .select_from(_stored_facts())
            .where(opened)
            .group_by(F.c.remedy, F.c.status)
        ).all()
        self.outcomes: dict[tuple[RemedyKind, CaseStatus], int] = {
            (_member(RemedyKind, row[0]), _member(CaseStatus, row[1])): row[2] for row in grouped
        }

        resolved = sa.and_(
            F.c.resolved_at.is_not(None), F.c.resolved_at >= start, F.c.resolved_at < end
        )
        spans = connection.execute(
            sa.select(F.c.opened_at, F.c.resolved_at).select_from(_stored_facts()).where(resolved)
        ).all()
        self.durations: list[_dt.timedelta] = sorted(
            _dt.datetime.__sub__(row.resolved_at, row.opened_at) for row in spans
        )


def _stored_facts() -> sa.Join:
    """The facts of the stored cases (a fact whose case row is gone is left out)."""
    return F.join(
        AGGREGATES, sa.and_(AGGREGATES.c.type == CASE_TYPE, AGGREGATES.c.id == F.c.case_id)
    )


def _paid_in(start: DateTime, end: DateTime, *, postgresql: bool) -> sa.Subquery:
    """``(order_id)`` of the orders whose earliest capture falls in ``[start, end)``."""
    document = AGGREGATES.c.document
    order_id = document[("body", "order_id")].as_string()
    low: Any
    high: Any
    if postgresql:
        history = (
            sa.func.jsonb_array_elements(document[("body", "history")])
            .table_valued(sa.column("value", sa.JSON()))
            .alias("history")
        )
        captured_at: Any = sa.cast(history.c.value["at"].as_string(), sa.DateTime(timezone=True))
        low, high = start, end
    else:
        history = (
            sa.func.json_each(document, "$.body.history")
            .table_valued(sa.column("value", sa.JSON()))
            .alias("history")
        )
        # The documents write instants as fixed-width UTC text (datetime_text), so text order
        # is time order.
        captured_at = history.c.value["at"].as_string()
        low, high = datetime_text(start), datetime_text(end)
    dest = history.c.value["dest"].as_string()
    first = (
        sa.select(order_id.label("order_id"), sa.func.min(captured_at).label("paid_at"))
        .select_from(AGGREGATES.join(history, sa.true()))
        .where(AGGREGATES.c.type == _PAYMENT, dest == _CAPTURED)
        .group_by(order_id)
        .subquery("first_capture")
    )
    return (
        sa.select(first.c.order_id)
        .where(first.c.paid_at >= low, first.c.paid_at < high)
        .subquery("paid")
    )


def _member(kind: Any, name: str) -> Any:
    try:
        return kind[name]
    except KeyError:
        raise DocumentError(
            "stored after-sales case facts",
            [f"{name!r} is not a {kind.__name__} of this version"],
        ) from None


def _assemble(empty: AfterSalesReport, figures: _Figures) -> AfterSalesReport:
    """The report of ``figures``, worded as :func:`~ecservice.aftersales.aftersales_report`
    words it (:meth:`~ecservice.aftersales.AfterSalesReport.from_counts`)."""
    return AfterSalesReport.from_counts(
        now=empty.now,
        zone=empty.zone,
        days=empty.days,
        window_start=empty.window_start,
        window_end=empty.window_end,
        paid_orders=figures.paid_orders,
        cases_opened=figures.cases_opened,
        orders_with_cases=figures.with_cases,
        orders_refunded=figures.refunded,
        orders_disputed=figures.disputed,
        outcomes=figures.outcomes,
        automatic_approvals=figures.automatic,
        durations=figures.durations,
    )
