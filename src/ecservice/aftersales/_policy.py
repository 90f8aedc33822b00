"""The shop's after-sales policy: windows, exclusions, freight, bounds, evidence, fees, timeouts.

Every rule is data with a default taken from Chinese consumer law or platform practice, and
each default says where it comes from. :meth:`AfterSalesPolicy.eligible` checks a request
against all of them and explains every refusal.
"""

from __future__ import annotations

import datetime as _dt
import decimal
from collections.abc import Iterable, Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Final, TypeVar

import attrs
from pendulum import DateTime

from ecservice._shown import shown
from ecservice.aftersales._categories import Liability, ProblemKind, RemedyKind
from ecservice.aftersales._checks import check_days, flag, instance_of
from ecservice.aftersales._defaults import (
    DEFAULT_EVIDENCE,
    DEFAULT_LIABILITY,
    DEFAULT_REMEDIES,
    QUALITY_PROBLEMS,
)
from ecservice.aftersales._eligibility import Eligibility
from ecservice.aftersales._evaluation import evaluate
from ecservice.aftersales._freight import (
    DEFAULT_COMPENSATION_BOUNDS,
    CompensationBound,
    CompensationTier,
    ReturnFreight,
)
from ecservice.aftersales._goods import MAX_WARRANTY_DAYS, EvidenceKind, ItemTraits
from ecservice.aftersales._timeouts import CaseTimeouts
from ecservice.aftersales._windows import WindowCounting, window_end
from ecservice.clock import DEFAULT_ZONE, check_zone
from ecservice.errors import CurrencyMismatch, ValidationError
from ecservice.money import Money, to_decimal
from ecservice.orders import Order

__all__ = ["MAX_REPAIRS", "MAX_WINDOW_DAYS", "AfterSalesPolicy"]

#: Longest return or exchange window accepted, in days.
MAX_WINDOW_DAYS: Final = 365
#: Most failed repairs a policy may require before a replacement or return.
MAX_REPAIRS: Final = 10

_K = TypeVar("_K")
_V = TypeVar("_V")


def _check_zone(value: str) -> str:
    return check_zone(value)


def _no_reason_days(value: int) -> int:
    return check_days(value, "no_reason_days", MAX_WINDOW_DAYS)


def _return_days(value: int) -> int:
    return check_days(value, "quality_return_days", MAX_WINDOW_DAYS)


def _exchange_days(value: int) -> int:
    return check_days(value, "quality_exchange_days", MAX_WINDOW_DAYS)


def _warranty(value: int) -> int:
    return check_days(value, "default_warranty_days", MAX_WARRANTY_DAYS)


def _repairs(value: int) -> int:
    return check_days(value, "repairs_before_replacement", MAX_REPAIRS)


def _counting(value: WindowCounting) -> WindowCounting:
    given: object = value
    if not isinstance(given, WindowCounting):
        names = ", ".join(m.value for m in WindowCounting)
        raise ValidationError(
            f"counting must be a WindowCounting member ({names}), not {shown(value)}"
        )
    return value


def _timeouts(value: CaseTimeouts) -> CaseTimeouts:
    given: object = value
    if not isinstance(given, CaseTimeouts):
        raise ValidationError(f"timeouts must be a CaseTimeouts, not {shown(value)}")
    return value


def _members(value: object, kind: type[_V], what: str) -> frozenset[_V]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise ValidationError(
            f"{what} must be a set of {kind.__name__} members, not {shown(value)}"
        )
    items = frozenset(value)
    for item in items:
        if not isinstance(item, kind):
            raise ValidationError(f"{what} must hold {kind.__name__} members, not {shown(item)}")
    return items


def _merged(
    value: Mapping[_K, Any],
    defaults: Mapping[_K, _V],
    key: type[_K],
    convert: Any,
    what: str,
) -> Mapping[_K, _V]:
    if not isinstance(value, Mapping):
        raise ValidationError(
            f"{what} must be a mapping from {key.__name__} members, not {shown(value)}"
        )
    merged = dict(defaults)
    for k, v in value.items():
        if not isinstance(k, key):
            raise ValidationError(f"{what} keys must be {key.__name__} members, not {shown(k)}")
        merged[k] = convert(v, f"{what}[{k.value}]")  # type: ignore[attr-defined]
    return MappingProxyType(merged)


def _remedies(
    value: Mapping[ProblemKind, Iterable[RemedyKind]],
) -> Mapping[ProblemKind, frozenset[RemedyKind]]:
    return _merged(
        value, DEFAULT_REMEDIES, ProblemKind, lambda v, w: _members(v, RemedyKind, w), "remedies"
    )


def _one(kind: type[_V]) -> Any:
    def convert(value: object, what: str) -> _V:
        if not isinstance(value, kind):
            raise ValidationError(f"{what} must be a {kind.__name__}, not {shown(value)}")
        return value

    return convert


def _liability(value: Mapping[ProblemKind, Liability]) -> Mapping[ProblemKind, Liability]:
    return _merged(value, DEFAULT_LIABILITY, ProblemKind, _one(Liability), "liability")


def _evidence(
    value: Mapping[ProblemKind, Iterable[EvidenceKind]],
) -> Mapping[ProblemKind, frozenset[EvidenceKind]]:
    return _merged(
        value, DEFAULT_EVIDENCE, ProblemKind, lambda v, w: _members(v, EvidenceKind, w), "evidence"
    )


def _bounds(
    value: Mapping[CompensationTier, CompensationBound],
) -> Mapping[CompensationTier, CompensationBound]:
    merged = _merged(
        value,
        DEFAULT_COMPENSATION_BOUNDS,
        CompensationTier,
        _one(CompensationBound),
        "compensation_bounds",
    )
    currencies = {b.maximum.currency.code for b in merged.values()}
    if len(currencies) > 1:
        first, second = sorted(currencies)[:2]
        raise CurrencyMismatch(first, second, "bound compensation tiers with")
    return merged


def _quality(value: Iterable[ProblemKind]) -> frozenset[ProblemKind]:
    return _members(value, ProblemKind, "quality_problems")


def _percent(value: Decimal | int | str) -> Decimal:
    if isinstance(value, float):
        raise ValidationError("restocking_fee must be a Decimal, int or decimal string, not float")
    number = to_decimal(value, "restocking_fee")
    if not Decimal(0) <= number <= Decimal(100):
        raise ValidationError(f"restocking_fee is a percentage from 0 to 100, not {shown(value)}")
    return number


@attrs.frozen(kw_only=True)
class AfterSalesPolicy:
    """A shop's after-sales rules as data (售后政策), evaluated in the shop's time zone.

    Mappings keyed by :class:`~ecservice.aftersales.ProblemKind` (``remedies``, ``liability``,
    ``evidence``) and by :class:`~ecservice.aftersales.CompensationTier` (``compensation_bounds``)
    replace the default for the keys they name and keep the default for the others; to allow no
    remedy for a problem, map it to an empty set.

    Windows are counted in days from the day after the buyer signed for the parcel (the
    sign-for time is the delivery time, E-Commerce Law, 电子商务法, art. 51), in ``zone``; they
    end at the first instant of the day after their last day, exclusive, exact to the
    microsecond (see :func:`~ecservice.aftersales.window_end`).

    Args:
        zone: the shop's IANA time zone, in which days are counted; ``"Asia/Shanghai"`` by
            default (China Standard Time, in which a Chinese shop counts the days of Civil Code
            art. 201 and 203).
        timeouts: the case timeouts (:class:`~ecservice.aftersales.CaseTimeouts`); defaults from
            Taobao's refund rules (淘宝退款规则), cited there.
        no_reason_days: the 7-day no-reason return window (七天无理由退货), in days; 7 by
            default (Consumer Rights Protection Law, 消费者权益保护法, art. 25 para. 1: "自收到
            商品之日起七日内"), counted from the day after sign-for (Interim Measures for 7-day
            No-reason Returns of Goods Bought Online, 2017; Civil Code art. 201).
        counting: how the days of a window are counted; calendar days by default (Civil Code
            art. 201 and 203: the last day ends at 24:00), or Taobao's 168 hours for 7 days
            (淘宝网七天无理由退货规范).
        quality_return_days: the window for returning goods that fail on quality, in days; 7
            by default (三包 rules, 部分商品修理更换退货责任规定, art. 9; CPL art. 24).
        quality_exchange_days: the window for exchanging them, in days, at least
            ``quality_return_days``; 15 by default (三包 rules art. 10).
        default_warranty_days: the warranty period (三包有效期) of goods whose
            :class:`~ecservice.aftersales.ItemTraits` give none, in days; 365 by default (the
            one-year period of the 三包 rules' catalogue for most goods, e.g. the body of a
            mobile phone under the 移动电话机商品修理更换退货责任规定).
        repairs_before_replacement: how many failed repairs within the warranty make the goods
            eligible for a replacement or a return; 2 by default (三包 rules art. 11: "修理两次
            仍不能正常使用").
        quality_problems: the problems the 三包 windows apply to; quality and defect by default
            (三包 rules art. 9-11: "性能故障").
        remedies: which remedies each problem allows; defaults in
            :data:`~ecservice.aftersales.DEFAULT_REMEDIES` (三包 rules art. 9-11, CPL art. 24-25,
            E-Commerce Law art. 20).
        liability: who is liable for each problem; defaults in
            :data:`~ecservice.aftersales.DEFAULT_LIABILITY` (CPL art. 23-25, E-Commerce Law art.
            20).
        evidence: the evidence each problem needs; a photo for quality, defect, colour
            difference, not as pictured and wrong item by default
            (:data:`~ecservice.aftersales.DEFAULT_EVIDENCE`; Taobao's dispute rules,
            淘宝网争议处理规范: who asserts a problem with the goods proves it).
        compensation_bounds: the bounds of a keep-the-item partial refund by tier, all in one
            currency; defaults in :data:`~ecservice.aftersales.DEFAULT_COMPENSATION_BOUNDS`
            (the rules of practice of Chinese shops' customer service: same city up to 10 CNY,
            another province 10-15 CNY, high-value goods 20-50 CNY).
        restocking_fee: a percentage of the returned lines' value kept on a return for the
            buyer's own cause, a ``Decimal`` (or int or decimal string) from 0 to 100; 0 by
            default. It never applies to a 7-day no-reason return (CPL art. 25 para. 3: the
            seller returns "the price the consumer paid") nor to a problem the seller is liable
            for (CPL art. 24 para. 2: the seller bears the necessary costs).
        seller_pays_return_freight: whether the shop agreed to pay the return freight of
            no-reason returns and other buyer's causes; ``False`` by default (CPL art. 25
            para. 3: the buyer pays "unless agreed otherwise").

    Raises:
        ValidationError: a field of the wrong type or out of range, a zone
            :func:`~ecservice.clock.check_zone` refuses, a mapping key or value of the wrong type,
            an exchange window shorter than the return window.
        CurrencyMismatch: compensation bounds in more than one currency.
    """

    zone: str = attrs.field(default=DEFAULT_ZONE, converter=_check_zone)
    timeouts: CaseTimeouts = attrs.field(factory=CaseTimeouts, converter=_timeouts)
    no_reason_days: int = attrs.field(default=7, converter=_no_reason_days)
    counting: WindowCounting = attrs.field(
        default=WindowCounting.CALENDAR_DAYS, converter=_counting
    )
    quality_return_days: int = attrs.field(default=7, converter=_return_days)
    quality_exchange_days: int = attrs.field(default=15, converter=_exchange_days)
    default_warranty_days: int = attrs.field(default=365, converter=_warranty)
    repairs_before_replacement: int = attrs.field(default=2, converter=_repairs)
    quality_problems: frozenset[ProblemKind] = attrs.field(
        default=QUALITY_PROBLEMS, converter=_quality
    )
    remedies: Mapping[ProblemKind, frozenset[RemedyKind]] = attrs.field(
        factory=dict, converter=_remedies, hash=False
    )
    liability: Mapping[ProblemKind, Liability] = attrs.field(
        factory=dict, converter=_liability, hash=False
    )
    evidence: Mapping[ProblemKind, frozenset[EvidenceKind]] = attrs.field(
        factory=dict, converter=_evidence, hash=False
    )
    compensation_bounds: Mapping[CompensationTier, CompensationBound] = attrs.field(
        factory=dict, converter=_bounds, hash=False
    )
    restocking_fee: Decimal = attrs.field(default=Decimal(0), converter=_percent)
    seller_pays_return_freight: bool = attrs.field(
        default=False, validator=flag("seller_pays_return_freight")
    )

    def __attrs_post_init__(self) -> None:
        if self.quality_exchange_days < self.quality_return_days:
            raise ValidationError(
                f"quality_exchange_days ({self.quality_exchange_days}) must be at least "
                f"quality_return_days ({self.quality_return_days}): whoever may return goods "
                "may also exchange them"
            )

    # --- windows -------------------------------------------------------------------------------

    def window_end(self, signed_at: _dt.datetime, days: int) -> DateTime:
        """The end (exclusive) of a window of ``days`` days after sign-for at ``signed_at``.

        Raises:
            NaiveDatetime: ``signed_at`` has no time zone.
            ValidationError: ``days`` is not a whole number from 1 to :data:`MAX_WARRANTY_DAYS`,
                or the end is past the year 9999.
        """
        days = check_days(days, "days", MAX_WARRANTY_DAYS)
        return window_end(signed_at, days, self.zone, self.counting)

    def no_reason_window_end(self, signed_at: _dt.datetime) -> DateTime:
        """The end (exclusive) of the no-reason return window of a parcel signed for at
        ``signed_at``: with the defaults, the first instant of the 8th local day after it.

        >>> import pendulum
        >>> policy = AfterSalesPolicy()
        >>> signed = pendulum.datetime(2026, 11, 11, 21, 5, tz="Asia/Shanghai")
        >>> policy.no_reason_window_end(signed).in_tz(policy.zone).isoformat()
        '2026-11-19T00:00:00+08:00'

        Raises:
            NaiveDatetime: ``signed_at`` has no time zone.
        """
        return window_end(signed_at, self.no_reason_days, self.zone, self.counting)

    def warranty_days(self, traits: ItemTraits | None = None) -> int:
        """The warranty period in days of goods described by ``traits`` (the default if none).

        Raises:
            ValidationError: ``traits`` is not an ``ItemTraits``.
        """
        if traits is None:
            return self.default_warranty_days
        instance_of(ItemTraits, "traits")(None, None, traits)
        return self.default_warranty_days if traits.warranty_days is None else traits.warranty_days

    # --- remedies, freight, money --------------------------------------------------------------

    def allows(self, problem: ProblemKind, remedy: RemedyKind) -> bool:
        """Whether ``remedy`` is allowed for ``problem`` at all (before windows and quantities).

        Raises:
            ValidationError: ``problem`` or ``remedy`` of the wrong type.
        """
        _one(ProblemKind)(problem, "problem")
        _one(RemedyKind)(remedy, "remedy")
        return remedy in self.remedies[problem]

    def compensation_bound(self, tier: CompensationTier) -> CompensationBound:
        """The bounds of a keep-the-item partial refund in ``tier``.

        Raises:
            ValidationError: ``tier`` is not a :class:`~ecservice.aftersales.CompensationTier`.
        """
        _one(CompensationTier)(tier, "tier")
        return self.compensation_bounds[tier]

    def return_freight_payer(self, problem: ProblemKind, *, insured: bool = False) -> ReturnFreight:
        """Who pays the freight of sending the goods back for ``problem``.

        The seller pays when it is liable, and also for a carrier's or the platform's fault,
        which it recovers from them (CPL art. 24 para. 2; E-Commerce Law art. 20). For the
        buyer's own causes, including the 7-day no-reason return, the buyer pays unless the
        shop agreed otherwise (``seller_pays_return_freight``; CPL art. 25 para. 3); with
        return-freight insurance (运费险, ``insured``) the insurer reimburses the buyer.

        Args:
            problem: the problem of the case.
            insured: whether the order carries return-freight insurance.

        Raises:
            ValidationError: ``problem`` is not a ``ProblemKind`` or ``insured`` not a bool.
        """
        _one(ProblemKind)(problem, "problem")
        flag("insured")(None, None, insured)
        liable = self.liability[problem]
        if liable is not Liability.BUYER:
            return ReturnFreight(
                payer=Liability.SELLER,
                reason=(
                    f"{problem.value} is the {liable.value}'s liability: the seller pays the "
                    "freight (CPL art. 24 para. 2; E-Commerce Law art. 20)"
                ),
            )
        if self.seller_pays_return_freight:
            return ReturnFreight(
                payer=Liability.SELLER,
                reason="the shop agreed to pay the return freight (CPL art. 25 para. 3)",
            )
        return ReturnFreight(
            payer=Liability.BUYER,
            insured=insured,
            reason=(
                f"{problem.value} is the buyer's cause: the buyer pays the return freight "
                "(CPL art. 25 para. 3)"
                + ("; return-freight insurance (运费险) reimburses it" if insured else "")
            ),
        )

    def restocking_fee_for(self, problem: ProblemKind, remedy: RemedyKind, value: Money) -> Money:
        """The restocking fee kept from a refund of ``value`` (the returned lines' value).

        The fee is ``restocking_fee`` percent of ``value``, rounded down to the minor unit
        (in the buyer's favour), on a return and refund for the buyer's own cause. It is zero
        for a 7-day no-reason return (CPL art. 25 para. 3: the seller returns the price paid;
        only the freight is the buyer's), for any problem the buyer is not liable for (CPL
        art. 24 para. 2), and for every other remedy.

        Raises:
            ValidationError: an argument of the wrong type; ``InvalidAmount`` for a negative
                ``value``.
        """
        _one(ProblemKind)(problem, "problem")
        _one(RemedyKind)(remedy, "remedy")
        _one(Money)(value, "value")
        if value.is_negative():
            raise ValidationError(f"value must not be negative, not {value}")
        if (
            remedy is not RemedyKind.RETURN_AND_REFUND
            or problem is ProblemKind.NO_REASON_RETURN
            or self.liability[problem] is not Liability.BUYER
            or not self.restocking_fee
        ):
            return Money.zero(value.currency)
        fee = value.amount * self.restocking_fee / 100
        return Money.of(fee, value.currency, rounding=decimal.ROUND_DOWN)

    # --- eligibility ---------------------------------------------------------------------------

    def eligible(
        self,
        order: Order[Any],
        lines: Mapping[str, int],
        remedy: RemedyKind,
        problem: ProblemKind,
        at: _dt.datetime,
        *,
        traits: Mapping[str, ItemTraits] | None = None,
        evidence: Iterable[EvidenceKind] = (),
        failed_repairs: int = 0,
        claimed: Mapping[str, int] | None = None,
        amount: Money | None = None,
        tier: CompensationTier | None = None,
    ) -> Eligibility:
        """Check a request against every rule of the policy, and say why it is refused.

        The rules, in the order they are checked (each refusal names its
        :class:`~ecservice.aftersales.Rule`):

        1. the remedy is allowed for the problem (``remedies``);
        2. per line, the quantity is at most what the remedy can act on at ``at``: units
           delivered (signed for) for a return, exchange or repair; shipped for a reship;
           unshipped for a refund before shipment or of out-of-stock goods; ordered and not
           cancelled for other refunds and for compensation of service problems; less the
           units ``claimed`` by other cases;
        3. the evidence the problem needs is given (``evidence``);
        4. for a 7-day no-reason return: the goods are not excluded outright, not excluded by
           the buyer's confirmation at purchase, intact, and the units were signed for within
           the window;
        5. for a quality problem: the 7-day return, 15-day exchange or warranty window, with a
           return or exchange allowed within the warranty after ``repairs_before_replacement``
           failed repairs;
        6. an ``amount``: at most the value of the lines, and for compensation at most the
           tier's bound.

        Args:
            order: the order the request is about.
            lines: ``{sku: quantity}`` of the order's lines the request covers.
            remedy: the remedy asked for.
            problem: the problem claimed.
            at: when the request is made; an aware datetime.
            traits: :class:`~ecservice.aftersales.ItemTraits` per SKU; a SKU without traits is
                ordinary goods, sealed and intact.
            evidence: the kinds of evidence attached.
            failed_repairs: how many repairs of the goods have failed within the warranty.
            claimed: ``{sku: units}`` already covered by other open cases of the order.
            amount: the amount asked (a refund or compensation), in the order's currency.
            tier: the compensation tier that bounds ``amount`` for a compensation.

        Returns:
            An :class:`~ecservice.aftersales.Eligibility`; call its
            :meth:`~ecservice.aftersales.Eligibility.raise_if_refused` to raise
            :class:`~ecservice.aftersales.NotEligible`.

        Raises:
            ValidationError: malformed input (the subclasses ``InvalidQuantity``,
                ``UnknownLine``, ``NaiveDatetime``, ``CurrencyMismatch`` say which): an order,
                remedy, problem, traits or evidence of the wrong type, a quantity that is not a
                whole number from 1, a SKU the order does not have, a naive ``at``, a negative
                count, an amount that is not positive or not in the order's currency (or, for a
                compensation with a tier, not in the currency of the compensation bounds).
        """
        return evaluate(
            self,
            order,
            lines,
            remedy,
            problem,
            at,
            traits=traits,
            evidence=evidence,
            failed_repairs=failed_repairs,
            claimed=claimed,
            amount=amount,
            tier=tier,
        )

    def require_eligible(
        self,
        order: Order[Any],
        lines: Mapping[str, int],
        remedy: RemedyKind,
        problem: ProblemKind,
        at: _dt.datetime,
        *,
        traits: Mapping[str, ItemTraits] | None = None,
        evidence: Iterable[EvidenceKind] = (),
        failed_repairs: int = 0,
        claimed: Mapping[str, int] | None = None,
        amount: Money | None = None,
        tier: CompensationTier | None = None,
    ) -> Eligibility:
        """Like :meth:`eligible`, but raise when any rule refuses.

        Returns:
            The :class:`~ecservice.aftersales.Eligibility` of an allowed request (its
            deadlines).

        Raises:
            NotEligible: the request is refused (every refusal is in the error).
            ValidationError: malformed input, as for :meth:`eligible`.
        """
        result = self.eligible(
            order,
            lines,
            remedy,
            problem,
            at,
            traits=traits,
            evidence=evidence,
            failed_repairs=failed_repairs,
            claimed=claimed,
            amount=amount,
            tier=tier,
        )
        result.raise_if_refused()
        return result
