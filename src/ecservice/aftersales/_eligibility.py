"""The answer to "may this after-sales request be opened?": allowed, or every reason why not.

:meth:`AfterSalesPolicy.eligible <ecservice.aftersales.AfterSalesPolicy.eligible>` returns an
:class:`Eligibility`: each rule that refuses adds a :class:`Refusal` naming the rule (a
:class:`Rule` member) and, in its message, the exact instant or amount that decided it; the
deadlines that apply to the request come with it, refused or not.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable

import attrs
from pendulum import DateTime

from ecservice._shown import shown
from ecservice.aftersales._categories import Liability, ProblemKind, RemedyKind
from ecservice.aftersales._checks import instance_of
from ecservice.aftersales._errors import NotEligible
from ecservice.clock import ensure_utc
from ecservice.errors import ValidationError
from ecservice.workflow import LabelledState

__all__ = ["Deadline", "Eligibility", "Refusal", "Rule"]


class Rule(LabelledState):
    """The rules an after-sales request is checked against; each value is a stable rule id."""

    #: The policy does not allow this remedy for this problem.
    REMEDY_NOT_ALLOWED = ("remedy_not_allowed", "Remedy not allowed", "不支持该售后类型")
    #: More units than were delivered (signed for) are to be returned, exchanged or repaired.
    QUANTITY_ABOVE_DELIVERED = (
        "quantity_above_delivered",
        "Quantity above what was delivered",
        "数量超过已签收数量",
    )
    #: More units than were shipped are to be reshipped or compensated.
    QUANTITY_ABOVE_SHIPPED = (
        "quantity_above_shipped",
        "Quantity above what was shipped",
        "数量超过已发货数量",
    )
    #: More units than are still unshipped are to be refunded before shipment.
    QUANTITY_ABOVE_UNSHIPPED = (
        "quantity_above_unshipped",
        "Quantity above what is unshipped",
        "数量超过未发货数量",
    )
    #: More units than remain after cancellations are to be refunded.
    QUANTITY_ABOVE_ORDERED = (
        "quantity_above_ordered",
        "Quantity above what was ordered and not cancelled",
        "数量超过未取消数量",
    )
    #: The 7-day no-reason return window has ended (CPL art. 25).
    NO_REASON_WINDOW = ("no_reason_window", "No-reason return window", "七天无理由退货期限")
    #: The goods are excluded outright from no-reason returns (CPL art. 25 para. 1).
    EXCLUDED_OUTRIGHT = (
        "excluded_outright",
        "Excluded from no-reason returns",
        "不适用七天无理由退货",
    )
    #: The buyer confirmed at purchase that the goods are not returned without a reason.
    EXCLUDED_CONFIRMED = (
        "excluded_confirmed",
        "Excluded, confirmed at purchase",
        "购买时确认不适用七天无理由退货",
    )
    #: The goods are not intact (CPL art. 25 para. 3).
    NOT_INTACT = ("not_intact", "Goods not intact", "商品不完好")
    #: The 7-day quality return window has ended (三包 rules art. 9).
    QUALITY_RETURN_WINDOW = ("quality_return_window", "Quality return window", "质量问题退货期限")
    #: The 15-day quality exchange window has ended (三包 rules art. 10).
    QUALITY_EXCHANGE_WINDOW = (
        "quality_exchange_window",
        "Quality exchange window",
        "质量问题换货期限",
    )
    #: The warranty period has ended (三包 rules art. 11).
    WARRANTY = ("warranty", "Warranty period", "三包有效期")
    #: Evidence the policy requires for this problem is missing.
    EVIDENCE_MISSING = ("evidence_missing", "Evidence missing", "缺少凭证")
    #: A compensation amount was given without a tier to bound it.
    COMPENSATION_TIER_MISSING = (
        "compensation_tier_missing",
        "Compensation tier missing",
        "缺少补偿档位",
    )
    #: A compensation amount is above its tier's bound.
    COMPENSATION_ABOVE_BOUND = (
        "compensation_above_bound",
        "Compensation above the bound",
        "补偿金额超过上限",
    )
    #: An amount is above the value of the lines it is for.
    AMOUNT_ABOVE_VALUE = ("amount_above_value", "Amount above the lines' value", "金额超过商品价值")
    #: The seller's time to answer the request (a deadline, never a refusal).
    SELLER_ANSWER = ("seller_answer", "Seller's answer", "卖家处理时限")


def _rule(value: Rule) -> Rule:
    given: object = value
    if not isinstance(given, Rule):
        raise ValidationError(f"rule must be a Rule member, not {shown(value)}")
    return value


def _sku(value: str | None) -> str | None:
    given: object = value
    if given is not None and not isinstance(given, str):
        raise ValidationError(f"sku must be a str or None, not {shown(value)}")
    return value


@attrs.frozen(kw_only=True)
class Refusal:
    """One rule that refuses a request.

    Args:
        rule: the rule that refused (:class:`Rule`); its value is the stable rule id.
        message: what was wrong, naming the rule and the exact instant or amount that decided.
        sku: the line the refusal is about, or ``None`` for the whole request.

    Raises:
        ValidationError: a field of the wrong type.
    """

    rule: Rule = attrs.field(converter=_rule)
    message: str = attrs.field(validator=instance_of(str, "message"))
    sku: str | None = attrs.field(default=None, converter=_sku)

    def __str__(self) -> str:
        return f"[{self.rule.value}] {self.message}"


def _utc(value: _dt.datetime) -> DateTime:
    return ensure_utc(value, what="ends_at")


@attrs.frozen(kw_only=True)
class Deadline:
    """A deadline that applies to a request.

    Args:
        rule: the rule that sets it (:class:`Rule`).
        ends_at: the instant it ends, exclusive (at this instant it has passed); an aware
            datetime, converted to UTC.
        sku: the line it is about, or ``None`` for the whole request.

    Raises:
        ValidationError: a field of the wrong type; ``NaiveDatetime`` for a naive ``ends_at``.
    """

    rule: Rule = attrs.field(converter=_rule)
    ends_at: DateTime = attrs.field(converter=_utc)
    sku: str | None = attrs.field(default=None, converter=_sku)

    def passed(self, at: _dt.datetime) -> bool:
        """Whether the deadline has passed at ``at`` (from ``ends_at`` on).

        Raises:
            NaiveDatetime: ``at`` has no time zone.
        """
        return ensure_utc(at, what="at") >= self.ends_at


def _refusals(value: Iterable[Refusal]) -> tuple[Refusal, ...]:
    items = tuple(value)
    for item in items:
        if not isinstance(item, Refusal):
            raise ValidationError(f"refusals must be Refusal values, not {shown(item)}")
    return items


def _deadlines(value: Iterable[Deadline]) -> tuple[Deadline, ...]:
    items = tuple(value)
    for item in items:
        if not isinstance(item, Deadline):
            raise ValidationError(f"deadlines must be Deadline values, not {shown(item)}")
    return items


@attrs.frozen(kw_only=True)
class Eligibility:
    """Whether a request may be opened, every refusal, and the deadlines that apply.

    Args:
        problem: the problem the request names.
        remedy: the remedy it asks for.
        liability: who is liable for the problem under the policy.
        refusals: every rule that refused, in the order the policy checks them; empty when
            the request is allowed.
        deadlines: the deadlines that apply (windows per line, the seller's answer).

    Raises:
        ValidationError: a field of the wrong type.
    """

    problem: ProblemKind = attrs.field(validator=instance_of(ProblemKind, "problem"))
    remedy: RemedyKind = attrs.field(validator=instance_of(RemedyKind, "remedy"))
    liability: Liability = attrs.field(validator=instance_of(Liability, "liability"))
    refusals: tuple[Refusal, ...] = attrs.field(default=(), converter=_refusals)
    deadlines: tuple[Deadline, ...] = attrs.field(default=(), converter=_deadlines)

    @property
    def allowed(self) -> bool:
        """Whether no rule refused the request."""
        return not self.refusals

    @property
    def rules(self) -> frozenset[Rule]:
        """The rules that refused."""
        return frozenset(r.rule for r in self.refusals)

    def deadline(self, rule: Rule, sku: str | None = None) -> DateTime | None:
        """The end of the deadline set by ``rule`` (for ``sku``), or ``None`` if none applies."""
        for d in self.deadlines:
            if d.rule is rule and d.sku == sku:
                return d.ends_at
        return None

    def raise_if_refused(self) -> None:
        """Raise :class:`~ecservice.aftersales.NotEligible` with every refusal, if any.

        Raises:
            NotEligible: the request was refused.
        """
        if self.refusals:
            raise NotEligible(self.problem.value, self.remedy.value, self.refusals)
