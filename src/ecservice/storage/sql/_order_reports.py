"""Order reports computed by the database: the figures of
:func:`~ecservice.orders.held_orders_report` from SQL aggregates over the stored orders' facts,
without loading the orders."""

from __future__ import annotations

import datetime as _dt
from typing import Any, final

import sqlalchemy as sa
from pendulum import DateTime

from ecservice._shown import shown
from ecservice.aftersales import report_window
from ecservice.errors import ValidationError
from ecservice.orders import DEFAULT_HELD_REPORT_DAYS, HeldOrdersReport, HoldOutcome, HoldReason
from ecservice.storage._errors import DocumentError
from ecservice.storage.sql._engine import READ_ONLY_OPTION
from ecservice.storage.sql._order_schema import ORDER_FACTS
from ecservice.storage.sql._retry import translated
from ecservice.storage.sql._store import SqlStore

__all__ = ["SqlOrderReports"]

F = ORDER_FACTS


@final
class SqlOrderReports:
    """Order reports of the orders stored in a :class:`SqlStore`, computed by the database
    (SQLite or PostgreSQL).

    :meth:`held_orders` returns the :class:`~ecservice.orders.HeldOrdersReport` that
    :func:`~ecservice.orders.held_orders_report` computes from every stored order, figure for
    figure, each order read as it was last saved. The counts are SQL aggregates (``COUNT``,
    ``GROUP BY``) over the ``ecs_order_facts`` rows the store writes with every order whose
    holds, close or cancellations changed; the handling times are the facts' ``held_us``
    (the time the ended holds lasted), whose median and 90th percentile are taken from the
    durations the database selects. All of a report's queries run in one read-only
    transaction (``REPEATABLE READ`` on PostgreSQL; a read transaction on SQLite), so the
    figures agree with each other.

    >>> import pendulum
    >>> from ecservice.storage.sql import SqlOrderReports, SqlStore
    >>> store = SqlStore("sqlite://")
    >>> store.create_schema()
    >>> now = pendulum.datetime(2026, 12, 1, 9, tz="Asia/Shanghai")
    >>> report = SqlOrderReports(store).held_orders(now=now, zone="Asia/Shanghai")
    >>> report.orders, report.held, report.share
    (0, 0, None)

    Args:
        store: the store whose database is read.

    Raises:
        ValidationError: ``store`` is not a :class:`SqlStore`.
    """

    def __init__(self, store: SqlStore) -> None:
        if not isinstance(store, SqlStore):
            raise ValidationError(f"SqlOrderReports needs a SqlStore, not {shown(store)}")
        self.store = store

    def held_orders(
        self,
        *,
        now: _dt.datetime,
        zone: str,
        days: int = DEFAULT_HELD_REPORT_DAYS,
    ) -> HeldOrdersReport:
        """The held-order figures (异常订单) of the ``days`` whole local days before the day of
        ``now``, as :func:`~ecservice.orders.held_orders_report` defines them, over the
        committed orders.

        Args:
            now: when the report is asked for; an aware datetime, not before the orders' last
                saves.
            zone: the shop's IANA time zone, in which days are counted.
            days: the window's length in whole local days, from 1 to
                :data:`~ecservice.aftersales.MAX_REPORT_DAYS`; 30 by default.

        Raises:
            NaiveDatetime: ``now`` has no time zone.
            ValidationError: ``now`` not a datetime, a zone :func:`~ecservice.clock.check_zone`
                refuses, ``days`` out of range.
            DocumentError: a stored fact names a reason or outcome this code does not know.
            StorageUnavailable, TransientStorageError: the database failed.
        """
        at, name, start, end = report_window(now, zone, days)
        store = self.store
        postgresql = store.engine.dialect.name == "postgresql"
        with translated("compute the held-orders report"):
            connection = (
                store.engine.connect().execution_options(isolation_level="REPEATABLE READ")
                if postgresql
                else store.engine.connect().execution_options(**{READ_ONLY_OPTION: True})
            )
            with connection, connection.begin():
                counted = _count(connection, at, start, end)
        return HeldOrdersReport.from_counts(now=at, zone=name, days=days, **counted)


def _enum(kind: type[Any], name: object, what: str) -> Any:
    try:
        return kind[name]
    except (KeyError, TypeError):
        raise DocumentError(
            "the order facts", [f"{name!r:.60} is not a {what} of this version ({kind.__name__})"]
        ) from None


def _count(
    connection: sa.Connection, now: DateTime, start: DateTime, end: DateTime
) -> dict[str, Any]:
    """The report's figures for the orders placed in ``[start, end)``, as of ``now``."""
    placed = sa.and_(F.c.created_at >= start, F.c.created_at < end)
    held = sa.and_(placed, F.c.holds > 0)
    ended = sa.and_(held, F.c.hold_outcome.is_not(None), F.c.hold_ended_at <= now)
    row = connection.execute(
        sa.select(sa.func.count(), sa.func.count(sa.case((F.c.holds > 0, 1)))).where(placed)
    ).one()
    by_reason = {
        _enum(HoldReason, reason, "hold reason"): count
        for reason, count in connection.execute(
            sa.select(F.c.hold_reason, sa.func.count()).where(held).group_by(F.c.hold_reason)
        )
    }
    outcomes = {
        _enum(HoldOutcome, outcome, "hold outcome"): count
        for outcome, count in connection.execute(
            sa.select(F.c.hold_outcome, sa.func.count()).where(ended).group_by(F.c.hold_outcome)
        )
    }
    still = connection.execute(
        sa.select(F.c.order_id)
        .where(held, sa.or_(F.c.hold_outcome.is_(None), F.c.hold_ended_at > now))
        .order_by(F.c.order_id)
    ).scalars()
    handling = connection.execute(sa.select(F.c.held_us).where(ended)).scalars()
    return {
        "orders": row[0],
        "held": row[1],
        "by_reason": by_reason,
        "outcomes": outcomes,
        "still_held": list(still),
        "handling": [_dt.timedelta(microseconds=us) for us in handling],
    }
