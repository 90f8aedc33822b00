"""Recency, frequency and monetary value (RFM) of customers, scored and segmented."""

from __future__ import annotations

import bisect
import datetime as _dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar, final

import attrs
from pendulum import DateTime, Timezone

from ecservice._shown import shown
from ecservice.clock import ensure_utc
from ecservice.clock import zone as _zone
from ecservice.errors import CurrencyMismatch, ValidationError
from ecservice.money import Money, sum_money
from ecservice.orders import Order
from ecservice.satisfaction._rfm_policy import (
    DEFAULT_RFM_POLICY,
    RFM_SCORES,
    RfmPolicy,
    RfmScores,
    RfmSegment,
)
from ecservice.text import text

__all__ = ["CustomerRfm", "Purchase", "purchases_of", "rfm_analysis"]

_N = len(RFM_SCORES)
T = TypeVar("T", int, Money)


def _placed(value: _dt.datetime) -> DateTime:
    return ensure_utc(value, what="placed_at")


@final
@attrs.frozen(slots=True, kw_only=True)
class Purchase:
    """One order of a customer, as RFM counts it.

    Args:
        customer_id: the customer (short text).
        order_id: the order (short text); each order is counted once.
        placed_at: when it was placed (or paid: the shop chooses, the same for all); an aware
            datetime, converted to UTC.
        amount: what the customer spent on it (after refunds, if the shop counts them), a
            :class:`~ecservice.money.Money` not below zero.

    Raises:
        ValidationError: bad text, a negative amount or one that is not Money.
        NaiveDatetime: ``placed_at`` has no time zone.
    """

    customer_id: str = attrs.field(validator=text("a purchase's customer_id"))
    order_id: str = attrs.field(validator=text("a purchase's order_id"))
    placed_at: DateTime = attrs.field(converter=_placed)
    amount: Money = attrs.field()

    @amount.validator
    def _check_amount(self, _: object, value: object) -> None:
        if type(value) is not Money or value.is_negative():
            raise ValidationError(
                f"a purchase's amount must be Money of at least zero, not {shown(value)}"
            )


@final
@attrs.frozen(slots=True, kw_only=True)
class CustomerRfm:
    """A customer's recency, frequency and monetary value, their scores, segment and why.

    Args:
        customer_id: the customer.
        last_order_at: when their last order was placed, in UTC.
        recency_days: whole local days from the day of the last order to the day of ``now``
            (0: today).
        frequency: how many orders they placed.
        monetary: what they spent, in all.
        scores: the three scores.
        segment: the segment the policy names for the scores.
        explanation: how each score and the segment were found, one line each.

    Raises:
        ValidationError: scores or a segment of the wrong type, a segment that does not take
            the scores, or a frequency that is not an ``int`` of at least 1.
    """

    customer_id: str
    last_order_at: DateTime
    recency_days: int
    frequency: int
    monetary: Money
    scores: RfmScores
    segment: RfmSegment
    explanation: tuple[str, ...]

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.scores, RfmScores) or not isinstance(self.segment, RfmSegment):
            raise ValidationError("scores must be RfmScores and segment an RfmSegment")
        if not self.segment.matches(self.scores):
            raise ValidationError(
                f"segment {self.segment.name!r} does not take the scores {self.scores.code}"
            )
        if type(self.frequency) is not int or self.frequency < 1:
            raise ValidationError(
                f"frequency must be an int of at least 1, not {shown(self.frequency)}"
            )


def _purchases(purchases: Iterable[Purchase]) -> list[Purchase]:
    if isinstance(purchases, (str, bytes, Mapping)) or not isinstance(purchases, Iterable):
        raise ValidationError(f"purchases must be an iterable of Purchase, not {shown(purchases)}")
    out: list[Purchase] = []
    seen: set[str] = set()
    for p in purchases:
        if not isinstance(p, Purchase):
            raise ValidationError(f"purchases must hold Purchase values, not {shown(p)}")
        if p.order_id in seen:
            raise ValidationError(
                f"purchases must name each order once; {p.order_id!r} comes twice"
            )
        if out and p.amount.currency is not out[0].amount.currency:
            raise CurrencyMismatch(out[0].amount.currency.code, p.amount.currency.code, "add up")
        seen.add(p.order_id)
        out.append(p)
    return out


def _by_threshold(value: T, edges: Sequence[T], higher_is_better: bool) -> int:
    if higher_is_better:
        return 1 + sum(1 for e in edges if value >= e)
    return _N - sum(1 for e in edges if value > e)


def _by_quantile(value: T, ordered: Sequence[T], higher_is_better: bool) -> tuple[int, int]:
    # ``ordered`` is sorted: those strictly worse are found by bisection, not by a scan.
    if higher_is_better:
        worse = bisect.bisect_left(ordered, value)
    else:
        worse = len(ordered) - bisect.bisect_right(ordered, value)
    return 1 + (_N * worse) // len(ordered), worse


def _scorer(
    what: str,
    unit: Callable[[T], str],
    edges: Sequence[T] | None,
    higher: bool,
    values: list[T],
    edge: Callable[[T], str] = str,
) -> Callable[[T], tuple[int, str]]:
    ordered = sorted(values)

    def score(value: T) -> tuple[int, str]:
        if edges is not None:
            s = _by_threshold(value, edges, higher)
            rule = (
                "a score more for each one reached"
                if higher
                else "a score less for each one passed"
            )
            bounds = ", ".join(edge(e) for e in edges)
            return s, f"{what} {unit(value)}: score {s} by the thresholds {bounds} ({rule})"
        s, worse = _by_quantile(value, ordered, higher)
        return s, (
            f"{what} {unit(value)}: score {s} by quantiles ({worse} of {len(values)} "
            f"{'customer' if len(values) == 1 else 'customers'} do worse)"
        )

    return score


def rfm_analysis(
    purchases: Iterable[Purchase],
    *,
    now: _dt.datetime,
    zone: str,
    policy: RfmPolicy = DEFAULT_RFM_POLICY,
) -> tuple[CustomerRfm, ...]:
    """Score every customer of ``purchases`` on recency, frequency and monetary value (RFM)
    and name their segment, as of ``now``; one :class:`CustomerRfm` per customer, by id.

    **Recency** is counted in whole days of the shop's zone: the local day of ``now`` minus
    the local day of the customer's last order (0 when they ordered today), so the hour of
    either instant does not matter. **Frequency** is the number of orders; **monetary** the
    sum of their amounts, exact, in the one currency of all the purchases (mixing currencies
    is an error: convert first). :class:`RfmPolicy` says how each is scored 1-5 (thresholds or
    quantiles over the customers given) and which segment the scores fall in; each customer is
    in exactly one.

    >>> import pendulum
    >>> from ecservice.money import Money
    >>> now = pendulum.datetime(2026, 6, 1, 12, tz="Asia/Shanghai")
    >>> rows = rfm_analysis([Purchase(customer_id="c-1", order_id="O-1",
    ...     placed_at=now.subtract(days=3), amount=Money("99.00", "CNY"))],
    ...     now=now, zone="Asia/Shanghai")
    >>> rows[0].recency_days, rows[0].scores.code, rows[0].segment.name
    (3, '511', 'new')

    Args:
        purchases: the orders to count (any customers, each order once), placed no later than
            ``now``.
        now: the instant of the analysis; an aware datetime.
        zone: the shop's IANA time zone, in which days are counted.
        policy: the bins and the segments; :data:`DEFAULT_RFM_POLICY` by default.

    Raises:
        NaiveDatetime: ``now`` has no time zone.
        CurrencyMismatch: purchases in more than one currency, or monetary thresholds in
            another currency than the purchases.
        ValidationError: ``purchases`` not an iterable of :class:`Purchase`, an order named twice, a
            purchase after ``now``, a zone :func:`~ecservice.clock.check_zone` refuses, or a policy
            that is not an :class:`RfmPolicy`.
    """
    if not isinstance(now, _dt.datetime):
        raise ValidationError(f"now must be a timezone-aware datetime, not {shown(now)}")
    at = ensure_utc(now, what="now")
    tz = _zone(zone)
    if not isinstance(policy, RfmPolicy):
        raise ValidationError(f"policy must be an RfmPolicy, not {shown(policy)}")
    listed = _purchases(purchases)
    late = next((p for p in listed if p.placed_at > at), None)
    if late is not None:
        raise ValidationError(
            f"order {late.order_id!r} was placed at {late.placed_at.isoformat()}, after the "
            f"analysis's now ({at.isoformat()})"
        )
    if not listed:
        return ()
    currency = listed[0].amount.currency
    by_customer: dict[str, list[Purchase]] = {}
    for p in listed:
        by_customer.setdefault(p.customer_id, []).append(p)
    totals = {
        cid: (
            max(p.placed_at for p in rows),
            len(rows),
            sum_money((p.amount for p in rows), currency),
        )
        for cid, rows in by_customer.items()
    }
    return score_totals(totals, at=at, tz=tz, policy=policy)


def score_totals(
    totals: Mapping[str, tuple[DateTime, int, Money]],
    *,
    at: DateTime,
    tz: Timezone,
    policy: RfmPolicy,
) -> tuple[CustomerRfm, ...]:
    """Score customers from their totals, ``{customer_id: (last order, orders, spent)}``, all
    in one currency, as :func:`rfm_analysis` does once it has added up the purchases (internal:
    the SQL report adds them up in the database).

    Raises:
        CurrencyMismatch: monetary thresholds in another currency than the totals.
    """
    if not totals:
        return ()
    currency = next(iter(totals.values()))[2].currency
    if policy.monetary is not None and policy.monetary[0].currency is not currency:
        raise CurrencyMismatch(currency.code, policy.monetary[0].currency.code, "compare")
    today = at.in_timezone(tz).date()
    facts = {
        cid: (last, (today - last.in_timezone(tz).date()).days, count, spent)
        for cid, (last, count, spent) in totals.items()
    }

    recency = _scorer(
        "last order", lambda d: f"{d} {'day' if d == 1 else 'days'} ago", policy.recency_days,
        False, [f[1] for f in facts.values()], lambda d: f"{d} {'day' if d == 1 else 'days'}",
    )  # fmt: skip
    frequency = _scorer(
        "orders", str, policy.frequency_orders, True, [f[2] for f in facts.values()]
    )
    monetary = _scorer("spent", str, policy.monetary, True, [f[3] for f in facts.values()])
    out = []
    for cid in sorted(facts):
        last, days, count, spent = facts[cid]
        (r, why_r), (f, why_f), (m, why_m) = recency(days), frequency(count), monetary(spent)
        scores = RfmScores(r, f, m)
        segment = policy.segment_for(scores)
        out.append(
            CustomerRfm(
                customer_id=cid,
                last_order_at=last,
                recency_days=days,
                frequency=count,
                monetary=spent,
                scores=scores,
                segment=segment,
                explanation=(
                    f"R {why_r}",
                    f"F {why_f}",
                    f"M {why_m}",
                    f"segment {segment} (the first segment that takes {scores.code})",
                ),
            )
        )
    return tuple(out)


def purchases_of(orders: Iterable[Order[Any]]) -> tuple[Purchase, ...]:
    """The purchases RFM counts among ``orders``: each order closed as done (处理完毕, status
    ``DONE``, by name, so that a custom workflow's done state counts too), as a
    :class:`Purchase` of its buyer, placed at its creation, for what the buyer kept of it: the
    order's total less the value of its cancelled goods. Open and cancelled orders are left
    out. Refunds of after-sales cases are not deducted (the order does not know them).

    :class:`~ecservice.storage.sql.SqlSatisfactionReports` counts the stored orders by the
    same rule, so that its :meth:`~ecservice.storage.sql.SqlSatisfactionReports.rfm` equals
    ``rfm_analysis(purchases_of(orders), ...)``.

    Raises:
        ValidationError: ``orders`` is not an iterable of :class:`~ecservice.orders.Order`.
    """
    if isinstance(orders, (str, bytes, Mapping)) or not isinstance(orders, Iterable):
        raise ValidationError(f"orders must be an iterable of Order, not {shown(orders)}")
    out = []
    for order in orders:
        if not isinstance(order, Order):
            raise ValidationError(f"orders must hold Order values, not {shown(order)}")
        if getattr(order.status, "name", None) != "DONE":
            continue
        out.append(
            Purchase(
                customer_id=order.buyer_id,
                order_id=order.id,
                placed_at=order.created_at,
                amount=order.total - order.cancelled_value,
            )
        )
    return tuple(out)
