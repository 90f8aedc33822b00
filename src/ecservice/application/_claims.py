"""Which units of an order its after-sales cases claim, so that no two cases together ask for
more units of a line than the order has for the remedy."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Collection, Iterable
from typing import Any

from ecservice._shown import shown
from ecservice.aftersales import AfterSalesCase, CaseStatus, RefundSort, refund_key
from ecservice.clock import ensure_utc
from ecservice.errors import ValidationError
from ecservice.money import Money
from ecservice.orders import Order
from ecservice.payments import Payment

__all__ = ["claimed_units", "claims_units", "refunded_for_cancelled"]


def _remedy_given(case: AfterSalesCase) -> bool:
    """Whether the case gave a remedy for its units: money for the goods (a refund or a
    compensation; a reimbursed return freight alone is not one), a parcel (an exchange, a
    reship, repaired goods sent back) or a successful repair."""
    return (
        any(r.sort is not RefundSort.FREIGHT for r in case.refunds)
        or bool(case.new_shipments)
        or any(r.succeeded for r in case.repairs)
    )


def claims_units(case: AfterSalesCase, *, at: _dt.datetime) -> bool:
    """Whether ``case`` claims its units (its ``lines``)
    at ``at``, so that another case of the order cannot ask for them too.

    A case claims its units from its request on, while it is handled, and after it ends with a
    remedy: a case being handled (requested, approved, awaiting or inspecting the return, at
    the platform) may still give one; a **rejected** case too (the buyer may amend the request
    or ask the platform to step in, 申请客服介入, and a ruling for the buyer moves it on), until
    the buyer withdraws it or it is closed; a case that gave a **remedy** (refunded, exchanged,
    repaired, reshipped, compensated, and closed after that) used those units up: a problem with
    what it sent is taken up by reopening it, not by a second case on the same units. A
    **withdrawn** case frees them at once; a case **closed without a remedy** (a refusal the
    buyer accepted, a return never sent, a ruling for the seller) frees them when its reopening
    window has ended (the ``reopen_window`` of its :class:`~ecservice.aftersales.CaseTimeouts`,
    15 days from closing by default, as Taobao lets a closed refund be asked again), because
    until then it may be reopened and would claim them again.

    Args:
        case: the case.
        at: the instant asked about; an aware datetime.

    Raises:
        ValidationError: ``case`` is not an :class:`~ecservice.aftersales.AfterSalesCase`.
        NaiveDatetime: ``at`` has no time zone.
    """
    if not isinstance(case, AfterSalesCase):
        raise ValidationError(f"case must be an AfterSalesCase, not {shown(case)}")
    when = ensure_utc(at, what="at")
    if case.status is CaseStatus.WITHDRAWN:
        return False
    if case.status is CaseStatus.CLOSED and not _remedy_given(case):
        closed = case.closed_at
        return closed is not None and when < closed + case.timeouts.reopen_window
    return True


def claimed_units(cases: Iterable[AfterSalesCase], *, at: _dt.datetime) -> dict[str, int]:
    """``{sku: units}`` the ``cases`` claim at ``at`` (:func:`claims_units`), summed per SKU;
    SKUs no case claims are left out. Given an order's other cases, it is the ``claimed``
    argument of :meth:`~ecservice.aftersales.AfterSalesPolicy.eligible`, which refuses a
    request for more units than the order has for the remedy once these are taken.

    >>> import pendulum
    >>> from ecservice.application import claimed_units
    >>> claimed_units([], at=pendulum.datetime(2026, 11, 11, tz="UTC"))
    {}

    Raises:
        ValidationError: ``cases`` is not an iterable of
            :class:`~ecservice.aftersales.AfterSalesCase`.
        NaiveDatetime: ``at`` has no time zone.
    """
    given: object = cases
    if isinstance(given, (str, bytes)) or not isinstance(given, Iterable):
        raise ValidationError(f"cases must be an iterable of AfterSalesCase, not {shown(cases)}")
    claimed: dict[str, int] = {}
    for case in cases:
        if claims_units(case, at=at):
            for line in case.lines:
                claimed[line.sku] = claimed.get(line.sku, 0) + line.quantity
    return claimed


def refunded_for_cancelled(
    order: Order[Any], cases: Iterable[AfterSalesCase], payments: Iterable[Payment]
) -> Money:
    """What the order's after-sales cases already refunded for units the order has since
    cancelled: the ``covered`` amount of :meth:`~ecservice.payments.OrderPayments.owed`, so
    that a unit refunded by a case and then cancelled is refunded once, not by the case and
    again by the cancellation's settlement.

    Only refunds the payments made count (a case refund recorded on a payment under its key);
    one decided and not made yet covers nothing. The order's cancelled units of each SKU are
    matched to the cases' lines in the order the cases were opened; a case covers the value of
    its matched units (unit price times units), at most the money its payments refunded for
    the goods (refunds of sort ``REFUND``; compensations and reimbursed freight pay for
    something else).

    Args:
        order: the order.
        cases: its after-sales cases (others are left out).
        payments: its payments.

    Returns:
        A non-negative amount in the order's currency.
    """
    made = {key for payment in payments for key, _fingerprint, _version in payment.idempotency}
    return covered_by_keys(order, cases, made)


def covered_by_keys(
    order: Order[Any], cases: Iterable[AfterSalesCase], made: Collection[str]
) -> Money:
    """:func:`refunded_for_cancelled` with the case refunds made given by their keys."""
    left = {line.sku: order.cancelled_quantity(line.sku) for line in order.lines}
    price = {line.sku: line.unit_price for line in order.lines}
    total = Money.zero(order.currency)
    mine = [c for c in cases if c.order_id == order.id]
    for case in sorted(mine, key=lambda c: (c.opened_at, c.id)):
        goods = Money.zero(order.currency)
        for refund in case.refunds:
            key = refund_key(case.id, refund.version, refund.sort)
            if refund.sort is RefundSort.REFUND and key in made:
                goods = goods + refund.amount
        if goods.is_zero() or goods.currency != order.currency:
            continue
        matched = Money.zero(order.currency)
        for line in case.lines:
            units = min(line.quantity, left.get(line.sku, 0))
            if units:
                left[line.sku] -= units
                matched = matched + price[line.sku] * units
        total = total + min(matched, goods)
    return total
