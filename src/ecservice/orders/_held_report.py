"""The figures of held orders (异常订单) over a window of the shop's days: how many orders were
held, why, how the holds ended, how long they took to handle, and which are still held."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final, final

import attrs
from pendulum import DateTime

from ecservice._shown import shown
from ecservice.clock import check_zone
from ecservice.errors import ValidationError
from ecservice.orders._hold_values import HoldOutcome, HoldReason

if TYPE_CHECKING:
    from ecservice.aftersales import Rate
    from ecservice.orders._order import Order

__all__ = ["DEFAULT_HELD_REPORT_DAYS", "HeldOrdersReport", "held_orders_report"]

#: The report's default window: the 30 days before today (近30天), as the other reports.
DEFAULT_HELD_REPORT_DAYS: Final = 30


def _check_zone(_: object, __: object, value: str) -> None:
    check_zone(value)


@final
@attrs.frozen(kw_only=True)
class HeldOrdersReport:
    """Held-order figures over one window (:func:`held_orders_report` builds it; so does
    :meth:`SqlOrderReports.held_orders <ecservice.storage.sql.SqlOrderReports.held_orders>`
    from the stored facts).

    An order counts by the instant it was placed. A held order counts once, under the reason
    of its first hold and the outcome of its last one; its handling time is the time all its
    holds lasted, once the last one ended (at or before ``now``).

    Args:
        now: the instant the report was asked for, in UTC.
        zone: the shop's IANA time zone, in which the days are counted.
        days: the window's length in local calendar days.
        window_start: the window's first instant, in UTC (the start of a local day).
        window_end: the window's end, exclusive, in UTC (the start of the local day of ``now``).
        orders: orders placed in the window.
        held: of them, those held at least once.
        share: ``held`` over ``orders`` (异常订单率), ``None`` without orders.
        by_reason: held orders per reason of their first hold (reasons without orders left
            out).
        released: held orders whose last hold was released by ``now``.
        cancelled: held orders cancelled while held (their last hold), by ``now``.
        still_held: the ids of the held orders whose last hold had not ended at ``now``, sorted.
        handling_median: the median handling time of the ``released + cancelled`` orders
            (nearest rank), ``None`` without them.
        handling_p90: its 90th percentile (nearest rank), or ``None``.
    """

    now: DateTime
    zone: str = attrs.field(validator=_check_zone)
    days: int
    window_start: DateTime
    window_end: DateTime
    orders: int
    held: int
    share: Rate | None
    by_reason: Mapping[HoldReason, int]
    released: int
    cancelled: int
    still_held: tuple[str, ...]
    handling_median: _dt.timedelta | None
    handling_p90: _dt.timedelta | None

    @classmethod
    def from_counts(
        cls,
        *,
        now: _dt.datetime,
        zone: str,
        days: int,
        orders: int,
        held: int,
        by_reason: Mapping[HoldReason, int],
        outcomes: Mapping[HoldOutcome, int],
        still_held: Iterable[str],
        handling: Iterable[_dt.timedelta],
    ) -> HeldOrdersReport:
        """The report from counts already made (as the SQL report makes them).

        Raises:
            NaiveDatetime: ``now`` has no time zone.
            ValidationError: a zone :func:`~ecservice.clock.check_zone` refuses, ``days`` out of
                range, counts that disagree.
        """
        from ecservice.aftersales import Rate, nearest_rank, report_window

        at, name, start, end = report_window(now, zone, days)
        durations = list(handling)
        if type(orders) is not int or type(held) is not int or not 0 <= held <= orders:
            raise ValidationError(f"held ({shown(held)}) must be an int from 0 to orders")
        return cls(
            now=at,
            zone=name,
            days=days,
            window_start=start,
            window_end=end,
            orders=orders,
            held=held,
            share=Rate(held, orders) if orders else None,
            by_reason={r: by_reason[r] for r in HoldReason if by_reason.get(r)},
            released=outcomes.get(HoldOutcome.RELEASED, 0),
            cancelled=outcomes.get(HoldOutcome.CANCELLED, 0),
            still_held=tuple(sorted(still_held)),
            handling_median=nearest_rank(durations, 50),
            handling_p90=nearest_rank(durations, 90),
        )


def _orders(orders: Iterable[Order[Any]]) -> list[Order[Any]]:
    from ecservice.orders._order import Order

    raw: object = orders
    if isinstance(raw, str | bytes | Mapping) or not isinstance(raw, Iterable):
        raise ValidationError(f"orders must be an iterable of Order, not {shown(raw)}")
    out: list[Order[Any]] = []
    seen: set[str] = set()
    for order in raw:
        if not isinstance(order, Order):
            raise ValidationError(f"orders must be Order values, not {shown(order)}")
        if order.id in seen:
            raise ValidationError(f"order {order.id!r} is named twice")
        seen.add(order.id)
        out.append(order)
    return out


def held_orders_report(
    orders: Iterable[Order[Any]],
    *,
    now: _dt.datetime,
    zone: str,
    days: int = DEFAULT_HELD_REPORT_DAYS,
) -> HeldOrdersReport:
    """The held-order figures of the ``days`` whole local days before the day of ``now``.

    The window is every report's (:func:`~ecservice.aftersales.report_window`): whole calendar
    days of the shop's zone, today left out, an instant at the start in, one at the end out.
    Orders are read as they stand, their holds from their history (:attr:`Order.holds
    <ecservice.orders.Order.holds>`); medians and percentiles by nearest rank
    (:func:`~ecservice.aftersales.nearest_rank`); no figure is a float.

    Args:
        orders: the shop's orders, each once; those placed outside the window are left out.
        now: when the report is asked for; an aware datetime.
        zone: the shop's IANA time zone, in which days are counted.
        days: the window's length in whole local days, from 1 to
            :data:`~ecservice.aftersales.MAX_REPORT_DAYS`; 30 by default.

    Raises:
        NaiveDatetime: ``now`` has no time zone.
        ValidationError: ``now`` not a datetime, a zone :func:`~ecservice.clock.check_zone` refuses,
            ``days`` out of range, an item that is not an :class:`~ecservice.orders.Order`, an order
            named twice.
    """
    from ecservice.aftersales import report_window

    at, name, start, end = report_window(now, zone, days)
    every = _orders(orders)
    placed = [o for o in every if start <= o.created_at < end]
    held = 0
    by_reason: dict[HoldReason, int] = {}
    outcomes: dict[HoldOutcome, int] = {}
    still: list[str] = []
    handling: list[_dt.timedelta] = []
    for order in placed:
        holds = order.holds
        if not holds:
            continue
        held += 1
        first, last = holds[0], holds[-1]
        by_reason[first.reason] = by_reason.get(first.reason, 0) + 1
        if last.outcome is None or last.ended_at is None or last.ended_at > at:
            still.append(order.id)
            continue
        outcomes[last.outcome] = outcomes.get(last.outcome, 0) + 1
        took = _dt.timedelta(0)
        for hold in holds:
            if hold.ended_at is not None:
                took += _dt.datetime.__sub__(hold.ended_at, hold.held_at)
        handling.append(took)
    return HeldOrdersReport.from_counts(
        now=at,
        zone=name,
        days=days,
        orders=len(placed),
        held=held,
        by_reason=by_reason,
        outcomes=outcomes,
        still_held=still,
        handling=handling,
    )
