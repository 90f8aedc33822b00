"""Checking an after-sales request against a policy (private: use ``AfterSalesPolicy.eligible``).

Input is checked first and malformed input raises; then every rule runs and adds its refusals,
so one answer lists every reason at once.
"""

from __future__ import annotations

import datetime as _dt
import enum
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from pendulum import DateTime

from ecservice._shown import shown
from ecservice.aftersales._categories import ProblemCategory, ProblemKind, RemedyKind
from ecservice.aftersales._eligibility import Deadline, Eligibility, Refusal, Rule
from ecservice.aftersales._freight import CompensationTier
from ecservice.aftersales._goods import ORDINARY, EvidenceKind, ItemTraits
from ecservice.clock import ensure_utc, zone
from ecservice.errors import CurrencyMismatch, InvalidAmount, InvalidQuantity, ValidationError
from ecservice.money import Money
from ecservice.orders import Order
from ecservice.orders._values import quantities

if TYPE_CHECKING:
    from ecservice.aftersales._policy import AfterSalesPolicy

__all__ = ["evaluate"]

_R = RemedyKind
_P = ProblemKind


class _Basis(enum.Enum):
    """What the quantity of a request is measured against."""

    DELIVERED = "delivered"
    SHIPPED = "shipped"
    UNSHIPPED = "unshipped"
    NOT_CANCELLED = "ordered and not cancelled"


_RULE_OF_BASIS = {
    _Basis.DELIVERED: Rule.QUANTITY_ABOVE_DELIVERED,
    _Basis.SHIPPED: Rule.QUANTITY_ABOVE_SHIPPED,
    _Basis.UNSHIPPED: Rule.QUANTITY_ABOVE_UNSHIPPED,
    _Basis.NOT_CANCELLED: Rule.QUANTITY_ABOVE_ORDERED,
}


def _basis(remedy: RemedyKind, problem: ProblemKind) -> _Basis:
    if remedy is _R.RESHIP:
        return _Basis.SHIPPED
    if remedy is _R.REFUND_ONLY:
        if problem in (_P.REFUND_BEFORE_SHIPMENT, _P.OUT_OF_STOCK):
            return _Basis.UNSHIPPED
        return _Basis.NOT_CANCELLED
    if remedy is _R.COMPENSATION:
        if problem is _P.LOST_PARCEL:
            return _Basis.SHIPPED
        if problem.category is ProblemCategory.PRODUCT and problem is not _P.OUT_OF_STOCK:
            return _Basis.DELIVERED
        return _Basis.NOT_CANCELLED
    if remedy is _R.RETURN_AND_REFUND and problem is _P.REFUND_AFTER_SHIPMENT:
        return _Basis.SHIPPED  # the buyer may refuse the parcel or send it back unopened
    return _Basis.DELIVERED


def _available(order: Order[Any], sku: str, basis: _Basis, at: DateTime) -> int:
    if basis is _Basis.DELIVERED:
        return sum(
            s.quantity_of(sku)
            for s in order.shipments
            if s.received_at is not None and s.received_at <= at
        )
    if basis is _Basis.SHIPPED:
        return sum(s.quantity_of(sku) for s in order.shipments if s.shipped_at <= at)
    if basis is _Basis.UNSHIPPED:
        return order.open_quantity(sku)
    return order.line(sku).quantity - order.cancelled_quantity(sku)


def _check_counts(value: Mapping[str, int] | None, order: Order[Any]) -> dict[str, int]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidQuantity(f"claimed must be a mapping {{sku: units}}, not {shown(value)}")
    counts: dict[str, int] = {}
    for sku, units in value.items():
        order.line(sku)
        if isinstance(units, bool) or not isinstance(units, int) or units < 0:
            raise InvalidQuantity(
                f"claimed units of {shown(sku)} must be a whole number of at least 0, "
                f"not {shown(units)}"
            )
        counts[sku] = units
    return counts


def _check_traits(value: Mapping[str, ItemTraits] | None) -> Mapping[str, ItemTraits]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValidationError(f"traits must be a mapping {{sku: ItemTraits}}, not {shown(value)}")
    for sku, traits in value.items():
        if not isinstance(traits, ItemTraits):
            raise ValidationError(
                f"traits of {shown(sku)} must be an ItemTraits, not {shown(traits)}"
            )
    return value


def _check_evidence(value: Iterable[EvidenceKind]) -> frozenset[EvidenceKind]:
    given: object = value
    if isinstance(given, (str, bytes)) or not isinstance(given, Iterable):
        raise ValidationError(f"evidence must be EvidenceKind members, not {shown(value)}")
    items = frozenset(value)
    for item in items:
        if not isinstance(item, EvidenceKind):
            raise ValidationError(
                f"evidence must hold EvidenceKind members, not {shown(item)}; allowed: "
                + ", ".join(m.value for m in EvidenceKind)
            )
    return items


def _check_amount(value: Money | None, order: Order[Any]) -> Money | None:
    if value is None:
        return None
    if not isinstance(value, Money):
        raise InvalidAmount(f"amount must be Money or None, not {shown(value)}")
    if value.currency != order.currency:
        raise CurrencyMismatch(order.currency.code, value.currency.code, "ask for an amount in")
    if value.amount <= 0:
        raise InvalidAmount(f"amount must be more than zero, not {value}")
    return value


def _of(kind: type, value: object, what: str) -> None:
    if not isinstance(value, kind):
        raise ValidationError(f"{what} must be a {kind.__name__}, not {shown(value)}")


class _Check:
    """One evaluation: the checked input, and the refusals and deadlines found so far."""

    def __init__(
        self,
        policy: AfterSalesPolicy,
        order: Order[Any],
        items: tuple[tuple[str, int], ...],
        at: DateTime,
    ) -> None:
        self.policy = policy
        self.order = order
        self.items = items
        self.at = at
        self.refusals: list[Refusal] = []
        self.deadlines: list[Deadline] = []

    def local(self, instant: DateTime) -> str:
        return instant.in_tz(zone(self.policy.zone)).isoformat()

    def refuse(self, rule: Rule, message: str, sku: str | None = None) -> None:
        self.refusals.append(Refusal(rule=rule, message=message, sku=sku))

    def window(self, rule: Rule, sku: str, qty: int, days: int, name: str, source: str) -> None:
        """Refuse when fewer than ``qty`` delivered units of ``sku`` are within a window of
        ``days`` days from their sign-for; record the window's deadline."""
        ends = [
            (s.quantity_of(sku), self.policy.window_end(s.received_at, days))
            for s in self.order.shipments
            if s.received_at is not None and s.received_at <= self.at and s.quantity_of(sku)
        ]
        if not ends:
            return  # nothing delivered: the quantity rule has refused already
        self.deadlines.append(Deadline(rule=rule, ends_at=max(e for _, e in ends), sku=sku))
        within = sum(q for q, end in ends if self.at < end)
        ended = [end for _, end in ends if end <= self.at]
        if qty > within and ended:
            self.refuse(
                rule,
                f"the {name} window for {sku!r} ended at {self.local(max(ended))} ({source}); "
                f"{within} of the {qty} units asked are within it",
                sku,
            )


def evaluate(
    policy: AfterSalesPolicy,
    order: Order[Any],
    lines: Mapping[str, int],
    remedy: RemedyKind,
    problem: ProblemKind,
    at: _dt.datetime,
    *,
    traits: Mapping[str, ItemTraits] | None,
    evidence: Iterable[EvidenceKind],
    failed_repairs: int,
    claimed: Mapping[str, int] | None,
    amount: Money | None,
    tier: CompensationTier | None,
) -> Eligibility:
    """Check a request; see :meth:`AfterSalesPolicy.eligible` for the rules and errors."""
    _of(Order, order, "order")
    _of(RemedyKind, remedy, "remedy")
    _of(ProblemKind, problem, "problem")
    if not isinstance(lines, Mapping):
        raise InvalidQuantity(f"lines must be a mapping {{sku: quantity}}, not {shown(lines)}")
    items = quantities(lines, what="lines")
    for sku, _ in items:
        order.line(sku)
    when = ensure_utc(at, what="at")
    per_sku = _check_traits(traits)
    given = _check_evidence(evidence)
    if isinstance(failed_repairs, bool) or not isinstance(failed_repairs, int):
        raise ValidationError(f"failed_repairs must be an int, not {shown(failed_repairs)}")
    if failed_repairs < 0:
        raise ValidationError(f"failed_repairs must be at least 0, not {failed_repairs}")
    others = _check_counts(claimed, order)
    asked = _check_amount(amount, order)
    if tier is not None:
        _of(CompensationTier, tier, "tier")

    check = _Check(policy, order, items, when)
    _remedy_rule(check, remedy, problem)
    _quantity_rule(check, remedy, problem, others)
    _evidence_rule(check, problem, given)
    if problem is _P.NO_REASON_RETURN:
        _no_reason_rules(check, per_sku)
    if problem in policy.quality_problems and remedy in (
        _R.RETURN_AND_REFUND,
        _R.EXCHANGE,
        _R.REPAIR,
    ):
        _quality_rules(check, remedy, per_sku, failed_repairs)
    if asked is not None:
        _amount_rules(check, remedy, asked, tier)
    answer = (
        policy.timeouts.seller_answer_shipped
        if order.shipments
        else policy.timeouts.seller_answer_unshipped
    )
    check.deadlines.append(Deadline(rule=Rule.SELLER_ANSWER, ends_at=when + answer))
    return Eligibility(
        problem=problem,
        remedy=remedy,
        liability=policy.liability[problem],
        refusals=check.refusals,
        deadlines=check.deadlines,
    )


def _remedy_rule(check: _Check, remedy: RemedyKind, problem: ProblemKind) -> None:
    allowed = check.policy.remedies[problem]
    if remedy not in allowed:
        names = ", ".join(sorted(r.value for r in allowed)) or "no remedy"
        check.refuse(
            Rule.REMEDY_NOT_ALLOWED,
            f"the policy allows {names} for {problem.value}, not {remedy.value}",
        )


def _quantity_rule(
    check: _Check, remedy: RemedyKind, problem: ProblemKind, others: Mapping[str, int]
) -> None:
    basis = _basis(remedy, problem)
    for sku, qty in check.items:
        base = _available(check.order, sku, basis, check.at)
        taken = others.get(sku, 0)
        if qty > base - taken:
            where = f" by {check.local(check.at)}" if basis is not _Basis.NOT_CANCELLED else ""
            claimed = f", {taken} of them already claimed by other cases" if taken else ""
            check.refuse(
                _RULE_OF_BASIS[basis],
                f"{qty} units of {sku!r} asked for {remedy.value}, but "
                f"{base} {'was' if base == 1 else 'were'} {basis.value}{where}{claimed}",
                sku,
            )


def _evidence_rule(check: _Check, problem: ProblemKind, given: frozenset[EvidenceKind]) -> None:
    missing = check.policy.evidence[problem] - given
    if missing:
        check.refuse(
            Rule.EVIDENCE_MISSING,
            f"{problem.value} needs evidence: {', '.join(sorted(m.value for m in missing))} "
            f"(given: {', '.join(sorted(g.value for g in given)) or 'none'})",
        )


def _no_reason_rules(check: _Check, per_sku: Mapping[str, ItemTraits]) -> None:
    policy = check.policy
    for sku, qty in check.items:
        traits = per_sku.get(sku, ORDINARY)
        for cls in sorted(traits.outright_exclusions, key=lambda c: c.value):
            check.refuse(
                Rule.EXCLUDED_OUTRIGHT,
                f"{sku!r} is {cls.label_en.lower()} ({cls.label_zh}): excluded from no-reason "
                "returns (CPL art. 25 para. 1)",
                sku,
            )
        for cls in sorted(traits.confirmed_exclusions, key=lambda c: c.value):
            check.refuse(
                Rule.EXCLUDED_CONFIRMED,
                f"{sku!r} is {cls.label_en.lower()} ({cls.label_zh}) and the buyer confirmed at "
                "purchase that it is not returned without a reason (CPL art. 25 para. 2)",
                sku,
            )
        if not traits.intact:
            check.refuse(
                Rule.NOT_INTACT,
                f"{sku!r} is not intact: goods returned without a reason must keep their "
                "quality, function, accessories and labels (CPL art. 25 para. 3)",
                sku,
            )
        elif traits.seal_spoils:
            check.refuse(
                Rule.NOT_INTACT,
                f"{sku!r} had its necessary one-time seal broken, which affects safety or health: "
                "it is not intact (Interim Measures for 7-day No-reason Returns art. 9)",
                sku,
            )
        check.window(
            Rule.NO_REASON_WINDOW,
            sku,
            qty,
            policy.no_reason_days,
            f"{policy.no_reason_days}-day no-reason return",
            "CPL art. 25, counted from the day after sign-for",
        )


def _quality_rules(
    check: _Check, remedy: RemedyKind, per_sku: Mapping[str, ItemTraits], failed: int
) -> None:
    policy = check.policy
    repaired_out = failed >= policy.repairs_before_replacement
    for sku, qty in check.items:
        warranty = policy.warranty_days(per_sku.get(sku))
        if remedy is _R.REPAIR or repaired_out:
            note = (
                f"after {failed} failed repairs, 三包 rules art. 11"
                if remedy is not _R.REPAIR
                else "三包 rules art. 11"
            )
            check.window(Rule.WARRANTY, sku, qty, warranty, f"{warranty}-day warranty", note)
            continue
        days, rule, source = (
            (policy.quality_return_days, Rule.QUALITY_RETURN_WINDOW, "三包 rules art. 9")
            if remedy is _R.RETURN_AND_REFUND
            else (policy.quality_exchange_days, Rule.QUALITY_EXCHANGE_WINDOW, "三包 rules art. 10")
        )
        hint = (
            f"; within the warranty, {policy.repairs_before_replacement} failed repairs allow "
            "it again"
        )
        check.window(rule, sku, qty, days, f"{days}-day quality {remedy.value}", source + hint)
        check.window(Rule.WARRANTY, sku, qty, warranty, f"{warranty}-day warranty", "三包 rules")


def _amount_rules(
    check: _Check, remedy: RemedyKind, asked: Money, tier: CompensationTier | None
) -> None:
    order = check.order
    value = Money.from_minor(
        sum(order.line(sku).unit_price.minor_units * qty for sku, qty in check.items),
        order.currency,
    )
    if remedy is _R.COMPENSATION:
        if tier is None:
            check.refuse(
                Rule.COMPENSATION_TIER_MISSING,
                f"a compensation of {asked} needs a tier to bound it "
                f"({', '.join(t.value for t in CompensationTier)})",
            )
        else:
            bound = check.policy.compensation_bound(tier)
            if bound.maximum.currency != asked.currency:
                raise CurrencyMismatch(
                    bound.maximum.currency.code, asked.currency.code, "bound a compensation in"
                )
            if not bound.admits(asked):
                check.refuse(
                    Rule.COMPENSATION_ABOVE_BOUND,
                    f"a compensation of {asked} is above the {tier.value} bound of "
                    f"{bound.maximum} (policy compensation_bounds)",
                )
    if asked > value:
        check.refuse(
            Rule.AMOUNT_ABOVE_VALUE,
            f"{asked} asked is above the value of the lines, {value}",
        )
